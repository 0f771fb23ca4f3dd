"""torchlet.testing (assert_close, make_tensor, assert_allclose) against torch.testing.

assert_close: each case is built once as ``fn(lib) -> (actual, expected, kwargs)`` and
run on both libraries; what is compared is exact: pass, or the exception's type and full
message (the mismatch report's counts, greatest differences and their indices, which
torchlet computes in the tensors' dtype as torch does). Class names in messages are
normalised (``torchlet._tensor.Tensor`` is torch's ``torch.Tensor``).

make_tensor: bit-exact against torch after the same manual_seed (same generator stream,
same draws), for every dtype torchlet has and the noncontiguous / exclude_zero / bounds
options; its errors compare type and message.
"""

from __future__ import annotations

import collections
import math
import warnings

import numpy as np
import pytest

import torchlet


def _outcome(case, lib, name="assert_close"):
    actual, expected, kwargs = case(lib)
    try:
        getattr(lib.testing, name)(actual, expected, **kwargs)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        message = str(error).replace("torchlet._tensor.Tensor", "torch.Tensor")
        message = message.replace("torchlet.nn.parameter", "torch.nn.parameter")
        return type(error).__name__, message
    return "passes"


def _t(lib, values, dtype="float32"):
    return lib.tensor(values, dtype=getattr(lib, dtype))


CASES = {
    "equal": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.0]), {}),
    "within_float32": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.0000019]), {}),
    "beyond_float32": lambda t: (_t(t, [1.0, 2.0, 3.0]), _t(t, [1.0, 4.0, 5.0]), {}),
    "float32_edge": lambda t: (_t(t, [1.0, 100.0]), _t(t, [1.00001, 100.000137]), {}),
    "float64": lambda t: (_t(t, [1.0, 2.0], "float64"), _t(t, [1.0, 2.000001], "float64"), {}),
    "float64_edge": lambda t: (_t(t, [0.0, 1.0], "float64"),
                               _t(t, [1e-7, 1.0000002], "float64"), {}),
    "float16": lambda t: (_t(t, [1.0, 2.0], "float16"), _t(t, [1.001, 2.5], "float16"), {}),
    "int": lambda t: (_t(t, [1, 2, 3], "int64"), _t(t, [1, 5, 3], "int64"), {}),
    "int8": lambda t: (_t(t, [1, -2, 3], "int8"), _t(t, [0, 5, 3], "int8"), {}),
    "int_zero_expected": lambda t: (_t(t, [3, 2], "int32"), _t(t, [0, 2], "int32"), {}),
    "bool": lambda t: (_t(t, [True, False], "bool"), _t(t, [True, True], "bool"), {}),
    "2d": lambda t: (t.arange(12.0).reshape(3, 4), t.arange(12.0).reshape(3, 4) * 1.5, {}),
    "3d_ints": lambda t: (t.arange(24).reshape(2, 3, 4),
                          t.arange(24).reshape(2, 3, 4) % 5, {}),
    "scalar_tensor": lambda t: (t.tensor(1.0), t.tensor(1.1), {}),
    "scalar_tensor_int": lambda t: (t.tensor(3), t.tensor(4), {}),
    "nan": lambda t: (t.tensor(float("nan")), t.tensor(float("nan")), {}),
    "nan_equal": lambda t: (t.tensor(float("nan")), t.tensor(float("nan")),
                            {"equal_nan": True}),
    "nan_in_vector": lambda t: (_t(t, [1.0, float("nan"), 2.0]), _t(t, [1.0, 3.0, 2.0]), {}),
    "inf": lambda t: (_t(t, [float("inf"), 1.0]), _t(t, [float("inf"), 1.0]), {}),
    "inf_mismatch": lambda t: (_t(t, [float("inf"), 1.0]), _t(t, [-float("inf"), 1.0]), {}),
    "zero_expected": lambda t: (_t(t, [1.0, 0.5]), _t(t, [0.0, 0.5]), {}),
    "given_tolerances": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.1, 2.0]),
                                   {"rtol": 0.2, "atol": 0.0}),
    "zero_tolerances": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.0000002]),
                                  {"rtol": 0, "atol": 0}),
    "only_rtol": lambda t: (_t(t, [1.0]), _t(t, [1.0]), {"rtol": 0.1}),
    "only_atol": lambda t: (_t(t, [1.0]), _t(t, [1.0]), {"atol": 0.1}),
    "shape": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.0, 3.0]), {}),
    "dtype": lambda t: (_t(t, [1.0]), _t(t, [1.0], "float64"), {}),
    "dtype_unchecked": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.5], "float64"),
                                  {"check_dtype": False}),
    "dtype_int_float": lambda t: (_t(t, [1, 2], "int64"), _t(t, [1.0, 2.0]),
                                  {"check_dtype": False}),
    "stride": lambda t: (t.zeros(2, 3).t(), t.zeros(3, 2), {"check_stride": True}),
    "stride_unchecked": lambda t: (t.zeros(2, 3).t(), t.zeros(3, 2), {}),
    "msg_string": lambda t: (_t(t, [1.0]), _t(t, [2.0]), {"msg": "custom"}),
    "msg_callable": lambda t: (_t(t, [1.0, 3.0]), _t(t, [2.0, 3.0]),
                               {"msg": lambda m: f"Header\n\n{m}\n\nFooter"}),
    "python_float": lambda t: (1.0, 1.0 + 1e-9, {}),
    "python_float_far": lambda t: (1e-9, 1e-10, {}),
    "python_int": lambda t: (3, 4, {}),
    "python_float_zero": lambda t: (0.5, 0.0, {}),
    "python_mixed": lambda t: (1.0, 1, {}),
    "python_mixed_unchecked": lambda t: (1.0, 1, {"check_dtype": False}),
    "python_complex": lambda t: (1 + 2j, 1 + 2.5j, {}),
    "python_nan": lambda t: (float("nan"), float("nan"), {"equal_nan": True}),
    "python_bool": lambda t: (True, False, {}),
    "numpy_bool": lambda t: (np.bool_(True), True, {}),
    "numpy_scalar": lambda t: (np.float32(1.5), 1.5, {}),
    "numpy_scalar_far": lambda t: (np.float64(1.5), 1.75, {}),
    "none": lambda t: (None, None, {}),
    "none_mismatch": lambda t: (None, 1.0, {}),
    "tensor_vs_float": lambda t: (t.tensor(1.0), 1.0, {}),
    "tensor_vs_ndarray": lambda t: (t.tensor([1.0]), np.array([1.0], np.float32), {}),
    "ndarrays": lambda t: (np.array([1.0, 2.0]), np.array([1.0, 2.5]), {}),
    "strings": lambda t: ("a", "a", {}),
    "parameter": lambda t: (t.nn.Parameter(_t(t, [1.0])), _t(t, [1.0]), {}),
    "parameter_strict": lambda t: (t.nn.Parameter(_t(t, [1.0])), _t(t, [1.0]),
                                   {"allow_subclasses": False}),
    "requires_grad": lambda t: (_t(t, [1.0, 2.0]).requires_grad_(), _t(t, [1.0, 2.5]), {}),
    "sequence": lambda t: ([_t(t, [1.0]), 2.0], (_t(t, [1.0]), 2.0), {}),
    "sequence_item": lambda t: ([_t(t, [1.0]), [2.0, _t(t, [3.0])]],
                                [_t(t, [1.0]), [2.0, _t(t, [3.5])]], {}),
    "sequence_length": lambda t: ([1.0, 2.0], [1.0], {}),
    "mapping": lambda t: ({"a": _t(t, [1.0]), "b": 2.0},
                          collections.OrderedDict(b=2.0, a=_t(t, [1.0])), {}),
    "mapping_item": lambda t: ({"a": _t(t, [1.0]), "b": {"c": 2.0}},
                               {"a": _t(t, [1.0]), "b": {"c": 3.0}}, {}),
    "mapping_keys": lambda t: ({"a": 1.0, "b": 2.0}, {"a": 1.0, "c": 2.0, "d": 3.0}, {}),
    "mapping_item_msg": lambda t: ({"w": [1.0]}, {"w": [2.0]}, {"msg": "replaced"}),
    "empty": lambda t: (t.zeros(0), t.zeros(0), {}),
    "state_dict": lambda t: (_module(t).state_dict(), _module(t).state_dict(), {}),
}


def _module(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(3, 2)


@pytest.mark.parametrize("name", sorted(CASES))
def test_assert_close_matches_torch(name):
    torch = pytest.importorskip("torch")
    assert _outcome(CASES[name], torchlet) == _outcome(CASES[name], torch)


def test_assert_close_report_format():
    """The report reads as torch documents it (checked without torch)."""
    with pytest.raises(AssertionError) as info:
        torchlet.testing.assert_close(torchlet.tensor([1.0, 4.0, 5.0]),
                                      torchlet.tensor([1.0, 2.0, 3.0]))
    assert str(info.value) == (
        "Tensor-likes are not close!\n\n"
        "Mismatched elements: 2 / 3 (66.7%)\n"
        "Greatest absolute difference: 2.0 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 1.0 at index (1,) (up to 1.3e-06 allowed)"
    )


def test_assert_close_passes_within_default_tolerance_per_dtype():
    for dtype, rtol, atol in ((torchlet.float32, 1.3e-6, 1e-5),
                              (torchlet.float64, 1e-7, 1e-7)):
        expected = torchlet.tensor([1000.0], dtype=dtype)
        inside = torchlet.tensor([1000.0 + 0.9 * (atol + rtol * 1000.0)], dtype=dtype)
        outside = torchlet.tensor([1000.0 + 1.5 * (atol + rtol * 1000.0)], dtype=dtype)
        torchlet.testing.assert_close(inside, expected)
        with pytest.raises(AssertionError, match="not close"):
            torchlet.testing.assert_close(outside, expected)


# ---------------------------------------------------------------------------------------
# assert_allclose


ALLCLOSE_CASES = {
    "close": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.0001]), {}),
    "far": lambda t: (_t(t, [1.0, 2.0]), _t(t, [1.0, 2.01]), {}),
    "nan_equal": lambda t: (_t(t, [float("nan")]), _t(t, [float("nan")]), {}),
    "list_expected": lambda t: (_t(t, [1.0, 2.0], "float64"), [1.0, 2.0], {}),
    "dtypes_differ": lambda t: (_t(t, [1, 2], "int64"), _t(t, [1.0, 2.0]), {}),
    "msg": lambda t: (_t(t, [1.0]), _t(t, [2.0]), {"msg": "nope"}),
}


@pytest.mark.parametrize("name", sorted(ALLCLOSE_CASES))
def test_assert_allclose_matches_torch(name):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ours = _outcome(ALLCLOSE_CASES[name], torchlet, "assert_allclose")
        theirs = _outcome(ALLCLOSE_CASES[name], torch, "assert_allclose")
    assert ours == theirs


def test_assert_allclose_is_deprecated():
    with pytest.warns(FutureWarning, match="assert_allclose\\(\\)` is deprecated since 1.12"):
        torchlet.testing.assert_allclose(torchlet.tensor([1.0]), torchlet.tensor([1.0]))


# ---------------------------------------------------------------------------------------
# make_tensor

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")

MAKE_CASES = {
    "default": ((3, 4), {}),
    "tuple_shape": (((2, 5),), {}),
    "scalar": ((), {}),
    "bounds": ((6,), {"low": -2, "high": 3}),
    "float_bounds": ((6,), {"low": 0.5, "high": 2.5}),
    "noncontiguous": ((3, 4), {"noncontiguous": True}),
    "exclude_zero": ((40,), {"exclude_zero": True, "low": 0, "high": 2}),
    # high - low exceeds the dtype's max: drawn as uniform_(low / 2, high / 2) * 2
    "huge_bounds": ((5,), {"low": -1e300, "high": 1e300}),
}


def _make(lib, dtype, case):
    shape, kwargs = MAKE_CASES[case]
    lib.manual_seed(1234)
    x = lib.testing.make_tensor(*shape, dtype=getattr(lib, dtype), device="cpu", **kwargs)
    return x


@pytest.mark.parametrize("case", sorted(MAKE_CASES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_make_tensor_bit_exact(dtype, case):
    torch = pytest.importorskip("torch")
    if case == "huge_bounds" and dtype not in ("float16", "float32"):
        # integers: the bounds are clamped before drawing (covered by 'bounds'); float64:
        # torchlet's own uniform_ is not bit-exact for ranges near 1e300 (outside make_tensor)
        pytest.skip("covered elsewhere")
    ours, theirs = _make(torchlet, dtype, case), _make(torch, dtype, case)
    assert ours.dtype.__repr__() == theirs.dtype.__repr__()
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.is_contiguous() == theirs.is_contiguous()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    # the next draw continues from the same place: as many numbers were consumed
    assert torchlet.rand(1).item() == torch.rand(1).item()


def test_make_tensor_requires_grad_and_exclude_zero():
    x = torchlet.testing.make_tensor(50, dtype=torchlet.float32, device="cpu", low=0, high=1,
                                     requires_grad=True)
    assert x.requires_grad and x.is_leaf
    y = torchlet.testing.make_tensor(200, dtype=torchlet.int8, device="cpu", low=-1, high=1,
                                     exclude_zero=True)
    assert not (y == 0).any()


MAKE_ERRORS = {
    "grad_int": lambda t: t.testing.make_tensor(2, dtype=t.int64, device="cpu",
                                                requires_grad=True),
    "low_high": lambda t: t.testing.make_tensor(2, dtype=t.float32, device="cpu",
                                                low=3, high=1),
    "nan": lambda t: t.testing.make_tensor(2, dtype=t.float32, device="cpu", low=math.nan),
    "out_of_range": lambda t: t.testing.make_tensor(2, dtype=t.uint8, device="cpu",
                                                    low=300, high=400),
    "cuda": lambda t: t.testing.make_tensor(2, dtype=t.float32, device="cuda"),
    "no_device": lambda t: t.testing.make_tensor(2, dtype=t.float32),
}


@pytest.mark.parametrize("name", sorted(MAKE_ERRORS))
def test_make_tensor_errors_match_torch(name):
    torch = pytest.importorskip("torch")

    def run(lib):
        try:
            MAKE_ERRORS[name](lib)
        except Exception as error:  # noqa: BLE001
            return type(error).__name__, str(error).replace("torchlet", "torch")
        return "no error"

    assert run(torchlet) == run(torch)


def test_make_tensor_low_equals_high_warns():
    with pytest.warns(FutureWarning, match="low==high"):
        x = torchlet.testing.make_tensor(3, dtype=torchlet.float32, device="cpu", low=1,
                                         high=1)
    assert x.shape == (3,)

"""Live differential tests for small mismatches with torch 2.13 fixed after the fact.

* window functions: torch's overloads (``periodic`` must come before ``alpha``/``beta``,
  must be a bool): the same calls succeed or raise TypeError in both libraries; values of
  the calls that succeed agree within 1 ulp of 1.0 (torch's SIMD cos and i0, see
  tests/specs/windows_gradient.py).
* storage offsets after ``as_strided`` / ``as_strided_`` (also repeated and under views):
  offsets, shapes, strides and values bit-exact.
* ``full`` / ``fill_`` / ``full_like`` / ``new_full`` / ``tensor`` in float16: bit-exact,
  printing identical (a number reaches float16 through float32, as c10::Half; a single
  element skips the float16 overflow check).
* ``mode`` with NaN and with ties past 16 elements: values and indices bit-exact
  (torchlet replays libstdc++'s std::sort, which is what torch's CPU kernel calls).
* ``linalg.solve_ex`` on singular matrices: grad_fn name, info, and the forward values
  (infinities and NaNs included) bit-exact with torch's LAPACK getrf/getrs; the backward
  through a singular matrix is only checked to run (torch reuses the forward's LU with a
  transposed solve, torchlet factors A^T, so the pattern of inf/NaN can differ); for a
  regular matrix, gradients within float64 rounding.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet._ops import misc_api

torch = pytest.importorskip("torch")


def _outcome(lib, fn):
    """('ok', array) or ('error', exception type name) for ``fn(lib)``."""
    try:
        result = fn(lib)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return "error", type(error).__name__
    return "ok", np.asarray(result.detach().numpy() if hasattr(result, "detach") else result)


def _same_outcome(fn, atol=0.0):
    kind_t, got_t = _outcome(torch, fn)
    kind_l, got_l = _outcome(torchlet, fn)
    assert kind_l == kind_t, (got_t, got_l)
    if kind_t == "error":
        assert got_l == got_t
    else:
        assert got_l.dtype == got_t.dtype and got_l.shape == got_t.shape
        np.testing.assert_allclose(got_l, got_t, rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------
# 1. window functions: argument handling


WINDOW_CALLS = [
    lambda t: t.kaiser_window(16, beta=12.0),
    lambda t: t.kaiser_window(16, True, 12.0),
    lambda t: t.kaiser_window(16, False),
    lambda t: t.kaiser_window(16),
    lambda t: t.kaiser_window(16, periodic=False, beta=5.0),
    lambda t: t.kaiser_window(16, 12.0),
    lambda t: t.kaiser_window(window_length=5, beta=3.0),
    lambda t: t.kaiser_window(5, None),
    lambda t: t.kaiser_window(5, True, None),
    lambda t: t.kaiser_window(5, True, "a"),
    lambda t: t.kaiser_window(5, True, 2),
    lambda t: t.kaiser_window(5, True, beta=t.tensor(2.0)),
    lambda t: t.kaiser_window(1, beta=12.0),
    lambda t: t.kaiser_window(0, beta=12.0),
    lambda t: t.hann_window(5, False),
    lambda t: t.hann_window(5, periodic=False),
    lambda t: t.hann_window(5, 1),
    lambda t: t.hann_window(5, np.bool_(True)),
    lambda t: t.hann_window(window_length=5),
    lambda t: t.hamming_window(5, False, 0.5),
    lambda t: t.hamming_window(5, False, 0.5, 0.3),
    lambda t: t.hamming_window(5, alpha=0.5),
    lambda t: t.hamming_window(5, False, beta=0.3),
    lambda t: t.hamming_window(5, True, alpha=0.5),
    lambda t: t.hamming_window(5, periodic=True, alpha=0.5, beta=0.3),
    lambda t: t.hamming_window(5, alpha=0.5, beta=0.3),
    lambda t: t.blackman_window(5, False),
    lambda t: t.blackman_window(5, 0),
    lambda t: t.bartlett_window(5, False),
    lambda t: t.bartlett_window(5, 1.0),
]


@pytest.mark.parametrize("index", range(len(WINDOW_CALLS)))
def test_window_overloads(index):
    _same_outcome(WINDOW_CALLS[index], atol=1e-6)


def test_window_overload_message_lists_the_overloads():
    with pytest.raises(TypeError, match=r"kaiser_window\(\) received an invalid combination "
                                        r"of arguments - got \(int, beta=float\)") as info:
        torchlet.kaiser_window(16, beta=12.0)
    assert "(int window_length, bool periodic, float beta, *," in str(info.value)


# ---------------------------------------------------------------------------------------
# 2. storage offsets after as_strided / as_strided_


def _in_place(x, *args):
    x.as_strided_(*args)
    return x


STRIDED_CASES = {
    "as_strided": lambda t: t.arange(24.).as_strided((2, 3), (3, 1), 2),
    "as_strided_default": lambda t: t.arange(24.)[5:].as_strided((2, 3), (3, 1)),
    "as_strided_of_slice": lambda t: t.arange(24.)[5:].as_strided((2, 3), (3, 1), 1),
    "as_strided_of_block": lambda t: t.arange(24.).view(4, 6)[1:, 2:].as_strided((2, 2), (6, 1)),
    "as_strided_twice": lambda t: t.arange(24.).as_strided((4, 2), (2, 1), 4).as_strided(
        (3,), (1,), 1),
    "as_strided_then_index": lambda t: t.arange(24.).as_strided((4, 2), (2, 1), 4)[2:, 1],
    "in_place": lambda t: _in_place(t.arange(24.), (2, 3), (3, 1), 2),
    "in_place_default": lambda t: _in_place(t.arange(24.)[5:], (2, 3), (3, 1)),
    "in_place_twice": lambda t: _in_place(_in_place(t.arange(24.), (4,), (2,), 3), (3,), (1,)),
    "in_place_twice_offset": lambda t: _in_place(_in_place(t.arange(24.), (4,), (2,), 3),
                                                 (3,), (1,), 0),
    "in_place_then_slice": lambda t: _in_place(t.arange(24.), (4, 2), (2, 1), 4)[1:],
    "in_place_then_view": lambda t: _in_place(t.arange(24.), (3, 2), (2, 1), 5).view(6)[2:],
}


def _geometry(x, offset):
    return offset, tuple(x.shape), tuple(x.stride()), x.tolist()


@pytest.mark.parametrize("name", STRIDED_CASES)
def test_storage_offset_helper(name):
    """misc_api.storage_offset finds the storage as as_strided_ does (values included)."""
    expected = STRIDED_CASES[name](torch)
    got = STRIDED_CASES[name](torchlet)
    assert _geometry(got, misc_api.storage_offset(got)) == _geometry(
        expected, expected.storage_offset())


@pytest.mark.parametrize("name", list(STRIDED_CASES))
def test_storage_offset_method(name):
    expected = STRIDED_CASES[name](torch)
    got = STRIDED_CASES[name](torchlet)
    assert _geometry(got, got.storage_offset()) == _geometry(expected,
                                                             expected.storage_offset())


def test_as_strided_in_place_twice_writes_through():
    def fn(t):
        base = t.arange(24.)
        view = base[4:]
        view.as_strided_((3,), (2,), 3)
        view.mul_(10)
        return base

    assert fn(torchlet).tolist() == fn(torch).tolist()


# ---------------------------------------------------------------------------------------
# 3. float16 fills


HALF_VALUES = [0.1, 1 / 3, 65504.0, 65519.99, 65520.0, 1e6, float("inf"), 1e-8,
               5.960464477539063e-08 * 1.5, 1 + 2**-11, 1 + 2**-11 + 2**-40,
               1 + 2**-11 + 2**-25, 3, True, -0.0, 1e39]
HALF_CALLS = {
    "full_1": lambda t, v: t.full((1,), v, dtype=t.float16),
    "full_0d": lambda t, v: t.full((), v, dtype=t.float16),
    "full_1x1": lambda t, v: t.full((1, 1), v, dtype=t.float16),
    "full_3": lambda t, v: t.full((3,), v, dtype=t.float16),
    "full_empty": lambda t, v: t.full((0,), v, dtype=t.float16),
    "tensor": lambda t, v: t.tensor(v, dtype=t.float16),
    "tensor_list": lambda t, v: t.tensor([v, 0.5], dtype=t.float16),
    "fill_1": lambda t, v: t.zeros(1, dtype=t.float16).fill_(v),
    "fill_3": lambda t, v: t.zeros(3, dtype=t.float16).fill_(v),
    "full_like_1": lambda t, v: t.full_like(t.zeros(1, dtype=t.float16), v),
    "full_like_2": lambda t, v: t.full_like(t.zeros(2, dtype=t.float16), v),
    "new_full": lambda t, v: t.zeros(1, dtype=t.float16).new_full((1,), v),
}


@pytest.mark.parametrize("value", HALF_VALUES)
@pytest.mark.parametrize("call", HALF_CALLS)
def test_float16_fill(call, value):
    fn = HALF_CALLS[call]
    kind_t, got_t = _outcome(torch, lambda t: fn(t, value))
    kind_l, got_l = _outcome(torchlet, lambda t: fn(t, value))
    assert kind_l == kind_t, (got_t, got_l)
    if kind_t == "ok":
        assert got_l.dtype == got_t.dtype and got_l.shape == got_t.shape
        assert got_l.tobytes() == got_t.tobytes()  # bit-exact, signed zeros included
        assert repr(fn(torchlet, value)) == repr(fn(torch, value))


@pytest.mark.parametrize("fill", [1e39, 300, -1, 2.5, float("nan"), True])
@pytest.mark.parametrize("dtype", ["float32", "int8", "uint8", "int32", "bool"])
def test_full_like_checks_like_full(fill, dtype):
    _same_outcome(lambda t: t.full_like(t.zeros(2, dtype=getattr(t, dtype)), fill))


# ---------------------------------------------------------------------------------------
# 4. mode: NaN, and ties past libstdc++'s insertion-sort threshold


NAN = float("nan")


@pytest.mark.parametrize("values", [
    [NAN], [NAN, NAN], [1., NAN, NAN], [NAN, 1., 1.], [NAN, 1., NAN, 1.], [2., NAN, 1., NAN],
    [NAN, 2., 2., NAN, NAN], [1., 2., 3., NAN], [-0.0, 0.0, NAN, NAN],
])
def test_mode_nan_1d(values):
    expected = torch.mode(torch.tensor(values))
    got = torchlet.mode(torchlet.tensor(values))
    assert np.array_equal(got.values.numpy(), expected.values.numpy(), equal_nan=True)
    assert got.indices.item() == expected.indices.item()


@pytest.mark.parametrize("seed", range(40))
def test_mode_random(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    a = rng.integers(0, int(rng.integers(1, 20)), size=(3, n)).astype(np.float32)
    if seed % 2:
        a[rng.random(a.shape) < rng.random()] = np.nan
    if seed % 3 == 0:
        a = np.sort(a, axis=1)
    if seed % 5 == 0:
        a = a[:, ::-1].copy()
    for dim, keepdim in ((1, False), (-1, True), (0, False), (0, True)):
        expected = torch.tensor(a).mode(dim, keepdim)
        got = torchlet.tensor(a).mode(dim, keepdim)
        assert got.values.shape == expected.values.shape
        assert np.array_equal(got.values.numpy(), expected.values.numpy(), equal_nan=True)
        assert np.array_equal(got.indices.numpy(), expected.indices.numpy())


@pytest.mark.parametrize("dtype", ["int64", "bool", "float16", "float64"])
def test_mode_dtypes_long_rows(dtype):
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, size=(2, 70, 3)).astype(dtype)
    for dim in range(3):
        expected = torch.mode(torch.tensor(a), dim)
        got = torchlet.mode(torchlet.tensor(a), dim)
        assert np.array_equal(got.values.numpy(), expected.values.numpy())
        assert np.array_equal(got.indices.numpy(), expected.indices.numpy())


# ---------------------------------------------------------------------------------------
# 7. linalg.solve_ex on singular matrices


def _singular_cases():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    a[2] = a[0]
    c = np.eye(3)
    c[1, 1] = 0
    return [
        (a, rng.standard_normal((3, 2)), True),
        (a, rng.standard_normal(3), True),
        (a, rng.standard_normal((2, 3)), False),
        (np.zeros((3, 3)), np.ones((3, 2)), True),
        (np.stack([a, np.eye(3)]), rng.standard_normal((2, 3, 1)), True),
        (c, rng.standard_normal((3, 2)), True),
    ]


@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("requires_grad", [(True, True), (True, False), (False, True),
                                           (False, False)])
def test_solve_ex_singular(case, requires_grad):
    a, b, left = _singular_cases()[case]
    results = {}
    for lib in (torch, torchlet):
        A = lib.tensor(a, dtype=lib.float64, requires_grad=requires_grad[0])
        B = lib.tensor(b, dtype=lib.float64, requires_grad=requires_grad[1])
        results[lib.__name__] = lib.linalg.solve_ex(A, B, left=left)
    expected, got = results["torch"], results["torchlet"]
    assert got.info.dtype == torchlet.int32
    assert got.info.tolist() == expected.info.tolist()
    assert np.array_equal(got.result.detach().numpy(), expected.result.detach().numpy(),
                          equal_nan=True)
    assert got.result.requires_grad == expected.result.requires_grad
    if expected.result.grad_fn is None:
        assert got.result.grad_fn is None
    else:
        assert got.result.grad_fn.name() == expected.result.grad_fn.name()
        got.result.sum().backward()  # runs (torch's runs too); values: module docstring


def test_solve_ex_regular_gradient_matches():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 2))
    grads = {}
    for lib in (torch, torchlet):
        A = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        B = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        lib.linalg.solve_ex(A, B).result.sum().backward()
        grads[lib.__name__] = (A.grad.numpy(), B.grad.numpy())
    for got, expected in zip(grads["torchlet"], grads["torch"], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_solve_ex_check_errors_still_raises():
    A = torchlet.zeros(3, 3, dtype=torchlet.float64)
    with pytest.raises(torchlet.linalg.LinAlgError, match="solve_ex"):
        torchlet.linalg.solve_ex(A, torchlet.ones(3, dtype=torchlet.float64),
                                 check_errors=True)

"""Fixes found while writing the round-22 tutorial scripts (helper tutorials4).

linspace / logspace / arange into integer dtypes convert their bounds as torch's kernels
do (``Scalar.to<scalar_t>``): a float bound must fit the dtype (-4.5 is no uint8), a
negative int wraps into uint8 (-5 is 251) and the spacing starts from the converted
bounds; arange counts in int64 and wraps into narrower types (NumPy refused -16 as a
uint8); one float16 element is filled unchecked (logspace(6, ..., 1) is inf).
"""

import importlib.util
import warnings

import numpy as np
import pytest

import torchlet


def _libs():
    """torchlet, and torch where importable."""
    if importlib.util.find_spec("torch") is None:
        return [torchlet]
    import torch

    return [torchlet, torch]


def _outcome(lib, name, args, kwargs):
    # "t-5": a 0-d integer tensor bound
    args = [lib.tensor(int(a[1:])) if isinstance(a, str) else a for a in args]
    try:
        result = getattr(lib, name)(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the outcome is compared
        return type(error).__name__
    return str(result.dtype).split(".")[-1], result.tolist()


def test_linspace_uint8_wraps_negative_int_start():
    # start -5 becomes 251, end 0.63 becomes 0: 251 - 31.375 * i, truncated
    out = torchlet.linspace(-5, 0.63, 9, dtype=torchlet.uint8)
    assert out.tolist() == [251, 219, 188, 156, 125, 94, 62, 31, 0]
    assert torchlet.linspace(-5, 250, 4, dtype=torchlet.uint8).tolist() == [251, 250, 250, 250]


@pytest.mark.parametrize(("start", "end", "dtype"), [
    (-4.5, 9.8, "uint8"), (-0.5, 5, "uint8"), (-300, 5, "uint8"), (-200, 5, "int8"),
    (2.0 ** 40, 5, "int32"), (1e20, 5, "int64"),
])
def test_linspace_integer_bounds_must_fit(start, end, dtype):
    with pytest.raises(RuntimeError, match="without overflow"):
        torchlet.linspace(start, end, 3, dtype=getattr(torchlet, dtype))


def test_tensor_bounds_are_read_with_item():
    # an integer 0-d tensor stays an integer Scalar: -5 wraps into uint8 as the number does
    start = torchlet.tensor(-5)
    assert torchlet.linspace(start, torchlet.tensor(3), 3, dtype=torchlet.uint8).tolist() == [
        251, 127, 3]
    with pytest.raises(RuntimeError, match="uint8_t without overflow"):
        torchlet.linspace(torchlet.tensor(-4.5), 3, 3, dtype=torchlet.uint8)
    assert torchlet.logspace(torchlet.tensor(True), 3, 2, dtype=torchlet.int8).tolist() == [10, -24]


def test_linspace_signed_truncation_unchanged():
    # -4.9 and 9.9 truncate to -4 and 9, step 13 / 3: -4 + 13/3 = 0.33 and 9 - 13/3 = 4.67
    assert torchlet.linspace(-5.5, 5, 3, dtype=torchlet.int8).tolist() == [-5, 0, 5]
    assert torchlet.linspace(-4.9, 9.9, 4, dtype=torchlet.int64).tolist() == [-4, 0, 4, 9]


def test_logspace_integer_bounds():
    with pytest.raises(RuntimeError, match="uint8_t without overflow"):
        torchlet.logspace(-0.3, 1, 3, dtype=torchlet.uint8)
    with pytest.raises(RuntimeError, match="int8_t without overflow"):
        torchlet.logspace(-300, 1, 3, dtype=torchlet.int8)
    assert torchlet.logspace(-3, 1, 3, dtype=torchlet.uint8).tolist() == [0, 0, 10]
    # end -11 wraps to 245: the second element is 10 ** 32.375, no longer 10 ** 0.375
    assert torchlet.logspace(2.75, -11, 9, dtype=torchlet.uint8).tolist()[:2] == [100, 0]


def test_one_float16_element_fills_unchecked():
    assert torchlet.logspace(6, -2.47, 1, dtype=torchlet.float16).tolist() == [float("inf")]
    assert torchlet.linspace(1e6, 0, 1, dtype=torchlet.float16).tolist() == [float("inf")]
    with pytest.raises(RuntimeError, match="float without overflow"):
        torchlet.logspace(40, 0, 1, dtype=torchlet.float32)


def test_arange_wraps_into_narrow_integers():
    assert torchlet.arange(-16, -3, dtype=torchlet.uint8).tolist() == list(range(240, 253))
    assert torchlet.arange(-16, 300, 50, dtype=torchlet.uint8).tolist() == [
        v % 256 for v in range(-16, 300, 50)]
    assert torchlet.arange(250, 260, dtype=torchlet.uint8).tolist() == [
        250, 251, 252, 253, 254, 255, 0, 1, 2, 3]
    assert torchlet.arange(120, 130, dtype=torchlet.int8).tolist() == [
        120, 121, 122, 123, 124, 125, 126, 127, -128, -127]
    assert torchlet.arange(5, dtype=torchlet.int16).dtype == torchlet.int16


CASES = [
    ("linspace", (-5, 0.63, 9), "uint8"), ("linspace", (-4.5, 9.8, 11), "uint8"),
    ("linspace", (-1.0, 5, 3), "uint8"), ("linspace", (300, 5, 3), "uint8"),
    ("linspace", (-5.5, 5, 1), "uint8"), ("linspace", (-128.9, 5, 3), "int8"),
    ("logspace", (-0.3, 1, 3), "uint8"), ("logspace", (-3, 1, 3), "int8"),
    ("logspace", (6, -2.47, 2), "float16"), ("logspace", (1e6, -2.47, 1), "float32"),
    ("arange", (-16.5, 3, 5), "uint8"), ("arange", (-16, 3, 5), "uint8"),
    ("linspace", ("t-5", 3, 3), "uint8"), ("logspace", ("t-300", 3, 1), "int8"),
]


@pytest.mark.parametrize(("name", "args", "dtype"), CASES)
def test_against_torch(name, args, dtype):
    torch = pytest.importorskip("torch")
    ours = _outcome(torchlet, name, args, {"dtype": getattr(torchlet, dtype)})
    theirs = _outcome(torch, name, args, {"dtype": getattr(torch, dtype)})
    assert ours == theirs


def _sampled_cases(count=300):
    rng = np.random.default_rng(22)
    dtypes = ["uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]

    def bound():
        kind = rng.integers(0, 3)
        if kind == 0:
            return int(rng.integers(-300, 300))
        if kind == 1:
            return float(np.round(rng.uniform(-12, 12), int(rng.integers(0, 3))))
        return int(rng.integers(-20, 20))

    cases = []
    for _ in range(count):
        name = str(rng.choice(["linspace", "logspace", "arange"]))
        dtype = dtypes[rng.integers(0, len(dtypes))]
        if name == "arange":
            step = int(rng.integers(1, 60)) * int(rng.choice([-1, 1]))
            args = (bound(), bound(), step)
        else:
            args = (bound(), bound(), int(rng.integers(0, 9)))
        cases.append((name, args, dtype))
    return cases


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    mismatches = []
    for name, args, dtype in _sampled_cases():
        if name == "logspace" and dtype in ("uint8", "int8", "int16", "int32", "int64"):
            continue  # huge powers cast to integers: undefined behaviour in C++
        ours = _outcome(torchlet, name, args, {"dtype": getattr(torchlet, dtype)})
        theirs = _outcome(torch, name, args, {"dtype": getattr(torch, dtype)})
        if ours != theirs:
            mismatches.append((name, args, dtype, ours, theirs))
    assert not mismatches, mismatches[:5]


@pytest.mark.parametrize("args, expected", [
    ((0.1, 0.0), None), ((-1.49, -1.72), None), ((0.1, 0.05), None),
    ((0.0, 0.1), [0]), ((0.9, 2.1), [0, 1, 2]), ((2.9, 0.1, -1), [2, 1, 0]),
    ((0.5, 0.5), [0]), ((0, 5, 0), "step must be nonzero"),
])
def test_integer_range_checks_direction_before_truncating(args, expected):
    """torch.range with an integer dtype: the direction is checked on the bounds as given
    (0.1 -> 0.0 is downwards with step 1: an error), the values counted from the truncated
    ones (0.9 -> 2.1 gives 0, 1, 2)."""
    for lib in _libs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if expected is None or isinstance(expected, str):
                message = expected or "inconsistent with step sign"
                with pytest.raises(RuntimeError, match=message):
                    lib.range(*args, dtype=lib.int8)
            else:
                assert lib.range(*args, dtype=lib.int8).tolist() == expected

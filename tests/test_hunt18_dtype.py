"""Pointwise ops across dtypes and operand kinds (hunt 18): regressions for what a random
differential sweep against torch 2.13 found, each with a hand-derived expectation, and a
small derandomized differential test against torch when it is importable."""

import math

import numpy as np
import pytest

import torchlet as tl

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _outcome(fn):
    try:
        r = fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return str(r.dtype).split(".")[-1], r.detach().numpy().tobytes(), tuple(r.shape)


def _both(fn):
    """``fn(lib)`` for torchlet and torch: (outcome, outcome)."""
    return _outcome(lambda: fn(tl)), _outcome(lambda: fn(torch))


# ---------------------------------------------------------------------------------------
# Python ints past int64: torch's parser reads them as uint64, and refuses past that


@pytest.mark.parametrize("op", [
    lambda t, v: t + v, lambda t, v: v + t, lambda t, v: t * v, lambda t, v: t < v,
    lambda t, v: t == v, lambda t, v: t // v, lambda t, v: t - v, lambda t, v: t ** v,
    lambda t, v: tl.lerp(t, t, v), lambda t, v: tl.addcmul(t, t, t, value=v),
])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "bool"])
@pytest.mark.parametrize("value", [2 ** 64, 2 ** 70, -2 ** 63 - 1, -2 ** 64])
def test_int_past_uint64_is_refused(op, dtype, value):
    t = tl.tensor([1, 0], dtype=getattr(tl, dtype))
    with pytest.raises(OverflowError):
        op(t, value)


def test_uint64_int_with_bool_tensor_does_not_promote():
    t = tl.tensor([True, False])
    for op in (lambda: t + 2 ** 63, lambda: t < 2 ** 63, lambda: t & 2 ** 63):
        with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64"):
            op()
    # float tensors take it, integer ones wrap it (2**63 is 0 in int8)
    assert (tl.tensor([1.0], dtype=tl.float64) + 2 ** 63).item() == 2.0 ** 63
    assert (tl.tensor([1], dtype=tl.int8) + 2 ** 63).item() == 1


def test_addcmul_integer_value_must_fit():
    x = tl.tensor([1], dtype=tl.int8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8"):
        tl.addcmul(x, x, x, value=300)
    assert tl.addcmul(x, x, x, value=2.5).item() == 3  # value.to<int8>(): 2


# ---------------------------------------------------------------------------------------
# pow with a NumPy integer exponent is an int exponent


def test_pow_numpy_integer_exponent():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        tl.tensor([2, 3], dtype=tl.int32) ** np.int32(-2)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        tl.tensor([2, 3], dtype=tl.uint8) ** np.int64(-1)  # (not -1 wrapped to 255)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8"):
        tl.tensor([2], dtype=tl.int8) ** np.uint8(200)
    assert (tl.tensor([2.0]) ** np.int64(-2)).item() == 0.25


# ---------------------------------------------------------------------------------------
# ldexp


def test_ldexp_integer_exponent_is_c_ldexp():
    # exact: 3 * 2**-150 rounds (ties to even) to 2 * 2**-149; exp2 first would give 0
    assert tl.ldexp(tl.tensor([3.0]), tl.tensor([-150])).item() == 2.0 ** -148
    # the exponent is wrapped to 32 bits: 2**32 + 3 is 3, 2**31 is -2**31
    assert tl.ldexp(tl.tensor([1.0]), tl.tensor([2 ** 32 + 3])).item() == 8.0
    r = tl.ldexp(tl.tensor([-2.5], dtype=tl.float16), tl.tensor([2 ** 31]))
    assert r.dtype == tl.float16 and r.item() == 0.0 and math.copysign(1, r.item()) == -1
    # int input: the composite a * pow(2, b), no wrap (2**32 + 3 overflows to inf)
    assert tl.ldexp(tl.tensor([3], dtype=tl.int32), tl.tensor([2 ** 32 + 3])).item() == math.inf


def test_ldexp_float_exponent_power_in_its_dtype():
    # pow(2, float16 1.5) is float16 2.828125, then times 1.5 in float32
    r = tl.ldexp(tl.tensor([1.5]), tl.tensor([1.5], dtype=tl.float16))
    assert r.dtype == tl.float32 and r.item() == 1.5 * 2.828125
    # a float32 power is powf's, correctly rounded
    e = np.float32(2.6229114532470703)
    r = tl.ldexp(tl.tensor([1.0], dtype=tl.float64), tl.tensor([float(e)]))
    assert r.item() == float(np.float32(2.0 ** np.float64(e)))


@needs_torch
def test_ldexp_matches_torch_sampled():
    rng = np.random.default_rng(18)
    dts = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8"]
    for _ in range(120):
        da, db = rng.choice(dts, 2)
        n = int(rng.integers(1, 6))
        a = (rng.standard_normal(n) * 4).astype(da)
        b = rng.integers(-160, 160, n).astype(db) if np.dtype(db).kind != "f" else \
            (rng.standard_normal(n) * 8).astype(db)
        got, want = _both(lambda m, a=a, b=b: m.ldexp(m.from_numpy(a.copy()),
                                                      m.from_numpy(b.copy())))
        if got[0] == "float64" and np.dtype(db) == np.float64:  # exp2 vs pow: an ulp
            assert got[0] == want[0] and got[2] == want[2]
            np.testing.assert_allclose(np.frombuffer(got[1]), np.frombuffer(want[1]),
                                       rtol=1e-15)
        else:
            assert got == want, (a, b)


# ---------------------------------------------------------------------------------------
# float16 division with rounding


def test_half_floor_divide_rounds_each_step():
    # c10's div_floor_floating in float16 arithmetic: (a - fmod(a, b)) / b rounds to
    # float16 (-4998.0 -> -4996), where one float32 division and a floor give -5000
    a = tl.tensor([-5.0, 5.0], dtype=tl.float16)
    b = tl.tensor([0.0010004043579101562] * 2, dtype=tl.float16)
    assert (a // b).tolist() == [-4996.0, 4996.0]
    assert tl.div(a, b, rounding_mode="floor").tolist() == [-4996.0, 4996.0]
    # a one-element divisor is a scalar of the iteration: float32, rounded once
    assert (a // b[:1]).tolist() == [-5000.0, 4996.0]


def test_half_rounding_division_by_a_number_in_float32():
    a = tl.tensor([-1.10546875], dtype=tl.float16)
    # -1.10546875 / -1.1056002705513561 = 0.99988 in float32: floor 0 (1 by a float16 divisor)
    for other in (-1.1056002705513561, np.float64(-1.1056002705513561),
                  tl.tensor(-1.1056002705513561, dtype=tl.float64)):
        assert tl.floor_divide(a, other).item() == 0.0
        assert tl.div(a, other, rounding_mode="trunc").item() == 0.0
    # a float16 divisor equal to the float16 tensor gives 1
    assert tl.floor_divide(a, tl.tensor(-1.10546875, dtype=tl.float16)).item() == 1.0


def test_half_times_numpy_scalar_and_one_element_int_tensor():
    a = tl.tensor([1.5, -2.25, 3.0], dtype=tl.float16)
    # a NumPy float is a Python float to torch's parser: 1.1 stays a float32
    assert (a * np.float64(1.1)).tolist() == (a * 1.1).tolist()
    assert (a * np.float64(1.1)).tolist() == [1.650390625, -2.474609375, 3.30078125]
    # an int64 [1] tensor is read as float32 70000 (float16 would be inf)
    r = tl.tensor([0.5, -0.25], dtype=tl.float16) * tl.tensor([70000])
    assert r.dtype == tl.float16 and r.tolist() == [35008.0, -17504.0]


# ---------------------------------------------------------------------------------------
# integers and float16 edge values


def test_trunc_division_by_the_most_negative_int():
    assert tl.div(tl.tensor([7, -7]), -2 ** 63, rounding_mode="trunc").tolist() == [0, 0]
    assert tl.div(tl.tensor([-128], dtype=tl.int8), -1, rounding_mode="trunc").item() == -128
    assert tl.div(tl.tensor([-7, 7]), tl.tensor([2, -2]), rounding_mode="trunc").tolist() \
        == [-3, -3]


def test_nextafter_half_equal_operands_give_the_second():
    r = tl.nextafter(tl.tensor([0.0, -0.0], dtype=tl.float16),
                     tl.tensor([-0.0, 0.0], dtype=tl.float16))
    assert np.signbit(r.numpy()).tolist() == [True, False]


# ---------------------------------------------------------------------------------------
# out=: torch checks out's dtype before the kernel refuses the input dtype


@pytest.mark.parametrize("call, match", [
    (lambda: tl.bitwise_and(tl.ones(2), tl.ones(2), out=tl.empty(0, dtype=tl.int64)),
     "result type Float can't be cast to the desired output type Long"),
    (lambda: tl.bitwise_left_shift(tl.ones(2), 1, out=tl.empty(0, dtype=tl.int32)),
     "result type Float can't be cast"),
    (lambda: tl.gcd(tl.ones(2), tl.ones(2), out=tl.empty(0, dtype=tl.bool)),
     "result type Float can't be cast to the desired output type Bool"),
    (lambda: tl.hypot(tl.ones(2, dtype=tl.int64), tl.ones(2, dtype=tl.int64),
                      out=tl.empty(0, dtype=tl.bool)), "result type Long can't be cast"),
    (lambda: tl.nextafter(tl.ones(2, dtype=tl.int16), tl.ones(2, dtype=tl.int16),
                          out=tl.empty(0, dtype=tl.bool)), "result type Short can't be cast"),
    (lambda: tl.lerp(tl.ones(2, dtype=tl.int32), tl.ones(2, dtype=tl.int32), 0.5,
                     out=tl.empty(0, dtype=tl.bool)), "result type Int can't be cast"),
    (lambda: tl.abs(tl.ones(2, dtype=tl.bool), out=tl.empty(0, dtype=tl.uint8)),
     "Found dtype Byte but expected Bool"),
    (lambda: tl.floor(tl.ones(2, dtype=tl.bool), out=tl.empty(0, dtype=tl.int8)),
     "Found dtype Char but expected Bool"),
    (lambda: tl.round(tl.ones(2, dtype=tl.int16), decimals=1, out=tl.empty(0)),
     "Found dtype Float but expected Short"),
    (lambda: tl.frac(tl.ones(2, dtype=tl.int32), out=tl.empty(0, dtype=tl.float64)),
     "Found dtype Double but expected Int"),
    (lambda: tl.bitwise_not(tl.ones(2, dtype=tl.int64), out=tl.empty(0, dtype=tl.int32)),
     "Found dtype Int but expected Long"),
    (lambda: tl.bitwise_not(tl.ones(2), out=tl.empty(0, dtype=tl.bool)),
     "Found dtype Bool but expected Float"),
    (lambda: tl.clamp(tl.ones(2, dtype=tl.bool), True, True, out=tl.empty(0, dtype=tl.int64)),
     "Found dtype Long but expected Bool"),
    (lambda: tl.signbit(tl.ones(2), out=tl.empty(0, dtype=tl.int8)),
     "signbit does not support non-boolean outputs"),
    (lambda: tl.isposinf(tl.ones(2), out=tl.empty(0)),
     "isposinf does not support non-boolean outputs"),
    (lambda: tl.isneginf(tl.ones(2), out=tl.empty(0, dtype=tl.int64)),
     "isneginf does not support non-boolean outputs"),
    (lambda: tl.nan_to_num(tl.ones(2), out=tl.empty(0, dtype=tl.float64)),
     "nan_to_num: dtype of out: Double should be same as input: Float"),
])
def test_out_dtype_checked_first(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_out_dtype_fine_then_kernel_refuses():
    with pytest.raises(NotImplementedError, match='"bitwise_and_cpu" not implemented'):
        tl.bitwise_and(tl.ones(2), tl.ones(2), out=tl.empty(0))
    with pytest.raises(NotImplementedError, match='"abs_cpu" not implemented'):
        tl.abs(tl.ones(2, dtype=tl.bool), out=tl.empty(0, dtype=tl.bool))
    assert tl.bitwise_not(tl.tensor([1], dtype=tl.int8), out=tl.empty(0, dtype=tl.int8)) \
        .item() == -2


# ---------------------------------------------------------------------------------------
# derandomized differential sweep

_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
_BINARY = {
    "add": lambda m, a, b: m.add(a, b), "sub": lambda m, a, b: m.sub(a, b),
    "mul": lambda m, a, b: a * b, "div": lambda m, a, b: a / b,
    "div_floor": lambda m, a, b: m.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
    "floordiv": lambda m, a, b: a // b, "rfloordiv": lambda m, a, b: b // a,
    "rsub": lambda m, a, b: b - a, "rdiv": lambda m, a, b: b / a,
    "eq": lambda m, a, b: a == b, "lt": lambda m, a, b: a < b, "ge": lambda m, a, b: a >= b,
    "and": lambda m, a, b: a & b, "xor": lambda m, a, b: m.bitwise_xor(a, b),
    "lshift": lambda m, a, b: a << b, "rshift": lambda m, a, b: a >> b,
    "logical_xor": lambda m, a, b: m.logical_xor(a, b),
    "copysign": lambda m, a, b: m.copysign(a, b), "nextafter": lambda m, a, b: m.nextafter(a, b),
    "gcd": lambda m, a, b: m.gcd(a, b), "heaviside": lambda m, a, b: m.heaviside(a, b),
    "bitwise_and_out": lambda m, a, b: m.bitwise_and(a, b, out=m.empty(0, dtype=m.int16)),
    "floor_divide_out": lambda m, a, b: m.floor_divide(a, b, out=m.empty(0, dtype=m.float64)),
    "lt_out": lambda m, a, b: m.lt(a, b, out=m.empty(0, dtype=m.int8)),
}
_NUMBERS = [True, 0, 3, -7, 300, 2 ** 40, 2 ** 63, 2 ** 64, -2 ** 63 - 1, 0.5, -2.5,
            1.1056002705513561, float("inf"), float("nan"), np.float64(1.1), np.float32(-0.3),
            np.int64(5), np.int32(-2), np.uint8(200), np.bool_(True)]


def _values(rng, dtype, n):
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        v = np.clip(rng.integers(-6, 7, n), info.min, info.max).astype(dt)
        edge = rng.random(n) < 0.3
        v[edge] = rng.choice(np.array([info.min, info.max, 0, 1], dtype=dt), edge.sum())
        return v
    v = (rng.standard_normal(n) * 4).astype(dt)
    special = rng.random(n) < 0.3
    with np.errstate(over="ignore"):
        pool = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.5, -1.5, 1e-3, 60000.0]).astype(dt)
    v[special] = rng.choice(pool, special.sum())
    return v


@needs_torch
def test_sampled_binary_ops_match_torch():
    rng = np.random.default_rng(1818)
    names = sorted(_BINARY)
    for _ in range(700):
        name = names[rng.integers(len(names))]
        n = int(rng.integers(1, 9))
        a = _values(rng, _DTYPES[rng.integers(9)], n)
        kind = rng.integers(4)
        if kind == 0:
            b = _values(rng, _DTYPES[rng.integers(9)], n)
        elif kind == 1:
            b = _values(rng, _DTYPES[rng.integers(9)], 1).reshape(())
        else:
            b = _NUMBERS[rng.integers(len(_NUMBERS))]

        def run(m, a=a, b=b, name=name):
            bb = m.from_numpy(b.copy()) if isinstance(b, np.ndarray) else b
            return _BINARY[name](m, m.from_numpy(a.copy()), bb)

        got, want = _both(run)
        if isinstance(got, tuple) and isinstance(want, tuple) and got[0] == want[0] \
                and got[0].startswith("float"):  # NaN payloads and signs: compare values
            g = np.frombuffer(got[1], got[0]).astype(np.float64)
            w = np.frombuffer(want[1], want[0]).astype(np.float64)
            assert got[2] == want[2] and np.array_equal(g, w, equal_nan=True) and \
                np.array_equal(np.signbit(g[~np.isnan(g)]), np.signbit(w[~np.isnan(w)])), \
                (name, a, b)
        else:
            assert got == want, (name, a, b)

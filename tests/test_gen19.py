"""Random generators at extreme parameters (helper gen, session 19): normal_ with std=inf
(fma64 recursed for ever), the sign of zero for tiny stds (fma keeps the exact product's
sign), subnormal multiply-adds, infinite means with huge stds, a huge cauchy sigma, libm
overflows in log_normal_, and torch.normal's float32 overflow check."""

import math

import numpy as np
import pytest

import torchlet
from torchlet._generator import _math_loop, fma64

INF, NAN, BIG = math.inf, math.nan, 1.7976931348623157e308


def _bits(t):
    return t.numpy().tobytes()


def _draw(m, fn):
    """(result bits or the exception type name, generator state bytes) for fn(m) after seeding."""
    m.manual_seed(1234)
    try:
        out = fn(m)
        out = (_bits(out), str(out.dtype))
    except Exception as e:  # noqa: BLE001 - the exception type is what is compared
        out = type(e).__name__
    return out, m.get_rng_state().numpy().tobytes()


def _same_as_torch(fn):
    torch = pytest.importorskip("torch")
    assert _draw(torchlet, fn) == _draw(torch, fn)


# ------------------------------------------------------------------- hand-derived checks


@pytest.mark.parametrize("make", [
    lambda: torchlet.empty(40, dtype=torchlet.float64).normal_(5, INF),
    lambda: torchlet.empty(40).normal_(5, INF),
    lambda: torchlet.nn.init.normal_(torchlet.empty(5, 2), 1, INF),
    lambda: torchlet.normal(2.0, INF, (5,)),
    lambda: torchlet.empty(7, dtype=torchlet.float64)[::2].normal_(0, INF),
])
def test_normal_infinite_std_is_signed_inf(make):
    # was a RecursionError; z * inf + mean is +-inf (z is never exactly 0 here)
    torchlet.manual_seed(3)
    out = make().numpy()
    assert np.all(np.isinf(out)) and (out > 0).any() and (out < 0).any()


def test_log_normal_infinite_std_is_inf_or_zero():
    out = torchlet.empty(40).log_normal_(1, INF).numpy()
    assert set(np.unique(out).tolist()) == {0.0, INF}


def test_log_normal_huge_std_does_not_raise():
    # exp of a huge value overflowed with OverflowError where libm gives inf
    out = torchlet.empty(1, dtype=torchlet.float64).log_normal_(0.0, 1e300).numpy()
    assert out[0] in (0.0, INF)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("n", [5, 40])
def test_tiny_std_keeps_sign_of_zero(dtype, n):
    # fma(z, std, +0) is -0.0 for z < 0 when z * std underflows; z * std + 0 gave +0.0
    std = 5e-324 if dtype == "float64" or n == 5 else 1e-45
    torchlet.manual_seed(1234)
    ref = torchlet.empty(n, dtype=getattr(torchlet, dtype)).normal_(0.0, 1.0).numpy()
    torchlet.manual_seed(1234)
    out = torchlet.empty(n, dtype=getattr(torchlet, dtype)).normal_(0.0, std).numpy()
    zeros = out == 0
    assert zeros.any()
    # every zero carries the sign of the standard normal it came from
    assert np.array_equal(np.signbit(out[zeros]), np.signbit(ref[zeros]))


def test_zero_std_float32_gives_positive_zero():
    # std32 == 0: the exact product is zero, so fma(z, 0, +0) is +0.0 whatever z's sign
    out = torchlet.empty(40).normal_(0.0, 5e-324).numpy()
    assert np.all(out == 0) and not np.signbit(out).any()


def test_fma64_edge_cases():
    a = np.array([-0.0, 0.0, -1.25, 2.0, -3.0, 1.5])
    c = np.array([-0.0, -0.0, 5e-324, -1e-323, 5e-324, 0.0])
    out = fma64(a, 5e-324, c)
    # -0*d-0 = -0; +0*d-0 = +0; -1.25d + d = -0.25d -> -0; 2d - 2d = +0; -3d + d = -2d;
    # 1.5d rounds to 2d (ties to even)
    expect = np.array([-0.0, 0.0, -0.0, 0.0, -1e-323, 1e-323])
    assert out.tobytes() == expect.tobytes()
    # an infinite c absorbs any finite product, even one that overflows
    out = fma64(np.array([-2.0, 2.0, 0.0]), BIG, np.array([INF, -INF, INF]))
    assert out.tolist() == [INF, -INF, INF]
    # a huge a (cauchy_'s sigma) no longer overflows the split: exact sum below the limit
    out = fma64(BIG, np.array([-1.0, -0.5]), BIG)
    assert out.tolist() == [0.0, BIG / 2]
    out = fma64(np.array([-1.0, 3.0]), INF, 1.0)
    assert out.tolist() == [-INF, INF]
    assert np.isnan(fma64(np.array([0.0]), INF, 1.0)).all()


def test_math_loop_gives_c_answers():
    assert _math_loop(math.exp)([1000.0, 0.0]).tolist() == [INF, 1.0]
    assert _math_loop(math.log)([0.0, 1.0]).tolist() == [-INF, 0.0]
    assert np.isnan(_math_loop(math.log)([-1.0])).all()
    assert _math_loop(math.log1p)([-1.0]).tolist() == [-INF]


def test_normal_float_mean_overflowing_float32_raises_before_drawing():
    torchlet.manual_seed(0)
    state = _bits(torchlet.get_rng_state())
    with pytest.raises(RuntimeError, match="without overflow"):
        torchlet.normal(3.5e38, torchlet.ones(3))
    assert _bits(torchlet.get_rng_state()) == state
    wide = torchlet.normal(3.5e38, torchlet.ones(3, dtype=torchlet.float64))
    assert wide.tolist() == [3.5e38] * 3
    assert np.isinf(torchlet.normal(3.5e38, torchlet.ones(3, dtype=torchlet.float16)).numpy()).all()


# ------------------------------------------------------------------------- versus torch


@pytest.mark.parametrize("fn", [
    lambda m: m.empty(40, dtype=m.float64).normal_(5, INF),
    lambda m: m.nn.init.normal_(m.empty(5, 2), 1, INF),
    lambda m: m.normal(2.0, INF, (5,)),
    lambda m: m.empty(5).log_normal_(1, INF),
    lambda m: m.empty(40).normal_(0, 1e-45),
    lambda m: m.empty(40, dtype=m.float16).normal_(0, 1e-44),
    lambda m: m.empty(17, dtype=m.float64).normal_(5e-324, 1e-310),
    lambda m: m.empty(5).normal_(INF, BIG),
    lambda m: m.empty(3, dtype=m.float64).cauchy_(BIG, BIG),
    lambda m: m.empty(3, dtype=m.float64).uniform_(0.0, 1e-310),
    lambda m: m.empty(2).log_normal_(0.0, 1e300),
    lambda m: m.normal(3.4028235e38, m.ones(3)),
])
def test_repros_match_torch(fn):
    _same_as_torch(fn)


_VALUES = [0.0, -0.0, 1.0, -2.5, INF, -INF, NAN, 1e300, -1e300, BIG, 3.5e38, 7e4, 5e-324,
           1e-310, 1e-45, 1e-40, 1e-30]
_OPS = {
    "normal_": lambda t, a, b: t.normal_(a, b),
    "log_normal_": lambda t, a, b: t.log_normal_(a, b),
    "cauchy_": lambda t, a, b: t.cauchy_(a, b),
    "uniform_": lambda t, a, b: t.uniform_(a, b),
    "exponential_": lambda t, a, b: t.exponential_(a),
}


def _configs(count=300):
    rng = np.random.default_rng(19)
    ops, dtypes = sorted(_OPS), ["float64", "float32", "float16"]
    sizes = [(1, False), (5, False), (16, False), (17, False), (40, False), (20, True)]
    return [(ops[rng.integers(len(ops))], dtypes[rng.integers(3)],
             *sizes[rng.integers(len(sizes))],
             _VALUES[rng.integers(len(_VALUES))], _VALUES[rng.integers(len(_VALUES))])
            for _ in range(count)]


def test_sampled_extreme_parameters_match_torch():
    torch = pytest.importorskip("torch")
    for op, dtype, n, strided, a, b in _configs():
        def fn(m, op=op, dtype=dtype, n=n, strided=strided, a=a, b=b):
            t = m.zeros(n, 2, dtype=getattr(m, dtype))[:, 0] if strided else \
                m.zeros(n, dtype=getattr(m, dtype))
            return _OPS[op](t, a, b).contiguous()
        assert _draw(torchlet, fn) == _draw(torch, fn), (op, dtype, n, strided, a, b)

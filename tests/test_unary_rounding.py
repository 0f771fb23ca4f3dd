"""float32 exp, log, sin, tanh, ... rounded as torch's: computed in float64, rounded once.

torch's float32 kernels (MKL / SLEEF) are correctly rounded for ~95-99.9% of inputs;
NumPy's float32 loops were an ulp off for up to half of them, visible in torch's prints
(``torch.tensor(100.).log10()`` printed 2.0000). Expected values here are the correctly
rounded float32 (the float64 function rounded once, math.* for scalars), and when torch
is importable its results too.
"""

import math

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise._libm import rounded_once
from torchlet._ops.pointwise._libm import sigmoid as sigmoid_kernel
from torchlet.autograd import gradcheck

# name: (NumPy ufunc, input transform keeping the domain, minimum share equal to torch).
# The shares are torch 2.13's own rate of correct rounding (measured on AVX512 + MKL,
# with margin); NumPy's float32 loops scored 60-90% on most of these.
OPS = {
    "exp": (np.exp, None, 0.97),
    "expm1": (np.expm1, None, 0.98),
    "exp2": (np.exp2, None, 0.90),
    "log": (np.log, np.abs, 0.90),
    "log2": (np.log2, np.abs, 0.98),
    "log10": (np.log10, np.abs, 0.98),
    "log1p": (np.log1p, np.abs, 0.98),
    "tan": (np.tan, None, 0.78),
    "asin": (np.arcsin, np.tanh, 0.95),
    "acos": (np.arccos, np.tanh, 0.93),
    "atan": (np.arctan, None, 0.90),
    "sinh": (np.sinh, None, 0.98),
    "cosh": (np.cosh, None, 0.98),
    "tanh": (np.tanh, None, 0.98),
}


def _inputs(transform, n=4096, seed=0):
    x = (np.random.RandomState(seed).randn(n) * 3).astype(np.float32)
    return transform(x).astype(np.float32) if transform else x


def _same(a, b):
    return (a == b) | (np.isnan(a) & np.isnan(b))


def _within_an_ulp(a, b, ulps=1):
    """Neighbouring float32s or equal (the bit patterns of same-sign floats are ordered)."""
    apart = np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))
    return _same(a, b) | ((np.sign(a) == np.sign(b)) & (apart <= ulps))


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_is_float64_rounded_once(name):
    fn, transform, _ = OPS[name]
    x = _inputs(transform)
    out = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
    assert out.dtype == np.float32
    expected = fn(x.astype(np.float64)).astype(np.float32)
    assert _same(out, expected).all()


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_agrees_with_torch(name):
    torch = pytest.importorskip("torch")
    fn, transform, share = OPS[name]
    x = _inputs(transform, n=20000, seed=1)
    ours = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
    theirs = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert _same(ours, theirs).mean() >= share
    # where they differ it is by an ulp of torch's own rounding
    assert _within_an_ulp(ours, theirs).all()


def test_printed_values_of_the_sweep():
    """d2l's first example and makemore's log10 update ratios print as in torch."""
    powers = torchlet.exp(torchlet.arange(13.0)).numpy()
    assert powers[11] == np.float32(59874.140625)  # math.exp(11) rounded to float32
    assert powers[12] == np.float32(162754.796875)
    assert powers.tolist() == [float(np.float32(math.exp(k))) for k in range(13)]
    ratios = torchlet.tensor([1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1000.0, 1e-5]).log10()
    assert ratios.tolist() == [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, -5.0]
    assert str(ratios) == "tensor([-3., -2., -1.,  0.,  1.,  2.,  3., -5.])"
    assert torchlet.tensor(100.0).log10().item() == 2.0
    assert torchlet.tensor([[1e-3]]).log10().item() == -3.0


def test_scalar_values_are_correctly_rounded():
    """A few hand-checked values: the float32 nearest math.f(x)."""
    cases = [("tanh", 0.5, math.tanh), ("cosh", 1.5, math.cosh), ("exp", 2.0, math.exp),
             ("log", 3.0, math.log), ("asin", 0.5, math.asin), ("expm1", 1e-3, math.expm1),
             ("log1p", 0.25, math.log1p), ("atan", 2.0, math.atan)]
    for name, x, ref in cases:
        out = getattr(torchlet, name)(torchlet.tensor(x)).item()
        assert out == float(np.float32(ref(float(np.float32(x))))), name


@pytest.mark.parametrize("name", sorted(OPS))
def test_special_values(name):
    """Signed zeros, infinities, NaN, subnormals and overflow as the float64 function
    gives them (and torch, when importable)."""
    fn = OPS[name][0]
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-40, -3e-39, 1.0,
                  -1.0, 88.7, 89.0, -87.3, -103.0, -104.0, 3.4e38, -3.4e38], np.float32)
    out = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
    with np.errstate(all="ignore"):
        expected = fn(x.astype(np.float64)).astype(np.float32)
    if name == "log1p":  # torch's: 2 * fl(x / 2) below twice the smallest normal (unary.Log1p)
        tiny = (np.abs(x) < 2 * np.finfo(np.float32).tiny) & (x != 0)
        half = x[tiny] * np.float32(0.5)
        expected[tiny] = (half + half) + np.float32(0)  # 1e-45 -> +0.0, -1e-45 -> +0.0
    assert _same(out, expected).all()
    assert (np.signbit(out) == np.signbit(expected))[~np.isnan(out)].all()
    try:
        import torch
    except ImportError:
        return
    theirs = getattr(torch, name)(torch.from_numpy(x)).numpy()
    if name == "log1p":  # (subnormals: exactly torch's, above)
        assert _same(out, theirs)[5:9].all()
    special = np.arange(len(out)) < 5  # zeros, infinities, NaN: exactly torch's
    assert _same(out, theirs)[special].all()
    # the rest: torch's own result is an ulp off now and then (cos(1), cos(89))
    assert _within_an_ulp(out, theirs).all()


@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_stay_within_an_ulp_of_torch(name):
    """sin and cos keep NumPy's float32 loops (its float64 ones are 15-35x slower): within
    an ulp of the float64 result rounded once, and of torch."""
    x = _inputs(None)
    out = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
    assert _within_an_ulp(out, getattr(np, name)(x.astype(np.float64)).astype(np.float32)).all()
    try:
        import torch
    except ImportError:
        return
    theirs = getattr(torch, name)(torch.from_numpy(x)).numpy()
    assert _within_an_ulp(out, theirs).all() and _same(out, theirs).mean() > 0.75


def test_shapes_dtypes_and_layout():
    assert torchlet.exp(torchlet.tensor(1.0)).shape == ()
    assert torchlet.exp(torchlet.tensor(1.0)).item() == float(np.float32(math.e))
    a = torchlet.randn(4, 6).t()
    out = torchlet.tanh(a)
    assert out.stride() == (1, 6) and out.dtype == torchlet.float32
    assert torchlet.exp(torchlet.tensor([1, 2])).dtype == torchlet.float32  # int promoted
    x64 = torchlet.tensor([0.5, 2.0], dtype=torchlet.float64)
    assert torchlet.exp(x64).numpy().tolist() == [math.exp(0.5), math.exp(2.0)]


def test_rounded_once_keeps_zero_dim_arrays():
    for dtype in (np.float16, np.float32, np.float64):
        out = rounded_once(np.exp, np.array(1.0, dtype))
        assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == dtype


def test_float16_is_the_float32_result_rounded_to_half():
    """torch computes half in float32 and rounds to half: double rounding, reproduced."""
    x = np.arange(0, 65536, 7, dtype=np.uint32).astype(np.uint16).view(np.float16)
    for name in ("exp", "tanh", "log10", "tan"):
        fn = OPS[name][0]
        out = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
        with np.errstate(all="ignore"):
            expected = fn(x.astype(np.float64)).astype(np.float32).astype(np.float16)
        assert out.dtype == np.float16
        assert _same(out, expected).all(), name


def test_float16_agrees_with_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
    for name in OPS:
        ours = getattr(torchlet, name)(torchlet.from_numpy(x)).numpy()
        theirs = getattr(torch, name)(torch.from_numpy(x)).numpy()
        assert (~_same(ours, theirs)).sum() <= 4, name  # measured: at most 2


def test_sigmoid_formula():
    """1 / (1 + exp(-x)) in float32 with exp rounded once; 0 where exp(-x) overflows."""
    x = (np.random.RandomState(2).randn(1000) * 10).astype(np.float32)
    e = np.exp(-x.astype(np.float64)).astype(np.float32)
    expected = np.float32(1) / (np.float32(1) + e)
    assert (torchlet.sigmoid(torchlet.from_numpy(x)).numpy() == expected).all()
    edge = torchlet.tensor([-100.0, 100.0, 0.0, float("nan")])
    assert edge.sigmoid().numpy()[:3].tolist() == [0.0, 1.0, 0.5]
    assert sigmoid_kernel(np.array(0.0, np.float32)).shape == ()


def test_sigmoid_agrees_with_torch():
    """torch's scalar loop (all of a small tensor, the last n % 32 elements of a large
    one) uses a correctly rounded expf: matched; its vector loop uses SLEEF's expf, an
    ulp off more often, so ~4% of those sigmoids differ, by an ulp or two (1 + e and its
    reciprocal carry exp's ulp into the result's last two bits)."""
    torch = pytest.importorskip("torch")
    x = (np.random.RandomState(3).randn(32 * 500) * 3).astype(np.float32)
    small = [torch.sigmoid(torch.from_numpy(x[i:i + 31].copy())).numpy()
             for i in range(0, 31 * 100, 31)]
    ours = torchlet.sigmoid(torchlet.from_numpy(x[:3100])).numpy()
    assert (np.concatenate(small) == ours).mean() >= 0.998
    big = torch.sigmoid(torch.from_numpy(x)).numpy()
    ours = torchlet.sigmoid(torchlet.from_numpy(x)).numpy()
    assert (big == ours).mean() >= 0.94
    assert _within_an_ulp(big, ours, ulps=2).all()
    # nn.functional.sigmoid is the same function
    assert (torchlet.nn.functional.sigmoid(torchlet.from_numpy(x)).numpy() == ours).all()


def test_backward_reuses_the_rounded_output():
    x = torchlet.tensor([0.5, 1.5, -2.0], requires_grad=True)
    y = torchlet.exp(x)
    y.sum().backward()
    assert (x.grad.numpy() == y.detach().numpy()).all()  # exp's grad = grad * out
    x = torchlet.tensor([0.5, -1.25], requires_grad=True)
    y = torchlet.tanh(x)
    y.sum().backward()
    t = y.detach().numpy().astype(np.float64)
    assert (x.grad.numpy() == (1 - t * t).astype(np.float32)).all()


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_float64(name):
    transform = OPS[name][1]
    x = _inputs(transform, n=5, seed=4).astype(np.float64)
    if name in ("log", "log2", "log10"):
        x = x + 0.5
    if name in ("asin", "acos"):
        x = x * 0.9
    t = torchlet.tensor(x, dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(getattr(torchlet, name), (t,), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("exponent", [1.5, 0.3, -1.7])
def test_float32_pow_is_float64_rounded_once(exponent):
    """x ** e (a float exponent, none of torch's fast kernels) and 10 ** x: powf's result,
    correctly rounded nearly always; NumPy's float32 power is an ulp off for ~20%."""
    x = np.abs(_inputs(None)) + np.float32(0.01)
    out = (torchlet.from_numpy(x) ** exponent).numpy()
    held = float(np.float32(exponent))  # torch holds the exponent in the tensor's dtype
    assert _same(out, np.power(x.astype(np.float64), held).astype(np.float32)).all()
    ten = (10 ** torchlet.from_numpy(x / 4)).numpy()
    assert _same(ten, np.power(10.0, (x / 4).astype(np.float64)).astype(np.float32)).all()
    try:
        import torch
    except ImportError:
        return
    theirs = (torch.from_numpy(x) ** exponent).numpy()
    assert _same(out, theirs).mean() > 0.95 and _within_an_ulp(out, theirs).all()

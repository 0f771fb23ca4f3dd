"""torch's answers at special values for nn activations and pooling, beyond the op specs
(tests/specs/special_nn.py):

* the rules themselves, stated without torch (they run everywhere): signed zeros and NaN
  in max pooling windows, torch's scalar kernels at NaN and -0.0, exp overflowing in
  silu/mish/glu, gelu's second derivative;
* bit-for-bit comparisons with torch on many values: max pooling with ties of 0.0 and
  -0.0 in both orders,
  the average pools' backward where windows overlap (the order of the sums).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
NAN, INF = float("nan"), float("inf")


def _bits_equal(a, b) -> bool:
    """Same numbers, same signs of zero, NaN where NaN."""
    a, b = np.asarray(a), np.asarray(b)
    same = (a == b) & (np.signbit(a) == np.signbit(b))
    return a.shape == b.shape and bool(np.all(same | (np.isnan(a) & np.isnan(b))))


def _grad(fn, values, dtype=np.float32, upstream=2.0):
    x = torchlet.tensor(np.array(values, dtype), requires_grad=True)
    y = fn(x)
    (g,) = torchlet.autograd.grad(y, x, torchlet.tensor(np.full(y.shape, upstream, dtype)))
    return y.detach().numpy(), g.numpy()


# ---------------------------------------------------------------------------------------
# max pooling: torch keeps its running maximum until an element is strictly larger (or
# NaN), starting from -inf


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_zero_ties_keep_the_first_zero(dtype):
    x = torchlet.tensor(np.array([[[-0.0, 0.0, 0.0, -0.0, -1.0, -0.0, -0.0, -2.0]]], dtype))
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    assert _bits_equal(out.numpy(), np.array([[[-0.0, 0.0, -0.0, -0.0]]], dtype))
    assert idx.numpy().tolist() == [[[0, 2, 5, 6]]]
    out2, idx2 = F.max_pool2d(x.reshape(1, 2, 4), 2, return_indices=True)
    assert _bits_equal(out2.numpy(), np.array([[[-0.0, 0.0]]], dtype))  # first in window
    assert idx2.numpy().tolist() == [[[0, 2]]]


def test_max_pool_nan_and_minus_inf_windows():
    x = torchlet.tensor(np.array([[[NAN, 1.0, 1.0, NAN, NAN, NAN, -INF, -INF]]], np.float32),
                        requires_grad=True)
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    assert idx.numpy().tolist() == [[[0, 3, 5, 6]]]  # a NaN wins, the last NaN of a window
    assert np.isnan(out.detach().numpy()[0, 0, :3]).all() and out.detach().numpy()[0, 0, 3] == -INF
    out.sum().backward()
    assert x.grad.numpy().tolist() == [[[1, 0, 0, 1, 0, 1, 1, 0]]]


def test_adaptive_max_pool_zero_ties():
    x = torchlet.tensor(np.array([[[0.0, -0.0, -0.0, 0.0, -0.0]]], np.float32))
    out, idx = F.adaptive_max_pool1d(x, 2, return_indices=True)  # windows [0, 3), [2, 5)
    assert _bits_equal(out.numpy(), np.array([[[0.0, -0.0]]], np.float32))
    assert idx.numpy().tolist() == [[[0, 2]]]


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pools_match_torch_on_special_windows(dtype):
    values = np.array([0.0, -0.0, NAN, -INF, INF, 1.0, -1.0], dtype)
    rng = np.random.default_rng(7)
    pairs = np.array([(a, b) for a in values for b in values], dtype).reshape(1, 1, -1)
    cases = [
        (pairs, lambda f, x: f.max_pool1d(x, 2, return_indices=True)),
        (pairs, lambda f, x: f.max_pool1d(x, 3, 1, 1, return_indices=True)),
        (pairs, lambda f, x: f.adaptive_max_pool1d(x, 33, return_indices=True)),
    ]
    for _ in range(10):
        grid = rng.choice(values, size=(2, 3, 7, 9))
        cases.append((grid, lambda f, x: f.max_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                         return_indices=True)))
        cases.append((grid, lambda f, x: f.max_pool2d(x, 2, 1, dilation=2,
                                                         return_indices=True)))
        cases.append((grid, lambda f, x: f.adaptive_max_pool2d(x, (5, 4), True)))
        cases.append((grid, lambda f, x: f.max_pool3d(x, 2, 1, return_indices=True)))
    for data, fn in cases:
        got, want = fn(F, torchlet.tensor(data)), fn(torch.nn.functional, torch.tensor(data))
        assert _bits_equal(got[0].numpy(), want[0].numpy())
        assert np.array_equal(got[1].numpy(), want[1].numpy())


# ---------------------------------------------------------------------------------------
# average pooling backward: torch adds each window's share to its inputs window by window


@needs_torch
@pytest.mark.parametrize("seed", range(6))
def test_average_pool_backward_sums_in_torch_order(seed):
    rng = np.random.default_rng(seed)
    dtype = (np.float32, np.float64)[seed % 2]
    x = rng.standard_normal((2, 3, 5 + seed, 9 - seed)).astype(dtype)
    out_size = ((3, 4), (13, 2), (7, 11))[seed % 3]  # overlapping windows, larger outputs
    fns = [lambda f, t: f.adaptive_avg_pool2d(t, out_size),
           lambda f, t: f.avg_pool2d(t, 3, 1, 1, count_include_pad=False)]
    for fn in fns:
        grads = []
        for lib, f in ((torchlet, F), (torch, torch.nn.functional)):
            t = lib.tensor(x, requires_grad=True)
            y = fn(f, t)
            g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype))
            grads.append(lib.autograd.grad(y, t, g)[0].numpy())
        assert np.array_equal(grads[0], grads[1])


# ---------------------------------------------------------------------------------------
# elementwise activations: torch's scalar kernels (every tensor smaller than one SIMD
# block takes them; see tests/specs/special_nn.py)


def test_elu_family_nan_takes_the_linear_gradient():
    # torch's elu_backward: x <= 0 ? exponential branch : grad * scale, and NaN <= 0 is false
    for fn, slope in ((F.elu, 2.0), (F.celu, 2.0), (F.selu, 2 * np.float32(1.0507009873554805))):
        out, g = _grad(fn, [NAN, -1.0, 1.0])
        assert np.isnan(out[0]) and g[0] == np.float32(slope) and g[2] == np.float32(slope)


def test_piecewise_backward_at_nan():
    # hardswish: x <= -3 ? 0 : x < 3 ? grad * (x / 3 + 1/2) : grad  -> NaN passes grad
    # hardtanh, relu6: x <= lo || x >= hi ? 0 : grad                   -> NaN passes grad
    # hardshrink, softshrink: -l <= x <= l ? 0 : grad                  -> NaN passes grad
    # hardsigmoid: -3 < x < 3 ? grad / 6 : 0                           -> NaN gets 0
    for fn, want in ((F.hardswish, 2.0), (F.hardtanh, 2.0), (F.relu6, 2.0),
                     (F.hardshrink, 2.0), (F.softshrink, 2.0), (F.hardsigmoid, 0.0)):
        _, g = _grad(fn, [NAN, 10.0])
        assert g[0] == want


def test_softshrink_is_x_times_zero_inside():
    out = F.softshrink(torchlet.tensor(np.array([-0.5, -0.0, 0.0, 0.25, -1e-40, NAN, -2.0],
                                                np.float32))).numpy()
    assert _bits_equal(out, np.array([-0.0, -0.0, 0.0, 0.0, -0.0, NAN, -1.5], np.float32))


def test_clamps_keep_minus_zero_and_nan():
    x = torchlet.tensor(np.array([-0.0, NAN, -5.0, 7.0], np.float32))
    assert _bits_equal(F.relu6(x).numpy(), np.array([-0.0, NAN, 0.0, 6.0], np.float32))
    assert _bits_equal(F.hardtanh(x).numpy(), np.array([-0.0, NAN, -1.0, 1.0], np.float32))


def test_exp_overflow_gives_zeros_as_torch():
    # silu = x / (1 + exp(-x)) and its sigmoid 1 / (1 + exp(-x)): exp(100) is inf in float32
    out, g = _grad(F.silu, [-100.0, 100.0])
    assert _bits_equal(out, np.array([-0.0, 100.0], np.float32)) and _bits_equal(g[:1], [-0.0])
    # mish's gradient at -100: tanh(softplus(-100)) ~ 3.8e-44, the sigmoid term is 0 * ...
    _, g = _grad(F.mish, [-100.0])
    assert 0 < g[0] < 1e-42
    # glu: a * sigmoid(b) is exactly 0 where exp(-b) overflows
    out = F.glu(torchlet.tensor(np.array([1.0, -100.0], np.float32))).numpy()
    assert _bits_equal(out, np.array([0.0], np.float32))


def test_gelu_backward_under_create_graph_is_close():
    # first-order gradients and those under create_graph come from one formula, which
    # differentiates again to gelu'' = pdf * (2 - x^2)
    x = np.linspace(-4, 4, 41).astype(np.float32)
    _, g1 = _grad(F.gelu, x, upstream=1.0)
    t = torchlet.tensor(x, requires_grad=True)
    (g2,) = torchlet.autograd.grad(F.gelu(t).sum(), t, create_graph=True)
    np.testing.assert_allclose(g1, g2.detach().numpy(), rtol=1e-4, atol=1e-6)
    (h,) = torchlet.autograd.grad(g2.sum(), t)
    pdf = np.exp(-x.astype(np.float64) ** 2 / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(h.numpy(), pdf * (2 - x.astype(np.float64) ** 2), atol=1e-5)

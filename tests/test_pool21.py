"""Adaptive / average pooling rounding as torch's kernels round, float16 linear
interpolation, and the strides of empty or size-1 pooling results (helper pool21).

* adaptive_avg_pool2d on a channels_last input (its backward: on a channels_last
  gradient) runs torch's channels-last kernel, which divides the sums of the channels
  its 256-bit vector loop covers by kh * kw at once, the rest by kh, then kw;
* float16: every average-pool backward divides and adds up in float16, and so does
  adaptive_avg_pool3d's forward (the 2-d forward sums in float32);
* float16 linear interpolation (generic kernel) uses float16 weights with
  lambda0 = 1 - lambda1 computed in float16; the channels-last kernel starts each sum
  from a plain product of the last corner (vector lanes) or the first corner (the rest).
"""

import itertools

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


def _bounds(o, size, out):
    return o * size // out, -(-(o + 1) * size // out)


def _adaptive_avg(x: np.ndarray, out_size, lanes=0, in_half=False) -> np.ndarray:
    """torch's adaptive average, window by window: the sum (float32 for float16 unless
    ``in_half``), divided by the window size at once for channel c < C - C % lanes, else
    side by side."""
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    acc = np.float32 if x.dtype == np.float16 and not in_half else x.dtype.type
    vector = c - c % lanes if lanes else 0
    out = np.zeros((n, c) + tuple(out_size), x.dtype)
    for o in itertools.product(*(range(s) for s in out_size)):
        bounds = [_bounds(i, s, so) for i, s, so in zip(o, sizes, out_size)]
        total = np.zeros((n, c), acc)
        for p in itertools.product(*(range(a, b) for a, b in bounds)):
            total = (total + x[(slice(None), slice(None)) + p].astype(acc)).astype(acc)
        sides = [b - a for a, b in bounds]
        at_once = total / acc(np.prod(sides))
        in_turn = total
        for side in sides:
            in_turn = (in_turn / acc(side)).astype(acc)
        res = np.where(np.arange(c) < vector, at_once, in_turn)
        out[(slice(None), slice(None)) + o] = res.astype(x.dtype)
    return out


def _adaptive_avg_backward(g: np.ndarray, in_size, lanes=0) -> np.ndarray:
    """torch's backward: each gradient divided (in its own precision, float16 too) and
    added to its window's inputs, window after window."""
    n, c = g.shape[:2]
    out_size = g.shape[2:]
    ftype = g.dtype.type
    vector = c - c % lanes if lanes else 0
    grad = np.zeros((n, c) + tuple(in_size), g.dtype)
    for o in itertools.product(*(range(s) for s in out_size)):
        bounds = [_bounds(i, s, so) for i, s, so in zip(o, in_size, out_size)]
        sides = [b - a for a, b in bounds]
        v = g[(slice(None), slice(None)) + o]
        in_turn = v
        for side in sides:
            in_turn = in_turn / ftype(side)
        delta = np.where(np.arange(c) < vector, v / ftype(np.prod(sides)), in_turn)
        for p in itertools.product(*(range(a, b) for a, b in bounds)):
            grad[(slice(None), slice(None)) + p] += delta.astype(g.dtype)
    return grad


def _channels_last(a: np.ndarray):
    t = torchlet.tensor(a)
    fmt = torchlet.channels_last if a.ndim == 4 else torchlet.channels_last_3d
    return t.contiguous(memory_format=fmt)


# ---------------------------------------------------------------------------------------
# 1. channels_last adaptive_avg_pool2d divides its vector lanes' sums at once


@pytest.mark.parametrize("dtype,channels", [(np.float64, 5), (np.float64, 20),
                                            (np.float32, 9), (np.float16, 17)])
def test_adaptive_avg_pool2d_channels_last_vector_lanes(dtype, channels):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, channels, 11, 13)).astype(dtype)
    lanes = 32 // np.dtype(dtype).itemsize
    out = F.adaptive_avg_pool2d(_channels_last(x), (6, 8))
    np.testing.assert_array_equal(out.numpy(), _adaptive_avg(x, (6, 8), lanes))
    assert out.stride() == (48 * channels, 1, 8 * channels, channels)
    # a contiguous input: every channel side by side
    np.testing.assert_array_equal(F.adaptive_avg_pool2d(torchlet.tensor(x), (6, 8)).numpy(),
                                  _adaptive_avg(x, (6, 8)))


def test_adaptive_avg_pool2d_channels_last_float64_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(1)
    for _ in range(10):
        x = torch.tensor(rng.standard_normal((2, 5, 11, 13))).contiguous(
            memory_format=torch.channels_last)
        want = torch.nn.functional.adaptive_avg_pool2d(x, (6, 8))
        got = F.adaptive_avg_pool2d(_channels_last(x.numpy()), (6, 8))
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_adaptive_avg_pool2d_backward_follows_gradient_layout():
    """torch picks the backward kernel by the gradient's layout, not the input's."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 15, 8, 5))
    g = rng.standard_normal((2, 15, 5, 3))
    for x_cl in (False, True):
        for g_cl in (False, True):
            xt = (_channels_last(x) if x_cl else torchlet.tensor(x)).requires_grad_()
            gt = _channels_last(g) if g_cl else torchlet.tensor(g)
            (grad,) = torchlet.autograd.grad(F.adaptive_avg_pool2d(xt, (5, 3)), xt, gt)
            want = _adaptive_avg_backward(g, (8, 5), lanes=4 if g_cl else 0)
            np.testing.assert_array_equal(grad.numpy(), want)
            assert grad.stride() == xt.stride()


# ---------------------------------------------------------------------------------------
# 2. float16: backward (and adaptive_avg_pool3d's forward) in float16


def test_adaptive_avg_pool2d_float16_backward_in_half():
    torch = _torch()
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = torch.tensor(rng.standard_normal((1, 1, 3, 8)), dtype=torch.float16,
                         requires_grad=True)
        g = torch.tensor(rng.standard_normal((1, 1, 5, 3)), dtype=torch.float16)
        torch.nn.functional.adaptive_avg_pool2d(x, (5, 3)).backward(g)
        xt = torchlet.tensor(x.detach().numpy()).requires_grad_()
        F.adaptive_avg_pool2d(xt, (5, 3)).backward(torchlet.tensor(g.numpy()))
        np.testing.assert_array_equal(xt.grad.numpy(), x.grad.numpy())
        np.testing.assert_array_equal(xt.grad.numpy(),
                                      _adaptive_avg_backward(g.numpy(), (3, 8)))


def test_adaptive_avg_pool2d_float16_backward_hand_example():
    """5 -> 2: windows [0, 3) and [2, 5); input 2 gets both shares, added in float16:
    0.1 / 3 + 0.9 / 3 = 0.03333 + 0.3 = 0.3335 (in float32 then rounded: 0.3333)."""
    g = np.array([[[[0.1, 0.9]]]], np.float16)
    x = torchlet.zeros((1, 1, 1, 5), dtype=torchlet.float16, requires_grad=True)
    F.adaptive_avg_pool2d(x, (1, 2)).backward(torchlet.tensor(g))
    s = g[0, 0, 0] / np.float16(3)
    np.testing.assert_array_equal(x.grad.numpy()[0, 0, 0], [s[0], s[0], s[0] + s[1], s[1], s[1]])
    assert x.grad.numpy()[0, 0, 0, 2] == np.float16(0.3335)


def test_adaptive_avg_pool3d_float16_forward_in_half():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 7, 6)).astype(np.float16)
    for xt in (torchlet.tensor(x), _channels_last(x)):
        out = F.adaptive_avg_pool3d(xt, (3, 4, 5))
        np.testing.assert_array_equal(out.numpy(), _adaptive_avg(x, (3, 4, 5), in_half=True))


def test_avg_pool2d_float16_backward_in_half():
    """avg_pool2d's backward: grad / divisor in float16, added up in float16."""
    x = torchlet.zeros((1, 1, 1, 4), dtype=torchlet.float16, requires_grad=True)
    g = np.array([[[[0.1, 0.1, 0.3, 0.9]]]], np.float16)
    F.avg_pool2d(x, (1, 3), stride=1, padding=(0, 1)).backward(torchlet.tensor(g))
    s = g[0, 0, 0] / np.float16(3)  # (float16 shares, added in float16, window by window)
    want = [s[0] + s[1], s[0] + s[1] + s[2], s[1] + s[2] + s[3], s[2] + s[3]]
    np.testing.assert_array_equal(x.grad.numpy()[0, 0, 0], np.array(want, np.float16))
    wide = g[0, 0, 0].astype(np.float32) / 3  # (float32 would give another answer)
    assert np.float16(wide[0] + wide[1] + wide[2]) != want[1]


def test_avg_pool2d_float16_backward_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.standard_normal((2, 4, 7, 5)), dtype=torch.float16,
                     requires_grad=True)
    out = torch.nn.functional.avg_pool2d(x, (3, 1), (2, 1), (1, 0))
    g = torch.tensor(rng.standard_normal(tuple(out.shape)), dtype=torch.float16)
    out.backward(g)
    xt = torchlet.tensor(x.detach().numpy()).requires_grad_()
    F.avg_pool2d(xt, (3, 1), (2, 1), (1, 0)).backward(torchlet.tensor(g.numpy()))
    np.testing.assert_array_equal(xt.grad.numpy(), x.grad.numpy())


# ---------------------------------------------------------------------------------------
# 3. strides of empty and size-1 results


def test_adaptive_max_pool1d_empty_output_strides():
    x = torchlet.randn(1, 5, 4)
    out, idx = F.adaptive_max_pool1d(x, 0, return_indices=True)
    assert out.shape == (1, 5, 0)
    assert out.stride() == (5, 1, 1) and idx.stride() == (5, 1, 1)
    assert F.adaptive_avg_pool1d(x, 0).stride() == (5, 1, 1)


def test_padded_pool_backward_strides_with_size_one_planes():
    """A ceil_mode/padded pool's backward over size-1 planes is contiguous (its strides
    do not count the padding)."""
    x = torchlet.randn(1, 1, 8, requires_grad=True)
    out, _ = F.max_pool1d(x, 3, ceil_mode=True, return_indices=True)
    (grad,) = torchlet.autograd.grad(out, x, torchlet.ones_like(out))
    assert grad.stride() == (8, 8, 1)
    np.testing.assert_array_equal(grad.numpy().sum(), 3.0)
    y = torchlet.randn(1, 1, 1, 2, dtype=torchlet.float64, requires_grad=True)
    out = F.avg_pool2d(y, (2, 4), (3, 2), (1, 1), ceil_mode=True)
    (grad,) = torchlet.autograd.grad(out, y, torchlet.ones_like(out))
    assert grad.stride() == (2, 2, 2, 1)
    np.testing.assert_array_equal(grad.numpy(), np.full((1, 1, 1, 2), 1 / 8))


# ---------------------------------------------------------------------------------------
# 4. float16 linear interpolation


def test_linear_float16_weights_lambda0_from_rounded_lambda1():
    """2 -> 5 (align_corners=False), output 3: lambda1 = 0.9 in float, 0.8999 in float16;
    torch's lambda0 is 1 - 0.8999 in float16 (0.1001), not float16(1 - 0.9) (0.1)."""
    x = np.array([[[1.0, 0.0]]], np.float16)
    out = F.interpolate(torchlet.tensor(x), size=5, mode="linear").numpy()[0, 0]
    src = np.maximum((np.arange(5) + 0.5) * np.float32(2 / 5) - 0.5, 0).astype(np.float32)
    i0 = np.minimum(np.floor(src).astype(int), 1)
    i1 = np.minimum(i0 + 1, 1)
    lam1 = np.minimum(src - i0, 1).astype(np.float16)
    lam0 = np.float16(1) - lam1
    xf = x[0, 0].astype(np.float32)
    want = (xf[i0] * lam0.astype(np.float32) + xf[i1] * lam1.astype(np.float32))
    np.testing.assert_array_equal(out, want.astype(np.float16))
    assert out[3] == np.float16(1) - np.float16(0.9) != np.float16(0.1)


def test_interpolate_float16_matches_torch_sampled():
    torch = _torch()
    rng = np.random.default_rng(6)
    for _ in range(24):
        nd = int(rng.integers(1, 4))
        mode = ("linear", "bilinear", "trilinear")[nd - 1]
        channels = int(rng.choice([1, 4, 5, 16, 17]))
        size = [int(rng.integers(1, 8)) for _ in range(nd)]
        out = [int(rng.integers(1, 3 * s + 1)) for s in size]
        corners = bool(rng.integers(2))
        x = torch.tensor(rng.standard_normal([2, channels] + size), dtype=torch.float16)
        xt = torchlet.tensor(x.numpy())
        if nd > 1 and rng.integers(2):
            x = x.contiguous(memory_format=torch.channels_last if nd == 2
                             else torch.channels_last_3d)
            xt = _channels_last(x.numpy())
        want = torch.nn.functional.interpolate(x, size=out, mode=mode, align_corners=corners)
        got = F.interpolate(xt, size=out, mode=mode, align_corners=corners)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.stride() == want.stride()


# ---------------------------------------------------------------------------------------
# 5. sampled differential test against torch


def _sample_configs():
    rng = np.random.default_rng(21)
    configs = []
    for i in range(60):
        nd = 1 + i % 3
        dtype = ("float16", "float32", "float64")[(i // 3) % 3]
        layout = nd > 1 and bool(rng.integers(2))
        channels = int(rng.choice([1, 3, 4, 5, 9, 17]))
        size = [int(rng.integers(1, 9)) for _ in range(nd)]
        out = [int(rng.integers(1, 2 * s + 1)) for s in size]
        configs.append((nd, dtype, layout, channels, size, out, bool(rng.integers(2))))
    return configs


def test_adaptive_avg_pool_sampled_against_torch():
    torch = _torch()
    rng = np.random.default_rng(7)
    for nd, dtype, layout, channels, size, out, grad_layout in _sample_configs():
        fn = f"adaptive_avg_pool{nd}d"
        shape = [2, channels] + size
        fmt = torch.channels_last if nd == 2 else torch.channels_last_3d
        x = torch.tensor(rng.standard_normal(shape), dtype=getattr(torch, dtype))
        xt = torchlet.tensor(x.numpy())
        if layout:
            x, xt = x.contiguous(memory_format=fmt), _channels_last(x.numpy())
        x.requires_grad_()
        xt.requires_grad_()
        size_arg = out[0] if nd == 1 else out
        want = getattr(torch.nn.functional, fn)(x, size_arg)
        got = getattr(F, fn)(xt, size_arg)
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        assert got.stride() == want.stride()
        g = torch.tensor(rng.standard_normal(tuple(want.shape)), dtype=x.dtype)
        gt = torchlet.tensor(g.numpy())
        if layout and grad_layout:
            g, gt = g.contiguous(memory_format=fmt), _channels_last(g.numpy())
        (gx,) = torch.autograd.grad(want, x, g)
        (gxt,) = torchlet.autograd.grad(got, xt, gt)
        np.testing.assert_array_equal(gxt.numpy(), gx.numpy())
        assert gxt.stride() == gx.stride()


def test_avg_pool2d_sampled_against_torch():
    torch = _torch()
    rng = np.random.default_rng(8)
    for i in range(30):
        dtype = (torch.float16, torch.float32, torch.float64)[i % 3]
        shape = [int(rng.integers(1, 3)), int(rng.choice([1, 4, 17]))] + [
            int(rng.integers(2, 9)) for _ in range(2)]
        k = [int(rng.integers(1, 4)) for _ in range(2)]
        kw = dict(stride=[int(rng.integers(1, 3)) for _ in range(2)],
                  padding=[int(rng.integers(0, kk // 2 + 1)) for kk in k],
                  ceil_mode=bool(rng.integers(2)), count_include_pad=bool(rng.integers(2)))
        if rng.random() < 0.3:
            kw["divisor_override"] = int(rng.integers(1, 7))
        x = torch.tensor(rng.standard_normal(shape), dtype=dtype)
        xt = torchlet.tensor(x.numpy())
        if rng.integers(2):
            x, xt = x.contiguous(memory_format=torch.channels_last), _channels_last(x.numpy())
        x.requires_grad_()
        xt.requires_grad_()
        want = torch.nn.functional.avg_pool2d(x, k, **kw)
        got = F.avg_pool2d(xt, k, **kw)
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        g = torch.tensor(rng.standard_normal(tuple(want.shape)), dtype=dtype)
        (gx,) = torch.autograd.grad(want, x, g)
        (gxt,) = torchlet.autograd.grad(got, xt, torchlet.tensor(g.numpy()))
        np.testing.assert_array_equal(gxt.numpy(), gx.numpy())
        assert gxt.stride() == gx.stride()

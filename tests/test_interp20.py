"""Session 20: linear, bilinear and trilinear interpolate bit for bit with torch's CPU
kernels, forward and backward: which kernel runs (generic or channels-last), the order
each sums its taps in, the fused multiply-adds GCC makes of them, the backward's
sequential scatter, and floorf on double source indices."""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn._functional.upsampling import _channels_last_kernel

f32, f64 = np.float32, np.float64


def _fma32(a, b, c):
    """float32 a * b + c rounded once (in float64, where a float product is exact)."""
    return f32(f64(a) * f64(b) + f64(c))


def _taps(n_in, n_out, align_corners):
    """torch's compute_source_index_and_lambda in float32 (size given, no scale)."""
    if n_in == n_out:
        return [(o, o, f32(1), f32(0)) for o in range(n_out)]
    if align_corners:
        scale = f32(n_in - 1) / f32(n_out - 1) if n_out > 1 else f32(0)
    else:
        scale = f32(n_in) / f32(n_out)
    taps = []
    for o in range(n_out):
        real = scale * f32(o) if align_corners else max(
            _fma32(scale, f32(o) + f32(0.5), f32(-0.5)), f32(0))
        i0 = min(int(np.floor(real)), n_in - 1)
        lam1 = f32(min(max(f32(real - f32(i0)), f32(0)), f32(1)))
        taps.append((i0, i0 + (i0 < n_in - 1), f32(1) - lam1, lam1))
    return taps


def _bilinear_loops(x, size, align_corners, channels_last_kernel):
    """torch's two float32 bilinear kernels, as loops. Generic: t = x0 * w0 + x1 * w1 per
    row (the first product fused), then the rows the same way. Channels-last (channels
    one at a time: fewer than 8): w_ab = h_a * w_b and ((c00 + c01) + c10) + c11, the
    first two as fma(x00, w00, x01 * w01), then one fma per corner."""
    n, c, h, w = x.shape
    rows, cols = _taps(h, size[0], align_corners), _taps(w, size[1], align_corners)
    out = np.zeros((n, c) + tuple(size), f32)
    for oh, (h0, h1, hl0, hl1) in enumerate(rows):
        for ow, (w0, w1, wl0, wl1) in enumerate(cols):
            p = x[:, :, [h0, h0, h1, h1], [w0, w1, w0, w1]]
            if channels_last_kernel:
                wt = [f32(hl0 * wl0), f32(hl0 * wl1), f32(hl1 * wl0), f32(hl1 * wl1)]
                s = f32(p[..., 1] * wt[1])
                for k in (0, 2, 3):
                    s = _fma32(p[..., k], wt[k], s)
            else:
                t0 = _fma32(p[..., 0], wl0, f32(p[..., 1] * wl1))
                t1 = _fma32(p[..., 2], wl0, f32(p[..., 3] * wl1))
                s = _fma32(t0, hl0, f32(t1 * hl1))
            out[:, :, oh, ow] = s
    return out


def _bilinear_backward_loop(g, in_size, align_corners):
    """torch's backward: output points in row-major order, taps 00, 01, 10, 11, each
    grad_in += (h * w) * g as one fused multiply-add."""
    oh_, ow_ = g.shape[-2:]
    rows, cols = _taps(in_size[0], oh_, align_corners), _taps(in_size[1], ow_, align_corners)
    out = np.zeros(g.shape[:2] + tuple(in_size), f32)
    for oh, (h0, h1, hl0, hl1) in enumerate(rows):
        for ow, (w0, w1, wl0, wl1) in enumerate(cols):
            for ih, iw, wt in ((h0, w0, f32(hl0 * wl0)), (h0, w1, f32(hl0 * wl1)),
                               (h1, w0, f32(hl1 * wl0)), (h1, w1, f32(hl1 * wl1))):
                out[:, :, ih, iw] = _fma32(wt, g[:, :, oh, ow], out[:, :, ih, iw])
    return out


# ---------------------------------------------------------------------------------------
# which kernel


def test_kernel_choice_follows_torchs_rules():
    small = np.zeros((1, 2, 4, 4), f32)
    assert _channels_last_kernel(small, [64, 64])  # H + W <= 128
    assert not _channels_last_kernel(small, [64, 65])
    wide = np.zeros((1, 4, 4, 4), f32).transpose(0, 2, 3, 1).copy().transpose(0, 3, 1, 2)
    assert _channels_last_kernel(wide, [100, 100])  # channels_last, more than 3 channels
    assert not _channels_last_kernel(wide[:, :2], [100, 100])  # (3 channels: next test)
    assert not _channels_last_kernel(np.zeros((1, 2, 4), f32), [5])  # 1-d: generic
    vol = np.zeros((1, 4, 2, 2, 2), f32).transpose(0, 2, 3, 4, 1).copy().transpose(0, 4, 1, 2, 3)
    assert _channels_last_kernel(vol, [3, 3, 3])
    assert not _channels_last_kernel(np.zeros((1, 4, 2, 2, 2), f32), [3, 3, 3])


def test_three_channels_on_one_thread_take_the_channels_last_kernel():
    before = torchlet.get_num_threads()
    x = np.zeros((1, 3, 4, 4), f32)
    try:
        torchlet.set_num_threads(1)
        assert _channels_last_kernel(x, [100, 100])
        torchlet.set_num_threads(2)
        assert not _channels_last_kernel(x, [100, 100])
    finally:
        torchlet.set_num_threads(before)


# ---------------------------------------------------------------------------------------
# against the kernels written as loops


@pytest.mark.parametrize("size, align_corners, cl", [((12, 12), False, True),
                                                     ((9, 7), True, True),
                                                     ((70, 61), False, False),
                                                     ((65, 66), True, False)])
def test_bilinear_matches_torchs_loops(size, align_corners, cl):
    x = np.random.default_rng(sum(size)).standard_normal((1, 2, 6, 5)).astype(f32)
    out = F.interpolate(torchlet.tensor(x), size=size, mode="bilinear",
                        align_corners=align_corners)
    np.testing.assert_array_equal(out.numpy(), _bilinear_loops(x, size, align_corners, cl))


def test_channels_last_sum_order_matters_here():
    # the loops' two orders disagree on this input, so the test above can tell them apart
    x = np.random.default_rng(12 + 12).standard_normal((1, 2, 6, 5)).astype(f32)
    a = _bilinear_loops(x, (12, 12), False, True)
    b = _bilinear_loops(x, (12, 12), False, False)
    assert (a != b).any()


@pytest.mark.parametrize("in_size, size, align_corners", [((3, 4), (7, 9), False),
                                                          ((5, 3), (2, 8), True)])
def test_bilinear_backward_matches_torchs_loop(in_size, size, align_corners):
    rng = np.random.default_rng(in_size[0])
    x = torchlet.tensor(rng.standard_normal((1, 2) + in_size).astype(f32), requires_grad=True)
    out = F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)
    g = rng.standard_normal(tuple(out.shape)).astype(f32)
    out.backward(torchlet.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), _bilinear_backward_loop(g, in_size,
                                                                          align_corners))


def test_double_source_index_goes_through_floorf():
    # 3 -> 9, output 4: fma(1/3, 4.5, -0.5) is 1 - 2**-53 in double, but torch floors it
    # as a float (1.0): tap 1 with weight 1, not tap 0 with weight 2**-53
    x = torchlet.tensor([[[0.0, 1.0, 0.0]]], dtype=torchlet.float64)
    out = F.interpolate(x, size=9, mode="linear")
    assert out[0, 0, 4].item() == 1.0
    y = torchlet.tensor([[[1.0, 0.0, 0.0]]], dtype=torchlet.float64)
    assert F.interpolate(y, size=9, mode="linear")[0, 0, 4].item() == 0.0


# ---------------------------------------------------------------------------------------
# against torch


def _sample(rng):
    mode = ["linear", "bilinear", "trilinear"][int(rng.integers(3))]
    nd = {"linear": 1, "bilinear": 2, "trilinear": 3}[mode]
    top = {1: 30, 2: 14, 3: 6}[nd]
    shape = (int(rng.integers(1, 3)), int(rng.choice([1, 2, 3, 4, 9, 17])),
             *[int(rng.integers(1, top)) for _ in range(nd)])
    kw = {"mode": mode, "align_corners": bool(rng.integers(2))}
    if rng.random() < 0.5:
        kw["size"] = [int(rng.integers(1, 2 * top)) for _ in range(nd)]
    else:
        kw["scale_factor"] = [float(rng.choice([0.5, 1.0, 1.3, 2.0, 3.0, rng.uniform(0.4, 3)]))
                              for _ in range(nd)]
        kw["recompute_scale_factor"] = bool(rng.integers(2))
    layout = nd > 1 and rng.random() < 0.4
    dtype = ["float32", "float64"][int(rng.integers(2))]
    return shape, kw, layout, dtype


def _run(lib, x, g, kw, layout):
    t = lib.tensor(x, requires_grad=True)
    u = t.contiguous(memory_format=lib.channels_last if x.ndim == 4 else
                     lib.channels_last_3d) if layout else t
    out = lib.nn.functional.interpolate(u, **kw)
    out.backward(lib.tensor(g))
    return out.detach().numpy(), t.grad.numpy(), out.grad_fn.name()


def test_sampled_bits_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    checked = 0
    for _ in range(60):
        shape, kw, layout, dtype = _sample(rng)
        x = rng.standard_normal(shape).astype(dtype)
        try:
            probe = torch.nn.functional.interpolate(torch.tensor(x), **kw)
        except RuntimeError:
            continue  # (an empty output: errors are other tests' business)
        g = rng.standard_normal(tuple(probe.shape)).astype(dtype)
        ours, theirs = _run(torchlet, x, g, kw, layout), _run(torch, x, g, kw, layout)
        assert ours[2] == theirs[2]
        np.testing.assert_array_equal(ours[0], theirs[0], err_msg=str((shape, kw, layout)))
        np.testing.assert_array_equal(ours[1], theirs[1], err_msg=str((shape, kw, layout)))
        checked += 1
    assert checked > 40

"""Session 21: bicubic interpolate bit for bit with torch's CPU kernels, forward and
backward (the cubic weights' fused multiply-adds, the forward's sum order, the plain
arithmetic and tap order of the backward); nearest's index shortcuts only where torch
runs its channels-last kernel; the backward's scatter over the input points that still
have contributions (faster, same bits); resize plans reused across calls."""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn._functional.upsampling import _cubic_taps, _resample_plan

f32, f64 = np.float32, np.float64
A = f32(-0.75)


def _fma32(a, b, c):
    """float32 a * b + c rounded once (in float64, where a float product is exact)."""
    return f32(f64(a) * f64(b) + f64(c))


def _cubic_loops(n_in, n_out, align_corners, fused):
    """torch's get_cubic_upsample_coefficients in float32, one output at a time. Forward
    kernel (fused): the source index and each polynomial's first steps as fused
    multiply-adds, their last steps rounded apart; backward kernel: all rounded apart."""
    def mul_add(a, b, c):
        return _fma32(a, b, c) if fused else f32(f32(a * b) + c)

    def near(x):
        return f32(f32(f32(mul_add(A + f32(2), x, -(A + f32(3))) * x) * x) + f32(1))

    def far(x):
        return f32(f32(mul_add(mul_add(A, x, f32(-5) * A), x, f32(8) * A) * x) - f32(4) * A)

    if align_corners:
        scale = f32(n_in - 1) / f32(n_out - 1) if n_out > 1 else f32(0)
    else:
        scale = f32(n_in) / f32(n_out)
    taps = []
    for o in range(n_out):
        if align_corners:
            real = f32(scale * f32(o))
        else:
            real = mul_add(scale, f32(o) + f32(0.5), f32(-0.5))
        base = min(int(np.floor(real)), n_in - 1)
        t = f32(min(max(f32(real - f32(base)), f32(0)), f32(1)))
        index = [min(max(base - 1 + j, 0), n_in - 1) for j in range(4)]
        weight = [far(f32(t + f32(1))), near(t), near(f32(f32(1) - t)),
                  far(f32(f32(f32(1) - t) + f32(1)))]
        taps.append((index, weight))
    return taps


def _bicubic_forward_loop(x, size, align_corners):
    """torch's generic kernel: each row mixed as fma(x0, w0, x1 * w1), then + x2 * w2
    and + x3 * w3 fused; the four rows mixed the same way with the height weights."""
    rows = _cubic_loops(x.shape[2], size[0], align_corners, True)
    cols = _cubic_loops(x.shape[3], size[1], align_corners, True)

    def mix(values, weights):
        acc = _fma32(values[0], weights[0], f32(values[1] * weights[1]))
        for v, w in zip(values[2:], weights[2:]):
            acc = _fma32(v, w, acc)
        return acc

    out = np.zeros(x.shape[:2] + tuple(size), f32)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for oh, (ih, wh) in enumerate(rows):
                for ow, (iw, ww) in enumerate(cols):
                    across = [mix([x[n, c, i, j] for j in iw], ww) for i in ih]
                    out[n, c, oh, ow] = mix(across, wh)
    return out


def _bicubic_backward_loop(g, in_size, align_corners):
    """upsample_bicubic2d_backward_out_frame: output points in row-major order, the
    width tap outside the height tap, grad_in += (g * wh) * ww, every step rounded."""
    rows = _cubic_loops(in_size[0], g.shape[2], align_corners, False)
    cols = _cubic_loops(in_size[1], g.shape[3], align_corners, False)
    out = np.zeros(g.shape[:2] + tuple(in_size), f32)
    for oh, (ih, wh) in enumerate(rows):
        for ow, (iw, ww) in enumerate(cols):
            for b in range(4):
                for a in range(4):
                    value = f32(f32(g[:, :, oh, ow] * wh[a]) * ww[b])
                    out[:, :, ih[a], iw[b]] = out[:, :, ih[a], iw[b]] + value
    return out


def _torch_weights(torch, n_in, n_out, align_corners, dtype):
    """torch's cubic weights along the width, read off one-hot images (interior taps)."""
    x = np.zeros((1, n_in, 1, n_in), dtype)
    x[0, np.arange(n_in), 0, np.arange(n_in)] = 1
    y = torch.nn.functional.interpolate(torch.tensor(x), size=(1, n_out), mode="bicubic",
                                        align_corners=align_corners)
    return y.numpy()[0, :, 0, :]


# ---------------------------------------------------------------------------------------
# bicubic weights


@pytest.mark.parametrize("n_in, n_out, align_corners", [(13, 19, True), (9, 25, False),
                                                        (12, 5, False), (7, 30, True)])
def test_cubic_weights_match_the_loops(n_in, n_out, align_corners):
    for fused in (True, False):
        index, weight = _cubic_taps(n_in, n_out, align_corners, None, f32, fused=fused)
        for o, (i, w) in enumerate(_cubic_loops(n_in, n_out, align_corners, fused)):
            assert index[o].tolist() == i
            np.testing.assert_array_equal(weight[o], np.array(w, f32))


def test_forward_and_backward_weights_differ():
    # the two kernels' roundings give other weights here, so the tests can tell them apart
    fused = _cubic_taps(13, 19, True, None, f32)[1]
    plain = _cubic_taps(13, 19, True, None, f32, fused=False)[1]
    assert (fused != plain).any()
    # (the far weights' last step: fused it would give yet other bits)
    t = f32(1) / f32(3)
    x = f32(t + f32(1))
    inner = _fma32(_fma32(A, x, f32(-5) * A), x, f32(8) * A)
    assert f32(f32(inner * x) - f32(4) * A) != _fma32(inner, x, -(f32(4) * A))


@pytest.mark.parametrize("dtype", [f32, f64])
def test_cubic_weights_against_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    for _ in range(12):
        n_in, n_out, ac = int(rng.integers(6, 15)), int(rng.integers(2, 40)), bool(rng.integers(2))
        theirs = _torch_weights(torch, n_in, n_out, ac, dtype)
        index, weight = _cubic_taps(n_in, n_out, ac, None, dtype)
        for o in range(n_out):
            if len(set(index[o].tolist())) == 4:  # (clamped taps add up in torch's)
                np.testing.assert_array_equal(weight[o], theirs[index[o], o])


# ---------------------------------------------------------------------------------------
# bicubic against the kernels written as loops


@pytest.mark.parametrize("shape, size, align_corners", [((1, 2, 5, 4), (9, 7), False),
                                                        ((2, 1, 6, 7), (4, 11), True),
                                                        ((1, 1, 3, 9), (8, 3), False)])
def test_bicubic_forward_matches_torchs_loop(shape, size, align_corners):
    x = np.random.default_rng(sum(size)).standard_normal(shape).astype(f32)
    out = F.interpolate(torchlet.tensor(x), size=size, mode="bicubic",
                        align_corners=align_corners)
    np.testing.assert_array_equal(out.numpy(), _bicubic_forward_loop(x, size, align_corners))


@pytest.mark.parametrize("in_size, size, align_corners", [((3, 5), (7, 1), False),
                                                          ((6, 2), (4, 5), False),
                                                          ((4, 3), (9, 8), True),
                                                          ((1, 1), (6, 5), False)])
def test_bicubic_backward_matches_torchs_loop(in_size, size, align_corners):
    rng = np.random.default_rng(in_size[0] * 7 + size[1])
    x = torchlet.tensor(rng.standard_normal((1, 2) + in_size).astype(f32), requires_grad=True)
    out = F.interpolate(x, size=size, mode="bicubic", align_corners=align_corners)
    g = rng.standard_normal(tuple(out.shape)).astype(f32)
    out.backward(torchlet.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(),
                                  _bicubic_backward_loop(g, in_size, align_corners))


def test_bicubic_same_size_backward_is_a_copy():
    x = torchlet.tensor(np.ones((1, 1, 3, 3), f32), requires_grad=True)
    out = F.interpolate(x, scale_factor=1.2, mode="bicubic")  # 3 -> 3, weights not 0/1
    g = np.arange(9, dtype=f32).reshape(1, 1, 3, 3)
    out.backward(torchlet.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g)


# ---------------------------------------------------------------------------------------
# nearest: shortcuts in the channels-last kernel only


def _nearest(x, fmt, **kw):
    t = torchlet.tensor(x)
    if fmt is not None:
        t = t.contiguous(memory_format=fmt)
    return F.interpolate(t, mode="nearest", **kw).numpy()


def test_nearest_3d_shortcut_only_in_the_channels_last_kernel():
    x = np.random.default_rng(3).standard_normal((1, 4, 3, 3, 3)).astype(f32)
    # 3 -> 3 with scale_factor 1.3: floor(o / 1.3) reads 0, 0, 1 in the generic kernel
    plain = _nearest(x, None, scale_factor=1.3)
    np.testing.assert_array_equal(plain, x[:, :, [0, 0, 1]][:, :, :, [0, 0, 1]][..., [0, 0, 1]])
    # channels_last with 4 channels: the channels-last kernel copies (same size)
    np.testing.assert_array_equal(_nearest(x, torchlet.channels_last_3d, scale_factor=1.3), x)
    # 3 channels stay with the generic kernel
    np.testing.assert_array_equal(_nearest(x[:, :3], torchlet.channels_last_3d,
                                           scale_factor=1.3), plain[:, :3])


def test_nearest_2d_shortcut_needs_a_small_output_or_channels_last():
    x = np.random.default_rng(4).standard_normal((1, 2, 100, 100)).astype(f32)
    out = _nearest(x, None, scale_factor=1.005)  # 100 -> 100, H + W > 128: generic
    idx = np.floor(np.arange(100, dtype=f32) * f32(1 / 1.005)).astype(int)
    np.testing.assert_array_equal(out, x[:, :, idx][:, :, :, idx])
    assert not np.array_equal(out, x)
    small = x[:, :, :10, :10]  # 10 -> 10, H + W <= 128: the channels-last kernel copies
    np.testing.assert_array_equal(_nearest(small, None, scale_factor=1.05), small)
    wide = np.concatenate([x, x], 1)  # channels_last, 4 channels: copies too
    np.testing.assert_array_equal(_nearest(wide, torchlet.channels_last, scale_factor=1.005),
                                  wide)


def test_nearest_shortcuts_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape, sf in [((1, 4, 3, 3, 3), 1.3), ((1, 4, 3, 3, 3), 2.1), ((1, 5, 2, 4, 3), 1.3),
                      ((1, 2, 100, 100), 1.005), ((1, 4, 60, 70), 2.01), ((1, 3, 80, 80), 1.3)]:
        x = rng.standard_normal(shape).astype(f32)
        fmts = (torch.channels_last if len(shape) == 4 else torch.channels_last_3d,
                torchlet.channels_last if len(shape) == 4 else torchlet.channels_last_3d)
        for cl in (False, True):
            t, u = torch.tensor(x, requires_grad=True), torchlet.tensor(x, requires_grad=True)
            a = torch.nn.functional.interpolate(
                t.contiguous(memory_format=fmts[0]) if cl else t, scale_factor=sf)
            b = F.interpolate(u.contiguous(memory_format=fmts[1]) if cl else u, scale_factor=sf)
            np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())
            assert b.stride() == a.stride()
            g = rng.standard_normal(tuple(a.shape)).astype(f32)
            a.backward(torch.tensor(g))
            b.backward(torchlet.tensor(g))
            np.testing.assert_array_equal(u.grad.numpy(), t.grad.numpy())


# ---------------------------------------------------------------------------------------
# the backward's scatter and the plan cache


def _trilinear_backward_loop(g, in_size, out_size):
    """cpu_upsample_linear_backward, float32, align_corners=False, no scale: output
    points in row-major order, taps 000 .. 111, grad_in += (d * h * w) * g fused."""
    taps = []
    for n_in, n_out in zip(in_size, out_size):
        scale = f32(n_in) / f32(n_out)
        axis = []
        for o in range(n_out):
            real = max(_fma32(scale, f32(o) + f32(0.5), f32(-0.5)), f32(0))
            i0 = min(int(np.floor(real)), n_in - 1)
            lam1 = f32(min(max(f32(real - f32(i0)), f32(0)), f32(1)))
            axis.append(((i0, f32(f32(1) - lam1)), (i0 + (i0 < n_in - 1), lam1)))
        taps.append(axis)
    out = np.zeros(g.shape[:2] + tuple(in_size), f32)
    for od, d in enumerate(taps[0]):
        for oh, h in enumerate(taps[1]):
            for ow, w in enumerate(taps[2]):
                for (i, wd) in d:
                    for (j, wh) in h:
                        for (k, ww) in w:
                            weight = f32(f32(wd * wh) * ww)
                            out[:, :, i, j, k] = _fma32(weight, g[:, :, od, oh, ow],
                                                        out[:, :, i, j, k])
    return out


def test_trilinear_backward_matches_torchs_loop():
    rng = np.random.default_rng(8)
    in_size, out_size = (3, 2, 4), (5, 4, 3)
    x = torchlet.tensor(rng.standard_normal((1, 2) + in_size).astype(f32), requires_grad=True)
    out = F.interpolate(x, size=out_size, mode="trilinear")
    g = rng.standard_normal(tuple(out.shape)).astype(f32)
    out.backward(torchlet.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), _trilinear_backward_loop(g, in_size, out_size))


def test_plans_are_reused_and_keep_their_bits():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 5, 6)).astype(f32)
    g = rng.standard_normal((2, 3, 9, 4)).astype(f32)
    results = []
    for _ in range(2):
        t = torchlet.tensor(x, requires_grad=True)
        out = F.interpolate(t, size=(9, 4), mode="bicubic")
        out.backward(torchlet.tensor(g))
        results.append((out.detach().numpy(), t.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    key = ("bicubic", (5, 6), (9, 4), None, False, f32, False)
    assert _resample_plan(*key) is _resample_plan(*key)
    assert _resample_plan(*key[:-1], True) is not _resample_plan(*key)


# ---------------------------------------------------------------------------------------
# sampled against torch


def _run(lib, x, g, kw, layout):
    t = lib.tensor(x, requires_grad=True)
    nd = x.ndim - 2
    fmt = {2: lib.channels_last, 3: lib.channels_last_3d}.get(nd)
    out = lib.nn.functional.interpolate(t.contiguous(memory_format=fmt) if layout else t, **kw)
    out.backward(lib.tensor(g))
    return out.detach().numpy(), t.grad.numpy(), out.grad_fn.name(), out.stride()


def _sample(rng, mode):
    nd = {"bicubic": 2, "antialias": 2, "trilinear": 3}.get(mode, int(rng.integers(1, 4)))
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 6))) + tuple(
        int(rng.integers(1, 6 if nd == 3 else 12)) for _ in range(nd))
    kw = {"mode": "bilinear" if mode == "antialias" and rng.integers(2) else
          "bicubic" if mode == "antialias" else mode}
    if rng.integers(2):
        kw["size"] = tuple(int(rng.integers(1, 8 if nd == 3 else 20)) for _ in range(nd))
    else:
        kw["scale_factor"] = tuple(float(rng.choice([0.4, 0.7, 1.3, 2.0, 2.5, 1 / 3]))
                                   for _ in range(nd))
    if mode in ("bicubic", "antialias", "trilinear"):
        kw["align_corners"] = bool(rng.integers(2))
    if mode == "antialias":
        kw["antialias"] = True
    layout = nd > 1 and bool(rng.integers(2))
    return shape, kw, layout, [f32, f64][int(rng.integers(2))]


@pytest.mark.parametrize("mode, cases", [("bicubic", 80), ("nearest", 50),
                                         ("nearest-exact", 30), ("antialias", 40),
                                         ("trilinear", 15)])
def test_sampled_bits_against_torch(mode, cases):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(mode) * 1000 + cases)
    checked = 0
    for _ in range(cases):
        shape, kw, layout, dtype = _sample(rng, mode)
        x = rng.standard_normal(shape).astype(dtype)
        try:
            probe = torch.nn.functional.interpolate(torch.tensor(x), **kw)
        except RuntimeError:
            continue  # (an empty output: errors are other tests' business)
        g = rng.standard_normal(tuple(probe.shape)).astype(dtype)
        ours, theirs = _run(torchlet, x, g, kw, layout), _run(torch, x, g, kw, layout)
        msg = str((shape, kw, layout, dtype))
        assert ours[2:] == theirs[2:], msg
        np.testing.assert_array_equal(ours[0], theirs[0], err_msg=msg)
        np.testing.assert_array_equal(ours[1], theirs[1], err_msg=msg)
        checked += 1
    assert checked > cases * 0.8

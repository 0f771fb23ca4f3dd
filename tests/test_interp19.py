"""Session 19 hunt over interpolate / grid_sample / affine_grid / pad / fold / pixel_shuffle:
circular padding's gradient order and wide wraps, fold's contiguous result, affine_grid's
gradient layout and nodes, interpolate's non-finite scale_factor, and a sampled
differential test of the area against torch."""

import math

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------
# circular padding


def test_circular_pad_gradient_adds_in_torchs_order():
    # x (1, 1, 2) padded (2, 1): out = [x0 x1 x0 x1 x0]. torch copies x in, then the left
    # pad from out[2:4], then the right pad from out[2:3]; undone in reverse, x0's
    # gradient is (g2 + g4) + g0, not the row-major (g0 + g2) + g4
    x = torchlet.zeros(1, 1, 2, requires_grad=True)
    out = F.pad(x, (2, 1), mode="circular")
    g = torchlet.tensor([[[1.0, 0.0, 1e8, 0.0, -1e8]]])
    out.backward(g)
    assert x.grad.tolist() == [[[1.0, 0.0]]]  # row-major order would give 0.0
    torch = _torch()
    xt = torch.zeros(1, 1, 2, requires_grad=True)
    torch.nn.functional.pad(xt, (2, 1), mode="circular").backward(torch.tensor(g.numpy()))
    assert xt.grad.tolist() == x.grad.tolist()


def test_circular_pad_double_backward_node_and_values():
    x = torchlet.arange(6.0, dtype=torchlet.float64).reshape(1, 2, 3).requires_grad_()
    out = F.pad(x, (2, 1), mode="circular")
    assert out.grad_fn.name() == "torch::autograd::CopySlices"
    assert out[0, 0].tolist() == [1.0, 2.0, 0.0, 1.0, 2.0, 0.0]
    g = torchlet.ones(out.shape, dtype=torchlet.float64, requires_grad=True)
    (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
    assert gx.grad_fn.name() == "SliceBackwardBackward0"
    assert gx.tolist() == [[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]]  # each entry is read twice
    assert gx.stride() == (6, 3, 1)
    (gg,) = torchlet.autograd.grad(gx.sum(), g)
    assert gg[0, 0].tolist() == [1.0] * 6  # the padding again, of ones


def test_circular_pad_wider_than_what_negative_pads_keep():
    x = torchlet.arange(4.0).reshape(1, 4)
    # 2 entries kept, a right pad of 4: torch's element-by-element copy repeats the period
    assert F.pad(x, (-2, 4), mode="circular").tolist() == [[2.0, 3.0, 2.0, 3.0, 2.0, 3.0]]
    # nothing kept: torch never writes the output (garbage); no crash here
    y = torchlet.arange(2.0).reshape(1, 1, 2)
    assert F.pad(y, (-2, 1), mode="circular").shape == (1, 1, 1)
    torch = _torch()
    xt = torch.arange(8.0).reshape(2, 4)  # (torch raises for the one-row overlap)
    assert torch.nn.functional.pad(xt, (-2, 4), mode="circular").tolist() == \
        F.pad(torchlet.arange(8.0).reshape(2, 4), (-2, 4), mode="circular").tolist()


def _circular_defined(shape, pads):
    """torch's circular padding reads only written entries: each pad within what is kept."""
    for i in range(len(pads) // 2):
        size, left, right = shape[-1 - i], pads[2 * i], pads[2 * i + 1]
        kept = size - max(-left, 0) - max(-right, 0)
        if kept <= 0 or left > kept or right > kept or size + left + right <= 0:
            return False
    return True


def test_circular_pad_sampled_bits_against_torch():
    torch = _torch()
    rng = np.random.default_rng(19)
    done = 0
    while done < 60:
        k = int(rng.integers(1, 4))
        shape = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(1, 3)))] + \
            [int(rng.integers(1, 6)) for _ in range(k)]
        pads = [int(rng.integers(-2, 5)) for _ in range(2 * k)]
        if not _circular_defined(shape, pads):
            continue
        done += 1
        dtype = [np.float32, np.float64][done % 2]
        x = rng.standard_normal(shape).astype(dtype)
        g_shape = [s + pads[2 * (len(shape) - 1 - d)] + pads[2 * (len(shape) - 1 - d) + 1]
                   if len(shape) - 1 - d < k else s for d, s in enumerate(shape)]
        g = (rng.standard_normal(g_shape) * 10.0 ** rng.integers(-3, 4, g_shape)).astype(dtype)
        results = []
        for lib in (torch, torchlet):
            t = lib.tensor(x, requires_grad=True)
            out = lib.nn.functional.pad(t, pads, mode="circular")
            out.backward(lib.tensor(g))
            results.append((out.detach().numpy(), t.grad.numpy(), out.stride()))
        (o1, g1, s1), (o2, g2, s2) = results
        assert np.array_equal(o1, o2) and s1 == s2, (shape, pads)
        assert np.array_equal(g1.view(np.uint8), g2.view(np.uint8)), (shape, pads)


# ---------------------------------------------------------------------------------------
# fold / unfold layout


def test_fold_with_padding_is_contiguous():
    cols = torchlet.ones(1, 3, 24)
    out = F.fold(cols, output_size=(4, 4), kernel_size=(3, 1), padding=(2, 0))
    assert out.shape == (1, 1, 4, 4) and out.stride() == (16, 16, 4, 1)
    assert out.is_contiguous()
    # each pixel is covered by 3 vertical taps... of which 3 - (rows out of range) land
    assert out[0, 0, :, 0].tolist() == [3.0, 3.0, 3.0, 3.0]
    x = torchlet.ones(1, 1, 3, 5, requires_grad=True)
    F.unfold(x, kernel_size=1, padding=(1, 0)).sum().backward()
    assert x.grad.stride() == (15, 15, 5, 1)
    assert x.grad.tolist() == torchlet.ones(1, 1, 3, 5).tolist()
    torch = _torch()
    assert torch.nn.functional.fold(torch.ones(1, 3, 24), (4, 4), (3, 1),
                                    padding=(2, 0)).stride() == out.stride()


# ---------------------------------------------------------------------------------------
# affine_grid's gradient


def test_affine_grid_gradient_layout_and_nodes():
    theta = torchlet.randn(2, 2, 3, dtype=torchlet.float64, requires_grad=True)
    grid = F.affine_grid(theta, [2, 1, 3, 4], align_corners=False)
    g = torchlet.randn(grid.shape, dtype=torchlet.float64, requires_grad=True)
    (gt,) = torchlet.autograd.grad(grid, theta, g, create_graph=True)
    assert gt.stride() == (6, 1, 2)  # torch: (base^T grad)^T
    assert gt.grad_fn.name() == "TransposeBackward0"
    assert gt.grad_fn.next_functions[0][0].name() == "BmmBackward0"
    # grad_theta[n] = sum_p grad[n, p] base[p]^T: the constant column sums the gradient
    assert np.allclose(gt.detach().numpy()[:, :, 2], g.detach().numpy().sum(axis=(1, 2)))
    theta3 = torchlet.randn(1, 3, 4, requires_grad=True)
    grid3 = F.affine_grid(theta3, [1, 1, 2, 3, 4], align_corners=True)
    (gt3,) = torchlet.autograd.grad(grid3, theta3, torchlet.ones(grid3.shape), retain_graph=True)
    assert gt3.stride() == (12, 1, 3)
    grid3.sum().backward()  # (.grad is stored contiguous, as torch's AccumulateGrad)
    assert theta3.grad.stride() == (12, 4, 1) and theta3.grad.tolist() == gt3.tolist()


# ---------------------------------------------------------------------------------------
# interpolate's scale_factor


@pytest.mark.parametrize("scale", [math.nan, math.inf, -math.inf, 1e30, -1e300])
def test_interpolate_scale_beyond_int64_is_runtime_error(scale):
    x = torchlet.zeros(1, 1, 2)
    with pytest.raises(RuntimeError, match="cannot be converted to type int64_t"):
        F.interpolate(x, scale_factor=scale)
    if not math.isfinite(scale):  # recompute_scale_factor: torch floors in Python
        with pytest.raises(ValueError if math.isnan(scale) else OverflowError):
            F.interpolate(x, scale_factor=scale, recompute_scale_factor=True)
    torch = _torch()
    with pytest.raises(RuntimeError, match="cannot be converted to type int64_t"):
        torch.nn.functional.interpolate(torch.zeros(1, 1, 2), scale_factor=scale)


# ---------------------------------------------------------------------------------------
# sampled differential test against torch


def _compare(torch, name, arrays, *args, exact=False, **kwargs):
    """torch.nn.functional.<name>(*arrays, *args, **kwargs) against torchlet's: outcome,
    values, strides, node name and the gradients of all arrays."""
    results = []
    for lib in (torch, torchlet):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        try:
            out = getattr(lib.nn.functional, name)(*ts, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 (the outcome is what is compared)
            results.append(type(e).__name__)
            continue
        g = np.random.default_rng(0).standard_normal(out.shape).astype(arrays[0].dtype)
        grads = lib.autograd.grad(out, ts, lib.tensor(g), allow_unused=True)
        results.append((out.detach().numpy(), out.stride(), out.grad_fn.name(),
                        [None if q is None else (q.numpy(), q.stride()) for q in grads]))
    a, b = results
    assert type(a) is type(b) and (not isinstance(a, str) or a == b), (a, b)
    if isinstance(a, str):
        return
    rtol = 1e-5 if arrays[0].dtype == np.float32 else 1e-12

    def close(u, v):
        scale = max(1.0, float(np.abs(u).max(initial=0)))
        return u.shape == v.shape and (np.array_equal(u, v) if exact else np.allclose(
            u, v, rtol=rtol, atol=rtol * scale))

    assert close(a[0], b[0]) and a[2] == b[2]
    assert a[1] == b[1] or a[0].size <= 1
    for u, v in zip(a[3], b[3]):
        assert (u is None) == (v is None)
        if u is not None:
            assert close(u[0], v[0]) and (u[1] == v[1] or u[0].size <= 1)


def test_sampled_differential_against_torch():
    torch = _torch()
    rng = np.random.default_rng(1919)
    modes = {1: ["nearest", "nearest-exact", "linear", "area"],
             2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
             3: ["nearest", "nearest-exact", "trilinear", "area"]}
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        mode = str(rng.choice(modes[nd]))
        dtype = [np.float32, np.float64][int(rng.integers(0, 2))]
        x = rng.standard_normal([2, 2] + [int(rng.integers(1, 6)) for _ in range(nd)])
        kw = {"mode": mode}
        if rng.random() < 0.5:
            kw["size"] = [int(rng.integers(1, 8)) for _ in range(nd)]
        else:
            kw["scale_factor"] = float(rng.choice([0.5, 1.3, 2.0, 2.7, 0.75]))
        if mode in ("linear", "bilinear", "bicubic", "trilinear"):
            kw["align_corners"] = bool(rng.random() < 0.5)
        _compare(torch, "interpolate", [x.astype(dtype)], **kw)
    for _ in range(25):
        nd = int(rng.integers(2, 4))
        kw = {"mode": str(rng.choice(["bilinear", "nearest"] + ["bicubic"] * (nd == 2))),
              "padding_mode": str(rng.choice(["zeros", "border", "reflection"])),
              "align_corners": bool(rng.random() < 0.5)}
        x = rng.standard_normal([1, 2] + [int(rng.integers(1, 5)) for _ in range(nd)])
        grid = rng.standard_normal([1] + [int(rng.integers(1, 4)) for _ in range(nd)] + [nd])
        _compare(torch, "grid_sample", [x, grid * 1.5], **kw)
        size = [1, 2] + [int(rng.integers(1, 5)) for _ in range(nd)]
        ac = bool(rng.random() < 0.5)
        _compare(torch, "affine_grid", [rng.standard_normal([1, nd, nd + 1])], size,
                 align_corners=ac)
    for _ in range(40):
        k = int(rng.integers(1, 4))
        mode = str(rng.choice(["constant", "reflect", "replicate", "circular"]))
        shape = [1, 2] + [int(rng.integers(2, 6)) for _ in range(k)]
        pads = [int(rng.integers(-1, 2)) for _ in range(2 * k)]
        if mode == "circular" and not _circular_defined(shape, pads) or any(
                shape[-1 - i] + pads[2 * i] + pads[2 * i + 1] <= 0 for i in range(k)):
            continue  # (torch's gradient of an empty pad is uninitialised memory)
        _compare(torch, "pad", [rng.standard_normal(shape)], pads, mode=mode, exact=True)
    for _ in range(20):
        k, d = [int(v) for v in rng.integers(1, 4, 2)], [int(v) for v in rng.integers(1, 3, 2)]
        p, s = [int(v) for v in rng.integers(0, 3, 2)], [int(v) for v in rng.integers(1, 3, 2)]
        x = rng.standard_normal([1, 2, int(rng.integers(1, 7)), int(rng.integers(1, 7))])
        _compare(torch, "unfold", [x], k, d, p, s)
        size = [int(v) for v in rng.integers(1, 7, 2)]
        blocks = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
        cols = rng.standard_normal([1, 2 * k[0] * k[1], max(blocks[0], 0) * max(blocks[1], 0)])
        _compare(torch, "fold", [cols], size, k, d, p, s)


# ---------------------------------------------------------------------------------------
# uint8 images: bilinear / bicubic / lanczos in torch's fixed-point arithmetic


def test_uint8_bilinear_rounds_like_torchs_fixed_point():
    x = torchlet.tensor([[[[0, 255]]]], dtype=torchlet.uint8)
    out = F.interpolate(x, size=(1, 4), mode="bilinear")
    # sources 0 (clamped), 0.25, 0.75, 1 (clamped): 0, 63.75, 191.25, 255, rounded
    assert out.dtype == torchlet.uint8 and out.tolist() == [[[[0, 64, 191, 255]]]]
    torch = _torch()
    ref = torch.nn.functional.interpolate(torch.tensor(x.numpy()), size=(1, 4), mode="bilinear")
    assert ref.tolist() == out.tolist()


def test_uint8_bicubic_folds_outside_taps_onto_the_edge():
    # as the float kernel's clamped indices: output 1 of 8 -> 16 reads (250, 250, 100, 100)
    # with weights (-0.1055, 0.8789, 0.2617, -0.0352): 216.0, not the 219 of renormalised
    # weights (antialias's border handling)
    row = [250] + [100] * 7
    x = torchlet.tensor([[[row]]], dtype=torchlet.uint8)
    out = F.interpolate(x, size=(1, 16), mode="bicubic")
    assert out[0, 0, 0, :6].tolist() == [255, 216, 134, 84, 95, 100]
    torch = _torch()
    ref = torch.nn.functional.interpolate(torch.tensor(x.numpy()), size=(1, 16), mode="bicubic")
    assert ref.tolist() == out.tolist()


def test_antialias_one_pixel_wide_slip_only_for_contiguous_images():
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.uint8):
        x = rng.standard_normal((1, 7, 12, 6)).astype(np.float32)
        if dtype == np.uint8:
            x = rng.integers(0, 256, (1, 7, 12, 6)).astype(np.uint8)
        plain = F.interpolate(torchlet.tensor(x), size=(5, 1), mode="bicubic", antialias=True)
        t = torchlet.tensor(x).contiguous(memory_format=torchlet.channels_last)
        last = F.interpolate(t, size=(5, 1), mode="bicubic", antialias=True)
        # contiguous: torch's height pass repeats output row 0; channels_last: it does not
        assert (plain.numpy() == plain.numpy()[:, :, :1]).all()
        assert not (last.numpy() == last.numpy()[:, :, :1]).all()
        torch = _torch()
        for mine, fmt in ((plain, torch.contiguous_format), (last, torch.channels_last)):
            ref = torch.nn.functional.interpolate(
                torch.tensor(x).contiguous(memory_format=fmt), size=(5, 1), mode="bicubic",
                antialias=True)
            assert np.array_equal(ref.numpy(), mine.numpy()) and ref.stride() == mine.stride()


def test_uint8_resize_sampled_bits_against_torch():
    torch = _torch()
    rng = np.random.default_rng(8)
    for _ in range(60):
        mode = str(rng.choice(["bilinear", "bicubic", "lanczos"]))
        kw = {"mode": mode, "antialias": mode == "lanczos" or bool(rng.random() < 0.5)}
        if mode != "lanczos":
            kw["align_corners"] = bool(rng.random() < 0.5)
        shape = [int(rng.integers(1, 3)), int(rng.choice([1, 3, 4, 7])),
                 int(rng.integers(1, 12)), int(rng.integers(1, 12))]
        if rng.random() < 0.5:
            kw["size"] = size = [int(rng.integers(1, 14)), int(rng.integers(1, 14))]
        else:
            kw["scale_factor"] = [float(v) for v in rng.choice([0.5, 1.3, 2.0, 2.7], 2)]
            size = [math.floor(i * f) for i, f in zip(shape[2:], kw["scale_factor"])]
        if min(size) < 1 or (size == [1, 1] and shape[1] <= 4 and kw["antialias"]):
            continue  # (an empty output; torch fails an internal assert on 1 x 1)
        x = rng.integers(0, 256, shape).astype(np.uint8)
        channels_last = bool(rng.random() < 0.3)
        outs = []
        for lib in (torch, torchlet):
            t = lib.tensor(x)
            if channels_last:
                t = t.contiguous(memory_format=lib.channels_last)
            out = lib.nn.functional.interpolate(t, **kw)
            outs.append((out.numpy(), out.stride()))
        assert np.array_equal(outs[0][0], outs[1][0]) and outs[0][1] == outs[1][1], (shape, kw)


@pytest.mark.parametrize("mode,word", [("reflect", "Reflection"), ("replicate", "Replication")])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_edge_pad_double_backward_node_names(mode, word, k):
    x = torchlet.randn([1, 2] + [4] * k, dtype=torchlet.float64, requires_grad=True)
    out = F.pad(x, (1, 2) * k, mode=mode)
    g = torchlet.randn(out.shape, dtype=torchlet.float64, requires_grad=True)
    (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
    assert gx.grad_fn.name() == f"{word}Pad{k}DBackwardBackward0"
    w = torchlet.randn(gx.shape, dtype=torchlet.float64, requires_grad=True)
    (gg,) = torchlet.autograd.grad((gx * w).sum(), g, create_graph=True)
    assert gg.grad_fn.name() == f"{word}Pad{k}DBackward0"
    # the gradient of <pad^T g, w> in g is pad(w)
    assert np.array_equal(gg.detach().numpy(), F.pad(w, (1, 2) * k, mode=mode).detach().numpy())

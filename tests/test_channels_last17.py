"""channels_last through pooling, interpolate, padding, pixel_shuffle and max_unpool: the
memory layout torch gives the results (values, indices) and the input gradients.

torch's rules, per op (``suggest`` = channels_last(_3d) when the batched input's strides
say so, torch's suggest_memory_format):

* output (and indices) laid out as suggest(x): max_pool2d/3d, avg_pool2d, the 2-d adaptive
  pools, interpolate (every mode, antialias too), constant / reflect / replicate pads,
  pixel_(un)shuffle, max_unpool2d; always contiguous: avg_pool3d, the 3-d adaptive pools
  (a 1x1x1 average is a mean restrided in place to channels_last_3d), circular pad,
  max_unpool3d;
* input gradient as suggest(x): the pools, reflect / replicate pads; as suggest(grad):
  nearest (2-d), bilinear, trilinear, constant pad, pixel_(un)shuffle; contiguous:
  bicubic, nearest (3-d), max_unpool.

The values never depend on the layout: a channels_last input gives bit for bit the result
of its contiguous copy.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def _fmt(L, nd):
    return L.channels_last if nd == 4 else L.channels_last_3d


def _make(L, a: np.ndarray, layout: str):
    """``a`` as a tensor of library L in ``layout``: C (contiguous), L (channels_last),
    S (a channels_last tensor sliced along H, not dense), T (H and W transposed)."""
    x = L.tensor(a)
    if layout == "C":
        return x
    if layout == "L":
        return x.contiguous(memory_format=_fmt(L, a.ndim))
    if layout == "S":
        big = L.tensor(np.repeat(a, 2, axis=2)).contiguous(memory_format=_fmt(L, a.ndim))
        return big[:, :, ::2]
    return x.transpose(-1, -2).contiguous().transpose(-1, -2)


def _cl_strides(shape):
    """channels_last(_3d) strides of ``shape`` (in elements), worked out by hand: C
    innermost, then W, H, (D,) N."""
    n, c, *spatial = shape
    strides = {1: 1}
    step = c
    for d in range(len(shape) - 1, 1, -1):
        strides[d] = step
        step *= shape[d]
    strides[0] = step
    return tuple(strides[d] for d in range(len(shape)))


def _c_strides(shape):
    out, step = [], 1
    for s in reversed(shape):
        out.append(step)
        step *= s
    return tuple(reversed(out))


# name: (fn(F, L, x), output rule, gradient rule); rules: "x" (laid out as the input
# suggests), "g" (as the incoming gradient suggests), "C" (contiguous)
OPS2 = {
    "max_pool2d": (lambda F, L, x: F.max_pool2d(x, 2), "x", "x"),
    "max_pool2d_pad": (lambda F, L, x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), "x", "x"),
    "max_pool2d_overlap": (lambda F, L, x: F.max_pool2d(x, 3, 1, dilation=2), "x", "x"),
    "avg_pool2d": (lambda F, L, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), "x", "x"),
    "adaptive_avg_pool2d": (lambda F, L, x: F.adaptive_avg_pool2d(x, (3, 5)), "x", "x"),
    "adaptive_avg_pool2d_div": (lambda F, L, x: F.adaptive_avg_pool2d(x, 4), "x", "x"),
    "adaptive_max_pool2d": (lambda F, L, x: F.adaptive_max_pool2d(x, (3, 5)), "x", "x"),
    "lp_pool2d": (lambda F, L, x: F.lp_pool2d(x, 2, 2), "x", "x"),
    "nearest": (lambda F, L, x: F.interpolate(x, scale_factor=2), "x", "g"),
    "nearest_exact": (lambda F, L, x: F.interpolate(x, size=(5, 11), mode="nearest-exact"),
                      "x", "g"),
    "bilinear": (lambda F, L, x: F.interpolate(x, size=(5, 11), mode="bilinear"), "x", "g"),
    "bilinear_aa": (lambda F, L, x: F.interpolate(x, size=(5, 3), mode="bilinear",
                                                  antialias=True), "x", "g"),
    "bicubic": (lambda F, L, x: F.interpolate(x, size=(5, 11), mode="bicubic"), "x", "C"),
    "bicubic_aa": (lambda F, L, x: F.interpolate(x, size=(5, 3), mode="bicubic",
                                                 antialias=True), "x", "C"),
    "area": (lambda F, L, x: F.interpolate(x, size=(5, 3), mode="area"), "x", "x"),
    "pad_constant": (lambda F, L, x: F.pad(x, (1, 2, -1, 3), value=1.5), "x", "g"),
    "pad_constant_c": (lambda F, L, x: F.pad(x, (1, 2, 0, 0, 1, 1)), "x", "g"),
    "pad_reflect": (lambda F, L, x: F.pad(x, (1, 2, 3, 2), mode="reflect"), "x", "x"),
    "pad_replicate": (lambda F, L, x: F.pad(x, (1, 2, 3, 4), mode="replicate"), "x", "x"),
    "pad_circular": (lambda F, L, x: F.pad(x, (1, 2, 3, 2), mode="circular"), "C", "C"),
    "pixel_unshuffle": (lambda F, L, x: F.pixel_unshuffle(x, 2), "x", "g"),
    "max_unpool2d": (lambda F, L, x: F.max_unpool2d(x, L.arange(x.numel()).reshape(x.shape)
                                                    % (x.shape[-1] * x.shape[-2] * 4), 2),
                     "x", "C"),
}
OPS3 = {
    "max_pool3d": (lambda F, L, x: F.max_pool3d(x, 2), "x", "x"),
    "avg_pool3d": (lambda F, L, x: F.avg_pool3d(x, 2), "C", "C"),
    "adaptive_avg_pool3d": (lambda F, L, x: F.adaptive_avg_pool3d(x, 3), "C", "C"),
    "adaptive_max_pool3d": (lambda F, L, x: F.adaptive_max_pool3d(x, 3), "C", "C"),
    "nearest3d": (lambda F, L, x: F.interpolate(x, scale_factor=2), "x", "C"),
    "trilinear": (lambda F, L, x: F.interpolate(x, size=(3, 5, 7), mode="trilinear"), "x", "g"),
    "pad3_constant": (lambda F, L, x: F.pad(x, (1, 2, 3, 4, 1, 0)), "x", "g"),
    "pad3_replicate": (lambda F, L, x: F.pad(x, (1, 2, 3, 4, 1, 1), mode="replicate"),
                       "x", "x"),
    "pad3_circular": (lambda F, L, x: F.pad(x, (1, 2, 1, 1, 1, 1), mode="circular"), "C", "C"),
}
SHAPES = {4: (2, 4, 8, 8), 5: (2, 4, 4, 6, 6)}


def _run(L, fn, a, layout, g_layout):
    """(output strides, input-gradient strides, output values, gradient values)."""
    F = L.nn.functional
    x = _make(L, a, layout).requires_grad_()
    out = fn(F, L, x)
    g = L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)).astype(a.dtype))
    if g_layout == "L":
        g = g.contiguous(memory_format=_fmt(L, g.dim()))
    (gx,) = L.autograd.grad(out, x, g)
    return (tuple(out.stride()), tuple(gx.stride()), out.detach().numpy().copy(),
            gx.numpy().copy())


def _expected(rule, shape, x_cl, g_cl):
    cl = {"x": x_cl, "g": g_cl, "C": False}[rule]
    return _cl_strides(shape) if cl else _c_strides(shape)


CASES = [(name, nd, layout, g) for nd, ops in ((4, OPS2), (5, OPS3)) for name in ops
         for layout in ("C", "L", "S", "T") for g in ("C", "L")]


@pytest.mark.parametrize("name,nd,layout,g_layout", CASES)
def test_layout_rules(name, nd, layout, g_layout):
    """Strides by the rule worked out above (and torch's, when installed); the values are
    those of the contiguous input, bit for bit."""
    fn, out_rule, grad_rule = (OPS2 if nd == 4 else OPS3)[name]
    a = np.random.default_rng(len(name)).standard_normal(SHAPES[nd]).astype(np.float32)
    out_s, grad_s, out, grad = _run(torchlet, fn, a, layout, g_layout)
    x_cl = layout in ("L", "S")
    assert out_s == _expected(out_rule, out.shape, x_cl, False)
    assert grad_s == _expected(grad_rule, a.shape, x_cl, g_layout == "L")
    _, _, out_c, grad_c = _run(torchlet, fn, a, "C", "C")
    if name in _LAYOUT_KERNELS and x_cl:  # torch's channels-last kernel sums in its own order
        np.testing.assert_allclose(out, out_c, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grad, grad_c, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_array_equal(out, out_c)
        np.testing.assert_array_equal(grad, grad_c)
    if torch is not None:
        t_out_s, t_grad_s, t_out, t_grad = _run(torch, fn, a, layout, g_layout)
        assert (out_s, grad_s) == (t_out_s, t_grad_s)
        np.testing.assert_allclose(out, t_out, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(grad, t_grad, rtol=1e-5, atol=1e-6)
        if name in _LAYOUT_KERNELS:  # (interpolate's linear modes are bit-exact)
            np.testing.assert_array_equal(out, t_out)
            np.testing.assert_array_equal(grad, t_grad)


# ops whose values torch computes with another kernel for a channels-last input (a 4+
# channel channels_last_3d trilinear interpolate): equal to the contiguous input's within
# rounding only, and to torch's bit for bit
_LAYOUT_KERNELS = {"trilinear"}


def test_max_pool2d_repro():
    """The reported case: values, indices and the gradient stay channels_last."""
    x = torchlet.randn(2, 3, 8, 8).to(memory_format=torchlet.channels_last).requires_grad_()
    out, idx = torchlet.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert out.stride() == (48, 1, 12, 3) and idx.stride() == (48, 1, 12, 3)
    assert out.is_contiguous(memory_format=torchlet.channels_last)
    (gx,) = torchlet.autograd.grad(out, x, torchlet.ones(out.shape))
    assert gx.stride() == (192, 1, 24, 3)
    # indices are flat positions in each plane, whatever the layout
    ref_out, ref_idx = torchlet.nn.functional.max_pool2d(x.detach().contiguous(), 2,
                                                         return_indices=True)
    assert torchlet.equal(idx, ref_idx) and torchlet.equal(out, ref_out)


def test_contiguous_input_stays_contiguous():
    """NCHW in, NCHW out (the training path): no copy, C-ordered arrays."""
    F = torchlet.nn.functional
    x = torchlet.randn(4, 6, 12, 12, requires_grad=True)
    for out in (F.max_pool2d(x, 2), F.avg_pool2d(x, 2), F.interpolate(x, scale_factor=2),
                F.pad(x, (1, 1, 1, 1)), F.adaptive_avg_pool2d(x, 5)):
        assert out._data.flags.c_contiguous
        (gx,) = torchlet.autograd.grad(out, x, torchlet.ones(out.shape))
        assert gx._data.flags.c_contiguous


@pytest.mark.parametrize("nd", [2, 3])
def test_adaptive_avg_one_is_restrided_mean(nd):
    """torch: a 1x1(x1) output of a channels_last input is the mean, restrided in place
    (AsStridedBackward1) to channels_last strides (C, 1, C, C...); the gradient is the
    mean's, contiguous."""
    F = torchlet.nn.functional
    shape = (2, 4) + (5,) * nd
    x = torchlet.randn(*shape).contiguous(memory_format=_fmt(torchlet, nd + 2))
    x.requires_grad_()
    pool = F.adaptive_avg_pool2d if nd == 2 else F.adaptive_avg_pool3d
    out = pool(x, 1)
    assert out.stride() == (4, 1) + (4,) * nd
    assert out.grad_fn.name() == "AsStridedBackward1"
    assert torchlet.equal(out, x.detach().mean(tuple(range(2, nd + 2)), keepdim=True))
    (gx,) = torchlet.autograd.grad(out, x, torchlet.ones(out.shape))
    assert gx.stride() == _c_strides(shape)
    assert torchlet.allclose(gx, torchlet.full(shape, 1 / 5 ** nd))
    contiguous = pool(torchlet.randn(*shape, requires_grad=True), 1)
    assert contiguous.grad_fn.name() == "MeanBackward1"


def test_pixel_shuffle_refuses_channels_last_3d():
    """torch's pixel_shuffle kernels take contiguous and channels_last only."""
    F = torchlet.nn.functional
    x = torchlet.randn(2, 4, 4, 6, 6).contiguous(memory_format=torchlet.channels_last_3d)
    for fn in (F.pixel_shuffle, F.pixel_unshuffle):
        with pytest.raises(RuntimeError, match="Unsupported memory format. Supports only "
                                               "ChannelsLast, Contiguous"):
            fn(x, 2)
    # argument checks come first; an empty batch passes (it suggests no format)
    with pytest.raises(RuntimeError, match="divisible by the square"):
        F.pixel_shuffle(x, 3)
    assert tuple(F.pixel_shuffle(x[:0], 2).shape) == (0, 4, 1, 12, 12)
    assert tuple(F.pixel_shuffle(x.contiguous(), 2).shape) == (2, 4, 1, 12, 12)


def test_pixel_shuffle_layouts():
    """pixel_shuffle of a channels_last input: a channels_last result (one channel here:
    strides (H*W, 1, W, 1)); its backward is pixel_unshuffle of the gradient, laid out
    as the gradient suggests."""
    F = torchlet.nn.functional
    x = torchlet.randn(2, 4, 8, 8).contiguous(memory_format=torchlet.channels_last)
    x.requires_grad_()
    out = F.pixel_shuffle(x, 2)
    assert out.stride() == (256, 1, 16, 1)
    g = torchlet.empty(2, 16, 16, 1).permute(0, 3, 1, 2).copy_(torchlet.randn(2, 1, 16, 16))
    (gx,) = torchlet.autograd.grad(out, x, g)
    assert gx.stride() == (256, 1, 32, 4)
    assert torchlet.equal(gx, F.pixel_unshuffle(g.contiguous(), 2))
    (gx,) = torchlet.autograd.grad(F.pixel_shuffle(x, 2), x, torchlet.randn(2, 1, 16, 16))
    assert gx.stride() == (256, 64, 8, 1)
    if torch is not None:
        t = torch.tensor(x.detach().numpy()).contiguous(memory_format=torch.channels_last)
        assert torch.nn.functional.pixel_shuffle(t, 2).stride() == (256, 1, 16, 1)


def test_pad_crop_clones_the_view():
    """A constant pad with no positive amount is torch's clone of the cropped view: the
    view's layout is kept (a transposed input stays transposed); with a positive amount
    the result is new, contiguous unless the input suggests channels_last."""
    F = torchlet.nn.functional
    x = torchlet.randn(2, 3, 6, 8).transpose(2, 3)  # (2, 3, 8, 6), strides (144, 48, 1, 8)
    crop = F.pad(x, (-1, 0, 0, -2))
    assert tuple(crop.shape) == (2, 3, 6, 5) and crop.stride() == (90, 30, 1, 6)
    assert torchlet.equal(crop, x[:, :, :6, 1:])
    assert F.pad(x, (0, 0)).stride() == x.stride()
    assert F.pad(x, (1, 0)).stride() == (168, 56, 7, 1)
    xl = torchlet.randn(2, 3, 6, 8).contiguous(memory_format=torchlet.channels_last)
    assert F.pad(xl, (-1, -1, 0, -2)).stride() == (72, 1, 18, 3)
    if torch is not None:
        t = torch.randn(2, 3, 6, 8).transpose(2, 3)
        assert torch.nn.functional.pad(t, (-1, 0, 0, -2)).stride() == (90, 30, 1, 6)
        assert torch.nn.functional.pad(t, (1, 0)).stride() == (168, 56, 7, 1)


def test_one_d_pools_of_a_transposed_input():
    """A 1-d pool runs as a 2-d one on (N, C, 1, L): an (N, L, C) tensor transposed to
    (N, C, L) is channels_last there, so the result keeps C innermost (as torch)."""
    F = torchlet.nn.functional
    x = torchlet.randn(2, 8, 4).transpose(1, 2).requires_grad_()
    out = F.max_pool1d(x, 2)
    assert out.stride() == (16, 1, 4)
    (gx,) = torchlet.autograd.grad(out, x, torchlet.ones(out.shape))
    assert gx.stride() == (32, 1, 4)
    assert F.avg_pool1d(x, 2).stride() == (16, 1, 4)
    assert F.adaptive_max_pool1d(x, 3).stride() == (12, 1, 4)


def test_double_backward_layouts():
    """avg_pool2d's double backward is avg_pool2d of the new gradient: laid out as that
    suggests; max_pool2d's, a gather, is contiguous."""
    F = torchlet.nn.functional
    cl = torchlet.channels_last
    x = torchlet.randn(2, 4, 8, 8).contiguous(memory_format=cl).requires_grad_()
    for fn, want in ((lambda t: F.avg_pool2d(t, 2), (64, 1, 16, 4)),
                     (lambda t: F.max_pool2d(t, 2), (64, 16, 4, 1))):
        out = fn(x)
        g = torchlet.randn(*out.shape).requires_grad_()
        (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
        h = torchlet.randn(*gx.shape).contiguous(memory_format=cl)
        (gg,) = torchlet.autograd.grad(gx, g, h)
        assert gg.stride() == want


@needs_torch
def test_sampled_differential():
    """Random pooling / resampling / padding configs on random layouts (channels_last,
    its non-dense slice, permuted ones, one-channel and 1x1 images), float32 and
    float64: strides of the result and of the input gradient as torch's, values too."""
    rng = np.random.default_rng(1717)
    def make(kind, a, b, c):  # one op, its parameters drawn beforehand
        if kind == 0:
            return lambda F, x: F.max_pool2d(x, a % 3 + 1, b % 2 + 1, 0, 1, bool(c % 2))
        if kind == 1:
            return lambda F, x: F.avg_pool2d(x, 2, 1, 1, bool(c % 2))
        if kind == 2:
            return lambda F, x: F.adaptive_max_pool2d(x, a % 4 + 1)
        if kind == 3:
            return lambda F, x: F.adaptive_avg_pool2d(x, (a % 4 + 1, b % 4 + 1))
        if kind == 4:
            mode = ("nearest", "bilinear", "bicubic", "area", "nearest-exact")[c % 5]
            return lambda F, x: F.interpolate(x, size=(a % 8 + 1, b % 8 + 1), mode=mode)
        if kind == 5:
            mode = ("constant", "replicate")[c % 2]
            return lambda F, x: F.pad(x, (a % 4 - 1, b % 3, c % 3 - 1, 1), mode=mode)
        return lambda F, x: F.pad(x, (1, 1, 1, 0), mode="reflect")

    perms = [(0, 1, 2, 3), (0, 2, 3, 1), (0, 3, 2, 1), (1, 0, 2, 3), (2, 3, 0, 1)]
    for case in range(60):
        shape = tuple(int(v) for v in [rng.integers(1, 3), rng.choice([1, 3]),
                                       rng.integers(2, 7), rng.integers(2, 7)])
        perm = perms[int(rng.integers(len(perms)))]
        dtype = [np.float32, np.float64][int(rng.integers(2))]
        a = rng.standard_normal(shape).astype(dtype)
        fn = make(*(int(v) for v in rng.integers(0, 7, 1)), *(int(v) for v in
                                                            rng.integers(0, 60, 3)))
        results = []
        for L in (torch, torchlet):
            base = L.empty([shape[p] for p in perm], dtype=getattr(L, np.dtype(dtype).name))
            inverse = [perm.index(i) for i in range(4)]
            x = base.permute(*inverse).copy_(L.tensor(a)).requires_grad_()
            try:
                out = fn(L.nn.functional, x)
            except RuntimeError as e:  # both refuse the same configs
                results.append(type(e))
                continue
            g = L.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape))
                         .astype(dtype))
            (gx,) = L.autograd.grad(out, x, g)
            results.append((out.stride(), gx.stride(), out.detach().numpy(), gx.numpy()))
        t, m = results
        if not isinstance(t, tuple):
            assert t is m, (case, shape, perm)
            continue
        assert m[:2] == t[:2], (case, shape, perm, m[:2], t[:2])
        np.testing.assert_allclose(m[2], t[2], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m[3], t[3], rtol=1e-5, atol=1e-6)

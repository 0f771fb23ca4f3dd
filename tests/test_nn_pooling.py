"""Pooling and resampling against torch 2.13: F.max_pool1d/2d/3d, avg_pool1d/2d/3d,
adaptive_avg/max_pool1d/2d/3d, max_unpool1d/2d/3d, lp_pool1d/2d, interpolate and the pooling
modules.

Max pooling is compared bit for bit, values and indices, including the cases the op specs
avoid: ties (torch takes the first maximum in window order and sends the whole gradient
there), NaN (a NaN wins; the last NaN of a window), all--inf windows next to padding (the
first element inside the input), overlapping windows (gradients add up). Average pools are
bit for bit too (sums in torch's order). interpolate's source indices are torch's exactly:
nearest modes are compared bit for bit over random sizes and scales, linear modes within a
rounding. Checks that need no torch (float64 gradcheck / gradgradcheck, hand-computed
values) always run.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _np(t):
    return t.detach().numpy()


def _run(lib, fn, arrays, seed=1):
    """fn(lib, *tensors) -> outputs (tuple), gradients of the float inputs."""
    tensors = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, *tensors)
    outs = out if isinstance(out, tuple) else (out,)
    diff = [o for o in outs if o.requires_grad]
    wanted = [t for t in tensors if t.requires_grad]
    grads = []
    if diff and wanted:
        g = [lib.tensor(_rng(seed).standard_normal(tuple(o.shape)).astype(_np(o).dtype))
             for o in diff]
        grads = lib.autograd.grad(diff, wanted, g)
    return outs, grads


def _compare(fn, *arrays, exact=True, rtol=1e-6, atol=1e-6):
    (o1, g1), (o2, g2) = _run(torchlet, fn, arrays), _run(torch, fn, arrays)
    assert len(o1) == len(o2)
    for a, b in zip(o1, o2):
        a_np, b_np = _np(a), _np(b)
        assert a_np.dtype == b_np.dtype and a_np.shape == b_np.shape, (a_np.shape, b_np.shape)
        if exact:
            assert np.array_equal(a_np, b_np, equal_nan=True), np.abs(a_np - b_np).max()
        else:
            np.testing.assert_allclose(a_np, b_np, rtol=rtol, atol=atol)
        assert (a.grad_fn is None) == (b.grad_fn is None)
        if a.grad_fn is not None:
            assert a.grad_fn.name() == b.grad_fn.name()
    for a, b in zip(g1, g2):
        # an input's gradient sums many terms: where they cancel, float32 rounding (in a
        # summation order other than torch's) is relative to the terms, not to the result
        scale = max(1.0, float(np.nanmax(np.abs(_np(b)), initial=0)))
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6 * scale,
                                   equal_nan=True)


def _distinct(rng, *shape):
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / n).astype(np.float32)


# ---------------------------------------------------------------------------------------
# max pooling: torch's conventions


def test_max_pool_ties_take_the_first_maximum():
    x = torchlet.tensor([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 3.0]]]], requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert out.tolist() == [[[[3.0, 3.0]]]] and idx.tolist() == [[[[1, 2]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_max_pool_overlapping_windows_add_gradients():
    x = torchlet.tensor([[[0.0, 5.0, 1.0, 2.0, 0.0]]], requires_grad=True)
    out = F.max_pool1d(x, 3, 1)
    assert out.tolist() == [[[5.0, 5.0, 2.0]]]
    out.backward(torchlet.tensor([[[1.0, 10.0, 100.0]]]))
    assert x.grad.tolist() == [[[0.0, 11.0, 0.0, 100.0, 0.0]]]


def test_max_pool_nan_and_minus_infinity():
    nan, inf = float("nan"), float("inf")
    x = torchlet.tensor([[[[1.0, nan], [nan, 2.0]]]])
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert np.isnan(out.item()) and idx.item() == 2  # the last NaN, as torch
    y = torchlet.full((1, 1, 3, 3), -inf)
    out, idx = F.max_pool2d(y, 2, padding=1, return_indices=True)
    assert idx.tolist() == [[[[0, 1], [3, 4]]]]  # the first element inside the input


@needs_torch
@pytest.mark.parametrize("fn, shape", [
    (lambda t, x: t.nn.functional.max_pool2d(x, 2, return_indices=True), (2, 3, 6, 6)),
    (lambda t, x: t.nn.functional.max_pool2d(x, 3, 1, 1, return_indices=True), (2, 2, 5, 6)),
    (lambda t, x: t.nn.functional.max_pool2d(x, (3, 2), (2, 1), 1, (1, 2), True, True),
     (2, 2, 7, 6)),
    (lambda t, x: t.nn.functional.max_pool1d(x, 3, 2, 1, return_indices=True), (2, 3, 9)),
    (lambda t, x: t.nn.functional.max_pool3d(x, 2, 1, return_indices=True), (1, 2, 4, 3, 4)),
    (lambda t, x: t.nn.functional.adaptive_max_pool2d(x, (3, 4), True), (2, 2, 7, 9)),
    (lambda t, x: t.nn.functional.adaptive_max_pool1d(x, 5, True), (2, 2, 7)),
])
def test_max_pool_ties_against_torch(fn, shape):
    rng = _rng(3)
    _compare(fn, np.round(rng.standard_normal(shape)).astype(np.float32))  # many ties


@needs_torch
def test_max_pool_nan_inputs_and_gradients_against_torch():
    rng = _rng(4)
    x = rng.standard_normal((2, 2, 6, 6)).astype(np.float32)
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = x[1, 1, 4, 4] = np.nan
    x[0, 1, :3, :3] = -np.inf
    _compare(lambda t, a: t.nn.functional.max_pool2d(a, 3, 2, 1, return_indices=True), x)
    _compare(lambda t, a: t.nn.functional.max_pool2d(a, 2, return_indices=True), x)
    g = rng.standard_normal((2, 2, 3, 3)).astype(np.float32)
    g[0, 0, 0, 0] = np.nan  # a NaN gradient reaches only the maximum
    grads = []
    for lib in (torchlet, torch):
        xt = lib.tensor(np.nan_to_num(x, nan=0.5), requires_grad=True)
        out = lib.nn.functional.max_pool2d(xt, 2)
        grads.append(_np(lib.autograd.grad(out, xt, lib.tensor(g))[0]))
    np.testing.assert_array_equal(grads[0], grads[1])


@needs_torch
@pytest.mark.parametrize("size, kernel, stride", [(8, 2, 2), (9, 3, 2), (64, 2, 2), (9, 2, 2)])
@pytest.mark.parametrize("special", [-0.0, np.nan])
def test_max_pool_gradient_bits_match_torch(size, kernel, stride, special):
    # elements that did not win get +0.0 (g * 0 would give -0.0 under negative g, which
    # prints as -0.0000) and a winning -0.0 comes out +0.0 (torch adds into zeros): tiled,
    # overlapping, partly covered and large (bit-mask selection) alike
    rng = _rng(5)
    x = rng.standard_normal((2, 3, size, size)).astype(np.float32)
    grads = []
    for lib in (torchlet, torch):
        xt = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.max_pool2d(xt, kernel, stride)
        g = -np.abs(_rng(6).standard_normal(tuple(out.shape))).astype(np.float32)
        g[0, 0, 0, :2] = special
        grads.append(_np(lib.autograd.grad(out, xt, lib.tensor(g))[0]))
    assert grads[0].tobytes() == grads[1].tobytes()


@needs_torch
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_pool2d_random_configurations(data):
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    sh, sw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    ph, pw = data.draw(st.integers(0, kh // 2)), data.draw(st.integers(0, kw // 2))
    ceil = data.draw(st.booleans())
    kind = data.draw(st.sampled_from(["max", "avg"]))
    dh, dw = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))) if kind == "max" \
        else (1, 1)
    h = data.draw(st.integers(dh * (kh - 1) + 1, 10))
    w = data.draw(st.integers(dw * (kw - 1) + 1, 10))
    if ph > (dh * (kh - 1) + 1) // 2 or pw > (dw * (kw - 1) + 1) // 2:
        return
    x = _distinct(_rng(data.draw(st.integers(0, 99))), 2, 2, h, w)
    if kind == "max":
        def fn(t, a):
            return t.nn.functional.max_pool2d(a, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil,
                                              True)
    else:
        include = data.draw(st.booleans())
        divisor = data.draw(st.sampled_from([None, 2]))

        def fn(t, a):
            return t.nn.functional.avg_pool2d(a, (kh, kw), (sh, sw), (ph, pw), ceil, include,
                                              divisor)
    _compare(fn, x)


@needs_torch
@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 12), st.integers(1, 12))
def test_adaptive_pools_random_sizes(h, w, oh, ow):
    x = _distinct(_rng(h * 100 + w), 2, 2, h, w)
    _compare(lambda t, a: t.nn.functional.adaptive_avg_pool2d(a, (oh, ow)), x,
             exact=(oh, ow) != (1, 1), atol=1e-7)
    _compare(lambda t, a: t.nn.functional.adaptive_max_pool2d(a, (oh, ow), True), x)


@needs_torch
def test_integer_and_half_pools():
    rng = _rng(6)
    xi = rng.integers(-9, 9, (2, 2, 5, 5))
    _compare(lambda t, a: t.nn.functional.max_pool2d(a, 2, 1, 1, return_indices=True), xi)
    _compare(lambda t, a: t.nn.functional.avg_pool2d(a, 3, 2, 1), xi)  # rounds toward zero
    xh = rng.standard_normal((2, 2, 4, 4)).astype(np.float16)
    for fn in (lambda t, a: t.nn.functional.avg_pool2d(a, 2),
               lambda t, a: t.nn.functional.max_pool2d(a, 2)):
        ours, theirs = fn(torchlet, torchlet.tensor(xh)), fn(torch, torch.tensor(xh))
        assert ours.dtype == torchlet.float16
        np.testing.assert_array_equal(_np(ours), _np(theirs))


@needs_torch
@pytest.mark.parametrize("fn", [
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), (2, 2, 2)),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), 2, (2, 2, 2)),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), 0),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), 2, 2, 0, 0),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), 2, 2, 2),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 4, 4), 2, 2, -1),
    lambda t: t.nn.functional.max_pool2d(t.ones(1, 1, 1, 1), 2),
    lambda t: t.nn.functional.max_pool2d(t.ones(3, 4), 2),
    lambda t: t.nn.functional.max_pool2d(t.ones(2, 0, 4, 4), 2),
    lambda t: t.nn.functional.max_pool1d(t.ones(4), 2),
    lambda t: t.nn.functional.max_pool1d(t.ones(1, 3, 1), 2),
    lambda t: t.nn.functional.max_pool1d(t.ones(1, 3, 5), 2, padding=2),
    lambda t: t.nn.functional.max_pool1d(t.ones(1, 3, 5, dtype=t.int64), 2),
    lambda t: t.nn.functional.avg_pool2d(t.ones(1, 1, 4, 4), 2, divisor_override=0),
    lambda t: t.nn.functional.avg_pool2d(t.ones(3, 4), 2),
    lambda t: t.nn.functional.avg_pool1d(t.ones(4), 2),
    lambda t: t.nn.functional.avg_pool1d(t.ones(1, 3, 5), (2, 2)),
    lambda t: t.nn.functional.adaptive_avg_pool2d(t.ones(1, 1, 4, 4), -1),
    lambda t: t.nn.functional.adaptive_avg_pool2d(t.ones(1, 1, 4, 4), (1, 2, 3)),
    lambda t: t.nn.functional.adaptive_avg_pool2d(t.ones(3, 4), 2),
    lambda t: t.nn.functional.adaptive_max_pool2d(t.ones(3, 4), 2),
    lambda t: t.nn.functional.adaptive_max_pool2d(t.ones(1, 1, 4, 4, dtype=t.int64), 2),
    lambda t: t.nn.functional.adaptive_avg_pool1d(t.ones(1, 3, 4), (2, 2)),
    lambda t: t.nn.functional.max_unpool2d(t.ones(1, 1, 2, 2), t.zeros(1, 1, 2, 2), 2),
    lambda t: t.nn.functional.max_unpool2d(t.ones(1, 1, 2, 2),
                                           t.zeros(1, 1, 2, 3, dtype=t.int64), 2),
    lambda t: t.nn.functional.max_unpool2d(t.ones(2, 2), t.zeros(2, 2, dtype=t.int64), 2),
])
def test_pool_errors_match_torch(fn):
    errors = []
    for lib in (torch, torchlet):
        with pytest.raises(Exception) as info:  # noqa: PT011 - compared below
            fn(lib)
        errors.append(info.value)
    theirs, ours = errors
    assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
    assert str(ours) == str(theirs)


# ---------------------------------------------------------------------------------------
# average pooling and unpooling, by hand (no torch)


def test_avg_pool_divisors_by_hand():
    x = torchlet.ones(1, 1, 5, 5)
    out = F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)  # padding counted, the overhang not
    expected = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) / 9.0
    np.testing.assert_allclose(_np(out)[0, 0], expected, rtol=1e-6)
    out = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
    assert np.allclose(_np(out), 1.0)


def test_max_unpool_inverts_max_pool():
    x = torchlet.tensor([[[[1.0, 2.0, 0.0, 0.0], [4.0, 3.0, 0.0, 7.0]]]])
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    back = F.max_unpool2d(out, idx, 2)
    assert back.tolist() == [[[[0.0, 0.0, 0.0, 0.0], [4.0, 0.0, 0.0, 7.0]]]]
    assert nn.MaxUnpool2d(2)(out, idx, output_size=[1, 1, 2, 4]).tolist() == back.tolist()


def test_pooling_gradcheck_and_gradgradcheck_float64():
    rng = _rng(8)

    def t(*shape):
        return torchlet.tensor(_distinct(rng, *shape).astype(np.float64) * 4 - 2,
                               requires_grad=True)

    cases = [
        lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: F.max_pool1d(x[:, :, 0], 2),
        lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda x: F.avg_pool1d(x[:, :, 0], 3, 1, 1),
        lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
        lambda x: F.adaptive_max_pool2d(x, (4, 3)),
        lambda x: F.lp_pool2d(x * x + 0.5, 2, 2),
        lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                 output_size=(5, 5)),
        lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
        lambda x: F.interpolate(x, size=(3, 8), mode="bicubic", align_corners=True),
        lambda x: F.interpolate(x, scale_factor=2),
        lambda x: F.interpolate(x[:, :, 0], size=4, mode="linear"),
        lambda x: F.pixel_shuffle(x[:, :, :4, :4].reshape(2, 8, 2, 2), 2),
        lambda x: F.fold(F.unfold(x, 2, padding=1), (5, 5), 2, padding=1),
    ]
    for fn in cases:
        x = t(2, 2, 5, 5)
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))


def test_double_backward_node_names():
    x = torchlet.randn(1, 2, 4, 4, requires_grad=True)
    for fn, name in [(lambda a: F.max_pool2d(a, 2), "MaxPool2DWithIndicesBackwardBackward0"),
                     (lambda a: F.avg_pool2d(a, 2), "AvgPool2DBackwardBackward0"),
                     (lambda a: F.adaptive_avg_pool2d(a, 3), "AdaptiveAvgPool2DBackwardBackward0"),
                     (lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"),
                      "UpsampleBilinear2DBackwardBackward0")]:
        out = fn(x)
        g = torchlet.ones(*out.shape, requires_grad=True)
        (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
        assert gx.grad_fn.name() == name


# ---------------------------------------------------------------------------------------
# interpolate


@needs_torch
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_interpolate_random_sizes(data):
    mode, nd = data.draw(st.sampled_from([
        ("nearest", 1), ("nearest", 2), ("nearest", 3), ("nearest-exact", 1),
        ("nearest-exact", 2), ("linear", 1), ("bilinear", 2), ("bicubic", 2),
        ("trilinear", 3), ("area", 2)]))
    dtype = data.draw(st.sampled_from([np.float32, np.float64]))
    in_size = tuple(data.draw(st.integers(1, 8)) for _ in range(nd))
    kwargs = {}
    if data.draw(st.booleans()):
        kwargs["size"] = tuple(data.draw(st.integers(1, 12)) for _ in range(nd))
    else:
        factors = tuple(data.draw(st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.7, 3.0, 1 / 3]))
                        for _ in range(nd))
        if any(int(i * f) < 1 for i, f in zip(in_size, factors)):
            return
        kwargs["scale_factor"] = factors
        if mode != "area":
            kwargs["recompute_scale_factor"] = data.draw(st.sampled_from([None, True]))
    if mode not in ("nearest", "nearest-exact", "area"):
        kwargs["align_corners"] = data.draw(st.booleans())
    x = _rng(data.draw(st.integers(0, 99))).standard_normal((2, 2) + in_size).astype(dtype)
    exact = mode in ("nearest", "nearest-exact")  # the picked pixels are torch's
    tol = 1e-6 if dtype == np.float32 else 1e-13
    _compare(lambda t, a: t.nn.functional.interpolate(a, mode=mode, **kwargs), x, exact=exact,
             rtol=tol * 10, atol=tol * 10)


def test_interpolate_by_hand():
    x = torchlet.tensor([[[0.0, 1.0, 2.0]]])
    assert F.interpolate(x, scale_factor=2).tolist() == [[[0.0, 0.0, 1.0, 1.0, 2.0, 2.0]]]
    out = F.interpolate(x, size=5, mode="linear", align_corners=True)
    np.testing.assert_allclose(_np(out), [[[0.0, 0.5, 1.0, 1.5, 2.0]]])
    out = F.interpolate(x, size=2, mode="nearest-exact")
    assert out.tolist() == [[[0.0, 2.0]]]
    # antialiased bilinear of a constant image is the constant (the weights sum to 1)
    out = F.interpolate(torchlet.ones(1, 1, 4, 4), scale_factor=0.5, mode="bilinear",
                        antialias=True)
    np.testing.assert_allclose(_np(out), np.ones((1, 1, 2, 2)), rtol=1e-6)


@needs_torch
@pytest.mark.parametrize("fn", [
    lambda t: t.nn.functional.interpolate(t.ones(3, 4), scale_factor=2),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), scale_factor=2, mode="foo"),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), scale_factor=2, mode="linear"),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2), scale_factor=2, mode="bicubic"),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2)),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), size=3, scale_factor=2),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), size=(3, 3, 3)),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), size=(3.0, 3)),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4, 5), size=(0, 3)),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 4), scale_factor=0.1),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), scale_factor=2,
                                          align_corners=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), size=3,
                                          recompute_scale_factor=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 2), scale_factor=0.5,
                                          antialias=True),
    lambda t: t.nn.functional.pixel_shuffle(t.ones(3, 4), 2),
    lambda t: t.nn.functional.pixel_shuffle(t.ones(1, 4, 2, 2), 0),
    lambda t: t.nn.functional.pixel_unshuffle(t.ones(1, 1, 4, 3), 2),
    lambda t: t.nn.functional.unfold(t.ones(1, 1, 2, 3, 4), 2),
    lambda t: t.nn.functional.unfold(t.ones(1, 1, 4, 4), 0),
    lambda t: t.nn.functional.unfold(t.ones(1, 1, 4, 4), 2, padding=-1),
    lambda t: t.nn.functional.fold(t.ones(1, 5, 9), (4, 4), 2),
    lambda t: t.nn.functional.fold(t.ones(1, 4, 9, 1), (4, 4), 2),
])
def test_resampling_errors_match_torch(fn):
    errors = []
    for lib in (torch, torchlet):
        with pytest.raises(Exception) as info:  # noqa: PT011 - compared below
            fn(lib)
        errors.append(info.value)
    theirs, ours = errors
    assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
    if "channels_last" not in str(theirs):
        assert str(ours) == str(theirs)


# ---------------------------------------------------------------------------------------
# modules


@needs_torch
@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True, return_indices=True), (2, 3, 7, 6)),
    (lambda nn: nn.MaxPool1d(3, 2, dilation=2), (2, 3, 9)),
    (lambda nn: nn.MaxPool3d((2, 1, 2)), (1, 2, 4, 3, 4)),
    (lambda nn: nn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 7, 6)),
    (lambda nn: nn.AvgPool2d((2, 3), divisor_override=4), (2, 3, 6, 6)),
    (lambda nn: nn.AvgPool1d(2, ceil_mode=True), (2, 3, 7)),
    (lambda nn: nn.AvgPool3d(2, padding=1), (1, 2, 3, 4, 4)),
    (lambda nn: nn.AdaptiveAvgPool2d((5, None)), (2, 3, 7, 6)),
    (lambda nn: nn.AdaptiveAvgPool2d(1), (2, 3, 7, 6)),
    (lambda nn: nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveAvgPool3d((2, 2, 3)), (1, 2, 3, 5, 4)),
    (lambda nn: nn.AdaptiveMaxPool2d((3, 2), return_indices=True), (2, 3, 7, 6)),
    (lambda nn: nn.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda nn: nn.AdaptiveMaxPool3d(2), (1, 2, 3, 5, 4)),
    (lambda nn: nn.LPPool2d(2, 3, 2), (2, 3, 7, 6)),
    (lambda nn: nn.LPPool1d(1.5, 2), (2, 3, 8)),
])
def test_pool_modules_match_torch(make, shape):
    x = _distinct(_rng(9), *shape)
    if "LPPool" in repr(make(nn)):
        x = x + 0.1  # positive: the power mean's gradient is finite
    assert repr(make(nn)) == repr(make(torch.nn))
    # LPPool is composed of pow/mul ops; a (1, 1) adaptive average is torch's mean()
    exact = "LPPool" not in repr(make(nn)) and "output_size=1)" not in repr(make(nn))
    _compare(lambda t, a: make(t.nn)(a), x, exact=exact, rtol=1e-5)


@needs_torch
def test_unpool_modules_match_torch():
    x = _distinct(_rng(10), 2, 2, 6, 7)

    def fn(t, a):
        pool = t.nn.MaxPool2d(2, return_indices=True)
        out, idx = pool(a)
        return t.nn.MaxUnpool2d(2)(out, idx, output_size=a.size())

    _compare(fn, x)
    assert repr(nn.MaxUnpool2d(2)) == repr(torch.nn.MaxUnpool2d(2))
    assert repr(nn.MaxUnpool1d(2, 1)) == repr(torch.nn.MaxUnpool1d(2, 1))

"""Convolution layers against torch 2.13: F.conv1d/2d/3d, F.conv_transpose1d/2d/3d and the
modules Conv1d/2d/3d, ConvTranspose1d/2d/3d, plus the resampling and padding modules
(Upsample, PixelShuffle, PixelUnshuffle, Unfold, Fold, ZeroPad/ConstantPad/ReflectionPad/
ReplicationPad/CircularPad).

Checks that need no torch always run: initial weights against the test vectors of
docs/torch-rng.md §14, float64 gradcheck and gradgradcheck, the fast grad_input path
against the reference one. Live comparisons (skipped without torch) run the same code on
both libraries: initial parameters bit for bit, forward values, dtypes, shapes, grad_fn
names, gradients of the input and of every parameter, reprs character for character,
error types and messages.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import gradcheck, gradgradcheck
from torchlet.nn._functional import conv_kernels as conv_impl

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _rng(seed=0):
    return np.random.default_rng(seed)


def _np(t):
    return t.detach().numpy()


def _close(a, b, rtol=1e-5, atol=1e-5):
    a, b = _np(a), _np(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _module_pair(make, x_shape, seed=0, dtype=np.float32):
    """The same module built on both libraries after the same seed, run on the same input
    with the same output gradient; returns ((module, x, out) per library)."""
    x = _rng(seed).standard_normal(x_shape).astype(dtype)
    result = []
    for lib in (torchlet, torch):
        lib.manual_seed(seed)
        module = make(lib.nn)
        if dtype == np.float64:
            module = module.double()
        xt = lib.tensor(x, requires_grad=True)
        out = module(xt)
        g = _rng(seed + 1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(g))
        result.append((module, xt, out))
    return result


def _compare_modules(make, x_shape, seed=0, rtol=1e-5, atol=1e-5, dtype=np.float32):
    (m1, x1, o1), (m2, x2, o2) = _module_pair(make, x_shape, seed, dtype)
    for (n1, p1), (n2, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        assert n1 == n2
        assert np.array_equal(_np(p1), _np(p2)), f"initial {n1} differs"  # same draws
    _close(o1, o2, rtol, atol)
    assert o1.grad_fn.name() == o2.grad_fn.name()
    _close(x1.grad, x2.grad, 1e-4, atol)
    for (_, p1), (_, p2) in zip(m1.named_parameters(), m2.named_parameters()):
        _close(p1.grad, p2.grad, 1e-4, 1e-4)
    assert repr(m1) == repr(m2)
    return o1


# ---------------------------------------------------------------------------------------
# initialisation (no torch needed)


def _bits(t):
    return [hex(v) for v in np.asarray(_np(t), np.float32).view(np.uint32).tolist()]


def test_conv2d_init_matches_torch_test_vectors():
    # docs/torch-rng.md §14: manual_seed(0); nn.Conv2d(1, 6, 5)
    torchlet.manual_seed(0)
    conv = nn.Conv2d(1, 6, 5)
    assert _bits(conv.weight.flatten()[0:4]) == [
        "0xbac44333", "0x3ddbba30", "0xbe288f45", "0xbe16b867"]
    assert _bits(conv.bias[0:4]) == ["0xbe3fa99a", "0xbe2cda57", "0xbd2629f3", "0x3de0a08a"]


def test_parameter_shapes_and_state_dict():
    conv = nn.Conv2d(4, 6, (3, 2), groups=2)
    assert tuple(conv.weight.shape) == (6, 2, 3, 2) and tuple(conv.bias.shape) == (6,)
    convt = nn.ConvTranspose2d(4, 6, 3, groups=2, bias=False)
    assert tuple(convt.weight.shape) == (4, 3, 3, 3) and convt.bias is None
    assert list(conv.state_dict()) == ["weight", "bias"]
    assert list(convt.state_dict()) == ["weight"]


# ---------------------------------------------------------------------------------------
# modules against torch


@needs_torch
@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.Conv2d(1, 6, 5), (4, 1, 12, 12)),
    (lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=False), (2, 4, 9, 8)),
    (lambda nn: nn.Conv2d(4, 6, (3, 2), padding=(2, 1), dilation=(1, 2), groups=2),
     (2, 4, 7, 8)),
    (lambda nn: nn.Conv2d(3, 3, 3, groups=3, padding="same"), (2, 3, 6, 6)),
    (lambda nn: nn.Conv2d(3, 4, 4, padding="same"), (2, 3, 6, 5)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding="valid"), (2, 2, 6, 5)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=2, padding_mode="reflect"), (2, 2, 6, 5)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), (2, 2, 6, 5)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), (2, 2, 6, 5)),
    (lambda nn: nn.Conv2d(2, 3, 3, padding="same", padding_mode="reflect"), (2, 6, 5)),
    (lambda nn: nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 10)),
    (lambda nn: nn.Conv1d(4, 4, 3, padding=1, groups=4, padding_mode="circular"), (2, 4, 7)),
    (lambda nn: nn.Conv3d(2, 3, (2, 3, 2), padding=1), (1, 2, 4, 5, 4)),
    (lambda nn: nn.ConvTranspose2d(3, 4, 3), (2, 3, 5, 4)),
    (lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 4, 5)),
    (lambda nn: nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), dilation=(1, 2), bias=False),
     (2, 2, 3, 3)),
    (lambda nn: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), (2, 3, 6)),
    (lambda nn: nn.ConvTranspose3d(2, 2, 2, stride=2), (1, 2, 2, 3, 2)),
    (lambda nn: nn.Conv2d(3, 4, 3), (3, 6, 6)),  # unbatched
])
def test_conv_modules_match_torch(make, shape):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # padding='same' with an even kernel warns, as torch
        _compare_modules(make, shape)


@needs_torch
def test_conv_module_float64_and_half():
    _compare_modules(lambda nn: nn.Conv2d(2, 3, 3, padding=1), (2, 2, 5, 5), rtol=1e-12,
                     atol=1e-12, dtype=np.float64)
    x = np.ones((1, 2, 4, 4), np.float16)
    outs = []
    for lib in (torchlet, torch):
        lib.manual_seed(0)
        m = lib.nn.Conv2d(2, 3, 3).half()
        outs.append(m(lib.tensor(x)))
    assert outs[0].dtype == torchlet.float16
    np.testing.assert_allclose(_np(outs[0]).astype(np.float32), _np(outs[1]).astype(np.float32),
                               rtol=2e-3, atol=2e-3)


@needs_torch
def test_conv_transpose_output_size():
    x = _rng().standard_normal((1, 3, 4, 4)).astype(np.float32)
    for lib in (torchlet, torch):
        lib.manual_seed(0)
        up = lib.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
        assert tuple(up(lib.tensor(x), output_size=[8, 8]).shape) == (1, 2, 8, 8)
        assert tuple(up(lib.tensor(x), output_size=(1, 2, 7, 8)).shape) == (1, 2, 7, 8)
    with pytest.raises(ValueError, match="requested an output size of \\[10, 10\\]"):
        nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)(torchlet.tensor(x), output_size=[10, 10])


@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(1, 6, 5),
    lambda nn: nn.Conv2d(16, 33, (3, 5), stride=(2, 1), padding=(4, 2), dilation=(3, 1)),
    lambda nn: nn.Conv2d(4, 4, 3, groups=2, bias=False, padding_mode="reflect", padding=1),
    lambda nn: nn.Conv2d(4, 4, 3, padding="same"),
    lambda nn: nn.Conv2d(4, 4, 3, padding="valid"),
    lambda nn: nn.Conv1d(16, 33, 3, stride=2),
    lambda nn: nn.Conv3d(2, 4, (1, 2, 3), padding=(0, 1, 1)),
    lambda nn: nn.ConvTranspose2d(16, 33, 3, stride=2, output_padding=1),
    lambda nn: nn.ConvTranspose1d(4, 2, 3, dilation=2, groups=2),
    lambda nn: nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d((1, 1)),
                             nn.Upsample(scale_factor=2), nn.PixelShuffle(2),
                             nn.Unfold(2), nn.Fold((3, 3), 2), nn.ZeroPad2d((1, 2, 0, 1)),
                             nn.ReflectionPad1d(2), nn.ConstantPad2d(1, 3.5),
                             nn.ReplicationPad2d(2), nn.CircularPad1d((1, 2)),
                             nn.MaxUnpool2d(2), nn.LPPool2d(2, 3), nn.AdaptiveMaxPool1d(3),
                             nn.PixelUnshuffle(3), nn.UpsamplingBilinear2d(size=(4, 4))),
])
def test_reprs_match_torch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@needs_torch
@pytest.mark.parametrize("make, shape", [
    (lambda nn: nn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 4, 4)),
    (lambda nn: nn.ZeroPad1d(2), (2, 3, 4)),
    (lambda nn: nn.ConstantPad2d(1, -2.5), (2, 3, 4, 4)),
    (lambda nn: nn.ConstantPad1d((1, 0), 1.0), (3, 4)),
    (lambda nn: nn.ReflectionPad2d(2), (2, 3, 4, 4)),
    (lambda nn: nn.ReflectionPad1d((1, 3)), (2, 3, 5)),
    (lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), (2, 3, 4, 4)),
    (lambda nn: nn.ReplicationPad1d(2), (2, 3, 4)),
    (lambda nn: nn.CircularPad2d(1), (2, 3, 4, 4)),
    (lambda nn: nn.CircularPad1d((2, 1)), (2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 4)),
    (lambda nn: nn.Upsample(size=(5, 3)), (2, 3, 4, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=3), (1, 2, 2, 3)),
    (lambda nn: nn.UpsamplingBilinear2d(size=(5, 7)), (1, 2, 2, 3)),
    (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 3)),
    (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    (lambda nn: nn.Unfold((2, 3), padding=1, stride=2), (2, 3, 5, 6)),
    (lambda nn: nn.Fold((4, 5), 2), (2, 8, 12)),
])
def test_resampling_and_padding_modules_match_torch(make, shape):
    _compare_modules(make, shape)


@needs_torch
def test_padding_module_errors_and_reprs():
    for lib_nn in (nn, torch.nn):
        with pytest.raises(ValueError, match="expected 3D or 4D input \\(got 2D input\\)"):
            lib_nn.CircularPad2d(1)(torchlet.ones(3, 4) if lib_nn is nn else torch.ones(3, 4))
    assert repr(nn.ZeroPad2d(2)) == repr(torch.nn.ZeroPad2d(2)) == "ZeroPad2d((2, 2, 2, 2))"


# ---------------------------------------------------------------------------------------
# the functional form: random configurations against torch


@needs_torch
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_conv2d_random_configurations(data):
    groups = data.draw(st.sampled_from([1, 2, 3]))
    cin = groups * data.draw(st.integers(1, 3))
    cout = groups * data.draw(st.integers(1, 3))
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    sh, sw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    dh, dw = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    ph, pw = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    h = data.draw(st.integers(dh * (kh - 1) + 1 - 2 * ph if dh * (kh - 1) + 1 > 2 * ph else 1,
                              9))
    w = data.draw(st.integers(dw * (kw - 1) + 1 - 2 * pw if dw * (kw - 1) + 1 > 2 * pw else 1,
                              9))
    transposed = data.draw(st.booleans())
    bias = data.draw(st.booleans())
    n = data.draw(st.sampled_from([2, 8, 9]))  # from 8, small outputs go batch-last
    rng = _rng(data.draw(st.integers(0, 1000)))
    if transposed:
        oph = data.draw(st.integers(0, max(sh, dh) - 1))
        opw = data.draw(st.integers(0, max(sw, dw) - 1))
        out_h = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
        out_w = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
        if out_h <= 0 or out_w <= 0:
            return
        shapes = [(n, cin, h, w), (cin, cout // groups, kh, kw), (cout,)]
        kwargs = dict(stride=(sh, sw), padding=(ph, pw), output_padding=(oph, opw),
                      groups=groups, dilation=(dh, dw))
    else:
        shapes = [(n, cin, h, w), (cout, cin // groups, kh, kw), (cout,)]
        kwargs = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw), groups=groups)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    results = []
    for lib in (torchlet, torch):
        x, wt, b = (lib.tensor(a, requires_grad=True) for a in arrays)
        fn = lib.nn.functional.conv_transpose2d if transposed else lib.nn.functional.conv2d
        out = fn(x, wt, b if bias else None, **kwargs)
        g = lib.tensor(_rng(1).standard_normal(tuple(out.shape)).astype(np.float32))
        grads = lib.autograd.grad(out, [x, wt, b] if bias else [x, wt], g)
        results.append((out, grads))
    (o1, g1), (o2, g2) = results
    _close(o1, o2)
    assert o1.grad_fn.name() == o2.grad_fn.name() == "ConvolutionBackward0"
    for a, b in zip(g1, g2):
        _close(a, b, 1e-4, 1e-4)


@needs_torch
@pytest.mark.parametrize("fn, args", [
    ("conv2d", ((1, 3, 28, 28), (6, 1, 5, 5))),
    ("conv2d", ((3, 4), (6, 1, 5, 5))),
    ("conv2d", ((1, 1, 2, 2), (6, 1, 5, 5))),
    ("conv2d", ((1, 1, 2, 2), (6, 1, 5, 5), dict(padding=1))),
    ("conv2d", ((1, 2, 8, 8), (5, 1, 3, 3), dict(groups=2))),
    ("conv2d", ((1, 3, 8, 8), (6, 1, 3, 3), dict(groups=2))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(bias=(5,)))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(stride=0))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(padding=-1))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(dilation=0))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(stride=(1, 1, 1)))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(stride=2, padding="same"))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3, 3), dict(padding="full"))),
    ("conv2d", ((1, 1, 8, 8), (6, 1, 3))),
    ("conv1d", ((3,), (6, 1, 3))),
    ("conv_transpose2d", ((2, 3, 10, 10), (4, 2, 3, 3))),
    ("conv_transpose2d", ((2, 4, 10, 10), (4, 2, 3, 3), dict(output_padding=1))),
    ("conv_transpose2d", ((2, 4, 5, 5), (4, 2, 3, 3), dict(bias=(3,)))),
    ("conv_transpose2d", ((4, 5), (4, 2, 3, 3))),
])
def test_conv_errors_match_torch(fn, args):
    x_shape, w_shape = args[0], args[1]
    kwargs = dict(args[2]) if len(args) > 2 else {}
    errors = []
    for lib in (torchlet, torch):
        kw = dict(kwargs)
        if "bias" in kw:
            kw["bias"] = lib.ones(kw["bias"])
        try:
            getattr(lib.nn.functional, fn)(lib.ones(x_shape), lib.ones(w_shape), **kw)
        except Exception as e:  # noqa: BLE001 - compared below
            errors.append(e)
        else:
            errors.append(None)
    ours, theirs = errors
    assert theirs is not None and ours is not None, (ours, theirs)
    assert type(ours) is type(theirs), (ours, theirs)
    assert str(ours) == str(theirs)


def test_conv_error_messages_without_torch():
    with pytest.raises(RuntimeError, match=(
            "Given groups=1, weight of size \\[6, 1, 5, 5\\], expected input\\[1, 3, 28, 28\\] "
            "to have 1 channels, but got 3 channels instead")):
        F.conv2d(torchlet.ones(1, 3, 28, 28), torchlet.ones(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match=(
            "Calculated padded input size per channel: \\(2 x 2\\). Kernel size: \\(5 x 5\\). "
            "Kernel size can't be greater than actual input size")):
        F.conv2d(torchlet.ones(1, 1, 2, 2), torchlet.ones(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\)"):
        nn.Conv2d(1, 6, 5)(torchlet.ones(28, 28))
    with pytest.raises(TypeError):
        F.conv2d([1.0], torchlet.ones(6, 1, 5, 5))
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.conv2d(torchlet.ones(1, 1, 6, 6, dtype=torchlet.float64), torchlet.ones(2, 1, 3, 3))


@needs_torch
@pytest.mark.parametrize("make", [
    lambda nn: nn.Conv2d(4, 6, 3, groups=4),
    lambda nn: nn.Conv2d(4, 6, 3, groups=0),
    lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    lambda nn: nn.Conv2d(4, 6, 3, padding="full"),
    lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding="same"),
    lambda nn: nn.Conv2d(4, 6, 3, padding_mode="mirror"),
    lambda nn: nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
])
def test_module_construction_errors_match_torch(make):
    with pytest.raises(ValueError) as theirs:
        make(torch.nn)
    with pytest.raises(ValueError) as ours:
        make(nn)

    def normalized(message):  # torch prints Python sets, whose order varies between runs
        return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))),
                      message)

    assert normalized(str(ours.value)) == normalized(str(theirs.value))


# ---------------------------------------------------------------------------------------
# gradients: double backward, the fast paths


def test_conv_gradcheck_and_gradgradcheck_float64():
    rng = _rng(3)

    def t(*shape):
        return torchlet.tensor(rng.standard_normal(shape), requires_grad=True)

    cases = [
        (F.conv2d, (t(2, 4, 6, 5), t(6, 2, 3, 2), t(6)),
         dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)),
        (F.conv_transpose2d, (t(2, 4, 3, 4), t(4, 3, 3, 2), t(6)),
         dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2))),
        (F.conv1d, (t(2, 6, 7), t(3, 6, 3), t(3)), dict(padding="same")),
        (F.conv3d, (t(1, 2, 3, 4, 3), t(2, 2, 2, 2, 2), t(2)), dict(stride=(1, 2, 1))),
    ]
    for fn, args, kwargs in cases:
        def f(*a, fn=fn, kwargs=kwargs):
            return fn(*a, **kwargs)
        assert gradcheck(f, args)
        assert gradgradcheck(f, args)


def test_double_backward_graph_names():
    x = torchlet.randn(2, 3, 6, 6, requires_grad=True)
    w = torchlet.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    gx, gw = torchlet.autograd.grad(y.sum() * 1, (x, w), create_graph=True)
    assert gx.grad_fn.name() == gw.grad_fn.name() == "ConvolutionBackwardBackward0"
    (gx * gx).sum().backward()  # a second derivative reaches w
    assert w.grad is not None and float(w.grad.abs().sum()) > 0


@needs_torch
def test_second_derivative_matches_torch():
    rng = _rng(5)
    arrays = [rng.standard_normal(s).astype(np.float64) for s in ((2, 3, 6, 5), (4, 3, 3, 2))]
    results = []
    for lib in (torchlet, torch):
        x, w = (lib.tensor(a, requires_grad=True) for a in arrays)
        y = lib.nn.functional.conv2d(x, w, stride=(2, 1), padding=1)
        gx, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        results.append(lib.autograd.grad((gx ** 3).sum(), (x, w)))
    for a, b in zip(*results):
        _close(a, b, 1e-10, 1e-10)


@pytest.mark.parametrize("n, c, o, size, k, groups, stride, pad, dil", [
    (4, 6, 16, 12, (5, 5), 1, (1, 1), (0, 0), (1, 1)),
    (3, 12, 8, 11, (3, 3), 2, (2, 2), (1, 1), (1, 1)),
    (2, 10, 10, 9, (2, 3), 2, (2, 1), (1, 0), (1, 2)),
    (2, 5, 5, 7, (3,), 1, (2,), (1,), (1,)),
])
def test_channels_last_grad_input_equals_reference(n, c, o, size, k, groups, stride, pad, dil):
    nd = len(k)
    in_size = (size,) * nd
    out = tuple((i + 2 * p - d * (kk - 1) - 1) // s + 1
                for i, kk, s, p, d in zip(in_size, k, stride, pad, dil))
    geo = conv_impl.Geometry(in_size, k, out, stride, pad, pad, dil, groups)
    rng = _rng(7)
    w = rng.standard_normal((o, c // groups) + k).astype(np.float32)
    y = rng.standard_normal((n, o) + out).astype(np.float32)
    fast = conv_impl._input_grad_channels_last(y, w, geo)
    slow = conv_impl._input_grad_reference(y, w, geo)
    assert fast.flags.c_contiguous and fast.shape == slow.shape == (n, c) + in_size
    # The two paths add the same float32 products in different orders (and BLAS picks
    # its kernels by CPU), so each is checked against the float64 result, to float32
    # rounding of a sum of up to o*prod(k) products of N(0, 1) numbers.
    exact = conv_impl._input_grad_reference(y.astype(np.float64), w.astype(np.float64), geo)
    for result in (fast, slow):
        np.testing.assert_allclose(result, exact, rtol=0, atol=2e-5)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=4e-5)


@pytest.mark.parametrize("n, c, o, size, k, groups, stride, pad, dil", [
    (8, 6, 16, 12, (5, 5), 1, (1, 1), (0, 0), (1, 1)),  # LeNet's second layer
    (9, 4, 6, 9, (3, 3), 2, (2, 2), (1, 1), (1, 1)),
    (8, 3, 3, 10, (2, 3), 3, (2, 1), (1, 0), (1, 2)),
    (10, 12, 4, 7, (3, 3), 1, (1, 1), (1, 1), (1, 1)),  # 12 channels: channels-last grad
    (8, 2, 5, 11, (3,), 1, (2,), (1,), (1,)),
    (8, 2, 4, 5, (2, 2, 2), 2, (1, 1, 1), (0, 1, 0), (1, 1, 1)),
])
def test_batch_last_layout_equals_one_sample_at_a_time(n, c, o, size, k, groups, stride,
                                                       pad, dil):
    # batches of 8+ with outputs at most 8 wide take the batch-last layout; one sample at
    # a time takes the (N, C, ...) layout: both must give the same numbers
    nd = len(k)
    in_size = (size,) * nd
    out = tuple((i + 2 * p - d * (kk - 1) - 1) // s + 1
                for i, kk, s, p, d in zip(in_size, k, stride, pad, dil))
    geo = conv_impl.Geometry(in_size, k, out, stride, pad, pad, dil, groups)
    assert conv_impl._use_batch_last(geo, n, np.dtype(np.float32))
    assert not conv_impl._use_batch_last(geo, 1, np.dtype(np.float32))
    rng = _rng(3)
    x = rng.standard_normal((n, c) + in_size).astype(np.float32)
    w = rng.standard_normal((o, c // groups) + k).astype(np.float32)
    y = rng.standard_normal((n, o) + out).astype(np.float32)
    forward, _ = conv_impl.conv_forward(x, w, geo)
    input_grad = conv_impl.conv_input_grad(y, w, geo)
    weight_grad = conv_impl.conv_weight_grad(x, y, geo)
    for result in (forward, input_grad, weight_grad):
        assert result.flags.c_contiguous and result.dtype == np.float32
    one = [conv_impl.conv_forward(x[i:i + 1], w, geo)[0] for i in range(n)]
    np.testing.assert_allclose(forward, np.concatenate(one), rtol=1e-5, atol=1e-5)
    one = [conv_impl.conv_input_grad(y[i:i + 1], w, geo) for i in range(n)]
    np.testing.assert_allclose(input_grad, np.concatenate(one), rtol=1e-5, atol=1e-5)
    one = [conv_impl.conv_weight_grad(x[i:i + 1], y[i:i + 1], geo) for i in range(n)]
    np.testing.assert_allclose(weight_grad, np.sum(one, axis=0), rtol=1e-4, atol=1e-4)


def test_grad_weight_keeps_and_releases_forward_columns():
    x = torchlet.randn(2, 3, 6, 6)
    w = torchlet.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w)
    node = y.grad_fn
    assert node.cols is not None  # kept for grad_weight
    g = torchlet.randn(*y.shape)
    (gw1,) = torchlet.autograd.grad(y, w, g, retain_graph=True)
    (gw2,) = torchlet.autograd.grad(y, w, g)  # rebuilt after the first backward
    assert np.array_equal(_np(gw1), _np(gw2))


def test_conv_output_is_contiguous_and_dtype_preserved():
    x = torchlet.randn(2, 3, 7, 7)
    for dtype in (torchlet.float32, torchlet.float64):
        y = F.conv2d(x.to(dtype), torchlet.randn(4, 3, 3, 3, dtype=dtype), padding=1, stride=2)
        assert y.dtype == dtype and y.is_contiguous()
        z = F.conv_transpose2d(y, torchlet.randn(4, 3, 3, 3, dtype=dtype), stride=2, padding=1)
        assert z.dtype == dtype and z.is_contiguous() and tuple(z.shape) == (2, 3, 7, 7)
    ints = F.conv2d(torchlet.ones(1, 1, 3, 3, dtype=torchlet.int64),
                    torchlet.ones(1, 1, 2, 2, dtype=torchlet.int64))
    assert ints.dtype == torchlet.int64 and ints.tolist() == [[[[4, 4], [4, 4]]]]


@needs_torch
def test_lenet_training_step_matches_torch():
    """A LeNet-style network, same seed: initial weights, loss and every gradient."""

    def make(lib):
        lib.manual_seed(0)
        n = lib.nn
        return n.Sequential(n.Conv2d(1, 6, 5), n.ReLU(), n.MaxPool2d(2), n.Conv2d(6, 16, 5),
                            n.ReLU(), n.MaxPool2d(2), n.Flatten(), n.Linear(256, 120),
                            n.ReLU(), n.Linear(120, 84), n.ReLU(), n.Linear(84, 10))

    rng = _rng(11)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    results = []
    for lib in (torchlet, torch):
        model = make(lib)
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
        loss.backward()
        results.append((loss, [p.grad for p in model.parameters()]))
    _close(results[0][0], results[1][0], 1e-5, 1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        _close(a, b, 1e-4, 1e-5)


def test_empty_batch():
    x = torchlet.randn(0, 1, 8, 8, requires_grad=True)
    w = torchlet.randn(6, 1, 3, 3, requires_grad=True)
    b = torchlet.randn(6, requires_grad=True)
    y = F.conv2d(x, w, b)
    assert tuple(y.shape) == (0, 6, 6, 6)
    y.sum().backward()
    assert float(w.grad.abs().sum()) == 0.0 and float(b.grad.abs().sum()) == 0.0
    assert tuple(F.conv_transpose2d(torchlet.randn(0, 2, 3, 3), torchlet.randn(2, 3, 2, 2)).shape
                 ) == (0, 3, 4, 4)
    assert tuple(F.max_pool2d(torchlet.randn(0, 2, 4, 4), 2).shape) == (0, 2, 2, 2)
    assert tuple(F.unfold(torchlet.randn(0, 2, 4, 4), 2).shape) == (0, 8, 9)
    out = F.interpolate(torchlet.randn(0, 2, 4, 4), scale_factor=2, mode="bilinear")
    assert tuple(out.shape) == (0, 2, 8, 8)

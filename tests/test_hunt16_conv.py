"""Convolution against torch 2.13, found by a differential hunt (session 16): memory
layouts of results and gradients, transposed convolutions with empty or too small
outputs, torch's per-backend dtype checks, create_graph gradients as one node, padding
'same' with an even kernel, and a few messages. Each test checks a hand-derived
expectation and, when torch is installed, torch itself; the last one is a small sampled
differential test of the whole area.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.autograd import gradgradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
LIBS = [torchlet] if torch is None else [torchlet, torch]


def _name(node, lib):
    if node is None:
        return None
    return node.name() if lib is torchlet else type(node).__name__


def _cl(lib, t):
    return t.contiguous(memory_format=lib.channels_last if t.dim() == 4
                        else lib.channels_last_3d)


def _raises(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).split("\n")[0]
    return None


# ---------------------------------------------------------------------------------------
# Layouts: one memory format per convolution, for the result and both gradients


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case", ["conv2d_x", "conv2d_w", "convT2d_x", "convT2d_w", "conv3d_f32",
                                  "conv3d_f64", "convT3d_f64"])
def test_result_and_gradients_share_the_layout(lib, case):
    nd = 3 if "3d" in case else 2
    dt = lib.float64 if case.endswith("f64") else lib.float32
    transposed = case.startswith("convT")
    x = lib.ones([2, 4] + [5] * nd, dtype=dt)
    w = lib.ones(([4, 3] if transposed else [3, 4]) + [3] * nd, dtype=dt)
    if case.endswith("_w"):
        w = _cl(lib, w)
    else:
        x = _cl(lib, x)
    x.requires_grad_()
    w.requires_grad_()
    f = getattr(lib.nn.functional, f"conv_transpose{nd}d" if transposed else f"conv{nd}d")
    out = f(x, w)
    gx, gw = lib.autograd.grad(out, (x, w), lib.ones_like(out))
    # torch's slow 3-d kernels (float64) are always contiguous; everything else follows
    # the channels_last input or weight
    want_cl = case != "conv3d_f64" and case != "convT3d_f64"
    fmt = lib.channels_last if nd == 2 else lib.channels_last_3d
    for t in (out, gx, gw):
        assert t.is_contiguous(memory_format=fmt) == want_cl
        assert t.is_contiguous() == (not want_cl)


@pytest.mark.parametrize("lib", LIBS)
def test_conv1d_layout_follows_the_weight_and_a_contiguous_input(lib):
    # a 1-d convolution runs as a 2-d one; a weight stored (O, k, C) reads as
    # channels_last there, and so does an input whose only transposed dim has size 1
    w = lib.ones(2, 1, 3).transpose(1, 2)  # (2, 3, 1), strides (3, 1, 3)
    out = lib.nn.functional.conv1d(lib.ones(1, 3, 2), w, padding=1)
    assert tuple(out.shape) == (1, 2, 4) and out.stride() == (8, 1, 2)
    x = lib.ones(3, 4, 1).transpose(1, 2)  # (3, 1, 4), strides (4, 1, 1): contiguous
    out = lib.nn.functional.conv1d(x, lib.ones(2, 1, 2), dilation=2)
    assert out.stride() == (4, 1, 2)
    # a non-contiguous input is copied first: its layout does not count
    x = lib.ones(2, 5, 3).transpose(1, 2)
    assert lib.nn.functional.conv1d(x, lib.ones(2, 3, 3), padding=1).stride() == (10, 5, 1)


# ---------------------------------------------------------------------------------------
# conv_transpose: empty and too small outputs, and the order of its checks


@pytest.mark.parametrize("lib", LIBS)
def test_conv_transpose_zero_size_output_depends_on_the_backend(lib):
    F_ = lib.nn.functional
    # float32, batch 3: oneDNN returns the empty result
    x = lib.ones(3, 1, 2, 2, requires_grad=True)
    out = F_.conv_transpose2d(x, lib.ones(1, 2, 3, 3), padding=(2, 1))
    assert tuple(out.shape) == (3, 2, 0, 2)
    out.sum().backward()
    assert float(x.grad.abs().sum()) == 0.0
    # float64 (the slow kernel): an error, a 1-d one reported as 2-d
    err = _raises(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(3, 1, 2, 2, dtype=L.float64), L.ones(1, 2, 3, 3, dtype=L.float64),
        padding=(2, 1)), lib)
    assert err == ("RuntimeError", "Given input size per channel: (2 x 2). Calculated output "
                   "size per channel: (0 x 2). Output size is too small")
    err = _raises(lambda L: L.nn.functional.conv_transpose1d(
        L.ones(3, 1, 2, dtype=L.float64), L.ones(1, 2, 3, dtype=L.float64), padding=2), lib)
    assert err[1] == ("Given input size per channel: (1 x 2). Calculated output size per "
                      "channel: (1 x 0). Output size is too small")
    # float32 with a negative size
    err = _raises(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(3, 1, 2, 2), L.ones(1, 2, 3, 3), padding=(3, 2)), lib)
    assert err == ("RuntimeError", "could not construct a memory descriptor using a format tag")


@pytest.mark.parametrize("lib", LIBS)
def test_conv_transpose_empty_batch_checks_only_the_shape(lib):
    F_ = lib.nn.functional
    w = lib.ones(2, 3, 3, 3)
    # output_padding as large as the stride: no check for an empty batch
    out = F_.conv_transpose2d(lib.ones(0, 2, 4, 4), w, stride=2, output_padding=2)
    assert tuple(out.shape) == (0, 3, 11, 11)
    err = _raises(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(0, 2, 2, 2), L.ones(2, 3, 1, 1), padding=(1, 2)), lib)
    assert err == ("RuntimeError", "invalid shape dimension -2 at index 3 of shape "
                   "[0, 3, 0, -2]")
    err = _raises(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(0, 2, 2, 3), L.ones(2, 3, 1, 1), padding=(1, 2)), lib)
    assert err == ("RuntimeError", "cannot reshape tensor of 0 elements into shape "
                   "[0, 3, 0, -1] because the unspecified dimension size -1 can be any value "
                   "and is ambiguous")
    # and no dtype checks either
    out = F_.conv_transpose2d(lib.ones(0, 2, 4, 4, dtype=lib.int32),
                              lib.ones(2, 3, 3, 3, dtype=lib.int32))
    assert out.dtype == lib.int32


@pytest.mark.parametrize("lib", LIBS)
def test_conv_transpose_checks_channels_before_output_padding(lib):
    err = _raises(lambda L: L.nn.functional.conv_transpose2d(
        L.ones(3, 4, 3, 2), L.ones(3, 2, 2, 3), stride=2, output_padding=3), lib)
    assert err == ("RuntimeError", "Given transposed=1, weight of size [3, 2, 2, 3], expected "
                   "input[3, 4, 3, 2] to have 3 channels, but got 4 channels instead")


@pytest.mark.parametrize("lib", LIBS)
def test_conv_transpose_module_output_size_error_prints_it_as_given(lib):
    m = lib.nn.ConvTranspose2d(1, 2, (4, 3), padding=(0, 1), dilation=(2, 1))
    err = _raises(lambda L: m(L.ones(3, 1, 3, 4), output_size=(9, 5)), lib)
    assert err == ("ValueError", "requested an output size of (9, 5), but valid sizes range "
                   "from [9, 4] to [9, 4] (for an input of torch.Size([3, 4]))")


@pytest.mark.parametrize("lib", LIBS)
def test_fold_too_few_blocks_message(lib):
    err = _raises(lambda L: L.nn.functional.fold(L.ones(1, 18, 1), (1, 1), 3, (2, 1), (1, 0)),
                  lib)
    assert err == ("RuntimeError", "Given output_size=(1, 1), kernel_size=(3, 3), "
                   "dilation=(2, 1), padding=(1, 0), stride=(1, 1), calculated shape of the "
                   "array of sliding blocks as (-1, -1), which is too small (non-positive)")


# ---------------------------------------------------------------------------------------
# dtype checks: each backend its own


_MKLDNN_W = ("RuntimeError", "Input type (torch.FloatTensor) and weight type "
             "(torch.DoubleTensor) should be the same or input should be a MKLDNN tensor "
             "and weight is a dense tensor")


@pytest.mark.parametrize("lib", LIBS)
def test_dtype_checks_follow_the_backend(lib):
    def call(L, fn, n, xd, wd, bd=None, **kw):
        nd = 3 if fn.endswith("3d") else 2
        x = L.ones([n, 2] + [4] * nd, dtype=getattr(L, xd))
        w = L.ones([2, 2] + [3] * nd, dtype=getattr(L, wd))
        b = None if bd is None else L.ones(2, dtype=getattr(L, bd))
        return getattr(L.nn.functional, fn)(x, w, b, **kw)

    # oneDNN runs float32 batches of two or more
    assert _raises(lambda L: call(L, "conv2d", 2, "float32", "float64"), lib) == _MKLDNN_W
    assert _raises(lambda L: call(L, "conv_transpose2d", 2, "float32", "float64"),
                   lib) == _MKLDNN_W
    # one small sample: the slow kernel
    assert _raises(lambda L: call(L, "conv2d", 1, "float32", "float64"), lib) == (
        "RuntimeError", "expected scalar type Float but found Double")
    # int padding: the bias first, in words of its own
    assert _raises(lambda L: call(L, "conv2d", 2, "float32", "float32", "float64"), lib) == (
        "RuntimeError", "Input type (float) and bias type (double) should be the same")
    # padding='same' skips that; the slow kernel casts the bias
    out = call(lib, "conv2d", 1, "float32", "float32", "float64", padding="same")
    assert out.dtype == lib.float32 and float(out[0, 0, 1, 1]) == 19.0  # 18 ones + bias 1
    # transposed: integers other than int64 are not implemented, whatever the weight
    assert _raises(lambda L: call(L, "conv_transpose2d", 1, "int32", "int32"), lib) == (
        "NotImplementedError", "\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int'")
    assert _raises(lambda L: call(L, "conv_transpose3d", 1, "int32", "int32", "float32"),
                   lib)[0] == "NotImplementedError"
    assert _raises(lambda L: call(L, "conv_transpose2d", 1, "int64", "int64", "float32"),
                   lib) == ("RuntimeError",
                            "result type Float can't be cast to the desired output type Long")


# ---------------------------------------------------------------------------------------
# create_graph: the three gradients are outputs of one node


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("transposed", [False, True])
def test_create_graph_gradients_come_from_one_node(lib, transposed):
    f = lib.nn.functional.conv_transpose2d if transposed else lib.nn.functional.conv2d
    x = lib.ones(2, 3, 5, 5, requires_grad=True)
    w = lib.ones(3, 3, 2, 2)  # frozen
    b = lib.ones(3, requires_grad=True)
    out = f(x, w, b)
    gx, gb = lib.autograd.grad(out, (x, b), lib.ones_like(out), create_graph=True)
    # both depend on constants only, yet require grad, as torch's (its node's inputs are
    # grad_output, input and weight)
    assert gx.requires_grad and gb.requires_grad
    assert _name(gx.grad_fn, lib) == _name(gb.grad_fn, lib) == "ConvolutionBackwardBackward0"
    assert gx.grad_fn is gb.grad_fn
    assert len(gx.grad_fn.next_functions) == 3
    (g2,) = lib.autograd.grad(gx.sum() + gb.sum(), (x,), allow_unused=True)
    assert g2 is None


def test_double_backward_through_the_node_is_right():
    rng = np.random.default_rng(0)

    def t(*shape):
        return torchlet.tensor(rng.standard_normal(shape), requires_grad=True)

    geo = dict(stride=(2, 1), padding=1, dilation=(1, 2))
    assert gradgradcheck(lambda x, w, b: F.conv2d(x, w, b, groups=2, **geo),
                         (t(2, 4, 5, 6), t(6, 2, 2, 3), t(6)))
    assert gradgradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, output_padding=1, **geo),
                         (t(2, 3, 3, 4), t(3, 2, 3, 2), t(2)))
    assert gradgradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (t(2, 2, 5), t(3, 2, 4)))


# ---------------------------------------------------------------------------------------
# padding='same' with an even kernel: torch pads the odd one out first


@pytest.mark.parametrize("lib", LIBS)
def test_same_padding_with_even_kernel_pads_first(lib):
    x = lib.ones(1, 3, 4, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = lib.nn.functional.conv2d(x, lib.ones(2, 3, 2, 2), padding="same")
        assert tuple(out.shape) == (1, 2, 4, 4)
        assert float(out[0, 0, 3, 3]) == 3.0 and float(out[0, 0, 0, 0]) == 12.0
        assert _name(out.grad_fn.next_functions[0][0], lib) == "ConstantPadNdBackward0"
        err = _raises(lambda L: L.nn.functional.conv2d(L.ones(1, 2, 4, 4), L.ones(2, 3, 2, 2),
                                                       padding="same"), lib)
    # (the input it checks is the padded one)
    assert err == ("RuntimeError", "Given groups=1, weight of size [2, 3, 2, 2], expected "
                   "input[1, 2, 5, 5] to have 3 channels, but got 2 channels instead")


# ---------------------------------------------------------------------------------------
# A small sampled differential test of the area (fixed configurations)


def _configs(count=60, seed=16):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        nd = int(rng.integers(1, 4))
        g = int(rng.choice([1, 1, 2]))
        cg, og = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        transposed = bool(rng.random() < 0.4)
        k = tuple(int(rng.integers(1, 4)) for _ in range(nd))
        stride = tuple(int(rng.choice([1, 1, 2])) for _ in range(nd))
        dil = tuple(int(rng.choice([1, 1, 2])) for _ in range(nd))
        pad = tuple(int(rng.choice([0, 1])) for _ in range(nd))
        if not transposed and rng.random() < 0.2:
            pad, stride = str(rng.choice(["same", "valid"])), (1,) * nd
        op = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dil))
        n = [None, 0, 1, 2, 3][int(rng.integers(0, 5))]
        spatial = [int(rng.integers(3, {1: 8, 2: 6, 3: 4}[nd])) for _ in range(nd)]
        xshape = ([] if n is None else [n]) + [g * cg] + spatial
        wshape = ([g * cg, og] if transposed else [g * og, cg]) + list(k)
        layout = str(rng.choice(["C", "C", "T", "CL"]))
        dtype = str(rng.choice(["float32", "float64"]))
        out.append(dict(nd=nd, g=g, transposed=transposed, stride=stride, dil=dil, pad=pad,
                        op=op, layout=layout, dtype=dtype, bias=bool(rng.random() < 0.6),
                        x=rng.standard_normal(xshape), w=rng.standard_normal(wshape),
                        b=rng.standard_normal(g * og), seed=int(rng.integers(1 << 30))))
    return out


def _run(lib, c):
    dt = getattr(lib, c["dtype"])
    x = lib.tensor(c["x"], dtype=dt, requires_grad=True)
    w = lib.tensor(c["w"], dtype=dt, requires_grad=True)
    b = lib.tensor(c["b"], dtype=dt, requires_grad=True) if c["bias"] else None
    xi, wi = x, w
    if c["layout"] == "T":
        xi, wi = x.transpose(-1, -2).contiguous().transpose(-1, -2), w.transpose(0, 1) \
            .contiguous().transpose(0, 1)
    elif c["layout"] == "CL" and x.dim() in (4, 5):
        xi = _cl(lib, x)
    f = lib.nn.functional
    nd = c["nd"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if c["transposed"]:
                out = getattr(f, f"conv_transpose{nd}d")(xi, wi, b, c["stride"], c["pad"],
                                                         c["op"], c["g"], c["dil"])
            else:
                out = getattr(f, f"conv{nd}d")(xi, wi, b, c["stride"], c["pad"], c["dil"],
                                               c["g"])
    except RuntimeError as e:
        return ("error", str(e))
    g = np.random.default_rng(c["seed"]).standard_normal(tuple(out.shape))
    leaves = [t for t in (x, w, b) if t is not None]
    grads = lib.autograd.grad(out, leaves, lib.tensor(g, dtype=dt))
    strides = [s for s, size in zip(out.stride(), out.shape) if size > 1]
    return (out.detach().numpy(), strides, _name(out.grad_fn, lib),
            [t.numpy() for t in grads])


@needs_torch
def test_sampled_configurations_match_torch():
    for c in _configs():
        got, want = _run(torchlet, c), _run(torch, c)
        if isinstance(want[0], str):
            assert got == want, c
            continue
        tol = 2e-5 if c["dtype"] == "float32" else 1e-11
        out, strides, name, grads = got
        assert out.dtype == want[0].dtype and out.shape == want[0].shape, c
        scale = max(1.0, float(np.abs(want[0]).max()) if want[0].size else 1.0)
        np.testing.assert_allclose(out, want[0], rtol=0, atol=tol * scale)
        assert strides == want[1], c
        assert name == want[2]
        for a, e in zip(grads, want[3]):
            scale = max(1.0, float(np.abs(e).max()) if e.size else 1.0)
            np.testing.assert_allclose(a, e, rtol=0, atol=4 * tol * scale)


def test_sampled_configurations_run_without_torch():
    # the same configurations, checked against a hand-written float64 convolution
    # (a direct sum over the kernel, NumPy only) for the non-transposed ones
    for c in _configs():
        if c["transposed"] or isinstance(c["pad"], str) or c["dtype"] == "float32":
            continue
        got = _run(torchlet, c)
        if isinstance(got[0], str):
            continue
        x = c["x"] if c["x"].ndim == c["nd"] + 2 else c["x"][None]
        nd, g = c["nd"], c["g"]
        w = c["w"]
        xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in c["pad"]])
        out_sp = [(xp.shape[2 + i] - c["dil"][i] * (w.shape[2 + i] - 1) - 1) // c["stride"][i]
                  + 1 for i in range(nd)]
        want = np.zeros((x.shape[0], w.shape[0], *out_sp))
        og, cg = w.shape[0] // g, w.shape[1]
        for o in range(w.shape[0]):
            grp = o // og
            for kk in np.ndindex(*w.shape[2:]):
                sl = tuple(slice(k * d, k * d + (n - 1) * s + 1, s) for k, d, n, s in
                           zip(kk, c["dil"], out_sp, c["stride"]))
                patch = xp[(slice(None), slice(grp * cg, (grp + 1) * cg)) + sl]
                want[:, o] += np.einsum("nc...,c->n...", patch, w[(o, slice(None)) + kk])
        if c["bias"]:
            want += c["b"].reshape((-1,) + (1,) * nd)
        if c["x"].ndim == nd + 1:
            want = want[0]
        np.testing.assert_allclose(got[0], want, rtol=1e-10, atol=1e-10)

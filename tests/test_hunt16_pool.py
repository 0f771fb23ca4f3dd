"""Regressions from a differential hunt over pooling, resampling, padding and shuffles
against torch 2.13 (max/avg/adaptive/lp pools, max_unpool, fractional max pool,
interpolate, pad, pixel_(un)shuffle, grid_sample).

Each test checks a hand-derived expectation that holds without torch, and compares with
torch live when it is installed. The last test replays a fixed sample of random
configurations (forward values, dtypes, shapes, gradients) in both libraries.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

try:
    import torch
except ImportError:  # pragma: no cover - torch is the oracle, optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _raises(fn, exc):
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


def _both(fn, *arrays, grad=None):
    """fn(lib, *tensors) in torchlet (and torch when present): (out, input grads)."""
    results = []
    for lib in (torchlet, torch) if torch is not None else (torchlet,):
        xs = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        out = fn(lib, *xs)
        grads = None
        if grad is not None:
            grads = [g.numpy() for g in lib.autograd.grad(out, xs[0], lib.tensor(grad))]
        results.append((out.detach().numpy(), grads))
    return results


# ---------------------------------------------------------------------------------------
# max pooling: windows that lie wholly in the padding


def test_max_pool_all_padding_window_index():
    # H=3, W=1, kernel 2, padding 1, dilation 2: along W every window reads w = -1 and 1,
    # both outside. torch's index starts at the first lattice point on or after 0 per
    # dimension (h0, w0 = 1) and stays there: flat h0 * W + w0.
    x = torchlet.ones(1, 1, 3, 1, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, 1, 1, 2, return_indices=True)
    assert out.shape == (1, 1, 3, 1) and bool((out == -float("inf")).all())
    # h0 per output row: -1 -> 1, 0 -> 0, 1 -> 1; index = h0 + 1
    assert idx.flatten().tolist() == [2, 1, 2]
    out.backward(torchlet.full(out.shape, 2.0))
    # the gradient goes to those (in-plane) indices: 1 gets one share, 2 two
    assert x.grad.flatten().tolist() == [0.0, 2.0, 4.0]


def test_max_pool_all_padding_window_index_3d_and_1d():
    x = torchlet.zeros(2, 2, 1, 3)
    _, idx = F.max_pool2d(x, 2, 1, 1, 2, return_indices=True)
    assert idx[0, 0].flatten().tolist() == [4, 3, 4]  # w0 = (1, 0, 1), h0 = 1: 3 + w0
    x3 = torchlet.zeros(1, 1, 3, 8, 1)
    _, idx3 = F.max_pool3d(x3, 2, 1, 1, 2, return_indices=True)
    assert idx3[0, 0, 0, :3].flatten().tolist() == [10, 9, 10]
    x0 = torchlet.zeros(0, 2, 3, 1, requires_grad=True)  # an empty batch of such windows
    y0, idx0 = F.max_pool2d(x0, 2, 1, 1, 2, return_indices=True)
    y0.sum().backward()
    assert y0.shape == idx0.shape == x0.grad.shape == (0, 2, 3, 1)


@needs_torch
def test_max_pool_all_padding_window_matches_torch():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 2, 3, 1))
    v = rng.standard_normal((2, 2, 3, 1))
    u = rng.standard_normal((2, 2, 3, 1))
    got = []
    for lib in (torchlet, torch):
        x = lib.tensor(a, requires_grad=True)
        y, i = lib.nn.functional.max_pool2d(x, 2, 1, 1, 2, return_indices=True)
        gv = lib.tensor(v, requires_grad=True)
        (gx,) = lib.autograd.grad(y, x, gv, create_graph=True)
        (gg,) = lib.autograd.grad(gx, gv, lib.tensor(u))  # double backward: a gather
        got.append((i.numpy(), gx.detach().numpy(), gg.numpy()))
    for mine, theirs in zip(got[0], got[1]):
        np.testing.assert_array_equal(mine, theirs)


def test_max_pool_all_padding_backward_is_adjoint_of_double_backward():
    rng = np.random.default_rng(1)
    x = torchlet.tensor(rng.standard_normal((2, 3, 5, 1)), requires_grad=True)
    y = F.max_pool2d(x, 2, 1, 1, 2)
    v = torchlet.tensor(rng.standard_normal(tuple(y.shape)), requires_grad=True)
    u = torchlet.tensor(rng.standard_normal(tuple(x.shape)))
    (gx,) = torchlet.autograd.grad(y, x, v, create_graph=True)
    (gv,) = torchlet.autograd.grad(gx, v, u)
    assert float((gx * u).sum()) == pytest.approx(float((v * gv).sum()), rel=1e-12)


# ---------------------------------------------------------------------------------------
# average and adaptive pooling


def test_avg_pool_of_transposed_input_is_contiguous():
    a = np.arange(2 * 7 * 6, dtype=np.float32).reshape(1, 2, 6, 7)
    x = torchlet.tensor(a).transpose(2, 3)  # (1, 2, 7, 6), not contiguous
    out = F.avg_pool2d(x, (3, 1), divisor_override=5)
    assert out.shape == (1, 2, 2, 6) and out.stride() == (24, 12, 6, 1)
    expect = a.transpose(0, 1, 3, 2)[:, :, :6].reshape(1, 2, 2, 3, 6).sum(3) / 5
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-6)


def test_adaptive_max_pool_float32_gradients_add_in_output_order():
    # input 2 -> output 7: every input element is the maximum of several windows; torch
    # adds their float32 gradients one by one in output order
    g = np.array([[[[1e8, 1.0, 1.0, -1e8, 1.0, 1.0, 1.0]]]], np.float32)
    x = torchlet.tensor([[[[2.0, 1.0]]]], requires_grad=True)
    y = F.adaptive_max_pool2d(x, (1, 7))
    (gx,) = torchlet.autograd.grad(y, x, torchlet.tensor(g))
    first = np.float32(0)
    for share in g[0, 0, 0, :4]:  # windows 0..3 read input 0 (value 2, the maximum)
        first = np.float32(first + share)
    assert gx[0, 0, 0, 0].item() == float(first)  # 0.0 in order, 1.0 with exact sums
    if torch is not None:
        xt = torch.tensor([[[[2.0, 1.0]]]], requires_grad=True)
        (gt,) = torch.autograd.grad(torch.nn.functional.adaptive_max_pool2d(xt, (1, 7)), xt,
                                    torch.tensor(g))
        np.testing.assert_array_equal(gx.numpy(), gt.numpy())


@pytest.mark.parametrize("fn, msg", [
    (lambda: F.adaptive_max_pool1d(torchlet.randn(2, 1, 7, requires_grad=True), 0),
     "adaptive_max_pool2d_backward(): Expected grad_output to have non-zero size for "
     "non-batch dimensions, but grad_output has sizes [2, 1, 1, 0] with dimension 3 being "
     "empty"),
    (lambda: F.adaptive_max_pool3d(torchlet.randn(2, 1, 3, 3, 3, requires_grad=True),
                                   (0, 2, 2)),
     "adaptive_max_pool3d_backward(): Expected grad_output to have non-zero size for "
     "non-batch dimensions, but grad_output has sizes [2, 1, 0, 2, 2] with dimension 2 being "
     "empty"),
])
def test_adaptive_max_pool_empty_output_backward_raises(fn, msg):
    y = fn()
    assert y.numel() == 0
    assert _raises(lambda: y.sum().backward(), RuntimeError) == msg


@pytest.mark.parametrize("pool", ["avg", "max"])
def test_adaptive_pool_empty_batch_backward(pool):
    x = torchlet.randn(0, 2, 7, 8, requires_grad=True)
    y = getattr(F, f"adaptive_{pool}_pool2d")(x, (3, 5))  # unequal windows: the tap plan
    y.sum().backward()
    assert x.grad.shape == (0, 2, 7, 8)
    x = torchlet.randn(0, 1, 3, requires_grad=True)
    y = F.interpolate(x, size=5, mode="area")
    y.sum().backward()
    assert x.grad.shape == (0, 1, 3)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: F.adaptive_avg_pool2d(torchlet.randn(5, 5), (2, 2)), ValueError,
     "Input dimension should be at least 3"),
    (lambda: F.adaptive_max_pool3d(torchlet.randn(2, 3, 5, 5), (2, 2, 2, 2)), ValueError,
     "Input dimension should be at least 5"),
    (lambda: F.adaptive_avg_pool2d(torchlet.randn(2, 3, 5, 5), 2.5), TypeError,
     "object of type 'float' has no len()"),
    (lambda: F.adaptive_max_pool2d(torchlet.randn(2, 3, 5, 5), None), TypeError,
     "object of type 'NoneType' has no len()"),
    (lambda: F.adaptive_avg_pool2d(torchlet.randn(2, 3, 5, 5), (2.0, 2.0)), TypeError,
     "adaptive_avg_pool2d(): argument 'output_size' (position 2) must be tuple of ints, but "
     "found element of type float at pos 0"),
    (lambda: F.adaptive_max_pool2d(torchlet.randn(2, 3, 5, 5), (2, -1)), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, 3, 2, -1]"),
    (lambda: F.adaptive_max_pool1d(torchlet.randn(2, 3, 5), -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, 3, 1, -1]"),
    (lambda: F.adaptive_max_pool2d(torchlet.randn(3, 5, 5), (2,)), RuntimeError,
     "adaptive_max_pool2d(): internal error: output_size.size() must be 2"),
    (lambda: F.adaptive_avg_pool2d(torchlet.randn(1, 2, 3, 5, 5), (2, 2, 2)), RuntimeError,
     "adaptive_avg_pool2d: output_size must be 2"),
    (lambda: F.adaptive_avg_pool2d(torchlet.randn(5, 5), -1), RuntimeError,
     "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but "
     "received {-1, -1}"),
    (lambda: F.adaptive_avg_pool3d(torchlet.randn(2, 3, 5, 5, 5), (2, -1, 3)), RuntimeError,
     "adaptive_avg_pool3d: elements of output_size must be greater than or equal to 0 but "
     "received {2, -1,3}"),
    (lambda: F.adaptive_avg_pool3d(torchlet.randint(0, 5, (2, 2, 4, 4, 4)), 2),
     NotImplementedError, "\"adaptive_avg_pool3d_cpu\" not implemented for 'Long'"),
    (lambda: F.adaptive_max_pool3d(torchlet.randint(0, 5, (2, 2, 4, 4, 4)), 2),
     NotImplementedError, "\"adaptive_max_pool3d_cpu\" not implemented for 'Long'"),
    (lambda: F.max_pool1d(torchlet.randint(0, 5, (2, 3, 6)), 0), RuntimeError,
     "max_pool1d() kernel_size must be greater than zero, but got 0"),
    (lambda: F.max_pool1d(torchlet.randn(2, 3, 6), 2, (1, 1)), RuntimeError,
     "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of size 1 but "
     "got size 2"),
    (lambda: F.max_pool1d(torchlet.randn(2, 3, 6), 2, 1, (1, 1)), RuntimeError,
     "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got "
     "size 2"),
    (lambda: F.avg_pool3d(torchlet.randn(2, 3, 6, 6, 6), (2, 2, 2, 2)), RuntimeError,
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
    (lambda: F.avg_pool3d(torchlet.randn(2, 3, 6, 6, 6), 2, (1, 1, 1, 1)), RuntimeError,
     "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints"),
    (lambda: F.avg_pool2d(torchlet.randn(2, 3, 6, 6), 2, None, 0, False, True, 2.5),
     TypeError, "avg_pool2d(): argument 'divisor_override' (position 7) must be int, not "
     "float"),
])
def test_pool_argument_errors(call, exc, msg):
    assert _raises(call, exc) == msg


@pytest.mark.parametrize("shape, size", [((2, 2, 4, 4), 0), ((0, 2, 4, 4), 2), ((2, 2, 4), 0)])
def test_adaptive_avg_pool2d_of_integers_to_an_empty_output(shape, size):
    x = torchlet.randint(0, 5, shape)
    out = F.adaptive_avg_pool2d(x, size)
    assert out.dtype == torchlet.int64 and out.numel() == 0
    if torch is not None:
        ref = torch.nn.functional.adaptive_avg_pool2d(torch.randint(0, 5, shape), size)
        assert tuple(out.shape) == tuple(ref.shape)


# ---------------------------------------------------------------------------------------
# max_unpool, fractional max pooling


def test_max_unpool_reports_the_last_invalid_index_and_allows_an_empty_output():
    x = torchlet.randn(1, 1, 2, 2)
    idx = torchlet.tensor([0, 100, 9, -7]).reshape(1, 1, 2, 2)
    assert _raises(lambda: F.max_unpool2d(x, idx, 2), RuntimeError) == (
        "Found an invalid max index: -7 (output volumes are of size 4x4)")
    # an empty output takes no values: torch checks no index
    x = torchlet.randn(1, 1, 1, 1, requires_grad=True)
    out = F.max_unpool2d(x, torchlet.tensor([[[[5]]]]), 3, 3, 1, output_size=(2, 0))
    assert tuple(out.shape) == (1, 1, 2, 0)
    assert _raises(lambda: out.sum().backward(), RuntimeError) == (
        "index 5 is out of bounds for dimension 2 with size 0")


@pytest.mark.parametrize("nd, msg", [
    (2, "elements in indices should be type int64 but got: Int"),
    (3, "elements in indices should be type int64"),
])
def test_max_unpool_index_dtype_message(nd, msg):
    x = torchlet.randn((1, 1) + (2,) * nd)
    idx = torchlet.zeros((1, 1) + (2,) * nd, dtype=torchlet.int32)
    fn = getattr(F, f"max_unpool{nd}d")
    assert _raises(lambda: fn(x, idx, 2), RuntimeError) == msg


def test_fractional_max_pool_empty_batch():
    for nd in (2, 3):
        x = torchlet.randn((0, 2) + (6,) * nd, requires_grad=True)
        samples = torchlet.rand(0, 2, nd)
        fn = getattr(F, f"fractional_max_pool{nd}d")
        out, idx = fn(x, 2, output_size=(3,) * nd, return_indices=True,
                      _random_samples=samples)
        assert tuple(out.shape) == (0, 2) + (3,) * nd and idx.dtype == torchlet.int64
        out.sum().backward()
        assert x.grad.shape == x.shape


# ---------------------------------------------------------------------------------------
# pixel_unshuffle, pad


def test_pixel_unshuffle_of_an_empty_input_keeps_its_shape():
    x = torchlet.zeros(0, 12, 2, 4, requires_grad=True)
    y = F.pixel_unshuffle(x, 2)
    assert tuple(y.shape) == (0, 12, 2, 4)  # as torch: a copy, not (0, 48, 1, 2)
    assert y.grad_fn.name() == "PixelUnshuffleBackward0"
    # its backward, pixel_shuffle of the gradient, then has the wrong shape
    msg = _raises(lambda: y.sum().backward(), RuntimeError)
    assert msg == ("Function PixelUnshuffleBackward0 returned an invalid gradient at index 0 - "
                   "got [0, 3, 4, 8] but expected shape compatible with [0, 12, 2, 4]")
    assert tuple(F.pixel_shuffle(torchlet.zeros(0, 12, 2, 4), 2).shape) == (0, 3, 4, 8)


@pytest.mark.parametrize("shape, pad, mode, exc, msg", [
    ((2, 3, 3), [0, 0, 3, 0], "reflect", RuntimeError,
     "Argument #6: Padding size should be less than the corresponding input dimension, but "
     "got: padding (3, 0) at dimension 1 of input [2, 3, 3]"),
    ((2, 3, 3, 3), [3, 3, 3, 3, 3, 3], "reflect", RuntimeError,
     "Argument #4: Padding size should be less than the corresponding input dimension, but "
     "got: padding (3, 3) at dimension 3 of input [2, 3, 3, 3]"),
    ((0, 3, 3), [1, 1, 1, 1], "replicate", RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [0, 3, 3]"),
    ((3, 0), [1, 1], "reflect", RuntimeError,
     "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [3, 0]"),
    ((3, 3), [-1, -2], "reflect", RuntimeError,
     "input (W: 3) is too small. Calculated output W: 0"),
    ((2, 3, 3), [-1, -3, -1, -2], "replicate", RuntimeError,
     "input (H: 3, W: 3 ) is too small. Calculated output H: 0 W: -1"),
    ((2, 3, 3), [-1, -3, -1, -2], "reflect", RuntimeError,
     "input (H: 3, W: 3) is too small. Calculated output H: 0 W: -1"),
    ((2, 3, 3, 3), [-1, -2, -1, -2, -1, -2], "replicate", RuntimeError,
     "input (D: 3 H: 3, W: 3) is too small. Calculated output D: 0 H: 0 W: 0"),
    ((2, 3, 3), [-1, -3, -1, -1], "replicate", RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, 1, -1]"),
    ((2, 3, 3), [-1, -3, -1, -1], "reflect", RuntimeError,
     "numel: integer multiplication overflow"),
    ((4, 1, 4), [0, 0, -1, -1], "circular", RuntimeError,
     "Negative padding value is resulting in an empty dimension"),
    ((0, 3, 3, 2), [3, 2, -2, -2], "circular", RuntimeError,
     "Negative padding value is resulting in an empty dimension"),
    ((2, 3, 4), [1, 1, 1], "foo", NotImplementedError, "Unrecognised padding mode foo"),
])
def test_pad_errors(shape, pad, mode, exc, msg):
    assert _raises(lambda: F.pad(torchlet.randn(shape), pad, mode), exc) == msg
    if torch is not None:
        with pytest.raises(exc) as info:
            torch.nn.functional.pad(torch.randn(shape), pad, mode)
        assert str(info.value).split("\n")[0] == msg


def test_pad_value_must_be_a_number():
    msg = _raises(lambda: F.pad(torchlet.randn(2, 3), (1, 1), "constant", "a"), TypeError)
    assert msg == "pad(): argument 'value' (position 4) must be float, not str"


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
def test_edge_pad_gradients_add_in_output_order(mode):
    # replicate a 1x1 input to 4x5: its gradient is the float32 sum of all 20 outputs'
    # gradients, added one by one in row-major order (torch's loop)
    rng = np.random.default_rng(3)
    g = (rng.standard_normal((1, 1, 4, 5)) * 10.0 ** rng.integers(-4, 5, (1, 1, 4, 5)))
    g = g.astype(np.float32)
    if mode == "replicate":
        x = torchlet.ones(1, 1, 1, 1, requires_grad=True)
        y = F.pad(x, [2, 2, 1, 2], mode)
        (gx,) = torchlet.autograd.grad(y, x, torchlet.tensor(g))
        acc = np.float32(0)
        for v in g.ravel():
            acc = np.float32(acc + v)
        assert gx.item() == float(acc)
    a = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    g = rng.standard_normal((2, 3, 8, 9)).astype(np.float32)
    res = _both(lambda lib, x: lib.nn.functional.pad(x, [2, 2, 1, 3], mode), a, grad=g)
    if torch is not None:
        np.testing.assert_array_equal(res[0][0], res[1][0])
        np.testing.assert_array_equal(res[0][1][0], res[1][1][0])


# ---------------------------------------------------------------------------------------
# interpolate's backward kernels


def test_nearest_backward_takes_torchs_same_size_shortcut():
    # 3 -> 3 with scale_factor 1.3: the forward reads pixels floor(o / 1.3) = 0, 0, 1, but
    # torch's backward kernel (nearest_idx) copies the gradient when the size is unchanged
    a = np.array([[[1.0, 2.0, 3.0]]])
    g = np.array([[[10.0, 20.0, 30.0]]])
    for fn in (lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.3),
               lambda lib, x: lib.nn.functional.interpolate(x[..., None, None],
                                                            scale_factor=(1.3, 1, 1))
               [..., 0, 0]):
        for out, grads in _both(fn, a, grad=g):
            np.testing.assert_array_equal(out, [[[1.0, 1.0, 2.0]]])
            np.testing.assert_array_equal(grads[0], g)


def test_bicubic_backward_copies_when_no_size_changes():
    a = np.random.default_rng(4).standard_normal((1, 1, 4, 4))
    g = np.random.default_rng(5).standard_normal((1, 1, 4, 4))
    res = _both(lambda lib, x: lib.nn.functional.interpolate(
        x, scale_factor=(1.1, 1.0), mode="bicubic"), a, grad=g)
    for out, grads in res:
        assert not np.allclose(out, a)  # the forward follows the scale ...
        np.testing.assert_array_equal(grads[0], g)  # ... the backward copies
    if torch is not None:
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=0, atol=1e-14)


@needs_torch
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_gradients_bit_exact(mode):
    rng = np.random.default_rng(6)
    for shape, size in [((2, 3, 5, 3, 4), (7, 4, 11)), ((2, 2, 1), (9,)), ((2, 2, 4, 2), (2, 11)),
                        ((1, 2, 5, 6), (16, 3))]:
        a = rng.standard_normal(shape).astype(np.float32)
        g = rng.standard_normal(shape[:2] + size).astype(np.float32)
        res = _both(lambda lib, x, size=size: lib.nn.functional.interpolate(
            x, size=size, mode=mode), a, grad=g)
        np.testing.assert_array_equal(res[0][0], res[1][0])
        np.testing.assert_array_equal(res[0][1][0], res[1][1][0])


def test_nearest_gradient_sums_in_output_order_without_torch():
    # 1 -> 9 outputs: the input's gradient is the sequential float32 sum of all nine
    g = np.array([[[1e8, 1.0, -1e8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]]], np.float32)
    x = torchlet.ones(1, 1, 1, requires_grad=True)
    (gx,) = torchlet.autograd.grad(F.interpolate(x, size=9), x, torchlet.tensor(g))
    acc = np.float32(0)
    for v in g.ravel():
        acc = np.float32(acc + v)
    assert gx.item() == float(acc) == 6.0


# ---------------------------------------------------------------------------------------
# grid_sample


def test_grid_sample_integer_input_and_empty_batch():
    x = torchlet.randint(0, 5, (1, 2, 3, 3))
    msg = _raises(lambda: F.grid_sample(x, torchlet.zeros(1, 2, 2, 2), align_corners=False),
                  NotImplementedError)
    assert msg == "\"grid_sampler_2d_cpu_kernel_impl\" not implemented for 'Long'"
    x = torchlet.randint(0, 5, (1, 2, 3, 3, 3))
    msg = _raises(lambda: F.grid_sample(x, torchlet.zeros(1, 2, 2, 2, 3), align_corners=False),
                  NotImplementedError)
    assert msg == "\"grid_sampler3d_cpu\" not implemented for 'Long'"
    for xs, gs in [((0, 2, 3, 3), (0, 2, 2, 2)), ((1, 0, 3, 3), (1, 2, 2, 2))]:
        x = torchlet.randn(xs, requires_grad=True)
        grid = torchlet.zeros(gs, requires_grad=True)
        out = F.grid_sample(x, grid, align_corners=False)
        assert tuple(out.shape) == xs[:2] + (2, 2)
        out.sum().backward()
        assert x.grad.shape == x.shape and grid.grad.shape == grid.shape


# ---------------------------------------------------------------------------------------
# a fixed sample of random configurations


def _configs():
    """70 (kind, input shape, dtype, arguments) drawn from a fixed seed."""
    rng = np.random.default_rng(2024)
    cases = []
    for i in range(70):
        kind = ["max", "avg", "adaptive", "interp", "pad", "shuffle", "unpool"][i % 7]
        nd = int(rng.integers(1, 4))
        n = [0, 1, 2][int(rng.integers(0, 3))]
        shape = (n, 2) + tuple(int(v) for v in rng.integers(2, 7, nd))
        if kind == "max":
            k, s, d = (int(v) for v in rng.integers(1, [4, 3, 3]))
            args = dict(kernel_size=k, stride=s, dilation=d, ceil_mode=bool(rng.integers(0, 2)),
                        padding=min(int(rng.integers(0, 2)), ((k - 1) * d + 1) // 2))
        elif kind == "avg":
            k, s = (int(v) for v in rng.integers(1, 3, 2))
            args = dict(kernel_size=k, stride=s, padding=min(int(rng.integers(0, 2)), k // 2),
                        ceil_mode=bool(rng.integers(0, 2)),
                        count_include_pad=bool(rng.integers(0, 2)))
        elif kind == "adaptive":
            size = tuple(int(v) for v in rng.integers(1, 6, nd))
            args = dict(output_size=size if nd > 1 else size[0])
            kind = ["adaptive_avg", "adaptive_max"][int(rng.integers(0, 2))]
        elif kind == "interp":
            modes = [["nearest", "nearest-exact", "linear", "area"],
                     ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
                     ["nearest", "nearest-exact", "trilinear", "area"]][nd - 1]
            args = dict(size=tuple(int(v) for v in rng.integers(1, 10, nd)),
                        mode=modes[int(rng.integers(0, len(modes)))])
        elif kind == "pad":
            args = dict(pad=[int(v) for v in rng.integers(0, 2, 2 * nd)],
                        mode=["constant", "reflect", "replicate", "circular"][
                            int(rng.integers(0, 4))])
            if n == 0 and args["mode"] in ("reflect", "replicate"):
                shape = (1,) + shape[1:]
        elif kind == "shuffle":
            r = int(rng.integers(1, 3))
            shape = (n, 2 * r * r, 2 * r, 3 * r)
            kind = ["pixel_shuffle", "pixel_unshuffle"][int(rng.integers(0, 2))]
            args = dict(r=r)
        else:
            args = dict(kernel_size=int(rng.integers(1, 3)))
        cases.append((kind, nd, shape, [np.float32, np.float64][i % 2], args))
    return cases


def _apply(lib, x, kind, nd, args):
    f = lib.nn.functional
    if kind in ("max", "avg", "adaptive_avg", "adaptive_max"):
        return getattr(f, f"{kind}_pool{nd}d")(x, **args)
    if kind == "interp":
        return f.interpolate(x, **args)
    if kind == "pad":
        return f.pad(x, **args)
    if kind in ("pixel_shuffle", "pixel_unshuffle"):
        return getattr(f, kind)(x, args["r"])
    pooled, index = getattr(f, f"max_pool{nd}d")(x, **args, return_indices=True)
    return getattr(f, f"max_unpool{nd}d")(pooled, index, **args, output_size=x.shape[2:])


@needs_torch
def test_sampled_configurations_match_torch():
    rng = np.random.default_rng(7)
    checked = 0
    for kind, nd, shape, dtype, args in _configs():
        a = rng.standard_normal(shape).astype(dtype)
        outs, grads, errors = [], [], []
        for lib in (torchlet, torch):
            x = lib.tensor(a, requires_grad=True)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    y = _apply(lib, x, kind, nd, args)
                g = np.random.default_rng(8).standard_normal(tuple(y.shape)).astype(dtype)
                (gx,) = lib.autograd.grad(y, x, lib.tensor(g))
            except RuntimeError as e:  # (a window larger than the padded input; torch's
                errors.append(str(e))  # empty pixel_unshuffle in pixel_shuffle's backward)
                continue
            outs.append(y.detach().numpy())
            grads.append(gx.numpy())
        if errors:
            assert len(errors) == 2 and errors[0] == errors[1], (kind, args, errors)
            continue
        assert outs[0].dtype == outs[1].dtype and outs[0].shape == outs[1].shape, kind
        exact = kind in ("max", "avg", "pad", "pixel_shuffle", "pixel_unshuffle", "unpool")
        tol = 0 if exact else (2e-6 if dtype == np.float32 else 1e-13)
        np.testing.assert_allclose(outs[0], outs[1], rtol=tol, atol=tol, err_msg=kind)
        # (circular padding's gradient flows through torch's slice copies, summed in
        # another order; reflect/replicate are bit-exact, tested above)
        gtol = tol * 10 if kind != "pad" else (1e-5 if dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(grads[0], grads[1], rtol=gtol, atol=gtol, err_msg=kind)
        checked += 1
    assert checked >= 60

"""grid_sample on NaN / infinite / huge coordinates, grid_sample's double backward, and
interpolate(antialias=True) (torchlet/nn/_functional/vision.py, upsampling.py).

Every comparison runs the same expression on torch (live, skipped without it) and on
torchlet; the hand-derived checks spell out what torch's two grid_sample kernels do:
the 2-D one clamps a NaN position to 0 under border padding and lets a NaN weight
through, the 3-D one clamps NaN to size - 1 and skips pixels outside the input.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:  # pragma: no cover - torch is the oracle, not a dependency
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")

NAN, INF = math.nan, math.inf
SPECIAL = [NAN, INF, -INF, 1e10, -3e9, 0.4, -1.2]
MODES_2D = ["bilinear", "nearest", "bicubic"]
PADS = ["zeros", "border", "reflection"]


def _image(lib, d: int, dtype: str, requires_grad=True):
    shape = (1, 2, 3, 4) if d == 2 else (1, 2, 2, 3, 4)  # even width: see _torch_crashes
    x = (np.arange(int(np.prod(shape))) * 1.5 - 7.0).reshape(shape)
    return lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=requires_grad)


def _points(d: int) -> list:
    if d == 2:
        return list(itertools.product(SPECIAL, SPECIAL))
    points = []
    for value, axis in itertools.product(SPECIAL[:5], range(3)):
        point = [0.3, -0.4, 0.55]
        point[axis] = value
        points.append(tuple(point))
    return points + [(NAN, NAN, 0.2), (INF, -INF, NAN)]


def _torch_crashes(point, d: int, mode: str, padding: str, dtype: str) -> bool:
    """Whether torch's backward would crash: its 2-D bilinear backward keeps a NaN
    position under border/reflection padding (reflection also turns inf into NaN) and
    writes through the garbage offset it makes. For float32 a NaN row on an even-width
    image wraps to rows 0 and 1 (no crash); a NaN column, or any NaN in float64, crashes."""
    if d != 2 or mode != "bilinear" or padding == "zeros":
        return False
    bad = [math.isnan(v) or (padding == "reflection" and math.isinf(v)) for v in point]
    return bad[0] or (bad[1] and dtype == "float64")


def _sample(lib, d, mode, padding, align, dtype, points, backward=True):
    F = lib.nn.functional
    x = _image(lib, d, dtype)
    grid = lib.tensor(np.array(points).reshape((1,) + (1,) * (d - 1) + (len(points), d)),
                      dtype=getattr(lib, dtype), requires_grad=True)
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding, align_corners=align)
    result = [out.detach().numpy()]
    if backward:
        weights = lib.arange(1, out.numel() + 1, dtype=getattr(lib, dtype)).reshape(out.shape)
        (out * weights).sum().backward()
        result += [x.grad.numpy(), grid.grad.numpy()]
    return result


def _assert_same(ours, theirs, rtol=1e-5, atol=1e-5):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------------------------------
# grid_sample: NaN, inf and huge coordinates against torch


_CASES = [(2, m, p) for m in MODES_2D for p in PADS] + [(3, m, p) for m in
                                                        ("bilinear", "nearest") for p in PADS]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("d, mode, padding", _CASES)
def test_grid_sample_special_coordinates_match_torch(d, mode, padding, align, dtype):
    points = _points(d)
    # the forward never crashes in torch: all points at once
    _assert_same(_sample(torchlet, d, mode, padding, align, dtype, points, backward=False),
                 _sample(torch, d, mode, padding, align, dtype, points, backward=False))
    safe = [p for p in points if not _torch_crashes(p, d, mode, padding, dtype)]
    for point in safe:  # one at a time: a NaN weight poisons the pixels it touches
        _assert_same(_sample(torchlet, d, mode, padding, align, dtype, [point]),
                     _sample(torch, d, mode, padding, align, dtype, [point]))


def test_2d_kernel_lets_nan_weights_through():
    """2-D zeros padding: a NaN (or inf) coordinate makes every weight NaN; the pixels
    outside read 0, and 0 * NaN is NaN. Along the NaN axis the gradient is 0 (it mixes
    the 0 reads with the other axis's finite weights), along the other axis NaN."""
    out, grad_x, grad_grid = _sample(torchlet, 2, "bilinear", "zeros", False, "float32",
                                     [(NAN, 0.4), (INF, 0.4), (0.4, NAN)])
    assert np.isnan(out).all()
    assert (grad_x == 0).all()  # nothing is inside: nothing is written
    assert grad_grid[0, 0, 0, 0] == 0 and np.isnan(grad_grid[0, 0, 0, 1])
    assert np.isnan(grad_grid[0, 0, 2, 0]) and grad_grid[0, 0, 2, 1] == 0


def test_3d_kernel_skips_pixels_outside():
    """3-D zeros padding: a non-finite coordinate reads nothing: 0, not NaN."""
    out, grad_x, grad_grid = _sample(torchlet, 3, "bilinear", "zeros", False, "float64",
                                     [(NAN, 0.1, 0.2), (0.1, -INF, 0.2)])
    assert (out == 0).all() and (grad_x == 0).all() and (grad_grid == 0).all()


def test_border_clamps_nan_to_0_in_2d_and_to_the_last_pixel_in_3d():
    x2 = _image(torchlet, 2, "float32", requires_grad=False).numpy()
    out = _sample(torchlet, 2, "nearest", "border", True, "float32", [(NAN, -1.0)], False)[0]
    np.testing.assert_array_equal(out.reshape(2), x2[0, :, 0, 0])  # column 0, row 0
    x3 = _image(torchlet, 3, "float32", requires_grad=False).numpy()
    out = _sample(torchlet, 3, "nearest", "border", True, "float32", [(NAN, -1.0, -1.0)],
                  False)[0]
    np.testing.assert_array_equal(out.reshape(2), x3[0, :, 0, 0, -1])  # the last column


def test_huge_coordinates_clip_under_border_with_zero_slope():
    out, _, grad_grid = _sample(torchlet, 2, "bilinear", "border", True, "float32",
                                [(1e10, -1.0), (-INF, -1.0)])
    x = _image(torchlet, 2, "float32", requires_grad=False).numpy()
    np.testing.assert_array_equal(out[0, :, 0], x[0, :, 0, [-1, 0]].T)
    assert (grad_grid[..., 0] == 0).all()  # clipped: no gradient along x


def test_where_torch_crashes_torchlet_reads_nothing_backward():
    """torch's 2-D bilinear backward with border padding crashes on a NaN column; the
    forward clamps it to column 0, the backward of torchlet writes nothing for it."""
    out, grad_x, grad_grid = _sample(torchlet, 2, "bilinear", "border", True, "float64",
                                     [(NAN, -1.0)])
    x = _image(torchlet, 2, "float64", requires_grad=False).numpy()
    np.testing.assert_array_equal(out[0, :, 0, 0], x[0, :, 0, 0])
    assert (grad_x == 0).all()
    assert grad_grid[0, 0, 0, 0] == 0 and np.isnan(grad_grid[0, 0, 0, 1])


# ---------------------------------------------------------------------------------------
# grid_sample: double backward


def _double_backward(lib, d, mode, padding, align, which, seed):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.normal(size=(2, 2) + (4,) * d), requires_grad=True)
    grid = lib.tensor(rng.uniform(-1.3, 1.3, size=(2,) + (3,) * d + (d,)), requires_grad=True)
    grad_out = lib.tensor(rng.normal(size=(2, 2) + (3,) * d), requires_grad=True)
    out = lib.nn.functional.grid_sample(x, grid, mode=mode, padding_mode=padding,
                                        align_corners=align)
    grad_x, grad_grid = lib.autograd.grad(out, (x, grid), grad_out, create_graph=True)
    loss = 0
    if "x" in which:
        loss = loss + (grad_x * lib.tensor(rng.normal(size=grad_x.shape))).sum()
    if "g" in which:
        loss = loss + (grad_grid * lib.tensor(rng.normal(size=grad_grid.shape))).sum()
    grads = lib.autograd.grad(loss, (x, grid, grad_out), allow_unused=True)
    return [None if g is None else g.detach().numpy() for g in grads]


@needs_torch
@pytest.mark.parametrize("which", ["x", "g", "xg"])
@pytest.mark.parametrize("d, mode, padding", _CASES)
def test_double_backward_matches_torch(d, mode, padding, which):
    for align, seed in ((False, 0), (True, 1)):
        ours = _double_backward(torchlet, d, mode, padding, align, which, seed)
        theirs = _double_backward(torch, d, mode, padding, align, which, seed)
        for a, b in zip(ours, theirs):
            assert (a is None) == (b is None)  # the same gradients are absent
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("d, mode, padding", [(2, "bilinear", "zeros"),
                                               (2, "bicubic", "border"),
                                               (2, "bilinear", "reflection"),
                                               (3, "bilinear", "border")])
def test_gradgradcheck(d, mode, padding):
    rng = np.random.default_rng(3)
    x = torchlet.tensor(rng.normal(size=(1, 2) + (3,) * d), requires_grad=True)
    grid = torchlet.tensor(rng.uniform(-0.9, 0.9, size=(1,) + (2,) * d + (d,)),
                           requires_grad=True)

    def fn(a, b):
        return torchlet.nn.functional.grid_sample(a, b, mode=mode, padding_mode=padding,
                                                  align_corners=False)
    assert gradcheck(fn, (x, grid))
    assert gradgradcheck(fn, (x, grid))


def test_bilinear_second_derivative_by_hand():
    """One channel, one point at (x, y) between four pixels: out is bilinear, so
    d^2 out / dx dy = (v00 - v01 - v10 + v11) * sx * sy and d^2 out / dx^2 = 0."""
    image = torchlet.tensor([[[[1.0, 2.0], [4.0, 8.0]]]], dtype=torchlet.float64)
    grid = torchlet.tensor([[[[0.1, -0.3]]]], dtype=torchlet.float64, requires_grad=True)
    out = torchlet.nn.functional.grid_sample(image, grid, align_corners=True)
    (first,) = torchlet.autograd.grad(out.sum(), grid, create_graph=True)
    (row_x,) = torchlet.autograd.grad(first[..., 0].sum(), grid)
    scale = 0.5  # (size - 1) / 2 per axis, align_corners=True
    np.testing.assert_allclose(row_x.numpy().ravel(),
                               [0.0, (1.0 - 2.0 - 4.0 + 8.0) * scale * scale], atol=1e-12)


def test_third_derivative_is_a_clear_error():
    x = torchlet.randn(1, 1, 3, 3, dtype=torchlet.float64, requires_grad=True)
    grid = (torchlet.rand(1, 2, 2, 2, dtype=torchlet.float64) - 0.5).requires_grad_()
    out = torchlet.nn.functional.grid_sample(x, grid, align_corners=False)
    _, grad_grid = torchlet.autograd.grad(out.sum(), (x, grid), create_graph=True)
    assert grad_grid.grad_fn.name() == "GridSampler2DBackwardBackward0"
    (second,) = torchlet.autograd.grad((grad_grid ** 2).sum(), grid, create_graph=True)
    with pytest.raises(RuntimeError, match="third derivative of grid_sample"):
        second.sum().backward()


# ---------------------------------------------------------------------------------------
# interpolate(antialias=True)


def _bit_exact_expected() -> bool:
    """torch's compiled AVX2/AVX512 kernels fuse multiply-adds in a pattern torchlet
    reproduces; the plain build (no FMA) rounds differently, within an ulp."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def _resize(lib, x, dtype, **kwargs):
    xt = lib.tensor(x, dtype=getattr(lib, dtype), requires_grad=True)
    out = lib.nn.functional.interpolate(xt, antialias=True, **kwargs)
    weights = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)),
                         dtype=getattr(lib, dtype))
    (out * weights).sum().backward()
    return out.detach().numpy(), xt.grad.numpy(), out.grad_fn.name()


_AA_SIZES = [((8, 8), dict(size=(3, 5))), ((17, 13), dict(size=(4, 4))),
             ((5, 31), dict(size=(7, 3))), ((64, 48), dict(size=(12, 20))),
             ((10, 7), dict(size=(10, 2))), ((9, 9), dict(scale_factor=(0.37, 0.5))),
             ((10, 12), dict(scale_factor=(1.3, 0.71))), ((6, 6), dict(size=(6, 6))),
             ((6, 6), dict(scale_factor=1.1)), ((6, 6), dict(scale_factor=(0.99, 0.3))),
             ((40, 40), dict(scale_factor=0.1, recompute_scale_factor=True))]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode, align", [("bilinear", False), ("bilinear", True),
                                         ("bicubic", False), ("bicubic", True)])
@pytest.mark.parametrize("shape, kwargs", _AA_SIZES)
def test_antialias_matches_torch(shape, kwargs, mode, align, dtype):
    x = np.random.default_rng(sum(shape)).normal(size=(2, 3) + shape)
    ours = _resize(torchlet, x, dtype, mode=mode, align_corners=align, **kwargs)
    theirs = _resize(torch, x, dtype, mode=mode, align_corners=align, **kwargs)
    assert ours[2] == theirs[2]
    for a, b in zip(ours[:2], theirs[:2]):
        assert a.shape == b.shape and a.dtype == b.dtype
        if _bit_exact_expected():
            np.testing.assert_array_equal(a, b)
        else:  # pragma: no cover - only on a torch build without FMA kernels
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, kwargs", _AA_SIZES[:6])
def test_lanczos_matches_torch_within_rounding(shape, kwargs, dtype):
    x = np.random.default_rng(7).normal(size=(1, 2) + shape)
    ours = _resize(torchlet, x, dtype, mode="lanczos", **kwargs)
    theirs = _resize(torch, x, dtype, mode="lanczos", **kwargs)
    assert ours[2] == theirs[2] == "UpsampleLanczos2DAaBackward0"
    tol = 1e-6 if dtype == "float32" else 1e-13  # torch's float sine is libm's
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_antialias_bilinear_by_hand():
    """4 -> 2 pixels: scale 2, the triangle widened to support 2, pixel p weighted
    1 - |p + 0.5 - centre| / 2. Output 0 (centre 1) covers pixels 0..2: .75, .75, .25,
    normalised 3/7, 3/7, 1/7; output 1 (centre 3) covers 1..3: 1/7, 3/7, 3/7."""
    x = torchlet.tensor([[[[0.0, 1.0, 2.0, 3.0]]]], dtype=torchlet.float64)
    out = torchlet.nn.functional.interpolate(x, size=(1, 2), mode="bilinear",
                                             antialias=True)
    np.testing.assert_allclose(out.numpy().ravel(), [(3 + 2) / 7, (1 + 6 + 9) / 7],
                               rtol=1e-15)


def test_antialias_backward_is_the_transpose_and_differentiates_again():
    rng = np.random.default_rng(5)
    x = torchlet.tensor(rng.normal(size=(1, 1, 7, 9)), requires_grad=True)

    def fn(a):
        return torchlet.nn.functional.interpolate(a, size=(3, 4), mode="bicubic",
                                                  antialias=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))
    out = fn(x)
    (grad,) = torchlet.autograd.grad(out, x, torchlet.ones_like(out, requires_grad=True),
                                     create_graph=True)
    assert grad.grad_fn.name() == "UpsampleBicubic2DAaBackwardBackward0"


def test_one_pixel_wide_output_repeats_row_0_as_torch():
    """torch's height pass reads the taps of its loop's first element: on a one pixel
    wide image every output row equals row 0 (its backward is the true transpose)."""
    x = torchlet.tensor(np.arange(6.0).reshape(1, 1, 6, 1))
    out = torchlet.nn.functional.interpolate(x, size=(3, 1), mode="bilinear",
                                             antialias=True).numpy().ravel()
    assert out[0] == out[1] == out[2]


@needs_torch
@pytest.mark.parametrize("call", [
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8), size=3, mode="bilinear",
                                          antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8), size=3, mode="nearest",
                                          antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8), size=3, mode="area",
                                          antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 1, 2, 8, 8), size=(1, 3, 3),
                                          mode="bicubic", antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8), size=(0, 3), mode="bilinear",
                                          antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8, dtype=t.int64), size=3,
                                          mode="bilinear", antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8, dtype=t.float16), size=3,
                                          mode="bicubic", antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8) > 0, size=3, mode="bilinear",
                                          antialias=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8), size=3, mode="lanczos"),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8, 8), size=3, mode="lanczos",
                                          antialias=True, align_corners=True),
    lambda t: t.nn.functional.interpolate(t.ones(1, 2, 8), size=3, mode="lanczos"),
], ids=["3d", "nearest", "area", "5d", "zero_size", "int64", "float16", "bool",
        "lanczos_no_aa", "lanczos_corners", "lanczos_3d"])
def test_antialias_errors_match_torch(call):
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value), match=_first_words(theirs.value)):
        call(torchlet)


def _first_words(error: Exception) -> str:
    import re
    return re.escape(str(error)[:40])

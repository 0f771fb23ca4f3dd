"""layer_norm / group_norm speed changes (speed28_norm): the per-row operands (mean, rstd,
the backward's row means) go through ``_rows.per_row`` (a small NumPy buffer on long
rows), grad_x is formed in the buffer of grad * xhat once grad_weight is summed, the row
sums use one cached vector of ones, and the shapes' products are taken with math.prod.
None of it may change a bit: the fast helpers are checked against plain NumPy
broadcasting written out here, the whole ops against a float64 reference, torch live
(values within rounding, layouts exactly) and gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional import normalization as norm_impl


def _bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


def _with_specials(a: np.ndarray) -> np.ndarray:
    a.flat[:5] = [-0.0, 0.0, np.inf, np.nan, 1e-40]
    return a


# (rows, cols): short rows (NumPy's broadcasting), long rows of large arrays (per_row's
# small buffer), a single row, empty extents
SHAPES = [(2048, 128), (256, 576), (64, 2304), (40, 2048), (1, 70000), (3, 5), (0, 7),
          (4, 0)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_moments_match_broadcasting(shape, dtype):
    rng = np.random.default_rng(0)
    x2 = rng.standard_normal(shape).astype(dtype) * dtype(3) + dtype(1)
    for eps_in_double in (False, True):
        mean, rstd, centred = norm_impl._row_moments(x2, 1e-5, eps_in_double)
        ones = np.ones(shape[1], dtype)
        n = dtype(shape[1])
        expected_mean = (x2 @ ones / n).reshape(-1, 1)
        if not shape[1]:
            expected_mean[...] = 0
        expected = np.subtract(x2, expected_mean, order="C")
        assert _bits(mean, expected_mean)
        assert centred.flags.c_contiguous and _bits(centred, expected)
        var = np.einsum("ij,ij->i", expected, expected).reshape(-1, 1) / n
        assert rstd.dtype == dtype and rstd.shape == (shape[0], 1)
        if not eps_in_double:
            with np.errstate(divide="ignore", invalid="ignore"):
                assert _bits(rstd, dtype(1) / np.sqrt(var + dtype(1e-5)))


def test_row_moments_of_a_transposed_input_are_c_ordered():
    x = np.random.default_rng(1).standard_normal((600, 300)).astype(np.float32).T
    mean, _, centred = norm_impl._row_moments(x, 1e-5)
    assert centred.flags.c_contiguous
    assert _bits(centred, x - mean)


def _rows_grad_x_reference(gw, xhat, rstd):
    """The rule with plain NumPy broadcasting (the code before speed28)."""
    ones = np.ones(gw.shape[1], gw.dtype)
    n = gw.dtype.type(gw.shape[1])
    mean_gw = (gw @ ones / n).reshape(-1, 1)
    out = gw * xhat
    mean_gw_xhat = (out @ ones / n).reshape(-1, 1)
    np.multiply(xhat, mean_gw_xhat, out=out)
    np.subtract(gw, out, out=out)
    out -= mean_gw
    out *= rstd
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spare", [False, True])
def test_rows_grad_x_matches_broadcasting(shape, dtype, spare):
    rng = np.random.default_rng(2)
    gw = _with_specials(rng.standard_normal(shape).astype(dtype)) if shape[0] * shape[1] > 5 \
        else rng.standard_normal(shape).astype(dtype)
    xhat = rng.standard_normal(shape).astype(dtype)
    rstd = rng.random((shape[0], 1)).astype(dtype) + dtype(0.5)
    expected = _rows_grad_x_reference(gw, xhat, rstd)
    xhat_before = xhat.copy()
    buffer = np.full(shape, 7, dtype) if spare else None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        got = norm_impl._rows_grad_x(gw, xhat, rstd, buffer)
    assert _bits(got, expected)
    assert _bits(xhat, xhat_before)  # (read only)
    if spare:
        assert got is buffer


def test_ones_vectors_are_shared_and_read_only():
    a = norm_impl._ones(128, np.dtype(np.float32))
    assert a is norm_impl._ones(128, np.dtype(np.float32))
    assert not a.flags.writeable and a.dtype == np.float32 and (a == 1).all()
    assert norm_impl._ones(128, np.dtype(np.float64)).dtype == np.float64


# ---------------------------------------------------------------------------------------
# whole ops: a float64 reference, torch live, gradcheck


def _layer_norm_reference(x, k, w, b):
    x = x.astype(np.float64)
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axes, keepdims=True)
    xhat = (x - mean) / np.sqrt(((x - mean) ** 2).mean(axes, keepdims=True) + 1e-5)
    return xhat * (1 if w is None else w) + (0 if b is None else b)


@pytest.mark.parametrize("shape, k", [((64, 32, 128), 1), ((4, 3, 600), 1), ((2, 40, 2048), 1),
                                      ((3, 4, 5, 6), 3), ((6, 7), 2)])
@pytest.mark.parametrize("affine", ["wb", "w", "none"])
def test_layer_norm_against_float64(shape, k, affine):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(shape[len(shape) - k:]).astype(np.float32) if affine != "none" \
        else None
    b = rng.standard_normal(w.shape).astype(np.float32) if affine == "wb" else None
    out = torchlet.nn.functional.layer_norm(
        torchlet.tensor(x), shape[len(shape) - k:], None if w is None else torchlet.tensor(w),
        None if b is None else torchlet.tensor(b))
    assert out.dtype == torchlet.float32
    np.testing.assert_allclose(out.numpy(), _layer_norm_reference(x, k, w, b), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("shape, groups", [((64, 16, 12, 12), 4), ((8, 8, 30, 30), 2),
                                           ((2, 4, 100, 100), 1), ((3, 6, 5), 3)])
def test_group_norm_against_float64(shape, groups):
    rng = np.random.default_rng(4)
    x = rng.standard_normal(shape).astype(np.float32) * np.float32(2) + np.float32(5)
    w = rng.standard_normal(shape[1]).astype(np.float32)
    b = rng.standard_normal(shape[1]).astype(np.float32)
    out = torchlet.nn.functional.group_norm(torchlet.tensor(x), groups, torchlet.tensor(w),
                                            torchlet.tensor(b))
    xg = x.astype(np.float64).reshape(shape[0], groups, -1)
    mean = xg.mean(-1, keepdims=True)
    xhat = ((xg - mean) / np.sqrt(((xg - mean) ** 2).mean(-1, keepdims=True) + 1e-5))
    bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
    expected = xhat.reshape(shape) * w.reshape(bshape) + b.reshape(bshape)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-4, atol=1e-4)


def _run(lib, fn, x, w, b, g, gmode):
    xt = lib.tensor(x).requires_grad_(True)
    params = [None if p is None else lib.tensor(p).requires_grad_(True) for p in (w, b)]
    out = fn(lib, xt, *params)
    if gmode == "sum":
        loss = out.sum()
    elif gmode == "transposed":
        loss = (out.transpose(0, 1) * lib.tensor(g).transpose(0, 1)).sum()
    else:
        loss = (out * lib.tensor(g)).sum()
    loss.backward()
    return [out] + [t.grad for t in [xt] + params if t is not None]


CASES = [
    ("ln", (64, 32, 128), lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (128,), w, b),
     (128,)),
    ("ln", (6, 50, 700), lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (700,), w, b),
     (700,)),
    ("gn", (64, 16, 12, 12), lambda lib, x, w, b: lib.nn.functional.group_norm(x, 4, w, b),
     (16,)),
    ("gn", (6, 8, 40, 40), lambda lib, x, w, b: lib.nn.functional.group_norm(x, 2, w, b),
     (8,)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1]}")
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("gmode", ["plain", "sum", "transposed"])
def test_against_torch(case, affine, gmode):
    torch = pytest.importorskip("torch")
    _, shape, fn, pshape = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(pshape).astype(np.float32) if affine else None
    b = rng.standard_normal(pshape).astype(np.float32) if affine else None
    g = rng.standard_normal(shape).astype(np.float32)
    ours = _run(torchlet, fn, x, w, b, g, gmode)
    theirs = _run(torch, fn, x, w, b, g, gmode)
    assert ours[0].grad_fn.name() == theirs[0].grad_fn.name()
    for a, e in zip(ours, theirs, strict=True):
        assert tuple(a.shape) == tuple(e.shape) and a.stride() == e.stride()
        assert a.dtype == torchlet.float32
        scale = max(1.0, float(np.abs(e.detach().numpy()).max()))
        np.testing.assert_allclose(a.detach().numpy(), e.detach().numpy(), rtol=1e-3,
                                   atol=2e-5 * scale * max(1, shape[0]))


@pytest.mark.parametrize("which", ["ln", "gn"])
def test_gradcheck_float64(which):
    rng = np.random.default_rng(6)
    if which == "ln":
        x = torchlet.tensor(rng.standard_normal((3, 4, 5)), requires_grad=True)
        w = torchlet.tensor(rng.standard_normal(5), requires_grad=True)
        b = torchlet.tensor(rng.standard_normal(5), requires_grad=True)

        def fn(x, w, b):
            return torchlet.nn.functional.layer_norm(x, (5,), w, b)
    else:
        x = torchlet.tensor(rng.standard_normal((2, 6, 3, 2)), requires_grad=True)
        w = torchlet.tensor(rng.standard_normal(6), requires_grad=True)
        b = torchlet.tensor(rng.standard_normal(6), requires_grad=True)

        def fn(x, w, b):
            return torchlet.nn.functional.group_norm(x, 3, w, b)
    assert torchlet.autograd.gradcheck(fn, (x, w, b), eps=1e-6, atol=1e-5, rtol=1e-3)

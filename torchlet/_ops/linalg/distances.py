"""Distances and norms of differences: cdist, dist, renorm.

    cdist(x1, x2, p)[..., i, j] = || x1[..., i, :] - x2[..., j, :] ||_p
    dist(a, b, p)               = || a - b ||_p over all elements (broadcast)
    renorm(a, p, dim, maxnorm)  = each slice a[..., k, ...] along dim scaled down to norm
                                  maxnorm / (norm + 1e-7) when its p-norm exceeds maxnorm

cdist takes one of two formulas, chosen as torch 2.13 chooses
(``compute_mode='use_mm_for_euclid_dist_if_necessary'``): for p = 2 with more than 25 rows
in x1 or in x2 (or ``'use_mm_for_euclid_dist'``) it is the matrix-product form
``sqrt(clamp_min(|x1|² - 2 x1·x2 + |x2|², 0))`` (torch's ``_euclidean_dist``, node
EuclideanDistBackward0 under a ViewBackward0), otherwise the direct sum over the columns of
|x1 - x2|^p, one column after another as torch's CPU loop adds them (node CdistBackward0).
The direct form's gradient is torch's kernel formula, e.g. p = 2: grad * (x1_i - x2_j) /
dist_ij summed over j, and 0 where the distance is 0 (the subgradient at zero distance).
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._numpy_names import numpy_names
from torchlet._ops import shape as _shape
from torchlet._ops.linalg.integration import MulScalar
from torchlet._ops.linalg.products import _scalar_name, _tensor_arg
from torchlet._ops.pointwise import where
from torchlet._ops.pointwise.arithmetic import AddScalar
from torchlet._ops.pointwise.operands import _out, out_dtype_must_match
from torchlet._ops.reduction._common import where_mask
from torchlet._ops.reduction.statistics import _p_norm, norm_backward
from torchlet._tensor import Tensor, _wrap_dim, wrap
from torchlet.autograd.function import Primitive

_FLOAT32 = _dtype.float32
_FLOAT64 = _dtype.float64


def _norm(a: np.ndarray, p: float, axis, keepdims=False) -> np.ndarray:
    """The p-norm of ``a`` over ``axis`` (torch's vector norm), in a's dtype."""
    if p == 2:
        out = np.sqrt(np.add.reduce(a * a, axis=axis, keepdims=keepdims))
    elif p == 1:
        out = np.add.reduce(np.abs(a), axis=axis, keepdims=keepdims)
    elif p == math.inf:
        out = np.max(np.abs(a), axis=axis, keepdims=keepdims, initial=0)
    elif p == -math.inf:
        out = np.min(np.abs(a), axis=axis, keepdims=keepdims)
    elif p == 0:
        out = np.add.reduce(a != 0, axis=axis, keepdims=keepdims, dtype=a.dtype)
    else:
        powered = np.abs(a) ** a.dtype.type(p)
        out = np.add.reduce(powered, axis=axis, keepdims=keepdims) ** a.dtype.type(1 / p)
    return np.asarray(out, a.dtype)


# ---------------------------------------------------------------------------------------
# dist


class Dist(Primitive):
    """out = ||a - b||_p over all elements;  grad_a = norm_backward(grad, a - b, p, out),
    grad_b = -grad_a (each summed back to its input's shape)."""

    node_name = "DistBackward0"

    @staticmethod
    def forward(ctx, a, b, *, p, dtype):
        ctx.p = p
        # torch's dist is vector_norm(a - b, p), bit for bit: its order of sums (and
        # float16 accumulated in float32)
        diff = a.astype(dtype) - b.astype(dtype)
        out = np.asarray(_p_norm(diff, p, None, False), dtype)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        if ctx.p == 0:
            # torch's norm_backward gives no tensor for p = 0: no gradient for a, and
            # b's formula, -norm_backward(...), fails on it
            if needs[1]:
                raise RuntimeError("Expected a proper Tensor but got None (or an undefined "
                                   "Tensor in C++) for argument #0 'self'")
            return None, None
        g = norm_backward(grad, a - b, out, ctx.p, None)
        return (_as(g, a) if needs[0] else None, _as(-g, b) if needs[1] else None)


def _as(g: Tensor, like: Tensor) -> Tensor:
    return g if g._data.dtype == like._data.dtype else g.to(like.dtype)


def dist(input, other, p=2) -> Tensor:  # noqa: A002
    a = _tensor_arg("dist", input, "input", 1)
    b = _tensor_arg("dist", other, "other", 2)
    dtype = _dtype.result_type_of((a, b)).np
    if dtype.kind != "f":
        raise RuntimeError(
            "norm(): input dtype should be either floating point or complex. Got "
            f"{_scalar_name(wrap(np.empty(0, dtype)))} instead."
        )
    return Dist.apply(a, b, p=float(p), dtype=dtype)


# ---------------------------------------------------------------------------------------
# renorm


class Renorm(Primitive):
    """out = a * factor, factor = maxnorm / (norm + 1e-7) where the slice's p-norm exceeds
    maxnorm, else 1 (norms over every dim but ``dim``, computed in float32 for float16);
    grad_a = torch's renorm_backward, in float64 for float32 (CPU accumulation type):
    where(norm > maxnorm, maxnorm * inv * (grad - inv * nb), grad), inv = 1 / (norm + 1e-7),
    nb = norm_backward(sum(a * grad), a, p, norm)."""

    node_name = "RenormBackward0"

    @staticmethod
    def forward(ctx, a, *, p, dim, maxnorm):
        ctx.save_for_backward(a)
        ctx.p, ctx.dim, ctx.maxnorm = p, dim, maxnorm
        dims = tuple(d for d in range(a.ndim) if d != dim)
        work = a.astype(np.float32) if a.dtype == np.float16 else a
        norm = _norm(work, p, dims, keepdims=True)
        t = norm.dtype.type
        factor = np.where(norm > t(maxnorm), t(maxnorm) / (norm + t(1e-7)), t(1))
        return a * factor.astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        dim, p, maxnorm = ctx.dim, ctx.p, ctx.maxnorm
        dims = tuple(d for d in range(a._data.ndim) if d != dim)
        acc = _FLOAT32 if a._data.dtype == np.float16 else _FLOAT64
        x = a.to(acc)
        norm = Renorm._vector_norm(x, p, dims)
        grad_output = (x * grad.to(acc)).sum(dims, keepdim=True)
        nb = norm_backward(grad_output, x, norm, p, dims)
        # torch's Scalar overloads: add(norm, 1e-7) and mul(invnorm, maxnorm)
        inv = AddScalar.apply(norm, number=1e-7).reciprocal()
        grad_norm = MulScalar.apply(inv, number=maxnorm) * (grad.to(acc) - inv * nb)
        return where(wrap(norm._data > maxnorm), grad_norm.to(grad.dtype), grad)

    @staticmethod
    def _vector_norm(x: Tensor, p: float, dims) -> Tensor:
        from torchlet._ops.reduction.statistics import vector_norm

        return vector_norm(x, p, dims, keepdim=True)


@numpy_names
def renorm(input, p, dim, maxnorm, *, out=None) -> Tensor:  # noqa: A002
    x = _tensor_arg("renorm", input, "input", 1)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    ndim = x._data.ndim
    if ndim <= 1:
        raise RuntimeError(
            f"renorm: input needs at least 2 dimensions, got {ndim} dimensions")
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. "
            f"Got {_scalar_name(x)}"
        )
    result = Renorm.apply(x, p=float(p), dim=_wrap_dim(dim, ndim), maxnorm=float(maxnorm))
    return _out(result, out, "renorm", out_dtype_must_match)


# ---------------------------------------------------------------------------------------
# cdist

_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}


def _column_sum(diff: np.ndarray, p: float) -> np.ndarray:
    """torch's CPU cdist loop: agg = red(agg, map(|a - b|)) over the columns in order."""
    t = diff.dtype.type
    agg = np.zeros(diff.shape[:-1], diff.dtype)
    for c in range(diff.shape[-1]):
        d = diff[..., c]
        if p == 0:
            agg = agg + np.minimum(np.ceil(d), t(1))
        elif p == 1:
            agg = agg + d
        elif p == 2:
            agg = agg + d * d
        elif math.isinf(p):
            agg = np.fmax(agg, d)
        else:
            agg = agg + d ** t(p)
    if p == 2:
        return np.sqrt(agg)
    if p in (0, 1) or math.isinf(p):
        return agg
    return (agg.astype(np.float64) ** (1.0 / float(t(p)))).astype(diff.dtype)


class Cdist(Primitive):
    """out[..., i, j] = ||x1_i - x2_j||_p (the direct formula; the batch dims of x1 and x2
    broadcast inside, as in torch's _cdist_forward, whose node keeps them as given: the
    engine sums their gradients back to their shapes);
    grad_x1_i = sum_j g(x1_i - x2_j, grad_ij, out_ij), torch's kernel: p = 1:
    grad * sign(d); p < 2: sign(d) |d|^(p-1) grad / out^(p-1); p = 2: grad * d / out;
    p = inf: grad * sign(d) * (|d| == out); else d |d|^(p-2) grad / out^(p-1); 0 where
    out = 0 (p != 1); grad_x2 likewise with the roles swapped."""

    node_name = "CdistBackward0"

    @staticmethod
    def forward(ctx, x1, x2, *, p, out_shape):
        ctx.p = p
        if 0 in out_shape:
            out = np.empty(out_shape, x1.dtype)
        elif x1.shape[-1] == 0:
            out = np.zeros(out_shape, x1.dtype)
        else:
            diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
            out = _column_sum(diff, p)
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x1, x2, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        g1 = CdistBackward.apply(_shape.contiguous(grad), x1, x2, out, p=ctx.p) \
            if needs[0] else None
        g2 = None
        if needs[1]:
            # torch: _cdist_backward(grad.mT.contiguous(), x2, x1, p, result.mT.contiguous())
            g2 = CdistBackward.apply(_shape.contiguous(_shape.transpose(grad, -1, -2)), x2, x1,
                                     _shape.contiguous(_shape.transpose(out, -1, -2)), p=ctx.p)
        return g1, g2


class CdistBackward(Primitive):
    """out = _cdist_grad(grad, x1, x2, out): cdist's gradient for x1, torch's
    ``_cdist_backward``, which (as torch's) cannot be differentiated again."""

    node_name = "CdistBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x1, x2, out, *, p):
        return _cdist_grad(wrap(grad), wrap(x1), wrap(x2), p, wrap(out))._data

    @staticmethod
    def backward(ctx, grad_grad):
        raise NotImplementedError("the derivative for '_cdist_backward' is not implemented.")


def _cdist_grad(grad: Tensor, x1: Tensor, x2: Tensor, p: float, out: Tensor) -> Tensor:
    """torch's _cdist_backward for x1: sum over x2's rows of the per-pair formula."""
    if p == 0 or 0 in out._data.shape or x1._data.shape[-1] == 0:
        return wrap(np.zeros_like(x1._data))
    d = _shape.unsqueeze(x1, -2) - _shape.unsqueeze(x2, -3)  # (..., r1, r2, m)
    g = _shape.unsqueeze(grad, -1)
    o = _shape.unsqueeze(out, -1)
    zero = o._data == 0
    # the kernel's sign: clamp(ceil(d), 0, 1) + clamp(floor(d), -1, 0), NaN for NaN
    sign = wrap(np.sign(d._data))
    if p == 1:
        pair = g * sign
    elif p < 2:
        pair = where_mask(~zero, sign * d.abs() ** (p - 1) * g / o ** (p - 1))
        if p < 1:  # torch's kernel: 0 where the coordinates are equal (not 0 * inf)
            pair = where_mask(d._data != 0, pair)
    elif p == 2:
        pair = where_mask(~zero, g * d / o)
    elif math.isinf(p):
        # 1 - min(1, ceil(||d| - out|)): 1 at the maxima, NaN where |d| - out is NaN
        # (inf - inf included)
        gap = np.abs(np.abs(d._data) - o._data)
        at_max = np.where(np.isnan(gap), gap, gap == 0).astype(d._data.dtype)
        pair = g * sign * wrap(at_max)
    else:
        pair = where_mask(~zero, d * d.abs() ** (p - 2) * g / o ** (p - 1))
    return pair.sum(-2)


class EuclideanDist(Primitive):
    """out = sqrt(clamp_min(x1_ @ x2_^T, 0)) with x1_ = [-2 x1, |x1|², 1] and
    x2_ = [x2, 1, |x2|²] (torch's _euclidean_dist: |x1|² - 2 x1·x2 + |x2|²);
    ratio = grad / out (0 where out = 0),  grad_x1 = x1 * sum_j ratio - ratio @ x2,
    grad_x2 = x2 * sum_i ratio - ratio^T @ x1."""

    node_name = "EuclideanDistBackward0"

    @staticmethod
    def forward(ctx, x1, x2):
        n1 = np.add.reduce(x1 * x1, axis=-1, keepdims=True)
        n2 = np.add.reduce(x2 * x2, axis=-1, keepdims=True)
        a = np.concatenate([x1 * x1.dtype.type(-2), n1, np.ones_like(n1)], axis=-1)
        b = np.concatenate([x2, np.ones_like(n2), n2], axis=-1)
        out = np.sqrt(np.maximum(np.matmul(a, np.swapaxes(b, -1, -2)), 0))
        ctx.save_for_backward(x1, x2, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from torchlet._ops.linalg.products import matmul

        x1, x2, out = ctx.saved_tensors
        ratio = where_mask(out._data != 0, grad / out)
        needs = ctx.needs_input_grad
        g1 = x1 * ratio.sum(-1, keepdim=True) - matmul(ratio, x2) if needs[0] else None
        g2 = None
        if needs[1]:
            g2 = x2 * _shape.unsqueeze(ratio.sum(-2), -1) - matmul(
                _shape.transpose(ratio, -1, -2), x1)
        return g1, g2


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary") -> Tensor:
    a = _tensor_arg("cdist", x1, "x1", 1)
    b = _tensor_arg("cdist", x2, "x2", 2)
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    mode = _MODES[compute_mode]
    sa, sb = a._data.shape, b._data.shape
    for name, s in (("X1", sa), ("X2", sb)):
        if len(s) < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {len(s)}D")
    if sa[-1] != sb[-1]:
        raise RuntimeError(
            f"X1 and X2 must have the same number of columns. X1: {sa[-1]} X2: {sb[-1]}")
    for name, t in (("X1", a), ("X2", b)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(
                f"cdist only supports floating-point dtypes, {name} got: {_scalar_name(t)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    r1, r2 = sa[-2], sb[-2]
    batch = tuple(_shape.broadcast_shapes(sa[:-2], sb[:-2]))
    out_shape = batch + (r1, r2)
    use_mm = (a._data.size and b._data.size and p == 2
              and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))))
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected scalar type {_scalar_name(a)} but found {_scalar_name(b)}")
    if use_mm and r1 and r2 and math.prod(batch) and sa[-1]:
        if math.prod(batch) == 1:
            distances = EuclideanDist.apply(a, b)
        else:
            n = math.prod(batch)
            e1 = _shape.view(_shape.contiguous(_shape.expand(a, batch + sa[-2:])),
                             (n,) + sa[-2:])
            e2 = _shape.view(_shape.contiguous(_shape.expand(b, batch + sb[-2:])),
                             (n,) + sb[-2:])
            distances = EuclideanDist.apply(e1, e2)
        return _shape.view(distances, out_shape)
    if a._data.dtype == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    return Cdist.apply(a, b, p=float(p), out_shape=out_shape)

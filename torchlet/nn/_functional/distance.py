"""Distances between vectors: normalize, cosine_similarity, pairwise_distance, and the
losses built on them: cosine_embedding_loss, triplet_margin_loss(_with_distance_loss).

torch writes all of these as compositions of norms, divisions, sums and clamps, and so
does torchlet: the graph holds the same operations and the gradients come from them.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._dtype import no_attribute_error
from torchlet._numpy_names import numpy_names
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise import where
from torchlet._ops.pointwise.arithmetic import AddScalar, div
from torchlet._ops.pointwise.operands import _cast
from torchlet._ops.reduction import norm
from torchlet._ops.reduction._common import reduce_dims
from torchlet._ops.reduction.statistics import VectorNorm
from torchlet._tensor import Tensor, _wrap_dim, dim_arg, wrap
from torchlet.autograd.grad_mode import no_grad
from torchlet.nn._functional.loss import _check, _reduce, _reduction
from torchlet.nn._functional.loss._shared import _check_broadcast

__all__ = [
    "cosine_embedding_loss", "cosine_similarity", "normalize", "pairwise_distance",
    "triplet_margin_loss", "triplet_margin_with_distance_loss",
]


def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out=None) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``: every slice scaled to unit p-norm."""
    if not isinstance(input, Tensor):  # (torch's normalize is Python: input.norm() first)
        raise no_attribute_error(input, "norm")
    x = input
    if out is not None:  # torch: div(x, denom, out=out), with its dtype and autograd checks
        return div(x, norm(x, p, dim, keepdim=True).clamp_min_(eps).expand_as(x), out=out)
    denom = norm(x, p, dim, keepdim=True).clamp_min(eps).expand_as(x)
    return x / denom


@numpy_names
def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """<x1, x2> / (||x1|| ||x2||) along ``dim``, computed as torch does: each input divided
    by its norm first (the norm clamped at ``eps`` outside the graph), then the dot
    product, which keeps the result within [-1, 1]."""
    a = _check("cosine_similarity", x1, "x1", 1)
    b = _check("cosine_similarity", x2, "x2", 2)
    common = _dtype.result_type_of((a, b))
    if common.np.kind != "f":
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_dtype.TYPE_WORDS[common.np.name]}")
    # as torch: only integer (and bool) inputs are cast to the common dtype; a float input
    # keeps its own dtype through its norm and division, promotion happens at the multiply
    if a._data.dtype.kind != "f":
        a = _cast(a, common.np)
    if b._data.dtype.kind != "f":
        b = _cast(b, common.np)
    if a._data.shape != b._data.shape:
        a, b = _shape.broadcast_tensors(a, b)
    dim = _wrap_dim(dim if type(dim) is int else dim_arg(dim, "cosine_similarity", 3),
                    a._data.ndim)
    norm_a = norm(a, 2, dim, keepdim=True).clone()
    norm_b = norm(b, 2, dim, keepdim=True).clone()
    with no_grad():  # as torch: clamped values, but the gradient of the unclamped norm
        norm_a.clamp_min_(eps)
        norm_b.clamp_min_(eps)
    return ((a / norm_a) * (b / norm_b)).sum(dim)


class _Norm(VectorNorm):
    """at::norm(x, p, dim, keepdim), which torch's pairwise_distance calls: the values and
    gradient of linalg.vector_norm (torch's norm_backward serves both), under its own
    node NormBackward1."""

    node_name = "NormBackward1"


@numpy_names
def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (eps keeps the norm differentiable when
    x1 == x2)."""
    a = _check("pairwise_distance", x1, "x1", 1)
    b = _check("pairwise_distance", x2, "x2", 2)
    innermost = max(a._data.ndim, b._data.ndim) - 1
    diff = a - b
    # torch adds eps as a Scalar (add(Tensor, Scalar): node AddBackward1)
    diff = AddScalar.apply(diff, number=eps) if diff._data.dtype.kind == "f" else diff + eps
    p = float(p)
    if diff._data.size == 0:  # at::norm's checks of an empty dim are linalg.vector_norm's
        norm(diff, p, innermost, keepdim=keepdim)
    dims = reduce_dims(innermost, diff._data.ndim)
    return _Norm.apply(diff, p=p, dims=dims, keepdim=bool(keepdim), np_dtype=diff._data.dtype)


# ---------------------------------------------------------------------------------------
# losses built on these distances: cosine_embedding_loss, triplet_margin_loss


def cosine_embedding_loss(input1, input2, target, margin: float = 0.0,  # noqa: A002
                          size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    x1 = _check("cosine_embedding_loss", input1, "input1")
    x2 = _check("cosine_embedding_loss", input2, "input2", 2)
    y = _check("cosine_embedding_loss", target, "target", 3)
    reduction = _reduction(size_average, reduce, reduction)
    t_dim = y._data.ndim
    if t_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if t_dim == 1 else 1
    if x1._data.ndim != want or x2._data.ndim != want:
        raise RuntimeError(
            f"{t_dim}D target tensor expects {want}D input tensors, but found inputs with "
            f"sizes {list(x1.shape)} and {list(x2.shape)}.")
    eps = float(np.float32(1e-12))  # torch's EPSILON is a C++ float, not 1e-12 exactly
    prod_sum = (x1 * x2).sum(t_dim)
    mag1 = (x1 * x1).sum(t_dim) + eps
    mag2 = (x2 * x2).sum(t_dim) + eps
    cos = prod_sum / (mag1 * mag2).sqrt()
    _check_broadcast(y._data.shape, cos._data.shape)  # torch's where(target == 1, ...)
    zeros = wrap(np.zeros_like(cos._data))
    loss = where(y == 1, 1 - cos, zeros) + where(y == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """max(0, d(a, p) - d(a, n) + margin), d the p-norm distance (pairwise_distance)."""
    a = _check("triplet_margin_loss", anchor, "anchor")
    pos = _check("triplet_margin_loss", positive, "positive", 2)
    neg = _check("triplet_margin_loss", negative, "negative", 3)
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (a._data.ndim, pos._data.ndim, neg._data.ndim)
    if not dims[0] == dims[1] == dims[2]:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs")
    dist_pos = pairwise_distance(a, pos, p, eps)
    dist_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        dist_neg = dist_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)



def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """The triplet loss with any ``distance_function`` (default: pairwise_distance)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if not dims[0] == dims[1] == dims[2]:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
            f"{dims[2]}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    dist_pos = distance(anchor, positive)
    dist_neg = distance(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance(positive, negative))
    return _reduce((margin + dist_pos - dist_neg).clamp_min(0), reduction)

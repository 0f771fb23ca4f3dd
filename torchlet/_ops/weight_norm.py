"""torch._weight_norm and torch.norm_except_dim: the reparametrization ``w = g * v / ||v||``.

``||v||`` is taken over every dimension except ``dim`` (one norm per slice along ``dim``;
``dim=-1`` means one norm of the whole tensor). As on torch's CPU, ``dim`` equal to the
first or last dimension runs the fused ``WeightNormInterface`` primitive; any other ``dim``
is composed of ordinary operations (and its grad_fn is ``MulBackward0``).
"""

from __future__ import annotations

import numpy as np

from torchlet._numpy_names import numpy_names
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive

__all__ = ["norm_except_dim", "_weight_norm"]


class TwoNormAll(Primitive):
    """out = ||v||_2 over all elements (torch's ``at::norm(v, 2)``, as norm_except_dim calls
    it);  grad_v = grad * v / out, 0 where out == 0."""

    node_name = "NormBackward0"

    @staticmethod
    def forward(ctx, v):
        out = np.asarray(np.sqrt(np.sum(v * v)), dtype=v.dtype)
        ctx.save_for_backward(v, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        v, out = ctx.saved_tensors
        return v * (grad / out).masked_fill(out == 0, 0)


@numpy_names
def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The ``pow``-norm of each slice ``v.select(dim, i)``, shaped ``[1, .., v.size(dim), .., 1]``
    (a 0-d tensor, the norm of everything, for ``dim=-1``)."""
    if dim == -1:
        return TwoNormAll.apply(v) if pow == 2 else v.norm(pow)
    if dim == 0:
        output_size = [v.size(0)] + [1] * (v.dim() - 1)
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(output_size)
    if dim == v.dim() - 1:
        output_size = [1] * (v.dim() - 1) + [v.size(-1)]
        return v.contiguous().view(-1, v.size(-1)).norm(pow, 0).view(output_size)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def _slice_sums(x: Tensor, dim: int) -> Tensor:
    """Sum over every dimension but ``dim`` (0 or the last), keeping them as size 1."""
    if dim == 0:
        shape = [x.size(0)] + [1] * (x.dim() - 1)
        return x.contiguous().view(x.size(0), -1).sum(1).view(shape)
    shape = [1] * (x.dim() - 1) + [x.size(-1)]
    return x.contiguous().view(-1, x.size(-1)).sum(0).view(shape)


class WeightNormInterface(Primitive):
    """w = v * (g / n),  n = ||v|| over all dims but ``dim`` (0 or the last), kept as size 1.

    With s = sum over those dims of (grad * v):
    grad_v = (g / n) * (grad - v * s / n^2),   grad_g = s / n.
    """

    node_name = "WeightNormInterfaceBackward0"

    @staticmethod
    def forward(ctx, v, g, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(v, g)
        axes = tuple(a for a in range(v.ndim) if a != dim)
        norms = np.sqrt(np.sum(v * v, axis=axes, keepdims=True))
        return v * (g / norms)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        dim = ctx.dim
        norms = norm_except_dim(v, 2, dim)
        per_dim_sums = _slice_sums(grad * v, dim)
        grad_v = grad_g = None
        if ctx.needs_input_grad[0]:
            grad_v = (g / norms) * (grad - v * (per_dim_sums / (norms * norms)))
        if ctx.needs_input_grad[1]:
            grad_g = (per_dim_sums / norms).view(g.shape)
        return grad_v, grad_g


@numpy_names
def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """torch._weight_norm: ``v * (g / norm_except_dim(v, 2, dim))``."""
    ndim = max(v.dim(), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
            f"but got {dim})"
        )
    has_half = v.element_size() == 2 or g.element_size() == 2
    if not has_half and (dim == 0 or dim == v.dim() - 1):
        return WeightNormInterface.apply(v, g, dim=dim)
    return v * (g / norm_except_dim(v, 2, dim))

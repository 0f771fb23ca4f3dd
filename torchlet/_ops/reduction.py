"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, logsumexp, var/std,
norm, all/any, cumsum/cumprod, sort/argsort, topk, unique.

``dim`` may be an int or a tuple; ``keepdim`` keeps reduced dimensions as size 1. The
backward of a reduction spreads the gradient back over the reduced dimensions.
Precision: NumPy's pairwise summation and torch's vectorised summation add in different
orders, so float sums agree to within float rounding, not bit for bit.
"""

from __future__ import annotations

import builtins

import numpy as np

from torchlet import _dtype
from torchlet._tensor import Tensor, _wrap_dim, wrap
from torchlet.autograd.function import Primitive


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return x


def reduce_dims(dim, ndim: int):
    """``dim`` (None, int, or a sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_wrap_dim(int(dim), ndim),)
    dims = tuple(_wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        repeated = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    if not dims:
        return tuple(range(ndim))
    return tuple(sorted(dims))


def _kept_shape(shape, dims):
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def expand_reduced(grad: Tensor, in_shape, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dimensions of ``grad`` and broadcast it to ``in_shape``."""
    if not keepdim and grad._data.ndim:  # a 0-d gradient expands to any shape as it is
        grad = grad.reshape(_kept_shape(in_shape, dims))
    return grad.expand(in_shape)


def _sum_dtype(x: Tensor, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    kind = x._data.dtype.kind
    return x._data.dtype if kind == "f" else np.dtype(np.int64)


class Sum(Primitive):
    """out = sum of a over dims;  grad_a = grad broadcast back over the reduced dims."""

    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim, np_dtype):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        return np.add.reduce(a, axis=dims, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.in_shape, ctx.dims, ctx.keepdim)


class SumAll(Sum):
    """out = sum of every element of a;  grad_a = grad broadcast to a's shape."""

    node_name = "SumBackward0"


def sum(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A001, A002
    x = _check_tensor("sum", input)
    dims = reduce_dims(dim, x._data.ndim)
    np_dtype = _sum_dtype(x, dtype)
    if x._data.dtype != np_dtype and x._data.dtype.kind == "f" and np_dtype.kind == "f":
        x = x.to(_dtype._BY_NP[np_dtype])
    primitive = SumAll if dim is None else Sum
    return primitive.apply(x, dims=dims, keepdim=keepdim, np_dtype=np_dtype)


class Mean(Primitive):
    """out = mean of a over dims;  grad_a = grad / n broadcast back over the reduced dims."""

    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim):
        ctx.in_shape, ctx.dims, ctx.keepdim = a.shape, dims, keepdim
        count = 1
        for d in dims:
            count *= a.shape[d]
        ctx.count = count
        total = np.add.reduce(a, axis=dims, keepdims=keepdim)
        return total / a.dtype.type(count) if count else total * np.nan

    @staticmethod
    def backward(ctx, grad):
        return expand_reduced(grad, ctx.in_shape, ctx.dims, ctx.keepdim) / ctx.count


class MeanAll(Mean):
    """out = mean of every element of a;  grad_a = grad / n broadcast to a's shape."""

    node_name = "MeanBackward0"


def mean(input, dim=None, keepdim=False, *, dtype=None) -> Tensor:  # noqa: A002
    x = _check_tensor("mean", input)
    if dtype is not None:
        x = x.to(dtype)
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {_TYPE_WORD[x._data.dtype.name]}"
        )
    dims = reduce_dims(dim, x._data.ndim)
    primitive = MeanAll if dim is None else Mean
    return primitive.apply(x, dims=dims, keepdim=keepdim)


_TYPE_WORD = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
              "float16": "Half"}

_py_sum = builtins.sum

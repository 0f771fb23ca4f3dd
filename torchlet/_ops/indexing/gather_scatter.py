"""Gathering and scattering along a dimension: gather, scatter, scatter_add,
scatter_reduce, take_along_dim, and their flat cousin take.

For ``dim = 0`` and a 2-D index: ``gather`` reads ``out[i][j] = a[index[i][j]][j]``;
``scatter`` writes ``out[index[i][j]][j] = src[i][j]``. Each is the other's gradient:
the gradient of a gather adds (scatter_add) the incoming gradient back where the values
came from, so an element gathered twice gets both contributions.

Every element of ``index`` addresses the input through the full NumPy index
``(index, arange along the other dims)``; ``np.add.at`` over that index accumulates
repeated positions in index order, as torch's CPU kernels do.
"""

from __future__ import annotations

import functools

import numpy as np

from torchlet import _tensor
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.indexing._common import (
    TYPE_WORD,
    IntoZeros,
    broadcast_shapes,
    check_index_dtype,
    check_saved_indices,
    check_tensor,
    checked_scalar,
    first_out_of_range,
    is_number,
    wrap_dim,
)
from torchlet._tensor import Tensor, make_view, wrap
from torchlet.autograd.function import Primitive

_INT64 = np.dtype(np.int64)


_SCATTER_REDUCE_WARNING = (
    "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
    "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction options. "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "TensorAdvancedIndexing.cpp:225.)"
)


def _grid_key(index: np.ndarray, dim: int):
    """The NumPy index that sends element ``p`` of ``index`` to position ``p`` with
    coordinate ``dim`` replaced by ``index[p]``."""
    key = list(_aranges(index.shape))
    key[dim] = index
    return tuple(key)


@functools.lru_cache(maxsize=128)
def _aranges(shape):
    """``np.indices(shape, sparse=True)``, cached: the same shapes recur every batch."""
    grids = np.indices(shape, sparse=True)
    for g in grids:
        g.flags.writeable = False
    return grids


def _window(shape):
    """The leading block of that shape (scatter reads only ``src[:index.shape]``)."""
    return tuple(slice(0, s) for s in shape)


def _at_least_1d(array: np.ndarray) -> np.ndarray:
    return array.reshape(1) if array.ndim == 0 else array


def _size(shape, d: int) -> int:
    """torch's ``ensure_nonempty_size``: a 0-d tensor has size 1 along its one dim."""
    if not shape:
        return 1
    if d >= len(shape):
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-len(shape)}, "
            f"{len(shape) - 1}], but got {d})"
        )
    return shape[d]


def _check_bounds(index: np.ndarray, dim: int, size: int) -> None:
    bad = first_out_of_range(index, 0, size)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


# ---------------------------------------------------------------------------------------
# gather


class Gather(Primitive):
    """out[i][j] = a[index[i][j]][j] (dim 0; likewise along any dim);  grad_a = zeros of
    a's shape with grad added at the gathered positions (scatter_add)."""

    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, index, saved=(), sparse_grad=False, given_dim=None):
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        ctx.sparse_grad = bool(sparse_grad)  # (the gradient is dense here; torch's flag)
        if saved:
            ctx.save_for_backward(a, *saved)  # torch saves self too (for its _saved_self,
            # and its error if self changes in place before backward)
        if index.size == 0:
            return np.zeros(index.shape, a.dtype)
        out = _at_least_1d(a)[_grid_key(_at_least_1d(index), dim)].reshape(index.shape)
        # torch's result is C-ordered (NumPy's may follow a transposed index)
        return out if out.flags.c_contiguous else out.copy(order="C")

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return ScatterAddZeros.apply(grad, shape=ctx.shape, dim=ctx.dim, index=ctx.index,
                                     given_dim=ctx.given_dim)


class ScatterAddZeros(IntoZeros, Primitive):
    """out = zeros(shape), then out[index[i][j]][j] += g[i][j];  grad_g = grad gathered."""

    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, zeros, g, *, shape, dim, index, given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        out = np.zeros(shape, _accumulator(g.dtype))
        if index.size:
            np.add.at(_at_least_1d(out), _grid_key(_at_least_1d(index), dim),
                      _at_least_1d(g))
        return out.astype(g.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return None, Gather.apply(grad, dim=ctx.dim, index=ctx.index, given_dim=ctx.given_dim)


def _gather_shape_check(shape, dim: int, index_shape) -> None:
    ndim = max(len(shape), 1)
    if ndim != max(len(index_shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for d in range(ndim):
        if d != dim and _size(index_shape, d) > _size(shape, d):
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index_shape)} to "
                f"be no larger than self {list(shape)} apart from dimension {dim}"
            )


@numpy_names
def gather(input, dim, index, *, sparse_grad=False, out=None) -> Tensor:  # noqa: A002
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (index: int64 or int32)."""
    x = check_tensor("gather", input, "input", 1)
    index = check_tensor("gather", index, "index", 3)
    shape, idx = x._data.shape, index._data
    given_dim, dim = dim, wrap_dim(dim, len(shape), "gather", 2)
    check_index_dtype("gather", idx)
    if idx.size:
        _gather_shape_check(shape, dim, idx.shape)
    _check_bounds(idx, dim, _size(shape, dim))
    return _out(Gather.apply(x, dim=dim, index=idx, saved=(index,), sparse_grad=sparse_grad,
                             given_dim=given_dim), out, "gather")


# ---------------------------------------------------------------------------------------
# scatter, scatter_add


class Scatter(Primitive):
    """out = a, then out[index[i][j]][j] = src[i][j] (the last write wins);
    grad_a = grad with zeros where src was written,  grad_src = grad gathered. grad_src
    has index's shape, as torch's: for a src larger than index the engine refuses it as
    torch's does ("returned an invalid gradient"), rather than padding it with zeros."""

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, src, *, dim, index, saved=(), given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        out = a.copy()
        if index.size:
            index1 = _at_least_1d(index)
            _at_least_1d(out)[_grid_key(index1, dim)] = _at_least_1d(src)[_window(index1.shape)]
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_a = grad_src = None
        if needs[0]:
            grad_a = ScatterValue.apply(grad, dim=ctx.dim, index=ctx.index,
                                        value=np.zeros((), grad._data.dtype),
                                        given_dim=ctx.given_dim)
        if needs[1]:
            grad_src = Gather.apply(grad, dim=ctx.dim, index=ctx.index,
                                    given_dim=ctx.given_dim)
        return grad_a, grad_src


class ScatterValue(Primitive):
    """out = a, then out[index[i][j]][j] = value;  grad_a = grad with zeros there."""

    node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, a, *, dim, index, value, saved=(), given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        out = a.copy()
        if index.size:
            _at_least_1d(out)[_grid_key(_at_least_1d(index), dim)] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return ScatterValue.apply(grad, dim=ctx.dim, index=ctx.index,
                                  value=np.zeros((), grad._data.dtype), given_dim=ctx.given_dim)


class ScatterAdd(Primitive):
    """out = a, then out[index[i][j]][j] += src[i][j];  grad_a = grad,
    grad_src = grad gathered (index's shape, as in ``Scatter``).  ``saved``: the index
    tensor, which torch saves only when src needs a gradient (only grad_src reads it)."""

    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, a, src, *, dim, index, saved=(), given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        out = a.astype(_accumulator(a.dtype), order="C")  # (a copy)
        if index.size:
            index1 = _at_least_1d(index)
            np.add.at(_at_least_1d(out), _grid_key(index1, dim),
                      _at_least_1d(src)[_window(index1.shape)])
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_src = None
        if needs[1]:
            grad_src = Gather.apply(grad, dim=ctx.dim, index=ctx.index,
                                    given_dim=ctx.given_dim)
        return grad if needs[0] else None, grad_src


class ScatterReduceLegacy(Primitive):
    """scatter(..., reduce='add'|'multiply'): out = a, then out[index] (+ or *)= src/value.
    torch defines no derivative for it; backward raises."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, src, *, dim, index, ufunc):
        out = a.astype(_accumulator(a.dtype), order="C")  # (a copy)
        if index.size:
            index1 = _at_least_1d(index)
            if src.ndim:
                src = src[_window(index1.shape)]
            ufunc.at(_at_least_1d(out), _grid_key(index1, dim), src)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::scatter is not implemented")


def _scatter_checks(name: str, x: Tensor, dim, index: Tensor, src, kernel_check=None) -> int:
    """torch's scatter checks, in its order: dim, index dtype, src dtype, shapes, then
    ``kernel_check()`` (the kernel's dtype dispatch, which comes before) bounds."""
    shape, idx = x._data.shape, index._data
    dim = wrap_dim(dim, len(shape), name, 2)
    check_index_dtype("scatter", idx)
    if src is not None and src._data.dtype != x._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.size:
        if src is not None and src._data.ndim == 0 and idx.ndim > 1:
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as src tensor"
            )
        ndim = max(len(shape), 1)
        if ndim != max(idx.ndim, 1):
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as self tensor"
            )
        wrong = any(d != dim and _size(idx.shape, d) > _size(shape, d) for d in range(ndim))
        if not wrong and src is not None:
            src_shape = src._data.shape
            wrong = any(_size(idx.shape, d) > _size(src_shape, d) for d in range(ndim))
        if wrong:
            message = (f"Expected index {list(idx.shape)} to be no larger than self "
                       f"{list(shape)} apart from dimension {dim}")
            if src is not None:
                message += f" and to be no larger size than src {list(src._data.shape)}"
            raise RuntimeError(message)
        if src is not None and max(src._data.ndim, 1) != max(idx.ndim, 1):
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as src tensor"
            )
    if kernel_check is not None:
        kernel_check()
    _check_bounds(idx, dim, _size(shape, dim))
    return dim


_SCATTER_SIGNATURES = (
    " * (Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Number value, *, Tensor out = None)\n"
    " * (Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None)\n"
)


@numpy_names
def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src[i][j]`` (or ``value``) written at
    ``[index[i][j]][j]`` (dim 0); ``reduce='add'``/``'multiply'`` combines instead."""
    x = check_tensor("scatter", input, "input", 1)
    index = check_tensor("scatter", index, "index", 3)
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError(
            "scatter() received an invalid combination of arguments - got (Tensor, int, "
            f"Tensor), but expected one of:\n{_SCATTER_SIGNATURES}"
        )
    if value is not None and not is_number(value):
        raise TypeError(
            "scatter() received an invalid combination of arguments - got (Tensor, int, "
            f"Tensor, {type_name(value)}), but expected one of:\n{_SCATTER_SIGNATURES}"
        )
    given_dim, dim = dim, _scatter_checks("scatter", x, dim, index, src)
    idx = index._data
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if src is not None:
            _tensor._warn_once(_SCATTER_REDUCE_WARNING)
        ufunc = np.add if reduce == "add" else np.multiply
        operand = src if src is not None else checked_scalar(value, x._data.dtype)
        result = ScatterReduceLegacy.apply(x, operand, dim=dim, index=idx, ufunc=ufunc)
        return _out(result, out, "scatter")
    if src is not None:
        return _out(Scatter.apply(x, src, dim=dim, index=idx, saved=(index,),
                                  given_dim=given_dim), out, "scatter")
    value = checked_scalar(value, x._data.dtype)
    return _out(ScatterValue.apply(x, dim=dim, index=idx, value=value, saved=(index,),
                                   given_dim=given_dim), out, "scatter")


@numpy_names
def scatter_add(input, dim, index, src, *, out=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src[i][j]`` added at ``[index[i][j]][j]`` (dim 0)."""
    x = check_tensor("scatter_add", input, "input", 1)
    index = check_tensor("scatter_add", index, "index", 3)
    src = check_tensor("scatter_add", src, "src", 4)
    given_dim, dim = dim, _scatter_checks("scatter_add", x, dim, index, src)
    saved = (index,) if src.requires_grad else ()
    return _out(ScatterAdd.apply(x, src, dim=dim, index=index._data, saved=saved,
                                 given_dim=given_dim), out, "scatter_add")


# ---------------------------------------------------------------------------------------
# scatter_reduce

_REDUCE_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply,
                  "amax": np.maximum, "amin": np.minimum}


def _accumulator(np_dtype):
    """The dtype torch's scatter-add kernels sum float16 in: float32, rounded once at the
    end (measured with torch 2.13: scatter_add, scatter_reduce sum/mean/prod, scatter's
    legacy reduce='add'/'multiply'; index_add only for a self of 2 or more dimensions).
    Other dtypes accumulate in their own."""
    return np.dtype(np.float32) if np_dtype == np.float16 else np_dtype


def _identity(reduce: str, np_dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np_dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(np_dtype) if np_dtype.kind != "b" else None
    if info is None:
        return reduce == "amin"
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Primitive):
    """out = a with src reduced into [index[i][j]][j] (sum, prod, mean, amax, amin; with
    or without a's own value);  gradients as torch's ``scatter_reduce_backward``, which
    works with the whole src: for a src larger than index, its shapes do not meet (a
    broadcasting error, or the engine's "invalid gradient"), as in torch."""

    node_name = "ScatterReduceBackward0"

    @staticmethod
    def forward(ctx, a, src, *, dim, index, reduce, include_self, index_tensor=None,
                given_dim=None):
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        out = a.astype(_accumulator(a.dtype) if reduce in ("sum", "mean", "prod") else a.dtype,
                       order="C")
        if index.size:
            index1 = _at_least_1d(index)
            out1, key = _at_least_1d(out), _grid_key(index1, dim)
            if not include_self:
                out1[key] = _identity(reduce, a.dtype)
            _REDUCE_UFUNCS[reduce].at(out1, key, _at_least_1d(src)[_window(index1.shape)])
            if reduce == "mean":  # float16: the float32 sum is rounded before dividing
                out = out.astype(a.dtype, copy=False)
                out1 = _at_least_1d(out)
                count = np.zeros(out1.shape, a.dtype)
                np.add.at(count, key, 1)
                if include_self:
                    count += 1
                count[count == 0] = 1
                if a.dtype.kind == "f":
                    out1 /= count
                else:
                    np.floor_divide(out1, count, out=out1)
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(index if index_tensor is None else index_tensor, a, src, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        _, a, src, result = ctx.saved_tensors
        dim, index, reduce = ctx.given_dim, ctx.index, ctx.reduce  # (torch's formula's dim)
        if reduce == "sum":
            grad_a = grad
            grad_src = gather(grad, dim, wrap(index))
        elif reduce == "mean":
            count = wrap(np.full(a._data.shape, int(ctx.include_self), grad._data.dtype))
            count = scatter_add(count, dim, wrap(index), wrap(np.ones_like(src._data)))
            count = count.masked_fill(count == 0, 1)
            grad_a = grad / count
            grad_src = gather(grad, dim, wrap(index)) / gather(count, dim, wrap(index))
        elif reduce == "prod":
            grad_a, grad_src = _prod_backward(grad, a, src, result, ctx)
        else:  # amax, amin: ties share the gradient evenly
            value = gather(result, dim, wrap(index))
            self_is = (a == result).to(a.dtype)
            src_is = (src == value).to(a.dtype)
            share = grad / scatter_add(self_is, dim, wrap(index), src_is)
            grad_a = self_is * share
            grad_src = src_is * gather(share, dim, wrap(index))
        if not ctx.include_self:
            grad_a = scatter(grad_a, dim, wrap(index), 0)
        needs = ctx.needs_input_grad
        return grad_a if needs[0] else None, grad_src if needs[1] else None


def _prod_backward(grad, a, src, result, ctx):
    """torch's rule: zeros in ``a`` or ``src`` are handled by recomputing the product
    without them, so a single zero still gets the product of the others."""
    from torchlet._ops.pointwise import where

    dim, index = ctx.given_dim, wrap(ctx.index)
    masked_a = a.masked_fill(a == 0, 1)
    masked_a_result = scatter_reduce(masked_a, dim, index, src, "prod",
                                     include_self=ctx.include_self)
    grad_a = grad * masked_a_result / masked_a
    src_zero = src == 0
    zeros = wrap(np.zeros(a._data.shape, a._data.dtype))
    src_zeros = gather(scatter_add(zeros, dim, index, src_zero.to(a.dtype)), dim, index)
    single_zero = src_zero & (src_zeros == 1)
    masked_src_result = scatter_reduce(a, dim, index, src.masked_fill(single_zero, 1), "prod",
                                       include_self=ctx.include_self)
    grad_src = where(single_zero, gather(grad * masked_src_result, dim, index),
                     gather(grad * result, dim, index) / src.masked_fill(src_zero, 1))
    return grad_a, grad_src


@numpy_names
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` reduced into ``[index[i][j]][j]`` (dim 0) by
    ``reduce`` in ('sum', 'prod', 'mean', 'amax', 'amin')."""
    x = check_tensor("scatter_reduce", input, "input", 1)
    index = check_tensor("scatter_reduce", index, "index", 3)
    src = check_tensor("scatter_reduce", src, "src", 4)

    def no_bool_mean():  # torch's mean kernel (or its division, with no index) has no bool
        if reduce == "mean" and x._data.dtype == np.bool_:
            kernel = ("scatter_gather_tensor_cpu_reduce_mean" if index._data.size
                      else "div_floor_cpu")
            raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')

    given_dim, dim = dim, _scatter_checks("scatter_reduce", x, dim, index, src, no_bool_mean)
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    idx = index._data
    return _out(ScatterReduce.apply(x, src, dim=dim, index=idx, reduce=reduce,
                                    include_self=bool(include_self), index_tensor=index,
                                    given_dim=given_dim), out, "scatter_reduce")


# ---------------------------------------------------------------------------------------
# take, take_along_dim


class Take(Primitive):
    """out = a.flatten()[index];  grad_a = zeros(a.shape) with grad added at the flat
    positions (put with accumulate)."""

    node_name = "TakeBackward0"

    @staticmethod
    def forward(ctx, a, *, index, saved=()):
        ctx.shape, ctx.index = a.shape, index
        if saved:
            ctx.save_for_backward(a, *saved)  # torch saves self too (for its _saved_self,
            # and its error if self changes in place before backward)
        return np.take(a, index)

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return PutAccumulate.apply(grad, shape=ctx.shape, index=ctx.index)


class PutAccumulate(IntoZeros, Primitive):
    """out = zeros(shape), then out.flatten()[index] += g;  grad_g = grad taken at index."""

    node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, zeros, g, *, shape, index):
        ctx.index = index
        out = np.zeros(int(np.prod(shape)), g.dtype)
        np.add.at(out, index.reshape(-1), g.reshape(-1))
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return None, Take.apply(grad, index=ctx.index)


def take(input, index) -> Tensor:  # noqa: A002
    """``input`` read as 1-D at the positions in ``index`` (int64); result shaped as index."""
    x = check_tensor("take", input, "input", 1)
    index = check_tensor("take", index, "index", 2)
    idx = index._data
    if idx.dtype != _INT64:
        raise RuntimeError(
            f"take(): Expected a long tensor for index, but got {TYPE_WORD[idx.dtype.name]}"
        )
    n = x._data.size
    if not n and idx.size:
        raise IndexError("take(): tried to take from an empty tensor")
    bad = first_out_of_range(idx, -n, n)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return Take.apply(x, index=idx, saved=(index,))


@numpy_names
def take_along_dim(input, indices, dim=None, *, out=None) -> Tensor:  # noqa: A002
    """``gather`` after broadcasting ``input`` and ``indices`` (except along ``dim``);
    with ``dim=None`` both are flattened first."""
    from torchlet._ops.shape import reshape
    from torchlet._ops.shape.views import Expand

    x = check_tensor("take_along_dim", input, "input", 1)
    indices = check_tensor("take_along_dim", indices, "indices", 2)
    if dim is None:
        return _out(gather(reshape(x, (-1,)), 0, reshape(indices, (-1,))), out, "take_along_dim")
    shape, idx_shape = x._data.shape, indices._data.shape
    if len(shape) != len(idx_shape):
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {len(shape)} dimensions for input, and {len(idx_shape)} "
            "dimensions for indices"
        )
    if indices._data.dtype != _INT64:
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{TYPE_WORD[indices._data.dtype.name]}"
        )
    dim = wrap_dim(dim, len(shape))
    if not shape:  # torch then reads the size of dim 0, which a 0-d tensor has not
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    sizes = list(shape)
    sizes[dim] = idx_shape[dim]
    indices_shape = broadcast_shapes(sizes, idx_shape)
    sizes = list(idx_shape)
    sizes[dim] = shape[dim]
    input_shape = broadcast_shapes(sizes, shape)
    # torch broadcasts both operands (an ExpandBackward0 even when nothing changes)
    x = make_view(Expand.apply(x, shape=input_shape), x)
    # torch gathers with a broadcast copy of the indices, taken modulo the size of dim
    # (so any index wraps, not only a negative one); changing the indices in place
    # afterwards neither raises at backward nor changes the gradient
    index = np.broadcast_to(indices._data, indices_shape)
    size = input_shape[dim]
    if not size and index.size:
        raise RuntimeError("ZeroDivisionError")
    indices = wrap(index % size if size else np.array(index))
    return _out(gather(x, dim, indices), out, "take_along_dim")


def _out(result: Tensor, out, name: str):
    if out is None:
        return result
    from torchlet._ops.pointwise.operands import _out as write_out

    return write_out(result, out, name)

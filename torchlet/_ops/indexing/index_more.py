"""More writes by position: index_copy, index_reduce, put, index_put_ (top level),
fill_diagonal_, and the out-of-place view writes diagonal_scatter, select_scatter and
slice_scatter (a copy of the input with one view of it replaced).

For ``dim = 0``: ``index_copy`` writes ``out[index[k]] = source[k]`` (the last write wins
for repeated positions); ``index_reduce`` combines ``source[k]`` into ``out[index[k]]`` by
prod, mean, amax or amin (with the old value unless ``include_self=False``); ``put``
writes ``source`` at flat positions (or adds them, ``accumulate=True``).
"""

from __future__ import annotations

import numpy as np

from torchlet._device import on_meta
from torchlet._numpy_names import numpy_names
from torchlet._ops.indexing._common import (
    TYPE_WORD,
    check_saved_indices,
    check_tensor,
    checked_scalar,
    first_out_of_range,
    memory_order,
    torch_strides,
    wrap_dim,
)
from torchlet._ops.indexing.select_mask import (
    _copy_preserving_layout,
    _vector,
    check_index_source,
    index_add,
    index_fill,
    index_select,
    skips_index_checks,
    source_grad,
)
from torchlet._tensor import Tensor, _warn_once, wrap
from torchlet.autograd.function import Primitive

_INT64 = np.dtype(np.int64)
_INT32 = np.dtype(np.int32)


def _along(dim: int, index: np.ndarray):
    return (slice(None),) * dim + (index,)


def _slices_shape(shape, dim: int, count: int):
    """``shape`` with ``count`` slices along ``dim`` (a 0-d shape stays 0-d)."""
    if not shape:
        return ()
    return shape[:dim] + (count,) + shape[dim + 1:]


# ---------------------------------------------------------------------------------------
# index_fill's arguments (the operation itself is select_mask's)

_INDEX_FILL_SIGNATURES = ("int dim, Tensor index, Tensor value",
                          "int dim, Tensor index, Number value")


def check_index_fill_arguments(name: str, args: tuple, function: bool) -> None:
    """torch's parser's error for index_fill / index_fill_ (``name``) given ``args``, if
    they fit neither overload: an int ``dim``, a Tensor ``index``, and a Tensor or a number
    ``value``. ``function``: ``args`` start with the input (torch.index_fill), which must
    be a Tensor. Called where the operation failed, so its success costs nothing."""
    from torchlet._errors import invalid_arguments
    from torchlet._ops.shape.common import _is_int
    from torchlet._tensor import _NUMBER

    dim, index, value = args[-3:]
    if (function and not isinstance(args[0], Tensor)) or not (
            _is_int(dim) and isinstance(index, Tensor) and isinstance(value, (Tensor, *_NUMBER))):
        signatures: tuple = _INDEX_FILL_SIGNATURES
        if function:
            signatures = tuple(f"Tensor input, {s}" for s in signatures)
        raise invalid_arguments(name, args, {}, signatures) from None


# ---------------------------------------------------------------------------------------
# index_copy


class IndexCopy(Primitive):
    """out = a, then out[..., index[k], ...] = source[..., k, ...] along dim;
    grad_a = grad with those slices zeroed,  grad_source = grad index_select-ed."""

    node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, a, source, *, dim, index, saved=(), given_dim=None):
        ctx.dim, ctx.index, ctx.source_shape = dim, index, source.shape
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:  # (with source where it needs a gradient, as torch saves it)
            ctx.save_for_backward(*saved, *((source,) if ctx.needs_input_grad[1] else ()))
        out = a.copy()
        view = out.reshape(1) if out.ndim == 0 else out
        if view.size:  # (an empty self's indices are not checked: they may be any)
            view[_along(dim, index)] = source.reshape(_slices_shape(view.shape, dim, index.size))
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_a = grad_source = None
        if needs[0]:
            grad_a = index_fill(grad, ctx.given_dim, wrap(ctx.index), 0)
        if needs[1]:
            grad_source = source_grad(grad, ctx.given_dim, ctx.index, ctx.source_shape)
        return grad_a, grad_source


def _slice_sizes(shape, dim: int) -> list:
    return [s for i, s in enumerate(shape) if i != dim]


@numpy_names
def index_copy(input, dim, index, source) -> Tensor:  # noqa: A002
    """A copy of ``input`` with slice ``index[k]`` along ``dim`` set to ``source``'s k-th."""
    x = check_tensor("index_copy", input, "input", 1)
    index = check_tensor("index_copy", index, "index", 3)
    source = check_tensor("index_copy", source, "source", 4)
    data, idx, src = x._data, index._data, source._data
    given_dim, dim = dim, wrap_dim(dim, data.ndim)
    if idx.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {idx.ndim})")
    if src.ndim == 0 and idx.size != 1:
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got "
            f"{idx.size})"
        )
    if src.ndim != data.ndim and src.ndim and data.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({src.ndim}), destination dimensionality "
            f"({data.ndim})"
        )
    if idx.dtype != _INT64:
        raise RuntimeError(
            f"index_copy_(): Expected a long tensor for index, but got {TYPE_WORD[idx.dtype.name]}"
        )
    if src.dtype != data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{TYPE_WORD[data.dtype.name]} and (source) {TYPE_WORD[src.dtype.name]}"
        )
    self_slices, source_slices = _slice_sizes(data.shape, dim), _slice_sizes(src.shape, dim)
    if self_slices != source_slices:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. "
            f"Destination slice shape: {' '.join(map(str, self_slices))} at dimension {dim} "
            f"and source slice shape: {' '.join(map(str, source_slices))} at dimension 0."
        )
    if src.ndim and idx.size != src.shape[dim]:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({src.shape[dim]})"
        )
    idx = _vector(idx)
    size = data.shape[dim] if data.ndim else 1
    bad = None if skips_index_checks(x, dim, idx) else first_out_of_range(idx, 0, size)
    if bad is not None:
        raise IndexError(
            f"index_copy_(): index {bad} is out of bounds for dimension {dim} with size {size}"
        )
    return IndexCopy.apply(x, source, dim=dim, index=idx, saved=(index,), given_dim=given_dim)


# ---------------------------------------------------------------------------------------
# index_reduce

_REDUCE_UFUNCS = {"prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, np_dtype):
    if reduce == "prod":
        return 1
    if reduce == "mean":
        return 0
    if np_dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(np_dtype)
    return info.min if reduce == "amax" else info.max


class IndexReduce(Primitive):
    """out = a with source's slices reduced into slice index[k] along dim (prod, mean,
    amax, amin; with or without a's own value);  gradients as torch's
    ``index_reduce_backward``: prod divides the product by each factor (recomputed
    without zeros), mean divides by the count, amax/amin share among ties."""

    node_name = "IndexReduceBackward0"

    @staticmethod
    def forward(ctx, a, source, *, dim, index, reduce, include_self, index_tensor=None,
                given_dim=None):
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self = dim, index, reduce, include_self
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        out = a.copy()
        view = out.reshape(1) if out.ndim == 0 else out
        key = _along(dim, index)
        values = source.reshape(_slices_shape(view.shape, dim, index.size))
        if not include_self:
            view[key] = _identity(reduce, a.dtype)
        _REDUCE_UFUNCS[reduce].at(view, key, values)
        if reduce == "mean" and index.size:  # (no index: every count is 1)
            count = np.zeros(view.shape[dim] if view.ndim else 1, a.dtype)
            np.add.at(count, index, 1)
            if include_self:
                count += 1
            count[count == 0] = 1
            count = count.reshape((-1,) + (1,) * (view.ndim - dim - 1))
            if a.dtype.kind == "f":
                view /= count
            else:
                np.floor_divide(view, count, out=view)
        ctx.save_for_backward(index if index_tensor is None else index_tensor, a, source, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        index_tensor, a, source, result = ctx.saved_tensors
        dim, index, reduce = ctx.given_dim, wrap(ctx.index), ctx.reduce  # (torch's formula's)
        if reduce == "prod":
            grad_a, grad_source = _prod_backward(grad, a, source, result, ctx)
        elif reduce == "mean":
            count = wrap(np.full(a._data.shape, int(ctx.include_self), grad._data.dtype))
            count = index_add(count, dim, index, wrap(np.ones_like(source._data)))
            count = count.masked_fill(count == 0, 1)
            grad_a = grad / count
            grad_source = index_select(grad, dim, index) / index_select(count, dim, index)
        else:  # amax, amin: ties share the gradient evenly
            value = index_select(result, dim, index)
            self_is = (a == result).to(a.dtype)
            source_is = (source == value).to(a.dtype)
            share = grad / index_add(self_is, dim, index, source_is)
            grad_a = self_is * share
            grad_source = source_is * index_select(share, dim, index)
        if not ctx.include_self:  # (with the index given: torch's index_fill refuses int32)
            grad_a = index_fill(grad_a, dim, index_tensor, 0)
        needs = ctx.needs_input_grad
        return grad_a if needs[0] else None, grad_source if needs[1] else None


def _prod_backward(grad, a, source, result, ctx):
    """torch's rule: zeros in ``a`` or ``source`` are handled by recomputing the product
    without them, so a single zero still gets the product of the others."""
    from torchlet._ops.pointwise import where

    dim, index, include_self = ctx.given_dim, wrap(ctx.index), ctx.include_self
    masked_a = a.masked_fill(a == 0, 1)
    masked_a_result = _index_reduce(masked_a, dim, index, source, "prod", include_self)
    grad_a = grad * masked_a_result / masked_a
    source_zero = source == 0
    zeros = wrap(np.zeros(a._data.shape, a._data.dtype))
    source_zeros = index_select(index_add(zeros, dim, index, source_zero.to(a.dtype)), dim,
                                index)
    single_zero = source_zero & (source_zeros == 1)
    masked_source_result = _index_reduce(a, dim, index, source.masked_fill(single_zero, 1),
                                         "prod", include_self)
    grad_source = where(single_zero, index_select(grad * masked_source_result, dim, index),
                        index_select(grad * result, dim, index)
                        / source.masked_fill(source_zero, 1))
    return grad_a, grad_source


def _index_reduce(x, dim, index, source, reduce, include_self):
    return IndexReduce.apply(x, source, dim=wrap_dim(dim, x._data.ndim), index=index._data,
                             reduce=reduce, include_self=include_self, given_dim=dim)


@numpy_names
def index_reduce(input, dim, index, source, reduce, *, include_self=True) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``source``'s k-th slice reduced into slice ``index[k]``
    along ``dim`` by ``reduce`` ('prod', 'mean', 'amax', 'amin')."""
    x = check_tensor("index_reduce", input, "input", 1)
    index = check_tensor("index_reduce", index, "index", 3)
    source = check_tensor("index_reduce", source, "source", 4)
    _warn_once(
        "index_reduce() is in beta and the API may change at any time. (Triggered internally "
        "at /__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523.)"
    )
    if reduce not in _REDUCE_UFUNCS:
        raise RuntimeError(
            "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got "
            f"{reduce}."
        )
    data, src = x._data, source._data
    given_dim, dim = dim, wrap_dim(dim, data.ndim)
    idx = check_index_source("index_reduce_", data, index._data, src, dim)
    if data.dtype == np.bool_:  # torch's CPU kernels that leave bool out, in its order
        if not include_self:
            raise _not_for_bool("index_reduce_func_exclude_input_init")
        if data.ndim <= 1:
            raise _not_for_bool("index_func_")
    size = data.shape[dim] if data.ndim else 1
    # (include_self=False: torch first index_fill_s the slices with the identity)
    skip = include_self or skips_index_checks(x, dim, idx)
    bad = None if skip else first_out_of_range(idx, -size, size)
    if bad is not None:  # (found by the index_fill_ of the identity, which wraps negatives)
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if data.ndim > 1 and not size and idx.size:  # (torch's loop selects the slice first)
        raise IndexError(f"select(): index {idx[0]} out of range for tensor of size "
                         f"{list(data.shape)} at dimension {dim}")
    if first_out_of_range(idx, 0, size) is not None:
        raise IndexError("index out of range in self")
    if data.dtype == np.bool_ and reduce == "mean" and idx.size:
        raise _not_for_bool("div_floor_cpu")
    return IndexReduce.apply(x, source, dim=dim, index=idx.astype(np.int64), reduce=reduce,
                             include_self=bool(include_self), index_tensor=index,
                             given_dim=given_dim)


def _not_for_bool(kernel: str) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


# ---------------------------------------------------------------------------------------
# put, index_put_


class Put(Primitive):
    """out = a, then out.flatten()[index] = source (or += with accumulate);
    grad_a = grad (accumulate) or grad with those positions zeroed,
    grad_source = grad taken at index."""

    node_name = "PutBackward0"

    @staticmethod
    def forward(ctx, a, source, *, index, accumulate, order=None, saved=()):
        ctx.index, ctx.accumulate, ctx.source_shape = index, accumulate, source.shape
        if saved:  # (with source where it needs a gradient, as torch saves it)
            ctx.save_for_backward(*saved, *((source,) if ctx.needs_input_grad[1] else ()))
        out = a.copy()
        flat = out.reshape(-1)  # a view: out is a fresh C-contiguous copy
        if order is None:
            positions, values = index.reshape(-1), source.reshape(-1)
        else:  # in torch's order: duplicates are summed, or overwritten, in that order
            positions = index.reshape(source.shape).transpose(order).reshape(-1)
            values = source.transpose(order).reshape(-1)
        if accumulate:
            np.add.at(flat, positions, values)
        else:
            flat[positions] = values
        if not a.flags.c_contiguous or 1 in a.shape or not a.size:  # torch clones a
            # (preserve_format: an empty a's strides whatever they are)
            return _copy_preserving_layout(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        from torchlet._ops.indexing.gather_scatter import take

        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        index = wrap(ctx.index)
        grad_a = grad_source = None
        if needs[0]:
            if ctx.accumulate:
                grad_a = grad
            else:
                zeros = wrap(np.zeros(ctx.source_shape, grad._data.dtype))
                grad_a = put(grad, index, zeros)
        if needs[1]:
            grad_source = take(grad, index).reshape(ctx.source_shape)
        return grad_a, grad_source


def put(input, index, source, accumulate=False) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``source`` written (or added) at the flat positions
    ``index`` (int64; negative positions count from the end)."""
    x = check_tensor("put", input, "input", 1)
    index = check_tensor("put", index, "index", 2)
    source = check_tensor("put", source, "source", 3)
    data, idx, src = x._data, index._data, source._data
    if idx.dtype != _INT64:
        raise RuntimeError(
            f"put_(): Expected a long tensor for index, but got {TYPE_WORD[idx.dtype.name]}"
        )
    if src.dtype != data.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{TYPE_WORD[data.dtype.name]} and source.dtype = {TYPE_WORD[src.dtype.name]}"
        )
    if idx.size != src.size:
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got "
            f"source.numel() = {src.size}, index.numel() = {idx.size}"
        )
    n = data.size
    if n == 0 and idx.size:
        raise IndexError("put_(): Tried to put elements into an empty tensor")
    bad = first_out_of_range(idx, -n, n)
    if bad is not None:
        raise IndexError(
            f"out of range: tried to access index {bad} on a tensor of {n} elements."
        )
    return Put.apply(x, source, index=np.where(idx < 0, idx + n, idx),
                     accumulate=bool(accumulate), order=_put_order(idx, src), saved=(index,))


def _put_order(idx: np.ndarray, src: np.ndarray):
    """The dims of ``src`` in the order torch's put_ walks them (slowest first), or None
    for C order: its TensorIterator over source and index (reshaped as source) follows
    their memory order."""
    if src.ndim < 2 or (src.flags.c_contiguous and idx.flags.c_contiguous):
        return None
    shape = src.shape
    idx_strides = torch_strides(idx)
    if idx.shape != shape:  # torch's reshape: a view where one exists, else a C-order copy
        from torchlet._ops.shape.common import contiguous_strides
        from torchlet._ops.shape.views import _view_strides

        idx_strides = (_view_strides(idx.shape, idx_strides, shape)
                       or contiguous_strides(shape))
    order = memory_order(shape, [torch_strides(src), idx_strides])[::-1]
    return None if order == list(range(src.ndim)) else tuple(order)


def index_put_(input, indices, values, accumulate=False) -> Tensor:  # noqa: A002
    """``input[indices] = values`` (or ``+=`` with accumulate), in place."""
    return input.index_put_(indices, values, accumulate)


# ---------------------------------------------------------------------------------------
# fill_diagonal_


def fill_diagonal_(self: Tensor, fill_value, wrap=False) -> Tensor:  # noqa: A002
    """Fill the main diagonal (all dims equal beyond 2-D) in place. With ``wrap``, a tall
    matrix's diagonal starts again every ``width + 1`` rows, as NumPy's fill_diagonal."""
    from torchlet._ops.shape.strided import as_strided

    shape = self._data.shape
    ndim = len(shape)
    if ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = shape[0], shape[1]
    if ndim > 2 and any(s != height for s in shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    checked_scalar(fill_value, self._data.dtype)  # torch's overflow error
    if on_meta(self._data):
        return _meta_fill_diagonal(self, fill_value, wrap)
    offset = self.storage_offset()
    stride = (sum(self.stride()),)
    as_strided(self, (min(height, width),), stride, offset).fill_(fill_value)
    if wrap and ndim == 2 and height > width + 1:
        step = width + 1
        count = (self._data.size + step - 1) // step - min(height, width)
        as_strided(self, (count,), stride, offset + self.stride(0) * step).fill_(fill_value)
    if self._base is not None and self._base._grad_fn is not None:
        _refresh_view_history(self)
    return self


def _meta_fill_diagonal(self: Tensor, fill_value, wrap: bool) -> Tensor:
    """fill_diagonal_ of a meta tensor: nothing to write, and no storage for as_strided to
    view, so the same fills go through views of its flattened self (a meta tensor's
    strides read as contiguous): the versions and the graph (CopySlices) are torch's."""
    shape = self._data.shape
    height, width = shape[0], shape[1]
    flat, step = self.view(-1), sum(self.stride())
    flat[: min(height, width) * step: step].fill_(fill_value)
    if wrap and len(shape) == 2 and height > width + 1:
        count = (self._data.size + width) // (width + 1) - width
        flat[width * (width + 1)::step][:count].fill_(fill_value)
    return self


def _refresh_view_history(view: Tensor) -> None:
    """The diagonal was written through a sibling view of ``view``'s base: ``view``'s
    values now come from the base's new history."""
    from torchlet._ops.view_inplace import AsStrided, window_of

    assert view._base is not None  # called for views only
    window = window_of(view._data, view._base._data)
    if window is not None:
        view._grad_fn = AsStrided.apply(view._base, window=window)._grad_fn
        view._output_nr = 0


# ---------------------------------------------------------------------------------------
# diagonal_scatter, select_scatter, slice_scatter


class _ViewScatter(Primitive):
    """out = a copy of a with one of its views replaced by src;
    grad_a = grad with that view zeroed,  grad_src = grad's view."""

    @staticmethod
    def part(array: np.ndarray, args) -> np.ndarray:
        """The view of ``array`` (writeable)."""
        raise NotImplementedError

    @staticmethod
    def part_of(grad: Tensor, args) -> Tensor:
        """The same view of a Tensor, with a torchlet operation (differentiable)."""
        raise NotImplementedError

    @classmethod
    def forward(cls, ctx, a, src, *, args, given=None):
        ctx.args, ctx.src_shape = args, src.shape
        ctx.given = given  # the arguments as given: torch's _saved_* show them so
        out = a.copy()
        cls.part(out, args)[...] = src
        return out

    @classmethod
    def backward(cls, ctx, grad):
        needs = ctx.needs_input_grad
        grad_a = grad_src = None
        if needs[0]:
            zeros = wrap(np.zeros(ctx.src_shape, grad._data.dtype))
            grad_a = cls.apply(grad, zeros, args=ctx.args, given=ctx.given)
        if needs[1]:
            grad_src = cls.part_of(grad, ctx.args)
        return grad_a, grad_src


class DiagonalScatter(_ViewScatter):
    __doc__ = (_ViewScatter.__doc__ or "").replace("one of its views",
                                                   "its diagonal (offset, dim1, dim2)")
    node_name = "DiagonalScatterBackward0"

    @staticmethod
    def part(array, args):
        from torchlet._ops.shape.slices import _diagonal_view

        return _diagonal_view(array, *args)

    @staticmethod
    def part_of(grad, args):
        from torchlet._ops.shape import diagonal

        return diagonal(grad, *args)


class SelectScatter(_ViewScatter):
    __doc__ = (_ViewScatter.__doc__ or "").replace("one of its views",
                                                   "its slice index along dim")
    node_name = "SelectScatterBackward0"

    @staticmethod
    def part(array, args):
        dim, index = args
        return array[(slice(None),) * dim + (index, Ellipsis)]

    @staticmethod
    def part_of(grad, args):
        from torchlet._ops.shape import select

        return select(grad, *args)


class SliceScatter(_ViewScatter):
    __doc__ = (_ViewScatter.__doc__ or "").replace("one of its views",
                                                   "its slice start:end:step along dim")
    node_name = "SliceScatterBackward0"

    @staticmethod
    def part(array, args):
        dim, start, end, step = args
        return array[(slice(None),) * dim + (slice(start, end, step),)]

    @staticmethod
    def part_of(grad, args):
        dim, start, end, step = args
        return grad[(slice(None),) * dim + (slice(start, end, step),)]


def _scatter_view(primitive, x: Tensor, src: Tensor, view_shape, args, given) -> Tensor:
    if src._data.shape != tuple(view_shape):
        raise RuntimeError(
            "expected src to have a size equal to the slice of self. src size = "
            f"{list(src._data.shape)}, slice size = {list(view_shape)}"
        )
    if src._data.dtype != x._data.dtype:
        src = src.to(x.dtype)  # torch casts src into self's dtype
    return primitive.apply(x, src, args=args, given=given)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` on its diagonal (``offset``, ``dim1``, ``dim2``)."""
    from torchlet._ops.shape import diagonal

    x = check_tensor("diagonal_scatter", input, "input", 1)
    src = check_tensor("diagonal_scatter", src, "src", 2)
    view = diagonal(x.detach(), offset, dim1, dim2)  # diagonal's checks and errors
    ndim = x._data.ndim
    given = (int(offset), int(dim1), int(dim2))
    args = (given[0], given[1] % ndim, given[2] % ndim)
    return _scatter_view(DiagonalScatter, x, src, view._data.shape, args, given)


@numpy_names
def select_scatter(input, src, dim, index) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` as its slice ``index`` along ``dim``."""
    from torchlet._ops.shape import select

    x = check_tensor("select_scatter", input, "input", 1)
    src = check_tensor("select_scatter", src, "src", 2)
    view = select(x.detach(), dim, index)  # select's checks and errors
    given = (int(dim), int(index))
    dim = int(dim) % x._data.ndim
    index = int(index) % x._data.shape[dim]
    return _scatter_view(SelectScatter, x, src, view._data.shape, (dim, index), given)


@numpy_names
def slice_scatter(input, src, dim=0, start=None, end=None, step=1) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` as its slice ``start:end:step`` along ``dim``."""
    x = check_tensor("slice_scatter", input, "input", 1)
    src = check_tensor("slice_scatter", src, "src", 2)
    shape = x._data.shape
    given = (dim, start, end, step)
    dim = wrap_dim(dim, len(shape))
    step = int(step)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    size = shape[dim] if shape else 1
    start, end, _ = slice(start, end, step).indices(size)
    end = max(end, start)
    view_shape = list(shape)
    if view_shape:
        view_shape[dim] = len(range(start, end, step))
    return _scatter_view(SliceScatter, x, src, view_shape, (dim, start, end, step), given)

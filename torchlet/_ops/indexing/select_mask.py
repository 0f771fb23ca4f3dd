"""Whole slices picked by a list of positions (index_select, index_add, index_fill),
elements picked by a bool mask (masked_fill, masked_select, masked_scatter), and the
positions of nonzero elements (nonzero, argwhere).
"""

from __future__ import annotations

import numpy as np

from torchlet._device import META_NONZERO, no_meta_kernel, on_meta
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.indexing._common import (
    C_TYPE,
    FULL,
    TYPE_WORD,
    IntoZeros,
    array_with_strides,
    broadcast_shapes,
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
_INT32 = np.dtype(np.int32)


def _along(dim: int, index: np.ndarray):
    """The NumPy index of the slices ``index`` along ``dim``."""
    return (FULL,) * dim + (index,)


def _vector(index: np.ndarray) -> np.ndarray:
    return index.reshape(1) if index.ndim == 0 else index


def _at_least_1d(array: np.ndarray) -> np.ndarray:
    return array.reshape(1) if array.ndim == 0 else array


# ---------------------------------------------------------------------------------------
# index_select, index_add, index_fill


class IndexSelect(Primitive):
    """out = the slices of a at positions index along dim;  grad_a = zeros(a.shape) with
    grad added back into those slices (index_add)."""

    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, index, saved=(), given_dim=None):
        ctx.shape, ctx.dim, ctx.index = a.shape, dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        if a.ndim == 0:
            return a.copy()
        return np.take(a, index, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return IndexAddZeros.apply(grad, shape=ctx.shape, dim=ctx.dim, index=ctx.index,
                                   given_dim=ctx.given_dim)


class IndexAddZeros(IntoZeros, Primitive):
    """out = zeros(shape), then out[..., index[k], ...] += g[..., k, ...];
    grad_g = grad index_select-ed."""

    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, zeros, g, *, shape, dim, index, given_dim=None):
        ctx.dim, ctx.index, ctx.source_shape = dim, index, g.shape
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if ctx.needs_input_grad[1]:  # (a double backward: torch saves g, its source)
            ctx.save_for_backward(g)
        out = np.zeros(shape, g.dtype)
        if out.ndim == 0:
            out[...] = g
        else:
            np.add.at(out, _along(dim, index), g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, IndexSelect.apply(grad, dim=ctx.dim, index=ctx.index,
                                       given_dim=ctx.given_dim)


@numpy_names
def index_select(input, dim, index, *, out=None) -> Tensor:  # noqa: A002
    """The slices of ``input`` at positions ``index`` (a vector) along ``dim``."""
    x = check_tensor("index_select", input, "input", 1)
    index = check_tensor("index_select", index, "index", 3)
    data, idx = x._data, index._data
    given_dim, dim = dim, wrap_dim(dim, data.ndim, "index_select", 2)
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if data.ndim == 0 and idx.size != 1:
        raise RuntimeError(
            f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
        )
    if idx.dtype != _INT64 and idx.dtype != _INT32:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = _vector(idx)
    if data.ndim == 0:
        if idx[0] != 0:
            raise IndexError("index out of range in self")
    else:
        size = data.shape[dim]
        if data.ndim > 1 and idx.size and not data.size and not size:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = first_out_of_range(idx, 0, size)
        if bad is not None:
            # torch's kernels for dim 1 and for an empty self word it differently
            if data.ndim > 1 and (dim == 1 or not data.size):
                raise RuntimeError(
                    f"INDICES element is out of DATA bounds, id={bad} axis_dim={size}"
                )
            raise IndexError("index out of range in self")
    return _out(IndexSelect.apply(x, dim=dim, index=idx, saved=(index,), given_dim=given_dim),
                out, "index_select")


class IndexAdd(Primitive):
    """out = a, then out[..., index[k], ...] += alpha * source[..., k, ...];
    grad_a = grad,  grad_source = alpha * grad index_select-ed.  ``saved``: the index
    tensor, which torch saves only when source needs a gradient (only grad_source reads
    it)."""

    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, a, source, *, dim, index, alpha, wide=False, saved=(), given_dim=None):
        ctx.dim, ctx.index, ctx.alpha, ctx.source_shape = dim, index, alpha, source.shape
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:  # (with source, as torch saves both for source's gradient)
            ctx.save_for_backward(*saved, source)
        if alpha != 1:
            source = source * a.dtype.type(alpha)
        wide = wide and a.dtype == np.float16
        if wide:
            # torch's int64 kernel for the first or last of 2+ dims (alpha 1) sums
            # float16 in float32, rounding once (its loops add in float16, rounding each
            # step, as np.add.at)
            a = a.astype(np.float32)
        out = a.copy()
        if out.ndim == 0:
            out += source.reshape(())
        elif out.size:  # (torch leaves an empty self unchecked: its indices may be any)
            np.add.at(out, _along(dim, index), source.reshape(_source_shape(a, dim, index)))
        return out.astype(np.float16) if wide else out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_source = None
        if needs[1]:
            # (index_select's checks: index_add takes an index out of range when self is
            # empty, which torch's backward then refuses)
            grad_source = source_grad(grad, ctx.given_dim, ctx.index, ctx.source_shape)
            if ctx.alpha != 1:  # (torch's maybe_multiply: a number, MulBackward1)
                from torchlet._ops.linalg.integration import MulScalar  # (imports shape)

                grad_source = MulScalar.apply(grad_source, number=ctx.alpha)
        return grad if needs[0] else None, grad_source


def source_grad(grad: Tensor, dim: int, index: np.ndarray, source_shape) -> Tensor:
    """The gradient of index_add's / index_copy's source, as torch's formula: the slices
    of grad at index, ``expand_as(source)`` (ExpandBackward0 even where the shapes agree).
    A 0-d source takes them as they come: (1,) from a 1-d grad, which the engine sums to
    the source's () as torch's does (SumBackward0)."""
    picked = index_select(grad, dim, wrap(index))
    return picked.expand(source_shape) if source_shape else picked


def _source_shape(a: np.ndarray, dim: int, index: np.ndarray):
    shape = list(a.shape)
    shape[dim] = index.size
    return tuple(shape)


def _vector_index(name: str, index: np.ndarray) -> None:
    if index.ndim > 1:
        raise IndexError(
            f"{name}(): Index is supposed to be a vector, but got dim: {index.ndim} with type: "
            f"{TYPE_WORD[index.dtype.name]} and size: {list(index.shape)}"
        )


def check_index_source(name: str, data, idx, src, dim: int):
    """torch's checks of ``index`` and ``source`` for index_add_ / index_reduce_ (``name``):
    a vector of int32/int64 indices, one per slice of ``source`` along ``dim``, and a
    ``source`` of ``data``'s dtype and shape outside ``dim``. Returns the indices as a
    vector."""
    _vector_index(name, idx)
    if idx.dtype != _INT64 and idx.dtype != _INT32:
        raise RuntimeError(
            f"{name}(): Expected dtype int32/int64 for index but got: "
            f"{TYPE_WORD[idx.dtype.name]}"
        )
    if src.dtype != data.dtype:
        raise RuntimeError(
            f"{name}(): self ({TYPE_WORD[data.dtype.name]}) and source "
            f"({TYPE_WORD[src.dtype.name]}) must have the same scalar type"
        )
    if dim and dim >= src.ndim:
        raise RuntimeError(f"{name}(): Indexing dim {dim} is out of bounds of the source "
                           f"tensor with dim {src.ndim}")
    idx = _vector(idx)
    source_size = src.shape[dim] if src.ndim else 1
    if idx.size != source_size:
        if not src.ndim:  # torch's message asks a 0-d source for its size(dim)
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        raise RuntimeError(
            f"{name}(): Number of indices ({idx.size}) should be equal to "
            f"source.size(dim): ({source_size}), for dim: {dim}"
        )
    if (src.shape != data.shape if not (src.ndim and data.ndim) else (  # a 0-d one: all
        src.ndim != data.ndim
        or any(src.shape[i] != data.shape[i] for i in range(data.ndim) if i != dim)
    )):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified "
            f"dimension. Got self.shape = {list(data.shape)} source.shape = {list(src.shape)}"
        )
    return idx


@numpy_names
def index_add(input, dim, index, source, *, alpha=1, out=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``alpha * source[k]`` added to slice ``index[k]``."""
    x = check_tensor("index_add", input, "input", 1)
    index = check_tensor("index_add", index, "index", 3)
    source = check_tensor("index_add", source, "source", 4)
    data, src = x._data, source._data
    given_dim, dim = dim, wrap_dim(dim, data.ndim, "index_add", 2)
    idx = check_index_source("index_add_", data, index._data, src, dim)
    size = data.shape[dim] if data.ndim else 1
    # torch's kernel has two loops with their own checks: one for 0-d/1-d self, and one
    # for more dimensions that returns early when self is empty
    bad = first_out_of_range(idx, 0, size) if data.ndim <= 1 or data.size else None
    # torch's int64 kernel for the first or last of 2+ dims, with alpha 1 (a bool not
    # counting): its own words (measured)
    wide = (data.ndim > 1 and index._data.dtype == np.int64 and dim in (0, data.ndim - 1)
            and alpha == 1 and not isinstance(alpha, bool))
    if bad is not None and not wide:
        raise IndexError("index out of range in self")
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if data.dtype.kind != "f":
        alpha = int(alpha)  # torch casts alpha to the integer dtype
    saved = (index,) if source.requires_grad else ()
    return _out(IndexAdd.apply(x, source, dim=dim, index=idx, alpha=alpha, wide=wide,
                               saved=saved, given_dim=given_dim), out, "index_add")


def skips_index_checks(x: Tensor, dim: int, idx: np.ndarray, clone_dense: bool = True) -> bool:
    """Whether torch's index_copy_ / index_fill_ kernels leave the indices unchecked: so
    they do for a self with no elements, but with none along ``dim`` they restride self
    to the indexed slices (stride 0 along dim) beyond its storage, and raise. Their self
    is a clone: dense (``clone_dense``) or, for index_fill, with the strides kept."""
    data = x._data
    if data.size or not data.ndim or not idx.size:
        return False
    shape, strides = list(data.shape), list(x.stride())
    if clone_dense and not _dense(shape, strides):
        from torchlet._ops.shape.common import infer_dense_strides  # (shape imports indexing)

        strides = infer_dense_strides(shape, strides)
    shape[dim], strides[dim] = idx.size, 0
    if data.shape[dim] or 0 in shape:  # (restrided to no elements: nothing to store)
        return True
    need = (1 + sum((n - 1) * step for n, step in zip(shape, strides))) * data.itemsize
    raise RuntimeError(
        f"setStorage: sizes {shape}, strides {strides}, storage offset 0, and itemsize "
        f"{data.itemsize} requiring a storage size of {need} are out of bounds for storage "
        "of size 0"
    )


def _dense(shape, strides) -> bool:
    """torch's ``compute_non_overlapping_and_dense``: the dims of size 2 or more, by
    stride, each step over exactly the faster ones (an empty tensor is not exempt)."""
    step = 1
    for stride, size in sorted((st, n) for st, n in zip(strides, shape) if n > 1):
        if stride != step:
            return False
        step *= size
    return True


def _copy_preserving_layout(a: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
    """A copy of ``values`` (default ``a``, of its shape) laid out as torch's ``clone()``
    (preserve_format) lays out ``a``."""
    from torchlet._ops.shape.common import _empty_like_preserve  # (shape imports indexing)

    values = a if values is None else values
    if a.flags.c_contiguous and 1 not in a.shape and a.size:  # (a size-1 dim's stride
        return values.copy()  # may be any, an empty array's all)
    out = _empty_like_preserve(a)
    out[...] = values
    return out


class IndexFill(Primitive):
    """out = a with the slices at index along dim set to value;  grad_a = grad with those
    slices zeroed."""

    node_name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, index, value, saved=(), given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        out = _copy_preserving_layout(a)
        if out.size:  # (an empty self's indices are not checked: they may be any)
            _at_least_1d(out)[_along(dim, index)] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return IndexFill.apply(grad, dim=ctx.dim, index=ctx.index,
                               value=np.zeros((), grad._data.dtype), given_dim=ctx.given_dim)


class IndexFillTensor(Primitive):
    """out = a with the slices at index along dim set to the 0-d value;
    grad_a = grad with those slices zeroed,  grad_value = sum of grad over them."""

    node_name = "IndexFillBackward1"

    @staticmethod
    def forward(ctx, a, value, *, dim, index, saved=(), given_dim=None):
        ctx.dim, ctx.index = dim, index
        ctx.given_dim = dim if given_dim is None else given_dim  # (torch's _saved_dim)
        if saved:
            ctx.save_for_backward(*saved)
        out = _copy_preserving_layout(a)
        if out.size:  # (an empty self's indices are not checked: they may be any)
            _at_least_1d(out)[_along(dim, index)] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_a = grad_value = None
        if needs[0]:
            grad_a = IndexFill.apply(grad, dim=ctx.dim, index=ctx.index,
                                     value=np.zeros((), grad._data.dtype),
                                     given_dim=ctx.given_dim)
        if needs[1]:  # each filled slice counts once, however often it was indexed
            unique = np.unique(ctx.index)
            grad_value = IndexSelect.apply(grad, dim=ctx.dim, index=unique,
                                           given_dim=ctx.given_dim).sum()
        return grad_a, grad_value


@numpy_names
def index_fill(input, dim, index, value) -> Tensor:  # noqa: A002
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    try:
        return _index_fill(input, dim, index, value)
    except Exception:  # (torch's parser refuses a misfit first: its error, if so)
        from torchlet._ops.indexing.index_more import check_index_fill_arguments

        check_index_fill_arguments("index_fill", (input, dim, index, value), function=True)
        raise


def _index_fill(input, dim, index, value) -> Tensor:  # noqa: A002
    x = check_tensor("index_fill", input, "input", 1)
    index = check_tensor("index_fill", index, "index", 3)
    data, idx = x._data, index._data
    given_dim, dim = dim, wrap_dim(dim, data.ndim, "index_fill", 2)
    if idx.dtype != _INT64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    _vector_index("index_fill_", idx)
    if isinstance(value, Tensor) and value._data.ndim != 0:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    idx = _vector(idx)
    size = data.shape[dim] if data.ndim else 1
    skip = skips_index_checks(x, dim, idx, clone_dense=False)
    bad = None if skip else first_out_of_range(idx, -size, size)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if isinstance(value, Tensor):
        return IndexFillTensor.apply(x, value, dim=dim, index=idx, saved=(index,),
                                     given_dim=given_dim)
    return IndexFill.apply(x, dim=dim, index=idx, value=checked_scalar(value, data.dtype),
                           saved=(index,), given_dim=given_dim)


# ---------------------------------------------------------------------------------------
# masks


class MaskedFill(Primitive):
    """out = where(mask, value, a) (broadcast);  grad_a = grad with zeros where mask."""

    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, *, mask, value, saved=()):
        ctx.mask = mask
        if saved:
            ctx.save_for_backward(*saved)
        return _contiguous(np.where(mask, value, a))

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return MaskedFill.apply(grad, mask=ctx.mask, value=np.zeros((), grad._data.dtype))


def _contiguous(out: np.ndarray) -> np.ndarray:
    """torch's out-of-place masked_fill clones into a contiguous tensor; np.where follows
    its inputs' layout (a transposed input would give a transposed result)."""
    return out if out.flags.c_contiguous else np.ascontiguousarray(out)


class MaskedFillTensor(Primitive):
    """out = where(mask, value, a) with a 0-d tensor value;  grad_a = grad with zeros
    where mask,  grad_value = sum of grad where mask."""

    node_name = "MaskedFillBackward1"

    @staticmethod
    def forward(ctx, a, value, *, mask, saved=()):
        ctx.mask = mask
        if saved:
            ctx.save_for_backward(*saved)
        return _contiguous(np.where(mask, value.astype(a.dtype), a))

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        mask = ctx.mask
        grad_a = grad_value = None
        if needs[0]:
            grad_a = MaskedFill.apply(grad, mask=mask, value=np.zeros((), grad._data.dtype))
        if needs[1]:
            grad_value = MaskedSelect.apply(grad, mask=mask).sum()
        return grad_a, grad_value


def _check_mask(name: str, mask, word: bool = False) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(
            f"{name}(): argument 'mask' (position 2) must be Tensor, not {type_name(mask)}"
        )
    data = mask._data
    if data.dtype.kind != "b":
        raise RuntimeError(
            f"{name}_ only supports boolean masks, but got mask with dtype "
            f"{TYPE_WORD[data.dtype.name] if word else C_TYPE[data.dtype.name]}"
        )
    return data


def masked_fill(input, mask, value) -> Tensor:  # noqa: A002
    """``input`` with ``value`` wherever the bool ``mask`` (broadcast) is True."""
    x = check_tensor("masked_fill", input, "input", 1)
    mask_data = _check_mask("masked_fill", mask)
    data = x._data
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
    elif not is_number(value):
        raise TypeError(
            "masked_fill() received an invalid combination of arguments - got (Tensor, "
            f"Tensor, {type_name(value)}), but expected one of:\n"
            " * (Tensor input, Tensor mask, Tensor value)\n"
            " * (Tensor input, Tensor mask, Number value)\n"
        )
    broadcast_shapes(mask_data.shape, data.shape)
    if isinstance(value, Tensor):
        return MaskedFillTensor.apply(x, value, mask=mask_data, saved=(mask,))
    value = checked_scalar(value, data.dtype)
    return MaskedFill.apply(x, mask=mask_data, value=value, saved=(mask,))


class MaskedSelect(Primitive):
    """out = the elements of a (broadcast with mask) where mask, as a 1-D tensor;
    grad_a = zeros with grad scattered back to those positions (masked_scatter)."""

    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, a, *, mask, saved=()):
        shape = np.broadcast_shapes(a.shape, mask.shape)
        ctx.shape, ctx.mask = shape, np.broadcast_to(mask, shape)
        if saved:
            ctx.save_for_backward(a, *saved)  # torch saves self too (for its _saved_self,
            # and its error if self changes in place before backward)
        return np.broadcast_to(a, shape)[ctx.mask]

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        return MaskedScatterZeros.apply(grad, shape=ctx.shape, mask=ctx.mask)


class MaskedScatterZeros(IntoZeros, Primitive):
    """out = zeros(shape) with g's first values written, in order, where mask;
    grad_g = grad's values where mask, padded with zeros to g's shape (torch's
    masked_scatter_backward)."""

    node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, zeros, g, *, shape, mask):
        ctx.mask, ctx.sizes = mask, g.shape
        out = np.zeros(shape, g.dtype)
        out[mask] = g.reshape(-1)[: np.count_nonzero(mask)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, MaskedScatterBackward.apply(grad, mask=ctx.mask, sizes=ctx.sizes)


class MaskedScatterBackward(Primitive):
    """torch's masked_scatter_backward (masked_scatter's source gradient): out = g's values
    where mask, in order, padded with zeros to the number of elements of ``sizes`` and
    shaped as sizes;  grad_g = zeros of g's shape with grad's first values written where
    mask (MaskedScatterZeros)."""

    node_name = "MaskedScatterBackwardBackward0"

    @staticmethod
    def forward(ctx, g, *, mask, sizes, mask_given=None):
        ctx.mask, ctx.shape = mask, g.shape
        ctx.mask_given = mask if mask_given is None else mask_given  # (torch's _saved_mask)
        picked = g[mask]
        out = np.zeros(int(np.prod(sizes)), g.dtype)
        out[: picked.size] = picked
        return out.reshape(sizes)

    @staticmethod
    def backward(ctx, grad):
        return MaskedScatterZeros.apply(grad, shape=ctx.shape, mask=ctx.mask)


def masked_select(input, mask, *, out=None) -> Tensor:  # noqa: A002
    """The elements of ``input`` where the bool ``mask`` (broadcast) is True, as 1-D."""
    x = check_tensor("masked_select", input, "input", 1)
    if not isinstance(mask, Tensor):
        raise TypeError(
            "masked_select(): argument 'mask' (position 2) must be Tensor, not "
            f"{type_name(mask)}"
        )
    if on_meta(x._data) or on_meta(mask._data):  # (its length is the number of Trues)
        raise no_meta_kernel("masked_select")
    if mask._data.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    broadcast_shapes(mask._data.shape, x._data.shape)
    return _out(MaskedSelect.apply(x, mask=mask._data, saved=(mask,)), out, "masked_select")


class MaskedScatter(Primitive):
    """out = a (broadcast) with source's first values written, in order, where mask;
    grad_a = grad with zeros where mask,  grad_source = grad where mask, padded with
    zeros to source's size.  ``saved``: the mask tensor, saved as torch does."""

    node_name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, a, source, *, mask, saved=()):
        shape = np.broadcast_shapes(a.shape, mask.shape)
        ctx.mask_given = mask  # (torch's backward keeps the mask as given, unbroadcast)
        mask = np.broadcast_to(mask, shape)
        ctx.mask, ctx.source_shape = mask, source.shape
        if saved:
            ctx.save_for_backward(*saved)
        out = np.broadcast_to(a, shape).copy()
        out[mask] = source.reshape(-1)[: np.count_nonzero(mask)]
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_a = grad_source = None
        if needs[0]:
            grad_a = MaskedFill.apply(grad, mask=ctx.mask, value=np.zeros((), grad._data.dtype))
        if needs[1]:
            grad_source = MaskedScatterBackward.apply(grad, mask=ctx.mask,
                                                      sizes=ctx.source_shape,
                                                      mask_given=ctx.mask_given)
        return grad_a, grad_source


def masked_scatter(input, mask, source) -> Tensor:  # noqa: A002
    """A copy of ``input`` with the values of ``source``, in order, where ``mask``."""
    x = check_tensor("masked_scatter", input, "input", 1)
    mask_data = _check_mask("masked_scatter", mask, word=True)
    source = check_tensor("masked_scatter", source, "source", 3)
    if source._data.dtype != x._data.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{TYPE_WORD[x._data.dtype.name]} and {TYPE_WORD[source._data.dtype.name]}"
        )
    shape = broadcast_shapes(mask_data.shape, x._data.shape)
    if np.count_nonzero(np.broadcast_to(mask_data, shape)) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(x, source, mask=mask_data, saved=(mask,))


# ---------------------------------------------------------------------------------------
# nonzero


def nonzero(input, *, as_tuple=False, out=None):  # noqa: A002
    """The indices of the nonzero elements: an int64 tensor of shape (n, ndim), or with
    ``as_tuple=True`` one 1-D tensor per dimension (what ``x[...]`` accepts)."""
    x = check_tensor("nonzero", input, "input", 1)
    data = x._data
    if on_meta(data):  # (how many there are is not known without the values)
        raise NotImplementedError(META_NONZERO)
    if as_tuple:  # torch: nonzero() of the tensor as 1-D at least, unbound along dim 1
        # (so each tensor is a column of the (n, ndim) result: a view with stride 1)
        if out is not None:
            raise RuntimeError("nonzero does not support the out kwarg when as_tuple is True")
        result = wrap(_nonzero_array(_at_least_1d(data)))
        return tuple(make_view(wrap(column), result) for column in result._data.T)
    if isinstance(out, Tensor) and out._data.dtype != _INT64:  # (no cast, unlike most outs)
        raise RuntimeError("nonzero: Expected out tensor to have scalar type Long but got "
                           f"scalar type{TYPE_WORD[out._data.dtype.name]}")
    return _out(wrap(_nonzero_array(data)), out, "nonzero")


def _nonzero_array(data: np.ndarray) -> np.ndarray:
    """The (n, ndim) int64 indices of the nonzero elements, in torch's layout: strides
    (1, n), also where n is 0 or 1 (a 0-d tensor counts as one element of no dims)."""
    coords = np.nonzero(data) if data.ndim else ()
    n = len(coords[0]) if coords else int(bool(data))
    result = array_with_strides((n, data.ndim), (1, n), np.int64)
    for d, c in enumerate(coords):
        result[:, d] = c
    return result


def argwhere(input) -> Tensor:  # noqa: A002
    """``nonzero(input)``: the (n, ndim) indices of the nonzero elements."""
    return nonzero(input)


def _out(result: Tensor, out, name: str):
    if out is None:
        return result
    from torchlet._ops.pointwise.operands import _out as write_out

    return write_out(result, out, name)

"""``t[index]`` and ``t[index] = value``, following torch's own two-stage algorithm
(``torch/csrc/autograd/python_variable_indexing.cpp``):

1. *Basic indexing*, left to right: an int selects (``SelectBackward0``), a slice slices
   (``SliceBackward0``; a full slice is skipped), ``None`` and ``True``/``False`` insert a
   dimension (``UnsqueezeBackward0``), ``...`` skips dimensions. The result is a view: a
   NumPy view of the input's array that shares its version counter. Unlike NumPy, an int
   is always applied here, even next to tensor indices, so ``x[1, :, [0, 1]]`` has shape
   ``(4, 2)`` for ``x`` of shape ``(3, 4, 5)`` (NumPy says ``(2, 4)``).
2. *Advanced indexing* with what is left: integer tensors (lists, NumPy arrays) and bool
   masks (expanded to their nonzero positions). All index tensors are broadcast together;
   the result's indexed dimensions go where the first index was if the indices are
   adjacent, else to the front (NumPy's rule). This copies (``IndexBackward0``); its
   backward adds the gradient into zeros, accumulating repeated indices.

Assignment finds the same positions and writes ``value`` into them (broadcast and cast to
the tensor's dtype). With autograd, it is an in-place operation: the tensor takes the
grad_fn of an out-of-place "put" (``CopySlices`` when a view was written, else
``IndexPutBackward0``, ``CopyBackwards`` or ``FillBackward3``, the names torch shows).
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._device import (
    META_NONZERO,
    NO_META_ITEM,
    MetaArray,
    is_meta_array,
    meta_array,
    on_meta,
)
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import (
    FULL,
    TYPE_WORD,
    IntoZeros,
    Window,
    check_saved_indices,
    checked_scalar,
    empty_in_order,
    fill_scalar,
    memory_order,
    tensor_type,
)
from torchlet._ops.shape.common import contiguous_strides, empty_in_layout
from torchlet._ops.shape.slices import moved_empty
from torchlet._ops.view_inplace import copy_slices_graph, view_geometry
from torchlet._tensor import Tensor, _inplace, bump_version, make_view, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

_INT64 = np.dtype(np.int64)
_INT32 = np.dtype(np.int32)
_INT8 = np.dtype(np.int8)
_UINT8 = np.dtype(np.uint8)
_UINT64 = np.dtype(np.uint64)
_WIDE_UNSIGNED = (np.dtype(np.uint16), np.dtype(np.uint32), _UINT64)
_EMPTY_INDEX = np.zeros(0, np.int64)
_ZERO_INDEX = np.zeros(1, np.int64)

# ---------------------------------------------------------------------------------------
# views: one primitive per kind of basic index, and the adjoint of each


class _View(Primitive):
    """Base of the basic-indexing views: out = a[key] (a NumPy view)."""

    @staticmethod
    def forward(ctx, a, *, key, given=None):
        ctx.key, ctx.shape = key, a.shape
        ctx.given = given  # a Select's int as given (torch's _saved_index shows -1 so)
        out = a[key]
        if not out.size or None in key:
            out = _torch_view(out, a, key)
        return out


def _torch_view(out: np.ndarray, a: np.ndarray, key) -> np.ndarray:
    """The view ``out = a[key]`` strided (and, if empty, placed) as torch's chain of views
    (select, slice, unsqueeze) would. ``key`` is a basic NumPy key (ints, slices, None)
    ending with ``...``. Non-empty views without None need none of this.

    torch gives a dim made by unsqueeze the stride ``size * stride`` of the dim after it
    (1 element at the end), where NumPy's ``None`` gives 0. For an empty view, NumPy also
    starts a slice of length 0 where ``a`` starts and ignores its step, where torch moves
    the start by ``start * stride`` and multiplies the stride by the step."""
    if on_meta(out):
        return out
    if out.size:
        return _restrided(out, _new_dim_strides(out, a, key))
    sizes = list(a.shape)
    strides = list(a.strides)
    if a.base is None and not any(strides):  # NumPy's new empty array: torch's contiguous
        strides = [s * a.itemsize for s in contiguous_strides(sizes)]
    offset = dim = 0
    for item in key:
        if item is Ellipsis:
            break
        if item is None:
            strides.insert(dim, sizes[dim] * strides[dim] if dim < len(sizes) else a.itemsize)
            sizes.insert(dim, 1)
        elif type(item) is slice:
            start, stop, step = item.indices(sizes[dim])
            offset += start * strides[dim]
            sizes[dim] = len(range(start, stop, step))
            strides[dim] *= step
        else:  # an int, already non-negative
            offset += item * strides[dim]
            del sizes[dim], strides[dim]
            continue
        dim += 1
    out = np.lib.stride_tricks.as_strided(out, out.shape, strides)
    return moved_empty(out, a, offset)


def _new_dim_strides(out: np.ndarray, a: np.ndarray, key) -> tuple:
    """``out``'s strides (``out = a[key]``, not empty) with torch's for the dims made by
    None: the dim after a new one is the first dim of ``a`` that no earlier item indexed
    (ints and slices only change dims before it), so its stride is that dim's size times
    its stride, or 1 element when every dim of ``a`` was indexed."""
    strides = list(out.strides)
    shape, old = a.shape, a.strides
    used = dim = 0  # (dims of a indexed, dims of out made)
    for item in key:
        if item is None:
            strides[dim] = shape[used] * old[used] if used < len(shape) else a.itemsize
            dim += 1
        elif item is Ellipsis:
            break
        else:
            used += 1
            if type(item) is slice:
                dim += 1
    return tuple(strides)


def _restrided(out: np.ndarray, strides: tuple) -> np.ndarray:
    """``out`` with other (byte) ``strides`` for its dims of size 1: the same elements."""
    if out.strides == strides:
        return out
    if out.flags.c_contiguous and type(out) is np.ndarray:
        # one block: a view of its buffer, built directly (a fraction of as_strided's
        # cost; its base is the array out views, as a slice's would be)
        return np.ndarray(out.shape, out.dtype, out, 0, strides)
    return np.lib.stride_tricks.as_strided(out, out.shape, strides,
                                           writeable=out.flags.writeable)


class Select(_View):
    """out = a[..., i, ...], dimension dim removed (a view);  grad_a = zeros(a.shape)
    with grad written at i."""

    node_name = "SelectBackward0"

    @staticmethod
    def backward(ctx, grad):
        return SelectBackward.apply(grad, shape=ctx.shape, key=ctx.key, given=ctx.given)


class Slice(_View):
    """out = a[..., start:stop:step, ...] (a view);  grad_a = zeros(a.shape) with grad
    written into the slice."""

    node_name = "SliceBackward0"

    @staticmethod
    def backward(ctx, grad):
        return SliceBackward.apply(grad, shape=ctx.shape, key=ctx.key)


class Unsqueeze(_View):
    """out = a with a new dimension of size 1 (a view);  grad_a = grad without it."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def backward(ctx, grad):
        return Squeeze.apply(grad, shape=ctx.shape, key=ctx.key)


class Alias(Primitive):
    """out = a (a new view of the same values, as ``x[...]``);  grad_a = grad."""

    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, a):
        return a[...]

    @staticmethod
    def backward(ctx, grad):
        return grad


class _Embed(Primitive):
    """Base of the adjoints of the views: out = zeros(shape) with g written at key."""

    @staticmethod
    def forward(ctx, g, *, shape, key, given=None):
        ctx.key, ctx.given = key, given
        out = np.zeros(shape, g.dtype)
        out[key] = g
        return out


class SelectBackward(_Embed):
    """out = zeros(shape) with g written at the selected index;  grad_g = grad selected."""

    node_name = "SelectBackwardBackward0"

    @staticmethod
    def backward(ctx, grad):
        return Select.apply(grad, key=ctx.key, given=ctx.given)


class SliceBackward(_Embed):
    """out = zeros(shape) with g written into the slice;  grad_g = grad sliced."""

    node_name = "SliceBackwardBackward0"

    @staticmethod
    def backward(ctx, grad):
        return Slice.apply(grad, key=ctx.key)


class Squeeze(Primitive):
    """out = g without the dimension Unsqueeze added;  grad_g = grad unsqueezed again."""

    node_name = "SqueezeBackward1"

    @staticmethod
    def forward(ctx, g, *, shape, key):
        ctx.key = key
        return g.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return Unsqueeze.apply(grad, key=ctx.key)


# ---------------------------------------------------------------------------------------
# advanced indexing


class Index(Primitive):
    """out = a[indices] (advanced indexing: a copy);  grad_a = zeros(a.shape) with grad
    added at the indexed positions (a position indexed twice gets both gradients).
    ``saved``: the index tensors, saved for backward as torch saves them."""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, *, key, arrays=None, saved=()):
        ctx.key, ctx.shape = key, a.shape
        if saved:
            ctx.save_for_backward(*saved)
        if arrays is None:  # (a backward: the key was checked by the forward)
            arrays = [(dim, k) for dim, k in enumerate(key) if type(k) is np.ndarray]
            if type(a) is not np.ndarray and is_meta_array(a):
                return _meta_index(a, arrays)
            if not a.size:  # (nothing is read; NumPy would still refuse an index out of range)
                return _empty_result(a, arrays, _check_advanced(a.shape, arrays, bounds=False))
            return _torch_layout(a, arrays, a[key])
        return _index(a, key, arrays)

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        # (the index tensors go on with it: torch's index_put_impl saves them too)
        return IndexPutAccumulate.apply(grad, shape=ctx.shape, key=ctx.key,
                                        saved=ctx.saved_tensors)


class IndexPutAccumulate(IntoZeros, Primitive):
    """out = zeros(shape), then out[indices] += g, repeated positions accumulating
    (``np.add.at`` adds in index order, as torch's CPU kernel);  grad_g = grad[indices]."""

    node_name = "IndexPutImplBackward0"

    @staticmethod
    def forward(ctx, zeros, g, *, shape, key, saved=()):
        ctx.key = key
        if saved:
            ctx.save_for_backward(*saved)
        if type(g) is not np.ndarray and is_meta_array(g):
            return meta_array(shape, g.dtype)  # (meta indices are never read)
        out = np.zeros(shape, g.dtype)
        if g.size:  # (an empty result may come from indices torch never checked)
            np.add.at(out, key, g)
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, Index.apply(grad, key=ctx.key)


# ---------------------------------------------------------------------------------------
# parsing an index into basic steps and tensor indices

_INT, _SLICE, _NONE, _ELLIPSIS, _BOOL, _MASK, _TENSOR, _ERROR = range(8)
_SEQUENCE_TYPES = (list, tuple, range, np.ndarray, Tensor)
# what torch's wrapTuple takes for a sequence (PySequence_Check) or a slice in a list
_INDEX_SEQUENCES = (*_SEQUENCE_TYPES, str, bytes, bytearray, slice)


def _as_tuple(index):
    """torch's ``wrapTuple``: a list holding slices, None, ``...``, lists or tensors is read
    as a tuple of indices (NumPy's legacy heuristic); anything else is one index."""
    if isinstance(index, tuple):
        return index
    # (a str is such a sequence too: its items are strs, sequences themselves)
    if isinstance(index, (list, str)) and len(index) < 32:
        for item in index:
            if isinstance(item, _INDEX_SEQUENCES) or item is None or item is Ellipsis:
                warnings.warn(
                    "Using a non-tuple sequence for multidimensional indexing is deprecated "
                    "and will be changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. "
                    "In pytorch 2.9 this will be interpreted as tensor index, "
                    "x[torch.tensor(seq)], which will result either in an error or a "
                    "different result",
                    UserWarning,
                    stacklevel=4,
                )
                return tuple(index)
    return (index,)


def _array_token(array: np.ndarray):
    """A tensor index: 0-d integers select, 0-d bools insert a dimension, bool (and uint8)
    tensors are masks, anything else is an integer index (its dtype checked later)."""
    is_mask = array.dtype.kind == "b" or array.dtype == _UINT8
    if array.ndim == 0:
        if type(array) is not np.ndarray and is_meta_array(array) and (
                is_mask or array.dtype.kind in "iu"):
            raise RuntimeError(NO_META_ITEM)  # (torch reads the number out of it)
        if is_mask:
            return _BOOL, bool(array)
        if array.dtype.kind in "iu":
            return _INT, int(array)
        return _TENSOR, array
    return (_MASK if is_mask else _TENSOR), array


def _sequence_array(seq) -> np.ndarray:
    """torch's ``indexing_tensor_from_data``: the dtype is inferred as ``torch.tensor``
    infers it (with its errors); bool (and uint8) data stay masks, any other data are
    stored into int64 as ``torch.tensor(seq, dtype=torch.int64)`` stores them: an array
    is cast (``x[np.array([0.7])]`` is ``x[[0]]``), a list's numbers are read one by one
    (``x[[0.7]]`` is ``x[[0]]``, ``x[[np.float32(0)]]`` and ``x[[1j]]`` Python's
    TypeError, ``x[[nan]]`` torch's overflow RuntimeError)."""
    if isinstance(seq, np.ndarray):
        if seq.dtype not in _WIDE_UNSIGNED:  # (torch has those; the rest: TypeError)
            _dtype.from_numpy_dtype(seq.dtype)
        if seq.dtype.kind == "b" or seq.dtype == _UINT8:
            return seq
        return seq.astype(np.int64)
    if isinstance(seq, bytearray):  # (a sequence of ints to torch, not bytes)
        seq = list(seq)
    if isinstance(seq, (list, tuple, range)) and not (seq and isinstance(seq[0], np.ndarray)):
        array = np.asarray(seq)  # the common case: ints (or bools) NumPy reads as torch
        if array.dtype.kind == "b" or array.dtype == _UINT8:
            return array
        if array.dtype.kind in "iu" and array.dtype != _UINT64:
            return array.astype(np.int64)
    # (creation imports this module's package)
    from torchlet._ops.creation import _infer_dtype, tensor

    kind = _infer_dtype(seq)[0]  # (first, as torch: a str anywhere is its TypeError)
    if kind is _dtype.bool or kind is _dtype.uint8:
        return tensor(seq)._data
    return tensor(seq, dtype=_dtype.int64)._data


def _token(item):
    if item is None:
        return _NONE, None
    if item is Ellipsis:
        return _ELLIPSIS, None
    cls = type(item)
    if cls is int:
        return _INT, item
    if cls is bool:
        return _BOOL, item
    if cls is slice:
        return _SLICE, _slice_parts(item)
    if isinstance(item, Tensor):
        return _array_token(item._data)
    if isinstance(item, np.integer):
        return _INT, int(item)
    if isinstance(item, (list, tuple, range, np.ndarray, str, bytes, bytearray)):
        return _array_token(_sequence_array(item))
    try:
        return _INT, operator.index(item)
    except TypeError:
        raise IndexError(
            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
            f"are valid indices (got {type_name(item)})"
        ) from None


def _slice_parts(s: slice):
    # (all three are read before the step is judged, as torch's __PySlice_Unpack does)
    try:
        step = 1 if s.step is None else operator.index(s.step)
        start = None if s.start is None else operator.index(s.start)
        stop = None if s.stop is None else operator.index(s.stop)
    except TypeError:
        raise TypeError(
            "slice indices must be integers or None or have an __index__ method"
        ) from None
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero")
    return start, stop, step


def _counted_dims(items) -> int:
    """torch's ``count_specified_dimensions``, done before any item is read: a bool or
    uint8 tensor counts its dims, None, ``...``, True and False none, anything else one
    (a str, a float, a list mask of any depth)."""
    count = 0
    for item in items:
        if isinstance(item, Tensor):
            array = item._data
            count += array.ndim if array.dtype.kind == "b" or array.dtype == _UINT8 else 1
        elif item is not None and item is not Ellipsis and item is not True \
                and item is not False:
            count += 1
    return count


def _parse(shape, index, skip_full_slices: bool):
    """Split ``index`` into torch's steps.

    Returns ``(key, steps, tensors)``: ``key`` is one NumPy basic index for the whole
    basic stage; ``steps`` lists ``(view class, dim, arg)`` in torch's order (to record
    the same chain of views in the graph; a Select's int as given, which may be
    negative); ``tensors`` lists ``(dim, array)``, the tensor
    indices and the dims of the basic result where they start.
    """
    items = _as_tuple(index)
    if _counted_dims(items) > len(shape):  # (checked before any item is read)
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    tokens = []
    for item in items:
        try:
            tokens.append(_token(item))
        except (TypeError, ValueError, IndexError, RuntimeError, OverflowError) as error:
            # torch reads each item when it gets to it: an earlier item's error comes first
            tokens.append((_ERROR, error))
    specified = 0
    for kind, value in tokens:
        if kind is _INT or kind is _SLICE or kind is _TENSOR or kind is _ERROR:
            specified += 1
        elif kind is _MASK:
            specified += value.ndim
    ndim = len(shape)
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    sizes = list(shape)
    key: list = []
    steps: list[tuple[type[Primitive], int, object]] = []
    tensors: list[tuple[int, Tensor | np.ndarray]] = []
    dim = 0
    for position, (kind, value) in enumerate(tokens):
        if kind is _ERROR:
            raise value
        if kind is _INT:
            size = sizes[dim] if dim < len(sizes) else 0
            if not -size <= value < size:
                raise IndexError(
                    f"index {value} is out of bounds for dimension {position} with size {size}"
                )
            steps.append((Select, dim, value))  # (as given: getitem wraps a negative one)
            if value < 0:
                value += size
            key.append(value)
            del sizes[dim]
        elif kind is _SLICE:
            start, stop, step = value
            size = sizes[dim]
            if (skip_full_slices and step == 1 and not start
                    and (stop is None or stop >= size)):
                key.append(FULL)
            else:
                s = slice(start, stop, step)
                key.append(s)
                steps.append((Slice, dim, s))
                sizes[dim] = len(range(*s.indices(size)))
            dim += 1
        elif kind is _TENSOR:
            tensors.append((dim, value))
            key.append(FULL)
            dim += 1
        elif kind is _NONE or kind is _BOOL:
            key.append(None)
            steps.append((Unsqueeze, dim, None))
            sizes.insert(dim, 1)
            if kind is _BOOL:  # True indexes the new dim with [0], False with []
                tensors.append((dim, _ZERO_INDEX if value else _EMPTY_INDEX))
            dim += 1
        elif kind is _MASK:
            tensors.append((dim, value))
            key.extend([FULL] * value.ndim)
            dim += value.ndim
        else:  # Ellipsis: torch lets each one skip the unspecified dims
            skip = ndim - specified
            key.extend([FULL] * skip)
            dim += skip
    while key and key[-1] is FULL:
        key.pop()
    key.append(Ellipsis)  # keeps a full integer index a 0-d view, not a NumPy scalar
    return tuple(key), steps, tensors


def _advanced_key(shape, tensors, meta=False):
    """The NumPy key for the tensor indices, checked as torch's ``at::index`` does first:
    masks must match the dims they cover (they become their nonzero positions) and
    indices must be int64 or int32. Returns ``(key, arrays)``, arrays being the
    ``(dim, integer array)`` pairs; ``_check_advanced`` checks broadcasting and bounds.
    ``meta``: the indexed tensor is a meta one (``_meta_advanced_key``).
    """
    if meta:
        return _meta_advanced_key(shape, tensors)
    if tensors[-1][0] >= len(shape):  # (one index per dim of the sliced tensor, at most)
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} "
                         f"(got {tensors[-1][0] + 1})")
    for _, array in tensors:  # (torch checks every index's dtype before reading masks)
        if array.dtype != _INT64 and array.dtype != _INT32 and not _is_mask(array):
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    arrays = []
    for dim, array in tensors:
        if array.dtype.kind == "b" or array.dtype == _UINT8:
            if on_meta(array):  # (a meta mask has no positions to give, whatever is indexed)
                raise NotImplementedError(META_NONZERO)
            if array.dtype == _UINT8:
                warnings.warn(
                    "indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                    "torch.bool instead.", UserWarning, stacklevel=4,
                )
            _check_mask_shape(shape, dim, array)
            arrays.extend(zip(range(dim, dim + array.ndim), np.nonzero(array), strict=True))
        else:
            arrays.append((dim, array))
    return _key_of(arrays), arrays


def _meta_advanced_key(shape, tensors):
    """``_advanced_key`` for a meta tensor, checked as torch's meta kernel checks
    (``meta_index_Tensor``), index by index: the dtype (a RuntimeError; int8 is a mask
    there, uint8 refused), then a mask's positions (a meta mask has none to give: torch's
    nonzero refuses), then the mask's shape, in messages of its own."""
    arrays = []
    for dim, array in tensors:
        kind = array.dtype
        if kind != _INT64 and kind != _INT32 and kind.kind != "b" and kind != _INT8:
            raise RuntimeError("tensors used as indices must be long, int, byte or bool tensors")
        if kind == _INT64 or kind == _INT32:
            arrays.append((dim, array))
            continue
        if on_meta(array):
            raise NotImplementedError(META_NONZERO)
        if dim + array.ndim > len(shape):
            raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
        for j in range(array.ndim):
            if array.shape[j] != shape[dim + j]:
                raise IndexError(
                    f"The shape of the mask torch.Size({list(array.shape)}) at index {dim} "
                    "does not match the shape of the indexed tensor "
                    f"torch.Size({list(shape)}) at index {dim + j}")
        arrays.extend(zip(range(dim, dim + array.ndim), np.nonzero(array), strict=True))
    return _key_of(arrays), arrays


def _key_of(arrays) -> tuple:
    """The NumPy key that puts each ``(dim, integer array)`` at its dim (full slices
    between them)."""
    key = [FULL] * (arrays[-1][0] + 1)
    for dim, array in arrays:
        key[dim] = array
    return tuple(key)


def _check_advanced(shape, arrays, bounds=True):
    """Broadcast the indices and check their bounds (unless ``bounds`` is False) with
    torch's errors; return the shape of the result (NumPy's rule: the broadcast index
    shape replaces the indexed dims if they are adjacent, else goes in front)."""
    index_shape = _index_shape(arrays)
    if bounds:
        _check_bounds(shape, arrays, index_shape)
    return _result_shape(shape, arrays, index_shape)


def _index_shape(arrays) -> tuple:
    """The indices broadcast together (torch's IndexError if they do not)."""
    shapes = [array.shape for _, array in arrays]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise IndexError(
            "shape mismatch: indexing tensors could not be broadcast together with shapes "
            + ", ".join(str(list(s)) for s in shapes)
        ) from None


def _result_shape(shape, arrays, index_shape) -> tuple:
    dims = [dim for dim, _ in arrays]
    rest = [s for d, s in enumerate(shape) if d not in dims]
    if dims == list(range(dims[0], dims[0] + len(dims))):  # adjacent: they stay in place
        return tuple(rest[: dims[0]]) + index_shape + tuple(rest[dims[0]:])
    return index_shape + tuple(rest)


def _check_empty_dims(shape, arrays, index_shape) -> None:
    """torch's first bounds check (its ``make_info``, before the value is looked at): an
    index into a dimension of size 0 is out of bounds, unless no element is read."""
    if all(index_shape) and not all(shape[dim] for dim, _ in arrays):
        raise IndexError("index is out of bounds for dimension with size 0")


def _check_bounds(shape, arrays, index_shape):
    """IndexError for the first out-of-range index, in the order torch's kernel meets it
    (C order over the broadcast indices; ``dimension`` counts the indexed dims). Nothing
    is checked when no element is read: torch's kernel never runs then."""
    if not all(index_shape):
        return
    _check_empty_dims(shape, arrays, index_shape)
    if not all(s for d, s in enumerate(shape) if d not in {dim for dim, _ in arrays}):
        return
    bad = []
    for ordinal, (dim, array) in enumerate(arrays):
        size = shape[dim]
        if array.size and (array.min() < -size or array.max() >= size):
            bad.append(ordinal)
    if not bad:
        return
    flags = [np.broadcast_to((arrays[o][1] < -shape[arrays[o][0]])
                             | (arrays[o][1] >= shape[arrays[o][0]]), index_shape).reshape(-1)
             for o in bad]
    first = min(int(np.argmax(f)) for f in flags if f.any())
    for o, f in zip(bad, flags, strict=True):
        if f[first]:
            dim, array = arrays[o]
            value = int(np.broadcast_to(array, index_shape).reshape(-1)[first])
            raise IndexError(
                f"index {value} is out of bounds for dimension {o} with size {shape[dim]}"
            )


def _index(array: np.ndarray, key, arrays) -> np.ndarray:
    """``array[key]``. NumPy checks bounds over the same range torch does, so its checks
    are kept and torch's message is only worked out when NumPy refuses (torch also
    accepts out-of-range indices when the result is empty: nothing is read)."""
    if type(array) is not np.ndarray and is_meta_array(array):
        return _meta_index(array, arrays)
    if not array.size:  # (NumPy < 2 only warns about an out-of-range index here)
        return _empty_result(array, arrays, _check_advanced(array.shape, arrays))
    try:
        return _torch_layout(array, arrays, array[key])
    except IndexError:
        return _empty_result(array, arrays, _check_advanced(array.shape, arrays))


def _meta_index(array: np.ndarray, arrays) -> np.ndarray:
    """``array[key]`` for a meta array: torch's meta kernel reads no index (no bounds are
    checked) and broadcasts the indices with the message of its Python meta kernels;
    the result is a meta array of the shape ``_check_advanced`` works out."""
    from torchlet.autograd.function import _meta_broadcast_error

    try:
        np.broadcast_shapes(*(a.shape for _, a in arrays))
    except ValueError as error:
        raise _meta_broadcast_error(error, [a for _, a in arrays]) from None
    return meta_array(_check_advanced(array.shape, arrays, bounds=False), array.dtype)


def _contiguous(out: np.ndarray) -> np.ndarray:
    """``out`` in C order, dims of size 1 included (NumPy's fancy indexing may give those
    other strides, and its contiguity flag ignores them)."""
    if not out.flags.c_contiguous:
        return np.ascontiguousarray(out)
    if 1 in out.shape:
        return out.reshape(-1).reshape(out.shape)
    return out


def _torch_layout(src: np.ndarray, arrays, out: np.ndarray) -> np.ndarray:
    """``out`` (= src[indices]) stored as torch's index kernel stores it.

    NumPy puts the indexed dimensions first in memory when a slice precedes them
    (``x[:, i]``); torch's TensorIterator allocates the result in the memory order of its
    operands instead: the input restrided to the result's shape (stride 0 along the index
    dimensions) and each index tensor (stride 0 elsewhere). That order is C order when
    the input and the index arrays are C-contiguous (the common case, checked first);
    otherwise ``_iterator_order`` works it out, as in ``x.transpose(0, 2)[:, i]``. (The
    strides of size-1 dims count too, and NumPy's contiguity flag ignores them.)
    """
    if src.flags.c_contiguous and 1 not in src.shape:
        for _, array in arrays:
            if not array.flags.c_contiguous or (array.ndim > 1 and 1 in array.shape):
                break
        else:
            return _contiguous(out)
    if out.ndim <= 1:
        return _contiguous(out)
    if not out.size:
        return _empty_result(src, arrays, out.shape)
    order = _iterator_order(src, arrays)
    laid_out = empty_in_order(out.shape, order, out.dtype)
    laid_out[...] = out
    return laid_out


def _empty_result(src: np.ndarray, arrays, shape) -> np.ndarray:
    """The empty result of ``src[indices]`` (of ``shape``), strided as torch's
    TensorIterator allocates it (``allocate_or_resize_outputs``): contiguous when its
    operands all have the result's shape (its fast setup: an empty tensor counts as
    contiguous) or when the sorted dims are in C order; else each dim's stride is the
    product of the sizes of the dims that come before it in memory order
    (``compatible_stride``), where a size 0 makes every later stride 0."""
    if len(shape) <= 1 or not arrays:
        return np.zeros(shape, src.dtype)
    order, same_shape = _iterator_order(src, arrays, with_shapes=True)
    if same_shape or order == list(range(len(shape) - 1, -1, -1)):
        return np.zeros(shape, src.dtype)  # (zero strides: read as contiguous ones)
    strides, step = [0] * len(shape), src.itemsize
    for dim in order:
        strides[dim] = step
        step *= shape[dim]
    return np.lib.stride_tricks.as_strided(np.zeros(1, src.dtype), shape, strides)


def _torch_strides(a: np.ndarray) -> list[int]:
    """``a``'s strides in elements as torch's tensor has them: NumPy gives a new empty
    array zero strides where torch's are contiguous (as ``Tensor.stride``)."""
    if not a.size and not any(a.strides):
        return list(contiguous_strides(a.shape))
    return [abs(s) // a.itemsize for s in a.strides]


def _iterator_order(src: np.ndarray, arrays, with_shapes=False):
    """The result's dimensions from fastest to slowest in memory, as torch's
    ``TensorIteratorBase::reorder_dimensions`` sorts them for ``at::index``.

    Operands, as ``AdvancedIndex`` builds them: ``src`` with its indexed dims replaced by
    the broadcast index shape at stride 0 (indexed dims moved to the front first when they
    are not adjacent: ``transposeToFront``), and each index broadcast to that shape and
    reshaped with 1s for the other dims (``reshape_indexer``). The iterator reads a size-1
    dim of an operand as stride 0 where the result's dim is larger. ``with_shapes``: also
    say whether every operand has the result's shape (torch's ``all_ops_same_shape_``).
    """
    dims = [dim for dim, _ in arrays]
    index_shape = np.broadcast_shapes(*(a.shape for _, a in arrays))
    shape, strides = list(src.shape), _torch_strides(src)
    before = dims[0]
    if dims != list(range(before, before + len(dims))):  # torch's transposeToFront
        rest = [d for d in range(src.ndim) if d not in dims]
        shape = [shape[d] for d in dims + rest]
        strides = [strides[d] for d in dims + rest]
        before = 0
    after = len(shape) - before - len(dims)
    out_shape = shape[:before] + list(index_shape) + shape[before + len(dims):]
    operands = [strides[:before] + [0] * len(index_shape) + strides[before + len(dims):]]
    ones = (1,) * before, (1,) * after
    sizes = ones[0] + index_shape + ones[1]
    for _, array in arrays:
        # torch's expand: stride 0 for the dims it adds or widens, a size-1 dim that stays
        # 1 keeping its stride (NumPy's broadcast_to gives that one 0 too)
        lead = len(index_shape) - array.ndim
        old_strides = [0] * lead + [
            0 if n == 1 and m != 1 else s for n, m, s in
            zip(array.shape, index_shape[lead:], _torch_strides(array), strict=True)]
        if 0 in index_shape and sizes != index_shape:
            op_strides = list(contiguous_strides(sizes))  # (computeStride's rule when empty)
        else:
            op_strides = _view_strides(index_shape, old_strides, sizes)
        operands.append([0 if n == 1 and m != 1 else s
                         for n, m, s in zip(sizes, out_shape, op_strides, strict=True)])
    order = memory_order(out_shape, operands)
    return (order, list(sizes) == out_shape) if with_shapes else order


def _view_strides(old_shape, old_strides, new_shape) -> list[int]:
    """The strides torch's ``view`` (``computeStride``) gives ``new_shape``, for a reshape
    that only adds dims of size 1 (always a view): size-1 dims take the stride of the
    chunk of memory they sit beside."""
    if not old_shape:
        return [1] * len(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1
                             and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = view_numel = 1
    return new_strides


# ---------------------------------------------------------------------------------------
# t[index]


def _recording(t: Tensor) -> bool:
    return GRAD_STATE.enabled and (t._requires_grad or t._grad_fn is not None)


def _view(t: Tensor, cls, key) -> Tensor:
    if _recording(t):
        return make_view(cls.apply(t, key=key), t)
    out = t._data[key]
    if not out.size or key[0] is None:
        out = _torch_view(out, t._data, key)
    return make_view(wrap(out), t)


def getitem(t: Tensor, index) -> Tensor:
    """``t[index]``: a view for ints, slices, None and ``...``; a copy with tensor indices."""
    data = t._data
    cls = type(index)
    # the one-index forms torch handles before its general path
    if cls is int or cls is slice:
        parts = _slice_parts(index) if cls is slice else ()  # (its errors come first)
        if data.ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
                if cls is int else "slice() cannot be applied to a 0-dim tensor."
            )
        if cls is int:
            size = data.shape[0]
            if not -size <= index < size:
                raise IndexError(
                    f"index {index} is out of bounds for dimension 0 with size {size}"
                )
            if index < 0 and _recording(t):  # (torch's node keeps the int as given)
                return make_view(Select.apply(t, key=(index + size, Ellipsis), given=index), t)
            return _view(t, Select, (index + size if index < 0 else index, Ellipsis))
        return _view(t, Slice, (slice(*parts), Ellipsis))
    if index is None:
        if data.size and not _recording(t):  # (NumPy's reshape gives torch's strides, mostly)
            unsqueezed = data.reshape((1, *data.shape))
            if unsqueezed.strides == (data.shape[0] * data.strides[0] if data.ndim
                                      else data.itemsize, *data.strides):
                return make_view(wrap(unsqueezed), t)
        return _view(t, Unsqueeze, (None, Ellipsis))
    if index is Ellipsis:
        return make_view(Alias.apply(t), t)
    if cls is Tensor or cls is tuple:
        arrays = _integer_index_arrays(data, index)
        if arrays is not None:  # x[idx], x[rows, cols]: what _parse would find, sooner
            key, pairs = tuple(arrays), list(enumerate(arrays))
            if not _recording(t):
                return wrap(_index(data, key, pairs))
            saved = index if cls is tuple else (index,)
            return Index.apply(t, key=key, arrays=pairs, saved=saved)

    key, steps, tensors = _parse(data.shape, index, skip_full_slices=True)
    if not _recording(t):
        sliced = data[key]
        if not sliced.size or (steps and None in key):  # (None: the advanced index's
            sliced = _torch_view(sliced, data, key)  # operand too, for its layout)
        if tensors:
            meta = type(data) is not np.ndarray and is_meta_array(data)
            return wrap(_index(sliced, *_advanced_key(sliced.shape, tensors, meta)))
        return make_view(wrap(sliced), t)

    out = t
    for view_cls, dim, arg in steps:
        if view_cls is Select and arg < 0:  # (torch's node keeps the int as given)
            key = (FULL,) * dim + (arg + out._data.shape[dim], Ellipsis)
            out = make_view(Select.apply(out, key=key, given=arg), t)
            continue
        out = make_view(view_cls.apply(out, key=(FULL,) * dim + (arg, Ellipsis)), t)
    if tensors:
        key, arrays = _advanced_key(out._data.shape, tensors, on_meta(data))
        return Index.apply(out, key=key, arrays=arrays, saved=_saved_indices(index, tensors))
    if not steps:
        out = make_view(Alias.apply(t), t)
    return out


def _integer_index_arrays(data: np.ndarray, index) -> list | None:
    """The arrays of ``index`` if it is one int64/int32 tensor of 1 or more dims, or a
    tuple of at most ``data.ndim`` of them (the commonest indices), else None."""
    items = index if type(index) is tuple else (index,)
    if not items or len(items) > data.ndim:
        return None
    arrays = []
    for item in items:
        if type(item) is not Tensor:
            return None
        array = item._data
        if not array.ndim or (array.dtype != _INT64 and array.dtype != _INT32):
            return None
        arrays.append(array)
    return arrays


def _saved_indices(index, tensors) -> tuple:
    """What torch's IndexBackward0 saves: the index tensors (masks included). The caller's
    own Tensors are saved as such, so that an in-place change to one before backward is
    caught; indices made from lists or bools are constants."""
    if type(index) is Tensor and index._data.ndim:  # x[idx], x[mask]: the commonest
        return (index,)
    items = index if type(index) is tuple else (index,)
    own = [item for item in items if isinstance(item, Tensor) and item._data.ndim]
    own_arrays = [t._data for t in own]
    made = [a for _, a in tensors if not any(a is b for b in own_arrays)]
    return (*own, *made)


# ---------------------------------------------------------------------------------------
# t[index] = value


class IndexPut(Primitive):
    """out = a with value written at the index (value broadcast, cast to a's dtype);
    grad_a = grad with zeros at the index,  grad_value = grad at the index (the engine
    sums it back to value's shape).  ``saved``: the index tensors, saved as torch does.
    ``cast``: the dtype of a value torch copies by expand and copy_ (one of 1 or more
    dims, of another dtype): its gradient is cast to it before it is summed."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, value, *, key, adv, saved=(), cast=None):
        ctx.key, ctx.adv, ctx.cast = key, adv, cast
        if saved:
            ctx.save_for_backward(*saved)
        out = _clone_array(a)
        if isinstance(out, np.generic):  # (a 0-d gradient may come as a NumPy scalar)
            out = np.array(out)
        _write(out[key], adv, value)
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_a = grad_value = None
        saved = ctx.saved_tensors  # (the index tensors go on: torch's nodes save them)
        if needs[0]:
            zero = np.zeros((), grad._data.dtype)
            grad_a = type(ctx).apply(grad, zero, key=ctx.key, adv=ctx.adv, saved=saved)
        if needs[1]:
            grad_value = grad
            if any(k is not FULL for k in ctx.key[:-1]):
                grad_value = Window.apply(grad, key=ctx.key)
            if ctx.adv is not None:
                grad_value = Index.apply(grad_value, key=ctx.adv, saved=saved)
            if ctx.cast is not None:
                grad_value = grad_value.to(_dtype.from_numpy_dtype(ctx.cast))
        return grad_a, grad_value


class CopySlices(IndexPut):
    """t[basic index (, tensors)] = value: what torch records when a view was written
    (``t[key]``, by copy_ or fill_, or by index_put_ at ``adv``). Under create_graph
    the gradients are taken as torch's CopySlices node takes them (copy_slices_graph),
    so that their graph is torch's; the numbers are IndexPut's."""

    node_name = "torch::autograd::CopySlices"  # printed as CopySlices

    @staticmethod
    def forward(ctx, a, value, **params):
        out = IndexPut.forward(ctx, a, value, **params)
        ctx.base_strides = out.strides  # (its layout, for the geometry of its view)
        return out

    @staticmethod
    def backward(ctx, grad):
        if not GRAD_STATE.enabled or on_meta(grad._data):  # (meta: no memory to address)
            return IndexPut.backward(ctx, grad)
        check_saved_indices(ctx)
        shape, dtype = grad._data.shape, grad._data.dtype
        layout = np.lib.stride_tricks.as_strided(np.empty(grad._data.size, dtype), shape,
                                                 ctx.base_strides)  # (laid out as the base was)
        grad_a, grad_value = copy_slices_graph(
            grad, view_geometry(layout[ctx.key], layout), lambda g: _view_write_backward(ctx, g))
        return grad_a if ctx.needs_input_grad[0] else None, grad_value


def _view_write_backward(ctx, grad):
    """The gradients of the write into the view, for the view's gradient ``grad``:
    copy_ or fill_: zeros for the view's old values, grad for the value; index_put_:
    grad with zeros at the index, grad at the index."""
    grad_value = None
    if ctx.adv is None:
        grad_view = wrap(np.zeros(grad._data.shape, grad._data.dtype))
    else:
        zero = np.zeros((), grad._data.dtype)
        saved = ctx.saved_tensors
        grad_view = IndexPut.apply(grad, zero, key=(Ellipsis,), adv=ctx.adv, saved=saved)
    if ctx.needs_input_grad[1]:
        grad_value = grad if ctx.adv is None else Index.apply(grad, key=ctx.adv, saved=saved)
        if ctx.cast is not None:
            grad_value = grad_value.to(_dtype.from_numpy_dtype(ctx.cast))
    return grad_view, grad_value


class CopyBackwards(IndexPut):
    """t[...] = value with value of t's shape (or broadcast): torch's ``copy_``."""

    node_name = "torch::autograd::CopyBackwards"  # printed as CopyBackwards


class FillBackward3(IndexPut):
    """t[...] = 0-d value: torch's ``fill_`` with a tensor."""

    node_name = "FillBackward3"


def _clone_array(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` laid out as torch's ``clone()`` (preserve_format) lays it out: its
    strides if dense, else dims ordered by stride. torch's index_put is
    ``self.clone().index_put_(...)``, so ``x.t().index_put(...)`` stays transposed."""
    if a.flags.c_contiguous and a.size:  # the usual case (an empty copy: zero strides)
        out = a.copy()
        if out.strides == a.strides:  # (else size-1 dims with other strides)
            return out
    if type(a) is not np.ndarray:  # (a meta array, or a NumPy scalar)
        return a.copy()
    out = empty_in_layout(a, a.dtype, None)
    np.copyto(out, a)
    return out


def _write(target: np.ndarray, adv, value) -> None:
    if adv is None:
        np.copyto(target, value, casting="unsafe")
    elif type(target) is not MetaArray and target.size:
        # (torch's meta index_put_ reads no index; nor does its kernel when nothing is
        # written, where NumPy would still refuse an index out of range)
        target[adv] = value


def _put(old: Tensor, value: Tensor, *, cls, key, adv, saved, cast) -> Tensor:
    """The out-of-place operation ``_inplace`` records for an assignment."""
    return cls.apply(old, value, key=key, adv=adv, saved=saved, cast=cast)


def _setitem_value(t: Tensor, value):
    """A Tensor stays as given; a number becomes a 0-d array of t's dtype (as torch).

    torch fills that 0-d tensor through ``fill_``'s one-element path, which converts to
    float16 unchecked: ``x[mask] = -1e6`` writes -inf into a half tensor, while an int8
    tensor still refuses 300."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, complex, np.integer)):
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise ValueError("Overflow when unpacking long long")  # torch reads an int64
        return wrap(np.asarray(fill_scalar(value, t._data.dtype, 1)))
    raise TypeError(f"can't assign a {type_name(value)} to a {tensor_type(t._data)}")


def _check_writeable(data: np.ndarray) -> None:
    if not data.flags.writeable:  # (an expanded tensor: NumPy's broadcast view)
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location. Please clone() the tensor before "
            "performing the operation."
        )


def _is_mask(array: np.ndarray) -> bool:
    return array.dtype.kind == "b" or array.dtype == _UINT8


def _check_mask_shape(shape, dim: int, mask: np.ndarray) -> None:
    for j in range(mask.ndim):
        if dim + j >= len(shape) or mask.shape[j] != shape[dim + j]:
            raise IndexError(
                f"The shape of the mask {list(mask.shape)} at index {j} does not match the "
                f"shape of the indexed tensor {list(shape)} at index {dim + j}")


def _masked_fill_value(mask: np.ndarray, vdata: np.ndarray, np_dtype):
    """torch's index_put_ fills through ``masked_fill_`` when the only tensor index is one
    mask and the value has one element (``canDispatchToMaskedFill``, which has checked the
    mask's shape, before uint8's deprecation warning could come): a uint8 mask is refused,
    and the value's number is converted to the tensor's dtype as a Scalar (so it may have
    another dtype; 1e10 does not fit int32). Returns the 0-d array written."""
    if mask.dtype == _UINT8:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                           "dtype unsigned char")
    if vdata.dtype == np_dtype:
        return vdata.reshape(())
    return checked_scalar(vdata.reshape(()).item(), np_dtype)


def _strip_leading_ones(shape):
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return shape[i:]


def _check_copy_shape(value: np.ndarray, target_shape) -> tuple:
    """torch's ``copy_to``: value may broadcast to the target after dropping leading 1s."""
    shape = value.shape
    if shape == target_shape or not shape:
        return shape
    stripped = _strip_leading_ones(shape)
    if len(stripped) > len(target_shape):
        raise RuntimeError(
            f"expand({tensor_type(value)}{{{list(stripped)}}}, size={list(target_shape)}): "
            f"the number of sizes provided ({len(target_shape)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(stripped)})"
        )
    lead = len(target_shape) - len(stripped)
    for i, size in enumerate(stripped):
        target = target_shape[lead + i]
        if size != target and size != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({target}) must match the existing size "
                f"({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                f"{list(target_shape)}.  Tensor sizes: {list(stripped)}"
            )
    return stripped


def _check_value_shape(shape, result_shape) -> tuple:
    """index_put_'s rule: the value, less its leading 1s, must broadcast to the result."""
    shape = _strip_leading_ones(shape)
    try:
        ok = np.broadcast_shapes(shape, result_shape) == result_shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(shape)} cannot be broadcast to "
            f"indexing result of shape {list(result_shape)}"
        )
    return shape


def _check_overlap(target: np.ndarray, value: np.ndarray) -> None:
    """torch refuses to copy between partially overlapping memory (``x[1:] = x[:-1]``)."""
    if not np.may_share_memory(target, value):
        return
    dense = (target.flags.c_contiguous or target.flags.f_contiguous) and (
        value.flags.c_contiguous or value.flags.f_contiguous
    )
    if not dense:
        return  # torch cannot tell either, and copies
    begin_t = target.__array_interface__["data"][0]
    begin_v = value.__array_interface__["data"][0]
    if begin_t == begin_v and target.nbytes == value.nbytes and target.strides == value.strides:
        return
    raise RuntimeError(
        "unsupported operation: some elements of the input tensor and the written-to tensor "
        "refer to a single memory location. Please clone() the tensor before performing the "
        "operation."
    )


def setitem(t: Tensor, index, value) -> None:
    """``t[index] = value`` (in place; recorded for autograd as torch does)."""
    data = t._data
    value = _setitem_value(t, value)
    if index is False:
        return  # torch writes nothing and checks nothing
    if index is True:
        index = None  # (torch copies into t.unsqueeze(0), as for None)
    if data.ndim == 0 and (type(index) is int or type(index) is slice):
        getitem(t, index)  # raises torch's 0-dim error
    key, steps, tensors = _parse(data.shape, index, skip_full_slices=True)
    target = data[key]
    vdata = value._data
    recording = GRAD_STATE.enabled and (
        t._requires_grad or t._grad_fn is not None or value.requires_grad
    )

    meta = type(data) is not np.ndarray and is_meta_array(data)
    if meta and not recording:
        # torch's meta index_put_ checks neither the index tensors nor the value, and
        # there is nothing to write
        bump_version(t)
        return
    adv = None
    vshape = vdata.shape
    fill = False
    if tensors and vdata.size == 1 and _is_mask(tensors[0][1]):
        # (torch checks the first index's shape if it is a mask, then fills if it is the
        # only index)
        _check_mask_shape(target.shape, *tensors[0])
        fill = len(tensors) == 1
    if fill:
        filled = _masked_fill_value(tensors[0][1], vdata, data.dtype)
        if not recording:  # masked_fill_ itself: no positions to find
            _check_writeable(data)
            dim, mask = tensors[0]
            np.copyto(target, filled, where=mask.reshape(
                (1,) * dim + mask.shape + (1,) * (target.ndim - dim - mask.ndim)))
            bump_version(t)
            return
        if not value.requires_grad:  # (else the write casts the same)
            vdata = filled
            value = wrap(filled)
    if tensors:
        adv, arrays = _advanced_key(target.shape, tensors, meta)
        # torch's order: the indices broadcast together (and do not index a dimension of
        # size 0), the value fits the result's shape, the dtypes match, the indices are in
        # bounds. (A number fits anywhere: NumPy checks the bounds, except that NumPy < 2
        # only warns about an out-of-range index into an empty tensor.)
        checked = vdata.ndim or recording or not target.size
        if checked or vdata.dtype != data.dtype:
            index_shape = _index_shape(arrays)
            if not meta:
                _check_empty_dims(target.shape, arrays, index_shape)
            if checked:
                vshape = _check_value_shape(
                    vdata.shape, _result_shape(target.shape, arrays, index_shape))
        if vdata.dtype != data.dtype and not fill:
            raise RuntimeError(
                "Index put requires the source and destination dtypes match, got "
                f"{TYPE_WORD[data.dtype.name]} for the destination and "
                f"{TYPE_WORD[vdata.dtype.name]} for the source."
            )
        if checked and not meta:
            _check_bounds(target.shape, arrays, index_shape)
    else:
        vshape = _check_copy_shape(vdata, target.shape)
    _check_overlap(target, vdata)

    if not recording:
        _check_writeable(data)
        try:  # NumPy checks every index before it writes anything
            _write(target, adv, vdata.reshape(vshape) if vshape != vdata.shape else vdata)
        except IndexError:
            _check_advanced(target.shape, arrays)  # torch's error, or nothing was to be written
            return
        bump_version(t)
        return

    cls: type[IndexPut]
    if steps:
        if t._grad_fn is None and t._requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        cls = CopySlices
    elif tensors:
        cls = IndexPut
    elif vdata.ndim == 0 and data.ndim != 0:
        cls = FillBackward3
    else:
        cls = CopyBackwards
    cast = vdata.dtype if adv is None and vdata.ndim and vdata.dtype != data.dtype else None
    if vshape != vdata.shape:
        value = value.reshape(vshape)
    # torch's index_put_ saves its index tensors (masks too) whichever input needs grad
    saved = _saved_indices(index, tensors) if tensors else ()
    _inplace(t, _put, value, cls=cls, key=key, adv=adv, saved=saved, cast=cast)


# ---------------------------------------------------------------------------------------
# index_put: assignment with a tuple of index tensors, as a function


class IndexPutAdd(Primitive):
    """out = a, then out[indices] += values (repeated positions accumulate);
    grad_a = grad,  grad_values = grad[indices].  ``saved``: the index tensors (torch
    saves them even when only ``a`` needs a gradient)."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, values, *, key, saved=()):
        ctx.key = key
        if saved:
            ctx.save_for_backward(*saved)
        out = _clone_array(a)
        if type(out) is not MetaArray:  # (a meta one has nothing to add to)
            np.add.at(out, key, values)
        return out

    @staticmethod
    def backward(ctx, grad):
        check_saved_indices(ctx)
        needs = ctx.needs_input_grad
        grad_values = Index.apply(grad, key=ctx.key, saved=ctx.saved_tensors) if needs[1] else None
        return grad if needs[0] else None, grad_values


def index_put(input, indices, values, accumulate=False) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``values`` written (or, with ``accumulate``, added) at
    ``input[indices]``; ``indices`` is a tuple of index tensors, one per leading dim."""
    if not isinstance(input, Tensor):
        raise TypeError("index_put(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(input)}")
    if not isinstance(indices, (tuple, list)):
        raise TypeError("index_put(): argument 'indices' (position 2) must be tuple of "
                        f"Tensors, not {type_name(indices)}")
    for i, index in enumerate(indices):
        if not isinstance(index, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 1, but got "
                            f"{type_name(index)}")
    if not isinstance(values, Tensor):
        raise TypeError("index_put(): argument 'values' (position 3) must be Tensor, not "
                        f"{type_name(values)}")
    if not indices:
        raise RuntimeError("index_put(): expected at least one index tensor")
    data, vdata = input._data, values._data
    tensors, dim = [], 0
    for index in indices:
        array = index._data
        tensors.append((dim, array))
        dim += array.ndim if array.dtype.kind == "b" or array.dtype == _UINT8 else 1
    if dim > data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {data.ndim} (got {dim})")
    key, arrays = _advanced_key(data.shape, tensors)
    if vdata.dtype != data.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{TYPE_WORD[data.dtype.name]} for the destination and "
            f"{TYPE_WORD[vdata.dtype.name]} for the source."
        )
    if not on_meta(data):  # (torch's meta kernel checks neither the indices nor values)
        _check_value_shape(vdata.shape, _check_advanced(data.shape, arrays))
    saved = tuple(indices)
    if accumulate:
        return IndexPutAdd.apply(input, values, key=key, saved=saved)
    return IndexPut.apply(input, values, key=(Ellipsis,), adv=key, saved=saved)

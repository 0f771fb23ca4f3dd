"""What the reductions share: argument checks, ``dim`` handling, the memory layout of
results, putting reduced dimensions back for backward, and a few small primitives the
backward rules are built from (take/put along a dimension, flip, shift).
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._ops.indexing._common import array_with_strides, memory_order
from torchlet._ops.shape.common import (
    _int,
    _int_list,
    _is_size,
    _must_be,
    _no_overload,
    contiguous_strides,
)
from torchlet._ops.shape.views import Expand, broadcast_scalar
from torchlet._tensor import Tensor, _wrap_dim, empty_strides, make_view, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

_TYPE_WORD = _dtype.TYPE_WORDS


def type_word(array: np.ndarray) -> str:
    """torch's name for a dtype in error messages (``Long``, ``Float``, ...)."""
    return _TYPE_WORD[array.dtype.name]


def check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {_tp_name(x)}"
        )
    return x


_HEAP_TYPE = 1 << 9  # CPython's Py_TPFLAGS_HEAPTYPE: a class defined in Python


def _tp_name(obj) -> str:
    """The type name torch's argument parser prints (CPython's ``tp_name``): a class
    defined in Python or a builtin by its name, a C extension type with its module
    (``numpy.ndarray``)."""
    cls = type(obj)
    if cls.__flags__ & _HEAP_TYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__name__}"


def is_int(value) -> bool:
    return isinstance(value, (int, np.integer))


def wrap_dim(name: str, dim, ndim: int, position=None) -> int:
    """One ``dim`` (an int, as torch's parser reads one: ``_int``) as a non-negative axis;
    a 0-d tensor accepts 0 and -1. ``position``: dim's in torch's message (none: as if
    given by keyword)."""
    if type(dim) is not int:
        dim = _int(dim, name, "dim", position)
    return _wrap_dim(dim, ndim)


def reduce_dims(dim, ndim: int, name=None, position=1):
    """``dim`` (None, an int, or a sequence) as a sorted tuple of non-negative axes.

    None and the empty sequence both mean every dimension, as for torch.sum in 2.x.
    ``name``: the reduction's, to read ``dim`` as torch's parser does (one int or a tuple
    of ints: ``_int_list``; ``position``: dim's in its message, counted as in the Tensor
    method); without it a misfit is a plain TypeError.
    """
    if dim is None:
        return tuple(range(ndim))
    if type(dim) is not int:
        if name is not None:
            dim = _int_list(dim, name, "dim", position, single=True)
        elif is_int(dim):
            dim = int(dim)
        elif not isinstance(dim, (tuple, list)) or not all(is_int(d) for d in dim):
            raise TypeError(f"dim must be an int or a tuple of ints, not {dim!r}")
    if type(dim) is int:
        axis = _wrap_dim(dim, ndim)  # checked even for a 0-d tensor ([-1, 0])
        return (axis,) if ndim else ()
    dims = tuple(_wrap_dim(int(d), ndim) for d in dim)
    if len(set(dims)) != len(dims):
        repeated = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    if not dims:
        return tuple(range(ndim))
    return tuple(sorted(dims)) if ndim else ()


def check_overloaded_dims(name: str, dim, signatures, input=None) -> None:  # noqa: A002
    """Check ``dim`` of a reduction torch overloads (sum, mean, var, std) as its parser
    picks the overload: one int, or a sequence starting with one (``reduce_dims(dim, ndim,
    name)`` then unpacks the rest); anything else (a float, a str, a bool, None where it
    is not the default) fits none of the overloads (``_no_overload``; ``input`` None: as
    the Tensor method's message)."""
    if isinstance(dim, (tuple, list)):
        if not dim or type(dim[0]) is int or _is_size(dim[0]):
            return
    elif _is_size(dim):
        return
    raise _no_overload(name, (dim,), signatures, input)


def not_bool(name: str, keepdim) -> TypeError:
    """torch's parser's TypeError for a ``keepdim`` that is no bool (a NumPy bool, an int
    or a tensor neither), worded as for the keyword, its usual form. (Callers test
    ``type(keepdim) is not bool`` first, so a correct call pays one type test.)"""
    return TypeError(_must_be(name, "keepdim", None, "bool", keepdim))


def dtype_arg(name: str, dtype) -> _dtype.dtype:
    """A reduction's ``dtype`` as a torchlet dtype: a torch dtype or Python's float, int,
    bool (also a NumPy dtype or scalar type). Anything else (a str, which NumPy would read
    as a type code, a number, a list) is torch's parser's TypeError, not NumPy's."""
    if type(dtype) is _dtype.dtype:
        return dtype
    if isinstance(dtype, (type, np.dtype)):
        try:
            return _dtype.to_dtype(dtype)
        except TypeError:
            pass
    raise TypeError(_must_be(name, "dtype", None, "torch.dtype", dtype))


def kept_shape(shape, dims):
    """``shape`` with the reduced ``dims`` set to 1 (what keepdim=True gives)."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


def count(shape, dims) -> int:
    """How many elements each output element of a reduction over ``dims`` combines."""
    n = 1
    for d in dims:
        n *= shape[d]
    return n


def restore_reduced(grad: Tensor, in_shape, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dimensions of ``grad`` as size 1 with one reshape (torch's
    restore_reduced_dims, amax/amin's backward: a ViewBackward0 node under create_graph).
    Most backward rules use ``unsqueeze_reduced`` instead, as torch does."""
    if keepdim:
        return grad
    return grad.reshape(kept_shape(in_shape, dims))


def unsqueeze_reduced(grad: Tensor, in_shape, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dimensions of ``grad`` as size 1, one unsqueeze per dim in
    increasing order (torch's unsqueeze_multiple, used by the backward of sum, mean,
    logsumexp, prod, var, norm: an UnsqueezeBackward0 node each under create_graph).
    A 0-d input has nothing to put back."""
    if keepdim or not in_shape:
        return grad
    for d in sorted(dims):
        grad = grad.unsqueeze(d)
    return grad


def expand_reduced(grad: Tensor, in_shape, dims, keepdim: bool) -> Tensor:
    """Put back the reduced dimensions of ``grad`` and broadcast it to ``in_shape``
    (torch's sum_backward). ``dims`` None: a full reduction asked for with dim None or
    (), whose gradient torch expands as it is; listed dims (all of them too: x.sum(0) of
    a 1-D x) are unsqueezed one by one first (``unsqueeze_reduced``)."""
    if grad._data.ndim == 0:  # a full reduction: the 0-d gradient
        if not GRAD_STATE.enabled and 1 not in in_shape:
            # first order (the usual loss.sum()): the view needs no graph node (its
            # strides are all 0, however the dims were put back)
            return make_view(wrap(broadcast_scalar(grad._data, in_shape)), grad)
        if dims is None or not in_shape:
            return make_view(Expand.apply(grad, shape=tuple(in_shape)), grad)
    elif dims is None:  # keepdim=True: nothing to put back
        return grad.expand(in_shape)
    return unsqueeze_reduced(grad, in_shape, dims, keepdim).expand(in_shape)


def full_or_dims(dim, dims):
    """``dims`` as the backward of sum/mean needs them: None where ``dim`` was None or
    empty (a full reduction torch's sum_backward does not unsqueeze for), else ``dims``."""
    if dim is None or (isinstance(dim, (tuple, list)) and not dim):
        return None
    return dims


# ---------------------------------------------------------------------------------------
# memory layout of results
#
# torch writes a reduction, scan or softmax into a new contiguous tensor whatever the
# input's strides; NumPy's ufuncs follow the input's memory order instead (a transposed
# input gives a transposed result). sort keeps the input's layout, as torch's sort does.


def element_strides(a: np.ndarray) -> tuple:
    return tuple(s // a.itemsize for s in a.strides)


def with_strides(out: np.ndarray, strides) -> np.ndarray:
    """``out``'s values laid out with element ``strides`` (dense, non-overlapping): ``out``
    itself when it has them, else a copy. Empty arrays are left alone."""
    strides = tuple(strides)
    if out.size == 0 or element_strides(out) == strides:
        return out
    if strides == contiguous_strides(out.shape):
        return np.array(out, order="C")  # a new C array has torch's contiguous strides
    span = 1 + sum((n - 1) * s for n, s in zip(out.shape, strides))
    result = np.lib.stride_tricks.as_strided(
        np.empty(span, out.dtype), out.shape, [s * out.itemsize for s in strides])
    result[...] = out
    return result


def contiguous(out: np.ndarray) -> np.ndarray:
    """``out`` with torch's contiguous strides (copied only if it lacks them)."""
    if out.flags.c_contiguous and 1 not in out.shape:
        return out  # NumPy's flag disregards only the strides of size-1 dims
    return with_strides(out, contiguous_strides(out.shape))


def reduction_layout(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The result ``out`` computed from the input ``a``, laid out contiguously as torch's.
    A C-contiguous ``a`` gives C-contiguous NumPy results already: then only a flag is
    tested, so the common case costs nothing. (NumPy's flag disregards the strides of
    size-1 dims, and results can inherit odd ones from them: such inputs are checked; it
    calls every empty array C-contiguous, whatever its strides: those are checked too.)"""
    return out if a.flags.c_contiguous and 1 not in a.shape and a.size else contiguous(out)


def _non_overlapping_and_dense(shape, strides) -> bool:
    """torch's is_non_overlapping_and_dense: the dims of size 2 or more, ordered by
    stride, step through memory without gaps or overlaps."""
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    required = 1
    for d in sorted((d for d in range(len(shape)) if shape[d] >= 2), key=lambda d: strides[d]):
        if strides[d] != required:
            return False
        required *= shape[d]
    return True


def _infer_dense_strides(shape, strides) -> tuple:
    """torch's infer_dense_strides: dense strides in the order of the input's (dims with
    stride 0 keep their place; equal strides put the smaller dim innermost), the order
    TensorIterator gives a result of one operand."""
    out, step = [0] * len(shape), 1
    for d in memory_order(shape, [strides]):
        out[d] = step
        step *= shape[d] if shape[d] > 1 else 1
    return tuple(out)


def sort_layout(out: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The result ``out`` of sorting ``a`` with torch's sort layout: ``a``'s own strides
    when ``a`` is dense, else dense strides in ``a``'s memory order. torch reads an empty
    tensor as contiguous, so dense: an empty ``a``'s strides are kept whatever they are
    (zeros and gaps too; ``from_numpy(np.zeros((0, 3))).sort()`` has strides (0, 0))."""
    if not a.size:
        return array_with_strides(out.shape, empty_strides(a), out.dtype)
    strides = element_strides(a)
    if not _non_overlapping_and_dense(a.shape, strides):
        strides = _infer_dense_strides(a.shape, strides)
    return with_strides(out, strides)


def result_dtype(x: Tensor, dtype, name: str):
    """NumPy dtype of sum/prod/cumsum (``name``): ``dtype`` if given (``dtype_arg``);
    integers and bool -> int64."""
    if dtype is not None:
        return dtype_arg(name, dtype).np
    kind = x._data.dtype.kind
    return x._data.dtype if kind == "f" else np.dtype(np.int64)


def check_grad_dtype(x: Tensor, np_dtype) -> None:
    """A float input that requires grad cannot be reduced into an integer result."""
    if np_dtype.kind != "f" and x.requires_grad and GRAD_STATE.enabled:
        raise RuntimeError(f"Autograd not support dtype: {_TYPE_WORD[np_dtype.name]}")


def accumulation_dtype(np_dtype):
    """The type torch's CPU kernels accumulate a scan (cumsum/cumprod) or variance in."""
    return np.dtype(np.float64) if np_dtype == np.float32 else (
        np.dtype(np.float32) if np_dtype == np.float16 else np_dtype)


# ---------------------------------------------------------------------------------------
# picking values along a dimension (max/min with dim, sort, topk, median, mode)


def take_along(a: np.ndarray, idx: np.ndarray, dim: int) -> np.ndarray:
    """``np.take_along_axis(a, idx, axis=dim)`` for ``idx`` (int64, 0 <= idx < a.shape[dim])
    of a's shape but along ``dim``. Along the last dim of a C-contiguous ``a`` (the usual
    x.max(-1), topk, sort): one ``take`` at the flat positions, without take_along_axis's
    argument handling (measured: 2.6 against 3.8 us on (32, 10); along other dims that
    way is no quicker)."""
    if (dim != a.ndim - 1 or type(a) is not np.ndarray or type(idx) is not np.ndarray
            or not a.flags.c_contiguous or idx.ndim != a.ndim or a.size == 0):
        return np.take_along_axis(a, idx, axis=dim)
    n = a.shape[dim]
    rows = a.size // n
    pos = idx.reshape(rows, -1) + np.arange(0, rows * n, n)[:, None]
    return a.reshape(-1).take(pos).reshape(idx.shape)


class PutAlong(Primitive):
    """out = zeros of ``shape`` with ``a`` written at ``idx`` along ``dim`` (distinct
    indices);  grad_a = grad taken at ``idx``. torch's zeros().scatter_()."""

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, *, idx, dim, shape):
        ctx.idx, ctx.dim = idx, dim
        out = np.zeros(shape, a.dtype)
        np.put_along_axis(out, idx, a, axis=dim)
        return out

    @staticmethod
    def backward(ctx, grad):
        return TakeAlong.apply(grad, idx=ctx.idx, dim=ctx.dim)


class TakeAlong(Primitive):
    """out = ``a`` taken at ``idx`` along ``dim`` (torch.gather);  grad_a = grad put back
    at ``idx`` (indices are distinct in every use here)."""

    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, *, idx, dim):
        ctx.idx, ctx.dim, ctx.shape = idx, dim, a.shape
        return take_along(a, idx, dim)

    @staticmethod
    def backward(ctx, grad):
        return PutAlong.apply(grad, idx=ctx.idx, dim=ctx.dim, shape=ctx.shape)


class Selection(Primitive):
    """values = a at the indices chosen along dim, indices = those indices;
    grad_a = grad at the chosen indices, 0 elsewhere (torch's
    value_selecting_reduction_backward). Subclasses set torch's node name, and
    ``keeps_input_layout`` where torch gives the results the input's strides (sort)."""

    node_name = "SelectionBackward"
    keeps_input_layout = False

    @classmethod
    def forward(cls, ctx, a, *, idx, dim, keepdim, given_dim=None):
        # idx: int64, a's shape except along dim (1 for a reduction, k for sort/topk).
        ctx.dim, ctx.keepdim, ctx.in_shape = dim, keepdim, a.shape
        if given_dim is not None:  # the dim as the caller gave it (torch's _saved_dim)
            ctx.given_dim = given_dim
        if a.ndim == 0:
            values, indices = a.copy(), idx.reshape(())
        else:
            values = take_along(a, idx, dim)
            indices = idx
            if not keepdim:
                values, indices = values.squeeze(dim), idx.squeeze(dim)
        if cls.keeps_input_layout:
            values, indices = sort_layout(values, a), sort_layout(indices, a)
        else:
            values, indices = contiguous(values), contiguous(indices)
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        if len(ctx.in_shape) == 0:
            return grad
        (indices,) = ctx.saved_tensors
        idx = indices._data
        if not ctx.keepdim:
            idx = np.expand_dims(idx, ctx.dim)
            grad = grad.reshape(idx.shape)
        return PutAlong.apply(grad, idx=idx, dim=ctx.dim, shape=ctx.in_shape)


def select_along(primitive, x: Tensor, idx: np.ndarray, dim: int, keepdim: bool, result,
                 given_dim=None):
    """Run a Selection ``primitive`` and wrap its outputs in the return type ``result``
    (``given_dim``: ``dim`` as the caller gave it, which the node shows)."""
    return result(primitive.apply(x, idx=idx, dim=dim, keepdim=keepdim, given_dim=given_dim))


def evenly_distribute(grad: Tensor, x: np.ndarray, value: np.ndarray) -> Tensor:
    """Gradient of a whole-tensor max/min/median: split evenly among the elements equal
    to the result (all NaNs when the result is NaN), 0 elsewhere, as torch on the CPU."""
    mask = np.isnan(x) if np.isnan(value) else x == value
    return where_mask(mask, grad / int(np.count_nonzero(mask)))


def where_mask(mask: np.ndarray, values: Tensor) -> Tensor:
    """``values`` where ``mask`` holds, 0 elsewhere (mask is not differentiable)."""
    from torchlet._ops.pointwise import where

    return where(wrap(mask), values, 0.0)


# ---------------------------------------------------------------------------------------
# flip and shift: the pieces of reversed cumulative sums and exclusive products


class Flip(Primitive):
    """out = a reversed along dim;  grad_a = grad reversed along dim."""

    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, *, dim):
        ctx.dim = dim
        return np.flip(a, dim)

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, dim=ctx.dim)


class Shift(Primitive):
    """out[k] = a[k - step] along dim, ``fill`` where that falls outside (step = +-1);
    grad_a = grad shifted back by -step with 0 fill. For step=1, fill=1 this is torch's
    cat([ones, a.narrow(dim, 0, n - 1)])."""

    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, step, fill):
        ctx.dim, ctx.step = dim, step
        out = np.full_like(a, fill)
        n = a.shape[dim]
        src = [slice(None)] * a.ndim
        dst = [slice(None)] * a.ndim
        if step > 0:
            src[dim], dst[dim] = slice(0, n - 1), slice(1, n)
        else:
            src[dim], dst[dim] = slice(1, n), slice(0, n - 1)
        out[tuple(dst)] = a[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, grad):
        return Shift.apply(grad, dim=ctx.dim, step=-ctx.step, fill=0)


def reversed_cumsum(t: Tensor, dim: int) -> Tensor:
    """sum over k >= i of t[k] along dim, as torch: flip, cumsum, flip."""
    from torchlet._ops.reduction.sums import cumsum

    return Flip.apply(cumsum(Flip.apply(t, dim=dim), dim), dim=dim)

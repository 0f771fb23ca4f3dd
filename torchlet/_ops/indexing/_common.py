"""Helpers shared by the indexing operations: torch's names for types in messages, the
conversion of Python numbers into a tensor's dtype (with torch's overflow check), index
checks, broadcasting with torch's error text, and two small primitives that every
indexing backward needs: a window (a basic-indexing view) and its adjoint, an embedding
(zeros with the gradient written into the window).
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import C_TYPE_NAMES, TYPE_WORDS, type_name
from torchlet._tensor import Tensor, empty_strides
from torchlet.autograd.function import Primitive

FULL = slice(None)

# torch's ScalarType names ("Float"), legacy type names ("torch.FloatTensor") and the C++
# type names its kernels print ("long int").
TYPE_WORD = TYPE_WORDS
C_TYPE = C_TYPE_NAMES
_CONVERT_NAME = {
    "int64": "int64_t", "int32": "int", "int16": "int16_t", "int8": "int8_t",
    "uint8": "uint8_t", "float32": "float", "float64": "double", "float16": "c10::Half",
}
_FLOAT_MAX = {2: float(np.finfo(np.float16).max), 4: float(np.finfo(np.float32).max)}
_INT64 = np.dtype(np.int64)
_INT32 = np.dtype(np.int32)
_UNSIGNED = {8: np.uint64, 4: np.uint32, 2: np.uint16, 1: np.uint8}


def tensor_type(array: np.ndarray) -> str:
    """``torch.FloatTensor`` and friends, as torch names a tensor's type in messages."""
    return f"torch.{TYPE_WORD[array.dtype.name]}Tensor"


def is_number(value) -> bool:
    return isinstance(value, (int, float, complex, np.integer, np.floating, np.bool_))


def checked_scalar(value, np_dtype) -> np.ndarray:
    """A Python number as a 0-d array of ``np_dtype``, refusing what torch refuses.

    torch converts with ``c10::checked_convert``: a float outside an integer type's range
    (or NaN) and a finite float beyond float32's range raise; negative integers may wrap
    into unsigned types; bool takes anything; a finite number beyond float16's or float32's
    largest raises for those types (infinities and NaN pass).
    """
    np_dtype = np.dtype(np_dtype)
    kind = np_dtype.kind
    if kind == "b":
        if type(value) is int or isinstance(value, np.integer):
            _int_scalar_range(int(value))  # (the parser's limits come first)
        return np.array(bool(value))
    if isinstance(value, (complex, np.complexfloating)):
        if value.imag != 0:
            _overflow(np_dtype)
        value = value.real
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if isinstance(value, (int, np.integer)):
        value = int(value)
        if not _int_scalar_range(value) and kind != "f":
            _overflow(np_dtype)  # (a float takes a uint64 Scalar, an integer type not)
        if kind == "f":
            if np_dtype.itemsize < 8 and abs(value) > _FLOAT_MAX[np_dtype.itemsize]:
                _overflow(np_dtype)
            return _to_float(value, np_dtype)
        info = np.iinfo(np_dtype)
        if value > info.max or (
            value < info.min if info.min < 0 else (value < 0 and -value > info.max)
        ):
            _overflow(np_dtype)
        return np.array(value).astype(np_dtype)
    value = float(value)
    if kind == "f":
        if (np_dtype.itemsize < 8 and math.isfinite(value)
                and abs(value) > _FLOAT_MAX[np_dtype.itemsize]):
            _overflow(np_dtype)
        return _to_float(value, np_dtype)
    info = np.iinfo(np_dtype)
    if value != value or value < info.min or value > info.max:
        _overflow(np_dtype)
    return np.array(int(value)).astype(np_dtype)


def _to_float(value, np_dtype) -> np.ndarray:
    """``value`` rounded to a float dtype the way c10 does: a Half is made from a float, so
    a number reaches float16 rounded twice (first to float32), and 1 + 2**-11 + 2**-40
    becomes 1.0, not the nearest float16 1.0009765625."""
    if np_dtype == np.float16:
        return np.array(value, dtype=np.float32).astype(np.float16)
    return np.array(value, dtype=np_dtype)


def fill_scalar(value, np_dtype, numel: int) -> np.generic:
    """The number ``fill_`` / ``full`` write: ``checked_scalar``'s, except that torch's
    one-element fast path converts to float16 unchecked (1e6 fills a single float16
    element with inf, but raises for two elements)."""
    np_dtype = np.dtype(np_dtype)
    if numel == 1 and np_dtype == np.float16 and isinstance(value, (int, float, np.number)):
        with np.errstate(over="ignore"):
            return np.float32(float(value)).astype(np.float16)
    # indexing a 0-d array with () gives a scalar; numpy's stubs say ndarray
    return checked_scalar(value, np_dtype)[()]  # type: ignore[return-value]


def _int_scalar_range(value: int) -> bool:
    """Whether torch's parser reads the Python int ``value`` as an int64 Scalar (True) or,
    past that, as a uint64 one (False); beyond both it raises Python's OverflowError."""
    if -(2**63) <= value < 2**63:
        return True
    if value >= 2**64:
        raise OverflowError("int too big to convert")
    if value < 0:
        raise OverflowError("can't convert negative int to unsigned")
    return False


def _overflow(np_dtype):
    raise RuntimeError(
        f"value cannot be converted to type {_CONVERT_NAME[np_dtype.name]} without overflow"
    )


def check_tensor(name: str, value, arg: str, position: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(value)}"
        )
    return value


def check_index_dtype(name: str, index: np.ndarray, suffix: str = "") -> None:
    """gather/scatter/index_select/index_add take int64 or int32 indices."""
    if index.dtype != _INT64 and index.dtype != _INT32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index{suffix}")


def check_saved_indices(ctx) -> None:
    """torch saves an indexing op's index and mask tensors for backward (forwards here
    pass them to ``ctx.save_for_backward``): reading them back raises torch's error if one
    was modified in place since the forward, or if the graph was already freed."""
    _ = ctx.saved_tensors


def memory_order(shape, operands) -> list[int]:
    """The dims of a new result from fastest to slowest in memory, sorted as torch sorts
    them (``TensorIteratorBase::reorder_dimensions``, ``infer_dense_strides``): by the
    strides of each operand in turn (a list of strides per dim; a stride of 0 says
    nothing), ties going to the smaller size; torch's insertion sort steps over ambiguous
    pairs, so it may swap non-neighbours."""

    def should_swap(dim0: int, dim1: int) -> int:
        for strides in operands:
            stride0, stride1 = strides[dim0], strides[dim1]
            if stride0 == 0 or stride1 == 0:
                continue
            if stride0 != stride1:
                return -1 if stride0 < stride1 else 1
            if shape[dim0] > shape[dim1]:
                return 1
        return 0

    return tensor_iterator_sort(list(range(len(shape) - 1, -1, -1)), should_swap)


def tensor_iterator_sort(items: list, should_swap) -> list:
    """``items`` sorted in place as ``TensorIteratorBase::reorder_dimensions`` sorts dims:
    an insertion sort in which ``should_swap(a, b)`` > 0 moves b before a, < 0 stops the
    scan and 0 (undecided) steps over the pair."""
    for i in range(1, len(items)):
        moving = i
        for before in range(i - 1, -1, -1):
            verdict = should_swap(items[before], items[moving])
            if verdict > 0:
                items[before], items[moving] = items[moving], items[before]
                moving = before
            elif verdict < 0:
                break
    return items


def laid_out_as_torch(out: np.ndarray, *inputs) -> np.ndarray:
    """``out``, an elementwise result NumPy laid out, in the memory order torch's
    TensorIterator gives a new output: C order when every input is C-contiguous and
    ``out`` has no size-1 dim (then NumPy agrees), else ``relaid``'s. A copy only where
    the two differ. (The arithmetic operators test the contiguity inline and call
    ``relaid`` themselves.) An empty ``out`` is relaid too: NumPy flags every empty array
    C-contiguous, whatever its strides, which torch's sort reads (``x * 2`` of an empty
    ``as_strided((0, 3), (1, 1))`` has strides (1, 0))."""
    for a in inputs:
        if isinstance(a, np.ndarray) and not a.flags.c_contiguous:
            return relaid(out, inputs)
    if 1 in out.shape or not out.size:  # (size 1: torch's fast setup's stride, or its sort's)
        return relaid(out, inputs)
    return out


def relaid(out: np.ndarray, inputs) -> np.ndarray:
    """``out`` laid out as torch's TensorIterator lays out a new output of ``inputs``
    (arrays, or numbers: torch's wrapped scalars). With no scalar and all shapes equal,
    its fast setup: C order if all inputs are C-contiguous, channels_last(_3d) if all are,
    the inputs' own strides if they are all the same non-overlapping dense ones. Else
    ``allocate_or_resize_outputs``: the dims in ``memory_order``; C order gives a
    contiguous tensor (size-0 and size-1 dims step as size 1), any other each dim
    stepping over the elements of the faster ones (``compatible_stride``: a size-1 dim's
    stride shows where it was sorted, a size-0 dim makes the slower strides 0)."""
    ndim = out.ndim
    if ndim < 2 or type(out) is not np.ndarray:
        return out  # (a meta tensor's array has no layout to follow)
    shape = out.shape
    strides = _fast_setup_strides(shape, inputs)
    if strides is None:
        operands = [_broadcast_strides(a, shape) for a in inputs if isinstance(a, np.ndarray)]
        order = memory_order(shape, operands)
        if order != list(range(ndim - 1, -1, -1)):  # (C order: contiguous, below)
            strides, step = [0] * ndim, 1
            for d in order:
                strides[d] = step
                step *= shape[d]
    if strides is None or strides is _C_ORDER:
        if not out.size and not any(out.strides):
            return out  # (reads as contiguous: see Tensor.stride)
        strides, step = [0] * ndim, 1
        for d in range(ndim - 1, -1, -1):
            strides[d] = step
            step *= shape[d] if shape[d] > 1 else 1
    itemsize = out.itemsize
    if out.strides == tuple(s * itemsize for s in strides):
        return out
    result = array_with_strides(shape, strides, out.dtype)
    result[...] = out
    return result


_C_ORDER: list = []  # (``_fast_setup_strides``'s answer for a contiguous output)
_CHANNELS_LAST = (1, 3, 2, 0)


def _fast_setup_strides(shape, inputs):
    """The element strides of torch's ``fast_set_up`` for a new output of ``inputs`` (see
    ``relaid``): ``_C_ORDER`` for a contiguous one, None where it does not apply."""
    for a in inputs:
        if not isinstance(a, np.ndarray) or a.shape != shape:
            return None  # (a scalar, or broadcasting)
    if all(a.flags.c_contiguous for a in inputs):
        return _C_ORDER
    if len(shape) == 4 and all(  # (channels_last only: a 5-D input keeps its strides)
            _contiguous_in_order(shape, torch_strides(a), _CHANNELS_LAST) for a in inputs):
        strides, step = [0] * 4, 1
        for d in _CHANNELS_LAST:
            strides[d] = step
            step *= shape[d]
        return strides
    first = torch_strides(inputs[0])
    if not non_overlapping_and_dense(shape, first):
        return None
    for a in inputs[1:]:
        if torch_strides(a) != first:
            return None
    return list(first)


def torch_strides(a: np.ndarray) -> tuple:
    """``a``'s element strides as a tensor of it reports them: NumPy gives a new size-0
    array zero strides, where torch's are contiguous (size-1 dims stepping as size 1)."""
    itemsize = a.itemsize
    strides = tuple(s // itemsize for s in a.strides)
    if not a.size and not any(strides):
        result, step = [], 1
        for n in reversed(a.shape):
            result.append(step)
            step *= n if n > 1 else 1
        return tuple(reversed(result))
    return strides


def _contiguous_in_order(shape, strides, order) -> bool:
    """Whether the dims in ``order`` (fastest first) are contiguous in that order, size-1
    dims aside (torch's ``is_contiguous(memory_format)`` test)."""
    step = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != step:
                return False
            step *= shape[d]
    return True


def non_overlapping_and_dense(shape, strides) -> bool:
    """torch's ``is_non_overlapping_and_dense``: the dims of size 2 or more, by stride,
    each step over exactly the elements of the faster ones (size-0 and size-1 dims may
    have any stride). An empty tensor is, as it is contiguous."""
    if 0 in shape:
        return True
    step = 1
    for stride, size in sorted((s, n) for s, n in zip(strides, shape) if n > 1):
        if stride != step:
            return False
        step *= size
    return True


def _broadcast_strides(a: np.ndarray, shape) -> list[int]:
    """The strides of ``a`` broadcast to ``shape``: 0 along a broadcast dimension. (An
    empty array's as a tensor of it reads them: NumPy's zeros are contiguous ones.)"""
    lead = len(shape) - a.ndim
    strides = a.strides if a.size else [s * a.itemsize for s in empty_strides(a)]
    return [0] * lead + [0 if n == 1 and shape[lead + i] != 1 else s
                         for i, (n, s) in enumerate(zip(a.shape, strides))]


def array_with_strides(shape, strides, dtype, make=np.empty) -> np.ndarray:
    """``make``'s memory (np.empty, np.zeros, ...) for a new array of ``shape`` with the
    element ``strides`` of a non-overlapping, dense layout. NumPy's own arrays give a
    size-1 dim the stride of its place in C order and a size-0 array zero strides; torch's
    keep what they are given."""
    numel = 1
    for n in shape:
        numel *= n
    if not numel:  # (over memory of its own: its strides, zeros too, are then read as
        # given, not as NumPy's zeros of a new empty array: Tensor.stride())
        return np.ndarray(shape, dtype, bytearray(0), 0,
                          [s * np.dtype(dtype).itemsize for s in strides])
    buffer = make((numel,), dtype)
    return np.ndarray(shape, dtype, buffer, 0, [s * buffer.itemsize for s in strides])


def empty_in_order(shape, order, dtype) -> np.ndarray:
    """An uninitialised array of ``shape`` whose dims lie in memory as ``order`` says
    (fastest first)."""
    memory = np.empty([shape[d] for d in reversed(order)], dtype)
    return memory.transpose(np.argsort(order[::-1]))


def first_out_of_range(index: np.ndarray, low: int, high: int):
    """The first value of ``index`` (in C order) outside ``[low, high)``, or None."""
    if index.size == 0:
        return None
    if low == 0:
        # one pass instead of min and max: read as unsigned, negatives become huge
        if index.view(_UNSIGNED[index.dtype.itemsize]).max() < high:
            return None
    elif index.min() >= low and index.max() < high:
        return None
    flat = index.reshape(-1)
    bad = (flat < low) | (flat >= high)
    return int(flat[int(np.argmax(bad))])


def broadcast_shapes(a, b):
    """torch's ``infer_size``: the broadcast of shapes ``a`` and ``b``, or its error."""
    ndim = max(len(a), len(b))
    out = [0] * ndim
    for i in range(ndim - 1, -1, -1):
        offset = ndim - 1 - i
        size_a = a[len(a) - 1 - offset] if offset < len(a) else 1
        size_b = b[len(b) - 1 - offset] if offset < len(b) else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise RuntimeError(
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                f"at non-singleton dimension {i}"
            )
        out[i] = size_b if size_a == 1 else size_a
    return tuple(out)


def wrap_dim(dim, ndim: int, fn: str | None = None, position: int | None = None) -> int:
    """torch's ``maybe_wrap_dim`` (a 0-d tensor has one dimension for this purpose). A dim
    that is not an int (a float, a str, a tensor of several elements) is torch's
    TypeError, naming ``fn`` and the argument's ``position`` where given."""
    if type(dim) is not int:
        from torchlet._ops.shape.common import _int  # (shape imports indexing)

        dim = _int(dim, fn, "dim", position)
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got "
            f"{dim})"
        )
    return dim % ndim if ndim else 0


# ---------------------------------------------------------------------------------------
# gradients written into fresh zeros


class IntoZeros:
    """For a primitive that writes its input g into fresh zeros: the form of torch's
    backward formulas ``zeros(...).index_add_(dim, index, grad)``, ``.scatter_add_``,
    ``.put_``, ``.masked_scatter_``, ``._index_put_impl_``. torch's node then has an edge
    for the zeros ``self`` (which needs no gradient: ``(None, 0)`` in next_functions)
    before grad's, so ``apply(g, **params)`` passes None in self's place: forward takes
    ``(ctx, zeros, g)`` (zeros is None; it makes its own) and backward returns
    ``(None, grad_g)``."""

    @classmethod
    def apply(cls, g, **params):
        return super().apply(None, g, **params)


# ---------------------------------------------------------------------------------------
# windows and embeddings: the pair of primitives behind views and their gradients


class Window(Primitive):
    """out = a[key], a basic-indexing view (ints, slices, None);  grad_a = zeros of a's
    shape with grad written into the window."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, a, *, key):
        ctx.key, ctx.shape = key, a.shape
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        return Embed.apply(grad, shape=ctx.shape, key=ctx.key)


class Embed(Primitive):
    """out = zeros(shape) with g written at the basic index ``key``;  grad_g = grad[key]."""

    node_name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx, g, *, shape, key):
        ctx.key = key
        out = np.zeros(shape, g.dtype)
        out[key] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        return Window.apply(grad, key=ctx.key)


"""Largest and smallest elements, and logical reductions: max, min, amax, amin, argmax,
argmin, all, any, count_nonzero.

Torch's conventions at ties: ``max()``/``min()`` over the whole tensor and ``amax``/
``amin`` split the gradient evenly among the tied elements; ``max(dim)``/``min(dim)``
give it all to the index they return (the first occurrence). NaN propagates: it counts
as the largest and the smallest value, and its first index is returned.

Signed zeros: where +0.0 and -0.0 tie for the extreme, ``max(dim)``/``min(dim)`` (and
argmax/argmin) return the first one, as torch. The whole-tensor ``max()``/``min()`` of float32 /
float64 (below torch's grain size) replay torch's AVX2 lanes (``_zero_as_torch``), which
every x86 machine runs for that kernel, and their NaN bits too (``_nan_as_torch``: the
all-ones NaN of the vector step). ``amax``/``amin`` replay theirs too
(``_zeros_and_nans_as_torch``: also AVX2 on every x86 machine; the first element on the
scalar path, the last on the lane-per-column path, a lane-by-lane mix over a contiguous
reduced dim), and the NaN bits it leaves; except for one output of 32768+ elements split
across threads, where the sign is NumPy's choice. Both zeros compare equal, so values
agree under ``==``.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import return_types
from torchlet._device import meta_array, on_meta
from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise.operands import (
    _out,
    _out_tuple,
    out_dtype_castable,
    out_dtype_must_match,
    scalar_type_name,
)
from torchlet._ops.reduction._common import (
    Selection,
    _int_list,
    check_overloaded_dims,
    check_tensor,
    contiguous,
    evenly_distribute,
    kept_shape,
    not_bool,
    reduce_dims,
    reduction_layout,
    restore_reduced,
    select_along,
    wrap_dim,
)
from torchlet._ops.reduction._strided_sum import _coalesced, _Dim, _iteration_order, _view
from torchlet._ops.shape.common import _invalid_combination, _is_size
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# max / min


class MaxAll(Primitive):
    """out = the largest element of a;  grad_a = grad split evenly among the elements
    equal to out (all NaNs if out is NaN), 0 elsewhere."""

    node_name = "MaxBackward1"
    reduce = staticmethod(np.max)
    keeps_first = staticmethod(np.greater)  # (vmaxps keeps its first operand only if greater)

    @classmethod
    def forward(cls, ctx, a):
        out = np.asarray(cls.reduce(a))
        if not out:
            if a.dtype in _SIMD_ZERO_LANES:
                out = _zero_as_torch(out, a, cls.keeps_first)  # (its sign as torch's)
        elif math.isnan(out):  # (real dtypes only: torchlet has no complex)
            out = _nan_as_torch(a)  # (its bits as torch's)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return evenly_distribute(grad, x._data, out._data)


class MinAll(MaxAll):
    """out = the smallest element of a;  grad_a = grad split evenly among the elements
    equal to out (all NaNs if out is NaN), 0 elsewhere."""

    node_name = "MinBackward1"
    reduce = staticmethod(np.min)
    keeps_first = staticmethod(np.less)


# torch's max_all/min_all kernel (reduce_all_kernel) runs with AVX2 vectors also on
# AVX-512 machines (it is not registered for AVX-512): 8 float32 lanes, 4 float64 lanes,
# float16 16 at a time, widened to two vectors of 8 float32 lanes. parallel_reduce splits
# more than _GRAIN_SIZE elements into one chunk per thread.
_SIMD_ZERO_LANES = {np.dtype(np.float16): 16, np.dtype(np.float32): 8, np.dtype(np.float64): 4}
_GRAIN_SIZE = 32768


def _zero_as_torch(out: np.ndarray, a: np.ndarray, keeps_first) -> np.ndarray:
    """The whole-tensor max()/min() ``out`` (a zero) with the sign torch gives it where
    +0.0 and -0.0 tie. Over threads, torch splits the elements into equal chunks (OpenMP's
    divup) and meets their results in the scalar max_impl/min_impl, which keeps the
    earlier on a tie: the first chunk whose own result is the zero gives it."""
    zeros = np.signbit(a[a == 0])
    if zeros.all() or not zeros.any():  # one sign only: NumPy's pick has it too
        return out
    x = np.ravel(a)  # (the kernel reads a.contiguous())
    n = x.size
    threads = np.clip(-(-n // _GRAIN_SIZE), 1, get_num_threads())  # (min is shadowed here)
    size = -(-n // int(threads))
    reduce = np.max if keeps_first is np.greater else np.min
    for start in range(0, n, size):
        chunk = x[start:start + size]
        if reduce(chunk) == 0:
            return _lanes_zero(chunk, keeps_first, reduce)
    return out  # (not reached: some chunk holds the zero)


def _lanes_zero(x: np.ndarray, keeps_first, reduce) -> np.ndarray:
    """The zero torch's SIMD loop (vec::reduce_all) leaves from ``x`` (1-d, its extreme
    a zero). vmaxps/vminps keep their second operand on ties, so lane j (elements j,
    j + lanes, ..., the tail included) ends on its last extreme element; the lanes then
    meet in a shuffle tree (float32: lane j with j ^ 4, ^ 2, ^ 1) or one after another
    (float64). float16's 16 lanes first meet as lane j with j + 8, then as float32's.
    Fewer elements than lanes: one lane over all of them (float16: over 8 lanes, j with
    j + 8 where both are there)."""
    n_lanes = _SIMD_ZERO_LANES[x.dtype]

    def pick(p, q):  # one vmaxps/vminps: p if it beats q, else q
        return np.where(keeps_first(p, q), p, q)

    def fold(lanes):  # one lane after another
        result = lanes[0]
        for lane in lanes[1:]:
            result = pick(result, lane)
        return np.asarray(result)

    def last_extreme(c):
        return c[np.flatnonzero(c == reduce(c))[-1]]

    if x.size < n_lanes:
        if x.dtype != np.float16 or x.size <= 8:
            return np.asarray(last_extreme(x))
        lanes = x[:8].copy()
        lanes[:x.size - 8] = pick(x[:x.size - 8], x[8:])
        return fold(lanes)
    lanes = np.array([last_extreme(x[j::n_lanes]) for j in range(n_lanes)])
    if x.dtype == np.float16:
        lanes = pick(lanes[:8], lanes[8:])
    if x.dtype == np.float64:
        return fold(lanes)
    index = np.arange(8)
    for step in (4, 2, 1):
        lanes = pick(lanes, lanes[index ^ step])
    return np.asarray(lanes[0])


# The NaN torch's max_all/min_all leaves, by dtype: the vector step (maximum/minimum) ORs
# an all-ones NaN into any lane that met a NaN; the chunks of a tensor split across threads
# meet in the scalar max_impl/min_impl, which returns quiet_NaN(). float16 is reduced as
# float32 and converted back (c10::Half keeps only the sign of a NaN: 0x7E00 | sign).
_NAN_BITS = {np.dtype(np.float16): 0xFE00, np.dtype(np.float32): 0xFFFFFFFF,
             np.dtype(np.float64): 0xFFFFFFFFFFFFFFFF}


def _nan_as_torch(a: np.ndarray) -> np.ndarray:
    """The whole-tensor max()/min() of ``a``, which holds a NaN, with torch's bits: the
    all-ones NaN of its vector step (float16: 0xFE00), quiet_NaN() where a tensor of more
    than _GRAIN_SIZE elements is split across threads, and a lone element's own bits
    (never compared) but quieted as they pass through a double (float32; float16: its
    sign only; float64 keeps even a signaling NaN)."""
    dtype = a.dtype
    uint = f"u{dtype.itemsize}"
    if a.size == 1:
        bits = int(np.ravel(a).view(uint)[0])
        if dtype == np.float32:
            bits |= 0x00400000  # (float -> double sets the quiet bit)
        elif dtype == np.float16:
            bits = (bits & 0x8000) | 0x7E00
    elif a.size > _GRAIN_SIZE and get_num_threads() > 1:
        return _QUIET_NAN[dtype].copy()
    else:
        bits = _NAN_BITS[dtype]
    return np.array(bits, uint).view(dtype)


class MaxDim(Selection):
    """values, indices = max of a along dim and its first index;
    grad_a = grad at that index, 0 elsewhere."""

    node_name = "MaxBackward0"


class MinDim(Selection):
    """values, indices = min of a along dim and its first index;
    grad_a = grad at that index, 0 elsewhere."""

    node_name = "MinBackward0"


# keepdim not passed: torch's overload without dim (and that with other) takes none
_OMITTED = object()
_MAX_MIN_SIGNATURES = ("Tensor input, *, Tensor out = None",  # (as torch's errors print them)
                       "Tensor input, Tensor other, *, Tensor out = None",
                       "Tensor input, int dim, bool keepdim = False, *, "
                       "tuple of Tensors out = None")


def _extreme(name, x, dim, keepdim, whole, along, arg, result):
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)
    if dim is None:
        if x._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return whole.apply(x)
    a = x._data
    d = wrap_dim(name, dim, a.ndim)
    if a.ndim == 0:
        return select_along(along, x, np.zeros((), np.int64), d, keepdim, result, dim)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    idx = arg(a, axis=d, keepdims=True)
    return select_along(along, x, idx, d, keepdim, result, dim)


@numpy_names
def max(input, dim=None, keepdim=_OMITTED, *, out=None):  # noqa: A001, A002
    """``max(input)``: the largest element (0-d). ``max(input, dim, keepdim=False)``:
    ``torch.return_types.max(values, indices)`` along dim. ``max(input, other)``: the
    elementwise maximum of two tensors."""
    if keepdim is _OMITTED:
        keepdim = False
    elif dim is None or isinstance(dim, Tensor):  # (those overloads take no keepdim)
        raise _invalid_combination("max", (input,) if dim is None else (input, dim),
                                   {"keepdim": keepdim}, _MAX_MIN_SIGNATURES)
    x = check_tensor("max", input)
    if type(dim) is not int and dim is not None and not isinstance(dim, Tensor) \
            and not _is_size(dim):  # (a float, a str, a list: none of the overloads)
        raise _invalid_combination("max", (input, dim), {}, _MAX_MIN_SIGNATURES)
    if isinstance(dim, Tensor):
        from torchlet._ops.pointwise import maximum

        return _out(maximum(x, dim), out, "max", out_dtype_castable)
    result = _extreme("max", x, dim, keepdim, MaxAll, MaxDim, np.argmax, return_types.max)
    return _extreme_out(result, out, "max")


def _extreme_out(result, out, name: str):
    if isinstance(result, tuple):
        return _out_tuple(result, out, name, out_dtype_must_match)
    return _out(result, out, name, out_dtype_castable)


@numpy_names
def min(input, dim=None, keepdim=_OMITTED, *, out=None):  # noqa: A001, A002
    """``min(input)``, ``min(input, dim, keepdim=False)`` (values, indices), or
    ``min(input, other)`` (the elementwise minimum), as ``max``."""
    if keepdim is _OMITTED:
        keepdim = False
    elif dim is None or isinstance(dim, Tensor):  # (those overloads take no keepdim)
        raise _invalid_combination("min", (input,) if dim is None else (input, dim),
                                   {"keepdim": keepdim}, _MAX_MIN_SIGNATURES)
    x = check_tensor("min", input)
    if type(dim) is not int and dim is not None and not isinstance(dim, Tensor) \
            and not _is_size(dim):
        raise _invalid_combination("min", (input, dim), {}, _MAX_MIN_SIGNATURES)
    if isinstance(dim, Tensor):
        from torchlet._ops.pointwise import minimum

        return _out(minimum(x, dim), out, "min", out_dtype_castable)
    result = _extreme("min", x, dim, keepdim, MinAll, MinDim, np.argmin, return_types.min)
    return _extreme_out(result, out, "min")


# ---------------------------------------------------------------------------------------
# amax / amin


class Amax(Primitive):
    """out = largest element of a over dims;  grad_a = grad / (number of elements equal
    to out) at those elements, 0 elsewhere."""

    node_name = "AmaxBackward0"
    reduce = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, a, *, dims, keepdim, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.dims, ctx.keepdim = dims, keepdim
        out = reduction_layout(np.asarray(cls.reduce(a, axis=dims, keepdims=keepdim)), a)
        if a.dtype in _AMAX_LANES and _zero_or_nan(out) and (
                a.size < _GRAIN_SIZE or out.size > 1 or get_num_threads() == 1):
            # (their bits as torch's; not for one output split across threads, whose
            # pieces torch reduces apart)
            out = _zeros_and_nans_as_torch(out, a, dims)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        shape, dims, dtype = x._data.shape, ctx.dims, grad._data.dtype
        value = out._data if ctx.keepdim else out._data.reshape(kept_shape(shape, dims))
        mask = x._data == value
        ties = np.add.reduce(mask, axis=dims, keepdims=True, dtype=dtype)
        grad = restore_reduced(grad, shape, dims, ctx.keepdim)
        # torch's scale_grad_by_count: (grad / count) * mask
        return (grad / wrap(ties)) * wrap(mask.astype(dtype))


class Amin(Amax):
    """out = smallest element of a over dims;  grad_a = grad / (number of elements equal
    to out) at those elements, 0 elsewhere."""

    node_name = "AminBackward0"
    reduce = staticmethod(np.min)


# torch's amax/amin kernel (binary_kernel_reduce_vec, max_values/min_values) is not built
# for AVX-512: every x86 machine runs its AVX2 form, vectors of 8 float32, 4 float64 or 16
# float16 lanes (compared as float32), four vectors a step.
_AMAX_LANES: dict[np.dtype, int] = {np.dtype(np.float16): 16, np.dtype(np.float32): 8,
                                    np.dtype(np.float64): 4}
# the NaNs it leaves: its scalar loop's quiet_NaN(), its vector loop's all-ones pattern
_QUIET_NAN: dict[np.dtype, np.ndarray] = {
    np.dtype(np.float16): np.array(0x7E00, np.uint16).view(np.float16),
    np.dtype(np.float32): np.array(0x7FC00000, np.uint32).view(np.float32),
    np.dtype(np.float64): np.array(0x7FF8 << 48, np.uint64).view(np.float64)}
_ALL_ONES_NAN = {dtype: np.array(-1, f"i{dtype.itemsize}").view(dtype) for dtype in _AMAX_LANES}


def _zero_or_nan(out: np.ndarray) -> bool:
    """Whether ``out`` holds a zero or a NaN, quickly (the squares of the others sum to a
    number or inf)."""
    return bool(np.count_nonzero(out) < out.size) or math.isnan(np.vdot(out, out))


def _zeros_and_nans_as_torch(out: np.ndarray, a: np.ndarray, dims) -> np.ndarray:
    """amax/amin's result ``out`` (C-contiguous) with its zeros and NaNs as torch's
    kernel leaves them, walking ``a`` as its TensorIterator does (one thread: reduced dims
    innermost, ``_strided_sum``'s order) into an output filled with -inf (+inf for amin).

    Its scalar step ``out = max(out, x)`` keeps ``out`` on a tie, its vector step the new
    operand (vmaxps), so where +0.0 and -0.0 tie the zero that comes out is the first
    element equal to 0 in this order of each output's elements:

    - a contiguous innermost reduced dim (d0): row by row (each row of d0 in the
      iteration order). A row's first 128 * k bytes go through 4 vectors of L lanes,
      element j * 4L + v * L + l into lane l of vector v; the vectors meet as max(max(v0, v1),
      max(v2, v3)) and the lanes one by one: lane 0 first, in it the last vector and then
      the last element; the rest of the row follows, in order.
    - a kept contiguous d1 beside a reduced d0 (a single reduced dim): the first
      4L-multiple columns are reduced as vectors down d0 (the last element first); the
      other columns by the scalar loop.
    - otherwise the scalar loop: iteration order.

    A NaN comes out as the scalar loop's quiet NaN, or all ones from the vector columns."""
    order = _coalesced(_iteration_order(a, dims))
    scalar_only = not order or order[0].out_stride != 0
    if scalar_only:  # nothing left to reduce: each output is max(-inf, x)
        order = [_Dim(1, 0, 0, (), ())] + order
    kept = [d for d in order if d.out_stride != 0]
    res = np.array(out, order="C")
    item = res.itemsize
    outputs = np.lib.stride_tricks.as_strided(  # res's elements in iteration order
        res, tuple(d.size for d in reversed(kept)),
        tuple(d.out_stride * item for d in reversed(kept)))
    elements = _view(a, order).reshape(outputs.shape + (-1,))
    step = 4 * _AMAX_LANES[a.dtype]
    d0, vector_columns = order[0], 0
    if not scalar_only and d0.in_stride == 1 and d0.size >= step:  # vectors along rows
        n = d0.size
        vectors = n - n % step
        lanes = np.arange(vectors).reshape(-1, 4, step // 4)[::-1, ::-1].transpose(2, 1, 0)
        row = np.concatenate((lanes.ravel(), np.arange(vectors, n)))
        elements = elements.reshape(outputs.shape + (-1, n))[..., row]
        elements = elements.reshape(outputs.shape + (-1,))
    elif not scalar_only and len(order) - len(kept) == 1 and len(order) > 1 \
            and order[1].out_stride == 1 and order[1].in_stride == 1:  # vectors of columns
        vector_columns = order[1].size - order[1].size % step
        elements = np.concatenate((elements[..., :vector_columns, ::-1],
                                   elements[..., vector_columns:, :]), axis=-2)
    zero = outputs == 0
    if zero.any():
        ties = elements[zero]
        outputs[zero] = ties[np.arange(len(ties)), np.argmax(ties == 0, axis=1)]
    nan = np.isnan(outputs)
    if nan.any():
        outputs[nan] = _QUIET_NAN[a.dtype]
        if vector_columns:
            columns = outputs[..., :vector_columns]
            columns[nan[..., :vector_columns]] = _ALL_ONES_NAN[a.dtype]
    return res


def _amax(name, primitive, input, dim, keepdim):
    x = check_tensor(name, input)
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)
    a = x._data
    if a.size == 0:  # (checked before the dims are: amax(e, (0, 0)) reports the size)
        given = () if dim is None else _int_list(dim, name, "dim", 1, single=True)
        given = (given,) if type(given) is int else tuple(given)
        if not given:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        # torch names the dim as it was given (amin(-1) says -1; max(-1) says 1)
        for g in given:
            if a.shape[wrap_dim(name, g, a.ndim)] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {g} to have non-zero size.")
    dims = reduce_dims(dim, a.ndim, name)
    return primitive.apply(x, dims=dims, keepdim=keepdim, given_dim=dim)


@numpy_names
def amax(input, dim=(), keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """Largest element over ``dim`` (an int or tuple; () means all); no indices. Which of
    +0.0 / -0.0 comes out of a tie between them is torch's (module docstring)."""
    _check_out_dtype(input, out)
    result = _amax("amax", Amax, input, dim, keepdim)
    return _out(result, out, "amax", _input_and_out_dtypes)


@numpy_names
def amin(input, dim=(), keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """Smallest element over ``dim`` (an int or tuple; () means all); no indices. Signed
    zero ties: as ``amax``."""
    _check_out_dtype(input, out)
    result = _amax("amin", Amin, input, dim, keepdim)
    return _out(result, out, "amin", _input_and_out_dtypes)


def _check_out_dtype(input, out) -> None:  # noqa: A002
    """amax/amin check ``out``'s dtype first (before an empty input's dims)."""
    if isinstance(input, Tensor) and isinstance(out, Tensor) \
            and input._data.dtype != out._data.dtype:
        raise _input_and_out_dtypes(input._data.dtype, out._data.dtype, "out")


def _input_and_out_dtypes(want, got, field) -> RuntimeError:
    return RuntimeError(
        f"Expected the dtype for input and out to match, but got {scalar_type_name(want)} for "
        f"input's dtype and {scalar_type_name(got)} for out's dtype."
    )


# ---------------------------------------------------------------------------------------
# argmax / argmin


def _arg(name, arg, input, dim, keepdim):
    x = check_tensor(name, input)
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)
    a = x._data
    if on_meta(a):
        return wrap(_meta_arg(name, a, dim, keepdim))
    if a.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if a.size == 0:
            raise IndexError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            )
        out = np.asarray(arg(a), dtype=np.int64)  # an index into the flattened tensor
        return wrap(out.reshape((1,) * a.ndim) if keepdim else out)
    d = wrap_dim(name, dim, a.ndim)
    if a.ndim == 0:
        return wrap(np.zeros((), np.int64))
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    out = np.asarray(arg(a, axis=d, keepdims=keepdim), dtype=np.int64)
    return wrap(reduction_layout(out, a))


def _meta_arg(name, a: np.ndarray, dim, keepdim) -> np.ndarray:
    """argmax/argmin of meta ``a``: torch's meta kernel (``argmax_argmin_meta``) checks no
    dtype and words its errors its own way."""
    if dim is None:
        if a.size == 0:
            raise RuntimeError(
                f"{name}: Expected reduction dim to be specified for input.numel() == 0.")
    else:
        d = wrap_dim(name, dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"{name}: Expected reduction dim {d} to have non-zero size.")
    return meta_array(_meta_reduced_shape(a, dim, keepdim), np.int64)


def _meta_reduced_shape(a: np.ndarray, dim, keepdim) -> tuple:
    """The shape of a reduction of meta ``a`` over ``dim`` (None, an int or a sequence; an
    empty one is every dim), with the meta kernels' message for a repeated dim."""
    try:
        dims = reduce_dims(dim, a.ndim)
    except RuntimeError:  # ("dim 0 appears multiple times ...", worded as torch's meta)
        raise RuntimeError("duplicate value in the list of dims") from None
    if keepdim:
        return kept_shape(a.shape, dims)
    return tuple(n for i, n in enumerate(a.shape) if i not in dims)


@numpy_names
def argmax(input, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """Index of the first largest element along ``dim`` (of the flattened tensor if None).
    ``out`` must be int64 (checked after the input, as torch's structured kernel)."""
    result = _arg("argmax", np.argmax, input, dim, keepdim)
    return _out(result, out, "argmax", out_dtype_must_match)


@numpy_names
def argmin(input, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """Index of the first smallest element along ``dim`` (of the flattened tensor if None).
    ``out``: as argmax's."""
    result = _arg("argmin", np.argmin, input, dim, keepdim)
    return _out(result, out, "argmin", out_dtype_must_match)


# ---------------------------------------------------------------------------------------
# all / any / count_nonzero (never differentiable)


# torch's overloads of Tensor.all and Tensor.any, as its errors print them
_LOGICAL_SIGNATURES = ("", "tuple of ints dim = None, bool keepdim = False",
                       "int dim, bool keepdim = False")


def _logical(name, ufunc, input, dim, keepdim):
    x = check_tensor(name, input)
    if type(keepdim) is not bool:
        raise not_bool(name, keepdim)
    if type(dim) is not int and dim is not None:
        check_overloaded_dims(name, dim, _LOGICAL_SIGNATURES)
    a = x._data
    if on_meta(a):
        shape = a.shape if isinstance(dim, (tuple, list)) and len(dim) == 0 else (
            _meta_reduced_shape(a, dim, keepdim))
        return wrap(meta_array(shape, np.uint8 if a.dtype == np.uint8 else np.bool_))
    if isinstance(dim, (tuple, list)) and len(dim) == 0:
        out = contiguous(a.astype(bool))  # torch reduces over no dimension: elementwise
    else:
        dims = reduce_dims(dim, a.ndim, name)
        out = np.asarray(ufunc.reduce(a.astype(bool, copy=False), axis=dims, keepdims=keepdim))
        out = reduction_layout(out, a)
    # As torch: uint8 in, uint8 (0 or 1) out; every other dtype gives bool.
    return wrap(out.astype(np.uint8) if a.dtype == np.uint8 else out)


@numpy_names
def all(input, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A001, A002
    """True if every element (along ``dim``: an int or tuple) is nonzero."""
    result = _logical("all", np.logical_and, input, dim, keepdim)
    return _out(result, out, "all", _bool_result("all"))


def _bool_result(name: str):
    """The ``dtype_error`` of all/any: an ``out`` of bool, or of uint8 (which gets 0 or 1),
    and nothing else."""
    def error(want, got, field):
        if got in (np.bool_, np.uint8):
            return None
        return RuntimeError(f"{name} only supports bool tensor for result, got: "
                            f"{scalar_type_name(got)}")
    return error


@numpy_names
def any(input, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A001, A002
    """True if some element (along ``dim``: an int or tuple) is nonzero."""
    result = _logical("any", np.logical_or, input, dim, keepdim)
    return _out(result, out, "any", _bool_result("any"))


@numpy_names
def count_nonzero(input, dim=None) -> Tensor:  # noqa: A002
    """Number of nonzero elements (along ``dim``: an int or tuple), as int64."""
    x = check_tensor("count_nonzero", input)
    if on_meta(x._data):
        return wrap(meta_array(_meta_reduced_shape(x._data, dim, False), np.int64))
    dims = reduce_dims(dim, x._data.ndim, "count_nonzero")
    out = np.asarray(np.count_nonzero(x._data, axis=dims), dtype=np.int64)
    # (always checked: an empty input reads as C-contiguous to NumPy whatever its strides,
    # and NumPy's count of a transposed bool array comes out transposed)
    return wrap(contiguous(out))

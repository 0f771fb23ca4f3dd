"""Small top-level names of torch: detach/detach_, the deprecated range, frombuffer,
nonzero_static, the unsafe splits, native_dropout, native_norm, set_flush_denormal,
is_inference, as_strided_ and as_strided_scatter.

Each follows torch 2.13's CPU behaviour, including where that is surprising:

* ``torch.range`` includes its end, has the default float dtype even for int arguments,
  and computes each value as ``start + i * step`` in double before rounding to the dtype.
* ``unsafe_split``/``unsafe_chunk`` give split's values in the same memory, but the pieces
  are not views for autograd (their own version counters, UnsafeSplitBackward0).
* ``native_dropout`` draws its mask as ``empty_like(input).bernoulli_(1 - p)`` (the same
  numbers as ``F.dropout``) and returns ``(input * mask * scale, mask as bool)``.
* ``native_norm`` has no dense CPU kernel in torch (only sparse): it raises
  NotImplementedError there, and so it does here.
* ``as_strided_scatter`` copies the input's whole storage and keeps its strides and offset
  (torch's clone_preserve_strides), so the default offset and the bounds are the input's.
  Its gradient for ``input`` is torch's formula, which keeps the gradient *at* the
  scattered positions (torch's known bug; gradcheck fails in torch too).
* ``set_flush_denormal`` really sets the flush-to-zero bits of the calling thread, as torch
  does (see its docstring).

torchlet's ``Tensor.storage_offset()`` counts from the start of a view's base only, so a
tensor that ``as_strided_`` moved inside its own allocation reports 0 where torch reports
the offset; its values, sizes and strides are torch's.
"""

from __future__ import annotations

import operator
import sys
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._device import is_meta_array
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.shape.common import _check_tensor, _element_strides, _int, _ints
from torchlet._ops.shape.inplace_views import _rearrange_inplace
from torchlet._ops.shape.joins import Split, SplitWithSizes, chunk, split
from torchlet._ops.shape.strided import (
    AsStridedView,
    _address,
    _flat_storage,
    _offset_in,
    _storage_check,
    as_strided,
    strided_geometry,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# detach, detach_, is_inference


def detach(input) -> Tensor:  # noqa: A002
    return _check_tensor("detach", input).detach()


def detach_(input) -> Tensor:  # noqa: A002
    return _check_tensor("detach_", input).detach_()


def is_inference(input) -> bool:  # noqa: A002
    return _check_tensor("is_inference", input).is_inference()


# ---------------------------------------------------------------------------------------
# range (deprecated)

_RANGE_WARNING = (
    "torch.range is deprecated and will be removed in a future release because its "
    "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
    "which produces values in [start, end)."
)


def _scalar(value, name: str, position: int):
    if isinstance(value, Tensor):
        return value.item()
    if isinstance(value, (bool, int, float, np.number)):
        return value.item() if isinstance(value, np.number) else value
    raise TypeError(
        f"range(): argument '{name}' (position {position}) must be Number, not "
        f"{type_name(value)}"
    )


def range(start, end, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False) -> Tensor:
    """The values start, start + step, ... up to and including ``end`` (deprecated)."""
    if requires_grad is not False and requires_grad is not True:
        from torchlet._ops.creation import check_flags

        check_flags("range", requires_grad)
    warnings.warn(_RANGE_WARNING, UserWarning, stacklevel=2)
    if layout is not None:
        from torchlet._ops.creation import check_layout

        check_layout(layout, "range")
    start, end, step = (_scalar(start, "start", 1), _scalar(end, "end", 2),
                        _scalar(step, "step", 3))
    dt = _dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    np_dtype = dt.np
    if np_dtype.kind == "b":
        raise NotImplementedError("\"range_cpu\" not implemented for 'Bool'")
    # torch's accumulate type on the CPU: double (float for float16), int64 for integers
    floating = np_dtype.kind == "f"
    acc = np.dtype(np.float32 if np_dtype == np.float16 else np.float64) if floating else \
        np.dtype(np.int64)
    if not floating and float(step) != 0:  # torch checks the direction on the bounds as
        # given, then truncates: range(0.1, 0.0, dtype=int8) raises though both become 0
        _check_direction(*(float(v) for v in (start, end, step)))
    xstart, xend, xstep = (acc.type(float(v) if floating else int(v)) for v in (start, end, step))
    if not (xstep > 0 or xstep < 0):
        raise RuntimeError("step must be nonzero")
    if not (np.isfinite(xstart) and np.isfinite(xend)):
        raise RuntimeError(f"unsupported range: {_num(xstart)} -> {_num(xend)}")
    _check_direction(xstart, xend, xstep)
    size = int((xend - xstart) / xstep + acc.type(1)) if floating else int(
        (xend - xstart) // xstep + 1)
    values = xstart + np.arange(size, dtype=acc) * xstep
    result = wrap(values.astype(np_dtype))
    if requires_grad:
        result.requires_grad_(True)
    return result


def _check_direction(start, end, step) -> None:
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")


def _num(value) -> str:
    """A double as C++'s ostream prints it (``inf``, ``0``, ``1.5``)."""
    return f"{value:g}"


# ---------------------------------------------------------------------------------------
# frombuffer

_frombuffer_warned = False  # torch warns once per program (TORCH_WARN_ONCE)

_NOT_WRITABLE_WARNING = (
    "The given buffer is not writable, and PyTorch does not support non-writable tensors. "
    "This means you can write to the underlying (supposedly non-writable) buffer using the "
    "tensor. You may want to copy the buffer to protect its data or make it writable before "
    "converting it to a tensor. This type of warning will be suppressed for the rest of this "
    "program."
)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False) -> Tensor:
    """A 1-D tensor over the memory of an object with the buffer protocol (no copy).

    torch warns for a read-only buffer and lets the tensor write into it anyway; torchlet
    gives the same warning but keeps such a tensor read-only (NumPy refuses the write), so
    that immutable objects such as ``bytes`` stay unchanged.
    """
    global _frombuffer_warned
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    np_dtype = _dtype.to_dtype(dtype).np
    count = _int(count, "frombuffer", "count", 2)
    offset = _int(offset, "frombuffer", "offset", 3)
    if view.readonly and not _frombuffer_warned:
        _frombuffer_warned = True
        warnings.warn(_NOT_WRITABLE_WARNING, UserWarning, stacklevel=2)
    length = view.nbytes
    size = np_dtype.itemsize
    if not (length > 0 and count != 0):
        raise ValueError(
            f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(
            f"offset ({offset} bytes) must be non-negative and no greater than buffer length "
            f"({length} bytes) minus 1"
        )
    if count <= 0 and (length - offset) % size != 0:
        raise ValueError(
            f"buffer length ({length - offset} bytes) after offset ({offset} bytes) must be a "
            f"multiple of element size ({size})"
        )
    actual = (length - offset) // size if count < 0 else count
    if offset + actual * size > length:
        raise ValueError(
            f"requested buffer length ({actual} * {size} bytes) after offset ({offset} bytes) "
            f"must not be greater than actual buffer length ({length} bytes)"
        )
    raw = np.frombuffer(view.cast("B") if view.ndim != 1 or view.format != "B" else view,
                        np.uint8)
    data = raw[offset:offset + actual * size].view(np_dtype)
    out = wrap(data)
    if requires_grad:
        out.requires_grad_(True)
    return out


# ---------------------------------------------------------------------------------------
# nonzero_static


def _int_not_bool(value, fn: str, arg: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not hasattr(value, "__index__"):
        raise TypeError(f"{fn}(): argument '{arg}' must be int, not {type_name(value)}")
    return operator.index(value)


def nonzero_static(input, *, size, fill_value=-1) -> Tensor:  # noqa: A002
    """The indices of the first ``size`` nonzero elements (row-major order), one row per
    element; rows past the last nonzero are ``fill_value``."""
    x = _check_tensor("nonzero_static", input)
    size = _int_not_bool(size, "nonzero_static", "size")
    fill_value = _int_not_bool(fill_value, "nonzero_static", "fill_value")
    if size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    a = x._data
    found = np.argwhere(a)[:size]
    out = np.full((size, a.ndim), fill_value, np.int64)
    out[:len(found)] = found
    return wrap(out)


# ---------------------------------------------------------------------------------------
# unsafe_split, unsafe_split_with_sizes, unsafe_chunk


class UnsafeSplit(Split):
    """outs = consecutive slices of a along dim, in a's memory but not views for autograd;
    grad_a = the grads concatenated (zeros for slices that got none)."""

    node_name = "UnsafeSplitBackward0"


class UnsafeSplitWithSizes(SplitWithSizes):
    """outs = slices of the given sizes along dim (a's memory, not autograd views);
    grad_a = the grads concatenated."""

    node_name = "UnsafeSplitWithSizesBackward0"


@numpy_names
def unsafe_split(tensor, split_size, dim=0) -> tuple:
    """split() by a piece size, without the autograd view tracking of the outputs."""
    x = _check_tensor("unsafe_split", tensor)
    size = _int(split_size, "unsafe_split", "split_size", 2)
    return _unsafe_along(x, split(x.detach(), size, dim), UnsafeSplit, dim)


@numpy_names
def unsafe_split_with_sizes(input, split_sizes, dim=0) -> tuple:  # noqa: A002
    x = _check_tensor("unsafe_split_with_sizes", input)
    sizes = list(_ints(split_sizes, "unsafe_split_with_sizes", "split_sizes", 2))
    pieces = split(x.detach(), sizes, dim)
    return _unsafe_along(x, pieces, UnsafeSplitWithSizes, dim)


@numpy_names
def unsafe_chunk(input, chunks, dim=0) -> tuple:  # noqa: A002
    """chunk() without the autograd view tracking of the outputs."""
    x = _check_tensor("unsafe_chunk", input)
    pieces = chunk(x.detach(), chunks, dim)
    return _unsafe_along(x, pieces, UnsafeSplit, dim)


def _unsafe_along(x: Tensor, pieces: tuple, primitive, dim) -> tuple:
    d = operator.index(dim) % x._data.ndim  # split() has checked dim
    sizes = tuple(p._data.shape[d] for p in pieces)
    return primitive.apply(x, dim=d, sizes=sizes)


# ---------------------------------------------------------------------------------------
# native_dropout


class NativeDropout(Primitive):
    """out = a * mask * scale;  grad_a = grad * mask * scale (scale = 1/(1-p) in train
    mode, 0 for p = 1, 1 in eval mode)."""

    node_name = "NativeDropoutBackward0"

    @staticmethod
    def forward(ctx, a, mask, *, scale, train):
        ctx.mask, ctx.scale = mask, scale
        if not train:
            return a.copy(), mask
        # torch: input.mul(mask).mul_(scale), the scalar product in float for float16
        opmath = np.float32 if a.dtype == np.float16 else a.dtype.type
        out = (a * mask.astype(a.dtype)).astype(opmath) * opmath(scale)
        return out.astype(a.dtype), mask

    @staticmethod
    def backward(ctx, grad, grad_mask):
        factor = ctx.mask.astype(grad._data.dtype) * grad._data.dtype.type(ctx.scale)
        return grad * wrap(factor), None


def native_dropout(input, p, train) -> tuple:  # noqa: A002
    """``(output, mask)``: in training, ``mask ~ bernoulli(1 - p)`` (bool) and output =
    input * mask / (1 - p); otherwise a copy of input and a mask of ones."""
    x = _check_tensor("native_dropout", input)
    p = float(p)
    a = x._data
    if train is None or not train:
        mask = np.ones(a.shape, bool)
        return NativeDropout.apply(x, mask, scale=1.0, train=False)
    keep = 1.0 - p
    if not 0.0 <= keep <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_num(keep)}")
    noise = wrap(np.empty(a.shape, a.dtype))
    noise.bernoulli_(keep)
    if a.dtype.kind != "f":
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type "
            f"{_dtype._BY_NP[a.dtype].name.capitalize().replace('Int64', 'Long')}")
    scale = 0.0 if keep == 0 else 1.0 / keep
    return NativeDropout.apply(x, noise._data != 0, scale=scale, train=True)


# ---------------------------------------------------------------------------------------
# native_norm: only sparse tensors have a kernel in torch


@numpy_names
def native_norm(input, p=2, dim=None, keepdim=None, dtype=None):  # noqa: A002
    """torch's kernel exists for sparse tensors only; a dense CPU tensor raises."""
    _check_tensor("native_norm", input)
    if dim is None and not isinstance(p, (int, float, np.number)):
        raise TypeError(
            f"native_norm(): argument 'p' (position 2) must be Number, not {type_name(p)}"
        )
    raise NotImplementedError(
        "Could not run 'aten::native_norm' with arguments from the 'CPU' backend. "
        "'aten::native_norm' is only available for sparse tensors (torch's SparseCPU "
        "backend); for a dense tensor use torch.linalg.vector_norm or torch.norm."
    )


# ---------------------------------------------------------------------------------------
# set_flush_denormal

_FTZ_DAZ = 0x8040  # MXCSR bits: flush-to-zero (results) and denormals-are-zero (inputs)
_MXCSR_OFFSET = 28  # glibc's x86-64 fenv_t ends with the 32-bit MXCSR


def set_flush_denormal(mode: bool) -> bool:
    """Flush subnormal floats to zero (True) or not (False) in this thread; returns
    whether the CPU supports it.

    torch sets the SSE control register (MXCSR) of the calling thread. NumPy computes in
    the calling thread with the same SSE instructions, so setting the register through
    glibc's fegetenv/fesetenv makes NumPy (and Python floats) flush exactly as torch's
    kernels do. Elsewhere (not x86-64 Linux with glibc) nothing is changed and the answer
    is False, as torch answers on CPUs without the feature.
    """
    import ctypes
    import platform

    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    try:
        libm = ctypes.CDLL("libm.so.6")
    except OSError:
        return False
    env = ctypes.create_string_buffer(32)
    if libm.fegetenv(env) != 0:
        return False
    raw = bytearray(env.raw)
    mxcsr = int.from_bytes(raw[_MXCSR_OFFSET:_MXCSR_OFFSET + 4], "little")
    mxcsr = mxcsr | _FTZ_DAZ if mode else mxcsr & ~_FTZ_DAZ
    raw[_MXCSR_OFFSET:_MXCSR_OFFSET + 4] = mxcsr.to_bytes(4, "little")
    return libm.fesetenv(ctypes.create_string_buffer(bytes(raw), 32)) == 0


# ---------------------------------------------------------------------------------------
# as_strided_ and as_strided_scatter


class AsStridedInplace(AsStridedView):
    """as_strided_(): self becomes the elements of its storage at (size, stride, offset);
    grad = scatter-added into the storage, read back at the old positions."""

    node_name = "AsStridedBackward1"


def _storage(x: Tensor) -> np.ndarray:
    """``x``'s storage as a flat array: its base's, or the allocation its array was cut
    from (a tensor that an earlier as_strided_ narrowed still owns all of it)."""
    if x._base is not None:
        return _flat_storage(x)
    owner = x._data
    while True:  # down the chain of arrays of x's item size (a loaded file's bytes stop it)
        base = owner.base
        # np.lib.stride_tricks.as_strided hangs its result on a DummyArray whose .base is
        # the array it strided, so a second as_strided_ still finds the first one's storage
        below = base if isinstance(base, np.ndarray) else getattr(base, "base", None)
        if not isinstance(below, np.ndarray) or below.dtype.itemsize != x._data.itemsize:
            break
        owner = below
    if (owner is not x._data and owner.flags.c_contiguous
            and _address(owner) <= _address(x._data) < _address(owner) + owner.nbytes):
        return owner.reshape(-1).view(x._data.dtype)
    return _flat_storage(x)


def storage_offset(x: Tensor) -> int:
    """Elements from the start of ``x``'s storage to its first element: the storage of its
    base (or its own), found as ``as_strided_`` finds it, so an in-place narrowing counts.
    A meta tensor has no memory to measure: one that is no view starts its storage (0)."""
    if is_meta_array(x._data):
        if x._base is None:
            return 0
        raise NotImplementedError("torchlet does not track the storage offset of a view of a "
                                  "meta tensor")
    return _offset_in(x, _storage(x._base if x._base is not None else x))


def as_strided_(input, size, stride, storage_offset=None) -> Tensor:  # noqa: A002
    """In place: ``input`` becomes the view of its storage with the given size, element
    strides and element offset (default: its own offset)."""
    x = _check_tensor("as_strided_", input)
    size, stride = strided_geometry("as_strided_", size, stride)
    flat = _storage(x)
    in_offset = _offset_in(x, flat)
    offset = in_offset if storage_offset is None else _int(
        storage_offset, "as_strided_", "storage_offset", 4)
    _storage_check(size, stride, offset, flat.itemsize, flat.size)
    return _rearrange_inplace(x, AsStridedInplace, flat=flat, size=size, stride=stride,
                              offset=offset, in_offset=in_offset)


class AsStridedScatter(Primitive):
    """out = a copy of a's whole storage, seen with a's geometry, whose elements at
    (size, stride, offset) are src;  grad_a = torch's as_strided_scatter_backward: zeros
    except the gradient at those positions (torch's formula, not the complement);
    grad_src = the gradient at those positions."""

    node_name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx, a, src, *, flat, in_offset, size, stride, offset, grad_offset):
        ctx.args = (a.shape, size, stride, grad_offset)
        storage = flat.copy()
        itemsize = storage.itemsize
        out = np.lib.stride_tricks.as_strided(
            storage[in_offset:], a.shape, tuple(s * itemsize for s in _element_strides(a)))
        window = np.lib.stride_tricks.as_strided(
            storage[offset:], size, tuple(s * itemsize for s in stride))
        np.copyto(window, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, grad):
        in_shape, size, stride, offset = ctx.args
        slice_ = as_strided(grad.contiguous(), size, stride, offset)
        grad_a = grad_src = None
        if ctx.needs_input_grad[0]:
            zeros = wrap(np.zeros(in_shape, grad._data.dtype))
            grad_a = as_strided_scatter(zeros, slice_, size, stride, offset)
        if ctx.needs_input_grad[1]:
            grad_src = slice_
        return grad_a, grad_src


def as_strided_scatter(input, src, size, stride, storage_offset=None) -> Tensor:  # noqa: A002
    """A copy of ``input``'s storage, seen as ``input``, with ``src`` written at
    ``as_strided(size, stride, storage_offset)`` of it (torch's clone_preserve_strides:
    the same strides and offset; a self-overlapping input is cloned contiguous)."""
    x = _check_tensor("as_strided_scatter", input)
    if not isinstance(src, Tensor):
        raise TypeError(
            f"as_strided_scatter(): argument 'src' (position 2) must be Tensor, not "
            f"{type_name(src)}"
        )
    size = _ints(size, "as_strided_scatter", "size", 3)
    stride = _ints(stride, "as_strided_scatter", "stride", 4)
    if x.requires_grad and not x.is_contiguous():
        raise RuntimeError(
            "!self.requires_grad() || self.is_contiguous() INTERNAL ASSERT FAILED: "
            "as_strided_scatter is currently only supported for contiguous inputs"
        )
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(stride)}"
        )
    a = x._data
    if any(n > 1 and s == 0 for n, s in zip(a.shape, a.strides)):
        flat, in_offset = np.ascontiguousarray(a).reshape(-1), 0
    else:
        flat = _storage(x)
        in_offset = _offset_in(x, flat)
    offset = in_offset if storage_offset is None else _int(
        storage_offset, "as_strided_scatter", "storage_offset", 5)
    _storage_check(size, stride, offset, a.itemsize, flat.size)
    if src._data.shape != size:
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = "
            f"{list(src._data.shape)}, slice size = {list(size)}"
        )
    if any(n > 1 and s == 0 for n, s in zip(size, stride, strict=True)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )
    # torch's backward reads the gradient (a fresh contiguous tensor) at the offset given,
    # or at the gradient's own offset, 0
    grad_offset = 0 if storage_offset is None else offset
    return AsStridedScatter.apply(x, src, flat=flat, in_offset=in_offset, size=size,
                                  stride=stride, offset=offset, grad_offset=grad_offset)



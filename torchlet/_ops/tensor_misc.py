"""Tensor methods outside the operation tables: Python callables applied element by
element (apply_, map_, map2_), memory queries (share_memory_, is_shared, pin_memory,
is_pinned, is_set_to, dim_order), new_empty_strided, to_dense, and the deprecated
non-in-place resize / resize_as and ``volatile``.

``apply_``/``map_``/``map2_`` call the function once per element in row-major order with
Python scalars, and store each result as torch's ``store_scalar`` does: floats through
``float()``'s rules, integers truncated from floats (with an overflow check), bools by
truth value. They write the memory directly, as torch does (no version bump, no graph).

torchlet's tensors live in ordinary process memory: ``share_memory_`` returns the tensor
unchanged and ``is_shared`` is False (torch moves the storage to shared memory and then
answers True); there is no accelerator, so ``pin_memory`` raises torch's error.
"""

from __future__ import annotations

import functools
import operator
import warnings

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.shape.common import _element_strides
from torchlet._tensor import _TYPE_NAMES, Tensor
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# apply_, map_, map2_

_INT_NAMES = {"uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32",
              "int64": "int64"}


def _as_double(value) -> float:
    """CPython's PyFloat_AsDouble: floats, then __float__, then __index__."""
    if isinstance(value, float):
        return value
    kind = type(value)
    if hasattr(kind, "__float__"):
        return float(value)
    if hasattr(kind, "__index__"):
        return float(operator.index(value))
    raise TypeError(f"must be real number, not {kind.__name__}")


def _as_integer(value, np_dtype: np.dtype) -> int:
    """torch's unpackIntegral: a float is truncated, anything else must be an index; the
    result must fit the dtype."""
    if isinstance(value, float):
        number = int(value) if np.isfinite(value) else None
    else:
        number = operator.index(value)
    info = np.iinfo(np_dtype)
    if number is None or not info.min <= number <= info.max:
        raise RuntimeError(
            f"value cannot be converted to type {_INT_NAMES[np_dtype.name]} without overflow")
    return number


def _store(array: np.ndarray, index: tuple, value) -> None:
    kind = array.dtype.kind
    if kind == "f":
        array[index] = _as_double(value)
    elif kind == "b":
        array[index] = bool(value) if isinstance(value, float) else bool(operator.index(value))
    else:
        array[index] = _as_integer(value, array.dtype)


def _check_no_grad(name: str, *tensors: Tensor) -> None:
    if any(t.requires_grad for t in tensors):
        raise RuntimeError(
            f"Can't call {name}() on Variable that requires grad. Use var.detach().{name}() "
            "instead."
        )


def _check_writable(array: np.ndarray) -> None:
    if not array.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation."
        )


def _apply(self: Tensor, fn, others: tuple) -> Tensor:
    target = self._data
    _check_writable(target)
    sources = [o._data for o in others]
    for index in np.ndindex(target.shape):
        args = [target[index].item()] + [s[index].item() for s in sources]
        _store(target, index, fn(*args))
    return self


def apply_(self: Tensor, callable) -> Tensor:  # noqa: A002 - torch's argument name
    """self[i] = callable(self[i]) for every element, in place."""
    _check_no_grad("apply_", self)
    return _apply(self, callable, ())


def _same_type(name: str, self: Tensor, other, label: str) -> Tensor:
    if not isinstance(other, Tensor):
        position = 1 if label == "'other'" else (1 if "'x'" in label else 2)
        arg = label.split("'")[1]
        raise TypeError(
            f"{name}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(other)}"
        )
    if other._data.dtype != self._data.dtype:
        raise TypeError(
            f"{name}: expected {_TYPE_NAMES[self._data.dtype.name]} for {label} (got "
            f"{_TYPE_NAMES[other._data.dtype.name]})"
        )
    return other


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:  # noqa: A002
    """self[i] = callable(self[i], tensor[i]) (``tensor`` broadcast to self), in place."""
    other = _same_type("map_", self, tensor, "'other'")
    _check_no_grad("map_", self, other)
    return _apply(self, callable, (other.expand(self._data.shape),))


def map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:  # noqa: A002
    """self[i] = callable(self[i], x[i], y[i]) (x, y broadcast to self), in place."""
    x = _same_type("map2_", self, x, "argument 'x'")
    y = _same_type("map2_", self, y, "argument 'y'")
    _check_no_grad("map2_", self, x, y)
    shape = self._data.shape
    return _apply(self, callable, (x.expand(shape), y.expand(shape)))


# ---------------------------------------------------------------------------------------
# memory queries


def pin_memory(self: Tensor, device=None) -> Tensor:
    raise RuntimeError("Cannot access accelerator device when none is available.")


def is_set_to(self: Tensor, tensor) -> bool:
    """True if ``tensor`` is the same memory with the same sizes and strides."""
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"is_set_to(): argument 'tensor' (position 1) must be Tensor, not "
            f"{type_name(tensor)}"
        )
    a, b = self._data, tensor._data
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides)


_MEMORY_FORMATS = ("torch.contiguous_format", "torch.channels_last",
                   "torch.channels_last_3d", "torch.preserve_format")


def _is_contiguous(shape, strides) -> bool:
    """torch._prims_common.is_contiguous: fewer than 2 elements, or nested strides with
    size-1 dims skipped."""
    if int(np.prod(shape)) < 2:
        return True
    expected = expected_max = 1
    for size, stride in reversed(list(zip(shape, strides, strict=True))):
        if size == 1:
            continue
        if stride != expected and stride != expected_max:
            return False
        expected_max *= max(size, 1)
        expected *= size
    return True


def _is_channels_last(shape, strides, order) -> bool:
    """torch._prims_common.is_channels_last_contiguous_2d/3d (``order``: C, W, H, (D,) N)."""
    if len(shape) != len(order):
        return False
    expected = 1
    for d in order:
        if shape[d] == 1:
            continue
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def _layout_matches(fmt, shape, strides) -> bool:
    name = str(fmt)
    if name == "torch.contiguous_format":
        return _is_contiguous(shape, strides)
    if name == "torch.channels_last":
        return _is_channels_last(shape, strides, (1, 3, 2, 0))
    if name == "torch.channels_last_3d":
        return _is_channels_last(shape, strides, (1, 4, 3, 2, 0))
    raise RuntimeError(f"is_contiguous received unsupported memory format {name}")


def _should_swap(shape, strides, a: int, b: int) -> int:
    """torch._prims_common's comparison of two dims for the physical order."""
    def ge(x, y):
        if y == 0:
            return True
        if x == 0:
            return False
        return x >= y or x % y == 0

    stride_a, stride_b = strides[a], strides[b]
    if stride_a == 0 or stride_b == 0:
        return 0
    if stride_a == stride_b:
        return 0 if ge(shape[b], shape[a]) else 1
    if ge(stride_b, stride_a):
        return -1
    if ge(stride_a, stride_b):
        return 1
    return 0


def dim_order(self: Tensor, *, ambiguity_check=False) -> tuple:
    """The dims from outermost to innermost in memory (torch's logical-to-physical
    permutation for elementwise outputs)."""
    if not isinstance(ambiguity_check, bool):
        if not isinstance(ambiguity_check, list) or any(
                str(f) not in _MEMORY_FORMATS for f in ambiguity_check):
            raise TypeError(
                "The ambiguity_check argument must be a bool or a list of memory formats.")
    shape, strides = self._data.shape, _element_strides(self._data)
    if self._data.size == 0:  # NumPy keeps no strides for no elements: torch's fresh ones
        strides = tuple(int(np.prod(shape[d + 1:])) for d in range(len(shape)))
    formats = ambiguity_check if isinstance(ambiguity_check, list) else []
    check = ambiguity_check if isinstance(ambiguity_check, bool) else True
    ambiguous = any(s == t for s, t in zip(strides, strides[1:])) or 1 in shape
    legal = sum(_layout_matches(f, shape, strides) for f in formats)
    if check and ambiguous and legal != 1:
        raise RuntimeError(
            "The tensor does not have unique dim order, or cannot map to exact one of the "
            "given memory formats."
        )
    ndim = len(shape)
    if ndim < 2:
        return tuple(range(ndim))
    contiguous = _is_contiguous(shape, strides)
    channels_last = ndim == 4 and _is_channels_last(shape, strides, (1, 3, 2, 0))
    if contiguous and not channels_last:
        return tuple(range(ndim))
    if channels_last and not contiguous:
        return (0, *range(2, ndim), 1)
    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):  # torch's insertion sort with ambiguous comparisons
        dim1 = i
        for dim0 in reversed(range(i)):
            comparison = _should_swap(shape, strides, perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    if ambiguity_check is True and any(
            _should_swap(shape, strides, perm[i], perm[i + 1]) != -1 for i in range(ndim - 1)):
        raise RuntimeError("The tensor does not have unique dim order.")
    return tuple(reversed(perm))


# ---------------------------------------------------------------------------------------
# new_empty_strided, to_dense


def new_empty_strided(self: Tensor, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad=False, pin_memory=False) -> Tensor:
    """``empty_strided`` with self's dtype and device unless given (so a ``with
    torch.device("meta"):`` default does not apply, and ``device="meta"`` does)."""
    from torchlet._ops.shape.strided import empty_strided

    return empty_strided(size, stride, dtype=dtype or self.dtype, layout=layout,
                         device=self.device if device is None else device,
                         requires_grad=requires_grad, pin_memory=pin_memory)


def to_dense(self: Tensor, dtype=None, *, masked_grad=None) -> Tensor:
    """A strided tensor is already dense: itself (converted when ``dtype`` is given)."""
    return self if dtype is None else self.to(dtype)


# ---------------------------------------------------------------------------------------
# resize and resize_as (deprecated non-in-place forms: torch.autograd._functions.Resize)


class Resize(Primitive):
    """out = a with another shape of the same number of elements (sharing a's memory when
    a is contiguous);  grad_a = grad reshaped back."""

    node_name = "ResizeBackward"

    @staticmethod
    def forward(ctx, a, *, sizes):
        ctx.in_shape = a.shape
        return np.ascontiguousarray(a).reshape(sizes)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous().view(ctx.in_shape)


def _resize(self: Tensor, sizes) -> Tensor:
    # torch multiplies the arguments as given, so resize((2, 3)) fails as it does in torch
    numel = functools.reduce(operator.mul, sizes, 1)
    if self._data.size != numel:
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({numel} elements in total), "
            f"but the given tensor has a size of {'x'.join(map(str, self._data.shape))} "
            f"({self._data.size} elements). autograd's resize can only change the shape of a "
            "given tensor, while preserving the number of elements. "
        )
    return Resize.apply(self, sizes=tuple(operator.index(s) for s in sizes))


def resize(self: Tensor, *sizes) -> Tensor:
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=3)
    return _resize(self, sizes)


def resize_as(self: Tensor, tensor: Tensor) -> Tensor:
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=3)
    return _resize(self, tuple(tensor.shape))


# ---------------------------------------------------------------------------------------
# volatile (removed in torch 0.4; the property only warns)


def get_volatile(self: Tensor) -> bool:
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=3)
    return False


def set_volatile(self: Tensor, value) -> None:
    warnings.warn(
        "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
        UserWarning, stacklevel=3,
    )


# ---------------------------------------------------------------------------------------
# set_'s arguments

_SET_NAMES = ("source", "storage_offset", "size", "stride")
_SET_SIGNATURES = (
    "",
    "torch.Storage source",
    "torch.Storage source, int storage_offset, tuple of ints size, tuple of ints stride = None",
    "Tensor source",
    "Tensor source, int storage_offset, tuple of ints size, tuple of ints stride = None",
)


def set_arguments(args: tuple, kwargs: dict) -> tuple:
    """``Tensor.set_``'s ``(source, storage_offset, size, stride)`` (None where not given)
    as torch's parser reads them: nothing, a storage or a tensor alone, or one of them with
    an int offset, a tuple-of-ints size and perhaps a stride (a tuple of ints or None).
    Anything else, a None source too, is torch's invalid combination of its overloads."""
    from torchlet._errors import invalid_arguments
    from torchlet._ops.shape.common import _int_list, _is_int, _is_size
    from torchlet.storage import TypedStorage, UntypedStorage

    values = dict(zip(_SET_NAMES, args))
    for name, value in kwargs.items():
        if name not in _SET_NAMES or name in values:
            raise invalid_arguments("set_", args, kwargs, _SET_SIGNATURES)
        values[name] = value
    source = values.get("source")
    if not values:
        return (None, None, None, None)
    fits = isinstance(source, (Tensor, TypedStorage, UntypedStorage))
    if len(values) == 1:
        if fits:
            return (source, None, None, None)
    elif len(values) >= 3 and {"storage_offset", "size"} <= values.keys():
        stride = values.get("stride")
        if fits and _is_int(values["storage_offset"]) and _is_ints(values["size"], _is_size) \
                and (stride is None or _is_ints(stride, _is_size)):
            return (source, operator.index(values["storage_offset"]),
                    _int_list(values["size"], "set_", "size", None),
                    None if stride is None else _int_list(stride, "set_", "stride", None))
    raise invalid_arguments("set_", args, kwargs, _SET_SIGNATURES)


def _is_ints(value, is_size) -> bool:
    """Whether torch's parser takes ``value`` for a tuple of ints: a tuple or list (a
    torch.Size) that is empty or starts with an int (its other elements are unpacked
    later, with their own error)."""
    return isinstance(value, (tuple, list)) and (not value or is_size(value[0]))

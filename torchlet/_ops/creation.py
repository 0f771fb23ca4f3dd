"""Making tensors: from data (tensor, as_tensor, from_numpy), filled (zeros, ones, full,
empty, eye), ranges (arange, linspace, logspace) and the ``*_like`` forms.

Dtype inference follows torch: Python floats give the default dtype (float32), ints give
int64, bools give bool; NumPy arrays keep their dtype.

``device`` is the CPU or ``meta``; without one, the default device (``with torch.device(
"meta"):``, ``torch.set_default_device``), except for the ``*_like`` forms, which take
their input's. A meta tensor gets a shape and a dtype and no values (``meta_array``).
"""

from __future__ import annotations

import builtins
import math
import numbers
import operator
import types
import warnings

import numpy as np

from torchlet import _device, _dtype, _runtime
from torchlet._device import is_meta_array, is_meta_device, meta_array
from torchlet._dtype import layout, strided
from torchlet._ops.indexing._common import checked_scalar, fill_scalar
from torchlet._ops.pointwise._fused import _fma, _two_product_error
from torchlet._ops.shape.common import (
    _int,
    _is_size,
    _unpack_int,
    check_memory_format,
    contiguous_strides,
    empty_in_layout,
)
from torchlet._runtime import fill_uninitialized
from torchlet._tensor import Tensor, _empty_with_strides, wrap


def _size_args(size, name="zeros", keyword=None, position=1):
    """The shape a creation function is given as ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``
    or ``f(size=(2, 3))`` (``keyword``), read as torch's argument parser reads it: a size is
    an int, a NumPy integer or a one-element integer tensor; ``f(n)`` with such an ``n``
    takes every positional argument as the shape, anything else must be one sequence."""
    if keyword is not None:
        if size:
            raise TypeError(f"{name}() got multiple values for argument 'size'")
        if not isinstance(keyword, (tuple, list)) or (keyword and not _is_size(keyword[0])):
            raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                            f"{_arg_type_name(keyword)}")
        size = keyword
    elif not size:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    elif len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
        if size and not _is_size(size[0]):  # (torch checks the first entry here)
            raise TypeError(f"{name}(): argument 'size' (position {position}) must be tuple "
                            f"of ints, but found element of type {_arg_type_name(size[0])} "
                            "at pos 0")
    elif not _is_size(size[0]):  # not the f(2, 3) form, so size must be the one argument
        if len(size) > 1:
            raise TypeError(f"{name}() takes 1 positional argument but {len(size)} were given")
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_arg_type_name(size[0])}")
    size = tuple(s if type(s) is int else _unpack_int(s, name, "size", pos)
                 for pos, s in enumerate(size, 1))
    if any(s < 0 for s in size):
        if name == "zeros":  # (torch's zeros checks the sizes itself)
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        s = next(s for s in size if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _size_fits(size, keyword=None) -> bool:
    """Whether torch's parser matches a shape argument (before it unpacks the entries)."""
    if keyword is not None:
        return not size and isinstance(keyword, (tuple, list)) and \
            (not keyword or _is_size(keyword[0]))
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return not size[0] or _is_size(size[0][0])
    return bool(size) and _is_size(size[0])


def _arg_type_name(value) -> str:
    """The type name torch's argument parser prints (``float``, ``torch.dtype``,
    ``numpy.ndarray``: ``_dtype.type_name``), a tensor of any class being ``Tensor``."""
    return "Tensor" if isinstance(value, Tensor) else _dtype.type_name(value)


def _invalid_arguments(name: str, args, kwargs: dict, overloads) -> TypeError:
    """torch's "received an invalid combination of arguments" error: the types given (the
    keywords in reverse order, as torch lists them) and every overload's signature."""
    given = [_arg_type_name(a) for a in args]
    given += [f"{k}={_arg_type_name(v)}" for k, v in reversed(kwargs.items())]
    got = ", ".join(given) + (", " if kwargs and not args else "")
    expected = "".join(f" * ({overload}, *, {keywords})\n" for overload, keywords in overloads)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                     f"but expected one of:\n{expected}")


_OMITTED = object()  # (an argument not given, where torch names that "invalid")

_NO_PINNED_MEMORY = ("pin_memory=True requires a CUDA or other accelerator backend; no "
                     "pinned memory allocator is available on this system.")


def flags_refused(requires_grad, pin_memory=False) -> bool:
    """Whether torch's parser refuses ``requires_grad`` or ``pin_memory``: it takes a
    Python bool, or None for the default (an int, even 0 or 1, and ``np.bool_`` are not
    bools). Callers test ``requires_grad is not False and requires_grad is not True`` (or
    ``pin_memory is not False``) inline first, to keep the common call free."""
    return any(v is not None and type(v) is not bool for v in (requires_grad, pin_memory))


def check_flags(name: str, requires_grad, pin_memory=False, meta: bool = False) -> None:
    """A function with one signature: torch's TypeError for a ``requires_grad`` or
    ``pin_memory`` that is no bool; ``pin_memory=True`` is torch's RuntimeError on a
    machine without an accelerator (a meta tensor allocates nothing, so takes it)."""
    for arg, value in (("requires_grad", requires_grad), ("pin_memory", pin_memory)):
        if value is not None and type(value) is not bool:
            raise TypeError(f"{name}(): argument '{arg}' must be bool, not "
                            f"{_arg_type_name(value)}")
    if pin_memory and not meta:
        raise RuntimeError(_NO_PINNED_MEMORY)


def check_overloaded_flags(name: str, args, keywords: dict, overloads, meta: bool) -> None:
    """``check_flags`` for a function torch binds as several overloads: a refused
    ``dtype``, ``requires_grad`` or ``pin_memory`` is "an invalid combination" (``args``:
    the arguments given, listed as positional; ``keywords``: the keyword arguments, those
    at their default left out)."""
    requires_grad, pin_memory = keywords.get("requires_grad"), keywords.get("pin_memory")
    if flags_refused(requires_grad, pin_memory) or dtype_refused(keywords.get("dtype")):
        given = {k: v for k, v in keywords.items() if v is not None and v is not False}
        raise _invalid_arguments(name, args, given, overloads)
    if pin_memory and not meta:
        raise RuntimeError(_NO_PINNED_MEMORY)


def dtype_refused(dtype) -> bool:
    """Whether torch's parser refuses ``dtype`` (see ``_check_dtype_arg``)."""
    return not (dtype is None or type(dtype) is _dtype.dtype or dtype in (float, int, bool))


def check_layout(value, name: str, any_layout: bool = False) -> None:
    """A creation function's ``layout=`` other than None (callers test that inline, to
    keep the common call free): torch.strided. torch's parser refuses anything but a
    torch.layout (``ones(2, layout=3)``); another layout is one torchlet does not have
    (torch makes a sparse tensor, or fails in the backend it picks), unless
    ``any_layout``: the function ignores which (scalar_tensor's result is strided)."""
    if value is strided:
        return
    if type(value) is not layout:
        raise TypeError(f"{name}(): argument 'layout' must be torch.layout, not "
                        f"{_arg_type_name(value)}")
    if any_layout:
        return
    raise NotImplementedError(f"{name}(): torchlet has only the strided layout, not "
                              f"{value!r}")

# the keyword-only parameters of torch's creation functions, as its overloads print them
CREATION_KEYWORDS = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                     "torch.device device = None, bool pin_memory = False, "
                     "bool requires_grad = False")
GENERATOR_KEYWORDS = "torch.Generator generator, " + CREATION_KEYWORDS


def _finish(data: np.ndarray, requires_grad: bool, meta: bool = False,
            numpy_strides: bool = False) -> Tensor:
    """The new tensor of ``data`` (of its shape and dtype only, when ``meta``). A new
    empty array gets torch's contiguous strides from wrap() (unless ``numpy_strides``:
    torch keeps a NumPy array's), so that its views' strides are torch's too; an empty
    view keeps its strides (``empty_like`` keeps any empty tensor's)."""
    if not data.size and numpy_strides and not meta:
        data = keep_numpy_strides(data)
    t = wrap(meta_array(data.shape, data.dtype) if meta else data)
    if requires_grad:
        if data.dtype.kind != "f":
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t._requires_grad = True
    return t


def strided_empty(data: np.ndarray) -> np.ndarray:
    """A new size-0 array with torch's contiguous strides in place of NumPy's zeros, which
    NumPy then keeps through transposes, step slices, expand, ... (``empty(0, 4).t()``
    has strides (1, 4)). Any other array as it is."""
    if any(data.strides) or not data.ndim or type(data) is not np.ndarray:
        return data  # (strides given on purpose, a 0-d array, or a meta array)
    strides = [s * data.itemsize for s in contiguous_strides(data.shape)]
    return _empty_with_strides(data.shape, data.dtype, strides)


def keep_numpy_strides(array: np.ndarray) -> np.ndarray:
    """``array`` to wrap as it is: torch keeps a NumPy array's strides, an empty one's
    zeros too (``from_numpy(np.zeros((0, 3))).stride()`` is (0, 0)), where wrap() gives a
    new empty array (zero strides, no base) torch's contiguous ones. Such an array (a
    view of one too) is wrapped as an empty array with its strides laid over other memory,
    whose zeros are then kept (through detach and views too: ``_numpy_zeros``)."""
    if array.size or any(array.strides) or type(array) is not np.ndarray:
        return array
    return _empty_with_strides(array.shape, array.dtype, array.strides)


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or _dtype.get_default_dtype()).np
    return _dtype.to_dtype(dtype).np


def _on_meta(device) -> bool:
    """Whether a factory given ``device`` makes a meta tensor: ``device`` is ``meta``, or
    it is None and the default device is. Devices torchlet lacks are refused."""
    if device is None:
        return _runtime.SETTINGS.default_device.type == "meta"
    return is_meta_device(device)


def _check_device(device) -> None:
    """For the factories that make CPU tensors only: any other device (the default one
    too) is refused."""
    if _on_meta(device):
        raise NotImplementedError("torchlet cannot make this tensor on the meta device yet")


# ---------------------------------------------------------------------------------------
# from data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    _check_dtype_arg(dtype, "tensor")
    meta = _on_meta(device)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("tensor", requires_grad, pin_memory, meta)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
            ".requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2)
        array = data._data if meta else copy_in_layout(data._data)
    else:
        array = _array_from_data(data, dtype)
    if dtype is not None:
        array = _cast_in_layout(array, _dtype.to_dtype(dtype).np)
    return _finish(array, requires_grad, meta, numpy_strides=isinstance(data, np.ndarray))


def check_number(value, name: str, arg: str, position: int) -> None:
    """A ``Number`` argument as torch's parser takes it: a Python or NumPy number
    (``np.bool_`` too) or a 0-d tensor; a NumPy array is not one, even a 0-d array."""
    if isinstance(value, (numbers.Number, np.bool_)) or (
            isinstance(value, Tensor) and not value._data.ndim):
        return
    raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Number, not "
                    f"{_arg_type_name(value)}")


def _check_dtype_arg(dtype, name: str) -> None:
    """torch's public functions take a torch.dtype or a Python type (float, int, bool) as
    ``dtype``, not a NumPy dtype or a string (torchlet's internals may pass those)."""
    if dtype is None or type(dtype) is _dtype.dtype or dtype in (float, int, bool):
        return
    kind = type(dtype)
    kind_name = kind.__name__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {kind_name}")


def _cast(array: np.ndarray, np_dtype) -> np.ndarray:
    """``array`` in ``np_dtype``; float64 reaches float16 through float32, as c10's Half
    (built from a float) rounds it."""
    if np_dtype == np.float16 and array.dtype == np.float64:
        array = array.astype(np.float32)
    return array.astype(np_dtype, copy=False)


def _cast_in_layout(array: np.ndarray, np_dtype) -> np.ndarray:
    """``_cast``, keeping the layout as torch's ``to(dtype)`` does: NumPy's ``astype``
    keeps the dims' memory order but gives size-1 dims strides of its own."""
    out = _cast(array, np_dtype)
    if out is array or type(array) is not np.ndarray or (1 not in array.shape and array.size):
        return out  # (NumPy's new empty array has zero strides: torch keeps array's)
    kept = empty_in_layout(array, np_dtype, None)
    if kept.strides == out.strides:
        return out
    np.copyto(kept, out)
    return kept


# what torch's tensor() reads as nested sequences (PySequence_Check, less str and bytes):
# these, told apart fast, and any other type with __getitem__ (``_other_sequence``)
_SEQUENCES = (list, tuple, builtins.range, bytearray)
_NOT_SEQUENCES = (dict, types.MappingProxyType, str, bytes, np.ndarray, np.generic, Tensor)


def _other_sequence(obj) -> bool:
    """PySequence_Check for the rarer sequences: a deque, an array.array, a memoryview, a
    UserList, any class with ``__getitem__`` (the REINFORCE example's
    ``torch.tensor(deque_of_returns)``). Not a dict, nor the types read otherwise. The
    ``__getitem__`` must be the class's own or a base's: an Enum class answers ``E["A"]``
    through its metaclass, yet an IntEnum member is a number."""
    return (hasattr(type(obj), "__getitem__")
            and any("__getitem__" in vars(klass) for klass in type(obj).__mro__)
            and not isinstance(obj, _NOT_SEQUENCES))


def _items(seq) -> list:
    """The elements of a sequence as torch's infer_scalar_type reads them: by index up to
    ``len`` (an object without ``__len__`` is Python's TypeError, as in torch)."""
    return [seq[i] for i in range(len(seq))]

_NEGATIVE_STRIDES = (
    "At least one stride in the given numpy array is negative, and tensors with negative "
    "strides are not currently supported. (You can probably work around this by making a "
    "copy of your array  with array.copy().) "
)


_WIDE_UNSIGNED = (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64))


def _array_from_data(data, dtype=None) -> np.ndarray:
    """``data`` as an array of its inferred dtype, or straight in ``dtype`` if given
    (Python numbers are rounded once: ``[0.3]`` in float64 is 0.3, not float32's 0.3).
    As torch: the shape comes from the first element at each depth, the dtype from all
    elements, then the values are stored (a tensor element by its ``item()``)."""
    if isinstance(data, np.ndarray):
        if dtype is not None and data.dtype in _WIDE_UNSIGNED:
            # torch holds uint16/32/64 arrays as such and converts; torchlet, without
            # those dtypes, converts straight to the dtype asked for (the same values)
            return _cast(data, _dtype.to_dtype(dtype).np)
        check_numpy_array(data)
        return copy_in_layout(data)
    if isinstance(data, (str, bytes)):  # np.str_ and np.bytes_ too ('numpy.str_')
        raise TypeError(f"new(): invalid data type '{_dtype.type_name(data)}'")
    if isinstance(data, np.generic):
        if dtype is None:
            _dtype.from_numpy_dtype(data.dtype)  # TypeError for unsupported dtypes
            return np.array(data)
        return _generic_in(data, _dtype.to_dtype(dtype).np)
    if isinstance(data, numbers.Number) and not isinstance(data, complex):
        target = _dtype.scalar_dtype(data) if dtype is None else _dtype.to_dtype(dtype)
        return _checked_array(data, target.np)
    if not isinstance(data, _SEQUENCES) and not _other_sequence(data):
        if dtype is not None:
            raise _store_error(data, _dtype.to_dtype(dtype).np)
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    sizes = _sizes(data)
    inferred, plain, foreign = _infer_dtype(data, None if dtype is None else
                                            _dtype.to_dtype(dtype).np)
    target = inferred if dtype is None else _dtype.to_dtype(dtype)
    _check_integral_store(foreign, target.np)
    if data and isinstance(data[0], np.ndarray):
        warnings.warn(
            "Creating a tensor from a list of numpy.ndarrays is extremely slow. Please "
            "consider converting the list to a single numpy.ndarray with numpy.array() "
            "before converting to a tensor. (Triggered internally at "
            "/__w/pytorch/pytorch/torch/csrc/utils/tensor_new.cpp:252.)",
            UserWarning, stacklevel=3)
    if 0 in sizes:  # nothing to store: torch reads no element
        return np.empty(sizes, target.np)
    return _checked_array(_unwrap_nested(data, plain, sizes, target.np), target.np)


def check_numpy_array(array: np.ndarray) -> None:
    """torch's refusals of a NumPy array it would read: another byte order (first), a
    dtype torch has no tensors of (TypeError), a negative stride."""
    if not array.dtype.isnative:
        raise ValueError(_OTHER_BYTE_ORDER)
    _dtype.from_numpy_dtype(array.dtype)  # TypeError for unsupported dtypes
    if any(s < 0 for s in array.strides):
        raise ValueError(_NEGATIVE_STRIDES)


_OTHER_BYTE_ORDER = ("given numpy array has byte order different from the native byte order. "
                     "Conversion between byte orders is currently not supported.")


def copy_in_layout(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` laid out as torch copies a tensor (``preserve_format``): the
    strides of a dense array (a transposed one stays transposed), the dims of another in
    its strides' order. ``torch.tensor(ndarray)`` copies so."""
    if array.flags.c_contiguous and array.size:  # the usual case (an empty copy: zero strides)
        out = array.copy()
        if out.strides == array.strides:  # (else size-1 dims with other strides)
            return out
    if type(array) is not np.ndarray:  # (a meta array)
        return array.copy()
    out = empty_in_layout(array, array.dtype, None)
    np.copyto(out, array)
    return out


def _generic_in(data: np.generic, np_dtype) -> np.ndarray:
    """A NumPy scalar stored into ``np_dtype`` as torch stores it: read as a Python number
    (``__index__`` for an integer dtype, ``float()`` else), so checked as one (300 does
    not fit int8; a uint64 past int64 does not unpack)."""
    _check_integral_store((data,), np_dtype)
    if data.dtype.kind in "Mm":  # float() of its item: a date or a duration, unless an int
        value = data.item()
        if not isinstance(value, int):
            raise TypeError("float() argument must be a string or a real number, not "
                            f"'{_dtype.type_name(value)}'")
    if data.dtype.kind in "biuf" and data.dtype.itemsize <= 8:  # (a longdouble item is one)
        return _checked_array(data.item(), np_dtype)
    return _cast(np.array(data), np_dtype)


def _checked_array(data, np_dtype) -> np.ndarray:
    """NumPy's array of ``data`` (a number, nested lists of numbers or an array), checked
    as torch stores numbers: an int beyond int64 is refused for an integer dtype, and a
    number the integer dtype cannot hold too (``_check_fits``)."""
    try:
        array = data if isinstance(data, np.ndarray) else np.array(data)
    except OverflowError:  # an int beyond 64 bits
        array = None
    if array is None or array.dtype.kind not in "biuf" or array.dtype == np.uint64:
        if np_dtype.kind in "biu":  # Python ints beyond int64 (their array is object)
            raise ValueError("Overflow when unpacking long long")
        array = np.array(data, dtype=np.float64)
    _check_fits(array, np_dtype, data)
    return _cast(array, np_dtype)


def _sizes(data) -> list:
    """torch's ``compute_sizes``: the length at each depth, read from first elements
    (a tensor element ends the walk: it is read as a number; an array adds its shape)."""
    sizes = []
    seq = data
    while isinstance(seq, (*_SEQUENCES, str, bytes)) or _other_sequence(seq):
        sizes.append(len(seq))
        if len(sizes) > 128:  # a str's first element is a str again
            raise ValueError(f"too many dimensions '{type(seq).__name__}'")
        if not seq:
            break
        seq = seq[0]
    if isinstance(seq, np.ndarray):
        if not seq.ndim:  # (torch asks a 0-d array for its length, as a sequence)
            raise TypeError("len() of unsized object")
        sizes.extend(seq.shape)
    return sizes


def _check_integral_store(items, np_dtype) -> None:
    """torch stores each element into an integer or bool tensor through Python's
    ``__index__``; only a Python float (np.float64 is one) is truncated instead, and a bool
    tensor takes ``np.bool_`` too. So ``np.float32(2.5)``, ``np.bool_(True)`` (into an
    integer dtype), a 0-d array or a float tensor there is Python's TypeError. ``items``:
    the NumPy scalars, arrays and tensors among the elements, in order (an array or a
    tensor stands for its elements, which share one type)."""
    if np_dtype.kind not in "biu":
        return
    for item in items:
        if isinstance(item, (np.ndarray, Tensor)) and item.ndim:
            flat = item.reshape(-1)
            if not len(flat):
                continue
            item = flat[0]
        if isinstance(item, float) or (np_dtype.kind == "b" and type(item) is np.bool_):
            continue
        operator.index(item)  # raises Python's TypeError, as torch's store does


def _check_fits(array: np.ndarray, np_dtype, data=None) -> None:
    """torch refuses Python numbers an integer dtype cannot hold (c10's ``overflows``):
    a float outside [lowest, max] or NaN; an int above max or below lowest, except that an
    unsigned type takes negative ints down to -max (they wrap: -2 is 254 as uint8). Numbers
    are judged by the array's kind, so an int in a list with floats is judged as a float
    (torch judges each number by its own type)."""
    if np_dtype.kind not in "iu" or array.dtype.kind not in "iuf" or not array.size:
        return
    limits = np.iinfo(np_dtype)
    if array.dtype.kind == "f":
        fits = (array >= limits.min) & (array <= limits.max)  # False for NaN
        if data is not None and not isinstance(data, np.ndarray):
            _check_read_as_floats(array, fits, data)
    else:
        lowest = -limits.max if np_dtype.kind == "u" else limits.min
        fits = (array >= lowest) & (array <= limits.max)
    if not fits.all():
        raise RuntimeError(f"value cannot be converted to type {np_dtype.name} without overflow")


def _check_read_as_floats(array: np.ndarray, fits: np.ndarray, data) -> None:
    """NumPy reads a list holding an int past int64 as floats, where torch unpacks each
    Python int as a long long: walking the numbers in order, torch's error is that
    ValueError if such an int comes before any float that does not fit. (A float of 2**63
    passes torch's check of int64, whose max rounds to 2**63 as a double.)"""
    suspect = ~fits | (np.abs(array) >= 2.0**63)
    if not suspect.any():
        return
    numbers = np.array(data, dtype=object).reshape(-1)
    for i in np.flatnonzero(suspect.reshape(-1)).tolist():
        number = numbers[i]
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            raise ValueError("Overflow when unpacking long long")
        if not fits.reshape(-1)[i]:
            return  # the float's RuntimeError comes first


def _infer_dtype(data, given=None):
    """torch's rule for nested lists: each element has a dtype (a NumPy scalar, array or
    tensor its own; Python bool, int, float: bool, int64, the default float; an empty
    list the default float), combined by promotion. Also says whether all elements were
    plain numbers (no tensor or array), which NumPy can read directly, and lists the
    NumPy scalars, arrays and tensors among them (for ``_check_integral_store``). With a
    ``given`` dtype torch infers nothing: an element that is no number is the error of
    storing it into that dtype."""
    result, plain, foreign = None, True, []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, _SEQUENCES) and item:
            stack.extend(reversed(item))  # (left to right: the first bad element is named)
            continue
        if isinstance(item, _SEQUENCES):
            kind = _dtype.get_default_dtype()
        elif isinstance(item, (Tensor, np.ndarray, np.generic)):
            plain = plain and isinstance(item, np.generic)
            foreign.append(item)
            kind = _dtype.from_numpy_dtype(item._data.dtype if isinstance(item, Tensor)
                                           else item.dtype)
        elif isinstance(item, numbers.Number) and not isinstance(item, complex):
            kind = _dtype.scalar_dtype(item)
        elif _other_sequence(item):
            elements = _items(item)
            if elements:
                stack.extend(reversed(elements))
                continue
            kind = _dtype.get_default_dtype()
        elif given is not None:
            raise _store_error(item, given)
        elif isinstance(item, (str, bytes)):
            raise TypeError(f"new(): invalid data type '{type(item).__name__}'")
        else:
            raise RuntimeError(f"Could not infer dtype of {type(item).__name__}")
        result = kind if result is None else _dtype.promote_types(result, kind)
    return result, plain, foreign


def _store_error(item, np_dtype) -> TypeError:
    """torch's error storing a non-number into a tensor of ``np_dtype``: Python's, from
    reading it as a float or as an integer."""
    if np.dtype(np_dtype).kind == "f":
        return TypeError(f"must be real number, not {_dtype.type_name(item)}")
    return TypeError(f"'{_dtype.type_name(item)}' object cannot be interpreted as an integer")


def _unwrap_nested(data, plain: bool, sizes, np_dtype):
    """The nested numbers of ``data``, read by NumPy when they are ``plain`` lists of
    numbers of the shape ``sizes``, else stored one by one as torch's ``recursive_store``."""
    if plain:
        try:
            array = np.array(data)
        except (ValueError, TypeError, OverflowError):
            array = None
        # (floats for an integer dtype keep the list: NumPy reads ints past int64 among
        # other ints as floats, and _checked_array tells those apart from real floats)
        if array is not None and array.shape == tuple(sizes) and array.dtype != object \
                and not (array.dtype.kind == "f" and np.dtype(np_dtype).kind in "biu"):
            return array
    return _store(data, sizes, 0, np_dtype)


def _store(seq, sizes, dim, np_dtype) -> list:
    """torch's ``recursive_store``, for its errors: each sequence must have the length the
    first one at its depth had, a number sits where the depth ends, and a tensor there is
    read by ``item()`` (a tensor or array higher up is read as a sequence)."""
    if isinstance(seq, Tensor):
        seq = seq._data
    if (isinstance(seq, np.ndarray) and not seq.ndim) or (
            not isinstance(seq, (*_SEQUENCES, np.ndarray)) and not _other_sequence(seq)):
        raise TypeError("not a sequence")
    if len(seq) != sizes[dim]:
        raise ValueError(f"expected sequence of length {sizes[dim]} at dim {dim} "
                         f"(got {len(seq)})")
    if dim + 1 < len(sizes):
        return [_store(item, sizes, dim + 1, np_dtype) for item in seq]
    return [_number_of(item, np_dtype) for item in seq]


def _number_of(item, np_dtype):
    """One element where torch's store wants a number (Python's conversion errors)."""
    if isinstance(item, Tensor):
        if item._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return item._data.reshape(-1)[0]
    if isinstance(item, np.ndarray):
        if item.ndim:
            raise TypeError("only 0-dimensional arrays can be converted to Python scalars")
        return item[()]
    if isinstance(item, _SEQUENCES) or _other_sequence(item):
        if np_dtype.kind in "biu":
            raise TypeError(f"'{_dtype.type_name(item)}' object cannot be interpreted as an "
                            "integer")
        raise TypeError(f"must be real number, not {_dtype.type_name(item)}")
    return item


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    _check_dtype_arg(dtype, "as_tensor")
    meta = _on_meta(device)
    if isinstance(data, Tensor):  # (torch.as_tensor(meta, device="cpu") raises torch's error)
        where = _device.META if meta else data.device if device is None else _device.CPU
        return data.to(where, dtype)
    if meta:
        return tensor(data, dtype=dtype, device=_device.META)
    if isinstance(data, np.ndarray):
        if dtype is not None and data.dtype in _WIDE_UNSIGNED:  # (as tensor() does)
            return wrap(keep_numpy_strides(_cast(data, _dtype.to_dtype(dtype).np)))
        check_numpy_array(data)
        if not data.flags.writeable:  # (torch reads it through from_numpy)
            _warn_once("not writable", _NUMPY_NOT_WRITABLE)
        if dtype is None or _dtype.to_dtype(dtype).np == data.dtype:
            return wrap(keep_numpy_strides(data))
        return wrap(keep_numpy_strides(_cast_in_layout(data, _dtype.to_dtype(dtype).np)))
    return tensor(data, dtype=dtype)


_asarray_warned = {"requires_grad": False, "not writable": False}  # torch warns once each

_ASARRAY_REQUIRES_GRAD = (
    "torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
    "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
    "warning. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/"
    "tensor_new.cpp:1737.)"
)
_NUMPY_NOT_WRITABLE = (
    "The given NumPy array is not writable, and PyTorch does not support non-writable "
    "tensors. This means writing to this tensor will result in undefined behavior. You may "
    "want to copy the array to protect its data or make it writable before converting it to "
    "a tensor. This type of warning will be suppressed for the rest of this program. "
    "(Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/tensor_numpy.cpp:213.)"
)


def _warn_once(key: str, message: str) -> None:
    if not _asarray_warned[key]:
        _asarray_warned[key] = True
        warnings.warn(message, UserWarning, stacklevel=3)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None) -> Tensor:
    """``obj`` as a tensor, sharing memory with a tensor, NumPy array or buffer when it can
    (torch's ``asarray`` in tensor_new.cpp). ``copy=None`` copies only for another dtype,
    ``copy=True`` always, ``copy=False`` never (torch's ValueError where it would have to).
    ``requires_grad=None`` keeps a tensor's (with torch's one-time warning when that is
    True); a leaf that is returned itself gets the flag set on it, a non-leaf that should
    not require grad is detached."""
    _check_dtype_arg(dtype, "asarray")
    source = obj if isinstance(obj, Tensor) else None
    grad = requires_grad if requires_grad is not None else (
        source is not None and source.requires_grad)
    if grad and requires_grad is None:
        _warn_once("requires_grad", _ASARRAY_REQUIRES_GRAD)
    read_only, force_copy = False, copy is True
    if isinstance(obj, np.generic):
        if copy is False:
            raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or "
                               "transform it in a ndarray. ")
        source, force_copy = from_numpy(np.array(obj)), False  # (a fresh copy already)
    elif isinstance(obj, np.ndarray):  # (its warning for a read-only array: if it is shared)
        check_numpy_array(obj)
        source, read_only = wrap(keep_numpy_strides(obj)), not obj.flags.writeable
    elif source is None and _is_buffer(obj):
        from torchlet._ops.misc_api import frombuffer

        source = frombuffer(obj, dtype=dtype or _dtype.get_default_dtype())
    if source is None:  # a number or a sequence: always a new tensor
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        return _finish(tensor(obj, dtype=dtype)._data, grad, _on_meta(device))
    place = _device.device(device) if device is not None else \
        _device.META if _runtime.SETTINGS.default_device.type == "meta" else None
    wrong_dtype = dtype is not None and _dtype.to_dtype(dtype) != source.dtype
    if force_copy or (copy is None and (wrong_dtype or place not in (None, source.device))):
        if place is not None and place != source.device:
            if place.type not in ("cpu", "meta"):  # (as tensor.to(device) fails)
                raise RuntimeError(f"PyTorch is not linked with support for {place.type} "
                                   "devices")
            result = source.to(place, dtype, copy=True)
        else:
            result = source.to(dtype, copy=True) if wrong_dtype else source.clone()
    elif place not in (None, source.device):
        raise ValueError(f"can't alias tensor from device '{source.device}' to '{place}'.")
    elif wrong_dtype:
        words = _dtype.TYPE_WORDS
        raise ValueError(f"can't alias tensor with dtype '{words[source._data.dtype.name]}' "
                         f"into dtype '{words[_dtype.to_dtype(dtype).np.name]}'.")
    else:
        result = source
        if read_only:
            _warn_once("not writable", _NUMPY_NOT_WRITABLE)
    if not result.is_leaf:
        return result if grad else result.detach()
    if grad and result._data.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    result._requires_grad = bool(grad)
    return result


def _is_buffer(obj) -> bool:
    """Whether ``obj`` has Python's buffer protocol (bytes, bytearray, array.array, ...)."""
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes to either show in both."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    check_numpy_array(array)
    if not array.flags.writeable:
        _warn_once("not writable", _NUMPY_NOT_WRITABLE)
    return wrap(array if array.size else keep_numpy_strides(array))


# ---------------------------------------------------------------------------------------
# filled


# (``*sizes`` and ``size``: torch takes the shape by position or as ``size=``)
def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          pin_memory=False, requires_grad=False) -> Tensor:
    return _filled(np.zeros, "zeros", sizes, size, out, dtype, device, requires_grad, layout,
                   pin_memory)


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
         pin_memory=False, requires_grad=False) -> Tensor:
    return _filled(np.ones, "ones", sizes, size, out, dtype, device, requires_grad, layout,
                   pin_memory)


def _filled(make, name: str, sizes, size, out, dtype, device, requires_grad,
            layout=None, pin_memory=False) -> Tensor:
    """zeros / ones: ``make(shape, numpy dtype)``, or written into ``out``."""
    shape = _size_args(sizes, name, size)
    _check_dtype_arg(dtype, name)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags(name, requires_grad, pin_memory, _on_meta(device))
    if layout is not None:
        check_layout(layout, name)
    if out is not None:
        result = _filled(make, name, (shape,), None, None, _dtype_for_out(dtype, out, name),
                         device, False)
        return _creation_out(result, out, name)
    if _on_meta(device):
        make = meta_array
    return _finish(make(shape, _np_dtype(dtype)), requires_grad)


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    """Uninitialised values, as torch (don't read them before writing; under
    ``use_deterministic_algorithms(True)`` NaN or the largest integer), laid out in
    ``memory_format``: C order, or channels_last(_3d) with dim 1 innermost."""
    shape = _size_args(sizes, "empty", size)
    _check_dtype_arg(dtype, "empty")
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("empty", requires_grad, pin_memory, _on_meta(device))
    if layout is not None:
        check_layout(layout, "empty")
    check_memory_format(memory_format, "empty")
    if out is not None:  # (out resized to the shape, its values left as they are)
        if memory_format is not None:
            raise RuntimeError("'memory_format' argument is incompatible with 'out' tensor "
                               "argument")
        result = empty(shape, dtype=_dtype_for_out(dtype, out, "empty"), device=device)
        return _creation_out(result, out, "empty")
    meta = _on_meta(device)
    np_dtype = _np_dtype(dtype)
    if memory_format is _dtype.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    if meta:  # (its strides read as contiguous, whatever the format)
        return _finish(meta_array(shape, np_dtype), requires_grad)
    if memory_format is None or memory_format is _dtype.contiguous_format:
        return _finish(fill_uninitialized(np.empty(shape, np_dtype)), requires_grad)
    shaped = np.broadcast_to(np.empty((), np_dtype), shape)  # (only its shape is read)
    return _finish(fill_uninitialized(empty_in_layout(shaped, np_dtype, memory_format)),
                   requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         pin_memory=False, requires_grad=False) -> Tensor:
    _check_dtype_arg(dtype, "full")
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("full", requires_grad, pin_memory, _on_meta(device))
    if layout is not None:
        check_layout(layout, "full")
    check_number(fill_value, "full", "fill_value", 2)
    if out is not None:
        result = full(size, fill_value, dtype=_dtype_of_out(dtype, out), device=device)
        return _creation_out(result, out, "full")
    meta = _on_meta(device)
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor)
                                    else fill_value)
    if not isinstance(size, (tuple, list)):  # (full has no f(2, 3) form)
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{_arg_type_name(size)}")
    shape = _size_args((size,), "full")
    np_dtype = _np_dtype(dtype)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    value = fill_scalar(fill_value, np_dtype, math.prod(shape))
    if meta:
        return _finish(meta_array(shape, np_dtype), requires_grad)
    return _finish(np.full(shape, value, np_dtype), requires_grad)


_EYE_OVERLOADS = (("int n", CREATION_KEYWORDS), ("int n, int m", CREATION_KEYWORDS))


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, pin_memory=False,
        requires_grad=False) -> Tensor:
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True) \
            or dtype is not None:
        check_overloaded_flags("eye", (n,) if m is None else (n, m), dict(
            out=out, dtype=dtype, device=device, pin_memory=pin_memory,
            requires_grad=requires_grad), _EYE_OVERLOADS, _on_meta(device))
    if layout is not None:
        check_layout(layout, "eye")
    if out is not None:
        return _creation_out(eye(n, m, dtype=_dtype_of_out(dtype, out), device=device), out,
                             "eye")
    if type(n) is not builtins.int:
        n = _int(n, "eye", "n", 1)
    if m is not None and type(m) is not builtins.int:
        m = _int(m, "eye", "m", 2)
    meta = _on_meta(device)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    if meta:
        return _finish(meta_array((n, n if m is None else m), _np_dtype(dtype)), requires_grad)
    return _finish(np.eye(n, m, dtype=_np_dtype(dtype)), requires_grad)


def _check_not_bool(name: str, dtype) -> None:
    if dtype is not None and _dtype.to_dtype(dtype) == _dtype.bool:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")


def _dtype_of_out(dtype, out):
    """As torch, a creation function given ``out`` and no dtype computes in ``out``'s."""
    return out.dtype if dtype is None and isinstance(out, Tensor) else dtype


def _dtype_for_out(dtype, out, name: str):
    """The dtype a creation or sampling function given ``out`` computes in: ``out``'s;
    another ``dtype`` is torch's error."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and _dtype.to_dtype(dtype) != out.dtype:
        raise RuntimeError(
            f"dtype {_dtype.TYPE_WORDS[_dtype.to_dtype(dtype).np.name]} does not match dtype "
            f"of out parameter ({_dtype.TYPE_WORDS[out._data.dtype.name]})"
        )
    return out.dtype


def _creation_out(result: Tensor, out, name: str) -> Tensor:
    from torchlet._ops.pointwise.operands import _out

    # torch checks only that out does not require grad, naming the aten op
    return _out(result, out, f"aten::{name}", warn_resize=False)


def scalar_tensor(value, *, dtype=None, layout=None, device=None, pin_memory=False,
                  requires_grad=False) -> Tensor:
    _check_dtype_arg(dtype, "scalar_tensor")
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("scalar_tensor", requires_grad, pin_memory, _on_meta(device))
    if layout is not None:
        check_layout(layout, "scalar_tensor", any_layout=True)
    check_number(value, "scalar_tensor", "s", 1)
    return _finish(np.array(value, dtype=_np_dtype(dtype)), requires_grad, _on_meta(device))


# ---------------------------------------------------------------------------------------
# like another tensor


def like_array(input, dtype, memory_format, name: str, make=np.empty,  # noqa: A002
               device=None, layout=None, requires_grad=False,
               pin_memory=False) -> np.ndarray:
    """``make(shape, np_dtype)`` (np.empty, np.zeros, ...) for a tensor like ``input``, in
    ``dtype`` (input's if None), laid out as torch's ``memory_format``: preserve_format,
    the default, keeps a dense input's strides (``empty_like(x.t())`` is transposed too)
    and orders other inputs' dims by their strides (``infer_dense_strides``);
    contiguous_format is C order; channels_last(_3d) puts dim 1 innermost. On ``device``,
    else on the input's: a meta array if that is ``meta`` (the default device plays no
    part, as in torch)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    _check_dtype_arg(dtype, name)
    if layout is not None:
        check_layout(layout, name)
    a = input._data
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags(name, requires_grad, pin_memory,
                    is_meta_array(a) if device is None else is_meta_device(device))
    np_dtype = a.dtype if dtype is None else _dtype.to_dtype(dtype).np
    check_memory_format(memory_format, name)
    if is_meta_array(a) if device is None else is_meta_device(device):
        return meta_array(a.shape, np_dtype)
    if is_meta_array(a) and memory_format in (None, _dtype.preserve_format):
        memory_format = _dtype.contiguous_format  # (the layout a meta tensor reads as)
    return empty_in_layout(a, np_dtype, memory_format, make)


def zeros_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,  # noqa: A002
               requires_grad=False, memory_format=None) -> Tensor:
    return _finish(like_array(input, dtype, memory_format, "zeros_like", np.zeros, device,
                              layout, requires_grad, pin_memory), requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,  # noqa: A002
              requires_grad=False, memory_format=None) -> Tensor:
    return _finish(like_array(input, dtype, memory_format, "ones_like", np.ones, device,
                              layout, requires_grad, pin_memory), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, pin_memory=False,  # noqa: A002
               requires_grad=False, memory_format=None) -> Tensor:
    out = like_array(input, dtype, memory_format, "empty_like", device=device, layout=layout,
                     requires_grad=requires_grad, pin_memory=pin_memory)
    return _finish(fill_uninitialized(out), requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None,  # noqa: A002
              pin_memory=False, requires_grad=False, memory_format=None) -> Tensor:
    out = like_array(input, dtype, memory_format, "full_like", device=device, layout=layout,
                     requires_grad=requires_grad, pin_memory=pin_memory)
    check_number(fill_value, "full_like", "fill_value", 2)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    out[...] = fill_scalar(fill_value, out.dtype, out.size)
    return _finish(out, requires_grad)


# ---------------------------------------------------------------------------------------
# ranges


def parsed_scalar(value):
    """A number argument as torch's parser reads a Scalar: a NumPy integer as an int, any
    other NumPy scalar (``np.bool_`` included, which is no Python bool) as a float."""
    if isinstance(value, np.generic):
        return int(value) if isinstance(value, np.integer) else float(value)
    return value


_ARANGE_OVERLOADS = (
    ("Number end", CREATION_KEYWORDS),
    ("Number start, Number end", CREATION_KEYWORDS.replace("Tensor out = None, ", "")),
    ("Number start, Number end, Number step = 1", CREATION_KEYWORDS),
)


def arange(start=_OMITTED, end=None, step=_OMITTED, *, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False, out=None) -> Tensor:
    """Values ``start + i * step`` for ``i < ceil((end - start) / step)``, computed in
    double precision and rounded once to the dtype, as torch's CPU kernel does.

    torch's three overloads: ``arange(end)`` (``end=`` may be named), ``arange(start,
    end)`` and ``arange(start, end, step=1)``; a step needs both bounds."""
    if start is _OMITTED or (end is None and step is not _OMITTED):
        if start is not _OMITTED or end is None or step is not _OMITTED:
            named = {name: v for name, v in (("end", end), ("step", step))
                     if v is not None and v is not _OMITTED}
            raise _invalid_arguments("arange", () if start is _OMITTED else (start,), named,
                                     _ARANGE_OVERLOADS)
        start, end = end, None  # arange(end=n)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True) \
            or dtype is not None:
        bounds = (start,) if end is None else (start, end) if step is _OMITTED else \
            (start, end, step)
        check_overloaded_flags("arange", bounds, dict(
            out=out, dtype=dtype, device=device, pin_memory=pin_memory,
            requires_grad=requires_grad), _ARANGE_OVERLOADS, _on_meta(device))
    step = 1 if step is _OMITTED else step
    if layout is not None:
        check_layout(layout, "arange")
    if out is not None:
        bounds = (start,) if end is None else (start, end, step)
        result = arange(*bounds, dtype=_dtype_for_out(dtype, out, "arange"), device=device)
        return _creation_out(result, out, "arange")
    meta = _on_meta(device)
    if end is None:
        check_number(start, "arange", "end", 1)
        start, end = 0, start
    elif not all(isinstance(v, (numbers.Number, np.bool_)) or (
            isinstance(v, Tensor) and not v._data.ndim) for v in (start, end, step)):
        given = (start, end) if step == 1 and type(step) is int else (start, end, step)
        raise _invalid_arguments("arange", given, {}, _ARANGE_OVERLOADS)
    values = [v.item() if isinstance(v, Tensor) else parsed_scalar(v) for v in (start, end, step)]
    start, end, step = values
    if dtype is None:
        is_float = any(isinstance(v, float) for v in values)
        dtype = _dtype.get_default_dtype() if is_float else _dtype.int64
    np_dtype = _dtype.to_dtype(dtype).np
    if np_dtype == np.bool_ and not meta:  # torch's CPU kernel has no bool version at all
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not all(math.isfinite(v) for v in values):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    integral = all(isinstance(v, (int, np.integer)) for v in values)
    if np_dtype == np.int64 and not integral:
        # torch's int64 kernel truncates start, end and step to integers first
        start, end, step = (math.trunc(v) for v in values)
        if step == 0:
            raise ValueError("step must be nonzero")
        integral = True
    if np_dtype.kind in "iub" and integral:  # (bool only on meta, for the shape)
        # counted in int64, then wrapped into a narrower type as torch's kernel casts:
        # arange(-16, -3, dtype=uint8) is 240, 241, ... (NumPy refuses -16 as a uint8)
        data = np.arange(start, end, step, dtype=np.int64).astype(np_dtype, copy=False)
    elif np_dtype.kind in "iu":
        # torch's narrower integer kernels count the elements in double, then step from
        # the truncated start by the truncated step (a step below 1 repeats the start)
        n = math.ceil((end - start) / step)
        data = (math.trunc(start) + np.arange(n) * math.trunc(step)).astype(np_dtype)
    else:
        data = _float_arange(start, step, math.ceil((end - start) / step), np_dtype)
    return _finish(data, requires_grad, meta)


def _float_arange(start, step, n: int, np_dtype) -> np.ndarray:
    """torch's CPU kernel (RangeFactoriesKernel.cpp, its AVX2 build, one thread): it works
    in ``acc`` (double; float for float16) and writes two vectors of W = 32 bytes / itemsize
    lanes per loop. The vector starting at index j holds ``dtype(base + i * step)``,
    ``i < W``, with ``base = dtype(start + step * j)``; the elements after the last pair of
    vectors are ``dtype(start + step * k)``. Each ``x * y + z`` is one fused multiply-add
    (the compiler contracts it), rounded once in ``acc``. (With several threads and more
    than 32768 elements torch splits the range into chunks, each restarting this pattern;
    torchlet gives the one-thread values.)"""
    acc = np.float32 if np_dtype == np.float16 else np.float64
    start, step = acc(start), acc(step)
    if _all_exact(start, step, n, np_dtype):  # nothing rounds: arange(10.), step 0.5, ...
        return (np.arange(n, dtype=acc) * step + start).astype(np_dtype)
    lanes = 32 // np_dtype.itemsize
    vectorised = n // (2 * lanes) * (2 * lanes)
    base = _fma_rounded(np.arange(0, vectorised, lanes, dtype=acc), step, start, np_dtype)
    # (lane by vector, so that NumPy's inner loops run over the long axis)
    head = _fma_rounded(np.arange(lanes, dtype=acc)[:, None], step, base.astype(acc), np_dtype)
    tail = _fma_rounded(np.arange(vectorised, n, dtype=acc), step, start, np_dtype)
    return np.concatenate((head.T.reshape(-1), tail))


def _all_exact(start, step, n: int, np_dtype) -> bool:
    """Whether every ``start + k * step``, ``k < n``, is exact in ``np_dtype``: on the grid
    of the finer of the two's last bits, and within the significand's range of it."""
    (a, p), (b, q) = start.as_integer_ratio(), step.as_integer_ratio()
    grid = max(p, q)  # both denominators are powers of two
    first, last = a * (grid // p), a * (grid // p) + (n - 1) * b * (grid // q)
    info = np.finfo(np_dtype)
    return (grid <= 2 ** -int(np.log2(info.smallest_subnormal))
            and max(abs(first), abs(last)).bit_length() <= info.nmant + 1)


def _fma_rounded(k: np.ndarray, step, c, np_dtype) -> np.ndarray:
    """``np_dtype(k * step + c)``, the multiply-add fused in ``step``'s dtype ``acc``, for
    integers ``k >= 0`` (and ``c`` broadcast against them). Where ``k * step`` is exact the
    plain multiply-add rounds once too. Into ``acc`` itself the other elements are fused
    exactly (``_fma``: error-free transformations, several times slower). Into a narrower
    ``np_dtype`` the plain one serves: it is within ``3u * s`` of the fused one (u half an
    ``acc`` ulp of 1, s = ``|k * step| + |c|``), so both round to the same number
    wherever the interval ``plain +- 8u * s`` does; the few elements where it does not (at
    a rounding boundary, or where ``k * step`` and ``c`` nearly cancel) are fused exactly."""
    prod = k * step
    plain = prod + c
    if np_dtype == step.dtype:
        fuse = np.broadcast_to(_two_product_error(k, step, prod) != 0, plain.shape)
    else:
        bound = np.abs(prod) + np.abs(c)
        bound *= 4 * np.finfo(step.dtype).eps
        fuse = (plain + bound).astype(np_dtype) != (plain - bound).astype(np_dtype)
        plain = plain.astype(np_dtype)
    if fuse.any():
        where = np.nonzero(fuse)
        k, c = (np.broadcast_to(x, plain.shape)[where] for x in (k, c))
        plain[where] = _fma(k, step, c)
    return plain


def linspace(start=_OMITTED, end=_OMITTED, steps=_OMITTED, *, out=None, dtype=None,
             layout=None, device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """``steps`` evenly spaced values; like torch's kernel, the first half counts up from
    ``start`` and the second half down from ``end``, in the output dtype."""
    _check_space_args("linspace", start, end, steps, "", dict(
        out=out, dtype=dtype, device=device, pin_memory=pin_memory,
        requires_grad=requires_grad))
    if layout is not None:
        check_layout(layout, "linspace")
    if out is not None:
        result = linspace(start, end, steps, dtype=_dtype_of_out(dtype, out), device=device)
        return _creation_out(result, out, "linspace")
    _check_not_bool("linspace", dtype)
    meta = _on_meta(device)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    np_dtype = _np_dtype(dtype)
    # (a 0-d tensor bound is read with .item(), as torch's Tensor overloads do: an
    # integer one stays an integer, -5 wraps into uint8)
    start, end = (v.item() if isinstance(v, Tensor) else parsed_scalar(v) for v in (start, end))
    return _finish(_linspace(start, end, int(steps), np_dtype), requires_grad, meta)


def _check_space_args(name, start, end, steps, extra, keywords) -> None:
    """torch binds linspace / logspace four times (start and end each a Tensor or a
    Number; ``steps`` an int): a call that fits none is "an invalid combination" (the
    arguments listed as if all were positional: which were keywords is not known here)."""
    def is_bound(x):  # (np.bool_ is no numbers.Number, but torch's parser takes it)
        return isinstance(x, (Tensor, numbers.Number, np.bool_)) and not isinstance(
            x, np.ndarray)

    args = [a for a in (start, end, steps) if a is not _OMITTED]
    overloads = [(f"{a} start, {b} end, int steps{extra}", CREATION_KEYWORDS)
                 for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"),
                              ("Number", "Number"))]
    if is_bound(start) and is_bound(end) and isinstance(steps, (int, np.integer)) \
            and not isinstance(steps, bool):
        check_overloaded_flags(name, args, keywords, overloads, _on_meta(keywords["device"]))
        return
    given = {k: v for k, v in keywords.items() if v is not None and v is not False}
    raise _invalid_arguments(name, args, given, overloads)


def _linspace(start, end, steps, np_dtype):
    """torch's CPU kernel: ``step = (end - start) / (steps - 1)`` in the output dtype (in
    float64 for integers), the first half ``start + step * i`` and the second half
    ``end - step * (steps - 1 - i)``, each one fused multiply-add (the compiler contracts
    them in torch's vectorised builds); float16 rounds at every step (c10::Half has no
    fused form); integers are truncated from the float64 values."""
    if steps == 0:
        return np.empty(0, np_dtype)
    if steps == 1:  # torch fills with start (fill_: one float16 element unchecked)
        return np.full(1, fill_scalar(start, np_dtype, 1), np_dtype)
    integral = np_dtype.kind in "iu"
    if integral:  # start and end become the dtype's integers first (Scalar.to<scalar_t>:
        # floats truncate and must fit, negative ints wrap into uint8: -5 is 251)
        work = np.dtype(np.float64)
        lo, hi = (work.type(int(checked_scalar(v, np_dtype))) for v in (start, end))
    else:
        work = np_dtype
        lo, hi = _cast(np.array([start, end], np.float64), work)
    step = (hi - lo) / work.type(steps - 1)
    i = np.arange(steps)
    up, down = i.astype(work), (i - (steps - 1)).astype(work)  # down: -(steps - 1 - i)
    if work == np.float16:
        up, down = lo + step * up, hi + step * down
    else:
        up = _fma(up, step, np.full(steps, lo, work))
        down = _fma(down, step, np.full(steps, hi, work))
    return np.where(i < steps // 2, up, down).astype(np_dtype, copy=False)


def _logspace(start, end, steps, base, np_dtype):
    """torch's logspace (not vectorised, no fused steps): start and end in the output
    dtype, their difference there too, then in float64 ``step = diff / (steps - 1)`` and
    ``base ** (start + step * i)`` for the first half, ``base ** (end - step * (steps -
    1 - i))`` for the second, each rounded to the output dtype."""
    if steps == 0:
        return np.empty(0, np_dtype)
    if steps == 1:  # (fill_: one float16 element unchecked, 10 ** 6 is inf)
        return np.full(1, fill_scalar(_pow(float(base), float(start)), np_dtype, 1), np_dtype)
    if np_dtype.kind in "iu":  # the dtype's integers, as linspace's (their C++ difference
        # is an int: uint8's 245 - 2 is 243)
        lo, hi = (int(checked_scalar(v, np_dtype)) for v in (start, end))
        diff = float(hi - lo)
    else:
        lo, hi = np_dtype.type(start), np_dtype.type(end)
        diff = float(hi - lo)  # rounded in the output dtype first (float16 too)
    step = diff / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    exponents = np.where(i < steps // 2, float(lo) + step * i,
                         float(hi) - step * (steps - 1 - i))
    # the C library's pow, element by element: NumPy's vectorised float64 power is not
    # always the correctly rounded one (1 ulp off on some inputs)
    base = float(base)
    values = np.array([_pow(base, x) for x in exponents.tolist()])
    if np_dtype == np.float16:  # c10::Half is made from a float: the double rounds twice
        values = values.astype(np.float32)
    return values.astype(np_dtype)


def _pow(base: float, exponent: float) -> float:
    """C's pow: math.pow, with IEEE's inf and nan where Python raises instead."""
    try:
        return math.pow(base, exponent)
    except (OverflowError, ValueError):
        return float(np.power(base, exponent))


def logspace(start=_OMITTED, end=_OMITTED, steps=_OMITTED, base=10.0, *, out=None,
             dtype=None, layout=None, device=None, pin_memory=False,
             requires_grad=False) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    _check_space_args("logspace", start, end, steps, ", float base = 10.0", dict(
        out=out, dtype=dtype, device=device, pin_memory=pin_memory,
        requires_grad=requires_grad))
    if layout is not None:
        check_layout(layout, "logspace")
    if out is not None:
        result = logspace(start, end, steps, base, dtype=_dtype_of_out(dtype, out),
                          device=device)
        return _creation_out(result, out, "logspace")
    _check_not_bool("logspace", dtype)
    meta = _on_meta(device)
    np_dtype = _np_dtype(dtype)
    # (a 0-d tensor bound is read with .item(), as torch's Tensor overloads do: an
    # integer one stays an integer, -5 wraps into uint8)
    start, end = (v.item() if isinstance(v, Tensor) else parsed_scalar(v) for v in (start, end))
    return _finish(_logspace(start, end, steps, base, np_dtype), requires_grad, meta)

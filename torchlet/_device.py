"""torch.device, and the two devices torchlet has: the CPU and ``meta``.

A meta tensor has a shape, a dtype and no values (torch uses them to build a model before
its weights exist, or to work out shapes). Here its values are a ``MetaArray``: a NumPy
array whose elements are all one read-only zero, so it takes no memory whatever its size.
"""

from __future__ import annotations

import operator

import numpy as np

_NO_TYPE = object()  # (torch.device() with no type is an error)


class device:  # noqa: N801 - torch's name
    __slots__ = ("type", "index")

    def __init__(self, type=_NO_TYPE, index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device) and index is None:
            type, index = type.type, type.index
        elif isinstance(type, str):
            type, index = _parse(type, index)
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            _check_index(type)  # an int is an accelerator's index, and there is none
            raise RuntimeError("Cannot access accelerator device when none is available.")
        else:
            raise _bad_arguments(type, index)
        self.type = type
        self.index = index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        """Equal to another device of the same type and index; never to a string
        (``torch.device('cpu') == 'cpu'`` is False in torch, and ``!=`` is True)."""
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        """torch's ``std::hash<c10::Device>``: the type's number in the high bits, the index
        as a uint8 (no index = -1 = 255) in the low byte; cpu -> 255, cuda:1 -> 65537."""
        index = 255 if self.index is None else self.index & 0xFF
        return (_TYPE_NUMBERS[self.type] << 16) | index

    def _no_order(self, other):
        """Devices have no order: torch raises TypeError for ``<`` between two devices."""
        if isinstance(other, device):
            raise TypeError("comparison not implemented")
        return NotImplemented

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __enter__(self):
        """``with torch.device("meta"):``: tensors and modules made inside land on this
        device (torch's DeviceContext); blocks nest, each restores what it replaced."""
        from torchlet import _runtime  # (_runtime imports this module)

        _runtime.push_default_device(self)
        return self

    def __exit__(self, *exc_info):
        from torchlet import _runtime

        _runtime.pop_default_device()


# c10::DeviceType's numbers (used by the hash), in the order torch lists the names
_TYPE_NUMBERS = {"cpu": 0, "cuda": 1, "ipu": 18, "xpu": 12, "mkldnn": 2, "opengl": 3,
                 "opencl": 4, "ideep": 5, "hip": 6, "ve": 16, "fpga": 7, "maia": 8, "xla": 9,
                 "lazy": 17, "vulkan": 10, "mps": 13, "meta": 14, "hpu": 15, "mtia": 19,
                 "privateuseone": 20}


def _parse(text: str, index):
    """c10's device string ``type[:index]``: a type of letters and '_', an index of digits
    without a leading zero; anything else is an "Invalid device string"."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    name, colon, number = text.partition(":")
    valid = (name and all(c.isascii() and (c.isalpha() or c == "_") for c in name)
             and (not colon or (number.isascii() and number.isdigit()
                                and (number == "0" or number[0] != "0"))))
    if not valid:
        raise RuntimeError(f"Invalid device string: '{text}'")
    if name not in _TYPE_NUMBERS:
        raise RuntimeError(
            f"Expected one of {', '.join(_TYPE_NUMBERS)} device type at start of device "
            f"string: {name}"
        )
    if colon and index is not None:
        raise RuntimeError("type (string) must not include an index because index was passed "
                           f"explicitly: {text}")
    if colon:
        if len(number) > 9:  # (std::stoi overflows past int32; c10 stores an int8 anyway)
            raise RuntimeError(f"Could not parse device index '{number}' in device string "
                               f"'{text}'")
        return name, int(number)
    if index is not None:
        index = _as_index(index)
        _check_index(index)
    return name, index


def _as_index(index) -> int:
    """An explicit index: anything with ``__index__`` (a NumPy int, an int tensor), not a
    bool."""
    try:
        if not isinstance(index, bool):
            return operator.index(index)
    except TypeError:
        pass
    raise TypeError("device(): argument 'index' (position 2) must be int, not "
                    f"{_type(index).__name__}")


def _check_index(index: int) -> None:
    if index < 0:
        raise RuntimeError("Device index must not be negative")


def _bad_arguments(kind, index) -> TypeError:
    """torch's error for a device made from neither a string, an int nor a device."""
    if kind is _NO_TYPE:
        return TypeError("device() received an invalid combination of arguments - got (), "
                         "but expected one of:\n * (torch.device device)\n"
                         " * (str type, int index = -1)\n")
    if index is not None:
        name = "torch.device" if isinstance(kind, device) else _type(kind).__name__
        return TypeError(f"device(): argument 'type' (position 1) must be str, not {name}")
    name = _type(kind).__name__
    return TypeError(
        f"device() received an invalid combination of arguments - got ({name}), but expected "
        f"one of:\n * (torch.device device)\n      didn't match because some of the arguments "
        f"have invalid types: (!{name}!)\n * (str type, int index = -1)\n"
    )


_type = type  # (``type`` is the constructor's argument name above)


CPU = device("cpu")
META = device("meta")


def check_cpu(where) -> None:
    """Refuse a non-CPU device with the error PyTorch gives on a machine without one."""
    if where is None:
        return
    kind = device(where).type
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if kind != "cpu":
        raise RuntimeError(f"PyTorch is not linked with support for {kind} devices")


def is_meta_device(where) -> bool:
    """Whether ``where`` (a device or its string) is ``meta``; a device torchlet lacks is
    refused as ``check_cpu`` refuses it."""
    place = where if isinstance(where, device) else device(where)
    if place.type == "meta":
        return True
    check_cpu(place)
    return False


# ---------------------------------------------------------------------------------------
# the values of meta tensors

# Every meta array is a zero-stride view of this one buffer (16 bytes: any dtype's zero).
_META_BUFFER = np.zeros(16, np.uint8)
_META_BUFFER.flags.writeable = False


class MetaArray(np.ndarray):
    """The values of a meta tensor: none. NumPy keeps the class through views (reshape,
    transpose, slicing) and hands every ufunc and array function that meets one to the
    two methods below: they run the operation on zeros, to learn the result's shape and
    dtype (and raise NumPy's errors), and return meta arrays in place of its results.
    Writing into a meta array changes nothing: it has nothing to change."""

    # (Operands on the CPU are let through, where torch refuses all but 0-d ones: torchlet's
    # operations mix the meta arrays with buffers of their own, on the CPU.)
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is not None:  # a meta destination gets a scratch copy, a CPU one the values
            kwargs["out"] = tuple(_plain(x) for x in out)
        with np.errstate(all="ignore"):
            result = getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _as_meta(result)

    def __array_function__(self, func, types, args, kwargs):
        with np.errstate(all="ignore"):
            result = func(*_plain(args), **_plain(kwargs))
        out = kwargs.get("out")
        return out if out is not None else _as_meta(result)

    def __setitem__(self, key, value):
        _plain(self)[key] = _plain(value)  # (NumPy checks the key and the shape)

    def fill(self, value):
        pass

    def copy(self, order="C"):
        return meta_array(self.shape, self.dtype)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return meta_array(self.shape, dtype)


def meta_array(shape, dtype) -> MetaArray:
    """Values of a meta tensor of ``shape`` and ``dtype`` (NumPy's)."""
    shape = tuple(shape)
    return np.ndarray.__new__(MetaArray, shape, dtype, buffer=_META_BUFFER,
                              strides=(0,) * len(shape))


def is_meta_array(a: np.ndarray) -> bool:
    """Whether ``a`` holds a meta tensor's values: a MetaArray or a view of one, however
    made (``np.asarray`` and ``as_strided`` give plain NumPy views, whose chain of bases
    still leads to a MetaArray or to the meta buffer)."""
    if type(a) is MetaArray:
        return True
    link: object = a.base
    while link is not None:
        if type(link) is MetaArray or link is _META_BUFFER:
            return True
        link = getattr(link, "base", None)
    return False


def _plain(x):
    """``x`` with every meta array in it (in lists, tuples and dicts too) replaced by
    writable zeros of its shape and dtype (one element, zero strides)."""
    if isinstance(x, np.ndarray) and is_meta_array(x):
        return np.lib.stride_tricks.as_strided(np.zeros(1, x.dtype), x.shape,
                                               (0,) * x.ndim, writeable=True)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(item) for item in x)
    if isinstance(x, dict):
        return {key: _plain(value) for key, value in x.items()}
    return x


def _as_meta(result):
    """NumPy's ``result`` with every array (or NumPy scalar) in it made a MetaArray."""
    if isinstance(result, (np.ndarray, np.generic)):
        return meta_array(np.shape(result), result.dtype)
    if isinstance(result, (list, tuple)):
        items = [_as_meta(item) for item in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result

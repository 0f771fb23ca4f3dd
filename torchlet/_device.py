"""torch.device, and the two devices torchlet has: the CPU and ``meta``.

A meta tensor has a shape, a dtype and no values (torch uses them to build a model before
its weights exist, or to work out shapes). Here its values are a ``MetaArray``: a NumPy
array whose elements are all one read-only zero, so it takes no memory whatever its size.
"""

from __future__ import annotations

import operator

import numpy as np

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # NumPy 1 keeps it in numpy.core.numeric (np.lib.array_utils is new in 2.0)
    from numpy.core.numeric import normalize_axis_tuple  # type: ignore[no-redef]

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

# A meta tensor's array is a zero-stride view of this one buffer (16 bytes: any dtype's
# zero), so it takes no memory whatever its shape.
_META_BUFFER = np.zeros(16, np.uint8)
_META_BUFFER.flags.writeable = False


class MetaArray(np.ndarray):
    """The array of a meta tensor: one read-only element seen at every index (all strides
    zero). A meta tensor's reads as zeros.

    torchlet runs an operation's NumPy code on the meta arrays of its inputs to learn the
    shapes and dtypes of its results and raise its errors (``apply_on_meta`` in
    ``autograd.function`` keeps only those). To that code (``META_KERNEL.on``) a meta
    array is a *uniform* array, every element one value, and NumPy answers as for any
    uniform array:

    * elementwise ufuncs, reductions and matmul are worked out from one element and
      give a meta array (uniform) of the result's shape: O(1) whatever the size; views
      (transpose, reshape, slicing, broadcast_to, ...) stay meta arrays;
    * anything else (sort, nonzero, cumsum, concatenate, ...) runs on the zero-stride
      data and gives NumPy's ordinary array, with the values it has for a uniform CPU
      array, so code that branches on values goes as it would there. Its cost grows
      with the size.

    Elsewhere (code that makes tensors of NumPy's results itself) every result is a meta
    tensor's array, of zeros. Writing into a meta array changes nothing.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if out is None and "where" not in kwargs:
            if method == "__call__":
                if ufunc.signature is None:
                    result = _uniform_call(ufunc, inputs, kwargs)
                elif ufunc is np.matmul and len(inputs) == 2:
                    result = _uniform_matmul(*inputs, kwargs)
                else:
                    result = None
                if result is not None:
                    return result
            elif method == "reduce":
                result = _uniform_reduce(ufunc, *inputs, **kwargs)
                if result is not None:
                    return result
        if out is not None:  # a meta destination gets a scratch copy, a CPU one the values
            kwargs["out"] = tuple(_plain(x) for x in out)
        with np.errstate(all="ignore"):
            result = getattr(ufunc, method)(*_plain(inputs), **_plain(kwargs))
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _uniform_or_plain(result)

    def __array_function__(self, func, types, args, kwargs):
        with np.errstate(all="ignore"):
            result = func(*_plain(args), **_plain(kwargs))
        out = kwargs.get("out")
        return out if out is not None else _uniform_or_plain(result)

    def __setitem__(self, key, value):
        _plain(self)[key] = _plain(value)  # (NumPy checks the key and the shape)

    def fill(self, value):
        pass

    def copy(self, order="C"):
        return _result(self.shape, _element(self))

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return _result(self.shape, _element(self).astype(dtype))


class _KernelMode:
    """Whether an operation's forward is running on meta arrays (see MetaArray)."""

    __slots__ = ("on",)

    def __init__(self):
        self.on = False


META_KERNEL = _KernelMode()


def meta_array(shape, dtype, value=None) -> MetaArray:
    """A meta array of ``shape`` and ``dtype`` (NumPy's): a meta tensor's (zeros) or, with
    ``value`` (a NumPy scalar or 0-d array), a uniform one of that value."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    buffer = _META_BUFFER
    if value is not None:
        with np.errstate(all="ignore"):  # (a NaN cast to an integer dtype, ...)
            value = np.asarray(value).astype(dtype)
        if value.tobytes() != bytes(dtype.itemsize):  # (a zero, not -0.0: the meta buffer)
            # its own one element, in a MetaArray: NumPy's views (np.asarray's too) keep
            # a chain of bases that ends there, where is_meta_array finds it
            buffer = np.ndarray.__new__(MetaArray, (1,), dtype)
            np.ndarray.__setitem__(buffer, 0, value)
            buffer.flags.writeable = False
    return np.ndarray.__new__(MetaArray, shape, dtype, buffer=buffer,
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


def on_meta(a) -> bool:
    """``is_meta_array(a)`` behind one type test: a CPU tensor's array is exactly an
    ndarray, so the CPU paths of operations that branch for meta pay only that test."""
    return type(a) is not np.ndarray and is_meta_array(a)


# torch's errors for what a meta tensor cannot do: read a value, or run an operation whose
# result's shape depends on the values (nonzero has a meta kernel that refuses; the others
# have none)
NO_META_ITEM = "Tensor.item() cannot be called on meta tensors"
META_NONZERO = (
    "The register_meta function for torch.nonzero() raises unimplemented by default, as a "
    "correct data-independent implementation does not exist. This implementation returns a "
    "fake value, assuming all elements of the tensor are non-zero. To enable this "
    "registration, please set 'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero'"
    " to True."
)


def no_meta_kernel(op: str) -> NotImplementedError:
    """torch's error for ``aten::op`` on meta tensors when it has no meta kernel."""
    return NotImplementedError(
        f"aten::{op}: attempted to run this operator with Meta tensors, but there was no fake "
        "impl or Meta kernel registered. You may have run into this message while using an "
        "operator with PT2 compilation APIs (torch.compile/torch.export); in order to use "
        "this operator with those APIs you'll need to add a fake impl. Please see the "
        "following for next steps:  https://pytorch.org/tutorials/advanced/custom_ops_landing"
        "_page.html"
    )


def _uniform(x) -> bool:
    """Whether array ``x`` has one value at every index: a meta array (NumPy's operations
    keep one uniform: views, fancy indexing, sorting), or all strides zero (0-d too)."""
    return type(x) is MetaArray or not any(x.strides)


def _element(x: np.ndarray) -> np.ndarray:
    """The one value of uniform ``x`` (an array or a NumPy scalar), as a 0-d array (zero
    when ``x`` is empty)."""
    if not isinstance(x, np.ndarray):
        return np.asarray(x)
    if not x.size:
        return np.zeros((), x.dtype)
    return np.ndarray.__getitem__(x.view(np.ndarray), (slice(0, 1),) * x.ndim).reshape(())


def _uniform_call(ufunc, inputs, kwargs):
    """An elementwise ``ufunc(*inputs)`` of uniform arrays: its result on one element of
    each, seen at every index of the broadcast shape; None when an array input is not
    uniform."""
    shapes, elements = [], []
    for x in inputs:
        if isinstance(x, np.ndarray):
            if not _uniform(x):
                return None
            shapes.append(x.shape)
            x = _element(x)
        elif not isinstance(x, (int, float, bool, np.generic)):
            return None  # (a list, ...: NumPy makes an array of it)
        elements.append(x)
    shape = np.broadcast_shapes(*shapes)  # (NumPy's ValueError when they do not)
    with np.errstate(all="ignore"):
        result = ufunc(*elements, **kwargs)
    if type(result) is tuple:
        return tuple(_result(shape, r) for r in result)
    return _result(shape, result)


_REDUCE_ARGUMENTS = ("axis", "dtype", "out", "keepdims", "initial", "where")


def _uniform_reduce(ufunc, array, *args, **kwargs):
    """``ufunc.reduce(array, ...)`` of a uniform array: the reduction of a one-element
    slice (NumPy checks the axes and the dtype; an empty dim stays empty, and raises
    what it raises), seen at every index of the result's shape. A sum of ``n`` equal
    values is the value times ``n``. None where ``out`` or ``where`` is given."""
    params = dict(zip(_REDUCE_ARGUMENTS, args), **kwargs)
    if params.get("out") is not None or "where" in params or not (
            isinstance(array, np.ndarray) and _uniform(array)):
        return None
    axis = params.get("axis", 0)
    small = np.ndarray.__getitem__(array.view(np.ndarray), (slice(0, 1),) * array.ndim)
    with np.errstate(all="ignore"):
        result = np.asarray(ufunc.reduce(small, **params))
    ndim = array.ndim
    axes = normalize_axis_tuple(
        tuple(range(ndim)) if axis is None else axis, ndim)
    shape = [1 if i in axes else n for i, n in enumerate(array.shape)
             if params.get("keepdims") or i not in axes]
    value = _element(result)
    count = int(np.prod([array.shape[i] for i in axes]))
    if ufunc is np.add and count > 1 and value.dtype.kind in "iuf":
        with np.errstate(all="ignore"):
            value = (value * count).astype(value.dtype)
    return _result(shape, value)


def _uniform_matmul(a, b, kwargs):
    """``a @ b`` of uniform arrays: from one row of ``a`` and one column of ``b`` (NumPy
    checks the inner dims and the dtypes); None when either is not uniform."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
            and _uniform(a) and _uniform(b)) or not (a.ndim and b.ndim):
        return None
    row = np.ndarray.__getitem__(a.view(np.ndarray), (slice(0, 1),) * (a.ndim - 1))
    keep = b.ndim - 2 if b.ndim > 1 else 0  # (b's inner dim: its rows)
    column = np.ndarray.__getitem__(
        b.view(np.ndarray), tuple(slice(None) if i == keep else slice(0, 1)
                                 for i in range(b.ndim)))
    with np.errstate(all="ignore"):
        result = np.matmul(row, column, **kwargs)
    shape = (np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + a.shape[-2:-1]
             + b.shape[-1:] * (b.ndim > 1))
    return _result(shape, _element(result))


def _result(shape, value) -> MetaArray:
    """A uniform result of ``shape``: ``value`` (a 0-d array) at every index."""
    return meta_array(shape, value.dtype, value)


def _uniform_or_plain(result):
    """NumPy's ``result`` on the zero-stride data of meta arrays. Inside an operation's
    forward: a meta array where it is uniform by its layout (zero strides: a view), else
    the NumPy array as it is. Elsewhere: meta arrays (in tuples and lists too)."""
    if isinstance(result, (np.ndarray, np.generic)):
        if not META_KERNEL.on:
            return meta_array(np.shape(result), result.dtype)
        if isinstance(result, np.ndarray) and result.size > 1 and not any(result.strides):
            return meta_array(result.shape, result.dtype, _element(result))
        return result
    if isinstance(result, (list, tuple)):
        items = [_uniform_or_plain(item) for item in result]
        return type(result)(*items) if hasattr(result, "_fields") else type(result)(items)
    return result


def _plain(x):
    """``x`` with every meta array in it (in lists, tuples and dicts too) replaced by a
    plain writable array of its shape and dtype: its one value, at zero strides."""
    if isinstance(x, np.ndarray) and is_meta_array(x):
        return np.lib.stride_tricks.as_strided(np.array(_element(x)).reshape(1), x.shape,
                                               (0,) * x.ndim, writeable=True)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(item) for item in x)
    if isinstance(x, dict):
        return {key: _plain(value) for key, value in x.items()}
    return x

"""torch.storage: the memory behind tensors, as ``tensor.untyped_storage()`` and
``tensor.storage()`` show it.

A torchlet tensor holds a NumPy array; its storage is the block of memory that array
views: the array at the end of NumPy's ``base`` chain, which owns the bytes. A tensor and
all its views (slices, transposes, reshapes) therefore report one storage with one
``data_ptr()``, as in torch, and writing through a storage changes every tensor on it.

* ``UntypedStorage``: the bytes. Indexing gives ints 0-255; a slice is a storage viewing
  part of the bytes.
* ``TypedStorage``: the same bytes read as elements of a dtype (``tensor.storage()``, which
  torch deprecates with a warning, given once per process as torch gives it).

As in torch, asking twice for the storage of the same memory gives the same object while
it is alive. Storages of tensors cannot be resized here (torch's message for
non-resizable storages): a NumPy array never changes its memory.

A storage's ``float()``, ``long()``, ... convert its values into a new TypedStorage (an
UntypedStorage's values are its bytes, 0 to 255), as torch's do. The legacy classes
(``FloatStorage``, ...) are in torchlet/_typed_storages.py. ``Tensor.set_`` (below) points
a tensor at the memory of another tensor or of a storage.
"""

from __future__ import annotations

import builtins
import collections.abc
import warnings
import weakref

import numpy as np

from torchlet import _dtype
from torchlet._device import device as _device
from torchlet._device import is_meta_array, meta_array
from torchlet._ops.shape.common import contiguous_strides
from torchlet._tensor import Tensor, _check_inplace_allowed, bump_version, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

__all__ = ["TypedStorage", "UntypedStorage"]

_CPU = _device("cpu")


def _owner(array: np.ndarray) -> np.ndarray:
    """The array owning the memory that ``array`` views (NumPy's ``base`` chain, through
    the helper object that ``as_strided`` and ``broadcast_to`` leave in it)."""
    while True:
        base = array.base
        below = getattr(base, "base", None)
        if isinstance(base, np.ndarray):
            array = base
        elif isinstance(below, np.ndarray):
            array = below
        else:
            return array


def _bytes_of(owner: np.ndarray) -> np.ndarray:
    """``owner``'s memory as a flat uint8 array (its dims ordered by stride: a block that
    owns its memory is dense in some order)."""
    order = sorted(range(owner.ndim), key=lambda d: -abs(owner.strides[d]))
    dense = owner.transpose(order)
    if dense.flags.c_contiguous:
        return dense.reshape(-1).view(np.uint8)
    return np.ascontiguousarray(dense).reshape(-1).view(np.uint8)  # not one block: a copy


_LIVE: dict[int, weakref.ref] = {}  # id of an owning array -> its live UntypedStorage


def _storage_of_array(array: np.ndarray) -> UntypedStorage:
    """The UntypedStorage of the memory ``array`` views: the same object while it lives."""
    owner = _owner(array)
    ref = _LIVE.get(id(owner))
    storage = ref() if ref is not None else None
    if storage is None or storage._owner is not owner:
        storage = UntypedStorage._wrap(_bytes_of(owner), owner)
        _LIVE[id(owner)] = weakref.ref(storage, _forget(id(owner)))
    return storage


def _forget(key: int):
    """The callback that drops ``key`` from _LIVE when its storage dies."""
    def callback(_) -> None:
        _LIVE.pop(key, None)
    return callback


def untyped_storage(tensor) -> UntypedStorage:
    """``tensor.untyped_storage()``."""
    return _storage_of_array(tensor._data)


def typed_storage(tensor) -> TypedStorage:
    """``tensor.storage()``: torch warns that TypedStorage is deprecated."""
    _warn_typed_storage_removal(stacklevel=3)
    return TypedStorage._wrap(untyped_storage(tensor), tensor.dtype)


def storage_type(tensor):
    """``tensor.storage_type()``: the legacy storage class of its dtype (None on 'meta', as
    torch answers for devices without such classes)."""
    from torchlet._typed_storages import storage_class

    _warn_typed_storage_removal(stacklevel=3)
    return None if is_meta_array(tensor._data) else storage_class(tensor.dtype)


# ---------------------------------------------------------------------------------------
# Tensor.set_: a tensor re-pointed at other memory


_SET_SIGNATURES = (
    " * ()\n * (torch.Storage source)\n"
    " * (torch.Storage source, int storage_offset, tuple of ints size, tuple of ints stride "
    "= ())\n * (Tensor source)\n"
    " * (Tensor source, int storage_offset, tuple of ints size, tuple of ints stride = ())")


def set_(tensor, source=None, storage_offset=None, size=None, stride=None):
    """``tensor.set_(...)``: ``tensor`` takes other memory, in place, and keeps its dtype.

    * ``set_()``: an empty storage (size ``(0,)``);
    * ``set_(source_tensor)``: ``source``'s memory, size, strides and offset;
    * ``set_(storage)``: all of a storage (typed of the same dtype, or untyped: its bytes
      read as the tensor's dtype), as one dimension;
    * ``set_(source, storage_offset, size, stride=())``: the given view of ``source``'s
      storage (contiguous strides by default).

    ``tensor``'s array becomes a NumPy view of that memory, so writes go both ways; its
    version counter is bumped; if it was a view, it is one no more (its memory is now
    another's). torchlet's storages cannot grow: a view beyond the end of the storage is
    torch's error for a storage that is not resizable. torch has no derivative for set_:
    when autograd records it, the result's grad_fn is ``NotImplemented`` and backward
    through it raises.

    Views made of ``tensor`` before set_ keep the old memory, as in torch; but torchlet
    finds a view's storage through its ``_base``, so their ``storage_offset()`` and
    ``as_strided`` are not right afterwards (misc_api/strided would have to check that the
    base still holds the view's memory)."""
    dtype = tensor._data.dtype
    geometry = (storage_offset, size, stride)
    if (storage_offset is None) != (size is None) or (size is None and stride is not None) \
            or (source is None and size is not None) or not (
                source is None or isinstance(source, (Tensor, TypedStorage, UntypedStorage))):
        given = ", ".join(_type_name(a) for a in (source,) + geometry if a is not None)
        raise TypeError(f"set_() received an invalid combination of arguments - got ({given}), "
                        f"but expected one of:\n{_SET_SIGNATURES}")
    if isinstance(source, Tensor):
        if source._data.dtype != dtype:
            raise RuntimeError(
                f"Could not set tensor of type {_dtype.C_TYPE_NAMES[source._data.dtype.name]} "
                f"to a tensor of type {_dtype.C_TYPE_NAMES[dtype.name]}")
        if is_meta_array(source._data) != is_meta_array(tensor._data):
            here, there = ("meta", "cpu") if is_meta_array(tensor._data) else ("cpu", "meta")
            raise RuntimeError(
                f'Attempted to set the storage of a tensor on device "{here}" to a storage on '
                f'different device "{there}".  This is no longer allowed; the devices must '
                "match.")
    elif isinstance(source, TypedStorage) and source.dtype.np != dtype:
        raise RuntimeError(
            f"Expected a Storage of type {_dtype.C_TYPE_NAMES[dtype.name]} or an "
            f"UntypedStorage, but got type {_dtype.TYPE_WORDS[source.dtype.np.name]} for "
            "argument 1 'storage'")
    if source is not None and is_meta_array(tensor._data) and not isinstance(source, Tensor):
        raise RuntimeError('Attempted to set the storage of a tensor on device "meta" to a '
                           'storage on different device "cpu".  This is no longer allowed; '
                           "the devices must match.")

    if source is None:
        data = meta_array((0,), dtype) if is_meta_array(tensor._data) else np.empty(0, dtype)
    elif isinstance(source, Tensor) and size is None:
        data = source._data.view()  # (a new array object: tensor's own shape and strides)
    else:
        if isinstance(source, Tensor):
            memory = untyped_storage(source)
        else:
            memory = source._untyped() if isinstance(source, TypedStorage) else source
        data = _strided_view(memory._bytes, dtype, storage_offset, size, stride)

    if GRAD_STATE.enabled and (tensor.requires_grad or (
            isinstance(source, Tensor) and source.requires_grad)):
        _check_inplace_allowed(tensor, requires_grad=True)
        old = wrap(tensor._data, tensor.grad_fn, tensor._output_nr)
        old._requires_grad = tensor._requires_grad
        inputs = (old, source) if isinstance(source, Tensor) else (old,)
        result = _SetBackward.apply(*inputs, result=data)
        tensor._grad_fn, tensor._output_nr = result._grad_fn, result._output_nr
    tensor._data = data
    tensor._base = None  # (a view no more: its memory is another's now)
    bump_version(tensor)
    return tensor


def _type_name(value) -> str:
    """How torch's argument errors name a value's type."""
    if isinstance(value, UntypedStorage):
        return "torch.storage.UntypedStorage"
    if isinstance(value, TypedStorage):
        return "torch.storage.TypedStorage"
    name = type(value).__name__
    return "Tensor" if name == "Tensor" else name


def _strided_view(memory: np.ndarray, dtype: np.dtype, offset, size, stride) -> np.ndarray:
    """The elements of ``dtype`` at (``offset``, ``size``, ``stride``) in the bytes
    ``memory`` (all of them, as one dimension, when ``size`` is None), as a view."""
    flat = memory[:memory.size - memory.size % dtype.itemsize].view(dtype)
    if size is None:
        return flat
    offset = builtins.int(offset)
    size = tuple(builtins.int(s) for s in size)
    stride = contiguous_strides(size) if stride is None or not len(stride) else tuple(
        builtins.int(s) for s in stride)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    if len(size) != len(stride):
        raise RuntimeError(f"unequal size length ({len(size)}) and stride length "
                           f"({len(stride)})")
    if any(s < 0 for s in size):
        raise RuntimeError("numel: integer multiplication overflow")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if 0 not in size and offset + sum((n - 1) * st for n, st in zip(size, stride)) >= flat.size:
        raise RuntimeError("Trying to resize storage that is not resizable")
    start = min(offset, flat.size)  # (an empty view may lie past the end, as in torch)
    return np.lib.stride_tricks.as_strided(
        flat[start:], size, tuple(st * dtype.itemsize for st in stride),
        writeable=flat.flags.writeable)


class _SetBackward(Primitive):
    """set_ as autograd records it: torch has no derivative for it, so the node is torch's
    ``NotImplemented`` (its inputs: the tensor's old value and a source tensor), and a
    backward through it raises torch's error."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, *arrays, result):
        return result

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("derivative for set_ is not implemented")

class _CpuMemory:
    """What both storage classes answer alike: CPU memory that NumPy owns, never shared,
    pinned or resizable."""

    def get_device(self) -> builtins.int:
        return -1

    def is_shared(self) -> builtins.bool:
        return False

    def is_pinned(self, device=None) -> builtins.bool:
        return False

    def resizable(self) -> builtins.bool:
        return False

    def resize_(self, size):
        raise RuntimeError("Trying to resize storage that is not resizable")


class UntypedStorage(_CpuMemory):
    """A block of bytes on the CPU. ``UntypedStorage(n)`` makes n zero bytes;
    ``UntypedStorage(sequence)`` holds the given byte values."""

    is_cuda = False
    is_sparse = False
    is_sparse_csr = False
    device = _CPU

    def __init__(self, *args, device=None):
        if device is not None and _device(device).type != "cpu":
            raise RuntimeError("torchlet storages live on the CPU only")
        if len(args) > 1:
            raise TypeError("UntypedStorage(): expected at most one argument (a size or a "
                            "sequence of bytes)")
        arg = args[0] if args else 0
        if isinstance(arg, builtins.int):
            data = np.zeros(_allocation_size(arg, 1), np.uint8)
        else:
            values = list(arg)
            if any(not 0 <= v < 256 for v in values):
                raise RuntimeError("UntypedStorage values must be bytes, in [0, 255]")
            data = np.array(values, np.uint8)
        self._bytes, self._owner = data, data

    @classmethod
    def from_buffer(cls, buffer, byte_order=None, count=-1, offset=0, *, dtype=None):
        """The bytes of ``buffer`` (from byte ``offset``; ``count`` elements, or all) read
        as ``dtype`` in ``byte_order`` ('little', 'big', 'native'), in a new storage of
        this machine's byte order. Bools are read as bytes, any nonzero one True."""
        if dtype is None:
            raise RuntimeError("argument 'dtype' cannot be None")
        np_dtype = np.dtype(dtype.np)
        if byte_order is None and np_dtype.name not in ("uint8", "int8"):
            raise RuntimeError("function missing required argument 'byte_order' (pos 2)")
        if byte_order not in (None, "little", "big", "native"):
            raise ValueError(f"invalid byte_order '{byte_order}' (expected 'big', 'little', "
                             "or 'native')")
        data = memoryview(buffer).cast("B")
        size, item = data.nbytes, np_dtype.itemsize
        if not 0 <= offset <= size:  # (torch's message names the two the other way round)
            raise ValueError("offset must be non-negative and no greater than buffer length "
                             f"({offset}) , but got {size}")
        if count < 0:
            if (size - offset) % item:
                raise ValueError(f"buffer size ({size - offset}) must be a multiple of element "
                                 f"size ({item})")
            count = (size - offset) // item
        elif offset + count * item > size:
            raise ValueError(f"buffer has only {size - offset} elements after offset {offset}, "
                             f"but specified a size of {count}")
        stored = np_dtype.newbyteorder({"big": ">", "little": "<"}.get(byte_order, "="))
        if np_dtype.kind == "b":
            values = np.frombuffer(data, np.uint8, count, offset) != 0
        else:
            values = np.frombuffer(data, stored, count, offset).astype(np_dtype)
        values = np.array(values, np_dtype)  # (its own memory, in the native byte order)
        return cls._wrap(values.view(np.uint8), values)

    @classmethod
    def _wrap(cls, data: np.ndarray, owner: np.ndarray) -> UntypedStorage:
        storage = cls.__new__(cls)
        storage._bytes, storage._owner = data, owner
        return storage

    # sizes and addresses
    def size(self) -> builtins.int:
        return self._bytes.size

    def __len__(self) -> builtins.int:
        return self._bytes.size

    def nbytes(self) -> builtins.int:
        return self._bytes.size

    def element_size(self) -> builtins.int:
        return 1

    def data_ptr(self) -> builtins.int:
        return self._bytes.__array_interface__["data"][0] if self._bytes.size else 0

    def type(self, dtype=None, non_blocking=False):  # noqa: A003 - torch's name
        if dtype is None:
            return "torch.storage.UntypedStorage"
        raise RuntimeError("torchlet storages cannot change type; use tensor.to(dtype)")

    # elements
    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self._bytes.size)
            if step != 1:
                raise RuntimeError("slices with steps are not supported in UntypedStorage")
            return UntypedStorage._wrap(self._bytes[start:stop], self._owner)
        return builtins.int(self._bytes[self._index(index)])

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            self._bytes[index] = value
        else:
            self._bytes[self._index(index)] = value

    def _index(self, index) -> builtins.int:
        size = self._bytes.size
        i = builtins.int(index)
        if not -size <= i < size:
            raise IndexError(f"index {i} out of range for storage of size {size}")
        return i + size if i < 0 else i

    def __iter__(self):
        return iter(self.tolist())

    def tolist(self) -> list:
        return self._bytes.tolist()

    # copies and conversions
    def fill_(self, value) -> UntypedStorage:
        self._bytes.fill(value)
        return self

    def copy_(self, source, non_blocking=None) -> UntypedStorage:
        other = source._untyped() if isinstance(source, TypedStorage) else source
        if other.nbytes() != self.nbytes():
            raise RuntimeError(f"size mismatch, m1: [{other.nbytes()}], m2: "
                               f"[{self.nbytes()}]")
        self._bytes[...] = other._bytes
        return self

    def clone(self) -> UntypedStorage:
        data = self._bytes.copy()
        return UntypedStorage._wrap(data, data)

    def cpu(self) -> UntypedStorage:
        return self

    def share_memory_(self) -> UntypedStorage:
        return self

    def untyped(self) -> UntypedStorage:
        return self

    def __copy__(self) -> UntypedStorage:
        return self.clone()

    def __deepcopy__(self, memo) -> UntypedStorage:
        return memo.setdefault(id(self), self.clone())

    def _to(self, dtype) -> TypedStorage:
        """The bytes as values (0 to 255) converted to ``dtype``, in a new storage."""
        return _converted(self._bytes, dtype)

    def double(self) -> TypedStorage:
        return self._to(_dtype.float64)

    def float(self) -> TypedStorage:  # noqa: A003
        return self._to(_dtype.float32)

    def half(self) -> TypedStorage:
        return self._to(_dtype.float16)

    def long(self) -> TypedStorage:
        return self._to(_dtype.int64)

    def int(self) -> TypedStorage:  # noqa: A003
        return self._to(_dtype.int32)

    def short(self) -> TypedStorage:
        return self._to(_dtype.int16)

    def char(self) -> TypedStorage:
        return self._to(_dtype.int8)

    def byte(self) -> TypedStorage:
        return self._to(_dtype.uint8)

    def bool(self) -> TypedStorage:  # noqa: A003
        return self._to(_dtype.bool)

    def __str__(self) -> str:
        info = f"[torch.storage.UntypedStorage(device=cpu) of size {len(self)}]"
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__


class TypedStorage(_CpuMemory):
    """The bytes of an UntypedStorage read as elements of one dtype."""

    is_cuda = False
    is_sparse = False
    device = _CPU

    def __init__(self, *args, device=None, dtype=None, wrap_storage=None, _internal=False):
        """``TypedStorage(size | sequence, dtype=, device=)`` (zeros, or the values as
        ``torch.tensor(sequence, dtype=dtype)`` converts them), or
        ``TypedStorage(wrap_storage=untyped, dtype=)``: the bytes of ``untyped``, shared."""
        if not _internal:
            _warn_typed_storage_removal()
        if wrap_storage is not None:
            if args:
                raise RuntimeError(_TYPED_ARGS_ERROR + "\nNo positional arguments should be "
                                   "given when using 'wrap_storage'")
            if dtype is None:
                raise RuntimeError(_TYPED_ARGS_ERROR + "\nArgument 'dtype' must be specified")
            if not isinstance(dtype, _dtype.dtype):
                raise TypeError(_TYPED_ARGS_ERROR + "\nArgument 'dtype' must be torch.dtype, "
                                f"not {_type_repr(dtype)}")
            if device is not None:
                raise RuntimeError(_TYPED_ARGS_ERROR + "\nArgument 'device' should not be "
                                   "specified when 'wrap_storage' is given")
            if not isinstance(wrap_storage, UntypedStorage):
                raise TypeError(_TYPED_ARGS_ERROR + "\nArgument 'wrap_storage' must be "
                                f"UntypedStorage, but got {_type_repr(wrap_storage)}")
            self.dtype, self._untyped_storage = dtype, wrap_storage
            return
        dtype = _dtype.get_default_dtype() if dtype is None else dtype
        if device is not None and _device(device).type != "cpu":
            raise RuntimeError("torchlet storages live on the CPU only")
        if len(args) > 1:
            raise RuntimeError(_TYPED_ARGS_ERROR + "\nToo many positional arguments")
        if not args:
            data = np.zeros(0, dtype.np)
        elif _isint(args[0]):
            data = np.zeros(_allocation_size(builtins.int(args[0]), dtype.itemsize), dtype.np)
        elif isinstance(args[0], collections.abc.Sequence):
            from torchlet._ops.creation import tensor

            data = np.ascontiguousarray(tensor(args[0], dtype=dtype)._data).reshape(-1)
        else:
            raise TypeError(_TYPED_ARGS_ERROR + "\nArgument type not recognized: "
                            f"{_type_repr(args[0])}")
        self._untyped_storage = UntypedStorage._wrap(data.view(np.uint8), data)
        self.dtype = dtype

    @classmethod
    def from_buffer(cls, *args, dtype=None, device=None, **kwargs) -> TypedStorage:
        """``UntypedStorage.from_buffer`` read as a TypedStorage: of ``dtype`` (default:
        the default dtype), or of a legacy class's own dtype (``FloatStorage.from_buffer``)."""
        _warn_typed_storage_removal()
        if device is not None and _device(device).type != "cpu":
            raise RuntimeError("torchlet storages live on the CPU only")
        if cls is TypedStorage:
            dtype = _dtype.get_default_dtype() if dtype is None else dtype
        else:
            if dtype is not None or len(args) == 5:
                raise RuntimeError("from_buffer: 'dtype' can only be specified in "
                                   "UntypedStorage.from_buffer and TypedStorage.from_buffer")
            if device is not None:
                raise RuntimeError("from_buffer: 'device' can only be specified in "
                                   "UntypedStorage.from_buffer and TypedStorage.from_buffer")
            # (the legacy classes' dtype)
            dtype = cls._dtype  # type: ignore[attr-defined]
        untyped = UntypedStorage.from_buffer(*args, dtype=dtype, **kwargs)
        return TypedStorage._wrap(untyped, dtype)

    @classmethod
    def _wrap(cls, untyped: UntypedStorage, dtype) -> TypedStorage:
        storage = cls.__new__(cls)
        storage._untyped_storage, storage.dtype = untyped, dtype
        return storage

    def _untyped(self) -> UntypedStorage:
        return self._untyped_storage

    def untyped(self) -> UntypedStorage:
        _warn_typed_storage_removal()
        return self._untyped_storage

    def _elements(self) -> np.ndarray:
        data = self._untyped_storage._bytes
        itemsize = self.dtype.itemsize
        return data[:data.size - data.size % itemsize].view(self.dtype.np)

    def size(self) -> builtins.int:
        _warn_typed_storage_removal()
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def __len__(self) -> builtins.int:
        _warn_typed_storage_removal()
        return self._untyped_storage.nbytes() // self.dtype.itemsize

    def nbytes(self) -> builtins.int:
        _warn_typed_storage_removal()
        return self._untyped_storage.nbytes()

    def element_size(self) -> builtins.int:
        _warn_typed_storage_removal()
        return self.dtype.itemsize

    def data_ptr(self) -> builtins.int:
        _warn_typed_storage_removal()
        return self._untyped_storage.data_ptr()

    def type(self, dtype=None, non_blocking=False):  # noqa: A003 - torch's name
        if dtype is None:
            from torchlet.serialization import _STORAGE_NAMES

            return "torch." + _STORAGE_NAMES.get(self.dtype.np.name, "TypedStorage")
        raise RuntimeError("torchlet storages cannot change type; use tensor.to(dtype)")

    def __getitem__(self, index):
        _warn_typed_storage_removal()
        if isinstance(index, slice):
            raise RuntimeError("slices are only supported in UntypedStorage.__getitem__")
        elements = self._elements()
        size = elements.size
        i = builtins.int(index)
        if not -size <= i < size:
            raise IndexError(f"index {i} out of range for storage of size {size}")
        return elements[i].item()

    def __setitem__(self, index, value) -> None:
        _warn_typed_storage_removal()
        self._elements()[index] = value

    def __iter__(self):
        _warn_typed_storage_removal()
        return iter(self.tolist())

    def tolist(self) -> list:
        _warn_typed_storage_removal()
        return self._elements().tolist()

    def fill_(self, value) -> TypedStorage:
        _warn_typed_storage_removal()
        self._elements().fill(value)
        return self

    def copy_(self, source, non_blocking=None) -> TypedStorage:
        _warn_typed_storage_removal()
        if isinstance(source, (TypedStorage, UntypedStorage)):  # the bytes, as torch copies
            self._untyped_storage.copy_(source)
            return self
        self._elements()[...] = source
        return self

    def clone(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return TypedStorage._wrap(self._untyped_storage.clone(), self.dtype)

    def cpu(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self

    def to(self, *, device, non_blocking=False) -> TypedStorage:
        _warn_typed_storage_removal()
        if _device(device).type != "cpu":
            raise RuntimeError("torchlet storages live on the CPU only")
        return self

    def share_memory_(self) -> TypedStorage:
        return self

    # conversions: the values converted to another dtype, in a new storage (as torch's
    # TypedStorage.float() and the rest: a copy even to the same dtype)
    def _to(self, dtype) -> TypedStorage:
        return _converted(self._elements(), dtype)

    def double(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.float64)

    def float(self) -> TypedStorage:  # noqa: A003
        _warn_typed_storage_removal()
        return self._to(_dtype.float32)

    def half(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.float16)

    def long(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.int64)

    def int(self) -> TypedStorage:  # noqa: A003
        _warn_typed_storage_removal()
        return self._to(_dtype.int32)

    def short(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.int16)

    def char(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.int8)

    def byte(self) -> TypedStorage:
        _warn_typed_storage_removal()
        return self._to(_dtype.uint8)

    def bool(self) -> TypedStorage:  # noqa: A003
        _warn_typed_storage_removal()
        return self._to(_dtype.bool)

    def _get_legacy_storage_class(self):
        """The legacy class of this dtype (``torch.FloatStorage``, ...)."""
        from torchlet._typed_storages import storage_class

        return storage_class(self.dtype)

    def pickle_storage_type(self) -> str:
        """The name a checkpoint gives the storage type: ``'FloatStorage'``, ..."""
        _warn_typed_storage_removal()
        return self._get_legacy_storage_class().__name__

    def __copy__(self) -> TypedStorage:
        return self.clone()

    def __deepcopy__(self, memo) -> TypedStorage:
        return memo.setdefault(id(self), self.clone())

    def __str__(self) -> str:
        _warn_typed_storage_removal()
        info = (f"[torch.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size "
                f"{len(self)}]")
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__


_TYPED_ARGS_ERROR = (
    "TypedStorage.__init__ received an invalid combination of arguments. Expected one of:\n"
    " * (*, torch.device device, torch.dtype dtype)\n"
    " * (int size, *, torch.device device, torch.dtype dtype)\n"
    " * (Sequence data, *, torch.device device, torch.dtype dtype)\n"
    " * (*, UntypedStorage wrap_storage, torch.dtype dtype)")


def _isint(x) -> builtins.bool:
    """torch's ``_isint``: a size may be a Python or NumPy integer (or a bool)."""
    return isinstance(x, (builtins.int, np.integer))


def _type_repr(x) -> str:
    """How torch's messages show the type of an argument: ``<class 'float'>``, with
    torchlet's classes under torch's names."""
    cls = type(x)
    module = cls.__module__.replace("torchlet", "torch", 1)
    name = cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"
    return f"<class '{name}'>"


def _allocation_size(numel: builtins.int, itemsize: builtins.int) -> builtins.int:
    """``numel``, checked as torch's allocator checks the bytes it is asked for."""
    if numel < 0:
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:98] ((ptrdiff_t)nbytes) >= 0. alloc_cpu() seems to "
            f"have been called with negative number: {2**64 + numel * itemsize}")
    return numel


_TYPED_STORAGE_WARNED = [False]


def _converted(elements: np.ndarray, dtype) -> TypedStorage:
    """A new TypedStorage of ``elements`` converted to ``dtype`` (torch's casting rules,
    through ``Tensor.to``)."""
    data = wrap(elements).to(dtype)._data
    if np.shares_memory(data, elements):
        data = data.copy()
    return TypedStorage._wrap(UntypedStorage._wrap(data.view(np.uint8), data), dtype)


def _warn_typed_storage_removal(stacklevel: builtins.int = 2) -> None:
    """torch's deprecation warning for TypedStorage, given the first time only."""
    if _TYPED_STORAGE_WARNED[0]:
        return
    _TYPED_STORAGE_WARNED[0] = True
    warnings.warn(
        "TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
        "will be the only storage class. This should only matter to you if you are using "
        "storages directly.  To access UntypedStorage directly, use "
        "tensor.untyped_storage() instead of tensor.storage()",
        UserWarning, stacklevel=stacklevel + 1)


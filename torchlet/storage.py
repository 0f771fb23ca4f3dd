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
"""

from __future__ import annotations

import builtins
import warnings
import weakref

import numpy as np

from torchlet import _dtype
from torchlet._device import device as _device

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
            if arg < 0:
                raise RuntimeError(f"Storage size must be non-negative, got {arg}")
            data = np.zeros(arg, np.uint8)
        else:
            values = list(arg)
            if any(not 0 <= v < 256 for v in values):
                raise RuntimeError("UntypedStorage values must be bytes, in [0, 255]")
            data = np.array(values, np.uint8)
        self._bytes, self._owner = data, data

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

    def _as(self, dtype) -> TypedStorage:
        return TypedStorage._wrap(self, dtype)

    def double(self) -> TypedStorage:
        return self._as(_dtype.float64)

    def float(self) -> TypedStorage:  # noqa: A003
        return self._as(_dtype.float32)

    def half(self) -> TypedStorage:
        return self._as(_dtype.float16)

    def long(self) -> TypedStorage:
        return self._as(_dtype.int64)

    def int(self) -> TypedStorage:  # noqa: A003
        return self._as(_dtype.int32)

    def short(self) -> TypedStorage:
        return self._as(_dtype.int16)

    def char(self) -> TypedStorage:
        return self._as(_dtype.int8)

    def byte(self) -> TypedStorage:
        return self._as(_dtype.uint8)

    def bool(self) -> TypedStorage:  # noqa: A003
        return self._as(_dtype.bool)

    def __str__(self) -> str:
        info = f"[torch.storage.UntypedStorage(device=cpu) of size {len(self)}]"
        return " " + "\n ".join(str(v) for v in self.tolist()) + "\n" + info

    __repr__ = __str__


class TypedStorage(_CpuMemory):
    """The bytes of an UntypedStorage read as elements of one dtype."""

    is_cuda = False
    is_sparse = False
    device = _CPU

    def __init__(self, *args, dtype=None, device=None):
        _warn_typed_storage_removal()
        dtype = _dtype.get_default_dtype() if dtype is None else dtype
        size_or_values = args[0] if args else 0
        if isinstance(size_or_values, builtins.int):
            data = np.zeros(size_or_values, dtype.np)
        else:
            data = np.array(list(size_or_values), dtype.np)
        self._untyped_storage = UntypedStorage._wrap(data.view(np.uint8), data)
        self.dtype = dtype

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
        if isinstance(source, TypedStorage):
            source = source._elements()
        elif isinstance(source, UntypedStorage):
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

    def share_memory_(self) -> TypedStorage:
        return self

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


_TYPED_STORAGE_WARNED = [False]


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


"""Checkpoints: ``torchlet.save`` and ``torchlet.load`` in PyTorch's own file format.

A PyTorch checkpoint is a zip archive (records stored uncompressed, each one's data
aligned to 64 bytes) whose records all sit in one folder, ``<name>/``:

* ``data.pkl``: the saved object, pickled (protocol 2). A tensor pickles as a call
  ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride,
  requires_grad, OrderedDict())`` and a Parameter as
  ``torch._utils._rebuild_parameter(tensor, requires_grad, OrderedDict())``. A storage
  is not in the pickle: it appears as a *persistent id*
  ``('storage', torch.FloatStorage, '0', 'cpu', numel)`` whose bytes are the record
  ``data/0``. Tensors that view one storage (a weight and its transpose, slices) name
  the same record, so they are still shared after loading.
* ``data/<key>``: the raw bytes of each storage, in the byte order of ``byteorder``;
* ``version``, ``byteorder``, ``.format_version``, ``.storage_alignment``,
  ``.data/serialization_id``: small text records.

The archive is written record by record in the layout of torch's zip writer (see
torchlet/_zip_writer.py), so a file has the size, and apart from its random serialization id the
bytes, that ``torch.save`` gives.

With ``weights_only=True`` (the default, as in torch) loading never runs code from the
file. An ordinary unpickler calls whatever function the pickle names (``os.system``
included); ours resolves names only from torch's allowlist — the rebuild functions
above, ``collections.OrderedDict``, ``torch.Size``, dtypes, storage types and a few
harmless builtins — plus what ``add_safe_globals`` added, and refuses everything else
with ``pickle.UnpicklingError`` in torch's words.
``weights_only=False`` is a plain unpickler, as in torch (for whole pickled modules and
other objects from a trusted source): names of torch (``torch.nn.modules.linear.Linear``)
resolve to torchlet's counterparts, so a module saved by ``torch.save(model)`` loads as a
torchlet module. Everything is read and checked (sizes, CRCs, strides within their
storage) before the object is returned, so a damaged file raises an error rather than
giving a half-loaded model.

torch's legacy (pre-1.6) format, a sequence of pickles followed by the storages' bytes, is
read too, and written with ``_use_new_zipfile_serialization=False``: see
torchlet/_legacy_serialization.py.

Saving to a path is atomic: the archive is written to a temporary file in the same
folder, flushed to disk, then renamed over the target, so a crash mid-save leaves the
previous checkpoint intact.
"""

from __future__ import annotations

import _compat_pickle
import collections
import io
import os
import pickle
import pickletools
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from typing import ClassVar, cast

import numpy as np

from torchlet import _dtype
from torchlet._device import device as _device
from torchlet._device import is_meta_array, meta_array
from torchlet._ops.shape.common import contiguous_strides
from torchlet._size import Size
from torchlet._tensor import Tensor, _as_subclass, restore_state, wrap
from torchlet._zip_writer import ZipWriter
from torchlet.random import Generator
from torchlet.storage import TypedStorage, UntypedStorage

__all__ = [
    "add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "safe_globals",
    "save",
]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64  # storage records start on 64-byte boundaries, as torch writes them
_FILE_FORMAT_VERSION = b"3\n"  # what torch 2.x writes in <name>/version

# Storage classes by element type (torch.FloatStorage holds float32, ...).
_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "int64": "LongStorage", "int32": "IntStorage", "int16": "ShortStorage",
    "int8": "CharStorage", "uint8": "ByteStorage", "bool": "BoolStorage",
}
# torch storage types that torchlet cannot hold (no NumPy or torchlet dtype for them).
_UNSUPPORTED_STORAGES = {
    "BFloat16Storage": "bfloat16", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "QInt8Storage": "qint8", "QUInt8Storage": "quint8",
    "QInt32Storage": "qint32", "QUInt4x2Storage": "quint4x2", "QUInt2x4Storage": "quint2x4",
}


# =============================================================================== saving


class _Global:
    """A name that pickles as a reference to a global of torch (``GLOBAL torch Size``).

    torchlet writes the names torch reads back, without importing torch."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # the pickler only writes callables as reduce functions
        raise TypeError(f"{self.module}.{self.name} is only a name to pickle")


_GLOBALS: dict[tuple[str, str], _Global] = {}


def _torch_global(module: str, name: str) -> _Global:
    key = (module, name)
    if key not in _GLOBALS:
        _GLOBALS[key] = _Global(module, name)
    return _GLOBALS[key]


class _StorageRef:
    """A storage to be saved: the bytes ``buffer`` (a NumPy uint8 array) holding
    ``numel`` elements of ``dtype``; pickled as a persistent id."""

    __slots__ = ("key", "dtype", "numel", "buffer")

    def __init__(self, key, dtype, numel, buffer):
        self.key, self.dtype, self.numel, self.buffer = key, dtype, numel, buffer


def _root(arr: np.ndarray) -> np.ndarray:
    """The array owning the memory that ``arr`` views (following NumPy's ``base`` chain,
    through the helper object that ``as_strided``/``broadcast_to`` leave in it, or the one
    that moves an empty view to torch's offset: shape.slices._Interface)."""
    while True:
        base = arr.base
        if isinstance(base, np.ndarray):
            arr = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray) \
                and type(base).__name__ in ("DummyArray", "_Interface"):
            arr = base.base
        else:
            return arr


def _dense_bytes(root: np.ndarray):
    """``root``'s memory as a flat uint8 array, if it is one dense block (else None)."""
    if root.size == 0:
        return None
    order = sorted(range(root.ndim), key=lambda d: -root.strides[d])
    dense = root.transpose(order)
    if not dense.flags.c_contiguous or not dense.dtype.isnative:
        return None
    return dense.reshape(-1).view(np.uint8)


class _StorageTable:
    """Assigns tensors to storages: one per block of memory, shared by its views."""

    def __init__(self) -> None:
        self.storages: list[_StorageRef] = []
        self._by_root: dict[int, tuple[np.ndarray, int, _StorageRef]] = {}

    def _new(self, dtype, buffer) -> _StorageRef:
        ref = _StorageRef(str(len(self.storages)), dtype, buffer.nbytes // dtype.itemsize,
                          buffer)
        self.storages.append(ref)
        return ref

    def locate(self, arr: np.ndarray, empty_stride=None):
        """``(storage, storage_offset, stride)`` for the tensor whose values are ``arr``
        (``empty_stride``: the stride an empty tensor reports, which NumPy may have
        zeroed in ``arr``)."""
        dtype = arr.dtype
        shared = self._shared(arr)
        if shared is not None:
            ref, offset, stride = shared
            return ref, offset, stride if empty_stride is None else empty_stride
        # A copy in its own storage: for arrays whose layout torch cannot express
        # (negative strides, a dtype-reinterpreted buffer) or that own nothing to share.
        data = np.ascontiguousarray(arr, dtype=dtype.newbyteorder("="))
        ref = self._new(data.dtype, data.reshape(-1).view(np.uint8))
        return ref, 0, contiguous_strides(arr.shape) if empty_stride is None else empty_stride

    def storage_ref(self, storage) -> _StorageRef:
        """The record of a storage object saved by itself (``tensor.storage()``): the one
        its tensors use when it is their whole storage, else a copy of its bytes."""
        untyped = storage._untyped() if isinstance(storage, TypedStorage) else storage
        dtype = storage.dtype.np if isinstance(storage, TypedStorage) else np.dtype(np.uint8)
        data = untyped._bytes
        if data.nbytes % dtype.itemsize == 0:
            shared = self._shared(data.view(dtype))
            if shared is not None and shared[1] == 0 and shared[0].numel * dtype.itemsize \
                    == data.nbytes:
                return shared[0]
        return self._new(dtype, np.ascontiguousarray(data))

    def _shared(self, arr: np.ndarray):
        itemsize = arr.itemsize
        if not arr.dtype.isnative:
            return None
        if any(st < 0 or st % itemsize for st in arr.strides):
            return None
        root = _root(arr)
        entry = self._by_root.get(id(root))
        if entry is None:
            flat = _dense_bytes(root)
            if flat is None or flat.nbytes % itemsize:
                return None  # (an empty root too: an empty tensor owning nothing)
            ref = self._new(arr.dtype, flat)
            # keep ``root`` referenced: its id must stay unique while we pickle
            self._by_root[id(root)] = entry = (root, flat.__array_interface__["data"][0], ref)
        root, start, ref = entry
        if ref.dtype != arr.dtype:
            return None  # torch refuses one storage viewed as two dtypes; we copy instead
        offset = arr.__array_interface__["data"][0] - start
        if offset < 0 or offset % itemsize or offset > ref.buffer.nbytes:
            return None
        stride = tuple(st // itemsize for st in arr.strides)
        return ref, offset // itemsize, stride


class _CheckpointPickler(pickle._Pickler):
    """The pure-Python pickler, taught torch's way of writing tensors.

    (The C pickler insists that every global it writes can be imported and is the very
    object being pickled; torch's functions are neither here, so we use the Python
    pickler, whose dispatch table we can extend. ``data.pkl`` holds no tensor data, so
    its speed does not matter.)
    """

    # typeshed types the dispatch table as taking an Unpickler and leaves out the pickler
    # internals that save_torch_global calls; these declarations say what they are
    dispatch: ClassVar[dict[type, Callable[..., None]]] = dict(pickle._Pickler.dispatch)
    proto: int
    save: Callable[[object], None]
    write: Callable[[bytes], object]
    memoize: Callable[[object], None]

    def __init__(self, file, protocol, storages: _StorageTable):
        super().__init__(file, protocol)
        self._storages = storages

    def save_torch_global(self, obj: _Global):
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_Global] = save_torch_global

    def save_dtype(self, obj):
        self.save_torch_global(_torch_global("torch", obj.name))

    dispatch[_dtype.dtype] = save_dtype

    def persistent_id(self, obj):
        if isinstance(obj, UntypedStorage):  # a storage saved by itself, as torch names it
            ref = self._storages.storage_ref(obj)
            storage_type = _torch_global("torch.storage", "UntypedStorage")
        elif isinstance(obj, (TypedStorage, _StorageRef)):
            ref = self._storages.storage_ref(obj) if isinstance(obj, TypedStorage) else obj
            storage_type = _torch_global("torch", _STORAGE_NAMES[ref.dtype.name])
        else:
            return None
        return ("storage", storage_type, ref.key, "cpu", ref.numel)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is Size:
            return (_torch_global("torch", "Size"), (tuple(obj),))
        if type(obj) is _device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            return (_torch_global("torch", "device"), args)
        if isinstance(obj, Generator):  # under torch's name, so that torch can load it
            return (_torch_global("torch._C", "Generator"), (_device("cpu"),),
                    obj.__reduce__()[2])
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        from torchlet.nn.parameter import Parameter

        # torch never saves hooks; it writes an empty one
        hooks: collections.OrderedDict = collections.OrderedDict()
        if isinstance(t, Parameter):
            data = wrap(t._data)
            state = dict(getattr(t, "__dict__", {}))
            if state:
                return (_torch_global("torch._utils", "_rebuild_parameter_with_state"),
                        (data, t.requires_grad, hooks, state))
            return (_torch_global("torch._utils", "_rebuild_parameter"),
                    (data, t.requires_grad, hooks))
        if t._data.dtype.name not in _STORAGE_NAMES:
            raise TypeError(f"cannot save a tensor of NumPy dtype {t._data.dtype}")
        args: tuple
        if is_meta_array(t._data):  # no data: torch writes what rebuilds an empty shell
            rebuild = _torch_global("torch._utils", "_rebuild_meta_tensor_no_storage")
            args = (t.dtype, tuple(t._data.shape), t.stride(), t.requires_grad)
        else:
            storage, offset, stride = self._storages.locate(
                t._data, t.stride() if t._data.size == 0 else None)
            args = (storage, offset, tuple(t._data.shape), stride, t.requires_grad, hooks)
            rebuild = _torch_global("torch._utils", "_rebuild_tensor_v2")
        # torch's Tensor.__reduce_ex__: a tensor with Python attributes (or of a user's
        # subclass) is rebuilt, then given its type and __dict__ back
        state = t.__dict__
        subclass = _user_subclass(t)
        if subclass is None and not state:
            return (rebuild, args)
        tensor_type = _torch_global("torch", "Tensor") if subclass is None else subclass
        return (_torch_global("torch._tensor", "_rebuild_from_type_v2"),
                (rebuild, tensor_type, args, state))


def _user_subclass(t: Tensor) -> type | None:
    """The class of ``t`` if a user's subclass of Tensor (a checkpoint names it by
    reference, as torch's does), else None: the file says torch.Tensor (torchlet's own
    subclasses, such as Buffer, are plain Tensors in torch)."""
    cls = type(t)
    if cls is Tensor or cls.__module__.split(".", 1)[0] == "torchlet":
        return None
    return cls


def _archive_name(path: str) -> str:
    """torch names the archive folder after the file, without its extension."""
    name = os.path.basename(path)
    if "." in name:
        name = name[:name.rfind(".")]
    return name or "archive"


def _write_archive(obj, file, archive_name: str, protocol: int, byteorder_record=True):
    # Pickle first: if the object cannot be pickled, nothing has been written yet.
    storages = _StorageTable()
    pickled = io.BytesIO()
    _CheckpointPickler(pickled, protocol, storages).dump(obj)
    zf = ZipWriter(file, _ALIGNMENT)
    prefix = archive_name + "/"
    zf.record(prefix + "data.pkl", pickled.getbuffer())
    zf.record(prefix + ".format_version", b"1")
    zf.record(prefix + ".storage_alignment", str(_ALIGNMENT).encode())
    if byteorder_record:
        zf.record(prefix + "byteorder", sys.byteorder.encode())
    for ref in storages.storages:
        zf.record(prefix + "data/" + ref.key, ref.buffer)
    zf.record(prefix + "version", _FILE_FORMAT_VERSION)
    if not byteorder_record:  # torch's zip writer adds it anyway, when it closes
        zf.record(prefix + "byteorder", sys.byteorder.encode())
    serialization_id = str(int.from_bytes(os.urandom(17), "little") % 10**40).zfill(40)
    zf.record(prefix + ".data/serialization_id", serialization_id.encode())
    zf.close()


def _new_file_mode(path: str) -> int:
    """The permissions a plain ``open(path, 'w')`` would give (mkstemp's are 0600)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        pass
    umask = None
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    if umask is None:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def save(obj, f, pickle_module=None, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False) -> None:
    """Save ``obj`` (tensors, state dicts, optimizer state, Python containers) to ``f``.

    ``f`` is a path (written atomically: temporary file, fsync, rename) or a writable
    binary file object. The file is a PyTorch checkpoint: ``torch.load`` reads it.
    ``_use_new_zipfile_serialization=False`` writes torch's legacy (pre-1.6) format.
    """
    if pickle_module not in (None, pickle):
        raise ValueError("torchlet.save only supports the standard pickle module")

    def write(out, archive_name):
        if _use_new_zipfile_serialization:
            _write_archive(obj, out, archive_name, pickle_protocol,
                           not _disable_byteorder_record)
        else:
            _write_legacy(obj, out, pickle_protocol)

    if not isinstance(f, (str, os.PathLike)):
        if not hasattr(f, "write"):
            raise AttributeError("expected 'f' to be string, path, or a file-like object "
                                 "with a 'write' attribute")
        write(f, "archive")
        return

    if _use_new_zipfile_serialization:  # (the legacy format is a plain open())
        _check_save_path(os.fspath(f))
    path = os.path.realpath(os.fspath(f))  # through a symlink, to the file it names
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            write(out, _archive_name(path))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_folder(folder)


def _check_save_path(name: str) -> None:
    """torch's file writer's checks (before anything is written): a file name, in a folder
    that exists, that is not itself a folder."""
    base = os.path.basename(name)
    if not name or name.endswith("/") or base.startswith(".") and base.count(".") == 1:
        # (torch names the archive after the file without its extension: ".pt" leaves none)
        raise RuntimeError(f"[enforce fail at inline_container.cc:720] . invalid file name: "
                           f"{name}")
    parent = name[:name.rfind("/")] if "/" in name else ""
    if parent and not os.path.isdir(parent):
        raise RuntimeError(f"Parent directory {parent} does not exist.")
    if os.path.isdir(name):
        raise RuntimeError("[enforce fail at inline_container.cc:747] . open file failed with "
                           "strerror: Is a directory")


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (best effort: not every system can open folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ============================================================================== loading


class _StorageType:
    """What the pickle's ``torch.FloatStorage`` (etc.) resolves to: just an element type."""

    __slots__ = ("name", "np_dtype")

    def __init__(self, name, np_dtype):
        self.name, self.np_dtype = name, np_dtype


def _typed_storage(array: np.ndarray) -> TypedStorage:
    """A loaded storage as torch.load gives it: a TypedStorage over the record's elements
    ``array`` (which owns, or maps, the memory: the tensors rebuilt on it are its views)."""
    return TypedStorage._wrap(UntypedStorage._wrap(array.view(np.uint8), array),
                              _dtype._BY_NP[array.dtype])


def _elements_of(storage: TypedStorage) -> np.ndarray:
    """The flat array of a TypedStorage's elements (its own array when it has one)."""
    untyped, np_dtype = storage._untyped(), storage.dtype.np
    owner = untyped._owner
    if owner.dtype == np_dtype and owner.ndim == 1 and owner.nbytes == untyped.nbytes():
        return owner
    return untyped._bytes.view(np_dtype)


class _MetaStorage:
    """A storage loaded with ``map_location='meta'``: an element type and a size, no data."""

    __slots__ = ("dtype", "numel")

    def __init__(self, dtype, numel):
        self.dtype, self.numel = dtype, numel


def _rebuild_tensor(storage, storage_offset, size, stride):
    """A tensor viewing ``storage``; every index is checked to lie inside it."""
    if not isinstance(storage, (TypedStorage, _MetaStorage)):
        raise pickle.UnpicklingError("tensor rebuilt from something that is not a storage")
    size, stride = tuple(size), tuple(stride)
    if (not isinstance(storage_offset, int) or len(size) != len(stride)
            or not all(isinstance(v, int) for v in size + stride)):
        raise RuntimeError("corrupt checkpoint: malformed tensor size or stride")
    if storage_offset < 0 or any(s < 0 for s in size) or any(st < 0 for st in stride):
        raise RuntimeError("corrupt checkpoint: negative tensor size, stride or offset")
    if isinstance(storage, _MetaStorage):
        return wrap(meta_array(size, storage.dtype.np))
    array = _elements_of(storage)
    item = array.itemsize
    if 0 not in size:
        last = storage_offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True))
        if last >= array.size:
            raise RuntimeError(
                f"corrupt checkpoint: a tensor of size {list(size)} and stride "
                f"{list(stride)} at offset {storage_offset} does not fit in its storage of "
                f"{array.size} elements"
            )
        data = np.lib.stride_tricks.as_strided(
            array[storage_offset:], shape=size, strides=tuple(st * item for st in stride))
    else:  # torch lets an empty tensor lie anywhere; it still views (and shares) its storage
        data = np.lib.stride_tricks.as_strided(
            array[min(storage_offset, array.size):], shape=size,
            strides=tuple(st * item for st in stride))
    return wrap(data)


def _rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad):
    """A meta tensor (torch saves its dtype and geometry only)."""
    if not isinstance(dtype, _dtype.dtype):
        raise pickle.UnpicklingError("malformed meta tensor in checkpoint")
    t = wrap(meta_array(tuple(size), dtype.np))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       dtype, metadata=None):
    """torch's rebuild for the dtypes that have no storage class (uint16, ...): torchlet
    has none of them."""
    raise RuntimeError(f"torchlet cannot load tensors of dtype {dtype}")


def _get_layout(name):
    """``torch.serialization._get_layout('torch.strided')``: how torch pickles a layout."""
    from torchlet import _dtype as dtypes

    layout = getattr(dtypes, str(name).rpartition(".")[2], None)
    if not isinstance(layout, dtypes.layout):
        raise pickle.UnpicklingError(f"unknown layout in checkpoint: {name!r}")
    return layout


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                       metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    if metadata:
        raise RuntimeError(f"torchlet cannot load tensors with metadata {metadata!r} "
                           "(conjugate or negative bits)")
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from torchlet.nn.parameter import Parameter

    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    param = _rebuild_parameter(data, requires_grad, backward_hooks)
    if state:
        param.__dict__.update(state)
    return param


class _TensorType:
    """``torch.Tensor`` / ``torch.nn.Parameter`` as named in a pickle (types, not code)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


def _rebuild_from_type_v2(func, new_type, args, state):
    """torch's wrapper for tensors with Python attributes (or of a subclass): rebuild with
    ``func``, make the result a ``new_type`` (torch.Tensor, Parameter, or a subclass the
    unpickler let through), then restore ``state`` as torch's ``_rebuild_from_type_v2``
    does (the class's ``__setstate__``, else ``setattr`` per attribute)."""
    if func not in (_rebuild_tensor_v2, _rebuild_parameter, _rebuild_parameter_with_state,
                    _rebuild_meta_tensor_no_storage):
        raise pickle.UnpicklingError("unexpected rebuild function in checkpoint")
    ret = func(*args)
    if isinstance(new_type, _TensorType):
        if new_type.name == "Parameter" and type(ret) is Tensor:
            ret = _rebuild_parameter(ret, ret.requires_grad, None)
    elif isinstance(new_type, type) and issubclass(new_type, Tensor):
        if type(ret) is not new_type:
            ret = _as_subclass(ret, new_type)
    else:
        raise pickle.UnpicklingError("unexpected tensor type in checkpoint")
    return restore_state(ret, state)


def _encode(text, encoding="latin1"):
    """``_codecs.encode``, which protocol-2 pickles use for ``bytes``: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise pickle.UnpicklingError("_codecs.encode is only allowed for latin1 bytes")
    return text.encode("latin1")


def _allowed_globals() -> dict[str, object]:
    """What each name in a weights-only pickle may resolve to. Nothing else can be named."""
    allowed: dict[str, object] = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch._utils._rebuild_tensor": _rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": _rebuild_tensor_v2,
        "torch._utils._rebuild_parameter": _rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": _rebuild_parameter_with_state,
        "torch._utils._rebuild_meta_tensor_no_storage": _rebuild_meta_tensor_no_storage,
        "torch._utils._rebuild_tensor_v3": _rebuild_tensor_v3,
        "torch.serialization._get_layout": _get_layout,
        "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
        "torch.Tensor": _TensorType("Tensor"),
        "torch.nn.parameter.Parameter": _TensorType("Parameter"),
        "torch.Size": Size,
        "torch.device": _device,
        "_codecs.encode": _encode,
        "builtins.set": set,
        "builtins.bytearray": bytearray,
        "builtins.complex": complex,
        "torch.storage.UntypedStorage": _StorageType("UntypedStorage", np.dtype(np.uint8)),
    }
    import torchlet

    for d in _dtype.ALL_DTYPES:
        allowed["torch." + d.name] = d
        storage = _StorageType(_STORAGE_NAMES[d.name], d.np)
        # (files of old torch versions saved on a GPU name torch.cuda.FloatStorage)
        allowed["torch." + storage.name] = allowed["torch.cuda." + storage.name] = storage
        tensor_type = storage.name.replace("Storage", "Tensor")  # torch.FloatTensor, ...
        if hasattr(torchlet, tensor_type):
            allowed["torch." + tensor_type] = getattr(torchlet, tensor_type)
    for name in _UNSUPPORTED_STORAGES:
        allowed["torch." + name] = allowed["torch.cuda." + name] = _StorageType(name, None)
    return allowed


# torch's dtypes that torchlet lacks: a checkpoint that names one cannot be loaded
_MISSING_DTYPES = frozenset(
    ["bfloat16", "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
     "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu",
     "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits1x8",
     "bits2x4", "bits4x2", "bits8", "bits16"]
    + [f"{u}int{n}" for u in ("", "u") for n in range(1, 8)])


# ------------------------------------------------- weights_only: what a checkpoint may name

_marked_safe_globals: set = set()  # what add_safe_globals added (torch keeps a set too)
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")  # refused even if allowlisted, as in torch


def add_safe_globals(safe_globals: list) -> None:
    """Mark functions and classes as safe for ``load(weights_only=True)``: the checkpoint
    may then name (and call) them. An item is ``obj`` (named in files as
    ``{obj.__module__}.{obj.__qualname__}``) or ``(obj, "full.name")``."""
    _marked_safe_globals.update(safe_globals)


def get_safe_globals() -> list:
    """The globals added with ``add_safe_globals`` (or an active ``safe_globals``)."""
    return list(_marked_safe_globals)


def clear_safe_globals() -> None:
    """Forget every global added with ``add_safe_globals``."""
    _marked_safe_globals.clear()


class safe_globals:  # noqa: N801 (torch's name)
    """Context manager: ``add_safe_globals(safe_globals)`` for the ``with`` block only."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        _marked_safe_globals.difference_update(self.safe_globals)


def _user_allowed_globals() -> dict[str, object]:
    """The added globals by the name a checkpoint uses for them (torch's checks included)."""
    allowed: dict[str, object] = {}
    for item in _marked_safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(item)}")
            if type(item[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(item[1])}")
            allowed[item[1]] = item[0]
        else:
            allowed[f"{item.__module__}.{item.__qualname__}"] = item
    return allowed


def _python3_name(module: str, name: str) -> tuple[str, str]:
    """Python 2's names in protocol-2 pickles (``__builtin__``) as Python 3 knows them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _weights_only_global(allowed: dict, module: str, name: str):
    """What a GLOBAL may resolve to under ``weights_only``: torch's default allowlist, then
    the added safe globals (a name of torch matches the torchlet class added under it).
    Anything else is refused with torch's message."""
    key = f"{module}.{name}"
    if module in _BLOCKED_MODULES:
        raise pickle.UnpicklingError(
            f"Trying to load unsupported GLOBAL {key} whose module {module} is blocked.")
    if key in allowed:
        return allowed[key]
    user = _user_allowed_globals()
    if key in user:
        return user[key]
    if module == "torch" or module.startswith("torch."):
        try:
            ours = _torchlet_counterpart(module, name)
        except pickle.UnpicklingError:
            ours = None
        if ours is not None and any(ours is obj for obj in user.values()):
            return ours
    shown = key[len("builtins."):] if key.startswith("builtins.") else key
    raise pickle.UnpicklingError(
        f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please "
        f"use `torch.serialization.add_safe_globals([{shown}])` or the "
        f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this "
        "global if you trust this class/function.")


# The pickle opcodes torch's weights-only unpickler reads; any other one is refused.
_WEIGHTS_ONLY_OPCODES = frozenset(
    getattr(pickle, op) for op in (
        "APPEND", "APPENDS", "BINFLOAT", "BINGET", "BININT", "BININT1", "BININT2", "BINPERSID",
        "BINPUT", "BINUNICODE", "BUILD", "EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET",
        "EMPTY_TUPLE", "GLOBAL", "LONG1", "LONG_BINGET", "LONG_BINPUT", "MARK", "NEWFALSE",
        "NEWOBJ", "NEWTRUE", "NONE", "PROTO", "REDUCE", "SETITEM", "SETITEMS",
        "SHORT_BINSTRING", "STOP", "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3"))


def _check_weights_only(file, allowed: dict) -> None:
    """Read one pickle from ``file`` as torch's weights-only unpickler reads it, raising
    its errors in its order: an opcode it lacks (protocol 4's FRAME, protocol 0's text
    opcodes) or a global that is not allowed. The pickle is then unpickled for real."""
    start = file.tell()
    ops = pickletools.genops(file)
    memo: set[int] = set()  # a GET of a slot never PUT fails as torch's does (KeyError)
    while True:
        at = file.tell()
        try:
            opcode, arg, _ = next(ops)
        except (ValueError, StopIteration):  # an unknown opcode, or the end of the data
            file.seek(at)
            byte = file.read(1)
            if not byte:
                raise EOFError from None
            raise pickle.UnpicklingError(f"Unsupported operand {byte[0]}") from None
        code = opcode.code.encode("latin-1")
        if code not in _WEIGHTS_ONLY_OPCODES:
            raise pickle.UnpicklingError(f"Unsupported operand {code[0]}")
        if code == pickle.PROTO and arg != 2:
            warnings.warn(
                f"Detected pickle protocol {arg} in the checkpoint, which was not the default "
                "pickle protocol used by `torch.load` (2). The weights_only Unpickler might not "
                "support all instructions implemented by this protocol, please file an issue "
                "for adding support if you encounter this.", stacklevel=4)
        elif code == pickle.GLOBAL:
            module, name = str(arg).split(" ", 1)  # genops gives "module name"
            _weights_only_global(allowed, *_python3_name(module, name))
        elif code in (pickle.BINPUT, pickle.LONG_BINPUT):
            memo.add(cast(int, arg))
        elif code in (pickle.BINGET, pickle.LONG_BINGET) and arg not in memo:
            raise KeyError(arg)
        elif code == pickle.STOP:
            file.seek(start)
            return


_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only "
    "if you got the file from a trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)


def _weights_only_message(message: str) -> str:
    """torch's text around an error of the weights-only unpickler (torch.load's
    ``_get_wo_message``)."""
    if "was not an allowed global by default." in message:
        return (
            "Weights only load failed. This file can still be loaded, to do so you have two "
            "options, \033[1mdo those steps only if you trust the source of the checkpoint"
            f"\033[0m. \n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
            "`weights_only=True` please check the recommended steps in the following error "
            f"message.\n\tWeightsUnpickler error: {message}{_DOCS_MESSAGE}")
    text = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        text += ("Please file an issue with the following so that we can make "
                 "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return f"{text}\n\n{message}{_DOCS_MESSAGE}"


def _torchlet_counterpart(module: str, name: str):
    """What a global of torch (``torch.nn.modules.linear.Linear``) is in torchlet: the same
    path under ``torchlet``, else the name in the public namespace it belongs to
    (``torchlet.nn.Linear``: torchlet files some classes in other submodules)."""
    import importlib

    ours = "torchlet" + module[len("torch"):]
    candidates = [ours]
    for public in ("torchlet.nn", "torchlet.optim", "torchlet"):
        if ours == public or ours.startswith(public + "."):
            candidates.append(public)
    for candidate in candidates:
        try:
            found: object = importlib.import_module(candidate)
        except ImportError:
            continue
        for part in name.split("."):  # protocol 4 names nested classes with dots
            found = getattr(found, part, None)
        if found is not None:
            return found
    raise pickle.UnpicklingError(
        f"torchlet.load: the checkpoint names '{module}.{name}' of torch, which torchlet has "
        "no counterpart of, so it cannot rebuild the object that uses it")


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that can only name allowlisted globals and our storages."""

    def __init__(self, file, archive, weights_only, map_location, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self._archive = archive
        self._allowed = _allowed_globals()
        self._weights_only = weights_only
        self._map_location = map_location
        self._loaded: dict[str, TypedStorage | _MetaStorage] = {}

    def find_class(self, module, name):
        module, name = _python3_name(module, name)
        if module == "torch" and name in _MISSING_DTYPES:
            raise RuntimeError(f"torchlet cannot load tensors of dtype torch.{name} (it has "
                               "no such dtype)")
        if self._weights_only:
            return _weights_only_global(self._allowed, module, name)
        key = f"{module}.{name}"
        if key in self._allowed:
            return self._allowed[key]
        if module == "torch" or module.startswith("torch."):  # torch's names: torchlet's
            return _torchlet_counterpart(module, name)
        return super().find_class(module, name)

    caller_error: BaseException | None = None  # raised by the map_location function

    def persistent_load(self, saved_id):
        if self._archive is None:  # a legacy file's header pickle, or not a checkpoint
            raise pickle.UnpicklingError("A load persistent id instruction was encountered, "
                                         "but no persistent_load function was specified.")
        if not isinstance(saved_id, tuple):  # (protocol 0 writes ids as text)
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        if saved_id[:1] != ("storage",) or len(saved_id) != 5:
            raise pickle.UnpicklingError(f"unknown persistent id in checkpoint: {saved_id!r}")
        return self._storage(saved_id)

    def _storage(self, saved_id):
        """The storage that the id ``('storage', type, key, location, numel, ...)`` names,
        restored (see ``_restore``) the first time a key is named, then shared."""
        storage_type, key, location, numel = saved_id[1:5]
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str):
            raise pickle.UnpicklingError(f"malformed storage reference: {saved_id!r}")
        if storage_type.np_dtype is None:
            raise RuntimeError(
                f"torchlet cannot load tensors of dtype "
                f"torch.{_UNSUPPORTED_STORAGES[storage_type.name]} ({storage_type.name})")
        if key not in self._loaded:
            self._loaded[key] = self._restore(storage_type, key, str(location), numel)
        return self._loaded[key]

    def _read(self, storage_type, key, numel) -> np.ndarray:
        """Storage ``key``'s elements, from the archive."""
        array = self._archive.storage(key, storage_type.np_dtype)
        if (storage_type.name != "UntypedStorage" and isinstance(numel, int)
                and numel != array.size):
            raise RuntimeError(f"corrupt checkpoint: storage {key} holds {array.size} "
                               f"elements, the pickle says {numel}")
        return array

    def _restore(self, storage_type, key, location, numel):
        """torch's ``restore_location``: a storage goes where ``map_location`` says (None,
        a dict, a device or its name, or a callable given the storage and its location).
        torchlet has the CPU only: the location a file names is read as the CPU, while an
        explicit target must be 'cpu' or 'meta' (no data)."""
        target, map_location = location, self._map_location
        explicit = map_location is not None
        if isinstance(map_location, dict):
            target, explicit = map_location.get(location, location), location in map_location
        elif isinstance(map_location, _device):
            target = str(map_location)
        elif isinstance(map_location, (str, bytes)):
            target = map_location
        elif map_location is not None:
            storage = _typed_storage(self._read(storage_type, key, numel))
            try:  # (what the function raises is the caller's error, not a corrupt file)
                result = map_location(storage._untyped(), location)
                if result is not None and not isinstance(result, UntypedStorage):
                    raise TypeError("TypedStorage.__init__ received an invalid combination "
                                    f"of arguments: map_location returned {result!r}, not a "
                                    "storage")
            except Exception as e:
                self.caller_error = e
                raise
            return storage if result is None else TypedStorage._wrap(result, storage.dtype)
        if not explicit or target == "cpu":
            return _typed_storage(self._read(storage_type, key, numel))
        if target == "meta":
            return _MetaStorage(_dtype._BY_NP[np.dtype(storage_type.np_dtype)], numel)
        try:
            other_device = _device(target).type != "cpu"
        except (RuntimeError, TypeError, ValueError):
            other_device = False
        if other_device:  # a device torch has ('cuda:0', 'mps', ...) and torchlet has not
            raise RuntimeError(
                f"torchlet computes on the CPU only and cannot map a checkpoint to '{target}'; "
                "use map_location='cpu' (or leave it out)")
        raise RuntimeError("don't know how to restore data location of "
                           f"torch.storage.UntypedStorage (tagged with {target})")


class _Archive:
    """The records of a checkpoint zip, read and validated on demand."""

    def __init__(self, zf: zipfile.ZipFile, mmap_file=None):
        self.zf = zf
        names = zf.namelist()
        if not names:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: empty archive")
        self.prefix = names[0].split("/", 1)[0] + "/"
        self.names = set(names)
        self.mmap = mmap_file
        order = self.read_text("byteorder") if self.has("byteorder") else sys.byteorder
        if order not in ("little", "big"):
            raise RuntimeError(f"corrupt checkpoint: unknown byte order {order!r}")
        self.byteorder = order

    @property
    def fp(self) -> io.BufferedIOBase:
        """The zip's underlying binary file (zipfile types it as optional: it is set while
        the archive is open)."""
        return cast(io.BufferedIOBase, self.zf.fp)

    def has(self, name):
        return self.prefix + name in self.names

    def read(self, name) -> bytes:
        full = self.prefix + name
        if full not in self.names:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: "
                               "file not found")
        try:
            return self.zf.read(full)
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: "
                               f"the checkpoint is corrupted ({e})") from e

    def read_text(self, name) -> str:
        return self.read(name).decode("ascii", "replace").strip()

    def storage(self, key: str, np_dtype) -> np.ndarray:
        """Storage ``key`` as a flat array of ``np_dtype`` that owns its memory (or maps
        it), so that every tensor rebuilt from it is a view of it: torchlet finds a
        tensor's storage (``storage_offset()``, ``as_strided``) by following NumPy's
        ``base`` chain to this array."""
        name = "data/" + key
        dtype = np.dtype(np_dtype)
        size = self._record_size(name)
        if size % dtype.itemsize:
            raise RuntimeError(f"corrupt checkpoint: record {name} has {size} bytes, "
                               f"not a whole number of {dtype} elements")
        stored = dtype.newbyteorder("<" if self.byteorder == "little" else ">")
        array = self._record_array(name, stored)
        if not array.dtype.isnative:
            array = array.astype(dtype)
        return array

    def _record_size(self, name) -> int:
        full = self.prefix + name
        if full not in self.names:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: "
                               "file not found")
        return self.zf.getinfo(full).file_size

    def _record_array(self, name, dtype: np.dtype) -> np.ndarray:
        """A record's elements as a writable array: read straight into it (one copy, then
        the CRC is checked), or mapped from the file with ``mmap=True``."""
        info = self.zf.getinfo(self.prefix + name)
        if info.compress_type != zipfile.ZIP_STORED:
            if self.mmap is not None:
                raise RuntimeError(f"mmap=True needs stored (uncompressed) records; {name} "
                                   "is compressed")
            return np.frombuffer(self.read(name), dtype=dtype).copy()
        header = self._pread(info.header_offset, 30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: "
                               "invalid header or archive is corrupted")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        start = info.header_offset + 30 + name_len + extra_len
        if self.mmap is not None:
            if start + info.file_size > self.mmap.size:
                raise RuntimeError(f"PytorchStreamReader failed reading file {name}: "
                                   "the checkpoint is truncated")
            # frombuffer keeps this typed array in its views' base chain (a view of a
            # view would collapse to the file's byte map), and a memoryview below it ends
            # the chain there: the storage is the record, not the whole file
            record = memoryview(self.mmap)[start:start + info.file_size]
            return np.frombuffer(record, dtype)
        array = np.empty(info.file_size // dtype.itemsize, dtype=dtype)
        buffer = array.view(np.uint8)
        self.fp.seek(start)
        if self.fp.readinto(buffer.data) != info.file_size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: "
                               "the checkpoint is truncated")
        if zlib.crc32(buffer.data) != info.CRC:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: the "
                               "checkpoint is corrupted (CRC-32 mismatch)")
        return array

    def _pread(self, offset: int, size: int) -> bytes:
        if self.mmap is not None:
            return bytes(self.mmap[offset:offset + size])
        self.fp.seek(offset)
        return self.fp.read(size)


def _open_zip(file):
    try:
        return zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise RuntimeError(
            "PytorchStreamReader failed reading zip archive: failed finding central "
            "directory. This is an internal miniz error. If you are seeing this error, there "
            "is a high likelihood that your checkpoint file is corrupted. This can happen if "
            "the checkpoint was not saved properly, was transferred incorrectly, or the file "
            "was modified after saving."
        ) from e


def _is_zipfile(f) -> bool:
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    return head == b"PK\x03\x04"


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``torchlet.save`` or ``torch.save`` (zip or legacy format).

    ``f``: a path or a readable binary file object. ``map_location``: None, ``'cpu'``, a
    ``device``, a dict of locations or a callable ``(storage, location)`` (torchlet is
    CPU-only: every tensor loads on the CPU; 'meta' gives tensors without data).
    ``weights_only=True`` (the default, unless a ``pickle_module`` is given, as in torch)
    allows exactly what model and optimizer checkpoints need; ``weights_only=False`` unpickles
    anything (whole modules, any Python object: only for files you trust), with torch's
    classes mapped to torchlet's. ``mmap=True`` (paths only) maps the storages from the file instead
    of reading them (copy-on-write).
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                           "specified")
    if pickle_module not in (None, pickle):
        raise ValueError("torchlet.load only supports the standard pickle module")
    unknown = set(pickle_load_args) - {"encoding", "errors"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    pickle_load_args.setdefault("encoding", "utf-8")

    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _load_file(fh, path, mmap, weights_only, map_location, pickle_load_args)
    if not hasattr(f, "read"):
        raise AttributeError(
            f"'{type(f).__name__}' object has no attribute 'seek'. You can only torch.load "
            "from a file that is seekable. Please pre-load the data into a buffer like "
            "io.BytesIO and try to load from it instead.")
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load_file(f, None, False, weights_only, map_location, pickle_load_args)


def _load_file(f, path, mmap, weights_only, map_location, pickle_load_args):
    """Load from the open binary file ``f``; errors of the weights-only unpickler get
    torch's explanation around them."""
    try:
        if _is_zipfile(f):
            mapped = np.memmap(path, dtype=np.uint8, mode="c") if mmap else None
            return _load_zip(f, mapped, weights_only, map_location, pickle_load_args)
        if mmap:
            raise RuntimeError(
                "mmap can only be used with files saved with `torch.save("
                f"{path}, _use_new_zipfile_serialization=True), please torch.save your "
                "checkpoint with this option in order to use mmap.")
        return _load_legacy(f, weights_only, map_location, pickle_load_args)
    except pickle.UnpicklingError as e:
        if not weights_only:
            raise
        raise pickle.UnpicklingError(_weights_only_message(str(e))) from None


def _load_zip(file, mapped, weights_only, map_location, pickle_load_args):
    with _open_zip(file) as zf:
        archive = _Archive(zf, mapped)
        raw = archive.read("data.pkl")
        data = io.BytesIO(raw)
        unpickler = _RestrictedUnpickler(data, archive, weights_only, map_location,
                                         **pickle_load_args)
        # torch.save writes protocol 2, whose opcodes torch's weights-only unpickler reads
        # (bar ints beyond 2**2040); find_class guards its globals in torch's order. So only
        # other protocols are scanned first (a scan costs 80 ms per 1000 tensors).
        if weights_only and raw[:2] != b"\x80\x02":
            _check_weights_only(data, unpickler._allowed)
        try:
            return unpickler.load()
        except pickle.UnpicklingError:
            raise
        except (EOFError, ValueError, struct.error, KeyError, IndexError, TypeError,
                AttributeError) as e:
            if e is unpickler.caller_error:
                raise
            if not weights_only and isinstance(e, AttributeError):
                raise  # a class missing from its module (pickle's own message says which)
            raise pickle.UnpicklingError(
                f"torchlet.load: data.pkl is corrupted ({type(e).__name__}: {e})") from e


# The legacy (pre-1.6) format's reader and writer build on the pickler and unpickler above.
from torchlet._legacy_serialization import (  # noqa: E402
    _LEGACY_MAGIC_NUMBER,  # noqa: F401 (tests name it here)
    _load_legacy,
    _write_legacy,
)

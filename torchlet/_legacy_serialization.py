"""torch's legacy (pre-1.6) checkpoint format: ``torch.save(obj, f,
_use_new_zipfile_serialization=False)``, and every file torch wrote before version 1.6.

The file is not an archive but five pickles in a row, then raw bytes:

1. the magic number ``0x1950A86A20F9469CFC6C`` (a plain int: a file of another kind fails
   here, with torch's "Invalid magic number; corrupt file?");
2. the protocol version, ``1001``;
3. ``sys_info``: ``{'protocol_version': 1001, 'little_endian': True, 'type_sizes':
   {'short': 2, 'int': 4, 'long': 4}}`` (only the byte order is used when reading);
4. the object itself, pickled as in the zip format (``_rebuild_tensor_v2`` calls and the
   rest) except that a storage's persistent id has a sixth item, a view of the storage:
   ``('storage', torch.FloatStorage, '0', 'cpu', numel, None)``. torch has written None
   since 1.0; older files give ``(view_key, offset, size)`` for a storage that is a slice
   of another one. A whole module saved with ``weights_only=False`` may also name its
   class as ``('module', cls, source_file, source)``;
5. the sorted list of storage keys (``['0', '1', ...]``);

and then, for each key in that order, the storage: its element count as an int64 in the
file's byte order, followed by its bytes.

Reading has to unpickle the object (4) before the storages' bytes can be read, so each
storage is made empty (zeros) when the pickle names it and the tensors are views of it;
the bytes are read into it afterwards, which fills every tensor at once.

The pickler and unpickler are the zip format's (torchlet/serialization.py), taught the
sixth item of a storage id; this module adds the framing around them.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys

import numpy as np

from torchlet.serialization import (
    _check_weights_only,
    _CheckpointPickler,
    _elements_of,
    _MetaStorage,
    _RestrictedUnpickler,
    _StorageTable,
)
from torchlet.storage import TypedStorage

_LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the first pickle of a pre-1.6 torch file
_LEGACY_PROTOCOL_VERSION = 1001


# =============================================================================== saving


class _LegacyPickler(_CheckpointPickler):
    """The checkpoint pickler, writing storage ids with the legacy format's sixth item (a
    view of the storage: None, as torch writes since 1.0)."""

    def persistent_id(self, obj):
        pid = super().persistent_id(obj)
        return None if pid is None else pid + (None,)


def _write_legacy(obj, file, protocol: int) -> None:
    """torch's legacy format: pickles of the magic number, the format version and the
    machine's sizes; the object, whose storages are persistent ids ``('storage', type, key,
    'cpu', numel, None)``; the sorted list of storage keys; then each storage as its
    element count (int64) followed by its bytes."""
    storages = _StorageTable()
    pickled = io.BytesIO()
    _LegacyPickler(pickled, protocol, storages).dump(obj)
    sys_info = {"protocol_version": _LEGACY_PROTOCOL_VERSION,
                "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (_LEGACY_MAGIC_NUMBER, _LEGACY_PROTOCOL_VERSION, sys_info):
        pickle.dump(header, file, protocol=protocol)
    file.write(pickled.getbuffer())
    by_key = {ref.key: ref for ref in storages.storages}
    pickle.dump(sorted(by_key), file, protocol=protocol)
    for key in sorted(by_key):
        file.write(struct.pack("=q", by_key[key].numel))
        file.write(by_key[key].buffer)


# ============================================================================== loading


class _LegacyUnpickler(_RestrictedUnpickler):
    """The unpickler of a legacy file's main pickle: its storage ids have six items, and
    their bytes follow the pickle, so each storage starts as zeros (``_read``)."""

    def persistent_load(self, saved_id):
        if not isinstance(saved_id, tuple):  # (protocol 0 writes ids as text)
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        if saved_id[:1] == ("module",) and len(saved_id) == 4:
            return saved_id[1]  # a whole module's class (torch checks its source; we don't)
        if saved_id[:1] != ("storage",) or len(saved_id) != 6:
            raise pickle.UnpicklingError(f"unknown persistent id in checkpoint: {saved_id!r}")
        storage = self._storage(saved_id)
        view = saved_id[5]
        if view is not None and isinstance(storage, TypedStorage):  # (torch < 1.0 files)
            _, offset, size = view
            item = storage.dtype.itemsize
            part = storage._untyped()[offset * item:(offset + size) * item]
            return TypedStorage._wrap(part, storage.dtype)
        return storage

    def _read(self, storage_type, key, numel) -> np.ndarray:
        """Zeros for now: ``_read_legacy_storage`` fills them once the pickle is read."""
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage size in checkpoint: {numel!r}")
        return np.zeros(numel, storage_type.np_dtype)


def _load_legacy(f, weights_only, map_location, pickle_load_args):
    """A file that is not a zip archive, read as torch reads it: in the legacy (pre-1.6)
    format this module's docstring describes (a file of another kind fails on the magic
    number, with torch's error). Each pickle is read as a weights-only one when asked."""
    def unpickle(unpickler_class=_RestrictedUnpickler):
        unpickler = unpickler_class(f, None, weights_only, map_location, **pickle_load_args)
        if weights_only:
            _check_weights_only(f, unpickler._allowed)
        return unpickler, unpickler.load()

    if unpickle()[1] != _LEGACY_MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = unpickle()[1]
    if version != _LEGACY_PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    sys_info = unpickle()[1]
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    main, result = unpickle(_LegacyUnpickler)
    for key in unpickle()[1]:
        if key not in main._loaded:
            raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
        _read_legacy_storage(f, main._loaded[key], "<" if little else ">")
    return result


def _read_legacy_storage(f, storage, order: str) -> None:
    """Fill a legacy file's storage from its record: an int64 element count, the bytes."""
    head = f.read(8)
    if len(head) != 8:
        raise RuntimeError("unexpected EOF, expected 8 more bytes. The file might be corrupted.")
    numel = struct.unpack(order + "q", head)[0]
    if isinstance(storage, _MetaStorage):  # map_location='meta': no data to keep
        f.seek(numel * storage.dtype.itemsize, os.SEEK_CUR)
        return
    array = _elements_of(storage)
    if numel != array.size:
        raise RuntimeError(f"corrupt checkpoint: a storage of {array.size} elements has a "
                           f"record of {numel}")
    buffer = array.view(np.uint8)
    if f.readinto(buffer.data) != buffer.nbytes:
        raise RuntimeError(f"unexpected EOF, expected {buffer.nbytes} more bytes. The file "
                           "might be corrupted.")
    if array.dtype.byteorder != "|" and order != ("<" if sys.byteorder == "little" else ">"):
        array.byteswap(inplace=True)

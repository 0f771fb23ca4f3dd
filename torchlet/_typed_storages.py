"""The legacy typed storage classes: ``torch.FloatStorage``, ``torch.LongStorage`` and the
rest, and ``torch.Storage``.

Old code builds storages with them (``torch.FloatStorage(3)``, ``torch.LongStorage([1,
2])``) and tests storages with them (``isinstance(t.storage(), torch.FloatStorage)``,
``t.storage_type() is torch.FloatStorage``). As in torch they are subclasses of
TypedStorage that are never instantiated: calling one makes a plain TypedStorage of its
dtype, and ``isinstance`` asks for the dtype (``type(t.storage())`` is TypedStorage). torch
deprecates them with TypedStorage (the warning is given once per process).

``torch.Storage`` is the class of the default dtype (``FloatStorage``, or
``DoubleStorage`` after ``set_default_dtype(torch.float64)``); torchlet's module
``__getattr__`` asks ``default_storage_class()`` for it. There are no classes for the dtypes
torchlet lacks (bfloat16, complex, quantized).
"""

from __future__ import annotations

import collections.abc

from torchlet import _dtype as dtypes
from torchlet.storage import (
    TypedStorage,
    UntypedStorage,
    _isint,
    _type_repr,
    _warn_typed_storage_removal,
)

__all__ = [
    "BoolStorage", "ByteStorage", "CharStorage", "DoubleStorage", "FloatStorage",
    "HalfStorage", "IntStorage", "LongStorage", "ShortStorage",
]


class _LegacyStorageMeta(type):
    """The class of the legacy storage classes: instance checks by dtype, torch's names."""

    _dtype: dtypes.dtype

    def __instancecheck__(cls, instance) -> bool:
        # (torchlet's storages are all on the CPU, where these classes live)
        return type(instance) is TypedStorage and instance.dtype is cls._dtype

    @property
    def dtype(cls) -> dtypes.dtype:
        _warn_typed_storage_removal(stacklevel=2)
        return cls._dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


class _LegacyStorage(TypedStorage, metaclass=_LegacyStorageMeta):
    """Calling a subclass gives a TypedStorage of its dtype: ``FloatStorage()``, ``(size)``,
    ``(sequence)`` or ``(wrap_storage=untyped)``. torch's argument checks, in its words."""

    def __new__(cls, *args, wrap_storage=None, dtype=None, device=None, _internal=False):
        if not _internal:
            _warn_typed_storage_removal()
        if cls is _LegacyStorage:
            raise RuntimeError("Only child classes of _LegacyStorage can be instantiated")
        error = (f"<class 'torch.{cls.__name__}'>.__new__ received an invalid combination of "
                 "arguments. Expected one of:\n * no arguments\n * (int size)\n"
                 " * (Sequence data)\n * (*, UntypedStorage wrap_storage)")
        if device is not None:
            raise RuntimeError(error + "\nKeyword argument 'device' cannot be specified")
        if dtype is not None:
            raise RuntimeError(error + "\nKeyword argument 'dtype' cannot be specified")
        if wrap_storage is None:
            if len(args) > 1:
                raise RuntimeError(error + "\nToo many positional arguments")
            if (len(args) == 1 and not _isint(args[0])
                    and not isinstance(args[0], collections.abc.Sequence)):
                raise TypeError(error + f"\nArgument type not recognized: {_type_repr(args[0])}")
            return TypedStorage(*args, dtype=cls._dtype, _internal=True)
        if args:
            raise RuntimeError(error + "\nNo positional arguments should be given when using "
                               "'wrap_storage'")
        if not isinstance(wrap_storage, UntypedStorage):
            raise TypeError(error + "\nArgument 'wrap_storage' must be UntypedStorage, but got "
                            f"{_type_repr(wrap_storage)}")
        return TypedStorage(wrap_storage=wrap_storage, dtype=cls._dtype, _internal=True)


class FloatStorage(_LegacyStorage):
    _dtype = dtypes.float32


class DoubleStorage(_LegacyStorage):
    _dtype = dtypes.float64


class HalfStorage(_LegacyStorage):
    _dtype = dtypes.float16


class LongStorage(_LegacyStorage):
    _dtype = dtypes.int64


class IntStorage(_LegacyStorage):
    _dtype = dtypes.int32


class ShortStorage(_LegacyStorage):
    _dtype = dtypes.int16


class CharStorage(_LegacyStorage):
    _dtype = dtypes.int8


class ByteStorage(_LegacyStorage):
    _dtype = dtypes.uint8


class BoolStorage(_LegacyStorage):
    _dtype = dtypes.bool


_BY_DTYPE = {cls._dtype: cls for cls in (
    FloatStorage, DoubleStorage, HalfStorage, LongStorage, IntStorage, ShortStorage,
    CharStorage, ByteStorage, BoolStorage)}


def storage_class(dtype) -> type[_LegacyStorage]:
    """The legacy storage class of ``dtype`` (``FloatStorage`` for float32, ...)."""
    return _BY_DTYPE[dtype]


def default_storage_class() -> type[_LegacyStorage]:
    """``torch.Storage``: the storage class of the default dtype."""
    return _BY_DTYPE[dtypes.get_default_dtype()]

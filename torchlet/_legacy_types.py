"""The legacy tensor types: ``torch.FloatTensor``, ``torch.LongTensor`` and the rest.

Old tutorials build tensors with them (``torch.FloatTensor([1, 2])``, ``torch.LongTensor(2,
3)``) and test dtypes with them (``isinstance(x, torch.FloatTensor)``,
``x.type(torch.LongTensor)``). They are not subclasses of Tensor, in torch either: calling
one is ``Tensor.new`` on an empty tensor of its dtype (data, sizes, a Size or nothing), and
``isinstance`` asks for the dtype. Only the CPU types exist (no ``torch.cuda.FloatTensor``),
and no BFloat16Tensor: torchlet has no bfloat16.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._tensor import Tensor, wrap

__all__ = [
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor", "set_default_tensor_type",
]


class tensortype(type):  # noqa: N801 - torch's name (type(torch.FloatTensor))
    """The class of the legacy tensor types; each has a ``dtype``."""

    dtype: _dtype.dtype

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs) -> Tensor:
        from torchlet._ops.shape.strided import new

        return new(wrap(np.empty(0, cls.dtype.np)), *args, **kwargs)

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"

    @property
    def is_cuda(cls) -> bool:
        return False

    @property
    def is_sparse(cls) -> bool:
        return False


class FloatTensor(metaclass=tensortype):
    dtype = _dtype.float32


class DoubleTensor(metaclass=tensortype):
    dtype = _dtype.float64


class HalfTensor(metaclass=tensortype):
    dtype = _dtype.float16


class LongTensor(metaclass=tensortype):
    dtype = _dtype.int64


class IntTensor(metaclass=tensortype):
    dtype = _dtype.int32


class ShortTensor(metaclass=tensortype):
    dtype = _dtype.int16


class CharTensor(metaclass=tensortype):
    dtype = _dtype.int8


class ByteTensor(metaclass=tensortype):
    dtype = _dtype.uint8


class BoolTensor(metaclass=tensortype):
    dtype = _dtype.bool


_LEGACY_BY_NAME = {f"torch.{cls.__name__}": cls for cls in (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor)}
_warned = [False]


def set_default_tensor_type(t, /) -> None:
    """torch's deprecated way to set the default dtype: a floating legacy type (or its name,
    ``'torch.DoubleTensor'``). torch warns once per process."""
    if not _warned[0]:
        _warned[0] = True
        warnings.warn(
            "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
            "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
            UserWarning, stacklevel=2)
    if isinstance(t, str):
        if t.startswith("torch.cuda."):
            raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
        if t not in _LEGACY_BY_NAME:
            raise TypeError(f"invalid type: '{t}'")
        t = _LEGACY_BY_NAME[t]
    if not isinstance(t, tensortype):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)

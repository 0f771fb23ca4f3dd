"""The legacy tensor types: ``torch.FloatTensor``, ``torch.LongTensor`` and the rest.

Old tutorials build tensors with them (``torch.FloatTensor([1, 2])``, ``torch.LongTensor(2,
3)``) and test dtypes with them (``isinstance(x, torch.FloatTensor)``,
``x.type(torch.LongTensor)``). They are not subclasses of Tensor, in torch either: calling
one is ``Tensor.new`` on an empty tensor of its dtype (data, sizes, a Size or nothing), and
``isinstance`` asks for the dtype. The CUDA types (``torch.cuda.FloatTensor``, ...) exist as
in torch's CPU-only build: calling one is torch's TypeError ("Torch not compiled with CUDA
enabled") and no tensor is an instance of one. There is no BFloat16Tensor: torchlet has no
bfloat16.
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
    """The class of the legacy tensor types; each has a ``dtype``, and the CUDA ones say
    ``is_cuda = True`` (a class attribute, read before this default)."""

    dtype: _dtype.dtype
    is_cuda = False

    def __instancecheck__(cls, obj) -> bool:
        # every torchlet tensor is on the CPU, so none is a CUDA type's instance
        return not cls.is_cuda and isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs) -> Tensor:
        from torchlet._ops.shape.strided import new

        if cls.is_cuda:
            raise _cuda_not_available(cls)
        return new(wrap(np.empty(0, cls.dtype.np)), *args, **kwargs)

    def __repr__(cls) -> str:
        return f"<class '{_qualified_name(cls)}'>"

    @property
    def is_sparse(cls) -> bool:
        return False


def _qualified_name(cls: tensortype) -> str:
    """torch's name for a legacy type: ``torch.FloatTensor``, ``torch.cuda.FloatTensor``."""
    return f"torch.cuda.{cls.__name__}" if cls.is_cuda else f"torch.{cls.__name__}"


def _cuda_not_available(name) -> TypeError:
    """What torch's CPU-only build raises for any use of a CUDA tensor type."""
    if isinstance(name, tensortype):
        name = _qualified_name(name)
    return TypeError(f"type {name} not available. Torch not compiled with CUDA enabled.")


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


_LEGACY_BY_NAME = {cls.__name__: cls for cls in (
    BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor, IntTensor,
    LongTensor, ShortTensor)}
_warned = [False]


def _legacy_type_named(name: str) -> tensortype:
    """The type a name such as ``'torch.DoubleTensor'`` or ``'torch.cuda.FloatTensor'``
    stands for; torch imports it as a dotted path, so an unknown one is AttributeError."""
    import torchlet.cuda

    module, _, attr = name.rpartition(".")
    if module not in ("torch", "torch.cuda"):
        raise TypeError(f"invalid type: '{name}'")
    if attr not in _LEGACY_BY_NAME:
        raise AttributeError(f"module '{module}' has no attribute '{attr}'")
    return getattr(torchlet.cuda, attr) if module == "torch.cuda" else _LEGACY_BY_NAME[attr]


def set_default_tensor_type(t, /) -> None:
    """torch's deprecated way to set the default dtype: a floating legacy type (or its name,
    ``'torch.DoubleTensor'``). torch warns once per process."""
    if not _warned[0]:
        _warned[0] = True
        warnings.warn(
            "torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
            "torch.set_default_dtype() and torch.set_default_device() as alternatives. "
            "(Triggered internally at /__w/pytorch/pytorch/torch/csrc/tensor/"
            "python_tensor.cpp:434.)",
            UserWarning, stacklevel=2)
    if isinstance(t, str):
        t = _legacy_type_named(t)
    if not isinstance(t, tensortype):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    if t.is_cuda:
        raise _cuda_not_available(t)
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(t.dtype)

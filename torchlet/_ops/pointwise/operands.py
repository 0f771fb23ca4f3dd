"""Operands of elementwise operations: torch's dtype rules, dtype conversion (``to``),
the ``out=`` argument, and small helpers shared by backward rules and in-place methods.

Both operands are brought to ``torch.result_type`` before NumPy sees them, so NumPy's own
promotion never decides a result dtype.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# operands and dtypes


def _operands(a, b):
    """``a`` and ``b`` in torch's common dtype: Tensors stay Tensors (cast if needed) and
    Python numbers become NumPy scalars of that dtype. Returns (a, b, numpy dtype)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return a, b, da
            common = _dtype.result_type_of((a, b)).np
            return _cast(a, common), _cast(b, common), common
        if isinstance(b, np.ndarray):  # torch treats an array operand as a tensor
            return _operands(a, wrap(b))
        common = _with_number(a, b)
        return _cast(a, common), _number(b, common), common
    if isinstance(b, Tensor):
        if isinstance(a, np.ndarray):
            return _operands(wrap(a), b)
        common = _with_number(b, a)
        return _number(a, common), _cast(b, common), common
    raise TypeError(f"expected a Tensor, got {type(a).__name__} and {type(b).__name__}")


def _with_number(t: Tensor, number):
    """Result dtype of a tensor with a Python number (numbers are weak)."""
    kind = t._data.dtype.kind
    number_type = type(number)
    if number_type is float:
        return t._data.dtype if kind == "f" else _dtype.get_default_dtype().np
    if number_type is int:
        return t._data.dtype if kind != "b" else np.dtype(np.int64)
    if number_type is bool:
        return t._data.dtype
    return _dtype.result_type_of((t, number)).np


def _cast(t: Tensor, np_dtype) -> Tensor:
    if t._data.dtype == np_dtype:
        return t
    return to(t, _dtype._BY_NP[np.dtype(np_dtype)])


def _number(value, np_dtype):
    """A Python number as a NumPy scalar of ``np_dtype`` (wrapping like a C cast)."""
    try:
        return np_dtype.type(value)
    except (OverflowError, ValueError):
        return np.array(value).astype(np_dtype)[()]


def _float_operand(t: Tensor) -> Tensor:
    """Integer inputs of float functions (exp, sin, ...) are promoted to the default dtype."""
    if t._data.dtype.kind == "f":
        return t
    return to(t, _dtype.get_default_dtype())


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return x


def _out(result: Tensor, out, name: str):
    """Support torch's ``out=`` argument of the function ``name``: write into ``out``
    (resized like torch). As torch, refuse when autograd would have to follow the write:
    an input requires grad (so the result does), or ``out`` itself does."""
    if out is None:
        return result
    if result.requires_grad or (out.requires_grad and GRAD_STATE.enabled):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vbox[0] += 1
    return out


_TYPE_WORD = _dtype.TYPE_WORDS


# ---------------------------------------------------------------------------------------
# dtype conversion


class ToCopy(Primitive):
    """out = input cast to another dtype;  grad_input = grad cast back (the engine casts)."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def to(t: Tensor, *args, **kwargs) -> Tensor:
    """``t.to(dtype)``, ``t.to('cpu')``, ``t.to(other)``, ``t.to(device, dtype)``; copy=."""
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool):
            dtype = _dtype.to_dtype(arg)
        elif isinstance(arg, (str, type(None))) or hasattr(arg, "type"):
            device = arg
        elif isinstance(arg, bool):
            pass
    if device is not None:
        from torchlet._device import check_cpu

        check_cpu(device)
    if dtype is None or dtype.np == t._data.dtype:
        return t.clone() if copy else t
    return ToCopy.apply(t, np_dtype=dtype.np)


# ---------------------------------------------------------------------------------------
# helpers shared by backward rules and in-place methods


def zeros_like(t: Tensor) -> Tensor:
    return wrap(np.zeros_like(t._data))


def zeros_like_scalar(t: Tensor):
    """A zero of ``t``'s dtype, as a NumPy scalar (cheaper than a zeros tensor)."""
    return t._data.dtype.type(0)


def zeros_like_grad(grad: Tensor, ctx, index: int):
    if not ctx.needs_input_grad[index]:
        return None
    return zeros_like(grad)


class Fill(Primitive):
    """out = a tensor of ``a``'s shape filled with a value;  no gradient to ``a``."""

    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, a, *, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


class FillTensor(Primitive):
    """out = ``a``'s shape filled with the 0-d ``value``;  grad_a = 0,
    grad_value = sum(grad)."""

    node_name = "FillBackward1"

    @staticmethod
    def forward(ctx, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like_grad(grad, ctx, 0), grad.sum()


# torch names the in-place forms' nodes apart from torch.fill's
class FillInPlace(Fill):
    """``fill_(number)``: as Fill."""

    node_name = "FillBackward2"


class FillTensorInPlace(FillTensor):
    """``fill_(0-d tensor)``: as FillTensor."""

    node_name = "FillBackward3"


class ZeroInPlace(Fill):
    """``zero_()``: Fill with 0."""

    node_name = "ZeroBackward0"


def full_like_value(t: Tensor, value, *, in_place: bool = False) -> Tensor:
    """What ``torch.fill``, ``fill_`` and ``zero_`` compute: ``t``'s shape and dtype, one
    value everywhere."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        primitive = FillTensorInPlace if in_place else FillTensor
        return primitive.apply(t, _cast(value, t._data.dtype))
    return (FillInPlace if in_place else Fill).apply(t, value=_number(value, t._data.dtype))


def zero_value(t: Tensor) -> Tensor:
    """What ``zero_`` computes: zeros of ``t``'s shape and dtype."""
    return ZeroInPlace.apply(t, value=t._data.dtype.type(0))


class CopyFrom(Primitive):
    """out = ``src`` broadcast to ``a``'s shape and dtype;  grad_a = 0 (its old values
    are overwritten: torch sends zeros, not nothing),  grad_src = grad (summed back)."""

    node_name = "torch::autograd::CopyBackwards"  # printed as CopyBackwards

    @staticmethod
    def forward(ctx, a, src):
        out = np.empty_like(a)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return zeros_like(grad) if needs[0] else None, grad if needs[1] else None


def copy_from(t: Tensor, src) -> Tensor:
    """What ``t.copy_(src)`` computes."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    try:
        np.broadcast_shapes(src._data.shape, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({t._data.shape[-1] if t._data.ndim else 1}) must match "
            f"the size of tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at "
            "non-singleton dimension"
        ) from None
    return CopyFrom.apply(t, src)


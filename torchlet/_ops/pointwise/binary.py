"""Functions that pick or combine values of two or three tensors: atan2, maximum,
minimum, clamp, where, lerp. Torch's conventions at ties and bounds: maximum/minimum
split the gradient evenly on ties; clamp passes the gradient at its bounds.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    _cast,
    _check_tensor,
    _number,
    _operands,
    _out,
    to,
    zeros_like_scalar,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# two-input functions


class Atan2(Primitive):
    """out = atan2(a, b);  grad_a = grad * b / (a² + b²),  grad_b = -grad * a / (a² + b²)."""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        needs = ctx.needs_input_grad
        return (grad * b / denom if needs[0] else None,
                grad * -a / denom if needs[1] else None)


def atan2(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(_check_tensor("atan2", input), other)
    if dt.kind != "f":
        f = _dtype.get_default_dtype()
        a, b = to(a, f), to(b, f) if isinstance(b, Tensor) else _number(b, f.np)
    return _out(Atan2.apply(a, b), out)


arctan2 = atan2


class Maximum(Primitive):
    """out = max(a, b);  the larger input gets grad; ties split it, half each."""

    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, a, b, ctx.needs_input_grad)


class Minimum(Primitive):
    """out = min(a, b);  the smaller input gets grad; ties split it, half each."""

    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, b, a, ctx.needs_input_grad)


def _split_ties(grad, winner, loser, needs):
    """Gradients of max(winner, loser): all to the larger, half each on ties."""
    half = grad / 2
    grad_w = where(winner == loser, half, where(winner > loser, grad, 0.0)) if needs[0] else None
    grad_l = where(winner == loser, half, where(winner < loser, grad, 0.0)) if needs[1] else None
    return grad_w, grad_l


def maximum(input, other, *, out=None):  # noqa: A002
    a, b, _ = _operands(_check_tensor("maximum", input), _check_tensor("maximum", other))
    return _out(Maximum.apply(a, b), out)


def minimum(input, other, *, out=None):  # noqa: A002
    a, b, _ = _operands(_check_tensor("minimum", input), _check_tensor("minimum", other))
    return _out(Minimum.apply(a, b), out)


class ClampScalar(Primitive):
    """out = min(max(a, lo), hi);  grad_a = grad where lo <= a <= hi (kept at the bounds)."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, *, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = a >= ctx.lo
        if ctx.hi is not None:
            keep = (a <= ctx.hi) if keep is None else keep & (a <= ctx.hi)
        return grad * keep if keep is not None else grad


class ClampTensor(Primitive):
    """out = min(max(a, lo), hi) with tensor bounds; each bound gets grad where it binds."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        a, lo, hi = ctx.saved_tensors
        needs = ctx.needs_input_grad
        inside = None
        if lo is not None:
            inside = a >= lo
        if hi is not None:
            inside = (a <= hi) if inside is None else inside & (a <= hi)
        grad_a = where(inside, grad, 0.0) if needs[0] else None
        grad_lo = where(a < lo, grad, 0.0) if needs[1] else None
        grad_hi = where(a > hi, grad, 0.0) if needs[2] else None
        if lo is not None and hi is not None and needs[1]:
            grad_lo = where((a < lo) & (lo <= hi), grad, 0.0)
        return grad_a, grad_lo, grad_hi


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    x = _check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        operands = [x] + [m for m in (min, max) if m is not None]
        common = _dtype.result_type_of(operands)
        lo = _cast_any(min, common)
        hi = _cast_any(max, common)
        return _out(ClampTensor.apply(_cast(x, common.np), lo, hi), out)
    common = _dtype.result_type_of([x] + [m for m in (min, max) if m is not None])
    if common.np != x._data.dtype:
        x = _cast(x, common.np)
    lo = None if min is None else _number(min, common.np)
    hi = None if max is None else _number(max, common.np)
    return _out(ClampScalar.apply(x, lo=lo, hi=hi), out)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min, None)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, None, max)


def _cast_any(value, common):
    if value is None:
        return None
    if isinstance(value, Tensor):
        return _cast(value, common.np)
    return wrap(np.array(value, dtype=common.np))


def select(cond: np.ndarray, a, b) -> np.ndarray:
    """``np.where(cond, a, b)``, computed with bit masks on large arrays.

    np.where branches per element: with an unpredictable condition (a ReLU's mask) it
    costs ~3.5 ns per element, 20x torch. Selecting the bits instead,
    ``(a & m) | (b & ~m)`` with ``m`` all ones where ``cond`` holds, is branch-free and
    gives exactly the same values (NaN payloads and signed zeros included).
    """
    if not (type(a) is np.ndarray and cond.size >= _SELECT_MIN and cond.shape == a.shape
            and cond.dtype == np.bool_ and a.dtype.kind == "f" and a.dtype.itemsize in _BITS
            and getattr(b, "dtype", a.dtype) == a.dtype):
        return np.where(cond, a, b)
    bits = _BITS[a.dtype.itemsize]
    b = np.asarray(b, a.dtype)
    mask = cond.astype(bits)
    np.negative(mask, out=mask)  # True -> all bits set, False -> 0
    result = np.empty(a.shape, a.dtype)  # owns its memory (the integer views do not)
    out = np.bitwise_and(a.view(bits), mask, out=result.view(bits))
    if b.ndim == 0 and b.view(bits) == 0:  # b is +0.0: nothing to add (a ReLU's grad)
        return result
    np.invert(mask, out=mask)
    np.bitwise_or(out, np.bitwise_and(np.broadcast_to(b, a.shape).view(bits), mask), out=out)
    return result


_SELECT_MIN = 4096  # below this np.where's smaller fixed cost wins
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


class Where(Primitive):
    """out = a where cond else b;  grad_a = grad where cond,  grad_b = grad where not."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, a, b, *, cond):
        ctx.cond = cond
        return select(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond = wrap(ctx.cond)
        needs = ctx.needs_input_grad
        zero = zeros_like_scalar(grad)
        return (where(cond, grad, zero) if needs[0] else None,
                where(cond, zero, grad) if needs[1] else None)


def where(condition, input=None, other=None, *, out=None):  # noqa: A002
    """``where(cond, a, b)`` picks elementwise; ``where(cond)`` is ``nonzero(as_tuple)``."""
    if input is None and other is None:
        from torchlet._ops.indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' (position 1) must be Tensor")
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_TYPE_WORD[condition._data.dtype.name]}"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        common = _dtype.result_type_of((input, other))
        a = wrap(np.array(input, dtype=common.np))
        b = _number(other, common.np)
    else:
        a, b, _ = _operands(input, other)
    return _out(Where.apply(a, b, cond=condition._data), out)


class LerpScalar(Primitive):
    """out = a + w * (b - a), w a number;  grad_a = grad * (1 - w),  grad_b = grad * w."""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, weight):
        ctx.weight = weight
        return a + weight * (b - a)

    @staticmethod
    def backward(ctx, grad):
        w = ctx.weight
        needs = ctx.needs_input_grad
        return grad * (1 - w) if needs[0] else None, grad * w if needs[1] else None


class LerpTensor(Primitive):
    """out = a + w * (b - a);  grad_a = grad * (1 - w),  grad_b = grad * w,
    grad_w = grad * (b - a)."""

    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return a + w * (b - a)

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (grad * (1 - w) if needs[0] else None,
                grad * w if needs[1] else None,
                grad * (b - a) if needs[2] else None)


def lerp(input, end, weight, *, out=None):  # noqa: A002
    a, b, dt = _operands(_check_tensor("lerp", input), _check_tensor("lerp", end))
    if dt.kind != "f":
        raise NotImplementedError(
            f'"lerp_kernel_scalar" not implemented for \'{_TYPE_WORD[dt.name]}\''
        )
    if isinstance(weight, Tensor):
        return _out(LerpTensor.apply(a, b, _cast(weight, dt)), out)
    return _out(LerpScalar.apply(a, b, weight=_number(weight, dt)), out)


class NanToNum(Primitive):
    """out = a with nan/inf replaced;  grad_a = grad where a is finite, else 0."""

    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, *, nan, posinf, neginf):
        ctx.finite = np.isfinite(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        return grad * wrap(ctx.finite)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):  # noqa: A002
    x = _check_tensor("nan_to_num", input)
    if x._data.dtype.kind != "f":
        return _out(x.clone(), out)
    return _out(NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf), out)



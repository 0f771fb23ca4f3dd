"""torch.special's two-argument functions: xlog1py and the Hurwitz zeta function.

Forward values follow torch's kernels (``special_kernels.zeta`` for zeta); gradients are
torch's derivatives.yaml formulas in torchlet operations. Python numbers are accepted in
either position, as torch's Scalar overloads (with their own grad_fn names). Two Tensors
of different float dtypes are converted inside the node (``dtype``, as extra.Xlogy's: no
ToCopyBackward0, as torch); the formulas use the inputs in their own dtypes.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise import special_kernels as K
from torchlet._ops.pointwise.arithmetic import add_scalar, mul_scalar
from torchlet._ops.pointwise.binary import zeroed
from torchlet._ops.pointwise.extra import _uncast_float_operands
from torchlet._ops.pointwise.operands import (
    EITHER_A_NUMBER_OUT,
    _cast,
    _number,
    _out,
    operand_error,
    promoted,
    promotion,
)
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# xlog1py


def _xlog1py(a, b):
    """torch's kernel: NaN where b is NaN, else 0 where a == 0, else a * log1p(b), the
    log1p rounded to the dtype before the product."""
    a, b = np.broadcast_arrays(a, b)
    with np.errstate(all="ignore"):
        out = a * np.log1p(b.astype(np.float64)).astype(a.dtype)
    out = np.where(a == 0, out.dtype.type(0), out)
    return np.where(np.isnan(b), out.dtype.type(np.nan), out)


class Xlog1py(Primitive):
    """out = a * log1p(b);  grad_a = xlog1py(grad, b), 0 where a == 0 and b <= -1;
    grad_b = grad * a / (b + 1)."""

    node_name = "SpecialXlog1PyBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(_xlog1py(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # (torch's masked_fill and C++ ``other + 1``: MaskedFillBackward0, AddBackward1)
        # (b's first, as torch's node: "other" sorts before "self", see Mul's)
        grad_b = grad * a / add_scalar(b, 1) if needs[1] else None
        return zeroed(xlog1py(grad, b), (a == 0) & (b <= -1)) if needs[0] else None, grad_b


class Xlog1pyNumberSelf(Primitive):
    """out = xlog1py(number, b);  grad_b = grad * number / (b + 1)."""

    node_name = "SpecialXlog1PyBackward1"

    @staticmethod
    def forward(ctx, b, *, number):
        ctx.save_for_backward(b)
        ctx.number = number
        return laid_out_as_torch(_xlog1py(_number(number, b.dtype), b), number, b)

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved_tensors
        return mul_scalar(grad, ctx.number) / add_scalar(b, 1)


class Xlog1pyNumberOther(Primitive):
    """out = xlog1py(a, number);  grad_a = xlog1py(grad, number), 0 where a == 0 unless
    number > -1."""

    node_name = "SpecialXlog1PyBackward2"

    @staticmethod
    def forward(ctx, a, *, number):
        ctx.save_for_backward(a)
        ctx.number = number
        return laid_out_as_torch(_xlog1py(a, _number(number, a.dtype)), a, number)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad_a = xlog1py(grad, ctx.number)
        return grad_a if ctx.number > -1 else zeroed(grad_a, a == 0)


def xlog1py(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_float_operands(input, other)
    except TypeError as error:
        raise operand_error("special_xlog1py", input, other, error, EITHER_A_NUMBER_OUT) \
            from None
    if not isinstance(a, Tensor):
        return _out(Xlog1pyNumberSelf.apply(_cast(b, dt), number=input), out,
                    "special_xlog1py")
    if not isinstance(b, Tensor):
        return _out(Xlog1pyNumberOther.apply(_cast(a, dt), number=other), out,
                    "special_xlog1py")
    return _out(Xlog1py.apply(a, b, **promotion(dt, a, b)), out, "special_xlog1py")


# ---------------------------------------------------------------------------------------
# Hurwitz zeta


class Zeta(Primitive):
    """out = zeta(x, q) = sum_k (k + q)^-x;  grad_q = grad * -x * zeta(x + 1, q);
    no derivative in x (torch has none)."""

    node_name = "SpecialZetaBackward0"

    @staticmethod
    def forward(ctx, x, q, *, dtype=None):
        ctx.save_for_backward(x, q)
        if dtype is not None:
            x, q = promoted(x, dtype), promoted(q, dtype)
        wide_x, wide_q = np.broadcast_arrays(x, q)
        out = K.zeta(wide_x.reshape(-1), wide_q.reshape(-1)).reshape(wide_x.shape)
        return laid_out_as_torch(out, x, q)

    @classmethod
    def backward(cls, ctx, grad):
        x, q = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return None, grad * -x * zeta(add_scalar(x, 1.0), q)


class ZetaNumberSelf(Primitive):
    """zeta(number, q);  grad_q = grad * -number * zeta(number + 1, q)."""

    node_name = "SpecialZetaBackward1"

    @staticmethod
    def forward(ctx, q, *, number):
        ctx.save_for_backward(q)
        ctx.number = number
        x = np.full(q.shape, number, q.dtype)
        return laid_out_as_torch(K.zeta(x.reshape(-1), q.reshape(-1)).reshape(q.shape), q)

    @staticmethod
    def backward(ctx, grad):
        (q,) = ctx.saved_tensors
        return mul_scalar(grad, -ctx.number) * zeta(ctx.number + 1.0, q)


class ZetaNumberOther(Primitive):
    """zeta(x, number): no derivative in x (torch has none)."""

    node_name = "SpecialZetaBackward2"

    @staticmethod
    def forward(ctx, x, *, number):
        q = np.full(x.shape, number, x.dtype)
        return laid_out_as_torch(K.zeta(x.reshape(-1), q.reshape(-1)).reshape(x.shape), x)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for 'zeta' is not implemented.")


def zeta(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_float_operands(input, other)
    except TypeError as error:
        raise operand_error("special_zeta", input, other, error, EITHER_A_NUMBER_OUT) \
            from None
    if dt == np.float16:
        raise NotImplementedError("\"zeta_cpu\" not implemented for 'Half'")
    if not isinstance(a, Tensor):
        return _out(ZetaNumberSelf.apply(_cast(b, dt), number=float(input)), out,
                    "special_zeta")
    if not isinstance(b, Tensor):
        return _out(ZetaNumberOther.apply(_cast(a, dt), number=float(other)), out,
                    "special_zeta")
    return _out(Zeta.apply(a, b, **promotion(dt, a, b)), out, "special_zeta")

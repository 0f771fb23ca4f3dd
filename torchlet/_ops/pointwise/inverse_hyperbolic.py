"""The inverse hyperbolic functions acosh, asinh, atanh (and NumPy's names arccosh, arcsinh,
arctanh), with torch's backward formulas from derivatives.yaml.

Integer and bool inputs are promoted to the default dtype, as in torch. float16 is computed
in float32 and rounded once (NumPy's float16 loops do exactly that, as torch's Half kernels
do). Values come from NumPy's math library: within float rounding of torch's (a few ulp).
At the domain edges both follow IEEE: acosh(1) = 0, acosh(x < 1) = nan, atanh(+-1) = +-inf,
atanh(|x| > 1) = nan, asinh(+-inf) = +-inf, and -0.0 stays -0.0 for asinh and atanh.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise.arithmetic import (
    add_scalar,
    mul_scalar,
    scalar_minus,
    sub_scalar,
)
from torchlet._ops.pointwise.operands import _check_tensor, _float_operand, _out
from torchlet._ops.pointwise.unary import rsqrt
from torchlet._tensor import _inplace
from torchlet.autograd.function import Primitive


class Acosh(Primitive):
    """out = acosh(a);  grad_a = grad * rsqrt(a ** 2 - 1).

    The formulas are torch's op for op (its C++ numbers as Scalars: ``add_scalar``, ...),
    so that create_graph records torch's nodes."""

    node_name = "AcoshBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arccosh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * rsqrt(sub_scalar(a * a, 1))


class Asinh(Primitive):
    """out = asinh(a);  grad_a = grad * rsqrt(a ** 2 + 1)."""

    node_name = "AsinhBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arcsinh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * rsqrt(add_scalar(pow(a, 2), 1))


class Atanh(Primitive):
    """out = atanh(a);  grad_a = grad / (1 - a ** 2)."""

    node_name = "AtanhBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.arctanh(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return mul_scalar(grad, 1) / scalar_minus(1, pow(a, 2))  # torch's grad * 1 / (...)


class _NoInplaceDerivative:
    """torch's derivatives.yaml has ``not_implemented("inplace version of ...")`` for the
    in-place forms: the graph records them (AcoshBackward1, ...), backward through them
    raises."""

    @classmethod
    def backward(cls, ctx, grad):
        raise NotImplementedError(
            f"the derivative for 'inplace version of {cls.torch_name}' is not implemented."
        )


class AcoshInplace(_NoInplaceDerivative, Acosh):
    """out = acosh(a), written into a;  no derivative (as torch)."""

    node_name = "AcoshBackward1"
    torch_name = "acosh"


class AsinhInplace(_NoInplaceDerivative, Asinh):
    """out = asinh(a), written into a;  no derivative (as torch)."""

    node_name = "AsinhBackward1"
    torch_name = "asinh"


class AtanhInplace(_NoInplaceDerivative, Atanh):
    """out = atanh(a), written into a;  no derivative (as torch)."""

    node_name = "AtanhBackward1"
    torch_name = "atanh"


def _apply(cls, name: str, input):  # noqa: A002
    return cls.apply(_float_operand(_check_tensor(name, input)))


def acosh(input, *, out=None):  # noqa: A002
    return _out(_apply(Acosh, "acosh", input), out, "acosh")


def asinh(input, *, out=None):  # noqa: A002
    return _out(_apply(Asinh, "asinh", input), out, "asinh")


def atanh(input, *, out=None):  # noqa: A002
    return _out(_apply(Atanh, "atanh", input), out, "atanh")


def arccosh(input, *, out=None):  # noqa: A002
    return _out(_apply(Acosh, "arccosh", input), out, "arccosh")


def arcsinh(input, *, out=None):  # noqa: A002
    return _out(_apply(Asinh, "arcsinh", input), out, "arcsinh")


def arctanh(input, *, out=None):  # noqa: A002
    return _out(_apply(Atanh, "arctanh", input), out, "arctanh")


def _float_apply(cls):
    return lambda x: cls.apply(_float_operand(x))


def acosh_(input):  # noqa: A002
    """``input.acosh_()``."""
    return _inplace(_check_tensor("acosh_", input), _float_apply(AcoshInplace))


def asinh_(input):  # noqa: A002
    """``input.asinh_()``."""
    return _inplace(_check_tensor("asinh_", input), _float_apply(AsinhInplace))


def atanh_(input):  # noqa: A002
    """``input.atanh_()``."""
    return _inplace(_check_tensor("atanh_", input), _float_apply(AtanhInplace))

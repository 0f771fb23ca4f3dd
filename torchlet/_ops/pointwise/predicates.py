"""Predicates on tensors (isposinf, isneginf, isreal, is_nonzero, is_same_size, is_signed,
is_complex, is_conj, is_neg) and torch's complex-number helpers as they act on the real
dtypes torchlet has: conj, conj_physical, resolve_conj, resolve_neg and real return the
tensor itself (torch returns the very same object), imag raises torch's error, and angle
is 0 for x >= 0 (either zero), pi for x < 0 and nan for nan.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.pointwise import comparison
from torchlet._ops.pointwise.operands import (
    _check_tensor,
    _float_operand,
    _out,
    bool_out_only,
    zeros_like,
)
from torchlet._ops.shape.common import empty_in_layout
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# predicates


def isposinf(input, *, out=None):  # noqa: A002
    return _out(comparison.isposinf(input), out, "isposinf", bool_out_only("isposinf"))


def isneginf(input, *, out=None):  # noqa: A002
    return _out(comparison.isneginf(input), out, "isneginf", bool_out_only("isneginf"))


def isreal(input) -> Tensor:  # noqa: A002
    """True everywhere: every dtype torchlet has is real (torch's ones_like, so laid
    out as the input)."""
    data = _check_tensor("isreal", input)._data
    return wrap(empty_in_layout(data, np.bool_, None, np.ones))


def is_nonzero(input) -> bool:  # noqa: A002
    """The truth of a one-element tensor (nan counts as nonzero)."""
    data = _check_tensor("is_nonzero", input)._data
    if data.size == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if data.size > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(data.reshape(()) != 0)


def is_same_size(input, other) -> bool:  # noqa: A002
    a = _check_tensor("is_same_size", input)
    if not isinstance(other, Tensor):
        raise TypeError(
            f"is_same_size(): argument 'other' (position 2) must be Tensor, not "
            f"{type_name(other)}"
        )
    return a._data.shape == other._data.shape


def is_signed(input) -> bool:  # noqa: A002
    """True for floating and signed integer dtypes (not uint8, not bool)."""
    return _check_tensor("is_signed", input)._data.dtype.kind in "fi"


def is_complex(input) -> bool:  # noqa: A002
    _check_tensor("is_complex", input)
    return False


def is_conj(input) -> bool:  # noqa: A002
    _check_tensor("is_conj", input)
    return False


def is_neg(input) -> bool:  # noqa: A002
    _check_tensor("is_neg", input)
    return False


# ---------------------------------------------------------------------------------------
# complex helpers on real tensors


def conj(input) -> Tensor:  # noqa: A002
    return _check_tensor("conj", input)


def conj_physical(input, *, out=None) -> Tensor:  # noqa: A002
    x = _check_tensor("conj_physical", input)
    return x if out is None else _out(x.clone(), out, "conj_physical")


def conj_physical_(input) -> Tensor:  # noqa: A002
    return _check_tensor("conj_physical_", input)


def resolve_conj(input) -> Tensor:  # noqa: A002
    return _check_tensor("resolve_conj", input)


def resolve_neg(input) -> Tensor:  # noqa: A002
    return _check_tensor("resolve_neg", input)


def real(input) -> Tensor:  # noqa: A002
    return _check_tensor("real", input)


def imag(input) -> Tensor:  # noqa: A002
    _check_tensor("imag", input)
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


class Angle(Primitive):
    """out = nan if a is nan, pi if a < 0, else 0;  piecewise constant: grad_a = 0
    (torch's angle_backward for real inputs)."""

    node_name = "AngleBackward0"

    @staticmethod
    def forward(ctx, a):
        pi = a.dtype.type(math.pi)
        return np.where(np.isnan(a), a, np.where(a < 0, pi, a.dtype.type(0)))

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


def angle(input, *, out=None) -> Tensor:  # noqa: A002
    x = _float_operand(_check_tensor("angle", input))
    return _out(Angle.apply(x), out, "angle")

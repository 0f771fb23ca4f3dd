"""Comparisons, logical and bitwise operations: results are bool (or integer) and
never join the autograd graph.
"""

from __future__ import annotations

import numpy as np

from torchlet._device import NO_META_ITEM, no_meta_kernel, on_meta
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import broadcast_shapes, laid_out_as_torch
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    EITHER_A_NUMBER,
    TENSOR_OR_NUMBER,
    _check_tensor,
    _operands,
    _out,
    bool_out_only,
    check_out_first,
    invalid_combination,
    is_operand,
    operand_error,
    out_dtype_found,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# comparisons and logical operations (results are bool, never differentiable)


class Compare(Primitive):
    """A comparison; bool output, so it never joins the graph."""

    node_name = "CompareBackward"

    @staticmethod
    def forward(ctx, a, b, *, op):
        return laid_out_as_torch(op(a, b), a, b)


class LogicalOp(Primitive):
    """A logical operation on bool (or truthy) values; bool output."""

    node_name = "LogicalBackward"

    @staticmethod
    def forward(ctx, a, b=None, *, op):
        return op(a) if b is None else laid_out_as_torch(op(a, b), a, b)


def _compare(input, other, op, name):  # noqa: A002
    # torch's overloads take (Tensor, Tensor) or (Tensor, Number): ``2 < x`` reaches here
    # reflected, as x.__gt__(2)
    try:
        a, b, _ = _operands(_check_tensor(name, input), other)
    except TypeError as error:
        raise operand_error(name, input, other, error, TENSOR_OR_NUMBER) from None
    return Compare.apply(a, b, op=op)


def eq(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.equal, "eq"), out, "eq")


def ne(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.not_equal, "ne"), out, "ne")


def lt(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less, "lt"), out, "lt")


def le(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less_equal, "le"), out, "le")


def gt(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater, "gt"), out, "gt")


def ge(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater_equal, "ge"), out, "ge")


def inplace_compare_error(error: TypeError, method: str, other) -> TypeError:
    """The error of ``self.eq_(other)`` (``method``: eq_, greater_, ...) whose ``other``
    torch's parser refuses: the method's invalid combination of its two signatures. Any
    other error is kept."""
    if is_operand(other):
        return error
    return invalid_combination(method, (other,), ("Tensor other", "Number other"))


# the aliases: torch parses them with their own names (their errors name them)


def not_equal(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.not_equal, "not_equal"), out, "not_equal")


def less(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less, "less"), out, "less")


def less_equal(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less_equal, "less_equal"), out, "less_equal")


def greater(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater, "greater"), out, "greater")


def greater_equal(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater_equal, "greater_equal"), out,
                "greater_equal")


def equal(input, other) -> bool:  # noqa: A002
    """True if both have the same shape and the same values."""
    a, b = _check_tensor("equal", input), _check_tensor("equal", other)
    if on_meta(a._data) or on_meta(b._data):  # (torch has no meta kernel for equal)
        raise no_meta_kernel("equal")
    if a._data.shape != b._data.shape:
        return False
    a, b, _ = _operands(a, b)
    return bool(np.array_equal(a._data, b._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    a, b = _check_tensor("isclose", input), _check_tensor("isclose", other)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"{_TYPE_WORD[a._data.dtype.name]} did not match {_TYPE_WORD[b._data.dtype.name]}"
        )
    _check_broadcast(a._data, b._data)
    close = np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return wrap(laid_out_as_torch(close, a._data, b._data))  # (torch's: as self == other)


def _check_broadcast(a: np.ndarray, b: np.ndarray) -> None:
    """torch's error for shapes that do not broadcast (NumPy would raise its ValueError)."""
    if a.shape != b.shape:
        broadcast_shapes(a.shape, b.shape)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    close = isclose(input, other, rtol, atol, equal_nan)  # (meta with CPU: torch's error)
    if on_meta(close._data):  # torch reads isclose(...).all().item()
        raise RuntimeError(NO_META_ITEM)
    return bool(close._data.all())


def _logical(op, input, other=None):  # noqa: A002
    if other is None:
        return LogicalOp.apply(_check_tensor(op.__name__, input), op=op)
    a = _check_tensor(op.__name__, input)._data
    if not isinstance(other, Tensor):
        raise TypeError(f"{op.__name__}(): argument 'other' (position 2) must be Tensor, "
                        f"not {type_name(other)}")
    _check_broadcast(a, other._data)
    return wrap(laid_out_as_torch(np.asarray(op(a, other._data)), a, other._data))


def logical_and(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_and, input, other), out, "logical_and")


def logical_or(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_or, input, other), out, "logical_or")


def logical_xor(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_xor, input, other), out, "logical_xor")


def logical_not(input, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_not, input), out, "logical_not")


def _bitwise(op, name, input, other, out=None):  # noqa: A002
    try:
        a, b, dt = _operands(input, other)
    except TypeError as error:
        raise operand_error(name, input, other, error, EITHER_A_NUMBER) from None
    if dt.kind == "f":
        check_out_first(out, dt)
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    return Compare.apply(a, b, op=op)


def bitwise_and(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_and, "bitwise_and", input, other, out), out,
                "bitwise_and")


def bitwise_or(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_or, "bitwise_or", input, other, out), out, "bitwise_or")


def bitwise_xor(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_xor, "bitwise_xor", input, other, out), out,
                "bitwise_xor")


def bitwise_not(input, *, out=None):  # noqa: A002
    x = _check_tensor("bitwise_not", input)
    check_out_first(out, x._data.dtype, out_dtype_found)  # (an out of x's dtype only)
    if x._data.dtype.kind == "f":
        raise NotImplementedError(
            f'"bitwise_not_cpu" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\''
        )
    return _out(wrap(np.invert(x._data)), out, "bitwise_not", out_dtype_found)


def isnan(input):  # noqa: A002
    return wrap(np.isnan(_check_tensor("isnan", input)._data))


def isinf(input):  # noqa: A002
    return wrap(np.isinf(_check_tensor("isinf", input)._data))


def isfinite(input):  # noqa: A002
    return wrap(np.isfinite(_check_tensor("isfinite", input)._data))


def isposinf(input):  # noqa: A002
    return wrap(np.isposinf(_check_tensor("isposinf", input)._data))


def isneginf(input):  # noqa: A002
    return wrap(np.isneginf(_check_tensor("isneginf", input)._data))


def signbit(input, *, out=None):  # noqa: A002
    """True where the sign bit is set: -0.0 and NaNs with the sign bit count (std::signbit)."""
    data = _check_tensor("signbit", input)._data
    if data.dtype.kind == "f":
        result = np.signbit(data)
    else:
        result = data < 0  # integers (always False for bool and uint8)
    return _out(wrap(result), out, "signbit", bool_out_only("signbit"))



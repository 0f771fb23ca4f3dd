"""Integer and bit helpers: gcd, lcm, bitwise_left_shift, bitwise_right_shift (the ``<<``
and ``>>`` operators), nextafter, and the float helpers ldexp, frexp, positive.

gcd, lcm and the shifts follow torch's integer kernels exactly, wrap-around included:
gcd is Euclid's algorithm on |a| and |b| (|INT_MIN| stays negative, as in C), lcm is
|a / gcd * b|, and a shift by a negative amount or by at least the width of the type
gives 0 (left) or the sign fill (right), where C would be undefined.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype, return_types
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise.arithmetic import mul_scalar
from torchlet._ops.pointwise.binary import where
from torchlet._ops.pointwise.comparison import Compare
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    EITHER_A_NUMBER,
    _check_tensor,
    _operands,
    _out,
    _uncast_operands,
    check_out_first,
    operand_error,
    promoted,
    promotion,
    zeros_like_grad,
)
from torchlet._ops.pointwise.unary import exp2
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive


def _check_other(name, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type_name(other)}")
    return other


def _integer_operands(kernel_name, input, other, out=None):  # noqa: A002
    """Both operands in torch's common dtype, which must be an integer type (not bool)."""
    a, b, dt = _operands(input, other)
    if dt.kind not in "iu":
        check_out_first(out, dt)
        raise NotImplementedError(
            f'"{kernel_name}_cpu" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    return a, b


# ---------------------------------------------------------------------------------------
# gcd, lcm


def _gcd(a, b):
    """torch's calc_gcd: Euclid on |a|, |b| with C's truncating remainder."""
    a, b = np.broadcast_arrays(np.abs(a), np.abs(b))
    a, b = a.copy(), b.copy()
    while True:
        nonzero = a != 0
        if not nonzero.any():
            return b
        c = a.copy()
        a[nonzero] = np.fmod(b[nonzero], a[nonzero])
        b[nonzero] = c[nonzero]


def _lcm(a, b):
    """torch's kernel: g = gcd(a, b); 0 if g == 0 else |a / g * b|, computed as C does:
    int8/int16/uint8 in int (then wrapped back), int32 and int64 in their own width."""
    g = _gcd(a, b)
    work = np.int64 if a.dtype.itemsize < 4 else a.dtype
    safe = np.where(g == 0, 1, g).astype(work)
    with np.errstate(all="ignore"):
        # a / g is exact here, so floor division truncates as C does
        out = np.abs((a.astype(work) // safe) * b.astype(work)).astype(a.dtype)
    return np.where(g == 0, g.dtype.type(0), out)


def gcd(input, other, *, out=None):  # noqa: A002
    _check_tensor("gcd", input)
    a, b = _integer_operands("gcd", input, _check_other("gcd", other), out)
    return _out(Compare.apply(a, b, op=_gcd), out, "gcd")


def lcm(input, other, *, out=None):  # noqa: A002
    _check_tensor("lcm", input)
    a, b = _integer_operands("lcm", input, _check_other("lcm", other), out)
    return _out(Compare.apply(a, b, op=_lcm), out, "lcm")


# ---------------------------------------------------------------------------------------
# shifts


def _out_of_range(b, bits):
    """Shift amounts torch treats specially: negative (as a signed number) or >= bits."""
    signed = b.astype(np.dtype(b.dtype.name.replace("uint", "int")), copy=False)
    return (signed < 0) | (b >= bits)


def _left_shift(a, b):
    bits = a.dtype.itemsize * 8
    a, b = np.broadcast_arrays(a, b)
    bad = _out_of_range(b, bits)
    out = np.left_shift(a, np.where(bad, 0, b).astype(a.dtype))
    return np.where(bad, a.dtype.type(0), out)


def _right_shift(a, b):
    bits = a.dtype.itemsize * 8
    max_shift = bits - (1 if a.dtype.kind == "i" else 0)
    a, b = np.broadcast_arrays(a, b)
    bad = _out_of_range(b, max_shift)
    if a.dtype.kind == "u":  # a >> bits is 0 for unsigned
        return np.where(bad, a.dtype.type(0), np.right_shift(a, np.where(bad, 0, b)))
    return np.right_shift(a, np.where(bad, max_shift, b).astype(a.dtype))


def bitwise_left_shift(input, other, *, out=None):  # noqa: A002
    try:
        a, b = _integer_operands("lshift", input, other, out)
    except TypeError as error:
        raise operand_error("bitwise_left_shift", input, other, error, EITHER_A_NUMBER) \
            from None
    return _out(Compare.apply(a, b, op=_left_shift), out, "bitwise_left_shift")


def bitwise_right_shift(input, other, *, out=None):  # noqa: A002
    try:
        a, b = _integer_operands("rshift", input, other, out)
    except TypeError as error:
        raise operand_error("bitwise_right_shift", input, other, error, EITHER_A_NUMBER) \
            from None
    return _out(Compare.apply(a, b, op=_right_shift), out, "bitwise_right_shift")


# ---------------------------------------------------------------------------------------
# nextafter


class Nextafter(Primitive):
    """out = the next float after a towards b;  grad_a = grad where a != b, else 0;
    grad_b = 0 (torch's formulas). ``dtype``: operands of other dtypes are converted to
    it here, inside the node, as torch's kernel promotes (no ToCopyBackward0)."""

    node_name = "NextafterBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        out = np.nextafter(a, b)
        if out.dtype == np.float16:  # NumPy's float16 loop gives a where a == b; C gives b
            out = np.where(a == b, b, out)  # (-0.0 towards 0.0 is 0.0)
        return laid_out_as_torch(out, a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = where(a != b, grad, 0.0) if ctx.needs_input_grad[0] else None
        return grad_a, zeros_like_grad(grad, ctx, 1)


def nextafter(input, other, *, out=None):  # noqa: A002
    _check_tensor("nextafter", input)
    a, b, dt = _uncast_operands(input, _check_other("nextafter", other))
    if dt.kind != "f":
        check_out_first(out, dt)
        raise NotImplementedError(
            f'"nextafter_cpu" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    return _out(Nextafter.apply(a, b, **promotion(dt, a, b)), out, "nextafter")


# ---------------------------------------------------------------------------------------
# ldexp, frexp, positive


def _power_of_two(b):
    """2^b: exp2 for a float b; for an integer b, torch's backward computes pow(2, b) in
    b's integer dtype (0 for b < 0, wrapping at the type's width), and so does this."""
    if b._data.dtype.kind == "f":
        return exp2(b)
    return wrap(_left_shift(np.ones_like(b._data), b._data))


class Ldexp(Primitive):
    """out = a * 2^b;  grad_a = grad * 2^b,  grad_b = grad * out * ln 2 (for an
    integer b torch's 2^b is an integer power, see _power_of_two). As torch, b and the
    result are saved (``_saved_other``, ``_saved_result``), and grad_b is computed from
    the rounded result, first (see Mul's)."""

    node_name = "LdexpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, np_dtype):
        out = Ldexp._ldexp(a, b, np_dtype)
        ctx.save_for_backward(b, out)
        return out

    @staticmethod
    def _ldexp(a, b, np_dtype):
        if a.dtype.kind == "f" and b.dtype.kind in "iu":
            # torch's kernel for a float a and integer b: C's ldexp(a, (int) b), exact
            # (subnormal results rounded once), b wrapped to 32 bits (2**32 + 3 is 3)
            with np.errstate(all="ignore"):
                return laid_out_as_torch(np.ldexp(a, b.astype(np.int32)), a, b)
        # else torch's composite a * pow(2, b): the power in b's dtype (the default dtype
        # for an integer b; float32 and float16 ones from powf, correctly rounded, which
        # NumPy's float32 exp2 is not), then a, converted to the result dtype, times it;
        # float16 in float32, rounded. pow(Scalar, Tensor) is C-contiguous: the product is
        # laid out by a and a C-ordered b
        power_dtype = b.dtype if b.dtype.kind == "f" else np.dtype(np_dtype)
        with np.errstate(all="ignore"):
            if power_dtype == np.float64:
                powers = np.exp2(b.astype(np.float64))
            else:
                powers = np.exp2(b.astype(np.float64)).astype(np.float32)
                powers = powers.astype(power_dtype, copy=False)
            powers = np.asarray(powers, order="C")
            work = np.float32 if np_dtype == np.float16 else np_dtype
            out = (a.astype(np_dtype).astype(work, copy=False)
                   * powers.astype(work, copy=False)).astype(np_dtype)
        return laid_out_as_torch(out, a, powers)

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # (torch's ``grad * result * M_LN2``: the constant a C++ double, MulBackward1)
        grad_b = mul_scalar(grad * out, math.log(2.0)) if needs[1] else None
        return grad * _power_of_two(b) if needs[0] else None, grad_b


def ldexp(input, other, *, out=None):  # noqa: A002
    x = _check_tensor("ldexp", input)
    _, _, dt = _operands(x, _check_other("ldexp", other))
    if x._data.dtype.kind == "f" and other._data.dtype.kind == "b":
        # torch's kernel for a float input with integer exponents has no bool version
        raise NotImplementedError('"ldexp_cpu_exp" not implemented for \'Bool\'')
    if dt.kind != "f":
        dt = _dtype.get_default_dtype().np
    return _out(Ldexp.apply(x, other, np_dtype=dt), out, "ldexp")


class Frexp(Primitive):
    """(mantissa, exponent) with a = mantissa * 2^exponent, 0.5 <= |mantissa| < 1;
    grad_a = grad_mantissa / 2^exponent (the exponent is an int32, not differentiable).

    As torch's formula, 2^exponent is exp2 of the int32 exponent: of the default dtype, so
    a float16 gradient is divided in float32 (2^16 would overflow float16) and the engine
    casts it back (ToCopyBackward0 under create_graph)."""

    node_name = "FrexpBackward0"

    @staticmethod
    def forward(ctx, a):
        mantissa, exponent = np.frexp(a)
        mantissa = laid_out_as_torch(mantissa, a)
        exponent = laid_out_as_torch(exponent.astype(np.int32), a)
        ctx.exponent = exponent
        return mantissa, exponent

    @staticmethod
    def backward(ctx, grad_mantissa, grad_exponent=None):
        return grad_mantissa / exp2(wrap(ctx.exponent))


def frexp(input, *, out=None):  # noqa: A002
    x = _check_tensor("frexp", input)
    if x._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = Frexp.apply(x)
    if out is not None:
        _out(mantissa, out[0], "frexp")
        _out(exponent, out[1], "frexp")
        return return_types.frexp(out)
    return return_types.frexp((mantissa, exponent))


def gcd_(input, other):  # noqa: A002
    return input.gcd_(other)


def lcm_(input, other):  # noqa: A002
    return input.lcm_(other)


def ldexp_(input, other):  # noqa: A002
    return input.ldexp_(other)


def positive(input):  # noqa: A002
    x = _check_tensor("positive", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return x

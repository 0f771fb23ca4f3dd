"""Arithmetic: + - * / // % ** and neg, with torch's dtype rules and errors.

Precision: + - * / are IEEE operations in the result dtype, bit-identical to torch.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import checked_scalar, laid_out_as_torch, relaid
from torchlet._ops.pointwise._fused import (
    _GRAIN_SIZE,
    _fma,
    _fma_via_float64,
    half_add,
    scalar_lanes,
)
from torchlet._ops.pointwise.binary import select, where
from torchlet._ops.pointwise.comparison import LogicalOp
from torchlet._ops.pointwise.operands import (
    EITHER_A_NUMBER,
    TENSOR_OR_NUMBER,
    _cast,
    _check_tensor,
    _method_signature,
    _operands,
    _operands_as_float,
    _out,
    _uncast_operands,
    check_parsed_int,
    invalid_combination,
    is_operand,
    numbers_as_tensor,
    operand_error,
    out_dtype_found,
    promoted,
    promotion,
    promotion_of,
    zeros_like,
    zeros_like_grad,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# arithmetic


def _times_plus(x, alpha, y, inputs):
    """``x * alpha + y`` as torch's add/sub with ``alpha=`` computes it, laid out as torch
    lays out the result of ``inputs``: floats with one rounding (its kernels use a fused
    multiply-add), but float16 as ``half_add`` (its scalar loop rounds twice); integers
    with wrapping integer arithmetic."""
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind != "f":
        return laid_out_as_torch(x * alpha + y, *inputs)
    if x.dtype == np.float16:
        out = laid_out_as_torch(np.empty(np.broadcast_shapes(x.shape, y.shape), x.dtype),
                                *inputs)
        return half_add(y, x, alpha, out)
    return laid_out_as_torch(_fma(x, x.dtype.type(alpha), y), *inputs)


class Add(Primitive):
    """out = a + alpha * b;  grad_a = grad,  grad_b = alpha * grad.

    ``dtype``: operands of other dtypes are converted to it here, inside the node (torch
    promotes in the kernel and records no cast; ``promotion``). The same in Sub, Mul, Div."""

    node_name = "AddBackward0"
    alpha = 1  # (set on the node only when another is given: the usual a + b stores nothing)

    @staticmethod
    def forward(ctx, a, b, *, alpha=1, dtype=None, given=None):
        # ``alpha``: in the result's dtype; ``given``: (alpha,) as the caller gave it, which
        # torch's node keeps (``_saved_alpha`` is 0.3, not 0.3 rounded to float32)
        if given is not None:
            ctx.given = given
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        if alpha != 1:
            ctx.alpha = alpha
            return _times_plus(b, alpha, a, (a, b))
        out = a + b
        # (the usual case, tested inline: torch's fast setup, or a C-ordered sort where no
        # size-1 dim's stride could differ; NumPy flags any empty array C-contiguous, but
        # torch sorts the dims of an empty result of broadcast operands by their strides)
        if a.flags.c_contiguous and b.flags.c_contiguous and (
                a.shape == b.shape or (1 not in out.shape and out.size)):
            return out
        return relaid(out, (a, b))

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_b = None
        if needs[1]:
            # torch's maybe_multiply(grad, alpha): mul(Tensor, Scalar) by alpha as given (a
            # MulBackward1 under create_graph; float16 in float32, alpha not rounded first)
            grad_b = grad if ctx.alpha == 1 else MulScalar.apply(grad, number=ctx.given[0])
        return grad if needs[0] else None, grad_b


class Sub(Primitive):
    """out = a - alpha * b;  grad_a = grad,  grad_b = -alpha * grad."""

    node_name = "SubBackward0"
    alpha = 1  # (as Add's)

    @staticmethod
    def forward(ctx, a, b, *, alpha=1, dtype=None, given=None):
        if given is not None:  # (as Add's)
            ctx.given = given
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        if alpha != 1:
            ctx.alpha = alpha
            return _times_plus(b, -alpha, a, (a, b))
        out = a - b
        if a.flags.c_contiguous and b.flags.c_contiguous and (
                a.shape == b.shape or (1 not in out.shape and out.size)):  # (as Add's)
            return out
        return relaid(out, (a, b))

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_b = None
        if needs[1]:
            grad_b = -grad if ctx.alpha == 1 else MulScalar.apply(-grad, number=ctx.given[0])
        return grad if needs[0] else None, grad_b


class Rsub(Primitive):
    """out = other - alpha * a (``2 - x``);  grad_a = -alpha * grad."""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, *, other, alpha=1, given=(1,)):
        ctx.alpha, ctx.given = alpha, given  # (given: as Add's)
        if alpha != 1:
            return _times_plus(a, -alpha, other, (a, other))
        return laid_out_as_torch(other - a, a, other)  # (other: torch's wrapped scalar)

    @staticmethod
    def backward(ctx, grad):
        return -grad if ctx.alpha == 1 else MulScalar.apply(-grad, number=ctx.given[0])


class Mul(Primitive):
    """out = a * b;  grad_a = grad * b,  grad_b = grad * a.

    As torch, b is saved only when a needs a gradient and a only when b does: changing
    the other operand in place before backward is then no error. b is saved first, as
    torch does (saved_tensors_hooks see b, then a). As Div's, the inputs themselves are
    saved, of their own dtypes. (A number operand: see ``_keep_given``.)"""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        out = a * b
        if a.flags.c_contiguous and b.flags.c_contiguous and (
                a.shape == b.shape or (1 not in out.shape and out.size)):  # (as Add's)
            return out
        return relaid(out, (a, b))

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # b's gradient first: torch's generated nodes compute their inputs' gradients in
        # the alphabetical order of derivatives.yaml's names ("other" before "self"), which
        # under create_graph orders the new nodes, so a double backward's sums
        grad_b = _times(grad, a) if need_b else None
        return _times(grad, b) if need_a else None, grad_b


def _times(grad, factor):
    """grad * factor. First order (no create_graph) on the arrays: the same product
    without a dispatch; Mul's backward runs in nearly every graph. A factor of another
    dtype (an input of a promoting Mul) goes through ``*``: torch's promotion, not NumPy's."""
    if not GRAD_STATE.enabled and isinstance(factor, Tensor) \
            and factor._data.dtype is grad._data.dtype:
        g, f = grad._data, factor._data
        product = g * f
        if type(product) is not np.ndarray:
            return wrap(np.asarray(product))  # (0-d operands give a NumPy scalar)
        if g.flags.c_contiguous and f.flags.c_contiguous and (
                g.shape == f.shape or (1 not in product.shape and product.size)):  # (as Mul's)
            return wrap(product)
        return wrap(relaid(product, (g, f)))  # (torch's TensorIterator over grad, factor)
    return grad * factor


class MulNumber(Primitive):
    """out = a * s, a float16 and s a Python number: computed in float32 and rounded once,
    as torch does (it keeps the number in float32 rather than rounding it to float16 first);
    grad_a = grad * s. ``given``: (self, other) with None for a, the number (or one-element
    tensor) as the caller gave it, for ``grad_fn._saved_*`` (as ``_keep_given``).

    Applied to (a, None) or (None, a), the None in the number's place: torch's node has
    an empty edge for the wrapped number."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b, *, number, given):
        a = b if a is None else a
        ctx.number, ctx.given = number, given
        ctx.save_for_backward()  # (nothing: so that backward frees the number, as torch)
        return laid_out_as_torch((a.astype(np.float32) * np.float32(number)).astype(a.dtype), a,
                                 number)

    @staticmethod
    def backward(ctx, grad):
        grad_a = grad * ctx.number
        return (grad_a, None) if ctx.needs_input_grad[0] else (None, grad_a)


class DivNumber(Primitive):
    """out = a / s, a float16 and s a Python number, computed in float32 like MulNumber;
    grad_a = grad / s. ``given`` and the empty edge as MulNumber's."""

    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, _number, *, number, given):
        ctx.number, ctx.given = number, given
        ctx.save_for_backward()  # (as MulNumber's)
        return laid_out_as_torch((a.astype(np.float32) / np.float32(number)).astype(a.dtype), a,
                                 number)

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.number, None


# Python numbers, and the NumPy ones that torch's parser reads as Python numbers (a set:
# one hash lookup on the Tensor * Tensor path)
_NUMBERS = frozenset({int, float, np.float16, np.float32, np.float64, np.int8, np.int16,
                      np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64})


def _half_and_number(input, other) -> bool:  # noqa: A002
    """A float16 tensor times (or over) a Python number (or a NumPy one, which torch reads
    as a Python number): torch's float32 "opmath" case."""
    if not (isinstance(input, Tensor) and input._data.dtype == np.float16
            and type(other) in _NUMBERS):
        return False
    check_parsed_int(other)
    return True


def _half_and_scalar_tensor(input, other) -> bool:  # noqa: A002
    """A float16 tensor times (or over) a one-element tensor of another dtype, the result
    float16 and shaped as the first: torch reads the second operand's own value into
    float32 (not rounded to float16 first) when it is a scalar of the iteration. A float
    one leaves the result float16 only when 0-d, against a tensor with dims; a bool or
    integer one of any dims no larger. Only without a gradient for the scalar, which the
    number path does not give."""
    if not (isinstance(other, Tensor) and other._data.size == 1
            and isinstance(input, Tensor) and input._data.dtype == np.float16
            and not (other.requires_grad and GRAD_STATE.enabled)):
        return False
    kind = other._data.dtype.kind
    if kind == "f":
        return (other._data.ndim == 0 and input._data.ndim > 0
                and other._data.dtype != np.float16)
    return kind in "biu" and other._data.ndim <= input._data.ndim


class Div(Primitive):
    """out = a / b;  grad_a = grad / b,  grad_b = -grad * ((a / b) / b).

    As torch, a is saved only when b needs a gradient (b always: both rules use it), and
    b first. The saved operands are the inputs themselves, of their own dtypes (torch's
    backward promotes grad with them as the forward did; a double backward reaches them).
    (A number operand: see ``_keep_given``.)"""

    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(b, a if ctx.needs_input_grad[1] else None)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        out = a / b
        if a.flags.c_contiguous and b.flags.c_contiguous and (
                a.shape == b.shape or (1 not in out.shape and out.size)):  # (as Add's)
            return out
        return relaid(out, (a, b))

    @staticmethod
    def backward(ctx, grad):
        b, a = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # (b's first, as Mul's.) torch's order: b * b underflows to 0 for a tiny b
        # (0 / 0 = NaN), (a / b) / b not
        grad_b = -grad * ((a / b) / b) if needs[1] else None
        grad_a = grad / b if needs[0] else None
        return grad_a, grad_b


class DivRounded(Primitive):
    """out = round(a / b) toward zero or -inf; piecewise constant: zero gradients.

    Saved only for ``grad_fn._saved_*`` (and torch's in-place checks), as torch saves them:
    b always, a when b needs a gradient. ``given``: (self, other) as the caller gave them
    (None for the operand saved as is): a number as ``_keep_given``'s, a tensor converted
    to the common dtype (torch saves the tensor given)."""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, *, rounding_mode, given=None):
        ctx.rounding_mode = rounding_mode
        if given is not None:
            ctx.given = given
        ctx.save_for_backward(b, a if ctx.needs_input_grad[1] else None)
        return laid_out_as_torch(_div_rounded(a, b, rounding_mode), a, b)

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # noqa: B018 - unused, but as torch: an in-place change is an error
        return zeros_like_grad(grad, ctx, 0), zeros_like_grad(grad, ctx, 1)


def _div_rounded(a, b, rounding_mode):
    if a.dtype == np.float16 and np.asarray(b).dtype == np.float32:
        # a float16 tensor over a number: torch divides in float32, by the number's
        # float32 value (not rounded to float16 first), and rounds the quotient once
        return _div_rounded(a.astype(np.float32), b, rounding_mode).astype(np.float16)
    if a.dtype.kind in "iub":
        _check_integer_divisor(a, b)
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        # C's truncating division: the floor quotient, plus 1 where it was rounded down
        # below zero (|x| would wrap for the most negative integer; INT_MIN / -1 wraps)
        with np.errstate(all="ignore"):
            floor = np.floor_divide(a, b)
            inexact = (np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0))
        return floor + inexact.astype(floor.dtype)
    if rounding_mode == "floor":
        return _floor_divide(a, b)
    return np.trunc(a / b)


def _floor_divide(a, b):
    """``np.floor_divide``, except for float16. torch's kernel (c10's div_floor_floating,
    Python's algorithm) runs in float16 arithmetic, each step rounded to float16, where
    NumPy's computes in float32 and rounds once: about 1 in 10 large quotients differ.
    A float32 ``b`` with a float16 ``a`` is a number's float32 value (``_half_divisor``):
    computed in float32, rounded to float16 once."""
    if np.asarray(a).dtype != np.float16:
        return np.floor_divide(a, b)
    if np.asarray(b).dtype == np.float32:
        return np.floor_divide(np.asarray(a, np.float32), b).astype(np.float16)
    h = np.float16
    a, b = np.broadcast_arrays(a, np.asarray(b, h))
    with np.errstate(all="ignore"):
        quotient = a / b
        mod = np.fmod(a, b)
        div = (a - mod) / b
        div = select((mod != 0) & ((b < 0) != (mod < 0)), div - h(1), div)
        floordiv = np.floor(div)
        floordiv = select(div - floordiv > h(0.5), floordiv + h(1), floordiv)
        floordiv = select(div == 0, np.copysign(h(0), quotient), floordiv)
        return select(b == 0, quotient, floordiv)


class Neg(Primitive):
    """out = -a;  grad_a = -grad."""

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        out = np.negative(a)
        return out if a.flags.c_contiguous else relaid(out, (a,))  # (inline, as Add's)

    @staticmethod
    def backward(ctx, grad):
        return -grad


# ---------------------------------------------------------------------------------------
# a tensor and a C++ double: the Scalar overloads torch's derivative formulas call


def _with_number(a, number, op):
    """``op(a, number)`` as ATen's Scalar overloads compute it: float16 in float32, rounded
    once; other dtypes with the number in their own type. Laid out as torch's result.
    Integer or bool tensors (a saved operand: addcmul's int tensor2) promote as torch's:
    with a float number, or divided, to the default float dtype; bool with an int, int64."""
    dtype = a.dtype
    if dtype.kind in "biu":
        if isinstance(number, float) or op is np.divide:
            dtype = _dtype.get_default_dtype().np
        elif dtype.kind == "b":
            dtype = np.dtype(np.int64)
    work = np.float32 if dtype == np.float16 else dtype.type
    out = np.asarray(op(a.astype(work, copy=False), work(number))).astype(dtype, copy=False)
    return laid_out_as_torch(out, a, number)  # (the number: a wrapped scalar, no fast setup)


class AddScalar(Primitive):
    """out = a + number (C++ ``x + 1`` or ``1 + x``: add(Tensor, Scalar));  grad_a = grad.

    The four Scalar primitives record the nodes torch's C++ formulas record under
    create_graph (AddBackward1, SubBackward1, MulBackward1, DivBackward1), where a Python
    number would make a wrapped tensor (AddBackward0, ...)."""

    node_name = "AddBackward1"

    @staticmethod
    def forward(ctx, a, *, number):
        return _with_number(a, number, np.add)

    @staticmethod
    def backward(ctx, grad):
        return grad


class SubScalar(Primitive):
    """out = a - number (C++ ``x - 1``: sub(Tensor, Scalar));  grad_a = grad."""

    node_name = "SubBackward1"

    @staticmethod
    def forward(ctx, a, *, number):
        return _with_number(a, number, np.subtract)

    @staticmethod
    def backward(ctx, grad):
        return grad


class MulScalar(Primitive):
    """out = a * number (C++ ``x * 2.0`` or ``2.0 * x``: mul(Tensor, Scalar));
    grad_a = grad * number, again mul(Tensor, Scalar)."""

    node_name = "MulBackward1"

    @staticmethod
    def forward(ctx, a, *, number):
        ctx.number = number
        return _with_number(a, number, np.multiply)

    @staticmethod
    def backward(ctx, grad):
        return MulScalar.apply(grad, number=ctx.number)


class DivScalar(Primitive):
    """out = a / number (C++ ``x / 2.0``: div(Tensor, Scalar));  grad_a = grad / number."""

    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, a, *, number):
        ctx.number = number
        return _with_number(a, number, np.divide)

    @staticmethod
    def backward(ctx, grad):
        return DivScalar.apply(grad, number=ctx.number)


def add_scalar(x: Tensor, number) -> Tensor:
    return AddScalar.apply(x, number=number)


def sub_scalar(x: Tensor, number) -> Tensor:
    return SubScalar.apply(x, number=number)


def scalar_minus(number, x: Tensor) -> Tensor:
    """C++ ``1 - x``: ATen's operator-(Scalar, Tensor) fills a new tensor with the number
    and subtracts x (node SubBackward0, its first edge empty), not rsub."""
    return Sub.apply(wrap(np.full_like(x._data, number)), x)


def mul_scalar(x: Tensor, number) -> Tensor:
    return MulScalar.apply(x, number=number)


def div_scalar(x: Tensor, number) -> Tensor:
    return DivScalar.apply(x, number=number)


class PowScalar(Primitive):
    """out = a ** e (e a number);  grad_a = grad * (e * a ** (e - 1))  (0 where e == 0)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, *, exponent, number=None):
        ctx.save_for_backward(a)
        ctx.exponent = exponent if number is None else number
        out = laid_out_as_torch(_pow_scalar(a, exponent, ctx.exponent), a)
        if a.dtype == np.float32:
            out = _pow_scalar_loop(out, a, ctx.exponent)
        elif a.dtype == np.float64 and not any(ctx.exponent == k for k in _POW_KERNELS):
            out = _libm_pow_lanes(np.asarray(out), a, float(ctx.exponent))
        return out

    @staticmethod
    def backward(ctx, grad):
        # torch's pow_backward takes the exponent as a C++ double: e - 1 in double
        # precision, and e * a ** (e - 1) is mul(Tensor, Scalar), node MulBackward1
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return zeros_like(a)
        e = float(e)
        return grad * MulScalar.apply(pow(a, e - 1), number=e)


def _pow_scalar(a, e, number):
    """torch's pow(tensor, number) kernel. ``e`` is the exponent in ``a``'s dtype, ``number``
    as given. 0 gives ones, 1 a copy. float32/float64 take fast kernels for some exponents,
    whose special values differ from pow's: 0.5 is sqrt (sqrt(-0.0) = -0.0, pow gives 0.0),
    -0.5 is 1 / sqrt (-inf at -0.0, NaN at -inf), -1 is 1 / a, and 2, 3, -2 are a * a,
    a * a * a, 1 / (a * a). float16 has no fast kernels: pow computed in float32."""
    if number == 0:
        return np.ones_like(a)
    if number == 1:
        return a.copy()
    if a.dtype == np.float16:
        wide = a.astype(np.float32)
        out = np.asarray(_powf(wide, np.float32(e)))  # 0-d stays an array
        if number == 0.5:  # NumPy's power takes sqrt here; C's pow gives +0.0 and +inf
            out += np.float32(0)
            out[np.isneginf(wide)] = np.inf
        return out.astype(np.float16)
    if a.dtype.kind == "f":
        one = a.dtype.type(1)
        if number == 0.5:
            return np.sqrt(a)
        if number == -0.5:
            return one / np.sqrt(a)
        if number == -1:
            return one / a
        if number == 3:
            return a * a * a
        if number == -2:
            return one / (a * a)
    if number == 2:
        return a * a
    return _powf(a, e) if a.dtype == np.float32 else np.power(a, e)


_POW_KERNELS = (0, 1, 0.5, -0.5, -1, 2, 3, -2)  # exponents of _pow_scalar's own kernels
_POW_BLOCK = 32  # float32 elements a SIMD step of torch's pow kernel (measured: AVX512)


def _pow_scalar_loop(out, a, number):
    """Redo, in ``out`` (float32 ``a ** number`` laid out as torch's), the elements torch's
    pow kernel computes in its scalar loop (``scalar_lanes``: the last ``numel % 32`` of a
    contiguous tensor, all of a 0-d or strided one). Its SIMD code raises to the exponent
    rounded to float32 (``_powf``), its scalar code calls pow(float, double): the exponent
    as given. They differ only where the number is not a float32. Returns ``out``."""
    if type(number) is bool or not isinstance(number, (int, float)):
        return out
    if type(number) is int and -(1 << 24) <= number <= 1 << 24:
        return out  # (2, 3, -1, -2: the special kernels)
    wide = float(number)
    if abs(wide) > 3.4e38 or float(np.float32(wide)) == wide:  # (0.5; beyond float32's
        return out  # range both are infinite exponents to pow, of one result)
    out = np.asarray(out)  # (NumPy's power gives a 0-d a a scalar)
    lanes = scalar_lanes(out, (a,), _POW_BLOCK)
    if lanes is not None:
        out[lanes] = np.power(a[lanes].astype(np.float64), wide).astype(np.float32)
    return out


def _powf(a, b):
    """float32 ``a ** b`` as torch's (nearly always correctly rounded) powf gives it:
    computed in float64 and rounded once. NumPy's float32 power is an ulp off for about
    20% of inputs (10 ** x: 79% equal to torch, 98% this way)."""
    return np.power(np.asarray(a, np.float64), np.asarray(b, np.float64)).astype(np.float32)


_POW_BLOCK64 = 16  # float64 elements a SIMD step of torch's pow kernel (AVX512: 2 x 8)
_LIBM_POW_MAX = 1 << 12  # scalar-loop elements redone with C's pow at most (~0.2 us each)


def _libm_pow_lanes(out, x, y):
    """Redo, in the float64 ``out`` (``x ** y`` by NumPy, laid out as torch's), the elements
    torch's pow kernel computes in its scalar loop (``scalar_lanes``: the last ``numel % 16``
    of a contiguous result, all of a 0-d or strided one) with C's pow (glibc's, correctly
    rounded), which is ``math.pow``. NumPy's float64 power (SVML's, on AVX512) is an ulp off
    it for ~5% of inputs. torch's SIMD lanes use SLEEF's pow_u10 (within an ulp: ~98.5% the
    correctly rounded value), which NumPy's power is left to approximate (~94% equal).
    ``x``, ``y``: float64 arrays or numbers broadcasting to ``out``. Past ``_LIBM_POW_MAX``
    such elements (a large strided tensor) NumPy's values stay: a Python loop is ~40x NumPy.
    Returns ``out``."""
    n = out.size
    if out.flags.c_contiguous and _in_step(x, out) and _in_step(y, out):
        # (the usual case, without scalar_lanes' mask: one run of n elements, cut where
        # the threads' parts end, each part's last len % 16 in the scalar loop)
        threads = 1
        if n >= _GRAIN_SIZE:
            from torchlet._runtime import get_num_threads  # (as scalar_lanes: not at import)
            threads = min(get_num_threads(), -(-n // _GRAIN_SIZE))
        chunk = -(-n // threads) if n else 1
        flat = out.reshape(-1)
        for start in range(0, n, chunk):
            end = min(start + chunk, n)
            first = end - (end - start) % _POW_BLOCK64
            if first < end:
                flat[first:end] = _libm_pow(flat[first:end].tolist(), _items(x, first, end),
                                            _items(y, first, end))
        return out
    lanes = scalar_lanes(out, (x, y), _POW_BLOCK64)
    if lanes is None or np.count_nonzero(lanes) > _LIBM_POW_MAX:
        return out
    out[lanes] = _libm_pow(out[lanes].tolist(), np.broadcast_to(x, out.shape)[lanes].tolist(),
                           np.broadcast_to(y, out.shape)[lanes].tolist())
    return out


def _in_step(v, out) -> bool:
    """Whether ``v`` (a number or an array) walks with the C-contiguous ``out``: a number,
    a 0-d array, or a C-contiguous array of out's shape."""
    return not isinstance(v, np.ndarray) or v.ndim == 0 or (
        v.shape == out.shape and v.flags.c_contiguous)


def _items(v, first, end) -> list:
    """Elements ``first:end`` of ``v`` (as ``_in_step`` allows it) as a list of floats."""
    if not isinstance(v, np.ndarray) or v.ndim == 0:
        return [float(v)] * (end - first)
    return v.reshape(-1)[first:end].tolist()


def _libm_pow(values, xs, ys) -> list:
    """C's pow of each ``xs[i]``, ``ys[i]`` (lists of floats); ``values[i]`` (NumPy's, in a
    list) where Python's math.pow refuses (NaN, inf: IEEE's special values, NumPy's too)."""
    for i, (base, exponent) in enumerate(zip(xs, ys)):
        try:
            values[i] = math.pow(base, exponent)
        except (ValueError, OverflowError):
            pass
    return values


def _power(a, b):
    """np.power, with torch's integer rule for negative exponents instead of NumPy's
    ValueError: 1 ** -n is 1, (-1) ** -n is -1 for odd n and 1 for even n, anything else
    (0 too) is 0. Only a Python number exponent is refused (``pow`` checks that)."""
    result = np.result_type(a, b)
    if result == np.float32:
        return _powf(a, b)
    if result.kind not in "iu":
        return np.power(a, b)
    negative = np.asarray(b) < 0
    if not negative.any():
        return np.power(a, b)
    out = np.asarray(np.power(a, np.where(negative, 0, b)))
    odd = np.asarray(b) % 2 != 0
    reciprocal = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0))
    return np.where(negative, reciprocal, out).astype(out.dtype)


class PowTensor(Primitive):
    """out = a ** b;  grad_a = grad * (b * a ** (b - 1)),  grad_b = grad * (out * log(a)).

    torch's conventions: grad_a is 0 where b == 0; grad_b is 0 where a == 0 and b >= 0.
    """

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        x, y = (a, b) if dtype is None else (promoted(a, dtype), promoted(b, dtype))
        out = laid_out_as_torch(_power(x, y), x, y)
        if out.dtype == np.float64:  # (an operand of another dtype: converted as torch does)
            out = _libm_pow_lanes(np.asarray(out), x.astype(np.float64, copy=False),
                                  y.astype(np.float64, copy=False))
        ctx.save_for_backward(b, a, out)  # torch's order: exponent, self, result
        return out

    @staticmethod
    def backward(ctx, grad):
        b, a, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_a = grad_b = None
        # (torch's pow_backward_self and pow_backward_exponent, op for op: the zeros first
        # in each ``where``, ``exponent - 1`` a Scalar subtraction; the exponent's first,
        # as Mul's: "exponent" sorts before "self")
        if needs[1]:  # a NaN b is not >= 0: its gradient stays out * log(0) = NaN
            flat = (a == 0) & (b >= 0)
            # log of the base in the result's dtype, as torch's pow_backward_exponent
            # takes it (log of a float16 base next to a float32 exponent is float32)
            base = a if a.dtype == out.dtype else a.to(out.dtype)
            grad_b = grad * where(flat, 0.0, out * base.log())
        if needs[0]:
            grad_a = where(b == 0, 0.0, grad * (b * pow(a, sub_scalar(b, 1))))
        return grad_a, grad_b


class PowScalarBase(Primitive):
    """out = base ** b (base a number);  grad_b = grad * (out * log(base)).

    torch's pow_backward_exponent takes the log of the base as its parser read it, a C++
    double (log(0.7), not log(float32(0.7)): the forward computes with the base in b's
    dtype), and multiplies the result by it as a number (rounded to float32 for a float32
    result, as any tensor * number); 0 where 0 ** b is flat (b >= 0; a NaN b keeps NaN).
    ``given``: the base as torch's node keeps it (``_saved_self``)."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, b, *, base, given):
        out = np.asarray(_power(base, b), order="C")  # torch: contiguous, whatever b's layout
        if out.dtype == np.float64:
            out = _libm_pow_lanes(out, base, b)
        ctx.save_for_backward(b, out)
        ctx.base = given
        return out

    @staticmethod
    def backward(ctx, grad):
        b, out = ctx.saved_tensors
        base = ctx.base
        if type(base) is bool:  # torch's Scalar::log has no bool case: it fails an assert
            raise RuntimeError("pow(bool, Tensor) has no gradient: the log of a bool base "
                               "is not defined (torch fails an internal assert here: "
                               "unknown ivalue tag 4)")
        base = float(base)
        log_base = math.log(base) if base > 0 else (-math.inf if base == 0 else math.nan)
        scaled = mul_scalar(out, log_base)  # (a C++ double: MulBackward1)
        if base == 0:
            scaled = where(b >= 0, 0.0, scaled)
        return grad * scaled


def add(input, other, *, alpha=1, out=None):  # noqa: A002 - torch's argument names
    try:
        a, b, dt = _uncast_operands(input, other)  # (Add converts them: no cast node)
    except TypeError as error:
        if (number := numbers_as_tensor(input, other)) is not None:
            return add(number, other, alpha=alpha, out=out)
        raise operand_error("add", input, other, error) from None
    given = alpha
    if alpha != 1 or type(alpha) is bool:
        alpha = _checked_alpha(alpha, dt)
    if dt.kind == "b":  # torch: True + True is True (both bool: nothing to convert)
        return _out(LogicalOp.apply(a, b, op=np.logical_or), out, "add")
    params = promotion(dt, a, b)
    # (the default int 1 stores nothing; alpha=1.0 is kept on the node, as torch keeps it)
    result = Add.apply(a, b, **params) if type(given) is int and given == 1 else \
        Add.apply(a, b, alpha=alpha, given=(given,), **params)
    return result if out is None else _out(result, out, "add")


def _is_bool_operand(x) -> bool:
    return type(x) is bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def _check_sub(input, other):  # noqa: A002
    """torch's sub_check: no bool operand at all (a Python bool counts as a bool tensor).
    The parser's refusal of an int past uint64 comes first."""
    check_parsed_int(input)
    check_parsed_int(other)
    input_is_bool, other_is_bool = _is_bool_operand(input), _is_bool_operand(other)
    if (input_is_bool or other_is_bool) and not (is_operand(input) and is_operand(other)):
        return  # the parser refuses the other operand first (sub raises its error)
    if input_is_bool and other_is_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if input_is_bool or other_is_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    _check_sub(input, other)
    try:
        a, b, dt = _uncast_operands(input, other)  # (as add's)
    except TypeError as error:
        if (number := numbers_as_tensor(input, other)) is not None:
            return sub(number, other, alpha=alpha, out=out)
        raise operand_error("sub", input, other, error) from None
    given = alpha
    if alpha != 1 or type(alpha) is bool:
        alpha = _checked_alpha(alpha, dt, "sub")
    params = promotion(dt, a, b)
    result = Sub.apply(a, b, **params) if type(given) is int and given == 1 else \
        Sub.apply(a, b, alpha=alpha, given=(given,), **params)
    return result if out is None else _out(result, out, "sub")


_ABSENT = object()  # (an argument not given)
_RSUB_OVERLOADS = ("Tensor input, Tensor other, *, Number alpha = 1",
                   "Tensor input, Number other, Number alpha = 1")


def rsub(input, other=_ABSENT, *more, alpha=1, **unknown):  # noqa: A002
    """``other - alpha * input``: what ``2 - x`` calls. After a number ``other`` (a 0-d
    tensor counts), alpha may come by position too (torch's second overload:
    ``rsub(x, 2, 3)``). (``more``, ``unknown``: arguments no overload takes, for torch's
    error.)"""
    if more or unknown or other is _ABSENT or not is_operand(alpha) or \
            not isinstance(input, Tensor) or not is_operand(other):
        keywords = {"alpha": alpha} if alpha != 1 or type(alpha) is not int else {}
        if len(more) == 1 and not keywords and not unknown and is_operand(more[0]) \
                and isinstance(input, Tensor) and is_operand(other) \
                and not (isinstance(other, Tensor) and other._data.ndim):
            alpha = more[0]
        else:
            args = (input,) if other is _ABSENT else (input, other, *more)
            raise _rsub_error(args, keywords | unknown)
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    _check_sub(other, input)
    a, b, dt = _operands(input, other)
    given = alpha
    if alpha != 1 or type(alpha) is bool:
        alpha = _checked_alpha(alpha, dt)  # float16: alpha rounded to float16, as add's
    return Rsub.apply(a, other=b, alpha=alpha, given=(given,))


def _rsub_error(args: tuple, keywords: dict) -> TypeError:
    """torch's error for rsub arguments no overload takes. Under each overload with as
    many parameters as arguments given (its ``*`` counted as one, as torch's parser counts),
    the parser adds a line: the keywords given, if any, else the arguments' types, marked
    ``!type!`` where not the parameter's type by name (a number is never ``Number``)."""
    given = [type_name(a) for a in args] + [f"{k}={type_name(v)}"
                                            for k, v in reversed(keywords.items())]
    lines = []
    for signature in _RSUB_OVERLOADS:
        lines.append(f" * ({signature})\n")
        params = signature.split(", ")
        if len(params) != len(args) + len(keywords):
            continue
        if keywords:
            lines.append("      didn't match because some of the keywords were incorrect: "
                         f"{', '.join(keywords)}\n")
            continue
        kinds: list[str | None] = [p.split(" ")[0] for p in params if p != "*"]
        kinds += [None] * (len(args) - len(kinds))
        marked = ", ".join(n if n == kind else f"!{n}!" for n, kind in
                           zip(given, kinds, strict=True))
        lines.append(f"      didn't match because some of the arguments have invalid types: "
                     f"({marked})\n")
    return TypeError(f"rsub() received an invalid combination of arguments - got "
                     f"({', '.join(given)}), but expected one of:\n{''.join(lines)}")


def mul(input, other, *, out=None):  # noqa: A002
    if type(other) in _NUMBERS or type(input) in _NUMBERS:  # (not on the Tensor * Tensor path)
        if _half_and_number(input, other):
            return _out(MulNumber.apply(input, None, number=other, given=(None, other)), out,
                        "mul")
        if _half_and_number(other, input):
            return _out(MulNumber.apply(None, other, number=input, given=(input, None)), out,
                        "mul")
    elif _half_and_scalar_tensor(input, other):
        return _out(MulNumber.apply(input, None, number=other.item(), given=(None, other)),
                    out, "mul")
    try:
        a, b, dt = _uncast_operands(input, other)  # (as add's)
    except TypeError as error:
        if (number := numbers_as_tensor(input, other)) is not None:
            return mul(number, other, out=out)
        raise operand_error("mul", input, other, error) from None
    if dt.kind == "b":
        return _out(LogicalOp.apply(a, b, op=np.logical_and), out, "mul")
    result = Mul.apply(a, b, **promotion(dt, a, b))
    if b is not other or a is not input:  # a number (made a new NumPy scalar)
        _keep_given(result, input, other)
    return result if out is None else _out(result, out, "mul")


def _keep_given(result, input, other):  # noqa: A002
    """Keep on ``result``'s Mul or Div node the number operand as the caller gave it, as
    ``given``: (input, other) with None for the tensor. The node computes with the number
    converted to the tensor's dtype; torch saves it as its parser wraps it (an int as an
    int64 tensor), which ``grad_fn._saved_other`` shows. (Set here, not in forward: the
    Tensor * Tensor path pays nothing.)"""
    node = result._grad_fn
    if node is not None:
        node.given = (None, other) if isinstance(input, Tensor) else (input, None)


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    if rounding_mode is not None:
        if type(rounding_mode) is not str:  # (no overload takes it: the parser's error)
            raise invalid_combination("div", (input, other), _DIV_ROUNDING_OVERLOADS,
                                      {"rounding_mode": rounding_mode})
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        try:
            a, b, dt = _operands(input, other)
        except TypeError as error:
            if (number := numbers_as_tensor(input, other)) is not None:
                return div(number, other, rounding_mode=rounding_mode, out=out)
            raise operand_error("div", input, other, error, _DIV_ROUNDING_OVERLOADS,
                                {"rounding_mode": rounding_mode}) from None
        if dt.kind == "b":
            raise NotImplementedError(f'"div_{rounding_mode}_cpu" not implemented for \'Bool\'')
        b = _half_divisor(dt, other, b)
        given = (None if a is input else input, None if b is other else other)
        return _out(DivRounded.apply(a, b, rounding_mode=rounding_mode, given=given), out,
                    "div")
    if type(other) in _NUMBERS and _half_and_number(input, other):
        return _out(DivNumber.apply(input, None, number=other, given=(None, other)), out,
                    "div")
    if _half_and_scalar_tensor(input, other):
        return _out(DivNumber.apply(input, None, number=other.item(), given=(None, other)),
                    out, "div")
    try:
        a, b, dt = _uncast_operands(input, other)  # (as add's)
    except TypeError as error:
        if (number := numbers_as_tensor(input, other)) is not None:
            return div(number, other, out=out)
        raise operand_error("div", input, other, error) from None
    if dt.kind in "fc":
        result = Div.apply(a, b, **promotion(dt, a, b))
        if b is not other or a is not input:  # (as mul's)
            _keep_given(result, input, other)
    else:  # integers: each converted to the default float dtype from its own (no gradient)
        a, b, _ = _operands_as_float(input, other)
        result = Div.apply(a, b)
    return result if out is None else _out(result, out, "div")


# ---------------------------------------------------------------------------------------
# aliases: torch parses subtract, multiply, divide and true_divide with their own names and
# signatures, so an argument the base function refuses gets the alias's list of overloads

SUBTRACT_OVERLOADS = ("Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None",
                      "Tensor input, Number other, Number alpha = 1")
MULTIPLY_OVERLOADS = ("Tensor input, Tensor other, *, Tensor out = None",
                      "Tensor input, Number other")  # (true_divide's too)
DIVIDE_OVERLOADS = ("Tensor input, Tensor other, *, Tensor out = None",
                    "Tensor input, Tensor other, *, str rounding_mode, Tensor out = None",
                    "Tensor input, Number other",
                    "Tensor input, Number other, *, str rounding_mode")


def alias_error(error: TypeError, base: str, alias: str, args: tuple, overloads: tuple,
                kwargs: dict | None = None) -> TypeError:
    """The error of the alias ``alias`` where ``error`` is the base function's argument
    error (``base(): argument ...`` or its invalid combination): the alias's own invalid
    combination of ``overloads`` (its methods': ``method_signatures``), listing ``args``
    and the keyword arguments given (those not None). Any other error is kept.
    (The error path only: the aliases' calls pay nothing for it.)"""
    message = str(error)
    # (an in-place method's alpha error names the function: both names are the base's)
    prefixes = tuple(f"{name}{kind}" for name in (base, base.rstrip("_"))
                     for kind in ("(): argument ", "() received an invalid combination"))
    if message.startswith(prefixes):
        given = {k: v for k, v in (kwargs or {}).items()
                 if v is not None and not (k == "alpha" and type(v) is int and v == 1)}
        return invalid_combination(alias, args, overloads, given)
    return error


_ALIAS_OVERLOADS = {"subtract": SUBTRACT_OVERLOADS, "multiply": MULTIPLY_OVERLOADS,
                    "divide": DIVIDE_OVERLOADS, "true_divide": MULTIPLY_OVERLOADS}


def method_alias_error(error: TypeError, base: str, method: str, other,
                       kwargs: dict | None = None) -> TypeError:
    """``alias_error`` of the Tensor method ``method`` (``subtract``, ``divide_``, ...),
    whose base method ``base`` (``sub``, ``div_``) refused ``other``: the alias method's
    signatures (the function's without ``input`` and ``out``)."""
    overloads = tuple(_method_signature(s) for s in _ALIAS_OVERLOADS[method.rstrip("_")])
    return alias_error(error, base, method, (other,), overloads, kwargs)


def subtract(input, other, *, alpha=1, out=None):  # noqa: A002
    try:
        return sub(input, other, alpha=alpha, out=out)
    except TypeError as error:
        raise alias_error(error, "sub", "subtract", (input, other), SUBTRACT_OVERLOADS,
                          {"alpha": alpha, "out": out}) from None


def multiply(input, other, *, out=None):  # noqa: A002
    try:
        return mul(input, other, out=out)
    except TypeError as error:
        raise alias_error(error, "mul", "multiply", (input, other), MULTIPLY_OVERLOADS,
                          {"out": out}) from None


def divide(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    try:
        return div(input, other, rounding_mode=rounding_mode, out=out)
    except TypeError as error:
        raise alias_error(error, "div", "divide", (input, other), DIVIDE_OVERLOADS,
                          {"rounding_mode": rounding_mode, "out": out}) from None


def true_divide(input, other, *, out=None):  # noqa: A002
    """``div`` without rounding: torch's true_divide takes no ``rounding_mode``."""
    try:
        return div(input, other, out=out)
    except TypeError as error:
        raise alias_error(error, "div", "true_divide", (input, other), MULTIPLY_OVERLOADS,
                          {"out": out}) from None

_DIV_ROUNDING_OVERLOADS = ("Tensor input, Tensor other, *, Tensor out = None",
                           "Tensor input, Tensor other, *, str rounding_mode, Tensor out = None",
                           "Tensor input, Number other, *, str rounding_mode")
_FLOOR_DIVIDE_OVERLOADS = ("Tensor input, Tensor other, *, Tensor out = None",
                           "Tensor input, Number other")


def floor_divide(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _operands(input, other)
    except TypeError as error:
        if (number := numbers_as_tensor(input, other)) is not None:
            return floor_divide(number, other, out=out)
        raise operand_error("floor_divide", input, other, error, _FLOOR_DIVIDE_OVERLOADS) \
            from None
    if dt.kind == "b":
        raise NotImplementedError('"div_floor_cpu" not implemented for \'Bool\'')
    b = _half_divisor(dt, other, b)
    return _out(FloorDivide.apply(a, b), out, "floor_divide")


def _half_divisor(dt, other, b):
    """The divisor ``b`` of a rounding division in the common dtype ``dt``. For float16,
    when the divisor is a scalar of the iteration (a number, or a one-element tensor of
    any dtype), torch's kernel reads its own value as a float32 (its "opmath" type), not
    rounded to float16, and divides in float32: the divisor then stays float32."""
    if dt != np.float16:
        return b
    if type(other) in _NUMBERS:
        return np.float32(other)
    if isinstance(other, Tensor) and other._data.size == 1:
        return _cast(other, np.float32)
    return b


class FloorDivide(Primitive):
    """out = floor(a / b); not differentiable in torch (its grad_fn raises)."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(a, b)
        return laid_out_as_torch(_floor_divide(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


def _remainder(a, b):
    """torch's kernel: r = fmod(a, b), plus b where r is nonzero and its sign differs from
    b's. A zero result keeps fmod's sign, the sign of a (remainder(-3.0, 1.5) is -0.0), where
    NumPy's remainder gives the sign of b. Integers: NumPy's floor modulo is the same."""
    if np.asarray(a).dtype.kind != "f":
        return np.remainder(a, b)
    r = np.fmod(a, b)
    move = (r != 0) & ((r < 0) != (b < 0))
    return select(move, r + b, r)


class Remainder(Primitive):
    """out = a - floor(a / b) * b (sign of b);  grad_a = grad,  grad_b = -grad * floor(a/b).

    Only grad_b uses the operands: as torch, they are saved only when b needs a gradient."""

    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(b, a)  # torch's order: other, self
        if dtype is not None:  # (converted here, as Add's: no cast node)
            a, b = promoted(a, dtype), promoted(b, dtype)
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(a, b)
        return laid_out_as_torch(_remainder(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:
            b, a = ctx.saved_tensors
            grad_b = -grad * div(a, b, rounding_mode="floor")  # (torch's formula: this
            # has a derivative, floor_divide none)
        return grad if need_a else None, grad_b


class RemainderOfNumber(Primitive):
    """out = remainder(number, b); torch has no derivative for it (its grad_fn raises)."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, b, *, number):
        if b.dtype.kind in "iu":
            _check_integer_divisor(number, b)
        return laid_out_as_torch(_remainder(np.asarray(number), b), number, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::remainder is not implemented")


class Fmod(Primitive):
    """out = a - trunc(a / b) * b (sign of a);  grad_a = grad,  grad_b = -grad * trunc(a/b).

    Only grad_b uses the operands: as torch, they are saved only when b needs a gradient."""

    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(b, a)  # torch's order: other, self
        if dtype is not None:  # (as Remainder's)
            a, b = promoted(a, dtype), promoted(b, dtype)
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(a, b)
        return laid_out_as_torch(np.fmod(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:
            b, a = ctx.saved_tensors
            grad_b = -grad * div(a, b, rounding_mode="trunc")
        return grad if need_a else None, grad_b


class _ScalarDivisor(Primitive):
    """Shared shape of remainder/fmod by a number: the number is a parameter (no edge)."""

    @staticmethod
    def backward(ctx, grad):
        return grad


class RemainderScalar(_ScalarDivisor):
    """out = remainder(a, number);  grad_a = grad."""

    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, *, other):
        if a.dtype.kind in "iu":
            _check_integer_divisor(a, other)
        return laid_out_as_torch(_remainder(a, other), a, other)


class FmodScalar(_ScalarDivisor):
    """out = fmod(a, number);  grad_a = grad."""

    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, *, other):
        if a.dtype.kind in "iu":
            _check_integer_divisor(a, other)
        return laid_out_as_torch(np.fmod(a, other), a, other)


def remainder(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_operands(input, other)  # (Remainder converts them)
    except TypeError as error:
        raise operand_error("remainder", input, other, error, EITHER_A_NUMBER) from None
    if dt.kind == "b":
        raise NotImplementedError('"remainder_cpu" not implemented for \'Bool\'')
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _out(RemainderScalar.apply(_cast(a, dt), other=b), out, "remainder")
    if not isinstance(a, Tensor):
        return _out(RemainderOfNumber.apply(_cast(b, dt), number=a), out, "remainder")
    return _out(Remainder.apply(a, b, **promotion(dt, a, b)), out, "remainder")


def fmod(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_operands(_check_tensor("fmod", input), other)  # (as remainder's)
    except TypeError as error:
        raise operand_error("fmod", input, other, error, TENSOR_OR_NUMBER) from None
    if dt.kind == "b":
        raise NotImplementedError('"fmod_cpu" not implemented for \'Bool\'')
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _out(FmodScalar.apply(_cast(a, dt), other=b), out, "fmod")
    return _out(Fmod.apply(a, b, **promotion(dt, a, b)), out, "fmod")


def _check_integer_divisor(a, b):
    """torch's integer division by zero error, unless the result is empty."""
    if np.broadcast(a, b).size and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


_BOOL_POW = '"pow" not implemented for \'Bool\''


_POW_OVERLOADS = ("Tensor input, Tensor exponent, *, Tensor out = None",
                  "Number self, Tensor exponent, *, Tensor out = None",
                  "Tensor input, Number exponent, *, Tensor out = None")


def pow(input, exponent, *, out=None):  # noqa: A002
    try:
        return _pow(input, exponent, out)
    except TypeError as error:
        raise operand_error("pow", input, exponent, error, _POW_OVERLOADS) from None


def _pow(input, exponent, out):  # noqa: A002
    if not isinstance(input, Tensor):
        exp_t = _check_tensor("pow", exponent)
        base, e, dt = _operands(input, exp_t)
        if dt.kind == "b":
            raise NotImplementedError(_BOOL_POW)
        # the base as torch's parser reads it: a NumPy integer an int, a NumPy bool or
        # float a float
        given = input if type(input) in (bool, int, float) else \
            int(input) if isinstance(input, np.integer) else float(input)
        return _out(PowScalarBase.apply(e, base=base, given=given), out, "pow")
    if isinstance(exponent, Tensor):  # negative integer exponents are fine here (_power)
        a, e, dt = _uncast_operands(input, exponent)  # (PowTensor converts them)
        if dt.kind == "b":
            raise NotImplementedError(_BOOL_POW)
        return _out(PowTensor.apply(a, e, **promotion(dt, a, e)), out, "pow")
    a, e, dt = _operands(input, exponent)
    # the number as given: converted to uint8 first, -1 would pass as 255 (a NumPy integer
    # is an int to torch's parser, a NumPy float a float)
    integer = type(exponent) is int or isinstance(exponent, np.integer)
    if dt.kind in "iub" and integer and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if (integer or isinstance(exponent, (float, np.floating))) and (
            dt.kind in "iu" or dt == np.float16):
        e = checked_scalar(exponent, dt)[()]  # torch refuses what the dtype cannot hold
    # the number torch's node keeps: a NumPy integer as the int the parser reads
    number = exponent if isinstance(exponent, (bool, int, float)) else \
        int(exponent) if isinstance(exponent, np.integer) else e
    return _out(PowScalar.apply(a, exponent=e, number=number), out, "pow")


def neg(input, *, out=None):  # noqa: A002
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _out(Neg.apply(input), out, "neg", out_dtype_found)


negative = neg


def _checked_alpha(alpha, np_dtype, name="add"):
    """``alpha`` of add/sub/rsub converted to the result dtype as torch does, with its
    errors: not a number (the parser's, naming the function ``name``), a bool alpha needs a
    bool result, a float one a float result, and the value must fit (float16 alpha=70000
    raises)."""
    if not is_operand(alpha):
        raise TypeError(f"{name}(): argument 'alpha' must be Number, not {type_name(alpha)}")
    check_parsed_int(alpha)
    if type(alpha) is bool and np_dtype.kind != "b":
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and np_dtype.kind != "f":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )
    return checked_scalar(alpha, np_dtype)[()]


# ---------------------------------------------------------------------------------------
# addcmul, addcdiv: input + value * t1 * t2 and input + value * t1 / t2 (Adam's updates)


class Addcmul(Primitive):
    """out = input + value * t1 * t2;  grad_input = grad,  grad_t1 = grad * (t2 * value),
    grad_t2 = grad * (t1 * value)  (torch's derivatives.yaml, in its order). As torch,
    t2 is saved only when t1 needs a gradient and t1 only when t2 does.

    ``dtype``: inputs of other dtypes are converted to it here, inside the node, as
    torch's kernel promotes (``promotion_of``: no cast node); the inputs themselves are
    saved, so ``t2 * value`` is computed in t2's own dtype, as torch's formula does. The
    same in Addcdiv."""

    node_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, *, value, dtype=None):
        _, need_t1, need_t2 = ctx.needs_input_grad
        ctx.save_for_backward(t1 if need_t2 else None, t2 if need_t1 else None)
        ctx.value = value
        if dtype is not None:
            x, t1, t2 = promoted(x, dtype), promoted(t1, dtype), promoted(t2, dtype)
        return laid_out_as_torch(_addcmul(x, t1, t2, value), x, t1, t2)

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        needs, value = ctx.needs_input_grad, ctx.value
        # (value a C++ Scalar: MulBackward1, also for value 1)
        grad_t1 = grad * mul_scalar(t2, value) if needs[1] else None
        grad_t2 = grad * mul_scalar(t1, value) if needs[2] else None
        return grad if needs[0] else None, grad_t1, grad_t2


def _addcmul(x, t1, t2, value):
    """torch's CPU kernel: ``fma(value * t1, t2, x)``, one rounding after the product
    ``value * t1`` (its vectorised loop, whose tails are vectorised too: every element,
    contiguous or not, measured with torch 2.13). float16 is computed in float32 and
    rounded at the end; integers wrap. ``_fma``'s own float32 path for three arrays may
    round twice, so float32 takes ``_fma_via_float64``, which repairs that."""
    # the dtype of the arrays: any of the three may be a Python number, which NumPy 1
    # would let widen 0-d float32 arrays to float64 (value-based casting)
    arrays = [v for v in (x, t1, t2) if isinstance(v, np.ndarray)]
    dtype = np.result_type(*arrays)
    if dtype.kind != "f":
        return x + value * t1 * t2
    wide = np.dtype(np.float32) if dtype == np.float16 else dtype
    if dtype == np.float16 or len(arrays) < 3:  # (numbers, too, in the working dtype)
        x, t1, t2 = (np.asarray(v, dtype=wide) for v in (x, t1, t2))
    if value != 1:
        t1 = t1 * wide.type(value)  # value rounded to the dtype first, as torch's Scalar
    t1, t2, x = np.broadcast_arrays(t1, t2, x)
    out = _fma(t1, t2, x) if wide == np.float64 else _fma_via_float64(t1, t2, x, wide)
    return out.astype(dtype, copy=False)


class Addcdiv(Primitive):
    """out = input + value * t1 / t2;  grad_input = grad,  grad_t1 = grad * (value / t2),
    grad_t2 = -grad * (value * t1 / (t2 * t2))  (torch's derivatives.yaml). As torch, t1
    is saved only when t2 needs a gradient (t2 always: both rules use it)."""

    node_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, x, t1, t2, *, value, dtype=None):
        ctx.save_for_backward(t1 if ctx.needs_input_grad[2] else None, t2)
        ctx.value = value
        if dtype is not None:
            x, t1, t2 = promoted(x, dtype), promoted(t1, dtype), promoted(t2, dtype)
        return laid_out_as_torch(_addcdiv(x, t1, t2, value), x, t1, t2)

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        needs, value = ctx.needs_input_grad, ctx.value
        grad_t1 = grad_t2 = None
        if needs[1]:  # a true division value / t2 (value in t2's dtype), measured: not
            _check_float_divisor(t2)  # Python's reciprocal(t2) * value, rounded twice
            grad_t1 = grad * div(value, t2)
        if needs[2]:
            grad_t2 = -grad * (mul_scalar(t1, value) / (t2 * t2))
        return grad if needs[0] else None, grad_t1, grad_t2


def _check_float_divisor(t2):
    """torch's ``value / t2`` is ``empty_like(t2).fill_(value).div_(t2)``: an integer or
    bool t2 cannot hold the quotient, so the backward of t1 refuses it (its message)."""
    if t2._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"result type {_dtype.TYPE_WORDS[_dtype.get_default_dtype().np.name]} can't be cast "
            f"to the desired output type {_dtype.TYPE_WORDS[t2._data.dtype.name]}")


def _addcdiv(x, t1, t2, value):
    """torch's CPU kernel: ``x + (value * t1) / t2``, three roundings in that order (found
    by experiment against torch 2.13: ``x + value * (t1 / t2)`` and fused forms differ in
    the last bit for a third of the inputs when value != 1). float16 runs in float32."""
    dtype = np.result_type(x, t1, t2)
    if dtype == np.float16:
        x, t1, t2 = x.astype(np.float32), t1.astype(np.float32), t2.astype(np.float32)
    if value != 1:
        t1 = t1 * t1.dtype.type(value)
    return (x + t1 / t2).astype(dtype, copy=False)


def _check_addc(name, input, tensor1, tensor2, value):  # noqa: A002
    for arg, position, x in (("input", 1, input), ("tensor1", 2, tensor1),
                             ("tensor2", 3, tensor2)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be "
                            f"Tensor, not {type_name(x)}")
    check_parsed_int(value)
    if isinstance(value, Tensor):
        value = value.item()
    common = _dtype.result_type_of((input, tensor1, tensor2)).np
    if isinstance(value, complex):
        raise RuntimeError(f"value cannot be converted to type "
                           f"{'float' if common.kind == 'f' else 'int64_t'} without overflow")
    if common.kind == "b":
        raise NotImplementedError(f'"{name}_cpu_out" not implemented for \'Bool\'')
    if common.kind != "f":
        # torch's value.to<scalar_t>(): 0.5 becomes 0, an int must fit the dtype
        value = checked_scalar(int(value), common)[()]
    return common, value


def addcmul(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    common, value = _check_addc("addcmul", input, tensor1, tensor2, value)
    result = Addcmul.apply(input, tensor1, tensor2, value=value,
                           **promotion_of(common, (input, tensor1, tensor2)))
    return _out(result, out, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    for t in (tensor1, tensor2):
        if not (isinstance(t, Tensor) and t._data.dtype.kind in "biu"):
            break
    else:
        raise RuntimeError(_ADDCDIV_INTEGER)
    common, value = _check_addc("addcdiv", input, tensor1, tensor2, value)
    result = Addcdiv.apply(input, tensor1, tensor2, value=value,
                           **promotion_of(common, (input, tensor1, tensor2)))
    return _out(result, out, "addcdiv")


_ADDCDIV_INTEGER = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes."
)

"""Functions of one tensor: exp, log, sqrt, trigonometry, sigmoid, relu, erf, rounding,
abs, sign, reciprocal, nan_to_num.

Integer inputs of float functions are promoted to the default dtype, as in torch.
Precision: sqrt is correctly rounded; torch 2.13's CPU sqrt is not always (measured: one
ulp off for ~14% of float32 inputs and ~1% of float64), so the two agree to an ulp. rsqrt
(1 / sqrt), reciprocal, relu, sign, abs and the rounding functions match torch bit for bit;
exp, log, tanh, ... are NumPy's, float32 computed in float64 and rounded once (sin and
cos excepted: see Sin): torch's
float32 kernels are correctly rounded for ~95-99.9% of inputs, NumPy's float32 loops far
less often (see _libm.py; the rest differ from torch by an ulp). At special values (signed
zeros, NaN, infinities, overflow) each function follows torch's kernel formula; see
tests/specs/special_pointwise.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from torchlet import _dtype
from torchlet._ops.indexing._common import laid_out_as_torch, relaid
from torchlet._ops.pointwise._erf import erf as _erf_numpy
from torchlet._ops.pointwise._fused import _SPLITTER, _fma, scalar_lanes
from torchlet._ops.pointwise._libm import rounded_once
from torchlet._ops.pointwise._libm import sigmoid as _sigmoid
from torchlet._ops.pointwise.arithmetic import PowScalar, add_scalar, mul_scalar
from torchlet._ops.pointwise.binary import _BITS, _MAXPS_DTYPES, _SELECT_MIN, _zeros_for
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    _check_tensor,
    _float_operand,
    _out,
    check_out_first,
    out_dtype_found,
    to,
    zeros_like,
)
from torchlet._tensor import wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# ---------------------------------------------------------------------------------------
# one-input math functions


class _Unary(Primitive):
    """Shared apply for one-input float functions: ``numpy_fn`` on the array."""

    numpy_fn: Callable  # each subclass's NumPy function (a ufunc or a kernel)

    @classmethod
    def forward(cls, ctx, a):
        ctx.save_for_backward(a)
        out = cls.numpy_fn(a)
        # torch lays the result out as a (an expanded a in C order); the contiguous test
        # is inline in these shared forwards, which activations run in every step
        return out if a.flags.c_contiguous else relaid(out, (a,))


class _UnaryOut(Primitive):
    """Like _Unary, but the backward needs the output rather than the input."""

    numpy_fn: Callable  # each subclass's NumPy function (a ufunc or a kernel)

    @classmethod
    def forward(cls, ctx, a):
        out = cls.numpy_fn(a)
        if not a.flags.c_contiguous:  # (laid out as _Unary's)
            out = relaid(out, (a,))
        ctx.save_for_backward(out)
        return out


class _Libm(_Unary):
    """A math-library function (exp, log, sin, ...): ``numpy_fn`` is the NumPy ufunc,
    evaluated by ``rounded_once`` (float32 in float64, rounded once), which matches torch's
    nearly always correctly rounded float32 kernels where NumPy's float32 loops do not."""

    @classmethod
    def forward(cls, ctx, a):
        ctx.save_for_backward(a)
        out = rounded_once(cls.numpy_fn, a)
        return out if a.flags.c_contiguous else relaid(out, (a,))


class _LibmOut(_UnaryOut):
    """Like _Libm, but the backward needs the output rather than the input."""

    @classmethod
    def forward(cls, ctx, a):
        out = rounded_once(cls.numpy_fn, a)
        if not a.flags.c_contiguous:
            out = relaid(out, (a,))
        ctx.save_for_backward(out)
        return out


class Exp(_LibmOut):
    """out = exp(a);  grad_a = grad * out."""

    node_name = "ExpBackward0"
    numpy_fn = np.exp

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Exp2(_LibmOut):
    """out = 2 ** a;  grad_a = grad * out * ln 2 (torch's formula times M_LN2, a C++
    double: mul(Tensor, Scalar), node MulBackward1 under create_graph)."""

    node_name = "Exp2Backward0"
    numpy_fn = np.exp2

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return mul_scalar(grad * out, math.log(2.0))


class Expm1(_LibmOut):
    """out = exp(a) - 1;  grad_a = grad * (out + 1).

    The C++ formulas' numbers are Scalars (``result + 1``: add(Tensor, Scalar), node
    AddBackward1 under create_graph); ``add_scalar``, ``mul_scalar``, ... record them as
    torch does, here and below."""

    node_name = "Expm1Backward0"
    numpy_fn = np.expm1

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * add_scalar(out, 1)


class Log(_Libm):
    """out = log(a);  grad_a = grad / a."""

    node_name = "LogBackward0"
    numpy_fn = np.log

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Log2(_Libm):
    """out = log2(a);  grad_a = grad / (a * ln 2)."""

    node_name = "Log2Backward0"
    numpy_fn = np.log2

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / mul_scalar(a, math.log(2.0))


class Log10(_Libm):
    """out = log10(a);  grad_a = grad / (a * ln 10)."""

    node_name = "Log10Backward0"
    numpy_fn = np.log10

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / mul_scalar(a, math.log(10.0))


class Log1p(_Libm):
    """out = log(1 + a);  grad_a = grad / (1 + a).

    Near zero torch's kernel is not the identity: for |a| below twice the smallest normal
    (float32 and float64) it returns 2 * fl(a / 2), the halving of its double-float
    division m / (2 + m) rounded into the subnormals. An odd count of subnormal steps
    rounds half to even (log1p(27 * 2**-149) is 28 * 2**-149 in float32), and a nonzero
    input whose half rounds to zero gives +0.0; -0.0 stays -0.0. Checked bit for bit
    against torch on 422,000 such inputs per dtype."""

    node_name = "Log1PBackward0"
    numpy_fn = np.log1p

    @classmethod
    def forward(cls, ctx, a):
        out = super().forward(ctx, a)
        if type(a) is np.ndarray and a.dtype in (np.float32, np.float64):
            tiny = np.abs(a) < 2 * np.finfo(a.dtype).tiny
            tiny &= a != 0
            if tiny.any():
                half = a[tiny] * a.dtype.type(0.5)
                out[tiny] = (half + half) + a.dtype.type(0)  # (+ 0: a -0.0 sum is +0.0)
        return out

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / add_scalar(a, 1)


class Sqrt(_UnaryOut):
    """out = sqrt(a);  grad_a = grad / (2 * out)."""

    node_name = "SqrtBackward0"
    numpy_fn = np.sqrt

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / mul_scalar(out, 2)


class Rsqrt(_UnaryOut):
    """out = 1 / sqrt(a);  grad_a = -0.5 * grad * out ** 3.

    float16: torch's SIMD code computes 1 / sqrt(a) in float32, rounded to float16 once;
    its scalar code (``scalar_lanes``: the last ``numel % 32`` elements of a contiguous
    tensor, all of a strided or 0-d one) rounds sqrt(a) to float16 first (c10::Half's
    sqrt), then 1 / that in float32: an ulp apart for ~13% of inputs."""

    node_name = "RsqrtBackward0"

    @classmethod
    def forward(cls, ctx, a):
        out = cls.numpy_fn(a)
        if not a.flags.c_contiguous:  # (laid out as _UnaryOut's)
            out = relaid(out, (a,))
        if a.dtype == np.float16 and type(a) is np.ndarray:  # (not a meta array)
            out = np.asarray(out)  # (a 0-d a gives a NumPy scalar)
            lanes = scalar_lanes(out, (a,), _HALF_RSQRT_BLOCK)
            if lanes is not None:
                root = np.sqrt(a[lanes].astype(np.float32)).astype(np.float16)
                out[lanes] = np.float32(1) / root.astype(np.float32)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def numpy_fn(a):
        if a.dtype == np.float16:  # torch's SIMD code: in float32, rounded once
            return _reciprocal_sqrt(a.astype(np.float32)).astype(np.float16)
        return _reciprocal_sqrt(a)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return mul_scalar(grad, -0.5) * pow(out, 3)


_HALF_RSQRT_BLOCK = 32  # float16 elements a SIMD step of torch's rsqrt kernel (measured)


def _reciprocal_sqrt(a):
    """1 / sqrt(a), the 1 in sqrt's own type (NumPy 1 would divide a 0-d float32 in
    float64)."""
    root = np.sqrt(a)
    return root.dtype.type(1) / root


class Sin(_Unary):
    """out = sin(a);  grad_a = grad * cos(a).

    NumPy's own float32 loop (87% equal to torch, against 95% in float64 rounded once):
    NumPy's float64 sin and cos are not vectorised and cost 15-35x its float32 ones, and
    an ulp of a value in [-1, 1] does not show at torch's print precision."""

    node_name = "SinBackward0"
    numpy_fn = np.sin

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cos(a)


class Cos(_Unary):
    """out = cos(a);  grad_a = -grad * sin(a). NumPy's float32 loop, as Sin."""

    node_name = "CosBackward0"
    numpy_fn = np.cos

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -sin(a)


class Tan(_LibmOut):
    """out = tan(a);  grad_a = grad * (1 + out ** 2)."""

    node_name = "TanBackward0"
    numpy_fn = np.tan

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * add_scalar(pow(out, 2), 1)


class Asin(_Libm):
    """out = asin(a);  grad_a = grad / sqrt(1 - a ** 2), as torch's
    ``grad * (-self * self + 1).rsqrt()``."""

    node_name = "AsinBackward0"
    numpy_fn = np.arcsin

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * rsqrt(add_scalar(-a * a, 1))


class Acos(_Libm):
    """out = acos(a);  grad_a = -grad / sqrt(1 - a ** 2), as torch's
    ``grad * -((-self * self + 1).rsqrt())``."""

    node_name = "AcosBackward0"
    numpy_fn = np.arccos

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -rsqrt(add_scalar(-a * a, 1))


class Atan(_Libm):
    """out = atan(a);  grad_a = grad / (1 + a ** 2)."""

    node_name = "AtanBackward0"
    numpy_fn = np.arctan

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / add_scalar(a * a, 1)


class Sinh(_Libm):
    """out = sinh(a);  grad_a = grad * cosh(a)."""

    node_name = "SinhBackward0"
    numpy_fn = np.sinh

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cosh(a)


class Cosh(_Libm):
    """out = cosh(a);  grad_a = grad * sinh(a)."""

    node_name = "CoshBackward0"
    numpy_fn = np.cosh

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sinh(a)


class Tanh(_LibmOut):
    """out = tanh(a);  grad_a = tanh_backward(grad, out) = grad * (1 - out ** 2)."""

    node_name = "TanhBackward0"
    numpy_fn = np.tanh

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not GRAD_STATE.enabled:  # first order: TanhBackward's kernel, undispatched
            return wrap(_tanh_backward_laid(grad._data, out._data))
        return TanhBackward.apply(grad, out)


class TanhBackward(Primitive):
    """out = grad * (1 - y * y): tanh's gradient as an operation of its own (torch's
    tanh_backward), differentiable again:  grad_grad = tanh_backward(v, y),
    grad_y = v * (-2 * y * grad)  (torch's derivatives.yaml)."""

    node_name = "TanhBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return _tanh_backward_laid(grad, y)

    @staticmethod
    def backward(ctx, v):
        grad, y = ctx.saved_tensors
        need_grad, need_y = ctx.needs_input_grad
        return (TanhBackward.apply(v, y) if need_grad else None,
                v * (y * -2 * grad) if need_y else None)


def _tanh_backward_laid(grad, y):
    """``_tanh_backward`` laid out as torch's kernel output: TensorIterator over (grad, y),
    grad's layout first (a transposed y under a C-contiguous grad gives a C-contiguous
    gradient)."""
    return laid_out_as_torch(_tanh_backward(grad, y), grad, y)


def _tanh_backward(grad, y):
    """torch's tanh_backward kernel, ``grad * (1 - y * y)`` with ``1 - y * y`` rounded once:
    the compiler fuses it into an FMA, in the vectorised loop and the scalar one alike.
    float32: y * y is exact in float64, and 1 - y * y rounded there and then to float32
    is the once-rounded result for every float32 |y| <= 1 (checked on all 2**30 of them:
    no double rounding). float64 needs ``_fma``. float16 runs in float32, rounded once."""
    if y.dtype == np.float32:  # (in-place float64 passes: a ufunc's dtype= is 2x slower)
        wide = y.astype(np.float64)
        wide *= wide
        slope = np.subtract(1.0, wide, out=wide).astype(np.float32)
    elif y.dtype == np.float64:
        slope = _one_minus_square(y)
    else:  # float16, as torch: float32 arithmetic, one rounding at the end
        y32 = y.astype(np.float32)
        return (grad.astype(np.float32) * (1 - y32 * y32)).astype(y.dtype)
    return np.multiply(grad, slope, out=slope)


def _one_minus_square(y):
    """``1 - y * y`` rounded once, for float64 ``y`` with |y| <= 1 (a tanh), at a tenth of
    ``_fma``'s cost. With y * y = p + e exactly (Dekker) and 1 - p = t + r exactly
    (Fast2Sum: 1 >= p), the answer is t + (r - e) rounded once. r - e is exact unless
    p < 1/4, where t is in [3/4, 1] and |r - e| < 3/4 ulp(t): there rounding r - e can
    only mislead the last rounding by landing on a midpoint of t's grid, +-ulp(t) / 2, a
    power of two; those rare lanes are redone by ``_fma``. (In place where it can be:
    fresh temporaries of a large array cost more than the arithmetic.)"""
    if y.ndim == 0:
        return _one_minus_square(y.reshape(1)).reshape(())
    p = y * y
    slope = 1 - p  # t
    d = 1 - slope
    d -= p  # r, exactly
    d -= _square_error(y, p)  # r - e
    slope += d
    power_of_two = (d.view(np.int64) & _MANTISSA_64) == 0
    power_of_two &= d != 0
    if power_of_two.any():
        slope[power_of_two] = _fma(-y[power_of_two], y[power_of_two], 1.0)
    return slope


def _square_error(y, p):
    """The exact rounding error ``y * y - p`` of ``p = fl(y * y)``, float64 (Dekker's
    product, y split into two 26-bit halves: y * y = hi * hi + 2 * hi * lo + lo * lo)."""
    hi = y * _SPLITTER
    tmp = hi - y
    hi -= tmp
    lo = y - hi
    error = hi * hi
    error -= p
    np.multiply(hi, lo, out=tmp)
    tmp += tmp
    error += tmp
    lo *= lo
    error += lo
    return error


_MANTISSA_64 = (1 << 52) - 1


class Sigmoid(_UnaryOut):
    """out = 1 / (1 + exp(-a));  grad_a = grad * (1 - out) * out."""

    node_name = "SigmoidBackward0"
    numpy_fn = staticmethod(_sigmoid)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not GRAD_STATE.enabled:  # first order: SigmoidBackward's kernel, undispatched
            return wrap(_sigmoid_backward(grad._data, out._data))
        return SigmoidBackward.apply(grad, out)


class SigmoidBackward(Primitive):
    """out = grad * (1 - y) * y: sigmoid's gradient as an operation of its own (torch's
    sigmoid_backward), differentiable again:  grad_grad = sigmoid_backward(v, y),
    grad_y = v * grad * (1 - 2 * y)  (torch's derivatives.yaml: grad * grad_output *
    (-2 * output + 1))."""

    node_name = "SigmoidBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, y):
        ctx.save_for_backward(grad, y)
        return _sigmoid_backward(grad, y)

    @staticmethod
    def backward(ctx, v):
        grad, y = ctx.saved_tensors
        need_grad, need_y = ctx.needs_input_grad
        return (SigmoidBackward.apply(v, y) if need_grad else None,
                v * grad * (y * -2 + 1) if need_y else None)


def _sigmoid_backward(grad, y):
    """torch's sigmoid_backward kernel, ``(grad * (1 - y)) * y`` rounded at each step even
    in float16 (unlike its tanh_backward, which computes float16 in float32), laid out as
    TensorIterator lays out (grad, y)."""
    # a typed one: NumPy 1 widens ``1 - y`` to float64 when y is 0-d (value-based casting)
    out = np.asarray(grad * (y.dtype.type(1) - y))  # (asarray: 0-d operands give a scalar)
    out *= y
    return laid_out_as_torch(out, grad, y)


# ---------------------------------------------------------------------------------------
# ReLU. torch's kernel is ``a < 0 ? 0 : a``: relu(-0.0) is -0.0 and a NaN passes through.
# Its backward is threshold_backward(grad, out, 0) = ``out <= 0 ? 0 : grad``: a NaN input
# gets the full gradient, a zero (of either sign) none. ``_relu_plain`` and
# ``_relu_grad_plain`` say exactly that; the fast versions compute the same bits
# (tests/test_relu_speed_paths.py compares them on every float16 and on samples of float32
# and float64 bit patterns; all 2**32 float32 patterns were compared once, offline).


def _relu_plain(a):
    return np.where(a < 0, a.dtype.type(0), a)


def _relu_grad_plain(grad, out):
    return np.where(out <= 0, grad.dtype.type(0), grad)


def _relu_fast(a):
    """``np.maximum(0, a)``, which is ``a < 0 ? 0 : a`` bit for bit where NumPy follows
    maxps (``_MAXPS_DTYPES``), in one pass. On large arrays the 0 is a zeros array: against
    a scalar NumPy takes a loop 3x slower."""
    zero = _zeros_for(a) if a.size >= _SELECT_MIN else a.dtype.type(0)
    return np.maximum(zero, a)


def _keep_unless(drop, a):
    """``a`` where ``drop`` is False, +0.0 where True, by bit masks: ``drop - 1`` as int8 is
    -1 or 0, which widens to an all-ones or all-zeros mask for an AND with ``a``'s bits.
    Branch-free, where np.where costs ~3.5 ns per element on an unpredictable condition.
    Overwrites ``drop``."""
    bits = _BITS[a.dtype.itemsize]
    keep = drop.view(np.int8)
    np.subtract(keep, 1, out=keep)
    mask = keep.astype(bits)
    np.bitwise_and(mask, a.view(bits), out=mask)
    return mask.view(a.dtype)


_RELU_MASK_MIN = 2048  # below this np.where's smaller fixed cost wins (measured)


def _relu(a):
    if a.dtype in _MAXPS_DTYPES:
        return _relu_fast(a)
    if a.dtype.kind != "f":
        return np.maximum(a, 0)  # integers: no signed zeros, no NaN
    if a.size >= _RELU_MASK_MIN:
        return _keep_unless(np.less(a, 0), a)
    return _relu_plain(a)


def _relu_grad(grad, out):
    if grad.size >= _RELU_MASK_MIN and grad.dtype.kind == "f":
        return _keep_unless(np.less_equal(out, 0), grad)
    return _relu_grad_plain(grad, out)


def _threshold_backward(grad, out):
    """``_relu_grad`` laid out as torch's threshold_backward: TensorIterator over
    (out, grad), the relu output's layout first. (The all-C-contiguous test inline: the
    hot path of every ReLU layer.)"""
    result = _relu_grad(grad, out)
    if out.flags.c_contiguous and grad.flags.c_contiguous and 1 not in result.shape:
        return result
    return relaid(result, (out, grad))


class Relu(_UnaryOut):
    """out = a < 0 ? 0 : a;  grad_a = out <= 0 ? 0 : grad (relu'(0) = 0; NaN gets grad)."""

    node_name = "ReluBackward0"
    numpy_fn = staticmethod(_relu)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not GRAD_STATE.enabled:  # first order: ThresholdBackward's selection, undispatched
            return wrap(_threshold_backward(grad._data, out._data))
        return ThresholdBackward.apply(grad, out)


class ThresholdBackward(Primitive):
    """out = grad_output where relu_out <= 0 is False, else 0: torch's threshold_backward.
    Linear in grad_output, so its own gradient is the same selection; none for relu_out."""

    node_name = "ThresholdBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, out):
        ctx.save_for_backward(out)
        return _threshold_backward(grad, out)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (ThresholdBackward.apply(grad, out) if needs[0] else None,
                zeros_like(grad) if needs[1] else None)


class Erf(_Unary):
    """out = erf(a);  grad_a = 2 / sqrt(pi) * exp(-a ** 2) * grad, torch's order."""

    node_name = "ErfBackward0"

    @staticmethod
    def numpy_fn(a):
        return _erf(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return mul_scalar(exp(-pow(a, 2)), 2.0 / math.sqrt(math.pi)) * grad


def _erf(a):
    """erf by fdlibm's algorithm, vectorised (NumPy has none), computed in float64."""
    return _erf_numpy(a)


class Abs(_Unary):
    """out = |a|;  grad_a = grad * sgn(a) (0 at 0 and at NaN). torch's formula is
    ``grad * self.sgn()``: under create_graph the node is SgnBackward0, not SignBackward0."""

    node_name = "AbsBackward0"
    numpy_fn = np.abs

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sgn(a)


def _sign(a):
    if a.dtype.kind == "b":
        return a.copy()
    if a.dtype.kind != "f":
        return np.sign(a)
    # torch's kernel (0 < a) - (a < 0): +0.0 at both zeros and at NaN (np.sign keeps NaN)
    out = np.greater(a, 0).astype(a.dtype)
    out -= np.less(a, 0)
    return out


class Sign(Primitive):
    """out = sign(a) (0 at NaN); piecewise constant: grad_a = 0."""

    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, a):
        return laid_out_as_torch(_sign(a), a)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


class Sgn(Sign):
    """out = sgn(a), for real tensors sign(a);  grad_a = 0 (torch's sgn_backward, real case).
    Its node keeps ``a`` and the result, as torch's (``_saved_self``, ``_saved_result``:
    the complex case's formula needs them)."""

    node_name = "SgnBackward0"

    @staticmethod
    def forward(ctx, a):
        out = Sign.forward(ctx, a)
        ctx.save_for_backward(a, out)
        return out


class Reciprocal(_UnaryOut):
    """out = 1 / a;  grad_a = -grad * out ** 2."""

    node_name = "ReciprocalBackward0"

    @staticmethod
    def numpy_fn(a):
        return np.reciprocal(a)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -grad * (out * out)


class _Rounding(Primitive):
    """floor/ceil/round/trunc: piecewise constant, so grad_a = 0."""

    numpy_fn: Callable  # each subclass's NumPy function (a ufunc or a kernel)

    @classmethod
    def forward(cls, ctx, a, **params):
        return laid_out_as_torch(cls.numpy_fn(a, **params), a)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


class Floor(_Rounding):
    """out = floor(a);  grad_a = 0."""

    node_name = "FloorBackward0"
    numpy_fn = np.floor


class Ceil(_Rounding):
    """out = ceil(a);  grad_a = 0."""

    node_name = "CeilBackward0"
    numpy_fn = np.ceil


class Round(_Rounding):
    """out = a rounded half to even;  grad_a = 0."""

    node_name = "RoundBackward0"
    numpy_fn = np.round


class RoundDecimals(_Rounding):
    """out = a rounded half to even to ``decimals`` places;  grad_a = 0."""

    node_name = "RoundBackward1"

    @staticmethod
    def numpy_fn(a, decimals):
        # NumPy's rint(a * 10**d) / 10**d (a / 10**-d ... for d < 0) is torch's formula;
        # torch computes float16 in float32, so 65504 rounded to 1 place stays finite
        if a.dtype == np.float16:
            return np.round(a.astype(np.float32), decimals).astype(np.float16)
        return np.round(a, decimals)


class Trunc(_Rounding):
    """out = trunc(a);  grad_a = 0."""

    node_name = "TruncBackward0"
    numpy_fn = np.trunc


class Frac(Primitive):
    """out = a - trunc(a);  grad_a = grad."""

    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, a):
        return laid_out_as_torch(a - np.trunc(a), a)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _unary(cls, name, x, float_only=True):
    x = _check_tensor(name, x)
    if float_only:
        x = _float_operand(x)
    return cls.apply_unary(x)


def exp(input, *, out=None):  # noqa: A002
    return _out(_unary(Exp, "exp", input), out, "exp")


def exp2(input, *, out=None):  # noqa: A002
    return _out(_unary(Exp2, "exp2", input), out, "exp2")


def expm1(input, *, out=None):  # noqa: A002
    return _out(_unary(Expm1, "expm1", input), out, "expm1")


def log(input, *, out=None):  # noqa: A002
    return _out(_unary(Log, "log", input), out, "log")


def log2(input, *, out=None):  # noqa: A002
    return _out(_unary(Log2, "log2", input), out, "log2")


def log10(input, *, out=None):  # noqa: A002
    return _out(_unary(Log10, "log10", input), out, "log10")


def log1p(input, *, out=None):  # noqa: A002
    return _out(_unary(Log1p, "log1p", input), out, "log1p")


def sqrt(input, *, out=None):  # noqa: A002
    return _out(_unary(Sqrt, "sqrt", input), out, "sqrt")


def rsqrt(input, *, out=None):  # noqa: A002
    return _out(_unary(Rsqrt, "rsqrt", input), out, "rsqrt")


def sin(input, *, out=None):  # noqa: A002
    return _out(_unary(Sin, "sin", input), out, "sin")


def cos(input, *, out=None):  # noqa: A002
    return _out(_unary(Cos, "cos", input), out, "cos")


def tan(input, *, out=None):  # noqa: A002
    return _out(_unary(Tan, "tan", input), out, "tan")


def asin(input, *, out=None):  # noqa: A002
    return _out(_unary(Asin, "asin", input), out, "asin")


def acos(input, *, out=None):  # noqa: A002
    return _out(_unary(Acos, "acos", input), out, "acos")


def atan(input, *, out=None):  # noqa: A002
    return _out(_unary(Atan, "atan", input), out, "atan")


arcsin, arccos, arctan = asin, acos, atan


def sinh(input, *, out=None):  # noqa: A002
    return _out(_unary(Sinh, "sinh", input), out, "sinh")


def cosh(input, *, out=None):  # noqa: A002
    return _out(_unary(Cosh, "cosh", input), out, "cosh")


def tanh(input, *, out=None):  # noqa: A002
    return _out(_unary(Tanh, "tanh", input), out, "tanh")


def sigmoid(input, *, out=None):  # noqa: A002
    return _out(_unary(Sigmoid, "sigmoid", input), out, "sigmoid")


def erf(input, *, out=None):  # noqa: A002
    return _out(_unary(Erf, "erf", input), out, "erf")


def reciprocal(input, *, out=None):  # noqa: A002
    return _out(_unary(Reciprocal, "reciprocal", input), out, "reciprocal")


def relu(input):  # noqa: A002
    x = _check_tensor("relu", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply_unary(x)


def abs(input, *, out=None):  # noqa: A002
    x = _check_tensor("abs", input)
    check_out_first(out, x._data.dtype, out_dtype_found)  # (before the kernel's refusal)
    if x._data.dtype.kind == "b":
        raise NotImplementedError('"abs_cpu" not implemented for \'Bool\'')
    return _out(Abs.apply(x), out, "abs", out_dtype_found)


absolute = abs


def sign(input, *, out=None):  # noqa: A002
    return _out(Sign.apply(_check_tensor("sign", input)), out, "sign", out_dtype_found)


def sgn(input, *, out=None):  # noqa: A002
    """sign(input) for real tensors (torch extends it to complex numbers as z / |z|)."""
    return _out(Sgn.apply(_check_tensor("sgn", input)), out, "sgn", out_dtype_found)


def square(input, *, out=None):  # noqa: A002
    x = _check_tensor("square", input)
    if x._data.dtype.kind == "b":
        x = to(x, _dtype.int64)
    return _out(PowScalar.apply(x, exponent=2), out, "square")


def _integer_passthrough(cls, name, x, out=None):
    x = _check_tensor(name, x)
    check_out_first(out, x._data.dtype, out_dtype_found)  # (before the kernel's refusal)
    if x._data.dtype.kind == "b":  # torch has no bool kernel for these
        raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'Bool\'')
    if x._data.dtype.kind != "f":
        return x.clone()  # integers are already whole numbers
    return cls.apply(x)


def floor(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Floor, "floor", input, out), out, "floor",
                out_dtype_found)


def ceil(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Ceil, "ceil", input, out), out, "ceil", out_dtype_found)


def trunc(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Trunc, "trunc", input, out), out, "trunc",
                out_dtype_found)


fix = trunc


def round(input, *, decimals=None, out=None):  # noqa: A002
    """Round half to even. torch has two overloads: without ``decimals`` (integers are
    copied; RoundBackward0) and with it, even 0 (its kernels take floats only;
    RoundBackward1)."""
    x = _check_tensor("round", input)
    check_out_first(out, x._data.dtype, out_dtype_found)  # (before the kernel's refusal)
    kind = x._data.dtype.kind
    if kind == "b" or (kind != "f" and decimals is not None):
        kernel = "round_vml_cpu" if not decimals else "round_cpu"
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\'')
    if kind != "f":
        return _out(x.clone(), out, "round", out_dtype_found)
    if decimals is None:
        return _out(Round.apply(x), out, "round", out_dtype_found)
    return _out(RoundDecimals.apply(x, decimals=decimals), out, "round", out_dtype_found)


def frac(input, *, out=None):  # noqa: A002
    x = _check_tensor("frac", input)
    check_out_first(out, x._data.dtype, out_dtype_found)  # (before the kernel's refusal)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f'"frac_cpu" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\''
        )
    return _out(Frac.apply(x), out, "frac", out_dtype_found)





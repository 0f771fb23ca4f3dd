"""The smooth activations: gelu, silu, mish, softplus, logsigmoid and glu, each one small
Primitive with torch's node name, built on activation.py's shared helpers (``_opmath``
for float16, ``_SmoothBackward`` for the gradients that are operations of their own:
GeluBackwardBackward0, SoftplusBackwardBackward0, LogSigmoidBackwardBackward0; glu's is
GluBackward, differentiable again as torch's glu_double_backward). silu and mish compose
their gradients under create_graph from torchlet operations in the input's dtype, as
torch does (float16 operations for float16); glu's backward keeps sigmoid(b) in a buffer
of the input's dtype (float16 rounded), as torch's kernel does.

At special values the formulas are written as torch's CPU kernels write them: silu is
x / (1 + exp(-x)) (-0.0 at -100 in float32, where exp overflows), softplus lets exp
overflow past a large threshold (inf out, NaN gradient), glu's sigmoid is 0 where exp(-b)
overflows.

gelu follows torch's own kernel. torch hands contiguous float32 inputs of two or more
elements to oneDNN instead, whose erf approximation differs from erf by a few ulps and
by more in the far negative tail (gelu(-3) is -0.004050225 there, not -0.004049689;
below -5.54 it is -0.0): torchlet computes the formula, not oneDNN's approximation.

The NumPy kernels write their constants typed (``t(1)``, ``t = x.dtype.type``): NumPy 1
computes a 0-d float32 array with a Python number in float64 (value-based casting).
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import no_attribute_error
from torchlet._ops import shape as _shape
from torchlet._ops.indexing._common import relaid
from torchlet._ops.pointwise import exp
from torchlet._ops.pointwise import sigmoid as _sigmoid_op
from torchlet._ops.pointwise import tanh as _tanh_op
from torchlet._ops.pointwise._fused import scalar_lanes
from torchlet._ops.pointwise._libm import rounded_once as _libm  # float32 math as torch rounds it
from torchlet._ops.pointwise._libm import sigmoid as _libm_sigmoid
from torchlet._ops.pointwise.arithmetic import Addcmul, AddScalar
from torchlet._ops.pointwise.binary import select
from torchlet._ops.pointwise.unary import _erf
from torchlet._tensor import Tensor, _wrap_dim, dim_arg, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional.activation import (
    _check,
    _float_input,
    _inplace_saving_input,
    _mask,
    _number,
    _opmath,
    _opmath_grad,
    _SmoothBackward,
)

__all__ = ["gelu", "glu", "logsigmoid", "mish", "silu", "softplus"]


_SQRT1_2 = 1 / math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_BETA = math.sqrt(2 / math.pi)
_TANH_KAPPA = 0.044715
_TWICE_TINY = {t: t(2) * np.finfo(t).tiny for t in (np.float32, np.float64)}
_SIMD_BYTES = 128  # what one step of torch's cpu_kernel_vec loop takes (two AVX-512 vectors)


def _log1p_of_exp(y: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
    """log1p(y) for y = exp(...) >= 0 as torch's fused kernels round it: their SIMD log1p
    gives 2 * fl(y / 2) below twice the smallest normal, so an odd count of subnormal steps
    rounds half to even (see Log1p in unary.py): logsigmoid(100.) is -28 * 2**-149, not
    -27 * 2**-149. With ``x`` (softplus's input), only the lanes torch's ``cpu_kernel_vec``
    computes with SIMD; its scalar code (a contiguous tensor's last n % 32 float32 or
    n % 16 float64, every element of a strided or 0-d one) calls libm, which returns y."""
    out = _libm(np.log1p, y)
    below = _TWICE_TINY.get(out.dtype.type)
    # one reduction is all this costs off the subnormal range (a NaN takes the slow way)
    if below is not None and out.size and not np.minimum.reduce(out, None) >= below:
        small = out < below
        if x is not None:
            lanes = scalar_lanes(relaid(out, (x,)), (x,), _SIMD_BYTES // x.itemsize)
            if lanes is not None:
                small &= ~lanes
        half = out[small] * out.dtype.type(0.5)
        out[small] = half + half
    return out


class Gelu(Primitive):
    """approximate='none':  out = x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2;
    grad_x = grad * (Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)).
    approximate='tanh':  out = x * (1 + tanh(u)) / 2, u = sqrt(2/pi) (x + 0.044715 x^3);
    grad_x = grad * ((1 + t) / 2 + x/2 (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)),
    t = tanh(u).

    As torch's own kernel, operation for operation (torch's oneDNN path for contiguous
    float32 approximates erf differently: see the module docstring)."""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, *, approximate):
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        return _opmath(Gelu.kernel, x, approximate=approximate)

    @staticmethod
    def kernel(x, *, approximate):
        t = x.dtype.type
        if approximate == "tanh":
            inner = t(_TANH_BETA) * (x + t(_TANH_KAPPA) * (x * x * x))
            # (1 + tanh(u) cancels near x = -3: an ulp of tanh is a large relative error)
            return t(0.5) * x * (t(1) + _libm(np.tanh, inner))
        # torch's scalar kernel: arithmetic in x's precision around erf; the product is
        # written into x * 0.5, which has x's layout (torch keeps a transposed x's strides)
        half_x = np.multiply(x, t(0.5), out=np.empty_like(x))  # (an array for 0-d x too)
        return np.multiply(half_x, t(1) + _erf(x * t(_SQRT1_2)), out=half_x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return GeluBackward.apply(grad, x, approximate=ctx.approximate)


class GeluBackward(_SmoothBackward):
    """gelu_backward: out = grad * gelu'(x) (Gelu's formulas);
    grad_x = v * grad * gelu''(x) (torch's gelu_double_backward):
    'none': gelu'' = 2 pdf - x^2 pdf,  pdf = exp(-x^2 / 2) / sqrt(2 pi);
    'tanh': with f = x / 2, g = 1 - tanh(u)^2, h = sqrt(2/pi) (1 + 3 * 0.044715 x^2):
    gelu'' = g h + f h g' + f g h',  g' = -2 sech(u)^2 tanh(u) h,
    h' = 6 * 0.044715 sqrt(2/pi) x."""

    node_name = "GeluBackwardBackward0"

    @staticmethod
    def kernel(grad, x, *, approximate):
        t = x.dtype.type
        if approximate == "tanh":
            x_sq = x * x
            inner = (x + x_sq * x * t(_TANH_KAPPA)) * t(_TANH_BETA)
            th = _libm(np.tanh, inner)
            kappa3 = t(3) * t(_TANH_KAPPA)
            right = x * t(0.5) * (t(1) - th * th) * ((x_sq * kappa3 + t(1)) * t(_TANH_BETA))
            return grad * ((th + t(1)) * t(0.5) + right)
        cdf = (t(1) + _erf(x * t(_SQRT1_2))) * t(0.5)
        pdf = _libm(np.exp, x * x * t(-0.5)) * t(_INV_SQRT_2PI)
        return grad * (cdf + x * pdf)

    @staticmethod
    def double(v, grad, x, *, approximate):
        if approximate == "tanh":
            inner = (x + x.pow(3) * _TANH_KAPPA) * _TANH_BETA
            tanh_inner = _tanh_op(inner)
            sech_inner = 1 / inner.cosh()
            f = x * 0.5
            g = 1 - tanh_inner * tanh_inner
            h = (x * x * (3 * _TANH_KAPPA) + 1) * _TANH_BETA
            f_prime_gh = g * 0.5 * h
            g_prime = (sech_inner * 2) * (-sech_inner * tanh_inner) * h
            g_prime_fh = f * h * g_prime
            h_prime_fg = f * g * (x * (6 * _TANH_KAPPA) * _TANH_BETA)
            return v * grad * (f_prime_gh + f_prime_gh + g_prime_fh + h_prime_fg)
        pdf = exp(x * x * -0.5) * _INV_SQRT_2PI
        return v * grad * (pdf * 2 + x * (-x * pdf))


def gelu(input, approximate: str = "none") -> Tensor:  # noqa: A002
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses torch's tanh
    formula."""
    x = _check("gelu", input)
    if approximate not in ("none", "tanh"):  # (torch reads it before the dtype)
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = _float_input("gelu", x, "GeluKernelImpl")
    return Gelu.apply(x, approximate=approximate)


class Silu(Primitive):
    """out = x / (1 + exp(-x));  grad_x = grad * s * (1 + x * (1 - s)),
    s = 1 / (1 + exp(-x)), 1 + x * (1 - s) rounded once (an FMA in torch's kernel).

    Written as torch's kernel writes them: below about -88 (float32) exp(-x) overflows,
    so silu(-100) is -0.0 and so is its gradient, where x * sigmoid(x) would give
    -3.8e-42."""

    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x, saved=None):
        ctx.save_for_backward(x if saved is None else saved)  # (see _inplace_saving_input)
        # typed 1: NumPy 1 widens a 0-d float32 plus a Python int to float64
        return _opmath(lambda v: v / (v.dtype.type(1) + _libm(np.exp, -v)), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if GRAD_STATE.enabled:
            # create_graph: torch composes the backward of operations in x's dtype, each
            # rounded (infinitely_differentiable_silu_backward), not its fused kernel
            s = _sigmoid_op(x)
            return grad * s * AddScalar.apply(x * _one_minus(s), number=1.0)  # (1.0 + ...)
        return _opmath_grad(Silu.grad_rule, grad, x)

    @staticmethod
    def grad_rule(grad, x):
        s = _sigmoid_as_torch(x)
        return grad * s * _fused(x, 1 - s, 1.0)


def _one_minus(a: Tensor) -> Tensor:
    """``1.0 - a`` as torch's C++ formulas write it: ATen's Scalar - Tensor operator is
    ``empty_like(a).fill_(1).sub_(a)``, so the graph shows SubBackward0 (its first input
    a constant), not the RsubBackward1 of Python's ``1 - a``."""
    return wrap(np.ones_like(a._data)) - a


def _sigmoid_as_torch(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), the sigmoid inside torch's silu, mish and glu kernels (0 where
    exp(-x) overflows), differentiable."""
    return (exp(-x) + 1).reciprocal()


def _fused(a: Tensor, b: Tensor, c) -> Tensor:
    """``a * b + c`` rounded once (differentiable: an addcmul). torch's compiler fuses
    ``a * b + c`` in its kernels' formulas into FMA instructions, one rounding."""
    return Addcmul.apply(c, a, b, value=1)


def silu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * sigmoid(x) (also called swish)."""
    x = _float_input("silu", input, "silu_cpu")
    return _inplace_saving_input(x, Silu) if inplace else Silu.apply(x)


class Mish(Primitive):
    """out = x * tanh(log(1 + exp(x)));
    grad_x = grad * (t + x * s * (1 - t^2)), t = tanh(log(1 + exp(x))),
    s = 1 / (1 + exp(-x)) (torch's formulas: exp may overflow to inf, which they
    tolerate; 1 - t^2 and t + (x * s) * (...) each rounded once, as its FMAs)."""

    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x, saved=None):
        ctx.save_for_backward(x if saved is None else saved)  # (see _inplace_saving_input)
        return _opmath(lambda v: v * _libm(np.tanh, _libm(np.log1p, _libm(np.exp, v))), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if GRAD_STATE.enabled:
            # create_graph: torch composes the backward of operations in x's dtype, each
            # rounded (infinitely_differentiable_mish_backward), not its fused kernel
            t = x.exp().log1p().tanh()
            return grad * (t + x * _sigmoid_op(x) * _one_minus(t * t))
        return _opmath_grad(Mish.grad_rule, grad, x)

    @staticmethod
    def grad_rule(grad, x):
        t = x.exp().log1p().tanh()
        return grad * _fused(x * _sigmoid_as_torch(x), _fused(-t, t, 1.0), t)


def mish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))."""
    x = _float_input("mish", input, "mish_cpu")
    return _inplace_saving_input(x, Mish) if inplace else Mish.apply(x)


class Softplus(Primitive):
    """out = log(1 + exp(beta x)) / beta, or x where beta x > threshold (linear there);
    grad_x = grad * z / (z + 1) with z = exp(beta x), or grad where beta x > threshold.

    torch's formulas, with beta and threshold held in the input's precision: a threshold
    past log(FLT_MAX) / beta lets exp overflow, which torch does not guard against (inf
    out, NaN gradient), and neither does this."""

    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, *, beta, threshold):
        ctx.beta, ctx.threshold = beta, threshold
        ctx.save_for_backward(x)
        return _opmath(Softplus.kernel, x, beta=beta, threshold=threshold)

    @staticmethod
    def kernel(x, *, beta, threshold):
        t = x.dtype.type
        scaled = x * t(beta)
        smooth = _log1p_of_exp(_libm(np.exp, scaled), x) / t(beta)
        return select(scaled > t(threshold), x, smooth)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return SoftplusBackward.apply(grad, x, beta=ctx.beta, threshold=ctx.threshold)


class SoftplusBackward(_SmoothBackward):
    """softplus_backward: out = grad where beta x > threshold, else grad * z / (z + 1),
    z = exp(beta x);  grad_x = v * grad * beta * s (1 - s), s = sigmoid(beta x), where
    beta x < threshold, else 0 (torch's softplus_double_backward: 0 at the threshold,
    where the first derivative is still the smooth one)."""

    node_name = "SoftplusBackwardBackward0"

    @staticmethod
    def kernel(grad, x, *, beta, threshold):
        t = x.dtype.type
        scaled = x * t(beta)
        z = _libm(np.exp, scaled)
        return select(scaled > t(threshold), grad, grad * z / (z + t(1)))

    @staticmethod
    def double(v, grad, x, *, beta, threshold):
        scaled = x * beta
        s = _sigmoid_op(scaled)
        below = _mask(scaled._data < x._data.dtype.type(threshold), v)
        return (v * grad) * (1 - s) * s * below * beta


def softplus(input, beta=1, threshold=20) -> Tensor:  # noqa: A002 - torch's int defaults
    """log(1 + exp(beta * x)) / beta, linear once beta * x exceeds ``threshold``."""
    x = _check("softplus", input)
    beta = _number(beta, "softplus", "beta", 2)  # (ints stay ints: grad_fn._saved_beta)
    threshold = _number(threshold, "softplus", "threshold", 3)
    x = _float_input("softplus", x, "softplus_cpu")
    return Softplus.apply(x, beta=beta, threshold=threshold)


class LogSigmoid(Primitive):
    """out = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|));
    grad_x = grad * sigmoid(-x), computed as torch does from b = exp(-|x|):
    grad * (1 - b / (1 + b)) where x < 0, else grad * b / (1 + b)."""

    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = _opmath(lambda v: np.minimum(v, v.dtype.type(0))  # typed, as in Silu
                      - _log1p_of_exp(_libm(np.exp, -np.abs(v))), x)
        return np.asarray(out, order="C")  # torch writes a new contiguous tensor (0-d too)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # torch's forward keeps b = exp(-|x|) as a buffer in x's dtype (float16 rounded)
        data = x._data
        buffer = _libm(np.exp, np.negative(np.abs(data)))
        return LogSigmoidBackward.apply(grad, x, buffer=buffer)


class LogSigmoidBackward(_SmoothBackward):
    """log_sigmoid_backward: out = grad * sigmoid(-x), from torch's buffer b = exp(-|x|):
    (1 - b / (1 + b)) * grad where x < 0, else b / (1 + b) * grad;
    grad_x = v * grad * (s - 1) * s, s = sigmoid(x) (torch's log_sigmoid_double_backward).
    The buffer is no input of the node (torch's is not differentiable)."""

    node_name = "LogSigmoidBackwardBackward0"

    @staticmethod
    def kernel(grad, x, *, buffer):
        b = buffer.astype(x.dtype, copy=False)  # (float16's, in float32)
        one = x.dtype.type(1)
        q = b / (b + one)
        return select(x < 0, one - q, q) * grad

    @staticmethod
    def double(v, grad, x, *, buffer):
        s = _sigmoid_op(x)
        return (v * grad) * (s - 1) * s


def logsigmoid(input) -> Tensor:  # noqa: A002
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(_float_input("logsigmoid", input, "log_sigmoid_cpu"))


# ---------------------------------------------------------------------------------------
# glu


class Glu(Primitive):
    """out = a * s, s = 1 / (1 + exp(-b)), a and b the two halves of x along dim;
    grad_a = grad * s,  grad_b = (1 - s) * s * a * grad (torch's order of operations:
    s is 0, not a subnormal, where exp(-b) overflows)."""

    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.save_for_backward(x)
        return _opmath(Glu.kernel, x, dim=dim)

    @staticmethod
    def kernel(x, *, dim):
        a, b = np.split(x, 2, axis=dim)
        return a * (1 / (1 + _libm(np.exp, -b)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return GluBackward.apply(grad, x, dim=ctx.dim, given_dim=ctx.given_dim)


class GluBackward(Primitive):
    """glu_backward: out = cat(grad * s, (1 - s) * s * a * grad) along dim (a, b the
    halves of x, s = sigmoid(b));  differentiable again as torch's
    glu_double_backward_grad_output and glu_double_backward say: with v = cat(v_a, v_b),
    grad_grad = v_a * s + v_b * a * s (1 - s)  (the same operation on ones, times v,
    its halves added);  grad_x = cat(v_b * grad * s', v_a * grad * s' + v_b * a * grad *
    s''), s' = s (1 - s), s'' = s' (1 - s) - s s'."""

    node_name = "GluBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # glu's dim as given (torch's _saved_dim)
        ctx.save_for_backward(grad, x)
        a, b = np.split(x, 2, axis=dim)
        # torch's glu_backward writes sigmoid(b) into a buffer of x's dtype first
        if x.dtype == np.float16:
            s = _libm_sigmoid(b).astype(np.float32)
            a, grad = a.astype(np.float32), grad.astype(np.float32)
        else:
            s = 1 / (_libm(np.exp, -b) + 1)
        out = np.concatenate([s * grad, (1 - s) * s * a * grad], axis=dim)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, v):
        grad, x = ctx.saved_tensors
        need_grad, need_x = ctx.needs_input_grad
        dim = ctx.dim
        half = x._data.shape[dim] // 2
        grad_grad = grad_x = None
        if need_grad:
            tmp = v * GluBackward.apply(_ones_like_half(grad), x, dim=dim,
                                        given_dim=ctx.given_dim)
            grad_grad = _shape.narrow(tmp, dim, 0, half) + _shape.narrow(tmp, dim, half, half)
        if need_x:
            a, b = _shape.narrow(x, dim, 0, half), _shape.narrow(x, dim, half, half)
            s = _sigmoid_op(b)
            one_minus_s = 1 - s
            s_prime = s * one_minus_s
            v_a, v_b = _shape.narrow(v, dim, 0, half), _shape.narrow(v, dim, half, half)
            s_second = s_prime * one_minus_s - s * s_prime
            grad_x = _shape.cat([v_b * grad * s_prime,
                                 v_a * grad * s_prime + v_b * a * grad * s_second], dim)
        return grad_grad, grad_x


def _ones_like_half(grad: Tensor) -> Tensor:
    return wrap(np.ones(grad._data.shape, grad._data.dtype))


def glu(input, dim: int = -1) -> Tensor:  # noqa: A002
    """The gated linear unit: split x in two halves a, b along ``dim``; a * sigmoid(b)."""
    if not isinstance(input, Tensor):  # (torch's F.glu is Python: input.dim() first)
        raise no_attribute_error(input, "dim")
    if input._data.ndim == 0:  # (checked in torch's Python, before its parser reads dim)
        raise RuntimeError("glu does not support scalars because halving size must be even")
    dim = dim_arg(dim, "glu", 2)
    x = _float_input("glu", input, "glu_cpu")
    given_dim, dim = dim, _wrap_dim(dim, x._data.ndim)
    size = x._data.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim} is size {size}"
        )
    return Glu.apply(x, dim=dim, given_dim=given_dim)

"""Special functions: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc, and
torch.special's erfcx, log_ndtr, i0e, i1, i1e, ndtri, ndtr, entr (xlog1py and zeta are
in special_binary).

Forward values come from the NumPy kernels in ``special_kernels`` (torch's own algorithms,
vectorised); every gradient is torch's derivatives.yaml formula written with torchlet
operations, so double backward works. Integer and bool inputs are promoted to the default
float dtype, as torch does. Precision against torch: tests/specs/special_functions.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise import special_bessel as B
from torchlet._ops.pointwise import special_kernels as K
from torchlet._ops.pointwise.arithmetic import (
    add_scalar,
    div_scalar,
    mul_scalar,
    sub_scalar,
)
from torchlet._ops.pointwise.binary import where
from torchlet._ops.pointwise.operands import _check_tensor, _float_operand, _out
from torchlet._ops.pointwise.unary import cos, erf, exp, log, sgn, sin
from torchlet._tensor import wrap
from torchlet.autograd.function import Primitive

_SQRT_PI = math.sqrt(math.pi)


def _flat(kernel, a, *args):
    """Run a kernel on a 1-D view (the kernels index with masks) and restore the shape,
    laid out as torch lays out a's result."""
    return laid_out_as_torch(kernel(a.reshape(-1), *args).reshape(a.shape), a)


class _SpecialUnary(Primitive):
    """out = kernel(a), saving ``a`` for the backward formula."""

    kernel: Callable  # each subclass's kernel on a float64 array

    @classmethod
    def forward(cls, ctx, a):
        ctx.save_for_backward(a)
        return _flat(cls.kernel, a)


def _unary(cls, name, input, out=None):  # noqa: A002
    x = _float_operand(_check_tensor(name, input))
    return _out(cls.apply(x), out, name)


# ---------------------------------------------------------------------------------------
# erfc, erfinv


class Erfc(_SpecialUnary):
    """out = 1 - erf(a);  grad_a = -2 / sqrt(pi) * exp(-a^2) * grad."""

    node_name = "ErfcBackward0"
    kernel = staticmethod(K.erfc)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return mul_scalar(exp(-pow(a, 2)), -2.0 / _SQRT_PI) * grad


class Erfinv(_SpecialUnary):
    """out = erf^-1(a);  grad_a = sqrt(pi) / 2 * exp(erfinv(a)^2) * grad.

    As torch's node, it keeps ``a`` (``_saved_self``), not the result, and computes
    erfinv(a) again in backward (the same kernel: the same values as the forward's)."""

    node_name = "ErfinvBackward0"
    kernel = staticmethod(K.erfinv)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return mul_scalar(exp(pow(Erfinv.apply(a), 2)), 0.5 * _SQRT_PI) * grad


def erfc(input, *, out=None):  # noqa: A002
    return _unary(Erfc, "erfc", input, out)


def erfinv(input, *, out=None):  # noqa: A002
    return _unary(Erfinv, "erfinv", input, out)


class Erfcx(Primitive):
    """out = exp(a^2) erfc(a);  grad_a = (2 a out - 2 / sqrt(pi)) * grad."""

    node_name = "SpecialErfcxBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(K.erfcx, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return sub_scalar(mul_scalar(a, 2.0) * out, 2.0 / _SQRT_PI) * grad


class LogNdtr(Primitive):
    """out = log(Phi(a));  grad_a = grad / sqrt(2 pi) * exp(-(out + a^2 / 2))."""

    node_name = "SpecialLogNdtrBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(K.log_ndtr, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return div_scalar(grad, math.sqrt(2 * math.pi)) * exp(-(out + div_scalar(pow(a, 2), 2)))


def erfcx(input, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("special_erfcx", input))
    _check_no_half("erfcx", x)
    return _out(Erfcx.apply(x), out, "special_erfcx")


def log_ndtr(input, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("special_log_ndtr", input))
    _check_no_half("log_ndtr", x)
    return _out(LogNdtr.apply(x), out, "special_log_ndtr")


# ---------------------------------------------------------------------------------------
# lgamma, digamma, polygamma, mvlgamma


class Lgamma(_SpecialUnary):
    """out = log|Gamma(a)|;  grad_a = grad * digamma(a)."""

    node_name = "LgammaBackward0"
    kernel = staticmethod(K.lgamma)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * digamma(a)


class Digamma(_SpecialUnary):
    """out = Gamma'(a) / Gamma(a);  grad_a = grad * polygamma(1, a)."""

    node_name = "DigammaBackward0"
    kernel = staticmethod(K.digamma)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * polygamma(1, a)


class Polygamma(Primitive):
    """out = the n-th derivative of digamma at a;  grad_a = grad * polygamma(n + 1, a)."""

    node_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, a, *, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return laid_out_as_torch(K.polygamma(n, a.reshape(-1)).reshape(a.shape), a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * polygamma(ctx.n + 1, a)


class PolygammaInplace(Polygamma):
    """``x.polygamma_(n)``: the same formulas, under torch's name for the in-place form."""

    node_name = "PolygammaBackward1"


def _mvlgamma_offsets(p, dtype):
    """torch's arange(-p/2 + 1/2, 1/2, 1/2): -(p-1)/2, ..., -1/2, 0."""
    return (np.arange(p) * 0.5 - (p - 1) * 0.5).astype(dtype)


class Mvlgamma(Primitive):
    """out = sum_i lgamma(a - i/2) + p(p-1)/4 log(pi), i = 0..p-1;
    grad_a = grad * sum_i digamma(a - i/2)."""

    node_name = "MvlgammaBackward0"

    @staticmethod
    def forward(ctx, a, *, p):
        ctx.save_for_backward(a)
        ctx.p = p
        args = a[..., None] + _mvlgamma_offsets(p, a.dtype)
        wide = np.float32 if a.dtype == np.float16 else a.dtype.type  # Half sums in float
        total = K.lgamma(args.reshape(-1)).reshape(args.shape).astype(wide).sum(-1)
        constant = p * (p - 1) * math.log(math.pi) * 0.25
        return (total + wide(constant)).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        offsets = wrap(_mvlgamma_offsets(ctx.p, a._data.dtype))
        return grad * digamma(offsets + a.unsqueeze(-1)).sum(-1)  # (torch's order)


def lgamma(input, *, out=None):  # noqa: A002
    return _unary(Lgamma, "lgamma", input, out)


def digamma(input, *, out=None):  # noqa: A002
    return _unary(Digamma, "digamma", input, out)


def _check_n(n) -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type_name(n)}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return int(n)


def polygamma(n, input, *, out=None):  # noqa: A002
    n = _check_n(n)
    x = _float_operand(_check_tensor("polygamma", input))
    return _out(Polygamma.apply(x, n=n), out, "polygamma")


def polygamma_for_inplace(input, n):  # noqa: A002
    """What ``Tensor.polygamma_(n)`` computes (written back by the Tensor method)."""
    return PolygammaInplace.apply(_float_operand(input), n=_check_n(n))


def mvlgamma(input, p, *, out=None):  # noqa: A002
    x = _check_tensor("mvlgamma", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError("The input tensor may not be a boolean tensor.")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    return _out(Mvlgamma.apply(_float_operand(x), p=p), out, "mvlgamma")


# ---------------------------------------------------------------------------------------
# modified Bessel functions


class I0(_SpecialUnary):
    """out = I0(a);  grad_a = grad * i1(a)."""

    node_name = "I0Backward0"
    kernel = staticmethod(B.i0)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * i1(a)


class I0e(Primitive):
    """out = exp(-|a|) I0(a);  grad_a = grad * (i1e(a) - sgn(a) * out)."""

    node_name = "SpecialI0EBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(B.i0e, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return grad * (i1e(a) - sgn(a) * out)


def _no_half_backward(name, a):
    """torch's i1_backward and i1e_backward kernels dispatch float32 and float64 only."""
    if a._data.dtype == np.float16:
        raise NotImplementedError(f"\"{name}\" not implemented for 'Half'")


def _safe_self(a):
    """torch's i1/i1e backward: |a| <= eps is replaced by eps (gradient 1/2 there)."""
    eps = float(np.finfo(a._data.dtype).eps)
    not_tiny = a.abs() > eps
    return not_tiny, where(not_tiny, a, eps)


class I1(Primitive):
    """out = I1(a);  grad_a = grad * (i0(a) - out / a), 1/2 at |a| <= eps."""

    node_name = "SpecialI1Backward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(B.i1, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        _no_half_backward("i1_backward", a)
        not_tiny, safe = _safe_self(a)
        return grad * where(not_tiny, i0(safe) - out * safe.reciprocal(), 0.5)


class I1e(Primitive):
    """out = exp(-|a|) I1(a);  grad_a = grad * (i0e(a) - out * (sgn(a) + 1 / a)),
    1/2 at |a| <= eps."""

    node_name = "SpecialI1EBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(B.i1e, a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        _no_half_backward("i1e_backward", a)
        not_tiny, safe = _safe_self(a)
        gradx = i0e(safe) - out * (sgn(safe) + safe.reciprocal())
        return grad * where(not_tiny, gradx, 0.5)


def i0(input, *, out=None):  # noqa: A002
    return _unary(I0, "i0", input, out)


def i0e(input, *, out=None):  # noqa: A002
    return _unary(I0e, "special_i0e", input, out)


def i1(input, *, out=None):  # noqa: A002
    return _unary(I1, "special_i1", input, out)


def i1e(input, *, out=None):  # noqa: A002
    return _unary(I1e, "special_i1e", input, out)


# ---------------------------------------------------------------------------------------
# sinc, ndtri, ndtr, entr


def _sinc(a):
    """torch's kernel: 1 at 0, else sin(pi a) / (pi a) with pi a rounded first (float16
    computed in float32)."""
    work = np.float32 if a.dtype == np.float16 else a.dtype.type
    x = a.astype(work)
    product = work(np.pi) * x
    with np.errstate(all="ignore"):
        out = K._libm(np.sin, product) / product
    return np.where(x == 0, work(1), out).astype(a.dtype)


class Sinc(_SpecialUnary):
    """out = sin(pi a) / (pi a), 1 at 0;
    grad_a = grad * (pi a cos(pi a) - sin(pi a)) / (pi a^2), 0 where pi a^2 == 0."""

    node_name = "SincBackward0"
    kernel = staticmethod(_sinc)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        a_pi = mul_scalar(a, math.pi)
        a_squared_pi = mul_scalar(a * a, math.pi)
        out = grad * ((a_pi * cos(a_pi) - sin(a_pi)) / a_squared_pi)
        return where(a_squared_pi == 0.0, 0.0, out)


class Ndtri(Primitive):
    """out = Phi^-1(a);  grad_a = grad * sqrt(2 pi) * exp(out^2 / 2)."""

    node_name = "SpecialNdtriBackward0"

    @staticmethod
    def forward(ctx, a):
        out = _flat(K.ndtri, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return mul_scalar(grad, math.sqrt(2 * math.pi)) * exp(div_scalar(pow(out, 2), 2))


def _entr(a):
    """torch's kernel: NaN stays, -a log(a) for a > 0 (log rounded to a's dtype first),
    0 at 0, -inf below."""
    with np.errstate(all="ignore"):
        logs = np.log(a.astype(np.float64)).astype(a.dtype)
        out = -a * logs
    out = np.where(a == 0, a.dtype.type(0), out)
    out = np.where(a < 0, a.dtype.type(-np.inf), out)
    return np.where(np.isnan(a), a, out)


class Entr(_SpecialUnary):
    """out = -a log(a);  grad_a = grad * -(1 + log(a))."""

    node_name = "SpecialEntrBackward0"
    kernel = staticmethod(_entr)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -add_scalar(log(a), 1)


def sinc(input, *, out=None):  # noqa: A002
    return _unary(Sinc, "sinc", input, out)


def ndtri(input, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("special_ndtri", input))
    _check_no_half("ndtri", x)
    return _out(Ndtri.apply(x), out, "special_ndtri")


def entr(input, *, out=None):  # noqa: A002
    return _unary(Entr, "special_entr", input, out)



def ndtr(input, *, out=None):  # noqa: A002
    """torch's composite, with its Scalar overloads: (1 + erf(x * sqrt(1/2))) * 0.5."""
    x = _float_operand(_check_tensor("special_ndtr", input))
    t = add_scalar(erf(mul_scalar(x, math.sqrt(0.5))), 1.0)
    return _out(mul_scalar(t, 0.5), out, "special_ndtr")


def _check_no_half(name, t):
    if t._data.dtype == np.float16:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Half'")


# torch's top-level in-place forms


def erfc_(input):  # noqa: A002
    return input.erfc_()


def i0_(input):  # noqa: A002
    return input.i0_()


def sinc_(input):  # noqa: A002
    return input.sinc_()

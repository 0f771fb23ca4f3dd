"""More elementwise functions: hypot, copysign, xlogy, logaddexp, logaddexp2, fmax, fmin,
heaviside, float_power, logit, deg2rad, rad2deg.

Each follows torch 2.13's CPU kernel at special values and its derivatives.yaml formula
(in the same order of operations) for the gradient. float16 is computed in float32 and
rounded once where torch's kernel does that (hypot, logaddexp, logaddexp2, deg2rad,
rad2deg); xlogy and logit round each step to float16, as torch's kernels do. Precision
against torch: tests/specs/pointwise_more.py.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise._fused import _fma
from torchlet._ops.pointwise.arithmetic import (  # noqa: A004
    add_scalar,
    mul_scalar,
    pow,
    scalar_minus,
)
from torchlet._ops.pointwise.binary import where, zeroed
from torchlet._ops.pointwise.operands import (
    _TYPE_WORD,
    EITHER_A_NUMBER_OUT,
    TENSOR_OR_NUMBER,
    _cast,
    _check_tensor,
    _float_operand,
    _number,
    _operands_as_float,
    _out,
    _uncast_operands,
    check_out_first,
    operand_error,
    promoted,
    promotion,
    to,
    zeros_like,
)
from torchlet._ops.pointwise.unary import exp
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# operands


def _check_other(name: str, x, arg: str = "other") -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument '{arg}' (position 2) must be Tensor, not {type_name(x)}"
        )
    return x


def _two_tensors(name, input, other, out=None):  # noqa: A002
    """Both tensors, whose common dtype must be floating (hypot, logaddexp), with the
    primitive's parameters that convert them to it inside the node (``promotion``: no
    cast node, as torch). Returns (a, b, parameters)."""
    a, b, dt = _uncast_operands(_check_tensor(name, input), _check_other(name, other))
    if dt.kind != "f":
        check_out_first(out, dt)
        raise NotImplementedError(f'"{name}_cpu" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    return a, b, promotion(dt, a, b)


def _float_operands(input, other):  # noqa: A002
    """Tensor/number operands in torch's common dtype, integers promoted to the default
    float dtype (copysign, xlogy). Returns (a, b), one of them possibly a NumPy scalar."""
    a, b, _ = _operands_as_float(input, other)
    return a, b


def _uncast_float_operands(input, other):  # noqa: A002
    """``_float_operands`` for a primitive that takes ``dtype=`` (copysign, xlogy): of a
    floating common dtype, Tensors stay as they are, to be converted inside the node
    (``promotion``: no cast node, as torch); else both are converted to the default
    float dtype here. Returns (a, b, numpy dtype)."""
    a, b, dt = _uncast_operands(input, other)
    if dt.kind != "f":
        return _operands_as_float(input, other)
    return a, b, dt


def _in_float32(fn, *arrays):
    """``fn`` computed in float32 for float16 arrays and rounded once, as torch's float16
    kernels do; other dtypes as they are."""
    if np.result_type(*arrays) != np.float16:
        return fn(*arrays)
    return fn(*(np.asarray(x, np.float32) for x in arrays)).astype(np.float16)


# ---------------------------------------------------------------------------------------
# hypot


class Hypot(Primitive):
    """out = sqrt(a² + b²);  grad_a = grad * a / out,  grad_b = grad * b / out
    (NaN at (0, 0) and at infinities, as torch's formula gives)."""

    node_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        x, y = (a, b) if dtype is None else (promoted(a, dtype), promoted(b, dtype))
        out = laid_out_as_torch(_in_float32(np.hypot, x, y), x, y)
        ctx.save_for_backward(a, b, out)  # (the inputs themselves, as torch)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # b's first, as torch's node ("other" sorts before "self": see Mul's); the same in
        # the other two-input nodes here
        grad_b = grad * b / out if needs[1] else None
        return grad * a / out if needs[0] else None, grad_b


def hypot(input, other, *, out=None):  # noqa: A002
    a, b, params = _two_tensors("hypot", input, other, out)
    return _out(Hypot.apply(a, b, **params), out, "hypot")


# ---------------------------------------------------------------------------------------
# copysign


class Copysign(Primitive):
    """out = |a| with the sign bit of b;  grad_a = grad * (out / a), 0 where a == 0
    (torch's copysign_tensor_self_backward: NaN at a = ±inf);  grad_b = 0."""

    node_name = "CopysignBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        x, y = (a, b) if dtype is None else (promoted(a, dtype), promoted(b, dtype))
        out = laid_out_as_torch(np.copysign(x, y), x, y)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_a = grad * _ratio(a, out) if needs[0] else None
        return grad_a, zeros_like(grad) if needs[1] else None


def _ratio(a, out):
    """out / a, 0 where a == 0: torch's ``ratio.masked_fill_(self == 0, 0)`` (node
    MaskedFillBackward0 under create_graph)."""
    return zeroed(out / a, a == 0)


class CopysignScalar(Primitive):
    """copysign(a, number): Copysign's formula for grad_a, under torch's name for that
    overload; the number is no input (one edge, as torch)."""

    node_name = "CopysignBackward1"

    @staticmethod
    def forward(ctx, a, *, number):
        out = laid_out_as_torch(np.copysign(a, number), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return grad * _ratio(a, out)


def copysign(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_float_operands(_check_tensor("copysign", input), other)
    except TypeError as error:
        raise operand_error("copysign", input, other, error, TENSOR_OR_NUMBER) from None
    if not isinstance(b, Tensor):  # (b a NumPy scalar of a's dtype, or a's float dtype)
        return _out(CopysignScalar.apply(_cast(a, dt), number=b), out, "copysign")
    return _out(Copysign.apply(a, b, **promotion(dt, a, b)), out, "copysign")


# ---------------------------------------------------------------------------------------
# xlogy


def _xlogy(a, b):
    """torch's kernel: NaN where b is NaN, else 0 where a == 0, else a * log(b), each
    step rounded to the dtype (float16 too: its log is rounded to float16 before the
    product, as torch's scalar kernel does)."""
    a, b = np.broadcast_arrays(a, b)
    if a.dtype == np.float32:  # glibc's logf is nearer to log in float64, rounded once
        out = a * np.log(b.astype(np.float64)).astype(np.float32)
    else:
        out = a * np.log(b)
    out = np.where(a == 0, out.dtype.type(0), out)
    return np.where(np.isnan(b), out.dtype.type(np.nan), out)


class Xlogy(Primitive):
    """out = a * log(b) (0 where a == 0, unless b is NaN);
    grad_a = xlogy(grad, b), 0 where a == 0 and b <= 0,  grad_b = grad * a / b."""

    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:  # (as Hypot's)
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(_xlogy(a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        # (torch's masked_fill: node MaskedFillBackward0 under create_graph)
        grad_b = grad * a / b if needs[1] else None
        return zeroed(xlogy(grad, b), (a == 0) & (b <= 0)) if needs[0] else None, grad_b


class XlogyNumberSelf(Primitive):
    """out = xlogy(number, b);  grad_b = grad * number / b (the Python number, as torch)."""

    node_name = "XlogyBackward1"

    @staticmethod
    def forward(ctx, b, *, number):
        ctx.save_for_backward(b)
        ctx.number = number
        return laid_out_as_torch(_xlogy(_number(number, b.dtype), b), number, b)

    @staticmethod
    def backward(ctx, grad):
        (b,) = ctx.saved_tensors
        return mul_scalar(grad, ctx.number) / b


class XlogyNumberOther(Primitive):
    """out = xlogy(a, number);  grad_a = xlogy(grad, number), 0 where a == 0 unless
    number > 0 (a NaN number too: torch tests ``number > 0`` on the Python number)."""

    node_name = "XlogyBackward2"

    @staticmethod
    def forward(ctx, a, *, number):
        ctx.save_for_backward(a)
        ctx.number = number
        return laid_out_as_torch(_xlogy(a, _number(number, a.dtype)), a, number)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        grad_a = xlogy(grad, ctx.number)
        return grad_a if ctx.number > 0 else zeroed(grad_a, a == 0)


def xlogy(input, other, *, out=None):  # noqa: A002
    try:
        a, b, dt = _uncast_float_operands(input, other)
    except TypeError as error:
        raise operand_error("xlogy", input, other, error, EITHER_A_NUMBER_OUT) from None
    if not isinstance(a, Tensor):
        return _out(XlogyNumberSelf.apply(_cast(b, dt), number=input), out, "xlogy")
    if not isinstance(b, Tensor):
        return _out(XlogyNumberOther.apply(_cast(a, dt), number=other), out, "xlogy")
    return _out(Xlogy.apply(a, b, **promotion(dt, a, b)), out, "xlogy")


def xlogy_(input, other):  # noqa: A002
    return input.xlogy_(other)


# ---------------------------------------------------------------------------------------
# logaddexp, logaddexp2


def _logaddexp(a, b, exp_fn, scale):
    """torch's kernel: a where a and b are the same infinity, else
    max(a, b) + log1p(exp(-|a - b|)) * scale (scale 1 / ln 2 for base 2, where torch's
    kernel fuses the multiply-add: logaddexp2(-1, -1) is -4.8e-17 in float64, not 0)."""
    a, b = np.broadcast_arrays(a, b)
    m = np.maximum(a, b)
    tail = np.log1p(exp_fn(-np.abs(a - b)))
    if scale is None:
        total = m + tail
    else:
        shape = m.shape
        total = _fma(tail.reshape(-1), m.dtype.type(scale), m.reshape(-1)).reshape(shape)
    return np.where(np.isinf(a) & (a == b), a, total)


class Logaddexp(Primitive):
    """out = log(exp(a) + exp(b));  grad_a = grad / (1 + exp(b - a)),
    grad_b = grad / (1 + exp(a - b))."""

    node_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:  # (as Hypot's)
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(
            _in_float32(lambda x, y: _logaddexp(x, y, np.exp, None), a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_b = grad / add_scalar(exp(a - b), 1) if needs[1] else None
        return grad / add_scalar(exp(b - a), 1) if needs[0] else None, grad_b


class Logaddexp2(Primitive):
    """out = log2(2 ** a + 2 ** b);  grad_a = grad / (1 + 2 ** (b - a)),
    grad_b = grad / (1 + 2 ** (a - b))."""

    node_name = "Logaddexp2Backward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:  # (as Hypot's)
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(
            _in_float32(lambda x, y: _logaddexp(x, y, np.exp2, 1 / math.log(2)), a, b), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_b = grad / add_scalar(pow(2, a - b), 1) if needs[1] else None
        return grad / add_scalar(pow(2, b - a), 1) if needs[0] else None, grad_b


def logaddexp(input, other, *, out=None):  # noqa: A002
    a, b, params = _two_tensors("logaddexp", input, other, out)
    return _out(Logaddexp.apply(a, b, **params), out, "logaddexp")


def logaddexp2(input, other, *, out=None):  # noqa: A002
    a, b, params = _two_tensors("logaddexp2", input, other, out)
    return _out(Logaddexp2.apply(a, b, **params), out, "logaddexp2")


# ---------------------------------------------------------------------------------------
# fmax, fmin: maximum and minimum that ignore a NaN


class Fmax(Primitive):
    """out = fmax(a, b): the larger, the other one where one is NaN, a on a tie (C's fmax:
    fmax(-0.0, 0.0) is -0.0);  grad_a = grad where a >= b or b is NaN, grad_b = the rest."""

    node_name = "FmaxBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:  # (as Hypot's)
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(np.where((a < b) | (a != a), b, a), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_grad(grad, (a >= b) | b.isnan(), ctx.needs_input_grad)


class Fmin(Primitive):
    """out = fmin(a, b): the smaller, the other one where one is NaN, a on a tie;
    grad_a = grad where a <= b or b is NaN, grad_b = the rest."""

    node_name = "FminBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dtype=None):
        ctx.save_for_backward(a, b)
        if dtype is not None:
            a, b = promoted(a, dtype), promoted(b, dtype)
        return laid_out_as_torch(np.where((b < a) | (a != a), b, a), a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _pick_grad(grad, (a <= b) | b.isnan(), ctx.needs_input_grad)


def _pick_grad(grad, to_a, needs):
    """All of ``grad`` to a where ``to_a``, to b elsewhere (torch's masked_fill formulas,
    b's first)."""
    grad_b = zeroed(grad, to_a) if needs[1] else None
    return zeroed(grad, ~to_a) if needs[0] else None, grad_b


def fmax(input, other, *, out=None):  # noqa: A002
    a, b, dt = _uncast_operands(_check_tensor("fmax", input), _check_other("fmax", other))
    return _out(Fmax.apply(a, b, **promotion(dt, a, b)), out, "fmax")


def fmin(input, other, *, out=None):  # noqa: A002
    a, b, dt = _uncast_operands(_check_tensor("fmin", input), _check_other("fmin", other))
    return _out(Fmin.apply(a, b, **promotion(dt, a, b)), out, "fmin")


# ---------------------------------------------------------------------------------------
# heaviside


class Heaviside(Primitive):
    """out = values where a == 0, else (a > 0) (0 for a NaN a); torch defines no
    derivative: its grad_fn raises on backward."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a, values):
        return laid_out_as_torch(np.where(a == 0, values, (a > 0).astype(a.dtype)), a, values)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::heaviside is not implemented")


def heaviside(input, values, *, out=None):  # noqa: A002
    a = _check_tensor("heaviside", input)
    v = _check_other("heaviside", values, "values")
    if a._data.dtype != v._data.dtype:
        raise RuntimeError(
            "heaviside is not yet implemented for tensors with different dtypes."
        )
    if out is not None and out._data.dtype != a._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    result = Heaviside.apply(a, v)
    if out is not None:  # torch has no derivative for it, so out= is allowed even then
        result = result.detach()
    return _out(result, out, "heaviside")


# ---------------------------------------------------------------------------------------
# float_power: pow computed in float64 (torch composes it the same way: to, then pow)


def float_power(input, exponent, *, out=None):  # noqa: A002
    if out is not None and out._data.dtype != np.float64:
        raise RuntimeError(
            f"the output given to float_power has dtype {_TYPE_WORD[out._data.dtype.name]} "
            "but the operation's result requires dtype Double"
        )
    double = _dtype.float64
    if isinstance(input, Tensor):
        base = to(input, double)
        if isinstance(exponent, Tensor):
            result = pow(base, to(exponent, double))  # PowBackward1
        else:
            result = pow(base, float(exponent))  # PowBackward0
    elif isinstance(exponent, Tensor):
        result = pow(float(input), to(exponent, double))  # PowBackward2
    else:
        raise TypeError(
            f"float_power() received an invalid combination of arguments - got "
            f"({type_name(input)}, {type_name(exponent)})"
        )
    return _out(result, out, "pow")


def check_float_power_(input: Tensor) -> None:  # noqa: A002
    """float_power_ writes a float64 result: the tensor must be float64 already."""
    if input._data.dtype != np.float64:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {_TYPE_WORD[input._data.dtype.name]} "
            "but the operation's result requires dtype Double"
        )


# ---------------------------------------------------------------------------------------
# logit


def _logit(a, eps):
    """torch's kernel: a clamped to [eps, 1 - eps] (bounds in a's dtype, NaN kept), then
    log(a / (1 - a)), inf at a == 1. The division rounds in a's dtype, also float16."""
    one = a.dtype.type(1)
    if eps is not None:
        lo = a.dtype.type(eps)
        hi = one - lo
        a = np.where(a < lo, lo, np.where(a > hi, hi, a))
    ratio = a / (one - a)
    out = np.log(ratio.astype(np.float32) if a.dtype == np.float16 else ratio)
    return np.where(a == one, a.dtype.type(np.inf), out.astype(a.dtype))


class Logit(Primitive):
    """out = log(a / (1 - a));  grad_a = grad / (a * (1 - a)) inside [lo, hi], outside NaN
    (eps None: lo, hi = 0, 1) or 0 (lo, hi = eps, 1 - eps, in a's dtype).

    That is torch's infinitely_differentiable_logit_backward (create_graph=True) and the
    vectorised loop of its logit_backward kernel. The kernel's scalar loop, which takes the
    last n % (2 x SIMD width) elements (32 float32, 16 float64, 64 float16 with AVX-512),
    differs at two points: eps None, a = -0.0 gives grad * inf (here -grad * inf), and
    with eps a NaN a gives NaN (here 0). torch's answer there depends on the position.
    """

    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, a, *, eps):
        ctx.save_for_backward(a)
        ctx.eps = eps
        return laid_out_as_torch(_logit(a, eps), a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if ctx.eps is None:
            lo, hi, outside = 0.0, 1.0, math.nan
        else:
            lo = a._data.dtype.type(ctx.eps)
            hi, outside = a._data.dtype.type(1) - lo, 0.0
        # (torch's ``1.0 - self`` is C++'s operator-(Scalar, Tensor): ``scalar_minus``)
        return where((a >= lo) & (a <= hi), grad / (a * scalar_minus(1.0, a)), outside)


def logit(input, eps=None, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("logit", input))
    if eps is not None:
        eps = float(eps)
        if eps < 0:  # torch: a negative eps means none
            eps = None
    return _out(Logit.apply(x, eps=eps), out, "logit")


def logit_(input, eps=None):  # noqa: A002
    return input.logit_(eps)


# ---------------------------------------------------------------------------------------
# deg2rad, rad2deg: multiplication by a constant, in the input's dtype (float16 in float32)

_PI_180 = 0.017453292519943295769236907684886127134428718885417
_180_PI = 57.295779513082320876798154814105170332405472466564


class Deg2rad(Primitive):
    """out = a * pi / 180;  grad_a = grad * pi / 180."""

    node_name = "Deg2RadBackward0"

    @staticmethod
    def forward(ctx, a):
        return laid_out_as_torch(_in_float32(lambda x: x * x.dtype.type(_PI_180), a), a)

    @staticmethod
    def backward(ctx, grad):
        return mul_scalar(grad, _PI_180)


class Rad2deg(Primitive):
    """out = a * 180 / pi;  grad_a = grad * 180 / pi."""

    node_name = "Rad2DegBackward0"

    @staticmethod
    def forward(ctx, a):
        return laid_out_as_torch(_in_float32(lambda x: x * x.dtype.type(_180_PI), a), a)

    @staticmethod
    def backward(ctx, grad):
        return mul_scalar(grad, _180_PI)


def deg2rad(input, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("deg2rad", input))
    return _out(Deg2rad.apply(x), out, "deg2rad")


def rad2deg(input, *, out=None):  # noqa: A002
    x = _float_operand(_check_tensor("rad2deg", input))
    return _out(Rad2deg.apply(x), out, "rad2deg")


def deg2rad_(input):  # noqa: A002
    return input.deg2rad_()


def rad2deg_(input):  # noqa: A002
    return input.rad2deg_()

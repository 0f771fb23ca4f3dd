"""Elementwise operations: arithmetic, math functions, comparisons, logical ops.

Each differentiable operation is a ``Primitive``: ``forward`` on NumPy arrays, and
``backward`` returning the vector-Jacobian product for each input, written with
torchlet operations (so it can be differentiated again). Broadcasting is undone by the
engine, so rules here are the textbook ones.

Dtypes follow torch (``_operands``): both operands are brought to ``torch.result_type``
before NumPy sees them, so NumPy's own promotion never decides a result dtype.
Precision: + - * / and sqrt are IEEE operations in the same dtype, so they match torch
bit for bit; exp, log, sin, ... come from NumPy's math library and agree with torch to
within float rounding (a few ulp).
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from torchlet import _dtype
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

_py_abs = builtins.abs
_py_round = builtins.round
_py_max = builtins.max
_py_min = builtins.min

# ---------------------------------------------------------------------------------------
# operands and dtypes


def _operands(a, b):
    """``a`` and ``b`` in torch's common dtype: Tensors stay Tensors (cast if needed) and
    Python numbers become NumPy scalars of that dtype. Returns (a, b, numpy dtype)."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            da, db = a._data.dtype, b._data.dtype
            if da == db:
                return a, b, da
            common = _dtype.result_type_of((a, b)).np
            return _cast(a, common), _cast(b, common), common
        if isinstance(b, np.ndarray):  # torch treats an array operand as a tensor
            return _operands(a, wrap(b))
        common = _with_number(a, b)
        return _cast(a, common), _number(b, common), common
    if isinstance(b, Tensor):
        if isinstance(a, np.ndarray):
            return _operands(wrap(a), b)
        common = _with_number(b, a)
        return _number(a, common), _cast(b, common), common
    raise TypeError(f"expected a Tensor, got {type(a).__name__} and {type(b).__name__}")


def _with_number(t: Tensor, number):
    """Result dtype of a tensor with a Python number (numbers are weak)."""
    kind = t._data.dtype.kind
    number_type = type(number)
    if number_type is float:
        return t._data.dtype if kind == "f" else _dtype.get_default_dtype().np
    if number_type is int:
        return t._data.dtype if kind != "b" else np.dtype(np.int64)
    if number_type is bool:
        return t._data.dtype
    return _dtype.result_type_of((t, number)).np


def _cast(t: Tensor, np_dtype) -> Tensor:
    if t._data.dtype == np_dtype:
        return t
    return to(t, _dtype._BY_NP[np.dtype(np_dtype)])


def _number(value, np_dtype):
    """A Python number as a NumPy scalar of ``np_dtype`` (wrapping like a C cast)."""
    try:
        return np_dtype.type(value)
    except (OverflowError, ValueError):
        return np.array(value).astype(np_dtype)[()]


def _float_operand(t: Tensor) -> Tensor:
    """Integer inputs of float functions (exp, sin, ...) are promoted to the default dtype."""
    if t._data.dtype.kind == "f":
        return t
    return to(t, _dtype.get_default_dtype())


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return x


# ---------------------------------------------------------------------------------------
# dtype conversion


class ToCopy(Primitive):
    """out = input cast to another dtype;  grad_input = grad cast back (the engine casts)."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad


def to(t: Tensor, *args, **kwargs) -> Tensor:
    """``t.to(dtype)``, ``t.to('cpu')``, ``t.to(other)``, ``t.to(device, dtype)``; copy=."""
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    device = kwargs.pop("device", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, _dtype.dtype) or arg in (float, int, bool):
            dtype = _dtype.to_dtype(arg)
        elif isinstance(arg, (str, type(None))) or hasattr(arg, "type"):
            device = arg
        elif isinstance(arg, bool):
            pass
    if device is not None:
        from torchlet._device import device as make_device

        if make_device(device).type != "cpu":
            raise RuntimeError(
                "torchlet runs on the CPU only (it is built on NumPy); "
                f"cannot move a tensor to '{device}'"
            )
    if dtype is None or dtype.np == t._data.dtype:
        return t.clone() if copy else t
    return ToCopy.apply(t, np_dtype=dtype.np)


# ---------------------------------------------------------------------------------------
# arithmetic


class Add(Primitive):
    """out = a + alpha * b;  grad_a = grad,  grad_b = alpha * grad."""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        if alpha != 1:
            b = b * alpha
        return a + b

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_b = None
        if needs[1]:
            grad_b = grad if ctx.alpha == 1 else grad * ctx.alpha
        return grad if needs[0] else None, grad_b


class Sub(Primitive):
    """out = a - alpha * b;  grad_a = grad,  grad_b = -alpha * grad."""

    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, *, alpha=1):
        ctx.alpha = alpha
        if alpha != 1:
            b = b * alpha
        return a - b

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_b = None
        if needs[1]:
            grad_b = -grad if ctx.alpha == 1 else grad * -ctx.alpha
        return grad if needs[0] else None, grad_b


class Rsub(Primitive):
    """out = other - alpha * a (``2 - x``);  grad_a = -alpha * grad."""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, *, other, alpha=1):
        ctx.alpha = alpha
        return other - (a * alpha if alpha != 1 else a)

    @staticmethod
    def backward(ctx, grad):
        return -grad if ctx.alpha == 1 else grad * -ctx.alpha


class Mul(Primitive):
    """out = a * b;  grad_a = grad * b,  grad_b = grad * a."""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return grad * b if needs[0] else None, grad * a if needs[1] else None


class Div(Primitive):
    """out = a / b;  grad_a = grad / b,  grad_b = -grad * a / b**2."""

    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_a = grad / b if needs[0] else None
        grad_b = -grad * a / (b * b) if needs[1] else None
        return grad_a, grad_b


class DivRounded(Primitive):
    """out = round(a / b) toward zero or -inf; piecewise constant: zero gradients."""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, a, b, *, rounding_mode):
        if a.dtype.kind in "iub":
            _check_integer_divisor(b)
            if rounding_mode == "floor":
                return np.floor_divide(a, b)
            return (np.abs(a) // np.abs(b)) * (np.sign(a) * np.sign(b))
        if rounding_mode == "floor":
            return np.floor_divide(a, b)
        return np.trunc(a / b)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like_grad(grad, ctx, 0), zeros_like_grad(grad, ctx, 1)


class Neg(Primitive):
    """out = -a;  grad_a = -grad."""

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad):
        return -grad


class PowScalar(Primitive):
    """out = a ** e (e a number);  grad_a = grad * e * a ** (e - 1)  (0 where e == 0)."""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, *, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        if exponent == 2:
            return a * a
        return np.power(a, exponent)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return zeros_like(a)
        if e == 2:
            return grad * (a * 2.0)
        return grad * (e * pow(a, e - 1))


class PowTensor(Primitive):
    """out = a ** b;  grad_a = grad * b * a ** (b - 1),  grad_b = grad * out * log(a).

    torch's conventions: grad_a is 0 where b == 0; grad_b is 0 where a == 0 and b >= 0.
    """

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_a = grad_b = None
        if needs[0]:
            grad_a = where(b == 0, 0.0, grad * b * pow(a, b - 1))
        if needs[1]:
            grad_b = where((a == 0) & (b >= 0), 0.0, grad * out * log(a))
        return grad_a, grad_b


class PowScalarBase(Primitive):
    """out = base ** b (base a number);  grad_b = grad * out * log(base)."""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, b, *, base):
        out = np.power(base, b)
        ctx.save_for_backward(out)
        ctx.base = base
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if ctx.base == 0:
            return where(out == 0, 0.0, grad * out * math.log(0.0 + 1e-300))
        return grad * out * math.log(ctx.base)


def add(input, other, *, alpha=1, out=None):  # noqa: A002 - torch's argument names
    a, b, dt = _operands(input, other)
    if alpha != 1:
        _check_alpha(alpha, dt)
        alpha = _number(alpha, dt)
    if dt.kind == "b":  # torch: True + True is True
        return _out(LogicalOp.apply(a, b, op=np.logical_or), out)
    return _out(Add.apply(a, b, alpha=alpha), out)


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. "
            "Use the `^` or `logical_xor()` operator instead."
        )
    if alpha != 1:
        _check_alpha(alpha, dt)
        alpha = _number(alpha, dt)
    return _out(Sub.apply(a, b, alpha=alpha), out)


def rsub(input, other, *, alpha=1):  # noqa: A002
    """``other - alpha * input``: what ``2 - x`` calls."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Rsub.apply(a, other=b, alpha=alpha)


def mul(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        return _out(LogicalOp.apply(a, b, op=np.logical_and), out)
    return _out(Mul.apply(a, b), out)


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    if rounding_mode is not None:
        if rounding_mode not in ("trunc", "floor"):
            raise ValueError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        a, b, dt = _operands(input, other)
        return _out(DivRounded.apply(a, b, rounding_mode=rounding_mode), out)
    a, b, dt = _operands(input, other)
    if dt.kind != "f":  # true division of integers gives the default float dtype
        f = _dtype.get_default_dtype().np
        a = _cast(a, f) if isinstance(a, Tensor) else _number(a, f)
        b = _cast(b, f) if isinstance(b, Tensor) else _number(b, f)
    return _out(Div.apply(a, b), out)


true_divide = divide = div


def floor_divide(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        raise RuntimeError('"div_floor_cpu" not implemented for \'Bool\'')
    return _out(FloorDivide.apply(a, b), out)


class FloorDivide(Primitive):
    """out = floor(a / b); not differentiable in torch (its grad_fn raises)."""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(b)
        return np.floor_divide(a, b)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::floor_divide is not implemented")


class Remainder(Primitive):
    """out = a - floor(a / b) * b (sign of b);  grad_a = grad,  grad_b = -grad * floor(a/b)."""

    node_name = "RemainderBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(b)
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_b = -grad * floor_divide(a, b) if needs[1] else None
        return grad if needs[0] else None, grad_b


class Fmod(Primitive):
    """out = a - trunc(a / b) * b (sign of a);  grad_a = grad,  grad_b = -grad * trunc(a/b)."""

    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, b):
        if np.asarray(a).dtype.kind in "iu":
            _check_integer_divisor(b)
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_b = -grad * div(a, b, rounding_mode="trunc") if needs[1] else None
        return grad if needs[0] else None, grad_b


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
            _check_integer_divisor(other)
        return np.remainder(a, other)


class FmodScalar(_ScalarDivisor):
    """out = fmod(a, number);  grad_a = grad."""

    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, a, *, other):
        if a.dtype.kind in "iu":
            _check_integer_divisor(other)
        return np.fmod(a, other)


def remainder(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        raise RuntimeError('"remainder_cpu" not implemented for \'Bool\'')
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _out(RemainderScalar.apply(a, other=b), out)
    return _out(Remainder.apply(a, b), out)


def fmod(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "b":
        raise RuntimeError('"fmod_cpu" not implemented for \'Bool\'')
    if isinstance(a, Tensor) and not isinstance(b, Tensor):
        return _out(FmodScalar.apply(a, other=b), out)
    return _out(Fmod.apply(a, b), out)


def _check_integer_divisor(b):
    if np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def pow(input, exponent, *, out=None):  # noqa: A002
    if not isinstance(input, Tensor):
        exp_t = _check_tensor("pow", exponent)
        base, e, _ = _operands(input, exp_t)
        return _out(PowScalarBase.apply(e, base=base), out)
    if isinstance(exponent, Tensor):
        a, e, dt = _operands(input, exponent)
        if dt.kind in "iu" and np.any(e._data < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _out(PowTensor.apply(a, e), out)
    a, e, dt = _operands(input, exponent)
    if dt.kind in "iu" and e < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _out(PowScalar.apply(a, exponent=e), out)


def neg(input, *, out=None):  # noqa: A002
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _out(Neg.apply(input), out)


negative = neg


def _check_alpha(alpha, np_dtype):
    if isinstance(alpha, float) and np_dtype.kind != "f":
        raise RuntimeError(
            "For integral input tensors, argument alpha must not be a floating point number."
        )


def _out(result: Tensor, out):
    """Support torch's ``out=`` argument: write into ``out`` (resized like torch)."""
    if out is None:
        return result
    if out.requires_grad and result.requires_grad:
        raise RuntimeError(
            "add(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype)
    np.copyto(out._data, result._data, casting="unsafe")
    out._vbox[0] += 1
    return out


# ---------------------------------------------------------------------------------------
# one-input math functions


class _Unary(Primitive):
    """Shared apply for one-input float functions: ``numpy_fn`` on the array."""

    numpy_fn = None

    @classmethod
    def forward(cls, ctx, a):
        ctx.save_for_backward(a)
        return cls.numpy_fn(a)


class _UnaryOut(Primitive):
    """Like _Unary, but the backward needs the output rather than the input."""

    numpy_fn = None

    @classmethod
    def forward(cls, ctx, a):
        out = cls.numpy_fn(a)
        ctx.save_for_backward(out)
        return out


class Exp(_UnaryOut):
    """out = exp(a);  grad_a = grad * out."""

    node_name = "ExpBackward0"
    numpy_fn = np.exp

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Exp2(_UnaryOut):
    """out = 2 ** a;  grad_a = grad * out * ln 2."""

    node_name = "Exp2Backward0"
    numpy_fn = np.exp2

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * math.log(2.0))


class Expm1(_UnaryOut):
    """out = exp(a) - 1;  grad_a = grad * (out + 1)."""

    node_name = "Expm1Backward0"
    numpy_fn = np.expm1

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1)


class Log(_Unary):
    """out = log(a);  grad_a = grad / a."""

    node_name = "LogBackward0"
    numpy_fn = np.log

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Log2(_Unary):
    """out = log2(a);  grad_a = grad / (a * ln 2)."""

    node_name = "Log2Backward0"
    numpy_fn = np.log2

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * math.log(2.0))


class Log10(_Unary):
    """out = log10(a);  grad_a = grad / (a * ln 10)."""

    node_name = "Log10Backward0"
    numpy_fn = np.log10

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * math.log(10.0))


class Log1p(_Unary):
    """out = log(1 + a);  grad_a = grad / (1 + a)."""

    node_name = "Log1PBackward0"
    numpy_fn = np.log1p

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a + 1)


class Sqrt(_UnaryOut):
    """out = sqrt(a);  grad_a = grad / (2 * out)."""

    node_name = "SqrtBackward0"
    numpy_fn = np.sqrt

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2)


class Rsqrt(_UnaryOut):
    """out = 1 / sqrt(a);  grad_a = -0.5 * grad * out ** 3."""

    node_name = "RsqrtBackward0"

    @staticmethod
    def numpy_fn(a):
        return 1 / np.sqrt(a)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return -0.5 * grad * pow(out, 3)


class Sin(_Unary):
    """out = sin(a);  grad_a = grad * cos(a)."""

    node_name = "SinBackward0"
    numpy_fn = np.sin

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cos(a)


class Cos(_Unary):
    """out = cos(a);  grad_a = -grad * sin(a)."""

    node_name = "CosBackward0"
    numpy_fn = np.cos

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * -sin(a)


class Tan(_UnaryOut):
    """out = tan(a);  grad_a = grad * (1 + out ** 2)."""

    node_name = "TanBackward0"
    numpy_fn = np.tan

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out + 1)


class Asin(_Unary):
    """out = asin(a);  grad_a = grad / sqrt(1 - a ** 2)."""

    node_name = "AsinBackward0"
    numpy_fn = np.arcsin

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * rsqrt(1 - a * a)


class Acos(_Unary):
    """out = acos(a);  grad_a = -grad / sqrt(1 - a ** 2)."""

    node_name = "AcosBackward0"
    numpy_fn = np.arccos

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * rsqrt(1 - a * a)


class Atan(_Unary):
    """out = atan(a);  grad_a = grad / (1 + a ** 2)."""

    node_name = "AtanBackward0"
    numpy_fn = np.arctan

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * a + 1)


class Sinh(_Unary):
    """out = sinh(a);  grad_a = grad * cosh(a)."""

    node_name = "SinhBackward0"
    numpy_fn = np.sinh

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * cosh(a)


class Cosh(_Unary):
    """out = cosh(a);  grad_a = grad * sinh(a)."""

    node_name = "CoshBackward0"
    numpy_fn = np.cosh

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sinh(a)


class Tanh(_UnaryOut):
    """out = tanh(a);  grad_a = grad * (1 - out ** 2)."""

    node_name = "TanhBackward0"
    numpy_fn = np.tanh

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


def _sigmoid(a):
    # exp(-|a|) never overflows; select the formula that is exact on each side
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(_UnaryOut):
    """out = 1 / (1 + exp(-a));  grad_a = grad * out * (1 - out)."""

    node_name = "SigmoidBackward0"
    numpy_fn = staticmethod(_sigmoid)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * ((1 - out) * out)


class Relu(_UnaryOut):
    """out = max(a, 0);  grad_a = grad where out > 0, else 0 (relu'(0) = 0)."""

    node_name = "ReluBackward0"

    @staticmethod
    def numpy_fn(a):
        return np.maximum(a, 0) if a.dtype.kind != "b" else a.copy()

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out > 0)


class Erf(_Unary):
    """out = erf(a);  grad_a = grad * 2 / sqrt(pi) * exp(-a ** 2)."""

    node_name = "ErfBackward0"

    @staticmethod
    def numpy_fn(a):
        return _erf(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi) * exp(-(a * a)))


_vector_erf = np.vectorize(math.erf, otypes=[np.float64])


def _erf(a):
    """erf from Python's math library (NumPy has none), computed in float64."""
    return _vector_erf(a.astype(np.float64)).astype(a.dtype) if a.size else a.copy()


class Abs(_Unary):
    """out = |a|;  grad_a = grad * sign(a) (0 at 0)."""

    node_name = "AbsBackward0"
    numpy_fn = np.abs

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * sign(a)


class Sign(Primitive):
    """out = sign(a); piecewise constant: grad_a = 0."""

    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, a):
        return np.sign(a) if a.dtype.kind != "b" else a.copy()

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


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

    numpy_fn = None

    @classmethod
    def forward(cls, ctx, a, **params):
        return cls.numpy_fn(a, **params)

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
    """out = a rounded half to even (optionally to ``decimals``);  grad_a = 0."""

    node_name = "RoundBackward0"

    @staticmethod
    def numpy_fn(a, decimals=0):
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
        return a - np.trunc(a)

    @staticmethod
    def backward(ctx, grad):
        return grad


def _unary(cls, name, x, float_only=True):
    x = _check_tensor(name, x)
    if float_only:
        x = _float_operand(x)
    return cls.apply(x)


def exp(input, *, out=None):  # noqa: A002
    return _out(_unary(Exp, "exp", input), out)


def exp2(input, *, out=None):  # noqa: A002
    return _out(_unary(Exp2, "exp2", input), out)


def expm1(input, *, out=None):  # noqa: A002
    return _out(_unary(Expm1, "expm1", input), out)


def log(input, *, out=None):  # noqa: A002
    return _out(_unary(Log, "log", input), out)


def log2(input, *, out=None):  # noqa: A002
    return _out(_unary(Log2, "log2", input), out)


def log10(input, *, out=None):  # noqa: A002
    return _out(_unary(Log10, "log10", input), out)


def log1p(input, *, out=None):  # noqa: A002
    return _out(_unary(Log1p, "log1p", input), out)


def sqrt(input, *, out=None):  # noqa: A002
    return _out(_unary(Sqrt, "sqrt", input), out)


def rsqrt(input, *, out=None):  # noqa: A002
    return _out(_unary(Rsqrt, "rsqrt", input), out)


def sin(input, *, out=None):  # noqa: A002
    return _out(_unary(Sin, "sin", input), out)


def cos(input, *, out=None):  # noqa: A002
    return _out(_unary(Cos, "cos", input), out)


def tan(input, *, out=None):  # noqa: A002
    return _out(_unary(Tan, "tan", input), out)


def asin(input, *, out=None):  # noqa: A002
    return _out(_unary(Asin, "asin", input), out)


def acos(input, *, out=None):  # noqa: A002
    return _out(_unary(Acos, "acos", input), out)


def atan(input, *, out=None):  # noqa: A002
    return _out(_unary(Atan, "atan", input), out)


arcsin, arccos, arctan = asin, acos, atan


def sinh(input, *, out=None):  # noqa: A002
    return _out(_unary(Sinh, "sinh", input), out)


def cosh(input, *, out=None):  # noqa: A002
    return _out(_unary(Cosh, "cosh", input), out)


def tanh(input, *, out=None):  # noqa: A002
    return _out(_unary(Tanh, "tanh", input), out)


def sigmoid(input, *, out=None):  # noqa: A002
    return _out(_unary(Sigmoid, "sigmoid", input), out)


def erf(input, *, out=None):  # noqa: A002
    return _out(_unary(Erf, "erf", input), out)


def reciprocal(input, *, out=None):  # noqa: A002
    return _out(_unary(Reciprocal, "reciprocal", input), out)


def relu(input):  # noqa: A002
    x = _check_tensor("relu", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
    return Relu.apply(x)


def abs(input, *, out=None):  # noqa: A002
    x = _check_tensor("abs", input)
    if x._data.dtype.kind == "b":
        raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
    return _out(Abs.apply(x), out)


absolute = abs


def sign(input, *, out=None):  # noqa: A002
    return _out(Sign.apply(_check_tensor("sign", input)), out)


def square(input, *, out=None):  # noqa: A002
    x = _check_tensor("square", input)
    if x._data.dtype.kind == "b":
        x = to(x, _dtype.int64)
    return _out(PowScalar.apply(x, exponent=2), out)


def _integer_passthrough(cls, name, x):
    x = _check_tensor(name, x)
    if x._data.dtype.kind != "f":
        return x.clone()  # integers are already whole numbers
    return cls.apply(x)


def floor(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Floor, "floor", input), out)


def ceil(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Ceil, "ceil", input), out)


def trunc(input, *, out=None):  # noqa: A002
    return _out(_integer_passthrough(Trunc, "trunc", input), out)


fix = trunc


def round(input, *, decimals=0, out=None):  # noqa: A002
    x = _check_tensor("round", input)
    if x._data.dtype.kind != "f":
        if decimals != 0:
            raise RuntimeError('"round_cpu" not implemented for \'Long\'')
        return _out(x.clone(), out)
    return _out(Round.apply(x, decimals=decimals), out)


def frac(input, *, out=None):  # noqa: A002
    x = _check_tensor("frac", input)
    if x._data.dtype.kind != "f":
        raise RuntimeError(f'"frac_cpu" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\'')
    return _out(Frac.apply(x), out)


_TYPE_WORD = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
              "float16": "Half"}


# ---------------------------------------------------------------------------------------
# two-input functions


class Atan2(Primitive):
    """out = atan2(a, b);  grad_a = grad * b / (a² + b²),  grad_b = -grad * a / (a² + b²)."""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        denom = a * a + b * b
        needs = ctx.needs_input_grad
        return (grad * b / denom if needs[0] else None,
                grad * -a / denom if needs[1] else None)


def atan2(input, other, *, out=None):  # noqa: A002
    a, b, dt = _operands(_check_tensor("atan2", input), other)
    if dt.kind != "f":
        f = _dtype.get_default_dtype()
        a, b = to(a, f), to(b, f) if isinstance(b, Tensor) else _number(b, f.np)
    return _out(Atan2.apply(a, b), out)


arctan2 = atan2


class Maximum(Primitive):
    """out = max(a, b);  the larger input gets grad; ties split it, half each."""

    node_name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, a, b, ctx.needs_input_grad)


class Minimum(Primitive):
    """out = min(a, b);  the smaller input gets grad; ties split it, half each."""

    node_name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _split_ties(grad, b, a, ctx.needs_input_grad)


def _split_ties(grad, winner, loser, needs):
    """Gradients of max(winner, loser): all to the larger, half each on ties."""
    half = grad / 2
    grad_w = where(winner == loser, half, where(winner > loser, grad, 0.0)) if needs[0] else None
    grad_l = where(winner == loser, half, where(winner < loser, grad, 0.0)) if needs[1] else None
    return grad_w, grad_l


def maximum(input, other, *, out=None):  # noqa: A002
    a, b, _ = _operands(_check_tensor("maximum", input), _check_tensor("maximum", other))
    return _out(Maximum.apply(a, b), out)


def minimum(input, other, *, out=None):  # noqa: A002
    a, b, _ = _operands(_check_tensor("minimum", input), _check_tensor("minimum", other))
    return _out(Minimum.apply(a, b), out)


class ClampScalar(Primitive):
    """out = min(max(a, lo), hi);  grad_a = grad where lo <= a <= hi (kept at the bounds)."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, *, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        keep = None
        if ctx.lo is not None:
            keep = a >= ctx.lo
        if ctx.hi is not None:
            keep = (a <= ctx.hi) if keep is None else keep & (a <= ctx.hi)
        return grad * keep if keep is not None else grad


class ClampTensor(Primitive):
    """out = min(max(a, lo), hi) with tensor bounds; each bound gets grad where it binds."""

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        a, lo, hi = ctx.saved_tensors
        needs = ctx.needs_input_grad
        inside = None
        if lo is not None:
            inside = a >= lo
        if hi is not None:
            inside = (a <= hi) if inside is None else inside & (a <= hi)
        grad_a = where(inside, grad, 0.0) if needs[0] else None
        grad_lo = where(a < lo, grad, 0.0) if needs[1] else None
        grad_hi = where(a > hi, grad, 0.0) if needs[2] else None
        if lo is not None and hi is not None and needs[1]:
            grad_lo = where((a < lo) & (lo <= hi), grad, 0.0)
        return grad_a, grad_lo, grad_hi


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    x = _check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        operands = [x] + [m for m in (min, max) if m is not None]
        common = _dtype.result_type_of(operands)
        lo = _cast_any(min, common)
        hi = _cast_any(max, common)
        return _out(ClampTensor.apply(_cast(x, common.np), lo, hi), out)
    common = _dtype.result_type_of([x] + [m for m in (min, max) if m is not None])
    if common.np != x._data.dtype:
        x = _cast(x, common.np)
    lo = None if min is None else _number(min, common.np)
    hi = None if max is None else _number(max, common.np)
    return _out(ClampScalar.apply(x, lo=lo, hi=hi), out)


clip = clamp


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min, None)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, None, max)


def _cast_any(value, common):
    if value is None:
        return None
    if isinstance(value, Tensor):
        return _cast(value, common.np)
    return wrap(np.array(value, dtype=common.np))


class Where(Primitive):
    """out = a where cond else b;  grad_a = grad where cond,  grad_b = grad where not."""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad):
        cond = wrap(ctx.cond)
        needs = ctx.needs_input_grad
        zero = zeros_like_scalar(grad)
        return (None,
                where(cond, grad, zero) if needs[1] else None,
                where(cond, zero, grad) if needs[2] else None)


def where(condition, input=None, other=None, *, out=None):  # noqa: A002
    """``where(cond, a, b)`` picks elementwise; ``where(cond)`` is ``nonzero(as_tuple)``."""
    if input is None and other is None:
        from torchlet._ops.indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' (position 1) must be Tensor")
    if condition._data.dtype.kind != "b":
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_TYPE_WORD[condition._data.dtype.name]}"
        )
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        common = _dtype.result_type_of((input, other))
        a = wrap(np.array(input, dtype=common.np))
        b = _number(other, common.np)
    else:
        a, b, _ = _operands(input, other)
    return _out(Where.apply(condition, a, b), out)


class LerpScalar(Primitive):
    """out = a + w * (b - a), w a number;  grad_a = grad * (1 - w),  grad_b = grad * w."""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, a, b, *, weight):
        ctx.weight = weight
        return a + weight * (b - a)

    @staticmethod
    def backward(ctx, grad):
        w = ctx.weight
        needs = ctx.needs_input_grad
        return grad * (1 - w) if needs[0] else None, grad * w if needs[1] else None


class LerpTensor(Primitive):
    """out = a + w * (b - a);  grad_a = grad * (1 - w),  grad_b = grad * w,
    grad_w = grad * (b - a)."""

    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, a, b, w):
        ctx.save_for_backward(a, b, w)
        return a + w * (b - a)

    @staticmethod
    def backward(ctx, grad):
        a, b, w = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (grad * (1 - w) if needs[0] else None,
                grad * w if needs[1] else None,
                grad * (b - a) if needs[2] else None)


def lerp(input, end, weight, *, out=None):  # noqa: A002
    a, b, dt = _operands(_check_tensor("lerp", input), _check_tensor("lerp", end))
    if dt.kind != "f":
        raise RuntimeError(f'"lerp_kernel_scalar" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    if isinstance(weight, Tensor):
        return _out(LerpTensor.apply(a, b, _cast(weight, dt)), out)
    return _out(LerpScalar.apply(a, b, weight=_number(weight, dt)), out)


class NanToNum(Primitive):
    """out = a with nan/inf replaced;  grad_a = grad where a is finite, else 0."""

    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, a, *, nan, posinf, neginf):
        ctx.finite = np.isfinite(a)
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        return grad * wrap(ctx.finite)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):  # noqa: A002
    x = _check_tensor("nan_to_num", input)
    if x._data.dtype.kind != "f":
        return _out(x.clone(), out)
    return _out(NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf), out)


# ---------------------------------------------------------------------------------------
# comparisons and logical operations (results are bool, never differentiable)


class Compare(Primitive):
    """A comparison; bool output, so it never joins the graph."""

    node_name = "CompareBackward"

    @staticmethod
    def forward(ctx, a, b, *, op):
        return op(a, b)


class LogicalOp(Primitive):
    """A logical operation on bool (or truthy) values; bool output."""

    node_name = "LogicalBackward"

    @staticmethod
    def forward(ctx, a, b=None, *, op):
        return op(a) if b is None else op(a, b)


def _compare(input, other, op):  # noqa: A002
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError("comparison expects at least one Tensor")
    a, b, _ = _operands(input, other)
    return Compare.apply(a, b, op=op)


def eq(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.equal), out)


def ne(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.not_equal), out)


def lt(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less), out)


def le(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.less_equal), out)


def gt(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater), out)


def ge(input, other, *, out=None):  # noqa: A002
    return _out(_compare(input, other, np.greater_equal), out)


not_equal, less, less_equal, greater, greater_equal = ne, lt, le, gt, ge


def equal(input, other) -> bool:  # noqa: A002
    """True if both have the same shape and the same values."""
    a, b = _check_tensor("equal", input), _check_tensor("equal", other)
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
    return wrap(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _logical(op, input, other=None):  # noqa: A002
    if other is None:
        return LogicalOp.apply(_check_tensor(op.__name__, input), op=op)
    a = input._data if isinstance(input, Tensor) else np.asarray(input)
    b = other._data if isinstance(other, Tensor) else np.asarray(other)
    return wrap(np.asarray(op(a, b)))


def logical_and(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_and, input, other), out)


def logical_or(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_or, input, other), out)


def logical_xor(input, other, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_xor, input, other), out)


def logical_not(input, *, out=None):  # noqa: A002
    return _out(_logical(np.logical_not, input), out)


def _bitwise(op, name, input, other):  # noqa: A002
    a, b, dt = _operands(input, other)
    if dt.kind == "f":
        raise RuntimeError(f'"{name}_cpu" not implemented for \'{_TYPE_WORD[dt.name]}\'')
    return Compare.apply(a, b, op=op)


def bitwise_and(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_and, "bitwise_and", input, other), out)


def bitwise_or(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_or, "bitwise_or", input, other), out)


def bitwise_xor(input, other, *, out=None):  # noqa: A002
    return _out(_bitwise(np.bitwise_xor, "bitwise_xor", input, other), out)


def bitwise_not(input, *, out=None):  # noqa: A002
    x = _check_tensor("bitwise_not", input)
    if x._data.dtype.kind == "f":
        raise RuntimeError(
            f'"bitwise_not_cpu" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\''
        )
    return _out(wrap(np.invert(x._data)), out)


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


# ---------------------------------------------------------------------------------------
# helpers shared by backward rules and in-place methods


def zeros_like(t: Tensor) -> Tensor:
    return wrap(np.zeros_like(t._data))


def zeros_like_scalar(t: Tensor):
    """A zero of ``t``'s dtype, as a NumPy scalar (cheaper than a zeros tensor)."""
    return t._data.dtype.type(0)


def zeros_like_grad(grad: Tensor, ctx, index: int):
    if not ctx.needs_input_grad[index]:
        return None
    return zeros_like(grad)


class Fill(Primitive):
    """out = a tensor of ``a``'s shape filled with a value;  no gradient to ``a``."""

    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, a, *, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return zeros_like(grad)


class FillTensor(Primitive):
    """out = ``a``'s shape filled with the 0-d ``value``;  grad_value = sum(grad)."""

    node_name = "FillBackward1"

    @staticmethod
    def forward(ctx, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return None, grad.sum()


def full_like_value(t: Tensor, value) -> Tensor:
    """What ``fill_``/``zero_`` compute: ``t``'s shape and dtype, one value everywhere."""
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value._data.ndim} dimensions."
            )
        return FillTensor.apply(t, _cast(value, t._data.dtype))
    return Fill.apply(t, value=_number(value, t._data.dtype))


class CopyFrom(Primitive):
    """out = ``src`` broadcast to ``a``'s shape and dtype;  grad_src = grad (summed back)."""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, a, src):
        out = np.empty_like(a)
        np.copyto(out, src, casting="unsafe")
        return out

    @staticmethod
    def backward(ctx, grad):
        return None, grad


def copy_from(t: Tensor, src) -> Tensor:
    """What ``t.copy_(src)`` computes."""
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    try:
        np.broadcast_shapes(src._data.shape, t._data.shape)
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({t._data.shape[-1] if t._data.ndim else 1}) must match "
            f"the size of tensor b ({src._data.shape[-1] if src._data.ndim else 1}) at "
            "non-singleton dimension"
        ) from None
    return CopyFrom.apply(t, src)

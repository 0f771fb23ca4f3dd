"""The elementwise activations: relu and its piecewise-linear relatives (hardtanh,
leaky_relu, threshold, the shrinks, hardsigmoid, hardswish, prelu, rrelu), elu, selu and
celu, sigmoid, tanh and the composite ones, with the helpers every activation shares
(``_opmath``, ``_PiecewiseBackward``, ``_SmoothBackward``, ...). The smooth activations
(gelu, silu, mish, softplus, logsigmoid, glu) are in smooth_activation.py, on these
helpers; softmax, log_softmax and softmin in softmax.py.

Each activation is one small Primitive: the forward is NumPy on the whole array, and
the node carries torch's name (GeluBackward0, EluBackward0, HardtanhBackward0, ...). Where
torch's gradient is an operation of its own (elu_backward, gelu_backward, ...), so is
torchlet's (``_SmoothBackward``, ``_PiecewiseBackward``: NumPy forward, torch's double
backward in torchlet operations), so that create_graph shows EluBackwardBackward0, ...
and differentiates torch's formulas; silu and mish compose theirs, as torch does. At
the kinks the conventions are torch's: relu'(0) = 0, leaky_relu'(0) = negative_slope,
hardtanh passes no gradient at its bounds, elu'(0) = alpha, ...

Where torch itself composes an activation from other operations (softsign, tanhshrink),
so does torchlet, and the graph shows the same nodes. ``inplace=True`` writes the result
back into the input (torch's ``elu_``, ``relu_``, ...), through ``torchlet._tensor._inplace``.

At special values (NaN, -0.0, +-inf, exp overflowing) the formulas are written as torch's
CPU kernels write them: softshrink ends in x * 0 (-0.0 for negative x), silu is
x / (1 + exp(-x)) (-0.0 at -100 in float32, where exp overflows), elu's backward tests
x <= 0 (a NaN takes the linear branch). torch has two loops per kernel, a SIMD one over
whole blocks of 64 or 128 bytes of each contiguous run and a scalar one for the rest (all
of a small tensor); where they disagree (at NaN in the backwards of elu, hardswish,
hardtanh, hardshrink and softshrink, at softshrink's zeros, and in elu's expm1: glibc's
in the scalar loop, SLEEF's in the SIMD one) torchlet answers each element as the loop
that computes it in torch (``_scalar_lanes``; one thread assumed).

float16 is computed as torch's CPU kernels compute it: in float32, rounded once
(``_opmath``, ``_opmath_grad``), with the exceptions torch has (hardshrink's lambd and
the sigmoid buffer of glu's backward are float16; silu's and mish's gradients under
create_graph are built from float16 operations).
"""

from __future__ import annotations

import numbers

import numpy as np

from torchlet import _dtype
from torchlet._device import meta_array, on_meta
from torchlet._dtype import no_attribute_error, type_name
from torchlet._ops.indexing._common import relaid
from torchlet._ops.pointwise import relu as _relu_op
from torchlet._ops.pointwise import sigmoid as _sigmoid_op
from torchlet._ops.pointwise import tanh as _tanh_op
from torchlet._ops.pointwise import to, zeros_like
from torchlet._ops.pointwise._libm import rounded_once as _libm  # float32 math as torch rounds it
from torchlet._ops.pointwise.binary import Where, select
from torchlet._ops.shape.common import empty_in_layout
from torchlet._ops.shape.views import Clone
from torchlet._random_kernels import VMAP
from torchlet._tensor import Tensor, _inplace, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

__all__ = [
    "celu", "celu_", "elu", "elu_", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "hardtanh_", "leaky_relu", "leaky_relu_", "prelu", "relu", "relu6", "relu_", "rrelu",
    "rrelu_", "selu", "selu_", "sigmoid", "softshrink", "softsign", "tanh", "tanhshrink",
    "threshold", "threshold_",
]

_TYPE_WORD = _dtype.TYPE_WORDS


def _check(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name(x)}"
        )
    return x


def _float_input(name: str, x, kernel: str) -> Tensor:
    """A Tensor of floats (torch has no integer kernels for these functions)."""
    x = _check(name, x)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_TYPE_WORD[x._data.dtype.name]}\''
        )
    return x


def _number(value, fn: str, arg: str, position: int):
    """A ``Number`` argument (min_val, alpha, beta, ...) as torch's parser reads it: a
    Python or NumPy number, or a 0-d tensor that needs no gradient, read by its item()
    (a float32 tensor(-0.7) is -0.699999988..., as in torch); anything else, a
    one-element 1-d tensor too, is its TypeError."""
    if isinstance(value, (numbers.Number, np.bool_)):
        return value
    if isinstance(value, Tensor) and value._data.ndim == 0 and not value.requires_grad:
        return value.item()
    raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Number, not "
                    f"{type_name(value)}")


def _opmath(kernel, x: np.ndarray, *args, **params) -> np.ndarray:
    """``kernel(x, ...)`` as torch's CPU kernels compute it: float16 in float32 (its
    opmath type) rounded once at the end, other dtypes in their own precision. Rounding
    the intermediate results to float16 gives inf for softplus(12) (exp overflows) and
    misses by an ulp elsewhere. The result is laid out as torch lays out x's (an expanded
    x gives C order, where NumPy's chain of ufuncs may keep the broadcast's order)."""
    if x.dtype == np.float16:
        out = kernel(x.astype(np.float32), *args, **params).astype(np.float16)
    else:
        out = kernel(x, *args, **params)
    return out if x.flags.c_contiguous else relaid(out, (x,))


def _opmath_grad(rule, grad: Tensor, *saved: Tensor, **params) -> Tensor:
    """``rule(grad, *saved)`` (torchlet operations, so differentiable again), for a float16
    gradient computed in float32 and rounded once, as torch's backward kernels are."""
    if grad._data.dtype != np.float16:
        return rule(grad, *saved, **params)
    widened = [to(t, _dtype.float32) for t in (grad, *saved)]
    return to(rule(*widened, **params), _dtype.float16)


def _opmath_scalar(x: np.ndarray, value):
    """A Python scalar as torch's kernels hold it next to x: float32 for float16 x (so
    0.7001953125 <= 0.7 is false, where 0.7 rounded to float16 would equal it), x's own
    float type otherwise (NumPy 1 would compare a 0-d float32 x with a Python float in
    float64; NumPy 2 rounds the Python float to float32, as torch does)."""
    if x.dtype == np.float16:
        return np.float32(value)
    return x.dtype.type(value) if x.dtype.kind == "f" else value


def _keep(grad: Tensor, mask: np.ndarray) -> Tensor:
    """``grad`` where ``mask`` holds, 0 elsewhere (differentiable in ``grad``)."""
    return Where.apply(grad, grad._data.dtype.type(0), cond=mask)


def _pick(mask: np.ndarray, if_true: Tensor, if_false: Tensor) -> Tensor:
    return Where.apply(if_true, if_false, cond=mask)


class _PiecewiseBackward(Primitive):
    """The gradient of a piecewise-linear activation as an operation of its own (torch's
    leaky_relu_backward, hardtanh_backward, threshold_backward, ...):
    out = kernel(grad, x), linear in grad, its slope fixed by the piece x lies in.
    Differentiable again as derivatives.yaml says: grad_grad = the same operation on v,
    grad_x = zeros_like(grad) (the slopes are constant on each piece). So a gradient taken
    with create_graph stays connected to x, and its own gradient there is 0, not an error.
    A subclass gives node_name and ``kernel(grad, x, **params)`` on NumPy arrays; float16
    goes to the kernel in float32 unless ``opmath`` is False (torch's kernel works in
    float16 itself). ``self_first``: torch's kernel takes x before grad, so the result
    follows x's layout where the two differ (leaky_relu_backward, threshold_backward)."""

    opmath = True
    self_first = False
    simd_nan: float | None = None  # (see _simd_nan_lanes)
    simd_bytes = 128

    @staticmethod
    def forward(ctx, grad, x, **params):
        ctx.params = params
        ctx.save_for_backward(x)
        if x.dtype == np.float16 and ctx.opmath:  # torch compares, scales in float32
            out = ctx.kernel(grad.astype(np.float32), x.astype(np.float32),
                             **params).astype(np.float16)
        else:
            out = ctx.kernel(grad, x, **params)
        if ctx.simd_nan is not None:
            _simd_nan_lanes(out, grad, x, ctx.simd_nan, ctx.simd_bytes)
        if _c_ordered(grad, x):
            return out
        return relaid(out, (x, grad) if ctx.self_first else (grad, x))

    @staticmethod
    def backward(ctx, v):
        (x,) = ctx.saved_tensors
        need_grad, need_x = ctx.needs_input_grad
        return (type(ctx).apply(v, x, **ctx.params) if need_grad else None,
                zeros_like(v) if need_x else None)


class _SmoothBackward(Primitive):
    """The gradient of an activation as an operation of its own (torch's elu_backward,
    gelu_backward, softplus_backward, ...), so that a gradient taken with create_graph
    shows torch's node (EluBackwardBackward0, ...) and differentiates torch's formulas:
    out = kernel(grad, x), linear in grad;  grad_grad = the same operation on v;
    grad_x = ``double(v, grad, x)`` (torch's <op>_double_backward, written with torchlet
    operations, so differentiable again). A subclass gives node_name, ``kernel(grad, x,
    **params)`` on NumPy arrays (float16 arrives in float32 and is rounded once after, as
    torch's backward kernels compute it) and ``double``."""

    simd_nan: float | None = None  # (see _simd_nan_lanes)
    simd_bytes = 128

    @classmethod
    def forward(cls, ctx, grad, x, **params):
        ctx.params = params
        ctx.save_for_backward(grad, x)
        if x.dtype == np.float16:
            out = cls.kernel(grad.astype(np.float32), x.astype(np.float32), **params)
            out = out.astype(np.float16)
        else:
            out = cls.kernel(grad, x, **params)
        if cls.simd_nan is not None:
            _simd_nan_lanes(out, grad, x, cls.simd_nan, cls.simd_bytes)
        if _c_ordered(grad, x):
            return out
        return relaid(out, (grad, x))  # (torch's TensorIterator over grad and x)

    @staticmethod
    def backward(ctx, v):
        grad, x = ctx.saved_tensors
        need_grad, need_x = ctx.needs_input_grad
        node = type(ctx)
        return (node.apply(v, x, **ctx.params) if need_grad else None,
                node.double(v, grad, x, **ctx.params) if need_x else None)


def _c_ordered(grad: np.ndarray, x: np.ndarray) -> bool:
    """Whether torch lays out the gradient of x in C order: x C-contiguous and grad too,
    or grad a broadcast number (``y.sum().backward()``), whose strides of 0 leave the
    order to x (a shortcut: ``relaid`` would give the same)."""
    return x.flags.c_contiguous and (grad.flags.c_contiguous or not any(grad.strides))


def _simd_nan_lanes(out: np.ndarray, grad: np.ndarray, x: np.ndarray, value,
                    simd_bytes: int) -> None:
    """Write ``value`` into ``out`` where x is NaN in a lane of torch's SIMD loop (see
    _scalar_lanes). The kernels above answer a NaN x as torch's scalar loop does (the
    whole of a small tensor); the SIMD loops of hardtanh's, hardshrink's and softshrink's
    backwards give 0 there instead, elu's and hardswish's NaN. Only where grad follows x's
    C order (else torch's loop order is left aside); one min reduction when x has no NaN."""
    if not x.size or not np.isnan(x.min()) or not _c_ordered(grad, x):
        return
    simd = np.isnan(x)
    lanes = _scalar_lanes(x, simd_bytes)
    if lanes is not None:
        simd.reshape(-1)[lanes:] = False
    out[simd] = value


def _mask(condition: np.ndarray, like: Tensor) -> Tensor:
    """``condition.type_as(like)``: 1 where it holds, 0 elsewhere (torch's
    double backwards multiply by such a mask, so an inf or NaN gives NaN there)."""
    return wrap(condition.astype(like._data.dtype))


def _empty_like_layout(out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``out`` laid out as ``torch.empty_like(x)``, the output torch's hardtanh and prelu
    write into: x's own strides where x is non-overlapping and dense (those of its size-1
    dims too, where TensorIterator's own output would be C-contiguous)."""
    if (x.flags.c_contiguous and 1 not in x.shape) or type(x) is not np.ndarray:
        return out
    laid = empty_in_layout(x, out.dtype, None)
    np.copyto(laid, out)
    return laid


def _zero_outside(keep: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``grad`` where ``keep`` holds, +0.0 elsewhere."""
    return select(keep, grad, grad.dtype.type(0))


def _scaled(grad: np.ndarray, c: float) -> np.ndarray:
    """``grad * c`` with c held in grad's precision, as torch's kernels hold it (float16
    reaches here in float32: _PiecewiseBackward widens it)."""
    return grad * grad.dtype.type(c)


def _inplace_saving_input(x: Tensor, primitive, **params) -> Tensor:
    """``primitive`` applied in place to x, for an activation whose backward reads its
    input (hardtanh_, threshold_, hardsigmoid_, hardswish_, silu_, mish_). The input is
    overwritten, so torch's autograd saves a copy taken before (``original_self =
    self.clone()``): the node's edge goes to x's history, while the input it saved is a
    CloneBackward0 of it, through which a gradient taken with create_graph flows back.
    The primitive takes that copy as ``saved`` (None when no graph is recorded)."""
    def op(t: Tensor) -> Tensor:
        saved = Clone.apply(t) if GRAD_STATE.enabled and t.requires_grad else None
        return primitive.apply(t, saved=saved, **params)
    return _inplace(x, op)


# ---------------------------------------------------------------------------------------
# relu and its piecewise-linear relatives


def relu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0);  relu'(0) = 0 (ReluBackward0, from torchlet.relu)."""
    x = _check("relu", input)
    return x.relu_() if inplace else _relu_op(x)


def relu_(input) -> Tensor:  # noqa: A002
    return relu(input, inplace=True)


class Hardtanh(Primitive):
    """out = clamp(x, lo, hi);  grad_x = 0 where x <= lo or x >= hi (none at the bounds),
    else grad."""

    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, *, lo, hi, saved=None):
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x if saved is None else saved)  # (saved: see _inplace_saving_input)
        # torch's clamp replaces x only when it is beyond a bound: NaN stays NaN, and
        # -0.0 stays -0.0 (np.maximum(-0.0, 0.0) may give either zero)
        t = x.dtype.type
        out = np.where(x < lo, t(lo), x)
        return _empty_like_layout(np.where(out > hi, t(hi), out), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return HardtanhBackward.apply(grad, x, lo=ctx.lo, hi=ctx.hi)


class HardtanhBackward(_PiecewiseBackward):
    """hardtanh_backward: 0 where x <= lo or x >= hi, else grad."""

    node_name = "HardtanhBackwardBackward0"
    simd_nan, simd_bytes = 0.0, 64  # (a loop of one SIMD register per step)

    @staticmethod
    def kernel(grad, x, *, lo, hi):
        # written as torch's kernel writes it, so that a NaN input passes its gradient
        return _zero_outside(~((x <= lo) | (x >= hi)), grad)


_C_INT_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t"}


def _to_integral(value, dtype: np.dtype) -> int:
    """A number argument as torch's kernels read it for an integer tensor (c10's checked
    ``Scalar.to<T>()``): a float is truncated and must lie within the type's range (NaN
    and inf never do); an int too, except that an unsigned type also takes negatives down
    to -max, wrapping around (-1 is 255 for uint8)."""
    info = np.iinfo(dtype)
    if isinstance(value, (float, np.floating)):
        fits = bool(np.isfinite(value)) and info.min <= value <= info.max
        number = int(value) if fits else 0
    else:
        number = int(value)
        fits = info.min <= number <= info.max or (info.min == 0 and -info.max <= number < 0)
    if not fits:
        raise RuntimeError(
            f"value cannot be converted to type {_C_INT_NAMES[dtype.name]} without overflow")
    return number % (info.max + 1) if number < 0 and info.min == 0 else number


def _hardtanh_values(x: Tensor, lo, hi):
    kind = x._data.dtype.kind
    if kind == "f":
        return lo, hi
    if kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    # torch's hardtanh_out: the bounds truncated to ints (toLong), unsigned ones checked,
    # then clamp converts them to x's type
    lo, hi = int(lo), int(hi)
    if kind == "u" and (lo < 0 or hi < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _to_integral(lo, x._data.dtype), _to_integral(hi, x._data.dtype)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:  # (torch's Python, before its parser reads the arguments)
        raise ValueError("min_val cannot be greater than max_val")
    return _hardtanh(input, min_val, max_val, inplace)


def _hardtanh(input, min_val, max_val, inplace: bool) -> Tensor:  # noqa: A002
    name = "hardtanh_" if inplace else "hardtanh"
    x = _check(name, input)
    min_val = _number(min_val, name, "min_val", 2)
    max_val = _number(max_val, name, "max_val", 3)
    lo, hi = _hardtanh_values(x, min_val, max_val)
    if inplace:
        return _inplace_saving_input(x, Hardtanh, lo=lo, hi=hi)
    return Hardtanh.apply(x, lo=lo, hi=hi)


def hardtanh_(input, min_val=-1.0, max_val=1.0) -> Tensor:  # noqa: A002
    """In-place hardtanh (torch's C function: no min_val > max_val check)."""
    return _hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6): torch computes it as hardtanh(x, 0, 6) (HardtanhBackward0; its
    bounds the ints 0 and 6, as ``grad_fn._saved_min_val`` shows)."""
    return hardtanh(_check("relu6", input), 0, 6, inplace)


class LeakyRelu(Primitive):
    """out = x if x > 0 else slope * x;  grad_x = grad if x > 0 else slope * grad."""

    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, *, slope):
        ctx.slope = slope
        ctx.save_for_backward(x)
        return _opmath(lambda v: select(v > 0, v, v * v.dtype.type(slope)), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return LeakyReluBackward.apply(grad, x, slope=ctx.slope)


class LeakyReluBackward(_PiecewiseBackward):
    """leaky_relu_backward: grad where x > 0, else slope * grad (slope in grad's dtype)."""

    node_name = "LeakyReluBackwardBackward0"
    self_first = True

    @staticmethod
    def kernel(grad, x, *, slope):
        return select(x > 0, grad, _scaled(grad, slope))


class LeakyReluInplace(LeakyRelu):
    """leaky_relu_ (torch names the in-place node LeakyReluBackward1). The input is
    overwritten, so, as torch, the backward works from the result (x > 0 exactly where
    the result is, for a slope >= 0): changing the result in place again is the version
    error at backward, and a negative slope is torch's error there."""

    node_name = "LeakyReluBackward1"

    @staticmethod
    def forward(ctx, x, *, slope):
        out = LeakyRelu.forward(ctx, x, slope=slope)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        _check_result_slope(ctx.slope)
        return LeakyReluBackward.apply(grad, out, slope=ctx.slope)


def _check_result_slope(slope: float) -> None:
    """torch's leaky_relu_backward from the result: the sign of the result tells the
    input's only for a slope >= 0."""
    if slope < 0:
        raise RuntimeError(
            "In-place leakyReLu backward calculation is triggered with a negative slope "
            "which is not supported. This is caused by calling in-place forward function "
            "with a negative slope, please call out-of-place version instead. File an "
            "issue at https://github.com/pytorch/pytorch if you do require supporting "
            "in-place leakRelu backward calculation with negative slope")


def leaky_relu(input, negative_slope=0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else negative_slope * x."""
    name = "leaky_relu_" if inplace else "leaky_relu"
    slope = _number(negative_slope, name, "negative_slope", 2)  # (an int stays one, as in torch)
    x = _float_input(name, input, "leaky_relu_cpu")
    if inplace:
        return _inplace(x, lambda t: LeakyReluInplace.apply(t, slope=slope))
    return LeakyRelu.apply(x, slope=slope)


def leaky_relu_(input, negative_slope=0.01) -> Tensor:  # noqa: A002
    return leaky_relu(input, negative_slope, inplace=True)


class Threshold(Primitive):
    """out = x if x > threshold else value;  grad_x = grad if x > threshold else 0."""

    node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, *, threshold, value, saved=None):
        ctx.threshold = threshold
        ctx.save_for_backward(x if saved is None else saved)  # (see _inplace_saving_input)
        # float16 widened explicitly: NumPy 1 would compare a float16 array with a float32
        # scalar in float16
        wide = x.astype(np.float32) if x.dtype == np.float16 else x
        out = np.where(wide <= _opmath_scalar(x, threshold), x.dtype.type(value), x)
        return out if x.flags.c_contiguous else relaid(out, (x,))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, x, threshold=ctx.threshold)


class ThresholdBackward(_PiecewiseBackward):
    """threshold_backward: 0 where x <= threshold, else grad (relu's own, with
    threshold 0, is torchlet._ops.pointwise.unary.ThresholdBackward)."""

    node_name = "ThresholdBackwardBackward0"
    self_first = True

    @staticmethod
    def kernel(grad, x, *, threshold):
        return _zero_outside(~(x <= threshold), grad)


class ThresholdInplace(Threshold):
    node_name = "ThresholdBackward1"


def _threshold(input, threshold, value, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > threshold else value. (Named _threshold because the argument ``threshold``
    hides the function's name inside it, as in torch.)"""
    name = "threshold_" if inplace else "threshold"
    x = _check(name, input)
    threshold = _number(threshold, name, "threshold", 2)
    value = _number(value, name, "value", 3)
    kind = x._data.dtype.kind
    if kind == "b":
        raise NotImplementedError('"threshold_cpu" not implemented for \'Bool\'')
    if kind in "iu":  # (converted as torch's kernel converts them: truncated, checked)
        threshold = _to_integral(threshold, x._data.dtype)
        value = _to_integral(value, x._data.dtype)
    if inplace:
        return _inplace_saving_input(x, ThresholdInplace, threshold=threshold, value=value)
    return Threshold.apply(x, threshold=threshold, value=value)


threshold = _threshold


def threshold_(input, threshold, value) -> Tensor:  # noqa: A002
    return _threshold(input, threshold, value, inplace=True)


class Hardshrink(Primitive):
    """out = x if |x| > lambd else 0;  grad_x = grad if |x| > lambd else 0."""

    node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, *, lambd, given):
        # lambd: a float; given: (lambd,) as the caller gave it, which torch's node keeps
        ctx.lambd, ctx.given = lambd, given
        ctx.save_for_backward(x)
        # (torch holds lambd in x's dtype here: 0.6 rounded to float16 for float16)
        lam = x.dtype.type(lambd)
        return np.where((x >= -lam) & (x <= lam), x.dtype.type(0), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return HardshrinkBackward.apply(grad, x, lambd=ctx.lambd)


class HardshrinkBackward(_PiecewiseBackward):
    """hardshrink_backward: 0 where -lambd <= x <= lambd, else grad."""

    node_name = "HardshrinkBackwardBackward0"
    opmath = False  # torch tests |x| <= lambd with lambd rounded to x's dtype
    simd_nan, simd_bytes = 0.0, 64  # (a loop of one SIMD register per step)

    @staticmethod
    def kernel(grad, x, *, lambd):
        # zero inside [-lambd, lambd], so a NaN input passes its gradient
        return _zero_outside(~((x >= -lambd) & (x <= lambd)), grad)


def hardshrink(input, lambd=0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, 0 elsewhere."""
    x = _check("hardshrink", input)
    lambd = _number(lambd, "hardshrink", "lambd", 2)
    x = _float_input("hardshrink", x, "hardshrink_cpu")
    return Hardshrink.apply(x, lambd=float(lambd), given=(lambd,))


class Softshrink(Primitive):
    """out = x - lambd if x > lambd, x + lambd if x < -lambd, else x * 0;
    grad_x = 0 if -lambd <= x <= lambd else grad."""

    node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, *, lambd, given):
        ctx.lambd, ctx.given = lambd, given  # (as Hardshrink's)
        ctx.save_for_backward(x)
        out = _opmath(Softshrink.kernel, x, lambd=lambd)
        # torch's SIMD loop gives +0.0 inside [-lambd, lambd] where its scalar loop's x * 0
        # is -0.0 for negative x: adding +0.0 turns -0.0 into +0.0, and nothing else
        lanes = _scalar_lanes(x, 64)  # (a loop of one SIMD register per step)
        if lanes is None:
            out += out.dtype.type(0)
        elif isinstance(lanes, int):
            out.reshape(-1)[:lanes] += out.dtype.type(0)
        else:
            out[~lanes] += out.dtype.type(0)
        return out

    @staticmethod
    def kernel(x, *, lambd):
        lam = x.dtype.type(lambd)
        # torch's kernel ends in x * 0, not 0: -0.0 for negative x and NaN for NaN
        return np.where(x > lam, x - lam, np.where(x < -lam, x + lam, x * x.dtype.type(0)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return SoftshrinkBackward.apply(grad, x, lambd=ctx.lambd)


class SoftshrinkBackward(HardshrinkBackward):
    """softshrink_backward: the same selection as hardshrink_backward."""

    node_name = "SoftshrinkBackwardBackward0"


def softshrink(input, lambd=0.5) -> Tensor:  # noqa: A002
    """Shrink x towards 0 by lambd; 0 inside [-lambd, lambd]."""
    x = _check("softshrink", input)
    lambd = _number(lambd, "softshrink", "lambd", 2)
    x = _float_input("softshrink", x, "softshrink_check")
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    return Softshrink.apply(x, lambd=float(lambd), given=(lambd,))


# ---------------------------------------------------------------------------------------
# exponential linear units: elu, selu, celu
#
# torch's elu kernel computes expm1(x * input_scale) * alpha * scale for x < 0, and which
# expm1 depends on the element's place in memory: its CPU loop runs SIMD code (SLEEF's
# expm1: the nearest float but for ~0.1% of inputs, and exactly -1 below -16.64 in
# float32) over blocks of 2 x 64 bytes of each contiguous run, and a scalar loop (the C
# library's expm1: glibc's, an ulp off the nearest float for ~8% of float32 inputs) over
# the rest of the run, which is all of a small tensor. torchlet computes the nearest
# float, with SLEEF's cut-off in the SIMD lanes: within an ulp of torch everywhere.

def _scalar_lanes(x: np.ndarray, simd_bytes: int = 128):
    """Where torch's elementwise CPU loop computes x's elements with its scalar code: None
    (nowhere), an int i for a C-contiguous x (its flat elements from i on), or else a
    boolean mask of x's shape. Each contiguous run of x in memory (TensorIterator coalesces
    the dimensions that continue one another) gets SIMD code on its first whole blocks of
    ``simd_bytes`` (two AVX-512 registers a step in cpu_kernel_vec, one in some kernels'
    own loops: measured per kernel); a run of stride other than one element is all
    scalar code. (One thread: torch splits a tensor of more than 32768 elements between
    its threads, each with its own tail.)"""
    block = simd_bytes // x.itemsize
    if x.flags.c_contiguous:
        vector = x.size // block * block
        return None if vector == x.size else vector
    # memory order: the dimensions by decreasing stride (size-1 ones play no part)
    dims = sorted((d for d in range(x.ndim) if x.shape[d] > 1),
                  key=lambda d: abs(x.strides[d]), reverse=True)
    if not dims or abs(x.strides[dims[-1]]) != x.itemsize:
        return np.ones(x.shape, dtype=bool)
    run, inner = 1, len(dims)
    while inner > 0 and abs(x.strides[dims[inner - 1]]) == run * x.itemsize:
        inner -= 1
        run *= x.shape[dims[inner]]
    vector = run // block * block
    if vector == run:
        return None
    lanes = np.zeros((x.size // run, run), dtype=bool)
    lanes[:, vector:] = True
    order = dims + [d for d in range(x.ndim) if x.shape[d] == 1]
    lanes = lanes.reshape([x.shape[d] for d in order])
    return lanes.transpose(np.argsort(order))


# SLEEF's expm1 is exactly -1 below these (float32, float64)
_SLEEF_EXPM1_SATURATES = {np.dtype(np.float32): np.float32(-16.635532333438687426013570),
                          np.dtype(np.float64): -36.736800569677101399113302437}


def _expm1_as_torch(z: np.ndarray, scalar_lanes) -> np.ndarray:
    """expm1(z) (float32 or float64) as torch's elementwise loop computes it, within an ulp:
    the nearest float, but -1 past SLEEF's cut-off outside ``scalar_lanes`` (``_scalar_lanes``
    of the input; z is laid out as it)."""
    out = _libm(np.expm1, z)
    cut = _SLEEF_EXPM1_SATURATES[z.dtype]
    if not z.size or z.min() >= cut:
        return out
    saturated = z < cut
    if isinstance(scalar_lanes, int):
        saturated.reshape(-1)[scalar_lanes:] = False  # (a view: z is C-contiguous here)
    elif scalar_lanes is not None:
        saturated &= ~scalar_lanes
    out[saturated] = -1
    return out


class Elu(Primitive):
    """out = scale * x if x > 0 else alpha * scale * (exp(x * input_scale) - 1);
    grad_x = grad * input_scale * alpha * scale * exp(x * input_scale) where x <= 0,
    else grad * scale.  (selu and celu are elu with particular constants.)

    Constants are combined as torch combines them, in the input's precision
    (alpha * scale rounded to float32 for float32), and the backward tests x <= 0 as
    torch's kernel does, so a NaN input gets the linear branch's gradient."""

    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        ctx.params = (alpha, scale, input_scale)
        ctx.save_for_backward(x)
        return _opmath(Elu.kernel, x, params=ctx.params, scalar_lanes=_scalar_lanes(x))

    @staticmethod
    def kernel(x, *, params, scalar_lanes):
        alpha, scale, input_scale = params
        t = x.dtype.type
        negative = _expm1_as_torch(x * t(input_scale), scalar_lanes) * (t(alpha) * t(scale))
        # torch's forward takes the linear branch at both zeros (measured: elu(+-0.0,
        # alpha=-0.5) keeps the zero's sign), though its backward tests x <= 0
        return select(x < 0, negative, x * t(scale))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return EluBackward.apply(grad, x, params=ctx.params, is_result=False)


class EluBackward(_SmoothBackward):
    """elu_backward (selu's and celu's too), from the input x or, for the in-place forms,
    from the result (``is_result``):
    out = grad * input_scale * alpha * scale * exp(x * input_scale) where x <= 0
          (from the result: grad * input_scale * (out + alpha * scale) where out <= 0),
          grad * scale elsewhere;
    grad_x = elu_backward(v * grad * input_scale) where x < 0, else 0
    (from the result: v * grad * input_scale where out < 0), torch's elu_double_backward:
    0 at x = 0, where the first derivative is alpha * scale."""

    node_name = "EluBackwardBackward0"
    simd_nan = np.nan

    @staticmethod
    def kernel(grad, x, *, params, is_result):
        t = x.dtype.type
        negcoef, poscoef, negiptcoef = map(t, _elu_coefficients(x.dtype, params))
        if is_result:
            negative = grad * negiptcoef * (x + negcoef)
        else:
            negative = grad * negiptcoef * negcoef * _libm(np.exp, x * negiptcoef)
        return select(x <= 0, negative, grad * poscoef)

    @staticmethod
    def double(v, grad, x, *, params, is_result):
        input_scale = params[2]
        vg = v * grad * input_scale
        if not is_result:
            vg = EluBackward.apply(vg, x, params=params, is_result=False)
        return vg * _mask(x._data < 0, vg)


def _elu_coefficients(dtype, params):
    """torch's negcoef = alpha * scale, poscoef = scale, negiptcoef = input_scale, each
    held (and the product taken) in the input's precision."""
    alpha, scale, input_scale = params
    t = dtype.type
    return float(t(alpha) * t(scale)), float(t(scale)), float(t(input_scale))


class EluInplace(Elu):
    """elu_ (and selu_, celu_): the input is overwritten, so torch's backward works from
    the result: grad * input_scale * (out + alpha * scale) where out <= 0."""

    node_name = "EluBackward1"

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        out = Elu.forward(ctx, x, alpha=alpha, scale=scale, input_scale=input_scale)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return EluBackward.apply(grad, out, params=ctx.params, is_result=True)


class Celu(Elu):
    """celu = elu with input_scale 1 / alpha; torch's backward takes that scale as
    1.0 / alpha.toFloat() (derivatives.yaml): alpha rounded to float32 first."""

    node_name = "CeluBackward0"

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        out = Elu.forward(ctx, x, alpha=alpha, scale=scale, input_scale=input_scale)
        ctx.params = (alpha, scale, 1.0 / float(np.float32(alpha)))
        return out


class CeluInplace(EluInplace):
    node_name = "CeluBackward1"

    @staticmethod
    def forward(ctx, x, *, alpha, scale, input_scale):
        out = EluInplace.forward(ctx, x, alpha=alpha, scale=scale, input_scale=input_scale)
        ctx.params = (alpha, scale, 1.0 / float(np.float32(alpha)))
        return out


def _elu(name, primitive, inplace_primitive, x, inplace, **params):
    x = _float_input(name + "_" if inplace else name, x, "elu_cpu")
    if inplace:
        return _inplace(x, lambda t: inplace_primitive.apply(t, **params))
    return primitive.apply(x, **params)


def elu(input, alpha=1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _check("elu_" if inplace else "elu", input)
    alpha = _number(alpha, "elu_" if inplace else "elu", "alpha", 2)
    # the numbers as torch's Scalars keep them (grad_fn._saved_*): alpha as given, the
    # defaults of scale and input_scale the int 1
    return _elu("elu", Elu, EluInplace, input, inplace, alpha=alpha, scale=1, input_scale=1)


def elu_(input, alpha=1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, inplace=True)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with torch's self-normalising constants (EluBackward0)."""
    return _elu("selu", Elu, EluInplace, input, inplace, alpha=SELU_ALPHA, scale=SELU_SCALE,
                input_scale=1)


def selu_(input) -> Tensor:  # noqa: A002
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _check("celu_" if inplace else "celu", input)
    alpha = _number(alpha, "celu_" if inplace else "celu", "alpha", 2)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu("celu", Celu, CeluInplace, input, inplace, alpha=alpha, scale=1.0,
                input_scale=1.0 / alpha)


def celu_(input, alpha=1.0) -> Tensor:  # noqa: A002
    return celu(input, alpha, inplace=True)


# ---------------------------------------------------------------------------------------
# sigmoid and tanh (torch's F.sigmoid and F.tanh are the tensor methods)


def sigmoid(input) -> Tensor:  # noqa: A002 - torch's F.sigmoid is input.sigmoid()
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "sigmoid")
    return _sigmoid_op(input)


def tanh(input) -> Tensor:  # noqa: A002 - torch's F.tanh is input.tanh()
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "tanh")
    return _tanh_op(input)


# ---------------------------------------------------------------------------------------
# hard (piecewise-linear) sigmoid and swish


def _shifted_relu6(x: np.ndarray) -> np.ndarray:
    """min(max(x + 3, 0), 6): hardsigmoid divides it by 6, hardswish computes
    x * it / 6 (in that order, as torch's kernels)."""
    t = x.dtype.type
    return np.minimum(np.maximum(x + t(3), t(0)), t(6))


class Hardsigmoid(Primitive):
    """out = clamp(x + 3, 0, 6) / 6;  grad_x = grad / 6 where -3 < x < 3, else 0."""

    node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x, saved=None):
        ctx.save_for_backward(x if saved is None else saved)  # (see _inplace_saving_input)
        return _opmath(lambda v: _shifted_relu6(v) / v.dtype.type(6), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # edges only for the operands that need a gradient (see HardsigmoidBackward)
        needing = [t for t in (grad, x) if t.requires_grad]
        return HardsigmoidBackward.apply(*needing, grad=grad._data, x=x._data)


class HardsigmoidBackward(Primitive):
    """hardsigmoid_backward: grad / 6 where -3 < x < 3, else 0. torch gives it no
    derivative (derivatives.yaml has no entry): its autograd fallback records a
    NotImplemented node, and a backward through it raises. That fallback links the node
    only to the operands that require grad (in order grad_output, self), so ``inputs``
    are those tensors, for the edges only; the kernel reads the arrays ``grad`` and ``x``."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, *inputs, grad, x):
        if x.dtype == np.float16:  # torch compares, scales in float32
            out = _hardsigmoid_grad(grad.astype(np.float32), x.astype(np.float32))
            out = out.astype(np.float16)
        else:
            out = _hardsigmoid_grad(grad, x)
        return out if _c_ordered(grad, x) else relaid(out, (grad, x))

    @staticmethod
    def backward(ctx, v):
        raise RuntimeError("derivative for aten::hardsigmoid_backward is not implemented")


def _hardsigmoid_grad(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    return _zero_outside((x > -3) & (x < 3), _scaled(grad, _ONE_SIXTH))


# torch's kernel writes 1/6 as the float expression 1.0f / 6.0f, for every dtype
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))


def hardsigmoid(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """0 below -3, 1 above 3, x / 6 + 1 / 2 between."""
    x = _float_input("hardsigmoid", input, "hardsigmoid_cpu")
    return _inplace_saving_input(x, Hardsigmoid) if inplace else Hardsigmoid.apply(x)


class Hardswish(Primitive):
    """out = x * clamp(x + 3, 0, 6) / 6;
    grad_x = 0 for x <= -3, grad * (x / 3 + 1/2) for -3 < x < 3, else grad."""

    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x, saved=None):
        ctx.save_for_backward(x if saved is None else saved)  # (see _inplace_saving_input)
        return _opmath(lambda v: v * _shifted_relu6(v) / v.dtype.type(6), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return HardswishBackward.apply(grad, x)


class HardswishBackward(_SmoothBackward):
    """hardswish_backward: out = 0 where x <= -3, grad * (x / 3 + 1/2) where x < 3, else
    grad (so a NaN input passes its gradient);  grad_x = v * grad / 3 where -3 < x < 3,
    else 0 (derivatives.yaml)."""

    node_name = "HardswishBackwardBackward0"
    simd_nan = np.nan

    @staticmethod
    def kernel(grad, x):
        t = x.dtype.type
        sloped = select(x < 3, grad * (x / t(3) + t(0.5)), grad)
        return _zero_outside(~(x <= -3), sloped)

    @staticmethod
    def double(v, grad, x):
        data = x._data
        return _keep(v * grad / 3.0, (-3 < data) & (data < 3))


def hardswish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * hardsigmoid(x)."""
    x = _float_input("hardswish", input, "hardswish_cpu")
    return _inplace_saving_input(x, Hardswish) if inplace else Hardswish.apply(x)


# ---------------------------------------------------------------------------------------
# composite ones, as torch writes them


def softsign(input) -> Tensor:  # noqa: A002
    """x / (1 + |x|) (torch composes it: DivBackward0)."""
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "abs")
    return input / (input.abs() + 1)


def tanhshrink(input) -> Tensor:  # noqa: A002
    """x - tanh(x) (torch composes it: SubBackward0)."""
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "tanh")
    return input - input.tanh()


# ---------------------------------------------------------------------------------------
# prelu, rrelu


class Prelu(Primitive):
    """out = x if x > 0 else w * x (one w per channel, dim 1, or a single w);
    grad_x = grad if x > 0 else w * grad,  grad_w = sum of x * grad where x <= 0."""

    node_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, w):
        # a per-channel weight lines up with dim 1: (C,) -> (C, 1, ..., 1)
        w_b = w.reshape((-1,) + (1,) * (x.ndim - 2)) if w.size > 1 else w.reshape(())
        ctx.w_shape, ctx.w_b_shape = w.shape, w_b.shape
        ctx.save_for_backward(x, w)
        return _empty_like_layout(select(x > 0, x, w_b * x), x)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad
        grad_x = PreluInputBackward.apply(grad, x, w.reshape(ctx.w_b_shape)) if need_x else None
        grad_w = None
        if need_w:
            contrib = PreluWeightBackward.apply(grad, x)
            dims = [d for d in range(x._data.ndim) if not (w._data.size > 1 and d == 1)]
            grad_w = contrib.sum(dims).reshape(ctx.w_shape) if dims else contrib.reshape(
                ctx.w_shape)
        return grad_x, grad_w


# torch's _prelu_kernel_backward returns both gradients from one node; torchlet splits it
# in two of the same name (each output's derivatives are separate sums in derivatives.yaml).
# derivatives.yaml tests x >= 0 where the kernel tests x > 0: at x = 0 the second
# derivatives take the positive piece, as torch's do.


class PreluInputBackward(Primitive):
    """out = grad where x > 0, else w * grad (w broadcast against x);
    grad_grad = v where x >= 0, else w * v;  grad_x = 0;  grad_w = 0 where x >= 0, else
    grad * v."""

    node_name = "PreluKernelBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, w):
        ctx.save_for_backward(grad, x, w)
        out = select(x > 0, grad, grad * w)
        if _c_ordered(grad, x):
            return out
        return relaid(out, (x, grad))  # (torch's kernel takes x first)

    @staticmethod
    def backward(ctx, v):
        grad, x, w = ctx.saved_tensors
        need_grad, need_x, need_w = ctx.needs_input_grad
        nonnegative = x._data >= 0
        return (_pick(nonnegative, v, v * w) if need_grad else None,
                zeros_like(v) if need_x else None,
                _keep(grad * v, ~nonnegative) if need_w else None)


class PreluWeightBackward(Primitive):
    """out = 0 where x > 0, else x * grad (x's shape: Prelu sums it to w's);
    grad_grad = 0 where x >= 0, else x * v;  grad_x = 0 where x >= 0, else grad * v."""

    node_name = "PreluKernelBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x):
        ctx.save_for_backward(grad, x)
        return _zero_outside(~(x > 0), grad * x)

    @staticmethod
    def backward(ctx, v):
        grad, x = ctx.saved_tensors
        need_grad, need_x = ctx.needs_input_grad
        negative = ~(x._data >= 0)
        return (_keep(x * v, negative) if need_grad else None,
                _keep(grad * v, negative) if need_x else None)


def prelu(input, weight) -> Tensor:  # noqa: A002
    """x if x > 0 else weight * x, with a learnable slope per channel (dim 1) or one
    shared slope."""
    x = _check("prelu", input)
    w = _check("prelu", weight)
    # torch's checks, in its order: one dtype, then (for more than one weight) a channel
    # dimension to match, then the weight's dimensions; a 0-d input with one weight is fine
    if x._data.dtype != w._data.dtype:
        raise RuntimeError(
            "prelu: Type promoting not supported. Got "
            f"{_TYPE_WORD[x._data.dtype.name]} and {_TYPE_WORD[w._data.dtype.name]}")
    if w._data.size != 1:
        if x._data.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x._data.shape[1] if x._data.ndim >= 2 else 1
        if w._data.size != channels:
            raise RuntimeError(
                "Mismatch of parameter numbers and input channel size. Found parameter "
                f"numbers = {w._data.size} and channel size = {channels}.")
    if w._data.ndim > 1:
        raise RuntimeError(
            "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
            f"{w._data.ndim}"
        )
    x = _float_input("prelu", x, "prelu_cpu")
    return Prelu.apply(x, w)


class RreluWithNoise(Primitive):
    """out = x if x > 0 else noise * x;  grad_x = grad if x > 0 else noise * grad.
    In eval mode the noise is the fixed slope (lower + upper) / 2. ``lower``, ``upper``
    (the numbers as given) and ``training`` are only kept, as torch's node keeps them."""

    node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, *, noise, lower=None, upper=None, training=None):
        ctx.noise = noise
        ctx.lower, ctx.upper, ctx.training = lower, upper, training
        ctx.save_for_backward(x)
        # torch writes a new contiguous tensor, whatever x's strides
        return np.asarray(_opmath(lambda v: select(v > 0, v, v * noise), x), order="C")

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return RreluWithNoiseBackward.apply(grad, x, noise=ctx.noise)


class RreluWithNoiseBackward(_PiecewiseBackward):
    """rrelu_with_noise_backward: grad where x > 0, else noise * grad; in training (a
    noise array, 1 where x > 0) torch's grad * noise, the same numbers, which also holds
    when x is the result (a negative slope flips its sign)."""

    node_name = "RreluWithNoiseBackwardBackward0"
    self_first = True  # (torch's calls leaky_relu_backward)

    @staticmethod
    def kernel(grad, x, *, noise):
        if isinstance(noise, np.ndarray):
            return grad * noise
        return select(x > 0, grad, grad * noise)


class RreluWithNoiseInplace(RreluWithNoise):
    """rrelu_ (RreluWithNoiseBackward1): as leaky_relu_, the backward works from the
    result; in eval mode a negative slope is torch's error there."""

    node_name = "RreluWithNoiseBackward1"

    @staticmethod
    def forward(ctx, x, *, noise, lower=None, upper=None, training=None):
        out = RreluWithNoise.forward(ctx, x, noise=noise, lower=lower, upper=upper,
                                     training=training)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if not isinstance(ctx.noise, np.ndarray):
            _check_result_slope(ctx.noise)
        return RreluWithNoiseBackward.apply(grad, out, noise=ctx.noise)


def _rrelu_noise(x: np.ndarray, lower: float, upper: float, training: bool):
    """The slope of each element: (lower + upper) / 2 in eval mode; in training a draw of
    U(lower, upper) for every x <= 0, in memory order, from the default generator (as
    torch's CPU kernel, one 53-bit double per drawn element)."""
    if not training or upper - lower <= 1e-6:  # torch's leaky_relu: float32 for float16
        return (np.float32 if x.dtype == np.float16 else x.dtype.type)((lower + upper) / 2)
    if on_meta(x):  # no values to test: meta noise, nothing drawn (as torch)
        return meta_array(x.shape, x.dtype)
    from torchlet.nn._functional.dropout import _default_generator

    # torch holds lower and upper in the input's precision, then draws in double
    lower, upper = float(x.dtype.type(lower)), float(x.dtype.type(upper))
    noise = np.ones(x.shape, dtype=x.dtype)
    negative = ~(x > 0)
    u = _default_generator()._u53(int(np.count_nonzero(negative)))
    noise[negative] = (u * (upper - lower) + lower).astype(x.dtype)
    return noise


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False) -> Tensor:
    """Randomized leaky relu: slope (lower + upper) / 2 in eval mode, a random slope in
    [lower, upper] per negative element in training."""
    name = "rrelu_" if inplace else "rrelu"
    x = _check(name, input)
    given = {"lower": _number(lower, name, "lower", 2),
             "upper": _number(upper, name, "upper", 3), "training": bool(training)}
    lower, upper = float(given["lower"]), float(given["upper"])
    if VMAP.batch is not None:  # (inside vmap or jacfwd) torch has no batching rule for it
        raise RuntimeError(f"vmap: we do not yet support aten::{name}. Please file an issue")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    # in eval mode torch runs leaky_relu, and its error names that kernel
    x = _float_input(name, x, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    noise = _rrelu_noise(x._data, lower, upper, training)
    if inplace:
        return _inplace(x, lambda t: RreluWithNoiseInplace.apply(t, noise=noise, **given))
    return RreluWithNoise.apply(x, noise=noise, **given)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)

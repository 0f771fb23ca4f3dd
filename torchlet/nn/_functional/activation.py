"""Activation functions: softmax, log_softmax, softmin and the elementwise activations.

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
blocks of 16 or 32 elements and a scalar one for the rest (all of a small tensor); where
they disagree at NaN or -0.0 (the backwards of elu, hardswish, hardtanh, hardshrink and
softshrink, softshrink's zeros) torchlet follows the scalar loop.

float16 is computed as torch's CPU kernels compute it: in float32, rounded once
(``_opmath``, ``_opmath_grad``), with the exceptions torch has (hardshrink's lambd and
the sigmoid buffer of glu's backward are float16; last-dim log_softmax rounds its sum of
exps and their log to float16; silu's and mish's gradients under create_graph are
built from float16 operations).

gelu follows torch's own kernel. torch hands contiguous float32 inputs of two or more
elements to oneDNN instead, whose erf approximation differs from erf by a few ulps and
by more in the far negative tail (gelu(-3) is -0.004050225 there, not -0.004049689;
below -5.54 it is -0.0): torchlet computes the formula, not oneDNN's approximation.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._device import meta_array, on_meta
from torchlet._dtype import no_attribute_error, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.indexing._common import relaid
from torchlet._ops.pointwise import exp, to, zeros_like
from torchlet._ops.pointwise import relu as _relu_op
from torchlet._ops.pointwise import sigmoid as _sigmoid_op
from torchlet._ops.pointwise import tanh as _tanh_op
from torchlet._ops.pointwise._libm import rounded_once as _libm  # float32 math as torch rounds it
from torchlet._ops.pointwise._libm import sigmoid as _libm_sigmoid
from torchlet._ops.pointwise.arithmetic import Addcmul
from torchlet._ops.pointwise.binary import Where, select
from torchlet._ops.pointwise.special import _AddNumber
from torchlet._ops.pointwise.unary import _erf
from torchlet._ops.reduction._common import reduction_layout
from torchlet._random_kernels import VMAP
from torchlet._tensor import Tensor, _inplace, _wrap_dim, dim_arg, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional._rows import per_row

__all__ = [
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
    "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "log_softmax", "logsigmoid", "mish",
    "prelu", "relu", "relu6", "relu_", "rrelu", "rrelu_", "selu", "selu_", "sigmoid", "silu",
    "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink",
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

    @staticmethod
    def forward(ctx, grad, x, **params):
        ctx.params = params
        ctx.save_for_backward(x)
        if x.dtype == np.float16 and ctx.opmath:  # torch compares, scales in float32
            out = ctx.kernel(grad.astype(np.float32), x.astype(np.float32),
                             **params).astype(np.float16)
        else:
            out = ctx.kernel(grad, x, **params)
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

    @classmethod
    def forward(cls, ctx, grad, x, **params):
        ctx.params = params
        ctx.save_for_backward(grad, x)
        if x.dtype == np.float16:
            out = cls.kernel(grad.astype(np.float32), x.astype(np.float32), **params)
            out = out.astype(np.float16)
        else:
            out = cls.kernel(grad, x, **params)
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


def _mask(condition: np.ndarray, like: Tensor) -> Tensor:
    """``condition.type_as(like)``: 1 where it holds, 0 elsewhere (torch's
    double backwards multiply by such a mask, so an inf or NaN gives NaN there)."""
    return wrap(condition.astype(like._data.dtype))


def _zero_outside(keep: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``grad`` where ``keep`` holds, +0.0 elsewhere."""
    return select(keep, grad, grad.dtype.type(0))


def _scaled(grad: np.ndarray, c: float) -> np.ndarray:
    """``grad * c`` with c held in grad's precision, as torch's kernels hold it (float16
    reaches here in float32: _PiecewiseBackward widens it)."""
    return grad * grad.dtype.type(c)


# ---------------------------------------------------------------------------------------
# softmax, log_softmax, softmin


def _softmax_np(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """Softmax (or its log) along ``dim``, the largest entry subtracted first so that exp
    never overflows: logits of +-1e4 give finite results. A slice that is all -inf (or
    holds +inf) gives nan, as in torch."""
    if x.ndim == 0:
        return _softmax_np(x.reshape(1), 0, log).reshape(())
    if x.size == 0:
        return np.empty_like(x)
    if x.dtype == np.float16:
        return _softmax_half(x, dim, log)
    if log and x.dtype in _LANES and _is_lastdim(x.shape, dim):
        return _log_softmax_lastdim(x, x.shape[dim])
    if dim == x.ndim - 1 and _short_rows(x):
        out = _softmax_short_rows(x, log)
        if out is not None:
            return out
    # (the ufuncs' reduce: np.max and np.sum add a Python wrapper's microseconds)
    shifted = _along(np.subtract, x, np.maximum.reduce(x, axis=dim, keepdims=True), dim)
    if log:  # torch's order: (x - max) - log(sum(exp(x - max)))
        log_sum = _libm(np.log, np.add.reduce(_libm(np.exp, shifted), axis=dim, keepdims=True))
        return _along(np.subtract, shifted, log_sum, dim, out=shifted)
    e = np.exp(shifted, out=shifted)
    return _along(np.multiply, e, 1 / np.add.reduce(e, axis=dim, keepdims=True), dim, out=e)


# torch's vectorised last-dim log_softmax (_vec_log_softmax_lastdim) on AVX512: vectors of
# 16 float32 or 8 float64 lanes
_LANES = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}


def _log_softmax_lastdim(x: np.ndarray, n: int) -> np.ndarray:
    """log_softmax over rows of ``n`` (the last dim, or one followed by sizes 1) in torch's
    order, for float32 and float64: the row's max; exp(x - max) (rounded once, as SLEEF's
    exp nearly always is) summed in vector lanes (``_lane_sums``); the log of the sum;
    (x - max) - log(sum). Measured against torch on random rows: 0.2-1.5% of float32
    values an ulp off (torch's exp and log), where NumPy's own order and float32 exp gave
    5-16%. Short rows are reduced over the transposed rows (one NumPy call per reduction,
    not one per row); a +-0.0 tie for the max may give the opposite zero where the
    result is 0."""
    rows = x.reshape(-1, n)
    lanes = _LANES[x.dtype]
    if n * x.itemsize <= _ROW_BYTES and len(rows) > 1:
        top = np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0)[:, None]
    else:
        top = np.maximum.reduce(rows, axis=1, keepdims=True)
    shifted = np.subtract(rows, top)
    total = _lane_sums(_libm(np.exp, shifted), lanes)
    out = np.subtract(shifted, _libm(np.log, total)[:, None], out=shifted)
    return out.reshape(x.shape)


def _lane_sums(e: np.ndarray, lanes: int) -> np.ndarray:
    """The sum of each row of ``e`` (rows, n) as torch's ``vec::map_reduce_all`` adds it:
    a row shorter than a vector one number after another; a longer one in ``lanes``
    partial sums (lane l takes numbers l, l + lanes, ... of the full vectors, then the
    leftover n % lanes numbers go to the first lanes), the lanes then added as AVX512's
    float32 ``vec_reduce_all`` does (a tree: lane l plus lane l + 8, + 4, + 2, + 1) or,
    for float64, one after another. Each reduce here runs over the first axis of a
    C-contiguous block of 2+ columns, which NumPy adds row after row (not pairwise)."""
    count, n = e.shape
    if n < lanes:
        return _in_order(e)
    full = n - n % lanes
    vectors = full // lanes
    if vectors > 4:  # (NumPy reduces a middle axis slowly: the vectors brought to the front)
        blocks = e[:, :full].reshape(count, vectors, lanes).transpose(1, 0, 2)
        acc = np.add.reduce(np.ascontiguousarray(blocks), axis=0)
    else:
        acc = e[:, :lanes].copy()
        for start in range(lanes, full, lanes):
            acc += e[:, start:start + lanes]
    if full < n:
        acc[:, :n - full] += e[:, full:]
    if e.dtype == np.float64:
        return _in_order(acc)
    acc = np.ascontiguousarray(acc.T)  # (lanes, rows): the tree's steps on whole rows
    while lanes > 1:
        lanes //= 2
        acc = acc[:lanes] + acc[lanes:2 * lanes]
    return acc[0]


def _in_order(a: np.ndarray) -> np.ndarray:
    """The sum of each row of ``a`` (rows, m), added left to right."""
    if len(a) > 1:
        return np.add.reduce(np.ascontiguousarray(a.T), axis=0)
    return np.add.accumulate(a[0])[-1:]


# Last-dim softmax over many short rows (attention scores, small logits): NumPy's reduce
# along a short last axis calls its inner loop once per row (40-50 ns each); over the
# transposed rows each reduction runs over all the rows at once. Measured against the
# general path: rows of up to 128 bytes from 256 rows on (1.1 to 3.4 times as fast:
# (8, 4, 32, 32) float32 1.2, (4096, 16) 2.3, (1024, 3) 3.4); longer or fewer rows lose.
_ROW_BYTES = 128
_MANY_ROWS = 256
_ROW_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _short_rows(x: np.ndarray) -> bool:
    """Whether ``_softmax_short_rows`` takes ``x`` (softmax over its last dim)."""
    n = x.shape[-1]
    return (1 < n and n * x.itemsize <= _ROW_BYTES and x.size >= _MANY_ROWS * n
            and x.dtype in _ROW_DTYPES and x.flags.c_contiguous)


def _softmax_short_rows(x: np.ndarray, log: bool):
    """``_softmax_np(x, -1, log)`` (the same bits) with its two reductions taken over the
    transposed rows, each row a column of (n, rows): then each runs over all the rows at
    once. The max of a row is the same whatever order it is taken in, but for a tie of
    0.0 and -0.0 or a NaN (which one NumPy's reduce returns): None then, and the caller
    takes the general path. The sum of exps follows NumPy's pairwise order along a row
    (``_numpy_pairwise``), as ``np.add.reduce`` adds. The rest stays in x's layout
    (transposing back costs more than a broadcast over short rows)."""
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    top = np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0)
    if not (np.abs(top) > 0).all():  # (NaN is not > 0 either)
        return None
    shifted = np.subtract(rows, top[:, None])
    e = np.exp(shifted, out=None if log else shifted)
    total = _numpy_pairwise(np.ascontiguousarray(e.T))
    if log:  # torch's order: (x - max) - log(sum(exp(x - max)))
        out = np.subtract(shifted, np.log(total)[:, None], out=shifted)
    else:
        out = np.multiply(e, (1 / total)[:, None], out=e)
    return out.reshape(x.shape)


def _row_sums(a: np.ndarray, dim: int) -> np.ndarray:
    """``np.add.reduce(a, axis=dim, keepdims=True)`` (the same bits), over the transposed
    rows where that is quicker: a sum alone costs less per row than softmax's max, so
    rows of up to 64 bytes from 1024 rows on (measured: 1.1 to 1.8 times as fast, (4096,
    16) float32 1.14, (1024, 3) 1.8; fewer or longer rows lose). A NaN sum is recomputed
    by NumPy's reduce: with several NaNs (or inf - inf) in a row, which NaN comes out
    depends on the order of operands, which ``_numpy_pairwise`` does not promise."""
    if (dim == a.ndim - 1 and a.shape[-1] * a.itemsize <= _ROW_BYTES // 2
            and a.size >= 4 * _MANY_ROWS * a.shape[-1] and _short_rows(a)):
        n = a.shape[-1]
        total = _numpy_pairwise(np.ascontiguousarray(a.reshape(-1, n).T))
        if not np.isnan(total).any():
            return total.reshape(a.shape[:-1] + (1,))
    return np.add.reduce(a, axis=dim, keepdims=True)


def _numpy_pairwise(a: np.ndarray) -> np.ndarray:
    """``np.add.reduce`` of each column of ``a`` (m, columns), 2+ columns, as NumPy adds a
    contiguous row of m numbers: 0.0 (its identity) plus the row's pairwise sum
    (``_pairwise``, NumPy's ``pairwise_sum`` in loops_utils.h). tests/test_speed18.py
    checks it against the installed NumPy on random rows with -0.0 and +-inf (and NaN,
    but for which NaN comes out of a row holding several)."""
    return np.add(_pairwise(a), 0.0, out=None)


def _pairwise(a: np.ndarray) -> np.ndarray:
    """NumPy's pairwise sum of each column of ``a``: below 8 numbers in order; up to 128
    in 8 interleaved partial sums (number i into partial i % 8, the partials added as a
    tree), then the leftover m % 8 in order; above, the two halves (cut at a multiple of
    8) on their own, then added. Every step is a reduce over axis 0 of a C-contiguous
    block (2+ columns), which adds row after row."""
    m = len(a)
    if m > 128:
        half = m // 2 - m // 2 % 8
        return _pairwise(a[:half]) + _pairwise(a[half:])
    if m < 8:
        return np.add.reduce(a, axis=0)
    full = m - m % 8
    r = np.add.reduce(a[:full].reshape(full // 8, 8, -1), axis=0) if full > 8 else a[:8]
    r = r[0::2] + r[1::2]
    r = r[0::2] + r[1::2]
    total = r[0] + r[1]
    if full < m:
        total = np.add.reduce(np.concatenate((total[None], a[full:])), axis=0)
    return total


def _softmax_half(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """float16 softmax as torch's kernels compute it: in float32, rounded once. Along
    the last dimension (nothing after dim but sizes 1) log_softmax keeps the sum of exps
    and its log in float16 buffers: log_softmax([25., 19.]) is -2.9259e-03, where float32
    throughout gives -2.4757e-03."""
    x = x.astype(np.float32)
    shifted = x - np.max(x, axis=dim, keepdims=True)
    e = _libm(np.exp, shifted)
    total = np.sum(e, axis=dim, keepdims=True)
    if not log:
        return (e * (1 / total)).astype(np.float16)
    if _is_lastdim(x.shape, dim):
        total = _round_half(total)
        return (shifted - _round_half(_libm(np.log, total))).astype(np.float16)
    return (shifted - _libm(np.log, total)).astype(np.float16)


def _is_lastdim(shape, dim: int) -> bool:
    """Whether torch runs its last-dimension softmax kernel (inner size 1)."""
    return math.prod(shape[dim + 1:]) == 1


def _round_half(a: np.ndarray) -> np.ndarray:
    """float32 values rounded to float16 and back (a float16 buffer in torch's kernel)."""
    return a.astype(np.float16).astype(np.float32)


def _along(ufunc, a: np.ndarray, values: np.ndarray, dim: int, out=None) -> np.ndarray:
    """``ufunc(a, values)``, ``values`` reduced along ``dim`` with keepdims: per_row's
    faster broadcast for the rows of a matrix, else NumPy's."""
    if a.ndim == 2 and dim == 1:
        return per_row(ufunc, a, values[:, 0], out)
    return ufunc(a, values, out=out)


def _softmax_backward_kernel(fn):
    """``fn(grad, out, dim=...)`` on any input: a 0-d one as one element, float16 in
    float32 and rounded once (torch accumulates half precision in float)."""
    def kernel(grad, out, *, dim):
        if out.ndim == 0:
            return kernel(grad.reshape(1), out.reshape(1), dim=0).reshape(())
        if out.dtype == np.float16:
            return fn(grad.astype(np.float32), out.astype(np.float32), dim=dim).astype(
                np.float16)
        return fn(grad, out, dim=dim)
    return kernel


@_softmax_backward_kernel
def _log_softmax_backward_np(grad, out, *, dim):
    """grad - exp(out) * sum(grad, dim), in torch's kernel's order."""
    e = np.exp(out)
    _along(np.multiply, e, _row_sums(grad, dim), dim, out=e)
    return np.subtract(grad, e, out=e)


@_softmax_backward_kernel
def _softmax_backward_np(grad, out, *, dim):
    """out * (grad - sum(grad * out, dim)), in torch's kernel's order."""
    total = _row_sums(grad * out, dim)
    diff = _along(np.subtract, grad, total, dim)
    return np.multiply(out, diff, out=diff)


class LogSoftmax(Primitive):
    """out = x - log(sum(exp(x), dim));
    grad_x = LogSoftmaxBackwardData(grad, out) = grad - exp(out) * sum(grad, dim)."""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim):
        ctx.dim = dim
        # torch writes a new contiguous tensor, whatever x's strides
        out = reduction_layout(_softmax_np(x, dim, log=True), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return LogSoftmaxBackwardData.apply(grad, out, dim=ctx.dim)


class LogSoftmaxBackwardData(Primitive):
    """log_softmax's gradient as an operation of its own (torch's
    _log_softmax_backward_data), fused in NumPy and differentiable again:
    out = g - exp(y) * sum(g, dim)  (g the incoming gradient, y log_softmax's output);
    grad_g = v - sum(v * exp(y), dim),  grad_y = -v * exp(y) * sum(g, dim)."""

    node_name = "LogSoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, grad, out, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(grad, out)
        return _log_softmax_backward_np(grad, out, dim=dim)

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        e = out.exp()
        grad_grad = v - (v * e).sum(ctx.dim, keepdim=True) if need_grad else None
        grad_out = -(v * e) * grad.sum(ctx.dim, keepdim=True) if need_out else None
        return grad_grad, grad_out


class Softmax(Primitive):
    """out = exp(x) / sum(exp(x), dim);
    grad_x = SoftmaxBackwardData(grad, out) = out * (grad - sum(grad * out, dim))."""

    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim):
        ctx.dim = dim
        out = reduction_layout(_softmax_np(x, dim, log=False), x)  # contiguous, as LogSoftmax
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return SoftmaxBackwardData.apply(grad, out, dim=ctx.dim)


class SoftmaxBackwardData(Primitive):
    """softmax's gradient as an operation of its own (torch's _softmax_backward_data),
    fused in NumPy and differentiable again:
    out = y * (g - sum(g * y, dim))  (g the incoming gradient, y softmax's output);
    grad_g = y * (v - sum(v * y, dim))  (the Jacobian diag(y) - y y^T is symmetric),
    grad_y = v * (g - sum(g * y, dim)) - g * sum(v * y, dim)."""

    node_name = "SoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, grad, out, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(grad, out)
        return _softmax_backward_np(grad, out, dim=dim)

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        dim = ctx.dim
        v_dot_y = (v * out).sum(dim, keepdim=True)
        grad_grad = out * (v - v_dot_y) if need_grad else None
        grad_out = None
        if need_out:
            grad_out = v * (grad - (grad * out).sum(dim, keepdim=True)) - grad * v_dot_y
        return grad_grad, grad_out


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's choice of dim when none is given (deprecated, so it warns)."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _dtype_arg(dtype, fn: str):
    """``dtype`` as torch's parser reads it: a torch.dtype or a Python type (float, int,
    bool); anything else is its TypeError, not NumPy's reading of a string."""
    if type(dtype) is _dtype.dtype or any(dtype is t for t in (float, int, bool)):
        return _dtype.to_dtype(dtype)
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")


def _softmax_like(primitive, kernel: str, x: Tensor, dim, dtype) -> Tensor:
    # (named after the kernel: torch's F.softmin is Python that calls input.softmax(dim))
    dim = dim_arg(dim, kernel, 1)
    if dtype is not None:  # torch casts first: ToCopyBackward0 under the softmax node
        x = to(x, _dtype_arg(dtype, kernel))
    data = x._data
    dim = _wrap_dim(dim, data.ndim)
    if data.dtype.kind != "f":
        where = "_lastdim" if data.ndim == 0 or dim == data.ndim - 1 else ""
        raise NotImplementedError(
            f'"{kernel}{where}_kernel_impl" not implemented for '
            f"'{_TYPE_WORD[data.dtype.name]}'"
        )
    return primitive.apply(x, dim=dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``: every slice becomes a probability distribution.
    ``dtype`` casts the input first."""
    if not isinstance(input, Tensor):  # (torch's F.softmax is Python: input.softmax(dim))
        raise no_attribute_error(input, "dim" if dim is None else "softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("softmax", x._data.ndim, _stacklevel)
    return _softmax_like(Softmax, "softmax", x, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x): finite where
    log(softmax(x)) would give -inf."""
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "dim" if dim is None else "log_softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("log_softmax", x._data.ndim, _stacklevel)
    return _softmax_like(LogSoftmax, "log_softmax", x, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """softmax(-x) along ``dim`` (as torch: a NegBackward0 under the SoftmaxBackward0)."""
    if not isinstance(input, Tensor):  # torch: (-input).softmax(dim)
        raise no_attribute_error(input if dim is None else -input,
                                 "dim" if dim is None else "softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("softmin", x._data.ndim, _stacklevel)
    return _softmax_like(Softmax, "softmax", -x, dim, dtype)


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
    def forward(ctx, x, *, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        ctx.save_for_backward(x)
        # torch's clamp replaces x only when it is beyond a bound: NaN stays NaN, and
        # -0.0 stays -0.0 (np.maximum(-0.0, 0.0) may give either zero)
        t = x.dtype.type
        out = np.where(x < lo, t(lo), x)
        return np.where(out > hi, t(hi), out)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return HardtanhBackward.apply(grad, x, lo=ctx.lo, hi=ctx.hi)


class HardtanhBackward(_PiecewiseBackward):
    """hardtanh_backward: 0 where x <= lo or x >= hi, else grad."""

    node_name = "HardtanhBackwardBackward0"

    @staticmethod
    def kernel(grad, x, *, lo, hi):
        # written as torch's kernel writes it, so that a NaN input passes its gradient
        return _zero_outside(~((x <= lo) | (x >= hi)), grad)


def _hardtanh_values(x: Tensor, lo, hi):
    if x._data.dtype.kind == "f":
        return lo, hi
    return int(lo), int(hi)  # torch clamps integer tensors with integer bounds


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
        return _inplace(x, lambda t: Hardtanh.apply(t, lo=lo, hi=hi))
    return Hardtanh.apply(x, lo=lo, hi=hi)


def hardtanh_(input, min_val=-1.0, max_val=1.0) -> Tensor:  # noqa: A002
    """In-place hardtanh (torch's C function: no min_val > max_val check)."""
    return _hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6): torch computes it as hardtanh(x, 0, 6) (HardtanhBackward0)."""
    return hardtanh(_check("relu6", input), 0.0, 6.0, inplace)


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
    slope = float(_number(negative_slope, name, "negative_slope", 2))
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
    def forward(ctx, x, *, threshold, value):
        ctx.threshold = threshold
        ctx.save_for_backward(x)
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
    if inplace:
        return _inplace(x, lambda t: ThresholdInplace.apply(t, threshold=threshold,
                                                            value=value))
    return Threshold.apply(x, threshold=threshold, value=value)


threshold = _threshold


def threshold_(input, threshold, value) -> Tensor:  # noqa: A002
    return _threshold(input, threshold, value, inplace=True)


class Hardshrink(Primitive):
    """out = x if |x| > lambd else 0;  grad_x = grad if |x| > lambd else 0."""

    node_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, *, lambd):
        ctx.lambd = lambd
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

    @staticmethod
    def kernel(grad, x, *, lambd):
        # zero inside [-lambd, lambd], so a NaN input passes its gradient
        return _zero_outside(~((x >= -lambd) & (x <= lambd)), grad)


def hardshrink(input, lambd=0.5) -> Tensor:  # noqa: A002
    """x where |x| > lambd, 0 elsewhere."""
    x = _check("hardshrink", input)
    lambd = _number(lambd, "hardshrink", "lambd", 2)
    x = _float_input("hardshrink", x, "hardshrink_cpu")
    return Hardshrink.apply(x, lambd=float(lambd))


class Softshrink(Primitive):
    """out = x - lambd if x > lambd, x + lambd if x < -lambd, else x * 0;
    grad_x = 0 if -lambd <= x <= lambd else grad."""

    node_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, *, lambd):
        ctx.lambd = lambd
        ctx.save_for_backward(x)
        return _opmath(Softshrink.kernel, x, lambd=lambd)

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
    return Softshrink.apply(x, lambd=float(lambd))


# ---------------------------------------------------------------------------------------
# exponential linear units: elu, selu, celu


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
        return _opmath(Elu.kernel, x, params=ctx.params)

    @staticmethod
    def kernel(x, *, params):
        alpha, scale, input_scale = params
        t = x.dtype.type
        negative = _libm(np.expm1, x * t(input_scale)) * (t(alpha) * t(scale))
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
    alpha = float(_number(alpha, "elu_" if inplace else "elu", "alpha", 2))
    return _elu("elu", Elu, EluInplace, input, inplace, alpha=alpha, scale=1.0,
                input_scale=1.0)


def elu_(input, alpha=1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, inplace=True)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """scale * elu(x, alpha) with torch's self-normalising constants (EluBackward0)."""
    return _elu("selu", Elu, EluInplace, input, inplace, alpha=SELU_ALPHA, scale=SELU_SCALE,
                input_scale=1.0)


def selu_(input) -> Tensor:  # noqa: A002
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _check("celu_" if inplace else "celu", input)
    alpha = float(_number(alpha, "celu_" if inplace else "celu", "alpha", 2))
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu("celu", Celu, CeluInplace, input, inplace, alpha=alpha, scale=1.0,
                input_scale=1.0 / alpha)


def celu_(input, alpha=1.0) -> Tensor:  # noqa: A002
    return celu(input, alpha, inplace=True)


# ---------------------------------------------------------------------------------------
# smooth activations: gelu, silu, mish, softplus, logsigmoid


_SQRT1_2 = 1 / math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_BETA = math.sqrt(2 / math.pi)
_TANH_KAPPA = 0.044715


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
            return t(0.5) * x * (1 + _libm(np.tanh, inner))
        # torch's scalar kernel: arithmetic in x's precision around erf; the product is
        # written into x * 0.5, which has x's layout (torch keeps a transposed x's strides)
        half_x = np.multiply(x, t(0.5), out=np.empty_like(x))  # (an array for 0-d x too)
        return np.multiply(half_x, 1 + _erf(x * t(_SQRT1_2)), out=half_x)

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
            right = x * t(0.5) * (1 - th * th) * ((x_sq * kappa3 + 1) * t(_TANH_BETA))
            return grad * ((th + 1) * t(0.5) + right)
        cdf = (1 + _erf(x * t(_SQRT1_2))) * t(0.5)
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
    x = _float_input("gelu", input, "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return Gelu.apply(x, approximate=approximate)


class Silu(Primitive):
    """out = x / (1 + exp(-x));  grad_x = grad * s * (1 + x * (1 - s)),
    s = 1 / (1 + exp(-x)), 1 + x * (1 - s) rounded once (an FMA in torch's kernel).

    Written as torch's kernel writes them: below about -88 (float32) exp(-x) overflows,
    so silu(-100) is -0.0 and so is its gradient, where x * sigmoid(x) would give
    -3.8e-42."""

    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # typed 1: NumPy 1 widens a 0-d float32 plus a Python int to float64
        return _opmath(lambda v: v / (v.dtype.type(1) + _libm(np.exp, -v)), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if GRAD_STATE.enabled:
            # create_graph: torch composes the backward of operations in x's dtype, each
            # rounded (infinitely_differentiable_silu_backward), not its fused kernel
            s = _sigmoid_op(x)
            return grad * s * _AddNumber.apply(x * (1 - s), number=1.0)  # (1.0 + ...: a Scalar)
        return _opmath_grad(Silu.grad_rule, grad, x)

    @staticmethod
    def grad_rule(grad, x):
        s = _sigmoid_as_torch(x)
        return grad * s * _fused(x, 1 - s, 1.0)


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
    return _inplace(x, Silu.apply) if inplace else Silu.apply(x)


class Mish(Primitive):
    """out = x * tanh(log(1 + exp(x)));
    grad_x = grad * (t + x * s * (1 - t^2)), t = tanh(log(1 + exp(x))),
    s = 1 / (1 + exp(-x)) (torch's formulas: exp may overflow to inf, which they
    tolerate; 1 - t^2 and t + (x * s) * (...) each rounded once, as its FMAs)."""

    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _opmath(lambda v: v * _libm(np.tanh, _libm(np.log1p, _libm(np.exp, v))), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if GRAD_STATE.enabled:
            # create_graph: torch composes the backward of operations in x's dtype, each
            # rounded (infinitely_differentiable_mish_backward), not its fused kernel
            t = x.exp().log1p().tanh()
            return grad * (t + x * _sigmoid_op(x) * (1 - t * t))
        return _opmath_grad(Mish.grad_rule, grad, x)

    @staticmethod
    def grad_rule(grad, x):
        t = x.exp().log1p().tanh()
        return grad * _fused(x * _sigmoid_as_torch(x), _fused(-t, t, 1.0), t)


def mish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x * tanh(softplus(x))."""
    x = _float_input("mish", input, "mish_cpu")
    return _inplace(x, Mish.apply) if inplace else Mish.apply(x)


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
        smooth = _libm(np.log1p, _libm(np.exp, scaled)) / t(beta)
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
        return select(scaled > t(threshold), grad, grad * z / (z + 1))

    @staticmethod
    def double(v, grad, x, *, beta, threshold):
        scaled = x * beta
        s = _sigmoid_op(scaled)
        below = _mask(scaled._data < x._data.dtype.type(threshold), v)
        return (v * grad) * (1 - s) * s * below * beta


def softplus(input, beta=1.0, threshold=20.0) -> Tensor:  # noqa: A002
    """log(1 + exp(beta * x)) / beta, linear once beta * x exceeds ``threshold``."""
    x = _check("softplus", input)
    beta = float(_number(beta, "softplus", "beta", 2))
    threshold = float(_number(threshold, "softplus", "threshold", 3))
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
                      - _libm(np.log1p, _libm(np.exp, -np.abs(v))), x)
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
        q = b / (b + 1)
        return select(x < 0, 1 - q, q) * grad

    @staticmethod
    def double(v, grad, x, *, buffer):
        s = _sigmoid_op(x)
        return (v * grad) * (s - 1) * s


def logsigmoid(input) -> Tensor:  # noqa: A002
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid.apply(_float_input("logsigmoid", input, "log_sigmoid_cpu"))


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
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _opmath(lambda v: _shifted_relu6(v) / v.dtype.type(6), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return HardsigmoidBackward.apply(grad, x)


class HardsigmoidBackward(_PiecewiseBackward):
    """hardsigmoid_backward: grad / 6 where -3 < x < 3, else 0. torch gives it no
    derivative (derivatives.yaml has no entry): its node is NotImplemented, and a backward
    through it raises."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def kernel(grad, x):
        return _zero_outside((x > -3) & (x < 3), _scaled(grad, _ONE_SIXTH))

    @staticmethod
    def backward(ctx, v):
        raise RuntimeError("derivative for aten::hardsigmoid_backward is not implemented")


# torch's kernel writes 1/6 as the float expression 1.0f / 6.0f, for every dtype
_ONE_SIXTH = float(np.float32(1.0) / np.float32(6.0))


def hardsigmoid(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """0 below -3, 1 above 3, x / 6 + 1 / 2 between."""
    x = _float_input("hardsigmoid", input, "hardsigmoid_cpu")
    return _inplace(x, Hardsigmoid.apply) if inplace else Hardsigmoid.apply(x)


class Hardswish(Primitive):
    """out = x * clamp(x + 3, 0, 6) / 6;
    grad_x = 0 for x <= -3, grad * (x / 3 + 1/2) for -3 < x < 3, else grad."""

    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
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
    return _inplace(x, Hardswish.apply) if inplace else Hardswish.apply(x)


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
# glu, prelu, rrelu


class Glu(Primitive):
    """out = a * s, s = 1 / (1 + exp(-b)), a and b the two halves of x along dim;
    grad_a = grad * s,  grad_b = (1 - s) * s * a * grad (torch's order of operations:
    s is 0, not a subnormal, where exp(-b) overflows)."""

    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(x)
        return _opmath(Glu.kernel, x, dim=dim)

    @staticmethod
    def kernel(x, *, dim):
        a, b = np.split(x, 2, axis=dim)
        return a * (1 / (1 + _libm(np.exp, -b)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return GluBackward.apply(grad, x, dim=ctx.dim)


class GluBackward(Primitive):
    """glu_backward: out = cat(grad * s, (1 - s) * s * a * grad) along dim (a, b the
    halves of x, s = sigmoid(b));  differentiable again as torch's
    glu_double_backward_grad_output and glu_double_backward say: with v = cat(v_a, v_b),
    grad_grad = v_a * s + v_b * a * s (1 - s)  (the same operation on ones, times v,
    its halves added);  grad_x = cat(v_b * grad * s', v_a * grad * s' + v_b * a * grad *
    s''), s' = s (1 - s), s'' = s' (1 - s) - s s'."""

    node_name = "GluBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, *, dim):
        ctx.dim = dim
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
            tmp = v * GluBackward.apply(_ones_like_half(grad), x, dim=dim)
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
    dim = _wrap_dim(dim, x._data.ndim)
    size = x._data.shape[dim]
    if size % 2:
        raise RuntimeError(
            f"Halving dimension must be even, but dimension {dim} is size {size}"
        )
    return Glu.apply(x, dim=dim)


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
        return select(x > 0, x, w_b * x)

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
    x = _float_input("prelu", input, "prelu_cpu")
    w = _check("prelu", weight)
    if x._data.ndim == 0:
        raise RuntimeError("Not allow zero-dim input tensor.")
    if w._data.ndim > 1:
        raise RuntimeError(
            "prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
            f"{w._data.ndim}"
        )
    channels = x._data.shape[1] if x._data.ndim >= 2 else 1
    if w._data.size != 1 and w._data.size != channels:
        raise RuntimeError(
            "Mismatch of parameter numbers and input channel size. Found parameter numbers "
            f"= {w._data.size} and channel size = {channels}."
        )
    return Prelu.apply(x, w)


class RreluWithNoise(Primitive):
    """out = x if x > 0 else noise * x;  grad_x = grad if x > 0 else noise * grad.
    In eval mode the noise is the fixed slope (lower + upper) / 2."""

    node_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, *, noise):
        ctx.noise = noise
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
    def forward(ctx, x, *, noise):
        out = RreluWithNoise.forward(ctx, x, noise=noise)
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
    lower = float(_number(lower, name, "lower", 2))
    upper = float(_number(upper, name, "upper", 3))
    if VMAP.batch is not None:  # (inside vmap or jacfwd) torch has no batching rule for it
        raise RuntimeError(f"vmap: we do not yet support aten::{name}. Please file an issue")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    # in eval mode torch runs leaky_relu, and its error names that kernel
    x = _float_input(name, x, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu")
    noise = _rrelu_noise(x._data, lower, upper, training)
    if inplace:
        return _inplace(x, lambda t: RreluWithNoiseInplace.apply(t, noise=noise))
    return RreluWithNoise.apply(x, noise=noise)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)

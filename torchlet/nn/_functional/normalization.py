"""Normalization layers: batch_norm, instance_norm, layer_norm, group_norm, rms_norm and
local_response_norm (``torch.nn.functional``), plus torch's top-level forms
(``torch.batch_norm``, ``torch.native_layer_norm``, ...).

Each of batch/layer/group norm is one fused Primitive with torch's node name
(NativeBatchNormBackward0, NativeLayerNormBackward0, NativeGroupNormBackward0). They all
compute the same thing over different sets of elements:

    xhat = (x - mean) * invstd,   invstd = 1 / sqrt(var + eps)   (var is the biased variance)
    out  = xhat * weight + bias

and share the textbook backward (n = how many elements one mean is taken over):

    grad_weight = sum(grad * xhat),   grad_bias = sum(grad)
    grad_x = invstd * (gw - mean(gw) - xhat * mean(gw * xhat)),   gw = grad * weight

The first-order backward (grad mode off) runs this rule fused in NumPy, a few passes over
the data. Under ``create_graph=True`` each records what torch records, so that second
derivatives come out with torch's nodes and torch's rounding: batch_norm and layer_norm
one node for the three gradients (NativeBatchNormBackwardBackward0 /
NativeLayerNormBackwardBackward0: the same fused rule forward, torch's
batchnorm_double_backward / layer_norm_double_backward formula backward), group_norm
torch's composite of ordinary operations (infinitely_differentiable_native_group_norm_
backward), through the saved mean and rstd as outputs of the forward node;
tests/test_nn_norm.py and tests/test_normgg21.py check the paths against each other and
against torch.

Numerics (float32): batch_norm's sums are accumulated in float64 and rounded once, as
torch's CPU kernel does, so for inputs of 3 or more dimensions its batch mean, invstd and
running statistics are bit for bit torch's (2-D inputs take another torch kernel that
sums float32 rows; within rounding). torch's kernels finish with fused multiply-adds
(``fma(x, alpha, beta)``) that NumPy cannot express without float64 temporaries that
would double the cost; the outputs here are ``x * alpha + beta`` in float32, within an ulp
or two of torch's. An input contiguous in no memory format (transposed, sliced) takes
torch's generic path instead, reproduced bit for bit: the mean by torch's mean reduction,
the squared deviations summed in float64 in TensorIterator's order, and
``((x - mean) * invstd) * weight + bias`` element by element (no fold; in training, and
in eval up to torch's float32 sqrt, which is not always correctly rounded). layer_norm and
group_norm take their moments in the input's dtype, as torch does (torch with Welford's
method, here with two passes), within rounding.

Layout: batch_norm's and group_norm's outputs are channels_last when the input's strides
are (torch's ``suggest_memory_format``), else contiguous; layer_norm's are contiguous.

float16 (with float16 or float32 parameters): as torch's CPU kernels, everything is
computed in float32 and rounded once; the saved mean / invstd are rounded to the
parameters' dtype, and batch_norm's output and all backwards use those rounded values.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from torchlet import _dtype
from torchlet._dtype import no_attribute_error, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.creation import zeros as _zeros
from torchlet._ops.linalg.integration import DivScalar, MulScalar
from torchlet._ops.pointwise.arithmetic import AddScalar
from torchlet._ops.reduction._strided_sum import _iteration_order
from torchlet._ops.shape.common import empty_in_layout, in_layout, suggested_memory_format
from torchlet._size import Size
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE, no_grad
from torchlet.nn._functional._rows import per_row

__all__ = [
    "batch_norm", "group_norm", "instance_norm", "layer_norm", "local_response_norm",
    "native_batch_norm", "native_group_norm", "native_layer_norm", "rms_norm",
    "torch_batch_norm", "torch_group_norm", "torch_instance_norm", "torch_layer_norm",
]

_TYPE_WORD = _dtype.TYPE_WORDS


def _check_tensor(fn: str, x, arg: str, position: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(x)}"
        )
    return x


def _float_kernel(kernel: str, x: Tensor) -> None:
    """torch has no integer kernels for the normalizations."""
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'"
        )


def _check_mixed_dtypes(x: Tensor, params) -> bool:
    """torch's "mixed type" check (the first parameter's dtype is not the input's):
    only a float16 input with float32 parameters passes it. True for a mixed call."""
    defined = [p for p in params if p is not None]
    if not defined or defined[0]._data.dtype == x._data.dtype:
        return False
    if any(p._data.dtype != np.float32 for p in defined):
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    if x._data.dtype != np.float16:
        raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")
    return True


def _check_param_dtypes(x: Tensor, params) -> None:
    """torch's CPU kernels want the parameters (and running statistics) in the input's
    dtype; torch decides which message to give by the first parameter's dtype."""
    if _check_mixed_dtypes(x, params):
        return
    dtype = x._data.dtype
    for p in params:
        if p is None:
            continue
        if p._data.dtype != dtype:
            raise RuntimeError(
                f"expected scalar type {_TYPE_WORD[dtype.name]} but found "
                f"{_TYPE_WORD[p._data.dtype.name]}"
            )


def _normalized_shape(fn: str, normalized_shape) -> tuple:
    if isinstance(normalized_shape, (int, np.integer)) or not isinstance(
            normalized_shape, (tuple, list, Size)):
        raise TypeError(
            f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, not "
            f"{type_name(normalized_shape)}"
        )
    for i, s in enumerate(normalized_shape):
        if not isinstance(s, (int, np.integer)):
            raise TypeError(
                f"{fn}(): argument 'normalized_shape' (position 2) must be tuple of ints, but "
                f"found element of type {type_name(s)} at pos {i}"
            )
    return tuple(int(s) for s in normalized_shape)


def _opmath(a):
    """float16 in float32, torch's CPU "opmath" type: its normalization kernels compute
    half inputs in float32 and round once, at the end (other dtypes: unchanged)."""
    return a.astype(np.float32) if a is not None and a.dtype == np.float16 else a


def _stats_dtype(x: np.ndarray, weight, bias):
    """torch's saved mean / invstd have the parameters' dtype (float32 for a float16 input
    with float32 parameters), or the input's without parameters."""
    param = weight if weight is not None else bias
    return (x if param is None else param).dtype


def _saved(stat: np.ndarray, dtype) -> np.ndarray:
    """A statistic as torch uses it after saving it in ``dtype``: rounded to float16 for
    float16 parameters, then computed with in float32."""
    return stat if stat.dtype == dtype else _opmath(stat.astype(dtype))


def _moments(x: np.ndarray, axis, n: int, wide=None):
    """batch_norm's statistics: the mean and the sum of squared deviations over ``axis``
    (keepdims), summed in float64 and rounded to x's dtype, as torch's CPU kernel does
    (double accumulators; the mean is rounded before the deviations are formed). Also
    the deviations x - mean, which the backward would otherwise form again (in x's
    layout; by rows of ``wide``, a _WideRows for x, where given)."""
    dtype = x.dtype
    mean = (np.add.reduce(x, axis=axis, keepdims=True, dtype=np.float64) / n).astype(dtype)
    if wide is None:
        centred = x - mean
    else:
        centred = wide.unview(np.subtract(wide.view(x), wide.spread(mean)))
    var_sum = np.add.reduce(np.square(centred), axis=axis, keepdims=True, dtype=np.float64)
    return mean, var_sum.astype(dtype), centred


def _strided_moments(x: np.ndarray, axes, n: int):
    """batch_norm's statistics for an input not contiguous in any memory format, as
    torch's generic CPU path takes them: the mean by torch's mean reduction (torchlet's
    mean reproduces its order), then per channel the squared deviations from it added
    one by one in float64, in the order TensorIterator walks the channel's elements; the
    sums are left in float64 (the inverse std and the running statistics are formed from
    them in float64)."""
    with no_grad():
        mean = wrap(x).mean(axes, keepdim=True)._data
    deviations = x.astype(np.float64) - mean
    np.square(deviations, out=deviations)
    walk = [axis for dim in reversed(_iteration_order(x, axes)) for axis in reversed(dim.axes)]
    perm = [1] + [a for a in walk if a != 1] + [a for a in axes if x.shape[a] == 1]
    rows = deviations.transpose(perm).reshape(x.shape[1], -1)  # (channel, walk order)
    var_sum = np.add.accumulate(rows, axis=1)[:, -1]  # (accumulate: strictly in order)
    return mean, var_sum.reshape(mean.shape)


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype) -> np.ndarray:
    """A read-only vector of ``n`` ones: row sums as matrix-vector products (made once)."""
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


def _row_moments(x2: np.ndarray, eps: float, eps_in_double: bool = False):
    """Per row of a 2-D array: mean, 1/sqrt(var + eps) (both (rows, 1)) and x - mean.

    layer_norm and group_norm rows are short and many, where NumPy's reductions along
    the last axis are slow; a matrix-vector product with ones sums each row in BLAS.
    Like torch's kernels for these two, the sums are in the input's dtype.

    Not reproduced: torch's RowwiseMoments (moments_utils.h) runs Welford per SIMD lane
    (8 or 16 lanes, by CPU) and merges lanes with ``m2 += delta * delta * c * m0``; in
    float32, once |values| pass sqrt(FLT_MAX) ~ 1.8e19 that product is inf * 0 = NaN (or
    inf), so torch returns NaN rows where this two-pass form stays finite; and group_norm
    with an affine weight writes ``x * scale + (bias - scale * mean)``, which loses the
    cancellation for rows of large equal values (torch: ~5e12 for a constant 1e18 row,
    torchlet: 0).

    ``eps_in_double``: group_norm's kernel takes eps as a C++ double, so its float32
    ``1 / sqrt(var + eps)`` is computed in double and rounded once (layer_norm's, in
    float32)."""
    dtype = x2.dtype
    n = dtype.type(x2.shape[1])
    ones = _ones(x2.shape[1], dtype)
    mean = (x2 @ ones / n).reshape(-1, 1)
    if not x2.shape[1]:  # empty rows: torch's Welford gives mean 0 and var 0 / 0 = nan
        mean[...] = 0
    centred = np.empty(x2.shape, dtype)  # (C order for a transposed x2 too, as torch)
    per_row(np.subtract, x2, mean.reshape(-1), centred)
    var = np.einsum("ij,ij->i", centred, centred).reshape(-1, 1) / n
    if eps_in_double:
        rstd = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(dtype, copy=False)
    else:
        rstd = dtype.type(1) / np.sqrt(var + dtype.type(eps))
    return mean, rstd, centred


def _kept_xhat(ctx, xhat: np.ndarray, x2: np.ndarray, mean, rstd):
    """``xhat`` (rows of (x - mean) * rstd, C order) if the backward's ``_xhat_rows`` would
    form the same array, to be handed to it instead (one pass less there, none more here:
    the output goes into an array of its own); else None. Not when no graph is recorded
    (nothing to keep it for), not with rounded (float16) statistics, which the backward
    uses, nor for rows of x that are a view out of C order (their difference from the
    mean would be laid out as they are)."""
    if (any(ctx.needs_input_grad) and ctx.mean is mean and ctx.invstd is rstd
            and x2.flags.c_contiguous):
        return xhat
    return None


def _xhat_rows(ctx, x: np.ndarray) -> np.ndarray:
    """(x - mean) * rstd over the rows ``ctx.shape2`` of layer or group norm (float16 in
    float32), from the saved statistics: the forward's array where it kept it (taken from
    ``ctx``: a second backward through a retained graph forms its own)."""
    xhat, ctx.xhat = ctx.xhat, None
    if xhat is None:
        xhat = _opmath(x).reshape(ctx.shape2) - ctx.mean
        xhat *= ctx.invstd
    return xhat


def _column_sums(a: np.ndarray) -> np.ndarray:
    """``np.add.reduce(a, axis=0)`` of a 2-D array, the same bits: over axis 0 of a
    C-contiguous array of 2+ columns both it and einsum add row after row, each column on
    its own, einsum faster on large arrays (see _cascade._add_rows: (2048, 128) float32
    in 45 us against 60)."""
    if a.shape[1] > 1 and a.size >= 16384 and a.flags.c_contiguous:
        return np.einsum("ij->j", a)
    return np.add.reduce(a, axis=0)


def _rows_grad_x(gw: np.ndarray, xhat: np.ndarray, rstd: np.ndarray, out=None) -> np.ndarray:
    """grad_x = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)), means over each row of
    2-D arrays (layer and group norm: rows normalized with their own statistics); into
    ``out`` where given (a spare C-order array of gw's shape and dtype). The per-row
    operands go through _rows.per_row (faster on long rows, the same bits)."""
    ones = _ones(gw.shape[1], gw.dtype)
    n = gw.dtype.type(gw.shape[1])
    mean_gw = gw @ ones / n
    out = np.multiply(gw, xhat, out=out)
    per_row(np.multiply, xhat, out @ ones / n, out)
    np.subtract(gw, out, out=out)
    per_row(np.subtract, out, mean_gw, out)
    return per_row(np.multiply, out, rstd.reshape(-1), out)


def _invstd(var: np.ndarray, eps: float) -> np.ndarray:
    """1 / sqrt(var + eps) in float64, rounded to var's dtype; 0 where var = eps = 0 (as
    torch, instead of inf)."""
    out = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(var.dtype)
    if eps == 0:
        out[var == 0] = 0
    return out


# NumPy runs an elementwise operation with an operand broadcast along the outer dims one
# short row at a time, up to twice the time of a plain pass (float32 (64, 16, 12, 12)
# times a (1, 16, 1, 1) vector: 35 us, 20 in rows of 9216 elements; channels_last, 60).
# _WideRows views the arrays as rows of at least _WIDE elements in memory order and
# spreads the small operand out to one such row: the same operation on the same pairs of
# values, so the same bits, at a plain pass's speed.
_WIDE = 8192


class _WideRows:
    """Same-shaped arrays laid out as the one ``_wide_rows`` was given, viewed as
    (rows, width) in memory order (``view``, back with ``unview``), and operands that
    vary only along the trailing memory-order dims spread out to one row (``spread``)."""

    __slots__ = ("shape", "perm", "lead", "rows", "block", "contiguous")

    def __init__(self, a: np.ndarray, perm: tuple, lead: int, rows: int, reps: int):
        self.shape, self.perm, self.lead, self.rows = a.shape, perm, lead, rows
        self.block = (reps,) + tuple(a.shape[p] for p in perm[lead:])  # one row's dims
        self.contiguous = perm == tuple(range(a.ndim))

    def fits(self, a: np.ndarray) -> bool:
        """Whether ``a`` has the shape and the layout of the arrays viewed."""
        return a.shape == self.shape and (
            a.flags.c_contiguous if self.contiguous
            else in_layout(a, _dtype.channels_last if a.ndim == 4 else _dtype.channels_last_3d))

    def view(self, a: np.ndarray) -> np.ndarray:
        """``a`` (which ``fits``) as (rows, width): a view, so writes reach ``a``."""
        return (a if self.contiguous else a.transpose(self.perm)).reshape(self.rows, -1)

    def unview(self, rows: np.ndarray) -> np.ndarray:
        """A (rows, width) C-order array back in the arrays' shape and layout."""
        if self.contiguous:
            return rows.reshape(self.shape)
        shape = [self.shape[p] for p in self.perm]
        return rows.reshape(shape).transpose(np.argsort(self.perm))

    def spread(self, operand: np.ndarray) -> np.ndarray:
        """The values the array ``operand`` takes along one row of ``view``."""
        ndim = len(self.shape)
        operand = operand.reshape((1,) * (ndim - operand.ndim) + operand.shape)
        if not self.contiguous:
            operand = operand.transpose(self.perm)
        row = np.empty(self.block, operand.dtype)
        row[...] = operand.reshape(operand.shape[self.lead:])  # (the lead dims are 1)
        return row.reshape(-1)


def _wide_rows(a: np.ndarray, operand_shape: tuple):
    """A _WideRows for arrays laid out as ``a`` (C order or channels_last(_3d)) with
    operands of ``operand_shape`` (right-aligned, as broadcasting reads it), or None
    where the operation gains nothing so (other layouts, one row already, small arrays)."""
    if a.size < 4 * _WIDE:  # (smaller: spreading costs what it saves)
        return None
    if a.flags.c_contiguous:
        perm = tuple(range(a.ndim))
    elif a.ndim in (4, 5) and in_layout(
            a, _dtype.channels_last if a.ndim == 4 else _dtype.channels_last_3d):
        perm = (0, *range(2, a.ndim), 1)
    else:
        return None
    operand_shape = (1,) * (a.ndim - len(operand_shape)) + tuple(operand_shape)
    lead, outer = 0, 1
    while lead < a.ndim and operand_shape[perm[lead]] == 1:
        outer *= a.shape[perm[lead]]
        lead += 1
    if outer < 2:
        return None
    width = a.size // outer
    want = -(-_WIDE // width)  # how many periods make a wide row
    # periods per row, dividing outer: the smallest >= want of a power of 2 and the
    # products of the innermost lead dims (short of all: the spread row would be a whole
    # array), else the largest of them
    candidates = [1, min(outer & -outer, 1 << (want - 1).bit_length())]
    inner = 1
    for p in reversed(perm[1:lead]):
        inner *= a.shape[p]
        candidates.append(inner)
    wide_enough = [c for c in candidates if c >= want and c < outer]
    reps = min(wide_enough) if wide_enough else max(c for c in candidates if c < outer)
    return _WideRows(a, perm, lead, outer // reps, reps)


def _fast_batch_norm_backward(ctx, g: np.ndarray, x: np.ndarray, weight, needs=None):
    """batch_norm's first-order rule (the module's docstring) fused in NumPy: the ordinary
    backward (grad mode off), and the forward of NativeBatchNormBackward (create_graph).
    The statistics and the
    parameters share their axes, so sum(grad) and sum(grad * xhat) serve both the
    parameter gradients and grad_x, and the weight scales the result at the end."""
    need_x, need_w, need_b = ctx.needs_input_grad if needs is None else needs
    axes, invstd, training = ctx.axes, ctx.invstd, ctx.training
    grad_x = grad_w = grad_b = None
    centred, ctx.centred = ctx.centred, None  # (the forward's x - mean: ours to overwrite)
    wide = ctx.wide  # (per-channel operands by wide rows: when g, x, centred share x's layout)
    if wide is not None and not (wide.fits(g) and wide.fits(x)
                                 and (centred is None or wide.fits(centred))):
        wide = None
    sum_g = np.add.reduce(g, axis=axes, keepdims=True)
    if need_b:
        grad_b = wrap(sum_g.reshape(-1))
    # set only when a gradient below needs them
    xhat: np.ndarray
    g_xhat: np.ndarray
    sum_g_xhat: np.ndarray
    if need_w or (need_x and training):
        xhat = _per_channel(np.subtract, x, ctx.mean, wide) if centred is None else centred
        _per_channel(np.multiply, xhat, invstd, wide, out=xhat)
        g_xhat = g * xhat
        sum_g_xhat = np.add.reduce(g_xhat, axis=axes, keepdims=True)
    if need_w:
        grad_w = wrap(sum_g_xhat.reshape(-1))
    if need_x:
        scale = invstd if weight is None else invstd * weight.reshape(ctx.stat_shape)
        if training:
            n = g.dtype.type(ctx.count)
            # (g - sum_g / n - xhat * sum_g_xhat / n) * scale, in g_xhat's buffer
            out = _per_channel(np.multiply, xhat, sum_g_xhat / n, wide, out=g_xhat)
            np.subtract(g, out, out=out)
            _per_channel(np.subtract, out, sum_g / n, wide, out=out)
            _per_channel(np.multiply, out, scale, wide, out=out)
        else:
            out = _per_channel(np.multiply, g, scale, wide)
        grad_x = wrap(out)
    return grad_x, grad_w, grad_b


def _per_channel(ufunc, a: np.ndarray, operand: np.ndarray, wide, out=None) -> np.ndarray:
    """``ufunc(a, operand, out=out)``, by the wide rows of ``wide`` (a _WideRows that
    ``a`` and ``out`` fit) where given."""
    if wide is None:
        return ufunc(a, operand, out=out)
    rows = ufunc(wide.view(a), wide.spread(operand), out=None if out is None else wide.view(out))
    return wide.unview(rows) if out is None else out


def _in_format(out: np.ndarray, fmt) -> np.ndarray:
    """A copy of ``out`` laid out as memory format ``fmt``."""
    result = empty_in_layout(out, out.dtype, fmt)
    result[...] = out
    return result


# ---------------------------------------------------------------------------------------
# batch_norm


class NativeBatchNorm(Primitive):
    """Batch normalization: statistics per channel (dim 1) over every other dimension.

    training: mean, var = the batch's (var biased), and the running statistics are
    updated in place: running = (1 - momentum) * running + momentum * batch (with the
    UNBIASED batch variance for running_var);  eval: mean, var = running_mean/var.
    out = (x - mean) / sqrt(var + eps) * weight + bias;
    grad_bias = sum(grad),  grad_weight = sum(grad * xhat),
    grad_x = weight * invstd * (grad - mean(grad) - xhat * mean(grad * xhat)) in training,
    grad_x = weight * invstd * grad in eval (the statistics are constants)."""

    node_name = "NativeBatchNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, *, training, momentum, eps, running_mean, running_var,
                stats=None):
        ctx.save_for_backward(x, weight)
        out_dtype, stats_dtype = x.dtype, _stats_dtype(x, weight, bias)
        ctx.stats_dtype = stats_dtype
        fold = _fused_layout(x, weight, bias)
        strided = x.dtype != np.float16 and not _dense_layout(x)
        fmt = _batch_norm_format(x)  # (before float16's copy, which may restride)
        x, weight, bias = _opmath(x), _opmath(weight), _opmath(bias)
        dtype = x.dtype
        channels = x.shape[1] if x.ndim > 1 else 1
        axes = (0,) + tuple(range(2, x.ndim))
        stat_shape = (1, channels) + (1,) * (x.ndim - 2)
        n = x.size // channels if channels else 0
        ctx.axes, ctx.stat_shape, ctx.count = axes, stat_shape, n
        ctx.training, ctx.eps, ctx.channels = training, eps, channels
        ctx.running = running_mean, running_var  # (eval's double backward reads them)
        ctx.centred = None  # x - mean, kept from the forward where the backward's would equal it
        # per-channel operands in wide rows where the layout allows (the same bits)
        wide = ctx.wide = None if strided else _wide_rows(x, (channels,) + (1,) * (x.ndim - 2))
        if training:
            if n == 0:  # nothing to normalize: torch returns an empty output
                mean = np.zeros(stat_shape, dtype)
                invstd = np.zeros(stat_shape, dtype)
            else:
                if strided:  # (the running statistics' arithmetic in float64 there)
                    mean, var_sum = _strided_moments(x, axes, n)
                    _update_running(running_mean, running_var, mean.astype(np.float64),
                                    var_sum, n, momentum)
                else:
                    mean, var_sum, centred = _moments(x, axes, n, wide)
                    _update_running(running_mean, running_var, mean, var_sum, n, momentum)
                    if mean.dtype == stats_dtype and any(ctx.needs_input_grad):
                        ctx.centred = centred  # (the backward's mean is this one)
                invstd = _invstd(var_sum / var_sum.dtype.type(n), eps).astype(dtype, copy=False)
                # torch saves them in the parameters' dtype, and folds the saved values
                mean, invstd = _saved(mean, stats_dtype), _saved(invstd, stats_dtype)
        else:
            mean = _opmath(running_mean._data.reshape(stat_shape)).copy()  # it may change
            var = _opmath(running_var._data.reshape(stat_shape))
            invstd = dtype.type(1) / np.sqrt(var + dtype.type(eps))  # float math, as torch
        ctx.mean, ctx.invstd = mean, invstd
        if stats is not None:  # native_batch_norm returns them
            stats.extend(s.reshape(-1).astype(stats_dtype) for s in (mean, invstd))
        # (a missing bias is 0, added all the same: never -0.0, as torch)
        zero_or_bias = dtype.type(0) if bias is None else bias.reshape(stat_shape)
        out = empty_in_layout(x, dtype, fmt)
        if fold:  # torch's kernel folds everything into out = x * alpha + beta per channel
            alpha = invstd if weight is None else invstd * weight.reshape(stat_shape)
            beta = zero_or_bias - mean * alpha
            if wide is not None and wide.fits(out):
                rows = wide.view(out)
                np.multiply(wide.view(x), wide.spread(alpha), out=rows)
                rows += wide.spread(beta)
            else:
                np.multiply(x, alpha, out=out)
                out += beta
        else:  # torch's generic kernel for other layouts, one element at a time
            np.subtract(x, mean, out=out)
            out *= invstd
            if weight is not None:
                out *= weight.reshape(stat_shape)
            out += zero_or_bias
        if out.dtype != out_dtype:  # float16: rounded into the same layout
            half = empty_in_layout(x, out_dtype, fmt)
            half[...] = out
            return half
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        if not GRAD_STATE.enabled:  # (float16 in float32, as the forward)
            grads = _fast_batch_norm_backward(ctx, _opmath(grad._data), _opmath(x._data),
                                              None if weight is None else _opmath(weight._data))
            if grads[0] is None:
                return grads
            fmt = _batch_norm_grad_format(x._data, grad._data)
            return (wrap(_laid_out(grads[0]._data, fmt)),) + grads[1:]
        # create_graph: the same gradients, from one node of their own (as torch's
        # native_batch_norm_backward), whose backward is torch's double backward formula
        grad_x, grad_w, grad_b = NativeBatchNormBackward.apply(grad, x, weight, None, None,
                                                               bn=ctx)
        need_x, need_w, need_b = ctx.needs_input_grad
        return (grad_x if need_x else None, grad_w if need_w else None,
                grad_b if need_b else None)


class NativeBatchNormBackward(Primitive):
    """batch_norm's first-order gradients (grad_x, grad_weight, grad_bias) as one node, as
    torch records its native_batch_norm_backward under create_graph; the last two inputs
    (torch's save_mean, save_invstd: never differentiable) are None, edges only.

    forward: the fused NumPy rule of the first-order backward (the same numbers).
    backward: torch's batchnorm_double_backward in torchlet operations (differentiable
    once more), with the statistics as constants: mu, s = the saved mean and invstd in
    training, running_mean and (running_var + eps)^-1/2 in eval; xmu = x - mu, M = the
    elements per channel, S() = the sum over all dims but 1, gamma = weight (or 1):

        gI  = gamma * (xmu s^3 (S(ggI) S(gO) / M - S(gO ggI) + 3 s^2 S(gO xmu) S(ggI xmu) / M)
              / M + S(ggI xmu) s^3 / M (S(gO) / M - gO) + S(gO xmu) s^3 / M (S(ggI) / M - ggI))
              + ggG * s (gO - S(gO) / M - xmu s^2 S(gO xmu) / M)       (training)
        gI  = ggG * s * gO                                              (eval)
        gG  = S(ggI * first(gO, 1)) (training),  S(ggI gO s) (eval)
        ggO = first(ggI, gamma) (training) or ggI s gamma (eval) + ggG xmu s + ggB
    where first(g, gamma) = gamma s / M * (M g - S(g) - xmu s^2 S(g xmu)), the first
    backward's grad_x. In eval, gI has no ggI term (None without ggG), as torch. With a
    bias but no weight, torch's formula drops ggB (and fails adding it to other terms)."""

    node_name = "NativeBatchNormBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, weight, save_mean, save_invstd, *, bn):
        ctx.save_for_backward(grad, x, weight)
        ctx.axes, ctx.count, ctx.training, ctx.eps = bn.axes, bn.count, bn.training, bn.eps
        ctx.mean, ctx.invstd, ctx.running = bn.mean, bn.invstd, bn.running
        ctx.channels, ctx.stats_dtype = bn.channels, bn.stats_dtype
        grads = _fast_batch_norm_backward(bn, _opmath(grad), _opmath(x), _opmath(weight),
                                          needs=(True, True, True))
        dtypes = (x.dtype, bn.stats_dtype, bn.stats_dtype)  # (the parameters' dtype)
        grad_x, grad_w, grad_b = (g._data.astype(dtype, copy=False)
                                  for g, dtype in zip(grads, dtypes))
        return _laid_out(grad_x, _batch_norm_grad_format(x, grad)), grad_w, grad_b

    @staticmethod
    def backward(ctx, ggI, ggG, ggB):
        gO, x, weight = ctx.saved_tensors
        return (*_batch_norm_double_backward(ctx, x, weight, ggI, ggG, ggB, gO), None, None)


def _sum_exclude_dim1(t: Tensor, keepdim: bool = True) -> Tensor:
    """torch's sum_exclude_dim1: dim 0 first, then the others from the last down."""
    r = t.sum(0, keepdim)
    for dim in range(r.dim() - 1, 1 if keepdim else 0, -1):
        r = r.sum(dim, keepdim)
    return r


def _unsqueeze_dim1(src: Tensor, target: Tensor) -> Tensor:
    """A per-channel (C,) tensor shaped (1, C, 1, ...) against ``target``."""
    while src.dim() < target.dim() - 1:
        src = src.unsqueeze(1)
    return src.unsqueeze(0) if src.dim() == target.dim() - 1 else src


def _expand_as_dim1(src: Tensor, target: Tensor) -> Tensor:
    while src.dim() < target.dim() - 1:
        src = src.unsqueeze(1)
    return src.expand_as(target)


def _batch_norm_double_backward(ctx, x: Tensor, weight, ggI, ggG, ggB, gO: Tensor):
    """torch's batchnorm_double_backward (FunctionsManual.cpp), operation for operation
    (the same order of rounding and the same nodes): (ggO, gI, gG), see
    NativeBatchNormBackward."""
    need_gO, need_x, need_w = ctx.needs_input_grad[:3]
    # (torch's C++ formula divides and multiplies by Scalars: DivBackward1, MulBackward1)
    def over(t, number):
        return DivScalar.apply(t, number=number)

    def times(t, number):
        return MulScalar.apply(t, number=number)

    affine = weight is not None
    ggG_e = ggB_e = None
    if affine:
        gamma = _expand_as_dim1(weight, x)
        if ggG is not None:
            ggG_e = _expand_as_dim1(ggG, x)
        if ggB is not None:
            ggB_e = _expand_as_dim1(ggB, x)
    else:
        gamma = wrap(np.ones((), x._data.dtype))
    M = ctx.count  # noqa: N806 - torch's name
    dtype = x._data.dtype
    if ctx.training:
        mu = wrap(ctx.mean.reshape(-1).astype(dtype))
        s = _unsqueeze_dim1(wrap(ctx.invstd.reshape(-1).astype(dtype)), x)
    else:
        running_mean, running_var = ctx.running
        mu = running_mean.detach()
        s = _unsqueeze_dim1((running_var.detach() + ctx.eps).pow(-0.5), x)
    xmu = x - _unsqueeze_dim1(mu, x)
    s2, s3 = s.pow(2), s.pow(3)
    xmu_s3 = xmu * s3
    gOxmu_sum = _sum_exclude_dim1(gO * xmu)
    gO_sum = _sum_exclude_dim1(gO)
    gI = None
    if ggI is not None and ctx.training:
        ggI_sum = _sum_exclude_dim1(ggI)
        ggIxmu_sum = _sum_exclude_dim1(ggI * xmu)
        all_sub = (over(ggI_sum * gO_sum, M) - _sum_exclude_dim1(gO * ggI)
                   + times(s2 * gOxmu_sum * ggIxmu_sum, 3. / M))
        gI_0t = over(xmu_s3 * all_sub, M)
        gI_1t = over(ggIxmu_sum * s3, M) * (over(gO_sum, M) - gO)
        gI_2t = over(gOxmu_sum * s3, M) * (over(ggI_sum, M) - ggI)
        gI = gamma * (gI_0t + gI_1t + gI_2t)
    if affine and ggG is not None:
        if ctx.training:
            t0 = gO * s
            t1 = over(s * gO_sum, -M)
            t2 = over(xmu_s3 * _sum_exclude_dim1(gO * xmu), -M)
            term = ggG_e * (t0 + t1 + t2)
        else:
            term = ggG_e * s * gO
        gI = term if gI is None else gI + term

    def first_back_grad_input(g, gamma):
        h0 = over(gamma * s, M)
        h1 = (times(g, M) - _sum_exclude_dim1(g)) - xmu * s2 * _sum_exclude_dim1(g * xmu)
        return h0 * h1

    gG = None
    if affine and ggI is not None and need_w:
        if ctx.training:
            gG = ggI * first_back_grad_input(gO, wrap(np.ones((), s._data.dtype)))
            gG = _sum_exclude_dim1(gG, False)
        else:
            gG = _sum_exclude_dim1(ggI * gO * s, False)
    ggO = None
    if ggI is not None:
        ggO = first_back_grad_input(ggI, gamma) if ctx.training else ggI * s * gamma
    if ggG_e is not None:
        term = ggG_e * xmu * s
        ggO = term if ggO is None else ggO + term
    if ggB is not None:
        _check_bias_term(ggO, ggB_e)
        ggO = ggB_e if ggO is None else ggO + ggB_e
    return (ggO if need_gO else None, gI if need_x else None, gG)


def _check_bias_term(ggO, ggB_expanded) -> None:  # noqa: N803 - torch's names
    """Without a weight, torch's double backward formulas have no expanded ggB (an
    undefined tensor): adding it to a defined ggO fails (alone, it leaves ggO undefined)."""
    if ggO is not None and ggB_expanded is None:
        raise RuntimeError("Expected a proper Tensor but got None (or an undefined Tensor "
                           "in C++) for argument #1 'other'")


def _batch_norm_grad_format(x: np.ndarray, grad: np.ndarray):
    """The memory format of torch's batch_norm grad_input (batch_norm_backward_cpu_template):
    when x and grad are both contiguous in some memory format and suggest the same one,
    contiguous if x is, else x's channels_last(_3d) (``suggest_memory_format_contig``);
    otherwise x's suggested format (which reads an ambiguous layout as contiguous)."""
    suggested = suggested_memory_format(x)
    if (_dense_layout(x) and _dense_layout(grad)
            and suggested is suggested_memory_format(grad)):
        if x.flags.c_contiguous:
            return _dtype.contiguous_format
        return _dtype.channels_last if x.ndim == 4 else _dtype.channels_last_3d
    return suggested or _dtype.contiguous_format


def _laid_out(a: np.ndarray, fmt) -> np.ndarray:
    """``a``, or a copy of it, with the strides of torch's ``empty_like(a, fmt)``."""
    if fmt is _dtype.contiguous_format and a.flags.c_contiguous and 1 not in a.shape:
        return a  # (the usual case: nothing to check)
    target = empty_in_layout(a, a.dtype, fmt)
    if target.strides == a.strides:
        return a
    target[...] = a
    return target


def _dense_layout(x: np.ndarray) -> bool:
    """Whether x is contiguous in some memory format (contiguous, channels_last(_3d)):
    torch's batch_norm takes its dedicated CPU kernels then, its generic path else."""
    return (x.flags.c_contiguous or in_layout(x, _dtype.channels_last)
            or in_layout(x, _dtype.channels_last_3d))


def _batch_norm_format(x: np.ndarray):
    """The memory format of torch's batch_norm output: contiguous for a contiguous input,
    channels_last(_3d) for an input contiguous in it (size-1 dims' strides aside, as
    ``is_contiguous(memory_format)``), else the suggested format of the input's strides."""
    if x.flags.c_contiguous:
        return _dtype.contiguous_format
    for fmt in (_dtype.channels_last, _dtype.channels_last_3d):
        if in_layout(x, fmt):
            return fmt
    return suggested_memory_format(x) or _dtype.contiguous_format


def _fused_layout(x: np.ndarray, weight, bias) -> bool:
    """Whether torch's batch_norm takes its folded ``x * alpha + beta`` kernel: for a
    dense input with contiguous parameters; otherwise ``((x - mean) * invstd) * w + b``."""
    return _dense_layout(x) and all(p is None or p.flags.c_contiguous for p in (weight, bias))


def _update_running(running_mean, running_var, mean, var_sum, n, momentum) -> None:
    """torch's arithmetic, written into the buffers in place (their version counters are
    bumped, as for any in-place write)."""
    if running_mean is None and running_var is None:
        return
    dtype = mean.dtype
    m = dtype.type(momentum)
    keep = dtype.type(1) - m
    if running_mean is not None:
        rm = running_mean._data
        rm[...] = (m * mean.reshape(-1) + keep * _promoted(rm, dtype)).reshape(rm.shape)
        running_mean._vbox[0] += 1
    if running_var is not None:
        rv = running_var._data
        unbiased = (var_sum.reshape(-1) / dtype.type(n - 1)).astype(np.float64)
        new = np.float64(m) * unbiased + (keep * _promoted(rv, dtype)).astype(np.float64)
        rv[...] = new.astype(dtype).reshape(rv.shape)
        running_var._vbox[0] += 1


def _promoted(buffer: np.ndarray, dtype) -> np.ndarray:
    """``buffer`` flat, in its promoted type with ``dtype``: a float32 scalar times a
    float16 buffer is float32 in NumPy 2 (and torch), float16 in NumPy 1 unless widened."""
    return buffer.reshape(-1).astype(np.promote_types(buffer.dtype, dtype), copy=False)


def _check_features(name: str, expected: int, t: Tensor) -> None:
    actual = t._data.size
    if actual != expected:
        raise RuntimeError(f"{name} should contain {expected} elements not {actual}")


def native_batch_norm(input, weight, bias, running_mean, running_var, training: bool,  # noqa: A002
                      momentum: float, eps: float):
    """``torch.native_batch_norm``: (output, save_mean, save_invstd); in eval the saved
    statistics are empty, as torch returns them."""
    if training and isinstance(input, Tensor) and input._data.size == 0:
        raise RuntimeError("input tensor must have at least one element, but got "
                           f"input_sizes = {list(input._data.shape)}")
    stats: list[np.ndarray] = []  # the call below appends the mean and 1 / std
    out = torch_batch_norm(input, weight, bias, running_mean, running_var, training,
                           momentum, eps, False, _stats=stats)
    if not training:
        empty = np.zeros(0, out._data.dtype)
        return out, wrap(empty), wrap(empty.copy())
    return out, wrap(stats[0]), wrap(stats[1])


def torch_batch_norm(input, weight, bias, running_mean, running_var, training: bool,  # noqa: A002
                     momentum: float, eps: float, cudnn_enabled: bool = True, *,
                     _stats=None) -> Tensor:
    """``torch.batch_norm(input, weight, bias, running_mean, running_var, training,
    momentum, eps, cudnn_enabled)``: batch_norm without the Python-level checks."""
    x = _check_tensor("batch_norm", input, "input", 1)
    if momentum is None or not isinstance(momentum, (int, float, np.floating)):
        raise TypeError(
            "batch_norm(): argument 'momentum' (position 7) must be float, not "
            f"{type_name(momentum)}"
        )
    data = x._data
    if data.size == 0 and _stats is None:
        return _empty_batch_norm(x, weight, bias)
    # torch counts a 1-d or 0-d input's channels as 0, and fails at its dim 1 only later
    channels = data.shape[1] if data.ndim > 1 else 0
    if running_mean is not None:
        _check_features("running_mean", channels, running_mean)
    elif not training:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    if running_var is not None:
        _check_features("running_var", channels, running_var)
    elif not training:
        raise RuntimeError("running_var must be defined in evaluation mode")
    if weight is not None:
        _check_features("weight", channels, weight)
    if bias is not None:
        _check_features("bias", channels, bias)
    if data.ndim < 2:
        raise IndexError(
            "Dimension out of range (expected to be in range of [-1, 0], but got 1)"
        )
    if (running_mean is None) != (running_var is None):
        raise ValueError(
            "running_mean and running_var must either both be None or neither be None"
        )
    _float_kernel("batch_norm", x)
    _check_param_dtypes(x, (weight, bias, running_mean, running_var))
    return NativeBatchNorm.apply(x, weight, bias, training=bool(training),
                                 momentum=float(momentum), eps=float(eps),
                                 running_mean=running_mean, running_var=running_var,
                                 stats=_stats)


def _empty_batch_norm(x: Tensor, weight, bias) -> Tensor:
    """torch's batch_norm on an empty input skips its checks and kernel and returns
    ``x.clone() * weight[0] + bias[0]`` (a fresh tensor that keeps the graph connected
    to every input: CloneBackward0, MulBackward0 or AddBackward0, zero parameter
    gradients); the running statistics are untouched."""
    out = x.clone()
    if weight is not None:
        out = out * weight.select(0, 0)
    if bias is not None:
        out = out + bias.select(0, 0)
    return out


def _verify_batch_size(size) -> None:
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {size}"
        )


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) of ``input`` (N, C, *) to zero mean and unit variance.

    training: uses the batch statistics (biased variance) and, when given, updates
    ``running_mean``/``running_var`` in place with ``momentum`` (the running variance is
    updated with the unbiased batch variance). eval: uses the running statistics.
    Then scales by ``weight`` and shifts by ``bias`` (per channel)."""
    x = _check_tensor("batch_norm", input, "input", 1)
    if training:
        _verify_batch_size(x.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return torch_batch_norm(x, weight, bias, running_mean, running_var, training, momentum,
                            eps, True)


# ---------------------------------------------------------------------------------------
# instance_norm


def torch_instance_norm(input, weight, bias, running_mean, running_var,  # noqa: A002
                        use_input_stats: bool, momentum: float, eps: float,
                        cudnn_enabled: bool = True) -> Tensor:
    """``torch.instance_norm``: as torch, batch_norm on the input viewed as
    (1, N * C, *), with weight, bias and running statistics repeated N times; the running
    statistics then take the mean over the batch of the updated copies."""
    x = _check_tensor("instance_norm", input, "input", 1)
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError(
            "Expected running_mean and running_var to be defined when use_input_stats is "
            "false"
        )
    shape = x._data.shape
    b, c = shape[0], shape[1]
    folded = _shape.view(x.contiguous(), (1, b * c) + tuple(shape[2:]))
    weight_ = None if weight is None else weight.repeat(b)
    bias_ = None if bias is None else bias.repeat(b)
    # torch casts the running statistics to the weight's dtype (the input's without a
    # weight), so any float dtype is accepted for them here, unlike in batch_norm; the
    # result is written back rounded to the buffers' dtype
    stats_dtype = x.dtype if weight is None else weight.dtype
    with no_grad():
        mean_ = None if running_mean is None else running_mean.repeat(b).to(stats_dtype)
        var_ = None if running_var is None else running_var.repeat(b).to(stats_dtype)
    out = torch_batch_norm(folded, weight_, bias_, mean_, var_, use_input_stats, momentum,
                           eps, cudnn_enabled)
    for running, copy in ((running_mean, mean_), (running_var, var_)):
        # written back only when updated (in eval, the mean of the copies would round)
        if copy is not None and use_input_stats:  # (copy is None exactly when running is)
            # an empty input skipped batch_norm's size checks: torch's view and copy_
            # speak instead (a batch of 0 gives nan, the mean of nothing)
            stacked = _opmath(_shape.view(copy, (b, c))._data)  # (float16: sum in float32)
            mean = stacked.sum(axis=0) / stacked.dtype.type(b)  # torch: sum, then divide
            mean = mean.astype(copy._data.dtype)
            if mean.shape == running._data.shape:
                running._data[...] = mean
                running._vbox[0] += 1
            else:
                with no_grad():
                    running.copy_(wrap(mean))  # broadcasts as torch's copy_, or raises
    return _shape.view(out, shape)


def _verify_spatial_size(size) -> None:
    size_prods = 1
    for i in range(2, len(size)):
        size_prods *= size[i]
    if size_prods == 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {size}"
        )


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Normalize each channel of each sample (N, C, *) over its spatial elements;
    with ``use_input_stats=False`` the running statistics are used instead."""
    x = _check_tensor("instance_norm", input, "input", 1)
    if use_input_stats:
        _verify_spatial_size(x.size())
    return torch_instance_norm(x, weight, bias, running_mean, running_var, use_input_stats,
                               momentum, eps, True)


# ---------------------------------------------------------------------------------------
# layer_norm


class NativeLayerNorm(Primitive):
    """Layer normalization over the last k dimensions (``normalized_shape``).

    out = (x - mean) * rstd * weight + bias (mean, rstd per leading index);
    grad_weight = sum over leading dims of grad * xhat,  grad_bias = sum of grad,
    grad_x = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) over the last k dims,
    gw = grad * weight."""

    node_name = "NativeLayerNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, *, k, eps, stats=None):
        lead = x.shape[:x.ndim - k]
        cols = math.prod(x.shape[x.ndim - k:])  # (math.prod: np.prod of a tuple costs ~5 us)
        rows = math.prod(lead)
        ctx.eps, ctx.count, ctx.shape2 = eps, cols, (rows, cols)
        ctx.norm_dims = tuple(range(x.ndim - k, x.ndim))
        ctx.lead_dims = tuple(range(x.ndim - k))
        ctx.param_shape = x.shape[x.ndim - k:]
        ctx.save_for_backward(x, weight, bias)  # (bias only as torch: checked for changes)
        out_dtype, stats_dtype = x.dtype, _stats_dtype(x, weight, bias)
        ctx.stats_dtype, ctx.stat_shape = stats_dtype, lead + (1,) * k  # (as torch saves them)
        x, weight, bias = _opmath(x), _opmath(weight), _opmath(bias)
        x2 = x.reshape(rows, cols)
        mean, rstd, xhat = _row_moments(x2, eps)
        ctx.mean, ctx.invstd = _saved(mean, stats_dtype), _saved(rstd, stats_dtype)
        if stats is not None:  # native_layer_norm returns them, shaped (*lead, 1, ..., 1)
            stat_shape = ctx.stat_shape
            stats.extend(s.reshape(stat_shape).astype(stats_dtype) for s in (mean, rstd))
        per_row(np.multiply, xhat, rstd.reshape(-1), xhat)
        ctx.xhat = _kept_xhat(ctx, xhat, x2, mean, rstd)
        wide = _wide_rows(xhat, (cols,))  # (weight and bias by wide rows)
        own = None if ctx.xhat is xhat else xhat  # (an array of its own where xhat is kept)
        out = xhat
        if weight is not None:
            out = own = _per_channel(np.multiply, xhat, weight.reshape(-1), wide, out=own)
        if bias is not None:
            out = _per_channel(np.add, out, bias.reshape(-1), wide, out=own)
        else:  # torch adds the bias, or 0 without one: never -0.0
            out = np.add(out, out.dtype.type(0), out=own)
        return out.reshape(x.shape).astype(out_dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight, bias = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if weight is None and bias is not None and bias._data.dtype != x._data.dtype:
            # torch's backward kernel takes a float16 input with a float32 bias but no
            # weight for all-float16 (its forward, for mixed) and fails
            raise RuntimeError(f"expected scalar type {_TYPE_WORD[x._data.dtype.name]} but "
                               f"found {_TYPE_WORD[bias._data.dtype.name]}")
        if GRAD_STATE.enabled:
            # create_graph: the same gradients, from one node of their own (as torch's
            # native_layer_norm_backward), whose backward is torch's double backward
            grad_x, grad_w, grad_b = NativeLayerNormBackward.apply(grad, x, None, None,
                                                                   weight, bias, ln=ctx)
            return (grad_x if need_x else None, grad_w if need_w else None,
                    grad_b if need_b else None)
        grad_x, grad_w, grad_b = _fast_layer_norm_backward(
            ctx, grad._data, x._data, None if weight is None else weight._data,
            (need_x, need_w, need_b))
        return (None if grad_x is None else wrap(grad_x), None if grad_w is None else wrap(grad_w),
                None if grad_b is None else wrap(grad_b))


def _fast_layer_norm_backward(ctx, grad: np.ndarray, x: np.ndarray, weight, needs):
    """layer_norm's first-order gradients fused in NumPy on (rows, cols) arrays (float16
    in float32, as the forward; the caller rounds): see NativeLayerNorm. ``needs``: which
    of (grad_x, grad_weight, grad_bias) to compute (None for the others)."""
    need_x, need_w, need_b = needs
    g2 = _opmath(grad).reshape(ctx.shape2)
    xhat = _xhat_rows(ctx, x)
    grad_x = grad_w = grad_b = None
    if need_b:
        grad_b = _column_sums(g2).reshape(ctx.param_shape)
    spare = None  # (g2 * xhat, once its column sums are taken: grad_x's buffer)
    if need_w:
        spare = g2 * xhat
        grad_w = _column_sums(spare).reshape(ctx.param_shape)
    if need_x:
        gw = g2 if weight is None else _per_channel(
            np.multiply, g2, _opmath(weight).reshape(-1), _wide_rows(g2, g2.shape[1:]))
        grad_x = _rows_grad_x(gw, xhat, ctx.invstd, spare).reshape(x.shape)
    return grad_x, grad_w, grad_b


class NativeLayerNormBackward(Primitive):
    """layer_norm's first-order gradients (grad_x, grad_weight, grad_bias) as one node, as
    torch records its native_layer_norm_backward under create_graph. Inputs: grad, x,
    mean, rstd (None here: torch's are not differentiable, edges only), weight, bias
    (an edge only: its gradient is zero).

    forward: the fused NumPy rule of the first-order backward (the same numbers).
    backward: torch's layer_norm_double_backward in torchlet operations, operation for
    operation, on (M, N) views (M rows, N = the normalized elements per row), with the
    saved mean mu and rstd s (cast to x's dtype) as constants; xmu = x - mu, S() the
    sum over a row (keepdim), gamma = weight (or 1), gx = gO * gamma:

        gI  = xmu s^3 (S(ggI) S(gx) / N - S(ggI gx) + 3 s^2 S(gx xmu) S(ggI xmu) / N) / N
              + S(ggI xmu) s^3 / N (S(gx) / N - gx) + S(gx xmu) s^3 / N (S(ggI) / N - ggI)
              + gO ggG s - s S(gO ggG) / N - xmu s^3 S(gO ggG xmu) / N
        gG  = sum over rows of gO * first(ggI, 1)
        ggO = first(ggI, gamma) + ggG xmu s + ggB
    where first(g, gamma) = gamma s / N * (N g - S(g) - xmu s^2 S(g xmu)), the first
    backward's grad_x (each term only where its ggI / ggG / ggB is given)."""

    node_name = "NativeLayerNormBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, mean, rstd, weight, bias, *, ln):
        ctx.save_for_backward(grad, x, weight)
        ctx.mean, ctx.invstd, ctx.param_shape = ln.mean, ln.invstd, ln.param_shape
        ctx.shape2, ctx.stat_shape, ctx.stats_dtype = ln.shape2, ln.stat_shape, ln.stats_dtype
        grads = _fast_layer_norm_backward(ln, grad, x, weight, ln.needs_input_grad)
        # torch computes only the masked gradients; the others are placeholders here
        # (never handed out: NativeLayerNorm.backward drops them)
        dtypes = (x.dtype, _param_dtype(weight, x), _param_dtype(bias, x))
        return tuple(np.zeros(0, dtype) if g is None else g.astype(dtype, copy=False)
                     for g, dtype in zip(grads, dtypes))

    @staticmethod
    def backward(ctx, ggI, ggG, ggB):
        gO, x, weight = ctx.saved_tensors
        need_gO, need_x, _, _, need_w, _ = ctx.needs_input_grad
        gI, gG, ggO = _layer_norm_double_backward(ctx, x, weight, ggI, ggG, ggB, gO)
        return (ggO if need_gO else None, gI if need_x else None, None, None,
                gG if need_w else None, None)


def _param_dtype(param, x: np.ndarray):
    return x.dtype if param is None else param.dtype


def _layer_norm_double_backward(ctx, input_t: Tensor, gamma, ggI, ggG, ggB, gO_t: Tensor):
    """torch's layer_norm_double_backward (FunctionsManual.cpp), operation for operation
    (the same rounding, the same nodes): (gI, gG, ggO), see NativeLayerNormBackward."""
    M, N = ctx.shape2  # noqa: N806 - torch's names

    def over(t, number):  # (torch's C++ formula divides and multiplies by Scalars)
        return DivScalar.apply(t, number=number)

    def times(t, number):
        return MulScalar.apply(t, number=number)

    dtype = input_t._data.dtype
    input = input_t.reshape(M, N)  # noqa: A001 - torch's name
    gO = gO_t.reshape(M, N)
    affine = gamma is not None
    ggG_expanded = ggB_expanded = None
    if affine:
        gamma_expanded = gamma.reshape(1, N)
        if ggG is not None:
            ggG_expanded = ggG.reshape(1, N)
        if ggB is not None:
            ggB_expanded = ggB.reshape(1, N)
    else:
        gamma_expanded = wrap(np.ones(1, dtype))
    ggI_expanded = None if ggI is None else ggI.reshape(M, N)
    # the saved statistics, cast to the input's dtype (float16 ones: float32 kept)
    mu = wrap(ctx.mean.reshape(M, 1).astype(dtype))
    input_sub_mu = input - mu
    s = wrap(ctx.invstd.reshape(M, 1).astype(dtype))  # sigma2_eps_neg_1_2
    s2, s3 = s.pow(2), s.pow(3)
    gI = None
    input_mu_s3 = input_sub_mu * s3
    if ggI is not None:
        assert ggI_expanded is not None  # (set with ggI)
        gxhat = gO * gamma_expanded
        gxhat_mu_sum = (gxhat * input_sub_mu).sum(1, True)
        gxhat_sum = gxhat.sum(1, True)
        ggI_sum = ggI_expanded.sum(1, True)
        ggI_mu_sum = (ggI_expanded * input_sub_mu).sum(1, True)
        all_sub = (over(ggI_sum * gxhat_sum, N) - (ggI_expanded * gxhat).sum(1, True)
                   + times(s2 * gxhat_mu_sum * ggI_mu_sum, 3. / N if N else np.inf))
        gI_0t = over(input_mu_s3 * all_sub, N)
        gI_1t = over(ggI_mu_sum * s3, N) * (over(gxhat_sum, N) - gxhat)
        gI_2t = over(gxhat_mu_sum * s3, N) * (over(ggI_sum, N) - ggI_expanded)
        gI = gI_0t + gI_1t + gI_2t
    if affine and ggG is not None:
        t0 = gO * ggG_expanded * s
        t1 = over(s * (gO * ggG_expanded).sum(1, True), -N)
        t2 = over(input_mu_s3 * (gO * ggG_expanded * input_sub_mu).sum(1, True), -N)
        term = t0 + t1 + t2
        gI = term if gI is None else gI + term
    if gI is not None:
        gI = gI.reshape_as(input_t)

    def first_bwd_fn_grad_input(g, gamma_local):
        h0 = over(gamma_local * s, N)
        h1 = (times(g, N) - g.sum(1, True)) - input_sub_mu.mul(s2) * (g * input_sub_mu).sum(1, True)
        return h0 * h1

    gG = None
    if affine and ggI is not None:
        gG = first_bwd_fn_grad_input(ggI_expanded, wrap(np.ones((), s._data.dtype)))
        gG = (gO * gG).sum(0).reshape_as(gamma)
    ggO = None
    if ggI is not None:
        ggO = first_bwd_fn_grad_input(ggI_expanded, gamma_expanded)
    if ggG is not None:
        term = ggG_expanded * input_sub_mu * s
        ggO = term if ggO is None else ggO + term
    if ggB is not None:
        _check_bias_term(ggO, ggB_expanded)
        ggO = ggB_expanded if ggO is None else ggO + ggB_expanded
    if ggO is not None:
        ggO = ggO.expand(M, N).reshape_as(input_t)
    return gI, gG, ggO


def _check_layer_norm_inputs(x: Tensor, normalized_shape: tuple, weight, bias,
                             rms: bool = False) -> None:
    """torch's checks in its order; ``rms`` (rms_norm's variant) says "[*3, 3]" and
    rejects an input with fewer dims than normalized_shape by a ValueError first."""
    shape = list(x._data.shape)
    k = len(normalized_shape)
    if k < 1:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
            f"least one element, but got normalized_shape = {list(normalized_shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p._data.shape) != normalized_shape:
            raise RuntimeError(
                f"Expected {name} to be of same shape as normalized_shape, but got {name} of "
                f"shape {list(p._data.shape)} and normalized_shape = {list(normalized_shape)}"
            )
    if rms and len(shape) < k:
        raise ValueError(f"Input tensor must have at least {k} dimensions, but got {len(shape)}")
    if len(shape) < k or tuple(shape[len(shape) - k:]) != normalized_shape:
        wanted = ", ".join(str(s) for s in normalized_shape)
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*{'' if rms else ', '}{wanted}], but got input of size{shape}"
        )


def native_layer_norm(input, normalized_shape, weight, bias, eps: float):  # noqa: A002
    """``torch.native_layer_norm``: (output, mean, rstd), the statistics shaped
    (*leading dims, 1, ..., 1)."""
    stats: list[np.ndarray] = []  # the call below appends the mean and 1 / std
    out = torch_layer_norm(input, normalized_shape, weight, bias, eps, _stats=stats)
    return out, wrap(stats[0]), wrap(stats[1])


def torch_layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
                     cudnn_enable: bool = True, *, _stats=None) -> Tensor:
    """``torch.layer_norm`` (the same as F.layer_norm)."""
    x = _check_tensor("layer_norm", input, "input", 1)
    normalized_shape = _normalized_shape("layer_norm", normalized_shape)
    _check_mixed_dtypes(x, (weight, bias))  # torch checks this before any shape
    _check_layer_norm_inputs(x, normalized_shape, weight, bias)
    _float_kernel("LayerNormKernelImpl", x)
    _check_param_dtypes(x, (weight, bias))
    return NativeLayerNorm.apply(x, weight, bias, k=len(normalized_shape), eps=float(eps),
                                 stats=_stats)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Normalize over the last ``len(normalized_shape)`` dimensions (which must equal
    ``normalized_shape``) to zero mean and unit variance, then scale by ``weight`` and
    shift by ``bias`` (both of shape ``normalized_shape``)."""
    return torch_layer_norm(input, normalized_shape, weight, bias, eps)


# ---------------------------------------------------------------------------------------
# group_norm


class NativeGroupNorm(Primitive):
    """Group normalization: the C channels are split into G groups; statistics per
    (sample, group) over the group's channels and all spatial positions. Outputs, as
    torch's native_group_norm: (out, mean, rstd), the statistics shaped (N, G).

    out = (x - mean) * rstd * weight[c] + bias[c];  gradients as layer_norm's, with the
    statistics over (channels of the group, spatial) and weight/bias summed over
    (batch, spatial). Under create_graph (or with gradients for mean / rstd) torch's
    backward is a composite, infinitely_differentiable_native_group_norm_backward
    (``_group_norm_backward_composite``), which reads the saved mean and rstd as outputs
    of this node: the second derivative comes back here through them."""

    node_name = "NativeGroupNormBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, *, groups, eps):
        n, c = x.shape[0], x.shape[1]
        spatial = math.prod(x.shape[2:])
        d = c // groups
        ctx.shape4 = (n, groups, d, spatial)
        ctx.shape2 = (n * groups, d * spatial)
        ctx.eps, ctx.channels, ctx.count = eps, c, d * spatial
        out_dtype, stats_dtype = x.dtype, _stats_dtype(x, weight, bias)
        x_given, weight_given = x, weight
        # torch keeps a channels_last input's layout (read before float16's copy to
        # float32, which may restride the size-1 dims)
        fmt = ctx.fmt = suggested_memory_format(x)  # (as torch's grad_x, whatever grad's)
        x, weight, bias = _opmath(x), _opmath(weight), _opmath(bias)
        x2 = x.reshape(ctx.shape2)
        mean, rstd, xhat = _row_moments(x2, eps, eps_in_double=True)
        ctx.mean, ctx.invstd = _saved(mean, stats_dtype), _saved(rstd, stats_dtype)
        mean_out = mean.reshape(n, groups).astype(stats_dtype)
        rstd_out = rstd.reshape(n, groups).astype(stats_dtype)
        ctx.save_for_backward(x_given, weight_given, mean_out, rstd_out)
        per_row(np.multiply, xhat, rstd.reshape(-1), xhat)
        # (without parameters the output is xhat itself: not kept for the backward then)
        affine = weight is not None or bias is not None
        ctx.xhat = _kept_xhat(ctx, xhat, x2, mean, rstd) if affine else None
        out = xhat.reshape(ctx.shape4)
        w_shape = (1, groups, d, 1)
        wide = _wide_rows(out, w_shape)  # (weight and bias by wide rows)
        if weight is not None:  # (into an array of its own where xhat is kept)
            out = _per_channel(np.multiply, out, weight.reshape(w_shape), wide,
                               out=None if ctx.xhat is xhat else out)
        if bias is not None:
            out = _per_channel(np.add, out, bias.reshape(w_shape), wide,
                               out=None if weight is None and ctx.xhat is xhat else out)
        out = out.reshape(x.shape).astype(out_dtype, copy=False)
        return (out if fmt is None else _in_format(out, fmt)), mean_out, rstd_out

    @staticmethod
    def backward(ctx, grad, grad_mean, grad_rstd):
        if GRAD_STATE.enabled or grad_mean is not None or grad_rstd is not None:
            x, weight, mean, rstd = ctx.saved_tensors
            return _group_norm_backward_composite(ctx, grad, grad_mean, grad_rstd, x, mean,
                                                  rstd, weight)
        # first order: the same rule, fused in NumPy; each (sample, group) is a row
        x, weight = ctx.saved_tensors[:2]
        shape4 = ctx.shape4
        w_shape = (1, shape4[1], shape4[2], 1)
        need_x, need_w, need_b = ctx.needs_input_grad
        g4 = _opmath(grad._data).reshape(shape4)  # (float16 in float32, as the forward)
        xhat = _xhat_rows(ctx, x._data)
        xhat4 = xhat.reshape(shape4)
        grad_x = grad_w = grad_b = None
        if need_b:
            grad_b = wrap(np.add.reduce(g4, axis=(0, 3)).reshape(-1))
        spare = None  # (g4 * xhat4, once summed: grad_x's buffer)
        if need_w:
            spare = g4 * xhat4
            grad_w = np.add.reduce(spare, axis=(0, 3))
            if not shape4[3]:  # no positions: torch's sum over the batch of
                # (ds - db * mean) * rstd is of 0 * nan (nan unless the batch is empty)
                grad_w = grad_w + (0 * ctx.invstd).reshape(*shape4[:2], 1).sum(0)
            grad_w = wrap(grad_w.reshape(-1))
        if need_x:
            gw = g4 if weight is None else _per_channel(
                np.multiply, g4, _opmath(weight._data).reshape(w_shape), _wide_rows(g4, w_shape))
            grad_x = _rows_grad_x(gw.reshape(ctx.shape2), xhat, ctx.invstd,
                                  None if spare is None else spare.reshape(ctx.shape2))
            grad_x = grad_x.reshape(x._data.shape)
            grad_x = wrap(_laid_out(grad_x, ctx.fmt or _dtype.contiguous_format))
        return grad_x, grad_w, grad_b


def _group_norm_backward_composite(ctx, dY, dmean, drstd, X, mean, rstd, gamma):  # noqa: N803
    """torch's infinitely_differentiable_native_group_norm_backward (FunctionsManual.cpp),
    operation for operation: differentiable again, through x, weight and the saved mean
    and rstd (outputs of the forward node). With ds = S(dY x), db = S(dY) over each
    channel's positions, sums over the group's channels of ds * gamma and db * gamma,
    s = 1 / (D * HxW), mu = mean, r = rstd:

        b  = (S(db gamma) mu - S(ds gamma)) r^3 s,   c = -b mu - S(db gamma) r s
        dX = r gamma dY + b x + c  (+ var_mean's backward of dvar = -r^3 drstd / 2 and
             dmean, when both are given)
        dgamma = sum over the batch of (ds - db mu) r,   dbeta = sum over the batch of db"""
    need_x, need_w, need_b = ctx.needs_input_grad
    N, G, D, HxW = ctx.shape4  # noqa: N806 - torch's names
    s = 1.0 / (D * HxW) if D * HxW else np.inf  # (C++'s double division by 0)
    dX = dgamma = dbeta = None
    X_tensor = X.reshape(N, G, D, HxW)  # noqa: N806
    mean_tensor = mean.reshape(N, G, 1, 1)
    rstd_tensor = rstd.reshape(N, G, 1, 1)
    if dY is not None:
        dY_tensor = dY.reshape(N, G, D, HxW)  # noqa: N806
        ds = (dY_tensor * X_tensor).sum(3).unsqueeze_(-1)  # (in place, as torch)
        db = dY_tensor.sum(3).unsqueeze_(-1)
    both = dmean is not None and drstd is not None  # (torch uses them only together)
    if need_x:
        gamma_tensor = None if gamma is None else gamma.reshape(1, G, D, 1)
        rstd_cube = rstd_tensor * rstd_tensor * rstd_tensor
        dvar = None
        if drstd is not None:
            dvar = MulScalar.apply(rstd_cube, number=-0.5) * drstd.view(N, G, 1, 1)
        if dY is not None:
            a = rstd_tensor if gamma is None else rstd_tensor * gamma_tensor
            b = (ds.sum(2) if gamma is None else (ds * gamma_tensor).sum(2)).unsqueeze_(-2)
            c = (db.sum(2) if gamma is None else (db * gamma_tensor).sum(2)).unsqueeze_(-2)
            b = MulScalar.apply((c * mean_tensor - b) * rstd_cube, number=s)
            c = -b * mean_tensor - MulScalar.apply(c * rstd_tensor, number=s)
            dX = a * dY_tensor + b * X_tensor + c
            if both:
                dX = dX + _var_mean_backward(dvar, dmean.view(N, G, 1, 1), X_tensor, (2, 3))
            dX = dX.reshape_as(X)
        elif both:
            dX = _var_mean_backward(dvar, dmean.view(N, G, 1, 1), X_tensor, (2, 3)).reshape_as(X)
    if need_w and dY is not None:
        dgamma = ((ds - db * mean_tensor) * rstd_tensor).sum(0).reshape_as(gamma)
    if need_b and dY is not None:
        # (without a weight torch fails here, reshaping as the undefined gamma, and its
        # first-order kernel too, but only when this pass wants the bias's gradient,
        # which a node here cannot tell: torchlet gives the gradient instead)
        dbeta = db.sum(0).reshape(ctx.channels) if gamma is None else db.sum(0).reshape_as(gamma)
    return dX, dgamma, dbeta


def _var_mean_backward(gvar, gmean, x: Tensor, dims):
    """torch's var_mean_backward (correction 0, keepdim): the gradient of x from those of
    its biased variance and its mean over ``dims``."""
    n = math.prod(x._data.shape[d] for d in dims)
    scale = 2.0 / n if n else np.inf  # (C++'s double division by 0; x is empty then)
    gself = MulScalar.apply(gvar, number=scale) * (x - x.mean(dims, keepdim=True))
    return gself + DivScalar.apply(gmean.expand(x._data.shape), number=n)


def native_group_norm(input, weight, bias, N: int, C: int, HxW: int, group: int,  # noqa: A002, N803
                      eps: float):
    """``torch.native_group_norm``: (output, mean, rstd), the statistics shaped (N, group)."""
    return torch_group_norm(input, group, weight, bias, eps, _outputs=True)


def torch_group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5,  # noqa: A002
                     cudnn_enabled: bool = True, *, _outputs: bool = False) -> Tensor:
    """``torch.group_norm`` (F.group_norm without its batch-size check); ``_outputs``:
    all of native_group_norm's outputs (out, mean, rstd)."""
    x = _check_tensor("group_norm", input, "input", 1)
    shape = list(x._data.shape)
    c = shape[1]
    if num_groups <= 0:
        raise RuntimeError(f"Expected num groups to be greater than 0, got {num_groups}")
    if c % num_groups != 0:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {shape} and num_groups={num_groups}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p._data.ndim != 1 or p._data.size != c):
            raise RuntimeError(
                f"Expected {name} to be a vector of size equal to the number of channels in "
                f"input, but got {name} of shape {list(p._data.shape)} and input of shape "
                f"{shape}"
            )
    _check_mixed_dtypes(x, (weight, bias))  # (before the integer check, as torch)
    _float_kernel("GroupNormKernelImpl", x)
    _check_param_dtypes(x, (weight, bias))
    outputs = NativeGroupNorm.apply(x, weight, bias, groups=int(num_groups), eps=float(eps))
    return outputs if _outputs else outputs[0]


def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Split the channels of ``input`` (N, C, *) into ``num_groups`` groups and normalize
    each (sample, group) over its channels and positions; then per-channel scale and
    shift."""
    if not isinstance(input, Tensor):  # (torch's group_norm is Python: input.dim() first)
        raise no_attribute_error(input, "dim")
    x = input
    if x._data.ndim < 2:
        raise RuntimeError(
            "Expected at least 2 dimensions for input tensor but received "
            f"{x._data.ndim}"
        )
    shape = x._data.shape
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:]))
    return torch_group_norm(x, num_groups, weight, bias, eps, True)


# ---------------------------------------------------------------------------------------
# rms_norm and local_response_norm (composites, as in torch)


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:  # noqa: A002
    """x / sqrt(mean(x^2) + eps) over the last ``len(normalized_shape)`` dimensions, times
    ``weight``; eps defaults to the machine epsilon of the dtype computed in. As torch, a
    composite: pow, mean, add, rsqrt, mul (the graph ends in MulBackward0, or
    CloneBackward0 for a non-contiguous input that is not channels_last). A float16 input
    is computed in float32 (ToCopyBackward0 below and on top, eps float32's), and the
    result is cast back to the input's dtype (ToCopyBackward0 on top, e.g. for a float64
    weight)."""
    x = _check_tensor("rms_norm", input, "input", 1)
    normalized_shape = _normalized_shape("rms_norm", normalized_shape)
    _check_layer_norm_inputs(x, normalized_shape, weight, None, rms=True)
    _float_kernel("rms_norm", x)
    k = len(normalized_shape)
    ndim = x._data.ndim
    dims = tuple(range(ndim - k, ndim))
    up = x.to(_dtype.float32) if x._data.dtype == np.float16 else x  # torch's opmath
    eps_val = _dtype.finfo(up.dtype).eps if eps is None else eps
    # eps is added as a Scalar (add(Tensor, Scalar): node AddBackward1)
    rsqrt = AddScalar.apply(up.pow(2).mean(dims, keepdim=True), number=eps_val).rsqrt()
    out = up.mul(rsqrt)
    if weight is not None:
        out = out.mul(weight)
    # torch returns a contiguous result (CloneBackward0 when that copies) unless the
    # input is channels_last
    if suggested_memory_format(x._data) is None:
        out = out.contiguous()
    return out if out._data.dtype == x._data.dtype else out.to(x.dtype)


def _lrn_composed(x: Tensor, size: int) -> Tensor:
    """torch's local_response_norm up to its window average (pad the squares' channels,
    avg_pool over ``size`` of them), for the errors a size of 0 or less meets there."""
    from torchlet.nn._functional.padding import pad
    from torchlet.nn._functional.pooling import avg_pool2d, avg_pool3d

    div = x.mul(x)
    if x._data.ndim == 3:
        div = pad(div.unsqueeze(1), (0, 0, size // 2, (size - 1) // 2))
        return avg_pool2d(div, (size, 1), stride=1)
    shape = x._data.shape
    div = div.view(shape[0], 1, shape[1], shape[2], -1)
    div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
    return avg_pool3d(div, (size, 1, 1), stride=1)


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over a window of ``size`` neighbouring channels)^beta.

    torch pads the channel dimension with zeros and averages with avg_pool; here the
    window sum is taken slice by slice in the same order (so float32 sums agree), then
    divided by ``size``."""
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "dim")
    x = input
    dim = x._data.ndim
    if dim < 3:
        raise ValueError(
            "Expected 3D or higher dimensionality                          input "
            f"(got {dim} dimensions)"
        )
    if x._data.size == 0:
        return x
    if size <= 0:  # torch's composition: pad crops, then avg_pool refuses the window
        return _lrn_composed(x, size)
    div = x.mul(x)
    shape = x._data.shape
    if dim > 3:  # torch views the squares as (N, 1, C, H, -1) for avg_pool3d, which
        # raises for a layout that cannot be viewed so (e.g. the last two dims swapped)
        _shape.view(div, (shape[0], 1, shape[1], shape[2], -1))
        if x._data.dtype == np.float16:  # torch's avg_pool3d has no Half kernel on the CPU
            raise NotImplementedError("\"avg_pool3d_out_frame\" not implemented for 'Half'")
    if size == 1:  # no window to sum; torch's avg_pool output fixes the layout of the
        # size-1 dims' strides (the window sum below keeps the input's)
        div = _lrn_composed(x, size).squeeze(1).view(shape)
        return x / div.mul(alpha).add(k).pow(beta)
    channels = shape[1]
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(_zeros((shape[0], before) + shape[2:], dtype=x.dtype))
    parts.append(div)
    if after:
        parts.append(_zeros((shape[0], after) + shape[2:], dtype=x.dtype))
    padded = _shape.cat(parts, 1) if len(parts) > 1 else div
    half = x._data.dtype == np.float16
    if half:  # torch's avg_pool2d sums and divides a float16 input in float32
        padded = padded.to(_dtype.float32)
    # every window lies inside the padded channels: C + size - 1 of them
    total = _shape.narrow(padded, 1, 0, channels)
    for i in range(1, size):
        total = total + _shape.narrow(padded, 1, i, channels)
    div = total / size
    if half:
        div = div.to(x.dtype)
    div = div.mul(alpha).add(k).pow(beta)
    return x / div

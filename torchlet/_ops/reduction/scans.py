"""Running extrema and running log-sum-exp along a dimension: cummax, cummin,
logcumsumexp. (cumsum and cumprod live in ``sums``.)

cummax/cummin follow torch's CPU loop, which keeps the running value ``out`` and its
index and, at each position ``i``, takes ``a[i]`` when ``isnan(a[i])`` or
``a[i] >= out`` (``<=`` for cummin; false once ``out`` is NaN). So among equal values
the newer index wins, -0.0 and 0.0 count as equal (the value reported is the element at
the index, with its sign), and after a NaN the values stay NaN while the index moves on
to each later NaN. Values and indices are bit-exact.

logcumsumexp accumulates with the same stable step as torch,
``log1p(exp(min - max)) + max``, in float64 for float32 input (float32 for float16),
rounding each output once: equal to torch's to within float rounding (in practice bit
for bit).
"""

from __future__ import annotations

import numpy as np

from torchlet import return_types
from torchlet._numpy_names import numpy_names
from torchlet._ops.indexing.gather_scatter import ScatterAddZeros
from torchlet._ops.pointwise.operands import _out, _out_tuple, scalar_type_mismatch
from torchlet._ops.reduction._common import (
    Flip,
    accumulation_dtype,
    check_tensor,
    reduction_layout,
    type_word,
    wrap_dim,
)
from torchlet._ops.shape.common import _int
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# cummax, cummin


def running_extreme(ufunc, a: np.ndarray, dim: int):
    """(values, indices) of the running maximum (``ufunc=np.maximum``) or minimum along
    ``dim``, by torch's rule: position i takes over when a[i] is NaN or ties/beats the
    running value.

    Without a Python loop: ``ufunc.accumulate`` gives the running values (NaN spreads,
    as in torch's loop). a[i] takes over exactly where it equals the running value at i
    (then it tied or beat everything before it) or is NaN; the index at i is the last
    take-over at or before i.
    """
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    values = ufunc.accumulate(a, axis=dim)
    taken = a == values
    if a.dtype.kind == "f" and a.shape[dim]:
        ends = values[(slice(None),) * dim + (-1,)]
        if np.isnan(ends).any():  # a slice holds a NaN: it ends with NaN
            taken |= np.isnan(a)
    indices = _last_true_position(taken, dim)
    if a.dtype.kind == "f":
        # The value is the element at the index: a tied zero keeps that element's sign
        # (which of two equal arguments ufunc returns is up to NumPy).
        zero = values == 0
        if zero.any():
            zeros = np.nonzero(zero)
            at = list(zeros)
            at[dim] = indices[zeros]
            values[zeros] = a[tuple(at)]
    return values, indices


def _last_true_position(taken: np.ndarray, dim: int) -> np.ndarray:
    """For each position along ``dim``, the position of the last True at or before it
    (position 0 of every slice is True). Laid out with dim last, each True starts a run
    that lasts until the next True: ``np.repeat`` writes the runs (a running maximum of
    positions would do the same, several times slower)."""
    last = dim == taken.ndim - 1
    moved = taken if last else np.ascontiguousarray(np.moveaxis(taken, dim, -1))
    flat = moved.reshape(-1)
    starts = np.flatnonzero(flat)
    lengths = np.empty_like(starts)  # from one start to the next (or to the end)
    np.subtract(starts[1:], starts[:-1], out=lengths[:-1])
    lengths[-1:] = flat.size - starts[-1:]
    positions = np.repeat(starts % max(moved.shape[-1], 1), lengths).reshape(moved.shape)
    return positions if last else np.ascontiguousarray(np.moveaxis(positions, -1, dim))


def _scan_dim(name: str, dim, a: np.ndarray, position) -> int:
    """``dim`` as an axis. torch's cummax/cummin return an empty input before wrapping
    ``dim``, so there any int will do (read as 0)."""
    if a.size:
        return wrap_dim(name, dim, a.ndim, position)
    if type(dim) is not int:
        _int(dim, name, "dim", position)  # (torch's parser still wants an int)
    return 0


class Cummax(Primitive):
    """values[i] = max of a[0..i] along dim, indices[i] = where it is (the latest of equal
    values; NaN wins and stays);  grad_a = grad added at indices (scatter_add)."""

    node_name = "CummaxBackward0"
    ufunc: np.ufunc = np.maximum

    @classmethod
    def forward(cls, ctx, a, *, dim, given_dim=None):
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.dim, ctx.in_shape = dim, a.shape
        if a.size:
            values, indices = running_extreme(cls.ufunc, a, dim)
            values, indices = reduction_layout(values, a), reduction_layout(indices, a)
        else:  # (fresh arrays: contiguous, as torch's empty results)
            values, indices = np.empty(a.shape, a.dtype), np.empty(a.shape, np.int64)
        ctx.save_for_backward(indices, a)  # (a: as torch's node keeps self, unused here)
        return values, indices

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        if grad._data.size == 0:
            return grad
        indices = ctx.saved_tensors[0]
        # torch's cummaxmin_backward: zeros(a.shape).scatter_add_(dim, indices, grad)
        return ScatterAddZeros.apply(grad, shape=ctx.in_shape, dim=ctx.dim,
                                     index=indices._data)


class Cummin(Cummax):
    """values[i] = min of a[0..i] along dim, indices[i] = where it is (the latest of equal
    values; NaN wins and stays);  grad_a = grad added at indices (scatter_add)."""

    node_name = "CumminBackward0"
    ufunc = np.minimum


@numpy_names
def cummax(input, dim, *, out=None):  # noqa: A002
    """Running maximum along ``dim`` and its index:
    ``torch.return_types.cummax(values, indices)``. Ties take the newer index."""
    x = check_tensor("cummax", input)
    d = _scan_dim("cummax", dim, x._data, 1)
    result = return_types.cummax(Cummax.apply(x, dim=d, given_dim=dim))
    return _out_tuple(result, out, "cummax", scalar_type_mismatch)


@numpy_names
def cummin(input, dim, *, out=None):  # noqa: A002
    """Running minimum along ``dim`` and its index:
    ``torch.return_types.cummin(values, indices)``. Ties take the newer index."""
    x = check_tensor("cummin", input)
    d = _scan_dim("cummin", dim, x._data, 1)
    result = return_types.cummin(Cummin.apply(x, dim=d, given_dim=dim))
    return _out_tuple(result, out, "cummin", scalar_type_mismatch)


# ---------------------------------------------------------------------------------------
# logcumsumexp


class Logcumsumexp(Primitive):
    """out[i] = log(sum of exp(a[k]) for k <= i) along dim, one stable step at a time;
    grad_a[i] = sum over k >= i of grad[k] * exp(a[i] - out[k]) (computed in log space
    as torch does, see ``_logcumsumexp_backward``)."""

    node_name = "LogcumsumexpBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        if a.ndim == 0:
            out = a.copy()
        else:
            # logaddexp(x, y) = max + log1p(exp(min - max)): torch's step; +-inf and NaN
            # come out as in torch's loop (inf stays inf, -inf with -inf stays -inf).
            work = a.astype(accumulation_dtype(a.dtype), copy=False)
            out = np.logaddexp.accumulate(work, axis=dim)
            # torch's loop starts from -inf, so its first output is logaddexp(-inf, a[0]):
            # a[0] itself, except that -0.0 comes out as 0.0
            first = (slice(None),) * dim + (slice(0, 1),)
            out[first] = np.logaddexp(-np.inf, out[first])
            out = reduction_layout(out.astype(a.dtype, copy=False), a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _logcumsumexp_backward(grad, x, out, ctx.dim)


def _logcumsumexp_backward(grad: Tensor, x: Tensor, out: Tensor, dim: int) -> Tensor:
    """torch's logcumsumexp_backward. The gradient sum over k >= i of
    grad[k] exp(x[i] - out[k]) is a reversed log-cumsum-exp of log|grad[k]| - out[k],
    split into the positive and the negative parts of grad (a log needs a positive
    argument); where a part is absent its log is the lowest finite float, as in torch."""
    if grad._data.ndim == 0 or grad._data.size == 0:
        return grad
    from torchlet._ops.pointwise import where

    g = grad._data
    lowest = float(np.finfo(g.dtype).min)
    log_abs = grad.abs().log()
    log_positive = where(wrap(g > 0), log_abs, lowest)
    log_negative = where(wrap(g < 0), log_abs, lowest)

    def reversed_logcumsumexp(t: Tensor) -> Tensor:
        return Flip.apply(logcumsumexp(Flip.apply(t, dim=dim), dim), dim=dim)

    positive = (reversed_logcumsumexp(log_positive - out) + x).exp()
    negative = (reversed_logcumsumexp(log_negative - out) + x).exp()
    return positive - negative


@numpy_names
def logcumsumexp(input, dim, *, out=None) -> Tensor:  # noqa: A002
    """log(cumsum(exp(input))) along ``dim``, without overflow. Floating inputs only."""
    x = check_tensor("logcumsumexp", input)
    a = x._data
    d = wrap_dim("logcumsumexp", dim, a.ndim, 1)
    if a.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{type_word(a)}'"
        )
    return _out(Logcumsumexp.apply(x, dim=d, given_dim=dim), out, "logcumsumexp",
                scalar_type_mismatch)

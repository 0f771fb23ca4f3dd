"""Losses of class-index targets: cross_entropy, nll_loss and one_hot.

cross_entropy with class-index targets records torch's graph: NllLossBackward0 over
LogSoftmaxBackward0 (nll_loss(log_softmax(x, 1), target)), with torch's saved values and
gradients, node by node. Its forward is fused all the same: per sample
``loss = log(sum(exp(x))) - x[target]`` from the exponentials of x, which the
LogSoftmaxBackward0 keeps for its gradient ``grad - softmax(x) * sum(grad)``; log_softmax(x)
itself is computed only if asked for. That is two to four times as fast as computing
log_softmax and picking from it, on (64, 10) and (4096, 1000) logits. With label
smoothing, cross_entropy is composed op for op as torch composes it.

Both reduce the batch as torch's nll_loss kernel does (``_nll_sum``: its cascade of partial
sums, addition for addition), so the mean or sum of given per-sample losses, and the
total weight that divides a weighted mean, are torch's bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._device import NO_META_ITEM, meta_array, on_meta
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise.arithmetic import div_scalar, mul_scalar
from torchlet._ops.reduction._common import reduction_layout
from torchlet._ops.shape.common import _int
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.anomaly_mode import ANOMALY_STATE, record_forward_trace
from torchlet.autograd.function import (
    SAVED_TENSOR_HOOKS,
    Primitive,
    _edge,
    _modified_message,
    _new_node,
    _next_sequence_nr,
)
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional._rows import per_row
from torchlet.nn._functional.loss._shared import (
    _TYPE_WORD,
    _check,
    _not_differentiable,
    _reduction,
)
from torchlet.nn._functional.softmax import (
    LogSoftmax,
    LogSoftmaxBackwardData,
    _softmax_np,
    log_softmax,
)

# ---------------------------------------------------------------------------------------
# class-index targets: shared checks of nll_loss and cross_entropy


# (dtypes, not types: comparing a dtype with a type converts the type first, 10x slower)
_INT64 = np.dtype(np.int64)
_TARGET_DTYPES = (_INT64, np.dtype(np.uint8))


def _class_target_checks(x: Tensor, t: Tensor, weight) -> None:
    """torch's checks of nll_loss_nd / nll_loss / nll_loss2d, in torch's order."""
    xs, ts = x._data.shape, t._data.shape
    if len(xs) < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {len(xs)})")
    if len(xs) != 1 and xs[0] != (ts[0] if ts else 0):
        raise ValueError(f"Expected input batch_size ({xs[0]}) to match target batch_size "
                         f"({ts[0] if ts else 0}).")
    n_classes = xs[1] if len(xs) > 1 else xs[0]
    w = None if weight is None else weight._data
    if len(xs) > 2 and len(xs) != 4 and ts[1:] != xs[2:]:  # nll_loss_nd's own check
        raise RuntimeError(f"Expected target size {[xs[0], *xs[2:]]}, got {list(ts)}")
    # autograd refuses a weight that requires grad before the kernel checks anything
    _not_differentiable("nll_loss2d_forward" if len(xs) > 2 else "nll_loss_forward", "weight",
                        weight)
    if len(xs) <= 2 and len(ts) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if t._data.dtype not in _TARGET_DTYPES:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TYPE_WORD[t._data.dtype.name]}")
    if len(xs) <= 2:
        if len(xs) == 1 and len(ts) == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
        if w is not None and (w.ndim != 1 or w.size != n_classes):
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(w.shape)}")
    else:
        if len(xs) == 4 and len(ts) != 3:
            raise RuntimeError("only batches of spatial targets supported (3D tensors) but "
                               f"got targets of dimension: {len(ts)}")
        if w is not None and w.size != n_classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if len(xs) == 4 and ts != (xs[0],) + xs[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(xs)} , target: {list(ts)}")
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"nll_loss_out_frame" not implemented for '
                                  f"'{_TYPE_WORD[x._data.dtype.name]}'")
    if w is not None and w.dtype != x._data.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_WORD[x._data.dtype.name]} but found "
                           f"{_TYPE_WORD[w.dtype.name]}")


# ---------------------------------------------------------------------------------------
# the batch sums of nll_loss, in torch's order


_LEVELS = 8  # cascade_sum_num_levels of torch's nll_loss kernels
_STEP = 16  # level_step = 2 ** max(4, CeilLog2(samples) // 8): 16 below 2 ** 40 samples


def _nll_sum(values: np.ndarray, kept=None, levels: int = _LEVELS):
    """sum_b values_b over the samples b kept (all where ``kept`` is None), added in the
    order of torch's nll_loss and nll_loss2d kernels (LossNLL.cpp, LossNLL2d.cpp), in the
    values' dtype (float16 rounds at every addition, as c10::Half does); ``values`` and
    ``kept`` are 1-D, one entry per sample.

    The kernel walks the samples b = 0, 1, ... (C order of the target) with 8 partial
    sums p_0..p_7, all starting at 0. A kept sample is added to p_0; then, for
    j = 0, 1, ..., 6 while b is a multiple of 16**(j+1): p_{j+1} += p_j, p_j = 0. An
    ignored sample is skipped, flush included. The result is
    (((0 + p_0) + p_1) + ...) + p_7. (``levels``: 8 in torch; fewer let a test reach
    the top level with fewer than 16**7 samples.)

    Sample 0 flushes straight to p_7. After it, level j adds its inputs in order in blocks
    of 16 (samples 1-16, 17-32, ... at level 0), passing each block's sum to level j+1 and
    keeping what follows the last block. An ignored sample adds -0.0 here (x + -0.0 is x,
    for every x); where a block ends at an ignored sample, there is no flush, and its sum
    runs on into the next block (``_level``)."""
    if 0 < values.size <= _STEP * _STEP:
        return _nll_sum_short(values, kept)
    u, flushes = values, None  # flushes: where each block of a level ends in a flush
    if kept is not None:
        u = np.where(kept, values, values.dtype.type(-0.0))
        flushes = kept[_STEP::_STEP]  # the sample ending each block of level 0
    top, v = u[:1], u[1:]
    total = values.dtype.type(0)
    for _ in range(levels - 1):
        blocks = v.size // _STEP
        if not blocks:
            break
        flush = None if flushes is None else flushes[:blocks]
        v, left = _level(v, blocks, flush)
        total = total + left  # p_0, p_1, ...: what each level keeps, in this order
        if flush is not None:  # a block of the next level ends where its last block does
            flushes = flush[_STEP - 1::_STEP]
    else:  # the top level (p_7) takes sample 0 and then whatever reaches it
        top, v = np.concatenate((top, v)), v[:0]
    return (total + _running_sum(v)) + _running_sum(top)


def _nll_sum_short(u: np.ndarray, kept=None):
    """``_nll_sum`` of 1 to 256 samples (the usual batch), written out: level 0 keeps
    p_0, the samples after its last flush, and passes the sums of its runs on to level 1,
    which keeps them all (p_1); the result is ((0 + p_0) + p_1) + u_0.

    The leading 0 only turns a -0.0 into +0.0; so does adding 0.0 at the end (x + 0.0 is
    x for any other x), which is quicker."""
    blocks = (u.size - 1) // _STEP
    flush = None
    if kept is not None:
        u = np.where(kept, u, u.dtype.type(-0.0))
        flush = kept[_STEP::_STEP][:blocks]  # samples 16, 32, ...: the ends of the blocks
    if flush is None or flush.all():  # the runs are the blocks
        end = 1 + blocks * _STEP
        total = _running_sum(u[end:])
        if blocks:
            total = total + _running_sum(_row_sums(u[1:end].reshape(blocks, _STEP)))
        return (total + u[0]) + u.dtype.type(0)  # typed: NumPy 1 would widen to float64
    p_1, start = u.dtype.type(0), 1
    for block in (np.flatnonzero(flush) + 1).tolist():
        end = block * _STEP + 1  # a run ends with a block that flushes
        p_1 = p_1 + _running_sum(u[start:end])
        start = end
    return (_running_sum(u[start:]) + p_1 + u[0]) + u.dtype.type(0)


def _running_sum(u: np.ndarray):
    """((u_0 + u_1) + u_2) + ...: a sequential sum (NumPy's add.reduce goes pairwise)."""
    if u.size > 1:
        return np.add.accumulate(u)[-1]
    return u[0] if u.size else u.dtype.type(0)


def _level(v: np.ndarray, blocks: int, flush):
    """One level of the cascade: (what it passes on, one value per block of 16; the sum
    of what it keeps). A block whose end flushes (``flush`` None: every block) passes on
    the in-order sum of its run: itself and the blocks before it that did not flush. The
    others pass on -0.0 (nothing) and what follows the last flush is kept."""
    sums = _row_sums(v[:blocks * _STEP].reshape(blocks, _STEP))
    if flush is None or flush.all():  # every run is one block
        return sums, _running_sum(v[blocks * _STEP:])
    passed = np.where(flush, sums, v.dtype.type(-0.0))  # right where the run is one block
    ends = np.flatnonzero(flush)
    if not ends.size:
        return passed, _running_sum(v)
    starts = np.concatenate(([0], ends[:-1] + 1))
    longer = starts != ends  # runs of several blocks: added again, in one piece
    if longer.any():
        passed[ends[longer]] = _run_sums(v, starts[longer], ends[longer])
    return passed, _running_sum(v[(ends[-1] + 1) * _STEP:])


def _run_sums(v: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The in-order sums of the runs of blocks ``starts[i]`` to ``ends[i]`` (blocks of 16
    values of ``v``). Runs are laid out as rows padded with -0.0 and added along the
    rows; where one long run would make that wasteful, runs of (w/2, w] blocks are laid
    out together, for w = 1, 2, 4, ... A few runs are simply added one by one."""
    if ends.size <= 8:
        return np.array([_running_sum(v[start * _STEP:(end + 1) * _STEP])
                         for start, end in zip(starts.tolist(), ends.tolist())], v.dtype)
    lengths = ends + 1 - starts  # in blocks
    widest = int(lengths.max())
    if ends.size * widest <= 4 * int(lengths.sum()) + 64:  # padding at most 3 blocks in 4
        return _padded_run_sums(v, starts, lengths, widest)
    out = np.empty(ends.size, v.dtype)
    width = 1
    while width // 2 < widest:
        rows = np.flatnonzero((lengths <= width) & (lengths > width // 2))
        if rows.size:
            out[rows] = _padded_run_sums(v, starts[rows], lengths[rows], width)
        width *= 2
    return out


def _padded_run_sums(v, starts, lengths, width: int) -> np.ndarray:
    """In-order sums of the runs of ``lengths`` blocks from block ``starts`` of ``v``, as
    rows of ``width`` blocks padded with -0.0."""
    blocks = v[:v.size - v.size % _STEP].reshape(-1, _STEP)
    index = starts[:, None] + np.arange(width)  # (runs, width): the blocks of each run
    outside = index > (starts + lengths - 1)[:, None]
    rows = np.take(blocks, np.minimum(index, blocks.shape[0] - 1), axis=0)
    rows[outside] = -0.0
    return _row_sums(rows.reshape(starts.size, width * _STEP))


def _row_sums(rows: np.ndarray) -> np.ndarray:
    """The sequential sum of each row. For a few rows, a running sum along them. For
    many, NumPy's accumulate, which loops row by row, is slow; the rows become the
    columns of a C-contiguous copy instead, whose axis 0 NumPy reduces row after row,
    each column on its own (as ``_cascade`` does)."""
    if rows.shape[0] < 16:
        return np.add.accumulate(rows, axis=1)[:, -1]
    return np.add.reduce(np.ascontiguousarray(rows.T), axis=0)


# Up to this many values, Python's min or max of ``a.tolist()`` takes 0.2 us where a NumPy
# reduction takes 1 us whatever the size (a small batch's targets and losses).
_FEW = 32


def _largest(a: np.ndarray):
    """The largest value of a non-empty integer array."""
    if a.ndim == 1 and a.size <= _FEW:
        return max(a.tolist())
    return np.maximum.reduce(a, axis=None)


def _smallest(a: np.ndarray):
    """The smallest value of a non-empty float array. Where NumPy's would be NaN,
    Python's min may skip the NaN: the caller's losses are then NaN, which its finiteness
    check refuses just the same."""
    if a.ndim == 1 and a.size <= _FEW:
        return min(a.tolist())
    return np.minimum.reduce(a, axis=None)


def _targets(x: np.ndarray, t: np.ndarray, w, ignore_index: int):
    """(x as (N, C, ...), safe targets, ignored mask or None, per-target weights or None
    (meaning 1), the number of targets not ignored: torch's total_weight, the divisor of
    'mean', without class weights; None with them, as torch adds the weights along with
    the losses (``_batch_sum``)).

    Ignored targets are replaced by 0 (so they can index) and get weight 0; a target out of
    [0, C) raises torch's IndexError."""
    if x.ndim == 1:
        x, t = x[None], t.reshape(1)
    if t.dtype != _INT64:
        t = t.astype(np.int64)
    n_classes = x.shape[1]
    ignored = None
    # The common case in one reduction: read as unsigned, negative targets are huge, so a
    # maximum below C puts every target in [0, C), where an ignore_index outside [0, C)
    # cannot occur either.
    if t.size and (0 <= ignore_index < n_classes
                   or _largest(t.view(np.uint64)) >= n_classes):
        ignored = t == ignore_index
        if ignored.any():
            t = np.where(ignored, 0, t)
        else:
            ignored = None
        bad = (t < 0) | (t >= n_classes)
        if bad.any():
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    if w is None:
        wt = None if ignored is None else (~ignored).astype(x.dtype)
        total = x.dtype.type(t.size if ignored is None else t.size - np.count_nonzero(ignored))
    else:
        wt = w[t]
        if ignored is not None:
            wt[ignored] = 0
        total = None
    return x, t, ignored, wt, total


def _batch_sum(losses: np.ndarray, wt, ignored, total, reduction: str):
    """(sum of the per-sample losses, total weight), in torch's order (``_nll_sum``). With
    class weights (``total`` None), 'mean' adds the weights in the same cascade, as
    torch's kernel does in the same pass; 'sum' needs no total."""
    kept = None if ignored is None else ~ignored.reshape(-1)
    losses = losses.reshape(-1)
    if total is not None or reduction != "mean":
        return _nll_sum(losses, kept), total
    if losses.dtype == np.float16:  # (no complex type to pair them in)
        return _nll_sum(losses, kept), _nll_sum(wt.reshape(-1), kept)
    # Both sums in one pass: a complex addition adds the real parts and the imaginary
    # parts apart, each rounded as a float of the losses' dtype.
    pairs = np.empty(losses.size, np.result_type(losses.dtype, np.complex64))
    pairs.real, pairs.imag = losses, wt.reshape(-1)
    both = _nll_sum(pairs, kept)
    return both.real, both.imag


def _take_class(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """a[n, t[n, ...], ...]: the entry of each target class (class axis 1)."""
    if a.ndim == 2:
        if a.flags.c_contiguous:  # flat positions: cheaper on small batches
            return a.reshape(-1)[_flat_index(t, a.shape[1])]
        return a[np.arange(a.shape[0]), t]
    # C order whatever the target's layout: torch's per-position losses are contiguous
    return np.ascontiguousarray(np.take_along_axis(a, t[:, None], axis=1)[:, 0])


def _put_class(a: np.ndarray, t: np.ndarray, values) -> None:
    """a[n, t[n, ...], ...] = values (in place, a C-contiguous)."""
    if a.ndim == 2:
        a.reshape(-1)[_flat_index(t, a.shape[1])] = values
        return
    values = np.broadcast_to(values, t.shape)
    np.put_along_axis(a, t[:, None], np.expand_dims(values, 1), axis=1)


def _add_at_class(a: np.ndarray, t: np.ndarray, values) -> None:
    """a[n, t[n, ...], ...] += values (in place; one target per position)."""
    if a.ndim == 2:
        a[np.arange(a.shape[0]), t] += values
        return
    index = t[:, None]
    values = np.broadcast_to(values, t.shape)
    np.put_along_axis(a, index, np.take_along_axis(a, index, axis=1)
                      + np.expand_dims(values, 1), axis=1)


def _flat_index(t: np.ndarray, n_classes: int) -> np.ndarray:
    """Positions n * C + t[n] of the target entries of a C-contiguous (N, C) array read
    flat: computed once, it gathers them in the forward and scatters in the backward
    (cheaper than a[arange(N), t] on small batches). The row starts n * C are kept for
    the next call, which usually has the same shape."""
    global _ROW_STARTS
    shape, starts = _ROW_STARTS
    if shape != (t.size, n_classes):
        starts = np.arange(0, t.size * n_classes, n_classes)
        starts.flags.writeable = False
        _ROW_STARTS = ((t.size, n_classes), starts)
    return starts + t


_ROW_STARTS = ((0, 0), np.arange(0))


def _class_shape(shape, n_dims: int):
    """Shape (N, 1, ...) of per-sample values broadcast over the class axis."""
    return (shape[0], 1) + tuple(shape[1:]) if n_dims > 1 else (1, 1)


# ---------------------------------------------------------------------------------------
# nll_loss


class NllLossBackward(Primitive):
    """nll_loss's gradient as an operation of its own (torch's nll_loss_backward), so that
    create_graph can differentiate it again:
    out[n, t_n] = -w[t_n] * grad / total ('mean'; no division for 'sum', one grad_n per
    sample for 'none'), 0 elsewhere and at ignored targets (torch's zero-filled kernel,
    in its rounding order).
    out is linear in grad, and its transpose is nll_loss itself:
    grad_grad = nll_loss(ggrad, t, w) with the same options. out does not depend on the
    log-probabilities ``logp`` (an input, as in torch, so that out requires grad):
    grad_logp = zeros (torch's zeros_like(grad), a constant)."""

    node_name = "NllLossBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, logp, *, loss, options, info):
        ctx.loss, ctx.options = loss, options
        return _nll_grad_np(grad, info)[0]

    @staticmethod
    def backward(ctx, ggrad):
        needs = ctx.needs_input_grad
        grad_grad = ctx.loss.apply(ggrad, **ctx.options) if needs[0] else None
        grad_logp = wrap(np.zeros_like(ggrad._data)) if needs[1] else None
        return grad_grad, grad_logp


class NllLoss2dBackward(NllLossBackward):
    node_name = "NllLoss2DBackwardBackward0"


def _nll_grad_np(grad: np.ndarray, info, index=None):
    """NllLossBackward's forward: zeros, but -w[t_n] * grad / total at the targets;
    (that, the values at the targets). ``info``: what nll_loss's forward kept
    (``NllLoss``); ``index``: the targets' flat positions in a 2-D input, if known."""
    shape_in, shape, t, ignored, wt, total, reduction = info
    if reduction == "none":
        g = -grad.reshape(t.shape)  # one gradient per sample
    else:  # (a NumPy scalar: quicker than a 0-d array, the same arithmetic)
        g = -(grad[()] / total) if reduction == "mean" else -grad[()]
    hit = g if wt is None else wt * g
    if ignored is not None:
        hit = np.where(ignored, 0, hit)  # 0 even where grad is inf or nan
    out = np.zeros(shape, grad.dtype)
    if index is not None:
        out.reshape(-1)[index] = hit
    else:
        _put_class(out, t, hit)
    return (out if shape == shape_in else out.reshape(shape_in)), hit


class NllLoss(Primitive):
    """loss_n = -w[t_n] * logp[n, t_n] (0 where t_n == ignore_index); 'mean' divides the sum
    by the sum of the w[t_n] not ignored.
    grad_logp = NllLossBackward(grad): -w[t_n] * grad / total at the targets, else 0."""

    node_name = "NllLossBackward0"
    gradient = NllLossBackward

    @staticmethod
    def forward(ctx, logp, *, target, weight, ignore_index, reduction):
        ctx.options = dict(target=target, weight=weight, ignore_index=ignore_index,
                           reduction=reduction)
        ctx.save_for_backward(logp)  # (as torch: an in-place change to it is an error)
        shape_in = logp.shape
        logp, t, ignored, wt, total = _targets(logp, target, weight, ignore_index)
        picked = -_take_class(logp, t)
        if wt is not None:
            picked = picked * wt
        if ignored is not None:  # 0, not 0 * logp[n, 0], which may be infinite
            picked = np.where(ignored, 0, picked)
        if reduction != "none":
            out, total = _batch_sum(picked, wt, ignored, total, reduction)
        ctx.info = (shape_in, logp.shape, t, ignored, wt, total, reduction)
        if reduction == "none":
            return picked.reshape(()) if len(shape_in) == 1 else picked
        return np.asarray(out / total if reduction == "mean" else out, logp.dtype)

    @staticmethod
    def backward(ctx, grad):
        (logp,) = ctx.saved_tensors
        return ctx.gradient.apply(grad, logp, loss=type(ctx), options=ctx.options,
                                  info=ctx.info)

    def total_weight(self) -> np.ndarray:
        """torch's saved total_weight: the divisor of 'mean' (the number of targets not
        ignored or, with class weights, the sum of their weights, added as the kernel
        adds them), which torch's kernel also computes for 'sum'; 0 for 'none'."""
        shape_in, _, _, ignored, wt, total, reduction = self.info
        dtype = self._input_meta[0][1]
        if reduction == "none" and len(shape_in) > 1:  # (a (C,) input is summed)
            return np.zeros((), dtype)
        if total is None:
            total = _nll_sum(wt.reshape(-1), None if ignored is None else ~ignored.reshape(-1))
        return np.asarray(total, dtype)


class NllLoss2d(NllLoss):
    node_name = "NllLoss2DBackward0"
    gradient = NllLoss2dBackward


def nll_loss(input, target, weight=None, size_average=None,  # noqa: A002
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:  # noqa: A002
    """The negative log likelihood of log-probabilities ``input`` at class indices
    ``target``: -input[n, target[n]] * weight[target[n]], skipping ``ignore_index``."""
    reduction = _reduction(size_average, reduce, reduction)
    x = _check("nll_loss_nd", input)  # the ATen function torch's nll_loss calls
    y = _check("nll_loss_nd", target, "target", 2)
    if weight is not None:
        _check("nll_loss_nd", weight, "weight", 3)
    _class_target_checks(x, y, weight)
    return _nll_nd(x, y, weight, int(ignore_index), reduction)


# ---------------------------------------------------------------------------------------
# cross_entropy of class-index targets: torch's two nodes, computed in one pass
#
# torch's cross_entropy is nll_loss(log_softmax(x, 1), t): node NllLossBackward0 over
# LogSoftmaxBackward0. torchlet records the same two nodes (``_cross_entropy_nodes``), but
# its forward (``_cross_entropy_np``) never writes log_softmax(x) out: it keeps the
# exponentials e = exp(x) and their sums, and takes the losses from them, which is two to
# four times as fast as computing log_softmax and then picking from it. The
# log-probabilities are computed only if asked for (``_saved_result``, ``_saved_self``, a
# backward with create_graph). The backward is torch's, node by node: nll_loss's gradient
# scatters -w[t_n] * s_n into zeros; log_softmax's is that gradient minus softmax(x) times
# its sum over the classes, with softmax(x) = e / sum_c e, written over e.


class _LogSoftmaxOf(LogSoftmax):
    """The log_softmax inside cross_entropy: torch's LogSoftmaxBackward0 (``_saved_dim``,
    ``_saved_result``), made by ``_cross_entropy_nodes`` from what the fused forward
    kept: e (the exponentials of x, or of x minus each sample's largest logit) and
    sumexp = sum_c e, so that softmax(x) = e / sumexp.

    grad_x = grad - softmax(x) * sum_c grad_c  (torch's _log_softmax_backward_data, with
    exp(log_softmax(x)) read as e / sumexp), written over e: no new array. A second
    backward through a retained graph computes e again from x; if x changed in place
    since, that raises torch's version error (where torch, which keeps log_softmax's
    output, would not). Under create_graph the log-probabilities are computed and the
    gradient is LogSoftmax's own (LogSoftmaxBackwardData), differentiable again."""

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # noqa: B018 - raises torch's error once the graph is freed
        if GRAD_STATE.enabled:  # create_graph: torch's graph, in differentiable ops
            return LogSoftmaxBackwardData.apply(grad, ctx.log_probabilities(), dim=ctx.dim)
        x, source, version = ctx.input
        e = ctx.exp
        if e is None:  # a second backward through a retained graph: the first used them up
            if source._vbox[0] != version:
                raise RuntimeError(_modified_message(ctx, source, source._vbox[0], version))
            e = _exponentials(x, *ctx.targets)
        elif source._vbox[0] == version:
            ctx.exp = None  # the gradient is written over the exponentials
        else:  # x changed: a retained second backward could not compute them again
            e = e.copy()
        g = grad._data
        sent = ctx.__dict__.pop("sent", None)
        as_sent = sent is not None and sent[0] is g and ctx._hooks is None
        if g.ndim != e.ndim:  # a (C,) input: e is (1, C)
            g = g.reshape(e.shape)
        if as_sent:  # nll_loss's gradient as it sent it: one value per row, the rest
            # +0.0, so each row sums to that value (+0.0 for -0.0), without adding up
            total = sent[1] + g.dtype.type(0)
        else:
            total = _class_sum(g)
        out = per_row(np.multiply, e, total / ctx.sumexp, out=e)
        out = np.subtract(g, out, out=out)
        return wrap(out.reshape(x.shape) if x.ndim == 1 else out)

    def log_probabilities(self) -> Tensor:
        """log_softmax(x), the node's output (torch's saved ``result``), computed once:
        from x as F.log_softmax computes it, or, if x changed in place since the forward,
        as log(e) - log(sumexp) from the forward's exponentials."""
        values = self.__dict__.get("logp")
        if values is None:
            x, source, version = self.input
            e = self.exp
            if source._vbox[0] == version:
                values = reduction_layout(_softmax_np(x, self.dim, log=True), x)
            elif e is not None:
                logp = np.log(e) - np.log(_per_sample(self.sumexp, e.ndim))
                values = logp.reshape(x.shape)
            else:
                raise RuntimeError(_modified_message(self, source, source._vbox[0], version))
            self.logp = values
        return wrap(values, self, 0)


class CrossEntropy(NllLoss):
    """The nll_loss of cross_entropy's log_softmax: torch's NllLossBackward0 (saved self,
    target, weight, total_weight, ignore_index, reduction), over a ``_LogSoftmaxOf``
    node, made by ``_cross_entropy_nodes``.

    grad_logp = zeros, but -w[t_n] * s_n at the targets (s_n: grad / total weight
    for 'mean', grad for 'sum', grad_n for 'none'; 0 at ignored targets), as NllLoss's."""

    @staticmethod
    def backward(ctx, grad):
        ctx.saved_tensors  # noqa: B018 - raises torch's error once the graph is freed
        if GRAD_STATE.enabled:  # create_graph: nll_loss's own backward, differentiable
            nll = NllLoss2d if ctx.node_name == NllLoss2d.node_name else NllLoss
            return ctx.gradient.apply(grad, ctx.log_probabilities(), loss=nll,
                                      options=ctx.options, info=ctx.info)
        soft = ctx.log_softmax
        out, hit = _nll_grad_np(grad._data, ctx.info, soft.targets[1])
        if ctx._hooks is None:  # nothing can change it on its way: tell log_softmax
            soft.sent = out, hit
        return wrap(out)

    def log_probabilities(self) -> Tensor:
        """The node's input (torch's saved ``self``): log_softmax(x), viewed as nll_loss
        sees it (as 4-D for a 3-D or 5-D+ input), with its place in the graph."""
        logp = self.log_softmax.log_probabilities()._data
        return wrap(logp.reshape(self._input_meta[0][0]), *self._edges[0])


class CrossEntropy2d(CrossEntropy):
    """CrossEntropy of spatial inputs (N, C, d1, ...): NllLoss2DBackward0, as torch's."""

    node_name = "NllLoss2DBackward0"
    gradient = NllLoss2dBackward


def _cross_entropy_np(x: np.ndarray, target: np.ndarray, weight, ignore_index: int,
                      reduction: str):
    """The cross entropy of logits ``x`` (C,) or (N, C, ...) at class indices ``target``,
    in NumPy: (loss, e, sumexp, t, index, ignored, wt, total), where e are the
    exponentials of x (or of x minus each sample's largest logit), sumexp their sums
    over the classes, and t, ignored, wt, total as ``_targets`` gives them (total: the
    divisor of 'mean'); index: the flat positions of the targets in e (2-D e), or None.

    loss_n = w[t_n] * (log(sum_c exp(x_nc)) - x_n,t_n)   (0 where t_n == ignore_index),
    which is -w[t_n] * log_softmax(x)[n, t_n]; the batch is reduced as nll_loss reduces
    it (``_batch_sum``)."""
    shape_in = x.shape
    x, t, ignored, wt, total = _targets(x, target, weight, ignore_index)
    index = _flat_index(t, x.shape[1]) if x.ndim == 2 else None
    summed = reduction != "none" and wt is None  # the sum of the plain nll is the loss
    parts = _nll_unshifted(x, t, index, summed)
    if parts is not None:
        e, sumexp, nll, nll_sum = parts
    else:
        e, sumexp, lse, picked = _nll_shifted(x, t, index)
        nll = lse - picked  # -log_softmax(x)[t], in torch's rounding order
        nll_sum = None
    # torch's per-sample loss is -log_softmax(x)[t] * w: -0.0 where it is zero
    negative_zero = reduction == "none" and not nll.all()
    if negative_zero:
        zero = nll == 0
    if wt is not None:
        nll *= wt
        nll_sum = None
    if negative_zero:
        if ignored is not None:
            zero &= ~ignored  # an ignored target's loss is +0.0
        np.negative(nll, out=nll, where=zero)
    if reduction == "none":
        out = nll.astype(x.dtype, copy=False)
        out = out.reshape(()) if len(shape_in) == 1 else out
    else:
        if nll_sum is None:
            nll_sum, total = _batch_sum(nll, wt, ignored, total, reduction)
        out = nll_sum / total if reduction == "mean" else nll_sum
        out = np.asarray(out, dtype=x.dtype)
    return out, e, sumexp, t, index, ignored, wt, total


def _nd_shapes(shape: tuple):
    """torch's nll_loss_nd views a 3-D or 5-D+ input (N, C, d1, ...) as 4-D for
    nll_loss2d, and its target (N, d1, ...) as 3-D: (input's view, target's view)."""
    n, c = shape[:2]
    if math.prod(shape):
        rest = math.prod(shape[2:])
        return (n, c, 1, rest), (n, 1, rest)
    return (n, c, 0, 0), (n, 0, 0)


def _cross_entropy_nodes(x: Tensor, y: Tensor, weight, ignore_index: int,
                         reduction: str) -> Tensor:
    """cross_entropy(x, y) of class indices: the fused forward, and where it is recorded
    torch's nodes, linked by hand (as ``_record`` would, without its general loops):
    NllLossBackward0 (NllLoss2DBackward0 for inputs of 3+ dims; over a ViewBackward0 to
    4-D for 3 or 5+, as torch's nll_loss_nd views them) over LogSoftmaxBackward0 over x.
    Unreduced losses of a 3-D or 5-D+ input are viewed back (ViewBackward0 on top)."""
    xd, w = x._data, None if weight is None else weight._data
    out, e, sumexp, t, index, ignored, wt, total = _cross_entropy_np(
        xd, y._data, w, ignore_index, reduction)
    nd = xd.ndim == 3 or xd.ndim > 4  # torch views these as 4-D
    edge = _edge(x) if GRAD_STATE.enabled else None
    if edge is None:
        return _as_torch_view(wrap(out), x, reduction)
    soft = _one_input_node(_LogSoftmaxOf, edge, (xd.shape, xd.dtype))
    soft.dim = 0 if xd.ndim == 1 else 1
    soft.exp, soft.sumexp = e, sumexp
    soft.input = xd, x, x._vbox[0]  # x's array, and its version (``source``) to check
    soft.targets = t, index
    target = y._data
    shape_in = xd.shape
    if nd:  # nll_loss_nd's view of the log-probabilities (ViewBackward0) and of t
        shape_in, target_shape = _nd_shapes(xd.shape)
        target = target.reshape(target_shape)
        if reduction == "none":
            out = out.reshape(target_shape)
        edge = _edge(_shape.view(wrap(e, soft, 0), shape_in))  # (e: any array of x's shape)
    else:
        edge = (soft, 0)
    nll = _one_input_node(CrossEntropy2d if xd.ndim > 2 else CrossEntropy, edge,
                          (shape_in, xd.dtype))
    nll.options = dict(target=target, weight=w, ignore_index=ignore_index, reduction=reduction)
    nll.info = (shape_in, e.shape, t, ignored, wt, total, reduction)
    nll.log_softmax = soft
    if ANOMALY_STATE.enabled:
        record_forward_trace(soft)
        record_forward_trace(nll)
    loss = wrap(out, nll)
    if nd and reduction == "none":
        return _shape.view(loss, (xd.shape[0],) + xd.shape[2:])
    return loss


def _one_input_node(cls, edge, meta):
    """A recorded node of ``cls`` with one input (``edge``, its (shape, dtype) ``meta``),
    set up as Primitive.apply's ``_record`` would. It saves nothing of the user's, only
    the mark that backward frees something (``_saved``): a second backward without
    retain_graph then raises torch's error."""
    node = _new_node(cls._node_class)
    node._to_save = None
    node.needs_input_grad = [True]
    node._edges = [edge]
    node._input_meta = [meta]
    node._seq = _next_sequence_nr()
    node._n_outputs = 1
    node._hooks = None
    node._saved = (None,)
    node._version_checks = []
    node._rebuilt_on_access = False
    return node


def _nll_unshifted(x: np.ndarray, t: np.ndarray, index, summed: bool):
    """-log_softmax(x)[t] from e = exp(x) itself: (e, sum_c e, nll, sum_n nll), or None.
    The sum is torch's (``_nll_sum``) if ``summed``, else None.

    nll_n = log(sum_c exp(x_nc) / exp(x_n,t_n)). Not subtracting each sample's largest
    logit first (as _nll_shifted and torch do) saves two passes over (N, C), the maximum
    and the subtraction, and changes only the rounding (as accurate, against float64):
    fine while each target's exponential is far from the subnormals (>= 1e-30: so are
    then the terms that matter in its sum) and the losses are finite (no exponential or
    ratio overflowed, no NaN), as checked on the (N,) results. Where that fails, None:
    the caller subtracts the maximum.
    """
    if x.dtype.itemsize < 4 or not x.size:  # float16 overflows at 11: subtract the max
        return None
    # overflow to inf is expected here and caught below (torchlet turns NumPy's floating
    # point warnings off once, at import, rather than around each operation)
    e = np.exp(x, order="C")  # C order: the backward scatters into it through index
    sumexp = _class_sum(e)
    e_t = e.reshape(-1)[index] if index is not None else _take_class(e, t)
    # (float32(1e-30) lies above 1e-30: a float32 e_t compares alike in either type)
    if not _smallest(e_t) >= 1e-30:
        return None
    nll = np.divide(sumexp, e_t, out=e_t)  # 1 / softmax(x)[t]
    nll = np.log(nll, out=nll)
    # the sum tells whether every loss is finite: torch's, where it is wanted
    nll_sum = (_nll_sum(nll.reshape(-1)) if summed else
               np.add.reduce(nll, axis=None, dtype=x.dtype))
    if not math.isfinite(nll_sum):
        return None
    return e, sumexp, nll, (nll_sum if summed else None)


def _nll_shifted(x: np.ndarray, t: np.ndarray, index):
    """(e, sumexp, lse, picked) with the largest logit m of each sample subtracted first,
    as torch does: e = exp(x - m), lse = log(sum_c e), picked = x_t - m (lse - picked is
    finite for logits of +-1e4)."""
    if x.size:
        shifted = per_row(np.subtract, x, np.maximum.reduce(x, axis=1),
                             out=np.empty(x.shape, x.dtype))
    else:
        shifted = x.copy()
    picked = shifted.reshape(-1)[index] if index is not None else _take_class(shifted, t)
    e = np.exp(shifted, out=shifted)
    sumexp = np.add.reduce(e, axis=1)
    return e, sumexp, np.log(sumexp), picked


def _exponentials(x: np.ndarray, t: np.ndarray, index) -> np.ndarray:
    """The forward's exponentials again, computed the same way."""
    x = x[None] if x.ndim == 1 else x
    parts = _nll_unshifted(x, t, index, False)
    return parts[0] if parts is not None else _nll_shifted(x, t, index)[0]


def _class_sum(e: np.ndarray) -> np.ndarray:
    """sum_c e_nc: for (N, C) a matrix-vector product (BLAS: several times faster than
    np.add.reduce over short rows), with a vector of ones kept from call to call."""
    if e.ndim != 2:
        return np.add.reduce(e, axis=1)
    ones = _ONES.get(e.dtype)
    if ones is None or ones.size < e.shape[1]:
        ones = _ONES[e.dtype] = np.ones(max(e.shape[1], 1024), e.dtype)
        ones.flags.writeable = False
    return np.dot(e, ones[:e.shape[1]])


_ONES: dict[np.dtype, np.ndarray] = {}  # dtype -> read-only ones, reused


def _per_sample(values: np.ndarray, ndim: int) -> np.ndarray:
    """Per-sample values (N, ...) as (N, 1, ...), to broadcast over the class axis."""
    return values[:, None] if ndim == 2 else np.expand_dims(values, 1)


def cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",  # noqa: A002
                  label_smoothing: float = 0.0) -> Tensor:
    """The cross entropy between logits ``input`` and ``target``.

    Class-index targets (long, the input's shape without the class dim 1): per sample
    log(sum(exp(x))) - x[target], weighted by ``weight[target]``, skipping
    ``ignore_index``. Probability targets (floats of the input's shape):
    -sum(target * log_softmax(x)). ``label_smoothing`` mixes a uniform distribution into
    the target. Input (C,), (N, C) or (N, C, d1, ..., dk)."""
    reduction = _reduction(size_average, reduce, reduction)
    # torch's message names the ATen function its Python cross_entropy calls
    x = _check("cross_entropy_loss", input)
    y = _check("cross_entropy_loss", target, "target", 2)
    if weight is not None:
        _check("cross_entropy_loss", weight, "weight", 3)
    if x._data.shape == y._data.shape:
        return _cross_entropy_probabilities(x, y, weight, reduction, ignore_index,
                                            label_smoothing)
    if label_smoothing > 0 and label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")
    if x._data.ndim == 0:  # torch's log_softmax(input, 1) of a 0-d input
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but "
                         "got 1)")
    if x._data.dtype.kind != "f":  # torch's log_softmax kernel: over the last dim or not
        kernel = "log_softmax_kernel_impl" if x._data.ndim > 2 else \
            "log_softmax_lastdim_kernel_impl"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_WORD[x._data.dtype.name]}'")
    _class_target_checks(x, y, weight)
    ls = float(label_smoothing) if label_smoothing > 0 else 0.0
    if x._data.ndim == 1 and y._data.ndim == 1:  # (C,) with a (1,) target: torch refuses
        if ls > 0:  # ... where its smoothing term is added in place
            raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")
        if GRAD_STATE.enabled and x.requires_grad:  # ... and in its autograd kernel
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)}, target: "
                               f"{list(y.shape)})")
    if ls > 0:
        return _cross_entropy_smoothed(x, y, weight, int(ignore_index), reduction, ls)
    if type(x._data) is not np.ndarray or SAVED_TENSOR_HOOKS.stack:
        # meta tensors, and saved-tensor hooks, which must be given log_softmax's output
        # (the fused forward does not write it out): torch's composition itself
        return _nll_nd(log_softmax(x, 0 if x._data.ndim == 1 else 1), y, weight,
                       int(ignore_index), reduction)
    return _cross_entropy_nodes(x, y, weight, int(ignore_index), reduction)


def _as_torch_view(out: Tensor, x: Tensor, reduction: str) -> Tensor:
    """torch computes 3-D and 5-D+ inputs as a 4-D nll_loss2d and views the unreduced
    result back; without a graph, the same view (of the same shape) here."""
    if reduction == "none" and (x._data.ndim == 3 or x._data.ndim > 4):
        return _shape.view(out, out._data.shape)
    return out


def _nll_nd(logp: Tensor, y: Tensor, weight, ignore_index: int, reduction: str) -> Tensor:
    """torch's nll_loss_nd: nll_loss of a (C,) or (N, C) input, nll_loss2d of a 4-D one;
    a 3-D or 5-D+ input (N, C, d1, ...) is made contiguous and viewed as (N, C, 1, -1),
    its target as (N, 1, -1), for nll_loss2d, and an unreduced result viewed back to
    (N, d1, ...). (The checks are the caller's.)"""
    data, target = logp._data, y._data
    w = None if weight is None else weight._data
    primitive = NllLoss2d if data.ndim > 2 else NllLoss
    if data.ndim == 3 or data.ndim > 4:
        shape, target_shape = _nd_shapes(data.shape)
        logp = _shape.view(logp.contiguous(), shape)
        target = np.ascontiguousarray(target).reshape(target_shape)
        out = primitive.apply(logp, target=target, weight=w, ignore_index=ignore_index,
                              reduction=reduction)
        if reduction == "none":
            return _shape.view(out, (data.shape[0],) + data.shape[2:])
        return out
    return primitive.apply(logp, target=target, weight=w, ignore_index=ignore_index,
                           reduction=reduction)


def _cross_entropy_smoothed(x: Tensor, y: Tensor, weight, ignore_index: int, reduction: str,
                            ls: float) -> Tensor:
    """cross_entropy with label smoothing ``ls``, op for op as torch's
    cross_entropy_loss_label_smoothing (so its graph is torch's: AddBackward0 of two
    MulBackward1, over NllLossBackward0 and the smoothing term's nodes, both over one
    LogSoftmaxBackward0):
    (1 - ls) * nll_loss(logp, t) + ls / C * smooth,  logp = log_softmax(x),
    smooth_n = -sum_c w_c logp_nc (0 where t_n is ignored), summed for 'sum'; for 'mean'
    divided by the number of targets not ignored, or with class weights by the sum of
    their weights (a plain sum: ``weight.gather(0, t[~ignored]).sum()``)."""
    class_dim = 0 if x._data.ndim == 1 else 1
    n_classes = x._data.shape[class_dim]
    logp = log_softmax(x, class_dim)
    nll = _nll_nd(logp, y, weight, ignore_index, reduction)
    ignored = y == ignore_index
    if weight is None:
        smooth = -logp.sum(class_dim)
    else:  # weight viewed as (1, C, 1, ...), to broadcast over logp
        shape = [1] * x._data.ndim
        shape[class_dim] = n_classes
        smooth = -(logp * _shape.view(weight, tuple(shape))).sum(class_dim)
    smooth.masked_fill_(ignored, 0.0)
    if reduction == "mean":
        if weight is None:
            smooth = smooth.sum() / (~ignored).sum()
        else:
            smooth = smooth.sum() / weight.gather(0, y.masked_select(~ignored).flatten()).sum()
    elif reduction == "sum":
        smooth = smooth.sum()
    return mul_scalar(nll, 1 - ls) + mul_scalar(smooth, ls / n_classes)


def _cross_entropy_probabilities(x, y, weight, reduction, ignore_index, label_smoothing):
    """-sum(target * log_softmax(x) * weight) over classes, composed as torch does."""
    if y._data.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class "
                           f"probabilities, got {_TYPE_WORD[y._data.dtype.name]}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    if x._data.ndim == 0:  # torch reads input.size(1) for the number of classes
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    class_dim = 0 if x._data.ndim == 1 else 1
    n_classes = x._data.shape[class_dim]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != n_classes):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {n_classes} "
            f"classes or no classes but got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(x, class_dim)
    if label_smoothing > 0:
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                               f"{label_smoothing:g}")
        y = y * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * y
    if weight is not None:  # viewed as (1, C, 1, ...) for an input of 2+ dims, as torch
        if x._data.ndim > 1:
            shape = [1] * x._data.ndim
            shape[class_dim] = n_classes
            weight = _shape.view(weight, tuple(shape))
        prod = prod * weight
    if reduction == "none":
        return -prod.sum(class_dim)
    if reduction == "mean" and x._data.size == 0:  # torch: -(...).sum().fill_(NAN)
        return -prod.sum().fill_(float("nan"))
    total = -prod.sum()
    if reduction == "sum":
        return total
    return div_scalar(total, x._data.size // n_classes)  # by a C++ int: DivBackward1


# ---------------------------------------------------------------------------------------
# one_hot


def one_hot(input, num_classes: int = -1) -> Tensor:  # noqa: A002 - torch's name
    """Class indices (long, any shape) -> one-hot rows (shape + (num_classes,)), int64.
    ``num_classes=-1`` takes max + 1.

    On a meta tensor torch computes ``eq(input.unsqueeze(-1), arange(num_classes))``: a
    meta result, with no value check; -1 needs ``max().item()``, which a meta tensor
    refuses, and a smaller count is refused by arange."""
    t = _check("one_hot", input, "input")
    if type(num_classes) is not int:
        num_classes = _int(num_classes, "one_hot", "num_classes", 2)
    data = t._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if on_meta(data):
        if num_classes == -1:
            raise RuntimeError(NO_META_ITEM)
        if num_classes < 0:
            raise RuntimeError("upper bound and lower bound inconsistent with step sign")
        return wrap(meta_array(data.shape + (num_classes,), np.int64))
    if data.size == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(data.max()) + 1
    if data.size:
        if data.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if data.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(data.shape + (num_classes,), np.int64)
    np.put_along_axis(out, data[..., None], 1, axis=-1)
    return wrap(out)

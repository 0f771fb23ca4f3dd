"""Connectionist temporal classification loss (``F.ctc_loss``), as torch's CPU kernel.

Notation (Graves et al. 2006, 0-based): the target l of length L is extended with blanks
to l' = (blank, l_0, blank, l_1, ..., blank) of length 2L+1. With y = log_probs,

* alpha[t, s] = log sum of the probabilities of all paths through l'[:s+1] ending in state
  s at time t:  alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2]
  (only when l'[s-2] != l'[s])) + y[t, l'[s]];
* nll = -logsumexp(alpha[T-1, 2L], alpha[T-1, 2L-1])  (the loss);
* beta is the same recursion run backwards in time, and torch's gradient (eq. 16) is
  grad[t, c] = exp(y[t, c]) - exp(logsumexp_{s: l'[s]=c}(alpha[t, s] + beta[t, s]) + nll
  - y[t, c]), times the incoming gradient; zero for t >= input_length.

That gradient is torch's: it is the derivative with respect to the *logits* of a
log_softmax, so it equals the true derivative of the loss only when ``log_probs`` are
log_softmax outputs (the exp(y) term is what the log_softmax Jacobian adds). Finite
differences of the loss itself do not reproduce it; it is checked against torch.

The recursions loop over time (and over the states s of l' when collecting the
gradient), each step vectorised over the whole batch. The log-sum-exps are written as
torch writes them (max-shifted, summed left to right), so the numbers agree with torch to
the last bit or two (NumPy's exp/log may differ from the C library's by an ulp).
"""

from __future__ import annotations

import numpy as np

from torchlet._dtype import TYPE_WORDS, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise.binary import where as _where
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.loss._shared import _get_enum

__all__ = ["ctc_loss"]

_WHERE = "(while checking arguments for ctc_loss_allocate_outputs)"


class _CtcPlan:
    """The extended targets l' of every batch element, padded with blanks to 2*max(L)+1
    states, and which states are in use."""

    __slots__ = ("blank", "input_lengths", "target_lengths", "states", "skip", "in_use")

    def __init__(self, padded_targets: np.ndarray, input_lengths, target_lengths, blank):
        n, max_len = padded_targets.shape
        states = np.full((n, 2 * max_len + 1), blank, np.int64)
        states[:, 1::2] = padded_targets
        self.blank = blank
        self.input_lengths = input_lengths
        self.target_lengths = target_lengths
        self.states = states
        # the jump from s-2 to s is allowed when the two labels differ
        skip = np.zeros(states.shape, bool)
        skip[:, 2:] = states[:, 2:] != states[:, :-2]
        self.skip = skip
        self.in_use = np.arange(states.shape[1])[None, :] <= 2 * target_lengths[:, None]


def _logsumexp3(a, b, c, neginf):
    """log(exp(a-m) + exp(b-m) + exp(c-m)) + m, m the largest (0 when all are -inf)."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(m == neginf, 0, m).astype(a.dtype)
    return np.log(np.exp(a - m) + np.exp(b - m) + np.exp(c - m)) + m


def _emissions(log_probs: np.ndarray, plan: _CtcPlan) -> np.ndarray:
    """y[t, l'[s]] for every batch element: shape (N, T, 2L+1)."""
    by_batch = log_probs.transpose(1, 0, 2)
    index = np.broadcast_to(plan.states[:, None, :],
                            (by_batch.shape[0], by_batch.shape[1], plan.states.shape[1]))
    return np.take_along_axis(by_batch, index, axis=2)


def _ctc_forward(log_probs: np.ndarray, plan: _CtcPlan):
    """(nll (N,), log_alpha (N, T, S)) by the alpha recursion."""
    dtype = log_probs.dtype
    neginf = dtype.type(-np.inf)
    n, steps = log_probs.shape[1], log_probs.shape[0]
    emit = _emissions(log_probs, plan)
    n_states = emit.shape[2]
    rows = np.arange(n)
    lengths, in_lengths = plan.target_lengths, plan.input_lengths
    alpha = np.full((n, steps, n_states), neginf, dtype)
    alpha[:, 0, 0] = emit[:, 0, 0]
    if n_states > 1:
        alpha[:, 0, 1] = np.where(lengths > 0, emit[:, 0, 1], neginf)
    pad1 = np.full((n, 1), neginf, dtype)
    pad2 = np.full((n, 2), neginf, dtype)
    for t in range(1, steps):
        prev = alpha[:, t - 1]
        stay = prev
        step = np.concatenate([pad1, prev[:, :-1]], axis=1)[:, :n_states]
        jump = np.where(plan.skip, np.concatenate([pad2, prev[:, :-2]], axis=1)[:, :n_states],
                        neginf)
        alpha[:, t] = _logsumexp3(stay, step, jump, neginf) + emit[:, t]
    last = alpha[rows, np.maximum(in_lengths - 1, 0)]
    l1 = last[rows, 2 * lengths]
    l2 = last[rows, np.maximum(2 * lengths - 1, 0)]
    m = np.maximum(l1, l2)
    m = np.where(m == neginf, 0, m).astype(dtype)
    log_likelihood = np.log(np.exp(l1 - m) + np.exp(l2 - m)) + m
    log_likelihood = np.where(lengths == 0, l1, log_likelihood)
    # no input at all: only the empty target is possible
    log_likelihood = np.where(in_lengths == 0, np.where(lengths == 0, 0, neginf),
                              log_likelihood).astype(dtype)
    return -log_likelihood, alpha


def _ctc_gradient(grad_out, log_probs, nll, alpha, plan: _CtcPlan, zero_infinity):
    """torch's _ctc_loss_backward: beta recursion, then eq. 16 (see the module docstring)."""
    dtype = log_probs.dtype
    neginf = dtype.type(-np.inf)
    steps, n, n_labels = log_probs.shape
    emit = _emissions(log_probs, plan)
    n_states = emit.shape[2]
    rows = np.arange(n)
    lengths, in_lengths = plan.target_lengths, plan.input_lengths
    states = np.arange(n_states)[None, :]
    may_step = states < 2 * lengths[:, None]
    may_jump = np.zeros((n, n_states), bool)
    may_jump[:, :-2] = plan.skip[:, 2:]  # l'[s+2] != l'[s]
    may_jump &= states < 2 * lengths[:, None] - 1
    last_row = np.full((n, n_states), neginf, dtype)
    pad1 = np.full((n, 1), neginf, dtype)
    pad2 = np.full((n, 2), neginf, dtype)

    beta = np.full((n, steps, n_states), neginf, dtype)
    for t in range(steps - 1, -1, -1):
        starts = in_lengths - 1 == t
        if starts.any():
            row = last_row.copy()
            row[rows, 2 * lengths] = emit[rows, t, 2 * lengths]
            last = np.maximum(2 * lengths - 1, 0)
            row[rows, last] = np.where(lengths > 0, emit[rows, t, last], row[rows, last])
            beta[starts, t] = row[starts]
        inside = t < in_lengths - 1
        if inside.any():
            nxt = beta[:, t + 1]
            step = np.where(may_step, np.concatenate([nxt[:, 1:], pad1], axis=1), neginf)
            jump = np.where(may_jump, np.concatenate([nxt[:, 2:], pad2], axis=1)[:, :n_states],
                            neginf)
            row = _logsumexp3(nxt, step, jump, neginf) + emit[:, t]
            row = np.where(plan.in_use, row, neginf)
            beta[inside, t] = row[inside]

    # collected[b, t, c] = log sum over the states s with l'[s] = c of alpha + beta,
    # added in torch's order (s descending)
    alpha_beta = alpha + beta
    collected = np.full((n, steps, n_labels), neginf, dtype)
    for s in range(n_states - 1, -1, -1):
        label = plan.states[:, s]
        current = collected[rows, :, label]
        new = alpha_beta[:, :, s]
        m = np.maximum(current, new)
        added = np.log(np.exp(current - m) + np.exp(new - m)) + m
        merged = np.where(current == neginf, new, added)
        collected[rows, :, label] = np.where(plan.in_use[:, s:s + 1], merged, current)

    by_batch = log_probs.transpose(1, 0, 2)
    nll_b = nll[:, None, None]
    grad = (np.exp(by_batch) - np.exp(collected + nll_b - by_batch)) * grad_out[:, None, None]
    keep = np.arange(steps)[None, :] < in_lengths[:, None]
    if zero_infinity:
        keep = keep & (nll != np.inf)[:, None]
    grad = np.where(keep[:, :, None], grad, 0).astype(dtype)
    return np.ascontiguousarray(grad.transpose(1, 0, 2))


class _CtcLoss(Primitive):
    """nll[b] = -log p(targets[b] | log_probs[:, b]) (alpha recursion);  grad_log_probs is
    torch's eq. 16 (see the module docstring), computed by _CtcLossGrad."""

    node_name = "CtcLossBackward0"

    @staticmethod
    def forward(ctx, log_probs, *, plan, zero_infinity):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            nll, alpha = _ctc_forward(log_probs, plan)
        ctx.save_for_backward(log_probs)
        ctx.plan, ctx.zero_infinity, ctx.nll, ctx.alpha = plan, zero_infinity, nll, alpha
        return nll

    @staticmethod
    def backward(ctx, grad):
        (log_probs,) = ctx.saved_tensors
        return _CtcLossGrad.apply(grad, log_probs, nll=ctx.nll, alpha=ctx.alpha,
                                  plan=ctx.plan, zero_infinity=ctx.zero_infinity)


class _CtcLossGrad(Primitive):
    """The gradient of the CTC loss (torch's _ctc_loss_backward), which torch does not
    differentiate again."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, grad_out, log_probs, *, nll, alpha, plan, zero_infinity):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _ctc_gradient(grad_out, log_probs, nll, alpha, plan, zero_infinity)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


# ---------------------------------------------------------------------------------------
# Arguments and torch's checks


def _lengths(value, arg: str) -> np.ndarray:
    if isinstance(value, Tensor):
        data = value._data
        if data.dtype.kind not in "iu":
            raise RuntimeError(f"{arg} must be integral")
        return data.reshape(-1).astype(np.int64)
    return np.asarray([int(v) for v in value], np.int64)


def _is_int_list(value) -> bool:
    return isinstance(value, (list, tuple)) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)


def _check_length_types(input_lengths, target_lengths) -> None:
    both_tensors = isinstance(input_lengths, Tensor) and isinstance(target_lengths, Tensor)
    if not both_tensors and not (_is_int_list(input_lengths) and _is_int_list(target_lengths)):
        got = ", ".join(type_name(v) for v in (input_lengths, target_lengths))
        raise TypeError(
            "ctc_loss() received an invalid combination of arguments - got input_lengths and "
            f"target_lengths of types ({got}), but expected both Tensors or both tuples of "
            "ints"
        )


def _padded_targets(targets: np.ndarray, target_lengths: np.ndarray, batch: int) -> np.ndarray:
    """(N, max L) targets from torch's two layouts (padded 2-D, or concatenated 1-D)."""
    for length in target_lengths:
        if length < 0:
            raise RuntimeError("Expected target_lengths to have value at least 0, but got "
                               f"value {length} {_WHERE}")
    max_len = int(target_lengths.max()) if batch else 0
    if targets.ndim == 1:
        total = int(target_lengths.sum())
        if targets.shape[0] != total:
            raise RuntimeError(
                f"Expected tensor to have size {total} at dimension 0, but got size "
                f"{targets.shape[0]} for argument #2 'targets' {_WHERE}")
        padded = np.zeros((batch, max_len), np.int64)
        offsets = np.concatenate([[0], np.cumsum(target_lengths)[:-1]])
        for b in range(batch):
            padded[b, :target_lengths[b]] = targets[offsets[b]:offsets[b] + target_lengths[b]]
        return padded
    if targets.shape[0] != batch:
        raise RuntimeError(
            f"Expected tensor to have size {batch} at dimension 0, but got size "
            f"{targets.shape[0]} for argument #2 'targets' {_WHERE}")
    if targets.shape[1] < max_len:
        raise RuntimeError(
            f"Expected tensor to have size at least {max_len} at dimension 1, but got size "
            f"{targets.shape[1]} for argument #2 'targets' {_WHERE}")
    padded = targets[:, :max_len].copy()
    # what lies past a target's length is padding: read it as blanks
    padded[np.arange(max_len)[None, :] >= target_lengths[:, None]] = 0
    return padded


def _make_plan(log_probs: Tensor, targets: Tensor, input_lengths: np.ndarray,
               target_lengths: np.ndarray, blank: int) -> _CtcPlan:
    lp = log_probs._data
    if lp.dtype.kind != "f" or lp.dtype == np.float16:
        raise NotImplementedError(
            f"\"ctc_loss_cpu\" not implemented for '{TYPE_WORDS[lp.dtype.name]}'")
    if lp.size == 0:
        raise RuntimeError("log_probs tensor must not be empty")
    if lp.ndim != 3:
        raise RuntimeError(
            f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor for argument "
            f"#1 'log_probs' {_WHERE}")
    tg = targets._data.astype(np.int64)
    if tg.ndim not in (1, 2):
        raise RuntimeError(
            f"Expected 1 to 2 dimensions, but got {tg.ndim}-dimensional tensor for argument "
            f"#2 'targets' {_WHERE}")
    steps, batch, n_labels = lp.shape
    if not 0 <= blank < n_labels:
        raise RuntimeError("blank must be in label range")
    if input_lengths.shape[0] != batch:
        raise RuntimeError("input_lengths must be of size batch_size")
    if target_lengths.shape[0] != batch:
        raise RuntimeError("target_lengths must be of size batch_size")
    padded = _padded_targets(tg, target_lengths, batch)
    for length in input_lengths:
        if length < 0:
            raise RuntimeError("Expected input_lengths to have value at least 0, but got "
                               f"value {length} {_WHERE}")
        if length > steps:
            raise RuntimeError(f"Expected input_lengths to have value at most {steps}, but "
                               f"got value {length} {_WHERE}")
    return _CtcPlan(padded, input_lengths, target_lengths, blank)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
             reduction="mean", zero_infinity=False) -> Tensor:
    """The CTC loss of ``log_probs`` ((T, N, C) or unbatched (T, C), log-softmax outputs)
    against ``targets`` (padded (N, S) or concatenated (sum L,)), as torch computes it.

    The graph is torch's: CtcLossBackward0, then WhereBackward0 (``zero_infinity``), then
    DivBackward0 + MeanBackward0 ('mean', each loss divided by its target length, at
    least 1) or SumBackward0 ('sum'); unbatched 'none' adds SqueezeBackward1."""
    reduction = _get_enum(reduction)
    for arg, value, position in (("log_probs", log_probs, 1), ("targets", targets, 2)):
        if not isinstance(value, Tensor):
            raise TypeError(f"ctc_loss(): argument '{arg}' (position {position}) must be "
                            f"Tensor, not {type_name(value)}")
    _check_length_types(input_lengths, target_lengths)
    in_lengths = _lengths(input_lengths, "input_lengths")
    tg_lengths = _lengths(target_lengths, "target_lengths")
    batched = log_probs._data.ndim == 3
    lp = log_probs if batched else _shape.unsqueeze(log_probs, 1)
    plan = _make_plan(lp, targets, in_lengths, tg_lengths, int(blank))
    res = _CtcLoss.apply(lp, plan=plan, zero_infinity=bool(zero_infinity))
    dtype = res._data.dtype
    if zero_infinity:
        res = _where(wrap(res._data == np.inf), wrap(np.zeros((), dtype)), res)
    if reduction == "mean":
        return (res / wrap(np.maximum(tg_lengths, 1).astype(dtype))).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else _shape.squeeze(res, 0)

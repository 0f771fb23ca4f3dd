"""Losses between probability distributions: binary_cross_entropy (one primitive),
binary_cross_entropy_with_logits (one primitive, computed from the logits without
overflow) and kl_div (composed as torch composes it, over an xlogy primitive)."""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._ops.linalg.integration import _over
from torchlet._ops.pointwise import exp, logit, sigmoid, xlogy
from torchlet._ops.pointwise._libm import rounded_once as _libm
from torchlet._ops.pointwise._libm import sigmoid as _libm_sigmoid
from torchlet._ops.pointwise.arithmetic import add_scalar, div_scalar
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional.loss._shared import (
    _TYPE_WORD,
    _check,
    _check_broadcast,
    _get_enum,
    _not_differentiable,
    _opmath,
    _read_first,
    _reduce,
    _reduce_np,
    _reduction,
    legacy_get_string,
)
from torchlet.nn._functional.smooth_activation import logsigmoid

# ---------------------------------------------------------------------------------------
# binary cross entropy


_BCE_EPS = float(np.float32(1e-12))  # torch's kernel EPSILON is a C++ float


class BinaryCrossEntropyBackward(Primitive):
    """binary_cross_entropy's input gradient as an operation of its own (torch's
    binary_cross_entropy_backward), so that double backward uses torch's formulas:
    out = grad (x - y) / max((1 - x) x, eps) * w  (/ numel for 'mean');
    d out / d grad = (x - y) / ((x + 1e-12) (1 - x + 1e-12)) * w,
    d out / d x = grad w (x^2 - 2 x y + y) / ((x + 1e-12)^2 (1 - x + 1e-12)^2),
    d out / d y = -grad w / max((1 - x) x, 1e-12)."""

    node_name = "BinaryCrossEntropyBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, y, *, weight, reduction):
        ctx.weight, ctx.reduction = weight, reduction
        ctx.save_for_backward(grad, x, y)
        t = x.dtype.type
        out = grad * (x - y) / np.maximum((t(1) - x) * x, t(_BCE_EPS))  # torch's order
        if weight is not None:
            out = out * weight
        if reduction == "mean":
            out = out / t(x.size)
        return np.asarray(out, x.dtype)

    @staticmethod
    def backward(ctx, gg):
        grad, x, y = ctx.saved_tensors
        w = None if ctx.weight is None else wrap(ctx.weight)
        mean = ctx.reduction == "mean"
        need_g, need_x, need_y = ctx.needs_input_grad
        eps = 1e-12  # FunctionsManual's double eps
        g_grad = g_x = g_y = None
        if need_g:
            g_grad = (x - y) / ((x + eps) * (1 - x + eps)) * gg
            if w is not None:
                g_grad = g_grad * w
            if mean:  # torch divides each term, then sums
                g_grad = g_grad / x._data.size
            if ctx.reduction != "none":
                g_grad = g_grad.sum()
        if need_x:
            g_x = (x * x - 2 * x * y + y) / ((x + eps) ** 2 * (1 - x + eps) ** 2) * (grad * gg)
            if w is not None:
                g_x = g_x * w
            if mean:
                g_x = g_x / x._data.size
        if need_y:
            g_y = -gg * grad
            if w is not None:
                g_y = g_y * w
            g_y = g_y / wrap(np.maximum((1 - x._data) * x._data, x._data.dtype.type(eps)))
            if mean:
                g_y = g_y / x._data.size
        return g_grad, g_x, g_y


class BinaryCrossEntropy(Primitive):
    """loss = -w (y log(x) + (1 - y) log(1 - x)), each log clamped at -100 (so x = 0 or 1
    gives 100, not inf);  grad_x = BinaryCrossEntropyBackward(grad) = grad * w (x - y) /
    max(x (1 - x), eps),  grad_y = -grad * w logit(x)."""

    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, *, weight, reduction):
        ctx.weight, ctx.reduction = weight, reduction
        ctx.save_for_backward(x, y)
        t = x.dtype.type
        log_x = np.maximum(np.log(x), t(-100))
        log_1mx = np.maximum(np.log1p(-x), t(-100))
        loss = (y - t(1)) * log_1mx - y * log_x
        if weight is not None:
            loss = loss * weight
        return _reduce_np(loss, reduction, x)  # (torch: into empty_like(input))

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            grad_x = BinaryCrossEntropyBackward.apply(grad, x, y, weight=ctx.weight,
                                                      reduction=ctx.reduction)
        if need_y:  # torch's -logit(x) * grad * w (/ numel), logs not clamped
            grad_y = -logit(x) * grad  # logit's own derivative: inf, not NaN, at 0 and 1
            if ctx.weight is not None:
                grad_y = grad_y * wrap(ctx.weight)
            if ctx.reduction == "mean":
                grad_y = _over(grad_y, x._data.size)  # torch: DivBackward1
        return grad_x, grad_y


def binary_cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """-(y log(x) + (1 - y) log(1 - x)) for probabilities x in [0, 1]."""
    reduction = _reduction(size_average, reduce, reduction)
    _read_first("size", target, input)  # torch's `target.size() != input.size()`
    x = _check("binary_cross_entropy", input)
    y = _check("binary_cross_entropy", target, "target", 2)
    if y._data.shape != x._data.shape:
        raise ValueError(f"Using a target size ({y.shape}) that is different to the input "
                         f"size ({x.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        _read_first("size", weight)  # torch's broadcast_shapes(target.size(), weight.size())
    _not_differentiable("binary_cross_entropy", "weight", weight)
    xd = x._data
    # torch's kernel wants input and target of one dtype (no promotion) and a float input
    if y._data.dtype != xd.dtype:
        raise RuntimeError(f"Found dtype {_TYPE_WORD[y._data.dtype.name]} but expected "
                           f"{_TYPE_WORD[xd.dtype.name]}")
    if xd.dtype.kind != "f":
        raise NotImplementedError(
            f"\"binary_cross_entropy\" not implemented for '{_TYPE_WORD[xd.dtype.name]}'")
    _check_probabilities(xd, y._data)
    # the weight joins the computation in the input's dtype (torch multiplies it in place)
    w = None if weight is None else np.broadcast_to(
        weight._data.astype(xd.dtype, copy=False), y._data.shape)
    return BinaryCrossEntropy.apply(x, y, weight=w, reduction=reduction)


def _check_probabilities(x: np.ndarray, y: np.ndarray) -> None:
    """torch checks each element's input, then its target, to lie in [0, 1] (NaN fails):
    the first bad element decides the message."""
    bad_x, bad_y = ~((x >= 0) & (x <= 1)), ~((y >= 0) & (y <= 1))
    bad = bad_x | bad_y
    if bad.any():
        which = "input" if bad_x.reshape(-1)[np.argmax(bad.reshape(-1))] else "target"
        raise RuntimeError(f"all elements of {which} should be between 0 and 1")


class BinaryCrossEntropyWithLogits(Primitive):
    """loss = w ((1 - y) x - lw * logsigmoid(x)),  lw = (pos_weight - 1) y + 1;
    grad_x = grad * w ((pos_weight y + 1 - y) sigmoid(x) - pos_weight y)  (sigmoid(x) - y
    without pos_weight),  grad_y = grad * w (logsigmoid(-x) - pos_weight logsigmoid(x)).

    The loss has the target's dtype: torch computes it in place in ``1 - target``, each
    step in the promoted dtype and rounded back (logsigmoid(x) keeps the input's dtype,
    ``pos_weight - 1`` is computed in pos_weight's)."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction):
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        ctx.save_for_backward(x, y)
        log_sig = _log_sigmoid(x)
        if _one_dtype(x, y, weight, pos_weight):  # NumPy's steps are torch's
            if pos_weight is not None:
                log_sig *= (pos_weight - pos_weight.dtype.type(1)) * y + 1
            loss = (y.dtype.type(1) - y) * x
            loss -= log_sig
            if weight is not None:
                loss *= weight
            return _reduce_np(loss, reduction, y)  # (torch starts from 1 - target)
        # torch's steps, in place but for the first two, as torchlet's pointwise ops: they
        # promote as torch's (a 0-dim weight of a wider dtype does not widen the loss)
        log_sig = wrap(log_sig)
        if pos_weight is not None:
            log_sig.mul_((wrap(pos_weight) - 1).mul(wrap(y)).add_(1))
        loss = (1 - wrap(y)).mul_(wrap(x)).sub_(log_sig)
        if weight is not None:
            loss.mul_(wrap(weight))
        return _reduce_np(loss._data, reduction, y)  # (torch starts from 1 - target)

    @staticmethod
    def backward(ctx, grad):
        """torch's binary_cross_entropy_with_logits_backward and _target_backward, step
        by step: its order of roundings and, under create_graph, its nodes. The input's
        gradient works in place (each step rounded to the first operand's dtype) unless
        a graph is recorded; the target's always does, but for -x * grad."""
        x, y = ctx.saved_tensors
        record = GRAD_STATE.enabled
        if not record and _one_dtype(x._data, y._data, grad._data, ctx.weight, ctx.pos_weight) \
                and x._data.flags.c_contiguous and y._data.flags.c_contiguous:
            return BinaryCrossEntropyWithLogits.grads_np(ctx, grad._data, x._data, y._data)
        weight = None if ctx.weight is None else wrap(ctx.weight)
        pw = None if ctx.pos_weight is None else wrap(ctx.pos_weight)
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            if pw is None:
                grad_x = sigmoid(x) - y if record else sigmoid(x).sub_(y)
            else:
                py = pw * y  # (pos_weight broadcasts: not in place)
                if record:  # (py + 1 - y) sigmoid(x) - py, "+ 1" a C++ Scalar
                    grad_x = (add_scalar(py, 1) - y) * sigmoid(x) - py
                else:
                    grad_x = add_scalar(py, 1).sub_(y).mul_(sigmoid(x)).sub_(py)
            grad_x = _times(grad_x, grad, record)
            if weight is not None:
                grad_x = _times(grad_x, weight, record)
        if need_y:
            if pw is None:
                grad_y = -x * grad
            else:  # logsigmoid(-x) - logsigmoid(x) pw, in place in logsigmoid(-x)
                grad_y = logsigmoid(-x).sub_(logsigmoid(x).mul_(pw)).mul_(grad)
            if weight is not None:
                grad_y = grad_y.mul_(weight)
        if ctx.reduction == "mean":  # a C++ Scalar division: DivBackward1
            n = x._data.size
            grad_x = None if grad_x is None else div_scalar(grad_x, n)
            grad_y = None if grad_y is None else div_scalar(grad_y, n)
        return grad_x, grad_y

    @staticmethod
    def grads_np(ctx, grad, x, y):
        """``backward``'s first-order steps for arrays of one dtype and C-contiguous x and y
        (the results are then C-contiguous, as torch's): NumPy's arithmetic, without the
        dispatch of torchlet's in-place operations (tested against the general path)."""
        w, pw = ctx.weight, ctx.pos_weight
        need_x, need_y = ctx.needs_input_grad
        n = x.size
        grad_x = grad_y = None
        if need_x:
            if pw is None:
                grad_x = _libm_sigmoid(x) - y
            else:
                py = pw * y
                grad_x = (py + 1 - y) * _libm_sigmoid(x) - py
            grad_x *= grad
            if w is not None:
                grad_x *= w
        if need_y:
            if pw is None:
                grad_y = -x * grad
            else:
                grad_y = _log_sigmoid(-x) - _log_sigmoid(x) * pw
                grad_y *= grad
            if w is not None:
                grad_y *= w
        if ctx.reduction == "mean":  # (float16 too: divided in float32, rounded once)
            grad_x = None if grad_x is None else grad_x / n
            grad_y = None if grad_y is None else grad_y / n
        return (None if grad_x is None else wrap(grad_x),
                None if grad_y is None else wrap(grad_y))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    """torch's at::log_sigmoid, min(x, 0) - log1p(exp(-|x|)) (logsigmoid's kernel): float16
    computed in float32 and rounded once, exp and log1p rounded as its scalar loop's."""
    xf = _opmath(x)
    return np.asarray(np.minimum(xf, 0) - _libm(np.log1p, _libm(np.exp, -np.abs(xf)))
                      ).astype(x.dtype)


def _one_dtype(*arrays) -> bool:
    """All the given arrays (None: absent) of one dtype: NumPy's promotion is then torch's."""
    dtypes = {a.dtype for a in arrays if a is not None}
    return len(dtypes) == 1


def _times(a: Tensor, b: Tensor, record: bool) -> Tensor:
    """torch's ``a.mul(b)`` while recording a graph, else ``a.mul_(b)`` (a's dtype)."""
    return a * b if record else a.mul_(b)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean",  # noqa: A002
                                     pos_weight=None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y), computed from the logits without overflow;
    ``pos_weight`` weighs the positive term."""
    reduction = _reduction(size_average, reduce, reduction)
    _read_first("size", target, input)  # torch's `target.size() == input.size()`
    x = _check("binary_cross_entropy_with_logits", input)
    y = _check("binary_cross_entropy_with_logits", target, "target", 2)
    if y._data.shape != x._data.shape:
        raise ValueError(f"Target size ({y.shape}) must be the same as input size "
                         f"({x.shape})")
    if weight is not None:
        _check("binary_cross_entropy_with_logits", weight, "weight", 3)
    if pos_weight is not None:
        _check("binary_cross_entropy_with_logits", pos_weight, "pos_weight", 4)
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    xd, yd = x._data, y._data
    if xd.dtype.kind != "f":
        raise NotImplementedError(
            f"\"log_sigmoid_cpu\" not implemented for '{_TYPE_WORD[xd.dtype.name]}'")
    if yd.dtype.kind != "f":  # the loss is computed in place in (1 - target)
        common = _dtype.result_type_of((x, y)).np
        raise RuntimeError(f"result type {_TYPE_WORD[common.name]} can't be cast to the "
                           f"desired output type {_TYPE_WORD[yd.dtype.name]}")
    # torch computes (pos_weight - 1) * target first, multiplies by weight last, and
    # writes both in place into a loss of the input's shape
    if pos_weight is not None:
        _check_broadcast(pos_weight._data.shape, yd.shape)
    if weight is not None:
        _check_broadcast(xd.shape, weight._data.shape)
    for extra in (pos_weight, weight):
        if extra is not None and np.broadcast_shapes(xd.shape, extra._data.shape) != xd.shape:
            raise RuntimeError(
                f"output with shape {list(xd.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(xd.shape, extra._data.shape))}")
    return BinaryCrossEntropyWithLogits.apply(
        x, y, weight=None if weight is None else weight._data,
        pos_weight=None if pos_weight is None else pos_weight._data, reduction=reduction)


# ---------------------------------------------------------------------------------------
# divergences: kl_div


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); 'batchmean'
    divides the sum by the batch size (the true KL divergence)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.", stacklevel=2)
        if reduction != "batchmean":
            reduction = _get_enum(reduction)
    x, y = _check("kl_div", input), _check("kl_div", target, "target", 2)
    if x._data.dtype.kind != "f" or y._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = exp(y) * (y - x)
    else:
        out = xlogy(y, y) - y * x  # the pointwise op: its float32 log rounds as torch's
    if reduction == "batchmean":
        total = out.sum()
        return total / x._data.shape[0] if x._data.ndim != 0 else total
    return _reduce(out, reduction)

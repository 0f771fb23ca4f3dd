"""Margin losses: margin_ranking, hinge_embedding, soft_margin, multilabel_soft_margin,
multi_margin and multilabel_margin. Those torch composes of operations are composed here
too (so their graphs show torch's nodes); the others are one primitive each."""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._ops.pointwise import exp, where
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE, no_grad
from torchlet.autograd.not_implemented import NotImplementedNode
from torchlet.nn._functional.loss._shared import (
    _TYPE_WORD,
    _check,
    _check_broadcast,
    _grad_scale,
    _not_differentiable,
    _read_first,
    _reduce,
    _reduce_np,
    _reduction,
    legacy_get_string,
)
from torchlet.nn._functional.smooth_activation import logsigmoid

# ---------------------------------------------------------------------------------------
# margin losses


def margin_ranking_loss(input1, input2, target, margin: float = 0.0,  # noqa: A002
                        size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """max(0, -y (x1 - x2) + margin): y = 1 wants x1 ranked above x2."""
    reduction = _reduction(size_average, reduce, reduction)
    # torch compares input1.dim() with input2.dim(), then with target.dim(), and prints
    # target.size() in its error
    _read_first("dim", input1, input2)
    _read_first("dim" if input1.dim() == input2.dim() else "size", target)
    x1 = _check("margin_ranking_loss", input1, "input1")
    x2 = _check("margin_ranking_loss", input2, "input2", 2)
    y = _check("margin_ranking_loss", target, "target", 3)
    if not x1._data.ndim == x2._data.ndim == y._data.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {x1.shape}, input2: {x2.shape}, target: {y.shape} ")
    return _reduce((-y * (x1 - x2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """x where y == 1, max(0, margin - x) where y == -1."""
    reduction = _reduction(size_average, reduce, reduction)
    x = _check("hinge_embedding_loss", input)
    y = _check("hinge_embedding_loss", target, "target", 2)
    if x._data.dtype.kind in "iub":
        # torch's `margin - self` fills a tensor of self's dtype: an integer margin
        margin = int(margin)
    _check_broadcast(y._data.shape, x._data.shape)  # torch's where(target != 1, ...)
    zeros = wrap(np.zeros_like(x._data))
    margin_clamp = (margin - x).clamp_min(0)
    loss = where(y != 1, margin_clamp, zeros) + where(y != -1, x, zeros)
    return _reduce(loss, reduction)


class SoftMarginLoss(Primitive):
    """loss = log(1 + exp(-y x));  grad_x = -y * grad * z / (1 + z),  z = exp(-y x)."""

    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, target, reduction):
        # the target Tensor as given (broadcast or not, as torch's node keeps it), saved
        # with its version but passed by keyword, not as an input: the node has x's edge
        # alone, and changing the target in place before backward raises torch's error
        ctx.reduction = reduction
        ctx.save_for_backward(x, target)
        # torch computes in place in a tensor of the input's dtype: -x * y rounds back to it
        z = (-x * target._data).astype(x.dtype, copy=False)
        return _reduce_np(np.log1p(np.exp(z)), reduction, x)

    @staticmethod
    def backward(ctx, grad):
        x, target = ctx.saved_tensors
        return SoftMarginLossBackward.apply(grad, x, y=target._data, reduction=ctx.reduction)


class SoftMarginLossBackward(Primitive):
    """soft_margin_loss_backward as an operation of its own, so that create_graph
    differentiates torch's formulas (z = exp(-y x), norm = 1 / numel for 'mean', else 1):
    out = y z (-norm) / (1 + z) * grad;
    d out / d grad = the same operation on v (summed to grad's shape by the engine),
    d out / d x = y^2 z / (1 + z)^2 * grad * v * norm."""

    node_name = "SoftMarginLossBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, *, y, reduction):
        ctx.y, ctx.reduction = y, reduction
        ctx.save_for_backward(grad, x)
        norm = 1 / x.size if reduction == "mean" else 1.0
        # torchlet's operations, for their dtype promotion (y may be an integer tensor);
        # torch's order: (y z) (-norm) / (1 + z) grad; z = inf (y x < -88 in float32)
        # gives NaN there, as torch does, not the limit -y
        with no_grad():
            y_, z = wrap(y), exp(-wrap(y) * wrap(x))
            return (y_ * z * -norm / (z + 1) * wrap(grad))._data

    @staticmethod
    def backward(ctx, v):
        grad, x = ctx.saved_tensors
        need_grad, need_x = ctx.needs_input_grad
        g_grad = g_x = None
        if need_grad:
            g_grad = SoftMarginLossBackward.apply(v, x, y=ctx.y, reduction=ctx.reduction)
        if need_x:
            y = wrap(ctx.y)
            z = exp(x * -y)
            g_x = _grad_scale(grad * v * (y * y) * z / ((z + 1) * (z + 1)), ctx.reduction,
                              x._data.size)
        return g_grad, g_x


def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction="mean") -> Tensor:  # noqa: A002
    """log(1 + exp(-y x)) for labels y = +-1 (two-class logistic loss)."""
    reduction = _reduction(size_average, reduce, reduction)
    x, y = _check("soft_margin_loss", input), _check("soft_margin_loss", target, "target", 2)
    _not_differentiable("soft_margin_loss", "target", y)
    if x._data.dtype == np.bool_:  # torch's kernel starts with -input
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if x._data.dtype.kind != "f":  # exp_ writes a float into the input's integer dtype
        common = _dtype.result_type_of((x, y, wrap(np.float32(0)))).np
        raise RuntimeError(f"result type {_TYPE_WORD[common.name]} can't be cast to the "
                           f"desired output type {_TYPE_WORD[x._data.dtype.name]}")
    if x._data.shape != y._data.shape:
        _check_broadcast(x._data.shape, y._data.shape)
        shape = np.broadcast_shapes(x._data.shape, y._data.shape)
        if shape != x._data.shape:  # torch writes the loss into an input-shaped buffer
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}")
    # y as given (NumPy broadcasts it onto x): torch's node keeps it so (_saved_target)
    return SoftMarginLoss.apply(x, target=y, reduction=reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """Per sample, the mean over classes of -(y logsigmoid(x) + (1 - y) logsigmoid(-x))."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    # torch composes the loss of operations: its input meets log_sigmoid's parser, its
    # target only arithmetic (so a number works and a list fails as `list * Tensor` does)
    x = _check("log_sigmoid", input)
    loss = -(target * logsigmoid(x) + (1 - target) * logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    class_dim = x._data.ndim - 1
    if class_dim < 0:  # torch's input.size(-1) of a 0-d input
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    loss = loss.sum(class_dim) / x._data.shape[class_dim]
    if reduction not in ("none", "mean", "sum"):  # checked last, with torch's words
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


def _float_kernel(kernel: str, x: Tensor) -> None:
    """torch's AT_DISPATCH_FLOATING_TYPES: float32 and float64 only (no float16 on CPU)."""
    if x._data.dtype not in (np.float32, np.float64):
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'")


def _margin_input(fn: str, x: Tensor):
    """Inputs (C,) or (N, C) (torch's multi-margin checks); returns (N, C) data."""
    data = x._data
    if not (data.ndim <= 1 and data.size > 0 or data.ndim == 2 and data.shape[1] > 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {list(data.shape)}")
    return data.reshape(1, -1) if data.ndim <= 1 else data


class MultiMarginLoss(Primitive):
    """loss_n = sum_{i != y_n} w[y_n] max(0, margin - x[y_n] + x[i])^p / C  (p = 1 or 2);
    grad_x[i] = grad * w[y_n] * dz^p / C for i != y_n, grad_x[y_n] = minus their sum."""

    node_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, y, p, margin, weight, reduction):
        shape, scalar_target = x.shape, y.ndim == 0
        x2 = x.reshape(1, -1) if x.ndim <= 1 else x
        y = y.reshape(-1)
        n, c = x2.shape
        rows = np.arange(n)
        z = margin - x2[rows, y][:, None] + x2
        z[rows, y] = 0  # the target class itself does not count
        active = z > 0
        h = np.where(active, z if p == 1 else z * z, 0)
        wy = x.dtype.type(1) if weight is None else weight[y][:, None]
        loss = np.sum(h * wy, axis=1, dtype=x.dtype) / x.dtype.type(c)
        # d loss_n / d x: +w dz^p/C for each active i, -(their sum) at y_n
        coef = np.where(active, 1 if p == 1 else 2 * z, 0).astype(x.dtype) * wy / c
        coef[rows, y] -= coef.sum(axis=1)
        ctx.coef, ctx.shape, ctx.reduction = coef, shape, reduction
        ctx.save_for_backward(x)  # (as torch: an in-place change to it is an error)
        out = _reduce_np(loss, reduction)
        return out.reshape(()) if reduction == "none" and scalar_target else out

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors  # (torch saves it too: an in-place change is an error)
        g = _grad_scale(grad._data, ctx.reduction, ctx.coef.shape[0])
        if ctx.reduction == "none":
            g = g.reshape(-1, 1)
        gradient = (ctx.coef * g).reshape(ctx.shape)
        if GRAD_STATE.enabled:  # create_graph: torch's kernel has no derivative
            needing = [t for t in (grad, x) if t.requires_grad]
            # torch's kernel has no derivative: a NotImplemented node, linked to the
            # operands that require grad (grad_output, then self)
            return NotImplementedNode.apply(*needing, results=gradient,
                                            op=ctx.backward_kernel)
        return wrap(gradient)

    backward_kernel = "multi_margin_loss_backward"


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,  # noqa: A002
                      size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """The multi-class hinge loss: max(0, margin - x[y] + x[i])^p summed over i != y."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x, y = _check("multi_margin_loss", input), _check("multi_margin_loss", target, "target", 2)
    x2 = _margin_input("multi_margin_loss", x)
    n, c = x2.shape
    t = y._data
    if not (t.ndim <= 1 and t.size == n):
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(t.shape)}. Input has shape {list(x.shape)}.")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
    _not_differentiable("multi_margin_loss", "weight", weight)
    _float_kernel("multi_margin_loss_cpu_kernel", x)  # the dispatch, then the target's type
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TYPE_WORD[t.dtype.name]}")
    if weight is not None and weight._data.dtype != x._data.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_WORD[x._data.dtype.name]} but found "
                           f"{_TYPE_WORD[weight._data.dtype.name]}")
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    return MultiMarginLoss.apply(x, y=t, p=p,
                                 margin=float(margin),
                                 weight=None if weight is None else weight._data,
                                 reduction=reduction)


class MultilabelMarginLoss(Primitive):
    """For the target classes T_n (y_n up to the first -1) and the others:
    loss_n = sum_{j in T_n} sum_{i not in T_n} max(0, 1 - (x[j] - x[i])) / C;
    grad: +grad / C at i and -grad / C at j for every active pair."""

    node_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, y, reduction):
        shape = x.shape
        x2 = x.reshape(1, -1) if x.ndim <= 1 else x
        y2 = y.reshape(1, -1) if y.ndim <= 1 else y
        n, c = x2.shape
        # the targets of a row are its entries before the first -1
        valid = np.cumprod(y2 >= 0, axis=1).astype(bool)
        safe = np.where(valid, y2, 0)
        is_target = np.zeros((n, c), bool)
        rows = np.repeat(np.arange(n), c)
        is_target[rows[valid.ravel()], safe[valid]] = True
        x_target = np.take_along_axis(x2, safe, axis=1)  # (n, k)
        z = 1 - x_target[:, :, None] + x2[:, None, :]  # (n, k, c)
        active = (z > 0) & valid[:, :, None] & ~is_target[:, None, :]
        loss = np.sum(np.where(active, z, 0), axis=(1, 2), dtype=x.dtype) / x.dtype.type(c)
        coef = active.sum(axis=1).astype(x.dtype)  # each active pair: +1 at i ...
        np.add.at(coef, (np.repeat(np.arange(n), safe.shape[1]), safe.ravel()),
                  -active.sum(axis=2).ravel().astype(x.dtype))  # ... and -1 at j
        ctx.coef, ctx.shape, ctx.reduction = coef / x.dtype.type(c), shape, reduction
        ctx.save_for_backward(x)
        out = _reduce_np(loss, reduction)
        return out.reshape(()) if reduction == "none" and len(shape) <= 1 else out

    backward = staticmethod(MultiMarginLoss.backward)
    backward_kernel = "multilabel_margin_loss_backward"


def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction="mean") -> Tensor:  # noqa: A002
    """The multi-label hinge loss; ``target`` lists each sample's classes, ended by -1."""
    reduction = _reduction(size_average, reduce, reduction)
    x = _check("multilabel_margin_loss", input)
    y = _check("multilabel_margin_loss", target, "target", 2)
    _margin_input("multilabel_margin_loss", x)
    t, xs = y._data, x._data.shape
    c = xs[-1] if xs else 1
    # torch's shape check: a vector input takes any target of <= 1 dims and c elements
    if not (t.ndim <= 1 and t.size == c if len(xs) <= 1 else t.shape == xs):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    # then the range, read as int64 (a float target truncated), the dispatch on the
    # input's dtype and only then the target's dtype
    if t.size and t.dtype.kind in "iuf" and (
            int(t.min()) < -1 or int(t.max()) >= c):
        raise RuntimeError("argument #2 'target' is out of range")
    _float_kernel("multilabel_margin_loss_forward_out_frame", x)
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TYPE_WORD[t.dtype.name]}")
    return MultilabelMarginLoss.apply(x, y=t.reshape(xs), reduction=reduction)

"""Regression losses: mse, l1, smooth_l1 and huber (mse, smooth_l1 and huber are one
primitive each, l1 is composed as torch composes it), and the likelihoods
poisson_nll_loss and gaussian_nll_loss (composed of operations, as in torch)."""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise import exp, log, where
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import no_grad
from torchlet.nn._functional.loss._shared import (
    _TYPE_WORD,
    _check,
    _common,
    _get_enum,
    _grad_scale,
    _legacy_reduction,
    _opmath,
    _read_first,
    _reduce,
    _reduce_np,
    _size_warning,
)

# ---------------------------------------------------------------------------------------
# regression losses: mse, l1, smooth_l1, huber


class MseLoss(Primitive):
    """loss = (x - y)^2;  grad_x = MseLossBackward(grad, x, y) = 2 (x - y) * grad
    (/ numel for 'mean'),  grad_y = MseLossBackward(grad, y, x) = -grad_x (torch's
    formulas, arguments swapped for the target)."""

    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, y)
        d = x - y
        return _reduce_np(d * d, reduction, x, y)

    @staticmethod
    def backward(ctx, grad):
        return _pair_gradients(ctx, MseLossBackward, grad, reduction=ctx.reduction)


def _pair_gradients(ctx, gradient, grad, **params):
    """(grad_x, grad_y) of a loss of (x, y) whose target gradient is its input gradient
    with x and y swapped, as in torch's derivatives.yaml: ``gradient(grad, x, y)`` and
    ``gradient(grad, y, x)``."""
    x, y = ctx.saved_tensors
    need_x, need_y = ctx.needs_input_grad
    return (gradient.apply(grad, x, y, **params) if need_x else None,
            gradient.apply(grad, y, x, **params) if need_y else None)


def _scale_np(grad: np.ndarray, reduction: str, numel: int) -> np.ndarray:
    """``_grad_scale`` on arrays: grad / numel for 'mean'."""
    return grad / numel if reduction == "mean" else grad


class _LossBackward(Primitive):
    """The gradient of an elementwise loss of (x, y) as an operation of its own (torch's
    <loss>_backward), so that create_graph differentiates torch's formulas:
    out = grad * f'(x, y) (/ numel for 'mean');
    d out / d grad = the same operation on v (summed to grad's shape by the engine),
    d out / d x = grad * v * f''(x, y) (/ numel),  d out / d y = -d out / d x.
    A subclass gives ``kernel`` (the forward, in NumPy) and ``curvature`` (f'', a
    constant array of x's dtype)."""

    @classmethod
    def forward(cls, ctx, grad, x, y, **params):
        ctx.params = params
        ctx.save_for_backward(grad, x, y)
        return cls.kernel(grad, x, y, **params)

    @staticmethod
    def backward(ctx, v):
        grad, x, y = ctx.saved_tensors
        need_grad, need_x, need_y = ctx.needs_input_grad
        params = ctx.params
        g_grad = type(ctx).apply(v, x, y, **params) if need_grad else None
        g_x = g_y = None
        if need_x or need_y:
            g_x = _grad_scale(grad * v, params["reduction"], x._data.size) * wrap(
                type(ctx).curvature(x._data, y._data, **params))
            g_y = -g_x if need_y else None
        return g_grad, g_x if need_x else None, g_y


class MseLossBackward(_LossBackward):
    """mse_loss_backward: out = 2 (x - y) * grad (/ numel);  f'' = 2."""

    node_name = "MseLossBackwardBackward0"

    @staticmethod
    def kernel(grad, x, y, *, reduction):
        return (x - y) * (_scale_np(grad, reduction, x.size) * 2)

    @staticmethod
    def curvature(x, y, *, reduction):
        return np.asarray(2, x.dtype)


def _weighted(fn: str, loss: Tensor, weight, x: Tensor, reduction: str) -> Tensor:
    """torch 2.13's weighted l1/mse/huber: loss * weight, 'mean' divides by sum(weight)."""
    _read_first("size", weight)  # torch's `weight.size() != input.size()`
    if weight._data.shape != x._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction != "mean":  # torch's composed weighted losses check it last
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', "
                         "'mean', 'sum'.")
    return loss.sum() / weight.sum() if fn != "huber" else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
             weight=None) -> Tensor:
    """The mean (or sum) of squared differences (x - y)^2."""
    _read_first("size", target, input)  # torch's `target.size() != input.size()`
    x, y = _check("mse_loss", input), _check("mse_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if x._data.shape != y._data.shape:  # broadcast before the reduction is checked
        x, y = _shape.broadcast_tensors(x, y)
    if weight is not None:  # torch composes the weighted loss, promoting as its ops do
        return _weighted("mse", (x - y) ** 2, weight, x, reduction)
    reduction = _get_enum(reduction)
    x, y = _common("mse_cpu", x, y)
    return MseLoss.apply(x, y, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
            weight=None) -> Tensor:
    """The mean (or sum) of absolute differences |x - y| (torch composes it)."""
    _read_first("size", target, input)  # torch's `target.size() != input.size()`
    x, y = _check("l1_loss", input), _check("l1_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if x._data.shape != y._data.shape:  # broadcast before the reduction is checked
        x, y = _shape.broadcast_tensors(x, y)
    if weight is None:
        reduction = _get_enum(reduction)
    loss = (x - y).abs()
    if weight is not None:
        return _weighted("l1", loss, weight, x, reduction)
    return _reduce(loss, reduction)


class SmoothL1Loss(Primitive):
    """d = x - y;  loss = d^2 / (2 beta) if |d| < beta else |d| - beta / 2;
    grad_x = grad * clamp(d / beta, -1, 1),  grad_y = -grad_x."""

    node_name = "SmoothL1LossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction, beta):
        ctx.reduction, ctx.beta = reduction, beta
        ctx.save_for_backward(x, y)
        t = x.dtype.type
        z = np.abs(x - y)
        loss = np.where(z < beta, t(0.5) * z * z / t(beta), z - t(0.5 * beta))
        return _reduce_np(loss, reduction, x, y)

    @staticmethod
    def backward(ctx, grad):
        return _pair_gradients(ctx, SmoothL1LossBackward, grad, reduction=ctx.reduction,
                               beta=ctx.beta)


class SmoothL1LossBackward(_LossBackward):
    """smooth_l1_loss_backward: out = clamp((x - y) / beta, -1, 1) * grad (/ numel);
    f'' = 1 / beta where |x - y| < beta, else 0."""

    node_name = "SmoothL1LossBackwardBackward0"

    @staticmethod
    def kernel(grad, x, y, *, reduction, beta):
        d = _opmath(x - y)  # (float16: divided in float32 and rounded once)
        ratio = (d / d.dtype.type(beta)).astype(x.dtype, copy=False)
        return np.clip(ratio, -1, 1) * _scale_np(grad, reduction, x.size)

    @staticmethod
    def curvature(x, y, *, reduction, beta):
        return (np.abs(x - y) < beta).astype(x.dtype) / x.dtype.type(beta)


def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction="mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """Squared below ``beta``, absolute above (beta=0 is l1_loss)."""
    _read_first("size", target, input)  # torch's `target.size() != input.size()`
    x, y = _check("smooth_l1_loss", input), _check("smooth_l1_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if x._data.shape != y._data.shape:  # broadcast before the reduction is checked
        x, y = _shape.broadcast_tensors(x, y)
    reduction = _get_enum(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(x, y, reduction=reduction)
    x, y = _common("smooth_l1_cpu", x, y)
    return SmoothL1Loss.apply(x, y, reduction=reduction, beta=float(beta))


class HuberLoss(Primitive):
    """d = x - y;  loss = d^2 / 2 if |d| < delta else delta (|d| - delta / 2);
    grad_x = grad * clamp(d, -delta, delta),  grad_y = -grad_x.

    Like torch's kernel, the loss is computed in the promoted dtype of x and y and stored
    in x's dtype; its backward kernel takes no mixed dtypes and raises torch's error."""

    node_name = "HuberLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction, delta):
        ctx.reduction, ctx.delta = reduction, delta
        ctx.save_for_backward(x, y)
        z = np.abs(_opmath(x) - _opmath(y))  # (float16: all in float32, rounded once)
        t = z.dtype.type
        loss = np.where(z < delta, t(0.5) * z * z, t(delta) * (z - t(0.5 * delta)))
        return _reduce_np(loss.astype(x.dtype, copy=False), reduction, x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        if x._data.dtype != y._data.dtype:
            found, expected = (y, x) if ctx.needs_input_grad[0] else (x, y)
            raise RuntimeError(f"Found dtype {_TYPE_WORD[found._data.dtype.name]} but expected "
                               f"{_TYPE_WORD[expected._data.dtype.name]}")
        return _pair_gradients(ctx, HuberLossBackward, grad, reduction=ctx.reduction,
                               delta=ctx.delta)


class HuberLossBackward(_LossBackward):
    """huber_loss_backward: out = clamp(x - y, -delta, delta) * grad (/ numel);
    f'' = 1 where |x - y| < delta, else 0."""

    node_name = "HuberLossBackwardBackward0"

    @staticmethod
    def kernel(grad, x, y, *, reduction, delta):
        t = x.dtype.type
        return np.clip(x - y, t(-delta), t(delta)) * _scale_np(grad, reduction, x.size)

    @staticmethod
    def curvature(x, y, *, reduction, delta):
        return (np.abs(x - y) < delta).astype(x.dtype)


def huber_loss(input, target, reduction="mean", delta: float = 1.0,  # noqa: A002
               weight=None) -> Tensor:
    """Squared below ``delta``, linear (slope delta) above."""
    _read_first("size", target, input)  # torch's `target.size() != input.size()`
    x, y = _check("huber_loss", input), _check("huber_loss", target, "target", 2)
    _size_warning(x, y)
    if x._data.shape != y._data.shape:  # broadcast before the reduction is checked
        x, y = _shape.broadcast_tensors(x, y)
    if weight is None:
        reduction = _get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    _output_dtype_check("huber_cpu", x, y)
    if weight is not None:
        loss = HuberLoss.apply(x, y, reduction="none", delta=float(delta))
        return _weighted("huber", loss, weight, x, reduction)
    return HuberLoss.apply(x, y, reduction=reduction, delta=float(delta))


def _output_dtype_check(kernel: str, x: Tensor, y: Tensor) -> None:
    """Checks of a torch kernel that writes into a tensor of the input's dtype."""
    xd, common = x._data.dtype, _dtype.result_type_of((x, y)).np
    if common.kind == "f" and xd.kind != "f":
        raise RuntimeError(f"result type {_TYPE_WORD[common.name]} can't be cast to the "
                           f"desired output type {_TYPE_WORD[xd.name]}")
    if common.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_WORD[xd.name]}'")


# ---------------------------------------------------------------------------------------
# likelihoods: poisson_nll_loss, gaussian_nll_loss


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-8, reduce=None,  # noqa: A002
                     reduction="mean") -> Tensor:
    """exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's term."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):  # checked before the tensors; torch's
        raise ValueError(f"{reduction} is not a valid value for reduction")  # own check
    x, y = _check("poisson_nll_loss", input), _check("poisson_nll_loss", target, "target", 2)
    loss = exp(x) - y * x if log_input else x - y * log(x + eps)
    if full:
        stirling = y * log(y) - y + log(y * (2 * math.pi)) * 0.5
        loss = loss + where(y <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction="mean") -> Tensor:
    """(log(var) + (x - y)^2 / var) / 2, var clamped at ``eps`` (without its gradient, as
    torch); ``full`` adds log(2 pi) / 2."""
    # torch reads var first, then input.size(); the target only meets `input - target`,
    # so a number (or a NumPy array) works there and a list fails in the subtraction
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        x = _check("ones_like", input)  # torch's var * ones_like(input)
        var = wrap(np.full(x._data.shape, var, x._data.dtype))
    elif not isinstance(var, Tensor):
        negative = var < 0  # a list or None fails here, with Python's TypeError, as in torch
        raise TypeError(
            f"any() received an invalid combination of arguments - got ({type_name(negative)}"
            "), but expected one of:\n * (Tensor input, *, Tensor out = None)\n * (Tensor "
            "input, tuple of ints dim = None, bool keepdim = False, *, Tensor out = None)\n * "
            "(Tensor input, int dim, bool keepdim = False, *, Tensor out = None)\n")
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    _read_first("size", input)  # torch's `var.size() != input.size()`
    x = _check("gaussian_nll_loss", input)
    if var._data.shape != x._data.shape:
        if x._data.shape[:-1] == var._data.shape:
            var = _shape.unsqueeze(var, -1)
        elif not (x._data.ndim == var._data.ndim and sum(
                v for s, v in zip(x._data.shape, var._data.shape, strict=True) if s != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = (log(var) + (x - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)

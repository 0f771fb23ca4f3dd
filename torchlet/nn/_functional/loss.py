"""Loss functions: cross_entropy, nll_loss, one_hot and the others of torch.nn.functional.

Every loss takes ``reduction``: 'none' (one value per sample), 'mean' (the default) or
'sum'; the deprecated ``size_average``/``reduce`` arguments are mapped as torch maps them.

cross_entropy with class-index targets is ONE fused primitive. Per sample,
``loss = log(sum(exp(x))) - x[target]``, and its gradient is the readable formula
``softmax(x) - one_hot(target)`` (scaled by the class weights and the reduction, with
label smoothing mixing a uniform distribution into the one-hot). torch records two nodes
(NllLossBackward0 over LogSoftmaxBackward0); torchlet records one node with torch's name
on top, whose next function is the input itself: about twice as fast as the two-node
chain, forward + backward, on (64, 10) and on (4096, 1000) logits, with the same gradients.
``nll_loss(log_softmax(x, 1), target)`` builds torch's two-node chain and equals
``cross_entropy(x, target)``.

Losses that torch writes as a composition of operations (kl_div, l1_loss, the margin
losses, ...) are written the same way here, so their graphs show torch's nodes; the
others (mse, smooth_l1, huber, binary cross entropy, ...) are one primitive each. The
losses built on distances (cosine_embedding_loss, triplet_margin_loss) are in distance.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise import clamp, exp, log, log1p, sigmoid, where
from torchlet._ops.pointwise.binary import Where
from torchlet._ops.pointwise.operands import _cast
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE, no_grad
from torchlet.nn._functional.activation import Softmax, log_softmax, logsigmoid

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "one_hot", "poisson_nll_loss", "smooth_l1_loss",
    "soft_margin_loss",
]

_TYPE_WORD = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
              "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
              "float16": "Half"}


# ---------------------------------------------------------------------------------------
# reduction arguments (torch.nn._reduction)


def _get_enum(reduction: str) -> str:
    """Check ``reduction`` as torch does; 'elementwise_mean' is an old name of 'mean'."""
    if reduction in ("none", "mean", "sum"):
        return reduction
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return "mean"
    raise ValueError(f"{reduction} is not a valid value for reduction")


def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:  # noqa: A002
    """The deprecated size_average/reduce pair as a reduction string (torch's mapping)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction) -> str:  # noqa: A002
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return _get_enum(reduction)


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check(fn: str, x, arg: str = "input", position: int = 1) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def _not_differentiable(fn: str, arg: str, t) -> None:
    if t is not None and GRAD_STATE.enabled and t.requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to "
                           f"argument '{arg}'. This input cannot have requires_grad True.")


def _size_warning(x: Tensor, y: Tensor) -> None:
    if x._data.shape != y._data.shape:
        warnings.warn(
            f"Using a target size ({y.shape}) that is different to the input size ({x.shape}). "
            "This will likely lead to incorrect results due to broadcasting. Please ensure "
            "they have the same size.", stacklevel=3)


def _common(fn_kernel: str, x: Tensor, y: Tensor):
    """x and y broadcast to one shape and cast to their common float dtype (torch's
    TensorIterator: ExpandBackward0 / ToCopyBackward0 nodes where needed)."""
    if x._data.shape != y._data.shape:
        x, y = _shape.broadcast_tensors(x, y)
    common = _dtype.result_type_of((x, y)).np
    if common.kind != "f":
        raise NotImplementedError(
            f'"{fn_kernel}" not implemented for \'{_TYPE_WORD[common.name]}\''
        )
    return _cast(x, common), _cast(y, common)


def _grad_scale(grad: Tensor, reduction: str, numel: int) -> Tensor:
    """The incoming gradient as a per-element factor: grad / numel for 'mean'."""
    return grad / numel if reduction == "mean" else grad


def _reduce_np(loss: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.mean(loss, dtype=loss.dtype) if loss.size else loss.dtype.type(np.nan)
    if reduction == "sum":
        return np.sum(loss, dtype=loss.dtype)
    return loss


# ---------------------------------------------------------------------------------------
# class-index targets: shared checks of nll_loss and cross_entropy


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
    if len(xs) <= 2:
        if len(ts) > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if len(xs) == 1 and len(ts) == 1 and ts[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{ts[0]}")
        if w is not None and (w.ndim != 1 or w.size != n_classes):
            raise RuntimeError(
                f"weight tensor should be defined either for all {n_classes} classes or no "
                f"classes but got weight tensor of shape: {list(w.shape)}")
    else:
        if len(xs) == 4:
            if len(ts) != 3:
                raise RuntimeError("only batches of spatial targets supported (3D tensors) but "
                                   f"got targets of dimension: {len(ts)}")
        elif ts[1:] != xs[2:]:
            raise RuntimeError(f"Expected target size {[xs[0], *xs[2:]]}, got {list(ts)}")
        if w is not None and w.size != n_classes:
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        if len(xs) == 4 and ts != (xs[0],) + xs[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(xs)} , target: {list(ts)}")
    if t._data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_TYPE_WORD[t._data.dtype.name]}")
    if w is not None and w.dtype != x._data.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_WORD[x._data.dtype.name]} but found "
                           f"{_TYPE_WORD[w.dtype.name]}")


def _targets(x: np.ndarray, t: np.ndarray, w, ignore_index: int):
    """(x as (N, C, ...), safe targets, ignored mask or None, per-target weights or None
    (meaning 1), their sum).

    Ignored targets are replaced by 0 (so they can index) and get weight 0; a target out of
    [0, C) raises torch's IndexError."""
    if x.ndim == 1:
        x, t = x[None], t.reshape(1)
    if t.dtype != np.int64:
        t = t.astype(np.int64)
    n_classes = x.shape[1]
    ignored = None
    if t.size:
        lo, hi = t.min(), t.max()  # the common case needs no per-element masks
        if lo <= ignore_index <= hi:
            ignored = t == ignore_index
            if not ignored.any():
                ignored = None
        if ignored is not None:
            t = np.where(ignored, 0, t)
            lo, hi = t.min(), t.max()
        if lo < 0 or hi >= n_classes:
            bad = (t < 0) | (t >= n_classes)
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    if w is None:
        wt = None if ignored is None else (~ignored).astype(x.dtype)
        total = x.dtype.type(t.size if ignored is None else t.size - np.count_nonzero(ignored))
    else:
        wt = w[t]
        if ignored is not None:
            wt[ignored] = 0
        total = wt.sum(dtype=x.dtype)
    return x, t, ignored, wt, total


def _take_class(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    """a[n, t[n, ...], ...]: the entry of each target class (class axis 1)."""
    if a.ndim == 2:
        return a[np.arange(a.shape[0]), t]
    return np.take_along_axis(a, t[:, None], axis=1)[:, 0]


def _add_at_class(a: np.ndarray, t: np.ndarray, values) -> None:
    """a[n, t[n, ...], ...] += values (in place; one target per position)."""
    if a.ndim == 2:
        a[np.arange(a.shape[0]), t] += values
        return
    index = t[:, None]
    values = np.broadcast_to(values, t.shape)
    np.put_along_axis(a, index, np.take_along_axis(a, index, axis=1)
                      + np.expand_dims(values, 1), axis=1)


def _class_shape(shape, n_dims: int):
    """Shape (N, 1, ...) of per-sample values broadcast over the class axis."""
    return (shape[0], 1) + tuple(shape[1:]) if n_dims > 1 else (1, 1)


# ---------------------------------------------------------------------------------------
# cross_entropy: one fused primitive for class-index targets


class _SoftmaxOf(Softmax):
    """softmax(x) when the forward has already computed it: the same SoftmaxBackward0 node
    as F.softmax, without computing the exponentials again (used by the cross-entropy
    backward under create_graph=True, so that its gradient can be differentiated)."""

    @staticmethod
    def forward(ctx, x, *, dim, out):
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out


class CrossEntropy(Primitive):
    """Cross entropy of logits x (N, C, ...) with class-index targets t, in one node.

    loss_n = w[t_n] * (log(sum_c exp(x_nc)) - x_n,t_n)       (0 where t_n == ignore_index)
    with label smoothing ls:  (1 - ls) * loss_n + ls / C * sum_c w_c (logsumexp_n - x_nc);
    'mean' divides by the sum of w[t_n] over the targets not ignored.

    grad_x_n = s_n * (softmax(x_n) * sum_c q_nc - q_n),  where
    q_n = (1 - ls) * w[t_n] * one_hot(t_n) + ls / C * w   (the weighted target distribution)
    and s_n = grad / total weight ('mean'), grad ('sum'), grad_n ('none'); 0 if ignored.
    Without weights or smoothing this is softmax(x) - one_hot(t), scaled.
    """

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, *, target, weight, ignore_index, label_smoothing, reduction):
        x_in = x
        x, t, ignored, wt, total = _targets(x, target, weight, ignore_index)
        ls, n_classes = label_smoothing, x.shape[1]
        # log-sum-exp with the largest logit subtracted: finite for logits of +-1e4
        shifted = x - np.maximum.reduce(x, axis=1, keepdims=True) if x.size else x.copy()
        picked = _take_class(shifted, t)
        if ls > 0:
            smooth_sum = (np.add.reduce(shifted, axis=1) if weight is None else
                          np.tensordot(weight, shifted, axes=([0], [1])))
        e = np.exp(shifted, out=shifted)
        sumexp = np.add.reduce(e, axis=1)
        lse = np.log(sumexp)
        nll = lse - picked  # -log_softmax(x)[t], in torch's rounding order
        if wt is not None:
            nll *= wt
        if ls > 0:
            weight_sum = n_classes if weight is None else weight.sum()
            smooth = weight_sum * lse - smooth_sum  # -sum_c w_c log_softmax(x)_c
            if ignored is not None:
                smooth[ignored] = 0
        if reduction == "none":
            out = nll if ls <= 0 else (1 - ls) * nll + smooth * (ls / n_classes)
            out = out.astype(x.dtype, copy=False)
            out = out.reshape(()) if x_in.ndim == 1 else out
        else:
            out = nll.sum(dtype=x.dtype)
            if ls > 0:
                smooth_total = smooth.sum(dtype=x.dtype)
            if reduction == "mean":
                out = out / total
                if ls > 0:
                    smooth_total = smooth_total / total
            if ls > 0:
                out = (1 - ls) * out + smooth_total * (ls / n_classes)
            out = np.asarray(out, dtype=x.dtype)
        ctx.save_for_backward(x_in, e)
        ctx.info = (t, ignored, wt, total, sumexp, weight, ls, reduction)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, e = ctx.saved_tensors
        t, ignored, wt, total, sumexp, weight, ls, reduction = ctx.info
        e = e._data
        n_classes = e.shape[1]
        # per-sample mass of the target distribution: sum_c q_nc
        mass = 1 if wt is None else wt
        if ls > 0:
            weight_sum = n_classes if weight is None else weight.sum()
            mass = (1 - ls) * mass + (ls / n_classes) * weight_sum
        if GRAD_STATE.enabled:  # create_graph: the same formula in differentiable ops
            return _cross_entropy_grad_graph(ctx, x, grad, e, mass)
        # s_n: the incoming gradient per sample (0 for ignored targets)
        g = grad._data
        if reduction == "none":
            scale = g.reshape(t.shape)
        else:
            scale = g / total if reduction == "mean" else g
        if ignored is not None:
            scale = np.where(ignored, e.dtype.type(0), scale)
        per_sample = _per_sample(scale * mass / sumexp, e.ndim)
        out = e * per_sample  # s_n * softmax(x_n) * sum_c q_nc ...
        hit = scale if wt is None else scale * wt
        _add_at_class(out, t, -(hit if ls <= 0 else (1 - ls) * hit))  # ... - s_n * q_n
        if ls > 0:
            w = np.ones(n_classes, e.dtype) if weight is None else weight
            out -= (ls / n_classes) * (_per_sample(np.broadcast_to(scale, t.shape), e.ndim)
                                       * w.reshape((-1,) + (1,) * (e.ndim - 2)))
        return wrap(out.reshape(x._data.shape) if x._data.ndim == 1 else out)


def _per_sample(values: np.ndarray, ndim: int) -> np.ndarray:
    """Per-sample values (N, ...) as (N, 1, ...), to broadcast over the class axis."""
    return values[:, None] if ndim == 2 else np.expand_dims(values, 1)


def _cross_entropy_grad_graph(ctx, x, grad, e, mass):
    """The cross-entropy gradient written with torchlet operations (create_graph=True)."""
    t, ignored, wt, total, sumexp, weight, ls, reduction = ctx.info
    n_classes, dtype = e.shape[1], e.dtype
    probs = e / np.expand_dims(sumexp, 1)
    soft = _SoftmaxOf.apply(x, dim=0 if x._data.ndim == 1 else 1,
                            out=probs.reshape(x._data.shape))
    soft = soft.reshape(e.shape)
    q = np.zeros(e.shape, dtype)
    hit = (1 - ls) * (np.ones(t.shape, dtype) if wt is None else wt)
    _add_at_class(q, t, hit)
    if ls > 0:
        w = np.ones(n_classes, dtype) if weight is None else weight
        q += (ls / n_classes) * w.reshape((-1,) + (1,) * (e.ndim - 2))
    per_sample = _class_shape(t.shape, e.ndim)
    scale = grad.reshape(per_sample) if reduction == "none" else (
        grad / total if reduction == "mean" else grad)
    if ignored is not None:
        scale = Where.apply(scale, dtype.type(0), cond=~ignored.reshape(per_sample))
    mass = np.broadcast_to(np.asarray(mass, dtype), t.shape).reshape(per_sample)
    return ((soft * wrap(mass) - wrap(q)) * scale).reshape(x._data.shape)


class CrossEntropy2d(CrossEntropy):
    """The fused cross entropy of spatial inputs (N, C, d1, ...): torch's top node is
    NllLoss2DBackward0 there."""

    node_name = "NllLoss2DBackward0"


class CrossEntropySmoothed(CrossEntropy):
    """The fused cross entropy with label smoothing: torch's top node is AddBackward0 (the
    sum of its smoothed and unsmoothed parts)."""

    node_name = "AddBackward0"


def cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",  # noqa: A002
                  label_smoothing: float = 0.0) -> Tensor:
    """The cross entropy between logits ``input`` and ``target``.

    Class-index targets (long, the input's shape without the class dim 1): per sample
    log(sum(exp(x))) - x[target], weighted by ``weight[target]``, skipping
    ``ignore_index``. Probability targets (floats of the input's shape):
    -sum(target * log_softmax(x)). ``label_smoothing`` mixes a uniform distribution into
    the target. Input (C,), (N, C) or (N, C, d1, ..., dk)."""
    x = _check("cross_entropy", input)
    y = _check("cross_entropy", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    if x._data.shape == y._data.shape:
        return _cross_entropy_probabilities(x, y, weight, reduction, ignore_index,
                                            label_smoothing)
    if label_smoothing > 0 and label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"log_softmax_lastdim_kernel_impl" not implemented for '
                                  f"'{_TYPE_WORD[x._data.dtype.name]}'")
    _class_target_checks(x, y, weight)
    _not_differentiable("nll_loss_forward", "weight", weight)
    ls = float(label_smoothing) if label_smoothing > 0 else 0.0
    if x._data.ndim == 1 and y._data.ndim == 1:  # (C,) with a (1,) target: torch refuses
        if ls > 0:  # ... where its smoothing term is added in place
            raise RuntimeError("output with shape [] doesn't match the broadcast shape [1]")
        if GRAD_STATE.enabled and x.requires_grad:  # ... and in its autograd kernel
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)}, target: "
                               f"{list(y.shape)})")
    primitive = (CrossEntropySmoothed if ls > 0 else
                 CrossEntropy2d if x._data.ndim > 2 else CrossEntropy)
    out = primitive.apply(x, target=y._data, weight=None if weight is None else weight._data,
                          ignore_index=int(ignore_index), label_smoothing=ls,
                          reduction=reduction)
    return _as_torch_view(out, x, reduction) if ls == 0 else out


def _as_torch_view(out: Tensor, x: Tensor, reduction: str) -> Tensor:
    """torch computes 3-D and 5-D+ inputs as a 4-D nll_loss2d and views the unreduced
    result back (ViewBackward0 on top); the same view here gives the same graph."""
    if reduction == "none" and (x._data.ndim == 3 or x._data.ndim > 4):
        return _shape.view(out, out._data.shape)
    return out


def _cross_entropy_probabilities(x, y, weight, reduction, ignore_index, label_smoothing):
    """-sum(target * log_softmax(x) * weight) over classes, composed as torch does."""
    if y._data.dtype.kind != "f":
        raise RuntimeError(f"Expected floating point type for target with class "
                           f"probabilities, got {_TYPE_WORD[y._data.dtype.name]}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
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
    if weight is not None:
        prod = prod * weight.reshape((-1,) + (1,) * (x._data.ndim - class_dim - 1))
    if reduction == "none":
        return -prod.sum(class_dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    if x._data.size == 0:
        return total * float("nan")
    return total / (x._data.size // n_classes)


# ---------------------------------------------------------------------------------------
# nll_loss


class NllLoss(Primitive):
    """loss_n = -w[t_n] * logp[n, t_n] (0 where t_n == ignore_index); 'mean' divides the sum
    by the sum of the w[t_n] not ignored.
    grad_logp[n, c] = -w[t_n] * s_n where c == t_n, else 0 (s_n as in CrossEntropy)."""

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, *, target, weight, ignore_index, reduction):
        shape_in = logp.shape
        logp, t, ignored, wt, total = _targets(logp, target, weight, ignore_index)
        picked = -_take_class(logp, t)
        if wt is not None:
            picked = picked * wt
        ctx.info = (shape_in, logp.shape, t, ignored, wt, total, reduction)
        if reduction == "none":
            return picked.reshape(()) if len(shape_in) == 1 else picked
        out = np.sum(picked, dtype=logp.dtype)
        return np.asarray(out / total if reduction == "mean" else out, logp.dtype)

    @staticmethod
    def backward(ctx, grad):
        shape_in, shape, t, ignored, wt, total, reduction = ctx.info
        dtype = grad._data.dtype
        coef = np.zeros(shape, dtype)  # d loss_n / d logp: -w[t_n] at the target
        hit = -(wt if wt is not None else np.ones(t.shape, dtype))
        if reduction == "mean":
            hit = hit / total
        _add_at_class(coef, t, hit)
        if ignored is not None:
            coef[np.broadcast_to(np.expand_dims(ignored, 1), shape)] = 0
        if reduction == "none":
            grad = grad.reshape(_class_shape(t.shape, len(shape)))
        return (wrap(coef) * grad).reshape(shape_in)


class NllLoss2d(NllLoss):
    node_name = "NllLoss2DBackward0"


def nll_loss(input, target, weight=None, size_average=None,  # noqa: A002
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:  # noqa: A002
    """The negative log likelihood of log-probabilities ``input`` at class indices
    ``target``: -input[n, target[n]] * weight[target[n]], skipping ``ignore_index``."""
    x = _check("nll_loss", input)
    y = _check("nll_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    _class_target_checks(x, y, weight)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(f'"nll_loss_out_frame" not implemented for '
                                  f"'{_TYPE_WORD[x._data.dtype.name]}'")
    _not_differentiable("nll_loss_forward", "weight", weight)
    primitive = NllLoss2d if x._data.ndim > 2 else NllLoss
    out = primitive.apply(x, target=y._data, weight=None if weight is None else weight._data,
                          ignore_index=int(ignore_index), reduction=reduction)
    return _as_torch_view(out, x, reduction)


# ---------------------------------------------------------------------------------------
# one_hot


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Class indices (long, any shape) -> one-hot rows (shape + (num_classes,)), int64.
    ``num_classes=-1`` takes max + 1."""
    t = _check("one_hot", tensor, "self")
    data = t._data
    if data.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if data.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(data.max()) + 1
    if data.size:
        if data.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if data.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(data.shape + (num_classes,), np.int64)
    np.put_along_axis(out, data[..., None], 1, axis=-1)
    return wrap(out)


# ---------------------------------------------------------------------------------------
# regression losses: mse, l1, smooth_l1, huber


class MseLoss(Primitive):
    """loss = (x - y)^2;  grad_x = 2 (x - y) * grad (/ numel for 'mean'),  grad_y = -grad_x."""

    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        ctx.reduction = reduction
        ctx.save_for_backward(x, y)
        d = x - y
        return _reduce_np(d * d, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        g = (x - y) * (_grad_scale(grad, ctx.reduction, x._data.size) * 2)
        return g if ctx.needs_input_grad[0] else None, -g if ctx.needs_input_grad[1] else None


def _weighted(fn: str, loss: Tensor, weight, x: Tensor, reduction: str) -> Tensor:
    """torch 2.13's weighted l1/mse/huber: loss * weight, 'mean' divides by sum(weight)."""
    if weight._data.shape != x._data.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if fn != "huber" else loss.mean()


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
             weight=None) -> Tensor:
    """The mean (or sum) of squared differences (x - y)^2."""
    x, y = _check("mse_loss", input), _check("mse_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _reduction(size_average, reduce, reduction)
    x, y = _common("mse_cpu", x, y)
    if weight is not None:
        return _weighted("mse", (x - y) ** 2, weight, x, reduction)
    return MseLoss.apply(x, y, reduction=reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
            weight=None) -> Tensor:
    """The mean (or sum) of absolute differences |x - y| (torch composes it)."""
    x, y = _check("l1_loss", input), _check("l1_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _reduction(size_average, reduce, reduction)
    if x._data.shape != y._data.shape:
        x, y = _shape.broadcast_tensors(x, y)
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
        return _reduce_np(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        g = clamp((x - y) / ctx.beta, -1.0, 1.0) * _grad_scale(grad, ctx.reduction,
                                                              x._data.size)
        return g if ctx.needs_input_grad[0] else None, -g if ctx.needs_input_grad[1] else None


def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction="mean", beta: float = 1.0) -> Tensor:  # noqa: A002
    """Squared below ``beta``, absolute above (beta=0 is l1_loss)."""
    x, y = _check("smooth_l1_loss", input), _check("smooth_l1_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(x, y, reduction=reduction)
    x, y = _common("smooth_l1_cpu", x, y)
    return SmoothL1Loss.apply(x, y, reduction=reduction, beta=float(beta))


class HuberLoss(Primitive):
    """d = x - y;  loss = d^2 / 2 if |d| < delta else delta (|d| - delta / 2);
    grad_x = grad * clamp(d, -delta, delta),  grad_y = -grad_x."""

    node_name = "HuberLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction, delta):
        ctx.reduction, ctx.delta = reduction, delta
        ctx.save_for_backward(x, y)
        t = x.dtype.type
        z = np.abs(x - y)
        loss = np.where(z < delta, t(0.5) * z * z, t(delta) * (z - t(0.5 * delta)))
        return _reduce_np(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        g = clamp(x - y, -ctx.delta, ctx.delta) * _grad_scale(grad, ctx.reduction,
                                                             x._data.size)
        return g if ctx.needs_input_grad[0] else None, -g if ctx.needs_input_grad[1] else None


def huber_loss(input, target, reduction="mean", delta: float = 1.0,  # noqa: A002
               weight=None) -> Tensor:
    """Squared below ``delta``, linear (slope delta) above."""
    x, y = _check("huber_loss", input), _check("huber_loss", target, "target", 2)
    _size_warning(x, y)
    reduction = _get_enum(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _common("huber_cpu", x, y)
    if weight is not None:
        loss = HuberLoss.apply(x, y, reduction="none", delta=float(delta))
        return _weighted("huber", loss, weight, x, reduction)
    return HuberLoss.apply(x, y, reduction=reduction, delta=float(delta))


# ---------------------------------------------------------------------------------------
# binary cross entropy


class BinaryCrossEntropy(Primitive):
    """loss = -w (y log(x) + (1 - y) log(1 - x)), each log clamped at -100 (so x = 0 or 1
    gives 100, not inf);  grad_x = grad * w (x - y) / max(x (1 - x), 1e-12),
    grad_y = grad * w (log(1 - x) - log(x))."""

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
        return _reduce_np(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        scale = _grad_scale(grad, ctx.reduction, x._data.size)
        if ctx.weight is not None:
            scale = scale * wrap(ctx.weight)
        need_x, need_y = ctx.needs_input_grad
        grad_x = (x - y) / clamp((1 - x) * x, 1e-12) * scale if need_x else None
        grad_y = None
        if need_y:
            grad_y = (log1p(-x) - log(x)) * scale  # torch does not clamp these logs
        return grad_x, grad_y


def binary_cross_entropy(input, target, weight=None, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """-(y log(x) + (1 - y) log(1 - x)) for probabilities x in [0, 1]."""
    x = _check("binary_cross_entropy", input)
    y = _check("binary_cross_entropy", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    if y._data.shape != x._data.shape:
        raise ValueError(f"Using a target size ({y.shape}) that is different to the input "
                         f"size ({x.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    xd = x._data
    if not ((xd >= 0) & (xd <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    # the weight joins the computation in the input's dtype (torch multiplies it in place)
    w = None if weight is None else np.broadcast_to(
        weight._data.astype(xd.dtype, copy=False), y._data.shape)
    return BinaryCrossEntropy.apply(x, y, weight=w, reduction=reduction)


class BinaryCrossEntropyWithLogits(Primitive):
    """loss = w ((1 - y) x - lw * logsigmoid(x)),  lw = (pos_weight - 1) y + 1;
    grad_x = grad * w ((pos_weight y + 1 - y) sigmoid(x) - pos_weight y)  (sigmoid(x) - y
    without pos_weight),  grad_y = grad * w (logsigmoid(-x) - pos_weight logsigmoid(x))."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction):
        ctx.weight, ctx.pos_weight, ctx.reduction = weight, pos_weight, reduction
        ctx.save_for_backward(x, y)
        log_sig = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))  # stable logsigmoid
        if pos_weight is not None:
            log_sig = log_sig * ((pos_weight - 1) * y + 1)
        loss = (1 - y) * x - log_sig
        if weight is not None:
            loss = loss * weight
        return _reduce_np(loss, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        scale = _grad_scale(grad, ctx.reduction, x._data.size)
        if ctx.weight is not None:
            scale = scale * wrap(ctx.weight)
        pw = None if ctx.pos_weight is None else wrap(ctx.pos_weight)
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            if pw is None:
                grad_x = (sigmoid(x) - y) * scale
            else:
                py = pw * y
                grad_x = ((py + 1 - y) * sigmoid(x) - py) * scale
        if need_y:
            grad_y = (-x if pw is None else logsigmoid(-x) - logsigmoid(x) * pw) * scale
        return grad_x, grad_y


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,  # noqa: A002
                                     reduce=None, reduction="mean",  # noqa: A002
                                     pos_weight=None) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y), computed from the logits without overflow;
    ``pos_weight`` weighs the positive term."""
    x = _check("binary_cross_entropy_with_logits", input)
    y = _check("binary_cross_entropy_with_logits", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    if y._data.shape != x._data.shape:
        raise ValueError(f"Target size ({y.shape}) must be the same as input size "
                         f"({x.shape})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    out_shape = x._data.shape
    for extra in (weight, pos_weight):
        if extra is not None:
            out_shape = np.broadcast_shapes(out_shape, extra._data.shape)
    if out_shape != x._data.shape:  # a weight that broadcasts the loss up: torch's shapes
        x, y = (_shape.expand(x, out_shape), _shape.expand(y, out_shape))
    dtype = x._data.dtype  # weights join the computation in the input's dtype, as in torch
    return BinaryCrossEntropyWithLogits.apply(
        x, y, weight=None if weight is None else weight._data.astype(dtype, copy=False),
        pos_weight=None if pos_weight is None else pos_weight._data.astype(dtype, copy=False),
        reduction=reduction)


# ---------------------------------------------------------------------------------------
# divergences and likelihoods: kl_div, poisson_nll_loss, gaussian_nll_loss


class Xlogy(Primitive):
    """out = x * log(y), 0 where x == 0;  grad_x = grad * log(y) where x != 0,
    grad_y = grad * x / y."""

    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        out = x * np.log(y)
        return np.where((x == 0) & ~np.isnan(y), x.dtype.type(0), out)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        nonzero = wrap((x._data != 0).astype(x._data.dtype))
        return (grad * Xlogy.apply(nonzero, y) if need_x else None,
                grad * x / y if need_y else None)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); 'batchmean'
    divides the sum by the batch size (the true KL divergence)."""
    x, y = _check("kl_div", input), _check("kl_div", target, "target", 2)
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
    if x._data.dtype.kind != "f" or y._data.dtype.kind != "f":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = exp(y) * (y - x)
    else:
        out = Xlogy.apply(*_common("xlogy", y, y)) - y * x
    if reduction == "batchmean":
        total = out.sum()
        return total / x._data.shape[0] if x._data.ndim != 0 else total
    return _reduce(out, reduction)


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-8, reduce=None,  # noqa: A002
                     reduction="mean") -> Tensor:
    """exp(x) - y x (log_input) or x - y log(x + eps); ``full`` adds Stirling's term."""
    x, y = _check("poisson_nll_loss", input), _check("poisson_nll_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    loss = exp(x) - y * x if log_input else x - y * log(x + eps)
    if full:
        stirling = y * log(y) - y + log(y * (2 * math.pi)) * 0.5
        loss = loss + where(y <= 1, 0.0, stirling)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction="mean") -> Tensor:
    """(log(var) + (x - y)^2 / var) / 2, var clamped at ``eps`` (without its gradient, as
    torch); ``full`` adds log(2 pi) / 2."""
    x, y = _check("gaussian_nll_loss", input), _check("gaussian_nll_loss", target, "target", 2)
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = wrap(np.full(x._data.shape, var, x._data.dtype))
    elif not isinstance(var, Tensor):
        raise TypeError(f"any() received an invalid combination of arguments - got "
                        f"({type(var).__name__})")
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
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
    loss = (log(var) + (x - y) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------------------------
# margin losses


def margin_ranking_loss(input1, input2, target, margin: float = 0.0,  # noqa: A002
                        size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """max(0, -y (x1 - x2) + margin): y = 1 wants x1 ranked above x2."""
    x1 = _check("margin_ranking_loss", input1, "input1")
    x2 = _check("margin_ranking_loss", input2, "input2", 2)
    y = _check("margin_ranking_loss", target, "target", 3)
    reduction = _reduction(size_average, reduce, reduction)
    if not x1._data.ndim == x2._data.ndim == y._data.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {x1.shape}, input2: {x2.shape}, target: {y.shape} ")
    return _reduce((-y * (x1 - x2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """x where y == 1, max(0, margin - x) where y == -1."""
    x, y = _check("hinge_embedding_loss", input), _check("hinge_embedding_loss", target)
    reduction = _reduction(size_average, reduce, reduction)
    zeros = wrap(np.zeros_like(x._data))
    margin_clamp = (margin - x).clamp_min(0)
    loss = where(y != 1, margin_clamp, zeros) + where(y != -1, x, zeros)
    return _reduce(loss, reduction)


class SoftMarginLoss(Primitive):
    """loss = log(1 + exp(-y x));  grad_x = -y * grad * z / (1 + z),  z = exp(-y x)."""

    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, y, reduction):
        ctx.y, ctx.reduction = y, reduction
        ctx.save_for_backward(x)
        return _reduce_np(np.log1p(np.exp(-y * x)), reduction)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        y = wrap(ctx.y)
        return -y * sigmoid(-y * x) * _grad_scale(grad, ctx.reduction, x._data.size)


def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction="mean") -> Tensor:  # noqa: A002
    """log(1 + exp(-y x)) for labels y = +-1 (two-class logistic loss)."""
    x, y = _check("soft_margin_loss", input), _check("soft_margin_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    _not_differentiable("soft_margin_loss", "target", y)
    x, y = _common("soft_margin_loss", x, y)
    return SoftMarginLoss.apply(x, y=y._data, reduction=reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """Per sample, the mean over classes of -(y logsigmoid(x) + (1 - y) logsigmoid(-x))."""
    x = _check("multilabel_soft_margin_loss", input)
    y = _check("multilabel_soft_margin_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    class_dim = x._data.ndim - 1
    loss = loss.sum(class_dim) / x._data.shape[class_dim]
    return _reduce(loss, reduction)


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
        if p == 2 and GRAD_STATE.enabled:  # the gradient depends on x: keep what it needs
            ctx.save_for_backward(x)
            ctx.active_w, ctx.y, ctx.margin = active * (2 * wy / c), y, margin
        out = _reduce_np(loss, reduction)
        return out.reshape(()) if reduction == "none" and scalar_target else out

    @staticmethod
    def backward(ctx, grad):
        g = _grad_scale(grad, ctx.reduction, ctx.coef.shape[0])
        if ctx.reduction == "none":
            g = g.reshape(-1, 1)
        if GRAD_STATE.enabled and "active_w" in ctx.__dict__:
            return (_multi_margin_p2_grad(ctx) * g).reshape(ctx.shape)
        return (wrap(ctx.coef) * g).reshape(ctx.shape)


def _multi_margin_p2_grad(ctx) -> Tensor:
    """d loss / d x for p = 2 in differentiable operations (create_graph=True):
    2 w z / C at the active classes i, minus their sum at the target."""
    (x,) = ctx.saved_tensors
    x2 = x.reshape(ctx.active_w.shape)
    target = wrap(ctx.y[:, None])
    z = x2 - x2.gather(1, target) + ctx.margin
    d = z * wrap(ctx.active_w.astype(x._data.dtype))
    one_hot = np.zeros(ctx.active_w.shape, x._data.dtype)
    one_hot[np.arange(one_hot.shape[0]), ctx.y] = 1
    return d - wrap(one_hot) * d.sum(1, keepdim=True)


def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,  # noqa: A002
                      size_average=None, reduce=None, reduction="mean") -> Tensor:  # noqa: A002
    """The multi-class hinge loss: max(0, margin - x[y] + x[i])^p summed over i != y."""
    x, y = _check("multi_margin_loss", input), _check("multi_margin_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight._data.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    x2 = _margin_input("multi_margin_loss", x)
    n, c = x2.shape
    t = y._data
    if not (t.ndim <= 1 and t.size == n):
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{n}], but got "
            f"{list(t.shape)}. Input has shape {list(x.shape)}.")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TYPE_WORD[t.dtype.name]}")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight.shape)}")
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
        out = _reduce_np(loss, reduction)
        return out.reshape(()) if reduction == "none" and len(shape) <= 1 else out

    backward = staticmethod(MultiMarginLoss.backward)


def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction="mean") -> Tensor:  # noqa: A002
    """The multi-label hinge loss; ``target`` lists each sample's classes, ended by -1."""
    x = _check("multilabel_margin_loss", input)
    y = _check("multilabel_margin_loss", target, "target", 2)
    reduction = _reduction(size_average, reduce, reduction)
    _margin_input("multilabel_margin_loss", x)
    t = y._data
    if t.shape != x._data.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {_TYPE_WORD[t.dtype.name]}")
    c = x._data.shape[-1] if x._data.ndim else 1
    if ((t < -1) | (t >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    return MultilabelMarginLoss.apply(x, y=t, reduction=reduction)

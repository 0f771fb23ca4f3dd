"""What the losses share: torch's reduction arguments (``reduction`` and the deprecated
``size_average``/``reduce``), the argument checks and the dtype names of its messages."""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops import shape as _shape
from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise.operands import _cast
from torchlet._ops.reduction.sums import _add_reduce
from torchlet._tensor import Tensor
from torchlet.autograd.grad_mode import GRAD_STATE

_TYPE_WORD = _dtype.TYPE_WORDS


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


def _legacy_reduction(size_average, reduce, reduction) -> str:  # noqa: A002
    """Only the deprecated pair mapped: the losses that broadcast their tensors first (mse,
    l1, smooth_l1, huber) check ``reduction`` itself after that, as torch does."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check(fn: str, x, arg: str = "input", position: int = 1) -> Tensor:
    """torch's argument parser: ``fn`` names the ATen function torch's Python loss calls
    (``cross_entropy_loss``, ``nll_loss_nd``, ...), which is what its message prints."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type_name(x)}")
    return x


def _read_first(attr: str, *values) -> None:
    """torch's Python losses call ``value.size()`` (or ``.dim()``) on their arguments, in
    this order, before any check: a non-tensor fails there with Python's own error, an
    AttributeError ("'list' object has no attribute 'size'") that scripts may catch, or
    for a NumPy array, whose ``size`` is an int, the TypeError of calling it. Making the
    same call raises exactly that error; whatever does not fail is left to ``_check``."""
    for value in values:
        if not isinstance(value, Tensor):
            getattr(value, attr)()


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


def _check_broadcast(a_shape, b_shape) -> None:
    """torch's infer_size error for shapes that do not broadcast (compared from the last
    dimension; the dimension is numbered in the broadcast shape)."""
    ndim = max(len(a_shape), len(b_shape))
    for offset in range(ndim):
        a = a_shape[-1 - offset] if offset < len(a_shape) else 1
        b = b_shape[-1 - offset] if offset < len(b_shape) else 1
        if a != b and a != 1 and b != 1:
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {ndim - 1 - offset}")


def _grad_scale(grad: Tensor, reduction: str, numel: int) -> Tensor:
    """The incoming gradient as a per-element factor: grad / numel for 'mean'."""
    return grad / numel if reduction == "mean" else grad


def _opmath(a: np.ndarray) -> np.ndarray:
    """float16 as float32, where torch's CPU kernel computes in its "opmath" type."""
    return a.astype(np.float32) if a.dtype == np.float16 else a


def _reduce_np(loss: np.ndarray, reduction: str, *layout_of: np.ndarray) -> np.ndarray:
    """The mean or sum of the elementwise losses; torch accumulates float16 in float32 and
    rounds once. ``layout_of``: the arrays whose layout torch's elementwise loss takes (the
    first leads), which also sets the order of its sum."""
    if layout_of:
        loss = laid_out_as_torch(loss, *layout_of)
    if reduction == "none":
        return loss
    acc = np.dtype(np.float32) if loss.dtype == np.float16 else loss.dtype
    if not loss.size:
        out = acc.type(np.nan if reduction == "mean" else 0)
    elif reduction == "mean":  # torch's loss.mean(): half converted to float32 first
        out = _add_reduce(loss, None, False, acc) / acc.type(loss.size)
    else:  # torch's loss.sum(), in its order (sums._add_reduce; half accumulates in float32)
        out = _add_reduce(loss, None, False, loss.dtype)
    return np.asarray(out).astype(loss.dtype, copy=False)

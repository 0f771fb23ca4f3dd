"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, as torch.nn.utils.

``clip_grad_norm_`` scales all gradients together so that their combined norm (the norm
of the vector of per-parameter norms, which equals the norm of all gradient entries
concatenated) is at most ``max_norm``:

    total_norm = || (||g_1||, ||g_2||, ...) ||
    clip_coef  = min(max_norm / (total_norm + 1e-6), 1)
    g_i       *= clip_coef          (in place)

computed with tensor operations in the gradients' dtype, in torch's order, so the result
rounds as torch's does.
"""

from __future__ import annotations

import functools
import types
import warnings

from torchlet._ops.creation import tensor as _tensor
from torchlet._ops.pointwise import clamp as _clamp
from torchlet._ops.reduction import vector_norm as _vector_norm
from torchlet._ops.shape import stack as _stack
from torchlet._tensor import Tensor
from torchlet.autograd.grad_mode import no_grad

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "get_total_norm",
]


def _no_grad(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with no_grad():
            return func(*args, **kwargs)

    return wrapper


@_no_grad
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None) -> Tensor:
    """The norm of the per-tensor norms of ``tensors`` (a tensor or an iterable of them)."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        return _tensor(0.0)
    # ``foreach`` picks torch's multi-tensor kernels; torchlet computes the same norms one
    # tensor at a time (float sums may round differently). Only their error for the inf
    # norm of an empty tensor is told apart (torch's other orders fall back to
    # vector_norm).
    if foreach is not False and norm_type == float("inf") and any(g.numel() == 0
                                                                 for g in tensors):
        raise RuntimeError(
            "_foreach_norm cannot compute the infinity norm on an empty tensor because the "
            "operation does not have an identity"
        )
    norms = [_vector_norm(g, norm_type) for g in tensors]
    total_norm = _vector_norm(_stack(norms), norm_type)
    if error_if_nonfinite and bool(total_norm.isnan() | total_norm.isinf()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return total_norm


@_no_grad
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None) -> None:
    """Scale the gradients of ``parameters`` by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    max_norm = float(max_norm)
    if len(grads) == 0:
        return
    clip_coef = max_norm / (total_norm + 1e-6)
    clip_coef_clamped = _clamp(clip_coef, None, 1.0)
    for g in grads:
        g.mul_(clip_coef_clamped)


@_no_grad
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None) -> Tensor:
    """Clip the combined gradient norm of ``parameters`` to ``max_norm`` (in place);
    returns the norm before clipping."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                   foreach=None) -> Tensor:
    """Deprecated spelling of ``clip_grad_norm_``."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@_no_grad
def clip_grad_value_(parameters, clip_value, foreach=None) -> None:
    """Clamp every gradient entry to [-clip_value, clip_value] (in place)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        # torch groups the gradients by device and dtype first, which rejects an empty
        # list (whatever ``foreach`` says): no gradient at all is an error there
        raise RuntimeError(
            "Expected !nested_tensorlist[0].empty() to be true, but got false.  (Could this "
            "error message be improved?  If so, please report an enhancement request to "
            "PyTorch.)"
        )
    for grad in grads:
        grad.clamp_(min=-clip_value, max=clip_value)

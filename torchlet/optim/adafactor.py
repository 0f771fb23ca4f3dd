"""Adafactor (torch.optim.Adafactor): Adam-like steps with factored second moments."""

from __future__ import annotations

import numpy as np

from torchlet._tensor import wrap
from torchlet.optim._kernels import _add_, _lerp_, _mul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_lr,
    _closure_loss,
    _step_tensor,
    _tensor_lr,
    _use_grad_for_differentiable,
)

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer and Stern, 2018), as torch implements it (single-tensor)::

        g = -grad if maximize else grad;  t = step;  beta2_t = 1 - t ** beta2_decay
        rho = min(lr, 1 / sqrt(t));  alpha = max(eps2, RMS(p)) * rho
        p = p * (1 - lr * weight_decay)
        for >= 2-D p (factored over the last two dims):
            R = lerp(R, mean(g * g, dim=-1), 1 - beta2_t)        (one value per row)
            C = lerp(C, mean(g * g, dim=-2), 1 - beta2_t)        (one value per column)
            V = R @ C / max(mean(R, dim=-2), eps1)
        otherwise:  V = lerp(V, g * g, 1 - beta2_t)
        U = g / sqrt(max(V, eps1 ** 2))
        p = p - alpha / max(1, RMS(U) / d) * U

    ``eps1=None`` means the machine epsilon of the (first) parameter's dtype.
    """

    _later_options = {"foreach": None}
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(
            lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
            foreach=foreach, maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        if p.is_complex():
            raise RuntimeError("Adafactor does not support complex parameters")
        state["step"] = _step_tensor(0.0)
        grad = p.grad._data
        if grad.ndim > 1:
            state["row_var"] = wrap(np.zeros(grad.shape[:-1] + (1,), grad.dtype))
            state["col_var"] = wrap(np.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                             grad.dtype))
        else:
            state["variance"] = wrap(np.zeros_like(grad))

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            for p, state in self._params_with_state(group):
                if eps1 is None:
                    # torch fills it in once, from the first parameter of the group
                    eps1 = float(np.finfo(p._data.dtype).eps)
                factored = "row_var" in state
                _adafactor_update(
                    p._data, p.grad._data,
                    state["row_var"]._data if factored else None,
                    state["col_var"]._data if factored else None,
                    None if factored else state["variance"]._data,
                    _bump_step(state["step"]),
                    lr=_tensor_lr(group["lr"]), beta2_decay=group["beta2_decay"], eps1=eps1,
                    eps2=eps2, d=group["d"], weight_decay=group["weight_decay"],
                    maximize=group["maximize"],
                )
                buffers = [state[k] for k in ("row_var", "col_var", "variance") if k in state]
                _bump(p, *buffers)
        return loss


def _norm(a, axis=None):
    """torch.norm(a, 2, dim=axis, keepdim=True) in a's dtype (accumulated in float64, so
    within rounding of torch's float32 sum, whose order cannot be reproduced)."""
    wide = a.astype(np.float64)
    return np.sqrt(np.sum(wide * wide, axis=axis, keepdims=axis is not None)).astype(a.dtype)


def _adafactor_update(param, grad, row_var, col_var, variance, step, *, lr, beta2_decay,
                      eps1, eps2, d, weight_decay, maximize):
    """One Adafactor step on NumPy arrays, in place (torch's ``_single_tensor_adafactor``)."""
    if maximize:
        grad = -grad
    dtype = param.dtype.type
    one_minus_beta2_t = step**beta2_decay
    rho_t = min(lr, 1 / (step**0.5))
    alpha = max(eps2, float(_norm(param)) / (param.size**0.5)) * rho_t

    if weight_decay != 0:
        _mul_(param, 1 - lr * weight_decay)

    if row_var is not None:
        row_mean = np.square(_norm(grad, -1)) / dtype(grad.shape[-1])
        _lerp_(row_var, row_mean, one_minus_beta2_t)
        col_mean = np.square(_norm(grad, -2)) / dtype(grad.shape[-2])
        _lerp_(col_var, col_mean, one_minus_beta2_t)
        var_estimate = row_var * col_var  # torch's row_var @ col_var: an outer product
        row_var_mean = np.mean(row_var.astype(np.float64), axis=-2, keepdims=True)
        var_estimate /= np.maximum(row_var_mean.astype(param.dtype), dtype(eps1))
    else:
        _lerp_(variance, grad * grad, one_minus_beta2_t)
        var_estimate = variance.copy()

    # eps1 is squared because the square root is taken next
    np.maximum(var_estimate, dtype(eps1 * eps1), out=var_estimate)
    update = dtype(1) / np.sqrt(var_estimate)
    update *= grad
    denom = max(1.0, float(_norm(update)) / ((update.size**0.5) * d))
    _add_(param, update, -alpha / denom)

"""RAdam (torch.optim.RAdam): Adam with a rectified adaptive learning rate."""

from __future__ import annotations

import numpy as np

from torchlet.optim._kernels import _add, _addcmul_, _div, _lerp_, _mul, _mul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _closure_loss,
    _step_tensor,
    _tensor_lr,
    _use_grad_for_differentiable,
    _validate,
    _zeros_like,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:  p = p - m / (1 - beta1**t) * lr * sqrt(1 - beta2**t) / (sqrt(v) + eps)
                             * sqrt((rho_t - 4)(rho_t - 2) rho_inf
                                    / ((rho_inf - 4)(rho_inf - 2) rho_t))
        else:          p = p - m / (1 - beta1**t) * lr
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False,
        "decoupled_weight_decay": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize,
            foreach=foreach, capturable=capturable,
            decoupled_weight_decay=decoupled_weight_decay, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, state in self._params_with_state(group):
                _check_capturable(group)
                _radam_update(
                    p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                    _bump_step(state["step"]),
                    beta1=beta1, beta2=beta2, lr=_tensor_lr(group["lr"]),
                    weight_decay=group["weight_decay"], eps=group["eps"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"],
                )
                _bump(p, state["exp_avg"], state["exp_avg_sq"])
        return loss


def _radam_update(param, grad, exp_avg, exp_avg_sq, step, *, beta1, beta2, lr, weight_decay,
                  eps, decoupled_weight_decay, maximize):
    """One RAdam step on NumPy arrays, in place (torch's ``_single_tensor_radam``)."""
    dtype = param.dtype.type
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            _mul_(param, 1 - lr * weight_decay)
        else:
            grad = _add(grad, param, weight_decay)
    _lerp_(exp_avg, grad, 1 - beta1)
    _mul_(exp_avg_sq, beta2)
    _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    bias_corrected_exp_avg = _div(exp_avg, bias_correction1)

    # the length of the approximated simple moving average (Python floats)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2

    update = _mul(bias_corrected_exp_avg, lr)
    if rho_t > 5.0:
        rect = (
            (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
        ) ** 0.5
        exp_avg_sq_sqrt = np.sqrt(exp_avg_sq)
        exp_avg_sq_sqrt += dtype(eps)
        # torch's ``number / tensor`` is ``tensor.reciprocal() * number``
        adaptive_lr = _mul(dtype(1) / exp_avg_sq_sqrt, bias_correction2**0.5)
        update *= adaptive_lr
        update = _mul(update, rect)
    param -= update

"""Adamax (torch.optim.Adamax): Adam with the infinity norm."""

from __future__ import annotations

import numpy as np

from torchlet.optim._kernels import _add, _addcdiv_, _lerp_, _mul_
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

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        m = lerp(m, g, 1 - beta1)
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1**t) * m / u
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
            maximize=maximize, differentiable=differentiable, capturable=capturable,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["exp_avg"] = _zeros_like(p)
        state["exp_inf"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, state in self._params_with_state(group):
                _check_capturable(group)
                _adamax_update(
                    p._data, p.grad._data, state["exp_avg"]._data, state["exp_inf"]._data,
                    _bump_step(state["step"]),
                    beta1=beta1, beta2=beta2, lr=_tensor_lr(group["lr"]), eps=group["eps"],
                    weight_decay=group["weight_decay"], maximize=group["maximize"],
                )
                _bump(p, state["exp_avg"], state["exp_inf"])
        return loss


def _adamax_update(param, grad, exp_avg, exp_inf, step, *, beta1, beta2, lr, eps,
                   weight_decay, maximize):
    """One Adamax step on NumPy arrays, in place (torch's ``_single_tensor_adamax``)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    _lerp_(exp_avg, grad, 1 - beta1)                          # m: average of g
    _mul_(exp_inf, beta2)                                     # u = max(beta2 * u, |g| + eps)
    np.maximum(exp_inf, np.abs(grad) + param.dtype.type(eps), out=exp_inf)
    clr = lr / (1 - beta1**step)
    _addcdiv_(param, exp_avg, exp_inf, -clr)

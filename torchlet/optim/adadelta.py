"""Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

import numpy as np

from torchlet.optim._kernels import _add, _add_, _addcmul_, _mul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _closure_loss,
    _step_tensor,
    _use_grad_for_differentiable,
    _validate,
    _value,
    _zeros_like,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
            capturable=capturable, foreach=foreach, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["square_avg"] = _zeros_like(p)
        state["acc_delta"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, state in self._params_with_state(group):
                _check_capturable(group, devices="['cuda', 'xpu', 'hpu', 'privateuseone']")
                _bump_step(state["step"])
                _adadelta_update(
                    p._data, p.grad._data, state["square_avg"]._data, state["acc_delta"]._data,
                    lr=_value(group["lr"]), rho=group["rho"], eps=group["eps"],
                    weight_decay=group["weight_decay"], maximize=group["maximize"],
                )
                _bump(p, state["square_avg"], state["acc_delta"])
        return loss


def _adadelta_update(param, grad, square_avg, acc_delta, *, lr, rho, eps, weight_decay,
                     maximize):
    """One Adadelta step on NumPy arrays, in place (torch's ``_single_tensor_adadelta``)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    eps = param.dtype.type(eps)
    _mul_(square_avg, rho)                                    # v = rho * v
    _addcmul_(square_avg, grad, grad, 1 - rho)                #     + (1 - rho) * g * g
    std = np.sqrt(square_avg + eps)
    delta = np.sqrt(acc_delta + eps)
    delta /= std                                              # delta = sqrt(u+eps)/std * g
    delta *= grad
    _mul_(acc_delta, rho)                                     # u = rho * u
    _addcmul_(acc_delta, delta, delta, 1 - rho)               #     + (1 - rho) * delta^2
    _add_(param, delta, -lr)

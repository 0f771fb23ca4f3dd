"""RMSprop (torch.optim.RMSprop)."""

from __future__ import annotations

import numpy as np

from torchlet.optim._kernels import _add, _add_, _addcdiv_, _addcmul_, _lerp_, _mul_
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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        avg = sqrt(v - m * m) + eps  with  m = lerp(m, g, 1 - alpha)   (centered)
        avg = sqrt(v) + eps                                           (otherwise)
        b = momentum * b + g / avg;  p = p - lr * b                   (momentum > 0)
        p = p - lr * g / avg                                          (otherwise)
    """

    _later_options = {
        "momentum": 0, "centered": False, "foreach": None, "maximize": False,
        "differentiable": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
            weight_decay=weight_decay, capturable=capturable, foreach=foreach,
            maximize=maximize, differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["square_avg"] = _zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = _zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, state in self._params_with_state(group):
                _check_capturable(group)
                _bump_step(state["step"])
                buffers = [state[k] for k in ("square_avg", "momentum_buffer", "grad_avg")
                           if k in state]
                _rmsprop_update(
                    p._data, p.grad._data, state["square_avg"]._data,
                    state["grad_avg"]._data if group["centered"] else None,
                    state["momentum_buffer"]._data if group["momentum"] > 0 else None,
                    lr=_value(group["lr"]), alpha=group["alpha"], eps=group["eps"],
                    weight_decay=group["weight_decay"], momentum=group["momentum"],
                    maximize=group["maximize"],
                )
                _bump(p, *buffers)
        return loss


def _rmsprop_update(param, grad, square_avg, grad_avg, buf, *, lr, alpha, eps, weight_decay,
                    momentum, maximize):
    """One RMSprop step on NumPy arrays, in place (torch's ``_single_tensor_rmsprop``)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    _mul_(square_avg, alpha)                                  # v = alpha * v
    _addcmul_(square_avg, grad, grad, 1 - alpha)              #     + (1 - alpha) * g * g
    if grad_avg is not None:
        _lerp_(grad_avg, grad, 1 - alpha)                     # m: average of g
        avg = square_avg.copy()
        _addcmul_(avg, grad_avg, grad_avg, -1)                # v - m * m
        avg = np.sqrt(avg)
    else:
        avg = np.sqrt(square_avg)
    avg += param.dtype.type(eps)
    if buf is not None:
        _mul_(buf, momentum)                                  # b = momentum * b + g / avg
        _addcdiv_(buf, grad, avg)
        _add_(param, buf, -lr)
    else:
        _addcdiv_(param, grad, avg, -lr)

"""Adagrad (torch.optim.Adagrad)."""

from __future__ import annotations

import numpy as np

from torchlet._tensor import wrap
from torchlet.optim._kernels import _add, _addcdiv_, _addcmul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_fused_and_foreach,
    _closure_loss,
    _fused_or_tensor_lr,
    _step_tensor,
    _use_grad_for_differentiable,
    _validate,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * lr_decay)
        s = s + g * g                      (s starts at initial_accumulator_value)
        p = p - clr * g / (sqrt(s) + eps)

    Unlike the other optimizers, the state is created for every parameter at once.
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False, "fused": None,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _validate(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps,
        )
        defaults = dict(
            lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, foreach=foreach,
            maximize=maximize, differentiable=differentiable, fused=fused,
        )
        super().__init__(params, defaults)
        _check_fused_and_foreach(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0, group)
        state["sum"] = wrap(
            np.full_like(p._data, self.defaults["initial_accumulator_value"])
        )

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, state in self._params_with_state(group, check_fused=True):
                _adagrad_update(
                    p._data, p.grad._data, state["sum"]._data, _bump_step(state["step"]),
                    lr=_fused_or_tensor_lr(group), weight_decay=group["weight_decay"],
                    lr_decay=group["lr_decay"], eps=group["eps"], maximize=group["maximize"],
                )
                _bump(p, state["sum"])
        return loss


def _adagrad_update(param, grad, state_sum, step, *, lr, weight_decay, lr_decay, eps,
                    maximize):
    """One Adagrad step on NumPy arrays, in place (torch's ``_single_tensor_adagrad``)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    clr = lr / (1 + (step - 1) * lr_decay)
    _addcmul_(state_sum, grad, grad)                          # s = s + g * g
    std = np.sqrt(state_sum)
    std += param.dtype.type(eps)
    _addcdiv_(param, grad, std, -clr)                         # p - clr * g / std

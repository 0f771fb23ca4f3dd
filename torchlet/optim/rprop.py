"""Rprop: resilient backpropagation (torch.optim.Rprop)."""

from __future__ import annotations

import numpy as np

from torchlet._tensor import wrap
from torchlet.optim._kernels import _addcmul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _check_lr,
    _closure_loss,
    _step_tensor,
    _use_grad_for_differentiable,
    _value,
    _zeros_like,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, as torch implements it (single-tensor): only the sign of the gradient is
    used, each element with its own step size::

        g = -grad if maximize else grad
        s = sign(g * g_prev)
        step_size = clamp(step_size * (etaplus if s > 0 else etaminus if s < 0 else 1),
                          *step_sizes)
        g = 0 where s < 0          (the sign flipped: skip this element once)
        p = p - sign(g) * step_size;  g_prev = g
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(
            lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
            differentiable=differentiable, capturable=capturable,
        )
        super().__init__(params, defaults)

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["prev"] = _zeros_like(p)
        state["step_size"] = wrap(np.full_like(p.grad._data, _value(group["lr"])))

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p, state in self._params_with_state(group):
                _check_capturable(group)
                _bump_step(state["step"])
                # 0-d arrays as 1-element views: NumPy's arithmetic on 0-d arrays gives
                # scalars, which the masked writes of the update cannot change
                _rprop_update(
                    *np.atleast_1d(p._data, p.grad._data, state["prev"]._data,
                                   state["step_size"]._data),
                    etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                    step_size_max=step_size_max, maximize=group["maximize"],
                )
                _bump(p, state["prev"], state["step_size"])
        return loss


def _rprop_update(param, grad, prev, step_size, *, etaminus, etaplus, step_size_min,
                  step_size_max, maximize):
    """One Rprop step on NumPy arrays, in place (torch's ``_single_tensor_rprop``)."""
    if maximize:
        grad = -grad
    dtype = param.dtype.type
    # the factors are written into the sign tensor, so they are rounded to its dtype
    factor = np.sign(grad * prev)
    factor[factor > 0] = dtype(etaplus)
    factor[factor < 0] = dtype(etaminus)
    factor[factor == 0] = 1
    step_size *= factor
    np.clip(step_size, dtype(step_size_min), dtype(step_size_max), out=step_size)
    grad = grad.copy()
    grad[factor == dtype(etaminus)] = 0
    _addcmul_(param, np.sign(grad), step_size, -1)
    np.copyto(prev, grad)

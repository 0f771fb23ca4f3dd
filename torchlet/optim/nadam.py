"""NAdam (torch.optim.NAdam): Adam with Nesterov momentum."""

from __future__ import annotations

import numpy as np

from torchlet._tensor import Tensor, wrap
from torchlet.optim._kernels import _add, _addcdiv_, _addcmul_, _div, _lerp_, _mul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _closure_loss,
    _scalar_dtype,
    _step_tensor,
    _tensor_lr,
    _use_grad_for_differentiable,
    _validate,
    _zeros_like,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam, as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  prod = prod * mu_t
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod) * g / denom
              - lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / denom
    """

    _later_options = {
        "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
        "decoupled_weight_decay": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _validate(
            lr=lr, eps=eps, betas=betas, weight_decay=weight_decay,
            momentum_decay=momentum_decay,
        )
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable,
        )
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        for p_state in self.state.values():
            if "mu_product" in p_state and not isinstance(p_state["mu_product"], Tensor):
                p_state["mu_product"] = wrap(
                    np.array(p_state["mu_product"], dtype=_scalar_dtype())
                )

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["mu_product"] = _step_tensor(1.0)
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, state in self._params_with_state(group):
                _check_capturable(group, what="params, mu_products and state_steps")
                _nadam_update(
                    p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                    state["mu_product"]._data, _bump_step(state["step"]),
                    beta1=beta1, beta2=beta2, lr=_tensor_lr(group["lr"]),
                    weight_decay=group["weight_decay"], momentum_decay=group["momentum_decay"],
                    eps=group["eps"], decoupled_weight_decay=group["decoupled_weight_decay"],
                    maximize=group["maximize"],
                )
                _bump(p, state["exp_avg"], state["exp_avg_sq"], state["mu_product"])
        return loss


def _nadam_update(param, grad, exp_avg, exp_avg_sq, mu_product, step, *, beta1, beta2, lr,
                  weight_decay, momentum_decay, eps, decoupled_weight_decay, maximize):
    """One NAdam step on NumPy arrays, in place (torch's ``_single_tensor_nadam``).
    ``mu_product`` is the 0-d array of the running product of the momentum factors."""
    if maximize:
        grad = -grad
    bias_correction2 = 1 - beta2**step
    if weight_decay != 0:
        if decoupled_weight_decay:
            _mul_(param, 1 - lr * weight_decay)
        else:
            grad = _add(grad, param, weight_decay)

    # the momentum schedule: Python floats, then the product kept in a 0-d tensor
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
    mu_product *= mu_product.dtype.type(mu)

    _lerp_(exp_avg, grad, 1 - beta1)
    _mul_(exp_avg_sq, beta2)
    _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
    denom = np.sqrt(_div(exp_avg_sq, bias_correction2))

    mu_product = float(mu_product)
    mu_product_next = mu_product * mu_next
    denom += param.dtype.type(eps)
    _addcdiv_(param, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
    _addcdiv_(param, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))

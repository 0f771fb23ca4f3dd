"""ASGD: averaged stochastic gradient descent (torch.optim.ASGD)."""

from __future__ import annotations

import numpy as np

from torchlet._tensor import Tensor, wrap
from torchlet.optim._kernels import _add, _add_, _addcmul_, _mul, _mul_
from torchlet.optim.optimizer import (
    _CAPTURABLE_DEVICES,
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _closure_loss,
    _scalar_dtype,
    _step_tensor,
    _use_grad_for_differentiable,
    _validate,
    _value,
    _zeros_like,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak and Juditsky), as torch implements it (single-tensor)::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p                     while mu == 1 (the first t0 steps)
        ax = ax + mu * (p - ax)    afterwards: the running average of p
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu = 1 / max(1, t - t0)

    ``eta`` and ``mu`` are kept per parameter as 0-d tensors of the default float dtype
    (float32), so their values are rounded there as in torch. The averaged parameters
    are in ``optimizer.state[p]["ax"]``. ``foreach=True`` runs torch's multi-tensor
    arithmetic instead, which rounds differently (``_asgd_foreach_update``).
    """

    _later_options = {
        "foreach": None, "maximize": False, "differentiable": False, "capturable": False,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _validate(lr=lr, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
            foreach=foreach, maximize=maximize, differentiable=differentiable,
            capturable=capturable,
        )
        super().__init__(params, defaults)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        # checkpoints of older torch versions kept eta and mu as Python numbers
        for group in self.param_groups:
            for p in group["params"]:
                p_state = self.state.get(p, {})
                for key in ("eta", "mu"):
                    if key in p_state and not isinstance(p_state[key], Tensor):
                        p_state[key] = _step_tensor(float(p_state[key]))

    def _init_state(self, p, state, group):
        state["step"] = _step_tensor(0.0)
        state["eta"] = wrap(np.array(_value(group["lr"]), dtype=_scalar_dtype()))
        state["mu"] = _step_tensor(1.0)
        state["ax"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            for p, state in self._params_with_state(group):
                # torch's multi-tensor path leaves XLA out of the devices it names
                devices = _CAPTURABLE_DEVICES.replace(", 'xla'", "") if group["foreach"] \
                    else _CAPTURABLE_DEVICES
                _check_capturable(group, "params, mus, etas, and state_steps", devices)
                step = _bump_step(state["step"])
                update = _asgd_foreach_update if group["foreach"] else _asgd_update
                update(
                    p._data, p.grad._data, state["ax"]._data,
                    state["eta"]._data,
                    state["mu"]._data, step, lr=group["lr"], lambd=group["lambd"],
                    alpha=group["alpha"], t0=group["t0"],
                    weight_decay=group["weight_decay"], maximize=group["maximize"],
                )
                _bump(p, state["ax"], state["eta"], state["mu"])
        return loss


def _asgd_update(param, grad, ax, eta, mu, step, *, lr, lambd, alpha, t0, weight_decay,
                 maximize):
    """One ASGD step on NumPy arrays, in place (torch's ``_single_tensor_asgd``); ``eta``
    and ``mu`` are 0-d arrays, updated in place for the next step."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    eta_value = float(eta)
    _mul_(param, 1 - lambd * eta_value)                       # decay term
    _add_(param, grad, -eta_value)                            # p - eta * g
    if float(mu) != 1:
        np.add(ax, _mul(param - ax, mu), out=ax)
    else:
        np.copyto(ax, param)
    if isinstance(lr, Tensor):
        eta[...] = _tensor_lr_eta(lr, lambd, alpha, step)
    else:
        eta[...] = lr / ((1 + lambd * lr * step) ** alpha)
    mu[...] = 1 / max(1, step - t0)


def _tensor_lr_eta(lr, lambd, alpha, step):
    """``lr / (1 + lambd * lr * step) ** alpha`` with a tensor ``lr``, as torch computes it
    (both code paths): in the tensor's dtype, each operation rounded, the power by
    ``_pow_0d``."""
    lr_t = lr._data.reshape(())
    scalar = lr_t.dtype.type
    base = scalar(1) + scalar(lambd) * lr_t * scalar(step)
    return lr_t / _pow_0d(base, alpha)


def _pow_0d(base, alpha):
    """``base ** alpha`` for a 0-d float tensor, as torch's CPU ``pow(tensor, number)``
    computes it: its fast kernels for 0.5 (sqrt), -0.5, -1, 2, 3 and -2, otherwise C's
    ``pow(float, double)``: in double, with the exponent as given (not rounded to the
    tensor's dtype), rounded once to ``base``'s dtype. (NumPy's float32 power rounds
    the exponent to float32 and is an ulp off torch for some bases.)"""
    scalar = base.dtype.type
    if alpha == 0.5:
        return np.sqrt(base)
    if alpha == -0.5:
        return scalar(1) / np.sqrt(base)
    if alpha == -1:
        return scalar(1) / base
    if alpha == 2:
        return base * base
    if alpha == 3:
        return base * base * base
    if alpha == -2:
        return scalar(1) / (base * base)
    with np.errstate(all="ignore"):
        return scalar(np.power(np.float64(base), np.float64(alpha)))


def _asgd_foreach_update(param, grad, ax, eta, mu, step, *, lr, lambd, alpha, t0,
                         weight_decay, maximize):
    """The same step as torch's ``_multi_tensor_asgd`` rounds it: the decay is folded into
    the gradient (``p - eta * (g + lambd * p)``), ``ax`` is always moved by ``mu``, and
    the new ``eta`` is computed in the step counter's dtype."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)
    intermediate = _add(grad, param, lambd)                   # g + lambd * p
    _addcmul_(param, intermediate, eta.astype(param.dtype), -1)
    _addcmul_(ax, param - ax, mu.astype(param.dtype))         # ax + mu * (p - ax)
    if isinstance(lr, Tensor):
        eta[...] = _tensor_lr_eta(lr, lambd, alpha, step)
    else:
        scalar = eta.dtype.type
        denom = _pow_0d(scalar(1) + scalar(lambd * lr) * scalar(step), alpha)
        # a number divided by a tensor is reciprocal-then-multiply in torch (two roundings)
        eta[...] = (scalar(1) / denom) * scalar(lr)
    mu[...] = 1 / max(1, step - t0)

"""Stochastic gradient descent, optionally with momentum (torch.optim.SGD)."""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise._fused import _fma, saxpy_alpha, saxpy_arrays
from torchlet._tensor import wrap
from torchlet.optim._kernels import _add, _add_, _flat, _mul_, _vector_head
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _check_fused_and_foreach,
    _check_fused_param,
    _check_lr,
    _closure_loss,
    _use_grad_for_differentiable,
    _value,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as torch implements it::

        g = -grad if maximize else grad
        g = g + weight_decay * p
        b = g                      (first step)
        b = momentum * b + (1 - dampening) * g
        g = g + momentum * b  if nesterov  else  b
        p = p - lr * g

    The momentum buffer starts as the first gradient, so dampening only acts from the
    second step on.
    """

    _later_options = {
        "nesterov": False, "maximize": False, "foreach": None, "differentiable": False,
        "fused": False,
    }

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        # torch's SGD tests ``x < 0.0`` (a NaN passes), unlike the others' ``_validate``
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize, foreach=foreach,
            differentiable=differentiable, fused=fused,
        )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_and_foreach(fused, foreach, differentiable)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            momentum, fused = group["momentum"], group["fused"]
            lr, weight_decay = _value(group["lr"]), _value(group["weight_decay"])
            if momentum == 0 and weight_decay == 0 and not group["maximize"] and not fused:
                _plain_sgd(group["params"], -lr)
                continue
            options = dict(
                lr=lr, momentum=momentum, dampening=group["dampening"],
                weight_decay=weight_decay, nesterov=group["nesterov"],
                maximize=group["maximize"], fused=bool(fused),
            )
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if fused:
                    _check_fused_param(p)
                buf = None
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                new_buf = _sgd_update(p._data, grad._data, None if buf is None else buf._data,
                                      **options)
                _bump(p)
                if momentum != 0:
                    if buf is None:
                        state["momentum_buffer"] = wrap(new_buf)
                    else:
                        _bump(buf)
        return loss


def _plain_sgd(params, alpha) -> None:
    """``p += alpha * p.grad`` for each parameter with a gradient (``alpha`` = -lr): SGD
    without momentum, weight decay or maximize, the usual case, without the general
    update's steps. float32 takes ``saxpy_in_place`` straight away (what ``_add_`` does
    first), with ``alpha`` converted and checked once for all the parameters."""
    # (1: _add_ adds, as torch)
    alpha32 = saxpy_alpha(np.float32(alpha)) if alpha != 1 else None
    for p in params:
        grad = p.grad
        if grad is None:
            continue
        if alpha32 is None or not saxpy_arrays(grad._data, alpha32, p._data):
            _add_(p._data, grad._data, alpha)
        p._vbox[0] += 1


def _sgd_update(param, grad, buf, *, lr, momentum, dampening, weight_decay, nesterov,
                maximize, fused=False):
    """One SGD step on NumPy arrays (torch's ``_single_tensor_sgd``); updates ``param``
    and ``buf`` in place and returns the momentum buffer (a new one on the first step).
    ``fused``: torch's fused kernel, which rounds the momentum buffer of the last few
    elements otherwise (``_fused_momentum_``)."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = _add(grad, param, weight_decay)              # g + wd * p
    if momentum != 0:
        if buf is None:
            buf = np.array(grad)                             # b = g (-g of a 0-d array is a scalar)
        elif fused:
            _fused_momentum_(buf, grad, momentum, dampening)
        else:
            _mul_(buf, momentum)                             # b = momentum * b
            _add_(buf, grad, 1 - dampening)                  #     + (1 - dampening) * g
        if nesterov:
            grad = _add(grad, buf, momentum)                 # g + momentum * b
        else:
            grad = buf
    _add_(param, grad, -lr)                                  # p - lr * g
    return buf


def _fused_momentum_(buf, grad, momentum, dampening) -> None:
    """``b = momentum * b + (1 - dampening) * g`` as torch's fused CPU kernel rounds it
    (FusedSGDKernel.cpp): in whole vectors ``fma(1 - dampening, g, b * momentum)``, as
    the for-loop version; in the scalar loop over the last elements (``_vector_head``)
    the compiler fuses the other product: ``fma(b, momentum, g * (1 - dampening))``.
    Everything else in that kernel rounds as the for-loop version does."""
    head = _vector_head(buf)
    if head == buf.size:
        _mul_(buf, momentum)
        _add_(buf, grad, 1 - dampening)
        return
    flat_buf, flat_grad = buf.reshape(-1), _flat(grad, buf)
    _mul_(flat_buf[:head], momentum)
    _add_(flat_buf[:head], flat_grad[:head], 1 - dampening)
    scalar = buf.dtype.type
    tail = flat_buf[head:]
    _fma(tail.copy(), scalar(momentum), flat_grad[head:] * scalar(1 - dampening), out=tail)

"""Adam (torch.optim.Adam); AdamW is Adam with decoupled weight decay (adamw.py)."""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise._fused import _fma
from torchlet._tensor import Tensor
from torchlet.optim._kernels import (
    _add,
    _addcdiv_,
    _addcmul_,
    _div,
    _flat,
    _lerp_,
    _mul_,
    _vector_head,
)
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _bump_step,
    _check_capturable,
    _check_fused_and_foreach,
    _check_fused_param,
    _closure_loss,
    _fused_or_tensor_lr,
    _step_tensor,
    _use_grad_for_differentiable,
    _validate,
    _value,
    _zeros_like,
)

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, as torch implements it (the single-tensor, "for-loop" version)::

        g = -grad if maximize else grad
        g = g + weight_decay * p            (or p = p * (1 - lr * weight_decay), decoupled)
        m = lerp(m, g, 1 - beta1)           = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)               (amsgrad: v_max is used below instead of v)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    _later_options = {
        "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
        "differentiable": False, "decoupled_weight_decay": False, "fused": None,
    }
    _counts_steps = True

    def __init__(
        self,
        params,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError(
                "lr as a Tensor is not supported for capturable=False and foreach=True"
            )
        _validate(lr=lr, eps=eps, betas=betas, weight_decay=weight_decay)
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas[:2]):
            if isinstance(beta, Tensor):
                if not capturable and foreach:
                    raise ValueError(
                        f"betas[{i}] as a Tensor is not supported for capturable=False and "
                        "foreach=True"
                    )
                if beta.numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        scalar_betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() else b
                             for b in betas)
        defaults = dict(
            lr=lr, betas=scalar_betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)
        _check_fused_and_foreach(fused, foreach, differentiable)

    def _init_state(self, p, state, group):
        if group["fused"]:
            _check_fused_param(p)
        state["step"] = _step_tensor(0.0, group)
        state["exp_avg"] = _zeros_like(p)
        state["exp_avg_sq"] = _zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _zeros_like(p)

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, state in self._params_with_state(group):
                _check_capturable(group)
                max_exp_avg_sq = state["max_exp_avg_sq"] if group["amsgrad"] else None
                _adam_update(
                    p._data, p.grad._data, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                    None if max_exp_avg_sq is None else max_exp_avg_sq._data,
                    _bump_step(state["step"]),
                    beta1=_value(beta1), beta2=_value(beta2), lr=_fused_or_tensor_lr(group),
                    weight_decay=group["weight_decay"], eps=group["eps"],
                    maximize=group["maximize"],
                    decoupled_weight_decay=group["decoupled_weight_decay"],
                    fused=bool(group["fused"]),
                )
                _bump(p, state["exp_avg"], state["exp_avg_sq"])
                if max_exp_avg_sq is not None:
                    _bump(max_exp_avg_sq)
        return loss


def _adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, step, *, beta1, beta2,
                 lr, weight_decay, eps, maximize, decoupled_weight_decay, fused=False):
    """One Adam step on NumPy arrays, in place (torch's ``_single_tensor_adam``).

    ``fused``: torch's fused CPU kernel (FusedAdamKernel.cpp) instead. It rounds as the
    for-loop version, except ``v`` in its scalar loop over the last elements
    (``_vector_head``): ``fma(v, beta2, (1 - beta2) * g * g)``. Its sqrt is the correctly
    rounded one NumPy's is (the for-loop version's is not), so it is matched bit for bit.
    """
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            _mul_(param, 1 - lr * weight_decay)               # AdamW: shrink p directly
        else:
            grad = _add(grad, param, weight_decay)            # L2 penalty in the gradient

    _lerp_(exp_avg, grad, 1 - beta1)                          # m: average of g
    if fused and _vector_head(exp_avg_sq) < exp_avg_sq.size:
        _fused_second_moment_(exp_avg_sq, grad, beta2)
    else:
        _mul_(exp_avg_sq, beta2)                              # v: average of g * g
        _addcmul_(exp_avg_sq, grad, grad, 1 - beta2)

    # the bias corrections are Python floats, computed as torch computes them
    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2**0.5

    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        exp_avg_sq = max_exp_avg_sq
    dtype = param.dtype.type
    denom = _div(np.sqrt(exp_avg_sq), bias_correction2_sqrt)
    denom += dtype(eps)
    _addcdiv_(param, exp_avg, denom, -step_size)              # p - step_size * m / denom


def _fused_second_moment_(exp_avg_sq, grad, beta2) -> None:
    """``v = beta2 * v + (1 - beta2) * g * g`` as the fused kernel rounds it: the for-loop
    version's ``fma((1 - beta2) * g, g, beta2 * v)`` in whole vectors, and
    ``fma(v, beta2, (1 - beta2) * g * g)`` in the scalar loop over the tail."""
    head = _vector_head(exp_avg_sq)
    flat_v, flat_g = exp_avg_sq.reshape(-1), _flat(grad, exp_avg_sq)
    _mul_(flat_v[:head], beta2)
    _addcmul_(flat_v[:head], flat_g[:head], flat_g[:head], 1 - beta2)
    scalar = exp_avg_sq.dtype.type
    tail, g = flat_v[head:], flat_g[head:]
    _fma(tail.copy(), scalar(beta2), scalar(1 - beta2) * g * g, out=tail)

"""Muon (torch.optim.Muon): momentum SGD whose update is orthogonalised by a Newton-Schulz
iteration, for the 2-D weight matrices of hidden layers."""

from __future__ import annotations

import math

import numpy as np

from torchlet._tensor import wrap
from torchlet.optim._kernels import _add_, _lerp_, _mul_
from torchlet.optim.optimizer import (
    Optimizer,
    _bump,
    _check_lr,
    _closure_loss,
    _use_grad_for_differentiable,
    _value,
)

__all__ = ["Muon"]

# Keller Jordan's constants, as torch/optim/_muon.py takes them
EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.7750
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


class Muon(Optimizer):
    r"""Muon, as torch implements it (each step, for each 2-D parameter)::

        B = momentum * B + (1 - momentum) * g          (B.lerp_(g, 1 - momentum))
        U = momentum * B + (1 - momentum) * g  if nesterov  else  B
        O = NS(U)                                      (Newton-Schulz, in bfloat16)
        p = p * (1 - lr * weight_decay)
        p = p - adjusted_lr * O

    ``NS`` scales ``U`` to Frobenius norm 1 and runs ``ns_steps`` quintic iterations
    ``X = a X + (b G + c G @ G) @ X`` with ``G = X @ X^T`` (on the wide orientation of the
    matrix). ``adjusted_lr`` is ``lr * sqrt(max(1, A / B))`` ("original", the default) or
    ``0.2 * lr * sqrt(max(A, B))`` ("match_rms_adamw") for an ``A x B`` parameter.
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
        eps: float = EPS,
        ns_steps: int = DEFAULT_NS_STEPS,
        adjust_lr_fn: str | None = None,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(
            lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
            ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(
                        "Muon only supports 2D parameters whereas we found a parameter "
                        f"with size: {p.size()}"
                    )

    @_use_grad_for_differentiable
    def step(self, closure=None):
        """Perform a single optimization step; returns ``closure()``'s loss if given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params, bufs = [], []
            # torch creates every momentum buffer of the group before updating any parameter
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.is_complex():
                    raise RuntimeError("Muon does not support complex parameters")
                if p.grad.is_sparse:
                    raise RuntimeError("Muon does not support sparse gradients")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = wrap(np.zeros_like(p.grad._data))
                params.append(p)
                bufs.append(state["momentum_buffer"])
            lr = _value(group["lr"])
            for p, buf in zip(params, bufs):
                _muon_update(
                    p._data, p.grad._data, buf._data, lr=lr,
                    weight_decay=group["weight_decay"], momentum=group["momentum"],
                    nesterov=group["nesterov"], ns_coefficients=group["ns_coefficients"],
                    ns_steps=group["ns_steps"], eps=group["eps"],
                    adjust_lr_fn=group["adjust_lr_fn"],
                )
                # torch's mul_ and add_ each count a version of p; lerp_ one of buf
                _bump(p, p, buf)
        return loss


def _muon_update(param, grad, buf, *, lr, weight_decay, momentum, nesterov, ns_coefficients,
                 ns_steps, eps, adjust_lr_fn) -> None:
    """One Muon step on NumPy arrays (torch's ``_single_tensor_muon``); updates ``param``
    and ``buf`` in place."""
    if grad.ndim != 2:
        raise ValueError("Param gradient must be a 2D matrix")
    _lerp_(buf, grad, 1 - momentum)                       # B = B + (1 - mu) (g - B)
    if nesterov:
        update = grad.copy()
        _lerp_(update, buf, momentum)                     # U = g + mu (B - g)
    else:
        update = buf
    update = _zeropower_via_newtonschulz(update, ns_coefficients, ns_steps, eps)
    adjusted_lr = _adjust_lr(lr, adjust_lr_fn, param.shape)
    _mul_(param, 1 - lr * weight_decay)
    _add_(param, update.astype(param.dtype), -adjusted_lr)


def _zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps):
    """Orthogonalise ``grad`` approximately (``U S' V^T`` with ``S'`` near 1), in bfloat16.

    torch runs the iteration on bfloat16 tensors; each of its CPU matmuls, ``addmm`` and
    divisions computes in float32 and rounds the result to bfloat16 once, which is what
    this does on float32 arrays holding bfloat16 values.
    """
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(k) for k in ns_coefficients)
    x = _round_to_bfloat16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _round_to_bfloat16(np.sqrt(np.sum(np.square(x), dtype=np.float32)))
    x = _round_to_bfloat16(x / max(norm, _round_to_bfloat16(np.float32(eps))))
    for _ in range(ns_steps):
        gram = _round_to_bfloat16(x @ x.T)
        gram_update = _round_to_bfloat16(b * gram + c * (gram @ gram))
        x = _round_to_bfloat16(a * x + gram_update @ x)
    if tall:
        x = x.T
    return x


def _round_to_bfloat16(x):
    """``x`` rounded to the nearest bfloat16 (ties to even), held as float32.

    Like torch's ``Tensor.bfloat16()``, a float64 is rounded to float32 first.
    """
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    # typed constants: NumPy 1 casts a 0-d uint64 with a Python int to float64 (no shifts)
    u64 = np.uint64
    bits = (bits + u64(0x7FFF) + ((bits >> u64(16)) & u64(1))) & u64(0xFFFF0000)
    return np.where(np.isnan(x), x, bits.astype(np.uint32).view(np.float32))


def _adjust_lr(lr: float, adjust_lr_fn: str | None, param_shape) -> float:
    """The learning rate scaled for the parameter's shape (torch's ``_adjust_lr``)."""
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        adjusted_ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        adjusted_ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        adjusted_ratio = 1.0
    return lr * adjusted_ratio


"""Stochastic weight averaging (torch.optim.swa_utils).

``AveragedModel`` keeps a copy of a model whose parameters are a running average (equal
weights: SWA; exponential: EMA) of the model's parameters over training; ``SWALR``
anneals the learning rate to a constant for the averaging phase; ``update_bn``
recomputes BatchNorm's running statistics for the averaged weights.

torchlet runs on the CPU only, where torch averages with the single-parameter
``get_swa_avg_fn`` unless a ``multi_avg_fn`` is given; the same functions run here, so the
averages are torch's to the bit.
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

from torchlet import _dtype
from torchlet._ops.creation import tensor
from torchlet._tensor import Tensor
from torchlet.autograd.grad_mode import no_grad
from torchlet.nn.modules.batchnorm import _BatchNorm
from torchlet.nn.modules.module import Module
from torchlet.optim.lr_scheduler.base import (
    LRScheduler,
    _format_param,
    _warn_get_lr_called_within_step,
)

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _check_decay(decay) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def _is_float_or_complex(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA of lists of tensors: ``ema = decay * ema + (1 - decay) * current``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list, current_param_list, _) -> None:
        if _is_float_or_complex(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.lerp_(p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """In-place equal-weight average of lists of tensors:
    ``avg = avg + (current - avg) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param_list, current_param_list, num_averaged) -> None:
        if _is_float_or_complex(averaged_param_list[0]):
            # torch computes the weight as a tensor (float32 for a tensor count) and
            # passes it on as a number
            weight = 1 / (num_averaged + 1)
            weight = weight.item() if isinstance(weight, Tensor) else weight
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                p_avg.lerp_(p_model, weight)
        else:
            for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
                diff = p_model - p_avg
                if isinstance(num_averaged, Tensor):
                    p_avg.addcdiv_(diff, num_averaged + 1)
                else:
                    p_avg.add_(diff, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """EMA of one tensor: returns ``decay * ema + (1 - decay) * current``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """Equal-weight average of one tensor: ``avg + (current - avg) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _group_by_dtype(averaged: list, current: list) -> list[tuple[list, list]]:
    """Pairs of lists, one per dtype of the averaged tensors (torch groups by device and
    dtype; on the CPU only the dtype tells them apart), in order of first appearance."""
    groups: dict = {}
    for p_avg, p_model in zip(averaged, current, strict=True):
        avg_list, model_list = groups.setdefault(p_avg.dtype, ([], []))
        avg_list.append(p_avg)
        model_list.append(p_model)
    return list(groups.values())


class AveragedModel(Module):
    r"""A copy of ``model`` whose parameters are averaged over ``update_parameters`` calls.

    The first call copies the model's parameters; later calls average them in with
    ``avg_fn(averaged, current, n_averaged)`` (one tensor, returns the new value) or
    ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (in place), by default the
    equal-weight SWA average. ``n_averaged`` is a buffer counting the calls, so it is saved
    in ``state_dict`` next to the copy's entries (prefixed ``module.``). With
    ``use_buffers=True`` buffers are averaged too; otherwise they are copied from the model.
    """

    def __init__(self, model: Module, device=None, avg_fn=None, multi_avg_fn=None,
                 use_buffers=False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dtype.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s current parameters into this copy's."""
        if self.use_buffers:
            self_params = itertools.chain(self.module.parameters(), self.module.buffers())
            model_params = itertools.chain(model.parameters(), model.buffers())
        else:
            self_params = self.parameters()
            model_params = model.parameters()
        averaged, current = [], []
        copy_param = bool(self.n_averaged == 0)
        for p_averaged, p_model in zip(self_params, model_params, strict=False):
            p_model_ = p_model.detach()
            averaged.append(p_averaged.detach())
            current.append(p_model_)
            if copy_param:
                p_averaged.detach().copy_(p_model_)

        if self.n_averaged > 0:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                for self_group, model_group in _group_by_dtype(averaged, current):
                    if self.multi_avg_fn:
                        self.multi_avg_fn(self_group, model_group, self.n_averaged)
                    else:
                        # the CPU has no foreach kernels: torch averages one at a time
                        avg_fn = get_swa_avg_fn()
                        for p_avg, p_model in zip(self_group, model_group, strict=True):
                            p_avg.copy_(avg_fn(p_avg, p_model, self.n_averaged))
            else:
                for p_avg, p_model in zip(averaged, current, strict=True):
                    p_avg.detach().copy_(self.avg_fn(p_avg.detach(), p_model, self.n_averaged))

        if not self.use_buffers:
            # buffers are not averaged: keep them in sync with the model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach())
        self.n_averaged += 1


@no_grad()
def update_bn(loader, model: Module, device=None) -> None:
    """Recompute the running statistics of ``model``'s BatchNorm layers with one pass
    over ``loader`` (batches are tensors, or lists/tuples whose first item is the input):
    the statistics are reset and become plain averages over the batches (momentum None).
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for input in loader:  # noqa: A001 - torch's name
        if isinstance(input, (list, tuple)):
            input = input[0]  # noqa: A001
        if device is not None:
            input = input.to(device)  # noqa: A001
        model(input)
    for bn_module in momenta:
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneals each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs
    (``"cos"``: along half a cosine, ``"linear"``: a straight line), then keeps it there.

    The schedule is recursive, as torch's: from the current ``lr`` it recovers the
    starting value the previous step would have implied, then moves to the next point.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1) -> None:
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                "anneal_strategy must be one of 'cos' or 'linear', "
                f"instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(
                f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}"
            )
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list:
        _warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
            for group in self.optimizer.param_groups
        ]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [
            group["swa_lr"] * alpha + lr * (1 - alpha)
            for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)
        ]

    def _set_anneal_func(self, anneal_strategy) -> None:
        self._anneal_strategy = anneal_strategy
        if anneal_strategy == "cos":
            self.anneal_func = self._cosine_anneal
        else:
            self.anneal_func = self._linear_anneal

    def state_dict(self) -> dict:
        """Every attribute except the optimizer and the annealing function."""
        return {
            key: value
            for key, value in self.__dict__.items()
            if key not in ("optimizer", "anneal_func")
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)


"""torch.amp (mixed precision), as torch's CPU-only build behaves with torchlet's dtypes.

* ``autocast('cuda')`` finds no GPU: torch warns and disables itself; so does torchlet.
* ``autocast('cpu', dtype=...)`` with a dtype other than bfloat16/float16: torch warns and
  disables itself; so does torchlet.
* ``autocast('cpu')`` enabled with bfloat16 (torch's default) or float16 would make torch
  run matmuls, convolutions and linear layers in that dtype. torchlet does not implement
  that casting (and has no bfloat16): it warns once and runs every operation in its usual
  dtype, so results are the full-precision ones, not torch's lower-precision ones.
* ``GradScaler('cuda')`` finds no GPU: torch warns and disables it, after which
  ``scale(loss)`` is ``loss``, ``step(opt)`` is ``opt.step()`` and the rest do nothing.
* ``GradScaler('cpu')`` scales losses and unscales gradients as torch's does.
"""

from __future__ import annotations

import functools
import warnings
from collections import abc, defaultdict
from enum import Enum

import numpy as np

from torchlet._device import device as _device
from torchlet._dtype import float16, float32, int32
from torchlet._ops.creation import full
from torchlet._tensor import Tensor
from torchlet.amp import autocast_state as _state
from torchlet.autograd.grad_mode import no_grad

__all__ = ["GradScaler", "OptState", "autocast", "is_autocast_available"]

# the dtypes torch's CPU autocast accepts, by name (torchlet has no bfloat16 object)
_CPU_AUTOCAST_DTYPES = ("torch.bfloat16", "torch.float16")
_warned_not_implemented = False


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast accepts ``device_type``; an unknown type raises torch.device's
    error. (torchlet knows cpu, cuda, mps and meta.)"""
    return _device(device_type).type in ("cpu", "cuda", "mps")


class autocast:  # noqa: N801 - torch's name
    """Context manager and decorator; see the module docstring for what it does here."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        self.fast_dtype = dtype  # None: torch's default, bfloat16 on cpu, float16 on cuda
        self._cache_enabled = cache_enabled
        if enabled and device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.",
                          stacklevel=2)
            enabled = False
        elif enabled and dtype is not None and str(dtype) not in _CPU_AUTOCAST_DTYPES:
            name = device_type.upper()
            warnings.warn(
                f"In {name} autocast, but the target dtype is not supported. Disabling "
                f"autocast.\n{name} Autocast only supports dtypes of "
                f"{', '.join(_CPU_AUTOCAST_DTYPES)} currently.", stacklevel=2)
            enabled = False
        self._enabled = enabled

    def __enter__(self):
        global _warned_not_implemented
        if self._enabled and not _warned_not_implemented:
            _warned_not_implemented = True
            warnings.warn(
                f"torchlet does not implement {self.device} autocast: operations inside it run "
                "in their usual dtypes (float32), not in lower precision as torch's would.",
                UserWarning, stacklevel=2)
        # torch's bookkeeping, which code reads with torch.is_autocast_enabled(...) and the like
        self._prev_cache_enabled = _state.is_autocast_cache_enabled()
        self._prev = _state.is_autocast_enabled(self.device)
        self._prev_dtype = _state.get_autocast_dtype(self.device)
        _state.set_autocast_enabled(self.device, bool(self._enabled))
        fast_dtype = self.fast_dtype if self.fast_dtype is not None else self._prev_dtype
        _state.set_autocast_dtype(self.device, fast_dtype)
        _state.autocast_increment_nesting()
        cache = self._cache_enabled
        _state.set_autocast_cache_enabled(
            self._prev_cache_enabled if cache is None else bool(cache))
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if _state.autocast_decrement_nesting() == 0:
            _state.clear_autocast_cache()
        _state.set_autocast_enabled(self.device, self._prev)
        _state.set_autocast_dtype(self.device, self._prev_dtype)
        _state.set_autocast_cache_enabled(self._prev_cache_enabled)
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                "Did you mean to use autocast as a context manager? For example:\n"
                "    with torch.autocast(device_type=...):\n"
                "        output = model(input)"
            )

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


class OptState(Enum):
    """Where an optimizer is in the current iteration (torch.amp.grad_scaler.OptState)."""

    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _update_scale(scale: Tensor, growth_tracker: Tensor, found_inf: float,
                  growth_factor: float, backoff_factor: float, growth_interval: int) -> None:
    """torch's ``_amp_update_scale_`` CPU kernel, in place: the float32 scale times a double
    factor, rounded back to float32; the growth only if the result is finite."""
    if found_inf:
        scale.fill_(float(np.float32(scale.item() * backoff_factor)))
        growth_tracker.fill_(0)
        return
    successful = growth_tracker.item() + 1
    if successful == growth_interval:
        grown = np.float32(scale.item() * growth_factor)
        if np.isfinite(grown):
            scale.fill_(float(grown))
        successful = 0
    growth_tracker.fill_(successful)


class GradScaler:
    """Dynamic loss scaling, as torch.amp.GradScaler (torch/amp/grad_scaler.py).

    ``scale(loss)`` multiplies by the scale ``S`` (a float32 0-dim tensor, made at the first
    call); ``unscale_(opt)`` multiplies every gradient by ``float32(1 / float64(S))`` and
    records whether any was inf/NaN; ``step(opt)`` unscales if needed and skips
    ``opt.step()`` (returning None) when one was; ``update()`` then applies torch's
    ``_amp_update_scale_``: after a skipped step ``S *= backoff_factor`` and the growth
    tracker restarts; after ``growth_interval`` clean steps in a row ``S *= growth_factor``
    (kept only if finite). On 'cuda' without a GPU torch warns and disables the scaler: every
    method is then a no-op, ``step(opt)`` is ``opt.step()``.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # made by the first scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict = defaultdict(_refresh_per_optimizer_state)

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) "
               "earlier in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self) -> None:
        self._scale = full((), self._init_scale, dtype=float32)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=int32)

    def scale(self, outputs):
        """``outputs * S`` for a tensor, or for every tensor in nested lists/tuples/iterables
        (lists and tuples keep their type, other iterables come back as a lazy map)."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker()
            return outputs * self._scale
        if isinstance(outputs, abc.Iterable):
            scaled = map(self.scale, outputs)
            return type(outputs)(scaled) if isinstance(outputs, (list, tuple)) else scaled
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _unscale_grads_(self, optimizer, inv_scale: Tensor, found_inf: Tensor,
                        allow_fp16: bool) -> dict:
        """torch's ``_amp_foreach_non_finite_check_and_unscale_`` on each gradient:
        ``found_inf = 1`` if any element is inf/NaN, and ``grad *= inv_scale`` (in the grad's
        dtype, float64 grads in float64) unless ``inv_scale`` is 1. Returns ``{device:
        found_inf}``."""
        unscale = inv_scale.item() != 1.0
        seen = False
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if not isinstance(param, Tensor):
                        raise AssertionError(
                            f"expected param to be torch.Tensor, got {type(param).__name__}")
                    grad = param.grad
                    if grad is None:
                        continue
                    if not allow_fp16 and grad.dtype == float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    seen = True
                    if not grad.isfinite().all():
                        found_inf.fill_(1.0)
                    if unscale:
                        grad.mul_(inv_scale)
        # as torch, which makes a device's flag at its first gradient: none without gradients
        return {found_inf.device: found_inf} if seen else {}

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale (once per optimizer per update())."""
        if not self._enabled:
            return
        scale, _ = self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # torch takes the reciprocal in float64, then rounds it to float32
        inv_scale = scale.double().reciprocal().float()
        found_inf = full((), 0.0, dtype=float32)
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf,
                                                             False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``optimizer.step(*args, **kwargs)`` on unscaled gradients, skipped (None) if any
        gradient was inf/NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not sum(v.item() for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Set the scale to ``new_scale``, or update it from this iteration's inf checks
        (torch's ``_amp_update_scale_``, in float32); then start a new iteration."""
        if not self._enabled:
            return
        scale, growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if (new_scale.device.type != self._device or new_scale.numel() != 1
                        or new_scale.requires_grad is True):
                    raise AssertionError(reason)
                scale.copy_(new_scale)
        else:
            found_infs = [found_inf for state in self._per_optimizer_states.values()
                          for found_inf in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            _update_scale(scale, growth_tracker, sum(f.item() for f in found_infs),
                          self._growth_factor, self._backoff_factor, self._growth_interval)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale.item()

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        tracker = self._growth_tracker
        return self._init_growth_tracker if tracker is None else tracker.item()

    def is_enabled(self) -> bool:
        return self._enabled

    def _check_inf_per_device(self, optimizer) -> dict:
        """Record the inf/NaN check for ``optimizer`` without unscaling (FP16 allowed)."""
        self._check_scale_growth_tracker("_check_inf_per_device")
        state = self._per_optimizer_states[id(optimizer)]
        state["found_inf_per_device"] = self._unscale_grads_(
            optimizer, full((), 1.0, dtype=float32), full((), 0.0, dtype=float32), True)
        return state["found_inf_per_device"]

    def _found_inf_per_device(self, optimizer) -> dict:
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning of an "
                    "iteration, or at the end after scaler.update().")
            # as torch: the unpickled scaler makes its tensors again at its first scale()
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

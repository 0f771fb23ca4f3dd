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
"""

from __future__ import annotations

import functools
import warnings

from torchlet._device import device as _device

__all__ = ["GradScaler", "autocast", "is_autocast_available"]

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
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
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


class GradScaler:
    """torch.amp.GradScaler where it is disabled: on 'cuda' without a GPU (torch warns), or
    with ``enabled=False``. An enabled scaler on another device is not implemented."""

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
            raise NotImplementedError(
                f"torchlet implements GradScaler only disabled (enabled=False, or 'cuda' "
                f"without a GPU), not loss scaling on '{device}'")

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None

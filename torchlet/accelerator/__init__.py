"""torchlet.accelerator, as ``torch.accelerator`` answers on a machine without one: the
current quickstart tutorial asks ``torch.accelerator.is_available()`` to pick its device.
torchlet runs on the CPU only, so there is never an accelerator; the calls that need one
raise torch's RuntimeError."""

from __future__ import annotations

__all__ = [
    "current_accelerator", "current_device_idx", "current_device_index", "current_stream",
    "device_count", "is_available", "set_device_idx", "set_device_index", "synchronize",
]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def current_accelerator(check_available: bool = False):
    """The accelerator's device type: None, as there is none."""
    return None


def current_device_index() -> int:
    raise RuntimeError(_NONE)


current_device_idx = current_device_index


def set_device_index(device) -> None:
    raise RuntimeError(_NONE)


set_device_idx = set_device_index


def current_stream(device=None):
    raise RuntimeError(_NONE)


def synchronize(device=None) -> None:
    raise RuntimeError(_NONE)

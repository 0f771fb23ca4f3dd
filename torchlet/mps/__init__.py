"""torchlet.mps: ``torch.mps`` as PyTorch's CPU-only build answers it.

There is no Apple GPU backend in torchlet: ``is_available()`` is False and
``device_count()`` 0; ``manual_seed`` returns quietly (``torch.manual_seed`` calls it on
every build); everything that needs the backend raises torch's RuntimeError
("Cannot execute ...() without MPS backend.").
"""

from __future__ import annotations

from typing import NoReturn

__all__ = [
    "current_allocated_memory", "device_count", "driver_allocated_memory", "empty_cache",
    "get_rng_state", "is_available", "manual_seed", "recommended_max_memory", "seed",
    "set_per_process_memory_fraction", "set_rng_state", "synchronize",
]


def _no_mps(what: str) -> NoReturn:
    raise RuntimeError(f"Cannot execute {what}() without MPS backend.")


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """A no-op without the MPS backend (torch returns before even converting ``seed``)."""
    return None


def seed() -> None:
    _no_mps("getDefaultGenerator")


def get_rng_state(device="mps"):  # noqa: A002 - torch's argument name
    _no_mps("getDefaultGenerator")


def set_rng_state(new_state, device="mps") -> None:  # noqa: A002
    _no_mps("getDefaultGenerator")


def synchronize() -> None:
    _no_mps("deviceSynchronize")


def empty_cache() -> None:
    _no_mps("emptyCache")


def set_per_process_memory_fraction(fraction) -> None:
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if fraction < 0 or fraction > 2:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~2")
    _no_mps("setMemoryFraction")


def current_allocated_memory() -> int:
    _no_mps("getCurrentAllocatedMemory")


def driver_allocated_memory() -> int:
    _no_mps("getDriverAllocatedMemory")


def recommended_max_memory() -> int:
    _no_mps("getRecommendedMaxMemory")

"""torchlet.cuda: ``torch.cuda`` as PyTorch's CPU-only build answers it.

torchlet computes with NumPy on the CPU, so there is never a GPU: ``is_available()`` is
False and ``device_count()`` is 0, which is what makes the usual first line of a script
(``device = "cuda" if torch.cuda.is_available() else "cpu"``) pick the CPU.

Every other function does what torch 2.13's CPU build does on a machine without a GPU:
seeding is queued for a CUDA initialisation that never comes, so it silently does nothing;
memory counters read 0; anything that needs a device raises torch's exception type with
torch's message ("Torch not compiled with CUDA enabled"); so does calling one of the legacy
CUDA tensor types (``torch.cuda.FloatTensor(3)``). Where the CPU build fails
with an AttributeError about a missing ``torch._C`` binding (set_device,
reset_peak_memory_stats), the same exception type is raised with a message that says why.
"""

from __future__ import annotations

import collections
import warnings
from typing import NoReturn

from torchlet import _dtype
from torchlet._device import device as _torch_device
from torchlet._errors import OutOfMemoryError
from torchlet._legacy_types import tensortype

__all__ = [
    "OutOfMemoryError",
    "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor",
    "IntTensor", "LongTensor", "ShortTensor",
    "Event", "Stream", "current_device", "current_stream", "default_stream", "device",
    "device_count", "device_of", "empty_cache", "get_arch_list", "get_device_capability",
    "get_device_name", "get_device_properties", "get_gencode_flags", "get_rng_state",
    "get_rng_state_all", "init", "initial_seed", "ipc_collect", "is_available",
    "is_bf16_supported", "is_initialized", "manual_seed", "manual_seed_all",
    "max_memory_allocated", "max_memory_cached", "max_memory_reserved", "mem_get_info",
    "memory_allocated", "memory_cached", "memory_reserved", "memory_stats",
    "reset_max_memory_allocated", "reset_peak_memory_stats", "seed", "seed_all",
    "set_device", "set_rng_state", "set_rng_state_all", "synchronize",
]

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def _no_cuda() -> NoReturn:
    """What torch's lazy CUDA initialisation raises in a build without CUDA."""
    raise AssertionError(_NOT_COMPILED)


def _missing_binding(name: str) -> NoReturn:
    """torch's CPU build reaches for a CUDA binding it lacks and fails with AttributeError."""
    raise AttributeError(
        f"{_NOT_COMPILED}: torch's CPU build has no binding for {name} "
        f"(AttributeError: module 'torch._C' has no attribute '{name}')"
    )


def _device_index(dev, *, optional: bool = False):
    """torch.cuda._utils._get_device_index: an int as is, a CUDA device's index (None when
    it has none and ``optional``), ValueError for another device type."""
    if isinstance(dev, str):
        dev = _torch_device(dev)
    index = None
    if isinstance(dev, _torch_device):
        if dev.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {dev}")
        index = dev.index
    if isinstance(dev, int):
        index = dev
    if index is None and not optional:
        raise ValueError(
            f"Expected a torch.device with a specified index or an integer, but got:{dev}"
        )
    return index


# ---------------------------------------------------------------------------------------
# availability


def is_available() -> bool:
    """Whether a CUDA GPU can be used: never, in torchlet."""
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def _is_compiled() -> bool:
    return False


def init() -> None:
    _no_cuda()


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def get_arch_list() -> list:
    return []


def get_gencode_flags() -> str:
    return ""


# ---------------------------------------------------------------------------------------
# devices


def current_device() -> int:
    _no_cuda()


def set_device(device) -> None:  # noqa: A002 - torch's argument name
    """A no-op for a negative index, as torch; any real device fails."""
    index = _device_index(device)
    if index >= 0:
        _missing_binding("_cuda_setDevice")


def get_device_name(device=None) -> str:  # noqa: A002
    _no_cuda()


def get_device_properties(device=None):  # noqa: A002
    _no_cuda()


def get_device_capability(device=None):  # noqa: A002
    _no_cuda()


def synchronize(device=None) -> None:  # noqa: A002
    _no_cuda()


def ipc_collect() -> None:
    _no_cuda()


def current_stream(device=None):  # noqa: A002
    _no_cuda()


def default_stream(device=None):  # noqa: A002
    _no_cuda()


class device:  # noqa: N801 - torch's name
    """Context manager selecting a CUDA device: a no-op for a negative index (as torch),
    RuntimeError for a real one."""

    def __init__(self, device):  # noqa: A002
        self.idx = _device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx < 0:  # None fails here with TypeError, as in torch
            return None
        raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, exc_type, exc_value, traceback):
        return False


class device_of(device):  # noqa: N801 - torch's name
    """``device`` of a tensor's GPU: a no-op for the CPU tensors torchlet has."""

    def __init__(self, obj):
        super().__init__(-1)


class Stream:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")


# ---------------------------------------------------------------------------------------
# random numbers: torch queues these until CUDA is initialised, which never happens


def manual_seed(seed) -> None:
    int(seed)  # torch converts first, so a bad seed still raises


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def initial_seed() -> int:
    _no_cuda()


def get_rng_state(device="cuda"):  # noqa: A002
    _no_cuda()


def set_rng_state(new_state, device="cuda") -> None:  # noqa: A002
    return None


def get_rng_state_all() -> list:
    return []


def set_rng_state_all(new_states) -> None:
    for state in new_states:
        set_rng_state(state)


# ---------------------------------------------------------------------------------------
# the legacy CUDA tensor types: they exist (``isinstance(t, torch.cuda.FloatTensor)`` is
# False for every CPU tensor), and calling one is torch's TypeError


class FloatTensor(metaclass=tensortype):
    dtype = _dtype.float32
    is_cuda = True


class DoubleTensor(metaclass=tensortype):
    dtype = _dtype.float64
    is_cuda = True


class HalfTensor(metaclass=tensortype):
    dtype = _dtype.float16
    is_cuda = True


class LongTensor(metaclass=tensortype):
    dtype = _dtype.int64
    is_cuda = True


class IntTensor(metaclass=tensortype):
    dtype = _dtype.int32
    is_cuda = True


class ShortTensor(metaclass=tensortype):
    dtype = _dtype.int16
    is_cuda = True


class CharTensor(metaclass=tensortype):
    dtype = _dtype.int8
    is_cuda = True


class ByteTensor(metaclass=tensortype):
    dtype = _dtype.uint8
    is_cuda = True


class BoolTensor(metaclass=tensortype):
    dtype = _dtype.bool
    is_cuda = True


# ---------------------------------------------------------------------------------------
# memory: nothing is ever allocated on a GPU


def empty_cache() -> None:
    return None


def memory_stats(device=None) -> collections.OrderedDict:  # noqa: A002
    return collections.OrderedDict()


def memory_allocated(device=None) -> int:  # noqa: A002
    return 0


def max_memory_allocated(device=None) -> int:  # noqa: A002
    return 0


def memory_reserved(device=None) -> int:  # noqa: A002
    return 0


def max_memory_reserved(device=None) -> int:  # noqa: A002
    return 0


def memory_cached(device=None) -> int:  # noqa: A002
    warnings.warn(
        "`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`",
        FutureWarning, stacklevel=2,
    )
    return 0


def max_memory_cached(device=None) -> int:  # noqa: A002
    warnings.warn(
        "`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
        FutureWarning, stacklevel=2,
    )
    return 0


def reset_peak_memory_stats(device=None) -> None:  # noqa: A002
    _missing_binding("_cuda_resetPeakMemoryStats")


def reset_max_memory_allocated(device=None) -> None:  # noqa: A002
    warnings.warn(
        "torch.cuda.reset_max_memory_allocated now calls torch.cuda.reset_peak_memory_stats, "
        "which resets /all/ peak memory stats.",
        FutureWarning, stacklevel=2,
    )
    reset_peak_memory_stats(device)


def mem_get_info(device=None):  # noqa: A002
    _no_cuda()

# torch.cuda.amp: deprecated aliases of torch.amp's autocast and GradScaler
from torchlet.cuda import amp  # noqa: E402

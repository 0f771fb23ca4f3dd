"""The autocast state torch keeps per device type, and its getters and setters
(torch.is_autocast_enabled, set_autocast_dtype, autocast_increment_nesting, ...).

``torch.autocast`` sets this state on entry and restores it on exit; code reads it to
know whether it runs inside autocast. torchlet keeps the same state (it does not cast:
see torchlet/amp/__init__.py). torch's default CPU (and XLA, HPU, MAIA) dtype is bfloat16,
which torchlet does not have: ``get_autocast_dtype`` answers None for those.

The deprecated per-device forms (``is_autocast_cpu_enabled``, ``get_autocast_gpu_dtype``,
...) give torch's DeprecationWarning and do the same."""

from __future__ import annotations

import warnings

from torchlet._dtype import float16

__all__ = [
    "autocast_decrement_nesting", "autocast_increment_nesting", "clear_autocast_cache",
    "get_autocast_cpu_dtype", "get_autocast_dtype", "get_autocast_gpu_dtype",
    "get_autocast_ipu_dtype", "get_autocast_xla_dtype", "is_autocast_cache_enabled",
    "is_autocast_cpu_enabled", "is_autocast_enabled", "is_autocast_ipu_enabled",
    "is_autocast_xla_enabled", "set_autocast_cache_enabled", "set_autocast_cpu_dtype",
    "set_autocast_cpu_enabled", "set_autocast_dtype", "set_autocast_enabled",
    "set_autocast_gpu_dtype", "set_autocast_ipu_dtype", "set_autocast_ipu_enabled",
    "set_autocast_xla_dtype", "set_autocast_xla_enabled",
]

_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_BFLOAT16 = None  # torchlet has no bfloat16 (torch's default for these devices)
# the device types autocast knows, with torch's default dtype (hip: a dtype but no switch)
_DEFAULT_DTYPES = {"cpu": _BFLOAT16, "cuda": float16, "ipu": float16, "xpu": float16,
                   "hip": float16, "maia": _BFLOAT16, "xla": _BFLOAT16, "mps": float16,
                   "hpu": _BFLOAT16, "mtia": float16, "privateuseone": float16}

_enabled: dict[str, bool] = {}
_dtypes: dict[str, object] = dict(_DEFAULT_DTYPES)
_cache_enabled = True
_nesting = 0


def _device_type(device_type, fn: str, position: int = 1) -> str:
    """The type of a device string ('cuda:0' -> 'cuda'), with torch's errors."""
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position {position}) must be str, "
                        f"not {type(device_type).__name__}")
    kind, sep, index = device_type.partition(":")
    if kind not in _DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at start "
                           f"of device string: {device_type}")
    if sep and not index.isdigit():
        raise RuntimeError(f"Invalid device string: '{device_type}'")
    return kind


def _switchable(kind: str) -> str:
    if kind not in _DEFAULT_DTYPES or kind == "hip":
        raise RuntimeError("unknown device type for autocast in "
                           "get_autocast_dispatch_key_from_device_type")
    return kind


def is_autocast_enabled(device_type="cuda") -> bool:
    """Whether autocast is on for ``device_type`` (no argument: 'cuda', as torch)."""
    return _enabled.get(_switchable(_device_type(device_type, "is_autocast_enabled")), False)


def set_autocast_enabled(device_type, enabled=None) -> None:
    """``set_autocast_enabled(device_type, enabled)``, or ``set_autocast_enabled(enabled)``
    for 'cuda'."""
    if enabled is None and isinstance(device_type, bool):
        device_type, enabled = "cuda", device_type
    if not isinstance(enabled, bool):
        raise TypeError("set_autocast_enabled(): argument 'enabled' (position 2) must be "
                        f"bool, not {type(enabled).__name__}")
    _enabled[_switchable(_device_type(device_type, "set_autocast_enabled"))] = enabled


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on ``device_type`` (None for torch's bfloat16)."""
    kind = _device_type(device_type, "get_autocast_dtype")
    if kind not in _dtypes:
        raise RuntimeError("unsupported scalarType")
    return _dtypes[kind]


def set_autocast_dtype(device_type, dtype) -> None:
    """Set the dtype autocast casts to on ``device_type`` (torch checks nothing more)."""
    _dtypes[_device_type(device_type, "set_autocast_dtype")] = dtype


def is_autocast_cache_enabled() -> bool:
    return _cache_enabled


def set_autocast_cache_enabled(enabled) -> None:
    global _cache_enabled
    if not isinstance(enabled, bool):
        raise TypeError("set_autocast_cache_enabled(): argument 'enabled' (position 1) must "
                        f"be bool, not {type(enabled).__name__}")
    _cache_enabled = enabled


def clear_autocast_cache() -> None:
    """torch drops the casts of weights it cached inside autocast; torchlet caches none."""


def autocast_increment_nesting() -> int:
    """One more autocast region entered; returns the depth (torch.autocast calls it)."""
    global _nesting
    _nesting += 1
    return _nesting


def autocast_decrement_nesting() -> int:
    """One autocast region left; returns the depth (torch lets it go negative)."""
    global _nesting
    _nesting -= 1
    return _nesting


# ---------------------------------------------------------------------------------------
# the deprecated per-device forms


def _deprecated(old: str, new: str, line: int) -> None:
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead. (Triggered "
                  f"internally at /__w/pytorch/pytorch/torch/csrc/autograd/init.cpp:{line}.)",
                  DeprecationWarning, stacklevel=3)


def is_autocast_cpu_enabled() -> bool:
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')", 883)
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled) -> None:
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)",
                874)
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')", 1016)
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)", 967)
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')", 1007)
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype) -> None:
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)", 952)
    set_autocast_dtype("cuda", dtype)


def is_autocast_ipu_enabled() -> bool:
    _deprecated("is_autocast_ipu_enabled()", "is_autocast_enabled('ipu')", 909)
    return is_autocast_enabled("ipu")


def set_autocast_ipu_enabled(enabled) -> None:
    _deprecated("set_autocast_ipu_enabled(enabled)", "set_autocast_enabled('ipu', enabled)",
                900)
    set_autocast_enabled("ipu", enabled)


def get_autocast_ipu_dtype():
    _deprecated("get_autocast_ipu_dtype()", "get_autocast_dtype('ipu')", 1025)
    return get_autocast_dtype("ipu")


def set_autocast_ipu_dtype(dtype) -> None:
    _deprecated("set_autocast_ipu_dtype(dtype)", "set_autocast_dtype('ipu', dtype)", 982)
    set_autocast_dtype("ipu", dtype)


def is_autocast_xla_enabled() -> bool:
    _deprecated("is_autocast_xla_enabled()", "is_autocast_enabled('xla')", 935)
    return is_autocast_enabled("xla")


def set_autocast_xla_enabled(enabled) -> None:
    _deprecated("set_autocast_xla_enabled(enabled)", "set_autocast_enabled('xla', enabled)",
                926)
    set_autocast_enabled("xla", enabled)


def get_autocast_xla_dtype():
    _deprecated("get_autocast_xla_dtype()", "get_autocast_dtype('xla')", 1034)
    return get_autocast_dtype("xla")


def set_autocast_xla_dtype(dtype) -> None:
    _deprecated("set_autocast_xla_dtype(dtype)", "set_autocast_dtype('xla', dtype)", 997)
    set_autocast_dtype("xla", dtype)

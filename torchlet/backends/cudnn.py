"""torchlet.backends.cudnn: cuDNN's switches, as torch's build without CUDA has them.

cuDNN is never available (``is_available()`` False, ``version()`` None). The flags keep
torch's defaults (enabled True, benchmark False, deterministic False, allow_tf32 True,
benchmark_limit None), can be set and read back (``cudnn.deterministic = True`` in a
reproducibility preamble), and refuse non-bool values with torch's RuntimeError. They
change nothing: torchlet never calls cuDNN.
"""

from __future__ import annotations

import contextlib
import sys

from torchlet.backends._flags import BoolFlag, FlagModule

__all__ = ["flags", "is_acceptable", "is_available", "set_flags", "version"]

benchmark_limit = None  # torch keeps a plain attribute when cuDNN is missing


def is_available() -> bool:
    return False


def version():
    """The cuDNN version: None, as no cuDNN is loaded."""
    return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would handle ``tensor``: never (it is not on a CUDA device)."""
    return False


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None):
    """Set the given flags (None leaves one as it is); return the previous values."""
    module = sys.modules[__name__]
    previous = (module.enabled, module.benchmark, None, module.deterministic,
                module.allow_tf32)
    for name, value in (("enabled", _enabled), ("benchmark", _benchmark),
                        ("deterministic", _deterministic), ("allow_tf32", _allow_tf32)):
        if value is not None:
            setattr(module, name, value)
    return previous


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Set the flags inside the block (torch's defaults here, enabled=False included)."""
    previous = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*previous)


class _CudnnModule(FlagModule):
    enabled = BoolFlag("set_enabled_cudnn", True)
    benchmark = BoolFlag("set_benchmark_cudnn", False)
    deterministic = BoolFlag("set_deterministic_cudnn", False)
    allow_tf32 = BoolFlag("set_allow_tf32_cublas", True)  # sic: torch's message says cublas


sys.modules[__name__].__class__ = _CudnnModule

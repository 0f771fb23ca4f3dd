"""Process-wide settings a PyTorch script may read or change: threads, determinism,
matmul precision, the default device, warnings; and ``torch.compile``.

torchlet computes with NumPy on the CPU, so most of these only record the choice (and
check it as torch does). Three act: ``set_num_threads`` sets the thread count of the
OpenBLAS that NumPy uses, ``set_default_device`` (and ``with torch.device(...)``) picks
the CPU or the meta device for new tensors, and
``use_deterministic_algorithms(True)`` fills uninitialised memory (``fill_uninitialized``).
"""

from __future__ import annotations

import ctypes
import functools
import os
import warnings

import numpy as np

from torchlet._device import CPU, device, is_meta_device
from torchlet._dtype import type_name

# ---------------------------------------------------------------------------------------
# threads


class _Settings:
    """Everything set below (one object, so tests can see and restore it)."""

    def __init__(self):
        self.num_threads = None  # None: torch's default, the usable cores
        self.num_interop_threads = None
        self.deterministic = False
        self.deterministic_warn_only = False
        self.fill_uninitialized_memory = True  # torch.utils.deterministic's switch
        self.matmul_precision = "highest"
        self.default_device = CPU
        self.warn_always = False


SETTINGS = _Settings()


@functools.cache  # torch settles it once; the affinity query costs 2.5 us per sum
def _default_num_threads() -> int:
    """What torch starts with: MKL_NUM_THREADS, else OMP_NUM_THREADS, else the CPU cores
    this process may run on; never more than those cores (measured: MKL_NUM_THREADS=5 on
    2 cores gives 2, OMP_NUM_THREADS=5 MKL_NUM_THREADS=1 gives 1)."""
    cores = _usable_cores()
    for name in ("MKL_NUM_THREADS", "OMP_NUM_THREADS"):  # torch lets MKL's win
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return min(int(value), cores)
    return cores


def _usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _check_thread_count(name: str, n) -> int:
    if type(n) is not int:
        raise RuntimeError(f"{name} expects an int, but got {type_name(n)}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return n


# NumPy's wheels build OpenBLAS with 64-bit integers and a ``scipy_`` prefix; conda and
# system builds use the plain names.
_SET_THREADS_SYMBOLS = (
    "scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
    "openblas_set_num_threads", "scipy_openblas_set_num_threads",
)


@functools.cache
def _blas_set_num_threads():
    """OpenBLAS's ``set_num_threads(int)`` in the library NumPy loaded, or None."""
    from torchlet._ops.pointwise._fused import _openblas_paths

    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in _SET_THREADS_SYMBOLS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter.argtypes = [ctypes.c_int]
                setter.restype = None
                return setter
    return None


def set_num_threads(n: int) -> None:
    """Threads for work inside one operation: here, OpenBLAS's matrix products."""
    SETTINGS.num_threads = _check_thread_count("set_num_threads", n)
    setter = _blas_set_num_threads()
    if setter is not None:
        setter(n)


def get_num_threads() -> int:
    if SETTINGS.num_threads is None:
        return _default_num_threads()
    return SETTINGS.num_threads


def set_num_interop_threads(n: int) -> None:
    """Recorded only (torchlet runs operations one at a time). As in torch, it can be
    called once."""
    _check_thread_count("set_num_interop_threads", n)
    if SETTINGS.num_interop_threads is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or "
            "set_num_interop_threads called"
        )
    SETTINGS.num_interop_threads = n


def get_num_interop_threads() -> int:
    if SETTINGS.num_interop_threads is None:
        return _usable_cores()  # torch's default ignores OMP_NUM_THREADS/MKL_NUM_THREADS
    return SETTINGS.num_interop_threads


# ---------------------------------------------------------------------------------------
# determinism: every torchlet operation is deterministic already, so the mode is recorded;
# what it changes is the memory that torch.empty and its kin hand out


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    if type(mode) is not bool:
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
            f"not {type_name(mode)}"
        )
    if type(warn_only) is not bool:
        raise TypeError(
            "_set_deterministic_algorithms(): argument 'warn_only' must be bool, not "
            f"{type_name(warn_only)}"
        )
    SETTINGS.deterministic = mode
    SETTINGS.deterministic_warn_only = warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return SETTINGS.deterministic


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return SETTINGS.deterministic_warn_only


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """0 / "default": off; 1 / "warn": warn_only; 2 / "error": on."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(
                "invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                f"but got {debug_mode}"
            )
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(
            f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}"
        )
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not SETTINGS.deterministic:
        return 0
    return 1 if SETTINGS.deterministic_warn_only else 2


def fill_uninitialized(data: np.ndarray) -> np.ndarray:
    """``data`` (new memory whose values are undefined: torch.empty, empty_like,
    empty_strided, the part a resize_ adds) filled as torch fills it under
    ``use_deterministic_algorithms(True)`` while ``torch.utils.deterministic.
    fill_uninitialized_memory`` is on (the default): NaN for floating and complex dtypes
    (the imaginary part 0), the largest value for integers, True for bool. A script that
    reads such memory before writing it then sees the same values on every run."""
    if SETTINGS.deterministic and SETTINGS.fill_uninitialized_memory:
        kind = data.dtype.kind
        if kind in "fc":
            data.fill(np.nan)
        elif kind == "b":
            data.fill(True)
        else:
            data.fill(np.iinfo(data.dtype).max)
    return data


def get_deterministic_fill_uninitialized_memory() -> bool:
    return SETTINGS.fill_uninitialized_memory


def set_deterministic_fill_uninitialized_memory(mode: bool) -> None:
    if type(mode) is not bool:
        raise RuntimeError(f"expected a bool, but got {type_name(mode)}")
    SETTINGS.fill_uninitialized_memory = mode


# ---------------------------------------------------------------------------------------
# matmul precision: NumPy multiplies float32 in float32 ("highest") whatever is asked


def set_float32_matmul_precision(precision: str) -> None:
    if not isinstance(precision, str):
        raise RuntimeError(
            f"set_float32_matmul_precision expects a str, but got {type_name(precision)}"
        )
    if precision not in ("highest", "high", "medium"):
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
            "setFloat32MatmulPrecision call has no effect.",
            UserWarning, stacklevel=2,
        )
        return
    SETTINGS.matmul_precision = precision


def get_float32_matmul_precision() -> str:
    return SETTINGS.matmul_precision


# ---------------------------------------------------------------------------------------
# devices


def set_default_device(device) -> None:  # noqa: A002 - torch's argument name
    """The device of new tensors and modules when none is named: the CPU or ``meta``. Any
    other device is refused now, with the error torch gives (later, at the first factory
    call) on a machine without it. None resets."""
    if device is None:
        SETTINGS.default_device = CPU
        return
    chosen = _device_of(device)
    is_meta_device(chosen)  # (refuses the devices torchlet lacks)
    SETTINGS.default_device = chosen


# the default devices that open ``with torch.device(...)`` blocks replaced, innermost last
_REPLACED_DEVICES: list[device] = []


def push_default_device(device) -> None:  # noqa: A002
    """``torch.device.__enter__``: ``device`` becomes the default until the block ends."""
    previous = SETTINGS.default_device
    set_default_device(device)
    _REPLACED_DEVICES.append(previous)


def pop_default_device() -> None:
    """``torch.device.__exit__``: the default device the block replaced comes back."""
    if not _REPLACED_DEVICES:
        raise RuntimeError("trying to pop from empty mode stack")
    SETTINGS.default_device = _REPLACED_DEVICES.pop()


def _device_of(value):
    from torchlet._device import device as device_type

    return value if isinstance(value, device_type) else device_type(value)


def get_default_device() -> device:
    return SETTINGS.default_device


def get_device(input) -> int:  # noqa: A002
    """-1: the index torch gives a CPU tensor."""
    from torchlet._tensor import Tensor

    if not isinstance(input, Tensor):
        raise TypeError(
            "get_device(): argument 'input' (position 1) must be Tensor, not "
            f"{type_name(input)}"
        )
    return -1


# ---------------------------------------------------------------------------------------
# warnings, type names, storages


def set_warn_always(b: bool, /) -> None:
    """Ask warnings that torch gives once per process to be given every time."""
    if type(b) is not bool:
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type_name(b)}")
    SETTINGS.warn_always = b


def is_warn_always_enabled() -> bool:
    return SETTINGS.warn_always


def is_storage(obj, /) -> bool:
    """True for an UntypedStorage or a TypedStorage (torchlet.storage)."""
    from torchlet.storage import TypedStorage, UntypedStorage

    return isinstance(obj, (UntypedStorage, TypedStorage))


# ---------------------------------------------------------------------------------------
# torch.compile: there is no compiler; the model or function runs as written

_COMPILE_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs",
                  "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor",  # noqa: A001
            mode=None, options=None, name=None, disable=False, recompile_limit=None,
            isolate_recompiles=False, shapes_spec=None):
    """``compile(model)`` returns ``model`` itself; ``@compile(mode=...)`` returns a
    decorator that does the same. The arguments are checked as torch checks them."""
    if mode is not None and options is not None:
        raise RuntimeError(
            "Either mode or options can be specified, but both can't be specified at the "
            "same time."
        )
    if mode is not None and mode not in _COMPILE_MODES:
        raise RuntimeError(
            f"Unrecognized mode={mode}, should be one of: {', '.join(_COMPILE_MODES)}"
        )
    if model is None:
        return functools.partial(
            compile, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
            options=options, name=name, disable=disable, recompile_limit=recompile_limit,
            isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec,
        )
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model

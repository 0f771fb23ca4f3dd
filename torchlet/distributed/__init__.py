"""torch.distributed, for scripts that import it and then run in a single process.

torchlet cannot communicate between processes, so no process group can ever be
initialised: ``is_available()`` is False (torch's CPU wheels say True, but they can
actually start a gloo group, which torchlet cannot), ``is_initialized()`` is False,
``init_process_group`` raises, and the functions that need the default group raise torch's
error for a group that was never initialised.
"""

from typing import NoReturn

__all__ = [
    "destroy_process_group", "get_rank", "get_world_size", "init_process_group",
    "is_available", "is_initialized",
]


def is_available() -> bool:
    """False: torchlet has no communication backend (gloo, nccl, mpi)."""
    return False


def is_initialized() -> bool:
    """Whether the default process group is initialised: never, in torchlet."""
    return False


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None) -> NoReturn:
    raise RuntimeError(
        "torchlet does not implement torch.distributed: it runs in a single process and has "
        "no communication backend, so init_process_group cannot start a process group")


def _default_group_missing() -> NoReturn:
    raise ValueError("Default process group has not been initialized, please make sure to "
                     "call init_process_group.")


def destroy_process_group(group=None) -> NoReturn:
    """torch asserts that there is a group to destroy; there never is."""
    raise AssertionError("Process group cannot be None")


def get_rank(group=None) -> NoReturn:
    _default_group_missing()


def get_world_size(group=None) -> NoReturn:
    _default_group_missing()

"""Timer: ``timeit`` on a Python statement, returning a ``Measurement`` (torch's interface;
the statement runs in torchlet, so the times are torchlet's)."""

from __future__ import annotations

import textwrap
import timeit as _timeit

from torchlet.utils.benchmark.utils.common import Measurement, TaskSpec

__all__ = ["Timer"]


def _clean(code: str) -> str:
    """Dedented, without the leading newline of a block string or trailing space."""
    code = textwrap.dedent(code)
    return (code[1:] if code.startswith("\n") else code).rstrip()


class Timer:
    """Times ``stmt`` (after ``setup``) with ``globals``, as torch.utils.benchmark.Timer.
    ``num_threads`` is recorded and printed only (torch sets its intra-op threads with it;
    torchlet's NumPy kernels are not re-threaded)."""

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer=_timeit.default_timer, globals=None, label=None,  # noqa: A002
                 sub_label=None, description=None, env=None, num_threads: int = 1,
                 language="python"):
        import torchlet

        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("python", "py"):
            raise ValueError(f"Invalid language `{language}`.")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely "
                             "this code can simply be moved to `setup`.")
        # a copy, so that exec's __builtins__ does not leak; torch is there for convenience
        namespace = dict(globals or {})
        namespace.setdefault("torch", torchlet)
        stmt, setup = _clean(stmt), _clean(setup)
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=namespace)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup,
                                   label=label, sub_label=sub_label, description=description,
                                   env=env, num_threads=num_threads)

    def _timeit(self, number: int) -> float:
        # no real statement takes under 1 ns; this also prevents dividing by zero
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number: int = 1000000) -> Measurement:
        """``stmt`` run ``number`` times after a warm-up of ``number // 100`` (at least 2)."""
        self._timeit(max(number // 100, 2))
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of ``number`` runs, ``number`` grown tenfold until the timer's overhead is
        under 0.01% of a block, repeated until ``min_run_time`` seconds have been spent."""
        number = self._block_size(min_run_time)
        times, total = [], 0.0
        while total < min_run_time:
            spent = self._timeit(number)
            times.append(spent)
            total += spent
            if callback:
                callback(number, spent)
        return Measurement(number, times, self._task_spec)

    def _block_size(self, min_run_time: float) -> int:
        overhead = sorted(self._timeit(0) for _ in range(5))[2]
        number = 1
        while True:
            taken = self._timeit(number)
            if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                return number
            if taken > min_run_time or number * 10 > 2147483647:
                return number
            number *= 10

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

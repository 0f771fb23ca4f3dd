"""Switching graph recording on and off: no_grad, enable_grad, set_grad_enabled,
inference_mode. Each works as a context manager and as a decorator.

The switch is one process-wide flag (torch keeps one per thread; torchlet runs
operations on one thread, and DataLoader workers are processes).
"""

from __future__ import annotations

import functools


class _GradState:
    __slots__ = ("enabled", "inference")

    def __init__(self):
        self.enabled = True
        self.inference = False


GRAD_STATE = _GradState()


def is_grad_enabled() -> bool:
    return GRAD_STATE.enabled


def is_inference_mode_enabled() -> bool:
    return GRAD_STATE.inference


class _GradModeContext:
    """Base: set the flag on enter, restore it on exit; usable as a decorator."""

    _target = True

    def __enter__(self):
        self._prev = GRAD_STATE.enabled
        GRAD_STATE.enabled = self._target

    def __exit__(self, *exc):
        GRAD_STATE.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class _NoParamDecorator(_GradModeContext):
    """Also usable bare, ``@no_grad`` without parentheses, as torch allows."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecorator):  # noqa: N801 - torch's name
    """Operations inside record no graph: results have requires_grad=False."""

    _target = False


class enable_grad(_NoParamDecorator):  # noqa: N801
    """Turn recording back on, e.g. inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """``set_grad_enabled(mode)``: takes effect at once (as torch does), and restores the
    previous mode when used as a context manager."""

    def __init__(self, mode: bool):
        self._prev = GRAD_STATE.enabled
        self._target = bool(mode)
        GRAD_STATE.enabled = self._target

    def __enter__(self):
        pass

    def __call__(self, func):
        GRAD_STATE.enabled = self._prev  # as a decorator it must not change the mode now
        return super().__call__(func)

    def clone(self):
        return type(self)(self._target)


class inference_mode(_GradModeContext):  # noqa: N801
    """Like ``no_grad`` (torch's extra inference-tensor checks are not modelled)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode on a function

    def __init__(self, mode: bool = True):
        self._target = not mode

    def __enter__(self):
        self._prev_inference = GRAD_STATE.inference
        GRAD_STATE.inference = not self._target
        super().__enter__()

    def __exit__(self, *exc):
        GRAD_STATE.inference = self._prev_inference
        return super().__exit__(*exc)

    def clone(self):
        return type(self)(not self._target)

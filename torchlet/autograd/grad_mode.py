"""Switching graph recording on and off: no_grad, enable_grad, set_grad_enabled,
inference_mode. Each works as a context manager and as a decorator.

The switch is one process-wide flag (torch keeps one per thread; torchlet runs
operations on one thread, and DataLoader workers are processes).
"""

from __future__ import annotations

import functools
import inspect
import sys

from torchlet._dtype import type_name


class _GradState:
    """``enabled``: whether operations record a graph (what the ops test). Inside
    inference mode nothing records, whatever the grad mode: the grad mode a user sets
    there (``enable_grad`` inside ``inference_mode``) is kept in ``requested``, which
    ``is_grad_enabled`` reports, and recording stays off."""

    __slots__ = ("enabled", "inference", "requested")

    def __init__(self):
        self.enabled = True
        self.inference = False
        self.requested = False


GRAD_STATE = _GradState()


def is_grad_enabled() -> bool:
    return GRAD_STATE.requested if GRAD_STATE.inference else GRAD_STATE.enabled


def _set_grad_mode(mode: bool) -> None:
    if GRAD_STATE.inference:
        GRAD_STATE.requested = mode  # (recording stays off)
    else:
        GRAD_STATE.enabled = mode


def is_inference_mode_enabled() -> bool:
    return GRAD_STATE.inference


class _GradModeContext:
    """Base: set the flag on enter, restore it on exit; usable as a decorator."""

    _target = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set_grad_mode(self._target)

    def __exit__(self, *exc):
        _set_grad_mode(self._prev)
        return False

    def __call__(self, func):
        """Decorate ``func``: each call runs inside a fresh copy of this context (torch's
        ``context_decorator``); a generator function holds the mode while it runs."""
        factory = self.clone
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(factory, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with factory():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


def _wrap_generator(factory, func):
    """torch's ``_wrap_generator``: the mode is set around each resumption of the
    generator and restored whenever it yields back to its caller."""

    @functools.wraps(func)
    def generator_context(*args, **kwargs):
        gen = func(*args, **kwargs)
        try:
            with factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with factory():
                        gen.close()
                    raise
                except BaseException:
                    with factory():
                        response = gen.throw(*sys.exc_info())
                else:
                    with factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


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
    previous mode when used as a context manager. ``mode`` must be a bool, as in torch."""

    def __init__(self, mode: bool):
        if type(mode) is not bool:
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                f"{type_name(mode)}"
            )
        self._prev = is_grad_enabled()
        self.mode = self._target = mode
        _set_grad_mode(mode)

    def __enter__(self):
        _set_grad_mode(self._target)

    def __repr__(self):
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    def __call__(self, func):
        _set_grad_mode(self._prev)  # as a decorator it must not change the mode now
        return super().__call__(func)

    def clone(self):
        return type(self)(self._target)


class inference_mode(_GradModeContext):  # noqa: N801
    """``no_grad``, and every tensor made inside is an inference tensor (``is_inference()``):
    outside the mode it cannot be updated in place, saved for backward or given
    ``requires_grad=True``. ``inference_mode(False)`` turns both off again (grad mode on)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode on a function

    def __init__(self, mode: bool = True):
        self.mode = mode
        self._target = not mode

    def __enter__(self):
        state = GRAD_STATE
        self._prev_state = (state.enabled, state.inference, state.requested)
        state.inference = self.mode
        state.enabled = state.requested = self._target  # (grad mode off in inference mode)

    def __exit__(self, *exc):
        GRAD_STATE.enabled, GRAD_STATE.inference, GRAD_STATE.requested = self._prev_state
        return False

    def clone(self):
        return type(self)(not self._target)

"""Autograd machinery against torch (helper autograd2): a non-reentrant checkpoint's
inputs are saved tensors (packed by the saved_tensors_hooks around the call, unpacked for
each recomputation), and a custom Function's ``ctx.save_for_forward``."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import torchlet


def _hooks(T, log):
    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad))
        return t

    def unpack(t):
        log.append(("unpack", tuple(t.shape)))
        return t

    return T.autograd.graph.saved_tensors_hooks(pack, unpack)


def _inputs_under_outer_hooks(T):
    log = []
    x = T.tensor([0.5, -1.0, 2.0, 0.25], dtype=T.float64, requires_grad=True)
    w = T.tensor([1.0, 2.0, 3.0], dtype=T.float64)

    def f(a, b, k, c=None):
        return a.sin().sum() * b.sum() * k

    with _hooks(T, log):
        y = T.utils.checkpoint.checkpoint(f, x, w, 2.0, c=T.ones(2), use_reentrant=False)
    log.append("backward")
    y.backward()
    return log, x.grad


def test_checkpoint_inputs_are_packed_by_outer_hooks():
    # the two tensor arguments (not the number, not the keyword) are packed before the
    # forward runs (sin's input is saved by the checkpoint's own hooks, not these), and
    # unpacked when the backward recomputes; the gradient is unchanged
    log, grad = _inputs_under_outer_hooks(torchlet)
    assert log == [("pack", (4,), True), ("pack", (3,), False), "backward",
                   ("unpack", (4,)), ("unpack", (3,))]
    x = np.array([0.5, -1.0, 2.0, 0.25])
    np.testing.assert_allclose(grad.numpy(), np.cos(x) * 6.0 * 2.0, rtol=1e-15)
    torch = pytest.importorskip("torch")
    t_log, t_grad = _inputs_under_outer_hooks(torch)
    assert log == t_log
    np.testing.assert_array_equal(grad.numpy(), t_grad.numpy())


def _unpacked_value_is_recomputed_from(T):
    x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
    calls = []

    def pack(t):
        calls.append("pack")
        return "token"

    def unpack(token):
        calls.append("unpack " + token)
        return T.zeros(3)

    with T.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = T.utils.checkpoint.checkpoint(lambda a: a.sin(), x, use_reentrant=False)
    y.sum().backward()
    return calls, x.grad


def test_checkpoint_recomputes_from_what_unpack_returns():
    # the recomputation runs on the unpacked zeros: d sin(a)/da at 0 is 1
    calls, grad = _unpacked_value_is_recomputed_from(torchlet)
    assert calls == ["pack", "unpack token"]
    assert grad.tolist() == [1.0, 1.0, 1.0]
    torch = pytest.importorskip("torch")
    t_calls, t_grad = _unpacked_value_is_recomputed_from(torch)
    assert (calls, grad.tolist()) == (t_calls, t_grad.tolist())


def _modified_input(T, with_hooks):
    x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
    z = x * 1
    ctx = _hooks(T, []) if with_hooks else contextlib.nullcontext()
    with ctx:
        y = T.utils.checkpoint.checkpoint(lambda a: a.sin(), z, use_reentrant=False)
    z.add_(1)
    try:
        y.sum().backward()
    except RuntimeError as e:
        return type(e).__name__
    return x.grad.tolist()


def test_checkpoint_input_version_checked_only_without_hooks():
    # without hooks the input is saved as is and an in-place change is torch's
    # version-counter error; a tensor a hook packed is the hook's business (no check),
    # so the recomputation sees the changed values
    assert _modified_input(torchlet, False) == "RuntimeError"
    expected = np.cos(np.array([1.5, 0.0, 3.0], np.float32)).tolist()
    np.testing.assert_allclose(_modified_input(torchlet, True), expected, rtol=1e-6)
    torch = pytest.importorskip("torch")
    assert _modified_input(torch, False) == "RuntimeError"
    assert _modified_input(torchlet, True) == _modified_input(torch, True)


def test_pack_hook_may_not_modify_checkpoint_input():
    x = torchlet.ones(3, requires_grad=True)

    def pack(t):
        t.mul_(2)
        return t

    z = x * 1
    with torchlet.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with pytest.raises(RuntimeError, match="pack hook is modifying its input in place"):
            torchlet.utils.checkpoint.checkpoint(lambda a: a.sin(), z, use_reentrant=False)


def _nested(T, reentrant_outer, reentrant_inner, early_stop, with_hooks, use_grad):
    log = []
    x = T.tensor([0.3, -0.7, 1.1, 2.0], dtype=T.float64, requires_grad=True)
    w = T.tensor([1.5, -0.5, 0.25, 1.0], dtype=T.float64, requires_grad=True)
    checkpoint = T.utils.checkpoint.checkpoint

    def inner(a):
        log.append("inner")
        return (a * w).sin().exp()

    def outer(a):
        log.append("outer")
        return checkpoint(inner, a.cos(), use_reentrant=reentrant_inner) * a

    ctx = _hooks(T, log) if with_hooks else contextlib.nullcontext()
    with ctx:
        with T.utils.checkpoint.set_checkpoint_early_stop(early_stop):
            y = checkpoint(outer, x, use_reentrant=reentrant_outer)
        z = y.sin()
    log.append("backward")
    if use_grad:
        grads = T.autograd.grad(z.sum(), [x, w])
    else:
        z.sum().backward()
        grads = (x.grad, w.grad)
    return log, [g.tolist() for g in grads]


def _plain_grads():
    x = torchlet.tensor([0.3, -0.7, 1.1, 2.0], dtype=torchlet.float64, requires_grad=True)
    w = torchlet.tensor([1.5, -0.5, 0.25, 1.0], dtype=torchlet.float64, requires_grad=True)
    ((x.cos() * w).sin().exp() * x).sin().sum().backward()
    return [x.grad.tolist(), w.grad.tolist()]


# a fixed sample of the 32 nestings (reentrant outer/inner, early stop, outer hooks,
# autograd.grad); autograd.grad cannot run through a reentrant checkpoint
_RNG = np.random.default_rng(19)
_NESTINGS = sorted({tuple(bool(b) for b in _RNG.integers(0, 2, 5)) for _ in range(14)})


@pytest.mark.parametrize("config", _NESTINGS)
def test_nested_checkpoints_sampled(config):
    reentrant = config[0] or config[1]
    if config[4] and reentrant:
        with pytest.raises(RuntimeError, match="use_reentrant=True"):
            _nested(torchlet, *config)
        log = None
    else:
        log, grads = _nested(torchlet, *config)
        np.testing.assert_allclose(grads, _plain_grads(), rtol=1e-13)
        if config[3] and not config[0]:  # the outer checkpoint's input is packed first
            assert log[0] == ("pack", (4,), True)
    torch = pytest.importorskip("torch")
    if log is None:
        with pytest.raises(RuntimeError, match="use_reentrant=True"):
            _nested(torch, *config)
        return
    t_log, t_grads = _nested(torch, *config)
    assert log == t_log
    np.testing.assert_allclose(grads, t_grads, rtol=1e-13)


def _save_for_forward(T):
    seen = []

    class Square(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, None)
            seen.append(len(ctx.saved_for_forward))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.saved_for_forward)
            (x,) = ctx.saved_tensors
            return 2 * x * g

    a = T.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = Square.apply(a)
    y.sum().backward()
    return seen, a.grad.tolist()


def test_custom_function_save_for_forward():
    # kept during forward, cleared (None) once apply returns, as torch's ctx
    seen, grad = _save_for_forward(torchlet)
    assert seen == [2, None]
    assert grad == [2.0, -4.0, 6.0]

    class Bad(torchlet.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_forward(x, 3)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(AssertionError, match="save_for_forward expects all arguments"):
        Bad.apply(torchlet.ones(2, requires_grad=True))
    torch = pytest.importorskip("torch")
    assert _save_for_forward(torch) == (seen, grad)

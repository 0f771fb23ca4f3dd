"""Anomaly mode, post-accumulate-grad hooks and the legacy Variable, against torch.

Every scenario is written once as ``fn(lib)`` and run on torchlet and (when importable)
torch; the results compared are exception types and messages, booleans, gradients of a
few float32 multiplications (bit-exact: one rounding each, the same in both) and the
order in which hooks run.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")


def outcome(fn, lib):
    """What ``fn(lib)`` returns, or (exception type name, message) if it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn(lib)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return (type(e).__name__, str(e))


def same(fn):
    ours, theirs = outcome(fn, torchlet), outcome(fn, torch)
    assert _plain(ours) == _plain(theirs), (ours, theirs)
    return ours


def _plain(value):
    """Tensors as (dtype, shape, each value's repr), so that results of both libraries
    compare bit for bit, NaN equal to NaN and -0.0 unequal to 0.0."""
    if isinstance(value, (torchlet.Tensor, torch.Tensor)):
        array = value.detach().numpy()
        return (str(value.dtype).split(".")[-1], array.shape,
                [repr(float(v)) for v in array.ravel()])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


@pytest.fixture(autouse=True)
def _anomaly_off():
    yield
    torchlet.set_anomaly_enabled(False)
    torch.set_anomaly_enabled(False)


# ---------------------------------------------------------------------------------------
# anomaly mode


def _nan_mul(t):
    x = t.tensor([0.0, 1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        (x * t.tensor([float("nan"), 1.0])).sum().backward()


def _nan_sqrt(t):
    x = t.tensor([0.0, 1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        (x.sqrt() * 0).sum().backward()


def _nan_second_input(t):
    a = t.tensor([1.0], requires_grad=True)
    b = t.tensor([1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        ((a / (b * 0)).sum() * 0).backward()


def _nan_root_gradient(t):
    a = t.tensor([1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        (a * 2).sum().backward(t.tensor(float("nan")))


def _nan_custom_function(t):
    class Nan(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    a = t.tensor([1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        Nan.apply(a).sum().backward()


def _nan_autograd_grad(t):
    a = t.tensor([1.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        t.autograd.grad((a * float("nan")).sum(), a)


def _nan_not_checked(t):
    x = t.tensor([0.0, 1.0], requires_grad=True)
    with t.autograd.detect_anomaly(check_nan=False):
        (x * t.tensor([float("nan"), 1.0])).sum().backward()
    return x.grad


def _nan_mode_off(t):
    x = t.tensor([0.0, 1.0], requires_grad=True)
    (x * t.tensor([float("nan"), 1.0])).sum().backward()
    return x.grad


def _inf_is_no_anomaly(t):
    x = t.tensor([0.0, 4.0], requires_grad=True)
    with t.autograd.detect_anomaly():
        x.sqrt().sum().backward()
    return x.grad


@pytest.mark.parametrize("scenario", [
    _nan_mul, _nan_sqrt, _nan_second_input, _nan_root_gradient, _nan_custom_function,
    _nan_autograd_grad, _nan_not_checked, _nan_mode_off, _inf_is_no_anomaly,
])
def test_nan_detection_as_torch(scenario):
    same(scenario)


def test_nan_message_names_the_node():
    assert same(_nan_mul) == (
        "RuntimeError", "Function 'MulBackward0' returned nan values in its 0th output.")


def test_flags_and_context_managers():
    def flags(t):
        seen = [(t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled())]
        with t.autograd.detect_anomaly(check_nan=False):
            seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        t.autograd.set_detect_anomaly(True)
        seen.append(t.is_anomaly_enabled())
        t.autograd.set_detect_anomaly(False)
        with t.autograd.set_detect_anomaly(True, check_nan=False):
            seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        t.set_anomaly_enabled(True, False)
        seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        t.set_anomaly_enabled(False)
        seen.append((t.is_anomaly_enabled(), t.is_anomaly_check_nan_enabled()))
        return seen

    assert same(flags)[1] == (True, False)
    same(lambda t: t.set_anomaly_enabled(1))
    same(lambda t: callable(t.autograd.detect_anomaly()))  # not a decorator in torch


def test_detect_anomaly_warns_on_construction():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        torchlet.autograd.detect_anomaly()


def test_error_warning_shows_the_forward_line():
    x = torchlet.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning) as record:
        with torchlet.autograd.detect_anomaly():
            y = (x * torchlet.tensor([float("nan"), 1.0])).sum()  # the line to find
            with pytest.raises(RuntimeError, match="MulBackward0"):
                y.backward()
    text = "\n".join(str(w.message) for w in record)
    assert "Error detected in MulBackward0. Traceback of forward call" in text
    assert "# the line to find" in text
    assert "test_anomaly_hooks.py" in text


def test_error_in_node_made_outside_the_mode():
    x = torchlet.tensor([0.0, 1.0], requires_grad=True)
    y = (x * torchlet.tensor([float("nan"), 1.0])).sum()
    with pytest.warns(UserWarning, match="No forward pass information available"):
        with torchlet.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="returned nan values"):
                y.backward()


def test_metadata_holds_the_trace_only_in_anomaly_mode():
    x = torchlet.ones(2, requires_grad=True)
    assert "traceback_" not in (x * 2).grad_fn.metadata
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torchlet.autograd.detect_anomaly():
            y = x * 2
    assert "test_anomaly_hooks.py" in y.grad_fn.metadata["traceback_"]


# ---------------------------------------------------------------------------------------
# post-accumulate-grad hooks


def _post_hook_sees_accumulated_grad(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_post_accumulate_grad_hook(
        lambda leaf: seen.append((leaf is x, leaf.grad.clone())))
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    handle.remove()
    (x * 3).sum().backward()
    return seen, x.grad


def _post_hook_as_optimizer_step(t):
    w = t.tensor([1.0, 2.0], requires_grad=True)

    def step(leaf):
        with t.no_grad():
            leaf.sub_(0.5 * leaf.grad)
        leaf.grad = None

    w.register_post_accumulate_grad_hook(step)
    (w * w).sum().backward()
    return w.detach(), w.grad


def _hook_order(t):
    v = t.tensor([1.0], requires_grad=True)
    log = []
    v.register_hook(lambda g: log.append("pre"))
    v.register_post_accumulate_grad_hook(lambda leaf: log.append("post"))
    v.register_post_accumulate_grad_hook(lambda leaf: log.append("post2"))
    (v * 2).sum().backward()
    log.append("|")
    t.autograd.grad((v * 2).sum(), v)  # nothing accumulates: no post hook
    log.append("|")
    (v * 2).sum().backward(inputs=[v])
    log.append("|")
    (v * v).sum().backward(create_graph=True)
    log.append("|")
    (v * 2).backward(retain_graph=True)  # the leaf as the queued root's input
    return log


def _leaf_is_the_root(t):
    v = t.tensor([1.0], requires_grad=True)
    log = []
    v.register_post_accumulate_grad_hook(lambda leaf: log.append(leaf.grad.clone()))
    v.backward(t.tensor([2.0]))
    return log


def _hook_returns_tensor(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda leaf: t.zeros(2))
    (x * 3).sum().backward()


def _hook_returns_int(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda leaf: 5)
    (x * 3).sum().backward()


def _hook_on_non_leaf(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).register_post_accumulate_grad_hook(print)


def _hook_on_view(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    x.view(2).register_post_accumulate_grad_hook(print)


def _hook_without_grad(t):
    t.zeros(2).register_post_accumulate_grad_hook(print)


@pytest.mark.parametrize("scenario", [
    _post_hook_sees_accumulated_grad, _post_hook_as_optimizer_step, _hook_order,
    _leaf_is_the_root, _hook_returns_tensor, _hook_returns_int, _hook_on_non_leaf,
    _hook_on_view, _hook_without_grad,
])
def test_post_accumulate_grad_hooks_as_torch(scenario):
    same(scenario)


def test_hook_order_is_not_empty():
    assert same(_hook_order)[:3] == ["pre", "post", "post2"]


# ---------------------------------------------------------------------------------------
# torch.autograd.Variable


def _variable(t):
    base = t.zeros(2)
    v = t.autograd.Variable(base, requires_grad=True)
    made = t.autograd.Variable(t.ones(2, requires_grad=True) * 2)
    return (v, v.requires_grad, v.is_leaf, v is base, made.grad_fn is None,
            made.requires_grad, isinstance(base, t.autograd.Variable),
            t.autograd.Variable(t.zeros(1, dtype=t.float64)).dtype == t.float64,
            t.autograd.Variable().shape == (0,))


@pytest.mark.parametrize("scenario", [
    _variable,
    lambda t: t.autograd.Variable([1.0]),
    lambda t: t.autograd.Variable(t.zeros(2, dtype=t.int64), requires_grad=True),
])
def test_variable_as_torch(scenario):
    same(scenario)


def test_variable_shares_values():
    base = torchlet.zeros(2)
    v = torchlet.autograd.Variable(base)
    base.add_(1)
    assert np.array_equal(v.numpy(), [1.0, 1.0])

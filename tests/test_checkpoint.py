"""torchlet.utils.checkpoint (checkpoint, checkpoint_sequential), both variants.

Without torch: a checkpointed function gives the same output and the same gradients,
bit for bit, as the plain function (the recomputation repeats the same float64
operations, and the random state is restored so dropout draws the same mask), and it
runs twice (forward, then recomputation in backward). With torch: the same script on
both libraries gives torch's warnings and errors (type and message), and gradients equal
torch's within float64 rounding (the linear layers go through BLAS).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet.utils import checkpoint as ck


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(5, 5).double()


def _make_fn(lib, layer, calls):
    def fn(x, scale=None):
        calls.append(1)
        h = lib.tanh(layer(x)) * x.exp()
        h = lib.nn.functional.dropout(h, 0.4)
        if scale is not None:
            h = h * scale
        return (h.sin() * h).sum(dim=1)

    return fn


def _run(lib, use_reentrant, checkpointed=True, **kwargs):
    """Output, input gradient and weight gradient, and how often fn ran before and after
    backward."""
    layer = _model(lib)
    calls = []
    fn = _make_fn(lib, layer, calls)
    lib.manual_seed(1)
    x = lib.randn(4, 5, dtype=lib.float64, requires_grad=True)
    lib.manual_seed(2)
    if checkpointed:
        module = ck if lib is torchlet else lib.utils.checkpoint
        y = module.checkpoint(fn, x, use_reentrant=use_reentrant, **kwargs)
    else:
        y = fn(x, **{k: v for k, v in kwargs.items() if k != "preserve_rng_state"})
    ran_forward = len(calls)
    y.sum().backward()
    return y.detach(), x.grad, layer.weight.grad, ran_forward, len(calls)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_gradients_equal_plain_bit_for_bit(use_reentrant):
    plain = _run(torchlet, use_reentrant, checkpointed=False)
    checked = _run(torchlet, use_reentrant)
    for a, b in zip(plain[:3], checked[:3]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert plain[3:] == (1, 1)
    assert checked[3:] == (1, 2)  # ran in forward, and again in backward


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_matches_torch(use_reentrant):
    torch = pytest.importorskip("torch")
    ours, theirs = _run(torchlet, use_reentrant), _run(torch, use_reentrant)
    for a, b in zip(ours[:3], theirs[:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-12)
    assert ours[3:] == theirs[3:]


def test_non_reentrant_passes_keyword_arguments():
    scale = torchlet.tensor(1.5, dtype=torchlet.float64, requires_grad=True)
    plain = _run(torchlet, False, checkpointed=False, scale=scale)
    checked = _run(torchlet, False, scale=scale)
    for a, b in zip(plain[:3], checked[:3]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_without_preserved_rng_state_the_mask_changes():
    """preserve_rng_state=False: the recomputation draws a new dropout mask, so gradients
    differ from the plain function's (as in torch); with it they are equal."""
    plain = _run(torchlet, False, checkpointed=False)
    loose = _run(torchlet, False, preserve_rng_state=False)
    assert not np.array_equal(plain[1].numpy(), loose[1].numpy())


def test_non_reentrant_works_with_autograd_grad():
    layer = _model(torchlet)
    x = torchlet.randn(3, 5, dtype=torchlet.float64, requires_grad=True)
    y = ck.checkpoint(lambda t: torchlet.tanh(layer(t)) ** 2, x, use_reentrant=False)
    (grad,) = torchlet.autograd.grad(y.sum(), x)
    expected = torchlet.autograd.grad((torchlet.tanh(layer(x)) ** 2).sum(), x)[0]
    np.testing.assert_array_equal(grad.numpy(), expected.numpy())


def test_non_reentrant_under_no_grad_just_runs():
    calls = []
    layer = _model(torchlet)
    with torchlet.no_grad():
        y = ck.checkpoint(_make_fn(torchlet, layer, calls), torchlet.ones(2, 5).double(),
                          use_reentrant=False)
    assert y.grad_fn is None and len(calls) == 1


def test_retain_graph_recomputes_for_each_backward():
    calls = []
    layer = _model(torchlet)
    x = torchlet.randn(3, 5, dtype=torchlet.float64, requires_grad=True)
    y = ck.checkpoint(_make_fn(torchlet, layer, calls), x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    first = x.grad.clone()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first.numpy())
    assert len(calls) == 3


def test_gradcheck_through_checkpoint():
    """float64 gradcheck (non-reentrant only: gradcheck uses autograd.grad, which the
    reentrant variant refuses, as in torch)."""
    layer = _model(torchlet)
    x = torchlet.randn(2, 5, dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradcheck(
        lambda t: ck.checkpoint(lambda u: torchlet.sin(layer(u)) * u, t, use_reentrant=False),
        (x,))


@pytest.mark.parametrize("use_reentrant", [None, True, False])
def test_checkpoint_sequential_equals_plain(use_reentrant):
    def run(checkpointed):
        torchlet.manual_seed(0)
        model = torchlet.nn.Sequential(
            torchlet.nn.Linear(4, 6), torchlet.nn.ReLU(), torchlet.nn.Dropout(0.3),
            torchlet.nn.Linear(6, 6), torchlet.nn.Tanh(), torchlet.nn.Linear(6, 2),
        ).double()
        x = torchlet.randn(3, 4, dtype=torchlet.float64, requires_grad=True)
        torchlet.manual_seed(5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = (ck.checkpoint_sequential(model, 3, x, use_reentrant=use_reentrant)
                 if checkpointed else model(x))
        y.sum().backward()
        return [y.detach(), x.grad, *(p.grad for p in model.parameters())]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ---------------------------------------------------------------------------------------
# warnings and errors, against torch


def _first_warning(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category.__name__, str(w.message)) for w in caught]


def test_missing_use_reentrant_warns_as_torch():
    torch = pytest.importorskip("torch")
    for name in ("checkpoint", "checkpoint_sequential"):
        def call(lib, name=name):
            module = ck if lib is torchlet else lib.utils.checkpoint
            x = lib.ones(2, requires_grad=True)
            if name == "checkpoint":
                return lambda: module.checkpoint(lib.sin, x)
            return lambda: module.checkpoint_sequential([lib.sin, lib.cos], 2, x)

        assert _first_warning(call(torchlet)) == _first_warning(call(torch))


ERRORS = {
    "reentrant_kwargs": lambda m, t: m.checkpoint(lambda x, a: x, t.ones(1), a=1,
                                                  use_reentrant=True),
    "reentrant_context_fn": lambda m, t: m.checkpoint(t.sin, t.ones(1), use_reentrant=True,
                                                      context_fn=lambda: None),
    "determinism_check": lambda m, t: m.checkpoint(
        t.sin, t.ones(1, requires_grad=True), use_reentrant=False, determinism_check="x"),
    "sequential_kwargs": lambda m, t: m.checkpoint_sequential([t.sin], 1, t.ones(1),
                                                              use_reentrant=False, foo=1),
    "reentrant_with_grad": lambda m, t: t.autograd.grad(
        m.checkpoint(t.sin, t.ones(2, requires_grad=True), use_reentrant=True).sum(),
        [t.ones(1, requires_grad=True)], allow_unused=True),
    "reentrant_no_grad_output": lambda m, t: m.checkpoint(
        lambda x: x.detach(), t.ones(2, requires_grad=True), use_reentrant=True).sum()
    .backward(),
    "detach_variable_list": lambda m, t: m.detach_variable([t.ones(1)]),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    torch = pytest.importorskip("torch")

    def run(lib):
        module = ck if lib is torchlet else lib.utils.checkpoint
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ERRORS[name](module, lib)
        except Exception as error:  # noqa: BLE001 - the exception is what is compared
            return type(error).__name__, str(error)
        return "no error"

    assert run(torchlet) == run(torch)


def test_no_input_requires_grad_warns_as_torch():
    torch = pytest.importorskip("torch")

    def call(lib):
        module = ck if lib is torchlet else lib.utils.checkpoint
        return lambda: module.checkpoint(lib.sin, lib.ones(2), use_reentrant=True)

    ours, theirs = _first_warning(call(torchlet)), _first_warning(call(torch))
    assert ours == theirs and ours

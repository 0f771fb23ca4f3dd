"""Autograd engine gaps: register_multi_grad_hook(mode='all') asking about a captured
leaf under autograd.grad (torch raises), and ToCopyBackward0 called directly (it returns
its input's dtype)."""

import numpy as np
import pytest

import torchlet

_LEAF_MESSAGE = (
    "A leaf node was passed to _will_engine_execute_node but we are currently running "
    "autograd.grad(). This is currently not supported."
)


def _multi_hook_outcome(lib, hooked, call, targets):
    """Run one backward pass over y = (x * 2) * w with a mode='all' multi-grad hook on
    the ``hooked`` tensors; return what the hook saw (which gradients were None) or the
    exception's (type name, message)."""
    lib.manual_seed(0)
    x = lib.randn(3, requires_grad=True)
    w = lib.randn(3, requires_grad=True)
    h = x * 2
    y = (h * w).sum()
    names = {"x": x, "w": w, "h": h}
    seen = []
    lib.autograd.graph.register_multi_grad_hook(
        [names[n] for n in hooked], lambda gs: seen.append([g is None for g in gs]))
    inputs = tuple(names[n] for n in targets)
    try:
        if call == "grad":
            lib.autograd.grad(y, inputs)
        elif call == "inputs":
            y.backward(inputs=inputs)
        else:
            y.backward()
    except RuntimeError as e:
        return ("RuntimeError", str(e))
    return seen


def test_multi_grad_hook_leaf_under_autograd_grad_raises():
    # the hook on h fires first and asks whether x's AccumulateGrad will run: a captured
    # leaf under autograd.grad, which torch refuses
    out = _multi_hook_outcome(torchlet, ["x", "h"], "grad", ["x"])
    assert out == ("RuntimeError", _LEAF_MESSAGE)
    with pytest.raises(RuntimeError, match="A leaf node was passed"):
        x = torchlet.ones(3, requires_grad=True)
        torchlet.autograd.graph.register_multi_grad_hook([x], lambda gs: None)
        torchlet.autograd.grad((x * 2).sum(), torchlet.autograd.graph.get_gradient_edge(x))


def test_multi_grad_hook_leaf_allowed_elsewhere():
    # backward(inputs=...) accumulates its leaves: no error, both gradients arrive
    assert _multi_hook_outcome(torchlet, ["x", "h"], "inputs", ["x"]) == [[False, False]]
    assert _multi_hook_outcome(torchlet, ["x", "h"], "backward", []) == [[False, False]]
    # the leaf is not a target: it does not run, the hook fires with None for it
    assert _multi_hook_outcome(torchlet, ["x", "h"], "grad", ["h"]) == [[True, False]]
    # no leaf among the hooked tensors
    assert _multi_hook_outcome(torchlet, ["h"], "grad", ["x"]) == [[False]]


def test_multi_grad_hook_any_mode_leaf_under_grad_is_fine():
    x = torchlet.ones(3, requires_grad=True)
    seen = []
    torchlet.autograd.graph.register_multi_grad_hook([x], seen.append, mode="any")
    (g,) = torchlet.autograd.grad((x * 2).sum(), x)
    assert len(seen) == 1 and g.tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("hooked", [["x", "h"], ["h"], ["x", "w", "h"], ["x"], ["w", "h"]])
@pytest.mark.parametrize("call,targets", [
    ("grad", ["x"]), ("grad", ["h"]), ("grad", ["w"]), ("grad", ["x", "w"]),
    ("grad", ["h", "w"]), ("inputs", ["x"]), ("inputs", ["x", "w"]), ("inputs", ["h"]),
    ("backward", []),
])
def test_multi_grad_hook_matches_torch(hooked, call, targets):
    torch = pytest.importorskip("torch")
    assert (_multi_hook_outcome(torchlet, hooked, call, targets)
            == _multi_hook_outcome(torch, hooked, call, targets))


def test_to_copy_backward_called_directly_returns_input_dtype():
    x = torchlet.ones(3, dtype=torchlet.float64, requires_grad=True)
    node = x.float().double().grad_fn
    assert node.name() == "ToCopyBackward0"
    out = node(torchlet.ones(3, dtype=torchlet.float64))
    assert out.dtype == torchlet.float32 and out.tolist() == [1.0, 1.0, 1.0]
    # same dtype: the gradient itself
    g = torchlet.ones(3)
    assert torchlet.ones(3, requires_grad=True).to(torchlet.float64).grad_fn(
        torchlet.ones(3, dtype=torchlet.float64)).dtype == torchlet.float32
    assert x.to(torchlet.float64, copy=True).grad_fn(g.double()).dtype == torchlet.float64


def test_to_copy_backward_direct_records_cast_under_grad():
    x = torchlet.ones(3, requires_grad=True)
    gi = torchlet.ones(3, dtype=torchlet.float64, requires_grad=True)
    out = x.double().grad_fn(gi)
    assert out.dtype == torchlet.float32 and out.grad_fn.name() == "ToCopyBackward0"


def test_to_copy_backward_sampled_matches_torch():
    torch = pytest.importorskip("torch")
    names = ["float16", "float32", "float64"]
    rng = np.random.default_rng(19)
    for _ in range(12):
        src, mid, gdt = (names[i] for i in rng.integers(0, 3, size=3))
        values = rng.standard_normal(4)
        got, want = [], []
        for lib, acc in ((torchlet, got), (torch, want)):
            x = lib.tensor(values, dtype=getattr(lib, src), requires_grad=True)
            y = x.to(getattr(lib, mid), copy=True)  # (a node even when mid == src)
            r = y.grad_fn(lib.tensor(values * 3, dtype=getattr(lib, gdt)))
            acc.append(str(r.dtype))
            acc.append(r.detach().double().numpy().tolist())
            # the ordinary backward keeps its numbers
            (gx,) = lib.autograd.grad((y * y).sum(), x)
            acc.append((str(gx.dtype), gx.detach().double().numpy().tolist()))
        assert got == want, (src, mid, gdt)

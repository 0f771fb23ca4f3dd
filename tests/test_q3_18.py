"""Autograd node names under create_graph: abs's derivative goes through sgn (SgnBackward0),
and hardsigmoid_backward's NotImplemented node links only the operands needing grad."""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _names(fn):
    return [None if f is None else f.name() for f, _ in fn.next_functions]


def test_abs_double_backward_goes_through_sgn():
    x = torchlet.tensor([-1.5, 0.0, 2.0], requires_grad=True)
    (g,) = torchlet.autograd.grad(torchlet.abs(x).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "MulBackward0"
    assert _names(g.grad_fn) == [None, "SgnBackward0"]
    assert _names(g.grad_fn.next_functions[1][0]) == ["torch::autograd::AccumulateGrad"]
    assert g.tolist() == [-1.0, 0.0, 1.0]
    (gg,) = torchlet.autograd.grad(g.sum(), x)  # sgn is piecewise constant
    assert gg.tolist() == [0.0, 0.0, 0.0]


def test_softsign_double_backward_names_match_torch():
    torch = pytest.importorskip("torch")

    def walk(fn, depth=0):
        if fn is None or depth > 4:
            return None
        return (fn.name(), [walk(f, depth + 1) for f, _ in fn.next_functions])

    graphs = []
    for lib in (torch, torchlet):
        x = lib.tensor([-1.5, 0.0, 2.0], requires_grad=True)
        (g,) = lib.autograd.grad(lib.nn.functional.softsign(x).sum(), x, create_graph=True)
        graphs.append(walk(g.grad_fn))
    assert graphs[0] == graphs[1]
    assert "SgnBackward0" in repr(graphs[1]) and "SignBackward0" not in repr(graphs[1])


def _abs_grad(lib, a, g, create_graph):
    x = lib.from_numpy(a.copy()).requires_grad_()
    (r,) = lib.autograd.grad(lib.abs(x), x, lib.from_numpy(g.copy()), create_graph=create_graph)
    return r.detach().numpy()


def test_abs_grad_values_sampled():
    """grad * sgn(a): 0 at +-0 and NaN, the sign elsewhere; bit-exact against torch."""
    specials = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, -1e-30, 3.0, -2.5])
    rng = np.random.default_rng(318)
    try:
        import torch
    except ImportError:
        torch = None
    for trial in range(30):
        dt = (np.float16, np.float32, np.float64)[trial % 3]
        n = int(rng.integers(1, 12))
        a = np.concatenate([rng.standard_normal(n), specials]).astype(dt)
        rng.shuffle(a)
        g = rng.standard_normal(a.size).astype(dt)
        expected = g * ((a > 0).astype(dt) - (a < 0).astype(dt))
        for cg in (False, True):
            got = _abs_grad(torchlet, a, g, cg)
            assert got.dtype == dt
            np.testing.assert_array_equal(got, expected)
            if torch is not None:
                assert got.tobytes() == _abs_grad(torch, a, g, cg).tobytes()


def test_hardsigmoid_not_implemented_edges_only_for_operands_needing_grad():
    x = torchlet.tensor([-4.0, -1.5, 0.0, 2.0, 3.0], requires_grad=True)
    (g,) = torchlet.autograd.grad(F.hardsigmoid(x).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "torch::autograd::NotImplemented"
    assert _names(g.grad_fn) == ["torch::autograd::AccumulateGrad"]  # grad_output: no edge
    assert g.tolist() == pytest.approx([0.0, 1 / 6, 1 / 6, 1 / 6, 0.0], rel=1e-6)
    with pytest.raises(RuntimeError, match="hardsigmoid_backward is not implemented"):
        torchlet.autograd.grad(g.sum(), x)
    # grad_output needing grad too: both edges, in order (grad_output, self)
    y = torchlet.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
    (g,) = torchlet.autograd.grad((F.hardsigmoid(x) * y).sum(), x, create_graph=True)
    assert _names(g.grad_fn) == ["MulBackward0", "torch::autograd::AccumulateGrad"]
    # first order: no node
    (g,) = torchlet.autograd.grad(F.hardsigmoid(x).sum(), x)
    assert g.grad_fn is None and not g.requires_grad


def test_hardsigmoid_double_backward_graph_matches_torch():
    torch = pytest.importorskip("torch")

    def walk(fn, depth=0):
        if fn is None or depth > 4:
            return None
        return (fn.name(), [walk(f, depth + 1) for f, _ in fn.next_functions])

    def graphs(lib):
        out = []
        x0 = lib.tensor([-4.0, -1.5, 0.0, 2.0, 3.0], requires_grad=True)
        y = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], requires_grad=True)
        hs = lib.nn.functional.hardsigmoid
        for make in (lambda: hs(x0).sum(), lambda: (hs(x0) * y).sum(),
                     lambda: hs(x0 * 2).sum()):
            (g,) = lib.autograd.grad(make(), x0, create_graph=True)
            out.append((walk(g.grad_fn), g.detach().numpy().tobytes()))
        return out

    assert graphs(torch) == graphs(torchlet)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_hardsigmoid_grad_sampled(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    for trial in range(10):
        a = np.concatenate([rng.standard_normal(8) * 4, [3.0, -3.0, 0.0, np.nan]]).astype(dtype)
        a = np.asfortranarray(np.resize(a, (a.size, 2))) if trial % 2 else a
        g = rng.standard_normal(a.shape).astype(dtype)
        res = []
        for lib in (torch, torchlet):
            x = lib.from_numpy(a.copy(order="K")).requires_grad_()
            (r,) = lib.autograd.grad(lib.nn.functional.hardsigmoid(x), x,
                                     lib.from_numpy(g.copy()), create_graph=bool(trial % 3))
            fn = r.grad_fn
            res.append((r.detach().numpy().tobytes(), r.stride(), fn and fn.name(),
                        fn and [f is None for f, _ in fn.next_functions]))
        assert res[0] == res[1]

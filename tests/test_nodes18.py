"""Autograd-node details of unary ops vs torch 2.13: sigmoid's own double-backward node,
the layout of tanh/relu gradients, and ``_saved_*`` names of activation nodes."""

import numpy as np
import pytest

import torchlet


def _edges(node):
    return [(f.name() if f is not None else None, nr) for f, nr in node.next_functions]


def test_sigmoid_double_backward_node():
    x = torchlet.tensor([-1.0, 0.0, 2.0], dtype=torchlet.float64, requires_grad=True)
    g = torchlet.tensor([1.0, 2.0, 3.0], dtype=torchlet.float64, requires_grad=True)
    y = x.sigmoid()
    (gx,) = torchlet.autograd.grad(y, x, g, create_graph=True)
    assert gx.grad_fn.name() == "SigmoidBackwardBackward0"
    assert _edges(gx.grad_fn) == [("torch::autograd::AccumulateGrad", 0),
                                  ("SigmoidBackward0", 0)]
    assert sorted(n for n in dir(gx.grad_fn) if n.startswith("_saved_")) == [
        "_saved_grad_output", "_saved_output"]
    v = torchlet.tensor([0.5, -1.0, 1.5], dtype=torchlet.float64)
    dg, dx = torchlet.autograd.grad(gx, (g, x), v)
    s = 1 / (1 + np.exp(-x.detach().numpy()))
    gn, vn = g.detach().numpy(), v.numpy()
    np.testing.assert_allclose(dg.numpy(), vn * s * (1 - s), rtol=1e-14)
    # d/dx [g s (1 - s)] = g s (1 - s) (1 - 2 s)
    np.testing.assert_allclose(dx.numpy(), vn * gn * s * (1 - s) * (1 - 2 * s), rtol=1e-13)


def _grad_strides(lib, op, dtype, transposed_input, grad_kind):
    x = lib.zeros(4, 3, dtype=dtype, requires_grad=True)
    with lib.no_grad():
        x.copy_(lib.arange(12, dtype=dtype).reshape(4, 3) - 5.5)
    y = x.mT * 1 if transposed_input else (x * 1).mT.contiguous()
    seen = []
    y.register_hook(lambda g: seen.append(g.stride()))
    z = getattr(y, op)()
    g = lib.ones(3, 4, dtype=dtype) if grad_kind == "c" else lib.ones(4, 3, dtype=dtype).mT
    z.backward(g)
    return seen[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tanh_relu_grad_layout(dtype):
    dt = getattr(torchlet, dtype)
    # tanh_backward follows grad first; threshold_backward the relu output first
    assert _grad_strides(torchlet, "tanh", dt, True, "c") == (4, 1)
    assert _grad_strides(torchlet, "tanh", dt, False, "t") == (1, 3)
    assert _grad_strides(torchlet, "relu", dt, True, "c") == (1, 3)
    assert _grad_strides(torchlet, "relu", dt, False, "t") == (4, 1)
    torch = pytest.importorskip("torch")
    for op in ("tanh", "relu", "sigmoid"):
        for ti in (True, False):
            for gk in ("c", "t"):
                assert (_grad_strides(torchlet, op, dt, ti, gk)
                        == _grad_strides(torch, op, getattr(torch, dtype), ti, gk))


def _saved(lib):
    F = lib.nn.functional
    x = lib.linspace(-2, 2, 12, dtype=lib.float64).reshape(3, 4).requires_grad_()
    t = lib.linspace(1, -1, 12, dtype=lib.float64).reshape(3, 4)
    cases = {
        "leaky_": lambda: F.leaky_relu_(x * 1, 0.2), "elu_": lambda: F.elu_(x * 1),
        "sigmoid": x.sigmoid, "tanh": x.tanh, "relu": x.relu, "elu": lambda: F.elu(x),
        "gelu": lambda: F.gelu(x, approximate="tanh"), "softplus": lambda: F.softplus(x),
        "mse": lambda: F.mse_loss(x, t), "leaky": lambda: F.leaky_relu(x, 0.2),
        "hardtanh": lambda: F.hardtanh(x), "hardsigmoid": lambda: F.hardsigmoid(x),
        "selu": lambda: F.selu(x),
    }
    out = {}
    for key, f in cases.items():
        y = f()
        (gx,) = lib.autograd.grad(y, x, lib.ones_like(y), create_graph=True)
        for node in (y.grad_fn, gx.grad_fn):
            names = sorted(n for n in dir(node) if n.startswith("_saved_"))
            vals = {}
            for n in names:
                v = getattr(node, n)
                if hasattr(v, "shape"):
                    v = (tuple(v.shape), v.detach().numpy().tolist())
                vals[n] = v
            out[(key, node.name())] = vals
    return out


def test_saved_names_of_activation_nodes():
    mine = _saved(torchlet)
    assert mine[("leaky_", "LeakyReluBackward1")]["_saved_negative_slope"] == 0.2
    assert mine[("sigmoid", "SigmoidBackwardBackward0")]["_saved_grad_output"][0] == (3, 4)
    assert mine[("relu", "ThresholdBackwardBackward0")]["_saved_threshold"] == 0
    assert mine[("mse", "MseLossBackwardBackward0")]["_saved_reduction"] == 1
    assert mine[("elu", "EluBackwardBackward0")]["_saved_is_result"] is False
    torch = pytest.importorskip("torch")
    theirs = _saved(torch)
    assert mine.keys() == theirs.keys()
    for key in theirs:
        assert mine[key].keys() == theirs[key].keys(), key
        for n, v in theirs[key].items():
            if isinstance(v, tuple):
                assert mine[key][n][0] == v[0]
                np.testing.assert_allclose(mine[key][n][1], v[1], rtol=1e-12, err_msg=str(key))
            else:
                assert mine[key][n] == v, (key, n)


def test_sampled_first_and_second_order_vs_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    for i in range(60):
        dt = ["float32", "float64", "float16"][i % 3]
        shape = [(), (5,), (3, 4), (2, 1, 3)][i % 4]
        a = rng.standard_normal(shape).astype(dt)
        g = rng.standard_normal(shape).astype(dt)
        v = rng.standard_normal(shape).astype(dt)
        tol = dict(rtol=2e-3, atol=2e-3) if dt == "float16" else dict(rtol=1e-5, atol=1e-6)
        for op in ("sigmoid", "tanh", "relu"):
            res = []
            for lib in (torch, torchlet):
                x = lib.tensor(a, requires_grad=True)
                gg = lib.tensor(g, requires_grad=True)
                (gx,) = lib.autograd.grad(getattr(x, op)(), x, gg, create_graph=True)
                second = lib.autograd.grad(gx, (x, gg), lib.tensor(v), allow_unused=True)
                res.append((gx.detach().numpy(), gx.grad_fn.name(), gx.stride(),
                            [None if s is None else s.numpy() for s in second]))
            t, m = res
            assert t[1:3] == m[1:3], (op, dt, shape)
            np.testing.assert_allclose(m[0], t[0], **tol)
            for p, q in zip(t[3], m[3]):
                assert (p is None) == (q is None) or not np.any(p if p is not None else q)
                if p is not None and q is not None:
                    np.testing.assert_allclose(q, p, **tol)

"""Second derivatives of embedding_bag and batch_norm as torch 2.13 records them.

embedding_bag: torch's gradients cannot be differentiated again. The weight gradient's
node is EmbeddingBagBackwardBackward0 (edges: grad_output, per_sample_weights), the
per_sample_weights gradient's a NotImplemented node (edges: grad_output, weight); both
raise only when a backward runs through them.

batch_norm: under create_graph the three first-order gradients come from one node,
NativeBatchNormBackwardBackward0 (edges: grad_output, input, weight, and two that are
always None), whose backward is torch's batchnorm_double_backward formula. So in eval
without parameters the input gradient still requires grad (it did not before).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.autograd import gradgradcheck

WEIGHT_ERROR = "the derivative for '_embedding_bag_backward' is not implemented."
PSW_ERROR = "derivative for aten::_embedding_bag_per_sample_weights_backward is not implemented"


def _edges(node):
    return [None if f is None else f.name() for f, _ in node.next_functions]


# ---------------------------------------------------------------------------------------
# embedding_bag


def _bag_setup(lib, psw=False):
    rng = np.random.default_rng(3)
    w = lib.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    p = lib.tensor(rng.standard_normal(6), requires_grad=True) if psw else None
    idx, offsets = lib.tensor([1, 2, 1, 0, 3, 1]), lib.tensor([0, 2, 2])
    return w, p, idx, offsets


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_weight_gradient_node_raises_at_second_backward(mode):
    w, _, idx, offsets = _bag_setup(torchlet)
    out = F.embedding_bag(idx, w, offsets, mode=mode)
    g = torchlet.ones_like(out).requires_grad_()
    (gw,) = torchlet.autograd.grad(out, w, g, create_graph=True)
    # the graph is built without error; values as the first-order gradient
    (plain,) = torchlet.autograd.grad(F.embedding_bag(idx, w, offsets, mode=mode), w, g)
    assert np.array_equal(gw.detach().numpy(), plain.numpy())
    assert gw.requires_grad and gw.grad_fn.name() == "EmbeddingBagBackwardBackward0"
    assert _edges(gw.grad_fn) == ["torch::autograd::AccumulateGrad", None]
    with pytest.raises(NotImplementedError) as info:
        torchlet.autograd.grad(gw.sum(), g)
    assert str(info.value) == WEIGHT_ERROR
    # a grad_output that needs no grad: nothing to differentiate, no node
    (gw2,) = torchlet.autograd.grad(out, w, torchlet.ones_like(out), create_graph=True)
    assert not gw2.requires_grad and gw2.grad_fn is None


def test_embedding_bag_per_sample_weights_nodes():
    w, p, idx, offsets = _bag_setup(torchlet, psw=True)
    out = F.embedding_bag(idx, w, offsets, mode="sum", per_sample_weights=p)
    g = torchlet.ones_like(out).requires_grad_()
    gw, gp = torchlet.autograd.grad(out, (w, p), g, create_graph=True)
    assert gw.grad_fn.name() == "EmbeddingBagBackwardBackward0"
    assert gp.grad_fn.name() == "torch::autograd::NotImplemented"
    assert _edges(gw.grad_fn) == ["torch::autograd::AccumulateGrad"] * 2
    assert _edges(gp.grad_fn) == ["torch::autograd::AccumulateGrad"] * 2
    # gw's node does not reach w; gp's does not reach p
    assert torchlet.autograd.grad(gw.sum(), w, allow_unused=True) == (None,)
    assert torchlet.autograd.grad(gp.sum(), p, allow_unused=True) == (None,)
    with pytest.raises(NotImplementedError, match="_embedding_bag_backward"):
        torchlet.autograd.grad(gw.sum(), p)
    with pytest.raises(RuntimeError) as info:
        torchlet.autograd.grad(gp.sum(), w)
    assert str(info.value) == PSW_ERROR
    # without a grad_output that needs grad: one edge each (p for gw, w for gp)
    gw, gp = torchlet.autograd.grad(out, (w, p), torchlet.ones_like(out), create_graph=True)
    assert _edges(gw.grad_fn) == [None, "torch::autograd::AccumulateGrad"]
    assert _edges(gp.grad_fn) == ["torch::autograd::AccumulateGrad"]
    # 2-D input: the per_sample_weights gradient is viewed back (ViewBackward0)
    p2 = torchlet.ones(2, 3, dtype=torchlet.float64, requires_grad=True)
    out = F.embedding_bag(torchlet.tensor([[1, 2, 3], [0, 4, 1]]), w, per_sample_weights=p2,
                          mode="sum")
    (gp,) = torchlet.autograd.grad(out, p2, torchlet.ones_like(out), create_graph=True)
    assert gp.grad_fn.name() == "ViewBackward0"
    assert _edges(gp.grad_fn) == ["torch::autograd::NotImplemented"]


def test_embedding_bag_second_order_matches_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, torchlet):
        w, p, idx, offsets = _bag_setup(lib, psw=True)
        out = lib.nn.functional.embedding_bag(idx, w, offsets, mode="sum",
                                              per_sample_weights=p)
        g = lib.ones_like(out).requires_grad_()
        gw, gp = lib.autograd.grad(out, (w, p), g, create_graph=True)
        for t, wrt, error in ((gw, g, NotImplementedError), (gp, g, RuntimeError)):
            with pytest.raises(error) as info:
                lib.autograd.grad(t.sum(), wrt)
            assert str(info.value) in (WEIGHT_ERROR, PSW_ERROR)
        assert [_edges(t.grad_fn) for t in (gw, gp)] == [
            ["torch::autograd::AccumulateGrad"] * 2] * 2


# ---------------------------------------------------------------------------------------
# batch_norm


def _bn(lib, shape, training, weight, bias, grad_requires, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    dt = getattr(lib, dtype)
    pdt = lib.float32 if dtype == "float16" else dt
    x = lib.tensor(rng.standard_normal(shape), dtype=dt, requires_grad=True)
    w = lib.tensor(rng.standard_normal(c), dtype=pdt, requires_grad=True) if weight else None
    b = lib.tensor(rng.standard_normal(c), dtype=pdt, requires_grad=True) if bias else None
    rm = lib.tensor(rng.standard_normal(c) * 0.1, dtype=pdt)
    rv = lib.tensor(rng.uniform(0.5, 2, c), dtype=pdt)
    out = lib.nn.functional.batch_norm(x, rm, rv, w, b, training=training)
    g = lib.tensor(rng.standard_normal(shape), dtype=dt, requires_grad=grad_requires)
    inputs = [t for t in (x, w, b) if t is not None]
    grads = lib.autograd.grad(out, inputs, g, create_graph=True)
    return x, w, b, g, rv, grads


def test_batch_norm_eval_without_parameters_gradient_requires_grad():
    x, _, _, g, rv, (gx,) = _bn(torchlet, (3, 2, 4), False, False, False, False)
    assert gx.requires_grad and gx.grad_fn.name() == "NativeBatchNormBackwardBackward0"
    assert _edges(gx.grad_fn) == [None, "torch::autograd::AccumulateGrad", None, None, None]
    # eval: grad_x = grad / sqrt(running_var + eps), independent of x
    invstd = 1 / np.sqrt(rv.numpy() + 1e-5)
    assert np.allclose(gx.detach().numpy(), g.numpy() * invstd[:, None], rtol=1e-14)
    assert torchlet.autograd.grad((gx * gx).sum(), x, allow_unused=True) == (None,)


def test_batch_norm_eval_second_order_by_hand():
    # eval: gx = g * w * s, gw = sum(g * (x - mu) * s), gb = sum(g);  L = sum(gx * gw[c]):
    # dL/dg = w s gw + (x - mu) s sum(gx);  dL/dw = sum(g s) gw;  dL/dx = g s sum(gx)
    x, w, b, g, rv, (gx, gw, gb) = _bn(torchlet, (2, 3, 2), False, True, True, True, seed=4)
    loss = (gx * gw.reshape(1, 3, 1)).sum()
    dx, dw, dg = torchlet.autograd.grad(loss, (x, w, g))
    rng = np.random.default_rng(4)
    rng.standard_normal((2, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    mu = rng.standard_normal(3) * 0.1
    s = (1 / np.sqrt(rv.numpy() + 1e-5))[:, None]
    xn, wn, gn = x.detach().numpy(), w.detach().numpy()[:, None], g.detach().numpy()
    gwn = gw.detach().numpy()[:, None]
    gxn = gn * wn * s
    assert np.allclose(dx.numpy(), gn * s * gxn.sum(axis=(0, 2))[:, None], rtol=1e-12)
    assert np.allclose(dg.numpy(), wn * s * gwn + (xn - mu[:, None]) * s
                       * gxn.sum(axis=(0, 2))[:, None], rtol=1e-12)
    assert np.allclose(dw.numpy(), (gn * s).sum(axis=(0, 2)) * gwn[:, 0], rtol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradgradcheck(training):
    rng = np.random.default_rng(5)
    x = torchlet.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    w = torchlet.tensor(rng.standard_normal(2), requires_grad=True)
    b = torchlet.tensor(rng.standard_normal(2), requires_grad=True)
    rm, rv = torchlet.zeros(2, dtype=torchlet.float64), torchlet.ones(2, dtype=torchlet.float64)

    def fn(x, w, b):
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=training)

    assert gradgradcheck(fn, (x, w, b))
    assert gradgradcheck(lambda x: F.batch_norm(x, rm.clone(), rv.clone(), training=training),
                         (x,))


def test_batch_norm_bias_without_weight_double_backward_fails_as_torch():
    # torch's formula has no expanded ggB without a weight: adding it to ggO fails
    x, _, b, g, _, (gx, gb) = _bn(torchlet, (4, 3), False, False, True, True)
    with pytest.raises(RuntimeError, match="Expected a proper Tensor but got None"):
        torchlet.autograd.grad(gx.sum() + gb.sum(), (x, b, g), allow_unused=True)
    # the bias gradient alone: ggO stays undefined (no gradient for g)
    assert torchlet.autograd.grad(gb.sum(), g, allow_unused=True) == (None,)


def _names(node, depth=2):
    if node is None or depth < 0:
        return None
    return (node.name(), [_names(f, depth - 1) for f, _ in node.next_functions])


def _second_order(lib, cfg):
    shape, training, weight, bias, greq, dtype, use = cfg
    x, w, b, g, _, grads = _bn(lib, shape, training, weight, bias, greq, dtype)
    first = [(str(t.dtype), t.requires_grad, t.grad_fn.name()) for t in grads]
    rng = np.random.default_rng(1)
    total = None
    for k, t in enumerate(grads):
        if use[k % 3]:
            c = lib.tensor(rng.standard_normal(tuple(t.shape)), dtype=t.dtype)
            total = (t * c).sum() if total is None else total + (t * c).sum()
    if total is None:
        return first, None
    wrt = [t for t in (x, w, b) if t is not None] + ([g] if greq else [])
    try:
        second = lib.autograd.grad(total, wrt, allow_unused=True, create_graph=True)
    except RuntimeError as error:
        return first, str(error)
    return first, [None if t is None else (t.detach().double().numpy(), _names(t.grad_fn))
                   for t in second]


def test_batch_norm_second_order_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2020)
    for _ in range(40):
        shape = tuple(int(v) for v in rng.integers(1, 4, rng.integers(2, 5)))
        shape = (shape[0] + 1,) + shape[1:]
        cfg = (shape, bool(rng.integers(2)), bool(rng.integers(2)), bool(rng.integers(2)),
               bool(rng.integers(2)), ["float64", "float32", "float16"][rng.integers(3)],
               tuple(bool(v) for v in rng.integers(0, 2, 3)))
        first_t, second_t = _second_order(torch, cfg)
        first_l, second_l = _second_order(torchlet, cfg)
        assert [(d.split(".")[-1], r, n) for d, r, n in first_t] == \
            [(d.split(".")[-1], r, n) for d, r, n in first_l], cfg
        if second_t is None or isinstance(second_t, str):
            assert second_t == second_l, cfg
            continue
        tol = {"float64": 1e-12, "float32": 1e-5, "float16": 2e-3}[cfg[5]]
        for a, b in zip(second_t, second_l, strict=True):
            assert (a is None) == (b is None), cfg
            if a is not None:
                assert a[1] == b[1], cfg  # node names, three levels deep
                scale = max(1.0, float(np.abs(a[0]).max()))
                np.testing.assert_allclose(b[0], a[0], rtol=tol, atol=tol * scale)


# ---------------------------------------------------------------------------------------
# input-gradient layouts


def _permuted(lib, shape, perm, step=1, dtype="float64"):
    """A tensor of ``shape`` whose memory order is ``perm`` (every ``step``-th element)."""
    full = [shape[p] for p in perm]
    full[-1] *= step
    data = np.arange(int(np.prod(full)), dtype=np.float64).reshape(full) % 7 - 3
    base = lib.tensor(data, dtype=getattr(lib, dtype))
    if step > 1:
        base = base[..., ::step]
    return base.permute(*np.argsort(perm).tolist())


def _grad_x_strides(lib, kind, shape, x_perm, g_perm, x_step=1, g_step=1, dtype="float64"):
    x = _permuted(lib, shape, x_perm, x_step, dtype).detach().requires_grad_()
    c = shape[1]
    if kind == "gn":
        out = lib.nn.functional.group_norm(x, 1)
    else:
        stats = lib.zeros(c, dtype=x.dtype), lib.ones(c, dtype=x.dtype)
        out = lib.nn.functional.batch_norm(x, *stats, training=kind == "bn_train")
    (gx,) = lib.autograd.grad(out, x, _permuted(lib, shape, g_perm, g_step, dtype))
    return tuple(gx.stride())


def test_group_norm_grad_input_takes_the_input_layout():
    # torch: grad_x is laid out as x suggests (channels_last), whatever grad's layout
    for g_perm in ([0, 1, 2, 3], [0, 2, 3, 1]):
        assert _grad_x_strides(torchlet, "gn", (2, 4, 3, 3), [0, 2, 3, 1], g_perm) == \
            (36, 1, 12, 4)
    # a transposed input: contiguous
    assert _grad_x_strides(torchlet, "gn", (2, 2), [1, 0], [1, 0]) == (2, 1)


def test_batch_norm_grad_input_layout_rules():
    # x and grad dense but suggesting different formats: x's suggestion (the ambiguous
    # (2, 2, 1, 2) @ (4, 1, 2, 2) reads as contiguous)
    assert _grad_x_strides(torchlet, "bn_train", (2, 2, 1, 2), [0, 3, 2, 1],
                           [0, 2, 3, 1]) == (4, 2, 2, 1)
    # both dense and suggesting the same: x's own dense format (channels_last here)
    assert _grad_x_strides(torchlet, "bn_train", (2, 2, 1, 2), [0, 3, 2, 1],
                           [0, 1, 2, 3]) == (4, 1, 4, 2)
    assert _grad_x_strides(torchlet, "bn_eval", (2, 2, 1, 2), [0, 2, 3, 1],
                           [0, 1, 2, 3]) == (4, 1, 4, 2)


def test_norm_grad_input_strides_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(77)
    for _ in range(150):
        nd = int(rng.integers(2, 6))
        shape = [int(v) for v in rng.integers(1, 3, nd)]
        shape[0] = 2
        args = ("bn_train", "bn_eval", "gn")[rng.integers(3)], tuple(shape), \
            list(rng.permutation(nd)), list(rng.permutation(nd)), \
            int(rng.choice([1, 1, 2])), int(rng.choice([1, 1, 2])), \
            ("float32", "float64", "float16")[rng.integers(3)]
        assert _grad_x_strides(torchlet, *args) == _grad_x_strides(torch, *args), args

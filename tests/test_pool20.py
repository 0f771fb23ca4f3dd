"""Pooling gradients under create_graph (helper poolgg).

torch's pool backwards are operations of their own that take the pool's input x
(max_pool2d_with_indices_backward(grad, self, ...), avg_pool2d_backward(grad, self, ...),
...), with derivative zeros_like(self) for x. So a gradient taken with create_graph=True
has a grad_fn (MaxPool2DWithIndicesBackwardBackward0, AvgPool2DBackwardBackward0, ...)
even when grad_output needs no gradient, its gradient with respect to x is zeros, and the
pool saves x (changing it in place before backward is torch's version error).
max_unpool's backward is torch's max_pool_double_backward, composed of view, gather, view.
"""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _samples(lib, shape):
    return lib.tensor(np.random.default_rng(1).random(shape).astype(np.float32))


# name: (input shape, pool, g.grad_fn name, its next_functions' names (grad, x))
CASES = {
    "max_pool2d": ((2, 3, 6, 7), lambda L, x: L.nn.functional.max_pool2d(x, 2),
                   "MaxPool2DWithIndicesBackwardBackward0"),
    "max_pool2d_overlap": ((2, 3, 6, 7), lambda L, x: L.nn.functional.max_pool2d(x, 3, 1, 1),
                           "MaxPool2DWithIndicesBackwardBackward0"),
    "max_pool2d_indices": ((3, 6, 7), lambda L, x: L.nn.functional.max_pool2d(
        x, 2, return_indices=True)[0], "MaxPool2DWithIndicesBackwardBackward0"),
    "max_pool3d": ((2, 2, 4, 5, 6), lambda L, x: L.nn.functional.max_pool3d(x, 2),
                   "MaxPool3DWithIndicesBackwardBackward0"),
    "avg_pool2d": ((2, 3, 6, 7), lambda L, x: L.nn.functional.avg_pool2d(
        x, 3, 2, 1, count_include_pad=False), "AvgPool2DBackwardBackward0"),
    "avg_pool3d": ((2, 2, 4, 5, 6), lambda L, x: L.nn.functional.avg_pool3d(x, 2),
                   "AvgPool3DBackwardBackward0"),
    "adaptive_avg_pool2d": ((2, 3, 6, 7), lambda L, x: L.nn.functional.adaptive_avg_pool2d(
        x, (4, 3)), "AdaptiveAvgPool2DBackwardBackward0"),
    "adaptive_avg_pool3d": ((2, 2, 4, 5, 6), lambda L, x: L.nn.functional.adaptive_avg_pool3d(
        x, (3, 2, 4)), "AdaptiveAvgPool3DBackwardBackward0"),
    "adaptive_max_pool2d": ((2, 3, 6, 7), lambda L, x: L.nn.functional.adaptive_max_pool2d(
        x, (4, 3)), "AdaptiveMaxPool2DBackwardBackward0"),
    "adaptive_max_pool3d": ((2, 2, 4, 5, 6), lambda L, x: L.nn.functional.adaptive_max_pool3d(
        x, (3, 2, 4)), "AdaptiveMaxPool3DBackwardBackward0"),
    "fractional_max_pool2d": ((2, 3, 7, 8), lambda L, x: L.nn.functional.fractional_max_pool2d(
        x, 2, output_size=(4, 5), _random_samples=_samples(L, (2, 3, 2))),
        "FractionalMaxPool2DBackwardBackward0"),
    "fractional_max_pool3d": ((2, 2, 6, 7, 8), lambda L, x: L.nn.functional.fractional_max_pool3d(
        x, 2, output_size=(3, 4, 5), _random_samples=_samples(L, (2, 2, 3))),
        "FractionalMaxPool3DBackwardBackward0"),
}


def _grads(lib, case, x_np, v_np, w_np, v_requires_grad):
    """g = d(pool)/dx . v with create_graph; then d((g * w).sum()) / d(x, v)."""
    x = lib.tensor(x_np, requires_grad=True)
    y = case(lib, x)
    v = lib.tensor(v_np.reshape(tuple(y.shape)), requires_grad=v_requires_grad)
    (g,) = lib.autograd.grad(y, x, v, create_graph=True)
    inputs = [x, v] if v_requires_grad else [x]
    gg = lib.autograd.grad((g * lib.tensor(w_np)).sum(), inputs)
    return x, v, g, gg


def _arrays(name, seed=0):
    shape, case, _ = CASES[name]
    rng = np.random.default_rng(seed)
    x_np = rng.standard_normal(shape).astype(np.float32)
    y = case(torchlet, torchlet.tensor(x_np))
    v_np = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    w_np = rng.standard_normal(shape).astype(np.float32)
    return case, x_np, v_np, w_np


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_fn_without_grad_output_grad(name):
    """v needs no gradient: g still has torch's node, edged to (nothing, x), and its
    gradient with respect to x is zeros (contiguous)."""
    case, x_np, v_np, w_np = _arrays(name)
    x, _, g, (gx,) = _grads(torchlet, case, x_np, v_np, w_np, False)
    assert g.requires_grad
    assert g.grad_fn.name() == CASES[name][2]
    (none, x_edge) = g.grad_fn.next_functions
    assert none == (None, 0)
    assert x_edge[0].name() == "torch::autograd::AccumulateGrad"
    assert x_edge[0].variable is x
    assert gx.shape == x.shape and gx.is_contiguous()
    assert not gx.numpy().any()


@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivative_matches_torch(name):
    torch = pytest.importorskip("torch")
    case, x_np, v_np, w_np = _arrays(name, seed=3)
    for v_req in (False, True):
        _, _, g, gg = _grads(torchlet, case, x_np, v_np, w_np, v_req)
        _, _, tg, tgg = _grads(torch, case, x_np, v_np, w_np, v_req)
        assert g.grad_fn.name() == tg.grad_fn.name()
        assert [n and n.name() for n, _ in g.grad_fn.next_functions] == [
            n and n.name() for n, _ in tg.grad_fn.next_functions]
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-6,
                                   atol=1e-7)
        assert g.stride() == tg.stride()
        for a, b in zip(gg, tgg):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
            assert a.stride() == b.stride()


def test_avg_pool_double_backward_is_the_pool():
    """Hand-derived: g = A^T v, so d((g*w).sum())/dv = A w, the pool of w itself."""
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w_np = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    v_np = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    def case(L, x):
        return L.nn.functional.avg_pool2d(x, 2)
    _, _, g, (gx, gv) = _grads(torchlet, case, x_np, v_np, w_np, True)
    expected = w_np.reshape(2, 3, 3, 2, 3, 2).mean((3, 5))
    np.testing.assert_allclose(gv.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(g.detach().numpy(), np.repeat(np.repeat(v_np, 2, 2), 2, 3)
                                  / np.float32(4))
    assert not gx.numpy().any()


@pytest.mark.parametrize("name", ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                                  "adaptive_max_pool2d", "fractional_max_pool2d",
                                  "max_pool3d", "avg_pool3d"])
def test_pool_saves_its_input(name):
    """torch saves the pool's input: changing it in place before backward is an error."""
    shape, case, _ = CASES[name]
    x = torchlet.randn(*shape, requires_grad=True)
    x2 = x * 1
    y = case(torchlet, x2)
    x2.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_lp_pool_graph():
    """lp_pool2d's avg_pool2d sees x ** p: its backward node edges to PowBackward0."""
    x = torchlet.randn(2, 3, 6, 7, requires_grad=True)
    y = F.lp_pool2d(x, 2, 2)
    (g,) = torchlet.autograd.grad(y, x, torchlet.randn(*y.shape), create_graph=True)
    avg = g.grad_fn.next_functions[0][0]
    while avg.name() != "AvgPool2DBackwardBackward0":
        avg = avg.next_functions[0][0]
    assert [n and n.name() for n, _ in avg.next_functions][1] == "PowBackward0"


@pytest.mark.parametrize("nd", [2, 3])
def test_max_unpool_backward_is_view_gather_view(nd):
    pool, unpool = (F.max_pool2d, F.max_unpool2d) if nd == 2 else (F.max_pool3d, F.max_unpool3d)
    shape = (2, 3, 4, 6) if nd == 2 else (2, 3, 2, 4, 4)
    y, idx = pool(torchlet.randn(*shape), 2, return_indices=True)
    x = y.detach().requires_grad_()
    u = unpool(x, idx, 2)
    v = torchlet.randn(*u.shape, requires_grad=True)
    (g,) = torchlet.autograd.grad(u, x, v, create_graph=True)
    names = []
    node = g.grad_fn
    while node.name() != "torch::autograd::AccumulateGrad":
        names.append(node.name())
        node = node.next_functions[0][0]
    assert names == ["ViewBackward0", "GatherBackward0", "ViewBackward0"]
    # the values: v at the indices, plane by plane (hand-derived)
    flat_v = v.detach().numpy().reshape(idx.shape[:2] + (-1,))
    expected = np.take_along_axis(flat_v, idx.numpy().reshape(idx.shape[:2] + (-1,)), -1)
    np.testing.assert_array_equal(g.detach().numpy(), expected.reshape(idx.shape))
    # v needs no gradient: nothing to record, as in torch
    (g,) = torchlet.autograd.grad(unpool(x, idx, 2), x, v.detach(), create_graph=True)
    assert g.grad_fn is None and not g.requires_grad


def test_max_unpool_channels_last_backward():
    torch = pytest.importorskip("torch")
    out = []
    for lib in (torch, torchlet):
        rng = np.random.default_rng(2)
        xp = lib.tensor(rng.standard_normal((2, 3, 4, 6)).astype(np.float32)).contiguous(
            memory_format=lib.channels_last)
        y, idx = lib.nn.functional.max_pool2d(xp, 2, return_indices=True)
        x = y.detach().clone().requires_grad_()
        u = lib.nn.functional.max_unpool2d(x, idx, 2)
        v = lib.tensor(rng.standard_normal(tuple(u.shape)).astype(np.float32))
        (g,) = lib.autograd.grad(u, x, v.contiguous(memory_format=lib.channels_last))
        out.append((g.numpy(), g.stride(), u.stride()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    assert out[0][1:] == out[1][1:]


def test_cached_max_pool_arguments_still_checked():
    """The plan cache keys only on plain ints: 2.0 and True (which hash as 2 and 1) are
    still refused, as torch refuses them, after an int call cached the plan."""
    torch = pytest.importorskip("torch")
    for lib in (torch, torchlet):
        x = lib.randn(1, 1, 4, 4)
        lib.nn.functional.max_pool2d(x, 2)
        with pytest.raises(TypeError):
            lib.nn.functional.max_pool2d(x, 2.0)
        assert tuple(lib.nn.functional.max_pool2d(x, 3, 1, 1).shape) == (1, 1, 4, 4)
        with pytest.raises(TypeError):
            lib.nn.functional.max_pool2d(x, 3, 1, True)
    x = torchlet.randn(1, 1, 5, 5)
    assert tuple(F.max_pool2d(x, [2, 2], ceil_mode=1).shape) == (1, 1, 3, 3)
    assert tuple(F.max_pool2d(x, (2, 2), ceil_mode=True).shape) == (1, 1, 3, 3)
    assert tuple(F.max_pool2d(x, (2, 2)).shape) == (1, 1, 2, 2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(torchlet.randn(1, 1, 1, 1), 2)


def test_sampled_pool_double_backward():
    """Derandomized sample of pools, layouts and dtypes: g and both second derivatives
    equal torch's (values, strides, node names)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    pools = [
        lambda L, x, k, s: L.nn.functional.max_pool2d(x, k, s, k // 2, ceil_mode=s > 1),
        lambda L, x, k, s: L.nn.functional.avg_pool2d(x, k, s, k // 2, count_include_pad=s > 1),
        lambda L, x, k, s: L.nn.functional.adaptive_avg_pool2d(x, (k + 1, s + 1)),
        lambda L, x, k, s: L.nn.functional.adaptive_max_pool2d(x, (k + 1, s + 1)),
    ]
    for _ in range(16):
        pool = pools[int(rng.integers(len(pools)))]
        k, s = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(4, 8)),
                 int(rng.integers(4, 8)))
        dtype = [np.float32, np.float64][int(rng.integers(2))]
        x_np = rng.standard_normal(shape).astype(dtype)
        cl = bool(rng.integers(2))
        v_req = bool(rng.integers(2))
        results = []
        for lib in (torch, torchlet):
            x = lib.tensor(x_np)
            if cl:
                x = x.contiguous(memory_format=lib.channels_last)
            x.requires_grad_()
            y = pool(lib, x, k, s)
            v = lib.tensor(np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(dtype),
                           requires_grad=v_req)
            (g,) = lib.autograd.grad(y, x, v, create_graph=True)
            w = lib.tensor(np.random.default_rng(2).standard_normal(shape).astype(dtype))
            gg = lib.autograd.grad((g * w).sum(), [x, v] if v_req else [x])
            results.append((g.grad_fn.name(), g.stride(), g.detach().numpy(),
                            [(t.stride(), t.numpy()) for t in gg]))
        (tn, ts, tg, tgg), (n, st, lg, lgg) = results
        assert (n, st) == (tn, ts)
        np.testing.assert_allclose(lg, tg, rtol=1e-6)
        for (a_st, a), (b_st, b) in zip(lgg, tgg):
            assert a_st == b_st
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)

"""The graphs reduction backward rules record under create_graph, node for node as torch's.

torch puts a reduced dim back with one unsqueeze per dim (unsqueeze_multiple) in the
backward of sum (listed dims), mean, nansum, prod, var, std and vector_norm; var skips it
for a 1-D input; a full reduction asked for with dim None or () is expanded as it is. Its
``/ n`` of mean's backward and ``2 / dof * grad`` of var's are the Scalar overloads
(DivBackward1, MulBackward1). First-order gradients are unchanged by any of this.
"""

import numpy as np
import pytest

import torchlet

ACC = "torch::autograd::AccumulateGrad"


def chain(fn):
    """The graph below ``fn`` as nested (name, children) tuples; a leaf node as its name."""
    if fn is None:
        return None
    kids = tuple(k for k in (chain(f) for f, _ in fn.next_functions) if k is not None)
    return (fn.name(), kids) if kids else fn.name()


def double_graph(lib, op, a, seed=0):
    """The graph of d op(x) / dx . v (v a leaf), and that gradient's values."""
    x = lib.tensor(a, requires_grad=True)
    y = op(lib, x)
    v = lib.tensor(np.random.default_rng(seed).standard_normal(tuple(y.shape)) + 0.5,
                   dtype=y.dtype, requires_grad=True)
    (g,) = lib.autograd.grad(y, x, grad_outputs=v, create_graph=True)
    return chain(g.grad_fn), g.detach().numpy(), v.detach().numpy()


A2 = np.arange(1.0, 13.0).reshape(3, 4) ** 1.5
A1 = np.array([1.0, 2.5, -3.0, 4.0, 0.5])


def unsq(child):
    return ("UnsqueezeBackward0", (child,))


# --- hand-derived graphs (what torch 2.x records) ------------------------------------


def test_sum_listed_dims_unsqueeze_then_expand():
    assert double_graph(torchlet, lambda L, x: x.sum(0), A1)[0] == (
        "ExpandBackward0", (unsq(ACC),))
    assert double_graph(torchlet, lambda L, x: x.sum((0, 1)), A2)[0] == (
        "ExpandBackward0", (unsq(unsq(ACC)),))
    # dim None or (): expanded as it is
    for op in (lambda L, x: x.sum(), lambda L, x: x.sum(()), lambda L, x: x.sum((), True)):
        assert double_graph(torchlet, op, A2)[0] == ("ExpandBackward0", (ACC,))


def test_nansum_listed_dims():
    graph, g, v = double_graph(torchlet, lambda L, x: L.nansum(x, 0), A1)
    assert graph == ("MulBackward0", (("ExpandBackward0", (unsq(ACC),)),))
    np.testing.assert_array_equal(g, np.full(5, v))
    assert double_graph(torchlet, lambda L, x: L.nansum(x), A1)[0] == (
        "MulBackward0", (("ExpandBackward0", (ACC,)),))


def test_mean_divides_by_a_scalar():
    graph, g, v = double_graph(torchlet, lambda L, x: x.mean(), A2)
    assert graph == ("DivBackward1", (("ExpandBackward0", (ACC,)),))
    np.testing.assert_array_equal(g, np.full((3, 4), v / 12))
    graph, g, v = double_graph(torchlet, lambda L, x: x.mean((0, 1)), A2)
    assert graph == ("DivBackward1", (("ExpandBackward0", (unsq(unsq(ACC)),)),))
    graph, g, v = double_graph(torchlet, lambda L, x: x.mean(1, keepdim=True), A2)
    assert graph == ("DivBackward1", (("ExpandBackward0", (ACC,)),))
    np.testing.assert_array_equal(g, np.broadcast_to(v / 4, (3, 4)))


def test_prod_unsqueezes():
    graph, g, v = double_graph(torchlet, lambda L, x: x.prod(1), A2)
    # grad * (out / x), grad and out unsqueezed
    assert graph == ("MulBackward0", (
        unsq(ACC), ("DivBackward0", (unsq(("ProdBackward1", (ACC,))), ACC))))
    expected = v[:, None] * A2.prod(1, keepdims=True) / A2
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_var_scalar_product_and_1d_broadcast():
    mean1 = ("SubBackward0", (ACC, ("MeanBackward1", (ACC,))))
    # 1-D: the 0-d gradient broadcasts, no unsqueeze
    graph, g, v = double_graph(torchlet, lambda L, x: x.var(0), A1)
    assert graph == ("MulBackward0", (("MulBackward1", (ACC,)), mean1))
    np.testing.assert_allclose(g, 2 / 4 * v * (A1 - A1.mean()), rtol=1e-12)
    graph, g, v = double_graph(torchlet, lambda L, x: x.var(1), A2)
    assert graph == ("MulBackward0", (("MulBackward1", (unsq(ACC),)), mean1))
    np.testing.assert_allclose(
        g, 2 / 3 * v[:, None] * (A2 - A2.mean(1, keepdims=True)), rtol=1e-12)
    mean0 = ("SubBackward0", (ACC, ("MeanBackward0", (ACC,))))
    assert double_graph(torchlet, lambda L, x: x.var(), A2)[0] == (
        "MulBackward0", (("MulBackward1", (ACC,)), mean0))


def test_var_mean_mean_part():
    def op(L, x):
        var, mean = L.var_mean(x, 0)
        return mean
    graph, g, v = double_graph(torchlet, op, A2)
    assert graph == ("DivBackward1", (("ExpandBackward0", (unsq(ACC),)),))
    np.testing.assert_array_equal(g, np.broadcast_to(v / 3, (3, 4)))


def test_norm_unsqueezes():
    graph, g, v = double_graph(torchlet, lambda L, x: L.linalg.vector_norm(x, 2, 1), A2)
    # grad * (x / out).masked_fill(out == 0, 0), grad and out unsqueezed
    norm = ("LinalgVectorNormBackward0", (ACC,))
    assert graph == ("MulBackward0", (unsq(ACC), ("MaskedFillBackward0", (
        ("DivBackward0", (ACC, unsq(norm))),))))
    out = np.sqrt((A2 ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(g, v[:, None] * A2 / out, rtol=1e-12)


# --- against torch -------------------------------------------------------------------


def _ops():
    yield "sum", lambda L, x, kw: x.sum(**kw)
    yield "nansum", lambda L, x, kw: L.nansum(x, **kw)
    yield "mean", lambda L, x, kw: x.mean(**kw)
    yield "var", lambda L, x, kw: x.var(**kw)
    yield "std", lambda L, x, kw: x.std(**kw)
    yield "var_mean", lambda L, x, kw: sum(L.var_mean(x, **kw))
    yield "std_mean", lambda L, x, kw: sum(L.std_mean(x, **kw))
    yield "logsumexp", lambda L, x, kw: L.logsumexp(x, **({"dim": ()} | kw))
    yield "norm2", lambda L, x, kw: L.linalg.vector_norm(x, 2, **kw)
    yield "norm3", lambda L, x, kw: L.linalg.vector_norm(x, 3, **kw)
    yield "norm1", lambda L, x, kw: L.linalg.vector_norm(x, 1, **kw)
    yield "norm0.5", lambda L, x, kw: L.linalg.vector_norm(x, 0.5, **kw)
    yield "norminf", lambda L, x, kw: L.linalg.vector_norm(x, float("inf"), **kw)
    yield "prod", lambda L, x, kw: x.prod(**kw)


OPS = dict(_ops())


def _configs(n=60):
    """A fixed sample of (op, shape, dim, keepdim)."""
    rng = np.random.default_rng(19)
    shapes = [(5,), (3, 4), (2, 3, 4), (1, 3), (4, 1), ()]
    names = sorted(OPS)
    out = []
    while len(out) < n:
        name, shape = names[rng.integers(len(names))], shapes[rng.integers(len(shapes))]
        nd = len(shape)
        kind = rng.integers(4)
        if name == "prod":
            dim = int(rng.integers(-nd, nd)) if nd else 0
        elif kind == 0 or nd == 0:
            dim = int(rng.integers(-nd, nd)) if nd else None
        elif kind == 1:
            dim = tuple(range(nd))
        elif kind == 2 and name not in ("var", "std", "var_mean", "std_mean"):
            dim = ()  # (var over dim=() is torch's own bug: infinite gradients)
        else:
            dim = tuple(sorted({int(d) for d in rng.integers(0, nd, 2)}))
        out.append((name, shape, dim, bool(rng.integers(2))))
    return out


@pytest.mark.parametrize("name,shape,dim,keepdim", _configs())
def test_sampled_graphs_match_torch(name, shape, dim, keepdim):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(len(shape)).standard_normal(shape) + 0.5
    kw = {"keepdim": keepdim} if dim is None else {"dim": dim, "keepdim": keepdim}
    got = double_graph(torchlet, lambda L, x: OPS[name](L, x, kw), a)
    want = double_graph(torch, lambda L, x: OPS[name](L, x, kw), a)
    assert got[0] == want[0]
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((1, 3), (0, 1)), ((3, 1), 0),
                                       ((64, 10), None), ((2, 3, 4), (0, 2)), ((4,), ())])
def test_first_order_gradients_match_torch(dtype, shape, dim):
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(3).standard_normal(shape)
    for name in ("sum", "mean", "nansum", "var", "std"):
        if name in ("var", "std") and dim == ():
            continue
        kw = {} if dim is None else {"dim": dim}
        grads = []
        for L in (torchlet, torch):
            x = L.tensor(a, dtype=getattr(L, dtype), requires_grad=True)
            y = OPS[name](L, x, kw)
            y.backward(L.tensor(np.linspace(0.5, 2, y.numel()).reshape(tuple(y.shape)),
                                dtype=y.dtype))
            grads.append(x.grad)
        got, want = grads
        assert got.stride() == want.stride() and str(got.dtype) == str(want.dtype)
        if name in ("sum", "mean", "nansum"):  # exact in torch: bit for bit here
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        else:
            np.testing.assert_allclose(got.numpy().astype(float), want.numpy().astype(float),
                                       rtol={"float16": 2e-3}.get(dtype, 1e-5), atol=1e-6)

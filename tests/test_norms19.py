"""Norms, distances and statistics: double-backward graphs, out= of other dtypes, and the
mismatches found by differential hunting (session 19, "norms")."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchlet

INF = math.inf


def _graph_names(fn) -> set:
    """The node names reachable from ``fn`` (iterative walk over next_functions)."""
    names, stack, seen = set(), [fn], set()
    while stack:
        f = stack.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        names.add(f.name())
        stack.extend(n for n, _ in f.next_functions)
    return names


def _second_order_names(lib, fn, data):
    x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(fn(lib, x).sum(), x, create_graph=True)
    return _graph_names(g.grad_fn)


_DATA = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]]
# (name, fn, nodes that must be in the double-backward graph, nodes that must not)
_DOUBLE = [
    ("norm1", lambda L, x: L.norm(x, 1), {"SgnBackward0"}, {"SignBackward0"}),
    ("vn1", lambda L, x: L.linalg.vector_norm(x, 1, 1), {"SgnBackward0"}, {"SignBackward0"}),
    ("vn_inf", lambda L, x: L.linalg.vector_norm(x, INF, 1), {"SgnBackward0"}, {"SignBackward0"}),
    ("vn2", lambda L, x: L.linalg.vector_norm(x, 2, 1), {"MaskedFillBackward0"},
     {"WhereBackward0"}),
    ("vn3", lambda L, x: L.linalg.vector_norm(x, 3), {"MaskedFillBackward0", "PowBackward0"},
     {"WhereBackward0"}),
    ("vn1.5", lambda L, x: L.linalg.vector_norm(x, 1.5), {"MaskedFillBackward0", "SgnBackward0"},
     {"WhereBackward0", "SignBackward0"}),
    ("vn0.5", lambda L, x: L.linalg.vector_norm(x, 0.5), {"MaskedFillBackward0", "SgnBackward0"},
     {"WhereBackward0", "SignBackward0"}),
    ("dist1", lambda L, x: L.dist(x, x.detach() * 0.5, 1), {"SgnBackward0", "SubBackward0"},
     {"SignBackward0"}),
    ("dist3", lambda L, x: L.dist(x, x.detach() * 0.5, 3), {"MaskedFillBackward0"},
     {"WhereBackward0"}),
    ("renorm", lambda L, x: L.renorm(x, 1.5, 0, 0.1),
     {"AddBackward1", "MulBackward1", "SgnBackward0", "MaskedFillBackward0", "WhereBackward0"},
     {"AddBackward0", "SignBackward0"}),
    ("std", lambda L, x: L.std(x, 1), {"MaskedFillBackward0", "MulBackward1"}, {"WhereBackward0"}),
    ("std_mean", lambda L, x: sum(L.std_mean(x)), {"MaskedFillBackward0", "MulBackward1"},
     {"WhereBackward0"}),
]


@pytest.mark.parametrize("name,fn,has,hasnt", _DOUBLE, ids=[c[0] for c in _DOUBLE])
def test_double_backward_graph_nodes(name, fn, has, hasnt):
    """torch's norm_backward uses sgn and masked_fill_, renorm_backward add/mul with a
    Scalar, std_backward masked_fill_ and ``result * 2``: a create_graph backward shows
    those nodes."""
    names = _second_order_names(torchlet, fn, _DATA)
    assert has <= names, (has - names)
    assert not (hasnt & names), (hasnt & names)
    torch = pytest.importorskip("torch")
    # (torch's unsqueeze_multiple shows UnsqueezeBackward0 where torchlet's shared
    # restore_reduced shows ViewBackward0: not this file's business)
    views = {"UnsqueezeBackward0", "ViewBackward0"}
    assert names - views == _second_order_names(torch, fn, _DATA) - views


@pytest.mark.parametrize("p", [0.5, 1.0, 1.5, 2.0, 3.0, INF, -INF, -1.0])
def test_norm_gradients_and_second_order_values(p):
    data = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, -0.0, 2.0]])
    x = torchlet.tensor(data, requires_grad=True)
    y = torchlet.linalg.vector_norm(x, p, 1)
    (g,) = torchlet.autograd.grad(y.sum(), x, create_graph=True)
    if p == 1:  # hand-derived: sgn(x)
        assert np.array_equal(g.detach().numpy(), np.sign(data))
    if p == 2:  # x / |x|, 0 for the zero row
        assert np.allclose(g.detach().numpy()[0], [0.6, -0.8, 0.0])
        assert np.array_equal(g.detach().numpy()[1], [0.0, 0.0, 0.0])
    w = torchlet.tensor(data[::-1].copy())
    (gg,) = torchlet.autograd.grad((g * w).sum(), x, allow_unused=True)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.vector_norm(tx, p, 1).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=0)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(data[::-1].copy())).sum(), tx,
                                 allow_unused=True)
    if tgg is not None and gg is not None and p not in (1, INF, -INF):
        np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10, atol=1e-12)


def test_cdist_backward_is_not_differentiable_again():
    x = torchlet.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=torchlet.float64, requires_grad=True)
    z = torchlet.tensor([[0.0, 1.0], [2.0, 2.0]], dtype=torchlet.float64, requires_grad=True)
    y = torchlet.cdist(x, z, 3.0)
    g1, g2 = torchlet.autograd.grad(y.sum(), (x, z), create_graph=True)
    assert g1.grad_fn.name() == "CdistBackwardBackward0"
    assert "CloneBackward0" in _graph_names(g2.grad_fn)  # result.mT.contiguous()
    with pytest.raises(NotImplementedError, match="'_cdist_backward' is not implemented"):
        torchlet.autograd.grad(g1.sum(), x)


def test_cdist_gradient_special_values():
    """torch's cdist kernel: p < 1 gives 0 where coordinates are equal (not 0 * inf);
    p = 0 gives +0; its sign is NaN for NaN; p = inf is NaN where |d| - dist is NaN."""
    t = torchlet
    x = t.tensor([[0.0, 1.0]], dtype=t.float64, requires_grad=True)
    z = t.tensor([[0.0, 0.0]], dtype=t.float64)
    (g,) = t.autograd.grad(t.cdist(x, z, 0.5).sum(), x)
    assert g.tolist() == [[0.0, 1.0]]
    x = t.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    (g,) = t.autograd.grad(t.cdist(x, z.float(), 0.0).sum(), x)
    assert not np.signbit(g.numpy()).any() and not g.numpy().any()
    x = t.tensor([[1.0, 2.0]], dtype=t.float64, requires_grad=True)
    zn = t.tensor([[np.nan, 0.0], [1.0, 0.0]], dtype=t.float64)
    (g,) = t.autograd.grad(t.cdist(x, zn, 1.0).sum(), x)
    assert np.isnan(g.numpy()[0, 0]) and g.numpy()[0, 1] == 2.0
    xi = t.tensor([[1.0], [np.inf]], dtype=t.float64, requires_grad=True)
    (g,) = t.autograd.grad(t.cdist(xi, t.tensor([[0.0]], dtype=t.float64), INF).sum(), xi)
    assert g.numpy()[0, 0] == 1.0 and np.isnan(g.numpy()[1, 0])
    torch = pytest.importorskip("torch")
    tx = torch.tensor([[1.0], [np.inf]], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.cdist(tx, torch.tensor([[0.0]], dtype=torch.float64),
                                            INF).sum(), tx)
    np.testing.assert_array_equal(tg.numpy(), g.numpy())


def test_dist_p0_backward():
    """torch's norm_backward has no tensor for p = 0: no gradient for input, and other's
    formula (its negation) fails."""
    t = torchlet
    x = t.tensor([1.0, 2.0, 0.0], requires_grad=True)
    y = t.tensor([1.0, 0.0, 0.0])
    assert t.autograd.grad(t.dist(x, y, 0), x, allow_unused=True) == (None,)
    y.requires_grad_()
    with pytest.raises(RuntimeError, match="Expected a proper Tensor but got None"):
        t.autograd.grad(t.dist(x, y, 0), (x, y), allow_unused=True)


@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
def test_empty_input_is_nan_whatever_the_correction(op):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = getattr(torchlet, op)(torchlet.empty(3, 0), 1, correction=-1)
    first = r[0] if isinstance(r, tuple) else r
    assert first.shape == (3,) and np.isnan(first.numpy()).all()


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_out(name):
    t = torchlet
    f = getattr(t, name)
    a = t.tensor([[1.0, 5.0, 3.0], [2.0, 0.5, 7.0]])
    v, i = t.empty(0), t.empty(0, dtype=t.int64)
    r = f(a, 1, out=(v, i))
    assert type(r).__name__ == f"{name}_out" and r.values is v and r.indices is i
    assert v.tolist() == [3.0, 2.0] and i.tolist() == [2, 0]
    with pytest.raises(RuntimeError, match="'indices' to have scalar type Long; but got "
                                           "torch.IntTensor instead"):
        f(a, 1, out=(t.empty(2, dtype=t.float64), t.empty(2, dtype=t.int32)))
    with pytest.raises(RuntimeError, match="but type torch.DoubleTensor does not equal "
                                           r"torch.FloatTensor \(while checking arguments "
                                           r"for median\)"):
        f(a, 1, out=(t.empty(2, dtype=t.float64), t.empty(2, dtype=t.int64)))
    with pytest.raises(RuntimeError, match="CPUBoolType"):
        f(a, 1, out=(t.empty(2, dtype=t.bool), t.empty(2, dtype=t.int64)))
    with pytest.raises(TypeError, match='missing 1 required positional arguments: "dim"'):
        f(a, out=(t.empty(()), t.empty((), dtype=t.int64)))
    with pytest.raises(IndexError, match="Expected reduction dim 1 to have non-zero size"):
        f(t.empty(2, 0), 1, out=(t.empty(2, dtype=t.float64), t.empty(2, dtype=t.int64)))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        f(a.requires_grad_(), 1, out=(t.empty(2), t.empty(2, dtype=t.int64)))


def test_var_std_out_of_another_float_dtype():
    """torch's std_var_out: the input cast to out's dtype, except for a result of one
    element (out not float16), computed from the input in its own dtype, where a float16
    input is refused."""
    t = torchlet
    a32 = np.array([[1.0, 5.0, 3.1], [2.0, 0.5, 7.3]], np.float32)
    out = t.empty(2, dtype=t.float64)
    t.var(t.tensor(a32), 1, out=out)
    assert out.dtype == t.float64
    assert out.tolist() == np.var(a32.astype(np.float64), axis=1, ddof=1).tolist()
    out = t.empty(2, dtype=t.float32)
    t.std(t.tensor(a32.astype(np.float64) + 1e-9), 1, out=out)  # from the float32-cast input
    assert out.numpy().tobytes() == t.std(t.tensor(a32 + np.float32(1e-9)), 1).numpy().tobytes()
    with pytest.raises(RuntimeError, match="std_var_all: Unsupported dtype Half"):
        t.var(t.tensor(a32.astype(np.float16)), out=t.empty((), dtype=t.float32))
    h = t.empty(2, dtype=t.float64)
    t.std(t.tensor(a32.astype(np.float16)), 1, out=h)
    assert np.allclose(h.numpy(), np.std(a32.astype(np.float16).astype(np.float64), 1, ddof=1),
                       rtol=1e-12)
    torch = pytest.importorskip("torch")
    for src, dst in [("float32", "float64"), ("float64", "float32"), ("float16", "float64"),
                     ("float32", "float16")]:
        for dim in (1, None, (0, 1)):
            for op in ("var", "std"):
                results = []
                for L in (torch, torchlet):
                    o = L.empty(0, dtype=getattr(L, dst))
                    try:
                        getattr(L, op)(L.tensor(a32.astype(src)), dim, out=o)
                        results.append(o.numpy().tobytes())
                    except RuntimeError as e:
                        results.append(str(e))
                assert results[0] == results[1], (op, src, dst, dim)


def test_logsumexp_out_of_another_float_dtype():
    """torch's logsumexp_out: exp(x - max) in x's dtype, then sum and log in out's."""
    t = torchlet
    a = np.array([[2.0, 0.5, 7.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    out = t.empty(2, dtype=t.float64)
    t.logsumexp(t.tensor(a), 1, out=out)
    e = np.exp((a[0] - 7).astype(np.float64)).astype(np.float32)  # exp rounded to float32
    assert out.numpy()[0] == np.log(e.astype(np.float64).sum()) + 7
    assert out.numpy()[1] == -np.inf
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    for src, dst in [("float32", "float64"), ("float64", "float32"), ("float64", "float16"),
                     ("float16", "float32")]:
        b = (rng.standard_normal((3, 4, 5)) * 4).astype(src)
        for dim, keepdim in [(1, False), ((0, 2), True), (-1, True)]:
            res = []
            for L in (torch, torchlet):
                o = L.empty(0, dtype=getattr(L, dst))
                L.logsumexp(L.tensor(b), dim, keepdim, out=o)
                res.append(o.numpy())
            # (float32: torch's summation order differs now and then by an ulp)
            rtol = {"float64": 2e-7, "float32": 3e-7, "float16": 1e-3}[dst]
            np.testing.assert_allclose(res[1], res[0], rtol=rtol)
            assert res[0].shape == res[1].shape


def test_norm_functions_take_out():
    t = torchlet
    a = t.tensor([[1.0, 5.0, 3.0], [2.0, 0.5, 7.0]])
    o = t.empty(2)
    assert t.linalg.vector_norm(a, 2, 1, out=o) is o
    assert np.allclose(o.numpy(), np.sqrt([35.0, 53.25]))
    o64 = t.empty(2, dtype=t.float64)
    t.linalg.vector_norm(a, 2, 1, dtype=t.float64, out=o64)
    assert o64.dtype == t.float64
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got "
                                           "double instead"):
        t.linalg.vector_norm(a, 2, 1, out=t.empty(2, dtype=t.float64))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm expected out tensor dtype Float "
                                           "but got: Double"):
        t.linalg.matrix_norm(a, 1, out=t.empty((), dtype=t.float64))
    with pytest.raises(RuntimeError, match="linalg.norm expected out tensor dtype Float but "
                                           "got: Long"):
        t.linalg.norm(a, out=t.empty((), dtype=t.int64))
    m = t.empty(())
    assert t.linalg.matrix_norm(a, -1, out=m) is m and m.item() == 3.0
    b = a.clone().requires_grad_()
    with pytest.raises(RuntimeError, match="linalg_vector_norm\\(\\): functions with out="):
        t.linalg.vector_norm(b, out=t.empty(()))
    r = t.linalg.norm(b, out=t.empty(()))  # computed, then copied in place
    assert r.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert math.isclose(r.item(), math.sqrt(88.25), rel_tol=1e-6)


def test_low_precision_singular_value_norms_refused():
    t = torchlet
    h = t.ones(2, 3, dtype=t.float16)
    message = "linalg.matrix_norm: Low precision dtypes not supported. Got Half"
    for call in (lambda: t.linalg.matrix_norm(h, "nuc"), lambda: t.linalg.matrix_norm(h, 2),
                 lambda: t.linalg.norm(h, -2), lambda: t.norm(h, "nuc"),
                 lambda: t.linalg.matrix_norm(h, 2, (0, 0)),
                 lambda: t.linalg.matrix_norm(h, "nuc", dtype=t.float32)):
        with pytest.raises(RuntimeError, match=message):
            call()
    assert t.linalg.matrix_norm(h, 1).item() == 2.0  # the others are fine in float16


def test_torch_norm_nuc_double_backward():
    data = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5], [2.0, 2.0, -3.0]])
    x = torchlet.tensor(data, requires_grad=True)
    (g,) = torchlet.autograd.grad(torchlet.norm(x, "nuc"), x, create_graph=True)
    (gg,) = torchlet.autograd.grad((g * torchlet.tensor(data.T.copy())).sum(), x)
    u, _, vh = np.linalg.svd(data)
    np.testing.assert_allclose(g.detach().numpy(), u @ vh, rtol=1e-10, atol=1e-12)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.norm(tx, "nuc"), tx, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(data.T.copy())).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-8, atol=1e-10)


def _sampled_configs():
    rng = np.random.default_rng(1919)
    configs = []
    for _ in range(70):
        kind = ["vnorm", "dist", "cdist", "renorm", "std", "lse", "mnorm"][len(configs) % 7]
        dtype = ["float32", "float64"][int(rng.integers(2))]
        shape = tuple(int(s) for s in rng.integers(1, 4, 2))
        a = rng.standard_normal(shape) * 3
        if rng.random() < 0.4:
            a = np.where(rng.random(shape) < 0.3, 0.0, np.round(a))
        p = float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, INF]))
        configs.append((kind, a.astype(dtype), p, int(rng.integers(0, 2))))
    return configs


def _sampled_call(lib, kind, x, p, dim):
    if kind == "vnorm":
        return lib.linalg.vector_norm(x, p, dim, keepdim=bool(dim))
    if kind == "dist":
        return lib.dist(x, x.detach().flip(0) * 0.5, p)
    if kind == "cdist":
        return lib.cdist(x, x.detach()[:1] + 0.25, p)
    if kind == "renorm":
        return lib.renorm(x, p, dim, 1.0)
    if kind == "std":
        return lib.std(x, dim, correction=dim)
    if kind == "lse":
        return lib.logsumexp(x, dim)
    return lib.linalg.matrix_norm(x, {0.5: "fro", 1.5: "nuc", 3.0: -1.0}.get(p, p))


def test_sampled_differential_against_torch():
    torch = pytest.importorskip("torch")
    for kind, a, p, dim in _sampled_configs():
        results = []
        for lib in (torch, torchlet):
            x = lib.tensor(a, requires_grad=True)
            y = _sampled_call(lib, kind, x, p, dim)
            weights = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)),
                                 dtype=y.dtype)
            (g,) = lib.autograd.grad((y * weights).sum(), x)
            results.append((y.detach().numpy(), g.numpy(), y.grad_fn.name(), str(y.dtype)))
        (ty, tg, tn, td), (ly, lg, ln, ld) = results
        tol = 1e-5 if a.dtype == np.float32 else 1e-11
        assert (tn, td.split(".")[-1]) == (ln, ld.split(".")[-1]), (kind, p)
        np.testing.assert_allclose(ly, ty, rtol=tol, atol=tol, err_msg=f"{kind} {p}")
        np.testing.assert_allclose(lg, tg, rtol=tol, atol=tol, err_msg=f"{kind} {p}")


def test_legacy_norms_out():
    """nuclear_norm's out= is linalg.matrix_norm's (computed, then copied; its dtype
    message); frobenius_norm_out runs norm_out, whose autograd error names norm."""
    t = torchlet
    a = t.tensor([[1.0, 5.0, 3.0], [2.0, 0.5, 7.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = t.nuclear_norm(a, out=t.empty(()))
        assert r.grad_fn.name() == "torch::autograd::CopyBackwards"
        assert math.isclose(r.item(), float(np.linalg.svd(a.detach().numpy())[1].sum()),
                            rel_tol=1e-6)
        with pytest.raises(RuntimeError, match="linalg.matrix_norm expected out tensor dtype "
                                               "Float but got: Double"):
            t.nuclear_norm(a.detach(), out=t.empty((), dtype=t.float64))
        with pytest.raises(RuntimeError, match=r"^norm\(\): functions with out="):
            t.frobenius_norm(a, (0, 1), out=t.empty(()))

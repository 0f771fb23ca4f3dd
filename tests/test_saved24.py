"""grad_fn._saved_* round 7: shape ops' dims as given (torch shows -1 as 2**64-1: permute,
transpose, unsqueeze, squeeze, flip, roll, split, chunk, unbind, glu, and the in-place
views), aminmax, cummax/cummin's self, linalg.vector_norm's dim and ord, and the linalg
nodes (inv, det, slogdet, solve, cholesky, qr, eigh, svd, pinv, cross, matrix_exp, lu,
lu_solve, solve_triangular, triangular_solve, cholesky_solve/inverse, lstsq,
householder_product)."""

import numpy as np
import pytest

import torchlet

M1, M2, M3 = 2**64 - 1, 2**64 - 2, 2**64 - 3  # -1, -2, -3 as torch shows an int64
FREED = "Trying to backward through the graph a second time"


def _x(lib, shape=(3, 4, 2), seed=0, dtype=np.float64):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return lib.tensor(a).requires_grad_()


def _spd(lib, n=3, seed=0):
    a = np.random.default_rng(seed).standard_normal((n, n))
    return lib.tensor(a @ a.T + n * np.eye(n)).requires_grad_()


def _ns(lib, n=3, seed=5):
    return _x(lib, (n, n), seed)


def _saved(node):
    return {name[len("_saved_"):]: getattr(node, name) for name in dir(node)
            if name.startswith("_saved_")}


def _np(t):
    return t.detach().numpy()


# -- hand-written expectations ------------------------------------------------------------


def test_shape_dims_as_given():
    x = _x(torchlet)
    assert x.permute(-1, 0, -2).grad_fn._saved_dims == (M1, 0, M2)
    assert x.permute([2, -3, 1]).grad_fn._saved_dims == (2, M3, 1)
    assert torchlet.permute(x, (0, 1, 2)).grad_fn._saved_dims == (0, 1, 2)
    assert x.movedim(-1, 0).grad_fn._saved_dims == (2, 0, 1)  # (torch: computed, normalized)
    node = x.transpose(-1, 0).grad_fn
    assert (node._saved_dim0, node._saved_dim1) == (M1, 0)
    node = x.mT.grad_fn
    assert (node._saved_dim0, node._saved_dim1) == (M2, M1)
    assert x.unsqueeze(-1).grad_fn._saved_dim == M1
    assert x.unsqueeze(-4).grad_fn._saved_dim == 2**64 - 4
    y = _x(torchlet, (3, 1, 1))
    assert _saved(y.squeeze(-2).grad_fn) == {"dim": M2, "self_sym_sizes": (3, 1, 1)}
    node = y.squeeze(0).grad_fn  # not squeezed (size 3): the dim still as given
    assert (node.name(), node._saved_dim) == ("SqueezeBackward1", 0)
    node = y.squeeze((-1, 1)).grad_fn
    assert node.name() == "SqueezeBackward2"
    assert _saved(node) == {"dim": (M1, 1), "self_sym_sizes": (3, 1, 1)}
    assert y.squeeze([-1]).grad_fn._saved_dim == (M1,)
    assert _saved(y.squeeze().grad_fn) == {"self_sym_sizes": (3, 1, 1)}
    assert x.flip(-1).grad_fn._saved_dims == (M1,)
    assert x.flip([0, -1]).grad_fn._saved_dims == (0, M1)
    assert torchlet.tensor(1.0, requires_grad=True).flip(0).grad_fn._saved_dims == (0,)
    node = x.roll([1, -2], [0, -1]).grad_fn
    assert (node._saved_dims, node._saved_shifts) == ((0, M1), (1, M2))
    assert x.roll(2).grad_fn._saved_dims == ()
    assert x.split(2, -2)[0].grad_fn._saved_dim == M2
    assert x.split([1, 3], -2)[0].grad_fn._saved_dim == M2
    assert x.chunk(2, -2)[0].grad_fn._saved_dim == M2
    assert x.unbind(-1)[0].grad_fn._saved_dim == M1
    assert x.unbind()[0].grad_fn._saved_dim == 0
    node = torchlet.nn.functional.glu(_x(torchlet, (3, 4))).grad_fn
    assert node._saved_dim == M1
    assert np.array_equal(_np(node._saved_self), _np(_x(torchlet, (3, 4))))


def test_inplace_views_dims_as_given():
    x = _x(torchlet, (3, 1, 2))
    node = x.clone().transpose_(-1, 0).grad_fn
    assert (node.name(), node._saved_dim0, node._saved_dim1) == ("TransposeBackward1", M1, 0)
    assert _saved(x.clone().squeeze_().grad_fn) == {"self_sym_sizes": (3, 1, 2)}
    node = x.clone().squeeze_(-2).grad_fn
    assert (node.name(), _saved(node)) == ("SqueezeBackward4",
                                           {"dim": M2, "self_sym_sizes": (3, 1, 2)})
    node = x.clone().squeeze_((-2, 0)).grad_fn
    assert (node.name(), _saved(node)) == ("SqueezeBackward5",
                                           {"dim": (M2, 0), "self_sym_sizes": (3, 1, 2)})
    node = x.clone().unsqueeze_(-1).grad_fn
    assert (node.name(), _saved(node)) == ("UnsqueezeBackward1", {"dim": M1})


def test_backward_nodes_take_the_dims_as_given():
    """Under create_graph the backward's own nodes show the dims torch's formulas pass:
    transpose, flip, roll (reversed), unbind (stack), unsqueeze (squeeze), glu as given;
    split's cat wrapped."""
    x = _x(torchlet, (3, 4))

    def node_of(y):
        v = torchlet.ones(y.shape, dtype=torchlet.float64, requires_grad=True)
        (g,) = torchlet.autograd.grad(y, x, v, create_graph=True)
        return g.grad_fn

    node = node_of(x.transpose(-1, 0))
    assert (node._saved_dim0, node._saved_dim1) == (M1, 0)
    assert node_of(x.flip(-1))._saved_dims == (M1,)
    assert node_of(x.roll([1, 2], [-1, 0]))._saved_dims == (0, M1)
    assert node_of(x.unbind(-1)[0])._saved_dim == M1
    assert node_of(x.split(2, -1)[0])._saved_dim == 1
    assert node_of(x.unsqueeze(-3))._saved_dim == M3
    node = node_of(torchlet.nn.functional.glu(x, -1))
    assert node.name() == "GluBackwardBackward0" and node._saved_dim == M1
    assert node._saved_self.shape == (3, 4) and node._saved_grad_output.shape == (3, 2)


def test_aminmax_cummax_vector_norm():
    x = _x(torchlet)
    low, high = x.aminmax(dim=-1)
    saved = _saved(low.grad_fn)
    assert (saved["dim"], saved["keepdim"]) == (M1, False)
    assert np.array_equal(_np(saved["min"]), _np(low))
    assert np.array_equal(_np(saved["max"]), _np(high))
    assert np.array_equal(_np(saved["self"]), _np(x))
    saved = _saved(x.aminmax(keepdim=True)[0].grad_fn)
    assert (saved["dim"], saved["keepdim"], saved["min"].shape) == (None, True, (1, 1, 1))
    for op in ("cummax", "cummin"):
        values, indices = getattr(x, op)(-2)
        saved = _saved(values.grad_fn)
        assert saved["dim"] == M2 and np.array_equal(_np(saved["self"]), _np(x))
        assert np.array_equal(saved["indices"].numpy(), indices.numpy())
    la = torchlet.linalg
    node = la.vector_norm(x).grad_fn
    assert (node._saved_ord, node._saved_dim, node._saved_keepdim) == (2, None, False)
    assert type(node._saved_ord) is int
    node = la.vector_norm(x, 3, -1).grad_fn
    assert (node._saved_ord, node._saved_dim) == (3, (M1,))
    node = la.vector_norm(x, float("inf"), (-1, 0), True).grad_fn
    assert (node._saved_ord, node._saved_dim, node._saved_keepdim) == (float("inf"), (M1, 0),
                                                                        True)
    assert type(la.norm(x, dim=-1).grad_fn._saved_ord) is float  # (linalg.norm: 2.0)
    assert x.norm().grad_fn._saved_dim is None
    assert la.matrix_norm(_x(torchlet, (3, 3))).grad_fn._saved_dim == (0, 1)  # wrapped


def test_linalg_saved_as_torch_keeps_them():
    la = torchlet.linalg
    a = _ns(torchlet)
    out = la.inv(a)
    assert np.array_equal(_np(out.grad_fn._saved_inverse), _np(out))
    out = la.det(a)
    saved = _saved(out.grad_fn)
    assert sorted(saved) == ["A", "LU", "pivots", "result"]
    assert np.array_equal(_np(saved["result"]), _np(out))
    lu, pivots = la.lu_factor(a.detach().mT)  # torch factors A's row-major buffer: A^T
    assert np.array_equal(_np(saved["LU"]), _np(lu))
    assert saved["pivots"].dtype == torchlet.int32
    assert np.array_equal(saved["pivots"].numpy(), pivots.numpy())
    sign, logabsdet = la.slogdet(a)
    saved = _saved(logabsdet.grad_fn)
    assert sorted(saved) == ["A", "LU", "pivots", "sign"]
    assert np.array_equal(_np(saved["sign"]), _np(sign))
    b = _x(torchlet, (2, 3), 1)
    out = la.solve(a, b, left=False)
    saved = _saved(out.grad_fn)
    assert sorted(saved) == ["A", "LU", "left", "pivots", "result"]
    assert saved["left"] is False and np.array_equal(_np(saved["result"]), _np(out))
    lu, pivots = la.lu_factor(a.detach())
    assert np.array_equal(_np(saved["LU"]), _np(lu))
    spd = _spd(torchlet)
    factor = la.cholesky(spd, upper=True)
    assert _saved(factor.grad_fn)["upper"] is True
    assert np.array_equal(_np(factor.grad_fn._saved_L), _np(factor))
    q, r = la.qr(_x(torchlet, (4, 3)))
    saved = _saved(q.grad_fn)
    assert saved["mode"] == "reduced"
    assert np.array_equal(_np(saved["Q"]), _np(q)) and np.array_equal(_np(saved["R"]), _np(r))
    saved = _saved(la.qr(_x(torchlet, (4, 3)), "r")[1].grad_fn)
    assert saved["Q"].shape == (0,) and saved["R"].shape == (3, 3)
    values, vectors = la.eigh(spd)
    saved = _saved(values.grad_fn)
    assert np.array_equal(_np(saved["eigenvectors"]), _np(vectors))
    saved = _saved(la.eigvalsh(spd).grad_fn)  # (torch's node ran eigh: vectors kept)
    assert np.array_equal(_np(saved["eigenvectors"]), _np(vectors))
    assert np.array_equal(_np(saved["eigenvalues"]), _np(values))
    u, s, vh = la.svd(_x(torchlet, (4, 3)), full_matrices=False)
    saved = _saved(s.grad_fn)
    assert (saved["full_matrices"], saved["S_sym_argsize_minus_1"]) == (False, 3)
    assert np.array_equal(_np(saved["U"]), _np(u)) and np.array_equal(_np(saved["Vh"]), _np(vh))
    saved = _saved(la.svdvals(_x(torchlet, (4, 3))).grad_fn)
    assert np.array_equal(_np(saved["U"]), _np(u)) and saved["S_sym_argsize_minus_1"] == 3
    out = la.cross(_x(torchlet, (3, 2)), _x(torchlet, (3, 2), 1), dim=-2)
    assert sorted(_saved(out.grad_fn)) == ["dim", "other", "self"]
    assert out.grad_fn._saved_dim == M2
    assert torchlet.cross(_x(torchlet, (2, 3)), _x(torchlet, (2, 3), 1), 1).grad_fn._saved_dim == 1
    p, lower, upper = la.lu(a)
    saved = _saved(lower.grad_fn)
    assert saved["pivot"] is True and np.array_equal(_np(saved["P"]), _np(p))
    assert np.array_equal(_np(saved["L"]), _np(lower)) and np.array_equal(_np(saved["U"]),
                                                                          _np(upper))
    lu, pivots = la.lu_factor(a)
    saved = _saved(lu.grad_fn)
    assert saved["pivot"] is True and np.array_equal(saved["pivots"].numpy(), pivots.numpy())
    out = la.lu_solve(lu.detach(), pivots, b.detach().mT.requires_grad_(), adjoint=True)
    saved = _saved(out.grad_fn)
    assert (saved["left"], saved["adjoint"]) == (True, True)
    assert np.array_equal(saved["pivots"].numpy(), pivots.numpy())
    out = la.solve_triangular(spd.triu(), b.mT, upper=True, unitriangular=True)
    saved = _saved(out.grad_fn)
    assert (saved["upper"], saved["left"], saved["unitriangular"]) == (True, True, True)
    assert np.array_equal(_np(saved["result"]), _np(out))
    base = _x(torchlet, (3, 2), 2)
    out = torchlet.triangular_solve(base, spd.tril(), upper=False, transpose=True)[0]
    saved = _saved(out.grad_fn)
    assert np.array_equal(_np(saved["self"]), _np(base)) and saved["transpose"] is True
    chol = la.cholesky(_spd(torchlet)).detach().requires_grad_()
    out = torchlet.cholesky_solve(base, chol)
    saved = _saved(out.grad_fn)
    assert np.array_equal(_np(saved["self"]), _np(base)) and saved["upper"] is False
    out = torchlet.linalg.householder_product(_x(torchlet, (4, 3)), _x(torchlet, (2,), 1))
    assert np.array_equal(_np(out.grad_fn._saved_result), _np(out))
    node = torchlet.diag(_x(torchlet, (3,)), -1).grad_fn
    assert (node._saved_offset, node._saved_dim1, node._saved_dim2) == (M1, M2, M1)


def test_freed_after_backward():
    """Saved (and rebuilt) tensors raise torch's error once backward freed them; numbers,
    flags and sizes stay readable."""
    la = torchlet.linalg
    cases = [
        (lambda: la.det(_ns(torchlet)), ("A", "LU", "pivots", "result"), {}),
        (lambda: la.slogdet(_ns(torchlet))[1], ("A", "LU", "pivots", "sign"), {}),
        (lambda: la.solve(_ns(torchlet), _x(torchlet, (3,))), ("A", "LU", "result"),
         {"left": True}),
        (lambda: la.svdvals(_x(torchlet, (4, 3))), ("U", "S", "Vh"),
         {"S_sym_argsize_minus_1": 3, "full_matrices": False}),
        (lambda: la.eigvalsh(_spd(torchlet)), ("eigenvalues", "eigenvectors"), {}),
        (lambda: la.lu_factor(_ns(torchlet))[0], ("LU", "pivots"), {"pivot": True}),
        (lambda: _x(torchlet).cummax(-1)[0], ("self", "indices"), {"dim": M1}),
        (lambda: _x(torchlet).aminmax(dim=0)[1], ("self", "min", "max"),
         {"dim": 0, "keepdim": False}),
        (lambda: la.vector_norm(_x(torchlet), 3, -1), ("self", "result"),
         {"ord": 3, "dim": (M1,)}),
    ]
    for make, tensors, numbers in cases:
        out = make()
        node = out.grad_fn
        out.sum().backward()
        for name in tensors:
            with pytest.raises(RuntimeError, match=FREED):
                getattr(node, "_saved_" + name)
        assert {k: getattr(node, "_saved_" + k) for k in numbers} == numbers


def test_cummax_keeps_self_for_its_version_check():
    """torch's cummax saves self: changing it in place before backward is an error."""
    x = _x(torchlet).clone()
    values = x.cummax(0)[0]
    x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        values.sum().backward()


def test_viz_hides_the_given_dims():
    from torchlet.utils.viz import make_dot

    x = _x(torchlet)
    out = x.permute(-1, 0, 1).transpose(-1, 0).unsqueeze(-1).flip(-1).roll(1, -1)
    source = make_dot(out, show_attrs=True).source
    assert "given" not in source
    assert "FlipBackward0" in source and "RollBackward0" in source


# -- live comparison with torch -------------------------------------------------------------


CASES = {
    "permute neg": lambda L: _x(L).permute(-1, 0, -2),
    "permute fn": lambda L: L.permute(_x(L), (-1, -2, -3)),
    "transpose": lambda L: _x(L).transpose(-1, 0),
    "swapdims": lambda L: _x(L).swapdims(0, -1),
    "mT": lambda L: _x(L).mT,
    "mH": lambda L: _x(L).mH,
    "unsqueeze": lambda L: _x(L).unsqueeze(-1),
    "squeeze dim": lambda L: _x(L, (3, 1, 2)).squeeze(-2),
    "squeeze dim noop": lambda L: _x(L, (3, 1, 2)).squeeze(-1),
    "squeeze dims": lambda L: _x(L, (3, 1, 1)).squeeze((-1, 1)),
    "squeeze fn list": lambda L: L.squeeze(_x(L, (3, 1, 2)), [-2]),
    "transpose_": lambda L: _x(L).clone().transpose_(-1, 0),
    "squeeze_ dims": lambda L: _x(L, (3, 1, 2)).clone().squeeze_((-2, 0)),
    "unsqueeze_": lambda L: _x(L).clone().unsqueeze_(-1),
    "flip": lambda L: _x(L).flip([0, -1]),
    "fliplr": lambda L: _x(L).fliplr(),
    "roll": lambda L: _x(L).roll([1, -2], [0, -1]),
    "roll flat": lambda L: _x(L).roll(2),
    "split": lambda L: _x(L).split(2, -2)[0],
    "split sizes": lambda L: _x(L).split([1, 3], -2)[1],
    "chunk": lambda L: _x(L).chunk(2, -2)[0],
    "unbind": lambda L: _x(L).unbind(-1)[0],
    "glu": lambda L: L.nn.functional.glu(_x(L, (3, 4)), -1),
    "glu module": lambda L: L.nn.GLU(-2)(_x(L, (3, 4, 2))),
    "aminmax": lambda L: _x(L).aminmax()[0],
    "aminmax dim keep": lambda L: _x(L).aminmax(dim=1, keepdim=True)[1],
    "cummax": lambda L: _x(L).cummax(-1)[0],
    "cummin": lambda L: _x(L).cummin(0)[0],
    "vector_norm": lambda L: L.linalg.vector_norm(_x(L)),
    "vector_norm dims keep": lambda L: L.linalg.vector_norm(_x(L), 1, (-1, 0), True),
    "vector_norm inf": lambda L: L.linalg.vector_norm(_x(L), float("inf"), 1),
    "norm p dim": lambda L: _x(L).norm(3, -1),
    "norm fro": lambda L: _x(L).norm("fro", (0, 1)),
    "linalg.norm": lambda L: L.linalg.norm(_x(L), dim=-1),
    "matrix_norm": lambda L: L.linalg.matrix_norm(_x(L, (2, 3, 3)), dim=(-1, 0)),
    "inv": lambda L: L.linalg.inv(_ns(L)),
    "inv_ex": lambda L: L.linalg.inv_ex(_ns(L))[0],
    "det": lambda L: L.linalg.det(_ns(L)),
    "slogdet": lambda L: L.linalg.slogdet(_ns(L, 4, 1))[1],
    "solve": lambda L: L.linalg.solve(_ns(L), _x(L, (3, 2))),
    "solve right": lambda L: L.linalg.solve(_ns(L), _x(L, (2, 3)), left=False),
    "solve vec": lambda L: L.linalg.solve(_ns(L), _x(L, (3,))),
    "cholesky": lambda L: L.linalg.cholesky(_spd(L)),
    "cholesky upper": lambda L: L.linalg.cholesky(_spd(L), upper=True),
    "cholesky_ex": lambda L: L.linalg.cholesky_ex(_spd(L))[0],
    "qr": lambda L: L.linalg.qr(_x(L, (4, 3)))[0],
    "qr complete": lambda L: L.linalg.qr(_x(L, (4, 3)), "complete")[1],
    "qr r": lambda L: L.linalg.qr(_x(L, (4, 3)), "r")[1],
    "eigh values": lambda L: L.linalg.eigh(_spd(L))[0],
    "svd S": lambda L: L.linalg.svd(_x(L, (4, 3)))[1],
    "pinv": lambda L: L.linalg.pinv(_x(L, (4, 3))),
    "cross": lambda L: L.linalg.cross(_x(L, (3, 2)), _x(L, (3, 2), 1), dim=0),
    "torch.cross": lambda L: L.cross(_x(L, (3, 2)), _x(L, (3, 2), 1), dim=-2),
    "matrix_exp": lambda L: L.linalg.matrix_exp(_x(L, (3, 3))),
    "lu_factor": lambda L: L.linalg.lu_factor(_ns(L, 4))[0],
    "lu": lambda L: L.linalg.lu(_ns(L))[1],
    "lu_solve": lambda L: L.linalg.lu_solve(*L.linalg.lu_factor(_ns(L)), _x(L, (2, 3), 1),
                                            left=False, adjoint=True),
    "solve_triangular": lambda L: L.linalg.solve_triangular(_spd(L).triu(), _x(L, (3, 2)),
                                                            upper=True),
    "solve_triangular right": lambda L: L.linalg.solve_triangular(
        _spd(L).tril(), _x(L, (2, 3)), upper=False, left=False, unitriangular=True),
    "lstsq": lambda L: L.linalg.lstsq(_x(L, (4, 3)), _x(L, (4, 2), 1))[0],
    "householder": lambda L: L.linalg.householder_product(_x(L, (4, 3)), _x(L, (2,), 1)),
    "diag": lambda L: L.diag(_x(L, (3,)), -1),
}
# linalg values torch computes with its LAPACK (LU factors, factorizations): close, not equal
APPROXIMATE = {"det", "slogdet", "solve", "solve right", "solve vec", "lu_factor", "lu",
               "lu_solve", "qr", "qr complete", "qr r", "eigh values", "svd S", "pinv",
               "inv", "inv_ex", "cholesky", "cholesky upper", "cholesky_ex", "matrix_exp",
               "solve_triangular", "solve_triangular right", "lstsq", "householder",
               "norm p dim"}  # (and a p-norm's pow: within an ulp)
SIGN_AMBIGUOUS = {"eigh values": ("eigenvectors",), "svd S": ("U", "Vh")}


def _same(a, b, approximate):
    if hasattr(a, "shape") and hasattr(a, "detach"):
        if not (hasattr(b, "shape") and tuple(a.shape) == tuple(b.shape)
                and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]):
            return False
        x, y = _np(a), np.asarray(b.detach().numpy())
        if approximate and x.dtype.kind == "f":
            return np.allclose(x, y, rtol=1e-9, atol=1e-12)
        return np.array_equal(x, y)
    return a == b and type(a) is type(b)


def _compare(label, torch):
    mine, theirs = CASES[label](torchlet).grad_fn, CASES[label](torch).grad_fn
    assert mine.name() == theirs.name()
    skip = SIGN_AMBIGUOUS.get(label, ())
    got, want = _saved(mine), _saved(theirs)
    assert sorted(got) == sorted(want)
    for name, value in want.items():
        if name not in skip:
            assert _same(got[name], value, label in APPROXIMATE), name


@pytest.mark.parametrize("label", sorted(CASES))
def test_as_torch(label):
    torch = pytest.importorskip("torch")
    _compare(label, torch)


def _sampled_configs(count=60, seed=24):
    """Random shape ops with random (often negative) dims: (kind, shape, arguments)."""
    rng = np.random.default_rng(seed)
    kinds = ("permute", "transpose", "unsqueeze", "squeeze", "flip", "roll", "split",
             "unbind", "norm", "aminmax", "cummin")
    configs = []
    for n in range(count):
        ndim = int(rng.integers(1, 5))
        shape = tuple(int(s) for s in rng.integers(1, 4, ndim))
        dims = [int(d) - ndim if rng.random() < 0.5 else int(d) for d in rng.permutation(ndim)]
        kind = kinds[n % len(kinds)]
        args = {
            "permute": (tuple(dims),),
            "transpose": (dims[0], dims[-1]),
            "unsqueeze": (int(rng.integers(-ndim - 1, ndim + 1)),),
            "squeeze": (tuple(dims[:2]) if ndim > 1 else dims[0],),
            "flip": (dims[:int(rng.integers(1, ndim + 1))],),
            "roll": ([int(v) for v in rng.integers(-3, 4, len(dims[:2]))], dims[:2]),
            "norm": ([1, 2, 3.0, float("inf")][n % 4], dims[:2], bool(n % 2)),
        }.get(kind, (dims[0],))
        configs.append((kind, shape, args))
    return configs


def _sampled_op(kind, args, x):
    if kind == "split":
        return x.split(1, *args)[0]
    if kind == "unbind":
        return x.unbind(*args)[-1]
    if kind in ("aminmax", "cummin"):
        return getattr(x, kind)(*args)[0] if kind == "cummin" else x.aminmax(dim=args[0])[0]
    return getattr(x, kind)(*args)


def test_sampled_shape_ops_as_torch():
    torch = pytest.importorskip("torch")
    for n, (kind, shape, args) in enumerate(_sampled_configs()):
        a = np.random.default_rng(n).standard_normal(shape)
        mine = _sampled_op(kind, args, torchlet.tensor(a, requires_grad=True)).grad_fn
        theirs = _sampled_op(kind, args, torch.tensor(a, requires_grad=True)).grad_fn
        label = (kind, shape, args)
        assert mine.name() == theirs.name(), label
        got, want = _saved(mine), _saved(theirs)
        assert sorted(got) == sorted(want), label
        for name, value in want.items():
            assert _same(got[name], value, kind == "norm"), (label, name)


def test_diag_embed_dims_as_given():
    v = _x(torchlet, (2, 3))
    node = torchlet.diag_embed(v, 1, -1, 0).grad_fn
    assert (node._saved_offset, node._saved_dim1, node._saved_dim2) == (1, M1, 0)
    node = torchlet.diag(_x(torchlet, (3,))).grad_fn  # torch's diag_embed(v, offset)
    assert (node._saved_dim1, node._saved_dim2) == (M2, M1)
    # the gradient uses the wrapped dims: the diagonal read back
    torchlet.diag_embed(v, 1, -1, 0).sum().backward()
    assert np.array_equal(_np(v.grad), np.ones((2, 3)))

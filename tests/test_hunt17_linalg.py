"""Differential hunt 17 over torch.linalg: regression tests for what it found.

* Layouts: torch returns LAPACK's column-major results (strides (..., m * n, 1, m)) from
  inv, cholesky, qr, eigh, svd, solve (left), solve_triangular, lu_factor, lu_solve (left),
  cholesky_solve/inverse, triangular_solve, lstsq (a view of the max(m, n)-row buffer),
  geqrf, householder_product, ormqr, ldl_factor/solve; row-major ones from lu, lu_unpack,
  solve/lu_solve with left=False and matrix_power(A, 0 or 1).
* Empty matrices: lu_factor, lu, inv_ex, lu_solve and ldl_solve failed on 0 x n matrices
  or empty batches (a reshape with -1); matrix_norm with ord 1, 2 or inf answers 0 (no
  graph) where it takes the maximum of an empty dim.
* householder_product gives no gradients when A or tau is empty, as torch.
"""

import numpy as np
import pytest

import torchlet

COL = "col"  # column-major
ROW = "row"


def _expected_strides(shape, layout):
    """Strides of a fresh tensor of ``shape``: C order, or each matrix column by column."""
    if layout == ROW:
        dims = shape
    else:
        dims = shape[:-2] + (shape[-1], shape[-2])
    strides, step = [], 1
    for d in reversed(dims):
        strides.append(step)
        step *= d
    strides.reverse()
    if layout == COL:
        strides[-2], strides[-1] = strides[-1], strides[-2]
    return tuple(strides)


def _spd(lib, shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return lib.tensor(a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1]))


def _mat(lib, shape, seed=1):
    a = np.random.default_rng(seed).standard_normal(shape) + 4 * np.eye(shape[-1])
    return lib.tensor(a)


def _rhs(lib, shape, seed=2):
    return lib.tensor(np.random.default_rng(seed).standard_normal(shape))


# (name, fn(lib, batch) -> tensor, layout)
CASES = [
    ("inv", lambda t, b: t.linalg.inv(_mat(t, b + (3, 3))), COL),
    ("inv_ex", lambda t, b: t.linalg.inv_ex(_mat(t, b + (3, 3))).inverse, COL),
    ("cholesky", lambda t, b: t.linalg.cholesky(_spd(t, b + (3, 3))), COL),
    ("cholesky_upper", lambda t, b: t.linalg.cholesky(_spd(t, b + (3, 3)), upper=True), COL),
    ("cholesky_ex", lambda t, b: t.linalg.cholesky_ex(_spd(t, b + (3, 3))).L, COL),
    ("eigh_vectors", lambda t, b: t.linalg.eigh(_spd(t, b + (3, 3))).eigenvectors, COL),
    ("svd_U", lambda t, b: t.linalg.svd(_mat(t, b + (3, 3))).U, COL),
    ("svd_Vh", lambda t, b: t.linalg.svd(_rhs(t, b + (2, 4)), full_matrices=False).Vh, COL),
    ("qr_Q", lambda t, b: t.linalg.qr(_rhs(t, b + (4, 2))).Q, COL),
    ("qr_R", lambda t, b: t.linalg.qr(_rhs(t, b + (4, 2))).R, COL),
    ("solve", lambda t, b: t.linalg.solve(_mat(t, b + (3, 3)), _rhs(t, b + (3, 2))), COL),
    ("solve_right", lambda t, b: t.linalg.solve(_mat(t, b + (3, 3)), _rhs(t, b + (2, 3)),
                                                left=False), ROW),
    ("solve_triangular", lambda t, b: t.linalg.solve_triangular(
        _mat(t, b + (3, 3)), _rhs(t, b + (3, 2)), upper=True), COL),
    ("solve_triangular_right", lambda t, b: t.linalg.solve_triangular(
        _mat(t, b + (3, 3)), _rhs(t, b + (2, 3)), upper=True, left=False), COL),
    ("lu_factor", lambda t, b: t.linalg.lu_factor(_mat(t, b + (3, 3))).LU, COL),
    ("lu_L", lambda t, b: t.linalg.lu(_mat(t, b + (3, 3))).L, ROW),
    ("lu_solve", lambda t, b: t.linalg.lu_solve(*t.linalg.lu_factor(_mat(t, b + (3, 3))),
                                                _rhs(t, b + (3, 2))), COL),
    ("lu_solve_right", lambda t, b: t.linalg.lu_solve(
        *t.linalg.lu_factor(_mat(t, b + (3, 3))), _rhs(t, b + (2, 3)), left=False), ROW),
    ("cholesky_solve", lambda t, b: t.cholesky_solve(
        _rhs(t, b + (3, 2)), t.linalg.cholesky(_spd(t, b + (3, 3)))), COL),
    ("cholesky_inverse", lambda t, b: t.cholesky_inverse(
        t.linalg.cholesky(_spd(t, b + (3, 3)))), COL),
    ("lstsq_square", lambda t, b: t.linalg.lstsq(_mat(t, b + (3, 3)),
                                                 _rhs(t, b + (3, 2))).solution, COL),
    ("geqrf", lambda t, b: t.geqrf(_rhs(t, b + (4, 3)))[0], COL),
    ("householder_product", lambda t, b: t.linalg.householder_product(
        _rhs(t, b + (4, 3)), _rhs(t, b + (3,)) * 0.3), COL),
    ("ldl_factor", lambda t, b: t.linalg.ldl_factor(_spd(t, b + (3, 3))).LD, COL),
    ("matrix_power_0", lambda t, b: t.linalg.matrix_power(_mat(t, b + (3, 3)).mT, 0), ROW),
    ("matrix_power_1", lambda t, b: t.linalg.matrix_power(_mat(t, b + (3, 3)).mT, 1), ROW),
]


@pytest.mark.parametrize("batch", [(), (2,), (2, 1)])
@pytest.mark.parametrize("name,fn,layout", CASES, ids=[c[0] for c in CASES])
def test_result_layouts(name, fn, layout, batch):
    out = fn(torchlet, batch)
    assert out.stride() == _expected_strides(tuple(out.shape), layout)
    torch = pytest.importorskip("torch")
    want = fn(torch, batch)
    assert out.stride() == want.stride()
    got, expected = out.detach().numpy(), want.detach().numpy()
    if name.startswith(("eigh", "svd")):  # the signs of the vectors are not unique
        got, expected = np.abs(got), np.abs(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)


def test_column_major_results_are_not_viewable():
    """torch's inv(A).view(-1) raises (a column-major result); so does torchlet's now."""
    a = _mat(torchlet, (3, 3))
    assert not torchlet.linalg.inv(a).is_contiguous()
    assert torchlet.linalg.inv(a).mT.is_contiguous()
    with pytest.raises(RuntimeError):
        torchlet.linalg.inv(a).view(-1)


def test_lstsq_tall_solution_is_a_view_of_the_gels_buffer():
    a, b = _rhs(torchlet, (2, 5, 3)), _rhs(torchlet, (2, 5, 1), 3)
    x = torchlet.linalg.lstsq(a, b).solution
    assert tuple(x.shape) == (2, 3, 1) and x.stride() == (5, 1, 5)
    assert torchlet.linalg.lstsq(a, b[..., 0]).solution.stride() == (5, 1)
    assert torchlet.linalg.lstsq(a[0], _rhs(torchlet, (5, 2))).solution.stride() == (1, 5)
    expected = np.linalg.lstsq(a._data[0], b._data[0], rcond=None)[0]
    np.testing.assert_allclose(x.numpy()[0], expected, rtol=1e-10)
    torch = pytest.importorskip("torch")
    tx = torch.linalg.lstsq(torch.tensor(a.numpy()), torch.tensor(b.numpy())).solution
    assert tx.stride() == x.stride()


EMPTY = [(0, 0), (2, 0, 0), (0, 3), (3, 0), (2, 0, 3), (0, 3, 3)]


def _lu_outputs(lib, shape):
    a = lib.zeros(shape, dtype=lib.float64)
    lu, piv = lib.linalg.lu_factor(a)
    p, lower, upper = lib.linalg.lu(a)
    out = [lu, piv, p, lower, upper, *lib.linalg.lu_factor_ex(a)]
    if shape[-1] == shape[-2]:
        out += list(lib.linalg.inv_ex(a))
        out.append(lib.linalg.lu_solve(lu, piv, lib.zeros(shape[:-1] + (2,),
                                                          dtype=lib.float64)))
        ld, ldl_piv = lib.linalg.ldl_factor(a)
        out.append(lib.linalg.ldl_solve(ld, ldl_piv, lib.zeros(shape[:-1] + (2,),
                                                               dtype=lib.float64)))
    return out


@pytest.mark.parametrize("shape", EMPTY)
def test_lu_family_on_empty_matrices(shape):
    out = _lu_outputs(torchlet, shape)
    m, n = shape[-2:]
    k = min(m, n)
    assert tuple(out[0].shape) == shape
    assert tuple(out[1].shape) == shape[:-2] + (k,) and out[1].dtype == torchlet.int32
    assert tuple(out[2].shape) == shape[:-2] + (m, m)
    assert tuple(out[3].shape) == shape[:-2] + (m, k)
    assert tuple(out[4].shape) == shape[:-2] + (k, n)
    torch = pytest.importorskip("torch")
    want = _lu_outputs(torch, shape)
    assert len(want) == len(out)
    for x, y in zip(out, want, strict=True):
        assert tuple(x.shape) == tuple(y.shape)
        assert str(x.dtype) == str(y.dtype)
        np.testing.assert_array_equal(x.numpy(), y.numpy())


@pytest.mark.parametrize("shape", EMPTY)
@pytest.mark.parametrize("ord", [1, 2, float("inf"), -1, -2, float("-inf"), "nuc", "fro"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_of_empty_matrices(shape, ord, keepdim):  # noqa: A002
    def run(lib):
        a = lib.zeros(shape, dtype=lib.float64, requires_grad=True)
        try:
            return lib.linalg.matrix_norm(a, ord, keepdim=keepdim)
        except IndexError as e:
            return e

    got = run(torchlet)
    m, n = shape[-2:]
    # the maximum of an empty dim is 0 (a new tensor), its minimum an error
    max_dim_empty = {1: n == 0, float("inf"): m == 0, 2: m == 0 or n == 0}
    if ord in max_dim_empty and max_dim_empty[ord]:
        assert isinstance(got, torchlet.Tensor) and got.grad_fn is None
        assert not got.numpy().any()
    torch = pytest.importorskip("torch")
    want = run(torch)
    if isinstance(want, Exception):
        assert isinstance(got, IndexError)
        return
    assert tuple(got.shape) == tuple(want.shape)
    assert (got.grad_fn is None) == (want.grad_fn is None)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("shape,k", [((3, 0), 0), ((3, 3), 0), ((0, 0), 0), ((2, 3, 2), 0),
                                     ((0, 3, 2), 2)])
def test_householder_product_no_gradient_when_empty(shape, k):
    a = torchlet.ones(shape, dtype=torchlet.float64, requires_grad=True)
    tau = torchlet.full(shape[:-2] + (k,), 0.3, dtype=torchlet.float64, requires_grad=True)
    q = torchlet.linalg.householder_product(a, tau)
    np.testing.assert_array_equal(q.detach().numpy(), np.broadcast_to(np.eye(*shape[-2:]), shape))
    grads = torchlet.autograd.grad(q.sum(), [a, tau], allow_unused=True)
    assert grads == (None, None)
    torch = pytest.importorskip("torch")
    ta = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    ttau = torch.full(shape[:-2] + (k,), 0.3, dtype=torch.float64, requires_grad=True)
    tq = torch.linalg.householder_product(ta, ttau)
    assert torch.autograd.grad(tq.sum(), [ta, ttau], allow_unused=True) == (None, None)


def _sampled_configs():
    rng = np.random.default_rng(17)
    names = ["inv", "cholesky", "eigh", "svd", "qr", "solve", "solve_tri", "lu_solve",
             "lstsq", "cholesky_solve", "lu_factor", "pinv"]
    configs = []
    for i in range(40):
        name = names[i % len(names)]
        batch = [(), (2,), (1, 2), (2, 1), (3,)][int(rng.integers(5))]
        n = int(rng.integers(1, 5))
        dtype = ["float32", "float64"][int(rng.integers(2))]
        configs.append((name, batch, n, dtype, int(rng.integers(1 << 30))))
    return configs


def _sampled(lib, name, batch, n, dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (n, n)) + n * np.eye(n)
    spd = a @ np.swapaxes(a, -1, -2) + n * np.eye(n)
    b = rng.standard_normal(batch + (n, 2))
    dt = getattr(lib, dtype)
    A, S, B = (lib.tensor(x, dtype=dt) for x in (a, spd, b))  # noqa: N806
    if name == "inv":
        return [lib.linalg.inv(A)]
    if name == "cholesky":
        return [lib.linalg.cholesky(S)]
    if name == "eigh":
        vals, vecs = lib.linalg.eigh(S)
        return [vals, vecs, vecs @ lib.diag_embed(vals) @ vecs.mT]
    if name == "svd":
        u, s, vh = lib.linalg.svd(A)
        return [u, s, vh, (u * s.unsqueeze(-2)) @ vh]
    if name == "qr":
        q, r = lib.linalg.qr(A)
        return [q, r, q @ r]
    if name == "solve":
        return [lib.linalg.solve(A, B), lib.linalg.solve(A, B.mT, left=False)]
    if name == "solve_tri":
        return [lib.linalg.solve_triangular(A, B, upper=False)]
    if name == "lu_solve":
        lu, piv = lib.linalg.lu_factor(A)
        return [lu, lib.linalg.lu_solve(lu, piv, B), lib.linalg.lu_solve(lu, piv, B.mT, left=False)]
    if name == "lstsq":
        return [lib.linalg.lstsq(A, B).solution]
    if name == "cholesky_solve":
        return [lib.cholesky_solve(B, lib.linalg.cholesky(S))]
    if name == "lu_factor":
        return list(lib.linalg.lu_factor(A))
    return [lib.linalg.pinv(A)]


@pytest.mark.parametrize("config", _sampled_configs(), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}")
def test_sampled_layouts_and_values(config):
    name, batch, n, dtype, seed = config
    got = _sampled(torchlet, *config)
    torch = pytest.importorskip("torch")
    want = _sampled(torch, *config)
    rtol = 1e-4 if dtype == "float32" else 1e-9
    for x, y in zip(got, want, strict=True):
        assert tuple(x.shape) == tuple(y.shape)
        assert str(x.dtype) == str(y.dtype)
        assert x.stride() == y.stride(), (name, tuple(x.shape))
        if name in ("eigh", "svd", "qr"):  # signs of vectors are not unique
            xa, ya = np.abs(x.numpy()), np.abs(y.numpy())
        else:
            xa, ya = x.numpy(), y.numpy()
        np.testing.assert_allclose(xa, ya, rtol=rtol, atol=rtol * 10)


def test_amin_amax_name_the_empty_dim_as_given():
    """torch's amin/amax echo the dim as the caller wrote it (max/argmax normalise it)."""
    cases = [((2, 0), -1, "amin", "-1"), ((2, 0), (0, -1), "amax", "-1"),
             ((2, 0, 3), (-1, 1), "amax", "1"), ((0, 2), -2, "amin", "-2")]
    for shape, dim, name, shown in cases:
        with pytest.raises(IndexError, match=rf"{name}\(\): Expected reduction dim {shown} to"):
            getattr(torchlet.zeros(*shape), name)(dim)
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 1 to"):
        torchlet.zeros(2, 0).max(-1)


def test_cholesky_stops_at_nan_and_infinite_pivots_as_lapack():
    """torch's potrf reports a NaN pivot (inf / inf makes one) where NumPy's LAPACK carries
    on: cholesky raises, cholesky_ex reports the order in info."""
    inf, nan = float("inf"), float("nan")
    cases = [([[nan, 1.0], [1.0, 2.0]], 1), ([[inf, inf], [inf, 15.77]], 2),
             ([[4.0, nan], [nan, 2.0]], 2), ([[inf, 0.0], [0.0, 1.0]], 0),
             ([[4.0, 1.0], [1.0, inf]], 0)]
    for matrix, info in cases:
        a = torchlet.tensor(matrix, dtype=torchlet.float64)
        assert torchlet.linalg.cholesky_ex(a).info.item() == info
        if info:
            with pytest.raises(torchlet.linalg.LinAlgError,
                               match=f"leading minor of order {info} is not"):
                torchlet.linalg.cholesky(a)
        else:
            torchlet.linalg.cholesky(a)


def test_column_major_outputs_stay_linked_for_double_backward():
    """A laid-out copy must be the very array a node saves as its output, else a second
    backward treats it as a constant (triangular_solve and lu gave zero second
    derivatives when the saved result was the pre-layout array)."""
    a = torchlet.tensor([[2.0, 0.0], [1.0, 3.0]], dtype=torchlet.float64, requires_grad=True)
    b = torchlet.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradgradcheck(
        lambda b, a: torchlet.triangular_solve(b, a, upper=False)[0], (b, a))
    m = torchlet.tensor([[4.0, 3.0], [6.0, 3.0]], dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradgradcheck(lambda m: torchlet.linalg.lu(m)[1:], (m,))

"""Live checks of the Householder helpers, the legacy factorisations, solve_ex and LDL^T
that the op-spec table (tests/specs/linalg_decomp.py) cannot express.

Bit-exact against torch: LDL's pivots and info (LAPACK's Bunch-Kaufman choices, on random,
indefinite and tie-heavy matrices, and beyond 64 columns, where torch's sytrf blocks),
solve_ex's info and the inf/nan pattern of a singular solve, return-type names and fields,
grad_fn names, warning and error messages. LD and solutions agree within float rounding
(rtol 1e-10 in float64, scaled by the matrix size; 1e-3 in float32): LAPACK builds order
their sums differently.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)


def _symmetric_cases():
    cases = []
    for n in (1, 2, 3, 5, 8, 17, 70):
        for kind in ("random", "zero_diagonal", "integers"):
            x = RNG.standard_normal((n, n))
            x = x + x.T
            if kind == "zero_diagonal" and n > 1:
                np.fill_diagonal(x, 0.0)
            if kind == "integers":  # many ties between pivot candidates
                x = np.round(2 * x)
            cases.append(pytest.param(x, id=f"{kind}-{n}"))
    return cases


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x", _symmetric_cases())
def test_ldl_factor_pivots_equal_torch(x, dtype):
    x = x.astype(dtype)
    ours = torchlet.linalg.ldl_factor_ex(torchlet.tensor(x))
    theirs = torch.linalg.ldl_factor_ex(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == "linalg_ldl_factor_ex"
    np.testing.assert_array_equal(ours.pivots.numpy(), theirs.pivots.numpy())
    assert ours.pivots.dtype == torchlet.int32
    assert int(ours.info) == int(theirs.info)
    rtol = 1e-3 if dtype == np.float32 else 1e-10 * x.shape[0]
    scale = max(1.0, float(np.abs(theirs.LD.numpy()).max()))
    np.testing.assert_allclose(ours.LD.numpy(), theirs.LD.numpy(), rtol=0, atol=rtol * scale)


def test_ldl_factor_reads_only_the_lower_triangle():
    x = RNG.standard_normal((5, 5))
    lower = np.tril(x) + np.tril(x, -1).T
    a = torchlet.linalg.ldl_factor(torchlet.tensor(x))
    b = torchlet.linalg.ldl_factor(torchlet.tensor(lower))
    np.testing.assert_array_equal(a.LD.numpy(), b.LD.numpy())
    np.testing.assert_array_equal(a.pivots.numpy(), b.pivots.numpy())


@pytest.mark.parametrize("n", [1, 4, 9, 70])
def test_ldl_solve_solves_and_equals_torch(n):
    x = RNG.standard_normal((2, n, n))
    x = x + x.swapaxes(-1, -2)
    if n > 1:
        x[:, np.arange(n), np.arange(n)] = 0.0
    b = RNG.standard_normal((2, n, 3))
    ld, pivots = torchlet.linalg.ldl_factor(torchlet.tensor(x))
    ours = torchlet.linalg.ldl_solve(ld, pivots, torchlet.tensor(b)).numpy()
    tld, tpivots = torch.linalg.ldl_factor(torch.tensor(x))
    theirs = torch.linalg.ldl_solve(tld, tpivots, torch.tensor(b)).numpy()
    np.testing.assert_allclose(x @ ours, b, atol=1e-8)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-8)


def test_ldl_has_no_derivative_as_torch():
    x = torchlet.eye(3, requires_grad=True)
    tx = torch.eye(3, requires_grad=True)
    ld = torchlet.linalg.ldl_factor(x).LD
    assert ld.grad_fn.name() == torch.linalg.ldl_factor(tx).LD.grad_fn.name()
    with pytest.raises(RuntimeError, match="derivative for aten::linalg_ldl_factor_ex"):
        ld.sum().backward()


def test_solve_ex_singular_values_and_info_as_torch():
    a = np.stack([np.eye(3), np.zeros((3, 3)), [[1.0, 2, 3], [2, 4, 6], [1, 0, 1]]])
    b = np.ones((3, 3, 2))
    ours = torchlet.linalg.solve_ex(torchlet.tensor(a), torchlet.tensor(b))
    theirs = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(ours.info.numpy(), theirs.info.numpy())
    assert ours.info.dtype == torchlet.int32
    mine, want = ours.result.numpy(), theirs.result.numpy()
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(mine), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(mine[finite], want[finite], rtol=1e-12)


@pytest.mark.parametrize("a_shape, b_shape", [((3, 3), (2, 3, 1)), ((2, 1, 3, 3), (3, 3, 2)),
                                              ((2, 3, 3), (3,))])
def test_solve_ex_info_has_the_batch_shape_of_a(a_shape, b_shape):
    a = np.broadcast_to(np.eye(3), a_shape)
    b = np.ones(b_shape)
    ours = torchlet.linalg.solve_ex(torchlet.tensor(a), torchlet.tensor(b))
    theirs = torch.linalg.solve_ex(torch.tensor(a), torch.tensor(b))
    assert ours.info.shape == theirs.info.shape
    assert ours.result.shape == theirs.result.shape


def test_geqrf_householder_product_rebuilds_qr():
    a = RNG.standard_normal((2, 6, 4))
    compact, tau = torchlet.geqrf(torchlet.tensor(a))
    q = torchlet.linalg.householder_product(compact, tau).numpy()
    r = np.triu(compact.numpy()[..., :4, :])
    np.testing.assert_allclose(q @ r, a, atol=1e-12)
    np.testing.assert_allclose(q.swapaxes(-1, -2) @ q, np.broadcast_to(np.eye(4), (2, 4, 4)),
                               atol=1e-12)
    eye = torchlet.tensor(np.broadcast_to(np.eye(6), (2, 6, 6)).copy())
    full = torchlet.ormqr(compact, tau, eye).numpy()
    np.testing.assert_allclose(full[..., :4], q, atol=1e-12)


def test_geqrf_has_no_derivative_as_torch():
    out = torchlet.geqrf(torchlet.ones(3, 2, requires_grad=True))
    theirs = torch.geqrf(torch.ones(3, 2, requires_grad=True))
    assert out.a.grad_fn.name() == theirs.a.grad_fn.name() == "GeqrfBackward0"
    with pytest.raises(NotImplementedError, match="derivative for 'geqrf'"):
        out.a.sum().backward()


def test_return_types_and_fields_as_torch():
    x = RNG.standard_normal((4, 3))
    ours, theirs = torchlet.tensor(x), torch.tensor(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [
            (torchlet.qr(ours), torch.qr(theirs)),
            (torchlet.svd(ours), torch.svd(theirs)),
            (torchlet.geqrf(ours), torch.geqrf(theirs)),
            (torchlet.lu(ours, get_infos=True), torch.lu(theirs, get_infos=True)),
            (torchlet.lu_unpack(*torchlet.linalg.lu_factor(ours)),
             torch.lu_unpack(*torch.linalg.lu_factor(theirs))),
            (torchlet.linalg.solve_ex(torchlet.eye(3), torchlet.ones(3)),
             torch.linalg.solve_ex(torch.eye(3), torch.ones(3))),
            (torchlet.linalg.ldl_factor(torchlet.eye(3)), torch.linalg.ldl_factor(torch.eye(3))),
        ]
        for mine, want in pairs:
            assert type(mine).__name__ == type(want).__name__
            assert len(mine) == len(want)
            for field in mine._fields:  # torch has each field, with the same shape
                assert getattr(mine, field).shape == tuple(getattr(want, field).shape), field
        lu = torchlet.lu(ours)
        assert type(lu) is tuple and len(lu) == 2


def test_svd_returns_v_and_grad_fns_as_torch():
    x = RNG.standard_normal((4, 3))
    ours = torchlet.svd(torchlet.tensor(x, requires_grad=True))
    theirs = torch.svd(torch.tensor(x, requires_grad=True))
    for mine, want in zip(ours, theirs, strict=True):
        assert mine.grad_fn.name() == want.grad_fn.name()
    rebuilt = (ours.U.detach().numpy() * ours.S.detach().numpy()) @ ours.V.detach().numpy().T
    np.testing.assert_allclose(rebuilt, x, atol=1e-12)
    no_uv = torchlet.svd(torchlet.tensor(x), compute_uv=False)
    assert not no_uv.U.numpy().any() and no_uv.U.shape == (4, 4) and no_uv.V.shape == (3, 3)


@pytest.mark.parametrize("name, call", [
    ("qr", lambda t: t.qr(t.eye(3))),
    ("lu", lambda t: t.lu(t.eye(3))),
    ("qr_method", lambda t: t.eye(3).qr()),
])
def test_deprecation_warnings_as_torch(name, call):
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        call(torchlet)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        call(torch)
    assert len(ours) == 1 and ours[0].category is UserWarning
    assert str(ours[0].message).startswith(f"torch.{name.removesuffix('_method')} is deprecated")
    # torch warns once per process (TORCH_WARN_ONCE), and appends "(Triggered internally at
    # <its C++ source>)"
    if theirs:
        assert str(theirs[0].message).startswith(str(ours[0].message))


def test_svd_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torchlet.svd(torchlet.eye(3))


@pytest.mark.parametrize("call", [
    lambda t: t.lstsq(t.ones(3, 1), t.eye(3)),
    lambda t: t.solve(t.ones(3, 1), t.eye(3)),
    lambda t: t.symeig(t.eye(3), eigenvectors=True),
    lambda t: t.eig(t.eye(3), True),
    lambda t: t.matrix_rank(t.eye(3), tol=0.1),
    lambda t: t.ones(3, 1).lstsq(t.eye(3)),
    lambda t: t.ones(3, 1).solve(t.eye(3)),
    lambda t: t.eye(3).symeig(),
    lambda t: t.eye(3).eig(eigenvectors=True),
])
def test_removed_functions_raise_torchs_message(call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch)
    with pytest.raises(RuntimeError) as ours:
        call(torchlet)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_eig_and_eigvals_say_complex_is_not_supported(name):
    with pytest.raises(NotImplementedError, match="no complex dtypes"):
        getattr(torchlet.linalg, name)(torchlet.eye(3))
    values = torch.linalg.eigvals(torch.eye(3)) if name == "eigvals" else torch.linalg.eig(
        torch.eye(3)).eigenvalues
    assert values.is_complex()  # why torchlet cannot


def test_householder_double_backward_matches_torch():
    a = RNG.standard_normal((4, 3))
    tau = RNG.uniform(-1, 1, 3)
    grads = []
    for lib in (torchlet, torch):
        x = lib.tensor(a, requires_grad=True)
        t = lib.tensor(tau, requires_grad=True)
        out = lib.linalg.householder_product(x, t)
        (gx,) = lib.autograd.grad((out ** 2).sum(), x, create_graph=True)
        (gt,) = lib.autograd.grad((gx ** 2).sum(), t)
        grads.append(gt.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)

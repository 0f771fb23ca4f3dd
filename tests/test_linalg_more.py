"""torch.linalg (products, spectral, triangular, lu) and the top-level aliases: what the
op-spec table (tests/specs/linalg_more.py) cannot express. Named-tuple types and reprs,
deprecation warnings, Tensor methods, the backward errors torch itself raises, and
bulk bit-exactness of cross and of the LU pivots, compared with torch where installed."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
RNG = np.random.default_rng(11)
METHODS = ("cross", "matrix_power", "matrix_exp", "det", "logdet", "slogdet", "inverse",
           "pinverse", "cholesky", "cholesky_solve", "cholesky_inverse", "lu_solve",
           "triangular_solve")


@pytest.mark.parametrize("name", METHODS)
def test_tensor_methods_exist(name):
    assert hasattr(torchlet.Tensor, name)
    assert hasattr(torchlet, name)


def _named_tuples(lib):
    a = lib.tensor([[4.0, 1.0, 2.0], [1.0, 5.0, 0.0], [2.0, 0.0, 6.0]], dtype=lib.float64)
    b = lib.tensor([[1.0], [2.0], [3.0]], dtype=lib.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "lstsq": lib.linalg.lstsq(a, b),
            "lstsq_gelsd": lib.linalg.lstsq(a, b, driver="gelsd"),
            "inv_ex": lib.linalg.inv_ex(lib.eye(2, dtype=lib.float64)),
            "cholesky_ex": lib.linalg.cholesky_ex(lib.eye(2)),
            "lu_factor": lib.linalg.lu_factor(lib.eye(2)),
            "lu_factor_ex": lib.linalg.lu_factor_ex(lib.zeros(2, 2)),
            "lu": lib.linalg.lu(lib.eye(2)),
            "triangular_solve": lib.triangular_solve(b, lib.eye(3, dtype=lib.float64)),
            "slogdet": lib.slogdet(lib.eye(2)),
        }


@needs_torch
def test_named_tuples_match_torch():
    mine, theirs = _named_tuples(torchlet), _named_tuples(torch)
    for key, want in theirs.items():
        got = mine[key]
        assert type(got).__name__ == type(want).__name__, key
        assert len(got) == len(want), key
        for field in type(want)._fields if hasattr(type(want), "_fields") else ():
            getattr(got, field)
        assert repr(got) == repr(want), key


def test_named_tuple_fields():
    r = _named_tuples(torchlet)
    assert r["lstsq"]._fields == ("solution", "residuals", "rank", "singular_values")
    assert r["lu"]._fields == ("P", "L", "U")
    assert r["triangular_solve"]._fields == ("solution", "cloned_coefficient")
    solution, residuals, rank, values = r["lstsq_gelsd"]
    assert int(rank) == 3 and values.shape == (3,) and residuals.shape == (0,)


@pytest.mark.parametrize("call, first_line", [
    (lambda t: t.cross(t.ones(2, 3), t.ones(2, 3)),
     "Using torch.cross without specifying the dim arg is deprecated."),
    (lambda t: t.cholesky(t.eye(2)),
     "torch.cholesky is deprecated in favor of torch.linalg.cholesky"),
    (lambda t: t.triangular_solve(t.ones(2, 1), t.eye(2)),
     "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangular"),
    (lambda t: t.lu_solve(t.ones(2, 1), *t.linalg.lu_factor(t.eye(2))),
     "torch.lu_solve is deprecated in favor of torch.linalg.lu_solve"),
])
def test_deprecation_warnings(call, first_line, monkeypatch):
    monkeypatch.setattr(torchlet._tensor, "_WARNED", set())  # (some warn once per process)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(torchlet)
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any(m.startswith(first_line) for m in messages), messages


def test_cross_dim_given_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torchlet.cross(torchlet.ones(2, 3), torchlet.ones(2, 3), dim=1)


@pytest.mark.parametrize("lib_name", ["torchlet", "torch"])
@pytest.mark.parametrize("expression", [
    lambda t, x: t.vander(x),  # running product in place over its own input
    lambda t, x: t.linalg.cond(x.reshape(2, 2), 1),  # inverse masked in place
])
def test_backward_raises_where_torch_raises(lib_name, expression):
    if lib_name == "torch" and torch is None:
        pytest.skip("torch is not installed")
    lib = torchlet if lib_name == "torchlet" else torch
    x = lib.tensor([1.0, 2.0, 3.0, 5.0], requires_grad=True)
    out = expression(lib, x)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64"])
def test_cross_bit_exact_in_bulk(dtype):
    if dtype == "int64":
        a, b = (RNG.integers(-1000, 1000, (20000, 3)) for _ in range(2))
    else:
        a, b = (RNG.standard_normal((20000, 3)).astype(dtype) for _ in range(2))
    got = torchlet.linalg.cross(torchlet.tensor(a), torchlet.tensor(b)).numpy()
    want = torch.linalg.cross(torch.tensor(a), torch.tensor(b)).numpy()
    assert np.array_equal(got, want)


@needs_torch
@pytest.mark.parametrize("shape", [(300, 5, 5), (100, 6, 3), (100, 3, 6), (5, 30, 30)])
def test_lu_pivots_match_torch_in_bulk(shape):
    a = RNG.standard_normal(shape)
    got = torchlet.linalg.lu_factor(torchlet.tensor(a)).pivots.numpy()
    want = torch.linalg.lu_factor(torch.tensor(a)).pivots.numpy()
    assert got.dtype == want.dtype == np.int32
    assert np.array_equal(got, want)


@pytest.mark.parametrize("shape", [(4, 4), (2, 6, 3), (3, 2, 5)])
def test_lu_reconstructs_and_is_triangular(shape):
    a = RNG.standard_normal(shape)
    p, lower, upper = torchlet.linalg.lu(torchlet.tensor(a))
    p, lower, upper = p.numpy(), lower.numpy(), upper.numpy()
    np.testing.assert_allclose(p @ lower @ upper, a, atol=1e-12)
    assert np.all(np.triu(lower, 1) == 0) and np.all(np.diagonal(lower, 0, -2, -1) == 1)
    assert np.all(np.tril(upper, -1) == 0)
    assert np.all(np.abs(np.tril(lower, -1)) <= 1)  # partial pivoting


def test_inv_ex_and_cholesky_ex_report_per_matrix():
    batch = torchlet.stack([torchlet.eye(3), torchlet.zeros(3, 3), 2 * torchlet.eye(3)])
    inverse, info = torchlet.linalg.inv_ex(batch)
    assert info.dtype == torchlet.int32 and info.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(inverse[2].numpy(), 0.5 * np.eye(3))
    _, info = torchlet.linalg.cholesky_ex(torchlet.stack([torchlet.eye(2), -torchlet.eye(2)]))
    assert info.tolist() == [0, 1]


def test_lstsq_rank_deficient_is_minimum_norm():
    a = RNG.standard_normal((6, 4))
    a[:, 3] = a[:, 0] + a[:, 1]
    b = RNG.standard_normal((6, 2))
    result = torchlet.linalg.lstsq(torchlet.tensor(a), torchlet.tensor(b), driver="gelsd")
    assert int(result.rank) == 3
    np.testing.assert_allclose(result.solution.numpy(), np.linalg.pinv(a) @ b, atol=1e-12)


def test_matrix_exp_float16_close_to_float64():
    # torch 2.13's float16 CPU kernel returns inf/nan here; torchlet rounds the float64 result
    a = RNG.uniform(-1, 1, (3, 3))
    got = torchlet.linalg.matrix_exp(torchlet.tensor(a, dtype=torchlet.float16)).numpy()
    want = torchlet.linalg.matrix_exp(torchlet.tensor(a.astype(np.float16).astype(np.float64)))
    assert got.dtype == np.float16
    np.testing.assert_allclose(got, want.numpy(), rtol=2e-3, atol=2e-3)


def test_matrix_exp_of_diagonal_and_nilpotent():
    d = torchlet.diag(torchlet.tensor([0.5, -1.0, 2.0], dtype=torchlet.float64))
    np.testing.assert_allclose(torchlet.linalg.matrix_exp(d).numpy(),
                               np.diag(np.exp([0.5, -1.0, 2.0])), rtol=1e-14)
    n = torchlet.tensor([[0.0, 1.0], [0.0, 0.0]], dtype=torchlet.float64)
    np.testing.assert_allclose(torchlet.linalg.matrix_exp(30 * n).numpy(),
                               [[1.0, 30.0], [0.0, 1.0]], rtol=1e-13)

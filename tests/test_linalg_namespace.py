"""torch.linalg checks the op-spec table cannot express: the LinAlgError type, and
properties of factors that are unique only up to signs (orthogonality, reconstruction,
ascending eigenvalues), compared with torch where torch is installed."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

L = torchlet.linalg
RNG = np.random.default_rng(7)


def test_linalg_error_is_a_runtime_error():
    assert issubclass(L.LinAlgError, RuntimeError)
    with pytest.raises(L.LinAlgError, match="input matrix is singular"):
        L.inv(torchlet.zeros(2, 2))
    with pytest.raises(L.LinAlgError, match="not positive-definite"):
        L.cholesky(-torchlet.eye(2))


@pytest.mark.parametrize("shape", [(4, 4), (2, 5, 3), (2, 3, 5)])
def test_svd_factors_are_orthonormal_and_reconstruct(shape):
    a = torchlet.tensor(RNG.standard_normal(shape))
    u, s, vh = L.svd(a, full_matrices=True)
    m, n = shape[-2:]
    np.testing.assert_allclose(u.numpy().swapaxes(-1, -2) @ u.numpy(), np.broadcast_to(
        np.eye(m), u.shape), atol=1e-12)
    np.testing.assert_allclose(vh.numpy() @ vh.numpy().swapaxes(-1, -2), np.broadcast_to(
        np.eye(n), vh.shape), atol=1e-12)
    k = min(m, n)
    rebuilt = (u.numpy()[..., :k] * s.numpy()[..., None, :]) @ vh.numpy()[..., :k, :]
    np.testing.assert_allclose(rebuilt, a.numpy(), atol=1e-12)
    assert np.all(np.diff(s.numpy(), axis=-1) <= 0)


def test_eigh_ascending_and_reconstructs():
    b = RNG.standard_normal((3, 4, 4))
    a = torchlet.tensor(b + b.swapaxes(-1, -2))
    values, vectors = L.eigh(a)
    assert np.all(np.diff(values.numpy(), axis=-1) > 0)
    v = vectors.numpy()
    np.testing.assert_allclose((v * values.numpy()[..., None, :]) @ v.swapaxes(-1, -2),
                               a.numpy(), atol=1e-12)


def test_qr_orthonormal_upper_triangular():
    a = torchlet.tensor(RNG.standard_normal((2, 5, 3)))
    q, r = L.qr(a)
    assert q.shape == (2, 5, 3) and r.shape == (2, 3, 3)
    np.testing.assert_allclose(q.numpy().swapaxes(-1, -2) @ q.numpy(),
                               np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-12)
    assert np.all(np.tril(r.numpy(), -1) == 0)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a.numpy(), atol=1e-12)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_return_types_and_field_names_as_torch():
    x = RNG.standard_normal((3, 3))
    s = x @ x.T + np.eye(3)
    for name, arg in [("slogdet", x), ("qr", x), ("eigh", s), ("svd", x)]:
        ours = getattr(L, name)(torchlet.tensor(arg))
        theirs = getattr(torch.linalg, name)(torch.tensor(arg))
        assert repr(type(ours).__name__) == repr(type(theirs).__name__)
        assert len(ours) == len(theirs)
        np.testing.assert_allclose(np.abs(ours[0].numpy()), np.abs(theirs[0].numpy()),
                                   atol=1e-12)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_hessian_of_logdet_matches_torch():
    """Second derivatives through slogdet and inv (create_graph=True)."""
    x = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    v = RNG.standard_normal((3, 3))

    def hvp(lib):
        a = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.slogdet(a).logabsdet, a, create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), a)
        return h.numpy()

    np.testing.assert_allclose(hvp(torchlet), hvp(torch), rtol=1e-10, atol=1e-12)


def test_det_gradient_is_cofactor_matrix():
    x = RNG.standard_normal((4, 4))
    a = torchlet.tensor(x, requires_grad=True)
    L.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), np.linalg.det(x) * np.linalg.inv(x).T,
                               rtol=1e-12)

"""Regression tests for what the tutorial scripts of session 19 turned up.

linalg.matrix_exp now follows torch 2.13's own algorithm (ATen's mexp): Taylor polynomials of
degree 1, 2, 4, 8 or 12 chosen by the 1-norm of a single matrix, the degree-18 one with
scaling and squaring beyond that and for every matrix of a batch of several, exp of the
entry for 1 x 1. Before, a float64 Padé approximant gave 0.9999999999999999 on the
diagonal of exp(0) (printed ``1.000000`` where torch prints ``1.``) and missed torch's own
approximation errors (up to 6e-11 relative in float64 for norms near 0.05).
"""
import numpy as np
import pytest

import torchlet

NUMPY_1 = np.lib.NumpyVersion(np.__version__) < "2.0.0"
THETAS = {np.float32: (1.192092800768788e-07, 5.978858893805233e-04),
          np.float64: (2.220446049250313e-16, 2.580956802971767e-08)}


def expm(a):
    return torchlet.linalg.matrix_exp(torchlet.tensor(a)).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (2, 1, 4, 4)])
def test_exp_of_zero_is_exactly_identity(dtype, shape):
    got = expm(np.zeros(shape, dtype=dtype))
    assert got.dtype == dtype
    assert np.array_equal(got, np.broadcast_to(np.eye(shape[-1], dtype=dtype), shape))
    text = repr(torchlet.linalg.matrix_exp(torchlet.zeros(2, 2, dtype=torchlet.float64)))
    assert text == "tensor([[1., 0.],\n        [0., 1.]], dtype=torch.float64)"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiny_single_matrix_uses_taylor_degree_1_and_2(dtype):
    rng = np.random.default_rng(0)
    theta1, theta2 = THETAS[dtype]
    base = rng.standard_normal((4, 4)).astype(dtype)
    base /= np.abs(base).sum(0).max()  # 1-norm 1
    a1 = (base * dtype(theta1 / 2)).astype(dtype)
    assert np.array_equal(expm(a1), np.eye(4, dtype=dtype) + a1)
    a2 = (base * dtype(theta2 / 2)).astype(dtype)
    want = (np.eye(4, dtype=dtype) + a2) + (a2 @ a2) / dtype(2)
    np.testing.assert_array_max_ulp(expm(a2), want, maxulp=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_by_one_is_exp_of_the_entry(dtype):
    a = np.array([[[0.3]], [[-2.5]], [[1e-9]]], dtype=dtype)
    want = np.exp(a.astype(np.float64)).astype(dtype)  # correctly rounded, as torch.exp
    assert np.array_equal(expm(a), want)


def test_nan_and_batches_keep_their_values():
    a = np.array([[np.nan, 0.0], [0.0, 1.0]])
    assert np.isnan(expm(a)).all()
    rng = np.random.default_rng(1)
    batch = rng.standard_normal((3, 3, 3))
    batch[1] = 0
    got = expm(batch)
    assert np.array_equal(got[1], np.eye(3))
    for i in (0, 2):  # the other matrices as computed alone (the Padé route)
        np.testing.assert_allclose(got[i], expm(batch[i]), rtol=1e-14, atol=1e-14)


def test_matrix_exp_matches_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2024)
    exact = close = 0
    for _ in range(120):
        dtype = [np.float32, np.float64][rng.integers(2)]
        n = int(rng.integers(1, 5))
        batch = [(), (1,), (3,)][rng.integers(3)]
        scale = float(10.0 ** rng.uniform(-18, 0.5)) if rng.random() > 0.1 else 0.0
        a = (rng.standard_normal(batch + (n, n)) * scale).astype(dtype)
        want = torch.linalg.matrix_exp(torch.from_numpy(a)).numpy()
        got = expm(a)
        assert got.dtype == want.dtype and got.shape == want.shape
        norm = np.abs(a).sum(-2).max(-1).max() if a.size else 0.0
        if NUMPY_1 and n == 1 and scale != 0 and dtype == np.float64:
            # exp of the entry is NumPy's float64 exp, whose NumPy 1 version (AVX-512 SVML)
            # is not correctly rounded for 6 of these 35 entries (torch's is): 1 ulp
            np.testing.assert_allclose(got, want, rtol=2.3e-16, atol=0)
        elif n == 1 or scale == 0 or (a.size == n * n and norm <= THETAS[dtype][0]):
            assert np.array_equal(got, want), (dtype, n, batch, scale)  # no matmul
            exact += 1
        else:
            # the same polynomials: only the matrix products round differently
            np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == np.float32 else 1e-13,
                                       atol=1e-6 if dtype == np.float32 else 1e-14)
            close += 1
    assert exact > 20 and close > 20


def test_matrix_exp_gradient_near_zero_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.zeros((3, 3))
    a[0, 1] = 1e-18
    g = np.arange(9.0).reshape(3, 3)
    x = torchlet.tensor(a, requires_grad=True)
    torchlet.linalg.matrix_exp(x).backward(torchlet.tensor(g))
    t = torch.tensor(a, requires_grad=True)
    torch.linalg.matrix_exp(t).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(x.grad.numpy(), g, rtol=1e-13, atol=1e-15)  # d exp at 0: identity


def test_torch_degree_8_polynomial_error_is_reproduced():
    """A float64 matrix of 1-norm 0.0176 takes torch's degree-8 polynomial, which is off
    the true exponential by about 3e-13; torchlet now agrees with torch to 1e-16."""
    torch = pytest.importorskip("torch")
    a = np.array([[0.00634, -0.01557], [0.01114, -0.00057]])
    truth = np.eye(2, dtype=np.longdouble)
    term = truth.copy()
    for k in range(1, 30):  # the series in long double
        term = term @ a.astype(np.longdouble) / k
        truth = truth + term
    got = expm(a)
    np.testing.assert_allclose(got, torch.linalg.matrix_exp(torch.from_numpy(a)).numpy(),
                               rtol=0, atol=4e-16)
    assert 1e-14 < np.abs(got - truth).max() < 1e-12

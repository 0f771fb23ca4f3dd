"""linalg error types on float16 / non-finite / singular inputs, and the 2-norm's
summation order over a contiguous last dim (torch's vectorised kernel), bit-exact."""

import math

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise._fused import _fma

HALF = [
    ("svdvals", lambda m, x: m.linalg.svdvals(x), NotImplementedError, "linalg_svd_cpu"),
    ("svd", lambda m, x: m.linalg.svd(x), NotImplementedError, "linalg_svd_cpu"),
    ("torch.svd", lambda m, x: m.svd(x), NotImplementedError, "linalg_svd_cpu"),
    ("cond", lambda m, x: m.linalg.cond(x), NotImplementedError, "linalg_svd_cpu"),
    ("eigh", lambda m, x: m.linalg.eigh(x), NotImplementedError, "linalg_eigh_cpu"),
    ("eigvalsh", lambda m, x: m.linalg.eigvalsh(x), NotImplementedError, "linalg_eigh_cpu"),
    ("det", lambda m, x: m.linalg.det(x), NotImplementedError, "lu_cpu"),
    ("solve", lambda m, x: m.linalg.solve(x, x), NotImplementedError, "lu_cpu"),
    ("qr", lambda m, x: m.linalg.qr(x), NotImplementedError, "geqrf_cpu"),
    ("cholesky", lambda m, x: m.linalg.cholesky(x), NotImplementedError, "cholesky_cpu"),
    ("inv", lambda m, x: m.linalg.inv(x), RuntimeError, "Low precision dtypes not supported"),
]


def _raised(fn, module, x):
    try:
        fn(module, x)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error), str(error)
    return None, ""


@pytest.mark.parametrize("name, fn, error, text", HALF, ids=[h[0] for h in HALF])
def test_float16_lapack_errors(name, fn, error, text):
    x = torchlet.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torchlet.float16)
    kind, message = _raised(fn, torchlet, x)
    assert kind is error and text in message
    if error is NotImplementedError:
        assert message.endswith("not implemented for 'Half'")
    torch = pytest.importorskip("torch")
    assert _raised(fn, torch, torch.tensor(x.tolist(), dtype=torch.float16)) == (kind, message)


NON_FINITE = [
    ("svdvals", lambda m, x: m.linalg.svdvals(x)),
    ("svd", lambda m, x: m.linalg.svd(x, full_matrices=False)),
    ("matrix_rank", lambda m, x: m.linalg.matrix_rank(x)),
    ("pinv", lambda m, x: m.linalg.pinv(x)),
    ("matrix_norm 2", lambda m, x: m.linalg.matrix_norm(x, ord=2)),
    ("matrix_norm nuc", lambda m, x: m.linalg.matrix_norm(x, ord="nuc")),
    ("cond", lambda m, x: m.linalg.cond(x)),
]


@pytest.mark.parametrize("name, fn", NON_FINITE, ids=[n[0] for n in NON_FINITE])
def test_svd_of_nan_raises_linalg_error(name, fn):
    a = np.eye(3).repeat(2).reshape(3, 3, 2).transpose(2, 0, 1).copy()
    a[1, 1, 0] = math.nan
    kind, message = _raised(fn, torchlet, torchlet.tensor(a))
    assert kind is torchlet.linalg.LinAlgError and issubclass(kind, RuntimeError)
    assert message == ("linalg.svd: (Batch element 1): The algorithm failed to converge "
                       "because the input matrix contained non-finite values.")
    torch = pytest.importorskip("torch")
    assert _raised(fn, torch, torch.tensor(a))[1] == message


def test_eigh_of_nan_raises_linalg_error():
    a = np.diag([2.0, 3.0, 4.0])
    a[2, 0] = math.nan
    for fn, code in ((lambda m, x: m.linalg.eigh(x), 2), (lambda m, x: m.linalg.eigvalsh(x), 1),
                     (lambda m, x: m.linalg.pinv(x, hermitian=True), 2)):
        kind, message = _raised(fn, torchlet, torchlet.tensor(a))
        assert kind is torchlet.linalg.LinAlgError
        assert message == ("linalg.eigh: The algorithm failed to converge because the input "
                           "matrix is ill-conditioned or has too many repeated eigenvalues "
                           f"(error code: {code}).")
        torch = pytest.importorskip("torch")
        assert _raised(fn, torch, torch.tensor(a))[1] == message


def test_eig_checks_finite_first_and_svd_driver():
    x = torchlet.tensor([[1.0, math.inf], [0.0, 1.0]])
    with pytest.raises(RuntimeError, match="should not contain infs or NaNs"):
        torchlet.linalg.eig(x)
    with pytest.raises(RuntimeError, match="only supported on CUDA"):
        torchlet.linalg.svd(x, driver="gesvd")
    with pytest.raises(RuntimeError, match="only supported on CUDA"):
        torchlet.linalg.svdvals(x, driver="gesvdj")
    assert torchlet.linalg.svdvals(torchlet.eye(2), driver=None).tolist() == [1.0, 1.0]


def test_cholesky_inverse_zero_diagonal():
    a = np.stack([np.eye(3), np.diag([1.0, -0.0, 2.0])]).astype(np.float32)
    kind, message = _raised(lambda m, x: m.cholesky_inverse(x), torchlet, torchlet.tensor(a))
    assert kind is torchlet.linalg.LinAlgError
    assert message == ("cholesky_inverse: (Batch element 1): The diagonal element 2 is zero, "
                       "the inversion could not be completed because the input matrix is "
                       "singular.")
    assert torchlet.cholesky_inverse(torchlet.empty(2, 0, 0)).shape == (2, 0, 0)
    torch = pytest.importorskip("torch")
    assert _raised(lambda m, x: m.cholesky_inverse(x), torch, torch.tensor(a))[1] == message


# ---------------------------------------------------------------------------------------
# 2-norm over a contiguous last dim


def test_two_element_rows_use_a_fused_multiply_add():
    # [a, b] -> sqrt(fma(b, b, a*a)): the hand-derived value, then torch's
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((500, 2)).astype(dtype)
        first, b = a[:, 0] * a[:, 0], a[:, 1]
        if dtype == np.float64:
            expected = np.sqrt(_fma(b, b, first))
        else:  # b*b + first is exact in float64 but for one rounding (none midway here)
            expected = np.sqrt((b.astype(np.float64) * b + first).astype(dtype))
        got = torchlet.tensor(a).norm(dim=1).numpy()
        assert np.array_equal(got, expected)
        plain = np.sqrt(a[:, 0] * a[:, 0] + a[:, 1] * a[:, 1])
        assert not np.array_equal(got, plain)  # the unfused order differs somewhere
        torch = pytest.importorskip("torch")
        assert np.array_equal(torch.from_numpy(a).norm(dim=1).numpy(), got)


def test_four_element_rows_add_rounded_squares_in_order():
    a = np.array([[1.0, 1e-4, 3.0, 1e-4], [0.1, 0.2, 0.3, 0.4]], np.float32)
    s = np.zeros(2, np.float32)
    for i in range(4):
        s = s + a[:, i] * a[:, i]
    assert np.array_equal(torchlet.linalg.vector_norm(torchlet.tensor(a), dim=-1).numpy(),
                          np.sqrt(s))


def _sampled_configs():
    rng = np.random.default_rng(19)
    configs = []
    for i in range(60):
        dtype = (np.float32, np.float64)[i % 2]
        nd = 2 if i % 15 == 0 else int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 24, nd))
        if i % 15 == 0:  # a few long rows: vectors, lanes, then the tail
            shape = (int(rng.integers(1, 4)), int(rng.integers(30, 600)))
        perm = tuple(int(p) for p in rng.permutation(nd)) if i % 3 == 0 else tuple(range(nd))
        k = int(rng.integers(0, nd + 1))
        dims = tuple(int(d) for d in rng.choice(nd, k, replace=False)) if k else None
        configs.append((dtype, shape, perm, dims, bool(i % 4 == 0), i % 3, int(rng.integers(1e6))))
    return configs


@pytest.mark.parametrize("config", _sampled_configs())
def test_sampled_two_norms_match_torch_bit_exactly(config):
    torch = pytest.importorskip("torch")
    dtype, shape, perm, dims, keepdim, fn, seed = config
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)

    def run(m, x):
        x = x.permute(*perm)
        if fn == 0:
            return m.linalg.vector_norm(x, 2, dims, keepdim)
        if fn == 1:
            return x.norm(dim=dims[0], keepdim=keepdim) if dims else x.norm()
        return m.nn.functional.normalize(x, dim=dims[0] if dims else -1)

    want = run(torch, torch.from_numpy(a)).numpy()
    got = run(torchlet, torchlet.tensor(a)).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)


def test_widened_and_half_norms_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for n in (2, 3, 9, 17, 33):
        a = rng.standard_normal((200, n)).astype(np.float32)
        want = torch.linalg.vector_norm(torch.from_numpy(a), dim=-1, dtype=torch.float64)
        got = torchlet.linalg.vector_norm(torchlet.tensor(a), dim=-1, dtype=torchlet.float64)
        assert np.array_equal(got.numpy(), want.numpy())
        h = a.astype(np.float16)
        assert np.array_equal(torchlet.tensor(h).norm(dim=1).numpy(),
                              torch.from_numpy(h).norm(dim=1).numpy())


def test_norm_gradient_unchanged():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((50, 3))
    x = torchlet.tensor(a, requires_grad=True)
    y = torch.tensor(a, requires_grad=True)
    x.norm(dim=1).sum().backward()
    y.norm(dim=1).sum().backward()
    assert x.grad_fn is None and np.allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-12)
    assert torchlet.tensor(a, requires_grad=True).norm(dim=1).grad_fn.name() == \
        "LinalgVectorNormBackward0"

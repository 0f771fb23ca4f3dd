"""Sweep 12 (classic ML) regressions: svd_lowrank / pca_lowrank, cholesky_ex's partial
factor, the once-per-program warnings of searchsorted, scatter(reduce=), index_reduce and
triangular_solve, and histc's "-nan" range message."""

import math
import warnings

import numpy as np
import pytest

import torchlet
from torchlet import _tensor as tensor_module

NAN = float("nan")


def _torch():
    return pytest.importorskip("torch")


@pytest.fixture
def fresh_warnings(monkeypatch):
    """Forget which once-per-program warnings were given, and record all warnings."""
    monkeypatch.setattr(tensor_module, "_WARNED", set())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _messages(caught):
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def _torch_warning(call):
    """The message torch gives for ``call(torch)`` (set_warn_always makes it repeat)."""
    torch = _torch()
    torch.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(torch)
    finally:
        torch.set_warn_always(False)
    return _messages(caught)


# ---------------------------------------------------------------------------------------
# svd_lowrank / pca_lowrank


def _orthonormal(rows, cols, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((rows, cols)))
    return q


def test_svd_lowrank_recovers_an_exactly_low_rank_matrix():
    # A = U0 diag(5, 3, 1) V0^T has rank 3: the range sketch with q = 3 spans it exactly
    u0, v0 = _orthonormal(20, 3, 0), _orthonormal(9, 3, 1)
    a = torchlet.tensor(u0 @ np.diag([5.0, 3.0, 1.0]) @ v0.T)
    torchlet.manual_seed(0)
    U, S, V = torchlet.svd_lowrank(a, q=3)
    np.testing.assert_allclose(S.numpy(), [5.0, 3.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose((U * S) @ V.mT, a, atol=1e-12)
    assert U.shape == (20, 3) and S.shape == (3,) and V.shape == (9, 3)
    np.testing.assert_allclose(np.abs(U.numpy().T @ u0), np.eye(3), atol=1e-12)


def test_pca_lowrank_gives_the_covariance_eigenvalues():
    x = np.random.default_rng(2).standard_normal((40, 5)) * [5.0, 3.0, 2.0, 1.0, 0.5]
    torchlet.manual_seed(0)
    _, S, V = torchlet.pca_lowrank(torchlet.tensor(x), q=5)
    eig = np.linalg.eigvalsh(np.cov(x, rowvar=False))[::-1]
    np.testing.assert_allclose(S.numpy() ** 2 / 39, eig, rtol=1e-10)
    np.testing.assert_allclose(V.mT @ V, np.eye(5), atol=1e-12)


def _lowrank_cases(lib, dtype):
    lib.manual_seed(3)
    x = lib.randn(30, 8, dtype=dtype) @ lib.randn(8, 12, dtype=dtype)
    return [
        lib.pca_lowrank(x, q=3),
        lib.svd_lowrank(x, q=4, niter=1),
        lib.svd_lowrank(x.mT, q=4),  # wide: through A^H
        lib.svd_lowrank(x, q=4, M=x.mean(0, keepdim=True)),
        lib.pca_lowrank(x, center=False),
        lib.pca_lowrank(lib.randn(2, 9, 7, dtype=dtype), q=4),  # batched
        lib.randn(3),  # the generator moved on as torch's did
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lowrank_equals_torch_with_the_same_seed(dtype):
    torch = _torch()
    want = _lowrank_cases(torch, getattr(torch, dtype))
    got = _lowrank_cases(torchlet, getattr(torchlet, dtype))
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_array_equal(got[-1].numpy(), want[-1].numpy())
    for (u1, s1, v1), (u2, s2, v2) in zip(want[:-1], got[:-1]):
        assert u2.dtype == getattr(torchlet, dtype) and u2.shape == tuple(u1.shape)
        assert v2.shape == tuple(v1.shape) and s2.shape == tuple(s1.shape)
        np.testing.assert_allclose(s2.numpy(), s1.numpy(), rtol=tol, atol=tol)
        # singular vector signs come from LAPACK's gesdd (MKL in torch, OpenBLAS here):
        # each column may be flipped, the same way in U and V
        flip = np.sign(np.sum(u1.numpy() * u2.numpy(), axis=-2, keepdims=True))
        np.testing.assert_allclose(u2.numpy() * flip, u1.numpy(), atol=tol)
        np.testing.assert_allclose(v2.numpy() * flip, v1.numpy(), atol=tol)


@pytest.mark.parametrize("kwargs, message", [
    ({"q": 6}, "q(=6) must be non-negative integer and not greater than min(m, n)=5"),
    ({"q": -1}, "q(=-1) must be non-negative integer and not greater than min(m, n)=5"),
    ({"niter": -1}, "niter(=-1) must be non-negative integer"),
])
def test_pca_lowrank_argument_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        torchlet.pca_lowrank(torchlet.ones(5, 7), **kwargs)
    assert str(info.value) == message


def test_svd_lowrank_gradcheck():
    u0, v0 = _orthonormal(7, 3, 4), _orthonormal(5, 3, 5)
    a = torchlet.tensor(u0 @ np.diag([4.0, 2.0, 1.0]) @ v0.T, requires_grad=True)

    def singular_values(x):
        torchlet.manual_seed(0)  # the same sketch at every evaluation
        return torchlet.svd_lowrank(x, q=3)[1]

    assert torchlet.autograd.gradcheck(singular_values, (a,), eps=1e-6, atol=1e-5,
                                       rtol=1e-3)


def test_svd_lowrank_gradient_equals_torch():
    torch = _torch()
    x = np.random.default_rng(6).standard_normal((10, 6))
    grads = []
    for lib in (torch, torchlet):
        a = lib.tensor(x, requires_grad=True)
        lib.manual_seed(1)
        U, S, V = lib.svd_lowrank(a, q=3)
        (S.sum() + ((U * S) @ V.mT).square().sum()).backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], atol=1e-10)


# ---------------------------------------------------------------------------------------
# cholesky_ex on matrices that are not positive-definite


@pytest.mark.parametrize("a, factor, info", [
    # column 0 factored (2, 1, .5); pivot 1 - 1^2 = 0 stops at column 1
    ([[4.0, 2, 1], [2, 1, 3], [1, 3, 5]], [[2.0, 0, 0], [1, 0, 0], [0.5, 3, 5]], 2),
    # pivot 2 = -5 - 0.5^2 - 1^2 = -6.25 ... with L21 = (3 - 0.5) / 2 = 1.25: -5 - .25 - 1.5625
    ([[4.0, 2, 1], [2, 5, 3], [1, 3, -5]], [[2.0, 0, 0], [1, 2, 0], [0.5, 1.25, -6.8125]], 3),
    ([[1.0, 2], [2, 1]], [[1.0, 0], [2, -3]], 2),
    ([[0.0, 0], [0, 1]], [[0.0, 0], [0, 1]], 1),
    ([[NAN]], [[NAN]], 1),
    ([[4.0, NAN], [NAN, 4]], [[2.0, 0], [NAN, NAN]], 2),
])
def test_cholesky_ex_partial_factor(a, factor, info):
    for dtype in (torchlet.float32, torchlet.float64):
        out = torchlet.linalg.cholesky_ex(torchlet.tensor(a, dtype=dtype))
        np.testing.assert_array_equal(out.L.numpy(), np.array(factor, dtype.np))
        assert out.L.dtype == dtype and out.info.item() == info
        upper = torchlet.linalg.cholesky_ex(torchlet.tensor(a, dtype=dtype), upper=True)
        np.testing.assert_array_equal(upper.L.numpy(), np.array(factor, dtype.np).T)


def test_cholesky_ex_upper_reads_the_upper_triangle():
    a = torchlet.tensor([[4.0, 2, 7], [2, 1, 3], [1, 3, 5]])  # a[0, 2] = 7 only in upper
    out = torchlet.linalg.cholesky_ex(a, upper=True)
    np.testing.assert_array_equal(out.L.numpy(), [[2, 1, 3.5], [0, 0, 3], [0, 0, 5]])
    assert out.info.item() == 2


def _not_pd_batch(n, fails):
    rng = np.random.default_rng(n)
    x = rng.standard_normal((len(fails), n, n))
    a = x @ x.swapaxes(-1, -2) / n + 0.5 * np.eye(n)
    for i, j in enumerate(fails):
        if j is not None:
            a[i, j, j] = -1.0
    return a


@pytest.mark.parametrize("n, fails", [(5, [2, None, 0]), (64, [63]), (100, [40, None, 99])])
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky_ex_equals_torch(n, fails, upper, dtype):
    torch = _torch()
    a = _not_pd_batch(n, fails).astype(dtype)
    want = torch.linalg.cholesky_ex(torch.from_numpy(a), upper=upper)
    got = torchlet.linalg.cholesky_ex(torchlet.from_numpy(a), upper=upper)
    np.testing.assert_array_equal(got.info.numpy(), want.info.numpy())
    np.testing.assert_array_equal(got.info.numpy(), [0 if j is None else j + 1 for j in fails])
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got.L.numpy(), want.L.numpy(), rtol=tol, atol=tol)


def test_cholesky_ex_gradient_on_a_failed_matrix_equals_torch():
    torch = _torch()
    a = [[4.0, 2, 1], [2, 5, 3], [1, 3, -5]]
    grads = []
    for lib in (torch, torchlet):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        lib.linalg.cholesky_ex(x).L.square().sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-15)


def test_cholesky_ex_empty_and_check_errors():
    for shape in [(0, 3, 3), (2, 0, 0), (0, 0)]:
        out = torchlet.linalg.cholesky_ex(torchlet.zeros(shape))
        assert out.L.shape == shape and out.info.shape == shape[:-2]
    with pytest.raises(torchlet.linalg.LinAlgError, match="leading minor of order 2 is not"):
        torchlet.linalg.cholesky_ex(torchlet.tensor([[1.0, 2], [2, 1]]), check_errors=True)


# ---------------------------------------------------------------------------------------
# once-per-program warnings

_NON_CONTIGUOUS = (
    "torch.searchsorted(): {0} tensor is non-contiguous, this will lower the performance "
    "due to extra data copy when converting non-contiguous tensor to contiguous, please use "
    "contiguous {0} tensor if possible. This message will only appear once per program. "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "BucketizationUtils.h:{1}.)"
)


def _searchsorted_calls(t):
    t.bucketize(t.zeros(4, 2)[:, 0], t.tensor([0.0, 1.0]))  # input value
    t.bucketize(t.zeros(4, 2)[:, 1], t.tensor([0.0, 1.0]))  # again: no second warning
    t.searchsorted(t.tensor([[0.0, 1.0, 2.0]])[:, ::2], t.tensor([[0.5]]))  # boundary
    t.searchsorted(t.tensor([0.0, 1.0]), t.tensor([0.5]), sorter=t.tensor([1, 0, 0, 1])[::2])


def test_searchsorted_non_contiguous_warnings_once(fresh_warnings):
    _searchsorted_calls(torchlet)
    assert _messages(fresh_warnings) == [
        _NON_CONTIGUOUS.format("input value", 32),
        _NON_CONTIGUOUS.format("boundary", 38),
        _NON_CONTIGUOUS.format("sorter", 44),
    ]
    assert all(w.filename == __file__ for w in fresh_warnings)


def test_searchsorted_warning_texts_equal_torch():
    want = _torch_warning(_searchsorted_calls)
    torchlet.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _searchsorted_calls(torchlet)
    finally:
        torchlet.set_warn_always(False)
    assert _messages(caught) == want and len(want) == 4


def test_searchsorted_no_warning_without_values_or_when_contiguous(fresh_warnings):
    torchlet.searchsorted(torchlet.tensor([[0.0, 1.0, 2.0]])[:, ::2], torchlet.zeros(1, 0))
    torchlet.searchsorted(torchlet.tensor([0.0, 1.0]), torchlet.zeros(4, 1)[:, 0])
    assert _messages(fresh_warnings) == []


def _deprecated_calls(t):
    i2, src = t.tensor([[0, 1], [2, 0]]), t.ones(2, 2)
    t.zeros(3, 2).scatter(0, i2, src, reduce="add")
    t.zeros(3, 2).scatter_(0, i2, src, reduce="multiply")
    t.scatter(t.zeros(3, 2), 0, i2, src, reduce="add")
    t.zeros(3, 2).index_reduce(0, t.tensor([0, 2]), src, "amax")
    t.zeros(3, 2).index_reduce_(0, t.tensor([0, 2]), src, "amin")
    t.triangular_solve(t.ones(2, 1), t.eye(2))
    t.triangular_solve(t.ones(2, 1), t.eye(2), upper=False)


def test_deprecation_warnings_once_at_the_user_line(fresh_warnings):
    _deprecated_calls(torchlet)
    messages = _messages(fresh_warnings)
    assert len(messages) == 3
    assert messages[0].startswith("The reduce argument of torch.scatter with Tensor src")
    assert messages[1].startswith("index_reduce() is in beta")
    assert messages[2].startswith("torch.triangular_solve is deprecated")
    assert all(m.endswith(".)") and "(Triggered internally at" in m for m in messages)
    assert all(w.filename == __file__ for w in fresh_warnings)


def test_deprecation_warnings_equal_torch_and_repeat_with_warn_always():
    want = _torch_warning(_deprecated_calls)
    torchlet.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _deprecated_calls(torchlet)
    finally:
        torchlet.set_warn_always(False)
    assert _messages(caught) == want and len(want) == 7


# ---------------------------------------------------------------------------------------
# histc's range message


@pytest.mark.parametrize("values, kwargs, shown", [
    ([1.0, NAN, 2.0], {}, "[-nan, -nan]"),  # aminmax over several elements: a negative NaN
    ([NAN, NAN], {}, "[-nan, -nan]"),
    ([NAN], {}, "[nan, nan]"),  # one element is returned as it is
    ([-NAN], {}, "[-nan, -nan]"),
    ([1.0, 2.0], {"min": NAN, "max": NAN}, "[nan, nan]"),
    ([1.0, 2.0], {"min": 0, "max": math.inf}, "[0, inf]"),
])
def test_histc_non_finite_range_message(values, kwargs, shown):
    for dtype in (torchlet.float32, torchlet.float64):
        with pytest.raises(RuntimeError) as info:
            torchlet.histc(torchlet.tensor(values, dtype=dtype), bins=2, **kwargs)
        assert str(info.value) == f"torch.histc: range of {shown} is not finite"


@pytest.mark.parametrize("values", [[1.0, NAN, 2.0], [NAN], [-NAN], [NAN, 1.0] * 20])
def test_histc_non_finite_range_message_equals_torch(values):
    torch = _torch()
    texts = []
    for lib in (torch, torchlet):
        with pytest.raises(RuntimeError) as info:
            lib.histc(lib.tensor(values), bins=2)
        texts.append(str(info.value))
    assert texts[1] == texts[0]

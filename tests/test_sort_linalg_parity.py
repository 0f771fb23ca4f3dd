"""Regression tests: torch's order of ties in sort/topk, and linalg details (det's signed
zero, qr(mode='r'), matrix_rank(tol=), linalg.matmul).

Expected values were read from torch 2.13 (CPU) and checked by hand against the C++
algorithms (libstdc++'s std::sort / partial_sort / nth_element, LAPACK's getrf); the
differential tests run torch live when it is importable.
"""

import numpy as np
import pytest

import torchlet
from torchlet._ops.reduction.sorting import argsort_array
from torchlet._ops.reduction.std_sort import (
    _Ascending,
    _std_sort,
    sort_order,
    sort_rows_order,
    topk_order,
)

# ---------------------------------------------------------------------------------------
# topk


@pytest.mark.parametrize(("values", "k", "kwargs", "expected"), [
    ([3, 1, 2, 3, 3, 1, 0, 5, 2.0], 3, {}, [7, 4, 3]),
    ([0.0] * 10, 3, {}, [8, 6, 7]),
    ([0.0, 1, 1, 0, 1, 1], 3, {}, [1, 5, 4]),
    ([1.0, 3, 3, 2, 3], 2, {}, [2, 4]),
    ([1, 9, 9, 1], 1, {"largest": False}, [3]),
    ([1.0, 5, 3, 4, 2, 9, 0, 7], 3, {"sorted": False}, [5, 7, 1]),
    # nth_element leaves the smallest three unsorted: [0 (1.), 6 (0.), 4 (2.)]
    ([1.0, 5, 3, 4, 2, 9, 0, 7], 3, {"largest": False, "sorted": False}, [0, 6, 4]),
])
def test_topk_ties_follow_libstdcxx(values, k, kwargs, expected):
    for dtype in (torchlet.float32, torchlet.float64, torchlet.int64):
        result = torchlet.tensor(values).to(dtype).topk(k, **kwargs)
        assert result.indices.tolist() == expected
        assert result.values.tolist() == [values[i] for i in expected]


def test_topk_ties_along_dim_0_and_nan():
    x = torchlet.tensor([[3.0, 1], [1, 1], [3, 1], [float("nan"), 1]])
    assert x.topk(2, dim=0).indices.tolist() == [[3, 2], [2, 3]]  # NaN first
    assert x.topk(2, dim=0, largest=False).indices.tolist() == [[1, 2], [2, 3]]


def _tied(rng, shape, dtype):
    v = rng.integers(0, int(rng.integers(1, 6)), shape).astype(dtype)
    if v.dtype.kind == "f":
        v[rng.random(shape) < 0.15] = np.nan
    return v


@pytest.mark.parametrize("seed", range(4))
def test_topk_matches_torch_on_ties(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    for dtype in ["float32", "float64", "int64", "int32", "uint8", "float16"] * 5:
        shape = tuple(int(s) for s in rng.integers(1, 30, int(rng.integers(1, 4))))
        a = _tied(rng, shape, dtype)
        dim = int(rng.integers(-len(shape), len(shape)))
        k = int(rng.integers(0, shape[dim] + 1))
        t, x = torch.from_numpy(a), torchlet.from_numpy(a)
        for largest in (True, False):
            for sorted_ in (True, False):
                want = t.topk(k, dim, largest, sorted_)
                got = x.topk(k, dim, largest, sorted_)
                assert got.indices.tolist() == want.indices.tolist(), (dtype, shape, dim, k)
                np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())


def test_topk_order_replays_partial_sort_for_small_k():
    # k * 64 <= n: std::partial_sort (a heap), sorted whatever ``sorted`` says
    values = [0.0] * 64
    assert topk_order(values, 1, True, False) == topk_order(values, 1, True, True) == [0]
    assert torchlet.zeros(128).topk(2, sorted=False).indices.tolist() == [0, 1]
    assert torchlet.zeros(128).topk(3).indices.tolist() == [86, 85, 84]


# ---------------------------------------------------------------------------------------
# sort / argsort with stable=False


def test_sort_ties_follow_std_sort():
    x = torchlet.tensor([2.0, 1.0, 2.0, 1.0] * 10)
    assert x.sort().indices[:6].tolist() == [1, 39, 37, 35, 33, 31]
    assert x.argsort()[:6].tolist() == [1, 39, 37, 35, 33, 31]
    assert torchlet.tensor([5.0] * 25).sort(descending=True).indices[:4].tolist() == [
        12, 24, 23, 22]
    assert torchlet.zeros(30).sort().indices[:3].tolist() == [15, 29, 28]


def test_sort_stays_stable_where_torch_is():
    assert torchlet.zeros(30).sort(stable=True).indices.tolist() == list(range(30))
    assert torchlet.zeros(16).sort().indices.tolist() == list(range(16))  # insertion sort
    assert torchlet.zeros(1).expand(30).sort().indices.tolist() == list(range(30))  # stride 0
    # fbgemm's radix sort: 1-d integers, ascending, at least 32768 of them
    x = torchlet.tensor([1, 0] * 20000)
    assert x.sort().indices[:3].tolist() == [1, 3, 5]
    assert x.sort(descending=True).indices[:3].tolist() == [31748, 16518, 16516]


def test_vectorised_std_sort_equals_the_step_by_step_replay():
    rng = np.random.default_rng(0)
    for trial in range(60):
        n, rows = int(rng.integers(17, 300)), int(rng.integers(1, 4))
        a = rng.integers(0, int(rng.integers(1, 8)), (rows, n)).astype(np.float64)
        if trial % 3 == 0:
            a[rng.random(a.shape) < 0.2] = np.nan
        for descending in (False, True):
            got = sort_rows_order(a, argsort_array(a, 1, descending))
            for r in range(rows):
                assert got[r].tolist() == sort_order(a[r].tolist(), descending)


class _Adversary(_Ascending):
    """McIlroy's "killer adversary" for quicksort: decides comparisons lazily so that
    introsort runs out of depth and falls back to heapsort."""

    def __init__(self, n):
        super().__init__([None] * n)
        self.val, self.solid, self.candidate, self.heapsorts = [n] * n, 0, 0, 0

    def less(self, x, y):
        i, j, val, gas = x[1], y[1], self.val, len(self.val)
        if val[i] == gas and val[j] == gas:
            frozen = i if i == self.candidate else j
            val[frozen], self.solid = self.solid, self.solid + 1
        if val[i] == gas:
            self.candidate = i
        elif val[j] == gas:
            self.candidate = j
        return val[i] < val[j]

    def heap_select(self, first, middle, last):
        self.heapsorts += middle == last
        super().heap_select(first, middle, last)


def test_vectorised_std_sort_falls_back_to_heapsort_like_introsort():
    adversary = _Adversary(400)
    _std_sort(adversary, 0, 400)
    assert adversary.heapsorts > 0  # the input below reaches introsort's depth limit
    values = np.array(adversary.val, np.float64)[None]  # replaying it hits the heapsort too
    got = sort_rows_order(values, argsort_array(values, 1, False))[0].tolist()
    assert got == sort_order(values[0].tolist(), False)
    torch = pytest.importorskip("torch")
    assert got == torch.from_numpy(values[0]).sort().indices.tolist()


@pytest.mark.parametrize("seed", range(3))
def test_sort_matches_torch_on_ties(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    for dtype in ["float32", "float64", "int64", "int16", "uint8", "float16", "bool"] * 4:
        shape = tuple(int(s) for s in rng.integers(1, 60, int(rng.integers(1, 4))))
        a = _tied(rng, shape, dtype if dtype != "bool" else "int64").astype(dtype)
        dim = int(rng.integers(-len(shape), len(shape)))
        t, x = torch.from_numpy(a), torchlet.from_numpy(a)
        for descending in (False, True):
            for stable in (False, True):
                want = t.sort(dim=dim, descending=descending, stable=stable)
                got = x.sort(dim=dim, descending=descending, stable=stable)
                assert got.indices.tolist() == want.indices.tolist(), (dtype, shape, dim)
                assert x.argsort(dim=dim, descending=descending, stable=stable).tolist() == (
                    want.indices.tolist())


# ---------------------------------------------------------------------------------------
# linalg


@pytest.mark.parametrize(("matrix", "negative"), [
    ([[1.0, 2.0], [2.0, 4.0]], True),
    ([[2.0, 4.0], [1.0, 2.0]], True),
    ([[0.0, 1.0], [0.0, 1.0]], True),
    ([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]], True),
    ([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]], False),
    ([[0.0, 0.0], [0.0, 0.0]], False),
])
def test_det_of_singular_matrix_has_torchs_signed_zero(matrix, negative):
    # getrf of A^T (torch's row-major buffer): [[2, 1], [4, 2]] swaps rows once, so
    # det = -(4 * 0) = -0.0 for the first two.
    for dtype in (torchlet.float32, torchlet.float64):
        out = torchlet.linalg.det(torchlet.tensor(matrix, dtype=dtype))
        assert out.item() == 0 and np.signbit(out.item()) == negative
        assert out.dtype == dtype


def test_det_values_and_batches_unchanged():
    x = torchlet.tensor([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]])
    out = torchlet.det(x)
    assert out.tolist() == [0.0, -2.0] and np.signbit(out[0].item())
    a = torchlet.tensor([[2.0, 1.0], [0.5, 3.0]], dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradcheck(torchlet.linalg.det, (a,), eps=1e-6, atol=1e-5)


def test_qr_mode_r():
    a = torchlet.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
    q, r = torchlet.linalg.qr(a, mode="r")
    assert q.shape == (0,) and q.dtype == torchlet.float32
    np.testing.assert_allclose(np.abs(r.detach().numpy()),
                               np.abs(torchlet.linalg.qr(a)[1].detach().numpy()))
    assert r.grad_fn.name() == "LinalgQrBackward0"
    with pytest.raises(RuntimeError, match="not computed when mode='r'"):
        r.sum().backward()
    q, r = torchlet.linalg.qr(torchlet.ones(2, 3, 4), mode="r")
    assert q.shape == (0,) and r.shape == (2, 3, 4)


def test_qr_mode_r_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((5, 3))
    want = torch.linalg.qr(torch.tensor(a), mode="r").R.numpy()
    np.testing.assert_allclose(torchlet.linalg.qr(torchlet.tensor(a), mode="r").R.numpy(),
                               want, atol=1e-12)


def test_matrix_rank_accepts_deprecated_tol():
    b = torchlet.tensor([[1.0, 2.0], [2.0, 4.0001]])  # singular values ~5.0 and ~2e-5
    assert torchlet.linalg.matrix_rank(b).item() == 2
    assert torchlet.linalg.matrix_rank(b, tol=1e-3).item() == 1
    assert torchlet.linalg.matrix_rank(b, 1e-3).item() == 1
    assert torchlet.linalg.matrix_rank(b, 1e-3, True).item() == 1
    assert torchlet.linalg.matrix_rank(b, tol=torchlet.tensor(1e-6)).item() == 2
    with pytest.raises(TypeError, match=r"got \(Tensor, atol=float, tol=float\)"):
        torchlet.linalg.matrix_rank(b, tol=1e-3, atol=1.0)


def test_linalg_matmul_is_matmul():
    assert torchlet.linalg.matmul is torchlet.matmul
    out = torchlet.linalg.matmul(torchlet.ones(2, 3), torchlet.arange(3.0))
    assert out.tolist() == [3.0, 3.0]

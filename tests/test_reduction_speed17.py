"""The fast paths of the reductions (session 17): the same bits as the general paths, as
hand-derived sums, and as torch.

* a sum over a middle block of dims of a contiguous tensor (x.sum(1) of a 3-D x) is a
  batch of outer sums (``sums._middle_block_sum``, ``_cascade.outer_blocks``) instead
  of ``_strided_sum``'s walk;
* ``_common.take_along`` (max/min/topk/sort values) is ``np.take_along_axis``;
* ``sorting.argsort_array`` (descending) and ``_tied_rows`` lost NumPy's wrappers.
"""

from __future__ import annotations

import numpy as np
import pytest
from sum_bits import mixed_magnitudes, same_bits

import torchlet
from torchlet._ops.reduction import _cascade, _strided_sum, sorting, sums
from torchlet._ops.reduction._common import take_along

# ---------------------------------------------------------------------------------------
# sums over a middle block of dims


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_middle_sum_of_few_rows_adds_row_after_row(dtype, one_thread):
    """Fewer than 16 reduced rows and whole vectors of columns: torch adds the rows in
    order, from zero (a -0.0 total comes out +0.0)."""
    rng = np.random.default_rng(0)
    lanes = 32 // np.dtype(dtype).itemsize
    for rows in (2, 3, 7, 15):
        a = mixed_magnitudes(rng, (3, rows, 4 * lanes), dtype)
        a[0, :, 0] = -0.0
        expected = np.zeros((3, 4 * lanes), dtype)
        for r in range(rows):
            expected = expected + a[:, r]
        got = torchlet.tensor(a).sum(1).numpy()
        assert same_bits(got, expected), rows
        assert np.signbit(got[0, 0]) == np.False_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_middle_sum_is_the_strided_walk(dtype):
    """_middle_block_sum gives _strided_sum's bits: blocks of up to 300 rows (one or two
    levels of the cascade), columns in whole vector groups or not, several threads."""
    rng = np.random.default_rng(1)
    for before, rows, after in [(2, 5, 3), (4, 17, 8), (3, 64, 37), (2, 300, 33),
                                (5, 255, 2), (8, 64, 64), (3, 16, 100), (40, 40, 40)]:
        a = mixed_magnitudes(rng, (before, rows, after), dtype)
        for threads in (1, 2, 3, 8):
            general = _strided_sum.strided_sum(a, (1,), threads)
            fast = sums._middle_block_sum(a, 1, 1, threads)
            if fast is None:  # torch splits the kept columns across threads
                assert threads > before and a.size >= _cascade.GRAIN_SIZE
                continue
            assert same_bits(sums._plus_zero(fast), general), (before, rows, after, threads)


def test_batched_outer_blocks_are_one_block_at_a_time():
    """``outer_blocks`` sums each 2-D block of a batch as ``_outer_block`` alone."""
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        for rows, columns in [(1, 2), (4, 5), (16, 9), (31, 32), (100, 67), (256, 13),
                              (300, 40), (17, 1)]:
            a = mixed_magnitudes(rng, (3, rows, columns), dtype)
            batched = _cascade.outer_blocks(a)
            for i in range(3):
                assert same_bits(batched[i], _cascade._outer_block(a[i]))
                assert same_bits(batched[i], _cascade._general_outer_block(a[i]))


def test_sampled_sums_over_dims_match_torch_bit_for_bit(threads):
    """A fixed sample of sums and means over middle (and other) dims of contiguous
    float tensors, with size-1 dims here and there, against torch, at 1 and 2 threads."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    sizes = [1, 2, 3, 5, 8, 16, 17, 33, 64, 100, 257]
    for n_threads in (1, 2):
        threads(n_threads)
        for _ in range(60):
            ndim = int(rng.integers(3, 5))
            shape = tuple(int(rng.choice(sizes)) for _ in range(ndim))
            if np.prod(shape) > 300_000:
                continue
            dtype = (np.float32, np.float64)[int(rng.integers(0, 2))]
            a = mixed_magnitudes(rng, shape, dtype)
            lo = int(rng.integers(1, ndim - 1))
            dims = tuple(range(lo, int(rng.integers(lo, ndim - 1)) + 1))
            keepdim = bool(rng.integers(0, 2))
            for op in ("sum", "mean"):
                got = getattr(torchlet.tensor(a), op)(dims, keepdim=keepdim)
                want = getattr(torch.tensor(a), op)(dims, keepdim=keepdim)
                assert got.stride() == want.stride()
                assert same_bits(got.numpy(), want.numpy()), (shape, dims, op, n_threads)


# ---------------------------------------------------------------------------------------
# take_along, argsort, topk


def test_take_along_is_numpys():
    rng = np.random.default_rng(4)
    for shape in [(5,), (32, 10), (3, 4, 5), (2, 1, 6), (4, 0), (0, 3)]:
        a = rng.standard_normal(shape)
        for dim in range(len(shape)):
            for k in (1, 2):
                if shape[dim] == 0:
                    continue
                idx = rng.integers(0, shape[dim], shape[:dim] + (k,) + shape[dim + 1:])
                for view in (a, np.asfortranarray(a)):
                    assert np.array_equal(take_along(view, idx, dim),
                                          np.take_along_axis(view, idx, dim))


def test_descending_argsort_is_stable_and_puts_nan_first():
    """Largest first; equal values (and NaNs, which count as the largest) in index
    order: the reversed stable sort of the reversed row."""
    row = np.array([1.0, 3.0, np.nan, 3.0, -2.0, np.nan, 1.0])
    assert sorting.argsort_array(row, 0, True).tolist() == [2, 5, 1, 3, 0, 6, 4]
    rng = np.random.default_rng(5)
    a = rng.integers(0, 4, (6, 9, 5)).astype(np.float32)
    for dim in range(3):
        expected = (a.shape[dim] - 1) - np.flip(
            np.argsort(np.flip(a, dim), axis=dim, kind="stable"), dim)
        assert np.array_equal(sorting.argsort_array(a, dim, True), expected)


def test_tied_rows():
    rows = np.array([[3.0, 2.0, 1.0], [2.0, 2.0, 1.0], [np.nan, np.nan, 1.0],
                     [np.nan, 1.0, 0.0]])
    order = sorting.argsort_array(rows, 1, True)
    assert sorting._tied_rows(rows, order).tolist() == [1, 2]
    assert sorting._tied_rows(rows[[0, 3]], order[[0, 3]]).size == 0


def test_sampled_selections_match_torch():
    """max/min/topk/sort along a dim on distinct values (one right answer) and on
    small integers (ties: values only), against torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for _ in range(40):
        shape = tuple(int(s) for s in rng.integers(1, 12, int(rng.integers(1, 4))))
        dim = int(rng.integers(-len(shape), len(shape)))
        distinct = bool(rng.integers(0, 2))
        a = (rng.permutation(int(np.prod(shape))).reshape(shape) if distinct
             else rng.integers(0, 3, shape)).astype(np.float32)
        k = int(rng.integers(0, shape[dim] + 1))
        calls = [("max", (dim,), {}), ("min", (dim,), {"keepdim": True}),
                 ("topk", (k, dim), {}), ("topk", (k, dim), {"largest": False}),
                 ("sort", (dim,), {"descending": True})]
        for name, args, kwargs in calls:
            got = getattr(torchlet.tensor(a), name)(*args, **kwargs)
            want = getattr(torch.tensor(a), name)(*args, **kwargs)
            assert np.array_equal(got.values.numpy(), want.values.numpy())
            assert got.values.stride() == want.values.stride()
            if distinct:
                assert np.array_equal(got.indices.numpy(), want.indices.numpy())


def test_topk_hand_example_and_gradient():
    x = torchlet.tensor([[1.0, 5.0, 3.0, 5.0], [0.0, -1.0, 2.0, 7.0]], requires_grad=True)
    values, indices = x.topk(2, 1)
    assert values.tolist() == [[5.0, 5.0], [7.0, 2.0]]
    assert indices.tolist() == [[1, 3], [3, 2]]
    assert values.grad_fn.name() == "TopkBackward0"
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 1.0, 1.0]]


def test_cumsum_without_out_is_torchs():
    torch = pytest.importorskip("torch")
    a = mixed_magnitudes(np.random.default_rng(7), (32, 10), np.float32)
    for dim in (0, 1):
        got = torchlet.tensor(a).cumsum(dim)
        assert same_bits(got.numpy(), torch.tensor(a).cumsum(dim).numpy())
        assert got.grad_fn is None
    out = torchlet.empty(0)
    assert torchlet.cumsum(torchlet.tensor([1.0, 2.0]), 0, out=out) is out
    assert out.tolist() == [1.0, 3.0]


def test_partitioned_topk_is_the_full_sort_where_distinct():
    """``_best_sorted`` (partition, then sort the few) gives the full stable argsort's
    first columns on rows of distinct values, NaNs counted the largest."""
    rng = np.random.default_rng(8)
    for dtype in (np.float32, np.float64, np.int64):
        rows = np.stack([rng.permutation(200) for _ in range(6)]).astype(dtype)
        if dtype != np.int64:
            rows[0, [5, 50]] = np.nan  # two NaNs: a tie only when both are among the best
        for largest in (True, False):
            for count in (1, 2, 6, 50):
                full = sorting.argsort_array(rows, 1, largest)[:, :count]
                best = sorting._best_sorted(rows, count, largest)
                assert np.array_equal(best[1:], full[1:]), (dtype, largest, count)
                if count >= 2 or not largest or dtype == np.int64:
                    assert np.array_equal(best[0], full[0])


def test_sampled_topk_of_many_matches_torch():
    """topk through the partition path (rows of 64+), ties and NaNs included (the tied
    rows replay libstdc++), against torch: values and indices."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    for _ in range(120):
        m, n = int(rng.integers(1, 8)), int(rng.choice([64, 100, 257]))
        a = (rng.standard_normal((m, n)) if rng.random() < 0.5
             else rng.integers(0, 30, (m, n)).astype(float))
        if rng.random() < 0.3:
            a.flat[rng.integers(0, a.size, 3)] = np.nan
        a = a.astype((np.float32, np.float64)[int(rng.integers(0, 2))])
        k = int(rng.integers(1, n // 4 + 1))
        largest, dim = bool(rng.integers(0, 2)), int(rng.integers(0, 2))
        x = a if dim == 1 else np.ascontiguousarray(a.T)
        got = torchlet.tensor(x).topk(k, dim, largest=largest)
        want = torch.tensor(x).topk(k, dim, largest=largest)
        assert np.array_equal(got.values.numpy(), want.values.numpy(), equal_nan=True)
        assert np.array_equal(got.indices.numpy(), want.indices.numpy())

"""The fast paths of embedding / embedding_bag's weight gradient (speed26_embed).

``_scatter_add_rows`` scatters the rows of indices that occur once with one plain
assignment and sums only the repeated ones in position order (``_add_rows_in_order``:
runs of a stable sort, summed round by round); embedding_bag's plain mean scales each
bag's gradient once before gathering it; ``_Bags`` finds each position's bag with
np.repeat. All must give exactly the numbers of the plain computation: each row of the
gradient is its positions' rows added left to right in position order (the first one
copied, so a lone -0.0 stays -0.0).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional.embedding import (
    _Bags,
    _repeated_positions,
    _scatter_add_rows,
)


def _in_order(index, rows, num_rows):
    """out[index[i]] += rows[i] for i in order, the first occurrence copied."""
    out = np.zeros((num_rows,) + rows.shape[1:], rows.dtype)
    seen = set()
    for i, j in enumerate(index.tolist()):
        if j in seen:
            out[j] = out[j] + rows[i]
        else:
            out[j] = rows[i]
            seen.add(j)
    return out


def _same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _configs(n, seed):
    """Derandomized scatter configs: (index, rows, num_rows)."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        num_rows = int(rng.choice([1, 3, 40, 500, 100_000]))
        count = int(rng.choice([0, 1, 2, 9, 60, 400]))
        kind = int(rng.integers(4))
        if kind == 0:  # uniform: a few repeats
            index = rng.integers(0, num_rows, count)
        elif kind == 1:  # skewed: some index occurs very often (the reduction path)
            index = np.minimum(rng.pareto(0.6, count).astype(np.int64), num_rows - 1)
        elif kind == 2:  # distinct
            index = rng.permutation(max(num_rows, count))[:count] % num_rows
        else:  # sorted
            index = np.sort(rng.integers(0, num_rows, count))
        shape = [(), (1,), (3,), (2, 4)][int(rng.integers(4))]
        dtype = [np.float32, np.float64][int(rng.integers(2))]
        rows = (rng.standard_normal((count,) + shape)
                * 10.0 ** rng.integers(-3, 4, (count,) + shape)).astype(dtype)
        rows[rng.random(rows.shape) < 0.1] = -0.0
        layout = int(rng.integers(3))
        if layout == 1 and rows.ndim == 2:
            rows = np.asfortranarray(rows)
        elif layout == 2 and count:  # a broadcast gradient (stride 0)
            rows = np.broadcast_to(rows[:1], rows.shape)
        yield index.astype(np.intp), rows, num_rows


def test_scatter_add_rows_is_the_in_order_sum_sampled():
    checked = 0
    for index, rows, num_rows in _configs(300, 26):
        got = _scatter_add_rows(index, rows, num_rows)
        # (+ 0.0: an index summed by one reduction starts from +0.0, so a sum of -0.0s
        # there is +0.0, as torch's sums starting from zeros always are)
        assert _same_bits(got + 0.0, _in_order(index, rows, num_rows) + 0.0), index
        checked += 1
    assert checked == 300


def test_scatter_add_rows_order_matters_float32():
    # 1e8 + 1 - 1e8 in float32: the order decides (left to right: 0; 1 survives otherwise)
    rows = np.array([[1e8], [1.0], [-1e8], [5.0]], np.float32)
    index = np.array([2, 2, 2, 0])
    out = _scatter_add_rows(index, rows, 3)
    assert out[:, 0].tolist() == [5.0, 0.0, 0.0]
    # a lone -0.0 is added to torch's +0.0 start: +0.0 (embedbits26)
    out = _scatter_add_rows(np.array([1]), np.array([-0.0]), 2)
    assert not np.signbit(out[1]) and not np.signbit(out[0])


def test_scatter_add_rows_heavy_index():
    # one index 40 times (summed by one sequential reduction) and others a few times
    rng = np.random.default_rng(3)
    index = np.concatenate([np.full(40, 7), rng.integers(0, 20, 30)])
    rng.shuffle(index)
    for rows in (rng.standard_normal((70, 5)).astype(np.float32),
                 rng.standard_normal(70).astype(np.float32)):
        assert _same_bits(_scatter_add_rows(index, rows, 20), _in_order(index, rows, 20))


def test_repeated_positions_both_ways():
    rng = np.random.default_rng(5)
    for num_rows, count in ((50, 30), (10_000, 1_600), (1_000_000, 300), (10**6, 5)):
        for _ in range(5):
            index = rng.integers(0, num_rows, count)
            occurrences = np.array([np.count_nonzero(index == j) for j in index])
            expected = np.flatnonzero(occurrences > 1)
            got = _repeated_positions(index, num_rows)
            if expected.size == 0:
                assert got is None
            else:
                assert np.array_equal(got, expected)
    assert _repeated_positions(np.array([3, 1, 2]), 10**7) is None
    assert np.array_equal(_repeated_positions(np.array([3, 1, 3, 2]), 10**7), [0, 2])


def test_bags_offset2bag():
    rng = np.random.default_rng(7)
    for _ in range(100):
        count = int(rng.integers(0, 40))
        offsets = np.sort(rng.integers(0, count + 1, int(rng.integers(1, 8))))
        offsets[0] = 0
        last = bool(rng.integers(2))
        padding = int(rng.choice([-1, 0, 2]))
        idx = rng.integers(0, 4, count).astype(np.intp)
        bags = _Bags(idx, offsets, last, padding)
        starts = offsets[:-1] if last else offsets
        expected = np.searchsorted(starts, np.arange(count), side="right") - 1
        assert np.array_equal(bags.offset2bag, expected)
        assert np.array_equal(bags.size, np.bincount(bags.bag, minlength=starts.size))
        kept = [i for i in range(count) if expected[i] >= 0 and idx[i] != padding
                and (not last or i < offsets[-1])]
        assert bags.keep.tolist() == kept


def test_bag_mean_weight_grad_hand_derived():
    # bags [1, 1, 2] and [2]: weight.grad[1] = g0/3 + g0/3, [2] = g0/3 + g1
    w = torchlet.zeros(4, 2, requires_grad=True)
    out = torchlet.nn.functional.embedding_bag(
        torchlet.tensor([1, 1, 2, 2]), w, torchlet.tensor([0, 3]), mode="mean")
    g = np.array([[3.0, 6.0], [1.0, -1.0]], np.float32)
    (out * torchlet.tensor(g)).sum().backward()
    third = np.float32(1) / np.float32(3)
    r = g[0] * third
    assert out.grad_fn.name() == "EmbeddingBagBackward0"
    assert np.array_equal(w.grad.numpy(), np.array([[0, 0], r + r, r + g[1], [0, 0]]))


def _bag_grads(lib, ids, weight, offsets, g, **kw):
    w = lib.tensor(weight, requires_grad=True)
    out = lib.nn.functional.embedding_bag(lib.tensor(ids), w, None if offsets is None
                                          else lib.tensor(offsets), **kw)
    (out * lib.tensor(g)).sum().backward()
    return out.detach().numpy(), w.grad.numpy(), out.grad_fn.name()


def test_against_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    for trial in range(40):
        dtype = [np.float32, np.float64][trial % 2]
        num_rows, dim = int(rng.choice([3, 30, 2000])), int(rng.choice([1, 4, 16]))
        weight = rng.standard_normal((num_rows, dim)).astype(dtype)
        count = int(rng.integers(1, 120))
        ids = rng.integers(0, num_rows, count)
        padding = None if rng.random() < 0.5 else int(rng.integers(num_rows))
        scale = bool(rng.random() < 0.3)
        # embedding: torch adds repeated rows in position order: bit for bit (except with
        # scale_grad_by_freq, where torch fuses scale * grad into the sum)
        shape = (count,) if rng.random() < 0.5 else (1, count)
        g = rng.standard_normal(shape + (dim,)).astype(dtype)
        results = []
        for lib in (torch, torchlet):
            w = lib.tensor(weight, requires_grad=True)
            out = lib.nn.functional.embedding(lib.tensor(ids.reshape(shape)), w,
                                              padding_idx=padding, scale_grad_by_freq=scale)
            (out * lib.tensor(g)).sum().backward()
            results.append((w.grad.numpy(), out.grad_fn.name()))
        assert results[1][1] == results[0][1] == "EmbeddingBackward0"
        if scale:
            np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-7)
        else:
            assert _same_bits(results[1][0], results[0][0])
        # embedding_bag: torch sorts unstably, so repeated rows agree within rounding;
        # distinct ids are bit for bit
        mode = ["sum", "mean", "max"][trial % 3]
        distinct = rng.random() < 0.5 and count <= num_rows
        bag_ids = rng.permutation(num_rows)[:count] if distinct else ids
        offsets = np.sort(rng.integers(0, count, int(rng.integers(1, 6))))
        offsets[0] = 0
        kw = dict(mode=mode, padding_idx=padding,
                  include_last_offset=bool(rng.random() < 0.3),
                  scale_grad_by_freq=scale and mode != "max")
        if kw["include_last_offset"]:  # (closing at the end: short of it torch's fbgemm
            offsets = np.append(offsets, count)  # output holds uninitialised memory)
        g = rng.standard_normal((offsets.size - kw["include_last_offset"], dim)).astype(dtype)
        want = _bag_grads(torch, bag_ids, weight, offsets, g, **kw)
        got = _bag_grads(torchlet, bag_ids, weight, offsets, g, **kw)
        assert got[2] == want[2] == "EmbeddingBagBackward0"
        tol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)
        if distinct and not kw["scale_grad_by_freq"]:
            assert np.array_equal(got[1], want[1])
        else:
            np.testing.assert_allclose(got[1], want[1], rtol=tol, atol=tol)


def test_embedding_double_backward_still_recorded():
    w = torchlet.randn(6, 3, requires_grad=True)
    out = torchlet.nn.functional.embedding(torchlet.tensor([1, 4, 1]), w)
    (gw,) = torchlet.autograd.grad((out * out).sum(), w, create_graph=True)
    assert gw.grad_fn is not None
    (gw * gw).sum().backward()
    # d/dw of sum((2 * sum_i w[id_i])^2) over rows: rows 1 (twice) and 4
    wd = w.detach().numpy()
    expected = np.zeros((6, 3), np.float32)
    expected[1] = 8 * (2 * wd[1]) * 2
    expected[4] = 8 * wd[4]
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-5)

"""Session 19 speed work, bits unchanged: logsumexp's forward (fewer temporaries, exp
rounded once in place), pdist's forward (pairs as columns: torch's lane sums over all
pairs at once) and views made by None (torch's strides built with one ndarray call).
Correctness only: the same values, strides and memory as before, and as torch."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise._libm import rounded_once
from torchlet._ops.reduction.sums import _add_reduce
from torchlet.storage import _owner

# ---------------------------------------------------------------------------------------
# logsumexp


def _logsumexp_reference(a: np.ndarray, dims: tuple, keepdim: bool) -> np.ndarray:
    """The forward before the speed-up, step by step: m = max (0 where infinite),
    exp(a - m) rounded once, torch's sum order, log rounded once, + m."""
    m = np.max(a, axis=dims, keepdims=True)
    m = np.where(np.isinf(m), m.dtype.type(0), m)
    total = np.asarray(_add_reduce(rounded_once(np.exp, a - m), dims, keepdim, a.dtype))
    return np.asarray(rounded_once(np.log, total) + (m if keepdim else m.reshape(total.shape)))


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def test_logsumexp_special_values():
    x = torchlet.tensor([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 0.0], [0.0, 0.0]])
    out = torchlet.logsumexp(x, 1).numpy()
    assert out[0] == -np.inf and out[1] == np.inf and np.isnan(out[2])
    assert out[3] == np.float32(np.log(2.0))  # log(1 + 1), rounded once
    assert torchlet.logsumexp(torchlet.tensor(3.0), 0).item() == 3.0  # 0-d: exp, log, + m


def test_logsumexp_sampled_bits_as_before():
    rng = np.random.default_rng(19)
    for _ in range(300):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(rng.integers(1, 7)) for _ in range(ndim))
        dtype = (np.float16, np.float32, np.float64)[int(rng.integers(3))]
        a = (rng.standard_normal(shape) * 10).astype(dtype)
        if rng.random() < 0.3:
            a.reshape(-1)[rng.integers(0, a.size)] = rng.choice([np.inf, -np.inf, np.nan])
        if ndim > 1 and rng.random() < 0.3:
            a = a.transpose(rng.permutation(ndim))
        dims = tuple(sorted(rng.choice(ndim, int(rng.integers(1, ndim + 1)), replace=False)))
        keepdim = bool(rng.integers(2))
        got = torchlet.logsumexp(torchlet.tensor(a), dims, keepdim).numpy()
        want = _logsumexp_reference(a, dims, keepdim)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert _bits(got) == _bits(want), (shape, dtype, dims, keepdim)


def test_logsumexp_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for shape, dim in [((64, 10), 1), ((3, 40), 0), ((5, 6, 7), (0, 2)), ((8,), 0)]:
        for dtype in (np.float32, np.float64):
            a = (rng.standard_normal(shape) * 5).astype(dtype)
            got = torchlet.logsumexp(torchlet.tensor(a), dim).numpy()
            want = torch.logsumexp(torch.tensor(a), dim).numpy()
            # torch's own exp/log are an ulp off the nearest value for a few inputs
            if dtype == np.float64 and np.lib.NumpyVersion(np.__version__) < "2.0.0":
                # NumPy 1's float64 exp/log differ from torch's for ~25% of inputs (NumPy
                # 2's: 0.1-5%, measured); where log(sum) cancels against the max (a result
                # of 0.053 from a max near 3) its ulp is one of the max's, not the result's
                eps = np.finfo(dtype).eps
                scale = np.abs(want) + np.abs(np.amax(a, axis=dim))
                assert (np.abs(got - want) <= 4 * eps * scale).all(), (shape, dim)
                continue
            np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)


# ---------------------------------------------------------------------------------------
# pdist


def _lane_sum(terms: np.ndarray) -> float:
    """One pair's sum in torch's order, term by term (see misc_more._vector_sum)."""
    w = 32 // terms.itemsize
    add = terms.dtype.type
    if terms.size < w:
        acc = terms[0]
        for t in terms[1:]:
            acc = add(acc + t)
        return acc
    lanes = list(terms[:w])
    for k in range(w, terms.size):
        lanes[k % w] = add(lanes[k % w] + terms[k])
    if terms.dtype == np.float32:
        while len(lanes) > 1:
            half = len(lanes) // 2
            lanes = [add(lanes[i] + lanes[i + half]) for i in range(half)]
        return lanes[0]
    acc = lanes[0]
    for t in lanes[1:]:
        acc = add(acc + t)
    return acc


def _pdist_reference(x: np.ndarray, p: float) -> np.ndarray:
    n, out = x.shape[0], []
    for i in range(n):
        for j in range(i + 1, n):
            d = x[i] - x[j]
            if p == 1:
                out.append(_lane_sum(np.abs(d)))
            else:
                out.append(np.sqrt(_lane_sum(d * d)))
    return np.array(out, x.dtype)


@pytest.mark.parametrize("m", [1, 3, 4, 7, 8, 9, 16, 21])
def test_pdist_lane_order(m):
    rng = np.random.default_rng(m)
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal((7, m)) * np.logspace(-3, 3, m)).astype(dtype)
        for p in (1.0, 2.0):
            got = torchlet.nn.functional.pdist(torchlet.tensor(x), p).numpy()
            assert _bits(got) == _bits(_pdist_reference(x, p)), (dtype, p)


def test_pdist_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    for _ in range(60):
        n, m = int(rng.integers(0, 25)), int(rng.integers(0, 40))
        dtype = (np.float32, np.float64)[int(rng.integers(2))]
        x = (rng.standard_normal((n, m)) * rng.choice([0.01, 1.0, 100.0])).astype(dtype)
        if n and m and rng.random() < 0.2:
            x[rng.integers(n), rng.integers(m)] = rng.choice([np.inf, np.nan])
        xt = torchlet.tensor(x)
        if rng.random() < 0.3 and n and m:  # a transposed (column-major) input
            xt = torchlet.tensor(np.ascontiguousarray(x.T)).t()
        p = float(rng.choice([0.0, 1.0, 2.0, np.inf]))
        got = torchlet.nn.functional.pdist(xt, p).numpy()
        want = torch.nn.functional.pdist(torch.tensor(x), p).numpy()
        assert got.dtype == want.dtype and got.shape == want.shape
        # bit for bit, NaNs aside (torch's NaN payloads vary with its kernel's path)
        assert np.array_equal(np.isnan(got), np.isnan(want)), (n, m, dtype, p)
        finite = ~np.isnan(want)
        assert _bits(got[finite]) == _bits(want[finite]), (n, m, dtype, p)


# ---------------------------------------------------------------------------------------
# views made by None


def test_none_view_strides_by_hand():
    x = torchlet.arange(20.0).reshape(4, 5)
    assert x[:, None].stride() == (5, 5, 1)
    assert x[..., None].stride() == (5, 1, 1)
    y = x[None, 1:3, None]
    assert y.shape == (1, 2, 1, 5) and y.stride() == (20, 5, 5, 1)
    assert y.storage_offset() == 5
    y[0, 1, 0, 2] = -1.0  # a view: writes reach x
    assert x[2, 2].item() == -1.0
    assert _owner(y._data) is _owner(x._data)


def test_none_view_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    items = [None, 0, 1, slice(1, 3), slice(None, None, 2), slice(0, 4, 3), Ellipsis]
    for _ in range(400):
        ndim = int(rng.integers(1, 4))
        shape = tuple(int(rng.integers(3, 6)) for _ in range(ndim))
        t = torch.arange(float(np.prod(shape))).reshape(shape)
        if ndim > 1 and rng.random() < 0.3:
            t = t.transpose(0, 1)
        if rng.random() < 0.3:
            t = t[..., ::2]
        mine = torchlet.empty_strided(tuple(t.shape), t.stride())
        mine.copy_(torchlet.tensor(t.numpy()))
        key = tuple(items[i] for i in rng.integers(0, len(items), int(rng.integers(1, 4))))
        if None not in key or key.count(Ellipsis) > 1:
            key = key + (None,)
        try:
            want = t[key]
        except IndexError:
            with pytest.raises(IndexError):
                mine[key]
            continue
        got = mine[key]
        assert tuple(got.shape) == tuple(want.shape), key
        if want.numel():
            assert got.stride() == want.stride(), (t.stride(), key)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert _owner(got._data) is _owner(mine._data) and got._data.flags.writeable

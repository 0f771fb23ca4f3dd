"""log_softmax's last-dim forward in blocks of rows, its lane sums by einsum: the same bits
as a plain, one-piece reference of torch's order (``_reference_log_softmax``), and live
comparisons with torch."""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn._functional import softmax as sm


def _reference_lane_sums(e: np.ndarray, lanes: int) -> np.ndarray:
    """torch's vec::map_reduce_all sums, written out with a Python loop over the vectors:
    lane l adds numbers l, l + lanes, ... in order, the leftover n % lanes numbers go to
    the first lanes, then float32 lanes are added as a tree (l + 8, + 4, + 2, + 1),
    float64 lanes one after another; rows shorter than a vector in order."""
    count, n = e.shape
    if n < lanes:
        acc = e[:, 0].copy()
        for j in range(1, n):
            acc += e[:, j]
        return acc
    full = n - n % lanes
    acc = e[:, :lanes].copy()
    for start in range(lanes, full, lanes):
        acc += e[:, start:start + lanes]
    acc[:, :n - full] += e[:, full:]
    if e.dtype == np.float64:
        total = acc[:, 0].copy()
        for j in range(1, lanes):
            total += acc[:, j]
        return total
    while lanes > 1:
        lanes //= 2
        acc = acc[:, :lanes] + acc[:, lanes:2 * lanes]
    return acc[:, 0]


def _reference_log_softmax(x: np.ndarray) -> np.ndarray:
    """Last-dim log_softmax of a 2-D float32/float64 array in one piece, in torch's order:
    (x - max) - log(lane sums of exp(x - max)), exp and log rounded once from float64."""
    top = np.max(x, axis=1, keepdims=True)
    shifted = x - top
    e = np.exp(shifted.astype(np.float64)).astype(x.dtype)
    total = _reference_lane_sums(e, sm._LANES[x.dtype])
    return shifted - np.log(total.astype(np.float64)).astype(x.dtype)[:, None]


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _logits(rng, shape, dtype, kind: int) -> np.ndarray:
    x = rng.standard_normal(shape) * 3
    if kind == 1:
        x *= 1e4 / max(1.0, float(np.abs(x).max(initial=0)))
    elif kind == 2 and x.size:
        x[rng.random(shape) < 0.05] = -np.inf
    elif kind == 3 and x.size:
        x.reshape(-1)[rng.integers(0, x.size, 2)] = np.nan
    elif kind == 4 and len(x):
        x[rng.integers(len(x))] = -np.inf  # a whole row: nan out, as torch
    return x.astype(dtype)


@pytest.mark.parametrize("shape", [(1, 20000, 16), (3, 8193, 16), (4096, 62, 16),
                                   (7, 513, 8), (1, 70000, 8), (33, 5, 16)])
def test_vector_sums_add_vectors_in_order(shape):
    # magnitudes from 1e-8 to 1e8: any other order of the adds rounds differently
    rng = np.random.default_rng(sum(shape))
    dtype = np.float32 if shape[2] == 16 else np.float64
    count, vectors, lanes = shape
    e = (rng.random((count, vectors * lanes + 5)) * 10.0 ** rng.integers(-8, 9, (count, 1))
         * 10.0 ** rng.integers(-8, 9, vectors * lanes + 5)).astype(dtype)
    blocks = e[:, :vectors * lanes].reshape(shape)  # rows strided, as in _lane_sums
    expect = blocks[:, 0].copy()
    for v in range(1, vectors):
        expect += blocks[:, v]
    got = sm._vector_sums(blocks)
    assert got.dtype == dtype and got.shape == (count, lanes)
    assert _bits(got) == _bits(expect)


def test_vector_sums_hand_example():
    # lane 0 of one row: 2**24 then 1.0 sixteen times; in order each 1.0 is lost
    # (2**24 + 1 rounds back to 2**24), summed first they would give 2**24 + 16
    blocks = np.zeros((1, 17, 16), np.float32)
    blocks[0, 0, 0] = 2.0 ** 24
    blocks[0, 1:, 0] = 1.0
    blocks[0, :, 1] = 0.5
    got = sm._vector_sums(blocks)
    assert got[0, 0] == 2.0 ** 24
    assert got[0, 1] == 8.5 and not got[0, 2:].any()


def test_lane_sums_match_reference():
    rng = np.random.default_rng(24)
    for n in (1, 5, 15, 16, 17, 31, 32, 33, 64, 65, 80, 81, 100, 255, 1000, 1023, 5000):
        for dtype in (np.float32, np.float64):
            for count in (1, 2, 37):
                e = np.exp(rng.standard_normal((count, n)) * 4).astype(dtype)
                got = sm._lane_sums(e, sm._LANES[np.dtype(dtype)])
                assert _bits(got) == _bits(_reference_lane_sums(e, sm._LANES[np.dtype(dtype)])), \
                    (n, dtype, count)


@pytest.mark.parametrize("shape", [(300, 1000), (70, 4001), (3, 100_000), (20000, 33),
                                   (5000, 10)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_forward_matches_one_piece(shape, dtype):
    # all of these are larger than one block: several blocks, a last partial one
    rng = np.random.default_rng(shape[1])
    for kind in range(5):
        x = _logits(rng, shape, dtype, kind)
        got = sm._softmax_np(x, 1, log=True)
        assert got.dtype == dtype and got.shape == shape and got.flags.c_contiguous
        assert _bits(got) == _bits(_reference_log_softmax(x)), kind


def test_blocked_forward_hand_values():
    # equal logits: exp(0) = 1 in each of the 1000 places, the sum 1000 exactly,
    # log_softmax = -log(1000) rounded once to float32, in every block
    x = np.full((700, 1000), 3.5, np.float32)
    out = sm._softmax_np(x, 1, log=True)
    assert x.size > sm._BLOCK
    assert (out == np.float32(-math.log(1000))).all()
    # a row of -inf gives nan (0 * inf), the others are untouched by it
    x[350] = -np.inf
    out = sm._softmax_np(x, 1, log=True)
    assert np.isnan(out[350]).all()
    assert (np.delete(out, 350, 0) == np.float32(-math.log(1000))).all()


def test_non_contiguous_and_other_layouts():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((400, 2 * 1001)).astype(np.float32)[:, ::2]  # strided rows
    assert _bits(sm._softmax_np(x, 1, log=True)) == _bits(_reference_log_softmax(x))
    f = np.asfortranarray(rng.standard_normal((600, 999)).astype(np.float32))
    got = sm._softmax_np(f, 1, log=True)
    assert _bits(got) == _bits(_reference_log_softmax(np.ascontiguousarray(f)))
    # last dim followed by sizes 1: the same kernel, in the input's shape
    y = rng.standard_normal((300, 1000, 1)).astype(np.float32)
    got = sm._softmax_np(y, 1, log=True)
    assert got.shape == y.shape
    assert _bits(got) == _bits(_reference_log_softmax(y[:, :, 0]))


def test_tensor_api_large_layout_and_gradient():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((1000, 600)).astype(np.float32)
    x = torchlet.tensor(a.T, requires_grad=True)  # a transposed view, 600 x 1000
    y = F.log_softmax(x, 1)
    assert y.is_contiguous() and y.grad_fn.name() == "LogSoftmaxBackward0"
    assert _bits(y.detach().numpy()) == _bits(_reference_log_softmax(np.ascontiguousarray(a.T)))
    y.sum().backward()
    # d/dx sum(log_softmax(x)) = 1 - C * softmax(x)
    expect = 1 - 1000 * np.exp(y.detach().numpy().astype(np.float64))
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-4, atol=1e-4)


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("shape,dim", [((4096, 1000), 1), ((256, 3000), 1),
                                       ((64, 10), 1), ((32, 128, 50), 1), ((300, 1001), -1)])
def test_against_torch(shape, dim):
    torch = _torch()
    rng = np.random.default_rng(shape[-1])
    a = rng.standard_normal(shape).astype(np.float32) * 5
    ours = F.log_softmax(torchlet.tensor(a, requires_grad=True), dim)
    theirs = torch.log_softmax(torch.tensor(a, requires_grad=True), dim)
    got, want = ours.detach().numpy(), theirs.detach().numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)
    # torch's exp and log are an ulp off the nearest float32 for a few percent of inputs
    assert (got == want).mean() > 0.9
    g = rng.standard_normal(shape).astype(np.float32)
    ours.backward(torchlet.tensor(g))
    theirs.backward(torch.tensor(g))
    assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_sampled_differential_against_torch():
    torch = _torch()
    rng = np.random.default_rng(2024)
    for _ in range(40):
        dtype = [np.float16, np.float32, np.float64][rng.integers(3)]
        c = int(rng.choice([1, 3, 16, 17, 33, 100, 999, 1024, 5000]))
        n = int(rng.choice([0, 1, 2, 7, 64, 300]))
        if c * n > 400_000:
            n = 400_000 // c
        a = _logits(rng, (n, c), dtype, int(rng.integers(5)))
        for log in (True, False):
            fn = (F.log_softmax, torch.log_softmax) if log else (F.softmax, torch.softmax)
            got = fn[0](torchlet.tensor(a), 1).numpy()
            want = fn[1](torch.tensor(a), 1).numpy()
            assert got.dtype == want.dtype and got.shape == want.shape
            assert (np.isnan(got) == np.isnan(want)).all(), (n, c, dtype, log)
            tol = {np.float16: 2e-3, np.float32: 2e-5, np.float64: 1e-12}[dtype]
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol)

"""Embedding / EmbeddingBag numbers bit for bit torch's (helper embedbits26).

* embedding_bag sum/mean forward: each bag's rows added left to right from +0.0 (torch's
  kernels), mean divided by the bag size; float16 summed in float32; fbgemm's float32
  per_sample_weights sum one fused multiply-add per step.
* embedding's weight gradient starts from zeros: -0.0 gradients give +0.0.
* scale_grad_by_freq: acc = fma(grad_row, 1/count, acc), rounded once per step.
"""

from fractions import Fraction

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional.embedding import _fma, _scatter_add_rows

F = torchlet.nn.functional


def _bits(a):
    return np.ascontiguousarray(a).tobytes()


def test_bag_sum_left_to_right_float32():
    # 1e8 + 1 + 1 - 1e8 + 1: in order (float32) 1e8+1 rounds back to 1e8 each time -> 1
    w = np.array([[1e8], [1.0], [-1e8]], np.float32)
    idx = torchlet.tensor([0, 1, 1, 2, 1])
    out = F.embedding_bag(idx, torchlet.tensor(w), torchlet.tensor([0]), mode="sum")
    acc = np.float32(0)
    for i in [0, 1, 1, 2, 1]:
        acc = np.float32(acc + w[i, 0])
    assert out.numpy()[0, 0] == acc == 1.0
    # mean divides the sum by the size (not a multiply by the reciprocal)
    rng = np.random.default_rng(0)
    w = rng.standard_normal((20, 8)).astype(np.float32)
    ids = rng.integers(0, 20, 7)
    acc = np.zeros(8, np.float32)
    for i in ids:
        acc = acc + w[i]
    out = F.embedding_bag(torchlet.tensor(ids), torchlet.tensor(w), torchlet.tensor([0]),
                          mode="mean")
    assert _bits(out.numpy()[0]) == _bits(acc / np.float32(7))


def test_bag_negative_zero_sums_are_positive():
    x = torchlet.tensor([[-0.0, 1.0], [-0.0, -0.0]])
    offsets = torchlet.tensor([0, 1, 1, 3])
    idx = torchlet.tensor([0, 1, 1])
    for mode in ("sum", "mean"):
        out = F.embedding_bag(idx, x, offsets, mode=mode).numpy()
        assert not np.signbit(out).any()
    out = F.embedding_bag(idx, x, offsets, mode="max").numpy()  # max copies: -0.0 kept
    assert np.signbit(out).tolist() == [[True, False], [False, False], [True, True],
                                        [False, False]]


def test_fma_correctly_rounded():
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal(300).astype(dtype)
        b = rng.standard_normal(300).astype(dtype)
        c = (-(a.astype(np.float64) * b) * (1 + 1e-6 * rng.standard_normal(300))).astype(dtype)
        got = _fma(a, b, c)
        for i in range(300):
            exact = Fraction(float(a[i])) * Fraction(float(b[i])) + Fraction(float(c[i]))
            near = [dtype(float(exact))]
            near += [np.nextafter(near[0], dtype(np.inf)), np.nextafter(near[0], dtype(-np.inf))]
            errors = [abs(Fraction(float(v)) - exact) for v in near]
            assert abs(Fraction(float(got[i])) - exact) == min(errors)


def test_embedding_grad_negative_zero():
    w = torchlet.zeros(5, 2, requires_grad=True)
    F.embedding(torchlet.tensor([1, 2, 2, 3]), w, padding_idx=3).backward(
        torchlet.full((4, 2), -0.0))
    assert not np.signbit(w.grad.numpy()).any()
    out = _scatter_add_rows(np.array([1]), np.array([[-0.0]]), 2)
    assert not np.signbit(out).any()


def test_scale_grad_by_freq_is_fused():
    # count 3: scale float32(1/3); fma(g, s, acc) rounded once per step
    g = np.array([[0.1], [0.7], [1.3]], np.float32)
    w = torchlet.zeros(2, 1, requires_grad=True)
    F.embedding(torchlet.tensor([1, 1, 1]), w, scale_grad_by_freq=True).backward(
        torchlet.tensor(g))
    s = np.float32(1 / 3)
    acc = Fraction(0)
    for v in g[:, 0]:
        acc = Fraction(float(np.float32(float(acc + Fraction(float(v)) * Fraction(float(s))))))
    assert w.grad.numpy()[1, 0] == np.float32(float(acc))


def _bag_configs():
    rng = np.random.default_rng(26)
    configs = []
    for trial in range(90):
        dtype = [np.float32, np.float64, np.float16][trial % 3]
        num_rows, dim = int(rng.choice([3, 50, 500])), int(rng.choice([1, 3, 16, 33]))
        if rng.random() < 0.8:
            sizes = rng.integers(0, 30, int(rng.integers(1, 8)))
        else:  # one long bag among short ones (summed bag by bag)
            sizes = np.array([int(rng.integers(80, 200))] + list(rng.integers(0, 3, 6)))
        mode = ["sum", "mean", "max"][trial % 3 if trial % 9 else 0]
        configs.append(dict(
            seed=int(rng.integers(1 << 30)), dtype=dtype, num_rows=num_rows, dim=dim,
            sizes=sizes, mode=mode,
            padding=None if rng.random() < 0.5 else int(rng.integers(num_rows)),
            psw=mode == "sum" and rng.random() < 0.5, last=bool(rng.random() < 0.3),
            zeros=bool(rng.random() < 0.2)))
    return configs


@pytest.mark.parametrize("cfg", _bag_configs())
def test_bag_forward_bitexact_vs_torch(cfg):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(cfg["seed"])
    weight = rng.standard_normal((cfg["num_rows"], cfg["dim"])).astype(cfg["dtype"])
    if cfg["zeros"]:
        weight[rng.random(weight.shape) < 0.3] = -0.0
    sizes = cfg["sizes"]
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    idx = rng.integers(0, cfg["num_rows"], int(sizes.sum()))
    offsets = np.append(starts, idx.size) if cfg["last"] else starts
    psw = rng.standard_normal(idx.size).astype(cfg["dtype"]) if cfg["psw"] else None
    outs = []
    for lib in (torch, torchlet):
        out = lib.nn.functional.embedding_bag(
            lib.tensor(idx), lib.tensor(weight), lib.tensor(offsets), mode=cfg["mode"],
            padding_idx=cfg["padding"], include_last_offset=cfg["last"],
            per_sample_weights=None if psw is None else lib.tensor(psw))
        outs.append(out.numpy())
    assert outs[0].dtype == outs[1].dtype and outs[0].shape == outs[1].shape
    assert _bits(outs[0]) == _bits(outs[1])


def _emb_configs():
    rng = np.random.default_rng(2026)
    return [dict(seed=int(rng.integers(1 << 30)), dtype=[np.float32, np.float64][t % 2],
                 num_rows=int(rng.choice([3, 30, 2000])), dim=int(rng.choice([1, 4, 16])),
                 count=int(rng.integers(1, 120)), scale=bool(rng.random() < 0.7),
                 padding=None if rng.random() < 0.5 else 1, zeros=bool(rng.random() < 0.3))
            for t in range(40)]


@pytest.mark.parametrize("cfg", _emb_configs())
def test_embedding_grad_bitexact_vs_torch(cfg):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(cfg["seed"])
    weight = rng.standard_normal((cfg["num_rows"], cfg["dim"])).astype(cfg["dtype"])
    ids = rng.integers(0, cfg["num_rows"], cfg["count"])
    g = rng.standard_normal((cfg["count"], cfg["dim"])).astype(cfg["dtype"])
    if cfg["zeros"]:
        g[rng.random(g.shape) < 0.5] = -0.0
    padding = None if cfg["padding"] is None else min(cfg["padding"], cfg["num_rows"] - 1)
    grads = []
    for lib in (torch, torchlet):
        w = lib.tensor(weight, requires_grad=True)
        out = lib.nn.functional.embedding(lib.tensor(ids), w, padding_idx=padding,
                                          scale_grad_by_freq=cfg["scale"])
        out.backward(lib.tensor(g))
        grads.append(w.grad.numpy())
    assert _bits(grads[0]) == _bits(grads[1])


def test_scale_grad_by_freq_double_backward_unchanged():
    # the recorded graph's gradient w.r.t. grad_output: rows gathered, NOT scaled (torch's
    # embedding_dense_double_backward leaves the frequency scaling out)
    w = torchlet.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    out = F.embedding(torchlet.tensor([1, 2, 2, 1, 1]), w, scale_grad_by_freq=True)
    g = torchlet.ones(5, 2, dtype=torchlet.float64, requires_grad=True)
    (gw,) = torchlet.autograd.grad(out, w, g, create_graph=True)
    assert gw.grad_fn.name() == "EmbeddingDenseBackwardBackward0"
    (gg,) = torchlet.autograd.grad((gw * torchlet.arange(12.0).reshape(6, 2)).sum(), g)
    rows = np.arange(12.0).reshape(6, 2)[[1, 2, 2, 1, 1]]
    np.testing.assert_array_equal(gg.numpy(), rows)  # torch: [[2, 3], [4, 5], [4, 5], ...]


@pytest.mark.parametrize("dim,psw", [(4, False), (4, True), (1, False)])
def test_bag_skewed_sizes_summed_bag_by_bag(dim, psw):
    # one bag of 3000 among 500 of 2: no padded table (3000 x 501 rows); a single bag of
    # width 1 also goes bag by bag (a 1-D reduction would add pairwise)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(dim)
    sizes = np.array([3000] + [2] * 500) if dim > 1 else np.array([3000])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    weight = rng.standard_normal((1000, dim)).astype(np.float32)
    idx = rng.integers(0, 1000, int(sizes.sum()))
    weights = rng.standard_normal(idx.size).astype(np.float32) if psw else None
    outs = [lib.nn.functional.embedding_bag(
        lib.tensor(idx), lib.tensor(weight), lib.tensor(starts), mode="sum",
        per_sample_weights=None if weights is None else lib.tensor(weights)).numpy()
        for lib in (torch, torchlet)]
    assert _bits(outs[0]) == _bits(outs[1])
    if not psw:  # hand check of the long bag: left to right in float32
        acc = np.zeros(dim, np.float32)
        for i in idx[:3000]:
            acc = acc + weight[i]
        assert _bits(outs[1][0]) == _bits(acc)

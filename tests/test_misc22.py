"""misc22: cosine_similarity with mixed float dtypes, reflect/replicate pad's double
backward edges, float16 softmax along a non-last dim."""

import math

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _bits(a):
    return np.asarray(a).view(np.uint8)


# ---------------------------------------------------------------------------------------
# cosine_similarity: only integer inputs are cast; float inputs keep their dtype


def test_cosine_similarity_mixed_floats_keep_own_dtype():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 7)), rng.standard_normal((3, 7))
    x = torchlet.tensor(a).half()
    y = torchlet.tensor(b)
    out = F.cosine_similarity(x, y)
    assert out.dtype == torchlet.float64
    # hand-derived: x / ||x|| in float16, y / ||y|| in float64, multiplied in float64
    xh = a.astype(np.float16)
    nx = np.sqrt((xh.astype(np.float32) ** 2).sum(1, keepdims=True)).astype(np.float16)
    ny = np.sqrt((b ** 2).sum(1, keepdims=True))
    want = ((xh / nx).astype(np.float64) * (b / ny)).sum(1)
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-3)
    # casting x to float64 first (the old behaviour) is visibly different
    full = F.cosine_similarity(x.double(), y).numpy()
    assert np.abs(out.numpy() - full).max() > 1e-5


def test_cosine_similarity_mixed_dtypes_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    kinds = ["float16", "float32", "float64", "int64", "bool"]
    for _ in range(40):
        k1, k2 = rng.choice(kinds, 2)
        if "float" not in k1 + k2:
            continue
        a = rng.standard_normal((4, 6)) * 3
        b = rng.standard_normal((1, 6) if rng.random() < 0.3 else (4, 6)) * 3
        outs, grads = [], []
        for m in (torch, torchlet):
            ta, tb = m.tensor(a).to(getattr(m, k1)), m.tensor(b).to(getattr(m, k2))
            leaves = [t.requires_grad_() for t in (ta, tb) if t.is_floating_point()]
            o = m.nn.functional.cosine_similarity(ta, tb)
            gs = m.autograd.grad(o, leaves, m.linspace(0.1, 1, 4).to(o.dtype))
            outs.append(o)
            grads.append([g.double().numpy() for g in gs])
        assert str(outs[0].dtype) == str(outs[1].dtype), (k1, k2)
        assert np.array_equal(outs[0].detach().double().numpy(),
                              outs[1].detach().double().numpy())
        for gt, gl in zip(*grads):
            np.testing.assert_allclose(gl, gt, rtol=1e-3 if "16" in k1 + k2 else 1e-6,
                                       atol=1e-3 if "16" in k1 + k2 else 1e-12)


# ---------------------------------------------------------------------------------------
# reflect / replicate pad: the double backward node has an edge to x, its gradient zeros


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize(("shape", "pad", "k"), [((1, 2, 4), (1, 2), 1),
                                                  ((2, 2, 3, 4), (1, 2, 2, 0), 2),
                                                  ((1, 1, 3, 3, 4), (1, 1, 1, 1, 2, 1), 3)])
def test_edge_pad_double_backward_edge_to_input(mode, shape, pad, k):
    rng = np.random.default_rng(1)
    x = torchlet.tensor(rng.standard_normal(shape)).requires_grad_()
    y = F.pad(x, pad, mode=mode)
    w = torchlet.tensor(rng.standard_normal(tuple(y.shape)))
    (g,) = torchlet.autograd.grad((y * w).sum(), x, create_graph=True)
    kind = {"reflect": "Reflection", "replicate": "Replication"}[mode]
    assert g.grad_fn.name() == f"{kind}Pad{k}DBackwardBackward0"
    edges = g.grad_fn.next_functions
    assert len(edges) == 2 and edges[0][0] is None
    assert edges[1][0].name() == "torch::autograd::AccumulateGrad"
    (gg,) = torchlet.autograd.grad(g.sum(), x)
    assert gg is not None and gg.shape == x.shape and not gg.numpy().any()
    assert gg.is_contiguous()
    # with w requiring grad, the first edge carries the gradient: the pad of ones
    w.requires_grad_()
    (g,) = torchlet.autograd.grad((y * w).sum(), x, create_graph=True)
    gw, gx = torchlet.autograd.grad(g.sum(), (w, x))
    assert np.array_equal(gw.numpy(), F.pad(torchlet.ones(shape), pad, mode=mode).numpy())
    assert not gx.numpy().any()


def test_edge_pad_saves_input_like_torch():
    x = torchlet.randn(3, 4, 5).requires_grad_()
    y = F.pad(x, (1, 2), mode="reflect")
    with torchlet.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_edge_pad_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for mode in ("reflect", "replicate"):
        a = rng.standard_normal((2, 3, 4, 5))
        res = []
        for m in (torch, torchlet):
            x = m.tensor(a).to(memory_format=m.channels_last).requires_grad_()
            y = m.nn.functional.pad(x, (1, 2, 2, 1), mode=mode)
            (g,) = m.autograd.grad((y ** 2).sum(), x, create_graph=True)
            fn = g.grad_fn
            (gg,) = m.autograd.grad((g * g).sum(), x)
            res.append((fn.name(), [f.name() if f else None for f, _ in fn.next_functions],
                        g.detach().numpy(), gg.numpy(), gg.stride()))
        assert res[0][:2] == res[1][:2]
        np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12)
        np.testing.assert_allclose(res[1][3], res[0][3], rtol=1e-12)
        assert res[0][4] == res[1][4]


# ---------------------------------------------------------------------------------------
# float16 softmax along a non-last dim: torch's scalar loop rounds the exps to half first


def test_half_softmax_inner_scalar_loop_double_rounding():
    # inner size 3 < 32: torch runs its scalar loop everywhere: half(half(e) / sum)
    x = np.array([[[0.0, 1.0, -2.0], [0.3, -0.7, 2.5]]], np.float16)
    out = torchlet.softmax(torchlet.from_numpy(x), 1).numpy()
    x32 = x.astype(np.float32)
    e = np.exp(x32 - x32.max(1, keepdims=True))
    want = (e.astype(np.float16).astype(np.float32) / e.sum(1, keepdims=True)).astype(
        np.float16)
    assert np.array_equal(_bits(out), _bits(want))


def test_half_vector_mask_follows_chunks():
    from torchlet.nn._functional.softmax import _half_vector_mask
    old = torchlet.get_num_threads()
    torchlet.set_num_threads(1)
    try:
        m = _half_vector_mask((2, 3, 70), 1).reshape(2, 70)
        assert m[:, :64].all() and not m[:, 64:].any()
        torchlet.set_num_threads(2)
        m = _half_vector_mask((3, 3, 50), 1).reshape(150)
        # chunk 0 = [0, 75): row 0 [0, 32) vector, [32, 50) scalar, row 1 [50, 75) scalar;
        # chunk 1 = [75, 150): row 1 [75, 100) scalar, row 2 [100, 132) vector
        want = np.zeros(150, bool)
        want[0:32] = want[100:132] = True
        assert np.array_equal(m, want)
    finally:
        torchlet.set_num_threads(old)


def test_half_softmax_non_last_dim_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    old, old_here = torch.get_num_threads(), torchlet.get_num_threads()
    bad = total = 0
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            torchlet.set_num_threads(threads)
            for _ in range(12):
                nd = int(rng.integers(2, 5))
                shape = tuple(int(s) for s in rng.integers(1, 40, nd))
                dim = int(rng.integers(0, nd - 1))
                if math.prod(shape[dim + 1:]) == 1:
                    continue
                x = (rng.standard_normal(shape) * 3).astype(np.float16)
                want = torch.softmax(torch.from_numpy(x), dim).numpy()
                got = torchlet.softmax(torchlet.from_numpy(x), dim).numpy()
                assert got.dtype == np.float16
                bad += int((want.view(np.int16) != got.view(np.int16)).sum())
                total += want.size
            x = (rng.standard_normal((2, 3, 4, 5)) * 3).astype(np.float16)
            want = torch.softmax(torch.from_numpy(x), 1).numpy()
            got = torchlet.softmax(torchlet.from_numpy(x), 1).numpy()
            assert np.array_equal(_bits(got), _bits(want))
    finally:
        torch.set_num_threads(old)
        torchlet.set_num_threads(old_here)
    # SLEEF's exp in torch's vectors is an ulp off the correctly rounded one, rarely
    assert bad <= total * 1e-4, (bad, total)

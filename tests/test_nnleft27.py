"""nn.functional fidelity gaps (helper nnleft27): binary_cross_entropy_with_logits's
backward graph and order of roundings, scaled_dot_product_attention's gradient layouts
(flash kernel), embedding's double backward (torch's embedding_dense_double_backward)."""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn._functional.attention import _product

try:
    import torch
except ImportError:  # pragma: no cover - the live comparisons skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _chain(fn, depth=8):
    """A node and its next_functions as one string: Name(child child ...)."""
    if fn is None:
        return "None"
    if depth == 0 or not fn.next_functions:
        return fn.name()
    return fn.name() + "(" + " ".join(_chain(f, depth - 1) for f, _ in fn.next_functions) + ")"


def _kernels_agree(x: np.ndarray) -> bool:
    """torch's SIMD sigmoid/log_sigmoid (SLEEF) may differ by an ulp from torchlet's on
    some inputs: bit comparisons of the losses are only meaningful where they agree."""
    for v in (x, -x):
        for f in (lambda lib: lib.sigmoid, lambda lib: lib.nn.functional.logsigmoid):
            if not np.array_equal(f(torch)(torch.tensor(v)).numpy(),
                                  f(torchlet)(torchlet.tensor(v)).numpy()):
                return False
    return True


# ---------------------------------------------------------------------------------------
# binary_cross_entropy_with_logits


def _bce_grads(lib, x, y, weight=None, pos_weight=None, reduction="mean", grad=None,
               create_graph=False):
    X, Y = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
    kw = {}
    if weight is not None:
        kw["weight"] = lib.tensor(weight)
    if pos_weight is not None:
        kw["pos_weight"] = lib.tensor(pos_weight)
    loss = lib.nn.functional.binary_cross_entropy_with_logits(X, Y, reduction=reduction, **kw)
    g = lib.ones_like(loss) if grad is None else lib.tensor(grad)
    gx, gy = lib.autograd.grad(loss, (X, Y), g, create_graph=create_graph)
    if create_graph:  # and a second derivative, through the recorded graph
        hx, hy = lib.autograd.grad((gx * gx).sum() + (gy * gy * 3).sum(), (X, Y))
        return loss, gx, gy, hx, hy
    return loss, gx, gy


def test_bce_with_logits_grad_graph_is_torchs():
    # torch's binary_cross_entropy_with_logits_backward: (pw y + 1 - y) sigmoid(x) - pw y,
    # times grad, times weight, then / numel as a C++ Scalar (DivBackward1)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.random((3, 4))
    w, pw = rng.random(4), rng.random(4) * 2
    gx, gy = _bce_grads(torchlet, x, y, w, pw, create_graph=True)[1:3]
    leaf = "torch::autograd::AccumulateGrad"
    assert _chain(gx.grad_fn) == (
        f"DivBackward1(MulBackward0(MulBackward0(SubBackward0(MulBackward0(SubBackward0("
        f"AddBackward1(MulBackward0(None {leaf})) {leaf}) SigmoidBackward0({leaf})) "
        f"MulBackward0(None {leaf})) None) None))")
    assert _chain(gy.grad_fn) == (
        f"DivBackward1(MulBackward0(MulBackward0(SubBackward0(LogSigmoidBackward0("
        f"NegBackward0({leaf})) MulBackward0(LogSigmoidBackward0({leaf}) None)) None) None))")
    gx, gy = _bce_grads(torchlet, x, y, reduction="sum", create_graph=True)[1:3]
    assert _chain(gx.grad_fn) == f"MulBackward0(SubBackward0(SigmoidBackward0({leaf}) {leaf}) None)"
    assert _chain(gy.grad_fn) == f"MulBackward0(NegBackward0({leaf}) None)"
    if torch is not None:
        for kw in ({"weight": w, "pos_weight": pw}, {"reduction": "sum"}):
            tx, ty = _bce_grads(torch, x, y, create_graph=True, **kw)[1:3]
            lx, ly = _bce_grads(torchlet, x, y, create_graph=True, **kw)[1:3]
            assert _chain(tx.grad_fn) == _chain(lx.grad_fn)
            assert _chain(ty.grad_fn) == _chain(ly.grad_fn)


def test_bce_with_logits_grad_rounding_order():
    # ((sigmoid(x) - y) * grad) * w, then / numel: not (sigmoid(x) - y) * w * (grad / n)
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(20):
        x = rng.standard_normal((4, 5)).astype(np.float32)
        y = rng.random((4, 5)).astype(np.float32)
        w = (rng.random(5) * 3).astype(np.float32)
        g = np.float32(rng.standard_normal())
        _, gx, gy = _bce_grads(torchlet, x, y, w, grad=g)
        s = torchlet.sigmoid(torchlet.tensor(x)).numpy()
        n = np.float32(x.size)
        want_x = (s - y) * g * w / n
        want_y = -x * g * w / n
        np.testing.assert_array_equal(gx.numpy(), want_x)
        np.testing.assert_array_equal(gy.numpy(), want_y)
        hits += not np.array_equal(want_x, (s - y) * w * (g / n))
    assert hits  # the orders do differ on these inputs


def test_bce_with_logits_fast_path_matches_general_path():
    # one dtype, C-contiguous: NumPy arithmetic (grads_np); a transposed input takes the
    # path through torchlet's operations: the same bits
    rng = np.random.default_rng(2)
    for dtype in (np.float16, np.float32, np.float64):
        for reduction in ("mean", "sum", "none"):
            for kw in ({}, {"weight": 1}, {"pos_weight": 1}, {"weight": 1, "pos_weight": 1}):
                x = (rng.standard_normal((5, 3)) * 3).astype(dtype)
                y = rng.random((5, 3)).astype(dtype)
                extra = {k: torchlet.tensor((rng.random(3) * 2).astype(dtype)) for k in kw}
                g = rng.standard_normal((5, 3) if reduction == "none" else ()).astype(dtype)
                results = []
                for transposed in (False, True):
                    X = torchlet.tensor(x.T.copy() if transposed else x, requires_grad=True)
                    Y = torchlet.tensor(y.T.copy() if transposed else y, requires_grad=True)
                    xv, yv = (X.t(), Y.t()) if transposed else (X, Y)
                    loss = F.binary_cross_entropy_with_logits(xv, yv, reduction=reduction,
                                                              **extra)
                    gx, gy = torchlet.autograd.grad(loss, (xv, yv), torchlet.tensor(g))
                    results.append((loss.detach().numpy(), gx.numpy(), gy.numpy()))
                (loss_c, *grads_c), (loss_t, *grads_t) = results
                if reduction == "none":  # (a sum's order follows the layout)
                    np.testing.assert_array_equal(loss_c, loss_t)
                for a, b in zip(grads_c, grads_t):
                    np.testing.assert_array_equal(a, b)


@needs_torch
def test_bce_with_logits_mixed_dtypes_round_as_torch():
    # the loss works in place in 1 - target (a 0-dim float64 weight does not widen a
    # float16 loss); the input's gradient works in place when no graph is recorded
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 4)) * 3).astype(np.float16)
    y = rng.random((3, 4)).astype(np.float16)
    w = np.float64(0.7)
    a = F.binary_cross_entropy_with_logits(torchlet.tensor(x), torchlet.tensor(y),
                                           weight=torchlet.tensor(w), reduction="none")
    b = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor(y), weight=torch.tensor(w), reduction="none")
    assert str(a.dtype) == str(b.dtype) == "torch.float16"
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = (rng.standard_normal((3, 4)) * 3).astype(np.float32)
    while not _kernels_agree(x):  # (an input where torch's SIMD log_sigmoid is exact)
        x = (rng.standard_normal((3, 4)) * 3).astype(np.float32)
    y = rng.random((3, 4))  # float64 target: the loss is float64
    for cg in (False, True):
        pw = (np.arange(4) / 3 + 0.5).astype(np.float32)
        got = _bce_grads(torchlet, x, y, pos_weight=pw, create_graph=cg)
        want = _bce_grads(torch, x, y, pos_weight=pw, create_graph=cg)
        for p, q in zip(got, want):
            assert str(p.dtype) == str(q.dtype)
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


@needs_torch
def test_bce_with_logits_sampled_differential():
    """Seeded random configs (dtypes mixed or not, weight/pos_weight shapes, reductions,
    create_graph with a second derivative): values, dtypes and graphs as torch's."""
    rng = np.random.default_rng(27)
    dtypes = [np.float16, np.float32, np.float64]
    compared = 0
    for trial in range(120):
        mixed = trial % 2
        pick = (lambda: dtypes[rng.integers(0, 3)]) if mixed else None
        dx = dtypes[rng.integers(1, 3)] if not mixed else pick()
        dy, dw, dp = (dx, dx, dx) if not mixed else (pick(), pick(), pick())
        reduction = ["mean", "sum", "none"][rng.integers(0, 3)]
        has_w, has_pw, cg = rng.random() < 0.5, rng.random() < 0.5, bool(rng.random() < 0.5)
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        shapes = [(), shape[1:], (shape[0], 1), shape]
        x = (rng.standard_normal(shape) * 3).astype(dx)
        y = rng.random(shape).astype(dy)
        w = (rng.random(shapes[rng.integers(0, 4)]) * 3).astype(dw) if has_w else None
        pw = (rng.random(shapes[rng.integers(0, 4)]) * 3).astype(dp) if has_pw else None
        g = rng.standard_normal(shape if reduction == "none" else ()).astype(dy)
        if not _kernels_agree(x):
            continue
        out = []
        for lib in (torch, torchlet):
            values = _bce_grads(lib, x, y, w, pw, reduction, g, create_graph=cg)
            out.append(([str(v.dtype) for v in values],
                        [v.detach().numpy() for v in values],
                        [_chain(v.grad_fn) for v in values[1:3]] if cg else []))
        (td, tv, tg), (ld, lv, lg) = out
        assert td == ld, (trial, td, ld)
        for a, b in zip(tv[:3], lv[:3]):  # the loss and the first derivatives: bit-exact
            np.testing.assert_array_equal(a, b, err_msg=f"trial {trial}")
        for a, b in zip(tv[3:], lv[3:]):  # (logsigmoid's double backward: an ulp or so)
            tol = {"float16": 1e-2, "float32": 1e-5}.get(a.dtype.name, 1e-12)
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol, err_msg=f"trial {trial}")
        assert tg == lg, trial
        compared += 1
    assert compared > 40


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention: the flash kernel's gradient layouts


def _sdpa_grads(lib, q, k, v, g, **kw):
    ts = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = lib.nn.functional.scaled_dot_product_attention(*ts, **kw)
    return out, lib.autograd.grad(out, ts, lib.tensor(g))


def test_sdpa_flash_grads_are_laid_out_heads_second():
    # torch's flash backward allocates (batch, length, heads, dim) and transposes: so for
    # contiguous q (2, 4, 3, 5), k and v (2, 4, 6, 5)
    rng = np.random.default_rng(4)
    q = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
    k, v = (rng.standard_normal((2, 4, 6, 5)).astype(np.float32) for _ in range(2))
    g = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
    out, grads = _sdpa_grads(torchlet, q, k, v, g)
    assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert out.stride() == (60, 15, 5, 1)
    assert [t.stride() for t in grads] == [(60, 5, 20, 1), (120, 5, 20, 1), (120, 5, 20, 1)]
    # grouped-query attention: the summed key/value gradients too
    k1, v1 = k[:, :1].copy(), v[:, :1].copy()
    _, grads = _sdpa_grads(torchlet, q, k1, v1, g, enable_gqa=True)
    assert [t.stride() for t in grads] == [(60, 5, 20, 1), (30, 5, 5, 1), (30, 5, 5, 1)]
    if torch is not None:
        for kk, vv, kw in ((k, v, {}), (k1, v1, {"enable_gqa": True})):
            t_out, t_grads = _sdpa_grads(torch, q, kk, vv, g, **kw)
            _, l_grads = _sdpa_grads(torchlet, q, kk, vv, g, **kw)
            assert [t.stride() for t in t_grads] == [t.stride() for t in l_grads]


def test_sdpa_flash_output_keeps_the_querys_strides():
    # empty_like(query): a dense query's strides, those of its size-1 dims too
    rng = np.random.default_rng(5)
    base = rng.standard_normal((1, 3, 1, 4)).astype(np.float32)  # (L, B, H, E), L = 1
    q = torchlet.tensor(base).permute(1, 2, 0, 3)  # (B, H, L, E) = (3, 1, 1, 4)
    k = torchlet.tensor(rng.standard_normal((3, 1, 2, 4)).astype(np.float32))
    out = F.scaled_dot_product_attention(q, k, k)
    assert out.stride() == q.stride() == (4, 4, 12, 1)


def test_product_into_heads_second_layout_is_bit_identical():
    # writing the products into the transposed layout changes no bits (BLAS rows)
    rng = np.random.default_rng(6)
    for _ in range(200):
        b, h, m, kdim, n = (int(rng.integers(1, 6)) for _ in range(5))
        if rng.random() < 0.3:
            kdim = int(rng.integers(1, 40))
        dtype = [np.float32, np.float64][int(rng.integers(0, 2))]
        a = rng.standard_normal((b, h, m, kdim)).astype(dtype)
        c = rng.standard_normal((b, h, kdim, n)).astype(dtype)
        if rng.random() < 0.5:
            c = np.ascontiguousarray(c.swapaxes(-2, -1)).swapaxes(-2, -1)
        got = _product(a, c, True)
        assert got.strides == np.empty((b, m, h, n), dtype).transpose(0, 2, 1, 3).strides
        np.testing.assert_array_equal(got, np.matmul(a, c))


@needs_torch
def test_sdpa_sampled_layouts_differential():
    """Seeded random 4-D layouts (contiguous, MHA's (L, B, H, E), heads first, transposed
    storage), masks, is_causal, scales: output and gradient strides as torch's, values
    close."""
    rng = np.random.default_rng(270)
    for trial in range(40):
        B, H, L, S, E = (int(rng.integers(1, 5)) for _ in range(5))
        dtype = np.float32 if rng.random() < 0.7 else np.float64
        layouts = {}
        arrays = {}
        for name, shape in (("q", (B, H, L, E)), ("k", (B, H, S, E)), ("v", (B, H, S, E))):
            mode = int(rng.integers(0, 4))
            perm = [(0, 1, 2, 3), (2, 0, 1, 3), (1, 0, 2, 3), (0, 2, 1, 3)][mode]
            stored = rng.standard_normal([shape[d] for d in perm]).astype(dtype)
            arrays[name], layouts[name] = stored, np.argsort(perm)
        mask_kind = int(rng.integers(0, 3))
        causal = bool(mask_kind == 0 and rng.random() < 0.4)
        mask = (None if mask_kind == 0 else rng.random((L, S)) < 0.7 if mask_kind == 1
                else rng.standard_normal((L, S)).astype(dtype))
        if mask_kind == 1:
            mask[:, 0] = True
        scale = None if rng.random() < 0.7 else 0.5
        g = rng.standard_normal((B, H, L, E)).astype(dtype)
        res = []
        for lib in (torch, torchlet):
            leaves = {n: lib.tensor(a, requires_grad=True) for n, a in arrays.items()}
            views = {n: leaves[n].permute(*[int(d) for d in layouts[n]]) for n in leaves}
            out = lib.nn.functional.scaled_dot_product_attention(
                views["q"], views["k"], views["v"],
                attn_mask=None if mask is None else lib.tensor(mask), is_causal=causal,
                scale=scale)
            grads = lib.autograd.grad(out, [views[n] for n in "qkv"], lib.tensor(g))
            res.append((out.stride(), [t.stride() for t in grads],
                        [t.detach().numpy() for t in (out, *grads)]))
        (ts, tgs, tv), (ls, lgs, lv) = res
        assert ts == ls, trial
        assert tgs == lgs, trial
        tol = 1e-4 if dtype == np.float32 else 1e-10
        for a, b in zip(tv, lv):
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------
# embedding: double backward as torch's embedding_dense_double_backward


def test_embedding_double_backward_graph_and_values():
    w = torchlet.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
    idx = torchlet.tensor([[1, 2, 2], [1, 1, 4]])
    leaf = "torch::autograd::AccumulateGrad"
    for pad, scale in ((None, False), (None, True), (4, True), (2, False)):
        out = F.embedding(idx, w, padding_idx=pad, scale_grad_by_freq=scale)
        g = torchlet.ones(2, 3, 2, dtype=torchlet.float64, requires_grad=True)
        (gw,) = torchlet.autograd.grad(out, w, g, create_graph=True)
        # the weight gradient's node links grad_output directly (no view node)
        assert _chain(gw.grad_fn) == f"EmbeddingDenseBackwardBackward0({leaf})"
        (gg,) = torchlet.autograd.grad((gw * torchlet.arange(12.0).reshape(6, 2)).sum(), g)
        # torch leaves the frequency scaling out of the double backward
        rows = np.arange(12.0).reshape(6, 2)[[[1, 2, 2], [1, 1, 4]]]
        if pad is not None:
            rows[np.array([[1, 2, 2], [1, 1, 4]]) == pad] = 0
        np.testing.assert_array_equal(gg.numpy(), rows)
        if torch is not None:
            tw = torch.tensor(np.arange(12.0).reshape(6, 2), requires_grad=True)
            tout = torch.nn.functional.embedding(torch.tensor([[1, 2, 2], [1, 1, 4]]), tw,
                                                 padding_idx=pad, scale_grad_by_freq=scale)
            tg = torch.ones(2, 3, 2, dtype=torch.float64, requires_grad=True)
            (tgw,) = torch.autograd.grad(tout, tw, tg, create_graph=True)
            (tgg,) = torch.autograd.grad((tgw * torch.arange(12.0).reshape(6, 2)).sum(), tg)
            np.testing.assert_array_equal(gg.numpy(), tgg.numpy())
            np.testing.assert_array_equal(gw.detach().numpy(), tgw.detach().numpy())
            assert _chain(tgw.grad_fn) == _chain(gw.grad_fn)


@needs_torch
def test_embedding_double_backward_sampled_differential():
    rng = np.random.default_rng(2700)
    for trial in range(40):
        V, D = int(rng.integers(2, 8)), int(rng.integers(1, 5))
        idx = rng.integers(0, V, size=tuple(rng.integers(1, 5, size=rng.integers(1, 3))))
        pad = None if rng.random() < 0.5 else int(rng.integers(0, V))
        scale = bool(rng.random() < 0.6)
        dtype = [np.float32, np.float64][trial % 2]
        W = rng.standard_normal((V, D)).astype(dtype)
        G = rng.standard_normal(idx.shape + (D,)).astype(dtype)
        res = []
        for lib in (torch, torchlet):
            w, g = lib.tensor(W, requires_grad=True), lib.tensor(G, requires_grad=True)
            out = lib.nn.functional.embedding(lib.tensor(idx), w, padding_idx=pad,
                                              scale_grad_by_freq=scale)
            (gw,) = lib.autograd.grad(out, w, g, create_graph=True)
            (gg,) = lib.autograd.grad((gw * gw).sum(), g)
            res.append((gw.detach().numpy(), gg.numpy(), _chain(gw.grad_fn)))
        for a, b in zip(*res):
            if isinstance(a, str):
                assert a == b, trial
            else:
                np.testing.assert_array_equal(a, b, err_msg=f"trial {trial}")

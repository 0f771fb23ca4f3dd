"""The LSTM layer as one node (nn/modules/rnn.py _LSTMLayer, MkldnnRnnLayerBackward0)
and the attention forward's row reductions (nn/_functional/attention.py).

The fused layer must compute exactly what the per-step composition (_run_padded with
_lstm_step: one linear and one fused cell node per step) computes: outputs and every
gradient bit for bit, over a derandomized list of module options. The reference is the
same module with the fused layer switched off (``rnn._lstm_layer`` made to decline).
Live comparisons with torch: values within float32 rounding, torch's graph."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.nn import functional as F
from torchlet.nn.modules import rnn


def _bits(a):
    return None if a is None else (a.dtype.str, a.shape, a.tobytes())


def _lstm_run(cfg, seed):
    """Forward and backward of one configuration: the outputs and gradients as arrays."""
    (inp, hid, layers, bidir, batch_first, bias, proj, steps, batch, h0_mode, unbatched,
     loss, frozen, twice) = cfg
    rng = np.random.default_rng(seed)
    torchlet.manual_seed(seed)
    m = nn.LSTM(inp, hid, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                bias=bias, proj_size=proj)
    for i, p in enumerate(m.parameters()):
        if i in frozen:
            p.requires_grad_(False)
    dirs = 2 if bidir else 1
    shape = (steps, inp) if unbatched else (
        (batch, steps, inp) if batch_first else (steps, batch, inp))
    x = torchlet.tensor(rng.standard_normal(shape).astype(np.float32),
                        requires_grad=seed % 2 == 1)
    leaves = [x]
    hx = None
    if h0_mode:
        lead = (layers * dirs,) if unbatched else (layers * dirs, batch)
        h0 = torchlet.tensor(rng.standard_normal(lead + (proj or hid,)).astype(np.float32),
                             requires_grad=h0_mode == 2)
        c0 = torchlet.tensor(rng.standard_normal(lead + (hid,)).astype(np.float32),
                             requires_grad=h0_mode == 2)
        hx = (h0, c0)
        leaves += [h0, c0]
    found = []
    for _ in range(2 if twice else 1):  # twice: the gradients accumulate
        out, (hn, cn) = m(x, hx)
        w = torchlet.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32))
        terms = {"o": (out * w).sum(), "h": (hn * hn).sum(), "c": (cn * 3).sum(),
                 "s": out.sum()}
        total = None
        for key in loss:
            total = terms[key] if total is None else total + terms[key]
        found += [out.detach().numpy().copy(), hn.detach().numpy().copy(),
                  cn.detach().numpy().copy()]
        if total.requires_grad:
            total.backward()
    found += [None if p.grad is None else p.grad.numpy().copy()
              for p in list(m.parameters()) + leaves]
    return [_bits(a) for a in found], out.grad_fn.name()


def _configs(count, seed):
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(count):
        configs.append((
            int(rng.integers(1, 6)), int(rng.integers(3, 9)), int(rng.integers(1, 3)),
            bool(rng.random() < 0.5), bool(rng.random() < 0.5), bool(rng.random() < 0.85),
            0 if rng.random() < 0.85 else 2, int(rng.integers(1, 6)), int(rng.integers(1, 5)),
            int(rng.integers(0, 3)), bool(rng.random() < 0.2),
            ["o", "oh", "ohc", "c", "h", "s", "sc"][int(rng.integers(0, 7))],
            set(rng.choice(8, size=2, replace=False).tolist()) if rng.random() < 0.3 else set(),
            bool(rng.random() < 0.2)))
    return configs


def _decline(*args):
    return None


@pytest.mark.parametrize("cfg_seed", range(4))
def test_fused_layer_bit_equal_to_steps(cfg_seed, monkeypatch):
    """~120 random module configurations: outputs and all gradients bit for bit."""
    fused_count = 0
    for i, cfg in enumerate(_configs(30, 100 + cfg_seed)):
        seed = 1000 * cfg_seed + i
        with monkeypatch.context() as patch:
            patch.setattr(rnn, "_lstm_layer", _decline)
            expected, _ = _lstm_run(cfg, seed)
        got, name = _lstm_run(cfg, seed)
        assert got == expected, cfg
        fused_count += name == "MkldnnRnnLayerBackward0"
    assert fused_count > 0  # (the fused node did run)


@pytest.mark.parametrize("reverse,time_dim", [(False, 0), (True, 0), (False, 1), (True, 1)])
def test_layer_node_against_composition(reverse, time_dim):
    """_lstm_layer against _run_padded over F.linear's projection, every input needing a
    gradient; a second, unequal gradient of h_n and c_n."""
    rng = np.random.default_rng(7 + 2 * reverse + time_dim)
    steps, batch, inp, hid = 6, 3, 5, 4

    def tensors():
        r = np.random.default_rng(rng.integers(1 << 30))
        shape = (steps, batch, inp) if time_dim == 0 else (batch, steps, inp)
        arrays = [r.standard_normal(shape), r.standard_normal((4 * hid, inp)) * 0.5,
                  r.standard_normal((4 * hid, hid)) * 0.5, r.standard_normal(4 * hid),
                  r.standard_normal(4 * hid), r.standard_normal((batch, hid)),
                  r.standard_normal((batch, hid))]
        return [torchlet.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]

    ins = tensors()
    grads = [torchlet.tensor(rng.standard_normal(s).astype(np.float32))
             for s in ((steps, batch, hid), (batch, hid), (batch, hid))]
    x, w_ih, w_hh, b_ih, b_hh, h0, c0 = ins
    out, (h, c) = rnn._lstm_layer(x, w_ih, w_hh, b_ih, b_hh, (h0, c0), reverse, time_dim)
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0"
    fused = torchlet.autograd.grad([out, h, c], ins, grads)
    ref_out, (ref_h, ref_c) = rnn._run_padded(
        rnn._lstm_step, F.linear(x, w_ih, b_ih), (h0, c0), (w_hh, b_hh, None), reverse,
        time_dim)
    reference = torchlet.autograd.grad([ref_out, ref_h, ref_c], ins, grads)
    for a, b in zip([out, h, c, *fused], [ref_out, ref_h, ref_c, *reference], strict=True):
        assert _bits(a.detach().numpy()) == _bits(b.detach().numpy())
    # the first step's output is h0's successor: a hand-derived check of the forward
    xs = x.detach().numpy()
    first = xs[steps - 1 if reverse else 0] if time_dim == 0 else xs[:, steps - 1 if reverse
                                                                       else 0]
    gates = (first.astype(np.float64) @ w_ih.detach().numpy().T.astype(np.float64)
             + b_ih.detach().numpy() + h0.detach().numpy() @ w_hh.detach().numpy().T
             + b_hh.detach().numpy())
    i, f, g, o = np.split(gates, 4, axis=1)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    c1 = sig(f) * c0.detach().numpy() + sig(i) * np.tanh(g)
    h1 = sig(o) * np.tanh(c1)
    np.testing.assert_allclose(out.detach().numpy()[steps - 1 if reverse else 0], h1,
                               rtol=1e-5, atol=1e-5)


def test_only_some_gradients_and_no_grad():
    """Frozen weights, no gradient wanted for h_n's path, and the same output without
    grad mode (the node's forward without recording)."""
    torchlet.manual_seed(3)
    m = nn.LSTM(4, 6, num_layers=2)
    x = torchlet.randn(5, 2, 4)
    out, _ = m(x)
    with torchlet.no_grad():
        out_ng, (hn_ng, _) = m(x)
    assert out_ng.grad_fn is None and hn_ng.grad_fn is None
    assert _bits(out.detach().numpy()) == _bits(out_ng.numpy())


def test_saved_values_freed_and_version_checked():
    torchlet.manual_seed(0)
    m = nn.LSTM(3, 4)
    x = torchlet.randn(5, 2, 3)
    out, _ = m(x)
    out.sum().backward(retain_graph=True)
    first = m.weight_hh_l0.grad.clone()
    out.sum().backward()
    np.testing.assert_array_equal(m.weight_hh_l0.grad.numpy(), 2 * first.numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()
    h0, c0 = torchlet.randn(1, 2, 4), torchlet.randn(1, 2, 4)
    out, _ = m(x, (h0, c0))
    h0.add_(1)  # torch's mkldnn layer saves hx: an in-place change is an error
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def _pair(seed, **kwargs):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    torchlet.manual_seed(seed)
    ours = nn.LSTM(5, 7, **kwargs)
    theirs = torch.nn.LSTM(5, 7, **kwargs)
    with torch.no_grad():
        for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
            p.copy_(torch.tensor(q.detach().numpy()))
    return torch, ours, theirs


@pytest.mark.parametrize("kwargs", [{}, {"batch_first": True}, {"bidirectional": True},
                                    {"num_layers": 2}, {"num_layers": 2, "bidirectional": True,
                                                        "batch_first": True}])
def test_against_torch(kwargs):
    torch, ours, theirs = _pair(1, **kwargs)
    rng = np.random.default_rng(2)
    shape = (3, 6, 5) if kwargs.get("batch_first") else (6, 3, 5)
    x = rng.standard_normal(shape).astype(np.float32)
    dirs = 2 if kwargs.get("bidirectional") else 1
    layers = kwargs.get("num_layers", 1)
    h0 = rng.standard_normal((layers * dirs, 3, 7)).astype(np.float32)
    c0 = rng.standard_normal((layers * dirs, 3, 7)).astype(np.float32)
    results = []
    for lib, m in ((torchlet, ours), (torch, theirs)):
        xt = lib.tensor(x, requires_grad=True)
        ht, ct = lib.tensor(h0, requires_grad=True), lib.tensor(c0, requires_grad=True)
        out, (hn, cn) = m(xt, (ht, ct))
        w = lib.tensor(np.linspace(-1, 1, out.numel(), dtype=np.float32).reshape(out.shape))
        ((out * w).sum() + (hn * cn).sum()).backward()
        names = (out.grad_fn.name(), hn.grad_fn.name(),
                 [None if f[0] is None else f[0].name() for f in out.grad_fn.next_functions])
        results.append(([out, hn, cn], [xt.grad, ht.grad, ct.grad] + [p.grad for p in
                                                                      m.parameters()], names))
    (vals, grads, names), (tvals, tgrads, tnames) = results
    assert names == tnames
    for a, b in zip(vals + grads, tvals + tgrads, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=2e-5,
                                   atol=2e-5)


def test_double_backward_against_torch():
    """Under create_graph the node differentiates the per-step composition."""
    torch, ours, theirs = _pair(4)
    x = np.random.default_rng(5).standard_normal((4, 2, 5)).astype(np.float32)
    found = []
    for lib, m in ((torchlet, ours), (torch, theirs)):
        out, _ = m(lib.tensor(x))
        params = list(m.parameters())
        grads = lib.autograd.grad((out * out).sum(), params, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), params)
        found.append([g.detach().numpy() for g in grads] + [g.numpy() for g in second])
    for a, b in zip(*found, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------------------------------
# attention: the flash node's row maxima


def test_row_max_same_bits_as_numpy():
    from torchlet.nn._functional.attention import _row_max

    rng = np.random.default_rng(11)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], np.float32)
    for trial in range(60):
        shape = (int(rng.integers(1, 40)), int(rng.integers(1, 5)), int(rng.integers(1, 70)))
        x = rng.standard_normal(shape).astype([np.float32, np.float64, np.float16][trial % 3])
        if trial % 4 == 0:  # ties of 0.0 and -0.0, NaNs, rows of -inf
            hit = rng.random(shape) < 0.4
            x[hit] = rng.choice(specials, size=hit.sum())
        if trial % 5 == 0:
            x[0] = -np.inf
        for initial in (-np.inf, 0):
            expected = np.max(x, -1, initial=initial)
            assert _bits(_row_max(x, initial)) == _bits(expected)
    # a hand-made case: the max of each row, a -inf row, and a row whose max is 0.0
    x = np.array([[1.0, 3.0, 2.0], [-np.inf, -np.inf, -np.inf], [-0.0, 0.0, -1.0]] * 400,
                 np.float32)
    top = _row_max(x, -np.inf)
    assert top[0] == 3 and top[1] == -np.inf and top[2] == 0


def test_flash_output_laid_out_as_query():
    """The output follows the query's memory layout (torch's empty_like), with the same
    bits as for a contiguous query; MHA's permute back is then a view, as in torch."""
    rng = np.random.default_rng(12)
    base = rng.standard_normal((32, 6, 4, 8)).astype(np.float32)  # (L, N, heads, E)
    strided = torchlet.tensor(base).permute(1, 2, 0, 3)  # (N, heads, L, E), not contiguous
    dense = torchlet.tensor(np.ascontiguousarray(base.transpose(1, 2, 0, 3)))
    a = F.scaled_dot_product_attention(strided, strided, strided)
    b = F.scaled_dot_product_attention(dense, dense, dense)
    assert a.stride() == strided.stride() and b.stride() == dense.stride()
    assert _bits(a.numpy()) == _bits(np.ascontiguousarray(b.numpy()))
    q = dense.numpy().astype(np.float64)  # hand-derived: softmax(q q^T / sqrt(8)) q
    s = q @ q.swapaxes(-1, -2) / np.sqrt(8)
    p = np.exp(s - s.max(-1, keepdims=True))
    np.testing.assert_allclose(b.numpy(), (p / p.sum(-1, keepdims=True)) @ q, rtol=1e-5,
                               atol=1e-5)
    torchlet.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0)
    out = layer(torchlet.randn(10, 3, 32))
    chain, fn = [], out.grad_fn
    while fn is not None and len(chain) < 16:
        chain.append(fn.name())
        fn = [f for f, _ in fn.next_functions
              if f is not None and f.name() != "torch::autograd::AccumulateGrad"][-1]
    assert chain[-3:] == ["ViewBackward0", "PermuteBackward0",
                          "ScaledDotProductFlashAttentionForCpuBackward0"]


def test_flash_float16_any_shape():
    """float16 flash attention: the softmax along the last dim (it failed with a
    broadcasting error for some shapes, passing dim=-1 to the half-precision kernel)."""
    rng = np.random.default_rng(13)
    q = torchlet.tensor(rng.standard_normal((3, 1, 33, 4)).astype(np.float16),
                        requires_grad=True)
    out = F.scaled_dot_product_attention(q, q, q)
    out.sum().backward()
    assert out.dtype == torchlet.float16 and q.grad.dtype == torchlet.float16
    ref = F.scaled_dot_product_attention(*(q.detach().float(),) * 3)
    np.testing.assert_allclose(out.detach().float().numpy(), ref.numpy(), atol=2e-3)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(q.detach().numpy()),) * 3)
    np.testing.assert_allclose(out.detach().float().numpy(), theirs.float().numpy(),
                               atol=4e-3)

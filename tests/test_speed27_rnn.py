"""The GRU layer as one node per layer and direction (nn/modules/rnn.py _GRULayer).

The node must compute exactly what the per-step composition (_run_padded with _gru_step:
one linear and one fused cell node per step) computes: outputs and every gradient bit for
bit, over a derandomized list of module options (float32 and float64, stacked,
bidirectional, batch_first, without biases, initial states, dropout, frozen weights,
losses that reach only some steps, accumulated gradients). The reference is the same
module with the node switched off (``rnn._gru_layer`` made to decline). Live comparisons
with torch: values within rounding, torch's graph at the top."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.nn.modules import rnn


def _bits(a):
    return None if a is None else (a.dtype.str, a.shape, a.tobytes())


def _configs(count, seed):
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(count):
        layers = int(rng.integers(1, 3))
        configs.append((
            int(rng.integers(1, 6)), int(rng.integers(2, 9)), layers,
            bool(rng.random() < 0.5), bool(rng.random() < 0.5), bool(rng.random() < 0.8),
            int(rng.integers(1, 7)), int(rng.integers(1, 5)), int(rng.integers(0, 3)),
            bool(rng.random() < 0.2), ["o", "oh", "h", "s", "f", "fh"][int(rng.integers(0, 6))],
            set(rng.choice(8, size=2, replace=False).tolist()) if rng.random() < 0.3 else set(),
            bool(rng.random() < 0.2), ["float32", "float64"][int(rng.integers(0, 2))],
            0.5 if layers > 1 and rng.random() < 0.3 else 0.0))
    return configs


def _gru_run(cfg, seed):
    """Forward and backward of one configuration: outputs and gradients as bytes."""
    (inp, hid, layers, bidir, batch_first, bias, steps, batch, h0_mode, unbatched, loss,
     frozen, twice, dtype, dropout) = cfg
    rng = np.random.default_rng(seed)
    torchlet.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = nn.GRU(inp, hid, num_layers=layers, bidirectional=bidir, batch_first=batch_first,
                   bias=bias, dropout=dropout)
    m = m.double() if dtype == "float64" else m
    for i, p in enumerate(m.parameters()):
        if i in frozen:
            p.requires_grad_(False)
    dirs = 2 if bidir else 1
    shape = (steps, inp) if unbatched else (
        (batch, steps, inp) if batch_first else (steps, batch, inp))
    x = torchlet.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=seed % 2 == 1)
    leaves, hx = [x], None
    if h0_mode:
        lead = (layers * dirs,) if unbatched else (layers * dirs, batch)
        hx = torchlet.tensor(rng.standard_normal(lead + (hid,)).astype(dtype),
                             requires_grad=h0_mode == 2)
        leaves.append(hx)
    found = []
    for _ in range(2 if twice else 1):  # twice: the gradients accumulate
        torchlet.manual_seed(seed + 7)  # (the same dropout masks both runs)
        out, hn = m(x, hx)
        w = torchlet.tensor(rng.standard_normal(tuple(out.shape)).astype(dtype))
        first = out.select(1 if batch_first and not unbatched else 0, 0)
        terms = {"o": (out * w).sum(), "h": (hn * hn).sum(), "s": out.sum(),
                 "f": (first * 2).sum()}  # f: only the first step's output
        total = None
        for key in loss:
            total = terms[key] if total is None else total + terms[key]
        found += [out.detach().numpy().copy(), hn.detach().numpy().copy()]
        if total.requires_grad:
            total.backward()
    found += [None if p.grad is None else p.grad.numpy().copy()
              for p in list(m.parameters()) + leaves]
    return [_bits(a) for a in found]


def _decline(*args):
    return None


@pytest.mark.parametrize("cfg_seed", range(3))
def test_gru_layer_bit_equal_to_steps(cfg_seed, monkeypatch):
    """~90 random module configurations: outputs and all gradients bit for bit."""
    calls = []
    original = rnn._gru_layer

    def counting(*args):
        result = original(*args)
        calls.append(result is not None)
        return result

    for i, cfg in enumerate(_configs(30, 200 + cfg_seed)):
        seed = 1000 * cfg_seed + i
        with monkeypatch.context() as patch:
            patch.setattr(rnn, "_gru_layer", _decline)
            expected = _gru_run(cfg, seed)
        with monkeypatch.context() as patch:
            patch.setattr(rnn, "_gru_layer", counting)
            got = _gru_run(cfg, seed)
        assert got == expected, cfg
    assert sum(calls) > 30  # (the node did run)


@pytest.mark.parametrize("reverse,time_dim,bias", [(False, 0, True), (True, 0, True),
                                                   (False, 1, False), (True, 1, True)])
def test_layer_node_against_composition(reverse, time_dim, bias):
    """_gru_layer against _run_padded, every input needing a gradient, a gradient for
    some steps' outputs only and one for h_n; a hand-derived check of the first step."""
    rng = np.random.default_rng(17 + 2 * reverse + time_dim)
    steps, batch, hid = 6, 3, 4
    shape = (steps, batch, 3 * hid) if time_dim == 0 else (batch, steps, 3 * hid)
    arrays = [rng.standard_normal(shape), rng.standard_normal((3 * hid, hid)) * 0.5,
              rng.standard_normal(3 * hid), rng.standard_normal((batch, hid))]
    ins = [torchlet.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    if not bias:
        ins[2] = None
    xw, w_hh, b_hh, h0 = ins
    wanted = [t for t in ins if t is not None]
    grad_out = rng.standard_normal((steps, batch, hid)).astype(np.float32)
    grad_out[1:3] = 0  # (as if those steps' outputs were not used)
    grads = [torchlet.tensor(grad_out), torchlet.tensor(rng.standard_normal(
        (batch, hid)).astype(np.float32))]
    out, (h,) = rnn._gru_layer(xw, w_hh, b_hh, h0, reverse, time_dim)
    assert out.grad_fn.name() == "StackBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "ThnnFusedGruCellBackward0"
    fused = torchlet.autograd.grad([out, h], wanted, grads)
    ref_out, (ref_h,) = rnn._run_padded(rnn._gru_step, xw, (h0,), (w_hh, b_hh, None),
                                        reverse, time_dim)
    reference = torchlet.autograd.grad([ref_out, ref_h], wanted, grads)
    for a, b in zip([out, h, *fused], [ref_out, ref_h, *reference], strict=True):
        assert _bits(a.detach().numpy()) == _bits(b.detach().numpy())
    # hand-derived: the first step from h0 (r, z, n gates)
    first = steps - 1 if reverse else 0
    x0 = arrays[0][first] if time_dim == 0 else arrays[0][:, first]
    hh = arrays[3] @ arrays[1].T + (arrays[2] if bias else 0)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    r = sig(x0[:, :hid] + hh[:, :hid])
    z = sig(x0[:, hid:2 * hid] + hh[:, hid:2 * hid])
    n = np.tanh(x0[:, 2 * hid:] + r * hh[:, 2 * hid:])
    np.testing.assert_allclose(out.detach().numpy()[first], (1 - z) * n + z * arrays[3],
                               rtol=1e-5, atol=1e-5)


def test_no_grad_saved_values_and_versions():
    torchlet.manual_seed(3)
    m = nn.GRU(4, 6, num_layers=2)
    x = torchlet.randn(5, 2, 4)
    out, hn = m(x)
    with torchlet.no_grad():
        out_ng, hn_ng = m(x)
    assert out_ng.grad_fn is None and hn_ng.grad_fn is None
    assert _bits(out.detach().numpy()) == _bits(out_ng.numpy())
    assert _bits(hn.detach().numpy()) == _bits(hn_ng.numpy())
    out.sum().backward(retain_graph=True)
    first = m.weight_hh_l0.grad.clone()
    out.sum().backward()
    np.testing.assert_array_equal(m.weight_hh_l0.grad.numpy(), 2 * first.numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()
    h0 = torchlet.randn(2, 2, 6)
    out, _ = m(x, h0)
    h0.add_(1)  # the first step's cell saved h0, as torch's per-step graph does
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def _pair(seed, dtype="float32", **kwargs):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    torchlet.manual_seed(seed)
    ours = nn.GRU(5, 7, **kwargs)
    theirs = torch.nn.GRU(5, 7, **kwargs)
    if dtype == "float64":
        ours, theirs = ours.double(), theirs.double()
    with torch.no_grad():
        for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
            p.copy_(torch.tensor(q.detach().numpy()))
    return torch, ours, theirs


_TORCH_CASES = [({}, "float32"), ({"batch_first": True}, "float64"),
                ({"bidirectional": True}, "float32"), ({"num_layers": 2}, "float64"),
                ({"num_layers": 2, "bidirectional": True, "batch_first": True}, "float32"),
                ({"bias": False}, "float32")]


@pytest.mark.parametrize("kwargs,dtype", _TORCH_CASES)
def test_against_torch(kwargs, dtype):
    torch, ours, theirs = _pair(1, dtype, **kwargs)
    rng = np.random.default_rng(2)
    shape = (3, 6, 5) if kwargs.get("batch_first") else (6, 3, 5)
    x = rng.standard_normal(shape).astype(dtype)
    states = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    h0 = rng.standard_normal((states, 3, 7)).astype(dtype)
    results = []
    for lib, m in ((torchlet, ours), (torch, theirs)):
        xt, ht = lib.tensor(x, requires_grad=True), lib.tensor(h0, requires_grad=True)
        out, hn = m(xt, ht)
        w = lib.tensor(np.linspace(-1, 1, out.numel(), dtype=dtype).reshape(out.shape))
        ((out * w).sum() + (hn * hn).sum()).backward()
        names = (out.grad_fn.name(), hn.grad_fn.name(), out.dtype == lib.float64)
        results.append(([out, hn, xt.grad, ht.grad] + [p.grad for p in m.parameters()],
                        names))
    (vals, names), (tvals, tnames) = results
    assert names == tnames
    tol = 2e-5 if dtype == "float32" else 1e-11
    for a, b in zip(vals, tvals, strict=True):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def test_double_backward_against_torch_and_steps(monkeypatch):
    """Under create_graph the node differentiates the per-step composition: the
    composition's values, torch's values."""
    torch, ours, theirs = _pair(4, num_layers=2)
    x = np.random.default_rng(5).standard_normal((4, 2, 5)).astype(np.float32)

    def second_order(lib, m):
        out, hn = m(lib.tensor(x))
        params = list(m.parameters())
        grads = lib.autograd.grad((out * out).sum() + hn.sum(), params, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), params)
        return [g.detach().numpy() for g in grads] + [g.numpy() for g in second]

    ours_found = second_order(torchlet, ours)
    with monkeypatch.context() as patch:
        patch.setattr(rnn, "_gru_layer", _decline)
        steps_found = second_order(torchlet, ours)
    count = len(ours_found) // 2  # the first order: bit for bit; the second: the
    # composition's graph is recorded whole, not per step, so sums may round differently
    assert [_bits(a) for a in ours_found[:count]] == [_bits(a) for a in steps_found[:count]]
    for a, b in zip(ours_found[count:], steps_found[count:], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(ours_found, second_order(torch, theirs), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_functional_gru_takes_the_node():
    """torch.gru (rnn_functions) runs the same layers: the node, same bits as nn.GRU."""
    torchlet.manual_seed(6)
    m = nn.GRU(3, 4, bidirectional=True)
    x = torchlet.randn(5, 2, 3)
    h0 = torchlet.zeros(2, 2, 4)
    out, hn = torchlet.gru(x, h0, list(m.parameters()), True, 1, 0.0, True, True, False)
    ref_out, ref_hn = m(x, h0)
    assert _bits(out.detach().numpy()) == _bits(ref_out.detach().numpy())
    assert _bits(hn.detach().numpy()) == _bits(ref_hn.detach().numpy())
    assert out.grad_fn.next_functions[0][0].next_functions[0][0].name() == \
        "ThnnFusedGruCellBackward0"
    (g_ours,) = torchlet.autograd.grad(out.sum(), [m.weight_hh_l0_reverse])
    (g_ref,) = torchlet.autograd.grad(ref_out.sum(), [m.weight_hh_l0_reverse])
    assert _bits(g_ours.numpy()) == _bits(g_ref.numpy())

"""Session 28's speed work on the LSTM layer node and the attention kernel, checked for
unchanged numbers, and scaled_dot_product_attention's argument checks.

* _LSTMLayer (nn/modules/rnn.py) now works gate by gate in buffers made once: its
  outputs and gradients must stay those of the per-step composition (_run_padded with
  _lstm_step), bit for bit, also at the sizes where BLAS's operands are swapped
  (times_transposed: batch <= 64, 4 * hidden >= 128) and past them (batch > 64). The
  reference is the same module with the fused node switched off (``rnn._lstm_layer``
  made to decline). The node saves its output, as torch's does: changing it in place
  fails at backward with torch's message.
* FlashAttentionForCpu keeps its scaled operands and scores for the gradient instead of
  computing them again (not under saved-tensor hooks): the same bits either way.
* scaled_dot_product_attention checks its arguments as torch's parser does
  (is_causal=np.bool_(True) is a TypeError there).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.nn import functional as F
from torchlet.nn.modules import rnn


def _bits(a):
    return None if a is None else (a.dtype.str, a.shape, a.tobytes())


def _decline(*args):
    return None


# ---------------------------------------------------------------------------------------
# the LSTM layer node against the per-step composition, at BLAS-sized shapes

# (input, hidden, layers, bidirectional, batch_first, steps, batch, h0: 0 none / 1 given /
#  2 needing grad, loss, frozen parameter indices)
_CONFIGS = [
    (8, 32, 1, False, False, 6, 32, 0, "o", ()),  # 4H = 128, batch 32: swapped operands
    (8, 40, 2, True, True, 5, 16, 2, "ohc", ()),
    (5, 33, 1, True, False, 4, 70, 1, "oc", ()),  # batch 70: BLAS's own layout
    (6, 48, 2, False, True, 7, 3, 2, "h", (0, 2)),  # only h_n: grad_out does not arrive
    (7, 32, 1, False, False, 5, 8, 2, "c", (1,)),  # only c_n; W_hh frozen
    (4, 64, 1, True, True, 3, 64, 0, "s", (3, 5)),
]


def _lstm_run(cfg, seed):
    (inp, hid, layers, bidir, batch_first, steps, batch, h0_mode, loss, frozen) = cfg
    rng = np.random.default_rng(seed)
    torchlet.manual_seed(seed)
    m = nn.LSTM(inp, hid, num_layers=layers, bidirectional=bidir, batch_first=batch_first)
    for i, p in enumerate(m.parameters()):
        if i in frozen:
            p.requires_grad_(False)
    shape = (batch, steps, inp) if batch_first else (steps, batch, inp)
    x = torchlet.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    leaves = [x]
    hx = None
    if h0_mode:
        lead = (layers * (2 if bidir else 1), batch)
        h0 = torchlet.tensor(rng.standard_normal(lead + (hid,)).astype(np.float32),
                             requires_grad=h0_mode == 2)
        c0 = torchlet.tensor(rng.standard_normal(lead + (hid,)).astype(np.float32),
                             requires_grad=h0_mode == 2)
        hx = (h0, c0)
        leaves += [h0, c0]
    out, (hn, cn) = m(x, hx)
    w = torchlet.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32))
    terms = {"o": (out * w).sum(), "h": (hn * hn).sum(), "c": (cn * 3).sum(), "s": out.sum()}
    total = None
    for key in loss:
        total = terms[key] if total is None else total + terms[key]
    total.backward(retain_graph=True)
    found = [out, hn, cn] + [p.grad for p in list(m.parameters()) + leaves]
    found = [None if t is None else t.detach().numpy().copy() for t in found]
    total.backward()  # (a second backward through the kept graph: the same sums again)
    found += [None if p.grad is None else p.grad.numpy().copy()
              for p in list(m.parameters()) + leaves]
    return [_bits(a) for a in found], _node_names(out.grad_fn)


def _node_names(node) -> set:
    """The names of the nodes of a graph (a walk over next_functions)."""
    names, todo, seen = set(), [node], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name())
        todo.extend(f for f, _ in node.next_functions)
    return names


@pytest.mark.parametrize("cfg", _CONFIGS)
def test_layer_node_bit_equal_to_steps(cfg, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(rnn, "_lstm_layer", _decline)
        expected, expected_names = _lstm_run(cfg, 5)
    got, names = _lstm_run(cfg, 5)
    assert got == expected
    # the node ran, and only there
    assert "MkldnnRnnLayerBackward0" in names
    assert "MkldnnRnnLayerBackward0" not in expected_names


@pytest.mark.parametrize("reverse,time_dim", [(False, 0), (True, 0), (False, 1), (True, 1)])
def test_layer_arrays_without_grad_mode(reverse, time_dim):
    """The forward without a backward (one step's buffers reused) gives the same bits."""
    rng = np.random.default_rng(3 + reverse + 2 * time_dim)
    steps, batch, hid = 5, 32, 40
    shape = (steps, batch, 4 * hid) if time_dim == 0 else (batch, steps, 4 * hid)
    xw = rng.standard_normal(shape).astype(np.float32)
    w_hh = (rng.standard_normal((4 * hid, hid)) * 0.3).astype(np.float32)
    b_hh = rng.standard_normal(4 * hid).astype(np.float32)
    h0, c0 = (rng.standard_normal((batch, hid)).astype(np.float32) for _ in range(2))
    recorded = rnn._lstm_layer_forward(xw, w_hh, b_hh, h0, c0, reverse, time_dim, True)
    plain = rnn._lstm_layer_forward(xw, w_hh, b_hh, h0, c0, reverse, time_dim, False)
    assert plain[3] is None and recorded[3] is not None
    for a, b in zip(recorded[:3], plain[:3], strict=True):
        assert _bits(a) == _bits(b)
    # against the fused cell, step by step (the arrays _FusedLSTMCell computes)
    h, c = h0, c0
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        hh = rnn.times_transposed(h, w_hh, b_hh)
        h, c, _, _ = rnn._lstm_cell_forward(hh, xw[t] if time_dim == 0 else xw[:, t], c)
        assert _bits(recorded[0][t]) == _bits(h)
    assert _bits(recorded[1]) == _bits(h) and _bits(recorded[2]) == _bits(c)
    # the final states are their own arrays, not views of the output or the cache
    assert not np.shares_memory(recorded[1], recorded[0])
    assert not np.shares_memory(recorded[2], recorded[3][0])


def test_output_changed_in_place_is_an_error():
    """torch's layer node saves its output: an in-place change fails at backward."""
    torchlet.manual_seed(0)
    m = nn.LSTM(3, 4)
    out, (hn, _) = m(torchlet.randn(5, 2, 3))
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0"
    hn.mul_(2)  # h_n is a stack of the layers' states: a copy, no error
    out.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[5, 2, 4\]\], which is "
                                           r"output 0 of MkldnnRnnLayer, is at version 1"):
        out.sum().backward()


def test_output_changed_in_place_against_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torch, torchlet):
        for kwargs in ({}, {"batch_first": True}, {"bidirectional": True}):
            lib.manual_seed(0)
            m = lib.nn.LSTM(3, 4, **kwargs)
            out, _ = m(lib.randn(5, 2, 3))
            out.add_(1)
            try:
                out.sum().backward()
                messages.append(None)
            except RuntimeError as error:
                messages.append(str(error).split(" Hint")[0])
    assert messages[:3] == messages[3:]
    assert messages[2] is None and messages[0] is not None  # (two directions: a cat)


def test_layer_against_torch_at_bench_size():
    """The benchmark's layer (seq 35, batch 32, 64 -> 128): values within float32
    rounding of torch's, torch's graph."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((35, 32, 64)).astype(np.float32)
    w = rng.standard_normal((35, 32, 128)).astype(np.float32)
    torchlet.manual_seed(2)
    ours = nn.LSTM(64, 128)
    theirs = torch.nn.LSTM(64, 128)
    with torch.no_grad():
        for p, q in zip(theirs.parameters(), ours.parameters(), strict=True):
            p.copy_(torch.tensor(q.detach().numpy()))
    found = []
    for lib, m in ((torchlet, ours), (torch, theirs)):
        xt = lib.tensor(x, requires_grad=True)
        out, (hn, cn) = m(xt)
        ((out * lib.tensor(w)).sum() + (cn * cn).sum()).backward()
        found.append(([t.detach().numpy() for t in (out, hn, cn, xt.grad)]
                      + [p.grad.numpy() for p in m.parameters()], out.grad_fn.name()))
    (ours_found, name), (theirs_found, torch_name) = found
    assert name == torch_name == "MkldnnRnnLayerBackward0"
    for a, b in zip(ours_found, theirs_found, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------------------
# attention: the gradient from the forward's kept operands


def _attention_grads(seed, hooks: bool, causal: bool, mask: bool):
    rng = np.random.default_rng(seed)
    shape = (3, 4, 24, 16)
    q, k, v = (torchlet.tensor(rng.standard_normal(shape).astype(np.float32),
                               requires_grad=True) for _ in range(3))
    attn_mask = (torchlet.tensor(rng.standard_normal((24, 24)).astype(np.float32))
                 if mask else None)
    g = torchlet.tensor(rng.standard_normal(shape).astype(np.float32))

    def run():
        out = F.scaled_dot_product_attention(q, k, v, attn_mask, is_causal=causal)
        assert out.grad_fn.name() == "ScaledDotProductFlashAttentionForCpuBackward0"
        return out, torchlet.autograd.grad(out, (q, k, v), g, retain_graph=True)

    if hooks:
        with torchlet.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            out, grads = run()
    else:
        out, grads = run()
    again = torchlet.autograd.grad(out, (q, k, v), g)  # (the kept scores are unchanged)
    return [_bits(t.detach().numpy()) for t in (out, *grads, *again)]


@pytest.mark.parametrize("causal,mask", [(False, False), (True, False), (False, True)])
def test_flash_gradient_same_with_kept_operands(causal, mask):
    kept = _attention_grads(1, False, causal, mask)
    computed = _attention_grads(1, True, causal, mask)  # hooks: computed again
    assert kept == computed
    assert kept[1:4] == kept[4:]


def test_encoder_layer_against_torch():
    """The benchmark's encoder layer: within float32 rounding of torch's."""
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 16, 64)).astype(np.float32)
    w = rng.standard_normal((32, 16, 64)).astype(np.float32)
    torchlet.manual_seed(0)
    ours = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0)
    theirs = torch.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0)
    theirs.load_state_dict({k: torch.tensor(v.detach().numpy())
                            for k, v in ours.state_dict().items()})
    found = []
    for lib, m in ((torchlet, ours), (torch, theirs)):
        xt = lib.tensor(x, requires_grad=True)
        out = m(xt)
        (out * lib.tensor(w)).sum().backward()
        found.append([out.detach().numpy(), xt.grad.numpy()]
                     + [p.grad.numpy() for p in m.parameters()])
    for a, b in zip(*found, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention's argument parser

_Q = np.random.default_rng(0).standard_normal((2, 2, 4, 8)).astype(np.float32)

_CALLS = [
    ((), {"is_causal": np.bool_(True)}),
    ((), {"is_causal": np.bool_(False)}),
    ((None, 0.0, np.bool_(True)), {}),
    ((None, 0.0, 1), {}),
    ((), {"is_causal": 1}),
    ((), {"enable_gqa": np.bool_(False)}),
    ((), {"dropout_p": "0"}),
    ((), {"dropout_p": None}),
    ((), {"scale": "a"}),
    ((), {"attn_mask": 1}),
    ((None, "x"), {}),
    ((None, 0.0, False, None), {}),
    ((), {"foo": 1}),
    ((), {"query": 1}),
    ((None, 0.0, False), {"is_causal": True}),
]


def _attempt(lib, args, kwargs, arrays=3):
    t = lib.tensor(_Q)
    try:
        out = lib.nn.functional.scaled_dot_product_attention(*([t] * arrays), *args,
                                                             **kwargs)
    except TypeError as error:
        return "TypeError", str(error)
    return "ok", out.detach().numpy()


@pytest.mark.parametrize("args,kwargs", _CALLS)
def test_sdpa_argument_errors_as_torch(args, kwargs):
    torch = pytest.importorskip("torch")
    expected = _attempt(torch, args, kwargs)
    got = _attempt(torchlet, args, kwargs)
    assert expected[0] == "TypeError"
    assert got == expected


def test_sdpa_is_causal_numpy_bool():
    with pytest.raises(TypeError, match=r"^scaled_dot_product_attention\(\): argument "
                                        r"'is_causal' must be bool, not numpy.bool$"):
        _attempt_raise(is_causal=np.bool_(True))
    with pytest.raises(TypeError, match=r"argument 'is_causal' \(position 6\) must be bool, "
                                        r"not int"):
        _attempt_raise(None, 0.0, 1)


def _attempt_raise(*args, **kwargs):
    t = torchlet.tensor(_Q)
    return F.scaled_dot_product_attention(t, t, t, *args, **kwargs)


@pytest.mark.parametrize("arrays", [0, 1, 2])
def test_sdpa_missing_arguments_as_torch(arrays):
    torch = pytest.importorskip("torch")
    assert _attempt(torchlet, (), {}, arrays) == _attempt(torch, (), {}, arrays)


@pytest.mark.parametrize("kwargs", [{"dropout_p": np.float64(0.0)}, {"dropout_p": 0},
                                    {"dropout_p": np.int64(0)}, {"scale": np.float32(0.5)},
                                    {"scale": 1}, {"scale": True}, {"is_causal": True},
                                    {"enable_gqa": False}])
def test_sdpa_numbers_taken_as_torch(kwargs):
    """Real numbers of any kind for dropout_p and scale, Python bools: the same results
    as the plain values give (and torch's, to rounding)."""
    torch = pytest.importorskip("torch")
    plain = {k: (float(v) if k in ("dropout_p", "scale") else v) for k, v in kwargs.items()}
    kind, got = _attempt(torchlet, (), kwargs)
    assert kind == "ok"
    assert _bits(got) == _bits(_attempt(torchlet, (), plain)[1])
    kind, expected = _attempt(torch, (), kwargs)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # a 0-d tensor that needs no grad is a number too
    t = torchlet.tensor(_Q)
    out = F.scaled_dot_product_attention(t, t, t, scale=torchlet.tensor(0.5))
    assert _bits(out.numpy()) == _bits(
        F.scaled_dot_product_attention(t, t, t, scale=0.5).numpy())

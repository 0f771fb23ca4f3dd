"""Regressions from a differential hunt over the recurrent layers, cells and packed-sequence
utilities (torch 2.13 as the oracle), and a small sampled differential test.

Each regression test states the expected behaviour by hand (so it means something without
torch) and, where torch is importable, also checks it against torch live.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet.nn.utils import rnn as rnn_utils

try:
    import torch as _torch
except ImportError:  # pragma: no cover - torch is optional
    _torch = None

needs_torch = pytest.mark.skipif(_torch is None, reason="torch not installed")
LIBS = [torchlet] + ([_torch] if _torch is not None else [])


def _outcome(fn):
    """('ok', value) or (exception type name, first line of its message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "ok", fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e).split("\n")[0]


# ---------------------------------------------------------------------------------------
# LSTM: the state handed to torch's kernel must be a pair


def _lstm_with_state(lib, make_hx, lengths=None, enforce_sorted=True):
    lib.manual_seed(0)
    m = lib.nn.LSTM(3, 4)
    x = lib.randn(5, 2, 3)
    h = lib.zeros(1, 2, 4)
    if lengths is not None:
        x = lib.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
    return lambda: m(x, make_hx(lib, h))[1][0].shape


STATE_CASES = {  # (hx from h, packed lengths, enforce_sorted, expected outcome)
    "three_tuple": (lambda lib, h: (h, h, h), None, True, "RuntimeError"),
    "three_list": (lambda lib, h: [h, h, h], None, True, "RuntimeError"),
    "three_tuple_packed": (lambda lib, h: (h, h, h), [5, 3], True, "RuntimeError"),
    "stacked_tensor": (lambda lib, h: lib.stack([h, h]), None, True, "TypeError"),
    "stacked_tensor_packed": (lambda lib, h: lib.stack([h, h]), [5, 3], True, "TypeError"),
    "pair_list": (lambda lib, h: [h, h], None, True, "ok"),
    # with a sorting permutation torch rebuilds the pair from hx[0], hx[1]: accepted
    "stacked_tensor_packed_unsorted": (lambda lib, h: lib.stack([h, h]), [3, 5], False,
                                       "ok"),
}


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_lstm_batched_state_must_be_a_pair(lib, case):
    make_hx, lengths, enforce_sorted, expected = STATE_CASES[case]
    got = _outcome(_lstm_with_state(lib, make_hx, lengths, enforce_sorted))
    assert got[0] == expected
    if expected == "ok":
        assert tuple(got[1]) == (1, 2, 4)
    if expected == "RuntimeError":
        assert got[1] == "lstm expects two hidden states"
    if expected == "TypeError":
        assert got[1].startswith("lstm() received an invalid combination of arguments - got (")


@needs_torch
@pytest.mark.parametrize("case", sorted(STATE_CASES))
def test_lstm_state_errors_match_torch(case):
    make_hx, lengths, enforce_sorted, _ = STATE_CASES[case]
    ours = _outcome(_lstm_with_state(torchlet, make_hx, lengths, enforce_sorted))
    theirs = _outcome(_lstm_with_state(_torch, make_hx, lengths, enforce_sorted))
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1] or ours[0] == "ok" and tuple(ours[1]) == tuple(theirs[1])


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("kw", [{"num_layers": True}, {"bidirectional": 1}])
def test_kernel_argument_types_checked_at_forward(lib, kw):
    """torch builds the module, then its kernel's argument parser refuses a bool
    num_layers or an int bidirectional."""
    m = lib.nn.GRU(3, 4, **kw)
    got = _outcome(lambda: m(lib.randn(2, 1, 3)))
    assert got[0] == "TypeError"
    assert got[1].startswith("gru() received an invalid combination of arguments")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_packed_lstm_input_checked_by_its_matmul(lib):
    """torch's LSTM runs no Python checks on packed input: a float64 input or a wrong
    input size fails in the first matmul, a RuntimeError (not the ValueError of the
    padded path)."""
    m = lib.nn.LSTM(3, 4)
    for x in (lib.randn(5, 2, 3, dtype=lib.float64), lib.randn(5, 2, 4)):
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, [5, 3])
        got = _outcome(lambda packed=packed: m(packed))
        assert got[0] == "RuntimeError"
        assert got[1].startswith("mat1 and mat2")
    # the padded path keeps torch's ValueError for the dtype
    assert _outcome(lambda: m(lib.randn(5, 2, 3, dtype=lib.float64)))[0] == "ValueError"


# ---------------------------------------------------------------------------------------
# LSTMCell: an unbatched state is rebuilt from hx[0], hx[1]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_lstm_cell_unbatched_state_uses_first_two(lib):
    lib.manual_seed(0)
    cell = lib.nn.LSTMCell(3, 4)
    x, h, c = lib.randn(3), lib.randn(4), lib.randn(4)
    h2, c2 = cell(x, (h, c))
    h3, c3 = cell(x, (h, c, lib.randn(4)))  # the third entry is ignored
    assert np.array_equal(h2.detach().numpy(), h3.detach().numpy())
    assert np.array_equal(c2.detach().numpy(), c3.detach().numpy())
    assert _outcome(lambda: cell(x, (h,))) == ("IndexError", "tuple index out of range")
    assert _outcome(lambda: cell(x, [h])) == ("IndexError", "list index out of range")
    # batched, the kernel wants exactly two
    got = _outcome(lambda: cell(x[None], (h[None], c[None], h[None])))
    assert got == ("RuntimeError", "lstm_cell expects two hidden states")


# ---------------------------------------------------------------------------------------
# packing utilities


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_packed_data_is_contiguous_for_strided_input(lib):
    base = lib.arange(48.0).reshape(2, 2, 3, 4)  # (F2, F1, B, T) in memory
    padded = base.permute(3, 2, 1, 0)  # (T=4, B=3, F1=2, F2=2), strided
    p = lib.nn.utils.rnn.pack_padded_sequence(padded, [4, 2, 1])
    assert p.data.is_contiguous()
    assert p.data.stride() == (4, 2, 1)
    # rows: step 0 of the 3 sequences, step 1 of 2, steps 2 and 3 of the first
    expected = np.arange(48.0).reshape(2, 2, 3, 4).transpose(3, 2, 1, 0)
    rows = [expected[0, 0], expected[0, 1], expected[0, 2], expected[1, 0], expected[1, 1],
            expected[2, 0], expected[3, 0]]
    assert np.array_equal(p.data.numpy(), np.stack(rows).astype(np.float32))


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_padding_value_converted_as_torchs_full(lib):
    U = lib.nn.utils.rnn

    def pad(dtype, value):
        seqs = [lib.zeros(1, dtype=dtype), lib.zeros(2, dtype=dtype)]
        return lambda: U.pad_sequence(seqs, padding_value=value)[1, 0].item()

    assert _outcome(pad(lib.float16, 1e30)) == (
        "RuntimeError", "value cannot be converted to type c10::Half without overflow")
    assert _outcome(pad(lib.int64, float("nan"))) == (
        "RuntimeError", "value cannot be converted to type int64_t without overflow")
    assert _outcome(pad(lib.int8, 300.0))[0] == "RuntimeError"
    assert _outcome(pad(lib.int64, 2.5)) == ("ok", 2)  # truncated
    assert _outcome(pad(lib.float32, 1e30))[0] == "ok"
    packed = U.pack_sequence([lib.zeros(2, dtype=lib.float16), lib.zeros(1, dtype=lib.float16)])
    got = _outcome(lambda: U.pad_packed_sequence(packed, padding_value=1e30))
    assert got == ("RuntimeError", "value cannot be converted to type c10::Half without overflow")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_pad_sequence_shape_errors(lib):
    U = lib.nn.utils.rnn
    assert _outcome(lambda: U.pad_sequence([lib.zeros(()), lib.zeros(())])) == (
        "RuntimeError", "ArrayRef: invalid slice, N = 1; size = 0")
    assert _outcome(lambda: U.pad_sequence([lib.zeros(2), lib.zeros(())])) == (
        "IndexError", "Dimension specified as 0 but tensor has no dimensions")
    # a size-1 target against a size-0 source: the broadcast shape keeps the 0
    assert _outcome(lambda: U.pad_sequence([lib.zeros(2, 1), lib.zeros(2, 0)])) == (
        "RuntimeError", "output with shape [2, 1] doesn't match the broadcast shape [2, 0]")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_unpad_sequence_takes_tensor_lengths(lib):
    U = lib.nn.utils.rnn
    padded = U.pad_sequence([lib.ones(3, 2), lib.ones(1, 2)], batch_first=True)
    got = U.unpad_sequence(padded, lib.tensor([3, 1]), batch_first=True)
    assert [tuple(t.shape) for t in got] == [(3, 2), (1, 2)]
    assert _outcome(lambda: U.unpad_sequence(padded, [3, 1], batch_first=True)) == (
        "AttributeError", "'list' object has no attribute 'device'")


# ---------------------------------------------------------------------------------------
# sampled differential test: random configurations against torch


def _draw(rng, i):
    kind = ("layer", "packed", "cell")[i % 3]
    dtype = "float64" if rng.random() < 0.4 else "float32"
    if kind == "cell":
        cls = str(rng.choice(["RNNCell", "LSTMCell", "GRUCell"]))
        kw = {"bias": bool(rng.random() < 0.7)}
        if cls == "RNNCell":
            kw["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
        size_in, hidden = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        shape = (size_in,) if rng.random() < 0.3 else (int(rng.integers(0, 4)), size_in)
        n_states = 2 if cls == "LSTMCell" else 1
        states = (None if rng.random() < 0.3 else
                  [rng.standard_normal(shape[:-1] + (hidden,)) for _ in range(n_states)])
        return dict(kind=kind, cls=cls, args=(size_in, hidden), kw=kw, dtype=dtype,
                    x=rng.standard_normal(shape), states=states, transpose=False)
    cls = str(rng.choice(["RNN", "LSTM", "GRU"]))
    size_in, hidden = int(rng.integers(1, 5)), int(rng.integers(2, 6))
    layers = int(rng.integers(1, 4))
    directions = 2 if rng.random() < 0.4 else 1
    kw = {"num_layers": layers, "bias": bool(rng.random() < 0.7),
          "bidirectional": directions == 2,
          "dropout": float(rng.choice([0.0, 0.4])) if layers > 1 else 0.0}
    if cls == "RNN":
        kw["nonlinearity"] = str(rng.choice(["tanh", "relu"]))
    proj = int(rng.integers(1, hidden)) if cls == "LSTM" and rng.random() < 0.4 else 0
    if proj:
        kw["proj_size"] = proj
    out_size = proj or hidden
    cfg = dict(kind=kind, cls=cls, args=(size_in, hidden), kw=kw, dtype=dtype,
               train=bool(rng.random() < 0.6))
    if kind == "packed":
        lengths = [int(n) for n in rng.integers(1, 5, size=int(rng.integers(1, 4)))]
        cfg["seqs"] = [rng.standard_normal((n, size_in)) for n in lengths]
        cfg["enforce_sorted"] = bool(rng.random() < 0.5)
        if cfg["enforce_sorted"]:
            cfg["seqs"].sort(key=len, reverse=True)
        batch = len(lengths)
        cfg["total_length"] = max(lengths) + 1 if rng.random() < 0.3 else None
    else:
        kw["batch_first"] = bool(rng.random() < 0.5)
        steps, batch = int(rng.integers(1, 5)), int(rng.integers(0, 4))
        unbatched = rng.random() < 0.2
        shape = ((steps, size_in) if unbatched else
                 (batch, steps, size_in) if kw["batch_first"] else (steps, batch, size_in))
        cfg["x"] = rng.standard_normal(shape)
        cfg["transpose"] = bool(rng.random() < 0.3)  # a non-contiguous input
        batch = None if unbatched else batch
    state_batch = () if batch is None else (batch,)
    sizes = [out_size] + ([hidden] if cls == "LSTM" else [])
    cfg["states"] = (None if rng.random() < 0.4 else
                     [rng.standard_normal((layers * directions, *state_batch, s))
                      for s in sizes])
    return cfg


def _tensor(lib, array, dtype, transpose=False):
    if transpose and array.ndim >= 2:
        t = lib.tensor(np.ascontiguousarray(np.swapaxes(array, 0, -1)), dtype=dtype)
        t = t.transpose(0, -1)
    else:
        t = lib.tensor(array, dtype=dtype)
    return t.requires_grad_()


def _run(lib, cfg):
    """Everything observable: outputs, states, grads of inputs, states and parameters."""
    dtype = getattr(lib, cfg["dtype"])
    lib.manual_seed(7)
    module = getattr(lib.nn, cfg["cls"])(*cfg["args"], **cfg["kw"]).to(dtype)
    record = {"repr": repr(module), "keys": list(module.state_dict())}
    inputs = []
    states = None
    if cfg["states"] is not None:
        states = [_tensor(lib, s, dtype) for s in cfg["states"]]
        inputs += states
        states = tuple(states) if len(states) == 2 else states[0]
    if cfg["kind"] == "packed":
        seqs = [_tensor(lib, s, dtype) for s in cfg["seqs"]]
        inputs += seqs
        x = lib.nn.utils.rnn.pack_sequence(seqs, enforce_sorted=cfg["enforce_sorted"])
    else:
        x = _tensor(lib, cfg["x"], dtype, cfg["transpose"])
        inputs.append(x)
    if "train" in cfg:
        module.train(cfg["train"])
    lib.manual_seed(11)
    out = module(x, states)
    if cfg["kind"] == "cell":
        outs = list(out) if isinstance(out, tuple) else [out]
    else:
        out, final = out
        if cfg["kind"] == "packed":
            out, lengths = lib.nn.utils.rnn.pad_packed_sequence(
                out, padding_value=-1.0, total_length=cfg["total_length"])
            record["lengths"] = lengths.numpy().tolist()
        outs = [out] + list(final if isinstance(final, tuple) else (final,))
    for k, o in enumerate(outs):
        record[f"out{k}"] = o.detach().numpy().copy()
        record[f"shape{k}"] = tuple(o.shape)
    wanted = inputs + list(module.parameters())
    rng = np.random.default_rng(3)
    grads = [lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=dtype) for o in outs]
    found = lib.autograd.grad(outs, wanted, grads, allow_unused=True)
    for k, g in enumerate(found):
        record[f"grad{k}"] = None if g is None else g.numpy().copy()
    return record


SAMPLED = [_draw(np.random.default_rng(1234 + i), i) for i in range(60)]


@needs_torch
@pytest.mark.parametrize("index", range(len(SAMPLED)))
def test_sampled_configurations_match_torch(index):
    cfg = SAMPLED[index]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _run(_torch, cfg)
        ours = _run(torchlet, cfg)
    assert ours.keys() == theirs.keys()
    tol = 2e-5 if cfg["dtype"] == "float32" else 1e-11
    for key, want in theirs.items():
        got = ours[key]
        if isinstance(want, np.ndarray):
            assert got.shape == want.shape and got.dtype == want.dtype, key
            scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
            np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale, err_msg=key)
        else:
            assert got == want, key


def test_sampled_configurations_run_without_torch():
    """The same configurations without torch: outputs have the expected shapes, and the
    gradients of every input and parameter are finite."""
    for cfg in SAMPLED[:30]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            record = _run(torchlet, cfg)
        for key, value in record.items():
            if key.startswith("grad") and value is not None:
                assert np.isfinite(value).all(), key
        if cfg["kind"] == "layer":
            hidden = cfg["kw"].get("proj_size") or cfg["args"][1]
            directions = 2 if cfg["kw"]["bidirectional"] else 1
            assert record["shape0"][-1] == hidden * directions


def test_rnn_utils_module_is_the_one_tested():
    assert torchlet.nn.utils.rnn is rnn_utils

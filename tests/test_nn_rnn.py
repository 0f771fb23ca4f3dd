"""RNN, LSTM, GRU, their cells and packed sequences (torchlet.nn.utils.rnn) against torch.

Live comparisons (skipped without torch): the same seed gives the same parameters bit
for bit; with those parameters, outputs, final states and the gradients of the input,
the initial states and every parameter agree to float32 rounding, for each combination
of options; reprs and error messages are torch's. Without torch: float64 gradcheck and
gradgradcheck, and the fused LSTM/GRU steps against their readable compositions.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.autograd import gradcheck, gradgradcheck
from torchlet.nn.modules import rnn as rnn_module
from torchlet.nn.utils import rnn as rnn_utils

RTOL, ATOL = 1e-5, 1e-6  # float32 forward
GRTOL, GATOL = 1e-4, 1e-5  # float32 gradients (sums over time steps)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, name, *args, **kwargs):
    """The same layer built in both libraries after the same seed."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = getattr(torch.nn, name)(*args, **kwargs)
    torchlet.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(nn, name)(*args, **kwargs)
    return theirs, ours


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(a, b, rtol=RTOL, atol=ATOL, msg=""):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, msg
    assert a.dtype == b.dtype, msg
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=msg)


def _leaf(lib, array):
    return lib.tensor(array, requires_grad=True)


# ---------------------------------------------------------------------------------------
# parameters and reprs

LAYER_OPTIONS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 3, "bidirectional": True, "batch_first": True},
    {"bias": False, "batch_first": True},
    {"num_layers": 2, "dropout": 0.25},
]
LSTM_ONLY = [{"proj_size": 3}, {"proj_size": 2, "num_layers": 2, "bidirectional": True,
                                "bias": False}]
RNN_ONLY = [{"nonlinearity": "relu"}, {"nonlinearity": "relu", "num_layers": 2,
                                       "bidirectional": True}]
LAYER_CASES = (
    [("RNN", o) for o in LAYER_OPTIONS + RNN_ONLY]
    + [("LSTM", o) for o in LAYER_OPTIONS + LSTM_ONLY]
    + [("GRU", o) for o in LAYER_OPTIONS]
)


def _case_id(case):
    name, options = case
    return name + "".join(f"-{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_parameters_bit_identical(torch, case):
    name, options = case
    theirs, ours = _pair(torch, name, 6, 5, **options)
    names_t = [n for n, _ in theirs.named_parameters()]
    names_o = [n for n, _ in ours.named_parameters()]
    assert names_o == names_t
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        assert tuple(q.shape) == tuple(p.shape), n
        assert np.array_equal(_np(q), _np(p)), n
    assert repr(ours) == repr(theirs)
    assert [list(map(tuple, (w.shape for w in ws))) for ws in ours.all_weights] == [
        list(map(tuple, (w.shape for w in ws))) for ws in theirs.all_weights]


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("options", [{}, {"bias": False}])
def test_cell_parameters_bit_identical(torch, name, options):
    theirs, ours = _pair(torch, name, 4, 3, **options)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        assert np.array_equal(_np(q), _np(p)), n
    assert repr(ours) == repr(theirs)


def test_reprs():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == (
        "LSTM(10, 20, num_layers=2, batch_first=True)")
    assert repr(nn.RNN(3, 4, 2, "relu", bias=False)) == "RNN(3, 4, num_layers=2, bias=False)"
    assert repr(nn.LSTM(3, 4, proj_size=2, bidirectional=True)) == (
        "LSTM(3, 4, proj_size=2, bidirectional=True)")
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu", bias=False)) == (
        "RNNCell(3, 4, bias=False, nonlinearity=relu)")
    assert repr(nn.GRUCell(3, 4)) == "GRUCell(3, 4)"
    model = nn.Sequential(nn.GRU(2, 3, dropout=0.5, num_layers=2))
    assert repr(model) == "Sequential(\n  (0): GRU(2, 3, num_layers=2, dropout=0.5)\n)"


def test_reset_parameters_range():
    torchlet.manual_seed(3)
    layer = nn.GRU(4, 16, num_layers=2, bidirectional=True)
    for p in layer.parameters():
        assert float(p.abs().max()) <= 0.25
    assert len(list(layer.parameters())) == 16


# ---------------------------------------------------------------------------------------
# forward and backward against torch


def _state_shapes(name, options, batch):
    directions = 2 if options.get("bidirectional") else 1
    layers = options.get("num_layers", 1) * directions
    hidden = 5
    h = options.get("proj_size") or hidden
    return [(layers, batch, h), (layers, batch, hidden)] if name == "LSTM" else [
        (layers, batch, h)]


def _run_both(torch, name, options, x, states, train=False, seed=None, packed=None):
    """Run the layer in both libraries; return (outputs, leaves) per library."""
    theirs, ours = _pair(torch, name, x.shape[-1], 5, **options)
    theirs.train(train)
    ours.train(train)
    results = []
    for lib, layer in ((torch, theirs), (torchlet, ours)):
        xs = _leaf(lib, x)
        hs = [_leaf(lib, s) for s in states] if states is not None else []
        inp = xs
        if packed is not None:
            lengths, enforce_sorted = packed
            utils = torch.nn.utils.rnn if lib is torch else rnn_utils
            inp = utils.pack_padded_sequence(xs, lengths, batch_first=options.get(
                "batch_first", False), enforce_sorted=enforce_sorted)
        hx = None if not hs else (tuple(hs) if name == "LSTM" else hs[0])
        if seed is not None:
            lib.manual_seed(seed)
        out, hidden = layer(inp, hx)
        hidden = hidden if name == "LSTM" else (hidden,)
        results.append((layer, out, hidden, xs, hs))
    return results


def _compare_runs(torch, results, name, packed=False):
    (lt, ot, ht, xt, hst), (lo, oo, ho, xo, hso) = results
    if packed:
        assert isinstance(oo, rnn_utils.PackedSequence)
        assert np.array_equal(_np(oo.batch_sizes), _np(ot.batch_sizes))
        ot, _ = torch.nn.utils.rnn.pad_packed_sequence(ot)
        oo, _ = rnn_utils.pad_packed_sequence(oo)
    _close(ot, oo, msg="output")
    for a, b in zip(ht, ho, strict=True):
        _close(a, b, msg="final state")
    rng = np.random.default_rng(1)
    g_out = rng.standard_normal(tuple(ot.shape)).astype(np.float32)
    g_hidden = [rng.standard_normal(tuple(h.shape)).astype(np.float32) for h in ht]
    for lib, out, hidden in ((torch, ot, ht), (torchlet, oo, ho)):
        loss = (out * lib.tensor(g_out)).sum()
        for h, g in zip(hidden, g_hidden, strict=True):
            loss = loss + (h * lib.tensor(g)).sum()
        loss.backward()
    _close(xt.grad, xo.grad, GRTOL, GATOL, "input grad")
    for a, b in zip(hst, hso, strict=True):
        _close(a.grad, b.grad, GRTOL, GATOL, "initial state grad")
    for (n, p), (_, q) in zip(lt.named_parameters(), lo.named_parameters(), strict=True):
        _close(p.grad, q.grad, GRTOL, GATOL, n)


@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("case", LAYER_CASES, ids=_case_id)
def test_layer_matches_torch(torch, case, with_state):
    name, options = case
    rng = np.random.default_rng(0)
    batch_first = options.get("batch_first", False)
    x = rng.standard_normal((3, 4, 6) if batch_first else (4, 3, 6)).astype(np.float32)
    states = ([rng.standard_normal(s).astype(np.float32)
               for s in _state_shapes(name, options, 3)] if with_state else None)
    _compare_runs(torch, _run_both(torch, name, options, x, states), name)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input(torch, name, batch_first):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 6)).astype(np.float32)
    options = {"batch_first": batch_first, "num_layers": 2}
    states = [s[:, 0] for s in (rng.standard_normal(s).astype(np.float32)
                                for s in _state_shapes(name, options, 1))]
    results = _run_both(torch, name, options, x, states)
    assert tuple(results[1][1].shape) == (5, 5)
    assert tuple(results[1][2][0].shape) == (2, 5)
    _compare_runs(torch, results, name)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_between_layers_uses_torchs_masks(torch, name):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 6)).astype(np.float32)
    options = {"num_layers": 3, "dropout": 0.5, "bidirectional": True}
    results = _run_both(torch, name, options, x, None, train=True, seed=7)
    _compare_runs(torch, results, name)
    # the generators advanced alike
    assert torch.rand(1).item() == torchlet.rand(1).item()


def test_dropout_inactive_in_eval():
    torchlet.manual_seed(0)
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.9).eval()
    x = torchlet.randn(5, 2, 3)
    a, _ = layer(x)
    b, _ = layer(x)
    assert torchlet.equal(a, b)
    layer.train()
    c, _ = layer(x)
    assert not torchlet.equal(a, c)


PACKED_CASES = [
    ("RNN", {}), ("RNN", {"nonlinearity": "relu", "bidirectional": True}),
    ("LSTM", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "bias": False}),
    ("GRU", {"batch_first": True}),
]


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("case", PACKED_CASES, ids=_case_id)
def test_packed_input_matches_torch(torch, case, with_state, enforce_sorted):
    name, options = case
    rng = np.random.default_rng(4)
    batch_first = options.get("batch_first", False)
    x = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3)).astype(np.float32)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    states = ([rng.standard_normal(s).astype(np.float32)
               for s in _state_shapes(name, options, 4)] if with_state else None)
    results = _run_both(torch, name, options, x, states, packed=(lengths, enforce_sorted))
    _compare_runs(torch, results, name, packed=True)


def test_packed_dropout_matches_torch(torch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    options = {"num_layers": 2, "dropout": 0.3}
    results = _run_both(torch, "LSTM", options, x, None, train=True, seed=11,
                        packed=([5, 4, 2], True))
    _compare_runs(torch, results, "LSTM", packed=True)


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("options", [{}, {"bias": False}, {"nonlinearity": "relu"}])
@pytest.mark.parametrize("mode", ["batched", "unbatched", "no_state"])
def test_cells_match_torch(torch, name, options, mode):
    if "nonlinearity" in options and name != "RNNCell":
        pytest.skip("nonlinearity is RNNCell's option")
    theirs, ours = _pair(torch, name, 4, 3, **options)
    rng = np.random.default_rng(6)
    shape = (4,) if mode == "unbatched" else (2, 4)
    x = rng.standard_normal(shape).astype(np.float32)
    hshape = (3,) if mode == "unbatched" else (2, 3)
    states = [rng.standard_normal(hshape).astype(np.float32)
              for _ in range(2 if name == "LSTMCell" else 1)]
    outs = []
    for lib, cell in ((torch, theirs), (torchlet, ours)):
        xs = _leaf(lib, x)
        hs = [_leaf(lib, s) for s in states]
        if mode == "no_state":
            out = cell(xs)
        else:
            out = cell(xs, tuple(hs) if name == "LSTMCell" else hs[0])
        out = out if name == "LSTMCell" else (out,)
        loss = sum((o * lib.tensor(np.arange(o.numel(), dtype=np.float32).reshape(
            tuple(o.shape)))).sum() for o in out)
        loss.backward()
        outs.append((out, xs, hs, cell))
    (ot, xt, hst, ct), (oo, xo, hso, co) = outs
    for a, b in zip(ot, oo, strict=True):
        _close(a, b)
        assert b.grad_fn.name() == a.grad_fn.name()  # the same composition as torch's
    _close(xt.grad, xo.grad, GRTOL, GATOL)
    if mode != "no_state":
        for a, b in zip(hst, hso, strict=True):
            _close(a.grad, b.grad, GRTOL, GATOL)
    for (n, p), (_, q) in zip(ct.named_parameters(), co.named_parameters(), strict=True):
        _close(p.grad, q.grad, GRTOL, GATOL, n)


def test_float64_layers_match_torch(torch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 2, 3))
    for name in ("RNN", "LSTM", "GRU"):
        theirs, ours = _pair(torch, name, 3, 4, num_layers=2, bidirectional=True)
        theirs.double()
        ours.double()
        assert ours.weight_ih_l0.dtype == torchlet.float64
        assert ours._flat_weights[0].dtype == torchlet.float64
        ot, _ = theirs(torch.tensor(x))
        oo, _ = ours(torchlet.tensor(x))
        _close(ot, oo, 1e-12, 1e-12)


# ---------------------------------------------------------------------------------------
# errors


def _error_cases(lib):
    nn_ = lib.nn
    x = lib.zeros(4, 2, 10)
    return {
        "input_size": lambda: nn_.LSTM(10, 20)(lib.zeros(4, 2, 5)),
        "dim4": lambda: nn_.LSTM(10, 20)(lib.zeros(1, 1, 1, 10)),
        "rnn_dim4": lambda: nn_.RNN(10, 20)(lib.zeros(1, 1, 1, 10)),
        "gru_dim1": lambda: nn_.GRU(10, 20)(lib.zeros(10)),
        "hidden": lambda: nn_.RNN(10, 20)(x, lib.zeros(2, 2, 20)),
        "hidden_dims": lambda: nn_.GRU(10, 20)(x, lib.zeros(2, 20)),
        "hidden_dims_unbatched": lambda: nn_.GRU(10, 20)(x[0], lib.zeros(1, 2, 20)),
        "lstm_hidden1": lambda: nn_.LSTM(10, 20)(x, (lib.zeros(1, 2, 20), lib.zeros(1, 3, 20))),
        "lstm_hidden0": lambda: nn_.LSTM(10, 20)(x, (lib.zeros(1, 3, 20), lib.zeros(1, 2, 20))),
        "lstm_dims": lambda: nn_.LSTM(10, 20)(x, (lib.zeros(2, 20), lib.zeros(1, 2, 20))),
        "lstm_dims_unbatched": lambda: nn_.LSTM(10, 20)(
            x[0], (lib.zeros(2, 20), lib.zeros(1, 2, 20))),
        "dtype": lambda: nn_.LSTM(10, 20)(x.double()),
        "empty_sequence": lambda: nn_.GRU(10, 20)(lib.zeros(0, 2, 10)),
        "nonlinearity": lambda: nn_.RNN(10, 20, nonlinearity="sigmoid"),
        "proj_for_gru": lambda: nn_.GRU(10, 20, proj_size=2),
        "proj_too_big": lambda: nn_.LSTM(10, 20, proj_size=20),
        "proj_negative": lambda: nn_.LSTM(10, 20, proj_size=-1),
        "dropout_range": lambda: nn_.LSTM(10, 20, dropout=1.5),
        "dropout_bool": lambda: nn_.LSTM(10, 20, dropout=True),
        "bias_type": lambda: nn_.LSTM(10, 20, bias=1),
        "batch_first_type": lambda: nn_.LSTM(10, 20, batch_first=0),
        "input_size_type": lambda: nn_.LSTM(10.0, 20),
        "input_size_zero": lambda: nn_.LSTM(0, 20),
        "hidden_size_type": lambda: nn_.LSTM(10, 2.0),
        "hidden_size_zero": lambda: nn_.LSTM(10, 0),
        "num_layers_zero": lambda: nn_.LSTM(10, 20, num_layers=0),
        "mode": lambda: nn_.RNNBase("XX", 10, 20),
        "cell_input_dims": lambda: nn_.RNNCell(10, 20)(lib.zeros(1, 1, 10)),
        "cell_hidden_dims": lambda: nn_.GRUCell(10, 20)(lib.zeros(1, 10), lib.zeros(1, 1, 20)),
        "lstm_cell_hidden_dims": lambda: nn_.LSTMCell(10, 20)(
            lib.zeros(1, 10), (lib.zeros(1, 20), lib.zeros(1, 1, 20))),
        "cell_input_size": lambda: nn_.RNNCell(10, 20)(lib.zeros(3, 5)),
        "cell_batch": lambda: nn_.GRUCell(10, 20)(lib.zeros(3, 10), lib.zeros(2, 20)),
        "cell_hidden_size": lambda: nn_.GRUCell(10, 20)(lib.zeros(3, 10), lib.zeros(3, 21)),
        "lstm_cell_c_size": lambda: nn_.LSTMCell(10, 20)(
            lib.zeros(3, 10), (lib.zeros(3, 20), lib.zeros(3, 21))),
        "lstm_cell_c_batch": lambda: nn_.LSTMCell(10, 20)(
            lib.zeros(3, 10), (lib.zeros(3, 20), lib.zeros(2, 20))),
        "cell_nonlinearity": lambda: nn_.RNNCell(10, 20, nonlinearity="x")(lib.zeros(3, 10)),
    }


def _error_of(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)
    return None


@pytest.mark.parametrize("case", sorted(_error_cases(torchlet)))
def test_errors_match_torch(torch, case):
    theirs = _error_of(_error_cases(torch)[case])
    ours = _error_of(_error_cases(torchlet)[case])
    assert theirs is not None
    assert ours == theirs


def test_input_size_error_text():
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 10, got 5"):
        nn.LSTM(10, 20)(torchlet.zeros(3, 2, 5))


def test_dropout_warning_for_one_layer():
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


# ---------------------------------------------------------------------------------------
# without torch: gradcheck, double backward, the fused steps


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_layer_gradcheck_float64(name):
    torchlet.manual_seed(0)
    layer = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True).double()
    x = torchlet.randn(3, 2, 3, dtype=torchlet.float64, requires_grad=True)
    params = tuple(layer.parameters())
    assert gradcheck(lambda x, *ps: layer(x)[0], (x,) + params)
    # second order on a smaller stack
    layer = getattr(nn, name)(2, 2, bidirectional=True).double()
    x = torchlet.randn(2, 2, 2, dtype=torchlet.float64, requires_grad=True)
    states = [torchlet.randn(2, 2, 2, dtype=torchlet.float64, requires_grad=True)
              for _ in range(2 if name == "LSTM" else 1)]

    def final_states(x, *hs):
        _, hidden = layer(x, tuple(hs) if name == "LSTM" else hs[0])
        return hidden if name == "LSTM" else (hidden,)

    assert gradcheck(final_states, (x, *states))
    assert gradgradcheck(final_states, (x, *states))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_packed_gradcheck_float64(name):
    torchlet.manual_seed(1)
    layer = getattr(nn, name)(2, 2, bidirectional=True).double()
    x = torchlet.randn(3, 3, 2, dtype=torchlet.float64, requires_grad=True)

    def run(x):
        packed = rnn_utils.pack_padded_sequence(x, [2, 3, 1], enforce_sorted=False)
        out, _ = layer(packed)
        return rnn_utils.pad_packed_sequence(out)[0]

    assert gradcheck(run, (x,))
    assert gradgradcheck(run, (x,))


def test_lstm_projection_gradcheck_float64():
    torchlet.manual_seed(2)
    layer = nn.LSTM(3, 4, proj_size=2, num_layers=2).double()
    x = torchlet.randn(3, 2, 3, dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(lambda x, *ps: layer(x)[0], (x,) + tuple(layer.parameters()))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_gradcheck_float64(name):
    torchlet.manual_seed(3)
    cell = getattr(nn, name)(3, 4).double()
    x = torchlet.randn(2, 3, dtype=torchlet.float64, requires_grad=True)
    hs = [torchlet.randn(2, 4, dtype=torchlet.float64, requires_grad=True)
          for _ in range(2 if name == "LSTMCell" else 1)]

    def run(x, *hs):
        return cell(x, tuple(hs) if name == "LSTMCell" else hs[0])

    assert gradcheck(run, (x, *hs))
    assert gradgradcheck(run, (x, *hs))
    assert gradcheck(lambda *ps: run(x, *hs), tuple(cell.parameters()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_steps_match_readable_form(dtype):
    """The layers' fused LSTM/GRU steps against the compositions the cells use."""
    rng = np.random.default_rng(8)
    size, batch = 5, 3
    for fused, readable, n_gates in (
        (rnn_module._FusedLSTMCell, rnn_module._lstm_gates, 4),
        (rnn_module._FusedGRUCell, rnn_module._gru_gates, 3),
    ):
        # large pre-activations too: sigmoid and tanh saturate without nan
        arrays = [rng.standard_normal((batch, n_gates * size)) * 4,
                  rng.standard_normal((batch, n_gates * size)) * 4,
                  rng.standard_normal((batch, size))]
        arrays[0][0, :3] = [-200.0, 200.0, -1e4]
        grads = [rng.standard_normal((batch, size)).astype(dtype) for _ in range(2)]
        results = []
        for fn in (fused.apply, readable):
            inputs = [torchlet.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
            out = fn(*inputs)
            out = out if isinstance(out, tuple) else (out,)
            loss = sum((o * torchlet.tensor(g)).sum() for o, g in zip(out, grads,
                                                                       strict=False))
            loss.backward()
            results.append(([_np(o) for o in out], [_np(x.grad) for x in inputs]))
        tol = 1e-6 if dtype == np.float32 else 1e-14
        for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1],
                        strict=True):
            assert a.dtype == b.dtype == dtype
            assert np.isfinite(a).all()
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_fused_steps_gradcheck_float64():
    rng = np.random.default_rng(9)
    for fused, n_gates in ((rnn_module._FusedLSTMCell, 4), (rnn_module._FusedGRUCell, 3)):
        inputs = [torchlet.tensor(rng.standard_normal(s), requires_grad=True)
                  for s in ((2, n_gates * 3), (2, n_gates * 3), (2, 3))]
        assert gradcheck(fused.apply, inputs)
        assert gradgradcheck(fused.apply, inputs)
        # only some inputs requiring grad
        inputs[1].requires_grad_(False)
        assert gradgradcheck(fused.apply, inputs)


def test_lstm_node_names():
    layer = nn.LSTM(2, 3)
    out, (h, c) = layer(torchlet.randn(4, 1, 2, requires_grad=True))
    # a float32 layer is one node, as torch's CPU LSTM records (oneDNN's)
    assert out.grad_fn.name() == "MkldnnRnnLayerBackward0"
    assert h.grad_fn.name() == "StackBackward0"
    out, (h, c) = layer.double()(torchlet.randn(4, 1, 2, dtype=torchlet.float64))
    assert out.grad_fn.name() == "StackBackward0"  # float64: the per-step composition
    cell = nn.LSTMCell(2, 3)
    h, c = cell(torchlet.randn(1, 2))
    assert (h.grad_fn.name(), c.grad_fn.name()) == ("MulBackward0", "AddBackward0")


def test_state_dict_round_trip_and_reassigned_weight():
    torchlet.manual_seed(0)
    a = nn.LSTM(3, 4, num_layers=2)
    b = nn.LSTM(3, 4, num_layers=2)
    b.load_state_dict(a.state_dict())
    x = torchlet.randn(5, 2, 3)
    assert torchlet.equal(a(x)[0], b(x)[0])
    b.weight_hh_l1 = nn.Parameter(torchlet.zeros(16, 4))
    assert b._flat_weights[b._flat_weights_names.index("weight_hh_l1")] is b.weight_hh_l1
    assert not torchlet.equal(a(x)[0], b(x)[0])


def test_batch_first_output_layout():
    layer = nn.GRU(3, 4, batch_first=True, bidirectional=True)
    out, h = layer(torchlet.randn(2, 5, 3))
    assert tuple(out.shape) == (2, 5, 8)
    assert tuple(h.shape) == (2, 2, 4)


# ---------------------------------------------------------------------------------------
# packed-sequence utilities


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([4, 2, 2], True), ([2, 4, 1], False),
                                                    ([3, 3, 3], True), ([1, 1, 4], False)])
def test_pack_pad_round_trip_matches_torch(torch, batch_first, lengths, enforce_sorted):
    rng = np.random.default_rng(10)
    x = rng.standard_normal((3, 4, 2) if batch_first else (4, 3, 2)).astype(np.float32)
    outs = []
    for lib, utils in ((torch, torch.nn.utils.rnn), (torchlet, rnn_utils)):
        xs = _leaf(lib, x)
        packed = utils.pack_padded_sequence(xs, lengths, batch_first=batch_first,
                                            enforce_sorted=enforce_sorted)
        padded, lens = utils.pad_packed_sequence(packed, batch_first=batch_first,
                                                 padding_value=-3.0, total_length=6)
        padded.backward(lib.tensor(np.arange(padded.numel(), dtype=np.float32).reshape(
            tuple(padded.shape))))
        outs.append((packed, padded, lens, xs.grad))
    (pt, dt, lt, gt), (po, do, lo, go) = outs
    assert isinstance(po, tuple) and type(po).__name__ == "PackedSequence"
    assert np.array_equal(_np(po.data), _np(pt.data))
    assert po.data.grad_fn.name() == pt.data.grad_fn.name()
    for a, b in ((pt.batch_sizes, po.batch_sizes), (pt.sorted_indices, po.sorted_indices),
                 (pt.unsorted_indices, po.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert np.array_equal(_np(a), _np(b)) and b.dtype == torchlet.int64
    assert np.array_equal(_np(do), _np(dt))
    assert np.array_equal(_np(lo), _np(lt)) and lo.dtype == torchlet.int64
    assert np.array_equal(_np(go), _np(gt))
    assert repr(po).replace("torchlet", "torch") == repr(pt)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence_matches_torch(torch, batch_first, padding_side):
    rng = np.random.default_rng(11)
    seqs = [rng.standard_normal((n, 2, 3)).astype(np.float32) for n in (2, 5, 1)]
    outs = []
    for lib, utils in ((torch, torch.nn.utils.rnn), (torchlet, rnn_utils)):
        leaves = [_leaf(lib, s) for s in seqs]
        out = utils.pad_sequence(leaves, batch_first=batch_first, padding_value=1.5,
                                 padding_side=padding_side)
        out.backward(lib.tensor(rng.standard_normal(tuple(out.shape)).astype(np.float32)
                                * 0 + np.arange(out.numel(), dtype=np.float32).reshape(
                                    tuple(out.shape))))
        outs.append((out, [x.grad for x in leaves]))
    assert np.array_equal(_np(outs[1][0]), _np(outs[0][0]))
    for a, b in zip(outs[0][1], outs[1][1], strict=True):
        assert np.array_equal(_np(a), _np(b))


def test_pack_sequence_unpack_sequence_round_trip(torch):
    rng = np.random.default_rng(12)
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (2, 4, 3)]
    for enforce_sorted in (False,):
        pt = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs],
                                              enforce_sorted=enforce_sorted)
        po = rnn_utils.pack_sequence([torchlet.tensor(s) for s in seqs],
                                     enforce_sorted=enforce_sorted)
        assert np.array_equal(_np(po.data), _np(pt.data))
        back = rnn_utils.unpack_sequence(po)
        assert [tuple(b.shape) for b in back] == [s.shape for s in seqs]
        for b, s in zip(back, seqs, strict=True):
            assert np.array_equal(_np(b), s)
    padded = rnn_utils.pad_sequence([torchlet.tensor(s) for s in seqs])
    parts = rnn_utils.unpad_sequence(padded, torchlet.tensor([2, 4, 3]))
    for b, s in zip(parts, seqs, strict=True):
        assert np.array_equal(_np(b), s)


def test_packed_sequence_behaves_like_torchs(torch):
    data = torchlet.arange(6.0).reshape(3, 2)
    packed = rnn_utils.PackedSequence(data, torchlet.tensor([2, 1]),
                                      torchlet.tensor([1, 0]))
    assert packed.unsorted_indices.tolist() == [1, 0]
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    d, b, s, u = packed
    assert d is data
    assert packed.double().data.dtype == torchlet.float64
    assert packed.to(torchlet.float32) is packed
    assert rnn_utils.PackedSequence((data, torchlet.tensor([2, 1]))).sorted_indices is None
    assert rnn_utils.invert_permutation(torchlet.tensor([2, 0, 1])).tolist() == [1, 2, 0]


def _packing_error_cases(lib, utils):
    x = lib.zeros(4, 3, 2)
    packed = utils.pack_padded_sequence(x, [4, 2, 1])
    return {
        "unsorted": lambda: utils.pack_padded_sequence(x, [1, 2, 4]),
        "count": lambda: utils.pack_padded_sequence(x, [4, 2]),
        "zero_length": lambda: utils.pack_padded_sequence(x, [4, 2, 0]),
        "lengths_2d": lambda: utils.pack_padded_sequence(x, lib.tensor([[4, 2, 1]])),
        "empty": lambda: utils.pack_padded_sequence(lib.zeros(0, 3), [1, 1, 1]),
        "empty_list": lambda: utils.pad_sequence([]),
        "shapes": lambda: utils.pad_sequence([lib.ones(2), lib.ones(3, 2)]),
        "not_iterable": lambda: utils.pad_sequence(3),
        "padding_side": lambda: utils.pad_sequence([lib.ones(2)], padding_side="x"),
        "total_length": lambda: utils.pad_packed_sequence(packed, total_length=2),
        "int_batch_sizes": lambda: utils.pad_packed_sequence(
            utils.PackedSequence(x[0], lib.tensor([3, 2], dtype=lib.int32))),
    }


@pytest.mark.parametrize("case", sorted(_packing_error_cases(torchlet, rnn_utils)))
def test_packing_errors_match_torch(torch, case):
    theirs = _error_of(_packing_error_cases(torch, torch.nn.utils.rnn)[case])
    ours = _error_of(_packing_error_cases(torchlet, rnn_utils)[case])
    assert theirs is not None
    assert ours == theirs


def test_pack_lengths_longer_than_input_raise():
    with pytest.raises(RuntimeError, match="at most the sequence length 4"):
        rnn_utils.pack_padded_sequence(torchlet.zeros(4, 3, 2), [5, 2, 1])


def test_pack_pad_gradcheck_float64():
    x = torchlet.randn(4, 3, 2, dtype=torchlet.float64, requires_grad=True)

    def round_trip(x):
        packed = rnn_utils.pack_padded_sequence(x, [3, 4, 1], batch_first=False,
                                                enforce_sorted=False)
        return rnn_utils.pad_packed_sequence(packed, batch_first=True)[0] * 2

    assert gradcheck(round_trip, (x,))
    assert gradgradcheck(round_trip, (x,))
    seqs = [torchlet.randn(n, 2, dtype=torchlet.float64, requires_grad=True) for n in (3, 1)]
    assert gradcheck(lambda *s: rnn_utils.pad_sequence(s, padding_side="left"), seqs)


@pytest.mark.parametrize("seed", range(3))
def test_random_lengths_round_trip(seed):
    rng = np.random.default_rng(seed)
    batch = int(rng.integers(1, 6))
    lengths = rng.integers(1, 7, size=batch)
    seqs = [torchlet.tensor(rng.standard_normal((int(n), 2))) for n in lengths]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    assert int(packed.batch_sizes.sum()) == int(lengths.sum())
    for a, b in zip(rnn_utils.unpack_sequence(packed), seqs, strict=True):
        assert torchlet.equal(a, b)
    for a, b in itertools.pairwise(_np(packed.batch_sizes)):
        assert a >= b


def test_create_graph_differentiates_each_step_once(monkeypatch):
    """Under create_graph each fused step falls back to its readable form once (not once
    per later step: the inner gradient must stop at the step's own inputs)."""
    calls = []
    original = rnn_module._readable_grad

    def counting(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(rnn_module, "_readable_grad", counting)
    layer = nn.GRU(2, 3)
    x = torchlet.randn(6, 1, 2, requires_grad=True)
    out, _ = layer(x)
    (grad,) = torchlet.autograd.grad(out.sum(), x, create_graph=True)
    assert len(calls) == 6
    grad.sum().backward()
    assert layer.weight_hh_l0.grad is not None

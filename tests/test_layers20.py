"""Recurrent and attention layers (helper rnnattn): torch's functional recurrent kernels
(torch.lstm / gru / rnn_tanh / rnn_relu) check their arguments as torch's parser and CPU
kernel do; nn.RNN's gate size and a weight set to None; the math kernel of
scaled_dot_product_attention computes float16 in float32 and shows torch's nodes
(SafeSoftmaxBackward0, MulBackward1)."""

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch as _torch
except ImportError:  # pragma: no cover - torch is the oracle, optional here
    _torch = None

needs_torch = pytest.mark.skipif(_torch is None, reason="needs torch")
LIBS = [torchlet] + ([_torch] if _torch is not None else [])


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return type(e).__name__, str(e)


def _node_names(t):
    """The grad_fn names along the first input of each node, from the output down."""
    names, node = [], t.grad_fn
    while node is not None:
        names.append(node.name())
        following = [n for n, _ in node.next_functions if n is not None]
        node = following[0] if following else None
    return names


# ---------------------------------------------------------------------------------------
# nn.RNN's gate size


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_rnn_hidden_size_true_fails_in_empty(lib):
    """torch's RNN takes hidden_size itself as its gate size (LSTM and GRU a multiple): a
    bool True passes the int check and empty() refuses it; LSTM gets 4 * True = 4."""
    assert _outcome(lambda: lib.nn.RNN(3, True)) == (
        "TypeError", "empty(): argument 'size' (position 1) must be tuple of ints, but found "
        "element of type bool at pos 0")
    assert tuple(lib.nn.LSTM(3, True).weight_ih_l0.shape) == (4, 3)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_module_weight_set_to_none_is_refused_by_the_kernel(lib):
    lib.manual_seed(0)
    m = lib.nn.RNN(3, 4)
    m.bias_ih_l0 = None
    assert _outcome(lambda: m(lib.randn(2, 1, 3))) == (
        "TypeError", "expected Tensor as element 2 in argument 2, but got NoneType")
    m = lib.nn.GRU(3, 4)
    m.weight_hh_l0 = None
    packed = lib.nn.utils.rnn.pack_sequence([lib.randn(2, 3)])
    assert _outcome(lambda: m(packed)) == (
        "TypeError", "expected Tensor as element 1 in argument 3, but got NoneType")


# ---------------------------------------------------------------------------------------
# torch.lstm / gru / rnn_tanh / rnn_relu


def _params(lib, gates, layers, directions, bias, hidden=4, size_in=3, dtype=None):
    dtype = dtype or lib.float64
    params = []
    for layer in range(layers):
        for _ in range(directions):
            width = size_in if layer == 0 else hidden * directions
            params += [lib.randn(gates * hidden, width, dtype=dtype),
                       lib.randn(gates * hidden, hidden, dtype=dtype)]
            if bias:
                params += [lib.randn(gates * hidden, dtype=dtype),
                           lib.randn(gates * hidden, dtype=dtype)]
    return params


# (name, number of params kept, has_biases, bidirectional, state layers, num_layers, error)
COUNT_CASES = [
    ("gru", 3, True, False, 2, 2, "got an incorrect number of RNN parameters"),
    ("gru", 6, True, False, 2, 2, "got an incorrect number of RNN parameters"),
    ("rnn_tanh", 5, False, False, 2, 2, "got an incorrect number of RNN parameters"),
    ("lstm", 10, True, False, 2, 2, "got an incorrect number of RNN parameters"),
    ("gru", 12, True, False, 2, 2, "Expected more weights in stacked_rnn"),
    ("lstm", 6, False, False, 2, 2, "Expected more weights in stacked_rnn"),
    ("gru", 2, False, False, 1, 2, "Expected more hidden states in stacked_rnn"),
    ("gru", 2, False, False, 2, 2, "Expected more weights in stacked_rnn"),
    ("gru", 4, False, True, 1, 1, "Odd number of params or hiddens given to a bidirectional RNN"),
    ("gru", 2, False, True, 2, 1, "Odd number of params or hiddens given to a bidirectional RNN"),
    ("rnn_relu", 4, False, True, 3, 1,
     "Odd number of params or hiddens given to a bidirectional RNN"),
    ("gru", 4, False, True, 2, 1, None),
    ("lstm", 8, True, False, 2, 2, None),
]


def _count_case(lib, name, kept, bias, bidirectional, state_layers, layers):
    lib.manual_seed(0)
    gates = {"lstm": 4, "gru": 3}.get(name, 1)
    params = (_params(lib, gates, layers, 2 if bidirectional else 1, bias) * 4)[:kept]
    h = lib.zeros(state_layers, 2, 4, dtype=lib.float64)
    hx = [h, h] if name == "lstm" else h
    x = lib.randn(5, 2, 3, dtype=lib.float64)
    return getattr(lib, name)(x, hx, params, bias, layers, 0.0, False, bidirectional, False)


@pytest.mark.parametrize("case", COUNT_CASES, ids=str)
def test_functional_kernels_count_cells_and_states_as_torch(case):
    """Checked in torch's CPU kernel's order: whole cells (4 or 2 tensors, one more with
    projections), pairs when bidirectional, then states and cells per layer."""
    *args, error = case
    got = _outcome(lambda: _count_case(torchlet, *args))
    if error is None:
        assert isinstance(got, tuple) and not isinstance(got[0], str)
    else:
        assert got == ("RuntimeError", error)
    if _torch is not None:
        theirs = _outcome(lambda: _count_case(_torch, *args))
        if error is None:
            for mine, want in zip(got, theirs, strict=True):
                np.testing.assert_allclose(mine.detach().numpy(), want.detach().numpy(),
                                           rtol=1e-12, atol=1e-12)
        else:
            assert theirs == got


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_functional_lstm_has_projections_when_h_and_c_sizes_differ(lib):
    lib.manual_seed(0)
    d = lib.float64
    x = lib.randn(5, 2, 3, dtype=d)
    w_ih, w_hh, w_hr = lib.randn(16, 3, dtype=d), lib.randn(16, 2, dtype=d), lib.randn(2, 4,
                                                                                    dtype=d)
    out, h, c = lib.lstm(x, [lib.zeros(1, 2, 2, dtype=d), lib.zeros(1, 2, 4, dtype=d)],
                         [w_ih, w_hh, w_hr], False, 1, 0.0, False, False, False)
    assert (tuple(out.shape), tuple(h.shape), tuple(c.shape)) == ((5, 2, 2), (1, 2, 2),
                                                                  (1, 2, 4))
    # the same three tensors with equal h and c sizes are no whole cells of two
    same = [lib.zeros(1, 2, 4, dtype=d)] * 2
    assert _outcome(lambda: lib.lstm(x, same, [w_ih, lib.randn(16, 4, dtype=d), w_hr], False,
                                     1, 0.0, False, False, False)) == (
        "RuntimeError", "got an incorrect number of RNN parameters")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_functional_kernels_take_keywords_and_refuse_wrong_types(lib):
    lib.manual_seed(0)
    d = lib.float64
    x, h = lib.randn(5, 2, 3, dtype=d), lib.zeros(1, 2, 4, dtype=d)
    params = _params(lib, 3, 1, 1, False)
    out, hn = lib.gru(input=x, hx=h, params=params, has_biases=False, num_layers=1,
                      dropout=0.0, train=False, bidirectional=False, batch_first=False)
    positional = lib.gru(x, h, params, False, 1, 0, False, False, False)  # an int dropout
    assert np.array_equal(out.numpy(), positional[0].numpy())
    data = lib.gru(data=x[0], batch_sizes=lib.tensor([2]), hx=h, params=params,
                   has_biases=False, num_layers=1, dropout=0.0, train=False,
                   bidirectional=False)[0]
    assert tuple(data.shape) == (2, 4)
    train_int = _outcome(lambda: lib.gru(x, h, params, False, 1, 0.0, 1, False, False))
    assert train_int[0] == "TypeError"
    assert train_int[1].startswith(
        "gru() received an invalid combination of arguments - got (Tensor, Tensor, list, bool, "
        "int, float, int, bool, bool), but expected one of:\n * (Tensor data, Tensor "
        "batch_sizes, Tensor hx, tuple of Tensors params, bool has_biases, int num_layers, "
        "float dropout, bool train, bool bidirectional)\n")
    missing = _outcome(lambda: lib.gru(x, h, params, False, 1, 0.0, False, False))
    assert missing[0] == "TypeError" and "(Tensor, Tensor, list, bool, int, float, bool, " \
        "bool)" in missing[1]
    unknown = _outcome(lambda: lib.gru(x, h, params, False, 1, 0.0, False, False, foo=False))
    assert unknown[0] == "TypeError" and "foo=bool" in unknown[1]
    assert _outcome(lambda: lib.gru(x, h, [params[0], 3], False, 1, 0.0, False, False,
                                    False)) == (
        "TypeError", "expected Tensor as element 1 in argument 2, but got int")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_functional_batch_first_output_node(lib):
    """torch's gru / rnn kernels transpose their batch-first output in place
    (TransposeBackward1); lstm's is a new view (TransposeBackward0)."""
    lib.manual_seed(0)
    x = lib.randn(2, 5, 3, dtype=lib.float64, requires_grad=True)
    h = lib.zeros(1, 2, 4, dtype=lib.float64)
    for name, gates, want in (("gru", 3, "TransposeBackward1"),
                              ("rnn_tanh", 1, "TransposeBackward1"),
                              ("rnn_relu", 1, "TransposeBackward1"),
                              ("lstm", 4, "TransposeBackward0")):
        hx = [h, h] if name == "lstm" else h
        out = getattr(lib, name)(x, hx, _params(lib, gates, 1, 1, True), True, 1, 0.0, False,
                                 False, True)[0]
        assert out.grad_fn.name() == want
        assert tuple(out.shape) == (2, 5, 4) and out.stride() == (4, 8, 1)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_functional_rnn_refuses_a_4d_input(lib):
    """torch's steps fail to broadcast a 4-D input (RuntimeError); a 4-D input used to run."""
    x = lib.randn(5, 2, 2, 3, dtype=lib.float64)
    got = _outcome(lambda: lib.rnn_tanh(x, lib.zeros(1, 2, 4, dtype=lib.float64),
                                        _params(lib, 1, 1, 1, True), True, 1, 0.0, False,
                                        False, False))
    assert got[0] == "RuntimeError"


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention's math kernel


def _half_sdpa(lib, shape, mask_kind=None, **options):
    lib.manual_seed(0)
    q, k, v = (lib.randn(*shape).half().requires_grad_() for _ in range(3))
    mask = None
    if mask_kind == "bool":
        mask = lib.rand(shape[-2], shape[-2]) < 0.6
    elif mask_kind == "float32":
        mask = lib.randn(shape[-2], shape[-2])
    elif mask_kind == "half":
        mask = lib.randn(shape[-2], shape[-2]).half()
    lib.manual_seed(1)
    out = lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, **options)
    out.backward(lib.ones_like(out))
    return out, q, k, v, mask


@pytest.mark.parametrize("mask_kind", [None, "bool", "float32", "half"])
def test_sdpa_half_math_kernel_computes_in_float32(mask_kind):
    """torch's math kernel casts float16 q, k, v to float32, attends, and casts the
    result back (ToCopyBackward0): the result is the float32 computation rounded once,
    and a float32 mask is taken with a float16 query."""
    out, q, k, v, mask = _half_sdpa(torchlet, (2, 3, 4), mask_kind)
    assert out.dtype == torchlet.float16 and out.grad_fn.name() == "ToCopyBackward0"
    single = [t.detach().float().requires_grad_() for t in (q, k, v)]
    ref = torchlet.nn.functional.scaled_dot_product_attention(
        *single, attn_mask=mask if mask is None or mask.dtype == torchlet.bool else
        mask.float())
    ref.backward(torchlet.ones_like(ref))
    assert np.array_equal(out.detach().numpy(), ref.detach().half().numpy())
    for mine, want in zip((q, k, v), single, strict=True):
        assert np.array_equal(mine.grad.numpy(), want.grad.half().numpy())
    if _torch is not None:
        theirs = _half_sdpa(_torch, (2, 3, 4), mask_kind)
        for mine, want in zip((out, q.grad, k.grad, v.grad),
                              (theirs[0], theirs[1].grad, theirs[2].grad, theirs[3].grad),
                              strict=True):
            assert np.array_equal(mine.detach().numpy(), want.detach().numpy())


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_sdpa_math_kernel_nodes(lib):
    lib.manual_seed(0)
    q = lib.randn(2, 3, 4, requires_grad=True)
    mask = lib.tensor([[True, False, False], [False, False, False], [True, True, True]])
    out = lib.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    assert _node_names(out) == [
        "UnsafeViewBackward0", "BmmBackward0", "ViewBackward0", "ExpandBackward0",
        "SafeSoftmaxBackward0", "AddBackward0", "UnsafeViewBackward0", "BmmBackward0",
        "ViewBackward0", "ExpandBackward0", "MulBackward1", "torch::autograd::AccumulateGrad"]
    # a query with nothing to attend to: zeros, and no gradient through its row
    assert np.array_equal(out[:, 1].detach().numpy(), np.zeros((2, 4), np.float32))
    (grad,) = lib.autograd.grad(out[:, 1].sum() * 0 + out[:, 0].sum(), q, create_graph=True)
    assert np.isfinite(grad.detach().numpy()).all()
    (gg,) = lib.autograd.grad(grad.sum(), q)
    assert np.isfinite(gg.numpy()).all()


def test_sdpa_safe_softmax_gradgradcheck():
    torchlet.manual_seed(0)
    q = torchlet.randn(2, 3, 2, dtype=torchlet.float64, requires_grad=True)
    k = torchlet.randn(2, 4, 2, dtype=torchlet.float64, requires_grad=True)
    v = torchlet.randn(2, 4, 3, dtype=torchlet.float64, requires_grad=True)
    mask = torchlet.tensor([[True, True, False, True], [False] * 4, [True, False, True, True]])

    def fn(q, k, v):
        return torchlet.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    assert torchlet.autograd.gradcheck(fn, (q, k, v))
    assert torchlet.autograd.gradgradcheck(fn, (q, k, v))


# ---------------------------------------------------------------------------------------
# sampled differential test


def _draw(i):
    rng = np.random.default_rng(2000 + i)
    if i % 2 == 0:  # a float16 attention on the math kernel
        shape = [(2, 3, 4), (1, 2, 3, 4), (3, 2, 2)][rng.integers(3)]
        options = {"dropout_p": [0.0, 0.3][rng.integers(2)] if len(shape) == 4 else 0.0,
                   "is_causal": bool(rng.random() < 0.3)}
        if len(shape) == 4 and options["dropout_p"] == 0.0:
            options["dropout_p"] = 0.3  # (4-D without dropout is torch's flash kernel)
        mask = None if options["is_causal"] else [None, "bool", "float32", "half"][
            rng.integers(4)]
        return "sdpa", (shape, mask), options
    name = str(rng.choice(["lstm", "gru", "rnn_tanh", "rnn_relu"]))
    layers, bidirectional = int(rng.integers(1, 3)), bool(rng.random() < 0.5)
    bias, batch_first = bool(rng.random() < 0.6), bool(rng.random() < 0.5)
    train, dropout = bool(rng.random() < 0.5), float(rng.choice([0.0, 0.5]))
    return name, (layers, bidirectional, bias, batch_first), {"train": train,
                                                              "dropout": dropout}


def _run(lib, case):
    kind, args, options = case
    if kind == "sdpa":
        out, q, k, v, _ = _half_sdpa(lib, *args, **options)
        return [out, q.grad, k.grad, v.grad], [out.grad_fn.name()]
    layers, bidirectional, bias, batch_first = args
    lib.manual_seed(5)
    directions = 2 if bidirectional else 1
    gates = {"lstm": 4, "gru": 3}.get(kind, 1)
    params = [p.requires_grad_() for p in _params(lib, gates, layers, directions, bias)]
    x = lib.randn(*((2, 3, 3) if batch_first else (3, 2, 3)), dtype=lib.float64,
                  requires_grad=True)
    h = lib.randn(layers * directions, 2, 4, dtype=lib.float64, requires_grad=True)
    hx = [h, h * 0.5] if kind == "lstm" else h
    lib.manual_seed(6)
    outs = getattr(lib, kind)(x, hx, params, bias, layers, options["dropout"],
                              options["train"], bidirectional, batch_first)
    grads = lib.autograd.grad(sum((o * o).sum() for o in outs), [x, h] + params)
    return list(outs) + list(grads), [o.grad_fn.name() for o in outs]


SAMPLED = [_draw(i) for i in range(24)]


@needs_torch
@pytest.mark.parametrize("index", range(len(SAMPLED)))
def test_sampled_cases_match_torch(index):
    case = SAMPLED[index]
    mine, my_nodes = _run(torchlet, case)
    theirs, their_nodes = _run(_torch, case)
    assert my_nodes == their_nodes
    for a, b in zip(mine, theirs, strict=True):
        a, b = a.detach().numpy(), b.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype
        if a.dtype == np.float16:
            assert np.array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


def test_sampled_cases_run_without_torch():
    for case in SAMPLED[:8]:
        values, nodes = _run(torchlet, case)
        assert all(np.isfinite(v.detach().numpy()).all() for v in values)
        if case[0] == "sdpa":
            assert nodes == ["ToCopyBackward0"] and values[0].dtype == torchlet.float16

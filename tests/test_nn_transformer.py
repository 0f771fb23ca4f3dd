"""scaled_dot_product_attention, MultiheadAttention and the Transformer layers against
torch.

Live comparisons (skipped without torch): same seed -> same parameters bit for bit;
outputs, attention weights and the gradients of the inputs and every parameter agree to
float32 rounding, in eval mode and in train mode with dropout (the masks come from the
shared generator in torch's order); reprs, warnings and error messages are torch's.
Without torch: float64 gradcheck and gradgradcheck.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet import nn
from torchlet.autograd import gradcheck, gradgradcheck
from torchlet.nn import functional as F

RTOL, ATOL = 1e-5, 1e-5


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _np(t):
    return t.detach().numpy()


def _close(a, b, msg="", rtol=RTOL, atol=ATOL):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, msg
    assert a.dtype == b.dtype, msg
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=msg)


def _error_of(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)
    return None


# ---------------------------------------------------------------------------------------
# scaled_dot_product_attention

RNG = np.random.default_rng(0)
Q = RNG.standard_normal((2, 3, 4, 8)).astype(np.float32)
K = RNG.standard_normal((2, 3, 5, 8)).astype(np.float32)
V = RNG.standard_normal((2, 3, 5, 6)).astype(np.float32)
BOOL_MASK = RNG.random((4, 5)) > 0.3
BOOL_MASK[1] = False  # a query that may attend to nothing
FLOAT_MASK = RNG.standard_normal((3, 4, 5)).astype(np.float32)

SDPA_CASES = {
    "plain": {},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.7},
    "negative_scale": {"scale": -0.4},
    "bool_mask": {"attn_mask": "bool"},
    "float_mask": {"attn_mask": "float"},
    "dropout": {"dropout_p": 0.4},
    "dropout_bool_mask": {"dropout_p": 0.3, "attn_mask": "bool"},
}


def _sdpa_run(lib, fn, options, q=Q, k=K, v=V):
    options = dict(options)
    if options.get("attn_mask") == "bool":
        options["attn_mask"] = lib.tensor(BOOL_MASK)
    elif options.get("attn_mask") == "float":
        options["attn_mask"] = lib.tensor(FLOAT_MASK)
    leaves = [lib.tensor(x, requires_grad=True) for x in (q, k, v)]
    lib.manual_seed(3)
    out = fn(*leaves, **options)
    weight = np.arange(out.numel(), dtype=out.detach().numpy().dtype).reshape(
        tuple(out.shape)) / out.numel()
    (out * lib.tensor(weight)).sum().backward()
    return out, [x.grad for x in leaves]


@pytest.mark.parametrize("case", sorted(SDPA_CASES))
def test_sdpa_matches_torch(torch, case):
    out_t, grads_t = _sdpa_run(torch, torch.nn.functional.scaled_dot_product_attention,
                               SDPA_CASES[case])
    out_o, grads_o = _sdpa_run(torchlet, F.scaled_dot_product_attention, SDPA_CASES[case])
    _close(out_t, out_o, "output")
    for name, a, b in zip("qkv", grads_t, grads_o, strict=True):
        assert np.isfinite(_np(b)).all()
        _close(a, b, f"grad {name}")
    if "dropout_p" in SDPA_CASES[case]:
        assert torch.rand(1).item() == torchlet.rand(1).item()


def test_sdpa_fully_masked_row_is_zero():
    out, grads = _sdpa_run(torchlet, F.scaled_dot_product_attention, {"attn_mask": "bool"})
    assert np.array_equal(_np(out)[:, :, 1], np.zeros((2, 3, 6), np.float32))
    assert all(np.isfinite(_np(g)).all() for g in grads)


def test_sdpa_float64_and_gqa(torch):
    rng = np.random.default_rng(1)
    q = rng.standard_normal((1, 4, 3, 2))
    k = rng.standard_normal((1, 2, 5, 2))
    v = rng.standard_normal((1, 1, 5, 2))
    out_t, grads_t = _sdpa_run(torch, torch.nn.functional.scaled_dot_product_attention,
                               {"enable_gqa": True}, q, k, v)
    out_o, grads_o = _sdpa_run(torchlet, F.scaled_dot_product_attention,
                               {"enable_gqa": True}, q, k, v)
    assert out_o.dtype == torchlet.float64
    _close(out_t, out_o, rtol=1e-12, atol=1e-12)
    for a, b in zip(grads_t, grads_o, strict=True):
        _close(a, b, rtol=1e-12, atol=1e-12)


def test_sdpa_broadcast_mask_and_2d_inputs(torch):
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((3, 4), (5, 4), (5, 2)))
    mask = rng.random((1, 5)) > 0.5
    outs = []
    for lib, fn in ((torch, torch.nn.functional.scaled_dot_product_attention),
                    (torchlet, F.scaled_dot_product_attention)):
        outs.append(fn(lib.tensor(q), lib.tensor(k), lib.tensor(v),
                       attn_mask=lib.tensor(mask)))
    _close(outs[0], outs[1])


def _sdpa_error_cases(lib):
    f = lib.nn.functional.scaled_dot_product_attention
    q, k, v = lib.zeros(2, 3, 4), lib.zeros(2, 5, 4), lib.zeros(2, 5, 6)
    return {
        "dtype": lambda: f(q, k.double(), v),
        "dim": lambda: f(lib.zeros(4), k, v),
        "mask_dtype": lambda: f(q, k, v, attn_mask=lib.zeros(3, 5, dtype=lib.int64)),
        "mask_double": lambda: f(q, k, v, attn_mask=lib.zeros(3, 5, dtype=lib.float64)),
        "causal_with_mask": lambda: f(q, k, v, attn_mask=lib.zeros(3, 5), is_causal=True),
        "mask_shape": lambda: f(q, k, v, attn_mask=lib.zeros(4, 5)),
        "key_features": lambda: f(q, lib.zeros(2, 5, 3), v),
        "value_length": lambda: f(q, k, lib.zeros(2, 4, 6)),
        "batch": lambda: f(q, lib.zeros(3, 5, 4), lib.zeros(3, 5, 6)),
        "gqa_heads": lambda: f(lib.zeros(1, 4, 3, 2), lib.zeros(1, 3, 5, 2),
                               lib.zeros(1, 3, 5, 2), enable_gqa=True),
        "heads_without_gqa": lambda: f(lib.zeros(1, 4, 3, 2), lib.zeros(1, 2, 5, 2),
                                       lib.zeros(1, 2, 5, 2)),
        "integer": lambda: f(q.long(), k.long(), v.long()),
        "dropout_p": lambda: f(q, k, v, dropout_p=1.5),
    }


@pytest.mark.parametrize("case", sorted(_sdpa_error_cases(torchlet)))
def test_sdpa_errors_match_torch(torch, case):
    theirs = _error_of(_sdpa_error_cases(torch)[case])
    assert theirs is not None
    assert _error_of(_sdpa_error_cases(torchlet)[case]) == theirs


@pytest.mark.parametrize("options", [{}, {"is_causal": True}, {"scale": -0.5},
                                     {"attn_mask": "float"}, {"enable_gqa": True}])
def test_sdpa_gradcheck_float64(options):
    rng = np.random.default_rng(4)
    shapes = ((1, 2, 3, 2), (1, 1, 4, 2), (1, 1, 4, 3)) if options.get("enable_gqa") else (
        (2, 3, 2), (2, 4, 2), (2, 4, 3))
    inputs = [torchlet.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    if options.get("attn_mask") == "float":
        options = {"attn_mask": torchlet.tensor(rng.standard_normal((3, 4)))}

    def fn(*xs):
        return F.scaled_dot_product_attention(*xs, **options)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_sdpa_masked_row_gradcheck_float64():
    rng = np.random.default_rng(5)
    inputs = [torchlet.tensor(rng.standard_normal(s), requires_grad=True)
              for s in ((3, 2), (4, 2), (4, 2))]
    mask = torchlet.tensor(np.array([[True] * 4, [False] * 4, [True, False, True, False]]))
    assert gradcheck(lambda *xs: F.scaled_dot_product_attention(*xs, attn_mask=mask), inputs)


# ---------------------------------------------------------------------------------------
# MultiheadAttention

E = 8


def _mha_pair(torch, **options):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, 2, **options)
    torchlet.manual_seed(0)
    ours = nn.MultiheadAttention(E, 2, **options)
    return theirs, ours


MHA_OPTIONS = [{}, {"batch_first": True}, {"bias": False}, {"add_bias_kv": True},
               {"add_zero_attn": True}, {"kdim": 3, "vdim": 5}, {"dropout": 0.3}]


@pytest.mark.parametrize("options", MHA_OPTIONS, ids=str)
def test_mha_parameters_bit_identical(torch, options):
    theirs, ours = _mha_pair(torch, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        assert np.array_equal(_np(q), _np(p)), n
    assert repr(ours) == repr(theirs)


CALL_OPTIONS = {
    "default": {},
    "no_weights": {"need_weights": False},
    "per_head_weights": {"average_attn_weights": False},
    "key_padding": {"kpm": True},
    "bool_mask": {"mask": "bool"},
    "float_mask_and_padding": {"mask": "float", "kpm": True},
    "causal": {"mask": "causal", "need_weights": False, "is_causal": True},
    "mask_3d": {"mask": "3d"},
    "float_padding": {"kpm": "float"},
}


def _mha_run(lib, module, options, call, self_attention):
    rng = np.random.default_rng(6)
    batch_first = options.get("batch_first", False)
    length, source, batch = 4, 5, 3
    if self_attention:
        source = length
    kdim, vdim = options.get("kdim", E), options.get("vdim", E)

    def layout(seq, features):
        return (batch, seq, features) if batch_first else (seq, batch, features)

    q = rng.standard_normal(layout(length, E)).astype(np.float32)
    k = rng.standard_normal(layout(source, kdim)).astype(np.float32)
    v = rng.standard_normal(layout(source, vdim)).astype(np.float32)
    padding = rng.random((batch, source)) < 0.3
    padding[:, 0] = False
    query = lib.tensor(q, requires_grad=True)
    if self_attention:
        key = value = query
    else:
        key, value = lib.tensor(k, requires_grad=True), lib.tensor(v, requires_grad=True)
    kwargs = {k_: v_ for k_, v_ in call.items() if k_ not in ("kpm", "mask")}
    if call.get("kpm") is True:
        kwargs["key_padding_mask"] = lib.tensor(padding)
    elif call.get("kpm") == "float":
        kwargs["key_padding_mask"] = lib.tensor(np.where(padding, -1e4, 0.0).astype(np.float32))
    mask = call.get("mask")
    if mask == "bool":
        kwargs["attn_mask"] = lib.tensor(np.triu(np.ones((length, source), bool), 1))
    elif mask == "float":
        kwargs["attn_mask"] = lib.tensor(
            np.arange(length * source, dtype=np.float32).reshape(length, source) / 10)
    elif mask == "causal":
        kwargs["attn_mask"] = lib.tensor(
            np.triu(np.full((length, source), -np.inf, np.float32), 1))
    elif mask == "3d":
        kwargs["attn_mask"] = lib.tensor(
            np.linspace(0, 1, batch * 2 * length * source, dtype=np.float32).reshape(
                batch * 2, length, source))
    lib.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, weights = module(query, key, value, **kwargs)
    (out * lib.tensor(np.arange(E, dtype=np.float32))).sum().backward()
    leaves = [query] if self_attention else [query, key, value]
    return out, weights, [x.grad for x in leaves]


@pytest.mark.parametrize("self_attention", [True, False])
@pytest.mark.parametrize("call", sorted(CALL_OPTIONS))
@pytest.mark.parametrize("options", MHA_OPTIONS, ids=str)
def test_mha_matches_torch(torch, options, call, self_attention):
    if "kdim" in options and self_attention:
        pytest.skip("kdim/vdim differ from embed_dim: not self-attention")
    theirs, ours = _mha_pair(torch, **options)
    out_t, w_t, g_t = _mha_run(torch, theirs, options, CALL_OPTIONS[call], self_attention)
    out_o, w_o, g_o = _mha_run(torchlet, ours, options, CALL_OPTIONS[call], self_attention)
    _close(out_t, out_o, "output")
    assert (w_t is None) == (w_o is None)
    if w_t is not None:
        _close(w_t, w_o, "weights")
    for a, b in zip(g_t, g_o, strict=True):
        _close(a, b, "input grad")
    for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        _close(p.grad, q.grad, n)


def test_mha_unbatched_matches_torch(torch):
    theirs, ours = _mha_pair(torch)
    rng = np.random.default_rng(7)
    q, k = rng.standard_normal((4, E)).astype(np.float32), rng.standard_normal(
        (6, E)).astype(np.float32)
    padding = np.array([False, False, True, False, False, True])
    results = []
    for lib, m in ((torch, theirs), (torchlet, ours)):
        results.append(m(lib.tensor(q), lib.tensor(k), lib.tensor(k),
                         key_padding_mask=lib.tensor(padding)))
    assert tuple(results[1][0].shape) == (4, E) and tuple(results[1][1].shape) == (4, 6)
    _close(results[0][0], results[1][0])
    _close(results[0][1], results[1][1])


def _mha_error_cases(lib):
    nn_ = lib.nn

    def m(**k):
        return nn_.MultiheadAttention(8, 2, **k)

    x = lib.zeros(4, 3, 8)
    return {
        "heads_zero": lambda: nn_.MultiheadAttention(8, 0),
        "not_divisible": lambda: nn_.MultiheadAttention(8, 3),
        "query_4d": lambda: m()(lib.zeros(1, 4, 3, 8), x, x),
        "key_2d": lambda: m()(x, lib.zeros(4, 8), x),
        "unbatched_query": lambda: m()(x[:, 0], x, x),
        "padding_dims": lambda: m()(x, x, x, key_padding_mask=lib.zeros(3, dtype=lib.bool)),
        "padding_batch": lambda: m()(x, x, x, key_padding_mask=lib.zeros(2, 4, dtype=lib.bool)),
        "padding_length": lambda: m()(x, x, x,
                                      key_padding_mask=lib.zeros(3, 5, dtype=lib.bool)),
        "padding_int": lambda: m()(x, x, x, key_padding_mask=lib.zeros(3, 4, dtype=lib.int64)),
        "mask_4d": lambda: m()(x, x, x, attn_mask=lib.zeros(1, 1, 4, 4)),
        "mask_2d_shape": lambda: m()(x, x, x, attn_mask=lib.zeros(3, 4)),
        "mask_3d_shape": lambda: m()(x, x, x, attn_mask=lib.zeros(5, 4, 4)),
        "unbatched_mask_3d": lambda: m()(x[:, 0], x[:, 0], x[:, 0],
                                         attn_mask=lib.zeros(3, 4, 4)),
        "embed_dim": lambda: m()(lib.zeros(4, 3, 6), lib.zeros(4, 3, 6), lib.zeros(4, 3, 6)),
        "key_value_shape": lambda: m()(x, x, lib.zeros(5, 3, 8)),
        "causal_without_mask": lambda: m()(x, x, x, is_causal=True),
        "kdim_weights": lambda: m(kdim=3, vdim=5)(x, lib.zeros(4, 3, 4), lib.zeros(4, 3, 5)),
        "kdim_lengths": lambda: m(kdim=3, vdim=5)(x, lib.zeros(4, 3, 3), lib.zeros(5, 3, 5)),
        "activation": lambda: nn_.TransformerEncoderLayer(8, 2, activation="tanh"),
        "transformer_batch": lambda: nn_.Transformer(8, 2, 1, 1, 16)(x, lib.zeros(4, 2, 8)),
        "transformer_features": lambda: nn_.Transformer(8, 2, 1, 1, 16)(
            x, lib.zeros(4, 3, 6)),
    }


@pytest.mark.parametrize("case", sorted(_mha_error_cases(torchlet)))
def test_mha_errors_match_torch(torch, case):
    theirs = _error_of(_mha_error_cases(torch)[case])
    assert theirs is not None
    assert _error_of(_mha_error_cases(torchlet)[case]) == theirs


def test_mha_gradcheck_float64():
    torchlet.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True).double()
    x = torchlet.randn(3, 2, 4, dtype=torchlet.float64, requires_grad=True)
    mask = torchlet.tensor([[False, False, True], [False, True, False]])

    def fn(x, *params):
        out, weights = mha(x, x, x, key_padding_mask=mask)
        return out, weights

    assert gradcheck(fn, (x,) + tuple(mha.parameters()))
    # without weights torch takes its CPU flash kernel, which has no double backward;
    # the math kernel has one
    with pytest.raises(RuntimeError, match="derivative for aten::_scaled_dot_product_flash"):
        gradgradcheck(lambda x: mha(x, x, x, need_weights=False)[0], (x,))
    with torchlet.nn.attention.sdpa_kernel(torchlet.nn.attention.SDPBackend.MATH):
        assert gradgradcheck(lambda x: mha(x, x, x, need_weights=False)[0], (x,))


def test_mismatched_mask_types_warn():
    mha = nn.MultiheadAttention(4, 2)
    x = torchlet.zeros(3, 1, 4)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and "
                                         "attn_mask is deprecated"):
        mha(x, x, x, key_padding_mask=torchlet.zeros(1, 3, dtype=torchlet.bool),
            attn_mask=torchlet.zeros(3, 3))


# ---------------------------------------------------------------------------------------
# transformer layers


class _Namespace:
    """``nn``-like access to both libraries' layers, for building the same model twice."""

    def __init__(self, lib):
        self.nn = lib.nn


def _build_both(torch, build):
    """The same model from both libraries after the same seed, with the same warnings."""
    built, messages = [], []
    for lib in (torch, torchlet):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.manual_seed(0)
            built.append(build(lib.nn))
        messages.append([str(w.message) for w in caught])
    assert messages[1] == messages[0]
    theirs, ours = built
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n, p), (_, q) in zip(theirs.named_parameters(), ours.named_parameters(), strict=True):
        assert np.array_equal(_np(q), _np(p)), n
    assert repr(ours) == repr(theirs)
    return theirs, ours


ENCODER_OPTIONS = [
    {"dropout": 0.0},
    {"dropout": 0.0, "batch_first": True},
    {"dropout": 0.0, "norm_first": True, "activation": "gelu"},
    {"dropout": 0.2},
    {"dropout": 0.1, "bias": False, "activation": "GELU-module"},
    {"dropout": 0.0, "batch_first": True, "layer_norm_eps": 1e-3, "nhead": 1},
]


def _encoder(options):
    def build(nn_):
        kwargs = dict(options)
        nhead = kwargs.pop("nhead", 2)
        if kwargs.get("activation") == "GELU-module":
            kwargs["activation"] = nn_.GELU()
        layer = nn_.TransformerEncoderLayer(E, nhead, 16, **kwargs)
        return nn_.TransformerEncoder(layer, 2, nn_.LayerNorm(E))
    return build


@pytest.mark.parametrize("train", [False, True])
@pytest.mark.parametrize("options", ENCODER_OPTIONS, ids=str)
def test_encoder_matches_torch(torch, options, train):
    theirs, ours = _build_both(torch, _encoder(options))
    theirs.train(train)
    ours.train(train)
    batch_first = options.get("batch_first", False)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 5, E) if batch_first else (5, 3, E)).astype(np.float32)
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    results = []
    for lib, m in ((torch, theirs), (torchlet, ours)):
        xs = lib.tensor(x, requires_grad=True)
        lib.manual_seed(2)
        causal = lib.tensor(np.triu(np.full((5, 5), -np.inf, np.float32), 1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = m(xs, mask=causal, src_key_padding_mask=lib.tensor(padding))
        (out * lib.tensor(np.arange(E, dtype=np.float32))).sum().backward()
        results.append((out, xs.grad, m))
    (ot, gt, mt), (oo, go, mo) = results
    _close(ot, oo, "output")
    _close(gt, go, "input grad")
    for (n, p), (_, q) in zip(mt.named_parameters(), mo.named_parameters(), strict=True):
        _close(p.grad, q.grad, n)
    if train and options["dropout"] > 0:
        assert torch.rand(1).item() == torchlet.rand(1).item()


def test_encoder_layers_are_copies():
    layer = nn.TransformerEncoderLayer(E, 2, 16)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        encoder = nn.TransformerEncoder(layer, 3)
    assert len(encoder.layers) == 3
    first = dict(layer.named_parameters())
    for copy_ in encoder.layers:
        for name, p in copy_.named_parameters():
            assert p is not first[name]
            assert torchlet.equal(p, first[name])


def test_encoder_nested_tensor_warning():
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but "
                                         "self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16), 1)


def test_encoder_zeroes_padding_like_torchs_nested_path(torch):
    """In eval mode without grad, torch runs a padded batch as a nested tensor: the output
    is zero at the padded positions (before the final norm)."""
    def build(nn_):
        layer = nn_.TransformerEncoderLayer(E, 2, 16, batch_first=True)
        return nn_.TransformerEncoder(layer, 2)

    theirs, ours = _build_both(torch, build)
    theirs.eval()
    ours.eval()
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 5, E)).astype(np.float32)
    padding = np.zeros((3, 5), bool)
    padding[1, 3:] = True
    padding[2, 4:] = True
    for mask, zeroed in ((padding, True), (padding[:, ::-1].copy(), False)):
        outs = []
        for lib, m in ((torch, theirs), (torchlet, ours)):
            with lib.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outs.append(m(lib.tensor(x), src_key_padding_mask=lib.tensor(mask)))
        _close(outs[0], outs[1])
        for out in outs:  # zero exactly where torch pads a nested tensor
            assert (not _np(out)[mask].any()) == zeroed


@pytest.mark.parametrize("options", [{"dropout": 0.0}, {"dropout": 0.0, "batch_first": True,
                                                        "norm_first": True},
                                     {"dropout": 0.3, "activation": "gelu"}], ids=str)
def test_decoder_matches_torch(torch, options):
    def build(nn_):
        return nn_.TransformerDecoder(nn_.TransformerDecoderLayer(E, 2, 16, **options), 2,
                                      nn_.LayerNorm(E))

    theirs, ours = _build_both(torch, build)
    batch_first = options.get("batch_first", False)
    rng = np.random.default_rng(10)
    tgt = rng.standard_normal((3, 4, E) if batch_first else (4, 3, E)).astype(np.float32)
    memory = rng.standard_normal((3, 6, E) if batch_first else (6, 3, E)).astype(np.float32)
    memory_padding = np.zeros((3, 6), bool)
    memory_padding[1, 4:] = True
    results = []
    for lib, m, generate in ((torch, theirs, torch.nn.Transformer),
                             (torchlet, ours, nn.Transformer)):
        t, mem = lib.tensor(tgt, requires_grad=True), lib.tensor(memory, requires_grad=True)
        lib.manual_seed(2)
        out = m(t, mem, tgt_mask=generate.generate_square_subsequent_mask(4),
                memory_key_padding_mask=lib.tensor(memory_padding))
        out.sum().backward()
        results.append((out, t.grad, mem.grad, m))
    (ot, tt, mt, lt), (oo, to, mo, lo) = results
    _close(ot, oo)
    _close(tt, to)
    _close(mt, mo)
    for (n, p), (_, q) in zip(lt.named_parameters(), lo.named_parameters(), strict=True):
        _close(p.grad, q.grad, n)


def test_transformer_matches_torch(torch):
    theirs, ours = _build_both(torch, lambda nn_: nn_.Transformer(E, 2, 2, 1, 16, dropout=0.1))
    rng = np.random.default_rng(11)
    src = rng.standard_normal((5, 3, E)).astype(np.float32)
    tgt = rng.standard_normal((4, 3, E)).astype(np.float32)
    results = []
    for lib, m in ((torch, theirs), (torchlet, ours)):
        lib.manual_seed(4)
        out = m(lib.tensor(src), lib.tensor(tgt),
                tgt_mask=m.generate_square_subsequent_mask(4))
        out.sum().backward()
        results.append((out, m))
    _close(results[0][0], results[1][0])
    for (n, p), (_, q) in zip(results[0][1].named_parameters(),
                              results[1][1].named_parameters(), strict=True):
        _close(p.grad, q.grad, n)


def test_square_subsequent_mask(torch):
    ours = nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert np.array_equal(_np(ours), theirs.numpy())
    assert ours.dtype == torchlet.float32


def test_encoder_layer_gradcheck_float64():
    torchlet.manual_seed(0)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu",
                                       norm_first=True).double()
    x = torchlet.randn(3, 2, 4, dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(lambda x, *ps: layer(x), (x,) + tuple(layer.parameters()))


def test_mha_inference_matches_torchs_fast_path(torch):
    """Eval mode without grad: torch takes its fused kernel; same numbers to rounding."""
    theirs, ours = _mha_pair(torch, batch_first=True)
    theirs.eval()
    ours.eval()
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 5, E)).astype(np.float32)
    padding = np.zeros((3, 5), bool)
    padding[0, 4:] = True
    outs = []
    for lib, m in ((torch, theirs), (torchlet, ours)):
        with lib.no_grad():
            t = lib.tensor(x)
            outs.append(m(t, t, t, key_padding_mask=lib.tensor(padding)))
    _close(outs[0][0], outs[1][0])
    _close(outs[0][1], outs[1][1])

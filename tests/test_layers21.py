"""Layers with unusual options (helper layers21): EmbeddingBag's fbgemm mean with an
included last offset short of the end, its sparse backward there; MultiheadAttention's
bool masks made additive for an integer query, its fused kernel's embed_dim check (and
TransformerEncoderLayer's fused kernel on an empty input); reflection/replication padding
of bool tensors; and a sampled differential test of modules with option combinations
(same seed -> same parameters, outputs, gradients and node names as torch)."""

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
            return type(e).__name__, str(e).split("\n")[0]


# ---------------------------------------------------------------------------------------
# EmbeddingBag: an included last offset short of the end, on torch's fbgemm kernel
# (float32/float16, no padding_idx, mode sum or mean)

W8 = np.arange(8.0).reshape(4, 2) + 1  # rows [1, 2], [3, 4], [5, 6], [7, 8]

# (indices, offsets, mean output, weight gradient for grad_output = 1, 2, ...), by hand:
# the sum of bag b stops at the last offset, but the mean divides by torch's bag size
# (the last bag runs on to the end), and the backward puts the positions past the last
# offset into the last bag
SHORT_LAST = [
    ([0, 1, 0], [0, 1, 2], [[1, 2], [1.5, 2]], [[2.5, 4], [1.5, 2], [0, 0], [0, 0]]),
    ([0, 1, 2, 3], [0, 1, 1], [[1, 2], [0, 0]],
     [[1, 2], [1, 4 / 3], [1, 4 / 3], [1, 4 / 3]]),
    ([0, 1, 0, 3], [0, 2, 3], [[2, 3], [0.5, 1]], [[2, 3], [0.5, 1], [0, 0], [1.5, 2]]),
    ([0, 1, 2, 3], [0, 2], [[1, 1.5]], [[0.25, 0.5]] * 4),
]


def _bag_mean(lib, dtype, idx, offs, padding_idx=None):
    w = lib.tensor(W8, dtype=getattr(lib, dtype), requires_grad=True)
    out = lib.nn.functional.embedding_bag(lib.tensor(idx), w, lib.tensor(offs), mode="mean",
                                          include_last_offset=True, padding_idx=padding_idx)
    out.backward(lib.arange(1, out.numel() + 1, dtype=out.dtype).reshape(out.shape))
    return out, w.grad


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("case", range(len(SHORT_LAST)))
def test_fbgemm_mean_divides_by_the_run_on_bag_size(dtype, case):
    idx, offs, want_out, want_grad = SHORT_LAST[case]
    out, grad = _bag_mean(torchlet, dtype, idx, offs)
    np.testing.assert_allclose(out.detach().numpy(), want_out, rtol=1e-3)
    np.testing.assert_allclose(grad.numpy(), want_grad, rtol=1e-3)
    if _torch is not None:
        t_out, t_grad = _bag_mean(_torch, dtype, idx, offs)
        assert np.array_equal(out.detach().numpy(), t_out.detach().numpy())
        assert np.array_equal(grad.numpy(), t_grad.numpy())


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_other_kernels_run_the_last_bag_on_in_both_directions(lib):
    """float64 (and any padding_idx) takes torch's other kernel: the last bag runs on to
    the end in the sum too."""
    out, grad = _bag_mean(lib, "float64", [0, 1, 0], [0, 1, 2])
    assert out.tolist() == [[1, 2], [2, 3]]  # (rows 1 + 0) / 2
    assert grad.tolist() == [[2.5, 4], [1.5, 2], [0, 0], [0, 0]]  # [1, 2] + [3, 4] / 2
    out, grad = _bag_mean(lib, "float32", [0, 1, 0], [0, 1, 2], padding_idx=3)
    assert out.tolist() == [[1, 2], [2, 3]]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_fbgemm_mean_returns_torchs_bag_sizes(lib):
    w = lib.tensor(W8, dtype=lib.float32)
    out, offset2bag, bag_size, _ = lib.embedding_bag(
        w, lib.tensor([0, 1, 2, 3]), lib.tensor([0, 2, 3]), False, 1, False, None, True)
    assert offset2bag.tolist() == [0, 0, 1, 1] and bag_size.tolist() == [2, 2]
    assert out.tolist() == [[2, 3], [2.5, 3]]  # row 2 / 2


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_fbgemm_sparse_sum_past_the_last_offset_fails_in_backward(lib):
    """torch's sparse backward rebuilds offset2bag from all the offsets: a position past
    an included last offset lands in a bag that does not exist."""
    lib.manual_seed(0)
    m = lib.nn.EmbeddingBag(2, 2, sparse=True, mode="sum", include_last_offset=True)
    out = m(lib.tensor([0, 1]), lib.tensor([0, 1]))
    assert out.tolist()[0] == m.weight[0].tolist()
    assert _outcome(lambda: out.sum().backward()) == ("IndexError",
                                                      "index out of range in self")
    out = m(lib.tensor([0, 1]), lib.tensor([0, 2]))  # (ends at the end: fine)
    out.sum().backward()
    assert m.weight.grad.to_dense().tolist() == [[1, 1], [1, 1]]


# ---------------------------------------------------------------------------------------
# MultiheadAttention / TransformerEncoderLayer


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("which", ["key_padding_mask", "attn_mask"])
def test_bool_mask_of_an_integer_query_fails_in_masked_fill(lib, which):
    """A bool mask becomes zeros_like(mask, dtype=query.dtype).masked_fill_(mask, -inf):
    -inf does not fit an integer type, True entries or not."""
    m = lib.nn.MultiheadAttention(4, 2)
    q = lib.ones(2, 3, 4, dtype=lib.int64)
    mask = lib.zeros((3, 2) if which == "key_padding_mask" else (2, 2), dtype=lib.bool)
    assert _outcome(lambda: m(q, q, q, **{which: mask})) == (
        "RuntimeError", "value cannot be converted to type int64_t without overflow")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("shape", [(2, 2, 3), (0, 2, 3), (2, 2, 0), (2, 2, 5)])
def test_fast_path_checks_the_embedding_size_first(lib, shape):
    lib.manual_seed(0)
    m = lib.nn.MultiheadAttention(4, 2, batch_first=True).eval()
    x = lib.ones(*shape)
    with lib.no_grad():
        got = _outcome(lambda: m(x, x, x))
    assert got == ("RuntimeError",
                   f"passed-in embed_dim 4 didn't match last dim of query {shape[2]}")
    # the ordinary path (gradients wanted) asserts instead
    got = _outcome(lambda: m(x, x, x))
    assert got == ("AssertionError",
                   f"was expecting embedding dimension of 4, but got {shape[2]}")


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_fast_path_copies_an_empty_input(lib, norm_first):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(4, 2, 8, batch_first=True,
                                           norm_first=norm_first).eval()
    with lib.no_grad():
        for shape in [(0, 2, 3), (2, 0, 3), (2, 2, 0), (0, 2, 4)]:
            x = lib.ones(*shape)
            out = layer(x, src_key_padding_mask=lib.zeros(shape[:2], dtype=lib.bool))
            assert tuple(out.shape) == shape and out is not x
        x = lib.ones(2, 2, 3)
        got = _outcome(lambda: layer(x))
    assert got == ("RuntimeError", "Given normalized_shape=[4], expected input with shape "
                   "[*, 4], but got input of size[2, 2, 3]" if norm_first else
                   "passed-in embed_dim 4 didn't match last dim of query 3")


# ---------------------------------------------------------------------------------------
# padding of bool tensors


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_edge_padding_of_bool_is_not_implemented(lib, mode, k):
    F = lib.nn.functional
    x = lib.zeros((2, 1) + (3,) * k, dtype=lib.bool)
    kernel = {"reflect": "reflection", "replicate": "replication"}[mode]
    assert _outcome(lambda: F.pad(x, (1, 1) * k, mode=mode)) == (
        "NotImplementedError", f"\"{kernel}_pad{k}d\" not implemented for 'Bool'")
    # the shape checks come first
    assert _outcome(lambda: F.pad(x, (-3, -3) * k, mode=mode))[0] == "RuntimeError"
    # circular and constant padding take bool
    assert F.pad(x, (1, 1) * k, mode="circular").dtype == lib.bool
    assert F.pad(x, (1, 1) * k).dtype == lib.bool


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_conv_module_pads_before_it_checks_dtypes(lib):
    m = lib.nn.Conv1d(2, 2, 3, padding=1, padding_mode="reflect")
    got = _outcome(lambda: m(lib.zeros(1, 2, 4, dtype=lib.bool)))
    assert got == ("NotImplementedError", "\"reflection_pad1d\" not implemented for 'Bool'")


# ---------------------------------------------------------------------------------------
# sampled differential test: modules with option combinations


def _draw(i):
    rng = np.random.default_rng(2100 + i)
    kind = ["conv", "rnn", "mha", "encoder", "bag"][i % 5]
    dtype = str(rng.choice(["float32", "float64"]))
    mode = str(rng.choice(["train", "eval", "nograd"]))
    if kind == "conv":
        nd, tr, g = int(rng.integers(1, 4)), bool(rng.random() < 0.4), int(rng.choice([1, 2]))
        kw = dict(stride=int(rng.choice([1, 2])), dilation=int(rng.choice([1, 2])), groups=g,
                  bias=bool(rng.random() < 0.6), padding=int(rng.choice([0, 1])))
        if tr:
            kw["output_padding"] = int(rng.integers(0, 2))
        else:
            kw["padding_mode"] = str(rng.choice(["zeros", "reflect", "replicate",
                                                 "circular"]))
            if rng.random() < 0.4:
                kw.update(padding="same", stride=1)
        args = (nd, tr, 2 * g, g * int(rng.integers(1, 3)), int(rng.integers(1, 4)))
        x = rng.standard_normal((2, 2 * g) + (int(rng.integers(4, 7)),) * nd)
    elif kind == "rnn":
        cls = str(rng.choice(["LSTM", "GRU", "RNN"]))
        kw = dict(num_layers=int(rng.integers(1, 3)), bidirectional=bool(rng.random() < 0.5),
                  batch_first=bool(rng.random() < 0.5), dropout=float(rng.choice([0, 0.5])))
        if cls == "LSTM" and rng.random() < 0.5:
            kw["proj_size"] = 2
        args = (cls,)
        x = rng.standard_normal((3, 2, 3))
    elif kind == "mha":
        kw = dict(add_bias_kv=bool(rng.random() < 0.3), add_zero_attn=bool(rng.random() < 0.3),
                  batch_first=True, bias=bool(rng.random() < 0.8))
        args = (str(rng.choice(["none", "bool", "float"])), bool(rng.random() < 0.5))
        x = rng.standard_normal((2, 3, 4))
    elif kind == "encoder":
        kw = dict(dim_feedforward=6, dropout=0.0, activation=str(rng.choice(["relu", "gelu"])),
                  batch_first=True, norm_first=bool(rng.random() < 0.5))
        args = (int(rng.integers(1, 3)),)
        x = rng.standard_normal((2, 4, 4))
    else:
        kw = dict(mode=str(rng.choice(["sum", "mean", "max"])),
                  include_last_offset=bool(rng.random() < 0.6))
        if kw["mode"] == "sum" or rng.random() < 0.3:
            kw["padding_idx"] = int(rng.integers(0, 5))  # (else fbgemm's sum reads past)
        args = ()
        x = rng.integers(0, 5, size=6)
    return kind, dtype, mode, args, kw, x


def _module(lib, kind, args, kw, x, dt):
    F = lib.nn
    if kind == "conv":
        nd, tr, cin, cout, k = args
        name = f"Conv{'Transpose' if tr else ''}{nd}d"
        return getattr(F, name)(cin, cout, k, **kw), [lib.tensor(x, dtype=dt)], {}
    if kind == "rnn":
        return getattr(F, args[0])(3, 4, **kw), [lib.tensor(x, dtype=dt)], {}
    if kind == "mha":
        mask_kind, need = args
        call = {"need_weights": need}
        padded = lib.tensor([[False, False, True], [False, False, False]])
        if mask_kind == "bool":
            call["key_padding_mask"] = padded
        elif mask_kind == "float":
            call["attn_mask"] = lib.tensor(np.triu(np.full((3, 3), -1.5), 1), dtype=dt)
        return F.MultiheadAttention(4, 2, **kw), [lib.tensor(x, dtype=dt)], call
    if kind == "encoder":
        layer = F.TransformerEncoderLayer(4, 2, **kw)
        mask = lib.tensor([[False] * 4, [False, False, True, True]])
        return (F.TransformerEncoder(layer, args[0], enable_nested_tensor=True),
                [lib.tensor(x, dtype=dt)], {"src_key_padding_mask": mask})
    return (F.EmbeddingBag(5, 3, **kw), [lib.tensor(x), lib.tensor([0, 2, 2, 4])], {})


def _run(lib, case):
    kind, dtype, mode, args, kw, x = case
    dt = getattr(lib, dtype)
    record = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib.manual_seed(7)
        m, inputs, call = _module(lib, kind, args, kw, x, dt)
        m = m.to(dt)
        if mode != "train":
            m.eval()
        record["names"] = list(m.state_dict())
        record["repr"] = repr(m)
        for name, p in m.named_parameters():
            record["param " + name] = p.detach().numpy().copy()
        for t in inputs:
            if t.is_floating_point():
                t.requires_grad_()
        lib.manual_seed(8)
        if kind == "mha":
            inputs = inputs * 3  # (self-attention: query is key is value)
        if mode == "nograd":
            with lib.no_grad():
                out = m(*inputs, **call)
        else:
            out = m(*inputs, **call)
    outs = [o for o in (out if isinstance(out, tuple) else (out,)) if o is not None]
    outs = [t for o in outs for t in (o if isinstance(o, tuple) else (o,))]
    for k, o in enumerate(outs):
        record[f"out{k}"] = o.detach().numpy().copy()
        record[f"node{k}"] = None if o.grad_fn is None else o.grad_fn.name()
    if mode != "nograd":
        wanted = [t for t in inputs[:1] if t.requires_grad] + list(m.parameters())
        g = np.random.default_rng(1)
        grads = [lib.tensor(g.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outs
                 if o.requires_grad]
        found = lib.autograd.grad([o for o in outs if o.requires_grad], wanted, grads,
                                  allow_unused=True)
        for k, t in enumerate(found):
            record[f"grad{k}"] = None if t is None else t.numpy().copy()
    return record


SAMPLED = [_draw(i) for i in range(30)]


@needs_torch
@pytest.mark.parametrize("index", range(len(SAMPLED)))
def test_sampled_modules_match_torch(index):
    case = SAMPLED[index]
    ours, theirs = _run(torchlet, case), _run(_torch, case)
    assert ours.keys() == theirs.keys()
    tol = 2e-5 if case[1] == "float32" else 1e-10
    for key, want in theirs.items():
        got = ours[key]
        if key.startswith("node") and case[0] == "rnn" and want and "Mkldnn" in want:
            continue  # (torch's float32 LSTM runs oneDNN: a documented difference)
        if not isinstance(want, np.ndarray):
            assert got == want, key
            continue
        assert got.shape == want.shape and got.dtype == want.dtype, key
        if key.startswith("param"):  # same seed, same draws
            assert np.array_equal(got, want), key
        elif want.size:
            scale = max(1.0, float(np.nanmax(np.abs(want))))
            np.testing.assert_allclose(got, want, rtol=0, atol=tol * scale, err_msg=key)


def test_sampled_modules_run_without_torch():
    for case in SAMPLED[:10]:
        record = _run(torchlet, case)
        for key, value in record.items():
            if key.startswith(("out", "grad")) and value is not None:
                assert np.isfinite(value).all() or case[0] == "encoder", key
        assert record["names"] and record["repr"]

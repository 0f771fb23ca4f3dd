"""Regression tests for sweep 12, group E (autograd hooks and nn fixes).

1. a post-accumulate-grad hook may return the tensor itself (torch's docstring example);
2. a second backward through embedding / embedding_bag raises torch's error (the indices
   are saved through save_for_backward, so they are freed and version-checked);
3. scaled_dot_product_attention takes attn_mask together with is_causal where torch 2.13
   runs its CPU flash kernel (4-D, no dropout, ...), and raises torch's error elsewhere;
4. nn.LSTMCell refuses a batched hx that is a single Tensor, with torch's TypeError;
5. batch_norm / group_norm / layer_norm / rms_norm outputs are laid out as torch's.

Each test checks a hand-derived expectation and, when torch is importable, torch itself.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import gradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

SECOND_TIME = "Trying to backward through the graph a second time"


def _error(fn):
    """(type name, message) of what fn raises, or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)
    return None


# ---------------------------------------------------------------------------------------
# 1. post-accumulate-grad hooks


def _hook_step(lib):
    v = lib.tensor([0.0, 0.0, 0.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda p: p.add_(p.grad, alpha=-0.01))
    v.backward(lib.tensor([1.0, 2.0, 3.0]))
    return v


def test_post_accumulate_hook_may_return_the_tensor_itself():
    v = _hook_step(torchlet)
    np.testing.assert_array_equal(v.detach().numpy(), np.float32([-0.01, -0.02, -0.03]))
    assert v.grad.tolist() == [1.0, 2.0, 3.0]
    if torch is not None:
        np.testing.assert_array_equal(v.detach().numpy(), _hook_step(torch).detach().numpy())


_BAD_RESULTS = [
    ("detach", lambda lib, p: p.detach()),
    ("grad", lambda lib, p: p.grad),
    ("size", lambda lib, p: lib.zeros(2)),
    ("dtype", lambda lib, p: lib.zeros(3, dtype=lib.float64)),
    ("tuple", lambda lib, p: (p,)),
    ("int", lambda lib, p: 3),
]


def _bad_hook_error(lib, make):
    w = lib.ones(3, requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda p: make(lib, p))
    return _error(lambda: (w * 2).sum().backward())


@pytest.mark.parametrize("name,make", _BAD_RESULTS, ids=[n for n, _ in _BAD_RESULTS])
def test_post_accumulate_hook_other_results_still_raise(name, make):
    expected = {
        "detach": ("RuntimeError", "Tensor post accumulate grad hooks should return None."),
        "grad": ("RuntimeError", "Tensor post accumulate grad hooks should return None."),
        "size": ("RuntimeError", "hook '<lambda>' has changed the size of value"),
        "dtype": ("RuntimeError", "hook '<lambda>' has changed the type of value (was "
                                  "torch.FloatTensor got torch.DoubleTensor)"),
        "tuple": ("TypeError", "expected Variable, but hook returned 'tuple'"),
        "int": ("TypeError", "expected Variable, but hook returned 'int'"),
    }[name]
    assert _bad_hook_error(torchlet, make) == expected
    if torch is not None:
        assert _bad_hook_error(torch, make) == expected


def _later_hooks_see(lib):
    """A replacing hook's result goes to the hooks after it; the error comes at the end."""
    w = lib.ones(3, requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda p: p.detach())
    w.register_post_accumulate_grad_hook(lambda p: seen.append(p is w))
    error = _error(lambda: (w * 2).sum().backward())
    return seen, error


def test_post_accumulate_hook_replacement_reaches_later_hooks_then_raises():
    seen, error = _later_hooks_see(torchlet)
    assert seen == [False]
    assert error == ("RuntimeError", "Tensor post accumulate grad hooks should return None.")
    if torch is not None:
        assert _later_hooks_see(torch) == (seen, error)


# ---------------------------------------------------------------------------------------
# 2. a second backward through embedding


_EMBEDDINGS = [
    ("embedding", lambda lib, w, i: lib.nn.functional.embedding(i, w)),
    ("padding_idx", lambda lib, w, i: lib.nn.functional.embedding(i, w, padding_idx=2)),
    ("scale_grad_by_freq",
     lambda lib, w, i: lib.nn.functional.embedding(i, w, scale_grad_by_freq=True)),
    ("2-D indices", lambda lib, w, i: lib.nn.functional.embedding(i.view(1, 3), w)),
    ("bag sum", lambda lib, w, i: lib.nn.functional.embedding_bag(
        i, w, lib.tensor([0, 2]), mode="sum")),
    ("bag mean", lambda lib, w, i: lib.nn.functional.embedding_bag(
        i, w, lib.tensor([0, 2]), mode="mean")),
    ("bag max", lambda lib, w, i: lib.nn.functional.embedding_bag(
        i, w, lib.tensor([0, 2]), mode="max")),
]


def _backward_twice(lib, make):
    w = lib.ones(10, 3, requires_grad=True)
    out = make(lib, w, lib.tensor([1, 2, 2]))
    out.sum().backward()
    first = w.grad.clone()
    return first, _error(lambda: out.sum().backward())


@pytest.mark.parametrize("name,make", _EMBEDDINGS, ids=[n for n, _ in _EMBEDDINGS])
def test_embedding_second_backward_raises(name, make):
    first, error = _backward_twice(torchlet, make)
    assert error is not None and error[0] == "RuntimeError"
    assert error[1].startswith(SECOND_TIME)
    assert float(first.sum()) > 0  # the first backward did run
    if torch is not None:
        t_first, t_error = _backward_twice(torch, make)
        np.testing.assert_allclose(first.numpy(), t_first.numpy(), rtol=1e-6)
        assert t_error == error


def test_nn_embedding_second_backward_raises_and_retain_graph_allows_it():
    emb = nn.Embedding(5, 2)
    out = emb(torchlet.tensor([0, 1, 1]))
    out.sum().backward(retain_graph=True)
    out.sum().backward()  # retained: allowed, and the gradients add up
    assert emb.weight.grad[1].tolist() == [4.0, 4.0]
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        out.sum().backward()


def _index_changed_in_place(lib, dtype):
    w = lib.ones(10, 3, requires_grad=True)
    idx = lib.tensor([1, 2, 2], dtype=dtype)
    out = lib.nn.functional.embedding(idx, w)
    idx[0] = 5
    return _error(lambda: out.sum().backward())


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_embedding_indices_changed_in_place_raise(dtype):
    error = _index_changed_in_place(torchlet, getattr(torchlet, dtype))
    assert error[0] == "RuntimeError"
    assert "modified by an inplace operation" in error[1]
    if torch is not None:
        assert _index_changed_in_place(torch, getattr(torch, dtype)) == error


def test_embedding_double_backward_node_and_second_backward():
    w = torchlet.randn(10, 3, dtype=torchlet.float64, requires_grad=True)
    idx = torchlet.tensor([1, 2, 2])
    g = torchlet.ones(3, 3, dtype=torchlet.float64, requires_grad=True)
    (gw,) = torchlet.autograd.grad(F.embedding(idx, w), w, g, create_graph=True)
    assert type(gw.grad_fn).__name__ == "EmbeddingDenseBackwardBackward0"  # as torch
    gw.sum().backward()
    assert g.grad.tolist() == [[1.0] * 3] * 3  # d(sum of scattered rows)/d(rows) = 1
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        gw.sum().backward()


def test_embedding_gradcheck_still_passes():
    idx = torchlet.tensor([[0, 2, 2], [3, 0, 1]])
    w = torchlet.randn(4, 3, dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradcheck(lambda w: F.embedding_bag(idx, w, mode="max"), (w,))


# ---------------------------------------------------------------------------------------
# 3. scaled_dot_product_attention with attn_mask and is_causal


def _reference_attention(q, k, v, mask, scale=None):
    """softmax(q k^T * scale + mask) v in float64, rows with nothing to attend to -> 0."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale + mask
    m = np.max(s, -1, keepdims=True)
    e = np.exp(s - np.where(np.isfinite(m), m, 0))
    total = e.sum(-1, keepdims=True)
    a = np.where(total > 0, e / np.where(total > 0, total, 1), 0)
    return a @ v


_CAUSAL_MASKS = [
    ("bool 2-D", (2, 3, 4, 8), (2, 3, 4, 8), lambda r: r.rand(4, 4) > 0.3),
    ("float 2-D, L != S", (2, 3, 4, 8), (2, 3, 6, 8), lambda r: r.randn(4, 6)),
    ("float (B, 1, L, S)", (2, 3, 4, 8), (2, 3, 4, 8), lambda r: r.randn(2, 1, 4, 4)),
    ("float (1, S)", (2, 3, 4, 8), (2, 3, 4, 8), lambda r: r.randn(1, 4)),
    ("rows left empty", (1, 1, 4, 4), (1, 1, 4, 4),
     lambda r: np.where(np.arange(4) == 3, 0.0, -np.inf)[None].repeat(4, 0)),
]


@pytest.mark.parametrize("name,q_shape,k_shape,make_mask", _CAUSAL_MASKS,
                         ids=[c[0] for c in _CAUSAL_MASKS])
def test_sdpa_mask_with_is_causal_combines_both(name, q_shape, k_shape, make_mask):
    rng = np.random.RandomState(0)
    q, k, v = rng.randn(*q_shape), rng.randn(*k_shape), rng.randn(*k_shape)
    mask = make_mask(rng)
    causal = np.tri(q_shape[-2], k_shape[-2], dtype=bool)
    additive = np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask
    expected = _reference_attention(q, k, v, np.where(causal, additive, -np.inf))

    def run(lib):
        tq, tk, tv = (lib.tensor(a, requires_grad=True) for a in (q, k, v))
        out = lib.nn.functional.scaled_dot_product_attention(
            tq, tk, tv, attn_mask=lib.tensor(mask), is_causal=True)
        out.backward(lib.tensor(np.cos(np.arange(out.numel())).reshape(out.shape)))
        return [t.detach().numpy() for t in (out, tq.grad, tk.grad, tv.grad)]

    got = run(torchlet)
    np.testing.assert_allclose(got[0], expected, rtol=1e-12, atol=1e-12)
    if torch is not None:
        for a, b in zip(got, run(torch)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_sdpa_mask_with_is_causal_gradcheck():
    rng = np.random.RandomState(1)
    q, k, v = (torchlet.tensor(rng.randn(1, 2, 3, 4), requires_grad=True) for _ in range(3))
    mask = torchlet.tensor(rng.randn(3, 3))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, is_causal=True), (q, k, v))


_MATH_PATH = [  # torch's math kernel runs these, and it refuses a mask with is_causal
    ("3-D", (3, 4, 8), (3, 4, 8), (4, 4), {}),
    ("2-D", (4, 8), (4, 8), (4, 4), {}),
    ("5-D", (1, 2, 3, 4, 8), (1, 2, 3, 4, 8), (4, 4), {}),
    ("dropout", (2, 3, 4, 8), (2, 3, 4, 8), (4, 4), {"dropout_p": 0.5}),
    ("3-D mask", (2, 3, 4, 8), (2, 3, 4, 8), (3, 4, 4), {}),
    ("broadcast batch", (2, 3, 4, 8), (1, 3, 4, 8), (4, 4), {}),
    ("heads without gqa", (2, 4, 4, 8), (2, 2, 4, 8), (4, 4), {}),
]


@pytest.mark.parametrize("name,q_shape,k_shape,mask_shape,kwargs", _MATH_PATH,
                         ids=[c[0] for c in _MATH_PATH])
def test_sdpa_mask_with_is_causal_still_raises_off_the_flash_path(name, q_shape, k_shape,
                                                                  mask_shape, kwargs):
    def run(lib):
        q, k = lib.randn(*q_shape), lib.randn(*k_shape)
        return _error(lambda: lib.nn.functional.scaled_dot_product_attention(
            q, k, k, attn_mask=lib.randn(*mask_shape), is_causal=True, **kwargs))

    expected = ("RuntimeError", "_scaled_dot_product_attention: Explicit attn_mask should "
                                "not be set when is_causal=True")
    assert run(torchlet) == expected
    if torch is not None:
        assert run(torch) == expected


def test_sdpa_mask_with_is_causal_special_cases():
    q = torchlet.randn(2, 4, 4, 8)
    kv = torchlet.randn(2, 2, 4, 8)
    out = F.scaled_dot_product_attention(q, kv, kv, attn_mask=torchlet.randn(4, 4),
                                         is_causal=True, enable_gqa=True)
    assert out.shape == (2, 4, 4, 8)  # grouped-query heads: flash path, accepted
    grad_mask = torchlet.randn(4, 4, requires_grad=True)  # a mask needing grad: math path
    with pytest.raises(RuntimeError, match="Explicit attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=grad_mask, is_causal=True)
    empty = F.scaled_dot_product_attention(torchlet.randn(2, 3, 0, 8), q[:, :3], q[:, :3],
                                           attn_mask=torchlet.randn(0, 4), is_causal=True)
    assert empty.shape == (2, 3, 0, 8)  # torch checks nothing for an empty sequence
    with pytest.raises(IndexError, match="Dimension out of range"):  # torch's, from size(-2)
        F.scaled_dot_product_attention(q, q, q, attn_mask=torchlet.randn(4), is_causal=True)


# ---------------------------------------------------------------------------------------
# 4. LSTMCell with a Tensor hx


_HX_CASES = [
    ("batched Tensor", (2, 4), lambda lib: lib.zeros(2, 3)),
    ("batched 3-D Tensor", (2, 4), lambda lib: lib.zeros(2, 2, 3)),
    ("generator", (2, 4), lambda lib: (t for t in [lib.zeros(2, 3)] * 2)),
    ("unbatched 1-D Tensor", (4,), lambda lib: lib.zeros(3)),
]


@pytest.mark.parametrize("name,in_shape,make_hx", _HX_CASES, ids=[c[0] for c in _HX_CASES])
def test_lstm_cell_hx_must_be_a_tuple(name, in_shape, make_hx):
    def run(lib):
        cell = lib.nn.LSTMCell(4, 3)
        return _error(lambda: cell(lib.randn(*in_shape), make_hx(lib)))

    expected = {
        "batched Tensor": ("TypeError", "lstm_cell(): argument 'hx' (position 2) must be "
                                        "tuple of Tensors, not Tensor"),
        "batched 3-D Tensor": ("TypeError", "lstm_cell(): argument 'hx' (position 2) must "
                                            "be tuple of Tensors, not Tensor"),
        "generator": ("TypeError", "lstm_cell(): argument 'hx' (position 2) must be tuple "
                                   "of Tensors, not generator"),
        "unbatched 1-D Tensor": ("ValueError", "LSTMCell: Expected hx[0] to be 1D or 2D, "
                                               "got 0D instead"),
    }[name]
    assert run(torchlet) == expected
    if torch is not None:
        assert run(torch) == expected


def test_lstm_cell_accepts_list_and_unbatched_tensor_hx():
    cell = nn.LSTMCell(4, 3)
    h, c = cell(torchlet.randn(2, 4), [torchlet.zeros(2, 3), torchlet.zeros(2, 3)])
    assert h.shape == c.shape == (2, 3)
    # unbatched, torch rebuilds (hx[0], hx[1]): the rows of a (2, 3) Tensor are h and c
    h, c = cell(torchlet.randn(4), torchlet.zeros(2, 3))
    assert h.shape == c.shape == (3,)


# ---------------------------------------------------------------------------------------
# 5. output layouts of the normalizations


def _layouts():
    """(name, fn(lib, x), input maker, expected strides) for non-contiguous inputs."""
    def btc(lib):
        return lib.randn(4, 6, 5).transpose(1, 2)  # (4, 5, 6), strides (30, 1, 5)

    def cl(lib):
        return lib.randn(2, 3, 4, 5).contiguous(memory_format=lib.channels_last)

    def perm(lib):
        return lib.randn(2, 5, 4, 3).permute(0, 3, 2, 1)  # not channels_last-like

    def t2(lib):
        return lib.randn(5, 4).t()

    def fn(lib):
        return lib.nn.functional

    return [
        ("bn1d train", lambda lib, x: lib.nn.BatchNorm1d(5)(x), btc, (30, 6, 1)),
        ("bn1d eval", lambda lib, x: lib.nn.BatchNorm1d(5).eval()(x), btc, (30, 6, 1)),
        ("bn1d 2-D", lambda lib, x: lib.nn.BatchNorm1d(5)(x), t2, (5, 1)),
        ("bn2d channels_last", lambda lib, x: lib.nn.BatchNorm2d(3)(x), cl, (60, 1, 15, 3)),
        ("bn2d channels_last eval", lambda lib, x: lib.nn.BatchNorm2d(3).eval()(x), cl,
         (60, 1, 15, 3)),
        ("bn2d permuted", lambda lib, x: lib.nn.BatchNorm2d(3)(x), perm, (60, 20, 5, 1)),
        ("F.batch_norm no stats", lambda lib, x: fn(lib).batch_norm(x, None, None,
                                                                    training=True), cl,
         (60, 1, 15, 3)),
        ("layer_norm 2-D", lambda lib, x: lib.nn.LayerNorm(5)(x), t2, (5, 1)),
        ("layer_norm channels_last", lambda lib, x: fn(lib).layer_norm(x, (5,)), cl,
         (60, 20, 5, 1)),
        ("group_norm channels_last", lambda lib, x: lib.nn.GroupNorm(1, 3)(x), cl,
         (60, 1, 15, 3)),
        ("group_norm 3-D", lambda lib, x: fn(lib).group_norm(x, 5), btc, (30, 6, 1)),
        ("instance_norm channels_last", lambda lib, x: fn(lib).instance_norm(x), cl,
         (60, 20, 5, 1)),
        ("rms_norm 3-D", lambda lib, x: fn(lib).rms_norm(x, (6,)), btc, (30, 6, 1)),
    ]


_LAYOUTS = _layouts()


@pytest.mark.parametrize("name,run,make_input,strides", _LAYOUTS,
                         ids=[c[0] for c in _LAYOUTS])
def test_norm_output_layout(name, run, make_input, strides):
    torchlet.manual_seed(0)
    x = make_input(torchlet)
    out = run(torchlet, x)
    assert out.stride() == strides
    # the values do not depend on the layout
    expected = run(torchlet, x.contiguous())
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6,
                               atol=1e-6)
    if torch is not None:
        assert run(torch, make_input(torch)).stride() == strides


def test_makemore_batchnorm_on_btc_then_view_raises():
    """Lecture 5: BatchNorm1d over (B, C, T) from a transpose; torch's output is
    contiguous, so viewing its transpose back fails as in torch."""
    y = nn.BatchNorm1d(5)(torchlet.randn(4, 6, 5).transpose(1, 2))
    assert y.is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        y.transpose(1, 2).view(4, 3, 10)


def test_rms_norm_node_as_torch():
    x = torchlet.randn(4, 6, 5, requires_grad=True)
    assert type(F.rms_norm(x.transpose(1, 2), (6,)).grad_fn).__name__ == "CloneBackward0"
    assert type(F.rms_norm(x, (5,)).grad_fn).__name__ == "MulBackward0"


@needs_torch
def test_batch_norm_transposed_matches_torch_values_and_grads():
    x = np.random.RandomState(3).randn(4, 6, 5)

    def run(lib):
        xt = lib.tensor(x, requires_grad=True)
        bn = lib.nn.BatchNorm1d(5).double()
        out = bn(xt.transpose(1, 2))
        out.backward(lib.tensor(np.sin(np.arange(out.numel())).reshape(out.shape)))
        return out.detach().numpy(), xt.grad.numpy(), bn.running_var.numpy()

    for a, b in zip(run(torchlet), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)

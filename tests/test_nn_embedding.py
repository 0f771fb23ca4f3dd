"""Embeddings against torch 2.13: F.embedding, F.embedding_bag, torch.embedding,
torch.embedding_bag, torch.embedding_renorm_ and the modules Embedding / EmbeddingBag.

Lookups and embedding gradients are compared bit for bit (torch adds the gradient rows
of repeated indices one after another, and so does torchlet); bag sums within rounding.
Checks without torch: the scatter-add against np.add.at, float64 gradcheck and
gradgradcheck, hand-computed bags.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import GradcheckError, gradcheck, gradgradcheck
from torchlet.nn._functional.embedding import _scatter_add_rows

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _rng(seed=0):
    return np.random.default_rng(seed)


def F_of(lib):  # noqa: N802 - reads like ``F``
    return lib.nn.functional


def _np(t):
    return t.detach().numpy()


def _same(a, b, exact=True, rtol=1e-6, atol=1e-6):
    a, b = _np(a), _np(b)
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
    if exact:
        assert np.array_equal(a, b), np.abs(a - b).max()
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _both(fn, weight_shape=(10, 3), extra=(), seed=0, exact=True, grad_exact=True):
    """fn(lib, weight, *extra) on both libraries: output, weight grad, extra grads."""
    rng = _rng(seed)
    w0 = rng.standard_normal(weight_shape).astype(np.float32)
    extra0 = [rng.standard_normal(s).astype(np.float32) for s in extra]
    results = []
    for lib in (torchlet, torch):
        w = lib.tensor(w0, requires_grad=True)
        ex = [lib.tensor(e, requires_grad=True) for e in extra0]
        out = fn(lib, w, *ex)
        g = _rng(seed + 1).standard_normal(tuple(out.shape)).astype(np.float32)
        grads = lib.autograd.grad(out, [w] + ex, lib.tensor(g))
        results.append((out, grads, out.grad_fn.name()))
    (out_a, grads_a, name_a), (out_b, grads_b, name_b) = results
    _same(out_a, out_b, exact)
    for a, b in zip(grads_a, grads_b):
        _same(a, b, grad_exact)
    assert name_a == name_b
    return results


# ---------------------------------------------------------------------------------------
# embedding


@needs_torch
@pytest.mark.parametrize("shape", [(), (7,), (4, 6), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
def test_embedding_lookup_and_gradient_bit_exact(shape, index_dtype):
    idx = _rng(1).integers(0, 10, shape).astype(index_dtype)
    _both(lambda lib, w: F_of(lib).embedding(lib.tensor(idx), w), seed=len(shape))


@needs_torch
def test_embedding_gradient_of_many_repeats_bit_exact():
    """Heavy repetition (a padding-like token in half the positions): the summation
    order of the repeated rows decides the float32 result."""
    rng = _rng(2)
    idx = rng.integers(0, 50, (64, 40))
    idx[rng.random(idx.shape) < 0.5] = 7
    _both(lambda lib, w: F_of(lib).embedding(lib.tensor(idx), w), weight_shape=(50, 16))


@needs_torch
@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_embedding_padding_idx(padding_idx):
    idx = _rng(3).integers(0, 10, (5, 6))
    idx[0, :3] = padding_idx % 10
    (out, grads, _), _ = _both(
        lambda lib, w: F_of(lib).embedding(lib.tensor(idx), w, padding_idx=padding_idx))
    np.testing.assert_array_equal(grads[0].numpy()[padding_idx % 10], 0)


@needs_torch
def test_embedding_scale_grad_by_freq():
    idx = np.array([[0, 0, 1, 0], [2, 2, 5, 9]])
    (_, grads, _), _ = _both(
        lambda lib, w: F_of(lib).embedding(lib.tensor(idx), w, scale_grad_by_freq=True),
        grad_exact=False)
    np.testing.assert_array_equal(grads[0].numpy()[[3, 4, 6, 7, 8]], 0)


def test_embedding_scale_grad_by_freq_by_hand():
    w = torchlet.zeros(4, 2, requires_grad=True)
    idx = torchlet.tensor([0, 0, 1, 0])
    g = torchlet.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [8.0, 9.0]])
    F.embedding(idx, w, scale_grad_by_freq=True).backward(g)
    np.testing.assert_allclose(w.grad.numpy(), [[4.0, 5.0], [5.0, 6.0], [0, 0], [0, 0]])


@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
def test_embedding_max_norm_renormalises_in_place(norm_type):
    idx = np.array([[1, 2, 2], [4, 1, 7]])
    w0 = (_rng(4).standard_normal((10, 3)) * 2).astype(np.float32)
    results = []
    for lib in (torchlet, torch):
        w = lib.tensor(w0, requires_grad=True)
        out = F_of(lib).embedding(lib.tensor(idx), w, max_norm=1.5, norm_type=norm_type)
        out.sum().backward()
        results.append((out, w, w.grad, w._version))
    (oa, wa, ga, va), (ob, wb, gb, vb) = results
    _same(oa, ob, exact=False, rtol=1e-6, atol=1e-7)
    _same(wa, wb, exact=False, rtol=1e-6, atol=1e-7)
    _same(ga, gb)
    assert va == vb == 1
    norms = np.linalg.norm(wa.detach().numpy()[[1, 2, 4, 7]], ord=norm_type, axis=1)
    assert (norms <= 1.5 + 1e-6).all()
    np.testing.assert_array_equal(wa.detach().numpy()[0], w0[0])  # rows not looked up


def test_embedding_gradcheck_and_gradgradcheck():
    w = torchlet.tensor(_rng(5).standard_normal((6, 3)), requires_grad=True)
    idx = torchlet.tensor([[1, 2, 1], [0, 5, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    assert gradgradcheck(lambda w: F.embedding(idx, w), (w,))
    # with padding_idx the first derivative is not the true one (by design), but it is
    # linear in the output gradient: gradgradcheck still holds
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=1), (w,))
    # with scale_grad_by_freq torch's double backward leaves the scaling out (its
    # embedding_dense_double_backward), so torch's own gradgradcheck fails there too
    with pytest.raises(GradcheckError):
        gradgradcheck(lambda w: F.embedding(idx, w, scale_grad_by_freq=True), (w,))


@needs_torch
def test_top_level_embedding():
    w0 = _rng(6).standard_normal((5, 2)).astype(np.float32)
    for padding_idx in (-1, 2, 12):  # torch ignores a padding_idx outside the table here
        a = torchlet.embedding(torchlet.tensor(w0), torchlet.tensor([2, 4]), padding_idx)
        b = torch.embedding(torch.tensor(w0), torch.tensor([2, 4]), padding_idx)
        _same(a, b)
    w = torchlet.tensor(w0 * 3)
    torchlet.embedding_renorm_(w, torchlet.tensor([0, 1]), 1.0, 2.0)
    tw = torch.tensor(w0 * 3)
    torch.embedding_renorm_(tw, torch.tensor([0, 1]), 1.0, 2.0)
    _same(w, tw, exact=False, rtol=1e-6, atol=1e-7)


def test_embedding_keeps_weight_dtype():
    for dtype in (torchlet.float64, torchlet.int64):
        w = torchlet.ones(4, 2, dtype=dtype)
        assert F.embedding(torchlet.tensor([1, 3]), w).dtype == dtype


# ---------------------------------------------------------------------------------------
# embedding_bag


OFFSETS = [0, 3, 3, 7, 10]  # bag 1 is empty


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_offsets(mode, padding_idx):
    idx = _rng(7).integers(0, 5, 10)
    idx[3] = 2

    def fn(lib, w):
        return F_of(lib).embedding_bag(lib.tensor(idx), w, lib.tensor(OFFSETS), mode=mode,
                                       padding_idx=padding_idx)

    _both(fn, weight_shape=(5, 4), exact=mode == "max", grad_exact=mode == "max")


@needs_torch
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input(mode):
    idx = _rng(8).integers(0, 10, (6, 4))
    # torch sorts the indices (not stably) before adding their gradient rows, so only max
    # mode's gradient (one row per maximum) is reproducible bit for bit
    _both(lambda lib, w: F_of(lib).embedding_bag(lib.tensor(idx), w, mode=mode),
          exact=mode == "max", grad_exact=mode == "max")


@needs_torch
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_embedding_bag_per_sample_weights(padding_idx):
    idx = np.array([1, 2, 1, 0, 3, 1, 4, 4])
    offsets = [0, 2, 5]

    def fn(lib, w, psw):
        return F_of(lib).embedding_bag(lib.tensor(idx), w, lib.tensor(offsets), mode="sum",
                                       per_sample_weights=psw, padding_idx=padding_idx)

    _both(fn, weight_shape=(5, 3), extra=[(8,)], exact=False, grad_exact=False)


@needs_torch
def test_embedding_bag_include_last_offset():
    idx = _rng(9).integers(0, 10, 9)

    def fn(lib, w):
        return F_of(lib).embedding_bag(lib.tensor(idx), w, lib.tensor([0, 2, 2, 9]),
                                       mode="mean", include_last_offset=True)

    (out, _, _), _ = _both(fn, exact=False, grad_exact=False)
    assert tuple(out.shape) == (3, 3)


@needs_torch
def test_embedding_bag_scale_grad_by_freq():
    """torch scales each index's gradient by the count of the index at position k of the
    sorted indices, k being the index's rank among the distinct indices (a torch bug);
    with every index occurring equally often the two agree."""
    idx = np.array([3, 1, 1, 3, 0, 0])

    def fn(lib, w):
        return F_of(lib).embedding_bag(lib.tensor(idx), w, lib.tensor([0, 2, 4]),
                                       mode="sum", scale_grad_by_freq=True)

    _both(fn, weight_shape=(5, 2), exact=False, grad_exact=False)


def test_embedding_bag_scale_grad_by_freq_is_torchs_rule():
    w = torchlet.zeros(5, 1, requires_grad=True)
    idx = torchlet.tensor([0, 0, 1, 0, 2, 2])
    out = F.embedding_bag(idx, w, torchlet.tensor([0, 2, 4]), mode="sum",
                          scale_grad_by_freq=True)
    out.backward(torchlet.tensor([[1.0], [10.0], [100.0]]))
    # torch's CPU kernel divides the k-th distinct index's sum by the count of
    # sorted_indices[k] (not of the index itself): sorted indices are 0 0 0 1 2 2, so every
    # one here is divided by count(0) = 3: (1 + 1 + 10) / 3, 10 / 3, (100 + 100) / 3
    np.testing.assert_allclose(w.grad.numpy().ravel(), [4.0, 10 / 3, 200 / 3, 0, 0],
                               rtol=1e-6)


def test_embedding_bag_by_hand():
    w = torchlet.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [-1.0, 5.0]])
    idx = torchlet.tensor([0, 1, 2, 2, 3])
    offsets = torchlet.tensor([0, 2, 2, 4])
    out = F.embedding_bag(idx, w, offsets, mode="sum").numpy()
    np.testing.assert_array_equal(out, [[1, 2], [0, 0], [6, 6], [-1, 5]])
    out = F.embedding_bag(idx, w, offsets, mode="mean").numpy()
    np.testing.assert_array_equal(out, [[0.5, 1], [0, 0], [3, 3], [-1, 5]])
    out = F.embedding_bag(idx, w, offsets, mode="max").numpy()
    np.testing.assert_array_equal(out, [[1, 2], [0, 0], [3, 3], [-1, 5]])
    # padding_idx=2 leaves the two 2s out: bag 2 becomes empty
    out = F.embedding_bag(idx, w, offsets, mode="mean", padding_idx=2).numpy()
    np.testing.assert_array_equal(out, [[0.5, 1], [0, 0], [0, 0], [-1, 5]])


@needs_torch
def test_embedding_bag_max_ties_pick_the_first():
    w0 = np.array([[1.0, 2.0], [1.0, 0.0], [0.0, 2.0]], np.float32)
    idx = np.array([1, 0, 2, 2, 1])
    results = []
    for lib in (torchlet, torch):
        w = lib.tensor(w0, requires_grad=True)
        out, offset2bag, bag_size, max_indices = lib.embedding_bag(
            w, lib.tensor(idx), lib.tensor([0, 3]), False, 2, False, None, False, None)
        out.backward(lib.tensor([[1.0, 10.0], [100.0, 1000.0]]))
        results.append((out, w.grad, offset2bag, bag_size, max_indices))
    for a, b in zip(*results):
        _same(a, b)


def test_embedding_bag_gradcheck_and_gradgradcheck():
    # torch's embedding_bag gradients cannot be differentiated again: gradgradcheck
    # raises from the weight gradient's node (EmbeddingBagBackwardBackward0) and from the
    # per_sample_weights gradient's NotImplemented node, as torch's does
    rng = _rng(10)
    w = torchlet.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    psw = torchlet.tensor(rng.standard_normal(6), requires_grad=True)
    idx, offsets = torchlet.tensor([1, 2, 1, 0, 3, 1]), torchlet.tensor([0, 2, 2])
    weight_error = "the derivative for '_embedding_bag_backward' is not implemented."
    for mode in ("sum", "mean", "max"):
        def fn(w, mode=mode):
            return F.embedding_bag(idx, w, offsets, mode=mode)
        assert gradcheck(fn, (w,))
        with pytest.raises(NotImplementedError) as info:
            gradgradcheck(fn, (w,))
        assert str(info.value) == weight_error

    def weighted(w, psw):
        return F.embedding_bag(idx, w, offsets, mode="sum", per_sample_weights=psw)

    assert gradcheck(weighted, (w, psw))
    with pytest.raises(NotImplementedError, match="_embedding_bag_backward"):
        gradgradcheck(weighted, (w, psw))
    with pytest.raises(RuntimeError) as info:
        gradgradcheck(lambda p: weighted(w.detach(), p), (psw,))
    assert str(info.value) == ("derivative for aten::_embedding_bag_per_sample_weights_"
                               "backward is not implemented")


# ---------------------------------------------------------------------------------------
# the scatter-add behind every weight gradient


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.integers(0, 400), st.integers(1, 5), st.booleans(),
       st.integers(0, 2**16))
def test_scatter_add_rows_is_np_add_at(rows, count, width, skewed, seed):
    rng = _rng(seed)
    index = rng.integers(0, rows, count)
    if skewed and count:
        index[rng.random(count) < 0.7] = rows - 1  # one index far above the round limit
    values = rng.standard_normal((count, width)).astype(np.float32)
    expected = np.zeros((rows, width), np.float32)
    np.add.at(expected, index, values)
    assert np.array_equal(_scatter_add_rows(index, values, rows), expected)
    flat = values[:, 0].copy()
    expected1 = np.zeros(rows, np.float32)
    np.add.at(expected1, index, flat)
    assert np.array_equal(_scatter_add_rows(index, flat, rows), expected1)


# ---------------------------------------------------------------------------------------
# errors


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return type(e), str(e)
    return None


ERRORS = {
    "index_range": lambda lib: F_of(lib).embedding(lib.tensor([1, 10]), lib.ones(10, 3)),
    "negative_index": lambda lib: F_of(lib).embedding(lib.tensor([-1]), lib.ones(10, 3)),
    "float_index": lambda lib: F_of(lib).embedding(lib.tensor([1.0]), lib.ones(10, 3)),
    "short_index": lambda lib: F_of(lib).embedding(lib.tensor([1], dtype=lib.int16),
                                                   lib.ones(10, 3)),
    "weight_3d": lambda lib: F_of(lib).embedding(lib.tensor([1]), lib.ones(10, 2, 2)),
    "padding_range": lambda lib: F_of(lib).embedding(lib.tensor([1]), lib.ones(10, 3),
                                                     padding_idx=-11),
    "list_input": lambda lib: F_of(lib).embedding([1, 2], lib.ones(10, 3)),
    "max_norm_range": lambda lib: F_of(lib).embedding(lib.tensor([1, 12]), lib.ones(10, 3),
                                                      max_norm=1.0),
    "module_padding": lambda lib: lib.nn.Embedding(10, 3, padding_idx=10),
    "pretrained_1d": lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)),
    "weight_shape": lambda lib: lib.nn.Embedding(10, 3, _weight=lib.ones(3, 3)),
    "bag_offsets_none": lambda lib: F_of(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(10, 3)),
    "bag_2d_offsets": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1, 2]]), lib.ones(10, 3),
                                                          lib.tensor([0])),
    "bag_offsets_2d": lambda lib: F_of(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(10, 3),
                                                          lib.tensor([[0]])),
    "bag_first_offset": lambda lib: F_of(lib).embedding_bag(lib.tensor([1, 2]),
                                                            lib.ones(10, 3), lib.tensor([1])),
    "bag_last_offset": lambda lib: F_of(lib).embedding_bag(lib.tensor([1, 2]), lib.ones(10, 3),
                                                           lib.tensor([0, 5])),
    "bag_mode": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10, 3),
                                                    mode="min"),
    "bag_psw_mode": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10, 3),
                                                        per_sample_weights=lib.ones(1, 1)),
    "bag_psw_shape": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10, 3),
                                                         mode="sum",
                                                         per_sample_weights=lib.ones(2)),
    "bag_psw_dtype": lambda lib: F_of(lib).embedding_bag(
        lib.tensor([[1]]), lib.ones(10, 3), mode="sum",
        per_sample_weights=lib.ones(1, 1, dtype=lib.float64)),
    "bag_max_freq": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10, 3),
                                                        mode="max", scale_grad_by_freq=True),
    "bag_3d": lambda lib: F_of(lib).embedding_bag(lib.tensor([[[1]]]), lib.ones(10, 3)),
    "bag_weight_1d": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10)),
    "bag_long_weight": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]),
                                                           lib.ones(10, 3, dtype=lib.int64)),
    "bag_float_index": lambda lib: F_of(lib).embedding_bag(lib.tensor([1.0]), lib.ones(10, 3),
                                                           lib.tensor([0])),
    "bag_padding": lambda lib: F_of(lib).embedding_bag(lib.tensor([[1]]), lib.ones(10, 3),
                                                       padding_idx=20),
    "bag_module_padding": lambda lib: lib.nn.EmbeddingBag(10, 3, padding_idx=11),
}
# torch's own words for these are unhelpful ("Expected i < index_size to be true")
TYPE_ONLY = {"bag_index_range"}
# torch's message names the class (torch.Tensor) or ends in a stray debug print
PREFIX_ONLY = {"bag_2d_offsets": 150, "bag_first_offset": 100}
ERRORS["bag_index_range"] = lambda lib: F_of(lib).embedding_bag(
    lib.tensor([1, 14]), lib.ones(10, 3), lib.tensor([0]))


@needs_torch
@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours, theirs = _error(lambda: ERRORS[name](torchlet)), _error(lambda: ERRORS[name](torch))
    assert theirs is not None and ours is not None, (ours, theirs)
    assert ours[0].__name__ == theirs[0].__name__, (ours, theirs)
    if name in PREFIX_ONLY:
        n = PREFIX_ONLY[name]
        assert ours[1][:n] == theirs[1][:n], (ours[1], theirs[1])
    elif name not in TYPE_ONLY:
        assert ours[1] == theirs[1], (ours[1], theirs[1])


def test_decreasing_offsets_are_refused():
    # torch reads out of bounds here (its result varies from run to run); torchlet refuses
    with pytest.raises(RuntimeError, match="non-decreasing"):
        torchlet.nn.functional.embedding_bag(
            torchlet.tensor([1, 2, 3]), torchlet.ones(10, 3), torchlet.tensor([0, 2, 1]))


def test_error_messages_without_torch():
    assert _error(lambda: ERRORS["index_range"](torchlet)) == (
        IndexError, "index out of range in self")
    assert _error(lambda: ERRORS["module_padding"](torchlet)) == (
        AssertionError, "Padding_idx must be within num_embeddings")


# ---------------------------------------------------------------------------------------
# modules


@pytest.mark.parametrize("make", [
    "Embedding(10, 3)", "Embedding(10, 3, padding_idx=0)", "Embedding(7, 4, padding_idx=-2)",
    "EmbeddingBag(10, 3)", "EmbeddingBag(6, 2, mode='max', padding_idx=1)",
])
def test_initial_weights_bit_identical(make):
    torchlet.manual_seed(3)
    ours = eval(f"nn.{make}")
    if torch is None:
        pytest.skip("torch not installed")
    torch.manual_seed(3)
    theirs = eval(f"torch.nn.{make}")
    _same(ours.weight, theirs.weight)
    if ours.padding_idx is not None:
        np.testing.assert_array_equal(_np(ours.weight)[ours.padding_idx], 0)
    assert ours.padding_idx == theirs.padding_idx


REPRS = {
    "Embedding(10, 3)": "Embedding(10, 3)",
    "Embedding(10, 3, padding_idx=0)": "Embedding(10, 3, padding_idx=0)",
    "Embedding(10, 3, padding_idx=-1, max_norm=2, norm_type=1.0, scale_grad_by_freq=True, "
    "sparse=True)": "Embedding(10, 3, padding_idx=9, max_norm=2, norm_type=1.0, "
                    "scale_grad_by_freq=True, sparse=True)",
    "EmbeddingBag(10, 3)": "EmbeddingBag(10, 3, mode='mean')",
    "EmbeddingBag(10, 3, max_norm=1.0, mode='max', padding_idx=2)":
        "EmbeddingBag(10, 3, max_norm=1.0, mode='max', padding_idx=2)",
    "EmbeddingBag(10, 3, norm_type=3, scale_grad_by_freq=True, mode='sum')":
        "EmbeddingBag(10, 3, norm_type=3, scale_grad_by_freq=True, mode='sum')",
}


@pytest.mark.parametrize("expr", list(REPRS))
def test_reprs(expr):
    assert repr(eval(f"nn.{expr}")) == REPRS[expr]
    if torch is not None:
        assert repr(eval(f"torch.nn.{expr}")) == REPRS[expr]


def test_from_pretrained():
    table = torchlet.tensor([[1.0, 2.0], [3.0, 4.0]])
    e = nn.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad and e.num_embeddings == 2 and e.embedding_dim == 2
    np.testing.assert_array_equal(e(torchlet.tensor([1])).numpy(), [[3.0, 4.0]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    e = nn.Embedding.from_pretrained(table, padding_idx=0)
    np.testing.assert_array_equal(_np(e.weight)[0], [1.0, 2.0])  # not zeroed
    bag = nn.EmbeddingBag.from_pretrained(table, mode="sum")
    assert not bag.weight.requires_grad
    np.testing.assert_array_equal(bag(torchlet.tensor([[0, 1]])).numpy(), [[4.0, 6.0]])
    assert list(e.state_dict()) == ["weight"]


@needs_torch
def test_text_classifier_training_step_matches_torch():
    """Embedding (padding) -> mean over tokens -> LayerNorm -> Linear, one SGD step."""
    tokens = _rng(11).integers(0, 20, (8, 6))
    tokens[:, 4:] = 0
    results = []
    for lib in (torchlet, torch):
        lib.manual_seed(0)
        emb = lib.nn.Embedding(20, 8, padding_idx=0)
        norm = lib.nn.LayerNorm(8)
        head = lib.nn.Linear(8, 3)
        bag = lib.nn.EmbeddingBag(20, 8, mode="sum")
        params = (list(emb.parameters()) + list(norm.parameters()) + list(head.parameters())
                  + list(bag.parameters()))
        opt = lib.optim.SGD(params, lr=0.5)
        x = lib.tensor(tokens)
        for _ in range(3):
            opt.zero_grad()
            h = norm(emb(x).mean(1) + bag(x))
            loss = F_of(lib).cross_entropy(head(h), lib.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
            loss.backward()
            opt.step()
        results.append((loss, emb.weight, bag.weight, norm.weight, head.weight))
    for a, b in zip(*results):
        _same(a, b, exact=False, rtol=1e-5, atol=1e-6)

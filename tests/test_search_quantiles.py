"""Counting, searching, order statistics and grids beyond the op specs
(tests/specs/search_quantiles.py): the autograd nodes torch records for operations
without a derivative, meshgrid's warning and views, and randomised comparisons with
live torch where the answer hangs on arithmetic details (bins of elements on edges,
linspace edges, kthvalue's index among ties, binary searches over NaN)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet
from torchlet._ops.creation import _linspace
from torchlet._ops.search import upper_bound

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")
LIBS = [torchlet] + ([torch] if torch is not None else [])


# ---------------------------------------------------------------------------------------
# no derivative: the nodes torch records


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_histogram_records_not_implemented(lib):
    x = lib.tensor([1.0, 2.0, 4.0], requires_grad=True)
    hist, edges = lib.histogram(x, 3)
    assert hist.requires_grad and edges.requires_grad
    assert hist.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::histogram is not implemented"):
        hist.sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_bincount_weights_record_not_implemented(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    out = lib.bincount(lib.tensor([0, 2]), w)
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::bincount is not implemented"):
        out.sum().backward()


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_histc_and_searches_do_not_require_grad(lib):
    x = lib.tensor([0.5, 1.5, 2.5], requires_grad=True)
    assert not lib.histc(x, 3).requires_grad
    assert lib.histc(x, 3).grad_fn is None
    assert not lib.searchsorted(x, x).requires_grad
    assert not lib.isin(x, x).requires_grad


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_unique_consecutive_node(lib):
    x = lib.tensor([[1.0, 1.0, 2.0]], requires_grad=True)
    for out in (lib.unique_consecutive(x), lib.unique_consecutive(x, dim=1)):
        assert out.grad_fn.name() == "UniqueConsecutiveBackward0"


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_return_type_fields(lib):
    h = lib.histogram(lib.tensor([1.0, 2.0]), 2)
    assert type(h).__name__ == "histogram" and h.hist is h[0] and h.bin_edges is h[1]
    k = lib.tensor([3.0, 1.0]).kthvalue(1)
    assert type(k).__name__ == "kthvalue" and k.values is k[0] and k.indices is k[1]
    m = lib.tensor([3.0, 1.0]).aminmax()
    assert type(m).__name__ == "aminmax" and m.min is m[0] and m.max is m[1]


# ---------------------------------------------------------------------------------------
# meshgrid and friends


def _warnings_of(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return caught


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_meshgrid_warns_without_indexing(lib):
    a, b = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0, 5.0])
    caught = _warnings_of(lambda: lib.meshgrid(a, b))
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith(
        "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
        "argument.")
    assert _warnings_of(lambda: lib.meshgrid(a, b, indexing="ij")) == []
    default = lib.meshgrid(a, b)  # 'ij'
    assert default[0].shape == (2, 3)


@needs_torch
def test_meshgrid_views_match_torch():
    for indexing in ("ij", "xy"):
        grids = {}
        for lib in (torch, torchlet):
            x = lib.tensor([1.0, 2.0], requires_grad=True)
            y = lib.tensor([3.0, 4.0, 5.0])
            grids[lib] = lib.meshgrid(x, y, lib.tensor(6.0), indexing=indexing)
        for mine, theirs in zip(grids[torchlet], grids[torch]):
            assert mine.shape == theirs.shape
            assert mine.stride() == theirs.stride()
            assert (mine._base is not None) == (theirs._base is not None)
            names = [None if g.grad_fn is None else g.grad_fn.name() for g in (mine, theirs)]
            assert names[0] == names[1]


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_cartesian_prod_of_one_tensor_is_that_tensor(lib):
    a = lib.tensor([1, 2, 3])
    assert lib.cartesian_prod(a) is a


# ---------------------------------------------------------------------------------------
# randomised against live torch


@needs_torch
@settings(max_examples=150, deadline=None)
@given(st.sampled_from([np.float32, np.float64]), st.integers(1, 60),
       st.floats(-10, 10), st.floats(0.01, 20), st.integers(0, 10_000))
def test_histc_and_histogram_bins_match_torch(dtype, bins, low, width, seed):
    rng = np.random.default_rng(seed)
    high = low + width
    # elements on and next to the edges of both torch's linspace and a plain grid
    edges = _linspace(low, high, bins + 1, np.dtype(dtype))
    near = np.concatenate([edges, np.nextafter(edges, np.inf), np.nextafter(edges, -np.inf)])
    x = np.concatenate([near, rng.uniform(low - 1, high + 1, 50)]).astype(dtype)
    rng.shuffle(x)
    assert np.array_equal(edges, torch.linspace(low, high, bins + 1,
                                                dtype=getattr(torch, np.dtype(dtype).name)))
    for lib in (torchlet, torch):
        t = lib.tensor(x)
        got = (lib.histc(t, bins, low, high), *lib.histogram(t, bins, range=(low, high)),
               *lib.histogram(t, bins), lib.histogram(t, lib.tensor(edges)).hist)
        if lib is torchlet:
            mine = [g.numpy() for g in got]
        else:
            for m, g in zip(mine, got):
                assert np.array_equal(m, g.numpy()), (m, g)


@needs_torch
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(0, 10_000),
       st.sampled_from(["float32", "float64", "int64"]))
def test_kthvalue_index_among_ties_matches_torch(n, distinct, seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, distinct, size=(3, n)).astype(dtype)
    if dtype != "int64" and seed % 3 == 0:
        x[rng.random(x.shape) < 0.2] = np.nan
    k = int(rng.integers(1, n + 1))
    mine = torchlet.kthvalue(torchlet.tensor(x), k)
    theirs = torch.kthvalue(torch.tensor(x), k)
    assert np.array_equal(mine.values.numpy(), theirs.values.numpy(), equal_nan=True)
    assert np.array_equal(mine.indices.numpy(), theirs.indices.numpy())


@needs_torch
@settings(max_examples=150, deadline=None)
@given(st.integers(0, 12), st.integers(1, 10), st.booleans(), st.booleans(),
       st.integers(0, 10_000))
def test_searchsorted_matches_torch(m, k, right, with_nan, seed):
    rng = np.random.default_rng(seed)
    seq = rng.integers(-3, 4, size=(2, m)).astype(np.float32)
    values = rng.integers(-4, 5, size=(2, k)).astype(np.float32)
    if with_nan:  # NaN among boundaries and values: the comparisons decide
        seq[rng.random(seq.shape) < 0.3] = np.nan
        values[rng.random(values.shape) < 0.3] = np.nan
    got = [lib.searchsorted(lib.tensor(seq), lib.tensor(values), right=right).numpy()
           for lib in (torchlet, torch)]
    assert np.array_equal(*got)


@needs_torch
def test_quantile_gradient_among_ties_matches_torch():
    # up to 16 elements per slice torch's sort keeps ties in order, as torchlet's does
    x = np.array([[1, 2, 2, 2, 3, 1, 1, 2, 3, 3, 2, 1, 2, 3, 1, 2]] * 3, np.float32)
    grads = []
    for lib in (torchlet, torch):
        t = lib.tensor(x, requires_grad=True)
        q = lib.tensor([0.1, 0.5, 0.9, 0.33])
        out = lib.quantile(t, q, dim=1)
        out.backward(lib.arange(12.0).reshape(4, 3))
        grads.append(t.grad.numpy())
    assert np.array_equal(*grads)


def test_upper_bound_is_std_upper_bound():
    edges = np.array([0.0, 1.0, 1.0, 2.0, 5.0])
    values = np.array([-1.0, 0.0, 1.0, 1.5, 5.0, 6.0, np.nan])
    # NaN: every comparison false, so upper_bound walks to the end
    assert upper_bound(edges, values).tolist() == [0, 1, 3, 3, 5, 5, 5]

"""Strides of the remaining size-0 results as torch reports them.

torch reads every empty tensor as contiguous, so as non-overlapping and dense: sort keeps
an empty input's strides whatever they are (zeros and gaps too), as do empty_like (so
nan_to_num) and AccumulateGrad's copy of a leaf's first gradient. TensorIterator's
fast setup gives an empty result of same-shaped operands contiguous strides, but with a
scalar or broadcasting it sorts the dims by the operands' strides and steps each over
the elements of the faster ones (``compatible_stride``: a size-0 dim makes the slower
strides 0). Hand-derived expectations, plus a live comparison with torch where it is
installed."""

import itertools
import warnings

import numpy as np
import pytest

import torchlet


def _layout(t):
    return tuple(t.shape), tuple(t.stride()), t.storage_offset()


def _zeros_numpy(shape):
    return torchlet.from_numpy(np.zeros(shape, np.float32))  # (strides all 0, kept)


# -- sort / argsort / msort keep an empty input's strides ----------------------------------

_SORT_INPUTS = {
    "numpy_zeros": (lambda: _zeros_numpy((0, 3)), (0, 0)),
    "gaps": (lambda: torchlet.zeros(50).as_strided((0, 3), (5, 2)), (5, 2)),
    "transposed": (lambda: torchlet.zeros(3, 2)[:, :0].t(), (1, 2)),
    "sliced": (lambda: torchlet.zeros(9, 7)[4:4, 1::2], (7, 2)),
    "expanded": (lambda: torchlet.zeros(1, 1).expand(0, 3), (0, 0)),
}


@pytest.mark.parametrize("name", sorted(_SORT_INPUTS))
def test_sort_keeps_empty_input_strides(name):
    make, strides = _SORT_INPUTS[name]
    x = make()
    for dim in (0, 1, -1):
        values, indices = x.sort(dim)
        assert values.stride() == indices.stride() == strides
        assert indices.dtype == torchlet.int64 and tuple(values.shape) == (0, 3)
        assert x.sort(dim=dim, stable=True, descending=True).values.stride() == strides
        assert x.argsort(dim).stride() == strides
    assert torchlet.msort(x).stride() == strides


def test_sort_1d_empty_slices():
    assert torchlet.zeros(5)[::2][:0].sort().values.stride() == (2,)
    assert _zeros_numpy((0,)).sort().indices.stride() == (0,)


def test_topk_zero_of_nonempty_is_contiguous():
    x = torchlet.zeros(2, 3, 4)
    for dim, shape in ((0, (0, 3, 4)), (1, (2, 0, 4)), (2, (2, 3, 0))):
        values, indices = x.topk(0, dim)
        strides = {(0, 3, 4): (12, 4, 1), (2, 0, 4): (4, 4, 1), (2, 3, 0): (3, 1, 1)}[shape]
        assert tuple(values.shape) == tuple(indices.shape) == shape
        assert values.stride() == indices.stride() == strides


# -- rot90 ---------------------------------------------------------------------------------


def test_rot90_of_numpy_zeros_keeps_zeros():
    x = _zeros_numpy((0, 2))
    assert torchlet.rot90(x).stride() == (0, 0)
    assert torchlet.rot90(x, -1).stride() == (0, 0)
    assert tuple(torchlet.rot90(x).shape) == (2, 0)
    # (a transposed empty: flip keeps its strides, transpose swaps them)
    assert torchlet.rot90(torchlet.zeros(3, 2)[:, :0].t()).stride() == (2, 1)


# -- pointwise results of empty operands ---------------------------------------------------


def test_pointwise_empty_broadcast_follows_strides():
    x = torchlet.zeros(2, 0).t()  # shape (0, 2), strides (1, 1)
    # a scalar: no fast setup; dim 0 sorts innermost (stride 1, the smaller size), and
    # dim 1 steps over its 0 elements: stride 0
    for y in (x + 1, x * 2, x - 1, x / 2, 1 - x, x + torchlet.tensor(1.0),
              x + torchlet.zeros(2), torchlet.add(x, 1, alpha=2)):
        assert _layout(y) == ((0, 2), (1, 0), 0)
    # same shapes: the fast setup (every empty tensor is contiguous): C order
    for y in (x + x, x * x, x.exp(), -x, x.clone(memory_format=torchlet.contiguous_format)):
        assert y.stride() == (2, 1)
    out = torchlet.empty(0)
    torchlet.add(x, 1, out=out)
    assert out.stride() == (1, 0)


def test_nan_to_num_is_empty_like():
    x = torchlet.zeros(50).as_strided((0, 3), (5, 2))
    assert x.nan_to_num().stride() == (5, 2)
    assert _zeros_numpy((2, 0)).nan_to_num().stride() == (0, 0)
    out = torchlet.empty(0)
    torchlet.nan_to_num(x, out=out)  # (out=: TensorIterator's fast setup: contiguous)
    assert out.stride() == (3, 1)
    ints = torchlet.arange(6).reshape(2, 3).t()
    assert ints.nan_to_num().stride() == (1, 3)  # (a clone)
    out = torchlet.empty(0, dtype=torchlet.long)
    torchlet.nan_to_num(ints[:0], out=out)  # (resize_output: contiguous)
    assert out.stride() == (2, 1)


def test_squeezed_empty_results_copy_as_contiguous():
    # max's values along the last dim are a squeezed NumPy empty array: they read as
    # contiguous, and so do their copies (which followed NumPy's zeros)
    v = torchlet.zeros(0, 0, 1).max(-1).values
    for y in (v, v.clone(), torchlet.empty_like(v), v.double(), v.sort(0).values,
              torchlet.rot90(v)):
        assert y.stride() == (1, 1)
    values = torchlet.empty(0)
    torchlet.max(torchlet.zeros(0, 0, 1), -1, out=(values, torchlet.empty(0, dtype=torchlet.long)))
    assert values.stride() == (1, 1)


# -- out= resizing a view keeps its storage and offset --------------------------------------


def test_out_view_resized_in_its_storage():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the resize warning of an out with elements)
        base = torchlet.zeros(5, 7)
        out = base[:, 1:3]
        torchlet.mul(torchlet.ones(3), 2, out=out)
        assert out.storage_offset() == 1 and out._base is base
        assert base.view(-1)[:5].tolist() == [0.0, 2.0, 2.0, 2.0, 0.0]
        base = torchlet.zeros(5, 7)
        out = base[1:, :0]
        torchlet.exp(torchlet.zeros(3, 2).t(), out=out)
        assert _layout(out) == ((2, 3), (1, 2), 7)
        assert base.view(-1)[6:14].tolist() == [0.0] + [1.0] * 6 + [0.0]
        out = torchlet.zeros(5, 7)[:, 1:3]
        torchlet.mul(torchlet.ones(40), 2, out=out)  # (a larger storage: offset kept)
        assert out.storage_offset() == 1 and out.sum().item() == 80.0


# -- a leaf's .grad ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(_SORT_INPUTS))
def test_grad_of_empty_leaf_has_its_strides(name):
    make, strides = _SORT_INPUTS[name]
    x = make().clone().requires_grad_()  # (clone keeps an empty tensor's strides)
    assert x.stride() == strides
    x.sum().backward()
    assert x.grad.stride() == strides
    x = make().clone().requires_grad_()
    x.backward(torchlet.zeros(1, 1).expand(0, 3))  # (a zero-strided incoming gradient)
    assert x.grad.stride() == strides


def test_grad_of_empty_leaf_with_size_one_dims_is_stolen():
    # the incoming gradient obeys the layout contract (it steps as the leaf along every
    # dim not of size 1, and not by 0 along those): .grad is that gradient, its strides
    x = (torchlet.zeros(0, 1) + 0).requires_grad_()  # strides (1, 0)
    (x * torchlet.ones(1)).sum().backward()
    assert x.grad.stride() == (1, 1)


# -- live comparison with torch ------------------------------------------------------------

_OPS = {
    "sort": lambda L, x: tuple(x.sort(0)), "sort_last": lambda L, x: tuple(x.sort(-1, True)),
    "argsort": lambda L, x: x.argsort(-1), "msort": lambda L, x: L.msort(x),
    "topk0": lambda L, x: tuple(x.topk(0, 0)), "rot90": lambda L, x: L.rot90(x, 1, (0, -1)),
    "rot90_3": lambda L, x: L.rot90(x, 3, (0, -1)), "add_s": lambda L, x: x + 1,
    "mul_row": lambda L, x: x * L.ones(x.shape[-1:]), "sub_s": lambda L, x: x - 1,
    "div_s": lambda L, x: x / 2, "add_self": lambda L, x: x + x,
    "nan_to_num": lambda L, x: x.nan_to_num(), "exp": lambda L, x: x.exp(),
    "max_values": lambda L, x: x.max(-1).values.clone(),
    "add_out": lambda L, x: L.add(x, 1, out=L.empty(0)),
    "grad_sum": lambda L, x: _grad(L, x, lambda y: y.sum()),
    "grad_bcast": lambda L, x: _grad(L, x, lambda y: (y * L.ones(1)).sum()),
    "grad_sort": lambda L, x: _grad(L, x, lambda y: y.sort(0).values.sum()),
}


def _grad(L, x, loss):
    x = x.clone().requires_grad_()
    loss(x).backward()
    return x.grad


_INPUTS = {
    "contig": lambda L, shape: L.zeros(shape) + 0,
    "numpy0": lambda L, shape: L.from_numpy(np.zeros(shape, np.float32)),
    "reversed": lambda L, shape: L.zeros(shape[::-1]).permute(*range(len(shape) - 1, -1, -1)),
    "strided": lambda L, shape: L.zeros(200).as_strided(
        shape, tuple(range(2 * len(shape) - 1, 0, -2))),
    "slice": lambda L, shape: L.zeros(tuple(2 * n + 1 for n in shape))[
        tuple(slice(0, 2 * n, 2) for n in shape)],
    "expanded": lambda L, shape: L.zeros((1,) * len(shape)).expand(*shape),
}


def _describe(result):
    if isinstance(result, tuple):
        return tuple(_describe(r) for r in result)
    return _layout(result), str(result.dtype)


def _outcome(L, shape, inp, op):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _describe(_OPS[op](L, _INPUTS[inp](L, shape)))
    except Exception as e:  # noqa: BLE001 - the exception type is compared
        return type(e).__name__


def _cases():
    shapes = [s for r in (2, 3) for s in itertools.product((0, 1, 2, 3), repeat=r) if 0 in s]
    rng = np.random.default_rng(28)
    return [(shapes[rng.integers(len(shapes))], inp, op)
            for op in sorted(_OPS) for inp in sorted(_INPUTS) for _ in range(2)]


def test_layouts_match_torch():
    torch = pytest.importorskip("torch")
    bad = [(case, _outcome(torch, *case), _outcome(torchlet, *case)) for case in _cases()]
    bad = [b for b in bad if b[1] != b[2]]
    assert not bad, bad[:5]


def test_topk_zero_of_nonempty_matches_torch():
    torch = pytest.importorskip("torch")
    for shape in ((2, 3, 4), (4,), (2, 1, 3)):
        for dim in range(len(shape)):
            for L_in in ("contig", "reversed", "strided"):
                want = _describe(tuple(_INPUTS[L_in](torch, shape).topk(0, dim)))
                got = _describe(tuple(_INPUTS[L_in](torchlet, shape).topk(0, dim)))
                assert got == want, (shape, dim, L_in)

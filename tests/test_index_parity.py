"""Live differential tests against torch 2.13 for four indexing parity fixes:

1. the memory layout of advanced indexing (``x.transpose(0, 2)[:, i]``): torch's
   TensorIterator allocates the result in its operands' memory order;
2. rot90 of a non-contiguous tensor: torch's flip keeps the input's layout, then
   ``transpose_``; never a view of the input;
3. trace of a bool tensor: torch's dtype check comes before its dimension check;
4. index and mask tensors are saved for backward with their version: changing one in place
   before backward raises torch's error (and a second backward raises "second time").

Everything compared here is bit-exact: values (pure copies), strides, exception types and
messages (the version-counter message whole: its tensor description, ``[CPUBoolType
[4, 3]]`` for a bool mask, included).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet

torch = pytest.importorskip("torch")

LIBS = (torch, torchlet)


def _both(fn):
    """fn(lib) for torch and torchlet: ('ok', result) or ('error', type name, message)."""
    out = []
    for lib in LIBS:
        try:
            out.append(("ok", fn(lib)))
        except Exception as error:  # noqa: BLE001 - the type and message are compared
            out.append(("error", type(error).__name__, str(error)))
    return out


def _assert_same_tensor(t, l, strides=True):
    assert tuple(l.shape) == tuple(t.shape)
    assert str(l.dtype) == str(t.dtype)
    np.testing.assert_array_equal(l.detach().numpy(), t.detach().numpy())
    if strides and t.numel():
        assert l.stride() == t.stride()


# ---------------------------------------------------------------------------------------
# 1. layout of advanced indexing


def _layout_case(lib, shape, perm, step, key):
    """A tensor of ``shape`` stored permuted by ``perm`` (and sliced by ``step`` along its
    last stored dim), indexed by ``key`` (tuples describing each index)."""
    stored = [shape[p] for p in perm]
    stored[-1] *= step
    base = lib.from_numpy(np.arange(int(np.prod(stored)), dtype=np.float32).reshape(stored))
    if step > 1:
        base = base[..., ::step]
    x = base.permute(*np.argsort(perm).tolist())
    index = []
    for kind, value in key:
        if kind == "tensor":
            index.append(lib.from_numpy(value.copy()))
        elif kind == "tensor_t":
            index.append(lib.from_numpy(np.ascontiguousarray(value.T)).t())
        elif kind == "mask":
            index.append(lib.from_numpy(value.copy()))
        elif kind == "int":
            index.append(value)
        else:
            index.append(slice(None))
    return x[tuple(index)]


@st.composite
def layout_cases(draw):
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    perm = tuple(draw(st.permutations(range(ndim))))
    step = draw(st.integers(1, 2))
    key = []
    for size in shape:
        kind = draw(st.sampled_from(["tensor", "tensor", "tensor_t", "mask", "int", "slice"]))
        seed = draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        if kind == "tensor":
            key.append((kind, rng.integers(0, size, draw(st.sampled_from([(1,), (3,), (2, 3)])))))
        elif kind == "tensor_t":
            key.append((kind, rng.integers(0, size, (2, 3))))
        elif kind == "mask":
            key.append((kind, rng.random(size) < 0.6))
        elif kind == "int":
            key.append((kind, int(rng.integers(0, size))))
        else:
            key.append((kind, None))
    return shape, perm, step, key


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(case=layout_cases())
def test_advanced_index_layout_matches_torch(case):
    shape, perm, step, key = case
    t_out, l_out = _both(lambda lib: _layout_case(lib, shape, perm, step, key))
    assert t_out[0] == l_out[0]
    if t_out[0] == "ok":
        _assert_same_tensor(t_out[1], l_out[1])
    else:
        assert l_out[1:] == t_out[1:]


@pytest.mark.parametrize(
    "fn",
    [
        lambda t, x, i: x.transpose(0, 2)[:, i],
        lambda t, x, i: x.transpose(0, 2)[i],
        lambda t, x, i: x.transpose(0, 2)[..., i[:1]],
        lambda t, x, i: x.transpose(0, 2)[:, i.reshape(2, 1).expand(2, 2)],
        lambda t, x, i: x.permute(1, 2, 0)[i, :, i[:1]],
        lambda t, x, i: x.transpose(0, 2)[:, t.tensor([True, False, True])],
        lambda t, x, i: x[:, ::2][:, i[:1]],
        lambda t, x, i: x[:, i],  # contiguous: the fast path
        lambda t, x, i: x[i[:1], i],
        lambda t, x, i: x.transpose(0, 2).index_select(1, i),
        lambda t, x, i: x.transpose(0, 2).gather(1, t.zeros(4, 2, 2, dtype=t.long)),
        lambda t, x, i: t.take_along_dim(x.transpose(0, 2), t.zeros(4, 2, 2, dtype=t.long), 1),
        lambda t, x, i: t.take(x.transpose(0, 2), i.reshape(2, 1)),
        lambda t, x, i: x.transpose(0, 2).masked_select(x.transpose(0, 2) > 3),
    ],
)
def test_index_layout_of_non_contiguous_inputs(fn):
    def run(lib):
        x = lib.arange(24.0).reshape(2, 3, 4)
        return fn(lib, x, lib.tensor([0, 2]))

    t_out, l_out = _both(run)
    _assert_same_tensor(t_out[1], l_out[1])


def test_index_layout_with_grad_and_its_gradient():
    def run(lib):
        x = lib.arange(24.0, dtype=lib.float64).reshape(2, 3, 4).requires_grad_()
        y = x.transpose(0, 2)[:, lib.tensor([0, 2, 2])]
        (y * lib.arange(24.0, dtype=lib.float64).reshape(4, 3, 2)).sum().backward()
        return y, x.grad

    (_, (y_t, g_t)), (_, (y_l, g_l)) = _both(run)
    _assert_same_tensor(y_t, y_l)
    _assert_same_tensor(g_t, g_l)
    # the Index primitive's node (its class is named as torch's node)
    assert type(y_l.grad_fn).__mro__[1].__name__ == "Index"
    assert type(y_l.grad_fn).__name__ == y_l.grad_fn.name() == "IndexBackward0"


@pytest.mark.parametrize(
    "index",
    [
        lambda t: t.tensor([0, 2, 1]),
        lambda t: (t.tensor([0, 2]), t.tensor([1, 1])),
        lambda t: (t.tensor([[0], [2]]), t.tensor([1, 0, 1])),
        lambda t: t.tensor([0, 1], dtype=t.int32),
        lambda t: (t.tensor([0, 9]),),
        lambda t: (t.tensor([0]), t.tensor([0, 1]), t.tensor([1])),
    ],
)
def test_integer_tensor_fast_path_matches_general_path(index):
    # x[idx] and x[rows, cols] skip the parser; x[idx, ...] takes the general path
    def fast(lib):
        return lib.arange(12.0).reshape(3, 4)[index(lib)]

    def general(lib):
        idx = index(lib)
        return lib.arange(12.0).reshape(3, 4)[(*(idx if isinstance(idx, tuple) else (idx,)), ...)]

    t_fast, l_fast = _both(fast)
    l_general = _both(general)[1]
    assert l_fast[0] == l_general[0] == t_fast[0]
    if t_fast[0] == "error":
        assert l_fast[1:] == l_general[1:]
        assert l_fast[1] == t_fast[1]
        return
    _assert_same_tensor(l_general[1], l_fast[1])
    _assert_same_tensor(t_fast[1], l_fast[1])


# ---------------------------------------------------------------------------------------
# 2. rot90


def _rot90_inputs(lib):
    base = np.arange(24, dtype=np.float32)
    yield lib.from_numpy(base.reshape(4, 6).copy())
    yield lib.from_numpy(base.reshape(6, 4).copy()).t()
    yield lib.from_numpy(base.reshape(4, 6).copy())[:, ::2]
    yield lib.from_numpy(base[:6].copy()).expand(4, 6)
    yield lib.from_numpy(base.reshape(2, 3, 4).copy()).permute(2, 0, 1)
    yield lib.from_numpy(base.reshape(2, 3, 4).copy()).permute(2, 0, 1)[:, :, ::2]


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 4, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (-1, 0)])
def test_rot90_values_layout_and_copy(k, dims):
    for x_t, x_l in zip(_rot90_inputs(torch), _rot90_inputs(torchlet), strict=True):
        r_t, r_l = torch.rot90(x_t, k, dims), torchlet.rot90(x_l, k, dims)
        _assert_same_tensor(r_t, r_l)
        assert (r_t.data_ptr() == x_t.data_ptr()) == (r_l.data_ptr() == x_l.data_ptr())
        assert not np.shares_memory(r_l.numpy(), x_l.numpy())


def test_rot90_gradient_of_transposed_input():
    def run(lib):
        x = lib.arange(12.0, dtype=lib.float64).reshape(4, 3).t().requires_grad_()
        y = lib.rot90(x, 1)
        (y * lib.arange(12.0, dtype=lib.float64).reshape(4, 3)).sum().backward()
        return x.grad

    (_, g_t), (_, g_l) = _both(run)
    _assert_same_tensor(g_t, g_l, strides=False)


# ---------------------------------------------------------------------------------------
# 3. trace


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int64", "float32"])
@pytest.mark.parametrize("shape", [(), (2,), (2, 2), (0, 3), (2, 2, 2)])
def test_trace_error_order(dtype, shape):
    array = (np.arange(int(np.prod(shape))) % 3).reshape(shape).astype(dtype)
    for call in (lambda lib, x: x.trace(), lambda lib, x: lib.trace(x)):
        t_out, l_out = _both(lambda lib, call=call: call(lib, lib.from_numpy(array.copy())))
        assert l_out[0] == t_out[0]
        if t_out[0] == "error":
            assert l_out[1:] == t_out[1:]
        else:
            _assert_same_tensor(t_out[1], l_out[1])


# ---------------------------------------------------------------------------------------
# 4. index and mask tensors changed in place before backward


def _getitem_mask(lib, x):
    m = x > 0
    return x[m], lambda: m.fill_(False)


def _getitem_row_mask(lib, x):
    m = lib.tensor([True, False, True, False])
    return x[m], lambda: m.fill_(False)


def _getitem_col_mask(lib, x):
    m = lib.tensor([True, False, True])
    return x[:, m], lambda: m.fill_(False)


def _getitem_index(lib, x):
    i = lib.tensor([0, 2])
    return x[i], lambda: i.fill_(1)


def _getitem_two(lib, x):
    i, j = lib.tensor([0, 2]), lib.tensor([1, 1])
    return x[i, j], lambda: j.fill_(0)


def _getitem_after_slice(lib, x):
    i = lib.tensor([0, 2])
    return x[1:, i], lambda: i.add_(0)


def _masked_fill(lib, x):
    m = x > 0
    return x.masked_fill(m, 0.0), lambda: m.fill_(False)


def _masked_fill_tensor(lib, x):
    m = x > 0
    return x.masked_fill(m, lib.tensor(2.0, dtype=lib.float64)), lambda: m.fill_(False)


def _masked_select(lib, x):
    m = x > 0
    return x.masked_select(m), lambda: m.fill_(False)


def _index_select(lib, x):
    i = lib.tensor([0, 2])
    return x.index_select(0, i), lambda: i.fill_(1)


def _gather(lib, x):
    i = lib.tensor([[0, 2, 1]])
    return x.gather(0, i), lambda: i.fill_(1)


def _take(lib, x):
    i = lib.tensor([0, 2])
    return lib.take(x, i), lambda: i.fill_(1)


def _take_along_dim(lib, x):  # torch: no error (the index it saves is a broadcast copy)
    i = lib.tensor([[0, 2, 1]])
    return lib.take_along_dim(x, i, 0), lambda: i.fill_(1)


def _take_along_flat(lib, x):  # torch: an error (a view of the index is saved)
    i = lib.tensor([0, 2, 1])
    return lib.take_along_dim(x, i), lambda: i.fill_(1)


def _unchanged_mask(lib, x):
    m = x > 0
    return x[m] + x.masked_fill(m, 1.0).sum(), lambda: None


CHANGED = [
    _getitem_mask, _getitem_row_mask, _getitem_col_mask, _getitem_index, _getitem_two,
    _getitem_after_slice, _masked_fill, _masked_fill_tensor, _masked_select, _index_select,
    _gather, _take, _take_along_dim, _take_along_flat, _unchanged_mask,
]


@pytest.mark.parametrize("case", CHANGED, ids=lambda c: c.__name__.lstrip("_"))
def test_index_changed_in_place_before_backward(case):
    def run(lib):
        x = lib.from_numpy(np.arange(-5.0, 7.0).reshape(4, 3)).requires_grad_()
        y, change = case(lib, x)
        change()
        (y * lib.arange(float(y.numel()), dtype=lib.float64).reshape(y.shape)).sum().backward()
        return x.grad

    t_out, l_out = _both(run)
    assert l_out[0] == t_out[0], (t_out, l_out)
    if t_out[0] == "ok":
        _assert_same_tensor(t_out[1], l_out[1], strides=False)
        return
    assert l_out[1] == t_out[1] == "RuntimeError"
    assert "modified by an inplace operation" in t_out[2]
    assert l_out[2] == t_out[2]


@pytest.mark.parametrize("case", CHANGED, ids=lambda c: c.__name__.lstrip("_"))
def test_second_backward_without_retain_graph(case):
    # what an indexing node saves is freed by the first backward, as in torch
    def run(lib):
        x = lib.from_numpy(np.arange(-5.0, 7.0).reshape(4, 3)).requires_grad_()
        y, _ = case(lib, x)
        loss = y.sum()
        loss.backward()
        loss.backward()

    t_out, l_out = _both(run)
    assert l_out[:2] == t_out[:2]
    if t_out[0] == "error":
        assert l_out[2].startswith("Trying to backward through the graph a second time")

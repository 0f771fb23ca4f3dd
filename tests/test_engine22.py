"""Gradient accumulation into a leaf's .grad: the layout torch's AccumulateGrad gives it.

torch takes a first gradient over as it is when nobody else holds it and it obeys the
gradient layout contract with the leaf (the leaf's strides wherever a dim is not of size
1, for a dense leaf; contiguous, for any other), else copies it into the leaf's own
strides (a dense leaf) or into C order.
"""

import itertools
import sys
import weakref

import numpy as np
import pytest

import torchlet

STEALS = pytest.mark.skipif(sys.version_info >= (3, 14),
                            reason="3.14 borrows references: the engine copies")


def _strided(lib, values, shape, strides, offset=0):
    return lib.tensor(values).as_strided(shape, strides, offset)


def _leaf(lib, values, shape, strides, offset=0):
    return _strided(lib, values, shape, strides, offset).detach().requires_grad_()


def _size1_channels_last_case(lib):
    # a channels_last gradient of a tensor whose spatial dims are of size 1
    y = lib.tensor(np.arange(32, dtype=np.float32).reshape(2, 16, 1, 1), requires_grad=True)
    g = _strided(lib, np.arange(32, dtype=np.float32) / 4, (2, 16, 1, 1), (16, 1, 16, 16))
    (y * 1).backward(g)
    return y, g


def test_fresh_gradient_keeps_its_size1_strides():
    y, g = _size1_channels_last_case(torchlet)
    # the fresh y*1 gradient obeys the contract (dims of size 1 aside): taken as it is
    assert y.grad.stride() == (16, 1, 16, 16)
    assert np.array_equal(y.grad.numpy(), g.numpy())


def test_fresh_gradient_keeps_its_size1_strides_as_torch():
    torch = pytest.importorskip("torch")
    y, _ = _size1_channels_last_case(torch)
    t, _ = _size1_channels_last_case(torchlet)
    assert t.grad.stride() == y.grad.stride()
    assert np.array_equal(t.grad.numpy(), y.grad.numpy())


def test_copied_gradient_takes_the_leaf_strides_size1_dims_too():
    # the user's gradient is held by the user: copied into the leaf's strides, those of
    # its size-1 dims included (torch's new_empty_strided_like)
    for lib in (torchlet,):
        y = _leaf(lib, np.arange(40, dtype=np.float32), (2, 16, 1, 1), (16, 1, 7, 7))
        g = lib.ones(2, 16, 1, 1)
        y.backward(g)
        assert y.grad.stride() == (16, 1, 7, 7)
        assert np.array_equal(y.grad.numpy(), np.ones((2, 16, 1, 1), np.float32))
        assert not np.shares_memory(y.grad._data, g._data)


def test_copied_gradient_of_a_non_dense_leaf_is_contiguous():
    y = _leaf(torchlet, np.arange(3, dtype=np.float32), (3, 4), (1, 0))  # expanded
    g = torchlet.ones(4, 3).t()
    (y * 2).backward(g)
    assert y.grad.stride() == (4, 1) and y.grad.tolist() == [[2.0] * 4] * 3


def test_create_graph_copy_of_a_non_dense_leaf_is_a_clone():
    # torch's clone_obey_contract: a dense leaf's grad is copied into its layout
    # (CopyBackwards), any other leaf's cloned contiguous (CloneBackward0)
    g = torchlet.ones(3, 4, requires_grad=True)
    y = _leaf(torchlet, np.arange(3, dtype=np.float32), (3, 4), (1, 0))
    (y * 1).backward(g, create_graph=True)
    assert y.grad.grad_fn.name() == "CloneBackward0"
    assert y.grad.stride() == (4, 1) and y.grad.tolist() == [[1.0] * 4] * 3
    z = torchlet.ones(4, 3).t().detach().requires_grad_()
    (z * 1).backward(g, create_graph=True)
    assert z.grad.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert z.grad.stride() == (1, 3)


def test_create_graph_copy_as_torch():
    torch = pytest.importorskip("torch")
    names = []
    for lib in (torch, torchlet):
        g = lib.ones(3, 4, requires_grad=True)
        y = _leaf(lib, np.arange(3, dtype=np.float32), (3, 4), (1, 0))
        (y * 1).backward(g, create_graph=True)
        names.append((y.grad.grad_fn.name(), y.grad.stride()))
    assert names[0] == names[1]


class _Given(torchlet.autograd.Function):
    """out = x;  grad_x = whatever ``make`` returns (to control the gradient's array)."""

    @staticmethod
    def forward(ctx, x, make):
        ctx.make = make
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return ctx.make(), None


@STEALS
def test_strided_view_of_a_new_buffer_is_taken_over():
    # a channels_last gradient is a view of a new buffer that nothing else holds
    made = []

    def make():
        g = torchlet.ones(2, 3, 4, 5).contiguous(memory_format=torchlet.channels_last)
        made.append(weakref.ref(g._data))
        return g

    y = torchlet.zeros(2, 3, 4, 5).contiguous(memory_format=torchlet.channels_last)
    y.requires_grad_()
    _Given.apply(y, make).sum().backward()
    assert y.grad._data is made[0]()  # the very array: no copy
    assert y.grad.stride() == (60, 1, 15, 3)


def test_gradient_whose_memory_is_held_elsewhere_is_copied():
    kept = np.ones((8, 3), np.float32)  # someone else's array: the gradient views it
    y = torchlet.zeros(4, 3, requires_grad=True)
    _Given.apply(y, lambda: torchlet.from_numpy(kept[::2])).sum().backward()
    assert not np.shares_memory(y.grad._data, kept)
    y.grad.add_(1)
    assert kept.tolist() == [[1.0] * 3] * 8 and y.grad.tolist() == [[2.0] * 3] * 4
    held = torchlet.ones(4, 3)  # a tensor the user holds
    z = torchlet.zeros(4, 3, requires_grad=True)
    _Given.apply(z, lambda: held).sum().backward()
    assert z.grad is not held and not np.shares_memory(z.grad._data, held._data)


@STEALS
def test_gradient_against_the_layout_contract_is_copied():
    # a C-order gradient for a channels_last leaf: copied into the leaf's layout
    made = []

    def make():
        g = torchlet.full((2, 3, 4, 5), 3.0)
        made.append(weakref.ref(g._data))
        return g

    y = torchlet.zeros(2, 3, 4, 5).contiguous(memory_format=torchlet.channels_last)
    y.requires_grad_()
    _Given.apply(y, make).sum().backward()
    assert made[0]() is None  # the gradient was dropped after being copied
    assert y.grad.stride() == (60, 1, 15, 3) and float(y.grad.sum()) == 360.0


def test_second_accumulation_keeps_the_layout():
    y, g = _size1_channels_last_case(torchlet)
    first = y.grad
    (y * 2).backward(g)
    assert y.grad is first and y.grad.stride() == (16, 1, 16, 16)
    assert np.array_equal(y.grad.numpy(), 3 * g.numpy())


# ---------------------------------------------------------------------------------------
# sampled differential test: leaves and gradients of many layouts, as torch


def _dense(shape, order):
    strides, step = [0] * len(shape), 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return strides


def _layouts(shape):
    """(strides, storage size, offset): every dim order, odd and zero size-1 strides, an
    expanded dim, a strided (non-dense) view."""
    n, numel = len(shape), int(np.prod(shape))
    c_order = list(range(n))[::-1]
    out = [(_dense(shape, p), numel, 0) for p in itertools.permutations(range(n))]
    if 1 in shape:
        c = _dense(shape, c_order)
        out.append(([s if shape[i] != 1 else 7 for i, s in enumerate(c)], numel + 10, 0))
        out.append(([s if shape[i] != 1 else 0 for i, s in enumerate(c)], numel, 0))
    big = [i for i in range(n) if shape[i] > 1]
    if big:
        c = _dense(shape, c_order)
        c[big[0]] = 0
        out.append((c, numel, 0))
        out.append(([2 * s for s in _dense(shape, c_order)], 2 * numel + 2, 1))
    return out


def _run(lib, how, shape, leaf_layout, grad_layout, leaf_values, grad_values):
    y = _leaf(lib, leaf_values, shape, leaf_layout[0], leaf_layout[2])
    g = _strided(lib, grad_values, shape, grad_layout[0], grad_layout[2])
    if how == "fresh":
        (y * 1).backward(g)
    elif how == "passed":  # the user's own gradient reaches the leaf through clone
        y.clone().backward(g)
    elif how == "root":
        y.backward(g)
    elif how == "through":  # a fresh gradient passed on unchanged by clone: taken over
        (y * 1).clone().backward(g)
    else:  # twice: a second gradient added in place
        (y * 1).backward(g)
        (y * 2).backward(g)
    return y.grad.stride(), y.grad.detach().numpy().copy()


def test_sampled_layouts_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    shapes = [(2, 3, 4), (2, 16, 1, 1), (4, 3), (3, 1), (2, 1, 3), (5,), (), (0, 3)]
    checked = 0
    for _ in range(120):
        shape = shapes[rng.integers(len(shapes))]
        layouts = _layouts(shape)
        leaf = layouts[rng.integers(len(layouts))]
        grad = layouts[rng.integers(len(layouts))]
        how = ["fresh", "passed", "root", "twice", "through"][rng.integers(5)]
        leaf_values = rng.standard_normal(leaf[1]).astype(np.float32)
        grad_values = rng.standard_normal(grad[1]).astype(np.float32)
        expected = _run(torch, how, shape, leaf, grad, leaf_values, grad_values)
        got = _run(torchlet, how, shape, leaf, grad, leaf_values, grad_values)
        assert got[0] == expected[0], (shape, leaf, grad, how)
        assert np.array_equal(got[1], expected[1]), (shape, leaf, grad, how)
        checked += 1
    assert checked == 120

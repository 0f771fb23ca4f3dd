"""Empty basic-index views placed and strided as torch's; retain_grad stores a contiguous
copy of the first gradient (session 18, q1)."""

import numpy as np
import pytest

import torchlet

# (shape, chain of indices, torch's (shape, stride, storage_offset)), read from torch 2.13
EMPTY_CASES = [
    ((10,), [slice(2, 2)], ((0,), (1,), 2)),
    ((10,), [slice(5, None), slice(7, None)], ((0,), (1,), 10)),
    ((1, 0, 0), [(slice(None), slice(None), slice(None, None, 2))], ((1, 0, 0), (1, 1, 2), 0)),
    ((4, 5), [(slice(1, None), slice(3, 3))], ((3, 0), (5, 1), 8)),
    ((4, 5), [(2, slice(3, 3))], ((0,), (1,), 13)),
    ((4, 5), [(slice(1, 1), slice(3, None))], ((0, 2), (5, 1), 8)),
    ((4, 5), [slice(-2, -3)], ((0, 5), (5, 1), 10)),
    ((4, 5), [(Ellipsis, slice(7, None))], ((4, 0), (5, 1), 5)),
    ((4, 5), [slice(3, 1, 2)], ((0, 5), (10, 1), 15)),
    ((4, 5), [(slice(None), slice(2, 2)), slice(1, None)], ((3, 0), (5, 1), 7)),
    ((3, 0), [1], ((0,), (1,), 1)),
    ((3, 0), [slice(1, None)], ((2, 0), (1, 1), 1)),
]


def _run(m, shape, chain, grad):
    t = m.arange(float(np.prod(shape))).reshape(shape)
    if grad:
        t.requires_grad_()
    for index in chain:
        t = t[index]
    return tuple(t.shape), t.stride(), t.storage_offset()


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("shape,chain,expected", EMPTY_CASES)
def test_empty_view_offset_and_strides(shape, chain, expected, grad):
    assert _run(torchlet, shape, chain, grad) == expected


def test_empty_view_after_new_dim_untracked():
    # (with autograd the None is its own step, whose new dim gets NumPy's stride 0)
    assert _run(torchlet, (4, 5), [(None, slice(3, 1))], False) == ((1, 0, 5), (20, 5, 1), 15)


def test_empty_view_of_transpose_and_data_ptr():
    x = torchlet.zeros(4, 5)
    y = x.t()[1:1]
    assert (y.stride(), y.storage_offset()) == ((1, 5), 1)
    assert x[2:2].data_ptr() == x.data_ptr() + 2 * 5 * 4


def test_empty_view_live_vs_torch():
    torch = pytest.importorskip("torch")
    for shape, chain, _ in EMPTY_CASES:
        for grad in (False, True):
            assert _run(torchlet, shape, chain, grad) == _run(torch, shape, chain, grad)


def _random_index(rng, shape):
    items, dim = [], 0
    while dim < len(shape) and rng.random() < 0.8:
        u = rng.random()
        if u < 0.2 and shape[dim] > 0:
            items.append(int(rng.integers(-shape[dim], shape[dim])))
        else:
            n = shape[dim]
            start, stop = (None if rng.random() < 0.3 else int(rng.integers(-n - 2, n + 3))
                           for _ in range(2))
            step = None if rng.random() < 0.5 else int(rng.integers(1, 4))
            items.append(slice(start, stop, step))
        dim += 1
    return tuple(items)


def test_sampled_empty_chains_vs_torch():
    """Random chains of ints and slices (no None: torchlet's ``x[None]`` stride of the
    new dim is NumPy's 0 on non-empty views, a known gap) on permuted aranges."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    empties = 0
    for _ in range(200):
        shape = tuple(int(s) for s in rng.integers(0, 6, rng.integers(1, 4)))
        perm = [int(p) for p in rng.permutation(len(shape))]
        grad = bool(rng.random() < 0.3)
        views = []
        for m in (torch, torchlet):
            t = m.arange(float(np.prod(shape))).reshape(shape).permute(*perm)
            views.append(t.requires_grad_() if grad else t)
        for _ in range(int(rng.integers(1, 4))):
            index = _random_index(rng, tuple(views[0].shape))
            views = [v[index] for v in views]
        a, b = views
        empties += a.numel() == 0
        assert (tuple(b.shape), b.stride(), b.storage_offset()) == (
            tuple(a.shape), a.stride(), a.storage_offset()), (shape, perm)
        if a.numel():
            np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())
    assert empties > 50


def _retained_strides(m, transposed_g, twice):
    x = m.ones(3, 4, requires_grad=True)
    y = x.mT * 1
    y.retain_grad()
    g = m.arange(12.).reshape(3, 4).mT if transposed_g else m.arange(12.).reshape(4, 3)
    (y * g).sum().backward(retain_graph=True)
    if twice:
        (y * g).sum().backward()
    return y.grad.stride(), y.grad.tolist()


@pytest.mark.parametrize("twice", [False, True])
@pytest.mark.parametrize("transposed_g", [False, True])
def test_retain_grad_is_contiguous(transposed_g, twice):
    stride, values = _retained_strides(torchlet, transposed_g, twice)
    assert stride == (3, 1)
    g = np.arange(12.).reshape(3, 4).T if transposed_g else np.arange(12.).reshape(4, 3)
    np.testing.assert_array_equal(values, g * (2 if twice else 1))


def test_retain_grad_channels_last_and_expanded():
    x = torchlet.ones(2, 3, 4, 5, requires_grad=True)
    y = (x * 1).contiguous(memory_format=torchlet.channels_last)
    y.retain_grad()
    y.sum().backward()
    assert y.grad.stride() == (60, 20, 5, 1)
    assert y.grad.tolist() == np.ones((2, 3, 4, 5)).tolist()


def test_retain_grad_live_vs_torch():
    torch = pytest.importorskip("torch")
    for transposed_g in (False, True):
        for twice in (False, True):
            assert (_retained_strides(torchlet, transposed_g, twice)
                    == _retained_strides(torch, transposed_g, twice))

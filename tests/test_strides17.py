"""Strides torch reports in corner cases: size-1 dims under preserve_format and
TensorIterator's output layout, squeeze/unsqueeze gradients as views, and empty
tensors in channels_last. Each test checks a hand-derived expectation, and torch's
answer where torch is importable."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
LIBS = [torchlet] if torch is None else [torchlet, torch]


def _channels_last_c1(L):
    """(2, 1, 16, 16) in channels_last with C = 1: C-contiguous, yet dim 1 has stride 1."""
    return L.empty(2, 16, 16, 1).permute(0, 3, 1, 2)


def _transposed(L):
    """(1, 4, 8) with strides (32, 1, 4): not C-contiguous, dense, dim 0 of size 1."""
    return L.empty(1, 8, 4).transpose(1, 2)


# ---------------------------------------------------------------------------------------
# preserve_format keeps a dense input's strides, size-1 dims' too


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("op", ["clone", "empty_like", "zeros_like", "ones_like", "full_like",
                                "rand_like"])
def test_preserve_format_keeps_size1_strides(L, op):
    make = {"clone": lambda t: t.clone(), "empty_like": L.empty_like,
            "zeros_like": L.zeros_like, "ones_like": L.ones_like,
            "full_like": lambda t: L.full_like(t, 2.0), "rand_like": L.rand_like}[op]
    assert make(_channels_last_c1(L)).stride() == (256, 1, 16, 1)
    assert make(_transposed(L)).stride() == (32, 1, 4)
    dense = L.arange(12.0).reshape(1, 3, 2, 2).permute(2, 3, 0, 1)[:, :, ::2]
    assert dense.stride() == (2, 1, 24, 4)  # dense, whatever the size-1 dim's stride
    assert make(dense).stride() == (2, 1, 24, 4)
    odd = L.arange(24.0).reshape(1, 4, 3, 2)[:, :, ::2].permute(3, 2, 0, 1)
    assert odd.stride() == (1, 4, 24, 6)  # (2, 2, 1, 4): gaps, so not dense
    # infer_dense_strides: dims by stride (0, 1, 3, 2), each over the faster ones
    assert make(odd).stride() == (1, 2, 16, 4)


def test_preserve_format_values_and_zero_fill():
    o = torchlet.arange(24.0).reshape(1, 2, 3, 4).permute(2, 0, 3, 1)
    c = o.clone()
    assert np.array_equal(c.numpy(), o.numpy())
    z = torchlet.zeros_like(_channels_last_c1(torchlet))
    assert z.stride() == (256, 1, 16, 1) and not z.numpy().any()


# ---------------------------------------------------------------------------------------
# elementwise outputs: TensorIterator's fast setup and its sort


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_elementwise_of_transposed_size1(L):
    t = _transposed(L).fill_(1.5)
    for out in (t * 2, t + t, t.exp(), -t, t.relu(), L.atan2(t, t), L.maximum(t, t),
                t.clamp(0, 1), t.sign()):
        assert out.stride() == (32, 1, 4)


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_elementwise_keeps_dense_strides(L):
    # (2, 2, 1, 3) with strides (2, 1, 24, 4): dense, so the fast setup copies them
    x = L.arange(12.0).reshape(1, 3, 2, 2).permute(2, 3, 0, 1)[:, :, ::2]
    assert x.stride() == (2, 1, 24, 4)
    for out in (-x, x.exp(), x.abs(), x + x, L.atan2(x, x), x.relu()):
        assert out.stride() == (2, 1, 24, 4)
    # with a scalar operand, the sorted layout: dims (1, 0, 3, 2), the size-1 dim last
    assert (x * 2).stride() == (2, 1, 12, 4)


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_elementwise_channels_last_fast_setup(L):
    # (1, 3, 1, 3) with strides (1, 1, 1, 3): channels_last-contiguous, so the output
    # gets channels_last's own strides (size-1 dims included)
    t = L.arange(3.0).reshape(3, 1, 1).permute(2, 1, 0).unsqueeze(1).expand(1, 3, 1, 3)
    a = t.abs()
    assert a.stride() == (1, 1, 1, 3)
    assert a.sqrt().stride() == (9, 1, 9, 3)
    assert a.exp().stride() == (9, 1, 9, 3)
    # 5-D: channels_last_3d is no fast setup; the dense input's strides stay
    f = L.arange(12.0).reshape(1, 2, 2, 1, 3).permute(1, 4, 2, 3, 0)
    assert f.stride() == (6, 1, 3, 3, 12)
    assert (-f).stride() == (6, 1, 3, 3, 12)


@needs_torch
def test_elementwise_zero_size_broadcast_layout():
    for L in (torch, torchlet):
        b = L.empty((2, 3, 1, 0), memory_format=L.channels_last)
        assert b.stride() == (0, 1, 0, 3)
    # the layout helper itself (Mul's inline contiguity test does not reach it yet)
    from torchlet._ops.indexing._common import relaid

    a = torchlet.empty((2, 3, 1, 0), memory_format=torchlet.channels_last)._data
    out = relaid(a * 2, (a, np.array(2.0)))
    got = tuple(s // out.itemsize for s in out.strides)
    assert got == (torch.empty((2, 3, 1, 0), memory_format=torch.channels_last) * 2).stride()
    assert got == (0, 1, 3, 3)  # compatible_stride: the size-0 dim zeroes the slower ones


# ---------------------------------------------------------------------------------------
# squeeze / unsqueeze gradients are views of the incoming gradient


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_pool1d_input_gradient_strides(L):
    b = L.arange(32.0).reshape(1, 8, 4).requires_grad_()
    x = b.transpose(1, 2)
    for pool in (lambda v: L.nn.functional.max_pool1d(v, 2),
                 lambda v: L.nn.functional.avg_pool1d(v, 2),
                 lambda v: L.nn.functional.lp_pool1d(v + 1, 2.0, 2)):
        (g,) = L.autograd.grad(pool(x).sum(), x)
        assert g.stride() == (32, 1, 4)


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_squeeze_unsqueeze_backward_strides_and_values(L):
    x = L.arange(32.0).reshape(1, 8, 4).transpose(1, 2).requires_grad_()
    gy = L.arange(32.0).reshape(1, 8, 1, 4).permute(0, 3, 2, 1)  # (1, 4, 1, 8)
    (g,) = L.autograd.grad(x.unsqueeze(2), x, gy)
    assert g.stride() == (32, 1, 4)  # gy.squeeze(2), not a reshaped copy
    assert np.array_equal(g.detach().numpy(), gy.detach().numpy()[:, :, 0])
    gs = L.arange(32.0).reshape(8, 4).t()
    for y in (x.squeeze(), x.squeeze(0), x.squeeze((0, 1))):
        (g,) = L.autograd.grad(y, x, gs)
        assert g.stride() == (4, 1, 4)  # gs.unsqueeze(0): 4 * 1
        assert np.array_equal(g.numpy()[0], gs.numpy())


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_squeeze_backward_several_dims_and_inplace(L):
    x = L.arange(6.0).reshape(1, 2, 1, 3, 1).requires_grad_()
    gy = L.arange(6.0).reshape(3, 2).t()
    (g,) = L.autograd.grad(x.squeeze(), x, gy)
    assert g.shape == (1, 2, 1, 3, 1)
    assert np.array_equal(g.numpy().reshape(2, 3), gy.numpy())
    # gy's (1, 2) unsqueezed at 0, 2, 4: 2 * 1, then 3 * 2, then 1 at the end
    assert g.stride() == (2, 1, 6, 2, 1)
    y = x.clone()
    y.squeeze_(2)
    (g,) = L.autograd.grad(y, x, L.ones(1, 2, 3, 1))
    assert g.shape == (1, 2, 1, 3, 1) and g.sum().item() == 6.0


@needs_torch
def test_squeeze_double_backward_names():
    for L in (torch, torchlet):
        x = L.ones(1, 3, requires_grad=True)
        gy = L.ones(3, requires_grad=True)
        (g,) = L.autograd.grad(x.squeeze(0), x, gy, create_graph=True)
        name = g.grad_fn.name()
        (g2,) = L.autograd.grad(x.unsqueeze(1), x, L.ones(1, 1, 3, requires_grad=True),
                                create_graph=True)
        assert name == "UnsqueezeBackward0"
        assert g2.grad_fn.name() == "SqueezeBackward1"


# ---------------------------------------------------------------------------------------
# empty tensors in channels_last


@pytest.mark.parametrize("L", LIBS, ids=lambda m: m.__name__)
def test_empty_channels_last_strides(L):
    cl = L.channels_last
    e = L.empty((2, 4, 0, 9), memory_format=cl)
    assert e.stride() == (0, 1, 36, 4)  # no max(size, 1) in channels_last's strides
    assert e.is_contiguous() and e.is_contiguous(memory_format=cl)
    assert L.empty_like(e).stride() == (0, 1, 36, 4)
    assert e.clone().stride() == (0, 1, 36, 4)
    z = L.zeros(2, 4, 0, 9)
    assert z.stride() == (36, 9, 9, 1)
    assert not z.is_contiguous(memory_format=cl)
    assert z.contiguous(memory_format=cl).stride() == (0, 1, 36, 4)
    assert z.to(memory_format=cl).stride() == (0, 1, 36, 4)
    assert L.zeros_like(z, memory_format=cl).stride() == (0, 1, 36, 4)
    assert L.empty((2, 0, 3, 3), memory_format=cl).stride() == (0, 1, 0, 0)
    e3 = L.empty((2, 0, 1, 3, 2), memory_format=L.channels_last_3d)
    assert e3.stride() == (0, 1, 0, 0, 0)
    assert e3.is_contiguous(memory_format=L.channels_last_3d)
    one = L.empty(2, 1, 3, 3)
    assert one.is_contiguous(memory_format=cl)  # a size-1 C: either layout
    assert L.empty((2, 1, 3, 3), memory_format=cl).stride() == (9, 1, 3, 1)


@needs_torch
def test_empty_memory_format_sweep_matches_torch():
    import itertools

    shapes = list(itertools.product([0, 1, 2, 3], repeat=4))
    for s in shapes:
        got, want = [], []
        for L, sink in ((torchlet, got), (torch, want)):
            cl = L.channels_last
            for t in (L.empty(s, memory_format=cl), L.empty(s),
                      L.zeros_like(L.empty(s), memory_format=cl),
                      L.empty_like(L.empty(s, memory_format=cl)),
                      L.empty(s, memory_format=cl).clone(),
                      L.zeros(s).contiguous(memory_format=cl),
                      L.empty(s, memory_format=cl).contiguous(),
                      L.empty(s, memory_format=cl).exp()):
                sink.append((t.stride(), t.is_contiguous(), t.is_contiguous(memory_format=cl)))
        assert got == want, s


# ---------------------------------------------------------------------------------------
# a small sampled differential sweep


def _make(L, shape, perm, step):
    t = L.arange(float(np.prod(shape))).reshape(shape).permute(*perm)
    if step is not None:
        t = t[tuple(slice(None, None, s) for s in step)]
    return t


_OPS = {
    "clone": lambda L, t: t.clone(),
    "empty_like": lambda L, t: L.empty_like(t),
    "ones_like": lambda L, t: L.ones_like(t),
    "contiguous": lambda L, t: t.contiguous(),
    "channels_last": lambda L, t: (t.contiguous(memory_format=L.channels_last)
                                   if t.dim() == 4 else t.contiguous()),
    "neg": lambda L, t: -t,
    "exp": lambda L, t: t.exp(),
    "relu": lambda L, t: t.relu(),
    "add": lambda L, t: t + t,
    "atan2": lambda L, t: L.atan2(t, t),
    "maximum": lambda L, t: L.maximum(t, t),
    "sum_keepdim": lambda L, t: t.sum(0, keepdim=True),
    "unsqueeze": lambda L, t: t.unsqueeze(1),
    "squeeze": lambda L, t: t.squeeze(),
    "transpose": lambda L, t: t.transpose(0, -1),
}


def _report(t, L):
    out = (tuple(t.shape), t.stride(), t.is_contiguous())
    if t.dim() == 4:
        out += (t.is_contiguous(memory_format=L.channels_last),)
    return out


@needs_torch
def test_sampled_layouts_match_torch():
    rng = np.random.default_rng(17)
    checked = 0
    for _ in range(60):
        ndim = int(rng.integers(1, 6))
        shape = tuple(int(rng.choice([1, 1, 2, 3, 4])) for _ in range(ndim))
        perm = tuple(int(p) for p in rng.permutation(ndim))
        step = (tuple(int(rng.choice([1, 1, 2])) for _ in range(ndim))
                if rng.random() < 0.3 else None)
        for name, op in _OPS.items():
            got = _report(op(torchlet, _make(torchlet, shape, perm, step)), torchlet)
            want = _report(op(torch, _make(torch, shape, perm, step)), torch)
            assert got == want, (name, shape, perm, step)
            checked += 1
    assert checked == 60 * len(_OPS)


def test_scalar_operands_take_torchs_sorted_layout():
    """A Python number is a TensorIterator operand in torch (a wrapped 0-d tensor), so no
    fast setup: a size-1 dim's stride comes from the sort, for x * 2, 2 - x, x % 2,
    remainder(3, x), xlogy(2, x), float16 * number; and o + ones(16) (broadcast)."""
    x = torchlet.arange(12.0).reshape(1, 3, 2, 2).permute(2, 3, 0, 1)[:, :, ::2]
    for result in (2 - x, x * 2, x % 2, torchlet.remainder(3, x), torchlet.xlogy(2, x),
                   x.half() * 2.5, torchlet.special.xlog1py(x, 2)):
        assert result.stride() == (2, 1, 12, 4)
    assert x.deg2rad().stride() == (2, 1, 24, 4)  # (a unary kernel in torch: x's layout)
    o = torchlet.empty(2, 16, 16, 1).permute(0, 3, 1, 2)
    assert (o * 2).stride() == (256, 1, 16, 1)
    assert (o + torchlet.ones(16)).stride() == (256, 1, 16, 1)
    assert (o + o).stride() == (256, 256, 16, 1)  # fast setup: equal C-contiguous inputs


def test_dtype_conversion_keeps_size_1_and_size_0_strides():
    """.double() is a preserve_format copy: a dense input's strides are kept exactly,
    those of size-1 dims and of empty channels_last tensors included."""
    o = torchlet.empty(2, 16, 16, 1).permute(0, 3, 1, 2)
    assert o.double().stride() == (256, 1, 16, 1)
    e = torchlet.empty((2, 4, 0, 9), memory_format=torchlet.channels_last)
    assert e.double().stride() == (0, 1, 36, 4)
    assert torchlet.ones(3, 1, 4).double().stride() == (4, 4, 1)
    assert torchlet.ones(2, 3).double().stride() == (3, 1)

"""Gradient layouts of pointwise ops for odd input layouts (helper layout23): torch
computes grad * w, clamp's and maximum's masks, x * number through TensorIterator, whose
output follows its operands' strides (size-1 dims' too); copy_ into a new tensor keeps
its strides (torch's empty_like)."""

import numpy as np
import pytest

import torchlet


def _make(lib, shape, strides, size=200, offset=0):
    base = lib.tensor((np.arange(size, dtype=np.float32) * 0.37) % 2 - 1)
    return base.as_strided(shape, strides, offset)


def _incoming(lib, shape, leaf_strides, grad_strides, op):
    y = _make(lib, shape, leaf_strides).detach().requires_grad_()
    w = _make(lib, shape, leaf_strides, offset=3)
    g = _make(lib, shape, grad_strides, offset=5)
    return lib.autograd.grad(op(lib, y, w), y, g)[0]


_OPS = {
    "mul": lambda L, y, w: y * w,
    "clamp": lambda L, y, w: y.clamp(-0.5, 0.5),
    "maximum": lambda L, y, w: L.maximum(y, w),
    "atan2": lambda L, y, w: L.atan2(y, w),
    "lerp": lambda L, y, w: L.lerp(y, w, 0.3),
    "addcmul": lambda L, y, w: L.addcmul(w, y, w),
}

# (shape, leaf strides, grad strides, op, torch's gradient strides: derived by hand from
# TensorIterator's reorder_dimensions and compatible_stride)
_CASES = [
    # grad * w, w with odd size-1 strides [3, 7, 1]: w ties nothing, grad's C order
    # decides; contiguous w and grad: the fast setup's C order
    ((2, 1, 3), (3, 7, 1), (1, 2, 2), "mul", (1, 2, 2)),
    ((2, 1, 3), (1, 6, 2), (1, 6, 2), "mul", (1, 6, 2)),  # same dense strides: kept
    ((3, 1), (1, 3), (0, 1), "mul", (1, 3)),  # expanded grad: w's order
    ((2, 16, 1, 1), (16, 1, 7, 7), (0, 1, 1, 1), "mul", (16, 1, 16, 16)),
    # clamp's mask (a >= lo).logical_and_(a <= hi) keeps a's sorted layout [16,1,16,16]
    ((2, 16, 1, 1), (16, 1, 7, 7), (1, 2, 32, 32), "clamp", (16, 1, 32, 32)),
    # maximum / atan2: masked_fill keeps where's layout
    ((2, 16, 1, 1), (1, 2, 2, 32), (1, 2, 2, 32), "maximum", (1, 2, 2, 32)),
    ((2, 16, 1, 1), (1, 2, 2, 32), (1, 2, 2, 32), "atan2", (1, 2, 2, 32)),
    # grad * (1 - w), w a number: a wrapped scalar, no fast setup: grad's strides sorted
    ((2, 16, 1, 1), (1, 2, 32, 32), (16, 1, 7, 7), "lerp", (16, 1, 16, 16)),
    ((3, 1), (1, 3), (0, 1), "addcmul", (1, 3)),
]


@pytest.mark.parametrize("shape, leaf, grad, op, want", _CASES)
def test_incoming_gradient_strides(shape, leaf, grad, op, want):
    out = _incoming(torchlet, shape, leaf, grad, _OPS[op])
    assert out.stride() == want
    torch = pytest.importorskip("torch")
    ref = _incoming(torch, shape, leaf, grad, _OPS[op])
    assert ref.stride() == want
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)


def test_mul_backward_values_bit_exact_any_layout():
    y = _make(torchlet, (2, 1, 3), (3, 7, 1)).detach().requires_grad_()
    w = _make(torchlet, (2, 1, 3), (3, 7, 1), offset=3)
    g = _make(torchlet, (2, 1, 3), (1, 2, 2), offset=5)
    (gy,) = torchlet.autograd.grad(y * w, y, g)
    assert np.array_equal(gy.numpy(), g.numpy() * w.numpy())


def test_mul_number_wrapped_scalar_layout():
    # x * 2.0 in C++ (MulBackward1): the number is a wrapped scalar, so no fast setup
    g = _make(torchlet, (2, 16, 1, 1), (16, 1, 7, 7))
    y = _make(torchlet, (2, 16, 1, 1), (1, 2, 32, 32)).detach().requires_grad_()
    (gy,) = torchlet.autograd.grad(torchlet.lerp(y, y.detach() * 0, 0.3), y, g)
    assert gy.stride() == (16, 1, 16, 16)


def test_copy_keeps_size1_strides_create_graph():
    # a leaf with zero strides on size-1 dims: its first create_graph gradient keeps them
    # (torch's clone_obey_contract: new_empty_strided + copy_); the second adds
    def run(lib):
        y = _make(lib, (2, 16, 1, 1), (16, 1, 0, 0)).detach().requires_grad_()
        g = _make(lib, (2, 16, 1, 1), (1, 2, 2, 32), offset=1)
        (y * 1).backward(g, create_graph=True)
        first = y.grad.stride()
        (y * 2).backward(g, create_graph=True)
        return first, y.grad.stride(), y.grad.detach().numpy()

    first, second, values = run(torchlet)
    assert first == (16, 1, 0, 0)
    assert second == (16, 1, 1, 32)
    g = _make(torchlet, (2, 16, 1, 1), (1, 2, 2, 32), offset=1).numpy()
    assert np.array_equal(values, g + g * 2)
    torch = pytest.importorskip("torch")
    t_first, t_second, t_values = run(torch)
    assert (t_first, t_second) == (first, second)
    assert np.array_equal(t_values, values)


def _dense(shape, order):
    strides, step = [0] * len(shape), 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return strides


def test_sampled_incoming_strides_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(23)
    shapes = [(2, 16, 1, 1), (2, 1, 3), (3, 1), (1, 5), (4, 3)]
    for _ in range(60):
        shape = shapes[rng.integers(len(shapes))]
        n = len(shape)
        layouts = []
        for _ in range(2):
            st = _dense(shape, list(rng.permutation(n)))
            if rng.random() < 0.3:  # an odd stride on a size-1 dim
                st = [int(rng.integers(0, 9)) if shape[i] == 1 else s for i, s in enumerate(st)]
            layouts.append(tuple(st))
        op = list(_OPS)[rng.integers(len(_OPS))]
        got = _incoming(torchlet, shape, layouts[0], layouts[1], _OPS[op])
        ref = _incoming(torch, shape, layouts[0], layouts[1], _OPS[op])
        assert got.stride() == ref.stride(), (shape, layouts, op)
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)

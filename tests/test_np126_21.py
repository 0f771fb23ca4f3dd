"""Session 21, the suite under NumPy 1.26: sigmoid's backward of a 0-d tensor.

NumPy 1 widens ``1 - y`` to float64 when y is a 0-d float32 (or float16) array (value-based
casting treats both operands as scalars), so sigmoid_backward computed a 0-d float32
gradient in float64: the first-order gradient was rounded once instead of at each step,
and under create_graph the engine cast it back, a ToCopyBackward0 where torch shows
SigmoidBackwardBackward0. The kernel now subtracts from a one of y's own dtype. Each test
checks the hand-derived kernel ``(grad * (1 - y)) * y`` rounded at each step in the
tensor's dtype, and torch's own aten.sigmoid_backward on the same y where torch is
importable; they hold under NumPy 1 and NumPy 2 alike."""

import numpy as np
import pytest

import torchlet

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _bits(a):
    a = np.asarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}")).tolist()


def _by_hand(g, y):
    """torch's sigmoid_backward kernel: each product rounded in the tensor's dtype."""
    one = y.dtype.type(1)
    return np.asarray(g * (one - y)).astype(y.dtype) * y


def _grad(a, g, create_graph):
    x = torchlet.tensor(a, requires_grad=True)
    gg = torchlet.tensor(g, requires_grad=create_graph)
    y = x.sigmoid()
    (gx,) = torchlet.autograd.grad(y, x, gg, create_graph=create_graph)
    return y.detach().numpy(), gx


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sigmoid_grad_of_0d_keeps_dtype_and_node(dtype):
    a, g = np.array(0.3, dtype), np.array(0.7, dtype)
    y, gx = _grad(a, g, create_graph=False)
    assert gx.dtype == getattr(torchlet, dtype) and gx.shape == ()
    assert _bits(gx.numpy()) == _bits(_by_hand(g, y))
    y, gx = _grad(a, g, create_graph=True)
    assert gx.grad_fn.name() == "SigmoidBackwardBackward0"
    assert [n.name() for n, _ in gx.grad_fn.next_functions] == [
        "torch::autograd::AccumulateGrad", "SigmoidBackward0"]
    assert _bits(gx.detach().numpy()) == _bits(_by_hand(g, y))


def test_float32_0d_grad_is_rounded_at_each_step():
    # an input where rounding once (the old float64 path under NumPy 1) and rounding at each
    # step differ, found by search: the test fails if the product is formed in float64
    rng = np.random.default_rng(5)
    a, g = rng.standard_normal((2, 2000)).astype(np.float32)
    y = torchlet.tensor(a).sigmoid().numpy().astype(np.float64)
    once = (g.astype(np.float64) * (1 - y) * y).astype(np.float32)
    differ = np.flatnonzero(once != _by_hand(g, y.astype(np.float32)))
    assert differ.size > 0  # (about a third of these inputs)
    i = differ[0]
    y, gx = _grad(np.array(a[i]), np.array(g[i]), create_graph=False)
    assert _bits(gx.numpy()) == _bits(_by_hand(np.array(g[i]), y))
    assert _bits(gx.numpy()) != _bits(once[i])


def _configs():
    rng = np.random.default_rng(2126)
    return [(["float16", "float32", "float64"][rng.integers(3)],
             [(), (1,), (4,), (2, 3)][rng.integers(4)], bool(rng.integers(2)),
             int(rng.integers(1 << 30))) for _ in range(24)]


@pytest.mark.parametrize("dtype,shape,create_graph,seed", _configs())
def test_sigmoid_backward_sampled_against_torch(dtype, shape, create_graph, seed):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    y, gx = _grad(a, g, create_graph)
    assert gx.dtype == getattr(torchlet, dtype) and tuple(gx.shape) == shape
    assert _bits(gx.detach().numpy()) == _bits(_by_hand(g, y))
    torch = pytest.importorskip("torch")
    want = torch.ops.aten.sigmoid_backward(torch.from_numpy(g.copy()),
                                           torch.from_numpy(y.copy())).numpy()
    assert want.dtype == gx.detach().numpy().dtype
    assert _bits(gx.detach().numpy()) == _bits(want)
    tx = torch.tensor(a, requires_grad=True)
    (tgx,) = torch.autograd.grad(tx.sigmoid(), tx, torch.tensor(g, requires_grad=create_graph),
                                 create_graph=create_graph)
    assert (None if gx.grad_fn is None else gx.grad_fn.name()) == (
        None if tgx.grad_fn is None else tgx.grad_fn.name())

"""The training step's fast paths of session 21 (speed5): each gives the general path's
numbers and graph, bit for bit, and torch's where torch is importable.

* ``nn.Linear.forward`` reads a plain Linear's parameters from ``_parameters`` (where
  ``Module.__getattr__`` finds them after a failed lookup); subclasses, parametrizations,
  weight_norm and a deleted parameter take the attributes;
* ``F.linear`` takes the fused node first when its three arguments are Tensors of the
  usual shapes;
* ``_plain_sgd`` checks alpha once (``saxpy_alpha``) and updates each parameter with
  ``saxpy_arrays``;
* ``_resolve_saved`` saves an activation's lone output without its general loop;
* ``_cascade._short_outer_block(x, zeroed=True)``: a bias gradient's + 0.0 folded into its
  last reduction.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise import _fused
from torchlet._ops.reduction import _cascade
from torchlet._ops.reduction.sums import _plus_zero
from torchlet.nn import functional as F


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _mlp_step_arrays(lib, batch, features, hidden, steps=3, seed=0, **sgd):
    """Loss, parameters and gradients of a Linear-ReLU-Linear MLP after ``steps`` SGD
    steps on one batch (each as a NumPy array)."""
    nn = lib.nn
    lib.manual_seed(seed)
    model = nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, 10))
    x = lib.randn(batch, features)
    y = lib.randint(0, 10, (batch,))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, **sgd)
    crit = nn.CrossEntropyLoss()
    losses = []
    for _ in range(steps):
        loss = crit(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.detach().numpy().copy())
    params = [p.detach().numpy().copy() for p in model.parameters()]
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    return losses, params, grads, loss


# ---------------------------------------------------------------------------------------
# nn.Linear's parameters


def test_linear_forward_same_bits_and_graph_as_functional():
    torchlet.manual_seed(0)
    layer = torchlet.nn.Linear(5, 3)
    x = torchlet.randn(4, 5, requires_grad=True)
    out = layer(x)
    general = F.linear(x, layer.weight, layer.bias)
    assert _bits(out.detach().numpy()) == _bits(general.detach().numpy())
    assert out.grad_fn.name() == general.grad_fn.name() == "AddmmBackward0"
    names = [(n.name() if n is not None else None) for n, _ in out.grad_fn.next_functions]
    assert names == ["torch::autograd::AccumulateGrad"] * 3
    # the edges lead to the layer's own parameters (bias, x, weight as addmm orders them)
    leaves = [n.variable for n, _ in out.grad_fn.next_functions]
    assert leaves[0] is layer.bias and leaves[1] is x and leaves[2] is layer.weight
    out.sum().backward()
    assert _bits(layer.bias.grad.numpy()) == _bits(np.full(3, 4, np.float32))
    assert _bits(x.grad.numpy()) == _bits(np.tile(layer.weight.detach().numpy().sum(0), (4, 1)))


def test_linear_without_bias_and_with_swapped_parameters():
    torchlet.manual_seed(1)
    layer = torchlet.nn.Linear(4, 2, bias=False)
    x = torchlet.randn(3, 4)
    out = layer(x)
    assert out.grad_fn.name() == "MmBackward0"
    expected = x.numpy() @ layer.weight.detach().numpy().T
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    # a parameter replaced in place of the old one is the one used
    new = torchlet.nn.Parameter(torchlet.ones(2, 4))
    layer.weight = new
    assert _bits(layer(x).detach().numpy()) == _bits(F.linear(x, new).detach().numpy())


def test_linear_deleted_parameter_and_subclass_take_the_attributes():
    torchlet.manual_seed(2)
    layer = torchlet.nn.Linear(3, 2)
    x = torchlet.randn(2, 3)
    del layer.weight  # weight_norm's way: a plain tensor set as an attribute instead
    layer.weight = torchlet.full((2, 3), 0.5)
    expected = x.numpy() @ np.full((3, 2), 0.5, np.float32) + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), expected, rtol=1e-6)

    class Doubled(torchlet.nn.Linear):
        @property
        def scale(self):
            return 2

    sub = Doubled(3, 2)
    assert _bits(sub(x).detach().numpy()) == _bits(
        F.linear(x, sub.weight, sub.bias).detach().numpy())


def test_linear_weight_norm_and_parametrization_match_torch():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        lib.manual_seed(3)
    results = []
    for lib in (torchlet, torch):
        lib.manual_seed(3)
        a = lib.nn.utils.weight_norm(lib.nn.Linear(4, 3))
        b = lib.nn.Linear(4, 3)

        class Twice(lib.nn.Module):
            def forward(self, w):
                return 2 * w

        lib.nn.utils.parametrize.register_parametrization(b, "weight", Twice())
        x = lib.ones(2, 4)
        results.append((a(x).detach().numpy(), b(x).detach().numpy(),
                        type(b).__name__, a(x).grad_fn.name()))
    (a1, b1, n1, g1), (a2, b2, n2, g2) = results
    np.testing.assert_allclose(a1, a2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b1, b2, rtol=1e-5, atol=1e-6)
    assert n1 == n2 and g1 == g2


def test_linear_hooks_still_run():
    layer = torchlet.nn.Linear(3, 2)
    seen = []
    layer.register_forward_pre_hook(lambda m, args: seen.append("pre"))
    layer.register_forward_hook(lambda m, args, out: seen.append("post"))
    layer.register_full_backward_hook(lambda m, gi, go: seen.append("backward"))
    layer(torchlet.ones(2, 3, requires_grad=True)).sum().backward()
    assert seen == ["pre", "post", "backward"]


def test_linear_functional_errors_unchanged():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        w, b = lib.ones(2, 3), lib.ones(2)
        with pytest.raises(TypeError):
            lib.nn.functional.linear([[1.0, 2.0, 3.0]], w, b)
        with pytest.raises(TypeError):
            lib.nn.functional.linear(lib.ones(1, 3), w, [1.0, 2.0])
        with pytest.raises(RuntimeError):
            lib.nn.functional.linear(lib.ones(1, 4), w, b)
        with pytest.raises(RuntimeError):
            lib.nn.functional.linear(lib.ones(1, 3), w, lib.ones(1, 3))


# ---------------------------------------------------------------------------------------
# SGD's update


def test_saxpy_alpha_refuses_what_saxpy_in_place_refuses():
    if _fused._blas_saxpy() is None or _fused._blas_saxpy()[1] != 1:
        pytest.skip("no saxpy that fuses at every length here")
    assert _fused.saxpy_alpha(np.float32(0)) is None
    assert _fused.saxpy_alpha(np.float32(np.inf)) is None
    assert _fused.saxpy_alpha(np.float32(np.nan)) is None
    alpha = _fused.saxpy_alpha(np.float32(-0.1))
    assert alpha.value == np.float32(-0.1)
    x, y = np.ones(5, np.float32), np.ones(5, np.float32)
    assert not _fused.saxpy_arrays(x, alpha, x)  # the same array
    assert not _fused.saxpy_arrays(x.astype(np.float64), alpha, y)
    assert not _fused.saxpy_arrays(x[::2], alpha, y[:3])  # not contiguous
    assert not _fused.saxpy_arrays(x[1:], alpha, y[1:])  # views
    assert not _fused.saxpy_arrays(np.ones(4, np.float32), alpha, y)
    assert _fused.saxpy_arrays(x, alpha, y)
    assert _bits(y) == _bits(np.full(5, np.float32(0.9)))  # fma(-0.1f, 1, 1)


def test_saxpy_arrays_is_saxpy_in_place_bit_for_bit():
    rng = np.random.default_rng(21)
    for size in (1, 7, 32, 33, 1000, 4099):
        x = rng.standard_normal(size).astype(np.float32)
        y = rng.standard_normal(size).astype(np.float32)
        alpha = np.float32(rng.uniform(-1, 1))
        a, b = y.copy(), y.copy()
        done = _fused.saxpy_in_place(x, alpha, a)
        checked = _fused.saxpy_alpha(alpha)
        assert done == (checked is not None and _fused.saxpy_arrays(x, checked, b))
        assert _bits(a) == _bits(b)
        # the same as the general fused multiply-add (rounded once)
        assert _bits(a) == _bits(_fused._fma(x, alpha, y))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_plain_sgd_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (torchlet, torch):
        lib.manual_seed(5)
        params = [lib.randn(7, 3, dtype=getattr(lib, dtype)).requires_grad_(),
                  lib.randn(3, dtype=getattr(lib, dtype)).requires_grad_()]
        params[1].grad = None  # a parameter without a gradient is skipped
        opt = lib.optim.SGD(params, lr=0.3)
        for _ in range(3):
            params[0].grad = lib.full((7, 3), 0.25, dtype=getattr(lib, dtype))
            opt.step()
        results.append([p.detach().numpy().copy() for p in params])
    for a, b in zip(*results):
        assert _bits(a) == _bits(b)


def test_plain_sgd_lr_one_adds_and_bumps_versions():
    p = torchlet.nn.Parameter(torchlet.ones(4))
    p.grad = torchlet.full((4,), 0.5)
    version = p._version
    torchlet.optim.SGD([p], lr=1.0).step()
    assert _bits(p.detach().numpy()) == _bits(np.full(4, 0.5, np.float32))
    assert p._version == version + 1


# ---------------------------------------------------------------------------------------
# an activation's saved output


def test_relu_saved_output_as_general_path():
    x = torchlet.tensor([[-1.0, 2.0], [0.0, 3.0]], requires_grad=True)
    y = torchlet.relu(x)
    node = y.grad_fn
    assert node.name() == "ReluBackward0"
    saved = node._saved_result
    assert _bits(saved.detach().numpy()) == _bits(y.detach().numpy())
    assert saved.grad_fn is node  # rebuilt on access with the node as its grad_fn
    y.backward(torchlet.ones(2, 2))
    assert _bits(x.grad.numpy()) == _bits(np.array([[0, 1], [0, 1]], np.float32))


def test_relu_saved_output_version_error_and_pack_hooks():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        y = lib.relu(x)
        y.mul_(2)  # the saved output changed in place
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        packed = []

        def pack(t, packed=packed):
            packed.append(t)
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            z = lib.relu(lib.tensor([1.0, -2.0], requires_grad=True))
        assert len(packed) == 1 and _bits(packed[0].detach().numpy()) == _bits(
            np.array([1.0, 0.0], np.float32))
        z.sum().backward()


# ---------------------------------------------------------------------------------------
# the bias gradient's + 0.0


def test_zeroed_column_sums_hand_values():
    # a column of -0.0 sums to +0.0 in torch's zeroed output (in order, it would be -0.0)
    for rows, columns in ((4, 8), (64, 256), (64, 10), (73, 33), (20, 5), (5, 40)):
        x = np.ones((rows, columns), np.float32)
        x[:, 0] = -0.0
        x[:, -1] = -0.0
        zeroed = _cascade._short_outer_block(x, zeroed=True)
        assert not np.signbit(zeroed[0]) and not np.signbit(zeroed[-1])
        assert _bits(zeroed[1:-1]) == _bits(np.full(columns - 2, rows, np.float32))


def test_zeroed_column_sums_are_plus_zero_of_the_plain_ones():
    rng = np.random.default_rng(2121)
    for case in range(300):
        rows, columns = int(rng.integers(1, 256)), int(rng.integers(2, 140))
        dtype = (np.float32, np.float64)[case % 2]
        x = rng.standard_normal((rows, columns)).astype(dtype)
        if case % 3 == 1:
            x[rng.random(x.shape) < 0.8] = -0.0
        if case % 3 == 2:
            x[rng.random(x.shape) < 0.05] = rng.choice([np.inf, -np.inf, np.nan, 1e30])
        expected = _plus_zero(_cascade._short_outer_block(x))
        assert _bits(_cascade._short_outer_block(x, zeroed=True)) == _bits(expected)


def test_bias_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(7).standard_normal((64, 10)).astype(np.float32)
    g[:, 3] = -0.0
    expected = torch.from_numpy(g).sum(0).numpy()
    assert _bits(_cascade._short_outer_block(g, zeroed=True)) == _bits(expected)


# ---------------------------------------------------------------------------------------
# whole training steps


def test_training_steps_match_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(521)
    configs = [(int(rng.integers(1, 70)), int(rng.integers(2, 40)), int(rng.integers(2, 40)))
               for _ in range(6)]
    for batch, features, hidden in configs:
        mine = _mlp_step_arrays(torchlet, batch, features, hidden)
        ref = _mlp_step_arrays(torch, batch, features, hidden)
        for a, b in zip(mine[0] + mine[1] + mine[2], ref[0] + ref[1] + ref[2]):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-5)
        assert mine[3].grad_fn.name() == ref[3].grad_fn.name() == "NllLossBackward0"


def test_training_step_records_the_same_graph():
    # (torch's graph: the cross entropy's NllLossBackward0 over LogSoftmaxBackward0)
    torchlet.manual_seed(0)
    nn = torchlet.nn
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    loss = nn.CrossEntropyLoss()(model(torchlet.randn(4, 6)), torchlet.tensor([0, 2, 1, 0]))
    chain, node = [], loss.grad_fn
    while node is not None and node.name() != "torch::autograd::AccumulateGrad":
        chain.append(node.name())
        nxt = [n for n, _ in node.next_functions
               if n is not None and n.name() != "torch::autograd::AccumulateGrad"]
        node = nxt[0] if nxt else None
    assert chain == ["NllLossBackward0", "LogSoftmaxBackward0", "AddmmBackward0",
                     "ReluBackward0", "AddmmBackward0"]

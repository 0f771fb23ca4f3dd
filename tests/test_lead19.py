"""Session 19 lead fixes: small gaps left over from the earlier hunts."""

import numpy as np
import pytest

import torchlet


def _margin_losses(lib, x, p):
    F = lib.nn.functional
    return {
        "multi_margin": lambda reduction: F.multi_margin_loss(
            x, lib.tensor([0, 1, 2, 4]), p=p, margin=0.7, reduction=reduction),
        "multilabel_margin": lambda reduction: F.multilabel_margin_loss(
            x, lib.tensor([[0, 1, -1, 2, 3]] * 4), reduction=reduction),
    }


def _graph(lib, x0, name, p, reduction, grad_output_requires_grad):
    x = lib.tensor(x0, requires_grad=True)
    loss = _margin_losses(lib, x, p)[name](reduction)
    go = lib.ones_like(loss, requires_grad=grad_output_requires_grad)
    g, = lib.autograd.grad(loss, x, go, create_graph=True)
    edges = [type(fn).__name__ for fn, _ in g.grad_fn.next_functions]
    return g, g.grad_fn.name(), edges


@pytest.mark.parametrize("name", ["multi_margin", "multilabel_margin"])
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("grad_output_requires_grad", [False, True])
def test_margin_loss_double_backward_is_not_implemented(name, p, reduction,
                                                        grad_output_requires_grad):
    # torch's *_margin_loss_backward kernels have no derivative: the gradient's node is
    # NotImplemented, linked to the operands that require grad, and differentiating it
    # again raises (before: p=2 was differentiated, p=1 returned a constant)
    x0 = np.random.default_rng(3).standard_normal((4, 5))
    g, node, edges = _graph(torchlet, x0, name, p, reduction, grad_output_requires_grad)
    assert node == "torch::autograd::NotImplemented"
    assert edges == ["AccumulateGrad"] * (2 if grad_output_requires_grad else 1)
    first = torchlet.autograd.grad(_margin_losses(torchlet, x := torchlet.tensor(
        x0, requires_grad=True), p)[name](reduction).sum(), x)[0]
    if reduction != "none":  # (the sum's gradient equals the loss's own with ones)
        assert np.array_equal(g.detach().numpy(), first.numpy())
    with pytest.raises(RuntimeError, match=f"derivative for aten::{name}_loss_backward is "
                                           "not implemented"):
        g.sum().backward()


@pytest.mark.parametrize("name", ["multi_margin", "multilabel_margin"])
@pytest.mark.parametrize("p", [1, 2])
def test_margin_loss_double_backward_matches_torch(name, p):
    torch = pytest.importorskip("torch")
    x0 = np.random.default_rng(4).standard_normal((4, 5))
    for reduction in ("mean", "none"):
        for wants in (False, True):
            g1, node1, edges1 = _graph(torchlet, x0, name, p, reduction, wants)
            g2, node2, edges2 = _graph(torch, x0, name, p, reduction, wants)
            assert (node1, edges1) == (node2, edges2)
            # (the kernels' sums round differently: within float64 rounding)
            np.testing.assert_allclose(g1.detach().numpy(), g2.detach().numpy(),
                                       rtol=1e-12, atol=1e-15)


_INPLACE_RANDOM = {
    "normal_": lambda t: t.normal_(), "uniform_": lambda t: t.uniform_(),
    "bernoulli_": lambda t: t.bernoulli_(0.5), "random_": lambda t: t.random_(0, 5),
    "exponential_": lambda t: t.exponential_(), "geometric_": lambda t: t.geometric_(0.5),
    "cauchy_": lambda t: t.cauchy_(), "log_normal_": lambda t: t.log_normal_(),
}


def _vmap_inplace_random(lib, op, randomness, unmapped_argument):
    """vmap of a function that fills an unbatched tensor (named by the function, or an
    argument not mapped) in place: (result shape or error, the tensor after, next draw)."""
    lib.manual_seed(0)
    y = lib.zeros(3)
    fill = _INPLACE_RANDOM[op]
    if unmapped_argument:
        run = lib.func.vmap(lambda x, z: fill(z) + x, in_dims=(0, None), randomness=randomness)
        args = (lib.ones(2, 3), y)
    else:
        run = lib.func.vmap(lambda x: fill(y) + x, randomness=randomness)
        args = (lib.ones(2, 3),)
    try:
        out = run(*args)
    except RuntimeError as error:
        return str(error), y.tolist(), lib.rand(1).item()
    return list(out.shape), y.tolist(), lib.rand(1).item()


@pytest.mark.parametrize("op", _INPLACE_RANDOM)
@pytest.mark.parametrize("unmapped_argument", [False, True])
def test_vmap_refuses_different_inplace_randomness_on_unbatched(op, unmapped_argument):
    message, y, after = _vmap_inplace_random(torchlet, op, "different", unmapped_argument)
    assert message.startswith("vmap: Cannot ask for different inplace randomness on an "
                              "unbatched tensor")
    torchlet.manual_seed(0)
    assert y == [0.0] * 3 and after == torchlet.rand(1).item()  # nothing drawn or written
    # "same" fills it once, as torch
    shape, y, _ = _vmap_inplace_random(torchlet, op, "same", unmapped_argument)
    assert shape == [2, 3]


@pytest.mark.parametrize("op", _INPLACE_RANDOM)
def test_vmap_inplace_randomness_matches_torch(op):
    torch = pytest.importorskip("torch")
    for randomness in ("different", "same"):
        for unmapped_argument in (False, True):
            assert (_vmap_inplace_random(torchlet, op, randomness, unmapped_argument)
                    == _vmap_inplace_random(torch, op, randomness, unmapped_argument))


def test_vmap_different_inplace_randomness_on_a_batched_tensor():
    # a sample of a mapped input is batched: each gets its own row, as torch
    torchlet.manual_seed(0)
    out = torchlet.func.vmap(lambda x: x.normal_(), randomness="different")(torchlet.ones(2, 3))
    torchlet.manual_seed(0)
    assert out.tolist() == torchlet.randn(2, 3).tolist()


@pytest.mark.parametrize("dtype, word", [(torchlet.int64, "Long"), (torchlet.uint8, "Byte"),
                                         (torchlet.int32, "Int"), (torchlet.bool, "Bool")])
def test_round_with_decimals_refuses_integers(dtype, word):
    # torch's round.decimals overload has float kernels only, even for decimals=0; the
    # overload without decimals copies integers (and refuses bool)
    x = torchlet.tensor([1, 0], dtype=dtype)
    for call in (lambda: torchlet.round(x, decimals=0), lambda: x.round(decimals=0),
                 lambda: x.clone().round_(decimals=0), lambda: torchlet.round_(x, decimals=0)):
        with pytest.raises(NotImplementedError, match=f"\"round_vml_cpu\" not implemented "
                                                      f"for '{word}'"):
            call()
    with pytest.raises(NotImplementedError, match=f"\"round_cpu\" not implemented for "
                                                  f"'{word}'"):
        x.round(decimals=1)
    if dtype != torchlet.bool:
        assert x.round().tolist() == [1, 0] and x.round().dtype == dtype


def test_round_overload_names_its_node():
    x = torchlet.tensor([1.5, 2.5, -0.5], requires_grad=True)
    assert torchlet.round(x).grad_fn.name() == "RoundBackward0"
    assert torchlet.round(x, decimals=0).grad_fn.name() == "RoundBackward1"
    assert x.round(decimals=0).tolist() == x.round().tolist() == [2.0, 2.0, -0.0]


def test_reductions_of_transposed_empties_are_contiguous():
    # NumPy calls every empty array C-contiguous; torch lays the result out contiguously
    x = torchlet.zeros(3, 0, 3).transpose(0, -1)
    b = torchlet.zeros(3, 0, 3, dtype=torchlet.bool).transpose(0, -1)
    for out in (x.sum(1), x.mean(1), x.prod(1), x.nansum(1), b.any(1), b.all(1)):
        assert out.shape == (3, 3) and out.stride() == (3, 1)

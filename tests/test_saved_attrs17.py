"""grad_fn._saved_* / _raw_saved_*: what a node saved, under torch's names
(torchlet/autograd/_saved_names.py), against hand expectations and torch live."""

import numpy as np
import pytest

import torchlet

FREED = "Trying to backward through the graph a second time"


def leaf(lib, shape, seed=0, positive=False):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    if positive:
        data = np.abs(data) + 0.5
    return lib.tensor(data).requires_grad_(True)


def x(lib, *shape, positive=False):
    return leaf(lib, shape or (3, 4), 0, positive)


def y(lib, *shape, positive=False):
    return leaf(lib, shape or (3, 4), 1, positive)


# name -> fn(lib) returning an output whose grad_fn is compared (same in both libraries)
OPS = {
    "add_alpha": lambda L: L.add(x(L), y(L), alpha=2),
    "sub": lambda L: x(L) - y(L),
    "mul": lambda L: x(L) * y(L),
    "div": lambda L: x(L) / y(L),
    "pow_scalar": lambda L: x(L).pow(2),
    "pow_float": lambda L: x(L, positive=True).pow(0.5),
    "pow_tensor": lambda L: x(L, positive=True).pow(y(L)),
    "rpow": lambda L: 2 ** x(L),
    "neg": lambda L: -x(L),
    "exp": lambda L: x(L).exp(),
    "log": lambda L: x(L, positive=True).log(),
    "sqrt": lambda L: x(L, positive=True).sqrt(),
    "sin": lambda L: x(L).sin(),
    "cos": lambda L: x(L).cos(),
    "tanh": lambda L: x(L).tanh(),
    "sigmoid": lambda L: x(L).sigmoid(),
    "relu": lambda L: x(L).relu(),
    "abs": lambda L: x(L).abs(),
    "clamp": lambda L: x(L).clamp(-0.5, 0.5),
    "where": lambda L: L.where(x(L) > 0, x(L), y(L)),
    "maximum": lambda L: L.maximum(x(L), y(L)),
    "mm": lambda L: L.mm(x(L), y(L, 4, 5)),
    "addmm": lambda L: L.addmm(y(L, 5), x(L), y(L, 4, 5)),
    "bmm": lambda L: L.bmm(x(L, 2, 3, 4), y(L, 2, 4, 5)),
    "linear": lambda L: L.nn.functional.linear(x(L), y(L, 5, 4), y(L, 5)),
    "sum": lambda L: x(L).sum(),
    "sum_dim": lambda L: x(L).sum(dim=1, keepdim=True),
    "mean_dim": lambda L: x(L).mean(dim=(0, 1)),
    "max": lambda L: x(L).max(),
    "max_dim": lambda L: x(L).max(dim=1)[0],
    "amax": lambda L: x(L).amax(dim=1),
    "prod_dim": lambda L: x(L).prod(1),
    "std_dim": lambda L: x(L).std(dim=1),
    "softmax": lambda L: x(L).softmax(dim=1),
    "logsumexp": lambda L: x(L).logsumexp(dim=1),
    "nll_loss": lambda L: L.nn.functional.nll_loss(x(L), L.tensor([0, 2, 1])),
    "mse_loss": lambda L: L.nn.functional.mse_loss(x(L), y(L)),
    "bce_logits": lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        x(L), y(L).sigmoid().detach()),
    "view": lambda L: x(L).view(2, 6),
    "permute": lambda L: x(L, 2, 3, 4).permute(2, 0, 1),
    "transpose": lambda L: x(L, 2, 3, 4).transpose(0, 2),
    "t": lambda L: x(L).t(),
    "unsqueeze": lambda L: x(L).unsqueeze(1),
    "squeeze_dim": lambda L: x(L, 3, 1, 4).squeeze(1),
    "expand": lambda L: x(L, 3, 1).expand(3, 4),
    "select": lambda L: x(L)[1],
    "slice": lambda L: x(L)[:, 1:3],
    "slice_step": lambda L: x(L)[::2],
    "narrow": lambda L: x(L).narrow(1, 1, 2),
    "gather": lambda L: x(L).gather(1, L.tensor([[0], [1], [2]])),
    "index_select": lambda L: x(L).index_select(0, L.tensor([0, 2])),
    "cat": lambda L: L.cat([x(L), y(L)], dim=1),
    "stack": lambda L: L.stack([x(L), y(L)]),
    "split": lambda L: x(L).split(2, dim=1)[0],
    "repeat": lambda L: x(L).repeat(2, 1),
    "roll": lambda L: x(L).roll(1, 0),
    "conv2d": lambda L: L.nn.functional.conv2d(
        x(L, 2, 3, 6, 6), y(L, 4, 3, 3, 3), y(L, 4), stride=2, padding=1),
    "conv1d": lambda L: L.nn.functional.conv1d(x(L, 2, 3, 8), y(L, 4, 3, 3), None, dilation=2),
    "max_pool2d": lambda L: L.nn.functional.max_pool2d(x(L, 2, 3, 6, 6), 2),
    "avg_pool2d": lambda L: L.nn.functional.avg_pool2d(x(L, 2, 3, 6, 6), 3, stride=2, padding=1),
    "batch_norm": lambda L: L.nn.functional.batch_norm(
        x(L, 4, 3, 2), L.zeros(3), L.ones(3), y(L, 3), y(L, 3), training=True),
    "layer_norm": lambda L: L.nn.functional.layer_norm(x(L), (4,), y(L, 4), y(L, 4)),
    "group_norm": lambda L: L.nn.functional.group_norm(x(L, 2, 4, 3), 2),
    "embedding": lambda L: L.nn.functional.embedding(L.tensor([[0, 2], [1, 0]]), x(L)),
    "gelu_tanh": lambda L: L.nn.functional.gelu(x(L), approximate="tanh"),
    "leaky_relu": lambda L: L.nn.functional.leaky_relu(x(L), 0.2),
    "elu": lambda L: L.nn.functional.elu(x(L)),
    "hardtanh": lambda L: L.nn.functional.hardtanh(x(L)),
    "masked_fill": lambda L: x(L).masked_fill(x(L).detach() > 0, 0.0),
    "cumsum": lambda L: x(L).cumsum(1),
    "tril": lambda L: x(L).tril(),
    "addcmul": lambda L: L.addcmul(x(L), y(L), y(L), value=0.5),
}


def saved_names(node):
    return {a for a in dir(node) if a.startswith("_saved_")}


def assert_same(expected, got, where):
    """torch's value against torchlet's: tensors by dtype/shape/values/grad_fn presence,
    numbers by value (torchlet keeps scalars in the tensor's dtype), the rest exactly."""
    import torch

    if isinstance(expected, torch.Tensor):
        assert isinstance(got, torchlet.Tensor), where
        assert str(got.dtype) == str(expected.dtype), where
        assert tuple(got.shape) == tuple(expected.shape), where
        np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(),
                                   rtol=1e-5, atol=1e-6, err_msg=where)
        return
    if isinstance(expected, float) or (isinstance(expected, int)
                                       and not isinstance(expected, bool)
                                       and isinstance(got, float)):
        assert got == pytest.approx(expected, rel=1e-6), where
        return
    assert type(got) is type(expected) and got == expected, where


@pytest.mark.parametrize("name", sorted(OPS))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    expected, got = OPS[name](torch).grad_fn, OPS[name](torchlet).grad_fn
    assert got.name() == expected.name()
    ours, theirs = saved_names(got), saved_names(expected)
    assert ours <= theirs, ours - theirs  # never a name torch does not have
    assert bool(ours) == bool(theirs)  # each op here has at least one, or none as torch
    for attribute in sorted(ours):
        if name == "group_norm" and attribute.startswith("_saved_result"):
            continue  # torch's mean/rstd are differentiable outputs; values checked below
        assert_same(getattr(expected, attribute), getattr(got, attribute), f"{name}.{attribute}")


def test_group_norm_stats_values():
    torch = pytest.importorskip("torch")
    expected, got = OPS["group_norm"](torch).grad_fn, OPS["group_norm"](torchlet).grad_fn
    for attribute in ("_saved_result1", "_saved_result2"):
        np.testing.assert_allclose(getattr(got, attribute).detach().numpy(),
                                   getattr(expected, attribute).detach().numpy(), rtol=1e-5)


def test_torch_nodes_without_saved_names_have_none_here():
    for name in ("neg", "t"):
        assert saved_names(OPS[name](torchlet).grad_fn) == set()


# -- hand expectations (no torch needed) ------------------------------------------------


def test_result_self_other_and_identity():
    a, b = x(torchlet), y(torchlet)
    out = a.exp()
    result = out.grad_fn._saved_result
    assert result is not out  # rebuilt on access, as torch's (equal, grad_fn the node)
    assert torchlet.equal(result, out) and result.grad_fn is out.grad_fn
    product = a * b
    assert product.grad_fn._saved_self is a and product.grad_fn._saved_other is b
    partial = a * b.detach()  # b needs no gradient: a is not saved, as in torch
    assert partial.grad_fn._saved_self is None
    assert torchlet.equal(partial.grad_fn._saved_other, b.detach())
    hidden = a.sin()
    assert (hidden * b).grad_fn._saved_self is hidden


def test_numbers_dims_and_sizes():
    a = x(torchlet)
    node = a.sum(dim=1, keepdim=True).grad_fn
    assert node._saved_dim == (1,) and node._saved_keepdim is True
    assert node._saved_self_sym_sizes == (3, 4)
    assert a.pow(2).grad_fn._saved_exponent == 2
    assert torchlet.add(a, a, alpha=3).grad_fn._saved_alpha == 3
    assert (a + a).grad_fn._saved_alpha == 1
    assert a.mean().grad_fn._saved_self_sym_numel == 12
    assert a.transpose(0, 1).grad_fn._saved_dim1 == 1
    assert a.permute(1, 0).grad_fn._saved_dims == (1, 0)
    sliced = a[:, 1:].grad_fn
    assert (sliced._saved_dim, sliced._saved_start, sliced._saved_end, sliced._saved_step) \
        == (1, 1, 2**63 - 1, 1)
    assert a[-2:].grad_fn._saved_start == 2**64 - 2  # torch's unsigned view of -2
    conv = torchlet.nn.functional.conv2d(
        x(torchlet, 1, 2, 5, 5), y(torchlet, 3, 2, 3, 3), stride=2, padding=1).grad_fn
    assert conv._saved_stride == (2, 2) and conv._saved_padding == (1, 1)
    assert conv._saved_dilation == (1, 1) and conv._saved_groups == 1
    assert conv._saved_transposed is False and conv._saved_output_padding == (0, 0)
    loss = torchlet.nn.functional.nll_loss(a, torchlet.tensor([0, 1, 3]), reduction="sum")
    assert loss.grad_fn._saved_reduction == 2
    assert loss.grad_fn._saved_ignore_index == 2**64 - 100
    assert float(loss.grad_fn._saved_total_weight) == 3.0


def test_missing_names_raise_attribute_error():
    node = x(torchlet).exp().grad_fn
    message = "'ExpBackward0' object has no attribute '_saved_self'"
    with pytest.raises(AttributeError, match=message):
        getattr(node, "_saved_self")  # noqa: B009 - the attribute access is the test
    with pytest.raises(AttributeError, match="no attribute 'foo'"):
        getattr(node, "foo")  # noqa: B009
    assert not hasattr(node, "_raw_saved_dim")
    pooled = torchlet.nn.functional.avg_pool2d(x(torchlet, 1, 1, 4, 4), 2).grad_fn
    assert pooled._saved_self.shape == (1, 1, 4, 4)  # kept, as torch keeps it
    assert not hasattr(pooled, "_saved_foo")
    assert {"_saved_result", "_raw_saved_result"} <= set(dir(node))


def test_freed_after_backward():
    a, b = x(torchlet), y(torchlet)
    out = (a * b).sum(dim=1)
    node = out.grad_fn
    out.sum().backward()
    for node_, name in ((node.next_functions[0][0], "_saved_self"), (node, "_saved_dim")):
        if name == "_saved_self":
            with pytest.raises(RuntimeError, match=FREED):
                getattr(node_, name)
        else:
            assert getattr(node_, name) == (1,)  # numbers stay readable, as in torch
    assert node._saved_self_sym_sizes == (3, 4)
    assert "_saved_self" in dir(node.next_functions[0][0])
    kept = (a * b).sum()
    kept.backward(retain_graph=True)
    assert kept.grad_fn.next_functions[0][0]._saved_self is a


def test_modified_in_place_raises():
    hidden = x(torchlet) * 1
    out = hidden.sin()
    hidden.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        getattr(out.grad_fn, "_saved_self")  # noqa: B009


def test_raw_saved_register_hooks():
    a, b = x(torchlet), y(torchlet)
    out = a * b
    calls = []

    def pack(t):
        calls.append("pack")
        return t * 2

    def unpack(t):
        calls.append("unpack")
        return t

    raw = out.grad_fn._raw_saved_other
    raw.register_hooks(pack, unpack)
    assert calls == ["pack"]
    np.testing.assert_array_equal(out.grad_fn._saved_other.detach().numpy(),
                                  2 * b.detach().numpy())
    out.sum().backward()
    assert calls == ["pack", "unpack", "unpack"]
    np.testing.assert_array_equal(a.grad.numpy(), 2 * b.detach().numpy())
    with pytest.raises(RuntimeError, match="after it has been freed"):
        raw.register_hooks(pack, unpack)
    partial = a * b.detach()
    with pytest.raises(RuntimeError, match="with value None is forbidden"):
        partial.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    again = a * b
    again.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    with pytest.raises(RuntimeError, match="already been set"):
        again.grad_fn._raw_saved_self.register_hooks(pack, unpack)
    with pytest.raises(TypeError):
        again.grad_fn._raw_saved_other.register_hooks(1, 2)


def test_raw_saved_output_hooks_against_torch():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (torch, torchlet):
        a = x(lib)
        out = a.exp()
        out.grad_fn._raw_saved_result.register_hooks(lambda t: t * 3, lambda t: t)
        out.sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_sampled_dims_against_torch():
    """Random reductions / views with non-negative dims: names and values as torch's."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    builders = [
        lambda L, d, k: x(L, 2, 3, 4).sum(dim=d, keepdim=k),
        lambda L, d, k: x(L, 2, 3, 4).mean(dim=d, keepdim=k),
        lambda L, d, k: x(L, 2, 3, 4).max(dim=d, keepdim=k)[0],
        lambda L, d, k: x(L, 2, 3, 4).min(dim=d, keepdim=k)[0],
        lambda L, d, k: x(L, 2, 3, 4).softmax(dim=d),
        lambda L, d, k: x(L, 2, 3, 4).log_softmax(dim=d),
        lambda L, d, k: x(L, 2, 3, 4).select(d, 1),
        lambda L, d, k: x(L, 2, 3, 4).narrow(d, 1, 1),
        lambda L, d, k: x(L, 2, 3, 4).unsqueeze(d),
        lambda L, d, k: x(L, 2, 3, 4).cumsum(d),
        lambda L, d, k: x(L, 2, 3, 4).flip(d),
        lambda L, d, k: x(L, 2, 3, 4).logsumexp(d, keepdim=k),
        lambda L, d, k: x(L, 2, 3, 4).prod(d, keepdim=k),
    ]
    for _ in range(40):
        build = builders[rng.integers(len(builders))]
        dim, keepdim = int(rng.integers(3)), bool(rng.integers(2))
        expected = build(torch, dim, keepdim).grad_fn
        got = build(torchlet, dim, keepdim).grad_fn
        ours = saved_names(got)
        assert ours and ours <= saved_names(expected)
        for attribute in ours:
            assert_same(getattr(expected, attribute), getattr(got, attribute), attribute)

"""cross_entropy records torch's autograd graph (helper cegraph, round 22).

torch's ``F.cross_entropy(x, t)`` is ``nll_loss(log_softmax(x, 1), t)``: NllLossBackward0
(NllLoss2DBackward0 for inputs of 3+ dims, over a ViewBackward0 to 4-D for 3-D and 5-D+)
over LogSoftmaxBackward0 over x, with torch's ``_saved_*`` attributes; with label smoothing
the composition of cross_entropy_loss_label_smoothing. torchlet's forward stays fused (one
pass over the logits); these tests check the graph, the saved values, hooks, create_graph
and retain_graph, against hand-derived values and against torch when it is importable.
"""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

U64 = 2**64


def _chain(loss):
    """[(name, [next names])] breadth first from loss.grad_fn."""
    out, queue, seen = [], [loss.grad_fn], set()
    while queue:
        node = queue.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        out.append((node.name(), [None if n is None else n.name()
                                  for n, _ in node.next_functions]))
        queue.extend(n for n, _ in node.next_functions)
    return out


ACC = "torch::autograd::AccumulateGrad"


def _logits(shape, seed=0, lib=torchlet, dtype=np.float32):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return lib.tensor(x, requires_grad=True)


# ---------------------------------------------------------------------------------------
# the graph, by hand


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_two_nodes_over_the_input(reduction):
    x = _logits((4, 5))
    loss = F.cross_entropy(x, torchlet.tensor([0, 1, 4, 2]), reduction=reduction)
    assert _chain(loss) == [("NllLossBackward0", ["LogSoftmaxBackward0"]),
                            ("LogSoftmaxBackward0", [ACC]), (ACC, [])]
    module = torchlet.nn.CrossEntropyLoss()(x, torchlet.tensor([0, 1, 4, 2]))
    assert _chain(module)[:2] == _chain(loss)[:2]


def test_spatial_inputs_view_as_torch():
    t3 = torchlet.zeros(2, 4, dtype=torchlet.int64)
    loss = F.cross_entropy(_logits((2, 3, 4)), t3, reduction="none")
    assert [n for n, _ in _chain(loss)] == ["ViewBackward0", "NllLoss2DBackward0",
                                            "ViewBackward0", "LogSoftmaxBackward0", ACC]
    assert loss.shape == (2, 4)
    loss4 = F.cross_entropy(_logits((2, 3, 2, 2)), torchlet.zeros(2, 2, 2, dtype=torchlet.int64))
    assert [n for n, _ in _chain(loss4)] == ["NllLoss2DBackward0", "LogSoftmaxBackward0", ACC]
    # nll_loss of a 3-D input: torch's nll_loss_nd views it as (N, C, 1, d) first
    nll = F.nll_loss(F.log_softmax(_logits((2, 3, 4)), 1), t3)
    assert [n for n, _ in _chain(nll)] == ["NllLoss2DBackward0", "ViewBackward0",
                                           "LogSoftmaxBackward0", ACC]
    assert tuple(nll.grad_fn._saved_self.shape) == (2, 3, 1, 4)
    assert tuple(nll.grad_fn._saved_target.shape) == (2, 1, 4)


def test_label_smoothing_is_composed_as_torch():
    x = _logits((4, 5))
    loss = F.cross_entropy(x, torchlet.tensor([0, 1, 4, 2]), label_smoothing=0.1)
    top = loss.grad_fn
    assert top.name() == "AddBackward0"
    assert [n.name() for n, _ in top.next_functions] == ["MulBackward1", "MulBackward1"]
    names = [n for n, _ in _chain(loss)]
    assert names.count("LogSoftmaxBackward0") == 1  # shared by both terms
    assert {"NllLossBackward0", "DivBackward0", "SumBackward0", "MaskedFillBackward0",
            "NegBackward0", "SumBackward1"} <= set(names)
    # value: (1 - ls) * nll + ls / C * mean_n(-sum_c logp_nc), from float64 by hand
    xd = x.detach().numpy().astype(np.float64)
    logp = xd - np.log(np.exp(xd).sum(1, keepdims=True))
    nll = -logp[np.arange(4), [0, 1, 4, 2]].mean()
    want = 0.9 * nll + 0.1 / 5 * (-logp.sum(1)).mean()
    np.testing.assert_allclose(loss.item(), want, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# saved attributes


def test_saved_attributes_by_hand():
    x = _logits((4, 5))
    t = torchlet.tensor([0, 3, -100, 2])
    w = torchlet.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    loss = F.cross_entropy(x, t, weight=w)
    nll, soft = loss.grad_fn, loss.grad_fn.next_functions[0][0]
    assert nll._saved_ignore_index == U64 - 100
    assert nll._saved_reduction == 1
    assert nll._saved_total_weight.item() == 1.0 + 4.0 + 3.0
    np.testing.assert_array_equal(nll._saved_target.numpy(), [0, 3, -100, 2])
    np.testing.assert_array_equal(nll._saved_weight.numpy(), w.numpy())
    assert soft._saved_dim == 1
    logp = soft._saved_result
    assert logp.grad_fn is soft  # the node's own output, as torch's saved result
    np.testing.assert_allclose(logp.detach().numpy(),
                               F.log_softmax(x.detach(), 1).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(nll._saved_self.detach().numpy(), logp.detach().numpy())
    # total_weight: 'sum' as 'mean'; 'none' 0, but a (C,) input is summed
    assert F.cross_entropy(x, t, reduction="sum").grad_fn._saved_total_weight.item() == 3
    assert F.cross_entropy(x, t, reduction="none").grad_fn._saved_total_weight.item() == 0
    one = F.cross_entropy(_logits((5,)), torchlet.tensor(3), weight=w, reduction="none")
    assert one.grad_fn._saved_total_weight.item() == 4.0
    loss.backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        soft._saved_result  # noqa: B018
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        nll._saved_self  # noqa: B018


def test_softmax_dims_as_given():
    x = _logits((3, 4))
    assert F.softmax(x, -1).grad_fn._saved_dim == U64 - 1
    assert F.log_softmax(x, -2).grad_fn._saved_dim == U64 - 2
    assert x.softmax(1).grad_fn._saved_dim == 1
    assert torchlet.log_softmax(x, -1, dtype=torchlet.float64).grad_fn._saved_dim == U64 - 1
    assert F.softmin(x, -1).grad_fn._saved_dim == U64 - 1


def test_probability_targets_saved_as_torch():
    x = _logits((4, 5))
    y = torchlet.softmax(_logits((4, 5), seed=1).detach(), 1)
    loss = F.cross_entropy(x, y, weight=torchlet.ones(5))
    assert loss.grad_fn.name() == "DivBackward1"
    assert loss.grad_fn._saved_other == 4 and type(loss.grad_fn._saved_other) is int
    neg = loss.grad_fn.next_functions[0][0]
    mul = neg.next_functions[0][0].next_functions[0][0]
    assert mul.name() == "MulBackward0"
    assert tuple(mul._saved_other.shape) == (1, 5)  # the weight viewed as (1, C)


# ---------------------------------------------------------------------------------------
# gradients, hooks, create_graph, retain_graph


def test_gradients_node_by_node():
    x = _logits((3, 4))
    t = torchlet.tensor([1, 0, 3])
    loss = F.cross_entropy(x, t, reduction="sum")
    soft = loss.grad_fn.next_functions[0][0]
    seen = {}
    soft.register_prehook(lambda go: seen.update(into=go[0].numpy().copy()))
    loss.backward()
    # nll_loss's gradient: -1 at the targets, +0.0 elsewhere (torch's zero-filled kernel)
    into = np.zeros((3, 4), np.float32)
    into[[0, 1, 2], [1, 0, 3]] = -1
    np.testing.assert_array_equal(seen["into"], into)
    assert not np.signbit(seen["into"][into == 0]).any()
    p = F.softmax(x.detach(), 1).numpy()
    np.testing.assert_allclose(x.grad.numpy(), p + into, rtol=1e-6, atol=1e-7)


def test_ignored_rows_give_positive_zeros():
    x = _logits((3, 4))
    x.detach().numpy()[0] = -200  # exp underflows in float32
    F.cross_entropy(x, torchlet.tensor([1, -100, 3]), reduction="none").sum().backward()
    g = x.grad.numpy()
    assert (g[1] == 0).all() and not np.signbit(g[1]).any()


def test_hooks_change_what_flows():
    x = _logits((3, 4))
    t = torchlet.tensor([1, 0, 3])
    F.cross_entropy(x, t).backward()
    plain = x.grad.numpy().copy()
    def doubled_in_place(grads):
        grads[0].mul_(2)

    for register in (lambda soft, nll: soft.register_prehook(doubled_in_place),
                     lambda soft, nll: soft.register_prehook(lambda go: (go[0] * 2,)),
                     lambda soft, nll: nll.register_hook(lambda gi, go: (gi[0] * 2,))):
        x.grad = None
        loss = F.cross_entropy(x, t)
        register(loss.grad_fn.next_functions[0][0], loss.grad_fn)
        loss.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * plain, rtol=1e-6, atol=1e-8)


def test_retain_graph_and_freed():
    x = _logits((3, 4))
    loss = F.cross_entropy(x, torchlet.tensor([1, 0, 3]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_input_changed_in_place_after_forward():
    x = _logits((3, 4))
    y = x * 1
    loss = F.cross_entropy(y, torchlet.tensor([1, 0, 3]))
    want = F.softmax(y.detach(), 1).numpy().copy()
    with torchlet.no_grad():
        y.add_(5)  # torch keeps log_softmax's output, not y: no error
    loss.backward()
    want[[0, 1, 2], [1, 0, 3]] -= 1
    np.testing.assert_allclose(x.grad.numpy(), want / 3, rtol=1e-6, atol=1e-7)


def test_double_backward_by_hand():
    # d/dx of sum_c g_c^2, g = softmax(x) - onehot (sum reduction), float64 gradgradcheck
    x = _logits((3, 4), dtype=np.float64)
    t = torchlet.tensor([1, 0, 3])
    w = torchlet.tensor([0.5, 1.0, 2.0, 1.5], dtype=torchlet.float64)
    for kw in ({}, {"weight": w}, {"reduction": "none"}, {"ignore_index": 0}):
        assert torchlet.autograd.gradgradcheck(lambda v, kw=kw: F.cross_entropy(v, t, **kw),
                                               (x,))
    g, = torchlet.autograd.grad(F.cross_entropy(x, t), x, create_graph=True)
    assert g.grad_fn.name() == "LogSoftmaxBackwardDataBackward0"


# ---------------------------------------------------------------------------------------
# against torch


def _walk(root):
    out, queue, seen = [], [root], set()
    while queue:
        node = queue.pop(0)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        saved = {}
        for name in sorted(a for a in dir(node) if a.startswith("_saved_")):
            value = getattr(node, name)
            if hasattr(value, "detach"):
                value = _Saved(tuple(value.shape), str(value.dtype).split(".")[-1],
                               value.detach().numpy().astype(np.float64))
            saved[name] = value
        out.append((node.name(), [(None if n is None else n.name(), i)
                                  for n, i in node.next_functions], saved))
        queue.extend(n for n, _ in node.next_functions)
    return out


class _Saved(tuple):
    """A saved tensor: (shape, dtype name, values)."""

    def __new__(cls, *parts):
        return super().__new__(cls, parts)


def _same_saved(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], _Saved):
            assert a[key][:2] == b[key][:2], key
            np.testing.assert_allclose(a[key][2], b[key][2], rtol=1e-5, atol=1e-6)
        else:
            assert a[key] == b[key], key


def _config(rng):
    nd = int(rng.choice([1, 2, 2, 3, 4, 5]))
    c = int(rng.integers(2, 7))
    n = int(rng.integers(1, 5))
    shape = (c,) if nd == 1 else (n, c) + tuple(int(rng.integers(1, 3)) for _ in range(nd - 2))
    target_shape = () if nd == 1 else (n,) + shape[2:]
    ignore = int(rng.choice([-100, 0]))
    target = rng.integers(0, c, target_shape)
    if target.size and rng.random() < 0.5:
        target.reshape(-1)[rng.random(target.size) < 0.4] = ignore
    kw = {"reduction": str(rng.choice(["mean", "sum", "none"])), "ignore_index": ignore}
    weight = rng.random(c).astype(np.float32) + 0.5 if rng.random() < 0.4 else None
    smoothing = float(rng.choice([0.0, 0.0, 0.2]))
    fn = str(rng.choice(["ce", "ce", "nll"]))
    return shape, target, kw, weight, smoothing, fn


def test_sampled_graphs_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2222)
    for _ in range(40):
        shape, target, kw, weight, smoothing, fn = _config(rng)
        x = rng.standard_normal(shape).astype(np.float32)
        results = []
        for lib in (torch, torchlet):
            xt = lib.tensor(x, requires_grad=True)
            args = dict(kw, weight=None if weight is None else lib.tensor(weight))
            if fn == "nll":
                loss = lib.nn.functional.nll_loss(
                    lib.nn.functional.log_softmax(xt, 0 if len(shape) == 1 else 1),
                    lib.tensor(target), **args)
            else:
                loss = lib.nn.functional.cross_entropy(xt, lib.tensor(target),
                                                       label_smoothing=smoothing, **args)
            graph = _walk(loss.grad_fn)
            loss.sum().backward()
            results.append((graph, loss.detach().numpy(), xt.grad.numpy()))
        (g_t, l_t, x_t), (g_l, l_l, x_l) = results
        assert [(n, e) for n, e, _ in g_l] == [(n, e) for n, e, _ in g_t], (shape, kw, fn)
        for (_, _, a), (_, _, b) in zip(g_l, g_t):
            _same_saved(a, b)
        np.testing.assert_allclose(l_l, l_t, rtol=2e-6, atol=1e-6)
        np.testing.assert_allclose(x_l, x_t, rtol=1e-5, atol=1e-7)

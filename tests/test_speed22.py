"""The training step's fast paths of session 21 (speed6): each records the general path's
node and numbers, bit for bit, and behaves as torch where torch is importable.

* ``_Linear.apply_layer`` (what ``F.linear`` calls for a layer's usual arguments) builds
  the AddmmBackward0 node without ``apply``'s general loops: its fields are compared with
  those ``apply`` gives, for every combination of inputs that need a gradient, and every
  unusual case (no grad, inference tensors, saved-tensor hooks, anomaly mode, meta
  tensors) is checked to take ``apply``;
* the engine hands a leaf's first gradient, when nobody else holds it, straight to
  ``.grad`` (what ``AccumulateGrad._accumulate`` does, one call less);
* ``_resolve_saved`` of a lone ``save_for_backward(None)`` (the fused cross entropy);
* the cross entropy's two small reductions (the targets' largest, the target
  exponentials' smallest) over a few values as Python's max/min of a list.

(The engine's first gradient of a leaf is not sped up: tests/test_engine.py spies on
``AccumulateGrad._accumulate``; the tests below pin its behaviour all the same.)
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import torchlet
from torchlet.autograd.function import FREED
from torchlet.nn import functional as F
from torchlet.nn._functional.loss import classification as C
from torchlet.nn.functional import _Linear


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _inputs(lib, need_bias, need_x, need_weight, x_leaf=True, seed=0, shape=(4, 5, 3)):
    """bias (out,), x (batch, in), weight (out, in) of ``lib`` with the gradients asked
    for; x is a leaf or the output of an operation."""
    batch, features, out = shape
    rng = np.random.default_rng(seed)
    b = lib.tensor(rng.standard_normal(out).astype(np.float32), requires_grad=need_bias)
    w = lib.tensor(rng.standard_normal((out, features)).astype(np.float32),
                   requires_grad=need_weight)
    x = lib.tensor(rng.standard_normal((batch, features)).astype(np.float32),
                   requires_grad=need_x)
    if not x_leaf and need_x:
        x = x * 1.0
    return b, x, w


def _node_fields(node, inputs):
    """The node's fields, with tensors and arrays named by their position among
    ``inputs`` (identity), so that two nodes on the same inputs compare equal."""
    arrays = [t._data for t in inputs]

    def name(value):
        if value is None:
            return None
        for i, t in enumerate(inputs):
            if value is t:
                return ("tensor", i)
        for i, a in enumerate(arrays):
            if value is a:
                return ("array", i)
        return ("other", type(value).__name__)

    checks = [(name(source), box is source._vbox, version)
              for box, version, source in node._version_checks]
    return dict(
        cls=type(node), name=node.name(), needs=list(node.needs_input_grad),
        edges=list(node._edges), meta=list(node._input_meta), n_outputs=node._n_outputs,
        saved=[name(s) for s in node._saved], to_save=[name(s) for s in node._to_save],
        checks=checks, rebuilt=node._rebuilt_on_access, hooks=node._hooks,
        dict=dict(node.__dict__) if hasattr(node, "__dict__") else {},
        next_functions=node.next_functions,
    )


# ---------------------------------------------------------------------------------------
# _Linear.apply_layer


@pytest.mark.parametrize("needs", list(itertools.product((False, True), repeat=3)))
@pytest.mark.parametrize("x_leaf", [True, False])
def test_apply_layer_records_apply_s_node(needs, x_leaf):
    b, x, w = _inputs(torchlet, *needs, x_leaf=x_leaf)
    general = _Linear.apply(b, x, w)
    fast = _Linear.apply_layer(b, x, w)
    assert _bits(fast.detach().numpy()) == _bits(general.detach().numpy())
    # hand-derived: x @ W^T + b
    expected = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    np.testing.assert_allclose(fast.detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    if not any(needs):
        assert fast.grad_fn is None and general.grad_fn is None
        assert not fast.requires_grad
        return
    assert _node_fields(fast.grad_fn, (b, x, w)) == _node_fields(general.grad_fn, (b, x, w))
    assert fast.grad_fn._sequence_nr() > general.grad_fn._sequence_nr()
    assert fast.grad_fn.name() == "AddmmBackward0"
    # the same gradients through either node
    g = torchlet.tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    grads = []
    for out in (general, fast):
        grads.append(out.grad_fn(g))
    for a, c in zip(grads[0], grads[1]):
        assert (a is None) == (c is None)
        if a is not None:
            assert _bits(a.detach().numpy()) == _bits(c.detach().numpy())


def test_apply_layer_is_what_a_layer_calls():
    torchlet.manual_seed(0)
    layer = torchlet.nn.Linear(5, 3)
    x = torchlet.randn(4, 5)
    calls = []
    original = _Linear.apply_layer.__func__

    def spy(cls, *args):
        calls.append(args)
        return original(cls, *args)

    _Linear.apply_layer = classmethod(spy)
    try:
        out = layer(x)
    finally:
        _Linear.apply_layer = classmethod(original)
    assert len(calls) == 1 and calls[0][0] is layer.bias and calls[0][2] is layer.weight
    assert out.grad_fn.name() == "AddmmBackward0"


def test_apply_layer_without_grad_mode_records_nothing():
    b, x, w = _inputs(torchlet, True, True, True)
    with torchlet.no_grad():
        out = _Linear.apply_layer(b, x, w)
    assert out.grad_fn is None and not out.requires_grad
    assert _bits(out.numpy()) == _bits(_Linear.apply(b, x, w).detach().numpy())


def test_apply_layer_inference_tensors_as_general_path():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        with lib.inference_mode():
            x = lib.ones(2, 3)
        w = lib.ones(4, 3, requires_grad=True)
        b = lib.zeros(4, requires_grad=True)
        # x is saved for the weight's gradient: autograd refuses an inference tensor
        with pytest.raises(RuntimeError, match="Inference tensors cannot be saved"):
            lib.nn.functional.linear(x, w, b)
        with lib.inference_mode():
            out = lib.nn.functional.linear(x, w, b)
        assert out.grad_fn is None and _bits(out.numpy()) == _bits(np.full((2, 4), 3.0,
                                                                              np.float32))


def test_apply_layer_saved_tensor_hooks_pack_what_apply_packs():
    torch = pytest.importorskip("torch")
    counts = []
    for lib in (torchlet, torch):
        b, x, w = _inputs(lib, True, True, True)
        packed = []

        def pack(t, packed=packed):
            packed.append(t.detach().numpy().copy())
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = lib.nn.functional.linear(x, w, b)
        out.sum().backward()
        counts.append(len(packed))
        # x and the weight (torch packs W.t(): compare the values as sets of sums)
        sums = sorted(round(float(p.sum()), 4) for p in packed)
        expected = sorted(round(float(t.detach().numpy().sum()), 4) for t in (x, w))
        assert sums == expected
        np.testing.assert_allclose(x.grad.numpy(), np.tile(w.detach().numpy().sum(0), (4, 1)),
                                   rtol=1e-6)
    assert counts[0] == counts[1] == 2


def test_apply_layer_anomaly_mode_records_the_trace():
    b, x, w = _inputs(torchlet, True, True, True)
    with pytest.warns(UserWarning), torchlet.autograd.detect_anomaly():
        out = F.linear(x, w, b)
        assert "traceback_" in out.grad_fn.metadata
        out.sum().backward()
    assert x.grad is not None


def test_apply_layer_meta_tensors_take_apply():
    b, x, w = (torchlet.empty(3, device="meta", requires_grad=True),
               torchlet.empty(4, 5, device="meta"),
               torchlet.empty(3, 5, device="meta", requires_grad=True))
    out = F.linear(x, w, b)
    assert out.is_meta and tuple(out.shape) == (4, 3)
    assert out.grad_fn.name() == "AddmmBackward0"


def test_apply_layer_version_errors_as_torch():
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (torchlet, torch):
        b, x, w = _inputs(lib, True, True, True, x_leaf=False)
        out = lib.nn.functional.linear(x, w, b)
        with lib.no_grad():
            w.mul_(2)  # saved for x's gradient
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
            out.sum().backward()
        messages.append(str(info.value).split(" Hint")[0])
        # the bias is not saved: changing it is no error
        b, x, w = _inputs(lib, True, True, True)
        out = lib.nn.functional.linear(x, w, b)
        with lib.no_grad():
            b.add_(1)
        out.sum().backward()
        assert _bits(b.grad.numpy()) == _bits(np.full(3, 4.0, np.float32))
    # torch names the saved W.t() (output 0 of TBackward0) where torchlet saves W itself
    assert all("is at version 1; expected version 0" in m for m in messages)


def test_apply_layer_retain_graph_and_saved_attributes_as_torch():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        b, x, w = _inputs(lib, True, True, True, x_leaf=False)
        out = lib.nn.functional.linear(x, w, b)
        node = out.grad_fn
        assert _bits(node._saved_mat1.detach().numpy()) == _bits(x.detach().numpy())
        assert list(node._saved_mat2_sym_sizes) == [5, 3]
        # (torch's mat2 is the W.t() of its TBackward0 node, which torchlet folds in)
        out.sum().backward()
        if lib is torchlet:
            assert node._saved is FREED
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.sum().backward()


# ---------------------------------------------------------------------------------------
# the engine's first gradient of a leaf


def test_first_gradient_is_taken_over_and_later_ones_added_in_place():
    a = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (a * torchlet.tensor([2.0, 3.0, 4.0])).sum().backward()
    first = a.grad
    assert _bits(first.numpy()) == _bits(np.array([2, 3, 4], np.float32))
    assert first._data.flags.c_contiguous and first._data.flags.writeable
    (a * 1.0).sum().backward()
    assert a.grad is first  # added in place: a reference to the old .grad sees the sum
    assert _bits(first.numpy()) == _bits(np.array([3, 4, 5], np.float32))


def test_first_gradient_shared_by_two_leaves_is_copied():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        a = lib.ones(3, requires_grad=True)
        b = lib.ones(3, requires_grad=True)
        ((a + b) * 2).sum().backward()  # AddBackward0 passes one gradient to both
        a.grad.add_(1)
        assert _bits(b.grad.numpy()) == _bits(np.full(3, 2.0, np.float32))
        assert _bits(a.grad.numpy()) == _bits(np.full(3, 3.0, np.float32))


def test_first_gradient_of_a_leaf_held_elsewhere_is_copied():
    held = []
    a = torchlet.ones(2, 2, requires_grad=True)
    y = a * 3.0
    y.register_hook(lambda g: held.append(g))  # the hook's list keeps y's gradient
    (y * 1.0).sum().backward()
    a.grad.add_(1)
    assert _bits(held[0].numpy()) == _bits(np.ones((2, 2), np.float32))
    assert _bits(a.grad.numpy()) == _bits(np.full((2, 2), 4.0, np.float32))


def test_first_gradient_layout_of_a_non_contiguous_leaf_as_torch():
    torch = pytest.importorskip("torch")
    strides = []
    for lib in (torchlet, torch):
        w = lib.arange(12.0).reshape(3, 4).t().detach().requires_grad_()  # strides (1, 4)
        (w * 2.0).sum().backward()
        strides.append((w.stride(), w.grad.stride()))
        assert _bits(w.grad.contiguous().numpy()) == _bits(np.full((4, 3), 2.0, np.float32))
    assert strides[0] == strides[1] == ((1, 4), (1, 4))


def test_first_gradient_under_create_graph_as_torch():
    torch = pytest.importorskip("torch")
    names = []
    for lib in (torchlet, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        (a * a).sum().backward(create_graph=True)
        names.append(a.grad.grad_fn.name() if a.grad.grad_fn is not None else None)
        assert _bits(a.grad.detach().numpy()) == _bits(np.array([2, 4], np.float32))
    assert names[0] == names[1]


def test_first_gradient_of_a_meta_leaf_and_post_accumulate_hook():
    a = torchlet.empty(2, 3, device="meta", requires_grad=True)
    (a * 2).sum().backward()
    assert a.grad.is_meta and tuple(a.grad.shape) == (2, 3)
    seen = []
    b = torchlet.ones(2, requires_grad=True)
    b.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.numpy().copy()))
    (b * 5.0).sum().backward()
    assert len(seen) == 1 and _bits(seen[0]) == _bits(np.full(2, 5.0, np.float32))


# ---------------------------------------------------------------------------------------
# the cross entropy's lone None


def test_cross_entropy_saves_only_its_mark_and_frees_it():
    torch = pytest.importorskip("torch")
    for lib in (torchlet, torch):
        x = lib.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]], requires_grad=True)
        loss = lib.nn.functional.cross_entropy(x, lib.tensor([1, 2]))
        if lib is torchlet:
            assert loss.grad_fn._saved == (None,) and loss.grad_fn._version_checks == []
        loss.backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            loss.backward()
        # hand-derived: softmax(x) - onehot(t), over the batch of 2
        v = x.detach().numpy().astype(np.float64)
        p = np.exp(v) / np.exp(v).sum(1, keepdims=True)
        p[[0, 1], [1, 2]] -= 1
        np.testing.assert_allclose(x.grad.numpy(), p / 2, rtol=1e-6, atol=1e-7)


def test_small_reductions_as_numpy_s():
    rng = np.random.default_rng(2222)
    for size in (1, 2, 5, 31, 32, 33, 100):
        t = rng.integers(-3, 12, size)
        u = t.view(np.uint64)
        assert C._largest(u) == np.maximum.reduce(u, axis=None)
        assert C._largest(t) == t.max()
        for dtype in (np.float32, np.float64):
            v = rng.standard_normal(size).astype(dtype) * 1e-29
            assert C._smallest(v) == np.minimum.reduce(v, axis=None)
    # hand values: negative targets read as unsigned are huge; 1e-30 against float32's
    assert C._largest(np.array([3, -1]).view(np.uint64)) == 2**64 - 1
    tiny = np.float32(1e-30)  # float32's nearest lies above 1e-30: kept, in either type
    assert C._smallest(np.array([tiny, 1.0], np.float32)) >= 1e-30
    assert not C._smallest(np.array([np.nextafter(tiny, np.float32(0)), 1.0],
                                    np.float32)) >= 1e-30
    assert C._smallest(np.array([[2.0, 1.0]])) == 1.0  # (2-D: NumPy's reduction)


@pytest.mark.parametrize("case", ["nan", "inf", "tiny", "out_of_range", "negative", "ignored"])
def test_cross_entropy_small_batch_edge_cases_as_torch(case):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 3, 1, 2, 1])
    if case == "nan":
        x[1, 3] = np.nan
    elif case == "inf":
        x[2, 0] = np.inf
    elif case == "tiny":
        x[3] = [-80.0, 0.0, -69.0, 0.0]  # exp(-69) just above 1e-30, exp(-80) below
        t[3] = 2
        x[4, 1] = -80.0
    elif case == "out_of_range":
        t[2] = 4
    elif case == "negative":
        t[0] = -5
    elif case == "ignored":
        t[1] = -100
    results = []
    for lib in (torchlet, torch):
        xt = lib.tensor(x, requires_grad=True)
        try:
            loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t))
        except (IndexError, RuntimeError) as error:
            results.append(type(error))
            continue
        loss.backward()
        results.append((loss.detach().numpy(), xt.grad.numpy()))
    if isinstance(results[0], type):
        # torch's CPU kernel raises IndexError("Target 4 is out of bounds.")
        assert results[0] is results[1] is IndexError
        return
    (l1, g1), (l2, g2) = results
    np.testing.assert_allclose(l1, l2, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(g1, g2, rtol=2e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------
# sampled training steps against torch


def _run(lib, config, steps=3):
    batch, features, hidden, dtype, bias, frozen, x_grad, momentum = config
    nn = lib.nn
    rng = np.random.default_rng(batch * 1000 + features * 10 + hidden)
    dt = getattr(lib, dtype)
    model = nn.Sequential(nn.Linear(features, hidden, bias=bias), nn.ReLU(),
                          nn.Linear(hidden, 10))
    with lib.no_grad():  # the same weights in both libraries
        for p in model.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.3))
    model = model.to(dt)
    if frozen:
        model[0].weight.requires_grad_(False)
    x = lib.tensor(rng.standard_normal((batch, features)), dtype=dt, requires_grad=x_grad)
    y = lib.tensor(rng.integers(0, 10, batch))
    opt = lib.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1,
                        momentum=momentum)
    crit = nn.CrossEntropyLoss()
    record = []
    for step in range(steps):
        out = model(x)
        loss = crit(out, y)
        opt.zero_grad(set_to_none=step % 2 == 0)
        loss.backward()
        opt.step()
        record.append(loss.detach().numpy().copy())
    names = [(n.name() if n is not None else None) for n, _ in out.grad_fn.next_functions]
    grads = [None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()]
    record += [p.detach().numpy().copy() for p in model.parameters()]
    return record, grads, out.grad_fn.name(), names, None if x.grad is None else x.grad.numpy()


def test_training_steps_match_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(622)
    for _ in range(10):
        config = (int(rng.integers(1, 40)), int(rng.integers(1, 30)), int(rng.integers(1, 30)),
                  str(rng.choice(["float32", "float64"])), bool(rng.integers(2)),
                  bool(rng.integers(2)), bool(rng.integers(2)), float(rng.choice([0, 0.9])))
        mine, ref = _run(torchlet, config), _run(torch, config)
        tol = dict(rtol=2e-4, atol=2e-5) if config[3] == "float32" else dict(rtol=1e-9,
                                                                              atol=1e-12)
        for a, b in zip(mine[0], ref[0]):
            np.testing.assert_allclose(a, b, **tol)
        for a, b in zip(mine[1], ref[1]):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, **tol)
        assert mine[2] == ref[2] == "AddmmBackward0"
        # bias, x: the same nodes; torch's weight goes through a TBackward0 node, which
        # torchlet's fused linear folds in (its AccumulateGrad directly)
        assert mine[3][:2] == ref[3][:2]
        assert mine[3][2] == "torch::autograd::AccumulateGrad" and ref[3][2] == "TBackward0"
        assert (mine[4] is None) == (ref[4] is None)
        if mine[4] is not None:
            np.testing.assert_allclose(mine[4], ref[4], **tol)

"""torchlet.autograd.graph against torch.autograd.graph: saved-tensor hooks, multi-grad
hooks, gradient edges, version bumps.

Each test writes the code once, ``fn(lib)``, and runs it on torchlet and (when importable)
on torch; what is compared is exact: which tensors the hooks see (identity), how often
they run, the exception types and messages, and gradients (bit-exact: the same elementwise
float32 products, no sums).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

LIBS = [torchlet]
try:
    import torch

    LIBS.append(torch)
except ImportError:  # the torchlet half still runs
    torch = None

both = pytest.mark.parametrize("lib", LIBS, ids=lambda lib: lib.__name__)


def leaves(lib, n=2, size=3):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal(size).astype(np.float32), requires_grad=True)
            for _ in range(n)]


def on_both(fn):
    """fn(lib) on each library; asserts the results agree, returns torchlet's."""
    results = [fn(lib) for lib in LIBS]
    for other in results[1:]:
        assert other == results[0]
    return results[0]


# ---------------------------------------------------------------------------------------
# saved_tensors_hooks


def test_pack_sees_the_saved_inputs_and_outputs():
    def fn(lib):
        a, b = leaves(lib)
        packed = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t,
                                                     lambda t: t):
            y = a * b
            z = y.exp()
        # (the order is each operation's own: torch's MulBackward0 saves b first, ours a)
        return sorted((p is a, p is b, p is z) for p in packed)

    assert on_both(fn) == [(False, False, True), (False, True, False), (True, False, False)]


def test_custom_function_saves_go_through_the_hooks():
    def fn(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                ctx.save_for_backward(x, y)
                return y

            @staticmethod
            def backward(ctx, grad):
                x, y = ctx.saved_tensors
                return grad * 2

        (a,) = leaves(lib, 1)
        packed = []
        with lib.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t,
                                                     lambda t: t):
            y = Double.apply(a)
        y.sum().backward()
        return [p is a for p in packed], packed[1] is y, a.grad.tolist()

    assert on_both(fn)[:2] == ([True, False], True)


def test_unpack_runs_on_every_access_and_gradients_are_unchanged():
    def fn(lib):
        a, b = leaves(lib)
        calls = []

        def unpack(packed):
            calls.append(1)
            return lib.tensor(packed)  # offloaded as a NumPy array, rebuilt here

        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().numpy().copy(),
                                                     unpack):
            y = (a * b).exp()
        y.sum().backward(retain_graph=True)
        first = len(calls)
        y.sum().backward()
        return first, len(calls), a.grad.tolist(), b.grad.tolist()

    first, total, grad_a, grad_b = on_both(fn)
    assert (first, total) == (3, 6)
    a, b = leaves(torchlet)
    ((a * b).exp().sum() * 2).backward()
    assert grad_a == a.grad.tolist() and grad_b == b.grad.tolist()


def test_no_version_check_once_hooks_hold_the_data():
    def fn(lib):
        a, b = leaves(lib)
        x = a * 1
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t.detach().clone(), lambda t: t):
            y = x * b
        x.add_(1)  # the hook kept its own copy: torch checks nothing, nor do we
        y.sum().backward()
        return b.grad.tolist()

    on_both(fn)


def test_innermost_hooks_apply_and_no_grad_packs_nothing():
    def fn(lib):
        a, b = leaves(lib)
        log = []
        graph = lib.autograd.graph
        with graph.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda t: t):
            with graph.saved_tensors_hooks(lambda t: log.append("inner") or t, lambda t: t):
                a * b
            with lib.no_grad():
                a * b
        return log

    assert on_both(fn) == ["inner", "inner"]


def test_double_backward_through_identity_hooks():
    def fn(lib):
        (a,) = leaves(lib, 1)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            y = (a * a * a).sum()
        (g,) = lib.autograd.grad(y, a, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), a)
        return g.tolist(), gg.tolist()

    on_both(fn)


def test_save_on_cpu_keeps_training_working():
    def fn(lib):
        a, b = leaves(lib)
        with lib.autograd.graph.save_on_cpu():
            y = (a * b).sum()
        y.backward()
        return a.grad.tolist()

    on_both(fn)


def _error(fn, lib):
    with pytest.raises(Exception) as info:
        fn(lib)
    return type(info.value).__name__, str(info.value)


def test_unpack_must_return_a_tensor():
    def fn(lib):
        a, b = leaves(lib)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: 1, lambda p: p):
            y = a * b
        y.sum().backward()

    assert on_both(lambda lib: _error(fn, lib)) == (
        "TypeError",
        "Output of saved tensor unpack_hook expected to be a Tensor but got result of type "
        "int",
    )


def test_pack_may_not_modify_its_input():
    def fn(lib):
        a, b = leaves(lib)
        x = a * 1

        def pack(t):
            t.mul_(1)
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            x * b

    kind, message = on_both(lambda lib: _error(fn, lib))
    assert kind == "RuntimeError" and "pack hook is modifying its input in place" in message


def test_disable_saved_tensors_hooks_both_ways():
    def inside(lib):
        graph = lib.autograd.graph
        with graph.disable_saved_tensors_hooks("no hooks here"):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

    def around(lib):
        graph = lib.autograd.graph
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            with graph.disable_saved_tensors_hooks("no hooks here"):
                pass

    for fn in (inside, around):
        assert on_both(lambda lib, fn=fn: _error(fn, lib)) == ("RuntimeError", "no hooks here")

    def after(lib):  # the context restores what it found
        graph = lib.autograd.graph
        with graph.disable_saved_tensors_hooks("no hooks here"):
            pass
        packed = []
        a, b = leaves(lib)
        with graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
            a * b
        return len(packed)

    assert on_both(after) == 2


# ---------------------------------------------------------------------------------------
# register_multi_grad_hook


def _shapes(grads):
    return [None if g is None else list(g.shape) for g in grads]


def test_multi_grad_hook_all():
    def fn(lib):
        a, b = leaves(lib)
        c = lib.randn(3, requires_grad=True) if lib is torchlet else lib.randn(
            3, requires_grad=True)
        log = []
        handle = lib.autograd.graph.register_multi_grad_hook(
            (a, b, c), lambda grads: log.append((_shapes(grads), [
                None if g is None else g.tolist() for g in grads][:2])))
        (a * b).sum().backward()  # c is not reached: None in its place
        (a * 2 + b * c).sum().backward()
        handle.remove()
        (a * b).sum().backward()  # removed: no call
        return [entry[0] for entry in log], log[0][1]

    shapes, _ = on_both(fn)
    assert shapes == [[[3], [3], None], [[3], [3], [3]]]


def test_multi_grad_hook_any_runs_once_per_pass():
    def fn(lib):
        a, b = leaves(lib)
        log = []
        lib.autograd.graph.register_multi_grad_hook((a, b), lambda g: log.append(g.tolist()),
                                                    mode="any")
        (a * 2 + b * 3).sum().backward()
        (b * 5).sum().backward()
        return log

    assert len(on_both(fn)) == 2


def test_multi_grad_hook_errors():
    def bad_mode(lib):
        (a,) = leaves(lib, 1)
        lib.autograd.graph.register_multi_grad_hook((a,), print, mode="bad")

    assert on_both(lambda lib: _error(bad_mode, lib)) == (
        "ValueError", "Expects mode to be one of ('all', 'any') but got bad")

    def no_grad_tensor(lib):
        lib.autograd.graph.register_multi_grad_hook((lib.zeros(3),), print)

    assert on_both(lambda lib: _error(no_grad_tensor, lib))[0] == "AssertionError"


# ---------------------------------------------------------------------------------------
# edges, versions, Node


def test_gradient_edges_and_node_class():
    def fn(lib):
        graph = lib.autograd.graph
        (a,) = leaves(lib, 1)
        y = a * 2
        leaf_edge, edge = graph.get_gradient_edge(a), graph.get_gradient_edge(y)
        return (type(leaf_edge.node).__name__ if lib is torch else leaf_edge.node.name()
                .rsplit("::", 1)[-1], leaf_edge.output_nr, edge.node is y.grad_fn,
                edge.output_nr, isinstance(y.grad_fn, graph.Node),
                isinstance(leaf_edge.node, graph.Node), leaf_edge.ownership_token)

    assert on_both(fn) == ("AccumulateGrad", 0, True, 0, True, True, None)

    def no_grad(lib):
        lib.autograd.graph.get_gradient_edge(lib.zeros(3))

    assert on_both(lambda lib: _error(no_grad, lib)) == (
        "RuntimeError",
        "It is not possible to get the gradient edge for a Tensor that does not require "
        "gradients",
    )


def test_increment_version_invalidates_saved_tensors():
    def fn(lib):
        (a,) = leaves(lib, 1)
        y = a * 1
        z = y * y
        lib.autograd.graph.increment_version(y)
        z.sum().backward()

    kind, message = on_both(lambda lib: _error(fn, lib)[:1] + ("",))
    assert kind == "RuntimeError"
    assert "is at version 1; expected version 0 instead" in _error(fn, torchlet)[1]


def test_operations_inside_a_pack_hook_are_not_packed():
    def fn(lib):
        (a,) = leaves(lib, 1)
        log = []

        def pack(t):
            log.append(tuple(t.shape))
            t * t  # recorded, saves t: not packed again
            return t

        with lib.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            a.exp()
        return log

    assert on_both(fn) == [(3,)]


def test_grad_fn_class_is_named_as_torchs_node():
    """type(grad_fn).__name__ is torch's node name (graph-drawing code prints it)."""
    x = torchlet.randn(3, requires_grad=True)
    w = torchlet.randn(2, 3, requires_grad=True)
    y = torchlet.nn.functional.linear(x[None], w).tanh().sum()
    names = []
    node = y.grad_fn
    while node is not None:
        names.append(type(node).__name__)
        assert node.name().endswith(type(node).__name__)  # torch::autograd::AccumulateGrad
        node = node.next_functions[0][0] if node.next_functions else None
    assert names == ["SumBackward0", "TanhBackward0", "MmBackward0", "UnsqueezeBackward0",
                     "AccumulateGrad"]
    # the node is still an instance of the operation's class, with its methods
    assert isinstance((x * 2).grad_fn, type((x * 3).grad_fn))
    try:
        import torch
    except ImportError:
        return
    tx = torch.randn(3, requires_grad=True)
    tw = torch.randn(2, 3, requires_grad=True)
    ty = torch.nn.functional.linear(tx[None], tw).tanh().sum()
    theirs, node = [], ty.grad_fn
    while node is not None:
        theirs.append(type(node).__name__)
        node = node.next_functions[0][0] if node.next_functions else None
    assert theirs == names

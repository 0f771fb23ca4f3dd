"""Named regression tests for the autograd engine, custom Functions and grad modes.

Each test is written once against a library ``lib`` and runs on torchlet and, when it
is installed, on torch: the expected values, messages and graph shapes written here are
torch's (the torch run proves it), and they hold for torchlet without torch installed.
Tests marked ``xfail(strict=True)`` document a known difference from torch (see the
reason); they start failing, as a reminder to unmark them, once it is fixed.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import torchlet


@pytest.fixture(params=["torchlet", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return torchlet


FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def exactly(message):
    """A pytest ``match`` pattern for exactly this message."""
    import re

    return "^" + re.escape(message) + "$"


# ---------------------------------------------------------------------------------------
# the chain rule on small graphs


def test_x_plus_x_times_x(lib):
    # d/dx (x + x) x = 4x: two paths into the same leaf, summed
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x + x) * x
    y.sum().backward()
    assert x.grad.tolist() == [4.0, 8.0, 12.0]


def test_a_times_a(lib):
    # the same tensor on both sides of one op: both gradients reach it
    a = lib.tensor([2.0, -3.0], requires_grad=True)
    (a * a).sum().backward()
    assert a.grad.tolist() == [4.0, -6.0]


def float32_gradients(lib):
    rng = np.random.default_rng(3)
    x = lib.tensor(rng.uniform(-2, 2, (4, 5)).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.uniform(-2, 2, (5,)).astype(np.float32), requires_grad=True)
    y = ((x * w + x) * x - w / 3).sum()
    y.backward()
    return x, w


def test_float32_gradients(lib):
    x, w = float32_gradients(lib)
    xv, wv = x.detach().numpy(), w.detach().numpy()
    assert x.grad.dtype == lib.float32 and w.grad.dtype == lib.float32
    np.testing.assert_allclose(x.grad.numpy(), 2 * xv * wv + 2 * xv, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), (xv * xv).sum(0) - 4 / 3, rtol=1e-5)


def test_float32_gradients_bit_exact_with_torch():
    # same operations, same order of accumulation (broadcast sums aside): same bits
    torch = pytest.importorskip("torch")
    mine, theirs = float32_gradients(torchlet), float32_gradients(torch)
    assert np.array_equal(mine[0].grad.numpy(), theirs[0].grad.numpy())
    np.testing.assert_allclose(mine[1].grad.numpy(), theirs[1].grad.numpy(), rtol=1e-6)


def test_hundred_thousand_op_chain(lib):
    # (no timing here: speed is measured in benchmarks/, and a walk that went quadratic
    # would show there and as a CI run that never ends)
    x = lib.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    limit = sys.getrecursionlimit()
    y.backward()  # iterative engine: no RecursionError
    assert sys.getrecursionlimit() == limit
    assert x.grad.item() == 1.0


def test_accumulation_over_two_backward_calls(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]  # 3 + 2x
    assert first is x.grad  # accumulated in place, as torch does


# .grad takes over a gradient that nobody else holds (as torch's AccumulateGrad steals
# one whose use count allows it) and copies any other: whatever the path, a later in-place
# accumulation must never change a tensor seen elsewhere.


def test_grad_never_aliases_a_gradient_sent_to_two_leaves(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0], requires_grad=True)
    (a * 1 + c * 1).sum().backward()  # not a view: one fresh gradient per leaf
    (a + c).backward(lib.tensor([1.0, 1.0]))  # AddBackward0 sends one tensor to both
    assert a.grad.tolist() == [2.0, 2.0] and c.grad.tolist() == [2.0, 2.0]
    a.grad = c.grad = None
    (a + c).backward(lib.tensor([1.0, 1.0]))
    a.grad.add_(5.0)
    assert c.grad.tolist() == [1.0, 1.0]


def test_grad_never_aliases_the_gradient_given_to_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    given = lib.tensor([1.0, 1.0])
    (x * 1).backward(given)
    (x * 1).backward(given)  # in place into x.grad
    assert given.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [2.0, 2.0]


def test_grad_never_aliases_a_gradient_kept_by_a_hook(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    kept = []
    y = x * 3
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: kept.append(grad_inputs[0]))
    y.sum().backward()
    (x * 1).sum().backward()  # in place into x.grad
    assert x.grad.tolist() == [4.0, 4.0]
    assert kept[0].tolist() == [3.0, 3.0]


def test_grad_never_aliases_a_gradient_kept_by_a_custom_function(lib):
    kept = []

    class KeepGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            result = grad * 2
            kept.append(result)
            return result

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    KeepGrad.apply(x).sum().backward()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert kept[0].tolist() == [2.0, 2.0]


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="3.14 borrows references: copies")
def test_first_gradient_is_taken_over_without_a_copy(monkeypatch):
    # The arrays the weight's and the bias's backward produce are watched through weak
    # references (which hold nothing): .grad must be those very arrays, not copies.
    import weakref

    w = torchlet.ones(3, 4, requires_grad=True)
    b = torchlet.zeros(3, requires_grad=True)
    out = torchlet.nn.functional.linear(torchlet.ones(5, 4), w, b).sum()
    produced = []
    node = out.grad_fn.next_functions[0][0]  # the linear's node: its gradients reach w, b
    backward = type(node)._backward

    def watched(self, grads):
        result = backward(self, grads)
        if self is node:
            produced.extend(weakref.ref(g._data) for g in result if g is not None)
        return result

    monkeypatch.setattr(type(node), "_backward", watched)
    out.backward()
    monkeypatch.undo()
    arrays = {id(r()) for r in produced if r() is not None}
    assert id(w.grad._data) in arrays and id(b.grad._data) in arrays  # no copy made
    grads = w.grad, b.grad
    torchlet.nn.functional.linear(torchlet.ones(5, 4), w, b).sum().backward()
    assert w.grad is grads[0] and b.grad is grads[1]  # .grad exists: added in place
    assert w.grad.tolist() == [[10.0] * 4] * 3 and b.grad.tolist() == [10.0] * 3


def test_taken_over_grad_is_writable_and_contiguous(lib):
    w = lib.ones(3, 4, requires_grad=True)
    (lib.ones(5, 3) @ w).sum().backward()
    w.grad.mul_(2)  # .grad may be written in place, as torch's optimizers do
    assert w.grad.is_contiguous() and w.grad.tolist() == [[10.0] * 4] * 3


def test_accumulation_order_float32(lib):
    # 1e8, -1e8 and 1 reach x; in float32 the order of the additions decides the result.
    # torch runs the most recently created node first: that order is reproduced.
    results = []
    for build in (lambda x: x * 1e8 + x * -1e8 + x * 1,
                  lambda x: x * 1 + x * 1e8 + x * -1e8):
        x = lib.tensor([1.0], requires_grad=True)
        build(x).sum().backward()
        results.append(x.grad.item())
    x = lib.tensor([1.0], requires_grad=True)
    a, b, d = x * 1e8, x * -1e8, x * 1
    (d + a + b).sum().backward()
    results.append(x.grad.item())
    assert results == [0.0, 1.0, 0.0]


# ---------------------------------------------------------------------------------------
# backward's arguments


def test_non_scalar_backward_needs_gradient(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError,
                       match=exactly("grad can be implicitly created only for scalar outputs")):
        (x * 2).backward()


def test_backward_with_gradient(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(lib.tensor([1.0, 0.5]))  # v^T J with J = diag(2x)
    assert x.grad.tolist() == [2.0, 2.0]


def test_backward_gradient_of_wrong_shape(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=exactly(
            "Mismatch in shape: grad_output[0] has a shape of torch.Size([3]) and output[0] "
            "has a shape of torch.Size([2]).")):
        (x * 2).backward(lib.ones(3))


def test_backward_on_tensor_without_grad(lib):
    with pytest.raises(RuntimeError, match=exactly(
            "element 0 of tensors does not require grad and does not have a grad_fn")):
        lib.tensor([1.0, 2.0]).sum().backward()


def test_second_backward_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=exactly(FREED)):
        y.backward()


def test_second_backward_raises_even_without_saved_tensors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=exactly(FREED)):
        y.backward()


def test_retain_graph_allows_second_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_backward_inputs(lib):
    x = lib.tensor(2.0, requires_grad=True)
    z = lib.tensor(5.0, requires_grad=True)
    (x * z).backward(inputs=[x])
    assert x.grad.item() == 5.0
    assert z.grad is None


# ---------------------------------------------------------------------------------------
# leaves, .grad, retain_grad, hooks


def test_leaf_and_non_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([1.0, 2.0])
    y = x * x
    assert (x.is_leaf, c.is_leaf, y.is_leaf) == (True, True, False)
    assert x.grad_fn is None and y.grad_fn is not None
    assert (x.requires_grad, c.requires_grad, y.requires_grad, (c * 2).requires_grad) == (
        True, False, True, False)
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert y.grad is None  # only leaves keep .grad
    assert c.grad is None


def test_non_leaf_grad_warns_on_torchlet():
    check_non_leaf_grad_warning(torchlet)


def test_non_leaf_grad_warns_on_torch():
    check_non_leaf_grad_warning(pytest.importorskip("torch"))


def check_non_leaf_grad_warning(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="^The .grad attribute of a Tensor that is not a "
                      "leaf Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning once retained, nor for leaves
        assert y.grad is None and x.grad is None


def test_retain_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]  # 2y
    assert x.grad.tolist() == [8.0, 16.0]


def test_retain_grad_accumulates(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = y.sum()
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.tolist() == [2.0, 2.0]
    assert x.grad.tolist() == [6.0, 6.0]


def test_hooks_on_leaf_and_non_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: g * 10)
    y = x * 2
    y.register_hook(lambda g: seen.append(g.tolist()))  # returns None: grad unchanged
    y.register_hook(lambda g: g + 1)
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    assert x.grad.tolist() == [40.0, 40.0]  # ((1 + 1) * 2) * 10


def test_hook_handle_remove(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    handle = y.register_hook(lambda g: g * 0)
    handle.remove()
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_hook_handles_are_torch_utils_hooks_removable_handles(lib):
    # the handle type torch returns, a context manager that removes its hook on exit;
    # removing a hook leaves the others in order
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    order = []
    handles = [
        x.register_hook(lambda g: order.append("leaf")),
        y.register_hook(lambda g: order.append("first")),
        y.register_hook(lambda g: order.append("second")),
        y.grad_fn.register_prehook(lambda grads: order.append("pre")),
        y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: order.append("post")),
    ]
    assert all(type(h) is lib.utils.hooks.RemovableHandle for h in handles)
    with y.register_hook(lambda g: order.append("scoped")):
        pass
    handles[1].remove()
    y.sum().backward()
    assert order == ["second", "pre", "post", "leaf"]


def test_hook_on_tensor_without_grad(lib):
    with pytest.raises(RuntimeError, match=exactly(
            "cannot register a hook on a tensor that doesn't require gradient")):
        lib.tensor([1.0]).register_hook(lambda g: g)


# ---------------------------------------------------------------------------------------
# autograd.grad


def test_grad_allow_unused(lib):
    x = lib.tensor(2.0, requires_grad=True)
    z = lib.tensor(1.0, requires_grad=True)
    gx, gz = lib.autograd.grad(x * 3, [x, z], allow_unused=True)
    assert gx.item() == 3.0 and gz is None
    assert x.grad is None  # grad() does not accumulate
    with pytest.raises(RuntimeError, match=exactly(
            "The differentiated Tensor at index 1 appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior.")):
        lib.autograd.grad(x * 3, [x, z])
    (gz,) = lib.autograd.grad(x * 3, [z], allow_unused=True, materialize_grads=True)
    assert gz.item() == 0.0


def test_grad_of_intermediate(lib):
    x = lib.tensor([3.0], requires_grad=True)
    y = x * x
    z = y * 2 + y * 3
    (gy,) = lib.autograd.grad(z.sum(), y)
    assert gy.tolist() == [5.0]


def test_double_backward(lib):
    x = lib.tensor(3.0, requires_grad=True)
    y = x ** 3
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    assert g.item() == 27.0 and g.requires_grad  # 3x^2
    (g2,) = lib.autograd.grad(g, x, retain_graph=True)
    assert g2.item() == 18.0  # 6x
    g.backward()
    assert x.grad.item() == 18.0


def test_create_graph_backward_makes_grad_differentiable(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.tolist() == [3.0, 12.0]
    (g2,) = lib.autograd.grad(x.grad.sum(), x)
    assert g2.tolist() == [6.0, 12.0]


# ---------------------------------------------------------------------------------------
# grad modes


def test_grad_mode_context_managers(lib):
    x = lib.tensor([1.0], requires_grad=True)
    seen = []
    with lib.no_grad():
        seen.append((x * 2).requires_grad)
        with lib.enable_grad():
            seen.append((x * 2).requires_grad)
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    with lib.set_grad_enabled(False):
        seen.append((x * 2).requires_grad)
    seen.append(lib.is_grad_enabled())
    with lib.inference_mode():
        seen.append(((x * 2).requires_grad, lib.is_grad_enabled()))
    with lib.inference_mode(False):
        seen.append((x * 2).requires_grad)
    assert seen == [False, True, False, True, False, True, (False, False), True]


def test_set_grad_enabled_as_a_function(lib):
    x = lib.tensor([1.0], requires_grad=True)
    lib.set_grad_enabled(False)
    try:
        assert not lib.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        lib.set_grad_enabled(True)
    assert lib.is_grad_enabled()


def test_grad_mode_decorators(lib):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.no_grad()
    def called():
        return (x * 2).requires_grad

    @lib.no_grad
    def bare():
        return (x * 2).requires_grad

    @lib.enable_grad()
    def enabled():
        return (x * 2).requires_grad

    @lib.set_grad_enabled(False)
    def disabled():
        return (x * 2).requires_grad

    @lib.inference_mode()
    def inference():
        return (x * 2).requires_grad

    assert lib.is_grad_enabled()  # decorating changes nothing by itself
    assert (called(), bare(), disabled(), inference()) == (False, False, False, False)
    with lib.no_grad():
        assert enabled() is True
    assert lib.is_grad_enabled()


def test_bare_inference_mode_decorator_torchlet():
    check_bare_inference_mode(torchlet)


def test_bare_inference_mode_decorator_torch():
    check_bare_inference_mode(pytest.importorskip("torch"))


def check_bare_inference_mode(lib):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.inference_mode
    def bare():
        return (x * 2).requires_grad

    assert bare() is False


def test_no_grad_result_is_a_leaf(lib):
    x = lib.tensor(1.0, requires_grad=True)
    y = x * 2
    with lib.no_grad():
        z = y * 3
    assert (z.requires_grad, z.grad_fn, z.is_leaf) == (False, None, True)


# ---------------------------------------------------------------------------------------
# requires_grad, in-place operations and versions


def test_requires_grad_on_integer_tensors(lib):
    with pytest.raises(RuntimeError, match=exactly(
            "only Tensors of floating point dtype can require gradients")):
        lib.tensor([1, 2]).requires_grad_(True)
    with pytest.raises(RuntimeError, match=exactly(
            "Only Tensors of floating point and complex dtype can require gradients")):
        lib.tensor([1, 2], requires_grad=True)


def test_requires_grad_false_on_non_leaf(lib):
    y = lib.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="^you can only change requires_grad flags of "
                       "leaf variables."):
        y.requires_grad_(False)


def test_in_place_on_leaf_requiring_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=exactly(
            "a leaf Variable that requires grad is being used in an in-place operation.")):
        x.add_(1)
    with lib.no_grad():
        x.add_(1)  # allowed: nothing is recorded
    assert x.tolist() == [2.0, 3.0]


def test_in_place_on_saved_tensor_detected_at_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y  # saves y (version 0)
    y.mul_(2)  # version 1
    assert y._version == 1
    with pytest.raises(RuntimeError, match=(
            r"^one of the variables needed for gradient computation has been modified by an "
            r"inplace operation: \[torch.FloatTensor \[2\]\], .*is at version 1; expected "
            r"version 0 instead. Hint: ")):
        z.sum().backward()


def test_in_place_on_unsaved_tensor_is_fine(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = x * 1
    z = y.exp()  # exp saves its result, not y
    y.add_(1)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.0, 1.0]), rtol=1e-6)


def test_detach_shares_data_and_version_counter(lib):
    x = lib.tensor([1.0, 2.0])
    d = x.detach()
    d.add_(1)
    assert (x._version, d._version, x.tolist()) == (1, 1, [2.0, 3.0])
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    dw = w.detach()
    assert (dw.requires_grad, dw.is_leaf, dw.grad_fn) == (False, True, None)


def test_in_place_through_detach_caught_at_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    z = y * y
    y.detach().zero_()  # shares y's version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---------------------------------------------------------------------------------------
# custom autograd.Function


def make_scaled_exp(lib):
    class ScaledExp(lib.autograd.Function):
        """out = k exp(x);  grad_x = grad * out."""

        @staticmethod
        def forward(ctx, x, k):
            out = x.exp() * k
            ctx.save_for_backward(out)
            ctx.k = k
            return out

        @staticmethod
        def backward(ctx, grad):
            (out,) = ctx.saved_tensors
            return grad * out, None

    return ScaledExp


def test_custom_function_save_for_backward(lib):
    x = lib.tensor([0.0, 1.0], dtype=lib.float64, requires_grad=True)
    y = make_scaled_exp(lib).apply(x, 2.0)
    assert y.grad_fn.name() == "ScaledExpBackward"
    assert type(y.grad_fn).__name__ == "ScaledExpBackward"
    assert y.grad_fn.k == 2.0  # the ctx is the node
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.0, 1.0]), rtol=1e-15)
    with pytest.raises(RuntimeError, match=exactly(FREED)):
        y.grad_fn.saved_tensors  # noqa: B018 - the access itself raises


def test_custom_function_needs_input_grad(lib):
    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.seen = ctx.needs_input_grad
            return a * b * c

        @staticmethod
        def backward(ctx, grad):
            a_grad = grad * 2 if ctx.needs_input_grad[0] else None
            return a_grad, None, None

    a = lib.tensor([1.0], requires_grad=True)
    y = Mul.apply(a, lib.tensor([2.0]), 3)
    assert y.grad_fn.seen == (True, False, False)
    assert y.grad_fn.needs_input_grad == (True, False, False)
    y.sum().backward()
    assert a.grad.tolist() == [2.0]
    # no input requires grad: nothing recorded
    assert Mul.apply(lib.tensor([1.0]), lib.tensor([2.0]), 3).grad_fn is None


def test_custom_function_mark_non_differentiable(lib):
    class WithCount(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            doubled = x * 2
            count = (x * 0 + 1).sum()
            ctx.mark_non_differentiable(count)
            return doubled, count

        @staticmethod
        def backward(ctx, g_doubled, g_count):
            return g_doubled * 2

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    doubled, count = WithCount.apply(x)
    assert (doubled.requires_grad, count.requires_grad) == (True, False)
    doubled.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_custom_function_set_materialize_grads(lib):
    seen = []

    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            if g2 is not None:
                seen.append(g2.tolist())
            return g1 * 2 + (0 if g2 is None else g2 * 3), None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a, _ = Two.apply(x, True)
    a.sum().backward()  # unused output: zeros are passed
    a, _ = Two.apply(x, False)
    a.sum().backward()  # unused output: None is passed
    assert seen == [(False, False), [0.0, 0.0], (False, True)]
    assert x.grad.tolist() == [4.0, 4.0]


def test_custom_function_wrong_number_of_gradients(lib):
    class TooMany(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2, grad

    x = lib.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=exactly(
            "function TooManyBackward returned an incorrect number of gradients (expected 1, "
            "got 2)")):
        TooMany.apply(x).sum().backward()


def test_custom_function_double_backward(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    x = lib.tensor(2.0, requires_grad=True)
    (g,) = lib.autograd.grad(Cube.apply(x), x, create_graph=True)
    (g2,) = lib.autograd.grad(g, x)
    assert (g.item(), g2.item()) == (12.0, 12.0)


# ---------------------------------------------------------------------------------------
# the graph itself: grad_fn names and next_functions


def graph(node):
    """(name, ((child, input_nr), ...)) down to the leaves; AccumulateGrad by type name."""
    if node is None:
        return None
    name = type(node).__name__ if "AccumulateGrad" in node.name() else node.name()
    return name, tuple((graph(child), nr) for child, nr in node.next_functions)


LEAF = ("AccumulateGrad", ())

GRAPHS = [
    (lambda t, x, y, c: ((x * y + c) / 2).exp().sum(),
     ("SumBackward0", ((("ExpBackward0", ((("DivBackward0", ((("AddBackward0", (
         (("MulBackward0", ((LEAF, 0), (LEAF, 0))), 0), (None, 0))), 0), (None, 0))), 0),)),
         0),))),
    (lambda t, x, y, c: (x.reshape(2, 1).expand(2, 3).permute(1, 0) * y).mean(),
     ("MeanBackward0", ((("MulBackward0", ((("PermuteBackward0", ((("ExpandBackward0", (
         (("ViewBackward0", ((LEAF, 0),)), 0),)), 0),)), 0), (LEAF, 0))), 0),))),
    (lambda t, x, y, c: (x - y.sigmoid()).tanh().sum(0),
     ("SumBackward1", ((("TanhBackward0", ((("SubBackward0", ((LEAF, 0), (
         ("SigmoidBackward0", ((LEAF, 0),)), 0))), 0),)), 0),))),
    (lambda t, x, y, c: (x ** 2 + 3 * x).pow(y),
     ("PowBackward1", ((("AddBackward0", ((("PowBackward0", ((LEAF, 0),)), 0), (
         ("MulBackward0", ((LEAF, 0), (None, 0))), 0))), 0), (LEAF, 0)))),
    (lambda t, x, y, c: t.maximum(x, y).sin().log(),
     ("LogBackward0", ((("SinBackward0", ((("MaximumBackward0", ((LEAF, 0), (LEAF, 0))),
                                          0),)), 0),))),
    (lambda t, x, y, c: x.clamp(0, 1) * c,
     ("MulBackward0", ((("ClampBackward1", ((LEAF, 0),)), 0), (None, 0)))),
]


@pytest.mark.parametrize("case", range(len(GRAPHS)))
def test_grad_fn_names_and_next_functions(lib, case):
    fn, expected = GRAPHS[case]
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 4.0], requires_grad=True)
    c = lib.tensor([5.0, 6.0])
    assert graph(fn(lib, x, y, c).grad_fn) == expected


def test_leaf_accumulator_is_shared(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a, b = x * 2, x * 3
    assert a.grad_fn.next_functions[0][0] is b.grad_fn.next_functions[0][0]
    assert a.grad_fn.next_functions[0][0].variable is x
    assert repr(a.grad_fn).startswith("<MulBackward0 object at 0x")


def test_accumulate_grad_name_torchlet():
    x = torchlet.tensor([1.0], requires_grad=True)
    assert (x * 2).grad_fn.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"


def test_where_next_functions_torchlet():
    check_where_next_functions(torchlet)


def test_where_next_functions_torch():
    check_where_next_functions(pytest.importorskip("torch"))


def check_where_next_functions(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 4.0], requires_grad=True)
    out = lib.where(lib.tensor([True, False]), x, y)
    assert graph(out.grad_fn) == ("WhereBackward0", ((LEAF, 0), (LEAF, 0)))


def test_multi_output_node_output_nr(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    first, second = x.unbind(0)
    assert first.grad_fn is second.grad_fn
    assert (first.output_nr, second.output_nr) == (0, 1)
    (first * 2 + second * 3).sum().backward()
    assert x.grad.tolist() == [[2.0, 2.0], [3.0, 3.0]]

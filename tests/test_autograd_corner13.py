"""Autograd corner cases, as torch 2.13 behaves:

* full backward hooks of modules see None for a gradient that never arrived at an output
  (zeros for an input's, which torch's node materialises), may replace grad_input, and
  give torch's warnings and errors;
* ``@once_differentiable`` backwards: differentiating their result again raises;
* a custom Function that returns an input (as-is, changed in place, or as a view).

Every test runs on torchlet and, where it is importable, on torch, and checks values
derived by hand here, so both libraries are held to the same expectation.
"""

from __future__ import annotations

import warnings

import pytest

import torchlet

try:
    import torch
except ImportError:  # the torch half of each test is skipped
    torch = None

LIBS = [
    pytest.param(torchlet, id="torchlet"),
    pytest.param(torch, id="torch",
                 marks=pytest.mark.skipif(torch is None, reason="torch not installed")),
]

CUSTOM_VIEW_REASON = "This view was created inside a custom Function"


def _values(grads):
    """A tuple of gradients as plain lists (None stays None)."""
    return [None if g is None else g.tolist() for g in grads]


# ---------------------------------------------------------------------------------------
# full backward hooks


def _two_outputs(lib):
    class Two(lib.nn.Module):
        def forward(self, x, y):
            return x * 2, y * 3

    return Two()


def _record_hooks(module):
    seen = {}

    def pre_hook(mod, grad_output):
        seen["pre"] = _values(grad_output)

    def hook(mod, grad_input, grad_output):
        seen["grad_input"] = _values(grad_input)
        seen["grad_output"] = _values(grad_output)

    module.register_full_backward_pre_hook(pre_hook)
    module.register_full_backward_hook(hook)
    return seen


@pytest.mark.parametrize("lib", LIBS)
def test_hook_sees_none_for_an_output_that_does_not_reach_the_loss(lib):
    module = _two_outputs(lib)
    seen = _record_hooks(module)
    x = lib.ones(2, requires_grad=True)
    y = lib.ones(3, requires_grad=True)
    a, b = module(x, y)
    a.sum().backward()
    # d(sum a)/da = 1; b unused: None. grad_input = 2 * 1 for x, and for y the zeros
    # that torch's identity node returns in place of the missing gradient
    assert seen["pre"] == [[1.0, 1.0], None]
    assert seen["grad_output"] == [[1.0, 1.0], None]
    assert seen["grad_input"] == [[2.0, 2.0], [0.0, 0.0, 0.0]]
    assert x.grad.tolist() == [2.0, 2.0]
    assert y.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("lib", LIBS)
def test_hook_with_an_input_that_does_not_require_grad(lib):
    module = _two_outputs(lib)
    seen = _record_hooks(module)
    x = lib.ones(2, requires_grad=True)
    y = lib.ones(3)
    a, b = module(x, y)
    assert not b.requires_grad
    (a.sum() + b.sum()).backward()
    assert seen["grad_output"] == [[1.0, 1.0], None]  # b has no graph at all
    assert seen["grad_input"] == [[2.0, 2.0], [0.0, 0.0, 0.0]]
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("lib", LIBS)
def test_hook_with_arguments_that_are_not_tensors(lib):
    class Mixed(lib.nn.Module):
        def forward(self, x, k, y):
            return x * k, k, y + 1

    module = Mixed()
    seen = _record_hooks(module)
    x = lib.ones(2, requires_grad=True)
    out = module(x, 4, lib.ones(3))
    assert out[1] == 4
    out[0].sum().backward()
    # non-Tensor positions are None; y + 1 needs no gradient
    assert seen["grad_output"] == [[1.0, 1.0], None, None]
    assert seen["grad_input"] == [[4.0, 4.0], None, [0.0, 0.0, 0.0]]
    assert x.grad.tolist() == [4.0, 4.0]


@pytest.mark.parametrize("lib", LIBS)
def test_hook_replaces_grad_input(lib):
    module = _two_outputs(lib)
    module.register_full_backward_hook(
        lambda mod, gi, go: tuple(None if g is None else g * 10 for g in gi))
    x = lib.ones(2, requires_grad=True)
    y = lib.ones(3, requires_grad=True)
    a, b = module(x, y)
    (a.sum() + b.sum()).backward()
    assert x.grad.tolist() == [20.0, 20.0]  # 10 * 2
    assert y.grad.tolist() == [30.0, 30.0, 30.0]  # 10 * 3

    x.grad = y.grad = None
    a, b = module(x, y)
    a.sum().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0]  # 10 * the zeros of the unused output


@pytest.mark.parametrize("lib", LIBS)
def test_pre_hook_may_give_a_gradient_to_an_unused_output(lib):
    module = _two_outputs(lib)
    module.register_full_backward_pre_hook(lambda mod, go: (go[0] * 5, lib.ones(3)))
    x = lib.ones(2, requires_grad=True)
    y = lib.ones(3, requires_grad=True)
    a, b = module(x, y)
    a.sum().backward()
    assert x.grad.tolist() == [10.0, 10.0]  # 5 * 2
    assert y.grad.tolist() == [3.0, 3.0, 3.0]  # 1 * 3


@pytest.mark.parametrize("lib", LIBS)
def test_hook_results_of_the_wrong_length(lib):
    x = lib.ones(2, requires_grad=True)
    y = lib.ones(3, requires_grad=True)
    module = _two_outputs(lib)
    module.register_full_backward_hook(lambda mod, gi, go: (gi[0],))
    a, b = module(x, y)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 1, but expected 2"):
        (a.sum() + b.sum()).backward()

    module = _two_outputs(lib)
    module.register_full_backward_pre_hook(lambda mod, go: (go[0],))
    a, b = module(x, y)
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 1, but expected 2"):
        (a.sum() + b.sum()).backward()


@pytest.mark.parametrize("lib", LIBS)
def test_hook_results_of_the_wrong_size(lib):
    """torch checks what its internal hook (named ``hook``) hands back to the node."""
    hooks = [
        ("full", lambda mod, gi, go: (lib.ones(5),)),
        ("full", lambda mod, gi, go: gi[0] * 2),  # a Tensor, not a tuple: rows are taken
        ("pre", lambda mod, go: go[0] * 2),
    ]
    for kind, hook in hooks:
        linear = lib.nn.Linear(2, 3)
        if kind == "full":
            linear.register_full_backward_hook(hook)
        else:
            linear.register_full_backward_pre_hook(hook)
        x = lib.ones(1, 2, requires_grad=True)
        with pytest.raises(RuntimeError, match="hook 'hook' has changed the size of value"):
            linear(x).sum().backward()


@pytest.mark.parametrize("lib", LIBS)
def test_hook_when_no_input_requires_grad(lib):
    linear = lib.nn.Linear(2, 2)
    with lib.no_grad():
        linear.weight.fill_(1.0)
        linear.bias.fill_(0.5)
    seen = _record_hooks(linear)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        linear(lib.ones(1, 2)).sum().backward()
    messages = [str(w.message) for w in caught]
    assert any(m.startswith("Full backward hook is firing when gradients are computed with "
                            "respect to module outputs since no inputs require gradients")
               for m in messages)
    assert [w.filename for w in caught] == [__file__]  # points at the backward() call
    assert seen["grad_input"] == [None]
    assert seen["grad_output"] == [[[1.0, 1.0]]]
    assert linear.weight.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]

    linear = lib.nn.Linear(2, 2)
    linear.register_full_backward_hook(lambda mod, gi, go: (lib.zeros(1, 2),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="Backward hook for Modules where no input "
                                               "requires gradient should always return None"):
            linear(lib.ones(1, 2)).sum().backward()


@pytest.mark.parametrize("lib", LIBS)
def test_outputs_of_a_hooked_module_are_views_that_refuse_in_place(lib):
    """torch returns the hooked tensors as views made by a custom Function: an in-place
    ReLU after a hooked layer is refused."""
    linear = lib.nn.Linear(2, 2)
    linear.register_full_backward_hook(lambda mod, gi, go: None)
    out = linear(lib.ones(1, 2, requires_grad=True))
    assert out.grad_fn.name() == "BackwardHookFunctionBackward"
    assert out._is_view() and out._base is not None
    with pytest.raises(RuntimeError, match=CUSTOM_VIEW_REASON):
        out.add_(1)

    relu = lib.nn.ReLU(inplace=True)
    relu.register_full_backward_hook(lambda mod, gi, go: None)
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
        relu(x * 1)


@pytest.mark.parametrize("lib", LIBS)
def test_identity_module_with_hook(lib):
    module = lib.nn.Identity()
    seen = _record_hooks(module)
    x = lib.ones(2, requires_grad=True)
    y = module(x)
    assert y is not x and y._base is x
    (y * 3).sum().backward()
    assert seen["grad_input"] == [[3.0, 3.0]]
    assert seen["grad_output"] == [[3.0, 3.0]]
    assert x.grad.tolist() == [3.0, 3.0]


# ---------------------------------------------------------------------------------------
# once_differentiable

ONCE = "trying to differentiate twice a function that was marked with @once_differentiable"


def _cube(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            assert not lib.is_grad_enabled()
            return 3 * x ** 2 * grad

    return Cube


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_first_order(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    _cube(lib).apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]  # 3 x^2


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_refuses_a_second_derivative(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = _cube(lib).apply(x)
    # the incoming gradient 2y requires grad, so the result leads to an Error node
    (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.tolist() == [6.0, 192.0]  # 2 x^3 * 3 x^2
    assert g.requires_grad
    assert g.grad_fn.name() == "torch::autograd::Error"
    assert "grad_fn=<Error>" in repr(g)
    (edge,) = g.grad_fn.next_functions
    assert edge[0].name() == "torch::autograd::AccumulateGrad"
    assert edge[0].variable.is_leaf  # a fresh leaf: the real graph is cut
    with pytest.raises(RuntimeError, match=ONCE):
        g.sum().backward()
    assert x.grad is None
    # x cannot be reached through the Error node
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        lib.autograd.grad(g.sum(), x)
    assert lib.autograd.grad(g.sum(), x, allow_unused=True) == (None,)


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_with_a_constant_incoming_gradient(lib):
    """torch judges by the incoming gradients only: a constant one gives a plain result."""
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (g,) = lib.autograd.grad(_cube(lib).apply(x).sum(), x, create_graph=True)
    assert g.tolist() == [3.0, 12.0]
    assert not g.requires_grad and g.grad_fn is None


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_through_backward_create_graph(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = _cube(lib).apply(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the create_graph reference-cycle warning
        (y * y).sum().backward(create_graph=True)
    assert x.grad.tolist() == [6.0, 192.0]
    with pytest.raises(RuntimeError, match=ONCE):
        x.grad.sum().backward()


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_with_several_gradients(lib):
    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 2, b * 3

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad_a, grad_b):
            return grad_a * 2, None

    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2, requires_grad=True)
    p, q = Two.apply(a, b)
    (ga,) = lib.autograd.grad((p * p).sum() + q.sum(), a, create_graph=True)
    assert ga.tolist() == [8.0, 8.0]  # 2p * 2, p = 2
    assert ga.grad_fn.name() == "torch::autograd::Error"
    assert [e[0] is None for e in ga.grad_fn.next_functions] == [False, True]
    with pytest.raises(RuntimeError, match=ONCE):
        ga.sum().backward()


# ---------------------------------------------------------------------------------------
# custom Functions that return their inputs


def _identity(lib, factor=2.0):
    class Ident(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * factor

    return Ident


def _dirty_mul(lib):
    class Dirty(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    return Dirty


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("leaf", [True, False])
def test_input_returned_as_is_is_a_new_view(lib, leaf):
    a = lib.ones(2, 2, requires_grad=True)
    x = a if leaf else a * 1
    out = _identity(lib).apply(x)
    assert out is not x
    assert out._base is x and out._is_view()
    assert out.data_ptr() == x.data_ptr()
    assert out.grad_fn.name() == "IdentBackward"
    assert x.grad_fn is (None if leaf else x.grad_fn)  # the input keeps its history
    assert not out.is_leaf and out.requires_grad
    assert (out._version, x._version) == (0, 0)
    out.sum().backward()
    assert a.grad.tolist() == [[2.0, 2.0], [2.0, 2.0]]  # the custom backward, not identity


@pytest.mark.parametrize("lib", LIBS)
def test_view_returned_by_a_custom_function_refuses_in_place(lib):
    x = lib.ones(2, requires_grad=True) * 1
    out = _identity(lib).apply(x)
    with pytest.raises(RuntimeError, match="Output 0 of Ident is a view and is being "
                                           "modified inplace. " + CUSTOM_VIEW_REASON):
        out.add_(1)

    # changed without grad, then its history is asked for
    out = _identity(lib).apply(x)
    with lib.no_grad():
        out.add_(1)
    with pytest.raises(RuntimeError, match="Output 0 of Ident is a view and its base or "
                                           "another view of its base has been modified"):
        _ = out.grad_fn  # (reading it rebuilds the history, which is refused)

    # the same when the input (the view's base) is the one changed
    out = _identity(lib).apply(x)
    x.add_(1)
    with pytest.raises(RuntimeError, match=CUSTOM_VIEW_REASON):
        out.sum().backward()

    # a view of that view inherits the restriction
    out = _identity(lib).apply(lib.ones(4, requires_grad=True) * 1)
    with pytest.raises(RuntimeError, match=CUSTOM_VIEW_REASON):
        out[:2].add_(1)


@pytest.mark.parametrize("lib", LIBS)
def test_input_returned_as_is_without_recording(lib):
    x = lib.ones(2)
    out = _identity(lib).apply(x)  # nothing requires grad: a plain view
    assert out is not x and out._base is x and out._is_view()
    assert out.grad_fn is None and not out.requires_grad

    x = lib.ones(2, requires_grad=True)
    with lib.no_grad():
        out = _identity(lib).apply(x)  # requires grad: a detached alias
    assert out is not x and out._base is None and not out._is_view()
    assert not out.requires_grad and out.is_leaf
    assert out.data_ptr() == x.data_ptr()

    i = lib.arange(3)
    out = _identity(lib).apply(i)
    assert out is not i and out._base is i and out.dtype == lib.int64


@pytest.mark.parametrize("lib", LIBS)
def test_non_differentiable_input_returned_as_is(lib):
    class NonDiff(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.mark_non_differentiable(x)
            return x, y * 2

        @staticmethod
        def backward(ctx, grad_x, grad_y):
            return None, grad_y * 2

    a = lib.ones(2, requires_grad=True)
    b = lib.ones(2, requires_grad=True)
    p, q = NonDiff.apply(a, b)
    assert p is not a and p._base is None and not p.requires_grad  # a detached alias
    q.sum().backward()
    assert b.grad.tolist() == [2.0, 2.0]

    c = lib.ones(2)
    p, _ = NonDiff.apply(c, b)
    assert p is not c and p._base is c and not p.requires_grad  # a view


@pytest.mark.parametrize("lib", LIBS)
def test_two_outputs_returning_the_same_input(lib):
    class Twice(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x, x

        @staticmethod
        def backward(ctx, grad_1, grad_2):
            return grad_1 + grad_2

    a = lib.ones(2, requires_grad=True)
    x = a * 1
    first, second = Twice.apply(x)
    assert first is not second
    assert first._base is x and second._base is x
    assert first.grad_fn is second.grad_fn
    assert (first.output_nr, second.output_nr) == (0, 1)
    (first.sum() + 2 * second.sum()).backward()
    assert a.grad.tolist() == [3.0, 3.0]
    # several differentiable outputs: views of them may not be changed in place
    first, _ = Twice.apply(x)
    with pytest.raises(RuntimeError, match="Output 0 of Twice is a view and is being "
                                           "modified inplace"):
        first.add_(1)


@pytest.mark.parametrize("lib", LIBS)
def test_saving_an_input_returned_as_is(lib):
    class SaveOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x

    a = lib.tensor([1.0, 2.0], requires_grad=True)
    SaveOut.apply(a * 3).sum().backward()
    assert a.grad.tolist() == [9.0, 18.0]  # d/da of 3a, times the saved 3a

    class SetupSaves(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad):
            return grad

    for requires_grad in (True, False):
        with pytest.raises(RuntimeError, match="An input that has been returned as-is as "
                                               "output is being saved for backward"):
            SetupSaves.apply(lib.ones(2, requires_grad=requires_grad))


@pytest.mark.parametrize("lib", LIBS)
def test_mark_dirty_keeps_the_tensor_and_counts_a_version(lib):
    a = lib.ones(2, requires_grad=True)
    x = a * 1
    out = _dirty_mul(lib).apply(x)
    assert out is x
    assert x.grad_fn.name() == "DirtyBackward"
    assert x._version == 2  # mul_ in forward, and once more for mark_dirty
    assert x.tolist() == [2.0, 2.0]
    out.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]

    c = lib.ones(2)  # nothing recorded: still the same tensor, still counted
    assert _dirty_mul(lib).apply(c) is c and c._version == 2


@pytest.mark.parametrize("lib", LIBS)
def test_mark_dirty_on_a_view_rebases_its_base(lib):
    b = lib.ones(4, requires_grad=True)
    base = b * 1
    view = base[:2]
    out = _dirty_mul(lib).apply(view)
    assert out is view and out._base is base
    assert base.grad_fn.name() == "torch::autograd::CopySlices"
    assert view.grad_fn.name() == "AsStridedBackward0"
    assert base.tolist() == [2.0, 2.0, 1.0, 1.0]
    base.sum().backward()
    assert b.grad.tolist() == [2.0, 2.0, 1.0, 1.0]  # the custom backward on the window

    class DirtyAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            x.add_(y)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad, grad * 3

    plain = lib.ones(4)
    w = lib.full((2,), 5.0, requires_grad=True)
    DirtyAdd.apply(plain[1:3], w)
    assert plain.requires_grad and plain.grad_fn.name() == "torch::autograd::CopySlices"
    plain.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("lib", LIBS)
def test_mark_dirty_errors(lib):
    dirty = _dirty_mul(lib)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been "
                                           "used in an in-place operation"):
        dirty.apply(lib.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                                           "being used in an in-place operation"):
        dirty.apply(lib.ones(4, requires_grad=True)[:2])
    with pytest.raises(RuntimeError, match="This view is the output of a function that "
                                           "returns multiple views"):
        dirty.apply((lib.ones(4, requires_grad=True) * 1).unbind(0)[0])

    class NotReturned(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    for requires_grad in (False, True):
        x = lib.ones(2, requires_grad=requires_grad) * 1
        with pytest.raises(RuntimeError, match="Some elements marked as dirty during the "
                                               "forward method were not returned as output"):
            NotReturned.apply(x)
        assert x._version == 2

    class TwoOutputs(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x, x * 3

        @staticmethod
        def backward(ctx, grad, grad_2):
            return grad

    with pytest.raises(RuntimeError, match="If your Function modifies inplace an input that "
                                           "is a view of another Tensor, your Function "
                                           "cannot return more than one Tensor"):
        TwoOutputs.apply((lib.ones(4, requires_grad=True) * 1)[:2])
    first, second = TwoOutputs.apply(lib.ones(2, requires_grad=True) * 1)  # not a view
    assert first.grad_fn is second.grad_fn

    class NotAnInput(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.mark_dirty(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.warns(UserWarning, match=r"ctx.mark_dirty\(\) received a tensor that was "
                                         "not an input"):
        out = NotAnInput.apply(lib.ones(2, requires_grad=True))
    assert out._version == 1 and out.grad_fn.name() == "NotAnInputBackward"


# ---------------------------------------------------------------------------------------
# .grad under create_graph, and backward(inputs=...)


@pytest.mark.parametrize("lib", LIBS)
def test_first_gradient_under_create_graph_is_a_copy(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).sum().backward(create_graph=True)
        first = x.grad
        assert first.tolist() == [3.0, 12.0]  # 3 x^2
        assert first.grad_fn.name() == "torch::autograd::CopyBackwards"
        (none, (source, _)) = first.grad_fn.next_functions
        assert none == (None, 0) and source.name() == "MulBackward0"
        (x ** 3).sum().backward(create_graph=True)
    assert x.grad.tolist() == [6.0, 24.0]
    assert x.grad.grad_fn.name() == "AddBackward0"
    assert x.grad.grad_fn.next_functions[0][0] is first.grad_fn
    x.grad.sum().backward()  # d/dx of 2 * 3 x^2 = 12 x, added to the 6 x^2 already there
    assert x.grad.tolist() == [6.0 + 12.0, 24.0 + 24.0]


@pytest.mark.parametrize("lib", LIBS)
def test_backward_inputs_accumulates_once_into_a_retained_non_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    (y ** 2).sum().backward(inputs=[y])
    assert y.grad.tolist() == [4.0, 8.0]  # 2 y, once
    assert x.grad is None

    z = x * 1
    assert not z.retains_grad
    (z ** 3).sum().backward(inputs=[z])
    assert z.retains_grad  # torch retains the grad of a non-leaf input
    assert z.grad.tolist() == [3.0, 12.0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).sum().backward(inputs=[x], create_graph=True)
    assert x.grad.tolist() == [3.0, 12.0]
    assert x.grad.grad_fn.name() == "torch::autograd::CopyBackwards"

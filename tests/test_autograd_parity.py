"""Regression tests for the autograd-core fixes of the torch-parity sweep (group F1).

Most tests are written once against a library ``lib`` and run on torchlet and, when it is
installed, on torch: the values and messages written here are torch's (the torch run
proves it), and they hold for torchlet without torch. The random-number tests compare
the two libraries directly when torch is importable, and check a hand-derived fact
otherwise.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import torchlet


@pytest.fixture(params=["torchlet", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return torchlet


def exactly(message):
    return "^" + re.escape(message) + "$"


# ---------------------------------------------------------------------------------------
# 1. grad-mode decorators on generator functions


def test_no_grad_decorator_holds_the_mode_inside_a_generator_only(lib):
    x = lib.ones(2, requires_grad=True)
    seen = []

    @lib.no_grad()
    def gen():
        seen.append((x * 2).requires_grad)
        request = yield 1
        seen.append((request, (x * 2).requires_grad))
        yield 2

    g = gen()
    next(g)
    seen.append(("caller", (x * 2).requires_grad, lib.is_grad_enabled()))
    g.send("r")
    assert list(g) == []
    assert seen == [False, ("caller", True, True), ("r", False)]
    assert lib.is_grad_enabled()


def test_enable_grad_and_set_grad_enabled_on_generators(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.enable_grad()
    def on():
        yield (x * 2).requires_grad

    @lib.set_grad_enabled(False)
    def off():
        yield (x * 2).requires_grad
        return 7

    with lib.no_grad():
        assert list(on()) == [True]
        assert not lib.is_grad_enabled()
    assert list(off()) == [False]
    assert lib.is_grad_enabled()
    g = off()
    next(g)
    with pytest.raises(StopIteration) as info:
        next(g)
    assert info.value.value == 7  # the generator's return value is passed on


def test_inference_mode_on_a_generator(lib):
    x = lib.ones(2, requires_grad=True)

    @lib.inference_mode()
    def gen():
        yield lib.is_inference_mode_enabled(), (x * 2).requires_grad

    assert list(gen()) == [(True, False)]
    assert not lib.is_inference_mode_enabled()


def test_generator_throw_and_close_run_inside_the_mode(lib):
    x = lib.ones(2, requires_grad=True)
    seen = []

    @lib.no_grad
    def gen():
        try:
            yield 1
        except ValueError:
            yield ("caught", (x * 2).requires_grad)
        finally:
            seen.append(("closing", lib.is_grad_enabled()))

    g = gen()
    next(g)
    assert g.throw(ValueError()) == ("caught", False)
    g.close()
    assert seen == [("closing", False)]
    assert lib.is_grad_enabled()


# ---------------------------------------------------------------------------------------
# 7. set_grad_enabled: argument type and repr


@pytest.mark.parametrize("value, name", [(1, "int"), (None, "NoneType"), (0.0, "float")])
def test_set_grad_enabled_wants_a_bool(lib, value, name):
    message = (f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {name}")
    with pytest.raises(TypeError, match=exactly(message)):
        lib.set_grad_enabled(value)
    assert lib.is_grad_enabled()


def test_set_grad_enabled_repr(lib):
    try:
        assert repr(lib.set_grad_enabled(False)) == (
            "torch.autograd.grad_mode.set_grad_enabled(mode=False)")
        assert str(lib.set_grad_enabled(True)) == (
            "torch.autograd.grad_mode.set_grad_enabled(mode=True)")
    finally:
        lib.set_grad_enabled(True)


def test_set_grad_enabled_enter_sets_its_mode_again(lib):
    ctx = lib.set_grad_enabled(False)  # takes effect at once, and restores on exit
    lib.set_grad_enabled(True)
    with ctx:
        assert not lib.is_grad_enabled()
    assert lib.is_grad_enabled()


# ---------------------------------------------------------------------------------------
# 2. Node post-hooks


def test_post_hook_return_value_replaces_grad_inputs(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = a * 3
    y.grad_fn.register_hook(lambda gi, go: seen.append((type(gi), type(go), len(gi))))
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0, None))
    y.grad_fn.register_hook(lambda gi, go: seen.append(gi[0].tolist()))
    y.sum().backward()
    assert seen == [(tuple, tuple, 2), [0.0, 0.0]]  # a later hook sees the replacement
    assert a.grad.tolist() == [0.0, 0.0]


def test_post_hook_none_entry_drops_that_gradient(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([1.0, 1.0], requires_grad=True)
    z = a * b
    z.grad_fn.register_hook(lambda gi, go: (None, gi[1] * 5))
    z.sum().backward()
    assert a.grad is None
    assert b.grad.tolist() == [5.0, 10.0]


def _post_hook_error(lib, result):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3
    y.grad_fn.register_hook(lambda gi, go: result(lib))
    y.sum().backward()


@pytest.mark.parametrize("result, error, message", [
    (lambda lib: (lib.ones(2),), RuntimeError,
     "hook '<lambda>' has returned an incorrect number of values (got 1, but expected 2)"),
    (lambda lib: [lib.ones(2), None], TypeError, "expected tuple, but hook returned 'list'"),
    (lambda lib: (None, lib.ones(2)), RuntimeError,
     "can't replace a None gradient with a non-None value"),
    (lambda lib: (lib.ones(3), None), RuntimeError,
     "hook '<lambda>' has changed the size of value"),
    (lambda lib: (1, None), TypeError, "expected Variable, but hook returned 'int'"),
    (lambda lib: (lib.ones(2, dtype=lib.float64), None), RuntimeError,
     "hook '<lambda>' has changed the type of value (was torch.FloatTensor got "
     "torch.DoubleTensor)"),
])
def test_post_hook_results_are_checked(lib, result, error, message):
    with pytest.raises(error, match=exactly(message)):
        _post_hook_error(lib, result)


def test_prehook_and_tensor_hook_results_are_checked(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3
    y.grad_fn.register_prehook(lambda go: [go[0]])
    with pytest.raises(TypeError, match=exactly("expected tuple, but hook returned 'list'")):
        y.sum().backward()

    def shrink(g):
        return g[:1]

    y = a * 3
    y.register_hook(shrink)
    with pytest.raises(RuntimeError, match=exactly("hook 'shrink' has changed the size of value")):
        y.sum().backward()


# ---------------------------------------------------------------------------------------
# 6. post-hooks on an AccumulateGrad node


def test_accumulate_grad_post_hooks_run_after_accumulation(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = a * 1
    acc = y.grad_fn.next_functions[0][0]
    acc.register_hook(lambda gi, go: seen.append(("post", gi, go[0].tolist(), a.grad.tolist())))
    a.register_post_accumulate_grad_hook(lambda t: seen.append(("accumulated", t.grad.tolist())))
    y.sum().backward()
    assert seen == [("accumulated", [1.0, 1.0]), ("post", (), [1.0, 1.0], [1.0, 1.0])]

    seen.clear()
    (a * 1).sum().backward(inputs=[a])  # backward(inputs=) runs the leaf's node too
    assert seen == [("accumulated", [2.0, 2.0]), ("post", (), [1.0, 1.0], [2.0, 2.0])]

    seen.clear()
    lib.autograd.grad((a * 1).sum(), a)  # grad() only captures: the node does not run
    assert seen == []


def test_accumulate_grad_post_hook_must_return_an_empty_tuple(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    y = a * 1
    y.grad_fn.next_functions[0][0].register_hook(lambda gi, go: (lib.zeros(2),))
    message = "hook '<lambda>' has returned an incorrect number of values (got 1, but expected 0)"
    with pytest.raises(RuntimeError, match=exactly(message)):
        y.sum().backward()


# ---------------------------------------------------------------------------------------
# 3, 4. autograd.grad inputs


def test_grad_of_the_same_input_twice(lib):
    x = lib.ones(2, requires_grad=True)
    gx1, gx2 = lib.autograd.grad((x * 2).sum(), [x, x])
    assert gx1.tolist() == gx2.tolist() == [2.0, 2.0]
    y = x * 3
    gy1, gx, gy2 = lib.autograd.grad((y * 2).sum(), [y, x, y])
    assert (gy1.tolist(), gx.tolist(), gy2.tolist()) == ([2.0, 2.0], [6.0, 6.0], [2.0, 2.0])


def test_backward_inputs_given_twice_accumulate_once(lib):
    x = lib.ones(2, requires_grad=True)
    (x * 2).sum().backward(inputs=[x, x])
    assert x.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("inputs", [[], ()])
def test_grad_with_no_inputs(lib, inputs):
    x = lib.ones(2, requires_grad=True)
    message = "`inputs` argument to `grad()` cannot be empty."
    with pytest.raises(RuntimeError, match=exactly(message)):
        lib.autograd.grad((x * 2).sum(), inputs)


# ---------------------------------------------------------------------------------------
# 5. custom Function arguments


def _scale_function(lib, seen):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k=2.0, b=None, flag=True):
            seen.append(("forward", ctx.needs_input_grad))
            ctx.k = k
            return x * k if b is None else x * k + b

        @staticmethod
        def backward(ctx, g):
            seen.append(("backward", ctx.needs_input_grad))
            grad_b = g if ctx.needs_input_grad[2] else None
            return (g * ctx.k, None, grad_b, None)[:len(ctx.needs_input_grad)]

    return Scale


def test_function_keyword_arguments_count_in_needs_input_grad(lib):
    seen = []
    scale = _scale_function(lib, seen)
    x = lib.ones(2, requires_grad=True)
    w = lib.ones(2, requires_grad=True)
    scale.apply(x, k=2.0, b=None, flag=True).sum().backward()
    assert seen == [("forward", (True, False, False, False)),
                    ("backward", (True, False, False, False))]
    assert x.grad.tolist() == [2.0, 2.0]

    seen.clear()
    y = scale.apply(x, b=w, k=3.0)  # keywords go by position: (x, 3.0, w)
    assert seen == [("forward", (True, False, True))]
    assert len(y.grad_fn.next_functions) == 2  # Tensor arguments only
    y.sum().backward()
    assert w.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("call, message", [
    (lambda f, x: f.apply(x, b=x), "forward() missing required argument: 'k' (position 1)"),
    (lambda f, x: f.apply(x, zz=x), "forward() got an unexpected keyword argument 'zz'"),
    (lambda f, x: f.apply(x, 1.0, k=2.0), "forward() got multiple values for argument 'k'"),
])
def test_function_keyword_argument_errors(lib, call, message):
    f = _scale_function(lib, [])
    with pytest.raises(TypeError, match=exactly(message)):
        call(f, lib.ones(2, requires_grad=True))


def test_function_with_setup_context_binds_defaults(lib):
    seen = []

    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, k=2.0, b=None):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            seen.append((len(inputs), inputs[1:], ctx.needs_input_grad))
            ctx.k = inputs[1]

        @staticmethod
        def backward(ctx, g):
            return g * ctx.k, None, None

    x = lib.ones(2, dtype=lib.float64, requires_grad=True)
    Scale.apply(x).sum().backward()
    assert seen == [(3, (2.0, None), (True, False, False))]
    assert x.grad.tolist() == [2.0, 2.0]
    assert lib.autograd.gradcheck(lambda t: Scale.apply(t, k=3.0), (x,))


def test_function_next_functions_and_non_tensor_gradients(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g  # a gradient for the float k: torch refuses it

    x = lib.ones(2, requires_grad=True)
    y = Scale.apply(x, 3.0)
    assert len(y.grad_fn.next_functions) == 1
    message = ("function ScaleBackward returned a gradient different than None at position 2, "
               "but the corresponding forward input was not a Variable")
    with pytest.raises(RuntimeError, match=exactly(message)):
        y.sum().backward()


# ---------------------------------------------------------------------------------------
# 9. custom Function checks


def test_mark_dirty_on_a_leaf_that_requires_grad(lib):
    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            a.mul_(2)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = lib.ones(2, requires_grad=True)
    message = "a leaf Variable that requires grad has been used in an in-place operation."
    with pytest.raises(RuntimeError, match=exactly(message)):
        Double.apply(x)
    y = x * 1  # not a leaf: fine
    assert Double.apply(y).grad_fn.name() == "DoubleBackward"


def test_save_for_backward_only_takes_tensors_or_none(lib):
    class Save(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, extra):
            ctx.save_for_backward(a, extra)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            a, extra = ctx.saved_tensors
            return g * 2, None

    x = lib.ones(2, requires_grad=True)
    message = "save_for_backward can only save variables, but argument 1 is of type int"
    with pytest.raises(TypeError, match=exactly(message)):
        Save.apply(x, 3)
    Save.apply(x, None).sum().backward()  # None may be saved
    assert x.grad.tolist() == [2.0, 2.0]
    with lib.no_grad():
        Save.apply(x, 3)  # nothing is recorded, nothing is checked (as torch)


def _my_relu(lib):
    """A custom Function named MyReLU (its gradient is the identity: enough here)."""

    class MyReLU(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.clamp(min=0)

        @staticmethod
        def backward(ctx, g):
            return g

    return MyReLU


def test_instantiating_a_function_warns_and_calling_it_raises(lib):
    MyReLU = _my_relu(lib)  # noqa: N806
    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = MyReLU()
    with pytest.raises(RuntimeError, match="^Legacy autograd function with non-static forward"):
        f(lib.ones(2, requires_grad=True))


# ---------------------------------------------------------------------------------------
# 10. _sequence_nr() is a method


def test_sequence_nr_is_a_method(lib):
    x = lib.ones(2, requires_grad=True)
    y = x * 2
    z = y + 1
    assert isinstance(y.grad_fn._sequence_nr(), int)
    assert z.grad_fn._sequence_nr() > y.grad_fn._sequence_nr()
    assert y.grad_fn.next_functions[0][0]._sequence_nr() == 2**64 - 1


# ---------------------------------------------------------------------------------------
# 8. gradcheck's random numbers


def _rng_after(lib, check):
    lib.manual_seed(0)
    assert check(lib)
    return lib.rand(3).numpy()


def _sin_input(lib):
    return lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64, requires_grad=True)


CHECKS = {
    "gradgradcheck": lambda lib: lib.autograd.gradgradcheck(lib.sin, (_sin_input(lib),)),
    "gradgradcheck_noncontig": lambda lib: lib.autograd.gradgradcheck(
        lambda a, b: (a * b, (a.sin() * b).sum(0)),
        (lib.ones(2, 3, dtype=lib.float64, requires_grad=True),
         lib.ones(3, dtype=lib.float64, requires_grad=True)),
        gen_non_contig_grad_outputs=True),
    "batched_grad": lambda lib: lib.autograd.gradcheck(
        lib.sin, (_sin_input(lib),), check_batched_grad=True),
    "fast_mode": lambda lib: lib.autograd.gradcheck(lib.sin, (_sin_input(lib),), fast_mode=True),
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_gradcheck_draws_from_the_global_rng_as_torch(name):
    ours = _rng_after(torchlet, CHECKS[name])
    torchlet.manual_seed(0)
    fresh = torchlet.rand(3).numpy()
    # hand-derived: only fast mode (its own Generator) leaves the global generator alone
    assert np.array_equal(ours, fresh) == (name == "fast_mode")
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(ours, _rng_after(torch, CHECKS[name]))


def test_gradgradcheck_grad_outputs_are_make_tensor_draws():
    """gradgradcheck's default grad_outputs are make_tensor(low=-1, high=1) draws from the
    global generator: the same numbers as a make_tensor call after the same seed."""
    seen = []

    def f(a):
        out = a.sin()
        out.register_hook(lambda g: seen.append(g.detach().clone()))
        return out

    torchlet.manual_seed(0)
    torchlet.autograd.gradgradcheck(f, (_sin_input(torchlet),))
    torchlet.manual_seed(0)
    expected = torchlet.testing.make_tensor(3, dtype=torchlet.float64, device="cpu", low=-1,
                                            high=1)
    assert any(np.array_equal(g.numpy(), expected.numpy()) for g in seen)


def _fast_mode_failure(lib):
    def bad(a, b):
        return a.detach() * b + a * 2

    a = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64,
                   requires_grad=True)
    b = lib.tensor([0.3, -0.2, 1.1], dtype=lib.float64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:  # GradcheckError is a RuntimeError
        lib.autograd.gradcheck(bad, (a, b), fast_mode=True)
    return str(info.value)


def test_fast_mode_vectors_are_torch_rand_on_a_fresh_generator():
    torchlet.manual_seed(0)
    message = _fast_mode_failure(torchlet)
    numbers = re.findall(r"(numerical|analytical):(\S+)", message)[:2]
    # hand-derived: u (one per input: a, then b) and then v (per output) are
    # torch.rand(numel, generator=Generator()), normalised; the wrong backward drops
    # d/da of a.detach() * b, so for (output 0, input a) v^T J u differs by v^T (b u)
    generator = torchlet.Generator()

    def unit(n):
        vec = torchlet.rand(n, generator=generator).double()
        return (vec / vec.norm()).numpy()

    u, _, v = unit(6), unit(3), unit(6)
    b = np.array([0.3, -0.2, 1.1])
    numerical, analytical = (float(n) for _, n in numbers)
    np.testing.assert_allclose(numerical - analytical, v @ (np.tile(b, 2) * u), rtol=1e-6)
    torch = pytest.importorskip("torch")
    theirs = re.findall(r"(numerical|analytical):(\S+)", _fast_mode_failure(torch))[:2]
    for (_, mine), (_, other) in zip(numbers, theirs, strict=True):
        assert float(mine) == pytest.approx(float(other), rel=1e-12)  # BLAS order aside


def test_batched_grad_check_still_passes_and_fails_as_before():
    x = _sin_input(torchlet)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torchlet.autograd.gradcheck(lambda t: (t * t).sum(), (x,),
                                           check_batched_grad=True)
        assert torchlet.autograd.gradgradcheck(torchlet.sin, (x,), check_batched_grad=True)


def test_custom_function_node_repr(lib):
    MyReLU = _my_relu(lib)  # noqa: N806
    node = MyReLU.apply(lib.ones(2, requires_grad=True)).grad_fn
    assert repr(node) == f"<torch.autograd.function.MyReLUBackward object at {hex(id(node))}>"

"""gradcheck / gradgradcheck: they pass on correct gradients and catch wrong ones.

Every check runs on torchlet; where torch is installed the same check runs on torch too
(``lib`` fixture), to show that both libraries agree on which functions pass and fail,
and, for failures, that torchlet's error message is torch's, character for character.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck


@pytest.fixture(params=["torchlet", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return torchlet


def checks(lib):
    """(gradcheck, gradgradcheck, GradcheckError) of ``lib``."""
    if lib is torchlet:
        return gradcheck, gradgradcheck, GradcheckError
    from torch.autograd.gradcheck import GradcheckError as TorchError

    return lib.autograd.gradcheck, lib.autograd.gradgradcheck, TorchError


def f64(lib, values, requires_grad=True):
    return lib.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


RNG = np.random.default_rng(1234)
A = RNG.uniform(-2, 2, (3, 4))
B = RNG.uniform(-2, 2, (3, 4))
POS = RNG.uniform(0.5, 2.0, (3, 4))
ROW = RNG.uniform(-2, 2, (4,))
# distinct values, at least 0.05 apart: maximum has no ties within eps
DISTINCT_A = (RNG.permutation(12).reshape(3, 4) / 12.0 - 0.5) * 4
DISTINCT_B = DISTINCT_A[::-1, ::-1] + 0.05 * np.sign(RNG.uniform(-1, 1, (3, 4)))
MASK = RNG.uniform(size=(3, 4)) < 0.5
# clamp's bounds well away from every value
CLAMP_IN = np.where(np.abs(A) < 1.2, A, np.sign(A) * 1.5)

# name -> (function of (lib, *tensors), input arrays); the expressions are torch's API
CORRECT = {
    "mul": (lambda t, a, b: a * b, (A, B)),
    "div": (lambda t, a, b: a / b, (A, POS)),
    "exp": (lambda t, a: a.exp(), (A,)),
    "log": (lambda t, a: t.log(a), (POS,)),
    "sin": (lambda t, a: a.sin(), (A,)),
    "pow_scalar": (lambda t, a: a ** 3, (A,)),
    "pow_tensor": (lambda t, a, b: t.pow(a, b), (POS, B)),
    "sigmoid": (lambda t, a: a.sigmoid(), (A,)),
    "tanh": (lambda t, a: t.tanh(a), (A,)),
    "maximum": (lambda t, a, b: t.maximum(a, b), (DISTINCT_A, DISTINCT_B)),
    "clamp": (lambda t, a: a.clamp(-1.3, 1.3), (CLAMP_IN,)),
    "where": (lambda t, a, b: t.where(t.tensor(MASK), a, b), (A, B)),
    "sum": (lambda t, a: a.sum(), (A,)),
    "sum_dim": (lambda t, a: a.sum(1, keepdim=True), (A,)),
    "mean": (lambda t, a: a.mean(0), (A,)),
    "reshape": (lambda t, a: a.reshape(4, 3) * 2, (A,)),
    "permute": (lambda t, a: a.reshape(3, 2, 2).permute(2, 0, 1), (A,)),
    "expand": (lambda t, a: a.reshape(3, 1, 4).expand(3, 2, 4) * 1.5, (A,)),
    "broadcast": (lambda t, a, r: (a + r) * r, (A, ROW)),
    "composite": (lambda t, a, b: ((a * b).sin() / (1 + b.exp())).sum(1), (A, B)),
    "two_outputs": (lambda t, a, b: (a.tanh(), (a * b).mean()), (A, B)),
}
# these have a differentiable backward, so second derivatives are checked too
TWICE = ["mul", "div", "exp", "log", "sin", "pow_scalar", "pow_tensor", "sigmoid", "tanh",
         "sum", "mean", "reshape", "permute", "expand", "broadcast", "composite",
         "two_outputs"]


def _case(lib, name):
    fn, arrays = CORRECT[name]
    return (lambda *ts: fn(lib, *ts)), tuple(f64(lib, a) for a in arrays)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_gradcheck_passes_on_correct_ops(lib, name):
    gc, _, _ = checks(lib)
    fn, inputs = _case(lib, name)
    assert gc(fn, inputs) is True


@pytest.mark.parametrize("name", ["mul", "div", "composite", "two_outputs", "expand"])
def test_gradcheck_fast_mode_passes(lib, name):
    gc, _, _ = checks(lib)
    fn, inputs = _case(lib, name)
    assert gc(fn, inputs, fast_mode=True) is True


@pytest.mark.parametrize("name", TWICE)
def test_gradgradcheck_passes(lib, name):
    _, ggc, _ = checks(lib)
    fn, inputs = _case(lib, name)
    assert ggc(fn, inputs) is True


def test_gradgradcheck_fast_mode_and_noncontiguous_grad_outputs(lib):
    _, ggc, _ = checks(lib)
    fn, inputs = _case(lib, "composite")
    assert ggc(fn, inputs, fast_mode=True) is True
    assert ggc(fn, inputs, gen_non_contig_grad_outputs=True) is True


def test_gradgradcheck_with_given_grad_outputs(lib):
    _, ggc, _ = checks(lib)
    x = f64(lib, [0.5, -1.0, 2.0])
    v = f64(lib, [1.0, -2.0, 0.5])
    assert ggc(lambda x: x ** 3, (x,), (v,)) is True
    # a grad_output that does not require grad is not differentiated, only used
    assert ggc(lambda x: x ** 3, (x,), (f64(lib, [1.0, 2.0, 3.0], requires_grad=False),))


def test_check_forward_ad(lib):
    gc, _, _ = checks(lib)
    fn, inputs = _case(lib, "composite")
    assert gc(fn, inputs, check_forward_ad=True) is True
    assert gc(fn, inputs, check_forward_ad=True, check_backward_ad=False) is True
    assert gc(fn, inputs, check_forward_ad=True, fast_mode=True) is True


# ---------------------------------------------------------------------------------------
# wrong gradients are caught


def make_wrong_square(lib):
    """x**2 whose backward forgets the factor 2."""

    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x

    return WrongSquare


WRONG_MESSAGE = (
    "Jacobian mismatch for output 0 with respect to input 0,\n"
    "numerical:tensor([[2.0000, 0.0000, 0.0000, 0.0000],\n"
    "        [0.0000, 4.0000, 0.0000, 0.0000],\n"
    "        [0.0000, 0.0000, 6.0000, 0.0000],\n"
    "        [0.0000, 0.0000, 0.0000, 8.0000]], dtype=torch.float64)\n"
    "analytical:tensor([[1., 0., 0., 0.],\n"
    "        [0., 2., 0., 0.],\n"
    "        [0., 0., 3., 0.],\n"
    "        [0., 0., 0., 4.]], dtype=torch.float64)\n"
)


def test_wrong_backward_raises_with_both_jacobians(lib):
    gc, _, error = checks(lib)
    x = f64(lib, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(error) as info:
        gc(make_wrong_square(lib).apply, (x,))
    assert isinstance(info.value, RuntimeError)
    assert str(info.value) == WRONG_MESSAGE


def test_wrong_backward_returns_false_without_raising(lib):
    gc, ggc, _ = checks(lib)
    x = f64(lib, [[1.0, 2.0], [3.0, 4.0]])
    wrong = make_wrong_square(lib).apply
    assert gc(wrong, (x,), raise_exception=False) is False
    assert gc(wrong, (x,), raise_exception=False, fast_mode=True) is False
    assert gc(wrong, (x,), raise_exception=False, check_forward_ad=True) is False
    # gradgradcheck differentiates the backward as written (grad * x), consistently: it
    # checks second derivatives only, so it does not see this first-order mistake
    assert ggc(wrong, (x,), raise_exception=False) is True


def test_wrong_backward_fast_mode_message_shows_slow_jacobians(lib):
    gc, _, error = checks(lib)
    x = f64(lib, [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(error) as info:
        gc(make_wrong_square(lib).apply, (x,), fast_mode=True)
    message = str(info.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0,\n")
    assert "we recompute numerical and analytical jacobians in slow mode" in message
    assert "The max per-element difference (slow mode) is: 4.000000000" in message
    # the full Jacobians follow
    assert "[0.0000, 0.0000, 0.0000, 8.0000]], dtype=torch.float64)" in message


def test_wrong_second_derivative_caught_by_gradgradcheck(lib):
    gc, ggc, error = checks(lib)

    class DetachedSquare(lib.autograd.Function):
        """Right first derivative, but its backward is constant in x (detached)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x.detach() * 2

    x = f64(lib, [1.0, 2.0])
    assert gc(DetachedSquare.apply, (x,)) is True
    with pytest.raises(error, match="Jacobian mismatch for output 0 with respect to input 0"):
        ggc(DetachedSquare.apply, (x,))


def test_backward_not_multiplied_by_grad_output(lib):
    gc, _, error = checks(lib)

    class Stubborn(lib.autograd.Function):
        """Right Jacobian, but a zero grad_output does not give a zero gradient."""

        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            if float(grad.abs().sum()) == 0:
                return grad + 1
            return grad * 2

    with pytest.raises(error) as info:
        gc(Stubborn.apply, (f64(lib, [1.0, 2.0]),))
    assert str(info.value) == "backward not multiplied by grad_output"


def test_nondeterministic_backward(lib):
    gc, _, error = checks(lib)
    calls = [0]

    class Drifting(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            calls[0] += 1
            return grad * (2 + 1e-9 * calls[0])

    x = f64(lib, [1.0, 2.0])
    with pytest.raises(error, match="^Backward is not reentrant, i.e., running backward"):
        gc(Drifting.apply, (x,))
    assert gc(Drifting.apply, (x,), nondet_tol=1e-6, check_undefined_grad=False) is True


def _two_outputs_bad_on_undefined(lib):
    class Two(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            if g1 is None and g2 is None:
                return lib.ones(2, dtype=lib.float64)  # must be None or zeros
            result = 0
            if g1 is not None:
                result = result + g1 * 2
            if g2 is not None:
                result = result + g2 * 3
            return result

    return Two


def test_undefined_grads_pass_when_handled(lib):
    gc, _, _ = checks(lib)
    x = f64(lib, [1.0, 2.0])
    assert gc(_two_outputs_bad_on_undefined(lib).apply, (x,), check_undefined_grad=False)


def test_undefined_grads_checked_on_torchlet():
    x = f64(torchlet, [1.0, 2.0])
    with pytest.raises(GradcheckError, match="^Expected all input grads to be undefined"):
        with pytest.warns(UserWarning, match="Backwards compatibility"):
            gradcheck(_two_outputs_bad_on_undefined(torchlet).apply, (x,))


def test_undefined_grads_checked_on_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd.gradcheck import GradcheckError as TorchError

    x = f64(torch, [1.0, 2.0])
    with pytest.raises(TorchError, match="^Expected all input grads to be undefined"):
        with pytest.warns(UserWarning, match="Backwards compatibility"):
            torch.autograd.gradcheck(_two_outputs_bad_on_undefined(torch).apply, (x,))


# ---------------------------------------------------------------------------------------
# inputs and outputs


def test_float32_input_warns_and_fails(lib):
    gc, _, _ = checks(lib)
    x = lib.tensor([0.5, 1.5, 3.0], requires_grad=True)
    with pytest.warns(UserWarning) as record:
        result = gc(lambda x: x * x, (x,), raise_exception=False)
    assert [str(w.message) for w in record] == [
        "Input #0 requires gradient and is not a double precision floating point or "
        "complex. This check will likely fail if all the inputs are not of double "
        "precision floating point or complex. "
    ]
    # eps = 1e-6 is far below what float32 finite differences can resolve
    assert result is False


def test_float64_inputs_do_not_warn(lib):
    gc, _, _ = checks(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gc(lambda x: x * x, (f64(lib, [1.0, 2.0]),))


def test_no_input_requires_grad(lib):
    gc, _, _ = checks(lib)
    with pytest.raises(ValueError, match="^gradcheck expects at least one input tensor to "
                       "require gradient, but none of them have requires_grad=True.$"):
        gc(lambda x: x * 2, (f64(lib, [1.0], requires_grad=False),))


def test_expanded_input_is_refused(lib):
    gc, _, _ = checks(lib)
    x = f64(lib, [1.0], requires_grad=False).expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="^The 0th input has a dimension with stride 0"):
        gc(lambda x: x * 2, (x,))


def test_single_tensor_and_list_inputs(lib):
    gc, _, _ = checks(lib)
    x = f64(lib, [1.0, 2.0])
    assert gc(lambda x: x.exp(), x) is True
    assert gc(lambda x, y: x * y, [x, f64(lib, [3.0, 4.0])]) is True


def test_non_tensor_and_constant_arguments(lib):
    gc, _, _ = checks(lib)
    x = f64(lib, [1.0, 2.0])
    c = f64(lib, [3.0, 4.0], requires_grad=False)
    assert gc(lambda x, k, c: x * k + c, (x, 2.5, c)) is True


def test_non_differentiable_outputs_are_skipped(lib):
    gc, _, _ = checks(lib)
    x = f64(lib, [1.0, 2.0])
    assert gc(lambda x: (x * 2, x.detach() + 1), (x,)) is True


def test_no_differentiable_output(lib):
    gc, _, error = checks(lib)
    x = f64(lib, [1.0, 2.0])
    # locally constant: fine
    assert gc(lambda x: x.detach() * 0 + 1, (x,)) is True
    # depends on x, but no gradient can flow: the numerical gradient is not zero
    with pytest.raises(error, match="^Numerical gradient for function expected to be zero$"):
        gc(lambda x: x.detach() * 2, (x,))
    assert gc(lambda x: x.detach() * 2, (x,), raise_exception=False) is False


def test_inputs_are_left_untouched(lib):
    gc, ggc, _ = checks(lib)
    x = f64(lib, A)
    before = x.detach().numpy().copy()
    version = x._version
    assert gc(lambda x: (x * x).sin(), (x,))
    assert ggc(lambda x: (x * x).sin(), (x,))
    assert np.array_equal(x.detach().numpy(), before)  # restored bit for bit
    assert x._version == version
    assert x.grad is None


def test_argument_checks(lib):
    gc, ggc, _ = checks(lib)
    x = f64(lib, [1.0])
    with pytest.raises(AssertionError, match="at least one of check_forward_ad or"):
        gc(lambda x: x, (x,), check_backward_ad=False)
    with pytest.raises(AssertionError, match="check_batched_grad=True requires"):
        gc(lambda x: x, (x,), check_batched_grad=True, check_backward_ad=False,
           check_forward_ad=True)
    with pytest.raises(AssertionError, match="check_batched_forward_grad=True requires"):
        gc(lambda x: x, (x,), check_batched_forward_grad=True)
    with pytest.raises(AssertionError, match="at least one of check_fwd_over_rev or"):
        ggc(lambda x: x, (x,), check_rev_over_rev=False)


def test_gradcheck_error_is_exported_runtime_error():
    assert issubclass(GradcheckError, RuntimeError)
    assert GradcheckError.__name__ == "GradcheckError"


def test_numerical_jacobian_matches_torch_bit_for_bit():
    """The failure message prints torch's numbers: the same central differences."""
    torch = pytest.importorskip("torch")
    from torch.autograd.gradcheck import GradcheckError as TorchError

    messages = []
    for lib, gc, error in ((torchlet, gradcheck, GradcheckError),
                           (torch, torch.autograd.gradcheck, TorchError)):
        x = f64(lib, A[:2, :2])

        def wrong(x, lib=lib):
            return make_wrong_square(lib).apply(x).exp()

        with pytest.raises(error) as info:
            gc(wrong, (x,))
        messages.append(str(info.value))
    assert messages[0] == messages[1]

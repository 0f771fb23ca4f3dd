"""Views and in-place operations as torch: stale views follow their base's new history
(AsStridedBackward0), in-place writes into views of non-contiguous bases, torch's view +
in-place errors, and the scalar / NumPy / .grad conversions of a Tensor.

Each test checks a hand-derived value; where torch is importable it is also run live."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck


def _torch():
    return pytest.importorskip("torch")


def _grads_after(lib, script):
    """Run ``script(lib, x)`` on a float64 leaf x = [1, 2, 3, 4]; return x.grad."""
    x = lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
    script(lib, x).sum().backward()
    return x.grad.tolist()


def _base_mul_(lib, x):
    y = x * 1
    v = y[1:]
    y.mul_(10)
    return v


def _sibling_write(lib, x):
    y = (x * 1).view(2, 2)
    y.t()[0, 1] = 100
    return y


def _base_exp_(lib, x):
    y = x * 1
    v = y.view(2, 2)
    y.exp_()
    return v


def _sibling_view_mul_(lib, x):
    y = x * 1
    a, b = y[:3], y[1:]
    a.mul_(3)
    return b


def _view_of_view(lib, x):
    y = x * 1
    w = y[1:][:2]
    y.mul_(2)
    return w


def _expanded_view(lib, x):
    y = x * 1
    e = y.expand(2, 4)
    y.mul_(2)
    return e


STALE_VIEWS = [
    (_base_mul_, [0.0, 10.0, 10.0, 10.0]),
    (_sibling_write, [1.0, 1.0, 0.0, 1.0]),
    (_base_exp_, list(np.exp([1.0, 2.0, 3.0, 4.0]))),
    (_sibling_view_mul_, [0.0, 3.0, 3.0, 1.0]),
    (_view_of_view, [0.0, 2.0, 2.0, 0.0]),
    (_expanded_view, [4.0, 4.0, 4.0, 4.0]),
]


@pytest.mark.parametrize(("script", "expected"), STALE_VIEWS)
def test_view_follows_in_place_change_of_its_base(script, expected):
    np.testing.assert_allclose(_grads_after(torchlet, script), expected)


@pytest.mark.parametrize(("script", "expected"), STALE_VIEWS)
def test_view_follows_in_place_change_of_its_base_as_torch(script, expected):
    torch = _torch()
    np.testing.assert_allclose(_grads_after(torchlet, script), _grads_after(torch, script))


def test_stale_view_grad_fn_is_as_strided_over_the_new_history():
    x = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    assert v.grad_fn.name() == "SliceBackward0"
    y.mul_(10)
    assert v.grad_fn.name() == "AsStridedBackward0"
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    assert "AsStridedBackward0" in repr(v)


def test_stale_view_keeps_retain_grad_but_not_hooks():
    """torch moves retain_grad() to the new node, not the tensor's other hooks."""
    x = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    v.retain_grad()
    calls = []
    v.register_hook(calls.append)
    y.mul_(2)
    v.sum().backward()
    assert v.grad.tolist() == [1.0, 1.0] and calls == []
    assert x.grad.tolist() == [0.0, 2.0, 2.0]


def test_view_of_base_that_gets_a_history_later():
    x = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torchlet.zeros(3)
    v = y[1:]
    assert not v.requires_grad
    y.add_(x)
    assert v.requires_grad and v.grad_fn.name() == "AsStridedBackward0"
    (v * v).sum().backward()
    assert x.grad.tolist() == [0.0, 4.0, 6.0]


# ---------------------------------------------------------------------------------------
# in-place writes into views of a base that is not C-contiguous


def _transposed_base(lib, m):
    y = m.t() * 2
    y[:, 1] += 5
    return y ** 2


def _row_mul_(lib, m):
    w = m.t() * 1
    w[1].mul_(3)
    return w * w


def _mask_assign(lib, m):
    h = m.t() * 1
    h[h > 2] = 0
    return h * 2


def _fill_(lib, m):
    h = m.t() + 0
    h[0].fill_(1.0)
    return h * m.t()


def _reshaped_view_of_transposed(lib, m):
    """A view that is no strided window of its base's C-order layout."""
    y = m.t() * 1  # 3x2, transposed strides
    flat = y.t().view(6)
    flat[1:4] *= 2
    return y * y


NON_CONTIGUOUS = [
    (_transposed_base, [[0.0, 8.0, 16.0], [44.0, 52.0, 60.0]]),
    (_row_mul_, [[0.0, 18.0, 4.0], [6.0, 72.0, 10.0]]),
    (_mask_assign, [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]),
    (_fill_, [[1.0, 2.0, 4.0], [1.0, 8.0, 10.0]]),
    (_reshaped_view_of_transposed, [[0.0, 8.0, 16.0], [24.0, 8.0, 10.0]]),
]


def _matrix(lib):
    return lib.arange(6.0, dtype=lib.float64).view(2, 3).requires_grad_()


@pytest.mark.parametrize(("script", "expected"), NON_CONTIGUOUS)
def test_in_place_on_view_of_non_contiguous_base(script, expected):
    m = _matrix(torchlet)
    script(torchlet, m).sum().backward()
    np.testing.assert_allclose(m.grad.tolist(), expected)


@pytest.mark.parametrize(("script", "expected"), NON_CONTIGUOUS)
def test_in_place_on_view_of_non_contiguous_base_as_torch(script, expected):
    torch = _torch()
    ours, theirs = _matrix(torchlet), _matrix(torch)
    out, ref = script(torchlet, ours), script(torch, theirs)
    np.testing.assert_allclose(out.tolist(), ref.tolist())
    assert out.grad_fn.name() == ref.grad_fn.name()
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(ours.grad.tolist(), theirs.grad.tolist())


@pytest.mark.parametrize("script", [s for s, _ in NON_CONTIGUOUS if s is not _mask_assign])
def test_in_place_on_view_of_non_contiguous_base_gradcheck(script):
    m = torchlet.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda t: script(torchlet, t), (m,), eps=1e-6, atol=1e-5, rtol=1e-3)


# ---------------------------------------------------------------------------------------
# torch's view + in-place errors


MULTI = (" This view is the output of a function that returns multiple views. Such functions "
         "do not allow the output views to be modified inplace. You should replace the "
         "inplace operation by an out-of-place one.")
NO_GRAD = (" Given that this use case is ambiguous and error-prone, it is forbidden. You can "
           "clarify your code by moving both the view and the inplace either both inside the "
           "no_grad block (if you don't want the inplace to be tracked) or both outside (if "
           "you want the inplace to be tracked).")


def _unbind_mul_(lib, x):
    a, _, _ = (x * 1).unbind()
    a.mul_(2)


def _split_mul_(lib, x):
    a, _ = (x * 1).split(2)
    a.mul_(2)


def _chunk_sibling(lib, x):
    a, b = (x * 1).chunk(2)
    b.detach().mul_(2)
    return a.grad_fn


def _no_grad_view_of_leaf(lib, x):
    with lib.no_grad():
        v = x[:1]
    v.mul_(2)


def _no_grad_view_base_changed(lib, x):
    y = x * 1
    with lib.no_grad():
        v = y[:2]
    y.mul_(2)
    return v.grad_fn


def _custom_function_view(lib, x):
    class ViewFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t.view(-1)

        @staticmethod
        def backward(ctx, g):
            return g

    ViewFn.apply(x * 1).mul_(2)


ERRORS = [
    (_unbind_mul_, "Output 0 of Unbind is a view and is being modified inplace." + MULTI),
    (_split_mul_, "Output 0 of Split is a view and is being modified inplace." + MULTI),
    (_chunk_sibling, "Output 0 of Split is a view and its base or another view of its base "
                     "has been modified inplace." + MULTI),
    (_no_grad_view_of_leaf, "A view was created in no_grad mode and is being modified inplace "
                            "with grad mode enabled." + NO_GRAD),
    (_no_grad_view_base_changed, "A view was created in no_grad mode and its base or another "
                                 "view of its base has been modified inplace with grad mode "
                                 "enabled." + NO_GRAD),
    (_custom_function_view, "Output 0 of ViewFn is a view and is being modified inplace. This "
                            "view was created inside a custom Function (or because an input "
                            "was returned as-is) and the autograd logic to handle view+inplace "
                            "would override the custom backward associated with the custom "
                            "Function, leading to incorrect gradients. This behavior is "
                            "forbidden. You can fix this by cloning the output of the custom "
                            "Function."),
]


def _error_of(lib, script):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        script(lib, x)
    return str(info.value)


@pytest.mark.parametrize(("script", "message"), ERRORS)
def test_view_in_place_errors(script, message):
    assert _error_of(torchlet, script) == message


@pytest.mark.parametrize(("script", "message"), ERRORS)
def test_view_in_place_errors_as_torch(script, message):
    torch = _torch()
    assert _error_of(torchlet, script) == _error_of(torch, script)


def test_view_of_requires_grad_leaf_made_under_no_grad():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    with torchlet.no_grad():
        v = x[:1]
    assert v.requires_grad and v.is_leaf and v.grad_fn is None and v._base is x
    assert repr(v) == "tensor([1.], requires_grad=True)"
    assert not x.detach().requires_grad and not x[1:].detach().requires_grad


def test_is_view():
    x = torchlet.ones(2, 3)
    assert x[0]._is_view() and x.t()._is_view() and x.view(6)[1:]._is_view()
    assert not x._is_view() and not (x + 1)._is_view() and not x[0].detach()._is_view()


# ---------------------------------------------------------------------------------------
# NumPy, scalars and .grad


def test_numpy_conversion_of_tensor_requiring_grad():
    message = ("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
               "instead.")
    x = torchlet.ones(2, requires_grad=True)
    for value in (x, x * 2, x[:1]):
        for convert in (np.array, np.asarray):
            with pytest.raises(RuntimeError) as info:
                convert(value)
            assert str(info.value) == message
    assert np.asarray(x.detach()).tolist() == [1.0, 1.0]
    assert np.asarray(torchlet.ones(2)[1:], dtype=np.int64).tolist() == [1]


@pytest.mark.parametrize("convert", [int, float, complex])
def test_scalar_of_many_elements(convert):
    with pytest.raises(ValueError, match="^only one element tensors can be converted to "
                                         "Python scalars$"):
        convert(torchlet.ones(2))


def test_float_of_tensor_requiring_grad_warns():
    x = torchlet.tensor([1.5], requires_grad=True)
    torchlet.set_warn_always(True)  # torch warns once per process otherwise
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert float(x) == 1.5 and int(x) == 1 and complex(x) == 1.5
            assert float(torchlet.tensor(2.0)) == 2.0
    finally:
        torchlet.set_warn_always(False)
    assert len(caught) == 1 and caught[0].category is UserWarning
    assert str(caught[0].message).startswith(
        "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
        "behavior.\nConsider using tensor.detach() first."
    )
    assert caught[0].filename == __file__


def test_float_warning_as_torch():
    torch = _torch()
    messages = []
    for lib in (torch, torchlet):
        lib.set_warn_always(True)  # (once per process otherwise, in both)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                float(lib.tensor([1.5], requires_grad=True))
        finally:
            lib.set_warn_always(False)
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1]


GRAD_ERRORS = [
    ((3,), "float32", (2,), "float32",
     "attempting to assign a gradient of size '[2]' to a tensor of size '[3]'. Please ensure "
     "that the gradient and the tensor are the same size"),
    ((3,), "float32", (3,), "float64",
     "attempting to assign a gradient with dtype 'double' to a tensor with grad_dtype 'Float'."),
    ((3,), "float64", (2,), "int64",
     "attempting to assign a gradient with dtype 'long int' to a tensor with grad_dtype "
     "'Double'."),
]


def _grad_error(lib, shape, dtype, grad_shape, grad_dtype):
    t = lib.ones(shape, dtype=getattr(lib, dtype))
    with pytest.raises(RuntimeError) as info:
        t.grad = lib.ones(grad_shape, dtype=getattr(lib, grad_dtype))
    return str(info.value)


@pytest.mark.parametrize(("shape", "dtype", "grad_shape", "grad_dtype", "start"), GRAD_ERRORS)
def test_assigning_a_wrong_grad(shape, dtype, grad_shape, grad_dtype, start):
    message = _grad_error(torchlet, shape, dtype, grad_shape, grad_dtype)
    assert message.startswith(start)
    torch = pytest.importorskip("torch")
    assert message == _grad_error(torch, shape, dtype, grad_shape, grad_dtype)

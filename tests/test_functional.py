"""torchlet.autograd.functional against torch.autograd.functional.

Each case runs the same call on both libraries (when torch is installed) and compares
the result's structure (tuple / list nesting, shapes, dtypes, requires_grad) and values.
Independently of torch, every case is also checked against the mathematics: Jacobians
against central differences in float64, Hessians against Jacobians of the gradient, and
closed forms where there is one.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.autograd.functional as F


def functional(lib):
    if lib is torchlet:
        return F
    import torch.autograd.functional

    return torch.autograd.functional


def get_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


RNG = np.random.default_rng(7)
X = RNG.uniform(-1, 1, (2, 3))
Y = RNG.uniform(0.5, 1.5, (3,))
V_OUT = RNG.uniform(-1, 1, (2, 3))
V_X = RNG.uniform(-1, 1, (2, 3))
V_Y = RNG.uniform(-1, 1, (3,))


def t(lib, a, requires_grad=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# functions written once for both libraries
def exp_reducer(x):
    return (x.exp() * 2).sum(1)


def mixer(x, y):
    return (x * y).sin()


def two_outputs(x, y):
    return (x * y).sin(), (x * x).sum()


def scalar_one(x):
    return (x.exp() * x).sum()


def scalar_two(x, y):
    return ((x * y).sin() + y ** 3).sum()


def describe(result):
    """The structure of a result: nesting types, then (shape, dtype, requires_grad)."""
    if isinstance(result, (tuple, list)):
        return type(result).__name__, [describe(r) for r in result]
    return tuple(result.shape), str(result.dtype), result.requires_grad


def values(result):
    if isinstance(result, (tuple, list)):
        return [values(r) for r in result]
    return result.detach().numpy()


def assert_values_close(a, b, rtol=1e-10, atol=1e-12):
    if isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_values_close(x, y, rtol, atol)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def same_as_torch(call):
    """Run ``call(lib)`` on torchlet and, if installed, torch; compare; return torchlet's."""
    mine = call(torchlet)
    torch = get_torch()
    if torch is not None:
        theirs = call(torch)
        assert describe(mine) == describe(theirs)
        assert_values_close(values(mine), values(theirs))
    return mine


def numerical_jacobian(fn, inputs, eps=1e-6):
    """blocks[i][j] = d out_i / d in_j by central differences, shaped out.shape + in.shape."""
    inputs = [np.array(a, dtype=np.float64) for a in inputs]

    def outputs():
        out = fn(*[t(torchlet, a) for a in inputs])
        out = out if isinstance(out, tuple) else (out,)
        return [o.detach().numpy().copy() for o in out]

    base = outputs()
    blocks = [[np.zeros(o.shape + a.shape) for a in inputs] for o in base]
    for j, a in enumerate(inputs):
        for idx in np.ndindex(a.shape):
            orig = a[idx]
            a[idx] = orig + eps
            plus = outputs()
            a[idx] = orig - eps
            minus = outputs()
            a[idx] = orig
            for i in range(len(base)):
                blocks[i][j][(Ellipsis,) + idx] = (plus[i] - minus[i]) / (2 * eps)
    return blocks


# ---------------------------------------------------------------------------------------
# jacobian


def test_jacobian_single_input_single_output():
    jac = same_as_torch(lambda lib: functional(lib).jacobian(exp_reducer, t(lib, X)))
    assert isinstance(jac, torchlet.Tensor)
    assert tuple(jac.shape) == (2, 2, 3)  # out.shape + in.shape
    expected = np.zeros((2, 2, 3))
    for i in range(2):
        expected[i, i] = 2 * np.exp(X[i])  # output i only depends on row i
    np.testing.assert_allclose(jac.numpy(), expected, rtol=1e-12)
    assert not jac.requires_grad


def test_jacobian_tuple_inputs():
    jac = same_as_torch(lambda lib: functional(lib).jacobian(mixer, (t(lib, X), t(lib, Y))))
    assert isinstance(jac, tuple) and len(jac) == 2
    assert [tuple(j.shape) for j in jac] == [(2, 3, 2, 3), (2, 3, 3)]
    numerical = numerical_jacobian(mixer, (X, Y))[0]
    for block, expected in zip(jac, numerical, strict=True):
        np.testing.assert_allclose(block.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_jacobian_tuple_outputs_and_inputs():
    jac = same_as_torch(
        lambda lib: functional(lib).jacobian(two_outputs, (t(lib, X), t(lib, Y)))
    )
    assert isinstance(jac, tuple) and all(isinstance(row, tuple) for row in jac)
    assert [[tuple(b.shape) for b in row] for row in jac] == [
        [(2, 3, 2, 3), (2, 3, 3)], [(2, 3), (3,)]
    ]
    numerical = numerical_jacobian(two_outputs, (X, Y))
    for row, expected_row in zip(jac, numerical, strict=True):
        for block, expected in zip(row, expected_row, strict=True):
            np.testing.assert_allclose(block.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_jacobian_tuple_outputs_single_input():
    jac = same_as_torch(
        lambda lib: functional(lib).jacobian(lambda x: (x.sin(), x.sum()), t(lib, X))
    )
    assert isinstance(jac, tuple) and len(jac) == 2
    np.testing.assert_allclose(jac[1].numpy(), np.ones((2, 3)))
    np.testing.assert_allclose(
        jac[0].numpy(), np.diag(np.cos(X).ravel()).reshape(2, 3, 2, 3), rtol=1e-12
    )


def test_jacobian_of_unused_input_is_zero():
    jac = same_as_torch(
        lambda lib: functional(lib).jacobian(lambda x, y: x * 2, (t(lib, X), t(lib, Y)))
    )
    np.testing.assert_array_equal(jac[1].numpy(), np.zeros((2, 3, 3)))
    np.testing.assert_allclose(jac[0].numpy(), 2 * np.eye(6).reshape(2, 3, 2, 3))


def test_jacobian_scalar_input_and_output():
    jac = same_as_torch(lambda lib: functional(lib).jacobian(lambda x: x ** 3, t(lib, 2.0)))
    assert tuple(jac.shape) == ()
    assert jac.item() == pytest.approx(12.0)


def test_jacobian_create_graph_is_differentiable():
    def call(lib):
        x = t(lib, X, requires_grad=True)
        jac = functional(lib).jacobian(lambda x: x.sin() * x, x, create_graph=True)
        assert jac.requires_grad
        # the diagonal of the Jacobian is cos(x) x + sin(x); its sum's gradient:
        (grad,) = lib.autograd.grad(jac.sum(), x)
        return grad

    grad = same_as_torch(call)
    expected = -np.sin(X) * X + 2 * np.cos(X)
    np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-12)


def test_jacobian_vectorize_gives_the_same_values():
    jac = same_as_torch(lambda lib: functional(lib).jacobian(
        two_outputs, (t(lib, X), t(lib, Y)), vectorize=True))
    plain = F.jacobian(two_outputs, (t(torchlet, X), t(torchlet, Y)))
    assert_values_close(values(jac), values(plain), rtol=0, atol=0)


def test_jacobian_forward_mode():
    jac = same_as_torch(lambda lib: functional(lib).jacobian(
        two_outputs, (t(lib, X), t(lib, Y)), vectorize=True, strategy="forward-mode"))
    assert isinstance(jac, list) and all(isinstance(row, list) for row in jac)  # as torch
    plain = F.jacobian(two_outputs, (t(torchlet, X), t(torchlet, Y)))
    assert_values_close(values(jac), values(plain))


def test_jacobian_strict_and_argument_errors():
    x, y = t(torchlet, X), t(torchlet, Y)
    with pytest.raises(RuntimeError, match="^Output 0 of the user-provided function is "
                       "independent of input 1. This is not allowed in strict mode.$"):
        F.jacobian(lambda x, y: x * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="`strict=True` and `vectorized=True` are not"):
        F.jacobian(exp_reducer, x, strict=True, vectorize=True)
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors but "
                       "the given inputs has type <class 'list'>"):
        F.jacobian(exp_reducer, [x])
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode"'):
        F.jacobian(exp_reducer, x, strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.jacobian(exp_reducer, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="`create_graph=True` and `strategy="):
        F.jacobian(exp_reducer, x, strategy="forward-mode", create_graph=True, vectorize=True)


def test_errors_match_torch():
    torch = get_torch()
    if torch is None:
        pytest.skip("torch not installed")
    cases = [
        lambda lib: functional(lib).jacobian(lambda x, y: x * 2, (t(lib, X), t(lib, Y)),
                                             strict=True),
        lambda lib: functional(lib).vjp(exp_reducer, t(lib, X)),
        lambda lib: functional(lib).vjp(exp_reducer, t(lib, X), t(lib, Y)),
        lambda lib: functional(lib).vjp(two_outputs, (t(lib, X), t(lib, Y)), (t(lib, Y),)),
        lambda lib: functional(lib).jvp(exp_reducer, t(lib, X)),
        lambda lib: functional(lib).jvp(mixer, (t(lib, X), t(lib, Y)), (t(lib, X), t(lib, X))),
        lambda lib: functional(lib).hessian(exp_reducer, t(lib, X)),
        lambda lib: functional(lib).hessian(two_outputs, (t(lib, X), t(lib, Y))),
        lambda lib: functional(lib).hessian(lambda x: (x * 2).sum(), t(lib, X), strict=True),
        lambda lib: functional(lib).vhp(lambda x: (x * 2).sum(), t(lib, X), t(lib, X),
                                        strict=True),
        lambda lib: functional(lib).hvp(scalar_one, t(lib, X)),
        lambda lib: functional(lib).hvp(exp_reducer, t(lib, X), t(lib, X)),
        lambda lib: functional(lib).jvp(lambda x, y: x * 2, (t(lib, X), t(lib, Y)),
                                        (t(lib, X), t(lib, Y)), strict=True),
        lambda lib: functional(lib).vjp(lambda x: x.detach() * 2, t(lib, X), t(lib, X),
                                        strict=True),
        lambda lib: functional(lib).jacobian(exp_reducer, (t(lib, X), 3.0)),
    ]
    for case in cases:
        errors = []
        for lib in (torchlet, torch):
            with pytest.raises(Exception) as info:  # noqa: B017 - compared just below
                case(lib)
            errors.append((type(info.value).__name__, str(info.value)))
        assert errors[0] == errors[1]


# ---------------------------------------------------------------------------------------
# hessian


def test_hessian_single_input():
    hess = same_as_torch(lambda lib: functional(lib).hessian(scalar_one, t(lib, X)))
    assert tuple(hess.shape) == (2, 3, 2, 3)
    # f = sum(x e^x): d2f/dx2 = (x + 2) e^x on the diagonal, 0 elsewhere
    expected = np.diag(((X + 2) * np.exp(X)).ravel()).reshape(2, 3, 2, 3)
    np.testing.assert_allclose(hess.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_hessian_tuple_inputs():
    hess = same_as_torch(lambda lib: functional(lib).hessian(scalar_two, (t(lib, X), t(lib, Y))))
    assert isinstance(hess, tuple) and all(isinstance(row, tuple) for row in hess)
    assert [[tuple(b.shape) for b in row] for row in hess] == [
        [(2, 3, 2, 3), (2, 3, 3)], [(3, 2, 3), (3, 3)]
    ]
    # the Hessian is the Jacobian of the gradient; symmetric: H[0][1] = H[1][0]^T
    np.testing.assert_allclose(hess[0][1].numpy(), np.moveaxis(hess[1][0].numpy(), 0, -1))

    def gradient(x, y):
        return torchlet.autograd.grad(scalar_two(x, y), (x, y), create_graph=True)

    def grad_fn(x, y):
        return gradient(x.requires_grad_(), y.requires_grad_())

    numerical = numerical_jacobian(grad_fn, (X, Y))
    for row, expected_row in zip(hess, numerical, strict=True):
        for block, expected in zip(row, expected_row, strict=True):
            np.testing.assert_allclose(block.numpy(), expected, rtol=1e-6, atol=1e-7)


def test_hessian_create_graph_and_forward_mode():
    hess = same_as_torch(lambda lib: functional(lib).hessian(
        scalar_two, (t(lib, X), t(lib, Y)), create_graph=True))
    assert all(b.requires_grad for row in hess for b in row)
    forward = F.hessian(scalar_two, (t(torchlet, X), t(torchlet, Y)), vectorize=True,
                        outer_jacobian_strategy="forward-mode")
    # (torch's forward-mode Hessian also carries a graph; only the values are compared)
    assert_values_close(values(forward), values(hess))
    torch = get_torch()
    if torch is not None:
        theirs = torch.autograd.functional.hessian(
            scalar_two, (t(torch, X), t(torch, Y)), vectorize=True,
            outer_jacobian_strategy="forward-mode")
        assert_values_close(values(forward), values(theirs))


def test_hessian_of_scalar_input():
    hess = same_as_torch(lambda lib: functional(lib).hessian(lambda x: x ** 4, t(lib, 1.5)))
    assert hess.item() == pytest.approx(12 * 1.5 ** 2)


# ---------------------------------------------------------------------------------------
# vjp, jvp, vhp, hvp


def test_vjp():
    out, vjp = same_as_torch(
        lambda lib: functional(lib).vjp(mixer, (t(lib, X), t(lib, Y)), t(lib, V_OUT))
    )
    jac = F.jacobian(mixer, (t(torchlet, X), t(torchlet, Y)))
    # v^T J: contract v with the output axes of each Jacobian block
    for block, result in zip(jac, vjp, strict=True):
        expected = np.tensordot(V_OUT, block.numpy(), axes=2)
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(out.numpy(), np.sin(X * Y))
    assert not out.requires_grad and not vjp[0].requires_grad


def test_vjp_without_v_for_scalar_output_is_the_gradient():
    out, vjp = same_as_torch(lambda lib: functional(lib).vjp(scalar_one, t(lib, X)))
    np.testing.assert_allclose(vjp.numpy(), (X + 1) * np.exp(X), rtol=1e-12)
    assert out.item() == pytest.approx(float((X * np.exp(X)).sum()))


def test_vjp_create_graph():
    def call(lib):
        x = t(lib, X, requires_grad=True)
        out, vjp = functional(lib).vjp(exp_reducer, x, t(lib, [1.0, -2.0]), create_graph=True)
        assert out.requires_grad and vjp.requires_grad
        (grad,) = lib.autograd.grad((vjp * vjp).sum(), x)
        return grad

    grad = same_as_torch(call)
    v = np.array([[1.0], [-2.0]])
    vjp = 2 * np.exp(X) * v
    np.testing.assert_allclose(grad.numpy(), 2 * vjp * vjp, rtol=1e-12)


def test_jvp():
    out, jvp = same_as_torch(lambda lib: functional(lib).jvp(
        two_outputs, (t(lib, X), t(lib, Y)), (t(lib, V_X), t(lib, V_Y))))
    jac = F.jacobian(two_outputs, (t(torchlet, X), t(torchlet, Y)))
    # J v: contract each block with v on the input axes, sum over inputs
    for row, result in zip(jac, jvp, strict=True):
        expected = (np.tensordot(row[0].numpy(), V_X, axes=2)
                    + np.tensordot(row[1].numpy(), V_Y, axes=1))
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12, atol=1e-14)
    assert isinstance(out, tuple) and isinstance(jvp, tuple)


def test_jvp_single_and_create_graph():
    out, jvp = same_as_torch(lambda lib: functional(lib).jvp(
        exp_reducer, t(lib, X), t(lib, V_X), create_graph=True))
    np.testing.assert_allclose(jvp.detach().numpy(), (2 * np.exp(X) * V_X).sum(1),
                               rtol=1e-12)
    assert jvp.requires_grad
    out, jvp = same_as_torch(lambda lib: functional(lib).jvp(lambda x: x ** 3, t(lib, 2.0)))
    assert jvp.item() == pytest.approx(12.0)


def test_vhp_and_hvp():
    for name in ("vhp", "hvp"):
        out, result = same_as_torch(lambda lib, name=name: getattr(functional(lib), name)(
            scalar_two, (t(lib, X), t(lib, Y)), (t(lib, V_X), t(lib, V_Y))))
        hess = F.hessian(scalar_two, (t(torchlet, X), t(torchlet, Y)))
        # H is symmetric, so v^T H = H v: row i of the result = sum_j H[i][j] v_j
        vs = (V_X, V_Y)
        for i, res in enumerate(result):
            expected = sum(
                np.tensordot(hess[i][j].numpy(), vs[j], axes=vs[j].ndim) for j in range(2)
            )
            np.testing.assert_allclose(res.numpy(), expected, rtol=1e-10, atol=1e-12)
        assert out.item() == pytest.approx(float((np.sin(X * Y) + Y ** 3).sum()))


def test_vhp_hvp_single_input_create_graph():
    for name in ("vhp", "hvp"):
        out, result = same_as_torch(lambda lib, name=name: getattr(functional(lib), name)(
            scalar_one, t(lib, X), t(lib, V_X), create_graph=True))
        assert out.requires_grad and result.requires_grad
        np.testing.assert_allclose(result.detach().numpy(), (X + 2) * np.exp(X) * V_X,
                                   rtol=1e-12)


def test_inputs_are_not_modified():
    x = t(torchlet, X)
    F.jacobian(exp_reducer, x)
    F.hessian(scalar_one, x)
    F.vjp(exp_reducer, x, t(torchlet, [1.0, 1.0]))
    assert not x.requires_grad and x.grad is None
    np.testing.assert_array_equal(x.numpy(), X)


def test_works_inside_no_grad():
    with torchlet.no_grad():
        jac = F.jacobian(exp_reducer, t(torchlet, X))
        out, vjp = F.vjp(scalar_one, t(torchlet, X))
    assert jac.shape == (2, 2, 3) and not jac.requires_grad
    np.testing.assert_allclose(vjp.numpy(), (X + 1) * np.exp(X), rtol=1e-12)

"""autograd graph API: allow_mutation_on_saved_tensors, register_multi_grad_hook(mode="any")
with tensors that need no gradient, and calling a node (``y.grad_fn(grad)``)."""

import numpy as np
import pytest

import torchlet

amos = torchlet.autograd.graph.allow_mutation_on_saved_tensors


def _outcome(lib, fn):
    try:
        return fn(lib)
    except Exception as error:  # noqa: BLE001 - the exception type is the outcome
        return type(error)


def _np(v):
    if isinstance(v, tuple):
        return tuple(_np(x) for x in v)
    if v is None or isinstance(v, (type, np.ndarray)):
        return v
    return v.detach().numpy()


def _assert_same(a, b):
    a, b = _np(a), _np(b)
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif a is None or isinstance(a, type):
        assert a is b or (isinstance(a, type) and a.__name__ == b.__name__), (a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        assert a.dtype == b.dtype and a.shape == b.shape


# -- allow_mutation_on_saved_tensors ---------------------------------------------------


def _mutated_pow(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a.clone()
        out = (b**2).sum()
        b.sin_()
        out.backward()
        return a.grad


def _mutated_output(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a.clone()
        y = b.exp()  # saves its output
        y.mul_(2)
        b[0] = 7.0
        y.sum().backward()
        return a.grad


def _mutated_leaf_and_constant(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        x = lib.tensor([4.0, 5.0, 6.0])
        out = (w * x).sum()
        with lib.no_grad():
            w.add_(1)
            x.mul_(0)
        out.backward()
        return w.grad


def _mutated_view_double_backward(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x.clone()
        out = a.sin().sum()
        a.view(3).mul_(3)  # an alias of the saved tensor
        gx, = lib.autograd.grad(out, x, create_graph=True)
        return gx, lib.autograd.grad(gx.sum(), x)[0]


def _backward_outside(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        out = (a.clone() ** 2).sum()
    out.backward()


def _nested(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        with lib.autograd.graph.allow_mutation_on_saved_tensors():
            pass


def _after_refused_nesting(lib):
    # torch's quirk: the refused inner context also ends the outer one
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        with pytest.raises(RuntimeError):
            _nested_inner(lib)
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        (a.clone() ** 2).sum().backward()


def _nested_inner(lib):
    with lib.autograd.graph.allow_mutation_on_saved_tensors():
        pass


def test_allow_mutation_values():
    s = np.sin
    _assert_same(_mutated_pow(torchlet), torchlet.tensor([2.0, 4.0, 6.0]))
    e = np.exp(np.array([1.0, 2.0, 3.0], np.float32)) * 2
    np.testing.assert_allclose(_mutated_output(torchlet).detach().numpy(), e, rtol=1e-6)
    _assert_same(_mutated_leaf_and_constant(torchlet), torchlet.tensor([4.0, 5.0, 6.0]))
    gx, ggx = _mutated_view_double_backward(torchlet)
    x = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(gx.detach().numpy(), np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(ggx.detach().numpy(), -s(x), rtol=1e-6)


def test_allow_mutation_errors():
    with pytest.raises(AssertionError, match="outside of the 'allow_mutation_on_saved"):
        _backward_outside(torchlet)
    with pytest.raises(RuntimeError, match="cannot be nested"):
        _nested(torchlet)
    with pytest.raises(AssertionError):
        _after_refused_nesting(torchlet)
    # without the context the change is still an error
    a = torchlet.tensor([1.0, 2.0], requires_grad=True)
    b = a.clone()
    out = (b**2).sum()
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


def test_allow_mutation_unmodified_is_the_tensor_and_state_cleared():
    with amos() as ctx:
        a = torchlet.tensor([1.0, 2.0], requires_grad=True)
        b = a.clone()
        y = b * b
        assert y.grad_fn._saved_self._data is b._data  # unchanged: the tensor itself
        b.add_(1)
        np.testing.assert_array_equal(y.grad_fn._saved_self.detach().numpy(), [1.0, 2.0])
        assert len(ctx.original) == 1  # b saved twice at one version: one entry
    assert len(ctx.original) == 0


@pytest.mark.parametrize("case", [_mutated_pow, _mutated_output, _mutated_leaf_and_constant,
                                  _mutated_view_double_backward, _backward_outside, _nested,
                                  _after_refused_nesting])
def test_allow_mutation_like_torch(case):
    torch = pytest.importorskip("torch")
    _assert_same(_outcome(torchlet, case), _outcome(torch, case))


# -- register_multi_grad_hook ----------------------------------------------------------


def _any_skips_constant(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    y = x * 2
    calls = []
    lib.autograd.graph.register_multi_grad_hook((c, y), calls.append, mode="any")
    y.sum().backward()
    return tuple(calls)


def test_multi_grad_hook_any_skips_tensor_without_grad():
    _assert_same(_any_skips_constant(torchlet), (torchlet.ones(2),))
    torch = pytest.importorskip("torch")
    _assert_same(_any_skips_constant(torchlet), _any_skips_constant(torch))


# -- calling a node --------------------------------------------------------------------


def test_node_call_basics():
    x = torchlet.tensor([0.5, 1.0, 2.0], requires_grad=True)
    r = x.sin().grad_fn(torchlet.ones(3))
    assert isinstance(r, torchlet.Tensor) and r.grad_fn.name() == "MulBackward0"
    np.testing.assert_allclose(r.detach().numpy(), np.cos(x.detach().numpy()), rtol=1e-6)
    with torchlet.no_grad():
        assert x.sin().grad_fn is None
        assert x.exp().grad_fn is None
    y = x.sin()
    with torchlet.no_grad():
        assert y.grad_fn(torchlet.ones(3)).grad_fn is None
    assert y.grad_fn(None) is None
    c = torchlet.tensor([3.0, 4.0, 5.0])
    r = (x * c).grad_fn(torchlet.ones(3))
    assert type(r) is tuple and r[1] is None
    np.testing.assert_array_equal(r[0].detach().numpy(), c.numpy())
    with pytest.raises(TypeError, match="expected 1 arguments, got 2 instead"):
        y.grad_fn(torchlet.ones(3), torchlet.ones(3))
    with pytest.raises(TypeError, match="expected 1 arguments, got 0 instead"):
        y.grad_fn()
    with pytest.raises(TypeError, match="argument 0 is not a Variable"):
        y.grad_fn(1.0)
    with pytest.raises(TypeError, match="keyword arguments are not supported"):
        y.grad_fn(grad=torchlet.ones(3))
    parts = torchlet.ones(3, 4, requires_grad=True).split(2, 1)
    with pytest.raises(TypeError, match="expected 2 arguments, got 1 instead"):
        parts[0].grad_fn(torchlet.ones(3, 2))
    assert parts[0].grad_fn(torchlet.ones(3, 2), None).shape == (3, 4)
    values, _ = torchlet.tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True).max(1)
    grads = values.grad_fn(torchlet.ones(2))  # torch counts only the differentiable output
    np.testing.assert_array_equal(grads.detach().numpy(), [[0, 1], [1, 0]])
    hooks = []
    y.grad_fn.register_hook(lambda gi, go: hooks.append(1))
    y.grad_fn.register_prehook(lambda go: hooks.append(2))
    y.grad_fn(torchlet.ones(3))
    assert hooks == []  # as torch: calling a node runs no hook


def test_node_call_accumulate_custom_and_freed():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert acc(torchlet.ones(2)) == ()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])

    class F(torchlet.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    with pytest.raises(TypeError, match="'FBackward' object is not callable"):
        F.apply(x).grad_fn(torchlet.ones(2))
    q = x.exp().sum()
    node = q.grad_fn.next_functions[0][0]
    q.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        node(torchlet.ones(2))
    b = x.clone()
    p = b.pow(2)
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        p.grad_fn(torchlet.ones(2))


_OPS = [
    ("sin", lambda t, a, b: a.sin()),
    ("mul", lambda t, a, b: a * b),
    ("mul_const", lambda t, a, b: a * b.detach()),
    ("div", lambda t, a, b: a / (b.abs() + 1)),
    ("sum", lambda t, a, b: a.sum()),
    ("mean_dim", lambda t, a, b: a.mean(1)),
    ("view", lambda t, a, b: a.view(-1)),
    ("t", lambda t, a, b: a.t()),
    ("exp", lambda t, a, b: a.exp()),
    ("tanh", lambda t, a, b: a.tanh()),
    ("matmul", lambda t, a, b: a @ b.t()),
    ("cat", lambda t, a, b: t.cat([a, b])),
    ("where", lambda t, a, b: t.where(a > 0, a, b)),
    ("relu", lambda t, a, b: t.relu(a)),
    ("sort", lambda t, a, b: a.sort(1)[0]),
    ("pow", lambda t, a, b: a.pow(2)),
]


def _node_call(lib, name, a, b, g_seed):
    a = lib.tensor(a, requires_grad=True)
    b = lib.tensor(b, requires_grad=True)
    out = dict(_OPS)[name](lib, a, b)
    g = lib.tensor(np.random.default_rng(g_seed).standard_normal(tuple(out.shape))
                   .astype(np.float32))
    r = out.grad_fn(g)
    names = tuple(None if v is None or v.grad_fn is None else v.grad_fn.name() for v in
                  (r if isinstance(r, tuple) else (r,)))
    return r, names


def test_node_call_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    for i in range(40):
        name = _OPS[int(rng.integers(len(_OPS)))][0]
        a = rng.standard_normal((3, 4)).astype(np.float32)
        b = rng.standard_normal((3, 4)).astype(np.float32)
        mine, mine_names = _node_call(torchlet, name, a, b, i)
        theirs, their_names = _node_call(torch, name, a, b, i)
        _assert_same(mine, theirs)
        assert mine_names == their_names, (name, mine_names, their_names)

"""torch.func (grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, vmap,
functional_call) and nn.utils.stateless.functional_call, run on torch and on torchlet by
the same code (``fn(lib)``).

The transforms are computed by ordinary reverse-mode autograd in torchlet (torch uses
functorch's levels and forward mode), so values agree within float64 rounding (atol 1e-10),
not bit for bit. vmap is a loop over the batch: each sample is computed as the unbatched
call would be, so values agree within float rounding too; structure (pytrees, shapes,
dtypes, requires_grad) is compared exactly. ``vmap(randomness="same"/"different")`` of
``rand`` is compared with torch's values (the same MT19937 stream).
"""

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

F64 = "float64"


def _to_numpy_tree(x):
    if isinstance(x, (tuple, list)):
        return type(x).__name__, [_to_numpy_tree(v) for v in x]
    if isinstance(x, dict):
        return "dict", {k: _to_numpy_tree(v) for k, v in x.items()}
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return x


def compare(a, b, atol=1e-10):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype, (a, b)
        np.testing.assert_allclose(b, a, atol=atol, rtol=1e-7)
    elif isinstance(a, tuple) and len(a) == 2 and a[0] in ("tuple", "list", "dict"):
        assert b[0] == a[0], (a, b)
        if a[0] == "dict":
            assert list(a[1]) == list(b[1])
            for k in a[1]:
                compare(a[1][k], b[1][k], atol)
        else:
            assert len(a[1]) == len(b[1])
            for x, y in zip(a[1], b[1], strict=True):
                compare(x, y, atol)
    else:
        assert a == b, (a, b)


def both(fn, atol=1e-10):
    compare(_to_numpy_tree(fn(torch)), _to_numpy_tree(fn(torchlet)), atol)


def _xy(lib):
    lib.manual_seed(0)
    return lib.randn(3, dtype=lib.float64), lib.randn(3, dtype=lib.float64)


def _f(x, y):
    return (x.sin() * y).sum()


# ---------------------------------------------------------------------------------------
# grad and friends


def test_grad_argnums_and_value():
    def fn(lib):
        x, y = _xy(lib)
        F = lib.func
        return [F.grad(_f)(x, y), F.grad(_f, argnums=1)(x, y), F.grad(_f, argnums=(0, 1))(x, y),
                F.grad(_f, argnums=-1)(x, y), F.grad_and_value(_f)(x, y),
                F.grad(lambda x: (_f(x, y), {"aux": x * 2}), has_aux=True)(x),
                F.grad_and_value(lambda x: (_f(x, y), x.cos()), has_aux=True)(x)]

    both(fn)


def test_grad_of_pytree_argument_and_unused_input():
    def fn(lib):
        x, y = _xy(lib)
        params = {"w": x, "b": [y, y * 2]}
        loss = lambda p: (p["w"] * p["b"][0]).sum() + p["b"][1].pow(2).sum()  # noqa: E731
        return [lib.func.grad(loss)(params),
                lib.func.grad(lambda a, b: a.sum(), argnums=1)(x, y)]

    both(fn)


def test_nested_grad_and_grad_of_tensor_that_requires_grad():
    def fn(lib):
        x, _ = _xy(lib)
        F = lib.func
        third = F.grad(F.grad(F.grad(lambda a: a.sin() * a)))(x[0])
        leaf = x.clone().requires_grad_()
        g = F.grad(lambda a: (a ** 3).sum())(leaf)
        (outer,) = lib.autograd.grad(g.sum(), leaf)
        closure = F.grad(lambda a: F.grad(lambda b: (a * b).sin())(x[1]))(x[0])
        return [third, g.requires_grad, outer, closure,
                F.grad(lambda a: (a ** 2).sum())(x).requires_grad]

    both(fn)


def test_vjp_and_jvp():
    def fn(lib):
        x, y = _xy(lib)
        F = lib.func
        out, vjp_fn = F.vjp(lambda a, b: (a * b, a.sum()), x, y)
        cot = (lib.ones(3, dtype=lib.float64), lib.tensor(2.0, dtype=lib.float64))
        first, again = vjp_fn(cot), vjp_fn(cot)
        out_aux = F.vjp(lambda a: (a.exp(), a.sum()), x, has_aux=True)
        return [out, first, again, out_aux[0], out_aux[1](y), out_aux[2],
                F.jvp(lambda a: a.sin() * 2, (x,), (y,)),
                F.jvp(lambda a, b: {"p": a * b, "q": a.sum()}, (x, y), (y, x)),
                F.jvp(lambda a: (a.exp(), a), (x,), (y,), has_aux=True)]

    both(fn)


def test_jacrev_jacfwd_hessian():
    def fn(lib):
        x, y = _xy(lib)
        F = lib.func
        g = lambda a, b: {"v": a.sin() * b, "s": (a * b).sum()}  # noqa: E731
        m = lib.randn(2, 3, dtype=lib.float64)
        return [F.jacrev(lambda a: a.sin() * y)(x), F.jacrev(g, argnums=(0, 1))(x, y),
                F.jacfwd(g)(x, y), F.jacrev(lambda a: m @ a.exp())(x),
                F.jacrev(lambda a: (a * 2, a.sum()), has_aux=True)(x),
                F.hessian(lambda a: (a.sin() * a).sum())(x),
                F.hessian(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(x, y),
                F.jacrev(F.jacrev(lambda a: a.sin()))(x)]

    both(fn)


def test_transform_errors_match_torch():
    def fn(lib):
        F = lib.func
        x = lib.ones(3)
        messages = []
        for call in (
            lambda: F.grad(lambda a: a * 2)(x),
            lambda: F.grad(lambda a: 3.0)(x),
            lambda: F.grad(lambda a: a.sum(), has_aux=True)(x),
            lambda: F.grad(lambda a: a.sum(), argnums=1)(x),
            lambda: F.grad(lambda a: a.sum(), argnums=1.5)(x),
            lambda: F.grad(lambda a: a.sum())(3.0),
            lambda: F.grad(lambda a: a.sum())(lib.arange(3)),
            lambda: F.vjp(lambda a: 2, x),
            lambda: F.vjp(lambda a: a * 2, x)[1](lib.ones(2)),
            lambda: F.jacrev(lambda a: a, argnums=2)(x),
        ):
            with pytest.raises((RuntimeError, ValueError)) as info:
                call()
            messages.append((info.type.__name__, str(info.value)))
        return messages

    both(fn)


# ---------------------------------------------------------------------------------------
# vmap


def test_vmap_values_and_dims():
    def fn(lib):
        lib.manual_seed(1)
        V = lib.func.vmap
        a, b = lib.randn(4, 3, 2), lib.randn(4, 2, 5)
        c, d = lib.randn(3, 4), lib.randn(3)
        return [V(lambda p, q: p @ q)(a, b),
                V(lambda p, q: p * q, in_dims=(1, None), out_dims=1)(c, d),
                V(lambda p: p.sum(0), in_dims=1)(c), V(lambda p: p.sum())(c),
                V(lambda p: (p, p.sum()), out_dims=(1, 0))(c),
                V(lambda p: p * 2, in_dims=-1)(c),
                V(V(lambda p, q: p * q), in_dims=(0, None))(a, lib.ones(3, 2)),
                V(lambda t: t["x"] + t["y"], in_dims=({"x": 0, "y": 1},))(
                    {"x": lib.ones(2, 3), "y": lib.zeros(3, 2)}),
                V(lambda p, k: p * k, in_dims=(0, None))(c, 3.0),
                V(lambda p: (p, 7), out_dims=(0, None))(c),
                V(lambda p, *, scale: p * scale, chunk_size=2)(c, scale=2.0)]

    both(fn, atol=1e-6)


def test_vmap_of_grad_per_sample_gradients():
    def fn(lib):
        lib.manual_seed(2)
        F = lib.func
        model = lib.nn.Linear(3, 2).double()
        params = {k: v.detach() for k, v in model.named_parameters()}
        xs = lib.randn(5, 3, dtype=lib.float64)

        def loss(p, x):
            return F.functional_call(model, p, (x,)).pow(2).sum()

        return [F.vmap(F.grad(loss), in_dims=(None, 0))(params, xs),
                F.vmap(F.jacrev(lambda a: a.sin()))(xs)]

    both(fn)


@pytest.mark.parametrize("randomness", ["same", "different"])
def test_vmap_randomness(randomness):
    def fn(lib):
        lib.manual_seed(3)
        out = lib.func.vmap(lambda p: p + lib.rand(2), randomness=randomness)(lib.zeros(3, 2))
        return [out, lib.rand(2)]

    both(fn, atol=0)


def test_vmap_errors_match_torch():
    def fn(lib):
        V = lib.func.vmap
        x = lib.ones(3, 2)
        messages = []
        for call in (
            lambda: V(lambda p, q: p + q)(x, lib.ones(4, 2)),
            lambda: V(lambda p: p, in_dims=(None,))(x),
            lambda: V(lambda p: p, in_dims=2)(x),
            lambda: V(lambda p: p)(3.0),
            lambda: V(lambda p: 3.0)(x),
            lambda: V(lambda p: p, randomness="foo")(x),
            lambda: V(lambda p: p + lib.rand(2))(x),
            lambda: V(lambda p: p, out_dims=5)(x),
        ):
            with pytest.raises((RuntimeError, ValueError, IndexError)) as info:
                call()
            messages.append(info.type.__name__)
        return messages

    both(fn)


# ---------------------------------------------------------------------------------------
# functional_call


def test_functional_call_replaces_and_restores():
    def fn(lib):
        lib.manual_seed(4)
        m = lib.nn.Linear(3, 2)
        x = lib.randn(4, 3)
        zeros = {"weight": lib.zeros(2, 3)}
        out = lib.func.functional_call(m, zeros, (x,))
        out2 = lib.func.functional_call(m, (zeros, {"bias": lib.ones(2)}), x)
        bn = lib.nn.BatchNorm1d(3)
        buffers = {"running_mean": lib.ones(3)}
        bn_out = lib.func.functional_call(bn.eval(), buffers, (x,))
        return [out, out2, m(x), type(m.weight).__name__, bn_out, bn.running_mean,
                lib.func.functional_call(m, {}, args=(), kwargs={"input": x})]

    both(fn, atol=1e-6)


def test_functional_call_tied_weights_and_strict():
    def fn(lib):
        lib.manual_seed(5)
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        m[1].weight = m[0].weight
        x = lib.randn(1, 2)
        new_w = {"0.weight": lib.eye(2)}
        tied = lib.func.functional_call(m, new_w, (x,))
        untied = lib.func.functional_call(m, new_w, (x,), tie_weights=False)
        messages = []
        for call in (
            lambda: lib.func.functional_call(
                m, {"0.weight": lib.eye(2), "1.weight": lib.ones(2, 2)}, (x,)),
            lambda: lib.func.functional_call(m, {"0.bias": lib.ones(2), "foo": lib.ones(1)}, (x,),
                                             strict=True),
            lambda: lib.func.functional_call(m, 3, (x,)),
        ):
            with pytest.raises((ValueError, RuntimeError)) as info:
                call()
            messages.append((info.type.__name__, str(info.value)))
        return [tied, untied, messages]

    both(fn, atol=1e-6)


def test_stateless_functional_call_is_deprecated_alias():
    def fn(lib):
        lib.manual_seed(6)
        m = lib.nn.Linear(2, 2)
        x = lib.randn(3, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.nn.utils.stateless.functional_call(m, {"bias": lib.zeros(2)}, (x,))
        return [out, [w.category.__name__ for w in caught]]

    both(fn, atol=1e-6)

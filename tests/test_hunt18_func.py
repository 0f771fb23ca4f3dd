"""torch.func and torch.autograd.functional against torch 2.13: argument and output checks
of the transforms (aux, empty outputs, jvp's primals and tangents, strict), vjp_fn's
create_graph / retain_graph, nested transforms that leave nothing attached, the layout of
vmap's results (out_dims, inputs returned as they are, chunks) and the vectorized or
forward-mode Jacobians of autograd.functional.

Each test checks a hand-derived expectation, and the same outcome on torch when torch is
importable."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _outcome(fn):
    """("ok", result) or (exception type name, message)."""
    try:
        return "ok", fn()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__, str(error)


def _same_error(make, expected_type, expected_message=None):
    """``make(lib)`` raises ``expected_type`` (and message) on torchlet, and so on torch."""
    ours = _outcome(lambda: make(torchlet))
    assert ours[0] == expected_type, ours
    if expected_message is not None:
        assert ours[1] == expected_message
    try:
        import torch
    except ImportError:
        return
    theirs = _outcome(lambda: make(torch))
    assert theirs == ours


LIBS = pytest.mark.parametrize("libname", ["torchlet", "torch"])


def _lib(libname):
    """torchlet, or torch (skipped where torch is not importable)."""
    return torchlet if libname == "torchlet" else _torch()


def _x(lib):
    return lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64)


# ---------------------------------------------------------------------------------------
# aux, outputs, jvp's primals and tangents


AUX_CASES = {
    "grad": lambda L, aux: L.func.grad(lambda x: (x.sum(), aux), has_aux=True)(_x(L)),
    "vjp": lambda L, aux: L.func.vjp(lambda x: (x.exp(), aux), _x(L), has_aux=True),
    "jvp": lambda L, aux: L.func.jvp(lambda x: (x.exp(), aux), (_x(L),), (_x(L),),
                                     has_aux=True),
    "jacrev": lambda L, aux: L.func.jacrev(lambda x: (x.exp(), aux), has_aux=True)(_x(L)),
    "jacfwd": lambda L, aux: L.func.jacfwd(lambda x: (x.exp(), aux), has_aux=True)(_x(L)),
}


@pytest.mark.parametrize("api", sorted(AUX_CASES))
@pytest.mark.parametrize("aux", [1, None, "s", {"k": 2}])
def test_aux_must_hold_tensors(api, aux):
    _same_error(lambda L: AUX_CASES[api](L, aux), "RuntimeError",
                f"Expected tensors, got unsupported type {type(aux if aux != {'k': 2} else 2)}")


def test_aux_of_tensors_in_containers_is_fine():
    grads, aux = torchlet.func.grad(lambda x: ((x * x).sum(), {"a": [x, (x * 2,)]}),
                                    has_aux=True)(_x(torchlet))
    assert grads.tolist() == [1.0, -2.0, 4.0]
    assert aux["a"][1][0].tolist() == [1.0, -2.0, 4.0] and not aux["a"][0].requires_grad


@pytest.mark.parametrize(("api", "make"), [
    ("vjp(f, *primals)", lambda L, f: L.func.vjp(f, _x(L))),
    ("vjp(f, *primals)", lambda L, f: L.func.jacrev(f)(_x(L))),
    ("jvp(f, primals, tangents)", lambda L, f: L.func.jvp(f, (_x(L),), (_x(L),))),
    ("jvp(f, primals, tangents)", lambda L, f: L.func.jacfwd(f)(_x(L))),
])
@pytest.mark.parametrize("output", [None, ()])
def test_empty_outputs(api, make, output):
    shown = "[None]" if output is None else "[]"
    _same_error(lambda L: make(L, lambda x: output), "RuntimeError",
                f"{api}: Expected f to be a function that has non-empty output (got output = "
                f"{shown})")


def test_jacrev_and_jacfwd_report_as_vjp_and_jvp():
    _same_error(lambda L: L.func.jacrev(lambda x: x, has_aux=True)(_x(L)), "RuntimeError",
                "vjp(f, *primals): output of function f should be a tuple: (output, aux) if "
                "has_aux is True")
    _same_error(lambda L: L.func.jacfwd(lambda x: x, has_aux=True)(_x(L)), "RuntimeError",
                "jvp(f, primals, tangents): output of function f should be a tuple: (output, "
                "aux) if has_aux is True")
    _same_error(lambda L: L.func.jacrev(lambda x: (x, 1))(_x(L)), "RuntimeError",
                "vjp(f, *primals): expected f(*primals) to return only tensors, got "
                "unsupported type <class 'int'>")


def test_jacrev_takes_no_keyword_arguments():
    _same_error(lambda L: L.func.jacrev(lambda x, y=None: x * y)(_x(L), y=_x(L)), "TypeError")


@pytest.mark.parametrize(("make", "kind", "message"), [
    (lambda L: L.func.jvp(lambda x: x, (2.0,), (1.0,)), "RuntimeError",
     "jvp(f, primals, tangents): Expected primals to only contain Tensors, got <class "
     "'float'>"),
    (lambda L: L.func.jvp(lambda x: x, (_x(L),), (1.0,)), "RuntimeError",
     "jvp(f, primals, tangents): Expected tangents to only contain Tensors, got <class "
     "'float'>"),
    (lambda L: L.func.jvp(lambda: L.ones(1), (), ()), "RuntimeError",
     "jvp(f, primals, tangents): Expected primals to contain at least one Tensor."),
    (lambda L: L.func.jvp(lambda x: x * 2, (L.tensor([1, 2]),), (L.tensor([1.0, 1.0]),)),
     "ValueError", "Expected primal to be floating point or complex, but got: torch.int64"),
    (lambda L: L.func.jvp(lambda x: x * 2, (_x(L),), (L.tensor([1, 2, 3]),)),
     "ValueError", "Expected tangent to be floating point or complex, but got: torch.int64"),
    (lambda L: L.func.jacfwd(lambda x: x * 1.0)(L.tensor([1, 2])), "ValueError",
     "Expected primal to be floating point or complex, but got: torch.int64"),
    (lambda L: L.func.hessian(lambda x: (x * x).sum())(L.tensor([1, 2])), "ValueError",
     "Expected primal to be floating point or complex, but got: torch.int64"),
    (lambda L: L.func.jvp(lambda x: x, (_x(L),), [_x(L)]), "RuntimeError", None),
])
def test_jvp_checks_primals_and_tangents(make, kind, message):
    _same_error(make, kind, message)


@pytest.mark.parametrize(("func", "independent"), [
    (lambda L, x: L.ones(2), True),
    (lambda L, x: (x * 2, L.ones(2)), True),
    (lambda L, x: (x > 0).long(), True),
    (lambda L, x: x.detach() * 2, True),
    (lambda L, x: x, False),
    (lambda L, x: (x * x).sin(), False),
])
def test_jvp_strict(func, independent):
    def make(L):
        return L.func.jvp(lambda x: func(L, x), (_x(L),), (L.ones(3, dtype=L.float64),),
                          strict=True)

    if independent:
        _same_error(make, "RuntimeError",
                    "jvp(f, primals, tangents, strict=True): The output of f is independent "
                    "of the inputs. This is not allowed with strict=True.")
    else:
        assert make(torchlet)[1] is not None
    # without strict: zeros for the independent outputs
    out = torchlet.func.jvp(lambda x: func(torchlet, x), (_x(torchlet),),
                            (torchlet.ones(3, dtype=torchlet.float64),))
    if independent and not isinstance(out[0], tuple):
        assert not out[1].any()


# ---------------------------------------------------------------------------------------
# vjp_fn


@LIBS
def test_vjp_without_primals(libname):
    lib = _lib(libname)
    out, vjp_fn = lib.func.vjp(lambda: lib.ones(2) * 2)
    assert out.tolist() == [2.0, 2.0] and vjp_fn(lib.ones(2)) == ()


@LIBS
def test_vjp_fn_create_graph_and_retain_graph(libname):
    lib = _lib(libname)
    x = lib.tensor([1.0, 2.0, 3.0])
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    _, vjp_fn = lib.func.vjp(lambda x: x.sin() * w, x)
    assert vjp_fn(lib.ones(3))[0].requires_grad  # default: create_graph = grad mode
    assert not vjp_fn(lib.ones(3), create_graph=False)[0].requires_grad
    with lib.no_grad():
        assert not vjp_fn(lib.ones(3))[0].requires_grad
    cot = lib.ones(3, requires_grad=True)
    assert vjp_fn(cot)[0].requires_grad
    with lib.no_grad():
        assert not vjp_fn(cot)[0].requires_grad
    # retain_graph=False frees the graph: a second call is refused
    (g,) = vjp_fn(lib.ones(3), retain_graph=False, create_graph=False)
    assert np.allclose(g.numpy(), np.cos([1.0, 2.0, 3.0]) * [1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        vjp_fn(lib.ones(3))


@LIBS
def test_results_of_nested_transforms_do_not_require_grad(libname):
    # the inner transforms' own inputs are gone once they return: nothing outside requires
    # grad, so the outer results are plain tensors (they once required grad here)
    a = [0.5, -1.0, 2.0]
    b = [1.0, 0.5, -0.25]
    lib = _lib(libname)
    x, t = lib.tensor(a, dtype=lib.float64), lib.tensor(b, dtype=lib.float64)
    g = lib.func.grad(lambda w: lib.func.jvp(lambda y: (w * y).sin(), (x,), (t,))[1].sum())(
        t)
    # the jvp is cos(w x) w t; d/dw of its sum = -sin(w x) x w t + cos(w x) t
    w, xs, ts = np.array(b), np.array(a), np.array(b)
    expected = -np.sin(w * xs) * xs * w * ts + np.cos(w * xs) * ts
    assert not g.requires_grad and np.allclose(g.numpy(), expected, rtol=1e-12)
    h = lib.func.grad(lambda w: lib.func.vjp(lambda y: (w * y).sin(), x)[1](t)[0].sum())(t)
    assert not h.requires_grad
    k = lib.func.grad(lambda w: lib.func.jacrev(lambda y: (w * y).sin())(x).sum())(t)
    assert not k.requires_grad


def test_outside_leaf_still_counts():
    w = torchlet.tensor([1.0, 2.0], requires_grad=True)
    g = torchlet.func.grad(lambda x: torchlet.func.jvp(lambda y: y * w, (x,), (x,))[1].sum())(
        torchlet.tensor([3.0, 4.0]))
    assert g.requires_grad  # d/dx sum(x * w) = w: tied to the user's leaf w
    assert g.tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------------------
# vmap's results


@LIBS
def test_out_dims_result_is_a_moved_view(libname):
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    lib = _lib(libname)
    out = lib.func.vmap(lambda a: a * 2, out_dims=1)(lib.tensor(x))
    assert out.shape == (4, 3) and out.stride() == (1, 4) and not out.is_contiguous()
    assert np.array_equal(out.numpy(), (x * 2).T)
    assert lib.func.vmap(lambda a: a * 2, out_dims=1, chunk_size=2)(
        lib.tensor(x)).stride() == (3, 1)
    xr = lib.tensor(x, requires_grad=True)
    assert lib.func.vmap(lambda a: a * 2, out_dims=1)(xr).grad_fn.name() == \
        "PermuteBackward0"


@LIBS
def test_input_returned_as_it_is(libname):
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    y = np.arange(4.0, dtype=np.float32)
    lib = _lib(libname)
    xt, yt = lib.tensor(x), lib.tensor(y)
    assert lib.func.vmap(lambda a: a)(xt) is xt
    assert lib.func.vmap(lambda a: (a, a * 1))(xt)[0] is xt
    assert lib.func.vmap(lib.func.vmap(lambda a: a))(xt) is xt
    moved = lib.func.vmap(lambda a: a, in_dims=1)(xt)
    assert moved._base is xt and moved.stride() == (1, 4)
    assert lib.func.vmap(lambda a: a, chunk_size=2)(xt) is not xt
    written = xt.clone()
    assert lib.func.vmap(lambda a: a.mul_(2))(written) is written
    assert np.array_equal(written.numpy(), x * 2)
    # an unmapped argument (or a tensor func names) is expanded along the batch
    out = lib.func.vmap(lambda a, b: b, in_dims=(0, None))(xt, yt)
    assert out.stride() == (0, 1) and out._base is yt
    assert np.array_equal(out.numpy(), np.broadcast_to(y, (3, 4)))
    assert lib.func.vmap(lambda a: yt)(xt).stride() == (0, 1)
    # torch's expand for out_dims=1 aligns the sizes from the right
    with pytest.raises(RuntimeError, match="expanded size"):
        lib.func.vmap(lambda a, b: b, in_dims=(0, None), out_dims=1)(xt, yt)


@LIBS
def test_empty_batch_with_chunk_size(libname):
    lib = _lib(libname)
    with pytest.raises(AssertionError, match="arg_spec must not be None"):
        lib.func.vmap(lambda a: a * 2, chunk_size=2)(lib.ones(0, 3))
    assert lib.func.vmap(lambda a: a * 2)(lib.ones(0, 3)).shape == (0, 3)


def test_sampled_in_dims_out_dims_layouts():
    """A fixed sample of in_dims / out_dims: values as NumPy computes them, and the values
    of torch (its layout too, when the batch comes first in the input)."""
    gen = np.random.default_rng(18)
    torch = None
    try:
        import torch
    except ImportError:
        pass
    for _ in range(40):
        batch = int(gen.integers(1, 4))
        ndim = int(gen.integers(1, 4))
        in_dim = int(gen.integers(-ndim, ndim))
        shape = [2] * ndim
        shape[in_dim] = batch
        x = gen.standard_normal(shape).astype(np.float32)
        out_dim = int(gen.integers(-ndim, ndim))  # outputs have ndim dims with the batch
        moved = np.moveaxis(x, in_dim, 0)
        expected = np.moveaxis(moved * 2 + 1, 0, out_dim)
        ours = torchlet.func.vmap(lambda a: a * 2 + 1, in_dims=in_dim, out_dims=out_dim)(
            torchlet.tensor(x))
        assert np.allclose(ours.numpy(), expected, rtol=1e-6, atol=1e-6)
        total = ours.sum(out_dim if ndim > 1 else 0)
        assert total.shape == tuple(np.delete(expected.shape, out_dim % ndim))
        if torch is not None:
            theirs = torch.func.vmap(lambda a: a * 2 + 1, in_dims=in_dim, out_dims=out_dim)(
                torch.tensor(x))
            if in_dim % ndim == 0:  # (torch's pointwise ops follow a mapped input's layout)
                assert ours.stride() == theirs.stride()
            assert np.array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------------------------
# autograd.functional


@LIBS
def test_vectorized_jacobian_blocks_share_one_tensor_per_input(libname):
    lib = _lib(libname)
    x = _x(lib)
    jac = lib.autograd.functional.jacobian(lambda x: (x.exp(), x.sum()), x,
                                           create_graph=True, vectorize=True)
    assert [block.requires_grad for block in jac] == [True, True]
    assert [block.grad_fn.name() for block in jac] == ["ViewBackward0"] * 2
    assert np.allclose(jac[0].detach().numpy(), np.diag(np.exp([0.5, -1.0, 2.0])))
    assert jac[1].tolist() == [1.0, 1.0, 1.0]
    plain = lib.autograd.functional.jacobian(lambda x: (x.exp(), x.sum()), x,
                                             create_graph=True)
    assert [block.requires_grad for block in plain] == [True, False]


def test_jacobian_of_an_output_without_elements():
    _same_error(lambda L: L.autograd.functional.jacobian(lambda x: x[:0] * 2, _x(L)),
                "RuntimeError", "stack expects a non-empty TensorList")
    _same_error(lambda L: L.autograd.functional.jacobian(lambda x: x[:0] * 2, _x(L),
                                                         vectorize=True),
                "IndexError", "index 0 is out of bounds for dimension 0 with size 0")
    jac = torchlet.autograd.functional.jacobian(lambda x: (x[:0], x.exp()), _x(torchlet),
                                                vectorize=True)
    assert jac[0].shape == (0, 3) and jac[1].shape == (3, 3)


@LIBS
def test_forward_mode_jacobian_of_integer_output(libname):
    lib = _lib(libname)
    jac = lib.autograd.functional.jacobian(
        lambda x: ((x > 0).long(), x * 2), _x(lib), vectorize=True,
        strategy="forward-mode")
    assert jac[0].dtype == lib.int64 and not jac[0].any()
    assert jac[1].tolist() == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]

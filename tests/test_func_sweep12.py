"""Regression tests for the torch.func discrepancies of sweep 12 (group FX1): 0-d Jacobians,
vmap over an empty batch, jvp tangent dtypes, jacfwd built column by column (torch's signs
of zero, its ``randomness``), and torch's error messages for argnums, integer outputs,
vmap's in_dims and pytree specs. Each test checks a hand-derived value and, when torch is
importable, torch itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet
from torchlet.func import grad, hessian, jacfwd, jacrev, jvp, vjp, vmap
from torchlet.func._pytree import tree_flatten


def _torch():
    return pytest.importorskip("torch")


def _error(fn):
    """(exception type name, message) raised by ``fn``."""
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value).__name__, str(info.value)


def _both_errors(make):
    """``make(lib)`` run on torchlet and torch: their (type, message) must agree."""
    torch = _torch()
    assert _error(lambda: make(torchlet)) == _error(lambda: make(torch))


# ---------------------------------------------------------------------------------------
# 1. Jacobians of 0-d inputs and outputs


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobian_of_scalar_to_scalar(transform):
    fn = getattr(torchlet.func, transform)
    x = torchlet.tensor(0.5, dtype=torchlet.float64)
    jac = fn(torchlet.sin)(x)
    assert jac.shape == () and jac.item() == pytest.approx(math.cos(0.5), abs=1e-15)
    torch = _torch()
    expected = getattr(torch.func, transform)(torch.sin)(torch.tensor(0.5, dtype=torch.float64))
    assert jac.item() == expected.item()


def test_vmap_of_jacrev_over_1d_batch_and_scalar_hessian():
    xs = torchlet.tensor([0.5, 1.0])
    derivs = vmap(jacrev(torchlet.sin))(xs)
    assert derivs.shape == (2,)
    np.testing.assert_allclose(derivs.numpy(), np.cos([0.5, 1.0]), rtol=1e-6)
    h = hessian(lambda a: a ** 3)(torchlet.tensor(0.5))
    assert h.shape == () and h.item() == pytest.approx(3.0)  # d2/da2 a^3 = 6a
    torch = _torch()
    assert torch.func.hessian(lambda a: a ** 3)(torch.tensor(0.5)).item() == h.item()


# ---------------------------------------------------------------------------------------
# 2. vmap over a batch of size 0


def test_vmap_over_empty_batch():
    torchlet.manual_seed(0)
    state = torchlet.get_rng_state()
    assert vmap(torchlet.sin)(torchlet.randn(0, 3)).shape == (0, 3)
    assert vmap(torchlet.dot)(torchlet.randn(0, 3), torchlet.randn(0, 3)).shape == (0,)
    assert vmap(torchlet.sin, out_dims=1)(torchlet.randn(0, 3)).shape == (3, 0)
    total, rows = vmap(lambda x: (x.sum(), x.sum(0)))(torchlet.randn(0, 3, 2))
    assert total.shape == (0,) and rows.shape == (0, 2)
    # the probe's random draw is undone: the generator is where three randn(0, ...) left it
    noisy = vmap(lambda x: x + torchlet.randn(3), randomness="different")
    assert noisy(torchlet.zeros(0, 3)).shape == (0, 3)
    assert np.array_equal(state.numpy(), torchlet.get_rng_state().numpy())
    torch = _torch()
    assert tuple(torch.func.vmap(torch.dot)(torch.randn(0, 3), torch.randn(0, 3)).shape) == (0,)


# ---------------------------------------------------------------------------------------
# 3. jvp: the dtype of the output tangent


def test_jvp_tangent_dtype_follows_a_wider_tangent():
    x = torchlet.tensor([0.3, 0.7])
    t = torchlet.tensor([0.1, 0.2], dtype=torchlet.float64)
    out, tangent = jvp(torchlet.sin, (x,), (t,))
    assert out.dtype == torchlet.float32 and tangent.dtype == torchlet.float64
    expected = np.array([0.1, 0.2]) * np.cos(np.float32([0.3, 0.7]))  # t * cos(x)
    np.testing.assert_allclose(tangent.numpy(), expected, rtol=1e-7)
    # a narrower tangent promotes with the output; equal dtypes keep the output's
    assert jvp(torchlet.sin, (x.double(),), (t.float(),))[1].dtype == torchlet.float64
    assert jvp(torchlet.sin, (x,), (t.float(),))[1].dtype == torchlet.float32
    assert jvp(lambda a: a.double(), (x,), (t.float(),))[1].dtype == torchlet.float64
    torch = _torch()
    tt = torch.func.jvp(torch.sin, (torch.tensor([0.3, 0.7]),),
                        (torch.tensor([0.1, 0.2], dtype=torch.float64),))[1]
    assert tt.dtype == torch.float64
    np.testing.assert_allclose(tangent.numpy(), tt.numpy(), rtol=1e-12)


def test_jvp_tangent_of_integer_output_is_integer_zeros():
    _, tangent = jvp(lambda a: a.long(), (torchlet.ones(2),), (torchlet.ones(2),))
    assert tangent.dtype == torchlet.int64 and tangent.tolist() == [0, 0]


def test_jvp_tangent_shape_mismatch_message():
    _both_errors(lambda lib: lib.func.jvp(lib.sin, (lib.ones(3, 2),), (lib.ones(2),)))


# ---------------------------------------------------------------------------------------
# 4. jacfwd column by column: signs of zero and randomness


def test_hessian_zero_signs_follow_rows():
    """H of sum(sin x) is diag(-sin x); forward mode computes column j as e_j * (-sin x),
    so row i's zeros carry the sign of -sin x_i."""
    x = torchlet.tensor([0.5, -1.0, 2.0, -0.3, 4.0], dtype=torchlet.float64)
    h = hessian(lambda a: a.sin().sum())(x).numpy()
    np.testing.assert_allclose(np.diag(h), -np.sin(x.numpy()), rtol=1e-14)
    off_diagonal = ~np.eye(5, dtype=bool)
    assert not h[off_diagonal].any()
    row_sign = np.signbit(-np.sin(x.numpy()))[:, None] * np.ones(5, dtype=bool)
    assert np.array_equal(np.signbit(h)[off_diagonal], row_sign[off_diagonal])
    torch = _torch()
    th = torch.func.hessian(lambda a: a.sin().sum())(torch.from_numpy(x.numpy())).numpy()
    assert np.array_equal(np.signbit(h), np.signbit(th)) and np.array_equal(h, th)


def test_jacfwd_matches_jacrev_and_analytic_values():
    x = torchlet.tensor([0.3, -1.2, 0.7], dtype=torchlet.float64, requires_grad=False)
    y = torchlet.tensor(2.0, dtype=torchlet.float64)

    def f(a, b):
        return a.exp() * b, (a * a).sum()

    jac = jacfwd(f, argnums=(0, 1))(x, y)
    ex = np.exp(x.numpy())
    np.testing.assert_allclose(jac[0][0].numpy(), np.diag(ex * 2.0), rtol=1e-14)
    np.testing.assert_allclose(jac[0][1].numpy(), ex, rtol=1e-14)
    np.testing.assert_allclose(jac[1][0].numpy(), 2 * x.numpy(), rtol=1e-14)
    assert jac[1][1].item() == 0.0 and jac[1][1].shape == ()
    rev = jacrev(f, argnums=(0, 1))(x, y)
    for a, b in zip(tree_flatten(jac)[0], tree_flatten(rev)[0], strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)
    assert torchlet.autograd.gradcheck(lambda a: jacfwd(lambda t: t.sin() * t)(a),
                                       (x.clone().requires_grad_(),))


def test_jacfwd_has_aux_integer_and_empty_inputs():
    jac, aux = jacfwd(lambda a: (a * 3, a.sum()), has_aux=True)(torchlet.ones(2))
    assert jac.tolist() == [[3.0, 0.0], [0.0, 3.0]] and aux.item() == 2.0
    ints = jacfwd(lambda a: a.long())(torchlet.ones(2))
    assert ints.dtype == torchlet.int64 and ints.tolist() == [[0, 0], [0, 0]]
    assert jacfwd(lambda a: torchlet.ones(2))(torchlet.ones(0)).shape == (2, 0)


def test_jacfwd_randomness():
    message = ("vmap: called random operation while in randomness error mode. Please either "
               "use the 'same' or 'different' randomness flags on vmap or perform the "
               "randomness operation out of vmap")
    with pytest.raises(RuntimeError, match="randomness error mode") as info:
        jacfwd(lambda x: x * torchlet.rand(2))(torchlet.ones(2))
    assert str(info.value) == message
    with pytest.raises(RuntimeError, match="randomness error mode"):
        hessian(lambda x: (x ** 2 * torchlet.rand(2)).sum())(torchlet.ones(2))

    torchlet.manual_seed(0)
    draws = torchlet.rand(2, 2)  # what torch's vmap over the 2 basis columns draws
    after = torchlet.rand(1)
    torchlet.manual_seed(0)
    different = jacfwd(lambda x: x * torchlet.rand(2), randomness="different")(torchlet.ones(2))
    assert different.diagonal().tolist() == draws.diagonal().tolist()
    assert torchlet.rand(1).item() == after.item()
    torchlet.manual_seed(0)
    same = jacfwd(lambda x: x * torchlet.rand(2), randomness="same")(torchlet.ones(2))
    assert same.diagonal().tolist() == draws[0].tolist()

    torch = _torch()
    for mode, ours in (("different", different), ("same", same)):
        torch.manual_seed(0)
        theirs = torch.func.jacfwd(lambda x: x * torch.rand(2), randomness=mode)(torch.ones(2))
        assert ours.tolist() == theirs.tolist()


# ---------------------------------------------------------------------------------------
# 5. error messages


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2), (), [0], (0, 1.0), 2])
def test_grad_argnums_errors(argnums):
    _both_errors(lambda lib: lib.func.grad(lambda a, b: a.sum(), argnums=argnums)(
        lib.ones(3), lib.ones(3)))


def test_grad_argnums_unique_message():
    with pytest.raises(RuntimeError, match=r"^argnums elements must be unique, got \(0, 0\)$"):
        grad(lambda a: a.sum(), argnums=(0, 0))(torchlet.ones(3))


@pytest.mark.parametrize("make", [
    lambda lib: lib.func.jacrev(lambda a: a.long())(lib.ones(3)),
    lambda lib: lib.func.jacrev(lambda a: (a, a > 0))(lib.ones(3)),
    lambda lib: lib.func.vjp(lambda a: a.long(), lib.ones(3)),
])
def test_vjp_and_jacrev_refuse_integer_outputs(make):
    with pytest.raises(RuntimeError, match="All outputs of f must be floating-point"):
        make(torchlet)
    _both_errors(make)


@pytest.mark.parametrize("make", [
    lambda lib: lib.func.vmap(lib.sum, in_dims=2)(lib.ones(3)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=0)(lib.ones(3), 3),
    lambda lib: lib.func.vmap(lib.sum, in_dims=0)(lib.tensor(1.0)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=True)(lib.ones(3)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=0.5)(lib.ones(3)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=(0.5,))(lib.ones(3)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=None)(lib.ones(3)),
    lambda lib: lib.func.vmap(lib.sum, in_dims=(0, 0))(lib.ones(3)),
])
def test_vmap_in_dims_messages(make):
    with pytest.raises(ValueError, match=r"^vmap\(sum, in_dims=(?!\.\.\.)"):
        make(torchlet)
    _both_errors(make)


def test_treespec_repr_and_cotangent_pprint():
    x = torchlet.ones(1)
    spec = tree_flatten((x, (x, x), {"a": x, "b": [x, x]}))[1]
    assert repr(spec) == ("TreeSpec(tuple, None, [*,\n"
                          "  TreeSpec(tuple, None, [*,\n"
                          "    *]),\n"
                          "  TreeSpec(dict, ['a', 'b'], [*,\n"
                          "    TreeSpec(list, None, [*,\n"
                          "      *])])])")
    assert repr(tree_flatten([x])[1]) == "TreeSpec(list, None, [*])"
    with pytest.raises(RuntimeError, match=r"cotangents: \(\*,\), primal output: \(\*, \*\)$"):
        vjp(lambda a: (a * 2, a), x)[1]((x,))
    torch = _torch()
    ours = tree_flatten((x, (x, x), {"a": x, "b": [x, x]}))[1]
    t = torch.ones(1)
    theirs = torch.utils._pytree.tree_flatten((t, (t, t), {"a": t, "b": [t, t]}))[1]
    assert repr(ours) == repr(theirs)
    _both_errors(lambda lib: lib.func.vjp(lambda a: (a * 2, {"q": a}), lib.ones(1))[1](
        (lib.ones(1), [lib.ones(1)])))


# ---------------------------------------------------------------------------------------
# 8. torch.utils.benchmark.Timer and Measurement


def _measurement_repr(lib, raw_times, number, **task):
    """The repr of a Measurement built from fixed times, without its first (address) line."""
    from importlib import import_module

    bench = import_module(f"{lib.__name__}.utils.benchmark")
    spec = bench.utils.common.TaskSpec(**{"stmt": "x.sin()", "setup": "pass", **task})
    text = repr(bench.utils.common.Measurement(number, raw_times, spec))
    first, _, rest = text.partition("\n")
    assert first.startswith(f"<{lib.__name__}.utils.benchmark.utils.common.Measurement object")
    return rest


@pytest.mark.parametrize(("raw_times", "number", "task"), [
    ([1.16e-4], 100, {}),
    ([2e-3, 2.1e-3, 1.9e-3, 2.05e-3, 3e-3], 10, {"label": "L", "sub_label": "S",
                                                  "description": "D", "setup": "y = 1"}),
    ([5e-1, 5.2e-1], 1, {"stmt": "a = x.sin()\nb = a + 1", "num_threads": 2}),
    ([4.2e-7, 4.4e-7, 4.1e-7, 4.3e-7], 1000, {}),
])
def test_measurement_repr(raw_times, number, task):
    ours = _measurement_repr(torchlet, raw_times, number, **task)
    if not task and len(raw_times) == 1:
        assert ours == "x.sin()\n  1.16 us\n  1 measurement, 100 runs , 1 thread"
    torch = _torch()
    assert ours == _measurement_repr(torch, raw_times, number, **task)


def test_timer_timeit_and_blocked_autorange():
    from torchlet.utils.benchmark import Timer

    calls = []
    m = Timer(stmt="calls.append(torch.sin(x))", globals={"calls": calls,
                                                          "x": torchlet.ones(2)}).timeit(7)
    # a warm-up of max(7 // 100, 2) runs, then the 7 timed ones; the global dict is copied
    assert len(calls) == 9 and m.number_per_run == 7 and len(m.times) == 1
    assert m.times[0] == m.raw_times[0] / 7 and m.mean == m.median == m.times[0] > 0
    assert m.stmt == "calls.append(torch.sin(x))" and m.num_threads == 1
    auto = Timer("x + 1", setup="x = 3").blocked_autorange(min_run_time=0.01)
    assert auto.number_per_run >= 1 and sum(auto.raw_times) >= 0.01
    with pytest.raises(ValueError, match="Currently only a `str` stmt is supported."):
        Timer(stmt=lambda: None)

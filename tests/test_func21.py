"""Forward-mode Jacobians keep their history (autograd.functional), and torch.func's
jacrev / jacfwd lay their blocks out as torch's vmap'd transforms do."""

import numpy as np
import pytest

import torchlet

F = torchlet.autograd.functional


def _torch():
    return pytest.importorskip("torch")


def _fwd_jac(lib, func, inputs):
    return lib.autograd.functional.jacobian(func, inputs, vectorize=True,
                                            strategy="forward-mode")


def _fwd_hess(lib, func, inputs):
    return lib.autograd.functional.hessian(func, inputs, vectorize=True,
                                           outer_jacobian_strategy="forward-mode")


def _summary(res):
    """(requires_grad, grad_fn name, stride) per Tensor of a nested result."""
    if isinstance(res, (tuple, list)):
        return [_summary(r) for r in res]
    return (res.requires_grad, res.grad_fn.name() if res.grad_fn is not None else None,
            tuple(res.stride()))


def _values(res):
    if isinstance(res, (tuple, list)):
        return [_values(r) for r in res]
    return res.detach().numpy()


# ---------------------------------------------------------------------------------------
# autograd.functional, forward mode


def test_forward_mode_hessian_keeps_the_graph():
    x = torchlet.tensor([1.0, 2.0, 3.0])
    h = _fwd_hess(torchlet, lambda a: a.pow(3).sum(), x)
    # torch's inner Jacobian makes the input require grad: the Hessian keeps history
    assert h.requires_grad and h.grad_fn.name() == "ReshapeAliasBackward0"
    assert h.stride() == (1, 3)  # the batch of tangents (3, 3), its batch axis moved last
    assert h.tolist() == [[6.0, 0.0, 0.0], [0.0, 12.0, 0.0], [0.0, 0.0, 18.0]]
    xr = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    _fwd_hess(torchlet, lambda a: a.pow(3).sum(), xr).sum().backward()
    assert xr.grad.tolist() == [6.0, 6.0, 6.0]  # d/dx sum(diag(6 x))


def test_forward_mode_jacobian_of_an_input_that_requires_grad():
    x = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    j = _fwd_jac(torchlet, lambda a: a.pow(3), x)
    assert _summary(j) == (True, "ReshapeAliasBackward0", (1, 3))
    j.sum().backward()
    assert x.grad.tolist() == [6.0, 12.0, 18.0]  # d/dx sum(diag(3 x^2))
    plain = _fwd_jac(torchlet, lambda a: a.pow(3), x.detach())
    assert _summary(plain) == (False, None, (1, 3))
    with torchlet.no_grad():
        assert not _fwd_jac(torchlet, lambda a: a.pow(3), x).requires_grad
    scalar_out = _fwd_jac(torchlet, lambda a: (a * a).sum(), x)
    assert _summary(scalar_out) == (True, "ViewBackward0", (1,))


def test_forward_mode_blocks_of_one_output_share_history():
    a = torchlet.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = torchlet.tensor([0.5, 4.0, -1.0])
    j = _fwd_jac(torchlet, lambda p, q: (p + q, p * q), (a, b))
    # output 0 is linear (no history); output 1's tangent b*ta + a*tb depends on a
    assert [[blk.requires_grad for blk in row] for row in j] == [[False, False],
                                                                 [True, True]]
    assert j[1][0].tolist() == np.diag(b.tolist()).tolist()
    assert j[1][1].tolist() == np.diag(a.tolist()).tolist()
    w = torchlet.ones(2, 3, requires_grad=True)  # a captured parameter counts too
    captured = _fwd_jac(torchlet, lambda p: w @ p.exp(), b)
    assert _summary(captured) == (True, "ReshapeAliasBackward0", (1, 2))
    captured.sum().backward()
    assert np.allclose(w.grad.numpy(), np.tile(np.exp(b.numpy()), (2, 1)))


def test_forward_mode_outputs_without_tangent_are_expanded_zeros():
    x = torchlet.tensor([1.0, 2.0, 3.0], requires_grad=True)
    const = _fwd_jac(torchlet, lambda a: torchlet.ones(2), x)
    assert _summary(const) == (False, None, (1, 0)) and not const.any()
    idx, val = _fwd_jac(torchlet, lambda a: (a.argmax(), a * a), x)
    assert idx.dtype == torchlet.int64 and idx.stride() == (0,)
    assert val.requires_grad


def test_forward_mode_errors_unchanged():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        F.hessian(lambda a: a.pow(3).sum(), x, create_graph=True,
                  outer_jacobian_strategy="forward-mode", vectorize=True)
    with pytest.raises(RuntimeError, match="strict=True"):
        F.hessian(lambda a: a.pow(3).sum(), x, strict=True,
                  outer_jacobian_strategy="forward-mode", vectorize=True)
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        F.hessian(lambda a: a.pow(3).sum(), x, outer_jacobian_strategy="forward-mode")


def test_forward_mode_matches_torch_live():
    torch = _torch()
    cases = [
        (lambda T: (lambda a: a.pow(3).sum()), "hess", [(3,)], True),
        (lambda T: (lambda a, b: (a.pow(3) * b).sum()), "hess", [(2,), (3, 1)], False),
        (lambda T: (lambda a: a.pow(3)), "jac", [(2, 3)], True),
        (lambda T: (lambda a, b: (a + b, a * b)), "jac", [(3,), (3,)], True),
        (lambda T: (lambda a: a.t() * a.sin().t()), "jac", [(2, 3)], False),
    ]
    rng = np.random.default_rng(21)
    for make, kind, shapes, rg in cases:
        arrays = [rng.standard_normal(s) for s in shapes]
        got = {}
        for lib in (torch, torchlet):
            xs = tuple(lib.tensor(a, requires_grad=rg) for a in arrays)
            xs = xs if len(xs) > 1 else xs[0]
            run = _fwd_hess if kind == "hess" else _fwd_jac
            res = run(lib, make(lib), xs)
            got[lib.__name__] = (_summary(res), _values(res))
        assert got["torchlet"][0] == got["torch"][0]
        for a, b in zip(_flat(got["torchlet"][1]), _flat(got["torch"][1]), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def _flat(nested):
    if isinstance(nested, list):
        return [leaf for item in nested for leaf in _flat(item)]
    return [nested]


# ---------------------------------------------------------------------------------------
# torch.func


def test_jacrev_blocks_per_input_signs_of_zeros_and_history():
    x = torchlet.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = torchlet.tensor([-1.0, 2.0, -0.5])
    jac = torchlet.func.jacrev(lambda p, q: (p * q, q.sum()), argnums=(0, 1))(x, y)
    # d q.sum() / d p: no dependence, but the joint vjp adds 0 * q, so -0.0 where q < 0
    assert np.signbit(jac[1][0].numpy()).tolist() == [True, False, True]
    assert not jac[1][0].any()
    # the blocks of input q (0-cotangent * p and 1 * ones) keep p's history together;
    # those of input p (cotangent * q) have none
    assert [[blk.requires_grad for blk in row] for row in jac] == [[False, True],
                                                                   [False, True]]
    assert jac[0][1].grad_fn.name() == "ViewBackward0"
    assert jac[0][1].tolist() == np.diag(x.tolist()).tolist()


def test_jacfwd_blocks_are_views():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    s = torchlet.tensor(3.0, requires_grad=True)
    jac = torchlet.func.jacfwd(lambda p, q: p.exp() * q, argnums=(0, 1))(x, s)
    assert jac[0].grad_fn.name() == "ViewBackward0"  # torch's unflatten
    assert jac[1].grad_fn.name() == "SqueezeBackward1"  # a 0-d primal: squeeze
    assert np.allclose(jac[1].detach().numpy(), np.exp([1.0, 2.0]))


def test_sampled_func_jacobians_match_torch():
    torch = _torch()
    rng = np.random.default_rng(2113)
    # (jacfwd only where each factor of a product is nonlinear: see _jacfwd's note on
    # torch's forward formulas of mul, which keep history through a linear factor)
    funcs = [
        (lambda T: (lambda p, q: (p * q, q.sum())), ["jacrev"]),
        (lambda T: (lambda p, q: (p.sin() * q.exp()).sum()), ["jacrev", "jacfwd"]),
        (lambda T: (lambda p, q: {"a": p.cos(), "b": (p * q).sum(0)}), ["jacrev"]),
        (lambda T: (lambda p, q: (q.exp().sum(), p.sin() * q.cos())), ["jacrev", "jacfwd"]),
    ]
    for _ in range(16):
        k = int(rng.integers(len(funcs)))
        shape = [(3,), (2, 2), (4,)][int(rng.integers(3))]
        argnums = [0, 1, (0, 1)][int(rng.integers(3))]
        transforms = funcs[k][1]
        transform = transforms[int(rng.integers(len(transforms)))]
        rg = [bool(rng.integers(2)), bool(rng.integers(2))]
        arrays = [rng.standard_normal(shape) for _ in range(2)]
        got = {}
        for lib in (torch, torchlet):
            args = [lib.tensor(a, requires_grad=r) for a, r in zip(arrays, rg)]
            res = getattr(lib.func, transform)(funcs[k][0](lib), argnums=argnums)(*args)
            if isinstance(res, dict):
                res = [res["a"], res["b"]]
            flat = res if isinstance(res, (tuple, list)) else [res]
            flat = [b for r in flat for b in (r if isinstance(r, (tuple, list)) else [r])]
            got[lib.__name__] = ([b.requires_grad for b in flat],
                                 [b.detach().numpy() for b in flat])
        config = (k, shape, argnums, transform, rg)
        assert got["torchlet"][0] == got["torch"][0], config
        for a, b in zip(got["torchlet"][1], got["torch"][1], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=str(config))
            assert (np.signbit(a) == np.signbit(b)).all(), config

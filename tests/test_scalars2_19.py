"""Saved Scalars as given (``grad_fn._saved_alpha``/``_saved_beta``) for baddbmm and addr,
and their saved factors (each kept only for the other's gradient)."""

import numpy as np
import pytest

import torchlet

VALUES = [2, 0.3, 1.5, -1, np.float64(0.3), np.float32(0.3), np.int64(3)]
EXPECTED = {  # (type, value) torch's node keeps for each
    0: (int, 2), 1: (float, 0.3), 2: (float, 1.5), 3: (int, -1), 4: (float, 0.3),
    5: (float, float(np.float32(0.3))), 6: (int, 3),
}


def _args(lib, op, req=(True, True, True)):
    rng = np.random.default_rng(0)
    shapes = {"baddbmm": [(2, 3, 4), (2, 3, 5), (2, 5, 4)], "addr": [(3, 4), (3,), (4,)]}[op]
    return [lib.tensor(rng.standard_normal(s).astype("float32"), requires_grad=r)
            for s, r in zip(shapes, req, strict=True)]


@pytest.mark.parametrize("op", ["baddbmm", "addr"])
@pytest.mark.parametrize("i", range(len(VALUES)))
def test_alpha_beta_as_given(op, i):
    v = VALUES[i]
    kind, value = EXPECTED[i]
    out = getattr(torchlet, op)(*_args(torchlet, op), alpha=v, beta=1)
    node = out.grad_fn
    assert type(node._saved_alpha) is kind and node._saved_alpha == value
    assert type(node._saved_beta) is int and node._saved_beta == 1
    out = getattr(torchlet, op)(*_args(torchlet, op), beta=v)
    assert type(out.grad_fn._saved_beta) is kind and out.grad_fn._saved_beta == value


def test_baddbmm_grads_unchanged_by_given():
    a = _args(torchlet, "baddbmm")
    out = torchlet.baddbmm(*a, alpha=0.3, beta=2)
    out.sum().backward()
    # grad_input = beta * ones, exactly
    assert np.array_equal(a[0].grad.numpy(), np.full((2, 3, 4), 2, np.float32))
    torch = pytest.importorskip("torch")
    t = _args(torch, "baddbmm")
    ref = torch.baddbmm(*t, alpha=0.3, beta=2)
    ref.sum().backward()
    # (the sums of products run in another order than torch's: a few ulps)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    for x, y in zip(a, t, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("op", ["baddbmm", "addr"])
def test_saved_factors_sampled_against_torch(op):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    names = {"baddbmm": ("batch1", "batch2"), "addr": ("vec1", "vec2")}[op]
    for _ in range(6):
        req = tuple(bool(b) for b in rng.integers(0, 2, 3))
        if not any(req):
            continue
        v = VALUES[rng.integers(len(VALUES))]
        got = getattr(torchlet, op)(*_args(torchlet, op, req), alpha=v, beta=0.3).grad_fn
        ref = getattr(torch, op)(*_args(torch, op, req), alpha=v, beta=0.3).grad_fn
        for name in ("alpha", "beta"):
            a, b = getattr(got, "_saved_" + name), getattr(ref, "_saved_" + name)
            assert type(a) is type(b) and a == b
        for name in names:
            a, b = getattr(got, "_saved_" + name), getattr(ref, "_saved_" + name)
            assert (a is None) == (b is None), (op, req, name)
            if a is not None:
                assert np.array_equal(a.detach().numpy(), b.detach().numpy())

"""Regressions found while writing the tutorials-21 scripts (tests/tutorials/).

torch.autograd.functional.jacobian with ``vectorize=True`` (reverse mode) and with
``strategy="forward-mode"`` pushes one row / column of the standard basis through *all*
outputs / inputs at once: the one-hot for the current element and zeros for the others.
Those zero contributions are added in, so an entry that a lone one-hot would make -0.0
(0 * a negative number) comes out +0.0 (-0.0 + 0.0), and prints as ``0.0000``, not
``-0.0000``."""

import math

import numpy as np
import pytest

import torchlet
from torchlet.autograd.functional import jacobian


def _signs(t):
    """Each entry's sign bit: -0.0 and 0.0 told apart."""
    return [math.copysign(1.0, v) for v in np.asarray(t.tolist(), dtype=float).ravel()]


def _two_outputs(a, b):
    return a.sum() * b, a.sin()


def test_vectorized_reverse_jacobian_zeros_are_positive():
    x = torchlet.tensor([1.0, 2.0, 3.0])  # cos(2), cos(3) < 0: e_0 * cos(x) has -0.0 entries
    y = torchlet.tensor([0.5, -1.0])
    (_, _), (d_sin_dx, _) = jacobian(_two_outputs, (x, y), vectorize=True)
    expected = np.diag(np.cos([1.0, 2.0, 3.0])).astype(np.float32)
    assert np.allclose(d_sin_dx.numpy(), expected)
    # off-diagonal: -0.0 from sin's row alone, plus the +0.0 that a.sum() * b sends back
    off = ~np.eye(3, dtype=bool)
    assert all(s == 1.0 for s in np.array(_signs(d_sin_dx)).reshape(3, 3)[off])
    # the loop (one output at a time, as torch's vectorize=False) keeps the -0.0
    (_, _), (loop, _) = jacobian(_two_outputs, (x, y))
    assert np.array(_signs(loop)).reshape(3, 3)[0, 1] == -1.0


def test_forward_mode_jacobian_zeros_are_positive():
    x = torchlet.tensor([1.0, 2.0, 3.0])
    y = torchlet.tensor([0.5, -1.0])
    jx, jy = jacobian(lambda a, b: (a[:2] * b).exp(), (x, y), vectorize=True,
                      strategy="forward-mode")
    # d exp(a_i b_i) / d a_k for k != i is 0 * b_i (-0.0 where b_i < 0) plus 0 * a_i
    assert _signs(jx)[3] == 1.0 and _signs(jx)[5] == 1.0
    assert np.allclose(jx.numpy()[[0, 1], [0, 1]], np.exp([0.5, -2.0]) * np.array([0.5, -1.0]))
    assert np.allclose(jy.numpy(), np.diag(np.exp([0.5, -2.0]) * np.array([1.0, 2.0])))


def test_jacobian_signs_match_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(21)
    fns = [
        lambda m, a, b: (a.sum() * b, a.sin()),
        lambda m, a, b: ((a[:2] * b).exp(), a * b.sum()),
        lambda m, a, b: (a.cos() * a.sum(), (a[:2] - b) * b),
        lambda m, a, b: (a.tanh(), b.neg() * a[0], a.pow(2) * b[1]),
    ]
    configs = [(f, vec, strategy) for f in range(len(fns))
               for vec, strategy in [(True, "reverse-mode"), (False, "reverse-mode"),
                                     (True, "forward-mode")]]
    for f_idx, vec, strategy in configs:
        a0 = rng.standard_normal(3).astype(np.float32)
        b0 = rng.standard_normal(2).astype(np.float32)

        def run(mod, f_idx=f_idx, vec=vec, strategy=strategy, a0=a0, b0=b0):
            fn = fns[f_idx]
            out = mod.autograd.functional.jacobian(
                lambda a, b: fn(mod, a, b), (mod.tensor(a0), mod.tensor(b0)),
                vectorize=vec, strategy=strategy)
            return [blk for row in out for blk in row]

        ours, theirs = run(torchlet), run(torch)
        for mine, ref in zip(ours, theirs, strict=True):
            assert mine.shape == tuple(ref.shape)
            assert np.allclose(mine.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)
            assert _signs(mine) == _signs(ref.detach()), (f_idx, vec, strategy)

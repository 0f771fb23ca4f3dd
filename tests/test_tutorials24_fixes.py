"""Regression tests for what the tutorials6 scripts (session 24) turned up.

torch.log1p on subnormal inputs: torch returns 2 * fl(x / 2) for |x| below twice the
smallest normal (float32 and float64), not x; F.logsigmoid(torch.tensor(100.)) printed
-3.9236e-44 in torch and -3.7835e-44 here because of it.
"""

import numpy as np
import pytest

import torchlet

F32_STEP = float(np.float32(2.0 ** -149))  # the smallest float32 subnormal


def _model(x: np.ndarray) -> np.ndarray:
    """Hand-derived: log1p, except 2 * fl(x / 2) for nonzero |x| < 2 * tiny (+0.0 where
    the half rounds to zero)."""
    x = np.atleast_1d(x)
    wide = x.astype(np.float64)
    out = np.log1p(wide).astype(x.dtype)
    tiny = (np.abs(x) < 2 * np.finfo(x.dtype).tiny) & (x != 0)
    half = x[tiny] * x.dtype.type(0.5)
    out[tiny] = (half + half) + x.dtype.type(0)
    return out


@pytest.mark.parametrize(("steps", "expected_steps"), [
    (1, 0), (2, 2), (3, 4), (5, 4), (27, 28),
    (2 ** 23 - 1, 2 ** 23), (2 ** 23 + 1, 2 ** 23), (2 ** 23 + 3, 2 ** 23 + 4),
])
def test_log1p_float32_subnormals_by_hand(steps, expected_steps):
    x = torchlet.tensor([steps * F32_STEP, -steps * F32_STEP])
    got = torchlet.log1p(x).tolist()
    assert got == [expected_steps * F32_STEP, -expected_steps * F32_STEP]


def test_log1p_signed_zeros():
    out = torchlet.log1p(torchlet.tensor([-F32_STEP, -0.0, 0.0])).numpy()
    assert out.tolist() == [0.0, 0.0, 0.0]
    assert np.signbit(out).tolist() == [False, True, False]


def test_log1p_every_entry_point_and_gradient():
    x = torchlet.tensor([27 * F32_STEP, 0.5], requires_grad=True)
    y = x.log1p()
    assert y.grad_fn.name() == "Log1PBackward0"
    assert y[0].item() == 28 * F32_STEP
    y.sum().backward()
    assert x.grad.tolist() == [1.0, pytest.approx(2 / 3)]
    assert torchlet.special.log1p(torchlet.tensor(27 * F32_STEP)).item() == 28 * F32_STEP
    z = torchlet.full((3, 4), 27 * F32_STEP).t()
    assert torchlet.log1p(z).tolist() == [[28 * F32_STEP] * 3] * 4
    z = torchlet.full((5,), 27 * F32_STEP)
    z.log1p_()
    assert z.tolist() == [28 * F32_STEP] * 5
    d = torchlet.tensor([3 * 5e-324], dtype=torchlet.float64)
    assert torchlet.log1p(d).item() == 4 * 5e-324


def test_log1p_sampled_against_model_and_torch():
    rng = np.random.default_rng(24)
    for dtype, ints, bits in ((np.float32, np.int32, 23), (np.float64, np.int64, 52)):
        raw = np.concatenate([rng.integers(1, 2 << bits, 3000), rng.integers(1, 64, 200),
                              (1 << bits) + rng.integers(0, 64, 200)]).astype(ints)
        x = raw.view(dtype)
        x = np.concatenate([x, -x, rng.standard_normal(200).astype(dtype)])
        got = torchlet.log1p(torchlet.from_numpy(x)).numpy()
        assert np.array_equal(got.view(ints), _model(x).view(ints))
    torch = pytest.importorskip("torch")
    for dtype, ints in ((np.float32, np.int32), (np.float64, np.int64)):
        raw = rng.integers(1, 1 << 24, 2000).astype(ints)
        x = np.concatenate([raw.view(dtype), -raw.view(dtype)])
        ours = torchlet.log1p(torchlet.from_numpy(x)).numpy()
        theirs = torch.log1p(torch.from_numpy(x)).numpy()
        assert np.array_equal(ours.view(ints), theirs.view(ints))

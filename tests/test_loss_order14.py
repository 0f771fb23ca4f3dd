"""nll_loss and cross_entropy add the batch in torch's order.

torch's CPU kernels (LossNLL.cpp ``nll_loss_out_frame``, LossNLL2d.cpp) add the per-sample
losses, and for a weighted mean the weights, into a cascade of 8 partial sums flushed
every 16**j samples, skipping ignored targets. ``_nll_sum`` reproduces that order.

Which comparisons are bit-exact:
* ``_nll_sum`` against a line-by-line transcription of torch's loop (no torch needed);
* ``nll_loss`` (mean and sum, with and without weight and ignore_index, 2-D and spatial,
  float16/32/64) and its gradient, against live torch on the same log-probabilities;
* the reduced ``cross_entropy`` against torch's ``nll_loss`` applied to torchlet's own
  per-sample cross entropies (torchlet's per-sample values are within rounding of torch's:
  README, "within float rounding"), and the divisor of the label-smoothing mean.
Within rounding: ``cross_entropy`` against torch's directly, label smoothing included.
"""

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F
from torchlet.nn._functional.loss.classification import (
    _batch_sum,
    _nll_sum,
)

DTYPES = [np.float16, np.float32, np.float64]


def _torch_loop_sum(values: np.ndarray, kept: np.ndarray, levels: int = 8):
    """torch's nll_loss_out_frame reduction, transcribed loop for loop (scalar_t arithmetic:
    NumPy scalars of the values' dtype, so float16 rounds at every step)."""
    zero = values.dtype.type(0)
    partial = [zero] * levels
    for b in range(values.size):
        if not kept[b]:
            continue  # an ignored target: no addition, no flush
        partial[0] = partial[0] + values[b]
        for j in range(levels - 1):
            if b & (15 << (j * 4)):
                break
            partial[j + 1] = partial[j + 1] + partial[j]
            partial[j] = zero
    total = zero
    for p in partial:
        total = total + p
    return total


def _bits(a) -> bytes:
    return np.asarray(a).tobytes()


def _ignore_patterns(n: int, rng) -> dict:
    b = np.arange(n)
    long_run = (b % 16 == 0) & (b < n // 2)  # no flush in the first half: one long run
    pairs = (b % 16 == 0) & ((b // 16) % 3 == 0)  # blocks in pairs (then alone)
    return {
        "none": np.zeros(n, bool),
        "random": rng.random(n) < 0.3,
        "multiples_of_16": b % 16 == 0,
        "left_padded_rows": b % 32 < 5,
        "first": b == 0,
        "all": np.ones(n, bool),
        "long_run": long_run,  # one long run and then blocks alone
        "long_run_and_pairs": long_run | pairs,  # many short runs and one long one
        "multiples_of_256": b % 256 == 0,
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 18, 33, 100, 255, 256, 257, 258, 300,
                               4097, 5000])
def test_nll_sum_is_torch_loop(dtype, n):
    """Bit-exact against the transcribed loop: the short path (<= 256 samples), the
    level loop, and the run sums (a few runs, padded rows, rows grouped by length)."""
    rng = np.random.default_rng(n)
    values = (rng.standard_normal(n) * 10).astype(dtype)
    for name, ignored in _ignore_patterns(n, rng).items():
        kept = ~ignored
        want = _torch_loop_sum(values, kept)
        got = _nll_sum(values, kept)
        assert got.dtype == dtype
        assert _bits(got) == _bits(want), (name, got, want)
        if name == "none":
            assert _bits(_nll_sum(values)) == _bits(want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_mean_sums_losses_and_weights_in_one_cascade(dtype):
    """_batch_sum pairs the losses and the weights as complex numbers (float16 apart): each
    sum is still the transcribed loop's, bit for bit."""
    rng = np.random.default_rng(4)
    for n in (3, 64, 300, 5000):
        losses = (rng.standard_normal(n) * 10).astype(dtype)
        weights = (rng.random(n) * 3).astype(dtype)
        for name, ignored in _ignore_patterns(n, rng).items():
            got_sum, got_total = _batch_sum(losses, weights, ignored, None, "mean")
            assert got_sum.dtype == got_total.dtype == dtype
            assert _bits(got_sum) == _bits(_torch_loop_sum(losses, ~ignored)), name
            assert _bits(got_total) == _bits(_torch_loop_sum(weights, ~ignored)), name


def test_nll_sum_top_level():
    """Sample 0 and what passes all levels meet in the last partial sum: checked with 3
    levels instead of 8 (8 would take 16**7 samples)."""
    rng = np.random.default_rng(11)
    values = (rng.standard_normal(5000) * 10).astype(np.float32)
    for name, ignored in _ignore_patterns(5000, rng).items():
        want = _torch_loop_sum(values, ~ignored, levels=3)
        assert _bits(_nll_sum(values, ~ignored, levels=3)) == _bits(want), name


def test_nll_sum_differs_from_pairwise_order():
    """The test above can fail: for these values NumPy's pairwise sum and a plain running
    sum both differ from torch's cascade."""
    values = np.random.default_rng(3).standard_normal(100).astype(np.float32) * 10
    want = _torch_loop_sum(values, np.ones(100, bool))
    assert _bits(np.add.reduce(values)) != _bits(want)
    assert _bits(np.add.accumulate(values)[-1]) != _bits(want)


# ---------------------------------------------------------------------------------------
# live torch


def _nll_pair(torch, logp: np.ndarray, target: np.ndarray, weight, **kwargs):
    """nll_loss forward and input gradient in torch and torchlet, on the same data."""
    a = torch.tensor(logp, requires_grad=True)
    b = torchlet.tensor(logp, requires_grad=True)
    wa = None if weight is None else torch.tensor(weight)
    wb = None if weight is None else torchlet.tensor(weight)
    out_a = torch.nn.functional.nll_loss(a, torch.tensor(target), weight=wa, **kwargs)
    out_b = F.nll_loss(b, torchlet.tensor(target), weight=wb, **kwargs)
    out_a.backward()
    out_b.backward()
    return out_a, out_b, a.grad, b.grad


def _assert_same(a, b):
    a = a.detach().numpy()
    b = b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    if np.isnan(a).all():
        assert np.isnan(b).all()
    else:
        assert _bits(a) == _bits(b), (a, b)


def _log_softmax(torch, shape, dtype, rng, scale=3.0):
    x = torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32))
    return torch.log_softmax(x, 1).numpy().astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_nll_loss_batch_order_bit_exact(dtype, reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    sizes = [*range(1, 300, 7), 1000, 4096]
    for n in sizes:
        c = 1000 if n in (50, 1000) else 10
        logp = _log_softmax(torch, (n, c), dtype, rng)
        target = rng.integers(0, c, n)
        weight = (rng.random(c) + 0.5).astype(dtype)
        ignored = target.copy()
        ignored[rng.random(n) < 0.2] = -100
        for t in (target, ignored):
            for w in (None, weight):
                out_a, out_b, grad_a, grad_b = _nll_pair(torch, logp, t, w,
                                                         reduction=reduction)
                _assert_same(out_a, out_b)  # the cascade, and the cascaded total weight
                _assert_same(grad_a, grad_b)  # -w / total weight


@pytest.mark.parametrize("shape", [(2, 5, 7), (3, 4, 5, 6), (2, 3, 17, 19), (1, 3, 2, 3, 4),
                                   (5, 3, 40, 41)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_spatial_nll_loss_bit_exact(shape, dtype):
    """nll_loss2d (4-D) and the 3-D / 5-D inputs torch views as 4-D: one cascade over the
    samples in the target's C order."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape))
    logp = _log_softmax(torch, shape, dtype, rng)
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    weight = (rng.random(shape[1]) + 0.5).astype(dtype)
    ignored = target.copy()
    ignored[rng.random(target.shape) < 0.3] = 1
    for t, kwargs in ((target, {}), (ignored, {"ignore_index": 1})):
        for w in (None, weight):
            for reduction in ("mean", "sum"):
                out_a, out_b, grad_a, grad_b = _nll_pair(torch, logp, t, w,
                                                         reduction=reduction, **kwargs)
                _assert_same(out_a, out_b)
                _assert_same(grad_a, grad_b)


@pytest.mark.parametrize("pattern", ["none", "random", "multiples_of_16", "left_padded_rows",
                                     "long_run", "multiples_of_256"])
def test_nll_loss_large_batch_upper_levels(pattern):
    """70001 samples reach level 4 of the cascade (a flush every 16**4 = 65536)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n = 70001
    logp = _log_softmax(torch, (n, 3), np.float32, rng, scale=10.0)
    target = rng.integers(0, 3, n)
    target[_ignore_patterns(n, rng)[pattern]] = -100
    weight = np.array([0.3, 1.7, 1.1], np.float32)
    for w in (None, weight):
        out_a, out_b, _, _ = _nll_pair(torch, logp, target, w)
        _assert_same(out_a, out_b)


@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_sum_of_zero_losses_is_plus_zero(zero):
    """torch's partial sums start at +0.0: losses of -0.0 (log-probabilities of +-0.0) add
    up to +0.0, in the short and the long path, with or without ignored targets."""
    torch = pytest.importorskip("torch")
    for n in (1, 5, 17, 64, 300, 5000):
        logp = np.full((n, 3), zero, np.float32)
        target = np.arange(n) % 3
        ignored = np.where(np.arange(n) % 16 == 0, -100, target)
        for t in (target, ignored):
            for w in (None, np.ones(3, np.float32)):
                for reduction in ("mean", "sum"):
                    out_a, out_b, _, _ = _nll_pair(torch, logp, t, w, reduction=reduction)
                    _assert_same(out_a, out_b)  # (the bytes: +0.0, not -0.0)


def test_all_ignored_mean_is_nan_and_gradient_zero():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    logp = _log_softmax(torch, (40, 4), np.float32, rng)
    target = np.full(40, -100)
    for w in (None, np.ones(4, np.float32)):
        for reduction in ("mean", "sum"):
            out_a, out_b, grad_a, grad_b = _nll_pair(torch, logp, target, w,
                                                     reduction=reduction)
            _assert_same(out_a, out_b)
            _assert_same(grad_a, grad_b)
    x = torchlet.tensor(logp, requires_grad=True)
    loss = F.cross_entropy(x, torchlet.tensor(target))
    loss.backward()
    assert np.isnan(loss.item()) and not x.grad.numpy().any()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 10), (300, 1000), (4096, 10), (3, 5, 7, 9)])
def test_cross_entropy_reduces_its_per_sample_losses_in_torch_order(dtype, shape):
    """torch's cross_entropy is nll_loss over log_softmax: feeding torchlet's own per-sample
    cross entropies to torch's nll_loss gives torchlet's reduced loss, bit for bit; and the
    reduced loss is within rounding of torch's cross_entropy."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(shape[0])
    c = shape[1]
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    target = rng.integers(0, c, (shape[0],) + shape[2:])
    ignored = target.copy()
    ignored[rng.random(target.shape) < 0.2] = 2
    weight = (rng.random(c) + 0.5).astype(dtype)
    xb = torchlet.tensor(x)
    for t, kwargs in ((target, {}), (ignored, {"ignore_index": 2})):
        tb = torchlet.tensor(t)
        per_sample = F.cross_entropy(xb, tb, reduction="none", **kwargs).numpy()
        # -per_sample at each target, in torch: nll_loss adds exactly these values
        logp = np.zeros(x.shape, dtype)
        index = np.where(t == 2, 0, t) if kwargs else t  # (ignored: any class will do)
        np.put_along_axis(logp, np.expand_dims(index, 1), np.expand_dims(-per_sample, 1),
                          axis=1)
        for w in (None, weight):
            wa = None if w is None else torch.tensor(w)
            wb = None if w is None else torchlet.tensor(w)
            for reduction in ("mean", "sum"):
                got = F.cross_entropy(xb, tb, weight=wb, reduction=reduction, **kwargs)
                want = torch.nn.functional.nll_loss(torch.tensor(logp), torch.tensor(t),
                                                    weight=wa, reduction=reduction, **kwargs)
                _assert_same(want, got)
                direct = torch.nn.functional.cross_entropy(
                    torch.tensor(x), torch.tensor(t), weight=wa, reduction=reduction,
                    **kwargs)
                rtol = 1e-5 if dtype == np.float32 else 1e-12
                np.testing.assert_allclose(got.numpy(), direct.numpy(), rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_label_smoothing_within_rounding(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for shape in ((1, 10), (37, 10), (513, 7), (4, 6, 5, 3)):
        c = shape[1]
        x = (rng.standard_normal(shape) * 4).astype(dtype)
        target = rng.integers(0, c, (shape[0],) + shape[2:])
        target[rng.random(target.shape) < 0.2] = 0
        weight = (rng.random(c) + 0.5).astype(dtype)
        for w in (None, weight):
            for kwargs in ({}, {"ignore_index": 0}):
                for reduction in ("mean", "sum", "none"):
                    a = torch.tensor(x, requires_grad=True)
                    b = torchlet.tensor(x, requires_grad=True)
                    out_a = torch.nn.functional.cross_entropy(
                        a, torch.tensor(target), None if w is None else torch.tensor(w),
                        reduction=reduction, label_smoothing=0.1, **kwargs)
                    out_b = F.cross_entropy(
                        b, torchlet.tensor(target), None if w is None else torchlet.tensor(w),
                        reduction=reduction, label_smoothing=0.1, **kwargs)
                    np.testing.assert_allclose(out_b.detach().numpy(),
                                               out_a.detach().numpy(), rtol=rtol)
                    out_a.sum().backward()
                    out_b.sum().backward()
                    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(),
                                               rtol=rtol, atol=rtol * 1e-2)


def test_label_smoothing_mean_divisor_is_torch_weight_sum():
    """torch divides the smoothing term's sum by weight.gather(0, target[~ignored]).sum(),
    a plain sum (not the cascade of nll_loss's total weight): bit for bit."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    for n in (5, 64, 1000, 40000):
        weight = (rng.random(7) * 3).astype(np.float32)
        target = rng.integers(0, 7, n)
        ignored = rng.random(n) < 0.25
        kept = ~ignored
        want = torch.tensor(weight).gather(
            0, torch.tensor(target).masked_select(torch.tensor(kept))).sum()
        # (cross_entropy composes this divisor from the same ops, as torch does)
        got = torchlet.tensor(weight).gather(
            0, torchlet.tensor(target).masked_select(torchlet.tensor(kept))).sum()
        assert _bits(got.numpy()) == _bits(want.numpy())

"""ReLU's fast paths must not change a bit of the results.

torch's ReLU is ``x < 0 ? 0 : x`` (relu(-0.0) = -0.0, NaN passes through, payload and sign
included) and its backward ``out <= 0 ? 0 : grad`` (a NaN input gets the gradient, a zero of
either sign none). ``_relu_plain`` / ``_relu_grad_plain`` state those formulas with
np.where; the fast versions (``np.maximum`` against a zeros array, bit masks) must give the
same bytes, on special values, every float16, a broad sample of float32/float64 bit
patterns, odd sizes (SIMD tails) and strided arrays. Then the public functions against
torch, large enough to take the fast paths.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise.binary import _MAXPS_DTYPES, _clamp_scalar, _maxps_rule
from torchlet._ops.pointwise.unary import (
    _RELU_MASK_MIN,
    _keep_unless,
    _relu,
    _relu_fast,
    _relu_grad,
    _relu_grad_plain,
    _relu_plain,
)

BITS = {np.float16: np.uint16, np.float32: np.uint32, np.float64: np.uint64}


def _special(dtype) -> np.ndarray:
    """Signed zeros, infinities, NaNs with payloads of both signs (quiet and signalling),
    subnormals and ordinary numbers, as bit patterns."""
    bits, info = BITS[dtype], np.finfo(dtype)
    width = 8 * np.dtype(dtype).itemsize
    sign, exp_all = 1 << (width - 1), ((1 << info.nexp) - 1) << info.nmant
    quiet = 1 << (info.nmant - 1)
    patterns = [0, sign, exp_all, sign | exp_all,  # +-0, +-inf
                exp_all | quiet, sign | exp_all | quiet,  # the usual NaNs
                exp_all | quiet | 5, sign | exp_all | 1,  # NaN payloads, a signalling NaN
                (1 << width) - 1, 1, sign | 1, (1 << info.nmant) - 1]  # all ones, subnormals
    numbers = np.array([1.0, -1.0, 0.5, -2.5, 3.0, -3.0], dtype).view(bits)
    return np.concatenate([np.array(patterns, np.uint64).astype(bits), numbers]).view(dtype)


def _sample(dtype, n=1 << 17) -> np.ndarray:
    """Special values followed by random bit patterns (every float16 instead)."""
    if dtype == np.float16:
        return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    rng = np.random.default_rng(0)
    random = rng.integers(0, np.iinfo(BITS[dtype]).max, n, dtype=BITS[dtype], endpoint=True)
    return np.concatenate([_special(dtype), random.view(dtype)])


def _same(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


DTYPES = [np.float16, np.float32, np.float64]


def test_plain_formulas_are_torchs_kernel():
    x = np.array([-0.0, 0.0, np.nan, -np.nan, -np.inf, np.inf, -1e-45, 2.0], np.float32)
    out = _relu_plain(x)
    assert np.signbit(out[0]) and not np.signbit(out[1])  # -0.0 stays -0.0
    assert np.isnan(out[2]) and np.signbit(out[3]) and np.isnan(out[3])  # NaN passes through
    assert out[4] == 0 and out[5] == np.inf and out[6] == 0 and out[7] == 2
    grad = np.full(x.shape, 3.0, np.float32)
    assert list(_relu_grad_plain(grad, out)) == [0, 0, 3, 3, 0, 3, 0, 3]


@pytest.mark.parametrize("dtype", DTYPES)
def test_masked_paths_equal_the_plain_formulas_bit_for_bit(dtype):
    x = _sample(dtype)
    assert _same(_keep_unless(np.less(x, 0), x), _relu_plain(x))
    out = _relu_plain(x)
    grad = np.random.default_rng(1).permutation(x)  # NaN and inf gradients too
    assert _same(_keep_unless(np.less_equal(out, 0), grad), _relu_grad_plain(grad, out))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maximum_path_equals_the_plain_formula_bit_for_bit(dtype):
    if not _maxps_rule():
        pytest.skip("this NumPy's maximum does not follow maxps; the fast path is off")
    assert np.dtype(dtype) in _MAXPS_DTYPES
    x = _sample(dtype)
    assert _same(_relu_fast(x), _relu_plain(x))
    for n in (1, 3, 7, 17, 33, 1001):  # SIMD tails
        part = x[5:5 + n]
        assert _same(_relu_fast(part), _relu_plain(part))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [5, _RELU_MASK_MIN - 1, _RELU_MASK_MIN, 3 * _RELU_MASK_MIN + 7])
def test_dispatch_equals_the_plain_formulas_at_every_size(dtype, size):
    x = np.resize(_sample(dtype), size)
    out = _relu(x)
    assert _same(out, _relu_plain(x))
    grad = np.resize(np.random.default_rng(2).permutation(_sample(dtype)), size)
    assert _same(_relu_grad(grad, out), _relu_grad_plain(grad, out))


@pytest.mark.parametrize("dtype", DTYPES)
def test_strided_inputs(dtype):
    base = np.resize(_sample(dtype), (96, 130))
    for x in (base.T, base[:, ::3], base[::2, 1:]):
        out = _relu(x)
        assert _same(out, _relu_plain(x))
        grad = base[::-1][:x.shape[0], :x.shape[1]] if x.shape[0] <= 96 else x[::-1]
        assert _same(_relu_grad(grad, out), _relu_grad_plain(grad, out))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bounds", [(0.0, None), (-0.0, None), (None, 0.0), (None, -0.0),
                                    (-1.0, 1.0), (1e-45, 6.0), (2.0, -1.0)])
def test_clamp_paths_equal_the_formula(dtype, bounds):
    # the same maximum/minimum rule carries clamp: a < lo ? lo : a, then a > hi ? hi : a
    x = _sample(dtype)
    lo, hi = (None if b is None else dtype(b) for b in bounds)
    want = x
    if lo is not None:
        want = np.where(want < lo, lo, want)
    if hi is not None:
        want = np.where(want > hi, hi, want)
    assert _same(_clamp_scalar(x, lo, hi), want)


def test_integer_relu():
    x = np.array([-3, 0, 5, np.iinfo(np.int64).min], np.int64)
    assert list(_relu(x)) == [0, 0, 5, 0]


# ---------------------------------------------------------------------------------------
# the public functions against torch, on tensors large enough for the fast paths


def _inputs(dtype, shape=(64, 100)):
    x = np.resize(_special(dtype), shape).copy()
    x.flat[::7] = np.random.default_rng(3).standard_normal(x.size)[::7]
    grad = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    grad.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return x, grad


CALLS = {
    "relu": lambda lib, t: lib.relu(t),
    "method": lambda lib, t: t.relu(),
    "F.relu": lambda lib, t: lib.nn.functional.relu(t),
    "F.relu_inplace": lambda lib, t: lib.nn.functional.relu(t * 1, inplace=True),
    "relu_": lambda lib, t: (t * 1).relu_(),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("how", list(CALLS))
def test_relu_forward_and_backward_match_torch_bit_for_bit(dtype, how):
    torch = pytest.importorskip("torch")
    x, grad = _inputs(dtype)
    results = []
    for lib in (torchlet, torch):
        leaf = lib.tensor(x, requires_grad=True)
        out = CALLS[how](lib, leaf)
        out.backward(lib.tensor(grad))
        results.append((out.detach().numpy().copy(), leaf.grad.numpy().copy()))
    (out, g), (want_out, want_g) = results
    if dtype == np.float16:
        # torch's float16 kernel goes through float32, which quiets a signalling NaN
        # (sets its top payload bit); every other bit pattern comes through unchanged
        signalling = np.isnan(x) & (x.view(np.uint16) & 0x0200 == 0)
        assert np.isnan(out[signalling]).all() and np.isnan(want_out[signalling]).all()
        out, want_out = out[~signalling], want_out[~signalling]
    assert out.tobytes() == want_out.tobytes()
    assert g.tobytes() == want_g.tobytes()


def test_relu_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x, _ = _inputs(np.float64, (50, 50))
    v = np.random.default_rng(5).standard_normal(x.shape)
    results = []
    for lib in (torchlet, torch):
        xt = lib.tensor(x, requires_grad=True)
        gt = lib.tensor(np.ones_like(x), requires_grad=True)
        (gx,) = lib.autograd.grad(lib.relu(xt), xt, gt, create_graph=True)
        assert gx.grad_fn.name().endswith("ThresholdBackwardBackward0")
        (ggt,) = lib.autograd.grad(gx, gt, lib.tensor(v))
        results.append((gx.detach().numpy(), ggt.numpy()))
    assert results[0][0].tobytes() == results[1][0].tobytes()
    assert results[0][1].tobytes() == results[1][1].tobytes()

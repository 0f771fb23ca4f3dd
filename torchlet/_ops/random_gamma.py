"""The gamma family's samplers: ``_standard_gamma``, ``_sample_dirichlet``, ``binomial``, and
the reparameterisation gradients ``_standard_gamma_grad`` and ``_dirichlet_grad``.

PyTorch's CPU kernels (aten/src/ATen/native/Distributions.cpp and Distributions.h) draw
element by element, in the C order of the (contiguous) result, from two per-element
samplers on the generator: a uniform double ``U53()`` and a standard normal double from the
scalar Box-Muller path with the generator's cache (docs/torch-rng.md §3, §4.1). Rejection
sampling makes the number of draws per element data dependent, so the loops below run in
Python, one element at a time, with every operation in the precision the C++ uses (a
float32 tensor's ``alpha``/``count``/``prob`` are C++ ``float`` values; the accumulations
are ``double``). That gives torch's samples bit for bit after the same seed.

The gradients use torch's approximations (Taylor series, Rice saddle point, rational fits)
in double precision.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math

import numpy as np

from torchlet._dtype import TYPE_WORDS
from torchlet._generator import _TWO_PI
from torchlet._ops.search import _not_implemented
from torchlet._random_kernels import VMAP
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.random import _generator_or_default

__all__ = ["_standard_gamma", "_standard_gamma_grad", "_sample_dirichlet", "_dirichlet_grad",
           "binomial"]

_F32 = np.dtype(np.float32)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_F32_THIRD = float(np.float32(1.0) / np.float32(3.0))  # the C++ constant 1.0f / 3.0f
_F32_0331 = float(np.float32(0.0331))  # 0.0331f


def _to_f32(x: float) -> float:
    """Round a double to the nearest float32 (what a C++ ``float`` variable holds)."""
    return float(np.float32(x))


def _same(x: float) -> float:
    return x


# C's libm and division return inf/nan where Python's math module raises; the samplers must
# carry on as the C++ does (e.g. a negative alpha gives NaN, not an exception).


def _log(x: float) -> float:
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except (OverflowError, ValueError):
        with np.errstate(all="ignore"):
            return float(np.power(np.float64(x), np.float64(y)))


def _guarded(func, *args) -> float:
    """``func(*args)`` for the gradient approximations; NaN where Python's math raises
    (invalid inputs such as x <= 0, where C would give NaN or an infinity)."""
    try:
        return func(*args)
    except (ZeroDivisionError, ValueError, OverflowError):
        return math.nan


def _div(x: float, y: float) -> float:
    if y == 0:
        with np.errstate(all="ignore"):
            return float(np.float64(x) / np.float64(y))
    return x / y


@functools.cache
def _glibc_log1pf():
    """glibc's single-precision ``log1pf`` (``std::log1p`` of a C++ float), or, if the C
    library cannot be loaded, log1p in double rounded to float32."""
    for name in ("libm.so.6", ctypes.util.find_library("m")):
        try:
            func = ctypes.CDLL(name).log1pf
        except (OSError, AttributeError, TypeError):
            continue
        func.restype, func.argtypes = ctypes.c_float, [ctypes.c_float]
        return func
    return lambda x: _to_f32(math.log1p(x))  # pragma: no cover - not glibc


class _Draws:
    """The two per-element samplers of PyTorch's CPU gamma/binomial kernels.

    ``uniform()`` is ``U53()``; ``normal()`` is ``at::normal_distribution<double>``: the
    generator's cached value if set, else a Box-Muller pair from two ``U53()`` whose sine is
    cached. The raw values are fetched in batches into ``values`` (``used`` of them taken so
    far; ``cache`` is the normal cache as it stands); ``finish()`` rewinds the generator to
    just after the draws that were used and leaves the cache as torch would.
    """

    __slots__ = ("gen", "mark", "cache", "values", "listed", "used")

    def __init__(self, gen):
        self.gen = gen
        self.mark = gen._mark()
        self.cache = gen._normal_f64
        self.values = np.empty(0)
        self.listed: list[float] = []  # the same values, for quick access one by one
        self.used = 0

    def fetch(self, count: int) -> np.ndarray:
        """``values`` holding at least ``count`` draws."""
        if count > self.values.size:
            more = self.gen._u53(max(64, self.values.size, count - self.values.size))
            self.values = np.concatenate((self.values, more))
            self.listed.extend(more.tolist())
        return self.values

    def uniform(self) -> float:
        if self.used == len(self.listed):
            self.fetch(self.used + 1)
        self.used += 1
        return self.listed[self.used - 1]

    def normal(self) -> float:
        if self.cache is not None:
            z, self.cache = self.cache, None
            return z
        u1 = self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log1p(-u2))
        theta = _TWO_PI * u1
        self.cache = r * math.sin(theta)
        return r * math.cos(theta)

    def finish(self):
        gen = self.gen
        gen._rewind(self.mark)
        gen._next64(self.used)
        gen._normal_f64 = self.cache


def _in_turn(key, params, sample):
    """``sample()``, handed to the batch when inside ``torch.func.vmap``: torch draws a
    batched call's elements in C order, so the samples draw in turn (as ``poisson`` does);
    ``randomness="same"`` refuses batched ``params`` there, as torch does."""
    if VMAP.batch is None:
        return sample()
    return VMAP.batch.draw(key, params, None, lambda _: sample())


def _check_float(array: np.ndarray, kernel: str):
    if array.dtype not in _FLOATS:
        name = TYPE_WORDS.get(array.dtype.name, array.dtype.name)
        raise NotImplementedError(f'"{kernel}" not implemented for \'{name}\'')


# ---------------------------------------------------------------------------------------
# Gamma


def _sample_gamma(alpha: float, draws: _Draws, rnd) -> float:
    """PyTorch's ``sample_gamma`` (Marsaglia-Tsang, with alpha < 1 boosted by U^(1/alpha)).

    ``alpha`` and ``rnd`` follow the C++ ``scalar_t``: for float32, ``1.0f / alpha``,
    ``alpha + 1`` and ``alpha - 1.0f/3.0f`` are float operations; the rest is double.
    """
    scale = 1.0
    if alpha < 1.0:
        if alpha == 0.0:
            return 0.0
        scale *= _pow(1 - draws.uniform(), rnd(1.0 / alpha))
        alpha = rnd(alpha + 1.0)
    d = rnd(alpha - _F32_THIRD)
    c = _div(1.0, _sqrt(9.0 * d))
    while True:
        while True:
            x = draws.normal()
            y = 1.0 + c * x
            if not y <= 0:  # C's do-while (y <= 0): a NaN y leaves the loop too
                break
        v = y * y * y
        u = 1 - draws.uniform()
        xx = x * x
        if u < 1.0 - _F32_0331 * xx * xx:
            return scale * d * v
        if math.log(u) < 0.5 * xx + d * (1.0 - v + _log(v)):
            return scale * d * v


def _gamma_samples(gen, alphas: np.ndarray, scalar_f32: bool) -> np.ndarray:
    """One double-precision sample per alpha (float64, in C order), drawn in order.

    ``_sample_gamma`` element by element, with its per-element constants computed for all
    elements at once (``_GammaPrep``) and, for the usual alphas (positive, finite), its
    draws inlined into one loop (``_gamma_loop``): the same operations on the same draws in
    the same order, without a Python call per draw.  The number of draws per element is
    data dependent (rejection sampling), so the loop itself stays element by element.
    """
    if VMAP.batch is not None:
        return _in_turn(("gamma", alphas.shape, alphas.dtype, scalar_f32), (alphas,),
                        lambda: _gamma_samples(gen, alphas, scalar_f32))
    rnd = _to_f32 if scalar_f32 else _same
    flat = np.asarray(alphas, dtype=np.float64).ravel()
    prep = _GammaPrep(flat, scalar_f32)
    out = np.empty(flat.size)
    draws = _Draws(gen)
    try:
        k = 0
        while k < flat.size:
            k = _gamma_loop(prep, k, draws, out)
            if k < flat.size:  # an alpha the loop leaves to _sample_gamma
                out[k] = _sample_gamma(float(flat[k]), draws, rnd)
                k += 1
    finally:
        draws.finish()
    return out


class _GammaPrep:
    """Per-element constants of ``_sample_gamma``, computed as it does, as lists for
    ``_gamma_loop``: ``boost`` (alpha < 1), the boost's exponent ``rnd(1 / alpha)``, ``d``
    and ``c``, and ``fast``: the alphas the loop handles (positive and finite; 0, NaN,
    negative and infinite alphas take ``_sample_gamma``)."""

    def __init__(self, alpha: np.ndarray, scalar_f32: bool):
        def rnd(x):
            return x.astype(np.float32).astype(np.float64) if scalar_f32 else x

        with np.errstate(all="ignore"):
            fast = (alpha > 0) & (alpha < np.inf)
            boost = fast & (alpha < 1.0)
            exponent = rnd(1.0 / alpha)
            d = rnd(np.where(boost, rnd(alpha + 1.0), alpha) - _F32_THIRD)
            c = 1.0 / np.sqrt(9.0 * d)
        self.fast, self.boost = fast.tolist(), boost.tolist()
        self.exponent, self.d, self.c = exponent.tolist(), d.tolist(), c.tolist()


def _gamma_loop(prep: _GammaPrep, k: int, draws: _Draws, out: np.ndarray) -> int:
    """``_sample_gamma`` for elements k, k+1, ... while ``prep.fast``; returns the index of
    the first element it leaves (or the end).  ``draws.uniform()`` and ``draws.normal()`` are
    inlined: ``values`` is the list of draws, ``used`` how many are taken, ``cache`` the
    normal cache; the list is topped up before each attempt (an attempt takes at most 3
    draws, plus the boost's one)."""
    values, used, cache = draws.listed, draws.used, draws.cache
    fast, boost, exponent, ds, cs = prep.fast, prep.boost, prep.exponent, prep.d, prep.c
    log, log1p, sqrt, sin, cos = math.log, math.log1p, math.sqrt, math.sin, math.cos
    n = len(fast)
    while k < n and fast[k]:
        if used + 4 > len(values):
            draws.fetch(used + 4)  # (extends ``values`` in place)
        scale = 1.0
        if boost[k]:
            scale *= _pow(1 - values[used], exponent[k])
            used += 1
        d, c = ds[k], cs[k]
        while True:
            if used + 3 > len(values):
                draws.fetch(used + 3)
            while True:
                if cache is not None:
                    x, cache = cache, None
                else:
                    u1, u2 = values[used], values[used + 1]
                    used += 2
                    r = sqrt(-2.0 * log1p(-u2))
                    theta = _TWO_PI * u1
                    cache = r * sin(theta)
                    x = r * cos(theta)
                y = 1.0 + c * x
                if not y <= 0:  # C's do-while (y <= 0): a NaN y leaves the loop too
                    break
                if used + 3 > len(values):
                    draws.fetch(used + 3)
            v = y * y * y
            u = 1 - values[used]
            used += 1
            xx = x * x
            if u < 1.0 - _F32_0331 * xx * xx:
                break
            if log(u) < 0.5 * xx + d * (1.0 - v + _log(v)):
                break
        out[k] = scale * d * v
        k += 1
    draws.used, draws.cache = used, cache
    return k


class StandardGamma(Primitive):
    """out ~ Gamma(alpha, 1);  grad_alpha = grad * _standard_gamma_grad(alpha, out), the
    implicit reparameterisation gradient -(d/dalpha F(out; alpha)) / f(out; alpha)."""

    node_name = "StandardGammaBackward0"

    @staticmethod
    def forward(ctx, alpha, *, gen):
        _check_float(alpha, "gamma_cpu")
        samples = _gamma_samples(gen, np.ascontiguousarray(alpha), alpha.dtype == _F32)
        out = samples.astype(alpha.dtype).reshape(alpha.shape)
        # torch returns std::max(tiny, sample): zero (alpha == 0, an underflow) and NaN
        # (alpha < 0 or NaN) become tiny
        tiny = np.finfo(alpha.dtype).tiny
        out[~(out > tiny)] = tiny
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        alpha, out = ctx.saved_tensors
        return grad * _standard_gamma_grad(alpha, out)


def _standard_gamma(input, *, generator=None) -> Tensor:  # noqa: A002
    """Samples of Gamma(input, 1), one per element (differentiable: StandardGammaBackward0)."""
    return StandardGamma.apply(input, gen=_generator_or_default(generator))


# ---------------------------------------------------------------------------------------
# Gradient of the standard gamma sample (Distributions.h: standard_gamma_grad_one)

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2,
              7.57575757575757575758e-3, -4.16666666666666666667e-3,
              3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)
_F32_1E17 = float(np.float32(1.0e17))
_F32_09 = float(np.float32(0.9))
_F32_11 = float(np.float32(1.1))
_F32_08 = float(np.float32(0.8))
_GAMMA_GRAD_COEF = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07),
)


def _digamma_one(x: float) -> float:
    """Cephes digamma in double, as ATen's ``digamma_one``."""
    if x == 0:
        return math.inf
    additional = 0.0
    if x < 0:
        if x == math.floor(x):
            return math.inf
        additional = -math.pi / math.tan(math.pi * x)
        x = 1 - x
    result = 0.0
    while x < 10:
        result -= 1 / x
        x += 1
    if x == 10:
        return result + _PSI_10 + additional
    y = 0.0
    if x < _F32_1E17:
        z = 1.0 / (x * x)
        poly = 0.0
        for coef in _DIGAMMA_A:
            poly = poly * z + coef
        y = z * poly
    return result + math.log(x) - (0.5 / x) - y + additional


def _standard_gamma_grad_one(alpha: float, x: float) -> float:
    """d x / d alpha for x ~ Gamma(alpha, 1), torch's three-regime approximation."""
    if x < _F32_08:  # Taylor series in x
        numer, denom = 1.0, alpha
        series1 = numer / denom
        series2 = numer / (denom * denom)
        for i in range(1, 6):
            numer *= -x / i
            denom += 1
            series1 += numer / denom
            series2 += numer / (denom * denom)
        pow_x_alpha = math.pow(x, alpha)
        gamma_pdf = math.pow(x, alpha - 1) * math.exp(-x)
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (math.log(x) - _digamma_one(alpha)) * gamma_cdf - pow_x_alpha * series2
        result = -gamma_cdf_alpha / gamma_pdf if gamma_pdf != 0 else math.nan
        return 0.0 if math.isnan(result) else result
    if alpha > 8.0:  # Rice saddle point expansion
        if _F32_09 * alpha <= x <= _F32_11 * alpha:
            numer_1 = 1 + 24 * alpha * (1 + 12 * alpha)
            numer_2 = (1440 * (alpha * alpha) + 6 * x * (53 - 120 * x)
                       - 65 * x * x / alpha + alpha * (107 + 3600 * x))
            denom = 1244160 * (alpha * alpha) * (alpha * alpha)
            return numer_1 * numer_2 / denom
        denom = math.sqrt(8 * alpha)
        term2 = denom / (alpha - x)
        term3 = math.pow(x - alpha - alpha * math.log(x / alpha), -1.5)
        term23 = term2 - term3 if x < alpha else term2 + term3
        term1 = (math.log(x / alpha) * term23
                 - math.sqrt(2 / alpha) * (alpha + x) / ((alpha - x) * (alpha - x)))
        stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
        numer = x * term1
        return -stirling * numer / denom
    u = math.log(x / alpha)  # bivariate rational approximation
    v = math.log(alpha)
    c0, c1, c2 = _GAMMA_GRAD_COEF
    cv = [c0[i] + u * (c1[i] + u * c2[i]) for i in range(8)]
    p = cv[0] + v * (cv[1] + v * (cv[2] + v * cv[3]))
    q = cv[4] + v * (cv[5] + v * (cv[6] + v * cv[7]))
    return math.exp(p / q)


def _broadcast_same_shape(a: np.ndarray, *others: np.ndarray):
    """Broadcast ``others`` to the first operand's shape (torch's kernels write an output of
    that shape), with torch's size-mismatch message."""
    for other in others:
        for dim in range(1, other.ndim + 1):
            size_a = a.shape[-dim] if dim <= a.ndim else 1
            size_o = other.shape[-dim]
            if size_a != size_o and size_o != 1:
                raise RuntimeError(
                    f"The size of tensor a ({size_a}) must match the size of tensor b "
                    f"({size_o}) at non-singleton dimension {max(a.ndim, other.ndim) - dim}"
                )
    return [a] + [np.broadcast_to(other, a.shape) for other in others]


def _check_same_dtype(first: np.ndarray, *others: np.ndarray):
    for other in others:
        if other.dtype != first.dtype:
            names = {"float32": "Float", "float64": "Double"}
            raise RuntimeError(
                f"Found dtype {names.get(other.dtype.name, other.dtype.name)} but expected "
                f"{names.get(first.dtype.name, first.dtype.name)}"
            )


class StandardGammaGrad(Primitive):
    """out = d sample / d alpha (torch has no derivative of it: backward raises)."""

    node_name = "StandardGammaGradBackward0"

    @staticmethod
    def forward(ctx, alpha, x):
        _check_float(alpha, "_standard_gamma_grad_cpu")
        _check_same_dtype(alpha, x)
        alpha_b, x_b = _broadcast_same_shape(alpha, x)
        flat = [_guarded(_standard_gamma_grad_one, a, v)
                for a, v in zip(alpha_b.ravel().tolist(), x_b.ravel().tolist())]
        return np.array(flat, dtype=np.float64).astype(alpha.dtype).reshape(alpha.shape)

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("the derivative for '_standard_gamma_grad' is not implemented.")


def _standard_gamma_grad(input, output) -> Tensor:  # noqa: A002
    """The reparameterised gradient of ``_standard_gamma`` samples ``output`` wrt ``input``."""
    return StandardGammaGrad.apply(input, output)


# ---------------------------------------------------------------------------------------
# Dirichlet


def _sample_dirichlet(input, generator=None) -> Tensor:  # noqa: A002
    """Dirichlet samples over the last dimension: gamma draws in double (alpha cast to double),
    normalised by their sum, cast back and clamped into [tiny, 1 - ulp/2]."""
    alpha = input._data
    _check_float(alpha, "dirichlet")
    gen = _generator_or_default(generator)
    samples = _gamma_samples(gen, np.ascontiguousarray(alpha, dtype=np.float64), False)
    tiny64 = np.finfo(np.float64).tiny
    gammas = np.where(samples > tiny64, samples, tiny64).reshape(alpha.shape)  # NaN: tiny
    if gammas.ndim == 0:
        total = gammas
    else:
        rows = gammas.reshape(-1, gammas.shape[-1])
        total = _torch_row_sums(rows).reshape(gammas.shape[:-1] + (1,))
    ratio = (gammas / total).astype(alpha.dtype)
    below_one = np.nextafter(np.ones((), alpha.dtype), np.zeros((), alpha.dtype))
    # std::min(below_one, std::max(tiny, ratio)): a NaN ratio becomes tiny
    out = np.where(ratio > np.finfo(alpha.dtype).tiny, ratio, np.finfo(alpha.dtype).tiny)
    out = np.where(out < below_one, out, below_one).astype(alpha.dtype)
    return _not_implemented("_sample_dirichlet", [input], (out,))[0]


def _torch_row_sums(x: np.ndarray) -> np.ndarray:
    """Row sums of a float64 (n, K) array in the order of PyTorch's AVX2 ``sum(-1)`` kernel
    (cpu/SumKernel.cpp), so that Dirichlet samples are bit-exact: rows of K >= 4 are read as
    4-lane vectors, summed by ``row_sum`` (four interleaved vector accumulators, cascaded every
    16 steps), then the scalar tail and the four lanes; shorter rows are summed in order."""
    n, size = x.shape
    lanes = 4
    total = np.zeros(n)
    if size < lanes:
        for k in range(size):
            total += x[:, k]
        return total
    n_vecs = size // lanes
    vecs = x[:, :n_vecs * lanes].reshape(n, n_vecs, lanes)
    n_steps = n_vecs // 4
    partial = _multi_row_sum(vecs[:, :n_steps * 4].reshape(n, n_steps, 4, lanes))
    for i in range(n_steps * 4, n_vecs):
        partial[:, 0] += vecs[:, i]
    for k in range(1, 4):
        partial[:, 0] += partial[:, k]
    for k in range(n_vecs * lanes, size):
        total += x[:, k]
    for lane in range(lanes):
        total += partial[:, 0, lane]
    return total


def _multi_row_sum(steps: np.ndarray) -> np.ndarray:
    """ATen's ``multi_row_sum``: add step after step into level-0 accumulators and carry them
    up a 4-level cascade every ``2**level_power`` steps. ``steps`` is (n, size, rows, lanes)."""
    size = steps.shape[1]
    num_levels = 4
    level_power = max(4, (size - 1).bit_length() // num_levels if size > 1 else 0)
    level_step = 1 << level_power
    level_mask = level_step - 1
    acc = np.zeros((num_levels,) + steps.shape[:1] + steps.shape[2:])
    i = 0
    while i + level_step <= size:
        for _ in range(level_step):
            acc[0] += steps[:, i]
            i += 1
        for j in range(1, num_levels):
            acc[j] += acc[j - 1]
            acc[j - 1] = 0
            if i & (level_mask << (j * level_power)):
                break
    while i < size:
        acc[0] += steps[:, i]
        i += 1
    for j in range(1, num_levels):
        acc[0] += acc[j]
    return acc[0]


def _beta_grad_alpha_small(x, alpha, beta):
    """d/dalpha of a Beta(alpha, beta) sample x near 0 (Taylor expansion)."""
    # (C's arithmetic: log(0) = -inf and x / 0 = +-inf or NaN, which the end may zero)
    factor = _digamma_one(alpha) - _digamma_one(alpha + beta) - _log(x)
    numer = 1.0
    series = _div(numer, alpha) * (factor + _div(1.0, alpha))
    for i in range(1, 11):
        numer *= (i - beta) * x / i
        denom = alpha + i
        series += _div(numer, denom) * (factor + _div(1.0, denom))
    result = x * _pow(1 - x, -beta) * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_beta_small(x, alpha, beta):
    """d/dbeta of a Beta(alpha, beta) sample x near 0 (Taylor expansion)."""
    factor = _digamma_one(alpha + beta) - _digamma_one(beta)
    # (_div: C's 0/0 is a NaN, which the end turns into 0, where Python's raises)
    numer, betas, dbetas, series = 1.0, 1.0, 0.0, _div(factor, alpha)
    for i in range(1, 9):
        numer *= -x / i
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series += _div(numer, alpha + i) * (dbetas + factor * betas)
    result = -math.pow(1 - x, 1 - beta) * series
    return 0.0 if math.isnan(result) else result


def _beta_grad_alpha_mid(x, alpha, beta):
    """d/dalpha of a Beta sample when alpha and beta are both large (Rice saddle point)."""
    total = alpha + beta
    mean = alpha / total
    std = math.sqrt(alpha * beta / (total + 1)) / total
    if mean - 0.1 * std <= x <= mean + 0.1 * std:  # avoid the singularity at x = mean
        poly = (47 * x * (beta * beta) * (beta * beta) + alpha * (
            (43 + 20 * (16 + 27 * beta) * x) * (beta * beta) * beta + alpha * (
                3 * (59 + 180 * beta - 90 * x) * (beta * beta) + alpha * (
                    (453 + 1620 * beta * (1 - x) - 455 * x) * beta + alpha * (
                        8 * (1 - x) * (135 * beta - 11))))))
        prefactor_num = (1 + 12 * alpha) * (1 + 12 * beta) / (total * total)
        prefactor_den = 12960 * alpha * alpha * alpha * beta * beta * (1 + 12 * total)
        return prefactor_num / (1 - x) * poly / prefactor_den
    prefactor = -x / math.sqrt(2 * alpha * beta / total)
    stirling = ((1 + 1 / (12 * alpha) + 1 / (288 * alpha * alpha))
                * (1 + 1 / (12 * beta) + 1 / (288 * beta * beta))
                / (1 + 1 / (12 * total) + 1 / (288 * total * total)))
    term1_num = 2 * (alpha * alpha) * (x - 1) + alpha * beta * (x - 1) - x * (beta * beta)
    axbx = alpha * (x - 1) + beta * x
    term1_den = math.sqrt(2 * alpha / beta) * math.pow(total, 1.5) * axbx * axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * math.log(alpha / (total * x))
    term3 = math.sqrt(8 * alpha * beta / total) / (beta * x + alpha * (x - 1))
    term4_base = (beta * math.log(beta / (total * (1 - x)))
                  + alpha * math.log(alpha / (total * x)))
    term4 = math.pow(term4_base, -1.5)
    term1234 = term1 + term2 * (term3 + (term4 if x < mean else -term4))
    return stirling * prefactor * term1234


_DIRICHLET_COEF = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def _dirichlet_grad_one(x: float, alpha: float, total: float) -> float:
    """d x / d alpha for the Beta(alpha, total - alpha) marginal of a Dirichlet sample x,
    divided by (1 - x) (ATen's ``dirichlet_grad_one``, evaluated in double)."""
    beta = total - alpha
    boundary = total * x * (1 - x)
    if x <= 0.5 and boundary < 2.5:
        return _beta_grad_alpha_small(x, alpha, beta)
    if x >= 0.5 and boundary < 0.75:
        return -_beta_grad_beta_small(1 - x, beta, alpha)
    if alpha > 6 and beta > 6:
        return _beta_grad_alpha_mid(x, alpha, beta)
    u = math.log(x)
    a = math.log(alpha) - u
    b = math.log(total) - a
    pow_u = (1.0, u, u * u)
    pow_a = (1.0, a, a * a)
    p = q = 0.0
    cp, cq = _DIRICHLET_COEF
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] * pow_a[j]
            c = cp[i][j]
            p += ua * (c[0] + b * (c[1] + b * (c[2] + b * c[3])))
            c = cq[i][j]
            q += ua * (c[0] + b * (c[1] + b * (c[2] + b * c[3])))
    approx = x * (_digamma_one(total) - _digamma_one(alpha)) / beta
    return p / q * approx


def _dirichlet_grad(x, alpha, total) -> Tensor:
    """torch._dirichlet_grad: the reparameterised gradient used by Dirichlet.rsample
    (not differentiable itself)."""
    xa, aa, ta = x._data, alpha._data, total._data
    _check_float(xa, "_dirichlet_grad_cpu")
    _check_same_dtype(xa, aa, ta)
    xb, ab, tb = _broadcast_same_shape(xa, aa, ta)
    flat = [_guarded(_dirichlet_grad_one, *v)
            for v in zip(xb.ravel().tolist(), ab.ravel().tolist(), tb.ravel().tolist())]
    out = np.array(flat, dtype=np.float64).astype(xa.dtype).reshape(xa.shape)
    return _not_implemented("_dirichlet_grad", [x, alpha, total], (out,))[0]


# ---------------------------------------------------------------------------------------
# Binomial (Distributions.h: sample_binomial, btrs, binomial_inversion)

_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_approx_tail(k: float) -> float:
    if k < 10:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(count: float, prob: float, draws: _Draws, rnd) -> float:
    """Hormann's transformed rejection with squeeze (BTRS), for count * prob >= 10."""
    stddev = rnd(math.sqrt(rnd(rnd(count * prob) * rnd(1 - prob))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = rnd(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = rnd(prob / rnd(1 - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = float(math.floor(rnd(rnd(count + 1) * prob)))
    while True:
        u = draws.uniform() - 0.5
        v = draws.uniform()
        us = 0.5 - abs(u)
        if us == 0:  # 2a/us is inf, so k = -inf: rejected below in C++
            continue
        k = rnd(float(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = _log(v * alpha / (a / (us * us) + b))
        count_k1 = rnd(rnd(count - k) + 1)
        upperbound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                      + rnd(count + 1) * math.log((count - m + 1) / count_k1)
                      + (k + 0.5) * math.log(r * count_k1 / rnd(k + 1))
                      + _stirling_approx_tail(m) + _stirling_approx_tail(count - m)
                      - _stirling_approx_tail(k) - _stirling_approx_tail(rnd(count - k)))
        if v <= upperbound:
            return k


def _binomial_inversion(count: float, prob: float, draws: _Draws, log1p) -> float:
    """Count geometric waiting times until they exceed count (for count * prob < 10)."""
    geom_sum = 0.0
    num_geom = 0.0
    logprob = log1p(-prob)
    while True:
        ratio = _log(draws.uniform()) / logprob
        geom = math.ceil(ratio) if ratio != math.inf else math.inf
        geom_sum += geom
        if geom_sum > count:
            return num_geom
        num_geom += 1


def _sample_binomial(count: float, prob: float, draws: _Draws, rnd, log1p) -> float:
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if count != count and prob == prob:
        # torch's inversion loop would never end (no sum of waiting times exceeds NaN)
        raise RuntimeError("binomial: count is NaN while 0 < prob < 1; no sample exists")
    if prob <= 0.5:
        if rnd(count * prob) >= 10.0:
            return _btrs(count, prob, draws, rnd)
        return _binomial_inversion(count, prob, draws, log1p)
    if prob > 0.5:
        qprob = rnd(1.0 - prob)
        if rnd(count * qprob) >= 10.0:
            return rnd(count - _btrs(count, qprob, draws, rnd))
        return rnd(count - _binomial_inversion(count, qprob, draws, log1p))
    return math.nan  # prob is NaN


def binomial(count, prob, generator=None) -> Tensor:
    """Binomial(count, prob) samples, one per element of ``count`` (``prob`` broadcasts to it).
    Not differentiable (a NotImplemented node when an input requires grad)."""
    ca, pa = count._data, prob._data
    if ca.dtype.kind != "f":
        raise ValueError(
            f"binomial only supports floating-point dtypes for count, got: "
            f"{TYPE_WORDS.get(ca.dtype.name, ca.dtype.name)}"
        )
    _check_float(ca, "binomial_cpu")
    _check_same_dtype(ca, pa)
    cb, pb = _broadcast_same_shape(ca, pa)
    f32 = ca.dtype == _F32
    rnd = _to_f32 if f32 else _same
    log1p = _glibc_log1pf() if f32 else math.log1p
    gen = _generator_or_default(generator)

    def sample():
        draws = _Draws(gen)
        try:
            return [_sample_binomial(c, p, draws, rnd, log1p)
                    for c, p in zip(cb.ravel().tolist(), pb.ravel().tolist())]
        finally:
            draws.finish()

    flat = _in_turn(("binomial", cb.shape, ca.dtype), (ca, pa), sample)
    out = np.array(flat, dtype=np.float64).astype(ca.dtype).reshape(ca.shape)
    return _not_implemented("binomial", [count, prob], (out,))[0]

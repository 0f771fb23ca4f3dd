"""NumPy kernels for the special functions (NumPy has none of them): erfc, erfinv, lgamma,
digamma, trigamma, the Hurwitz zeta function, polygamma, ndtri, erfcx and log_ndtr (the
modified Bessel functions are in ``special_bessel``). Each takes and returns an array of
one float dtype.

Each is the algorithm torch 2.13's CPU kernel runs, vectorised: masks instead of branches,
loops over the whole array instead of per-element loops.

* erfc: fdlibm's s_erf.c (glibc's erfc), in float64, reusing the coefficients and the
  polynomial evaluation of ``_erf``; narrower floats are rounded once.
* lgamma: fdlibm's e_lgamma_r.c (glibc's lgamma for x > 0), in float64, rounded once.
* erfinv, digamma, trigamma, zeta, polygamma, ndtri, log_ndtr: torch's
  aten/src/ATen/native/Math.h (calc_erfinv, calc_digamma, trigamma, zeta, calc_polygamma,
  calc_ndtri, calc_log_ndtr; Cephes and Pavlis' erfinv), step by step in the input's own
  dtype, as the C++ templates are instantiated (zeta accumulates in float64, torch's CPU
  acc_type), with the fused multiply-adds torch's build contracts a * b + c into in the
  polynomial loops. float16 is computed in float32 and rounded once, as torch upcasts Half.
* erfcx: for x >= 0 fdlibm's erfc tail without its exp(-x^2) factor (torch uses
  Faddeeva's Chebyshev table, a few ulps apart); for x < 0 torch's 2 exp(x^2) - erfcx(-x).

Where the C code calls the math library on float32 (logf, expf, sinf, tanf, erff), the
value here is the float64 function rounded to float32: the correctly rounded result,
which glibc's float functions also return for nearly every input.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._ops.pointwise._erf import (
    _ERX,
    _HIGH_WORD,
    _PA,
    _PP,
    _QA,
    _QQ,
    _RA,
    _RB,
    _SA,
    _SB,
    _rational,
)
from torchlet._ops.pointwise._erf import erf as _erf
from torchlet._ops.pointwise._fused import _fma


def _in_float32_if_half(fn):
    """Run ``fn`` in float32 for float16 input and round once (torch upcasts Half)."""
    def wrapped(x, *args):
        if x.dtype == np.float16:
            return fn(x.astype(np.float32), *args).astype(np.float16)
        return fn(x, *args)
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


def _libm(fn, x):
    """A math-library function in x's dtype: float32 through float64, rounded once."""
    with np.errstate(all="ignore"):
        if x.dtype == np.float32:
            return fn(x.astype(np.float64)).astype(np.float32)
        return fn(x)


def _rat(s, num, den):
    """num(s) / den(s) by _erf's (glibc's) evaluation order."""
    out = np.empty_like(s)
    _rational(s, num, den, out, [np.empty_like(s) for _ in range(6)])
    return out


# ---------------------------------------------------------------------------------------
# erfc


def _erfc_tail(a, num, den):
    """exp(-a^2 - 0.5625 + R/S) / a for a >= 1.25, with a^2 split as in _erf."""
    s = 1.0 / (a * a)
    ratio = _rat(s, num, den)
    z = (a.view(np.uint64) & _HIGH_WORD).view(np.float64)
    return np.exp(-z * z - 0.5625) * np.exp((z - a) * (z + a) + ratio) / a


def _erfc64(x):
    a = np.abs(x)
    out = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        tiny = a < 2.0**-56
        out[tiny] = 1.0 - x[tiny]
        small = (a >= 2.0**-56) & (a < 0.84375)
        xs = x[small]
        y = _rat(xs * xs, _PP, _QQ)
        out[small] = np.where(xs < 0.25, 1.0 - (xs + xs * y), 0.5 - (xs * y + (xs - 0.5)))
        near = (a >= 0.84375) & (a < 1.25)
        pq = _rat(a[near] - 1.0, _PA, _QA)
        out[near] = np.where(x[near] >= 0, (1.0 - _ERX) - pq, 1.0 + (_ERX + pq))
        inner = (a >= 1.25) & (a < 1 / 0.35)
        outer = (a >= 1 / 0.35) & (a < 28.0)
        for mask, num, den in ((inner, _RA, _SA), (outer, _RB, _SB)):
            r = _erfc_tail(a[mask], num, den)
            out[mask] = np.where(x[mask] > 0, r, 2.0 - r)
        out[outer & (x < -6.0)] = 2.0
        big = a >= 28.0  # inf too
        out[big] = np.where(x[big] > 0, 0.0, 2.0)
    return out


def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x) without cancellation (fdlibm), computed in float64 and rounded once."""
    return _erfc64(x.astype(np.float64)).astype(x.dtype)


# ---------------------------------------------------------------------------------------
# erfinv

_ERFINV_A = (0.886226899, -1.645349621, 0.914624893, -0.140543331)
_ERFINV_B = (-2.118377725, 1.442710462, -0.329097515, 0.012229801)
_ERFINV_C = (-1.970840454, -1.624906493, 3.429567803, 1.641345311)
_ERFINV_D = (3.543889200, 1.637067800)


@_in_float32_if_half
def erfinv(y: np.ndarray) -> np.ndarray:
    """torch's calc_erfinv: a rational first guess (|y| <= 0.7 and the tails), then two
    Newton steps x -= (erf(x) - y) / (2/sqrt(pi) * exp(-x^2)), all in y's dtype."""
    T = y.dtype.type
    a, b, c, d = ([T(v) for v in k] for k in (_ERFINV_A, _ERFINV_B, _ERFINV_C, _ERFINV_D))
    one = T(1)
    ya = np.abs(y)
    with np.errstate(all="ignore"):
        z = y * y
        num = _polevl(z, a[::-1])
        dem = _fma(_polevl(z, b[::-1]), z, one)
        central = y * num / dem
        z = np.sqrt(-_libm(np.log, (one - ya) / T(2)))
        num = _polevl(z, c[::-1])
        dem = _polevl(z, (d[1], d[0], one))
        tail = np.copysign(num, y) / dem
        x = np.where(ya <= T(0.7), central, tail)
        two_over_sqrt_pi = T(2) * T(1 / math.sqrt(math.pi))
        for _ in range(2):
            x = x - (_erf(x) - y) / (two_over_sqrt_pi * _libm(np.exp, -x * x))
    x = np.where(ya == 1, np.copysign(T(np.inf), y), x)
    return np.where(ya > 1, T(np.nan), x)


# ---------------------------------------------------------------------------------------
# lgamma (fdlibm e_lgamma_r.c)

_TC = 1.46163214496836224576e00
_TF = -1.21486290535849611461e-01
_TT = -3.63867699703950536541e-18
_LG_A = (7.72156649015328655494e-02, 3.22467033424113591611e-01, 6.73523010531292681824e-02,
         2.05808084325167332806e-02, 7.38555086081402883957e-03, 2.89051383673415629091e-03,
         1.19270763183362067845e-03, 5.10069792153511336608e-04, 2.20862790713908385557e-04,
         1.08011567247583939954e-04, 2.52144565451257326939e-05, 4.48640949618915160150e-05)
_LG_T = (4.83836122723810047042e-01, -1.47587722994593911752e-01, 6.46249402391333854778e-02,
         -3.27885410759859649565e-02, 1.79706750811820387126e-02, -1.03142241298341437450e-02,
         6.10053870246291332635e-03, -3.68452016781138256760e-03, 2.25964780900612472250e-03,
         -1.40346469989232843813e-03, 8.81081882437654011382e-04, -5.38595305356740546715e-04,
         3.15632070903625950361e-04, -3.12754168375120860518e-04, 3.35529192635519073543e-04)
_LG_U = (-7.72156649015328655494e-02, 6.32827064025093366517e-01, 1.45492250137234768737e00,
         9.77717527963372745603e-01, 2.28963728064692451092e-01, 1.33810918536787660377e-02)
_LG_V = (1.0, 2.45597793713041134822e00, 2.12848976379893395361e00,
         7.69285150456672783825e-01, 1.04222645593369134254e-01, 3.21709242282423911810e-03)
_LG_S = (-7.72156649015328655494e-02, 2.14982415960608852501e-01, 3.25778796408930981787e-01,
         1.46350472652464452805e-01, 2.66422703033638609560e-02, 1.84028451407337715652e-03,
         3.19475326584100867617e-05)
_LG_R = (1.0, 1.39200533467621045958e00, 7.21935547567138069525e-01,
         1.71933865632803078993e-01, 1.86459191715652901344e-02, 7.77942496381893596434e-04,
         7.32668430744625636189e-06)
_LG_W = (4.18938533204672725052e-01, 8.33333333333329678849e-02, -2.77777777728775536470e-03,
         7.93650558643019558500e-04, -5.95187557450339963135e-04, 8.36339918996282139126e-04,
         -1.63092934096575273989e-03)


def _horner(y, coeffs):
    """c0 + y (c1 + y (c2 + ...)), coefficients lowest power first."""
    out = np.full_like(y, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * y + c
    return out


def _high_word(t):
    return (t.view(np.uint64) >> np.uint64(32)).astype(np.int64)


def _lgamma_below_two(t, ix):
    """lgamma on (0, 2), t not 1 (fdlibm's three expansions, around 1, tc and 2)."""
    low = ix <= 0x3FECCCCC  # t < 0.9: lgamma(t) = lgamma(t + 1) - log(t)
    r = np.where(low, -np.log(t), 0.0)
    y = np.where(low, np.where(ix >= 0x3FE76944, 1.0 - t,
                               np.where(ix >= 0x3FCDA661, t - (_TC - 1.0), t)),
                 np.where(ix >= 0x3FFBB4C3, 2.0 - t, np.where(ix >= 0x3FF3B4C4, t - _TC, t - 1.0)))
    which = np.where(low, np.where(ix >= 0x3FE76944, 0, np.where(ix >= 0x3FCDA661, 1, 2)),
                     np.where(ix >= 0x3FFBB4C3, 0, np.where(ix >= 0x3FF3B4C4, 1, 2)))
    z = y * y
    p = y * _horner(z, _LG_A[0::2]) + z * _horner(z, _LG_A[1::2])
    r0 = r + (p - 0.5 * y)
    w = z * y
    p1, p2, p3 = (_horner(w, _LG_T[k::3]) for k in range(3))
    r1 = r + (_TF + (z * p1 - (_TT - w * (p2 + y * p3))))
    r2 = r + (-0.5 * y + y * _horner(y, _LG_U) / _horner(y, _LG_V))
    return np.select([which == 0, which == 1], [r0, r1], r2)


def _lgamma_two_to_eight(t):
    i = np.floor(t)
    y = t - i
    r = 0.5 * y + y * _horner(y, _LG_S) / _horner(y, _LG_R)
    z = np.ones_like(t)
    for k in (7, 6, 5, 4, 3):  # fdlibm's fall-through switch: z = (y+2)(y+3)...(y+i-1)
        z = np.where(i >= k, z * (y + (k - 1)), z)
    return np.where(i >= 3, r + np.log(z), r)


def _lgamma_positive(t):
    """lgamma(t) for finite t > 0."""
    ix = _high_word(t)
    out = np.empty_like(t)
    parts = [
        (ix < 0x3B900000, lambda u, h: -np.log(u)),  # t < 2**-70
        ((ix >= 0x3B900000) & (ix < 0x40000000), _lgamma_below_two),
        ((ix >= 0x40000000) & (ix < 0x40200000), lambda u, h: _lgamma_two_to_eight(u)),
        ((ix >= 0x40200000) & (ix < 0x43900000), lambda u, h: _lgamma_stirling(u)),
        (ix >= 0x43900000, lambda u, h: u * (np.log(u) - 1.0)),
    ]
    for mask, fn in parts:
        if mask.any():
            out[mask] = fn(t[mask], ix[mask])
    out[(t == 1.0) | (t == 2.0)] = 0.0
    return out


def _lgamma_stirling(t):
    """8 <= t < 2**58: (t - 1/2)(log t - 1) + w(1/t)."""
    z = 1.0 / t
    w = _LG_W[0] + z * _horner(z * z, _LG_W[1:])
    return (t - 0.5) * (np.log(t) - 1.0) + w


def _abs_sin_pi(y):
    """|sin(pi y)| for y > 0 not an integer, reducing y mod 2 first (fdlibm's sin_pi)."""
    y = 2.0 * (0.5 * y - np.floor(0.5 * y))
    n = np.floor(y * 4.0)
    s = np.select(
        [n == 0, n <= 2, n <= 4, n <= 6],
        [np.sin(np.pi * y), np.cos(np.pi * (0.5 - y)), np.sin(np.pi * (1.0 - y)),
         -np.cos(np.pi * (y - 1.5))],
        np.sin(np.pi * (y - 2.0)),
    )
    return np.abs(s)


def _lgamma64(x):
    out = np.abs(x) * np.abs(x)  # inf at +-inf, NaN at NaN
    with np.errstate(all="ignore"):
        finite = np.isfinite(x) & (x != 0)
        t = np.abs(x[finite])
        r = _lgamma_positive(t)
        neg = x[finite] < 0
        if neg.any():
            tn = t[neg]
            pole = (tn >= 2.0**52) | (np.floor(tn) == tn)
            tiny = tn < 2.0**-70  # there fdlibm returns -log|x| directly
            s = _abs_sin_pi(np.where(pole, 0.5, tn))
            nadj = np.log(np.pi / np.abs(s * tn))
            r[neg] = np.where(pole, np.inf, np.where(tiny, r[neg], nadj - r[neg]))
        out[finite] = r
    out[x == 0] = np.inf
    return out


def lgamma(x: np.ndarray) -> np.ndarray:
    """log|Gamma(x)| (fdlibm), computed in float64 and rounded once; inf at poles."""
    return _lgamma64(x.astype(np.float64)).astype(x.dtype)


# ---------------------------------------------------------------------------------------
# digamma, trigamma

_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
              -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
              8.33333333333333333333e-2)


def _digamma_positive(x):
    """torch's calc_digamma for x > 0: recur up to x >= 10, then the asymptotic series."""
    T = x.dtype.type
    result = np.zeros_like(x)
    below = x < 10
    while below.any():
        result = np.where(below, result - T(1) / x, result)
        x = np.where(below, x + T(1), x)
        below = x < 10
    z = T(1) / (x * x)
    poly = _polevl(z, _DIGAMMA_A)
    y = np.where(x < T(1e17), z * poly, T(0))
    out = result + _libm(np.log, x) - T(0.5) / x - y
    return np.where(x == 10, result + T(_PSI_10), out)


@_in_float32_if_half
def digamma(x: np.ndarray) -> np.ndarray:
    """torch's calc_digamma in x's dtype; reflection psi(x) = psi(1 - x) - pi / tan(pi x)
    for x < 0 (tan of the fractional part, in float64); +-inf at +-0, NaN at x = -n."""
    T = x.dtype.type
    with np.errstate(all="ignore"):
        neg = x < 0
        safe = np.where(x == 0, T(1), x)
        res = _digamma_positive(np.where(neg, T(1) - safe, safe))
        frac = np.modf(x.astype(np.float64))[0]
        cot = (np.pi / np.tan(np.pi * frac)).astype(x.dtype)
        res = np.where(neg, res - cot, res)
        res = np.where(neg & (x == np.trunc(x)), T(np.nan), res)
    return np.where(x == 0, np.copysign(T(np.inf), -x), res)


@_in_float32_if_half
def trigamma(x: np.ndarray) -> np.ndarray:
    """torch's trigamma: reflection below 1/2, six recurrence steps, then the asymptotic
    series, in x's dtype."""
    T = x.dtype.type
    pi = T(np.pi)
    with np.errstate(all="ignore"):
        low = x < T(0.5)
        s = _libm(np.sin, pi * x)
        result = np.where(low, T(0) - (pi * pi) / (s * s), T(0))
        x = np.where(low, T(1) - x, x)
        for _ in range(6):
            result = result + T(1) / (x * x)
            x = x + T(1)
        ixx = T(1) / (x * x)
        inner = _fma(-ixx, _fma(-ixx, np.full_like(x, T(1 / 42)), T(1 / 30)), T(1 / 6))
        result = result + _fma(ixx, inner, T(1) + T(1) / (T(2) * x)) / x
    return np.where(low, -result, result)


# ---------------------------------------------------------------------------------------
# Hurwitz zeta and polygamma

_MACHEP = 1.11022302462515654042e-16
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)


def zeta(x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Hurwitz zeta sum_k (k + q)^-x, torch's (Cephes') zeta: direct sum until the terms
    are below machine epsilon or a > 9, then Euler-Maclaurin. x and q share a dtype;
    the sum runs in float64 (torch's CPU acc_type), the result is rounded to the dtype."""
    x, q = np.broadcast_arrays(x, q)
    dtype = x.dtype
    with np.errstate(all="ignore"):
        s = _libm(lambda v: np.power(q.astype(np.float64), -v), x.astype(dtype))
        s = s.astype(np.float64)
        xd, a = x.astype(np.float64), q.astype(np.float64)
        out = np.full(x.shape, np.nan)
        done = np.zeros(x.shape, bool)
        special = [
            (xd == 1, np.inf), (xd < 1, np.nan),
            ((a <= 0) & (a == np.floor(a)), np.inf),
            ((a <= 0) & (xd != np.floor(xd)), np.nan),
        ]
        for mask, value in special:
            mask = mask & ~done
            out[mask], done[mask] = value, True
        b = np.zeros(x.shape)
        looping, i = ~done, 0
        while looping.any():
            i += 1
            a = np.where(looping, a + 1.0, a)
            b = np.where(looping, np.power(a, -xd), b)
            s = np.where(looping, s + b, s)
            converged = looping & (-_MACHEP * s < b) & (b < _MACHEP * s)
            out[converged], done[converged] = s[converged], True
            looping = looping & ~converged & ((i < 9) | (a <= 9.0))
        rest = ~done
        w = a
        s = np.where(rest, s + b * w / (xd - 1.0) - 0.5 * b, s)
        fac, k = np.ones(x.shape), 0.0
        for c in _ZETA_A:
            fac = fac * (xd + k)
            b = b / w
            t = fac * b / c
            s = np.where(rest, s + t, s)
            small = rest & (np.abs(t / s) < _MACHEP)
            out[small], rest = s[small], rest & ~small
            k += 1.0
            fac = fac * (xd + k)
            b = b / w
            k += 1.0
        out[rest] = s[rest]
    return out.astype(dtype)


def polygamma(n: int, x: np.ndarray) -> np.ndarray:
    """The n-th derivative of digamma: digamma (n = 0), trigamma (n = 1), else torch's
    (-1)^(n+1) exp(lgamma(n + 1)) zeta(n + 1, x) in x's dtype."""
    if n == 0:
        return digamma(x)
    if n == 1:
        return trigamma(x)
    work = np.float32 if x.dtype == np.float16 else x.dtype
    T = np.dtype(work).type
    fact = T(math.exp(T(_lgamma64(np.array([n + 1.0]))[0])))
    sign = T(1) if n % 2 else T(-1)
    with np.errstate(all="ignore"):
        out = sign * fact * zeta(np.full(x.shape, n + 1, work), x.astype(work))
    return out.astype(x.dtype)


# ---------------------------------------------------------------------------------------
# ndtri (Cephes)

_NDTRI_P0 = (-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1,
             1.39312609387279679503e1, -1.23916583867381258016e0)
_NDTRI_Q0 = (1.0, 1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1,
             -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1,
             1.59056225126211695515e1, -1.18331621121330003142e0)
_NDTRI_P1 = (4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1,
             4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0,
             -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4)
_NDTRI_Q1 = (1.0, 1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1,
             1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1,
             -3.80806407691578277194e-2, -9.33259480895457427372e-4)
_NDTRI_P2 = (3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0,
             1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2,
             3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9)
_NDTRI_Q2 = (1.0, 6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0,
             2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4,
             2.89247864745380683936e-6, 6.79019408009981274425e-9)
_EXP_M2 = 0.13533528323661269189  # exp(-2)


def _polevl(x, coeffs):
    """Cephes polevl: coefficients highest power first, in x's dtype."""
    T = x.dtype.type
    out = np.zeros_like(x)
    for c in coeffs:
        out = _fma(out, x, T(c))
    return out


def ndtri(y0: np.ndarray) -> np.ndarray:
    """The inverse of the standard normal CDF (Cephes, torch's calc_ndtri), in y's dtype."""
    T = y0.dtype.type
    one = T(1)
    with np.errstate(all="ignore"):
        upper = y0 > one - T(_EXP_M2)
        y = np.where(upper, one - y0, y0)
        yc = y - T(0.5)
        y2 = yc * yc
        central = (yc + yc * (y2 * _polevl(y2, _NDTRI_P0) / _polevl(y2, _NDTRI_Q0))) * T(
            2.50662827463100050242)
        x = np.sqrt(T(-2) * _libm(np.log, y))
        x0 = x - _libm(np.log, x) / x
        z = one / x
        x1 = np.where(x < T(8), z * _polevl(z, _NDTRI_P1) / _polevl(z, _NDTRI_Q1),
                      z * _polevl(z, _NDTRI_P2) / _polevl(z, _NDTRI_Q2))
        tail = np.where(upper, x0 - x1, -(x0 - x1))
        out = np.where(y > T(_EXP_M2), central, tail)
    out = np.where((y0 < 0) | (y0 > 1), T(np.nan), out)
    out = np.where(y0 == 0, T(-np.inf), out)
    return np.where(y0 == 1, T(np.inf), out)


# ---------------------------------------------------------------------------------------
# erfcx and log_ndtr

_INV_SQRT_PI = 0.56418958354775628694807945156


def _erfcx_positive(a):
    """exp(a^2) erfc(a) for a >= 0 in float64. Below 1.25, the product of the two (a^2 is
    small, so exp loses nothing); up to 28, fdlibm's erfc tail without its exp(-a^2):
    exp(R/S - 0.5625) / a; up to 50, the asymptotic series; above, torch's continued
    fraction (and 1 / (a sqrt(pi)) above 5e7)."""
    out = np.empty_like(a)
    low = a < 1.25
    out[low] = np.exp(a[low] * a[low]) * _erfc64(a[low])
    for mask, num, den in (((a >= 1.25) & (a < 1 / 0.35), _RA, _SA),
                           ((a >= 1 / 0.35) & (a < 28.0), _RB, _SB)):
        b = a[mask]
        out[mask] = np.exp(_rat(1.0 / (b * b), num, den) - 0.5625) / b
    mid = (a >= 28.0) & (a <= 50.0)
    b = a[mid]
    w, term, total = 1.0 / (2.0 * b * b), np.ones_like(b), np.ones_like(b)
    for k in range(1, 9):  # sum (-1)^k (2k-1)!! / (2 a^2)^k, terms below 1e-20 by k = 8
        term = term * -(2 * k - 1) * w
        total = total + term
    out[mid] = _INV_SQRT_PI * total / b
    high = a > 50.0
    b = a[high]
    x2 = b * b
    out[high] = np.where(b > 5e7, _INV_SQRT_PI / b,
                         _INV_SQRT_PI * (x2 * (x2 + 4.5) + 2) / (b * (x2 * (x2 + 5) + 3.75)))
    return out


def erfcx(x: np.ndarray) -> np.ndarray:
    """The scaled complementary error function exp(x^2) erfc(x), torch's calc_erfcx in
    x's dtype: for x < 0, 2 exp(x^2) - erfcx(-x) (just 2 exp(x^2) below -6.1, inf below
    -26.7); for x >= 0, _erfcx_positive in float64, rounded once (torch's values there
    come from Faddeeva's Chebyshev table and continued fraction)."""
    T = x.dtype.type
    out = np.full_like(x, T(np.nan))
    with np.errstate(all="ignore"):
        pos = x >= 0
        out[pos] = _erfcx_positive(x[pos].astype(np.float64)).astype(x.dtype)
        neg = x < 0
        b = x[neg]
        twice = T(2) * _libm(np.exp, b * b)
        rest = _erfcx_positive(-b.astype(np.float64)).astype(x.dtype)
        out[neg] = np.where(b < T(-6.1), twice, twice - rest)
        out[neg & (x < T(-26.7))] = T(np.inf)
    return out


def log_ndtr(x: np.ndarray) -> np.ndarray:
    """log of the standard normal CDF, torch's calc_log_ndtr in x's dtype:
    log(erfcx(-t) / 2) - t^2 below x = -1 (t = x / sqrt 2), else log1p(-erfc(t) / 2)."""
    T = x.dtype.type
    t = x * T(math.sqrt(0.5))
    with np.errstate(all="ignore"):
        low = _libm(np.log, erfcx(-t) / T(2)) - t * t
        high = _libm(np.log1p, -erfc(t) / T(2))
    return np.where(x < T(-1), low, high)

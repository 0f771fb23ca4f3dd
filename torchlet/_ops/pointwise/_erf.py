"""The error function erf(x), vectorised over NumPy arrays (NumPy has none).

This is the classic fdlibm algorithm (Sun Microsystems, 1993; the ``s_erf.c`` of FreeBSD's
msun, musl and glibc, which Python's ``math.erf`` calls), evaluated with whole-array NumPy
operations instead of one C call per element. erf is odd, so everything is computed for
|x| and the sign is put back at the end (this also gives erf(-0.0) = -0.0). The range of |x|
is cut into pieces, each with its own rational approximation, all in float64:

* |x| < 2**-28:       erf(x) = x + efx * x (the first term of the Taylor series,
                      2/sqrt(pi) = 1 + efx).
* |x| < 0.84375:      erf(x) = x + x * P(x^2) / Q(x^2).
* |x| < 1.25:         erf(x) = erx + P1(s) / Q1(s), with s = |x| - 1 and erx = erf(1)
                      rounded to 24 bits (an expansion around 1).
* |x| < 6:            erf(x) = 1 - erfc(x), with the asymptotic form
                      erfc(x) = exp(-x^2 - 0.5625 + R(1/x^2) / S(1/x^2)) / x, using one pair
                      R, S on [1.25, 1/0.35) and another on [1/0.35, 6).
* |x| >= 6 (and inf): erf(x) = 1 in float64.

The published error bound is below 1 ulp. The polynomials are summed in the order glibc
uses (see _pairs), so on Linux the result is bit for bit ``math.erf`` except for about 0.2%
of the points in [1.25, 2.857), which differ by 1 ulp because NumPy's exp is not the C
library's. (torch's own float64 erf differs from math.erf by 1 ulp at a few % of points.)
Narrower float inputs (float32, float16) are computed in float64 and rounded once.
Inputs under _LOOP_BELOW elements simply call math.erf per element: faster at that size.
"""

from __future__ import annotations

import math
import threading

import numpy as np

# erf(1) rounded to single precision (24 bits), so that erx + P1/Q1 adds a small correction
_ERX = 8.45062911510467529297e-01
# 2/sqrt(pi) - 1, and 16 times it (used below 2**-1015, so that efx * x cannot underflow)
_EFX = 1.28379167095512586316e-01
_EFX16 = 16.0 * _EFX

# erf(x) = x + x * PP(z) / QQ(z), z = x^2, on [0, 0.84375); coefficients lowest power first
_PP = (
    1.28379167095512558561e-01,
    -3.25042107247001499370e-01,
    -2.84817495755985104766e-02,
    -5.77027029648944159157e-03,
    -2.37630166566501626084e-05,
)
_QQ = (
    1.0,
    3.97917223959155352819e-01,
    6.50222499887672944485e-02,
    5.08130628187576562776e-03,
    1.32494738004321644526e-04,
    -3.96022827877536812320e-06,
)
# erf(1 + s) = erx + PA(s) / QA(s) on [0.84375, 1.25)
_PA = (
    -2.36211856075265944077e-03,
    4.14856118683748331666e-01,
    -3.72207876035701323847e-01,
    3.18346619901161753674e-01,
    -1.10894694282396677476e-01,
    3.54783043256182359371e-02,
    -2.16637559486879084300e-03,
)
_QA = (
    1.0,
    1.06420880400844228286e-01,
    5.40397917702171048937e-01,
    7.18286544141962662868e-02,
    1.26171219808761642112e-01,
    1.36370839120290507362e-02,
    1.19844998467991074170e-02,
)
# erfc(x) = exp(-x^2 - 0.5625 + RA(s) / SA(s)) / x, s = 1/x^2, on [1.25, 1/0.35)
_RA = (
    -9.86494403484714822705e-03,
    -6.93858572707181764372e-01,
    -1.05586262253232909814e01,
    -6.23753324503260060396e01,
    -1.62396669462573470355e02,
    -1.84605092906711035994e02,
    -8.12874355063065934246e01,
    -9.81432934416914548592e00,
)
_SA = (
    1.0,
    1.96512716674392571292e01,
    1.37657754143519042600e02,
    4.34565877475229228821e02,
    6.45387271733267880336e02,
    4.29008140027567833386e02,
    1.08635005541779435134e02,
    6.57024977031928170135e00,
    -6.04244152148580987438e-02,
)
# the same form on [1/0.35, 6)
_RB = (
    -9.86494292470009928597e-03,
    -7.99283237680523006574e-01,
    -1.77579549177547519889e01,
    -1.60636384855821916062e02,
    -6.37566443368389627722e02,
    -1.02509513161107724954e03,
    -4.83519191608651397019e02,
)
_SB = (
    1.0,
    3.03380607434824582924e01,
    3.25792512996573918826e02,
    1.53672958608443695994e03,
    3.19985821950859553908e03,
    2.55305040643316442583e03,
    4.74528541206955367215e02,
    -2.24409524465858183362e01,
)

# Interval ends. fdlibm tests only the high 32 bits of the double, so each end is the double
# whose low word is zero: 0x3E300000 = 2**-28, 0x00800000 = 2**-1015,
# 0x3FEB0000 = 0.84375, 0x3FF40000 = 1.25, 0x4006DB6E ~ 1/0.35, 0x40180000 = 6.
_TINY = 2.0**-28
_UNDERFLOW = 2.0**-1015
_INV_035 = float(np.uint64(0x4006DB6E00000000).view(np.float64))  # 2.857142925262451
_BOUNDS = (_TINY, 0.84375, 1.25, _INV_035, 6.0)
_HIGH_WORD = np.uint64(0xFFFFFFFF00000000)

# ---------------------------------------------------------------------------------------
# Speed. A NumPy expression allocates a fresh array for every intermediate result; on a
# large input each one streams through main memory and costs page faults. So the input is
# processed in chunks of _CHUNK elements, and every intermediate is written (out=...) into
# rows of a scratch array that each thread allocates once and reuses: the working set stays
# in the CPU cache and no arithmetic operation allocates (3 MiB per thread at most).
_CHUNK = 1 << 15
_LOOP_BELOW = 2048  # smaller inputs use math.erf element by element, see erf()
_ROWS = 12
_local = threading.local()


def _scratch(n):
    """_ROWS float64 rows of length n (n <= _CHUNK), private to this thread."""
    work = getattr(_local, "work", None)
    if work is None or work.shape[1] < n:
        work = _local.work = np.empty((_ROWS, n))
    return list(work[:, :n])


# ---------------------------------------------------------------------------------------
# The pieces. Each computes erf(a) for an array a of |x| values inside its interval, into
# out, using the scratch rows w (all of a's length): rows 0-5 for _rational, 6-8 for the
# pieces themselves, 9-11 for _erf_chunk.


def _pairs(s, coeffs, powers, out, tmp):
    """out = c0 + c1 s + c2 s^2 + ..., summed as glibc does: (c0 + c1 s) + s^2 (c2 + c3 s)
    + s^4 (c4 + c5 s) + ...

    glibc's erf (Python's math.erf on Linux) uses this order rather than Horner's rule;
    the same order here gives the same bits as math.erf for |x| < 1.25.
    """
    np.multiply(s, coeffs[1], out=out)
    out += coeffs[0]
    for k in range(2, len(coeffs), 2):
        if k + 1 < len(coeffs):
            np.multiply(s, coeffs[k + 1], out=tmp)
            tmp += coeffs[k]
            tmp *= powers[k // 2]
        else:
            np.multiply(powers[k // 2], coeffs[k], out=tmp)
        out += tmp


def _rational(s, num, den, out, w):
    """out = num(s) / den(s) for coefficient lists (lowest power first)."""
    s2, s4, s6, s8, denominator, tmp = w[:6]
    np.multiply(s, s, out=s2)
    np.multiply(s2, s2, out=s4)
    degree = max(len(num), len(den)) - 1
    if degree >= 6:
        np.multiply(s4, s2, out=s6)
    if degree >= 8:
        np.multiply(s4, s4, out=s8)
    powers = (None, s2, s4, s6, s8)
    _pairs(s, num, powers, out, tmp)
    _pairs(s, den, powers, denominator, tmp)
    out /= denominator


def _erf_tiny(a, out, w):
    """erf on [0, 2**-28): x + efx * x, the first term of the Taylor series."""
    np.multiply(a, _EFX, out=out)
    out += a
    subnormal = a < _UNDERFLOW
    if subnormal.any():
        # there efx * x would lose bits to underflow: scale by 16 first
        b = a[subnormal]
        out[subnormal] = 0.0625 * (16.0 * b + _EFX16 * b)


def _erf_small(a, out, w):
    """erf on [2**-28, 0.84375): x + x * PP(x^2) / QQ(x^2)."""
    s = w[6]
    np.multiply(a, a, out=s)
    _rational(s, _PP, _QQ, out, w)
    out *= a
    out += a


def _erf_near_one(a, out, w):
    """erf on [0.84375, 1.25): erx + PA(s) / QA(s), s = |x| - 1."""
    s = w[6]
    np.subtract(a, 1.0, out=s)
    _rational(s, _PA, _QA, out, w)
    out += _ERX


def _erf_tail(a, out, w, num, den):
    """erf on [1.25, 6): 1 - exp(-x^2 - 0.5625 + R/S) / x, R/S in s = 1/x^2."""
    s, ratio, z = w[6], w[7], w[8]
    np.multiply(a, a, out=s)
    np.divide(1.0, s, out=s)
    _rational(s, num, den, ratio, w)
    # exp(-x^2) loses accuracy when x^2 is rounded; split x = z + (x - z) where z keeps only
    # the high 21 mantissa bits, so z*z is exact and -x^2 = -z^2 + (z - x)(z + x).
    np.bitwise_and(a.view(np.uint64), _HIGH_WORD, out=z.view(np.uint64))
    np.multiply(z, z, out=out)
    out += 0.5625
    np.negative(out, out=out)
    np.exp(out, out=out)  # exp(-z*z - 0.5625)
    tail = s
    np.subtract(z, a, out=tail)
    z += a
    tail *= z
    tail += ratio
    np.exp(tail, out=tail)  # exp((z - x)(z + x) + R/S)
    out *= tail
    out /= a
    np.subtract(1.0, out, out=out)


def _erf_tail_inner(a, out, w):
    _erf_tail(a, out, w, _RA, _SA)


def _erf_tail_outer(a, out, w):
    _erf_tail(a, out, w, _RB, _SB)


def _erf_saturated(a, out, w):
    """erf on [6, inf] is 1 in float64."""
    out.fill(1.0)


# one function per interval of |x|, in the order of _BOUNDS
_PIECES = (
    _erf_tiny,
    _erf_small,
    _erf_near_one,
    _erf_tail_inner,
    _erf_tail_outer,
    _erf_saturated,
)


def _erf_chunk(x, out):
    """out = erf(x) for a 1-D chunk x (any float dtype) and a float64 out of its length."""
    w = _scratch(x.size)
    a, part_in, part_out = w[9], w[10], w[11]
    np.abs(x, out=a)
    # which interval each element falls in; NaN compares False everywhere, so it lands in
    # the first piece, whose formula passes NaN through
    which = (a >= _BOUNDS[0]).view(np.uint8)
    for bound in _BOUNDS[1:]:
        which += a >= bound
    for i, piece in enumerate(_PIECES):
        idx = np.flatnonzero(which == i)
        if idx.size == a.size:  # a common case: everything in one interval
            piece(a, out, w)
            break
        if idx.size:
            n = idx.size
            np.take(a, idx, out=part_in[:n])
            piece(part_in[:n], part_out[:n], [row[:n] for row in w])
            out[idx] = part_out[:n]
    # erf is odd: the pieces computed erf(|x|); this also makes erf(-0.0) = -0.0
    np.copysign(out, x, out=out)


def _erf_vectorised(flat):
    """erf of a 1-D array as float64, computed chunk by chunk with whole-array operations."""
    res = np.empty(flat.size)
    for start in range(0, flat.size, _CHUNK):
        _erf_chunk(flat[start : start + _CHUNK], res[start : start + _CHUNK])
    return res


def erf(x: np.ndarray) -> np.ndarray:
    """Elementwise error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt.

    Float inputs keep their dtype (float32 and float16 are computed in float64 and rounded
    once); other inputs give float64. erf(nan) = nan, erf(+-inf) = +-1, erf(-0.0) = -0.0.
    """
    x = np.asarray(x)
    out_dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    flat = x.reshape(-1)
    if flat.size < _LOOP_BELOW:
        # The vectorised version costs about a hundred NumPy calls whatever the size; below
        # a couple of thousand elements one call of the C library's erf per element (on
        # Linux the same algorithm, see the module docstring) is faster.
        res = np.fromiter(map(math.erf, flat.tolist()), np.float64, count=flat.size)
    else:
        if flat.dtype.kind != "f":
            flat = flat.astype(np.float64)
        res = _erf_vectorised(flat)
    return res.reshape(x.shape).astype(out_dtype, copy=False)

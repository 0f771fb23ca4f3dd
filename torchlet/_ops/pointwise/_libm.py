"""float32 math functions rounded as torch's: the float64 function, rounded once.

torch's CPU float32 exp, log, sin, tanh, ... (MKL's vector math library, or SLEEF's u10
functions) return the float32 nearest the exact value for ~95-99.9% of inputs. NumPy's
float32 SIMD loops are looser: its float32 exp is an ulp off for ~40% of inputs, log10 for
~25-50%, which shows at torch's print precision (``torch.exp(torch.arange(12.))[-1]``
prints 59874.1406, ``torch.tensor(100.).log10()`` prints 2.). Evaluating NumPy's float64
function (error well under a float32 ulp) and rounding once to float32 gives the nearest
float32 except next to a rounding midpoint, so it agrees with torch wherever torch is
correctly rounded.

Measured against torch 2.13 (AVX512 + MKL), share of float32 results bit-equal to torch
on 20,000 randn * 3 inputs, NumPy's float32 loop -> float64 rounded once:
exp 61 -> 99.0%, expm1 89 -> 99.9, exp2 78 -> 94, log 92 -> 96, log2 94 -> 100,
log10 75 -> 100, log1p 92 -> 99.5, sin 87 -> 95, cos 81 -> 95 (not used: see unary.Sin),
tan 72 -> 83, asin 92 -> 99, acos 91 -> 98, atan 74 -> 93, sinh 88 -> 99.8, cosh 61 -> 99.9,
tanh 68 -> 99.9 (no input range or special value was worse; what is left are torch's
own 1-ulp errors). float16: torch computes in float32 and rounds to half; float64 ->
float32 -> float16 reproduces that for all 65,536 halves but a handful.
"""

from __future__ import annotations

import numpy as np


def rounded_once(fn, a):
    """``fn`` (a NumPy ufunc: np.exp, np.log10, ...) of the array ``a`` in a's dtype.
    float32: computed in float64, rounded once (in place: one float64 temporary).
    float16: as torch, the float32 result rounded to half. float64: ``fn`` itself.
    Always an array, 0-d ones included (a ufunc returns a scalar for those)."""
    if a.dtype == np.float32:
        wide = np.array(a, np.float64)  # (a 0-d array, not a scalar, for a 0-d a)
        fn(wide, out=wide)
        return wide.astype(np.float32)
    if a.dtype == np.float16:
        return rounded_once(fn, a.astype(np.float32)).astype(np.float16)
    return fn(a, out=np.empty_like(a))


def sigmoid(a):
    """torch's sigmoid kernel, ``1 / (1 + exp(-a))`` in a's own dtype (float16 in float32,
    rounded once), with exp rounded once.

    Where exp(-a) overflows to inf (a below about -88.7 in float32, -709.8 in float64)
    the result is 0, not the subnormal the exact function would give. torch's vectorised
    loop (blocks of 32 float32) uses SLEEF's expf_u10, whose result is an ulp off the
    nearest float32 for ~1% of inputs, so ~4% of those sigmoids differ by an ulp; its
    scalar loop (a tensor's last n % 32 elements, hence every element of a small one)
    uses glibc's expf, correctly rounded, which this matches (99.98%). Emulating SLEEF's
    expf bit for bit in NumPy was measured at 15-40x the cost, too much for an
    activation."""
    if a.dtype == np.float16:
        return sigmoid(a.astype(np.float32)).astype(np.float16)
    e = rounded_once(np.exp, np.negative(a, out=np.empty_like(a)))
    e += 1
    return np.reciprocal(e, out=e)

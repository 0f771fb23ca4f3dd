"""Specs for the special functions and the integer/bit helpers
(torchlet/_ops/pointwise/special.py, special_int.py, torchlet/special): erfc, erfinv,
lgamma, digamma, polygamma, mvlgamma, i0, sinc, torch.special's i0e, i1, i1e, ndtr, ndtri,
entr, xlog1py, zeta and the aliases, gcd, lcm, the shifts, nextafter, ldexp, frexp,
positive; functions, Tensor methods, in-place forms, float32/float64/float16, integer
inputs (promoted to the default dtype), broadcasting, empty tensors and special values.

Bit-exact: gcd, lcm, the shifts, nextafter, frexp, positive (integer work, bit
manipulation, with torch's wrap-arounds); i0e and i1e in float32 and float64 (torch's
Chebyshev series, evaluated with the fused multiply-adds torch's build contracts them into);
ldexp by integer exponents; torch.special.round; and float16 (computed in float32 and
rounded once, as torch upcasts Half), except polygamma(n >= 2) and mvlgamma in float16,
which torch rounds to Half at several steps (HALF_ULP: one float16 unit). torch's float16
i0e/i1e are computed in float32 by its SIMD loop but in Half arithmetic by its scalar loop
for the last elements; those specs use 64 elements, all in full SIMD blocks.

Within float rounding (ROUND32: rtol 2e-6, a few float32 ulps; ROUND64: rtol 4e-15, a few
float64 ulps; atol 1e-43 / 1e-300 only, so a subnormal where torch has 0 still fails),
because torch's math library is not NumPy's: erfc (torch runs SLEEF's vectorised erfc,
torchlet fdlibm's), lgamma (glibc's; near its zeros at negative x glibc's extra-precise
lgamma_neg differs from fdlibm's reflection by ~1e-16 absolute: atol 4e-16 there), erfinv
(Newton steps on erf), digamma, polygamma, i0 and i1 (exp), ndtri, entr, xlog1py (log),
sinc (sin), zeta, mvlgamma, ndtr, ldexp by fractional exponents, erfcx and log_ndtr (torch
evaluates erfcx with Faddeeva's Chebyshev table, torchlet with fdlibm's erfc tail; a few
ulps apart). Gradients are torch's
formulas in torchlet operations, compared with the same tolerances (grad_rtol 4e-6 /
1e-14); float16 gradients are not compared (torch rounds them to Half at every step).

torch's own quirks reproduced: ldexp's gradient for an integer exponent e uses the integer
power 2^e (0 for e < 0), so those specs skip gradcheck; nextafter passes the gradient to
self only where self != other; lcm of int8/int16 computes |a / g * b| in int and wraps.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
EXACT = dict(exact=True, grad_rtol=1e-5, grad_atol=1e-6)
ROUND32 = dict(rtol=2e-6, atol=1e-43, grad_rtol=4e-6, grad_atol=1e-43)
ROUND64 = dict(rtol=4e-15, atol=1e-300, grad_rtol=1e-14, grad_atol=1e-300)
HALF = dict(exact=True, grad=False, **NO_GRADCHECK)
HALF_EXACT = HALF
# polygamma(n >= 2) and mvlgamma: torch rounds to Half at several steps (1 unit apart)
HALF_ULP = dict(rtol=1e-3, atol=1e-7, grad=False, **NO_GRADCHECK)
# torch's ldexp backward computes 2^e for an integer e as an integer power (0 for e < 0,
# wrapping past the type's width): its gradient is wrong there, so no gradcheck
INT_EXPONENT = dict(gradcheck=False, gradgradcheck=False)


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def U(*shape, low=-2.0, high=2.0, dtype="float32"):  # noqa: N802
    return A(*shape, dtype=dtype, low=low, high=high)


def N(*shape, dtype=I64, low=-20, high=21):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def _float_specs(name, fn, low, high, f32=ROUND32, f64=ROUND64, f16=HALF, shape=(6, 7), **kw):
    """One function of one tensor in float32, float64 and float16."""
    specs = [
        Spec(f"special_functions/{name}", fn, (U(*shape, low=low, high=high),), **{**f32, **kw}),
        Spec(f"special_functions/{name}/f64", fn, (U(*shape, low=low, high=high, dtype=F64),),
             **{**f64, **kw}),
    ]
    if f16 is not None:
        specs.append(Spec(f"special_functions/{name}/f16", fn,
                          (U(*shape, low=low, high=high, dtype=F16),), **{**f16, **kw}))
    return specs


def _special(name, fn, f32=ROUND32, f64=ROUND64, f16=None):
    """Special values (signed zeros, NaN, +-inf, subnormals, huge numbers)."""
    specs = [Spec(f"special_functions/{name}/special", fn, (S(63),), **f32, **NO_GRADCHECK),
             Spec(f"special_functions/{name}/special/f64", fn, (S(63, dtype=F64),), **f64,
                  **NO_GRADCHECK)]
    if f16 is not None:
        specs.append(Spec(f"special_functions/{name}/special/f16", fn, (S(63, dtype=F16),),
                          **f16))
    return specs


def _ints(name, fn, **kw):
    return Spec(f"special_functions/{name}/int", fn, (N(4, 5, low=1, high=9),), **kw)


SPECS = [
    # erfc: 1 - erf(x) without cancellation
    *_float_specs("erfc", lambda t, x: t.erfc(x), -4.0, 4.0, f16=HALF_EXACT),
    *_special("erfc", lambda t, x: t.erfc(x), f16=HALF_EXACT),
    Spec("special_functions/erfc/tail", lambda t, x: t.erfc(x), (U(40, low=4.0, high=27.0,
                                                                dtype=F64),), **ROUND64),
    Spec("special_functions/erfc/method", lambda t, x: x.erfc(), (U(3, 4),), **ROUND32),
    Spec("special_functions/erfc/inplace", lambda t, x: (x * 1).erfc_(), (U(3, 4),), **ROUND32),
    Spec("special_functions/erfc/top_inplace", lambda t, x: t.erfc_(x * 1), (U(3, 4),),
         **ROUND32),
    Spec("special_functions/erfc/special_ns", lambda t, x: t.special.erfc(x), (U(3, 4),),
         **ROUND32),
    _ints("erfc", lambda t, x: t.erfc(x), **ROUND32),
    Spec("special_functions/erfc/empty", lambda t, x: t.erfc(x), (U(0, 3),), **ROUND32),

    # erfinv: a rational guess and two Newton steps
    *_float_specs("erfinv", lambda t, x: t.erfinv(x), -0.95, 0.95, f16=HALF_EXACT),
    *_special("erfinv", lambda t, x: t.erfinv(x), f16=HALF_EXACT),
    Spec("special_functions/erfinv/method", lambda t, x: x.erfinv(), (A(3, 4, kind="unit"),),
         **ROUND32),
    Spec("special_functions/erfinv/inplace", lambda t, x: (x * 1).erfinv_(),
         (A(3, 4, kind="unit"),), **ROUND32),
    Spec("special_functions/erfinv/special_ns", lambda t, x: t.special.erfinv(x),
         (A(3, 4, kind="unit"),), **ROUND32),
    Spec("special_functions/erfinv/int", lambda t, x: t.erfinv(x), (N(4, 5, low=-1, high=2),),
         exact=True),

    # erfcx = exp(x^2) erfc(x), log_ndtr = log(Phi(x))
    # erfcx's gradient 2 x erfcx(x) - 2 / sqrt(pi) cancels for large x: its rounding error
    # is a few ulps of 2 / sqrt(pi) ~ 1.13, not of the result
    *_float_specs("erfcx", lambda t, x: t.special.erfcx(x), -5.0, 30.0, f16=None,
                  f32=dict(ROUND32, grad_atol=5e-7), f64=dict(ROUND64, grad_atol=1e-15)),
    Spec("special_functions/erfcx/far", lambda t, x: t.special.erfcx(x),
         (U(40, low=30.0, high=1e9, dtype=F64),), **dict(ROUND64, grad_atol=1e-15),
         **NO_GRADCHECK),
    *_special("erfcx", lambda t, x: t.special.erfcx(x), f32=dict(ROUND32, grad_atol=5e-7),
              f64=dict(ROUND64, grad_atol=1e-15)),
    _ints("erfcx", lambda t, x: t.special.erfcx(x), **ROUND32),
    *_float_specs("log_ndtr", lambda t, x: t.special.log_ndtr(x), -40.0, 10.0, f16=None),
    *_special("log_ndtr", lambda t, x: t.special.log_ndtr(x)),
    _ints("log_ndtr", lambda t, x: t.special.log_ndtr(x), **ROUND32),

    # lgamma: log|Gamma(x)|
    *_float_specs("lgamma", lambda t, x: t.lgamma(x), 0.05, 12.0, f16=HALF_EXACT),
    # glibc's lgamma_neg is more precise than fdlibm's reflection near the zeros of lgamma
    *_float_specs("lgamma/negative", lambda t, x: t.lgamma(x), -5.0, 0.0, f16=HALF_EXACT,
                  f64=dict(ROUND64, atol=4e-16)),
    *_special("lgamma", lambda t, x: t.lgamma(x), f16=HALF_EXACT),
    Spec("special_functions/lgamma/large", lambda t, x: t.lgamma(x),
         (U(30, low=10.0, high=1e6, dtype=F64),), **ROUND64),
    Spec("special_functions/lgamma/method", lambda t, x: x.lgamma(), (A(3, 4, kind="positive"),),
         **ROUND32),
    Spec("special_functions/lgamma/inplace", lambda t, x: (x * 1).lgamma_(),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/gammaln", lambda t, x: t.special.gammaln(x),
         (A(3, 4, kind="positive"),), **ROUND32),
    _ints("lgamma", lambda t, x: t.lgamma(x), **ROUND32),

    # digamma = psi
    *_float_specs("digamma", lambda t, x: t.digamma(x), 0.05, 12.0, f16=HALF_EXACT),
    *_float_specs("digamma/negative", lambda t, x: t.digamma(x), -5.0, 0.0, f16=HALF_EXACT),
    *_special("digamma", lambda t, x: t.digamma(x), f16=HALF_EXACT),
    Spec("special_functions/digamma/method", lambda t, x: x.digamma(), (A(3, 4, kind="positive"),),
         **ROUND32),
    Spec("special_functions/digamma/inplace", lambda t, x: (x * 1).digamma_(),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/psi", lambda t, x: t.special.psi(x), (A(3, 4, kind="positive"),),
         **ROUND32),
    Spec("special_functions/special_digamma", lambda t, x: t.special.digamma(x),
         (A(3, 4, kind="positive"),), **ROUND32),
    _ints("digamma", lambda t, x: t.digamma(x), **ROUND32),

    # polygamma(n, x): trigamma for n = 1, (-1)^(n+1) n! zeta(n + 1, x) above
    *_float_specs("polygamma1", lambda t, x: t.polygamma(1, x), 0.1, 6.0, f16=HALF_EXACT),
    *_float_specs("polygamma1/negative", lambda t, x: t.polygamma(1, x), -3.9, -0.1,
                  f16=HALF_EXACT),
    *_float_specs("polygamma2", lambda t, x: t.polygamma(2, x), 0.1, 6.0),
    *_float_specs("polygamma3", lambda t, x: t.polygamma(3, x), 0.2, 6.0, f16=HALF_ULP),
    Spec("special_functions/polygamma0", lambda t, x: t.polygamma(0, x),
         (A(3, 4, kind="positive"),), **ROUND32),
    *_special("polygamma1", lambda t, x: t.polygamma(1, x)),
    *_special("polygamma2", lambda t, x: t.polygamma(2, x)),
    Spec("special_functions/polygamma/method", lambda t, x: x.polygamma(2),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/polygamma/inplace", lambda t, x: (x * 1).polygamma_(1),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/special_polygamma", lambda t, x: t.special.polygamma(3, x),
         (A(3, 4, kind="positive"),), **ROUND32),
    _ints("polygamma", lambda t, x: t.polygamma(2, x), **ROUND32),

    # mvlgamma(x, p) = sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)
    *_float_specs("mvlgamma", lambda t, x: t.mvlgamma(x, 3), 1.2, 6.0, f16=HALF_ULP),
    Spec("special_functions/mvlgamma/p1", lambda t, x: t.mvlgamma(x, 1),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/mvlgamma/method", lambda t, x: x.mvlgamma(2), (U(3, 4, low=1, high=4),),
         **ROUND32),
    Spec("special_functions/mvlgamma/inplace", lambda t, x: (x * 1).mvlgamma_(2),
         (U(3, 4, low=1, high=4),), **ROUND32),
    Spec("special_functions/multigammaln", lambda t, x: t.special.multigammaln(x, 4),
         (U(3, 4, low=2, high=5, dtype=F64),), **ROUND64),
    _ints("mvlgamma", lambda t, x: t.mvlgamma(x, 2), **ROUND32),

    # modified Bessel functions
    *_float_specs("i0", lambda t, x: t.i0(x), -12.0, 12.0, f16=HALF_EXACT),
    *_float_specs("i0e", lambda t, x: t.special.i0e(x), -12.0, 12.0, f16=HALF, shape=(4, 16),
                  f32=dict(EXACT, grad_rtol=2e-5), f64=dict(EXACT, grad_rtol=1e-12)),
    *_float_specs("i1", lambda t, x: t.special.i1(x), -12.0, 12.0, f16=HALF_EXACT),
    *_float_specs("i1e", lambda t, x: t.special.i1e(x), -12.0, 12.0, f16=HALF, shape=(4, 16),
                  f32=dict(EXACT, grad_rtol=2e-5), f64=dict(EXACT, grad_rtol=1e-12)),
    *_special("i0", lambda t, x: t.i0(x)),
    *_special("i0e", lambda t, x: t.special.i0e(x), f32=EXACT, f64=EXACT),
    *_special("i1", lambda t, x: t.special.i1(x)),
    *_special("i1e", lambda t, x: t.special.i1e(x), f32=EXACT, f64=EXACT),
    Spec("special_functions/i1/zero", lambda t, x: t.special.i1(x * 0),
         (U(5, dtype=F64),), **ROUND64),
    Spec("special_functions/i1e/zero", lambda t, x: t.special.i1e(x * 0),
         (U(5, dtype=F64),), **ROUND64),
    Spec("special_functions/i0/method", lambda t, x: x.i0(), (U(3, 4),), **ROUND32),
    Spec("special_functions/i0/inplace", lambda t, x: (x * 1).i0_(), (U(3, 4),), **ROUND32),
    Spec("special_functions/i0/top_inplace", lambda t, x: t.i0_(x * 1), (U(3, 4),), **ROUND32),
    Spec("special_functions/special_i0", lambda t, x: t.special.i0(x), (U(3, 4),), **ROUND32),
    _ints("i0", lambda t, x: t.i0(x), **ROUND32),
    _ints("i1e", lambda t, x: t.special.i1e(x), **EXACT),

    # sinc = sin(pi x) / (pi x)
    *_float_specs("sinc", lambda t, x: t.sinc(x), -3.0, 3.0, f16=HALF_EXACT),
    *_special("sinc", lambda t, x: t.sinc(x), f16=HALF_EXACT),
    # torch's formula is 0/0 at x = 0 (masked to 0): its second derivative is NaN there
    Spec("special_functions/sinc/zero_grad", lambda t, x: t.sinc(x * 0), (U(4, dtype=F64),),
         **ROUND64, gradgradcheck=False),
    Spec("special_functions/sinc/method", lambda t, x: x.sinc(), (U(3, 4),), **ROUND32),
    Spec("special_functions/sinc/inplace", lambda t, x: (x * 1).sinc_(), (U(3, 4),), **ROUND32),
    Spec("special_functions/sinc/top_inplace", lambda t, x: t.sinc_(x * 1), (U(3, 4),),
         **ROUND32),
    Spec("special_functions/special_sinc", lambda t, x: t.special.sinc(x), (U(3, 4),),
         **ROUND32),
    _ints("sinc", lambda t, x: t.sinc(x), **ROUND32),

    # ndtri, ndtr, entr, xlog1py
    *_float_specs("ndtri", lambda t, x: t.special.ndtri(x), 0.001, 0.999, f16=None),
    # finite differences with a step of 1e-6 cross 0 there: no gradcheck
    Spec("special_functions/ndtri/tails", lambda t, x: t.special.ndtri(x),
         (U(30, low=1e-20, high=1e-3, dtype=F64),), **ROUND64, **NO_GRADCHECK),
    *_special("ndtri", lambda t, x: t.special.ndtri(x)),
    *_float_specs("ndtr", lambda t, x: t.special.ndtr(x), -5.0, 5.0),
    _ints("ndtr", lambda t, x: t.special.ndtr(x), **ROUND32),
    *_float_specs("entr", lambda t, x: t.special.entr(x), 0.01, 4.0, f16=HALF_EXACT),
    *_special("entr", lambda t, x: t.special.entr(x), f16=HALF_EXACT),
    Spec("special_functions/xlog1py", lambda t, x, y: t.special.xlog1py(x, y),
         (U(5, 8), U(5, 8, low=-0.9, high=3.0)), **ROUND32),
    Spec("special_functions/xlog1py/f64", lambda t, x, y: t.special.xlog1py(x, y),
         (U(5, 8, dtype=F64), U(5, 8, low=-0.9, high=3.0, dtype=F64)), **ROUND64),
    Spec("special_functions/xlog1py/broadcast", lambda t, x, y: t.special.xlog1py(x, y),
         (U(5, 1), U(8, low=-0.9, high=3.0)), **ROUND32),
    Spec("special_functions/xlog1py/numbers", lambda t, x: (t.special.xlog1py(x, 2.5),
                                                           t.special.xlog1py(3, x)),
         (U(5, 8, low=-0.9, high=3.0),), **dict(ROUND32, grad_atol=1e-7)),  # a summed gradient
    Spec("special_functions/xlog1py/f16", lambda t, x, y: t.special.xlog1py(x, y),
         (U(5, 8, dtype=F16), U(5, 8, low=-0.9, high=3.0, dtype=F16)), **HALF),
    Spec("special_functions/xlog1py/special", lambda t, x, y: t.special.xlog1py(x, y),
         (S(63), S(63)), **ROUND32, **NO_GRADCHECK),

    # Hurwitz zeta: a gradient in q only
    Spec("special_functions/zeta", lambda t, x, q: t.special.zeta(x, q),
         (A(5, 6, low=1.5, high=6.0, grad=False), U(5, 6, low=0.3, high=4.0)), **ROUND32),
    Spec("special_functions/zeta/f64", lambda t, x, q: t.special.zeta(x, q),
         (A(5, 6, low=1.5, high=6.0, dtype=F64, grad=False), U(5, 6, low=0.3, high=4.0,
                                                              dtype=F64)), **ROUND64),
    Spec("special_functions/zeta/negative_q", lambda t, x, q: t.special.zeta(x.round(), q),
         (A(5, 6, low=2.0, high=6.0, dtype=F64, grad=False),
          U(5, 6, low=-3.0, high=-0.1, dtype=F64)), **ROUND64, **NO_GRADCHECK),
    Spec("special_functions/zeta/numbers", lambda t, q: (t.special.zeta(2.5, q),
                                                        t.special.zeta(q.detach() + 1, 2.0)),
         (U(5, 6, low=0.3, high=4.0),), **ROUND32),
    Spec("special_functions/zeta/special", lambda t, x, q: t.special.zeta(x, q),
         (S(63, dtype=F64), S(63, dtype=F64)), **ROUND64, grad=False),

    Spec("special_functions/zeta/broadcast", lambda t, x, q: t.special.zeta(x, q),
         (A(5, 1, low=1.5, high=6.0, dtype=F64, grad=False), U(6, low=0.3, high=4.0,
                                                              dtype=F64)), **ROUND64),

    # empty inputs
    Spec("special_functions/empty", lambda t, x: (
        t.lgamma(x), t.digamma(x), t.polygamma(2, x), t.mvlgamma(x, 2), t.erfinv(x),
        t.i0(x), t.special.i1e(x), t.sinc(x), t.special.ndtri(x), t.special.erfcx(x),
        t.special.log_ndtr(x), t.special.zeta(x.detach() + 2, x), t.special.xlog1py(x, x)),
         (U(0, 3),), **ROUND32),
    Spec("special_functions/empty/ints", lambda t, x, y: (t.gcd(x, y), t.lcm(x, y), x << y,
                                                         x >> y),
         (N(0, 3), N(3)), exact=True),

    # the torch.special aliases of existing operations
    Spec("special_functions/expit", lambda t, x: t.special.expit(x), (U(3, 4),), **ROUND32),
    Spec("special_functions/special_logit", lambda t, x: t.special.logit(x, eps=1e-6),
         (U(3, 4, low=0.1, high=0.9),), **ROUND32),
    Spec("special_functions/special_exp2", lambda t, x: t.special.exp2(x), (U(3, 4),),
         **ROUND32),
    Spec("special_functions/special_expm1", lambda t, x: t.special.expm1(x), (U(3, 4),),
         **ROUND32),
    Spec("special_functions/special_log1p", lambda t, x: t.special.log1p(x),
         (A(3, 4, kind="positive"),), **ROUND32),
    Spec("special_functions/special_erf", lambda t, x: t.special.erf(x), (U(3, 4),), **ROUND32),
    Spec("special_functions/special_xlogy", lambda t, x, y: t.special.xlogy(x, y),
         (U(3, 4), A(3, 4, kind="positive")), **ROUND32),
    Spec("special_functions/special_round", lambda t, x: (t.special.round(x * 3),
                                                         t.special.round(x, decimals=1)),
         (U(3, 4),), **EXACT),
    Spec("special_functions/special_logsumexp",
         lambda t, x: t.special.logsumexp(x, 1, keepdim=True), (U(3, 4),), **ROUND32),
    Spec("special_functions/special_softmax", lambda t, x: t.special.softmax(x, -1),
         (U(3, 4),), **ROUND32),
    Spec("special_functions/special_log_softmax",
         lambda t, x: t.special.log_softmax(x, 0, dtype=t.float64), (U(3, 4),), **ROUND64),

    # integer helpers: exact
    Spec("special_functions/gcd", lambda t, x, y: t.gcd(x, y), (N(6, 7), N(6, 7)), exact=True),
    Spec("special_functions/lcm", lambda t, x, y: t.lcm(x, y), (N(6, 7), N(6, 7)), exact=True),
    Spec("special_functions/gcd/int8_broadcast", lambda t, x, y: (t.gcd(x, y), t.lcm(x, y)),
         (N(6, 1, dtype="int8", low=-128, high=128), N(7, dtype="int8", low=-128, high=128)),
         exact=True),
    Spec("special_functions/gcd/uint8", lambda t, x, y: (x.gcd(y), x.lcm(y)),
         (N(6, 7, dtype="uint8", low=0, high=256), N(6, 7, dtype="uint8", low=0, high=256)),
         exact=True),
    Spec("special_functions/gcd/mixed", lambda t, x, y: t.gcd(x, y),
         (N(6, 7, dtype="int32"), N(6, 7, dtype="int16")), exact=True),
    Spec("special_functions/gcd/inplace", lambda t, x, y: (x.clone().gcd_(y),
                                                          t.lcm_(x.clone(), y)),
         (N(6, 7), N(7)), exact=True),
    Spec("special_functions/shifts", lambda t, x, y: (t.bitwise_left_shift(x, y),
                                                     t.bitwise_right_shift(x, y), x << y, x >> y),
         (N(6, 7, low=-1000, high=1000), N(6, 7, low=-3, high=70)), exact=True),
    Spec("special_functions/shifts/int8", lambda t, x, y: (x << y, x >> y),
         (N(6, 7, dtype="int8", low=-128, high=128), N(6, 7, dtype="int8", low=-3, high=12)),
         exact=True),
    Spec("special_functions/shifts/uint8", lambda t, x, y: (x << y, x >> y),
         (N(6, 7, dtype="uint8", low=0, high=256), N(6, 7, dtype="uint8", low=0, high=256)),
         exact=True),
    Spec("special_functions/shifts/numbers", lambda t, x: (x << 3, x >> 2, 5 << x.abs() % 8,
                                                          100 >> x.abs() % 8),
         (N(6, 7),), exact=True),
    Spec("special_functions/shifts/inplace", lambda t, x, y: (x.clone().bitwise_left_shift_(y),
                                                             x.clone().bitwise_right_shift_(y),
                                                             x.clone().__ilshift__(y),
                                                             x.clone().__irshift__(3)),
         (N(6, 7, dtype="int32"), N(7, dtype="int32", low=0, high=40)), exact=True),
    Spec("special_functions/nextafter", lambda t, x, y: (t.nextafter(x, y), x.nextafter(x * 0)),
         (U(6, 7), U(6, 7)), exact=True),
    Spec("special_functions/nextafter/special", lambda t, x, y: t.nextafter(x, y),
         (S(63, dtype=F64), S(63, dtype=F64)), exact=True, **NO_GRADCHECK),
    Spec("special_functions/nextafter/f16", lambda t, x, y: t.nextafter(x, y),
         (S(63, dtype=F16), S(63, dtype=F16)), **HALF_EXACT),
    Spec("special_functions/ldexp", lambda t, x, e: t.ldexp(x, e),
         (U(6, 7), N(6, 7)), **EXACT, **INT_EXPONENT),
    Spec("special_functions/ldexp/f64", lambda t, x, e: t.ldexp(x, e),
         (U(6, 7, dtype=F64), N(7, low=-1100, high=1100)), exact=True, **INT_EXPONENT),
    Spec("special_functions/ldexp/float_exponent", lambda t, x, e: x.ldexp(e),
         (U(6, 7), U(6, 7, low=-3, high=3)), **ROUND32),
    Spec("special_functions/ldexp/f16", lambda t, x, e: t.ldexp(x, e),
         (U(6, 7, dtype=F16), N(6, 7)), **HALF_EXACT),
    Spec("special_functions/ldexp/ints", lambda t, x, e: t.ldexp(x, e),
         (N(6, 7, dtype="int32"), N(6, 7, dtype="int8", low=-5, high=5)), exact=True),
    Spec("special_functions/ldexp/inplace", lambda t, x, e: (x * 1).ldexp_(e),
         (U(6, 7, dtype=F64), N(7)), **ROUND64, **INT_EXPONENT),
    Spec("special_functions/frexp", lambda t, x: tuple(t.frexp(x)), (U(6, 7, low=-1e4, high=1e4),),
         **EXACT),
    Spec("special_functions/frexp/special", lambda t, x: tuple(x.frexp()), (S(63, dtype=F64),),
         exact=True, **NO_GRADCHECK),
    Spec("special_functions/frexp/f16", lambda t, x: tuple(t.frexp(x)), (S(63, dtype=F16),),
         **HALF_EXACT),
    Spec("special_functions/positive", lambda t, x, n: (t.positive(x), n.positive()),
         (U(3, 4), N(3, 4)), **EXACT),
]


def _ones(t, n, dtype=None):
    return t.ones(n, dtype=dtype)


ERROR_SPECS = [
    ErrorSpec("special_functions/err/polygamma_negative_n", lambda t: t.polygamma(-1, _ones(t, 3)),
              match="negative n"),
    ErrorSpec("special_functions/err/polygamma_float_n", lambda t: t.polygamma(1.5, _ones(t, 3))),
    ErrorSpec("special_functions/err/mvlgamma_p0", lambda t: t.mvlgamma(_ones(t, 3), 0),
              match="greater than or equal to 1"),
    ErrorSpec("special_functions/err/mvlgamma_bool", lambda t: t.mvlgamma(_ones(t, 3, t.bool), 1),
              match="boolean"),
    ErrorSpec("special_functions/err/erfc_number", lambda t: t.erfc(1.0)),
    ErrorSpec("special_functions/err/erfc_inplace_int",
              lambda t: _ones(t, 3, t.int64).erfc_(), match="can't be cast"),
    ErrorSpec("special_functions/err/ndtri_half", lambda t: t.special.ndtri(_ones(t, 3, t.float16)),
              match="ndtri"),
    ErrorSpec("special_functions/err/erfcx_half",
              lambda t: t.special.erfcx(_ones(t, 3, t.float16)), match="erfcx"),
    ErrorSpec("special_functions/err/log_ndtr_half",
              lambda t: t.special.log_ndtr(_ones(t, 3, t.float16)), match="log_ndtr"),
    ErrorSpec("special_functions/err/zeta_half",
              lambda t: t.special.zeta(_ones(t, 3, t.float16), _ones(t, 3, t.float16))),
    ErrorSpec("special_functions/err/zeta_numbers", lambda t: t.special.zeta(2, 3)),
    ErrorSpec("special_functions/err/zeta_grad_x",
              lambda t: t.special.zeta(_ones(t, 3).requires_grad_() + 1, _ones(t, 3))
              .sum().backward(), match="not implemented"),
    ErrorSpec("special_functions/err/gcd_float", lambda t: t.gcd(_ones(t, 3), _ones(t, 3)),
              match="gcd_cpu"),
    ErrorSpec("special_functions/err/lcm_bool",
              lambda t: t.lcm(_ones(t, 3, t.bool), _ones(t, 3, t.bool)), match="lcm_cpu"),
    ErrorSpec("special_functions/err/gcd_number", lambda t: t.gcd(_ones(t, 3, t.int64), 6)),
    ErrorSpec("special_functions/err/lshift_float", lambda t: _ones(t, 3) << 1, match="lshift"),
    ErrorSpec("special_functions/err/rshift_bool",
              lambda t: t.bitwise_right_shift(_ones(t, 3, t.bool), _ones(t, 3, t.bool))),
    ErrorSpec("special_functions/err/lshift_float_number", lambda t: _ones(t, 3, t.int64) << 1.5),
    ErrorSpec("special_functions/err/nextafter_int",
              lambda t: t.nextafter(_ones(t, 3, t.int64), _ones(t, 3, t.int64))),
    ErrorSpec("special_functions/err/nextafter_number", lambda t: t.nextafter(_ones(t, 3), 2.0)),
    ErrorSpec("special_functions/err/ldexp_number", lambda t: t.ldexp(_ones(t, 3), 2)),
    ErrorSpec("special_functions/err/frexp_int", lambda t: t.frexp(_ones(t, 3, t.int64)),
              match="floating-point"),
    ErrorSpec("special_functions/err/positive_bool", lambda t: t.positive(_ones(t, 3, t.bool)),
              match="bool tensor"),
    ErrorSpec("special_functions/err/sinc_out_requires_grad",
              lambda t: t.sinc(_ones(t, 3).requires_grad_(), out=_ones(t, 3)),
              match="out="),
]



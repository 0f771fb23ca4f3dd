"""Specs at special values for the elementwise operations (torchlet/_ops/pointwise) and
cumsum: ``kind="special"`` inputs (tests/opspec.py: signed zeros, NaN, +-inf, subnormals,
1e30, in a seeded order), in float32 and float64, some in float16. Outputs must match
torch's NaNs and the sign of its zeros (opspec.compare checks both).

What these pin down, each torch's own formula: relu(-0.0) = -0.0 and a NaN gets relu's
gradient; clamp keeps x on a tie with a bound; maximum/minimum give a NaN's gradient to both
inputs; sign(NaN) = 0 and abs'(NaN) = 0; sigmoid = 1 / (1 + exp(-x)) is 0 where exp(-x)
overflows; remainder's zero keeps the sign of x; x ** 0.5 and x ** -0.5 are sqrt and
1 / sqrt; cumsum starts from +0.0; lerp rounds once (a fused multiply-add); float16 times a
Python number is computed in float32.

Avoided on purpose, because torch's own answer depends on where the element sits (its SIMD
loop takes blocks of 16 float32, its scalar loop the rest): ties of -0.0 with 0.0 between
two tensors in maximum/minimum/clamp (SIMD: the second, scalar: the first) and fmod or
remainder of two tensors whose quotient overflows (SIMD: NaN). The second operands of those
specs are ordinary numbers.

Tolerances: exact where torch's kernel is exact (selections, clamps, + - * /, 1 / sqrt,
fused multiply-add, rounding; not sqrt, see pow/0.5); otherwise a few float32 ulps
(ROUND32) with an absolute tolerance of 1e-43 only, so a subnormal where torch has 0 still
fails. No gradcheck: finite differences mean nothing at NaN and inf.
"""

import math

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"

NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0, **NO_GRADCHECK)
ROUND32 = dict(rtol=2e-6, atol=1e-43, grad_rtol=1e-4, grad_atol=1e-43, **NO_GRADCHECK)
ROUND64 = dict(rtol=1e-12, atol=1e-300, grad_rtol=1e-10, grad_atol=1e-300, **NO_GRADCHECK)
ROUND16 = dict(rtol=1e-3, atol=0.0, grad_rtol=1e-3, grad_atol=0.0, **NO_GRADCHECK)


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def U(*shape, dtype="float32", low=-2.0, high=2.0):  # noqa: N802 - an ordinary input
    return A(*shape, dtype=dtype, low=low, high=high)


def _both(name, fn, exact=False, extra=(), shape=(21,), **kw):
    """The spec in float32 and float64 (``name`` and ``name/f64``); ``extra`` are further
    (ordinary) inputs, given as functions of the dtype."""
    tol32, tol64 = (EXACT, EXACT) if exact else (ROUND32, ROUND64)
    return [Spec(f"special_pointwise/{name}", fn, (S(*shape), *(e("float32") for e in extra)),
                 **{**tol32, **kw}),
            Spec(f"special_pointwise/{name}/f64", fn,
                 (S(*shape, dtype=F64), *(e(F64) for e in extra)), **{**tol64, **kw})]


def _half(name, fn, exact=False, **kw):
    return Spec(f"special_pointwise/{name}/f16", fn, (S(21, dtype=F16),),
                **{**(EXACT if exact else ROUND16), **kw})


def _ordinary(dtype):
    return U(21, dtype=dtype)


def _positive(dtype):
    return U(21, dtype=dtype, low=0.5, high=3.0)


SPECS = [
    # relu: x < 0 ? 0 : x forward, out <= 0 ? 0 : grad backward
    *_both("relu", lambda t, x: t.relu(x), exact=True),
    *_both("relu/method", lambda t, x: x.relu(), exact=True),
    *_both("relu/F", lambda t, x: t.nn.functional.relu(x), exact=True),
    *_both("relu/F_inplace", lambda t, x: t.nn.functional.relu(x * 1, inplace=True), exact=True),
    *_both("relu/inplace", lambda t, x: (x * 1).relu_(), exact=True),
    *_both("relu/large", lambda t, x: t.relu(x), exact=True, shape=(64, 70)),  # fast paths
    _half("relu", lambda t, x: t.relu(x), exact=True),
    # clamp with numbers: x kept on a tie with a bound; a NaN bound makes everything NaN
    *_both("clamp/min0", lambda t, x: t.clamp(x, min=0), exact=True),
    *_both("clamp/min_neg0", lambda t, x: t.clamp(x, min=-0.0), exact=True),
    *_both("clamp/max0", lambda t, x: t.clamp(x, max=0.0), exact=True),
    *_both("clamp_min", lambda t, x: t.clamp_min(x, 0.0), exact=True),
    *_both("clamp_max", lambda t, x: x.clamp_max(-0.0), exact=True),
    *_both("clamp/0_6", lambda t, x: t.clamp(x, 0, 6), exact=True),
    *_both("clamp/-1_1", lambda t, x: x.clamp(-1.0, 1.0), exact=True),
    *_both("clamp/reversed", lambda t, x: t.clamp(x, 2.0, -1.0), exact=True),
    *_both("clamp/nan_min", lambda t, x: t.clamp(x, min=math.nan), exact=True),
    *_both("clamp/nan_max", lambda t, x: t.clamp(x, 0.0, math.nan), exact=True),
    *_both("clamp/inplace", lambda t, x: (x * 1).clamp_(min=0.0), exact=True),
    _half("clamp/min0", lambda t, x: t.clamp(x, min=0), exact=True),
    # clamp with tensor bounds (ordinary numbers: no signed-zero ties, see above)
    *_both("clamp/tensor", lambda t, x, lo, hi: t.clamp(x, lo, lo + hi), exact=True,
           extra=(_ordinary, _positive)),
    *_both("clamp/tensor_min", lambda t, x, lo: t.clamp(x, min=lo), exact=True,
           extra=(_ordinary,)),
    *_both("clamp/tensor_reversed", lambda t, x, lo: t.clamp(x, lo, lo - 1), exact=True,
           extra=(_ordinary,)),
    # maximum/minimum: a NaN on either side gives both sides the gradient
    *_both("maximum", lambda t, x, y: t.maximum(x, y), exact=True, extra=(_ordinary,)),
    *_both("maximum/swapped", lambda t, x, y: t.maximum(y, x), exact=True, extra=(_ordinary,)),
    *_both("minimum", lambda t, x, y: t.minimum(x, y), exact=True, extra=(_ordinary,)),
    *_both("maximum/ties", lambda t, x: t.maximum(x, x.detach() * 1), exact=True),
    *_both("minimum/flip", lambda t, x: t.minimum(x, x.flip(0).abs() + 1), exact=True),
    _half("maximum", lambda t, x: t.maximum(x, t.zeros_like(x) + 0.5), exact=True),
    # abs, sign, sgn, signbit
    *_both("abs", lambda t, x: t.abs(x), exact=True),
    *_both("neg", lambda t, x: -x, exact=True),
    *_both("sign", lambda t, x: t.sign(x), exact=True),
    *_both("sign/method", lambda t, x: x.sign(), exact=True),
    # torch's sgn gradient is a ZeroTensor (no .numpy()): compare values and dtypes only
    *_both("sgn", lambda t, x: t.sgn(x), exact=True, grad=False),
    *_both("sgn/method", lambda t, x: x.sgn(), exact=True, grad=False),
    *_both("signbit", lambda t, x: t.signbit(x), exact=True),
    *_both("signbit/method", lambda t, x: x.signbit(), exact=True),
    Spec("special_pointwise/signbit/int", lambda t, x: t.signbit(x),
         (A(9, dtype="int64", kind="int", low=-5, high=5),), **EXACT),
    Spec("special_pointwise/signbit/bool", lambda t, x: t.signbit(x),
         (A(5, dtype="bool", kind="bool"),), **EXACT),
    Spec("special_pointwise/sgn/int", lambda t, x: t.sgn(x),
         (A(9, dtype="int64", kind="int", low=-5, high=5),), **EXACT),
    # sigmoid: 1 / (1 + exp(-x)) in the input's dtype, 0 where exp(-x) overflows
    *_both("sigmoid", lambda t, x: t.sigmoid(x)),
    Spec("special_pointwise/sigmoid/range", lambda t, x: t.sigmoid(x),
         (U(400, low=-110.0, high=110.0),), **ROUND32),
    Spec("special_pointwise/sigmoid/range/f64", lambda t, x: t.sigmoid(x),
         (U(400, dtype=F64, low=-760.0, high=40.0),), **ROUND64),
    _half("sigmoid", lambda t, x: t.sigmoid(x), grad_rtol=0.0, grad_atol=0.0),
    Spec("special_pointwise/sigmoid/range/f16", lambda t, x: t.sigmoid(x),
         (U(400, dtype=F16, low=-20.0, high=20.0),), **ROUND16),
    _half("tanh", lambda t, x: t.tanh(x), grad_rtol=0.0, grad_atol=0.0),
    # remainder: r = fmod(x, y), moved by y if the signs differ; a zero keeps x's sign
    *_both("remainder/1.5", lambda t, x: t.remainder(x, 1.5), exact=True),
    *_both("remainder/-1.5", lambda t, x: t.remainder(x, -1.5), exact=True),
    *_both("remainder/operator", lambda t, x: x % 2.0, exact=True),
    *_both("remainder/inf", lambda t, x: x % math.inf, exact=True),
    *_both("remainder/tensor", lambda t, x, y: x % y, exact=True, extra=(_positive,)),
    *_both("remainder/tensor_neg", lambda t, x, y: t.remainder(x, -y), exact=True,
           extra=(_positive,)),
    Spec("special_pointwise/remainder/number", lambda t, y: 3.0 % y, (U(21, low=-3, high=3),),
         exact=True, grad=False),
    _half("remainder", lambda t, x: x % 1.5, exact=True),
    *_both("fmod/1.5", lambda t, x: t.fmod(x, 1.5), exact=True),
    *_both("fmod/tensor", lambda t, x, y: t.fmod(x, y), exact=True, extra=(_positive,)),
    # pow: torch's fast kernels for 0.5, -0.5, -1, 2, 3, -2 (and their special values). The
    # gradients of -0.5 and -2 use pow(x, -1.5) and pow(x, -3): libm's pow against torch's,
    # an ulp apart. torch's sqrt is not always correctly rounded (float64 sqrt(1e-20) is
    # 9.999999999999999e-11, the correctly rounded 1e-10), so sqrt is within an ulp.
    *_both("pow/0.5", lambda t, x: x ** 0.5),
    *_both("pow/-0.5", lambda t, x: x ** -0.5, exact=True, grad_rtol=1e-6),
    *_both("pow/-1", lambda t, x: t.pow(x, -1), exact=True),
    *_both("pow/2", lambda t, x: x ** 2, exact=True),
    *_both("pow/3", lambda t, x: x ** 3, exact=True),
    *_both("pow/-2", lambda t, x: x ** -2.0, exact=True, grad_rtol=1e-6),
    *_both("pow/0", lambda t, x: x ** 0, exact=True),
    *_both("pow/1", lambda t, x: x ** 1, exact=True),
    *_both("pow/1.5", lambda t, x: x ** 1.5),
    *_both("pow/-3", lambda t, x: x ** -3),
    *_both("sqrt", lambda t, x: t.sqrt(x)),
    *_both("rsqrt", lambda t, x: t.rsqrt(x), exact=True),
    _half("pow/0.5", lambda t, x: x ** 0.5),
    _half("pow/1.5", lambda t, x: x ** 1.5),
    *_both("pow/tensor", lambda t, x, y: x ** y, extra=(_ordinary,)),
    *_both("pow/tensor_exponent", lambda t, x, y: y.abs() ** x, extra=(_ordinary,)),
    *_both("pow/scalar_base", lambda t, x: 2.0 ** x),
    *_both("pow/zero_base", lambda t, x: 0.0 ** x, exact=True),
    # division: torch's backward -grad * ((a / b) / b), no b * b to underflow
    *_both("div", lambda t, x, y: x / y, exact=True, extra=(_ordinary,)),
    *_both("div/by_special", lambda t, x, y: y / x, exact=True, extra=(_ordinary,)),
    *_both("div/number", lambda t, x: 2.0 / x, exact=True),
    *_both("div/trunc", lambda t, x, y: t.div(x, y, rounding_mode="trunc"), exact=True,
           extra=(_ordinary,), grad=False),
    *_both("div/floor", lambda t, x, y: t.div(y, x, rounding_mode="floor"), exact=True,
           extra=(_ordinary,), grad=False),
    *_both("floor_divide", lambda t, x: x // 0.7, exact=True, grad=False),
    *_both("mul", lambda t, x, y: x * y, exact=True, extra=(_ordinary,)),
    *_both("add", lambda t, x: x + x.flip(0), exact=True),
    _half("mul/number", lambda t, x: x * 0.1, exact=True),
    _half("div/number", lambda t, x: x / 3.0, exact=True),
    _half("rdiv/number", lambda t, x: 0.1 / x, exact=True),
    # atan2: the gradient's 1 / (a^2 + b^2) is taken as 0 where a^2 + b^2 is 0
    *_both("atan2", lambda t, x: t.atan2(x, x.flip(0))),
    *_both("atan2/zeros", lambda t, x: t.atan2(x, x * 0)),
    # lerp: from the nearer end, rounded once
    *_both("lerp/0.3", lambda t, x: t.lerp(x, x.flip(0), 0.3), exact=True),
    *_both("lerp/0.7", lambda t, x: t.lerp(x, x.flip(0), 0.7), exact=True),
    *_both("lerp/ordinary", lambda t, x, y: t.lerp(y, x, 0.6), exact=True, extra=(_ordinary,)),
    *_both("lerp/tensor", lambda t, x, y: t.lerp(x, x.flip(0), y), exact=True,
           extra=(_ordinary,)),
    _half("lerp", lambda t, x: t.lerp(x, x.flip(0), 0.3), exact=True),
    # cumsum starts from +0.0
    *_both("cumsum", lambda t, x: t.cumsum(x, 0), exact=True),
    *_both("cumsum/2d", lambda t, x: x.cumsum(1), exact=True, shape=(3, 7)),
    _half("cumsum", lambda t, x: t.cumsum(x, 0), exact=True),
    # rounding, selection, replacement: exact
    *_both("floor", lambda t, x: t.floor(x), exact=True),
    *_both("ceil", lambda t, x: t.ceil(x), exact=True),
    *_both("round", lambda t, x: t.round(x), exact=True),
    *_both("round/decimals", lambda t, x: t.round(x, decimals=2), exact=True),
    *_both("round/neg_decimals", lambda t, x: t.round(x, decimals=-1), exact=True),
    _half("round/decimals", lambda t, x: t.round(x, decimals=1), exact=True),
    *_both("trunc", lambda t, x: t.trunc(x), exact=True),
    *_both("frac", lambda t, x: t.frac(x), exact=True),
    *_both("reciprocal", lambda t, x: t.reciprocal(x), exact=True),
    *_both("square", lambda t, x: t.square(x), exact=True),
    *_both("nan_to_num", lambda t, x: t.nan_to_num(x), exact=True),
    *_both("nan_to_num/values", lambda t, x: t.nan_to_num(x, 1.0, 2.0, -3.0), exact=True),
    *_both("where", lambda t, x: t.where(x > 0, x, -x), exact=True),
    # comparisons and logical operations (bool results)
    *_both("eq", lambda t, x: x == x.flip(0), exact=True),
    *_both("ne", lambda t, x: x != x, exact=True),
    *_both("lt", lambda t, x: x < x.flip(0), exact=True),
    *_both("le", lambda t, x: x <= 0, exact=True),
    *_both("gt", lambda t, x: t.gt(x, -0.0), exact=True),
    *_both("ge", lambda t, x: x >= x.flip(0), exact=True),
    *_both("isclose", lambda t, x: t.isclose(x, x.flip(0)), exact=True),
    *_both("isclose/equal_nan", lambda t, x: t.isclose(x, x, equal_nan=True), exact=True),
    *_both("isclose/tol", lambda t, x: t.isclose(x, x.flip(0), rtol=0.5, atol=1.0),
           exact=True),
    *_both("isnan", lambda t, x: t.isnan(x), exact=True),
    *_both("isinf", lambda t, x: t.isinf(x), exact=True),
    *_both("isfinite", lambda t, x: t.isfinite(x), exact=True),
    *_both("logical_and", lambda t, x: t.logical_and(x, x.flip(0)), exact=True),
    *_both("logical_or", lambda t, x: t.logical_or(x, x.flip(0)), exact=True),
    *_both("logical_xor", lambda t, x: t.logical_xor(x, x.flip(0)), exact=True),
    *_both("logical_not", lambda t, x: t.logical_not(x), exact=True),
    # exp, log and trigonometric families: within float rounding (libm vs Sleef)
    *_both("exp", lambda t, x: t.exp(x)),
    *_both("exp2", lambda t, x: t.exp2(x)),
    *_both("expm1", lambda t, x: t.expm1(x)),
    *_both("log", lambda t, x: t.log(x)),
    *_both("log2", lambda t, x: t.log2(x)),
    *_both("log10", lambda t, x: t.log10(x)),
    *_both("log1p", lambda t, x: t.log1p(x)),
    *_both("sin", lambda t, x: t.sin(x)),
    *_both("cos", lambda t, x: t.cos(x)),
    *_both("tan", lambda t, x: t.tan(x)),
    *_both("asin", lambda t, x: t.asin(x)),
    *_both("acos", lambda t, x: t.acos(x)),
    *_both("atan", lambda t, x: t.atan(x)),
    *_both("sinh", lambda t, x: t.sinh(x)),
    *_both("cosh", lambda t, x: t.cosh(x)),
    *_both("tanh", lambda t, x: t.tanh(x)),
    *_both("erf", lambda t, x: t.erf(x)),
    _half("exp2", lambda t, x: t.exp2(x)),
    _half("log2", lambda t, x: t.log2(x)),
]

ERROR_SPECS = [
    ErrorSpec("special_pointwise/err/sgn_number", lambda t: t.sgn(3.0)),
    ErrorSpec("special_pointwise/err/signbit_list", lambda t: t.signbit([1.0])),
    ErrorSpec("special_pointwise/err/remainder_number_backward",
              lambda t: (1.5 % t.tensor([1.0, 2.0], requires_grad=True)).sum().backward(),
              match="derivative for aten::remainder is not implemented"),
]

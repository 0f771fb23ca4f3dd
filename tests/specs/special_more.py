"""Specs for the rest of torch.special (torchlet/_ops/pointwise/special_bessel_more.py,
special_polynomials.py, special_gamma_inc.py): the Bessel and Airy functions, the
orthogonal polynomials, and gammainc / gammaincc with torch.igamma / torch.igammac, their
Tensor methods and in-place forms; float32/float64 (float16 for igamma), integer inputs,
broadcasting, Python numbers, empty tensors and special values.

Bit-exact: the polynomial recurrences (Chebyshev T/U/V/W and shifted, Hermite H/He,
Laguerre, Legendre), which are torch's loops with the same fused multiply-adds, and their
closed forms at the ends of the interval; bessel_j0 and bessel_j1 in float64 (no math
library call in the x <= 5 branch; outside it cos/sin, which NumPy and glibc round alike in
float64).

Within float rounding, because the math library is not glibc's (NumPy's float64 exp, log
and acos differ from glibc's in the last bit for a few percent of arguments; float32
functions here are float64 ones rounded once):
* Bessel/Airy (BESSEL32: rtol 1e-6, a few float32 ulps; BESSEL64: rtol 4e-15): exp in
  I/K, log in Y/K, sin/cos, sqrt. Near the zeros of Y0/Y1 a last-bit difference in log is
  cancellation-amplified, hence the small atol (1e-7 / 1e-15).
* The trigonometric forms torch switches to for large n inside (-1, 1) (n > 6 or 8;
  cos(n acos x) and the like): a last-bit difference in acos grows n-fold, so those specs
  compare within n ulps of the polynomial's scale (TRIG32 / TRIG64).
* gammainc/gammaincc (GAMMA32: rtol 3e-5; GAMMA64: rtol 1e-12): exp, log, pow, lgamma
  (fdlibm here, glibc in torch) inside x^a exp(-x) / Gamma(a), whose exponent a log x - x -
  lgamma(a) cancels, so a last-bit difference becomes |exponent| ulps of the result.
  float16 is computed in float32 and rounded once, as torch's: within one float16 ulp.
  Gradients (d/dx only, torch has none in a) are torch's formula in torchlet operations.

torch defines no derivative for the Bessel functions and the polynomials: their specs
make the inputs require grad and check that the result has no grad_fn, as torch's.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
EXACT = dict(exact=True, **NO_GRADCHECK)
BESSEL32 = dict(rtol=1e-6, atol=1e-7, **NO_GRADCHECK)
BESSEL64 = dict(rtol=4e-15, atol=1e-15, **NO_GRADCHECK)
TRIG32 = dict(rtol=0, atol=1e-4, **NO_GRADCHECK)
TRIG64 = dict(rtol=0, atol=2e-13, **NO_GRADCHECK)
GAMMA32 = dict(rtol=3e-5, atol=1e-38, grad_rtol=3e-5, grad_atol=1e-30)
GAMMA64 = dict(rtol=1e-12, atol=1e-300, grad_rtol=1e-12, grad_atol=1e-300)
GAMMA16 = dict(rtol=1e-3, atol=1e-7, grad=False, gradcheck=False, gradgradcheck=False)


def U(*shape, low=-2.0, high=2.0, dtype="float32", grad=None):  # noqa: N802
    return A(*shape, dtype=dtype, low=low, high=high, grad=grad)


def N(*shape, low=-2, high=7, dtype=I64):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def _ones(t, n, dtype=None):
    return t.ones(n, dtype=dtype)


# ---------------------------------------------------------------------------------------
# Bessel and Airy functions

# name, float32 range, float64 range (both sides of each switch between formulas)
_BESSEL = [
    ("bessel_j0", (-30.0, 30.0)), ("bessel_j1", (-30.0, 30.0)),
    ("bessel_y0", (0.0, 30.0)), ("bessel_y1", (0.0, 30.0)),
    ("modified_bessel_i0", (-20.0, 20.0)), ("modified_bessel_i1", (-20.0, 20.0)),
    ("modified_bessel_k0", (0.0, 12.0)), ("modified_bessel_k1", (0.0, 12.0)),
    ("scaled_modified_bessel_k0", (0.0, 12.0)), ("scaled_modified_bessel_k1", (0.0, 12.0)),
    ("spherical_bessel_j0", (-20.0, 20.0)), ("airy_ai", (-15.0, 15.0)),
]
# the few-ulp float64 differences of glibc's exp, log and sin/cos from NumPy's: exact only
# where no such call decides the value (j0 and j1 are exact in float64)
_EXACT64 = {"bessel_j0", "bessel_j1"}


def _bessel_specs(name, low, high):
    def fn(t, x):
        return getattr(t.special, name)(x)

    f64 = EXACT if name in _EXACT64 else BESSEL64
    return [
        Spec(f"special_more/{name}", fn, (U(64, low=low, high=high),), **BESSEL32),
        Spec(f"special_more/{name}/f64", fn, (U(64, low=low, high=high, dtype=F64),), **f64),
        Spec(f"special_more/{name}/near_zero", fn, (U(32, low=-1.0, high=1.0),), **BESSEL32),
        Spec(f"special_more/{name}/special", fn, (A(63, kind="special"),), **BESSEL32),
        Spec(f"special_more/{name}/special/f64", fn, (A(63, dtype=F64, kind="special"),),
             **BESSEL64),
        Spec(f"special_more/{name}/int", fn, (N(4, 5, low=-3, high=9),), **BESSEL32),
    ]


SPECS = [spec for name, (low, high) in _BESSEL for spec in _bessel_specs(name, low, high)]
SPECS += [
    Spec("special_more/bessel_j0/empty", lambda t, x: t.special.bessel_j0(x), (U(0, 3),),
         **EXACT),
    Spec("special_more/bessel_y1/out", lambda t, x: t.special.bessel_y1(x, out=t.empty(0)),
         (U(3, 4, low=0.1, high=9.0, grad=False),), **BESSEL32),
    Spec("special_more/airy_ai/large", lambda t, x: t.special.airy_ai(x),
         (U(40, low=-200.0, high=120.0, dtype=F64),), **BESSEL64),
    Spec("special_more/modified_bessel_k1/large", lambda t, x: t.special.modified_bessel_k1(x),
         (U(40, low=2.0, high=700.0, dtype=F64),), **BESSEL64),
    Spec("special_more/bessel_y0/large", lambda t, x: t.special.bessel_y0(x),
         (U(40, low=5.0, high=1e4, dtype=F64),), **BESSEL64),
]


# ---------------------------------------------------------------------------------------
# orthogonal polynomials

_CHEBYSHEV = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
              "chebyshev_polynomial_w"]
_SHIFTED = ["shifted_" + name for name in _CHEBYSHEV]
_OTHERS = ["hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l",
           "legendre_polynomial_p"]
# the closed forms at the ends of the interval and a few awkward points (not NaN: where x
# is NaN torch returns an uninitialised variable for several of them)
_ENDS = [1.0, -1.0, 0.0, -0.0, 0.5, float("inf"), float("-inf"), 2.0, 1e30, -3.0]
# the same without points inside the interval, for degrees past the trigonometric switch
_OUTER = [1.0, -1.0, 1.0, -1.0, 2.0, float("inf"), float("-inf"), -2.0, 1e30, -3.0]
_OUTER_SHIFTED = [1.0, 0.0, -0.0, 1.0, 2.0, float("inf"), float("-inf"), -1.0, 1e30, -3.0]


def _polynomial_specs(name):
    def fn(t, x, n):
        return getattr(t.special, name)(x, n)

    shifted = name.startswith("shifted")
    low, high = (-0.6, 1.6) if shifted else (-1.6, 1.6)
    # below the degree where torch switches to cos(n acos x) inside the interval
    top = 5 if shifted else 7
    outer = _OUTER_SHIFTED if shifted else _OUTER
    specs = [
        Spec(f"special_more/{name}", fn, (U(6, 7, low=low, high=high), N(6, 7, high=top)),
             **EXACT),
        Spec(f"special_more/{name}/f64", fn,
             (U(6, 7, low=low, high=high, dtype=F64), N(6, 7, high=top)), **EXACT),
        Spec(f"special_more/{name}/outside", fn,
             (U(40, low=1.0, high=3.0, dtype=F64), N(40, low=0, high=40)), **EXACT),
        Spec(f"special_more/{name}/n_float", fn,
             (U(3, 4, low=low, high=high), U(3, 4, low=-1.5, high=top + 0.9)), **EXACT),
        Spec(f"special_more/{name}/n_number", lambda t, x: getattr(t.special, name)(x, 3),
             (U(3, 4, low=low, high=high),), **EXACT),
        Spec(f"special_more/{name}/n_fraction", lambda t, x: getattr(t.special, name)(x, 2.7),
             (U(3, 4, low=low, high=high),), **EXACT),
        Spec(f"special_more/{name}/x_number", lambda t, n: getattr(t.special, name)(0.3, n),
             (N(3, 4, high=top),), **EXACT),
        Spec(f"special_more/{name}/broadcast", fn,
             (U(3, 1, low=low, high=high, dtype=F64), N(1, 4, high=top)), **EXACT),
        Spec(f"special_more/{name}/ints", fn, (N(3, 4, low=-2, high=3), N(3, 4, high=top)),
             **EXACT),
        Spec(f"special_more/{name}/ends",
             lambda t, n: getattr(t.special, name)(t.tensor(_ENDS), n),
             (N(10, low=-1, high=top),), **EXACT),
        Spec(f"special_more/{name}/ends/f64",
             lambda t, n: getattr(t.special, name)(t.tensor(_ENDS, dtype=t.float64), n),
             (N(10, low=-1, high=top),), **EXACT),
        Spec(f"special_more/{name}/ends_high_degree",
             lambda t, n: getattr(t.special, name)(t.tensor(outer, dtype=t.float64), n),
             (N(10, low=5, high=40),), **EXACT),
    ]
    if name in _CHEBYSHEV or name in _SHIFTED:
        inside = (0.0, 1.0) if shifted else (-1.0, 1.0)
        specs += [
            Spec(f"special_more/{name}/trig", fn,
                 (U(40, low=inside[0], high=inside[1]), N(40, low=7, high=25)), **TRIG32),
            Spec(f"special_more/{name}/trig/f64", fn,
                 (U(40, low=inside[0], high=inside[1], dtype=F64), N(40, low=7, high=25)),
                 **TRIG64),
        ]
    return specs


SPECS += [spec for name in _CHEBYSHEV + _SHIFTED + _OTHERS for spec in _polynomial_specs(name)]
SPECS += [
    # NaN, infinite and huge degrees (int64 overflow) give 0, as torch's cast does
    Spec("special_more/chebyshev_polynomial_t/n_nonfinite",
         lambda t, x: t.special.chebyshev_polynomial_t(
             x, t.tensor([float("nan"), float("inf"), -float("inf"), 1e30, 3.0])),
         (U(5, low=-1.5, high=1.5),), **EXACT),
    Spec("special_more/hermite_polynomial_h/n_nonfinite",
         lambda t, x: t.special.hermite_polynomial_h(
             x, t.tensor([float("nan"), float("inf"), -float("inf"), 1e30, 3.0])),
         (U(5, low=-1.5, high=1.5),), **EXACT),
    # Hermite is NaN above degree 128 (float32) and 512 (float64)
    Spec("special_more/hermite_polynomial_h/limit", lambda t, x, n: t.special.hermite_polynomial_h(
        x, n), (U(12, low=-0.3, high=0.3), N(12, low=124, high=134)), **EXACT),
    Spec("special_more/hermite_polynomial_he/limit/f64",
         lambda t, x, n: t.special.hermite_polynomial_he(x, n),
         (U(12, low=-0.3, high=0.3, dtype=F64), N(12, low=505, high=520)), **EXACT),
    Spec("special_more/legendre_polynomial_p/high_degree",
         lambda t, x, n: t.special.legendre_polynomial_p(x, n),
         (U(20, low=-1.0, high=1.0, dtype=F64), N(20, low=100, high=300)), **EXACT),
    Spec("special_more/laguerre_polynomial_l/high_degree",
         lambda t, x, n: t.special.laguerre_polynomial_l(x, n),
         (U(20, low=0.0, high=30.0, dtype=F64), N(20, low=50, high=120)), **EXACT),
    # dtype promotion: a 0-d float64 degree does not lift a float32 x (0-d tensors are weak)
    Spec("special_more/chebyshev_polynomial_u/promote_0d",
         lambda t, x, n: t.special.chebyshev_polynomial_u(x, n),
         (U(5, low=-1.2, high=1.2), A(dtype=F64, kind="int", low=2, high=6)), **EXACT),
    Spec("special_more/chebyshev_polynomial_u/promote",
         lambda t, x, n: t.special.chebyshev_polynomial_u(x, n),
         (U(5, low=-1.2, high=1.2), A(5, dtype=F64, kind="int", low=0, high=6)), **EXACT),
    Spec("special_more/legendre_polynomial_p/bool",
         lambda t, x: t.special.legendre_polynomial_p(x > 0, True), (U(5),), **EXACT),
    Spec("special_more/legendre_polynomial_p/empty",
         lambda t, x, n: t.special.legendre_polynomial_p(x, n), (U(0, 3), N(0, 3)), **EXACT),
    Spec("special_more/legendre_polynomial_p/out",
         lambda t, x, n: t.special.legendre_polynomial_p(x, n, out=t.empty(0)),
         (U(3, 4, grad=False), N(3, 4)), **EXACT),
]


# ---------------------------------------------------------------------------------------
# gammainc / gammaincc, igamma / igammac


def _a(*shape, dtype="float32", low=0.05, high=30.0):
    """The shape parameter a: no gradient (torch has none)."""
    return A(*shape, dtype=dtype, low=low, high=high, grad=False)


def _x(*shape, dtype="float32", low=0.01, high=40.0):
    return A(*shape, dtype=dtype, low=low, high=high)


def _gamma_specs(name, fn, label):
    return [
        Spec(f"special_more/{label}", fn, (_a(64), _x(64)), **GAMMA32),
        Spec(f"special_more/{label}/f64", fn, (_a(64, dtype=F64), _x(64, dtype=F64)),
             **GAMMA64),
        Spec(f"special_more/{label}/f16", fn, (_a(64, dtype=F16), _x(64, dtype=F16)),
             **GAMMA16),
        # a large and x near a: the uniform asymptotic expansion
        Spec(f"special_more/{label}/asymptotic/f64", fn,
             (_a(40, dtype=F64, low=21.0, high=600.0), _x(40, dtype=F64, low=20.0,
                                                          high=620.0)), **GAMMA64),
        # small x: the series and its complement
        Spec(f"special_more/{label}/small_x/f64", fn,
             (_a(40, dtype=F64, low=0.01, high=3.0), _x(40, dtype=F64, low=0.001, high=1.1)),
             **GAMMA64),
    ]


SPECS += _gamma_specs("igamma", lambda t, a, x: t.igamma(a, x), "igamma")
SPECS += _gamma_specs("igammac", lambda t, a, x: t.igammac(a, x), "igammac")
SPECS += [
    Spec("special_more/gammainc", lambda t, a, x: t.special.gammainc(a, x), (_a(3, 4), _x(3, 4)),
         **GAMMA32),
    Spec("special_more/gammaincc", lambda t, a, x: t.special.gammaincc(a, x),
         (_a(3, 4), _x(3, 4)), **GAMMA32),
    Spec("special_more/igamma/method", lambda t, a, x: a.igamma(x), (_a(3, 4), _x(3, 4)),
         **GAMMA32),
    Spec("special_more/igammac/method", lambda t, a, x: a.igammac(x), (_a(3, 4), _x(3, 4)),
         **GAMMA32),
    Spec("special_more/igamma/inplace", lambda t, a, x: a.clone().igamma_(x),
         (_a(3, 4, dtype=F64), _x(3, 4, dtype=F64)), **GAMMA64),
    Spec("special_more/igammac/inplace", lambda t, a, x: a.clone().igammac_(x),
         (_a(3, 4, dtype=F64), _x(3, 4, dtype=F64)), **GAMMA64),
    Spec("special_more/igamma/broadcast", lambda t, a, x: t.igamma(a, x),
         (_a(3, 1, dtype=F64), _x(1, 4, dtype=F64)), **GAMMA64),
    Spec("special_more/igammac/int_a", lambda t, a, x: t.igammac(a, x),
         (N(3, 4, low=1, high=9), _x(3, 4)), **GAMMA32),
    Spec("special_more/igamma/mixed_dtypes", lambda t, a, x: t.igamma(a, x),
         (_a(3, 4), _x(3, 4, dtype=F64)), **GAMMA64),
    Spec("special_more/igamma/empty", lambda t, a, x: t.igamma(a, x), (_a(0, 2), _x(0, 2)),
         **GAMMA32),
    Spec("special_more/igamma/out", lambda t, a, x: t.igamma(a, x, out=t.empty(0)),
         (_a(3, 4), A(3, 4, low=0.01, high=40.0, grad=False)), **{**GAMMA32, **NO_GRADCHECK}),
    # boundary values: a or x zero, negative, infinite, NaN
    Spec("special_more/igamma/boundary",
         lambda t: t.igamma(t.tensor([0.0, 0.0, 1.0, -1.0, 1.0, float("inf"), float("inf"),
                                      2.0, float("nan"), 3.0, 0.0]),
                            t.tensor([1.0, 0.0, 0.0, 1.0, -1.0, 1.0, float("inf"),
                                      float("inf"), 1.0, float("nan"), -0.0])),
         (), exact=True, **NO_GRADCHECK),
    Spec("special_more/igammac/boundary/f64",
         lambda t: t.igammac(
             t.tensor([0.0, 0.0, 1.0, -1.0, 1.0, float("inf"), float("inf"), 2.0,
                       float("nan"), 3.0], dtype=t.float64),
             t.tensor([1.0, 0.0, 0.0, 1.0, -1.0, 1.0, float("inf"), float("inf"), 1.0,
                       float("nan")], dtype=t.float64)),
         (), exact=True, **NO_GRADCHECK),
]

ERROR_SPECS = [
    ErrorSpec(f"special_more/err/{name}_half",
              lambda t, name=name: getattr(t.special, name)(_ones(t, 3, t.float16)),
              match=f"{name}_cpu")
    for name, _ in _BESSEL
] + [
    ErrorSpec("special_more/err/bessel_j0_number", lambda t: t.special.bessel_j0(1.0),
              match="must be Tensor"),
    ErrorSpec("special_more/err/chebyshev_t_numbers",
              lambda t: t.special.chebyshev_polynomial_t(0.5, 3),
              match="invalid combination of arguments"),
    ErrorSpec("special_more/err/legendre_half",
              lambda t: t.special.legendre_polynomial_p(_ones(t, 3, t.float16), 2),
              match="legendre_polynomial_p_cpu"),
    ErrorSpec("special_more/err/hermite_half_n",
              lambda t: t.special.hermite_polynomial_h(_ones(t, 3, t.float16),
                                                       _ones(t, 3, t.float16)),
              match="hermite_polynomial_h_cpu"),
    ErrorSpec("special_more/err/igamma_input_grad",
              lambda t: t.igamma(_ones(t, 3).requires_grad_(), _ones(t, 3)).sum().backward(),
              match="igamma: input"),
    ErrorSpec("special_more/err/igammac_input_grad",
              lambda t: t.special.gammaincc(_ones(t, 3).requires_grad_(),
                                            _ones(t, 3)).sum().backward(),
              match="igammac: input"),
    ErrorSpec("special_more/err/igamma_int", lambda t: t.igamma(_ones(t, 3, t.int64),
                                                                _ones(t, 3, t.int64)),
              match="igamma_cpu"),
    ErrorSpec("special_more/err/igammac_int", lambda t: t.igammac(_ones(t, 3, t.int64),
                                                                  _ones(t, 3, t.int32)),
              match="igammac_cpu"),
    ErrorSpec("special_more/err/igamma_number", lambda t: t.igamma(_ones(t, 3), 2.0),
              match="must be Tensor"),
    ErrorSpec("special_more/err/gammainc_number", lambda t: t.special.gammainc(1.0, _ones(t, 3)),
              match="must be Tensor"),
    ErrorSpec("special_more/err/igamma_inplace_int",
              lambda t: _ones(t, 3, t.int64).igamma_(_ones(t, 3)), match="can't be cast"),
    ErrorSpec("special_more/err/igamma_out_requires_grad",
              lambda t: t.igamma(_ones(t, 3), _ones(t, 3).requires_grad_(), out=_ones(t, 3)),
              match="out="),
]

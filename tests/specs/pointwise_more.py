"""Specs for hypot, copysign, xlogy, logaddexp, logaddexp2, fmax, fmin, heaviside,
float_power, logit, deg2rad and rad2deg (torchlet/_ops/pointwise/extra.py): functions,
methods, in-place methods, float32/float64/float16, broadcasting, Python-number operands
where torch takes one, integer and bool inputs, and special values (``kind="special"``:
signed zeros, NaN, +-inf, subnormals, 1e30; two special inputs meet every pair of them).

Bit-exact (forward and gradient): copysign, fmax, fmin, heaviside, deg2rad, rad2deg (sign
bits, selections, one multiplication by a constant rounded in the input's dtype, float16 in
float32); hypot in float32 and float16 (float16 computed in float32, rounded once); xlogy,
logaddexp, logaddexp2 and logit in float16 (torch's float16 kernels round at the same
steps as torchlet's).

Within float rounding (a few ulps), because torch's math library is not NumPy's: hypot in
float64 (1 ulp on ~0.5% of inputs); xlogy in float32/float64 (torch's scalar kernel calls
glibc's logf/log; torchlet takes log in float64 for float32, which agrees on all but ~0.4%);
logaddexp, logaddexp2 and logit in float32/float64 (torch's vectorised kernels use SLEEF's
exp/log1p/log, ~1 ulp from NumPy's on 5-15% of float32 inputs); float_power (pow in
float64: SLEEF's pow against the C library's). Tolerances: a few float32 ulps (rtol 2e-6)
or float64 ulps (rtol 1e-14), atol 1e-43 / 1e-300 only, so a subnormal where torch has 0
still fails. Gradients of broadcast inputs are sums, in NumPy's order (grad_rtol 1e-6).

Avoided on purpose, because torch's own answer depends on where the element sits: logit's
float32/float64 backward runs a vectorised formula on blocks of 2 x SIMD width and a scalar
one on the rest, and they differ at x = -0.0 (eps None) and at a NaN x (eps given); the
logit specs with those values use 64 elements, all in full blocks, where torchlet follows
the vectorised formula (float16 runs the scalar one everywhere).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0)
SUMMED = dict(exact=True, grad_rtol=1e-6, grad_atol=2e-6)
ROUND32 = dict(rtol=2e-6, atol=1e-43, grad_rtol=4e-6, grad_atol=1e-43)
ROUND64 = dict(rtol=1e-14, atol=1e-300, grad_rtol=1e-14, grad_atol=1e-300)
# logaddexp's max(a, b) + log1p(...) cancels near 0: its rounding error is a few ulps of
# the terms (|a|, |b| <= 2 here), not of the result; broadcast gradients are float32 sums
ROUND32_SUM = dict(ROUND32, atol=1e-6, grad_atol=2e-6)


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def P(*shape, dtype="float32"):  # noqa: N802 - a positive input (0.5..2)
    return A(*shape, dtype=dtype, kind="positive")


def N(*shape, dtype=I64, low=-5, high=6):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def _dtypes(name, fn, make_args, f32, f64, f16=EXACT, **kw):
    """The spec in float32, float64 and float16 (no float16 gradcheck: finite differences
    in float16 mean nothing). ``make_args(dtype)`` gives the inputs."""
    return [
        Spec(f"pointwise_more/{name}", fn, make_args("float32"), **{**f32, **kw}),
        Spec(f"pointwise_more/{name}/f64", fn, make_args(F64), **{**f64, **kw}),
        Spec(f"pointwise_more/{name}/f16", fn, make_args(F16), **{**f16, **NO_GRADCHECK, **kw}),
    ]


def _special(name, fn, n_args, tol32, tol64, tol16=None, shape=(64,), **kw):
    """Special values in float32 and float64 (and float16 when ``tol16`` is given); with two
    inputs, two different seeded orders, so that specials meet specials."""
    specs = []
    for suffix, dtype, tol in (("", "float32", tol32), ("/f64", F64, tol64),
                               ("/f16", F16, tol16)):
        if tol is None:
            continue
        args = tuple(S(*shape, dtype=dtype) for _ in range(n_args))
        specs.append(Spec(f"pointwise_more/{name}/special{suffix}", fn, args,
                          **{**tol, **NO_GRADCHECK, **kw}))
    return specs


def _two(low=-2.0, high=2.0, second="uniform"):
    """Two (5, 40) inputs of a dtype."""
    def make(dtype):
        b = P(5, 40, dtype=dtype) if second == "positive" else A(5, 40, dtype=dtype,
                                                                  low=low, high=high)
        return (A(5, 40, dtype=dtype, low=low, high=high), b)
    return make


def _one(low=-2.0, high=2.0):
    return lambda dtype: (A(5, 40, dtype=dtype, low=low, high=high),)


SPECS = [
    # hypot: sqrt(a² + b²); grad_a = grad * a / out (NaN at (0, 0))
    *_dtypes("hypot", lambda t, x, y: t.hypot(x, y), _two(), EXACT, ROUND64),
    Spec("pointwise_more/hypot/method", lambda t, x, y: x.hypot(y), (A(3, 5), A(3, 5)), **EXACT),
    Spec("pointwise_more/hypot/inplace", lambda t, x, y: (x * 1).hypot_(y), (A(3, 5), A(5)),
         **SUMMED),
    Spec("pointwise_more/hypot/broadcast", lambda t, x, y: t.hypot(x, y), (A(5, 1), A(40)),
         **SUMMED),
    Spec("pointwise_more/hypot/int_float", lambda t, x, y: t.hypot(x, y), (N(4, 6), A(4, 6)),
         **EXACT),
    Spec("pointwise_more/hypot/f16_f32", lambda t, x, y: t.hypot(x, y),
         (A(4, 6, dtype=F16), A(4, 6)), **EXACT),
    *_special("hypot", lambda t, x, y: t.hypot(x, y), 2, EXACT, ROUND64, EXACT),

    # copysign: |a| with b's sign bit; grad_a = grad * (out / a), 0 at a == 0; grad_b = 0
    *_dtypes("copysign", lambda t, x, y: t.copysign(x, y), _two(), EXACT, EXACT),
    *_dtypes("copysign/number", lambda t, x: t.copysign(x, -2.5), _one(), EXACT, EXACT),
    Spec("pointwise_more/copysign/negative_zero", lambda t, x: t.copysign(x, -0.0),
         (A(3, 5),), **EXACT),
    Spec("pointwise_more/copysign/int_number", lambda t, x: t.copysign(x, -1), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/copysign/method", lambda t, x, y: x.copysign(y), (A(3, 5), A(3, 5)),
         **EXACT),
    Spec("pointwise_more/copysign/inplace", lambda t, x, y: (x * 1).copysign_(y),
         (A(3, 5), A(3, 1)), **SUMMED),
    Spec("pointwise_more/copysign/inplace_number", lambda t, x: (x * 1).copysign_(-0.0),
         (A(3, 5),), **EXACT),
    Spec("pointwise_more/copysign/broadcast", lambda t, x, y: t.copysign(x, y),
         (A(5, 1), A(40)), **SUMMED),
    Spec("pointwise_more/copysign/ints", lambda t, x, y: t.copysign(x, y), (N(4, 6), N(4, 6)),
         **EXACT),
    Spec("pointwise_more/copysign/int_tensor_number", lambda t, x: t.copysign(x, 2.5),
         (N(4, 6),), **EXACT),
    Spec("pointwise_more/copysign/bools", lambda t, x, y: t.copysign(x, y),
         (A(4, 6, dtype="bool", kind="bool"), A(4, 6, dtype="bool", kind="bool")), **EXACT),
    Spec("pointwise_more/copysign/f32_f64", lambda t, x, y: t.copysign(x, y),
         (A(4, 6), A(4, 6, dtype=F64)), **EXACT),
    *_special("copysign", lambda t, x, y: t.copysign(x, y), 2, EXACT, EXACT, EXACT),

    # xlogy: a * log(b), 0 where a == 0 (unless b is NaN)
    *_dtypes("xlogy", lambda t, x, y: t.xlogy(x, y), _two(second="positive"),
             ROUND32, ROUND64),
    *_dtypes("xlogy/number_other", lambda t, x: t.xlogy(x, 2.5), _one(), ROUND32, ROUND64),
    *_dtypes("xlogy/number_self", lambda t, y: t.xlogy(3, y),
             lambda dtype: (P(5, 40, dtype=dtype),), ROUND32, ROUND64),
    Spec("pointwise_more/xlogy/zero_number", lambda t, x: t.xlogy(x * 0, 0.0), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/xlogy/negative_number", lambda t, x: t.xlogy(x, -1.0), (A(3, 5),),
         **EXACT, **NO_GRADCHECK),
    Spec("pointwise_more/xlogy/method", lambda t, x, y: x.xlogy(y), (A(3, 5), P(3, 5)),
         **ROUND32),
    Spec("pointwise_more/xlogy/inplace", lambda t, x, y: (x * 1).xlogy_(y), (A(3, 5), P(5)),
         **ROUND32),
    Spec("pointwise_more/xlogy/top_inplace", lambda t, x, y: t.xlogy_(x * 1, y),
         (A(3, 5), P(3, 5)), **ROUND32),
    Spec("pointwise_more/xlogy/broadcast", lambda t, x, y: t.xlogy(x, y), (A(5, 1), P(40)),
         **ROUND32),
    Spec("pointwise_more/xlogy/ints", lambda t, x, y: t.xlogy(x, y),
         (N(4, 6), N(4, 6, low=0, high=9)), **ROUND32),
    Spec("pointwise_more/xlogy/bool_float", lambda t, x, y: t.xlogy(x, y),
         (A(4, 6, dtype="bool", kind="bool"), P(4, 6)), **ROUND32),
    *_special("xlogy", lambda t, x, y: t.xlogy(x, y), 2, ROUND32, ROUND64, EXACT),
    *_special("xlogy/number_other", lambda t, x: t.xlogy(x, 0.5), 1, ROUND32, ROUND64),
    *_special("xlogy/nan_number", lambda t, x: t.xlogy(x, float("nan")), 1, EXACT, EXACT),
    *_special("xlogy/number_self", lambda t, y: t.xlogy(2.0, y), 1, ROUND32, ROUND64),

    # logaddexp, logaddexp2: max(a, b) + log1p(exp(-|a - b|)), a where both are one infinity
    *_dtypes("logaddexp", lambda t, x, y: t.logaddexp(x, y), _two(-8.0, 8.0),
             ROUND32, ROUND64),
    *_dtypes("logaddexp2", lambda t, x, y: t.logaddexp2(x, y), _two(-8.0, 8.0),
             ROUND32, ROUND64),
    Spec("pointwise_more/logaddexp/method", lambda t, x, y: x.logaddexp(y), (A(3, 5), A(3, 5)),
         **ROUND32),
    Spec("pointwise_more/logaddexp2/method", lambda t, x, y: x.logaddexp2(y),
         (A(3, 5), A(3, 5)), **ROUND32),
    Spec("pointwise_more/logaddexp/broadcast", lambda t, x, y: t.logaddexp(x, y),
         (A(5, 1), A(40)), **ROUND32_SUM),
    Spec("pointwise_more/logaddexp2/broadcast", lambda t, x, y: t.logaddexp2(x, y),
         (A(40), A(5, 1)), **ROUND32_SUM),
    Spec("pointwise_more/logaddexp/int_float", lambda t, x, y: t.logaddexp(x, y),
         (N(4, 6), A(4, 6)), **ROUND32),
    Spec("pointwise_more/logaddexp2/f32_f64", lambda t, x, y: t.logaddexp2(x, y),
         (A(4, 6), A(4, 6, dtype=F64)), **ROUND64),
    *_special("logaddexp", lambda t, x, y: t.logaddexp(x, y), 2, ROUND32, ROUND64, EXACT),
    *_special("logaddexp2", lambda t, x, y: t.logaddexp2(x, y), 2, ROUND32, ROUND64, EXACT),

    # fmax, fmin: NaN ignored; a tie (-0.0 with 0.0 too) gives a, and a all of the gradient
    *_dtypes("fmax", lambda t, x, y: t.fmax(x, y), _two(), EXACT, EXACT),
    *_dtypes("fmin", lambda t, x, y: t.fmin(x, y), _two(), EXACT, EXACT),
    Spec("pointwise_more/fmax/ties", lambda t, x, y: t.fmax(x.round(), y.round()),
         (A(5, 40), A(5, 40)), **EXACT),
    Spec("pointwise_more/fmin/ties", lambda t, x, y: t.fmin(x.round(), y.round()),
         (A(5, 40), A(5, 40)), **EXACT),
    Spec("pointwise_more/fmax/method", lambda t, x, y: x.fmax(y), (A(3, 5), A(3, 5)), **EXACT),
    Spec("pointwise_more/fmin/method", lambda t, x, y: x.fmin(y), (A(3, 5), A(3, 5)), **EXACT),
    Spec("pointwise_more/fmax/broadcast", lambda t, x, y: t.fmax(x, y), (A(5, 1), A(40)),
         **SUMMED),
    Spec("pointwise_more/fmin/broadcast", lambda t, x, y: t.fmin(x, y), (A(40), A(5, 1)),
         **SUMMED),
    Spec("pointwise_more/fmax/ints", lambda t, x, y: t.fmax(x, y), (N(4, 6), N(4, 6)),
         **EXACT),
    Spec("pointwise_more/fmin/int_float", lambda t, x, y: t.fmin(x, y), (N(4, 6), A(4, 6)),
         **EXACT),
    Spec("pointwise_more/fmax/bools", lambda t, x, y: t.fmax(x, y),
         (A(4, 6, dtype="bool", kind="bool"), A(4, 6, dtype="bool", kind="bool")), **EXACT),
    Spec("pointwise_more/fmin/int32_int64", lambda t, x, y: t.fmin(x, y),
         (N(4, 6, dtype="int32"), N(4, 6)), **EXACT),
    *_special("fmax", lambda t, x, y: t.fmax(x, y), 2, EXACT, EXACT, EXACT),
    *_special("fmin", lambda t, x, y: t.fmin(x, y), 2, EXACT, EXACT, EXACT),

    # heaviside: values where a == 0, else a > 0 (NaN -> 0); not differentiable: the output
    # of a tensor that requires grad has torch's NotImplemented node (its backward raises,
    # see ERROR_SPECS), so these specs compare no gradients
    *_special("heaviside", lambda t, x, y: t.heaviside(x, y), 2, EXACT, EXACT, EXACT,
              grad=False),
    Spec("pointwise_more/heaviside/grad_fn",
         lambda t, x, y: t.heaviside(x.requires_grad_(), y), (S(21), A(21)), grad=False,
         **EXACT),
    Spec("pointwise_more/heaviside/method", lambda t, x, y: x.heaviside(y),
         (N(4, 6, low=-2, high=3), N(6)), grad=False, **EXACT),
    Spec("pointwise_more/heaviside/inplace", lambda t, x, y: (x * 1).heaviside_(y),
         (N(4, 6, low=-2, high=3), N(4, 6)), grad=False, **EXACT),
    Spec("pointwise_more/heaviside/bools", lambda t, x, y: t.heaviside(x, y),
         (A(4, 6, dtype="bool", kind="bool"), A(4, 6, dtype="bool", kind="bool")),
         grad=False, **EXACT),
    Spec("pointwise_more/heaviside/broadcast", lambda t, x, y: t.heaviside(x.round(), y),
         (A(5, 4, dtype=F16), A(5, 1, dtype=F16)), grad=False, **EXACT),

    Spec("pointwise_more/heaviside/out",
         lambda t, x, y: t.heaviside(x, y, out=t.empty(21)), (S(21), A(21)),
         grad=False, **EXACT),
    # float_power: pow in float64 (PowBackward1 / 0 / 2, after ToCopy from other dtypes)
    Spec("pointwise_more/float_power", lambda t, x, y: t.float_power(x, y),
         (P(5, 40), A(5, 40)), **ROUND64),
    Spec("pointwise_more/float_power/f64", lambda t, x, y: t.float_power(x, y),
         (P(5, 40, dtype=F64), A(5, 40, dtype=F64)), **ROUND64),
    Spec("pointwise_more/float_power/f16", lambda t, x, y: t.float_power(x, y),
         (P(5, 40, dtype=F16), A(5, 40, dtype=F16)), **ROUND64, **NO_GRADCHECK),
    Spec("pointwise_more/float_power/number", lambda t, x: t.float_power(x, 2.5),
         (P(5, 40),), **ROUND64),
    Spec("pointwise_more/float_power/int_number", lambda t, x: t.float_power(x, 2),
         (A(5, 40),), **EXACT),
    Spec("pointwise_more/float_power/number_base", lambda t, y: t.float_power(1.5, y),
         (A(5, 40),), **ROUND64),
    Spec("pointwise_more/float_power/method", lambda t, x, y: x.float_power(y),
         (P(3, 5), A(3, 5)), **ROUND64),
    Spec("pointwise_more/float_power/inplace", lambda t, x, y: (x * 1).float_power_(y),
         (P(3, 5, dtype=F64), A(5)), **ROUND64),
    Spec("pointwise_more/float_power/inplace_number",
         lambda t, x: (x * 1).float_power_(-1.5), (P(3, 5, dtype=F64),), **ROUND64),
    Spec("pointwise_more/float_power/ints", lambda t, x, y: t.float_power(x, y),
         (N(4, 6), N(4, 6, low=-3, high=4)), **EXACT),
    Spec("pointwise_more/float_power/broadcast", lambda t, x, y: t.float_power(x, y),
         (P(5, 1), A(40)), **ROUND64),
    *_special("float_power", lambda t, x, y: t.float_power(x, y), 2, ROUND64, ROUND64),

    # logit: log(a / (1 - a)), a clamped to [eps, 1 - eps] when eps is given
    *_dtypes("logit", lambda t, x: t.logit(x), _one(0.05, 0.95), ROUND32, ROUND64),
    *_dtypes("logit/eps", lambda t, x: t.logit(x, eps=0.2), _one(0.05, 0.95),
             ROUND32, ROUND64),
    *_dtypes("logit/eps_third", lambda t, x: t.logit(x, 1 / 3), _one(0.0, 1.0),
             ROUND32, ROUND64),
    Spec("pointwise_more/logit/negative_eps", lambda t, x: t.logit(x, eps=-1.0),
         (A(5, 40, low=0.05, high=0.95),), **ROUND32),
    Spec("pointwise_more/logit/method", lambda t, x: x.logit(0.1),
         (A(3, 5, low=0.0, high=1.0),), **ROUND32),
    Spec("pointwise_more/logit/inplace", lambda t, x: (x * 1).logit_(),
         (A(3, 5, low=0.05, high=0.95),), **ROUND32),
    Spec("pointwise_more/logit/top_inplace", lambda t, x: t.logit_(x * 1, eps=0.25),
         (A(3, 5, low=0.0, high=1.0),), **ROUND32),
    Spec("pointwise_more/logit/int", lambda t, x: t.logit(x), (N(4, 6, low=-1, high=3),),
         **EXACT),
    *_special("logit", lambda t, x: t.logit(x), 1, ROUND32, ROUND64, EXACT),
    *_special("logit/eps", lambda t, x: t.logit(x, 1e-6), 1, ROUND32, ROUND64, EXACT),
    Spec("pointwise_more/logit/bounds", lambda t, x: t.logit(x.round() * 0.5),
         (A(64, low=-2.0, high=4.0),), **ROUND32, **NO_GRADCHECK),
    Spec("pointwise_more/logit/bounds_eps", lambda t, x: t.logit(x.round() * 0.25, 0.25),
         (A(64, low=-2.0, high=6.0),), **ROUND32, **NO_GRADCHECK),

    # deg2rad, rad2deg: one multiplication by pi / 180 or 180 / pi in the input's dtype
    *_dtypes("deg2rad", lambda t, x: t.deg2rad(x), _one(-400.0, 400.0), EXACT, EXACT),
    *_dtypes("rad2deg", lambda t, x: t.rad2deg(x), _one(-7.0, 7.0), EXACT, EXACT),
    Spec("pointwise_more/deg2rad/method", lambda t, x: x.deg2rad(), (A(3, 5),), **EXACT),
    Spec("pointwise_more/rad2deg/method", lambda t, x: x.rad2deg(), (A(3, 5),), **EXACT),
    Spec("pointwise_more/deg2rad/inplace", lambda t, x: (x * 1).deg2rad_(), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/rad2deg/inplace", lambda t, x: (x * 1).rad2deg_(), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/deg2rad/top_inplace", lambda t, x: t.deg2rad_(x * 1), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/rad2deg/top_inplace", lambda t, x: t.rad2deg_(x * 1), (A(3, 5),),
         **EXACT),
    Spec("pointwise_more/deg2rad/int", lambda t, x: t.deg2rad(x), (N(4, 6, low=-360, high=360),),
         **EXACT),
    Spec("pointwise_more/rad2deg/bool", lambda t, x: t.rad2deg(x),
         (A(4, 6, dtype="bool", kind="bool"),), **EXACT),
    *_special("deg2rad", lambda t, x: t.deg2rad(x), 1, EXACT, EXACT, EXACT),
    *_special("rad2deg", lambda t, x: t.rad2deg(x), 1, EXACT, EXACT, EXACT),
]


def _ones(t, *shape, **kw):
    return t.ones(*shape, **kw)


def _ints(t):
    return t.tensor([1, 2, 3])


ERROR_SPECS = [
    # hypot, logaddexp, logaddexp2, fmax, fmin and heaviside take no Python number
    *[ErrorSpec(f"pointwise_more/err/{name}_number_other",
                lambda t, name=name: getattr(t, name)(_ones(t, 3), 2.0),
                match="argument 'other' \\(position 2\\) must be Tensor, not float")
      for name in ("hypot", "logaddexp", "logaddexp2", "fmax", "fmin")],
    *[ErrorSpec(f"pointwise_more/err/{name}_number_input",
                lambda t, name=name: getattr(t, name)(2, _ones(t, 3)),
                match="argument 'input' \\(position 1\\) must be Tensor, not int")
      for name in ("hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "heaviside")],
    ErrorSpec("pointwise_more/err/hypot_method_number", lambda t: _ones(t, 3).hypot(True)),
    ErrorSpec("pointwise_more/err/heaviside_number_values",
              lambda t: t.heaviside(_ones(t, 3), 0.5),
              match="argument 'values' \\(position 2\\) must be Tensor"),
    ErrorSpec("pointwise_more/err/copysign_number_input",
              lambda t: t.copysign(2.0, _ones(t, 3)), match="invalid combination"),
    ErrorSpec("pointwise_more/err/float_power_numbers", lambda t: t.float_power(2.0, 3.0)),
    # integer inputs where torch's kernel has none
    *[ErrorSpec(f"pointwise_more/err/{name}_ints",
                lambda t, name=name: getattr(t, name)(_ints(t), _ints(t)),
                match=f'"{name}_cpu" not implemented for \'Long\'')
      for name in ("hypot", "logaddexp", "logaddexp2")],
    ErrorSpec("pointwise_more/err/hypot_bools",
              lambda t: t.hypot(_ints(t) > 1, _ints(t) > 2), match="'Bool'"),
    ErrorSpec("pointwise_more/err/logaddexp_int_bool",
              lambda t: t.logaddexp(_ints(t), _ints(t) > 2), match="'Long'"),
    # heaviside: same dtypes only; no derivative
    ErrorSpec("pointwise_more/err/heaviside_dtypes",
              lambda t: t.heaviside(_ones(t, 3), _ints(t)), match="different dtypes"),
    ErrorSpec("pointwise_more/err/heaviside_f32_f64",
              lambda t: t.heaviside(_ones(t, 3), _ones(t, 3, dtype=t.float64)),
              match="different dtypes"),
    ErrorSpec("pointwise_more/err/heaviside_inplace_dtypes",
              lambda t: _ints(t).heaviside_(_ones(t, 3)), match="different dtypes"),
    ErrorSpec("pointwise_more/err/heaviside_backward",
              lambda t: t.heaviside(_ones(t, 3, requires_grad=True), _ones(t, 3)).sum()
              .backward(), match="derivative for aten::heaviside is not implemented"),
    # in-place results that cannot be written back
    ErrorSpec("pointwise_more/err/float_power_inplace_float32",
              lambda t: _ones(t, 3).float_power_(2),
              match="base given to float_power_ has dtype Float but the operation's result "
                    "requires dtype Double"),
    ErrorSpec("pointwise_more/err/float_power_inplace_int",
              lambda t: _ints(t).float_power_(_ones(t, 3, dtype=t.float64)),
              match="has dtype Long"),
    *[ErrorSpec(f"pointwise_more/err/{name}_inplace_int",
                lambda t, name=name, args=args: getattr(_ints(t), name)(*args(t)),
                match="can't be cast to the desired output type Long")
      for name, args in (("copysign_", lambda t: (_ones(t, 3),)),
                         ("xlogy_", lambda t: (_ints(t),)),
                         ("logit_", lambda t: ()),
                         ("deg2rad_", lambda t: ()),
                         ("rad2deg_", lambda t: ()),
                         ("hypot_", lambda t: (_ones(t, 3),)))],
    ErrorSpec("pointwise_more/err/hypot_inplace_broadcast",
              lambda t: _ones(t, 1).hypot_(_ones(t, 3))),
    ErrorSpec("pointwise_more/err/xlogy_leaf_inplace",
              lambda t: _ones(t, 3, requires_grad=True).xlogy_(2.0), match="leaf Variable"),
    ErrorSpec("pointwise_more/err/logit_leaf_inplace",
              lambda t: _ones(t, 3, requires_grad=True).logit_(), match="leaf Variable"),
    ErrorSpec("pointwise_more/err/hypot_shapes",
              lambda t: t.hypot(_ones(t, 3), _ones(t, 4)), match="must match the size"),
    *[ErrorSpec(f"pointwise_more/err/{name}_out_grad",
                lambda t, name=name: getattr(t, name)(_ones(t, 3, requires_grad=True),
                                                      _ones(t, 3), out=t.empty(3)),
                match=f"{name}\\(\\): functions with out=")
      for name in ("hypot", "copysign", "xlogy", "logaddexp", "logaddexp2", "fmax", "fmin")],
    ErrorSpec("pointwise_more/err/logit_out_grad",
              lambda t: t.logit(_ones(t, 3, requires_grad=True), out=t.empty(3)),
              match="logit\\(\\): functions with out="),
    ErrorSpec("pointwise_more/err/float_power_out_grad",
              lambda t: t.float_power(_ones(t, 3, requires_grad=True), 2,
                                      out=t.empty(3, dtype=t.float64)),
              match="pow\\(\\): functions with out="),
    ErrorSpec("pointwise_more/err/float_power_out_float32",
              lambda t: t.float_power(_ones(t, 3), 2, out=t.empty(3)),
              match="output given to float_power has dtype Float"),
    ErrorSpec("pointwise_more/err/heaviside_out_dtype",
              lambda t: t.heaviside(_ones(t, 3), _ones(t, 3), out=t.empty(3, dtype=t.float64)),
              match="different dtypes"),
]

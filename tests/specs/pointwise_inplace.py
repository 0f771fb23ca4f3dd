"""Specs for acosh/asinh/atanh (torchlet/_ops/pointwise/inverse_hyperbolic.py), the
in-place Tensor methods and torch's top-level in-place functions
(inplace_functions.py) and the predicates and complex helpers (predicates.py).

Bit-exact: every in-place form of a bit-exact operation (rounding, abs, neg, sgn, frac,
comparisons, logical and bitwise operations, integer cumsum, fill), the predicates, angle,
the dropout functions after manual_seed (the same generator draws), and float16 acosh,
asinh, atanh (computed in float32, rounded once to Half, as torch does; the float32 values
differ by an ulp now and then, which changes the float16 result only on a rounding
midpoint: 4 asinh inputs of all 65536, tested in tests/test_pointwise_inplace.py, none
in these specs).

Within float rounding (ROUND32: rtol 2e-6; ROUND64: rtol 4e-15): acosh, asinh, atanh and
the in-place forms of libm functions (exp2, expm1, log2, sinh, ...): NumPy's math library
is not torch's (SLEEF / glibc), a few ulps apart. Gradients are torch's formulas from
derivatives.yaml in torchlet operations, compared with the same tolerances; float64
gradcheck and gradgradcheck for each differentiable spec. float16 gradients are not
compared (torch rounds them to Half at each step).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

ROUND32 = dict(rtol=2e-6, atol=1e-43, grad_rtol=4e-6, grad_atol=1e-43)
ROUND64 = dict(rtol=4e-15, atol=1e-300, grad_rtol=1e-14, grad_atol=1e-300)
EXACT = dict(exact=True)
NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
HALF = dict(exact=True, grad=False, **NO_GRADCHECK)
CMP = dict(exact=True, **NO_GRADCHECK)

P = "pointwise_inplace"


def U(*shape, low=-2.0, high=2.0, dtype="float32"):  # noqa: N802
    return A(*shape, dtype=dtype, low=low, high=high)


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def N(*shape, dtype=I64, low=-9, high=10):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def _grad_input(x):
    """A non-leaf copy of ``x`` that requires grad (in-place operations need one)."""
    return x.detach().requires_grad_() * 1


def _hyperbolic(name, low, high):
    """acosh/asinh/atanh: function, alias, method, in-place forms, dtypes, special values."""
    alias = "arc" + name[1:]
    fn = lambda t, x: getattr(t, name)(x)  # noqa: E731
    return [
        Spec(f"{P}/{name}", fn, (U(5, 6, low=low, high=high),), **ROUND32),
        Spec(f"{P}/{name}/f64", fn, (U(5, 6, low=low, high=high, dtype=F64),), **ROUND64),
        Spec(f"{P}/{name}/f16", fn, (U(64, low=low, high=high, dtype=F16),), **HALF),
        Spec(f"{P}/{name}/special", fn, (S(42),), **ROUND32, **NO_GRADCHECK),
        Spec(f"{P}/{name}/special/f64", fn, (S(42, dtype=F64),), **ROUND64, **NO_GRADCHECK),
        Spec(f"{P}/{name}/special/f16", fn, (S(42, dtype=F16),), **HALF),
        Spec(f"{P}/{name}/int", fn, (N(4, 5, low=-2, high=3),), **ROUND32),
        Spec(f"{P}/{name}/bool", fn, (A(4, dtype="bool", kind="bool"),), **ROUND32),
        Spec(f"{P}/{name}/empty", fn, (U(0, 3),), **ROUND32),
        Spec(f"{P}/{alias}", lambda t, x: getattr(t, alias)(x),
             (U(3, 4, low=low, high=high),), **ROUND32),
        Spec(f"{P}/{name}/method", lambda t, x: getattr(x, name)(),
             (U(3, 4, low=low, high=high),), **ROUND32),
        Spec(f"{P}/{alias}/method", lambda t, x: getattr(x, alias)(),
             (U(3, 4, low=low, high=high),), **ROUND32),
        # torch records the in-place forms (AcoshBackward1, ...) but cannot differentiate
        # them: the gradient is not compared, the grad_fn is
        Spec(f"{P}/{name}_", lambda t, x: getattr(_grad_input(x), name + "_")(),
             (U(3, 4, low=low, high=high),), grad=False, **ROUND32),
        Spec(f"{P}/{alias}_", lambda t, x: getattr(_grad_input(x), alias + "_")(),
             (U(3, 4, low=low, high=high),), grad=False, **ROUND32),
        Spec(f"{P}/{name}_/top", lambda t, x: getattr(t, name + "_")(_grad_input(x)),
             (U(3, 4, low=low, high=high),), grad=False, **ROUND32),
        Spec(f"{P}/{alias}_/top", lambda t, x: getattr(t, alias + "_")(x.clone()),
             (U(3, 4, low=low, high=high, dtype=F64),), grad=False, **ROUND64),
        Spec(f"{P}/{name}/out", lambda t, x: getattr(t, name)(x, out=t.empty(0)),
             (U(3, 4, low=low, high=high, dtype=F64),), grad=False, **ROUND64),
        Spec(f"{P}/{name}/broadcast_grad", lambda t, x, y: getattr(t, name)(x * y),
             (U(3, 1, low=low, high=high), U(4, low=1.0, high=1.0001)), **ROUND32),
    ]


# in-place Tensor methods of one input: (method, input kind, low, high, exact)
_UNARY_INPLACE = [
    ("absolute_", -2, 2, True), ("acos_", -0.9, 0.9, False), ("arccos_", -0.9, 0.9, False),
    ("asin_", -0.9, 0.9, False), ("arcsin_", -0.9, 0.9, False), ("atan_", -2, 2, False),
    ("arctan_", -2, 2, False), ("cosh_", -2, 2, False), ("sinh_", -2, 2, False),
    ("tan_", -1, 1, False), ("erf_", -2, 2, False), ("exp2_", -2, 2, False),
    ("expm1_", -2, 2, False), ("log10_", 0.5, 2, False), ("log1p_", 0.5, 2, False),
    ("log2_", 0.5, 2, False), ("rsqrt_", 0.5, 2, True), ("fix_", -3, 3, True),
    ("frac_", -3, 3, True), ("negative_", -2, 2, True), ("sgn_", -2, 2, True),
]


def _unary_inplace(method, low, high, exact):
    tol = EXACT if exact else ROUND32
    grad = dict(NO_GRADCHECK) if method in ("fix_", "frac_") else {}
    start = _times_one
    if method == "sgn_":  # torch's gradient is a ZeroTensor, which has no NumPy values
        grad, start = dict(grad=False), _grad_input
    return [
        Spec(f"{P}/{method}", lambda t, x: getattr(start(x), method)(),
             (U(3, 4, low=low, high=high),), **tol, **grad),
        Spec(f"{P}/{method}/f64", lambda t, x: getattr(start(x), method)(),
             (U(5, low=low, high=high, dtype=F64),), **(EXACT if exact else ROUND64), **grad),
        Spec(f"{P}/{method}/special", lambda t, x: getattr(x.detach().clone(), method)(),
             (S(21),), **tol, **NO_GRADCHECK),
    ]


def _times_one(x):
    """A non-leaf copy of ``x`` in the graph (in-place operations need one)."""
    return x * 1


# top-level in-place functions, torch.<name>(x * 1): (name, low, high, exact, extra args)
_TOP_INPLACE = [
    ("abs_", -2, 2, True, ()), ("acos_", -0.9, 0.9, False, ()),
    ("arccos_", -0.9, 0.9, False, ()), ("arcsin_", -0.9, 0.9, False, ()),
    ("arctan_", -2, 2, False, ()), ("asin_", -0.9, 0.9, False, ()),
    ("atan_", -2, 2, False, ()), ("ceil_", -3, 3, True, ()), ("clamp_", -2, 2, True, (-1, 1)),
    ("clamp_max_", -2, 2, True, (0.5,)), ("clamp_min_", -2, 2, True, (-0.5,)),
    ("clip_", -2, 2, True, (-1, 1)), ("cos_", -2, 2, False, ()), ("cosh_", -2, 2, False, ()),
    ("erf_", -2, 2, False, ()), ("exp2_", -2, 2, False, ()), ("exp_", -2, 2, False, ()),
    ("expm1_", -2, 2, False, ()), ("fix_", -3, 3, True, ()), ("floor_", -3, 3, True, ()),
    ("frac_", -3, 3, True, ()), ("log10_", 0.5, 2, False, ()), ("log1p_", 0.5, 2, False, ()),
    ("log2_", 0.5, 2, False, ()), ("log_", 0.5, 2, False, ()),
    ("nan_to_num_", -2, 2, True, ()), ("neg_", -2, 2, True, ()),
    ("negative_", -2, 2, True, ()), ("reciprocal_", 0.5, 2, True, ()),
    ("relu_", -2, 2, True, ()), ("round_", -3, 3, True, ()), ("rsqrt_", 0.5, 2, True, ()),
    ("sigmoid_", -2, 2, False, ()), ("sin_", -2, 2, False, ()), ("sinh_", -2, 2, False, ()),
    ("sqrt_", 0.5, 2, False, ()), ("square_", -2, 2, True, ()), ("tan_", -1, 1, False, ()),
    ("tanh_", -2, 2, False, ()), ("trunc_", -3, 3, True, ()),
    ("threshold_", -2, 2, True, (0.1, 5.0)), ("selu_", -2, 2, False, ()),
    ("celu_", -2, 2, False, (1.5,)),
]

# piecewise constant (or kinked) functions: finite differences cross the jumps
_KINKED = {"ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "fix_", "floor_", "frac_",
           "round_", "trunc_", "threshold_", "relu_", "nan_to_num_", "abs_"}


def _top_inplace(name, low, high, exact, extra):
    tol = EXACT if exact else ROUND32
    if name == "sqrt_":
        tol = ROUND32  # torch's float32 sqrt is not correctly rounded (see pointwise.py)
    kinks = NO_GRADCHECK if name in _KINKED else {}
    return Spec(f"{P}/top/{name}", lambda t, x: getattr(t, name)(x * 1, *extra),
                (U(3, 4, low=low, high=high),), **tol, **kinks)


def _compare(name, method):
    """Comparisons on small whole numbers (many ties); zero gradients are compared with
    torch's, but finite differences would cross the jumps at the ties: no gradcheck."""
    ints = dict(low=0, high=3)
    return [
        Spec(f"{P}/{method}", lambda t, x, y: getattr(x * 1, method)(y),
             (A(3, 4, kind="int", low=0, high=3), A(4, kind="int", low=0, high=3)),
             **CMP),
        Spec(f"{P}/{method}/scalar", lambda t, x: getattr(x * 1, method)(1.0),
             (A(3, 4, kind="int", low=0, high=3),), **CMP),
        Spec(f"{P}/{method}/other_grad", lambda t, x, y: getattr(x.detach() * 1, method)(y),
             (A(5, kind="int", low=0, high=3), A(5, kind="int", low=0, high=3)), **CMP),
        Spec(f"{P}/{method}/int", lambda t, x: getattr(x.clone(), method)(1),
             (N(6, **ints),), **CMP),
        Spec(f"{P}/{method}/int_float_scalar", lambda t, x: getattr(x.clone(), method)(1.5),
             (N(6, **ints),), **CMP),
        Spec(f"{P}/{method}/f64_other", lambda t, x, y: getattr(x * 1, method)(y),
             (A(6, kind="int", low=0, high=3), A(6, dtype=F64, kind="int", low=0, high=3)),
             **CMP),
        Spec(f"{P}/{method}/bool", lambda t, x, y: getattr(x.clone(), method)(y),
             (A(6, dtype="bool", kind="bool"), A(6, dtype="bool", kind="bool")), **CMP),
        Spec(f"{P}/{method}/special", lambda t, x, y: getattr(x.detach().clone(), method)(y),
             (S(21), S(21)), **CMP),
    ]


def _logical(method):
    """torch leaves the history of self alone: the gradient passes through unchanged (which
    gradcheck would reject), so only torch's gradients are compared."""
    return [
        Spec(f"{P}/{method}", lambda t, x, y: getattr(x * 1, method)(y),
             (A(3, 4, kind="int", low=0, high=2), A(4, kind="int", low=0, high=2)), **EXACT,
             **NO_GRADCHECK),
        Spec(f"{P}/{method}/bool", lambda t, x, y: getattr(x.clone(), method)(y),
             (A(6, dtype="bool", kind="bool"), A(6, dtype="bool", kind="bool")), **EXACT),
        Spec(f"{P}/{method}/int", lambda t, x, y: getattr(x.clone(), method)(y),
             (N(6, low=0, high=3), A(6, kind="int", low=0, high=2)), **EXACT),
    ]


def _bitwise(method):
    return [
        Spec(f"{P}/{method}", lambda t, x, y: getattr(x.clone(), method)(y),
             (N(3, 4, low=-50, high=50), N(4, low=-50, high=50)), **EXACT),
        Spec(f"{P}/{method}/scalar", lambda t, x: getattr(x.clone(), method)(6),
             (N(6, dtype="int32", low=-50, high=50),), **EXACT),
        Spec(f"{P}/{method}/bool", lambda t, x, y: getattr(x.clone(), method)(y),
             (A(6, dtype="bool", kind="bool"), A(6, dtype="bool", kind="bool")), **EXACT),
        Spec(f"{P}/{method}/uint8", lambda t, x: getattr(x.clone(), method)(200),
             (N(6, dtype="uint8", low=0, high=255),), **EXACT),
    ]


SPECS = [
    *_hyperbolic("acosh", 1.05, 4.0),
    *_hyperbolic("asinh", -4.0, 4.0),
    *_hyperbolic("atanh", -0.95, 0.95),
    # arguments just above acosh's branch point and close to atanh's poles
    Spec(f"{P}/acosh/near_one", lambda t, x: t.acosh(x), (U(20, low=1.0, high=1.001,
                                                            dtype=F64),),
         **ROUND64, **NO_GRADCHECK),
    Spec(f"{P}/atanh/near_one", lambda t, x: t.atanh(x), (U(20, low=0.999, high=0.999999,
                                                            dtype=F64),),
         **ROUND64, **NO_GRADCHECK),
    Spec(f"{P}/asinh/huge", lambda t, x: t.asinh(x), (U(20, low=1e15, high=1e30, dtype=F64),),
         **ROUND64, **NO_GRADCHECK),
    *[s for args in _UNARY_INPLACE for s in _unary_inplace(*args)],
    Spec(f"{P}/atan2_", lambda t, x, y: (x * 1).atan2_(y), (U(3, 4), U(4)), **ROUND32),
    Spec(f"{P}/arctan2_", lambda t, x, y: (x * 1).arctan2_(y), (U(3, 4), U(3, 4)), **ROUND32),
    Spec(f"{P}/atan2_/scalar_tensor", lambda t, x, y: (x * 1).atan2_(y), (U(3, 4), U()),
         **ROUND32),
    Spec(f"{P}/bitwise_not_", lambda t, x: x.clone().bitwise_not_(), (N(3, 4),), **EXACT),
    Spec(f"{P}/bitwise_not_/bool", lambda t, x: x.clone().bitwise_not_(),
         (A(5, dtype="bool", kind="bool"),), **EXACT),
    *[s for m in ("bitwise_and_", "bitwise_or_", "bitwise_xor_") for s in _bitwise(m)],
    *[s for name, m in [("eq", "eq_"), ("ne", "ne_"), ("ne", "not_equal_"), ("lt", "lt_"),
                        ("lt", "less_"), ("le", "le_"), ("le", "less_equal_"),
                        ("gt", "gt_"), ("gt", "greater_"), ("ge", "ge_"),
                        ("ge", "greater_equal_")]
      for s in _compare(name, m)],
    *[s for m in ("logical_and_", "logical_or_", "logical_xor_") for s in _logical(m)],
    Spec(f"{P}/cumsum_", lambda t, x: (x * 1).cumsum_(1), (U(3, 4),), **ROUND32),
    Spec(f"{P}/cumsum_/dim0_f64", lambda t, x: (x * 1).cumsum_(0), (U(3, 4, dtype=F64),),
         **ROUND64),
    Spec(f"{P}/cumsum_/dtype_same", lambda t, x: (x * 1).cumsum_(0, dtype=t.float32),
         (U(5),), **ROUND32, **NO_GRADCHECK),
    Spec(f"{P}/cumsum_/int8_wraps", lambda t, x: x.clone().cumsum_(0),
         (N(12, dtype="int8", low=60, high=127),), **EXACT),
    Spec(f"{P}/cumsum_/int", lambda t, x: x.clone().cumsum_(-1), (N(3, 4),), **EXACT),
    Spec(f"{P}/cumprod_", lambda t, x: (x * 1).cumprod_(1), (U(3, 4),), **ROUND32),
    Spec(f"{P}/cumprod_/int", lambda t, x: x.clone().cumprod_(0), (N(5, low=-3, high=4),),
         **EXACT),
    # top-level in-place functions
    *[_top_inplace(*args) for args in _TOP_INPLACE],
    Spec(f"{P}/top/round_/decimals", lambda t, x: t.round_(x * 1, decimals=2), (U(6),),
         **NO_GRADCHECK),
    Spec(f"{P}/top/nan_to_num_/args", lambda t, x: t.nan_to_num_(x.detach() / 0, 1.0, 2.0,
                                                                 -2.0),
         (U(6),), **EXACT),
    Spec(f"{P}/top/clamp_/tensor", lambda t, x, lo: t.clamp_(x * 1, lo), (U(6), U(6)),
         **EXACT, **NO_GRADCHECK),
    Spec(f"{P}/top/square_/int", lambda t, x: t.square_(x.clone()), (N(6),), **EXACT),
    Spec(f"{P}/top/zero_", lambda t, x: t.zero_(x.detach().clone()), (U(6),), **EXACT),
    Spec(f"{P}/top/fill_", lambda t, x: t.fill_(x.detach().clone(), 2.5), (U(6),), **EXACT),
    Spec(f"{P}/top/fill_/int", lambda t, x: t.fill_(x.clone(), 2.7), (N(6),), **EXACT),
    Spec(f"{P}/top/fill", lambda t, x: t.fill(x, 3), (U(2, 3),), **EXACT),
    Spec(f"{P}/top/fill/tensor", lambda t, x, v: t.fill(x, v),
         (A(2, 3, grad=False), U()), **EXACT),
    Spec(f"{P}/top/fill/int", lambda t, x: t.fill(x, 2.7), (N(4),), **EXACT),
    # in the graph: torch's node names for the in-place forms, zeros to the old values
    Spec(f"{P}/zero_/graph", lambda t, x: (x * 2).zero_(), (U(6),), **EXACT),
    Spec(f"{P}/fill_/graph", lambda t, x: (x * 2).fill_(2.5), (U(6),), **EXACT),
    Spec(f"{P}/fill_/graph_tensor", lambda t, x, v: (x * 2).fill_(v), (U(2, 3), U()),
         **EXACT),
    Spec(f"{P}/top/fill/tensor_grad", lambda t, x, v: t.fill(x, v), (U(2, 3), U()),
         **EXACT),
    Spec(f"{P}/top/rrelu_/eval", lambda t, x: t.rrelu_(x * 1), (U(8),), **EXACT,
         **NO_GRADCHECK),
    Spec(f"{P}/top/rrelu_/train",
         lambda t, x: (t.manual_seed(3), t.rrelu_(x.detach() * 1, 0.1, 0.3, True))[1],
         (U(8),), **EXACT),
    # dropout functions: the default generator's draws, so bit-exact after manual_seed
    Spec(f"{P}/top/dropout_",
         lambda t, x: (t.manual_seed(0), t.dropout_(x * 1, 0.3, True))[1], (U(4, 5),),
         **EXACT, **NO_GRADCHECK),
    Spec(f"{P}/top/dropout_/eval", lambda t, x: t.dropout_(x * 1, 0.3, False), (U(4, 5),),
         **EXACT),
    Spec(f"{P}/top/alpha_dropout_",
         lambda t, x: (t.manual_seed(1), t.alpha_dropout_(x * 1, 0.4, True))[1], (U(4, 5),),
         **ROUND32, **NO_GRADCHECK),
    Spec(f"{P}/top/feature_dropout",
         lambda t, x: (t.manual_seed(2), t.feature_dropout(x, 0.5, True))[1],
         (U(3, 4, 2),), **EXACT, **NO_GRADCHECK),
    Spec(f"{P}/top/feature_dropout/eval", lambda t, x: t.feature_dropout(x, 0.5, False),
         (U(3, 4, 2),), **EXACT),
    Spec(f"{P}/top/feature_dropout_",
         lambda t, x: (t.manual_seed(4), t.feature_dropout_(x * 1, 0.5, True))[1],
         (U(3, 4, 2),), **EXACT, **NO_GRADCHECK),
    Spec(f"{P}/top/feature_alpha_dropout_",
         lambda t, x: (t.manual_seed(5), t.feature_alpha_dropout_(x * 1, 0.5, True))[1],
         (U(3, 4, 2),), **ROUND32, **NO_GRADCHECK),
    # predicates and complex helpers
    Spec(f"{P}/isposinf", lambda t, x: t.isposinf(x), (S(21),), **EXACT),
    Spec(f"{P}/isneginf/method", lambda t, x: x.isneginf(), (S(21),), **EXACT),
    Spec(f"{P}/isposinf/int", lambda t, x: t.isposinf(x), (N(5),), **EXACT),
    Spec(f"{P}/isreal", lambda t, x: t.isreal(x), (S(21),), **EXACT),
    Spec(f"{P}/isreal/int_method", lambda t, x: x.isreal(), (N(2, 3),), **EXACT),
    Spec(f"{P}/angle", lambda t, x: t.angle(x), (S(21),), **EXACT, **NO_GRADCHECK),
    Spec(f"{P}/angle/f64", lambda t, x: t.angle(x), (S(21, dtype=F64),), **EXACT,
         **NO_GRADCHECK),
    Spec(f"{P}/angle/f16", lambda t, x: t.angle(x), (S(21, dtype=F16),), **HALF),
    Spec(f"{P}/angle/grad", lambda t, x: x.angle(), (U(3, 4),), **EXACT),
    Spec(f"{P}/angle/int", lambda t, x: t.angle(x), (N(6),), **EXACT),
    Spec(f"{P}/angle/bool", lambda t, x: t.angle(x), (A(4, dtype="bool", kind="bool"),),
         **EXACT),
    Spec(f"{P}/conj", lambda t, x: t.conj(x) * 2, (U(4),), **EXACT),
    Spec(f"{P}/conj_physical", lambda t, x: t.conj_physical(x) * 2, (U(4),), **EXACT),
    Spec(f"{P}/resolve_conj", lambda t, x: t.resolve_conj(x).resolve_neg() * 2, (U(4),),
         **EXACT),
    Spec(f"{P}/real", lambda t, x: t.real(x) * 2, (U(4),), **EXACT),
    Spec(f"{P}/real/property", lambda t, x: x.real * 2, (U(4),), **EXACT),
    Spec(f"{P}/hardshrink/method", lambda t, x: x.hardshrink(0.7), (U(3, 4),), **EXACT,
         **NO_GRADCHECK),
    Spec(f"{P}/prelu/method", lambda t, x, w: x.prelu(w), (U(2, 3, 4), U(3)), **EXACT,
         **NO_GRADCHECK),
]


def _t(lib, values, dtype=None, grad=False):
    return lib.tensor(values, dtype=dtype, requires_grad=grad)


CAST = r"result type Float can't be cast to the desired output type Long"
LEAF = r"a leaf Variable that requires grad is being used in an in-place operation"

ERROR_SPECS = [
    # no bool kernels for rounding; cast errors name torch's scalar types
    *(ErrorSpec(f"{P}/{name}/bool", lambda t, name=name: getattr(t, name)(_t(t, [True])),
                match=rf'^"{kernel}_vml_cpu" not implemented for \'Bool\'$')
      for name, kernel in (("trunc", "trunc"), ("fix", "trunc"), ("floor", "floor"),
                           ("ceil", "ceil"), ("round", "round"))),
    ErrorSpec(f"{P}/round/bool_decimals", lambda t: t.round(_t(t, [True]), decimals=1),
              match=r'^"round_cpu" not implemented for \'Bool\'$'),
    ErrorSpec(f"{P}/add_/cast_int32", lambda t: t.ones(2, dtype=t.int32).add_(1.5),
              match=r"^result type Float can't be cast to the desired output type Int$"),
    ErrorSpec(f"{P}/add_/cast_double",
              lambda t: t.ones(2, dtype=t.int16).add_(t.ones(2, dtype=t.float64)),
              match=r"^result type Double can't be cast to the desired output type Short$"),
    ErrorSpec(f"{P}/acosh/not_tensor", lambda t: t.acosh([1.0]), match="must be Tensor"),
    ErrorSpec(f"{P}/acosh_/int", lambda t: _t(t, [1, 2]).acosh_(), match=CAST),
    ErrorSpec(f"{P}/atanh_/leaf", lambda t: _t(t, [0.5], grad=True).atanh_(), match=LEAF),
    ErrorSpec(f"{P}/top/asinh_/leaf", lambda t: t.asinh_(_t(t, [0.5], grad=True)),
              match=LEAF),
    ErrorSpec(f"{P}/acosh/out_grad",
              lambda t: t.acosh(_t(t, [2.0], grad=True), out=t.empty(1)),
              match="don't support automatic differentiation"),
    ErrorSpec(f"{P}/acosh_/backward",
              lambda t: (_t(t, [2.0], grad=True) * 1).acosh_().sum().backward(),
              match=r"the derivative for 'inplace version of acosh' is not implemented"),
    ErrorSpec(f"{P}/arctanh_/backward",
              lambda t: (_t(t, [0.5], grad=True) * 1).arctanh_().sum().backward(),
              match=r"the derivative for 'inplace version of atanh' is not implemented"),
    ErrorSpec(f"{P}/acos_/int", lambda t: _t(t, [1, 2]).acos_(), match=CAST),
    ErrorSpec(f"{P}/atan2_/int", lambda t: _t(t, [1, 2]).atan2_(_t(t, [1, 1])), match=CAST),
    ErrorSpec(f"{P}/atan2_/number", lambda t: _t(t, [1.0]).atan2_(2),
              match=r"atan2_\(\): argument 'other' \(position 1\) must be Tensor, not int"),
    ErrorSpec(f"{P}/frac_/int", lambda t: _t(t, [1, 2]).frac_(), match="frac_cpu"),
    ErrorSpec(f"{P}/bitwise_and_/float_other",
              lambda t: _t(t, [1, 2]).bitwise_and_(_t(t, [1.0, 2.0])), match=CAST),
    ErrorSpec(f"{P}/bitwise_or_/float", lambda t: _t(t, [1.0]).bitwise_or_(1),
              match="bitwise_or_cpu"),
    ErrorSpec(f"{P}/bitwise_not_/float", lambda t: _t(t, [1.0]).bitwise_not_(),
              match="bitwise_not_cpu"),
    ErrorSpec(f"{P}/eq_/broadcast", lambda t: _t(t, [1.0, 2.0]).eq_(_t(t, [[1.0], [2.0]])),
              match=r"output with shape \[2\] doesn't match the broadcast shape \[2, 2\]"),
    ErrorSpec(f"{P}/lt_/leaf", lambda t: _t(t, [1.0], grad=True).lt_(0.5), match=LEAF),
    ErrorSpec(f"{P}/logical_and_/number", lambda t: _t(t, [1.0]).logical_and_(1),
              match=r"argument 'other' \(position 1\) must be Tensor, not int"),
    ErrorSpec(f"{P}/cumsum_/dtype", lambda t: _t(t, [1, 2]).cumsum_(0, dtype=t.float32),
              match="Bad in-place call: input tensor dtype long int and output tensor dtype "
                    "float should match"),
    ErrorSpec(f"{P}/cumprod_/bool", lambda t: _t(t, [True]).cumprod_(0),
              match="cumprod_out_cpu"),
    ErrorSpec(f"{P}/square_/bool", lambda t: t.square_(_t(t, [True])),
              match="result type Long can't be cast to the desired output type Bool"),
    ErrorSpec(f"{P}/imag", lambda t: t.imag(_t(t, [1.0])),
              match="imag is not implemented for tensors with non-complex dtypes"),
    ErrorSpec(f"{P}/imag/property", lambda t: _t(t, [1.0]).imag,
              match="imag is not implemented for tensors with non-complex dtypes"),
    ErrorSpec(f"{P}/is_nonzero/empty", lambda t: t.is_nonzero(_t(t, [])),
              match="Boolean value of Tensor with no values is ambiguous"),
    ErrorSpec(f"{P}/is_nonzero/many", lambda t: _t(t, [1, 2]).is_nonzero(),
              match="Boolean value of Tensor with more than one value is ambiguous"),
    ErrorSpec(f"{P}/feature_dropout/1d", lambda t: t.feature_dropout(t.ones(5), 0.5, True),
              match="Feature dropout requires at least 2 dimensions in the input"),
    ErrorSpec(f"{P}/dropout_/p", lambda t: t.dropout_(t.ones(5), 1.5, True),
              match="dropout probability has to be between 0 and 1, but got 1.5"),
    ErrorSpec(f"{P}/fill/not_tensor", lambda t: t.fill([1.0], 2), match="fill"),
    ErrorSpec(f"{P}/zero_/not_tensor", lambda t: t.zero_(None), match="must be Tensor"),
]

"""Specs for addcmul/addcdiv (torchlet/_ops/pointwise/arithmetic.py).

addcmul is ``fma(value * t1, t2, input)`` and addcdiv ``input + (value * t1) / t2`` in
torch's CPU kernels (float16 in float32): both bit-exact here, in float32, float64 and
float16, with value != 1 and broadcasting. Their gradients are torch's formulas, computed in
the same order, so they are compared exactly too.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"

EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0)
# broadcast inputs: gradients summed over the broadcast dimensions, in NumPy's order; mixed
# dtypes: torch's formula multiplies by the uncast (int64 -> float32) tensor2
SUMMED = dict(exact=True, grad_rtol=1e-6, grad_atol=1e-7)
NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def _addc(name, fn, **kw):
    """The spec in float32 (with wide-range inputs: the sums round), float64 and float16."""
    return [
        Spec(f"pointwise_extra/{name}", fn,
             (A(5, 40, low=-1e3, high=1e3), A(5, 40), A(5, 40)), **{**EXACT, **kw}),
        Spec(f"pointwise_extra/{name}/f64", fn,
             (A(5, 40, dtype=F64, low=-1e3, high=1e3), A(5, 40, dtype=F64),
              A(5, 40, dtype=F64)), **{**EXACT, **kw}),
        Spec(f"pointwise_extra/{name}/f16", fn,
             (A(5, 40, dtype=F16), A(5, 40, dtype=F16), A(5, 40, dtype=F16)),
             **{**EXACT, **NO_GRADCHECK, **kw}),
    ]


def _addc_div(name, fn, **kw):
    """addcdiv's specs: the divisor drawn away from zero."""
    return [
        Spec(f"pointwise_extra/{name}", fn,
             (A(5, 40, low=-1e3, high=1e3), A(5, 40), A(5, 40, kind="positive")),
             **{**EXACT, **kw}),
        Spec(f"pointwise_extra/{name}/f64", fn,
             (A(5, 40, dtype=F64, low=-1e3, high=1e3), A(5, 40, dtype=F64),
              A(5, 40, dtype=F64, kind="positive")), **{**EXACT, **kw}),
        Spec(f"pointwise_extra/{name}/f16", fn,
             (A(5, 40, dtype=F16), A(5, 40, dtype=F16), A(5, 40, dtype=F16, kind="positive")),
             **{**EXACT, **NO_GRADCHECK, **kw}),
    ]


SPECS = [
    *_addc("addcmul", lambda t, x, a, b: t.addcmul(x, a, b)),
    *_addc("addcmul/value", lambda t, x, a, b: t.addcmul(x, a, b, value=-0.3)),
    *_addc("addcmul/method", lambda t, x, a, b: x.addcmul(a, b, value=1e-3)),
    *_addc("addcmul/inplace", lambda t, x, a, b: (x * 1).addcmul_(a, b, value=0.7)),
    *_addc_div("addcdiv", lambda t, x, a, b: t.addcdiv(x, a, b)),
    *_addc_div("addcdiv/value", lambda t, x, a, b: t.addcdiv(x, a, b, value=-0.3)),
    *_addc_div("addcdiv/method", lambda t, x, a, b: x.addcdiv(a, b, value=1e-3)),
    *_addc_div("addcdiv/inplace", lambda t, x, a, b: (x * 1).addcdiv_(a, b, value=0.7)),
    Spec("pointwise_extra/addcmul/broadcast", lambda t, x, a, b: t.addcmul(x, a, b, value=2.5),
         (A(1, 40, low=-50, high=50), A(5, 1), A(5, 40)), **SUMMED),
    Spec("pointwise_extra/addcdiv/broadcast", lambda t, x, a, b: t.addcdiv(x, a, b, value=2.5),
         (A(5, 40, low=-50, high=50), A(40), A(5, 1, kind="positive")), **SUMMED),
    Spec("pointwise_extra/addcmul/mixed", lambda t, x, a, b: t.addcmul(x, a, b, value=0.1),
         (A(4, 7), A(4, 7, dtype=F64), A(7, dtype="int64", kind="int", low=-5, high=5)),
         **SUMMED),
    Spec("pointwise_extra/addcdiv/int_input",
         lambda t, x, a, b: t.addcdiv(x, a, b, value=3),
         (A(4, 7, dtype="int64", kind="int", low=-9, high=9), A(4, 7), A(4, 7, kind="positive")),
         **EXACT),
    Spec("pointwise_extra/addcmul/int", lambda t, x, a, b: t.addcmul(x, a, b, value=3),
         (A(4, 7, dtype="int64", kind="int", low=-9, high=9),
          A(4, 7, dtype="int64", kind="int", low=-9, high=9),
          A(4, 7, dtype="int32", kind="int", low=-9, high=9)), **EXACT),
    Spec("pointwise_extra/addcmul/int_value_float",
         lambda t, x, a, b: t.addcmul(x, a, b, value=2.7),  # torch truncates value to 2
         (A(6, dtype="int64", kind="int", low=-9, high=9),
          A(6, dtype="int64", kind="int", low=-9, high=9),
          A(6, dtype="int64", kind="int", low=-9, high=9)), **EXACT),
    Spec("pointwise_extra/addcmul/special", lambda t, x, a, b: t.addcmul(x, a, b, value=0.5),
         (S(21), S(21), A(21)), **EXACT, **NO_GRADCHECK),
    Spec("pointwise_extra/addcdiv/special", lambda t, x, a, b: t.addcdiv(x, a, b, value=0.5),
         (S(21), A(21), S(21)), **EXACT, **NO_GRADCHECK),
]


def _ones(t, *shape, **kw):
    return t.ones(*shape, **kw)


ERROR_SPECS = [
    ErrorSpec("pointwise_extra/err/addcmul_number",
              lambda t: t.addcmul(_ones(t, 2), 2.0, _ones(t, 2)), match="tensor1"),
    ErrorSpec("pointwise_extra/err/addcmul_shape",
              lambda t: t.addcmul(_ones(t, 3), _ones(t, 3), _ones(t, 4)),
              match="must match the size"),
    ErrorSpec("pointwise_extra/err/addcmul_bool",
              lambda t: t.addcmul(*(_ones(t, 2, dtype=t.bool),) * 3), match="Bool"),
    ErrorSpec("pointwise_extra/err/addcdiv_int",
              lambda t: t.addcdiv(_ones(t, 2), t.tensor([1, 2]), t.tensor([3, 4])),
              match="Integer division with addcdiv"),
    ErrorSpec("pointwise_extra/err/addcmul_leaf_inplace",
              lambda t: _ones(t, 3, requires_grad=True).addcmul_(_ones(t, 3), _ones(t, 3)),
              match="leaf Variable"),
    ErrorSpec("pointwise_extra/err/addcdiv_leaf_inplace",
              lambda t: _ones(t, 3, requires_grad=True).addcdiv_(_ones(t, 3), _ones(t, 3)),
              match="leaf Variable"),
    ErrorSpec("pointwise_extra/err/addcmul_inplace_broadcast",
              lambda t: _ones(t, 1).addcmul_(_ones(t, 3), _ones(t, 3))),
    ErrorSpec("pointwise_extra/err/addcmul_inplace_cast",
              lambda t: t.tensor([1, 2]).addcmul_(_ones(t, 2), _ones(t, 2)),
              match="can't be cast"),
    ErrorSpec("pointwise_extra/err/addcmul_out_grad",
              lambda t: t.addcmul(_ones(t, 3, requires_grad=True), _ones(t, 3), _ones(t, 3),
                                  out=t.empty(3)), match="addcmul.*out="),
    ErrorSpec("pointwise_extra/err/addcmul_complex_value",
              lambda t: t.addcmul(_ones(t, 2), _ones(t, 2), _ones(t, 2), value=1j),
              match="without overflow"),
]

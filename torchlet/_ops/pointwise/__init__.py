"""Elementwise operations, one module per kind:

* ``operands``: torch's dtype rules for operands, ``to``, helpers;
* ``arithmetic``: + - * / // % ** and neg;
* ``unary``: exp, log, sqrt, trigonometry, sigmoid, relu, erf, rounding, abs, sign, ...;
* ``binary``: atan2, maximum, minimum, clamp, where, lerp;
* ``comparison``: comparisons, logical and bitwise operations (never differentiable);
* ``extra``: hypot, copysign, xlogy, logaddexp(2), fmax, fmin, heaviside, float_power,
  logit, deg2rad, rad2deg;
* ``special`` (kernels in ``special_kernels``): erfc, erfinv, lgamma, digamma, polygamma,
  mvlgamma, i0, sinc and torch.special's erfcx, log_ndtr, i0e, i1, i1e, ndtr, ndtri, entr
  (Bessel kernels in ``special_bessel``); ``special_binary``: xlog1py, zeta;
* ``special_int``: gcd, lcm, bit shifts, nextafter, ldexp, frexp, positive;
* ``inverse_hyperbolic``: acosh, asinh, atanh (and arccosh, arcsinh, arctanh);
* ``predicates``: isposinf, isneginf, isreal, is_nonzero, ..., and conj, real, imag, angle
  as they act on real tensors;
* ``inplace_functions``: the in-place comparisons, logical, bitwise and cumulative methods,
  and torch's top-level in-place functions (torch.exp_, ...); imported by torchlet itself.

Each differentiable operation is a ``Primitive``: ``forward`` on NumPy arrays and
``backward`` (the vector-Jacobian product) written with torchlet operations.
"""

from torchlet._ops.pointwise.arithmetic import (
    add,
    addcdiv,
    addcmul,
    div,
    divide,
    floor_divide,
    fmod,
    mul,
    multiply,
    neg,
    negative,
    pow,  # noqa: A004
    remainder,
    rsub,
    sub,
    subtract,
    true_divide,
)
from torchlet._ops.pointwise.binary import (
    arctan2,
    atan2,
    clamp,
    clamp_max,
    clamp_min,
    clip,
    lerp,
    maximum,
    minimum,
    nan_to_num,
    where,
)
from torchlet._ops.pointwise.comparison import (
    allclose,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    eq,
    equal,
    ge,
    greater,
    greater_equal,
    gt,
    isclose,
    isfinite,
    isinf,
    isnan,
    le,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
    not_equal,
    signbit,
)
from torchlet._ops.pointwise.extra import (
    check_float_power_,
    copysign,
    deg2rad,
    deg2rad_,
    float_power,
    fmax,
    fmin,
    heaviside,
    hypot,
    logaddexp,
    logaddexp2,
    logit,
    logit_,
    rad2deg,
    rad2deg_,
    xlogy,
    xlogy_,
)
from torchlet._ops.pointwise.inverse_hyperbolic import (
    acosh,
    arccosh,
    arcsinh,
    arctanh,
    asinh,
    atanh,
)
from torchlet._ops.pointwise.operands import (
    copy_from,
    full_like_value,
    to,
    zero_value,
    zeros_like,
    zeros_like_grad,
    zeros_like_scalar,
)
from torchlet._ops.pointwise.predicates import (
    angle,
    conj,
    conj_physical,
    conj_physical_,
    imag,
    is_complex,
    is_conj,
    is_neg,
    is_nonzero,
    is_same_size,
    is_signed,
    isneginf,
    isposinf,
    isreal,
    real,
    resolve_conj,
    resolve_neg,
)
from torchlet._ops.pointwise.special import (
    digamma,
    entr,
    erfc,
    erfc_,
    erfcx,
    erfinv,
    i0,
    i0_,
    i0e,
    i1,
    i1e,
    lgamma,
    log_ndtr,
    mvlgamma,
    ndtr,
    ndtri,
    polygamma,
    polygamma_for_inplace,
    sinc,
    sinc_,
)
from torchlet._ops.pointwise.special_binary import xlog1py, zeta
from torchlet._ops.pointwise.special_int import (
    bitwise_left_shift,
    bitwise_right_shift,
    frexp,
    gcd,
    gcd_,
    lcm,
    lcm_,
    ldexp,
    ldexp_,
    nextafter,
    positive,
)
from torchlet._ops.pointwise.unary import (
    abs,  # noqa: A004
    absolute,
    acos,
    arccos,
    arcsin,
    arctan,
    asin,
    atan,
    ceil,
    cos,
    cosh,
    erf,
    exp,
    exp2,
    expm1,
    fix,
    floor,
    frac,
    log,
    log1p,
    log2,
    log10,
    reciprocal,
    relu,
    round,  # noqa: A004
    rsqrt,
    sgn,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)

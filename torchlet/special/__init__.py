"""torchlet.special: torch.special's functions.

Most are the top-level functions under their scipy-style names (``expit`` is sigmoid,
``gammaln`` is lgamma, ``psi`` is digamma, ``multigammaln`` is mvlgamma, ...): torch's
special functions are the same operations, with the same grad_fn names. The others
(erfcx, log_ndtr, i0e, i1, i1e, ndtr, ndtri, entr, xlog1py, zeta) live in
torchlet/_ops/pointwise/special.py; the Bessel and Airy functions in special_bessel_more.py,
the orthogonal polynomials in special_polynomials.py, gammainc and gammaincc (torch.igamma
and torch.igammac) in special_gamma_inc.py.
"""

from torchlet._dtype import TYPE_WORDS
from torchlet._ops.pointwise import (
    digamma,
    entr,
    erf,
    erfc,
    erfcx,
    erfinv,
    exp2,
    expm1,
    i0,
    i0e,
    i1,
    i1e,
    lgamma,
    log1p,
    log_ndtr,
    logit,
    mvlgamma,
    ndtr,
    ndtri,
    polygamma,
    sigmoid,
    sinc,
    xlog1py,
    xlogy,
    zeta,
)
from torchlet._ops.pointwise.operands import (
    _check_tensor,
    _out,
    check_out_first,
    out_dtype_found,
)
from torchlet._ops.pointwise.special_bessel_more import (
    airy_ai,
    bessel_j0,
    bessel_j1,
    bessel_y0,
    bessel_y1,
    modified_bessel_i0,
    modified_bessel_i1,
    modified_bessel_k0,
    modified_bessel_k1,
    scaled_modified_bessel_k0,
    scaled_modified_bessel_k1,
    spherical_bessel_j0,
)
from torchlet._ops.pointwise.special_gamma_inc import gammainc, gammaincc
from torchlet._ops.pointwise.special_polynomials import (
    chebyshev_polynomial_t,
    chebyshev_polynomial_u,
    chebyshev_polynomial_v,
    chebyshev_polynomial_w,
    hermite_polynomial_h,
    hermite_polynomial_he,
    laguerre_polynomial_l,
    legendre_polynomial_p,
    shifted_chebyshev_polynomial_t,
    shifted_chebyshev_polynomial_u,
    shifted_chebyshev_polynomial_v,
    shifted_chebyshev_polynomial_w,
)
from torchlet._ops.pointwise.unary import RoundDecimals
from torchlet._ops.reduction.sums import logsumexp as _logsumexp
from torchlet._tensor import dim_arg
from torchlet.nn._functional import softmax as _softmax

expit = sigmoid
gammaln = lgamma
psi = digamma


def multigammaln(input, p, *, out=None):  # noqa: A002
    return mvlgamma(input, p, out=out)


def round(input, *, decimals=0, out=None):  # noqa: A001, A002
    """torch.special.round: always torch's ``round.decimals`` overload (RoundBackward1)."""
    x = _check_tensor("special_round", input)
    if x._data.dtype.kind != "f":  # (round.decimals has no integer kernel, decimals=0 too)
        check_out_first(out, x._data.dtype, out_dtype_found)  # (before the refusal)
        kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{TYPE_WORDS[x._data.dtype.name]}\'')
    return _out(RoundDecimals.apply(x, decimals=decimals), out, "special_round")


def logsumexp(input, dim, keepdim=False, *, out=None):  # noqa: A002
    return _out(_logsumexp(input, dim, keepdim), out, "special_logsumexp")


def softmax(input, dim, *, dtype=None):  # noqa: A002
    if type(dim) is not int:
        dim = dim_arg(dim, "special_softmax", 2)
    return _softmax.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):  # noqa: A002
    if type(dim) is not int:
        dim = dim_arg(dim, "special_log_softmax", 2)
    return _softmax.log_softmax(input, dim, dtype=dtype)


__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma",
    "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc",
    "gammaln", "hermite_polynomial_h", "hermite_polynomial_he", "i0", "i0e", "i1", "i1e",
    "laguerre_polynomial_l", "legendre_polynomial_p", "log1p", "log_ndtr", "log_softmax",
    "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
    "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w", "sinc", "softmax", "spherical_bessel_j0", "xlog1py",
    "xlogy", "zeta",
]

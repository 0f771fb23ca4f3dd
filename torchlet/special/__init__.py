"""torchlet.special: torch.special's functions.

Most are the top-level functions under their scipy-style names (``expit`` is sigmoid,
``gammaln`` is lgamma, ``psi`` is digamma, ``multigammaln`` is mvlgamma, ...): torch's
special functions are the same operations, with the same grad_fn names. The others
(erfcx, log_ndtr, i0e, i1, i1e, ndtr, ndtri, entr, xlog1py, zeta) live in
torchlet/_ops/pointwise/special.py.

Not provided: the orthogonal polynomials (chebyshev_/hermite_/laguerre_/legendre_
polynomial_*), the Airy, Bessel J/Y and modified Bessel K functions (airy_ai, bessel_j0/j1,
bessel_y0/y1, modified_bessel_i0/i1/k0/k1, scaled_modified_bessel_k0/k1),
spherical_bessel_j0, gammainc and gammaincc.
"""

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
from torchlet._ops.pointwise.operands import _check_tensor, _out
from torchlet._ops.pointwise.unary import RoundDecimals
from torchlet._ops.reduction.sums import logsumexp as _logsumexp
from torchlet.nn._functional import activation as _activation

expit = sigmoid
gammaln = lgamma
psi = digamma


def multigammaln(input, p, *, out=None):  # noqa: A002
    return mvlgamma(input, p, out=out)


def round(input, *, decimals=0, out=None):  # noqa: A001, A002
    """torch.special.round: always torch's ``round.decimals`` overload (RoundBackward1)."""
    x = _check_tensor("special_round", input)
    if x._data.dtype.kind != "f":
        from torchlet._ops.pointwise import round as _round

        return _round(x, decimals=decimals, out=out)
    return _out(RoundDecimals.apply(x, decimals=decimals), out, "special_round")


def logsumexp(input, dim, keepdim=False, *, out=None):  # noqa: A002
    return _out(_logsumexp(input, dim, keepdim), out, "special_logsumexp")


def softmax(input, dim, *, dtype=None):  # noqa: A002
    return _activation.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):  # noqa: A002
    return _activation.log_softmax(input, dim, dtype=dtype)


__all__ = [
    "digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln",
    "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
    "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py",
    "xlogy", "zeta",
]

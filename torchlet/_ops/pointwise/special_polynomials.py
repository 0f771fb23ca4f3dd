"""torch.special's orthogonal polynomials of x and the degree n: Chebyshev T, U, V, W and
their shifted forms on [0, 1], the physicists' and probabilists' Hermite H and He, Laguerre
L and Legendre P.

Each kernel is torch 2.13's ``*_forward(x, n)`` from aten/src/ATen/native/Math.h,
vectorised: x and n are brought to their common float dtype, n is truncated to an integer
(NaN, infinities and anything outside int64 become a negative degree, as the C++ cast does
on x86), then the same special cases (n < 0 gives 0; |x| == 1, or x == 0 and x == 1 for the
shifted forms, in closed form), the trigonometric formulas torch switches to for large n
inside (-1, 1), and otherwise the three-term recurrence, run for all elements at once with
the fused multiply-add torch's build contracts each step into. The recurrence stops at a
NaN, as torch's loop does; where x itself is NaN torch returns an uninitialised variable for
U, W, L, P and the shifted forms (undefined behaviour), and NaN here. Hermite H and He are
NaN above degree 128 (float32) or 512 (float64).

torch defines no derivative: the result never requires grad. Integer and bool operands are
promoted to the default float dtype; torch has no Half kernel.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.indexing._common import laid_out_as_torch
from torchlet._ops.pointwise._fused import _fma
from torchlet._ops.pointwise.extra import _float_operands
from torchlet._ops.pointwise.operands import _out, operand_error
from torchlet._ops.pointwise.special_kernels import _libm
from torchlet._tensor import Tensor, wrap

_INT64_LIMIT = 2.0**63


def _degree(n):
    """static_cast<int64_t>(n) as x86 does it: truncation, and INT64_MIN (a negative degree)
    for NaN, infinities and values out of range."""
    valid = np.isfinite(n) & (np.abs(n) < _INT64_LIMIT)
    return np.where(valid, np.trunc(np.where(valid, n, 0)), -1).astype(np.int64)


def _recurrence(p, q, n_steps, step, stop_at_nan=True):
    """Run ``r = step(k, p, q, at); p, q = q, r`` for k = 0 .. n_steps - 1 per element, on
    the elements still running (``at``, their indices, gathered each pass; a NaN stops an
    element, as torch's loop condition does); return the last r (q where no step ran)."""
    p, q = p.copy(), q.copy()
    k = 0
    running = np.flatnonzero(n_steps > 0)
    if stop_at_nan:
        running = running[~np.isnan(q[running])]
    while running.size:
        r = step(k, p[running], q[running], running)
        p[running], q[running] = q[running], r
        k += 1
        keep = n_steps[running] > k
        if stop_at_nan:
            keep &= ~np.isnan(r)
        running = running[keep]
    return q


# ---------------------------------------------------------------------------------------
# Chebyshev T, U, V, W (first to fourth kind), and shifted: the same in 2x - 1


def _chebyshev_loop(y, n, q0):
    """r = (y + y) q - p from p = 1, q = q0, for k = 2 .. n."""
    twice = y + y
    return _recurrence(np.ones_like(y), q0, n - 1, lambda k, p, q, at: _fma(twice[at], q, -p))


def _chebyshev(x, n, kind, shifted):
    """torch's chebyshev_polynomial_{t,u,v,w}_forward (``shifted``: the shifted_ ones)."""
    T = x.dtype.type
    one = T(1)
    y = (x + x - one) if shifted else x
    twice = y + y
    nf = n.astype(x.dtype)  # n's value in arithmetic with T, as C++ converts int64 to T
    first = {"t": y, "u": twice, "v": twice - one, "w": twice + one}[kind]
    theta = _libm(np.arccos, y)
    odd = n % 2 == 1
    if kind == "t":
        closed = _libm(np.cos, nf * theta)
    elif kind == "u":
        s = _libm(np.sin, theta)
        closed = np.where(s != 0, _libm(np.sin, (nf + one) * theta) / s,
                          (nf + one) * _libm(np.cos, (nf + one) * theta) / y)
    elif kind == "v":
        half = theta / T(2)
        closed = np.where(_libm(np.sin, half) != one,
                          _libm(np.cos, (nf + T(0.5)) * theta) / _libm(np.cos, half),
                          np.where(odd, -(nf + nf + one), nf + nf + one))
    else:
        half = theta / T(2)
        edge = np.where(y > 0, nf + nf + one, np.where(odd, -one, one))
        closed = np.where(_libm(np.cos, half) != one,
                          _libm(np.sin, (nf + T(0.5)) * theta) / _libm(np.sin, half), edge)
    out = _chebyshev_loop(y, n, first)
    out = np.where(n == 1, first, out)
    out = np.where(n == 0, one, out)
    # the degree above which torch uses the trigonometric form inside (-1, 1)
    if shifted:
        switch = {"t": 6, "u": 6, "v": 6, "w": 4}
    else:
        switch = {"t": 6, "u": 8, "v": 8, "w": 8}
    out = np.where((n > switch[kind]) & (np.abs(y) < one), closed, out)
    # the closed forms at the ends: x = +-1 (x = 1 and x = 0 for the shifted ones)
    at_top, at_bottom = (x == one, x == 0) if shifted else (x == one, x == -one)
    top = {"t": one, "u": nf + one, "v": one, "w": nf + nf + one}[kind]
    size = {"t": one, "u": nf + one, "v": nf + nf + one, "w": one}[kind]
    bottom = np.where(odd, -size, size)
    out = np.where(at_top, top, np.where(at_bottom, bottom, out))
    out = np.where(np.isnan(x), T(np.nan), out)
    return np.where(n < 0, T(0), out)


# ---------------------------------------------------------------------------------------
# Hermite, Laguerre, Legendre

_HERMITE_LIMIT = {np.dtype(np.float32): 128, np.dtype(np.float64): 512}


def _hermite_h(x, n):
    """H_{k+1} = 2x H_k - 2k H_{k-1}."""
    T = x.dtype.type
    twice = x + x
    out = _recurrence(np.ones_like(x), twice, n - 1,
                      lambda k, p, q, at: _fma(twice[at], q, -(T(2 * k + 2) * p)), False)
    return _hermite_ends(x, n, twice, out)


def _hermite_he(x, n):
    """He_{k+1} = x He_k - k He_{k-1}."""
    T = x.dtype.type
    out = _recurrence(np.ones_like(x), x, n - 1,
                      lambda k, p, q, at: _fma(x[at], q, -(T(k + 1) * p)), False)
    return _hermite_ends(x, n, x, out)


def _hermite_ends(x, n, first, out):
    T = x.dtype.type
    out = np.where(n > _HERMITE_LIMIT[x.dtype], T(np.nan), out)
    out = np.where(n == 1, first, out)
    out = np.where(n == 0, T(1), out)
    return np.where(n < 0, T(0), out)


def _laguerre(x, n):
    """L_{k+1} = ((2k + 1 - x) L_k - k L_{k-1}) / (k + 1); 1 at x == 0."""
    T = x.dtype.type
    one_minus_x = T(1) - x

    def step(k, p, q, at):
        k = k + 1
        return _fma(T(k + k) + one_minus_x[at], q, -(T(k) * p)) / T(k + 1)

    out = _recurrence(np.ones_like(x), one_minus_x, n - 1, step)
    out = np.where(n == 1, one_minus_x, out)
    out = np.where((n == 0) | (x == 0), T(1), out)
    out = np.where(np.isnan(x), T(np.nan), out)
    return np.where(n < 0, T(0), out)


def _legendre(x, n):
    """P_{k+1} = ((2k + 1) x P_k - k P_{k-1}) / (k + 1); +-1 at x == +-1."""
    T = x.dtype.type

    def step(k, p, q, at):
        k = k + 1
        return _fma(T(k + k + 1) * x[at], q, -(T(k) * p)) / T(k + 1)

    out = _recurrence(np.ones_like(x), x, n - 1, step)
    out = np.where(n == 1, x, out)
    out = np.where(n == 0, T(1), out)
    out = np.where(np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), T(1), T(-1)), out)
    out = np.where(np.isnan(x), T(np.nan), out)
    return np.where(n < 0, T(0), out)


# ---------------------------------------------------------------------------------------
# the functions


_OVERLOADS = ("Tensor x, Tensor n, *, Tensor out = None",
              "Number x, Tensor n, *, Tensor out = None",
              "Tensor x, Number n, *, Tensor out = None")


def _polynomial(kernel, name, x, n, out):
    """``kernel(x, degree)`` on the broadcast operands in their common float dtype; the
    result never requires grad."""
    try:
        a, b = _float_operands(x, n)
    except TypeError as error:
        raise operand_error(name, x, n, error, _OVERLOADS) from None
    a = a._data if isinstance(a, Tensor) else np.asarray(a)
    b = b._data if isinstance(b, Tensor) else np.asarray(b)
    if a.dtype == np.float16:
        raise NotImplementedError(f"\"{name[len('special_'):]}_cpu\" not implemented for 'Half'")
    wide_a, wide_b = np.broadcast_arrays(a, b)
    with np.errstate(all="ignore"):
        result = kernel(wide_a.reshape(-1), _degree(wide_b.reshape(-1))).reshape(wide_a.shape)
    return _out(wrap(laid_out_as_torch(result, a, b)), out, name)


def chebyshev_polynomial_t(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "t", False),
                       "special_chebyshev_polynomial_t", x, n, out)


def chebyshev_polynomial_u(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "u", False),
                       "special_chebyshev_polynomial_u", x, n, out)


def chebyshev_polynomial_v(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "v", False),
                       "special_chebyshev_polynomial_v", x, n, out)


def chebyshev_polynomial_w(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "w", False),
                       "special_chebyshev_polynomial_w", x, n, out)


def shifted_chebyshev_polynomial_t(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "t", True),
                       "special_shifted_chebyshev_polynomial_t", x, n, out)


def shifted_chebyshev_polynomial_u(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "u", True),
                       "special_shifted_chebyshev_polynomial_u", x, n, out)


def shifted_chebyshev_polynomial_v(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "v", True),
                       "special_shifted_chebyshev_polynomial_v", x, n, out)


def shifted_chebyshev_polynomial_w(x, n, *, out=None):
    return _polynomial(lambda a, k: _chebyshev(a, k, "w", True),
                       "special_shifted_chebyshev_polynomial_w", x, n, out)


def hermite_polynomial_h(x, n, *, out=None):
    return _polynomial(_hermite_h, "special_hermite_polynomial_h", x, n, out)


def hermite_polynomial_he(x, n, *, out=None):
    return _polynomial(_hermite_he, "special_hermite_polynomial_he", x, n, out)


def laguerre_polynomial_l(x, n, *, out=None):
    return _polynomial(_laguerre, "special_laguerre_polynomial_l", x, n, out)


def legendre_polynomial_p(x, n, *, out=None):
    return _polynomial(_legendre, "special_legendre_polynomial_p", x, n, out)

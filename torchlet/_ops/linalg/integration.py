"""Sample statistics and integration: trapezoid (trapz), cumulative_trapezoid, cov, corrcoef.

All four are composites in torch (ATen's Integration.cpp and Correlation.cpp), so they are
composed here from the same operations in the same order, and record torch's nodes:

    trapezoid(y, dx)     = (sum(y) - (y[0] + y[-1]) * 0.5) * dx
    trapezoid(y, x)      = sum((y[:-1] + y[1:]) * (x[1:] - x[:-1])) / 2
    cumulative_trapezoid = cumsum(dx / 2 * (y[:-1] + y[1:]))   (or cumsum(... * dx) / 2)
    cov(X)               = (X - avg) @ ((X - avg) * w)^T / norm_factor  (rows: variables)
    corrcoef(X)          = clip(cov / (s s^T), -1, 1),  s = sqrt(diag(cov))

The multiplications and divisions by a C++ double (``* 0.5``, ``* dx``, ``/ 2.``) are
torch's Scalar overloads, nodes MulBackward1 and DivBackward1 (``MulScalar``, ``DivScalar``).
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops import shape as _shape
from torchlet._ops.linalg.products import _mm, _scalar_name, _tensor_arg
from torchlet._ops.pointwise.arithmetic import DivScalar, MulScalar
from torchlet._ops.reduction.sums import cumsum
from torchlet._tensor import Tensor, _wrap_dim, wrap

# ---------------------------------------------------------------------------------------
# tensor times / over a C++ double


def _float(x: Tensor) -> Tensor:
    """Integer and bool tensors become the default float dtype (torch's promotion with a
    floating-point number)."""
    if x._data.dtype.kind == "f":
        return x
    return x.to(_dtype.get_default_dtype())


def _times(x: Tensor, number: float) -> Tensor:
    return MulScalar.apply(_float(x), number=float(number))


def _over(x: Tensor, number: float) -> Tensor:
    return DivScalar.apply(_float(x), number=float(number))


# ---------------------------------------------------------------------------------------
# trapezoid, trapz, cumulative_trapezoid


def _dim(name: str, y: Tensor, dim) -> int:
    if y._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, y._data.ndim)


def _spacing(name: str, y: Tensor, x: Tensor, dim: int) -> Tensor:
    """x[1:] - x[:-1] along dim, x viewed so that it lines up with y (ATen's rules)."""
    yd, xd = y._data, x._data
    if xd.ndim == 1:
        if xd.shape[0] != yd.shape[dim]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        sizes = [1] * yd.ndim
        sizes[dim] = xd.shape[0]
        x = _shape.view(x, tuple(sizes))
    elif xd.ndim < yd.ndim:
        x = _shape.view(x, (1,) * (yd.ndim - xd.ndim) + xd.shape)
    n = x._data.shape[dim]
    return _shape.narrow(x, dim, 1, n - 1) - _shape.narrow(x, dim, 0, n - 1)


def _halves(y: Tensor, dim: int) -> Tensor:
    n = y._data.shape[dim]
    return _shape.narrow(y, dim, 0, n - 1) + _shape.narrow(y, dim, 1, n - 1)


def _check_y(name: str, y: Tensor, x=None) -> None:
    if y._data.dtype == np.bool_ or (x is not None and x._data.dtype == np.bool_):
        what = "`x` or `y`" if x is not None else "`y`"
        raise RuntimeError(
            f"{name}: received a bool input for {what}, but bool is not supported")


def _check_dx(name: str, dx) -> float:
    if isinstance(dx, bool) or not isinstance(dx, (int, float, np.integer, np.floating)):
        raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
    return float(dx)


@numpy_names
def trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The integral of y along dim by the trapezoid rule, at points x (a tensor) or spaced
    dx apart (default 1)."""
    y = _tensor_arg("trapezoid", y, "y", 1)
    if x is not None and dx is not None:
        raise TypeError(
            "trapezoid() received an invalid combination of arguments - got (Tensor, "
            f"Tensor, dx={type_name(dx)}), but expected one of:\n"
            " * (Tensor y, Tensor x, *, int dim = -1)\n"
            " * (Tensor y, *, Number dx = 1, int dim = -1)"
        )
    d = _dim("trapezoid", y, dim)
    if x is None:
        step = _check_dx("trapezoid", 1 if dx is None else dx)
        if y._data.shape[d] == 0:
            return _zeros_except(y, d)
        _check_y("trapezoid", y)
        ends = _shape.select(y, d, 0) + _shape.select(y, d, -1)
        return _times(y.sum(d) - _times(ends, 0.5), step)
    x = _tensor_arg("trapezoid", x, "x", 2)
    if y._data.shape[d] == 0:
        return _zeros_except(y, d)
    _check_y("trapezoid", y, x)
    return _over((_halves(y, d) * _spacing("trapezoid", y, x, d)).sum(d), 2.0)


@numpy_names
def trapz(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The older name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


def _zeros_except(y: Tensor, dim: int) -> Tensor:
    shape = y._data.shape[:dim] + y._data.shape[dim + 1:]
    return wrap(np.zeros(shape, y._data.dtype))


@numpy_names
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1) -> Tensor:
    """The running trapezoid-rule integral of y along dim (one element fewer than y)."""
    y = _tensor_arg("cumulative_trapezoid", y, "y", 1)
    if x is not None and dx is not None:
        raise TypeError(
            "cumulative_trapezoid() received an invalid combination of arguments - got "
            f"(Tensor, Tensor, dx={type_name(dx)}), but expected one of:\n"
            " * (Tensor y, Tensor x, *, int dim = -1)\n"
            " * (Tensor y, *, Number dx = 1, int dim = -1)"
        )
    d = _dim("cumulative_trapezoid", y, dim)
    if x is None:
        _check_y("cumulative_trapezoid", y)
        step = _check_dx("cumulative_trapezoid", 1 if dx is None else dx)
        if y._data.shape[d] == 0:
            return _float(wrap(np.zeros(y._data.shape, y._data.dtype)))
        return cumsum(_times(_halves(y, d), step / 2.0), d)
    x = _tensor_arg("cumulative_trapezoid", x, "x", 2)
    _check_y("cumulative_trapezoid", y, x)
    if y._data.shape[d] == 0:
        return _float(wrap(np.zeros(y._data.shape, y._data.dtype)))
    return _over(cumsum(_halves(y, d) * _spacing("cumulative_trapezoid", y, x, d), d), 2.0)


# ---------------------------------------------------------------------------------------
# cov, corrcoef


def _long(value) -> Tensor:
    return wrap(np.asarray(value, np.int64))


def cov(input, *, correction=1, fweights=None, aweights=None) -> Tensor:  # noqa: A002
    """The covariance of the rows (variables) over the columns (observations), with
    frequency weights ``fweights`` and observation weights ``aweights``."""
    x = _tensor_arg("cov", input, "input", 1)
    if x._data.ndim > 2:
        raise RuntimeError(
            "cov(): expected input to have two or fewer dimensions but got an input with "
            f"{x._data.ndim} dimensions"
        )
    if x._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    rows = x if x._data.ndim == 2 else _shape.view(x, (1, -1))
    n = rows._data.shape[1]
    w = None
    for name, weights, kind, word in (("fweights", fweights, "iu", "integral"),
                                      ("aweights", aweights, "f", "floating point")):
        if weights is None:
            continue
        wd = weights._data
        if wd.ndim > 1:
            raise RuntimeError(
                f"cov(): expected {name} to have one or fewer dimensions but got {name} with "
                f"{wd.ndim} dimensions"
            )
        if wd.dtype.kind not in kind:
            raise RuntimeError(
                f"cov(): expected {name} to have {word} dtype but got {name} with "
                f"{_scalar_name(weights)} dtype"
            )
        if wd.size != n:
            raise RuntimeError(
                f"cov(): expected {name} to have the same numel as there are observations in "
                f"the input but got {wd.size} != {n}"
            )
        if n and wd.min() < 0:
            raise RuntimeError(f"cov(): {name} cannot be negative")
        w = weights if w is None else w * weights
    w_sum = w.sum() if w is not None else _long(n)
    if w is not None and w_sum._data == 0:
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (rows * w if w is not None else rows).sum(1) / w_sum
    if w is None:
        norm_factor = _long(n - correction)
    elif correction == 0:
        norm_factor = w_sum
    elif aweights is None:
        norm_factor = w_sum - correction
    elif fweights is None and n == 1 and correction == 1:
        norm_factor = _long(0)
    else:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    if norm_factor._data <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "number of observations.", UserWarning, stacklevel=2,
        )
        norm_factor = norm_factor * 0
    if n == 1 and (fweights is None) != (aweights is None):
        # torch zeroes the input here (in place); the result is the same zeros
        centred = _float(rows) * 0
    else:
        centred = rows - _shape.unsqueeze(avg, 1)
    weighted = centred * w if w is not None else centred
    c = _mm(centred, _shape.t(weighted))
    return _shape.squeeze(c / norm_factor)


def corrcoef(input) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows, clipped to [-1, 1] as NumPy does."""
    x = _tensor_arg("corrcoef", input, "input", 1)
    if x._data.ndim > 2:
        raise RuntimeError(
            "corrcoef(): expected input to have two or fewer dimensions but got an input "
            f"with {x._data.ndim} dimensions"
        )
    c = cov(x)
    if c._data.ndim == 0:
        return c / c
    stddev = _shape.diagonal(c).sqrt()
    c = c / _shape.view(stddev, (-1, 1))
    c = c / _shape.view(stddev, (1, -1))
    return c.clip(-1, 1)

"""torch's CPU arithmetic for the optimizers, reproduced on NumPy arrays.

Each function reproduces the rounding of the torch operation it is named after, for
arrays of one floating dtype, with Python numbers cast to that dtype first (as torch
does). A trailing underscore means "in place", as in torch. torch's ``add(..., alpha=)``,
``addcmul`` and ``lerp`` use a fused multiply-add (one rounding for ``a * b + c``), which
NumPy lacks: ``_fma`` (torchlet/_ops/pointwise/_fused.py) provides it.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise._fused import _fma, saxpy_in_place


def _add(x, y, alpha=1):
    """``x.add(y, alpha=alpha)``: ``x + alpha * y`` with one rounding."""
    if alpha == 1:
        return x + y
    return _fma(y, x.dtype.type(alpha), x)


def _add_(x, y, alpha=1) -> None:
    """``x.add_(y, alpha=alpha)``."""
    if alpha == 1:
        np.add(x, y, out=x)
    else:
        alpha = x.dtype.type(alpha)
        if not saxpy_in_place(y, alpha, x):
            _fma(y, alpha, x, out=x)


def _mul_(x, value) -> None:
    """``x.mul_(value)`` with a Python number."""
    np.multiply(x, x.dtype.type(value), out=x)


def _addcmul_(x, t1, t2, value=1) -> None:
    """``x.addcmul_(t1, t2, value=v)``: ``fma(v * t1, t2, x)``."""
    if value != 1:
        t1 = t1 * x.dtype.type(value)
    _fma(t1, t2, x, out=x)


def _addcdiv_(x, t1, t2, value=1) -> None:
    """``x.addcdiv_(t1, t2, value=v)``: ``x + (v * t1) / t2``, each step rounded."""
    if value != 1:
        t1 = t1 * x.dtype.type(value)
    x += t1 / t2


def _lerp_(x, end, weight) -> None:
    """``x.lerp_(end, weight)``: from whichever end is nearer, as torch's kernel does."""
    w = x.dtype.type(weight)
    diff = end - x
    if abs(w) < 0.5:
        _fma(w, diff, x, out=x)
    else:
        _fma(w - x.dtype.type(1), diff, end, out=x)

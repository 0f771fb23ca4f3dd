"""torch's CPU arithmetic for the optimizers, reproduced on NumPy arrays.

Each function reproduces the rounding of the torch operation it is named after, for
arrays of one floating dtype, with Python numbers cast to that dtype first (as torch
does). A trailing underscore means "in place", as in torch. torch's ``add(..., alpha=)``,
``addcmul`` and ``lerp`` use a fused multiply-add (one rounding for ``a * b + c``), which
NumPy lacks: ``_fma`` (torchlet/_ops/pointwise/_fused.py) provides it.

float16 arrays: torch computes half tensors in float32, with Python numbers taken as
float32, and rounds each result to float16 once (``_in_float32_``), except ``add(alpha=)``,
whose kernel rounds ``alpha`` to float16 (``_half_add_``).
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise._fused import _fma, half_add, saxpy_in_place

_F16 = np.dtype(np.float16)  # NumPy's float16 arrays share this object: `is` tests it fast


def _wide(a):
    """A float16 array (or number) widened to float32."""
    return a.astype(np.float32) if isinstance(a, np.ndarray) else a


def _in_float32_(kernel, x, *operands) -> None:
    """Run the in-place ``kernel`` on a float16 ``x`` as torch's CPU kernels treat half
    tensors: computed in float32 (the operands widened, Python numbers taken as float32,
    not rounded to float16 first), the result rounded to float16 once."""
    wide = x.astype(np.float32)
    kernel(wide, *(_wide(a) for a in operands))
    np.copyto(x, wide, casting="same_kind")


def _half_add_(x, y, alpha) -> None:
    """``x.add_(y, alpha=alpha)`` for float16, as torch's add kernel computes it
    (``half_add``: ``alpha`` rounded to float16, float32 fused multiply-adds in its SIMD
    loop, float16 steps in its scalar loop over the last elements)."""
    half_add(x, y, alpha, x)


def _mul(x, value):
    """``x * value`` with a number: in ``x``'s dtype; float16 in float32 (the number not
    rounded to float16 first), rounded once, as torch."""
    if x.dtype is _F16:
        return (x.astype(np.float32) * np.float32(value)).astype(_F16)
    return x * x.dtype.type(value)


def _div(x, value):
    """``x / value`` with a number, rounded as ``_mul``."""
    if x.dtype is _F16:
        return (x.astype(np.float32) / np.float32(value)).astype(_F16)
    return x / x.dtype.type(value)


def _add(x, y, alpha=1):
    """``x.add(y, alpha=alpha)``: ``x + alpha * y`` with one rounding."""
    if alpha == 1:
        return x + y
    if x.dtype is _F16:
        out = np.array(x)
        _half_add_(out, y, alpha)
        return out
    return _fma(y, x.dtype.type(alpha), x)


def _add_(x, y, alpha=1) -> None:
    """``x.add_(y, alpha=alpha)``."""
    if alpha == 1:
        np.add(x, y, out=x)
    else:
        typed = x.dtype.type(alpha)
        if saxpy_in_place(y, typed, x):
            return
        if x.dtype is _F16:
            _half_add_(x, y, alpha)
        else:
            _fma(y, typed, x, out=x)


def _mul_(x, value) -> None:
    """``x.mul_(value)`` with a Python number."""
    scalar = x.dtype.type
    if scalar is np.float16:
        _in_float32_(_mul_, x, value)
        return
    np.multiply(x, scalar(value), out=x)


def _addcmul_(x, t1, t2, value=1) -> None:
    """``x.addcmul_(t1, t2, value=v)``: ``fma(v * t1, t2, x)``."""
    if x.dtype is _F16:
        _in_float32_(_addcmul_, x, t1, t2, value)
        return
    if value != 1:
        t1 = t1 * x.dtype.type(value)
    _fma(t1, t2, x, out=x)


def _addcdiv_(x, t1, t2, value=1) -> None:
    """``x.addcdiv_(t1, t2, value=v)``: ``x + (v * t1) / t2``, each step rounded."""
    if x.dtype is _F16:
        _in_float32_(_addcdiv_, x, t1, t2, value)
        return
    if value != 1:
        t1 = t1 * x.dtype.type(value)
    x += t1 / t2


def _lerp_(x, end, weight) -> None:
    """``x.lerp_(end, weight)``: from whichever end is nearer, as torch's kernel does."""
    if x.dtype is _F16:
        _in_float32_(_lerp_, x, end, weight)
        return
    w = x.dtype.type(weight)
    diff = end - x
    if abs(w) < 0.5:
        _fma(w, diff, x, out=x)
    else:
        _fma(w - x.dtype.type(1), diff, end, out=x)


def _vector_head(x) -> int:
    """How many leading elements of ``x`` torch's fused CPU optimizer kernels (``fused=True``
    SGD, Adam, AdamW) update in whole vectors: they run with 32-byte (AVX2) vectors, in
    chunks of whole cache lines, so only the last ``numel % lanes`` elements go through
    their scalar loop, where the compiler contracts the multiply-adds differently. A
    non-contiguous ``x`` is treated as all vectors."""
    if not x.flags.c_contiguous:
        return x.size
    return x.size - x.size % (32 // x.itemsize)


def _flat(x, like):
    """``x`` (broadcast to ``like``'s shape) as a flat C-ordered array."""
    return np.ascontiguousarray(np.broadcast_to(x, like.shape)).reshape(-1)

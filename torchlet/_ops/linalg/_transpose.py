"""Transposed copies of matrices through OpenBLAS's ``omatcopy``.

``np.copyto(out, a.T)`` walks one of the two arrays across its rows; on a (256, 64)
float32 matrix that takes 12 us where OpenBLAS's blocked ``somatcopy`` takes 5 (NumPy's
wheels bundle it, but NumPy does not expose it). The linear layer's forward at small
batches ends in such a copy (``times_transposed``). A copy changes no number: before
first use each routine is checked to copy exactly, NaN payloads, signed zeros and
subnormals included; where no such routine is found NumPy copies.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np

from torchlet._ops.pointwise._fused import _address, openblas_functions

_ROW_MAJOR, _TRANSPOSE = 101, 112  # CBLAS's enums

# the names with 64-bit integers (a ``64_`` suffix, as NumPy's wheels build OpenBLAS) or
# 32-bit ones; the ``scipy_`` prefix is NumPy's wheels' (scipy-openblas)
_SYMBOLS = (("scipy_cblas_{}omatcopy64_", ctypes.c_int64), ("cblas_{}omatcopy64_", ctypes.c_int64),
            ("scipy_cblas_{}omatcopy", ctypes.c_int), ("cblas_{}omatcopy", ctypes.c_int))
_LETTERS = {np.dtype(np.float32): ("s", ctypes.c_float),
            np.dtype(np.float64): ("d", ctypes.c_double)}
_MIN_SIZE = 2048  # below this NumPy's copy costs about as much as the ctypes call


def transposed_copy(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[...] = a.T`` for a C-contiguous matrix ``a`` and a C-contiguous ``out`` of
    the transposed shape and the same dtype; returns ``out``."""
    omatcopy = _omatcopy(a.dtype) if a.size >= _MIN_SIZE else None
    if omatcopy is None or not (a.flags.c_contiguous and out.flags.c_contiguous
                                and out.flags.writeable):
        np.copyto(out, a.T)
        return out
    rows, cols = a.shape
    omatcopy(_ROW_MAJOR, _TRANSPOSE, rows, cols, 1.0, _address(a), cols, _address(out), rows)
    return out


@functools.cache
def _omatcopy(dtype: np.dtype):
    """OpenBLAS's ``[sd]omatcopy`` for ``dtype`` as a ctypes function, or None where it is
    not found or does not copy exactly (``_copies_exactly``)."""
    if dtype not in _LETTERS:
        return None
    letter, scalar = _LETTERS[dtype]
    names = [(pattern.format(letter), index) for pattern, index in _SYMBOLS]
    for function, index in openblas_functions(names):
        # (order, trans, rows, cols, alpha, a, lda, b, ldb)
        function.argtypes = [ctypes.c_int, ctypes.c_int, index, index, scalar,
                             ctypes.c_void_p, index, ctypes.c_void_p, index]
        function.restype = None
        if _copies_exactly(function, dtype):
            return function
    return None


def _copies_exactly(omatcopy, dtype: np.dtype) -> bool:
    """Whether ``omatcopy`` transposes matrices of several shapes (the kernels' blocks and
    remainders) bit for bit: it multiplies by alpha = 1, which must not flush subnormals,
    quiet NaNs or lose a payload."""
    bits = np.dtype(f"u{dtype.itemsize}")
    info = np.finfo(dtype)
    specials = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, info.smallest_subnormal,
                         -info.smallest_subnormal * 3, info.max], dtype)
    payload = specials.view(bits).copy()
    payload[:2] |= 1  # NaNs with a payload bit set
    specials = payload.view(dtype)
    rng = np.random.default_rng(0)
    for rows, cols in ((1, 1), (3, 5), (17, 33), (64, 256), (256, 64), (40, 7)):
        a = rng.standard_normal((rows, cols)).astype(dtype)
        a.reshape(-1)[:specials.size] = specials[:a.size]
        out = np.empty((cols, rows), dtype)
        omatcopy(_ROW_MAJOR, _TRANSPOSE, rows, cols, 1.0, _address(a), cols, _address(out),
                 rows)
        if not np.array_equal(out.view(bits), a.T.view(bits)):
            return False
    return True

"""One NumPy quirk worked around in one place: broadcasting a value per row.

``ufunc(a, values[:, None])`` on a 2-D ``a`` is, with NumPy's default buffer, about twice
as slow as the operation itself when the rows hold several hundred to a few thousand
numbers (measured with NumPy 1.26 and 2.4 on (4096, 1000) float32: 2.1 ms against
0.9 ms). A buffer shorter than a row avoids that. Over short rows a small buffer is
several times slower instead ((100000, 10): 3.6 ms against 0.4 ms; (8192, 64): 0.31
against 0.11 ms), and setting it costs about 2 us: so only large arrays with long rows
take it. The arithmetic is the same either way: results are bit-identical.
"""

from __future__ import annotations

import numpy as np

_LARGE = 1 << 16
_LONG_ROW = 512  # rows of 256: about even; of 1000: twice as fast


def per_row(ufunc, a: np.ndarray, values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``ufunc(a, values, out=out)`` with one value per sample, ``values`` of shape
    (N, ...), broadcast over axis 1 of ``a`` (N, C, ...)."""
    if a.ndim != 2:
        return ufunc(a, np.expand_dims(values, 1), out=out)
    if a.size < _LARGE or not _LONG_ROW <= a.shape[1] < np.getbufsize():
        return ufunc(a, values[:, None], out=out)
    size = np.setbufsize(16)
    try:
        return ufunc(a, values[:, None], out=out)
    finally:
        np.setbufsize(size)

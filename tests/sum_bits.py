"""Helpers of the sum-order speed tests (test_reduction_speed17, test_speed18): exact bit
comparison and data whose order of additions shows in the bits."""

from __future__ import annotations

import numpy as np


def bits(a) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(bits(a), bits(b))


def mixed_magnitudes(rng, shape, dtype):
    """Values of mixed magnitudes (so the order of additions shows in the bits)."""
    return (rng.standard_normal(shape) * 10.0 ** rng.integers(-4, 5, shape)).astype(dtype)

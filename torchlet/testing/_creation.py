"""``torch.testing.make_tensor``: a random tensor for tests, drawn exactly as torch draws it.

Integers and bools come from ``randint(low, high)``, floats from ``empty().uniform_(low,
high)``, on the default generator; torchlet's generator reproduces torch's stream, so
after the same ``manual_seed`` the values are torch's, bit for bit.
"""

from __future__ import annotations

import collections.abc
import functools
import math
import warnings

from torchlet import _dtype
from torchlet._ops.creation import empty
from torchlet._ops.random_ops import randint

__all__ = ["make_tensor"]

_INTEGRAL_TYPES = (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)
_BOOLEAN_OR_INTEGRAL_TYPES = (_dtype.bool, *_INTEGRAL_TYPES)
_FLOATING_TYPES = (_dtype.float16, _dtype.float32, _dtype.float64)


def _low_high(low, high, *, dtype, lowest_inclusive, highest_exclusive, default_low,
              default_high):
    """The defaults filled in, the interval checked and clamped to what ``dtype`` holds;
    integer bounds rounded up (randint's high is exclusive)."""
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(value, float) and math.isnan(value) for value in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got {low=} and {high=}")
    if low == high and dtype in _FLOATING_TYPES:
        warnings.warn(
            "Passing `low==high` to `torch.testing.make_tensor` for floating or complex types "
            "is deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
            FutureWarning, stacklevel=3,
        )
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest_inclusive or low >= highest_exclusive:
        raise ValueError(
            f"The value interval specified by `low` and `high` is [{low}, {high}), "
            f"but {dtype} only supports [{lowest_inclusive}, {highest_exclusive})"
        )
    low = min(max(low, lowest_inclusive), highest_exclusive)
    high = min(max(high, lowest_inclusive), highest_exclusive)
    if dtype in _BOOLEAN_OR_INTEGRAL_TYPES:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` with values uniform in [low, high) (defaults: [-9, 9) for
    floats, [-9, 10) for signed and [0, 10) for unsigned integers, [0, 2) for bool).

    ``noncontiguous`` returns every other element of a twice-as-wide tensor;
    ``exclude_zero`` replaces zeros by 1 (integers) or the dtype's smallest normal number.
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError(
            "The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
            f"but got {noncontiguous=} and {memory_format=}"
        )
    if requires_grad and dtype in _BOOLEAN_OR_INTEGRAL_TYPES:
        raise ValueError(
            "`requires_grad=True` is not supported for boolean and integral dtypes, but got "
            f"dtype={dtype}"
        )
    noncontiguous = noncontiguous and functools.reduce(lambda x, y: x * y, shape, 1) > 1
    if noncontiguous:  # twice as wide, so that the elements skipped differ from those kept
        shape = (*shape[:-1], 2 * shape[-1])

    if dtype is _dtype.bool:
        low, high = _low_high(low, high, dtype=dtype, lowest_inclusive=0, highest_exclusive=2,
                              default_low=0, default_high=2)
        result = randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _INTEGRAL_TYPES:
        info = _dtype.iinfo(dtype)
        # randint cannot draw int64's maximum (its bounds are int64), as in torch
        low, high = _low_high(
            low, high, dtype=dtype, lowest_inclusive=info.min,
            highest_exclusive=info.max + (1 if dtype is not _dtype.int64 else 0),
            default_low=-9, default_high=10,
        )
        result = randint(low, high, shape, device=device, dtype=dtype)
    elif dtype in _FLOATING_TYPES:
        info = _dtype.finfo(dtype)
        low, high = _low_high(low, high, dtype=dtype, lowest_inclusive=info.min,
                              highest_exclusive=info.max, default_low=-9, default_high=9)
        result = empty(shape, device=device, dtype=dtype)
        if high - low >= info.max:  # uniform_ needs high - low to be finite in dtype
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        raise TypeError(
            f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor()."
            " To request support, file an issue at: https://github.com/pytorch/pytorch/issues"
        )

    if noncontiguous:
        result = result[..., 1::2]  # offset by 1 to also catch offset bugs
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = (
            1 if dtype in _BOOLEAN_OR_INTEGRAL_TYPES else _dtype.finfo(dtype).tiny
        )
    if dtype in _FLOATING_TYPES:
        result.requires_grad = requires_grad
    return result

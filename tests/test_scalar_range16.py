"""Python ints past int64 as fill values, read as torch reads a Scalar: an int64 one, or
past 2**63 a uint64 one (a float tensor takes it; an integer dtype overflows with torch's
RuntimeError), and OverflowError from 2**64 on or below -2**63."""

from __future__ import annotations

import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

CASES = {
    "fill_float": (lambda L: L.zeros(2).fill_(2**63), [2.0**63, 2.0**63]),
    "full_float32": (lambda L: L.full((2,), 2**63, dtype=L.float32), [2.0**63, 2.0**63]),
    "masked_fill": (lambda L: L.zeros(2).masked_fill(L.tensor([True, False]), 2**63),
                    [2.0**63, 0.0]),
    "index_fill": (lambda L: L.zeros(2).index_fill_(0, L.tensor([0]), 2**63), [2.0**63, 0.0]),
    "fill_long": (lambda L: L.zeros(2, dtype=L.long).fill_(2**63),
                  (RuntimeError, "value cannot be converted to type int64_t without overflow")),
    "full_long": (lambda L: L.full((2,), 2**63),
                  (RuntimeError, "value cannot be converted to type int64_t without overflow")),
    "fill_uint8": (lambda L: L.zeros(2, dtype=L.uint8).fill_(2**63),
                   (RuntimeError, "value cannot be converted to type uint8_t without overflow")),
    "too_big": (lambda L: L.zeros(2).fill_(2**64), (OverflowError, "int too big to convert")),
    "too_small": (lambda L: L.zeros(2).fill_(-2**63 - 1),
                  (OverflowError, "can't convert negative int to unsigned")),
}


@pytest.mark.parametrize("name", CASES)
def test_fill_values_past_int64(name):
    call, want = CASES[name]
    libs = (torchlet, torch) if torch is not None else (torchlet,)
    for lib in libs:
        if isinstance(want, tuple):
            with pytest.raises(want[0]) as info:
                call(lib)
            assert str(info.value) == want[1]
        else:
            assert call(lib).tolist() == want


@pytest.mark.parametrize("data, dtype, error", [
    ([2**63, 1], None, ValueError),  # was silently -2**63
    ([1, 2**63], None, ValueError),
    ([[1, 2], [3, 2**63]], None, ValueError),
    ([2**63, 1.0], "long", ValueError),
    ([2**63, 1], "uint8", ValueError),  # the int is unpacked before the range check
    ([300, 2**63], "uint8", RuntimeError),
    ([1e19], "long", RuntimeError),
    ([9.3e18, 2**63], "long", RuntimeError),  # the first misfit is a float
])
def test_tensor_of_ints_past_int64_never_wraps(data, dtype, error):
    """A Python int past int64 among others in a list: NumPy reads the list as floats,
    which used to be cast to int64 and wrap; torch unpacks each int as a long long."""
    libs = (torchlet, torch) if torch is not None else (torchlet,)
    for lib in libs:
        kwargs = {} if dtype is None else {"dtype": getattr(lib, dtype)}
        with pytest.raises(error):
            lib.tensor(data, **kwargs)
    assert torchlet.tensor([1.5, -2.5], dtype=torchlet.long).tolist() == [1, -2]
    assert torchlet.tensor([2**63 - 1, -2**63]).tolist() == [2**63 - 1, -2**63]


@pytest.mark.parametrize("call, error, message", [
    (lambda L: L.tensor([1.0, None], dtype=L.float64), TypeError,
     "must be real number, not NoneType"),
    (lambda L: L.tensor([1, None], dtype=L.int64), TypeError,
     "'NoneType' object cannot be interpreted as an integer"),
    (lambda L: L.tensor([1.0, {}], dtype=L.float32), TypeError, "must be real number, not dict"),
    (lambda L: L.tensor(None, dtype=L.float32), TypeError, "must be real number, not NoneType"),
    (lambda L: L.tensor([1.0, None]), RuntimeError, "Could not infer dtype of NoneType"),
    (lambda L: L.arange(5, dtype=L.bool), NotImplementedError,
     "\"arange_cpu\" not implemented for 'Bool'"),
    (lambda L: L.arange(0, 2, dtype=L.bool), NotImplementedError,
     "\"arange_cpu\" not implemented for 'Bool'"),  # (returned [False, True] before)
])
def test_storing_non_numbers_and_bool_arange(call, error, message):
    """With a dtype given torch infers nothing: a non-number element is the error of
    storing it (Python's float or int conversion); without one, 'Could not infer'. torch
    has no bool arange on the CPU, whatever the bounds."""
    libs = (torchlet, torch) if torch is not None else (torchlet,)
    for lib in libs:
        with pytest.raises(error) as info:
            call(lib)
        assert str(info.value) == message
    meta = torchlet.arange(5, dtype=torchlet.bool, device="meta")
    assert meta.shape == (5,) and meta.dtype == torchlet.bool

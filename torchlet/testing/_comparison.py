"""``torch.testing.assert_close``: compare tensors, scalars and nested containers.

The rules and every message follow torch 2.13's ``torch/testing/_comparison.py``:

* Sequences (not strings) and mappings are compared item by item, after their lengths /
  key sets; a failure names the item (``The failure occurred for item [1]['w']``).
* ``None``, bools (and ``np.bool_``), Python numbers (and NumPy scalars) and tensor-likes
  are the leaves. Tensor-likes must be of directly related types (a Tensor and a
  Parameter, two ndarrays), never a Tensor and a float.
* Tensors: shape, then stride (``check_stride``), then dtype (``check_dtype``; otherwise
  both are promoted) must match; then the values must satisfy
  ``torch.isclose(actual, expected, rtol, atol, equal_nan)``.
* Default tolerances are the loosest of the two dtypes' (float16 1e-3/1e-5, float32
  1.3e-6/1e-5, float64 1e-7/1e-7, anything else exact).

The mismatch report (count, greatest absolute and relative differences and where) is
computed in the tensors' dtype as torch computes it, so its numbers print as torch's.
"""

from __future__ import annotations

import cmath
import collections.abc
import contextlib

import numpy as np

from torchlet import _dtype
from torchlet._ops.creation import as_tensor
from torchlet._ops.pointwise import isclose
from torchlet._tensor import Tensor

__all__ = ["assert_close"]

# {dtype: (rtol, atol)}
_DTYPE_PRECISIONS = {
    _dtype.float16: (0.001, 1e-5),
    _dtype.float32: (1.3e-6, 1e-5),
    _dtype.float64: (1e-7, 1e-7),
}

# the dtype a Python number stands for, when choosing its default tolerances
_NUMBER_DTYPES = {int: _dtype.int64, float: _dtype.float64, complex: None}
_COMPLEX128_PRECISION = (1e-7, 1e-7)


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its message, and which item of
    the (nested) inputs it concerns."""

    def __init__(self, error_type, message, item=()):
        super().__init__(message)
        self.error_type, self.message, self.item = error_type, message, item

    def to_error(self, msg=None) -> Exception:
        if isinstance(msg, str):
            return self.error_type(msg)
        message = self.message
        if self.item:
            message += "\n\nThe failure occurred for item " + "".join(
                str([key]) for key in self.item
            )
        return self.error_type(msg(message) if callable(msg) else message)


class _Unsupported(Exception):
    """This kind of leaf comparison does not handle these inputs; try the next one."""


# ---------------------------------------------------------------------------------------
# tolerances


def _tolerances(precisions, rtol, atol, item):
    if (rtol is None) ^ (atol is None):
        raise _Mismatch(
            ValueError,
            "Both 'rtol' and 'atol' must be either specified or omitted, "
            f"but got no {'rtol' if rtol is None else 'atol'}.",
            item,
        )
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*precisions)
    return max(rtols), max(atols)


def default_tolerances(*inputs, dtype_precisions=None):
    """The loosest default (rtol, atol) of the inputs' dtypes (tensors or dtypes)."""
    table = dtype_precisions or _DTYPE_PRECISIONS
    precisions = []
    for x in inputs:
        if isinstance(x, Tensor):
            x = x.dtype
        elif not isinstance(x, _dtype.dtype):
            raise TypeError(
                f"Expected a torch.Tensor or a torch.dtype, but got {type(x)} instead."
            )
        precisions.append(table.get(x, (0.0, 0.0)))
    rtols, atols = zip(*precisions)
    return max(rtols), max(atols)


# ---------------------------------------------------------------------------------------
# mismatch messages


def _mismatch_message(identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def line(kind, diff, idx, tol):
        if idx is None:
            text = f"{kind.title()} difference: {diff}"
        else:
            text = f"Greatest {kind} difference: {diff} at index {idx}"
        if not equality:
            text += f" (up to {tol} allowed)"
        return text + "\n"

    message = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        message += extra.strip() + "\n"
    message += line("absolute", abs_diff, abs_idx, atol)
    message += line("relative", rel_diff, rel_idx, rtol)
    return message.strip()


def _scalar_mismatch_message(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_message("Scalars", f"Expected {expected} but got {actual}.",
                             abs_diff, None, atol, rel_diff, None, rtol)


def _tensor_mismatch_message(actual, expected, matches, rtol, atol):
    """Count the mismatches; find the greatest differences among them, computed in the
    tensors' dtype (integers and bools in int64, their ratio in the default float dtype)
    as torch does, with the first index of each maximum."""
    shape = matches.shape
    total = matches.size
    mismatched = total - int(np.count_nonzero(matches))
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    a, e = actual.reshape(-1), expected.reshape(-1)
    if a.dtype.kind not in "fc":
        a, e = a.astype(np.int64), e.astype(np.int64)
    abs_diff = np.abs(a - e)
    abs_diff[matches.reshape(-1)] = 0
    abs_idx = int(np.argmax(abs_diff))
    if abs_diff.dtype.kind == "f":
        rel_diff = abs_diff / np.abs(e)
    else:
        ratio_dtype = _dtype.get_default_dtype().np
        rel_diff = abs_diff.astype(ratio_dtype) / np.abs(e).astype(ratio_dtype)
    rel_diff[matches.reshape(-1)] = 0
    rel_idx = int(np.argmax(rel_diff))
    return _mismatch_message(
        "Tensor-likes", extra,
        abs_diff[abs_idx].item(), tuple(int(i) for i in np.unravel_index(abs_idx, shape)),
        atol,
        rel_diff[rel_idx].item(), tuple(int(i) for i in np.unravel_index(rel_idx, shape)),
        rtol,
    )


# ---------------------------------------------------------------------------------------
# leaf comparisons: each returns a zero-argument check, or raises _Unsupported


def _none_pair(actual, expected, item, options):
    if not (actual is None or expected is None):
        raise _Unsupported

    def check():
        if not (actual is None and expected is None):
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", item)

    return check


def _bool_pair(actual, expected, item, options):
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = bool(actual), bool(expected)

    def check():
        if actual is not expected:
            raise _Mismatch(
                AssertionError, f"Booleans mismatch: {actual} is not {expected}", item
            )

    return check


def _number_precision(number):
    kind = _NUMBER_DTYPES[type(number)]
    return _COMPLEX128_PRECISION if kind is None else _DTYPE_PRECISIONS.get(kind, (0.0, 0.0))


def _number_pair(actual, expected, item, options):
    if not all(isinstance(x, (int, float, complex, np.number)) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = (x.item() if isinstance(x, np.number) else x for x in (actual, expected))
    rtol, atol = _tolerances([_number_precision(x) for x in (actual, expected)],
                             options["rtol"], options["atol"], item)

    def check():
        if options["check_dtype"] and type(actual) is not type(expected):
            raise _Mismatch(
                AssertionError,
                f"The (d)types do not match: {type(actual)} != {type(expected)}.", item,
            )
        if actual == expected:
            return
        if options["equal_nan"] and cmath.isnan(actual) and cmath.isnan(expected):
            return
        abs_diff = abs(actual - expected)
        if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
            return
        raise _Mismatch(AssertionError,
                        _scalar_mismatch_message(actual, expected, rtol, atol), item)

    return check


def _tensor_pair(actual, expected, item, options):
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or (not options["allow_subclasses"] and type(actual) is not type(expected)):
        raise _Unsupported
    try:
        actual, expected = (x if isinstance(x, Tensor) else as_tensor(x)
                            for x in (actual, expected))
    except Exception:
        raise _Unsupported from None
    rtol, atol = _tolerances([_DTYPE_PRECISIONS.get(x.dtype, (0.0, 0.0))
                              for x in (actual, expected)],
                             options["rtol"], options["atol"], item)

    def fail(attribute, actual_value, expected_value):
        raise _Mismatch(
            AssertionError,
            f"The values for attribute '{attribute}' do not match: {actual_value} != "
            f"{expected_value}.", item,
        )

    def check():
        a, e = actual, expected
        if a.shape != e.shape:
            fail("shape", a.shape, e.shape)
        if options["check_stride"] and a.stride() != e.stride():
            fail("stride()", a.stride(), e.stride())
        if options["check_device"] and a.device != e.device:
            fail("device", a.device, e.device)
        if a.dtype != e.dtype:
            if options["check_dtype"]:
                fail("dtype", a.dtype, e.dtype)
            common = _dtype.promote_types(a.dtype, e.dtype)
            a, e = a.to(common), e.to(common)
        matches = isclose(a.detach(), e.detach(), rtol=rtol, atol=atol,
                          equal_nan=options["equal_nan"])._data
        if matches.all():
            return
        if a.dim() == 0:
            message = _scalar_mismatch_message(a.item(), e.item(), rtol, atol)
        else:
            message = _tensor_mismatch_message(a._data, e._data, matches, rtol, atol)
        raise _Mismatch(AssertionError, message, item)

    return check


_LEAF_PAIRS = (_none_pair, _bool_pair, _number_pair, _tensor_pair)


def _checks(actual, expected, item, options) -> list:
    """The leaf checks of two (nested) inputs, in torch's order; structural mismatches
    raise at once."""
    sequence = collections.abc.Sequence
    if isinstance(actual, sequence) and not isinstance(actual, str) \
            and isinstance(expected, sequence) and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(
                AssertionError,
                f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                item,
            )
        checks = []
        for i in range(len(actual)):
            checks.extend(_checks(actual[i], expected[i], (*item, i), options))
        return checks
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise _Mismatch(
                AssertionError,
                "The keys of the mappings do not match:\n"
                f"Missing keys in the actual mapping: {sorted(expected_keys - actual_keys)}\n"
                f"Additional keys in the actual mapping: {sorted(actual_keys - expected_keys)}",
                item,
            )
        keys: collections.abc.Iterable = actual_keys
        with contextlib.suppress(Exception):  # sorted when the keys allow it, as torch
            keys = sorted(keys)
        checks = []
        for key in keys:
            checks.extend(_checks(actual[key], expected[key], (*item, key), options))
        return checks
    for make_pair in _LEAF_PAIRS:
        try:
            return [make_pair(actual, expected, item, options)]
        except _Unsupported:
            continue
    raise _Mismatch(
        TypeError,
        f"No comparison pair was able to handle inputs of type {type(actual)} and "
        f"{type(expected)}.", item,
    )


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with matching
    structure, shape and (by default) dtype. ``msg`` replaces the message (a string) or
    rewrites it (a callable)."""
    __tracebackhide__ = True
    options = {
        "allow_subclasses": allow_subclasses, "rtol": rtol, "atol": atol,
        "equal_nan": equal_nan, "check_device": check_device, "check_dtype": check_dtype,
        "check_stride": check_stride,
    }  # every tensor has the strided layout, so check_layout has nothing to check
    try:
        checks = _checks(actual, expected, (), options)
    except _Mismatch as failure:
        raise failure.to_error() from None
    for check in checks:
        try:
            check()
        except _Mismatch as failure:
            raise failure.to_error(msg) from None

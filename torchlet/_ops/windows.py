"""Window functions for signal processing: hann, hamming, bartlett, blackman, kaiser.

Each follows torch's recipe in ``aten/src/ATen/native/TensorFactories.cpp``: an ``arange``
in the requested dtype, scaled and passed through ``cos`` (or the Kaiser formula) in that
dtype, one rounding per step. With ``periodic=True`` the window is computed for
``window_length + 1`` points and the last is dropped (the DFT-even window torch's
``stft`` wants). Lengths 0 and 1 give an empty tensor and ``[1.]``.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._device import check_cpu, meta_array
from torchlet._dtype import type_name
from torchlet._ops.creation import (
    _finish,
    _np_dtype,
    _on_meta,
    check_layout,
    check_overloaded_flags,
)
from torchlet._ops.pointwise import special_bessel

# torch binds the windows as overloads (window_length), (window_length, periodic),
# (..., periodic, alpha[, beta]): a later argument may only be given after every earlier
# one, so these defaults mark "not passed" and the documented values are filled in below.
_OMITTED = object()
_KEYWORDS = ("torch.dtype dtype = None, torch.layout layout = None, torch.device device = "
             "None, bool pin_memory = False, bool requires_grad = False")


def _check_overload(name, window_length, periodic, extras):
    """Raise torch's TypeError unless the arguments fit one of the overloads: ``periodic`` a
    Python bool, and each of ``extras`` (the float parameters, in order, as
    ``(name, value)``) a real number given together with everything before it."""
    chain = [("periodic", periodic), *extras]
    given = [value is not _OMITTED for _, value in chain]
    fits = (
        all(given[:given.count(True)])
        and (periodic is _OMITTED or type(periodic) is bool)
        and all(value is _OMITTED
                or (isinstance(value, (int, float, np.integer, np.floating))
                    or getattr(value, "ndim", None) == 0)
                for _, value in extras)
    )
    if fits:
        return
    got = ", ".join([type_name(window_length)] + [
        f"{arg}={type_name(value)}" if not all(given[:i + 1]) else type_name(value)
        for i, (arg, value) in enumerate(chain) if value is not _OMITTED])
    params = ["int window_length"] + [
        "bool periodic" if arg == "periodic" else f"float {arg}" for arg, _ in chain]
    overloads = "\n".join(f" * ({', '.join(params[:k])}, *, {_KEYWORDS})"
                          for k in range(1, len(params) + 1))
    raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), "
                    f"but expected one of:\n{overloads}\n")


def _window(name, window_length, periodic, dtype, device, requires_grad, make,
            pin_memory=False):
    """Checks, the two short cases, the periodic extension; ``make(n, T)`` computes a
    symmetric window of ``n >= 2`` points as an array of scalar type ``T``."""
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True) \
            or dtype is not None:
        given = [a for a in (window_length, periodic) if a is not _OMITTED]
        check_overloaded_flags(name, given, dict(
            dtype=dtype, device=device, pin_memory=pin_memory, requires_grad=requires_grad),
            (("int window_length", _KEYWORDS),), _on_meta(device))
    meta = _on_meta(device)
    if not meta:
        check_cpu(device)
    periodic = True if periodic is _OMITTED else periodic
    if not isinstance(window_length, (int, np.integer)) or isinstance(window_length, bool):
        raise TypeError(
            f"{name}(): argument 'window_length' (position 1) must be int, not "
            f"{type_name(window_length)}"
        )
    np_dtype = _np_dtype(dtype)
    if np_dtype.kind != "f":
        raise RuntimeError(
            f"{name} expects floating point dtypes, got: {_dtype.from_numpy_dtype(np_dtype)}"
        )
    if window_length < 0:
        raise RuntimeError(
            f"{name} requires non-negative window_length, got window_length={window_length}"
        )
    if meta:  # (the shape and dtype only, as torch's meta kernel)
        return _finish(meta_array((window_length,), np_dtype), requires_grad)
    if window_length == 0:
        return _finish(np.empty(0, np_dtype), requires_grad)
    if window_length == 1:
        return _finish(np.ones(1, np_dtype), requires_grad)
    n = window_length + 1 if periodic else window_length
    window = make(n, np_dtype.type)
    return _finish(np.ascontiguousarray(window[:window_length]), requires_grad)


def _cos(x):
    """cos rounded to x's dtype. torch's float32 cos (SLEEF, within 1 ulp) agrees with the
    correctly rounded float64 cos more often than with NumPy's float32 one."""
    if x.dtype == np.float32:
        return np.cos(x.astype(np.float64)).astype(np.float32)
    return np.cos(x)


def _cosine_sum(n, T, alpha, beta):
    """alpha - beta cos(2 pi k / (n - 1)), each step rounded to ``T`` as torch does."""
    k = np.arange(n, dtype=T)
    return (_cos(k * T(2.0 * math.pi / (n - 1))) * T(-beta)) + T(alpha)


def hann_window(window_length, periodic=_OMITTED, *, dtype=None, layout=None, device=None,
                pin_memory=False, requires_grad=False):
    """w[k] = 1/2 (1 - cos(2 pi k / (N - 1))); ``periodic`` defaults to True."""
    _check_overload("hann_window", window_length, periodic, ())
    if layout is not None:
        check_layout(layout, "hann_window")
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, T: _cosine_sum(n, T, 0.5, 0.5), pin_memory)


def hamming_window(window_length, periodic=_OMITTED, alpha=_OMITTED, beta=_OMITTED, *,
                   dtype=None, layout=None, device=None, pin_memory=False,
                   requires_grad=False):
    """w[k] = alpha - beta cos(2 pi k / (N - 1)); defaults periodic=True, alpha=0.54,
    beta=0.46, each settable only after the ones before it (torch's overloads)."""
    _check_overload("hamming_window", window_length, periodic,
                    (("alpha", alpha), ("beta", beta)))
    if layout is not None:
        check_layout(layout, "hamming_window")
    alpha = 0.54 if alpha is _OMITTED else float(alpha)
    beta = 0.46 if beta is _OMITTED else float(beta)
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda n, T: _cosine_sum(n, T, alpha, beta), pin_memory)


def _bartlett(n, T):
    """2k / (N - 1) rising, then 2 - 2k / (N - 1) falling."""
    window = np.arange(n, dtype=T) * T(2.0 / (n - 1))
    first_half = ((n - 1) >> 1) + 1
    window[first_half:] = window[first_half:] * T(-1) + T(2)
    return window


def bartlett_window(window_length, periodic=_OMITTED, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """w[k] = 1 - |2k / (N - 1) - 1|; ``periodic`` defaults to True."""
    _check_overload("bartlett_window", window_length, periodic, ())
    if layout is not None:
        check_layout(layout, "bartlett_window")
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   _bartlett, pin_memory)


def _blackman(n, T):
    x = np.arange(n, dtype=T) * T(math.pi / (n - 1))
    return _cos(x * T(4)) * T(0.08) - _cos(x * T(2)) * T(0.5) + T(0.42)


def blackman_window(window_length, periodic=_OMITTED, *, dtype=None, layout=None, device=None,
                    pin_memory=False, requires_grad=False):
    """w[k] = 0.42 - 0.5 cos(2 pi k / (N - 1)) + 0.08 cos(4 pi k / (N - 1)); ``periodic``
    defaults to True."""
    _check_overload("blackman_window", window_length, periodic, ())
    if layout is not None:
        check_layout(layout, "blackman_window")
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   _blackman, pin_memory)


def kaiser_window(window_length, periodic=_OMITTED, beta=_OMITTED, *, dtype=None, layout=None,
                  device=None, pin_memory=False, requires_grad=False):
    """w[k] = I0(beta sqrt(1 - ((k - a) / a)^2)) / I0(beta),  a = (N - 1) / 2; defaults
    periodic=True, beta=12.0, and beta can only be given after periodic (torch's overloads:
    ``kaiser_window(16, beta=12.0)`` is a TypeError in torch too)."""
    _check_overload("kaiser_window", window_length, periodic, (("beta", beta),))
    if layout is not None:
        check_layout(layout, "kaiser_window")
    beta = 12.0 if beta is _OMITTED else float(beta)

    def make(n, T):
        compute = np.float32 if T is np.float16 else T  # torch's opmath type for half
        alpha = compute((n - 1) / 2.0)
        k = np.arange(n, dtype=T).astype(compute)
        ratio = (k - alpha) / alpha
        argument = compute(beta) * np.sqrt(np.abs(compute(1) - ratio * ratio))
        beta_i0 = special_bessel.i0(np.array([beta], compute))
        return (special_bessel.i0(argument) / beta_i0).astype(T)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   make, pin_memory)

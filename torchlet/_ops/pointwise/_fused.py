"""A fused multiply-add for NumPy arrays: ``a * b + c`` rounded once, as torch's CPU
kernels compute ``add(alpha=)``, ``addcmul``, ``lerp`` and the optimizers' updates with
FMA instructions. NumPy has none: ``_fma`` reproduces it exactly (float32 through the
OpenBLAS NumPy ships, else in float64; float64 with error-free transformations), so
those operations match torch bit for bit.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import math
import os
import threading

import numpy as np


def _fma(a, b, c, out=None):
    """``a * b + c`` rounded once (a fused multiply-add, as torch's vectorised kernels do).

    float32 and smaller, ``array * scalar + array`` (``add(alpha=)``, ``lerp``, all of
    SGD): exact, through BLAS where BLAS is seen to fuse (``_axpy32``: OpenBLAS's saxpy,
    else its gemv), else in float64 (``_fma_via_float64``). ``array * array + array``
    (``addcmul``): the product is exact in float64, the sum rounds there and again to the
    narrow type, which is one unit off in the rare lanes where the float64 sum lands
    exactly halfway between two float32 numbers; the optimizers using it match torch to a
    tolerance anyway (its sqrt is not correctly rounded), and ``_round_once``'s repair
    would make that path a third slower.
    float64: Dekker's error-free product and Knuth's two-sum recover the rounding errors
    of ``a * b`` and of the sum. The result goes into ``out`` when given.
    """
    if _is_scalar(a):
        a, b = b, a  # the scalar, if any, second
    if isinstance(b, np.float32) and _fma32_fits(a, b, c, out):
        # SGD's update first, ahead of the general dispatch: small parameters (biases)
        # take a few microseconds, most of it here in Python
        return _axpy32(a, b, c, out)
    dtype = np.result_type(a, b, c)
    if dtype != np.float64:
        f32 = dtype == np.float32
        if np.ndim(b) == 0:
            if f32 and _fma32_fits(a, b, c, out):
                return _axpy32(a, np.float32(b), c, out)
            return _fma_via_float64(a, b, c, dtype, out)
        if f32 and a.size >= _FMA_SCRATCH_MIN and _fma32_fits(a, b, c, out):
            return _fma32_scratch(a, b, c, out)
        wide = a.astype(np.float64)
        if np.shape(b) == wide.shape:
            wide *= b  # exact: two 24-bit significands fit in float64's 53
        else:  # b may broadcast a up
            wide = wide * b
        if out is None:
            out = np.empty(np.broadcast_shapes(wide.shape, np.shape(c)), dtype)
        return np.add(wide, c, out=out, casting="same_kind")
    # Boldo and Melquiond's emulation: with a * b = prod + prod_err exactly and
    # prod + c = total + sum_err exactly, the fused result is total + (sum_err + prod_err)
    # rounded once, which holds when that inner sum is rounded *to odd* (a plain rounding
    # of it can land on a midpoint and round twice: 3.0 * 0.3 + 1e-38 must give 0.9)
    prod = np.multiply(a, b)
    prod_err = _two_product_error(np.asarray(a, np.float64), np.asarray(b, np.float64), prod)
    total, sum_err = _two_sum(prod, c)
    err, err_low = _two_sum(sum_err, prod_err)
    even = (np.asarray(err, np.float64).view(np.int64) & 1) == 0
    err = np.where((err_low != 0) & even, np.nextafter(err, np.copysign(np.inf, err_low)), err)
    # where the sum is exact (err 0: keep total's signed zero) or the error terms are not
    # finite (an infinite product or sum: inf - inf), the plain total is the fused answer
    fused = np.where((err == 0) | ~np.isfinite(err), total, total + err)
    if out is None:
        return fused
    np.copyto(out, fused)
    return out


def _fma_via_float64(a, b, c, dtype, out=None):
    """``a * b + c`` rounded once, for an array ``a`` of float32 or smaller and a scalar
    ``b``: the product is exact in float64, the sum rounds there, and ``_round_once``
    rounds that to ``dtype`` as the exact sum would round."""
    wide = np.array(a, np.float64)
    wide *= b  # exact: two 24-bit significands fit in float64's 53
    if np.shape(c) == wide.shape:
        wide += c
    else:  # float64 named: NumPy 1 would add a 0-d float64 to a float32 array in float32
        wide = np.add(wide, c, dtype=np.float64)
    return _round_once(wide, a, b, c, dtype, out)


def _round_once(wide, a, b, c, dtype, out=None):
    """Round ``wide``, the float64 ``a * b + c`` (``a * b`` exact), to ``dtype`` as the
    exact ``a * b + c`` would round, into ``out`` when given.

    Rounding twice (to float64, then to ``dtype``) goes wrong only where the float64 sum
    lands exactly halfway between two ``dtype`` numbers: its dropped bits are 100...0
    (more of them in ``dtype``'s subnormal range), so its low ``drop - 1`` bits are zero.
    Apart from results that are exact anyway (zeros, short numbers) that is rare; those
    lanes are moved one float64 step towards the exact sum (the sum's rounding error, from
    Knuth's two-sum), off any midpoint, before the final rounding.
    """
    drop = _dropped_bits(dtype)
    if not wide.flags.c_contiguous:  # reshape would copy, and the repair be lost
        wide = np.ascontiguousarray(wide)
    flat = wide.reshape(-1)
    low = flat.view(np.int64) & ((1 << (drop - 1)) - 1)
    if low.size and not low.min():
        suspect = np.flatnonzero(low == 0)
        suspect = suspect[np.isfinite(flat[suspect])]
        shape = wide.shape or (1,)  # a 0-d result is indexed as one element
        where = np.unravel_index(suspect, shape)
        pa, pb, pc = (np.broadcast_to(x, wide.shape).reshape(shape)[where].astype(np.float64)
                      for x in (a, b, c))
        prod = pa * pb
        total = flat[suspect]  # == prod + pc, rounded once
        virtual_c = total - prod
        err = (prod - (total - virtual_c)) + (pc - virtual_c)
        inexact = err != 0
        flat[suspect[inexact]] = np.nextafter(total[inexact],
                                              np.copysign(np.inf, err[inexact]))
    if out is None:
        return wide.astype(dtype)
    np.copyto(out, wide, casting="same_kind")
    return out


@functools.cache
def _dropped_bits(dtype) -> int:
    """How many of float64's significand bits rounding to ``dtype`` drops."""
    return 52 - np.finfo(dtype).nmant


# Large float32 operands go through two reused float64 scratch buffers (2 MiB per thread),
# a block at a time: past a few MiB, fresh float64 temporaries cost page faults and cache
# misses on every call (measured: 1M elements 1.3x, 4M elements 1.8x faster this way).
# Below the threshold the plain path is as fast or faster, so it stays.
_FMA_SCRATCH_MIN = 1 << 19
_FMA_BLOCK = 1 << 17
_fma_local = threading.local()


def _fma32_fits(a, b, c, out) -> bool:
    """Whether ``_fma32_scratch`` and ``_axpy32`` apply: C-contiguous float32 ``a`` and
    ``c`` of one shape, ``b`` a scalar or another such array, ``out`` absent, or such an
    array that is either distinct from the inputs or one of them exactly (elementwise
    blocks stay safe)."""
    f32 = np.float32
    if not (isinstance(a, np.ndarray) and isinstance(c, np.ndarray) and a.dtype == f32
            and c.dtype == f32 and a.shape == c.shape and a.flags.c_contiguous
            and c.flags.c_contiguous):
        return False
    if not _is_scalar(b) and not (isinstance(b, np.ndarray) and b.dtype == f32
                                  and b.shape == a.shape and b.flags.c_contiguous):
        return False
    if out is None:
        return True
    if not (isinstance(out, np.ndarray) and out.dtype == f32 and out.shape == a.shape
            and out.flags.c_contiguous):
        return False
    for x in (a, b, c):
        if x is not out and isinstance(x, np.ndarray) and _may_overlap(out, x):
            return False
    return True


def _is_scalar(x) -> bool:
    """``np.ndim(x) == 0``, quicker for arrays and NumPy scalars (np.ndim on a NumPy
    scalar costs a microsecond, and SGD asks on every parameter)."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.ndim == 0
    return np.ndim(x) == 0


def _may_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """``np.may_share_memory(a, b)``; two distinct arrays that each allocated their own
    memory cannot overlap, which answers the usual case (a parameter and its gradient)
    at once."""
    if a is not b and a.flags.owndata and b.flags.owndata:
        return False
    return np.may_share_memory(a, b)


def _fma32_scratch(a, b, c, out):
    """``_fma`` for large float32 arrays ``a * b + c``: the same float64 operations, block
    by block."""
    if out is None:
        out = np.empty(a.shape, np.float32)
    scratch = getattr(_fma_local, "scratch", None)
    if scratch is None:
        scratch = _fma_local.scratch = np.empty((2, _FMA_BLOCK))
    a, b, c, o = a.reshape(-1), b.reshape(-1), c.reshape(-1), out.reshape(-1)
    for start in range(0, a.size, _FMA_BLOCK):
        stop = min(start + _FMA_BLOCK, a.size)
        wide, other = scratch[0, :stop - start], scratch[1, :stop - start]
        np.copyto(wide, a[start:stop])
        np.copyto(other, b[start:stop])
        wide *= other  # exact, as in _fma
        np.copyto(other, c[start:stop])
        wide += other
        np.copyto(o[start:stop], wide, casting="same_kind")  # rounded to float32
    return out


# ---------------------------------------------------------------------------------------
# ``x * alpha + y`` through BLAS
#
# NumPy has no fused multiply-add, but the OpenBLAS it ships with does. Its ``saxpy``
# (``y += alpha * x`` in place) runs FMA instructions: element i becomes
# fma(alpha, x[i], y[i]), torch's ``y.add_(x, alpha=alpha)`` bit for bit, in one pass
# over memory (3-4x faster than the gemv below on a 256x784 weight, torch's speed within
# 1.3x). The AVX2 kernel fuses only in its unrolled loop, 32 elements at a time, so
# there ``_saxpy_`` calls it on multiples of 32 and pads the last few. NumPy does not
# expose saxpy: ``_blas_saxpy`` finds it in the library NumPy loaded, for ctypes.
#
# Failing that, a matrix-vector product (gemv, which NumPy does expose) fuses in
# OpenBLAS's AVX-512 kernel: it accumulates ``A @ v`` a column at a time with FMA
# instructions, so with the rows A = [y; x] and v = [1, alpha] element i comes out as
# fma(x[i], alpha, y[i] * 1), at the cost of copying x and y into the rows.
#
# Nothing in BLAS promises either, so before first use each is run on ``_fma_witnesses``,
# inputs where rounding twice gives another float32 in every element, at every
# alignment and at the short lengths of the kernels' remainder code; where that fails
# (another BLAS, a CPU without FMA, OpenBLAS's AVX2 or 1-element gemv) the next route is
# taken, the last being float64 (``_fma_via_float64``).

_AXPY_BLAS_MIN = 1 << 13  # below this the float64 route is about as fast as gemv
_AXPY_BLOCK = 1 << 18  # 2 MiB of scratch rows per thread


def _axpy32(x, alpha, y, out=None):
    """``x * alpha + y`` rounded once: float32 arrays ``x``, ``y`` of one shape, a float32
    ``alpha``; ``out`` is None, ``y`` (in place), ``x``, or disjoint from both. Through
    BLAS where it fuses (saxpy, else gemv a block at a time), else in float64."""
    if out is None:
        out = np.empty(x.shape, np.float32)
    if not out.size:
        return out
    # OpenBLAS skips a zero alpha (saxpy) or column (gemv), but inf * 0 must give nan
    blas = alpha != 0 and math.isfinite(alpha)
    # (a read-only out goes on to NumPy, which raises its error)
    found = _blas_saxpy() if blas and out.flags.writeable else None
    if found is not None:
        if out is not y:  # saxpy updates y in place: start from a copy of y in out
            if out is x:
                x = x.copy()
            np.copyto(out, y)
        saxpy, granule = found
        _saxpy_(saxpy, granule, x, alpha, out)
        return out
    x, y, o = x.reshape(-1), y.reshape(-1), out.reshape(-1)
    # blocks of at most _AXPY_BLOCK (the scratch rows), all of about one length (fewer
    # lengths for _gemv_fuses to check); smaller blocks, to stay in cache from the copies
    # to the product, measured slower in a training loop (more calls, no gain)
    blocks = -(-x.size // _AXPY_BLOCK)  # ceiling division
    size = -(-x.size // blocks)
    for start in range(0, x.size, size):
        stop = min(start + size, x.size)
        block = o[start:stop]
        if not (blas and stop - start >= _AXPY_BLAS_MIN and _gemv_fuses(stop - start)):
            _fma_via_float64(x[start:stop], alpha, y[start:stop], np.float32, block)
            continue
        rows = _gemv_axpy(x[start:stop], alpha, y[start:stop], block)
        if block.view(np.uint32).min() == 0:
            # BLAS adds the products to a zeroed (+0) output: a -0 result comes out +0
            zero = np.flatnonzero(block == 0)
            block[zero] = _fma_via_float64(rows[1, zero], alpha, rows[0, zero], np.float32)
    return out


def saxpy_in_place(x, alpha, y) -> bool:
    """``y += alpha * x`` rounded once, where that is OpenBLAS's single saxpy call: ``x``
    and ``y`` distinct C-contiguous float32 arrays of one shape, each owning its memory
    (so they cannot overlap), ``alpha`` a finite non-zero float32, a saxpy that fuses at
    every length. Returns False, having done nothing, otherwise.

    SGD's update of every parameter: ``_fma`` reaches the same call after its general
    checks, which took twice as long as the update of a small parameter (a bias)."""
    alpha = saxpy_alpha(alpha)
    return alpha is not None and saxpy_arrays(x, alpha, y)


def saxpy_alpha(alpha):
    """``alpha`` (a float32) checked once for several ``saxpy_arrays`` calls (an SGD step
    updates every parameter with it): a ctypes float, or None where ``saxpy_in_place``
    would do nothing (no saxpy that fuses at every length, alpha zero or not finite)."""
    found = _blas_saxpy()
    if found is None or found[1] != 1 or not (alpha != 0 and math.isfinite(alpha)):
        return None
    return ctypes.c_float(alpha)  # (exact: alpha is a float32; passed as is, unconverted)


def saxpy_arrays(x, alpha, y) -> bool:
    """``saxpy_in_place(x, alpha, y)`` with ``alpha`` from ``saxpy_alpha`` (not None)."""
    if (type(x) is not np.ndarray or type(y) is not np.ndarray or x.dtype is not _F32
            or y.dtype is not _F32 or x.shape != y.shape or x is y
            or not 0 < y.size < _INT32_LIMIT):
        return False  # (a dtype equal to float32 but another object: the general path)
    x_flags, y_flags = x.flags, y.flags
    if not (x_flags.c_contiguous and y_flags.c_contiguous and x_flags.owndata
            and y_flags.owndata and x_flags.writeable and y_flags.writeable):
        return False
    # (writeable, so their addresses through from_buffer: see _address; NumPy's stubs
    # do not say an ndarray is a Buffer)
    x_address = _addressof(_first_byte(x))  # type: ignore[arg-type]
    y_address = _addressof(_first_byte(y))  # type: ignore[arg-type]
    _blas_saxpy()[0](y.size, alpha, x_address, 1, y_address, 1)
    return True


_F32 = np.dtype(np.float32)


def _saxpy_(saxpy, granule, x, alpha, y) -> None:
    """``y += alpha * x`` rounded once by OpenBLAS's ``saxpy``, called only at lengths
    that are multiples of ``granule`` where that is not 1 (see ``_blas_saxpy``)."""
    n = y.size
    if granule == 1 and n < _INT32_LIMIT:
        saxpy(n, alpha, _address(x), 1, _address(y), 1)
        return
    # granule-long pieces, at most _SAXPY_SERIAL at a time: OpenBLAS shares a longer call
    # between threads, and a thread's share may end in the remainder loop
    body = n - n % granule
    x_address, y_address = _address(x), _address(y)
    for start in range(0, body, _SAXPY_SERIAL):
        offset = 4 * start
        saxpy(min(_SAXPY_SERIAL, body - start), alpha, x_address + offset, 1,
              y_address + offset, 1)
    if body < n:  # the last few, padded with zeros to a granule
        x, y = x.reshape(-1), y.reshape(-1)
        pad = np.zeros((2, granule), np.float32)
        pad[0, :n - body], pad[1, :n - body] = x[body:], y[body:]
        saxpy(granule, alpha, _address(pad[0]), 1, _address(pad[1]), 1)
        y[body:] = pad[1, :n - body]


_INT32_LIMIT = 1 << 31  # lengths of a saxpy with 32-bit integers stay below
_SAXPY_SERIAL = 1 << 13  # OpenBLAS runs saxpy on one thread up to 10,000 elements


def _address(a) -> int:
    """The address of the first element of a non-empty C-contiguous array. ctypes'
    ``from_buffer`` takes a quarter of ``a.ctypes.data``'s microsecond, but wants a
    writable array."""
    if a.flags.writeable:
        return _addressof(_first_byte(a))
    return a.ctypes.data


_addressof, _first_byte = ctypes.addressof, ctypes.c_char.from_buffer  # (bound once: 2x)


# saxpy's names: with 64-bit integers (a ``64_`` suffix, as NumPy's wheels build it) or
# 32-bit ones; the ``scipy_`` prefix is NumPy's wheels' (scipy-openblas)
_SAXPY_SYMBOLS = (
    ("scipy_cblas_saxpy64_", ctypes.c_int64), ("cblas_saxpy64_", ctypes.c_int64),
    ("scipy_cblas_saxpy", ctypes.c_int), ("cblas_saxpy", ctypes.c_int),
)


@functools.cache
def _blas_saxpy():
    """``(saxpy, granule)``: ``saxpy(n, alpha, x_address, 1, y_address, 1)``, OpenBLAS's,
    as a ctypes function, and the lengths at which it rounds once, the multiples of
    ``granule`` (``_saxpy_granule``): 1 for OpenBLAS's AVX-512 kernel, 32 for its AVX2
    ("Haswell") kernel, whose loop for the last elements is not fused. None where no
    saxpy is found that fuses."""
    for saxpy, index in openblas_functions(_SAXPY_SYMBOLS):
        saxpy.argtypes = [index, ctypes.c_float, ctypes.c_void_p, index, ctypes.c_void_p,
                          index]
        saxpy.restype = None
        granule = _saxpy_granule(saxpy)
        if granule is not None:
            return saxpy, granule
    return None


def openblas_functions(symbols):
    """``(function, integer type)`` for each of ``symbols`` (``(name, integer type)``
    pairs, in order of preference) found in each OpenBLAS that NumPy may use."""
    for path in _openblas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name, index in symbols:
            function = getattr(lib, name, None)
            if function is not None:
                yield function, index


def _openblas_paths() -> list[str]:
    """Files that may hold the OpenBLAS NumPy uses: the one its wheel bundles (Linux and
    Windows: ``numpy.libs``, macOS: ``numpy/.dylibs``), then, on Linux, any OpenBLAS
    loaded in this process (a conda or system NumPy)."""
    root = os.path.dirname(os.path.realpath(np.__file__))
    paths = []
    for folder in (os.path.join(os.path.dirname(root), "numpy.libs"),
                   os.path.join(root, ".dylibs")):
        paths += sorted(glob.glob(os.path.join(folder, "*openblas*")))
    try:
        with open("/proc/self/maps") as maps:  # address perms offset device inode path
            loaded = {fields[5].strip() for fields in (line.split(None, 5) for line in maps)
                      if len(fields) == 6 and "openblas" in fields[5].lower()}
    except OSError:
        loaded = set()
    return list(dict.fromkeys(paths + sorted(loaded)))  # without repeats


_SAXPY_CHECK_LONG = 3 * (1 << 13) + 37  # over 10,000: OpenBLAS shares it between threads


def _saxpy_granule(saxpy) -> int | None:
    """The least of 1, 2, 4, ..., 64 whose multiples ``saxpy`` is seen to round once at
    (``_saxpy_fuses``); None if none."""
    for granule in (1, 2, 4, 8, 16, 32, 64):
        lengths = [*range(granule, 257, granule), _SAXPY_SERIAL]
        if granule == 1:
            lengths.append(_SAXPY_CHECK_LONG)  # split between threads
        if _saxpy_fuses(saxpy, lengths):
            return granule
    return None


def _saxpy_fuses(saxpy, lengths) -> bool:
    """Whether ``saxpy`` gives the witnesses' answers at each of ``lengths``, at every
    alignment of y and of x relative to y. The short lengths are those of the remainder
    code after the kernel's unrolled loop (which a call split between threads also runs
    on each share)."""
    longest = max(lengths)
    y, x, alpha, want = (np.resize(v, longest) if np.ndim(v) else v
                         for v in _fma_witnesses())
    y_buffer, x_buffer = (np.empty(longest + 16, np.float32) for _ in range(2))
    for n in lengths:
        for align in range(0, 64, 4):
            got = _at_alignment(y_buffer, align, n)
            source = _at_alignment(x_buffer, align * 5 % 64, n)  # every offset to y
            np.copyto(got, y[:n])
            np.copyto(source, x[:n])
            saxpy(n, alpha, _address(source), 1, _address(got), 1)
            if not _same_bits(got, want[:n]):
                return False
    return True


def _at_alignment(buffer, align, n):
    """``n`` elements of the float32 ``buffer`` starting at address ``align`` modulo 64."""
    skip = (align - buffer.ctypes.data % 64) % 64 // 4
    return buffer[skip:skip + n]


def _same_bits(got, want) -> bool:
    """Whether two float32 arrays hold the same numbers, signed zeros told apart and any
    NaN matching any NaN."""
    same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    return bool(same.all())


def _gemv_axpy(x, alpha, y, out):
    """``out = [1, alpha] @ [y; x]`` (one BLAS matrix-vector product); returns the rows,
    which hold copies of ``y`` and ``x`` (a per-thread buffer) until the next call."""
    rows = getattr(_fma_local, "rows", None)
    if rows is None:
        rows = _fma_local.rows = np.empty(2 * _AXPY_BLOCK, np.float32)
    rows = rows[:2 * out.size].reshape(2, out.size)  # contiguous, or NumPy copies it
    np.copyto(rows[0], y)
    np.copyto(rows[1], x)
    np.matmul(np.array([1, alpha], np.float32), rows, out=out)  # a little faster than dot
    return rows


@functools.cache
def _gemv_fuses(n: int) -> bool:
    """Whether ``_gemv_axpy`` rounds once at length ``n``: checked on ``_fma_witnesses``
    for every alignment of the output (once per length), and once for the short lengths
    whose remainder code a different BLAS thread count would also run in long vectors."""
    return _gemv_short_lengths_fuse() and all(
        _gemv_matches(n, align) for align in range(0, 64, 4))


@functools.cache
def _gemv_short_lengths_fuse() -> bool:
    """``_gemv_matches`` at lengths 2 to 40, every output alignment."""
    return all(_gemv_matches(n, align) for n in range(2, 41) for align in range(0, 64, 4))


def _gemv_matches(n, align) -> bool:
    """Whether ``_gemv_axpy`` gives the witnesses' answers at length ``n``, writing to an
    output at address ``align`` modulo 64."""
    y, x, alpha, want = _fma_witnesses()
    y, x, want = (np.resize(v, n) for v in (y, x, want))
    got = _at_alignment(np.empty(n + 16, np.float32), align, n)
    _gemv_axpy(x, alpha, y, got)
    return _same_bits(got, want)


@functools.cache
def _fma_witnesses():
    """``(y, x, alpha, want)``: float32 inputs and ``want = x * alpha + y`` rounded once,
    where ``y + fl(x * alpha)`` is exactly halfway between two float32 numbers and the
    rounding error of ``x * alpha`` decides the side, so that rounding the product first
    gives another answer in every element. Then a few subnormal and non-finite cases
    (a BLAS flushing subnormals to zero would fail on those)."""
    rng = np.random.default_rng(0)
    n = 4096
    alpha = np.float32(-0.0123)
    # y's significand in [1.25, 1.75): y + d stays in y's binade, where the spacing is ulp
    y = rng.uniform(1.25, 1.75, n) * 2.0 ** rng.integers(-30, 30, n) * rng.choice([-1, 1], n)
    y = y.astype(np.float32)
    ulp = 2.0 ** (np.floor(np.log2(np.abs(y.astype(np.float64)))) - 23)
    d = (rng.integers(1, 1 << 12, n) + 0.5) * ulp * rng.choice([-1, 1], n)  # a float32
    # x with fl(x * alpha) == d but x * alpha != d: among the neighbours of d / alpha
    x0 = (d / alpha).astype(np.float32)
    x = np.zeros(n, np.float32)
    for step in (0, 1, -1, 2, -2):
        candidate = (x0.view(np.int32) + step).view(np.float32)
        prod = candidate.astype(np.float64) * alpha
        hit = (x == 0) & (prod.astype(np.float32) == d) & (prod != d)
        x[hit] = candidate[hit]
    y, x = y[x != 0], x[x != 0]
    want = _fma_via_float64(x, alpha, y, np.float32)
    keep = want != y + x * alpha  # about half: the product's error points the other way
    tiny = 2.0 ** -149
    y = np.concatenate([y[keep], np.float32([tiny * 3, -tiny * 5, 2.0 ** -127, np.inf,
                                             -np.inf, np.nan, 1.0, 1.0])])
    x = np.concatenate([x[keep], np.float32([2.0 ** -122, tiny * 7, 2.0 ** -118, 1.0,
                                             -np.inf, 1.0, np.inf, np.nan])])
    with np.errstate(invalid="ignore"):  # -inf + inf
        want = _fma_via_float64(x, alpha, y, np.float32)
    return y, x, alpha, want


_SPLITTER = 134217729.0  # 2**27 + 1: splits a float64 into two 26-bit halves


def _two_sum(x, y):
    """``x + y`` rounded, and its exact rounding error (Knuth's two-sum)."""
    total = x + y
    virtual_y = total - x
    return total, (x - (total - virtual_y)) + (y - virtual_y)


def _two_product_error(a, b, prod):
    """The exact rounding error ``a * b - fl(a * b)`` (Dekker / Veltkamp)."""
    t = _SPLITTER * a
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = _SPLITTER * b
    b_hi = t - (t - b)
    b_lo = b - b_hi
    return ((a_hi * b_hi - prod) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


# ---------------------------------------------------------------------------------------
# torch's elementwise CPU loop: which elements its scalar code computes
#
# cpu_kernel_vec (aten/src/ATen/native/cpu/Loops.h) walks each contiguous run of the
# output in memory (TensorIterator coalesces the dims that continue one another in every
# operand) with SIMD code over whole blocks of two vectors, and its scalar code over the
# rest of the run; a run where an operand steps by neither one element nor zero (a
# broadcast) is all scalar code. Past GRAIN_SIZE elements the loop is split between
# threads, each part a run of its own. Where the two codes round differently (float16
# add with alpha, float32 pow), torchlet answers each element as the code computing it.

_GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE


def scalar_lanes(out, operands, block):
    """A boolean mask of ``out``'s shape: the elements torch's ``cpu_kernel_vec`` computes
    with its scalar code when it writes ``out`` (laid out as torch's result) from the
    arrays or numbers ``operands``, in SIMD blocks of ``block`` elements; None where there
    are none. Threads as ``torchlet.get_num_threads()``."""
    from torchlet._runtime import get_num_threads  # (not at import: _runtime is above us)

    n = out.size
    if n == 0:
        return None
    # the dims in memory order (outermost first), as TensorIterator orders them
    dims = sorted((d for d in range(out.ndim) if out.shape[d] > 1),
                  key=lambda d: abs(out.strides[d]), reverse=True)
    run, inner, simd = 1, len(dims), True
    if out.flags.c_contiguous and all(  # (the usual case: one run)
            np.ndim(x) == 0 or (x.shape == out.shape and x.flags.c_contiguous)
            for x in operands):
        run = n
    elif dims:
        arrays = [out] + [np.broadcast_to(x, out.shape) for x in operands]
        steps = [a.strides[dims[-1]] for a in arrays]
        inner -= 1
        run = out.shape[dims[inner]]
        while inner > 0 and all(a.strides[dims[inner - 1]] == run * s
                                for a, s in zip(arrays, steps)):
            inner -= 1
            run *= out.shape[dims[inner]]
        one = out.itemsize
        ins = steps[1:]
        # all contiguous, or one broadcast operand and the others contiguous
        simd = steps[0] == one and (all(s == one for s in ins) or (
            ins.count(0) == 1 and ins.count(one) == len(ins) - 1))
    if not simd:
        return np.ones(out.shape, dtype=bool)
    threads = min(get_num_threads(), -(-n // _GRAIN_SIZE)) if n >= _GRAIN_SIZE else 1
    if threads == 1:
        if run % block == 0:
            return None
        lanes = np.zeros((n // run, run), dtype=bool)
        lanes[:, run - run % block:] = True
    else:  # the runs cut where the threads' parts end
        chunk = -(-n // threads)
        starts = np.union1d(np.arange(0, n, run), np.arange(0, n, chunk))
        ends = np.append(starts[1:], n)
        edges = np.zeros(n + 1, dtype=np.int64)
        np.add.at(edges, ends - (ends - starts) % block, 1)
        np.add.at(edges, ends, -1)
        lanes = np.cumsum(edges[:n]) > 0
    order = dims + [d for d in range(out.ndim) if out.shape[d] <= 1]
    lanes = lanes.reshape([out.shape[d] for d in order])
    return lanes.transpose(np.argsort(order))


_HALF_ADD_BLOCK = 32  # float16 elements a SIMD step of torch's add kernel (measured)


def half_add(a, b, alpha, out):
    """``out = a + alpha * b`` for float16, as torch's add kernel (``add``, ``sub``,
    ``add_`` with ``alpha=``) computes it: ``alpha`` rounded to float16; its SIMD code a
    fused multiply-add in float32 rounded to float16 once, its scalar code (``scalar_lanes``:
    the last ``numel % 32`` elements of a contiguous tensor, all of a strided one)
    ``a + alpha * b`` in float16 arithmetic, each step rounded. ``out`` (float16, of the
    broadcast shape, laid out as torch's result) may be ``a`` itself."""
    alpha = np.float16(alpha)
    lanes = scalar_lanes(out, (a, b), _HALF_ADD_BLOCK)
    if lanes is not None:
        tail = (np.broadcast_to(a, out.shape)[lanes]
                + alpha * np.broadcast_to(b, out.shape)[lanes])
    f32 = np.float32
    np.copyto(out, _fma(np.asarray(b, f32), f32(alpha), np.asarray(a, f32)),
              casting="same_kind")
    if lanes is not None:
        out[lanes] = tail
    return out

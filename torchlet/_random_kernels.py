"""NumPy samplers that reproduce PyTorch 2.13's CPU random kernels bit for bit.

Every function here takes a ``torchlet._generator.Generator`` first and returns a *new* NumPy
array.  "The spec" is docs/torch-rng.md; section numbers (§) refer to it.

Memory-order contract
---------------------
PyTorch fills a tensor element by element in *memory order*.  The samplers therefore return an
array of the requested ``shape`` (C order) whose C-order flattening is the draw order: element
``out.reshape(-1)[i]`` is the i-th value PyTorch would write.  For a contiguous destination the
result can be used as is; for any other destination the caller writes ``out.reshape(-1)`` into
the destination's elements taken in *its* memory order.  Samplers with array parameters
(``bernoulli_tensor``, ``poisson``) read them in the same order: pass the parameters arranged
like the destination's memory.  ``normal`` also needs to know whether the destination is
contiguous: PyTorch uses a different algorithm then (§4).  ``multinomial`` follows PyTorch's own
layout rules (see there).

Floating-point emulation
------------------------
The bit-exact arithmetic lives in ``torchlet/_generator.py``: ``fma32``/``fma64`` emulate the
fused multiply-adds of PyTorch's AVX2 kernels, ``box_muller_f32`` is the AVX2 float32 normal
kernel, and ``LIBM`` holds double-precision ``log``/``log1p``/``exp``/``tan``/``sin``/``cos``
with glibc's bits (NumPy's own where it agrees with glibc, a ``math`` loop where not, §12).
Behaviour the spec does not cover (float16, the distributions after §8) was established by
testing against PyTorch 2.13 and is described where it is implemented.

Inside ``torch.func.vmap``
--------------------------
torch runs a vmapped function once on the whole batch, so a sampler inside draws the values
of every sample in one call; torchlet's vmap runs the function sample after sample.  While it
runs, ``VMAP.batch`` is set and each sampler hands its call to it (last section of this file):
the first sample makes the batch's one draw, the others take their share.  Outside vmap
``VMAP.batch`` is None and nothing changes.
"""

import math
import threading
import warnings

import numpy as np

from torchlet._dtype import C_TYPE_NAMES
from torchlet._generator import (
    LIBM,
    box_muller_f32,
    floor_to_int64,
    fma32,
    fma64,
    glibc_lgamma,
    int_through_float,
    scale_f64,
    topk_indices,
)

__all__ = [
    "uniform",
    "normal",
    "normal_tensor_params",
    "randint",
    "random_full",
    "randperm",
    "bernoulli_scalar",
    "bernoulli_tensor",
    "dropout_mask",
    "exponential",
    "geometric",
    "log_normal",
    "cauchy",
    "multinomial",
    "poisson",
    "VMAP",
]

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_FLOATS = (_F16, _F32, _F64)
_INTS = tuple(np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64))
_UINTS = tuple(np.dtype(t) for t in (np.uint16, np.uint32, np.uint64))  # random_(from, to) only
_BOOL = np.dtype(np.bool_)
_TWO_PI = 6.283185307179586  # 2*pi as a double (spec §4.1)
_U64_MASK = (1 << 64) - 1

# PyTorch's names for dtypes, as they appear in its error messages.
_TORCH_NAME = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
    "uint16": "UInt16", "uint32": "UInt32", "uint64": "UInt64",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}
# ... and the C++ type names some other messages use ("to - 1 is out of bounds for float").
_CPP_NAME = C_TYPE_NAMES | {
    "uint16": "short unsigned int", "uint32": "unsigned int", "uint64": "long unsigned int",
}


def _torch_name(dt):
    return _TORCH_NAME.get(dt.name, dt.name)


def _fmt(x):
    """Format a number the way PyTorch's C++ messages do (``std::ostream``, 6 digits)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return str(int(x))
    return f"{x:g}"


def _not_implemented(op, dt):
    return NotImplementedError(f'"{op}" not implemented for \'{_torch_name(dt)}\'')


def _numel(shape):
    """Validate a shape like ``torch.empty`` does and return (shape tuple, number of elements)."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    for d in shape:
        if d < 0:
            dims = ", ".join(str(s) for s in shape)
            raise RuntimeError(f"Trying to create tensor with negative dimension {d}: [{dims}]")
    return shape, math.prod(shape)


def _chunks(values, size=1 << 15):
    """Consecutive views of ``size`` elements of a 1-D array, for elementwise work in place.

    Working chunk by chunk keeps the temporaries small.  Large temporaries are not just slower
    to stream through the cache: fresh multi-megabyte blocks are page-faulted in on every call,
    which can cost more than the arithmetic itself (5x for a 100k-element ``uniform_``).
    """
    return [values[i:i + size] for i in range(0, values.size, size)]


# ========================================================================= normals (§4)


def _normal_block_f32(gen, n, mean, std):
    """``normal_`` on a contiguous float32 tensor with n >= 16 elements (spec §4.2)."""
    mean32, std32 = np.float32(mean), np.float32(std)
    full = n // 16 * 16
    u = gen._u24(n)
    if n == full:
        box_muller_f32(u.reshape(-1, 16), mean32, std32)
        return u
    # The tail: 16 *fresh* uniforms for positions n-16 .. n-1, transformed last.
    tail = gen._u24(16)
    if n <= _ONE_CALL:
        blocks = np.concatenate((u[:full], tail)).reshape(-1, 16)
        box_muller_f32(blocks, mean32, std32)
        u[:full] = blocks[:-1].ravel()
        u[n - 16:] = blocks[-1]
    else:
        box_muller_f32(u[:full].reshape(-1, 16), mean32, std32)
        u[n - 16:] = box_muller_f32(tail.reshape(1, 16), mean32, std32).ravel()
    return u


# Up to this many elements the complete blocks and the tail block go through the kernel in one
# call: its fixed cost (a hundred small NumPy operations) is then paid once, for two copies of
# n values, which only pay off while n is small.
_ONE_CALL = 1 << 12


def _normal_block_f16(gen, n, mean, std):
    """``normal_`` on a contiguous float16 tensor with n >= 16 elements.

    Not in the spec; found by testing PyTorch 2.13: each block of 16 draws its own 16 U24
    values and goes through the float32 kernel above (``mean``/``std`` as float32), then the
    16 results are rounded to float16.  Complete blocks come first; if n % 16 != 0 one more
    block of 16 fresh draws is written to positions n-16 .. n-1.  (So unlike float32, the
    positions of the partial block never consume draws of their own.)
    """
    nblocks = -(-n // 16)
    normals = box_muller_f32(gen._u24(16 * nblocks).reshape(-1, 16),
                              np.float32(mean), np.float32(std)).ravel()
    out = np.empty(n, dtype=np.float16)
    full = n // 16 * 16
    out[:full] = normals[:full]
    if n != full:
        out[n - 16:] = normals[full:]
    return out


def _normal_block_f64(gen, n, mean, std):
    """``normal_`` on a contiguous float64 tensor with n >= 16 elements (spec §4.3)."""
    u = gen._u53(n)
    full = n // 16 * 16
    blocks = u[:full].reshape(-1, 16)
    if n != full:  # fresh draws for the tail block, transformed with the others
        blocks = np.concatenate((blocks, gen._u53(16).reshape(1, 16)))
    radius = LIBM["log"](1.0 - blocks[:, :8])
    radius *= -2.0
    np.sqrt(radius, out=radius)
    theta = _TWO_PI * blocks[:, 8:]
    blocks[:, :8] = scale_f64(radius * LIBM["cos"](theta), mean, std)
    blocks[:, 8:] = scale_f64(radius * LIBM["sin"](theta), mean, std)
    if n != full:
        u[:full] = blocks[:-1].ravel()
        u[n - 16:] = blocks[-1]
    return u


def _from_double(values, dt):
    """Store float64 results into ``dt`` like C++ ``static_cast``: float16 goes via float32."""
    if dt == _F16:
        return values.astype(np.float32).astype(np.float16)
    return values.astype(dt)


def _check_std(std, op="normal"):
    if not std >= 0.0:
        raise RuntimeError(f"{op} expects std >= 0.0, but found std {_fmt(std)}")


def normal(gen, shape, np_dtype, mean=0.0, std=1.0, contiguous=True):
    """``normal_(mean, std)`` / ``randn`` on a destination of ``shape`` and dtype (spec §4).

    float32/float64 destinations that are contiguous with >= 16 elements use the block path
    (draws: n, plus 16 if n % 16 != 0); everything else - fewer than 16 elements, or any
    non-contiguous destination (``contiguous=False``) - uses the scalar Box-Muller path with
    the generator's cached value.  float16: block path as described in ``_normal_block_f16``;
    the scalar path computes in float64 and rounds via float32, like PyTorch.  (bfloat16 has no
    NumPy dtype and is not supported.)  Returns ``shape`` in draw order (module docstring).
    """
    if VMAP.batch is not None:
        return _vmapped(normal, gen, shape, np_dtype, mean, std, contiguous)
    _check_std(std)
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if n == 0:
        return np.empty(shape, dtype=dt)
    if dt not in _FLOATS:
        raise _not_implemented("normal_kernel_cpu", dt)
    if n >= 16 and contiguous:
        if dt == _F32:
            return _normal_block_f32(gen, n, mean, std).reshape(shape)
        if dt == _F16:
            return _normal_block_f16(gen, n, mean, std).reshape(shape)
        return _normal_block_f64(gen, n, mean, std).reshape(shape)
    return _from_double(gen._scalar_normals(n, mean, std), dt).reshape(shape)


def normal_tensor_params(gen, mean, std, np_dtype):
    """``torch.normal(mean, std)`` where ``mean`` and/or ``std`` is an array (spec §4.4).

    The result has the broadcast shape, is a new contiguous tensor and is computed as PyTorch
    does: both arrays: ``randn * std`` rounded, then ``+ mean`` rounded; array mean with float
    std: ``normal_(0, std)`` then ``+ mean``; float mean with array std: ``randn * std + mean``
    in two roundings.  Arrays are first converted to ``np_dtype`` (the output dtype).
    """
    dt = np.dtype(np_dtype)
    mean_is_array = isinstance(mean, np.ndarray)
    std_is_array = isinstance(std, np.ndarray)
    wide = dt  # the dtype torch's in-place ``mul_(std)`` computes in
    if std_is_array:
        if std.size and not np.all(std >= 0):  # NaN fails this too, as in PyTorch
            raise RuntimeError("normal expects all elements of std >= 0.0")
        if std.dtype.kind == "f" and std.dtype.itemsize > dt.itemsize:
            wide = std.dtype  # (a wider float std: the product is rounded back once)
        std = std.astype(wide)
    else:
        _check_std(std)
    if mean_is_array:
        mean = mean.astype(dt)
    elif dt == np.float32 and math.isfinite(mean) and abs(mean) > _FLOAT_LIMITS[dt][1]:
        # (found by testing PyTorch 2.13: a float32 result only, before any draw)
        raise RuntimeError("value cannot be converted to type float without overflow")
    shape = np.broadcast_shapes(np.shape(mean), np.shape(std))
    scale = 1.0 if std_is_array else std  # the std the draw itself applies

    def finish(z):
        if not std_is_array:
            return z + mean
        product = z * std if wide == dt else (z.astype(wide) * std).astype(dt)
        return product + (mean if mean_is_array else dt.type(mean))

    if VMAP.batch is not None:  # torch: one normal_ over (batch, *shape), then std and mean
        params = tuple(a for a in (mean, std) if isinstance(a, np.ndarray))
        return VMAP.batch.draw(
            ("normal", shape, dt), params,
            lambda size: normal(gen, (size, *shape), dt, 0.0, scale),
            finish)
    return finish(normal(gen, shape, dt, 0.0, scale))


# ============================================================================= uniform (§3)


_FLOAT_LIMITS = {dt: (float(np.finfo(dt).min), float(np.finfo(dt).max)) for dt in _FLOATS}
_CHUNK = 1 << 15


def _u24_fma_is_plain(lo32, d32):
    """Is ``U24 * d32 + lo32`` exact in float64 for every U24?  Then one rounding of that
    float64 value to float32 *is* ``fma32`` - no tie check needed - which holds for the usual
    ranges (``uniform_(-b, b)``, the ``nn.init`` bounds).

    U24 = k * 2**-24 with k < 2**24, and a float32 is M * 2**(e - 23) with |M| < 2**24, so
    the exact result is a multiple of 2**q, q = min(e_d - 47, e_lo - 23), of magnitude below
    2**(max(e_d, e_lo) + 2): it has at most 53 bits when max(e_d, e_lo) + 2 - q <= 53.
    """
    if not (np.isfinite(lo32) and np.isfinite(d32)):
        return False
    if lo32 == 0 or d32 == 0:
        return True
    e_d, e_lo = math.frexp(d32)[1] - 1, math.frexp(lo32)[1] - 1
    return max(e_d, e_lo) + 2 - min(e_d - 47, e_lo - 23) <= 53


def uniform(gen, shape, np_dtype, low=0.0, high=1.0):
    """``uniform_(low, high)`` / ``rand`` (spec §3); returns ``shape`` in draw order.

    float32 and float16: ``v = fma32(U24, to - from, from)`` in float32 (float16 then rounds
    it; found by testing: ``from``/``to`` stay float32), float64: ``fma64(U53, to - from,
    from)``.  A result equal to ``to`` (after rounding to the dtype) is replaced by ``from``.
    """
    if VMAP.batch is not None:
        return _vmapped(uniform, gen, shape, np_dtype, low, high)
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if dt not in _FLOATS:
        raise _not_implemented("check_uniform_bounds", dt)
    lo_lim, hi_lim = _FLOAT_LIMITS[dt]
    if not lo_lim <= low <= hi_lim:
        raise RuntimeError(f"from is out of bounds for {_CPP_NAME[dt.name]}")
    if not lo_lim <= high <= hi_lim:
        raise RuntimeError(f"to is out of bounds for {_CPP_NAME[dt.name]}")
    if not low <= high:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={_fmt(low)} > "
            f"to={_fmt(high)}")
    if not high - low <= hi_lim:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{_torch_name(dt)}>::max(), but "
            f"found to={_fmt(high)} and from={_fmt(low)} which result in to-from to exceed "
            "the limit")
    if n == 0:
        return np.empty(shape, dtype=dt)
    if dt == _F64:
        v = gen._u53(n)
        if low == 0.0 and high == 1.0:
            return v.reshape(shape)
        for part in _chunks(v):
            part[...] = fma64(part, high - low, low)
        v[v == high] = low
        return v.reshape(shape)
    v = gen._u24(n)
    lo32, hi32 = np.float32(low), np.float32(high)
    d32 = hi32 - lo32
    if lo32 == 0 and d32 == 1:  # rand(): the fma is exact, v = x
        if dt == _F32:
            return v.reshape(shape)  # x < 1 is never ``to`` (in float16 it can round to 1)
    elif _u24_fma_is_plain(lo32, d32):
        wide = np.empty(min(n, _CHUNK), dtype=np.float64)
        for part in _chunks(v, _CHUNK):
            s = wide[:part.size]
            np.copyto(s, part)
            s *= d32
            s += lo32
            np.copyto(part, s, casting="same_kind")
    else:
        # The results are multiples of min(ulp(from), ulp(to - from) * 2**-24); only tiny
        # bounds can make them float32 subnormals, which need the slower rounding check.
        tiny = (lo32 != 0 and abs(lo32) < 2.0**-100) or d32 < 2.0**-100
        for part in _chunks(v):
            part[...] = fma32(part, d32, lo32, subnormal_ok=tiny)
    if dt == _F16:
        v = v.astype(np.float16)
        v[v == np.float16(hi32)] = np.float16(lo32)
    else:
        v[v == hi32] = lo32
    return v.reshape(shape)


# ============================================================================ integers (§5)


def _update_from(frm, digits):
    """PyTorch's ``update_from<scalar_t>``: nudge ``from`` up when the float type rounds it."""
    from_plus_1 = int_through_float(frm + 1, digits)
    if from_plus_1 < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = from_plus_1 + (1 << (n - digits + 1))
    return frm


def _update_to(to, digits):
    """PyTorch's ``update_to<scalar_t>``: nudge ``to`` down when the float type rounds it."""
    to_minus_1 = int_through_float(to - 1, digits)
    if to_minus_1 >= to:
        n = abs(to - 1).bit_length() - 1
        to = to_minus_1 - (1 << (n - digits + 1))
    return to


_DIGITS = {"float16": 11, "float32": 24, "float64": 53}


def _check_from_to_in_range(frm, to_inc, dt):
    """PyTorch's ``check_from_to_in_range`` (plus its float precision warning)."""
    if dt in _FLOATS:
        lo_lim, hi_lim = float(np.finfo(dt).min), float(np.finfo(dt).max)
    elif dt == _BOOL:
        lo_lim, hi_lim = 0, 1
    elif dt == np.dtype(np.uint64):
        lo_lim, hi_lim = 0, (1 << 63) - 1  # PyTorch compares in int64
    else:
        lo_lim, hi_lim = int(np.iinfo(dt).min), int(np.iinfo(dt).max)
    cpp = _CPP_NAME[dt.name]
    if not lo_lim <= frm <= hi_lim:
        raise RuntimeError(f"from is out of bounds for {cpp}")
    if not lo_lim <= to_inc <= hi_lim:
        raise RuntimeError(f"to - 1 is out of bounds for {cpp}")
    if dt in _FLOATS:
        digits = _DIGITS[dt.name]
        for value, name in ((frm, "from"), (to_inc, "to - 1")):
            if not -(1 << digits) <= value <= 1 << digits:
                warnings.warn(
                    f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                    f"limitations {cpp} can support discrete uniform distribution only within "
                    "this range. This warning will become an error in version 1.7 release, "
                    "please fix the code in advance", UserWarning, stacklevel=4)


def _check_int_dtype(dt, op):
    if dt not in _FLOATS + _INTS + (_BOOL,):
        raise _not_implemented(op, dt)


def _draw_mod(gen, n, rng):
    """n values ``next64() % rng`` if rng >= 2**28 else ``next32() % rng`` (spec §5.1)."""
    if rng >= 1 << 28:
        return gen._next64(n) % np.uint64(rng)  # rng == 2**64 cannot reach here
    raw = gen._next32_u64(n)  # the 32-bit draws, held in uint64
    raw %= np.uint64(rng)
    return raw


def _store_ints(v, base, dt, shape):
    """``static_cast<T>(int64(v + base))`` with uint64 wrap-around, then reshape."""
    v = v.astype(np.uint64, copy=False)
    if base:
        v += np.uint64(base & _U64_MASK)
    return v.view(np.int64).astype(dt, copy=False).reshape(shape)


def randint(gen, shape, low, high, np_dtype=np.int64):
    """``torch.randint(low, high, shape)`` / ``random_(low, high)`` (spec §5.1)."""
    return random_full(gen, shape, np_dtype, low, high)


def random_full(gen, shape, np_dtype, from_=None, to=None):
    """``random_()``, ``random_(from, to)`` and ``random_(from, None)`` (spec §5.1, §5.2).

    * no bounds: int64 ``next64() % 2**63``; float64 ``next64() % (2**53+1)``; float32/float16
      ``next32() % (2**digits+1)``; bool ``next32() & 1``; other ints ``next32() % (max+1)``;
    * ``from_`` and ``to``: ``from + next() % (to - from)`` as in ``randint`` (``random_(to)``
      is ``random_full(gen, shape, dt, 0, to)``); float dtypes first move the bounds to values
      the type can represent, exactly as PyTorch's ``update_from``/``update_to``;
    * ``from_`` only: the range [from, max of the dtype]; ``from_ = -2**63`` on int64, float32
      or float64 means all 64 bits (``next64()`` reinterpreted as int64, then converted).
    Returns ``shape`` in draw order (module docstring).
    """
    if VMAP.batch is not None:
        return _vmapped(random_full, gen, shape, np_dtype, from_, to)
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if from_ is None and to is None:
        if n == 0:
            return np.empty(shape, dtype=dt)
        _check_int_dtype(dt, "random_kernel_cpu")
        if dt == _BOOL:
            return (gen._next32(n) & np.uint32(1)).astype(np.bool_).reshape(shape)
        if dt in (_F64, np.dtype(np.int64)):
            rng = (1 << 53) + 1 if dt == _F64 else 1 << 63
            return _store_ints(gen._next64(n) % np.uint64(rng), 0, dt, shape)
        rng = (1 << _DIGITS[dt.name]) + 1 if dt in _FLOATS else int(np.iinfo(dt).max) + 1
        raw = gen._next32_u64(n)
        raw %= np.uint64(rng)
        return _store_ints(raw, 0, dt, shape)
    frm = 0 if from_ is None else int(from_)
    if to is not None:
        to = int(to)
        if not frm < to:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
        if dt in _FLOATS:
            frm = _update_from(frm, _DIGITS[dt.name])
            to = _update_to(to, _DIGITS[dt.name])
            if not frm < to:
                raise RuntimeError(
                    "random_ expects 'from' casted to dtype to be less than 'to' casted to "
                    f"dtype, but got from={frm} >= to={to}")
        if dt not in _FLOATS + _INTS + _UINTS + (_BOOL,):
            raise _not_implemented("check_random_integral_bounds", dt)
        _check_from_to_in_range(frm, to - 1, dt)
        if n == 0:
            return np.empty(shape, dtype=dt)
        return _store_ints(_draw_mod(gen, n, (to - frm) & _U64_MASK), frm, dt, shape)
    if frm == -(1 << 63):
        if n == 0:
            return np.empty(shape, dtype=dt)
        if dt not in _INTS + (_F32, _F64):
            raise _not_implemented("random_full_64_bits_range_kernel_cpu", dt)
        if dt not in (np.dtype(np.int64), _F32, _F64):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                               "double, float and bfloat16")
        return gen._next64(n).view(np.int64).astype(dt, copy=False).reshape(shape)
    if dt in _FLOATS:
        to_inc = 1 << _DIGITS[dt.name]
        frm = _update_from(frm, _DIGITS[dt.name])
        if not frm < to_inc:
            raise RuntimeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' "
                f"casted to dtype, but got from={frm} > to_inc={to_inc}")
    elif dt == _BOOL:
        to_inc = 1
    elif dt in _INTS + _UINTS:
        to_inc = int(np.iinfo(dt).max)
    else:
        raise RuntimeError("random_from_to_impl handles only integral, floating-point and "
                           "boolean types")
    _check_from_to_in_range(frm, to_inc, dt)
    if n == 0:
        return np.empty(shape, dtype=dt)
    return _store_ints(_draw_mod(gen, n, (to_inc - frm + 1) & _U64_MASK), frm, dt, shape)


# ========================================================================= permutations (§5.3)


_WORK = threading.local()  # per-thread scratch arrays for randperm
_WORK_MAX = 1 << 17  # largest n whose scratch arrays are kept between calls (~1 MB each)


def _scratch(name, n, dtype):
    """A reusable array of n elements (contents undefined).

    ``randperm`` needs a dozen temporaries of size n.  Allocating them afresh on every call
    costs more than the arithmetic (large blocks come from ``mmap`` and are page-faulted in
    each time), so arrays up to ``_WORK_MAX`` elements are kept per thread and reused.
    """
    if n > _WORK_MAX:
        return np.empty(n, dtype=dtype)
    bufs = _WORK.__dict__.setdefault("bufs", {})
    buf = bufs.get(name)
    if buf is None or buf.size < n:
        buf = bufs[name] = np.empty(max(n, 1024), dtype=dtype)
    return buf[:n]


def _stable_order(keys, n):
    """``argsort(keys, kind='stable')`` for 0 <= keys < 2**32, as one or two 16-bit radix sorts.

    (NumPy radix-sorts 16-bit keys; its general sorts are several times slower.)
    """
    part = _scratch("key16", n, np.uint16)
    if n <= 1 << 16:
        np.copyto(part, keys, casting="unsafe")
        return np.argsort(part, kind="stable")
    np.bitwise_and(keys, 0xFFFF, out=part, casting="unsafe")
    low = np.argsort(part, kind="stable")
    np.right_shift(keys[low], 16, out=part, casting="unsafe")
    return low[np.argsort(part, kind="stable")]


def _apply_swaps(z):
    """The result of ``a = arange(n); for i: swap(a[i], a[i + z[i]])`` without a Python loop.

    n = len(z) + 1.  Let j_i = i + z_i be the position swapped with i at step i.  Step i
    finalises position i, so out[i] is the value sitting at j_i just before step i.  That
    position was last written by the latest earlier step k with j_k = j_i (its predecessor
    in the group of steps aiming at j_i), which put there cur(k), the value position k held
    just before step k; with no such k it still holds its initial value j_i.  Likewise
    cur(x) = cur(Q(x)) where Q(x) is the latest step before x aiming at x, and cur(x) = x if
    there is none; following Q to the end of its chain ("pointer jumping": a few rounds of
    ``parent = parent[parent]`` on the nodes not yet done) gives every cur at once.
    """
    n = len(z) + 1
    steps = _arange(n)
    j = _scratch("j", n, np.int64)
    np.add(steps[:-1], z.view(np.int64), out=j[:-1])
    j[-1] = n - 1  # the last position is never swapped: treat it as a step aiming at itself
    order = _stable_order(j, n)  # steps grouped by target, in step order within a group
    tgt = _scratch("tgt", n, np.int64)
    np.take(j, order, out=tgt)
    cont = _scratch("cont", n, np.bool_)  # cont[t]: entry t has the same target as entry t-1
    cont[0] = False
    np.equal(tgt[1:], tgt[:-1], out=cont[1:])
    last = _scratch("last", n, np.bool_)  # the last entry of each group
    np.logical_not(cont[1:], out=last[:-1])
    last[-1] = True
    # parent[x] = Q(x), the last step of group x - or x itself (the end of a chain) when
    # nothing aims at x before step x.
    at_last = np.flatnonzero(last)
    parent = _scratch("parent", n, np.int64)
    parent[...] = steps
    parent[np.take(tgt, at_last)] = np.take(order, at_last)
    # A step "swapping" x with itself (z = 0; rare) is the last entry of group x, but it
    # comes at time x, not before: there Q(x) is the entry before it in the group, if any.
    selfs = np.append(np.flatnonzero(z == 0), n - 1)
    t = np.searchsorted(tgt, selfs, side="right") - 1  # their entries, last in their groups
    parent[selfs] = np.where(cont[t], order[t - 1], selfs)
    # Pointer jumping, only on the nodes whose parent has a parent itself.
    linked = _scratch("linked", n, np.bool_)
    np.not_equal(parent, steps, out=linked)
    todo = np.flatnonzero(np.take(linked, parent) & linked)
    while todo.size:
        up = np.take(parent, np.take(parent, todo))
        parent[todo] = up
        todo = todo[np.take(linked, up)]
    # out = cur(predecessor) where the group has one, else the target itself.
    with_pred = np.flatnonzero(cont)
    tgt[with_pred] = np.take(parent, np.take(order, with_pred - 1))
    out = np.empty(n, dtype=np.int64)
    out[order] = tgt
    return out


def _arange(n):
    """``arange(n)`` as int64, served from a per-thread cache (read-only use)."""
    cached = _WORK.__dict__.get("arange")
    if cached is None or cached.size < n:
        if n > _WORK_MAX:
            return np.arange(n, dtype=np.int64)
        cached = _WORK.arange = np.arange(max(n, 1024), dtype=np.int64)
    return cached[:n]


def _inside_out(z):
    """``for i: a[i] = a[z_i]; a[z_i] = i`` (z_i <= i) without a Python loop.

    Value v is placed at z_v at step v; it moves to position m at the first later step m
    with z_m equal to its current position, and so on.  G(v) is the first step after v that
    targets z_v, F(m) the first step after m that targets m; the final position of v is z_v
    if G(v) does not exist, else the end of the F chain starting at G(v).
    """
    n = len(z)
    steps = np.arange(n, dtype=np.int64)
    z = z.astype(np.int64)
    shift = max(n - 1, 1).bit_length()
    keys = (z << shift) | steps
    keys.sort()
    tgt = keys >> shift
    stp = keys & ((1 << shift) - 1)
    same = tgt[1:] == tgt[:-1]
    nxt = np.full(n, -1, dtype=np.int64)  # G(v): next step with the same target as step v
    nxt[stp[:-1][same]] = stp[1:][same]
    first = np.ones(n, dtype=bool)
    first[1:] = ~same
    chain = steps.copy()  # chain[m] = F(m), or m when there is none
    first_step, pos = stp[first], tgt[first]
    f = np.where(first_step > pos, first_step, nxt[first_step])
    chain[pos] = np.where(f >= 0, f, pos)
    while True:
        grand = chain[chain]
        if np.array_equal(grand, chain):
            break
        chain = grand
    final = np.where(nxt >= 0, chain[np.maximum(nxt, 0)], z)
    out = np.empty(n, dtype=np.int64)
    out[final] = steps
    return out


_RANDPERM_LIMITS = {"float16": ((1 << 11) + 1, "2049", "Half"),
                    "float32": ((1 << 24) + 1, "2^24+1", "Float"),
                    "float64": ((1 << 53) + 1, "2^53+1", "Double")}
_C_INT_NAME = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t"}


def randperm(gen, n, np_dtype=np.int64):
    """``torch.randperm(n)`` (spec §5.3): a Fisher-Yates shuffle of ``arange(n)``.

    n < 214748364: ``z = next32() % (n - i)``, swap a[i] and a[i + z] for i = 0 .. n-2
    (n - 1 draws).  Larger n: the "inside-out" shuffle with ``next64()`` (from PyTorch's
    source; too big to test against it).  The swaps themselves run vectorised
    (``_apply_swaps``).
    """
    if VMAP.batch is not None:  # torch: one randperm after another, a row per sample
        return VMAP.batch.draw(
            ("randperm", n, np_dtype), (),
            lambda size: np.stack([randperm(gen, n, np_dtype) for _ in range(size)]),
            lambda perm: perm.copy())
    dt = np.dtype(np_dtype)
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if dt != _I64:  # (int64, the default, fits every n: skip the checks, 10 us of dt.name)
        _check_randperm_dtype(dt, n)
    if n < 214748364:
        if n <= 1:
            return np.arange(n, dtype=dt)
        z = gen._next32_u64(n - 1)
        z %= _arange(n + 1)[n:1:-1].view(np.uint64)  # n, n-1, ..., 2
        if n <= 600:  # small: the plain loop is quicker than the vectorised bookkeeping
            perm = list(range(n))
            for i, zi in enumerate(z.tolist()):
                perm[i], perm[i + zi] = perm[i + zi], perm[i]
            return np.array(perm, dtype=dt)
        perm = _apply_swaps(z)
    else:
        z = gen._next64(n) % np.arange(1, n + 1, dtype=np.uint64)
        perm = _inside_out(z)
    return perm.astype(dt, copy=False)


_I64 = np.dtype(np.int64)


def _check_randperm_dtype(dt, n):
    """torch's errors for ``randperm(n, dtype=dt)``: n - 1 must fit an integer dtype, n
    must not pass a float dtype's limit, and the dtype must be a number type."""
    top = n - 1 if n > 0 else n
    if dt.name in _C_INT_NAME and not np.iinfo(dt).min <= top <= np.iinfo(dt).max:
        raise RuntimeError(f"value cannot be converted to type {_C_INT_NAME[dt.name]} "
                           "without overflow")
    if dt.name in _RANDPERM_LIMITS and n > _RANDPERM_LIMITS[dt.name][0]:
        _, text, name = _RANDPERM_LIMITS[dt.name]
        raise RuntimeError(f"n cannot be greater than {text} for {name} type.")
    if dt not in _FLOATS + _INTS:
        raise _not_implemented("randperm", dt)


# ================================================================ Bernoulli and dropout (§6)


def bernoulli_scalar(gen, shape, p, np_dtype, like=None):
    """``t.bernoulli_(p)`` with a Python float p (spec §6): ``U53() < p`` per element.

    ``like``: for the out-of-place ``bernoulli(input, p)``, the input's array (inside vmap
    with ``randomness="same"`` torch refuses a batched input).
    """
    if VMAP.batch is not None:
        return _vmapped(bernoulli_scalar, gen, shape, p, np_dtype,
                        params=() if like is None else (like,))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if n == 0:
        return np.empty(shape, dtype=dt)
    if dt not in _FLOATS + _INTS + (_BOOL,):
        raise _not_implemented("bernoulli_scalar_cpu_", dt)
    return (gen._u53(n) < p).astype(dt).reshape(shape)


def bernoulli_tensor(gen, probs, out_dtype=None):
    """``torch.bernoulli(probs)`` / ``t.bernoulli_(probs)`` (spec §6).

    ``probs`` holds one probability per output element, already broadcast to the output shape
    and arranged in the output's memory order (module docstring).  float64 probabilities are
    compared with ``U53()``, float32/float16 ones with ``U24()``.  PyTorch checks each p just
    before drawing for it, so an invalid p raises after the draws of the elements before it.
    The result has ``out_dtype`` (default: the dtype of ``probs``).
    """
    probs = np.asarray(probs)
    dt = np.dtype(out_dtype) if out_dtype is not None else probs.dtype
    if probs.dtype not in _FLOATS:
        raise _not_implemented("bernoulli_tensor_cpu_p_", probs.dtype)
    if VMAP.batch is not None:  # torch: one U per element of (batch, *shape), then compare
        uniforms = gen._u53 if probs.dtype == _F64 else gen._u24
        return VMAP.batch.draw(
            ("bernoulli", probs.shape, probs.dtype), (probs,),
            lambda size: uniforms(size * probs.size).reshape(size, -1),
            lambda u: bernoulli_tensor(_Drawn(u), probs, out_dtype))
    flat = probs.reshape(-1)
    bad = np.flatnonzero(~((flat >= 0) & (flat <= 1)))  # NaN counts as invalid
    count = bad[0] if bad.size else flat.size
    draws = gen._u53(count) if probs.dtype == _F64 else gen._u24(count)
    if bad.size:
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
            "message be improved?  If so, please report an enhancement request to PyTorch.)")
    compare_as = np.float64 if probs.dtype == _F64 else np.float32
    return (draws < flat.astype(compare_as)).astype(dt).reshape(probs.shape)


def dropout_mask(gen, shape, p, np_dtype):
    """The scaled noise of ``F.dropout(x, p, training=True)`` (spec §6); caller does x * mask.

    ``noise = bernoulli_(1 - p)`` then ``noise / (1 - p)`` in the dtype: kept elements are
    ``1/(1-p)`` computed in float64, or ``float32(1) / float32(1-p)`` for float32 (float16:
    that float32 quotient rounded to float16).  p = 0 gives ones and p = 1 zeros, without
    drawing anything, as in PyTorch (where p = 0 returns x itself; the caller may skip the
    multiplication).  For ``nn.Dropout2d`` pass the noise shape (N, C, 1, ...).
    """
    if VMAP.batch is not None:
        return _vmapped(dropout_mask, gen, shape, p, np_dtype)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if p == 0 or n == 0:
        return np.ones(shape, dtype=dt)
    if p == 1:
        return np.zeros(shape, dtype=dt)
    keep = gen._u53(n) < 1.0 - p
    if dt == _F64:
        scale = 1.0 / (1.0 - p)
    else:
        scale = dt.type(np.float32(1.0) / np.float32(1.0 - p))
    mask = np.zeros(n, dtype=dt)
    mask[keep] = scale
    return mask.reshape(shape)


# ===================================== exponential (§7) and other one-draw distributions


def _check_continuous(dt, name, cpp_style):
    if dt not in _FLOATS:
        spec = _CPP_NAME.get(dt.name, dt.name) if cpp_style else _torch_name(dt)
        raise RuntimeError(
            f"{name} distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {spec}")


def exponential(gen, shape, np_dtype, lambd=1.0):
    """``t.exponential_(lambd)`` (spec §7): ``(-1/lambd) * log1p(-U53())`` in float64."""
    if VMAP.batch is not None:
        return _vmapped(exponential, gen, shape, np_dtype, lambd)
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if n == 0:
        return np.empty(shape, dtype=dt)
    _check_continuous(dt, "Exponential", cpp_style=False)
    values = (-1.0 / lambd) * LIBM["log1p"](-gen._u53(n))
    return _from_double(values, dt).reshape(shape)


def geometric(gen, shape, np_dtype, p):
    """``t.geometric_(p)``: ``ceil(log(U53()) / log(1 - p))`` in float64, then cast.

    From PyTorch's ``transformation::geometric`` (TransformationHelper.h); verified against
    PyTorch 2.13.  Integer dtypes take the C cast (truncation) of that double.
    """
    if VMAP.batch is not None:
        return _vmapped(geometric, gen, shape, np_dtype, p)
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if n == 0:
        return np.empty(shape, dtype=dt)
    if dt not in _FLOATS + _INTS:
        raise _not_implemented("geometric_cpu", dt)
    with np.errstate(divide="ignore", invalid="ignore"):  # U53() == 0 gives log(0) = -inf
        values = np.ceil(LIBM["log"](gen._u53(n)) / math.log(1.0 - p))
        if dt in _FLOATS:
            return _from_double(values, dt).reshape(shape)
        return values.astype(dt).reshape(shape)


def cauchy(gen, shape, np_dtype, median=0.0, sigma=1.0):
    """``t.cauchy_(median, sigma)``: ``fma64(sigma, tan(pi * (U53() - 0.5)), median)``.

    From PyTorch's ``transformation::cauchy``; the multiply-add is fused by the compiler in the
    AVX2 build (verified against PyTorch 2.13).
    """
    if VMAP.batch is not None:
        return _vmapped(cauchy, gen, shape, np_dtype, median, sigma)
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    _check_continuous(dt, "Cauchy", cpp_style=True)
    if n == 0:
        return np.empty(shape, dtype=dt)
    t = LIBM["tan"](math.pi * (gen._u53(n) - 0.5))
    values = t + median if sigma == 1 else fma64(sigma, t, median)
    return _from_double(values, dt).reshape(shape)


def log_normal(gen, shape, np_dtype, mean=1.0, std=2.0):
    """``t.log_normal_(mean, std)``: ``exp(fma64(z, std, mean))`` with z from the *scalar*
    Box-Muller path of §4.1 for every element (so it uses and updates the normal cache),
    whatever the size; verified against PyTorch 2.13.
    """
    if VMAP.batch is not None:
        return _vmapped(log_normal, gen, shape, np_dtype, mean, std)
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    dt = np.dtype(np_dtype)
    shape, n = _numel(shape)
    if n == 0:
        return np.empty(shape, dtype=dt)
    if dt not in _FLOATS:
        raise _not_implemented("log_normal_cpu", dt)
    values = LIBM["exp"](gen._scalar_normals(n, mean, std))
    return _from_double(values, dt).reshape(shape)


# =========================================================================== multinomial (§8)


def _like_memory_order(values, like):
    """Arrange draw-ordered ``values`` like ``torch.empty_like(like)`` would receive them.

    ``empty_like`` keeps the layout of a dense tensor, so a transposed (Fortran-ordered) 2-D
    ``like`` is filled column by column; everything else is filled in C order.
    """
    if like.ndim == 2 and like.flags.f_contiguous and not like.flags.c_contiguous:
        return values.reshape(like.shape[::-1]).T
    return values.reshape(like.shape)


def multinomial(gen, probs, num_samples, replacement=False):
    """``torch.multinomial(probs, num_samples, replacement)`` for 1-D or 2-D probs (spec §8).

    Without replacement, or with ``num_samples == 1``: ``q = exponential_(1)`` shaped like
    ``probs``, ``s = probs / q``, then argmax (one sample) or PyTorch's CPU ``topk``.  With
    replacement: per row a sequential cumulative sum, normalised, last entry forced to 1, and
    for each sample the first index whose entry is >= ``U53()``.  Returns int64 indices.
    """
    probs = np.asarray(probs)
    if not 1 <= probs.ndim <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if probs.dtype not in _FLOATS:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_torch_name(probs.dtype)}")
    if not num_samples > 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    ncat = probs.shape[-1]
    if not replacement and num_samples > ncat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if ncat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    rows = probs if probs.ndim == 2 else probs.reshape(1, ncat)
    out_shape = (num_samples,) if probs.ndim == 1 else (rows.shape[0], num_samples)
    if rows.shape[0] == 0:
        return np.empty(out_shape, dtype=np.int64)
    if VMAP.batch is not None:
        # torch samples the (batch * rows) rows in one call: exponential_ over all of them
        # (without replacement) or num_samples U53 per row, row after row (with)
        per_sample = probs.size if not replacement or num_samples == 1 else \
            rows.shape[0] * num_samples
        return VMAP.batch.draw(
            ("multinomial", probs.shape, probs.dtype, num_samples, replacement), (probs,),
            lambda size: gen._u53(size * per_sample).reshape(size, -1),
            lambda u: multinomial(_Drawn(u), probs, num_samples, replacement))
    if not replacement or num_samples == 1:
        with np.errstate(invalid="ignore"):
            if not (probs.max() < np.inf and probs.min() >= 0):
                raise RuntimeError(
                    "probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = _like_memory_order(exponential(gen, probs.size, probs.dtype), probs)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = (probs / q).reshape(rows.shape)
        if num_samples == 1:
            return np.argmax(s, axis=1).reshape(out_shape)
        return np.stack([topk_indices(row, num_samples) for row in s]).reshape(out_shape)
    if rows.shape[0] * num_samples * ncat <= _VECTOR_LIMIT:
        return _multinomial_rows(gen, rows, num_samples).reshape(out_shape)
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, row in enumerate(rows):
        bad = np.flatnonzero(~(row >= 0) | ~np.isfinite(row))
        if bad.size:
            what = "< 0" if not row[bad[0]] >= 0 else "= infinity or NaN"
            raise RuntimeError(
                f"invalid multinomial distribution (encountering probability entry {what})")
        # NumPy accumulates sequentially, like PyTorch; float16 rows accumulate in float32
        # (found by testing PyTorch 2.13), the others in their own dtype.
        cum = np.cumsum(row, dtype=np.float32 if row.dtype == _F16 else row.dtype)
        if not (cum.size and cum[-1] > 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum /= cum[-1]
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(np.float64), gen._u53(num_samples), side="left")
    return out.reshape(out_shape)


_VECTOR_LIMIT = 1 << 20  # (rows x samples x categories compared at once, at most)


def _multinomial_rows(gen, rows, num_samples):
    """``multinomial``'s loop with replacement done for all rows at once (the same draws
    and indices): the first index whose normalised cumulative sum is >= U53 is the count
    of entries below it (the sums never decrease). As the loop, a bad row raises after
    the rows before it have drawn their uniforms."""
    nrows, ncat = rows.shape
    cum = np.cumsum(rows, axis=1, dtype=np.float32 if rows.dtype == _F16 else rows.dtype)
    bad_entry = ~(rows >= 0) | ~np.isfinite(rows)
    bad_row = bad_entry.any(axis=1) | ~(cum[:, -1] > 0 if ncat else np.zeros(nrows, bool))
    if bad_row.any():
        first = int(np.argmax(bad_row))
        gen._u53(first * num_samples)
        row = rows[first]
        entries = np.flatnonzero(bad_entry[first])
        if entries.size:
            what = "< 0" if not row[entries[0]] >= 0 else "= infinity or NaN"
            raise RuntimeError(
                f"invalid multinomial distribution (encountering probability entry {what})")
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    cum /= cum[:, -1:]
    cum[:, -1] = 1
    u = gen._u53(nrows * num_samples).reshape(nrows, num_samples)
    below = cum.astype(np.float64)[:, None, :] < u[:, :, None]
    return np.count_nonzero(below, axis=2).astype(np.int64)


# ============================================================================== Poisson


def _sample_poisson(lam, uniform):
    """PyTorch's ``sample_poisson`` (aten/src/ATen/native/Distributions.cpp), line by line.

    ``uniform()`` returns the next ``U53()``.  lambda >= 10: Hoermann's transformed rejection;
    smaller lambda: multiply uniforms until the product drops to exp(-lambda).
    """
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = floor_to_int64((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - glibc_lgamma()(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(gen, rates):
    """``torch.poisson(rates)``: one Poisson sample per rate, in the order given (module
    docstring), same dtype and shape as ``rates``.  Each sample takes a variable number of
    ``U53()`` draws, so this is a Python loop: fine for modest sizes, slow for millions.
    """
    rates = np.asarray(rates)
    if rates.dtype not in _FLOATS:
        raise _not_implemented("poisson_cpu", rates.dtype)
    if VMAP.batch is not None:
        # how many draws a sample takes depends on its rates, which the first sample cannot
        # know for the others: no batch draw, each sample draws in turn (torch's values when
        # this is the function's only random call)
        return VMAP.batch.draw(("poisson", rates.shape, rates.dtype), (rates,), None,
                               lambda _: poisson(gen, rates))
    mark = gen._mark()
    draws, used = [], 0  # U53 values drawn so far (in batches), and how many were consumed

    def uniform():
        nonlocal used
        if used == len(draws):
            draws.extend(gen._u53(max(64, len(draws))).tolist())
        used += 1
        return draws[used - 1]

    out = np.empty(rates.size, dtype=rates.dtype)
    try:
        for i, lam in enumerate(rates.ravel().tolist()):
            if not lam >= 0:  # checked element by element, after the earlier ones drew
                raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
            out[i] = _sample_poisson(lam, uniform)  # int64 -> dtype, rounded like C++
    finally:
        # We drew in batches: rewind and redraw exactly the values that were used.
        gen._rewind(mark)
        gen._next64(used)
    return out.reshape(rates.shape)


# ============================================================== inside torch.func.vmap


class _VmapState(threading.local):
    """``batch``: the ``torchlet.func._vmap.Batch`` of the vmap running on this thread
    (while it makes a draw: the enclosing vmap's); None outside vmap."""

    batch = None


VMAP = _VmapState()


def _vmapped(sampler, gen, shape, *args, params=()):
    """A sampler that fills ``shape`` called inside vmap: torch fills ``(batch, *shape)``
    once, and sample ``b`` gets row ``b``.  ``params``: arrays the call reads (for the
    checks of ``randomness="same"``)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return VMAP.batch.draw(
        (sampler.__name__, shape, *args), params,
        lambda size: sampler(gen, (size, *shape), *args),
        lambda row: row.copy())


class _Drawn:
    """Stands in for the generator when a sampler finishes one sample of a vmap batch: it
    hands out, in order, that sample's share of the uniforms drawn for the whole batch."""

    def __init__(self, values):
        self._values = values.reshape(-1)
        self._used = 0

    def _take(self, n):
        self._used += n
        return self._values[self._used - n:self._used].copy()

    _u24 = _u53 = _take

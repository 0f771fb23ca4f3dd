"""The random-number generator behind torchlet: PyTorch's CPU ``torch.Generator``, bit for bit.

PyTorch's CPU generator is the classic 32-bit Mersenne Twister (MT19937).  NumPy ships the very
same engine as ``numpy.random.MT19937``; all we have to do is load PyTorch's state into it
(docs/torch-rng.md, "the spec" below, §1) and read its raw 32-bit outputs.  Everything else -
uniforms, normals, integers, permutations - is a transformation of those raw words; the
samplers live in ``torchlet/_random_kernels.py``.

This module holds the ``Generator`` (seeding, raw draws, the uniform helpers U24/U53, the
scalar normal path with its cache, and the state bytes of ``torch.get_rng_state()``, §11) and,
below it, the bit-exact arithmetic the samplers need: fused multiply-add emulation, glibc's
double-precision libm (checked at import, §12), PyTorch's AVX2 float32 normal kernel (§4.2)
and libstdc++'s selection order (for ``multinomial``).  It imports only NumPy and the standard
library, so it can be read (and tested) on its own.
"""

import ctypes
import ctypes.util
import fractions
import functools
import math
import os
import struct

import numpy as np

from torchlet._dtype import type_name

__all__ = ["Generator", "DEFAULT_SEED", "STATE_SIZE", "LIBM"]

# ``torch.Generator()`` (a fresh object) starts from this seed (spec §1).
DEFAULT_SEED = 67280421310721

# Size in bytes of the state tensor returned by ``get_rng_state()`` (spec §11).
STATE_SIZE = 5056

_MT_N = 624  # number of 32-bit words in the Mersenne Twister state
_TWO_PI = 6.283185307179586  # 2*pi as a double (spec §4.1)
_U32 = 0xFFFFFFFF
_U64 = 0xFFFFFFFFFFFFFFFF

# Byte layout of the state (spec §11), little-endian:
#   header: u64 initial seed, i32 left, i32 seeded, u64 next        (24 bytes)
#   624 x u64 MT words, each zero-extended from 32 bits              (4992 bytes)
#   tail:   f64 normal_x (0), f64 cached double normal, f64 normal_rho (0),
#           i32 "double cache valid", 4 bytes padding,
#           f32 cached float normal, u8 "float cache valid", 3 bytes padding  (40 bytes)
_HEADER = struct.Struct("<QiiQ")
_TAIL = struct.Struct("<dddi4xfB3x")
_WORDS_OFFSET = _HEADER.size
_TAIL_OFFSET = _WORDS_OFFSET + 8 * _MT_N
assert _TAIL_OFFSET + _TAIL.size == STATE_SIZE


def _init_genrand(seed32):
    """The 624-word MT19937 key for ``seed32`` (the classic ``init_genrand``, spec §1)."""
    key = [seed32]
    for i in range(1, _MT_N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & _U32)
    return np.array(key, dtype=np.uint32)


def _make_bitgen():
    """A NumPy MT19937 object whose state we overwrite right away.

    ``MT19937(0)`` seeds through NumPy's SeedSequence (a different stream from PyTorch's); we only
    use it as a container and replace its state in ``Generator.manual_seed``.
    """
    return np.random.MT19937(0)


def _legacy_seeding_works():
    """Is NumPy's (private, C-fast) legacy seeding the classic ``init_genrand``?  It is what
    ``numpy.random.RandomState(seed)`` uses; checked once at import, in case NumPy changes."""
    bitgen = _make_bitgen()
    try:
        bitgen._legacy_seeding(5489)
    except AttributeError:
        return False
    state = bitgen.state["state"]
    return state["pos"] == _MT_N and np.array_equal(state["key"], _init_genrand(5489))


_LEGACY_SEEDING = _legacy_seeding_works()


def _seed_bitgen(bitgen, seed32):
    """Put ``bitgen`` into the state PyTorch has right after ``manual_seed`` (key, pos=624)."""
    if _LEGACY_SEEDING:
        bitgen._legacy_seeding(seed32)
    else:
        state = {"key": _init_genrand(seed32), "pos": _MT_N}
        bitgen.state = {"bit_generator": "MT19937", "state": state}


def _check_fast_next64():
    """Does ``Generator.integers(0, 2**64, dtype=uint64)`` give PyTorch's next64 (hi first)?

    NumPy's MT19937 builds a 64-bit value from two 32-bit draws; which draw lands in the high
    half depends on how NumPy was compiled.  We check it once against the portable
    combination of two raw draws and use the (faster) NumPy path only when they agree.
    """
    a, b = _make_bitgen(), _make_bitgen()
    _seed_bitgen(a, 12345)
    _seed_bitgen(b, 12345)
    fast = np.random.Generator(a).integers(0, 2**64, size=1000, dtype=np.uint64)
    raw = b.random_raw(2000)
    slow = (raw[0::2] << np.uint64(32)) | raw[1::2]
    return np.array_equal(fast, slow)


_FAST_NEXT64 = _check_fast_next64()
# Below this many values the per-call overhead of ``Generator.integers`` dominates.
_FAST_NEXT64_MIN = 64
_U24_MASK = np.uint64(0xFFFFFF)
_U24_SCALE = np.float32(2.0**-24)

# NumPy's MT19937 keeps its state in a C struct ``{uint32 key[624]; int pos}`` whose address
# ``ctypes.state_address`` gives: copying those bytes out and back saves and restores the
# state in about a microsecond (the ``state`` dict takes 80).
_RAW_STATE_SIZE = 4 * _MT_N + 4


def _raw_state_works():
    """Does restoring the struct's bytes rewind the stream?  Checked once at import."""
    try:
        bitgen = _make_bitgen()
        bitgen.random_raw(1000)
        address = bitgen.ctypes.state_address
        saved = ctypes.string_at(address, _RAW_STATE_SIZE)
        first = bitgen.random_raw(700)
        ctypes.memmove(address, saved, _RAW_STATE_SIZE)
        return (np.array_equal(bitgen.random_raw(700), first)
                and ctypes.string_at(address, _RAW_STATE_SIZE) != saved)
    except (AttributeError, TypeError, ValueError):  # pragma: no cover - other NumPy
        return False


RAW_STATE = _raw_state_works()


def _check_seed(seed):
    """Validate a seed the way ``torch.Generator.manual_seed`` does; return it as uint64.

    torch accepts Python ints in [-2**63, 2**64 - 1] (negative ones are taken mod 2**64).
    Bools, floats, strings, tensors... raise RuntimeError; NumPy integers raise TypeError
    (torch's C++ binding cannot unpack them); out-of-range ints raise ValueError.
    """
    if isinstance(seed, np.integer):
        raise TypeError("an integer is required")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise RuntimeError(f"manual_seed expected a long, but got {type_name(seed)}")
    if seed < -(2**63) or seed > _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed & _U64


class Generator:
    """A CPU random-number generator with ``torch.Generator``'s exact streams.

    Attributes (all private except ``device``):
      ``_bitgen``        the NumPy MT19937 holding the 624-word state and position;
      ``_initial_seed``  the full 64-bit seed last given to ``manual_seed`` (spec §1);
      ``_normal_f64``    the cached second value of a Box-Muller pair (spec §4.1) or None;
      ``_normal_f32``    the float32 cache slot; PyTorch's CPU kernels never use it, but it is
                         part of the state bytes (§11), so we keep whatever ``set_state`` put
                         there.
    """

    def __init__(self, device="cpu"):
        device_type = getattr(device, "type", device)
        if not isinstance(device_type, str) or device_type.split(":")[0] != "cpu":
            raise RuntimeError(f"torchlet only has CPU generators, got device {device!r}")
        self.device = "cpu"
        self._bitgen = _make_bitgen()
        self._npgen = np.random.Generator(self._bitgen)
        self._fresh_key = None
        self.manual_seed(DEFAULT_SEED)

    def __repr__(self):
        return f"<torchlet.Generator object at {id(self):#x}>"

    # ------------------------------------------------------------------ seeding (spec §1)

    def manual_seed(self, seed):
        """Seed like ``torch.Generator.manual_seed``; returns ``self``.

        Only the low 32 bits feed the Mersenne Twister (``init_genrand``); the full 64-bit value
        is remembered for ``initial_seed()``.  Both normal caches are cleared.
        """
        seed = _check_seed(seed)
        _seed_bitgen(self._bitgen, seed & _U32)
        self._initial_seed = seed
        self._normal_f64 = None
        self._normal_f32 = None
        self._fresh_key = None  # "freshly seeded" is recognised from the seed itself
        return self

    def seed(self):
        """Re-seed from 64 nondeterministic bits (``/dev/urandom``) and return the new seed."""
        seed = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The 64-bit seed last set with ``manual_seed``/``seed`` (or loaded by ``set_state``)."""
        return self._initial_seed

    # ------------------------------------------------------------------ raw draws (spec §2)

    def _next32(self, n):
        """The next ``n`` 32-bit outputs, as a uint32 array (``next32()`` in the spec)."""
        return self._bitgen.random_raw(n).astype(np.uint32)

    def _next32_u64(self, n):
        """Like ``_next32`` but left in the uint64 array NumPy produces (saves a conversion)."""
        return self._bitgen.random_raw(n)

    def _next64(self, n):
        """The next ``n`` 64-bit values ``(hi << 32) | lo`` with hi drawn first (spec §2)."""
        if _FAST_NEXT64 and n >= _FAST_NEXT64_MIN:
            return self._npgen.integers(0, 2**64, size=n, dtype=np.uint64)
        raw = self._bitgen.random_raw(2 * n)
        return (raw[0::2] << np.uint64(32)) | raw[1::2]

    def _next53(self, n):
        """The next ``n`` values ``next64() & (2**53 - 1)`` (the integer behind ``U53``, §3)."""
        return self._next64(n) & np.uint64((1 << 53) - 1)

    def _u24(self, n):
        """``U24()`` n times: ``(next32() & 0xFFFFFF) * 2**-24`` as float32 (spec §3)."""
        bits = self._bitgen.random_raw(n)  # the 32-bit draws, held in uint64
        bits &= _U24_MASK
        out = bits.view(np.int64).astype(np.float32)  # exact: values < 2**24
        out *= _U24_SCALE
        return out

    def _u53(self, n):
        """``U53()`` n times: ``(next64() & (2**53-1)) * 2**-53`` as float64 (spec §3)."""
        out = self._next53(n).view(np.int64).astype(np.float64)  # exact: values < 2**53
        out *= 2.0**-53
        return out

    def _raw_state(self):
        """The Mersenne Twister's state as bytes (needs ``RAW_STATE``): cheap to take, equal
        exactly when the stream is at the same place."""
        # (the address is looked up each time: a copied Generator has its own bitgen)
        return ctypes.string_at(self._bitgen.ctypes.state_address, _RAW_STATE_SIZE)

    def _mark(self):
        """The stream's position, for ``_rewind`` (the normal caches are not included)."""
        return self._raw_state() if RAW_STATE else self._bitgen.state

    def _rewind(self, mark):
        """Put the stream back where it was at ``_mark()``."""
        if RAW_STATE:
            ctypes.memmove(self._bitgen.ctypes.state_address, mark, _RAW_STATE_SIZE)
        else:  # pragma: no cover - the raw state is not accessible
            self._bitgen.state = mark

    # ------------------------------------------------------- scalar normals (spec §4.1)

    def _scalar_normals(self, n, mean=0.0, std=1.0):
        """n values of PyTorch's scalar normal path: float64 ``fma64(z, std, mean)``.

        z comes from Box-Muller pairs ``u1 = U53(), u2 = U53()``, ``r = sqrt(-2 log1p(-u2))``,
        ``theta = 2 pi u1``: first ``r cos(theta)``, then (next element, or kept in the cache
        for the next call) ``r sin(theta)``.  A cached value is used first.  Small n - the
        common ``randn(3)`` - runs as plain Python with the ``math`` module (glibc itself).
        """
        out = []
        if n and self._normal_f64 is not None:
            out.append(self._normal_f64)
            self._normal_f64 = None
        rest = n - len(out)
        if rest <= 16:
            # U53 in plain Python (fewer NumPy calls): the low 21 bits of the first draw
            # and all of the second, an exact integer < 2**53, times 2**-53 (exact).
            raw = self._bitgen.random_raw(2 * (rest + rest % 2)).tolist()
            u = [((hi & 0x1FFFFF) << 32 | lo) * 2.0**-53 for hi, lo in zip(raw[::2], raw[1::2])]
            for k in range(0, len(u), 2):
                r = math.sqrt(-2.0 * math.log1p(-u[k + 1]))
                theta = _TWO_PI * u[k]
                out.append(r * math.cos(theta))
                if len(out) < n:
                    out.append(r * math.sin(theta))
                else:
                    self._normal_f64 = r * math.sin(theta)
            z = np.array(out, dtype=np.float64)
        else:
            u = self._u53(rest + rest % 2)
            radius = np.sqrt(LIBM["log1p"](-u[1::2]) * -2.0)
            theta = _TWO_PI * u[0::2]
            pairs = np.empty(len(u), dtype=np.float64)
            pairs[0::2] = radius * LIBM["cos"](theta)
            pairs[1::2] = radius * LIBM["sin"](theta)
            if rest % 2:
                self._normal_f64 = float(pairs[-1])
            z = np.concatenate([np.array(out, dtype=np.float64), pairs[:rest]])
        return scale_f64(z, mean, std)

    # ------------------------------------------------------------------ state (spec §11)

    def _get_state_bytes(self):
        """The 5056-byte state, byte for byte what ``torch.Generator.get_state()`` returns."""
        state = self._bitgen.state["state"]
        key, pos = state["key"], int(state["pos"])
        left = _MT_N + 1 - pos
        nxt = pos
        if pos == _MT_N and self._is_fresh(key):
            # Right after seeding PyTorch stores next = 0 (NumPy: pos 624, twist pending).
            nxt = 0
        cache64 = self._normal_f64
        cache32 = self._normal_f32
        parts = [
            _HEADER.pack(self._initial_seed, left, 1, nxt),
            key.astype("<u8").tobytes(),
            _TAIL.pack(
                0.0,
                0.0 if cache64 is None else cache64,
                0.0,
                0 if cache64 is None else 1,
                0.0 if cache32 is None else cache32,
                0 if cache32 is None else 1,
            ),
        ]
        return b"".join(parts)

    def _set_state_bytes(self, data):
        """Load a state produced by ``_get_state_bytes`` or by ``torch.get_rng_state()``.

        ``data`` is any bytes-like object.  Validation follows PyTorch: a wrong size, or an
        MT state that is not seeded / has ``left`` outside 1..624 / ``next`` > 624, raises
        RuntimeError with torch's message.  (PyTorch 2.13 no longer accepts the old 5048-byte
        layout, and neither do we.)
        """
        data = bytes(data)
        if len(data) != STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input "
                f"RNG state size to be {len(data)}"
            )
        seed, left, seeded, nxt = _HEADER.unpack_from(data, 0)
        _, cache64, _, valid64, cache32, valid32 = _TAIL.unpack_from(data, _TAIL_OFFSET)
        if not (seeded != 0 and 0 < left <= _MT_N and nxt <= _MT_N):
            raise RuntimeError("Invalid mt19937 state")
        words = np.frombuffer(data, dtype="<u8", count=_MT_N, offset=_WORDS_OFFSET)
        key = words.astype(np.uint32)  # PyTorch keeps 32-bit words: the high halves are dropped
        # PyTorch reads word ``next`` and twists when ``left`` reaches 0; NumPy reads word ``pos``
        # and twists at pos 624.  They agree when next + left == 625, which is what PyTorch
        # itself always writes (and left == 1 means "twist before the next draw" either way).
        # Hand-made states with other combinations are normalised to the twist timing.
        pos = _MT_N if left == 1 else _MT_N + 1 - left
        self._bitgen.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._initial_seed = seed
        self._normal_f64 = cache64 if valid64 else None
        self._normal_f32 = cache32 if valid32 else None
        self._fresh_key = key if (left == 1 and nxt == 0) else None

    def _is_fresh(self, key):
        """Is ``key`` (at pos 624) the untouched key from seeding or from a next=0 state?"""
        if self._fresh_key is not None:
            return np.array_equal(key, self._fresh_key)
        fresh = _make_bitgen()
        _seed_bitgen(fresh, self._initial_seed & _U32)
        return np.array_equal(key, fresh.state["state"]["key"])

    def get_state(self):
        """The state as a NumPy uint8 array of 5056 bytes (the Tensor layer wraps it)."""
        return np.frombuffer(self._get_state_bytes(), dtype=np.uint8).copy()

    def set_state(self, new_state):
        """Load a state from a uint8 array / bytes (see ``_set_state_bytes``)."""
        if isinstance(new_state, np.ndarray):
            if new_state.dtype != np.uint8:
                raise TypeError("RNG state must be a torch.ByteTensor")
            new_state = np.ascontiguousarray(new_state).tobytes()
        self._set_state_bytes(new_state)
        return self

    def clone_state(self):
        """A cheap snapshot of everything that affects future draws (for save/restore)."""
        return (self._bitgen.state, self._initial_seed, self._normal_f64, self._normal_f32,
                self._fresh_key)

    def restore_state(self, snapshot):
        """Undo to a snapshot taken with ``clone_state``."""
        bit_state, self._initial_seed, self._normal_f64, self._normal_f32, fresh = snapshot
        self._bitgen.state = bit_state
        self._fresh_key = fresh


# ======================================================================================
# Emulating what PyTorch gets from its compiler, CPU and C++ libraries - fused
# multiply-adds, glibc's libm, the AVX2 float32 math, libstdc++'s selection order - bit
# for bit.  The samplers in _random_kernels.py build on these helpers.
# ======================================================================================


# ------------------------------------------------------------ fused multiply-add emulation


def _fix_fma32_midpoints(s, mid, a, b, c):
    """Repair the rare lanes where float64 rounding of a*b+c hit a float32 tie (see fma32)."""
    idx = np.nonzero(mid)[0]
    pa = np.broadcast_to(a, s.shape)[idx].astype(np.float64)
    pb = np.broadcast_to(b, s.shape)[idx].astype(np.float64)
    pc = np.broadcast_to(c, s.shape)[idx].astype(np.float64)
    prod = pa * pb  # exact: a float32 times a float32 fits in 48 bits
    total = prod + pc
    # TwoSum: the exact rounding error of prod + pc.
    bv = total - prod
    err = (prod - (total - bv)) + (pc - bv)
    # The exact sum lies strictly on the side of ``err``: step one float64 ulp towards it so
    # that the final rounding to float32 no longer sees a tie.
    s[idx] = np.where(err == 0, total, np.nextafter(total, np.where(err > 0, np.inf, -np.inf)))


def fma32(a, b, c, subnormal_ok=False):
    """float32 ``a*b + c`` with a single rounding, like the AVX2 ``vfmadd`` instruction.

    The product of two float32 numbers is exact in float64, so ``a*b + c`` computed in float64
    has at most one rounding before the final rounding to float32.  Two roundings agree unless
    the float64 result lands exactly halfway between two float32 numbers (its low 29 mantissa
    bits are 1000...0) while being inexact itself - about one lane in 10^9.  We detect those
    ties and repair them with an exact TwoSum (spec §13).  With ``subnormal_ok`` results in
    float32's subnormal range (where the tie pattern differs) are also sent to the repair.
    Inputs are float32 arrays or scalars (at least one an array); returns a float32 array.
    """
    s = _as_f64(a)
    s = s * _as_f64(b) if isinstance(b, np.ndarray) else s * float(b)
    s += _as_f64(c) if isinstance(c, np.ndarray) else float(c)
    tie = s.view(np.int64) & 0x1FFFFFFF
    tie = tie == 0x10000000
    if subnormal_ok:
        tie |= np.abs(s) < 2.0**-126
    if tie.any():
        _fix_fma32_midpoints(s, tie, a, b, c)
    return s.astype(np.float32)


def _as_f64(x):
    """float64 copy of a float32 array (exact), or the float of a scalar."""
    return x.astype(np.float64) if isinstance(x, np.ndarray) else np.float64(x)


def _two_prod(a, b):
    """Dekker/Veltkamp: ``a*b == p + e`` exactly (float64 arrays, no overflow assumed)."""
    p = a * b
    split = 134217729.0  # 2**27 + 1
    ta = a * split
    ah = ta - (ta - a)
    al = a - ah
    tb = b * split
    bh = tb - (tb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _two_sum(a, b):
    s = a + b
    bv = s - a
    return s, (a - (s - bv)) + (b - bv)


def fma64(a, b, c):
    """float64 ``a*b + c`` rounded once (Boldo & Melquiond's FMA emulation via round-to-odd).

    ``a*b = ph + pl`` exactly (TwoProduct); ``c + ph = th + tl`` exactly (TwoSum); ``v`` is
    ``tl + pl`` rounded *to odd* (round to nearest, then if inexact and the last bit is even,
    step one ulp towards the exact value); the answer is ``th + v`` rounded to nearest.
    Proven exact for binary64 barring overflow/underflow.  Vectorised over NumPy arrays.
    """
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    huge = _is_huge(b)  # (normal_'s std, uniform_'s to - from)
    if not huge and a.ndim == 0 and _is_huge(a):  # (cauchy_'s sigma; array a's are small)
        a, b, huge = b, a, True
    ph, pl = _two_prod_huge(a, b) if huge else _two_prod(a, b)
    th, tl = _two_sum(c, ph)
    v, err = _two_sum(tl, pl)
    even = (v.view(np.int64) & 1) == 0
    fix = (err != 0) & even
    if fix.any():
        v = np.where(fix, np.nextafter(v, np.where(err > 0, np.inf, -np.inf)), v)
    out = th + v
    # Non-finite products (inf*x) make the error terms NaN; fall back to the plain formula.
    # Tiny products lose their error term to underflow: those are done exactly.
    # (an infinite ph makes out inf or NaN; a NaN ph fails the comparison)
    bad = ~np.isfinite(out) | ~(np.abs(ph) >= _TINY_PRODUCT)
    if bad.any():
        finite = np.isfinite(a) & np.isfinite(b)
        plain = a * b + c
        if huge:  # a product past the float64 limit may still have a finite sum: scaled
            scaled = fma64(a, b / _SCALE, c / _SCALE) * _SCALE
            plain = np.where(finite, scaled, plain)
        # An infinite c absorbs every finite product, where a * b + c may be inf - inf.
        plain = np.where(finite & np.isinf(c), c, plain)
        out = np.where(bad, plain, out)
        tiny = bad & finite & np.isfinite(c) & (np.abs(ph) < _TINY_PRODUCT)
        if tiny.any():
            a, b, c = np.broadcast_arrays(a, b, c)
            out[tiny] = [_exact_fma(*abc) for abc in zip(*(x[tiny].tolist() for x in (a, b, c)))]
    return out


def _is_huge(x):
    """Whether a finite value of x is too big for the Veltkamp split (an infinite one is left
    to the plain formula: scaling it by 2**-64 would recurse for ever)."""
    return bool(np.any(np.isfinite(x) & (np.abs(x) >= _SPLIT_LIMIT)))


def _exact_fma(a, b, c):
    """``a*b + c`` rounded once, for finite floats, in rational arithmetic (int / int true
    division rounds correctly, subnormals included).  Signs of zero as IEEE 754's fma: an exact
    zero product adds like a float zero; a zero sum of nonzero terms is +0.0; a nonzero sum
    that rounds to zero keeps its sign."""
    if a == 0 or b == 0:
        return a * b + c
    exact = fractions.Fraction(a) * fractions.Fraction(b) + fractions.Fraction(c)
    return math.copysign(float(exact), exact) if exact else 0.0


# The Veltkamp split in _two_prod computes b * (2**27 + 1), which overflows for
# |b| >= 2**996: uniform_(-1e300, 1e300) or normal_(0, 1e300) then rounded twice.
_SPLIT_LIMIT = 2.0**995
_SCALE = 2.0**64
# TwoProduct's error term is exact for |a*b| >= 2**-969 (the smallest normal times 2**53).
_TINY_PRODUCT = 2.0**-960


def _two_prod_huge(a, b):
    """``_two_prod(a, b)`` for a huge ``b``: the split is taken of ``b * 2**-64`` and the
    exact product scaled back by ``2**64`` (exact: powers of two, no overflow below the
    float64 limit, and ``|a*b| * 2**-64`` stays far above the subnormals for the |a| >= 2**-1074,
    |b| >= 2**995 seen here)."""
    ph, pl = _two_prod(a, b / _SCALE)
    return ph * _SCALE, pl * _SCALE


# ------------------------------------------------------------ libm self-check (spec §12)


def _math_loop(func):
    def vectorised(x):
        x = np.asarray(x, dtype=np.float64)
        values = x.ravel().tolist()
        try:
            flat = np.fromiter(map(func, values), dtype=np.float64, count=x.size)
        except (OverflowError, ValueError):  # rare: element by element, with C's answers
            flat = np.fromiter((_c_result(func, v) for v in values), dtype=np.float64,
                               count=x.size)
        return flat.reshape(x.shape)

    return vectorised


def _c_result(func, x):
    """``func(x)`` as the C library returns it where ``math`` raises instead: an overflow is
    inf (``exp(1000.0)``), a pole -inf (``log(0.0)``, ``log1p(-1.0)``), a domain error NaN."""
    try:
        return func(x)
    except OverflowError:
        return math.inf
    except ValueError:
        return -math.inf if x == _POLES.get(func) else math.nan


_POLES = {math.log: 0.0, math.log1p: -1.0}


def _checked(np_func, math_func, inputs):
    """Use ``np_func`` if it reproduces ``math_func`` (glibc) bit for bit on ``inputs``."""
    with np.errstate(all="ignore"):
        fast = np_func(inputs)
    slow = _math_loop(math_func)(inputs)
    if np.array_equal(fast.view(np.int64), slow.view(np.int64)):
        return np_func
    return _math_loop(math_func)


def _self_check():
    rng = np.random.RandomState(20240613)
    u = (rng.randint(0, 2**31, 3000).astype(np.float64) * 2.0**22
         + rng.randint(0, 2**22, 3000)) * 2.0**-53  # U53-like values in [0, 1)
    u[u == 0] = 0.5
    return {
        "log": _checked(np.log, math.log, np.concatenate([1.0 - u, u])),
        "log1p": _checked(np.log1p, math.log1p, -u),
        "sin": _checked(np.sin, math.sin, _TWO_PI * u),
        "cos": _checked(np.cos, math.cos, _TWO_PI * u),
        "exp": _checked(np.exp, math.exp, 20.0 * u - 10.0),
        "tan": _checked(np.tan, math.tan, math.pi * (u - 0.5)),
    }


# ``LIBM["log"](x)`` etc.: NumPy's function when it matches glibc, else a ``math`` loop.
LIBM = _self_check()


def scale_f64(z, mean, std):
    """``fma64(z, std, mean)`` with exact shortcuts for std == 1 and for mean == 0."""
    if std == 1:
        return z + mean
    if mean == 0:
        if std < _TINY_STD64:
            return _keep_underflow_sign(z * std, z, std, mean)
        return z * std + mean
    return fma64(z, std, mean)


# Below these stds a product z * std of a nonzero z can round to zero: |z| >= 1e-30 for every
# Box-Muller value (float64 normals: radius >= 1e-8, |sin|, |cos| >= 1e-17; float32: >= 1e-12).
_TINY_STD64 = 1e-290
_TINY_STD32 = 1e-30


def _keep_underflow_sign(prod, z, std, mean):
    """``prod + mean`` for ``prod = z * std`` rounded and a zero ``mean``: the fused
    multiply-add it stands for.  The two agree except when the exact product is nonzero but
    rounds to a zero: the fma then keeps the exact product's sign (-0.0 for a negative z),
    while ``-0.0 + 0.0`` is ``+0.0``.  That needs a tiny std: the callers' common path stays
    one add.
    """
    if std == 0 or np.signbit(mean):  # (adding -0.0 keeps every sign)
        return prod + mean
    return np.where((prod == 0) & (z != 0), prod, prod + mean)


# ------------------------------------------------ AVX2 float32 normals (spec §4.2)


def _f32c(bits):
    """A float32 constant from its bit pattern, returned as an exact Python float."""
    return float(np.array(bits, dtype=np.uint32).view(np.float32))


_SQRTHF_BITS = 0x3F3504F3
_LOG_P = [_f32c(b) for b in (0x3D9021BB, 0xBDEBD1B8, 0x3DEF251A, 0xBDFE5D4F, 0x3E11E9BF,
                             0xBE2AAE50, 0x3E4CCEAC, 0xBE7FFFFC, 0x3EAAAAAA)]
_LOG_Q1 = np.float32(_f32c(0xB95E8083))
_LOG_Q2 = np.float32(_f32c(0x3F318000))
_FOPI = np.float32(_f32c(0x3FA2F983))
_DP1, _DP2, _DP3 = (_f32c(b) for b in (0xBF490000, 0xB97DA000, 0xB3222169))
_SP0, _SP1, _SP2 = (_f32c(b) for b in (0xB94CA1F9, 0x3C08839E, 0xBE2AAAA3))
_CP0, _CP1, _CP2 = (_f32c(b) for b in (0x37CCF5CE, 0xBAB6061A, 0x3D2AAAA5))
_TWO_PI_F32 = np.float32(_f32c(0x40C90FDB))
_ONE32 = np.float32(1.0)


# How the fused multiply-adds below are done: every value is a float32; the product of two
# float32 values is exact in float64, and so is each sum here.  A float64 multiply and add
# followed by one rounding to float32 (``np.copyto`` into a float32 array) is therefore exactly
# the fused instruction.  Where the product is exact in float32 already (a constant with few
# mantissa bits times a small integer: DP1 and DP2 times the octant, Q2 times the exponent),
# the fma is a plain float32 multiply and add.  The tests check all 2**24 inputs these
# functions can ever receive (U24 has 2**24 values), so no tie check (``fma32``) is needed.
# Speed: the work is done in place on float64 "shadow" arrays with one dtype per operation
# (NumPy's mixed-dtype loops and ``where=`` are several times slower on large arrays), and the
# constants are NumPy scalars of the array's dtype (Python scalars cost more per call).

_I32 = np.int32
_SQRTHF_I32 = _I32(_SQRTHF_BITS)
_NOT_ONE = _I32(~1)
_HALF32, _MINUS_HALF32, _MINUS_TWO32 = np.float32(0.5), np.float32(-0.5), np.float32(-2.0)
_DP1_32, _DP2_32 = np.float32(_DP1), np.float32(_DP2)
_1, _2, _4, _29, _30, _31 = (_I32(v) for v in (1, 2, 4, 29, 30, 31))


def _fma_into(y, y64, x64, p):
    """``y = fma32(y, x, p)`` in place, for float32 y, x64 = x as float64 and a float32
    value p (as a float); ``y64`` is float64 scratch space of y's size."""
    np.copyto(y64, y)
    y64 *= x64
    y64 += p
    np.copyto(y, y64, casting="same_kind")


def _log_f32(x):
    """PyTorch's AVX2 ``log256_ps`` (Cephes single-precision log) on float32 x in (0, 1].

    Steps as in spec §4.2 "LOG"; plain float32 NumPy operations round exactly like the
    kernel's separate instructions.  ``frexp`` gives the mantissa m in [0.5, 1) and k + 1 at
    once (x >= 2**-24 here: never subnormal, so the max(x, 2**-126) is a no-op).
    """
    m, e = np.frexp(x)
    m_bits = m.view(_I32)
    small = m_bits - _SQRTHF_I32
    small >>= _31  # -1 (all bits set) where m < SQRTHF, else 0
    e += small  # k + 1, minus 1 where m < SQRTHF
    e = e.astype(np.float32)
    t = m - _ONE32  # exact
    m_bits &= small  # m where m < SQRTHF, else +0.0
    t += m  # (m - 1) + m, or (m - 1) + 0: exact either way
    z = t * t
    t64 = t.astype(np.float64)
    y64 = t64 * _LOG_P[0]
    y64 += _LOG_P[1]
    y = y64.astype(np.float32)
    for p in _LOG_P[2:]:  # Horner: y = fma(y, t, p)
        _fma_into(y, y64, t64, p)
    y *= t
    np.copyto(y64, y)  # y = fma(y, z, e * Q1)
    np.copyto(t64, z)
    y64 *= t64
    y64 += e * _LOG_Q1
    np.copyto(y, y64, casting="same_kind")
    z *= _HALF32
    y -= z
    t += y
    e *= _LOG_Q2  # result = fma(e, Q2, t): e * Q2 is exact in float32 (|e| <= 25, Q2 9 bits)
    e += t
    return e


def _sincos_f32(theta):
    """PyTorch's AVX2 ``sincos256_ps`` for float32 theta in [0, 2*pi) (spec §4.2 "SINCOS")."""
    j = (theta * _FOPI).astype(_I32)  # truncation
    j += _1
    j &= _NOT_ONE  # the octant, even: 0, 2, 4, 6 or 8
    y = j.astype(np.float32)
    # Cody-Waite reduction x = theta - j*pi/4 in three fused steps.  The first two products
    # are exact in float32 (DP1, DP2 have 8 and 12 mantissa bits, j at most 4 bits), so
    # those fmas are float32 adds; the third is a real one.
    x = y * _DP1_32
    x += theta
    tmp = y * _DP2_32
    x += tmp
    x64 = y.astype(np.float64)
    x64 *= _DP3
    x64 += x
    np.copyto(x, x64, casting="same_kind")
    z = x * x
    z64 = z.astype(np.float64)
    tmp64 = z64 * _CP0  # cosine polynomial
    tmp64 += _CP1
    c = tmp64.astype(np.float32)
    _fma_into(c, tmp64, z64, _CP2)
    c *= z
    np.copyto(tmp64, c)  # c = fma(z, c, -0.5 * z)
    tmp64 *= z64
    np.multiply(z, _MINUS_HALF32, out=tmp)
    tmp64 += tmp
    np.copyto(c, tmp64, casting="same_kind")
    c += _ONE32
    np.multiply(z64, _SP0, out=tmp64)  # sine polynomial
    tmp64 += _SP1
    s = tmp64.astype(np.float32)
    _fma_into(s, tmp64, z64, _SP2)
    s *= z
    np.copyto(x64, x)  # s = fma(x, s, x)
    np.copyto(tmp64, s)
    tmp64 *= x64
    tmp64 += x64
    np.copyto(s, tmp64, casting="same_kind")
    # Pick the polynomial per octant and flip signs, on the bit patterns (NumPy's ``where``
    # and masked ``negative`` are many times slower than these integer operations): where
    # (j & 2) != 0 sine and cosine swap polynomials (d: the bits that differ, or 0).
    s_bits, c_bits = s.view(_I32), c.view(_I32)
    swap = np.left_shift(j, _30)
    swap >>= _31  # all bits set where (j & 2) != 0
    d = s_bits ^ c_bits
    d &= swap
    s_bits ^= d
    c_bits ^= d
    sign = j & _4
    sign <<= _29
    s_bits ^= sign  # sine negative when (j & 4) != 0
    j += _2
    j &= _4
    j <<= _29
    c_bits ^= j  # cosine negative when ((j - 2) & 4) == 0, i.e. ((j + 2) & 4) != 0
    return s, c


_CHUNK = 4096  # blocks per step: the float64 temporaries (256 kB) stay in the L2 cache


def box_muller_f32(blocks, mean32, std32):
    """Transform an (B, 16) float32 array of U24 values into normals, in place (§4.2).

    Lanes j = 0..7 of each block: a = u[j] feeds the radius, b = u[j+8] the angle;
    out[j] = radius*cos, out[j+8] = radius*sin, then ``fma32(out, std32, mean32)``.
    """
    for start in range(0, blocks.shape[0], _CHUNK):
        chunk = blocks[start:start + _CHUNK]
        shape = (chunk.shape[0], 8)
        a = chunk[:, :8].ravel()
        np.subtract(_ONE32, a, out=a)
        radius = _log_f32(a)
        radius *= _MINUS_TWO32
        np.sqrt(radius, out=radius)
        b = chunk[:, 8:].ravel()
        b *= _TWO_PI_F32
        sin, cos = _sincos_f32(b)
        cos *= radius
        sin *= radius
        for p, dst in ((cos, chunk[:, :8]), (sin, chunk[:, 8:])):
            if std32 == 1:  # p*1 is exact: the add is the single rounding (and -0 + 0 = +0)
                np.add(p.reshape(shape), mean32, out=dst)
            elif mean32 == 0 and std32 < _TINY_STD32:  # p * std may round to zero
                dst[...] = _keep_underflow_sign(p * std32, p, std32, mean32).reshape(shape)
            elif mean32 == 0:  # one rounding; adding the zero fixes the sign like the fma
                p *= std32
                np.add(p.reshape(shape), mean32, out=dst)
            else:
                dst[...] = fma32(p, std32, mean32, subnormal_ok=True).reshape(shape)
    return blocks


# ---------------------------------------------- C conversions and the rest of glibc


def int_through_float(value, digits):
    """``static_cast<int64_t>(static_cast<F>(value))`` for an int64 and a float type F with
    ``digits`` mantissa bits: round half to even, overflow to inf (float16), and inf converted
    back the x86 way, to INT64_MIN."""
    size = abs(value)
    shift = size.bit_length() - digits
    if shift > 0:
        q, rem = divmod(size, 1 << shift)
        if rem > 1 << (shift - 1) or (rem == 1 << (shift - 1) and q & 1):
            q += 1
        size = q << shift
    result = -size if value < 0 else size
    if (digits == 11 and size > 65504) or not -(1 << 63) <= result < 1 << 63:
        return -(1 << 63)  # inf or out of int64 range: x86's conversion gives INT64_MIN
    return result


@functools.cache
def glibc_lgamma():
    """glibc's ``lgamma`` (PyTorch calls ``std::lgamma``).  CPython's ``math.lgamma`` is its
    own implementation and may differ in the last bit, so we call the C library directly
    when we can find it, else fall back to ``math.lgamma``.  Loaded on first use."""
    for name in ("libm.so.6", ctypes.util.find_library("m")):
        try:
            func = ctypes.CDLL(name).lgamma
        except (OSError, AttributeError, TypeError):
            continue
        func.restype, func.argtypes = ctypes.c_double, [ctypes.c_double]
        return func
    return math.lgamma  # pragma: no cover - not glibc


def floor_to_int64(x):
    """``(int64_t)std::floor(x)`` on x86: NaN, infinities and out-of-range give INT64_MIN."""
    if x != x or not -(2.0**63) <= x < 2.0**63:
        return -(1 << 63)
    return math.floor(x)


# ----------------------------------------------- libstdc++ selection order (multinomial)


def topk_indices(values, k):
    """Indices of PyTorch's CPU ``topk(values, k)`` (largest, sorted), ties included.

    With distinct values the answer is simply the k largest in descending order.  Equal
    values (e.g. zero probabilities) come out in whatever order libstdc++'s
    ``std::nth_element``/``std::partial_sort`` leave them, so for those rows we replay those
    algorithms exactly (``_StlTopk``).  NaN counts as larger than everything.
    """
    if not np.isnan(values).any():
        order = np.argsort(-values, kind="stable")
        top = values[order[:k + 1]]
        if not (top[1:] == top[:-1]).any():
            return order[:k]
    return _StlTopk(values.tolist()).topk(k)


class _StlTopk:
    """PyTorch's ``topk_impl_loop`` (largest=True, sorted=True) over libstdc++'s algorithms.

    ``std::partial_sort`` if k * 64 <= n, else ``std::nth_element`` followed by ``std::sort``
    of the first k - 1 entries; the comparator is ``isnan(x) && !isnan(y) || x > y``.
    The methods below follow GCC's stl_algo.h / stl_heap.h line by line.
    """

    def __init__(self, values):
        self.q = [(v, i) for i, v in enumerate(values)]

    @staticmethod
    def less(x, y):
        a, b = x[0], y[0]
        return (a != a and b == b) or a > b

    def topk(self, k):
        n = len(self.q)
        if k * 64 <= n:
            self.heap_select(0, k, n)
            self.sort_heap(0, k)
        else:
            self.introselect(0, k - 1, n, 2 * ((n).bit_length() - 1))
            if k - 1 > 0:
                self.introsort(0, k - 1, 2 * ((k - 1).bit_length() - 1))
                self.final_insertion_sort(0, k - 1)
        return np.array([i for _, i in self.q[:k]], dtype=np.int64)

    # -- heaps
    def adjust_heap(self, first, hole, length, value):
        q, less, top = self.q, self.less, hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(q[first + child], q[first + child - 1]):
                child -= 1
            q[first + hole] = q[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            q[first + hole] = q[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and less(q[first + parent], value):
            q[first + hole] = q[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        q[first + hole] = value

    def make_heap(self, first, last):
        length = last - first
        if length < 2:
            return
        for parent in range((length - 2) // 2, -1, -1):
            self.adjust_heap(first, parent, length, self.q[first + parent])

    def pop_heap(self, first, last, result):
        value = self.q[result]
        self.q[result] = self.q[first]
        self.adjust_heap(first, 0, last - first, value)

    def heap_select(self, first, middle, last):
        self.make_heap(first, middle)
        for i in range(middle, last):
            if self.less(self.q[i], self.q[first]):
                self.pop_heap(first, middle, i)

    def sort_heap(self, first, last):
        while last - first > 1:
            last -= 1
            self.pop_heap(first, last, last)

    # -- quicksort pieces
    def move_median_to_first(self, result, a, b, c):
        q, less = self.q, self.less
        if less(q[a], q[b]):
            pick = b if less(q[b], q[c]) else (c if less(q[a], q[c]) else a)
        else:
            pick = a if less(q[a], q[c]) else (c if less(q[b], q[c]) else b)
        q[result], q[pick] = q[pick], q[result]

    def partition_pivot(self, first, last):
        self.move_median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        q, less, pivot = self.q, self.less, first
        lo, hi = first + 1, last
        while True:
            while less(q[lo], q[pivot]):
                lo += 1
            hi -= 1
            while less(q[pivot], q[hi]):
                hi -= 1
            if not lo < hi:
                return lo
            q[lo], q[hi] = q[hi], q[lo]
            lo += 1

    def insertion_sort(self, first, last):
        q, less = self.q, self.less
        for i in range(first + 1, last):
            val = q[i]
            if less(val, q[first]):
                q[first + 1:i + 1] = q[first:i]
                q[first] = val
            else:
                self.linear_insert(i)

    def linear_insert(self, last):
        q, less = self.q, self.less
        val = q[last]
        while less(val, q[last - 1]):
            q[last] = q[last - 1]
            last -= 1
        q[last] = val

    def introselect(self, first, nth, last, depth):
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                self.q[first], self.q[nth] = self.q[nth], self.q[first]
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)

    def introsort(self, first, last, depth):
        while last - first > 16:
            if depth == 0:
                self.heap_select(first, last, last)
                self.sort_heap(first, last)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            self.introsort(cut, last, depth)
            last = cut

    def final_insertion_sort(self, first, last):
        if last - first > 16:
            self.insertion_sort(first, first + 16)
            for i in range(first + 16, last):
                self.linear_insert(i)
        else:
            self.insertion_sort(first, last)

"""Bit-exact tests for torchlet's random number layer (torchlet/_generator.py and
torchlet/_random_kernels.py) against PyTorch 2.13's CPU generator.

Part 1 needs no torch: every test vector and digest of docs/torch-rng.md §14, the state layout,
the error messages (recorded from PyTorch 2.13) and the exactness of the helper algorithms.
Part 2 compares bit for bit with live torch when it is installed.
"""

import hashlib
import importlib.util
import math
import pathlib
import sys
import types
from fractions import Fraction

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _load():
    # Prefer the package; fall back to loading the two files directly so these tests also
    # run while torchlet/__init__.py is missing or broken.
    try:
        from torchlet import _generator, _random_kernels

        return _generator, _random_kernels
    except Exception:  # noqa: BLE001 - the package may be mid-construction
        pkg = types.ModuleType("torchlet")
        pkg.__path__ = [str(ROOT / "torchlet")]
        sys.modules["torchlet"] = pkg
        mods = []
        for name in ("_generator", "_random_kernels"):
            spec = importlib.util.spec_from_file_location(
                f"torchlet.{name}", ROOT / "torchlet" / f"{name}.py")
            mod = importlib.util.module_from_spec(spec)
            sys.modules[f"torchlet.{name}"] = mod
            spec.loader.exec_module(mod)
            mods.append(mod)
        return tuple(mods)


G, K = _load()
Generator = G.Generator


def gen(seed):
    return Generator().manual_seed(seed)


def f32(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def f64(hexes):
    return np.array([float.fromhex(h) for h in hexes], dtype=np.float64)


def assert_bits(actual, expected):
    """Equal dtype, shape and bit patterns (so -0.0 != 0.0 and NaNs compare by payload)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if actual.dtype.kind == "f":
        view = {2: np.uint16, 4: np.uint32, 8: np.uint64}[actual.dtype.itemsize]
        actual, expected = actual.view(view), expected.view(view)
    bad = np.flatnonzero(actual.ravel() != expected.ravel())
    assert bad.size == 0, f"{bad.size} differ, first at {bad[:5]}"


def digest(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]


def kaiming_bound(fan_in):
    # nn.Linear / nn.Conv reset_parameters (spec §9): kaiming_uniform_(a=sqrt(5)).
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in))


# ================================================================ Part 1: §14 test vectors

F32_VECTORS = [
    ("randn(5)", 0, lambda g: K.normal(g, (5,), np.float32),
     [0x3FC53F5C, 0xBE963C50, 0xC00B7149, 0x3F1184B6, 0xBF8AD1A1]),
    ("rand(2,3)", 2023, lambda g: K.uniform(g, (2, 3), np.float32).ravel(),
     [0x3EDBA6AE, 0x3F385619, 0x3F72B9C6, 0x3EF5956E, 0x3F0A97A1, 0x3F7D96DC]),
    ("rand(3)", 0, lambda g: K.uniform(g, (3,), np.float32),
     [0x3EFE1558, 0x3F44AA2F, 0x3DB533A8]),
    ("randn(1);randn(1)", 0,
     lambda g: np.concatenate([K.normal(g, (1,), np.float32), K.normal(g, (1,), np.float32)]),
     [0x3FC53F5C, 0xBE963C50]),
    ("randn(16)[0:4]", 0, lambda g: K.normal(g, (16,), np.float32)[0:4],
     [0xBF901B85, 0xBF93808A, 0xBE804BD6, 0xBEDE255D]),
    ("randn(16)[8:12]", 0, lambda g: K.normal(g, (16,), np.float32)[8:12],
     [0x3EA50138, 0xBFA1B4F4, 0x3EB330FF, 0x3E9DC3BB]),
    ("randn(20)[0:4]", 0, lambda g: K.normal(g, (20,), np.float32)[0:4],
     [0xBF901B85, 0xBF93808A, 0xBE804BD6, 0xBEDE255D]),
    ("randn(20)[16:20]", 0, lambda g: K.normal(g, (20,), np.float32)[16:20],
     [0x3F6E8C30, 0x3FA12737, 0x4000519A, 0x3D5C1B3A]),
    ("normal_(0.5,2) x4", 1, lambda g: K.normal(g, (4,), np.float32, 0.5, 2.0),
     [0x3FE94E60, 0x3F845523, 0x3F1F9429, 0x3FDF0EA7]),
    ("normal_(0.5,2) x32", 1, lambda g: K.normal(g, (32,), np.float32, 0.5, 2.0)[0:4],
     [0xC02346BA, 0xBF800F31, 0xBF4ED696, 0xC02E0399]),
    ("uniform_(-0.1,0.1)", 0, lambda g: K.uniform(g, (4,), np.float32, -0.1, 0.1),
     [0xBA444333, 0x3D5BBA30, 0xBDA88F45, 0xBD96B867]),
    ("dropout(ones(6),0.3)", 0, lambda g: K.dropout_mask(g, (6,), 0.3, np.float32),
     [0, 0, 0x3FB6DB6E, 0, 0x3FB6DB6E, 0]),
    ("exponential_()", 0, lambda g: K.exponential(g, (3,), np.float32),
     [0x4060886B, 0x3F9D7D3F, 0x3F1D7388]),
    ("Linear.weight[0,0:4]", 0,
     lambda g: K.uniform(g, (128, 784), np.float32, -kaiming_bound(784),
                         kaiming_bound(784))[0, 0:4],
     [0xB98C3000, 0x3C9CF2B5, 0xBCF0CCAC, 0xBCD75093]),
    ("Linear.bias[0:4]", 0, lambda g: (
        K.uniform(g, (128, 784), np.float32, -kaiming_bound(784), kaiming_bound(784)),
        K.uniform(g, (128,), np.float32, -1 / math.sqrt(784), 1 / math.sqrt(784)))[1][0:4],
     [0xBD0349B3, 0xBBAD552E, 0x3B93721C, 0xBCAC91CC]),
    ("Conv2d.weight[0:4]", 0,
     lambda g: K.uniform(g, (6, 1, 5, 5), np.float32, -kaiming_bound(25),
                         kaiming_bound(25)).ravel()[0:4],
     [0xBAC44333, 0x3DDBBA30, 0xBE288F45, 0xBE16B867]),
    ("Conv2d.bias[0:4]", 0, lambda g: (
        K.uniform(g, (6, 1, 5, 5), np.float32, -kaiming_bound(25), kaiming_bound(25)),
        K.uniform(g, (6,), np.float32, -1 / math.sqrt(25), 1 / math.sqrt(25)))[1][0:4],
     [0xBE3FA99A, 0xBE2CDA57, 0xBD2629F3, 0x3DE0A08A]),
    ("seed 2**32+5 rand(2)", 2**32 + 5, lambda g: K.uniform(g, (2,), np.float32),
     [0x3F548B63, 0x3E012338]),
    ("Generator() rand(2)", None, lambda g: K.uniform(g, (2,), np.float32),
     [0x3E88DAEC, 0x3F5F5E04]),
]


@pytest.mark.parametrize("name,seed,fn,bits", F32_VECTORS, ids=[v[0] for v in F32_VECTORS])
def test_float32_vectors(name, seed, fn, bits):
    g = Generator() if seed is None else gen(seed)
    assert_bits(fn(g), f32(bits))


F64_VECTORS = [
    ("rand(3,f64)", 0, lambda g: K.uniform(g, (3,), np.float64),
     ["0x1.f0aac97c4aa2fp-1", "0x1.6a675d821ccc0p-1", "0x1.d6687b744a5f6p-2"]),
    ("randn(3,f64)", 0, lambda g: K.normal(g, (3,), np.float64),
     ["0x1.8a7eb8902be3ap+0", "-0x1.2c78a087c6feap-2", "-0x1.16e2920a70ee5p+1"]),
    ("randn(17,f64)[0:2]", 0, lambda g: K.normal(g, (17,), np.float64)[0:2],
     ["-0x1.27bb92e9262dcp+1", "-0x1.443c91ccf2402p-1"]),
    ("randn(17,f64)[15:17]", 0, lambda g: K.normal(g, (17,), np.float64)[15:17],
     ["-0x1.c8318cc163de5p-1", "0x1.5986ed8e63e98p-1"]),
]


@pytest.mark.parametrize("name,seed,fn,hexes", F64_VECTORS, ids=[v[0] for v in F64_VECTORS])
def test_float64_vectors(name, seed, fn, hexes):
    assert_bits(fn(gen(seed)), f64(hexes))


def _sampler_seed_perm(g_global, n):
    # RandomSampler without a generator (spec §10): an int64 random_() from the global
    # generator seeds a private generator, which then gives randperm(n).
    seed = int(K.random_full(g_global, (1,), np.int64)[0])
    return seed, K.randperm(gen(seed), n)


INT_VECTORS = [
    ("next32 x3", 0, lambda g: g._next32(3).astype(np.int64), [2357136044, 2546248239, 3071714933]),
    ("randint(0,10,(8,))", 0, lambda g: K.randint(g, (8,), 0, 10), [4, 9, 3, 0, 3, 9, 7, 3]),
    ("randint(-5,5,(6,))", 0, lambda g: K.randint(g, (6,), -5, 5), [-1, 4, -2, -5, -2, 4]),
    ("randint(0,2**28,(3,))", 0, lambda g: K.randint(g, (3,), 0, 2**28),
     [130329135, 136432832, 195187451]),
    ("int64 random_()", 0, lambda g: K.random_full(g, (3,), np.int64),
     [900450186894289455, 3969543146641149120, 1895649597198586619]),
    ("randperm(10)", 0, lambda g: K.randperm(g, 10), [4, 1, 7, 5, 3, 9, 0, 8, 6, 2]),
    ("randperm(100)[0:10]", 42, lambda g: K.randperm(g, 100)[0:10],
     [42, 96, 62, 98, 46, 95, 60, 24, 78, 16]),
    ("bernoulli_(0.3)", 0, lambda g: K.bernoulli_scalar(g, (10,), 0.3, np.int64),
     [0, 0, 0, 0, 0, 0, 1, 0, 0, 1]),
    ("dropout(ones(10),0.5)", 0, lambda g: K.dropout_mask(g, (10,), 0.5, np.float32),
     [0, 0, 2, 0, 0, 0, 2, 2, 0, 2]),
    ("multinomial k=2", 0,
     lambda g: K.multinomial(g, np.array([0.1, 0.2, 0.3, 0.4], np.float32), 2), [2, 1]),
    ("multinomial k=8 repl", 0,
     lambda g: K.multinomial(g, np.array([0.1, 0.2, 0.3, 0.4], np.float32), 8, True),
     [3, 3, 2, 3, 3, 3, 1, 2]),
    ("RandomSampler(range(10))", 0, lambda g: _sampler_seed_perm(g, 10)[1],
     [6, 9, 0, 7, 3, 5, 4, 2, 1, 8]),
    ("DataLoader shuffle epoch", 0,
     lambda g: (K.random_full(g, (1,), np.int64), _sampler_seed_perm(g, 10))[1][1],
     [6, 7, 1, 4, 2, 0, 9, 8, 3, 5]),
]


@pytest.mark.parametrize("name,seed,fn,values", INT_VECTORS, ids=[v[0] for v in INT_VECTORS])
def test_integer_vectors(name, seed, fn, values):
    got = np.asarray(fn(gen(seed)))
    assert got.tolist() == values


def test_sampler_private_seed():
    assert _sampler_seed_perm(gen(0), 10)[0] == 900450186894289455


DIGESTS = [
    ("randn(10**6)", lambda g: K.normal(g, (10**6,), np.float32), "46aae2c14787e572"),
    ("randn(10**5,f64)", lambda g: K.normal(g, (10**5,), np.float64), "cae0818ea1527735"),
    ("rand(10**6)", lambda g: K.uniform(g, (10**6,), np.float32), "c92d742c61e64442"),
    ("randint(0,10,10**6)", lambda g: K.randint(g, (10**6,), 0, 10), "b821a328de12eae9"),
    ("randperm(60000)", lambda g: K.randperm(g, 60000), "4c226c41bdd65c9e"),
    ("bernoulli_(0.3) 10**5", lambda g: K.bernoulli_scalar(g, (10**5,), 0.3, np.float32),
     "555094b03efd4e98"),
    ("Linear(784,128).weight",
     lambda g: K.uniform(g, (128, 784), np.float32, -kaiming_bound(784), kaiming_bound(784)),
     "318b971b9f19b664"),
]


@pytest.mark.parametrize("name,fn,expected", DIGESTS, ids=[d[0] for d in DIGESTS])
def test_digests(name, fn, expected):
    assert digest(fn(gen(0))) == expected


# ======================================================== Part 1: generator and state (§1, §11)


def test_seeding():
    g = Generator()
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(-1) is g and g.initial_seed() == 2**64 - 1
    assert gen(-(2**63)).initial_seed() == 2**63
    a, b = gen(5)._next32(1000), gen(2**32 + 5)._next32(1000)
    assert np.array_equal(a, b)
    s = g.seed()
    assert g.initial_seed() == s and np.array_equal(g._next32(5), gen(s)._next32(5))


@pytest.mark.parametrize("seed,exc,msg", [
    (2**64, ValueError, "Overflow when unpacking long long"),
    (-(2**63) - 1, ValueError, "Overflow when unpacking long long"),
    (1.5, RuntimeError, "manual_seed expected a long, but got float"),
    (True, RuntimeError, "manual_seed expected a long, but got bool"),
    ("3", RuntimeError, "manual_seed expected a long, but got str"),
    (None, RuntimeError, "manual_seed expected a long, but got NoneType"),
    (np.int64(3), TypeError, "an integer is required"),
])
def test_manual_seed_errors(seed, exc, msg):
    with pytest.raises(exc) as info:
        Generator().manual_seed(seed)
    assert str(info.value) == msg


def test_next64_is_hi_then_lo():
    raw = gen(7)._next32(2 * 100).astype(np.uint64)
    for n in (1, 100):  # small n and the fast NumPy path
        assert np.array_equal(gen(7)._next64(n), ((raw[0::2] << np.uint64(32)) | raw[1::2])[:n])


def _header(state):
    import struct

    return struct.unpack_from("<QiiQ", state, 0)


def test_state_layout():
    g = gen(0)
    state = g._get_state_bytes()
    assert len(state) == 5056
    assert _header(state) == (0, 1, 1, 0)  # seed, left, seeded, next right after seeding
    key = np.frombuffer(state, dtype="<u8", count=624, offset=24)
    assert key[:3].tolist() == [0, 1, 1812433255]
    assert state[5016:] == bytes(40)  # caches empty, padding zero
    K.normal(g, (1,), np.float64)  # 4 draws, leaves a cached sine
    state = g._get_state_bytes()
    assert _header(state) == (0, 621, 1, 4)
    assert np.frombuffer(state, "<f8", 1, 5024)[0] == float.fromhex("-0x1.2c78a087c6feap-2")
    assert np.frombuffer(state, "<i4", 1, 5040)[0] == 1
    g._next32(620)
    assert _header(g._get_state_bytes())[1:] == (1, 1, 624)  # exhausted: next = 624


def test_state_round_trip():
    g = gen(123)
    g._next32(1000)
    K.normal(g, (3,), np.float32)  # odd count: leaves a cache
    saved = g._get_state_bytes()
    expected = K.normal(g, (5,), np.float32), K.uniform(g, (40,), np.float64)
    h = Generator()
    h._set_state_bytes(saved)
    assert h._get_state_bytes() == saved and h.initial_seed() == 123
    assert_bits(K.normal(h, (5,), np.float32), expected[0])
    assert_bits(K.uniform(h, (40,), np.float64), expected[1])
    fresh = gen(9)._get_state_bytes()  # a just-seeded state keeps next = 0 through set/get
    h.set_state(np.frombuffer(fresh, np.uint8))
    assert h._get_state_bytes() == fresh and np.array_equal(h._next32(3), gen(9)._next32(3))
    snapshot = h.clone_state()
    first = h._next32(10)
    h.restore_state(snapshot)
    assert np.array_equal(h._next32(10), first)


@pytest.mark.parametrize("data,msg", [
    (bytes(10), "Expected a CPUGeneratorImplState of size 5056 but found the input RNG state "
                "size to be 10"),
    (bytes(5048), "Expected a CPUGeneratorImplState of size 5056 but found the input RNG "
                  "state size to be 5048"),
    (bytes(5056), "Invalid mt19937 state"),
])
def test_set_state_errors(data, msg):
    with pytest.raises(RuntimeError) as info:
        Generator()._set_state_bytes(data)
    assert str(info.value) == msg


# ====================================================== Part 1: helper algorithms are exact


def _exact_f32(a, b, c):
    """Correctly rounded float32 of the exact a*b+c (via Fraction and round-half-even)."""
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    lo = np.float32(float(exact))  # double rounding candidate
    cands = {lo, np.nextafter(lo, np.float32(np.inf)), np.nextafter(lo, np.float32(-np.inf))}
    best = min(cands, key=lambda v: (abs(Fraction(float(v)) - exact),
                                     int(np.array(v).view(np.uint32)) & 1))
    return best


def test_fma32_exact_including_ties():
    rng = np.random.default_rng(1)
    a = rng.standard_normal(2000).astype(np.float32)
    b = rng.standard_normal(2000).astype(np.float32)
    c = (rng.standard_normal(2000) * 1e-3).astype(np.float32)
    # Hand-made double-rounding traps: the exact a*b + c lies a hair off a float32 midpoint
    # (1 + 2**-24, 1 + 3 * 2**-24) and rounds to that midpoint in float64, where a naive
    # "float64 then float32" rounding would tie to even in the wrong direction.
    traps_a = np.array([1 + 2**-23, 1 + 2**-22, -(1 + 2**-23), 1 + 2**-22], np.float32)
    traps_b = np.array([1 - 2**-24, 1 - 2**-24, 1 - 2**-24, 1 - 2**-24], np.float32)
    traps_c = np.array([2.0**-47 + 2.0**-70, 2.0**-46 - 2.0**-69, -(2.0**-47 + 2.0**-70),
                        2.0**-46 + 2.0**-69], np.float32)
    naive = (traps_a.astype(np.float64) * traps_b + traps_c).astype(np.float32)
    a, b, c = (np.concatenate(x) for x in ((a, traps_a), (b, traps_b), (c, traps_c)))
    got = G.fma32(a, b, c)
    want = np.array([_exact_f32(x, y, z) for x, y, z in zip(a, b, c, strict=True)], np.float32)
    assert_bits(got, want)
    assert (naive.view(np.uint32) != want[-4:].view(np.uint32)).sum() == 3  # traps are real


def test_fma64_exact():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(3000), rng.standard_normal(3000)
    c = rng.standard_normal(3000) * 10.0 ** rng.integers(-20, 5, 3000)
    got = G.fma64(a, b, c)
    want = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c, strict=True)]
    assert_bits(got, np.array(want))


def test_libm_wrappers_match_math():
    x = np.linspace(1e-6, 1.0, 997)
    for name, func, arg in [("log", math.log, x), ("log1p", math.log1p, -x + 1e-9),
                            ("sin", math.sin, 6 * x), ("cos", math.cos, 6 * x),
                            ("exp", math.exp, 20 * x - 10), ("tan", math.tan, 3 * x - 1.5)]:
        assert_bits(G.LIBM[name](arg), np.array([func(v) for v in arg]))


@pytest.mark.parametrize("n", [2, 3, 5, 17, 100, 1000, 70000])
def test_vectorised_swaps_match_the_loop(n):
    rng = np.random.default_rng(n)
    z = (rng.random(n - 1) * np.arange(n, 1, -1)).astype(np.uint64)
    a = list(range(n))
    for i, zi in enumerate(z.tolist()):
        a[i], a[i + zi] = a[i + zi], a[i]
    assert K._apply_swaps(z).tolist() == a
    z = (rng.random(n) * np.arange(1, n + 1)).astype(np.uint64)  # the inside-out variant
    b = [0] * n
    for i, zi in enumerate(z.tolist()):
        b[i] = b[zi]
        b[zi] = i
    assert K._inside_out(z).tolist() == b


# ================================================= Part 1: validation (messages from torch)

ERRORS = [
    (lambda g: K.randint(g, (3,), 5, 2), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    (lambda g: K.randint(g, (-1,), 0, 5), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda g: K.uniform(g, (2, -3), np.float32), RuntimeError,
     "Trying to create tensor with negative dimension -3: [2, -3]"),
    (lambda g: K.random_full(g, (3,), np.uint8, 0, 300), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    (lambda g: K.random_full(g, (3,), np.int8, -200, 0), RuntimeError,
     "from is out of bounds for signed char"),
    (lambda g: K.random_full(g, (3,), np.bool_, 0, 3), RuntimeError,
     "to - 1 is out of bounds for bool"),
    (lambda g: K.random_full(g, (3,), np.int32, -(2**63)), RuntimeError,
     "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16"),
    (lambda g: K.random_full(g, (3,), np.uint32), NotImplementedError,
     "\"random_kernel_cpu\" not implemented for 'UInt32'"),
    (lambda g: K.randperm(g, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda g: K.randperm(g, 3000, np.float16), RuntimeError,
     "n cannot be greater than 2049 for Half type."),
    (lambda g: K.randperm(g, 257, np.uint8), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda g: K.randperm(g, 3, np.bool_), NotImplementedError,
     "\"randperm\" not implemented for 'Bool'"),
    (lambda g: K.bernoulli_scalar(g, (3,), 1.5, np.float32), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=1.5"),
    (lambda g: K.bernoulli_tensor(g, np.array([0.5, np.nan], np.float32)), RuntimeError,
     "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
     "be improved?  If so, please report an enhancement request to PyTorch.)"),
    (lambda g: K.dropout_mask(g, (3,), 1.5, np.float32), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda g: K.normal(g, (3,), np.float32, 0.0, -1.0), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda g: K.normal(g, (3,), np.int64), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda g: K.normal_tensor_params(g, np.zeros(3), np.array([1.0, -1.0, 1.0]), np.float64),
     RuntimeError, "normal expects all elements of std >= 0.0"),
    (lambda g: K.uniform(g, (3,), np.int64), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda g: K.uniform(g, (3,), np.float32, 1, 0), RuntimeError,
     "uniform_ expects to return a [from, to) range, but found from=1 > to=0"),
    (lambda g: K.uniform(g, (3,), np.float32, 0, math.inf), RuntimeError,
     "to is out of bounds for float"),
    (lambda g: K.uniform(g, (3,), np.float32, -3e38, 3e38), RuntimeError,
     "uniform_ expects to-from <= std::numeric_limits<Float>::max(), but found to=3e+38 and "
     "from=-3e+38 which result in to-from to exceed the limit"),
    (lambda g: K.exponential(g, (3,), np.float32, 0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda g: K.exponential(g, (3,), np.int16), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a "
     "floating point but you specified Short"),
    (lambda g: K.geometric(g, (3,), np.float32, 1), RuntimeError,
     "geometric_ expects p to be in (0, 1), but got p=1"),
    (lambda g: K.log_normal(g, (3,), np.float32, 0, 0), RuntimeError,
     "log_normal_ expects std > 0.0, but found std=0"),
    (lambda g: K.cauchy(g, (3,), np.int64), RuntimeError,
     "Cauchy distribution is a continuous probability distribution. dtype must be a floating "
     "point but you specified long int"),
    (lambda g: K.multinomial(g, np.array([0.1, -0.2]), 1), RuntimeError,
     "probability tensor contains either `inf`, `nan` or element < 0"),
    (lambda g: K.multinomial(g, np.zeros(2), 1), RuntimeError,
     "invalid multinomial distribution (sum of probabilities <= 0)"),
    (lambda g: K.multinomial(g, np.ones(4), 5), RuntimeError,
     "cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
    (lambda g: K.multinomial(g, np.ones(4), 0), RuntimeError,
     "cannot sample n_sample <= 0 samples"),
    (lambda g: K.multinomial(g, np.ones((2, 2, 2)), 1), RuntimeError,
     "prob_dist must be 1 or 2 dim"),
    (lambda g: K.multinomial(g, np.array([1, 2]), 1), RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
    (lambda g: K.multinomial(g, np.array([[0.5, 0.5], [-1.0, 1.0]]), 3, True), RuntimeError,
     "invalid multinomial distribution (encountering probability entry < 0)"),
    (lambda g: K.multinomial(g, np.array([0.5, np.inf]), 3, True), RuntimeError,
     "invalid multinomial distribution (encountering probability entry = infinity or NaN)"),
]


@pytest.mark.parametrize("call,exc,msg", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_errors(call, exc, msg):
    with pytest.raises(exc) as info:
        call(gen(0))
    assert str(info.value) == msg


def test_float_random_warns_out_of_precision():
    with pytest.warns(UserWarning, match=r"to - 1 is out of bounds \[-\(2\^24\), 2\^24\]"):
        K.random_full(gen(0), (3,), np.float32, 0, 2**25)


# ============================================================ Part 2: live torch comparisons

SEEDS = [0, 1, 2023, 2**32 + 5, -1, -12345, 123456789]
SIZES = list(range(1, 41)) + [100, 1000]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def pair(torch):
    def make(seed):
        return gen(seed), torch.Generator().manual_seed(seed)

    return make


def same(ours, theirs):
    """Compare a NumPy result with a torch tensor bit for bit."""
    assert_bits(ours, theirs.numpy() if hasattr(theirs, "numpy") else theirs)


def same_state(g, tg):
    assert g._get_state_bytes() == tg.get_state().numpy().tobytes()


def tdt(torch, np_dtype):
    return getattr(torch, np.dtype(np_dtype).name.replace("bool", "bool"))


@pytest.mark.parametrize("seed", SEEDS)
def test_live_seeding_and_state(torch, pair, seed):
    g, tg = pair(seed)
    assert g.initial_seed() == tg.initial_seed()
    same_state(g, tg)
    assert Generator()._get_state_bytes() == torch.Generator().get_state().numpy().tobytes()


@pytest.mark.parametrize("seed", SEEDS)
def test_live_uniform(torch, pair, seed):
    g, tg = pair(seed)
    for dt in (np.float32, np.float64, np.float16):
        for n in SIZES:
            same(K.uniform(g, (n,), dt), torch.rand(n, generator=tg, dtype=tdt(torch, dt)))
        ranges = [(-0.1, 0.1), (1000, 1000.5), (-3, 7), (2.5, 2.5), (0, 1e-30), (0.5, 0.50029)]
        if dt != np.float16:
            ranges.append((1e30, 1.5e30))
        for lo, hi in ranges:
            same(K.uniform(g, (7, 11), dt, lo, hi),
                 torch.empty(7, 11, dtype=tdt(torch, dt)).uniform_(lo, hi, generator=tg))
        same_state(g, tg)
    if seed in (0, -1):
        same(K.uniform(g, (10**5,), np.float32, -0.7, 0.3),
             torch.empty(10**5).uniform_(-0.7, 0.3, generator=tg))
        same(K.uniform(g, (10**5,), np.float64, -0.7, 0.3),
             torch.empty(10**5, dtype=torch.float64).uniform_(-0.7, 0.3, generator=tg))


@pytest.mark.parametrize("seed", SEEDS)
def test_live_normal(torch, pair, seed):
    g, tg = pair(seed)
    for dt in (np.float32, np.float64, np.float16):
        t_dt = tdt(torch, dt)
        for n in SIZES:
            same(K.normal(g, (n,), dt), torch.randn(n, generator=tg, dtype=t_dt))
        for mean, std in [(0.5, 2.0), (0.1, 0.3), (-3.0, 1e-3), (0.0, 0.0)]:
            for n in (5, 16, 33, 48):
                same(K.normal(g, (n,), dt, mean, std),
                     torch.empty(n, dtype=t_dt).normal_(mean, std, generator=tg))
        same(K.normal(g, (6, 7), dt), torch.randn(6, 7, generator=tg, dtype=t_dt))
        # A transposed destination takes the scalar path; values arrive in memory order.
        x = torch.empty(9, 5, dtype=t_dt).t()
        x.normal_(generator=tg)
        same(K.normal(g, (5, 9), dt, contiguous=False).ravel(), x.t().reshape(-1))
        same_state(g, tg)


@pytest.mark.parametrize("seed", [0, 2023, -1])
def test_live_normal_large(torch, pair, seed):
    g, tg = pair(seed)
    for dt, n in [(np.float32, 10**5 + 7), (np.float64, 10**5 + 3), (np.float16, 10**4 + 5)]:
        same(K.normal(g, (n,), dt, 0.25, 1.5),
             torch.empty(n, dtype=tdt(torch, dt)).normal_(0.25, 1.5, generator=tg))
    x = torch.empty(300, 400).t()
    x.normal_(generator=tg)
    same(K.normal(g, (400, 300), np.float32, contiguous=False).ravel(), x.t().reshape(-1))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
def test_live_interleaved_calls(torch, pair, seed):
    g, tg = pair(seed)
    steps = [
        (lambda: K.normal(g, (3,), np.float32), lambda: torch.randn(3, generator=tg)),
        (lambda: K.uniform(g, (2,), np.float32), lambda: torch.rand(2, generator=tg)),
        (lambda: K.normal(g, (5,), np.float32), lambda: torch.randn(5, generator=tg)),
        (lambda: K.normal(g, (1,), np.float64),
         lambda: torch.randn(1, generator=tg, dtype=torch.float64)),
        (lambda: K.normal(g, (17,), np.float32), lambda: torch.randn(17, generator=tg)),
        (lambda: K.normal(g, (1,), np.float16),
         lambda: torch.randn(1, generator=tg, dtype=torch.float16)),
        (lambda: K.randint(g, (4,), 0, 7), lambda: torch.randint(0, 7, (4,), generator=tg)),
        (lambda: K.log_normal(g, (3,), np.float64),
         lambda: torch.empty(3, dtype=torch.float64).log_normal_(generator=tg)),
        (lambda: K.normal(g, (2,), np.float32), lambda: torch.randn(2, generator=tg)),
        (lambda: K.randperm(g, 9), lambda: torch.randperm(9, generator=tg)),
        (lambda: K.normal(g, (7,), np.float64),
         lambda: torch.randn(7, generator=tg, dtype=torch.float64)),
    ]
    for ours, theirs in steps:
        same(ours(), theirs())
        same_state(g, tg)
    # torch's state loads into ours and ours into torch, cache included.
    h = Generator()
    h._set_state_bytes(tg.get_state().numpy().tobytes())
    same(K.normal(h, (3,), np.float32), torch.randn(3, generator=tg))
    tg.set_state(torch.frombuffer(bytearray(g._get_state_bytes()), dtype=torch.uint8))
    same(K.normal(g, (3,), np.float32), torch.randn(3, generator=tg))


INT_DTYPES = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_, np.float32,
              np.float64, np.float16]


@pytest.mark.parametrize("seed", SEEDS)
def test_live_randint_and_random(torch, pair, seed):
    g, tg = pair(seed)
    for low, high in [(0, 10), (-5, 5), (0, 2**28 - 1), (0, 2**28), (-(2**40), 2**40),
                      (-(2**63), 2**63 - 1), (3, 4), (0, 2**31 - 1)]:
        for n in (1, 7, 40, 1000):
            same(K.randint(g, (n,), low, high), torch.randint(low, high, (n,), generator=tg))
    for dt in INT_DTYPES:
        t_dt = tdt(torch, dt)
        info = np.iinfo(dt) if dt not in (np.bool_, np.float16, np.float32, np.float64) else None
        bounds = [(0, 2)] if dt == np.bool_ else [(0, 2), (-3, 100)] if info is None or \
            info.min < 0 else [(0, 2), (3, 100)]
        if info is not None:
            bounds.append((int(info.min), int(info.max) + (dt != np.int64)))
        if dt in (np.float32, np.float64):
            bounds += [(0, 2**25), (-(2**30), 2**29 + 3), (0, 2**28), (0, 2**63 - 1),
                       (-(2**63), 2**63 - 1), (-(2**62) - 1, 2**53 + 3)]
        for low, high in bounds:
            same(K.randint(g, (33,), low, high, dt),
                 torch.randint(low, high, (33,), generator=tg, dtype=t_dt))
        same(K.random_full(g, (2, 21), dt), torch.empty(2, 21, dtype=t_dt).random_(generator=tg))
        same(K.random_full(g, (21,), dt, 0, 2),
             torch.empty(21, dtype=t_dt).random_(2, generator=tg))
        start = 0 if dt in (np.bool_, np.uint8) else 5
        same(K.random_full(g, (21,), dt, start),
             torch.empty(21, dtype=t_dt).random_(start, None, generator=tg))
        if dt in (np.int64, np.float32, np.float64):
            same(K.random_full(g, (21,), dt, -(2**63)),
                 torch.empty(21, dtype=t_dt).random_(-(2**63), None, generator=tg))
        same_state(g, tg)
    for dt in (np.uint16, np.uint32, np.uint64):
        same(K.randint(g, (9,), 3, 2**15, dt),
             torch.randint(3, 2**15, (9,), generator=tg, dtype=tdt(torch, dt)))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
def test_live_randperm(torch, pair, seed):
    g, tg = pair(seed)
    for n in [0, 1, 2] + SIZES + [65536, 65537]:
        same(K.randperm(g, n), torch.randperm(n, generator=tg))
    for dt in (np.int32, np.int16, np.uint8, np.float32, np.float64, np.float16):
        same(K.randperm(g, 200, dt), torch.randperm(200, generator=tg, dtype=tdt(torch, dt)))
    if seed in (0, 2023):
        same(K.randperm(g, 10**5), torch.randperm(10**5, generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
def test_live_bernoulli_and_dropout(torch, pair, seed):
    g, tg = pair(seed)
    for dt in (np.float32, np.float64, np.float16, np.int64, np.uint8, np.bool_):
        for p in (0.0, 0.3, 0.5, 1.0, 1e-9):
            same(K.bernoulli_scalar(g, (3, 13), p, dt),
                 torch.empty(3, 13, dtype=tdt(torch, dt)).bernoulli_(p, generator=tg))
    rng = np.random.default_rng(abs(seed) % 2**32)
    for dt in (np.float32, np.float64, np.float16):
        probs = rng.random((4, 25)).astype(dt)
        probs[0, :5] = (0, 1, 0, 1, 0.5)
        same(K.bernoulli_tensor(g, probs), torch.bernoulli(torch.from_numpy(probs), generator=tg))
        same(K.bernoulli_tensor(g, probs, np.int64),
             torch.empty(4, 25, dtype=torch.int64).bernoulli_(torch.from_numpy(probs),
                                                             generator=tg))
    same_state(g, tg)
    torch.manual_seed(seed)
    g = gen(seed)
    for dt in (np.float32, np.float64, np.float16):
        x = rng.standard_normal((5, 8)).astype(dt)
        for p in (0.1, 0.3, 0.5, 0.123, 0.9):
            ours = x * K.dropout_mask(g, x.shape, p, dt)
            same(ours, torch.nn.functional.dropout(torch.from_numpy(x), p))
        same(x * K.dropout_mask(g, (5, 8), 0.0, dt), torch.nn.functional.dropout(
            torch.from_numpy(x), 0.0))
        same(K.dropout_mask(g, (5, 2, 1, 1), 0.4, dt) * np.ones((5, 2, 3, 3), dt),
             torch.nn.functional.dropout2d(torch.ones(5, 2, 3, 3, dtype=tdt(torch, dt)), 0.4))
    assert g._get_state_bytes() == torch.get_rng_state().numpy().tobytes()


@pytest.mark.parametrize("seed", SEEDS)
def test_live_continuous_distributions(torch, pair, seed):
    g, tg = pair(seed)
    for dt in (np.float32, np.float64, np.float16):
        t_dt = tdt(torch, dt)
        for n in (1, 3, 17, 1000):
            for lam in (1.0, 3.0, 0.7):
                same(K.exponential(g, (n,), dt, lam),
                     torch.empty(n, dtype=t_dt).exponential_(lam, generator=tg))
            for median, sigma in ((0.0, 1.0), (0.3, 2.5)):
                same(K.cauchy(g, (n,), dt, median, sigma),
                     torch.empty(n, dtype=t_dt).cauchy_(median, sigma, generator=tg))
            for mean, std in ((1.0, 2.0), (0.3, 0.7)):
                same(K.log_normal(g, (n,), dt, mean, std),
                     torch.empty(n, dtype=t_dt).log_normal_(mean, std, generator=tg))
        same_state(g, tg)
    for dt in (np.float64, np.float32, np.int64, np.int32, np.uint8):
        for p in (0.3, 0.9, 0.01, 0.123456789):
            same(K.geometric(g, (50,), dt, p),
                 torch.empty(50, dtype=tdt(torch, dt)).geometric_(p, generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
def test_live_normal_tensor_params(torch, pair, seed):
    g, tg = pair(seed)
    rng = np.random.default_rng(abs(seed) % 2**32)
    for dt in (np.float32, np.float64):
        for shape in [(3,), (20,), (4, 9)]:
            mean = rng.standard_normal(shape).astype(dt)
            std = rng.random(shape).astype(dt) * 3
            tm, ts = torch.from_numpy(mean), torch.from_numpy(std)
            same(K.normal_tensor_params(g, mean, std, dt), torch.normal(tm, ts, generator=tg))
            same(K.normal_tensor_params(g, mean, 0.7, dt), torch.normal(tm, 0.7, generator=tg))
            same(K.normal_tensor_params(g, -0.3, std, dt), torch.normal(-0.3, ts, generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", SEEDS)
def test_live_multinomial(torch, pair, seed):
    g, tg = pair(seed)
    rng = np.random.default_rng(abs(seed) % 2**32)
    for dt in (np.float32, np.float64, np.float16):
        for shape in [(4,), (10,), (3, 7), (5, 100), (2, 300)]:
            probs = rng.random(shape).astype(dt)
            probs[probs < 0.2] = 0
            for k in (1, 2, 5):
                for repl in (False, True):
                    if not repl and k > shape[-1]:
                        continue
                    same(K.multinomial(g, probs, k, repl),
                         torch.multinomial(torch.from_numpy(probs), k, repl, generator=tg))
        same_state(g, tg)
    # Ties between zero probabilities follow libstdc++'s nth_element / partial_sort.
    for probs, k in [([0, 1, 0, 0, 0], 3), ([0] * 10 + [1], 5), ([1] + [0] * 200, 4),
                     ([0, 0, 1, 0, 0, 1, 0, 0], 8), ([0] * 300 + [1], 10)]:
        p = np.array(probs, np.float32)
        same(K.multinomial(g, p, k), torch.multinomial(torch.from_numpy(p), k, generator=tg))
    p = rng.random((6, 4)).astype(np.float32).T  # a transposed matrix draws in memory order
    same(K.multinomial(g, p, 2), torch.multinomial(torch.from_numpy(p.T.copy()).T, 2,
                                                   generator=tg))
    same_state(g, tg)


@pytest.mark.parametrize("seed", [0, 1, 2023, -1])
def test_live_poisson(torch, pair, seed):
    g, tg = pair(seed)
    rng = np.random.default_rng(abs(seed) % 2**32)
    for dt in (np.float32, np.float64, np.float16):
        rates = np.concatenate([rng.random(40) * 12, rng.random(40) * 300,
                                [0, 10, 9.999, 1e4, 1e-3]]).astype(dt)
        same(K.poisson(g, rates), torch.poisson(torch.from_numpy(rates), generator=tg))
        same(K.poisson(g, rates.reshape(5, 17)),
             torch.poisson(torch.from_numpy(rates.reshape(5, 17)), generator=tg))
    same_state(g, tg)


def _torch_error(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


LIVE_ERRORS = [
    (lambda g: K.randint(g, (3,), 5, 5), lambda t: t.randint(5, 5, (3,))),
    (lambda g: K.random_full(g, (3,), np.int16, 0, 70000),
     lambda t: t.empty(3, dtype=t.int16).random_(0, 70000)),
    (lambda g: K.random_full(g, (3,), np.float16, -70000, 0),
     lambda t: t.empty(3, dtype=t.float16).random_(-70000, 0)),
    (lambda g: K.random_full(g, (3,), np.uint64, -(2**63)),
     lambda t: t.empty(3, dtype=t.uint64).random_(-(2**63), None)),
    (lambda g: K.randperm(g, 2**24 + 2, np.float32),
     lambda t: t.randperm(2**24 + 2, dtype=t.float32)),
    (lambda g: K.bernoulli_scalar(g, (3,), math.nan, np.float32),
     lambda t: t.empty(3).bernoulli_(math.nan)),
    (lambda g: K.normal(g, (3,), np.float32, 0.0, math.nan),
     lambda t: t.empty(3).normal_(0, math.nan)),
    (lambda g: K.uniform(g, (3,), np.float64, -1e308, 1e308),
     lambda t: t.empty(3, dtype=t.float64).uniform_(-1e308, 1e308)),
    (lambda g: K.uniform(g, (0,), np.float32, 1, 0), lambda t: t.empty(0).uniform_(1, 0)),
    (lambda g: K.geometric(g, (3,), np.bool_, 0.5),
     lambda t: t.empty(3, dtype=t.bool).geometric_(0.5)),
    (lambda g: K.log_normal(g, (3,), np.int64), lambda t: t.empty(3, dtype=t.int64).log_normal_()),
    (lambda g: K.cauchy(g, (3,), np.float32, 0, -1), lambda t: t.empty(3).cauchy_(0, -1)),
    (lambda g: K.multinomial(g, np.array([0.1, np.nan]), 1),
     lambda t: t.multinomial(t.tensor([0.1, math.nan]), 1)),
    (lambda g: K.multinomial(g, np.array([[1.0, 1.0], [0.0, 0.0]], np.float32), 2, True),
     lambda t: t.multinomial(t.tensor([[1.0, 1.0], [0.0, 0.0]]), 2, True)),
    (lambda g: K.poisson(g, np.array([3.0, 30.0, -1.0], np.float32)),
     lambda t: t.poisson(t.tensor([3.0, 30.0, -1.0]))),
    (lambda g: K.poisson(g, np.array([1, 2])), lambda t: t.poisson(t.tensor([1, 2]))),
]


@pytest.mark.parametrize("index", range(len(LIVE_ERRORS)))
def test_live_errors(torch, index):
    ours, theirs = LIVE_ERRORS[index]
    expected = _torch_error(lambda: theirs(torch))
    assert expected is not None
    assert _torch_error(lambda: ours(gen(0))) == expected


def test_float32_log_and_sincos_exhaustive():
    """The AVX2 float32 log and sincos emulations round their fused multiply-adds without the
    tie check of ``fma32``; that is exact for *every* input they can receive, because both
    only ever see one of the 2**24 values U24 can take.  Check all of them against a plain
    reference that uses the exact (tie-checked) ``fma32`` everywhere."""
    fma, one = G.fma32, np.float32(1)

    def log_ref(x):
        bits = x.view(np.int32)
        e = (bits >> 23).astype(np.float32) - np.float32(126)
        m = ((bits & 0x007FFFFF) | 0x3F000000).view(np.float32)
        small = m < f32(G._SQRTHF_BITS)
        e -= small
        t = np.where(small, (m - one) + m, m - one)
        z = t * t
        y = fma(np.float32(G._LOG_P[0]), t, np.float32(G._LOG_P[1]))
        for p in G._LOG_P[2:]:
            y = fma(y, t, np.float32(p))
        y = fma(y * t, z, e * G._LOG_Q1) - z * np.float32(0.5)
        return fma(e, G._LOG_Q2, t + y)

    def sincos_ref(theta):
        j = (theta * G._FOPI).astype(np.int32)
        j = (j + 1) & ~1
        y = j.astype(np.float32)
        x = fma(y, np.float32(G._DP1), theta)
        x = fma(np.float32(G._DP2), y, x)
        x = fma(y, np.float32(G._DP3), x)
        z = x * x
        c = fma(np.float32(G._CP0), z, np.float32(G._CP1))
        c = fma(c, z, np.float32(G._CP2)) * z
        c = fma(z, c, -(z * np.float32(0.5))) + one
        s = fma(np.float32(G._SP0), z, np.float32(G._SP1))
        s = fma(x, fma(s, z, np.float32(G._SP2)) * z, x)
        use_s = (j & 2) == 0
        sin, cos = np.where(use_s, s, c), np.where(use_s, c, s)
        return np.where((j & 4) != 0, -sin, sin), np.where(((j - 2) & 4) == 0, -cos, cos)

    for start in range(0, 2**24, 2**21):
        a = np.arange(start, start + 2**21).astype(np.float32) * np.float32(2**-24)
        x = one - a
        assert_bits(G._log_f32(x), log_ref(x))
        theta = G._TWO_PI_F32 * a
        for got, want in zip(G._sincos_f32(theta), sincos_ref(theta), strict=True):
            assert_bits(got, want)

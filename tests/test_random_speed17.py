"""The fast paths of the random kernels give PyTorch's bits and leave its generator state.

Covers what the speed work changed: the float32 block-normal kernel (``box_muller_f32``:
``frexp``-based log, float32 Cody-Waite steps, bit-pattern octant selection, output written in
place), the single kernel call for blocks plus tail (n <= ``_ONE_CALL``), the float64 block
path with its tail, U24/U53 drawn with fewer NumPy calls (including the plain-Python U53 of the
scalar normal path), and ``uniform_`` skipping the fma tie check when ``U24 * d + lo`` is exact
in float64.  Each is checked against torch live (sizes around every threshold, generator state
after) and, without torch, against hand-derived references.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

import torchlet
from torchlet import _generator as G
from torchlet import _random_kernels as K

# Sizes around 16 (block path), multiples of 16 and not (tail block), _ONE_CALL (one kernel
# call vs two) and the kernel's chunk of 4096 blocks (65536 values).
SIZES = [1, 2, 15, 16, 17, 31, 32, 33, 100, K._ONE_CALL - 1, K._ONE_CALL, K._ONE_CALL + 1,
         K._ONE_CALL + 16, 16 * G._CHUNK - 1, 16 * G._CHUNK, 16 * G._CHUNK + 17]


def bits(a):
    a = np.ascontiguousarray(a)
    return a.dtype.str, a.shape, a.tobytes()


def gen(seed):
    return G.Generator().manual_seed(seed)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def tdt(torch, dt):
    return getattr(torch, np.dtype(dt).name)


def same_state(g, tg):
    assert g._get_state_bytes() == tg.get_state().numpy().tobytes()


# ------------------------------------------------------------------ live against torch


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.float16])
def test_live_randn_across_thresholds(torch, dt):
    g, tg = gen(17), torch.Generator().manual_seed(17)
    for n in SIZES:
        if dt == np.float16 and n > 5000:
            continue
        assert bits(K.normal(g, (n,), dt)) == bits(
            torch.randn(n, generator=tg, dtype=tdt(torch, dt)).numpy())
        same_state(g, tg)


@pytest.mark.parametrize("mean,std", [(0.5, 2.0), (0.0, 0.02), (-3.0, 1.0), (1e-30, 1e-35)])
def test_live_normal_mean_std(torch, mean, std):
    g, tg = gen(5), torch.Generator().manual_seed(5)
    for dt in (np.float32, np.float64):
        for n in (3, 16, 20, 4097, 70001):
            want = torch.empty(n, dtype=tdt(torch, dt)).normal_(mean, std, generator=tg)
            assert bits(K.normal(g, (n,), dt, mean, std)) == bits(want.numpy())
        same_state(g, tg)


def test_live_scalar_normal_cache(torch):
    """The plain-Python U53 of the scalar path, with the cached sine in between."""
    g, tg = gen(2**32 + 9), torch.Generator().manual_seed(2**32 + 9)
    for n in (1, 3, 1, 2, 15, 7, 1, 16, 1):
        for dt in (np.float32, np.float64):
            want = torch.randn(n, generator=tg, dtype=tdt(torch, dt)).numpy()
            assert bits(K.normal(g, (n,), dt)) == bits(want)
            same_state(g, tg)


@pytest.mark.parametrize("lo,hi", [(-0.1, 0.1), (-3.0, 7.0), (5.0, 6.0), (1000.0, 1000.5),
                                   (0.5, 0.50029), (-1e-3, 2.0), (0.0, 3.0), (1e-40, 1e-39)])
def test_live_uniform_ranges(torch, lo, hi):
    g, tg = gen(3), torch.Generator().manual_seed(3)
    for dt in (np.float32, np.float16, np.float64):
        for n in (1, 33, 70001):
            want = torch.empty(n, dtype=tdt(torch, dt)).uniform_(lo, hi, generator=tg)
            assert bits(K.uniform(g, (n,), dt, lo, hi)) == bits(want.numpy())
        same_state(g, tg)


def test_live_public_calls(torch):
    """The same through torchlet's public functions (rand/randn/normal_/uniform_/nn.init)."""
    torchlet.manual_seed(11)
    torch.manual_seed(11)
    for shape in [(4,), (16,), (3, 7), (5, 16), (128, 784)]:
        assert bits(torchlet.randn(*shape).numpy()) == bits(torch.randn(*shape).numpy())
        assert bits(torchlet.rand(*shape).numpy()) == bits(torch.rand(*shape).numpy())
        ours, theirs = torchlet.empty(shape), torch.empty(shape)
        torchlet.nn.init.kaiming_uniform_(ours, a=math.sqrt(5)) if len(shape) == 2 else \
            ours.uniform_(-0.2, 0.2)
        torch.nn.init.kaiming_uniform_(theirs, a=math.sqrt(5)) if len(shape) == 2 else \
            theirs.uniform_(-0.2, 0.2)
        assert bits(ours.numpy()) == bits(theirs.numpy())
        assert bits(torchlet.empty(shape).normal_(0.1, 0.7).numpy()) == bits(
            torch.empty(shape).normal_(0.1, 0.7).numpy())
    assert torchlet.get_rng_state().numpy().tobytes() == torch.get_rng_state().numpy().tobytes()


def test_live_sampled_configs(torch):
    """A fixed, derandomized sample of (call, dtype, size, parameters) configurations."""
    rng = np.random.default_rng(20261124)
    g, tg = gen(99), torch.Generator().manual_seed(99)
    for _ in range(60):
        dt = [np.float32, np.float64, np.float16][rng.integers(3)]
        n = int(rng.choice([rng.integers(1, 40), rng.integers(40, 5000)]))
        kind = rng.integers(3)
        a = float(np.round(rng.normal(0, 2), int(rng.integers(1, 6))))
        b = float(abs(np.round(rng.normal(0, 2), int(rng.integers(1, 6)))))
        t = torch.empty(n, dtype=tdt(torch, dt))
        if kind == 0:
            ours, theirs = K.normal(g, (n,), dt, a, b), t.normal_(a, b, generator=tg)
        elif kind == 1:
            ours, theirs = K.uniform(g, (n,), dt, a, a + b), t.uniform_(a, a + b, generator=tg)
        else:
            ours, theirs = K.normal(g, (n,), dt), torch.randn(n, generator=tg, dtype=t.dtype)
        assert bits(ours) == bits(theirs.numpy()), (kind, dt, n, a, b)
    same_state(g, tg)


# ------------------------------------------------------------------ without torch


def test_vectors_from_the_spec():
    """docs/torch-rng.md §14: the block path (16, 20) and the scalar path."""
    u32 = np.array
    got = K.normal(gen(0), (20,), np.float32).view(np.uint32)
    assert got[0:4].tolist() == [0xbf901b85, 0xbf93808a, 0xbe804bd6, 0xbede255d]
    assert got[16:20].tolist() == [0x3f6e8c30, 0x3fa12737, 0x4000519a, 0x3d5c1b3a]
    got = K.normal(gen(0), (16,), np.float32).view(np.uint32)
    assert got[8:12].tolist() == [0x3ea50138, 0xbfa1b4f4, 0x3eb330ff, 0x3e9dc3bb]
    got = K.normal(gen(1), (32,), np.float32, 0.5, 2.0).view(np.uint32)
    assert got[0:4].tolist() == [0xc02346ba, 0xbf800f31, 0xbf4ed696, 0xc02e0399]
    got = K.normal(gen(0), (17,), np.float64)
    assert [x.hex() for x in got[[0, 1, 15, 16]].tolist()] == [
        "-0x1.27bb92e9262dcp+1", "-0x1.443c91ccf2402p-1", "-0x1.c8318cc163de5p-1",
        "0x1.5986ed8e63e98p-1"]
    g = gen(0)
    assert u32([K.normal(g, (1,), np.float32)[0], K.normal(g, (1,), np.float32)[0]]).view(
        np.uint32).tolist() == [0x3fc53f5c, 0xbe963c50]
    got = K.uniform(gen(0), (4,), np.float32, -0.1, 0.1).view(np.uint32)
    assert got.tolist() == [0xba444333, 0x3d5bba30, 0xbda88f45, 0xbd96b867]


def _tail_reference(g, n, mean32, std32):
    """Spec §4.2 literally: n U24, every complete block, then 16 fresh U24 for n-16 .. n-1."""
    u = g._u24(n)
    full = n // 16 * 16
    for k in range(0, full, 16):
        u[k:k + 16] = G.box_muller_f32(u[k:k + 16].reshape(1, 16).copy(), mean32, std32)[0]
    if n != full:
        u[n - 16:] = G.box_muller_f32(g._u24(16).reshape(1, 16), mean32, std32)[0]
    return u


@pytest.mark.parametrize("n", [17, 31, 47, 100, K._ONE_CALL - 3, K._ONE_CALL + 5])
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.0, 3.0), (0.25, 1.5)])
def test_block_and_tail_in_one_call(n, mean, std):
    got = K._normal_block_f32(gen(n), n, mean, std)
    want = _tail_reference(gen(n), n, np.float32(mean), np.float32(std))
    assert bits(got) == bits(want)
    # The result owns exactly n values (storage sizes must not see the 16 extra draws).
    assert got.base is None and got.size == n


def test_normal_draw_counts_and_state():
    """Block path: n draws plus 16 when n % 16 != 0; scalar path: 2 x 64 bits per pair."""
    for n, dt, draws in [(16, np.float32, 16), (20, np.float32, 36), (33, np.float64, 49 * 2),
                         (5, np.float32, 3 * 4), (4, np.float64, 2 * 4)]:
        g, ref = gen(1), gen(1)
        K.normal(g, (n,), dt)
        ref._bitgen.random_raw(draws)
        assert g._bitgen.state["state"]["pos"] == ref._bitgen.state["state"]["pos"]
        assert np.array_equal(g._bitgen.state["state"]["key"], ref._bitgen.state["state"]["key"])


def test_u24_and_u53_match_their_definitions():
    g, ref = gen(7), np.random.RandomState(7)
    raw = ref.randint(0, 2**32, size=2 * 5 + 9 + 2 * 3, dtype=np.uint64)
    u24 = g._u24(9)
    assert bits(u24) == bits(((raw[:9] & 0xFFFFFF).astype(np.float32) * np.float32(2**-24)))
    # The scalar path's plain-Python U53: (hi & 0x1FFFFF) << 32 | lo, times 2**-53.
    z = g._scalar_normals(5)  # 3 pairs (one sine cached) = 6 U53 = 12 draws
    hi, lo = raw[9::2][:6].tolist(), raw[10::2][:6].tolist()
    u = [((h & 0x1FFFFF) << 32 | w) * 2.0**-53 for h, w in zip(hi, lo, strict=True)]
    want = []
    for k in range(0, 6, 2):
        r = math.sqrt(-2.0 * math.log1p(-u[k + 1]))
        want += [r * math.cos(G._TWO_PI * u[k]), r * math.sin(G._TWO_PI * u[k])]
    assert z.tolist() == want[:5] and g._normal_f64 == want[5]


def _exact_fma32(u, d, lo):
    """float32(u*d + lo) rounded once, in exact rational arithmetic (round half to even)."""
    exact = Fraction(float(u)) * Fraction(float(d)) + Fraction(float(lo))
    near = np.float32(float(exact))
    cands = [near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))]
    return min(cands, key=lambda v: (abs(Fraction(float(v)) - exact),
                                     int(np.array(v).view(np.uint32)) & 1))


def test_plain_uniform_fma_is_exact():
    """Where ``_u24_fma_is_plain`` says so, float64 then one rounding equals the true fma
    (checked exactly on extreme and random U24 values); ranges near the limit are refused."""
    rng = np.random.default_rng(4)
    k = np.concatenate([[0, 1, 2, 2**23, 2**24 - 2, 2**24 - 1], rng.integers(0, 2**24, 300)])
    u = k.astype(np.float32) * np.float32(2**-24)
    checked = 0
    for lo, hi in [(-0.1, 0.1), (-1.0, 1.0), (5.0, 6.0), (-3.0, 7.0), (-0.0625, 0.0625),
                   (1e-30, 1e-29), (-2.0**-20, 3.0)] + [
                       tuple(sorted(rng.normal(0, 10, 2))) for _ in range(20)]:
        lo32, hi32 = np.float32(lo), np.float32(hi)
        d32 = hi32 - lo32
        if not K._u24_fma_is_plain(lo32, d32):
            continue
        checked += 1
        got = (u.astype(np.float64) * d32 + lo32).astype(np.float32)
        want = np.array([_exact_fma32(x, d32, lo32) for x in u], dtype=np.float32)
        assert bits(got) == bits(want), (lo, hi)
    assert checked >= 15
    assert K._u24_fma_is_plain(np.float32(-0.1), np.float32(0.2))
    assert not K._u24_fma_is_plain(np.float32(1000.0), np.float32(0.5))  # 59 bits
    assert not K._u24_fma_is_plain(np.float32(1.0), np.float32(np.inf))


def test_uniform_paths_agree_with_fma32():
    """Plain path vs the tie-checked ``fma32`` on one draw, for plain ranges."""
    for lo, hi in [(-0.1, 0.1), (-0.05, 0.3), (2.0, 2.75)]:
        g1, g2 = gen(8), gen(8)
        got = K.uniform(g1, (5000,), np.float32, lo, hi)
        lo32, hi32 = np.float32(lo), np.float32(hi)
        want = G.fma32(g2._u24(5000), hi32 - lo32, lo32)
        want[want == hi32] = lo32
        assert bits(got) == bits(want)

"""Whole-tensor max()/min() and aminmax: the bits of their NaNs and zeros as torch's
kernels leave them (extrema._nan_as_torch / _zero_as_torch, order_stats aminmax), and
quantile's argument checks in torch's order."""

import numpy as np
import pytest

import torchlet

_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}
_NANS = {np.float16: [0x7E00, 0xFE00, 0x7C01, 0xFC01, 0x7E55],
         np.float32: [0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001, 0x7FC12345],
         np.float64: [0x7FF8 << 48, 0xFFF8 << 48, (0x7FF << 52) | 1, (0xFFF << 52) | 1,
                      (0x7FF8 << 48) | 12345]}


def bits(a) -> np.ndarray:
    a = np.asarray(a)
    return a.view(_UINT[a.itemsize])


def with_nans(n, dtype, patterns, positions):
    a = np.ones(n, dtype)
    for p, pattern in zip(positions, patterns):
        a.view(_UINT[a.itemsize])[p] = pattern
    return a


@pytest.fixture
def threads():
    before = torchlet.get_num_threads()
    yield
    torchlet.set_num_threads(before)


# ---------------------------------------------------------------------------------------
# max() / min(): NaN bits


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dtype, all_ones", [(np.float16, 0xFE00), (np.float32, 0xFFFFFFFF),
                                             (np.float64, 0xFFFFFFFFFFFFFFFF)])
@pytest.mark.parametrize("n", [2, 3, 8, 9, 40, 1000])
def test_nan_is_the_vector_steps_all_ones(name, dtype, all_ones, n):
    # (the vector step ORs an all-ones NaN in; float16 goes through float32 and back)
    a = with_nans(n, dtype, [_NANS[dtype][2], _NANS[dtype][0]], [n - 1, 0])
    out = getattr(torchlet.from_numpy(a), name)()
    assert bits(out.numpy()) == all_ones


@pytest.mark.parametrize("dtype, pattern, expected", [
    (np.float32, 0xFF800001, 0xFFC00001),  # quieted on its way through a double
    (np.float32, 0x7FC12345, 0x7FC12345),
    (np.float64, (0xFFF << 52) | 1, (0xFFF << 52) | 1),  # kept as it is
    (np.float16, 0xFC01, 0xFE00),  # c10::Half keeps the sign only
    (np.float16, 0x7E55, 0x7E00)])
def test_nan_of_a_lone_element(dtype, pattern, expected):
    a = with_nans(1, dtype, [pattern], [0]).reshape(())
    for name in ("max", "min"):
        assert bits(getattr(torchlet.from_numpy(a), name)().numpy()) == expected


_ALL_ONES = {np.float16: 0xFE00, np.float32: 0xFFFFFFFF, np.float64: 0xFFFFFFFFFFFFFFFF}
_QUIET = {np.float16: 0x7E00, np.float32: 0x7FC00000, np.float64: 0x7FF8 << 48}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nan_over_threads_is_quiet_nan(dtype, threads):
    a = with_nans(40000, dtype, [_NANS[dtype][3]], [39999])
    torchlet.set_num_threads(2)  # two chunks, meeting in max_impl: quiet_NaN()
    assert bits(torchlet.from_numpy(a).max().numpy()) == _QUIET[dtype]
    assert bits(torchlet.from_numpy(a[-32768:]).max().numpy()) == _ALL_ONES[dtype]  # one
    torchlet.set_num_threads(1)  # one chunk: the vector step's
    assert bits(torchlet.from_numpy(a).min().numpy()) == _ALL_ONES[dtype]


# ---------------------------------------------------------------------------------------
# max() / min(): signed zeros (float16's lanes; chunks over threads)


def _zero_sign(a, name="max"):
    return bool(np.signbit(getattr(torchlet.from_numpy(a), name)().numpy()))


def test_zero_float16_short_is_the_last_zero():
    assert not _zero_sign(np.array([-0.0, 0.0, -1], np.float16))
    assert _zero_sign(np.array([0.0, -0.0, -1], np.float16))
    assert _zero_sign(np.array([0.0, -0.0, 1], np.float16), "min")


def test_zero_float16_pairs_lane_j_with_j_plus_8():
    # 10 elements: lane 0 = pick(x0, x8) = +0 (x8), lane 1 = x1 = -0; lane 0 then lane 1:
    # the tie keeps the second, -0 (where "the last zero", x8, would be +0)
    a = np.full(10, -1, np.float16)
    a[1], a[8] = -0.0, 0.0
    assert _zero_sign(a)
    a[1], a[8] = 0.0, -0.0
    assert not _zero_sign(a)


def test_zero_over_threads_first_chunk_wins(threads):
    a = np.full(40000, -1, np.float32)
    a[0], a[30001] = 0.0, -0.0  # lane 0: +0 in chunk 0; lane 1: -0 in chunk 1
    torchlet.set_num_threads(2)  # chunks of 20000: chunk 0's +0 comes first
    assert not _zero_sign(a)
    torchlet.set_num_threads(1)  # one chunk: lane 0 meets lane 1 last, keeping lane 1's
    assert _zero_sign(a)
    assert _zero_sign(a[:32768] * 1)  # (32768: one chunk whatever the threads)


# ---------------------------------------------------------------------------------------
# aminmax


def test_aminmax_whole_is_min_all_max_all():
    a = with_nans(3, np.float32, [0xFFC00000], [1])
    low, high = torchlet.aminmax(torchlet.from_numpy(a))
    assert bits(low.numpy()) == bits(high.numpy()) == 0xFFFFFFFF
    a = np.array([-0.0, 0.0, 1, 2], np.float64)  # min: the last zero of lane 0
    assert not np.signbit(torchlet.aminmax(torchlet.from_numpy(a)).min.numpy())
    a = np.array([0.0, -0.0, 1, 2], np.float64)
    assert np.signbit(torchlet.aminmax(torchlet.from_numpy(a), keepdim=True).min.numpy()).all()


def test_aminmax_dim_first_zero_and_first_nan():
    a = np.array([[1, 0.0, -0.0], [-1, -0.0, 0.0], [1, np.nan, -np.nan]], np.float32)
    a.view(np.uint32)[2, 1] = 0x7FC12345
    low, high = torchlet.aminmax(torchlet.from_numpy(a), dim=1)
    assert low.numpy()[0] == 0 and not np.signbit(low.numpy()[0])
    assert high.numpy()[1] == 0 and np.signbit(high.numpy()[1])
    assert bits(low.numpy())[2] == bits(high.numpy())[2] == 0x7FC12345
    low, high = torchlet.aminmax(torchlet.from_numpy(a).t(), dim=0, keepdim=True)
    assert low.shape == (1, 3) and bits(high.numpy())[0, 2] == 0x7FC12345


# ---------------------------------------------------------------------------------------
# quantile: torch's quantile_checks come before the dim is wrapped


@pytest.mark.parametrize("make, message", [
    (lambda: torchlet.quantile(torchlet.zeros(0), 0.5, dim=3), "must be non-empty"),
    (lambda: torchlet.quantile(torchlet.zeros(3, dtype=torchlet.int64), 0.5, dim=3),
     "either float or double"),
    (lambda: torchlet.quantile(torchlet.zeros(3), torchlet.zeros(2, 2), dim=3),
     "scalar or 1D"),
    (lambda: torchlet.nanquantile(torchlet.zeros(3), torchlet.zeros(2, dtype=torchlet.float64),
                                  dim=3), "same dtype")])
def test_quantile_checks_before_dim(make, message):
    with pytest.raises(RuntimeError, match=message):
        make()


def test_quantile_dim_before_q_values():
    with pytest.raises(IndexError, match="Dimension out of range"):
        torchlet.quantile(torchlet.zeros(3), torchlet.tensor([2.0]), dim=3)


# ---------------------------------------------------------------------------------------
# sampled against torch


def _sample(rng, dtype):
    n = int(rng.choice([1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 100, 32768, 40000]))
    a = rng.integers(-2, 3, n).astype(dtype)
    if rng.random() < 0.5:
        a = np.abs(a)
    zeros = a == 0
    a[zeros] = np.where(rng.random(zeros.sum()) < 0.5, -0.0, 0.0).astype(dtype)
    if rng.random() < 0.5:
        for p in rng.choice(n, min(n, 2), replace=False):
            a.view(_UINT[a.itemsize])[p] = _NANS[dtype][rng.integers(5)]
    if n % 4 == 0 and rng.random() < 0.5:
        a = a.reshape(4, -1)
    return a


def test_sampled_against_torch(threads):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2020)
    torch_threads = torch.get_num_threads()
    try:
        for case in range(240):
            dtype = (np.float16, np.float32, np.float64)[case % 3]
            thread_count = 1 + case % 2
            torch.set_num_threads(thread_count)
            torchlet.set_num_threads(thread_count)
            a = _sample(rng, dtype)
            t, x = torch.from_numpy(a.copy()), torchlet.from_numpy(a.copy())
            if a.ndim == 2:
                t, x = t.t(), x.t()
            dim = int(rng.integers(a.ndim)) if rng.random() < 0.3 else None
            expected = [t.max(), t.min(), *torch.aminmax(t, dim=dim)]
            got = [x.max(), x.min(), *torchlet.aminmax(x, dim=dim)]
            for e, g in zip(expected, got):
                assert e.shape == g.shape
                assert np.array_equal(bits(e.numpy()), bits(g.numpy())), (case, a.shape, dim)
    finally:
        torch.set_num_threads(torch_threads)

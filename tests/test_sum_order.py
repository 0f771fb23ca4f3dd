"""Float sums add in torch's order (torchlet/_ops/reduction/_cascade.py), bit for bit.

Three kinds of check: hand-made inputs whose torch result follows from the order alone;
a literal, loop-by-loop port of torch's SumKernel.cpp (``_reference_sum``) that needs no
torch; and live comparisons with torch when it is importable.
"""

import math

import numpy as np
import pytest

import torchlet
from torchlet._ops.reduction import _cascade
from torchlet.autograd import gradcheck


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------
# a loop-by-loop port of torch's cascade_sum (one thread, a contiguous 1-D input)


def _reference_multi_row_sum(rows, dt):
    """multi_row_sum: ``rows`` is a list of equal-length vectors."""
    size = len(rows)
    power = max(4, (0 if size <= 1 else math.ceil(math.log2(size))) // 4)
    step, mask = 1 << power, (1 << power) - 1
    acc = [np.zeros_like(rows[0]) if rows else None for _ in range(4)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = (acc[0] + rows[i]).astype(dt)
            i += 1
        for j in range(1, 4):
            acc[j] = (acc[j] + acc[j - 1]).astype(dt)
            acc[j - 1] = np.zeros_like(acc[j - 1])
            if i & (mask << (j * power)):
                break
    for k in range(i, size):
        acc[0] = (acc[0] + rows[k]).astype(dt)
    for j in range(1, 4):
        acc[0] = (acc[0] + acc[j]).astype(dt)
    return acc[0]


def _reference_row_sum(values, dt):
    """row_sum: four interleaved accumulators over a list of vectors (or 1-vectors)."""
    quads = len(values) // 4
    width = values[0].shape
    if quads:
        rows = [np.concatenate(values[4 * q:4 * q + 4]) for q in range(quads)]
        partial = list(_reference_multi_row_sum(rows, dt).reshape(4, *width))
    else:
        partial = [np.zeros(width, dt) for _ in range(4)]
    for v in values[4 * quads:]:
        partial[0] = (partial[0] + v).astype(dt)
    for k in range(1, 4):
        partial[0] = (partial[0] + partial[k]).astype(dt)
    return partial[0]


def _reference_sum(a):
    """torch's full sum of a contiguous float32/float64 1-D array, one thread."""
    dt = a.dtype.type
    lanes = 32 // a.dtype.itemsize
    n = a.shape[0]
    if n < lanes:
        return dt(_reference_row_sum([a[i:i + 1] for i in range(n)], dt)[0] + dt(0))
    loads = n // lanes
    lane_sums = _reference_row_sum([a[v * lanes:(v + 1) * lanes] for v in range(loads)], dt)
    total = dt(0)
    for x in list(a[loads * lanes:]) + list(lane_sums):
        total = dt(total + x)
    return total


def _data(rs, n, dtype):
    return (rs.randn(n) * rs.choice([1.0, 3.0, 100.0])).astype(dtype)


# ---------------------------------------------------------------------------------------
# hand-made cases


def test_three_values_add_left_to_right():
    # torch: (1 + 2**-24) + 2**-24, each a tie that rounds back to 1; adding the two
    # small ones first would give 1 + 2**-23.
    a = np.array([1.0, 2.0**-24, 2.0**-24], np.float32)
    assert torchlet.tensor(a).sum().item() == 1.0
    assert torchlet.tensor(a).mean().item() == np.float32(1.0) / np.float32(3.0)


def test_four_scalar_accumulators_below_one_vector():
    # 5 float32 (fewer than 8 lanes): x0 + x4 first, then x1, x2, x3. So 2**24 + 2 is
    # exact, and each + 1 is a tie rounding to the even 2**24 + 4. Left to right, each
    # + 1 would round back to 2**24 and the last + 2 give 2**24 + 2.
    a = np.array([2.0**24, 1.0, 1.0, 1.0, 2.0], np.float32)
    assert torchlet.tensor(a).sum().item() == 2.0**24 + 4


def test_float16_lanes_pair_halves_i_and_i_plus_8():
    # 16 halves load as two float32 vectors (halves 0-7 and 8-15) that are added, so
    # 1024 meets -1024 in lane 0 and 2**-14 survives in lane 1 (pairing neighbours would
    # lose it: 1024 + 2**-14 rounds to 1024 in float32)
    h = np.zeros(16, np.float16)
    h[0], h[1], h[8] = 1024, 2.0**-14, -1024
    out = torchlet.tensor(h).sum()
    assert out.dtype == torchlet.float16 and out.item() == 2.0**-14


def test_sum_of_negative_zeros_is_positive_zero():
    for n in (1, 5, 40, 1000):
        out = torchlet.tensor(-np.zeros(n, np.float32)).sum().item()
        assert out == 0.0 and math.copysign(1.0, out) == 1.0


# ---------------------------------------------------------------------------------------
# the NumPy implementation against the loop-by-loop port


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_sum_matches_the_reference_port(dtype):
    rs = np.random.RandomState(0)
    sizes = list(range(1, 80)) + [127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 4097,
                                   8191, 8192, 8193, 20000]
    for n in sizes:
        a = _data(rs, n, dtype)
        assert _cascade.full_sum(a, 1).tobytes() == _reference_sum(a).tobytes(), n


def test_short_path_matches_the_general_path():
    rs = np.random.RandomState(1)
    for dtype in (np.float32, np.float64):
        for n in range(8, 64 * 32 // np.dtype(dtype).itemsize):
            a = _data(rs, n, dtype)
            general = _cascade.inner_sum(a.reshape(1, n))[0]
            assert _cascade._short_sum(a).tobytes() == general.tobytes(), (dtype, n)


def test_einsum_rows_add_in_order_as_reduce_does():
    rs = np.random.RandomState(2)
    blocks = (rs.randn(200, 16, 32) * 10).astype(np.float32)  # over the einsum threshold
    expected = np.add.reduce(blocks, axis=-2)  # NumPy adds a non-inner axis row by row
    assert np.array_equal(_cascade._add_rows(blocks), expected)


def test_threads_sum_per_chunk_then_sum_the_chunks():
    # torch with 2 threads: two chunks of ceil(n / 2), each summed alone, then the pair
    rs = np.random.RandomState(3)
    a = _data(rs, 70001, np.float32)
    chunk = 35001
    parts = np.array([_reference_sum(a[:chunk]), _reference_sum(a[chunk:])], np.float32)
    assert _cascade.full_sum(a, 2) == _reference_sum(parts)
    assert _cascade.full_sum(a, 1) == _reference_sum(a)


# ---------------------------------------------------------------------------------------
# live comparisons with torch


def _same(t_out, l_out):
    t_np, l_np = t_out.detach().numpy(), l_out.detach().numpy()
    return t_np.dtype == l_np.dtype and t_np.shape == l_np.shape and \
        t_np.tobytes() == l_np.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_full_sum_and_mean_match_torch(dtype, threads):
    torch = _torch()
    rs = np.random.RandomState(4)
    sizes = list(range(1, 300)) + list(rs.randint(300, 100_001, 25)) + [32768, 65537]
    for n_threads in (1, 2):
        threads(n_threads)
        for n in sizes:
            a = _data(rs, n, dtype)
            t, x = torch.from_numpy(a), torchlet.tensor(a)
            assert _same(t.sum(), x.sum()), (n_threads, n)
            assert _same(t.mean(), x.mean()), (n_threads, n)
            assert _same(t.nansum(), x.nansum()), (n_threads, n)


def test_large_sums_match_torch_at_several_thread_counts(threads):
    torch = _torch()
    rs = np.random.RandomState(5)
    a = _data(rs, 1_000_003, np.float32)
    for n_threads in (1, 2, 3, 4):
        threads(n_threads)
        assert _same(torch.from_numpy(a).sum(), torchlet.tensor(a).sum()), n_threads


_SHAPES = [(2, 3), (3, 40), (5, 7), (7, 5), (16, 9), (17, 33), (64, 256), (64, 10),
           (100, 37), (257, 100), (1000, 3), (3, 1000), (40000, 3), (3, 40000), (2000, 70)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_last_dim_and_first_dim_sums_match_torch(dtype, threads):
    torch = _torch()
    rs = np.random.RandomState(6)
    for n_threads in (1, 2):
        threads(n_threads)
        for shape in _SHAPES:
            a = _data(rs, math.prod(shape), dtype).reshape(shape)
            t, x = torch.from_numpy(a), torchlet.tensor(a)
            for dim in (0, 1, -1):
                for keepdim in (False, True):
                    assert _same(t.sum(dim, keepdim), x.sum(dim, keepdim)), (shape, dim)
                    assert _same(t.mean(dim, keepdim), x.mean(dim, keepdim)), (shape, dim)


def test_leading_and_trailing_dim_blocks_of_nd_arrays_match_torch():
    torch = _torch()
    rs = np.random.RandomState(7)
    a = _data(rs, 2 * 3 * 40 * 5, np.float32).reshape(2, 3, 40, 5)
    t, x = torch.from_numpy(a), torchlet.tensor(a)
    for dims in [(0,), (0, 1), (0, 1, 2), (3,), (2, 3), (1, 2, 3), (0, 1, 2, 3)]:
        assert _same(t.sum(dims), x.sum(dims)), dims
    b = a.reshape(1, 6, 1, 200)  # size-1 dims do not count
    assert _same(torch.from_numpy(b).sum((0, 1)), torchlet.tensor(b).sum((0, 1)))


def test_dropout_sum_from_the_sweep_matches_torch():
    torch = _torch()
    mask = np.random.RandomState(8).rand(3, 40) > 0.3
    a = np.where(mask, np.float32(1 / 0.7), np.float32(0)).astype(np.float32)
    assert _same(torch.from_numpy(a).sum(), torchlet.tensor(a).sum())
    assert str(torch.from_numpy(a).sum()) == str(torchlet.tensor(a).sum())


def test_linear_bias_gradient_matches_torch():
    torch = _torch()
    rs = np.random.RandomState(9)
    x = rs.randn(64, 30).astype(np.float32)
    w = (rs.randn(256, 30) * 0.1).astype(np.float32)
    b = rs.randn(256).astype(np.float32)
    g = rs.randn(64, 256).astype(np.float32)
    grads = []
    for lib in (torch, torchlet):
        bias = lib.tensor(b, requires_grad=True)
        out = lib.nn.functional.linear(lib.tensor(x), lib.tensor(w), bias)
        out.backward(lib.tensor(g))
        grads.append(bias.grad)
    assert _same(*grads)


def test_sum_with_dtype_converts_then_sums_in_that_dtype():
    torch = _torch()
    a = _data(np.random.RandomState(10), 1000, np.float32)
    assert _same(torch.from_numpy(a).sum(dtype=torch.float64),
                 torchlet.tensor(a).sum(dtype=torchlet.float64))
    h = a.astype(np.float16)
    assert _same(torch.from_numpy(h).mean(), torchlet.tensor(h).mean())


# ---------------------------------------------------------------------------------------
# gradients are unchanged


def test_sum_and_mean_gradients():
    x = torchlet.tensor(np.random.RandomState(11).randn(6, 40), requires_grad=True)
    assert gradcheck(lambda t: t.sum(), (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert gradcheck(lambda t: t.mean(0), (x,), eps=1e-6, atol=1e-5, rtol=1e-3)
    assert gradcheck(lambda t: t.sum(-1, keepdim=True), (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_elementwise_losses_reduce_in_torchs_order(name, dtype):
    """mean/sum of an elementwise loss is torch's loss.mean() / loss.sum(): bit for bit."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for n in (3, 10, 33, 257, 1000, 5000):
        a, b = rng.random(n).astype(dtype), rng.random(n).astype(dtype)
        for reduction in ("mean", "sum"):
            ours = getattr(torchlet.nn.functional, name)(
                torchlet.from_numpy(a), torchlet.from_numpy(b), reduction=reduction)
            theirs = getattr(torch.nn.functional, name)(
                torch.from_numpy(a), torch.from_numpy(b), reduction=reduction)
            assert ours.item() == theirs.item(), (n, reduction)


def test_short_outer_blocks_take_the_general_order():
    """The few-call path for blocks of fewer than 256 rows adds as the general one."""
    rng = np.random.default_rng(5)
    for trial in range(400):
        rows, columns = int(rng.integers(1, 256)), int(rng.integers(2, 80))
        dtype = np.float32 if trial % 2 else np.float64
        x = (rng.standard_normal((rows, columns))
             * 10 ** rng.uniform(-3, 3, (rows, columns))).astype(dtype)
        assert np.array_equal(_cascade._short_outer_block(x),
                              _cascade._general_outer_block(x)), (rows, columns, dtype)

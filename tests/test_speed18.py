"""The fast paths of session 18 (speed): the same bits as the general paths, as
hand-derived values, and as torch.

* ``_cascade.inner_sum_fast`` (x.sum(-1) of short rows): rows of 4 to 2 vectors less one
  element are transposed and reordered in one ``take``; which rows are transposed at all
  is ``_transpose_pays`` (rows a power of two of 1 KiB or more apart are not: they
  collide in the cache);
* last-dim softmax / log_softmax over many short rows (``softmax._softmax_short_rows``)
  takes its max and its sum of exps over the transposed rows; the sum follows NumPy's
  pairwise order (``_numpy_pairwise``), so the bits are those of the general path;
* ``randperm`` with the default int64 skips the dtype checks (NumPy's ``dtype.name``
  cost 10 us a call).
"""

from __future__ import annotations

import numpy as np
import pytest
from sum_bits import mixed_magnitudes, same_bits

import torchlet
from torchlet._ops.reduction import _cascade
from torchlet.nn._functional import softmax as softmax_kernels

# ---------------------------------------------------------------------------------------
# x.sum(-1) of short rows


def test_take_path_adds_in_torchs_scalar_and_one_vector_order():
    # float32 (8 lanes), a row of 10: torch loads one vector (x0..x7), adds its 2
    # leftover scalars from zero, then the 8 lanes in order: 0 + x8 + x9 + x0 + ... + x7.
    # float64 (4 lanes), a row of 6: one vector and 2 leftovers, 0 + x4 + x5 + x0 + ... + x3
    # (x0 + x4 = 1e17 + 8 rounds to 1e17, an even tie; in plain order the sum is 8)
    f64 = np.array([[1e17, 8, -1e17, 0, 8, 0]] * 5)
    expected = (((((0.0 + 8) + 0) + 1e17) + 8) - 1e17) + 0
    assert expected == 0.0
    assert same_bits(_cascade.inner_sum_fast(f64), np.full(5, expected))
    # float32, a row of 6: torch's scalar loop, x0 + x4 + x5 + x1 + x2 + x3
    f32 = np.array([[1e8, 4, -1e8, 0, 4, 0]] * 7, np.float32)
    expected = np.float32(0)
    for i in (0, 4, 5, 1, 2, 3):
        expected = np.float32(expected + f32[0, i])
    assert expected == 0.0 and np.float32(np.float32(1e8 + 4) - 1e8) + 4 == 4.0
    assert same_bits(_cascade.inner_sum_fast(f32), np.full(7, expected, np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inner_sum_fast_is_the_step_by_step_sum(dtype):
    """Both sides of every threshold, against ``inner_sum`` (torch's steps one by one)."""
    rng = np.random.default_rng(18)
    shapes = [(1, 5), (2, 4), (3, 7), (64, 10), (100, 15), (7, 9), (2048, 12), (4096, 16),
              (512, 64), (8192, 32), (16384, 64), (65536, 8), (256, 256), (128, 512),
              (64, 1000), (32, 1000), (24, 1500), (300, 200), (1024, 96), (640, 100)]
    for rows, n in shapes:
        x = mixed_magnitudes(rng, (rows, n), dtype)
        x[rng.random(x.shape) < 0.1] = -0.0
        expected = _cascade.inner_sum(x) + 0.0  # (callers add torch's + 0.0)
        assert same_bits(_cascade.inner_sum_fast(x) + 0.0, expected), (rows, n)
    # rows that are contiguous, the whole not (a slice of a wider array)
    wide = mixed_magnitudes(rng, (300, 14), dtype)
    x = wide[:, :11]
    assert same_bits(_cascade.inner_sum_fast(x) + 0.0, _cascade.inner_sum(x) + 0.0)


def test_transpose_pays_thresholds():
    pays = _cascade._transpose_pays
    assert pays(40, 10 ** 7)  # rows of up to 128 bytes: always
    assert pays(256, 1 << 18) and not pays(256, (1 << 18) + 1)
    assert pays(512, 1 << 16) and not pays(512, (1 << 16) + 1)
    assert pays(1000 * 4, 1 << 14)
    for power in (1024, 2048, 4096, 8192):  # columns a power of two apart
        assert not pays(power, 1024)
    assert not pays(12000, 1024)  # longer than 8 KiB


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_short_row_sums_match_torch(dtype, one_thread):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape in [(64, 10), (32, 10), (100, 7), (2048, 12), (8, 64, 64), (512, 64),
                  (64, 256), (16384, 64), (256, 256), (33, 5)]:
        a = mixed_magnitudes(rng, shape, dtype)
        expected = torch.tensor(a).sum(-1).numpy()
        assert same_bits(torchlet.tensor(a).sum(-1)._data, expected), shape
        expected = torch.tensor(a).mean(-1, keepdim=True).numpy()
        assert same_bits(torchlet.tensor(a).mean(-1, keepdim=True)._data, expected), shape


# ---------------------------------------------------------------------------------------
# last-dim softmax over many short rows


def _general_softmax(x, log):
    """The general path of ``_softmax_np``: the same values, not C-contiguous."""
    wide = np.empty(x.shape[:-1] + (x.shape[-1] + 1,), x.dtype)
    wide[..., :-1] = x
    view = wide[..., :-1]
    assert not softmax_kernels._short_rows(view)
    return softmax_kernels._softmax_np(view, view.ndim - 1, log)


def test_numpy_pairwise_is_numpys_sum():
    rng = np.random.default_rng(0)
    for m in list(range(1, 40)) + [63, 64, 65, 127, 128, 129, 130, 200, 255, 256, 300]:
        for dtype in (np.float32, np.float64):
            a = np.exp(rng.standard_normal((m, 7)) * 4).astype(dtype)
            expected = np.add.reduce(np.ascontiguousarray(a.T), axis=-1)
            assert same_bits(softmax_kernels._numpy_pairwise(a), expected), (m, dtype)


def test_numpy_pairwise_hand_order():
    # 18 numbers: 8 partials (element i into partial i % 8) added as a tree, then the
    # 2 leftover numbers in order
    f = np.float32
    row = np.array([1e8, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1, 1, 1, 1, 1, 1, -1e8, 2], f)
    r = [f(row[i] + row[i + 8]) for i in range(8)]
    tree = f(f(f(r[0] + r[1]) + f(r[2] + r[3])) + f(f(r[4] + r[5]) + f(r[6] + r[7])))
    expected = f(f(tree + row[16]) + row[17])
    plain = f(0)
    for value in row:
        plain = f(plain + value)
    assert expected == 10.0 and plain == 2.0  # (the order shows)
    a = row[:, None].repeat(3, 1)
    assert same_bits(softmax_kernels._numpy_pairwise(a), np.full(3, expected, f))
    assert same_bits(np.add.reduce(row), expected)  # (NumPy's own)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_short_rows_softmax_is_the_general_path(log, dtype):
    rng = np.random.default_rng(7)
    for shape in [(8, 4, 32, 32), (4096, 16), (256, 10), (1024, 3), (300, 2), (64, 8, 5)]:
        x = (rng.standard_normal(shape) * 30).astype(dtype)
        if x.shape[-1] * x.itemsize > softmax_kernels._ROW_BYTES:
            continue
        assert softmax_kernels._short_rows(x)
        got = softmax_kernels._softmax_np(x, x.ndim - 1, log)
        assert same_bits(got, _general_softmax(x, log)), shape
    # rows the transposed path leaves to the general one: a max of 0.0 (and -0.0), NaN
    x = rng.standard_normal((512, 6)).astype(dtype)
    x[3] = [0.0, -0.0, -1.0, -2.0, -0.0, -5.0]
    assert softmax_kernels._softmax_short_rows(x, log) is None
    assert same_bits(softmax_kernels._softmax_np(x, 1, log), _general_softmax(x, log))
    x[3] = np.nan
    assert softmax_kernels._softmax_short_rows(x, log) is None
    assert same_bits(softmax_kernels._softmax_np(x, 1, log), _general_softmax(x, log))
    # -inf and +inf rows: unique maxima, the transposed path keeps them
    x[3] = -np.inf
    x[4, 2] = np.inf
    assert softmax_kernels._softmax_short_rows(x, log) is not None
    got = softmax_kernels._softmax_np(x, 1, log)
    assert same_bits(got, _general_softmax(x, log))
    assert np.isnan(got[3]).all() and np.isnan(got[4, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_sums_is_numpys_reduce(dtype):
    """The backward's sums over many short rows: NumPy's bits, -0.0 and inf included; a
    row with NaN (which NaN comes out depends on the order of operands) goes to NumPy."""
    rng = np.random.default_rng(11)
    for shape in [(1024, 3), (4096, 16 if dtype == np.float32 else 8), (64, 32, 5)]:
        a = mixed_magnitudes(rng, shape, dtype)
        a[rng.random(shape) < 0.3] = -0.0
        a[3] = -0.0  # (NumPy's sum starts from +0.0: a row of -0.0 sums to 0.0)
        a[5, 0], a[6, 1] = np.inf, -np.inf
        expected = np.add.reduce(a, axis=-1, keepdims=True)
        assert a.size >= 4 * softmax_kernels._MANY_ROWS * a.shape[-1]
        assert same_bits(softmax_kernels._row_sums(a, a.ndim - 1), expected), shape
        a[6, 2], a[7, 0], a[7, 1] = np.inf, np.nan, -np.nan  # (inf - inf is NaN too)
        expected = np.add.reduce(a, axis=-1, keepdims=True)
        assert same_bits(softmax_kernels._row_sums(a, a.ndim - 1), expected), shape
    for log in (False, True):  # the backward kernels: the general path's bits
        grad, out = mixed_magnitudes(rng, (2048, 3), dtype), rng.random((2048, 3)).astype(dtype)
        if log:  # grad - exp(out) * sum(grad), NumPy's reduce
            got = softmax_kernels._log_softmax_backward_np(grad, out, dim=1)
            expected = grad - np.exp(out) * np.add.reduce(grad, axis=1, keepdims=True)
        else:  # out * (grad - sum(grad * out))
            got = softmax_kernels._softmax_backward_np(grad, out, dim=1)
            expected = out * (grad - np.add.reduce(grad * out, axis=1, keepdims=True))
        assert same_bits(got, expected)


def test_short_rows_softmax_hand_values():
    x = np.tile(np.array([0.5, 1.5, -1.0], np.float32), (400, 1))
    e = np.exp(np.array([-1.0, 0.0, -2.5]))
    np.testing.assert_allclose(torchlet.tensor(x).softmax(-1)._data, np.tile(e / e.sum(), (400, 1)),
                               rtol=1e-6)
    np.testing.assert_allclose(torchlet.tensor(x).log_softmax(-1)._data,
                               np.tile(np.log(e / e.sum()), (400, 1)), rtol=1e-6)


def test_short_rows_softmax_matches_torch_and_backward():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for shape in [(8, 4, 32, 32), (4096, 16), (1024, 3)]:
        a = rng.standard_normal(shape).astype(np.float32) * 5
        for name in ("softmax", "log_softmax"):
            t = torch.tensor(a, requires_grad=True)
            out = getattr(t, name)(-1)
            x = torchlet.tensor(a, requires_grad=True)
            got = getattr(x, name)(-1)
            np.testing.assert_allclose(got._data, out.detach().numpy(), rtol=2e-6, atol=1e-6)
            assert got.grad_fn.name() == out.grad_fn.name()
            g = rng.standard_normal(shape).astype(np.float32)
            out.backward(torch.tensor(g))
            got.backward(torchlet.tensor(g))
            np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------------------
# randperm


def test_randperm_default_dtype_and_errors():
    g = torchlet.Generator().manual_seed(0)
    p = torchlet.randperm(10, generator=g)
    assert p.dtype == torchlet.int64 and sorted(p.tolist()) == list(range(10))
    with pytest.raises(RuntimeError, match="without overflow"):
        torchlet.randperm(300, dtype=torchlet.int8)
    with pytest.raises(RuntimeError, match="n cannot be greater than 2049 for Half"):
        torchlet.randperm(3000, dtype=torchlet.float16)
    with pytest.raises(NotImplementedError, match="Bool"):
        torchlet.randperm(3, dtype=torchlet.bool)
    with pytest.raises(RuntimeError, match="negative dimension"):
        torchlet.randperm(-1)


def test_randperm_matches_torch():
    torch = pytest.importorskip("torch")
    for n in (0, 1, 2, 10, 600, 601, 5000):
        for dtype in ("int64", "int32", "float32", "uint8"):
            if dtype == "uint8" and n > 256:
                continue
            g, tg = torchlet.Generator().manual_seed(n), torch.Generator().manual_seed(n)
            got = torchlet.randperm(n, generator=g, dtype=getattr(torchlet, dtype))
            expected = torch.randperm(n, generator=tg, dtype=getattr(torch, dtype))
            assert str(got.dtype) == str(expected.dtype)
            assert np.array_equal(got._data, expected.numpy()), (n, dtype)
            after = torchlet.rand(3, generator=g)._data
            assert np.array_equal(after, torch.rand(3, generator=tg).numpy())


# ---------------------------------------------------------------------------------------
# a sampled differential test


def test_sampled_sums_and_softmax_vs_general_paths():
    """Random short-row shapes: sum(-1) against the step-by-step inner sum, softmax and
    log_softmax against their general path (and against torch when it is there)."""
    try:
        import torch
    except ImportError:
        torch = None
    rng = np.random.default_rng(1818)
    for _ in range(60):
        rows = int(rng.choice([2, 64, 300, 1000, 3000]))
        n = int(rng.integers(2, 40))
        dtype = rng.choice([np.float32, np.float64])
        x = mixed_magnitudes(rng, (rows, n), dtype)
        got = torchlet.tensor(x).sum(-1)._data
        assert same_bits(got, _cascade.inner_sum(x) + 0.0), (rows, n, dtype)
        if torch is not None:
            assert same_bits(got, torch.tensor(x).sum(-1).numpy()), (rows, n, dtype)
        y = (rng.standard_normal((rows, n)) * 10).astype(dtype)
        for log in (False, True):
            assert same_bits(softmax_kernels._softmax_np(y, 1, log), _general_softmax(y, log))

"""Two NumPy workarounds for speed that must not change a bit of the results:
``select`` (np.where by bit masks on large arrays: the ReLU backward's hot path) and
``per_row`` (a per-row broadcast with a small buffer over long rows).

These tests compare every byte with the plain NumPy call, special values included, and
the ReLU gradient and a long-row cross entropy with torch's.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise.binary import _SELECT_MIN, select

SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-45, -1e-45, 65504.0]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("other", ["array", "row", "zero", "negative_zero", "number"])
def test_select_equals_np_where_bit_for_bit(dtype, other):
    rng = np.random.default_rng(0)
    shape = (_SELECT_MIN // 16 + 3, 16)  # past the threshold, so the bit path runs
    a = rng.standard_normal(shape).astype(dtype)
    a.flat[:len(SPECIAL)] = np.array(SPECIAL, dtype)
    b = {
        "array": rng.standard_normal(shape).astype(dtype),
        "row": rng.standard_normal(shape[1]).astype(dtype),
        "zero": dtype(0.0),
        "negative_zero": dtype(-0.0),
        "number": dtype(2.5),
    }[other]
    cond = rng.random(shape) > 0.5
    result, expected = select(cond, a, b), np.where(cond, a, b)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    assert result.tobytes() == expected.tobytes()


def test_select_falls_back_for_other_inputs():
    cond = np.arange(_SELECT_MIN) % 3 == 0
    ints = np.arange(_SELECT_MIN)
    assert np.array_equal(select(cond, ints, 0), np.where(cond, ints, 0))
    not_bool = (np.arange(_SELECT_MIN) % 3).astype(np.int64)  # truthy values, not 0/1
    floats = np.ones(_SELECT_MIN, np.float32)
    assert np.array_equal(select(not_bool, floats, np.float32(0)),
                          np.where(not_bool, floats, np.float32(0)))


def test_relu_gradient_of_a_large_tensor_matches_torch_bit_for_bit():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((512, 256)).astype(np.float32)
    g = rng.standard_normal((512, 256)).astype(np.float32)
    g[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
    grads = []
    for lib in (torchlet, torch):
        xt = lib.tensor(x, requires_grad=True)
        lib.relu(xt).backward(lib.tensor(g))
        grads.append(xt.grad.numpy())
    assert grads[0].tobytes() == grads[1].tobytes()


# ---------------------------------------------------------------------------------------
# per_row: NumPy's per-row broadcast with a small buffer over long rows (same arithmetic)


@pytest.mark.parametrize("shape", [(256, 1000), (80, 600), (100000, 10), (3, 700), (2, 3, 4)])
@pytest.mark.parametrize("ufunc", [np.subtract, np.multiply])
def test_per_row_equals_the_plain_broadcast_bit_for_bit(shape, ufunc):
    from torchlet.nn._functional._rows import per_row

    rng = np.random.default_rng(2)
    a = rng.standard_normal(shape).astype(np.float32)
    values = rng.standard_normal(shape[:1] + shape[2:]).astype(np.float32)
    expected = ufunc(a, np.expand_dims(values, 1))
    size = np.getbufsize()
    result = per_row(ufunc, a, values, out=np.empty_like(a))
    assert np.getbufsize() == size  # the buffer size is restored
    assert result.tobytes() == expected.tobytes()


def test_cross_entropy_with_long_rows_matches_torch():
    # (128, 1000) logits take per_row's small-buffer path in forward and backward
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((128, 1000)) * 3).astype(np.float32)
    t = rng.integers(0, 1000, 128)
    results = []
    for lib in (torchlet, torch):
        xt = lib.tensor(x, requires_grad=True)
        loss = lib.nn.functional.cross_entropy(xt, lib.tensor(t))
        loss.backward()
        results.append((loss.item(), xt.grad.numpy()))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-9)

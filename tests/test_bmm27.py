"""Small batched products in torch's order of sums (bmm, baddbmm, matmul's bmm route).

torch's CPU bmm/baddbmm (LinearAlgebra.cpp, bmm_out_or_baddbmm_) skip BLAS when one matrix
product has contraction * rows * columns < 400 terms: a plain loop adds each element's
products one after another onto a zero, every product rounded (no FMA), in the opmath type
(float16 in float32), then beta * input + alpha * sum for baddbmm. Larger products go to
BLAS (np.matmul in torchlet; not bit-exact). The gradients are bmm's of the same sizes.
"""

import math
import warnings

import numpy as np
import pytest

import torchlet
from torchlet._ops.linalg.products import batched_product, summed_in_order


def _torch():
    return pytest.importorskip("torch")


def _in_order(a, b):
    """The reference: torch's loop, one k at a time (float16 in float32)."""
    acc = np.float32 if a.dtype == np.float16 else a.dtype
    total = np.zeros(a.shape[:-1] + b.shape[-1:], acc)
    for k in range(a.shape[-1]):
        total = total + a[..., :, k, None].astype(acc) * b[..., None, k, :].astype(acc)
    return total.astype(a.dtype)


def _same(x, y):
    """Bit-equal values (NaN anywhere equal), dtype, shape and signs of zeros."""
    x, y = np.asarray(x), np.asarray(y)
    return (x.dtype == y.dtype and x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
            and np.array_equal(np.signbit(x) & ~np.isnan(x), np.signbit(y) & ~np.isnan(y)))


# ---------------------------------------------------------------------------------------
# hand-derived cases


def test_small_bmm_adds_in_order_hand_derived():
    # 1e8 + 1 rounds back to 1e8 in float32 (its ulp is 8): added one after another the
    # eight ones are lost and the sum is 0; the exact sum (and any pairwise order) is 8
    a = np.array([[[1e8] + [1.0] * 8 + [-1e8]]], np.float32)  # (1, 1, 10)
    b = np.ones((1, 10, 1), np.float32)
    out = torchlet.bmm(torchlet.tensor(a), torchlet.tensor(b))
    assert out.numpy()[0, 0, 0] == 0.0
    torch = _torch()
    assert _same(torch.bmm(torch.tensor(a), torch.tensor(b)).numpy(), out.numpy())


def test_large_bmm_is_blas():
    # 400 terms per product: BLAS (np.matmul's bits), whatever the order of sums
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4, 10)).astype(np.float32)
    b = rng.standard_normal((3, 10, 10)).astype(np.float32)
    assert np.array_equal(torchlet.bmm(torchlet.tensor(a), torchlet.tensor(b)).numpy(),
                          np.matmul(a, b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "k", "p"), [(3, 19, 7), (1, 399, 1), (19, 21, 1), (7, 19, 3),
                                           (4, 10, 10), (2, 20, 10), (1, 400, 1)])
def test_threshold_at_400_terms(n, k, p, dtype):
    rng = np.random.default_rng(n * 1000 + k * 10 + p)
    a = rng.standard_normal((2, n, k)).astype(dtype)
    b = rng.standard_normal((2, k, p)).astype(dtype)
    out = torchlet.bmm(torchlet.tensor(a), torchlet.tensor(b)).numpy()
    expected = _in_order(a, b) if n * k * p < 400 else np.matmul(a, b)
    assert _same(out, expected)
    if n * k * p < 400:
        torch = _torch()
        assert _same(torch.bmm(torch.tensor(a), torch.tensor(b)).numpy(), out)


def test_all_negative_zero_products_sum_to_positive_zero():
    a = -np.zeros((2, 2, 3), np.float32)
    b = np.ones((2, 3, 2), np.float32)
    out = torchlet.bmm(torchlet.tensor(a), torchlet.tensor(b)).numpy()
    assert not np.signbit(out).any()  # 0 + (-0) + ... = +0
    torch = _torch()
    assert _same(torch.bmm(torch.tensor(a), torch.tensor(b)).numpy(), out)


def test_small_baddbmm_alpha_zero_still_multiplies_the_sum():
    # torch's loop computes beta * input + alpha * sum: inf * 0 is NaN (BLAS's gemm skips
    # the product when alpha is 0); beta = 0 ignores the input, NaN included
    a = np.full((1, 2, 3), np.inf, np.float32)
    b = np.ones((1, 3, 2), np.float32)
    c = np.zeros((1, 2, 2), np.float32)
    out = torchlet.baddbmm(torchlet.tensor(c), torchlet.tensor(a), torchlet.tensor(b), alpha=0)
    assert np.isnan(out.numpy()).all()
    nan_bias = np.full((1, 2, 2), np.nan, np.float32)
    ones = np.ones((1, 2, 3), np.float32)
    out2 = torchlet.baddbmm(torchlet.tensor(nan_bias), torchlet.tensor(ones),
                            torchlet.tensor(b), beta=0)
    assert np.array_equal(out2.numpy(), np.full((1, 2, 2), 3.0, np.float32))
    torch = _torch()
    assert _same(torch.baddbmm(torch.tensor(c), torch.tensor(a), torch.tensor(b), alpha=0)
                 .numpy(), out.numpy())
    assert _same(torch.baddbmm(torch.tensor(nan_bias), torch.tensor(ones), torch.tensor(b),
                               beta=0).numpy(), out2.numpy())


def test_small_baddbmm_is_beta_input_plus_alpha_sum():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 5)).astype(np.float32)
    b = rng.standard_normal((2, 5, 4)).astype(np.float32)
    c = rng.standard_normal((2, 3, 4)).astype(np.float32)
    out = torchlet.baddbmm(torchlet.tensor(c), torchlet.tensor(a), torchlet.tensor(b),
                           beta=0.7, alpha=1.9).numpy()
    expected = c * np.float32(0.7) + np.float32(1.9) * _in_order(a, b)
    assert _same(out, expected)


@pytest.mark.parametrize(("count", "n", "k", "p"), [
    (3, 2, 5, 4),    # k <= n * p: terms laid out along the batch
    (2, 1, 30, 3),   # k > n * p: terms laid out along k
    (1, 1, 12, 1),   # a single column: accumulate
    (3, 2, 0, 4),    # no terms: zeros
    (0, 2, 3, 4), (2, 0, 3, 4),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_summed_in_order_layouts(count, n, k, p, dtype):
    rng = np.random.default_rng(count + 10 * n + 100 * k + p)
    a = rng.standard_normal((count, n, k)).astype(dtype)
    b = rng.standard_normal((count, k, p)).astype(dtype)
    a[..., ::3] *= -0.0  # signed zeros among the products
    out = batched_product(a, b)
    assert _same(out, _in_order(a, b))
    assert out.flags.c_contiguous
    wide = summed_in_order(a, b)
    assert wide.dtype == (np.float32 if dtype == np.float16 else dtype)


def test_strides_of_size_one_dims_are_torchs():
    torch = _torch()
    for shape in [(1, 2, 3), (2, 1, 3), (2, 3, 1), (1, 1, 1)]:
        a = np.ones((shape[0], shape[1], 4), np.float32)
        b = np.ones((shape[0], 4, shape[2]), np.float32)
        mine = torchlet.bmm(torchlet.tensor(a), torchlet.tensor(b))
        theirs = torch.bmm(torch.tensor(a), torch.tensor(b))
        assert mine.stride() == theirs.stride()


def test_gradients_are_small_bmms_too():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((3, 4, 6))
    b = rng.standard_normal((3, 6, 5))
    g = rng.standard_normal((3, 4, 5))
    ta, tb = torchlet.tensor(a, requires_grad=True), torchlet.tensor(b, requires_grad=True)
    torchlet.bmm(ta, tb).backward(torchlet.tensor(g))
    assert _same(ta.grad.numpy(), _in_order(g, b.transpose(0, 2, 1)))
    assert _same(tb.grad.numpy(), _in_order(a.transpose(0, 2, 1), g))
    torch = _torch()
    xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    torch.bmm(xa, xb).backward(torch.tensor(g))
    assert _same(xa.grad.numpy(), ta.grad.numpy())
    assert _same(xb.grad.numpy(), tb.grad.numpy())


def test_matmul_without_graph_takes_torchs_bmm_route():
    # (2-D @ 3-D, 1-D @ 3-D with a column-strided fold, 4-D broadcast): torch calls bmm
    rng = np.random.default_rng(5)
    cases = [((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((2, 1, 3, 5), (4, 5, 2)),
             ((4, 3, 5), (4, 5, 2))]
    torch = _torch()
    for sa, sb in cases:
        a = rng.standard_normal(sa).astype(np.float32)
        b = rng.standard_normal(sb).astype(np.float32)
        mine = torchlet.matmul(torchlet.tensor(a), torchlet.tensor(b))
        assert mine.grad_fn is None
        assert _same(mine.numpy(), torch.matmul(torch.tensor(a), torch.tensor(b)).numpy())


def test_affine_grid_theta_gradient_bit_exact_for_small_grids():
    torch = _torch()
    rng = np.random.default_rng(6)
    for size, shape in [((2, 1, 3, 4), (2, 2, 3)), ((1, 1, 8, 8), (1, 2, 3)),
                        ((2, 1, 2, 3, 4), (2, 3, 4))]:
        for align in (False, True):
            theta = rng.standard_normal(shape).astype(np.float32)
            g_shape = (size[0],) + size[2:] + (shape[1],)
            g = rng.standard_normal(g_shape).astype(np.float32)
            grads = []
            for lib in (torch, torchlet):
                t = lib.tensor(theta, requires_grad=True)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lib.nn.functional.affine_grid(t, size, align_corners=align).backward(
                        lib.tensor(g))
                grads.append((t.grad.numpy(), t.grad.stride()))
            assert _same(grads[0][0], grads[1][0]) and grads[0][1] == grads[1][1]


# ---------------------------------------------------------------------------------------
# sampled differential test


def _configs():
    rng = np.random.default_rng(2727)
    out = []
    for i in range(36):
        dtype = [np.float32, np.float64][i % 2]
        count = int(rng.integers(1, 4))
        n, p = (int(v) for v in rng.integers(1, 10, 2))
        k = int(rng.integers(1, 50)) if i % 3 else int(rng.integers(1, 6))
        out.append((dtype, count, n, k, p, [(1, 1), (0.5, 2.0), (0, 1.5), (1.25, 0.3)][i % 4]))
    return out


def test_sampled_differential_against_torch():
    torch = _torch()
    rng = np.random.default_rng(27)
    for dtype, count, n, k, p, (beta, alpha) in _configs():
        small = n * k * p < 400
        a = rng.standard_normal((count, n, k)).astype(dtype)
        b = rng.standard_normal((count, k, p)).astype(dtype)
        c = rng.standard_normal((count, n, p)).astype(dtype)
        ops = [("bmm", lambda T, x, y: T.bmm(x, y), [a, b]),
               ("matmul", lambda T, x, y: T.matmul(x, y), [a, b]),
               ("matmul4", lambda T, x, y: T.matmul(x, y), [a[None], np.stack([b, b])]),
               ("baddbmm", lambda T, z, x, y, beta=beta, alpha=alpha: T.baddbmm(
                    z, x, y, beta=beta, alpha=alpha),
                [c, a, b])]
        for name, fn, arrays in ops:
            results = []
            for lib in (torch, torchlet):
                ts = [lib.tensor(x, requires_grad=True) for x in arrays]
                out = fn(lib, *ts)
                g = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
                out.backward(lib.tensor(g))
                with lib.no_grad():
                    plain = fn(lib, *[lib.tensor(x) for x in arrays])
                results.append([out.detach().numpy(), plain.numpy()]
                               + [t.grad.numpy() for t in ts])
            info = (name, dtype.__name__, count, n, k, p)
            for theirs, mine in zip(*results):
                if small:
                    assert _same(theirs, mine), info
                else:
                    tol = 1e-4 if dtype == np.float32 else 1e-10
                    np.testing.assert_allclose(mine, theirs, rtol=tol, atol=tol, err_msg=info)


# ---------------------------------------------------------------------------------------
# dist: torch's dist(a, b, p) is vector_norm(a - b, p), bit for bit (its order of sums)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_dist_is_vector_norm_of_the_difference(p, dtype):
    rng = np.random.default_rng(int(p * 10) if math.isfinite(p) else 99)
    for shape_a, shape_b in [((5, 9), (9,)), ((3, 4, 7), (3, 4, 7)), ((37,), (37,))]:
        a = rng.standard_normal(shape_a).astype(dtype)
        b = rng.standard_normal(shape_b).astype(dtype)
        ta, tb = torchlet.tensor(a), torchlet.tensor(b)
        got = torchlet.dist(ta, tb, p)
        assert _same(got.numpy(), torchlet.linalg.vector_norm(ta - tb, p).numpy())


def test_dist_hand_derived_two_norm_order():
    # torch's vectorised 2-norm adds x*x in 8 float32 lanes, then the lanes one after
    # another: lanes [2e8, 8, 8, ..., 8] give 2e8 (2e8 + 8 is a tie, rounded to the even
    # 2e8, seven times), where NumPy's pairwise ((2e8 + 8) + 16) + 32 gives 2e8 + 48
    a = np.full(16, 2.0, np.float32)
    a[[0, 8]] = 1e4
    got = torchlet.dist(torchlet.tensor(a), torchlet.zeros(16)).numpy()
    assert got == np.sqrt(np.float32(2e8))
    torch = _torch()
    assert _same(torch.dist(torch.tensor(a), torch.zeros(16)).numpy(), got)


def test_dist_sampled_against_torch():
    torch = _torch()
    rng = np.random.default_rng(2728)
    for i in range(60):
        dtype = [np.float32, np.float64][i % 2]
        p = [2.0, 1.0, math.inf, 2.0][i % 4]
        shape = tuple(int(v) for v in rng.integers(1, 12, int(rng.integers(1, 4))))
        a = rng.standard_normal(shape).astype(dtype)
        b = rng.standard_normal(shape[-1:] if i % 3 == 0 else shape).astype(dtype)
        results = []
        for lib in (torch, torchlet):
            x, y = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
            out = lib.dist(x, y, p)
            out.backward(lib.tensor(np.asarray(1.7, dtype)))
            results.append((out.detach().numpy(), x.grad.numpy(), y.grad.numpy()))
        for theirs, mine in zip(*results):
            assert _same(theirs, mine), (p, dtype.__name__, shape)

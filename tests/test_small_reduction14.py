"""Small float sums and means: the few-call paths give torch's bits.

``sums._small_block_sum`` (a C-contiguous float32/float64 tensor below torch's
32768-element grain, reduced over all dims or a leading or trailing block of them) and
``_cascade.inner_sum_fast`` / ``_short_column_sums`` (rows of 1 element to 1023 vectors,
summed as columns) are checked three ways: against the general, step-by-step paths they
shortcut (``_torch_order_sum``, ``inner_sum``), against live torch, and on the special
values (-0.0, inf, nan).

Every comparison here is bit-exact: dtype, shape and the bytes of the values (so the
sign of zeros and the bits of a NaN count), for results and for gradients (the gradient
of a mean is one IEEE division). Nothing here is within-rounding.
"""

import numpy as np
import pytest

import torchlet
from torchlet._ops.reduction import _cascade, sums


def _torch():
    return pytest.importorskip("torch")


def _same_array(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _same(t_out, l_out) -> bool:
    return _same_array(t_out.detach().numpy(), l_out.detach().numpy())


def _data(rng, shape, dtype):
    """Values of widely different sizes, so that the order of additions shows."""
    scale = 10.0 ** rng.uniform(-3, 3, shape)
    return np.asarray(rng.standard_normal(shape) * scale).astype(dtype)


# row lengths around every boundary of the short path: torch's scalar loop (below one
# vector: 8 float32, 4 float64), rows of four vectors (32 / 16), 16-row blocks of them
# (512 / 256), and the end of the short path, 1024 vectors (8192 / 4096)
_LENGTHS = sorted(set(list(range(1, 70)) + [
    127, 128, 129, 255, 256, 257, 271, 272, 273, 511, 512, 513, 527, 528, 529, 1000, 1023,
    1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 8191, 8192, 8193]))
_DTYPES = [np.float32, np.float64]


# ---------------------------------------------------------------------------------------
# the short paths against the general ones (no torch needed)


@pytest.mark.parametrize("dtype", _DTYPES)
def test_inner_sum_fast_is_the_general_inner_sum(dtype):
    rng = np.random.default_rng(0)
    for n in _LENGTHS:
        for rows in (1, 2, 3, 17, 64):
            if rows * n > 40000:
                continue
            x = _data(rng, (rows, n), dtype)
            assert _same_array(_cascade.inner_sum_fast(x), _cascade.inner_sum(x)), (n, rows)


@pytest.mark.parametrize("dtype", _DTYPES)
def test_one_thread_sum_is_the_general_inner_sum(dtype):
    rng = np.random.default_rng(1)
    for n in _LENGTHS:
        flat = _data(rng, n, dtype)
        general = _cascade.inner_sum(flat.reshape(1, n))[0]
        assert _same_array(_cascade._sum_one_thread(flat), general), n
        if _cascade._is_short(n, flat.dtype):  # (its domain: below 1024 vectors)
            assert _same_array(_cascade._short_sum(flat), general), n


def test_inner_sum_fast_takes_rows_of_any_layout():
    # _strided_sum hands it rows cut out of transposed blocks: not C-contiguous
    rng = np.random.default_rng(2)
    for dtype in _DTYPES:
        base = _data(rng, (40, 300), dtype)
        for x in (base.T[:, :37], base[::2, 5:260], base[:, ::-1]):
            assert _same_array(_cascade.inner_sum_fast(x), _cascade.inner_sum(x))


def test_short_paths_on_special_values():
    """Equal once every caller's + 0.0 (torch's zeroed output) is added: before it, a
    sum of -0.0s may be -0.0 on one path and 0.0 on the other (NumPy's reductions may
    start from the first element or from 0), which changes no other value."""
    rng = np.random.default_rng(3)
    for dtype in _DTYPES:
        for n in (3, 7, 9, 40, 300, 600, 3000):
            x = _data(rng, (5, n), dtype)
            x[0] = -0.0
            x[1, ::7] = np.inf
            x[2, 1] = np.nan
            x[3, 0], x[3, -1] = np.inf, -np.inf
            fast, general = _cascade.inner_sum_fast(x) + 0.0, _cascade.inner_sum(x) + 0.0
            assert _same_array(fast, general), n


def _dim_choices(ndim):
    """Every dims argument as reduce_dims gives it (sorted), and None."""
    choices = [None]
    for mask in range(1, 1 << ndim):
        choices.append(tuple(d for d in range(ndim) if mask >> d & 1))
    return choices


_SHAPES = [(), (1,), (5,), (64,), (3000,), (64, 10), (10, 64), (1, 10), (10, 1), (1, 1),
           (3, 1, 5), (1, 7, 1), (2, 3, 4, 5), (4, 1, 70), (50, 2, 9), (2, 2000), (2000, 2),
           (1, 1, 8193), (3, 0), (0,), (0, 4, 2)]


@pytest.mark.parametrize("dtype", _DTYPES)
def test_small_block_sum_is_torch_order_sum(dtype):
    """Where the fast path answers, it gives the general path's bits; it answers for
    every leading or trailing block of dims of a non-empty contiguous tensor."""
    rng = np.random.default_rng(4)
    for shape in _SHAPES:
        a = _data(rng, shape, dtype)
        for dims in _dim_choices(a.ndim):
            for keepdim in (False, True):
                fast = sums._small_block_sum(a, dims, keepdim) if a.size else None
                every = dims is None or len(dims) == a.ndim
                block = every or dims[0] == 0 or dims[-1] == a.ndim - 1
                block = block and (every or dims[-1] - dims[0] + 1 == len(dims))
                assert (fast is not None) == (block and a.size > 0), (shape, dims)
                if fast is not None:
                    general = sums._torch_order_sum(a, dims, keepdim, a.dtype)
                    assert _same_array(fast, general), (shape, dims, keepdim)


# ---------------------------------------------------------------------------------------
# live comparisons with torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_full_sums_and_means_match_torch(dtype):
    torch = _torch()
    rng = np.random.default_rng(5)
    for n in _LENGTHS + [20000, 32767, 32768, 32769]:
        a = _data(rng, n, dtype)
        t, x = torch.from_numpy(a), torchlet.tensor(a)
        assert _same(t.sum(), x.sum()), n
        assert _same(t.mean(), x.mean()), n
        assert _same(torch.sum(t), torchlet.sum(x)), n
        assert _same(t.sum(0, keepdim=True), x.sum(0, keepdim=True)), n


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sums_and_means_over_dims_match_torch(dtype):
    torch = _torch()
    rng = np.random.default_rng(6)
    for shape in _SHAPES:
        a = _data(rng, shape, dtype)
        t, x = torch.from_numpy(a), torchlet.tensor(a)
        for dims in _dim_choices(a.ndim)[1:]:
            for keepdim in (False, True):
                assert _same(t.sum(dims, keepdim), x.sum(dims, keepdim)), (shape, dims)
                if a.size:  # (torch's mean of nothing is nan with a warning; not here)
                    assert _same(t.mean(dims, keepdim), x.mean(dims, keepdim)), (shape, dims)
        for dim in range(-a.ndim, a.ndim):
            assert _same(t.sum(dim), x.sum(dim)), (shape, dim)
            assert _same(t.sum(dim=dim, keepdim=True), x.sum(dim=dim, keepdim=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_rows_around_the_short_path_end_match_torch(dtype, threads):
    """x.sum(-1) and x.sum(0) for row lengths at the short path's end, and tensors on
    both sides of torch's one-thread grain (32768 elements), at 1 and 2 threads."""
    torch = _torch()
    rng = np.random.default_rng(7)
    per_vector = 32 // np.dtype(dtype).itemsize
    for n_threads in (1, 2):
        threads(n_threads)
        for n in (1024 * per_vector - 1, 1024 * per_vector, 1024 * per_vector + 1):
            for rows in (1, 3, 5):
                a = _data(rng, (rows, n), dtype)
                t, x = torch.from_numpy(a), torchlet.tensor(a)
                assert _same(t.sum(-1), x.sum(-1)), (n_threads, n, rows)
                assert _same(t.mean(-1), x.mean(-1)), (n_threads, n, rows)
                assert _same(t.sum(0), x.sum(0)), (n_threads, n, rows)
        for shape in ((4, 8191), (4, 8192), (4, 8193), (1024, 32), (1025, 32), (32, 1025)):
            a = _data(rng, shape, dtype)
            t, x = torch.from_numpy(a), torchlet.tensor(a)
            for dim in (None, 0, 1):
                args = () if dim is None else (dim,)
                assert _same(t.sum(*args), x.sum(*args)), (n_threads, shape, dim)
                assert _same(t.mean(*args), x.mean(*args)), (n_threads, shape, dim)


def test_special_values_match_torch():
    torch = _torch()
    rng = np.random.default_rng(8)
    for dtype in _DTYPES:
        for shape in ((5, 3), (5, 10), (4, 100), (3, 700)):
            cases = [np.full(shape, -0.0, dtype)]  # a sum of -0.0s is +0.0, as torch
            a = _data(rng, shape, dtype)
            a[0, 0], a[1, -1] = np.inf, -np.inf
            a[2, 1] = np.inf
            cases.append(a)
            b = _data(rng, shape, dtype)
            b[1, 2] = np.nan
            cases.append(b)
            for a in cases:
                t, x = torch.from_numpy(a), torchlet.tensor(a)
                for args in ((), (0,), (1,), ((0, 1),)):
                    assert _same(t.sum(*args), x.sum(*args)), (shape, args)
                    assert _same(t.mean(*args), x.mean(*args)), (shape, args)


def test_non_contiguous_inputs_match_torch():
    torch = _torch()
    rng = np.random.default_rng(9)
    for dtype in _DTYPES:
        a = _data(rng, (30, 40), dtype)
        t, x = torch.from_numpy(a), torchlet.tensor(a)
        for tv, xv in ((t.T, x.T), (t[:, ::3], x[:, ::3]), (t[::2], x[::2])):
            for args in ((), (0,), (1,), (-1, True)):
                assert _same(tv.sum(*args), xv.sum(*args)), args
                assert _same(tv.mean(*args), xv.mean(*args)), args


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_and_nodes_match_torch(dtype):
    torch = _torch()
    rng = np.random.default_rng(10)
    for shape in ((10,), (100,), (64, 10), (3, 1, 7)):
        a = _data(rng, shape, dtype)
        for name, args in (("sum", ()), ("mean", ()), ("sum", (-1,)), ("mean", (0,)),
                           ("sum", (0, True)), ("mean", (-1, True))):
            outs = []
            for lib in (torch, torchlet):
                x = lib.tensor(a, requires_grad=True)
                y = getattr(x, name)(*args)
                g = np.linspace(-2, 3, y.numel()).astype(dtype).reshape(tuple(y.shape))
                y.backward(lib.tensor(g))
                outs.append((y, type(y.grad_fn).__name__, x.grad))
            (ty, t_node, t_grad), (ly, l_node, l_grad) = outs
            assert _same(ty, ly), (shape, name, args)
            assert t_node == l_node, (shape, name, args)
            assert _same(t_grad, l_grad), (shape, name, args)


def test_dtype_and_integer_inputs_keep_their_rules():
    """The fast paths take float inputs without ``dtype``; the rest behaves as before."""
    torch = _torch()
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    f = _data(np.random.default_rng(11), (3, 4), np.float32)
    for t, x in ((torch.from_numpy(a), torchlet.tensor(a)),
                 (torch.from_numpy(f), torchlet.tensor(f))):
        assert _same(t.sum(), x.sum())
        assert _same(t.sum(1), x.sum(1))
        assert _same(t.sum(dtype=torch.float64), x.sum(dtype=torchlet.float64))
        assert _same(t.sum(0, dtype=torch.float64), x.sum(0, dtype=torchlet.float64))
        assert _same(t.mean(dtype=torch.float64), x.mean(dtype=torchlet.float64))


def test_errors_match_torch():
    torch = _torch()
    a = np.ones((2, 3), np.float32)
    t, x = torch.from_numpy(a), torchlet.tensor(a)
    class Foo:
        pass

    for call in (lambda m, v: v.sum(2), lambda m, v: v.mean(-3), lambda m, v: v.sum((0, 0)),
                 lambda m, v: m.tensor([1, 2]).mean(), lambda m, v: m.sum(a),
                 lambda m, v: m.mean([1.0]), lambda m, v: m.sum(Foo()),
                 lambda m, v: m.mean(np.float32(1))):
        with pytest.raises(Exception) as t_err:
            call(torch, t)
        with pytest.raises(Exception) as l_err:
            call(torchlet, x)
        assert type(l_err.value) is type(t_err.value)
        assert str(l_err.value) == str(t_err.value)

"""Float sums over any dims of any layout add in torch's order
(torchlet/_ops/reduction/_strided_sum.py): middle dims, several separated dims,
transposed, permuted, sliced and expanded inputs, bit for bit, on one and two threads.

Hand-made cases check the order that follows from TensorIterator's rules alone (which
dim is walked innermost, which kernel a block gets); the rest compares with torch live.
"""

import itertools

import numpy as np
import pytest

import torchlet
from torchlet._ops.reduction import _strided_sum


def _torch():
    return pytest.importorskip("torch")


def _bits(x) -> bytes:
    return x.detach().numpy().tobytes()


# ---------------------------------------------------------------------------------------
# hand-made cases


def test_column_major_short_reduction_adds_rows_left_to_right():
    """A Fortran-order (3, 1000, 7) summed over dim 0: the reduced dim is the contiguous
    one but has fewer than 4 float64, so each column is summed by row_sum, from the left:
    (x0 + x1) + x2 (NumPy's einsum along the contiguous axis would pair them otherwise)."""
    rs = np.random.RandomState(0)
    x = np.asfortranarray(rs.randn(3, 1000, 7) * 3)
    got = torchlet.tensor(x).sum(0).numpy()
    assert got.tobytes() == ((x[0] + x[1]) + x[2]).tobytes()


def test_middle_dim_is_a_leading_block_per_outer_index():
    """(A, R, B) summed over R: TensorIterator walks B innermost (contiguous, kept), R as
    the reduced dim of each 2-D block, A outside: each a is the sum of the (R, B) block
    over its rows, exactly as summing x[a] over dim 0."""
    rs = np.random.RandomState(1)
    x = torchlet.tensor((rs.randn(5, 300, 40) * 10).astype(np.float32))
    whole = x.sum(1).numpy()
    for a in range(5):
        assert whole[a].tobytes() == x[a].sum(0).numpy().tobytes()


def test_separated_dims_add_block_results_one_by_one():
    """(A, R, B) summed over A and B (a kept middle dim): the innermost block is (B, A),
    each of its A rows summed as a contiguous row of B, and those A row sums are added into
    the output one at a time: ((0 + s_0) + s_1) + ..."""
    rs = np.random.RandomState(2)
    x = (rs.randn(6, 5, 40) * 10).astype(np.float32)
    got = torchlet.tensor(x).sum((0, 2)).numpy()
    for r in range(5):
        row_sums = [torchlet.tensor(x[a, r]).sum().numpy() for a in range(6)]
        total = np.float32(0)
        for s in row_sums:
            total = np.float32(total + s)
        assert got[r] == total


def test_iteration_order_puts_reduced_dims_first_then_kept_by_output_stride():
    x = np.zeros((4, 5, 6), np.float32).transpose(2, 0, 1)  # strides (1, 30, 6) elements
    order = _strided_sum._coalesced(_strided_sum._iteration_order(x, (1,)))
    assert [d.axes for d in order] == [(1,), (2,), (0,)]
    assert [d.out_stride for d in order] == [0, 1, 5]


def test_contiguous_dims_merge_into_one():
    x = np.zeros((4, 5, 6), np.float32)
    order = _strided_sum._coalesced(_strided_sum._iteration_order(x, (1, 2)))
    assert [(d.size, d.axes) for d in order] == [(30, (2, 1)), (4, (0,))]


# ---------------------------------------------------------------------------------------
# live comparisons with torch


def _layouts(x: np.ndarray):
    """The same values in several memory layouts (each a NumPy view of x's shape)."""
    yield "contiguous", x
    if x.ndim >= 2:
        yield "fortran", np.asfortranarray(x)
        yield "first dim innermost", np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)),
                                                 -1, 0)
        yield "every other column", np.concatenate([x, x], axis=-1)[..., ::2]


_SHAPES = [(3, 1000, 7), (5, 37, 64), (2, 5000, 3), (4, 300, 300), (64, 10, 10), (8, 100, 2),
           (2, 20000, 4), (4, 3, 50, 60), (16, 64, 8, 8), (33, 9), (3, 1, 40), (2, 3, 4, 5),
           (64, 3, 32, 32), (128, 257)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("n_threads", [1, 2])
def test_any_dims_of_any_layout_match_torch(dtype, n_threads, threads):
    torch = _torch()
    threads(n_threads)
    rs = np.random.RandomState(3)
    for shape in _SHAPES:
        x = (rs.randn(*shape) * 3).astype(dtype)
        dim_sets = [d for r in range(1, x.ndim + 1)
                    for d in itertools.combinations(range(x.ndim), r)]
        for name, a in _layouts(x):
            t, mine = torch.from_numpy(a), torchlet.from_numpy(a)
            assert mine.stride() == t.stride()
            for dims in dim_sets:
                assert _bits(mine.sum(dims)) == _bits(t.sum(dims)), (shape, name, dims)


def test_views_keep_their_strides_and_match_torch(threads):
    """Tensors made by transpose / permute / slicing / expand are summed as the strided
    views they are (not as their contiguous copies: the order differs)."""
    torch = _torch()
    rs = np.random.RandomState(4)
    data = (rs.randn(16, 24, 40) * 5).astype(np.float32)
    for n_threads in (1, 2):
        threads(n_threads)
        views = [
            lambda lib, v: v.transpose(0, 2), lambda lib, v: v.permute(1, 2, 0),
            lambda lib, v: v[:, ::3], lambda lib, v: v[..., 1::2].transpose(1, 2),
            lambda lib, v: v[:1].expand(7, 24, 40), lambda lib, v: v.mT,
        ]
        for view in views:
            t = view(torch, torch.from_numpy(data))
            mine = view(torchlet, torchlet.tensor(data))
            assert mine.stride() == t.stride()
            for dims in [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2), None]:
                args = () if dims is None else (dims,)
                assert _bits(mine.sum(*args)) == _bits(t.sum(*args)), dims
                assert _bits(mine.mean(*args)) == _bits(t.mean(*args)), dims


def test_batch_norm_style_channel_means_match_torch(threads):
    """The per-channel mean of an (N, C, H, W) batch, x.mean((0, 2, 3)), as learners
    compute BatchNorm statistics by hand."""
    torch = _torch()
    rs = np.random.RandomState(5)
    for n_threads in (1, 2):
        threads(n_threads)
        for shape in [(64, 16, 8, 8), (8, 3, 32, 32), (2, 6, 24, 24)]:
            x = rs.randn(*shape).astype(np.float32)
            t, mine = torch.from_numpy(x), torchlet.tensor(x)
            assert _bits(mine.mean((0, 2, 3))) == _bits(t.mean((0, 2, 3)))
            assert _bits(mine.sum((0, 2, 3), keepdim=True)) == _bits(
                t.sum((0, 2, 3), keepdim=True))

"""Specs for the strided views and extra shape operations (torchlet/_ops/shape/strided.py,
splits_more.py, inplace_views.py): as_strided, unfold, hsplit/vsplit/dsplit,
split_with_sizes, narrow_copy, unravel_index, adjoint/mH/H, and the in-place view
operations t_, transpose_, swapaxes_, swapdims_, squeeze_, unsqueeze_.

All forwards move data (or compute integer coordinates), so they compare bit for bit.
Gradients of views are exact too, except where overlapping windows (as_strided, unfold)
add several gradient values into one element: float sums, compared within rounding.
"""

from opspec import A, ErrorSpec, Spec

I64 = dict(dtype="int64", kind="int", low=-20, high=20)
_SUMS = dict(grad_rtol=1e-5, grad_atol=1e-6)


def _spec(name, fn, *args, **kw):
    return Spec(name, fn, args or (A(3, 4),), exact=True, **kw)


def _inplace(op, *args):
    """y = x * 1, then the in-place view op on y (a leaf refuses it)."""
    def fn(t, x):
        y = x * 1
        return getattr(y, op)(*args)
    return fn


SPECS = [
    # as_strided: plain, overlapping windows, an offset, a view's own offset
    _spec("as_strided/plain", lambda t, x: x.as_strided((2, 2), (4, 1), 1)),
    _spec("as_strided/overlap", lambda t, x: t.as_strided(x, (3, 3), (1, 1)), **_SUMS),
    _spec("as_strided/stride0", lambda t, x: t.as_strided(x, (2, 3), (0, 2), 3), **_SUMS),
    _spec("as_strided/of_view", lambda t, x: x[1].as_strided((2, 2), (1, 2)), **_SUMS),
    _spec("as_strided/transposed", lambda t, x: x.t().as_strided((3,), (5,))),
    # unfold
    _spec("unfold/1d", lambda t, x: x.unfold(0, 3, 2), A(10), **_SUMS),
    _spec("unfold/dim1", lambda t, x: x.unfold(1, 2, 1), **_SUMS),
    _spec("unfold/dim0_gap", lambda t, x: x.unfold(0, 1, 2)),
    _spec("unfold/neg_dim", lambda t, x: x.unfold(-1, 4, 3), A(2, 3, 4)),
    _spec("unfold/0d", lambda t, x: x.select(0, 1).select(0, 2).unfold(0, 1, 1)),
    _spec("unfold/int", lambda t, x: x.unfold(0, 2, 1), A(5, **I64)),
    # splits
    _spec("hsplit/sections", lambda t, x: t.hsplit(x, 2)),
    _spec("hsplit/indices", lambda t, x: x.hsplit([1, 3])),
    _spec("hsplit/1d", lambda t, x: t.hsplit(x, 3), A(6)),
    _spec("vsplit/sections", lambda t, x: x.vsplit(3)),
    _spec("vsplit/indices", lambda t, x: t.vsplit(x, [2])),
    _spec("dsplit/sections", lambda t, x: t.dsplit(x, 2), A(2, 3, 4)),
    _spec("dsplit/indices", lambda t, x: x.dsplit([1, 1, 3]), A(2, 3, 4)),
    _spec("split_with_sizes", lambda t, x: t.split_with_sizes(x, [1, 3], 1)),
    _spec("split_with_sizes/method", lambda t, x: x.split_with_sizes([2, 1])),
    _spec("narrow_copy", lambda t, x: t.narrow_copy(x, 1, 1, 2)),
    # (a negative start only forward: torch's NarrowCopyBackward0 fails on one)
    _spec("narrow_copy/neg_start", lambda t, x: x.narrow_copy(0, -2, 2), grad=False),
    # unravel_index
    _spec("unravel_index", lambda t, x: t.unravel_index(x, (3, 4, 5)),
          A(2, 3, dtype="int64", kind="int", low=0, high=60)),
    _spec("unravel_index/wraps", lambda t, x: t.unravel_index(x, (2, 3)), A(7, **I64)),
    _spec("unravel_index/int_shape", lambda t, x: t.unravel_index(x, 7),
          A(4, dtype="int32", kind="int", low=0, high=7)),
    _spec("unravel_index/0d", lambda t, x: t.unravel_index(x.sum(), t.Size([50, 2])),
          A(3, dtype="int64", kind="int", low=0, high=30)),
    # conjugate transposes of real tensors
    _spec("adjoint", lambda t, x: t.adjoint(x), A(2, 3, 4)),
    _spec("adjoint/method", lambda t, x: x.adjoint()),
    _spec("mH", lambda t, x: x.mH, A(2, 3, 4)),
    _spec("H", lambda t, x: x.H),
    # in-place views
    _spec("t_", _inplace("t_")),
    _spec("t_/1d", _inplace("t_"), A(4)),
    _spec("transpose_", _inplace("transpose_", 0, 2), A(2, 3, 4)),
    _spec("swapaxes_", _inplace("swapaxes_", -1, 0)),
    _spec("swapdims_", _inplace("swapdims_", 1, 0)),
    _spec("squeeze_", _inplace("squeeze_"), A(2, 1, 3, 1)),
    _spec("squeeze_/dim", _inplace("squeeze_", 1), A(2, 1, 3)),
    _spec("squeeze_/dims", _inplace("squeeze_", (1, -1)), A(2, 1, 3, 1)),
    _spec("unsqueeze_", _inplace("unsqueeze_", 1)),
    _spec("unsqueeze_/last", _inplace("unsqueeze_", -1)),
    _spec("unsqueeze_/of_view", lambda t, x: (x * 1)[1:].unsqueeze_(0)),
]

ERROR_SPECS = [
    ErrorSpec("err/as_strided_oob", lambda t: t.ones(3, 4).as_strided((4, 4), (4, 1)),
              match=r"setStorage: sizes \[4, 4\], strides \[4, 1\], storage offset 0, and "
                    r"itemsize 4 requiring a storage size of 64 are out of bounds for storage "
                    r"of size 48"),
    ErrorSpec("err/as_strided_neg_stride", lambda t: t.ones(3).as_strided((2,), (-1,)),
              match="Negative strides are not supported"),
    ErrorSpec("err/as_strided_neg_offset", lambda t: t.ones(3).as_strided((2,), (1,), -1),
              match="invalid storage offset -1"),
    ErrorSpec("err/as_strided_lengths", lambda t: t.ones(3).as_strided((2, 2), (1,)),
              match="mismatch in length of strides and shape"),
    ErrorSpec("err/empty_strided_lengths", lambda t: t.empty_strided((2, 3), (1,)),
              match=r"dimensionality of sizes \(2\) must match dimensionality of strides"),
    ErrorSpec("err/unfold_size", lambda t: t.ones(10).unfold(0, 11, 1),
              match="maximum size for tensor at dimension 0 is 10 but size is 11"),
    ErrorSpec("err/unfold_step", lambda t: t.ones(10).unfold(0, 3, 0),
              match="step is 0 but must be > 0"),
    ErrorSpec("err/unfold_dim", lambda t: t.ones(10).unfold(1, 3, 1)),
    ErrorSpec("err/hsplit_0d", lambda t: t.hsplit(t.tensor(1.0), 1),
              match="hsplit requires a tensor with at least 1 dimension"),
    ErrorSpec("err/hsplit_indivisible", lambda t: t.hsplit(t.ones(4), 3),
              match=r"the size of the dimension 4 is not divisible by the split_size 3!"),
    ErrorSpec("err/vsplit_1d", lambda t: t.vsplit(t.ones(4), 2),
              match="vsplit requires a tensor with at least 2 dimension"),
    ErrorSpec("err/dsplit_2d", lambda t: t.ones(4, 4).dsplit(2),
              match="dsplit requires a tensor with at least 3 dimension"),
    ErrorSpec("err/dsplit_indivisible", lambda t: t.ones(4, 4, 3).dsplit(2),
              match="split along dimension 2"),
    ErrorSpec("err/split_with_sizes_sum", lambda t: t.ones(4).split_with_sizes([1, 2]),
              match="sum exactly to 4"),
    ErrorSpec("err/narrow_copy_length", lambda t: t.narrow_copy(t.ones(4), 0, 3, 2),
              match="exceeds dimension size"),
    ErrorSpec("err/unravel_float", lambda t: t.unravel_index(t.tensor([1.0]), (2, 3)),
              match="expected 'indices' to be integer dtype"),
    ErrorSpec("err/unravel_bool", lambda t: t.unravel_index(t.tensor([True]), (2,))),
    ErrorSpec("err/unravel_negative_shape", lambda t: t.unravel_index(t.tensor([1]), (2, -3)),
              match="'shape' cannot have negative values"),
    ErrorSpec("err/H_1d", lambda t: t.ones(3).H, match="only supported on matrices"),
    ErrorSpec("err/H_3d", lambda t: t.ones(2, 2, 2).H, match="consider using tensor.mH"),
    ErrorSpec("err/mH_1d", lambda t: t.ones(3).mH, match="Got 1-D tensor"),
    ErrorSpec("err/adjoint_1d", lambda t: t.adjoint(t.ones(3)), match="adjoint"),
    ErrorSpec("err/t__leaf", lambda t: t.ones(2, 3, requires_grad=True).t_(),
              match="a leaf Variable that requires grad"),
    ErrorSpec("err/unsqueeze__leaf_view",
              lambda t: t.ones(2, 3, requires_grad=True)[0].unsqueeze_(0),
              match="a view of a leaf Variable that requires grad"),
    ErrorSpec("err/t__3d", lambda t: t.ones(2, 3, 4).t_(), match=r"t_\(\) expects"),
    ErrorSpec("err/squeeze__dim", lambda t: t.ones(2, 3).squeeze_(5)),
    ErrorSpec("err/resize__requires_grad", lambda t: t.ones(2, requires_grad=True).resize_(3),
              match="cannot resize variables that require grad"),
    ErrorSpec("err/resize_as__requires_grad",
              lambda t: t.ones(2, requires_grad=True).resize_as_(t.ones(3)),
              match="cannot resize variables that require grad"),
    ErrorSpec("err/new_float", lambda t: t.ones(2).new(2.5), match="data must be a sequence"),
    ErrorSpec("err/new_negative", lambda t: t.ones(2).new(-1),
              match="negative dimension -1"),
    ErrorSpec("err/new_dtype_kwarg", lambda t: t.ones(2).new(2, 3, dtype=t.int64)),
]

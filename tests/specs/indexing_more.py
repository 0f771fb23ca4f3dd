"""Specs for the extra indexed writes (torchlet/_ops/indexing/index_more.py): index_copy,
index_reduce, put, index_put/index_put_ (top level), fill_diagonal_, diagonal_scatter,
select_scatter, slice_scatter.

Copies and writes move data, so they compare bit for bit; so do index_reduce's prod,
amax and amin (one multiplication or comparison per element, in index order, as torch's
CPU loop) and its integer mean (floor division). Float means divide a float sum: within
rounding. Gradients of prod/mean divide by products and counts: within rounding.
Index tensors are constants inside the expressions (no duplicate positions where the
result of a write would depend on the order, which torch leaves undefined).
"""

from opspec import A, ErrorSpec, Spec

I64 = dict(dtype="int64", kind="int", low=-9, high=9)
_ROUNDED = dict(exact=False, grad_rtol=1e-5, grad_atol=1e-6)


def _spec(name, fn, *args, **kw):
    kw.setdefault("exact", True)
    return Spec(name, fn, args or (A(5, 3),), **kw)


def _reduce(reduce, include_self=True, dim=0, index=(0, 4, 0, 2)):
    def fn(t, x, src):
        return x.index_reduce(dim, t.tensor(list(index)), src, reduce, include_self=include_self)
    return fn


def _inplace(op, make_args, **kwargs):
    """y = x * 1, then the in-place op on y with make_args(t, *other inputs) (a leaf
    refuses it)."""
    def fn(t, x, *tensors):
        y = x * 1
        return getattr(y, op)(*make_args(t, *tensors), **kwargs)
    return fn


SPECS = [
    # index_copy
    _spec("index_copy", lambda t, x, s: x.index_copy(0, t.tensor([4, 0, 2]), s), A(5, 3),
          A(3, 3)),
    _spec("index_copy/dim1", lambda t, x, s: t.index_copy(x, 1, t.tensor([2, 0]), s), A(5, 3),
          A(5, 2)),
    _spec("index_copy/0d_index", lambda t, x, s: x.index_copy(0, t.tensor(1), s), A(3),
          A(1)),
    _spec("index_copy/int", lambda t, x, s: x.index_copy(0, t.tensor([1, 0]), s),
          A(3, 2, **I64), A(2, 2, **I64)),
    _spec("index_copy_", _inplace("index_copy_", lambda t, s: (0, t.tensor([3, 1]), s)),
          A(5, 3), A(2, 3)),
    # index_reduce, with and without self
    _spec("index_reduce/prod", _reduce("prod"), A(5, 3), A(4, 3), **_ROUNDED),
    _spec("index_reduce/prod_no_self", _reduce("prod", False), A(5, 3), A(4, 3),
          **_ROUNDED),
    _spec("index_reduce/mean", _reduce("mean"), A(5, 3), A(4, 3), **_ROUNDED),
    _spec("index_reduce/mean_no_self", _reduce("mean", False), A(5, 3), A(4, 3),
          **_ROUNDED),
    _spec("index_reduce/amax", _reduce("amax"), A(5, 3, kind="distinct"),
          A(4, 3, kind="distinct", low=-3, high=3)),
    _spec("index_reduce/amin_no_self", _reduce("amin", False), A(5, 3, kind="distinct"),
          A(4, 3, kind="distinct", low=-3, high=3)),
    _spec("index_reduce/amax_ties", lambda t, x, s: (x * 0 + 1).index_reduce(
        0, t.tensor([0, 4, 0, 2]), s * 0 + 1, "amax"), A(5, 3), A(4, 3), **_ROUNDED),
    _spec("index_reduce/prod_zeros", lambda t, x, s: x.index_reduce(
        0, t.tensor([0, 1, 0, 1]), s.clamp(min=0), "prod"), A(5, 3), A(4, 3), **_ROUNDED,
        gradcheck=False),  # clamp's kink at 0 is where the zeros are
    _spec("index_reduce/dim1", _reduce("amin", dim=1, index=(2, 2, 0, 1)),
          A(3, 3, kind="distinct"), A(3, 4, kind="distinct", low=-2.05, high=2.95)),
    _spec("index_reduce/int_mean", _reduce("mean"), A(5, 3, **I64), A(4, 3, **I64)),
    _spec("index_reduce/int_prod_no_self", _reduce("prod", False), A(5, 3, **I64),
          A(4, 3, **I64)),
    _spec("index_reduce_", _inplace("index_reduce_", lambda t, s: (0, t.tensor([1, 3]), s,
                                                                   "amax")),
          A(5, 3, kind="distinct"), A(2, 3, kind="distinct")),
    # put, index_put
    _spec("put", lambda t, x, s: x.put(t.tensor([[0, 14], [-2, 7]]), s), A(5, 3), A(4)),
    _spec("put/accumulate", lambda t, x, s: t.put(x, t.tensor([0, 14, 0, 7]), s, True),
          A(5, 3), A(2, 2), exact=False),
    _spec("put_", _inplace("put_", lambda t, s: (t.tensor([3, 1]), s), accumulate=True),
          A(5, 3), A(2)),
    _spec("put/int", lambda t, x, s: x.put(t.tensor([2, 0]), s), A(2, 2, **I64), A(2, **I64)),
    _spec("index_put/top_level", lambda t, x, s: t.index_put(x, (t.tensor([4, 0]),), s),
          A(5, 3), A(3)),
    _spec("index_put_/top_level", lambda t, x, s: t.index_put_(
        x * 1, (t.tensor([4, 0, 4]), t.tensor([1, 1, 1])), s, accumulate=True), A(5, 3), A(3),
        exact=False),
    # fill_diagonal_
    _spec("fill_diagonal_", _inplace("fill_diagonal_", lambda t: (2.5,)), A(3, 3)),
    _spec("fill_diagonal_/tall", _inplace("fill_diagonal_", lambda t: (-1.0,)), A(7, 3)),
    _spec("fill_diagonal_/wrap", _inplace("fill_diagonal_", lambda t: (0.0,), wrap=True),
          A(8, 3)),
    _spec("fill_diagonal_/wide_wrap", _inplace("fill_diagonal_", lambda t: (0.0,), wrap=True),
          A(3, 5)),
    _spec("fill_diagonal_/3d", _inplace("fill_diagonal_", lambda t: (7,)), A(3, 3, 3)),
    _spec("fill_diagonal_/int", _inplace("fill_diagonal_", lambda t: (2.9,)), A(4, 4, **I64)),
    # diagonal_scatter, select_scatter, slice_scatter
    _spec("diagonal_scatter", lambda t, x, s: t.diagonal_scatter(x, s), A(3, 4), A(3)),
    _spec("diagonal_scatter/offset", lambda t, x, s: x.diagonal_scatter(s, -1, 1, 0),
          A(3, 4), A(3)),
    _spec("diagonal_scatter/batch", lambda t, x, s: x.diagonal_scatter(s, 1, 0, 2),
          A(3, 2, 4), A(2, 3)),
    _spec("diagonal_scatter/dtype", lambda t, x, s: t.diagonal_scatter(x, s),
          A(3, 4, dtype="float64"), A(3)),
    _spec("select_scatter", lambda t, x, s: t.select_scatter(x, s, 0, -2), A(3, 4), A(4)),
    _spec("select_scatter/dim1", lambda t, x, s: x.select_scatter(s, 1, 3), A(3, 4), A(3)),
    _spec("slice_scatter", lambda t, x, s: t.slice_scatter(x, s, 1, 1, None, 2), A(3, 4),
          A(3, 2)),
    _spec("slice_scatter/defaults", lambda t, x, s: x.slice_scatter(s), A(3, 4), A(3, 4)),
    _spec("slice_scatter/negative_start", lambda t, x, s: t.slice_scatter(x, s, start=-1),
          A(3, 4), A(1, 4)),
    _spec("slice_scatter/clamped_end", lambda t, x, s: t.slice_scatter(x, s, 0, 1, 100),
          A(3, 4), A(2, 4)),
]

ERROR_SPECS = [
    ErrorSpec("err/index_copy_oob",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0, 5, 2]), t.ones(3, 3)),
              match="index_copy_\\(\\): index 5 is out of bounds for dimension 0 with size 5"),
    ErrorSpec("err/index_copy_negative",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0, -1, 2]), t.ones(3, 3)),
              match="index -1 is out of bounds"),
    ErrorSpec("err/index_copy_float_index",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0.0, 1, 2]), t.ones(3, 3)),
              match="Expected a long tensor for index, but got Float"),
    ErrorSpec("err/index_copy_count",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0, 1]), t.ones(3, 3)),
              match=r"Number of indices \(2\) should be equal to source.size\(dim\) \(3\)"),
    ErrorSpec("err/index_copy_2d_index",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([[0, 1, 2]]), t.ones(3, 3)),
              match="Index should have dimension 1 or 0"),
    ErrorSpec("err/index_copy_dtype",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0, 1, 2]), t.ones(3, 3).double()),
              match="same dtype"),
    ErrorSpec("err/index_copy_slices",
              lambda t: t.zeros(5, 3).index_copy(1, t.tensor([0, 1, 2]), t.ones(4, 3)),
              match="must have same slice shapes"),
    ErrorSpec("err/index_copy_ndim",
              lambda t: t.zeros(5, 3).index_copy(0, t.tensor([0, 1, 2]), t.ones(3, 3, 1)),
              match="dimensionality must match"),
    ErrorSpec("err/index_reduce_sum",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0, 4]), t.ones(2, 2), "sum"),
              match="Expected reduce to be one of prod, mean, amax or amin but got sum"),
    ErrorSpec("err/index_reduce_oob",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0, 5]), t.ones(2, 2), "prod"),
              match="index out of range in self"),
    ErrorSpec("err/index_reduce_count",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0]), t.ones(2, 2), "prod"),
              match=r"Number of indices \(1\) should be equal to source.size\(dim\): \(2\)"),
    ErrorSpec("err/index_reduce_float_index",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0.0]), t.ones(1, 2), "amax"),
              match="Expected dtype int32/int64 for index but got: Float"),
    ErrorSpec("err/index_reduce_dtype",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0]), t.ones(1, 2).double(),
                                                  "amax"),
              match=r"self \(Float\) and source \(Double\) must have the same scalar type"),
    ErrorSpec("err/index_reduce_shape",
              lambda t: t.ones(5, 2).index_reduce(0, t.tensor([0]), t.ones(1, 3), "amax"),
              match="source tensor shape must match self tensor shape"),
    ErrorSpec("err/put_oob", lambda t: t.zeros(2, 3).put(t.tensor([6]), t.ones(1)),
              match="out of range: tried to access index 6 on a tensor of 6 elements."),
    ErrorSpec("err/put_oob_negative", lambda t: t.zeros(2, 3).put(t.tensor([-7]), t.ones(1)),
              match="tried to access index -7"),
    ErrorSpec("err/put_count", lambda t: t.zeros(2, 3).put(t.tensor([0, 1]), t.ones(3)),
              match="Expected source and index to have the same number of elements"),
    ErrorSpec("err/put_index_dtype", lambda t: t.zeros(2, 3).put(t.tensor([0, 1]).int(),
                                                                 t.ones(2)),
              match="Expected a long tensor for index, but got Int"),
    ErrorSpec("err/put_dtype", lambda t: t.zeros(2, 3).put(t.tensor([0]), t.ones(1).double()),
              match="self and source expected to have the same dtype"),
    ErrorSpec("err/put_empty", lambda t: t.zeros(0).put(t.tensor([0]), t.ones(1)),
              match="Tried to put elements into an empty tensor"),
    ErrorSpec("err/put__leaf",
              lambda t: t.zeros(3, requires_grad=True).put_(t.tensor([0]), t.ones(1)),
              match="a leaf Variable that requires grad"),
    ErrorSpec("err/fill_diagonal__1d", lambda t: t.zeros(3).fill_diagonal_(1),
              match="dimensions must larger than 1"),
    ErrorSpec("err/fill_diagonal__unequal", lambda t: t.zeros(3, 3, 2).fill_diagonal_(1),
              match="all dimensions of input must be of equal length"),
    ErrorSpec("err/fill_diagonal__leaf",
              lambda t: t.zeros(3, 3, requires_grad=True).fill_diagonal_(1),
              match="a view of a leaf Variable that requires grad"),
    ErrorSpec("err/fill_diagonal__overflow",
              lambda t: t.zeros(3, 3, dtype=t.int8).fill_diagonal_(300),
              match="value cannot be converted to type int8_t without overflow"),
    ErrorSpec("err/diagonal_scatter_size", lambda t: t.zeros(3, 4).diagonal_scatter(t.ones(2)),
              match=r"expected src to have a size equal to the slice of self. src size = \[2\], "
                    r"slice size = \[3\]"),
    ErrorSpec("err/diagonal_scatter_same_dims",
              lambda t: t.diagonal_scatter(t.zeros(3, 4), t.ones(3), 0, 1, 1),
              match="diagonal dimensions cannot be identical"),
    ErrorSpec("err/select_scatter_index", lambda t: t.zeros(3, 4).select_scatter(t.ones(4), 0, 3),
              match="select\\(\\): index 3 out of range"),
    ErrorSpec("err/select_scatter_size", lambda t: t.zeros(3, 4).select_scatter(t.ones(3), 0, 1),
              match="src size = \\[3\\], slice size = \\[4\\]"),
    ErrorSpec("err/select_scatter_0d",
              lambda t: t.select_scatter(t.tensor(1.0), t.tensor(2.0), 0, 0),
              match="select\\(\\) cannot be applied to a 0-dim tensor"),
    ErrorSpec("err/slice_scatter_size",
              lambda t: t.slice_scatter(t.zeros(3, 4), t.ones(2, 4), start=2),
              match="src size = \\[2, 4\\], slice size = \\[1, 4\\]"),
    ErrorSpec("err/slice_scatter_step", lambda t: t.slice_scatter(t.zeros(3, 4), t.ones(3, 4),
                                                                  step=0),
              match="slice step must be positive"),
    ErrorSpec("err/slice_scatter_dim", lambda t: t.slice_scatter(t.zeros(3, 4), t.ones(3, 4), 2)),
]

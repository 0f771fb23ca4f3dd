"""Specs for indexing (torchlet/_ops/indexing): t[...], t[...] = v, gather/scatter,
index_select/index_add/index_fill, masked_*, take, take_along_dim, nonzero.

Indexing moves data, so every spec compares bit for bit. Index tensors are built inside
the expressions (constants), so gradcheck only varies the values being indexed. The
exhaustive comparisons (hypothesis index combinations, error messages, which results
are views) are in tests/test_indexing.py.
"""

from opspec import A, ErrorSpec, Spec

I64 = dict(dtype="int64", kind="int", low=-9, high=9)
ROWS = [[True, False, True, True], [False, False, True, False], [True, True, True, False]]


def _spec(name, fn, *args, **kw):
    kw.setdefault("exact", True)
    return Spec(name, fn, args or (A(3, 4),), **kw)


def _set(index, value=None):
    """y = x * 1; y[index] = value (or the second input); return y."""
    def fn(t, x, *rest):
        y = x * 1
        y[index(t) if callable(index) else index] = rest[0] if rest else value
        return y
    return fn


# Sums of a broadcast value's gradient are float sums: not bit for bit.
_SUM_GRAD = dict(grad_rtol=1e-5, grad_atol=1e-6)

SPECS = [
    # basic indexing: views
    _spec("getitem/int", lambda t, x: x[1]),
    _spec("getitem/neg_int", lambda t, x: x[-1, -2]),
    _spec("getitem/slice", lambda t, x: x[1:, ::2]),
    _spec("getitem/slice_full", lambda t, x: x[:]),
    _spec("getitem/none", lambda t, x: x[None, :, None]),
    _spec("getitem/ellipsis", lambda t, x: x[..., 1]),
    _spec("getitem/alias", lambda t, x: x[...]),
    _spec("getitem/int_slice_chain", lambda t, x: x[0, None, 1:3], A(2, 3, 4)),
    _spec("getitem/0d_tensor", lambda t, x: x[t.tensor(2)]),
    # advanced indexing: copies
    _spec("getitem/list", lambda t, x: x[[2, 0, 2]]),
    _spec("getitem/pair", lambda t, x: x[t.arange(3), t.tensor([3, 0, 1])]),
    _spec("getitem/duplicates", lambda t, x: x[[0, 0, 1, 0], [1, 1, 1, 2]]),
    _spec("getitem/columns", lambda t, x: x[:, [3, 3, 0]]),
    _spec("getitem/separated", lambda t, x: x[[0, 1], :, [3, 0]], A(2, 3, 4)),
    _spec("getitem/int_then_list", lambda t, x: x[1, :, [0, 2]], A(2, 3, 4)),
    _spec("getitem/mask", lambda t, x: x[t.tensor(ROWS)]),
    _spec("getitem/mask_rows", lambda t, x: x[t.tensor([True, False, True])]),
    _spec("getitem/true", lambda t, x: x[True]),
    _spec("getitem/int_tensor", lambda t, x: x[:, [1, 2]], A(3, 4, **I64)),
    _spec("getitem/bool_tensor", lambda t, x: x[[0, 2]], A(3, 4, dtype="bool", kind="bool")),
    # assignment
    _spec("setitem/int_number", _set(1, 2.5)),
    _spec("setitem/int_row", _set(1), A(3, 4), A(4)),
    _spec("setitem/slice_broadcast", _set((slice(None), slice(1, 3))), A(3, 4), A(3, 1),
          **_SUM_GRAD),
    _spec("setitem/pair", _set(lambda t: (t.arange(3), t.tensor([1, 0, 3]))), A(3, 4), A(3)),
    _spec("setitem/one_hot", _set(lambda t: (t.arange(3), t.tensor([1, 0, 3])), 1.0)),
    _spec("setitem/mask", _set(lambda t: t.tensor(ROWS), 0.0)),
    _spec("setitem/mask_tensor", _set(lambda t: t.tensor(ROWS)), A(3, 4), A(), **_SUM_GRAD),
    _spec("setitem/ellipsis", _set(Ellipsis), A(3, 4), A(3, 4)),
    _spec("setitem/ellipsis_fill", _set(Ellipsis), A(3, 4), A(), **_SUM_GRAD),
    _spec("setitem/int_list", _set((0, [1, 3])), A(3, 4), A(2)),
    _spec("setitem/int_dtype", _set(0, 2.7), A(3, 4, **I64)),
    # gather / scatter
    _spec("gather", lambda t, x: t.gather(x, 1, t.tensor([[0, 0], [3, 1], [2, 2]]))),
    _spec("gather/dim0", lambda t, x: x.gather(0, t.tensor([[2, 1, 0, 0]]))),
    _spec("scatter", lambda t, x, s: x.scatter(0, t.tensor([[0, 1, 2, 0], [1, 2, 0, 2]]), s),
          A(3, 4), A(2, 4)),
    _spec("scatter/value", lambda t, x: t.scatter(x, 1, t.tensor([[0], [3], [1]]), -1.0)),
    _spec("scatter_add", lambda t, x, s: t.scatter_add(
        x, 0, t.tensor([[0, 1, 2, 0], [0, 1, 0, 2]]), s), A(3, 4), A(2, 4)),
    _spec("scatter_reduce/sum", lambda t, x, s: t.scatter_reduce(
        x, 0, t.tensor([[0, 1, 2, 0], [0, 1, 0, 2]]), s, "sum"), A(3, 4), A(2, 4)),
    _spec("scatter_reduce/mean", lambda t, x, s: t.scatter_reduce(
        x, 0, t.tensor([[0, 1, 2, 0], [0, 1, 0, 2]]), s, "mean", include_self=False),
        A(3, 4), A(2, 4)),
    _spec("scatter_reduce/amax", lambda t, x, s: t.scatter_reduce(
        x, 0, t.tensor([[0, 1, 2, 0], [0, 1, 0, 2]]), s, "amax"),
        A(3, 4, kind="distinct"), A(2, 4, kind="distinct", low=-1.9, high=1.9)),
    _spec("scatter_reduce/prod", lambda t, x, s: t.scatter_reduce(
        x, 0, t.tensor([[0, 1, 2, 0], [0, 1, 0, 2]]), s, "prod"),
        A(3, 4, kind="positive"), A(2, 4, kind="positive"), exact=False),
    _spec("take", lambda t, x: t.take(x, t.tensor([[0, 11], [-1, 5]]))),
    _spec("take_along_dim", lambda t, x: t.take_along_dim(x, t.tensor([[0], [3], [1]]), 1)),
    _spec("take_along_dim/flat", lambda t, x: x.take_along_dim(t.tensor([5, 0, 5]))),
    # index_select / index_add / index_fill
    _spec("index_select", lambda t, x: t.index_select(x, 1, t.tensor([3, 0, 3]))),
    _spec("index_add", lambda t, x, s: x.index_add(0, t.tensor([2, 0, 2]), s, alpha=2),
          A(3, 4), A(3, 4)),
    _spec("index_fill", lambda t, x: t.index_fill(x, 1, t.tensor([0, 2]), 0.5)),
    _spec("index_fill/tensor", lambda t, x, v: t.index_fill(x, 0, t.tensor([1]), v),
          A(3, 4), A(), **_SUM_GRAD),
    # masks
    _spec("masked_fill", lambda t, x: x.masked_fill(t.tensor(ROWS), -1.0)),
    _spec("masked_fill/broadcast", lambda t, x: t.masked_fill(x, t.tensor(ROWS[0]), 2)),
    _spec("masked_fill/tensor", lambda t, x, v: x.masked_fill(t.tensor(ROWS), v), A(3, 4), A(),
          **_SUM_GRAD),
    _spec("masked_select", lambda t, x: t.masked_select(x, t.tensor(ROWS))),
    _spec("masked_select/broadcast", lambda t, x: x[0].masked_select(t.tensor(ROWS))),
    _spec("masked_scatter", lambda t, x, s: t.masked_scatter(x, t.tensor(ROWS), s),
          A(3, 4), A(9)),
    # nonzero
    _spec("nonzero", lambda t, x: t.nonzero(x), A(3, 4, **I64)),
    _spec("argwhere", lambda t, x: t.argwhere(x > 0)),
    _spec("where/one_arg", lambda t, x: t.where(x > 0)),
]

ERROR_SPECS = [
    ErrorSpec("err/getitem_int_oob", lambda t: t.ones(3)[3],
              match="index 3 is out of bounds for dimension 0 with size 3"),
    ErrorSpec("err/getitem_list_oob", lambda t: t.ones(3, 4)[:, [0, 4]],
              match="index 4 is out of bounds for dimension 0 with size 4"),
    ErrorSpec("err/getitem_step", lambda t: t.ones(3)[::-1], match="step must be greater"),
    ErrorSpec("err/getitem_float", lambda t: t.ones(3)[1.0], match="valid indices"),
    ErrorSpec("err/getitem_too_many", lambda t: t.ones(3)[0, 0], match="too many indices"),
    ErrorSpec("err/getitem_mask_shape", lambda t: t.ones(3, 4)[t.ones(4, dtype=t.bool)],
              match="shape of the mask"),
    ErrorSpec("err/getitem_broadcast", lambda t: t.ones(3, 4)[[0, 1], [0, 1, 2]],
              match="shape mismatch"),
    ErrorSpec("err/getitem_float_index", lambda t: t.ones(3)[t.tensor([0.0])],
              match="tensors used as indices"),
    ErrorSpec("err/setitem_leaf", lambda t: t.ones(3, requires_grad=True).__setitem__(0, 1.0),
              match="leaf Variable that requires grad"),
    ErrorSpec("err/setitem_dtype", lambda t: t.ones(3).__setitem__([0], t.tensor(1)),
              match="Index put requires the source and destination dtypes match"),
    ErrorSpec("err/setitem_shape", lambda t: t.ones(3, 4).__setitem__([0, 1], t.ones(3)),
              match="shape mismatch"),
    ErrorSpec("err/setitem_value_type", lambda t: t.ones(3).__setitem__(0, "a"),
              match="can't assign a str"),
    ErrorSpec("err/setitem_overflow", lambda t: t.zeros(2, dtype=t.int8).__setitem__(0, 300),
              match="without overflow"),
    ErrorSpec("err/gather_dtype", lambda t: t.ones(3).gather(0, t.tensor([0.0])),
              match="Expected dtype int32/int64 for index"),
    ErrorSpec("err/gather_oob", lambda t: t.ones(3).gather(0, t.tensor([3])),
              match="index 3 is out of bounds for dimension 0 with size 3"),
    ErrorSpec("err/gather_negative", lambda t: t.ones(3).gather(0, t.tensor([-1]))),
    ErrorSpec("err/scatter_dtype", lambda t: t.ones(3).scatter(0, t.tensor([0]),
                                                               t.tensor([1]))),
    ErrorSpec("err/index_select_oob", lambda t: t.ones(3).index_select(0, t.tensor([3])),
              match="index out of range in self"),
    ErrorSpec("err/index_add_shape", lambda t: t.ones(3, 4).index_add(
        0, t.tensor([0]), t.ones(1, 3)), match="source tensor shape must match"),
    ErrorSpec("err/masked_fill_mask", lambda t: t.ones(3).masked_fill(t.ones(3), 0.0),
              match="only supports boolean masks"),
    ErrorSpec("err/masked_select_mask", lambda t: t.ones(3).masked_select(t.ones(3)),
              match="expected BoolTensor"),
    ErrorSpec("err/take_oob", lambda t: t.take(t.ones(3), t.tensor([3])), match="out of range"),
    ErrorSpec("err/take_along_dim_dtype", lambda t: t.ones(3).take_along_dim(
        t.tensor([0], dtype=t.int32), 0), match="dtype of indices should be Long"),
]

"""Specs for cummax, cummin, logcumsumexp (torchlet/_ops/reduction/scans.py), nanmedian
(statistics.py) and diff (torchlet/_ops/shape/copies.py).

cummax/cummin and nanmedian are selections: values and indices are compared bit for bit,
on ties ('int' kind: repeated values), NaN, +-inf and signed zeros ('special' kind; 42
elements hold each special value twice). Finite differences cannot see which of two tied
elements wins, so float64 gradcheck runs on 'distinct' inputs only; the gradients on ties
are compared with torch's.
"""

from opspec import A, ErrorSpec, Spec

NAN, INF = float("nan"), float("inf")
D = dict(kind="distinct")
S = dict(kind="special")
TIES = dict(kind="int", low=0, high=3)  # floats 0., 1., 2.: many ties
I64 = dict(dtype="int64", kind="int", low=-3, high=4)
B = dict(dtype="bool", kind="bool")


def _exact(name, fn, *args, **kw):
    return Spec(name, fn, args, exact=True, **kw)


def _no_gradcheck(name, fn, *args, **kw):
    """Ties, NaN or infinities: torch's gradient is compared, finite differences are not."""
    return Spec(name, fn, args, exact=kw.pop("exact", True), gradcheck=False, **kw)


SPECS = [
    # cummax / cummin
    _exact("cummax", lambda t, x: t.cummax(x, 1), A(3, 6, **D)),
    _exact("cummax/dim0", lambda t, x: x.cummax(0), A(5, 3, **D)),
    _exact("cummin", lambda t, x: t.cummin(x, -1), A(3, 6, **D)),
    _exact("cummin/3d", lambda t, x: x.cummin(1), A(2, 5, 3, **D)),
    _exact("cummax/0d", lambda t, x: t.cummax(x, 0), A()),
    _no_gradcheck("cummax/ties", lambda t, x: t.cummax(x, 1), A(4, 9, **TIES)),
    _no_gradcheck("cummin/ties_dim0", lambda t, x: t.cummin(x, 0), A(9, 4, **TIES)),
    _no_gradcheck("cummax/special", lambda t, x: t.cummax(x, 1), A(3, 14, **S)),
    _no_gradcheck("cummin/special", lambda t, x: t.cummin(x, 1), A(3, 14, **S)),
    _no_gradcheck("cummax/special_f64", lambda t, x: t.cummax(x, 0), A(14, 3, dtype="float64",
                                                                         **S)),
    _exact("cummin/signed_zero_ties",
           lambda t: t.cummin(t.tensor([1.0, 0.0, 0.0, 2.0, -0.0, 0.0]), 0)),
    _exact("cummax/nan_moves", lambda t: t.cummax(t.tensor([1.0, NAN, 3.0, NAN, 5.0, INF]), 0)),
    _exact("cummax/int", lambda t, x: t.cummax(x, 1), A(3, 8, **I64)),
    _exact("cummin/bool", lambda t, x: t.cummin(x, 0), A(6, 3, **B)),
    # (torch returns its requires-grad input as the gradient of an empty cummax)
    _exact("cummax/empty", lambda t, x: t.cummax(x, 0), A(0, 3), grad=False),
    # nanmedian: no NaN it is median; the index is torch's (stable order, NaNs last)
    _exact("nanmedian", lambda t, x: t.nanmedian(x), A(3, 5, **D)),
    _exact("nanmedian/dim", lambda t, x: t.nanmedian(x, 1), A(3, 5, **D)),
    _exact("nanmedian/dim_keepdim", lambda t, x: x.nanmedian(0, keepdim=True), A(4, 3, **D)),
    _exact("nanmedian/0d", lambda t, x: t.nanmedian(x, 0), A()),
    _no_gradcheck("nanmedian/special", lambda t, x: t.nanmedian(x, 1), A(4, 11, **S)),
    _no_gradcheck("nanmedian/special_dim0", lambda t, x: t.nanmedian(x, 0), A(14, 3, **S)),
    # 30 special values: the median of the non-NaN ones is not a zero (see below)
    _no_gradcheck("nanmedian/special_all", lambda t, x: t.nanmedian(x), A(5, 6, **S)),
    _no_gradcheck("nanmedian/ties_nan",
                  lambda t, x: t.nanmedian(t.where(x > 0, x, NAN), 1), A(8, 5, **TIES)),
    _no_gradcheck("nanmedian/ties_nan_all",
                  lambda t, x: t.nanmedian(t.where(x > 0, x, NAN)), A(8, 5, **TIES)),
    # all-NaN slices: NaN, at the index torch's nth_element leaves in front
    _no_gradcheck("nanmedian/all_nan", lambda t, x: t.nanmedian(x * NAN, 1), A(3, 12)),
    _no_gradcheck("nanmedian/all_nan_dim0", lambda t, x: t.nanmedian(x * NAN, 0), A(7, 2)),
    _no_gradcheck("nanmedian/all_nan_all", lambda t, x: t.nanmedian(x * NAN), A(3, 4)),
    _exact("nanmedian/int", lambda t, x: t.nanmedian(x, 1), A(3, 6, **I64)),
    _exact("nanmedian/int_all", lambda t, x: t.nanmedian(x), A(3, 6, **I64)),
    # logcumsumexp: equal to within float rounding
    Spec("logcumsumexp", lambda t, x: t.logcumsumexp(x, 1), (A(3, 5),)),
    Spec("logcumsumexp/dim0", lambda t, x: x.logcumsumexp(0), (A(4, 3, dtype="float64"),)),
    Spec("logcumsumexp/large", lambda t, x: t.logcumsumexp(x, -1),
         (A(2, 6, low=-200.0, high=200.0),)),
    Spec("logcumsumexp/0d", lambda t, x: t.logcumsumexp(x, 0), (A(),)),
    Spec("logcumsumexp/special", lambda t, x: t.logcumsumexp(x, 1), (A(3, 7, **S),),
         gradcheck=False),
    Spec("logcumsumexp/special_f64", lambda t, x: t.logcumsumexp(x, 0),
         (A(14, 3, dtype="float64", **S),), gradcheck=False),
    Spec("logcumsumexp/float16", lambda t, x: t.logcumsumexp(x, 1),
         (A(2, 5, dtype="float16"),), rtol=1e-3, atol=1e-3, grad_rtol=1e-3, grad_atol=1e-3),
    # diff: narrow - narrow (SubBackward0), after cat for prepend/append
    Spec("diff", lambda t, x: t.diff(x), (A(3, 5),)),
    Spec("diff/n2_dim0", lambda t, x: x.diff(2, 0), (A(5, 3),)),
    Spec("diff/prepend_append", lambda t, x, p, a: t.diff(x, 1, 1, p, a),
         (A(3, 4), A(3, 2), A(3, 1))),
    Spec("diff/append_n3", lambda t, x, a: t.diff(x, n=3, dim=0, append=a),
         (A(2, 3, dtype="float64"), A(2, 3, dtype="float64"))),
    Spec("diff/n0", lambda t, x: t.diff(x, 0), (A(2, 3),)),
    Spec("diff/n_beyond_size", lambda t, x: t.diff(x, 7), (A(2, 3),)),
    _exact("diff/int", lambda t, x: t.diff(x, 2), A(3, 6, **I64)),
    _exact("diff/uint8_wraps", lambda t, x: t.diff(x),
           A(2, 6, dtype="uint8", kind="int", low=0, high=256)),
    _exact("diff/bool_xor", lambda t, x: t.diff(x, 2, 0), A(5, 3, **B)),
    _exact("diff/bool_append_int", lambda t, x, a: t.diff(x, append=a), A(2, 3, **B),
           A(2, 1, **I64)),
    _exact("diff/int_prepend_float", lambda t, x, p: t.diff(x, prepend=p), A(4, **I64),
           A(2, grad=False)),
    _exact("diff/special", lambda t, x: t.diff(x), A(3, 7, **S), grad=False),
]

ERROR_SPECS = [
    ErrorSpec("err/cummax_dim_range", lambda t: t.cummax(t.ones(2), 1)),
    ErrorSpec("err/cummin_dim_float", lambda t: t.cummin(t.ones(2), 0.5)),
    ErrorSpec("err/cummax_not_tensor", lambda t: t.cummax([1.0], 0)),
    ErrorSpec("err/nanmedian_empty_dim", lambda t: t.nanmedian(t.ones(0, 3), 0),
              match="Expected reduction dim 0 to have non-zero size"),
    ErrorSpec("err/nanmedian_bool", lambda t: t.nanmedian(t.ones(2, dtype=t.bool)),
              match="not implemented for 'Bool'"),
    ErrorSpec("err/nanmedian_bool_dim", lambda t: t.nanmedian(t.ones(2, dtype=t.bool), 0),
              match="not implemented for 'Bool'"),
    ErrorSpec("err/nanmedian_dim_range", lambda t: t.nanmedian(t.ones(2), 1)),
    ErrorSpec("err/nanmedian_keepdim_without_dim",
              lambda t: t.nanmedian(t.ones(2), keepdim=True)),
    ErrorSpec("err/diff_0d", lambda t: t.diff(t.tensor(1.0)), match="at least one-dimensional"),
    ErrorSpec("err/diff_negative_n", lambda t: t.diff(t.ones(2, 3), n=-1),
              match="order must be non-negative but got -1"),
    ErrorSpec("err/diff_prepend_shape", lambda t: t.diff(t.ones(2, 3), prepend=t.zeros(3, 1)),
              match=r"input.size\(0\) = 2, but got tensor.size\(0\) = 3"),
    ErrorSpec("err/diff_append_ndim", lambda t: t.diff(t.ones(2, 3), append=t.zeros(1)),
              match="same dimension as input"),
    ErrorSpec("err/diff_n0_still_checks", lambda t: t.diff(t.ones(2, 3), 0, prepend=t.ones(5))),
    ErrorSpec("err/diff_dim_range", lambda t: t.diff(t.ones(2, 3), dim=2)),
    ErrorSpec("err/diff_n_float", lambda t: t.diff(t.ones(3), n=1.5)),
    ErrorSpec("err/diff_n_bool", lambda t: t.diff(t.ones(3), n=True)),
    ErrorSpec("err/diff_prepend_number", lambda t: t.diff(t.ones(3), prepend=1.0)),
    ErrorSpec("err/logcumsumexp_int", lambda t: t.logcumsumexp(t.tensor([1, 2]), 0),
              match="not implemented for 'Long'"),
    ErrorSpec("err/logcumsumexp_bool", lambda t: t.logcumsumexp(t.tensor([True]), 0)),
    ErrorSpec("err/logcumsumexp_dim_range", lambda t: t.logcumsumexp(t.ones(1), 1)),
    ErrorSpec("err/logcumsumexp_no_dim", lambda t: t.logcumsumexp(t.ones(1))),
]

"""Specs for counting, searching, order statistics and grids: bincount, histc, histogram,
searchsorted, bucketize, isin, unique_consecutive (torchlet/_ops/search.py); kthvalue,
aminmax, quantile, nanquantile (torchlet/_ops/reduction/order_stats.py); meshgrid,
cartesian_prod, combinations, tril_indices, triu_indices (torchlet/_ops/grids.py).

Bit-exact (``exact=True``), every forward result: counting, searching, selection and
index sets are integer or selection work; the bin of every element follows torch's kernel
arithmetic in the input's dtype (the specs put many elements exactly on bin edges:
``x * 0.1`` of integers, ranges that do not divide evenly); bin edges are torch 2.13's
linspace (fused multiply-adds); weighted histograms of at most 200 elements add in
torch's order; kthvalue's index among ties is torch's quickselect's; quantile's ranks,
gathers and lerp are torch's operations in torch's dtype and order.

Gradients: bit-exact where they are selections (kthvalue, aminmax without ties,
quantile's gradient with respect to the input); within float rounding (grad_rtol 1e-6)
where they are sums whose order torchlet does not reproduce: the gradient of an expanded
grid (meshgrid, cartesian_prod, combinations), aminmax's split among ties, and quantile's
gradient with respect to a q tensor (summed over the reduced positions).

Not covered on purpose: quantile gradients among ties in slices longer than 16 elements
(torch's sort is then unstable and the gradient lands on an arbitrary one of the tied
elements); weighted float histograms of more than 200 elements (torch adds per-thread
partial sums).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0)
SUMMED = dict(exact=True, grad_rtol=1e-6, grad_atol=1e-6)
NO_GRAD = dict(exact=True, grad=False)
NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)


def N(*shape, dtype=I64, low=0, high=8):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def D(*shape, dtype="float32"):  # noqa: N802 - distinct values (no ties)
    return A(*shape, dtype=dtype, kind="distinct")


def T(*shape, dtype="float32", high=4):  # noqa: N802 - small integers as floats: many ties
    return A(*shape, dtype=dtype, kind="int", low=-high, high=high, grad=True)


def S(*shape, dtype="float32"):  # noqa: N802 - special values
    return A(*shape, dtype=dtype, kind="special")


def _s(name, fn, args, **kw):
    return Spec(f"search_quantiles/{name}", fn, args, **kw)


def _e(name, fn):
    return ErrorSpec(f"search_quantiles/error/{name}", fn)


def _floats(name, fn, make, **kw):
    """The spec in float32 and float64."""
    return [_s(name, fn, make("float32"), **kw), _s(f"{name}/f64", fn, make(F64), **kw)]


SEARCH = [
    # bincount: int64 counts; float32 weights stay float32, other weights give float64
    _s("bincount", lambda t, x: t.bincount(x), (N(30),), **NO_GRAD),
    _s("bincount/minlength", lambda t, x: t.bincount(x, minlength=12), (N(30),), **NO_GRAD),
    _s("bincount/method", lambda t, x: x.bincount(None, 3), (N(30, high=3),), **NO_GRAD),
    _s("bincount/uint8", lambda t, x: t.bincount(x), (N(30, dtype="uint8"),), **NO_GRAD),
    _s("bincount/int8", lambda t, x: t.bincount(x), (N(30, dtype="int8"),), **NO_GRAD),
    _s("bincount/empty", lambda t, x: t.bincount(x, minlength=3), (N(0),), **NO_GRAD),
    _s("bincount/weights", lambda t, x, w: t.bincount(x, w), (N(50), A(50)), **NO_GRAD),
    _s("bincount/weights_f64", lambda t, x, w: t.bincount(x, weights=w, minlength=10),
       (N(50), A(50, dtype=F64)), **NO_GRAD),
    _s("bincount/weights_f16", lambda t, x, w: t.bincount(x, w), (N(50), A(50, dtype=F16)),
       **NO_GRAD),
    _s("bincount/weights_int", lambda t, x, w: t.bincount(x, w), (N(50), N(50, high=100)),
       **NO_GRAD),
    _s("bincount/weights_bool", lambda t, x, w: t.bincount(x, w),
       (N(50), A(50, kind="bool", dtype="bool")), **NO_GRAD),

    # histc: torch's int((x - min) * bins / (max - min)) in the input's dtype
    *_floats("histc", lambda t, x: t.histc(x), lambda d: (A(300, dtype=d),), **EXACT),
    *_floats("histc/edges", lambda t, x: t.histc(x * 0.1, bins=7, min=-0.7, max=0.7),
             lambda d: (T(200, dtype=d, high=9),), **NO_GRAD),
    *_floats("histc/uneven", lambda t, x: t.histc(x * 0.1, bins=9, min=-0.35, max=0.8),
             lambda d: (T(200, dtype=d, high=9),), **NO_GRAD),
    _s("histc/f16", lambda t, x: t.histc(x * 0.1, bins=7, min=-0.7, max=0.7),
       (T(200, dtype=F16, high=9),), **NO_GRAD),
    _s("histc/data_range", lambda t, x: t.histc(x, bins=6), (T(5, 7),), **NO_GRAD),
    _s("histc/point", lambda t, x: t.histc(x * 0 + 2, bins=4), (A(6),), **NO_GRAD),
    _s("histc/scalar", lambda t, x: t.histc(x, bins=5), (A(),), **NO_GRAD),
    _s("histc/empty", lambda t, x: t.histc(x, bins=3), (A(0),), **NO_GRAD),
    _s("histc/special", lambda t, x: t.histc(x, bins=10, min=-3, max=3), (S(64),), **NO_GRAD),
    _s("histc/method", lambda t, x: x.histc(5, -1, 1), (A(40),), **NO_GRAD),

    # histogram: bin count (linspace edges + local search) or explicit edges
    *_floats("histogram", lambda t, x: t.histogram(x, 7), lambda d: (A(4, 30, dtype=d),),
             **NO_GRAD),
    *_floats("histogram/edges", lambda t, x: t.histogram(x * 0.1, 7),
             lambda d: (T(200, dtype=d, high=9),), **NO_GRAD),
    *_floats("histogram/range", lambda t, x: t.histogram(x * 0.1, 9, range=(-0.35, 0.8)),
             lambda d: (T(200, dtype=d, high=9),), **NO_GRAD),
    *_floats("histogram/bins_tensor",
             lambda t, x: t.histogram(x * 0.1, t.tensor([-0.5, -0.1, 0.0, 0.3, 0.7],
                                                       dtype=x.dtype)),
             lambda d: (T(100, dtype=d, high=9),), **NO_GRAD),
    _s("histogram/unsorted_bins", lambda t, x: t.histogram(x, t.tensor([2.0, -1.0, 5.0])),
       (T(50),), **NO_GRAD),
    *_floats("histogram/weight", lambda t, x, w: t.histogram(x, 6, weight=w),
             lambda d: (A(150, dtype=d), A(150, dtype=d)), **NO_GRAD),
    *_floats("histogram/density", lambda t, x: t.histogram(x, 5, density=True),
             lambda d: (A(150, dtype=d),), **NO_GRAD),
    _s("histogram/density_weight", lambda t, x, w: t.histogram(x, 5, weight=w, density=True),
       (A(150), A(150, kind="positive")), **NO_GRAD),
    _s("histogram/f16_range", lambda t, x: t.histogram(x, 4, range=(-1.0, 1.0)),
       (A(30, dtype=F16),), **NO_GRAD),
    _s("histogram/point", lambda t, x: t.histogram(x * 0 + 1, 4), (A(5),), **NO_GRAD),
    _s("histogram/empty", lambda t, x: t.histogram(x, 3), (A(0),), **NO_GRAD),
    _s("histogram/scalar", lambda t, x: t.histogram(x, 2), (A(),), **NO_GRAD),
    _s("histogram/special_range", lambda t, x: t.histogram(x, 6, range=(-3.0, 3.0)),
       (S(64),), **NO_GRAD),
    _s("histogram/method", lambda t, x: x.histogram(4, range=(0.0, 1.0)), (A(30),), **NO_GRAD),

    # searchsorted / bucketize: torch's lower/upper bound (NaN: !(mid >= v))
    _s("searchsorted", lambda t, s, v: t.searchsorted(s.sort().values, v),
       (T(20), T(4, 5)), **NO_GRAD),
    _s("searchsorted/right", lambda t, s, v: t.searchsorted(s.sort().values, v, right=True),
       (T(20), T(4, 5)), **NO_GRAD),
    _s("searchsorted/side", lambda t, s, v: t.searchsorted(s.sort().values, v, side="right",
                                                           out_int32=True),
       (T(20), T(4, 5)), **NO_GRAD),
    _s("searchsorted/rows", lambda t, s, v: t.searchsorted(s.sort(-1).values, v),
       (T(3, 2, 9), T(3, 2, 5)), **NO_GRAD),
    _s("searchsorted/sorter", lambda t, s, v: t.searchsorted(s, v, sorter=s.argsort()),
       (D(12, dtype=F64), A(7, dtype=F64)), **NO_GRAD),
    _s("searchsorted/sorter_rows",
       lambda t, s, v: t.searchsorted(s, v, side="right", sorter=s.argsort(dim=-1, stable=True)),
       (T(3, 10), T(3, 4)), **NO_GRAD),
    _s("searchsorted/int", lambda t, s, v: t.searchsorted(s.sort().values, v),
       (N(15, high=20), N(6, high=20)), **NO_GRAD),
    _s("searchsorted/mixed", lambda t, s, v: t.searchsorted(s.sort().values, v),
       (N(15, high=20), A(6, low=0, high=20)), **NO_GRAD),
    _s("searchsorted/f16_f32", lambda t, s, v: t.searchsorted(s.sort().values, v),
       (A(15, dtype=F16), A(6)), **NO_GRAD),
    _s("searchsorted/number", lambda t, s: t.searchsorted(s.sort().values, 0.5),
       (A(15),), **NO_GRAD),
    _s("searchsorted/int_number", lambda t, s: t.searchsorted(s.sort().values, 3),
       (N(15),), **NO_GRAD),
    _s("searchsorted/special", lambda t, s, v: t.searchsorted(s.sort().values, v),
       (S(21), S(40)), **NO_GRAD),
    _s("searchsorted/special_right", lambda t, s, v: t.searchsorted(s, v, right=True),
       (S(21), S(40)), **NO_GRAD),  # unsorted with NaN: the halving steps decide
    _s("searchsorted/empty", lambda t, s, v: t.searchsorted(s, v), (A(0), A(3)), **NO_GRAD),
    _s("searchsorted/empty_values", lambda t, s, v: t.searchsorted(s, v), (A(4), A(0)),
       **NO_GRAD),
    _s("bucketize", lambda t, x, b: t.bucketize(x, b.sort().values), (T(4, 6), T(9)),
       **NO_GRAD),
    _s("bucketize/right", lambda t, x, b: t.bucketize(x, b.sort().values, right=True,
                                                      out_int32=True),
       (T(4, 6), T(9)), **NO_GRAD),
    _s("bucketize/number", lambda t, b: t.bucketize(1, b.sort().values), (T(9),), **NO_GRAD),
    _s("bucketize/scalar", lambda t, x, b: t.bucketize(x, b.sort().values), (T(), T(9)),
       **NO_GRAD),

    # isin: common dtype, NaN equals nothing, numbers on either side
    _s("isin", lambda t, x, y: t.isin(x, y), (N(4, 6, high=10), N(5, high=10)), **NO_GRAD),
    _s("isin/invert", lambda t, x, y: t.isin(x, y, invert=True),
       (N(4, 6, high=10), N(5, high=10)), **NO_GRAD),
    _s("isin/assume_unique", lambda t, x, y: t.isin(x.unique(), y.unique(), assume_unique=True),
       (N(20, high=10), N(5, high=10)), **NO_GRAD),
    _s("isin/floats", lambda t, x, y: t.isin(x * 0.5, y), (T(30), T(8)), **NO_GRAD),
    _s("isin/mixed", lambda t, x, y: t.isin(x, y * 0.5), (N(30, high=5), T(8)), **NO_GRAD),
    _s("isin/uint8_int", lambda t, x, y: t.isin(x, y - 256),
       (N(30, dtype="uint8", high=5), N(8, high=260)), **NO_GRAD),
    _s("isin/special", lambda t, x, y: t.isin(x, y), (S(40), S(10)), **NO_GRAD),
    _s("isin/number", lambda t, x: t.isin(x, 2), (N(10, high=4),), **NO_GRAD),
    _s("isin/float_number", lambda t, x: t.isin(x, 2.5), (N(10, high=4),), **NO_GRAD),
    _s("isin/number_first", lambda t, y: t.isin(3, y), (N(10, high=6),), **NO_GRAD),
    _s("isin/empty", lambda t, x, y: t.isin(x, y), (N(5), N(0)), **NO_GRAD),
    _s("isin/f16", lambda t, x, y: t.isin(x, y), (T(20, dtype=F16), T(5)), **NO_GRAD),

    # unique_consecutive: runs of equal elements / slices
    _s("unique_consecutive", lambda t, x: t.unique_consecutive(x), (N(30, high=3),), **NO_GRAD),
    _s("unique_consecutive/all",
       lambda t, x: t.unique_consecutive(x, return_inverse=True, return_counts=True),
       (N(4, 8, high=2),), **NO_GRAD),
    _s("unique_consecutive/counts", lambda t, x: x.unique_consecutive(return_counts=True),
       (T(30, high=1),), **NO_GRAD),
    _s("unique_consecutive/inverse", lambda t, x: x.unique_consecutive(True),
       (T(30, high=1),), **NO_GRAD),
    _s("unique_consecutive/dim0",
       lambda t, x: t.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0),
       (N(12, 2, high=2),), **NO_GRAD),
    _s("unique_consecutive/dim_last",
       lambda t, x: t.unique_consecutive(x, True, True, dim=-1), (N(2, 12, high=2),),
       **NO_GRAD),
    _s("unique_consecutive/special", lambda t, x: t.unique_consecutive(x, return_counts=True),
       (S(30),), **NO_GRAD),
    _s("unique_consecutive/scalar", lambda t, x: t.unique_consecutive(x, True, True),
       (A(),), **NO_GRAD),
    _s("unique_consecutive/empty", lambda t, x: t.unique_consecutive(x, True, True),
       (A(0),), **NO_GRAD),
    _s("unique_consecutive/empty_dim", lambda t, x: t.unique_consecutive(x, True, True, dim=1),
       (A(2, 0),), **NO_GRAD),
    _s("unique_consecutive/bool", lambda t, x: t.unique_consecutive(x, return_counts=True),
       (A(20, kind="bool", dtype="bool"),), **NO_GRAD),
]

ORDER_STATS = [
    # kthvalue: values, indices (torch's quickselect index among ties)
    *_floats("kthvalue", lambda t, x: t.kthvalue(x, 3), lambda d: (D(4, 9, dtype=d),), **EXACT),
    _s("kthvalue/dim0_keepdim", lambda t, x: t.kthvalue(x, 2, 0, True), (D(5, 6),), **EXACT),
    _s("kthvalue/method", lambda t, x: x.kthvalue(7, dim=-2), (D(3, 8, 2),), **EXACT),
    _s("kthvalue/ties", lambda t, x: t.kthvalue(x, 5), (T(6, 13, high=2),),
       **EXACT, **NO_GRADCHECK),
    _s("kthvalue/ties_long", lambda t, x: t.kthvalue(x, 40, 0), (T(100, 3, high=3),),
       **EXACT, **NO_GRADCHECK),
    _s("kthvalue/int", lambda t, x: t.kthvalue(x, 4), (N(5, 11, high=4),), **EXACT),
    _s("kthvalue/f16", lambda t, x: t.kthvalue(x, 4), (T(5, 11, dtype=F16),),
       **EXACT, **NO_GRADCHECK),
    _s("kthvalue/special", lambda t, x: t.kthvalue(x, 15), (S(3, 21),),
       **EXACT, **NO_GRADCHECK),
    _s("kthvalue/scalar", lambda t, x: t.kthvalue(x, 1), (A(),), **EXACT),
    _s("kthvalue/empty_other_dim", lambda t, x: t.kthvalue(x, 1, 0), (A(2, 0),), **EXACT),

    # aminmax: gradient split evenly among ties, as amin/amax
    *_floats("aminmax", lambda t, x: t.aminmax(x), lambda d: (D(4, 9, dtype=d),), **EXACT),
    _s("aminmax/dim", lambda t, x: t.aminmax(x, dim=1), (D(4, 9),), **EXACT),
    _s("aminmax/dim_keepdim", lambda t, x: x.aminmax(dim=-3, keepdim=True), (D(3, 4, 2),),
       **EXACT),
    _s("aminmax/keepdim_all", lambda t, x: t.aminmax(x, keepdim=True), (D(3, 4),), **EXACT),
    _s("aminmax/ties", lambda t, x: t.aminmax(x, dim=0), (T(7, 5, high=2),),
       **SUMMED, **NO_GRADCHECK),
    _s("aminmax/ties_all", lambda t, x: t.aminmax(x), (T(7, 5, high=2),),
       **SUMMED, **NO_GRADCHECK),
    _s("aminmax/only_max", lambda t, x: t.aminmax(x, dim=1).max, (T(7, 5, high=2),),
       **SUMMED, **NO_GRADCHECK),
    _s("aminmax/int", lambda t, x: t.aminmax(x, dim=0), (N(5, 4),), **EXACT),
    _s("aminmax/bool", lambda t, x: t.aminmax(x), (A(5, 4, kind="bool", dtype="bool"),),
       **EXACT),
    _s("aminmax/f16", lambda t, x: t.aminmax(x, dim=1), (A(5, 4, dtype=F16),),
       **EXACT, **NO_GRADCHECK),
    _s("aminmax/special", lambda t, x: t.aminmax(x, dim=1), (S(4, 16),),
       **EXACT, grad=False),
    _s("aminmax/scalar", lambda t, x: t.aminmax(x, dim=0), (A(),), **EXACT),
    _s("aminmax/empty_other_dim", lambda t, x: t.aminmax(x, dim=0), (A(2, 0),), **EXACT),
]


def _q(t, x, *values):
    """A q tensor of x's dtype."""
    return t.tensor(list(values), dtype=x.dtype)


def _nan_where_negative(t, x):
    return t.where(x > 0, x, float("nan"))


def _quantile_specs(fn_name):
    q = f"{fn_name}"
    f = lambda t, *a, **k: getattr(t, fn_name)(*a, **k)  # noqa: E731
    specs = [
        *_floats(q, lambda t, x: f(t, x, 0.3), lambda d: (D(5, 7, dtype=d),), **EXACT),
        *_floats(f"{q}/dim", lambda t, x: f(t, x, 0.65, dim=1),
                 lambda d: (D(5, 7, dtype=d),), **EXACT),
        _s(f"{q}/dim0_keepdim", lambda t, x: f(t, x, 0.65, 0, True), (D(5, 7),), **EXACT),
        _s(f"{q}/keepdim_all", lambda t, x: f(t, x, 0.65, keepdim=True), (D(3, 4),), **EXACT),
        _s(f"{q}/q_tensor", lambda t, x, p: f(t, x, p, dim=-1), (D(3, 2, 9), A(4, low=0, high=1)),
           **SUMMED),
        _s(f"{q}/q_tensor_all", lambda t, x, p: f(t, x, p), (D(3, 9), A(4, low=0, high=1)),
           **EXACT),
        _s(f"{q}/q_tensor_keepdim", lambda t, x, p: f(t, x, p, 1, True),
           (D(3, 9, 2, dtype=F64), A(3, low=0, high=1, dtype=F64)), **SUMMED),
        _s(f"{q}/q_scalar_tensor", lambda t, x, p: f(t, x, p, 0), (D(6, 3), A(low=0, high=1)),
           **EXACT),
        _s(f"{q}/q_ends", lambda t, x: f(t, x, _q(t, x, 0.0, 1.0, 0.5), 0), (D(6, 3),), **EXACT),
        _s(f"{q}/ties", lambda t, x: f(t, x, t.tensor([0.1, 0.5, 0.77]), 1),
           (T(4, 16, high=2),), **EXACT, **NO_GRADCHECK),
        _s(f"{q}/scalar", lambda t, x: f(t, x, 0.4, 0, True), (A(),), **EXACT),
        _s(f"{q}/special", lambda t, x: f(t, x, t.tensor([0.2, 0.5, 0.9]), 1), (S(4, 16),),
           **EXACT, grad=False),
        _s(f"{q}/method", lambda t, x: getattr(x, fn_name)(0.25, -1), (D(3, 8),), **EXACT),
    ]
    for mode in ("lower", "higher", "midpoint", "nearest"):
        specs.append(_s(f"{q}/{mode}",
                        lambda t, x, p, mode=mode: f(t, x, p, dim=1, interpolation=mode),
                        (D(3, 9), A(5, low=0, high=1)), **EXACT))
        specs.append(_s(f"{q}/{mode}/half_ranks",  # q * 8 lands on .5: round half to even
                        lambda t, x, mode=mode: f(t, x, _q(t, x, 1 / 16, 3 / 16, 0.5, 5 / 16),
                                                  dim=1, interpolation=mode),
                        (D(3, 9),), **EXACT))
    return specs


NAN_QUANTILE = [
    _s("nanquantile/nan_rows",
       lambda t, x: t.nanquantile(_nan_where_negative(t, x), _q(t, x, 0.2, 0.5, 0.9), 1),
       (A(5, 8, low=-0.3, high=2),), **EXACT, **NO_GRADCHECK),
    _s("quantile/nan_rows",
       lambda t, x: t.quantile(_nan_where_negative(t, x), _q(t, x, 0.2, 0.5, 0.9), 1),
       (A(5, 8, low=-0.3, high=2),), **EXACT, **NO_GRADCHECK),
    _s("nanquantile/all_nan", lambda t, x: t.nanquantile(x * float("nan"), 0.5, 0), (A(4, 3),),
       **EXACT, **NO_GRADCHECK),
]

GRIDS = [
    _s("meshgrid/ij", lambda t, a, b, c: t.meshgrid(a, b, c, indexing="ij"),
       (A(3), A(4), A(2)), **SUMMED),
    _s("meshgrid/xy", lambda t, a, b, c: t.meshgrid(a, b, c, indexing="xy"),
       (A(3), A(4), A(2)), **SUMMED),
    _s("meshgrid/list", lambda t, a, b: t.meshgrid([a, b], indexing="xy"), (A(3), A(4)),
       **SUMMED),
    _s("meshgrid/one", lambda t, a: t.meshgrid(a, indexing="xy"), (A(3),), **SUMMED),
    _s("meshgrid/scalar", lambda t, a, b: t.meshgrid(a, b, indexing="xy"), (A(), A(4)),
       **SUMMED),
    _s("meshgrid/empty", lambda t, a, b: t.meshgrid(a, b, indexing="ij"), (A(0), A(4)),
       **SUMMED),
    _s("meshgrid/int", lambda t, a, b: t.meshgrid(a, b, indexing="ij"), (N(3), N(2)), **EXACT),
    _s("cartesian_prod", lambda t, a, b: t.cartesian_prod(a, b), (A(3), A(4)), **SUMMED),
    _s("cartesian_prod/three", lambda t, a, b, c: t.cartesian_prod(a, b, c),
       (N(3), N(2), N(4)), **EXACT),
    _s("cartesian_prod/one", lambda t, a: t.cartesian_prod(a), (A(3),), **EXACT),
    _s("cartesian_prod/empty", lambda t, a, b: t.cartesian_prod(a, b), (A(3), A(0)), **SUMMED),
    _s("combinations", lambda t, a: t.combinations(a), (A(5),), **SUMMED),
    _s("combinations/r3", lambda t, a: t.combinations(a, 3), (A(5),), **SUMMED),
    _s("combinations/replacement", lambda t, a: t.combinations(a, r=3, with_replacement=True),
       (A(4),), **SUMMED),
    _s("combinations/r1", lambda t, a: t.combinations(a, 1), (A(4),), **SUMMED),
    _s("combinations/r0", lambda t, a: t.combinations(a, 0), (A(4),), **EXACT),
    _s("combinations/too_many", lambda t, a: t.combinations(a, 5), (A(3),), **EXACT),
    _s("combinations/int", lambda t, a: t.combinations(a), (N(6),), **EXACT),
    _s("combinations/empty", lambda t, a: t.combinations(a), (A(0),), **EXACT),
    _s("tril_indices", lambda t: t.tril_indices(4, 6), (), **EXACT),
    _s("tril_indices/offset", lambda t: t.tril_indices(5, 3, 1, dtype=t.int32), (), **EXACT),
    _s("tril_indices/negative", lambda t: t.tril_indices(5, 4, -2), (), **EXACT),
    _s("tril_indices/beyond", lambda t: t.tril_indices(3, 3, -5), (), **EXACT),
    _s("tril_indices/empty", lambda t: t.tril_indices(0, 3), (), **EXACT),
    _s("triu_indices", lambda t: t.triu_indices(4, 6), (), **EXACT),
    _s("triu_indices/offset", lambda t: t.triu_indices(5, 3, -1), (), **EXACT),
    _s("triu_indices/positive", lambda t: t.triu_indices(4, 7, 3, dtype=t.int32), (), **EXACT),
    _s("triu_indices/beyond", lambda t: t.triu_indices(3, 3, 9), (), **EXACT),
]

SPECS = [*SEARCH, *ORDER_STATS, *_quantile_specs("quantile"), *_quantile_specs("nanquantile"),
         *NAN_QUANTILE, *GRIDS]


def _t(t, *values, **kw):
    return t.tensor(list(values), **kw)


ERROR_SPECS = [
    _e("bincount/float", lambda t: t.bincount(_t(t, 1.0, 2.0))),
    _e("bincount/bool", lambda t: t.bincount(_t(t, True, False))),
    _e("bincount/negative", lambda t: t.bincount(_t(t, -1, 2))),
    _e("bincount/2d", lambda t: t.bincount(t.tensor([[1, 2]]))),
    _e("bincount/scalar", lambda t: t.bincount(t.tensor(3))),
    _e("bincount/minlength", lambda t: t.bincount(_t(t, 1, 2), minlength=-1)),
    _e("bincount/weights_length", lambda t: t.bincount(_t(t, 1, 2), t.ones(3))),
    _e("histc/int", lambda t: t.histc(_t(t, 1, 2, 3))),
    _e("histc/bins", lambda t: t.histc(_t(t, 1.0, 2.0), bins=0)),
    _e("histc/min_max", lambda t: t.histc(_t(t, 1.0, 2.0), bins=3, min=3, max=1)),
    _e("histc/inf", lambda t: t.histc(_t(t, 1.0, float("inf")), bins=3)),
    _e("histc/nan", lambda t: t.histc(_t(t, 1.0, float("nan")), bins=3)),
    _e("histc/inf_range", lambda t: t.histc(_t(t, 1.0), bins=3, min=0, max=float("inf"))),
    _e("histogram/int", lambda t: t.histogram(_t(t, 1, 2), 3)),
    _e("histogram/f16", lambda t: t.histogram(_t(t, 1.0, 2.0, dtype=t.float16), 3)),
    _e("histogram/bins", lambda t: t.histogram(_t(t, 1.0, 2.0), 0)),
    _e("histogram/bins_list", lambda t: t.histogram(_t(t, 1.0, 2.0), [0.0, 1.0])),
    _e("histogram/range_order", lambda t: t.histogram(_t(t, 1.0, 2.0), 3, range=(2.0, 0.0))),
    _e("histogram/inf", lambda t: t.histogram(_t(t, 1.0, float("inf")), 3)),
    _e("histogram/nan", lambda t: t.histogram(_t(t, 1.0, float("nan")), 3)),
    _e("histogram/bins_dtype", lambda t: t.histogram(_t(t, 1.0, 2.0), _t(t, 0, 1, 5))),
    _e("histogram/bins_2d", lambda t: t.histogram(_t(t, 1.0, 2.0), t.tensor([[0.0, 1.0]]))),
    _e("histogram/bins_one", lambda t: t.histogram(_t(t, 1.0, 2.0), _t(t, 0.0))),
    _e("histogram/weight_shape", lambda t: t.histogram(_t(t, 1.0, 2.0), 3, weight=t.ones(3))),
    _e("histogram/weight_dtype",
       lambda t: t.histogram(_t(t, 1.0, 2.0), 3, weight=t.ones(2, dtype=t.float64))),
    _e("searchsorted/side", lambda t: t.searchsorted(_t(t, 1.0, 2.0), _t(t, 1.5), side="mid")),
    _e("searchsorted/opposites",
       lambda t: t.searchsorted(_t(t, 1.0, 2.0), _t(t, 1.5), side="left", right=True)),
    _e("searchsorted/dims",
       lambda t: t.searchsorted(t.tensor([[1.0, 2.0], [3.0, 4.0]]), _t(t, 1.5))),
    _e("searchsorted/scalar_seq", lambda t: t.searchsorted(t.tensor(1.0), _t(t, 1.5))),
    _e("searchsorted/scalar_values_2d",
       lambda t: t.searchsorted(t.tensor([[1.0, 2.0]]), t.tensor(1.5))),
    _e("searchsorted/sorter_range",
       lambda t: t.searchsorted(_t(t, 3.0, 1.0, 2.0), _t(t, 2.5), sorter=_t(t, 1, 2, 5))),
    _e("searchsorted/sorter_size",
       lambda t: t.searchsorted(_t(t, 3.0, 1.0, 2.0), _t(t, 2.5), sorter=_t(t, 1, 2))),
    _e("searchsorted/sorter_dtype",
       lambda t: t.searchsorted(_t(t, 3.0, 1.0, 2.0), _t(t, 2.5),
                                sorter=_t(t, 1, 2, 0, dtype=t.int32))),
    _e("searchsorted/bool", lambda t: t.searchsorted(_t(t, False, True), _t(t, True))),
    _e("bucketize/2d", lambda t: t.bucketize(_t(t, 1.0), t.tensor([[1.0, 2.0]]))),
    _e("isin/bool", lambda t: t.isin(_t(t, True, False), _t(t, True))),
    _e("isin/bool_test", lambda t: t.isin(_t(t, 1, 2), _t(t, True))),
    _e("isin/numbers", lambda t: t.isin(2, 3)),
    _e("unique_consecutive/scalar_dim", lambda t: t.unique_consecutive(t.tensor(3.0), dim=0)),
    _e("unique_consecutive/zero_dims",
       lambda t: t.unique_consecutive(t.zeros(2, 0), dim=0)),
    _e("unique_consecutive/dim", lambda t: t.unique_consecutive(t.zeros(2, 2), dim=2)),
    _e("unique_consecutive/backward",
       lambda t: t.unique_consecutive(_t(t, 1.0, 1.0, requires_grad=True)).sum().backward()),
    _e("kthvalue/k_large", lambda t: t.kthvalue(t.ones(2, 3), 4)),
    _e("kthvalue/k_zero", lambda t: t.kthvalue(t.ones(2, 3), 0)),
    _e("kthvalue/scalar_k", lambda t: t.kthvalue(t.tensor(3.0), 2)),
    _e("kthvalue/empty", lambda t: t.kthvalue(t.zeros(0), 1)),
    _e("kthvalue/empty_dim", lambda t: t.kthvalue(t.zeros(2, 0), 1)),
    _e("kthvalue/bool", lambda t: t.kthvalue(_t(t, True, False), 1)),
    _e("kthvalue/dim", lambda t: t.kthvalue(t.ones(2, 3), 1, dim=2)),
    _e("kthvalue/float_k", lambda t: t.kthvalue(t.ones(2, 3), 1.0)),
    _e("aminmax/empty", lambda t: t.aminmax(t.zeros(0))),
    _e("aminmax/empty_dim", lambda t: t.aminmax(t.zeros(2, 0), dim=1)),
    _e("aminmax/dim", lambda t: t.aminmax(t.zeros(2, 3), dim=2)),
    _e("quantile/q_range", lambda t: t.quantile(t.ones(3), 1.5)),
    _e("quantile/q_tensor_range", lambda t: t.quantile(t.ones(3), _t(t, 0.5, -0.1))),
    _e("quantile/q_dtype", lambda t: t.quantile(t.ones(3), _t(t, 0.5, dtype=t.float64))),
    _e("quantile/q_2d", lambda t: t.quantile(t.ones(3), t.tensor([[0.5]]))),
    _e("quantile/q_list", lambda t: t.quantile(t.ones(3), [0.5])),
    _e("quantile/int", lambda t: t.quantile(_t(t, 1, 2), 0.5)),
    _e("quantile/f16", lambda t: t.quantile(t.ones(3, dtype=t.float16), 0.5)),
    _e("quantile/empty", lambda t: t.quantile(t.zeros(0), 0.5)),
    _e("quantile/empty_dim", lambda t: t.quantile(t.zeros(2, 0), 0.5, dim=0)),
    _e("quantile/interpolation", lambda t: t.quantile(t.ones(3), 0.5, interpolation="foo")),
    _e("quantile/dim", lambda t: t.quantile(t.ones(3), 0.5, dim=1)),
    _e("nanquantile/q_range", lambda t: t.nanquantile(t.ones(3), -0.5)),
    _e("nanquantile/int", lambda t: t.nanquantile(_t(t, 1, 2), 0.5)),
    _e("meshgrid/dtypes", lambda t: t.meshgrid(t.ones(2), _t(t, 1, 2), indexing="ij")),
    _e("meshgrid/indexing", lambda t: t.meshgrid(t.ones(2), t.ones(3), indexing="foo")),
    _e("meshgrid/2d", lambda t: t.meshgrid(t.ones(2, 2), t.ones(3), indexing="ij")),
    _e("meshgrid/empty", lambda t: t.meshgrid(indexing="ij")),
    _e("meshgrid/not_tensor", lambda t: t.meshgrid(t.ones(2), 3, indexing="ij")),
    _e("cartesian_prod/2d", lambda t: t.cartesian_prod(t.ones(2), t.ones(2, 2))),
    _e("cartesian_prod/none", lambda t: t.cartesian_prod()),
    _e("cartesian_prod/dtypes", lambda t: t.cartesian_prod(t.ones(2), _t(t, 1, 2))),
    _e("combinations/2d", lambda t: t.combinations(t.ones(2, 2))),
    _e("combinations/scalar", lambda t: t.combinations(t.tensor(1.0))),
    _e("combinations/negative", lambda t: t.combinations(t.ones(3), -1)),
    _e("tril_indices/row", lambda t: t.tril_indices(-1, 3)),
    _e("tril_indices/col", lambda t: t.tril_indices(3, -2)),
    _e("tril_indices/float", lambda t: t.tril_indices(3, 3, dtype=t.float32)),
    _e("tril_indices/int16", lambda t: t.tril_indices(3, 3, dtype=t.int16)),
    _e("tril_indices/float_row", lambda t: t.tril_indices(3.0, 3)),
    _e("triu_indices/row", lambda t: t.triu_indices(-1, 3)),
    _e("triu_indices/bool", lambda t: t.triu_indices(3, 3, dtype=t.bool)),
]

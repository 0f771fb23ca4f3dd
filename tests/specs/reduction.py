"""Specs for reductions (torchlet/_ops/reduction): sums, extrema, statistics, sorting.

Integer results, indices, extrema and sorted values, and cumsum/cumprod are compared bit
for bit; float sums within rounding. Inputs for max/sort/topk/median use 'distinct'
values so that torch's choice among ties never matters (ties are covered, with torch's
conventions, in tests/test_reduction.py).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
INF = float("inf")
I64 = dict(dtype="int64", kind="int", low=-5, high=6)
D = dict(kind="distinct")


def _exact(name, fn, *args, **kw):
    return Spec(name, fn, args, exact=True, **kw)


SPECS = [
    # sum / mean / nansum / nanmean / prod
    Spec("sum", lambda t, x: x.sum(), (A(3, 4, 5),)),
    Spec("sum/dim", lambda t, x: x.sum(1), (A(3, 4, 5),)),
    Spec("sum/tuple_keepdim", lambda t, x: t.sum(x, (0, -1), keepdim=True), (A(3, 4, 5),)),
    Spec("sum/list", lambda t, x: x.sum([2, 0]), (A(3, 4, 5),)),
    Spec("sum/empty_dims", lambda t, x: x.sum(()), (A(3, 4),)),
    Spec("sum/dtype", lambda t, x: x.sum(1, dtype=t.float64), (A(3, 4),)),
    _exact("sum/int", lambda t, x: x.sum(0), A(3, 4, **I64)),
    _exact("sum/bool", lambda t, x: x.sum(), A(3, 4, dtype="bool", kind="bool")),
    Spec("mean", lambda t, x: x.mean(), (A(3, 4, 5),)),
    Spec("mean/dims", lambda t, x: x.mean((0, 2), keepdim=True), (A(3, 4, 5),)),
    Spec("mean/dtype", lambda t, x: x.mean(-1, dtype=t.float64), (A(3, 4),)),
    Spec("nansum", lambda t, x: t.nansum(x, 1), (A(3, 4),)),
    Spec("nanmean", lambda t, x: t.nanmean(x, 0), (A(3, 4),)),
    Spec("prod", lambda t, x: x.prod(), (A(2, 3, kind="positive"),)),
    Spec("prod/dim", lambda t, x: x.prod(1, keepdim=True), (A(3, 4),)),
    _exact("prod/int", lambda t, x: x.prod(1), A(3, 4, **I64)),
    # max / min / amax / amin / argmax / argmin
    _exact("max", lambda t, x: x.max(), A(3, 4, **D)),
    _exact("max/dim", lambda t, x: x.max(1), A(3, 4, **D)),
    _exact("max/dim_keepdim", lambda t, x: t.max(x, 0, keepdim=True), A(3, 4, **D)),
    _exact("min/dim", lambda t, x: x.min(-1), A(3, 4, **D)),
    _exact("max/other", lambda t, x, y: t.max(x, y), A(5, **D), A(5, kind="uniform")),
    _exact("amax", lambda t, x: x.amax((0, 2)), A(3, 4, 2, **D)),
    _exact("amin", lambda t, x: t.amin(x, 1, keepdim=True), A(3, 4, **D)),
    _exact("argmax", lambda t, x: x.argmax(), A(3, 4, **D)),
    _exact("argmin/dim", lambda t, x: x.argmin(0, keepdim=True), A(3, 4, **D)),
    _exact("max/int", lambda t, x: x.max(1), A(3, 4, **I64)),
    # logsumexp
    Spec("logsumexp", lambda t, x: x.logsumexp(1), (A(3, 4),)),
    Spec("logsumexp/dims", lambda t, x: t.logsumexp(x, (0, 1), keepdim=True), (A(3, 4),)),
    # var / std / var_mean / std_mean
    Spec("var", lambda t, x: x.var(), (A(3, 4),)),
    Spec("var/dim_unbiased", lambda t, x: x.var(1, False), (A(3, 4),)),
    Spec("var/correction", lambda t, x: t.var(x, (0, 1), correction=2, keepdim=True),
         (A(3, 4, 2),)),
    Spec("std", lambda t, x: x.std(0), (A(3, 4),)),
    Spec("var_mean", lambda t, x: t.var_mean(x, 1), (A(3, 4),)),
    Spec("std_mean", lambda t, x: t.std_mean(x), (A(3, 4),)),
    # norm
    Spec("norm", lambda t, x: x.norm(), (A(3, 4),)),
    Spec("norm/dim", lambda t, x: x.norm(dim=1, keepdim=True), (A(3, 4),)),
    Spec("norm/p1", lambda t, x: x.norm(1, 0), (A(3, 4),)),
    Spec("norm/p3", lambda t, x: x.norm(3), (A(3, 4),)),
    Spec("norm/p0.5", lambda t, x: x.norm(0.5, 1), (A(3, 4, kind="positive"),)),
    Spec("norm/inf", lambda t, x: x.norm(INF, 1), (A(3, 4),)),
    Spec("norm/neg_inf", lambda t, x: x.norm(-INF), (A(3, 4),)),
    Spec("norm/nuc", lambda t, x: x.norm("nuc"), (A(4, 3),), gradgradcheck=False),
    # all / any / count_nonzero
    _exact("all", lambda t, x: x.all(1), A(3, 4, dtype="bool", kind="bool")),
    _exact("any/uint8", lambda t, x: x.any(0), A(3, 4, dtype="uint8", kind="int", low=0, high=2)),
    _exact("count_nonzero", lambda t, x: t.count_nonzero(x, 1), A(3, 4, **I64)),
    # cumsum / cumprod: float32 accumulated in float64, as torch: bit-exact
    _exact("cumsum", lambda t, x: x.cumsum(1), A(3, 4)),
    _exact("cumsum/int", lambda t, x: x.cumsum(0), A(3, 4, **I64)),
    _exact("cumprod", lambda t, x: x.cumprod(-1), A(3, 4)),
    # sort / argsort / topk / unique / median / mode
    _exact("sort", lambda t, x: x.sort(), A(3, 4, **D)),
    _exact("sort/descending", lambda t, x: t.sort(x, 0, True), A(3, 4, **D)),
    _exact("sort/stable_int", lambda t, x: t.sort(x, stable=True, dim=1), A(3, 6, **I64)),
    _exact("argsort", lambda t, x: x.argsort(1, descending=True), A(3, 4, **D)),
    _exact("topk", lambda t, x: x.topk(2), A(3, 4, **D)),
    _exact("topk/smallest", lambda t, x: x.topk(2, 0, largest=False), A(3, 4, **D)),
    _exact("unique", lambda t, x: t.unique(x, return_inverse=True, return_counts=True),
           A(3, 4, **I64)),
    _exact("unique/dim", lambda t, x: t.unique(x, dim=0),
           A(4, 2, dtype="int64", kind="int", low=0, high=2)),
    _exact("median", lambda t, x: t.median(x), A(3, 4, **D)),
    _exact("median/dim", lambda t, x: t.median(x, 1), A(3, 5, **D)),
    _exact("mode", lambda t, x: t.mode(x, 1), A(3, 6, **I64)),
]

ERROR_SPECS = [
    ErrorSpec("err/sum_dim_range", lambda t: t.ones(2, 3).sum(2)),
    ErrorSpec("err/sum_repeated_dim", lambda t: t.ones(2, 3).sum((0, 0)),
              match="appears multiple times"),
    ErrorSpec("err/mean_int", lambda t: t.arange(3).mean(), match="could not infer output"),
    ErrorSpec("err/max_empty", lambda t: t.ones(0, 3).max()),
    ErrorSpec("err/max_empty_dim", lambda t: t.ones(0, 3).max(0)),
    ErrorSpec("err/argmax_bool", lambda t: t.ones(2, dtype=t.bool).argmax()),
    ErrorSpec("err/var_int", lambda t: t.arange(3).var()),
    ErrorSpec("err/norm_int", lambda t: t.arange(3).norm()),
    ErrorSpec("err/norm_nuc_3d", lambda t: t.ones(2, 3, 4).norm("nuc")),
    ErrorSpec("err/topk_k", lambda t: t.ones(3).topk(4), match="selected index k out of range"),
    ErrorSpec("err/median_empty_dim", lambda t: t.median(t.ones(0, 3), 0)),
]

"""Reductions: operations that combine many elements into fewer.

* ``sums``: sum, mean, nansum, nanmean, prod, cumsum, cumprod, logsumexp;
* ``extrema``: max, min, amax, amin, argmax, argmin, all, any, count_nonzero;
* ``statistics``: var, std, var_mean, std_mean, norm, median, nanmedian, mode;
* ``scans``: cummax, cummin, logcumsumexp (running extrema and log-sum-exp);
* ``sorting``: sort, argsort, msort, topk, unique;
* ``order_stats``: kthvalue, aminmax, quantile, nanquantile;
* ``_common``: dim handling and the small primitives backward rules are built from.

``dim`` may be an int or a tuple/list (None, and for most reductions (), mean every
dimension); ``keepdim`` keeps reduced dimensions as size 1. Each differentiable reduction
is a ``Primitive`` whose backward spreads the gradient back over the reduced dimensions.
Operations returning values and indices give ``torch.return_types`` named tuples.

Results have torch's memory layout: reductions, scans (and softmax) are contiguous whatever
the input's strides, sort/argsort/msort keep the input's layout (``_common.sort_layout``);
only a non-contiguous input costs a copy.

Where torchlet knowingly differs from torch 2.13:

* float32/float64 sums, means, products and norms agree to within float rounding (NumPy
  and torch add in different orders); integer results, indices, extrema, cumsum/cumprod,
  float16 sums/means/products and (in practice) float32 var/std are bit-exact;
* among equal values, ``sort(stable=False)``, ``topk`` and ``median(dim)`` may report
  other indices than torch's introsort / nth_element; torchlet's choice is deterministic
  (stable order; values are always the same); ``nanmedian(dim)`` reports torch's index;
* ``median()``/``nanmedian()`` over all elements: where the median is a zero and both
  0.0 and -0.0 occur, the sign may differ from torch's (nth_element picks one of them);
* ``torch.sum(x, dim=None)`` written out is named SumBackward1 by torch; torchlet cannot
  tell it from ``x.sum()`` and names both SumBackward0;
* ``var``/``std`` with ``dim=[]``: torch's backward divides by a count of 1 (inf
  gradients); torchlet returns the all-elements gradient;
* the nuclear norm has first-order gradients only.
"""

from torchlet._ops.reduction._common import expand_reduced, kept_shape, reduce_dims
from torchlet._ops.reduction.extrema import (
    all,  # noqa: A004
    amax,
    amin,
    any,  # noqa: A004
    argmax,
    argmin,
    count_nonzero,
    max,  # noqa: A004
    min,  # noqa: A004
)
from torchlet._ops.reduction.order_stats import aminmax, kthvalue, nanquantile, quantile
from torchlet._ops.reduction.scans import cummax, cummin, logcumsumexp
from torchlet._ops.reduction.sorting import argsort, msort, sort, topk, unique
from torchlet._ops.reduction.statistics import (
    median,
    mode,
    nanmedian,
    norm,
    std,
    std_mean,
    var,
    var_mean,
    vector_norm,
)
from torchlet._ops.reduction.sums import (
    cumprod,
    cumsum,
    logsumexp,
    mean,
    nanmean,
    nansum,
    prod,
    sum,  # noqa: A004
)

__all__ = [
    "all", "amax", "amin", "aminmax", "any", "argmax", "argmin", "argsort", "count_nonzero",
    "cummax", "cummin", "cumprod", "cumsum", "expand_reduced", "kept_shape", "kthvalue",
    "logcumsumexp", "logsumexp", "max", "mean", "median", "min", "mode", "msort", "nanmean",
    "nanmedian", "nanquantile", "nansum", "norm", "prod", "quantile", "reduce_dims", "sort",
    "std", "std_mean", "sum", "topk", "unique", "var", "var_mean", "vector_norm",
]

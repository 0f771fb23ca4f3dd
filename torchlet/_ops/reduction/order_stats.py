"""Order statistics: kthvalue, aminmax, quantile, nanquantile.

* ``kthvalue`` reports torch's index among equal values: torch's CPU kernel runs a
  quickselect (Sedgewick's, median-of-three pivots) on a copy of each slice, and the
  index it leaves at position k - 1 is reproduced here by running the same quickselect
  on the slices where the k-th value is tied (elsewhere the index is unambiguous).
* ``aminmax`` splits the gradient evenly among tied extrema, as amin/amax do.
* ``quantile``/``nanquantile`` are composed as torch composes them (Sorting.cpp): sort,
  ranks ``q * (n - 1)`` in the input's dtype, gather below and above, ``lerp``; so the
  output is SqueezeBackward4 over LerpBackward1 (or GatherBackward0) over SortBackward0,
  and ``q`` itself gets a gradient through the lerp weight. Among equal values the
  gradient goes where the sort put them: torchlet sorts stably, torch's sort is stable for
  slices of up to 16 elements (insertion sort) but not beyond. Deeper in the graph a
  1-D q's reordering shows torchlet's out-of-place UnsqueezeBackward0/TransposeBackward0
  where torch's in-place ops show UnsqueezeBackward1/TransposeBackward1.
"""

from __future__ import annotations

import numpy as np

from torchlet import return_types
from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise import where
from torchlet._ops.pointwise.operands import _out, _out_tuple, out_dtype_must_match
from torchlet._ops.reduction._common import (
    Selection,
    check_tensor,
    is_int,
    kept_shape,
    not_bool,
    reduce_dims,
    reduction_layout,
    restore_reduced,
    wrap_dim,
)
from torchlet._ops.reduction.extrema import (
    MaxAll,
    MinAll,
    _nan_as_torch,
    _zero_as_torch,
    _zero_or_nan,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# kthvalue


def _greater_or_nan(x, y) -> bool:
    """torch's ordering for kthvalue: NaN above every number."""
    return (x != x and y == y) or x > y


def quickselect_index(values: np.ndarray, k: int) -> int:
    """The index torch's quick_select_template leaves at position k (0-based) of a 1-D
    slice: Sedgewick's quickselect with a median-of-three pivot, swapping values and
    their indices together."""
    arr = [v.item() for v in values]
    idx = list(range(len(arr)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    left, right = 0, len(arr) - 1
    while True:
        if right <= left:
            return idx[k]
        if right == left + 1:
            if _greater_or_nan(arr[left], arr[right]):
                swap(left, right)
            return idx[k]
        swap((left + right) >> 1, left + 1)
        if _greater_or_nan(arr[left + 1], arr[right]):
            swap(left + 1, right)
        if _greater_or_nan(arr[left], arr[right]):
            swap(left, right)
        if _greater_or_nan(arr[left + 1], arr[left]):
            swap(left + 1, left)
        i, j, pivot = left + 1, right, arr[left]
        while True:
            i += 1
            while _greater_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while _greater_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(left, j)
        if j <= k:
            left = i
        if j >= k:
            right = j - 1


class Kthvalue(Selection):
    """values, indices = the k-th smallest element along dim and its index;
    grad_a = grad at that index, 0 elsewhere."""

    node_name = "KthvalueBackward0"


def _kth_indices(a: np.ndarray, k: int, dim: int) -> np.ndarray:
    """torch's index of the k-th smallest element (1-based k) of every slice along dim,
    with the reduced dim kept as size 1."""
    moved = np.moveaxis(a, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    order = np.argsort(rows, axis=-1, kind="stable")  # NaN last, as torch's ordering
    index = order[:, k - 1].copy()
    kth = np.take_along_axis(rows, index[:, None], axis=-1)
    same = (rows == kth) | (np.isnan(rows) & np.isnan(kth)) if a.dtype.kind == "f" else (
        rows == kth)
    for r in np.flatnonzero(same.sum(axis=-1) > 1):  # ties: follow torch's quickselect
        index[r] = quickselect_index(rows[r], k - 1)
    index = index.reshape(moved.shape[:-1] + (1,))
    return np.moveaxis(index, -1, dim)


@numpy_names
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):  # noqa: A002
    """The ``k``-th smallest element along ``dim`` (NaN counts as the largest) and its
    index: ``torch.return_types.kthvalue(values, indices)``."""
    x = check_tensor("kthvalue", input)
    if not is_int(k) or isinstance(k, bool):
        raise TypeError(
            f"kthvalue(): argument 'k' (position 2) must be int, not {type(k).__name__}"
        )
    if type(keepdim) is not bool:
        raise not_bool("kthvalue", keepdim)
    a = x._data
    d = wrap_dim("kthvalue", dim, a.ndim)
    size = a.shape[d] if a.ndim else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if a.dtype == np.bool_ and a.ndim:  # (torch copies a 0-d input before its dtype check)
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    if a.ndim == 0 or a.size == 0:
        idx = np.zeros(kept_shape(a.shape, (d,)), np.int64)
    else:
        idx = _kth_indices(a, int(k), d)
    result = return_types.kthvalue(Kthvalue.apply(x, idx=idx, dim=d, keepdim=keepdim,
                                                    given_dim=dim))
    return _out_tuple(result, out, "kthvalue", _kthvalue_out_dtype)


def _kthvalue_out_dtype(want, got, field) -> RuntimeError:
    if field == "values":
        return RuntimeError("output values must be of same type as input")
    return RuntimeError("output indices must be of scalar type Long")


# ---------------------------------------------------------------------------------------
# aminmax


class Aminmax(Primitive):
    """min, max = the smallest and largest elements over dims;  grad_a = grad_min split
    evenly among the elements equal to min, plus grad_max among those equal to max
    (torch's scale_grad_by_count; NaN gradients where the result is NaN)."""

    node_name = "AminmaxBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, keepdim, whole, given_dim=None):
        ctx.dims, ctx.keepdim = dims, keepdim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        low = reduction_layout(np.asarray(np.min(a, axis=dims, keepdims=keepdim)), a)
        high = reduction_layout(np.asarray(np.max(a, axis=dims, keepdims=keepdim)), a)
        if a.dtype.kind == "f" and (_zero_or_nan(low) or _zero_or_nan(high)):
            # (which zero and which NaN bits: torch's)
            low, high = (_whole_extremes if whole else _dim_extremes)(a, dims, low, high)
        ctx.save_for_backward(a, low, high)
        return low, high

    @staticmethod
    def backward(ctx, grad_min, grad_max):
        x, low, high = ctx.saved_tensors
        grad = None
        for g, value in ((grad_min, low), (grad_max, high)):
            if g is None:
                continue
            part = _scale_grad_by_count(g, x._data, value._data, ctx.dims, ctx.keepdim)
            grad = part if grad is None else grad + part
        return grad


def _whole_extremes(a: np.ndarray, dims, low: np.ndarray, high: np.ndarray):
    """aminmax without a dim: torch's kernel (reduce_all_kernel_vec_two_outputs) runs the
    lanes of min_all/max_all, so its zeros and NaNs are theirs."""
    def as_torch(value, keeps_first):
        if np.isnan(value).any():
            return _nan_as_torch(a).reshape(value.shape)
        if not value.any():
            return _zero_as_torch(value.reshape(()), a, keeps_first).reshape(value.shape)
        return value

    return as_torch(low, MinAll.keeps_first), as_torch(high, MaxAll.keeps_first)


def _dim_extremes(a: np.ndarray, dims, low: np.ndarray, high: np.ndarray):
    """aminmax along a dim: torch's scalar loop keeps the first of tied zeros and stops at
    the first NaN, as min(dim)/max(dim): their values at argmin/argmax."""
    if a.ndim == 0:
        return a.copy(), a.copy()
    (d,) = dims
    keepdim = low.ndim == a.ndim
    results = []
    for arg in (np.argmin, np.argmax):
        value = np.take_along_axis(a, arg(a, axis=d, keepdims=True), d)
        results.append(reduction_layout(value if keepdim else value.squeeze(d), a))
    return tuple(results)


def _scale_grad_by_count(grad: Tensor, x: np.ndarray, value: np.ndarray, dims, keepdim):
    """(grad / count) * mask, mask = x equal to the reduced value (as Amax's backward)."""
    dtype = grad._data.dtype
    value = value if keepdim else value.reshape(kept_shape(x.shape, dims))
    mask = x == value
    ties = np.add.reduce(mask, axis=dims, keepdims=True, dtype=dtype)
    grad = restore_reduced(grad, x.shape, dims, keepdim)
    return (grad / wrap(ties)) * wrap(mask.astype(dtype))


@numpy_names
def aminmax(input, *, dim=None, keepdim=False, out=None):  # noqa: A002
    """The smallest and largest elements (over ``dim`` if given):
    ``torch.return_types.aminmax(min, max)``."""
    x = check_tensor("aminmax", input)
    if type(keepdim) is not bool:
        raise not_bool("aminmax", keepdim)
    a = x._data
    if dim is None:
        if a.size == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation "
                "has no identity."
            )
        dims = tuple(range(a.ndim))
    else:
        d = wrap_dim("aminmax", dim, a.ndim)
        if a.ndim and a.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dims = reduce_dims(d, a.ndim)
    result = return_types.aminmax(Aminmax.apply(x, dims=dims, keepdim=keepdim,
                                                whole=dim is None, given_dim=dim))
    return _out_tuple(result, out, "aminmax", out_dtype_must_match)


# ---------------------------------------------------------------------------------------
# quantile, nanquantile

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


class SqueezeLast(Primitive):
    """out = a without its last dim, of size 1 (torch's in-place ``squeeze_(-1)`` that
    ends quantile);  grad_a = grad.unsqueeze(-1)."""

    node_name = "SqueezeBackward4"

    @staticmethod
    def forward(ctx, a):
        return a.reshape(a.shape[:-1])

    @staticmethod
    def backward(ctx, grad):
        return grad.unsqueeze(-1)


def _quantile_q(name, x: Tensor, q) -> Tensor:
    """q as a tensor of the input's dtype; a number is checked first, as torch does."""
    if isinstance(q, Tensor):
        return q
    if isinstance(q, (bool, int, float, np.number)):
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        return wrap(np.asarray(q, x._data.dtype))
    raise TypeError(
        f"{name}() received an invalid combination of arguments - got (Tensor, "
        f"{type(q).__name__}), but expected one of:\n"
        f" * (Tensor input, Tensor q, int dim = None, bool keepdim = False, *, str "
        f"interpolation = \"linear\", Tensor out = None)\n"
        f" * (Tensor input, float q, int dim = None, bool keepdim = False, *, str "
        f"interpolation = \"linear\", Tensor out = None)"
    )


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):  # noqa: A002
    x = check_tensor(name, input)
    q = _quantile_q(name, x, q)
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest, but got {interpolation}"
        )
    a, qa = x._data, q._data
    if a.size == 0:  # (torch's quantile_checks come before the dim is wrapped)
        raise RuntimeError("quantile() input tensor must be non-empty")
    if qa.ndim > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if a.dtype not in (np.float32, np.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if qa.dtype != a.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    d = wrap_dim(name, 0 if dim is None else dim, a.ndim)
    if not ((qa >= 0) & (qa <= 1)).all():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")

    # the reduced shape (q's dim goes in front at the end)
    if dim is not None and a.ndim:
        reduced = list(kept_shape(a.shape, (d,))) if keepdim else [
            s for i, s in enumerate(a.shape) if i != d]
    else:
        reduced = [1] * a.ndim if keepdim else []
    # sort along the reduced dimension, moved last
    if dim is None:
        values = x.reshape(-1).sort().values
    elif a.ndim and d == a.ndim - 1:
        values = x.sort().values
    else:
        values = x.unsqueeze(-1).transpose(d, -1).sort().values
    values = values.view(reduced + [values.shape[-1]])

    # ranks in [0, n): q * (n - 1), in the input's dtype
    nan = np.isnan(values._data)
    if ignore_nan:
        last = np.sum(~nan, axis=-1, keepdims=True) - 1  # -1 when all are NaN
        ranks = q * wrap(last)
        ranks = where(wrap(ranks._data < 0), 0, ranks)
    else:  # a slice with a NaN takes its last value: NaN
        last = values.shape[-1] - 1
        ranks = where(wrap(nan.any(axis=-1, keepdims=True)), last, q * last)
    if interpolation == "lower":
        ranks = wrap(np.floor(ranks._data))
    elif interpolation == "higher":
        ranks = wrap(np.ceil(ranks._data))
    elif interpolation == "nearest":
        ranks = wrap(np.round(ranks._data))  # half to even, as torch.round
    # (C order, as torch's ranks: the gathers and the lerp that follows are laid out by it)
    below = np.ascontiguousarray(ranks._data).astype(np.int64)
    result = values.gather(-1, wrap(below))
    if interpolation in ("linear", "midpoint"):
        weights = wrap(np.full_like(ranks._data, 0.5)) if interpolation == "midpoint" else (
            ranks - wrap(below))
        above = values.gather(-1, wrap(np.ceil(ranks._data).astype(np.int64)))
        result = result.lerp(above, weights)
    if qa.ndim:  # q's dimension first
        result = result.unsqueeze(0).transpose(0, -1)
    return SqueezeLast.apply(result)


@numpy_names
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear",  # noqa: A002
             out=None):
    """The ``q``-th quantiles (q a number or 1-D tensor in [0, 1]) of all elements or
    along ``dim``, interpolating between neighbouring sorted values as
    ``interpolation`` says (linear, lower, higher, midpoint, nearest). A slice holding a
    NaN has NaN quantiles. With a 1-D q its dimension comes first."""
    result = _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)
    return _quantile_out(result, out, "quantile")


@numpy_names
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear",  # noqa: A002
                out=None):
    """``quantile`` ignoring NaNs (NaN only where a slice is all NaN)."""
    result = _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)
    return _quantile_out(result, out, "nanquantile")


def _quantile_out(result: Tensor, out, name: str):
    if out is None:
        return result
    return _out(result, out, name, _quantile_out_dtype, grad_check="in-place")


def _quantile_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError("quantile() out tensor must be same dtype as the input tensor")


__all__ = ["aminmax", "kthvalue", "nanquantile", "quantile", "quickselect_index"]

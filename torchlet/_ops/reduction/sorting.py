"""Ordering: sort, argsort, topk, unique.

NaN sorts as the largest value, as in torch. ``stable=True`` is a stable sort (equal
values keep their order; with ``descending=True`` too). With ``stable=False`` torch's CPU
sort runs libstdc++'s ``std::sort`` and topk runs ``std::partial_sort`` / ``nth_element``
(TopKImpl.h); neither is stable, so the indices of equal values come out in the order
those algorithms leave them. A row without repeated values has one right answer, which
NumPy's stable argsort gives; only rows with ties replay the C++ algorithm (std_sort.py).
sort and argsort lay their results out like the input (torch's dense strides), topk
contiguously.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import return_types
from torchlet._device import meta_array, no_meta_kernel, on_meta
from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise.operands import (
    _out,
    _out_tuple,
    out_dtype_must_match,
    refuse_autograd,
)
from torchlet._ops.reduction._common import Selection, check_tensor, sort_layout, wrap_dim
from torchlet._ops.reduction.std_sort import sort_rows_order, topk_order, unique_dim_order
from torchlet._ops.shape.common import _invalid_combination
from torchlet._tensor import _NOT_GIVEN, Tensor, wrap
from torchlet.autograd.function import Primitive


def argsort_array(a: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """Stable argsort along dim, as int64; descending keeps equal values in index order."""
    if a.ndim == 0:
        return np.zeros((), np.int64)
    if not descending:
        return np.argsort(a, axis=dim, kind="stable").astype(np.int64, copy=False)
    # Sort the reversed array ascending and read the result backwards: largest first,
    # and equal values come out in increasing index order. (np.flip's views, by a slice:
    # np.flip's argument handling costs more than the argsort of a small array.)
    backwards = (slice(None),) * dim + (slice(None, None, -1),)
    reversed_order = np.argsort(a[backwards], axis=dim, kind="stable")
    return (a.shape[dim] - 1) - reversed_order[backwards].astype(np.int64, copy=False)


# torch's sort is stable anyway for rows of at most 16 (std::sort ends in insertion sort)
# and for fbgemm's radix sort: 1-d integer tensors sorted ascending, at least
# at::internal::GRAIN_SIZE elements.
_INSERTION_SORT_MAX = 16
_RADIX_SORT_MIN = 32768


def _rows(a: np.ndarray, dim: int) -> np.ndarray:
    """The 1-d slices of ``a`` along ``dim`` as the rows of a 2-d array."""
    if dim != a.ndim - 1:
        a = np.moveaxis(a, dim, -1)
    return a.reshape(-1, a.shape[-1]) if a.shape[-1] else a.reshape(math.prod(a.shape[:-1]), 0)


def _from_rows(rows: np.ndarray, a: np.ndarray, dim: int) -> np.ndarray:
    """Inverse of ``_rows`` for a result with ``rows.shape[1]`` entries along ``dim``."""
    last = dim == a.ndim - 1
    shape = a.shape[:dim] + a.shape[dim + 1:] if not last else a.shape[:-1]
    out = rows.reshape(shape + (rows.shape[1],))
    return out if last else np.moveaxis(out, -1, dim)


def _tied_rows(rows: np.ndarray, order: np.ndarray) -> np.ndarray:
    """The rows whose values at ``order`` (sorted) repeat; NaNs count as equal."""
    m, n = rows.shape
    flat = order + (np.arange(m) * n)[:, None] if m > 1 else order
    ordered = rows.reshape(-1)[flat]  # (rows[r, order[r]] for each row r)
    same = ordered[:, 1:] == ordered[:, :-1]
    if ordered.dtype.kind == "f":
        nan = np.isnan(ordered)
        if np.count_nonzero(nan):
            same |= nan[:, 1:] & nan[:, :-1]
    if not np.count_nonzero(same):  # the usual case, told quicker than by any(axis=1)
        return np.empty(0, np.intp)
    return np.flatnonzero(same.any(axis=1))


def sort_indices(a: np.ndarray, dim: int, descending: bool, stable: bool) -> np.ndarray:
    """torch's CPU sort indices: stable where torch's kernel is, else std::sort's order."""
    n = a.shape[dim] if a.ndim else 1
    radix = a.ndim == 1 and a.dtype.kind in "iu" and not descending and n >= _RADIX_SORT_MIN
    # (a stride-0 dimension is left unsorted: indices 0..n-1, which stable order gives)
    if stable or n <= _INSERTION_SORT_MAX or radix or a.strides[dim] == 0:
        return argsort_array(a, dim, descending)
    rows = _rows(a, dim)
    order = argsort_array(rows, 1, descending)
    tied = _tied_rows(rows, order)
    if tied.size:
        order[tied] = sort_rows_order(rows[tied], order[tied])
    return _from_rows(order, a, dim)


def topk_indices(a: np.ndarray, k: int, dim: int, largest: bool, sorted: bool):  # noqa: A002
    """torch's CPU topk indices (TopKImpl.h).

    When the k + 1 best values of a row are distinct, the top k and their order are
    determined, so the stable argsort's first k are torch's answer. Rows with ties replay
    libstdc++; so does every row that ``std::nth_element`` leaves unsorted (``sorted=False``
    with k * 64 > n and k > 1).
    """
    rows = _rows(a, dim)
    n = rows.shape[1]
    replay: range | np.ndarray
    if not sorted and k * 64 > n and k > 1:
        order = argsort_array(rows, 1, largest)
        replay = range(rows.shape[0])
    else:
        if 1 <= k and n >= _PARTITION_MIN and (k + 1) * 4 <= n:
            order = _best_sorted(rows, k + 1, largest)
        else:
            order = argsort_array(rows, 1, largest)
        replay = _tied_rows(rows, order[:, : k + 1])
    order = order[:, :k].copy()
    for r in replay:
        order[r] = topk_order(rows[r].tolist(), k, largest, sorted)
    return _from_rows(order, a, dim)


# topk of a few of many: partition, then sort only the few (the stable argsort of a
# whole (64, 1000) float32 row set takes 3 ms, the partition a tenth of that)
_PARTITION_MIN = 64


def _best_sorted(rows: np.ndarray, count: int, largest: bool) -> np.ndarray:
    """The first ``count`` columns of ``argsort_array(rows, 1, largest)`` wherever those
    ``count`` values of a row are distinct (other rows are replayed by the caller): the
    ``count`` best values by ``np.argpartition`` (NaN the largest, as in sort), their
    positions put in index order, then sorted stably."""
    n = rows.shape[1]
    if largest:
        best = np.argpartition(rows, n - count, axis=1)[:, n - count:]
    else:
        best = np.argpartition(rows, count - 1, axis=1)[:, :count]
    best.sort(axis=1)  # (ties, if any, then keep index order, as in the full sort)
    values = np.take_along_axis(rows, best, axis=1)
    return np.take_along_axis(best, argsort_array(values, 1, largest), axis=1)


class Sort(Selection):
    """values, indices = a sorted along dim and where each value came from;
    grad_a = grad put back at the original positions."""

    node_name = "SortBackward0"
    keeps_input_layout = True


class StableSort(Sort):
    """sort(..., stable=True): the same rule under torch's other node name."""

    node_name = "SortBackward1"


class Topk(Selection):
    """values, indices = the k largest (or smallest) along dim and their positions;
    grad_a = grad at those positions, 0 elsewhere."""

    node_name = "TopkBackward0"


_SORT_SIGNATURES = (
    "Tensor input, *, bool stable, int dim = -1, bool descending = False, "
    "tuple of Tensors out = None",
    "Tensor input, int dim = -1, bool descending = False, *, tuple of Tensors out = None")
_ARGSORT_SIGNATURES = (
    "Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None",
    "Tensor input, int dim = -1, bool descending = False")


def sort_arguments(fn: str, input, args: tuple, stable, dim, descending, out=None,  # noqa: A002
                   method: bool = False) -> tuple:
    """(dim, descending) of sort/argsort, bound as torch's two overloads bind them:
    ``(input, dim=-1, descending=False)`` and ``(input, *, stable, dim=-1,
    descending=False)``: once ``stable`` is given, dim and descending are keyword-only
    (``sort(x, 1, stable=True)`` is torch's TypeError). ``args``: those given by position;
    ``dim``/``descending``: _NOT_GIVEN where not given by keyword."""
    if args:
        if stable is not _NOT_GIVEN or len(args) > 2:
            given = {k: v for k, v in (("descending", descending), ("out", out))
                     if v is not _NOT_GIVEN and v is not None}
            if stable is not _NOT_GIVEN:
                given["stable"] = stable
            signatures: tuple[str, ...] = (_SORT_SIGNATURES if fn == "sort" else
                                           _ARGSORT_SIGNATURES)
            if method:  # (a method's signatures and arguments leave out self)
                signatures = tuple(s.removeprefix("Tensor input, ").replace(
                    ", Tensor out = None", "").replace(", *, tuple of Tensors out = None", "")
                    for s in signatures)
                raise _invalid_combination(fn, args, given, signatures)
            raise _invalid_combination(fn, (input, *args), given, signatures)
        for name, keyword in zip(("dim", "descending")[:len(args)], (dim, descending)):
            if keyword is not _NOT_GIVEN:
                raise TypeError(f"{fn}() got multiple values for argument '{name}'")
        dim, descending = (*args, descending)[:2] if len(args) == 1 else args
    return (-1 if dim is _NOT_GIVEN else dim,
            False if descending is _NOT_GIVEN else descending)


@numpy_names
def sort(input, *args, stable=_NOT_GIVEN, dim=_NOT_GIVEN, descending=_NOT_GIVEN,  # noqa: A002
         out=None):
    """Sort along ``dim``: ``torch.return_types.sort(values, indices)``. ``stable`` given
    (even False or None) is torch's other overload, whose node is SortBackward1."""
    dim, descending = sort_arguments("sort", input, args, stable, dim, descending, out)
    x = check_tensor("sort", input)
    d = wrap_dim("sort", dim, x._data.ndim)
    idx = _meta_indices(x._data) if on_meta(x._data) else sort_indices(
        x._data, d, descending, stable is True)
    primitive = Sort if stable is _NOT_GIVEN else StableSort
    result = return_types.sort(primitive.apply(x, idx=idx, dim=d, keepdim=True,
                                                given_dim=dim))
    return _out_tuple(result, out, "sort", out_dtype_must_match)


@numpy_names
def argsort(input, *args, stable=_NOT_GIVEN, dim=_NOT_GIVEN,  # noqa: A002
            descending=_NOT_GIVEN, out=None) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64). ``out=`` comes with torch's
    overload that names ``stable``, a bool there (not None)."""
    dim, descending = sort_arguments("argsort", input, args, stable, dim, descending, out)
    if stable is None or (out is not None and stable is _NOT_GIVEN):
        given = {"out": out} if out is not None else {}
        if stable is None:
            given["stable"] = None
        raise _invalid_combination("argsort", (input,), given, _ARGSORT_SIGNATURES)
    x = check_tensor("argsort", input)
    d = wrap_dim("argsort", dim, x._data.ndim)
    if out is not None:  # argsort(out=) is torch's sort(out=), which refuses autograd
        refuse_autograd((x,), (out,), "sort")
    if on_meta(x._data):
        result = wrap(_meta_indices(x._data))
    else:
        result = wrap(sort_layout(sort_indices(x._data, d, descending, stable is True),
                                  x._data))
    return _out(result, out, "argsort", out_dtype_must_match)


def _meta_indices(a: np.ndarray, dim: int = 0, k: int | None = None) -> np.ndarray:
    """The indices of sorting meta ``a`` (``k`` along ``dim`` for topk): a meta array of
    their shape, in place of sorting its one value over and over."""
    shape = list(a.shape)
    if k is not None and shape:
        shape[dim] = k
    return meta_array(shape, np.int64)


def msort(input, *, out=None) -> Tensor:  # noqa: A002
    """``sort(input, dim=0).values``."""
    return _out(sort(input, 0).values, out, "sort", out_dtype_must_match)


@numpy_names
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):  # noqa: A002
    """The ``k`` largest (``largest=False``: smallest) elements along ``dim``:
    ``torch.return_types.topk(values, indices)``, in sorted order if ``sorted``."""
    x = check_tensor("topk", input)
    a = x._data
    d = wrap_dim("topk", dim, a.ndim)
    size = a.shape[d] if a.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if on_meta(a):  # (torch's meta kernel: its own checks, no dtype's)
        if k < 0:
            raise RuntimeError("Expected cond to be True, but got False. (Could this error "
                               "message be improved? If so, please report an enhancement "
                               "request to PyTorch.)")
        if k > size:
            raise RuntimeError("k not in range for dimension")
        order = _meta_indices(a, d, k)
        result = return_types.topk(Topk.apply(x, idx=order, dim=d, keepdim=True,
                                              given_dim=dim))
        return _out_tuple(result, out, "topk", out_dtype_must_match)
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if a.dtype.kind == "b":  # (after torch's dim and k checks)
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not a.ndim:
        order = np.zeros((), np.int64)
    elif a.size and k:
        order = topk_indices(a, k, d, largest, sorted)
    else:  # (a fresh array: contiguous, as torch's empty results)
        order = np.zeros(a.shape[:d] + (k,) + a.shape[d + 1:], np.int64)
    result = return_types.topk(Topk.apply(x, idx=order, dim=d, keepdim=True, given_dim=dim))
    return _out_tuple(result, out, "topk", out_dtype_must_match)


class Unique(Primitive):
    """values, inverse, counts = the distinct elements, sorted; not differentiable."""

    node_name = "Unique2Backward0"
    derivative_of = "_unique2"

    @staticmethod
    def forward(ctx, a, *, dim):
        if dim is None:
            flat = a.reshape(-1)
            if a.dtype.kind == "f" and flat.size and (
                    np.isnan(flat).any() or ((flat == 0) & np.signbit(flat)).any()):
                values, inverse, counts = _unique_sorted(flat)
            else:
                # equal_nan=False: every NaN is its own value, as in torch
                values, inverse, counts = np.unique(
                    flat, return_inverse=True, return_counts=True, equal_nan=False)
            return values, inverse.reshape(a.shape).astype(np.int64), counts.astype(np.int64)
        return _unique_dim(a, dim)

    @classmethod
    def backward(cls, ctx, *grads):
        raise NotImplementedError(f"the derivative for '{cls.derivative_of}' is not implemented.")


class UniqueDim(Unique):
    """values, inverse, counts = the distinct slices along dim; not differentiable."""

    node_name = "UniqueDimBackward0"
    derivative_of = "unique_dim"


def _unique_sorted(flat: np.ndarray):
    """torch's unique of a 1-d array: sort it (``sort(stable=False)``), then keep the
    first element of each run of equal ones. Where equal values can be told apart (0.0
    and -0.0 for the value kept, NaNs, each its own value, for the inverse) this is the
    order torch's sort leaves them in, not NumPy's."""
    order = sort_indices(flat, 0, descending=False, stable=False)
    ordered = flat[order]
    starts = np.ones(flat.size, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]  # (NaN != NaN: a run of its own)
    inverse = np.empty(flat.size, np.int64)
    inverse[order] = np.cumsum(starts) - 1
    counts = np.diff(np.append(np.flatnonzero(starts), flat.size))
    return ordered[starts], inverse, counts


def _unique_dim(a: np.ndarray, dim: int):
    """The distinct slices of ``a`` along ``dim``, in lexicographic order.

    torch std::sorts the slices; that is a stable sort (NumPy's lexsort) for up to 16
    slices, and for more when equal slices are equal bit for bit, which leaves -0.0 (the
    first of equal slices is the one kept) and NaN (which torch's comparator passes over)
    to replay. The values come out as torch lays them out: the distinct slices stacked,
    then that dimension moved to ``dim``."""
    n = a.shape[dim]
    if n == 0:  # no slices: empty values (a's shape), inverse and counts, as torch
        empty = np.empty(0, np.int64)
        return np.array(a, order="C"), empty, empty.copy()
    moved = np.moveaxis(a, dim, 0)
    rows = moved.reshape(n, -1)
    # lexsort's last key is the primary one: column 0 first, then 1, ...
    order = np.lexsort(rows.T[::-1]) if rows.shape[1] else np.arange(n)
    if a.dtype.kind == "f" and rows.size and (
            np.isnan(rows).any() or (n > _INSERTION_SORT_MAX and (
                (rows == 0) & np.signbit(rows)).any())):
        order = np.array(unique_dim_order([tuple(r) for r in rows.tolist()]), np.int64)
    ordered = rows[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    group = np.cumsum(starts) - 1
    inverse = np.empty(n, np.int64)
    inverse[order] = group
    counts = np.diff(np.flatnonzero(np.append(starts, True))).astype(np.int64)
    values = np.ascontiguousarray(ordered[starts]).reshape((-1,) + moved.shape[1:])
    return np.moveaxis(values, 0, dim), inverse, counts


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct elements of ``input`` (or distinct slices along ``dim``), sorted.

    Returns a tensor, or a tuple with ``inverse`` (where each element went) and/or
    ``counts``. torch on the CPU sorts even when ``sorted=False``, and so does torchlet.
    """
    x = check_tensor("unique", input)
    a = x._data
    if on_meta(a):  # (the number of distinct values is not known without them)
        raise no_meta_kernel("_unique2" if dim is None else "unique_dim")
    if dim is None:
        outputs = Unique.apply(x, dim=None)
    else:
        d = wrap_dim("unique", dim, a.ndim)
        if a.ndim == 0:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-1, 0], but got {dim})"
            )
        if a.size == 0 and a.shape[d] != 0:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot "
                "be applied"
            )
        if a.shape.count(0) > 1:
            raise RuntimeError(
                "Number of zero sized dimensions is more than one, so unique cannot be "
                "applied "  # (torch's trailing space)
            )
        outputs = UniqueDim.apply(x, dim=d)
    values, inverse, counts = outputs
    if not return_inverse and not return_counts:
        return values
    result = (values,)
    if return_inverse:
        result += (inverse,)
    if return_counts:
        result += (counts,)
    return result

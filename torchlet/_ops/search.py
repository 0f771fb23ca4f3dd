"""Counting and searching: bincount, histc, histogram, searchsorted, bucketize, isin,
unique_consecutive.

None of them is differentiable. Where torch records a node anyway, torchlet records the
same one: ``bincount`` with weights and ``histogram`` of a tensor that requires grad get
``torch::autograd::NotImplemented`` (backward raises), ``unique_consecutive`` gets
UniqueConsecutiveBackward0 (backward raises); ``histc`` returns a tensor that does not
require grad.

Bins and binary searches follow torch's CPU kernels step by step, so that an element on a
bin edge, a NaN or an unsorted boundary lands where torch puts it:

* ``histc``: bin = int((x - min) * bins / (max - min)) in the input's dtype (torch's
  LINEAR_INTERPOLATION), the last edge belonging to the last bin;
* ``histogram`` with a bin count: the same first guess, then corrected by an upper-bound
  search among the neighbouring edges of ``linspace(min, max, bins + 1)`` (torch's
  LINEAR_INTERPOLATION_WITH_LOCAL_SEARCH); with edges given: upper bound over them all;
* ``searchsorted``/``bucketize``: torch's cus_lower_bound / cus_upper_bound, whose tests
  ``!(mid >= value)`` / ``!(mid > value)`` decide where NaNs go.

Counts are accumulated in the histogram's dtype in element order, as torch does for up
to 200 elements (more are split among threads, whose float partial sums may round
differently when weights are used; so may ``density``'s total of float weights).
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype, return_types
from torchlet._device import meta_array, no_meta_kernel, on_meta
from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._ops.creation import _linspace
from torchlet._ops.pointwise.operands import (
    _out,
    _out_tuple,
    c_type_name,
    out_dtype_must_match,
    scalar_type_name,
)
from torchlet._ops.reduction._common import check_tensor, type_word, wrap_dim
from torchlet._ops.shape.common import _int
from torchlet._tensor import Tensor, _warn_once, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.not_implemented import NotImplementedNode

# torch's C++ type names, as its dtype-mismatch messages print them
_CPP_TYPE = C_TYPE_NAMES


def _not_implemented(op, inputs, results):
    """Wrap ``results`` (arrays) as torch does for ``op``: with a NotImplemented node if a
    floating input requires grad, else as plain tensors."""
    inputs = [t for t in inputs if isinstance(t, Tensor)]
    if any(t.requires_grad for t in inputs):
        return NotImplementedNode.apply(*inputs, results=results, op=op)
    return tuple(wrap(r) for r in results)


def _not_supported(kernel: str, a: np.ndarray):
    return NotImplementedError(f'"{kernel}" not implemented for \'{type_word(a)}\'')


# ---------------------------------------------------------------------------------------
# binary searches, vectorised over many values


def upper_bound(edges: np.ndarray, values: np.ndarray, first=None, last=None) -> np.ndarray:
    """libstdc++'s std::upper_bound(edges + first, edges + last, value) for every value:
    the first position whose edge is greater than the value (``last`` if none). Edges
    need not be sorted; the halving steps are the library's, so the answer is too."""
    first = np.zeros(values.shape, np.int64) if first is None else first.copy()
    length = (np.full(values.shape, edges.size, np.int64) if last is None else last) - first
    while (length > 0).any():
        half = length >> 1
        middle = first + half
        below = values < edges[np.minimum(middle, edges.size - 1)]
        active = length > 0
        first = np.where(active & ~below, middle + 1, first)
        length = np.where(active, np.where(below, half, length - half - 1), 0)
    return first


def _bound(rows: np.ndarray, values: np.ndarray, right: bool, sorter) -> np.ndarray:
    """torch's cus_lower_bound (right=False) / cus_upper_bound (right=True) for each value
    of each row: rows (R, M) of boundaries, values (R, K), sorter (R, M) or None."""
    n_rows, m = rows.shape
    start = np.zeros(values.shape, np.int64)
    end = np.full(values.shape, m, np.int64)
    row = np.arange(n_rows).reshape(n_rows, 1)
    while (start < end).any():
        mid = start + ((end - start) >> 1)
        at = np.minimum(mid, m - 1)
        if sorter is not None:
            at = np.take_along_axis(sorter, at, axis=1)
        mid_value = rows[row, at]
        go_right = ~(mid_value > values) if right else ~(mid_value >= values)
        active = start < end
        start = np.where(active & go_right, mid + 1, start)
        end = np.where(active & ~go_right, mid, end)
    return start


# ---------------------------------------------------------------------------------------
# bincount


def bincount(input, weights=None, minlength=0) -> Tensor:  # noqa: A002
    """How many times each value 0..max occurs in a 1-D tensor of non-negative integers
    (int64), or the sum of ``weights`` per value (float32 weights give float32, any
    other weights float64), with at least ``minlength`` bins."""
    x = check_tensor("bincount", input)
    a = x._data
    if on_meta(a) or (isinstance(weights, Tensor) and on_meta(weights._data)):
        raise no_meta_kernel("bincount")  # (its length is the largest value)
    if a.dtype.kind not in "iu":
        raise _not_supported("bincount_cpu", a)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if a.ndim == 1 and a.size == 0:
        return wrap(np.zeros(minlength, np.int64))
    if a.ndim != 1 or a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights._data.ndim != 1 or weights._data.shape[0] != a.size):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    bins = max(int(a.max()) + 1, minlength)
    index = a.astype(np.int64)
    if weights is None:
        return wrap(np.bincount(index, minlength=bins).astype(np.int64))
    w = weights._data
    w = w if w.dtype == np.float32 else w.astype(np.float64)
    out = np.zeros(bins, w.dtype)
    np.add.at(out, index, w)  # element by element, in order: torch's summation
    return _not_implemented("bincount", [weights], (out,))[0]


# ---------------------------------------------------------------------------------------
# histc and histogram


def _check_bins(bins: int) -> None:
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")


# the names torch's Scalar conversion gives the integer types in its overflow message
_SCALAR_TYPE = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                "int64": "int64_t"}


def _check_linspace(a: np.ndarray, left: float, right: float) -> None:
    """torch makes the bin edges by ``linspace`` in the input's dtype before its histogram
    kernel refuses a non-float one: bool has no linspace, and an integer type must hold
    both ends (c10's ``overflows``, compared as doubles)."""
    if a.dtype == np.bool_:
        raise _not_supported("linspace_cpu", a)
    if a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        if any(v < float(info.min) or v > float(info.max) for v in (left, right)):
            raise RuntimeError(f"value cannot be converted to type "
                               f"{_SCALAR_TYPE[a.dtype.name]} without overflow")


def _linear_bins(x: np.ndarray, left, right, bins: int) -> np.ndarray:
    """torch's first guess: int((x - left) * bins / (right - left)), every step rounded
    to the dtype of x (NumPy rounds float16 steps as c10::Half does)."""
    dt = x.dtype.type
    scaled = (x - dt(left)) * dt(bins) / (dt(right) - dt(left))
    return scaled.astype(np.int64)


def _accumulate(hist: np.ndarray, pos: np.ndarray, weight) -> np.ndarray:
    np.add.at(hist, pos, hist.dtype.type(1) if weight is None else weight)
    return hist


def histc(input, bins=100, min=0, max=0, *, out=None) -> Tensor:  # noqa: A002
    """Counts in ``bins`` equal bins over [min, max] (the input's range when both are
    equal, widened by 1 each way if that is a point); elements outside are ignored."""
    x = check_tensor("histc", input)
    a = x._data
    if isinstance(bins, bool):  # (an int to Python, not to torch's parser)
        raise TypeError("histc(): argument 'bins' (position 2) must be int, not bool")
    bins = _int(bins, "histc", "bins", 2)
    if on_meta(a):
        return _out(wrap(_meta_histc(a, bins, min, max)), out, "histc", _histogram_out_dtype,
                    grad_check="none")
    _check_bins(bins)
    left, right = float(min), float(max)
    if left == right and a.size:
        left, right = float(a.min()), float(a.max())
        if a.size > 1 and np.isnan(left):
            # torch's vectorised aminmax marks a NaN by OR-ing in all-one bits: a NaN with
            # the sign bit set, which C++ prints as "-nan" (one element is returned as is)
            left = right = -abs(left)
    if left == right:
        left, right = left - 1, right + 1
    if not (np.isfinite(left) and np.isfinite(right)):
        raise RuntimeError(
            f"torch.histc: range of [{_cpp_double(left)}, {_cpp_double(right)}] is not finite")
    if not left < right:
        raise RuntimeError("torch.histc: max must be larger than min")
    _check_linspace(a, left, right)
    if a.dtype.kind != "f":
        raise _not_supported("histogram_cpu", a)
    flat = a.reshape(-1)
    lo, hi = a.dtype.type(left), a.dtype.type(right)  # linspace's first and last edge
    inside = flat[(flat >= lo) & (flat <= hi)]
    pos = np.minimum(_linear_bins(inside, lo, hi, bins), bins - 1)
    result = wrap(_accumulate(np.zeros(bins, a.dtype), pos, None))
    return _out(result, out, "histc", _histogram_out_dtype, grad_check="none")


def _meta_histc(a: np.ndarray, bins: int, left, right) -> np.ndarray:
    """histc of meta ``a``: torch's meta kernel (``meta_histc``) checks only ``bins`` and
    the order of the given range (no dtype: an int64 meta tensor gives int64 counts)."""
    if bins <= 0:
        raise RuntimeError(f"histc(): bins must be > 0, but got {bins}")
    if not right >= left:
        raise RuntimeError("histc(): max must be larger than min")
    return meta_array((bins,), a.dtype)


def _cpp_double(x: float) -> str:
    """x as C++'s ``ostream << double`` prints it: %g, and "-nan" for a negative NaN."""
    return "-nan" if np.isnan(x) and np.signbit(x) else f"{x:g}"


def _histogram_out_dtype(want, got, field) -> RuntimeError:
    """torch's message for a ``hist`` or ``bin_edges`` out of another dtype than the input."""
    name = "bin_edges" if field == "bin_edges" else "hist"
    where = " for dimension 0" if name == "bin_edges" else ""
    return RuntimeError(
        f"torch.histogram: input tensor and {name} tensor should have the same dtype, but got "
        f"input {c_type_name(want)} and {name} {c_type_name(got)}{where}"
    )


def _edges_from_count(a: np.ndarray, bins: int, range) -> np.ndarray:  # noqa: A002
    if range is not None:
        if len(range) != 2:
            raise RuntimeError(
                "torch.histogramdd: for a 1-dimensional histogram range should have 2 "
                f"elements, but got {len(range)}"
            )
        left, right = float(range[0]), float(range[1])
    elif a.size:
        if a.dtype not in (np.float32, np.float64):
            raise _not_supported("histogramdd", a)
        left, right = float(np.min(a)), float(np.max(a))  # NaN if there is one
    else:
        left, right = 0.0, 1.0  # numpy's default for empty input
    if not (np.isfinite(left) and np.isfinite(right)):
        raise RuntimeError(
            f"torch.histogramdd: dimension 0's range [{left:g}, {right:g}] is not finite"
        )
    if left > right:
        raise RuntimeError(
            f"torch.histogramdd: min should not exceed max, but got min {left:g} max "
            f"{right:g} for dimension 0"
        )
    if left == right:
        left, right = left - 0.5, right + 0.5
    _check_linspace(a, left, right)
    return _linspace(left, right, bins + 1, a.dtype)  # torch: linspace in the input dtype


def histogram(input, bins=100, *, range=None, weight=None, density=False,  # noqa: A002
              out=None):
    """``torch.return_types.histogram(hist, bin_edges)``: ``bins`` equal bins over
    ``range`` (default: the input's min and max), or the given increasing ``bins`` edges.
    Each bin holds its left edge, the last one its right edge too; ``weight`` gives each
    element's contribution, ``density`` divides by the total and by the bin widths."""
    x = check_tensor("histogram", input)
    a = x._data
    if any(isinstance(t, Tensor) and on_meta(t._data) for t in (x, bins, weight)):
        # (the edges of a bin count are the input's min and max)
        raise no_meta_kernel("histogram.bins_tensor" if isinstance(bins, Tensor)
                             else "histogram.bin_ct")
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): argument 'range' is not accepted with a Tensor 'bins'")
        edges = bins._data
        _check_edges(a, edges, weight)
        _check_bins(edges.size - 1)
        edges = edges.copy()
    elif isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        _check_bins(int(bins))
        edges = _edges_from_count(a, int(bins), range)
        _check_edges(a, edges, weight)
    else:
        raise TypeError(
            f"histogram() received an invalid combination of arguments - got (Tensor, "
            f"{type_name(bins)}), but expected one of:\n"
            " * (Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, "
            "tuple of Tensors out = None)\n"
            " * (Tensor input, int bins = 100, *, tuple of floats range = None, "
            "Tensor weight = None, bool density = False, tuple of Tensors out = None)"
        )
    if a.dtype.kind != "f":
        raise _not_supported("histogram_cpu", a)
    flat = a.reshape(-1)
    w = None if weight is None else weight._data.reshape(-1)
    n_edges = edges.size
    lo, hi = edges[0], edges[-1]
    keep = (flat >= lo) & (flat <= hi)  # NaN and outside elements are skipped
    inside = flat[keep]
    if isinstance(bins, Tensor):
        pos = upper_bound(edges, inside) - 1
    else:  # a first guess, then std::upper_bound among the edges next to it
        guess = _linear_bins(inside, lo, hi, n_edges - 1)
        first = np.maximum(guess - 1, 0)
        pos = upper_bound(edges, inside, first, np.minimum(guess + 2, n_edges)) - 1
    pos = np.where(pos == n_edges - 1, pos - 1, pos)
    hist = _accumulate(np.zeros(n_edges - 1, a.dtype), pos, None if w is None else w[keep])
    if density:
        hist = hist / a.dtype.type(hist.sum()) / np.diff(edges)
    result = return_types.histogram(_not_implemented("histogram", [x, weight], (hist, edges)))
    return _out_tuple(result, out, "histogram", _histogram_out_dtype, grad_check="out")


def _check_edges(a: np.ndarray, edges: np.ndarray, weight) -> None:
    """torch's histogramdd_check_inputs for histogram: the input as (N, 1) points and the
    weights flattened (so weights of the input's shape fit)."""
    check_histogram_inputs(a.reshape(-1, 1), [edges],
                           None if weight is None else wrap(weight._data.reshape(-1)))


def check_histogram_inputs(points: np.ndarray, edges: list, weight) -> None:
    """torch's histogramdd_check_inputs: (M, N) points, one edges array per dimension."""
    for d, e in enumerate(edges):
        if e.dtype != points.dtype:
            raise RuntimeError(
                "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                f"but got input with dtype {_CPP_TYPE[points.dtype.name]} and bins for "
                f"dimension {d} with dtype {_CPP_TYPE[e.dtype.name]}"
            )
        if e.ndim != 1:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have one dimension, but got "
                f"{e.ndim} dimensions in the bins tensor for dimension {d}"
            )
        if e.size == 0:
            raise RuntimeError(
                "torch.histogramdd: bins tensor should have at least 1 element, but got 0 "
                f"elements in the bins tensor for dimension {d}"
            )
    if weight is None:
        return
    w = weight._data
    if w.dtype != points.dtype:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided, input tensor and weight "
            f"tensor should have the same dtype, but got input({_CPP_TYPE[points.dtype.name]}), "
            f"and weight({_CPP_TYPE[w.dtype.name]})"
        )
    if (w.shape or (1,)) != points.shape[:-1]:
        raise RuntimeError(
            "torch.histogramdd: if weight tensor is provided it should have the same shape "
            "as the input tensor excluding its innermost dimension, but got input with "
            f"shape {list(points.shape)} and weight with shape {list(w.shape)}"
        )


# ---------------------------------------------------------------------------------------
# searchsorted and bucketize


def _as_values(values, name: str) -> np.ndarray:
    if isinstance(values, Tensor):
        return values._data
    if isinstance(values, (bool, int, float, np.number)):
        # torch wraps the number in a 0-d tensor of its own type (int64 or float64)
        return np.asarray(values, np.float64 if isinstance(values, float) else np.int64)
    raise TypeError(f"{name}(): argument 'input' must be Tensor or Number, not "
                    f"{type_name(values)}")


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None) -> Tensor:
    """For each value, the index at which it would be inserted into ``sorted_sequence``
    (searched along its last dimension) to keep it sorted: before equal entries, or after
    them with ``right=True`` / ``side='right'``. ``sorter`` gives the order of an unsorted
    sequence. int64 indices (int32 with ``out_int32``)."""
    seq = check_tensor("searchsorted", sorted_sequence)
    b = seq._data
    v = _as_values(values, "searchsorted")
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side != "right":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                f"{side} while right was True"
            )
        right = side == "right"
    order = None
    if sorter is not None:
        order = sorter._data
        if order.shape != b.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(b.shape)}and got sorter tensor {list(order.shape)}"
            )
        if order.dtype != np.int64:
            raise RuntimeError(
                "torch.searchsorted(): sorter must be a tensor of long dtype but got dtype "
                f"{type_word(order)}"
            )
        if order.size and (order.min() < 0 or order.max() >= b.shape[-1]):
            raise RuntimeError("torch.searchsorted(): sorter index out of range")
    if v.ndim == 0 and b.ndim != 1:
        raise RuntimeError(
            "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
            f"dimension is 1, but we got boundaries tensor dim({b.ndim}) and input value's "
            f"dim(0) numel(1)"
        )
    if b.ndim == 0:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should have positive dimension, but got "
            "0 dimension"
        )
    if b.ndim != 1 and b.shape[:-1] != v.shape[:-1]:
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(b.shape)} and input value tensor {list(v.shape)}"
        )
    if v.size:  # torch returns early for no values, before its contiguity warnings
        _warn_non_contiguous(values, "input value", 32)
        _warn_non_contiguous(seq, "boundary", 38)
        _warn_non_contiguous(sorter, "sorter", 44)
    # torch's result_type: a number or a 0-d values tensor is converted to the sequence's
    # dtype (searchsorted(uint8 seq, -10) searches for 246)
    number = values.item() if isinstance(values, np.number) else values
    common = _dtype.result_type_of((seq, number)).np
    if common == np.bool_ and v.size:  # (no values: torch returns before its dtype check)
        raise _not_supported("searchsorted_out_cpu", b.astype(common))
    b, v = b.astype(common, copy=False), v.astype(common, copy=False)
    if b.ndim == 1:
        rows, vals = b.reshape(1, -1), v.reshape(1, -1)
        order = None if order is None else order.reshape(1, -1)
    else:
        n_rows = int(np.prod(b.shape[:-1]))
        rows, vals = b.reshape(n_rows, b.shape[-1]), v.reshape(n_rows, v.shape[-1])
        order = None if order is None else order.reshape(n_rows, b.shape[-1])
    index = _bound(rows, vals, right, order).reshape(v.shape)
    result = wrap(index.astype(np.int32 if out_int32 else np.int64))
    return _out(result, out, "searchsorted", _index_out_dtype(out_int32),
                grad_check="out")


def _warn_non_contiguous(t, name: str, line: int) -> None:
    """torch's once-per-program warning that a non-contiguous argument is copied
    (searchsorted_maybe_trim_input_tensors in BucketizationUtils.h)."""
    if isinstance(t, Tensor) and not t.is_contiguous():
        _warn_once(
            f"torch.searchsorted(): {name} tensor is non-contiguous, this will lower the "
            "performance due to extra data copy when converting non-contiguous tensor to "
            f"contiguous, please use contiguous {name} tensor if possible. This message will "
            "only appear once per program. (Triggered internally at /__w/pytorch/pytorch/aten/"
            f"src/ATen/native/BucketizationUtils.h:{line}.)"
        )


def _index_out_dtype(out_int32: bool):
    def error(want, got, field) -> RuntimeError:
        return RuntimeError(
            "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) "
            "or Long(int64) depending on whether out_int32 flag is True, but we got output "
            f"tensor's dtype {scalar_type_name(got)} and out_int32 flag is {bool(out_int32)}"
        )
    return error


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None) -> Tensor:  # noqa: A002
    """For each element, the index of the bucket of the 1-D increasing ``boundaries`` it
    falls in: ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``:
    ``boundaries[i-1] <= x < boundaries[i]``)."""
    edges = check_tensor("bucketize", boundaries)
    if edges._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({edges._data.ndim})"
        )
    return searchsorted(edges, input, out_int32=out_int32, right=right, out=out)


# ---------------------------------------------------------------------------------------
# isin


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None) -> Tensor:
    """A bool tensor of ``elements``' shape: whether each element equals one of
    ``test_elements`` (compared in their common dtype; NaN equals nothing). Either
    argument may be a number."""
    if out is not None:
        result = isin(elements, test_elements, assume_unique=assume_unique, invert=invert)
        return _out(result, out, "isin", out_dtype_must_match)
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError(
            f"isin() received an invalid combination of arguments - got "
            f"({type_name(elements)}, {type_name(test_elements)}), but expected one "
            "of:\n * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)\n * (Number element, Tensor "
            "test_elements, *, bool assume_unique = False, bool invert = False, Tensor out = "
            "None)\n * (Tensor elements, Number test_element, *, bool assume_unique = False, "
            "bool invert = False, Tensor out = None)"
        )
    meta = any(isinstance(x, Tensor) and on_meta(x._data) for x in (elements, test_elements))
    if meta:
        return _meta_isin(elements, test_elements)
    for x in (elements, test_elements):
        if not isinstance(x, (Tensor, bool, int, float, np.number)):
            raise TypeError(f"isin(): expected a Tensor or a number, got {type_name(x)}")
        if (x._data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype) == np.bool_:
            raise RuntimeError("Unsupported input type encountered for isin(): Bool")
    common = _dtype.result_type_of((elements, test_elements)).np
    # a number is converted as C++ converts it (isin(int8 tensor, 300) looks for 44)
    a = np.asarray(elements._data if isinstance(elements, Tensor) else elements).astype(
        common, copy=False)
    t = np.asarray(test_elements._data if isinstance(test_elements, Tensor)
                   else test_elements).astype(common, copy=False)
    found = np.isin(a, t.reshape(-1), invert=invert)
    return wrap(np.asarray(found, np.bool_).reshape(a.shape))


def _meta_isin(elements, test_elements) -> Tensor:
    """isin with a meta tensor: torch's meta kernel (``meta_isin``) words the bool refusal
    its own way, and the result, of ``elements``' shape, is on ``elements``' device (a CPU
    tensor's result is a CPU one, of values no meta tensor can give: zeros here)."""
    for x in (elements, test_elements):
        if not isinstance(x, (Tensor, bool, int, float, np.number)):
            raise TypeError(f"isin(): expected a Tensor or a number, got {type_name(x)}")
        if (x._data.dtype if isinstance(x, Tensor) else np.asarray(x).dtype) == np.bool_:
            raise RuntimeError("Unsupported input type encountered for isin(): torch.bool")
    if isinstance(elements, Tensor):
        shape, meta = elements._data.shape, on_meta(elements._data)
    else:
        shape, meta = (), True
    return wrap(meta_array(shape, np.bool_) if meta else np.zeros(shape, np.bool_))


# ---------------------------------------------------------------------------------------
# unique_consecutive


class UniqueConsecutive(Primitive):
    """values, inverse, counts = the first element of each run of equal elements (or
    slices along dim), where each element went, and the run lengths; not differentiable."""

    node_name = "UniqueConsecutiveBackward0"

    @staticmethod
    def forward(ctx, a, *, dim):
        moved = a.reshape(1, -1) if dim is None else np.moveaxis(a, dim, 0)
        n = a.size if dim is None else a.shape[dim]
        rows = a.reshape(-1, 1) if dim is None else moved.reshape(n, moved[:1].size)
        starts = np.ones(n, dtype=bool)
        # a new run where any element differs (NaN differs from everything, -0.0 == 0.0)
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        inverse = (np.cumsum(starts) - 1).astype(np.int64)
        counts = np.diff(np.append(np.flatnonzero(starts), n)).astype(np.int64)
        if dim is None:
            return a.reshape(-1)[starts], inverse.reshape(a.shape), counts
        # (torch's layout: the runs' first slices stacked, that dimension moved to dim)
        return np.moveaxis(np.ascontiguousarray(moved[starts]), 0, dim), inverse, counts

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Collapse each run of consecutive equal elements (slices along ``dim``) to one.
    Returns the values, with ``inverse`` (the run of every element) and/or ``counts``
    (the run lengths) when asked for."""
    x = check_tensor("unique_consecutive", input)
    a = x._data
    if on_meta(a):  # (how many runs there are is not known without the values)
        raise no_meta_kernel("unique_consecutive")
    d = None
    if dim is not None:
        if a.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = wrap_dim("unique_consecutive", dim, a.ndim)
        if a.size == 0 and a.shape[d] != 0:
            raise RuntimeError(
                "There are 0 sized dimensions, and they aren't selected, so unique cannot "
                "be applied"
            )
        if a.shape.count(0) > 1:
            raise RuntimeError(  # (torch's message ends with a space)
                "Number of zero sized dimensions is more than one, so unique cannot be "
                "applied "
            )
    values, inverse, counts = UniqueConsecutive.apply(x, dim=d)
    if not return_inverse and not return_counts:
        return values
    result = (values,)
    if return_inverse:
        result += (inverse,)
    if return_counts:
        result += (counts,)
    return result

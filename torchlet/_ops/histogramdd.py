"""torch.histogramdd: the histogram of points in N dimensions.

The last dim of ``input`` holds the N coordinates of a point (all other dims are
flattened). Each dimension has its own increasing bin edges: given as N 1-D tensors, or
made from a bin count per dimension as ``linspace(min, max, bins + 1)`` in the input dtype
over ``range`` (default: the points' min and max in that dimension, widened by 0.5 each way
if they are equal). A point counts (or adds its ``weight``) in the bin of every coordinate;
a point outside the edges in any dimension, or with a NaN, is skipped.

The bin of each coordinate is found as torch's CPU kernel finds it, so points on an edge
land where torch puts them: with edges given, ``std::upper_bound`` over all of them; with a
bin count, the first guess ``int((x - left) * bins / (right - left))`` in the input dtype,
corrected by an upper-bound search among its neighbouring edges. The last bin of each
dimension holds its right edge too.

Bin edges and counts are bit-exact. Weighted sums are accumulated in point order, as torch
does for up to 200 / N points (more are split among threads, whose partial sums may round
differently); ``density`` divides by ``hist.sum()``, whose float summation order may make
it differ in the last bit from torch's for large histograms.
"""

from __future__ import annotations

import operator

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.creation import _linspace
from torchlet._ops.reduction._common import check_tensor
from torchlet._ops.search import (
    _linear_bins,
    _not_implemented,
    _not_supported,
    check_histogram_inputs,
    upper_bound,
)
from torchlet._tensor import Tensor
from torchlet.return_types import _structseq

histogramdd_type = _structseq("histogramdd", ("hist", "bin_edges"))

_SIGNATURES = (
    " * (Tensor input, int bins, tuple of floats range = None, Tensor weight = None, "
    "bool density = False)\n"
    " * (Tensor input, tuple of ints bins, tuple of floats range = None, Tensor weight = "
    "None, bool density = False)\n"
    " * (Tensor input, tuple of Tensors bins, *, Tensor weight = None, bool density = False)\n"
)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def histogramdd(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """``torch.return_types.histogramdd(hist, bin_edges)``; ``bins`` is an int, N ints or
    N 1-D tensors of increasing edges; ``range`` is (min0, max0, min1, max1, ...)."""
    x = check_tensor("histogramdd", input)
    if _is_int(bins):
        bins = [operator.index(bins)] * (x._data.shape[-1] if x._data.ndim else 0)
    if not isinstance(bins, (tuple, list)):
        raise TypeError(
            f"histogramdd() received an invalid combination of arguments - got (Tensor, "
            f"bins={type_name(bins)}), but expected one of:\n{_SIGNATURES}"
        )
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(
            f"histogramdd(): argument 'weight' must be Tensor, not {type_name(weight)}")
    if bins and all(isinstance(b, Tensor) for b in bins):
        if range is not None:
            raise TypeError("histogramdd(): argument 'range' is not accepted with Tensor bins")
        return _from_edges(x, list(bins), weight, density)
    for pos, b in enumerate(bins):
        if not _is_int(b):
            raise TypeError(
                f"histogramdd(): argument 'bins' failed to unpack the object at pos {pos} "
                f"with error \"type must be tuple of ints,but got {type_name(b)}\""
            )
    return _from_counts(x, [operator.index(b) for b in bins], range, weight, density)


def _outer_edges(points: np.ndarray, range) -> list:  # noqa: A002
    """torch's select_outer_bin_edges: (left, right) per dimension, as doubles."""
    n = points.shape[1]
    if range is not None:
        if len(range) != 2 * n:
            raise RuntimeError(
                f"torch.histogramdd: for a {n}-dimensional histogram range should have "
                f"{2 * n} elements, but got {len(range)}"
            )
        bounds = [(float(range[2 * d]), float(range[2 * d + 1])) for d in np.arange(n)]
    elif points.size:
        if points.dtype not in (np.float32, np.float64):
            raise _not_supported("histogramdd", points)
        low, high = points.min(axis=0), points.max(axis=0)  # NaN if a column has one
        bounds = [(float(low[d]), float(high[d])) for d in np.arange(n)]
    else:
        bounds = [(0.0, 1.0)] * n  # numpy's default for no points
    edges = []
    for d, (left, right) in enumerate(bounds):
        if not (np.isfinite(left) and np.isfinite(right)):
            raise RuntimeError(
                f"torch.histogramdd: dimension {d}'s range [{left:g}, {right:g}] is not finite")
        if left > right:
            raise RuntimeError(
                f"torch.histogramdd: min should not exceed max, but got min {left:g} max "
                f"{right:g} for dimension {d}"
            )
        edges.append((left - 0.5, right + 0.5) if left == right else (left, right))
    return edges


def _from_counts(x: Tensor, counts: list, range, weight, density):  # noqa: A002
    a = x._data
    if a.ndim < 2:
        raise RuntimeError("torch.histogramdd: input tensor should have at least 2 dimensions")
    points = a.reshape(-1, a.shape[-1])
    outer = _outer_edges(points, range)
    if len(counts) != points.shape[1]:
        raise RuntimeError(
            "histogramdd: The size of bins must be equal to the innermost dimension of the "
            "input."
        )
    edges = []
    for (left, right), count in zip(outer, counts, strict=True):
        if count + 1 < 0:
            raise RuntimeError("linspace(): number of steps must be non-negative")
        edges.append(_linspace(left, right, count + 1, a.dtype))
    _check_inputs(a, edges, weight)
    hist = _histogram(points, edges, weight, density, local_search=True)
    edge_tensors = _not_implemented("_histogramdd_bin_edges", [x, weight], tuple(edges))
    (hist_tensor,) = _not_implemented("_histogramdd_from_bin_cts", [x, weight], (hist,))
    return histogramdd_type((hist_tensor, tuple(edge_tensors)))


def _from_edges(x: Tensor, bins: list, weight, density):
    a = x._data
    if a.ndim < 2:
        raise RuntimeError(
            f"torch.histogramdd: input tensor should have at least 2 dimensions, but got "
            f"{a.ndim}"
        )
    n = a.shape[-1]
    if len(bins) != n:
        raise RuntimeError(
            f"torch.histogramdd: expected {n} sequences of bin edges for a {n}-dimensional "
            f"histogram but got {len(bins)}"
        )
    edges = [b._data for b in bins]
    _check_inputs(a, edges, weight)
    hist = _histogram(a.reshape(-1, n), edges, weight, density, local_search=False)
    (hist_tensor,) = _not_implemented("_histogramdd_from_bin_tensors", [x, weight], (hist,))
    return histogramdd_type((hist_tensor, tuple(bins)))


def _check_inputs(a: np.ndarray, edges: list, weight) -> None:
    """torch's histogramdd_check_inputs and the bin-count check of its prepare_out."""
    check_histogram_inputs(a, edges, weight)
    for d, e in enumerate(edges):
        if e.size - 1 <= 0:
            raise RuntimeError(
                f"torch.histogram(): bins must be > 0, but got {e.size - 1} for dimension {d}")


def _histogram(points: np.ndarray, edges: list, weight, density: bool,
               local_search: bool) -> np.ndarray:
    """torch's histogramdd_cpu_contiguous for (M, N) points."""
    if points.dtype.kind != "f":
        raise _not_supported("histogram_cpu", points)
    n_points = points.shape[0]
    keep = np.ones(n_points, bool)
    positions = []
    for d, e in enumerate(edges):
        column = points[:, d]
        lo, hi = e[0], e[-1]
        keep &= (column >= lo) & (column <= hi)  # NaN and points outside are skipped
        inside = np.where(keep, column, lo)  # placeholder for skipped points
        n_edges = e.size
        if local_search:
            guess = _linear_bins(inside, lo, hi, n_edges - 1)
            guess = np.clip(guess, -1, n_edges)  # skipped points must not index far away
            first = np.maximum(guess - 1, 0)
            pos = upper_bound(e, inside, first, np.minimum(guess + 2, n_edges)) - 1
        else:
            pos = upper_bound(e, inside) - 1
        positions.append(np.where(pos == n_edges - 1, pos - 1, pos))
    shape = tuple(e.size - 1 for e in edges)
    hist = np.zeros(shape, points.dtype)
    index = tuple(p[keep] for p in positions)
    if weight is None:
        np.add.at(hist, index, hist.dtype.type(1))
    else:
        np.add.at(hist, index, weight._data.reshape(-1)[keep])
    if density:
        hist = hist / hist.dtype.type(hist.sum())
        for d, e in enumerate(edges):
            widths = np.diff(e).reshape((1,) * d + (-1,) + (1,) * (len(edges) - d - 1))
            hist = hist / widths
    return hist

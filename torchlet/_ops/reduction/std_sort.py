"""libstdc++'s ``std::sort`` and friends, step for step, for the kernels whose answer
depends on them.

torch's CPU ``mode``, ``sort(stable=False)`` and ``topk`` run libstdc++'s introsort,
``std::nth_element`` or ``std::partial_sort`` on (value, index) pairs, comparing values
only. None of these is stable, so which index of a repeated value comes first depends on
the exact swaps of the algorithm (median-of-three quicksort down to runs of 16, heapsort
past the depth limit, then insertion sort); with NaNs in ``mode``, which compare false
both ways, the order of everything depends on them too. Replaying the algorithm is the
only way to give torch's indices. Comparisons are Python's on the values, which treat NaN
as C++ does. The algorithms themselves live in ``_generator._StlTopk`` (multinomial
replays topk too); the classes here only choose the comparator.
"""

from __future__ import annotations

import numpy as np

from torchlet._generator import _StlTopk


class _ValueOrder(_StlTopk):
    """``a < b`` on values (``mode``'s comparator: NaN is unordered)."""

    @staticmethod
    def less(x, y) -> bool:
        return x[0] < y[0]


class _Descending(_StlTopk):
    """torch's KeyValueCompDesc / topk(largest=True): ``isnan(a) && !isnan(b) || a > b``
    (NaN first, then larger values)."""


class _Ascending(_StlTopk):
    """torch's KeyValueCompAsc / topk(largest=False): ``!isnan(a) && isnan(b) || a < b``
    (smaller values first, NaN last)."""

    @staticmethod
    def less(x, y) -> bool:
        a, b = x[0], y[0]
        return (a == a and b != b) or a < b


def _std_sort(algorithms: _StlTopk, first: int, last: int) -> None:
    """``std::sort(first, last)``: introsort with depth limit 2 * log2(n), then insertion."""
    n = last - first
    if n > 1:
        algorithms.introsort(first, last, 2 * (n.bit_length() - 1))
        algorithms.final_insertion_sort(first, last)


def std_sort_order(values: list) -> list[int]:
    """The positions of ``values`` in the order ``std::sort(..., a < b)`` leaves them."""
    algorithms = _ValueOrder(values)
    _std_sort(algorithms, 0, len(values))
    return [i for _, i in algorithms.q]


class _Lexicographic(_StlTopk):
    """torch's unique_dim comparator on rows (tuples): the first element where one row is
    below (above) the other decides; NaNs, like equal elements, pass on to the next."""

    @staticmethod
    def less(x, y) -> bool:
        for a, b in zip(x[0], y[0]):
            if a < b:
                return True
            if a > b:
                return False
        return False


def unique_dim_order(rows: list) -> list[int]:
    """The order ``std::sort`` leaves row indices in under torch's unique_dim comparator
    (``rows``: a list of tuples). With NaNs the comparator orders nothing consistently,
    so only the algorithm's own steps say where rows go."""
    algorithms = _Lexicographic(rows)
    _std_sort(algorithms, 0, len(rows))
    return [i for _, i in algorithms.q]


def sort_order(values: list, descending: bool) -> list[int]:
    """The indices torch's CPU ``sort(stable=False)`` gives one row of ``values``."""
    algorithms = (_Descending if descending else _Ascending)(values)
    _std_sort(algorithms, 0, len(values))
    return [i for _, i in algorithms.q]


def nth_element_index(values: list, nth: int) -> int:
    """The position in ``values`` of the element ``std::nth_element(first, first + nth,
    last)`` leaves at ``nth`` under torch's ascending comparator (NaN last): the median
    torch's whole-tensor median/nanmedian picks, which decides the sign of a zero."""
    n = len(values)
    algorithms = _Ascending(values)
    algorithms.introselect(0, nth, n, 2 * (n.bit_length() - 1))
    return algorithms.q[nth][1]


def topk_order(values: list, k: int, largest: bool, sorted: bool) -> list[int]:  # noqa: A002
    """The indices torch's CPU ``topk`` gives one row of ``values`` (TopKImpl.h).

    ``std::partial_sort`` when k * 64 <= n (always sorted); otherwise ``std::nth_element``
    at k - 1, then, if ``sorted``, ``std::sort`` of the k - 1 entries before it.
    """
    n = len(values)
    algorithms = (_Descending if largest else _Ascending)(values)
    if k == 0:
        return []
    if k * 64 <= n:
        algorithms.heap_select(0, k, n)
        algorithms.sort_heap(0, k)
    else:
        algorithms.introselect(0, k - 1, n, 2 * (n.bit_length() - 1))
        if sorted:
            _std_sort(algorithms, 0, k - 1)
    return [i for _, i in algorithms.q[:k]]


# ---------------------------------------------------------------------------------------
# std::sort on many rows at once
#
# Introsort's quicksort levels work on disjoint ranges, so the ranges of one level can be
# partitioned together, and one partition is vectorisable: the unguarded Hoare loop swaps
# the j-th element from the left that is not below the pivot with the j-th element from
# the right that is not above it, for as long as the two have not crossed. The final
# insertion sort only moves elements within their last range, so it is a stable sort of
# what the quicksort left. Values are replaced by their ranks under the comparator.


def sort_rows_order(rows: np.ndarray, stable_order: np.ndarray) -> np.ndarray:
    """``sort_order`` for every row of a 2-d array (rows longer than 16), given each row's
    stable order under torch's comparator (which says which values are equal)."""
    ordered = np.take_along_axis(rows, stable_order, axis=1)
    new_value = ordered[:, 1:] != ordered[:, :-1]
    if ordered.dtype.kind == "f":  # NaNs are all equal to the comparator
        new_value &= ~(np.isnan(ordered[:, 1:]) & np.isnan(ordered[:, :-1]))
    ranks = np.zeros(rows.shape, np.int64)
    np.cumsum(new_value, axis=1, out=ranks[:, 1:])
    keys = np.empty_like(ranks)
    np.put_along_axis(keys, stable_order, ranks, axis=1)
    return _std_sort_keys(keys)


def _swap(keys, perm, i, j) -> None:
    keys[i], keys[j] = keys[j], keys[i].copy()
    perm[i], perm[j] = perm[j], perm[i].copy()


def _std_sort_keys(keys: np.ndarray) -> np.ndarray:
    """The permutation ``std::sort(keys[r], <)`` applies to each row r of int keys."""
    n_rows, n = keys.shape
    flat, perm = keys.reshape(-1).copy(), np.tile(np.arange(n, dtype=np.int64), n_rows)
    starts = np.arange(n_rows, dtype=np.int64) * n
    ends, depth = starts + n, 2 * (n.bit_length() - 1)
    while starts.size:
        if depth == 0:  # too deep: heapsort each range left (rare)
            for first, last in zip(starts.tolist(), ends.tolist()):
                heap = _ValueOrder(flat[first:last].tolist())
                heap.heap_select(0, last - first, last - first)
                heap.sort_heap(0, last - first)
                order = first + np.array([i for _, i in heap.q], np.int64)
                flat[first:last], perm[first:last] = flat[order], perm[order]
            break
        depth -= 1
        cuts = _partition(flat, perm, starts, ends)
        starts, ends = np.concatenate([starts, cuts]), np.concatenate([cuts, ends])
        longer = ends - starts > 16
        starts, ends = starts[longer], ends[longer]
    order = np.argsort(flat.reshape(n_rows, n), axis=1, kind="stable")
    return np.take_along_axis(perm.reshape(n_rows, n), order, axis=1)


def _partition(keys, perm, starts, ends) -> np.ndarray:
    """libstdc++'s __unguarded_partition_pivot on every range [start, end) at once;
    returns the cuts."""
    lo, mid, hi = starts + 1, starts + (ends - starts) // 2, ends - 1
    a, b, c = keys[lo], keys[mid], keys[hi]
    pick = np.where(
        a < b,
        np.where(b < c, mid, np.where(a < c, hi, lo)),
        np.where(a < c, lo, np.where(b < c, hi, mid)),
    )
    _swap(keys, perm, starts, pick)  # the median of three becomes the pivot
    lengths = ends - starts
    seg = np.repeat(np.arange(starts.size), lengths)
    pos = np.arange(seg.size) - np.repeat(np.cumsum(lengths) - lengths, lengths) + starts[seg]
    value, pivot = keys[pos], keys[starts][seg]
    left = (value >= pivot) & (pos != starts[seg])  # where ++lo stops
    right = value <= pivot  # where --hi stops (at the pivot itself at the latest)
    l_pos, l_seg, r_pos = pos[left], seg[left], pos[right]
    l_count = np.bincount(l_seg, minlength=starts.size)
    r_count = np.bincount(seg[right], minlength=starts.size)
    l_off, r_end = np.cumsum(l_count) - l_count, np.cumsum(r_count)
    j = np.arange(l_pos.size) - l_off[l_seg]  # the j-th stop of lo meets the j-th of hi
    paired = j < r_count[l_seg]
    partner = r_pos[np.where(paired, r_end[l_seg] - 1 - j, 0)]
    swap = paired & (l_pos < partner)
    _swap(keys, perm, l_pos[swap], partner[swap])
    m = np.bincount(l_seg[swap], minlength=starts.size)
    # lo's last stop: its next stop, or the last position hi swapped, whichever is first
    next_left = np.where(m < l_count, l_pos[np.minimum(l_off + m, l_pos.size - 1)], ends)
    last_right = np.where(m > 0, r_pos[r_end - np.maximum(m, 1)], ends)
    return np.minimum(next_left, last_right)

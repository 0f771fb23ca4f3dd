"""libstdc++'s ``std::sort``, step for step, for the few kernels whose answer depends on it.

torch's CPU ``mode`` sorts (value, index) pairs with ``std::sort`` comparing values only.
That sort is not stable, so which index of a repeated value ends a run depends on the exact
swaps of introsort (median-of-three quicksort down to runs of 16, heapsort past the depth
limit, then insertion sort); and with NaNs, which compare false both ways, the order of
everything depends on them too. Reproducing the algorithm is the only way to give torch's
indices. Comparisons are Python's ``<`` on the values, which treats NaN as C++ does.
"""

from __future__ import annotations

_THRESHOLD = 16  # libstdc++'s _S_threshold


def std_sort_order(values: list) -> list[int]:
    """The positions of ``values`` in the order ``std::sort(..., a < b)`` leaves them."""
    items = [(value, i) for i, value in enumerate(values)]
    n = len(items)
    if n > 1:
        _introsort_loop(items, 0, n, 2 * (n.bit_length() - 1))
        _final_insertion_sort(items, 0, n)
    return [i for _, i in items]


def _less(a, b) -> bool:
    return a[0] < b[0]


def _introsort_loop(items, first, last, depth_limit) -> None:
    while last - first > _THRESHOLD:
        if depth_limit == 0:
            _heap_sort(items, first, last)
            return
        depth_limit -= 1
        cut = _partition_pivot(items, first, last)
        _introsort_loop(items, cut, last, depth_limit)
        last = cut


def _partition_pivot(items, first, last) -> int:
    """Median of (first + 1, middle, last - 1) moved to ``first``, then Hoare's partition."""
    _move_median_to_first(items, first, first + 1, first + (last - first) // 2, last - 1)
    pivot = items[first]
    lo, hi = first + 1, last
    while True:
        while lo < last - 1 and _less(items[lo], pivot):
            lo += 1
        hi -= 1
        while hi > first and _less(pivot, items[hi]):
            hi -= 1
        if not lo < hi:
            return lo
        items[lo], items[hi] = items[hi], items[lo]
        lo += 1


def _move_median_to_first(items, result, a, b, c) -> None:
    if _less(items[a], items[b]):
        if _less(items[b], items[c]):
            pick = b
        elif _less(items[a], items[c]):
            pick = c
        else:
            pick = a
    elif _less(items[a], items[c]):
        pick = a
    elif _less(items[b], items[c]):
        pick = c
    else:
        pick = b
    items[result], items[pick] = items[pick], items[result]


def _heap_sort(items, first, last) -> None:
    """std::partial_sort(first, last, last): make_heap, then pop every element."""
    length = last - first
    for parent in range((length - 2) // 2, -1, -1):
        _adjust_heap(items, first, parent, length, items[first + parent])
    while last - first > 1:
        last -= 1
        value = items[last]
        items[last] = items[first]
        _adjust_heap(items, first, 0, last - first, value)


def _adjust_heap(items, first, hole, length, value) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if _less(items[first + child], items[first + child - 1]):
            child -= 1
        items[first + hole] = items[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        items[first + hole] = items[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and _less(items[first + parent], value):
        items[first + hole] = items[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    items[first + hole] = value


def _final_insertion_sort(items, first, last) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(items, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _linear_insert(items, first, i)
    else:
        _insertion_sort(items, first, last)


def _insertion_sort(items, first, last) -> None:
    for i in range(first + 1, last):
        value = items[i]
        if _less(value, items[first]):
            items[first + 1:i + 1] = items[first:i]
            items[first] = value
        else:
            _linear_insert(items, first, i)


def _linear_insert(items, first, last) -> None:
    """libstdc++'s unguarded insert; ``first`` only bounds it where C++ would run off."""
    value = items[last]
    while last > first and _less(value, items[last - 1]):
        items[last] = items[last - 1]
        last -= 1
    items[last] = value

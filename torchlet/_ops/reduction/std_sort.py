"""libstdc++'s ``std::sort``, step for step, for the few kernels whose answer depends on it.

torch's CPU ``mode`` sorts (value, index) pairs with ``std::sort`` comparing values only.
That sort is not stable, so which index of a repeated value ends a run depends on the exact
swaps of introsort (median-of-three quicksort down to runs of 16, heapsort past the depth
limit, then insertion sort); and with NaNs, which compare false both ways, the order of
everything depends on them too. Reproducing the algorithm is the only way to give torch's
indices. Comparisons are Python's ``<`` on the values, which treats NaN as C++ does.
"""

from __future__ import annotations

from torchlet._generator import _StlTopk


class _ValueOrder(_StlTopk):
    """libstdc++'s algorithms (replayed in _generator for topk) with ``a < b`` on values."""

    @staticmethod
    def less(x, y) -> bool:
        return x[0] < y[0]


def std_sort_order(values: list) -> list[int]:
    """The positions of ``values`` in the order ``std::sort(..., a < b)`` leaves them."""
    n = len(values)
    algorithms = _ValueOrder(values)
    if n > 1:
        algorithms.introsort(0, n, 2 * (n.bit_length() - 1))
        algorithms.final_insertion_sort(0, n)
    return [i for _, i in algorithms.q]

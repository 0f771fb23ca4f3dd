"""Indexing: ``t[...]``, ``t[...] = v``, gather/scatter, index_select/index_add,
masked_fill/masked_select, take, nonzero.

* ``subscript``: ``getitem`` and ``setitem``, torch's basic-then-advanced algorithm;
* ``gather_scatter``: gather, scatter, scatter_add, scatter_reduce, take, take_along_dim;
* ``select_mask``: index_select, index_add, index_fill, masked_fill, masked_select,
  masked_scatter, nonzero, argwhere;
* ``index_more``: index_copy, index_reduce, put, index_put_, fill_diagonal_,
  diagonal_scatter, select_scatter, slice_scatter.

Indices are checked as torch checks them (dtype, shape, bounds) and an index out of range
raises torch's error, never a wrapped-around NumPy result. The index and mask tensors are
saved for backward where torch saves them (``saved=`` of the primitives; scatter_add and
index_add only when their source needs a gradient), so changing one in place before
backward, or a second backward, raises torch's error.
"""

from torchlet._ops.indexing.gather_scatter import (
    gather,
    scatter,
    scatter_add,
    scatter_reduce,
    take,
    take_along_dim,
)
from torchlet._ops.indexing.index_more import (
    diagonal_scatter,
    fill_diagonal_,
    index_copy,
    index_put_,
    index_reduce,
    put,
    select_scatter,
    slice_scatter,
)
from torchlet._ops.indexing.select_mask import (
    argwhere,
    index_add,
    index_fill,
    index_select,
    masked_fill,
    masked_scatter,
    masked_select,
    nonzero,
)
from torchlet._ops.indexing.subscript import getitem, index_put, setitem

__all__ = [
    "argwhere", "diagonal_scatter", "fill_diagonal_", "gather", "getitem", "index_add",
    "index_copy", "index_fill", "index_put", "index_put_", "index_reduce", "index_select",
    "masked_fill", "masked_scatter", "masked_select", "nonzero", "put", "scatter",
    "scatter_add", "scatter_reduce", "select_scatter", "setitem", "slice_scatter", "take",
    "take_along_dim",
]

"""torch's float sum over any dims of any layout: the order TensorIterator walks it in.

``_cascade`` has the kernels (how torch adds the numbers of one 2-D block); this module
decides which kernel sees which numbers, as torch's TensorIterator does for a reduction
(aten/src/ATen/TensorIterator.cpp, TensorIteratorReduce.cpp, native/cpu/SumKernel.cpp):

1. Size-1 dims are dropped. The output is C-contiguous over the kept dims; a reduced dim
   has output stride 0.
2. The dims are sorted, innermost first (``_iteration_order``): reduced dims before kept
   ones, kept dims by output stride, reduced dims by input stride (ties: the smaller dim
   first).
3. Neighbouring dims whose strides chain (size * stride == next stride, for input and
   output) are merged into one (``_coalesced``).
4. The two innermost dims form a 2-D block (d0: reduced; d1: reduced or kept), handed to
   one of four kernels: a contiguous d0 of 8+ float32 is summed as vectors
   (``inner_sum``); else a contiguous d1 of 8+ columns sums 4 vectors of columns at a time
   by ``multi_row_sum`` (the other columns by ``row_sum``); else by input stride, each
   column by ``row_sum`` (d0 the finer) or 4 columns at a time by ``multi_row_sum``.
5. Each result is added into the zeroed output, block after block: when d1 and the outer
   dims are reduced, one output takes the results one at a time, in iteration order.
6. From 32768 elements on, torch splits the work across threads: a sum to one number
   sums per-thread ranges and then the range sums (``_two_pass``); otherwise the
   outermost kept dim is cut into per-thread ranges (rounded to 128 bytes when the input is
   contiguous along it), which changes the blocks when that dim is d1.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from torchlet._ops.indexing._common import tensor_iterator_sort
from torchlet._ops.reduction import _cascade

_FLOAT16 = np.dtype(np.float16)


class _Dim(NamedTuple):
    """One dim of the iteration: its size, input and output strides (in elements), and
    the original axes merged into it and their sizes, innermost first."""

    size: int
    in_stride: int
    out_stride: int
    axes: tuple
    sizes: tuple


def strided_sum(a: np.ndarray, dims, threads: int):
    """The sum of float array ``a`` over ``dims`` (a tuple of axes) as torch adds it,
    shape: a's shape without the reduced dims, dtype a's (float16 accumulates in
    float32)."""
    out_shape = tuple(n for i, n in enumerate(a.shape) if i not in dims)
    order = _coalesced(_iteration_order(a, dims))
    if not order or order[0].out_stride != 0:  # nothing left to reduce: 0 + a
        return _to_output(np.zeros(out_shape, a.dtype), a.reshape(out_shape))
    view = _view(a, order)  # outermost dim first, d0 last
    d1 = order[1] if len(order) > 1 else _Dim(1, 0, 0, (), ())
    blocks = np.swapaxes(view, -1, -2) if len(order) > 1 else view[:, None]
    if a.size >= _cascade.GRAIN_SIZE and threads > 1 and math.prod(out_shape) == 1:
        if len(order) == 1 and order[0].in_stride == 1:
            return np.full(out_shape, _cascade.full_sum(view, threads), a.dtype)
        return np.full(out_shape, _two_pass(blocks, order[0], d1, threads), a.dtype)
    ranges = [(0, d1.size)]
    if a.size >= _cascade.GRAIN_SIZE and threads > 1 and _split_dim(order, threads) == 1:
        ranges = _thread_ranges(d1, threads, a.dtype.itemsize)
    parts = [_block_sums(blocks[..., begin:end], order[0], d1) for begin, end in ranges]
    sums = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
    kept = [d for d in order if d.out_stride != 0]
    if d1.out_stride == 0:  # the blocks' results all go into one output, one by one
        sums = sums.reshape(tuple(d.size for d in reversed(kept)) + (-1,))
        sums = _added_in_order(sums, a.dtype)
    return _to_output(np.zeros(out_shape, a.dtype), sums, kept)


def _iteration_order(a: np.ndarray, dims) -> list:
    """The non-size-1 dims of ``a`` as _Dims, innermost first, in TensorIterator's order
    (``reorder_dimensions``: an insertion sort in which a tie moves nothing)."""
    out_strides, stride = {}, 1
    for axis in reversed(range(a.ndim)):
        if axis not in dims:
            out_strides[axis] = stride
            stride *= a.shape[axis]
    item = a.dtype.itemsize
    perm = [_Dim(a.shape[i], a.strides[i] // item, out_strides.get(i, 0), (i,), (a.shape[i],))
            for i in reversed(range(a.ndim)) if a.shape[i] != 1]
    return tensor_iterator_sort(perm, _should_swap)


def _should_swap(d0: _Dim, d1: _Dim) -> int:
    """1 if d0 goes after d1, -1 if before, 0 if undecided: the output first (reduced
    dims to the front, then by stride), then the input; a 0 stride decides nothing."""
    if (d0.out_stride == 0) != (d1.out_stride == 0):
        return 1 if d1.out_stride == 0 else -1
    for s0, s1 in ((d0.out_stride, d1.out_stride), (d0.in_stride, d1.in_stride)):
        if s0 == 0 or s1 == 0:
            continue
        if s0 != s1:
            return -1 if s0 < s1 else 1
        if d0.size > d1.size:
            return 1
    return 0


def _coalesced(order: list) -> list:
    """Neighbours merged where both strides chain (``coalesce_dimensions``)."""
    merged = order[:1]
    for dim in order[1:]:
        last = merged[-1]
        if (last.size * last.in_stride == dim.in_stride
                and last.size * last.out_stride == dim.out_stride):
            merged[-1] = _Dim(last.size * dim.size, last.in_stride, last.out_stride,
                              last.axes + dim.axes, last.sizes + dim.sizes)
        else:
            merged.append(dim)
    return merged


def _view(a: np.ndarray, order: list) -> np.ndarray:
    """``a`` with its axes in iteration order, outermost first, merged dims reshaped into
    one (a view: their strides chain)."""
    axes = [axis for dim in reversed(order) for axis in reversed(dim.axes)]
    squeezed = a.reshape(tuple(n for n in a.shape if n != 1)) if 1 in a.shape else a
    position = {axis: i for i, axis in enumerate(i for i in range(a.ndim) if a.shape[i] != 1)}
    return squeezed.transpose([position[axis] for axis in axes]).reshape(
        tuple(dim.size for dim in reversed(order)))


def _block_sums(blocks: np.ndarray, d0: _Dim, d1: _Dim) -> np.ndarray:
    """The sums over axis -2 of ``blocks`` (..., d0 rows, d1 columns), by the kernel torch
    picks for the block, in the accumulation dtype."""
    rows, columns = blocks.shape[-2:]
    vector = 32 // blocks.dtype.itemsize  # one AVX2 register of the input dtype
    acc = _cascade.accumulation_dtype(blocks.dtype)
    if d0.in_stride == 1 and rows >= vector:  # contiguous inner reduction
        lead = blocks.shape[:-2]
        inner = np.swapaxes(blocks, -1, -2).reshape(-1, rows)
        return _cascade.inner_sum_fast(inner).reshape(lead + (columns,))
    blocks = blocks.astype(acc, copy=False)
    if d1.in_stride == 1 and columns >= vector:  # contiguous outer reduction
        grouped = columns - columns % (4 * (32 // acc.itemsize))
    elif d0.in_stride < d1.in_stride:  # each column by row_sum
        grouped = 0
    else:  # four columns at a time
        grouped = columns - columns % 4
    parts = []
    if grouped:
        parts.append(_cascade._multi_row_sum(blocks[..., :grouped]))
    if grouped < columns:
        parts.append(_cascade._row_sum(blocks[..., grouped:]))
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def _two_pass(blocks: np.ndarray, d0: _Dim, d1: _Dim, threads: int):
    """A sum to one number split across threads (``two_pass_reduction``): the iteration
    (d0 fastest, then d1, then the outer dims) is cut into per-thread ranges of its
    elements; each thread adds the blocks of its range into its own slot (a range may
    start or end inside a row or a block, and such a piece is a block of its own), and the
    slots, held in the output's dtype (a float16 slot is rounded), are summed at the end."""
    rows, columns = blocks.shape[-2], blocks.shape[-1]
    blocks = blocks.reshape(-1, rows, columns)  # (outer, d0, d1): iteration order
    n = blocks.size
    used = min(threads, -(-n // _cascade.GRAIN_SIZE))
    chunk = -(-n // used)
    slots = np.zeros(threads, blocks.dtype)  # torch's buffer: the output's dtype
    for t, begin in enumerate(range(0, n, chunk)):
        end, pos, pieces = min(begin + chunk, n), begin, []
        while pos < end:
            row, rest = pos % rows, pos // rows
            column, outer = rest % columns, rest // columns
            whole = (end - pos) // (rows * columns)
            if row == 0 and column == 0 and whole:  # whole blocks, summed together
                pieces.append(_block_sums(blocks[outer:outer + whole], d0, d1).reshape(-1))
                pos += whole * rows * columns
                continue
            height = min(rows - row, end - pos)  # TensorIterator's max_2d_step
            width = min(columns - column, (end - pos) // rows) if height == rows else 1
            piece = blocks[outer, row:row + height, column:column + width]
            pieces.append(_block_sums(piece, d0, d1))
            pos += height * width
        slots[t] = _added_in_order(np.concatenate(pieces), blocks.dtype)
    return _cascade.full_sum(slots, 1)


def _split_dim(order: list, threads: int) -> int:
    """The dim torch cuts into per-thread ranges (``find_split_dim``): from the outermost
    inwards over kept dims, the first with at least one element per thread, else the
    largest."""
    best = len(order) - 1
    for i in range(len(order) - 1, -1, -1):
        if order[i].out_stride == 0:
            break
        if order[i].size >= threads:
            return i
        if order[i].size > order[best].size:
            best = i
    return best


def _thread_ranges(dim: _Dim, threads: int, itemsize: int) -> list:
    """Per-thread ranges of ``dim`` (``parallel_for`` with grain 1), their ends rounded
    down to 128 bytes where the input is contiguous along it."""
    used = min(threads, dim.size)
    chunk = -(-dim.size // used)
    multiple = 128 // itemsize if dim.in_stride == 1 else 1
    ranges = []
    for start in range(0, dim.size, chunk):
        begin, end = start - start % multiple, min(start + chunk, dim.size)
        if end != dim.size:
            end -= end % multiple
        if begin < end:
            ranges.append((begin, end))
    return ranges


def _added_in_order(sums: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """0 + s[..., 0] + s[..., 1] + ..., in the accumulation dtype (float16 sums are
    accumulated in float32 and rounded once, as torch's output buffer for them is float),
    returned in ``dtype``."""
    if dtype != _FLOAT16:
        return np.add.accumulate(sums.astype(dtype, copy=False), axis=-1)[..., -1]
    return np.add.accumulate(sums, axis=-1)[..., -1].astype(dtype)


def _to_output(out: np.ndarray, sums: np.ndarray, kept=None) -> np.ndarray:
    """``out + sums`` (a zero start turns -0.0 into 0.0), ``sums`` given in the order of
    ``kept`` (outermost first) or, without it, already in out's order."""
    if kept is not None:
        axes = [axis for dim in reversed(kept) for axis in reversed(dim.axes)]
        sizes = [size for dim in reversed(kept) for size in reversed(dim.sizes)]
        sums = sums.reshape(sizes).transpose(np.argsort(axes)).reshape(out.shape)
    np.add(out, sums, out=out, casting="unsafe")
    return out

"""torch's CPU float sum, addition for addition, in NumPy.

Float addition is not associative, so a sum prints torch's digits only if it adds in
torch's order. torch's kernel (aten/src/ATen/native/cpu/SumKernel.cpp, ``cascade_sum``)
fixes that order; NumPy's pairwise ``add.reduce`` follows another one. The pieces:

- ``multi_row_sum``: rows are added one after the other into an accumulator that is
  flushed every ``step = 2**max(4, ceil_log2(rows) // 4)`` rows into the next of four
  levels (a running cascade); every column of the rows is an independent sum.
- ``row_sum``: a sequence of values (scalars or vectors) is cut into four interleaved
  accumulators (values 4i + k go to accumulator k), summed by ``multi_row_sum``; the
  leftover values join accumulator 0, then accumulators 1, 2, 3 are added to it.
- a contiguous (inner) sum loads vectors of 32 bytes (AVX2: torch registers this kernel
  without AVX512, so an AVX512 CPU sums in the same order), row-sums them lane by lane,
  then adds, from zero, the leftover scalars and then the lanes in order. float16 loads 16
  halves as two float32 vectors and adds them (lane i: halves i and i + 8): half sums in
  float32 and rounds once.
- a reduction over the outer dim of a 2-D block sums 4 vectors of columns at a time by
  ``multi_row_sum`` over the rows, and the remaining columns by ``row_sum``.
- torch splits a large reduction (32768+ elements) across threads: a full sum is summed
  per thread chunk and the chunk sums are summed again; an outer sum splits its columns.

Each step adds rows of a 2-D block in order, column by column (``_add_rows``); a sum
along the innermost axis would go pairwise in NumPy, so single running sums use
``accumulate``.

``inner_sum``, ``_outer_block`` and ``multi_row_sum`` follow torch step by step. Small
sums (the usual loss, batch or logit sums) take shortcuts of a few NumPy calls that add
in the same order, each tested against the step-by-step path: ``_short_column_sums``
(rows of up to 1023 vectors, transposed so that many rows are summed together) and
``_short_outer_block`` (fewer than 256 rows).
"""

from __future__ import annotations

import numpy as np

_VECTOR_BYTES = 32  # one AVX2 register
GRAIN_SIZE = 32768  # at::internal::GRAIN_SIZE: smaller reductions run on one thread
_FLOAT16 = np.dtype(np.float16)
_FLOAT32 = np.dtype(np.float32)


def _in_order(x: np.ndarray) -> np.ndarray:
    """``x[..., 0, :] + x[..., 1, :] + ...`` added in order along axis -2."""
    if x.shape[-2] == 0:
        return np.zeros(x.shape[:-2] + x.shape[-1:], x.dtype)
    if x.shape[-1] > 1:
        return _add_rows(x)
    return np.add.accumulate(x, axis=-2)[..., -1, :]  # a 1-wide reduce would go pairwise


def _add_rows(x: np.ndarray) -> np.ndarray:
    """The rows of ``x`` (axis -2) added in order, each column on its own. einsum, as
    ``add.reduce(x, axis=-2)``, runs its inner loop along the contiguous columns and so
    adds row after row, but 3 times as fast on large arrays (4 ms for 10**7 float32 in
    (nb, 16, 32) blocks, against 15 ms; 3.7 ms for NumPy's pairwise sum of them). Below
    16384 elements einsum's fixed cost is the larger (1.9 against 1.5 us at 1024). Both
    add row after row only while the columns are the contiguous axis: otherwise they sum
    along the rows in their own order, so such an ``x`` is copied first."""
    if x.strides[-1] != x.itemsize:
        x = np.ascontiguousarray(x)
    if x.size < 16384:
        return np.add.reduce(x, axis=-2)
    return np.einsum("...ij->...j", x)


def _multi_row_sum(rows: np.ndarray) -> np.ndarray:
    """torch's ``multi_row_sum`` over axis -2 of ``rows`` (..., size, columns): blocks
    of ``step`` rows are summed in order; every ``step`` block sums make a level-2 sum,
    every ``step`` of those a level-3 sum, and level 3 takes everything above. The partial
    sums left at each level (fewer than ``step``) are then added, lowest level first."""
    size = rows.shape[-2]
    step = 1 << max(4, max(size - 1, 1).bit_length() // 4)  # torch's CeilLog2(1) is 1
    if size < step:  # (the usual case below 16 x 16 rows: one running sum)
        return _in_order(rows)
    lead, columns = rows.shape[:-2], rows.shape[-1]
    partials = []
    level = rows
    for _ in range(3):
        n = level.shape[-2]
        full = n - n % step
        if full < n:
            partials.append(_in_order(level[..., full:, :]))
        if full == 0:
            break
        blocks = level[..., :full, :].reshape(lead + (full // step, step, columns))
        level = _add_rows(blocks)
    else:
        partials.append(_in_order(level))
    total = partials[0]
    for partial in partials[1:]:
        total = total + partial
    return total


def _row_sum(values: np.ndarray) -> np.ndarray:
    """torch's ``row_sum`` over axis -2 of ``values`` (..., size, lanes), with four
    interleaved accumulators."""
    size, lanes = values.shape[-2:]
    lead = values.shape[:-2]
    quads = size // 4
    leftover = values[..., quads * 4:, :]
    if quads == 0:
        return _in_order(leftover)
    interleaved = values[..., :quads * 4, :].reshape(lead + (quads, 4 * lanes))
    acc = _multi_row_sum(interleaved).reshape(lead + (4, lanes))
    if leftover.shape[-2]:
        acc = np.concatenate([acc[..., :1, :], leftover, acc[..., 1:, :]], axis=-2)
    return _in_order(acc)


def accumulation_dtype(dtype: np.dtype) -> np.dtype:
    """float16 is summed in float32; float32 and float64 in themselves."""
    return _FLOAT32 if dtype == _FLOAT16 else dtype


def inner_sum(x: np.ndarray) -> np.ndarray:
    """Sum of each row of a 2-D float array with contiguous rows, shape (rows,), in the
    accumulation dtype (round float16 results once)."""
    acc = accumulation_dtype(x.dtype)
    width = _VECTOR_BYTES // x.dtype.itemsize  # elements per vector load
    lanes = _VECTOR_BYTES // acc.itemsize  # accumulators per vector
    rows, n = x.shape
    if n < width:  # torch's scalar loop
        return _row_sum(x.astype(acc, copy=False)[..., None])[..., 0].copy()
    loads = n // width
    vectors = x[:, :loads * width].reshape(rows, loads, width // lanes, lanes)
    if width == lanes:
        vectors = vectors[:, :, 0]
    else:  # float16: 16 halves load as two float32 vectors (halves 0-7, 8-15), added
        vectors = vectors.astype(acc)
        vectors = vectors[:, :, 0] + vectors[:, :, 1]
    lane_sums = _row_sum(vectors)
    if loads * width < n:
        rest = x[:, loads * width:].astype(acc, copy=False)
        lane_sums = np.concatenate([rest, lane_sums], axis=1)
    return np.add.accumulate(lane_sums, axis=1)[:, -1].copy()  # (a contiguous result)


# Below 1024 vectors (256 rows of four) ``multi_row_sum`` is at most two levels of
# 16-row blocks (``_short_rows``), which lets ``_short_column_sums`` take a few NumPy calls.
_SHORT_VECTORS = 1024
_SHORT_DTYPES = (_FLOAT32, np.dtype(np.float64))


def _short_column_sums(x: np.ndarray) -> np.ndarray:
    """``inner_sum`` of each column of ``x`` (n, columns), C-contiguous, float32 or
    float64, n from 1 to 1023 vectors: shape (columns,). Each column is a row torch sums,
    transposed: then every step is a NumPy reduction over axis 0, whose inner loop runs
    along the columns, so it adds row after row, and the many short rows of
    ``x.sum(-1)`` are summed together.

    The steps of ``inner_sum``, with L lanes a vector, loads = n // L vectors and quads =
    loads // 4 rows of four vectors: accumulator k (k = 0..3) is the ``multi_row_sum`` of
    vectors 4q + k; the loads % 4 leftover vectors are added to accumulator 0, then
    accumulators 1, 2, 3 are, lane by lane; last, in order, the n % L leftover scalars
    and the L lane sums. Below one vector it is torch's scalar loop: the same with single
    values for vectors. (As in ``inner_sum``, a zero sum may come out as -0.0: the
    callers add torch's + 0.0.)"""
    n, columns = x.shape
    lanes = _VECTOR_BYTES // x.dtype.itemsize
    if n < lanes:  # scalar loop: x0 (+ x4 + x5 + x6) + x1 + x2 + x3
        return _in_order(x if n < 4 else x[_SCALAR_ORDER[n]])
    if n < 2 * lanes:  # one vector: its leftover scalars, then its lanes, one by one
        return _in_order(x if n == lanes else x[_ONE_VECTOR_ORDER[n - lanes, lanes]])
    loads, left = divmod(n, lanes)
    quads, extra = divmod(loads, 4)
    width = lanes * columns  # a row of one vector of every column
    if quads:
        acc = _short_rows(x[:quads * 4 * lanes].reshape(quads, 4 * width)).reshape(4, width)
        if extra:
            vectors = x[quads * 4 * lanes:loads * lanes].reshape(extra, width)
            acc = np.concatenate((acc[:1], vectors, acc[1:]))
    else:  # no full row of four: the 1 to 3 vectors are added in order
        acc = x[:loads * lanes].reshape(loads, width)
    lane_sums = np.add.reduce(acc, axis=0) if len(acc) > 1 else acc[0]
    lane_sums = lane_sums.reshape(lanes, columns)
    if left:
        lane_sums = np.concatenate((x[loads * lanes:], lane_sums))
    return _in_order(lane_sums)


_SCALAR_ORDER = {n: np.array([0, *range(4, n), 1, 2, 3]) for n in range(4, 8)}
_ONE_VECTOR_ORDER = {(left, lanes): np.array([*range(lanes, lanes + left), *range(lanes)])
                     for lanes in (4, 8) for left in range(1, lanes)}


def _short_sum(flat: np.ndarray):
    """``_short_column_sums`` of one 1-D row: a NumPy scalar."""
    return _short_column_sums(flat.reshape(-1, 1))[0]


def _is_short(n: int, dtype: np.dtype) -> bool:
    """Whether ``_short_column_sums`` takes sums of ``n`` elements of ``dtype``."""
    return dtype in _SHORT_DTYPES and 0 < n * dtype.itemsize < _SHORT_VECTORS * _VECTOR_BYTES


def inner_sum_fast(x: np.ndarray) -> np.ndarray:
    """``inner_sum`` (the same bits), by ``_short_column_sums`` where that is quicker:
    one row (its transpose is itself), or rows short enough that copying them into
    columns costs less than the general path's many small steps (``_transpose_pays``)."""
    rows, n = x.shape
    if _is_short(n, x.dtype) and (rows == 1 or _transpose_pays(n * x.itemsize, x.size)):
        lanes = _VECTOR_BYTES // x.dtype.itemsize
        if 4 <= n < 2 * lanes and n != lanes:  # (the usual logits and small feature rows)
            # the transpose and _short_column_sums' reordering in one copy
            order = _SCALAR_ORDER[n] if n < lanes else _ONE_VECTOR_ORDER[n - lanes, lanes]
            return _in_order(x.T.take(order, axis=0))
        return _short_column_sums(np.ascontiguousarray(x.T))
    return inner_sum(x)


def _transpose_pays(row_bytes: int, size: int) -> bool:
    """Whether ``inner_sum_fast`` copies rows of ``row_bytes`` into columns, for ``size``
    elements in all. Measured (float32 and float64, 16K to 1M elements): rows of up to
    128 bytes always (the general path's steps are per row: (65536, 8) float32 takes 0.3
    against 2.4 ms), of up to 256 bytes up to 262144 elements, of up to 8 KiB up to 65536
    elements; past that the copy runs out of cache. Rows of 1, 2, 4 or 8 KiB are the
    exception: their columns, a power of two apart, collide in the cache (up to three
    times as slow as the general path)."""
    if row_bytes > 8192 or (row_bytes >= 1024 and row_bytes & (row_bytes - 1) == 0):
        return False
    return row_bytes <= 128 or size <= (1 << 18 if row_bytes <= 256 else 1 << 16)


def _sum_one_thread(flat: np.ndarray):
    """``inner_sum`` of one contiguous 1-D row."""
    if _is_short(flat.shape[0], flat.dtype):
        return _short_column_sums(flat.reshape(-1, 1))[0]  # (_short_sum, one call less)
    return inner_sum(flat.reshape(1, -1))[0]


def full_sum(flat: np.ndarray, threads: int):
    """Sum of a contiguous 1-D float array as torch gives it with ``threads`` threads:
    a NumPy scalar of flat's dtype. From 32768 elements on, each thread sums a chunk of
    ceil(n / threads') elements (threads' = min(threads, ceil(n / 32768))), the chunk
    sums are rounded to the result dtype and summed again over ``threads`` slots."""
    n = flat.shape[0]
    if n < GRAIN_SIZE or threads <= 1:
        total = _sum_one_thread(flat)
    else:
        used = min(threads, -(-n // GRAIN_SIZE))
        chunk = -(-n // used)
        slots = np.zeros(threads, flat.dtype)
        for t, start in enumerate(range(0, n, chunk)):
            slots[t] = _sum_one_thread(flat[start:start + chunk])
        total = _sum_one_thread(slots)
    # into torch's zeroed output: -0.0 becomes 0.0 (a typed zero: NumPy 1's float32
    # scalar + 0.0 is a float64)
    total = total + total.dtype.type(0)
    return flat.dtype.type(total) if flat.dtype == _FLOAT16 else total  # (summed as float)


def _outer_block(x: np.ndarray) -> np.ndarray:
    """Column sums of a 2-D block with contiguous rows, as one torch thread adds them:
    vectors of 4 x lanes columns (4 columns when the block is narrower than one vector)
    by ``multi_row_sum`` over the rows, the other columns by ``row_sum``."""
    if x.shape[0] < 256 and x.dtype != _FLOAT16:
        return _short_outer_block(x)
    return _general_outer_block(x)


def _general_outer_block(x: np.ndarray) -> np.ndarray:
    """``_outer_block`` for any block, step by step (leading dims: a batch of blocks)."""
    vector_wide = x.shape[-1] >= _VECTOR_BYTES // x.dtype.itemsize  # (16 halves)
    x = x.astype(accumulation_dtype(x.dtype), copy=False)
    group = 4 * (_VECTOR_BYTES // x.dtype.itemsize) if vector_wide else 4
    grouped = x.shape[-1] - x.shape[-1] % group
    sums = [_multi_row_sum(x[..., :grouped])] if grouped else []
    if grouped < x.shape[-1]:
        sums.append(_row_sum(x[..., grouped:]))
    return sums[0] if len(sums) == 1 else np.concatenate(sums, axis=-1)


def _short_outer_block(x: np.ndarray, zeroed: bool = False) -> np.ndarray:
    """``_outer_block`` of a float32/float64 block of fewer than 256 rows (a batch's bias
    gradient) in a few NumPy calls: there ``multi_row_sum`` has one level of 16-row blocks
    (``_short_rows``), and ``row_sum``'s four accumulators are the rows taken four by four,
    with the leftover rows after the first accumulator.

    ``zeroed``: the sums plus 0.0, as torch's zeroed output holds them (a -0.0 becomes
    +0.0, nothing else changes), the addition folded into the last reduction where there
    is one: it then starts from 0.0 (``initial``), and ((0 + a) + b) + ... has the bits
    of ((a + b) + ...) + 0 (a -0.0 partial sum becomes +0.0, whose sums with anything
    differ at most in the sign of a zero). One NumPy call less for the bias gradient."""
    rows, columns = x.shape
    lanes = _VECTOR_BYTES // x.dtype.itemsize
    group = 4 * lanes if columns >= lanes else 4
    grouped = columns - columns % group
    if grouped == columns:
        return _short_rows(x, zeroed)
    rest, width, quads = x[:, grouped:], columns - grouped, rows // 4
    if quads:
        acc = _short_rows(rest[:quads * 4].reshape(quads, 4 * width)).reshape(4, width)
        if quads * 4 < rows:
            acc = np.concatenate((acc[:1], rest[quads * 4:], acc[1:]))
    else:
        acc = rest
    # (axis 0 of a C-contiguous block: row after row; one column wide, NumPy would add
    # them in another order given an initial value, or even initial=None)
    if zeroed and width > 1:
        tail = np.add.reduce(acc, axis=0, initial=0.0)
    else:
        tail = np.add.reduce(acc, axis=0)
        if zeroed:
            np.add(tail, 0.0, out=tail)
    if not grouped:
        return tail
    return np.concatenate((_short_rows(x[:, :grouped], zeroed), tail))


def _short_rows(x: np.ndarray, zeroed: bool = False) -> np.ndarray:
    """``multi_row_sum`` over axis 0 of fewer than 256 rows: the leftover rows' in-order
    sum plus the in-order sum of the 16-row blocks' sums. (``zeroed``: plus 0.0, as in
    ``_short_outer_block``.)"""
    rows = x.shape[0]  # (2+ columns: see _short_outer_block for one)
    if rows < 16:
        return np.add.reduce(x, axis=0, initial=0.0) if zeroed else np.add.reduce(x, axis=0)
    full = rows - rows % 16
    blocks = np.add.reduce(x[:full].reshape(full // 16, 16, x.shape[1]), axis=1)
    if zeroed and full == rows and full > 16:  # (a batch of 32, 48, 64, ...)
        return np.add.reduce(blocks, axis=0, initial=0.0)
    total = np.add.reduce(blocks, axis=0) if full > 16 else blocks[0]
    if full < rows:
        total = np.add.reduce(x[full:], axis=0) + total
    return np.add(total, 0.0, out=total) if zeroed else total  # (total: a new array)


# The same for a batch of blocks (x.sum(1) of a 3-D x: ``sums._middle_block_sum``).
# The 2-D functions above stay as they are: a bias gradient takes them, and the batch's
# extra indexing would cost it 10 to 20 %.


def outer_blocks(x: np.ndarray) -> np.ndarray:
    """``_outer_block`` of each block x[i] (x: (batch, rows, columns), 2+ columns, rows
    contiguous), shape (batch, columns)."""
    if x.shape[1] < 256 and x.dtype != _FLOAT16:
        return _short_outer_blocks(x)
    return _general_outer_block(x)


def _short_outer_blocks(x: np.ndarray) -> np.ndarray:
    """``_short_outer_block`` of each block of x (batch, rows, columns)."""
    batch, rows, columns = x.shape
    lanes = _VECTOR_BYTES // x.dtype.itemsize
    group = 4 * lanes if columns >= lanes else 4
    grouped = columns - columns % group
    if grouped == columns:
        return _short_rows_batched(x)
    rest, width, quads = x[:, :, grouped:], columns - grouped, rows // 4
    if quads:
        acc = _short_rows_batched(rest[:, :quads * 4].reshape(batch, quads, 4 * width))
        acc = acc.reshape(batch, 4, width)
        if quads * 4 < rows:
            acc = np.concatenate((acc[:, :1], rest[:, quads * 4:], acc[:, 1:]), axis=1)
    else:
        acc = rest
    # (at most 7 rows: NumPy adds them in order even one column wide)
    tail = np.add.reduce(acc, axis=1)
    if not grouped:
        return tail
    return np.concatenate((_short_rows_batched(x[:, :, :grouped]), tail), axis=1)


def _short_rows_batched(x: np.ndarray) -> np.ndarray:
    """``_short_rows`` of each block of x (batch, rows, columns)."""
    batch, rows, columns = x.shape
    if rows < 16:
        return _sum_rows(x)
    full = rows - rows % 16
    blocks = _sum_rows(x[:, :full].reshape(batch, full // 16, 16, columns))
    total = _sum_rows(blocks) if full > 16 else blocks[:, 0]
    if full < rows:
        total = _sum_rows(x[:, full:]) + total
    return total


def _sum_rows(x: np.ndarray) -> np.ndarray:
    """The rows of a batch of blocks ``x`` (axis -2; 2+ columns, unit stride) added in
    order, by NumPy's reduce or, where measured quicker, einsum (as ``_add_rows``): a
    reduce over a middle axis runs one short inner loop per row, einsum's run faster:
    measured, from 2048 elements on for rows of up to 128 bytes (2 to 5 times as fast),
    from 16384 for rows of up to 512 bytes (1.2 to 1.5 times); over longer rows the reduce
    is as fast or faster. x.sum(1) of (8, 64, 64) float32: 8 us against 12."""
    row_bytes = x.shape[-1] * x.itemsize
    if x.size >= 2048 and (row_bytes <= 128 or (row_bytes <= 512 and x.size >= 16384)):
        return np.einsum("...ij->...j", x)
    return np.add.reduce(x, axis=-2)


def outer_sum(x: np.ndarray, threads: int) -> np.ndarray:
    """Column sums of a C-contiguous 2-D float array (2+ columns) as torch gives them with
    ``threads`` threads, shape (columns,), in the accumulation dtype. From 32768
    elements on, torch splits the columns into per-thread ranges rounded to 128 bytes."""
    rows, columns = x.shape
    if x.size < GRAIN_SIZE or threads <= 1:
        return _outer_block(x)
    used = min(threads, columns)
    chunk = -(-columns // used)
    per_128 = 128 // x.dtype.itemsize
    out = np.empty(columns, accumulation_dtype(x.dtype))
    for start in range(0, columns, chunk):
        end = min(start + chunk, columns)
        begin = start - start % per_128
        if end != columns:
            end -= end % per_128
        if begin < end:
            out[begin:end] = _outer_block(x[:, begin:end])
    return out

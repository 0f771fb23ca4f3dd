"""Embeddings: ``embedding`` (a lookup table: row ``i`` of ``weight`` for each index ``i``)
and ``embedding_bag`` (the sum, mean or max of the looked-up rows of each bag), plus
torch's top-level ``torch.embedding``, ``torch.embedding_bag`` and
``torch.embedding_renorm_``.

The forward is a gather; the gradient of ``weight`` is a scatter-add of the output
gradient's rows into a table of zeros. For ``embedding`` torch adds the rows one after
another in the order of the positions; ``_scatter_add_rows`` does the same (vectorised
by occurrence number), so float32 gradients of repeated indices are bit for bit torch's
(from +0.0, as torch's zeros; with scale_grad_by_freq one fused multiply-add per row).
``embedding_bag``'s sum and mean add each bag's rows in order too, so its forward is
bit for bit torch's. (Its backward agrees with torch's within rounding: torch's order
of addition there is not reproduced.) The scatter is
itself a Primitive whose backward is a gather, so embedding's double backward works;
embedding_bag's gradients, as torch's, cannot be differentiated again.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.creation import arange as _arange
from torchlet._ops.indexing.select_mask import IndexSelect
from torchlet._ops.pointwise._fused import _fma as fused_multiply_add
from torchlet._ops.pointwise._fused import _round_once
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE, no_grad
from torchlet.autograd.not_implemented import NotImplementedNode

__all__ = ["embedding", "embedding_bag", "embedding_renorm_", "torch_embedding",
           "torch_embedding_bag"]

_TENSOR_TYPE = {"int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
                "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
                "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor"}

# An index occurring more often than this is summed with one reduction call of its own
# (when that takes fewer Python steps than one round per occurrence).
_ROUNDS = 16

# embedding_bag sums through a padded table while it holds at most this many times the
# bags' rows (else bag by bag)
_PAD_RATIO = 2


def _scatter_add_rows(index: np.ndarray, rows: np.ndarray, num_rows: int) -> np.ndarray:
    """out = zeros((num_rows, *row)); out[index[i]] += rows[i] for i = 0, 1, ... in order.

    np.add.at does exactly this but slowly. An index that occurs once just takes its row:
    one plain scatter ``out[index] = rows`` serves all of them (a repeated index gets one
    of its rows there, which ``_add_rows_in_order`` then overwrites with the ordered sum of
    its positions). When most positions repeat, ``_add_rows_in_order`` does it all."""
    out = np.zeros((num_rows,) + rows.shape[1:], rows.dtype)
    count = index.size
    if count == 0:
        return out
    repeated = _repeated_positions(index, num_rows)
    if repeated is not None and 2 * repeated.size > count:
        _add_rows_in_order(out, index, rows)
        return out
    out[index] = rows + 0.0  # torch adds into zeros: 0 + (-0.0) is +0.0
    if repeated is not None:
        _add_rows_in_order(out, index[repeated], np.take(rows, repeated, axis=0))
    return out


def _repeated_positions(index: np.ndarray, num_rows: int):
    """The positions (ascending) whose index occurs more than once, None when none does.

    Counting (np.bincount, linear in the table's length) is cheaper than sorting the
    index unless the table is much longer than the index."""
    count = index.size
    if num_rows <= 32 * count + 65536:
        occurrences = np.bincount(index, minlength=num_rows)[index]
        if int(occurrences.max()) < 2:
            return None
        return np.flatnonzero(occurrences > 1)
    order = _stable_argsort(index)
    sorted_index = index if order is None else index[order]
    same = sorted_index[1:] == sorted_index[:-1]  # sorted position k + 1 repeats k
    if not same.any():
        return None
    repeats = np.zeros(count, bool)
    repeats[1:] = same
    repeats[:-1] |= same
    return np.sort(repeats.nonzero()[0] if order is None else order[repeats])


def _add_rows_in_order(out: np.ndarray, index: np.ndarray, rows: np.ndarray):
    """out[j] = 0 + rows[p0] + rows[p1] + ... (left to right, from +0.0) for each j in
    ``index``, where p0 < p1 < ... are the positions holding j (the other rows of
    ``out`` are left as they are).

    A stable sort by index makes each index's rows one run, in position order. The sums
    are then built in rounds: round 0 copies each run's first row, round r adds its r-th
    row to the runs longer than r (runs ordered longest first, so those are a prefix).
    An index that occurs very often is instead summed by one sequential reduction over
    its rows."""
    count = index.size
    order = _stable_argsort(index)
    if order is None:  # (contiguous, as the gathered rows are, for the reductions below)
        rows = np.ascontiguousarray(rows)
    else:
        index, rows = index[order], np.take(rows, order, axis=0)
    first = np.empty(count, bool)
    first[0] = True
    np.not_equal(index[1:], index[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, count))
    rounds = int(counts.max())
    heavy = counts > _ROUNDS
    n_heavy = int(np.count_nonzero(heavy))
    if n_heavy and n_heavy + _ROUNDS < rounds:
        width = int(np.prod(rows.shape[1:], dtype=np.int64))
        for start, n in zip(starts[heavy], counts[heavy]):
            picked = rows[start:start + n].reshape(n, width)
            if width == 1:  # a 1-D np.add.reduce adds pairwise; cumsum adds in order
                total = np.cumsum(picked.reshape(n))[-1]
            else:  # over axis 0 of a C-contiguous 2-D array: row after row
                total = np.add.reduce(picked, axis=0)
            out[index[start]] = total.reshape(rows.shape[1:]) + 0.0
        if n_heavy == starts.size:
            return
        starts, counts = starts[~heavy], counts[~heavy]
        rounds = int(counts.max())
    longest_first = np.argsort(-counts, kind="stable")
    starts, counts = starts[longest_first], counts[longest_first]
    # live[r]: how many runs are longer than r
    live = np.searchsorted(-counts, -np.arange(rounds), side="left")
    sums = np.take(rows, starts, axis=0)
    for r in range(1, rounds):
        n = live[r]
        sums[:n] += np.take(rows, starts[:n] + r, axis=0)
    sums += 0.0  # (a sum started from +0.0 is never -0.0)
    out[index[starts]] = sums


def _fma_runs(rows: np.ndarray, scale: np.ndarray, starts: np.ndarray,
              counts: np.ndarray) -> np.ndarray:
    """For each run k of ``counts[k]`` consecutive rows from ``starts[k]``:
    acc = 0; acc = fma(rows[p], scale[p], acc) for each of its positions p in order
    (a fused multiply-add, rounded once per step, as torch's kernels add a scaled row:
    embedding's scale_grad_by_freq backward, fbgemm's per_sample_weights sum).
    Returns the (runs, *row) sums. In rounds: runs ordered longest first, round r
    updates the runs longer than r (a prefix)."""
    shape = (-1,) + (1,) * (rows.ndim - 1)
    longest_first = np.argsort(-counts, kind="stable")
    starts, counts = starts[longest_first], counts[longest_first]
    live = np.searchsorted(-counts, -np.arange(int(counts.max())), side="left")
    # round 0: fma(x, s, +0.0) is x * s rounded, -0.0 made +0.0
    sums = np.take(rows, starts, axis=0) * scale[starts].reshape(shape) + 0.0
    for r in range(1, live.size):
        n = live[r]
        picked = starts[:n] + r
        sums[:n] = _fma(np.take(rows, picked, axis=0), scale[picked].reshape(shape),
                        sums[:n])
    out = np.empty_like(sums)
    out[longest_first] = sums
    return out


def _fma(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """a * b + c rounded once, elementwise (NumPy has no fused multiply-add). float32
    and float16: the product is exact in float64, and ``_round_once`` rounds the float64
    sum to the narrow type as the exact sum would round; float64: ``_fused._fma``'s
    error-free emulation (Boldo and Melquiond)."""
    if a.dtype == np.float64:
        return fused_multiply_add(a, b, c)
    wide = a.astype(np.float64) * b
    wide += c
    return _round_once(wide, a, b, c, a.dtype)


def _stable_argsort(keys: np.ndarray, presorted_ok: bool = True):
    """np.argsort(keys, kind='stable'), or None when ``keys`` is already sorted; keys that
    fit in 16 bits are sorted as uint16, for which NumPy uses a radix sort (several times
    faster than the merge sort it uses for int64)."""
    if keys.size == 0:
        return None if presorted_ok else np.zeros(0, np.intp)
    if presorted_ok and bool((keys[1:] >= keys[:-1]).all()):
        return None
    if 0 <= keys.min() and keys.max() < 65536:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    return np.argsort(keys, kind="stable")


class ScatterAddRows(Primitive):
    """out = zeros(num_rows, *row); out[index[i]] += rows[i] (in order);
    grad_rows = grad[index] (a gather).
    With ``scale`` (one factor per row): out[index[i]] += rows[i] * scale[i], each step
    one fused multiply-add as torch's embedding backward with scale_grad_by_freq;
    grad_rows = grad[index] * scale.

    The index is saved through save_for_backward, as torch saves it, so that it is freed
    after backward and a second backward raises torch's error."""

    node_name = "EmbeddingDenseBackwardBackward0"  # the node of embedding's grad_weight

    @staticmethod
    def forward(ctx, rows, *, index, num_rows, scale=None):
        ctx.save_for_backward(index)
        ctx.scale = scale
        if scale is None:
            return _scatter_add_rows(index, rows, num_rows)
        return _scatter_fma_rows(index, rows, scale, num_rows)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        rows = IndexSelect.apply(grad, dim=0, index=index._data)
        if ctx.scale is None:
            return rows
        return rows * wrap(ctx.scale.reshape((-1,) + (1,) * (rows._data.ndim - 1)))


def _scatter_fma_rows(index: np.ndarray, rows: np.ndarray, scale: np.ndarray,
                      num_rows: int) -> np.ndarray:
    """out = zeros; out[index[i]] = fma(rows[i], scale[i], out[index[i]]) for i in order."""
    out = np.zeros((num_rows,) + rows.shape[1:], rows.dtype)
    count = index.size
    if count == 0:
        return out
    order = _stable_argsort(index)
    if order is not None:
        index, rows, scale = index[order], np.take(rows, order, axis=0), scale[order]
    first = np.empty(count, bool)
    first[0] = True
    np.not_equal(index[1:], index[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, count))
    out[index[starts]] = _fma_runs(rows, scale, starts, counts)
    return out


# ---------------------------------------------------------------------------------------
# embedding


class Embedding(Primitive):
    """out[...] = weight[indices[...]];  grad_weight = zeros, then the rows of grad added
    at their indices: scaled by 1 / (how often the index occurs) with
    scale_grad_by_freq, and none for padding_idx.

    ``indices`` is the index Tensor, saved as torch saves it: freed after backward (a
    second backward raises torch's error) and checked for in-place changes. ``sparse``
    (torch's sparse gradient) gives the same gradient dense, but refuses
    scale_grad_by_freq at backward time as torch does."""

    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, *, indices, padding_idx, scale_grad_by_freq, sparse=False):
        ctx.save_for_backward(indices)
        ctx.num_rows = weight.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        ctx.sparse = sparse
        return np.take(weight, indices._data, axis=0)

    @staticmethod
    def backward(ctx, grad):
        _check_sparse_backward(ctx)
        indices = ctx.saved_tensors[0]
        if ctx.sparse and ctx.padding_idx >= 0 and indices._data.ndim == 0:
            # torch's sparse backward masks the padding out of 0-d indices, and fails so
            raise IndexError("too many indices for tensor of dimension 0 (got 1)")
        return EmbeddingDenseBackward.apply(
            grad, indices=indices, num_rows=ctx.num_rows, padding_idx=ctx.padding_idx,
            scale_grad_by_freq=ctx.scale_grad_by_freq)


class EmbeddingDenseBackward(Primitive):
    """embedding's weight gradient as an operation of its own (torch's
    embedding_dense_backward), so that double backward is torch's:
    out = zeros(num_rows, *row); out[i] += grad's row at each position of index i, in
    order (positions at padding_idx left out), each times 1 / (how often i occurs) with
    scale_grad_by_freq (one fused multiply-add per step, as torch's kernel);
    grad_grad = gg[indices], the padding positions' rows zeroed, shaped as grad (torch's
    embedding_dense_double_backward: index_select, masked_fill, view). That leaves the
    frequency scaling out, as torch's does ("the first backward takes care of it")."""

    node_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, indices, num_rows, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(indices)  # (freed after backward, as torch's)
        ctx.padding_idx, ctx.grad_shape = padding_idx, grad.shape
        index = indices._data
        flat = index.reshape(-1).astype(np.intp, copy=False)
        rows = grad.reshape((flat.size,) + grad.shape[index.ndim:])
        if padding_idx >= 0:
            kept = flat != padding_idx
            if not kept.all():  # padding positions contribute nothing: leave them out
                rows, flat = rows[kept], flat[kept]
        if not scale_grad_by_freq:
            return _scatter_add_rows(flat, rows, num_rows)
        scale = _inverse_counts(flat, num_rows, grad.dtype)
        return _scatter_fma_rows(flat, rows, scale, num_rows)

    @staticmethod
    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        flat = indices._data.reshape(-1).astype(np.intp, copy=False)
        rows = IndexSelect.apply(grad, dim=0, index=flat)
        if ctx.padding_idx >= 0:  # (torch: masked_fill_, node MaskedFillBackward0)
            rows = rows.masked_fill(wrap((flat == ctx.padding_idx).reshape(-1, 1)), 0)
        return rows.view(ctx.grad_shape)


def _check_sparse_backward(ctx):
    if ctx.sparse and ctx.scale_grad_by_freq:
        raise RuntimeError(
            "embedding_backward: scale_grad_by_freq not supported with sparse gradients")


def _inverse_counts(flat: np.ndarray, num_rows: int, dtype) -> np.ndarray:
    """scale_grad_by_freq: 1 / (how often each position's index occurs)."""
    counts = np.bincount(flat, minlength=num_rows)
    return (1.0 / counts[flat]).astype(dtype)


def _check_indices(fn: str, indices: Tensor, arg: str = "indices",
                   position: int = 1) -> np.ndarray:
    idx = indices._data
    _check_index_dtype(fn, idx.dtype, arg, position)
    return idx


def _check_index_dtype(fn: str, dtype: np.dtype, arg: str = "indices", position: int = 1):
    if dtype != np.int64 and dtype != np.int32:
        raise RuntimeError(
            f"Expected tensor for argument #{position} '{arg}' to have one of the following "
            f"scalar types: Long, Int; but got torch.{_TENSOR_TYPE[dtype.name]} instead (while "
            f"checking arguments for {fn})"
        )


def _check_tensor(fn: str, x, arg: str, position: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(x)}"
        )
    return x


def torch_embedding(weight, indices, padding_idx: int = -1, scale_grad_by_freq: bool = False,
                    sparse: bool = False) -> Tensor:
    """``torch.embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False,
    sparse=False)``: the rows of ``weight`` at ``indices`` (output shape
    indices.shape + (embedding_dim,)). A negative padding_idx means none.

    ``sparse=True`` asks torch for a sparse gradient; torchlet has no sparse tensors and
    returns the same gradient dense."""
    w = _check_tensor("embedding", weight, "weight", 1)
    idx_t = _check_tensor("embedding", indices, "indices", 2)
    if w._data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    idx = _check_indices("embedding", idx_t)
    rows = w._data.shape[0]
    if idx.size and rows == 0:  # (torch's index_select refuses an empty dimension first)
        raise RuntimeError("index_select(): self indexing axis dim should be positive")
    if idx.size and (idx.min() < 0 or idx.max() >= rows):
        raise IndexError("index out of range in self")
    return Embedding.apply(w, indices=idx_t, padding_idx=int(padding_idx),
                           scale_grad_by_freq=bool(scale_grad_by_freq), sparse=bool(sparse))


def embedding_renorm_(weight, indices, max_norm: float, norm_type: float) -> Tensor:
    """``torch.embedding_renorm_``: rescale, in place and outside autograd, each row of
    ``weight`` referenced by ``indices`` whose ``norm_type``-norm exceeds ``max_norm`` to
    norm ``max_norm`` (scale max_norm / (norm + 1e-7), as torch).

    torch walks the distinct indices in ascending order, taking each row with select()
    (which wraps a negative index) and its norm: an index out of range raises IndexError
    only after the rows before it were renormalised, and an integer ``weight`` fails in
    norm() at the first row."""
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError(
            f"Expected 2-dimensional tensor, but got {w.ndim}-dimensional tensor for "
            "argument #1 'self' (while checking arguments for embedding_renorm_)")
    idx = _check_indices("embedding_renorm_", indices, position=2)
    rows = np.unique(idx)
    size = w.shape[0]
    error = None
    bad = rows[(rows < -size) | (rows >= size)]
    if bad.size:
        error = IndexError(f"select(): index {bad[0]} out of range for tensor of size "
                           f"{list(w.shape)} at dimension 0")
        rows = rows[rows < bad[0]]
    if rows.size and w.dtype.kind != "f":
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {_dtype.TYPE_WORDS[w.dtype.name]} instead.")
    if rows.size:
        _renorm_rows(weight, np.unique(rows % size), max_norm, norm_type)
    if error is not None:
        raise error
    return weight


def _renorm_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float):
    """embedding_renorm_'s arithmetic on the (valid, distinct) ``rows``."""
    w = weight._data
    picked = w[rows]
    # torch takes each row's norm in the weight's dtype, then works in double
    norms = np.linalg.norm(picked.astype(np.float64), ord=norm_type, axis=1)
    norms = norms.astype(w.dtype).astype(np.float64)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = picked[over] * scale[:, None]
        weight._vbox[0] += 1


def _padding_index(padding_idx, num_rows: int, word: str = "Padding_idx") -> int:
    """torch's check and wrap-around of a negative padding_idx; -1 for none."""
    if padding_idx is None:
        return -1
    if padding_idx > 0:
        if padding_idx >= num_rows:
            raise AssertionError(f"{word} must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num_rows:
            raise AssertionError(f"{word} must be within num_embeddings")
        padding_idx = num_rows + padding_idx
    return int(padding_idx)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,  # noqa: A002
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up the rows of ``weight`` (num_embeddings, embedding_dim) at the integer
    ``input``: out[..., :] = weight[input[...], :].

    ``padding_idx``: that row gets no gradient. ``max_norm``: the rows looked up are
    first renormalised in place to norm at most max_norm (``norm_type``-norm).
    ``scale_grad_by_freq``: each index's gradient is divided by how often it occurs in
    ``input``."""
    w = _check_tensor("embedding", weight, "weight", 1)
    padding_idx = _padding_index(padding_idx, w._data.shape[0] if w._data.ndim else 0)
    if max_norm is not None:
        x = _check_tensor("embedding", input, "indices", 2)
        embedding_renorm_(w, x.contiguous(), max_norm, norm_type)
    return torch_embedding(w, input, padding_idx, scale_grad_by_freq, sparse)


# ---------------------------------------------------------------------------------------
# embedding_bag


_MODES = {"sum": 0, "mean": 1, "max": 2}


class _Bags:
    """How the flat indices fall into bags (all NumPy, computed once per call).

    keep: positions that take part (not padding_idx); bag: the bag of each kept
    position; size: how many kept positions each bag has; all_index: every index,
    padding included (torch's scale_grad_by_freq counts them all)."""

    __slots__ = ("keep", "index", "bag", "size", "num_bags", "offset2bag", "filled",
                 "starts", "all_index", "cut")

    def __init__(self, idx: np.ndarray, offsets: np.ndarray, include_last_offset: bool,
                 padding_idx: int, stop_at_last: bool = True):
        count = idx.size
        starts = offsets[:-1] if include_last_offset else offsets
        # an included last offset short of the end: torch's fbgemm kernel stops there, its
        # other kernels run the last bag on to the end
        end = int(offsets[-1]) if include_last_offset and offsets.size and stop_at_last \
            else count
        self.cut = end < count  # positions past the last offset left out
        num_bags = starts.size
        # position i belongs to the last bag whose start is <= i
        positions = np.arange(count)
        if num_bags and starts[0] == 0:  # (checked so: sorted starts, none past the end)
            offset2bag = np.repeat(np.arange(num_bags), np.append(starts[1:], count) - starts)
        else:
            offset2bag = np.searchsorted(starts, positions, side="right") - 1
        inside = offset2bag >= 0 if end == count else (positions < end) & (offset2bag >= 0)
        keep = inside if padding_idx < 0 else inside & (idx != padding_idx)
        self.keep = np.flatnonzero(keep)
        self.all_index = idx
        self.index = idx[self.keep]
        self.bag = offset2bag[self.keep]
        self.size = np.bincount(self.bag, minlength=num_bags)[:num_bags]
        self.num_bags = num_bags
        self.offset2bag = offset2bag
        # kept positions are in bag order: each non-empty bag is one contiguous run
        self.filled = np.flatnonzero(self.size)
        self.starts = np.searchsorted(self.bag, self.filled)


class EmbeddingBag(Primitive):
    """Per bag b (the positions offsets[b] <= i < offsets[b + 1], padding_idx left out):
    sum:  out[b] = sum_i weight[idx[i]] * psw[i]  (psw = per_sample_weights, or 1);
    mean: out[b] = sum_i weight[idx[i]] / size[b];
    max:  out[b, d] = max_i weight[idx[i], d];
    grad_weight[idx[i]] += grad[b] * psw[i] (or / size[b]); for max, grad[b, d] goes to
    the row that held the maximum; grad_psw[i] = grad[b] . weight[idx[i]].

    ``summed`` (default: ``bags``) are the positions the forward sum adds; ``bags`` give
    the mean's sizes and the backward's positions. They differ only for torch's fbgemm
    mean with an included last offset short of the end: its sum stops at that offset,
    but its bag sizes and its backward (offset2bag) run the last bag on to the end.
    ``fused``: torch's fbgemm kernel (float32/float16, no padding_idx), whose
    per_sample_weights sum is one fused multiply-add per row."""

    node_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, weight, per_sample_weights, *, bags, mode, scale_grad_by_freq,
                max_indices, sparse=False, summed=None, fused=False):
        ctx.bags, ctx.mode, ctx.num_rows = bags, mode, weight.shape[0]
        ctx.scale_grad_by_freq, ctx.sparse = scale_grad_by_freq, sparse
        dim = weight.shape[1]
        if summed is not None and mode == 1:
            sizes, bags = bags.size, summed
        else:
            sizes = bags.size
        if mode == 2:
            out, arg = _bag_max(np.take(weight, bags.index, axis=0), bags)
            ctx.save_for_backward(arg)  # freed after backward, as torch's saved indices
            if bags.index.size:  # (else every bag is empty: max_indices stays 0)
                max_indices[...] = np.where(arg >= 0, bags.index[np.maximum(arg, 0)], 0)
            return out
        ctx.save_for_backward(weight, per_sample_weights)
        psw = None if per_sample_weights is None else per_sample_weights[bags.keep]
        if psw is not None and fused:  # (float16: in float32, rounded once at the end)
            out = np.zeros((bags.num_bags, dim), weight.dtype)
            if bags.filled.size:
                rows = np.take(weight, bags.index, axis=0)
                if rows.dtype == np.float16:
                    rows, psw = rows.astype(np.float32), psw.astype(np.float32)
                out[bags.filled] = _fma_runs(rows, psw, bags.starts, bags.size[bags.filled])
        else:
            out = _bag_sums(weight, bags, psw)
        if mode == 1:
            out /= np.maximum(sizes, 1).astype(out.dtype)[:, None]
        return out

    @staticmethod
    def backward(ctx, grad):
        if not GRAD_STATE.enabled:
            return _bag_backward(ctx, grad)
        # create_graph: torch's backward kernels have no derivative. grad_weight's node
        # (EmbeddingBagBackwardBackward0) links grad_output and per_sample_weights and
        # raises NotImplementedError; grad_psw's is a NotImplemented node linking
        # grad_output and weight. Both raise only when a backward runs through them.
        psw = None if ctx.mode == 2 else ctx.saved_tensors[1]
        with no_grad():
            grad_weight, grad_psw = _bag_backward(ctx, grad)
        if grad_weight is not None:
            grad_weight = EmbeddingBagBackwardBackward.apply(grad, psw,
                                                             results=grad_weight._data)
        if grad_psw is not None:
            weight = ctx.saved_tensors[0]
            needing = [t for t in (grad, weight) if t.requires_grad]
            grad_psw = NotImplementedNode.apply(
                *needing, results=grad_psw._data,
                op="_embedding_bag_per_sample_weights_backward")
        return grad_weight, grad_psw


class EmbeddingBagBackwardBackward(Primitive):
    """embedding_bag's weight gradient (computed beforehand, ``results``) as the node torch
    records for it under create_graph: its inputs are grad_output and per_sample_weights
    (edges only), and torch's _embedding_bag_backward has no derivative."""

    node_name = "EmbeddingBagBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, per_sample_weights, *, results):
        return results

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            "the derivative for '_embedding_bag_backward' is not implemented.")


def _bag_backward(ctx, grad: Tensor):
    """EmbeddingBag's gradients (grad_weight, grad_psw), each None when not needed."""
    bags = ctx.bags
    need_weight, need_psw = ctx.needs_input_grad
    if need_weight:
        _check_sparse_backward(ctx)
        if ctx.sparse and bags.cut:
            # torch's sparse backward rebuilds offset2bag from all the offsets: a position
            # past an included last offset (fbgemm's sum left it out) lands in bag
            # num_bags, which its index_select refuses (its dense backward reads past the
            # gradient's end; here those positions get nothing)
            raise IndexError("index out of range in self")
    if ctx.mode == 2:
        return _max_backward(ctx, grad), None
    weight, psw = ctx.saved_tensors
    # the grad of each position's bag (not needed by a plain mean's weight gradient)
    rows = (IndexSelect.apply(grad, dim=0, index=bags.bag)
            if need_psw or ctx.mode != 1 or ctx.scale_grad_by_freq else None)
    grad_weight = grad_psw = None
    if need_weight:
        scale = (_bag_inverse_counts(bags, ctx.num_rows, grad._data.dtype)
                 if ctx.scale_grad_by_freq else None)
        if ctx.mode == 1:
            per_bag = 1 / np.maximum(bags.size, 1).astype(grad._data.dtype)
            scale = None if scale is None else scale * per_bag[bags.bag]
        if rows is None:  # a plain mean: the products rows * per_bag[bag], once per bag
            weighted = IndexSelect.apply(grad * wrap(per_bag[:, None]), dim=0,
                                         index=bags.bag)
        else:
            weighted = rows if scale is None else rows * wrap(scale[:, None])
        if psw is not None:
            weighted = weighted * _gather_positions(psw, bags).unsqueeze(1)
        grad_weight = ScatterAddRows.apply(weighted, index=bags.index,
                                           num_rows=ctx.num_rows)
    if need_psw:
        looked_up = IndexSelect.apply(weight, dim=0, index=bags.index)
        per_kept = (rows * looked_up).sum(1)
        count = psw._data.shape[0]
        grad_psw = ScatterAddRows.apply(per_kept, index=bags.keep, num_rows=count)
    return grad_weight, grad_psw


def _bag_inverse_counts(bags: _Bags, num_rows: int, dtype) -> np.ndarray:
    """scale_grad_by_freq for embedding_bag (sum, mean): the scale of each kept position.

    Not 1 / (the index's own count), as for embedding: torch's CPU kernel walks the
    distinct indices in sorted order and scales the k-th one by 1 / counts[sorted[k]],
    the count of the index standing at position k of the *sorted indices* (a quirk of
    its kernel, which indexes the sorted indices by the group number). The counts cover
    every index, padding_idx included. E.g. indices [3, 0, 0, 0, 1, 1, 3]: sorted
    [0, 0, 0, 1, 1, 3, 3]: the distinct 0, 1, 3 all get 1/counts[0] = 1/3 (not 1/3, 1/2,
    1/2)."""
    counts = np.bincount(bags.all_index, minlength=num_rows)
    distinct = np.flatnonzero(counts)
    row_scale = np.zeros(num_rows)
    row_scale[distinct] = 1.0 / counts[np.sort(bags.all_index)[:distinct.size]]
    return row_scale[bags.index].astype(dtype)


def _bag_sums(weight: np.ndarray, bags: _Bags, psw) -> np.ndarray:
    """out[b] = 0 + rows[p0] + rows[p1] + ... over bag b's kept positions p0 < p1 < ...,
    added left to right from +0.0 as torch's kernels add them (so bit for bit theirs; an
    empty bag gives 0), each row weight[idx[p]] (times psw[p] when given: the product
    rounded first, as torch's kernels other than fbgemm's).

    The rows are gathered into a padded table, round r of the k-th non-empty bag at
    [r, k], the missing ones -0.0 (x + -0.0 is x, for every x); one reduction over its
    first axis then adds round after round. When padding would more than double the
    table (one long bag among short ones), the bags are summed in rounds instead."""
    num_bags, dim = bags.num_bags, weight.shape[1]
    # torch adds float16 rows in float32, rounding each bag's sum once
    dtype = np.float32 if weight.dtype == np.float16 else weight.dtype
    out = np.zeros((num_bags, dim), dtype)
    filled = bags.filled
    count = bags.index.size
    if filled.size == 0:
        return out.astype(weight.dtype, copy=False)
    sizes = bags.size[filled]
    longest = int(sizes.max())
    if longest * filled.size <= _PAD_RATIO * count + 1024 and filled.size * dim > 1:
        flat = (np.arange(count) - np.repeat(bags.starts, sizes)) * filled.size \
            + np.repeat(np.arange(filled.size), sizes)
        table_index = np.zeros(longest * filled.size, np.intp)
        table_index[flat] = bags.index
        padded = np.take(weight, table_index.reshape(longest, filled.size), axis=0)
        padded = padded.astype(dtype, copy=False)
        if psw is not None:
            factor = np.ones(longest * filled.size, dtype)
            factor[flat] = psw
            padded *= factor.reshape(longest, filled.size, 1)
        if flat.size < table_index.size:
            missing = np.ones(table_index.size, bool)
            missing[flat] = False
            padded[missing.reshape(longest, filled.size)] = -0.0
        # over the first axis of a C-contiguous array (other axes not both 1) NumPy adds
        # row after row; a 1-D reduction would add pairwise
        out[filled] = np.add.reduce(padded, axis=0)
    else:
        rows = np.take(weight, bags.index, axis=0).astype(dtype, copy=False)
        if psw is not None:
            rows *= psw[:, None]
        _add_rows_in_order(out, bags.bag, rows)
    out += 0.0  # torch's sums start from +0.0: (-0.0) + ... + (-0.0) is +0.0 there
    return out.astype(weight.dtype, copy=False)


def _gather_positions(psw: Tensor, bags: _Bags) -> Tensor:
    return IndexSelect.apply(psw, dim=0, index=bags.keep)


def _bag_max(rows: np.ndarray, bags: _Bags):
    """Per bag and column, the largest value and the position (into the kept positions)
    that holds it: the first one among ties, as torch (-1 for an empty bag)."""
    num_bags, dim = bags.num_bags, rows.shape[1]
    out = np.zeros((num_bags, dim), rows.dtype)
    arg = np.full((num_bags, dim), -1, np.intp)
    filled, starts = bags.filled, bags.starts
    if filled.size == 0:
        return out, arg
    largest = np.maximum.reduceat(rows, starts, axis=0)
    position = np.arange(rows.shape[0])[:, None]
    where_max = rows == largest[np.searchsorted(filled, bags.bag)]
    candidates = np.where(where_max, position, rows.shape[0])
    first = np.minimum.reduceat(candidates, starts, axis=0)
    arg[filled] = first
    out[filled] = rows[first, np.arange(dim)]
    return out, arg


def _max_backward(ctx, grad: Tensor):
    """grad[b, d] goes to weight[idx of the max, d], for every non-empty bag."""
    bags, arg = ctx.bags, ctx.saved_tensors[0]._data
    dim = arg.shape[1]
    filled = arg >= 0
    rows = bags.index[arg[filled]]
    columns = np.nonzero(filled)[1]
    flat_target = rows * dim + columns
    picked = grad.reshape(-1)[np.flatnonzero(filled.reshape(-1))]
    out = ScatterAddRows.apply(picked, index=flat_target, num_rows=ctx.num_rows * dim)
    return out.reshape(ctx.num_rows, dim)


def torch_embedding_bag(weight, indices, offsets, scale_grad_by_freq: bool = False,
                        mode: int = 0, sparse: bool = False, per_sample_weights=None,
                        include_last_offset: bool = False, padding_idx=None):
    """``torch.embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse,
    per_sample_weights, include_last_offset, padding_idx)`` with mode 0 = sum, 1 = mean,
    2 = max: (output, offset2bag, bag_size, max_indices).

    torch leaves offset2bag/bag_size/max_indices partly unfilled on its fast paths; here
    they are always the bag of each position, the number of (non-padding) entries of each
    bag, and for max the index that held each maximum (else the bag sizes).

    The checks run in the order of torch's kernel, so the same error comes first."""
    w = _check_tensor("embedding_bag", weight, "weight", 1)
    idx_t = _check_tensor("embedding_bag", indices, "indices", 2)
    off_t = _check_tensor("embedding_bag", offsets, "offsets", 3)
    wd = w._data
    num_rows = wd.shape[0] if wd.ndim else 0
    # torch's fbgemm kernel (no padding_idx; sum or mean; not float64) checks the indices
    # its own way
    fbgemm = padding_idx is None and mode in (0, 1) and wd.dtype != np.float64
    if padding_idx is None:
        padding_idx = -1
    elif not -num_rows <= padding_idx < num_rows:
        raise RuntimeError(
            f"padding_idx must be within the number of embeddings, -{num_rows} through "
            f"{num_rows - 1}, but got {padding_idx}"
        )
    elif padding_idx < 0:
        padding_idx += num_rows
    _check_bag_shapes(wd, idx_t._data, off_t._data)
    # torch first converts indices and offsets to their common dtype (int32 offsets with
    # int64 indices are fine; float offsets make the *indices* check fail)
    common = _dtype.promote_types(_dtype.from_numpy_dtype(idx_t._data.dtype),
                                  _dtype.from_numpy_dtype(off_t._data.dtype)).np
    _check_index_dtype("embedding_bag", common)
    if wd.dtype.kind != "f":
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have one of the following scalar "
            f"types: Half, BFloat16, Float, Double; but got torch.{_TENSOR_TYPE[wd.dtype.name]}"
            " instead (while checking arguments for embedding_bag)"
        )
    idx = idx_t._data.reshape(-1)
    offs = off_t._data
    if offs.size and offs[0] != 0:
        raise RuntimeError(
            "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
            f"from position 0. However, got {offs[0]}\n[ torch.{_TENSOR_TYPE[common.name]}{{}} ]"
        )
    if offs.size and offs[-1] > idx.size:
        raise RuntimeError(
            f"offsets[-1] can not be greater than input's length {idx.size} but got "
            f"offsets[-1] of {offs[-1]}"
        )
    if per_sample_weights is not None:
        _check_per_sample_weights(wd, per_sample_weights._data, mode, idx.size)
    if include_last_offset and offs.size < 1:
        raise RuntimeError("include_last_offset: number of offset should be at least 1")
    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    if offs.size > 1 and (np.diff(offs) < 0).any():
        raise RuntimeError("embedding_bag: offsets must be non-decreasing (torch: Expected "
                           "i < index_size to be true, but got false.)")
    # (fbgemm looks only inside the bags: past an included last offset is not)
    used = idx[:offs[-1]] if fbgemm and include_last_offset else idx
    if used.size and (used.min() < 0 or used.max() >= num_rows):
        # the first bad one, as torch's kernels with one thread find it
        position = int(np.flatnonzero((used < 0) | (used >= num_rows))[0])
        bad = int(used[position])
        raise RuntimeError(
            f"Index {position} of input takes value {bad} which is not in the valid range "
            f"[0, {num_rows})" if fbgemm else
            "embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
            f"{bad}")
    idx, offs = idx.astype(np.intp, copy=False), offs.astype(np.intp, copy=False)
    bags = _Bags(idx, offs, bool(include_last_offset), padding_idx, stop_at_last=fbgemm)
    summed = None
    if fbgemm and mode == 1 and include_last_offset and offs[-1] < idx.size:
        # fbgemm's mean stops its sum at the last offset, yet divides by torch's bag
        # sizes (the last bag runs on to the end) and its backward's offset2bag puts the
        # positions past the last offset into the last bag: they get gradients too
        bags, summed = _Bags(idx, offs, True, padding_idx, stop_at_last=False), bags
    max_indices = np.zeros((bags.num_bags, wd.shape[1]), np.int64)
    out = EmbeddingBag.apply(w, per_sample_weights, bags=bags, mode=int(mode),
                             scale_grad_by_freq=bool(scale_grad_by_freq),
                             max_indices=max_indices, sparse=bool(sparse), summed=summed,
                             fused=fbgemm)
    offset2bag = wrap(bags.offset2bag.astype(np.int64))
    bag_size = wrap(bags.size.astype(np.int64))
    if mode != 2:
        max_indices = bags.size.astype(np.int64)
    return out, offset2bag, bag_size, wrap(max_indices)


def _check_bag_shapes(weight: np.ndarray, indices: np.ndarray, offsets: np.ndarray):
    if indices.ndim not in (1, 2):
        raise RuntimeError(
            f"input has to be a 1D or 2D Tensor, but got Tensor of dimension {indices.ndim}")
    if indices.ndim == 1 and offsets.ndim != 1:
        raise RuntimeError(
            f"offsets has to be a 1D Tensor, but got Tensor of dimension {offsets.ndim}")
    if weight.ndim != 2:
        raise RuntimeError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")


def _check_per_sample_weights(weight: np.ndarray, psw: np.ndarray, mode: int, count: int):
    if mode != 0:
        raise RuntimeError("embedding_bag: per_sample_weights only supported with mode='sum'")
    if psw.dtype != weight.dtype:
        raise RuntimeError(
            "Expected tensor for argument #1 'weight' to have the same type as tensor for "
            "argument #1 'per_sample_weights'; but type "
            f"torch.{_TENSOR_TYPE[weight.dtype.name]} does not equal "
            f"torch.{_TENSOR_TYPE[psw.dtype.name]} (while checking arguments for embedding_bag)"
        )
    for ok, what in ((psw.ndim == 1, "per_sample_weights.value().dim() == 1"),
                     (psw.size == count, "per_sample_weights.value().numel() == indices.numel()")):
        if not ok:
            raise RuntimeError(
                f"Expected {what} to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type: float = 2,  # noqa: A002
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights=None, include_last_offset: bool = False,
                  padding_idx=None) -> Tensor:
    """Sum, mean or max of the embedding rows of each bag, without building the
    intermediate (bag, length, dim) tensor.

    ``input`` 2-D (B, L): B bags of L indices each (``offsets`` must be None). ``input``
    1-D with ``offsets``: bag b holds input[offsets[b]:offsets[b + 1]] (with
    ``include_last_offset`` the last offset closes the last bag). ``per_sample_weights``
    (mode 'sum' only) weights each index; entries equal to ``padding_idx`` are left out
    (and an empty bag gives zeros)."""
    x = _check_tensor("embedding_bag", input, "indices", 2)
    w = _check_tensor("embedding_bag", weight, "weight", 1)
    if w._data.dtype == np.int64 and x._data.dtype.kind == "f":
        warnings.warn(
            "Argument order of nn.functional.embedding_bag was changed. "
            "Usage `embedding_bag(weight, input, ...)` is deprecated, "
            "and should now be `embedding_bag(input, weight, ...)`.",
            stacklevel=2,
        )
        w, x = x, w
    if per_sample_weights is not None and x.shape != per_sample_weights.shape:
        raise ValueError(
            f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, "
            f"then it must have the same shape as the input ({x.shape})"
        )
    if w._data.ndim != 2:
        raise ValueError(
            f"weight has to be a 2D Tensor, but got Tensor of dimension {w._data.ndim}"
        )
    if x._data.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "if input is 2D, then offsets has to be None, as input is treated is a "
                "mini-batch of fixed length sequences. However, found offsets of type "
                f"{type(offsets)}"
            )
        offsets = _arange(0, x._data.size, x._data.shape[1], dtype=x.dtype)
        include_last_offset = False
        x = x.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif x._data.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(
            f"input has to be 1D or 2D Tensor, but got Tensor of dimension {x._data.ndim}"
        )
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        embedding_renorm_(w, x, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
            "on GitHub."
        )
    out, _, _, _ = torch_embedding_bag(w, x, offsets, scale_grad_by_freq, _MODES[mode],
                                       sparse, per_sample_weights, include_last_offset,
                                       padding_idx)
    return out

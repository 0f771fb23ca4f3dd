"""softmax, log_softmax and softmin: the Softmax and LogSoftmax primitives (nodes
SoftmaxBackward0, LogSoftmaxBackward0) and their gradients as operations of their own
(SoftmaxBackwardData, LogSoftmaxBackwardData: torch's _softmax_backward_data and
_log_softmax_backward_data, fused in NumPy and differentiable again), with the NumPy
kernels behind them (``_softmax_np``). ``Tensor.softmax``, ``torchlet.softmax``,
``torchlet.special.softmax``, cross_entropy and attention use them too.

The largest entry of each slice is subtracted first, so exp never overflows; the result
is a new contiguous tensor whatever the input's strides. The bits are torch's where its
order of operations can be reproduced:

* last-dim log_softmax of float32 and float64 follows torch's vectorised kernel
  (``_vec_log_softmax_lastdim``): the exps summed in AVX512 vector lanes, 16 float32 or
  8 float64, the lanes then added as torch's ``vec_reduce_all`` adds them
  (``_log_softmax_lastdim``, ``_lane_sums``);
* elsewhere the reductions are NumPy's (max, then the sum of exp(x - max)). Over many
  short last-dim rows (``_softmax_short_rows``, and the backward's ``_row_sums``) they
  are taken over the transposed rows, which is quicker, and the sum emulates NumPy's
  pairwise order along a row (``_numpy_pairwise``), so the bits are those of
  ``np.add.reduce`` along the row; where the emulation does not promise them (a max tied
  between 0.0 and -0.0, a NaN) the general path is taken;
* float16 is computed in float32 and rounded once, but last-dim log_softmax rounds its
  sum of exps and their log to float16, as torch's float16 buffers do, and softmax along
  another dim rounds the exps to float16 first where torch's kernel runs its scalar
  loop, not its vectors (``_softmax_half``, ``_softmax_half_inner``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import no_attribute_error, type_name
from torchlet._ops.pointwise import to
from torchlet._ops.pointwise._libm import rounded_once as _libm  # float32 math as torch rounds it
from torchlet._ops.reduction._common import reduction_layout
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor, _wrap_dim, dim_arg
from torchlet.autograd.function import Primitive
from torchlet.nn._functional._rows import per_row

__all__ = ["log_softmax", "softmax", "softmin"]

_TYPE_WORD = _dtype.TYPE_WORDS


def _softmax_np(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """Softmax (or its log) along ``dim``, the largest entry subtracted first so that exp
    never overflows: logits of +-1e4 give finite results. A slice that is all -inf (or
    holds +inf) gives nan, as in torch."""
    if x.ndim == 0:
        return _softmax_np(x.reshape(1), 0, log).reshape(())
    if x.size == 0:
        return np.empty_like(x)
    if dim < 0:  # (internal callers may count from the end; the paths below want dim >= 0)
        dim += x.ndim
    if x.dtype == np.float16:
        return _softmax_half(x, dim, log)
    if log and x.dtype in _LANES and _is_lastdim(x.shape, dim):
        return _log_softmax_lastdim(x, x.shape[dim])
    if dim == x.ndim - 1 and _short_rows(x):
        out = _softmax_short_rows(x, log)
        if out is not None:
            return out
    # (the ufuncs' reduce: np.max and np.sum add a Python wrapper's microseconds)
    shifted = _along(np.subtract, x, np.maximum.reduce(x, axis=dim, keepdims=True), dim)
    if log:  # torch's order: (x - max) - log(sum(exp(x - max)))
        log_sum = _libm(np.log, np.add.reduce(_libm(np.exp, shifted), axis=dim, keepdims=True))
        return _along(np.subtract, shifted, log_sum, dim, out=shifted)
    e = np.exp(shifted, out=shifted)
    return _along(np.multiply, e, 1 / np.add.reduce(e, axis=dim, keepdims=True), dim, out=e)


# torch's vectorised last-dim log_softmax (_vec_log_softmax_lastdim) on AVX512: vectors of
# 16 float32 or 8 float64 lanes
_LANES = {np.dtype(np.float32): 16, np.dtype(np.float64): 8}


def _log_softmax_lastdim(x: np.ndarray, n: int, out=None) -> np.ndarray:
    """log_softmax over rows of ``n`` (the last dim, or one followed by sizes 1) in torch's
    order, for float32 and float64: the row's max; exp(x - max) (rounded once, as SLEEF's
    exp nearly always is) summed in vector lanes (``_lane_sums``); the log of the sum;
    (x - max) - log(sum). Measured against torch on random rows: 0.2-1.5% of float32
    values an ulp off (torch's exp and log), where NumPy's own order and float32 exp gave
    5-16%. Short rows are reduced over the transposed rows (one NumPy call per reduction,
    not one per row); a +-0.0 tie for the max may give the opposite zero where the
    result is 0. Written to ``out`` (the rows' shape) if given; large inputs go in
    blocks of rows (``_BLOCK``)."""
    rows = x.reshape(-1, n)
    if rows.size > _BLOCK and len(rows) > 1:
        out = np.empty(rows.shape, x.dtype)
        step = max(1, _BLOCK // n)
        for start in range(0, len(rows), step):
            _log_softmax_lastdim(rows[start:start + step], n, out[start:start + step])
        return out.reshape(x.shape)
    if n * x.itemsize <= _ROW_BYTES and len(rows) > 1:
        top = np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0)
    else:
        top = np.maximum.reduce(rows, axis=1)
    if rows.size < _PER_ROW:  # (per_row's own test, without the cost of its call)
        shifted = np.subtract(rows, top[:, None], out=out)
        total = _lane_sums(_libm(np.exp, shifted), _LANES[x.dtype])
        return np.subtract(shifted, _libm(np.log, total)[:, None], out=shifted).reshape(x.shape)
    shifted = per_row(np.subtract, rows, top, out)
    total = _lane_sums(_libm(np.exp, shifted), _LANES[x.dtype])
    return per_row(np.subtract, shifted, _libm(np.log, total), shifted).reshape(x.shape)


# Large inputs are taken in blocks of rows of about this many numbers (1 MiB of
# float32), so that each block's passes (max, x - max, exp in float64 and back to
# float32, the lane sums, - log) run in the cache: measured (4096, 1000) float32 1.3
# times as fast as in one piece, (256, 30000) 1.6 times; smaller blocks lose to the
# per-block overhead, larger ones to the cache
_BLOCK = 1 << 18
_PER_ROW = 1 << 16  # below this size per_row broadcasts as NumPy does (_rows._LARGE)


def _lane_sums(e: np.ndarray, lanes: int) -> np.ndarray:
    """The sum of each row of ``e`` (rows, n) as torch's ``vec::map_reduce_all`` adds it:
    a row shorter than a vector one number after another; a longer one in ``lanes``
    partial sums (lane l takes numbers l, l + lanes, ... of the full vectors, then the
    leftover n % lanes numbers go to the first lanes), the lanes then added as AVX512's
    float32 ``vec_reduce_all`` does (a tree: lane l plus lane l + 8, + 4, + 2, + 1) or,
    for float64, one after another."""
    count, n = e.shape
    if n < lanes:
        return _in_order(e)
    full = n - n % lanes
    vectors = full // lanes
    if vectors > 4:
        acc = _vector_sums(e[:, :full].reshape(count, vectors, lanes))
    else:
        acc = e[:, :lanes].copy()
        for start in range(lanes, full, lanes):
            acc += e[:, start:start + lanes]
    if full < n:
        acc[:, :n - full] += e[:, full:]
    if e.dtype == np.float64:
        return _in_order(acc)
    acc = np.ascontiguousarray(acc.T)  # (lanes, rows): the tree's steps on whole rows
    while lanes > 1:
        lanes //= 2
        acc = acc[:lanes] + acc[lanes:2 * lanes]
    return acc[0]


def _vector_sums(blocks: np.ndarray) -> np.ndarray:
    """The lanes' partial sums of ``blocks`` (rows, vectors, lanes): for each row and
    lane, the vectors' numbers added one after another. einsum's sum over the middle
    axis adds in that order (its reduction loop keeps one running sum, of the operand's
    type, per row and lane, or adds vector after vector into the output: either way in
    order; tests/test_softmax_speed24.py checks it against a loop), 1.5 to 5 times as
    fast as NumPy's add.reduce there, which calls its inner loop once per row and vector
    (16 numbers), or as bringing the vectors to the front first."""
    count, vectors, lanes = blocks.shape
    if blocks.strides[1:] != (lanes * blocks.itemsize, blocks.itemsize):
        blocks = np.ascontiguousarray(blocks)  # (each row's vectors one after another)
    return np.einsum("nvl->nl", blocks)


def _in_order(a: np.ndarray) -> np.ndarray:
    """The sum of each row of ``a`` (rows, m), added left to right."""
    if len(a) > 1:
        return np.add.reduce(np.ascontiguousarray(a.T), axis=0)
    return np.add.accumulate(a[0])[-1:]


# Last-dim softmax over many short rows (attention scores, small logits): NumPy's reduce
# along a short last axis calls its inner loop once per row (40-50 ns each); over the
# transposed rows each reduction runs over all the rows at once. Measured against the
# general path: rows of up to 128 bytes from 256 rows on (1.1 to 3.4 times as fast:
# (8, 4, 32, 32) float32 1.2, (4096, 16) 2.3, (1024, 3) 3.4); longer or fewer rows lose.
_ROW_BYTES = 128
_MANY_ROWS = 256
_ROW_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _short_rows(x: np.ndarray) -> bool:
    """Whether ``_softmax_short_rows`` takes ``x`` (softmax over its last dim)."""
    n = x.shape[-1]
    return (1 < n and n * x.itemsize <= _ROW_BYTES and x.size >= _MANY_ROWS * n
            and x.dtype in _ROW_DTYPES and x.flags.c_contiguous)


def _softmax_short_rows(x: np.ndarray, log: bool):
    """``_softmax_np(x, -1, log)`` (the same bits) with its two reductions taken over the
    transposed rows, each row a column of (n, rows): then each runs over all the rows at
    once. The max of a row is the same whatever order it is taken in, but for a tie of
    0.0 and -0.0 or a NaN (which one NumPy's reduce returns): None then, and the caller
    takes the general path. The sum of exps follows NumPy's pairwise order along a row
    (``_numpy_pairwise``), as ``np.add.reduce`` adds. The rest stays in x's layout
    (transposing back costs more than a broadcast over short rows)."""
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    top = np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0)
    if not (np.abs(top) > 0).all():  # (NaN is not > 0 either)
        return None
    shifted = np.subtract(rows, top[:, None])
    e = np.exp(shifted, out=None if log else shifted)
    total = _numpy_pairwise(np.ascontiguousarray(e.T))
    if log:  # torch's order: (x - max) - log(sum(exp(x - max)))
        out = np.subtract(shifted, np.log(total)[:, None], out=shifted)
    else:
        out = np.multiply(e, (1 / total)[:, None], out=e)
    return out.reshape(x.shape)


def _row_sums(a: np.ndarray, dim: int) -> np.ndarray:
    """``np.add.reduce(a, axis=dim, keepdims=True)`` (the same bits), over the transposed
    rows where that is quicker: a sum alone costs less per row than softmax's max, so
    rows of up to 64 bytes from 1024 rows on (measured: 1.1 to 1.8 times as fast, (4096,
    16) float32 1.14, (1024, 3) 1.8; fewer or longer rows lose). A NaN sum is recomputed
    by NumPy's reduce: with several NaNs (or inf - inf) in a row, which NaN comes out
    depends on the order of operands, which ``_numpy_pairwise`` does not promise."""
    if (dim == a.ndim - 1 and a.shape[-1] * a.itemsize <= _ROW_BYTES // 2
            and a.size >= 4 * _MANY_ROWS * a.shape[-1] and _short_rows(a)):
        n = a.shape[-1]
        total = _numpy_pairwise(np.ascontiguousarray(a.reshape(-1, n).T))
        if not np.isnan(total).any():
            return total.reshape(a.shape[:-1] + (1,))
    return np.add.reduce(a, axis=dim, keepdims=True)


def _numpy_pairwise(a: np.ndarray) -> np.ndarray:
    """``np.add.reduce`` of each column of ``a`` (m, columns), 2+ columns, as NumPy adds a
    contiguous row of m numbers: 0.0 (its identity) plus the row's pairwise sum
    (``_pairwise``, NumPy's ``pairwise_sum`` in loops_utils.h). tests/test_speed18.py
    checks it against the installed NumPy on random rows with -0.0 and +-inf (and NaN,
    but for which NaN comes out of a row holding several)."""
    return np.add(_pairwise(a), 0.0, out=None)


def _pairwise(a: np.ndarray) -> np.ndarray:
    """NumPy's pairwise sum of each column of ``a``: below 8 numbers in order; up to 128
    in 8 interleaved partial sums (number i into partial i % 8, the partials added as a
    tree), then the leftover m % 8 in order; above, the two halves (cut at a multiple of
    8) on their own, then added. Every step is a reduce over axis 0 of a C-contiguous
    block (2+ columns), which adds row after row."""
    m = len(a)
    if m > 128:
        half = m // 2 - m // 2 % 8
        return _pairwise(a[:half]) + _pairwise(a[half:])
    if m < 8:
        return np.add.reduce(a, axis=0)
    full = m - m % 8
    r = np.add.reduce(a[:full].reshape(full // 8, 8, -1), axis=0) if full > 8 else a[:8]
    r = r[0::2] + r[1::2]
    r = r[0::2] + r[1::2]
    total = r[0] + r[1]
    if full < m:
        total = np.add.reduce(np.concatenate((total[None], a[full:])), axis=0)
    return total


def _softmax_half(x: np.ndarray, dim: int, log: bool) -> np.ndarray:
    """float16 softmax as torch's kernels compute it: in float32, rounded once. Along
    the last dimension (nothing after dim but sizes 1) log_softmax keeps the sum of exps
    and its log in float16 buffers: log_softmax([25., 19.]) is -2.9259e-03, where float32
    throughout gives -2.4757e-03."""
    x = x.astype(np.float32)
    shifted = x - np.max(x, axis=dim, keepdims=True)
    e = _libm(np.exp, shifted)
    total = np.sum(e, axis=dim, keepdims=True)
    if not log and not _is_lastdim(x.shape, dim):
        return _softmax_half_inner(e, total, dim)
    if not log:
        return (e * (1 / total)).astype(np.float16)
    if _is_lastdim(x.shape, dim):
        total = _round_half(total)
        return (shifted - _round_half(_libm(np.log, total))).astype(np.float16)
    return (shifted - _libm(np.log, total)).astype(np.float16)


# torch's float16 softmax along a dim with an inner size (_vec_softmax for reduced floats)
# runs over the outer * inner positions of each slice, split among its threads in equal
# chunks (parallel_for, grain 0), in vectors of 32 float16 (AVX512) where a whole vector
# fits in both the row of inner positions and the chunk, one position at a time elsewhere
_HALF_LANES = 32


def _softmax_half_inner(e: np.ndarray, total: np.ndarray, dim: int) -> np.ndarray:
    """float16 softmax along ``dim`` (not the last), from the float32 exps ``e`` and
    their sums ``total``, as torch's _vec_softmax divides: its vectors write e / total
    rounded once; its scalar loop stores each exp in the float16 output first, so it
    writes float(half(e)) / total, rounded again (``_half_vector_mask`` tells which)."""
    out = (e / total).astype(np.float16)
    scalar = ~_half_vector_mask(e.shape, dim)
    if scalar.any():
        twice = (_round_half(e) / total).astype(np.float16)
        np.copyto(out, twice, where=scalar)
    return out


def _half_vector_mask(shape: tuple, dim: int) -> np.ndarray:
    """Which positions (broadcastable over ``shape``, size 1 along ``dim``) torch's
    float16 _vec_softmax computes in vectors. Its threads take equal chunks of the
    outer * inner positions; within a chunk's stretch of one row of inner positions, the
    vectors run from the stretch's start while 32 fit, the rest goes one by one."""
    inner = math.prod(shape[dim + 1:])
    count = math.prod(shape[:dim]) * inner
    chunk = -(-count // max(1, min(get_num_threads(), count)))
    p = np.arange(count)
    begin = p // chunk * chunk
    start = np.maximum(begin, p // inner * inner)
    stop = np.minimum(np.minimum(begin + chunk, count), (p // inner + 1) * inner)
    vector = (p - start) < (stop - start) // _HALF_LANES * _HALF_LANES
    return vector.reshape(shape[:dim] + (1,) + shape[dim + 1:])


def _is_lastdim(shape, dim: int) -> bool:
    """Whether torch runs its last-dimension softmax kernel (inner size 1)."""
    return math.prod(shape[dim + 1:]) == 1


def _round_half(a: np.ndarray) -> np.ndarray:
    """float32 values rounded to float16 and back (a float16 buffer in torch's kernel)."""
    return a.astype(np.float16).astype(np.float32)


def _along(ufunc, a: np.ndarray, values: np.ndarray, dim: int, out=None) -> np.ndarray:
    """``ufunc(a, values)``, ``values`` reduced along ``dim`` with keepdims: per_row's
    faster broadcast for the rows of a matrix, else NumPy's."""
    if a.ndim == 2 and dim == 1:
        return per_row(ufunc, a, values[:, 0], out)
    return ufunc(a, values, out=out)


def _softmax_backward_kernel(fn):
    """``fn(grad, out, dim=...)`` on any input: a 0-d one as one element, float16 in
    float32 and rounded once (torch accumulates half precision in float)."""
    def kernel(grad, out, *, dim):
        if out.ndim == 0:
            return kernel(grad.reshape(1), out.reshape(1), dim=0).reshape(())
        if out.dtype == np.float16:
            return fn(grad.astype(np.float32), out.astype(np.float32), dim=dim).astype(
                np.float16)
        return fn(grad, out, dim=dim)
    return kernel


@_softmax_backward_kernel
def _log_softmax_backward_np(grad, out, *, dim):
    """grad - exp(out) * sum(grad, dim), in torch's kernel's order."""
    e = np.exp(out)
    _along(np.multiply, e, _row_sums(grad, dim), dim, out=e)
    return np.subtract(grad, e, out=e)


@_softmax_backward_kernel
def _softmax_backward_np(grad, out, *, dim):
    """out * (grad - sum(grad * out, dim)), in torch's kernel's order."""
    total = _row_sums(grad * out, dim)
    diff = _along(np.subtract, grad, total, dim)
    return np.multiply(out, diff, out=diff)


class LogSoftmax(Primitive):
    """out = x - log(sum(exp(x), dim));
    grad_x = LogSoftmaxBackwardData(grad, out) = grad - exp(out) * sum(grad, dim)."""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # as the caller gave it (torch's _saved_dim)
        # torch writes a new contiguous tensor, whatever x's strides
        out = reduction_layout(_softmax_np(x, dim, log=True), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return LogSoftmaxBackwardData.apply(grad, out, dim=ctx.dim)


class LogSoftmaxBackwardData(Primitive):
    """log_softmax's gradient as an operation of its own (torch's
    _log_softmax_backward_data), fused in NumPy and differentiable again:
    out = g - exp(y) * sum(g, dim)  (g the incoming gradient, y log_softmax's output);
    grad_g = v - sum(v * exp(y), dim),  grad_y = -v * exp(y) * sum(g, dim)."""

    node_name = "LogSoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, grad, out, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(grad, out)
        return _log_softmax_backward_np(grad, out, dim=dim)

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        e = out.exp()
        grad_grad = v - (v * e).sum(ctx.dim, keepdim=True) if need_grad else None
        grad_out = -(v * e) * grad.sum(ctx.dim, keepdim=True) if need_out else None
        return grad_grad, grad_out


class Softmax(Primitive):
    """out = exp(x) / sum(exp(x), dim);
    grad_x = SoftmaxBackwardData(grad, out) = out * (grad - sum(grad * out, dim))."""

    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # as the caller gave it (torch's _saved_dim)
        out = reduction_layout(_softmax_np(x, dim, log=False), x)  # contiguous, as LogSoftmax
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return SoftmaxBackwardData.apply(grad, out, dim=ctx.dim)


class SoftmaxBackwardData(Primitive):
    """softmax's gradient as an operation of its own (torch's _softmax_backward_data),
    fused in NumPy and differentiable again:
    out = y * (g - sum(g * y, dim))  (g the incoming gradient, y softmax's output);
    grad_g = y * (v - sum(v * y, dim))  (the Jacobian diag(y) - y y^T is symmetric),
    grad_y = v * (g - sum(g * y, dim)) - g * sum(v * y, dim)."""

    node_name = "SoftmaxBackwardDataBackward0"

    @staticmethod
    def forward(ctx, grad, out, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(grad, out)
        return _softmax_backward_np(grad, out, dim=dim)

    @staticmethod
    def backward(ctx, v):
        grad, out = ctx.saved_tensors
        need_grad, need_out = ctx.needs_input_grad
        dim = ctx.dim
        v_dot_y = (v * out).sum(dim, keepdim=True)
        grad_grad = out * (v - v_dot_y) if need_grad else None
        grad_out = None
        if need_out:
            grad_out = v * (grad - (grad * out).sum(dim, keepdim=True)) - grad * v_dot_y
        return grad_grad, grad_out


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's choice of dim when none is given (deprecated, so it warns)."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _dtype_arg(dtype, fn: str):
    """``dtype`` as torch's parser reads it: a torch.dtype or a Python type (float, int,
    bool); anything else is its TypeError, not NumPy's reading of a string."""
    if type(dtype) is _dtype.dtype or any(dtype is t for t in (float, int, bool)):
        return _dtype.to_dtype(dtype)
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")


def _softmax_like(primitive, kernel: str, x: Tensor, dim, dtype) -> Tensor:
    # (named after the kernel: torch's F.softmin is Python that calls input.softmax(dim))
    dim = dim_arg(dim, kernel, 1)
    if dtype is not None:  # torch casts first: ToCopyBackward0 under the softmax node
        x = to(x, _dtype_arg(dtype, kernel))
    data = x._data
    given_dim, dim = dim, _wrap_dim(dim, data.ndim)
    if data.dtype.kind != "f":
        where = "_lastdim" if data.ndim == 0 or dim == data.ndim - 1 else ""
        raise NotImplementedError(
            f'"{kernel}{where}_kernel_impl" not implemented for '
            f"'{_TYPE_WORD[data.dtype.name]}'"
        )
    return primitive.apply(x, dim=dim, given_dim=given_dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``: every slice becomes a probability distribution.
    ``dtype`` casts the input first."""
    if not isinstance(input, Tensor):  # (torch's F.softmax is Python: input.softmax(dim))
        raise no_attribute_error(input, "dim" if dim is None else "softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("softmax", x._data.ndim, _stacklevel)
    return _softmax_like(Softmax, "softmax", x, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed as x - logsumexp(x): finite where
    log(softmax(x)) would give -inf."""
    if not isinstance(input, Tensor):
        raise no_attribute_error(input, "dim" if dim is None else "log_softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("log_softmax", x._data.ndim, _stacklevel)
    return _softmax_like(LogSoftmax, "log_softmax", x, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None) -> Tensor:  # noqa: A002
    """softmax(-x) along ``dim`` (as torch: a NegBackward0 under the SoftmaxBackward0)."""
    if not isinstance(input, Tensor):  # torch: (-input).softmax(dim)
        raise no_attribute_error(input if dim is None else -input,
                                 "dim" if dim is None else "softmax")
    x = input
    if dim is None:
        dim = _get_softmax_dim("softmin", x._data.ndim, _stacklevel)
    return _softmax_like(Softmax, "softmax", -x, dim, dtype)

"""The NumPy kernels of convolution (see conv.py for the operations they serve).

How they are computed (vectorised, no Python loop over pixels or batch items):

* im2col: ``sliding_window_view`` gives every window of the (zero-padded) input as a view,
  one copy lays them out as columns ``(N, groups, C/groups * prod(kernel), L)``, and one
  batched matrix product with the weight ``(groups, O/groups, C/groups * prod(kernel))``
  is the convolution (BLAS does the work).
* col2im (conv_transpose / grad_input): the weight's transpose times the gradient gives
  the columns back; they are added into the input's positions with one strided,
  vectorised ``+=`` per kernel offset (25 adds for a 5x5 kernel), which is far faster than
  a scatter with ``np.add.at``.
* grad_weight: the same columns times the gradient, summed over the batch. The forward
  pass keeps its columns for this (when they are not huge) so they are built only once.

Small outputs (LeNet's second layer: 8x8) use a second layout, batch-last (see
``_use_batch_last``): the input is transposed to (C, *in, N) first, so that each window
row copied into the columns is a run of N contiguous numbers instead of out_width (8),
and the columns are one (C/groups * prod(kernel), N) matrix per output position. The
products and col2im work on that layout; only the results are transposed back to
(N, C, ...).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class Geometry(NamedTuple):
    """Everything about one convolution except the data, in the direction of the forward
    convolution (x -> out): spatial sizes of x (``in_size``), of the kernel and of the
    output, the padding before and after each spatial dimension (unequal only for
    padding='same' with an even kernel), stride, dilation and groups."""

    in_size: tuple
    kernel: tuple
    out_size: tuple
    stride: tuple
    pad_lo: tuple
    pad_hi: tuple
    dilation: tuple
    groups: int


# ---------------------------------------------------------------------------------------
# NumPy kernels


def _padded_size(geo: Geometry) -> tuple:
    """Size of the zero-padded input; at least what the windows reach (a transposed
    convolution with output_padding may reach one row past the padding)."""
    return tuple(
        max(i + lo + hi, (o - 1) * s + d * (k - 1) + 1)
        for i, lo, hi, o, s, d, k in zip(geo.in_size, geo.pad_lo, geo.pad_hi, geo.out_size,
                                         geo.stride, geo.dilation, geo.kernel)
    )


def _inner(geo: Geometry) -> tuple:
    """Where the unpadded input sits inside the padded one."""
    return (slice(None), slice(None)) + tuple(
        slice(lo, lo + i) for lo, i in zip(geo.pad_lo, geo.in_size)
    )


def windows(x: np.ndarray, geo: Geometry, fill=0) -> np.ndarray:
    """Every window of ``x`` as a view ``(N, C, *out_size, *kernel)``: window l holds
    x[n, c, l*stride + k*dilation - pad] for each kernel offset k (``fill`` in the
    padding)."""
    nd = len(geo.kernel)
    padded = _padded_size(geo)
    if padded != geo.in_size:
        shape = x.shape[:2] + padded
        xp = np.zeros(shape, x.dtype) if fill == 0 else np.full(shape, fill, x.dtype)
        xp[_inner(geo)] = x
    else:
        xp = x
    if xp.flags.c_contiguous and xp.size:
        # the same view as below, built directly: moving one output position moves
        # stride elements, one kernel position dilation elements
        st = xp.strides
        strides = st[:2] + tuple(st[2 + i] * s for i, s in enumerate(geo.stride)) + tuple(
            st[2 + i] * d for i, d in enumerate(geo.dilation))
        return np.ndarray(xp.shape[:2] + geo.out_size + geo.kernel, xp.dtype, buffer=xp,
                          strides=strides)
    if not xp.size:
        # nothing to read (an empty batch whose windows may not even fit, as in the
        # backward of a transposed convolution of no positions): the empty windows
        return np.empty(xp.shape[:2] + geo.out_size + geo.kernel, xp.dtype)
    extent = tuple(d * (k - 1) + 1 for d, k in zip(geo.dilation, geo.kernel))
    view = sliding_window_view(xp, extent, axis=tuple(range(2, 2 + nd)))
    picks = (slice(None), slice(None)) + tuple(
        slice(0, (o - 1) * s + 1, s) for o, s in zip(geo.out_size, geo.stride)
    ) + tuple(slice(None, None, d) for d in geo.dilation)
    return view[picks]


def im2col(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The windows of ``x`` laid out as columns: ``(N, groups, C/groups*prod(kernel), L)``
    with L = prod(out_size); row index (c, k) in C order, as torch's unfold."""
    nd = len(geo.kernel)
    win = windows(x, geo)
    order = (0, 1) + tuple(range(2 + nd, 2 + 2 * nd)) + tuple(range(2, 2 + nd))
    n, c = x.shape[:2]
    length = int(np.prod(geo.out_size, dtype=np.int64))
    rows = (c // geo.groups) * int(np.prod(geo.kernel, dtype=np.int64))
    # copyto into the laid-out array: a third faster than reshape's copy of the view
    cols = np.empty((n, c) + geo.kernel + geo.out_size, x.dtype)
    np.copyto(cols, win.transpose(order))
    return cols.reshape(n, geo.groups, rows, length)


def col2im(cols: np.ndarray, geo: Geometry, channels: int) -> np.ndarray:
    """The adjoint of ``im2col``: add every column entry back to the input position it
    was read from. ``cols`` is ``(N, C*prod(kernel), L)`` in any grouping; the result is
    ``(N, C, *in_size)``, contiguous."""
    n = cols.shape[0]
    cols = cols.reshape((n, channels) + geo.kernel + geo.out_size)
    out = np.zeros((n, channels) + _padded_size(geo), dtype=cols.dtype)
    # no columns add nothing (and an empty window's stop, (0 - 1) * s + 1, would wrap)
    for offset in np.ndindex(*geo.kernel) if all(geo.out_size) else ():
        target = (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(offset, geo.dilation, geo.out_size, geo.stride)
        )
        out[target] += cols[(slice(None), slice(None)) + offset]
    if out.shape[2:] != geo.in_size:
        out = np.ascontiguousarray(out[_inner(geo)])
    return out


# Batch-last layout, for outputs at most this wide (last spatial dimension) and batches of
# at least _BATCH_LAST_MIN_N: there the (N, C, ...) layout's im2col copies rows of only a
# few numbers. Measured inside a LeNet training step (batch 64, second layer: 6 -> 16
# channels, 5x5, width 8), forward 0.75x and grad_weight 0.7-0.9x the time on an AMD EPYC
# and an Intel Xeon; 3x3 kernels at width 8 about even; at width 12 the forward is slower.
_BATCH_LAST_MAX_WIDTH = 8
_BATCH_LAST_MIN_N = 8
# ... and for the input gradient with fewer input channels per group than this; with more,
# the channels-last col2im (rows of out_width * N * C/g numbers) is faster.
_BATCH_LAST_GRAD_BELOW_CHANNELS = 10


def _use_batch_last(geo: Geometry, n: int, dtype: np.dtype) -> bool:
    """Whether a convolution of this geometry, batch n, lays its columns out batch-last.
    Forward and grad_weight ask the same question, so columns kept by one suit the
    other."""
    return (n >= _BATCH_LAST_MIN_N and 0 < geo.out_size[-1] <= _BATCH_LAST_MAX_WIDTH
            and dtype.kind == "f" and all(geo.out_size) and all(geo.in_size))


def _to_batch_last(a: np.ndarray) -> np.ndarray:
    """(N, C, *S) -> contiguous (C, *S, N). Two copies, (C, N, S) and then each channel's
    (N, S) -> (S, N): one transposing copy would read with a stride of C*prod(S) numbers,
    and when that is a multiple of 4 KiB (16 channels of 8x8) every read lands in the
    same cache set, several times slower."""
    n, c = a.shape[:2]
    planes = np.ascontiguousarray(a.reshape(n, c, -1).transpose(1, 0, 2))
    return np.ascontiguousarray(planes.transpose(0, 2, 1)).reshape((c,) + a.shape[2:] + (n,))


def _from_batch_last(a: np.ndarray) -> np.ndarray:
    """(C, *S, N) -> contiguous (N, C, *S)."""
    return np.ascontiguousarray(np.moveaxis(a, -1, 0))


def _positions_first_to_nchw(a: np.ndarray, out_size: tuple) -> np.ndarray:
    """(L, C, N) -> contiguous (N, C, *out_size), in two copies (N, L, C) and then each
    sample's (L, C) -> (C, L), for the reason given in _to_batch_last."""
    _, c, n = a.shape
    samples = np.ascontiguousarray(a.transpose(2, 0, 1))
    return np.ascontiguousarray(samples.transpose(0, 2, 1)).reshape((n, c) + out_size)


def im2col_batch_last(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """The columns in batch-last layout: ``(L, groups, C/groups*prod(kernel), N)``, one
    (rows, N) matrix per output position l, rows as ``im2col``. Copied from x transposed to
    (C, *in, N), each window row is a run of N contiguous numbers."""
    nd = len(geo.kernel)
    n, c = x.shape[:2]
    xt = _to_batch_last(x)  # (C, *in, N)
    padded = _padded_size(geo)
    if padded != geo.in_size:
        xp = np.zeros((c,) + padded + (n,), x.dtype)
        xp[_inner(geo)[1:] + (slice(None),)] = xt
        xt = xp
    # windows as a view (*out, C, *kernel, N): an output step moves stride elements, a
    # kernel step dilation elements, of the same spatial dimension
    st = xt.strides
    shape = geo.out_size + (c,) + geo.kernel + (n,)
    strides = (tuple(st[1 + i] * s for i, s in enumerate(geo.stride)) + (st[0],)
               + tuple(st[1 + i] * d for i, d in enumerate(geo.dilation)) + (st[1 + nd],))
    cols = np.empty(shape, x.dtype)
    np.copyto(cols, np.ndarray(shape, x.dtype, buffer=xt, strides=strides))
    length = int(np.prod(geo.out_size, dtype=np.int64))
    rows = (c // geo.groups) * int(np.prod(geo.kernel, dtype=np.int64))
    return cols.reshape(length, geo.groups, rows, n)


def conv_forward(x: np.ndarray, w: np.ndarray, geo: Geometry, cols=None):
    """out[n, o, l] = sum_{c,k} w[o, c, k] x[n, c, l*s + k*d - p] (per group); also
    returns the columns used."""
    dtype = x.dtype
    if dtype == np.float16:
        x, w = x.astype(np.float32), w.astype(np.float32)
    n, o = x.shape[0], w.shape[0]
    g = geo.groups
    if _use_batch_last(geo, n, x.dtype):
        if cols is None:
            cols = im2col_batch_last(x, geo)
        out = np.matmul(w.reshape(g, o // g, cols.shape[2]), cols)  # (L, g, O/g, N)
        out = _positions_first_to_nchw(out.reshape(-1, o, n), geo.out_size)
    else:
        if cols is None:
            cols = im2col(x, geo)
        out = np.matmul(w.reshape(g, o // g, cols.shape[2]), cols)  # (N, g, O/g, L)
        out = out.reshape((n, o) + geo.out_size)
    return (out.astype(dtype) if out.dtype != dtype else out), cols


def conv_input_grad(y: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """out[n, c, i] = sum over (o, k, l) with l*s + k*d - p = i of y[n, o, l] w[o, c, k]:
    the transposed convolution (and the gradient of conv_forward with respect to x)."""
    dtype = y.dtype
    if dtype == np.float16:
        y, w = y.astype(np.float32), w.astype(np.float32)
    if _use_batch_last(geo, y.shape[0], y.dtype) and w.shape[1] < _BATCH_LAST_GRAD_BELOW_CHANNELS:
        out = _input_grad_batch_last(y, w, geo)
    elif w.shape[1] >= _CHANNELS_LAST_FROM:
        out = _input_grad_channels_last(y, w, geo)
    else:
        out = _input_grad_reference(y, w, geo)
    return out.astype(dtype) if out.dtype != dtype else out


# With this many input channels per group or more, col2im runs faster on a channels-last
# layout (see _input_grad_channels_last); with fewer, the matrix products get too thin.
_CHANNELS_LAST_FROM = 5


def _input_grad_reference(y: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv_input_grad the textbook way: columns = w^T y, then col2im."""
    g = geo.groups
    n, o = y.shape[:2]
    taps = w[0, 0].size if w.size else int(np.prod(geo.kernel, dtype=np.int64))
    w_t = w.reshape(g, o // g, w.shape[1] * taps).transpose(0, 2, 1)  # (g, C/g*K, O/g)
    length = int(np.prod(geo.out_size, dtype=np.int64))
    cols = np.matmul(w_t, y.reshape(n, g, o // g, length))  # (N, g, C/g*K, L)
    return col2im(cols, geo, g * w.shape[1])


def _input_grad_channels_last(y: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv_input_grad with the batch and channels as the innermost axes.

    col2im adds one (N, C, *out_size) block per kernel offset into a strided part of the
    input gradient; in (N, C, H, W) layout each add walks rows only W elements long, which
    is slow in NumPy. Here the columns come out of the matrix product as
    (kernel offset, group, *out_size, N, C/g), the input gradient is built as
    (group, *in_size, N, C/g), so each add runs over long contiguous stretches; one
    transpose at the end restores (N, C, *in_size). Same sums as the reference path."""
    nd = len(geo.kernel)
    g = geo.groups
    n, o = y.shape[:2]
    og, cg = o // g, w.shape[1]
    spatial = tuple(range(3, 3 + nd))
    y_t = y.reshape((n, g, og) + geo.out_size).transpose((1,) + spatial + (0, 2))
    y_t = y_t.reshape(g, int(np.prod(geo.out_size, dtype=np.int64)) * n, og)  # a copy
    taps = int(np.prod(geo.kernel))
    w_k = w.reshape(g, og, cg, taps).transpose(3, 0, 1, 2).copy()  # (K, g, O/g, C/g)
    cols = np.matmul(y_t, w_k).reshape((taps, g) + geo.out_size + (n, cg))
    out = np.zeros((g,) + _padded_size(geo) + (n, cg), cols.dtype)
    # (as col2im: no columns add nothing, and an empty window's stop would wrap)
    for i, offset in enumerate(np.ndindex(*geo.kernel) if all(geo.out_size) else ()):
        target = (slice(None),) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(offset, geo.dilation, geo.out_size, geo.stride)
        )
        out[target] += cols[i]
    out = out[(slice(None),) + tuple(slice(lo, lo + i) for lo, i in zip(geo.pad_lo,
                                                                       geo.in_size))]
    out = out.transpose((1 + nd, 0, 2 + nd) + tuple(range(1, 1 + nd)))  # (N, g, C/g, *in)
    return np.ascontiguousarray(out).reshape((n, g * cg) + geo.in_size)


def _input_grad_batch_last(y: np.ndarray, w: np.ndarray, geo: Geometry) -> np.ndarray:
    """conv_input_grad in batch-last layout, one kernel offset at a time: the columns of
    offset k, w[:, :, k]^T y as (g, C/g, *out, N), are added into their strided part of
    the (g, C/g, *padded, N) result. Each offset's product is small enough to stay in
    cache until it is added (all columns at once are megabytes, read back from memory),
    and the adds run over rows of out_width * N numbers."""
    g = geo.groups
    n, o = y.shape[:2]
    og, cg = o // g, w.shape[1]
    taps = int(np.prod(geo.kernel, dtype=np.int64))
    y_t = _to_batch_last(y).reshape(g, og, -1)  # (g, O/g, L*N)
    w_k = np.ascontiguousarray(w.reshape(g, og, cg, taps).transpose(3, 0, 2, 1))  # (K, g, C/g, O/g)
    cols = np.empty((g, cg, y_t.shape[2]), y.dtype)  # one offset's columns
    block = cols.reshape((g, cg) + geo.out_size + (n,))
    out = np.zeros((g, cg) + _padded_size(geo) + (n,), y.dtype)
    for i, offset in enumerate(np.ndindex(*geo.kernel)):
        np.matmul(w_k[i], y_t, out=cols)
        target = (slice(None), slice(None)) + tuple(
            slice(k * d, k * d + (size - 1) * s + 1, s)
            for k, d, size, s in zip(offset, geo.dilation, geo.out_size, geo.stride)
        )
        out[target] += block
    out = out.reshape((g * cg,) + out.shape[2:])
    return _from_batch_last(out[_inner(geo)[1:]])


def conv_weight_grad(x: np.ndarray, y: np.ndarray, geo: Geometry, cols=None) -> np.ndarray:
    """out[o, c, k] = sum_{n,l} y[n, o, l] x[n, c, l*s + k*d - p] (per group): the gradient
    of conv_forward with respect to w."""
    dtype = x.dtype
    if dtype == np.float16:
        x, y = x.astype(np.float32), y.astype(np.float32)
        cols = None
    g = geo.groups
    n, o = y.shape[:2]
    if _use_batch_last(geo, n, x.dtype):
        if cols is None:
            cols = im2col_batch_last(x, geo)
        # one product per output position, (C/g*K, N) @ (N, O/g), summed over positions
        y_n = np.ascontiguousarray(y.reshape(n, o, -1).transpose(2, 0, 1))  # (L, N, O)
        y_n = y_n.reshape(-1, n, g, o // g).transpose(0, 2, 1, 3)  # (L, g, N, O/g)
        out = np.matmul(cols, y_n).sum(0)  # (g, C/g*K, O/g)
        out = np.ascontiguousarray(out.transpose(0, 2, 1)).reshape((o, x.shape[1] // g)
                                                                   + geo.kernel)
        return out.astype(dtype) if out.dtype != dtype else out
    if cols is None:
        cols = im2col(x, geo)
    # one product per sample, columns first: (C/g*K, L) @ (L, O/g). BLAS runs this order
    # about twice as fast as (O/g, L) @ (L, C/g*K) for the thin matrices of small layers
    prods = np.matmul(cols, y.reshape(n, g, o // g, cols.shape[3]).transpose(0, 1, 3, 2))
    out = prods.sum(0) if n != 1 else prods[0]  # (g, C/g*K, O/g)
    out = np.ascontiguousarray(out.transpose(0, 2, 1)).reshape((o, x.shape[1] // g) + geo.kernel)
    return out.astype(dtype) if out.dtype != dtype else out

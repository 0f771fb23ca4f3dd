"""Convolution: conv1d/2d/3d and conv_transpose1d/2d/3d, as torch.nn.functional.

One number ties all of them together, the trilinear form

    T(x, w, y) = sum_{n,o,c,l,k} y[n, o, l] * w[o, c, k] * x[n, c, l*stride + k*dilation - pad]

(l runs over output positions, k over kernel positions, channels within one group).
Each of the three operations below is the gradient of T with respect to one argument:

* ``_Convolution``    out = dT/dy = conv(x, w)                       (the forward pass)
* ``_ConvTranspose``  out = dT/dx = conv_transpose(y, w)             (grad_input; and the
                                                                      forward of ConvTranspose)
* ``_ConvWeight``     out = dT/dw = correlate(x, y)                  (grad_weight)

so each one's backward is made of the other two, and differentiating any number of times
needs nothing else (double backward, gradgradcheck, Hessians of CNNs all work).

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

import operator
import warnings
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from torchlet._ops import shape as _shape
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "convolution",
]

# Columns up to this size are kept from the forward pass for grad_weight; larger ones are
# rebuilt in backward rather than held in memory for the whole forward pass.
_KEEP_COLUMNS_BYTES = 256 * 2**20

# How torch names scalar types in its messages ("expected scalar type Float ...").
_SCALAR_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                "bool": "Bool"}
_C_NAME = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
           "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char",
           "bool": "bool"}


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
    for offset in np.ndindex(*geo.kernel):
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


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    # half precision is accumulated in float32, as torch's CPU kernels do
    return np.dtype(np.float32) if dtype == np.float16 else dtype


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
    for i, offset in enumerate(np.ndindex(*geo.kernel)):
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


def _bias_shape(nd: int) -> tuple:
    return (-1,) + (1,) * nd


def _sum_bias(grad: Tensor, nd: int) -> Tensor:
    return grad.sum((0,) + tuple(range(2, 2 + nd)))


# ---------------------------------------------------------------------------------------
# The three primitives


class _Convolution(Primitive):
    """out = conv(x, w) + b, i.e. out[n, o, l] = b[o] + sum_{c,k} w[o, c, k] x[n, c, l*s +
    k*d - p];  grad_x = conv_transpose(grad, w),  grad_w = correlate(x, grad),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, *, geo):
        out, cols = conv_forward(x, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo = geo
        ctx.cols = cols if cols.nbytes <= _KEEP_COLUMNS_BYTES and x.dtype == cols.dtype \
            else None
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        geo = ctx.geo
        grad_x = _ConvTransposeGrad.apply(grad, w, None, geo=geo) if need_x else None
        grad_w = None
        if need_w:
            # the forward's columns serve once; a second backward (retain_graph) rebuilds
            # them, and the memory is not held while the graph lives on
            cols, ctx.cols = ctx.cols, None
            grad_w = _ConvWeightGrad.apply(x, grad, geo=geo, cols=cols)
        grad_b = _sum_bias(grad, len(geo.kernel)) if need_b else None
        return grad_x, grad_w, grad_b


class _ConvTranspose(Primitive):
    """out = conv_transpose(y, w) + b, i.e. out[n, c, i] = b[c] + sum over l*s + k*d - p = i
    of y[n, o, l] w[o, c, k];  grad_y = conv(grad, w),  grad_w = correlate(grad, y),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, *, geo):
        out = conv_input_grad(y, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo = geo
        ctx.save_for_backward(y, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need_y, need_w, need_b = ctx.needs_input_grad
        geo = ctx.geo
        grad_y = _ConvolutionGrad.apply(grad, w, None, geo=geo) if need_y else None
        grad_w = _ConvWeightGrad.apply(grad, y, geo=geo) if need_w else None
        grad_b = _sum_bias(grad, len(geo.kernel)) if need_b else None
        return grad_y, grad_w, grad_b


class _ConvWeight(Primitive):
    """out = correlate(x, y), i.e. out[o, c, k] = sum_{n,l} y[n, o, l] x[n, c, l*s + k*d - p]
    (the weight gradient of a convolution);  grad_x = conv_transpose(y, grad),
    grad_y = conv(x, grad)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, y, *, geo, cols=None):
        ctx.geo = geo
        ctx.save_for_backward(x, y)
        return conv_weight_grad(x, y, geo, cols)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        geo = ctx.geo
        grad_x = _ConvTransposeGrad.apply(y, grad, None, geo=geo) if need_x else None
        grad_y = _ConvolutionGrad.apply(x, grad, None, geo=geo) if need_y else None
        return grad_x, grad_y


# The same operations when they appear in a backward pass (create_graph=True) carry the
# name torch gives that node.
class _ConvolutionGrad(_Convolution):
    node_name = "ConvolutionBackwardBackward0"


class _ConvTransposeGrad(_ConvTranspose):
    node_name = "ConvolutionBackwardBackward0"


_ConvWeightGrad = _ConvWeight


# ---------------------------------------------------------------------------------------
# Arguments and torch's checks


def _check_tensor(fn: str, value, arg: str, position: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type(value).__name__}"
        )
    return value


def _int_list(fn: str, value, arg: str) -> list:
    """An int or a sequence of ints, as a list (torch's 'tuple of ints' argument)."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, str):
        raise TypeError(f"{fn}(): argument '{arg}' must be tuple of ints, not "
                        f"{type(value).__name__}")
    if isinstance(value, Tensor):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        value = [value]
    out = []
    for i, v in enumerate(value):
        try:
            out.append(operator.index(v))
        except TypeError:
            raise TypeError(
                f"{fn}(): argument '{arg}' must be tuple of ints, but found element of type "
                f"{type(v).__name__} at pos {i}"
            ) from None
    return out


def _expand(fn: str, value, arg: str, nd: int) -> tuple:
    """torch's expand_param_if_needed: one value for every spatial dimension."""
    values = _int_list(fn, value, arg)
    if len(values) == 1:
        return tuple(values) * nd
    if len(values) != nd:
        raise RuntimeError(
            f"expected {arg} to be a single integer value or a list of {nd} values to match "
            f"the convolution dimensions, but got {arg}={values}"
        )
    return tuple(values)


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_dtypes(x: Tensor, w: Tensor, b) -> None:
    xd, wd = x._data.dtype, w._data.dtype
    if xd != wd:
        raise RuntimeError(
            f"expected scalar type {_SCALAR_NAME[xd.name]} but found {_SCALAR_NAME[wd.name]}"
        )
    if b is not None and b._data.dtype != xd:
        raise RuntimeError(
            f"Input type ({_C_NAME[xd.name]}) and bias type ({_C_NAME[b._data.dtype.name]}) "
            "should be the same"
        )


def _check_common(x: Tensor, w: Tensor, stride, pad_lo, dilation, groups, output_padding=()):
    if any(p < 0 for p in pad_lo):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = w._data.shape
    if x._data.ndim != w._data.ndim:
        raise RuntimeError(
            f"Expected {w._data.ndim}-dimensional input for {w._data.ndim}-dimensional weight "
            f"{_sizes(ws)}, but got {x._data.ndim}-dimensional input of size "
            f"{_sizes(x._data.shape)} instead"
        )
    if ws[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {_sizes(ws)} instead"
        )
    if ws[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{_sizes(ws)}] instead"
        )


def _batched(fn: str, x: Tensor, nd: int):
    """torch accepts one unbatched sample (no N dimension): it adds N=1 and removes it."""
    ndim = x._data.ndim
    if ndim == nd + 2:
        return x, False
    if ndim == nd + 1:
        return _shape.unsqueeze(x, 0), True
    raise RuntimeError(
        f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got input "
        f"of size: {_sizes(x._data.shape)}"
    )


def _weight_dims(w: Tensor, nd: int) -> None:
    # torch derives the number of spatial dimensions from the weight, so a weight of the
    # wrong rank shows up as a stride list of the wrong length
    k = w._data.ndim - 2
    if k != nd:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {k} values to match "
            f"the convolution dimensions, but got stride={[1] * nd}"
            if k > 0 else f"weight should have at least three dimensions, got {w._data.ndim}"
        )


def _same_padding(kernel, dilation) -> tuple[tuple, tuple]:
    """padding='same': total d*(k-1) per dimension, the odd one out at the end."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    lo = tuple(t // 2 for t in total)
    hi = tuple(t - t // 2 for t in total)
    if lo != hi:
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created", UserWarning, stacklevel=4)
    return lo, hi


def _conv(fn: str, nd: int, input, weight, bias, stride, padding, dilation, groups):  # noqa: A002
    x = _check_tensor(fn, input, "input", 1)
    w = _check_tensor(fn, weight, "weight", 2)
    b = None if bias is None else _check_tensor(fn, bias, "bias", 3)
    x, unbatched = _batched(fn, x, nd)
    _weight_dims(w, nd)
    stride = _expand(fn, stride, "stride", nd)
    dilation = _expand(fn, dilation, "dilation", nd)
    groups = operator.index(groups)
    ks = w._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pad_lo = pad_hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pad_lo, pad_hi = _same_padding(ks, dilation)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad_lo = pad_hi = _expand(fn, padding, "padding", nd)
    _check_common(x, w, stride, pad_lo, dilation, groups)
    xs, ws = x._data.shape, w._data.shape
    if xs[1] != ws[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to "
            f"have {ws[1] * groups} channels, but got {xs[1]} channels instead"
        )
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[0]):
        raise RuntimeError(
            f"Given weight of size {_sizes(ws)}, expected bias to be 1-dimensional with "
            f"{ws[0]} elements, but got bias of size {_sizes(b._data.shape)} instead"
        )
    padded = [i + lo + hi for i, lo, hi in zip(xs[2:], pad_lo, pad_hi)]
    extent = [d * (k - 1) + 1 for k, d in zip(ks, dilation)]
    if any(p < e for p, e in zip(padded, extent)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, extent))}). Kernel size can't be greater "
            "than actual input size"
        )
    _check_dtypes(x, w, b)
    out_size = tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))
    geo = Geometry(tuple(xs[2:]), tuple(ks), out_size, stride, pad_lo, pad_hi, dilation,
                   groups)
    out = _Convolution.apply(x, w, b, geo=geo)
    return _shape.squeeze(out, 0) if unbatched else out


def _conv_transpose(fn: str, nd: int, input, weight, bias, stride, padding,  # noqa: A002
                    output_padding, groups, dilation):
    x = _check_tensor(fn, input, "input", 1)
    w = _check_tensor(fn, weight, "weight", 2)
    b = None if bias is None else _check_tensor(fn, bias, "bias", 3)
    x, unbatched = _batched(fn, x, nd)
    _weight_dims(w, nd)
    stride = _expand(fn, stride, "stride", nd)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    padding = _expand(fn, padding, "padding", nd)
    output_padding = _expand(fn, output_padding, "output_padding", nd)
    dilation = _expand(fn, dilation, "dilation", nd)
    groups = operator.index(groups)
    _check_common(x, w, stride, padding, dilation, groups, output_padding)
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ["depth", "height", "width"][-max(nd, 2):]
        ops = output_padding if nd > 1 else (0,) + output_padding
        ss = stride if nd > 1 else (1,) + stride
        ds = dilation if nd > 1 else (1,) + dilation
        parts = ([f"output_padding_{n}: {v}" for n, v in zip(names, ops)]
                 + [f"stride_{n}: {v}" for n, v in zip(names, ss)]
                 + [f"dilation_{n}: {v}" for n, v in zip(names, ds)])
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )
    xs, ws = x._data.shape, w._data.shape
    if xs[1] != ws[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to "
            f"have {ws[0]} channels, but got {xs[1]} channels instead"
        )
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[1] * groups):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected bias to be "
            f"1-dimensional with {ws[1] * groups} elements, but got bias of size "
            f"{_sizes(b._data.shape)} instead"
        )
    ks = ws[2:]
    out_size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(xs[2:], stride, padding, dilation, ks, output_padding)
    )
    if any(o <= 0 for o in out_size):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, xs[2:]))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out_size))}). Output size is "
            "too small"
        )
    _check_dtypes(x, w, b)
    # the forward convolution this one transposes: out_size -> xs[2:]
    geo = Geometry(out_size, tuple(ks), tuple(xs[2:]), stride, padding, padding, dilation,
                   groups)
    out = _ConvTranspose.apply(x, w, b, geo=geo)
    return _shape.squeeze(out, 0) if unbatched else out


# ---------------------------------------------------------------------------------------
# Public functions


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """1-D convolution (cross-correlation) of ``input`` (N, C_in, L) or (C_in, L) with
    ``weight`` (C_out, C_in/groups, k); ``padding`` may be an int, a tuple, 'valid' or
    'same'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """2-D convolution (cross-correlation) of ``input`` (N, C_in, H, W) or (C_in, H, W)
    with ``weight`` (C_out, C_in/groups, kH, kW): out[n, o] = bias[o] + sum_c weight[o, c]
    (star) input[n, c]; ``padding`` may be an int, a pair, 'valid' or 'same'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """3-D convolution of ``input`` (N, C_in, D, H, W) with ``weight`` (C_out,
    C_in/groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv1d: ``weight`` is (C_in, C_out/groups, k); output
    length (L-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv2d, sometimes called 'deconvolution': ``weight`` is
    (C_in, C_out/groups, kH, kW); each output size is (in-1)*stride - 2*padding +
    dilation*(k-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv3d; ``weight`` is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def convolution(input, weight, bias, stride, padding, dilation, transposed,  # noqa: A002
                output_padding, groups) -> Tensor:
    """torch.convolution: the general entry point behind the functions above."""
    w = _check_tensor("convolution", weight, "weight", 2)
    nd = w._data.ndim - 2
    names = {1: "1d", 2: "2d", 3: "3d"}
    if nd not in names:
        raise RuntimeError(f"weight should have at least three dimensions, got {w._data.ndim}")
    if transposed:
        return _conv_transpose(f"conv_transpose{names[nd]}", nd, input, weight, bias, stride,
                               padding, output_padding, groups, dilation)
    return _conv(f"conv{names[nd]}", nd, input, weight, bias, stride, padding, dilation,
                 groups)

"""unfold / fold: the im2col / col2im of convolution (torchlet/nn/_functional/
conv_kernels.py) as operations of their own, each the other's transpose (and so each the
other's backward)."""

from __future__ import annotations

import operator

import numpy as np

from torchlet._dtype import TYPE_WORDS
from torchlet._ops.shape.common import contiguous_strides
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import is_grad_enabled
from torchlet.nn._functional.conv_kernels import Geometry, col2im, im2col
from torchlet.nn._functional.upsampling import _check_input

__all__ = ["fold", "unfold"]

_TYPE_WORD = TYPE_WORDS


class _Im2Col(Primitive):
    """out[n, (c, k), l] = x[n, c, l*stride + k*dilation - padding] (zero outside);
    grad_x = fold(grad)."""

    node_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, *, geo):
        batched = x.ndim == 4  # else one unbatched (C, H, W) image
        xb = x if batched else x[None]
        ctx.geo, ctx.channels = geo, xb.shape[1]
        cols = im2col(xb, geo)
        cols = np.ascontiguousarray(cols.reshape(xb.shape[0], cols.shape[2], cols.shape[3]))
        return cols if batched else cols[0]

    @staticmethod
    def backward(ctx, grad):
        return _Col2Im.apply(grad, geo=ctx.geo, channels=ctx.channels)


class _Col2Im(Primitive):
    """out[n, c, i] = sum of cols[n, (c, k), l] over l*stride + k*dilation - padding = i;
    grad_cols = unfold(grad)."""

    node_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, *, geo, channels):
        ctx.geo = geo
        batched = cols.ndim == 3  # else one unbatched (C*kh*kw, L) input
        out = col2im(cols if batched else cols[None], geo, channels)
        out = out if batched else out[0]
        # col2im sums into a padded image and hands back the inside (a view, strided as
        # the padded image even along size-1 dims); torch's result is contiguous
        strides = tuple(step // out.itemsize for step in out.strides)
        return out if strides == contiguous_strides(out.shape) else out.copy()

    @staticmethod
    def backward(ctx, grad):
        return _Im2Col.apply(grad, geo=ctx.geo)


def _pair(fn: str, value, arg: str) -> tuple:
    if isinstance(value, (list, tuple)):
        values = tuple(operator.index(v) for v in value)
    else:
        values = (operator.index(value),) * 2
    if len(values) != 2:
        raise RuntimeError(f"It is expected {arg} equals to 2, but got size {len(values)}")
    return values


def _block_args(fn, kernel_size, dilation, padding, stride):
    k = _pair(fn, kernel_size, "kernel_size")
    d = _pair(fn, dilation, "dilation")
    p = _pair(fn, padding, "padding")
    s = _pair(fn, stride, "stride")
    checks = {
        "kernel": (min(k) <= 0, "kernel size should be greater than zero, but got "
                   f"kernel_height: {k[0]} kernel_width: {k[1]}"),
        "stride": (min(s) <= 0, "stride should be greater than zero, but got "
                   f"stride_height: {s[0]} stride_width: {s[1]}"),
        "dilation": (min(d) <= 0, "dilation should be greater than zero, but got "
                     f"dilation_height: {d[0]} dilation_width: {d[1]}"),
        "padding": (min(p) < 0, "padding should be non-negative, but got "
                    f"pad_height: {p[0]} pad_width: {p[1]}"),
    }
    # torch's col2im checks the stride second, its im2col last
    order = (("kernel", "stride", "dilation", "padding") if fn == "fold" else
             ("kernel", "dilation", "padding", "stride"))
    for name in order:
        failed, message = checks[name]
        if failed:
            raise RuntimeError(message)
    return k, d, p, s


def _blocks(size, k, d, p, s) -> tuple:
    return tuple((i + 2 * pp - (dd * (kk - 1) + 1)) // ss + 1
                 for i, kk, dd, pp, ss in zip(size, k, d, p, s))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """im2col: every kernel_size block of ``input`` (N, C, H, W) as a column of the result
    (N, C*kh*kw, L), L the number of blocks; the inverse-like partner of fold."""
    x = _check_input("unfold", input)
    shape = x._data.shape
    if len(shape) < 2 and x.requires_grad and is_grad_enabled():
        # torch's autograd records the input's last two sizes before the kernel runs
        if not shape:
            raise IndexError("Dimension specified as -1 but tensor has no dimensions")
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but "
                         "got -2)")
    k, d, p, s = _block_args("unfold", kernel_size, dilation, padding, stride)
    if len(shape) < 3:  # torch reads the sizes of dims 1 and 2 first
        bad = 1 if len(shape) < 2 else 2
        if not shape:
            raise IndexError(f"Dimension specified as {bad} but tensor has no dimensions")
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got {bad})")
    if len(shape) not in (3, 4) or any(v == 0 for v in shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    in_size = tuple(shape[-2:])
    out = _blocks(in_size, k, d, p, s)
    if min(out) < 1:
        raise RuntimeError(
            f"Given input with spatial size {in_size}, kernel_size={k}, dilation={d}, "
            f"padding={p}, calculated shape of the array of sliding blocks as {out}, but its "
            "components must be at least one."
        )
    if x._data.dtype.kind not in "fb":  # (torch: the float dtypes and bool)
        raise NotImplementedError(
            f"\"im2col_out_cpu\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'")
    return _Im2Col.apply(x, geo=Geometry(in_size, k, out, s, p, p, d, 1))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """col2im: sum the columns of ``input`` (N, C*kh*kw, L) back into an image
    (N, C, *output_size), overlapping blocks adding up (the transpose of unfold)."""
    x = _check_input("fold", input)
    size = _pair("fold", output_size, "output_size")
    k, d, p, s = _block_args("fold", kernel_size, dilation, padding, stride)
    shape = x._data.shape
    if len(shape) not in (2, 3) or any(v == 0 for v in shape[-2:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    taps = k[0] * k[1]
    if shape[-2] % taps:
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={shape[-2]} and kernel_size={k}."
        )
    blocks = _blocks(size, k, d, p, s)
    if blocks[0] * blocks[1] != shape[-1]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, expected size of input's dimension 2 to match the calculated number "
            f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
            f"input.size(2)={shape[-1]}."
        )
    if min(blocks) < 1:  # (not unfold's wording: torch's col2im check has its own)
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, calculated shape of the array of sliding blocks as {blocks}, which "
            "is too small (non-positive)"
        )
    if x._data.dtype.kind not in "fb":  # (torch: the float dtypes and bool)
        raise NotImplementedError(
            f"\"col2im_out_cpu\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'")
    geo = Geometry(size, k, blocks, s, p, p, d, 1)
    return _Col2Im.apply(x, geo=geo, channels=shape[-2] // taps)

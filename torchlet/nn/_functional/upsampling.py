"""Resampling and rearranging: interpolate (nearest, nearest-exact, linear, bilinear,
bicubic, trilinear, area), pixel_shuffle / pixel_unshuffle, unfold / fold.

interpolate is separable: along each spatial axis every output position o reads a few
input positions ``index[o, t]`` with weights ``weight[o, t]`` (1 tap for nearest, 2 for
linear, 4 for cubic), computed with torch's formulas in torch's precision (float32 for
float32 input), so the same pixels are picked and mixed with the same weights. Axes are
applied last one first, the order in which torch nests its loops, so float32 results
agree with torch's to the last bit in the common cases.

Every resampling is linear in the input, so its backward is its transpose: each output
gradient is sent back to the taps it was read from, weighted the same way (summed with
``np.add.reduceat``: taps are sorted along each axis). The transpose of the transpose is
the forward again, so double backward works.

unfold/fold are the im2col/col2im of convolution (torchlet/nn/_functional/conv.py), each
the other's transpose.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from torchlet._dtype import TYPE_WORDS
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.conv_kernels import Geometry, col2im, im2col
from torchlet.nn._functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)

__all__ = ["fold", "interpolate", "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample",
           "upsample_bilinear", "upsample_nearest"]

_TYPE_WORD = TYPE_WORDS


def _check_input(fn: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(value).__name__}"
        )
    return value


# ---------------------------------------------------------------------------------------
# torch's source-index arithmetic (aten/src/ATen/native/UpSample.h), one axis at a time


def _scale(in_size: int, out_size: int, align_corners: bool, scale, ftype):
    """area_pixel_compute_scale: input pixels per output pixel, in the compute type."""
    if align_corners:
        return ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(in_size) / ftype(out_size)


def _fma(a, b, c, ftype) -> np.ndarray:
    """a * b + c rounded once, as the fused multiply-add torch's compiled kernels use
    (computed in a wider type: the product is exact there)."""
    wide = np.float64 if ftype == np.float32 else np.longdouble
    return (np.asarray(a, wide) * np.asarray(b, wide) + np.asarray(c, wide)).astype(ftype)


def _source(scale, out_size: int, align_corners: bool, cubic: bool, ftype) -> np.ndarray:
    """area_pixel_compute_source_index for every output position:
    scale * (dst + 0.5) - 0.5 (one fused multiply-add in torch's build), or scale * dst
    with align_corners; clamped at 0 except for cubic."""
    dst = np.arange(out_size).astype(ftype)
    if align_corners:
        return scale * dst
    src = _fma(scale, dst + ftype(0.5), ftype(-0.5), ftype)
    return src if cubic else np.maximum(src, ftype(0))


def _nearest_taps(in_size, out_size, scale, exact, nd):
    """Nearest source pixels. torch's 2-D kernel (nearest_idx) takes shortcuts when the
    output is the same size or twice as large, even where a given scale_factor would pick
    other pixels (3 -> 3 with scale_factor=1.3); its 1-D and 3-D kernels do not."""
    shortcut = nd == 2 and not exact
    if exact:  # floorf((dst + 0.5) * scale): a double product rounded to float
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(in_size) / np.float32(out_size)
        src = ((np.arange(out_size) + 0.5) * np.float64(s)).astype(np.float32)
        index = np.floor(src).astype(np.int64)
    elif shortcut and out_size == in_size:
        index = np.arange(out_size)
    elif shortcut and out_size == 2 * in_size:
        index = np.arange(out_size) >> 1
    else:  # floorf(dst * scale) in float
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(in_size) / np.float32(out_size)
        index = np.floor(np.arange(out_size).astype(np.float32) * s).astype(np.int64)
    return np.minimum(index, in_size - 1)[:, None], None


def _linear_taps(in_size, out_size, align_corners, scale, ftype):
    if out_size == in_size:  # a copy
        pos = np.arange(out_size)
        return np.stack([pos, pos], 1), np.stack([np.ones(out_size, ftype),
                                                  np.zeros(out_size, ftype)], 1)
    ratio = _scale(in_size, out_size, align_corners, scale, ftype)
    real = _source(ratio, out_size, align_corners, False, ftype)
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.minimum(np.maximum(real - i0.astype(ftype), ftype(0)), ftype(1)).astype(ftype)
    i1 = i0 + (i0 < in_size - 1)
    lam0 = (ftype(1) - lam1).astype(ftype)
    return np.stack([i0, i1], 1), np.stack([lam0, lam1], 1)


def _cubic_taps(in_size, out_size, align_corners, scale, ftype):
    ratio = _scale(in_size, out_size, align_corners, scale, ftype)
    real = _source(ratio, out_size, align_corners, True, ftype)
    base = np.floor(real).astype(np.int64)
    t = (real - base.astype(ftype)).astype(ftype)
    a = ftype(-0.75)

    def near(x):  # cubic_convolution1: |x| <= 1
        return ((a + ftype(2)) * x - (a + ftype(3))) * x * x + ftype(1)

    def far(x):  # cubic_convolution2: 1 < |x| < 2
        return ((a * x - ftype(5) * a) * x + ftype(8) * a) * x - ftype(4) * a

    one = ftype(1)
    weights = np.stack([far((t + one).astype(ftype)), near(t), near((one - t).astype(ftype)),
                        far((one - t + one).astype(ftype))], 1).astype(ftype)
    index = np.clip(base[:, None] - 1 + np.arange(4), 0, in_size - 1)
    return index, weights


class _Resample:
    """A separable resampling: per spatial axis, ``index`` (out, taps) and ``weight``
    (out, taps) or None (nearest: a pure gather)."""

    def __init__(self, node_name: str, axes: list):
        self.node_name = node_name
        self.axes = axes  # [(index, weight)] for each spatial axis, first to last

    def apply(self, x: np.ndarray) -> np.ndarray:
        nd = len(self.axes)
        dtype = x.dtype
        if dtype == np.float16:
            x = x.astype(np.float32)
        for d in range(nd - 1, -1, -1):  # innermost axis first, as torch's loops nest
            index, weight = self.axes[d]
            axis = x.ndim - nd + d
            if weight is None:
                x = np.take(x, index[:, 0], axis=axis)
                continue
            shape = [1] * x.ndim
            shape[axis] = -1
            out = None
            for t in range(index.shape[1]):
                term = np.take(x, index[:, t], axis=axis) * weight[:, t].reshape(shape)
                out = term if out is None else np.add(out, term, out=out)
            assert out is not None  # every output point has at least one tap
            x = out
        return x.astype(dtype, copy=False)

    def transpose(self, g: np.ndarray, in_size: tuple) -> np.ndarray:
        """The adjoint of ``apply``: send each value back to its taps, weighted."""
        nd = len(self.axes)
        dtype = g.dtype
        if dtype == np.float16:
            g = g.astype(np.float32)
        for d in range(nd):  # the reverse of apply's order
            index, weight = self.axes[d]
            axis = g.ndim - nd + d
            shape = list(g.shape)
            shape[axis] = in_size[d]
            out = np.zeros(shape, g.dtype)
            wshape = [1] * g.ndim
            wshape[axis] = -1
            for t in range(index.shape[1]):
                tap = index[:, t]
                part = g if weight is None else g * weight[:, t].reshape(wshape)
                # tap is sorted: sum each run of equal positions, then add once per position
                starts = np.flatnonzero(np.r_[True, tap[1:] != tap[:-1]])
                sums = np.add.reduceat(part, starts, axis=axis)
                target = [slice(None)] * g.ndim
                target[axis] = tap[starts]
                out[tuple(target)] += sums
            g = out
        return g.astype(dtype, copy=False)


class _Upsample(Primitive):
    """out = R x (R picks and mixes input pixels);  grad_x = R^T grad."""

    node_name = "UpsampleNearest2DBackward0"  # set per call: ctx.node_name

    @staticmethod
    def forward(ctx, x, *, plan):
        ctx.plan, ctx.in_size = plan, x.shape[x.ndim - len(plan.axes):]
        ctx.node_name = plan.node_name
        return plan.apply(x)

    @staticmethod
    def backward(ctx, grad):
        return _UpsampleTranspose.apply(grad, plan=ctx.plan, in_size=ctx.in_size)


class _UpsampleTranspose(Primitive):
    """out = R^T g (an upsampling's backward);  grad_g = R grad."""

    node_name = "UpsampleNearest2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, *, plan, in_size):
        ctx.plan = plan
        ctx.node_name = plan.node_name.replace("Backward0", "BackwardBackward0")
        return plan.transpose(g, in_size)

    @staticmethod
    def backward(ctx, grad):
        return _Upsample.apply(grad, plan=ctx.plan)


_NODE = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2):
         "UpsampleNearest2DBackward0", ("nearest", 3): "UpsampleNearest3DBackward0",
         ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
         ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
         ("nearest-exact", 3): "UpsampleNearestExact3DBackward0",
         ("linear", 1): "UpsampleLinear1DBackward0", ("bilinear", 2):
         "UpsampleBilinear2DBackward0", ("trilinear", 3): "UpsampleTrilinear3DBackward0",
         ("bicubic", 2): "UpsampleBicubic2DBackward0"}
_SIZE_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _check_integer_input(mode: str, nd: int, dtype: np.dtype) -> None:
    """torch resizes uint8 images (nearest, nearest-exact, bilinear, bicubic); any other
    integer or bool input fails in the first kernel that dispatches on the dtype."""
    if dtype == np.uint8 and mode in ("nearest", "nearest-exact"):
        return  # a pure gather: exact in any dtype
    if dtype == np.uint8 and mode in ("bilinear", "bicubic"):
        # torch's uint8 kernels mix in fixed-point integer arithmetic; not reproduced yet
        raise NotImplementedError(
            f"interpolate(mode='{mode}') of a uint8 tensor is not implemented in torchlet"
        )
    if mode in ("linear", "trilinear"):
        kernel = "compute_indices_weights_linear"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
    elif nd == 2:  # (nearest, nearest-exact, bilinear)
        kernel = f"upsample_{'bilinear' if mode == 'bilinear' else 'nearest'}2d_channels_last"
    else:
        kernel = "compute_indices_weights_nearest"
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_WORD[dtype.name]}'")


def _resample(x: Tensor, mode: str, out_size: list, scales, align_corners: bool) -> Tensor:
    nd = x._data.ndim - 2
    in_size = x._data.shape[2:]
    if any(i <= 0 for i in in_size) or any(o <= 0 for o in out_size):
        names = _SIZE_NAMES[nd]
        ins = ", ".join(f"{n}: {i}" for n, i in zip(names, in_size))
        outs = ", ".join(f"{n}: {o}" for n, o in zip(names, out_size))
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({ins})"
            f"{' and' if nd == 1 else ''} output ({outs})"
        )
    dtype = x._data.dtype
    if dtype.kind != "f":
        _check_integer_input(mode, nd, dtype)
    ftype = np.float64 if dtype == np.float64 else np.float32  # torch's opmath type
    axes = []
    for d in range(nd):
        scale = None if scales is None else scales[d]
        i, o = in_size[d], out_size[d]
        if mode in ("nearest", "nearest-exact"):
            axes.append(_nearest_taps(i, o, scale, mode == "nearest-exact", nd))
        elif mode == "bicubic":
            axes.append(_cubic_taps(i, o, align_corners, scale, ftype))
        else:
            axes.append(_linear_taps(i, o, align_corners, scale, ftype))
    return _Upsample.apply(x, plan=_Resample(_NODE[(mode, nd)], axes))


def _is_integer(value) -> bool:
    return isinstance(value, int) or (isinstance(value, Tensor) and value._data.ndim == 0
                                      and value._data.dtype.kind in "iu")


_MODES_2D = {"bilinear", "bicubic", "lanczos"}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize ``input`` (N, C, *spatial; 1 to 3 spatial dimensions) to ``size`` or by
    ``scale_factor`` with ``mode`` 'nearest', 'nearest-exact', 'linear' (3-D input),
    'bilinear' / 'bicubic' (4-D), 'trilinear' (5-D) or 'area' (adaptive average pooling);
    ``align_corners`` maps the corner pixels' centres onto each other. torch's argument
    checks and index arithmetic."""
    x = _check_input("interpolate", input)
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    ndim = x._data.ndim
    dim = ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(x._data.shape[2:])} and "
                    f"output size of {size}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(s) for s in size]}"
                )
            output_size = [operator.index(s) for s in size]
        else:
            output_size = [operator.index(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(x._data.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format."
                )
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        # the output size from the scale; the kernels then use in/out as the scale
        assert scale_factors is not None  # size was not given (checked above)
        output_size = [int(x._data.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in _MODES_2D and ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if antialias:
        raise NotImplementedError(
            "interpolate(antialias=True) is not implemented in torchlet"
        )
    if output_size is None:  # torch: floor(input size * scale), in double precision
        assert scale_factors is not None  # size was not given
        output_size = [int(math.floor(x._data.shape[i + 2] * scale_factors[i]))
                       for i in range(dim)]
    wanted = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3),
              "linear": (1,), "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}
    if mode in wanted and dim in wanted[mode]:
        if mode == "area":
            pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dim]
            return pool(x, output_size)
        return _resample(x, mode, output_size, scale_factors, bool(align_corners))
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and ndim in (3, 4, 5):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {needs[mode]}D "
                                  "input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes:"
        f" nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})"
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """Deprecated alias of interpolate (torch warns the same way)."""
    import warnings

    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(mode='nearest')."""
    import warnings

    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    import warnings

    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------
# pixel_shuffle / pixel_unshuffle


def _shuffle(x: np.ndarray, r: int) -> np.ndarray:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r + i, w*r + j] = x[c*r*r + i*r + j,
    h, w]."""
    *lead, c, h, w = x.shape
    y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    k = len(lead)
    y = y.transpose(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return y.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def _unshuffle(x: np.ndarray, r: int) -> np.ndarray:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W), the inverse of _shuffle."""
    *lead, c, h, w = x.shape
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    k = len(lead)
    y = y.transpose(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


class _PixelShuffle(Primitive):
    """out = x's channel blocks spread over r x r pixels;  grad_x = pixel_unshuffle(grad)."""

    node_name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, *, r):
        ctx.r = r
        return np.ascontiguousarray(_shuffle(x, r))

    @staticmethod
    def backward(ctx, grad):
        return _PixelUnshuffle.apply(grad, r=ctx.r)


class _PixelUnshuffle(Primitive):
    """out = each r x r pixel block gathered into channels;  grad_x = pixel_shuffle(grad)."""

    node_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, *, r):
        ctx.r = r
        return np.ascontiguousarray(_unshuffle(x, r))

    @staticmethod
    def backward(ctx, grad):
        return _PixelShuffle.apply(grad, r=ctx.r)


def pixel_shuffle(input, upscale_factor) -> Tensor:  # noqa: A002
    """Rearrange (*, C*r^2, H, W) into (*, C, H*r, W*r) (sub-pixel convolution's last step)."""
    x = _check_input("pixel_shuffle", input)
    r = operator.index(upscale_factor)
    shape = x._data.shape
    if len(shape) < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got "
                           f"input with {len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={shape[-3]} is not divisible by "
            f"{r * r}"
        )
    return _PixelShuffle.apply(x, r=r)


def pixel_unshuffle(input, downscale_factor) -> Tensor:  # noqa: A002
    """Rearrange (*, C, H*r, W*r) into (*, C*r^2, H, W), the inverse of pixel_shuffle."""
    x = _check_input("pixel_unshuffle", input)
    r = operator.index(downscale_factor)
    shape = x._data.shape
    if len(shape) < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {len(shape)} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if shape[-2] % r:
        raise RuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={shape[-2]} is not divisible by {r}"
        )
    if shape[-1] % r:
        raise RuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={shape[-1]} is not divisible by {r}"
        )
    return _PixelUnshuffle.apply(x, r=r)


# ---------------------------------------------------------------------------------------
# unfold / fold


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
        if cols.ndim == 2:  # one unbatched (C*kh*kw, L) input
            return col2im(cols[None], geo, channels)[0]
        return col2im(cols, geo, channels)

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
    if min(k) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
            f"kernel_width: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(
            f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: "
            f"{s[1]}")
    if min(d) <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {d[0]} "
            f"dilation_width: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def _blocks(size, k, d, p, s) -> tuple:
    return tuple((i + 2 * pp - (dd * (kk - 1) + 1)) // ss + 1
                 for i, kk, dd, pp, ss in zip(size, k, d, p, s))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """im2col: every kernel_size block of ``input`` (N, C, H, W) as a column of the result
    (N, C*kh*kw, L), L the number of blocks; the inverse-like partner of fold."""
    x = _check_input("unfold", input)
    k, d, p, s = _block_args("unfold", kernel_size, dilation, padding, stride)
    shape = x._data.shape
    if len(shape) < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-len(shape)}, {len(shape) - 1}], but got 2)")
    if len(shape) not in (3, 4) or any(v == 0 for v in shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
            f"non-zero dimensions for input, but got: {list(shape)}"
        )
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"im2col_out_cpu\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'")
    in_size = tuple(shape[-2:])
    out = _blocks(in_size, k, d, p, s)
    if min(out) < 1:
        raise RuntimeError(
            f"Given input with spatial size {in_size}, kernel_size={k}, dilation={d}, "
            f"padding={p}, calculated shape of the array of sliding blocks as {out}, but its "
            "components must be at least one."
        )
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
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"col2im_out_cpu\" not implemented for '{_TYPE_WORD[x._data.dtype.name]}'")
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
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, "
            f"stride={s}, calculated shape of the array of sliding blocks as {blocks}, but its "
            "components must be at least one."
        )
    geo = Geometry(size, k, blocks, s, p, p, d, 1)
    return _Col2Im.apply(x, geo=geo, channels=shape[-2] // taps)

"""Spatial transformers: affine_grid builds a sampling grid from affine matrices,
grid_sample reads an image at the grid's points (torch.nn.functional's vision functions).

grid_sample works for 2-D (N, C, H, W) and 3-D (N, C, D, H, W) inputs the same way: the
grid's last dimension holds normalised (x, y[, z]) in [-1, 1]; each point becomes a source
position per spatial axis (torch's unnormalise + padding arithmetic, in the input's
precision), then reads 2^d neighbours ('bilinear') or the nearest one ('nearest'); a
neighbour outside the input reads 0. Every step is an array operation over all points at
once: one gather per neighbour forward, one ``np.bincount`` scatter backward.

'bicubic' (4-D input only, as torch) reads 4 x 4 taps weighted by the cubic convolution
kernel, each tap padded on its own as torch does.

torch's 2-D and 3-D kernels treat NaN and infinite coordinates differently; both are
reproduced (see "grid_sample: source positions"). The backward differentiates again
(double backward, as torch); a third derivative raises.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable

import numpy as np

from torchlet._dtype import TYPE_WORDS, from_numpy_dtype, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.creation import linspace
from torchlet._ops.linalg import bmm as _bmm
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.upsampling import _fma

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)
_TYPE_WORD = TYPE_WORDS


def _sizes(a: np.ndarray) -> str:
    return "[" + ", ".join(str(s) for s in a.shape) + "]"


# ---------------------------------------------------------------------------------------
# affine_grid


def _linspace_from_neg_one(steps: int, align_corners: bool, dtype) -> np.ndarray:
    """torch's linspace_from_neg_one: -1..1 in ``steps`` points (pixel corners), pulled in
    to the pixel centres unless align_corners; a single point sits at 0."""
    if steps <= 1:
        return np.zeros(1, dtype)
    line = linspace(-1, 1, steps, dtype=from_numpy_dtype(dtype))._data  # (theta's)
    if not align_corners:
        line = line * dtype.type(steps - 1) / dtype.type(steps)
    return line


def _base_grid(spatial: list, align_corners: bool, dtype) -> np.ndarray:
    """(prod(spatial), d + 1) rows (x, y[, z], 1): x runs along the last spatial axis."""
    axes = [_linspace_from_neg_one(s, align_corners, dtype) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # in spatial order (D,) H, W
    columns = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size, dtype)]
    return np.stack(columns, axis=-1)


class _AffineGridGenerator(Primitive):
    """grid[n, p] = theta[n] @ base[p], base[p] = (x_p, y_p[, z_p], 1);
    grad_theta[n] = sum_p grad[n, p] base[p]^T."""

    node_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, size=None, align_corners=False):
        spatial = list(size[2:])
        base = _base_grid(spatial, align_corners, theta.dtype)
        ctx.save_for_backward(base)
        # torch's bmm over these K = d + 1 terms adds the rounded products one after
        # another onto a zero (x*t0 + y*t1 [+ z*t2] + 1*t_last, no FMA; so -0 sums give
        # +0), float16 in float32 rounded once; np.matmul's order differs by an ulp
        # (one contiguous (N, P) sum per output coordinate: 10x faster than broadcasting
        # into the (N, P, d) layout, as fast as np.matmul)
        acc = np.float32 if theta.dtype == np.float16 else theta.dtype
        t, columns = theta.astype(acc, copy=False), base.T.astype(acc)  # (d+1, P)
        n, d = theta.shape[0], len(spatial)
        grid = np.empty((n, columns.shape[1], d), theta.dtype)  # (N, P, d)
        term = np.empty((n, columns.shape[1]), acc)
        for j in range(d):
            total = np.zeros_like(term)
            for k, column in enumerate(columns):
                total += np.multiply(t[:, j, k, None], column, out=term)
            grid[..., j] = total
        return grid.reshape(n, *spatial, d)

    @staticmethod
    def backward(ctx, grad):
        (base,) = ctx.saved_tensors
        n, d = grad.shape[0], grad.shape[-1]
        # as torch: (base^T grad)^T, a bmm then a transpose (its strides and nodes)
        columns = _shape.transpose(_shape.expand(base, (n, *base.shape)), 1, 2)  # (N, d+1, P)
        rows = _shape.reshape(grad, (n, -1, d))  # (N, P, d)
        return _shape.transpose(_bmm(columns, rows), 1, 2)


def affine_grid(theta, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) (or (N, D, H, W, 3)) of the affine maps ``theta``
    (N, 2, 3) (or (N, 3, 4)) for an output of ``size`` (N, C, H, W) (or (N, C, D, H, W)),
    in grid_sample's normalised coordinates."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = list(size) if not isinstance(size, tuple) else size
    shape = theta._data.shape
    if len(size) == 4:
        if theta.dim() != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if shape[0] != size[0]:
        d = len(spatial)
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
            f"{d + 1}] but got: [{shape[0]}, {d + 1}]."
        )
    return _AffineGridGenerator.apply(theta, size=tuple(int(s) for s in size),
                                      align_corners=bool(align_corners))


# ---------------------------------------------------------------------------------------
# grid_sample: source positions
#
# torch samples a 2-D input with a vectorised kernel (aten/src/ATen/native/cpu/
# GridSamplerKernel.cpp) and a 3-D input with a scalar loop (aten/src/ATen/native/
# GridSampler.cpp, GridSampler.h). On finite points they agree; on NaN, +-inf and huge
# coordinates they do not, and torchlet follows each:
#
#   2-D  border/reflection clamp a NaN position to 0; a pixel outside the input reads 0
#        and still multiplies its weight, so a NaN or inf coordinate gives a NaN output.
#   3-D  border/reflection clamp a NaN position to size - 1; a pixel outside the input is
#        skipped, so a NaN or inf coordinate reads nothing (0 under zeros padding).
#
# A position that is not finite, or that does not fit the kernel's integer type (int32 for
# a float32 2-D input, int64 otherwise), names no pixel. torch's 2-D bilinear backward
# with border/reflection padding leaves a NaN position unclamped and addresses memory
# with it: for float32 a NaN row can wrap back into the image (reproduced, see
# _wrapped_location); where torch reads outside the image (it crashes) torchlet reads and
# writes nothing for that point.

_NO_PIXEL = np.iinfo(np.int64).min // 2  # stays negative after adding a tap offset


def _to_index(position: np.ndarray, bits: int) -> np.ndarray:
    """The pixel index of an already floored (or rounded) ``position``, or _NO_PIXEL where
    torch's float-to-int conversion overflows (it returns INT_MIN there)."""
    limit = 2.0 ** (bits - 1)
    valid = np.isfinite(position) & (position >= -limit) & (position < limit)
    return np.where(valid, position, _NO_PIXEL).astype(np.int64)


class _PaddingKernel:
    """What torch's two grid_sample kernels share: padding = reflect (if asked), then
    clip (unless zeros); each kernel brings its own _reflect, _clip and _clipped_slope."""

    _reflect: Callable[..., tuple]  # (src, size, align_corners, with_grad) -> (src, sign)
    _clip: Callable[..., tuple]  # (src, size, with_grad) -> (src, inside)
    _clipped_slope: Callable[[np.ndarray, np.ndarray], np.ndarray]

    @classmethod
    def pad(cls, src, size: int, padding_mode: str, align_corners: bool, with_grad: bool):
        """(padded position, d padded / d src): torch's apply (or apply_get_grad) in the
        2-D kernel, compute_coordinates (or its *_set_grad form) in the 3-D one."""
        sign = None
        if padding_mode == "reflection":
            src, sign = cls._reflect(src, size, align_corners, with_grad)
        if padding_mode == "zeros":
            return src, None
        src, inside = cls._clip(src, size, with_grad)
        if not with_grad:
            return src, None
        slope = np.ones_like(src) if sign is None else np.asarray(sign, src.dtype)
        return src, cls._clipped_slope(slope, inside)


def _fused(ftype) -> bool:
    """Does torch's vectorised 2-D kernel fuse a * b + c into one rounding for this type?
    GCC contracts the float and double Vectorized arithmetic of the AVX2/AVX512 builds
    into fused multiply-adds; Half's converts to float and back around every operation."""
    return ftype in (np.float32, np.float64)


class _VectorKernel(_PaddingKernel):
    """torch's 2-D kernel (ComputeLocation): the forward clip turns NaN into 0, the clip of
    the backward keeps NaN; reflection folds with trunc and a fused multiply-add."""

    skip_outside = False

    @staticmethod
    def index_bits(dtype: np.dtype) -> int:
        return 64 if dtype == np.float64 else 32

    @staticmethod
    def unnormalize(coord, size: int, align_corners: bool):
        ftype = coord.dtype.type
        if align_corners:
            scale = ftype(size - 1) / ftype(2)
            return (coord + ftype(1)) * scale, scale
        scale = ftype(size) / ftype(2)
        if _fused(ftype):  # the compiled kernel fuses (coord + 1) * scale - 0.5
            return _fma(coord + ftype(1), scale, ftype(-0.5), ftype), scale
        return (coord + ftype(1)) * scale - ftype(0.5), scale

    @staticmethod
    def _clip(src, size: int, with_grad: bool):
        ftype = src.dtype.type
        low = np.where(src > 0, src, ftype(0))  # NaN -> 0: torch puts 0 first in clamp_min
        clipped = np.where(low < size - 1, low, ftype(size - 1))
        if not with_grad:
            return clipped, None
        nan = np.isnan(src)  # the backward's maximum/minimum keep NaN
        return np.where(nan, src, clipped), ((src > 0) & (src < size - 1)) | nan

    @staticmethod
    def _reflect(src, size: int, align_corners: bool, with_grad: bool):
        ftype = src.dtype.type
        if align_corners:
            if size <= 1:
                return np.zeros_like(src), np.zeros_like(src)
            low, twice_span = ftype(0), ftype(2 * (size - 1))
        else:
            low, twice_span = ftype(-0.5), ftype(2 * size)
        shifted = src - low
        folded = np.abs(shifted)
        extra = _fma(-np.trunc(folded / twice_span), twice_span, folded, ftype)
        mirrored = twice_span - extra
        if not with_grad:
            return np.minimum(extra, mirrored) + low, None  # minimum keeps NaN
        flip = extra > mirrored
        sign = np.where(flip != (shifted < 0), ftype(-1), ftype(1))
        return np.where(flip, mirrored, extra) + low, sign

    @staticmethod
    def _clipped_slope(slope, inside):
        """The slope where the clip kept the position, 0 elsewhere (a select)."""
        return np.where(inside, slope, slope.dtype.type(0))


class _ScalarKernel(_PaddingKernel):
    """torch's 3-D kernel (GridSampler.h): std::min/std::max clip NaN to size - 1 forward,
    the *_set_grad variants keep it; reflection folds with fmod and an int flip count."""

    skip_outside = True

    @staticmethod
    def index_bits(dtype: np.dtype) -> int:
        return 64

    @staticmethod
    def unnormalize(coord, size: int, align_corners: bool):
        ftype = coord.dtype.type
        if align_corners:
            return (coord + ftype(1)) / ftype(2) * ftype(size - 1), ftype(size - 1) / ftype(2)
        return ((coord + ftype(1)) * ftype(size) - ftype(1)) / ftype(2), ftype(size) / ftype(2)

    @staticmethod
    def _clip(src, size: int, with_grad: bool):
        ftype = src.dtype.type
        if not with_grad:  # min(size - 1, max(src, 0)): NaN falls through to size - 1
            low = np.where(src < 0, ftype(0), src)
            return np.where(low < size - 1, low, ftype(size - 1)), None
        below, above = src <= 0, src >= size - 1
        clipped = np.where(below, ftype(0), np.where(above, ftype(size - 1), src))
        return clipped, ~below & ~above

    @staticmethod
    def _reflect(src, size: int, align_corners: bool, with_grad: bool):
        ftype = src.dtype.type
        twice_low, twice_high = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if twice_low == twice_high:
            return np.zeros_like(src), np.zeros_like(src)
        low = ftype(twice_low) / ftype(2)
        span = ftype(twice_high - twice_low) / ftype(2)
        shifted = src - low
        negative = shifted < 0
        folded = np.where(negative, -shifted, shifted)
        extra = np.fmod(folded, span)
        flips = np.floor(folded / span)
        # static_cast<int> of a flip count past INT_MAX (or of NaN) is INT_MIN: even
        odd = (np.fmod(flips, 2) != 0) & (flips < 2.0 ** 31)
        out = np.where(odd, span - extra + low, extra + low)
        sign = np.where(odd != negative, ftype(-1), ftype(1)) if with_grad else None
        return out, sign

    @staticmethod
    def _clipped_slope(slope, inside):
        """The slope times 0 or 1 (a NaN slope stays NaN outside)."""
        return slope * inside.astype(slope.dtype)


def _wrapped_location(index, spatial, strides, offsets):
    """Where torch's float32 2-D bilinear backward with border/reflection padding reads a
    corner. It keeps a NaN position there, converts it to INT_MIN, checks only the far
    corners against the size (the positions are taken to be clipped), and forms the
    offset in wrapping int32 arithmetic. A NaN row on an even-width image thus lands on
    rows 0 and 1; an offset outside the image, where torch crashes, reads nothing."""
    count = int(np.prod(spatial))
    inside = np.ones(index[0].shape, bool)
    offset = np.zeros(index[0].shape, np.int64)
    for i, size, stride, o in zip(index, spatial, strides, offsets):
        i = np.where(i <= _NO_PIXEL + 1, np.int64(-2**31) + o, i)
        if o:
            inside &= i < size
        offset += i * stride
    offset = (offset + 2**31) % 2**32 - 2**31
    inside &= (offset >= 0) & (offset < count)
    return np.where(inside, offset, 0), inside


class _Corner:
    """One pixel an output point reads: flat index, whether it lies inside, and the weight
    as a product of per-axis factors, with the factors' first and second derivatives."""

    __slots__ = ("flat", "inside", "factors", "slopes", "curves", "weight")

    def __init__(self, index, spatial, strides, factors=None, slopes=None, curves=None,
                 wrapped_offsets=None):
        if wrapped_offsets is None:
            self.inside = np.ones(index[0].shape, bool)
            self.flat = np.zeros(index[0].shape, np.int64)
            for i, size, stride in zip(index, spatial, strides):
                self.inside &= (i >= 0) & (i < size)
                self.flat += np.clip(i, 0, size - 1) * stride
        else:
            self.flat, self.inside = _wrapped_location(index, spatial, strides,
                                                       wrapped_offsets)
        self.factors, self.slopes, self.curves = factors, slopes, curves
        self.weight = None if factors is None else self._product(range(len(factors)))

    def _product(self, axes):
        """Product of the factors of ``axes``; torch multiplies x, then y, then z."""
        result = None
        for a in sorted(axes, reverse=True):
            result = self.factors[a] if result is None else result * self.factors[a]
        return result

    def derivative(self, axis: int):
        """d weight / d position[axis]."""
        others = self._product([a for a in range(len(self.factors)) if a != axis])
        return self.slopes[axis] if others is None else others * self.slopes[axis]

    def second(self, a: int, b: int):
        """d^2 weight / d position[a] d position[b]."""
        others = self._product([c for c in range(len(self.factors)) if c not in (a, b)])
        if a == b:
            if self.curves is None:  # (bi/tri)linear: each factor is linear in its axis
                return np.zeros_like(self.weight)
            part = self.curves[a]
        else:
            part = self.slopes[a] * self.slopes[b]
        return part if others is None else others * part


class _Plan:
    """Where every output point reads: its corners, and per spatial axis the factor
    d position / d grid (unnormalisation times padding). ``backward`` picks torch's
    gradient-time padding, which differs from the forward one on NaN."""

    def __init__(self, x_shape, grid, mode, padding_mode, align_corners, backward=False):
        n, _, *spatial = x_shape
        d = len(spatial)
        kernel = _VectorKernel if d == 2 else _ScalarKernel
        self.skip_outside = kernel.skip_outside
        self.fused = kernel is _VectorKernel and _fused(grid.dtype.type)
        self.spatial, self.count = spatial, int(np.prod(spatial))
        points = int(np.prod(grid.shape[1:-1]))  # (spelled out: an empty batch has no -1)
        bits = kernel.index_bits(grid.dtype)
        # torch's 2-D nearest backward pads as its forward does
        with_grad = backward and not (d == 2 and mode == "nearest")
        self.slopes, positions = [], []
        for axis, size in enumerate(spatial):
            coord = grid[..., d - 1 - axis].reshape(n, points)  # grid holds (x, y, z): reversed
            src, scale = kernel.unnormalize(coord, size, align_corners)
            slope = np.full_like(src, scale)
            if mode != "bicubic":  # bicubic pads each of its taps instead
                src, factor = kernel.pad(src, size, padding_mode, align_corners, with_grad)
                if factor is not None:
                    slope = slope * factor
            positions.append(src)
            self.slopes.append(slope)
        strides = [int(np.prod(spatial[a + 1:])) for a in range(d)]
        if mode == "bicubic":
            self.corners = self._bicubic_taps(kernel, positions, spatial, strides,
                                              padding_mode, align_corners, bits)
        elif mode == "nearest":
            index = [_to_index(np.rint(p), bits) for p in positions]
            self.corners = [_Corner(index, spatial, strides)]
        else:
            wrap = with_grad and d == 2 and padding_mode != "zeros" and bits == 32
            self.corners = self._linear_corners(kernel, positions, spatial, strides, bits,
                                                wrap)

    @staticmethod
    def _linear_corners(kernel, positions, spatial, strides, bits, wrap=False):
        lows = [np.floor(p) for p in positions]
        if kernel is _VectorKernel:  # w = x - floor(x), e = 1 - w
            far = [p - lo for lo, p in zip(lows, positions)]
            near = [p.dtype.type(1) - f for f, p in zip(far, positions)]
        else:  # (floor(x) + 1) - x and x - floor(x)
            near = [lo + 1 - p for lo, p in zip(lows, positions)]
            far = [p - lo for lo, p in zip(lows, positions)]
        low_index = [_to_index(lo, bits) for lo in lows]
        corners = []
        for offsets in itertools.product((0, 1), repeat=len(spatial)):  # nw, ne, sw, se
            index = [i + o for i, o in zip(low_index, offsets)]
            factors = [far[a] if o else near[a] for a, o in enumerate(offsets)]
            slopes = [1.0 if o else -1.0 for o in offsets]
            corners.append(_Corner(index, spatial, strides, factors, slopes,
                                   wrapped_offsets=offsets if wrap else None))
        return corners

    @staticmethod
    def _bicubic_taps(kernel, positions, spatial, strides, padding_mode, align_corners,
                      bits):
        """4 taps per axis around each position, weighted by the cubic convolution kernel
        (A = -0.75); each tap is padded on its own, as torch's get_value_bounded."""
        lows = [np.floor(p) for p in positions]
        kernels = [_cubic_weights(p - lo) for p, lo in zip(positions, lows)]
        taps = []  # per axis, the 4 padded pixel indices
        for lo, size in zip(lows, spatial):
            axis_taps = []
            for k in range(4):
                tap, _ = kernel.pad(lo + (k - 1), size, padding_mode, align_corners, False)
                axis_taps.append(_to_index(np.trunc(tap), bits))
            taps.append(axis_taps)
        corners = []
        for ks in itertools.product(range(4), repeat=len(spatial)):
            index = [taps[a][k] for a, k in enumerate(ks)]
            picked = [[kernels[a][part][k] for a, k in enumerate(ks)] for part in range(3)]
            corners.append(_Corner(index, spatial, strides, *picked))
        return corners

    def keep(self, corner: _Corner, values: np.ndarray) -> np.ndarray:
        """``values`` of a corner as the kernel adds them: the 3-D kernel skips pixels
        outside the input (even times a NaN weight), the 2-D one adds 0 * weight."""
        if not self.skip_outside:
            return values
        inside = corner.inside if values.ndim == 2 else corner.inside[:, None, :]
        return np.where(inside, values, values.dtype.type(0))


def _cubic_weights(t: np.ndarray):
    """The weights of the taps at -1, 0, 1, 2 for the fraction ``t`` (torch's
    get_cubic_upsample_coefficients, A = -0.75), their first and second derivatives in t."""
    ftype = t.dtype.type
    a = ftype(-0.75)

    def near(x):  # |x| <= 1; torch's kernel fuses the first product and the last
        if _fused(ftype):
            return _fma(_fma(a + 2, x, -(a + 3), ftype) * x, x, ftype(1), ftype)
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def near_slope(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far_slope(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    def near_curve(x):
        return 6 * (a + 2) * x - 2 * (a + 3)

    def far_curve(x):
        return 6 * a * x - 10 * a

    one, two = ftype(1), ftype(2)
    weights = [far(t + one), near(t), near(one - t), far(two - t)]
    slopes = [far_slope(t + one), near_slope(t), -near_slope(one - t), -far_slope(two - t)]
    curves = [far_curve(t + one), near_curve(t), near_curve(one - t), far_curve(two - t)]
    return weights, slopes, curves


def _gather(x: np.ndarray, corner: _Corner) -> np.ndarray:
    """x[n, c, flat[n, p]] as (N, C, P), 0 where the pixel lies outside."""
    n, c = x.shape[:2]
    rows = x.reshape(n, c, int(np.prod(x.shape[2:])))
    index = np.broadcast_to(corner.flat[:, None, :], (n, c, corner.flat.shape[1]))
    values = np.take_along_axis(rows, index, axis=2)
    return np.where(corner.inside[:, None, :], values, x.dtype.type(0))


def _scatter(amounts: list, corners: list, shape: tuple) -> np.ndarray:
    """The adjoint of _gather: sum each corner's (N, C, P) ``amounts`` into its pixels."""
    n, c = shape[:2]
    count = int(np.prod(shape[2:]))
    start = (np.arange(n * c, dtype=np.int64) * count).reshape(n, c, 1)
    targets = [(start + k.flat[:, None, :]).reshape(-1) for k in corners]
    weights = [np.where(k.inside[:, None, :], a, 0).reshape(-1) for a, k in zip(amounts, corners)]
    total = np.bincount(np.concatenate(targets), weights=np.concatenate(weights),
                        minlength=n * c * count)
    return total.reshape(shape)


def _sample(x, grid, mode, padding_mode, align_corners) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        plan = _Plan(x.shape, grid, mode, padding_mode, align_corners)
        if plan.fused and mode == "bicubic":
            out = _bicubic_fused(x, plan)
        else:
            out = None
            for corner in plan.corners:
                values = _gather(x, corner)
                if corner.weight is None:  # nearest
                    pass
                elif plan.fused and out is not None:  # ((nw + ne) + sw) + se, each fused
                    out = _fma(values, corner.weight[:, None, :], out, x.dtype.type)
                    continue
                else:
                    values = plan.keep(corner, values * corner.weight[:, None, :])
                out = values if out is None else out + values
    assert out is not None  # a plan has at least one corner
    return out.reshape(x.shape[:2] + grid.shape[1:-1])


def _bicubic_fused(x: np.ndarray, plan: _Plan) -> np.ndarray:
    """torch's vectorised bicubic forward, in its order and with its fused multiply-adds:
    each of the 4 rows along x as fma(c0, v0, c1 v1) + c2 v2 + c3 v3, then the rows
    along y as fma(c3, r3, fma(c2, r2, fma(c1, r1, c0 r0))) (what GCC made of the two
    sums in GridSamplerKernel.cpp; checked bit for bit against torch)."""
    ftype = x.dtype.type
    rows = []
    for ky in range(4):  # corners run (y tap, x tap), x fastest; factors are (y, x)
        taps = plan.corners[4 * ky:4 * ky + 4]
        v = [_gather(x, k) for k in taps]
        c = [k.factors[1][:, None, :] for k in taps]
        row = _fma(c[0], v[0], c[1] * v[1], ftype)
        rows.append((row + c[2] * v[2]) + c[3] * v[3])
    cy = [plan.corners[4 * ky].factors[0][:, None, :] for ky in range(4)]
    out = cy[0] * rows[0]
    for ky in range(1, 4):
        out = _fma(cy[ky], rows[ky], out, ftype)
    return out


def _grid_gradient(plan: _Plan, per_axis: list, grid: np.ndarray) -> np.ndarray:
    """Assemble d/d grid from d/d position per axis (times d position / d grid)."""
    d = len(plan.spatial)
    out = np.zeros_like(grid)
    for axis in range(d):
        out[..., d - 1 - axis] = (per_axis[axis] * plan.slopes[axis]).reshape(grid.shape[:-1])
    return out


def _sample_backward(grad, x, grid, mode, padding_mode, align_corners):
    """(grad_input, grad_grid): each output gradient goes back to the pixels it read
    (weighted as read), and along each axis to the grid through d(weights)/d(position)."""
    n, c = x.shape[:2]
    with np.errstate(invalid="ignore", over="ignore"):
        plan = _Plan(x.shape, grid, mode, padding_mode, align_corners, backward=True)
        g = grad.reshape(n, c, int(np.prod(grad.shape[2:])))
        shares = [g if k.weight is None else g * k.weight[:, None, :] for k in plan.corners]
        grad_input = _scatter(shares, plan.corners, x.shape).astype(x.dtype)
        if mode == "nearest":
            return grad_input, np.zeros_like(grid)
        d = len(plan.spatial)
        per_axis = [np.zeros(g.shape[::2], x.dtype) for _ in range(d)]
        for corner in plan.corners:
            read = (_gather(x, corner) * g).sum(axis=1)  # (N, P)
            for axis in range(d):
                per_axis[axis] += plan.keep(corner, read * corner.derivative(axis))
        return grad_input, _grid_gradient(plan, per_axis, grid)


def _sample_double_backward(grad, x, grid, gg_input, gg_grid, mode, padding_mode,
                            align_corners):
    """Gradients of (grad_input, grad_grid) = _sample_backward(grad, x, grid) given their
    upstream gradients gg_input (like x) and gg_grid (like grid), either may be None.

    With w_k the corner weights, p the positions and v = gg_grid * d p / d grid:
      d/d grad = sample(gg_input) + sum_k (v . dw_k/dp) x[pix_k]
      d/d x    = scatter of grad * (v . dw_k/dp) to pix_k
      d/d grid = d p/d grid * sum_k [ dw_k/dp <gg_input[pix_k], grad>
                                      + (d^2 w_k/dp^2 v) <x[pix_k], grad> ]
    Returns three arrays (zeros where a term is absent)."""
    n, c = x.shape[:2]
    with np.errstate(invalid="ignore", over="ignore"):
        plan = _Plan(x.shape, grid, mode, padding_mode, align_corners, backward=True)
        d = len(plan.spatial)
        g = grad.reshape(n, c, int(np.prod(grad.shape[2:])))
        linear = mode != "nearest"
        v = None
        if gg_grid is not None and linear:
            v = [gg_grid[..., d - 1 - a].reshape(n, int(np.prod(gg_grid.shape[1:-1])))
                 * plan.slopes[a] for a in range(d)]
        d_grad = np.zeros_like(g)
        per_axis = [np.zeros(g.shape[::2], x.dtype) for _ in range(d)]
        shares = []
        for corner in plan.corners:
            weight = corner.weight
            if gg_input is not None:
                read = _gather(gg_input, corner)
                d_grad += plan.keep(corner, read if weight is None else read * weight[:, None, :])
                if linear:
                    dot = (read * g).sum(axis=1)
                    for b in range(d):
                        per_axis[b] += plan.keep(corner, dot * corner.derivative(b))
            if v is not None:
                along = sum(v[a] * corner.derivative(a) for a in range(d))  # (N, P)
                values = _gather(x, corner)
                d_grad += plan.keep(corner, values * along[:, None, :])
                shares.append(g * along[:, None, :])
                dot = (values * g).sum(axis=1)
                for b in range(d):
                    bend = sum(v[a] * corner.second(a, b) for a in range(d))
                    per_axis[b] += plan.keep(corner, dot * bend)
        d_input = (_scatter(shares, plan.corners, x.shape).astype(x.dtype) if shares
                   else np.zeros_like(x))
        return (d_grad.reshape(grad.shape), d_input, _grid_gradient(plan, per_axis, grid))


class _GridSampler(Primitive):
    """out[n, c, p] = sum_k w_k(grid[n, p]) input[n, c, pixel_k(grid[n, p])] over the
    neighbours k of each grid point; grad_input scatters grad * w_k back to pixel_k,
    grad_grid[n, p] = sum_c grad[n, c, p] sum_k dw_k/dgrid input[n, c, pixel_k]."""

    node_name = "GridSampler2DBackward0"  # set per call: 2D or 3D

    @staticmethod
    def forward(ctx, x, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
        ctx.node_name = f"GridSampler{x.ndim - 2}DBackward0"
        ctx.save_for_backward(x, grid)
        ctx.params = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        return _sample(x, grid, mode, padding_mode, align_corners)

    @staticmethod
    def backward(ctx, grad):
        x, grid = ctx.saved_tensors
        grad_input, grad_grid = _GridSamplerBackward.apply(grad, x, grid, **ctx.params)
        need_input, need_grid = ctx.needs_input_grad
        return (grad_input if need_input else None), (grad_grid if need_grid else None)


class _GridSamplerBackward(Primitive):
    """(grad_input, grad_grid) of grid_sample. grad_input is linear in grad (a scatter
    through the weights); grad_grid is bilinear in (grad, input) and smooth in grid, so
    both differentiate again (see _sample_double_backward)."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, grid, mode="bilinear", padding_mode="zeros",
                align_corners=False):
        ctx.node_name = f"GridSampler{x.ndim - 2}DBackwardBackward0"
        ctx.save_for_backward(grad, x, grid)
        ctx.params = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
        return _sample_backward(grad, x, grid, mode, padding_mode, align_corners)

    @staticmethod
    def backward(ctx, gg_input, gg_grid):
        grad, x, grid = ctx.saved_tensors
        if ctx.params["mode"] == "nearest":
            gg_grid = None  # nearest's grad_grid is a constant 0: it passes nothing back
        if gg_input is None and gg_grid is None:
            return None, None, None
        d_grad, d_input, d_grid = _GridSamplerDoubleBackward.apply(
            grad, x, grid, gg_input, gg_grid, **ctx.params)
        need_grad, need_input, need_grid = ctx.needs_input_grad
        return (d_grad if need_grad else None,
                d_input if need_input and gg_grid is not None else None,
                d_grid if need_grid else None)


class _GridSamplerDoubleBackward(Primitive):
    """The gradients of grid_sample's backward (see _sample_double_backward)."""

    node_name = "GridSampler2DBackwardBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, grid, gg_input, gg_grid, mode="bilinear", padding_mode="zeros",
                align_corners=False):
        ctx.node_name = f"GridSampler{x.ndim - 2}DBackwardBackwardBackward0"
        return _sample_double_backward(grad, x, grid, gg_input, gg_grid, mode, padding_mode,
                                       align_corners)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            "torchlet does not implement the third derivative of grid_sample "
            f"({ctx.node_name}); the first and second derivatives are supported")
def _check_grid_sampler(x: Tensor, grid: Tensor, mode: str) -> None:
    """torch's check_grid_sampler_common / _2d / _3d, in torch's order."""
    xd, gd = x._data, grid._data
    if xd.shape[0] != gd.shape[0]:
        raise RuntimeError(
            "grid_sampler(): expected grid and input to have same batch size, but got input "
            f"with sizes {_sizes(xd)} and grid with sizes {_sizes(gd)}")
    if gd.shape[-1] != xd.ndim - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {xd.ndim - 2} in last dimension, but "
            f"got grid with sizes {_sizes(gd)}")
    for i in range(2, xd.ndim):
        if xd.shape[i] == 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {_sizes(xd)} with dimension {i} being empty")
    dims = 4 if xd.ndim == 4 else 5
    if xd.ndim != dims or gd.ndim != dims:
        raise RuntimeError(
            f"grid_sampler(): expected {dims}D input and grid with same number of dimensions, "
            f"but got input with sizes {_sizes(xd)} and grid with sizes {_sizes(gd)}")
    if dims == 5 and mode == "bicubic":
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if xd.dtype.kind != "f":  # (the kernel's dtype dispatch runs before the grid's check)
        kernel = "grid_sampler_2d_cpu_kernel_impl" if dims == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_TYPE_WORD.get(xd.dtype.name, xd.dtype)}'")
    if xd.dtype != gd.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_WORD.get(xd.dtype.name, xd.dtype)} but "
                           f"found {_TYPE_WORD.get(gd.dtype.name, gd.dtype)}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros",  # noqa: A002
                align_corners=None) -> Tensor:
    """Read ``input`` (N, C, H, W) (or (N, C, D, H, W)) at the points of ``grid``
    (N, H_out, W_out, 2) (or (N, D_out, H_out, W_out, 3)), normalised to [-1, 1]:
    out (N, C, H_out, W_out). mode 'bilinear', 'nearest' or 'bicubic'; padding_mode 'zeros',
    'border' or 'reflection' decides what a point outside the input reads."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, UserWarning, stacklevel=2)
        align_corners = False
    for value, name, position in ((input, "input", 1), (grid, "grid", 2)):
        if not isinstance(value, Tensor):
            raise TypeError(f"grid_sampler(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {type_name(value)}")
    _check_grid_sampler(input, grid, mode)
    return _GridSampler.apply(input, grid, mode=mode, padding_mode=padding_mode,
                              align_corners=bool(align_corners))

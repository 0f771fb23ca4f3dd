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
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from torchlet._dtype import TYPE_WORDS, from_numpy_dtype
from torchlet._ops import shape as _shape
from torchlet._ops.creation import linspace
from torchlet._ops.linalg import matmul as _matmul
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive

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
        grid = np.matmul(base, theta.transpose(0, 2, 1))  # (N, P, d)
        return grid.reshape(theta.shape[0], *spatial, len(spatial))

    @staticmethod
    def backward(ctx, grad):
        (base,) = ctx.saved_tensors
        n, d = grad.shape[0], grad.shape[-1]
        rows = _shape.transpose(_shape.reshape(grad, (n, -1, d)), 1, 2)  # (N, d, P)
        return _matmul(rows, base)


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
# grid_sample: source positions (aten/src/ATen/native/GridSampler.h)


def _reflect(src, twice_low: int, twice_high: int):
    """Fold ``src`` into [twice_low / 2, twice_high / 2] by reflection at the ends;
    returns the folded position and d(folded)/d(src) (+1 or -1)."""
    if twice_low == twice_high:
        return np.zeros_like(src), np.zeros_like(src)
    ftype = src.dtype.type
    low = ftype(twice_low) / ftype(2)
    span = ftype(twice_high - twice_low) / ftype(2)
    shifted = src - low
    sign = np.where(shifted < 0, ftype(-1), ftype(1))
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    flips = np.floor(shifted / span)
    even = np.fmod(flips, 2) == 0
    folded = np.where(even, extra + low, span - extra + low)
    return folded, np.where(even, sign, -sign)


def _unnormalize(coord, size: int, align_corners: bool):
    """[-1, 1] -> pixel position along an axis of ``size`` pixels, and its slope."""
    ftype = coord.dtype.type
    if align_corners:
        src = (coord + ftype(1)) / ftype(2) * ftype(size - 1)
        return src, np.full_like(coord, ftype(size - 1) / ftype(2))
    src = ((coord + ftype(1)) * ftype(size) - ftype(1)) / ftype(2)
    return src, np.full_like(coord, ftype(size) / ftype(2))


def _source_positions(src, slope, size: int, padding_mode: str, align_corners: bool):
    """torch's compute_coordinates: the pixel position ``src`` after padding (clipped or
    reflected into the input), and ``slope`` times d(padded)/d(src)."""
    ftype = src.dtype.type
    if padding_mode == "reflection":
        if align_corners:
            src, flip = _reflect(src, 0, 2 * (size - 1))
        else:
            src, flip = _reflect(src, -1, 2 * size - 1)
        slope = slope * flip
    if padding_mode != "zeros":
        inside = (src > 0) & (src < size - 1)  # the gradient is 0 where clipped (and at 0)
        slope = np.where(inside, slope, ftype(0))
        src = np.clip(src, ftype(0), ftype(size - 1))
    # torch's safe_downgrade_to_int_range: a position no int can hold reads nothing
    wild = ~np.isfinite(src) | (np.abs(src) > np.float64(2**31 - 2))
    return np.where(wild, ftype(-100), src), slope


class _Plan:
    """Where every output point reads: per neighbour (corner) the flat input index, whether
    it lies inside, its weight and the weight's derivative along each axis."""

    def __init__(self, x_shape, grid, mode, padding_mode, align_corners):
        n, _, *spatial = x_shape
        d = len(spatial)
        self.spatial, self.count = spatial, int(np.prod(spatial))
        self.slopes = []
        positions = []
        for axis, size in enumerate(spatial):
            coord = grid[..., d - 1 - axis].reshape(n, -1)  # grid holds (x, y, z): reversed
            src, slope = _unnormalize(coord, size, align_corners)
            if mode != "bicubic":  # bicubic pads each of its taps instead
                src, slope = _source_positions(src, slope, size, padding_mode, align_corners)
            positions.append(src)
            self.slopes.append(slope)
        strides = [int(np.prod(spatial[a + 1:])) for a in range(d)]
        self.corners = []  # (flat index, inside, weight, [d weight / d position per axis])
        if mode == "bicubic":
            self._bicubic_taps(positions, spatial, strides, padding_mode, align_corners)
            return
        if mode == "nearest":
            index = [np.rint(p).astype(np.int64) for p in positions]
            self.corners.append(self._corner(index, spatial, strides, None, None))
            return
        lows = [np.floor(p) for p in positions]
        near = [lo + 1 - p for lo, p in zip(lows, positions)]  # weight of the lower pixel
        far = [p - lo for lo, p in zip(lows, positions)]  # weight of the upper pixel
        low_index = [lo.astype(np.int64) for lo in lows]
        for offsets in itertools.product((0, 1), repeat=d):  # torch's nw, ne, sw, se order
            index = [i + o for i, o in zip(low_index, offsets)]
            factors = [far[a] if offsets[a] else near[a] for a in range(d)]
            signs = [1 if o else -1 for o in offsets]
            self.corners.append(self._corner(index, spatial, strides, factors, signs))

    def _bicubic_taps(self, positions, spatial, strides, padding_mode, align_corners):
        """4 taps per axis around each position, weighted by the cubic convolution kernel
        (A = -0.75); each tap's pixel is padded on its own, as torch's get_value_bounded."""
        d = len(spatial)
        lows = [np.floor(p) for p in positions]
        kernels = [_cubic_weights(p - lo) for p, lo in zip(positions, lows)]
        taps = []  # per axis, the 4 padded pixel indices
        for lo, size in zip(lows, spatial):
            axis_taps = []
            for k in range(4):
                tap = lo + (k - 1)
                tap, _ = _source_positions(tap, np.zeros_like(tap), size, padding_mode,
                                           align_corners)
                axis_taps.append(np.trunc(tap).astype(np.int64))
            taps.append(axis_taps)
        for ks in itertools.product(range(4), repeat=d):
            index = [taps[a][k] for a, k in enumerate(ks)]
            factors = [kernels[a][0][k] for a, k in enumerate(ks)]
            slopes = [kernels[a][1][k] for a, k in enumerate(ks)]
            self.corners.append(self._corner(index, spatial, strides, factors, None, slopes))

    @staticmethod
    def _corner(index, spatial, strides, factors, signs, factor_slopes=None):
        inside = np.ones(index[0].shape, bool)
        flat = np.zeros(index[0].shape, np.int64)
        for i, size, stride in zip(index, spatial, strides):
            inside &= (i >= 0) & (i < size)
            flat += np.clip(i, 0, size - 1) * stride
        if factors is None:
            return flat, inside, None, None
        d = len(factors)
        weight = factors[d - 1]  # torch multiplies x, then y, then z
        for a in range(d - 2, -1, -1):
            weight = weight * factors[a]
        derivatives = []
        for axis in range(d):
            others = [factors[a] for a in range(d - 1, -1, -1) if a != axis]
            part = others[0] if others else np.ones_like(factors[0])
            for f in others[1:]:
                part = part * f
            if factor_slopes is not None:
                derivatives.append(part * factor_slopes[axis])
            else:
                derivatives.append(part if signs[axis] > 0 else -part)
        return flat, inside, weight, derivatives


def _cubic_weights(t: np.ndarray):
    """The weights of the taps at -1, 0, 1, 2 for the fraction ``t`` (torch's
    get_cubic_upsample_coefficients, A = -0.75) and their derivatives in t."""
    ftype = t.dtype.type
    a = ftype(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def near_slope(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far_slope(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    one = ftype(1)
    weights = [far(t + one), near(t), near(one - t), far(one - t + one)]
    slopes = [far_slope(t + one), near_slope(t), -near_slope(one - t), -far_slope(2 - t)]
    return weights, slopes


def _gather(x: np.ndarray, flat: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """x[n, c, flat[n, p]] as (N, C, P), 0 where the point lies outside."""
    n, c = x.shape[:2]
    rows = x.reshape(n, c, -1)
    index = np.broadcast_to(flat[:, None, :], (n, c, flat.shape[1]))
    values = np.take_along_axis(rows, index, axis=2)
    return np.where(inside[:, None, :], values, x.dtype.type(0))


def _sample(x, grid, mode, padding_mode, align_corners) -> np.ndarray:
    plan = _Plan(x.shape, grid, mode, padding_mode, align_corners)
    out = None
    for flat, inside, weight, _ in plan.corners:
        values = _gather(x, flat, inside)
        term = values if weight is None else values * weight[:, None, :]
        out = term if out is None else out + term
    assert out is not None  # a plan has at least one corner
    return out.reshape(x.shape[:2] + grid.shape[1:-1])


def _sample_backward(grad, x, grid, mode, padding_mode, align_corners):
    """(grad_input, grad_grid): each output gradient goes back to the pixels it read
    (weighted as read), and along each axis to the grid through d(weights)/d(position)."""
    n, c = x.shape[:2]
    plan = _Plan(x.shape, grid, mode, padding_mode, align_corners)
    g = grad.reshape(n, c, -1)
    channel_start = (np.arange(n * c, dtype=np.int64) * plan.count).reshape(n, c, 1)
    targets, amounts = [], []
    d = len(plan.spatial)
    grad_position = [np.zeros(g.shape[::2], x.dtype) for _ in range(d)]
    for flat, inside, weight, derivatives in plan.corners:
        share = g if weight is None else g * weight[:, None, :]
        targets.append((channel_start + flat[:, None, :]).reshape(-1))
        amounts.append(np.where(inside[:, None, :], share, 0).reshape(-1))
        if derivatives is not None:
            read = (_gather(x, flat, inside) * g).sum(axis=1)  # (N, P)
            for axis in range(d):
                grad_position[axis] += read * derivatives[axis]
    grad_input = np.bincount(np.concatenate(targets), weights=np.concatenate(amounts),
                             minlength=n * c * plan.count).astype(x.dtype).reshape(x.shape)
    grad_grid = np.zeros_like(grid)
    if mode != "nearest":
        for axis in range(d):
            grad_grid[..., d - 1 - axis] = (grad_position[axis] * plan.slopes[axis]).reshape(
                grid.shape[:-1])
    return grad_input, grad_grid


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
    """(grad_input, grad_grid) of grid_sample. Not differentiable again in torchlet."""

    node_name = "GridSampler2DBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, grid, mode="bilinear", padding_mode="zeros",
                align_corners=False):
        ctx.node_name = f"GridSampler{x.ndim - 2}DBackwardBackward0"
        return _sample_backward(grad, x, grid, mode, padding_mode, align_corners)

    @staticmethod
    def backward(ctx, grad_grad_input, grad_grad_grid):
        raise RuntimeError(
            "torchlet does not implement the double backward of grid_sample "
            f"({ctx.node_name}); compute second derivatives of grid_sample with torch"
        )


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
    if xd.dtype != gd.dtype:
        raise RuntimeError(f"expected scalar type {_TYPE_WORD.get(xd.dtype.name, xd.dtype)} but "
                           f"found {_TYPE_WORD.get(gd.dtype.name, gd.dtype)}")
    if xd.dtype.kind != "f":
        raise NotImplementedError(f'"grid_sampler_{dims - 2}d_cpu" not implemented for '
                                  f"'{_TYPE_WORD.get(xd.dtype.name, xd.dtype)}'")


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
                            f"Tensor, not {type(value).__name__}")
    _check_grid_sampler(input, grid, mode)
    return _GridSampler.apply(input, grid, mode=mode, padding_mode=padding_mode,
                              align_corners=bool(align_corners))

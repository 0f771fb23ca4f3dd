"""Fractional max pooling (Graham 2014): ``F.fractional_max_pool2d`` / ``3d``.

Each plane gets one random sample u in [0, 1) per spatial dimension (torch draws them
with ``torch.rand(N, C, nd)`` in the input's dtype, so the same seed gives the same
windows). Along a dimension of input size I, output size O and window k, window i starts
at

    start[i] = int((i + u) * a) - int(u * a),  a = (I - k) / (O - 1),   start[O-1] = I - k,

computed in the input's dtype as torch's kernel does (``generate_intervals``). The 2-D
kernel reads the samples as (w, h), the 3-D one as (t, h, w). Each output is the maximum
of its k-window (the first maximum in window order, a NaN always winning) and its index
the flat position in the input plane; the backward adds each gradient at that position
and its own backward gathers from there, so double backward works. The values are
picked, not computed, so they are bit-exact.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np

from torchlet._dtype import TYPE_WORDS, type_name
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.pooling import _MaxPoolGrad
from torchlet.nn._functional.pooling_plans import _IndexPlan

__all__ = [
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices",
]


def _window_starts(samples: np.ndarray, in_size: int, out_size: int, k: int) -> np.ndarray:
    """torch's generate_intervals for every plane at once: (..., out_size) starts."""
    starts = np.empty(samples.shape + (out_size,), np.int64)
    if out_size > 1:
        dtype = samples.dtype.type
        alpha = dtype(in_size - k) / dtype(out_size - 1)
        steps = np.arange(out_size - 1).astype(samples.dtype)
        u = samples[..., None]
        with np.errstate(invalid="ignore", over="ignore"):
            starts[..., :-1] = (np.trunc((steps + u) * alpha).astype(np.int64)
                                - np.trunc(u * alpha).astype(np.int64))
    if out_size > 0:
        starts[..., -1] = in_size - k
    return starts


def _fractional_max(x: np.ndarray, samples: np.ndarray, kernel, out_size):
    """(values, flat indices) over the last len(kernel) dimensions of x, which has one
    sample vector per leading (batch, plane) position."""
    nd = len(kernel)
    lead, spatial = x.shape[:-nd], x.shape[-nd:]
    strides = [int(np.prod(spatial[d + 1:])) for d in range(nd)]
    # the flat position of each window's corner, built up one dimension at a time
    corner = np.zeros(lead + (1,) * nd, np.int64)
    for d in range(nd):
        starts = _window_starts(samples[..., d], spatial[d], out_size[d], kernel[d])
        shape = lead + tuple(out_size[d] if e == d else 1 for e in range(nd))
        corner = corner + starts.reshape(shape) * strides[d]
    corner = np.broadcast_to(corner, lead + tuple(out_size))
    # (sizes spelled out: -1 cannot be inferred for an empty batch)
    flat_x = x.reshape(lead + (int(np.prod(spatial)),))
    flat_corner = corner.reshape(lead + (int(np.prod(out_size)),))
    best = np.full(flat_corner.shape, -np.inf, x.dtype)
    index = flat_corner.copy()
    for offsets in itertools.product(*(range(k) for k in kernel)):
        shift = sum(o * s for o, s in zip(offsets, strides, strict=True))
        position = flat_corner + shift
        value = np.take_along_axis(flat_x, position, axis=-1)
        better = (value > best) | np.isnan(value)
        best = np.where(better, value, best)
        index = np.where(better, position, index)
    out_shape = lead + tuple(out_size)
    return best.reshape(out_shape), index.reshape(out_shape)


class _FractionalMaxPool2dGrad(_MaxPoolGrad):
    node_name = "FractionalMaxPool2DBackwardBackward0"


class _FractionalMaxPool3dGrad(_MaxPoolGrad):
    node_name = "FractionalMaxPool3DBackwardBackward0"


class _FractionalMaxPool2d(Primitive):
    """out = x at the maximum of each fractional window, idx = where;
    grad_x = grad added at idx (where windows overlap, gradients add). x is saved, as
    torch saves it: the backward node takes it (its gradient there is zeros)."""

    node_name = "FractionalMaxPool2DBackward0"
    grad_cls: type[_MaxPoolGrad] = _FractionalMaxPool2dGrad

    @staticmethod
    def forward(ctx, x, *, samples, kernel, out_size):
        out, index = _fractional_max(x, samples, kernel, out_size)
        ctx.index, ctx.nd = index, len(kernel)
        ctx.kernel, ctx.out_size = kernel, out_size
        ctx.save_for_backward(x)
        return out, index

    @staticmethod
    def backward(ctx, grad, _grad_index=None):
        (x,) = ctx.saved_tensors
        return ctx.grad_cls.apply(grad, x, plan=_IndexPlan(ctx.nd), which=ctx.index)


class _FractionalMaxPool3d(_FractionalMaxPool2d):
    node_name = "FractionalMaxPool3DBackward0"
    grad_cls = _FractionalMaxPool3dGrad


# ---------------------------------------------------------------------------------------
# Arguments and torch's checks


def _sizes(value, nd: int, fn: str, arg: str) -> list:
    """An int or a sequence of nd ints (torch's IntArrayRef with one value expanded)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(values) == 1:
        values = values * nd
    if len(values) != nd:
        count = "Ints" if nd == 2 else "three Ints"
        raise RuntimeError(f"{fn}: {arg} must either be a single Int or tuple of {count}")
    return [operator.index(v) for v in values]


def _check_samples(x: Tensor, samples: Tensor, nd: int) -> np.ndarray:
    data = samples._data
    if data.dtype != x._data.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if data.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {data.ndim}")
    unbatched = x._data.ndim == nd + 1
    batch = 1 if unbatched else x._data.shape[0]
    channels = x._data.shape[0 if unbatched else 1]
    if data.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if data.shape[1] != channels:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if data.shape[2] != nd:
        raise RuntimeError(
            f"Expect _random_samples.size(2) equals to {nd}; got {data.shape[2]}.")
    return data[0] if unbatched else data[:batch]


def _fractional_max_pool(nd: int, input, kernel_size, output_size, random_samples):  # noqa: A002
    """torch._C._nn.fractional_max_pool{2,3}d: checks, then the pooling node."""
    fn = f"fractional_max_pool{nd}d"
    where = fn if nd == 2 else "fractional_max_pool3d_out"
    kernel = _sizes(kernel_size, nd, fn, "kernel_size")
    out_size = _sizes(output_size, nd, fn, "output_size")
    x = input
    shape = x._data.shape
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{where}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(shape)}")
    for i in range(1, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(
                f"{where}(): Expected input to have non-zero size for non-batch dimensions, "
                f"but got{list(shape)} with dimension {i} being empty.")
    spatial = shape[-nd:]
    names = ("height", "width") if nd == 2 else ("time", "height", "width")
    order = (0, 1) if nd == 2 else (0, 2, 1)  # the 3-D kernel checks width before height
    for d in order:
        k, size, out = kernel[d], spatial[d], out_size[d]
        too_large = out + k - 1 > size if nd == 2 else (k > size or out + k - 1 >= size)
        if too_large:
            raise RuntimeError(f"{where}(): pool {names[d]} {k} too large relative to input "
                               f"{names[d]} {size}")
    if any(o < 0 for o in out_size):
        raise RuntimeError("Trying to create tensor with negative dimension "
                           f"{min(out_size)}: {list(shape[:-nd]) + out_size}")
    samples = _check_samples(x, random_samples, nd)
    if x._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"{fn}_out_frame\" not implemented for '{TYPE_WORDS[x._data.dtype.name]}'")
    if nd == 2:
        samples = samples[..., ::-1]  # torch's 2-D kernel reads them as (w, h)
    cls = _FractionalMaxPool2d if nd == 2 else _FractionalMaxPool3d
    return cls.apply(x, samples=samples, kernel=tuple(kernel), out_size=tuple(out_size))


def _draw_samples(x: Tensor, nd: int) -> Tensor:
    """torch.rand(N, C, nd) in the input's dtype, N = 1 for an unbatched input."""
    from torchlet._ops.random_ops import rand

    n_batch = 1 if x.dim() == nd + 1 else x.size(0)
    return rand(n_batch, x.size(-nd - 1), nd, dtype=x.dtype)


def _check_input(fn: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type_name(value)}")
    return value


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None,  # noqa: A002
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """(values, indices) of 2-D fractional max pooling; indices are flat positions in each
    input plane (h * W + w)."""
    x = _check_input("fractional_max_pool2d", input)
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool2d requires specifying either an output_size or "
                         "an output_ratio")
    if output_size is None:
        if len(output_ratio) > 2:
            raise ValueError("fractional_max_pool2d requires output_ratio to either be a "
                             "single Int or tuple of Ints.")
        ratio = tuple(output_ratio)
        output_size = [int(x.size(-2) * ratio[0]), int(x.size(-1) * ratio[1])]
    if _random_samples is None:
        _random_samples = _draw_samples(x, 2)
    return _fractional_max_pool(2, x, kernel_size, output_size, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                          return_indices=False, _random_samples=None):
    """2-D max pooling over pseudo-random windows of size ``kernel_size`` that tile the
    input into ``output_size`` (or ``output_ratio`` times its size) outputs."""
    out, index = fractional_max_pool2d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices,
                                                    _random_samples)
    return (out, index) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None,  # noqa: A002
                                       output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """(values, indices) of 3-D fractional max pooling; indices are flat positions in each
    input volume (t * H * W + h * W + w)."""
    x = _check_input("fractional_max_pool3d", input)
    if output_size is None and output_ratio is None:
        raise ValueError("fractional_max_pool3d requires specifying either an output_size or "
                         "an output_ratio")
    if output_size is None:
        ratio = (tuple(output_ratio) if isinstance(output_ratio, (list, tuple))
                 else (output_ratio,) * 3)
        output_size = [int(x.size(-3) * ratio[0]), int(x.size(-2) * ratio[1]),
                       int(x.size(-1) * ratio[2])]
    if _random_samples is None:
        _random_samples = _draw_samples(x, 3)
    return _fractional_max_pool(3, x, kernel_size, output_size, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,  # noqa: A002
                          return_indices=False, _random_samples=None):
    """3-D max pooling over pseudo-random windows of size ``kernel_size`` that tile the
    input into ``output_size`` (or ``output_ratio`` times its size) outputs."""
    out, index = fractional_max_pool3d_with_indices(input, kernel_size, output_size,
                                                    output_ratio, return_indices,
                                                    _random_samples)
    return (out, index) if return_indices else out

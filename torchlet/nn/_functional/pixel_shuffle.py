"""pixel_shuffle / pixel_unshuffle: trade channels for space and back, each the other's
inverse (and so each the other's backward), as torch's PixelShuffle.cpp lays them out.

Memory format, as torch: the result is channels_last when the input's strides suggest
it (so the input gradient follows the incoming gradient's); an input that suggests
channels_last_3d is refused."""

from __future__ import annotations

import operator

import numpy as np

from torchlet import _dtype
from torchlet._ops.shape.common import suggested_memory_format
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.pooling_plans import in_format
from torchlet.nn._functional.upsampling import _check_input

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


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
        return in_format(np.ascontiguousarray(_shuffle(x, r)), suggested_memory_format(x))

    @staticmethod
    def backward(ctx, grad):
        return pixel_unshuffle(grad, ctx.r)  # with its checks and quirks, as torch


class _PixelUnshuffle(Primitive):
    """out = each r x r pixel block gathered into channels;  grad_x = pixel_shuffle(grad)."""

    node_name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, *, r):
        ctx.r = r
        if x.size == 0:  # torch returns a copy of an empty input, its shape unchanged
            return x.copy()
        return in_format(np.ascontiguousarray(_unshuffle(x, r)), suggested_memory_format(x))

    @staticmethod
    def backward(ctx, grad):
        return pixel_shuffle(grad, ctx.r)  # with its checks, as torch


def _check_format(x: Tensor) -> None:
    """torch's kernels handle contiguous and channels_last inputs only."""
    if suggested_memory_format(x._data) is _dtype.channels_last_3d:
        raise RuntimeError("Unsupported memory format. Supports only ChannelsLast, Contiguous")


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
    _check_format(x)
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
    _check_format(x)
    return _PixelUnshuffle.apply(x, r=r)

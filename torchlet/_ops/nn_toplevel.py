"""torch's top-level forms of some nn operations, with their ATen arguments: torch.ctc_loss
(an int reduction), torch.grid_sampler / grid_sampler_2d / grid_sampler_3d (int modes),
torch.affine_grid_generator, and torch.conv_tbc (a 1-D convolution of time-batch-channel
data). Each calls the torchlet.nn.functional operation that computes it."""

from __future__ import annotations

import warnings

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.shape.common import _check_tensor
from torchlet._tensor import Tensor, wrap
from torchlet.autograd import grad as autograd_grad
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad
from torchlet.nn._functional.ctc import ctc_loss as _ctc_loss
from torchlet.nn._functional.vision import affine_grid, grid_sample

__all__ = ["affine_grid_generator", "conv_tbc", "ctc_loss", "grid_sampler", "grid_sampler_2d",
           "grid_sampler_3d"]

_NO_REDUCTION = object()


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
             reduction=_NO_REDUCTION, zero_infinity=False) -> Tensor:
    """torch.ctc_loss: F.ctc_loss with ``reduction`` an int: 1 'mean', 2 'sum', anything
    else 'none'. Left out, it is 'none' (torch 2.13's binding, whatever its signature
    says); a str is a TypeError, as torch's parser gives."""
    if reduction is _NO_REDUCTION:
        reduction = 0
    if not isinstance(reduction, int) or isinstance(reduction, bool):
        raise TypeError("ctc_loss(): argument 'reduction' (position 6) must be int, not "
                        f"{type_name(reduction)}")
    name = {1: "mean", 2: "sum"}.get(reduction, "none")
    return _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, name,
                     zero_infinity)


# ---------------------------------------------------------------------------------------
# grid sampling

_INTERPOLATION = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _grid_sampler(name, dims, input, grid, interpolation_mode, padding_mode,  # noqa: A002
                  align_corners):
    x = _check_tensor(name, input)
    if not isinstance(grid, Tensor):
        raise TypeError(f"{name}(): argument 'grid' (position 2) must be Tensor, not "
                        f"{type_name(grid)}")
    if not 0 <= interpolation_mode < 3 or not 0 <= padding_mode < 3:
        # torch reads other values as some mode of its kernels; torchlet refuses them
        raise RuntimeError(f"{name}(): interpolation_mode and padding_mode must be 0, 1 or 2 "
                           f"(got {interpolation_mode} and {padding_mode})")
    if dims is not None and (x.dim() != dims or grid.dim() != dims):
        raise RuntimeError(
            f"grid_sampler(): expected {dims}D input and grid with same number of dimensions, "
            f"but got input with sizes {list(x.shape)} and grid with sizes {list(grid.shape)}")
    return grid_sample(x, grid, _INTERPOLATION[interpolation_mode], _PADDING[padding_mode],
                       bool(align_corners))


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:  # noqa: A002
    """torch.grid_sampler: F.grid_sample with int modes (interpolation 0 bilinear,
    1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection), 4-D or 5-D."""
    return _grid_sampler("grid_sampler", None, input, grid, interpolation_mode,
                         padding_mode, align_corners)


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:  # noqa: A002
    """torch.grid_sampler_2d: grid_sampler of a 4-D input and grid only."""
    return _grid_sampler("grid_sampler_2d", 4, input, grid, interpolation_mode,
                         padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners) -> Tensor:  # noqa: A002
    """torch.grid_sampler_3d: grid_sampler of a 5-D input and grid only."""
    return _grid_sampler("grid_sampler_3d", 5, input, grid, interpolation_mode,
                         padding_mode, align_corners)


def affine_grid_generator(theta, size, align_corners) -> Tensor:
    """torch.affine_grid_generator: F.affine_grid's grid (AffineGridGeneratorBackward0),
    without F.affine_grid's Python warnings; a size of other than 4 or 5 numbers is a
    RuntimeError."""
    if len(size) not in (4, 5):
        raise RuntimeError("AffineGridGenerator needs 4d (spatial) or 5d (volumetric) inputs.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (F.affine_grid's, for unit sizes: not torch's op's)
        return affine_grid(theta, size, bool(align_corners))


# ---------------------------------------------------------------------------------------
# conv_tbc


def _conv_tbc_composed(x, weight, bias, pad):
    """out[t, b, o] = bias[o] + sum_{k, i} xp[t + k, b, i] weight[k, i, o], where xp is x
    with ``pad`` zero steps added at both ends of time (a negative pad crops)."""
    from torchlet.nn import functional as F

    if pad > 0:
        x = F.pad(x, (0, 0, 0, 0, pad, pad))
    elif pad < 0:
        x = x.narrow(0, -pad, max(x.shape[0] + 2 * pad, 0))
    empty = x.shape[0] == weight.shape[0] - 1  # no output step: convolve one more, drop it
    if empty:
        x = F.pad(x, (0, 0, 0, 0, 0, 1))
    out = F.conv1d(x.permute(1, 2, 0), weight.permute(2, 1, 0), bias).permute(2, 0, 1)
    return out.narrow(0, 0, 0) if empty else out.contiguous()


class ConvTbc(Primitive):
    """out = conv_tbc(x, weight, bias, pad) (see _conv_tbc_composed); the gradients are
    those of that composition (a 1-D convolution), computed by differentiating it."""

    node_name = "ConvTbcBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias, *, pad):
        ctx.pad = pad
        ctx.save_for_backward(x, weight, bias)
        with no_grad():
            out = _conv_tbc_composed(*(wrap(a) for a in (x, weight, bias)), pad)._data
        return np.array(out, order="C")  # (an empty result too gets contiguous strides)

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        create_graph = is_grad_enabled()  # (on under create_graph=True: double backward)
        with enable_grad():
            # fresh views: the inner backward stops at them instead of walking further back
            inputs = [t.view(t.shape) if n else t for t, n in zip(ctx.saved_tensors, need,
                                                                  strict=True)]
            out = _conv_tbc_composed(*inputs, ctx.pad)
        wanted = [t for t, n in zip(inputs, need, strict=True) if n]
        found = iter(autograd_grad(out, wanted, grad, create_graph=create_graph,
                                   allow_unused=True))
        return tuple(next(found) if n else None for n in need)


def conv_tbc(input, weight, bias, pad=0) -> Tensor:  # noqa: A002
    """torch.conv_tbc: a 1-D convolution of ``input`` (time, batch, in_channels) with
    ``weight`` (kernel_width, in_channels, out_channels) and ``bias`` (out_channels), with
    ``pad`` zero steps at both ends of time: out (time + 2 pad - kernel_width + 1, batch,
    out_channels). torch's checks and messages (RuntimeError)."""
    x = _check_tensor("conv_tbc", input)
    for value, arg, position in ((weight, "weight", 2), (bias, "bias", 3)):
        if not isinstance(value, Tensor):
            raise TypeError(f"conv_tbc(): argument '{arg}' (position {position}) must be "
                            f"Tensor, not {type_name(value)}")
    if x.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError(
            "Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if x.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError(
            "Bias size must equal dim 2 in the weight tensor (output channels).")
    length = x.shape[0] + 2 * pad - weight.shape[0] + 1
    if length < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {length}: "
                           f"[{length}, {x.shape[1]}, {weight.shape[2]}]")
    return ConvTbc.apply(x, weight, bias, pad=int(pad))

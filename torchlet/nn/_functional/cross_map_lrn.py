"""The legacy cross-channel local response normalisation behind ``nn.CrossMapLRN2d``
(torch's ``torch.nn._functions.CrossMapLRN2d``, a Python autograd Function).

    scale[c] = k + alpha / size * sum of x[c']**2 over the channels c' of c's window,
    out[c] = x[c] * scale[c] ** -beta.

The window sums are running sums, as torch computes them (add the channel entering the
window, subtract the one leaving it), so the numbers are torch's bit for bit. Its
gradient is torch's loop too; like torch's, it cannot be differentiated again.
"""

from __future__ import annotations

import numpy as np

from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE


def _scale(x: np.ndarray, size: int, alpha: float, k: float) -> np.ndarray:
    channels = x.shape[1]
    square = x * x
    pre_pad = int((size - 1) / 2 + 1)
    scale = np.empty(x.shape, x.dtype)  # (C order, as torch's input.new().resize_as_)
    first = np.zeros_like(x[:, 0])
    for c in range(min(pre_pad, channels)):
        first += square[:, c]
    scale[:, 0] = first
    for c in range(1, channels):
        current = scale[:, c - 1].copy()
        if c < channels - pre_pad + 1:
            current += square[:, c + pre_pad - 1]
        if c > pre_pad:
            current -= square[:, c - pre_pad]
        scale[:, c] = current
    dtype = x.dtype.type
    return scale * dtype(alpha / size) + dtype(k)


class _CrossMapLRN2d(Primitive):
    """out = x * scale**-beta (scale as in the module docstring);
    grad_x[c] = grad[c] * scale[c]**-beta - 2 alpha beta / size * x[c] *
    sum over the channels c' whose window holds c of grad[c'] out[c'] / scale[c']."""

    node_name = "CrossMapLRN2dBackward"

    @staticmethod
    def forward(ctx, x, *, size, alpha, beta, k):
        scale = _scale(x, size, alpha, k)
        out = np.multiply(np.power(scale, x.dtype.type(-beta)), x, order="C")  # as scale
        ctx.x, ctx.out, ctx.scale = x, out, scale
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return out

    @staticmethod
    def backward(ctx, grad):
        size, channels = ctx.size, ctx.x.shape[1]
        inverse_pre_pad = int(size - (size - 1) / 2)
        if inverse_pre_pad + channels > channels + size - 1:  # size 1: torch's backward
            # narrows its padded buffer out of range, before anything else
            raise RuntimeError(f"start ({inverse_pre_pad}) + length ({channels}) exceeds "
                               f"dimension size ({channels + size - 1}).")
        if GRAD_STATE.enabled:
            # torch's backward writes into out= buffers, which autograd refuses then
            raise RuntimeError(
                "mul(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad.")
        return _CrossMapLRN2dGrad.apply(grad, x=ctx.x, out=ctx.out, scale=ctx.scale,
                                        size=ctx.size, alpha=ctx.alpha, beta=ctx.beta)


class _CrossMapLRN2dGrad(Primitive):
    """torch's backward loop of CrossMapLRN2d (not differentiable again)."""

    node_name = "CrossMapLRN2dBackwardBackward"

    @staticmethod
    def forward(ctx, grad, *, x, out, scale, size, alpha, beta):
        dtype = x.dtype.type
        n, channels = x.shape[:2]
        grad_input = np.multiply(np.power(scale, dtype(-beta)), grad, order="C")
        cache_ratio = dtype(2 * alpha * beta / size)
        inverse_pre_pad = int(size - (size - 1) / 2)
        padded = np.zeros((n, channels + size - 1) + x.shape[2:], x.dtype)
        padded[:, inverse_pre_pad:inverse_pre_pad + channels] = grad * out / scale
        accum = padded[:, :size - 1].sum(axis=1) if size > 1 else np.zeros_like(x[:, 0])
        for c in range(channels):
            accum = accum + padded[:, c + size - 1]
            grad_input[:, c] = grad_input[:, c] + -cache_ratio * x[:, c] * accum
            accum = accum - padded[:, c]
        return grad_input

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("the gradient of CrossMapLRN2d is not differentiable")


def cross_map_lrn2d(input, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                    k: float = 1):
    """What nn.CrossMapLRN2d computes on a 4-D (N, C, H, W) input."""
    if input.dim() != 4:
        raise ValueError(
            f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
    return _CrossMapLRN2d.apply(input, size=size, alpha=alpha, beta=beta, k=k)

"""Dropout and its variants, with PyTorch's random numbers.

In training, ``dropout`` zeroes each element with probability p and scales the others by
1 / (1 - p), so the expected value is unchanged; in eval mode (``training=False``) it
returns the input itself. The mask is drawn from the default generator exactly as
torch's CPU kernel draws it (one 53-bit uniform per element, kept where it is < 1 - p),
so after ``torch.manual_seed(0)`` both libraries drop the same elements.

torch computes dropout on the CPU as ``input * noise``: the graph shows MulBackward0, and
the gradient is the same mask times the incoming gradient. The feature variants
(dropout1d/2d/3d, feature_alpha_dropout) draw one value per (sample, channel) and zero
whole channels; the alpha variants keep SELU's mean and variance, setting dropped
elements to SELU's negative saturation value instead of 0.

A meta input draws nothing (the generator's state stays as it was, as torch's): its noise
is a meta array, so the result is a meta tensor with the graph a CPU input would get.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype, _random_kernels
from torchlet._device import meta_array, on_meta
from torchlet._dtype import no_attribute_error, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.shape.common import _dense_order
from torchlet._tensor import Tensor, wrap

__all__ = [
    "alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d",
    "feature_alpha_dropout",
]

_SELU_SATURATION = 1.7580993408473766  # -SELU's limit at -inf, scale * alpha


def _default_generator():
    from torchlet.random import default_generator

    return default_generator


def _check(fn: str, x, p) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(x)}")
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return x


def _check_nd(x, p) -> Tensor:
    """dropout1d/2d/3d's checks, in the order of torch's Python code (p, then x.dim())."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not isinstance(x, Tensor):
        raise no_attribute_error(x, "dim")
    return x


def _noise_shape(x: Tensor, feature: bool):
    """One noise value per element, or per (sample, channel) for the feature variants
    (which need both dims: torch's make_feature_noise)."""
    shape = x._data.shape
    if not feature:
        return shape
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)


def _like_input(draw, data: np.ndarray | None, shape: tuple, *args) -> np.ndarray:
    """``draw(gen, shape, *args)`` laid out like ``data``: torch's ``empty_like(input)``
    keeps a non-contiguous input's layout (shape.common.empty_in_layout's order) and the draws
    fill it in memory order, so a transposed input gets a transposed mask.  The feature
    variants draw into ``new_empty`` (C order) and pass ``data=None``."""
    gen = _default_generator()
    if data is None or data.flags.c_contiguous:
        return draw(gen, shape, *args)
    order = _dense_order(shape, data.strides)
    return draw(gen, [shape[d] for d in order], *args).transpose(np.argsort(order))


def _multiply(x: Tensor, factor: np.ndarray, inplace: bool) -> Tensor:
    return x.mul_(wrap(factor)) if inplace else x * wrap(factor)


def _dropout(x: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    """torch's _dropout_impl: input * noise, noise = bernoulli(1 - p) / (1 - p)."""
    data = x._data
    if p == 0 or not training or data.size == 0:
        return x
    if p == 1:
        return _multiply(x, np.zeros((), data.dtype), inplace)
    shape = _noise_shape(x, feature)
    meta = on_meta(data)
    if data.dtype.kind != "f":  # torch's noise.div_(1 - p) cannot write floats into it
        if not meta:  # (after drawing it: one draw per element, whatever the dtype)
            _random_kernels.dropout_mask(_default_generator(), shape, p, np.float64)
        default = _dtype.get_default_dtype()
        raise RuntimeError(
            f"result type {default} can't be cast to the desired output type "
            f"{_dtype.from_numpy_dtype(data.dtype)}" if meta else
            f"result type {_dtype.TYPE_WORDS[default.np.name]} can't be cast to the desired "
            f"output type {_dtype.TYPE_WORDS[data.dtype.name]}")
    noise: np.ndarray
    if meta:
        noise = meta_array(shape, data.dtype)
    else:
        like = None if feature else data
        noise = _like_input(_random_kernels.dropout_mask, like, shape, p, data.dtype)
    return _multiply(x, noise, inplace)


def _alpha_dropout(x: Tensor, p: float, training: bool, inplace: bool,
                   feature: bool) -> Tensor:
    """input * a * keep + b, with a and b chosen so that SELU's zero mean and unit variance
    are kept (dropped elements become -1.758... * a + b)."""
    data = x._data
    if p == 0 or not training or data.size == 0:
        return x
    if p == 1:
        return _multiply(x, np.zeros((), data.dtype), inplace)
    keep: np.ndarray
    if on_meta(data):
        if data.dtype.kind != "f":
            raise RuntimeError("Promotion of int.add/sub_(float) in in-place ops are not "
                               "possible due to element size change.")
        keep = meta_array(_noise_shape(x, feature), data.dtype)
    else:
        keep = _like_input(_random_kernels.bernoulli_scalar, None if feature else data,
                           _noise_shape(x, feature), 1 - p, data.dtype)
        if data.dtype.kind != "f":  # torch's (noise - 1).mul_(alpha * a), after the draw
            integer = np.dtype(np.int64) if data.dtype.kind == "b" else data.dtype
            default = _dtype.get_default_dtype()
            raise RuntimeError(
                f"result type {_dtype.TYPE_WORDS[default.np.name]} can't be cast to the "
                f"desired output type {_dtype.TYPE_WORDS[integer.name]}")
    alpha = _SELU_SATURATION
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    t = data.dtype.type
    b = (keep - t(1)) * t(alpha * a) + t(alpha * a * p)  # in torch's dtype and order
    noise = keep * t(a)
    out = _multiply(x, noise, inplace)
    return out.add_(wrap(b)) if inplace else out + wrap(b)


def dropout(input, p: float = 0.5, training: bool = True,  # noqa: A002
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1 / (1 - p)."""
    x = _check("dropout", input, p)
    return _dropout(x, p, training, inplace, feature=False)


def alpha_dropout(input, p: float = 0.5, training: bool = False,  # noqa: A002
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: keeps the mean and variance of the input."""
    x = _check("alpha_dropout", input, p)
    return _alpha_dropout(x, p, training, inplace, feature=False)


def feature_alpha_dropout(input, p: float = 0.5, training: bool = False,  # noqa: A002
                          inplace: bool = False) -> Tensor:
    """alpha_dropout of whole channels (one draw per sample and channel)."""
    x = _check("feature_alpha_dropout", input, p)
    return _alpha_dropout(x, p, training, inplace, feature=True)


def _feature_dropout(x: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    """Channel dropout; an unbatched input gets a batch dim for the draw and loses it after
    (torch's unsqueeze / squeeze: SqueezeBackward1 on top)."""
    if batched:
        return _dropout(x, p, training, inplace, feature=True)
    if inplace:  # torch's unsqueeze_ and squeeze_: x itself, SqueezeBackward4 on top
        x.unsqueeze_(0)
        _dropout(x, p, training, True, feature=True)
        return x.squeeze_(0)
    out = _dropout(_shape.unsqueeze(x, 0), p, training, False, feature=True)
    return _shape.squeeze(out, 0) if out is not x else x


def dropout1d(input, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs."""
    x = _check_nd(input, p)
    ndim = x._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _feature_dropout(x, p, training, inplace, batched=ndim == 3)


def dropout2d(input, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) inputs (a 3-D input is taken as (N, C, L))."""
    x = _check_nd(input, p)
    ndim = x._data.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _dropout(x, p, training, inplace, feature=True)


def dropout3d(input, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs."""
    x = _check_nd(input, p)
    ndim = x._data.ndim
    if ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {ndim}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    return _feature_dropout(x, p, training, inplace, batched=ndim == 5)

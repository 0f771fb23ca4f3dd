"""F.linear_cross_entropy and nn.LinearCrossEntropyOptions (new in torch 2.13).

``linear_cross_entropy(input, linear_weight, target, ...)`` is
``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``: torch's reference
path, which torchlet always takes. A weight of shape (C, d_1, ..., d_K, in_features) gives
K-dimensional logits (N, C, d_1, ..., d_K).

With ``options`` (a LinearCrossEntropyOptions) torch runs a chunked kernel instead, which
never holds all the logits at once: its values agree with the reference path's to rounding
(float32: a few ulps), its grad_fn is a generated custom-op node, and it refuses double
backward. torchlet computes the reference path for any ``options`` (grad_fn NllLossBackward0),
after the same validation and the same warning for the configurations torch's chunked path
does not take.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

from torchlet import _dtype

__all__ = ["LinearCrossEntropyOptions", "linear_cross_entropy"]


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Options of torch's chunked linear_cross_entropy (see the module docstring: torchlet
    validates them, as torch does, and computes the reference path).

    ``allow_retain_graph`` (False), ``batch_chunk_size`` (None or a positive int),
    ``chunking_method`` ("auto", "aspect_ratio", "aspect_ratio:N" with N >= 1, or None),
    ``acc_policy`` ("auto", "accurate", "balanced", "compact"), ``acc_dtype`` (None or a
    floating dtype); invalid values raise ValueError."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: object = None

    def __post_init__(self):
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            if not sep:
                factor = "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        if not (self.batch_chunk_size is None
                or (isinstance(self.batch_chunk_size, int) and self.batch_chunk_size > 0)):
            raise ValueError(
                f"batch_chunk_size must be positive int or None, got {self.batch_chunk_size!r}")
        supported = (_dtype.float16, _dtype.float32, _dtype.float64)
        if self.acc_dtype is not None and self.acc_dtype not in supported:
            raise ValueError(
                f"acc_dtype must be one of {{None, torch.float16, torch.bfloat16, "
                f"torch.float32, torch.float64}}, got {self.acc_dtype!r}. Pass "
                "acc_dtype=None to let the op pick automatically.")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,  # noqa: A002
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, weight=weight,
    reduction=reduction, ignore_index=ignore_index (None: -100), label_smoothing=...).

    ``input`` (in_features) or (N, in_features); ``linear_weight`` (C, in_features) or
    (C, d_1, ..., d_K, in_features) (K-dimensional loss: batched input only);
    ``linear_bias`` (C, d_1, ..., d_K). torch's checks, in its order (RuntimeError)."""
    from torchlet.nn.functional import cross_entropy, linear

    if input.dim() < 1 or input.dim() > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError("expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.dim()}")
    num_batches = tuple(input.shape[:-1])
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(
            "expected equal input and linear_weight last dimensions (in_features), "
            f"got {input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not num_batches:
        raise RuntimeError(
            f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} "
            f"requires batched input, (N, {in_features}), got unbatched input with shape "
            f"{tuple(input.shape)}")
    logits_shape = (*num_batches, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains "
                           "probabilities")
    ignore_index = ignore_index if ignore_index is not None else -100
    if options is not None and (out_features or reduction not in {"mean", "sum", "none"}
                                or label_smoothing != 0.0 or target.dtype != _dtype.int64):
        bias_shape = tuple(linear_bias.shape) if linear_bias is not None else None
        warnings.warn(
            "linear_cross_entropy: ``options`` ignored; chunked path needs "
            "reduction in {'mean','sum','none'}, label_smoothing == 0, target.dtype"
            " == int64, out_features == (). Got "
            f"reduction={reduction!r}, label_smoothing={label_smoothing}, "
            f"target.dtype={target.dtype}, out_features={out_features}"
            f", tracing=False, linear_bias.shape={bias_shape}.", stacklevel=2)
    if out_features:
        flat = math.prod(out_features, start=num_classes)
        linear_weight = linear_weight.reshape((flat, in_features))
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(flat)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=label_smoothing)

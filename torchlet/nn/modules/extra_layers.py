"""Layers around functions of their own: nn.CTCLoss, nn.FractionalMaxPool2d/3d and the
legacy nn.CrossMapLRN2d, with torch's constructor signatures, checks and reprs."""

from __future__ import annotations

from torchlet.nn._functional.cross_map_lrn import cross_map_lrn2d
from torchlet.nn._functional.ctc import ctc_loss
from torchlet.nn._functional.fractional_pooling import (
    fractional_max_pool2d,
    fractional_max_pool3d,
)
from torchlet.nn.modules.loss import _Loss
from torchlet.nn.modules.module import Module

__all__ = ["CTCLoss", "CrossMapLRN2d", "FractionalMaxPool2d", "FractionalMaxPool3d"]


def _tuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * n


class CTCLoss(_Loss):
    """The connectionist temporal classification loss (see ``F.ctc_loss``)."""

    __constants__ = ["blank", "reduction"]
    blank: int
    zero_infinity: bool

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                        self.reduction, self.zero_infinity)


class _FractionalMaxPoolNd(Module):
    """What FractionalMaxPool2d/3d share (each has its own ``__init__``, for torch's
    argument errors)."""

    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]
    nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__()
        nd, name = self.nd, type(self).__name__
        self.kernel_size = _tuple(kernel_size, nd)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, nd) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, nd) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             "pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio[:nd]):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling (see ``F.fractional_max_pool2d``); new window offsets
    are drawn on every call unless ``_random_samples`` is given."""

    nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        super().__init__(kernel_size, output_size, output_ratio, return_indices,
                         _random_samples)

    def forward(self, input):  # noqa: A002
        return fractional_max_pool2d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling (see ``F.fractional_max_pool3d``)."""

    nd = 3

    def __init__(self, kernel_size, output_size=None, output_ratio=None,
                 return_indices: bool = False, _random_samples=None) -> None:
        if (isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size)):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        super().__init__(kernel_size, output_size, output_ratio, return_indices,
                         _random_samples)

    def forward(self, input):  # noqa: A002
        return fractional_max_pool3d(input, self.kernel_size, self.output_size,
                                     self.output_ratio, self.return_indices,
                                     _random_samples=self._random_samples)


class CrossMapLRN2d(Module):
    """Local response normalisation across channels, the legacy Lua-torch layer:
    x[c] / (k + alpha / size * sum of x**2 over c's window of ``size`` channels)**beta."""

    size: int
    alpha: float
    beta: float
    k: float

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):  # noqa: A002
        return cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"

"""torch.gradient: derivatives estimated by finite differences, one tensor per dimension.

Second-order central differences inside, one-sided differences of order ``edge_order`` at
the two ends, as NumPy's ``np.gradient`` and torch (``aten/src/ATen/native/ReduceOps.cpp``).
Written with torchlet operations in torch's order, so the result is differentiable and
rounds as torch's does.
"""

from __future__ import annotations

import numbers

from torchlet._numpy_names import numpy_names
from torchlet._ops.shape import cat
from torchlet._tensor import Tensor


@numpy_names
def gradient(input, *, spacing=1, dim=None, edge_order=1):  # noqa: A002 - torch's name
    """A tuple with the estimated derivative of ``input`` along each dimension in ``dim``
    (all dimensions when None). ``spacing`` is one step for every dimension (a number), a
    step per dimension (numbers), or the coordinates of the samples (1-D tensors)."""
    dims = _dims(input, dim)
    if isinstance(spacing, Tensor) and spacing.dim() > 0:
        raise TypeError(
            "gradient(): argument 'spacing' must be a number or a list or tuple of numbers "
            "or 1-D Tensors, but got a Tensor with "
            f"{spacing.dim()} dimensions (put coordinates in a list: spacing=[coordinates])"
        )
    if isinstance(spacing, (numbers.Number, Tensor)):
        spacing_list = [spacing] * len(dims)
        given = None  # a scalar fits any number of dimensions
    else:
        spacing_list = list(spacing)
        given = len(spacing_list)
    _check(input, given, dim, dims, edge_order)
    if spacing_list and isinstance(spacing_list[0], Tensor) and spacing_list[0].dim() > 0:
        return tuple(_along_coordinates(input, c, d, edge_order)
                     for c, d in zip(spacing_list, dims))
    return tuple(_along_uniform(input, h, d, edge_order) for h, d in zip(spacing_list, dims))


def _dims(input, dim):  # noqa: A002
    ndim = input.dim()
    if dim is None:
        return list(range(ndim))
    raw = [dim] if isinstance(dim, int) else list(dim)
    dims = []
    for d in raw:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                f"but got {d})"
            )
        d = d % ndim
        if d in dims:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        dims.append(d)
    return dims


def _check(input, given, dim, dims, edge_order):  # noqa: A002
    """torch's pre_check_gradient."""
    if input.dtype.np.name == "uint8":
        raise RuntimeError("torch.gradient does not support uint8 input.")
    if given is not None and dim is None and given != input.dim():
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
            f"equal to 'self.dim() = {input.dim()}', since dim argument was not given, but got "
            f"a list of length {given}"
        )
    if given is not None and dim is not None and given != len(dims):
        raise RuntimeError(
            "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and "
            f"dim arguments to have the same length, but got a spacing argument of length "
            f"{given} and a dim argument of length {len(dims)}."
        )
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError(
                "torch.gradient expected each dimension size to be at least edge_order+1"
            )


def _slice(t, dim, start, end=None):
    """``t`` from ``start`` to ``end`` along ``dim`` (torch's at::slice)."""
    return t[(slice(None),) * dim + (slice(start, end),)]


def _along_uniform(x, h, dim, edge_order):
    """Samples ``h`` apart: (x[k+1] - x[k-1]) / h / 2 inside."""
    center = (_slice(x, dim, 2) - _slice(x, dim, 0, -2)) / h
    if edge_order == 1:
        first = (_slice(x, dim, 1, 2) - _slice(x, dim, 0, 1)) / h
        last = (_slice(x, dim, -1) - _slice(x, dim, -2, -1)) / h
    else:
        first = (_slice(x, dim, 0, 1) * -1.5 + _slice(x, dim, 1, 2) * 2
                 - _slice(x, dim, 2, 3) * 0.5) / h
        last = (_slice(x, dim, -3, -2) * 0.5 + _slice(x, dim, -2, -1) * -2
                + _slice(x, dim, -1) * 1.5) / h
    return cat([first, center / 2, last], dim)


def _along_coordinates(x, coordinates, dim, edge_order):
    """Samples at ``coordinates``: the quadratic through three neighbours, differentiated
    at the middle one (the weights a, b, c below)."""
    if coordinates.dim() != 1:
        raise RuntimeError(
            "torch.gradient expected each element of spacing to have one dimension, but got "
            f"an element with {coordinates.dim()} dimensions!"
        )
    shape = [1] * x.dim()
    shape[dim] = -1
    dx = coordinates.diff(1, 0)
    dx1, dx2 = dx[:-1], dx[1:]
    a = (-dx2 / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    center = a * _slice(x, dim, 0, -2) + b * _slice(x, dim, 1, -1) + c * _slice(x, dim, 2)
    if edge_order == 1:
        first = (_slice(x, dim, 1, 2) - _slice(x, dim, 0, 1)) / dx[0]
        last = (_slice(x, dim, -1) - _slice(x, dim, -2, -1)) / dx[-1]
    else:
        a = -(2.0 * dx[0] + dx[1]) / (dx[0] * (dx[0] + dx[1]))
        b = (dx[0] + dx[1]) / (dx[0] * dx[1])
        c = (-dx[0]) / (dx[1] * (dx[0] + dx[1]))
        first = a * _slice(x, dim, 0, 1) + b * _slice(x, dim, 1, 2) + c * _slice(x, dim, 2, 3)
        a = dx[-1] / (dx[-2] * (dx[-1] + dx[-2]))
        b = -(dx[-1] + dx[-2]) / (dx[-1] * dx[-2])
        c = (2 * dx[-1] + dx[-2]) / (dx[-1] * (dx[-1] + dx[-2]))
        last = a * _slice(x, dim, -3, -2) + b * _slice(x, dim, -2, -1) + c * _slice(x, dim, -1)
    return cat([first, center, last], dim)

"""Grids and index sets: meshgrid, cartesian_prod, combinations, tril_indices,
triu_indices.

Composed as torch composes them (aten/src/ATen/native/TensorShape.cpp, Itertools.cpp),
so the autograd graph is torch's: meshgrid's grids are ``view(...).expand(...)`` views
(ExpandBackward0); cartesian_prod stacks the flattened grids and combinations stacks the
grids masked to increasing index tuples (StackBackward0). Everything here is selection or
integer work, so values are bit-exact and gradients are sums of the same terms.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet import _dtype
from torchlet._device import meta_array
from torchlet._dtype import type_name
from torchlet._ops.creation import _check_dtype_arg, _on_meta, check_flags, check_layout
from torchlet._ops.reduction._common import _TYPE_WORD
from torchlet._ops.shape.joins import stack
from torchlet._tensor import Tensor, wrap

# ---------------------------------------------------------------------------------------
# meshgrid


def _tensor_list(name: str, tensors, unpack: bool = True) -> list:
    """``f(a, b)`` and (when ``unpack``: meshgrid, not cartesian_prod) ``f([a, b])`` both
    mean the tensors a and b."""
    if unpack and len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type_name(t)}"
            )
    return list(tensors)


def meshgrid(*tensors, indexing=None) -> tuple:
    """Coordinate grids from 0-d/1-D tensors: with ``indexing='ij'`` grid i varies along
    dim i; with ``'xy'`` the first two dims are swapped (Cartesian, as NumPy). Each grid
    is an expanded view of its input. torch warns when ``indexing`` is not given and
    then uses 'ij'."""
    tensor_list = _tensor_list("meshgrid", tensors)
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the "
            "indexing argument.", UserWarning, stacklevel=2,
        )
        indexing = "ij"
    return tuple(_meshgrid(tensor_list, indexing))


def _meshgrid(tensors: list, indexing: str) -> list:
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = [tensors[1], tensors[0]] + tensors[2:]
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                f"tensor of shape {list(t._data.shape)}"
            )
    shape = tuple(t._data.size for t in tensors)  # a 0-d tensor counts as 1-D
    grids = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[i] = -1
        grids.append(t.view(view_shape).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return grids


# ---------------------------------------------------------------------------------------
# cartesian_prod, combinations


def _check_1d(t: Tensor) -> None:
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


def cartesian_prod(*tensors) -> Tensor:
    """All tuples (a_i, b_j, ...) of elements of 1-D tensors, in row-major order, as the
    rows of a 2-D tensor (one tensor: returned as it is)."""
    tensor_list = _tensor_list("cartesian_prod", tensors, unpack=False)
    for t in tensor_list:
        _check_1d(t)
    if len(tensor_list) == 1:
        return tensor_list[0]
    return stack([g.flatten() for g in _meshgrid(tensor_list, "ij")], 1)


def combinations(input, r=2, with_replacement=False) -> Tensor:  # noqa: A002
    """The ``r``-element combinations of a 1-D tensor's elements, as rows in
    lexicographic order of their indices (itertools.combinations, or
    combinations_with_replacement)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"combinations(): argument 'input' (position 1) must be Tensor, not "
            f"{type_name(input)}"
        )
    _check_1d(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(np.empty(0, input._data.dtype))
    n = input._data.shape[0]
    grids = _meshgrid([input] * r, "ij")
    # torch's _triu_mask: index tuples i1 < i2 < ... (<= with replacement)
    index = np.indices((n,) * r)
    mask = np.ones((n,) * r, dtype=bool)
    for earlier, later in zip(index[:-1], index[1:]):
        mask &= (earlier <= later) if with_replacement else (earlier < later)
    return stack([g.masked_select(wrap(mask)) for g in grids], 1)


# ---------------------------------------------------------------------------------------
# tril_indices, triu_indices


def _indices_args(name, row, col, dtype, device):
    for position, (arg, value) in enumerate((("row", row), ("col", col)), start=1):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be int, "
                            f"not {type_name(value)}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    d = _dtype.to_dtype(dtype) if dtype is not None else _dtype.int64
    if d.np not in (np.int32, np.int64):
        raise NotImplementedError(f"\"{name}\" not implemented for '{_TYPE_WORD[d.np.name]}'")
    return d.np


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, column) indices of the lower triangle of a row x col matrix (with
    ``offset`` diagonals above the main one), a 2 x N tensor in row-major order."""
    if layout is not None:
        check_layout(layout, "tril_indices")
    _check_dtype_arg(dtype, "tril_indices")
    np_dtype = _indices_args("tril_indices", row, col, dtype, device)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("tril_indices", requires_grad, pin_memory)  # (pin_memory: when it allocates)
    if requires_grad:  # (the indices are integers)
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    rows, cols = np.tril_indices(row, offset, col)
    indices = np.stack([rows, cols]).astype(np_dtype).reshape(2, -1)
    return wrap(meta_array(indices.shape, np_dtype) if _on_meta(device) else indices)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False, requires_grad=False) -> Tensor:
    """The (row, column) indices of the upper triangle of a row x col matrix (from the
    ``offset``-th diagonal on), a 2 x N tensor in row-major order."""
    if layout is not None:
        check_layout(layout, "triu_indices")
    _check_dtype_arg(dtype, "triu_indices")
    np_dtype = _indices_args("triu_indices", row, col, dtype, device)
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        check_flags("triu_indices", requires_grad, pin_memory)  # (pin_memory: when it allocates)
    if requires_grad:  # (the indices are integers)
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    rows, cols = np.triu_indices(row, offset, col)
    indices = np.stack([rows, cols]).astype(np_dtype).reshape(2, -1)
    return wrap(meta_array(indices.shape, np_dtype) if _on_meta(device) else indices)

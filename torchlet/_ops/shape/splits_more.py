"""More splitting and rearranging: hsplit, vsplit, dsplit (tensor_split along dim 1, 0,
2), split_with_sizes, narrow_copy, unravel_index, and the conjugate transposes adjoint,
mH and H (plain transposes for torchlet's real dtypes)."""

from __future__ import annotations

import itertools
import operator

import numpy as np

from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise.operands import _out
from torchlet._ops.shape.common import _check_tensor, _int, _ints
from torchlet._ops.shape.joins import split, tensor_split
from torchlet._ops.shape.slices import SliceBackward, narrow_start
from torchlet._ops.shape.views import transpose
from torchlet._tensor import Tensor, _warn_once, _wrap_dim, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# hsplit, vsplit, dsplit, split_with_sizes


def _directional_split(name: str, min_ndim: int, dim_of, input, indices_or_sections):  # noqa: A002
    x = _check_tensor(name, input)
    ndim = x._data.ndim
    if ndim < min_ndim:
        raise RuntimeError(
            f"torch.{name} requires a tensor with at least {min_ndim} dimension, but got a "
            f"tensor with {ndim} dimensions!"
        )
    dim = dim_of(ndim)
    if isinstance(indices_or_sections, (tuple, list)):
        return tensor_split(x, _ints(indices_or_sections, name, "indices", 2), dim)
    sections = _int(indices_or_sections, name, "sections", 2)
    size = x._data.shape[dim]
    if sections == 0 or size % sections:
        raise RuntimeError(
            f"torch.{name} attempted to split along dimension {dim}, but the size of the "
            f"dimension {size} is not divisible by the split_size {sections}!"
        )
    return tensor_split(x, sections, dim)


def hsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); sections must divide evenly."""
    return _directional_split("hsplit", 1, lambda ndim: 0 if ndim == 1 else 1, input,
                              indices_or_sections)


def vsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """tensor_split along dim 0 of a tensor with at least 2 dims."""
    return _directional_split("vsplit", 2, lambda ndim: 0, input, indices_or_sections)


def dsplit(input, indices_or_sections) -> tuple:  # noqa: A002
    """tensor_split along dim 2 of a tensor with at least 3 dims."""
    return _directional_split("dsplit", 3, lambda ndim: 2, input, indices_or_sections)


@numpy_names
def split_with_sizes(input, split_sizes, dim=0) -> tuple:  # noqa: A002
    """Pieces of the listed sizes along dim (views); the sizes must add up to its size."""
    x = _check_tensor("split_with_sizes", input)
    return split(x, list(_ints(split_sizes, "split_with_sizes", "split_sizes", 2)), dim)


# ---------------------------------------------------------------------------------------
# narrow_copy


class NarrowCopy(Primitive):
    """out = a copy of a[start:start + length] along dim;  grad_a = zeros with grad in
    that slice (torch's slice_backward)."""

    node_name = "NarrowCopyBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, start, length, given_start):
        ctx.in_shape, ctx.args, ctx.given_start = a.shape, (dim, start, length), given_start
        return a[(slice(None),) * dim + (slice(start, start + length),)].copy()

    @staticmethod
    def backward(ctx, grad):
        dim, start, length = ctx.args
        if ctx.given_start < 0 and ctx.given_start + length == 0 and length:
            # torch's formula slices with the start as given: a slice to the end of the
            # dim then ends at 0 and is empty, so torch's gradient is the empty slice's
            # (zeros, a length-1 grad broadcasting into it) or its copy fails
            if length != 1:
                raise RuntimeError(
                    f"The size of tensor a (0) must match the size of tensor b ({length}) "
                    f"at non-singleton dimension {dim}"
                )
            return wrap(np.zeros(ctx.in_shape, grad._data.dtype))
        return SliceBackward.apply(grad, in_shape=ctx.in_shape, args=ctx.args)


@numpy_names
def narrow_copy(input, dim, start, length, *, out=None) -> Tensor:  # noqa: A002
    """``narrow`` as a new tensor (not a view)."""
    x = _check_tensor("narrow_copy", input)
    dim = _int(dim, "narrow_copy", "dim", 2)
    start = _int(start, "narrow_copy", "start", 3)
    length = _int(length, "narrow_copy", "length", 4)
    if x._data.ndim and out is not None and isinstance(out, Tensor) and out.dtype != x.dtype:
        raise _same_dtype_as_self(None, None, None)  # checked before the arguments
    _narrow_copy_checks(x._data.shape, dim, start, length)
    dim %= x._data.ndim
    given_start = start
    if start < 0:
        start += x._data.shape[dim]
    result = NarrowCopy.apply(x, dim=dim, start=start, length=length, given_start=given_start)
    # torch resizes narrow_copy's out without its usual warning
    return _out(result, out, "narrow_copy", _same_dtype_as_self, warn_resize=False)


def _narrow_copy_checks(shape, dim, start, length) -> None:
    """narrow_copy's own checks, in its order (not narrow's): a dim past the end and a
    negative length get messages of their own."""
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim < 0:
        dim = _wrap_dim(dim, len(shape))
    elif dim >= len(shape):
        raise RuntimeError(
            "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got "
            "false.  (Could this error message be improved?  If so, please report an "
            "enhancement request to PyTorch.)"
        )
    narrow_start(shape[dim], start, length)


def _same_dtype_as_self(want, got, field) -> RuntimeError:
    return RuntimeError(
        "Expected self.dtype() == output.dtype() to be true, but got false.  (Could this "
        "error message be improved?  If so, please report an enhancement request to "
        "PyTorch.)"
    )


# ---------------------------------------------------------------------------------------
# unravel_index


def unravel_index(indices, shape) -> tuple:
    """The coordinates in ``shape`` of each flat index: one int64 tensor per dimension,
    shaped as ``indices`` (torch's floor-division and modulo, so indices wrap around)."""
    from torchlet import _dtype
    from torchlet._size import Size

    if indices.is_complex() or indices.is_floating_point() or indices.dtype == _dtype.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    elif not isinstance(shape, (tuple, list, Size)):
        raise TypeError(
            f"expected 'shape' to be int or sequence of ints, but got {type(shape)}"
        )
    for size in shape:
        if not isinstance(size, (int, np.integer)):
            raise TypeError(
                f"expected 'shape' sequence to only contain ints, but got {type(size)}"
            )
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = list(itertools.accumulate(reversed(shape[1:] + (1,)), operator.mul))[::-1]
    coords = indices.unsqueeze(-1).floor_divide(wrap(np.array(coefs, np.int64)))
    coords = coords % wrap(np.array(shape, np.int64))
    return coords.unbind(-1)


# ---------------------------------------------------------------------------------------
# conjugate transposes (real dtypes: transposes)


def adjoint(input) -> Tensor:  # noqa: A002
    """The last two dims swapped (and conjugated: a no-op for real dtypes)."""
    x = _check_tensor("adjoint", input)
    if x._data.ndim == 0:  # torch passes a 0-D tensor through, deprecated
        _warn_once("adjoint() is deprecated on 0-D tensors. Consider using x.conj().")
        return x
    if x._data.ndim < 2:
        raise RuntimeError(
            "tensor.adjoint() is only supported on matrices or batches of matrices. Got "
            f"{x._data.ndim}-D tensor."
        )
    return transpose(x, -2, -1)


def mH(input) -> Tensor:  # noqa: A002, N802 - torch's name
    x = _check_tensor("mH", input)
    if x._data.ndim == 0:  # torch passes a 0-D tensor through, deprecated
        _warn_once("Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")
        return x
    if x._data.ndim < 2:
        raise RuntimeError(
            "tensor.mH is only supported on matrices or batches of matrices. Got "
            f"{x._data.ndim}-D tensor."
        )
    return transpose(x, -2, -1)


def H(input) -> Tensor:  # noqa: A002, N802 - torch's name
    """The conjugate transpose of a matrix (2-D only; a 0-D tensor passes, deprecated)."""
    x = _check_tensor("H", input)
    ndim = x._data.ndim
    if ndim == 0:
        _warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return x
    if ndim != 2:
        hint = (" For batches of matrices, consider using tensor.mH" if ndim > 2 else "")
        raise RuntimeError(
            f"tensor.H is only supported on matrices (2-D tensors). Got {ndim}-D tensor.{hint}"
        )
    return transpose(x, 0, 1)

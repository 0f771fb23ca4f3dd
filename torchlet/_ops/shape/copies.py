"""Copies that rearrange elements: flip, roll, repeat, tile, repeat_interleave; diff;
and sum_to_size, the inverse of broadcasting that the engine uses."""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._device import meta_array, on_meta
from torchlet._dtype import type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.indexing.select_mask import IndexSelect
from torchlet._ops.pointwise.operands import CopyFrom, _out, scalar_type_name
from torchlet._ops.reduction import sum as _sum
from torchlet._ops.shape.common import (
    _check_tensor,
    _contiguous,
    _empty_like_preserve,
    _int,
    _int_list,
    _ints,
    _scalar_name,
    _unique_dims,
    _wrap_dim_of,
)
from torchlet._ops.shape.joins import cat
from torchlet._ops.shape.slices import narrow
from torchlet._ops.shape.views import Clone, expand, flatten, reshape, unsqueeze
from torchlet._tensor import Tensor, _wrap_dim, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# copies that rearrange: flip, roll, repeat, repeat_interleave


class Flip(Primitive):
    """out = a reversed along dims;  grad_a = grad reversed along the same dims."""

    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, given_dim=None):
        ctx.dims = dims
        ctx.given_dim = given_dim  # the dims as the caller gave them (torch's _saved_dims)
        out = _empty_like_preserve(a)
        np.copyto(out, np.flip(a, dims) if dims else a)
        return out

    @staticmethod
    def backward(ctx, grad):
        given = ctx.given_dim  # (torch's grad.flip(dims): the dims as given)
        return flip(grad, ctx.dims if given is None else given)


def flip(input, dims) -> Tensor:  # noqa: A002
    x = _check_tensor("flip", input)
    given_dim = _ints(dims, "flip", "dims", 2)
    ndim = x._data.ndim
    dims = _unique_dims(given_dim, ndim)
    return Flip.apply(x, dims=dims if ndim else (), given_dim=given_dim)


def fliplr(input) -> Tensor:  # noqa: A002
    x = _check_tensor("fliplr", input)
    if x._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(x, (1,))


def flipud(input) -> Tensor:  # noqa: A002
    x = _check_tensor("flipud", input)
    if x._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(x, (0,))


class Roll(Primitive):
    """out = a shifted cyclically by shifts along dims (the flattened tensor if dims is
    empty);  grad_a = grad shifted back."""

    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, a, *, shifts, dims, given_dim=None):
        ctx.shifts, ctx.dims = shifts, dims  # tuples, as torch saves them
        ctx.given_dim = given_dim  # the dims as the caller gave them (torch's _saved_dims)
        if a.ndim == 0:
            return a.copy()
        if not dims:  # roll the flattened tensor
            return _contiguous(np.roll(a, shifts[0]))
        if a.size == 0:
            return _empty_like_preserve(a)  # torch: clone(Preserve), before dims are checked
        return _contiguous(np.roll(a, shifts, dims))

    @staticmethod
    def backward(ctx, grad):
        # torch's roll_backward rolls back dim by dim in reverse order (a permutation
        # either way; the order shows in the node's _saved_shifts / _saved_dims)
        back = tuple(-s for s in reversed(ctx.shifts))
        given = ctx.given_dim
        return Roll.apply(grad, shifts=back, dims=tuple(reversed(ctx.dims)),
                          given_dim=None if given is None else tuple(reversed(given)))


def roll(input, shifts, dims=None) -> Tensor:  # noqa: A002
    x = _check_tensor("roll", input)
    shifts = _int_list(shifts, "roll", "shifts", 2, single=True)
    dims = () if dims is None else _int_list(dims, "roll", "dims", 3, single=True)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return Roll.apply(x, shifts=tuple(shifts), dims=())  # roll the flattened tensor
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    ndim = x._data.ndim
    given_dim = tuple(dims)
    if x._data.size:  # (torch returns an empty tensor's clone without reading dims)
        dims = tuple(_wrap_dim_of(d, ndim) for d in dims)
    return Roll.apply(x, shifts=tuple(shifts), dims=tuple(dims), given_dim=given_dim)


class Repeat(Primitive):
    """out = a tiled repeats[i] times along each dim (leading new dims for extra
    repeats);  grad_a = the sum of grad's tiles."""

    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, a, *, repeats):
        ctx.in_shape, ctx.repeats = a.shape, repeats
        padded = (1,) * (len(repeats) - a.ndim) + a.shape
        return _contiguous(np.tile(a.reshape(padded), repeats))

    @staticmethod
    def backward(ctx, grad):
        """torch's repeat_backward: sum away the leading new dims one by one, then view
        each repeated dim i as (repeats[i], in_shape[i]) and sum the repeat axes at once
        (a tile index is the outer one: tile k of dim i is index k)."""
        repeats, in_shape = ctx.repeats, ctx.in_shape
        if 0 in repeats:
            return wrap(np.zeros(in_shape, grad._data.dtype))  # torch: zeros, no graph
        lead = len(repeats) - len(in_shape)
        for _ in range(lead):
            grad = _sum(grad, 0)
        sizes, sum_dims = [], []
        for r, s in zip(repeats[lead:], in_shape, strict=True):
            if r != 1:
                sizes.append(r)
                sum_dims.append(len(sizes) - 1)
            sizes.append(s)
        if sum_dims:
            grad = _sum(reshape(grad, tuple(sizes)), tuple(sum_dims))
        return grad


def repeat(input, sizes) -> Tensor:  # noqa: A002
    x = _check_tensor("repeat", input)
    repeats = _ints(sizes, "repeat", "repeats", 1)
    shape = x._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    padded = (1,) * (len(repeats) - len(shape)) + shape
    target = [r * s for r, s in zip(repeats, padded, strict=True)]
    bad = next((s for s in target if s < 0), None)
    if bad is not None:
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {target}")
    return Repeat.apply(x, repeats=repeats)


def tile(input, dims) -> Tensor:  # noqa: A002
    """repeat(), with missing leading repeats taken as 1."""
    x = _check_tensor("tile", input)
    dims = _ints(dims, "tile", "dims", 2)
    ndim = x._data.ndim
    if len(dims) < ndim:
        dims = (1,) * (ndim - len(dims)) + dims
    return repeat(x, dims)


_META_WITHOUT_SIZE = "cannot repeat_interleave a meta tensor without output_size"


def _checked_counts(counts: np.ndarray, output_size) -> np.ndarray:
    """torch's checks of repeat_interleave's counts, in its order: the output_size given
    (not for no counts at all), then their signs."""
    if output_size is not None and counts.size:
        if output_size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {output_size}: "
                               f"[{output_size}]")
        if output_size != counts.sum():
            raise RuntimeError("allocated size does not match required size")
    if (counts < 0).any():
        raise RuntimeError("repeats can not be negative")
    return counts


@numpy_names
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None) -> Tensor:  # noqa: A002
    """Repeat each element (each slice along dim) ``repeats`` times, in place order:
    [a, b] -> [a, a, b, b]. Without dim the tensor is flattened first. With only a 1-D
    integer tensor of counts, the indices repeated by those counts."""
    x = _check_tensor("repeat_interleave", input)
    if repeats is None:  # repeat_interleave(counts): arange(len(counts)) repeated
        counts = x._data
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if on_meta(counts):
            if output_size is None:
                raise RuntimeError(_META_WITHOUT_SIZE)
            return wrap(meta_array((output_size,), counts.dtype))
        counts = _checked_counts(counts.reshape(-1), output_size)
        return wrap(np.repeat(np.arange(counts.size, dtype=counts.dtype), counts))
    if dim is None:
        x = flatten(x)
    ndim = input._data.ndim
    given_dim = None if dim is None else _int(dim, "repeat_interleave", "dim", 3)
    if isinstance(repeats, Tensor):
        counts = repeats._data
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if not ndim and given_dim is not None:  # (torch asks a 0-d input for its size)
            raise IndexError(f"Dimension specified as {given_dim} but tensor has no dimensions")
    dim = _wrap_dim(0 if given_dim is None else given_dim, ndim)
    if isinstance(repeats, Tensor):
        if counts.dtype.kind not in "iu":
            raise NotImplementedError(
                "\"repeat_interleave_cpu\" not implemented for "
                f"'{_scalar_name(repeats._data.dtype)}'"
            )
        n = x._data.shape[dim]
        if on_meta(counts):  # no counts to read: torch needs the result's length
            if output_size is None:
                raise RuntimeError(_META_WITHOUT_SIZE)
            return IndexSelect.apply(x, dim=dim, index=np.zeros(output_size, np.int64))
        counts = counts.reshape(-1)
        if counts.size == 1:
            counts = np.broadcast_to(counts, (n,))
        if counts.size != n:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got "
                f"repeats.size(0) = {counts.size} and input.size({given_dim or 0}) = {n}"
            )
        index = np.repeat(np.arange(n), _checked_counts(counts, output_size))
        return IndexSelect.apply(x, dim=dim, index=index)
    repeats = _int(repeats, "repeat_interleave", "repeats", 2)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if not x._data.ndim:  # (torch's composition below unsqueezes dim + 1 of the 0-d input)
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
    expected = x._data.shape[dim] * repeats
    if output_size is not None and output_size != expected:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {expected} but got {output_size}"
        )
    # torch's composition: unsqueeze, expand the new dim, copy, merge the two dims
    y = unsqueeze(x, dim + 1)
    shape = y._data.shape[:dim + 1] + (repeats,) + y._data.shape[dim + 2:]
    copy = Clone.apply(expand(y, shape), memory_format=_dtype.contiguous_format)
    return flatten(copy, dim, dim + 1)


# ---------------------------------------------------------------------------------------
# differences


def _diff_check_other(x: Tensor, other: Tensor, dim: int) -> None:
    """torch's diff_check_compatible_shape: prepend/append match input but along dim."""
    shape, other_shape = x._data.shape, other._data.shape
    d = _wrap_dim(dim, len(shape))
    if len(other_shape) != len(shape):
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i, (want, got) in enumerate(zip(shape, other_shape, strict=True)):
        if i != d and want != got:
            raise RuntimeError(
                "diff expects the shape of tensor to prepend or append to match that of "
                "input except along the differencing dimension; "
                f"input.size({i}) = {want}, but got tensor.size({i}) = {got}"
            )


@numpy_names
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None) -> Tensor:  # noqa: A002
    """The n-th forward difference along ``dim``: out[i] = input[i + 1] - input[i],
    applied n times, after joining ``prepend`` and ``append`` on (torch's composition:
    cat, then narrow - narrow, so the grad_fn is SubBackward0). Bool tensors use
    logical_xor. n = 0 gives a copy (and ignores prepend/append), n larger than the size
    an empty result."""
    x = _check_tensor("diff", input)
    for value, arg, position in ((n, "n", 2), (dim, "dim", 3)):
        if isinstance(value, bool):  # torch's parser takes no bool for an int
            raise TypeError(f"diff(): argument '{arg}' (position {position}) must be int, "
                            "not bool")
    n = _int(n, "diff", "n", 2)
    dim = _int(dim, "diff", "dim", 3)
    others = []
    for other, arg in ((prepend, "prepend"), (append, "append")):
        if other is not None and not isinstance(other, Tensor):
            # (worded for a keyword argument, as they are usually given)
            raise TypeError(f"diff(): argument '{arg}' must be Tensor, not {type_name(other)}")
        others.append(other)
    if x._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    for other in others:
        if other is not None:
            _diff_check_other(x, other, dim)
    if n == 0:  # torch: zeros_like(input).copy_(input)
        copied = CopyFrom.apply(wrap(np.zeros_like(x._data)), x)
        return copied if out is None else _out(copied, out, "diff", _same_dtype,
                                               grad_check="in-place")
    dim = _wrap_dim(dim, x._data.ndim)
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, x, append) if t is not None], dim)
    size = x._data.shape[dim]
    length = size - 1
    for _ in range(min(n, size)):
        later, earlier = narrow(x, dim, 1, length), narrow(x, dim, 0, length)
        x = later.logical_xor(earlier) if x._data.dtype == np.bool_ else later - earlier
        length -= 1
    return x if out is None else _out(x, out, "sub")


def _same_dtype(want, got, field):
    if want == got:
        return None
    return RuntimeError(f"expected scalar_type {scalar_type_name(want)} but found "
                        f"{scalar_type_name(got)}")


# ---------------------------------------------------------------------------------------
# undoing broadcasting


def sum_to_size(input, size) -> Tensor:  # noqa: A002
    """Sum ``input`` down to ``size``, the inverse of broadcasting (used by the engine)."""
    x = input
    size = tuple(size)
    shape = x._data.shape
    if shape == size:
        return x
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if not size:  # torch's sum_to: a plain sum() (SumBackward0), not a sum and a view
        return _sum(x)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1
    )
    if not dims:
        return reshape(x, size)
    out = _sum(x, dims, keepdim=True)
    if lead:
        out = reshape(out, size)
    return out

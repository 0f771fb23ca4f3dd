"""The ``*_copy`` functions (torch.transpose_copy, torch.view_copy, torch.split_copy, ...).

Each is torch's view operation "but all output tensors are freshly created instead of
aliasing the input": the view's elements in a new contiguous tensor. torch records one node
named after the view's, with ``_copy`` appended (``TransposeBackward0_copy``), whose
derivative is the view's own.

So the rule here is written once: the function makes the view with torchlet's view
operation (which parses the arguments and raises torch's errors), then ``_ViewCopy`` copies
its elements; its backward is the backward of the node the view recorded, so gradients (and
double backward) are exactly the view's. ``view_copy`` has a primitive of its own, because
torch's view_copy reshapes any tensor (a non-contiguous one too), which ``view`` refuses.
"""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._ops.pointwise.operands import _out, out_dtype_must_match
from torchlet._ops.shape.common import _check_tensor, _int, _ints
from torchlet._ops.shape.joins import split, unbind
from torchlet._ops.shape.slices import diagonal, select
from torchlet._ops.shape.strided import as_strided, unfold
from torchlet._ops.shape.views import (
    Alias,
    _infer_shape,
    expand,
    permute,
    reshape,
    squeeze,
    t,
    transpose,
    unsqueeze,
)
from torchlet._tensor import Tensor, _wrap_dim, make_view
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import no_grad

__all__ = [
    "alias_copy", "as_strided_copy", "detach_copy", "diagonal_copy", "expand_copy",
    "permute_copy", "select_copy", "slice_copy", "split_copy", "split_with_sizes_copy",
    "squeeze_copy", "t_copy", "transpose_copy", "unbind_copy", "unfold_copy",
    "unsqueeze_copy", "view_copy",
]


class _ViewCopy(Primitive):
    """outs = the elements of the views of ``a`` in fresh contiguous tensors;
    grad_a = what the views' node gives for the same output gradients.

    ``views``: the view (or the tuple of views, of a multi-output view such as unbind) that
    torchlet's view operation made of ``a``; when it was recorded, its node (``_grad_fn``,
    one node for all the views) holds what its backward needs."""

    node_name = "ViewCopy"  # (the subclasses below carry torch's names)

    @staticmethod
    def forward(ctx, a, *, views, multi):
        ctx.view_node = views[0]._grad_fn
        copies = tuple(np.array(v._data, order="C") for v in views)  # (np.array copies)
        return copies if multi else copies[0]

    @staticmethod
    def backward(ctx, *grads):
        node = ctx.view_node
        return node._backward(grads)  # (zeros for missing grads where the view wants them)


class AliasCopy(_ViewCopy):
    node_name = "AliasBackward0_copy"


class AsStridedCopy(_ViewCopy):
    node_name = "AsStridedBackward0_copy"


class DiagonalCopy(_ViewCopy):
    node_name = "DiagonalBackward0_copy"


class ExpandCopy(_ViewCopy):
    node_name = "ExpandBackward0_copy"


class PermuteCopy(_ViewCopy):
    node_name = "PermuteBackward0_copy"


class SelectCopy(_ViewCopy):
    node_name = "SelectBackward0_copy"


class SliceCopy(_ViewCopy):
    node_name = "SliceBackward0_copy"


class SplitCopy(_ViewCopy):
    node_name = "SplitBackward0_copy"


class SplitWithSizesCopy(_ViewCopy):
    node_name = "SplitWithSizesBackward0_copy"


class SqueezeCopy(_ViewCopy):  # squeeze_copy(x)
    node_name = "SqueezeBackward0_copy"


class SqueezeDimCopy(_ViewCopy):  # squeeze_copy(x, dim)
    node_name = "SqueezeBackward1_copy"


class SqueezeDimsCopy(_ViewCopy):  # squeeze_copy(x, (dims...))
    node_name = "SqueezeBackward2_copy"


class TCopy(_ViewCopy):
    node_name = "TBackward0_copy"


class TransposeCopy(_ViewCopy):
    node_name = "TransposeBackward0_copy"


class UnbindCopy(_ViewCopy):
    node_name = "UnbindBackward0_copy"


class UnfoldCopy(_ViewCopy):
    node_name = "UnfoldBackward0_copy"


class UnsqueezeCopy(_ViewCopy):
    node_name = "UnsqueezeBackward0_copy"


def _copy(cls, x: Tensor, view, out, name: str):
    """The copy of one view, written into ``out`` if given (of the result's dtype, resized
    as torch resizes)."""
    result = cls.apply(x, views=(view,), multi=False)
    return _out(result, out, name, out_dtype_must_match, grad_check="none")


def _copies(cls, x: Tensor, views: tuple, out, name: str):
    """The copies of a multi-output view. With ``out`` (a list of tensors) torch copies
    each piece into its tensor (``copy_``'s broadcasting and casting) and returns None."""
    results = cls.apply(x, views=tuple(views), multi=True)
    if out is None:
        return results
    if isinstance(out, Tensor) or not all(isinstance(o, Tensor) for o in out):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors")
    with no_grad():
        for target, piece in zip(out, results, strict=False):
            target.copy_(piece)
    return None


# ---------------------------------------------------------------------------------------
# one output


def alias_copy(input, *, out=None) -> Tensor:  # noqa: A002
    """torch.alias_copy: a copy of ``input`` (AliasBackward0_copy: grad_input = grad)."""
    x = _check_tensor("alias_copy", input)
    return _copy(AliasCopy, x, make_view(Alias.apply(x), x), out, "alias_copy")


def as_strided_copy(input, size, stride, storage_offset=None, *, out=None) -> Tensor:  # noqa: A002
    """torch.as_strided_copy: the elements ``as_strided`` would view, copied."""
    x = _check_tensor("as_strided_copy", input)
    view = as_strided(x, size, stride, storage_offset)
    return _copy(AsStridedCopy, x, view, out, "as_strided_copy")


def diagonal_copy(input, offset=0, dim1=0, dim2=1, *, out=None) -> Tensor:  # noqa: A002
    """torch.diagonal_copy: the diagonal ``diagonal`` would view, copied."""
    x = _check_tensor("diagonal_copy", input)
    return _copy(DiagonalCopy, x, diagonal(x, offset, dim1, dim2), out, "diagonal_copy")


def expand_copy(input, size, *, implicit=False, out=None) -> Tensor:  # noqa: A002
    """torch.expand_copy: ``input`` broadcast to ``size`` (-1 keeps a dim), materialised;
    grad_input = grad summed over the broadcast dims. ``implicit`` changes nothing."""
    x = _check_tensor("expand_copy", input)
    return _copy(ExpandCopy, x, expand(x, size), out, "expand_copy")


def permute_copy(input, dims, *, out=None) -> Tensor:  # noqa: A002
    """torch.permute_copy: ``input`` with its dims reordered, in a contiguous copy."""
    x = _check_tensor("permute_copy", input)
    return _copy(PermuteCopy, x, permute(x, dims), out, "permute_copy")


def select_copy(input, dim, index, *, out=None) -> Tensor:  # noqa: A002
    """torch.select_copy: ``input[..., index, ...]`` along dim, copied; grad_input = zeros
    with grad written at index."""
    x = _check_tensor("select_copy", input)
    return _copy(SelectCopy, x, select(x, dim, index), out, "select_copy")


def slice_copy(input, dim=0, start=None, end=None, step=1, *, out=None) -> Tensor:  # noqa: A002
    """torch.slice_copy: ``input[start:end:step]`` along dim (Python's clamping of start
    and end), copied; the step must be positive (RuntimeError)."""
    x = _check_tensor("slice_copy", input)
    dim = _int(dim, "slice_copy", "dim", 2)
    start = None if start is None else _int(start, "slice_copy", "start", 3)
    end = None if end is None else _int(end, "slice_copy", "end", 4)
    step = _int(step, "slice_copy", "step", 5)
    if not x._data.ndim:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, x._data.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    view = x[(slice(None),) * dim + (slice(start, end, step),)]
    return _copy(SliceCopy, x, view, out, "slice_copy")


def squeeze_copy(input, dim=None, *, out=None) -> Tensor:  # noqa: A002
    """torch.squeeze_copy: ``input`` without its size-1 dims (all, ``dim``, or the dims of
    a tuple), copied. The node is SqueezeBackward0/1/2_copy as for squeeze's three forms."""
    x = _check_tensor("squeeze_copy", input)
    if dim is None:
        return _copy(SqueezeCopy, x, squeeze(x), out, "squeeze_copy")
    cls = SqueezeDimsCopy if isinstance(dim, (tuple, list)) else SqueezeDimCopy
    return _copy(cls, x, squeeze(x, dim), out, "squeeze_copy")


def t_copy(input, *, out=None) -> Tensor:  # noqa: A002
    """torch.t_copy: a tensor of at most 2 dims transposed, in a contiguous copy."""
    x = _check_tensor("t_copy", input)
    return _copy(TCopy, x, t(x), out, "t_copy")


def transpose_copy(input, dim0, dim1, *, out=None) -> Tensor:  # noqa: A002
    """torch.transpose_copy: ``input`` with dims dim0 and dim1 swapped, in a contiguous
    copy (IndexError for a dim out of range)."""
    x = _check_tensor("transpose_copy", input)
    return _copy(TransposeCopy, x, transpose(x, dim0, dim1), out, "transpose_copy")


def unfold_copy(input, dimension, size, step, *, out=None) -> Tensor:  # noqa: A002
    """torch.unfold_copy: the windows ``Tensor.unfold`` would view, copied."""
    x = _check_tensor("unfold_copy", input)
    return _copy(UnfoldCopy, x, unfold(x, dimension, size, step), out, "unfold_copy")


def unsqueeze_copy(input, dim, *, out=None) -> Tensor:  # noqa: A002
    """torch.unsqueeze_copy: ``input`` with a new size-1 dim at ``dim``, copied."""
    x = _check_tensor("unsqueeze_copy", input)
    return _copy(UnsqueezeCopy, x, unsqueeze(x, dim), out, "unsqueeze_copy")


class ViewCopy(Primitive):
    """out = the elements of ``a`` in row-major order with a new shape (a fresh tensor,
    from any layout: torch's view_copy is ``reshape`` then a copy);
    grad_a = grad reshaped back."""

    node_name = "ViewBackward0_copy"

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.in_shape = a.shape
        return np.array(a.reshape(shape), order="C")  # (np.array: always a copy)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


def view_copy(input, size, *, out=None) -> Tensor:  # noqa: A002
    """torch.view_copy(input, size): the elements with shape ``size`` (one -1 inferred),
    in a new tensor, for any layout of ``input`` (RuntimeError if the sizes disagree).
    torch.view_copy(input, dtype): the bytes reinterpreted as ``dtype``, in a new tensor
    that does not require grad (as ``Tensor.view(dtype)``)."""
    x = _check_tensor("view_copy", input)
    if isinstance(size, _dtype.dtype):
        with no_grad():
            result = x.view(size).clone(memory_format=_dtype.contiguous_format)
        return _out(result, out, "view_copy", out_dtype_must_match, grad_check="none")
    shape = _infer_shape(_ints(size, "view_copy", "size", 2), x._data.size)
    return _out(ViewCopy.apply(x, shape=shape), out, "view_copy", out_dtype_must_match,
                grad_check="none")


class DetachCopy(Primitive):
    """out = a copy of ``a``. torch records no derivative for detach_copy: the result of an
    input that requires grad requires grad too, with a NotImplemented node whose backward
    raises."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, a):
        return np.array(a, order="C")

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::detach_copy is not implemented")


def detach_copy(input, *, out=None) -> Tensor:  # noqa: A002
    """torch.detach_copy: a copy of ``input`` (see DetachCopy for its odd autograd)."""
    x = _check_tensor("detach_copy", input)
    return _out(DetachCopy.apply(x), out, "detach_copy", out_dtype_must_match,
                grad_check="none")


# ---------------------------------------------------------------------------------------
# several outputs


def split_copy(input, split_size, dim=0, *, out=None):  # noqa: A002
    """torch.split_copy: the pieces of ``split_size`` along dim (the last may be smaller),
    each a fresh tensor. ``split_size`` must be an int (TypeError otherwise: the list form
    is split_with_sizes_copy)."""
    x = _check_tensor("split_copy", input)
    size = _int(split_size, "split_copy", "split_size", 2)
    dim = _int(dim, "split_copy", "dim", 3)
    return _copies(SplitCopy, x, split(x, size, dim), out, "split_copy")


def split_with_sizes_copy(input, split_sizes, dim=0, *, out=None):  # noqa: A002
    """torch.split_with_sizes_copy: pieces of the listed sizes along dim (which must add up
    to its size), each a fresh tensor."""
    x = _check_tensor("split_with_sizes_copy", input)
    sizes = list(_ints(split_sizes, "split_with_sizes_copy", "split_sizes", 2))
    dim = _int(dim, "split_with_sizes_copy", "dim", 3)
    return _copies(SplitWithSizesCopy, x, split(x, sizes, dim), out,
                   "split_with_sizes_copy")


def unbind_copy(input, dim=0, *, out=None):  # noqa: A002
    """torch.unbind_copy: the slices along dim, without that dim, each a fresh tensor."""
    x = _check_tensor("unbind_copy", input)
    return _copies(UnbindCopy, x, unbind(x, dim), out, "unbind_copy")

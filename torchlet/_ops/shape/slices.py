"""Views of part of a tensor (narrow, select, diagonal), the dtype view, and the
diagonal/triangle copies (diag, tril, triu).

The backward of a view that drops elements writes the gradient into zeros. That scatter is
a Primitive of its own (torch's ``slice_backward``, ``select_backward``,
``diagonal_backward``), whose backward is the view again, so double backward works."""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._device import on_meta
from torchlet._numpy_names import numpy_names
from torchlet._ops.pointwise.operands import _out, out_dtype_must_match, refuse_autograd
from torchlet._ops.shape.common import (
    _check_tensor,
    _contiguous,
    _element_strides,
    _int,
    _scalar_name,
    narrow_args,
)
from torchlet._tensor import Tensor, _wrap_dim, make_view, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# views of part of a tensor: narrow, select, diagonal


class _Interface:
    """What ``np.asarray`` reads an array from: an ``__array_interface__``, and the array
    whose memory it points into (kept alive as the new array's ``base``)."""

    __slots__ = ("__array_interface__", "base")

    def __init__(self, interface: dict, base: np.ndarray):
        self.__array_interface__ = interface
        self.base = base


def moved_empty(view: np.ndarray, address_of: np.ndarray, nbytes: int) -> np.ndarray:
    """The empty ``view`` starting ``nbytes`` past ``address_of``'s first element, where
    torch's empty view starts (its ``storage_offset()`` and ``data_ptr()``): NumPy leaves
    the data pointer of a slice of length 0 where it was (``x[2:2]`` starts at ``x[0]``).
    The empty view addresses no element, so any address is safe."""
    if on_meta(view):
        return view
    interface = dict(view.__array_interface__)
    interface["data"] = (address_of.__array_interface__["data"][0] + nbytes,
                         not view.flags.writeable)
    interface["strides"] = view.strides
    return np.asarray(_Interface(interface, view))


class Slice(Primitive):
    """out = a[start:start + length] along dim (a view);  grad_a = zeros with grad there."""

    node_name = "SliceBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, start, length, given=None):
        ctx.in_shape, ctx.args = a.shape, (dim, start, length)
        ctx.given = given  # the dim as given (-1 stays -1 in torch's _saved_dim)
        out = a[(slice(None),) * dim + (slice(start, start + length),)]
        if not length and start:  # (NumPy's start stays at a's)
            out = moved_empty(out, a, start * a.strides[dim])
        return out

    @staticmethod
    def backward(ctx, grad):
        return SliceBackward.apply(grad, in_shape=ctx.in_shape, args=ctx.args, given=ctx.given)


class SliceBackward(Primitive):
    """out = zeros of the input's shape with grad written into the slice (torch's
    slice_backward);  grad_grad = that slice of the incoming gradient."""

    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, in_shape, args, given=None):
        ctx.args, ctx.given = args, given
        dim, start, length = args
        out = np.zeros(in_shape, grad.dtype)
        out[(slice(None),) * dim + (slice(start, start + length),)] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        dim, start, length = ctx.args
        return narrow(grad, dim if ctx.given is None else ctx.given, start, length)


@numpy_names
def narrow(input, dim, start, length) -> Tensor:  # noqa: A002
    x = _check_tensor("narrow", input)
    if type(dim) is not int or type(start) is not int or type(length) is not int:
        dim, start, length = narrow_args(dim, start, length, x)
    shape = x._data.shape
    if not shape:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    # torch checks the length before it wraps the dim
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    given = dim
    dim = _wrap_dim(dim, len(shape))
    start = narrow_start(shape[dim], start, length)
    return make_view(Slice.apply(x, dim=dim, start=start, length=length, given=given), x)


def narrow_start(size: int, start: int, length: int) -> int:
    """narrow's ``start`` in [0, size], as torch checks it against a dim of ``size``: in
    [-size, size], and ``length`` (not negative) elements from it must fit."""
    if not -size <= start <= size:
        raise IndexError(
            f"start out of range (expected to be in range of [{-size}, {size}], but got {start})"
        )
    if start < 0:
        start += size
    if length < 0 or start > size - length:
        raise RuntimeError(
            f"start ({start}) + length ({length}) exceeds dimension size ({size})."
        )
    return start


class Select(Primitive):
    """out = a[index] along dim, without that dim (a view);  grad_a = zeros with grad
    written at index."""

    node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, index, given=None):
        ctx.in_shape, ctx.dim, ctx.index = a.shape, dim, index
        ctx.given = given  # (dim, index) as given: torch's _saved_dim, _saved_index
        # the Ellipsis keeps a 0-d result a view (a[i] of a 1-D array is a copied scalar)
        return a[(slice(None),) * dim + (index, Ellipsis)]

    @staticmethod
    def backward(ctx, grad):
        return SelectBackward.apply(grad, in_shape=ctx.in_shape, dim=ctx.dim, index=ctx.index,
                                    given=ctx.given)


class SelectBackward(Primitive):
    """out = zeros of the input's shape with grad written at index (torch's
    select_backward);  grad_grad = the incoming gradient selected at index."""

    node_name = "SelectBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, in_shape, dim, index, given=None):
        ctx.dim, ctx.index, ctx.given = dim, index, given
        out = np.zeros(in_shape, grad.dtype)
        out[(slice(None),) * dim + (index, Ellipsis)] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return select(grad, *(ctx.given or (ctx.dim, ctx.index)))


@numpy_names
def select(input, dim, index) -> Tensor:  # noqa: A002
    x = _check_tensor("select", input)
    if type(dim) is not int or type(index) is not int:
        dim, index = _int(dim, "select", "dim", 2), _int(index, "select", "index", 3)
    given = dim, index
    shape = x._data.shape
    if not shape:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    dim = _wrap_dim(dim, len(shape))
    size = shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(shape)} at "
            f"dimension {dim}"
        )
    return make_view(Select.apply(x, dim=dim, index=index % size, given=given), x)


def _diagonal_view(a: np.ndarray, offset: int, dim1: int, dim2: int) -> np.ndarray:
    """a[..., i, i + offset] with the diagonal as the last dim: a writeable view."""
    d = np.diagonal(a, offset, dim1, dim2)  # NumPy marks it read-only; torch's is not
    if a.flags.writeable:
        d.flags.writeable = True
    return d


class Diagonal(Primitive):
    """out = the diagonal a[..., i, i + offset] as the last dim (a view);  grad_a = zeros
    with grad on that diagonal."""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, a, *, offset, dim1, dim2, given=None):
        ctx.in_shape, ctx.args = a.shape, (offset, dim1, dim2)
        ctx.given = given  # (offset, dim1, dim2) as given: torch's _saved_* show them so
        out = _diagonal_view(a, offset, dim1, dim2)
        if not out.shape[-1] and offset:  # torch's empty diagonal starts where a does
            out = moved_empty(out, a, 0)
        return out

    @staticmethod
    def backward(ctx, grad):
        return DiagonalBackward.apply(grad, in_shape=ctx.in_shape, args=ctx.args,
                                      given=ctx.__dict__.get("given"))


class DiagonalCopy(Diagonal):
    """out = a copy of a matrix's diagonal (torch.diag of a 2-D tensor);  grad_a = zeros
    with grad on that diagonal."""

    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, a, *, offset, dim1, dim2):
        ctx.in_shape, ctx.args = a.shape, (offset, dim1, dim2)
        return np.diagonal(a, offset, dim1, dim2).copy()


class DiagonalBackward(Primitive):
    """out = zeros of the input's shape with grad written on the diagonal (torch's
    diagonal_backward);  grad_grad = the diagonal of the incoming gradient."""

    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, in_shape, args, given=None):
        ctx.args, ctx.given = args, given
        out = np.zeros(in_shape, grad.dtype)
        _diagonal_view(out, *args)[...] = grad
        return out

    @staticmethod
    def backward(ctx, grad):
        return diagonal(grad, *(ctx.given or ctx.args))


def _diagonal_args(x: Tensor, offset, dim1, dim2):
    ndim = x._data.ndim
    offset = _int(offset, "diagonal", "offset", 2)
    dim1, dim2 = _int(dim1, "diagonal", "dim1", 3), _int(dim2, "diagonal", "dim2", 4)
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return offset, d1, d2


def diagonal(input, offset=0, dim1=0, dim2=1) -> Tensor:  # noqa: A002
    x = _check_tensor("diagonal", input)
    given = (_int(offset, "diagonal", "offset", 2), _int(dim1, "diagonal", "dim1", 3),
             _int(dim2, "diagonal", "dim2", 4))
    offset, dim1, dim2 = _diagonal_args(x, offset, dim1, dim2)
    return make_view(Diagonal.apply(x, offset=offset, dim1=dim1, dim2=dim2, given=given), x)


def view_dtype(input, dtype) -> Tensor:  # noqa: A002
    """The same bytes read as another dtype (``x.view(torch.int32)``): a view that is not
    differentiable. With a different element size the last dim shrinks or grows."""
    x = input
    a = x._data
    new = _dtype.to_dtype(dtype).np
    old = a.dtype
    if new.itemsize != old.itemsize:
        what = (f"to view {_scalar_name(old)} as {_scalar_name(new)} (different element "
                "sizes)")
        strides = _element_strides(a)
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        if new.itemsize > old.itemsize:
            ratio = new.itemsize // old.itemsize
            if a.shape[-1] % ratio:
                raise RuntimeError(
                    f"self.size(-1) must be divisible by {ratio} {what}, but got {a.shape[-1]}"
                )
            if x.storage_offset() % ratio:
                raise RuntimeError(
                    f"self.storage_offset() must be divisible by {ratio} {what}, but got "
                    f"{x.storage_offset()}"
                )
        if strides[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if new.itemsize > old.itemsize:
            for i, s in enumerate(strides[:-1]):
                if s % ratio:
                    raise RuntimeError(
                        f"self.stride({i}) must be divisible by {ratio} {what}, but got {s}"
                    )
    return make_view(wrap(a.view(new)), x)


# ---------------------------------------------------------------------------------------
# triangles and diagonals


class Tril(Primitive):
    """out = a with the elements above diagonal k zeroed (last two dims);  grad_a = the
    same mask applied to grad."""

    node_name = "TrilBackward0"

    @staticmethod
    def forward(ctx, a, *, diagonal):
        ctx.diagonal = diagonal
        return _contiguous(np.tril(a, diagonal))  # (torch's result is C-ordered)

    @staticmethod
    def backward(ctx, grad):
        return tril(grad, ctx.diagonal)


class Triu(Primitive):
    """out = a with the elements below diagonal k zeroed (last two dims);  grad_a = the
    same mask applied to grad."""

    node_name = "TriuBackward0"

    @staticmethod
    def forward(ctx, a, *, diagonal):
        ctx.diagonal = diagonal
        return _contiguous(np.triu(a, diagonal))  # (torch's result is C-ordered)

    @staticmethod
    def backward(ctx, grad):
        return triu(grad, ctx.diagonal)


def _triangle(name: str, primitive, input, diagonal):  # noqa: A002
    x = _check_tensor(name, input)
    if x._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return primitive.apply(x, diagonal=_int(diagonal, name, "diagonal", 1))


def tril(input, diagonal=0, *, out=None) -> Tensor:  # noqa: A002
    return _out(_triangle("tril", Tril, input, diagonal), out, "tril", out_dtype_must_match)


def triu(input, diagonal=0, *, out=None) -> Tensor:  # noqa: A002
    return _out(_triangle("triu", Triu, input, diagonal), out, "triu", out_dtype_must_match)



class DiagEmbed(Primitive):
    """out = a square matrix with v on diagonal k, zeros elsewhere;  grad_v = diagonal k
    of grad."""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, v, *, offset):
        ctx.offset = offset
        return np.diag(v, offset)

    @staticmethod
    def backward(ctx, grad):
        return diagonal(grad, ctx.offset, 0, 1)


def diag(input, diagonal=0, *, out=None) -> Tensor:  # noqa: A002
    """1-D v: the square matrix with v on diagonal k. 2-D: a copy of its diagonal k."""
    result = _diag(input, diagonal)
    if isinstance(out, Tensor):
        # torch's diag writes out with diag_embed or diagonal_copy: a grad-requiring input
        # is no reason to refuse, an out requiring grad is
        inner = "aten::diag_embed" if input.ndim == 1 else "aten::diagonal_copy"
        refuse_autograd((), (out,), inner)
    return _out(result, out, "diag", out_dtype_must_match, grad_check="none")


def _diag(input, diagonal) -> Tensor:  # noqa: A002
    x = _check_tensor("diag", input)
    ndim = x._data.ndim
    offset = _int(diagonal, "diag", "diagonal", 2)
    if ndim == 1:
        return DiagEmbed.apply(x, offset=offset)
    if ndim == 2:
        return DiagonalCopy.apply(x, offset=offset, dim1=0, dim2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {ndim}D")

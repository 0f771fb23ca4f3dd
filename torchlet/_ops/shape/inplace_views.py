"""In-place view operations: t_, transpose_ (swapaxes_, swapdims_), squeeze_, unsqueeze_.

They change only the tensor's shape and strides: its array becomes the rearranged view of
the same memory. In the graph the tensor takes a new grad_fn, the out-of-place rule under
torch's in-place node name (``TBackward1``, ``TransposeBackward1``, ``SqueezeBackward3/4/5``,
``UnsqueezeBackward1``), so gradients flow back through the rearrangement. As torch, a leaf
that requires grad (or a view of one) refuses while grad mode is on; a view stays a view of
its base, whose values and history do not change.
"""

from __future__ import annotations

from torchlet._ops.shape.common import _check_tensor, _int, _tensor_strides, _unique_dims
from torchlet._ops.shape.views import Squeeze, T, Transpose, Unsqueeze
from torchlet._tensor import Tensor, _check_inplace_allowed, _wrap_dim, bump_version, wrap
from torchlet.autograd.grad_mode import GRAD_STATE


class TInplace(T):
    """t_(): out = self transposed (at most 2 dims);  grad = grad transposed."""

    node_name = "TBackward1"


class TransposeInplace(Transpose):
    """transpose_(): out = self with two dims swapped;  grad = grad swapped back."""

    node_name = "TransposeBackward1"


class SqueezeInplace(Squeeze):
    """squeeze_(): out = self without its size-1 dims;  grad = grad unsqueezed back."""

    node_name = "SqueezeBackward3"


class SqueezeDimInplace(Squeeze):
    """squeeze_(dim): out = self without dim if its size is 1;  grad = grad unsqueezed."""

    node_name = "SqueezeBackward4"


class SqueezeDimsInplace(Squeeze):
    """squeeze_(dims): out = self without the listed size-1 dims;  grad = grad unsqueezed."""

    node_name = "SqueezeBackward5"


class UnsqueezeInplace(Unsqueeze):
    """unsqueeze_(dim): out = self with a new size-1 dim;  grad = grad without it."""

    node_name = "UnsqueezeBackward1"


def _rearrange_inplace(self: Tensor, primitive, **params) -> Tensor:
    """Replace ``self``'s array by ``primitive``'s view of it; in the graph, ``self``
    takes the primitive's node (its old history becomes that node's input)."""
    if GRAD_STATE.enabled:
        _check_inplace_allowed(self)
    old = wrap(self._data, self._grad_fn, self._output_nr)
    old._requires_grad = self._requires_grad
    out = primitive.apply(old, **params)
    self._data = out._data
    if out._grad_fn is not None:
        self._grad_fn, self._output_nr = out._grad_fn, out._output_nr
    bump_version(self)
    if self._base is not None:  # a view whose grad_fn was just set: it is up to date
        self._view_version = self._vbox[0]
    return self


def t_(self: Tensor) -> Tensor:
    x = _check_tensor("t_", self)
    if x._data.ndim > 2:
        raise RuntimeError(
            f"t_() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D"
        )
    return _rearrange_inplace(x, TInplace)


def transpose_(self: Tensor, dim0, dim1) -> Tensor:
    x = _check_tensor("transpose_", self)
    ndim = x._data.ndim
    given_dim = (_int(dim0, "transpose_", "dim0", 1), _int(dim1, "transpose_", "dim1", 2))
    dim0, dim1 = _wrap_dim(given_dim[0], ndim), _wrap_dim(given_dim[1], ndim)
    return _rearrange_inplace(x, TransposeInplace, dim0=dim0, dim1=dim1, given_dim=given_dim)


swapaxes_ = swapdims_ = transpose_


def squeeze_(self: Tensor, dim=None) -> Tensor:
    x = _check_tensor("squeeze_", self)
    shape = x._data.shape
    ndim = len(shape)
    primitive: type[Squeeze]
    dims: range | tuple[int, ...]
    if dim is None:
        primitive, dims = SqueezeInplace, range(ndim)
    elif isinstance(dim, (tuple, list)):
        primitive, dims = SqueezeDimsInplace, _unique_dims(dim, ndim)
        dim = tuple(dim)
    else:
        dim = _int(dim, "squeeze_", "dim", 1)
        primitive, dims = SqueezeDimInplace, (_wrap_dim(dim, ndim),)
    kept = [i for i, s in enumerate(shape) if not (s == 1 and i in dims)]
    dropped = tuple(i for i, s in enumerate(shape) if s == 1 and i in dims)
    strides = _tensor_strides(x)
    return _rearrange_inplace(x, primitive, shape=tuple(shape[i] for i in kept),
                              strides=tuple(strides[i] for i in kept), dims=dropped,
                              given_dim=dim)


def unsqueeze_(self: Tensor, dim) -> Tensor:
    x = _check_tensor("unsqueeze_", self)
    shape = x._data.shape
    given_dim = _int(dim, "unsqueeze_", "dim", 1)
    dim = _wrap_dim(given_dim, len(shape) + 1)
    strides = _tensor_strides(x)
    new = shape[dim] * strides[dim] if dim < len(shape) else 1  # as unsqueeze()
    return _rearrange_inplace(x, UnsqueezeInplace, shape=shape[:dim] + (1,) + shape[dim:],
                              strides=strides[:dim] + (new,) + strides[dim:], dims=(dim,),
                              given_dim=given_dim)

"""torch.empty_permuted: an uninitialised tensor whose memory holds its dims in a given
order (``empty(size[layout]).permute(inverse of layout)``)."""

from __future__ import annotations

from torchlet._ops.shape.common import _ints
from torchlet._ops.shape.strided import empty_strided
from torchlet._tensor import Tensor

__all__ = ["empty_permuted"]


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False) -> Tensor:
    """A tensor of shape ``size`` laid out in memory as the dims ``physical_layout``, outer
    to inner: ``empty_permuted((2, 3, 5, 7), (0, 2, 3, 1))`` has strides (105, 1, 21, 3)
    (channels last). ``physical_layout`` is a permutation of range(len(size)) (negative
    dims are refused, RuntimeError)."""
    size = _ints(size, "empty_permuted", "size", 1)
    order = _ints(physical_layout, "empty_permuted", "physical_layout", 2)
    ndim = len(size)
    if len(order) != ndim:
        raise RuntimeError(
            "Number of dimensions in size does not match the length of the physical_layout; "
            f"i.e. len(size) = {ndim} is not equal to len(physical_layout) = {len(order)}")
    seen = set()
    for i, d in enumerate(order):
        if not 0 <= d < ndim:
            raise RuntimeError(
                f"Dimension out of range (expected to be between 0 and {ndim - 1}, but got {d} "
                f"at index {i}).  NB: negative dims not currently supported; file an issue if "
                "you want it.")
        if d in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(d)
    strides = [0] * ndim
    step = 1
    for d in reversed(order):  # the innermost dim of the layout gets stride 1
        strides[d] = step
        step *= max(size[d], 1)
    return empty_strided(size, strides, dtype=dtype, layout=layout, device=device,
                         requires_grad=requires_grad, pin_memory=pin_memory)

"""In-place operations on views, while autograd records (``y[0] += 1`` with ``y`` in a graph).

Writing into a view changes its base, so the base's history must change too. As torch
does, the base gets a ``CopySlices`` node (the old base with the view's window replaced by
the op's result) and the view becomes a window onto the new base (``AsStridedBackward0``).
A *window* is where the view's elements sit inside the base: an element offset, a shape
and element strides, measured in the base's C-contiguous layout.

The two primitives are each other's backward, so gradients of gradients work:
``CopySlices``: grad_base = grad with the window zeroed; grad_value = grad's window.
``AsStrided``: grad_base = zeros with the window set to grad.
"""

from __future__ import annotations

import numpy as np

from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive


def window_of(view: np.ndarray, base: np.ndarray):
    """The window of ``view`` inside the C-contiguous array ``base`` (None if unknown)."""
    if not base.flags.c_contiguous or not np.shares_memory(view, base):
        return None
    itemsize = base.itemsize
    start = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if start % itemsize or any(s % itemsize for s in view.strides):
        return None  # a view of another dtype (view(dtype)): not a window of elements
    return start // itemsize, view.shape, tuple(s // itemsize for s in view.strides)


def _window(array: np.ndarray, window) -> np.ndarray:
    """The window's elements as a (writeable) view of the C-contiguous ``array``."""
    offset, shape, strides = window
    flat = array.reshape(-1)
    itemsize = array.itemsize
    return np.lib.stride_tricks.as_strided(
        flat[offset:], shape, tuple(s * itemsize for s in strides)
    )


class CopySlices(Primitive):
    """out = base with its window replaced by value;
    grad_base = grad with the window zeroed,  grad_value = grad's window."""

    node_name = "torch::autograd::CopySlices"  # printed as CopySlices

    @staticmethod
    def forward(ctx, base, value, *, window):
        ctx.window = window
        ctx.value_shape = np.shape(value)
        out = np.array(base, order="C")
        _window(out, window)[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_base = grad_value = None
        if needs[0]:
            zeros = wrap(np.zeros(ctx.window[1], grad._data.dtype))
            grad_base = CopySlices.apply(grad, zeros, window=ctx.window)
        if needs[1]:
            grad_value = AsStrided.apply(grad, window=ctx.window)
        return grad_base, grad_value


class AsStrided(Primitive):
    """out = the window of base (a copy);  grad_base = zeros with the window set to grad."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, *, window):
        ctx.window = window
        ctx.base_shape = base.shape
        return _window(np.ascontiguousarray(base), window).copy()

    @staticmethod
    def backward(ctx, grad):
        zeros = wrap(np.zeros(ctx.base_shape, grad._data.dtype))
        return CopySlices.apply(zeros, grad, window=ctx.window)


def rebase_view_history(view: Tensor, base: Tensor, result: Tensor) -> None:
    """After ``result`` (the op applied to the view's old values) was written into ``view``:
    give ``base`` a CopySlices history and ``view`` a window of it."""
    window = window_of(view._data, base._data)
    if window is None:
        raise RuntimeError(
            "torchlet cannot record this in-place operation on a view (its base is not a "
            "C-contiguous tensor, or the view reinterprets its dtype); clone() the view first."
        )
    if result._data.dtype != base._data.dtype:
        result = result.to(base.dtype)
    new_base = CopySlices.apply(base, result, window=window)
    base._grad_fn, base._output_nr = new_base._grad_fn, 0
    new_view = AsStrided.apply(base, window=window)
    view._grad_fn, view._output_nr = new_view._grad_fn, 0

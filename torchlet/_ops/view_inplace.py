"""In-place operations on views, while autograd records (``y[0] += 1`` with ``y`` in a graph).

Writing into a view changes its base, so the base's history must change too. As torch
does, the base gets a ``CopySlices`` node (the old base with the view's window replaced by
the op's result) and the view becomes a window onto the new base (``AsStridedBackward0``).
The other views of that base learn of the change lazily, as in torch: each view keeps the
version of its base at which its grad_fn was made, and a view read with an older version
gets a new ``AsStridedBackward0`` over the base's current history (``refresh_view``).

A *window* is where the view's elements sit inside the base, in the base's C-order
(logical) layout: either ``(offset, shape, strides)`` in elements (the fast case: the base
is C-contiguous and the view's elements do not overlap), or an integer array, the flat
position in the base of each element of the view (any layout; overlapping views such as
``expand`` repeat a position).

The two primitives are each other's backward, so gradients of gradients work:
``CopySlices``: out = base with its window zeroed, then value added into the window (a
plain replacement when positions do not repeat); grad_base = grad with the window zeroed,
grad_value = grad's window.  ``AsStrided``: out = base's window; grad_base = zeros with
grad added into the window.
"""

from __future__ import annotations

import numpy as np

from torchlet._device import meta_array, on_meta
from torchlet._dtype import contiguous_format
from torchlet._ops.shape.common import contiguous_strides
from torchlet._ops.shape.strided import AsStridedView, empty_strided
from torchlet._tensor import IN_CUSTOM_FUNCTION, MULTI_OUTPUT_NODE, NO_GRAD_MODE, Tensor, wrap
from torchlet.autograd.function import (
    FREED,
    FREED_MESSAGE,
    BackwardCFunction,
    Node,
    Primitive,
    _edge,
)
from torchlet.autograd.grad_mode import GRAD_STATE, enable_grad

_as_strided = np.lib.stride_tricks.as_strided


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def window_of(view: np.ndarray, base: np.ndarray):
    """The window of ``view`` inside ``base`` (None if ``view`` is not made of whole
    elements of ``base``, e.g. a ``view(dtype)``)."""
    if on_meta(base):  # no memory to locate it in; a meta result needs only the shapes
        return 0, view.shape, (0,) * view.ndim
    itemsize = base.itemsize
    start = _address(view) - _address(base)
    if view.itemsize != itemsize or start % itemsize \
            or any(s % itemsize for s in view.strides + base.strides):
        return None
    if base.flags.c_contiguous and _no_overlap(view):
        return start // itemsize, view.shape, tuple(s // itemsize for s in view.strides)
    return _positions(view, base, start // itemsize)


def _no_overlap(view: np.ndarray) -> bool:
    """Whether no two elements of ``view`` share memory (a sufficient test: each stride,
    in increasing order, steps over everything the smaller ones reach)."""
    reach = 1
    for stride, size in sorted((abs(s), n) for s, n in zip(view.strides, view.shape)):
        if size > 1:
            if stride < reach:
                return False
            reach = stride * size
    return True


def _positions(view: np.ndarray, base: np.ndarray, start: int):
    """The flat C-order position in ``base`` of each element of ``view`` (``start``: the
    view's first element, in elements from the base's). Found by numbering the base's
    elements in a copy of its memory and reading that copy through the view's strides."""
    item = base.itemsize
    low = sum(min(0, (n - 1) * s // item) for n, s in zip(base.shape, base.strides))
    high = sum(max(0, (n - 1) * s // item) for n, s in zip(base.shape, base.strides))
    view_low = start + sum(min(0, (n - 1) * s // item) for n, s in zip(view.shape, view.strides))
    view_high = start + sum(max(0, (n - 1) * s // item) for n, s in zip(view.shape, view.strides))
    if view.size and (view_low < low or view_high > high):
        return None
    memory = np.full(high - low + 1, -1, np.intp)
    step = memory.itemsize
    numbered = _as_strided(memory[-low:], base.shape, tuple(s // item * step for s in base.strides))
    numbered[...] = np.arange(base.size).reshape(base.shape)
    positions = _as_strided(memory[start - low:], view.shape,
                            tuple(s // item * step for s in view.strides)).copy()
    if positions.size and positions.min() < 0:
        return None  # the view reads memory between the base's elements
    return positions


def _read(array: np.ndarray, window) -> np.ndarray:
    """A copy of the window's elements of ``array`` (any layout)."""
    if on_meta(array):
        return meta_array(window[1], array.dtype)
    if type(window) is np.ndarray:
        return np.ravel(array)[window]
    return _strided(np.ascontiguousarray(array), window).copy()


def _strided(array: np.ndarray, window) -> np.ndarray:
    """The strided window's elements as a (writeable) view of the C-contiguous ``array``."""
    offset, shape, strides = window
    itemsize = array.itemsize
    return _as_strided(array.reshape(-1)[offset:], shape, tuple(s * itemsize for s in strides))


class CopySlices(Primitive):
    """out = base with its window zeroed and value added into it;
    grad_base = grad with the window zeroed,  grad_value = grad's window."""

    node_name = "torch::autograd::CopySlices"  # printed as CopySlices

    @staticmethod
    def forward(ctx, base, value, *, window):
        ctx.window = window
        if on_meta(base):
            return meta_array(base.shape, base.dtype)
        out = np.array(base, order="C")
        if type(window) is np.ndarray:
            flat = out.reshape(-1)
            flat[window] = 0
            np.add.at(flat, window, np.broadcast_to(value, window.shape))
        else:
            _strided(out, window)[...] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        grad_base = grad_value = None
        if needs[0]:
            shape = ctx.window.shape if type(ctx.window) is np.ndarray else ctx.window[1]
            zeros = wrap(np.zeros(shape, grad._data.dtype))
            grad_base = CopySlices.apply(grad, zeros, window=ctx.window)
        if needs[1]:
            grad_value = AsStrided.apply(grad, window=ctx.window)
        return grad_base, grad_value


class AsStrided(Primitive):
    """out = the window of base (a copy);  grad_base = zeros with grad added into the window.
    A strided window is torch's as_strided of the (C-contiguous) base, kept as
    AsStridedView keeps it (``geometry``: its _saved_size, _saved_stride and
    _saved_storage_offset); under create_graph its gradient is then taken as torch's
    as_strided_backward takes it, so that the gradient's graph is torch's."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, *, window, geometry=None):
        ctx.window = window
        ctx.base_shape = base.shape
        if geometry is not None:  # (view_geometry's: any layout)
            base_shape, base_strides, shape, strides, offset = geometry
            ctx.geometry = (base.size, base_shape, base_strides, 0, shape, strides, offset)
        elif type(window) is not np.ndarray:
            offset, shape, strides = window
            ctx.geometry = (base.size, base.shape, contiguous_strides(base.shape), 0,
                            shape, strides, offset)
        return _read(base, window)

    @staticmethod
    def backward(ctx, grad):
        if GRAD_STATE.enabled and "geometry" in ctx.__dict__ and not on_meta(grad._data):
            return AsStridedView.backward(ctx, grad)
        zeros = wrap(np.zeros(ctx.base_shape, grad._data.dtype))
        return CopySlices.apply(zeros, grad, window=ctx.window)


class CloneOfOld(Primitive):
    """The clone of self's old values an in-place op saves for its backward (torch's
    ``original_self = self.clone()``): out = a, already a private copy (no second one);
    grad_a = grad."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return a

    @staticmethod
    def backward(ctx, grad):
        return grad


def _window_or_raise(view: Tensor, base: Tensor):
    window = window_of(view._data, base._data)
    if window is None:
        raise RuntimeError(
            "torchlet cannot record this in-place operation on a view (the view reinterprets "
            "its base's dtype); clone() the view first."
        )
    return window


class CopySlicesNode(Node):
    """torch's CopySlices node proper: the base's history after ``op_`` wrote into a view
    of it, with the op's own node ``fn`` inside (not in the graph). Its edges are the
    base's old one, then those of ``fn``'s other inputs (``y[:, 1].mul_(w[0])``: the base's
    and ``w[0]``'s), as torch links them.
    grad_base = grad with its window replaced by fn's gradient for the view's old values
    (``fn``'s input 0); grad_other_i = fn's gradient for its input i, fn run on grad's
    window. (The window is where the view sits in the base, so sending the view's
    gradient into the base's is what the view's own node would have done.)"""

    node_name = "torch::autograd::CopySlices"

    def __init__(self, base, fn, window, geometry):  # (base: Tensor, fn: its Node)
        self._init_node()
        base_edge = _edge(base)
        self._edges = [base_edge, *fn._edges[1:]]
        self._input_meta = [None if base_edge is None else (base._data.shape, base._data.dtype),
                            *fn._input_meta[1:]]
        self.needs_input_grad = [e is not None for e in self._edges]
        self._saved = ()  # (freed after backward: running it again is torch's error)
        self._fn = fn
        self._window = window
        # the base's shape and strides, the view's as_strided (worked out from a strided
        # window when needed)
        self._geometry = geometry
        self._base_shape = base._data.shape

    def _backward(self, grads):
        if self._saved is FREED:
            raise RuntimeError(FREED_MESSAGE)
        grad = grads[0]
        if GRAD_STATE.enabled and not on_meta(grad._data):
            # create_graph: the gradient's graph shows torch's steps (meta tensors have
            # no memory for as_strided to address: the plain way)
            geometry = self._geometry or strided_geometry(self._base_shape, self._window)
            return copy_slices_graph(grad, geometry, self._fn_backward)
        window = self._window
        grads_fn = self._fn._backward((AsStrided.apply(grad, window=window),))
        grad_base = None
        grad_view = grads_fn[0]
        if self.needs_input_grad[0]:
            if grad_view is None and not isinstance(self._fn, BackwardCFunction):
                shape = window.shape if type(window) is np.ndarray else window[1]
                grad_view = wrap(np.zeros(shape, grad._data.dtype))
            # (a custom Function's None there: torch sends the base no gradient at all)
            if grad_view is not None:
                grad_base = CopySlices.apply(grad, grad_view, window=window)
        return (grad_base, *grads_fn[1:])

    def _fn_backward(self, grad_slice):
        """fn's gradients for ``grad_slice`` (the view's), its input 0's never None for
        a built-in fn (a custom Function's None there: torch sends the base nothing)."""
        grads_fn = self._fn._backward((grad_slice,))
        if grads_fn[0] is None and not isinstance(self._fn, BackwardCFunction):
            zeros = wrap(np.zeros(grad_slice._data.shape, grad_slice._data.dtype))
            grads_fn = (zeros, *grads_fn[1:])
        return grads_fn


CopySlicesNode.__name__ = CopySlicesNode.__qualname__ = "CopySlices"  # (torch's type name)


def view_geometry(view: np.ndarray, base: np.ndarray):
    """What torch's CopySlices keeps of a view and its base: the base's shape and strides,
    the view's shape, strides and offset in the base's storage (in elements, as
    ``as_strided`` takes them)."""
    item = base.itemsize
    return (base.shape, tuple(s // item for s in base.strides), view.shape,
            tuple(s // item for s in view.strides), (_address(view) - _address(base)) // item)


def strided_geometry(base_shape, window):
    """view_geometry for a strided window (of a C-contiguous base)."""
    offset, shape, strides = window
    return base_shape, contiguous_strides(base_shape), shape, strides, offset


def copy_slices_graph(grad: Tensor, geometry, fn_backward):
    """torch's ``CopySlices::apply_impl`` step by step, for a gradient taken with
    create_graph, so that its graph shows torch's nodes: ``grad`` copied into a tensor laid
    out as the base (CopyBackwards), the view's window of it (AsStridedBackward0) cloned
    (CloneBackward0) for fn's backward, fn's gradient for the view's old values copied
    back into the window (CopySlices). Returns (grad_base, *fn's other gradients).
    ``fn_backward``: the gradients of the op that wrote into the view, for its output's
    gradient. (The first-order path computes the same numbers without the steps.)"""
    base_shape, base_strides, size, stride, offset = geometry
    result = empty_strided(base_shape, base_strides, dtype=grad.dtype, device=grad.device)
    result.copy_(grad)
    grad_slice = result.as_strided(size, stride, offset)
    grads_fn = fn_backward(grad_slice.clone(memory_format=contiguous_format))
    if grads_fn[0] is None:
        return (None, *grads_fn[1:])
    grad_slice.copy_(grads_fn[0])
    return (result, *grads_fn[1:])


def _is_op_of(result: Tensor, view: Tensor, base: Tensor) -> bool:
    """Whether ``result``'s node is the in-place op's own node, with the view's old values
    (the view's history, not yet rebased) as its input 0, as torch's CopySlices wraps it
    (a node that cast the result, or took another first input, keeps the plain CopySlices
    of ``base`` and ``result``)."""
    fn = result._grad_fn
    if fn is None or result._output_nr or fn._n_outputs != 1 or not fn._edges \
            or result._data.dtype != base._data.dtype or isinstance(fn, CopySlicesNode):
        return False
    if isinstance(fn, BackwardCFunction):
        return True  # torch takes a custom Function's input 0 as the view, whichever it was
    first = fn._edges[0]
    if view._grad_fn is None:
        return first is None
    return first is not None and first[0] is view._grad_fn and first[1] == view._output_nr


def rebase_view_history(view: Tensor, base: Tensor, result: Tensor) -> None:
    """After ``result`` (the op applied to the view's old values) was written into ``view``
    (whose grad_fn is still that of its old values): give ``base`` a CopySlices history and
    ``view`` a window of it."""
    window = _window_or_raise(view, base)
    old_base, old_base_nr = base._grad_fn, base._output_nr
    geometry = view_geometry(view._data, base._data) if type(window) is np.ndarray else None
    if _is_op_of(result, view, base):
        base._grad_fn, base._output_nr = CopySlicesNode(base, result._grad_fn, window, geometry), 0
    else:
        if result._data.dtype != base._data.dtype:
            result = result.to(base.dtype)
        new_base = CopySlices.apply(base, result, window=window)
        base._grad_fn, base._output_nr = new_base._grad_fn, 0
    move_retained_grad(old_base, old_base_nr, base)
    new_view = AsStrided.apply(base, window=window, geometry=geometry)
    old, old_nr = view._grad_fn, view._output_nr
    view._grad_fn, view._output_nr = new_view._grad_fn, 0
    move_retained_grad(old, old_nr, view)
    view._view_version = view._vbox[0]


def move_retained_grad(old_node, old_nr: int, tensor: Tensor) -> None:
    """retain_grad() follows ``tensor`` from output ``old_nr`` of ``old_node`` to its new
    grad_fn (its other hooks stay behind), as in torch."""
    retained = old_node is not None and old_node._hooks is not None \
        and old_node._hooks.retained.pop(old_nr, None)
    if retained and tensor._grad_fn is not None:
        tensor._grad_fn.hooks().retained[tensor._output_nr] = retained


def refresh_view(view: Tensor) -> None:
    """torch's lazy rebase (``VariableHooks::grad_fn``): ``view``'s base was changed in
    place since ``view``'s grad_fn was made, so its values now come from the base's current
    history: a new AsStridedBackward0 over the base. Views that may not be rebased raise
    torch's error instead. (Call when ``view._base`` is set and its version is stale.)"""
    base = view._base
    assert base is not None
    if view._view_kind is None:  # detach(): shares memory, but no history to follow
        view._view_version = view._vbox[0]
        return
    if view._grad_fn is None and not base.requires_grad:
        # nothing to follow; a later change that gives the base a history bumps the version
        view._view_version = view._vbox[0]
        return
    check_view_rebase(view, indirect=True)
    old, old_nr = view._grad_fn, view._output_nr
    with enable_grad():  # torch rebuilds the node whatever the grad mode
        window = _window_or_raise(view, base)
        geometry = view_geometry(view._data, base._data) if type(window) is np.ndarray else None
        view._grad_fn = AsStrided.apply(base, window=window, geometry=geometry)._grad_fn
    view._output_nr = 0
    move_retained_grad(old, old_nr, view)
    view._view_version = view._vbox[0]


def check_view_rebase(view: Tensor, indirect: bool) -> None:
    """torch's ``handle_view_on_rebase``: views made under no_grad, outputs of a function
    returning several views and views made inside a custom Function may not get a new
    history (``indirect``: the base or a sibling view was the one modified)."""
    kind = view._view_kind
    node = view._grad_fn
    if kind not in (NO_GRAD_MODE, MULTI_OUTPUT_NODE, IN_CUSTOM_FUNCTION):
        return
    modified = "its base or another view of its base has been" if indirect else "is being"
    if node is not None:
        name = node.name().rsplit("::", 1)[-1].removesuffix("Backward0").removesuffix("Backward")
    if kind == NO_GRAD_MODE or node is None:
        prefix = (f"Output {view._output_nr} of {name} is a view of a view which was created in"
                  if node is not None else "A view was created in")
        message = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        message = f"Output {view._output_nr} of {name} is a view and {modified} modified inplace."
    raise RuntimeError(message + _REASONS[kind])


_REASONS = {
    MULTI_OUTPUT_NODE: (
        " This view is the output of a function that returns multiple views. Such functions "
        "do not allow the output views to be modified inplace. You should replace the inplace "
        "operation by an out-of-place one."
    ),
    NO_GRAD_MODE: (
        " Given that this use case is ambiguous and error-prone, it is forbidden. You can "
        "clarify your code by moving both the view and the inplace either both inside the "
        "no_grad block (if you don't want the inplace to be tracked) or both outside (if you "
        "want the inplace to be tracked)."
    ),
    IN_CUSTOM_FUNCTION: (
        " This view was created inside a custom Function (or because an input was returned "
        "as-is) and the autograd logic to handle view+inplace would override the custom "
        "backward associated with the custom Function, leading to incorrect gradients. This "
        "behavior is forbidden. You can fix this by cloning the output of the custom Function."
    ),
}

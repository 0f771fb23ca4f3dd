"""torchlet.autograd.graph: the graph's public handles, as ``torch.autograd.graph``.

* ``Node`` is the class of every ``grad_fn`` (``isinstance(y.grad_fn, Node)``);
  ``GradientEdge`` / ``get_gradient_edge`` name the edge a tensor's gradient travels along.
* ``saved_tensors_hooks(pack_hook, unpack_hook)``: while active, every tensor an operation
  saves for backward is passed to ``pack_hook`` and what it returns is kept instead;
  ``unpack_hook`` turns that back into a tensor each time the backward reads it. Used to
  offload or compress activations, or to watch what a graph keeps alive.
  ``disable_saved_tensors_hooks(message)`` forbids them inside (RuntimeError(message));
  ``save_on_cpu()`` is the offloading pair torch ships (everything is on the CPU here, so
  it keeps the tensors as they are).
* ``register_multi_grad_hook(tensors, fn, mode=)``: ``fn`` runs once per backward pass,
  after the gradients of all those ``tensors`` that the pass reaches ("all") or at the
  first of them ("any").
* ``allow_mutation_on_saved_tensors()``: inside it, a tensor saved for backward may be
  changed in place; the backward still sees the values it had when it was saved.
* ``increment_version(tensor)`` bumps a tensor's version counter, as an in-place
  operation does (saved-tensor checks then fail as they would after one).

What is saved, and so what the pack hook sees, is what each torchlet operation's backward
reads: mostly torch's choice, but not always (``a * c`` with ``c`` not requiring grad saves
both here, only ``c`` in torch).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import NamedTuple

from torchlet.autograd import engine
from torchlet.autograd.function import (
    SAVED_TENSOR_HOOKS,
    Node,
    gradient_edge,
)

__all__ = [
    "GradientEdge", "Node", "allow_mutation_on_saved_tensors", "disable_saved_tensors_hooks",
    "get_gradient_edge",
    "increment_version", "register_multi_grad_hook", "save_on_cpu", "saved_tensors_hooks",
]


class GradientEdge(NamedTuple):
    """An edge of the graph: the node a gradient goes to and which of its inputs it is."""

    node: Node
    output_nr: int
    ownership_token: object = None


def get_gradient_edge(tensor) -> GradientEdge:
    """The edge along which ``tensor``'s gradient flows: (grad_fn, output_nr), or the
    AccumulateGrad node of a leaf that requires grad."""
    if not tensor.requires_grad:
        raise RuntimeError(
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
    return GradientEdge(*gradient_edge(tensor))


def increment_version(tensor) -> None:
    """Count a change of ``tensor``'s values made behind autograd's back."""
    tensors = tensor if isinstance(tensor, (list, tuple)) else (tensor,)
    for t in tensors:
        t._vbox[0] += 1


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Context manager: ``pack_hook(tensor)`` for every tensor saved for backward inside
    it, ``unpack_hook(packed) -> Tensor`` when the backward reads it. Nested contexts: the
    innermost pair applies."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        message = SAVED_TENSOR_HOOKS.disabled_message
        if message is not None:
            raise RuntimeError(message)
        SAVED_TENSOR_HOOKS.stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc_info):
        SAVED_TENSOR_HOOKS.stack.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """Offload saved tensors to CPU memory: torchlet's tensors are all there already, so
    the pack hook keeps each tensor and the unpack hook returns it."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        super().__init__(_keep, _keep)


def _keep(tensor):
    return tensor


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside, setting saved-tensor hooks raises RuntimeError(error_message); entering it
    while hooks are set raises the same."""
    previous = SAVED_TENSOR_HOOKS.disabled_message
    if SAVED_TENSOR_HOOKS.stack:
        raise RuntimeError(error_message)
    SAVED_TENSOR_HOOKS.disabled_message = error_message
    try:
        yield
    finally:
        SAVED_TENSOR_HOOKS.disabled_message = previous


class _MultiHandle:
    """Removes the hook from every tensor (what register_multi_grad_hook returns)."""

    def __init__(self, handles):
        self.handles = handles

    def remove(self):
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """``fn`` runs once per backward pass over ``tensors``' gradients.

    mode="all": after the gradients of every tensor this pass reaches are computed, as
    ``fn(grads)`` (a list in the order of ``tensors``, None for the tensors the pass does
    not reach). mode="any": at the first of them, as ``fn(grad)``.
    """
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    lock = threading.Lock()
    if mode == "any":
        last_pass = [None]  # the id of the pass that already ran fn

        def on_any(grad):
            task_id = engine.current_task().id
            with lock:
                if last_pass[0] == task_id:
                    return
                last_pass[0] = task_id
            fn(grad)

        # (as torch, a tensor that does not require grad is skipped: no gradient comes)
        return _MultiHandle(tuple(t.register_hook(on_any) for t in tensors
                                  if t.requires_grad))

    for t in tensors:
        if not t.requires_grad:
            raise AssertionError("Expected gradient function to be set")
    nodes = [gradient_edge(t)[0] for t in tensors]
    pending: dict[int, list] = {}  # task id -> [gradients so far, how many still to come]

    def inner(index):
        def on_grad(grad):
            task = engine.current_task()
            with lock:
                state = pending.get(task.id)
                if state is None:
                    expected = sum(task.will_execute(node) for node in nodes)
                    state = pending[task.id] = [[None] * len(tensors), expected]
                state[0][index] = grad
                state[1] -= 1
                complete = state[1] == 0
                if complete:
                    del pending[task.id]
            if complete:
                fn(state[0])

        return on_grad

    return _MultiHandle(tuple(t.register_hook(inner(i)) for i, t in enumerate(tensors)))


# allow_mutation_on_saved_tensors. torch clones a saved tensor just before an in-place
# operation writes to it (a dispatch mode sees every write). torchlet has no such hook
# before a write, only the version counter after it, so the pack hook keeps a copy of
# each saved tensor's values at once, and the unpack hook hands out the tensor itself
# while its version is the one saved, the copy once it has changed: the same values
# torch's backward reads, for the price of the copies while the graph lives.

_MUTATION_CONTEXT_ACTIVE = False
_OUTSIDE_MESSAGE = (
    "Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
    "in which the graph was originally recorded."  # (sic: torch's message has no space)
)


class _Handle:
    """What the graph keeps for a saved tensor (its entries below live as long as it)."""


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` context (what it yields):
    ``original[handle]`` the saved tensor, ``copies[handle]`` (its version when saved,
    a clone of it then). The same tensor saved again at the same version shares one
    handle (``tid_to_weakhandle``: (id, version) -> handle). Cleared on exit."""

    def __init__(self):
        self.original = weakref.WeakKeyDictionary()
        self.copies = weakref.WeakKeyDictionary()
        self.tid_to_weakhandle = weakref.WeakValueDictionary()

    def clear(self):
        self.original.clear()
        self.copies.clear()
        self.tid_to_weakhandle.clear()


class _swap_with_cloned(saved_tensors_hooks):  # noqa: N801 - torch's name
    """The saved-tensor hooks of an ``allow_mutation_on_saved_tensors`` context."""

    def __init__(self, ctx: _AllowMutationOnSavedContext):
        def pack_hook(tensor):
            tid = (id(tensor), tensor._vbox[0])
            handle = ctx.tid_to_weakhandle.get(tid)
            if handle is None:  # (while a handle lives, so does its tensor: ids differ)
                handle = ctx.tid_to_weakhandle[tid] = _Handle()
                ctx.original[handle] = tensor
                ctx.copies[handle] = (tensor._vbox[0], tensor.clone())  # (grad is off)
            return handle

        def unpack_hook(handle):
            if not _MUTATION_CONTEXT_ACTIVE or handle not in ctx.original:
                raise AssertionError(_OUTSIDE_MESSAGE)
            tensor = ctx.original[handle]
            version, copy = ctx.copies[handle]
            return tensor if tensor._vbox[0] == version else copy

        super().__init__(pack_hook, unpack_hook)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager under which a tensor saved for backward may be modified in place:
    the backward uses its values from when it was saved instead of raising. Run both the
    forward and the backward inside it (a backward after it raises AssertionError);
    contexts cannot be nested (RuntimeError). Yields the context's state."""
    global _MUTATION_CONTEXT_ACTIVE
    ctx = _AllowMutationOnSavedContext()
    with _swap_with_cloned(ctx):
        try:
            if _MUTATION_CONTEXT_ACTIVE:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _MUTATION_CONTEXT_ACTIVE = True
            yield ctx
        finally:  # (as torch: a refused nested context ends the outer one's too)
            ctx.clear()
            _MUTATION_CONTEXT_ACTIVE = False

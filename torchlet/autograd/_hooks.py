"""The hooks the backward engine runs around a node, and torch's checks on what they return.

Before a node runs: the hooks of the tensors whose gradients it receives (a leaf keeps its
own), ``retain_grad``, then the node's pre-hooks; each may replace the gradients. After
it runs: its post-hooks, ``hook(grad_inputs, grad_outputs)``, which may replace the
gradients it computed. A replacement must look like what it replaces.
"""

from __future__ import annotations

from torchlet._dtype import contiguous_format, type_name
from torchlet.autograd.function import AccumulateGrad


def call_post_hooks(hooks, grad_inputs, grad_outputs):
    """``hook(grad_inputs, grad_outputs)`` (tuples) after a node ran, in registration
    order; a tuple a hook returns replaces ``grad_inputs`` for what follows."""
    grad_inputs, grad_outputs = tuple(grad_inputs), tuple(grad_outputs)
    for hook in tuple(hooks.post.values()):  # (see call_pre_hooks)
        result = hook(grad_inputs, grad_outputs)
        if result is not None:
            grad_inputs = _checked_tuple(hook, grad_inputs, result)
    return grad_inputs


def _checked_tuple(hook, originals, result):
    """torch's checks on the tuple a node hook returns: as many values as it was given,
    each None (no gradient) or a gradient like the one it replaces."""
    if type(result) is not tuple:
        raise TypeError(f"expected tuple, but hook returned '{type_name(result)}'")
    if len(result) != len(originals):
        raise RuntimeError(
            f"hook '{_hook_name(hook)}' has returned an incorrect number of values "
            f"(got {len(result)}, but expected {len(originals)})"
        )
    return tuple(
        None if new is None else _checked_grad(hook, old, new)
        for old, new in zip(originals, result)
    )


def _checked_grad(hook, original, result):
    """torch's checks on a gradient a hook returns in place of ``original``."""
    from torchlet._tensor import Tensor

    if original is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(result, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type_name(result)}'")
    if result._data.dtype != original._data.dtype:
        raise RuntimeError(
            f"hook '{_hook_name(hook)}' has changed the type of value (was "
            f"{original.type()} got {result.type()})"
        )
    if result._data.shape != original._data.shape:
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
    return result


def _hook_name(hook) -> str:
    return getattr(hook, "__name__", "<unknown>")


def call_pre_hooks(node, grads, node_hooks=True):
    """Tensor hooks, retain_grad and (unless not ``node_hooks``) node pre-hooks, before
    the node runs.

    As torch, each kind of hook is run from a snapshot of its registered hooks: a hook
    removed by an earlier one still runs in this pass, one added does not yet. A tensor
    hook is called with None when no gradient arrived for its tensor (an unused output
    of a node that runs, a None from a custom backward), and may return only None then."""
    if type(node) is AccumulateGrad:
        variable = node._variable()
        hooks = variable._hooks if variable is not None else None  # a leaf keeps its hooks
        if hooks:
            for hook in tuple(hooks.values()):
                result = hook(grads[0])
                if result is not None:
                    grads[0] = _checked_grad(hook, grads[0], result)
        if node._hooks is None:
            return grads
    extra = node._hooks
    for nr, hooks in extra.tensor.items():
        for hook in tuple(hooks.values()):
            result = hook(grads[nr])
            if result is not None:
                grads[nr] = _checked_grad(hook, grads[nr], result)
    for nr, ref in extra.retained.items():
        tensor = ref()
        if tensor is not None and grads[nr] is not None and tensor._grad_fn is node:
            # as torch's retain_grad hook: the first gradient is stored as a contiguous
            # copy whatever its layout; later ones are added to it
            tensor._grad = (grads[nr].clone(memory_format=contiguous_format)
                            if tensor._grad is None else tensor._grad + grads[nr])
    if not node_hooks:
        return grads
    for hook in tuple(extra.pre.values()):
        result = hook(tuple(grads))
        if result is not None:
            grads = list(_checked_tuple(hook, grads, result))
    return grads

"""torchlet.utils: as ``torch.utils`` (``torchlet.utils.data`` holds datasets and loaders)."""

import copyreg
import gc
import sys
import weakref

from torchlet.utils import benchmark, data, deterministic, hooks

__all__ = ["benchmark", "data", "deterministic", "hooks", "swap_tensors"]


def swap_tensors(t1, t2) -> None:
    """Swap the whole content of two tensors, each object keeping its identity (torch's
    ``torch.utils.swap_tensors``): class, ``__dict__``, slots, and the tensor itself (its
    array, ``grad``, ``requires_grad``, history, version counter, hooks).

    torch refuses, in this order: a tensor that has a weakref; two classes with other
    slots; a tensor something else still holds (its C++ use count): here a live view of it.
    A leaf whose AccumulateGrad node a live graph still holds is swapped, and that node is
    poisoned: a backward through the old graph raises (the leaf gets a fresh node, which
    keeps its post-accumulate hooks)."""
    if _user_weakrefs(t1):
        raise RuntimeError("Cannot swap t1 because it has weakref associated with it")
    if _user_weakrefs(t2):
        raise RuntimeError("Cannot swap t2 because it has weakref associated with it")
    t1_slots = set(copyreg._slotnames(t1.__class__))  # type: ignore[attr-defined]
    t2_slots = set(copyreg._slotnames(t2.__class__))  # type: ignore[attr-defined]
    if t1_slots != t2_slots:
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    _check_use_count(t1, "t1")
    _check_use_count(t2, "t2")

    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    t1.__dict__, t2.__dict__ = t2.__dict__, t1.__dict__
    for slot in t1_slots:  # (the tensor's own fields are slots too: its whole content)
        if hasattr(t1, slot) and hasattr(t2, slot):
            value = getattr(t1, slot)
            setattr(t1, slot, getattr(t2, slot))
            setattr(t2, slot, value)
        elif hasattr(t1, slot):
            setattr(t2, slot, getattr(t1, slot))
            delattr(t1, slot)
        elif hasattr(t2, slot):
            setattr(t1, slot, getattr(t2, slot))
            delattr(t2, slot)
    for t in (t1, t2):  # an AccumulateGrad node follows its leaf's content (torch's impl)
        node = getattr(t, "_accumulator", None)
        if node is not None:
            node._variable = weakref.ref(t)


_POISONED = ("Trying to execute AccumulateGrad node that was poisoned by swap_tensors this "
             "can happen when you try to run backward on a tensor that was swapped. For a "
             "module m with `torch.__future__.set_swap_module_params_on_conversion(True)` you "
             "should not change the device or dtype of the module (e.g. `m.cpu()` or "
             "`m.half()`) between running forward and backward. To resolve this, please only "
             "change the device/dtype before running forward (or after both forward and "
             "backward).")


def _user_weakrefs(t) -> list:
    """The weakrefs to ``t`` but torchlet's own (its AccumulateGrad's, retain_grad's),
    which stand for references torch keeps in C++."""
    own = set()
    node = getattr(t, "_accumulator", None)
    if node is not None:
        own.add(id(node._variable))
    grad_fn = getattr(t, "_grad_fn", None)
    if grad_fn is not None and grad_fn._hooks is not None:
        retained = grad_fn._hooks.retained.get(t._output_nr)
        if retained is not None:
            own.add(id(retained))
    return [r for r in weakref.getweakrefs(t) if id(r) not in own]


_COUNTS_REFERENCES = sys.version_info < (3, 14)


def _check_use_count(t, name: str) -> None:
    """torch's ``check_use_count``: besides ``t`` itself, its tensor may be held only by
    the AccumulateGrad node of a live graph (which gets poisoned). Here the holders are
    the live views of ``t`` and that node."""
    from torchlet._tensor import Tensor
    from torchlet.autograd.function import AccumulateGrad

    views = 0
    # a view shares its base's version counter (_vbox): where nothing else holds it (the
    # tensor's slot and getrefcount's argument), there is no view, and no need for the
    # heap scan (~20 ms a tensor). From Python 3.14 references may be borrowed: always scan.
    if not (_COUNTS_REFERENCES and sys.getrefcount(t._vbox) <= 2):
        views = sum(1 for r in gc.get_referrers(t) if isinstance(r, Tensor) and r._base is t)
    node = getattr(t, "_accumulator", None)
    # (a node held only by its leaf: the slot, the local name and getrefcount's argument)
    in_graph = node is not None and sys.getrefcount(node) > 3
    use_count = 1 + views + in_graph
    if use_count == 1:
        return
    if use_count == 2 and t.is_leaf:
        if not t.requires_grad:
            raise RuntimeError("It is not possible to get the gradient edge for a Tensor that "
                               "does not require gradients")
        if node is not None and in_graph:
            node.register_prehook(_poison)
            fresh = t._accumulator = AccumulateGrad(t)
            if node._hooks is not None:  # (torch keeps these on the tensor, not the node)
                fresh.hooks().post_accumulate = node._hooks.post_accumulate
            return
    raise RuntimeError(f"Expected use_count of {name} to be 1 or 2 with an AccumulateGrad node "
                       f"but got {use_count} make sure you are not holding references to the "
                       f"tensor in other places.")


def _poison(grad_outputs):
    raise RuntimeError(_POISONED)

"""torchlet.utils.hooks: as ``torch.utils.hooks``, the handle every ``register_*_hook`` returns.

Used by nn.Module's hooks (torchlet/nn/modules/_hooks.py) and by the optimizer's hooks
(torchlet/optim/optimizer.py).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """What ``register_*_hook`` returns: ``handle.remove()`` unregisters the hook.

    As torch.utils.hooks.RemovableHandle: each handle has a unique ``id``, the key of its
    hook in the (ordered) dict of hooks; ``extra_dict`` lists dicts that hold per-hook flags
    (``with_kwargs``, ``always_call``) to clean up too. Also a context manager.
    The dicts are held weakly, so a handle does not keep a dead module's hooks alive
    (the dicts must support weak references: an ``OrderedDict`` does, a plain ``dict`` not).
    """

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dict_ref: tuple[weakref.ReferenceType, ...] = ()
        if isinstance(extra_dict, dict):
            self.extra_dict_ref = (weakref.ref(extra_dict),)
        elif isinstance(extra_dict, list):
            self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self) -> None:
        hooks_dict = self.hooks_dict_ref()
        if hooks_dict is not None and self.id in hooks_dict:
            del hooks_dict[self.id]
        for ref in self.extra_dict_ref:
            extra = ref()
            if extra is not None and self.id in extra:
                del extra[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(ref() for ref in self.extra_dict_ref))

    def __setstate__(self, state) -> None:
        self.hooks_dict_ref = weakref.ref(OrderedDict() if state[0] is None else state[0])
        self.id = state[1]
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extra = state[2] if len(state) > 2 else None
        self.extra_dict_ref = () if extra is None else tuple(weakref.ref(d) for d in extra)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

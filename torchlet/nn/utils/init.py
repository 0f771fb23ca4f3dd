"""skip_init: build a module without running its parameter initialization."""

from __future__ import annotations

import inspect

from torchlet.nn.modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with uninitialized (empty) parameters and buffers.

    torch constructs the module on the "meta" device (no memory, no random draws) and
    then allocates empty storage. torchlet has no meta device, so it builds the module
    normally, restores the random generator's state (the draws of the initializers leave
    no trace, as in torch) and replaces every tensor by an empty one.
    """
    import torchlet

    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    rng_state = torchlet.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        torchlet.set_rng_state(rng_state)
    return module.to_empty(device=final_device)

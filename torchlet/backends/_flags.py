"""Settable backend flags that check their values as torch's C++ setters do.

``torch.backends.cudnn.deterministic = True`` must read back True, and ``= 1`` must fail
with torch's RuntimeError. A plain module global cannot check what is assigned to it, so
each flag module gives itself a ``types.ModuleType`` subclass holding ``BoolFlag``
descriptors (``sys.modules[__name__].__class__ = ...``, the way Python documents for
module properties).
"""

from __future__ import annotations

import types

from torchlet._dtype import type_name


class BoolFlag:
    """A module attribute that accepts only a bool; ``setter`` names torch's C++ setter,
    which torch's error message quotes."""

    def __init__(self, setter: str, default: bool):
        self.setter = setter
        self.value = default

    def __get__(self, module, owner=None):
        return self if module is None else self.value

    def __set__(self, module, value):
        if type(value) is not bool:
            raise RuntimeError(f"{self.setter} expects a bool, but got {type_name(value)}")
        self.value = value


class FlagModule(types.ModuleType):
    """Base of the module classes that hold BoolFlag descriptors."""

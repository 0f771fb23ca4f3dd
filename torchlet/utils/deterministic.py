"""torchlet.utils.deterministic: as ``torch.utils.deterministic``, one switch.

``fill_uninitialized_memory`` (default True): whether ``use_deterministic_algorithms(True)``
fills the memory ``torch.empty`` and its kin hand out (NaN, or the largest integer). It is
a property of the module, read and checked as torch's is (a non-bool is a RuntimeError);
the value lives in ``torchlet._runtime.SETTINGS``.
"""

from __future__ import annotations

import sys
import types

from torchlet import _runtime


class _Deterministic(types.ModuleType):
    """The module's class: a plain module attribute could not check what is assigned,
    so this module, as torch's, swaps its class for one with a property."""

    @property
    def fill_uninitialized_memory(self) -> bool:
        """Whether to fill uninitialized memory with a known value when
        ``torch.use_deterministic_algorithms()`` is set to ``True``."""
        return _runtime.get_deterministic_fill_uninitialized_memory()

    @fill_uninitialized_memory.setter
    def fill_uninitialized_memory(self, mode: bool) -> None:
        _runtime.set_deterministic_fill_uninitialized_memory(mode)


sys.modules[__name__].__class__ = _Deterministic

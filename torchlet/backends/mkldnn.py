"""torchlet.backends.mkldnn: oneDNN (MKL-DNN) switches.

torch's CPU build links oneDNN and answers ``is_available()`` True; torchlet computes with
NumPy only and links no oneDNN, so it answers False. The ``enabled`` (default True) and
``deterministic`` (default False) flags are kept, settable and type-checked as in torch,
and change nothing here.
"""

from __future__ import annotations

import sys

from torchlet.backends._flags import BoolFlag, FlagModule

__all__ = ["is_available"]


def is_available() -> bool:
    return False


class _MkldnnModule(FlagModule):
    enabled = BoolFlag("set_enabled_mkldnn", True)
    deterministic = BoolFlag("set_deterministic_mkldnn", False)


sys.modules[__name__].__class__ = _MkldnnModule

"""The layers of torchlet.nn, one file per kind (as torch.nn.modules).

Adding a kind of layer: write ``modules/<kind>.py`` and add one import line below (and
its names to ``torchlet/nn/__init__.py``).
"""

from torchlet.nn.modules.container import (
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
)
from torchlet.nn.modules.flatten import Flatten, Unflatten
from torchlet.nn.modules.lazy import LazyModuleMixin
from torchlet.nn.modules.linear import Bilinear, Identity, LazyLinear, Linear
from torchlet.nn.modules.module import Module

__all__ = [
    "Bilinear", "Flatten", "Identity", "LazyLinear", "LazyModuleMixin", "Linear", "Module",
    "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential", "Unflatten",
]

"""torchlet.nn: neural-network layers, parameters, initialisation, as torch.nn.

``import torchlet.nn as nn``: ``nn.Module``, ``nn.Linear``, ``nn.Sequential``, ...;
``nn.functional`` (``F``) holds the functions behind the layers, ``nn.init`` the
initialisers, ``nn.utils`` gradient clipping.

Adding a kind of layer: one import line in ``modules/__init__.py`` and its names here.
"""

from torchlet.nn import functional, init, utils
from torchlet.nn.modules import (
    Bilinear,
    Flatten,
    Identity,
    LazyLinear,
    Linear,
    Module,
    ModuleDict,
    ModuleList,
    ParameterDict,
    ParameterList,
    Sequential,
    Unflatten,
)
from torchlet.nn.parameter import (
    Buffer,
    Parameter,
    UninitializedBuffer,
    UninitializedParameter,
)

__all__ = [
    # submodules
    "functional", "init", "utils",
    # parameters
    "Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter",
    # containers and the base class
    "Module", "ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential",
    # layers
    "Bilinear", "Flatten", "Identity", "LazyLinear", "Linear", "Unflatten",
]

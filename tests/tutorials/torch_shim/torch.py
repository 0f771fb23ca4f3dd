"""``import torch`` that imports torchlet: put this folder first on ``sys.path``.

``sys.modules["torch"]`` becomes torchlet itself, and a finder maps every ``torch.X`` to the
already-imported ``torchlet.X``, so ``torch.nn.Linear is torchlet.nn.Linear`` and no torchlet
module is ever loaded twice under a second name.
"""

import importlib
import importlib.abc
import importlib.util
import sys

import torchlet


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # already executed under its torchlet name


class _TorchToTorchlet(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("torch."):
            return None
        real = "torchlet." + fullname[len("torch."):]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


sys.meta_path.insert(0, _TorchToTorchlet())
sys.modules["torch"] = torchlet

"""nn.Container: torch's old container class, kept for old code (torch.nn.Container)."""

from __future__ import annotations

from torchlet.nn.modules.module import Module

__all__ = ["Container"]


class Container(Module):
    """A Module whose keyword arguments become its submodules, in the given order:
    ``Container(fc=nn.Linear(2, 3))`` has ``self.fc``. (Subclass Module instead.)"""

    def __init__(self, **kwargs) -> None:
        super().__init__()
        for key, value in kwargs.items():
            self.add_module(key, value)

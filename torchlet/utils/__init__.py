"""torchlet.utils: as ``torch.utils`` (``torchlet.utils.data`` holds datasets and loaders)."""

from torchlet.utils import data, hooks

__all__ = ["data", "hooks"]

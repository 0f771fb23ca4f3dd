"""torchlet.utils: as ``torch.utils`` (``torchlet.utils.data`` holds datasets and loaders)."""

from torchlet.utils import benchmark, data, deterministic, hooks

__all__ = ["benchmark", "data", "deterministic", "hooks"]

"""torch.utils.data._utils: the DataLoader's helper modules (here: ``collate``)."""

from torchlet.utils.data._utils import collate

__all__ = ["collate"]

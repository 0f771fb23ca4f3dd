"""torchlet.utils.data: datasets, samplers and the DataLoader, as ``torch.utils.data``."""

from torchlet.utils.data import _utils  # torch.utils.data._utils.collate, as in torch
from torchlet.utils.data._collate import default_collate, default_convert
from torchlet.utils.data.dataloader import DataLoader, _DatasetKind, get_worker_info
from torchlet.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from torchlet.utils.data.distributed import DistributedSampler
from torchlet.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "_DatasetKind",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]

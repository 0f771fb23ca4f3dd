"""torch.nn.parallel on a machine without GPUs.

* ``DataParallel`` finds no device to replicate to, so (as torch's does then) it holds the
  module under ``.module`` with ``device_ids == []`` and its forward just calls the module.
* ``DistributedDataParallel`` needs an initialised process group, which torchlet never has:
  constructing one raises torch's error for that.
"""

from torchlet import distributed
from torchlet.nn.modules.module import Module

__all__ = ["DataParallel", "DistributedDataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0) -> None:
        super().__init__()
        self.module = module
        self.device_ids: list[int] = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


class DistributedDataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=None, init_sync=True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters=False, **kwargs) -> None:
        if process_group is None:
            distributed.get_world_size()  # raises: the default group is never initialised
        raise RuntimeError("torchlet does not implement DistributedDataParallel")

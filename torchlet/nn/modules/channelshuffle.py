"""ChannelShuffle: interleave the channels of ``groups`` groups (ShuffleNet), as torch.nn."""

from __future__ import annotations

from torchlet.nn import functional as F
from torchlet.nn.modules.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """(N, C, *) -> (N, C, *) with the channels regrouped (N, g, C/g, *) -> (N, C/g, g, *):
    ``ChannelShuffle(groups)``."""

    __constants__ = ["groups"]

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input):  # noqa: A002 - torch's argument name
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"

"""torch.device: torchlet computes on the CPU only, but accepts device arguments."""

from __future__ import annotations


class device:  # noqa: N801 - torch's name
    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device):
            type, index = type.type, type.index
        text = str(type)
        if ":" in text:
            text, number = text.split(":", 1)
            index = int(number)
        if text not in ("cpu", "cuda", "mps", "meta"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, "
                f"fpga, maia, xla, lazy, vulkan, mps, meta, hpu, mtia, privateuseone device "
                f"type at start of device string: {text}"
            )
        self.type = text
        self.index = index

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        """Equal to another device of the same type and index; never to a string
        (``torch.device('cpu') == 'cpu'`` is False in torch, and ``!=`` is True)."""
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        """torch's ``std::hash<c10::Device>``: the type's number in the high bits, the index
        as a uint8 (no index = -1 = 255) in the low byte; cpu -> 255, cuda:1 -> 65537."""
        index = 255 if self.index is None else self.index & 0xFF
        return (_TYPE_NUMBERS[self.type] << 16) | index

    def _no_order(self, other):
        """Devices have no order: torch raises TypeError for ``<`` between two devices."""
        if isinstance(other, device):
            raise TypeError("comparison not implemented")
        return NotImplemented

    __lt__ = __le__ = __gt__ = __ge__ = _no_order


# c10::DeviceType's numbers, used by the hash
_TYPE_NUMBERS = {"cpu": 0, "cuda": 1, "mps": 13, "meta": 14}


CPU = device("cpu")


def check_cpu(where) -> None:
    """Refuse a non-CPU device with the error PyTorch gives on a machine without one."""
    if where is None:
        return
    kind = device(where).type
    if kind == "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    if kind != "cpu":
        raise RuntimeError(f"PyTorch is not linked with support for {kind} devices")

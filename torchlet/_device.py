"""torch.device: torchlet computes on the CPU only, but accepts device arguments."""

from __future__ import annotations

import operator

_NO_TYPE = object()  # (torch.device() with no type is an error)


class device:  # noqa: N801 - torch's name
    __slots__ = ("type", "index")

    def __init__(self, type=_NO_TYPE, index=None):  # noqa: A002 - torch's argument name
        if isinstance(type, device) and index is None:
            type, index = type.type, type.index
        elif isinstance(type, str):
            type, index = _parse(type, index)
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            _check_index(type)  # an int is an accelerator's index, and there is none
            raise RuntimeError("Cannot access accelerator device when none is available.")
        else:
            raise _bad_arguments(type, index)
        self.type = type
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


# c10::DeviceType's numbers (used by the hash), in the order torch lists the names
_TYPE_NUMBERS = {"cpu": 0, "cuda": 1, "ipu": 18, "xpu": 12, "mkldnn": 2, "opengl": 3,
                 "opencl": 4, "ideep": 5, "hip": 6, "ve": 16, "fpga": 7, "maia": 8, "xla": 9,
                 "lazy": 17, "vulkan": 10, "mps": 13, "meta": 14, "hpu": 15, "mtia": 19,
                 "privateuseone": 20}


def _parse(text: str, index):
    """c10's device string ``type[:index]``: a type of letters and '_', an index of digits
    without a leading zero; anything else is an "Invalid device string"."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    name, colon, number = text.partition(":")
    valid = (name and all(c.isascii() and (c.isalpha() or c == "_") for c in name)
             and (not colon or (number.isascii() and number.isdigit()
                                and (number == "0" or number[0] != "0"))))
    if not valid:
        raise RuntimeError(f"Invalid device string: '{text}'")
    if name not in _TYPE_NUMBERS:
        raise RuntimeError(
            f"Expected one of {', '.join(_TYPE_NUMBERS)} device type at start of device "
            f"string: {name}"
        )
    if colon and index is not None:
        raise RuntimeError("type (string) must not include an index because index was passed "
                           f"explicitly: {text}")
    if colon:
        if len(number) > 9:  # (std::stoi overflows past int32; c10 stores an int8 anyway)
            raise RuntimeError(f"Could not parse device index '{number}' in device string "
                               f"'{text}'")
        return name, int(number)
    if index is not None:
        index = _as_index(index)
        _check_index(index)
    return name, index


def _as_index(index) -> int:
    """An explicit index: anything with ``__index__`` (a NumPy int, an int tensor), not a
    bool."""
    try:
        if not isinstance(index, bool):
            return operator.index(index)
    except TypeError:
        pass
    raise TypeError("device(): argument 'index' (position 2) must be int, not "
                    f"{_type(index).__name__}")


def _check_index(index: int) -> None:
    if index < 0:
        raise RuntimeError("Device index must not be negative")


def _bad_arguments(kind, index) -> TypeError:
    """torch's error for a device made from neither a string, an int nor a device."""
    if kind is _NO_TYPE:
        return TypeError("device() received an invalid combination of arguments - got (), "
                         "but expected one of:\n * (torch.device device)\n"
                         " * (str type, int index = -1)\n")
    if index is not None:
        name = "torch.device" if isinstance(kind, device) else _type(kind).__name__
        return TypeError(f"device(): argument 'type' (position 1) must be str, not {name}")
    name = _type(kind).__name__
    return TypeError(
        f"device() received an invalid combination of arguments - got ({name}), but expected "
        f"one of:\n * (torch.device device)\n      didn't match because some of the arguments "
        f"have invalid types: (!{name}!)\n * (str type, int index = -1)\n"
    )


_type = type  # (``type`` is the constructor's argument name above)


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

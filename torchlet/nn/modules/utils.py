"""Argument helpers of the layers (torch.nn.modules.utils): ``_single``/``_pair``/
``_triple``/``_quadruple`` turn a number into a tuple of that length (an iterable is kept as
a tuple of its items, as torch), F.pad's padding order, and stripping a state-dict prefix.
"""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n: int, name: str = "parse"):
    """A parser: an iterable -> tuple(x); anything else -> (x,) * n."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """Reverse ``t`` and repeat each item ``n`` times: (1, 2), 2 -> (2, 2, 1, 1), a Conv's
    padding in F.pad's order (last dimension first)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults: list) -> list | int:
    """Adaptive pooling's output size: an int is returned as is; otherwise each None in
    ``out_size`` takes the matching one of the last ``len(out_size)`` ``defaults``."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d
            for v, d in zip(out_size, defaults[-len(out_size):], strict=False)]


def consume_prefix_in_state_dict_if_present(state_dict: dict[str, Any], prefix: str) -> None:
    """Strip ``prefix`` from the keys of ``state_dict`` in place (and of its ``_metadata``,
    if any): a DataParallel/DDP model's state-dict ("module." keys) for a plain model."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    if hasattr(state_dict, "_metadata"):
        # metadata keys: '' (the wrapper itself: kept), 'module' (the wrapped model, the
        # prefix without its dot) and 'module.xx' (its submodules)
        for key in list(state_dict._metadata.keys()):
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                state_dict._metadata[key[len(prefix):]] = state_dict._metadata.pop(key)

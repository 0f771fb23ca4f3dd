"""torch.Size: the shape of a tensor, a tuple that prints as ``torch.Size([64, 10])``."""

from __future__ import annotations

import operator

from torchlet._dtype import type_name


class Size(tuple):
    __slots__ = ()

    def __new__(cls, sizes=()):
        values = tuple(sizes)
        try:
            return super().__new__(cls, map(operator.index, values))
        except TypeError:
            # (a NumPy array of several elements has __index__ too, and refuses)
            for i, v in enumerate(values):
                try:
                    operator.index(v)
                except TypeError:
                    raise TypeError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                    f"'{type_name(v)}')") from None
            raise

    def __repr__(self) -> str:
        return f"torch.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, index):
        result = super().__getitem__(index)
        return Size(result) if isinstance(index, slice) else result

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

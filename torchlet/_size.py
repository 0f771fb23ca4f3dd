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

    def __format__(self, spec: str) -> str:
        # object.__format__'s refusal, under torch's type name
        if spec:
            raise TypeError("unsupported format string passed to torch.Size.__format__")
        return str(self)

    def __add__(self, other):
        if not isinstance(other, tuple):
            # as torch's C type: the other operand's __radd__ first, then its own message
            reflected = getattr(type(other), "__radd__", None)
            result = NotImplemented if reflected is None else reflected(other, self)
            if result is NotImplemented:
                raise TypeError("can only concatenate tuple (not "
                                f"{type_name(other)}) to torch.Size")
            return result
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        if not hasattr(type(times), "__index__"):
            # tuple's refusal, naming torch's types (not Size(...)'s item error)
            raise TypeError(
                f"can't multiply sequence by non-int of type '{type_name(times)}'")
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))

"""The named tuples that some operations return, as ``torch.return_types``.

``x.max(dim=1)`` returns ``torch.return_types.max(values=..., indices=...)``: a tuple
(so ``values, indices = x.max(1)`` works) whose fields also have names. Each class is
built by ``_structseq`` below; they print exactly as PyTorch prints them::

    torch.return_types.max(
    values=tensor([5., 2.]),
    indices=tensor([1, 0]))
"""

from __future__ import annotations

import builtins
from operator import itemgetter

_MISSING = object()


class _StructSeq(tuple):
    """A tuple with named fields (PyTorch's "structseq")."""

    __slots__ = ()
    _fields: tuple = ()
    n_unnamed_fields = 0

    def __new__(cls, sequence=_MISSING, dict=None):  # noqa: A002 - CPython's structseq names
        # As torch: the constructor takes one sequence, not the fields one by one.
        if sequence is _MISSING:
            raise TypeError("structseq() missing required argument 'sequence' (pos 1)")
        if not hasattr(sequence, "__iter__"):
            raise TypeError("constructor requires a sequence")
        if dict is not None and not isinstance(dict, builtins.dict):
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a dict as second arg, if any")
        values = tuple(sequence)
        if len(values) != len(cls._fields):
            raise TypeError(
                f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                f"({len(values)}-sequence given)"
            )
        return tuple.__new__(cls, values)

    @property
    def n_fields(self) -> int:
        return len(self._fields)

    n_sequence_fields = n_fields

    def __repr__(self) -> str:
        pairs = zip(self._fields, self, strict=True)
        body = ",\n".join(f"{name}={value!r}" for name, value in pairs)
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self), {}))

    # Attribute errors name torch's type, as its C structseq does.
    def __getattr__(self, name):
        raise AttributeError(
            f"'torch.return_types.{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        self.__delattr__(name)

    def __delattr__(self, name):
        if name in self._fields:
            raise AttributeError("readonly attribute")
        self.__getattr__(name)


def _structseq(name: str, fields: tuple) -> type:
    namespace: dict[str, object] = {"__slots__": (), "_fields": fields, "__module__": __name__,
                 "__qualname__": name, "__match_args__": fields}
    for i, field in enumerate(fields):
        namespace[field] = property(itemgetter(i), doc=f"Alias for field number {i}")
    return type(name, (_StructSeq,), namespace)


_VALUES_INDICES = ("values", "indices")

max = _structseq("max", _VALUES_INDICES)  # noqa: A001 - torch's name
min = _structseq("min", _VALUES_INDICES)  # noqa: A001
sort = _structseq("sort", _VALUES_INDICES)
topk = _structseq("topk", _VALUES_INDICES)
median = _structseq("median", _VALUES_INDICES)
nanmedian = _structseq("nanmedian", _VALUES_INDICES)
mode = _structseq("mode", _VALUES_INDICES)
kthvalue = _structseq("kthvalue", _VALUES_INDICES)
cummax = _structseq("cummax", _VALUES_INDICES)
cummin = _structseq("cummin", _VALUES_INDICES)
aminmax = _structseq("aminmax", ("min", "max"))
histogram = _structseq("histogram", ("hist", "bin_edges"))
frexp = _structseq("frexp", ("mantissa", "exponent"))

"""The named tuples that some operations return, as ``torch.return_types``.

``x.max(dim=1)`` returns ``torch.return_types.max(values=..., indices=...)``: a tuple
(so ``values, indices = x.max(1)`` works) whose fields also have names. Each class is
built by ``_structseq`` below; they print exactly as PyTorch prints them::

    torch.return_types.max(
    values=tensor([5., 2.]),
    indices=tensor([1, 0]))
"""

from __future__ import annotations

from operator import itemgetter


class _StructSeq(tuple):
    """A tuple with named fields (PyTorch's "structseq")."""

    __slots__ = ()
    _fields: tuple = ()

    def __new__(cls, sequence=()):
        # As torch: the constructor takes one sequence, not the fields one by one.
        if not hasattr(sequence, "__iter__"):
            raise TypeError("constructor requires a sequence")
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
        return (type(self), (tuple(self),))


def _structseq(name: str, fields: tuple) -> type:
    namespace: dict[str, object] = {"__slots__": (), "_fields": fields, "__module__": __name__,
                 "__qualname__": name}
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

"""Data types and PyTorch's type-promotion rules.

A torchlet ``dtype`` names a NumPy dtype. Promotion follows PyTorch, not NumPy:

* categories rank bool < integer < floating; mixing categories takes the higher one
  (``int64 + float16 -> float16``; NumPy would say float64);
* Python numbers are *weak*: ``int32_tensor + 5 -> int32``, ``int_tensor + 2.5 -> the
  default float dtype``;
* zero-dimensional tensors are weaker than tensors with dimensions, but stronger than
  Python numbers: ``float32[3] + float64[] -> float32``, ``int32[3] + float64[] -> float64``.

``result_type`` implements c10's three-slot state (dimensioned, zero-dim, wrapped number)
and ``combine_categories`` exactly.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as np


class dtype:  # noqa: N801 - torch's name
    """A tensor element type, printed as torch prints it (``torch.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype, rank: _builtins.int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._rank = rank  # order inside a category, for promotion

    is_complex = False

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_real(self) -> dtype:
        return self


bool = dtype("bool", np.bool_, 0)  # noqa: A001 - torch.bool
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 2)
int32 = dtype("int32", np.int32, 3)
int64 = dtype("int64", np.int64, 4)
float16 = dtype("float16", np.float16, 1)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 3)

# torch's aliases are the same objects
half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_BY_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}

# The scalar-type names torch's error messages use ("... not implemented for 'Long'"),
# by NumPy dtype name.
TYPE_WORDS = {
    "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
    "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
}

# The C++ type names torch's messages print ("expected scalar type long int"), by NumPy
# dtype name.
C_TYPE_NAMES = {
    "bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
    "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float",
    "float64": "double",
}

# CPython's type flags: a heap type is created at run time (a class statement, or an
# extension type built from a spec); a class statement never makes an immutable one.
_HEAP_TYPE = 1 << 9
_IMMUTABLE_TYPE = 1 << 8

# torchlet's classes that stand for torch's C++ types, by the tp_name torch's types have
_TORCH_C_TYPE_NAMES = {
    "dtype": "torch.dtype", "device": "torch.device", "Size": "torch.Size",
    "layout": "torch.layout", "memory_format": "torch.memory_format",
    "Generator": "torch._C.Generator", "finfo": "torch.finfo", "iinfo": "torch.iinfo",
}


def type_name(x) -> str:
    """The type name torch's argument errors print: CPython's ``tp_name`` of ``type(x)``.

    A class written in Python is named by its ``__name__`` alone (``Parameter``, ``Foo``),
    and so is a builtin (``float``, ``list``); a C extension type carries its module
    (``numpy.ndarray``, ``numpy.float64``, ``collections.OrderedDict``)."""
    kind = type(x)
    module = kind.__module__
    if module.split(".", 1)[0] == "torchlet":
        if module == "torchlet.return_types":
            return f"torch.return_types.{kind.__name__}"
        return _TORCH_C_TYPE_NAMES.get(kind.__name__, kind.__name__)
    flags = kind.__flags__
    written_in_python = flags & _HEAP_TYPE and not flags & _IMMUTABLE_TYPE
    if written_in_python or module == "builtins":
        return kind.__name__
    return f"{module}.{kind.__name__}"


def no_attribute_error(x, attr: str) -> AttributeError:
    """What a function torch writes in Python raises for a non-Tensor ``x``: Python's own
    error at the first Tensor method it calls on it (``input.dim()``)."""
    return AttributeError(f"'{type_name(x)}' object has no attribute '{attr}'")


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The torchlet dtype for a NumPy dtype; TypeError for ones torch lacks."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).type.__name__}. The only "
            "supported types are: float64, float32, float16, int64, int32, int16, int8, "
            "uint8, and bool."
        ) from None


def to_dtype(obj) -> dtype:
    """Accept a torchlet dtype, a NumPy dtype or a Python type: float is float64, as in
    torch (Python's float is a double), whatever the default dtype."""
    if type(obj) is dtype:
        return obj
    if obj is _builtins.float:
        return float64
    if obj is _builtins.int:
        return int64
    if obj is _builtins.bool:
        return bool
    return from_numpy_dtype(obj)


# ---------------------------------------------------------------------------------------
# memory formats (the layout a new tensor gets: ``memory_format=`` of clone, *_like, ...)


class _NamedConstant:
    """One of torch's named constants (``torch.channels_last``, ``torch.strided``),
    printed as torch prints it; one object per name, kept by copy and pickle."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return self.name  # a module global: pickle and copy give back the same object


class memory_format(_NamedConstant):  # noqa: N801 - torch's name
    """A memory layout (``memory_format=`` of clone, empty_like, ...)."""

    __slots__ = ()


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


class layout(_NamedConstant):  # noqa: N801 - torch's name
    """How a tensor's elements are stored. Every torchlet tensor is strided: the sparse
    and mkldnn layouts exist so that code naming them reads as it does with torch, and a
    creation function asked for one raises (``creation.check_layout``)."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
_mkldnn = layout("_mkldnn")
jagged = layout("jagged")


# ---------------------------------------------------------------------------------------
# default dtype

_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    if type(d) is not dtype:
        raise TypeError("invalid dtype object: only floating-point types are supported as "
                        "the default type")
    if d not in (float16, float32, float64):
        raise TypeError(
            "only floating-point types are supported as the default type"
        )
    _default[0] = d


# ---------------------------------------------------------------------------------------
# promotion


def _category(d: dtype) -> _builtins.int:
    return 2 if d.is_floating_point else (0 if d is bool else 1)


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, by torch's table."""
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 2:
        return a if a._rank > b._rank else b
    # integers (and bool, which only meets itself here): NumPy's table agrees with torch's
    return _BY_NP[np.promote_types(a.np, b.np)]


def _combine_categories(higher: dtype | None, lower: dtype | None) -> dtype | None:
    # c10::combine_categories: a lower-priority slot only matters if it is of a higher
    # category than the higher-priority slot.
    if higher is None:
        return lower
    if higher.is_floating_point:
        return higher
    if lower is not None and (higher is bool or lower.is_floating_point):
        return promote_types(higher, lower)
    return higher


def result_type_of(operands) -> dtype:
    """torch.result_type over a sequence of tensors and Python numbers."""
    from torchlet._tensor import Tensor

    dim_slot = zero_slot = wrapped_slot = None
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                dim_slot = d if dim_slot is None else promote_types(dim_slot, d)
            else:
                zero_slot = d if zero_slot is None else promote_types(zero_slot, d)
        else:
            d = scalar_dtype(x)
            wrapped_slot = d if wrapped_slot is None else promote_types(wrapped_slot, d)
    result = _combine_categories(dim_slot, _combine_categories(zero_slot, wrapped_slot))
    assert result is not None, "result_type_of needs at least one operand"
    return result


def scalar_dtype(x) -> dtype:
    """The dtype a Python number takes in promotion (floats take the default dtype).

    NumPy scalars are read as torch's argument parser reads them: an integer one as an
    int, any other (``np.float32``, and ``np.bool_`` too, which is not a Python bool) as a
    float, so ``int_tensor + np.bool_(True)`` is float32, as in torch."""
    t = type(x)
    if t is _builtins.bool:
        return bool
    if t is _builtins.float:
        return _default[0]
    if t is _builtins.int:
        return int64
    if isinstance(x, np.integer):
        return int64
    if isinstance(x, (np.floating, np.bool_)):
        return _default[0]
    # subclasses (IntEnum, a user's int or float type) are read as their base, as in torch
    if isinstance(x, _builtins.bool):
        return bool
    if isinstance(x, _builtins.int):
        return int64
    if isinstance(x, _builtins.float):
        return _default[0]
    raise TypeError(f"expected a Tensor or a number, got {type_name(x)}")


def is_floating_point_dtype(d: dtype) -> _builtins.bool:
    return d.is_floating_point


def _info_dtype(kind, name: str) -> dtype:
    """The dtype ``finfo``/``iinfo`` describe: a torch dtype or a Python type (float, int,
    bool); anything else is torch's argument error."""
    python_types = (_builtins.float, _builtins.int, _builtins.bool)
    if type(kind) is dtype or any(kind is t for t in python_types):  # (`is`: arrays too)
        return to_dtype(kind)
    raise TypeError(f"{name}(): argument 'type' (position 1) must be torch.dtype, not "
                    f"{type_name(kind)}")


class _Info:
    """What finfo and iinfo share: ``dtype`` is the name (a str, as in torch), equal when
    they describe the same dtype, unhashable (torch defines __eq__ only)."""

    def __eq__(self, other):
        return type(other) is type(self) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]


class finfo(_Info):  # noqa: N801 - torch's name
    """Machine limits of a floating dtype, as torch.finfo. ``resolution`` is
    ``10 ** -precision`` (0.001 for float16, 1e-06 for float32), as torch computes it."""

    def __init__(self, type=None):  # noqa: A002 - torch's argument name
        d = _default[0] if type is None else _info_dtype(type, "finfo")
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = _builtins.float(info.eps)
        self.max = _builtins.float(info.max)
        self.min = _builtins.float(info.min)
        self.tiny = self.smallest_normal = _builtins.float(info.tiny)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo(_Info):  # noqa: N801 - torch's name
    """Limits of an integer dtype, as torch.iinfo (bool is refused, as in torch)."""

    def __init__(self, type):  # noqa: A002 - torch's argument name
        d = _info_dtype(type, "iinfo")
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        if d is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = np.iinfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.max = _builtins.int(info.max)
        self.min = _builtins.int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

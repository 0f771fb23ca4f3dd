"""Argument helpers shared by the shape operations: torch's int and dim parsing, its
error-message type names, and torch's memory-layout rule for copies."""

from __future__ import annotations

import operator

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.indexing._common import (
    array_with_strides,
    non_overlapping_and_dense,
    torch_strides,
)
from torchlet._tensor import _TYPE_NAMES, Tensor, _wrap_dim


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name(x)}"
        )
    return x


def _must_be(fn, arg: str, position, kind: str, value) -> str:
    """torch's "f(): argument 'x' (position n) must be <kind>, not <type>" (``position``
    None: an argument given by keyword, which torch leaves unnumbered; ``fn`` None: a
    check that cannot name its function, ``_wrap_dim``'s)."""
    where = f" (position {position})" if position else ""
    head = f"{fn}(): " if fn else ""
    return f"{head}argument '{arg}'{where} must be {kind}, not {type_name(value)}"


def _is_int(value) -> bool:
    """Whether torch's parser takes ``value`` as an ``int`` argument: an int other than a
    bool, a NumPy integer or a 0-d integer tensor (not a float, a bool, a NumPy array or a
    tensor of another shape or dtype)."""
    if isinstance(value, Tensor):
        return not value._data.ndim and value._data.dtype.kind in "iu"
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int(value, fn, arg: str, position) -> int:
    """An ``int`` argument as torch's parser takes it (``_is_int``), else its TypeError."""
    if type(value) is int:
        return value
    if _is_int(value):
        return operator.index(value)
    raise TypeError(_must_be(fn, arg, position, "int", value))


def _is_size(value) -> bool:
    """torch's test of the first element of a tuple-of-ints argument, the only one it
    picks an overload by: an index (``__index__``) other than a bool, or a tensor of one
    integer (or bool) element."""
    if isinstance(value, Tensor):
        return value._data.size == 1 and value._data.dtype.kind in "iub"
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def _unpack_int(value, fn: str, arg: str, pos: int) -> int:
    """Element ``pos`` (from 1) of a tuple-of-ints argument, unpacked as torch unpacks
    it once the overload is chosen: an index (a bool now counts, as 0 or 1) or a tensor
    of one integer element; a one-element bool tensor fails torch's internal check."""
    if isinstance(value, Tensor):
        if value._data.size == 1 and value._data.dtype.kind in "iub":
            if value._data.dtype.kind == "b":
                raise RuntimeError(
                    "Expected scalar.isIntegral( false) to be true, but got false.  (Could "
                    "this error message be improved?  If so, please report an enhancement "
                    "request to PyTorch.)")
            return int(value._data.reshape(()))
    else:
        try:
            return operator.index(value)
        except TypeError:
            pass
    got = "Tensor" if isinstance(value, Tensor) else type_name(value)  # (of any class)
    raise TypeError(f"{fn}(): argument '{arg}' failed to unpack the object at pos {pos} with "
                    f"error \"type must be tuple of ints,but got {got}\"")


def _int_list(values, fn: str, arg: str, position, single: bool = False) -> tuple:
    """A tuple-of-ints argument (torch's ``IntArrayRef``) as torch's parser reads it: a
    tuple or list whose first element passes ``_is_size`` (a bad first element is "found
    element of type ... at pos 0"), every element then unpacked by ``_unpack_int`` (a bad
    later one "failed to unpack the object at pos n"). ``single``: torch's ``int[1]``,
    which takes one int too. Anything else: "must be tuple of ints, not <type>"."""
    if type(values) is tuple or isinstance(values, (tuple, list)):
        for v in values:
            if type(v) is not int:
                break
        else:
            return tuple(values)
        if not _is_size(values[0]):
            if position is None:  # (by keyword, torch names the sequence's type)
                raise TypeError(_must_be(fn, arg, None, "tuple of ints", values))
            raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be tuple "
                            f"of ints, but found element of type {type_name(values[0])} at "
                            "pos 0")
        return tuple(_unpack_int(v, fn, arg, pos) for pos, v in enumerate(values, 1))
    if single and (type(values) is int or _is_size(values)):
        return (values,) if type(values) is int else (_unpack_int(values, fn, arg, 1),)
    raise TypeError(_must_be(fn, arg, position, "tuple of ints", values))


_ints = _int_list  # (called without ``single``: a sequence, torch refuses a bare int)


def _vararg_ints(args: tuple, fn: str, arg: str, overloads=None) -> tuple:
    """The sizes or dims of a method torch lets take them spread out, ``f(2, 3)``, or as
    one sequence, ``f((2, 3))``: one argument is read as a tuple of ints (``single``);
    several must start with an int-like one (else torch's "takes 1 positional argument"),
    each then unpacked. ``overloads``: torch's signatures of a method with another
    overload (view(dtype)), whose misfits are "an invalid combination of arguments"."""
    for v in args:
        if type(v) is not int:
            break
    else:
        return args
    first = args[0]
    if len(args) == 1:
        if isinstance(first, (tuple, list)):
            if overloads is None or not first or type(first[0]) is int or _is_size(first[0]):
                return _int_list(first, fn, arg, 1)
        elif _is_size(first):
            return (_unpack_int(first, fn, arg, 1),)
    elif _is_size(first):
        return tuple(_unpack_int(v, fn, arg, pos) for pos, v in enumerate(args, 1))
    if overloads is not None:
        raise _invalid_combination(fn, args, {}, overloads)
    if len(args) > 1:
        raise TypeError(f"{fn}() takes 1 positional argument but {len(args)} were given")
    return _int_list(first, fn, arg, 1)  # (raises torch's TypeError)


def _invalid_combination(fn: str, args: tuple, kwargs: dict, signatures) -> TypeError:
    """torch's "received an invalid combination of arguments" error of an overloaded
    function or method: the types given, then each signature (``"int dim, bool keepdim =
    False"``, without parentheses), followed, where it takes as many arguments as were
    given (torch counts a ``*`` as one), by the arguments with those that do not fit it
    marked ``!type!``."""
    from torchlet._ops.creation import _invalid_arguments

    text = str(_invalid_arguments(fn, args, kwargs, ()))
    for signature in signatures:
        text += f" * ({signature})\n"
        params = signature.split(", ")
        if not kwargs and len(params) == len(args):
            marks = ", ".join(_marked(a, p) for a, p in zip(args, params, strict=True))
            text += ("      didn't match because some of the arguments have invalid types: "
                     f"({marks})\n")
    return TypeError(text)


def _no_overload(fn: str, args: tuple, signatures, input=None) -> TypeError:  # noqa: A002
    """``_invalid_combination`` of an overloaded operation given ``args``: as a Tensor
    method's (``input`` None; ``signatures`` as torch prints a method's), or as a
    function's of ``input``, which torch counts and prints first (``Tensor input``)."""
    if input is None:
        return _invalid_combination(fn, args, {}, signatures)
    return _invalid_combination(fn, (input, *args), {}, tuple(
        f"Tensor input, {s}" if s else "Tensor input" for s in signatures))


def _int_args(fn: str, names: tuple, values: tuple) -> tuple:
    """The int arguments ``values`` (named ``names``) of a Tensor method, read by
    ``_int``: torch counts a method's arguments from 1, after self."""
    return tuple(_int(v, fn, name, pos) for pos, (name, v) in enumerate(zip(names, values,
                                                                               strict=True), 1))


def _marked(value, param: str) -> str:
    """``value``'s type as torch describes it against a signature's parameter (a
    sequence with its elements' types), between ``!`` if it does not fit. torch's
    matcher here never takes a parameter with a default, nor a tuple of ints, nor
    anything for the empty parameter of ``()``: those are always marked."""
    if isinstance(value, tuple):
        inner = ", ".join(type_name(v) for v in value)
        desc = f"tuple of ({inner}{',' if len(value) == 1 else ''})"
    elif isinstance(value, list):
        desc = f"list of [{', '.join(type_name(v) for v in value)}]"
    else:
        desc = type_name(value)
    kind = param.rpartition(" ")[0] if " = " not in param else ""
    if kind == "int":
        fits = _is_int(value)
    elif kind == "Tensor":
        fits = isinstance(value, Tensor)
    elif kind == "bool":
        fits = isinstance(value, (bool, np.bool_))
    elif kind == "torch.dtype":
        fits = isinstance(value, _dtype.dtype)
    else:
        fits = False
    return desc if fits else f"!{desc}!"


# ---------------------------------------------------------------------------------------
# the arguments of overloaded operations, read once for the function and once for the
# Tensor method (whose errors count the arguments after self)


_SQUEEZE_SIGNATURES = ("", "int dim", "tuple of ints dim")


def squeeze_dim(dim, input=None):  # noqa: A002
    """``squeeze``'s ``dim`` as torch's parser reads it: an int, or a tuple of ints (a
    tuple); anything else (None too) fits none of its overloads. ``input`` None: as
    Tensor.squeeze's argument, else as the function's of ``input``."""
    if _is_int(dim):
        return operator.index(dim)
    if isinstance(dim, (tuple, list)) and (not dim or _is_size(dim[0])):
        return _ints(dim, "squeeze", "dim", None)
    raise _no_overload("squeeze", (dim,), _SQUEEZE_SIGNATURES, input)


_MOVEDIM_SIGNATURES = ("int source, int destination",
                       "tuple of ints source, tuple of ints destination")


def movedim_dims(source, destination, input=None) -> tuple:  # noqa: A002
    """``movedim``'s arguments as torch's parser reads them: two ints, or two tuples of
    ints (as tuples); ``input`` None: as Tensor.movedim's arguments, else as the
    function's of ``input``."""
    if type(source) is int and type(destination) is int:
        return (source,), (destination,)
    if _is_int(source) and _is_int(destination):
        return (operator.index(source),), (operator.index(destination),)
    if all(isinstance(a, (tuple, list)) and (not a or _is_size(a[0]))
           for a in (source, destination)):
        return (_ints(source, "movedim", "source", None),
                _ints(destination, "movedim", "destination", None))
    raise _no_overload("movedim", (source, destination), _MOVEDIM_SIGNATURES, input)


_NARROW_SIGNATURES = ("int dim, Tensor start, int length", "int dim, int start, int length")


def narrow_args(dim, start, length, input=None) -> tuple:  # noqa: A002
    """``narrow``'s arguments as torch's parser reads them: ints, ``start`` perhaps a
    tensor (which must then be a 0-d integer one); a misfit is "an invalid combination".
    ``input`` None: as Tensor.narrow's arguments, else as the function's of ``input``."""
    if _is_int(dim) and _is_int(length):
        if isinstance(start, Tensor) and not _is_int(start):
            raise RuntimeError("start must be an 0-dim integral Tensor.")
        if _is_int(start):
            return operator.index(dim), operator.index(start), operator.index(length)
    raise _no_overload("narrow", (dim, start, length), _NARROW_SIGNATURES, input)


def _wrap_dim_of(dim, ndim: int) -> int:
    """Wrap ``dim`` for an operation that needs at least one dimension."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _unique_dims(dims, ndim: int) -> tuple:
    dims = tuple(_wrap_dim(operator.index(d), ndim) for d in dims)
    if len(set(dims)) != len(dims):  # torch names the first dim seen a second time
        repeated = next(d for i, d in enumerate(dims) if d in dims[:i])
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return dims


def _element_strides(array: np.ndarray):
    itemsize = array.itemsize
    return tuple(s // itemsize for s in array.strides)


def _tensor_strides(x) -> tuple:
    """``x``'s strides as torch has them, for a view of ``x`` to start from: an empty
    result of NumPy has zero strides, which ``Tensor.stride`` reads as contiguous ones
    (as torch's), and so must the views made from it."""
    data = x._data
    return _element_strides(data) if data.size else x.stride()


def contiguous_strides(shape) -> tuple:
    """torch's strides (in elements) of a contiguous tensor of ``shape``; a dimension of
    size 0 or 1 steps as if it had size 1."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size if size > 1 else 1
    return tuple(reversed(strides))


def _dense_order(shape, strides) -> list:
    """Dims from the slowest- to the fastest-varying in memory: torch's
    ``infer_dense_strides`` (an insertion sort by stride; stride-0 dims stay put)."""
    ndim = len(shape)
    perm = list(range(ndim - 1, -1, -1))  # perm[0] is the fastest dim
    for i in range(1, ndim):
        dim1 = i
        for j in range(1, i + 1):
            dim0 = i - j
            s0, s1 = strides[perm[dim0]], strides[perm[dim1]]
            if s0 == 0 or s1 == 0:
                continue
            if s0 < s1:
                break
            if s0 > s1 or shape[perm[dim0]] > shape[perm[dim1]]:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
    return perm[::-1]


def _empty_like_preserve(a: np.ndarray) -> np.ndarray:
    """An uninitialised array like ``a`` laid out in ``a``'s memory order, as torch's
    ``preserve_format`` (a transposed tensor's clone is transposed too)."""
    return empty_in_layout(a, a.dtype, None)


def infer_dense_strides(shape, strides) -> list:
    """torch's ``infer_dense_strides``: a dense layout with the dims in ``strides``'s
    memory order (``_dense_order``); size-0 and size-1 dims step as size 1."""
    wanted = [0] * len(shape)
    step = 1
    for d in reversed(_dense_order(shape, strides)):
        wanted[d] = step
        step *= shape[d] if shape[d] > 1 else 1
    return wanted


def format_strides(shape, memory_format) -> list:
    """torch's ``get_channels_last_strides_2d/3d``: dim 1 innermost, then the last dims
    and the batch dim (a size-0 dim makes the slower strides 0, unlike C order's)."""
    rank = len(shape)
    strides = [0] * rank
    step = 1
    for d in (1, *range(rank - 1, 1, -1), 0):
        strides[d] = step
        step *= shape[d]
    return strides


def empty_in_layout(a: np.ndarray, np_dtype, memory_format, make=np.empty) -> np.ndarray:
    """``make(shape, np_dtype)`` (np.empty, np.zeros, ...) with ``a``'s shape, laid out as
    torch's ``memory_format``: preserve_format (or None) keeps the strides of a
    non-overlapping and dense ``a`` (size-1 dims' too) and orders other arrays' dims by
    their strides (``infer_dense_strides``); contiguous_format is C order;
    channels_last(_3d) puts dim 1 innermost. The caller checks that ``memory_format`` is
    one of torch's."""
    shape = a.shape
    strides: tuple | list
    if memory_format is None or memory_format is _dtype.preserve_format:
        if a.flags.c_contiguous and 1 not in shape and a.size:  # C order: the usual case
            return make(shape, np_dtype)
        if not a.size and type(a) is np.ndarray:
            # torch keeps an empty tensor's strides whatever they are (it reads as
            # contiguous, so as dense): from_numpy's zeros too
            return array_with_strides(shape, [s // a.itemsize for s in a.strides], np_dtype,
                                      make)
        if not a.size and not any(a.strides):
            return make(shape, np_dtype)  # (an empty meta array: reads as contiguous)
        strides = torch_strides(a)
        if not non_overlapping_and_dense(shape, strides):
            strides = infer_dense_strides(shape, strides)
    elif memory_format is _dtype.contiguous_format:
        return make(shape, np_dtype)
    else:
        rank = 4 if memory_format is _dtype.channels_last else 5
        if a.ndim != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {memory_format.name} format")
        strides = format_strides(shape, memory_format)
    if a.size and list(strides) == list(contiguous_strides(shape)):
        return make(shape, np_dtype)
    return array_with_strides(shape, strides, np_dtype, make)


def suggested_memory_format(x: np.ndarray):
    """torch's ``suggest_memory_format()``: channels_last (channels_last_3d) for a 4-D
    (5-D) array whose strides say so, else None (contiguous). torch's
    is_channels_last_strides_2d/3d: from the innermost dim (C, then W, H, (D,) N) each
    stride at least the previous dim's extent; a zero channel stride, or N's stride equal
    to C's (an ambiguous N1..1), reads as contiguous."""
    order: tuple[int, ...]
    if x.ndim == 4:
        order, fmt = (1, 3, 2, 0), _dtype.channels_last
    elif x.ndim == 5:
        order, fmt = (1, 4, 3, 2, 0), _dtype.channels_last_3d
    else:
        return None
    strides, least = x.strides, 0
    if strides[1] == 0:
        return None
    for d in order:
        if x.shape[d] == 0 or strides[d] < least or (d == 0 and least == strides[1]):
            return None
        least = strides[d] * max(x.shape[d], 1)
    return fmt


def check_memory_format(memory_format, name: str) -> None:
    """torch's TypeError for a ``memory_format`` that is not one of its objects."""
    if memory_format is not None and type(memory_format) is not _dtype.memory_format:
        raise TypeError(f"{name}(): argument 'memory_format' must be torch.memory_format, "
                        f"not {type_name(memory_format)}")


def in_layout(a: np.ndarray, memory_format) -> bool:
    """Whether ``a`` is laid out as ``memory_format`` would lay it out (torch's
    ``is_contiguous(memory_format)``: preserve_format reads as C order, as there; the
    strides of size-1 dims do not matter)."""
    if memory_format is not _dtype.channels_last and memory_format is not (
            _dtype.channels_last_3d):
        return a.flags.c_contiguous
    rank = 4 if memory_format is _dtype.channels_last else 5
    if a.ndim != rank:
        return False
    strides = a.strides if a.size else torch_strides(a)  # (bytes, or elements: 0 anyway)
    step = a.itemsize if a.size else 1
    for d in (1, *range(rank - 1, 1, -1), 0):  # innermost first: C, then W, H(, D), N
        if a.shape[d] != 1:
            if strides[d] != step:
                return False
            step *= a.shape[d]
    return True


def _contiguous(a: np.ndarray) -> np.ndarray:
    """``a`` in C order. NumPy says any empty array is, whatever its strides (a view's):
    a new one then, which wrap() gives torch's contiguous strides."""
    if a.flags.c_contiguous:
        return a if a.size else np.empty(a.shape, a.dtype)
    return np.ascontiguousarray(a)


def _type_name(x: Tensor) -> str:
    """torch's legacy type name, as in error messages: ``torch.FloatTensor``."""
    return _TYPE_NAMES[x._data.dtype.name]


def _scalar_name(np_dtype) -> str:
    """torch's ScalarType name, as in error messages: ``Float``, ``Long``."""
    return _TYPE_NAMES[np.dtype(np_dtype).name][6:-6]

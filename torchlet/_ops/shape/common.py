"""Argument helpers shared by the shape operations: torch's int and dim parsing, its
error-message type names, and torch's memory-layout rule for copies."""

from __future__ import annotations

import operator

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._tensor import _TYPE_NAMES, Tensor, _wrap_dim


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type_name(x)}"
        )
    return x


def _int(value, fn: str, arg: str, position: int) -> int:
    """An int argument as torch's parser takes it: ints, NumPy ints, integer 0-d tensors."""
    if type(value) is int:
        return value
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be int, not "
            f"{type_name(value)}"
        ) from None


def _ints(values, fn: str, arg: str, position: int) -> tuple:
    """A tuple-of-ints argument (torch refuses a bare int where it wants a tuple)."""
    if not isinstance(values, (tuple, list)):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be tuple of ints, not "
            f"{type_name(values)}"
        )
    try:
        return tuple(map(operator.index, values))
    except TypeError:
        bad = next(v for v in values if not hasattr(v, "__index__"))
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be tuple of ints, but "
            f"found element of type {type_name(bad)} at pos {list(values).index(bad)}"
        ) from None


def _int_list(values, fn: str, arg: str, position: int) -> tuple:
    """An int-list argument that also takes a single int (torch's ``int[1]``)."""
    if isinstance(values, (tuple, list)):
        return _ints(values, fn, arg, position)
    try:
        return (operator.index(values),)
    except TypeError:
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be tuple of ints, not "
            f"{type_name(values)}"
        ) from None


def _wrap_dim_of(dim, ndim: int) -> int:
    """Wrap ``dim`` for an operation that needs at least one dimension."""
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _wrap_dim(dim, ndim)


def _unique_dims(dims, ndim: int) -> tuple:
    dims = tuple(_wrap_dim(operator.index(d), ndim) for d in dims)
    if len(set(dims)) != len(dims):
        repeated = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
    return dims


def _element_strides(array: np.ndarray):
    itemsize = array.itemsize
    return tuple(s // itemsize for s in array.strides)


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


def empty_in_layout(a: np.ndarray, np_dtype, memory_format, make=np.empty) -> np.ndarray:
    """``make(shape, np_dtype)`` (np.empty, np.zeros, ...) with ``a``'s shape, laid out as
    torch's ``memory_format``: preserve_format (or None) keeps a dense ``a``'s strides and
    orders other arrays' dims by their strides (``infer_dense_strides``);
    contiguous_format is C order; channels_last(_3d) puts dim 1 innermost. The caller
    checks that ``memory_format`` is one of torch's."""
    if memory_format is None or memory_format is _dtype.preserve_format:
        if a.flags.c_contiguous:
            return make(a.shape, np_dtype)
        order = _dense_order(a.shape, a.strides)
    elif memory_format is _dtype.contiguous_format:
        return make(a.shape, np_dtype)
    else:
        rank = 4 if memory_format is _dtype.channels_last else 5
        if a.ndim != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {memory_format.name} format")
        order = [0, *range(2, rank), 1]
    return make([a.shape[d] for d in order], np_dtype).transpose(np.argsort(order))


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
    step = a.itemsize
    for d in (1, *range(rank - 1, 1, -1), 0):  # innermost first: C, then W, H(, D), N
        if a.shape[d] != 1 and a.strides[d] != step:
            return False
        step *= a.shape[d]
    return True


def _contiguous(a: np.ndarray) -> np.ndarray:
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def _type_name(x: Tensor) -> str:
    """torch's legacy type name, as in error messages: ``torch.FloatTensor``."""
    return _TYPE_NAMES[x._data.dtype.name]


def _scalar_name(np_dtype) -> str:
    """torch's ScalarType name, as in error messages: ``Float``, ``Long``."""
    return _TYPE_NAMES[np.dtype(np_dtype).name][6:-6]

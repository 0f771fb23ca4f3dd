"""Splitting and joining: unbind, split, chunk, tensor_split (views of the input) and cat,
stack, hstack, vstack, dstack, column_stack, atleast_1d/2d/3d.

They are each other's backward: the gradient of a split is the cat of the outputs'
gradients (zeros for outputs that got none), the gradient of a cat is narrow() slices."""

from __future__ import annotations

import numpy as np

from torchlet import _dtype
from torchlet._dtype import no_attribute_error, type_name
from torchlet._numpy_names import numpy_names
from torchlet._ops.shape.common import (
    _check_tensor,
    _int,
    _ints,
    _invalid_combination,
    _is_int,
    _scalar_name,
    _wrap_dim_of,
)
from torchlet._ops.shape.slices import moved_empty, narrow, select
from torchlet._ops.shape.views import reshape, unsqueeze
from torchlet._tensor import Tensor, _wrap_dim, make_view, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# splitting: unbind, split, chunk, tensor_split


class Unbind(Primitive):
    """outs = the slices of a along dim (views);  grad_a = the grads stacked (zeros for
    slices that got none)."""

    node_name = "UnbindBackward0"
    materialize_grads = True

    @staticmethod
    def forward(ctx, a, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx._output_meta = [(a.shape[:dim] + a.shape[dim + 1:], a.dtype)] * a.shape[dim]
        before = (slice(None),) * dim
        return tuple(a[before + (i, Ellipsis)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        given = ctx.given_dim  # (torch's stack(grads, dim): the dim as given)
        return stack(grads, ctx.dim if given is None else given)


@numpy_names
def unbind(input, dim=0) -> tuple:  # noqa: A002
    x = _check_tensor("unbind", input)
    given_dim = _int(dim, "unbind", "dim", 2)
    dim = _wrap_dim_of(given_dim, x._data.ndim)
    return tuple(make_view(o, x) for o in Unbind.apply(x, dim=dim, given_dim=given_dim))


class Split(Primitive):
    """outs = consecutive slices of a along dim (views);  grad_a = the grads concatenated
    (zeros for slices that got none)."""

    node_name = "SplitBackward0"
    materialize_grads = True

    @staticmethod
    def forward(ctx, a, *, dim, sizes, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        before = (slice(None),) * dim
        outs, start = [], 0
        for size in sizes:
            out = a[before + (slice(start, start + size),)]
            if not size and start:  # (NumPy's start stays at a's)
                out = moved_empty(out, a, start * a.strides[dim])
            outs.append(out)
            start += size
        ctx._output_meta = [(o.shape, o.dtype) for o in outs]
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim)  # (torch's split_backward wraps the dim first)


class SplitWithSizes(Split):
    """outs = slices of the given sizes along dim (views);  grad_a = the grads
    concatenated (zeros for slices that got none)."""

    node_name = "SplitWithSizesBackward0"


def _split(x: Tensor, primitive, dim: int, sizes, given_dim=None) -> tuple:
    return tuple(make_view(o, x) for o in primitive.apply(x, dim=dim, sizes=tuple(sizes),
                                                          given_dim=given_dim))


_SPLIT_SIGNATURES = ("Tensor input, int split_size, int dim = 0",
                     "Tensor input, tuple of ints split_size, int dim = 0")


def split(tensor, split_size_or_sections, dim=0) -> tuple:
    """Pieces of ``split_size`` along dim (the last may be smaller), or pieces of the
    listed sizes.

    torch's Tensor.split (Python, as torch.split) takes a Python int (or a tensor that
    int() reads) as a size and calls its ``split``, anything else as the sizes of its
    ``split_with_sizes``; their argument parsers raise the TypeErrors, counting the tensor
    as argument 1 even from the method."""
    if not isinstance(tensor, Tensor):  # (torch.split is Python: tensor.split(...))
        raise no_attribute_error(tensor, "split")
    x = tensor
    size = split_size_or_sections
    if isinstance(size, Tensor) and size._data.size == 1:
        size = int(size)
    if isinstance(size, int):
        if isinstance(size, bool) or type(dim) is not int and not _is_int(dim):
            raise _invalid_combination("split", (x, size, dim), {}, _SPLIT_SIGNATURES)
        sizes: tuple[int, ...] | None = None
    else:
        sizes = _ints(size, "split_with_sizes", "split_sizes", 2)
        dim = _int(dim, "split_with_sizes", "dim", 3)
    shape = x._data.shape
    if not shape:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    given_dim, dim = dim, _wrap_dim(dim, len(shape))
    n = shape[dim]
    if sizes is not None:
        if any(s < 0 for s in sizes):
            raise RuntimeError(
                "split_with_sizes expects split_sizes have only non-negative entries, but "
                f"got split_sizes={list(sizes)}"
            )
        if sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {given_dim}), but got split_sizes={list(sizes)}"
            )
        return _split(x, SplitWithSizes, dim, sizes, given_dim)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )
    count = max(-(-n // size), 1) if size else 1
    pieces = [size] * count
    pieces[-1] = size - (size * count - n)
    return _split(x, Split, dim, pieces, given_dim)


@numpy_names
def chunk(input, chunks, dim=0) -> tuple:  # noqa: A002
    """At most ``chunks`` pieces of equal size along dim (the last may be smaller)."""
    x = _check_tensor("chunk", input)
    chunks = _int(chunks, "chunk", "chunks", 2)
    dim = _int(dim, "chunk", "dim", 3)
    shape = x._data.shape
    if not shape:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    given_dim, dim = dim, _wrap_dim(dim, len(shape))
    n = shape[dim]
    size = -(-n // chunks)
    if size == 0 and n == 0:  # torch: `chunks` empty pieces
        return _split(x, SplitWithSizes, dim, [0] * chunks, given_dim)
    return split(x, size, given_dim)


@numpy_names
def tensor_split(input, indices_or_sections, dim=0) -> tuple:  # noqa: A002
    """``sections`` pieces as equal as possible (the first ones one longer), or the pieces
    between the given indices; each a narrow() view."""
    x = _check_tensor("tensor_split", input)
    shape = x._data.shape
    if not shape:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    dim = _wrap_dim(_int(dim, "tensor_split", "dim", 3), len(shape))
    n = shape[dim]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype != np.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but "
                f"got {_scalar_name(spec._data.dtype)}"
            )
        if spec._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {spec._data.ndim} dims"
            )
        spec = int(spec._data) if spec._data.ndim == 0 else spec._data.tolist()
    if isinstance(spec, (tuple, list)):
        bounds = [min(max(i + n if i < 0 else i, 0), n) for i in _ints(spec, "tensor_split",
                                                                      "indices", 2)]
        starts = [0] + bounds
        ends = bounds + [n]
    else:
        sections = _int(spec, "tensor_split", "sections", 2)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        base, extra = divmod(n, sections)
        sizes = [base + 1] * extra + [base] * (sections - extra)
        ends = np.cumsum(sizes).tolist()
        starts = [0] + ends[:-1]
    return tuple(narrow(x, dim, s, max(e - s, 0)) for s, e in zip(starts, ends, strict=True))


# ---------------------------------------------------------------------------------------
# joining: cat, stack and friends


def _tensor_list(fn: str, tensors) -> tuple:
    if isinstance(tensors, Tensor):
        raise TypeError(
            f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"
        )
    tensors = tuple(tensors)
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type_name(x)}"
            )
    return tensors


def _common_dtype(tensors):
    first = tensors[0]._data.dtype
    if all(x._data.dtype == first for x in tensors):
        return first
    return _dtype.result_type_of(tensors).np


class Cat(Primitive):
    """out = the inputs joined along dim (in their common dtype);  grad_i = the slice of
    grad that input i filled."""

    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim, np_dtype, skip, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        ctx.sizes = [None if s else a.shape[dim] for a, s in zip(arrays, skip, strict=True)]
        parts = [a for a, s in zip(arrays, skip, strict=True) if not s]
        if not parts:
            return np.empty((0,), np_dtype)
        shape = list(parts[0].shape)
        shape[dim] = sum(a.shape[dim] for a in parts)
        # into a C-ordered result: NumPy would follow the inputs' layout (torch does not)
        out = np.empty(shape, np_dtype)
        return np.concatenate(parts, axis=dim, out=out, casting="unsafe")

    @staticmethod
    def backward(ctx, grad):
        grads, offset = [], 0
        for size, needed in zip(ctx.sizes, ctx.needs_input_grad, strict=True):
            if size is None:  # a skipped (0,)-shaped input
                grads.append(wrap(np.zeros((0,), grad._data.dtype)) if needed else None)
                continue
            grads.append(narrow(grad, ctx.dim, offset, size) if needed else None)
            offset += size
        return tuple(grads)


@numpy_names
def cat(tensors, dim=0, *, out=None) -> Tensor:
    """Join tensors along an existing dim. torch's legacy rule: 1-D empty tensors of shape
    (0,) are skipped whatever the others' shapes (they still count for the dtype)."""
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if x._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    skip = tuple(x._data.shape == (0,) for x in tensors)
    if type(dim) is not int:
        dim = _int(dim, "cat", "dim", 2)
    given_dim = dim
    ref = next((x for x, s in zip(tensors, skip, strict=True) if not s), None)
    if ref is not None:
        ref_shape = ref._data.shape
        dim = _wrap_dim(dim, len(ref_shape))
        for i, (x, s) in enumerate(zip(tensors, skip, strict=True)):
            shape = x._data.shape
            if s or shape == ref_shape:
                continue
            if len(shape) != len(ref_shape):
                raise RuntimeError(
                    "Tensors must have same number of dimensions: got "
                    f"{len(ref_shape)} and {len(shape)}"
                )
            for d, (want, got) in enumerate(zip(ref_shape, shape, strict=True)):
                if d != dim and want != got:
                    raise RuntimeError(
                        f"Sizes of tensors must match except in dimension {dim}. Expected "
                        f"size {want} but got size {got} for tensor number {i} in the list."
                    )
    else:
        dim = 0
    result = Cat.apply(*tensors, dim=dim, np_dtype=_common_dtype(tensors), skip=skip,
                       given_dim=given_dim)
    return _cat_out(result, out)


concat = concatenate = cat


class Stack(Primitive):
    """out = the inputs stacked along a new dim (in their common dtype);  grad_i = slice i
    of grad."""

    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim, np_dtype, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
        shape = arrays[0].shape[:dim] + (len(arrays),) + arrays[0].shape[dim:]
        return np.stack(arrays, axis=dim, out=np.empty(shape, np_dtype), casting="unsafe")

    @staticmethod
    def backward(ctx, grad):
        # torch's stack_tensors_backward: one select() view per input (SelectBackward0
        # nodes under create_graph), not one unbind
        dim = ctx.dim
        return tuple(select(grad, dim, i) for i in range(grad._data.shape[dim]))


@numpy_names
def stack(tensors, dim=0, *, out=None) -> Tensor:
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape0 = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shape0:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(shape0)} at entry 0 and {list(x._data.shape)} at entry {i}"
            )
    if type(dim) is not int:
        dim = _int(dim, "stack", "dim", 2)
    given_dim, dim = dim, _wrap_dim(dim, len(shape0) + 1)
    result = Stack.apply(*tensors, dim=dim, np_dtype=_common_dtype(tensors), given_dim=given_dim)
    return _cat_out(result, out)


def _nonempty(fn: str, tensors) -> tuple:
    tensors = _tensor_list(fn, tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors, *, out=None) -> Tensor:
    """Join along dim 1 (dim 0 for 1-D tensors); 0-d tensors count as 1-D."""
    tensors = atleast_1d(_nonempty("hstack", tensors))
    return _cat_out(cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1), out)


def vstack(tensors, *, out=None) -> Tensor:
    """Join along dim 0, after making each tensor at least 2-D (rows)."""
    return _cat_out(cat(atleast_2d(_nonempty("vstack", tensors)), 0), out)


row_stack = vstack


def dstack(tensors, *, out=None) -> Tensor:
    """Join along dim 2, after making each tensor at least 3-D."""
    return _cat_out(cat(atleast_3d(_nonempty("dstack", tensors)), 2), out)


def column_stack(tensors, *, out=None) -> Tensor:
    """Join as columns: 0-d and 1-D tensors become (n, 1) columns first."""
    tensors = _nonempty("column_stack", tensors)
    columns = [reshape(x, (x._data.size, 1)) if x._data.ndim <= 1 else x for x in tensors]
    return _cat_out(cat(columns, 1), out)


def _cat_out(result: Tensor, out) -> Tensor:
    """``out=`` of cat and the stacks (torch writes them all with cat): cast where
    ``can_cast`` allows, else cat's TypeError."""
    from torchlet._ops.pointwise.operands import _out, can_cast

    def error(want, got, field):
        if can_cast(want, got):
            return None
        return TypeError("torch.cat(): input types can't be cast to the desired output type "
                         f"{_dtype.TYPE_WORDS[got.name]}")
    return _out(result, out, "cat", error)


def _atleast(tensors, fix):
    if len(tensors) == 1:
        if isinstance(tensors[0], Tensor):
            return fix(tensors[0])
        tensors = tuple(tensors[0])
    return tuple(fix(x) for x in tensors)


def _at1(x):
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def _at2(x):
    ndim = x._data.ndim
    return reshape(x, (1, 1)) if ndim == 0 else unsqueeze(x, 0) if ndim == 1 else x


def _at3(x):
    ndim = x._data.ndim
    if ndim == 0:
        return reshape(x, (1, 1, 1))
    if ndim == 1:
        return unsqueeze(unsqueeze(x, 0), -1)
    return unsqueeze(x, -1) if ndim == 2 else x


def atleast_1d(*tensors):
    """0-d tensors as shape (1,); others unchanged. One tensor in, one out."""
    return _atleast(tensors, _at1)


def atleast_2d(*tensors):
    """0-d as (1, 1), 1-D (n,) as (1, n); others unchanged."""
    return _atleast(tensors, _at2)


def atleast_3d(*tensors):
    """0-d as (1, 1, 1), (n,) as (1, n, 1), (m, n) as (m, n, 1); others unchanged."""
    return _atleast(tensors, _at3)

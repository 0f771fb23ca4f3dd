"""Views that rearrange a whole tensor: view, reshape, flatten, unflatten, squeeze,
unsqueeze, permute, transpose, t, movedim, expand; and clone/contiguous, the copies
reshape falls back on.

Each returns a NumPy view of the input's array marked with ``make_view`` (shared version
counter); the backward rearranges the gradient back."""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from torchlet import _dtype
from torchlet._device import on_meta
from torchlet._numpy_names import numpy_names
from torchlet._ops.shape.common import (
    _check_tensor,
    _int,
    _ints,
    _tensor_strides,
    _type_name,
    _unique_dims,
    check_memory_format,
    empty_in_layout,
    in_layout,
    movedim_dims,
    squeeze_dim,
)
from torchlet._tensor import _NO_DIM, Tensor, _wrap_dim, make_view
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# view and reshape


def _infer_shape(shape: tuple, numel: int):
    """Resolve one ``-1`` in ``shape`` (a tuple of ints) and check the element count, with
    torch's errors."""
    infer = -1
    known = 1
    for i, s in enumerate(shape):
        if s >= 0:
            known *= s
        elif s == -1:
            if infer >= 0:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        else:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    if infer < 0:
        if known == numel:
            return shape
    elif known > 0 and numel % known == 0:
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    elif known == 0 and numel == 0:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous"
        )
    raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that view ``old`` as ``new_shape`` without copying, or None.

    torch's rule (``computeStride``): dimensions may be merged only when they are
    contiguous with each other; split dimensions inherit their chunk's stride.
    """
    if not old_shape:
        return tuple(1 for _ in new_shape)  # a scalar views as any all-ones shape
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0:  # nothing to address: the same strides for the same shape (as
        if tuple(old_shape) == tuple(new_shape):  # NumPy), else contiguous ones
            return tuple(old_strides)
        strides, step = [], 1
        for s in reversed(new_shape):
            strides.append(step)
            step *= max(s, 1)
        return tuple(reversed(strides))
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_strides[-1]
    tensor_numel = 1
    view_numel = 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        if tensor_d == 0 or (
            old_shape[tensor_d - 1] != 1
            and old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride
        ):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_strides[tensor_d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(new_strides)


def _as_view(a: np.ndarray, shape, strides, reshape_is_view: bool = False) -> np.ndarray:
    """A view of ``a`` with ``shape`` and torch's element ``strides``.

    ``a.reshape`` is the fast way, but it is a view only for contiguous arrays (or when
    only size-1 dims change), and NumPy may pick other strides for size-1 dims (any
    stride addresses the same elements there; torch's show in ``stride()``).
    """
    itemsize = a.itemsize
    if reshape_is_view or a.flags.c_contiguous:
        out = a.reshape(shape)
        if 1 not in shape and a.size:  # the strides of longer dims are forced (an empty
            return out  # array's are NumPy's choice)
        want = tuple(s * itemsize for s in strides)
        if out.strides == want:
            return out
    else:
        want = tuple(s * itemsize for s in strides)
    return np.lib.stride_tricks.as_strided(a, shape, want, writeable=a.flags.writeable)


class View(Primitive):
    """out = a viewed with a new shape (no copy);  grad_a = grad reshaped back."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, *, shape, strides):
        ctx.in_shape = a.shape
        return _as_view(a, shape, strides)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


class ReshapeAlias(View):
    """View as reshape makes it of a non-contiguous tensor (torch's ``_reshape_alias``);
    the same math as View."""

    node_name = "ReshapeAliasBackward0"


class UnsafeView(Primitive):
    """out = a fresh contiguous copy given a new shape (what reshape does after cloning a
    tensor it cannot view);  grad_a = grad reshaped back."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


def _view_or_none(x: Tensor, shape):
    strides = _view_strides(x._data.shape, _tensor_strides(x), shape)
    if strides is None:
        return None
    return make_view(View.apply(x, shape=shape, strides=strides), x)


def view(input, shape) -> Tensor:  # noqa: A002
    """Tensor.view(shape) (torch has no function view); Tensor.view reads the sizes as
    torch's parser does, with its own argument's name and position."""
    x = input
    if type(shape) is not tuple:  # (a tuple comes from Tensor.view's parser, or from code
        shape = _ints(shape, "view", "size", 1)  # here that computed its ints)
    shape = _infer_shape(shape, x._data.size)
    out = _view_or_none(x, shape)
    if out is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return out


def reshape(input, shape) -> Tensor:  # noqa: A002
    """A view when the strides allow one (as ``view``), else a contiguous copy."""
    x = _check_tensor("reshape", input)
    shape = _infer_shape(_ints(shape, "reshape", "shape", 2), x._data.size)
    strides = _view_strides(x._data.shape, _tensor_strides(x), shape)
    if strides is not None:
        # torch views a contiguous tensor (ViewBackward0), else calls _reshape_alias
        # (c_contiguous is torch's is_contiguous: the strides of size-1 dims are free)
        kind = View if x._data.flags.c_contiguous else ReshapeAlias
        return make_view(kind.apply(x, shape=shape, strides=strides), x)
    # torch: clone(contiguous_format), then _unsafe_view (not a view)
    return UnsafeView.apply(Clone.apply(x, memory_format=_dtype.contiguous_format), shape=shape)


def flatten(input, start_dim=0, end_dim=-1) -> Tensor:  # noqa: A002
    x = _check_tensor("flatten", input)
    if type(start_dim) is not int or type(end_dim) is not int:
        start_dim = _int(start_dim, "flatten", "start_dim", 2)
        end_dim = _int(end_dim, "flatten", "end_dim", 3)
    shape = x._data.shape
    ndim = len(shape)
    start, end = _wrap_dim(start_dim, ndim), _wrap_dim(end_dim, ndim)
    if ndim == 0:
        return reshape(x, (1,))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return x  # torch returns the tensor itself
    merged = 1
    for s in shape[start:end + 1]:
        merged *= s
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


@numpy_names
def unflatten(input, dim, sizes) -> Tensor:  # noqa: A002
    x = _check_tensor("unflatten", input)
    dim = _int(dim, "unflatten", "dim", 2)
    sizes = _ints(sizes, "unflatten", "sizes", 3)
    shape = x._data.shape
    # torch's order: wrap dim (a 0-d tensor accepts -1 and 0, else IndexError), then
    # the sizes check, then size(dim), which a 0-d tensor has not (named by wrapped dim)
    dim = _wrap_dim(dim, len(shape))
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if not shape:
        raise RuntimeError(
            "unflatten got an unexpected error:\n"
            f"Dimension specified as {dim} but tensor has no dimensions"
        )
    try:
        inferred = _infer_shape(sizes, shape[dim])
    except RuntimeError as e:
        if "is invalid for input of size" in str(e):
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of "
                f"dim {dim} ({shape[dim]}) in the input tensor"
            ) from None
        raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
    return view(x, shape[:dim] + inferred + shape[dim + 1:])


def ravel(input) -> Tensor:  # noqa: A002
    """The elements as a 1-D tensor: a view if contiguous, else a view of a copy."""
    return view(contiguous(_check_tensor("ravel", input)), (-1,))


# ---------------------------------------------------------------------------------------
# squeeze, unsqueeze


class Squeeze(Primitive):
    """out = a without its size-1 dims ``dims`` (a view);  grad_a = grad with them put
    back, one unsqueeze each (torch's ``unsqueeze_to``: a view of grad, whose strides
    then show through, not a reshaped copy)."""

    node_name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, a, *, shape, strides, dims, given_dim=None):
        ctx.dims = dims
        ctx.given_dim = given_dim  # the dim(s) as the caller gave them (torch's _saved_dim)
        return _as_view(a, shape, strides, reshape_is_view=True)  # size-1 dims only

    @staticmethod
    def backward(ctx, grad):
        for dim in ctx.dims:  # (ascending: each lands where it was)
            grad = unsqueeze(grad, dim)
        return grad


class SqueezeDim(Squeeze):
    """out = a without dim if its size is 1 (a view);  grad_a = grad unsqueezed there."""

    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    """out = a without the listed dims of size 1 (a view);  grad_a = grad unsqueezed."""

    node_name = "SqueezeBackward2"


class Unsqueeze(Squeeze):
    """out = a with a new size-1 dim ``dims[0]`` (a view);  grad_a = grad squeezed there."""

    node_name = "UnsqueezeBackward0"

    @staticmethod
    def backward(ctx, grad):
        given = ctx.given_dim  # (torch's grad.squeeze(dim): the dim as given)
        return squeeze(grad, ctx.dims[0] if given is None else given)


@numpy_names
def squeeze(input, dim=_NO_DIM) -> Tensor:  # noqa: A002
    x = _check_tensor("squeeze", input)
    shape = x._data.shape
    ndim = len(shape)
    dims: Sequence[int]
    given_dim = None
    if dim is _NO_DIM:
        primitive, dims = Squeeze, range(ndim)
    else:
        if type(dim) is not int:
            dim = squeeze_dim(dim, x)
        if type(dim) is tuple:
            primitive, dims = SqueezeDims, _unique_dims(dim, ndim)
        else:
            primitive, dims = SqueezeDim, (_wrap_dim(dim, ndim),)
        given_dim = dim
    kept = [i for i, s in enumerate(shape) if not (s == 1 and i in dims)]
    dropped = tuple(i for i, s in enumerate(shape) if s == 1 and i in dims)
    strides = _tensor_strides(x)
    return make_view(primitive.apply(x, shape=tuple(shape[i] for i in kept),
                                     strides=tuple(strides[i] for i in kept),
                                     dims=dropped, given_dim=given_dim), x)


@numpy_names
def unsqueeze(input, dim) -> Tensor:  # noqa: A002
    x = _check_tensor("unsqueeze", input)
    shape = x._data.shape
    if type(dim) is not int:
        dim = _int(dim, "unsqueeze", "dim", 2)
    given_dim, dim = dim, _wrap_dim(dim, len(shape) + 1)
    strides = _tensor_strides(x)
    # torch: the new dim's stride is that of a contiguous layout at that place
    new = shape[dim] * strides[dim] if dim < len(shape) else 1
    return make_view(Unsqueeze.apply(x, shape=shape[:dim] + (1,) + shape[dim:],
                                     strides=strides[:dim] + (new,) + strides[dim:],
                                     dims=(dim,), given_dim=given_dim), x)


# ---------------------------------------------------------------------------------------
# reordering dimensions


class Permute(Primitive):
    """out = a with its dimensions reordered (a view);  grad_a = grad with the inverse order."""

    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, *, dims, given_dim=None):
        ctx.inverse = tuple(np.argsort(dims).tolist())
        ctx.given_dim = given_dim  # the dims as the caller gave them (torch's _saved_dims)
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return permute_ints(grad, ctx.inverse)


class Transpose(Primitive):
    """out = a with two dimensions swapped (a view);  grad_a = grad swapped back."""

    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a, *, dim0, dim1, given_dim=None):
        ctx.dims = (dim0, dim1)
        ctx.given_dim = given_dim  # (dim0, dim1) as the caller gave them (torch's _saved_*)
        return np.swapaxes(a, dim0, dim1) if a.ndim else a.view()

    @staticmethod
    def backward(ctx, grad):
        return transpose(grad, *(ctx.given_dim or ctx.dims))  # (torch's: dims as given)


class T(Primitive):
    """out = a tensor of at most 2 dims transposed (a view);  grad_a = grad transposed."""

    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.T

    @staticmethod
    def backward(ctx, grad):
        return t(grad)


class Alias(Primitive):
    """out = a (a view of all of it);  grad_a = grad."""

    node_name = "AliasBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.view()

    @staticmethod
    def backward(ctx, grad):
        return grad


def permute(input, dims) -> Tensor:  # noqa: A002
    return permute_ints(_check_tensor("permute", input), _ints(dims, "permute", "dims", 2))


def permute_ints(x: Tensor, dims: tuple) -> Tensor:
    """``permute`` of ``dims`` already read as a tuple of ints (by Tensor.permute's
    parser, or computed: the backward's), so that they are not read twice."""
    ndim = x._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    given_dim, dims = dims, tuple(_wrap_dim(d, ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return make_view(Permute.apply(x, dims=dims, given_dim=given_dim), x)


def transpose(input, dim0, dim1) -> Tensor:  # noqa: A002
    x = _check_tensor("transpose", input)
    ndim = x._data.ndim
    if type(dim0) is not int or type(dim1) is not int:
        dim0, dim1 = _int(dim0, "transpose", "dim0", 2), _int(dim1, "transpose", "dim1", 3)
    given_dim = (dim0, dim1)
    dim0, dim1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    return make_view(Transpose.apply(x, dim0=dim0, dim1=dim1, given_dim=given_dim), x)


swapaxes = swapdims = transpose


def t(input) -> Tensor:  # noqa: A002
    x = _check_tensor("t", input)
    if x._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D"
        )
    return make_view(T.apply(x), x)


def movedim(input, source, destination) -> Tensor:  # noqa: A002
    """Move the dims ``source`` to the positions ``destination``; the others keep their
    order (a permute)."""
    x = _check_tensor("movedim", input)
    ndim = x._data.ndim
    src, dst = movedim_dims(source, destination, x)
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    wrapped_src = [_wrap_dim(d, ndim) for d in src]
    wrapped_dst = [_wrap_dim(d, ndim) for d in dst]
    if ndim == 0:
        return make_view(Alias.apply(x), x)
    if len(set(wrapped_src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(wrapped_dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    order = [d for d in range(ndim) if d not in wrapped_src]
    for d, s in sorted(zip(wrapped_dst, wrapped_src, strict=True)):
        order.insert(d, s)
    return make_view(Permute.apply(x, dims=tuple(order)), x)


moveaxis = movedim


# ---------------------------------------------------------------------------------------
# broadcasting


def broadcast_scalar(a: np.ndarray, shape) -> np.ndarray:
    """The 0-d array ``a`` seen with ``shape`` (all strides 0; read-only if it repeats)."""
    out = np.ndarray(shape, a.dtype, a, 0, (0,) * len(shape))
    if out.size > 1:
        out.setflags(write=False)  # (faster than out.flags.writeable = False)
    return out


class Expand(Primitive):
    """out = a broadcast to a larger shape (a view);  grad_a = grad summed back (the
    engine's sum_to does the summing)."""

    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        ndim = a.ndim
        if ndim == 0 and 1 not in shape:  # a full reduction's 0-d gradient
            return broadcast_scalar(a, shape)
        lead = len(shape) - ndim
        in_shape = a.shape
        strides = list(a.strides)
        # Elements repeated along a broadcast dim share memory: torch refuses in-place
        # writes into such a tensor, and a read-only array makes NumPy refuse too.
        overlaps = False
        for i in range(ndim):
            target = shape[lead + i]
            if in_shape[i] == 1 and target != 1:
                strides[i] = 0
                overlaps = overlaps or target > 1
        if lead:
            # new leading dims: stride 0, except that torch gives one of size 1 the stride
            # it would have in a contiguous layout (visible only through .stride())
            size, stride = (shape[lead], strides[0]) if ndim else (1, 0)
            new = []
            for target in reversed(shape[:lead]):
                stride = size * stride if target == 1 else 0
                overlaps = overlaps or target > 1
                size = target
                new.append(stride)
            strides = new[::-1] + strides
        if not a.flags.c_contiguous:
            return np.lib.stride_tricks.as_strided(
                a, shape, strides, writeable=a.flags.writeable and not overlaps
            )
        # The same view as np.broadcast_to, built directly: 4x faster, and this runs in
        # the backward of every sum and mean.
        out = np.ndarray(shape, a.dtype, a, 0, strides)
        if overlaps:
            out.setflags(write=False)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def expand(input, sizes) -> Tensor:  # noqa: A002
    x = _check_tensor("expand", input)
    sizes = tuple(sizes)
    current = x._data.shape
    ndim = len(current)
    lead = len(sizes) - ndim
    if lead < 0:
        raise RuntimeError(
            f"expand({_type_name(x)}{{{list(current)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({len(sizes)}) must be greater or equal to the number of "
            f"dimensions in the tensor ({ndim})"
        )
    shape = list(sizes)
    for i in range(len(sizes) - 1, -1, -1):  # from the last dim, as torch (its errors say so)
        s = sizes[i]
        if type(s) is not int:
            s = shape[i] = operator.index(s)
        if i < lead:
            if s == -1 and ndim:  # (torch's 0-d path lets it through, to the check below)
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    f"non-existing dimension {i}"
                )
            continue
        have = current[i - lead]
        if s == have:
            continue
        if s == -1:
            shape[i] = have
        elif have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size "
                f"({have}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(current)}"
            )
    if any(s < 0 for s in shape):  # torch lets other negative sizes through to here
        raise RuntimeError("numel: integer multiplication overflow")
    return make_view(Expand.apply(x, shape=tuple(shape)), x)


def broadcast_to(input, size) -> Tensor:  # noqa: A002
    return expand(_check_tensor("broadcast_to", input), _ints(size, "broadcast_to", "size", 2))


def broadcast_shapes(*shapes):
    """The shape that all ``shapes`` broadcast to (torch.Size), as torch's
    ``_refs._broadcast_shapes``: None entries are skipped, an int is a 1-D shape, the
    result starts as all ones (which its error message shows) and each shape in turn
    must equal it or broadcast against it."""
    from torchlet._size import Size

    shapes = tuple((s,) if isinstance(s, int) else s for s in shapes if s is not None)
    if not shapes:
        return Size([])
    for shape in shapes:
        if not isinstance(shape, Sequence):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a "
                               f"list of ints, got {shape}")
    common = [1] * max(len(shape) for shape in shapes)
    for i, shape in enumerate(shapes):
        for d in range(-1, -1 - len(shape), -1):
            if shape[d] == common[d]:
                continue
            if common[d] == 1:
                if shape[d] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[d] = shape[d]
            if shape[d] != 1 and common[d] != shape[d]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[d]} at {d}! "
                    f"Mismatching argument at index {i} had {shape}; but expected shape "
                    f"should be broadcastable to {common}"
                )
    return Size(common)


def broadcast_tensors(*tensors) -> tuple:
    """Each tensor expanded to the common shape (tensors of that shape returned as is)."""
    if len(tensors) == 1 and isinstance(tensors[0], (tuple, list)):
        tensors = tuple(tensors[0])
    from torchlet._ops.indexing._common import broadcast_shapes as infer_size

    shape: tuple[int, ...] = ()
    for x in tensors:  # torch's error names the first mismatch from the last dimension
        shape = infer_size(shape, x._data.shape)
    return tuple(x if x._data.shape == shape else expand(x, shape) for x in tensors)


# ---------------------------------------------------------------------------------------
# copies: clone, contiguous


class Clone(Primitive):
    """out = a copy of a (in a's memory order, or the ``memory_format`` asked for);
    grad_a = grad."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a, *, memory_format=None):
        if memory_format is None and a.flags.c_contiguous and a.size:  # the usual clone()
            out = a.copy()
            if out.strides == a.strides:  # (else size-1 dims with torch's strides)
                return out
        if on_meta(a):  # (its strides are all zero: not C-contiguous, yet no copy to make)
            return a.copy()
        out = empty_in_layout(a, a.dtype, memory_format)
        np.copyto(out, a)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None) -> Tensor:  # noqa: A002
    """A copy, laid out as ``memory_format``: the default ``torch.preserve_format`` keeps
    the input's memory order, ``torch.contiguous_format`` is C order."""
    x = _check_tensor("clone", input)
    check_memory_format(memory_format, "clone")
    return Clone.apply(x, memory_format=memory_format)


def contiguous(input, memory_format=None) -> Tensor:  # noqa: A002
    """The tensor itself if already laid out as ``memory_format`` (C order by default),
    else a copy that is (a clone)."""
    if memory_format is not None:
        check_memory_format(memory_format, "contiguous")
    if in_layout(input._data, memory_format):
        return input
    if memory_format is _dtype.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return Clone.apply(input, memory_format=memory_format or _dtype.contiguous_format)

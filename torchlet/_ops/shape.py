"""Shape operations: views (view, reshape, transpose, permute, expand, squeeze, ...),
joins and splits (cat, stack, split, chunk, unbind) and copies (clone, contiguous, flip,
roll, repeat, tril, triu).

Views return NumPy views of the input's array and share its version counter, as torch's
views share storage. Their backward is the inverse reshuffle of the gradient.
"""

from __future__ import annotations

import numpy as np

from torchlet._tensor import Tensor, _wrap_dim, make_view, wrap
from torchlet.autograd.function import Primitive


def _check_tensor(name: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}"
        )
    return x


# ---------------------------------------------------------------------------------------
# views


def _infer_shape(shape, numel: int):
    """Resolve one ``-1`` in ``shape`` and check the element count, with torch's errors."""
    shape = tuple(int(s) for s in shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that view ``old`` as ``new_shape`` without copying, or None.

    torch's rule (``computeStride``): dimensions may be merged only when they are
    contiguous with each other; split dimensions inherit their chunk's stride.
    """
    if not old_shape:
        return tuple(0 for _ in new_shape)  # a scalar views as any all-ones shape
    numel = int(np.prod(old_shape))
    if numel == 0:
        return tuple(np.cumprod((1,) + tuple(new_shape[:0:-1]))[::-1]) if new_shape else ()
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


def _as_view(array: np.ndarray, shape, element_strides) -> np.ndarray:
    itemsize = array.itemsize
    return np.lib.stride_tricks.as_strided(
        array, shape, tuple(s * itemsize for s in element_strides),
        writeable=array.flags.writeable,
    )


class View(Primitive):
    """out = a viewed with a new shape (no copy);  grad_a = grad viewed back."""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, *, shape, strides):
        ctx.in_shape = a.shape
        if strides is None:
            return a.reshape(shape)
        if a.flags.c_contiguous:
            return a.reshape(shape)
        return _as_view(a, shape, strides)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


class Reshape(Primitive):
    """out = a copied into a new shape (when no view is possible);  grad_a = grad reshaped."""

    node_name = "ViewBackward0"  # torch's reshape of a copy shows the view of the clone

    @staticmethod
    def forward(ctx, a, *, shape):
        ctx.in_shape = a.shape
        return np.reshape(np.ascontiguousarray(a), shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape)


def view(input, shape) -> Tensor:  # noqa: A002
    x = input
    shape = _infer_shape(shape, x._data.size)
    strides = _view_strides(x._data.shape, _element_strides(x._data), shape)
    if strides is None:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return make_view(View.apply(x, shape=shape, strides=strides), x)


def reshape(input, shape) -> Tensor:  # noqa: A002
    x = _check_tensor("reshape", input)
    shape = _infer_shape(shape, x._data.size)
    strides = _view_strides(x._data.shape, _element_strides(x._data), shape)
    if strides is None:
        return Reshape.apply(x, shape=shape)
    return make_view(View.apply(x, shape=shape, strides=strides), x)


def _element_strides(array: np.ndarray):
    itemsize = array.itemsize
    return tuple(s // itemsize for s in array.strides)


class Expand(Primitive):
    """out = a broadcast to a larger shape (a read-only view);  grad_a = grad summed back
    (the engine's sum_to does the summing)."""

    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, *, shape):
        if not a.flags.c_contiguous:
            return np.broadcast_to(a, shape)
        # The same read-only view as np.broadcast_to, built directly: 4x faster, and
        # this runs in the backward of every sum and mean.
        lead = len(shape) - a.ndim
        strides = (0,) * lead + tuple(
            0 if size == 1 and target != 1 else stride
            for size, stride, target in zip(a.shape, a.strides, shape[lead:])
        )
        out = np.ndarray(shape, a.dtype, a, 0, strides)
        out.flags.writeable = False
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def expand(input, sizes) -> Tensor:  # noqa: A002
    x = input
    sizes = tuple(int(s) for s in sizes)
    ndim = x._data.ndim
    if len(sizes) < ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(x._data.shape)}}}, size={list(sizes)}): the "
            "number of sizes provided "
            f"({len(sizes)}) must be greater or equal to the number of dimensions in the "
            f"tensor ({ndim})"
        )
    lead = len(sizes) - ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, "
                    "non-existing dimension " f"{i}"
                )
            shape.append(s)
            continue
        current = x._data.shape[i - lead]
        if s == -1:
            s = current
        elif current != s and current != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size "
                f"({current}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(x._data.shape)}"
            )
        shape.append(s)
    shape = tuple(shape)
    if shape == x._data.shape:
        return make_view(View.apply(x, shape=shape, strides=None), x)
    return make_view(Expand.apply(x, shape=shape), x)


def broadcast_to(input, size) -> Tensor:  # noqa: A002
    return expand(input, size)


class Permute(Primitive):
    """out = a with its dimensions reordered (a view);  grad_a = grad with the inverse order."""

    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, *, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.dims)))


class Transpose(Primitive):
    """out = a with two dimensions swapped (a view);  grad_a = grad swapped back."""

    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a, *, dim0, dim1):
        ctx.dims = (dim0, dim1)
        return np.swapaxes(a, dim0, dim1)

    @staticmethod
    def backward(ctx, grad):
        return transpose(grad, *ctx.dims)


def permute(input, dims) -> Tensor:  # noqa: A002
    x = input
    ndim = x._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_wrap_dim(int(d), ndim) for d in dims)
    if len(set(dims)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return make_view(Permute.apply(x, dims=dims), x)


def transpose(input, dim0, dim1) -> Tensor:  # noqa: A002
    x = input
    ndim = x._data.ndim
    dim0, dim1 = _wrap_dim(dim0, ndim), _wrap_dim(dim1, ndim)
    if ndim == 0:
        return make_view(View.apply(x, shape=(), strides=None), x)
    return make_view(Transpose.apply(x, dim0=dim0, dim1=dim1), x)


swapaxes = swapdims = transpose


class T(Primitive):
    """out = a 2-D tensor transposed (a view);  grad_a = grad transposed."""

    node_name = "TBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.T

    @staticmethod
    def backward(ctx, grad):
        return t(grad)


def t(input) -> Tensor:  # noqa: A002
    x = input
    if x._data.ndim > 2:
        raise RuntimeError(
            f"t() expects a tensor with <= 2 dimensions, but self is {x._data.ndim}D"
        )
    return make_view(T.apply(x), x)


class Unbind(Primitive):
    """outs = the slices of a along dim (views);  grad_a = the grads stacked (zeros for
    slices that got none)."""

    node_name = "UnbindBackward0"
    materialize_grads = True

    @staticmethod
    def forward(ctx, a, *, dim):
        ctx.dim = dim
        ctx._output_meta = [(a.shape[:dim] + a.shape[dim + 1:], a.dtype)] * a.shape[dim]
        return tuple(a[(slice(None),) * dim + (i,)] for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.dim)


def unbind(input, dim=0):  # noqa: A002
    x = input
    dim = _wrap_dim(dim, x._data.ndim)
    outs = Unbind.apply(x, dim=dim)
    return tuple(make_view(o, x) for o in outs)


class Stack(Primitive):
    """out = the inputs stacked along a new dim;  grad_i = slice i of grad."""

    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        return unbind(grad, ctx.dim)


def stack(tensors, dim=0) -> Tensor:
    tensors = tuple(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape0 = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != shape0:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(shape0)} at entry 0 and {list(t_._data.shape)} at entry {i}"
            )
    dim = _wrap_dim(dim, len(shape0) + 1)
    return Stack.apply(*_common(tensors), dim=dim)


def _common(tensors):
    from torchlet import _dtype
    from torchlet._ops.pointwise.operands import _cast

    common = _dtype.result_type_of(tensors).np
    return [_cast(t_, common) for t_ in tensors]


# ---------------------------------------------------------------------------------------
# copies


class Clone(Primitive):
    """out = a copy of a;  grad_a = grad."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None) -> Tensor:  # noqa: A002
    return Clone.apply(_check_tensor("clone", input))


def contiguous(input) -> Tensor:  # noqa: A002
    """The tensor itself if already contiguous, else a contiguous copy (a clone)."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


# ---------------------------------------------------------------------------------------
# undoing broadcasting


def sum_to_size(input, size) -> Tensor:  # noqa: A002
    """Sum ``input`` down to ``size``, the inverse of broadcasting (used by the engine)."""
    from torchlet._ops.reduction import sum as sum_

    x = input
    size = tuple(size)
    shape = x._data.shape
    if shape == size:
        return x
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1
    )
    if not dims:
        return reshape(x, size)
    out = sum_(x, dims, keepdim=True)
    if lead:
        out = reshape(out, size)
    return out

"""Views by explicit geometry (as_strided, unfold), tensors made with explicit strides
(empty_strided), the legacy ``Tensor.new`` constructor, and resize_/resize_as_.

A tensor's *storage* is the memory of the tensor it is a view of (its ``_base``, or
itself): a flat run of elements that ``as_strided`` addresses with a size, element
strides and an element offset, as torch does. The gradient of such a view goes through
the storage: scatter-add the output's gradient into a zero storage at the output's
element positions, then read it back at the input's positions, so elements that several
overlapping windows share get the sum of their gradients.
"""

from __future__ import annotations

import operator

import numpy as np

from torchlet._device import meta_array
from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._ops.shape.common import _check_tensor, _element_strides, _int, _ints
from torchlet._runtime import fill_uninitialized
from torchlet._tensor import Tensor, _wrap_dim, make_view, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# storages and element positions


def _address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def _flat_storage(x: Tensor) -> np.ndarray:
    """The storage of ``x`` as a 1-D array (a view: writes go to ``x``'s memory)."""
    root = x._base._data if x._base is not None else x._data
    if root.itemsize != x._data.itemsize:
        raise RuntimeError(
            "as_strided: torchlet cannot address the storage of a tensor viewed as a dtype "
            "of another element size"
        )
    if root.flags.c_contiguous:
        return root.reshape(-1)
    expected = root.itemsize
    for stride, size in sorted((s, n) for s, n in zip(root.strides, root.shape) if n != 1):
        if stride != expected:
            raise RuntimeError(
                "as_strided: torchlet needs the base tensor to be dense in memory; clone() it"
            )
        expected *= size
    return np.lib.stride_tricks.as_strided(
        root, (root.size,), (root.itemsize,), writeable=root.flags.writeable
    )


def _offset_in(x: Tensor, flat: np.ndarray) -> int:
    return (_address(x._data) - _address(flat)) // flat.itemsize


def _positions(shape, strides, offset: int) -> np.ndarray:
    """The storage position of every element of a (shape, strides, offset) geometry."""
    pos = np.full(shape, offset, np.int64)
    for d, (size, stride) in enumerate(zip(shape, strides, strict=True)):
        pos += (np.arange(size, dtype=np.int64) * stride).reshape(
            (size,) + (1,) * (len(shape) - d - 1)
        )
    return pos


# ---------------------------------------------------------------------------------------
# as_strided


class AsStridedView(Primitive):
    """out = the elements of a's storage at (size, stride, offset) (a view);
    grad_a = grad scatter-added into a zero storage, read back at a's own positions
    (divided by their multiplicity where a's own elements overlap)."""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, a, *, flat, size, stride, offset, in_offset, offset_given=True):
        ctx.geometry = (flat.size, a.shape, _element_strides(a), in_offset, size, stride, offset)
        ctx.offset_given = offset_given  # (the node's _saved_storage_offset is None if not)
        itemsize = flat.itemsize
        overlaps = any(n > 1 and s == 0 for n, s in zip(size, stride, strict=True))
        return np.lib.stride_tricks.as_strided(
            flat[offset:], size, tuple(s * itemsize for s in stride),
            writeable=flat.flags.writeable and not overlaps,
        )

    @staticmethod
    def backward(ctx, grad):
        """torch's as_strided_backward, step by step (under create_graph its nodes show:
        SqueezeBackward1 / SumBackward1, IndexAddBackward0 or CopySlices, DivBackward0,
        AsStridedBackward0): drop the output's size-1 dims and sum its stride-0 ones; into
        a zero storage, index_add grad at the output's positions (copy_ into the output's
        window where they do not overlap); where the input's own positions overlap,
        divide by how often each occurs; read back with the input's geometry."""
        _, in_shape, in_strides, in_offset, size, stride, offset = ctx.geometry
        if 0 in size or 0 in in_shape:
            return wrap(np.zeros(in_shape, grad._data.dtype))
        out_sizes, out_strides = [], []
        for i in reversed(range(len(size))):
            if size[i] == 1:
                grad = grad.squeeze(i)
            elif stride[i] == 0:
                grad = grad.sum(i)
            else:
                out_sizes.insert(0, size[i])
                out_strides.insert(0, stride[i])
        kept = [(n, s) for n, s in zip(in_shape, in_strides, strict=True) if n != 1]
        inp_sizes, inp_strides = [n for n, _ in kept], [s for _, s in kept]
        shared = min(in_offset, offset)
        in_offset, offset = in_offset - shared, offset - shared
        base = max(_min_storage_size(inp_sizes, inp_strides, in_offset),
                   _min_storage_size(out_sizes, out_strides, offset))
        storage = wrap(np.zeros(base, grad._data.dtype))
        if _maybe_overlapping(out_sizes, out_strides):
            positions = _positions(out_sizes, out_strides, offset).reshape(-1)
            storage.index_add_(0, wrap(positions), grad.reshape(-1))
        else:
            storage.as_strided(out_sizes, out_strides, offset).copy_(grad)
        if _maybe_overlapping(inp_sizes, inp_strides):
            positions = _positions(inp_sizes, inp_strides, in_offset).reshape(-1)
            count = np.bincount(positions, minlength=base).astype(grad._data.dtype)
            storage.div_(wrap(count))  # (0/0 outside the input: never read)
        return storage.as_strided(in_shape, in_strides, in_offset)


def _maybe_overlapping(sizes, strides) -> bool:
    """torch's _maybe_overlapping_memory: whether some stride (in increasing order) is
    within the span of the smaller ones (sizes here are all > 1)."""
    span = 0
    for stride, size in sorted(zip(strides, sizes, strict=True), key=lambda p: p[0]):
        if stride <= span:
            return True
        span += stride * (size - 1)
    return False


def _min_storage_size(sizes, strides, offset: int) -> int:
    return offset + 1 + sum((n - 1) * s for n, s in zip(sizes, strides, strict=True))


def _storage_check(size, stride, offset: int, itemsize: int, storage_numel: int) -> None:
    if any(s < 0 for s in size):
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(size)} and "
            f"strides={list(stride)}"
        )
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    needed = 0 if 0 in size else offset + 1 + sum((n - 1) * s for n, s in zip(size, stride,
                                                                                strict=True))
    if needed > storage_numel:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, "
            f"and itemsize {itemsize} requiring a storage size of {needed * itemsize} are out "
            f"of bounds for storage of size {storage_numel * itemsize}"
        )


def strided_geometry(fn: str, size, stride) -> tuple:
    """``size`` and ``stride`` of ``fn`` (as_strided and its in-place form) as int tuples,
    with torch's checks: one stride per dim, none negative."""
    size = _ints(size, fn, "size", 2)
    stride = _ints(stride, fn, "stride", 3)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"as_strided: Negative strides are not supported at the moment, got strides: "
            f"{list(stride)}"
        )
    return size, stride


def as_strided(input, size, stride, storage_offset=None) -> Tensor:  # noqa: A002
    """A view of ``input``'s storage with the given size, element strides and element
    offset (default: ``input``'s own offset). Overlapping windows are allowed."""
    x = _check_tensor("as_strided", input)
    size, stride = strided_geometry("as_strided", size, stride)
    flat = _flat_storage(x)
    in_offset = _offset_in(x, flat)
    offset = in_offset if storage_offset is None else _int(
        storage_offset, "as_strided", "storage_offset", 4)
    _storage_check(size, stride, offset, flat.itemsize, flat.size)
    out = AsStridedView.apply(x, flat=flat, size=size, stride=stride, offset=offset,
                              in_offset=in_offset, offset_given=storage_offset is not None)
    return make_view(out, x)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """An uninitialised tensor with the given size and element strides (its own storage,
    just large enough; torchlet fills it with zeros, or as torch under
    ``use_deterministic_algorithms(True)``: NaN or the largest integer)."""
    from torchlet import _dtype

    size = _ints(size, "empty_strided", "size", 1)
    stride = _ints(stride, "empty_strided", "stride", 2)
    if layout is not None:
        from torchlet._ops.creation import check_layout  # (creation imports shape)

        check_layout(layout, "empty_strided")
    if pin_memory is not False or (requires_grad is not False and requires_grad is not True):
        from torchlet._ops.creation import _on_meta, check_flags

        check_flags("empty_strided", requires_grad, pin_memory, _on_meta(device))
    if len(size) != len(stride):
        raise RuntimeError(
            f"dimensionality of sizes ({len(size)}) must match dimensionality of strides "
            f"({len(stride)})"
        )
    bad = next((s for s in size if s < 0), None)
    if bad is not None:
        raise RuntimeError(
            f"Trying to create tensor with negative dimension {bad}: {list(size)}"
        )
    if any(s < 0 for s in stride):
        raise RuntimeError(
            f"Storage size calculation overflowed with sizes={list(size)} and "
            f"strides={list(stride)}"
        )
    np_dtype = (_dtype.to_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()).np
    from torchlet._ops.creation import _on_meta

    if _on_meta(device):  # (no memory to lay out: the shape and dtype only)
        out = wrap(meta_array(size, np_dtype))
        return out.requires_grad_(True) if requires_grad else out
    needed = 0 if 0 in size else 1 + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    storage = fill_uninitialized(np.zeros(needed, np_dtype))
    data = np.lib.stride_tricks.as_strided(
        storage, size, tuple(s * storage.itemsize for s in stride),
        writeable=not any(n > 1 and s == 0 for n, s in zip(size, stride, strict=True)),
    )
    out = wrap(data)
    if requires_grad:
        out.requires_grad_(True)
    return out


# ---------------------------------------------------------------------------------------
# unfold


class Unfold(Primitive):
    """out = the windows a[..., i*step : i*step + size, ...] along dim, as a new last dim
    (a view);  grad_a = each window's gradient added back into its place."""

    node_name = "UnfoldBackward0"

    @staticmethod
    def forward(ctx, a, *, dim, size, step, given=None):
        ctx.in_shape, ctx.args = a.shape, (dim, size, step)
        ctx.given = given  # (dimension, size, step) as given: -1 stays -1 in the _saved_*
        if a.ndim == 0:
            return a.reshape((1,))[:size]
        count = (a.shape[dim] - size) // step + 1
        shape = a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,)
        strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + (
            a.strides[dim],)
        return np.lib.stride_tricks.as_strided(a, shape, strides, writeable=a.flags.writeable)

    @staticmethod
    def backward(ctx, grad):
        return UnfoldBackward.apply(grad, in_shape=ctx.in_shape, args=ctx.args,
                                    given=ctx.given)


class UnfoldBackward(Primitive):
    """out = zeros of the input's shape, each window's gradient added into its place
    (torch's unfold_backward);  grad_grad = the incoming gradient unfolded again."""

    node_name = "UnfoldBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, in_shape, args, given=None):
        ctx.args, ctx.given = args, given
        dim, size, step = args
        if not in_shape:
            return np.array(grad.sum(), grad.dtype)  # a 0-d input has one window at most
        out = np.zeros(in_shape, grad.dtype)
        moved = np.moveaxis(out, dim, -1)  # a view: writes land in out
        windows = np.moveaxis(grad, dim, -2)  # (..., count, size)
        count = windows.shape[-2]
        # window positions i*step + k are distinct for one k; k falling, so that each
        # element adds its windows in rising order, as torch's kernel
        for k in reversed(range(size)):
            moved[..., k:k + step * (count - 1) + 1:step] += windows[..., k]
        return out

    @staticmethod
    def backward(ctx, grad):
        return unfold(grad, *(ctx.given or ctx.args))


def unfold(input, dimension, size, step) -> Tensor:  # noqa: A002
    """All windows of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dimension (a view)."""
    x = _check_tensor("unfold", input)
    shape = x._data.shape
    given = _int(dimension, "unfold", "dimension", 1)
    dim = _wrap_dim(given, len(shape))
    size = _int(size, "unfold", "size", 2)
    step = _int(step, "unfold", "step", 3)
    length = shape[dim] if shape else 1
    if size > length:
        raise RuntimeError(
            f"maximum size for tensor at dimension {dim} is {length} but size is {size}"
        )
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    return make_view(Unfold.apply(x, dim=dim, size=size, step=step, given=(given, size, step)),
                     x)


# ---------------------------------------------------------------------------------------
# the legacy constructor Tensor.new, and resizing


def new(self: Tensor, *args, **kwargs) -> Tensor:
    """``t.new(2, 3)``, ``t.new(torch.Size([2, 3]))``: uninitialised, of t's dtype;
    ``t.new([1, 2])``: that data as t's dtype; ``t.new()``: an empty 1-D tensor."""
    from torchlet._ops.creation import tensor
    from torchlet._size import Size

    bad = [k for k in kwargs if k != "device"]
    if bad:
        raise TypeError(
            f"new() received an invalid combination of arguments - got "
            f"({', '.join([type_name(a) for a in args] + [f'{k}=...' for k in bad])}), "
            "but expected one of:\n"
            " * (*, torch.device device = None)\n"
            " * (torch.Storage storage)\n"
            " * (Tensor other)\n"
            " * (tuple of ints size, *, torch.device device = None)\n"
            "      didn't match because some of the keywords were incorrect: "
            f"{', '.join(bad)}\n"
            " * (object data, *, torch.device device = None)\n"
            "      didn't match because some of the keywords were incorrect: "
            f"{', '.join(bad)}\n"
        )
    np_dtype = self._data.dtype
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other._data.dtype != np_dtype:
            raise TypeError(
                f"expected {_options(np_dtype)} (got {_options(other._data.dtype)})"
            )
        return other.detach()
    sized = len(args) == 1 and isinstance(args[0], Size)  # Size([]) means shape ()
    if sized:
        args = tuple(args[0])
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        shape = tuple(operator.index(a) for a in args)
        bad_dim = next((s for s in shape if s < 0), None)
        if bad_dim is not None:
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {bad_dim}: {list(shape)}"
            )
        return wrap(fill_uninitialized(np.zeros(shape if args or sized else (0,), np_dtype)))
    if len(args) == 1:
        data = args[0]
        if isinstance(data, (int, float, bool, complex)):
            raise TypeError(f"new(): data must be a sequence (got {type_name(data)})")
        return tensor(data, dtype=_dtype_of(np_dtype))  # (an array: its shape and layout)
    raise TypeError(
        f"new(): data must be a sequence (got {type_name(args[0])})"
    )


def _dtype_of(np_dtype):
    from torchlet import _dtype

    return _dtype._BY_NP[np.dtype(np_dtype)]


_OPTION_NAMES = C_TYPE_NAMES


def _options(np_dtype) -> str:
    return (
        f"TensorOptions(dtype={_OPTION_NAMES[np.dtype(np_dtype).name]}, device=cpu, "
        "layout=Strided, requires_grad=false (default), pinned_memory=false (default), "
        "memory_format=(nullopt))"
    )


def resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give ``self`` the shape ``sizes``, contiguous, keeping its storage (and its values,
    in memory order); a storage too small grows, the new elements zero (NaN or the
    largest integer under ``use_deterministic_algorithms(True)``, as torch)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    shape = _ints(sizes, "resize_", "size", 1)
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if any(s < 0 for s in shape):
        raise RuntimeError("numel: integer multiplication overflow")
    order = _resize_order(len(shape), memory_format)
    if shape == self._data.shape and memory_format is None:
        return self
    numel = int(np.prod(shape))
    flat = _flat_storage(self)
    if self._base is None:
        flat = _whole_allocation(flat)
    offset = _offset_in(self, flat)
    if offset + numel <= flat.size:
        data = flat[offset:offset + numel].reshape(shape)
    else:
        # A larger storage: a view cannot grow its base's array, so it leaves the base
        # (torch would move the base to the new storage too).
        grown = np.zeros(offset + numel, flat.dtype)
        grown[:flat.size] = flat
        fill_uninitialized(grown[flat.size:])
        data = grown[offset:].reshape(shape)
        if self._base is not None:
            self._base = None
    if order is not None:
        # the same elements, laid out as the format says (torch restrides in place)
        data = data.reshape(-1).reshape([shape[d] for d in order]).transpose(
            np.argsort(order))
    self._data = data
    return self


def _resize_order(rank: int, memory_format):
    """The dims of a ``memory_format`` layout, outermost first (None for C order), with
    torch's errors for preserve_format and a format of the wrong rank."""
    from torchlet import _dtype

    if memory_format is None or memory_format is _dtype.contiguous_format:
        return None
    if memory_format is _dtype.preserve_format:
        raise RuntimeError("Unsupported memory formatPreserve")
    wanted = 4 if memory_format is _dtype.channels_last else 5
    if rank != wanted:
        raise RuntimeError(f"required rank {wanted} tensor to use {memory_format.name} format")
    return (0, *range(2, rank), 1)


def _whole_allocation(flat: np.ndarray) -> np.ndarray:
    """The array that ``flat`` was cut from, if it starts at the same element: the storage
    a tensor shrunk by resize_ keeps, so that growing it again shows the old values."""
    owner = flat
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if (owner.dtype == flat.dtype and owner.flags.c_contiguous and owner.size > flat.size
            and _address(owner) == _address(flat)):
        return owner.reshape(-1)
    return flat


def resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    if not isinstance(the_template, Tensor):
        raise TypeError(
            "resize_as_(): argument 'the_template' (position 1) must be Tensor, not "
            f"{type_name(the_template)}"
        )
    return resize_(self, the_template._data.shape)



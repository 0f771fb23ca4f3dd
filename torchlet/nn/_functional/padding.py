"""pad: add (or, with negative amounts, remove) entries at both ends of the last
dimensions. ``pad`` lists (left, right) amounts from the last dimension backwards:
``(1, 2)`` pads the last dimension, ``(1, 2, 0, 3)`` the last two.

* 'constant': new entries hold ``value`` (any number of dimensions, negative amounts
  crop). Its gradient is the opposite padding of the incoming gradient.
* 'reflect', 'replicate': new entries copy existing ones (mirrored without the edge, or
  the edge repeated). Each output entry reads one input entry, so the forward is a
  gather by index and the backward adds the gradient back (np.add.at) to the entries
  that were read.
* 'circular': entries wrapped around, built from slice copies as torch builds them
  (``_circular_pad``: torchlet's own narrow and copy_, so the graph is torch's chain of
  CopySlices and SliceBackward0 nodes and the backward adds up in torch's order); a pad
  wider than what is kept, which torch copies element by element, is one primitive
  (CircularPad).

Memory format, as torch: a constant pad allocates its result channels_last(_3d) when the
input's strides suggest it (so its backward, the opposite pad, follows the gradient's),
and a pure crop (no positive amount) is a clone of the cropped view, keeping its layout;
reflect and replicate lay out the result and the input gradient as the input; circular
padding (built from slice copies) is always contiguous.
"""

from __future__ import annotations

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.shape.common import _ints, empty_in_layout, suggested_memory_format
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional.pooling_plans import in_format

__all__ = ["pad"]

_NOT_SUPPORTED = (
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _pairs(pad, ndim: int):
    """[(dim, left, right), ...] from torch's flat padding list."""
    return [(ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


class ConstantPadNd(Primitive):
    """out = x with ``value`` entries added (or entries cropped) at the ends of the padded
    dims;  grad_x = grad padded the opposite way (with zeros), i.e. the slice that was x."""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, *, pairs, value):
        ctx.pairs = pairs
        shape = list(x.shape)
        src, dst = [slice(None)] * x.ndim, [slice(None)] * x.ndim
        for dim, left, right in pairs:
            size = x.shape[dim] + left + right
            if x.shape[dim] - max(-left, 0) - max(-right, 0) < 0:
                raise RuntimeError("narrow(): length must be non-negative.")
            shape[dim] = size
            # the part of x that survives, and where it lands in the output
            src[dim] = slice(max(-left, 0), x.shape[dim] - max(-right, 0))
            dst[dim] = slice(max(left, 0), size - max(right, 0))
        kept = x[tuple(src)]
        if all(left <= 0 and right <= 0 for _, left, right in pairs):
            out = empty_in_layout(kept, x.dtype, None)  # torch: the cropped view's clone()
            np.copyto(out, kept)
            return out
        out = np.full(shape, value, dtype=x.dtype)
        fmt = suggested_memory_format(x)
        if fmt is not None:
            out = empty_in_layout(out, x.dtype, fmt)
            out.fill(value)
        out[tuple(dst)] = kept
        return out

    @staticmethod
    def backward(ctx, grad):
        opposite = [(dim, -left, -right) for dim, left, right in ctx.pairs]
        return ConstantPadNd.apply(grad, pairs=opposite, value=0)


def _source_index(mode: str, size: int, left: int, right: int) -> np.ndarray:
    """For each output position along one dim, the input position it copies."""
    i = np.arange(-left, size + right)
    if mode == "reflect":  # mirror without repeating the edge: -1 -> 1, size -> size - 2
        i = np.abs(i)
        return np.where(i >= size, 2 * (size - 1) - i, i)
    return np.clip(i, 0, size - 1)  # replicate


class IndexPad(Primitive):
    """out = x read at one index array per padded dim (reflect/replicate);
    grad_x = grad added back at those indices. ``keep_format``: the result and the input
    gradient are laid out as the input (channels_last when its strides suggest it). x is
    saved, as torch saves it (its backward node takes x, see IndexPadBackward);
    ``padding``: the flat list as given, which torch's node shows."""

    node_name = "ReflectionPad1DBackward0"  # the instance's name is set per mode and rank

    @staticmethod
    def forward(ctx, x, *, indices, name, padding, keep_format=False):
        ctx.indices, ctx.in_shape, ctx.node_name = indices, x.shape, name
        ctx.padding = padding
        ctx.keep_format = keep_format
        ctx.fmt = suggested_memory_format(x) if keep_format else None
        ctx.save_for_backward(x)
        out = x
        for dim, index in indices:
            out = np.take(out, index, axis=dim)
        return in_format(out, ctx.fmt)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return IndexPadBackward.apply(grad, x, indices=ctx.indices, fmt=ctx.fmt,
                                      keep_format=ctx.keep_format, name=ctx.node_name,
                                      padding=ctx.padding)


class IndexPadBackward(Primitive):
    """out = grad summed back onto the input positions it was read from (laid out as
    ``fmt``); grad_grad = the gather again (IndexPad); x gave only its shape: grad_x =
    zeros (contiguous, as torch's). So a gradient taken with create_graph stays connected
    to x even when grad needs no gradient, as in torch. Named after the padding's node
    (``name``), as torch: ReflectionPad2DBackwardBackward0."""

    node_name = "ReflectionPad1DBackwardBackward0"  # the instance's name is set per call

    @staticmethod
    def forward(ctx, grad, x, *, indices, fmt=None, keep_format=False, name, padding):
        ctx.indices, ctx.keep_format, ctx.pad_name = indices, keep_format, name
        ctx.padding = padding
        in_shape = ctx.in_shape = x.shape
        ctx.node_name = name.replace("Backward0", "BackwardBackward0")
        # one unbuffered add over all padded dims at once: each input entry then adds its
        # gradients in the output's row-major order, the order torch's loop adds them in
        ordered = sorted(indices, key=lambda pair: pair[0])
        first = ordered[0][0]
        mesh = np.ix_(*[index for _, index in ordered])
        out = np.zeros(in_shape, dtype=grad.dtype)
        np.add.at(out, (slice(None),) * first + mesh, grad)
        return in_format(out, fmt)

    @staticmethod
    def backward(ctx, grad):
        need_grad, need_x = ctx.needs_input_grad
        return (IndexPad.apply(grad, indices=ctx.indices, name=ctx.pad_name,
                               padding=ctx.padding, keep_format=ctx.keep_format)
                if need_grad else None,
                wrap(np.zeros(ctx.in_shape, grad._data.dtype)) if need_x else None)


def _circular_slices(shape: tuple, pairs: list):
    """torch's _pad_circular_symint as slice copies: the kept part of x goes to
    ``dst`` (from ``src``), then dim by dim (last first) the left pad copies the last
    ``left`` entries before the right pad, and the right pad the first ``right`` after the
    left pad. Returns the output shape, (dst, src) and the wrap copies [(to, from)]."""
    out_shape = list(shape)
    for dim, left, right in pairs:
        out_shape[dim] = shape[dim] + left + right
    full = [slice(None)] * len(shape)
    dst, src = list(full), list(full)
    for dim, left, right in pairs:
        dst[dim] = slice(max(left, 0), out_shape[dim] - max(right, 0))
        src[dim] = slice(max(-left, 0), shape[dim] - max(-right, 0))
    copies = []
    for dim, left, right in pairs:
        n = out_shape[dim]
        for size, to, start in ((left, 0, n - left - max(right, 0)),
                                (right, n - right, max(left, 0))):
            if size > 0:
                to_index, from_index = list(full), list(full)
                to_index[dim], from_index[dim] = slice(to, to + size), slice(start, start + size)
                copies.append((tuple(to_index), tuple(from_index)))
    return tuple(out_shape), (tuple(dst), tuple(src)), copies


def _circular_pad(x: Tensor, pairs: list) -> Tensor:
    """torch's _pad_circular_symint: the kept part of x (narrowed dim by dim) copied into
    the middle of a new tensor, then dim by dim (last first) the left pad copied from the
    last ``left`` entries before the right pad, and the right pad from the first ``right``
    after the left pad (see _circular_slices). No pad may be wider than what is kept."""
    shape = x._data.shape
    out_shape = list(shape)
    for dim, left, right in pairs:
        out_shape[dim] = shape[dim] + left + right
    out = x.new_zeros(out_shape)  # (torch: empty, every entry written below)
    middle, kept = out, x
    for dim, left, right in pairs:
        middle = middle.narrow(dim, max(left, 0), out_shape[dim] - max(left, 0) - max(right, 0))
        start = max(-left, 0)
        kept = kept.narrow(dim, start, shape[dim] - start - max(-right, 0))
    middle.copy_(kept)
    for dim, left, right in pairs:
        n = out_shape[dim]
        if left > 0:
            out.narrow(dim, 0, left).copy_(out.narrow(dim, n - left - max(right, 0), left))
        if right > 0:
            out.narrow(dim, n - right, right).copy_(out.narrow(dim, max(left, 0), right))
    return out


class CircularPad(Primitive):
    """out = x wrapped around: along each padded dim, output entry i reads the kept
    entries (what negative amounts leave) at (i - left) mod kept;  grad_x = torch's slice
    copies undone in reverse order (CircularPadBackward), so the float sums run in
    torch's order."""

    node_name = "torch::autograd::CopySlices"

    @staticmethod
    def forward(ctx, x, *, pairs):
        ctx.pairs, ctx.in_shape = pairs, x.shape
        # torch copies slices of its output onto others; where a pad is wider than what
        # is kept those overlap: its element-by-element copy then repeats the period (a
        # right pad) or reads entries not yet written (a left pad: garbage). The modulo
        # gather is the one well-defined answer, torch's wherever its answer is defined.
        out = x
        for dim, left, right in pairs:
            start = max(-left, 0)
            kept = x.shape[dim] - start - max(-right, 0)
            if kept == 0:  # nothing left to wrap around (torch never writes the output)
                return np.zeros(_circular_slices(x.shape, pairs)[0], x.dtype)
            index = start + np.arange(-max(left, 0), kept + max(right, 0)) % kept
            out = np.take(out, index, axis=dim)
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        return CircularPadBackward.apply(grad, pairs=ctx.pairs, in_shape=ctx.in_shape)


class CircularPadBackward(Primitive):
    """torch's circular padding is slice copies (``_circular_slices``): the kept part of
    x copied in, then each pad copied from the other end of the output, dims last first.
    out = grad with those copies undone, last first (the pad's gradient added onto the
    entries it copied, then zeroed), and the kept part cut out;  grad_grad = the
    circular padding again (CircularPad). Named as torch's last step there: the slice of
    x that was copied in."""

    node_name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, *, pairs, in_shape):
        ctx.pairs = pairs
        _, (dst, src), copies = _circular_slices(in_shape, pairs)
        g = np.array(grad, copy=True, order="C")
        for to, source in reversed(copies):
            moved = g[to].copy()
            g[to] = 0
            g[source] += moved
        out = np.zeros(in_shape, grad.dtype)
        out[src] = g[dst]
        return out

    @staticmethod
    def backward(ctx, grad):
        return CircularPad.apply(grad, pairs=ctx.pairs)


def _check_edge_pad(mode: str, k: int, shape: tuple, pairs: list) -> None:
    """torch's reflection_pad{k}d / replication_pad{k}d checks, in its order: no empty
    dimension but the batch, (reflect) each amount below its dimension's size, an output
    of at least one entry in some padded dimension, and none negative."""
    batched = len(shape) == k + 2
    if any(s == 0 for s in shape[int(batched):]):
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(shape)}")
    if mode == "reflect":
        for i, (dim, left, right) in enumerate(pairs):
            if left >= shape[dim] or right >= shape[dim]:
                raise RuntimeError(  # (the amounts of dimension -1 - i are argument 4 + 2i)
                    f"Argument #{4 + 2 * i}: Padding size should be less than the "
                    f"corresponding input dimension, but got: padding ({left}, {right}) at "
                    f"dimension {dim} of input {list(shape)}")
    sizes = [shape[dim] for dim, _, _ in reversed(pairs)]  # (D, H, W)
    outs = [shape[dim] + left + right for dim, left, right in reversed(pairs)]
    if all(o < 1 for o in outs):
        names = ("D", "H", "W")[3 - k:]
        ins = " ".join(f"{n}: {i}" for n, i in zip(names, sizes)).replace(" W:", ", W:")
        got = " ".join(f"{n}: {o}" for n, o in zip(names, outs))
        gap = " " if (mode, k) == ("replicate", 2) else ""
        raise RuntimeError(f"input ({ins}{gap}) is too small. Calculated output {got}")
    if any(o < 0 for o in outs):
        if (mode, k) == ("reflect", 2):
            raise RuntimeError("numel: integer multiplication overflow")
        out_shape = list(shape)
        for dim, left, right in pairs:
            out_shape[dim] += left + right
        raise RuntimeError("Trying to create tensor with negative dimension "
                           f"{min(o for o in out_shape if o < 0)}: {out_shape}")


def pad(input, pad, mode: str = "constant", value=None) -> Tensor:  # noqa: A002
    """Pad the last ``len(pad) // 2`` dimensions of ``input``; see the module docstring."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(input)}")
    x = input
    pad = _ints(pad, "pad", "pad", 2)
    if value is not None and not isinstance(value, (int, float, np.number, Tensor)):
        raise TypeError(f"pad(): argument 'value' (position 4) must be float, not "
                        f"{type_name(value)}")
    if mode not in ("constant", "reflect", "replicate", "circular"):  # torch reads it first
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    ndim = x._data.ndim
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > ndim:
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {ndim}")
    pairs = _pairs(pad, ndim)
    if mode == "constant":
        fill = 0 if value is None else value
        if x._data.dtype.kind in "iub":
            fill = int(fill)
        return ConstantPadNd.apply(x, pairs=pairs, value=fill)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if not (1 <= k <= 3 and ndim in (k + 1, k + 2)):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D "
                                  f"input tensor.\n{_NOT_SUPPORTED}")
    if mode != "circular":
        _check_edge_pad(mode, k, x._data.shape, pairs)
        if x._data.dtype == np.bool_:  # (torch's kernels dispatch after the shape checks)
            kernel = {"reflect": "reflection", "replicate": "replication"}[mode]
            raise NotImplementedError(f'"{kernel}_pad{k}d" not implemented for \'Bool\'')
    else:  # (torch checks the padded dimensions first to last)
        for dim, left, right in reversed(pairs):
            size = x._data.shape[dim]
            if left > size or right > size:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if size + left + right < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension")
    if mode == "circular":
        # the slice copies where a graph is recorded (the one primitive is faster, and
        # gives the same numbers); not where a pad overlaps what it copies from
        kept = [x._data.shape[dim] - max(-left, 0) - max(-right, 0) for dim, left, right in pairs]
        if GRAD_STATE.enabled and x.requires_grad and all(
                left <= k and right <= k for (_, left, right), k in zip(pairs, kept)):
            return _circular_pad(x, pairs)
        return CircularPad.apply(x, pairs=pairs)
    indices = [(dim, _source_index(mode, x._data.shape[dim], left, right))
               for dim, left, right in pairs]
    name = {"reflect": f"ReflectionPad{k}DBackward0",
            "replicate": f"ReplicationPad{k}DBackward0"}[mode]
    return IndexPad.apply(x, indices=indices, name=name, padding=pad, keep_format=True)

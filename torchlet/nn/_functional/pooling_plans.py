"""The NumPy side of pooling: where each window's elements are, and the reductions over
them (torchlet/nn/_functional/pooling.py wraps these in differentiable nodes).

A *plan* knows the windows of one pooling call and offers:

* ``max(x)``: (maximum of each window, its flat index in the input plane, which window
  element held it) — torch's rule: the first maximum in window order, a NaN always wins;
* ``scatter(g, which, in_shape)`` / ``gather(x, which)``: the max-pool backward (each
  gradient to its window's winner) and its transpose;
* ``average(x)`` / ``average_adjoint(g, in_shape)``: each window's sum divided as torch
  divides it, and the transpose of that.

``_WindowPlan`` handles regular windows (max_pool, avg_pool, adaptive pools whose sizes
divide): ``sliding_window_view`` gives all windows as one strided view and every
reduction loops over the few *window elements* (4 for a 2x2 kernel), each step
vectorised over the whole batch. ``_TapPlan`` handles adaptive windows of unequal size
with a small table of input positions ("taps"); ``_IndexPlan`` the indices a caller
hands to max_unpool.
"""

from __future__ import annotations

import functools

import numpy as np

from torchlet._ops.indexing._common import array_with_strides
from torchlet._ops.pointwise.binary import _MAXPS_DTYPES, select
from torchlet._ops.shape.common import (
    contiguous_strides,
    empty_in_layout,
    suggested_memory_format,
)
from torchlet.nn._functional.conv_kernels import Geometry, _inner, _padded_size, windows


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _spatial_strides(size: tuple) -> tuple:
    """Element strides of the spatial dimensions of one C-contiguous plane."""
    strides, step = [], 1
    for s in reversed(size):
        strides.append(step)
        step *= s
    return tuple(reversed(strides))


def _lowest(dtype: np.dtype):
    """What padding holds for max pooling: never picked as a window's maximum."""
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _channels(lead: tuple) -> int:
    """The channels of the planes that dimensions ``lead`` (N, C or just C) hold."""
    return lead[-1] if lead else 1


def _planes(x: np.ndarray, nd: int) -> np.ndarray:
    """View any leading dimensions (N, C or just C) as N*C planes of one channel."""
    return x.reshape((_prod(x.shape[:x.ndim - nd]), 1) + x.shape[x.ndim - nd:])


def _divide(acc: np.ndarray, divisors) -> np.ndarray:
    """acc / d1 / d2 ... in acc's precision (integers: rounded toward zero, as C++)."""
    if acc.dtype.kind != "f":
        (d,) = divisors
        q = np.abs(acc) // d
        return np.where(acc < 0, -q, q)
    for d in divisors:
        acc = np.divide(acc, np.asarray(d, dtype=acc.dtype), out=acc)
    return acc


def _divide_window(acc: np.ndarray, divisors, channels: int, lanes: int) -> np.ndarray:
    """``_divide`` as torch's adaptive average pools divide each window's sum (``acc``:
    one row per plane, N*C planes of ``channels`` channels). Their generic kernels
    divide by each window side in turn. Their 2-D channels-last kernels (``lanes``: the
    SIMD width of that kernel's vector loop, in elements; 0 for the generic kernels)
    divide the channels the vector loop covers (all but the last C % lanes) by the
    window's size at once, and only the rest side by side."""
    vector = channels - channels % lanes if lanes else 0
    if not vector or acc.dtype.kind != "f":
        return _divide(acc, divisors)
    rows = np.arange(acc.shape[0]) % channels < vector
    size = functools.reduce(np.multiply, divisors)  # (exact: int products)
    at_once = np.divide(acc[rows], np.asarray(size, acc.dtype))
    out = _divide(acc, divisors)
    out[rows] = at_once
    return out


def _simd_lanes(dtype: np.dtype) -> int:
    """Elements per SIMD register in torch's vectorised CPU loops (256-bit)."""
    return 32 // dtype.itemsize


def batch_format(x: np.ndarray, nd: int):
    """The memory format torch gives the result of a pooling (resampling, padding) of
    ``x`` over its last ``nd`` dims when the kernel keeps the input's: channels_last(_3d)
    for a batched input whose strides suggest it (``suggested_memory_format``), else
    None (contiguous). Unbatched inputs have no such format."""
    if x.ndim != nd + 2 or x.strides[1] > x.strides[-1]:
        return None  # (the quick answer for NCHW: channels_last has C's stride the least)
    return suggested_memory_format(x)


def in_format(out: np.ndarray, fmt) -> np.ndarray:
    """``out`` laid out as torch lays out a new result of memory format ``fmt``: as it
    is (C order) for None, else a channels_last(_3d) copy (the values are unchanged)."""
    if fmt is None:
        return out
    result = empty_in_layout(out, out.dtype, fmt)
    np.copyto(result, out)
    return result


# ---------------------------------------------------------------------------------------
# Plans: how the windows of one pooling call are laid out


def _argmax_over(values: list, best: np.ndarray, valid=None) -> np.ndarray:
    """Which of ``values`` (one array per window element, in window order) holds the
    maximum ``best``: the first one, as torch scans; a NaN maximum goes to the last NaN
    (torch replaces its running maximum by every NaN it meets). ``valid`` masks out
    padding. Returns the position in the list for every output element (int8/int32).

    The first match's position is the number of elements before it that do not match:
    ``missed`` stays true while no element so far matched, and each step adds it."""
    kind = np.int8 if len(values) < 127 else np.int32
    which = np.zeros(best.shape, kind)
    missed = np.ones(best.shape, bool)
    hit = np.empty(best.shape, bool)
    for i, v in enumerate(values[:-1]):
        np.equal(v, best, out=hit)
        if valid is not None:
            hit &= valid[i]
        missed &= ~hit
        which += missed
    if best.dtype.kind == "f":
        nan = np.isnan(best)
        if nan.any():
            for i, v in enumerate(values):
                which[nan & np.isnan(v)] = i
    return which


def _running_max(values: list, valid=None):
    """(the maximum of ``values``, one array per window element, and ``_argmax_over``'s
    positions), as torch's scan: its running maximum changes only for a strictly larger
    element (or a NaN), so of -0.0 and 0.0 the first in window order is the answer.
    NumPy's float32/float64 maximum returns its second operand on ties
    (``_MAXPS_DTYPES``): with the running maximum second, that is the same rule in one
    pass. Elsewhere (float16) a zero maximum takes the sign of the element that won."""
    best = values[0].copy()
    keeps_first = best.dtype in _MAXPS_DTYPES
    for v in values[1:]:
        if keeps_first:
            np.maximum(v, best, out=best)
        else:
            np.maximum(best, v, out=best)
    which = _argmax_over(values, best, valid)
    if best.dtype.kind == "f" and not keeps_first:
        zero = best == 0
        if zero.any():
            for i, v in enumerate(values):
                np.copyto(best, v, where=zero & (which == i))
    return best, which


class _WindowPlan:
    """Regular windows (one Geometry); ``divisors`` is what each window's sum is divided
    by, in turn (one array for avg_pool, one per dimension for adaptive pooling). Build
    plans with ``window_plan``, which keeps the ones in use: everything below that depends
    only on the geometry is computed once."""

    def __init__(self, geo: Geometry, divisors=(1,)):
        self.geo = geo
        nd = self.nd = len(geo.kernel)
        self.divisors = divisors
        self.offsets = list(np.ndindex(*geo.kernel))
        # no two windows share an input element: the max-pool backward can assign
        self.exclusive = all(d * (k - 1) + 1 <= s for k, s, d in
                             zip(geo.kernel, geo.stride, geo.dilation))
        self.padded = _padded_size(geo) != geo.in_size
        # ... and every input element is in one window (MaxPool2d(2) on even sizes): the
        # backward writes every element, so its result needs no zero fill first
        self.tiles = not self.padded and all(
            d == 1 and k == s and o * s == i for k, s, d, o, i in
            zip(geo.kernel, geo.stride, geo.dilation, geo.out_size, geo.in_size))
        # where each window element sits in the padded input: a strided slice that
        # covers every window
        self.targets = [(slice(None), slice(None)) + tuple(
            slice(k * d, k * d + (o - 1) * s + 1, s)
            for k, d, o, s in zip(offset, geo.dilation, geo.out_size, geo.stride))
            for offset in self.offsets]
        # the input coordinate window o reads at element k of dimension i is
        # o*stride + k*dilation - padding, so its flat index in the input plane is
        # base[o] + shift[k]: one part from the window's place, one from the element's
        strides = _spatial_strides(geo.in_size)
        self.base = np.zeros(geo.out_size, np.int64)
        valid = np.ones(geo.out_size + (len(self.offsets),), bool)
        # torch's kernel starts each window's index at its first position on or after 0
        # (per dimension) and keeps it unless an element beats -inf. A window that lies
        # wholly in the padding (dilation past a small input) keeps that made-up index,
        # which can point outside the window, or outside the plane.
        first = np.zeros(geo.out_size, np.int64)
        empty = np.zeros(geo.out_size, bool)
        for i, (o, k, s, d, p, size, st) in enumerate(zip(
                geo.out_size, geo.kernel, geo.stride, geo.dilation, geo.pad_lo, geo.in_size,
                strides)):
            axis = [1] * nd
            axis[i] = o
            start = np.arange(o) * s - p
            self.base = self.base + (start * st).reshape(axis)
            if self.padded:
                pos = start[:, None] + np.arange(k) * d  # (out, kernel) coordinates
                inside = (pos >= 0) & (pos < size)
                ks = np.array([offset[i] for offset in self.offsets])
                valid &= inside[:, ks].reshape(axis + [len(self.offsets)])
                lead = start + (np.maximum(-start, 0) + d - 1) // d * d
                first = first + (lead * st).reshape(axis)
                empty = empty | ~inside.any(1).reshape(axis)
        # windows without an input element (None if there are none) and torch's index for
        # them; ``max`` marks them with which = -1, the backward sends their gradient to
        # that index when it is inside the plane (torch writes past the plane otherwise)
        self.empty = empty if empty.any() else None
        self.empty_index = first[empty]
        self.shifts = np.array([sum(k * d * st for k, d, st in zip(offset, geo.dilation,
                                                                  strides))
                                for offset in self.offsets], np.int64)
        # for each window element, where it is inside the input (only with padding)
        self.valid = [valid[..., j] for j in range(len(self.offsets))] if self.padded \
            else None

    def max(self, x: np.ndarray, with_index: bool = True):
        """(maximum of each window, its flat index in the input plane or None, which
        window element it is)."""
        lead = x.shape[:x.ndim - self.nd]
        geo = self.geo
        win = windows(_planes(x, self.nd), geo, _lowest(x.dtype))
        if self.exclusive:
            # one copy (no larger than x, as windows do not overlap) puts each window
            # element's values in a contiguous block: the passes below then run over
            # contiguous memory, twice as fast as over the strided views (a 2x2 window's
            # elements are every other number of every other row)
            nd = self.nd
            stacked = np.empty(geo.kernel + win.shape[:2 + nd], win.dtype)
            np.copyto(stacked, win.transpose(tuple(range(2 + nd, 2 + 2 * nd))
                                             + tuple(range(2 + nd))))
            values = [stacked[offset] for offset in self.offsets]
        else:
            values = [win[(Ellipsis,) + offset] for offset in self.offsets]
        # padding is never the answer, even when the input holds -inf
        best, which = _running_max(values, self.valid)
        shape = lead + geo.out_size
        index = (self.shifts[which] + self.base).reshape(shape) if with_index else None
        if self.empty is not None:
            which[:, 0, self.empty] = -1
            if index is not None:
                index.reshape((_prod(lead),) + geo.out_size)[:, self.empty] = self.empty_index
        return best.reshape(shape), index, which

    def _empty_targets(self, shape: tuple):
        """For the windows with no input element: which of them have their made-up index
        inside the plane (a mask over them), and those indices."""
        inside = self.empty_index < _prod(shape[len(shape) - self.nd:])
        return inside, self.empty_index[inside]

    def scatter(self, g: np.ndarray, which: np.ndarray, in_shape: tuple) -> np.ndarray:
        """The backward of ``max``: each gradient goes to the window element that held
        the maximum (summed where windows overlap)."""
        gp = _planes(g, self.nd)
        shape = gp.shape[:2] + _padded_size(self.geo)
        out = np.empty(shape, g.dtype) if self.tiles else np.zeros(shape, g.dtype)
        # g * (which == i) keeps g where element i won and gives +-0 elsewhere, except
        # that NaN * 0 is NaN: with NaN gradients, select instead (slower)
        nan = g.dtype.kind == "f" and bool(np.isnan(g).any())
        zero = g.dtype.type(0)
        # Last window element first: an input element then receives its gradients in the
        # order of the windows (outputs) they come from, the order torch adds them in.
        for i in range(len(self.targets) - 1, -1, -1):
            target, won = self.targets[i], which == i
            if not self.exclusive:
                out[target] += select(won, gp, zero)
            elif nan:
                out[target] = select(won, gp, zero)
            else:  # the windows do not overlap: write straight in
                np.multiply(gp, won, out=out[target])
        if self.exclusive:
            out += zero  # torch adds into zeros: its -0.0 results come out +0.0
        if self.padded:
            # (a copy, not ascontiguousarray: that keeps a slice of size-1 planes, whose
            # strides then still count the padding)
            out = out[_inner(self.geo)].copy()
        if self.empty is not None:  # after every window, as torch adds them (in order)
            inside, index = self._empty_targets(in_shape)
            flat = out.reshape(out.shape[0], _prod(self.geo.in_size))
            shares = gp[:, 0, self.empty]
            for j, where in zip(np.flatnonzero(inside), index):
                flat[:, where] += shares[:, j]
        return out.reshape(in_shape)

    def gather(self, x: np.ndarray, which: np.ndarray) -> np.ndarray:
        """The transpose of ``scatter``: x at the chosen element of each window."""
        win = windows(_planes(x, self.nd), self.geo, 0)
        out = np.zeros(which.shape, x.dtype)
        for i, offset in enumerate(self.offsets):
            np.copyto(out, win[(Ellipsis,) + offset], where=which == i)
        if self.empty is not None:
            inside, index = self._empty_targets(x.shape)
            picked = np.zeros((out.shape[0], int(self.empty.sum())), x.dtype)
            picked[:, inside] = x.reshape(out.shape[0], _prod(self.geo.in_size))[:, index]
            out[:, 0, self.empty] = picked
        return out.reshape(x.shape[:x.ndim - self.nd] + self.geo.out_size)

    def average(self, x: np.ndarray, *, lanes: int = 0, in_half: bool = False) -> np.ndarray:
        """Each window's sum divided as torch divides it; ``lanes``: see
        ``_divide_window``; ``in_half``: float16 summed and divided in float16 (torch's
        3-D adaptive kernel) rather than in float32."""
        lead = x.shape[:x.ndim - self.nd]
        geo = self.geo
        dtype = x.dtype
        if dtype == np.float16 and not in_half:  # accumulated in float32, as torch
            x = x.astype(np.float32)
        win = windows(_planes(x, self.nd), geo, 0)
        acc = None
        for offset in self.offsets:  # torch's order: row by row, from +0.0
            v = win[(Ellipsis,) + offset]
            if acc is None:
                # a new array, C-ordered whatever x's layout; 0 + -0.0 is 0.0, as torch
                acc = np.add(v, v.dtype.type(0), order="C")
            else:
                acc += v
        assert acc is not None  # every window has a first offset
        out = _divide_window(acc, self.divisors, _channels(lead), lanes)
        return out.reshape(lead + geo.out_size).astype(dtype, copy=False)

    def average_adjoint(self, g: np.ndarray, in_shape: tuple, *, lanes: int = 0,
                        in_half: bool = False) -> np.ndarray:
        """The transpose of ``average`` (each gradient divided, then added to its
        window's inputs); ``in_half``: float16 divided and added up in float16 (torch's
        backward kernels) rather than in float32."""
        geo = self.geo
        dtype = g.dtype
        channels = _channels(g.shape[:g.ndim - self.nd])
        g = _planes(g.astype(np.float32) if dtype == np.float16 and not in_half else g,
                    self.nd)
        share = _divide_window(g.copy(), self.divisors, channels, lanes)
        out = np.zeros(g.shape[:2] + _padded_size(geo), share.dtype)
        # last window element first: where windows overlap, an input element then
        # receives its shares in the order of the windows, the order torch adds them in
        for target in reversed(self.targets):
            out[target] += share
        if self.padded:
            out = out[_inner(geo)].copy()  # (see scatter)
        return out.reshape(in_shape).astype(dtype, copy=False)


class _TapPlan:
    """Adaptive windows that are not all alike: window o of a dimension of size I covers
    [floor(o*I/O), ceil((o+1)*I/O)). The input gets one extra slot at the end of every
    spatial dimension (0 for sums, -inf for max); taps past a window's end read it."""

    def __init__(self, in_size: tuple, out_size: tuple):
        self.nd = len(in_size)
        self.in_size, self.out_size = in_size, out_size
        ext = tuple(i + 1 for i in in_size)
        ext_strides, in_strides = _spatial_strides(ext), _spatial_strides(in_size)
        per_dim, self.divisors = [], []
        for d, (i, o) in enumerate(zip(in_size, out_size)):
            pos = np.arange(o)
            start, end = (pos * i) // o, ((pos + 1) * i + o - 1) // o
            width = int((end - start).max()) if o else 0
            taps = start[:, None] + np.arange(width)
            taps = np.where(taps < end[:, None], taps, i)  # i: the extra slot
            per_dim.append(taps)
            shape = [1] * self.nd
            shape[d] = o
            self.divisors.append((end - start).reshape(shape))
        self.kernel = tuple(t.shape[1] for t in per_dim)
        self.ext_taps, in_taps = [], []
        for offset in np.ndindex(*self.kernel):
            ext_index = np.zeros(out_size, np.int64)
            in_index = np.zeros(out_size, np.int64)
            for d, (taps, k) in enumerate(zip(per_dim, offset)):
                shape = [1] * self.nd
                shape[d] = out_size[d]
                col = taps[:, k].reshape(shape)
                ext_index = ext_index + col * ext_strides[d]
                in_index = in_index + np.minimum(col, in_size[d] - 1) * in_strides[d]
            self.ext_taps.append(ext_index)
            in_taps.append(in_index)
        self.in_taps = np.stack(in_taps) if in_taps else np.zeros((0,) + out_size, np.int64)
        self.ext_size = ext
        self._sources: list[np.ndarray] | None = None  # for average_adjoint, made on first use

    def _windows_of_inputs(self):
        """The transpose of the taps, for the backward: per dimension, the windows that
        cover input position i are first[i], first[i] + 1, ..., first[i] + count[i] - 1
        (consecutive, as the windows are). Returns, for every combination of ranks
        (r_1, ..., r_nd) in window order, the flat index of the r-th covering window of
        every input element, or one past the last window where there is none."""
        first, count = [], []
        for i, o in zip(self.in_size, self.out_size):
            pos = np.arange(o)
            start, end = (pos * i) // o, ((pos + 1) * i + o - 1) // o
            covers = (start <= np.arange(i)[:, None]) & (np.arange(i)[:, None] < end)
            first.append(covers.argmax(1))
            count.append(covers.sum(1))
        out_strides = _spatial_strides(self.out_size)
        sources = []
        for ranks in np.ndindex(*(int(c.max()) for c in count)):
            flat = np.zeros(self.in_size, np.int64)
            exists = np.ones(self.in_size, bool)
            for d, (r, f, c, st) in enumerate(zip(ranks, first, count, out_strides)):
                shape = [1] * self.nd
                shape[d] = self.in_size[d]
                flat = flat + (np.minimum(f + r, self.out_size[d] - 1) * st).reshape(shape)
                exists = exists & (r < c).reshape(shape)
            sources.append(np.where(exists, flat, _prod(self.out_size)).ravel())
        return sources

    def _extended(self, x: np.ndarray, fill) -> np.ndarray:
        planes: np.ndarray = x.reshape((_prod(x.shape[:x.ndim - self.nd]),) + self.in_size)
        out = np.full((planes.shape[0],) + self.ext_size, fill, x.dtype)
        out[(slice(None),) + tuple(slice(0, i) for i in self.in_size)] = planes
        return out.reshape(planes.shape[0], _prod(self.ext_size))

    def max(self, x: np.ndarray, with_index: bool = True):
        lead = x.shape[:x.ndim - self.nd]
        shape = lead + self.out_size
        xe = self._extended(x, _lowest(x.dtype))
        if not self.ext_taps:
            # (with torch's contiguous strides: NumPy gives an empty array zero strides,
            # which the 1-D pools' squeeze would keep)
            strides = contiguous_strides(shape)
            index = array_with_strides(shape, strides, np.int64, np.zeros)
            return array_with_strides(shape, strides, x.dtype, np.zeros), index, index
        values = [xe[:, t] for t in self.ext_taps]  # the extra slot (-inf) never wins
        best, which = _running_max(values)
        index = np.take_along_axis(self.in_taps[:, None], which[None].astype(np.intp), 0)[0]
        index = index.reshape(shape)
        return best.reshape(shape), index, index

    def scatter(self, g, which, in_shape):
        return _scatter_add(g, which, in_shape, self.nd, exclusive=False)

    def gather(self, x, which):
        return _gather(x, which, self.nd)

    def average(self, x: np.ndarray, *, lanes: int = 0, in_half: bool = False) -> np.ndarray:
        """As _WindowPlan.average."""
        lead = x.shape[:x.ndim - self.nd]
        dtype = x.dtype
        xe = self._extended(x.astype(np.float32) if dtype == np.float16 and not in_half
                            else x, 0)
        acc = np.zeros((xe.shape[0],) + self.out_size, xe.dtype)
        for ext_index in self.ext_taps:  # the extra slots add +0: same sum, same order
            acc += xe[:, ext_index]
        out = _divide_window(acc, self.divisors, _channels(lead), lanes)
        return out.reshape(lead + self.out_size).astype(dtype, copy=False)

    def average_adjoint(self, g: np.ndarray, in_shape: tuple, *, lanes: int = 0,
                        in_half: bool = False) -> np.ndarray:
        """As torch: each gradient divided by the window's height, then its width (in
        the gradient's precision; ``lanes``, ``in_half``: see _WindowPlan), and added to
        every input of its window, window after window. Computed the other way round,
        input by input (a gather per rank of the covering windows), so that an input
        element that several windows share (they overlap when the output size does not
        divide the input size) adds their shares in window order, as torch does."""
        dtype = g.dtype
        channels = _channels(g.shape[:g.ndim - self.nd])
        rows = _prod(g.shape[:g.ndim - self.nd])
        g = g.reshape((rows,) + self.out_size)
        share = _divide_window(
            g.astype(np.float32) if dtype == np.float16 and not in_half else g.copy(),
            self.divisors, channels, lanes).reshape(rows, _prod(self.out_size))
        out = np.zeros((rows, _prod(self.in_size)), share.dtype)
        if share.size:
            if self._sources is None:
                self._sources = self._windows_of_inputs()
            # a column of zeros for "no such window": adding +0.0 changes nothing
            share = np.concatenate([share, np.zeros((rows, 1), share.dtype)], axis=1)
            for flat in self._sources:
                out += share.take(flat, axis=1)
        return out.astype(dtype, copy=False).reshape(in_shape)


class _IndexPlan:
    """max_unpool's indices: flat positions in each plane, given by the caller."""

    def __init__(self, nd: int):
        self.nd = nd

    def scatter(self, g, which, in_shape):
        return _scatter_add(g, which, in_shape, self.nd, exclusive=False)

    def gather(self, x, which):
        return _gather(x, which, self.nd)


# ---------------------------------------------------------------------------------------
# Gathers and scatters at the indices of a max (shared by max pooling and max_unpool)


def _gather(x: np.ndarray, idx: np.ndarray, nd: int) -> np.ndarray:
    """out[r, l] = x[r, idx[r, l]] over the flattened spatial dimensions of each plane."""
    rows = _prod(idx.shape[:idx.ndim - nd])
    flat = x.reshape(rows, _prod(x.shape[x.ndim - nd:]))
    picks = idx.reshape(rows, _prod(idx.shape[idx.ndim - nd:]))
    # (contiguous whatever the indices' layout: a fancy index hands its own order on, and
    # the view of a channels_last idx with size-1 dimensions can be in Fortran order)
    return np.ascontiguousarray(np.take_along_axis(flat, picks, axis=1)).reshape(idx.shape)


def _scatter_add(g: np.ndarray, idx: np.ndarray, in_shape: tuple, nd: int,
                 exclusive: bool) -> np.ndarray:
    """out[r, idx[r, l]] += g[r, l], zeros elsewhere; ``exclusive``: no index repeats in a
    plane, so a plain assignment does it."""
    rows = _prod(in_shape[:len(in_shape) - nd])
    size = _prod(in_shape[len(in_shape) - nd:])
    per_row = _prod(idx.shape[idx.ndim - nd:])
    flat = (idx.reshape(rows, per_row) + (np.arange(rows) * size)[:, None]).ravel()
    if exclusive:
        out = np.zeros(rows * size, g.dtype)
        out[flat] = g.ravel()
    elif g.dtype == np.float64:  # bincount adds in float64, in order: torch's sums
        out = np.bincount(flat, weights=g.ravel(), minlength=rows * size)
    else:  # added one by one in g's precision, in output order, as torch adds them
        out = np.zeros(rows * size, g.dtype)
        np.add.at(out, flat, g.ravel())
    return out.reshape(in_shape)


@functools.lru_cache(maxsize=256)
def window_plan(geo: Geometry, divisors: tuple = (1,)) -> _WindowPlan:
    """The plan for regular windows, kept for the next call with the same geometry (a
    training loop calls every layer with the same shapes). ``divisors`` must be
    hashable: ints, or ('avg', count_include_pad, divisor_override) for avg_pool's
    per-window counts."""
    if divisors and divisors[0] == "avg":
        return _WindowPlan(geo, avg_divisors(geo, divisors[1], divisors[2]))
    return _WindowPlan(geo, divisors)


@functools.lru_cache(maxsize=256)
def adaptive_plan(in_size: tuple, out_size: tuple):
    """Regular windows when every input size is a multiple of the output size (torch then
    divides by each window side in turn), else a table of taps."""
    if all(o > 0 and i % o == 0 for i, o in zip(in_size, out_size)):
        kernel = tuple(i // o for i, o in zip(in_size, out_size))
        nd = len(in_size)
        geo = Geometry(tuple(in_size), kernel, tuple(out_size), kernel, (0,) * nd, (0,) * nd,
                       (1,) * nd, 1)
        return _WindowPlan(geo, kernel)
    return _TapPlan(tuple(in_size), tuple(out_size))


def avg_divisors(geo: Geometry, count_include_pad: bool, divisor_override):
    """What each window's sum is divided by: ``divisor_override``; else the window's size
    counting padding (count_include_pad) or only the input elements it covers; a window
    running past the padding (ceil_mode) never counts the overhang. As torch."""
    if divisor_override is not None:
        return (divisor_override,)
    nd = len(geo.kernel)
    total = np.ones(geo.out_size, np.int64)
    for i, (size, k, s, p, o) in enumerate(zip(geo.in_size, geo.kernel, geo.stride,
                                               geo.pad_lo, geo.out_size)):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, size + p)
        if count_include_pad:
            count = end - start
        else:
            count = np.minimum(end, size) - np.maximum(start, 0)
        shape = [1] * nd
        shape[i] = o
        total = total * count.reshape(shape)
    if (total == total.flat[0]).all():
        return (int(total.flat[0]),)
    return (total,)

"""Resampling: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area, lanczos). pixel_shuffle and unfold/fold live in pixel_shuffle.py and fold.py.

interpolate is separable: along each spatial axis every output position o reads a few
input positions ``index[o, t]`` with weights ``weight[o, t]`` (1 tap for nearest, 2 for
linear, 4 for cubic), computed with torch's formulas in torch's precision (float32 for
float32 input), so the same pixels are picked and mixed with the same weights. Axes are
applied last one first, the order in which torch nests its loops, with the fused
multiply-adds of torch's build; (bi/tri)linear also has torch's channels-last kernel
(corner weights, its own sum order: _Resample._apply_channels_last), so linear results
agree with torch's bit for bit.

Every resampling is linear in the input, so its backward is its transpose: each output
gradient is sent back to the taps it was read from, weighted the same way (linear and
cubic: added in torch's sequential order, _Resample._scatter; nearest: summed run by
run). The transpose of the transpose is the forward again, so double backward works.

antialias=True (bilinear, bicubic, lanczos on 4-D input) widens the filter by the
downsampling factor (torch's _upsample_*2d_aa, after Pillow): see _AntialiasResample.
uint8 images (bilinear, bicubic, lanczos) are mixed in torch's fixed-point arithmetic
(int16 weights, integer sums, a uint8 image between the two passes): _Uint8Resample.

Memory format: the result is channels_last(_3d) when the input's strides suggest it, as
torch's kernels allocate it. The input gradient follows the incoming gradient's strides
the same way for nearest (2-d), bilinear and trilinear (their backward kernels allocate
like that), and is contiguous for the others (``grad_format``).
"""

from __future__ import annotations

import functools
import math
import operator

import numpy as np

from torchlet._dtype import (
    TYPE_WORDS,
    channels_last,
    channels_last_3d,
    no_attribute_error,
    type_name,
)
from torchlet._ops.shape.common import in_layout, suggested_memory_format
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
)
from torchlet.nn._functional.pooling_plans import in_format

__all__ = ["interpolate", "upsample", "upsample_bilinear", "upsample_nearest"]

_TYPE_WORD = TYPE_WORDS


def _check_input(fn: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type_name(value)}"
        )
    return value


# ---------------------------------------------------------------------------------------
# torch's source-index arithmetic (aten/src/ATen/native/UpSample.h), one axis at a time


def _scale(in_size: int, out_size: int, align_corners: bool, scale, ftype):
    """area_pixel_compute_scale: input pixels per output pixel, in the compute type."""
    if align_corners:
        return ftype(in_size - 1) / ftype(out_size - 1) if out_size > 1 else ftype(0)
    if scale is not None and scale > 0:
        return ftype(1.0 / scale)
    return ftype(in_size) / ftype(out_size)


def _fma(a, b, c, ftype) -> np.ndarray:
    """a * b + c rounded once, as the fused multiply-adds GCC puts in torch's compiled
    kernels. float32: in float64, where the product of two floats is exact; float64: with
    Dekker's error-free product and sum. Either can differ by an ulp in rare ties."""
    if ftype != np.float64:
        return (np.asarray(a, np.float64) * np.asarray(b, np.float64)
                + np.asarray(c, np.float64)).astype(ftype)
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    with np.errstate(invalid="ignore", over="ignore"):
        product = a * b
        halves = []
        for v in (a, b):  # split into 26-bit halves: their products are exact
            big = 134217729.0 * v
            high = big - (big - v)
            halves.append((high, v - high))
        (ah, al), (bh, bl) = halves
        product_error = ((ah * bh - product) + ah * bl + al * bh) + al * bl
        total = product + c
        back = total - product
        sum_error = (product - (total - back)) + (c - back)
        fused = total + (sum_error + product_error)
    return np.where(np.isfinite(fused), fused, total)


def _madd(a: np.ndarray, w, acc: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """acc + a * w rounded once, in acc's type (float32 or float64): the fused
    multiply-add GCC makes of torch's ``acc + a * w`` (float32: in float64, where the
    product of two floats is exact). ``out`` may be acc."""
    if acc.dtype == np.float64:
        result = _fma(a, w, acc, np.float64)
        if out is None:
            return result
        out[...] = result
        return out
    product = np.multiply(a, w, dtype=np.float64)
    if out is None:
        out = np.empty(product.shape, acc.dtype)
    return np.add(product, acc, out=out, casting="same_kind")


def _source(scale, out_size: int, align_corners: bool, cubic: bool, ftype,
            fused: bool = True) -> np.ndarray:
    """area_pixel_compute_source_index for every output position:
    scale * (dst + 0.5) - 0.5 (one fused multiply-add in torch's vectorised kernels;
    ``fused=False``: rounded twice, as its plain C++ bicubic backward), or scale * dst
    with align_corners; clamped at 0 except for cubic."""
    dst = np.arange(out_size).astype(ftype)
    if align_corners:
        return scale * dst
    if fused:
        src = _fma(scale, dst + ftype(0.5), ftype(-0.5), ftype)
    else:
        src = (scale * (dst + ftype(0.5))).astype(ftype) - ftype(0.5)
    return src if cubic else np.maximum(src, ftype(0))


def _nearest_taps(in_size, out_size, scale, exact, shortcut):
    """Nearest source pixels. torch's channels-last kernel and its backward kernel
    (nearest_idx) take shortcuts when the output is the same size or twice as large,
    even where a given scale_factor would pick other pixels (3 -> 3 with
    scale_factor=1.3): ``shortcut``; its generic kernel does not."""
    shortcut = shortcut and not exact
    if exact:  # floorf((dst + 0.5) * scale): a double product rounded to float
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(in_size) / np.float32(out_size)
        src = ((np.arange(out_size) + 0.5) * np.float64(s)).astype(np.float32)
        index = np.floor(src).astype(np.int64)
    elif shortcut and out_size == in_size:
        index = np.arange(out_size)
    elif shortcut and out_size == 2 * in_size:
        index = np.arange(out_size) >> 1
    else:  # floorf(dst * scale) in float
        s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
            np.float32(in_size) / np.float32(out_size)
        index = np.floor(np.arange(out_size).astype(np.float32) * s).astype(np.int64)
    return np.minimum(index, in_size - 1)[:, None], None


def _linear_taps(in_size, out_size, align_corners, scale, ftype):
    if out_size == in_size:  # a copy
        pos = np.arange(out_size)
        return np.stack([pos, pos], 1), np.stack([np.ones(out_size, ftype),
                                                  np.zeros(out_size, ftype)], 1)
    ratio = _scale(in_size, out_size, align_corners, scale, ftype)
    real = _source(ratio, out_size, align_corners, False, ftype)
    # guard_index_and_lambda: floorf, so a double index is rounded to float first
    i0 = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), in_size - 1)
    lam1 = np.minimum(np.maximum(real - i0.astype(ftype), ftype(0)), ftype(1)).astype(ftype)
    i1 = i0 + (i0 < in_size - 1)
    lam0 = (ftype(1) - lam1).astype(ftype)
    return np.stack([i0, i1], 1), np.stack([lam0, lam1], 1)


def _cubic_taps(in_size, out_size, align_corners, scale, ftype, fused: bool = True):
    """torch's four cubic taps at each output's source index: its floor - 1 .. + 2
    (clamped to the image) weighted by get_cubic_upsample_coefficients, Keys' cubic
    (A = -0.75) at the distances 1 + t, t, 1 - t, 2 - t of the fraction t:
    near(x) = ((A + 2) x - (A + 3)) x x + 1,  far(x) = ((A x - 5A) x + 8A) x - 4A.
    The forward kernel (built for AVX2) has GCC's fused multiply-adds in the source index
    and in each polynomial's first steps, not its last ones (measured: ((a x + b) x) x + 1,
    (fma(fma(A, x, -5A), x, 8A) x) - 4A); the backward kernel (plain C++, built
    without FMA) rounds every operation: ``fused=False``."""
    ratio = _scale(in_size, out_size, align_corners, scale, ftype)
    real = _source(ratio, out_size, align_corners, True, ftype, fused)
    # guard_index_and_lambda: floorf (a double index is rounded to float first), the
    # index kept inside the image and the fraction inside [0, 1]
    base = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), in_size - 1)
    t = np.clip((real - base.astype(ftype)).astype(ftype), ftype(0), ftype(1))
    a = ftype(-0.75)

    def mul_add(x, y, z):  # x * y + z, rounded once where GCC fused it
        return _fma(x, y, z, ftype) if fused else (x * y).astype(ftype) + z

    def near(x):  # cubic_convolution1: |x| <= 1
        return ((mul_add(a + ftype(2), x, -(a + ftype(3))) * x).astype(ftype) * x
                ).astype(ftype) + ftype(1)

    def far(x):  # cubic_convolution2: 1 < |x| < 2
        return (mul_add(mul_add(a, x, -(ftype(5) * a)), x, ftype(8) * a) * x
                ).astype(ftype) - ftype(4) * a

    one = ftype(1)
    rest = (one - t).astype(ftype)
    weights = np.stack([far((t + one).astype(ftype)), near(t), near(rest),
                        far((rest + one).astype(ftype))], 1).astype(ftype)
    index = np.clip(base[:, None] - 1 + np.arange(4), 0, in_size - 1)
    return index, weights


def _channels_last_kernel(x: np.ndarray, out_size: list, linear: bool = True) -> bool:
    """Whether torch runs a (bi/tri)linear (or nearest: ``linear=False``) resize of ``x``
    with its channels-last kernel rather than the generic one
    (_use_channels_last_kernel_2d/3d): for a channels_last input of more than 3 channels;
    in 2-d also for any output of H + W <= 128, and (linear) for 3 channels on one
    thread."""
    nd = len(out_size)
    if nd == 1:
        return False
    fmt = channels_last if nd == 2 else channels_last_3d
    if in_layout(x, fmt) and x.shape[1] > 3:
        return True
    return nd == 2 and (sum(out_size) <= 128 or (
        linear and x.shape[1] == 3 and get_num_threads() == 1))


def _half_weights(weight: np.ndarray, mode: str) -> np.ndarray:
    """The weights torch's generic kernels use for float16 (as float32): each rounded to
    float16, except linear's first one, 1 - lambda, which it computes in float16 from
    the rounded lambda (compute_source_index_and_lambda)."""
    half = weight.astype(np.float16)
    if mode == "linear":
        half[:, 0] = np.float16(1) - half[:, 1]
    return half.astype(np.float32)


class _Resample:
    """A separable resampling: per spatial axis, ``index`` (out, taps) and ``weight``
    (out, taps) or None (nearest: a pure gather)."""

    def __init__(self, node_name: str, axes: list, back_axes: list | None = None,
                 grad_format: bool = False, mode: str = "nearest", given: tuple = ()):
        self.node_name = node_name
        # (output_size, scales, align_corners) as torch's node shows them (_saved_*)
        self.given = given
        self.mode = mode  # "nearest", "linear" or "cubic": which of torch's kernels
        self._events: tuple | None = None  # (the backward's scatter order, made on first use)
        self.grad_format = grad_format  # the backward keeps a channels_last gradient so
        self.axes = axes  # [(index, weight)] for each spatial axis, first to last
        # what torch's backward kernel reads, where it differs from its forward's taps
        # (then ``transpose`` is not quite the adjoint of ``apply``, as in torch)
        self.back_axes = axes if back_axes is None else back_axes

    def apply(self, x: np.ndarray) -> np.ndarray:
        nd = len(self.axes)
        dtype = x.dtype
        if dtype == np.float16:
            x = x.astype(np.float32)
        if self.mode == "linear" and _channels_last_kernel(x, [i.shape[0] for i, _ in self.axes]):
            return self._apply_channels_last(x, dtype).astype(dtype, copy=False)
        for d in range(nd - 1, -1, -1):  # innermost axis first, as torch's loops nest
            index, weight = self.axes[d]
            axis = x.ndim - nd + d
            if weight is None:
                x = np.take(x, index[:, 0], axis=axis)
                continue
            shape = [1] * x.ndim
            shape[axis] = -1
            if dtype == np.float16:  # (torch keeps float16 weights, computes in float)
                weight = _half_weights(weight, self.mode)
            terms = [np.take(x, index[:, t], axis=axis) for t in range(index.shape[1])]
            ws = [weight[:, t].reshape(shape) for t in range(index.shape[1])]
            # t0 * w0 + t1 * w1 (+ t2 * w2 + t3 * w3: cubic), the first product and each
            # later addition fused (GCC's schedule of torch's unrolled loop)
            out = _madd(terms[0], ws[0], terms[1] * ws[1])
            for term, w in zip(terms[2:], ws[2:]):
                out = _madd(term, w, out)
            x = out
        return x.astype(dtype, copy=False)

    def _apply_channels_last(self, x: np.ndarray, dtype) -> np.ndarray:
        """torch's channels-last linear kernel (upsample_linear_channels_last, 2-d and
        3-d): each output point mixes its 2**nd corners with the products of the axes'
        weights (d * h * w, rounded in turn), summed corner by corner, 000 first. Its
        channels go by whole 32-byte vectors (the AVX2 build: measured), which sum right
        to left, c0 + (c1 + (... + c7)), the rest one at a time, left to right; GCC
        fuses each addition with one of its products."""
        nd = len(self.axes)
        ftype = x.dtype.type
        lead = x.ndim - nd
        # the input gathered at each corner's indices, axis by axis
        corners: dict[tuple, np.ndarray] = {(): x}
        for d in range(nd - 1, -1, -1):  # (the last axis first: the cheaper order)
            index = self.axes[d][0]
            corners = {(t,) + key: np.take(c, index[:, t], axis=lead + d)
                       for key, c in corners.items() for t in (0, 1)}
        weights: dict[tuple, np.ndarray | None] = {(): None}
        for d in range(nd):
            weight = self.axes[d][1]
            shape = [1] * x.ndim
            shape[lead + d] = -1
            weights = {key + (t,): weight[:, t].reshape(shape) if w is None
                       else (w * weight[:, t].reshape(shape)).astype(ftype)
                       for key, w in weights.items() for t in (0, 1)}
        keys = sorted(corners)
        xs = [corners[k] for k in keys]
        ws = [weights[k] for k in keys]
        channels = x.shape[1]
        vector = channels - channels % (32 // np.dtype(dtype).itemsize)
        out = np.empty(xs[0].shape, ftype)
        # float16 (its own kernel: float arithmetic, float weights, rounded once at the
        # end) starts each sum from a plain product of the first corner it takes: the
        # last corner's in the vectors, the first one's in the rest (measured)
        half = dtype == np.float16
        if vector:  # c0 + (c1 + (... + (c6 + c7))): fma(x7, w7, p6), then x5 down to x0
            part = [c[:, :vector] for c in xs]
            first = len(xs) - 1 if half else len(xs) - 2
            acc = part[first] * ws[first]
            for k in range(len(xs) - 1, -1, -1):
                if k != first:
                    acc = _madd(part[k], ws[k], acc)
            out[:, :vector] = acc
        if vector < channels:  # ((c0 + c1) + c2) + ...: fma(x0, w0, p1), then x2, x3, ...
            part = [c[:, vector:] for c in xs]
            first = 0 if half else 1
            acc = part[first] * ws[first]
            for k in range(len(xs)):
                if k != first:
                    acc = _madd(part[k], ws[k], acc)
            out[:, vector:] = acc
        return out

    def transpose(self, g: np.ndarray, in_size: tuple) -> np.ndarray:
        """The adjoint of ``apply``: send each value back to its taps, weighted."""
        nd = len(self.axes)
        dtype = g.dtype
        if dtype == np.float16:
            g = g.astype(np.float32)
        if all(weight is None for _, weight in self.back_axes):
            return self._collect(g, in_size).astype(dtype, copy=False)
        if self.mode in ("linear", "cubic"):
            return self._scatter(g, tuple(in_size)).astype(dtype, copy=False)
        for d in range(nd):  # the reverse of apply's order
            index, weight = self.back_axes[d]
            axis = g.ndim - nd + d
            shape = list(g.shape)
            shape[axis] = in_size[d]
            out = np.zeros(shape, g.dtype)
            wshape = [1] * g.ndim
            wshape[axis] = -1
            for t in range(index.shape[1]):
                tap = index[:, t]
                part = g if weight is None else g * weight[:, t].reshape(wshape)
                # tap is sorted: sum each run of equal positions, then add once per position
                starts = np.flatnonzero(np.r_[True, tap[1:] != tap[:-1]])
                sums = np.add.reduceat(part, starts, axis=axis)
                target = [slice(None)] * g.ndim
                target[axis] = tap[starts]
                out[tuple(target)] += sums
            g = out
        return g.astype(dtype, copy=False)


    def _scatter(self, g: np.ndarray, in_size: tuple) -> np.ndarray:
        """torch's backward kernels, for every output point in row-major order, for each
        of its taps in turn, add the output's gradient times the tap's weights into the
        input point there. Linear (cpu_upsample_linear_backward and its channels-last
        twin, alike in arithmetic): taps 000, 001, ..., 111, ``grad_in += (d * h * w) *
        grad_out`` as one fused multiply-add. Cubic (upsample_bicubic2d_backward_out_frame,
        plain C++ built without FMA): the width tap outermost, ``grad_in += (grad_out *
        h) * w``, each operation rounded. Here pass r adds every input point's r-th
        contribution, for all the points that have one at once."""
        sources, weights, active, pixels = self._scatter_order(in_size)
        nd = len(in_size)
        n_out = int(np.prod(g.shape[g.ndim - nd:]))
        lead = g.shape[:g.ndim - nd]
        rows = np.ascontiguousarray(g.reshape(-1, n_out).T)  # one row per output point
        # one row per input point, those with the most contributions first: the points
        # that pass r reaches are acc[:active[r]]
        acc = np.zeros((sources.shape[1], rows.shape[1]), g.dtype)
        term = np.empty_like(acc)
        # float32: the fused multiply-add in float64, where the product is exact
        wide = np.empty(acc.shape, np.float64) if g.dtype == np.float32 else None
        for r, k in enumerate(active):
            part = acc[:k]
            np.take(rows, sources[r, :k], axis=0, out=term[:k])
            if self.mode == "cubic":
                for weight in weights:
                    np.multiply(term[:k], weight[r, :k, None], out=term[:k])
                part += term[:k]
            elif wide is not None:
                np.multiply(term[:k], weights[0][r, :k, None], out=wide[:k], dtype=np.float64)
                np.add(wide[:k], part, out=part, casting="same_kind")
            else:
                _madd(term[:k], weights[0][r, :k, None], part, out=part)
        grad = np.empty_like(acc)
        grad[pixels] = acc
        return np.ascontiguousarray(grad.T).reshape(lead + in_size)

    def _scatter_order(self, in_size: tuple):
        """The contributions to each input point in the order torch's backward loops
        reach them: ``sources[r, p]``, the output point of the r-th contribution to the
        input point ``pixels[p]`` (input points in C order, sorted by falling number of
        contributions, so those with an r-th are the first ``active[r]``), and its
        weights: one table per axis (cubic), or their product, d * h * w rounded after
        each product (linear)."""
        if self._events is not None and self._events[0] == in_size:
            return self._events[1]
        nd = len(in_size)
        ftype = self.back_axes[0][1].dtype.type
        out_size = [index.shape[0] for index, _ in self.back_axes]
        # the taps' loops, outermost first (cubic: the width's outside the height's)
        taps = list(range(nd))[::-1] if self.mode == "cubic" else list(range(nd))
        # every (output point, tap) pair: dims (o_0, ..., o_nd-1) and then the taps',
        # in the order the loops take them
        target = np.zeros((1,) * 2 * nd, np.int64)
        axis_weights: list[np.ndarray] = []
        stride = 1
        for d in range(nd - 1, -1, -1):
            index, w = self.back_axes[d]
            shape = [1] * 2 * nd
            shape[d], shape[nd + taps.index(d)] = index.shape
            target = target + index.reshape(shape) * stride
            axis_weights.insert(0, w.reshape(shape))
            stride *= in_size[d]
        if self.mode != "cubic":
            product = axis_weights[0]
            for w in axis_weights[1:]:
                product = (product * w).astype(ftype)
            axis_weights = [product]
        full = tuple(out_size) + tuple(self.back_axes[d][0].shape[1] for d in taps)
        target = np.broadcast_to(target, full).reshape(-1)
        n_out = int(np.prod(out_size))
        source = np.repeat(np.arange(n_out), target.size // n_out)
        n_in = int(np.prod(in_size))
        # (a stable sort of 16-bit keys is a radix sort: several times faster)
        order = np.argsort(target.astype(np.uint16) if n_in <= 1 << 16 else target,
                           kind="stable")
        target = target[order]
        counts = np.bincount(target, minlength=n_in)
        rank = np.arange(target.size) - (np.cumsum(counts) - counts)[target]
        pixels = np.argsort(-counts, kind="stable")
        column = np.empty(n_in, np.int64)
        column[pixels] = np.arange(n_in)
        column = column[target]
        n_ranks = int(counts.max(initial=0))
        flat = rank * n_in + column
        sources = np.zeros((n_ranks, n_in), np.int64)
        sources.reshape(-1)[flat] = source[order]
        weights = []
        for w in axis_weights:
            table = np.zeros((n_ranks, n_in), ftype)
            table.reshape(-1)[flat] = np.broadcast_to(w, full).reshape(-1)[order]
            weights.append(table)
        # active[r]: the input points with more than r contributions
        active = n_in - np.cumsum(np.bincount(counts, minlength=n_ranks + 1))[:n_ranks]
        if sources.nbytes <= 1 << 25:  # (the cached plans keep only small tables)
            self._events = (in_size, (sources, weights, active, pixels))
        return sources, weights, active, pixels

    def _collect(self, g: np.ndarray, in_size: tuple) -> np.ndarray:
        """The nearest-neighbour backward: every input pixel adds up the gradients of
        the outputs that copied it, in the outputs' row-major order (torch's loop, so the
        float sums agree bit for bit). Along each axis the outputs that read input i are
        a run first[i], first[i] + 1, ..., first[i] + count[i] - 1; one pass per
        combination of ranks (r_1, ..., r_nd) in the runs gathers each pixel's r-th
        output, vectorised over all pixels."""
        nd = len(self.back_axes)
        first, count = [], []
        for (index, _), size in zip(self.back_axes, in_size):
            tap = index[:, 0]  # sorted: nearest source pixels never go backwards
            count.append(np.bincount(tap, minlength=size))
            first.append(np.searchsorted(tap, np.arange(size)))
        lead = (slice(None),) * (g.ndim - nd)
        out = np.zeros(g.shape[:g.ndim - nd] + tuple(in_size), g.dtype)
        for ranks in np.ndindex(*(int(c.max(initial=0)) for c in count)):
            # the pixels that have an r-th output along every axis, and those outputs
            pixels = [np.flatnonzero(r < c) for r, c in zip(ranks, count)]
            if any(p.size == 0 for p in pixels):
                continue
            outputs = [f[p] + r for f, p, r in zip(first, pixels, ranks)]
            dst, src = _index_or_slices(pixels), _index_or_slices(outputs)
            out[lead + dst] += g[lead + src]
        return out


def _index_or_slices(positions: list) -> tuple:
    """An index for one position list per axis: slices where every list is evenly
    spaced (integer scale factors: a strided view, no copy), else an open mesh."""
    slices = []
    for p in positions:
        step = int(p[1] - p[0]) if p.size > 1 else 1
        if step < 1 or (p.size > 2 and not (np.diff(p) == step).all()):
            return np.ix_(*positions)
        slices.append(slice(int(p[0]), int(p[-1]) + 1, step))
    return tuple(slices)


class _Upsample(Primitive):
    """out = R x (R picks and mixes input pixels);  grad_x = R^T grad."""

    node_name = "UpsampleNearest2DBackward0"  # set per call: ctx.node_name

    @staticmethod
    def forward(ctx, x, *, plan):
        ctx.plan, ctx.in_size = plan, x.shape[x.ndim - len(plan.axes):]
        ctx.node_name = plan.node_name
        return in_format(plan.apply(x), suggested_memory_format(x))

    @staticmethod
    def backward(ctx, grad):
        return _UpsampleTranspose.apply(grad, plan=ctx.plan, in_size=ctx.in_size)


class _UpsampleTranspose(Primitive):
    """out = R^T g (an upsampling's backward);  grad_g = R grad."""

    node_name = "UpsampleNearest2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, *, plan, in_size):
        ctx.plan = plan
        ctx.node_name = plan.node_name.replace("Backward0", "BackwardBackward0")
        fmt = suggested_memory_format(g) if plan.grad_format else None
        return in_format(plan.transpose(g, in_size), fmt)

    @staticmethod
    def backward(ctx, grad):
        return _Upsample.apply(grad, plan=ctx.plan)


# ---------------------------------------------------------------------------------------
# antialias=True: torch's separable filters (aten/src/ATen/native/cpu/UpSampleKernel.cpp,
# after Pillow's Resample.c). Downsampling by s widens the filter s times, so every input
# pixel under it contributes; output i reads the run xmin .. xmin + xsize - 1.


def _aa_filter(mode: str, x: np.ndarray, a: float = -0.5) -> np.ndarray:
    """The filter at distances ``x``, in x's precision: the triangle 1 - |x| (bilinear),
    Keys' cubic with a = -0.5 (bicubic, as Pillow; not the -0.75 of antialias=False), or
    Lanczos-3, sinc(x) sinc(x / 3) (lanczos). GCC fuses the cubic's multiply-adds."""
    ftype = x.dtype.type
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1.0, (1.0 - x.astype(np.float64)).astype(ftype), ftype(0))
    if mode == "lanczos":
        return _lanczos(x)
    a = ftype(a)
    near = _fma(_fma(a + ftype(2), x, -(a + ftype(3)), ftype) * x, x, ftype(1), ftype)
    far = _fma(_fma(_fma(a, x, -(ftype(5) * a), ftype), x, ftype(8) * a, ftype), x,
               -(ftype(4) * a), ftype)
    return np.where(x < 1.0, near, np.where(x < 2.0, far, ftype(0))).astype(ftype)


def _lanczos(x: np.ndarray) -> np.ndarray:
    """sinc(x) sinc(x / 3) for |x| < 3, sinc(t) = sin(pi t) / (pi t), as torch writes it:
    sinc(x) in x's type, sinc(x / 3.0) in double (the template deduces double there).
    torch takes the float sine from the C library; this one is correctly rounded, which
    the library's is not always (weights can differ by an ulp)."""
    ftype = x.dtype.type
    with np.errstate(invalid="ignore", divide="ignore"):
        turn = (x * ftype(np.pi)).astype(ftype)
        sine = np.sin(turn.astype(np.float64)).astype(ftype)
        near = np.where(x == 0, ftype(1), (sine / turn).astype(ftype))
        third = x.astype(np.float64) / 3.0 * np.pi
        far = np.where(third == 0, 1.0, np.sin(third) / third)
    return np.where(x < 3.0, (near.astype(np.float64) * far).astype(ftype), ftype(0))


_AA_TAPS = {"bilinear": 2, "bicubic": 4, "lanczos": 6}


def _aa_weights(in_size: int, out_size: int, align_corners: bool, scale, mode: str, ftype):
    """Per output position: first input index ``xmin``, tap count ``xsize`` and the
    normalised weights (out, max taps), as torch's _compute_indices_min_size_weights_aa
    computes them: the centre and distances in ``ftype`` from double products."""
    ratio = _scale(in_size, out_size, align_corners, scale, ftype)
    taps = _AA_TAPS[mode]
    support = ftype(taps * 0.5 * float(ratio)) if ratio >= 1.0 else ftype(taps * 0.5)
    invscale = ftype(1.0 / float(ratio)) if ratio >= 1.0 else ftype(1.0)
    width = int(math.ceil(support)) * 2 + 1
    center = (np.float64(ratio) * (np.arange(out_size) + 0.5)).astype(ftype)
    # static_cast<int64_t>(float + 0.5): the sum in double, truncated toward zero
    start = np.trunc((center - support).astype(np.float64) + 0.5).astype(np.int64)
    stop = np.trunc((center + support).astype(np.float64) + 0.5).astype(np.int64)
    xmin = np.maximum(start, 0)
    xsize = np.clip(np.minimum(stop, in_size) - xmin, 0, width)
    pixel = (np.arange(width)[None, :] + xmin[:, None]).astype(ftype)
    distance = (((pixel - center[:, None]).astype(np.float64) + 0.5)
                * np.float64(invscale)).astype(ftype)
    used = np.arange(width)[None, :] < xsize[:, None]
    weight = np.where(used, _aa_filter(mode, distance), ftype(0))
    total = np.zeros(out_size, ftype)
    for j in range(width):  # summed in order, in ftype
        total = total + weight[:, j]
    safe = np.where(total != 0, total, ftype(1))
    return xmin, xsize, (weight / safe[:, None]).astype(ftype)


class _AntialiasResample:
    """A filtered resize of the last two axes (antialias=True). ``apply`` is torch's
    separable forward: the width pass, then the height pass, each output a running sum
    over its taps, an axis whose size does not change skipped. ``transpose`` is torch's
    backward kernel: every output gradient times wy * wx added into each pixel under the
    filter, outputs in row-major order."""

    def __init__(self, node_name: str, in_size: tuple, out_size: tuple, scales,
                 align_corners: bool, mode: str, ftype):
        self.node_name = node_name
        self.given = (tuple(out_size), scales, align_corners)  # (see _Resample)
        self.grad_format = mode == "bilinear"  # (see _Resample)
        self.in_size, self.out_size = tuple(in_size), tuple(out_size)
        self.axes = [_aa_weights(i, o, align_corners, None if scales is None else scales[d],
                                 mode, ftype)
                     for d, (i, o) in enumerate(zip(in_size, out_size))]

    @staticmethod
    def _pass(x: np.ndarray, axis: int, taps) -> np.ndarray:
        """out[.., i, ..] = sum_j x[.., xmin_i + j, ..] w[i, j]. GCC unrolled torch's loop
        over j (4 steps at a time for float32, 2 for float64) with separate multiply and
        add, and fused the leftover steps: reproduced step by step."""
        xmin, xsize, weight = taps
        ftype = x.dtype.type
        unroll = 2 if x.dtype == np.float64 else 4
        plain = unroll * ((xsize - 1) // unroll)  # the steps done as multiply then add
        shape = [1] * x.ndim
        shape[axis] = -1
        last = x.shape[axis] - 1
        out = np.take(x, xmin, axis=axis) * weight[:, 0].reshape(shape)
        for j in range(1, weight.shape[1]):
            value = np.take(x, np.minimum(xmin + j, last), axis=axis)
            w = weight[:, j].reshape(shape)
            step = np.where((j <= plain).reshape(shape), out + value * w,
                            _fma(value, w, out, ftype))
            out = np.where((j < xsize).reshape(shape), step, out)
        return out.astype(ftype, copy=False)

    def apply(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-2:] == self.out_size:
            return x.copy()
        # (a channels_last image's loops run along the channels: no slip, see below)
        slips = suggested_memory_format(x) is None
        for d in (1, 0):  # width, then height
            if self.in_size[d] == self.out_size[d]:
                continue
            if d == 0 and x.shape[-1] == 1 and slips:
                # torch's height pass reads its taps from the loop's first element: on an
                # image one pixel wide, where the loop runs down the column, every output
                # row repeats row 0 (its backward kernel has no such slip)
                first = tuple(part[:1] for part in self.axes[0])
                row = self._pass(x, x.ndim - 2, first)
                x = np.repeat(row, self.out_size[0], axis=-2)
                continue
            x = self._pass(x, x.ndim - 2 + d, self.axes[d])
        return x

    @staticmethod
    def _readers(in_size: int, taps):
        """For each input pixel, the outputs whose filter covers it (ascending) and their
        weights there: (in, K) tables and a validity mask."""
        xmin, xsize, weight = taps
        outs = np.repeat(np.arange(len(xmin)), xsize)
        offsets = np.concatenate([np.arange(s) for s in xsize]) if len(xsize) else outs
        pixels = xmin[outs] + offsets
        order = np.lexsort((outs, pixels))
        pixels, outs, offsets = pixels[order], outs[order], offsets[order]
        counts = np.bincount(pixels, minlength=in_size)
        rank = np.arange(len(pixels)) - np.repeat(np.cumsum(counts) - counts, counts)
        width = max(int(counts.max(initial=0)), 1)
        index = np.zeros((in_size, width), np.int64)
        table = np.zeros((in_size, width), weight.dtype)
        valid = np.zeros((in_size, width), bool)
        index[pixels, rank] = outs
        table[pixels, rank] = weight[outs, offsets]
        valid[pixels, rank] = True
        return index, table, valid

    def transpose(self, g: np.ndarray, in_size: tuple) -> np.ndarray:
        ftype = g.dtype.type
        rows, row_weight, row_valid = self._readers(in_size[0], self.axes[0])
        cols, col_weight, col_valid = self._readers(in_size[1], self.axes[1])
        out = np.zeros(g.shape[:-2] + tuple(in_size), g.dtype)
        for a in range(rows.shape[1]):  # in torch's order: output row, then column
            g_rows = g[..., rows[:, a], :]
            for b in range(cols.shape[1]):
                share = (col_weight[None, :, b] * row_weight[:, a, None]).astype(ftype)
                step = _fma(share, g_rows[..., cols[:, b]], out, ftype)
                out = np.where(row_valid[:, a, None] & col_valid[None, :, b], step, out)
        return out


# ---------------------------------------------------------------------------------------
# uint8 images (bilinear, bicubic, lanczos): torch mixes them in fixed point
# (UpSampleKernel.cpp, _compute_index_ranges_int16_weights and the separable uint8 loops):
# double weights rounded to int16 at a per-axis precision p, each output pixel
# (2^(p-1) + sum_j x_j w_j) >> p clamped to 0..255, the width pass then the height pass,
# with a uint8 image in between. Integer sums are exact, so the order does not matter.


def _uint8_taps(in_size: int, out_size: int, align_corners: bool, scale, mode: str,
                antialias: bool):
    """Per output position: first input index ``xmin``, tap count ``xsize``, int16
    weights (out, taps) and their precision. antialias: Pillow's filter widened by the
    downscaling factor, normalised (``_aa_weights`` in double). Otherwise the float
    kernels' taps (source index, its floor and fraction ``lam``) with the weights of taps
    outside the image added to the edge pixel's, as the float kernels' clamped indices
    read it (torch's _compute_indices_min_size_weights)."""
    if antialias:
        xmin, xsize, weight = _aa_weights(in_size, out_size, align_corners, scale, mode,
                                          np.float64)
        wt_max = weight.max(initial=0.0)
    else:
        taps = _AA_TAPS[mode]
        ratio = _scale(in_size, out_size, align_corners, scale, np.float64)
        real = _source(ratio, out_size, align_corners, taps > 2, np.float64)
        # guard_index_and_lambda: floorf, a float floor of the double index
        base = np.minimum(np.floor(real.astype(np.float32)).astype(np.int64), in_size - 1)
        lam = np.clip(real - base, 0.0, 1.0)
        half = taps // 2
        low = base - half + 1  # the unclamped first tap
        xmin = np.maximum(low, 0)
        xsize = np.clip(np.minimum(base + half + 1, in_size) - xmin, 0, taps)
        weight = np.zeros((out_size, taps))
        slot = np.zeros(out_size, np.int64)
        wt_max = 0.0
        rows = np.arange(out_size)
        for j in range(taps):  # folded into its slot in torch's order, as is wt_max
            w = _aa_filter(mode, (j + 1 - half) - lam, a=-0.75)
            slot = np.where(low + j <= 0, 0, np.where(low + j >= in_size - 1, xsize - 1, slot))
            weight[rows, slot] += w
            wt_max = max(wt_max, float(weight[rows, slot].max(initial=0.0)))
            slot = slot + 1
    precision = 0
    while precision < 22 and int(0.5 + wt_max * (1 << (precision + 1))) < 1 << 15:
        precision += 1
    scaled = weight * (1 << precision)
    # rounded half away from zero, as (int)(v +- 0.5)
    return xmin, xsize, np.trunc(scaled + np.where(scaled < 0, -0.5, 0.5)).astype(np.int64), \
        precision


class _Uint8Resample:
    """A uint8 resize of the last two axes in torch's fixed-point arithmetic (forward
    only: integer tensors take no gradient)."""

    def __init__(self, in_size: tuple, out_size: tuple, scales, align_corners: bool,
                 mode: str, antialias: bool, channels: int):
        self.node_name = "UpsampleBilinear2DBackward0"  # (never recorded: no gradient)
        self.grad_format = False
        self.in_size, self.out_size = tuple(in_size), tuple(out_size)
        self.axes = [_uint8_taps(i, o, align_corners, None if scales is None else scales[d],
                                 mode, antialias)
                     for d, (i, o) in enumerate(zip(in_size, out_size))]
        # torch's vectorised kernel takes images of up to 4 channels; the generic one,
        # the others, with the height pass's slip on one-pixel-wide contiguous images
        # (see _AntialiasResample.apply)
        self.generic = channels > 4

    @staticmethod
    def _pass(x: np.ndarray, axis: int, taps) -> np.ndarray:
        xmin, xsize, weight, precision = taps
        shape = [1] * x.ndim
        shape[axis] = -1
        last = x.shape[axis] - 1
        total = np.full((1,) * x.ndim, 1 << (precision - 1), np.int64)
        for j in range(weight.shape[1]):
            w = np.where(j < xsize, weight[:, j], 0).reshape(shape)
            total = total + np.take(x, np.minimum(xmin + j, last), axis=axis) * w
        return np.clip(total >> precision, 0, 255).astype(np.uint8)

    def apply(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-2:] == self.out_size:
            return x.copy()
        slips = self.generic and suggested_memory_format(x) is None
        for d in (1, 0):  # width, then height
            if self.in_size[d] == self.out_size[d]:
                continue
            if d == 0 and slips and x.shape[-1] == 1:
                first = tuple(part[:1] for part in self.axes[0][:3]) + self.axes[0][3:]
                row = self._pass(x, x.ndim - 2, first)
                x = np.repeat(row, self.out_size[0], axis=-2)
                continue
            x = self._pass(x, x.ndim - 2 + d, self.axes[d])
        return x


def _uint8_resize(x: Tensor, mode: str, out_size: list, scales, align_corners: bool,
                  antialias: bool) -> Tensor:
    plan = _Uint8Resample(x._data.shape[2:], tuple(out_size), scales, align_corners, mode,
                          antialias, x._data.shape[1])
    return _Upsample.apply(x, plan=plan)


_NODE = {("nearest", 1): "UpsampleNearest1DBackward0", ("nearest", 2):
         "UpsampleNearest2DBackward0", ("nearest", 3): "UpsampleNearest3DBackward0",
         ("nearest-exact", 1): "UpsampleNearestExact1DBackward0",
         ("nearest-exact", 2): "UpsampleNearestExact2DBackward0",
         ("nearest-exact", 3): "UpsampleNearestExact3DBackward0",
         ("linear", 1): "UpsampleLinear1DBackward0", ("bilinear", 2):
         "UpsampleBilinear2DBackward0", ("trilinear", 3): "UpsampleTrilinear3DBackward0",
         ("bicubic", 2): "UpsampleBicubic2DBackward0"}
_SIZE_NAMES = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _check_integer_input(mode: str, nd: int, dtype: np.dtype) -> None:
    """torch resizes uint8 images (nearest, nearest-exact, bilinear, bicubic); any other
    integer or bool input fails in the first kernel that dispatches on the dtype."""
    if dtype == np.uint8 and mode in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        return  # (nearest: a pure gather, exact in any dtype; the others: _uint8_resize)
    if mode in ("linear", "trilinear"):
        kernel = "compute_indices_weights_linear"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
    elif nd == 2:  # (nearest, nearest-exact, bilinear)
        kernel = f"upsample_{'bilinear' if mode == 'bilinear' else 'nearest'}2d_channels_last"
    else:
        kernel = "compute_indices_weights_nearest"
    raise NotImplementedError(f"\"{kernel}\" not implemented for '{_TYPE_WORD[dtype.name]}'")


def _check_sizes(in_size: tuple, out_size: list) -> None:
    if any(i <= 0 for i in in_size) or any(o <= 0 for o in out_size):
        nd = len(in_size)
        names = _SIZE_NAMES[nd]
        ins = ", ".join(f"{n}: {i}" for n, i in zip(names, in_size))
        outs = ", ".join(f"{n}: {o}" for n, o in zip(names, out_size))
        raise RuntimeError(
            f"Input and output sizes should be greater than 0, but got input ({ins})"
            f"{' and' if nd == 1 else ''} output ({outs})"
        )


def _resample(x: Tensor, mode: str, out_size: list, scales, align_corners: bool) -> Tensor:
    nd = x._data.ndim - 2
    in_size = x._data.shape[2:]
    _check_sizes(in_size, out_size)
    dtype = x._data.dtype
    if dtype.kind != "f":
        _check_integer_input(mode, nd, dtype)
    if dtype == np.uint8 and mode in ("bilinear", "bicubic"):
        return _uint8_resize(x, mode, out_size, scales, align_corners, False)
    ftype = np.float64 if dtype == np.float64 else np.float32  # torch's opmath type
    # (nearest: torch's channels-last kernel takes nearest_idx's shortcuts, see
    # _nearest_taps; its generic kernel does not)
    shortcut = mode == "nearest" and _channels_last_kernel(x._data, out_size, linear=False)
    plan = _resample_plan(mode, tuple(in_size), tuple(out_size),
                          None if scales is None else tuple(scales), align_corners, ftype,
                          shortcut)
    return _Upsample.apply(x, plan=plan)


@functools.lru_cache(maxsize=16)
def _resample_plan(mode: str, in_size: tuple, out_size: tuple, scales, align_corners: bool,
                   ftype, shortcut: bool) -> _Resample:
    """The taps of a resize (kept for the next call of the same shape: a training loop
    makes the same ones every step, and the backward's order takes a while to work out)."""
    nd = len(in_size)
    axes, back_axes = [], None
    if mode == "nearest":
        # torch's backward kernel picks pixels with nearest_idx, whose shortcuts (same
        # size: a copy, twice the size: o >> 1) hold in every dimension, even where the
        # forward kernel (1-D, 3-D) followed a scale_factor to other pixels
        back_axes = [_nearest_taps(i, o, None if scales is None else scales[d], False, True)
                     for d, (i, o) in enumerate(zip(in_size, out_size))]
    elif mode == "bicubic" and in_size == out_size:
        # torch's bicubic backward copies the gradient when no size changes, whatever
        # scale_factor the forward followed
        pos = [np.arange(i)[:, None] for i in in_size]
        back_axes = [(p, np.ones(p.shape, ftype)) for p in pos]
    elif mode == "bicubic":  # (its backward kernel's weights, rounded without FMA)
        back_axes = [_cubic_taps(i, o, align_corners, None if scales is None else scales[d],
                                 ftype, fused=False)
                     for d, (i, o) in enumerate(zip(in_size, out_size))]
    for d in range(nd):
        scale = None if scales is None else scales[d]
        i, o = in_size[d], out_size[d]
        if mode in ("nearest", "nearest-exact"):
            axes.append(_nearest_taps(i, o, scale, mode == "nearest-exact", shortcut))
        elif mode == "bicubic":
            axes.append(_cubic_taps(i, o, align_corners, scale, ftype))
        else:
            axes.append(_linear_taps(i, o, align_corners, scale, ftype))
    # torch's backward kernels that allocate the gradient in its own memory format
    grad_format = mode in ("bilinear", "trilinear") or (mode == "nearest" and nd == 2) or (
        mode == "nearest-exact" and nd == 2)
    kernel = {"nearest": "nearest", "nearest-exact": "nearest", "bicubic": "cubic"}.get(
        mode, "linear")
    given = (out_size, scales, None if mode.startswith("nearest") else align_corners)
    return _Resample(_NODE[(mode, nd)], axes, back_axes, grad_format, kernel, given)


def _antialias(x: Tensor, mode: str, out_size: list, scales, align_corners: bool) -> Tensor:
    """interpolate(antialias=True) of a 4-D float input (torch's _upsample_*2d_aa)."""
    in_size = x._data.shape[2:]
    _check_sizes(in_size, out_size)
    dtype = x._data.dtype
    if dtype == np.uint8:
        return _uint8_resize(x, mode, out_size, scales, align_corners, True)
    if dtype not in (np.float32, np.float64):
        raise NotImplementedError('"compute_index_ranges_weights" not implemented for '
                                  f"'{_TYPE_WORD[dtype.name]}'")
    node = f"Upsample{mode.capitalize()}2DAaBackward0"
    plan = _AntialiasResample(node, in_size, tuple(out_size), scales, align_corners, mode,
                              dtype.type)
    return _Upsample.apply(x, plan=plan)


def _is_integer(value) -> bool:
    return isinstance(value, int) or (isinstance(value, Tensor) and value._data.ndim == 0
                                      and value._data.dtype.kind in "iu")


_MODES_2D = {"bilinear", "bicubic", "lanczos"}


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,  # noqa: A002
                recompute_scale_factor=None, antialias=False) -> Tensor:
    """Resize ``input`` (N, C, *spatial; 1 to 3 spatial dimensions) to ``size`` or by
    ``scale_factor`` with ``mode`` 'nearest', 'nearest-exact', 'linear' (3-D input),
    'bilinear' / 'bicubic' (4-D), 'trilinear' (5-D) or 'area' (adaptive average pooling);
    ``align_corners`` maps the corner pixels' centres onto each other. ``antialias``
    filters 4-D 'bilinear' / 'bicubic' / 'lanczos' resizes (lanczos requires it). torch's
    argument checks and index arithmetic."""
    if not isinstance(input, Tensor):  # (torch's interpolate is Python: input.dim() first)
        raise no_attribute_error(input, "dim")
    x = input
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: "
                "linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    ndim = x._data.ndim
    dim = ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(x._data.shape[2:])} and "
                    f"output size of {size}. Please provide input tensor in (N, C, d1, d2, "
                    "...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(s) for s in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"{[type(s) for s in size]}"
                )
            output_size = [operator.index(s) for s in size]
        else:
            output_size = [operator.index(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(x._data.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format."
                )
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        # the output size from the scale; the kernels then use in/out as the scale
        assert scale_factors is not None  # size was not given (checked above)
        output_size = [int(x._data.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in _MODES_2D and ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    if output_size is None:  # torch: floor(input size * scale), in double precision
        assert scale_factors is not None  # size was not given
        products = [x._data.shape[i + 2] * scale_factors[i] for i in range(dim)]
        if not all(-2.0 ** 63 <= p < 2.0 ** 63 for p in products):  # (NaN, inf fail too)
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        output_size = [int(math.floor(p)) for p in products]
    if mode == "lanczos" and ndim == 4:
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if antialias:
        return _antialias(x, mode, output_size, scale_factors, bool(align_corners))
    wanted = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3),
              "linear": (1,), "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}
    if mode in wanted and dim in wanted[mode]:
        if mode == "area":
            pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dim]
            return pool(x, output_size)
        return _resample(x, mode, output_size, scale_factors, bool(align_corners))
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and ndim in (3, 4, 5):
        raise NotImplementedError(f"Got {ndim}D input, but {mode} mode needs {needs[mode]}D "
                                  "input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) for the modes:"
        f" nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
        f"(got {mode})"
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    """Deprecated alias of interpolate (torch warns the same way)."""
    import warnings

    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(mode='nearest')."""
    import warnings

    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    import warnings

    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)

"""Pooling: max, average, adaptive and power-average pooling, and max_unpool.

Every pooling layer looks at one window of the input per output position:

* regular pools (max_pool, avg_pool): window l covers x[l*stride + k*dilation - padding]
  for the kernel offsets k. ``sliding_window_view`` gives all windows as a strided view;
  the reduction loops over the *kernel offsets* (4 steps for a 2x2 kernel), each step
  vectorised over the whole batch, so there is no Python loop over pixels;
* adaptive pools: window o covers [floor(o*I/O), ceil((o+1)*I/O)). When I is a multiple
  of O these are regular windows; otherwise a small table of input positions per window
  ("taps") is gathered, one gather per tap.

Max pooling returns the position of each window's maximum (torch's ``indices``: the flat
index into the input's spatial dimensions, the first maximum in window order, a NaN
always winning); its backward sends each gradient to that position. Average pooling is
linear, so its backward is its transpose (spread each gradient over the window, divided
the same way) and the backward of that is the average pool again: double backward works
for every pooling function.

The sums are taken in torch's order (window row by row, in the input's precision, or
float32 for float16 where torch's kernel does) and divided as its kernels divide (one
division by the window size, or one per side: pooling_plans._divide_window), so average
pools agree with torch bit for bit.

1-D pools are the 2-D ones on an input with a height of 1, as in torch (``unsqueeze``,
pool, ``squeeze``: their grad_fn is SqueezeBackward1).

The NumPy work (window layouts, maxima, sums and their transposes) is in
pooling_plans.py; this file holds the differentiable nodes and torch's argument checks.
"""

from __future__ import annotations

import functools
import math
import operator

import numpy as np

from torchlet._dtype import TYPE_WORDS, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise import relu as _relu
from torchlet._ops.shape.common import _int, _int_list, suggested_memory_format
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.conv_kernels import Geometry
from torchlet.nn._functional.pooling_plans import (
    _prod,
    _simd_lanes,
    adaptive_plan,
    batch_format,
    in_format,
    window_plan,
)

__all__ = [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d", "max_pool1d_with_indices",
    "max_pool2d", "max_pool2d_with_indices", "max_pool3d", "max_pool3d_with_indices",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]

_TYPE_WORD = TYPE_WORDS


class _Gather(Primitive):
    """out = x at the chosen positions (``which``, per plan);  grad_x = grad added back
    at them."""

    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, *, plan, which):
        ctx.plan, ctx.which, ctx.in_shape = plan, which, x.shape
        return plan.gather(x, which)

    @staticmethod
    def backward(ctx, grad):
        return _ScatterAdd.apply(grad, plan=ctx.plan, which=ctx.which, in_shape=ctx.in_shape)


class _ScatterAdd(Primitive):
    """out = zeros of ``in_shape`` with g added at the chosen positions;  grad_g = grad at
    those positions."""

    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, g, *, plan, which, in_shape):
        ctx.plan, ctx.which = plan, which
        return plan.scatter(g, which, in_shape)

    @staticmethod
    def backward(ctx, grad):
        return _Gather.apply(grad, plan=ctx.plan, which=ctx.which)


# ---------------------------------------------------------------------------------------
# Primitives (one class per torch node name)
#
# Memory format: torch's 2-d pools (and max_pool3d) lay their results (values, indices)
# and their input gradient out as channels_last(_3d) when the batched input's strides
# suggest it (``keeps_format``); its other 3-d pools always return contiguous results.
# The values are computed as for any input, then copied into that layout. Their double
# backward runs the pool (or a gather) on the new gradient, whose own layout decides.


class _MaxPoolGrad(Primitive):
    """max_pool's backward as an operation of its own (torch's
    max_pool2d_with_indices_backward and its kin): out = zeros of x's shape with g added
    at the window winners (``which``), laid out as ``fmt``. Linear in g: grad_g = grad
    gathered at the winners (torch's max_pool_double_backward); x only chose the winners:
    grad_x = zeros (contiguous, as torch's). So a gradient taken with create_graph stays
    connected to x even when g needs no gradient, as in torch."""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, *, plan, which, fmt=None):
        ctx.plan, ctx.which, ctx.in_shape, ctx.fmt = plan, which, x.shape, fmt
        return in_format(plan.scatter(g, which, x.shape), fmt)

    @staticmethod
    def backward(ctx, grad):
        need_g, need_x = ctx.needs_input_grad
        return (_Gather.apply(grad, plan=ctx.plan, which=ctx.which) if need_g else None,
                wrap(np.zeros(ctx.in_shape, grad._data.dtype)) if need_x else None)


class _MaxPool(Primitive):
    """out[l] = max of x over window l, idx[l] = where (first maximum, NaN wins);
    grad_x = grad sent to idx (summed where windows overlap). x is saved, as torch saves
    it (its backward node takes x, see _MaxPoolGrad). ``pool_args``: (kernel_size, stride,
    padding, dilation, ceil_mode) as the caller gave them, which torch's node shows."""

    node_name = "MaxPool2DWithIndicesBackward0"
    # the backward, a node of its own with torch's node name
    grad_cls: type[_MaxPoolGrad] = _MaxPoolGrad
    keeps_format = True

    @staticmethod
    def forward(ctx, x, *, plan, with_index=True, pool_args=None):
        out, index, which = plan.max(x, with_index)
        ctx.plan, ctx.which, ctx.pool_args = plan, which, pool_args
        ctx.save_for_backward(x)
        fmt = ctx.fmt = batch_format(x, plan.nd) if ctx.keeps_format else None
        if fmt is not None:
            out, index = in_format(out, fmt), index if index is None else in_format(index, fmt)
        return (out, index) if with_index else out

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        (x,) = ctx.saved_tensors
        return ctx.grad_cls.apply(grad, x, plan=ctx.plan, which=ctx.which, fmt=ctx.fmt)


class _MaxPool3dGrad(_MaxPoolGrad):
    node_name = "MaxPool3DWithIndicesBackwardBackward0"


class _MaxPool3d(_MaxPool):
    node_name = "MaxPool3DWithIndicesBackward0"
    grad_cls = _MaxPool3dGrad


def _check_grad_nonempty(fn: str, grad) -> None:
    """torch refuses the backward of an adaptive pool whose output is empty in a
    non-batch dimension (e.g. output_size 0, or interpolate(mode='area') down to size 0),
    though its forward ran."""
    for i in range(1, grad.ndim):
        if grad.shape[i] == 0:
            raise RuntimeError(
                f"{fn}(): Expected grad_output to have non-zero size for non-batch dimensions, "
                f"but grad_output has sizes {list(grad.shape)} with dimension {i} being empty"
            )


class _AdaptiveMaxPoolGrad(_MaxPoolGrad):
    node_name = "AdaptiveMaxPool2DBackwardBackward0"


class _AdaptiveMaxPool(_MaxPool):
    node_name = "AdaptiveMaxPool2DBackward0"
    backward_fn = "adaptive_max_pool2d_backward"
    grad_cls: type[_MaxPoolGrad] = _AdaptiveMaxPoolGrad

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        _check_grad_nonempty(ctx.backward_fn, grad)
        return _MaxPool.backward(ctx, grad)


class _AdaptiveMaxPool3dGrad(_MaxPoolGrad):
    node_name = "AdaptiveMaxPool3DBackwardBackward0"


class _AdaptiveMaxPool3d(_AdaptiveMaxPool):
    node_name = "AdaptiveMaxPool3DBackward0"
    backward_fn = "adaptive_max_pool3d_backward"
    keeps_format = False
    grad_cls = _AdaptiveMaxPool3dGrad


class _AvgPool(Primitive):
    """out = A x, A averaging each window (sum / divisor);  grad_x = A^T grad (each
    gradient spread over its window, divided the same way). x is saved, as torch saves it
    (its backward node takes x, see _AvgPoolAdjoint). ``pool_args``: (kernel_size, stride,
    padding, ceil_mode, count_include_pad, divisor_override) as given, which torch's nodes
    (this one and its backward's) show."""

    node_name = "AvgPool2DBackward0"
    adjoint_cls: type[_AvgPoolAdjoint] | None = None
    keeps_format = True
    # How torch's kernels round (pooling_plans._WindowPlan.average): ``simd``: for a
    # channels_last input (in the backward: gradient) torch's kernel divides the sums
    # of its vector loop's channels by the window size at once; ``half_forward`` /
    # ``half_backward``: float16 summed and divided in float16 (every backward, and
    # adaptive_avg_pool3d's forward), else in float32
    simd = False
    half_forward, half_backward = False, True

    @staticmethod
    def forward(ctx, x, *, plan, pool_args=None):
        ctx.plan, ctx.pool_args = plan, pool_args
        ctx.save_for_backward(x)
        ctx.fmt = batch_format(x, plan.nd) if ctx.keeps_format else None
        return in_format(plan.average(x, **_rounding(ctx, x.dtype, ctx.fmt, False)), ctx.fmt)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return ctx.adjoint_cls.apply(grad, x, plan=ctx.plan, fmt=ctx.fmt,
                                     pool_args=ctx.pool_args)


class _AvgPoolAdjoint(Primitive):
    """out = A^T g (the backward of an average pool, laid out as its input: ``fmt``;
    torch's avg_pool2d_backward and its kin, which take the pool's input x);
    grad_g = A grad, grad_x = zeros (contiguous, as torch's): x gave only its shape."""

    node_name = "AvgPool2DBackwardBackward0"
    pool_cls: type[_AvgPool] | None = None

    @staticmethod
    def forward(ctx, g, x, *, plan, fmt=None, pool_args=None):
        ctx.plan, ctx.in_shape, ctx.pool_args = plan, x.shape, pool_args
        # (torch's backward kernel is chosen by the gradient's layout, not x's)
        rounding = _rounding(ctx.pool_cls, g.dtype, batch_format(g, plan.nd), True)
        return in_format(plan.average_adjoint(g, x.shape, **rounding), fmt)

    @staticmethod
    def backward(ctx, grad):
        need_g, need_x = ctx.needs_input_grad
        return (ctx.pool_cls.apply(grad, plan=ctx.plan, pool_args=ctx.pool_args)
                if need_g else None,
                wrap(np.zeros(ctx.in_shape, grad._data.dtype)) if need_x else None)


def _rounding(pool, dtype: np.dtype, fmt, backward: bool) -> dict:
    """The rounding arguments of a plan's average (``backward``: average_adjoint) for
    average pool class ``pool`` on an input laid out as ``fmt``."""
    return {"lanes": _simd_lanes(dtype) if pool.simd and fmt is not None else 0,
            "in_half": pool.half_backward if backward else pool.half_forward}


class _AvgPool3d(_AvgPool):
    node_name = "AvgPool3DBackward0"
    keeps_format = False


class _AvgPool3dAdjoint(_AvgPoolAdjoint):
    node_name = "AvgPool3DBackwardBackward0"


class _AdaptiveAvgPool(_AvgPool):
    node_name = "AdaptiveAvgPool2DBackward0"
    backward_fn = "adaptive_avg_pool2d_backward"
    simd = True

    @staticmethod
    def backward(ctx, grad):
        _check_grad_nonempty(ctx.backward_fn, grad)
        return _AvgPool.backward(ctx, grad)


class _AdaptiveAvgPoolAdjoint(_AvgPoolAdjoint):
    node_name = "AdaptiveAvgPool2DBackwardBackward0"


class _AdaptiveAvgPool3d(_AdaptiveAvgPool):
    node_name = "AdaptiveAvgPool3DBackward0"
    backward_fn = "adaptive_avg_pool3d_backward"
    keeps_format = False
    simd = False  # (its kernel is scalar C++ whatever the layout)
    half_forward = True


class _AdaptiveAvgPool3dAdjoint(_AvgPoolAdjoint):
    node_name = "AdaptiveAvgPool3DBackwardBackward0"


for _pool, _adjoint in ((_AvgPool, _AvgPoolAdjoint), (_AvgPool3d, _AvgPool3dAdjoint),
                        (_AdaptiveAvgPool, _AdaptiveAvgPoolAdjoint),
                        (_AdaptiveAvgPool3d, _AdaptiveAvgPool3dAdjoint)):
    _pool.adjoint_cls, _adjoint.pool_cls = _adjoint, _pool


class _MaxUnpool(Primitive):
    """out = zeros of the pooled-from size with out[idx] = x (per plane);
    grad_x = grad[idx]. max_unpool2d lays its result out as its input (channels_last
    when that suggests it), max_unpool3d always contiguous; the backward, a gather, is
    contiguous."""

    node_name = "MaxUnpool2DBackward0"
    keeps_format = True

    @staticmethod
    def forward(ctx, x, *, idx, out_size):
        nd = len(out_size)
        ctx.idx, ctx.nd = idx, nd
        rows = _prod(x.shape[:x.ndim - nd])
        out = np.zeros((rows, _prod(out_size)), x.dtype)
        per_row = _prod(x.shape[x.ndim - nd:])
        if out.size:  # (an empty output takes no values, whatever the indices say)
            np.put_along_axis(out, idx.reshape(rows, per_row), x.reshape(rows, per_row),
                              axis=1)
        out = out.reshape(x.shape[:x.ndim - nd] + tuple(out_size))
        return in_format(out, batch_format(x, nd) if ctx.keeps_format else None)

    @staticmethod
    def backward(ctx, grad):
        nd, idx = ctx.nd, ctx.idx
        if idx.size and not _prod(grad.shape[grad.ndim - nd:]):
            # the forward checked no index (its output was empty); torch's backward, a
            # gather from the flattened planes, fails on the first one
            raise RuntimeError(f"index {int(idx.flat[0])} is out of bounds for dimension "
                               f"{grad.ndim - nd} with size 0")
        if not idx.size:  # (torch: an empty result, made without a graph)
            return wrap(np.zeros(idx.shape, grad._data.dtype))
        # torch's max_pool_double_backward, composed as torch composes it (so its graph
        # under create_graph is torch's: ViewBackward0, GatherBackward0, ViewBackward0):
        # the planes flattened, in the indices' memory format, gathered at the indices
        size = idx.shape[:idx.ndim - nd] + (-1,)
        fmt = suggested_memory_format(idx)
        flat = grad.contiguous(memory_format=fmt) if fmt is not None else grad.contiguous()
        return flat.view(size).gather(-1, wrap(idx.reshape(size))).view(idx.shape)


class _MaxUnpool3d(_MaxUnpool):
    node_name = "MaxUnpool3DBackward0"
    keeps_format = False


# ---------------------------------------------------------------------------------------
# Arguments and torch's checks


def _check_input(fn: str, value) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument 'input' (position 1) must be Tensor, not {type_name(value)}"
        )
    return value


# where torch's parser counts each argument (for its "(position n)"): max_pool's
# (input, kernel_size, stride, padding, dilation); max_unpool's take indices second
_POSITIONS = {"kernel_size": 2, "output_size": 2, "stride": 3, "padding": 4, "dilation": 5}


def _ints(fn: str, value, arg: str) -> list:
    """An int or a tuple of ints (torch's ``int[n]``), read by torch's argument parser."""
    position = _POSITIONS.get(arg)
    if position is not None and fn.startswith("max_unpool"):
        position += 1
    return list(_int_list(value, fn, arg, position, single=True))


def _tuple_arg(fn: str, value, arg: str, nd: int, message: str) -> tuple:
    values = _ints(fn, value, arg)
    if len(values) == 1:
        return tuple(values) * nd
    if len(values) != nd:
        raise RuntimeError(message)
    return tuple(values)


_WORDS = {2: "two", 3: "three"}


def _pool_args(fn, nd, kernel_size, stride, padding, dilation):
    """kernel, stride (default: the kernel), padding, dilation, as torch parses them."""
    n = _WORDS[nd]
    kernel = _tuple_arg(fn, kernel_size, "kernel_size", nd,
                        f"{fn}: kernel_size must either be a single int, or a tuple of {n} ints")
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        stride = kernel
    else:
        stride = _tuple_arg(fn, stride, "stride", nd,
                            f"{fn}: stride must either be omitted, a single int, or a tuple of "
                            f"{n} ints")
    padding = _tuple_arg(fn, padding, "padding", nd,
                         f"{fn}: padding must either be a single int, or a tuple of {n} ints")
    dilation = _tuple_arg(fn, dilation, "dilation", nd,
                          f"{fn}: dilation must be either a single int, or a tuple of {n} ints")
    return kernel, stride, padding, dilation


def _out_size(size: int, k: int, p: int, s: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape, with its checks."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > int(((k - 1) * d + 1) / 2):  # C++ division: truncates toward zero
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={d}"
        )
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1  # the last window must start inside the input or its left padding
    return out


_DIM_NAMES = {2: ("H", "W"), 3: ("T", "H", "W")}


def _check_pool_ndim(ndim: int, nd: int) -> None:
    """The rank check torch's max pools (and avg_pool3d) run before anything else."""
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           "input")


def _check_nonempty(fn: str, shape: tuple, nd: int) -> None:
    """Only the batch dimension may be empty (torch's "valid dims" check)."""
    batched = len(shape) == nd + 2
    if nd == 2:
        if len(shape) not in (3, 4) or any(s == 0 for s in shape[int(batched):]):
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                               f"size for input, but got:{list(shape)}")
    elif any(s == 0 for s in shape[int(batched):]):
        # (torch prints the empty dimension's length, always 0, as "dimension 0")
        raise RuntimeError(
            f"{fn}: Expected input's non-batch dimensions to have positive length, but input "
            f"has a shape of {list(shape)} and non-batch dimension 0 has length zero!"
        )


def _check_half_kernel(kernel, padding) -> None:
    """torch's pool2d/pool3d_shape_check: pad <= kernel // 2 (the dilated kernel was
    checked already, by pooling_output_shape)."""
    if all(k // 2 >= p for k, p in zip(kernel, padding)):
        return
    if len(kernel) == 2:
        (kh, kw), (ph, pw) = kernel, padding
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {pw}, padH = {ph}, kW = {kw}, kH = {kh}")
    (kt, kh, kw), (pt, ph, pw) = kernel, padding
    raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                       f"kT: {kt} kW: {kw} kH: {kh} padT: {pt} padW: {pw} padH: {ph}")


def _pool_geometry(fn: str, shape: tuple, nd: int, kernel, stride, padding, dilation,
                   ceil_mode: bool, avg: bool = False) -> Geometry:
    """The output size and torch's pool2d/pool3d_shape_check, in torch's order: each
    dimension's pooling_output_shape checks, then kernel, stride, dilation, empty
    dimensions, (avg_pool3d: input at least the kernel), pad <= kernel/2, output >= 1."""
    in_size = tuple(shape[-nd:])
    out = tuple(_out_size(i, k, p, s, d, ceil_mode)
                for i, k, p, s, d in zip(in_size, kernel, padding, stride, dilation))
    names = _DIM_NAMES[nd]
    if any(k <= 0 for k in kernel):
        raise RuntimeError("kernel size should be greater than zero, but got " + " ".join(
            f"k{n}: {k}" for n, k in zip(names, kernel)))
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should be greater than zero, but got " + " ".join(
            f"d{n}: {s}" for n, s in zip(names, stride)))
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got " + " ".join(
            f"dilation{n}: {d}" for n, d in zip(names, dilation)))
    _check_nonempty(fn, shape, nd)
    if avg and nd == 3 and any(i < k for i, k in zip(in_size, kernel)):
        raise RuntimeError(
            "input image (T: {} H: {} W: {}) smaller than kernel size ".format(*in_size)
            + "(kT: {} kH: {} kW: {})".format(*kernel))
    _check_half_kernel(kernel, padding)
    if any(o < 1 for o in out):
        planes = shape[-nd - 1]
        raise RuntimeError(
            f"Given input size: ({'x'.join(map(str, (planes,) + in_size))}). Calculated "
            f"output size: ({'x'.join(map(str, (planes,) + out))}). Output size is too small"
        )
    return Geometry(in_size, tuple(kernel), out, tuple(stride), tuple(padding),
                    tuple(padding), tuple(dilation), 1)


def _float_only(fn: str, x: Tensor) -> None:
    dtype = x._data.dtype
    if dtype.kind != "f":
        raise NotImplementedError(f'"{fn}" not implemented for \'{_TYPE_WORD[dtype.name]}\'')


# ---------------------------------------------------------------------------------------
# max pooling


def _max_pool_plan(fn, nd, shape, kernel_size, stride, padding, dilation, ceil_mode):
    """torch's argument parsing and checks for a max pool of an input of ``shape``, in
    its order, and the pool's plan."""
    kernel, stride, padding, dilation = _pool_args(fn, nd, kernel_size, stride, padding,
                                                   dilation)
    _check_pool_ndim(len(shape), nd)
    geo = _pool_geometry(f"{fn}_with_indices_out_cpu_template()", shape, nd, kernel, stride,
                         padding, dilation, ceil_mode)
    return window_plan(geo)


# The same, kept for the next call with the same arguments (a training loop's): parsing
# and checking cost more than a small pool itself. Only for arguments that key a cache
# faithfully (_plain): 2.0 and True hash as 2 and 1, which torch's parser tells apart.
_cached_max_pool_plan = functools.lru_cache(maxsize=256)(_max_pool_plan)


def _plain(value) -> bool:
    """None, an int, or a tuple of ints (exactly: no bool, float or NumPy number)."""
    return value is None or type(value) is int or (
        type(value) is tuple and all(type(v) is int for v in value))


def _max_pool_nd(fn, nd, input, kernel_size, stride, padding, dilation, ceil_mode,  # noqa: A002
                 with_index=True):
    """(values, indices), or only the values when ``with_index`` is False."""
    x = _check_input(fn, input)
    if x._data.ndim == 7 - nd and suggested_memory_format(x._data) is not None:
        # torch's kernels take contiguous inputs and their own channels_last only: a
        # channels_last_3d input to the 2-D pool, or a channels_last (2-D) unbatched one
        # to the 3-D pool, fails once the sizes are parsed (before the other checks)
        _pool_args(fn, nd, kernel_size, stride, padding, dilation)
        raise RuntimeError("Unsupported memory format. Supports only "
                           f"{'ChannelsLast' if nd == 2 else 'ChannelsLast3d'}, Contiguous")
    args = (fn, nd, x._data.shape, kernel_size, stride, padding, dilation, ceil_mode)
    if (type(ceil_mode) is bool and _plain(kernel_size) and _plain(stride)
            and _plain(padding) and _plain(dilation)):
        plan = _cached_max_pool_plan(*args)
    else:
        plan = _max_pool_plan(*args)
    if x._data.dtype == np.bool_:  # (torch's kernels take every other real dtype)
        _float_only(fn, x)
    cls = _MaxPool if nd == 2 else _MaxPool3d
    return cls.apply(x, plan=plan, with_index=with_index,
                     pool_args=(kernel_size, stride, padding, dilation, ceil_mode))


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """(values, indices) of 2-D max pooling; indices are flat positions in each input
    plane (h * W + w), what max_unpool2d takes."""
    return _max_pool_nd("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                        ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each kernel_size window of ``input`` (N, C, H, W) or (C, H, W);
    ``stride`` defaults to ``kernel_size``, padding counts as -inf, ``ceil_mode`` keeps a
    last partial window. With ``return_indices`` also returns where each maximum is."""
    return _max_pool_nd("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                        ceil_mode, with_index=bool(return_indices))


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """(values, indices) of 3-D max pooling."""
    return _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                        ceil_mode)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """3-D max pooling of ``input`` (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool_nd("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                        ceil_mode, with_index=bool(return_indices))


_ONE_INT = {"stride": "None, an int, list of ints, or tuple of ints",
            "padding": "an int, list of ints, or tuple of ints"}


def _one(fn: str, value, arg: str) -> int:
    values = _ints(fn, value, arg)
    if len(values) != 1:
        kinds = _ONE_INT.get(arg, "an int, list of ints or tuple of ints")
        raise RuntimeError(f"{fn}() {arg} must be {kinds} of size 1 but got size {len(values)}")
    return values[0]


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode=False, return_indices=False):
    """(values, indices) of 1-D max pooling, computed as torch does: 2-D pooling of the
    input with a height of 1 (and with max_pool2d's checks, not max_pool1d's)."""
    x = _check_input("max_pool1d", input)
    if stride is None or stride == [] or stride == ():
        stride = kernel_size
    _check_1d("max_pool1d", x)
    k, s, p, d = (_one_int("max_pool1d", v, arg) for v, arg in (
        (kernel_size, "kernel_size"), (stride, "stride"), (padding, "padding"),
        (dilation, "dilation")))
    values, indices = _max_pool_nd("max_pool2d", 2, _shape.unsqueeze(x, -2), (1, k), (1, s),
                                   (0, p), (1, d), ceil_mode)
    return _shape.squeeze(values, -2), _shape.squeeze(indices, -2)


def _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode):  # noqa: A002
    """torch's max_pool1d without indices, with its own checks (check_max_pool1d)."""
    x = _check_input("max_pool1d", input)
    shape = x._data.shape
    if len(shape) not in (2, 3) or any(s == 0 for s in shape[len(shape) - 2:]):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(x._data.shape)}"
        )
    k = _one("max_pool1d", kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one("max_pool1d", stride,
                                                                      "stride")
    p = _one("max_pool1d", padding, "padding")
    d = _one("max_pool1d", dilation, "dilation")
    if k <= 0:
        raise RuntimeError(f"max_pool1d() kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"max_pool1d() stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(
            f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
            f"and kernel_size={k}"
        )
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    size = _out_size(x._data.shape[-1], k, p, s, d, ceil_mode)
    if size <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {size}")
    if x._data.dtype.kind != "f":  # (the arguments are checked first)
        _float_only("max_pool1d_impl", x)
    result = _max_pool_nd("max_pool2d", 2, _shape.unsqueeze(x, -2), (1, k), (1, s), (0, p),
                          (1, d), ceil_mode, with_index=False)
    return _shape.squeeze(result, -2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """1-D max pooling of ``input`` (N, C, L) or (C, L)."""
    if return_indices:
        return max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return _max_pool1d(_check_input("max_pool1d", input), kernel_size, stride, padding,
                       dilation, ceil_mode)


# ---------------------------------------------------------------------------------------
# average pooling


def _avg_pool_nd(fn, nd, input, kernel_size, stride, padding, ceil_mode,  # noqa: A002
                 count_include_pad, divisor_override):
    x = _check_input(fn, input)
    given = (kernel_size, stride, padding)  # (as the caller gave them: the nodes show them)
    n = _WORDS[nd]
    either = "either " if nd == 2 else ""  # (avg_pool3d's messages leave it out)
    kernel = _tuple_arg(fn, kernel_size, "kernel_size", nd,
                        f"{fn}: kernel_size must {either}be a single int, or a tuple of {n} ints")
    if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0):
        stride = kernel
    else:
        stride = _tuple_arg(fn, stride, "stride", nd,
                            f"{fn}: stride must {either}be omitted, a single int, or a tuple of "
                            f"{n} ints")
    padding = _tuple_arg(fn, padding, "padding", nd,
                         f"{fn}: padding must {either}be a single int, or a tuple of {n} ints")
    if divisor_override is not None:
        # (torch's parser: an int, its 7th argument)
        divisor_override = _int(divisor_override, fn, "divisor_override", 7)
        if divisor_override == 0:
            raise RuntimeError("divisor must be not zero")
    ndim = x._data.ndim
    if nd == 3:
        _check_pool_ndim(ndim, nd)
    elif ndim == 0:  # (torch's size(-3) of a 0-dim tensor)
        raise IndexError(f"Dimension specified as {-(nd + 1)} but tensor has no dimensions")
    elif ndim < nd + 1:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
            f"got {-(nd + 1)})"
        )
    geo = _pool_geometry(f"{fn}()", x._data.shape, nd, kernel, stride, padding, (1,) * nd,
                         ceil_mode, avg=True)
    dtype = x._data.dtype
    # torch's kernels: the float dtypes and int64 (avg_pool3d's no float16) only
    if dtype != np.int64 and (dtype.kind != "f" or (nd == 3 and dtype == np.float16)):
        word = _TYPE_WORD[dtype.name]
        kernel_name = "avg_pool3d_out_frame" if nd == 3 else fn
        raise NotImplementedError(f'"{kernel_name}" not implemented for \'{word}\'')
    plan = window_plan(geo, ("avg", bool(count_include_pad), divisor_override))
    given += (ceil_mode, count_include_pad, divisor_override)
    return (_AvgPool if nd == 2 else _AvgPool3d).apply(x, plan=plan, pool_args=given)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None) -> Tensor:
    """The mean of each kernel_size window of ``input`` (N, C, H, W) or (C, H, W): the
    window's sum divided by ``divisor_override`` if given, else by the window size,
    counting zero padding only if ``count_include_pad``."""
    return _avg_pool_nd("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None) -> Tensor:
    """3-D average pooling of ``input`` (N, C, D, H, W) or (C, D, H, W)."""
    return _avg_pool_nd("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def _check_1d(fn: str, x: Tensor) -> None:
    if x._data.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {x._data.ndim}-dimensional tensor for "
            f"argument #1 'self' (while checking arguments for {fn})"
        )


def _one_int(fn: str, value, arg: str) -> int:
    values = _ints(fn, value, arg)
    if len(values) != 1:
        raise RuntimeError(f"{fn}() argument '{arg}' should contain one int (got "
                           f"{len(values)})")
    return values[0]


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True) -> Tensor:
    """1-D average pooling of ``input`` (N, C, L) or (C, L), as torch: 2-D pooling of the
    input with a height of 1."""
    x = _check_input("avg_pool1d", input)
    _check_1d("avg_pool1d", x)
    k = _one_int("avg_pool1d", kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _one_int(
        "avg_pool1d", stride, "stride")
    p = _one_int("avg_pool1d", padding, "padding")
    out = avg_pool2d(_shape.unsqueeze(x, -2), (1, k), (1, s), (0, p), ceil_mode,
                     count_include_pad)
    return _shape.squeeze(out, -2)


# ---------------------------------------------------------------------------------------
# adaptive pooling


def _list_with_default(output_size, shape: tuple):
    """torch's Python side of the 2-D and 3-D adaptive pools (_list_with_default): an
    int passes as it is; a sequence needs an input with more dimensions than it has
    entries, and its Nones take the input's sizes."""
    if isinstance(output_size, int):
        return output_size
    if not hasattr(output_size, "__len__"):
        raise TypeError(f"object of type '{type_name(output_size)}' has no len()")
    n = len(output_size)
    if len(shape) <= n:
        raise ValueError(f"Input dimension should be at least {n + 1}")
    return [d if v is None else v for v, d in zip(output_size, shape[len(shape) - n:])]


def _check_adaptive_input(fn: str, shape: tuple, nd: int, colon: bool) -> None:
    if len(shape) not in (nd + 1, nd + 2):
        sep = ": " if colon else " "
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but got"
                           f"{sep}{list(shape)}")
    # torch's 2-D average pool checks only its two pooled dimensions (no channels pass,
    # and fail in the backward)
    first = len(shape) - 2 if fn == "adaptive_avg_pool2d" else 1
    for i in range(first, len(shape)):
        if shape[i] == 0:
            raise RuntimeError(
                f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(shape)} with dimension {i} being empty"
            )


def _adaptive_sizes(fn: str, x: Tensor, nd: int, output_size, is_max: bool) -> tuple:
    """The output size as torch's kernels read and check it, in their order: average
    pools check the size first (its length, then no entry negative), then the input;
    max pools the input first, then the size's length (a negative entry fails when the
    output is made)."""
    shape = x._data.shape
    sizes = list(_int_list(output_size, fn, "output_size", 2, single=True))
    if not isinstance(output_size, (list, tuple)):  # one int for every dimension
        sizes = sizes * nd
    if is_max:
        _check_adaptive_input(fn, shape, nd, colon=True)
        if len(sizes) != nd:
            raise RuntimeError(f"{fn}(): internal error: output_size.size() must be {nd}")
        if any(s < 0 for s in sizes):
            out_shape = list(shape[:len(shape) - nd]) + sizes
            raise RuntimeError("Trying to create tensor with negative dimension "
                               f"{min(s for s in sizes if s < 0)}: {out_shape}")
        return tuple(sizes)
    if len(sizes) != nd:
        raise RuntimeError(f"{fn}: output_size must be {nd}")
    if any(s < 0 for s in sizes):
        listed = ", ".join(map(str, sizes[:2])) + "".join(f",{s}" for s in sizes[2:])
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{listed}}}")
    if not all(s == 1 for s in sizes):  # torch's mean for a 1x1 output checks no input
        _check_adaptive_input(fn, shape, nd, colon=False)
    return tuple(sizes)


def _adaptive_avg_nd(fn: str, nd: int, input, output_size, python=True) -> Tensor:  # noqa: A002
    """``python``: called as torch's F.adaptive_avg_pool{nd}d, which reads output_size
    first (_list_with_default); its 1-D form goes straight to the kernel."""
    x = _check_input(fn, input)
    if python:
        output_size = _list_with_default(output_size, x._data.shape)
    sizes = _adaptive_sizes(fn, x, nd, output_size, is_max=False)
    if all(s == 1 for s in sizes):  # torch takes the mean for a 1x1 output
        out = x.mean(tuple(range(-nd, 0)), keepdim=True)
        if batch_format(x._data, nd) is not None:
            # and restrides it in place (AsStridedBackward1) to channels_last(_3d)
            n, c = x._data.shape[:2]
            out.as_strided_((n, c) + (1,) * nd, (c, 1) + (c,) * nd)
        return out
    lead = x._data.shape[:x._data.ndim - nd]
    if nd == 2 and not _prod(lead + sizes) and x._data.dtype.kind != "f":
        return x.new_zeros(lead + sizes)  # torch's 2-D kernel returns an empty output unchecked
    _float_only(fn if nd == 2 else f"{fn}_cpu", x)
    plan = adaptive_plan(tuple(x._data.shape[-nd:]), sizes)
    cls = _AdaptiveAvgPool if nd == 2 else _AdaptiveAvgPool3d
    return cls.apply(x, plan=plan)


def adaptive_avg_pool2d(input, output_size) -> Tensor:  # noqa: A002
    """Average pooling to a fixed ``output_size`` (an int, a pair, None keeps that
    dimension): output cell o averages input rows floor(o*H/Ho) .. ceil((o+1)*H/Ho)-1."""
    return _adaptive_avg_nd("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size) -> Tensor:  # noqa: A002
    """3-D adaptive average pooling."""
    return _adaptive_avg_nd("adaptive_avg_pool3d", 3, input, output_size)


def adaptive_avg_pool1d(input, output_size) -> Tensor:  # noqa: A002
    """1-D adaptive average pooling of ``input`` (N, C, L) or (C, L)."""
    x = _check_input("adaptive_avg_pool1d", input)
    # torch's parser reads output_size first (a None in it fails before the rank)
    output_size = _ints("adaptive_avg_pool1d", output_size, "output_size")
    _check_1d("adaptive_avg_pool1d", x)
    size = _one_int("adaptive_avg_pool1d", output_size, "output_size")
    out = _adaptive_avg_nd("adaptive_avg_pool2d", 2, _shape.unsqueeze(x, -2), (1, size),
                           python=False)
    return _shape.squeeze(out, -2)


def _adaptive_max_nd(fn: str, nd: int, input, output_size, python=True):  # noqa: A002
    x = _check_input(fn, input)
    if python:
        output_size = _list_with_default(output_size, x._data.shape)
    sizes = _adaptive_sizes(fn, x, nd, output_size, is_max=True)
    _float_only(fn if nd == 2 else f"{fn}_cpu", x)
    plan = adaptive_plan(tuple(x._data.shape[-nd:]), sizes)
    cls = _AdaptiveMaxPool if nd == 2 else _AdaptiveMaxPool3d
    return cls.apply(x, plan=plan)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """(values, indices) of 2-D adaptive max pooling."""
    return _adaptive_max_nd("adaptive_max_pool2d", 2, input, output_size)


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """Max pooling to a fixed ``output_size``; with ``return_indices`` also where each
    maximum is (flat positions in each input plane)."""
    out, idx = _adaptive_max_nd("adaptive_max_pool2d", 2, input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """(values, indices) of 3-D adaptive max pooling."""
    return _adaptive_max_nd("adaptive_max_pool3d", 3, input, output_size)


def adaptive_max_pool3d(input, output_size, return_indices=False):  # noqa: A002
    """3-D adaptive max pooling."""
    out, idx = _adaptive_max_nd("adaptive_max_pool3d", 3, input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):  # noqa: A002
    """(values, indices) of 1-D adaptive max pooling."""
    x = _check_input("adaptive_max_pool1d", input)
    # torch's parser reads output_size first (a None in it fails before the rank)
    output_size = _ints("adaptive_max_pool1d", output_size, "output_size")
    _check_1d("adaptive_max_pool1d", x)
    size = _one_int("adaptive_max_pool1d", output_size, "output_size")
    for i in range(1, x._data.ndim):  # torch's 1-D pool checks its input itself
        if x._data.shape[i] == 0:
            raise RuntimeError(
                "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch "
                f"dimensions, but input has sizes {list(x._data.shape)} with dimension {i} "
                "being empty")
    out, idx = _adaptive_max_nd("adaptive_max_pool2d", 2, _shape.unsqueeze(x, -2), (1, size),
                                python=False)
    return _shape.squeeze(out, -2), _shape.squeeze(idx, -2)


def adaptive_max_pool1d(input, output_size, return_indices=False):  # noqa: A002
    """1-D adaptive max pooling of ``input`` (N, C, L) or (C, L)."""
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# ---------------------------------------------------------------------------------------
# power-average pooling (composed, as torch composes it)


def _lp_pool(pool, nd, input, norm_type, kernel_size, stride, ceil_mode):  # noqa: A002
    if nd > 1 and isinstance(kernel_size, (tuple, list)):
        # torch's Python unpacks the kernel first (kw, kh = _pair(kernel_size)): a
        # sequence of another length fails there, with Python's ValueError
        if nd == 2:
            _kw, _kh = kernel_size
        else:
            _kd, _kw, _kh = kernel_size
    if isinstance(norm_type, (int, float)):
        max_pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[nd]
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if nd == 1 and isinstance(kernel_size, (tuple, list)):
        # torch's lp_pool1d multiplies by kernel_size as given, which a sequence fails
        raise TypeError("mul(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(kernel_size).__name__}")
    if isinstance(kernel_size, int):
        window = kernel_size ** nd if nd > 1 else kernel_size
    else:
        window = math.prod(kernel_size)
    return (out.sign() * _relu(out.abs())).mul(window).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:  # noqa: A002
    """(sum over each window of x**p) ** (1/p): ``avg_pool1d(x**p) * k`` then the root."""
    return _lp_pool(avg_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:  # noqa: A002
    """(sum over each window of x**p) ** (1/p), from avg_pool2d as torch computes it."""
    return _lp_pool(avg_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False) -> Tensor:  # noqa: A002
    """3-D power-average pooling."""
    return _lp_pool(avg_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)


# ---------------------------------------------------------------------------------------
# max_unpool


def _unpool_output_size(x: Tensor, kernel, stride, padding, output_size) -> list:
    """torch's _unpool_output_size (Python, so its ValueErrors)."""
    shape = x._data.shape
    nd = len(kernel)
    default = [(shape[-nd + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        ret = default
    else:
        # (kept as the caller's sequence: torch's message shows a tuple as a tuple)
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(
                f"output_size should be a sequence containing {nd} or {nd + 2} elements, but "
                f"it has a length of '{len(output_size)}'"
            )
        for d in range(nd):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(
                    f'invalid output_size "{output_size}" (dim {d} must be between {low} and '
                    f"{high})"
                )
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError(
                "max_unpooling: output_size must contain non-negative spatial dimensions, but "
                f"got output_size[{d}]={ret[d]}"
            )
    return [operator.index(r) for r in ret]


def _ntuple(fn: str, value, arg: str, nd: int) -> tuple:
    """torch's _pair/_triple: an int repeated, a sequence taken as it is."""
    values = _ints(fn, value, arg)
    return tuple(values) * nd if not isinstance(value, (list, tuple)) else tuple(values)


def _max_unpool_nd(nd, input, indices, kernel_size, stride, padding, output_size):  # noqa: A002
    fn = f"max_unpool{nd}d"
    x = _check_input(fn, input)
    if not isinstance(indices, Tensor):
        raise TypeError(f"{fn}(): argument 'indices' (position 2) must be Tensor, not "
                        f"{type_name(indices)}")
    kernel = _ntuple(fn, kernel_size, "kernel_size", nd)
    stride = kernel if stride is None else _ntuple(fn, stride, "stride", nd)
    padding = _ntuple(fn, padding, "padding", nd)
    size = _unpool_output_size(x, kernel, stride, padding, output_size)
    shape, ishape = x._data.shape, indices._data.shape
    if len(shape) not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Input to max_unpooling{nd}d should be a {nd + 1}d or {nd + 2}d Tensor, but got a "
            f"tensor with {len(shape)} dimensions."
        )
    if indices._data.dtype != np.int64:  # (torch's 3-D check leaves the type out)
        got = "" if nd == 3 else f" but got: {_TYPE_WORD[indices._data.dtype.name]}"
        raise RuntimeError(f"elements in indices should be type int64{got}")
    if ishape != shape:
        raise RuntimeError(
            "Expected shape of indices to be same as that of the input tensor "
            f"({list(shape)}) but got indices tensor with shape: {list(ishape)}"
        )
    _float_only(fn, x)
    idx = indices._data
    limit = _prod(size)
    bad = (idx < 0) | (idx >= limit)
    if limit and bad.any():  # torch returns an empty output before checking
        # torch's loop keeps going after a bad index and reports the last one it met: in
        # memory order, which for max_unpool2d of a channels_last input has C innermost
        order = idx
        if nd == 2 and batch_format(x._data, 2) is not None:
            order, bad = np.moveaxis(idx, 1, -1), np.moveaxis(bad, 1, -1)
        raise RuntimeError(
            f"Found an invalid max index: {int(order[bad][-1])} (output volumes are of size "
            f"{'x'.join(map(str, size))})"
        )
    cls = _MaxUnpool if nd == 2 else _MaxUnpool3d
    return cls.apply(x, idx=idx, out_size=tuple(size))


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """The inverse of max_pool2d: zeros, with each value of ``input`` put back at the
    position ``indices`` (from max_pool2d's return_indices) names."""
    return _max_unpool_nd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """The inverse of max_pool3d."""
    return _max_unpool_nd(3, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """The inverse of max_pool1d (computed as torch does, through max_unpool2d)."""
    x = _check_input("max_unpool1d", input)
    k = _ints("max_unpool1d", kernel_size, "kernel_size")[0]
    s = k if stride is None else _ints("max_unpool1d", stride, "stride")[0]
    p = _ints("max_unpool1d", padding, "padding")[0]
    (size,) = _unpool_output_size(x, (k,), (s,), (p,), output_size)
    out = _max_unpool_nd(2, _shape.unsqueeze(x, -1), _shape.unsqueeze(indices, -1), (k, 1),
                         (s, 1), (p, 0), (size, 1))
    return _shape.squeeze(out, -1)

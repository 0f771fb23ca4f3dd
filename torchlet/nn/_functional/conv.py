"""Convolution: conv1d/2d/3d and conv_transpose1d/2d/3d, as torch.nn.functional.

One number ties all of them together, the trilinear form

    T(x, w, y) = sum_{n,o,c,l,k} y[n, o, l] * w[o, c, k] * x[n, c, l*stride + k*dilation - pad]

(l runs over output positions, k over kernel positions, channels within one group).
Each of the three operations below is the gradient of T with respect to one argument:

* ``_Convolution``    out = dT/dy = conv(x, w)                       (the forward pass)
* ``_ConvTranspose``  out = dT/dx = conv_transpose(y, w)             (grad_input; and the
                                                                      forward of ConvTranspose)
* ``_ConvWeight``     out = dT/dw = correlate(x, y)                  (grad_weight)

so each one's backward is made of the other two, and differentiating any number of times
needs nothing else (double backward, gradgradcheck, Hessians of CNNs all work). Under
create_graph=True a convolution's gradients come out of one node, ``_ConvolutionBackward``
(torch's ConvolutionBackwardBackward0), whose backward is again made of these three.

Which memory layout the result takes, and which errors and dtype checks apply, depend on
the kernel torch would pick (oneDNN or its slow ones: ``_mkldnn``); see ``_channels_last``
and ``_backend_dtypes``.

The NumPy kernels that compute them (im2col, col2im, the layouts) are in
``conv_kernels.py``.
"""

from __future__ import annotations

import functools
import operator
import warnings

import numpy as np
from numpy.lib.stride_tricks import as_strided

from torchlet._dtype import C_TYPE_NAMES, promote_types, result_type_of, type_name
from torchlet._dtype import channels_last as _CHANNELS_LAST
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise.operands import invalid_combination
from torchlet._ops.shape.common import _int_list as _ints_arg
from torchlet._ops.shape.common import (
    contiguous_strides,
    format_strides,
    in_layout,
    suggested_memory_format,
)
from torchlet._runtime import get_num_threads
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional.conv_kernels import (
    Geometry,
    conv_forward,
    conv_input_grad,
    conv_weight_grad,
)
from torchlet.nn._functional.padding import pad as _pad

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "convolution",
]

# Columns up to this size are kept from the forward pass for grad_weight; larger ones are
# rebuilt in backward rather than held in memory for the whole forward pass.
_KEEP_COLUMNS_BYTES = 256 * 2**20

# How torch names scalar types in its messages ("expected scalar type Float ...").
_SCALAR_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
                "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
                "bool": "Bool"}
_C_NAME = C_TYPE_NAMES


def _bias_shape(nd: int) -> tuple:
    return (-1,) + (1,) * nd


def _sum_bias(g: np.ndarray, nd: int) -> np.ndarray:
    """grad summed over the batch and space. torch's convolution (oneDNN) adds these in
    an order of its own, not that of ``grad.sum((0, 2, 3))``, so the result agrees with
    torch to rounding whichever order is taken; NumPy's is the fastest (a quarter of the
    time of torch's cascade order on LeNet's gradients)."""
    dims = (0,) + tuple(range(2, 2 + nd))
    acc = np.float32 if g.dtype == np.float16 else g.dtype
    return np.add.reduce(g, dims, acc, initial=0).astype(g.dtype, copy=False)


# ---------------------------------------------------------------------------------------
# The three primitives


class _Convolution(Primitive):
    """out = conv(x, w) + b, i.e. out[n, o, l] = b[o] + sum_{c,k} w[o, c, k] x[n, c, l*s +
    k*d - p];  grad_x = conv_transpose(grad, w),  grad_w = correlate(x, grad),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, *, geo, channels_last=False, weight_channels_last=False):
        out, cols = conv_forward(x, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo, ctx.channels_last, ctx.weight_cl = geo, channels_last, weight_channels_last
        ctx.bias_sizes = (0,) if b is None else b.shape  # (torch's node shows them)
        ctx.cols = cols if cols.nbytes <= _KEEP_COLUMNS_BYTES and x.dtype == cols.dtype \
            else None
        ctx.save_for_backward(x, w)
        return _in_layout(out, channels_last)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        geo, cl, wcl = ctx.geo, ctx.channels_last, ctx.weight_cl
        if wcl is None and ctx.needs_input_grad[1]:  # (see _weight_channels_last)
            raise RuntimeError("slow_conv2d: grad_weight must be contiguous")
        if GRAD_STATE.enabled:  # create_graph: the three gradients as one node, as torch's
            return _gradients_node(grad, x, w, ctx.needs_input_grad, geo, False, cl, wcl)
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = _ConvTransposeGrad.apply(grad, w, None, geo=geo, channels_last=cl) \
            if need_x else None
        grad_w = None
        if need_w:
            # the forward's columns serve once; a second backward (retain_graph) rebuilds
            # them, and the memory is not held while the graph lives on
            cols, ctx.cols = ctx.cols, None
            grad_w = _ConvWeightGrad.apply(x, grad, geo=geo, cols=cols, channels_last=wcl)
        grad_b = wrap(_sum_bias(grad._data, len(geo.kernel))) if need_b else None
        return grad_x, grad_w, grad_b


def _to_channels_last(out: np.ndarray) -> np.ndarray:
    """``out`` (N, C, *S) with the channels innermost in memory: channels_last(_3d) for
    4-d (5-d) results, and the same order (strides (C*L, 1, C)) for 1-d ones (an empty
    one with torch's strides, not NumPy's zeros)."""
    if not out.size:
        return as_strided(out, strides=[s * out.itemsize for s in format_strides(out.shape, None)])
    result = np.empty((out.shape[0],) + out.shape[2:] + (out.shape[1],), out.dtype)
    result = np.moveaxis(result, -1, 1)
    result[...] = out
    return result


def _in_layout(out: np.ndarray, channels_last: bool) -> np.ndarray:
    return _to_channels_last(out) if channels_last else _contiguous(out)


def _contiguous(out: np.ndarray) -> np.ndarray:
    """``out`` (C-contiguous) with the strides torch gives a contiguous tensor in every
    dimension: NumPy keeps whatever strides a computation left in dimensions of size 1
    (or in an empty array), torch's are those of the sizes, an empty dimension counted as
    one."""
    shape = out.shape
    if 1 not in shape and 0 not in shape or not out.flags.c_contiguous:
        return out
    strides = _contiguous_strides(shape, out.itemsize)
    return out if out.strides == strides else as_strided(out, shape, strides)


@functools.lru_cache(maxsize=256)
def _contiguous_strides(shape: tuple, itemsize: int) -> tuple:
    """torch's contiguous strides of ``shape`` in bytes (asked for every weight gradient
    of a layer, hence kept)."""
    return tuple(s * itemsize for s in contiguous_strides(shape))


class _ConvTranspose(Primitive):
    """out = conv_transpose(y, w) + b, i.e. out[n, c, i] = b[c] + sum over l*s + k*d - p = i
    of y[n, o, l] w[o, c, k];  grad_y = conv(grad, w),  grad_w = correlate(grad, y),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, *, geo, channels_last=False, weight_channels_last=False):
        out = conv_input_grad(y, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo, ctx.channels_last, ctx.weight_cl = geo, channels_last, weight_channels_last
        ctx.bias_sizes = (0,) if b is None else b.shape  # (torch's node shows them)
        ctx.save_for_backward(y, w)
        return _in_layout(out, channels_last)

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        geo, cl, wcl = ctx.geo, ctx.channels_last, ctx.weight_cl
        if wcl is None and ctx.needs_input_grad[1]:  # (see _weight_channels_last)
            raise RuntimeError("grad_weight needs to be contiguous")
        if GRAD_STATE.enabled:  # create_graph: as _Convolution's
            return _gradients_node(grad, y, w, ctx.needs_input_grad, geo, True, cl, wcl)
        need_y, need_w, need_b = ctx.needs_input_grad
        grad_y = _ConvolutionGrad.apply(grad, w, None, geo=geo, channels_last=cl) \
            if need_y else None
        grad_w = _ConvWeightGrad.apply(grad, y, geo=geo, channels_last=wcl) if need_w else None
        grad_b = wrap(_sum_bias(grad._data, len(geo.kernel))) if need_b else None
        return grad_y, grad_w, grad_b


class _ConvWeight(Primitive):
    """out = correlate(x, y), i.e. out[o, c, k] = sum_{n,l} y[n, o, l] x[n, c, l*s + k*d - p]
    (the weight gradient of a convolution);  grad_x = conv_transpose(y, grad),
    grad_y = conv(x, grad)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, y, *, geo, cols=None, channels_last=False):
        ctx.geo = geo
        ctx.save_for_backward(x, y)
        out = conv_weight_grad(x, y, geo, cols)
        return _in_layout(out, channels_last)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        geo = ctx.geo
        grad_x = _ConvTransposeGrad.apply(y, grad, None, geo=geo) if need_x else None
        grad_y = _ConvolutionGrad.apply(x, grad, None, geo=geo) if need_y else None
        return grad_x, grad_y


# The same operations when they compute a convolution's gradients (in grad mode off, so
# they record no node: under create_graph=True the gradients come from
# _ConvolutionBackward, whose backward is made of differentiable convolutions).
class _ConvolutionGrad(_Convolution):
    node_name = "ConvolutionBackwardBackward0"


class _ConvTransposeGrad(_ConvTranspose):
    node_name = "ConvolutionBackwardBackward0"


_ConvWeightGrad = _ConvWeight


class _ConvolutionBackward(Primitive):
    """The gradients of a convolution as one node with inputs (g, x, w), as torch records
    them under create_graph=True: every gradient asked for is an output of it and requires
    grad when g, x or w does, even one that depends on none of them (grad_bias always,
    grad_input when the weight is frozen), as in torch. ``wanted`` says which of
    (grad_x, grad_w, grad_b) to compute (the outputs are those, in that order).

    conv:            grad_x = conv_transpose(g, w),  grad_w = correlate(x, g),  grad_b = sum(g)
    conv_transpose:  grad_x = conv(g, w),            grad_w = correlate(g, x),  grad_b = sum(g)

    Each is bilinear (sum linear), so given gg_x, gg_w, gg_b, the gradients of these:
    conv:            g_g = conv(gg_x, w) + conv(x, gg_w) + gg_b,  g_x = conv_transpose(g, gg_w),
                     g_w = correlate(gg_x, g)
    conv_transpose:  g_g = conv_transpose(gg_x, w) + conv_transpose(x, gg_w) + gg_b,
                     g_x = conv(g, gg_w),  g_w = correlate(g, gg_x)
    computed as torch computes them (see ``backward``).
    """

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, w, *, geo, transposed, wanted, channels_last, weight_channels_last):
        ctx.geo, ctx.transposed, ctx.wanted = geo, transposed, wanted
        ctx.save_for_backward(g, x, w)
        out = []
        if wanted[0]:
            out.append(_in_layout(conv_forward(g, w, geo)[0] if transposed else
                                  conv_input_grad(g, w, geo), channels_last))
        if wanted[1]:
            out.append(_in_layout(conv_weight_grad(g, x, geo) if transposed else
                                  conv_weight_grad(x, g, geo), weight_channels_last))
        if wanted[2]:
            out.append(_sum_bias(g, len(geo.kernel)))
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        """torch's _convolution_double_backward, step by step: its convolutions are
        differentiable ones (ConvolutionBackward0) with the layouts torch's convolution
        picks for their operands, and the weight's gradient is torch's transposed, narrowed
        (and per group concatenated) convolution over the batch, so every result has torch's
        strides and graph."""
        g, x, w = ctx.saved_tensors
        rest = iter(grads)
        gg_x, gg_w, gg_b = (next(rest) if want else None for want in ctx.wanted)
        geo, transposed = ctx.geo, ctx.transposed
        nd = len(geo.kernel)
        stride, padding, dilation, groups = geo.stride, geo.pad_lo, geo.dilation, geo.groups
        output_padding = _output_padding(geo) if transposed else (0,) * nd

        def conv(a, b, stride, dilation, transposed, output_padding, groups):
            return convolution(a, b, None, stride, padding, dilation, transposed,
                               output_padding, groups)

        nonempty = x._data.size != 0
        # g_g = conv(gg_x, w) + conv(x, gg_w) + gg_b
        g_g = None
        if nonempty and gg_x is not None:
            g_g = conv(gg_x, w, stride, dilation, transposed, output_padding, groups)
        if nonempty and gg_w is not None:
            term = conv(x, gg_w, stride, dilation, transposed, output_padding, groups)
            g_g = term if g_g is None else g_g + term
        if gg_b is not None:
            term = gg_b.contiguous().view((1, -1) + (1,) * nd).expand(g.shape)
            g_g = term if g_g is None else g_g + term
        # g_w: gg_x correlated with g over the batch, as a convolution whose "batch" is the
        # channels (stride and dilation trade places), one per group; its window reaches at
        # least the kernel's size, and is cut to it
        g_w = None
        if nonempty and gg_x is not None:
            g_t, gg_x_t = g.transpose(0, 1), gg_x.transpose(0, 1)

            def weight_grad(gg_x_t, g_t):
                a, b = (g_t, gg_x_t) if transposed else (gg_x_t, g_t)
                return conv(a, b, dilation, stride, False, (0,) * nd, 1)

            if groups == 1:
                g_w = weight_grad(gg_x_t, g_t)
            else:
                per_x, per_g = gg_x_t.shape[0] // groups, g_t.shape[0] // groups
                g_w = _shape.cat([weight_grad(gg_x_t.narrow(0, i * per_x, per_x),
                                              g_t.narrow(0, i * per_g, per_g))
                                  for i in range(groups)], 1)
            g_w = g_w.transpose(0, 1)
            for i in range(2, 2 + nd):
                if g_w.shape[i] > w.shape[i]:
                    g_w = g_w.narrow(i, 0, w.shape[i])
        # g_x: g against gg_w, the other way round from the forward; a transposed one's
        # reaches past x and is cut to it, a forward one's needs an output_padding where
        # the forward left the end of x unread
        g_x = None
        if nonempty and gg_w is not None:
            if transposed:
                g_x = conv(g, gg_w, stride, dilation, False, output_padding, groups)
                for i in range(2, 2 + nd):
                    if g_x.shape[i] > x.shape[i]:
                        g_x = g_x.narrow(i, 0, x.shape[i])
            else:
                g_x = conv(g, gg_w, stride, dilation, True, _output_padding(geo), groups)
        return g_g, g_x, g_w


def _output_padding(geo: Geometry) -> tuple:
    """The output_padding that makes a transposed convolution over ``geo``'s output come
    out ``geo.in_size`` (the part of the input a forward one left unread at the end)."""
    return tuple(i - ((o - 1) * s - 2 * p + d * (k - 1) + 1)
                 for i, o, s, p, d, k in zip(geo.in_size, geo.out_size, geo.stride,
                                             geo.pad_lo, geo.dilation, geo.kernel))


def _gradients_node(grad, x, w, needs, geo, transposed, channels_last,
                    weight_channels_last) -> tuple:
    """(grad_x, grad_w, grad_b), each None unless ``needs`` asks for it, from one
    _ConvolutionBackward node."""
    wanted = tuple(needs)
    if not any(wanted):
        return None, None, None
    outs = iter(_ConvolutionBackward.apply(grad, x, w, geo=geo, transposed=transposed,
                                           wanted=wanted, channels_last=channels_last,
                                           weight_channels_last=weight_channels_last))
    return tuple(next(outs) if want else None for want in wanted)


# ---------------------------------------------------------------------------------------
# Arguments and torch's checks


def _check_tensor(fn: str, value, arg: str, position: int) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(value)}"
        )
    return value


# where torch's parser counts each argument (for its "(position n)"): conv's (input,
# weight, bias, stride, padding, dilation, groups); conv_transpose's (input, weight, bias,
# stride, padding, output_padding, groups, dilation)
_POSITIONS = {"stride": 4, "padding": 5, "dilation": 6}
_TRANSPOSE_POSITIONS = {"stride": 4, "padding": 5, "output_padding": 6, "dilation": 8}


def _int_list(fn: str, value, arg: str) -> list:
    """An int or a tuple of ints (torch's ``int[n]``), read by torch's argument parser."""
    positions = _TRANSPOSE_POSITIONS if fn.startswith("conv_transpose") else _POSITIONS
    return list(_ints_arg(value, fn, arg, positions.get(arg), single=True))


def _expand(fn: str, value, arg: str, nd: int) -> tuple:
    """torch's expand_param_if_needed: one value for every spatial dimension."""
    values = _int_list(fn, value, arg)
    if len(values) == 1:
        return tuple(values) * nd
    if len(values) != nd:
        raise RuntimeError(
            f"expected {arg} to be a single integer value or a list of {nd} values to match "
            f"the convolution dimensions, but got {arg}={values}"
        )
    return tuple(values)


def _sizes(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_bias_dtype(x: Tensor, b) -> None:
    """conv1d/2d/3d with int padding: torch's first check, before any other."""
    xd = x._data.dtype
    if b is not None and b._data.dtype != xd:
        raise RuntimeError(
            f"Input type ({_C_NAME[xd.name]}) and bias type ({_C_NAME[b._data.dtype.name]}) "
            "should be the same"
        )


def _backend_dtypes(x: Tensor, w: Tensor, b, nd: int, mkldnn: bool, transposed: bool,
                    dilated: bool = False):
    """torch's dtype checks, which its backends make each their own way; returns the bias
    to add (cast to the input's dtype where a backend does that).

    An empty batch is checked for nothing. oneDNN wants the weight's and the bias's dtype
    the input's. The slow kernels compare the weight ("expected scalar type ..."); a
    convolution's casts the bias. The transposed ones refuse integers other than int64
    first; the 1-d and 2-d ones cast the bias (though not a float one into integers), the
    3-d one refuses it. The others refuse bool, and the dilated one integers but int64, first
    too."""
    xd, wd = x._data.dtype, w._data.dtype
    bd = None if b is None else b._data.dtype
    if x._data.size == 0:
        return b if b is None or bd == xd else b.to(x.dtype)
    if mkldnn:
        for what, dt in (("weight", wd), ("bias", bd)):
            if dt is not None and dt != xd:
                # (torch names a bool tensor's type the legacy way)
                other = "CPUBoolType" if dt == np.bool_ else f"torch.{_SCALAR_NAME[dt.name]}Tensor"
                raise RuntimeError(
                    f"Input type (torch.{_SCALAR_NAME[xd.name]}Tensor) and {what} type "
                    f"({other}) should be the same or input "
                    f"should be a MKLDNN tensor and {what} is a dense tensor")
        return b
    if transposed and xd.kind in "iub" and xd != np.int64:
        raise NotImplementedError(f'"slow_conv_transpose{max(nd, 2)}d_out_cpu" not '
                                  f"implemented for '{_SCALAR_NAME[xd.name]}'")
    if not transposed and (xd == np.bool_ or (dilated and xd.kind in "iub"
                                              and xd != np.int64)):
        kernel = ("slow_conv_dilated<>" if dilated else
                  "compute_columns3d" if nd == 3 else "slow_conv2d_cpu")
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{_SCALAR_NAME[xd.name]}'")
    if wd != xd:
        raise _scalar_type_error(xd, wd)
    if b is None or bd == xd:
        return b
    if transposed and nd == 3:
        raise _scalar_type_error(xd, bd)
    assert bd is not None  # (b is not None here)
    if transposed and xd.kind in "iub" and bd.kind == "f":
        raise RuntimeError(f"result type {_SCALAR_NAME[bd.name]} can't be cast to the "
                           f"desired output type {_SCALAR_NAME[xd.name]}")
    return b.to(x.dtype)


def _check_output_padding(nd: int, output_padding, stride, dilation) -> None:
    """torch's transposed kernels: each output_padding below its stride or its dilation
    (a 1-d convolution reports as the 2-d one it runs as)."""
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ["depth", "height", "width"][-max(nd, 2):]
        ops = output_padding if nd > 1 else (0,) + output_padding
        ss = stride if nd > 1 else (1,) + stride
        ds = dilation if nd > 1 else (1,) + dilation
        parts = ([f"output_padding_{n}: {v}" for n, v in zip(names, ops)]
                 + [f"stride_{n}: {v}" for n, v in zip(names, ss)]
                 + [f"dilation_{n}: {v}" for n, v in zip(names, ds)])
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            + " ".join(parts)
        )


def _check_empty_shape(shape: tuple) -> None:
    """An empty batch's transposed convolution: torch reshapes an empty tensor to the
    output's shape, and a negative size fails as a view's shape does (-1 read as one to
    infer)."""
    infer = None
    for i, v in enumerate(shape):
        if v == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif v < 0:
            raise RuntimeError(f"invalid shape dimension {v} at index {i} of shape "
                               f"{_sizes(shape)}")
    if infer is not None:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_sizes(shape)} "
                           "because the unspecified dimension size -1 can be any value and "
                           "is ambiguous")


def _check_no_elements(shape: tuple) -> None:
    """torch's choice of backend: an input with no elements is computed by its "empty"
    one only for want of samples or channels; one with no positions is refused (before
    any backend's own checks; a 1-d one's shape as the 2-d one it runs as)."""
    if 0 in shape[2:] and shape[0] and shape[1]:
        raise RuntimeError("Only zero batch or zero channel inputs are supported, but got "
                           f"input shape: {_sizes(_as_2d(shape))}")


def _empty_backend(x: Tensor, w: Tensor, b):
    """torch's backend for an input with no elements (no samples or no channels) computes
    ``input * weight[0]`` and views it as the output: its dtype is that product's (the
    weight's only where it is of a higher kind), and a weight with no elements cannot give
    its [0]. With no input channels it computes ``input.view(-1) * weight.view(-1)``
    instead: the two dtypes promote and the output has no channels either. Returns (x, w,
    b) cast to that dtype, w and b cut to no output channels in the latter case."""
    if x._data.shape[1] == 0:
        dtype = promote_types(x.dtype, w.dtype)
        w, b = w[:0], None if b is None else b[:0]
    else:
        if w._data.size == 0:
            raise IndexError("select(): index 0 out of range for tensor of size [0] at "
                             "dimension 0")
        dtype = result_type_of((x, w.reshape(-1)[0]))
    if x.dtype is not dtype:
        x = x.to(dtype)
    if w.dtype is not dtype:
        w = w.to(dtype)
    return x, w, b if b is None or b.dtype is dtype else b.to(dtype)


def _check_kernel(nd: int, w: Tensor, transposed: bool, dilated: bool, mkldnn: bool) -> None:
    """A weight with no elements (a kernel size of 0, or a transposed one's 0 output
    channels) over a nonempty input: oneDNN cannot build its primitive; torch's own kernels
    each refuse it in their words."""
    ws = w._data.shape
    if w._data.size:
        return
    if mkldnn:
        raise RuntimeError(
            f"could not create a primitive descriptor for the {'de' if transposed else ''}"
            "convolution forward propagation primitive. Run workload with environment "
            "variable ONEDNN_VERBOSE=all to get additional diagnostic information.")
    ks, hw = ws[2:], _as_2d(ws)[2:]
    if transposed and nd == 3:
        raise RuntimeError(
            "non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
            f"kernel_width) tensor expected for weight, but got: {_sizes(ws)}")
    if 0 not in ks:  # (a transposed one's 0 output channels)
        raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: "
                           f"{_sizes(_as_2d(ws))}")
    if dilated and not transposed:
        raise RuntimeError(f"kernel size should be greater than zero, but got {list(hw)}")
    if nd == 3 and not transposed:
        raise RuntimeError("kernel size should be greater than zero, but got: "
                           f"{' x '.join(map(str, ks))} (TxHxW)")
    raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: "
                       f"{hw[0]} kernel_width: {hw[1]}")


def _scalar_type_error(expected, found) -> RuntimeError:
    return RuntimeError(f"expected scalar type {_SCALAR_NAME[expected.name]} but found "
                        f"{_SCALAR_NAME[found.name]}")


def _check_common(x: Tensor, w: Tensor, stride, pad_lo, dilation, groups, output_padding=()):
    if any(p < 0 for p in pad_lo):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    ws = w._data.shape
    if x._data.ndim != w._data.ndim:
        raise RuntimeError(
            f"Expected {w._data.ndim}-dimensional input for {w._data.ndim}-dimensional weight "
            f"{_sizes(ws)}, but got {x._data.ndim}-dimensional input of size "
            f"{_sizes(x._data.shape)} instead"
        )
    if ws[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, "
            f"but got weight of size {_sizes(ws)} instead"
        )
    if ws[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension "
            f"0, but got weight of size [{_sizes(ws)}] instead"
        )


def _batched(fn: str, x: Tensor, nd: int):
    """torch accepts one unbatched sample (no N dimension): it adds N=1 and removes it."""
    ndim = x._data.ndim
    if ndim == nd + 2:
        return x, False
    if ndim == nd + 1:
        return _shape.unsqueeze(x, 0), True
    raise RuntimeError(
        f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got input "
        f"of size: {_sizes(x._data.shape)}"
    )


def _weight_dims(w: Tensor, nd: int) -> None:
    # torch derives the number of spatial dimensions from the weight, so a weight of the
    # wrong rank shows up as a stride list of the wrong length
    k = w._data.ndim - 2
    if k != nd:
        raise RuntimeError(
            f"expected stride to be a single integer value or a list of {k} values to match "
            f"the convolution dimensions, but got stride={[1] * nd}"
            if k > 0 else f"weight should have at least three dimensions, got {w._data.ndim}"
        )


def _same_padding(kernel, dilation) -> tuple[tuple, tuple]:
    """padding='same': total d*(k-1) per dimension, the odd one out at the end (halved as
    C++ does, towards zero: a kernel size of 0 takes one off the end)."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    lo = tuple(int(t / 2) for t in total)
    hi = tuple(t - h for t, h in zip(total, lo))
    if lo != hi:
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created", UserWarning, stacklevel=4)
    return lo, hi


def _as_2d(shape: tuple) -> tuple:
    """A 1-d convolution's (N, C, L) as the (N, C, 1, L) torch runs it as."""
    return shape if len(shape) > 3 else shape[:2] + (1,) + shape[2:]


def _mkldnn(x: np.ndarray, w: np.ndarray, stride, dilation, groups, output_padding=()) -> bool:
    """Whether torch 2.13 on a CPU runs this (batched) convolution with oneDNN rather than
    its own slow kernels (use_mkldnn in aten's Convolution.cpp): float32 only; not when a
    transposed one has an output_padding of a stride or more; not for a small single
    sample with one group (native is faster there); with one thread, not for an
    unstrided, undilated 1x1 kernel over fewer than 16 samples. 1-d ones are judged as
    the 2-d ones they become."""
    if x.dtype != np.float32 or x.shape[0] == 0:
        return False
    if any(op >= s for op, s in zip(output_padding, stride)):
        return False
    xs, ks = _as_2d(x.shape), _as_2d(w.shape)[2:]
    if get_num_threads() == 1 and not (
            any(s != 1 for s in stride) or any(d != 1 for d in dilation) or xs[0] >= 16
            or ks[-1] != 1 or ks[-2] != 1):
        return False
    return (groups > 1 or (ks[-1] > 3 and ks[-2] > 3) or xs[0] > 1
            or xs[0] * xs[1] * xs[2] * xs[3] > 20480)


def _unsqueeze_2(a: np.ndarray) -> np.ndarray:
    """(N, C, L) -> (N, C, 1, L), the new dimension's stride as torch's unsqueeze sets it
    (L's extent; numpy's would be 0)."""
    (n, c, k), (sn, sc, sk) = a.shape, a.strides
    return as_strided(a, (n, c, 1, k), (sn, sc, sk * k, sk))


def _channels_last(x: np.ndarray, w: np.ndarray, nd: int, mkldnn) -> bool:
    """Whether torch lays the result (and the input's and weight's gradients) out with the
    channels innermost. It picks one memory format per convolution: channels_last(_3d)
    when the input or the weight suggests it, for oneDNN and its slow 2-d kernels; its
    slow 3-d kernels are always contiguous. A 1-d convolution runs as a 2-d one, on the
    input made contiguous (which keeps a contiguous one's strides, even those of its
    size-1 dimensions), both viewed as (N, C, 1, L) with unsqueeze's strides.
    ``mkldnn``: a callable saying whether oneDNN runs it (asked only for 3-d)."""
    if nd == 1:
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        return any(suggested_memory_format(_unsqueeze_2(a)) is not None for a in (x, w))
    if nd == 3 and not mkldnn():
        return False
    return suggested_memory_format(x) is not None or suggested_memory_format(w) is not None


def _weight_channels_last(w: np.ndarray, channels_last: bool, mkldnn: bool,
                          slow2d: bool):
    """Whether the weight's gradient comes out channels-last. oneDNN's and the dilated
    kernel's do when the convolution's does. torch's other slow 2-d kernels (``slow2d``:
    slow_conv2d and slow_conv_transpose2d) make the weight channels_last (leaving a weight
    that already is so, by the strides of its dims of size over 1, as it is) and lay its
    gradient out as that weight suggests: an ambiguous one, such as a contiguous
    (O, 1, kH, kW) or (O, C, 1, 1), suggests contiguous; and they refuse (None) a gradient
    so laid out that is not channels-last as well (a weight with odd strides). (A 1-d
    weight as the 2-d one it runs as; the slow 3-d kernels are never channels-last.)"""
    if not channels_last or mkldnn or not slow2d:
        return channels_last
    w = w if w.ndim == 4 else _unsqueeze_2(w)
    if not in_layout(w, _CHANNELS_LAST):
        w = np.moveaxis(np.empty(w.shape[:1] + w.shape[2:] + w.shape[1:2], w.dtype), -1, 1)
    if suggested_memory_format(w) is not None:
        return True
    return False if in_layout(np.empty(w.shape, w.dtype), _CHANNELS_LAST) else None


# conv1d/2d/3d's signatures, as torch's argument errors list them
CONV_OVERLOADS = (
    "Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
    "tuple of ints padding = 0, tuple of ints dilation = 1, int groups = 1",
    "Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, "
    'str padding = "valid", tuple of ints dilation = 1, int groups = 1',
)
_CONV_DEFAULTS = (None, 1, 0, 1, 1)  # bias, stride, padding, dilation, groups


def _given(args: tuple) -> tuple:
    """conv's arguments as its caller most likely wrote them, for torch's error message:
    trailing ones equal to their defaults are taken as left out."""
    n = len(args)
    while n > 2 and (args[n - 1] is None if _CONV_DEFAULTS[n - 3] is None else
                     type(args[n - 1]) is int and args[n - 1] == _CONV_DEFAULTS[n - 3]):
        n -= 1
    return args[:n]


def _conv(fn: str, nd: int, input, weight, bias, stride, padding, dilation, groups):  # noqa: A002
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)
            and (bias is None or isinstance(bias, Tensor))):
        args = (input, weight, bias, stride, padding, dilation, groups)
        raise invalid_combination(fn, _given(args), CONV_OVERLOADS)
    x, w, b = input, weight, bias
    if not isinstance(padding, str):
        _check_bias_dtype(x, b)
    x, unbatched = _batched(fn, x, nd)
    _weight_dims(w, nd)
    stride = _expand(fn, stride, "stride", nd)
    dilation = _expand(fn, dilation, "dilation", nd)
    groups = operator.index(groups)
    ks = w._data.shape[2:]
    unpadded = x
    if isinstance(padding, str):
        if padding == "valid":
            pad_lo = pad_hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pad_lo, pad_hi = _same_padding(ks, dilation)
            if pad_lo != pad_hi:
                # as torch: pad the odd one out (at the end) first, then convolve with the
                # symmetric rest (the same numbers; the graph and messages torch's)
                x = _pad(x, [v for lo, hi in zip(pad_lo[::-1], pad_hi[::-1])
                             for v in (0, hi - lo)])
                pad_hi = pad_lo
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad_lo = pad_hi = _expand(fn, padding, "padding", nd)
    _check_common(x, w, stride, pad_lo, dilation, groups)
    xs, ws = x._data.shape, w._data.shape
    if xs[1] != ws[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to "
            f"have {ws[1] * groups} channels, but got {xs[1]} channels instead"
        )
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[0]):
        raise RuntimeError(
            f"Given weight of size {_sizes(ws)}, expected bias to be 1-dimensional with "
            f"{ws[0]} elements, but got bias of size {_sizes(b._data.shape)} instead"
        )
    padded = [i + lo + hi for i, lo, hi in zip(xs[2:], pad_lo, pad_hi)]
    extent = [d * (k - 1) + 1 for k, d in zip(ks, dilation)]
    if any(p < e for p, e in zip(padded, extent)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, extent))}). Kernel size can't be greater "
            "than actual input size"
        )
    _check_no_elements(xs)
    mkldnn = _mkldnn(x._data, w._data, stride, dilation, groups)
    dilated = any(d != 1 for d in dilation)
    if x._data.size and not mkldnn:
        _check_kernel(nd, w, False, dilated, mkldnn)
    b = _backend_dtypes(x, w, b, nd, mkldnn, transposed=False, dilated=dilated)
    if x._data.size and mkldnn:
        _check_kernel(nd, w, False, dilated, mkldnn)
    out_size = tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))
    if x._data.size == 0:
        x, w, b = _empty_backend(x, w, b)
        if 0 in ks:  # (no input channels: no windows to take, torch's empty product viewed)
            out = (x.reshape(-1) * w.reshape(-1)).reshape((xs[0], 0) + out_size)
            return _shape.squeeze(out, 0) if unbatched else out
    geo = Geometry(tuple(xs[2:]), tuple(ks), out_size, stride, pad_lo, pad_hi, dilation,
                   groups)
    # (torch's pad keeps a channels_last input so; a 1-d one's comes out contiguous)
    cl = _channels_last((x if nd == 1 else unpadded)._data, w._data, nd, lambda: mkldnn)
    out = _Convolution.apply(x, w, b, geo=geo, channels_last=cl,
                             weight_channels_last=_weight_channels_last(w._data, cl, mkldnn,
                                                                        not dilated))
    return _shape.squeeze(out, 0) if unbatched else out


def _conv_transpose(fn: str, nd: int, input, weight, bias, stride, padding,  # noqa: A002
                    output_padding, groups, dilation):
    x = _check_tensor(fn, input, "input", 1)
    w = _check_tensor(fn, weight, "weight", 2)
    b = None if bias is None else _check_tensor(fn, bias, "bias", 3)
    x, unbatched = _batched(fn, x, nd)
    _weight_dims(w, nd)
    stride = _expand(fn, stride, "stride", nd)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    padding = _expand(fn, padding, "padding", nd)
    output_padding = _expand(fn, output_padding, "output_padding", nd)
    dilation = _expand(fn, dilation, "dilation", nd)
    groups = operator.index(groups)
    _check_common(x, w, stride, padding, dilation, groups, output_padding)
    xs, ws = x._data.shape, w._data.shape
    if xs[1] != ws[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected input{_sizes(xs)} to "
            f"have {ws[0]} channels, but got {xs[1]} channels instead"
        )
    if b is not None and (b._data.ndim != 1 or b._data.shape[0] != ws[1] * groups):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(ws)}, expected bias to be "
            f"1-dimensional with {ws[1] * groups} elements, but got bias of size "
            f"{_sizes(b._data.shape)} instead"
        )
    ks = ws[2:]
    out_size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + op + 1
        for i, s, p, d, k, op in zip(xs[2:], stride, padding, dilation, ks, output_padding)
    )
    mkldnn = False
    if xs[0] == 0:  # torch's "empty" backend: no more checks than the shape's
        if w._data.size == 0:
            _empty_backend(x, w, b)  # (raises torch's IndexError)
        _check_empty_shape(_as_2d((0, ws[1] * groups) + out_size))
    else:
        _check_no_elements(xs)
        mkldnn = _mkldnn(x._data, w._data, stride, dilation, groups, output_padding)
        if not mkldnn:
            _check_kernel(nd, w, True, False, mkldnn)
        _check_output_padding(nd, output_padding, stride, dilation)
        if mkldnn and any(o < 0 for o in out_size):  # (oneDNN takes an empty output)
            raise RuntimeError(
                "numel: integer multiplication overflow"  # allocating a channels_last one
                if nd > 1 and (suggested_memory_format(x._data) is not None
                               or suggested_memory_format(w._data) is not None) else
                "could not construct a memory descriptor using a format tag")
        if not mkldnn and any(o <= 0 for o in out_size):
            raise RuntimeError(
                f"Given input size per channel: ({' x '.join(map(str, _as_2d(xs)[2:]))}). "
                "Calculated output size per channel: "
                f"({' x '.join(map(str, _as_2d((0, 0) + out_size)[2:]))}). Output size is "
                "too small"
            )
    b = _backend_dtypes(x, w, b, nd, mkldnn, transposed=True)
    if mkldnn:
        _check_kernel(nd, w, True, False, mkldnn)
    if xs[0] == 0:
        x, w, b = _empty_backend(x, w, b)
    # the forward convolution this one transposes: out_size -> xs[2:]
    geo = Geometry(out_size, tuple(ks), tuple(xs[2:]), stride, padding, padding, dilation,
                   groups)
    cl = _channels_last(x._data, w._data, nd, lambda: mkldnn)
    out = _ConvTranspose.apply(x, w, b, geo=geo, channels_last=cl,
                               weight_channels_last=_weight_channels_last(w._data, cl, mkldnn,
                                                                          True))
    return _shape.squeeze(out, 0) if unbatched else out


# ---------------------------------------------------------------------------------------
# Public functions


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """1-D convolution (cross-correlation) of ``input`` (N, C_in, L) or (C_in, L) with
    ``weight`` (C_out, C_in/groups, k); ``padding`` may be an int, a tuple, 'valid' or
    'same'."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """2-D convolution (cross-correlation) of ``input`` (N, C_in, H, W) or (C_in, H, W)
    with ``weight`` (C_out, C_in/groups, kH, kW): out[n, o] = bias[o] + sum_c weight[o, c]
    (star) input[n, c]; ``padding`` may be an int, a pair, 'valid' or 'same'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """3-D convolution of ``input`` (N, C_in, D, H, W) with ``weight`` (C_out,
    C_in/groups, kD, kH, kW)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv1d: ``weight`` is (C_in, C_out/groups, k); output
    length (L-1)*stride - 2*padding + dilation*(k-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv2d, sometimes called 'deconvolution': ``weight`` is
    (C_in, C_out/groups, kH, kW); each output size is (in-1)*stride - 2*padding +
    dilation*(k-1) + output_padding + 1."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """The transpose (gradient) of conv3d; ``weight`` is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def convolution(input, weight, bias, stride, padding, dilation, transposed,  # noqa: A002
                output_padding, groups) -> Tensor:
    """torch.convolution: the general entry point behind the functions above."""
    w = _check_tensor("convolution", weight, "weight", 2)
    nd = w._data.ndim - 2
    names = {1: "1d", 2: "2d", 3: "3d"}
    if nd not in names:
        raise RuntimeError(f"weight should have at least three dimensions, got {w._data.ndim}")
    if transposed:
        return _conv_transpose(f"conv_transpose{names[nd]}", nd, input, weight, bias, stride,
                               padding, output_padding, groups, dilation)
    return _conv(f"conv{names[nd]}", nd, input, weight, bias, stride, padding, dilation,
                 groups)

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
needs nothing else (double backward, gradgradcheck, Hessians of CNNs all work).

The NumPy kernels that compute them (im2col, col2im, the layouts) are in
``conv_kernels.py``.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.pointwise.operands import invalid_combination
from torchlet._ops.shape.common import _int_list as _ints_arg
from torchlet._ops.shape.common import empty_in_layout, suggested_memory_format
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE
from torchlet.nn._functional.conv_kernels import (
    Geometry,
    conv_forward,
    conv_input_grad,
    conv_weight_grad,
)

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


def _sum_bias(grad: Tensor, nd: int) -> Tensor:
    """grad summed over the batch and space. torch's convolution (oneDNN) adds these in
    an order of its own, not that of ``grad.sum((0, 2, 3))``, so the result agrees with
    torch to rounding whichever order is taken; a first-order backward takes NumPy's,
    the fastest (a quarter of the time of torch's cascade order on LeNet's gradients)."""
    dims = (0,) + tuple(range(2, 2 + nd))
    if GRAD_STATE.enabled:
        return grad.sum(dims)
    g = grad._data
    acc = np.float32 if g.dtype == np.float16 else g.dtype
    return wrap(np.add.reduce(g, dims, acc, initial=0).astype(g.dtype, copy=False))


# ---------------------------------------------------------------------------------------
# The three primitives


class _Convolution(Primitive):
    """out = conv(x, w) + b, i.e. out[n, o, l] = b[o] + sum_{c,k} w[o, c, k] x[n, c, l*s +
    k*d - p];  grad_x = conv_transpose(grad, w),  grad_w = correlate(x, grad),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, *, geo):
        out, cols = conv_forward(x, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo = geo
        ctx.cols = cols if cols.nbytes <= _KEEP_COLUMNS_BYTES and x.dtype == cols.dtype \
            else None
        ctx.save_for_backward(x, w)
        return _in_channels_last_of(out, x, w)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        geo = ctx.geo
        grad_x = _ConvTransposeGrad.apply(grad, w, None, geo=geo) if need_x else None
        grad_w = None
        if need_w:
            # the forward's columns serve once; a second backward (retain_graph) rebuilds
            # them, and the memory is not held while the graph lives on
            cols, ctx.cols = ctx.cols, None
            grad_w = _ConvWeightGrad.apply(x, grad, geo=geo, cols=cols)
        grad_b = _sum_bias(grad, len(geo.kernel)) if need_b else None
        return grad_x, grad_w, grad_b


def _in_channels_last_of(out: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``out`` laid out channels_last(_3d) when the input or the weight is (torch's CPU
    convolutions, mkldnn's and the slow path alike, follow either), else as it is."""
    fmt = suggested_memory_format(x) or suggested_memory_format(w)
    if fmt is None or out.ndim != x.ndim:
        return out
    result = empty_in_layout(out, out.dtype, fmt)
    result[...] = out
    return result


class _ConvTranspose(Primitive):
    """out = conv_transpose(y, w) + b, i.e. out[n, c, i] = b[c] + sum over l*s + k*d - p = i
    of y[n, o, l] w[o, c, k];  grad_y = conv(grad, w),  grad_w = correlate(grad, y),
    grad_b = sum of grad over batch and space."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, y, w, b, *, geo):
        out = conv_input_grad(y, w, geo)
        if b is not None:
            out += b.reshape(_bias_shape(len(geo.kernel)))
        ctx.geo = geo
        ctx.save_for_backward(y, w)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need_y, need_w, need_b = ctx.needs_input_grad
        geo = ctx.geo
        grad_y = _ConvolutionGrad.apply(grad, w, None, geo=geo) if need_y else None
        grad_w = _ConvWeightGrad.apply(grad, y, geo=geo) if need_w else None
        grad_b = _sum_bias(grad, len(geo.kernel)) if need_b else None
        return grad_y, grad_w, grad_b


class _ConvWeight(Primitive):
    """out = correlate(x, y), i.e. out[o, c, k] = sum_{n,l} y[n, o, l] x[n, c, l*s + k*d - p]
    (the weight gradient of a convolution);  grad_x = conv_transpose(y, grad),
    grad_y = conv(x, grad)."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, y, *, geo, cols=None):
        ctx.geo = geo
        ctx.save_for_backward(x, y)
        return conv_weight_grad(x, y, geo, cols)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        geo = ctx.geo
        grad_x = _ConvTransposeGrad.apply(y, grad, None, geo=geo) if need_x else None
        grad_y = _ConvolutionGrad.apply(x, grad, None, geo=geo) if need_y else None
        return grad_x, grad_y


# The same operations when they appear in a backward pass (create_graph=True) carry the
# name torch gives that node.
class _ConvolutionGrad(_Convolution):
    node_name = "ConvolutionBackwardBackward0"


class _ConvTransposeGrad(_ConvTranspose):
    node_name = "ConvolutionBackwardBackward0"


_ConvWeightGrad = _ConvWeight


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


def _check_dtypes(x: Tensor, w: Tensor, b) -> None:
    """conv: torch compares the bias with the input first, then the weight."""
    xd = x._data.dtype
    if b is not None and b._data.dtype != xd:
        raise RuntimeError(
            f"Input type ({_C_NAME[xd.name]}) and bias type ({_C_NAME[b._data.dtype.name]}) "
            "should be the same"
        )
    if xd != w._data.dtype:
        raise _scalar_type_error(xd, w._data.dtype)


def _check_transpose_dtypes(x: Tensor, w: Tensor, b, nd: int):
    """conv_transpose: torch compares the weight first (its slow kernels refuse integers
    other than int64 before that); the 1-d and 2-d kernels then cast the bias to the
    input's dtype, the 3-d one refuses it. Returns the bias to use."""
    xd = x._data.dtype
    if xd != w._data.dtype:
        if xd.kind in "iub" and xd != np.int64:
            raise NotImplementedError(f'"slow_conv_transpose{max(nd, 2)}d_out_cpu" not '
                                      f"implemented for '{_SCALAR_NAME[xd.name]}'")
        raise _scalar_type_error(xd, w._data.dtype)
    if b is None or b._data.dtype == xd:
        return b
    if nd == 3:
        raise _scalar_type_error(xd, b._data.dtype)
    return b.to(x.dtype)


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
    """padding='same': total d*(k-1) per dimension, the odd one out at the end."""
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    lo = tuple(t // 2 for t in total)
    hi = tuple(t - t // 2 for t in total)
    if lo != hi:
        warnings.warn(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created", UserWarning, stacklevel=4)
    return lo, hi


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
    x, unbatched = _batched(fn, x, nd)
    _weight_dims(w, nd)
    stride = _expand(fn, stride, "stride", nd)
    dilation = _expand(fn, dilation, "dilation", nd)
    groups = operator.index(groups)
    ks = w._data.shape[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pad_lo = pad_hi = (0,) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pad_lo, pad_hi = _same_padding(ks, dilation)
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
    _check_dtypes(x, w, b)
    out_size = tuple((p - e) // s + 1 for p, e, s in zip(padded, extent, stride))
    geo = Geometry(tuple(xs[2:]), tuple(ks), out_size, stride, pad_lo, pad_hi, dilation,
                   groups)
    out = _Convolution.apply(x, w, b, geo=geo)
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
    if any(o <= 0 for o in out_size):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, xs[2:]))}). Calculated "
            f"output size per channel: ({' x '.join(map(str, out_size))}). Output size is "
            "too small"
        )
    b = _check_transpose_dtypes(x, w, b, nd)
    # the forward convolution this one transposes: out_size -> xs[2:]
    geo = Geometry(out_size, tuple(ks), tuple(xs[2:]), stride, padding, padding, dilation,
                   groups)
    out = _ConvTranspose.apply(x, w, b, geo=geo)
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

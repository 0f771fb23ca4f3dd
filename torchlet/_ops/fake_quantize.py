"""torch.fake_quantize_per_tensor_affine and torch.fake_quantize_per_channel_affine.

Quantize and dequantize in one step, ``out = (clamp(round(x / scale) + zp, qmin, qmax) - zp)
* scale``, with the straight-through gradient ``grad * mask`` (mask: the unclamped
quantized value lies in [qmin, qmax]). The arithmetic follows torch's CPU kernels step by
step, since each step rounds in its own type (checked bit for bit against torch on random
inputs of float16, float32 and float64, at exact halves and beside them):

- ``1 / scale`` is taken in float32 and the input multiplied by it in the input's type
  (float32 for float16; float64 multiplies by the float32 reciprocal widened);
- per tensor: ``q = zp + nearbyint(x * inv)`` in that type, clamped in double, then
  ``(int64(q) - zp) * scale`` in float32 (float64 inputs too get this float32 product);
- per channel: ``q = int64(zp + nearbyint(x * inv))`` (``lrint(zp + x * inv)`` for a
  floating zero point): NaN or a value beyond int64 becomes int64's smallest, so clamps to
  ``qmin`` (+inf too, unlike per tensor); then ``(clamp(q) - zp) * scale`` in double,
  rounded to the input's type (a float16 one through float32, as c10::Half converts).

Tensor has no methods for these in torch.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.shape.common import (
    _empty_like_preserve,
    _is_int,
    _no_overload,
    _wrap_dim_of,
)
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

__all__ = ["fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"]

_FLOATS = (np.float16, np.float32, np.float64)
_INT64_MIN = float(np.iinfo(np.int64).min)
_PER_TENSOR_SIGNATURES = (
    "Tensor scale, Tensor zero_point, int quant_min, int quant_max",
    "float scale, int zero_point, int quant_min, int quant_max",
)
_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int8": "Char",
               "int16": "Short", "int32": "Int", "int64": "Long", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _laid_out(out, x: np.ndarray) -> np.ndarray:
    """``out`` (perhaps a NumPy scalar, for a 0-d ``x``) in ``x``'s memory layout, as
    torch's ``empty_like(x, preserve_format)``."""
    if x.flags.c_contiguous and x.size:  # (an empty x's strides may be 0s)
        return np.asarray(out)
    laid = _empty_like_preserve(x)
    laid[...] = out
    return laid


def _to_int64(q: np.ndarray) -> np.ndarray:
    """C++'s ``static_cast<int64_t>`` / ``lrint`` result on x86: NaN and values beyond
    int64 become int64's smallest."""
    return np.where(np.abs(q) < 2.0**63, q, _INT64_MIN).astype(np.int64)


def _kernel_type(x: np.ndarray):
    """The type ``x * inv_scale`` is computed in (c10::Half times float is float)."""
    return np.float64 if x.dtype == np.float64 else np.float32


def _check_kernel_dtype(x: np.ndarray, kernel: str) -> None:
    if x.dtype.type not in _FLOATS:
        raise NotImplementedError(
            f'"{kernel}" not implemented for \'{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}\'')


class FakeQuantizePerTensor(Primitive):
    """out = (clamp(zp + nearbyint(x / scale), qmin, qmax) - zp) * scale;
    grad_x = grad * mask,  mask = qmin <= zp + nearbyint(x / scale) <= qmax."""

    node_name = "FakeQuantizePerTensorAffineCachemaskBackward0"

    @staticmethod
    def forward(ctx, x, *, scale, zero_point, quant_min, quant_max):
        _check_kernel_dtype(x, "fake_quantize_tensor_cachemask_kernel_type_handling")
        kind = _kernel_type(x)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            sc = np.float32(scale)  # (C++'s double -> float: beyond float32 is inf)
            inv = np.float32(1) / sc
            q = np.rint(x.astype(kind, copy=False) * kind(inv))
            q += kind(zero_point)  # (int64 + float: rounded to the float type)
            ctx.mask = np.asarray((q >= kind(quant_min)) & (q <= kind(quant_max)))
            # std::fmin/fmax of the float and the int64 bounds: in double (NaN -> qmin)
            clamped = np.fmin(np.fmax(q.astype(np.float64), float(quant_min)), float(quant_max))
            steps = clamped.astype(np.int64) - zero_point
            out = (steps.astype(np.float32) * sc).astype(x.dtype)
        return _laid_out(out, x)

    @staticmethod
    def backward(ctx, grad):
        return grad * wrap(ctx.mask)


class FakeQuantizePerTensorTensorQparams(FakeQuantizePerTensor):
    """The tensor-qparams overload: the same kernel, scale and zero_point read from
    one-element tensors (a node of its own name)."""

    node_name = "FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0"


class FakeQuantizePerChannel(Primitive):
    """out = (clamp(q, qmin, qmax) - zp[c]) * scale[c],  q = int64(zp[c] + nearbyint(x /
    scale[c])) (``lrint(zp[c] + x / scale[c])`` for a floating zp), c the index along
    ``axis``;  grad_x = grad * mask,  mask = qmin <= q <= qmax."""

    node_name = "FakeQuantizePerChannelAffineCachemaskBackward0"

    @staticmethod
    def forward(ctx, x, scale, zero_point, *, quant_min, quant_max):
        _check_kernel_dtype(x, "fake_quantize_channel_cachemask_cpu_type_handling")
        kind = _kernel_type(x)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            inv = np.float32(1) / scale
            product = x.astype(kind, copy=False) * inv.astype(kind)
            if zero_point.dtype.kind == "f":  # lrint(zero_point + x * inv)
                q = np.rint(zero_point.astype(kind) + product)
            else:  # int64(zero_point + nearbyint(x * inv)), the sum in the float type
                q = np.rint(product) + zero_point.astype(kind)
            q = _to_int64(q)
            ctx.mask = np.asarray((q >= quant_min) & (q <= quant_max))
            clamped = np.fmin(np.fmax(q.astype(np.float64), float(quant_min)), float(quant_max))
            out = (clamped - zero_point.astype(np.float64)) * scale.astype(np.float64)
            if x.dtype == np.float16:  # (double -> c10::Half goes through float)
                out = out.astype(np.float32)
            out = out.astype(x.dtype)
        return _laid_out(out, x)

    @staticmethod
    def backward(ctx, grad):
        return grad * wrap(ctx.mask), None, None


def _not_differentiable(fn: str, **qparams) -> None:
    """torch refuses a scale or zero_point that requires grad (while grad mode is on)."""
    if not GRAD_STATE.enabled:
        return
    for name, value in qparams.items():
        if isinstance(value, Tensor) and value.requires_grad:
            raise RuntimeError(
                f"The function '{fn}' is not differentiable with respect to argument "
                f"'{name}'. This input cannot have requires_grad True.")


def _checked_item(t: Tensor, to: str):
    """``t.item()`` converted as c10's ``checked_convert`` does: to float32 (a finite
    value beyond its range raises) or to int32 (truncated; NaN and beyond int32 raise)."""
    if t._data.size != 1:
        raise RuntimeError(
            f"a Tensor with {t._data.size} elements cannot be converted to Scalar")
    value = t._data.reshape(()).item()
    if isinstance(value, complex):
        if value.imag != 0:
            raise RuntimeError(f"value cannot be converted to type {to} without overflow")
        value = value.real
    if to == "float":
        value = float(value)
        if np.isfinite(value) and abs(value) > float(np.finfo(np.float32).max):
            raise RuntimeError("value cannot be converted to type float without overflow")
        return value
    if not (-(2.0**31) <= value <= 2.0**31 - 1):  # (NaN fails too)
        raise RuntimeError("value cannot be converted to type int without overflow")
    return int(value)


def _check_quant_range(quant_min: int, quant_max: int) -> None:
    if quant_min > quant_max:
        raise RuntimeError(
            "`quant_min` should be less than or         equal to `quant_max`.")


def _zero_point_out_of_range() -> RuntimeError:
    return RuntimeError("`zero_point` must be between `quant_min` and `quant_max`.")


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min, quant_max):  # noqa: A002
    """``(clamp(nearbyint(input / scale) + zero_point, quant_min, quant_max) - zero_point)
    * scale``, one ``scale`` and ``zero_point`` for the whole tensor: numbers, or
    one-element tensors (a float zero_point is truncated to int32)."""
    args = (scale, zero_point, quant_min, quant_max)
    fn = "fake_quantize_per_tensor_affine"
    if not (isinstance(input, Tensor) and _is_int(quant_min) and _is_int(quant_max)):
        raise _no_overload(fn, args, _PER_TENSOR_SIGNATURES, input)
    quant_min, quant_max = int(quant_min), int(quant_max)
    if isinstance(scale, Tensor) and isinstance(zero_point, Tensor):
        _not_differentiable("_fake_quantize_per_tensor_affine_cachemask_tensor_qparams",
                            scale=scale, zero_point=zero_point)
        _check_quant_range(quant_min, quant_max)
        sc, zp = _checked_item(scale, "float"), _checked_item(zero_point, "int")
        return FakeQuantizePerTensorTensorQparams.apply(
            input, scale=sc, zero_point=zp, quant_min=quant_min, quant_max=quant_max)
    if not (_is_float_arg(scale) and _is_int(zero_point)):
        raise _no_overload(fn, args, _PER_TENSOR_SIGNATURES, input)
    sc = float(scale.item() if isinstance(scale, Tensor) else scale)
    zp = int(zero_point)
    _check_quant_range(quant_min, quant_max)
    if not quant_min <= zp <= quant_max:
        raise _zero_point_out_of_range()
    return FakeQuantizePerTensor.apply(
        input, scale=sc, zero_point=zp, quant_min=quant_min, quant_max=quant_max)


def _is_float_arg(value) -> bool:
    """Whether torch's parser takes ``value`` for a ``float`` parameter: a real number,
    or a 0-d tensor that does not require grad."""
    if isinstance(value, Tensor):
        return value._data.ndim == 0 and not value.requires_grad
    return isinstance(value, (int, float, np.integer, np.floating, np.bool_))


def _check_per_channel(x: Tensor, scale, zero_point, axis, quant_min, quant_max):
    """torch's checks, in its order."""
    fn = "fake_quantize_per_channel_affine"
    for position, (name, value) in enumerate(
            (("input", x), ("scale", scale), ("zero_point", zero_point)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be "
                            f"Tensor, not {type(value).__name__}")
    for position, (name, value) in enumerate(
            (("axis", axis), ("quant_min", quant_min), ("quant_max", quant_max)), 4):
        if not _is_int(value):
            raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be "
                            f"int, not {type(value).__name__}")
    _not_differentiable("fake_quantize_per_channel_affine_cachemask",
                        scale=scale, zero_point=zero_point)
    s, z = scale._data, zero_point._data
    if s.dtype != np.float32:
        raise RuntimeError(f"Scale must be Float or BFloat16, found {_TYPE_NAMES[s.dtype.name]}")
    if z.dtype.type not in (np.int32, np.float32, np.float16):
        raise RuntimeError(
            f"Zero-point must be Int32, Float or Half, found {_TYPE_NAMES[z.dtype.name]}")
    if s.ndim != 1:
        raise RuntimeError("scale should be a 1-D tensor")
    if z.ndim != 1:
        raise RuntimeError("zero point should be a 1-D tensor")
    if s.size != z.size:
        raise RuntimeError("scale and zero-point need to have the same dimensions")
    ndim = x._data.ndim
    if s.size != x._data.shape[_wrap_dim_of(int(axis), ndim)]:
        raise RuntimeError(
            "dimensions of scale and zero-point are not consistent with input tensor")
    _check_quant_range(int(quant_min), int(quant_max))
    if z.dtype.kind == "i":
        if not z.size:
            raise RuntimeError(
                "min(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument.")
        if z.min() < quant_min or z.max() > quant_max:
            raise _zero_point_out_of_range()
    if not 0 <= axis <= ndim:
        raise RuntimeError("`axis` must be between 0 and number of dimensions of input")


def fake_quantize_per_channel_affine(input, scale, zero_point, axis, quant_min, quant_max):  # noqa: A002
    """Fake quantization with one ``scale[c]`` (float32) and ``zero_point[c]`` (int32,
    float32 or float16) per index ``c`` along ``axis``."""
    _check_per_channel(input, scale, zero_point, axis, quant_min, quant_max)
    shape = [1] * input._data.ndim
    shape[int(axis)] = -1
    return FakeQuantizePerChannel.apply(
        input, scale._data.reshape(shape), zero_point._data.reshape(shape),
        quant_min=int(quant_min), quant_max=int(quant_max))

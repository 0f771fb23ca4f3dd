"""torch.frobenius_norm and torch.nuclear_norm: deprecated ATen norms torch keeps "for JIT
compatibility". Each warns once (TORCH_WARN_ONCE) and computes what its replacement does:
``linalg.vector_norm(A, 2, dim, keepdim)`` and ``linalg.matrix_norm(A, 'nuc', dim,
keepdim)``."""

from __future__ import annotations

from torchlet._ops.pointwise.operands import _out, out_dtype_must_match
from torchlet._ops.reduction._common import reduce_dims
from torchlet._ops.reduction.statistics import VectorNorm
from torchlet._ops.shape.common import _check_tensor
from torchlet._tensor import Tensor, _warn_once
from torchlet.linalg.norms import matrix_norm

__all__ = ["frobenius_norm", "nuclear_norm"]

_TRIGGERED = (" (Triggered internally at "
              "/__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:{}.)")
_FROBENIUS_WARNING = (
    "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be "
    "removed in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` "
    "instead" + _TRIGGERED.format(3175))
_NUCLEAR_WARNING = (
    "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be "
    "removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, "
    "keepdim)` instead" + _TRIGGERED.format(3229))
# the out= overloads warn from their own lines (TORCH_WARN_ONCE: once per call site)
_FROBENIUS_OUT_WARNING = _FROBENIUS_WARNING.replace(":3175.", ":3195.")
_NUCLEAR_OUT_WARNING = _NUCLEAR_WARNING.replace(":3229.", ":3217.")


class FrobeniusNorm(VectorNorm):
    """out = sqrt(sum a^2) over dims (torch's at::norm(a, 2, dim): node NormBackward1);
    grad_a = grad * a / out (0 where out = 0), as linalg.vector_norm's."""

    node_name = "NormBackward1"


def frobenius_norm(input, dim, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """torch.frobenius_norm(input, dim, keepdim=False): the 2-norm of the elements over at
    most two dims (``()``: all of them). RuntimeError for three dims or more, a repeated dim
    or an integer input; IndexError for a dim out of range."""
    x = _check_tensor("frobenius_norm", input)
    a = x._data
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           "instead.")
    _warn_once(_FROBENIUS_WARNING if out is None else _FROBENIUS_OUT_WARNING)
    if a.dtype.kind != "f":
        word = {"i": "Long", "u": "Byte", "b": "Bool"}[a.dtype.kind]
        word = {"int32": "Int", "int16": "Short", "int8": "Char"}.get(a.dtype.name, word)
        raise RuntimeError("norm(): input dtype should be either floating point or complex. "
                           f"Got {word} instead.")
    axes = reduce_dims(dims, a.ndim, "frobenius_norm", 2)
    result = FrobeniusNorm.apply(x, p=2.0, dims=axes, keepdim=bool(keepdim), np_dtype=a.dtype)
    return _out(result, out, "norm", out_dtype_must_match)  # (torch's frobenius_norm_out
    # calls norm_out: its autograd error names norm)


def nuclear_norm(input, dim=None, keepdim=False, *, out=None) -> Tensor:  # noqa: A002
    """torch.nuclear_norm(input, keepdim=False) or (input, dim, keepdim=False): the sum of
    the singular values of the matrices over ``dim`` (default: the last two dims, so a batch
    gives one norm per matrix). ``nuclear_norm(A, True)`` is the keepdim form, as torch's
    overloads read a bool second argument."""
    x = _check_tensor("nuclear_norm", input)
    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    _warn_once(_NUCLEAR_WARNING if out is None else _NUCLEAR_OUT_WARNING)
    dims = (-2, -1) if dim is None else dim
    # torch's nuclear_norm_out is linalg.matrix_norm's out=: computed, then copied
    return matrix_norm(x, "nuc", dims, keepdim, out=out)

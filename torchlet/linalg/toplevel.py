"""The top-level torch functions that are (mostly) aliases of torch.linalg ones, with the
differences torch keeps: torch.cross's dim=None default (products.cross_default_dim),
torch.vander's decreasing powers (products.vander_increasing), logdet's NaN for a
negative determinant, pinverse's rcond, the deprecated torch.cholesky (its own
CholeskyBackward0 node and a deprecation warning), torch.slogdet's ``slogdet`` tuple.
Values: those of the linalg functions they call (see their modules)."""

from __future__ import annotations

import math
import warnings

from torchlet._ops.pointwise import where
from torchlet._ops.pointwise.operands import _out, out_castable_from, out_dtype_must_match
from torchlet.linalg._common import (
    LinAlgError,
    check_float,
    check_matrix,
    check_tensor,
)
from torchlet.linalg.decompositions import Cholesky
from torchlet.linalg.products import matrix_power as _matrix_power
from torchlet.linalg.solve import det as _det
from torchlet.linalg.solve import inv
from torchlet.linalg.solve import slogdet as _slogdet
from torchlet.return_types import _structseq

slogdet_tuple = _structseq("slogdet", ("sign", "logabsdet"))


def matrix_power(input, n, *, out=None):  # noqa: A002
    """torch.matrix_power: linalg.matrix_power."""
    return _matrix_power(input, n, out=out)


def det(input):  # noqa: A002
    """torch.det: linalg.det."""
    return _det(input)


def inverse(input, *, out=None):  # noqa: A002
    """torch.inverse: linalg.inv (torch writes out with linalg_inv_ex)."""
    return _out(inv(input), out, "linalg_inv_ex", out_dtype_must_match)


def slogdet(input):  # noqa: A002
    """torch.slogdet: linalg.slogdet's (sign, logabsdet), as ``torch.return_types.slogdet``."""
    return slogdet_tuple(_slogdet(input))


def logdet(input):  # noqa: A002
    """torch.logdet: log det(A): logabsdet where the determinant is positive, NaN where it
    is negative, -inf where it is 0 (composed as torch: where(sign == -1, nan, logabsdet))."""
    check_tensor("logdet", input, "input")
    check_matrix("logdet", input)
    m, n = input._data.shape[-2:]
    if m != n:  # (torch.logdet's message has no "linalg." in front)
        raise RuntimeError(
            f"logdet: A must be batches of square matrices, but they are {m} by {n} matrices")
    if input._data.dtype.kind != "f" or input._data.dtype.name == "float16":
        from torchlet._ops.reduction._common import type_word

        raise RuntimeError("logdet: Expected a floating point or complex tensor as input. Got "
                           f"{type_word(input._data)}")
    sign, logabsdet = _slogdet(input)
    return where(sign == -1.0, math.nan, logabsdet)


class _TorchCholesky(Cholesky):
    node_name = "CholeskyBackward0"


_CHOLESKY_WARNING = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a "
    "future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = "
    "torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
    "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results "
    "for all valid (symmetric positive definite) inputs."
)


def cholesky(input, upper=False, *, out=None):  # noqa: A002
    """torch.cholesky (deprecated, with torch's warning): linalg.cholesky's factor, with
    torch.cholesky's node name and error prefix."""
    if out is not None:
        return _out(cholesky(input, upper), out, "cholesky", out_castable_from("cholesky"))
    warnings.warn(_CHOLESKY_WARNING, UserWarning, stacklevel=2)
    check_tensor("cholesky", input, "input")
    if input.ndim < 2:
        raise RuntimeError("cholesky: The input tensor A must have at least 2 dimensions.")
    m, n = input.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"cholesky: A must be batches of square matrices, but they are {m} by {n} matrices")
    if input._data.dtype.name not in ("float32", "float64"):
        from torchlet._ops.reduction._common import type_word

        raise NotImplementedError(
            f"\"cholesky_cpu\" not implemented for '{type_word(input._data)}'")
    check_float("cholesky", input)
    try:
        return _TorchCholesky.apply(input, upper=bool(upper))
    except LinAlgError as error:
        raise LinAlgError(str(error).replace("linalg.cholesky: ", "cholesky: ", 1)) from None

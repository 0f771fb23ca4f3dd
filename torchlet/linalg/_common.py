"""What the torch.linalg functions share: input checks with torch's messages, the
LinAlgError they raise, and small differentiable helpers (identity matrices, diag_embed).

torch reports a failed factorisation with LAPACK's ``info``: the first zero pivot of an LU
factorisation (inv, solve) or the order of the first leading minor that is not positive
definite (cholesky). NumPy only says "Singular matrix", so on that (rare) path the index
is recomputed here from the matrix, with the same partial pivoting LAPACK uses.
"""

from __future__ import annotations

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.reduction._common import type_word
from torchlet._tensor import Tensor, wrap


class _LinAlgError(RuntimeError):
    """A factorisation failed (singular or not positive-definite input), as torch's
    ``torch.linalg.LinAlgError`` (``torch._C._LinAlgError``), a RuntimeError."""


_LinAlgError.__module__ = "torchlet._C"
LinAlgError = _LinAlgError


def check_tensor(name: str, x, arg: str = "A", position: int = 1) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"linalg_{name}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(x)}"
        )
    return x


def check_float(name: str, x: Tensor) -> None:
    if x._data.dtype.kind != "f":
        raise RuntimeError(
            f"linalg.{name}: Expected a floating point or complex tensor as input. "
            f"Got {type_word(x._data)}"
        )


def check_matrix(name: str, x: Tensor) -> None:
    if x._data.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")


def check_square(name: str, x: Tensor) -> None:
    check_matrix(name, x)
    m, n = x._data.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"linalg.{name}: A must be batches of square matrices, but they are {m} by {n} "
            "matrices"
        )


def batch_prefix(shape: tuple, index: int) -> str:
    """torch names the failing matrix of a batch: ``(Batch element 1): ``."""
    return f"(Batch element {index}): " if len(shape) > 2 else ""


def first_zero_pivot(matrix: np.ndarray) -> int:
    """LAPACK getrf's info: the 1-based index of the first exactly zero pivot of the LU
    factorisation with partial pivoting (0 if there is none)."""
    a = np.array(matrix, dtype=np.float64)
    n = a.shape[0]
    first = 0
    for j in range(n):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        if a[p, j] == 0:
            first = first or j + 1
            continue
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j:] -= np.outer(a[j + 1:, j] / a[j, j], a[j, j:])
    return first


def singular_batch(a: np.ndarray) -> tuple[int, int]:
    """(batch index, zero pivot) of the first singular matrix in a batch."""
    flat = a.reshape((-1, *a.shape[-2:]))
    for i, m in enumerate(flat):
        pivot = first_zero_pivot(m)
        if pivot:
            return i, pivot
    return 0, a.shape[-1]  # NumPy found one: report the last pivot


def eye_like(x: Tensor, n: int) -> Tensor:
    return wrap(np.eye(n, dtype=x._data.dtype))


def diag_embed(v: Tensor) -> Tensor:
    """Batches of diagonal matrices with ``v`` (..., n) on the diagonal (differentiable)."""
    n = v._data.shape[-1]
    return v.unsqueeze(-1) * eye_like(v, n)


def column_major(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` laid out as LAPACK leaves its results and torch returns them (the
    factors of inv, cholesky, qr, eigh, svd, the solutions of solve and its kin): each
    matrix stored column by column, strides (..., m * n, 1, m), the batch in row-major
    order. (Allocated and filled, not ascontiguousarray'd: NumPy calls an array with a
    size-1 dim contiguous whatever that dim's stride, and torch reports the stride.)"""
    out = np.swapaxes(np.empty(a.shape[:-2] + a.shape[:-3:-1], a.dtype), -1, -2)
    out[...] = a
    return out


def row_major(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with exactly C-contiguous strides (size-1 dims included)."""
    out = np.empty(a.shape, a.dtype)
    out[...] = a
    return out

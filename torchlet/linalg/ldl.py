"""The solvers that report ``info``: solve_ex, and the LDL^T (Bunch-Kaufman) factorisation
ldl_factor(_ex) / ldl_solve.

NumPy has no sytrf, so ``_sytf2`` factors in NumPy as LAPACK's dsytf2 does with
UPLO='L' (torch's choice), one column at a time: with alpha = (1 + sqrt(17)) / 8 it takes
a 1 x 1 pivot when |a_kk| >= alpha * colmax (the largest |value| below the diagonal), or
when |a_kk| * rowmax >= alpha * colmax^2; otherwise a 1 x 1 pivot at the row imax of
colmax if |a_imax,imax| >= alpha * rowmax, else a 2 x 2 pivot with rows k and imax.
Pivots are LAPACK's: 1-based int32, k for a 1 x 1 block, -imax (twice) for a 2 x 2 block.
The pivot choices are LAPACK's (integers, the same as torch's unless two candidates are
within rounding of each other); LD agrees within float rounding (sytrf blocks its
updates and orders its sums differently). ``_sytrs`` solves with them as dsytrs does.

torch implements no derivative for ldl_factor or ldl_solve: their outputs carry torch's
``torch::autograd::NotImplemented`` node, and backward raises torch's error.

solve_ex is linalg.solve (its values and gradients) plus ``info``: 0, or the first exactly
zero pivot of the LU factorisation of a singular matrix, whose ``result`` is then what
LAPACK's substitution gives (inf/nan), unless check_errors=True raises.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import _out, _out_tuple, out_dtype_must_match
from torchlet._ops.reduction._common import type_word
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.not_implemented import NotImplementedNode
from torchlet.linalg._common import LinAlgError, check_float, check_tensor, column_major
from torchlet.linalg._return_types import (
    linalg_ldl_factor,
    linalg_ldl_factor_ex,
    linalg_solve_ex,
)
from torchlet.linalg.lu import _getrf
from torchlet.linalg.solve import UncheckedSolve, solve

_ALPHA = (1 + math.sqrt(17)) / 8


def _swap_symmetric(a: np.ndarray, kk: int, kp: int) -> None:
    """Swap rows and columns kk < kp of the trailing lower triangle a[kk:, kk:]."""
    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
    middle = a[kk + 1:kp, kk].copy()
    a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
    a[kp, kk + 1:kp] = middle
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]


def _sytf2(matrix: np.ndarray):
    """(LD, pivots, info) of one symmetric matrix (its lower triangle), as dsytf2 'L'."""
    a = np.tril(matrix)
    n = a.shape[0]
    pivots = np.zeros(n, np.int32)
    info = 0
    k = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while k < n:
            step = 1
            absakk = abs(a[k, k])
            if k + 1 < n:
                imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
                colmax = abs(a[imax, k])
            else:
                imax, colmax = k, 0.0
            if max(absakk, colmax) == 0 or np.isnan(absakk):
                info = info or k + 1
                kp = k
            elif absakk >= _ALPHA * colmax:
                kp = k
            else:
                row = np.abs(a[imax, k:imax])  # row imax left of the diagonal
                rowmax = row.max()
                if imax + 1 < n:
                    rowmax = max(rowmax, np.abs(a[imax + 1:, imax]).max())
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, step = imax, 2
            kk = k + step - 1
            if kp != kk:
                _swap_symmetric(a, kk, kp)
                if step == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if max(absakk, colmax) != 0 and not np.isnan(absakk):
                _eliminate(a, k, step)
            if step == 1:
                pivots[k] = kp + 1
            else:
                pivots[k] = pivots[k + 1] = -(kp + 1)
            k += step
    return a, pivots, info


def _eliminate(a: np.ndarray, k: int, step: int) -> None:
    """The rank-1 (1 x 1 pivot) or rank-2 (2 x 2 pivot) update of the trailing block."""
    n = a.shape[0]
    if step == 1:
        if k + 1 < n:
            d11 = 1 / a[k, k]
            x = a[k + 1:, k]
            a[k + 1:, k + 1:] -= np.tril(d11 * np.outer(x, x))
            a[k + 1:, k] *= d11
        return
    if k + 2 < n:
        d21 = a[k + 1, k]
        d11 = a[k + 1, k + 1] / d21
        d22 = a[k, k] / d21
        t = 1 / (d11 * d22 - 1)
        d21 = t / d21
        x, y = a[k + 2:, k], a[k + 2:, k + 1]
        wk = d21 * (d11 * x - y)
        wkp1 = d21 * (d22 * y - x)
        a[k + 2:, k + 2:] -= np.tril(np.outer(x, wk) + np.outer(y, wkp1))
        a[k + 2:, k] = wk
        a[k + 2:, k + 1] = wkp1


def _sytrs(ld: np.ndarray, pivots: np.ndarray, b: np.ndarray) -> np.ndarray:
    """X with A X = B for A = L D L^T given as (LD, pivots), as dsytrs 'L'."""
    n = ld.shape[0]
    x = np.array(b)
    k = 0
    while k < n:  # L D Y = B
        if pivots[k] > 0:
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            x[k + 1:] -= np.outer(ld[k + 1:, k], x[k])
            x[k] /= ld[k, k]
            k += 1
            continue
        kp = -pivots[k] - 1
        x[[k + 1, kp]] = x[[kp, k + 1]]
        x[k + 2:] -= np.outer(ld[k + 2:, k], x[k]) + np.outer(ld[k + 2:, k + 1], x[k + 1])
        akm1k = ld[k + 1, k]
        akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
        denom = akm1 * ak - 1
        bkm1, bk = x[k] / akm1k, x[k + 1] / akm1k
        x[k], x[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y
        if pivots[k] > 0:
            x[k] -= ld[k + 1:, k] @ x[k + 1:]
            kp = pivots[k] - 1
            x[[k, kp]] = x[[kp, k]]
            k -= 1
            continue
        x[k] -= ld[k + 1:, k] @ x[k + 1:]
        x[k - 1] -= ld[k + 1:, k - 1] @ x[k + 1:]
        kp = -pivots[k] - 1
        x[[k, kp]] = x[[kp, k]]
        k -= 2
    return x


def _ldl_arrays(a: np.ndarray):
    batch, n = a.shape[:-2], a.shape[-1]
    flat: np.ndarray = a.reshape((math.prod(batch), n, n))  # (-1 fails for 0 x 0 matrices)
    ld = np.zeros_like(flat)
    pivots = np.zeros(flat.shape[:2], np.int32)
    info = np.zeros(flat.shape[0], np.int32)
    for i, m in enumerate(flat):
        ld[i], pivots[i], info[i] = _sytf2(m)
    return column_major(ld.reshape(a.shape)), pivots.reshape(batch + (n,)), info.reshape(batch)


def _check_ldl_input(fn: str, A, python_name: str) -> None:  # noqa: N803
    if not isinstance(A, Tensor):
        raise TypeError(f"{python_name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type_name(A)}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    m, n = A._data.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"{fn}: A must be batches of square matrices, but they are {m} by {n} matrices")
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{type_word(A._data)}")


def _singular_ldl(fn: str, shape: tuple, info: np.ndarray) -> RuntimeError:
    # torch raises a plain RuntimeError here (an internal assert naming the LAPACK code)
    index = int(np.flatnonzero(info.reshape(-1))[0])
    j = int(info.reshape(-1)[index])
    prefix = f"(Batch element {index}): " if len(shape) > 2 else ""
    return RuntimeError(f"{fn}: {prefix}D[{j},{j}] is exactly zero: the matrix is singular and "
                        "its factorization cannot be used to solve a system.")


def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):  # noqa: N803
    """torch.linalg.ldl_factor_ex: (LD, pivots, info), the Bunch-Kaufman factorisation
    A = P L D L^T P^T of symmetric A (read from its lower triangle) in LAPACK's compact
    form. info is 0 or the first (1-based) exactly zero diagonal block of D. For real
    matrices hermitian=True is the same factorisation."""
    if out is not None:
        return _out_tuple(ldl_factor_ex(A, hermitian=hermitian, check_errors=check_errors), out,
                          "linalg_ldl_factor_ex", out_dtype_must_match, grad_check="out")
    _check_ldl_input("torch.linalg.ldl_factor_ex", A, "linalg_ldl_factor_ex")
    ld, pivots, info = _ldl_arrays(A._data)
    if check_errors and info.any():
        raise _singular_ldl("torch.linalg.ldl_factor_ex", A._data.shape, info)
    ld = NotImplementedNode.apply(A, results=ld, op="linalg_ldl_factor_ex")
    return linalg_ldl_factor_ex((ld, wrap(pivots), wrap(info)))


def ldl_factor(A, *, hermitian=False, out=None):  # noqa: N803
    """torch.linalg.ldl_factor: (LD, pivots) of ldl_factor_ex; a singular D raises."""
    if out is not None:
        return _out_tuple(ldl_factor(A, hermitian=hermitian), out, "linalg_ldl_factor_ex",
                          out_dtype_must_match, grad_check="out")
    _check_ldl_input("torch.linalg.ldl_factor_ex", A, "linalg_ldl_factor")  # torch's prefix
    ld, pivots, info = _ldl_arrays(A._data)
    if info.any():
        raise _singular_ldl("torch.linalg.ldl_factor", A._data.shape, info)
    ld = NotImplementedNode.apply(A, results=ld, op="linalg_ldl_factor_ex")
    return linalg_ldl_factor((ld, wrap(pivots)))


def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):  # noqa: N803
    """torch.linalg.ldl_solve: X with A X = B from ldl_factor's (LD, pivots); batches
    broadcast."""
    if out is not None:
        return _out(ldl_solve(LD, pivots, B, hermitian=hermitian), out, "linalg_ldl_solve",
                    out_dtype_must_match, grad_check="out")
    check_tensor("ldl_solve", LD, "LD")
    check_tensor("ldl_solve", pivots, "pivots", 2)
    check_tensor("ldl_solve", B, "B", 3)
    ld, piv, b = LD._data, pivots._data, B._data
    fn = "torch.linalg.ldl_solve"
    if ld.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor LD must have at least 2 dimensions.")
    if b.ndim < 2:
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got "
                         "-2)")
    n = ld.shape[-1]
    if ld.shape[-2] != n:
        raise RuntimeError(f"{fn}: A must be batches of square matrices, but they are "
                           f"{ld.shape[-2]} by {n} matrices")
    if b.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for {fn}: each A matrix is {n} by {n} "
                           f"but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    if ld.dtype != b.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{type_word(b)} and A of type {type_word(ld)} instead.")
    check_float("ldl_solve", LD)
    batch = np.broadcast_shapes(ld.shape[:-2], piv.shape[:-1], b.shape[:-2])
    count = math.prod(batch)  # (not -1: it cannot be inferred for empty matrices)
    lds = np.broadcast_to(ld, batch + (n, n)).reshape((count, n, n))
    pivs = np.broadcast_to(piv, batch + (n,)).reshape((count, n)).astype(np.int64)
    bs = np.broadcast_to(b, batch + b.shape[-2:]).reshape((count, *b.shape[-2:]))
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.empty(bs.shape, b.dtype)  # (np.stack of no matrices would fail)
        for i, (m, p, c) in enumerate(zip(lds, pivs, bs, strict=True)):
            x[i] = _sytrs(m, p, c)
    x = column_major(x.reshape(batch + b.shape[-2:]))
    return NotImplementedNode.apply(LD, B, results=x, op="linalg_ldl_solve")


# ---------------------------------------------------------------------------------------
# solve_ex


def _is_vector(a: np.ndarray, b: np.ndarray) -> bool:
    """linalg.solve's rule: B is a (batch of) vector(s) when 1-D or shaped A.shape[:-1]."""
    return b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])


def solve_ex(A, B, *, left=True, check_errors=False, out=None):  # noqa: N803
    """torch.linalg.solve_ex: (result, info); result is linalg.solve's X (same node and
    gradients), info 0 or the first zero pivot of a singular matrix (1-based, int32)."""
    if out is not None:
        return _out_tuple(solve_ex(A, B, left=left, check_errors=check_errors), out,
                          "_linalg_solve_ex", out_dtype_must_match)
    try:
        result = solve(A, B, left=left)
    except LinAlgError as error:
        if check_errors:
            message = str(error).replace("torch.linalg.solve:", "torch.linalg.solve_ex:", 1)
            raise LinAlgError(message) from None
        vector = _is_vector(A._data, B._data)
        result = UncheckedSolve.apply(A, B, left=left, vector=vector)
        info = _getrf(A._data)[2]
        return linalg_solve_ex((result, wrap(info)))
    return linalg_solve_ex((result, wrap(np.zeros(A._data.shape[:-2], np.int32))))

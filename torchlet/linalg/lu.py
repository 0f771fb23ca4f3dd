"""LU factorisation with partial pivoting: lu_factor(_ex), lu, lu_solve (and torch.lu_solve).

NumPy exposes no LU, so ``_getrf`` factors in NumPy as LAPACK's getrf does, one column at
a time, vectorised over the batch: pick the row with the largest |value| in the column
(the first one on ties), swap it up, scale the column below the pivot by its reciprocal,
update the trailing block. The pivots are LAPACK's: 1-based int32 row numbers, row i
swapped with row pivots[i] - 1, in order. getrf blocks the trailing updates differently,
so LU agrees with torch's within float rounding (the pivots, integers, are the same unless
two candidates are within rounding of each other).

Gradients (A = P L U; torch's rules, real matrices; k = min(m, n)):

    lu / lu_factor, square:  gA = P L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T
        wide (m < n), U = [U1 | U2]:  gA = P L^-T [ (tril(L^T gL - gU U^T, -1) U1^-T
                                        + triu(gU1)) | gU2 ]
        tall (m > n), L = [L1; L2]:   gA = P [ L1^-T triu(gU U^T - L^T gL) + tril(gL1, -1) ;
                                        gL2 ] U^-T
    lu_solve  A X = B (op: adjoint / left=False likewise):  gB = lu_solve(LU, pivots, gX,
        adjoint=not adjoint), gA = -gB X^T, and LU receives gA through A = P L U:
        gLU = tril(P^T gA U^T, -1) + triu(L^T P^T gA)

(lu_factor's gLU splits into gL = tril(gLU, -1) and gU = triu(gLU)). Everything is
written with solve_triangular, matmul, tril/triu and cat, so it differentiates again.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet._ops.pointwise.operands import _out, _out_tuple, out_dtype_must_match
from torchlet._ops.reduction._common import type_word
from torchlet._ops.shape.joins import cat
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import check_float, check_tensor, column_major, row_major
from torchlet.linalg._return_types import linalg_lu, linalg_lu_factor, linalg_lu_factor_ex
from torchlet.linalg.triangular import SolveTriangular, _substitute


def _count(batch: tuple) -> int:
    """How many matrices a batch shape holds (reshape's -1 cannot infer it when the
    matrices are empty)."""
    return math.prod(batch)


def _getrf(a: np.ndarray):
    """(LU, pivots, info) of each matrix of a batch, as LAPACK's getrf returns them."""
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    lu = np.array(a.reshape((_count(batch), m, n)))  # (not -1: batches of 0 x n matrices)
    count = lu.shape[0]
    rows = np.arange(count)
    pivots = np.zeros((count, k), dtype=np.int32)
    info = np.zeros(count, dtype=np.int32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(k):
            p = j + np.argmax(np.abs(lu[:, j:, j]), axis=-1)
            pivots[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            pivot = lu[:, j, j]
            zero = pivot == 0
            info[(info == 0) & zero] = j + 1
            scale = np.where(zero, 1, 1 / np.where(zero, 1, pivot)).astype(lu.dtype)
            lu[:, j + 1:, j] *= scale[:, None]
            lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, j, None, j + 1:]
    return (lu.reshape(batch + (m, n)), pivots.reshape(batch + (k,)),
            info.reshape(batch))


def _permutation(pivots: np.ndarray, m: int) -> np.ndarray:
    """The row order that the swaps of ``pivots`` produce: (P^T A)[i] = A[order[i]]."""
    batch = pivots.shape[:-1]
    flat: np.ndarray = pivots.reshape((_count(batch), pivots.shape[-1])).astype(np.int64) - 1
    order = np.tile(np.arange(m), (flat.shape[0], 1))
    rows = np.arange(flat.shape[0])
    for j in range(flat.shape[-1]):
        p = flat[:, j]
        top = order[rows, j].copy()
        order[rows, j] = order[rows, p]
        order[rows, p] = top
    return order.reshape(batch + (m,))


def _p_matrix(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P with A = P L U: column i of P is e_order[i]."""
    order = _permutation(pivots, m)
    eye = np.eye(m, dtype=dtype)
    return np.ascontiguousarray(np.swapaxes(eye[order], -1, -2))


def _unpack(lu: Tensor, m: int, n: int):
    """L (m x k, unit lower) and U (k x n, upper) from the packed LU (differentiable)."""
    k = min(m, n)
    lower = lu[..., :, :k].tril(-1) + wrap(np.eye(m, k, dtype=lu._data.dtype))
    return lower, lu[..., :k, :].triu()


def _lu_backward(p: Tensor, lower: Tensor, upper: Tensor, grad_l, grad_u) -> Tensor:
    """gA from gL, gU for A = P L U (torch's rules; see the module docstring)."""
    m, n = lower.shape[-2], upper.shape[-1]
    k = min(m, n)
    if m == n:
        grad = None
        if grad_l is not None:
            grad = (lower.mT @ grad_l).tril(-1)
        if grad_u is not None:
            term = (grad_u @ upper.mT).triu()
            grad = term if grad is None else grad + term
        grad = SolveTriangular.apply(upper.mT, grad, upper=False, left=False, unit=False)
        grad = SolveTriangular.apply(lower.mT, grad, upper=True, left=True, unit=True)
        return p @ grad
    if m < n:
        grad = None if grad_l is None else lower.mT @ grad_l
        if grad_u is not None:
            term = grad_u.triu() @ upper.mT
            grad = -term if grad is None else grad - term
        assert grad is not None  # the engine runs a backward only when gL or gU arrived
        grad = SolveTriangular.apply(upper[..., :, :k].mT, grad.tril(-1), upper=False,
                                     left=False, unit=False)
        if grad_u is not None:
            grad = cat([grad + grad_u[..., :, :k].triu(), grad_u[..., :, k:]], -1)
        grad = SolveTriangular.apply(lower.mT, grad, upper=True, left=True, unit=True)
        if grad_u is None:
            grad = cat([grad, grad.new_zeros((*grad.shape[:-1], n - k))], -1)
        return p @ grad
    if grad_l is not None:  # only L's strictly lower part varies
        grad_l = cat([grad_l[..., :k, :].tril(-1), grad_l[..., k:, :]], -2)
    grad = None if grad_u is None else grad_u @ upper.mT
    if grad_l is not None:
        term = lower.mT @ grad_l
        grad = -term if grad is None else grad - term
    assert grad is not None  # as above
    grad = SolveTriangular.apply(lower[..., :k, :].mT, grad.triu(), upper=True, left=True,
                                 unit=True)
    if grad_l is not None:
        grad = cat([grad + grad_l[..., :k, :].tril(-1), grad_l[..., k:, :]], -2)
    grad = SolveTriangular.apply(upper.mT, grad, upper=False, left=False, unit=False)
    if grad_l is None:
        grad = cat([grad, grad.new_zeros((*grad.shape[:-2], m - k, grad.shape[-1]))], -2)
    return p @ grad


class LuFactor(Primitive):
    """LU (packed L below the diagonal, U on and above);  gA from gL = tril(g, -1),
    gU = triu(g) by the lu rule."""

    node_name = "LinalgLuFactorExBackward0"

    @staticmethod
    def forward(ctx, a, *, p, pivots=None):
        lu = column_major(_getrf(a)[0])  # (torch's layout, LAPACK's)
        ctx.p = p
        ctx.pivots = pivots  # (the pivots output, as torch's node keeps it)
        ctx.save_for_backward(lu)
        return lu

    @staticmethod
    def backward(ctx, grad):
        (lu,) = ctx.saved_tensors
        m, n = lu.shape[-2:]
        lower, upper = _unpack(lu, m, n)
        k = min(m, n)
        return _lu_backward(wrap(ctx.p), lower, upper, grad[..., :, :k].tril(-1),
                            grad[..., :k, :].triu())


class Lu(Primitive):
    """(L, U) with A = P L U (P returned separately, no gradient)."""

    node_name = "LinalgLuBackward0"

    @staticmethod
    def forward(ctx, a, *, p):
        lu, _, _ = _getrf(a)
        m, n = a.shape[-2:]
        k = min(m, n)
        lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
        upper = np.triu(lu[..., :k, :])
        ctx.p = p
        lower, upper = row_major(lower), row_major(upper)  # (saved as the outputs themselves)
        ctx.save_for_backward(lower, upper)
        return lower, upper

    @staticmethod
    def backward(ctx, grad_l, grad_u):
        lower, upper = ctx.saved_tensors
        return _lu_backward(wrap(ctx.p), lower, upper, grad_l, grad_u)


def _check_lu_input(name: str, A, prefix: str) -> None:  # noqa: N803
    check_tensor(name, A)
    if A.ndim < 2:
        raise RuntimeError(f"{prefix}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(A.shape)} instead")
    if A._data.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"lu_cpu\" not implemented for '{type_word(A._data)}'")


def _zero_pivot_error(name: str, shape: tuple, info: np.ndarray) -> RuntimeError:
    index = int(np.flatnonzero(info.reshape(-1))[0])
    prefix = f"(Batch element {index}): " if len(shape) > 2 else ""
    j = int(info.reshape(-1)[index])
    return RuntimeError(
        f"torch.linalg.{name}: {prefix}U[{j},{j}] is zero and using it on lu_solve would "
        "result in a division by zero. If you still want to perform the factorization, "
        "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):  # noqa: N803
    """torch.linalg.lu_factor_ex: (LU, pivots, info) with A = P L U in LAPACK's compact
    form; info (int32, per matrix) is 0 or the first exactly zero diagonal entry of U
    (1-based). check_errors=True raises torch's error for such a matrix."""
    if out is not None:
        return _out_tuple(lu_factor_ex(A, pivot=pivot, check_errors=check_errors), out,
                          "linalg_lu_factor_ex", out_dtype_must_match)
    _check_lu_input("lu_factor_ex", A, "torch.lu_factor_ex")
    if not pivot:
        raise RuntimeError(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _, pivots, info = _getrf(A._data)
    if check_errors and info.any():
        raise _zero_pivot_error("lu_factor_ex", A.shape, info)
    p = _p_matrix(pivots, A.shape[-2], A._data.dtype)
    return linalg_lu_factor_ex((LuFactor.apply(A, p=p, pivots=pivots), wrap(pivots),
                                wrap(info)))


def lu_factor(A, *, pivot=True, out=None):  # noqa: N803
    """torch.linalg.lu_factor: (LU, pivots) with A = P L U, LAPACK's compact form; raises
    torch's error when U has an exactly zero diagonal entry."""
    if out is not None:
        return _out_tuple(lu_factor(A, pivot=pivot), out, "linalg_lu_factor_ex",
                          out_dtype_must_match)
    _check_lu_input("lu_factor", A, "torch.lu_factor")
    if not pivot:
        raise RuntimeError(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _, pivots, info = _getrf(A._data)
    if info.any():
        raise _zero_pivot_error("lu_factor", A.shape, info)
    p = _p_matrix(pivots, A.shape[-2], A._data.dtype)
    return linalg_lu_factor((LuFactor.apply(A, p=p, pivots=pivots), wrap(pivots)))


def lu(A, *, pivot=True, out=None):  # noqa: N803
    """torch.linalg.lu: (P, L, U) with A = P L U, L unit lower triangular (m x k), U upper
    (k x n), k = min(m, n); works for singular matrices too."""
    if out is not None:
        return _out_tuple(lu(A, pivot=pivot), out, "linalg_lu", out_dtype_must_match)
    _check_lu_input("lu", A, "linalg.lu")
    if not pivot:
        # torch's linalg.lu calls lu_factor, whose name is in the message
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    _, pivots, _ = _getrf(A._data)
    p = _p_matrix(pivots, A.shape[-2], A._data.dtype)
    lower, upper = Lu.apply(A, p=p)
    return linalg_lu((wrap(p), lower, upper))


def _lu_solve_array(lu: np.ndarray, pivots: np.ndarray, b: np.ndarray, adjoint: bool):
    """X with A X = B (adjoint: A^T X = B), A = P L U given as (LU, pivots)."""
    m = lu.shape[-1]
    batch = np.broadcast_shapes(lu.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    order = np.broadcast_to(_permutation(pivots, m), batch + (m,))
    b = np.broadcast_to(b, batch + b.shape[-2:])
    lower = np.tril(lu, -1) + np.eye(m, dtype=lu.dtype)
    if not adjoint:  # L U X = P^T B
        y = _substitute(lower, np.take_along_axis(b, order[..., None], -2), False, True)
        return _substitute(lu, y, True, False)
    # U^T L^T P^T X = B:  X = P (L^-T U^-T B)
    y = _substitute(np.swapaxes(lu, -1, -2), b, False, False)
    z = _substitute(np.swapaxes(lower, -1, -2), y, True, True)
    x = np.empty_like(z)
    np.put_along_axis(x, np.broadcast_to(order[..., None], z.shape), z, -2)
    return x


class LuSolve(Primitive):
    """X with op(A) X = B (left) or X op(A) = B, A = P L U;  gradients: module docstring."""

    node_name = "LinalgLuSolveBackward0"

    @staticmethod
    def forward(ctx, lu, b, *, pivots, left, adjoint):
        ctx.pivots, ctx.left, ctx.adjoint = pivots, left, adjoint
        if left:
            x = _lu_solve_array(lu, pivots, b, adjoint)
        else:  # X op(A) = B  <=>  op(A)^T X^T = B^T
            x = np.swapaxes(_lu_solve_array(lu, pivots, np.swapaxes(b, -1, -2), not adjoint),
                            -1, -2)
        x = column_major(x) if left else row_major(x)  # (torch's layouts)
        ctx.save_for_backward(lu, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        lu, x = ctx.saved_tensors
        left, adjoint, pivots = ctx.left, ctx.adjoint, ctx.pivots
        grad_b = LuSolve.apply(lu, grad, pivots=pivots, left=left, adjoint=not adjoint)
        grad_lu = None
        if ctx.needs_input_grad[0]:
            if left:
                grad_a = -(x @ grad_b.mT) if adjoint else -(grad_b @ x.mT)
            else:
                grad_a = -(grad_b.mT @ x) if adjoint else -(x.mT @ grad_b)
            n = lu.shape[-1]
            lower, upper = _unpack(lu, n, n)
            p = wrap(_p_matrix(pivots, n, lu._data.dtype))
            pt_grad = p.mT @ grad_a
            grad_lu = (pt_grad @ upper.mT).tril(-1) + (lower.mT @ pt_grad).triu()
        return grad_lu, (grad_b if ctx.needs_input_grad[1] else None)


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):  # noqa: N803
    """torch.linalg.lu_solve: X with A X = B (adjoint: A^T X = B; left=False: X A = B or
    X A^T = B) from lu_factor's (LU, pivots); batches broadcast."""
    if out is not None:
        return _out(lu_solve(LU, pivots, B, left=left, adjoint=adjoint), out, "linalg_lu_solve",
                    out_dtype_must_match)
    check_tensor("lu_solve", LU, "LU")
    check_tensor("lu_solve", B, "B", 3)
    if LU.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor LU must have at least 2 "
                           "dimensions.")
    if B.ndim < 2:
        raise RuntimeError("linalg.lu_solve: The input tensor B must have at least 2 "
                           "dimensions.")
    m, n = LU.shape[-2:]
    if m != n:
        raise RuntimeError(f"linalg.lu_solve: A must be batches of square matrices, but they "
                           f"are {m} by {n} matrices")
    if (B.shape[-2] if left else B.shape[-1]) != n:
        raise RuntimeError(
            f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    if LU.dtype != B.dtype:
        raise RuntimeError(
            "linalg.lu_solve: Expected LU and B to have the same dtype, but found LU of type "
            f"{type_word(LU._data)} and B of type {type_word(B._data)} instead")
    check_float("lu_solve", LU)
    piv = pivots._data.astype(np.int32)
    return LuSolve.apply(LU, B, pivots=piv, left=bool(left), adjoint=bool(adjoint))


_LU_SOLVE_WARNING = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
    "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
    "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
    "X = torch.linalg.lu_solve(LU, pivots, B)"
)


def lu_solve_deprecated(input, LU_data, LU_pivots, *, out=None):  # noqa: A002, N803
    """torch.lu_solve(b, LU_data, LU_pivots): linalg.lu_solve with the arguments reversed
    (deprecated, with torch's warning)."""
    warnings.warn(_LU_SOLVE_WARNING, UserWarning, stacklevel=2)
    return lu_solve(LU_data, LU_pivots, input, out=out)

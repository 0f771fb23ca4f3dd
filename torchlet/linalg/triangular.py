"""Triangular and Cholesky-based solvers: solve_triangular, cholesky_solve,
cholesky_inverse, triangular_solve (the deprecated torch.triangular_solve), and the
``_ex`` variants inv_ex and cholesky_ex that report failures in an ``info`` tensor.

NumPy has no triangular solver, so ``_substitute`` runs forward / back substitution, one
row at a time, vectorised over the batch and the right-hand sides. LAPACK's trsm blocks
the same sums differently: values agree with torch's within float rounding. As trsm, a
zero on the diagonal is not an error: it gives inf/nan.

Gradients (torch's rules, real matrices; op(A) = A or A^T):

    solve_triangular  A X = B:   gB = A^-T gX,  gA = -gB X^T, restricted to A's triangle
                      X A = B:   gB = gX A^-T,  gA = -X^T gB  (strictly, if unitriangular)
    triangular_solve  op(A) X = b:  gb = op(A)^-T gX,  gA = triangle(-gb X^T or -X gb^T)
                                    (+ the gradient of the returned copy of A)
    cholesky_solve    X = (L L^T)^-1 B:  gB = cholesky_solve(gX, L),  C = gB X^T + X gB^T,
                                    gL = -C L  (upper U, A = U^T U: gU = -U C)
    cholesky_inverse  X = (L L^T)^-1:  C = X (g + g^T) X,  gL = -C L  (upper: -U C)

Each rule is written with the primitives of this file and torchlet ops, so it can be
differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._ops.pointwise.operands import (
    _out,
    _out_tuple,
    out_castable_from,
    out_dtype_must_match,
    scalar_type_name,
)
from torchlet._ops.reduction._common import type_word
from torchlet._tensor import Tensor, _warn_once, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import (
    LinAlgError,
    batch_prefix,
    check_float,
    check_square,
    check_tensor,
    column_major,
    first_zero_pivot,
)
from torchlet.linalg._return_types import linalg_cholesky_ex, linalg_inv_ex
from torchlet.linalg._return_types import triangular_solve as _triangular_solve_tuple
from torchlet.linalg.decompositions import Cholesky
from torchlet.linalg.solve import Inv


def _substitute(a: np.ndarray, b: np.ndarray, upper: bool, unit: bool) -> np.ndarray:
    """X with A X = B for triangular A (..., n, n) and B (..., n, k), batches broadcast;
    only A's ``upper`` (else lower) triangle is read, its diagonal taken as 1 if ``unit``."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]))
    n = a.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            known = slice(i + 1, n) if upper else slice(0, i)
            if (upper and i < n - 1) or (not upper and i > 0):
                x[..., i, :] -= (a[..., i:i + 1, known] @ x[..., known, :])[..., 0, :]
            if not unit:
                x[..., i, :] /= a[..., i, i, None]
    return x


def _triangle(x: Tensor, upper: bool, unit: bool) -> Tensor:
    return x.triu(int(unit)) if upper else x.tril(-int(unit))


class SolveTriangular(Primitive):
    """X with A X = B (left) or X A = B, A triangular;  gradients: module docstring."""

    node_name = "LinalgSolveTriangularBackward0"

    @staticmethod
    def forward(ctx, a, b, *, upper, left, unit):
        ctx.upper, ctx.left, ctx.unit = upper, left, unit
        if left:
            x = _substitute(a, b, upper, unit)
        else:
            x = np.swapaxes(_substitute(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2),
                                        not upper, unit), -1, -2)
        x = column_major(x)  # (torch's layout, LAPACK's trsm: left=False too)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        upper, left, unit = ctx.upper, ctx.left, ctx.unit
        grad_b = SolveTriangular.apply(a.mT, grad, upper=not upper, left=left, unit=unit)
        grad_a = None
        if ctx.needs_input_grad[0]:
            grad_a = _triangle(-(grad_b @ x.mT if left else x.mT @ grad_b), upper, unit)
        return grad_a, (grad_b if ctx.needs_input_grad[1] else None)


def _no_half_or_int(kernel: str, x: Tensor) -> None:
    if x._data.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_word(x._data)}'")


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):  # noqa: N803
    """torch.linalg.solve_triangular: X with A X = B (or X A = B when ``left=False``) for
    upper or lower triangular A (the other triangle is not read), batches broadcast."""
    if out is not None:
        return _out(solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular),
                    out, "linalg_solve_triangular", _expected_scalar_type)
    check_tensor("solve_triangular", A, "input")
    check_tensor("solve_triangular", B, "B", 2)
    for name, t in (("A", A), ("B", B)):
        if t.ndim < 2:
            raise RuntimeError(f"linalg.solve_triangular: The input tensor {name} must have at "
                               "least 2 dimensions.")
    check_square("solve_triangular", A)
    n = A.shape[-1]
    rows, cols = B.shape[-2:]
    if (rows if left else cols) != n:
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
            f"{equation} ({n}x{n} and {rows}x{cols})"
        )
    _no_half_or_int("triangular_solve_cpu", A)
    if B.dtype != A.dtype:
        B = B.to(A.dtype)  # noqa: N806 - torch computes in A's dtype
    return SolveTriangular.apply(A, B, upper=bool(upper), left=bool(left),
                                 unit=bool(unitriangular))


def _expected_scalar_type(want, got, field) -> RuntimeError:
    return RuntimeError(f"expected scalar type {scalar_type_name(want)} but found "
                        f"{scalar_type_name(got)}")


class TriangularSolve(Primitive):
    """(X, copy of A) with op(A) X = b, op(A) = A or A^T;  gradients: module docstring."""

    node_name = "TriangularSolveBackward0"

    @staticmethod
    def forward(ctx, b, a, *, upper, transpose, unit):
        ctx.upper, ctx.transpose, ctx.unit = upper, transpose, unit
        if transpose:
            x = _substitute(np.swapaxes(a, -1, -2), b, not upper, unit)
        else:
            x = _substitute(a, b, upper, unit)
        batch = x.shape[:-2]
        a_copy = column_major(np.broadcast_to(a, batch + a.shape[-2:]))
        x = column_major(x)  # (torch's layout; saved as the output itself, for double backward)
        ctx.save_for_backward(a, x, b)  # (b: as torch's node keeps self, unused here)
        return x, a_copy

    @staticmethod
    def backward(ctx, grad_x, grad_a_copy):
        a, x, _ = ctx.saved_tensors
        upper, transpose, unit = ctx.upper, ctx.transpose, ctx.unit
        grad_b = grad_a = None
        if grad_x is not None:
            grad_b = TriangularSolve.apply(grad_x, a, upper=upper, transpose=not transpose,
                                           unit=unit)[0]
            if ctx.needs_input_grad[1]:
                grad_a = _triangle(-(x @ grad_b.mT) if transpose else -(grad_b @ x.mT),
                                   upper, unit)
        if grad_a_copy is not None and ctx.needs_input_grad[1]:
            grad_a = grad_a_copy if grad_a is None else grad_a + grad_a_copy
        return (grad_b if ctx.needs_input_grad[0] else None), grad_a


_TRIANGULAR_SOLVE_WARNING = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
    "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B). "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
    "BatchLinearAlgebra.cpp:2273.)"
)


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *,  # noqa: A002, N803
                     out=None):
    """torch.triangular_solve (deprecated, with torch's warning): the solution X of
    op(A) X = input and a copy of A, as ``torch.return_types.triangular_solve``."""
    if out is not None:
        return _out_tuple(triangular_solve(input, A, upper, transpose, unitriangular), out,
                          "triangular_solve", out_dtype_must_match)
    _warn_once(_TRIANGULAR_SOLVE_WARNING)
    check_tensor("triangular_solve", input, "input")
    check_tensor("triangular_solve", A, "A")
    for name, t in (("b", input), ("A", A)):
        if t.ndim < 2:
            raise RuntimeError(f"torch.triangular_solve: Expected {name} to have at least 2 "
                               f"dimensions, but it has {t.ndim} dimensions instead")
    if input.dtype != A.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{type_word(input._data)} and A of type {type_word(A._data)} instead."
        )
    check_square("triangular_solve", A)
    if A.shape[-1] != input.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is "
            f"{A.shape[-1]} by {A.shape[-1]} but each b matrix is {input.shape[-2]} by "
            f"{input.shape[-1]}"
        )
    _no_half_or_int("triangular_solve_cpu", A)
    return _triangular_solve_tuple(TriangularSolve.apply(
        input, A, upper=bool(upper), transpose=bool(transpose), unit=bool(unitriangular)))


# ---------------------------------------------------------------------------------------
# cholesky_solve, cholesky_inverse


def _cholesky_solve_array(b: np.ndarray, factor: np.ndarray, upper: bool) -> np.ndarray:
    """(F F^T)^-1 b for lower F, or (F^T F)^-1 b for upper F, by two substitutions."""
    factor_t = np.swapaxes(factor, -1, -2)
    if upper:
        return _substitute(factor, _substitute(factor_t, b, False, False), True, False)
    return _substitute(factor_t, _substitute(factor, b, False, False), True, False)


class CholeskySolve(Primitive):
    """X = A^-1 B with A = L L^T (or U^T U);  gradients: module docstring."""

    node_name = "CholeskySolveBackward0"

    @staticmethod
    def forward(ctx, b, factor, *, upper):
        ctx.upper = upper
        x = column_major(_cholesky_solve_array(b, factor, upper))
        ctx.save_for_backward(factor, x, b)  # (b: as torch's node keeps self, unused here)
        return x

    @staticmethod
    def backward(ctx, grad):
        factor, x, _ = ctx.saved_tensors
        grad_b = CholeskySolve.apply(grad, factor, upper=ctx.upper)
        grad_factor = None
        if ctx.needs_input_grad[1]:
            common = grad_b @ x.mT
            common = common + common.mT
            grad_factor = -(factor @ common) if ctx.upper else -(common @ factor)
        return (grad_b if ctx.needs_input_grad[0] else None), grad_factor


def cholesky_solve(input, input2, upper=False, *, out=None):  # noqa: A002
    """torch.cholesky_solve: X with A X = input, given A's Cholesky factor ``input2``
    (lower L, A = L L^T; or upper U, A = U^T U); batches broadcast."""
    if out is not None:
        return _out(cholesky_solve(input, input2, upper), out, "cholesky_solve",
                    out_castable_from("cholesky_solve"))
    check_tensor("cholesky_solve", input, "input")
    check_tensor("cholesky_solve", input2, "input2")
    if input.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} "
                           "dimensions instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} "
                           "dimensions instead")
    if input.dtype != input2.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type "
            f"{type_word(input._data)} and A of type {type_word(input2._data)} instead."
        )
    m, n = input2.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"A must be batches of square matrices, but they are {m} by {n} matrices")
    if input.shape[-2] != n:
        raise RuntimeError(
            f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but "
            f"each b matrix is {input.shape[-2]} by {input.shape[-1]}"
        )
    _no_half_or_int("cholesky_solve_cpu", input2)
    return CholeskySolve.apply(input, input2, upper=bool(upper))


class CholeskyInverse(Primitive):
    """X = (L L^T)^-1 (or (U^T U)^-1);  C = X (g + g^T) X,  gL = -C L  (gU = -U C)."""

    node_name = "CholeskyInverseBackward0"

    @staticmethod
    def forward(ctx, factor, *, upper):
        ctx.upper = upper
        eye = np.broadcast_to(np.eye(factor.shape[-1], dtype=factor.dtype), factor.shape)
        x = column_major(_cholesky_solve_array(eye, factor, upper))
        ctx.save_for_backward(factor, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        factor, x = ctx.saved_tensors
        common = x @ ((grad + grad.mT) @ x)
        return -(factor @ common) if ctx.upper else -(common @ factor)


def cholesky_inverse(input, upper=False, *, out=None):  # noqa: A002
    """torch.cholesky_inverse: A^-1 from A's Cholesky factor (lower L or upper U)."""
    if out is not None:
        return _out(cholesky_inverse(input, upper), out, "cholesky_inverse",
                    out_castable_from("cholesky_inverse"))
    check_tensor("cholesky_inverse", input, "input")
    if input.ndim < 2:
        raise RuntimeError(
            "cholesky_inverse: The input tensor A must have at least 2 dimensions.")
    m, n = input.shape[-2:]
    if m != n:
        raise RuntimeError(
            f"cholesky_inverse: A must be batches of square matrices, but they are {m} by {n} "
            "matrices")
    _no_half_or_int("cholesky_inverse_out_cpu", input)
    # potri inverts the triangular factor first (trtri): its info is the first zero on
    # the diagonal (-0.0 included), which torch raises
    zero = np.diagonal(input._data, axis1=-2, axis2=-1) == 0
    zero = zero.reshape(math.prod(zero.shape[:-1]), n)
    if zero.any():
        index = int(np.flatnonzero(zero.any(-1))[0])
        raise LinAlgError(
            f"cholesky_inverse: {batch_prefix(input._data.shape, index)}The diagonal element "
            f"{int(np.argmax(zero[index])) + 1} is zero, the inversion could not be completed "
            "because the input matrix is singular.")
    return CholeskyInverse.apply(input, upper=bool(upper))


# ---------------------------------------------------------------------------------------
# inv_ex, cholesky_ex


def _inv_info(a: np.ndarray) -> np.ndarray:
    """getrf's info for each matrix: 0, or the first exactly zero pivot (1-based)."""
    flat = a.reshape((math.prod(a.shape[:-2]), *a.shape[-2:]))  # (-1 fails for 0 x 0)
    try:
        np.linalg.inv(flat)
        info = np.zeros(len(flat), dtype=np.int32)
    except np.linalg.LinAlgError:
        info = np.array([first_zero_pivot(m) for m in flat], dtype=np.int32)
    return info.reshape(a.shape[:-2])


class InvEx(Inv):
    """Inv that does not raise: singular matrices give NaN (torch's values there are
    LAPACK's leftovers, inf/nan)."""

    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a, *, singular):
        flat = a.reshape((math.prod(a.shape[:-2]), *a.shape[-2:]))  # (-1 fails for 0 x 0)
        out = np.full_like(flat, np.nan)
        good = ~singular.reshape(-1)
        if good.any():
            out[good] = np.linalg.inv(flat[good])
        out = column_major(out.reshape(a.shape))  # (torch's layout, LAPACK's)
        ctx.save_for_backward(out)
        return out


def inv_ex(A, *, check_errors=False, out=None):  # noqa: N803
    """torch.linalg.inv_ex: (inverse, info), info an int32 tensor per matrix (0, or the
    first zero pivot of the LU factorisation of a singular matrix, whose inverse is NaN
    here, inf/nan in torch). check_errors=True raises LinAlgError as torch does."""
    if out is not None:
        return _out_tuple(inv_ex(A, check_errors=check_errors), out, "linalg_inv_ex",
                          out_dtype_must_match)
    check_tensor("inv_ex", A)
    check_square("inv_ex", A)
    check_float("inv_ex", A)
    info = _inv_info(A._data)
    if check_errors and info.any():
        index = int(np.flatnonzero(info.reshape(-1))[0])
        raise LinAlgError(
            f"linalg.inv_ex: {batch_prefix(A._data.shape, index)}The diagonal element "
            f"{int(info.reshape(-1)[index])} is zero, the inversion could not be completed "
            "because the input matrix is singular."
        )
    return linalg_inv_ex((InvEx.apply(A, singular=info != 0), wrap(info)))


def _potf2(lower: np.ndarray) -> tuple[np.ndarray, int]:
    """LAPACK's unblocked left-looking potf2 on one matrix's lower triangle: (L, info).
    Column j:  d = A_jj - sum_k L_jk^2;  L_jj = sqrt(d);  L_ij = (A_ij - sum_k L_ik L_jk) / L_jj.
    At the first d that is not > 0 (NaN included) it stops with L_jj = d and info = j + 1:
    the columns after j (and column j below the diagonal) keep the input's entries, which
    is the partial factor torch returns (MKL's potrf, measured for matrices up to 128 x 128;
    from 129 on MKL factors in blocks and its partial result differs past the first ones)."""
    a = np.tril(lower)
    for j in range(a.shape[0]):
        pivot = a[j, j] - a[j, :j] @ a[j, :j]
        if not pivot > 0:
            a[j, j] = pivot
            return a, j + 1
        a[j, j] = pivot = np.sqrt(pivot)
        a[j + 1:, j] = (a[j + 1:, j] - a[j + 1:, :j] @ a[j, :j]) / pivot
    return a, 0


def _cholesky_ex_arrays(a: np.ndarray, upper: bool) -> tuple[np.ndarray, np.ndarray]:
    """potrf for each matrix: (factor, info), info 0 or the order of the first leading
    minor that is not positive-definite, where the factor is potf2's partial result.
    upper=True factors the upper triangle: the transpose of the lower case on A^T."""
    flat = a.reshape((int(np.prod(a.shape[:-2])), *a.shape[-2:]))  # -1 fails for 0 x 0
    lower = np.swapaxes(flat, -1, -2) if upper else flat
    info = np.zeros(len(flat), dtype=np.int32)
    try:
        out = np.linalg.cholesky(lower)
        # NumPy's LAPACK does not stop at a NaN pivot as torch's does (and makes inf / inf
        # a 0): redo those with a NaN or an infinity in potf2
        suspect = ~(np.isfinite(out).all(axis=(-2, -1)) & np.isfinite(lower).all(axis=(-2, -1)))
    except np.linalg.LinAlgError:  # some matrix failed: find which, one at a time
        out, suspect = np.empty_like(lower), np.ones(len(flat), dtype=bool)
    for i in np.flatnonzero(suspect):
        try:
            out[i] = np.linalg.cholesky(lower[i])
            if np.isfinite(out[i]).all() and np.isfinite(lower[i]).all():
                continue
        except np.linalg.LinAlgError:
            pass
        out[i], info[i] = _potf2(lower[i])
    if upper:
        out = np.swapaxes(out, -1, -2)
    return column_major(out.reshape(a.shape)), info.reshape(a.shape[:-2])


def cholesky_error(name: str, shape, info: np.ndarray) -> LinAlgError:
    """torch's error for the first matrix whose ``info`` (potrf's) is not 0."""
    index = int(np.flatnonzero(info.reshape(-1))[0])
    return LinAlgError(
        f"{name}: {batch_prefix(shape, index)}The factorization could not be completed "
        "because the input is not positive-definite (the leading minor of order "
        f"{int(info.reshape(-1)[index])} is not positive-definite)."
    )


class CholeskyEx(Cholesky):
    """Cholesky that does not raise: ``factor`` is potrf's result computed by
    _cholesky_ex_arrays (a partial factorisation where A is not positive-definite, as
    torch's); the backward is Cholesky's."""

    @staticmethod
    def forward(ctx, a, *, upper, factor):
        ctx.upper = upper
        ctx.save_for_backward(factor)
        return factor


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):  # noqa: N803
    """torch.linalg.cholesky_ex: (L, info), info an int32 tensor per matrix (0, or the
    order of the first leading minor that is not positive-definite)."""
    if out is not None:
        return _out_tuple(cholesky_ex(A, upper=upper, check_errors=check_errors), out,
                          "linalg_cholesky_ex", out_dtype_must_match)
    check_tensor("cholesky_ex", A)
    check_square("cholesky_ex", A)
    check_float("cholesky_ex", A)
    factor, info = _cholesky_ex_arrays(A._data, bool(upper))
    if check_errors and info.any():
        raise cholesky_error("linalg.cholesky_ex", A._data.shape, info)
    return linalg_cholesky_ex((CholeskyEx.apply(A, upper=bool(upper), factor=factor),
                               wrap(info)))

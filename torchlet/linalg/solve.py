"""inv, det, slogdet and solve: the functions built on an LU factorisation.

Forward values come from NumPy's LAPACK (np.linalg), torch's from its own LAPACK or MKL:
the pivoting is the same but the blocking and summation order are not, so the results
agree within float rounding (about 1e-6 relative in float32 for well-conditioned
matrices, scaled by the condition number), not bit for bit.

Gradients (real matrices), with X^-T the inverse transposed:

    inv:      out = A^-1             grad_A = -out^T grad out^T
    det:      out = det(A)           grad_A = grad * det(A) * A^-T
    slogdet:  (sign, log|det A|)     grad_A = grad_logabsdet * A^-T   (sign: none)
    solve:    A X = B                grad_B = A^-T grad,  grad_A = -grad_B X^T
              X A = B (left=False)   grad_B = grad A^-T,  grad_A = -X^T grad_B

det's and slogdet's rules need A invertible (torch switches to an SVD-based rule for
singular A; torchlet raises LinAlgError there). Each rule is written with these same
primitives, so it can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from torchlet._ops.pointwise.operands import _out, out_dtype_must_match
from torchlet._ops.reduction._common import type_word
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import (
    LinAlgError,
    batch_prefix,
    check_float,
    check_square,
    check_tensor,
    column_major,
    row_major,
    singular_batch,
)
from torchlet.return_types import _structseq

linalg_slogdet = _structseq("linalg_slogdet", ("sign", "logabsdet"))


def _singular_inv(a: np.ndarray) -> LinAlgError:
    index, pivot = singular_batch(a)
    return LinAlgError(
        f"linalg.inv: {batch_prefix(a.shape, index)}The diagonal element {pivot} is zero, the "
        "inversion could not be completed because the input matrix is singular."
    )


def _no_half(kernel: str, x) -> None:
    """torch's LAPACK kernels exist for float32/float64 only."""
    if x._data.dtype == np.float16:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


class Inv(Primitive):
    """out = A^-1;  grad_A = -out^T grad out^T."""

    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, a):
        try:
            out = column_major(np.linalg.inv(a))  # (torch's layout, LAPACK's)
        except np.linalg.LinAlgError:
            raise _singular_inv(a) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        out_t = out.mT
        return -(out_t @ (grad @ out_t))


def inv(A):  # noqa: N803 - torch's argument name
    """torch.linalg.inv: the inverse of each square matrix in A (..., n, n).

    Raises LinAlgError (torch's message) when a matrix is singular, i.e. when LU
    factorisation meets an exactly zero pivot; values agree with torch within rounding.
    """
    check_tensor("inv", A)
    check_square("inv", A)
    check_float("inv", A)
    if A._data.dtype == np.float16:
        raise RuntimeError("linalg.inv: Low precision dtypes not supported. Got Half")
    return Inv.apply(A)


class Det(Primitive):
    """out = det(A);  grad_A = grad * det(A) * A^-T (A invertible)."""

    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, a):
        out = np.asarray(np.linalg.det(a), dtype=a.dtype)
        if a.size and not out.all():
            out = _signed_zeros(a, out)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return Inv.apply(a).mT * (grad * out).unsqueeze(-1).unsqueeze(-1)


def _signed_zeros(a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` with each zero determinant signed as torch's: the permutation's sign times
    the product of U's diagonal, where a zero pivot may be -0.0. torch hands LAPACK's getrf
    its row-major buffer, which LAPACK reads as A^T (det A^T = det A)."""
    from torchlet.linalg.lu import _getrf  # (lu imports decompositions, which imports us)

    lu, pivots, _ = _getrf(np.swapaxes(a, -1, -2))
    swaps = (pivots != np.arange(1, pivots.shape[-1] + 1)).sum(-1)
    lu_det = np.where(swaps % 2, -1, 1) * np.diagonal(lu, axis1=-2, axis2=-1).prod(-1)
    return np.where(out == 0, np.copysign(0.0, lu_det), out).astype(out.dtype)


def det(A):  # noqa: N803
    """torch.linalg.det: the determinant of each square matrix (LU, within rounding of
    torch's). Gradients need invertible matrices (see the module docstring)."""
    check_tensor("det", A)
    check_square("det", A)
    check_float("det", A)
    _no_half("lu_cpu", A)
    return Det.apply(A)


class Slogdet(Primitive):
    """(sign, logabsdet) = (sign det A, log|det A|);  grad_A = grad_logabsdet * A^-T
    (the sign is piecewise constant: no gradient)."""

    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        sign, logabsdet = np.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return np.asarray(sign, dtype=a.dtype), np.asarray(logabsdet, dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_sign, grad_logabsdet):
        if grad_logabsdet is None:
            return None
        (a,) = ctx.saved_tensors
        return Inv.apply(a).mT * grad_logabsdet.unsqueeze(-1).unsqueeze(-1)


def slogdet(A):  # noqa: N803
    """torch.linalg.slogdet: ``(sign, logabsdet)`` of each square matrix, a
    ``linalg_slogdet`` named tuple (sign 0 and logabsdet -inf for a singular matrix)."""
    check_tensor("slogdet", A)
    check_square("slogdet", A)
    check_float("slogdet", A)
    return linalg_slogdet(Slogdet.apply(A))


def _solve_array(a: np.ndarray, b: np.ndarray, left: bool, vector: bool) -> np.ndarray:
    """NumPy's batched solve, for A X = B or (left=False) X A = B = (A^T X^T = B^T)."""
    if not left:
        a = np.swapaxes(a, -1, -2)
        if not vector:
            b = np.swapaxes(b, -1, -2)
    if vector:
        b = b[..., None]
    # one batch shape for both: NumPy < 2 reads a b with one dim fewer than a as a stack
    # of vectors, whatever its last dim
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    try:
        x = np.linalg.solve(a, b)
        if vector:
            x = x[..., 0]
    except np.linalg.LinAlgError:
        index, _ = singular_batch(a)
        raise LinAlgError(
            f"torch.linalg.solve: {batch_prefix(batch + (0, 0), index)}The solver failed "
            "because the input matrix is singular."
        ) from None
    return _solution_layout(x, left, vector)


def _solution_layout(x: np.ndarray, left: bool, vector: bool) -> np.ndarray:
    """X (of A^T X^T = B^T when not ``left``) laid out as torch returns it: column-major
    (LAPACK's getrs) for A X = B, so row-major for X A = B, which torch solves transposed."""
    if vector:
        return np.ascontiguousarray(x)
    return column_major(x) if left else row_major(np.swapaxes(x, -1, -2))


class Solve(Primitive):
    """X with A X = B (left) or X A = B (left=False); B a batch of vectors if ``vector``.

    left:  grad_B = A^-T grad,  grad_A = -grad_B X^T
    right: grad_B = grad A^-T,  grad_A = -X^T grad_B
    """

    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, a, b, *, left, vector):
        ctx.left, ctx.vector = left, vector
        x = _solve_array(a, b, left, vector)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        left, vector = ctx.left, ctx.vector
        # torch solves against A^T with A's LU factors, which never raises: a singular
        # pivot gives infinities and NaNs
        grad_b = UncheckedSolve.apply(a.mT, grad, left=left, vector=vector)
        grad_a = None
        if ctx.needs_input_grad[0]:
            if vector:
                grad_a = -(grad_b.unsqueeze(-1) * x.unsqueeze(-2) if left
                           else x.unsqueeze(-1) * grad_b.unsqueeze(-2))
            else:
                grad_a = -(grad_b @ x.mT if left else x.mT @ grad_b)
        return grad_a, (grad_b if ctx.needs_input_grad[1] else None)


def _singular_solve_array(a: np.ndarray, b: np.ndarray, left: bool, vector: bool):
    """X for a batch holding a singular matrix: the values of LAPACK's getrf + getrs
    (infinities and NaNs where a pivot is zero), in the broadcast batch shape."""
    from torchlet.linalg.lu import _getrf, _lu_solve_array  # lu imports this module

    columns = b[..., None] if vector else b
    if not left:  # X A = B as A^T X^T = B^T, solved with A's own factors (as torch)
        columns = np.swapaxes(columns, -1, -2)
    lu, pivots, _ = _getrf(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = _lu_solve_array(lu, pivots, columns, not left)
    return _solution_layout(x[..., 0] if vector else x, left, vector)


class UncheckedSolve(Solve):
    """Solve that does not raise for a singular A (solve_ex, and every solve inside a
    backward): torch keeps LinalgSolveExBackward0 and linalg.solve's rule, and LAPACK's
    getrf + getrs give infinities and NaNs where a pivot is zero."""

    @staticmethod
    def forward(ctx, a, b, *, left, vector):
        ctx.left, ctx.vector = left, vector
        try:
            x = _solve_array(a, b, left, vector)
        except LinAlgError:
            x = _singular_solve_array(a, b, left, vector)
        ctx.save_for_backward(a, x)
        return x


def solve(A, B, *, left=True, out=None):  # noqa: N803
    """torch.linalg.solve: X with A X = B (or X A = B when ``left=False``), batched and
    broadcast over the leading dimensions. B is a (batch of) vector(s) when it is 1-D or
    has A's shape without the last dimension, as torch decides. Within float rounding of
    torch's values; a singular A raises LinAlgError with torch's message."""
    if out is not None:
        return _out(solve(A, B, left=left), out, "_linalg_solve_ex", out_dtype_must_match)
    check_tensor("solve", A)
    check_tensor("solve", B, "B", 2)
    check_square("solve", A)
    check_float("solve", A)
    if A.dtype != B.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{type_word(A._data)} and B of type {type_word(B._data)} instead"
        )
    a_shape, b_shape = A._data.shape, B._data.shape
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1
                                   and b_shape == a_shape[:-1])
    n = a_shape[-1]
    rows, cols = (b_shape[-1], 1) if vector or B._data.ndim < 2 else b_shape[-2:]
    if (rows if left else cols) != n or (not left and vector):
        equation = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {equation} "
            f"({n}x{n} and {rows}x{cols})"
        )
    _no_half("lu_cpu", A)
    return Solve.apply(A, B, left=left, vector=vector)

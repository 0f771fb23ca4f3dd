"""Functions of the singular values: matrix_rank, pinv, cond, lstsq (and the top-level
torch.pinverse).

All of them cut singular values below a tolerance, torch's rule (get_atol_rtol in
aten/src/ATen/native/LinearAlgebra.cpp):

    tol = max(atol, rtol * S_max)     in float64,
    atol = 0 unless given;  rtol = eps(dtype) * max(m, n) unless given, or 0 when only a
    positive atol is given.

Singular values come from NumPy's LAPACK: within rounding of torch's, so ranks agree
except for a value within rounding of the tolerance. Values of pinv and lstsq agree
within float rounding.

Gradients (torch's, real matrices):

    pinv:   X = A^+.  m <= n:  K = g^T X,  gA = -(X K)^T + K X^T - A X K X^T + X^T X (g^T - K A)
                      m > n:   K = X g^T,  gA = -(K X)^T + X^T K - X^T K X A + (g^T - A K) X X^T
    lstsq:  X = A^+ B (min-norm least squares):  gB = A^+T gX,  gA = pinv's rule for
            g = gX B^T; residuals r = sum((A X - B)^2):  gA += 2 (A X - B) (gr X^T),
            gB -= 2 (A X - B) gr   (X's own change is orthogonal to the residual)

cond and matrix_rank are composed of svdvals / inv_ex / matrix_norm, as torch composes them.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import _out, out_castable_from
from torchlet._ops.reduction._common import type_word
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import (
    check_float,
    check_matrix,
    check_square,
    check_tensor,
    column_major,
)
from torchlet.linalg._return_types import linalg_lstsq
from torchlet.linalg.decompositions import eigvalsh, lapack_eigh, lapack_svd, svdvals
from torchlet.linalg.norms import matrix_norm
from torchlet.linalg.triangular import inv_ex


def _tolerance_value(t):
    if t is None:
        return None
    return t._data.astype(np.float64) if isinstance(t, Tensor) else np.float64(t)


def _tolerances(a: np.ndarray, atol, rtol):
    """(atol, rtol) as float64 arrays, with torch's defaults."""
    atol_v, rtol_v = _tolerance_value(atol), _tolerance_value(rtol)
    if rtol_v is None:
        default = np.finfo(a.dtype).eps * max(a.shape[-1], a.shape[-2])
        rtol_v = np.where(atol_v > 0, 0.0, default) if atol_v is not None else default
    return (np.float64(0.0) if atol_v is None else atol_v), np.asarray(rtol_v, np.float64)


def _cutoff(s: np.ndarray, s_max: np.ndarray, atol, rtol) -> np.ndarray:
    """max(atol, rtol * S_max), float64, shaped to compare with S (..., k)."""
    atol = np.asarray(atol, np.float64)[..., None]
    rtol = np.asarray(rtol, np.float64)[..., None]
    return np.maximum(atol, rtol * s_max.astype(np.float64))


_MATRIX_RANK_SIGNATURES = """, but expected one of:
 * (Tensor input, *, Tensor atol = None, Tensor rtol = None, bool hermitian = False, Tensor out = None)
 * (Tensor input, *, float atol = None, float rtol = None, bool hermitian = False, Tensor out = None)
 * (Tensor input, Tensor tol, bool hermitian = False, *, Tensor out = None)
 * (Tensor input, float tol, bool hermitian = False, *, Tensor out = None)
"""  # noqa: E501


def _tol_as_atol(tol, atol, rtol):
    """The deprecated ``tol`` means atol=tol, rtol=0 (torch's matrix_rank(input, tol)); it
    cannot be combined with atol or rtol."""
    if atol is not None or rtol is not None:
        given = {"tol": tol, "atol": atol, "rtol": rtol}
        got = ", ".join(f"{k}={type_name(v)}" for k, v in sorted(given.items())
                        if v is not None)
        raise TypeError("linalg_matrix_rank() received an invalid combination of arguments - "
                        f"got (Tensor, {got}){_MATRIX_RANK_SIGNATURES}")
    return tol, 0.0


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):  # noqa: N803
    """torch.linalg.matrix_rank: the number of singular values (|eigenvalues| when
    ``hermitian``) above max(atol, rtol * largest), int64; 0 for empty matrices.
    ``tol`` (deprecated in torch, still accepted) is atol=tol, rtol=0."""
    if tol is not None:
        atol, rtol = _tol_as_atol(tol, atol, rtol)
    if out is not None:
        return _out(matrix_rank(A, atol=atol, rtol=rtol, hermitian=hermitian), out,
                    "linalg_matrix_rank", out_castable_from("torch.linalg.matrix_rank"),
                    grad_check="out")
    check_tensor("matrix_rank", A, "input")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    if A._data.dtype.name not in ("float32", "float64"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    a = A._data
    if hermitian and a.size:
        check_square("eigh", A)  # torch's message names eigh, which it calls first
    atol_v, rtol_v = _tolerances(a, atol, rtol)
    if a.size == 0:
        return wrap(np.zeros(a.shape[:-2], dtype=np.int64))
    if hermitian:
        s = np.abs(eigvalsh(A.detach())._data)
        s_max = s.max(-1, keepdims=True)
    else:
        s = svdvals(A.detach())._data
        s_max = s[..., :1]
    tol = _cutoff(s, s_max, atol_v, rtol_v)
    return wrap((s > tol).sum(-1).astype(np.int64))


def _pinv_array(a: np.ndarray, atol, rtol, hermitian: bool) -> np.ndarray:
    if a.size == 0:
        return np.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), dtype=a.dtype)
    if hermitian:
        s, u = lapack_eigh(a, "L")
        s_abs = np.abs(s)
        tol = _cutoff(s_abs, s_abs.max(-1, keepdims=True), atol, rtol)
        with np.errstate(divide="ignore"):
            s_inv = np.where(s_abs > tol, 1 / s, 0).astype(a.dtype)
        return np.ascontiguousarray((u * s_inv[..., None, :]) @ np.swapaxes(u, -1, -2))
    u, s, vh = lapack_svd(a, full_matrices=False)
    tol = _cutoff(s, s[..., :1], atol, rtol)
    with np.errstate(divide="ignore"):
        s_inv = np.where(s > tol, 1 / s, 0).astype(a.dtype)
    return np.ascontiguousarray((np.swapaxes(vh, -1, -2) * s_inv[..., None, :])
                                @ np.swapaxes(u, -1, -2))


def _pinv_backward(grad: Tensor, pinv: Tensor, a: Tensor) -> Tensor:
    m, n = a.shape[-2:]
    pinv_t, grad_t = pinv.mT, grad.mT
    if m <= n:
        k = grad_t @ pinv
        k_pinv_t = k @ pinv_t
        return (-(pinv @ k).mT + k_pinv_t - (a @ pinv) @ k_pinv_t
                + (pinv_t @ pinv) @ (grad_t - k @ a))
    k = pinv @ grad_t
    pinv_t_k = pinv_t @ k
    return (-(k @ pinv).mT + pinv_t_k - (pinv_t_k @ pinv) @ a
            + ((grad_t - a @ k) @ pinv) @ pinv_t)


class Pinv(Primitive):
    """X = A^+ (SVD, or eigh when ``hermitian``);  gA: the module docstring."""

    node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, a, *, atol, rtol, hermitian):
        out = _pinv_array(a, atol, rtol, hermitian)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        return _pinv_backward(grad, out, a)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None, out=None):  # noqa: N803
    """torch.linalg.pinv: the Moore-Penrose pseudo-inverse, singular values at or below
    max(atol, rtol * largest) treated as zero (``rcond`` is the older name of rtol)."""
    if out is not None:
        return _out(pinv(A, rcond, hermitian, atol=atol, rtol=rtol), out, "linalg_pinv",
                    out_castable_from("linalg.pinv"))
    check_tensor("pinv", A, "input")
    a = A._data
    if a.dtype.name not in ("float32", "float64") or a.ndim < 2:
        raise RuntimeError(
            f"linalg.pinv({type_word(a)}{{{list(a.shape)}}}): expected a tensor with 2 or more "
            "dimensions of float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        if rtol is not None:
            raise RuntimeError("linalg.pinv: rcond and rtol cannot both be given")
        atol, rtol = 0.0, rcond
    if hermitian and a.size:
        check_square("eigh", A)  # torch runs eigh before it looks at the tolerances
    atol_v, rtol_v = _tolerances(a, atol, rtol)
    return Pinv.apply(A, atol=atol_v, rtol=rtol_v, hermitian=bool(hermitian))


def pinverse(input, rcond=1e-15):  # noqa: A002
    """torch.pinverse: linalg.pinv with relative tolerance ``rcond`` (default 1e-15)."""
    return pinv(input, rcond)


def cond(A, p=None, *, out=None):  # noqa: N803
    """torch.linalg.cond: the condition number in the norm ``p`` (None or ±2: the ratio of
    extreme singular values; ±1, ±inf, 'fro', 'nuc': norm(A) norm(A^-1), inf for singular
    A), composed as torch composes it; 0 for empty matrices."""
    if out is not None:
        return _out(cond(A, p), out, "linalg_cond", out_castable_from("linalg.cond"),
                    grad_check="in-place")
    check_tensor("cond", A, "input")
    if isinstance(p, str):
        check_square(f"cond(ord={p})", A)
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    else:
        check_matrix("cond", A)
        order = 2 if p is None else p
        if abs(float(order)) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {float(order):g}")
    check_float("cond", A)
    if A.numel() == 0:
        return wrap(np.zeros(A._data.shape[:-2], dtype=A._data.dtype))
    if p == "nuc":
        values = svdvals(A)
        return values.sum(-1) * values.reciprocal().sum(-1)
    if not isinstance(p, str) and abs(float(order)) == 2:
        values = svdvals(A)
        big, small = values[..., :1], values[..., -1:]
        return (small / big if order < 0 else big / small).squeeze(-1)
    if not isinstance(p, str):
        text = f"{order:f}" if isinstance(order, float) else str(int(order))
        check_square(f"cond(ord={text})", A)
    inverse, info = inv_ex(A)
    # in place, as torch: the inverse saved for backward changes, so (as in torch) these
    # orders cannot be differentiated ("modified by an inplace operation")
    inverse.masked_fill_(wrap(info._data[..., None, None] > 0), math.inf)
    result = matrix_norm(A, p) * matrix_norm(inverse, p)
    return result.nan_to_num_(math.inf, math.inf, -math.inf)


# ---------------------------------------------------------------------------------------
# lstsq

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _gels_layout(x: np.ndarray, m: int) -> np.ndarray:
    """X (n x k) as torch returns it: the top n rows of LAPACK's column-major max(m, n) x k
    buffer (so for a tall A, a view with column stride max(m, n))."""
    n = x.shape[-2]
    buffer = column_major(np.zeros(x.shape[:-2] + (max(m, n), x.shape[-1]), x.dtype))
    buffer[..., :n, :] = x
    return buffer[..., :n, :]


class Lstsq(Primitive):
    """(X, residuals) with X = A^+ B (rank-truncated at ``rcond``);  gradients: module
    docstring. ``residuals`` is empty unless the driver computes it."""

    node_name = "LinalgLstsqBackward0"

    @staticmethod
    def forward(ctx, a, b, *, rcond, residuals, vector):
        ctx.residuals, ctx.vector = residuals, vector
        b2 = b[..., None] if vector else b
        x = _pinv_array(a, 0.0, rcond, False) @ b2
        if residuals:
            res = ((a @ x - b2) ** 2).sum(-2)
        else:
            res = np.zeros((0,), dtype=a.dtype)
        x = _gels_layout(x, a.shape[-2])[..., 0] if vector else _gels_layout(x, a.shape[-2])
        ctx.save_for_backward(a, b, x)
        return x, res

    @staticmethod
    def backward(ctx, grad_x, grad_res):
        a, b, x = ctx.saved_tensors
        if ctx.vector:
            b, x = b.unsqueeze(-1), x.unsqueeze(-1)
            grad_x = None if grad_x is None else grad_x.unsqueeze(-1)
        grad_a = grad_b = None
        if grad_x is not None:
            pinv_a = Pinv.apply(a, atol=0.0, rtol=_tolerances(a._data, None, None)[1],
                                hermitian=False)
            if ctx.needs_input_grad[0]:
                grad_a = _pinv_backward(grad_x @ b.mT, pinv_a, a)
            if ctx.needs_input_grad[1]:
                grad_b = pinv_a.mT @ grad_x
        if ctx.residuals and grad_res is not None:
            r = (a @ x - b) * grad_res.unsqueeze(-2)
            if ctx.needs_input_grad[0]:
                term = 2 * (r @ x.mT)
                grad_a = term if grad_a is None else grad_a + term
            if ctx.needs_input_grad[1]:
                grad_b = -2 * r if grad_b is None else grad_b - 2 * r
        if ctx.vector and grad_b is not None:
            grad_b = grad_b.squeeze(-1)
        return grad_a, grad_b


def lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """torch.linalg.lstsq: the least-squares (minimum-norm) solution of A X = B, as a
    ``linalg_lstsq`` named tuple (solution, residuals, rank, singular_values). Which fields
    are filled depends on the LAPACK driver, as in torch on the CPU: 'gelsy' (default)
    rank; 'gelsd'/'gelss' rank and singular values (and residuals); 'gels' residuals.
    Residuals (squared 2-norms of the columns of A X - B) only for tall A (m > n) and, for
    gelsd/gelss, when every matrix has full rank."""
    check_tensor("lstsq", A, "self")
    check_tensor("lstsq", B, "b")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if B.ndim < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if A.dtype != B.dtype:
        raise RuntimeError(
            "torch.linalg.lstsq: Expected input and other to have the same dtype, but got "
            f"input's dtype {type_word(A._data)} and other's dtype {type_word(B._data)}"
        )
    dim_diff = A.ndim - B.ndim
    if dim_diff not in (0, 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = dim_diff == 1
    rows = B.shape[-1] if vector else B.shape[-2]
    if A.shape[-2] != rows:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-1)"
                           if vector else
                           "torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    check_float("lstsq", A)
    a = A._data
    m, n = a.shape[-2:]
    rcond_v = np.finfo(a.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    # rank and singular values describe A alone: A's batch shape, not the broadcast one
    s = lapack_svd(a, compute_uv=False) if a.size else \
        np.zeros(a.shape[:-2] + (min(m, n),), dtype=a.dtype)
    tol = _cutoff(s, s[..., :1], 0.0, rcond_v) if s.shape[-1] else s
    ranks = (s > tol).sum(-1).astype(np.int64)
    residuals = m > n and driver != "gelsy" and (driver == "gels" or bool(np.all(ranks == n)))
    solution, res = Lstsq.apply(A, B, rcond=rcond_v, residuals=residuals, vector=vector)
    empty = wrap(np.zeros((0,), dtype=a.dtype))
    rank = wrap(ranks) if driver != "gels" else wrap(np.zeros((0,), dtype=np.int64))
    values = wrap(s.astype(a.dtype)) if driver in ("gelsd", "gelss") else empty
    return linalg_lstsq((solution, res, rank, values))

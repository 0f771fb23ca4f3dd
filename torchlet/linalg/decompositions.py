"""Decompositions: cholesky, qr, eigh/eigvalsh, svd/svdvals, as torch.linalg.

Forward values come from NumPy's LAPACK (np.linalg): equal to torch's within float
rounding. Where the factors are not unique, LAPACK builds may choose differently: the
sign of each eigenvector (eigh), of each singular vector pair (svd) and of each column
of Q with the matching row of R (qr). Functions invariant under these choices (values,
U diag(S) V^H, Q R, |Q|, V diag(f(L)) V^T) agree with torch; so do their gradients.

Gradients (real matrices; torch's formulas, FunctionsManual.cpp):

    cholesky  A = L L^T:  P = tril(L^T gL),  gA = L^-T (P + tril(P, -1)^T) / 2 L^-1
    qr (m >= n, reduced): M = gR R^T - Q^T gQ,  gA = (gQ + Q copyltu(triu(M))) R^-T,
                          copyltu(T) = T + triu(T, 1)^T;  m < n: A = Q [X | Y] splits
    eigh  A = V diag(L) V^T:  gA = V (skew(V^T gV) / E + diag(gL)) V^T,
                          skew(X) = (X - X^T) / 2,  E_ij = L_j - L_i (1 on the diagonal)
    svd   A = U diag(S) V^T:  gA = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] V^T
                          + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T),
                          skew(X) = X - X^T,  E_jk = S_k^2 - S_j^2 (1 on the diagonal)

eigh/svd gradients are finite only for distinct eigen/singular values (as torch's).
eigvalsh and svdvals recompute the vectors in their backward, with the primitives above,
so every rule is differentiable again.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.shape.joins import cat as _cat
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import (
    LinAlgError,
    batch_prefix,
    check_float,
    check_matrix,
    check_square,
    check_tensor,
    column_major,
    diag_embed,
    eye_like,
)
from torchlet.linalg.solve import Inv, Solve
from torchlet.return_types import _structseq

linalg_qr = _structseq("linalg_qr", ("Q", "R"))
linalg_eigh = _structseq("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_svd = _structseq("linalg_svd", ("U", "S", "Vh"))


def _t(x):
    return x.mT


# ---------------------------------------------------------------------------------------
# cholesky


def _not_positive_definite(a: np.ndarray, upper: bool) -> LinAlgError:
    flat = a.reshape((-1, *a.shape[-2:]))
    for index, m in enumerate(flat):
        m = m.T if upper else m
        for k in range(1, m.shape[0] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                return LinAlgError(
                    f"linalg.cholesky: {batch_prefix(a.shape, index)}The factorization could "
                    "not be completed because the input is not positive-definite (the leading "
                    f"minor of order {k} is not positive-definite)."
                )
    return LinAlgError("linalg.cholesky: The factorization could not be completed because "
                       "the input is not positive-definite.")


class Cholesky(Primitive):
    """L with A = L L^T (lower; upper=True returns L^T), from A's lower triangle
    (upper: its upper triangle);  gA = L^-T (P + tril(P, -1)^T) / 2 L^-1, P = tril(L^T gL)."""

    node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, a, *, upper):
        ctx.upper = upper
        try:
            if upper:
                out = np.swapaxes(np.linalg.cholesky(np.swapaxes(a, -1, -2)), -1, -2)
            else:
                out = np.linalg.cholesky(a)
        except np.linalg.LinAlgError:
            raise _not_positive_definite(a, upper) from None
        if not (np.isfinite(out).all() and np.isfinite(a).all()):
            # a NaN or infinite pivot, where NumPy's LAPACK carries on: potrf's info decides
            from torchlet.linalg.triangular import _cholesky_ex_arrays, cholesky_error

            info = _cholesky_ex_arrays(a, upper)[1]
            if info.any():
                raise cholesky_error("linalg.cholesky", a.shape, info)
        out = column_major(out)  # (torch's layout, LAPACK's)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        lower, grad_l = (_t(out), _t(grad)) if ctx.upper else (out, grad)
        p = (_t(lower) @ grad_l).tril()
        middle = 0.5 * (p + _t(p.tril(-1)))
        lower_inv = Inv.apply(lower)
        return _t(lower_inv) @ middle @ lower_inv


def cholesky(A, *, upper=False):  # noqa: N803
    """torch.linalg.cholesky: L with A = L L^T for symmetric positive-definite A (only the
    lower triangle is read); LinAlgError with torch's message otherwise."""
    check_tensor("cholesky", A)
    check_square("cholesky", A)
    check_float("cholesky", A)
    _no_int("cholesky_cpu", A._data)
    return Cholesky.apply(A, upper=upper)


# ---------------------------------------------------------------------------------------
# qr


class Qr(Primitive):
    """(Q, R) with A = Q R;  gradients: see the module docstring."""

    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, a, *, mode):
        ctx.mode = mode
        if mode == "r":  # R only; torch returns an empty Q
            q, r = np.empty(0, a.dtype), column_major(np.linalg.qr(a, mode="r"))
            ctx.save_for_backward(a, q, r)  # (q, r: as torch's node keeps them)
            return q, r
        q, r = np.linalg.qr(a, mode=mode)
        q, r = column_major(q), column_major(r)  # (torch's layout, LAPACK's)
        ctx.save_for_backward(a, q, r)
        return q, r

    @staticmethod
    def backward(ctx, grad_q, grad_r):
        if ctx.mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when "
                "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                "differentiate through linalg.qr."
            )
        a, q, r = ctx.saved_tensors
        m, n = a._data.shape[-2:]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and "
                "nrows > ncols."
            )
        if m >= n:
            return _qr_backward_tall(q, r, grad_q, grad_r)
        # A = Q [X | Y] with X square: Y = Q V, so grad_Y = Q grad_V and Q gets Y grad_V^T
        y = a[..., :, m:]
        u, grad_u = r[..., :, :m], None if grad_r is None else grad_r[..., :, :m]
        if grad_r is None:
            return _pad(_qr_backward_tall(q, u, grad_q, None), n)
        grad_v = grad_r[..., :, m:]
        grad_y = q @ grad_v
        grad_q = y @ _t(grad_v) if grad_q is None else grad_q + y @ _t(grad_v)
        return _cat([_qr_backward_tall(q, u, grad_q, grad_u), grad_y], -1)


def _pad(grad_x, n):
    """[grad_X | 0]: Y gets no gradient when R's right part has none."""
    m = grad_x._data.shape[-1]
    zeros = grad_x.new_zeros((*grad_x._data.shape[:-1], n - m))
    return _cat([grad_x, zeros], -1)


def _qr_backward_tall(q, r, grad_q, grad_r):
    """gA = (gQ + Q copyltu(triu(gR R^T - Q^T gQ))) R^-T for A = Q R with m >= n."""
    if grad_q is None and grad_r is None:
        return None
    if grad_r is None:
        m = -(_t(q) @ grad_q)
    elif grad_q is None:
        m = grad_r @ _t(r)
    else:
        m = grad_r @ _t(r) - _t(q) @ grad_q
    upper = m.triu()
    b = q @ (upper + _t(upper.triu(1)))
    if grad_q is not None:
        b = b + grad_q
    return Solve.apply(_t(r), b, left=False, vector=False)


def qr(A, mode="reduced"):  # noqa: N803
    """torch.linalg.qr: (Q, R) with A = Q R, mode 'reduced' (Q m x k, R k x n, k = min(m, n)),
    'complete' (Q m x m) or 'r' (R only, Q empty, not differentiable). Householder QR from
    LAPACK: signs of Q's columns (and R's rows) may differ from torch's build."""
    check_tensor("qr", A)
    if not isinstance(mode, str):
        raise TypeError(f"linalg_qr(): argument 'mode' (position 2) must be str, not "
                        f"{type_name(mode)}")
    check_matrix("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
            "(default), 'r', or 'complete'"
        )
    check_float("qr", A)
    _no_int("geqrf_cpu", A._data)
    return linalg_qr(Qr.apply(A, mode=mode))


# ---------------------------------------------------------------------------------------
# eigh, eigvalsh


def lapack_eigh(a: np.ndarray, uplo: str, vectors: bool = True):
    """np.linalg.eigh (or eigvalsh), its failure to converge raised as torch's LinAlgError.
    The error code is LAPACK's info, which NumPy does not report: n - 1 (n - 2 without
    vectors) is what torch's syevd gives for a NaN off the diagonal, its usual value."""
    side: Literal["L", "U"] = "U" if uplo.upper() == "U" else "L"
    try:
        if vectors:
            return np.linalg.eigh(a, UPLO=side)
        return np.linalg.eigvalsh(a, UPLO=side)
    except np.linalg.LinAlgError:
        code = max(a.shape[-1] - (1 if vectors else 2), 1)
        raise LinAlgError(
            f"linalg.eigh: {batch_prefix(a.shape, _first_non_finite(a))}The algorithm failed "
            "to converge because the input matrix is ill-conditioned or has too many repeated "
            f"eigenvalues (error code: {code})."
        ) from None


def _check_uplo(uplo: str) -> None:
    if uplo not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {uplo}")


def _no_int(name: str, a: np.ndarray) -> None:
    """torch's LAPACK kernels exist for float32/float64 only: integers and float16 raise."""
    if a.dtype.kind != "f" or a.dtype == np.float16:
        from torchlet._ops.reduction._common import type_word

        raise NotImplementedError(f"\"{name}\" not implemented for '{type_word(a)}'")


class Eigh(Primitive):
    """(L, V) with A = V diag(L) V^T, L ascending;  gA = V (skew(V^T gV) / E + diag(gL)) V^T."""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, *, uplo):
        values, vectors = lapack_eigh(a, uplo)
        values, vectors = np.ascontiguousarray(values), column_major(vectors)
        ctx.save_for_backward(values, vectors)
        return values, vectors

    @staticmethod
    def backward(ctx, grad_values, grad_vectors):
        values, vectors = ctx.saved_tensors
        return _eigh_backward(values, vectors, grad_values, grad_vectors)


def _eigh_backward(values, vectors, grad_values, grad_vectors):
    if grad_values is None and grad_vectors is None:
        return None
    n = values._data.shape[-1]
    if grad_vectors is None:
        middle = diag_embed(grad_values)
    else:
        vtgv = _t(vectors) @ grad_vectors
        skew = 0.5 * (vtgv - _t(vtgv))
        gaps = values.unsqueeze(-2) - values.unsqueeze(-1) + eye_like(values, n)
        middle = skew / gaps
        if grad_values is not None:
            middle = middle + diag_embed(grad_values)
    return vectors @ middle @ _t(vectors)


def eigh(A, UPLO="L"):  # noqa: N803
    """torch.linalg.eigh: eigenvalues (ascending) and eigenvectors of symmetric matrices,
    from the lower (UPLO='L') or upper triangle. Eigenvector signs may differ from
    torch's LAPACK; values and sign-invariant functions agree within rounding."""
    check_tensor("eigh", A)
    check_square("eigh", A)
    _check_uplo(UPLO)
    _no_int("linalg_eigh_cpu", A._data)
    return linalg_eigh(Eigh.apply(A, uplo=UPLO))


class Eigvalsh(Primitive):
    """L (ascending eigenvalues);  gA = V diag(gL) V^T (V recomputed by Eigh)."""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, *, uplo):
        ctx.uplo = uplo
        ctx.save_for_backward(a)
        return np.ascontiguousarray(lapack_eigh(a, uplo, vectors=False))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        vectors = Eigh.apply(a, uplo=ctx.uplo)[1]
        return (vectors * grad.unsqueeze(-2)) @ _t(vectors)


def eigvalsh(A, UPLO="L"):  # noqa: N803
    """torch.linalg.eigvalsh: the eigenvalues of symmetric matrices, ascending."""
    check_tensor("eigvalsh", A)
    check_square("eigvalsh", A)
    _check_uplo(UPLO)
    _no_int("linalg_eigh_cpu", A._data)
    return Eigvalsh.apply(A, uplo=UPLO)


# ---------------------------------------------------------------------------------------
# svd, svdvals


def _first_non_finite(a: np.ndarray) -> int:
    """The index in the batch of the first matrix with a NaN or an infinity (0 if none)."""
    bad = ~np.isfinite(a.reshape((-1, *a.shape[-2:]))).all(axis=(-2, -1))
    return int(np.argmax(bad)) if a.ndim > 2 and a.size else 0


def lapack_svd(a: np.ndarray, **kwargs):
    """np.linalg.svd, its failure to converge (a NaN or infinity in the input) raised as
    torch's LinAlgError."""
    try:
        return np.linalg.svd(a, **kwargs)
    except np.linalg.LinAlgError:
        raise LinAlgError(
            f"linalg.svd: {batch_prefix(a.shape, _first_non_finite(a))}The algorithm failed "
            "to converge because the input matrix contained non-finite values."
        ) from None


def _no_driver(driver) -> None:
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


class Svd(Primitive):
    """(U, S, Vh) with A = U diag(S) Vh, S descending;  gradient: module docstring."""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a, *, full_matrices):
        ctx.full_matrices = full_matrices
        u, s, vh = lapack_svd(a, full_matrices=full_matrices)
        u, s, vh = column_major(u), np.ascontiguousarray(s), column_major(vh)
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved_tensors
        if ctx.full_matrices:
            k = s._data.shape[-1]
            u, vh = u[..., :, :k], vh[..., :k, :]
            grad_u = None if grad_u is None else grad_u[..., :, :k]
            grad_vh = None if grad_vh is None else grad_vh[..., :k, :]
        return _svd_backward(u, s, vh, grad_u, grad_s, grad_vh)


def _svd_backward(u, s, vh, grad_u, grad_s, grad_vh):
    m, n = u._data.shape[-2], vh._data.shape[-1]
    if grad_u is None and grad_vh is None:
        if grad_s is None:
            return None
        return (u * grad_s.unsqueeze(-2)) @ vh
    k = s._data.shape[-1]
    v = _t(vh)
    grad_v = None if grad_vh is None else _t(grad_vh)
    squares = s * s
    gaps = squares.unsqueeze(-2) - squares.unsqueeze(-1) + eye_like(s, k)
    inner = None
    if grad_u is not None:
        utgu = _t(u) @ grad_u
        inner = (utgu - _t(utgu)) * s.unsqueeze(-2)
    if grad_v is not None:
        vtgv = _t(v) @ grad_v
        term = s.unsqueeze(-1) * (vtgv - _t(vtgv))
        inner = term if inner is None else inner + term
    middle = inner / gaps
    if grad_s is not None:
        middle = middle + diag_embed(grad_s)
    if m > n and grad_u is not None:
        left = u @ middle
        scaled = grad_u / s.unsqueeze(-2)
        left = left + scaled - u @ (_t(u) @ scaled)
        return left @ vh
    if m < n and grad_v is not None:
        right = middle @ vh
        scaled = _t(grad_v / s.unsqueeze(-2))
        right = right + scaled - (scaled @ v) @ vh
        return u @ right
    return u @ (middle @ vh)


def svd(A, full_matrices=True, *, driver=None):  # noqa: N803
    """torch.linalg.svd: U, S (descending), Vh with A = U diag(S) Vh. Singular vector
    signs may differ from torch's LAPACK; U diag(S) Vh, S and |U|, |Vh| (for distinct
    values) agree within rounding. ``driver`` is for CUDA only: on CPU it must be None."""
    check_tensor("svd", A)
    _no_driver(driver)
    check_matrix("svd", A)
    check_float("svd", A)
    _no_int("linalg_svd_cpu", A._data)
    return linalg_svd(Svd.apply(A, full_matrices=full_matrices))


class Svdvals(Primitive):
    """S (descending singular values);  gA = U diag(gS) Vh (U, Vh recomputed by Svd)."""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.ascontiguousarray(lapack_svd(a, compute_uv=False))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        u, _, vh = Svd.apply(a, full_matrices=False)
        return (u * grad.unsqueeze(-2)) @ vh


def svdvals(A, *, driver=None):  # noqa: N803
    """torch.linalg.svdvals: the singular values, descending (within rounding)."""
    check_tensor("svdvals", A)
    _no_driver(driver)
    check_matrix("svd", A)
    check_float("svd", A)
    _no_int("linalg_svd_cpu", A._data)
    return Svdvals.apply(A)

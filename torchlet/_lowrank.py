"""torch.svd_lowrank and torch.pca_lowrank: randomized low-rank SVD (Halko et al., 2009).

A line-for-line port of torch/_lowrank.py on torchlet's own operations. The random test
matrix is drawn with ``torchlet.randn``, whose stream is torch's, so with the same seed the
results equal torch's up to float rounding. Everything is composed of differentiable ops
(matmul, linalg.qr, linalg.svd), so gradients flow as in torch. Sparse inputs (torch's
``torch.sparse.mm`` branch) are not supported: torchlet has no sparse layout.
"""

from __future__ import annotations

import torchlet
from torchlet._tensor import Tensor

__all__ = ["svd_lowrank", "pca_lowrank"]


def _floating_dtype(A: Tensor):
    """torch._linalg_utils.get_floating_dtype: A's dtype if floating, else float32."""
    if A.dtype in (torchlet.float16, torchlet.float32, torchlet.float64):
        return A.dtype
    return torchlet.float32


def get_approximate_basis(A: Tensor, q: int, niter: int | None = 2,
                          M: Tensor | None = None) -> Tensor:
    """Q with q orthonormal columns such that Q Q^H (A - M) approximates A - M
    (Algorithm 4.4 of Halko et al.): a random range sketch A R, refined by ``niter``
    subspace iterations, re-orthonormalised by QR after every product."""
    niter = 2 if niter is None else niter
    dtype = _floating_dtype(A) if not A.is_complex() else A.dtype
    R = torchlet.randn(A.shape[-1], q, dtype=dtype, device=A.device)

    X = torchlet.matmul(A, R)
    if M is not None:
        X = X - torchlet.matmul(M, R)
    Q = torchlet.linalg.qr(X).Q
    for _ in range(niter):
        X = torchlet.matmul(A.mH, Q)
        if M is not None:
            X = X - torchlet.matmul(M.mH, Q)
        Q = torchlet.linalg.qr(X).Q
        X = torchlet.matmul(A, Q)
        if M is not None:
            X = X - torchlet.matmul(M, Q)
        Q = torchlet.linalg.qr(X).Q
    return Q


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(U, S, V) with A - M ~ U diag(S) V^H (Algorithm 5.1 of Halko et al.): project onto
    the approximate basis Q, B = Q^H (A - M), take B's thin SVD and lift U back by Q.
    A wide matrix is handled through its conjugate transpose, as torch does."""
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.size())

    # Assume that A is tall
    if m < n:
        A = A.mH
        if M is not None:
            M = M.mH

    Q = get_approximate_basis(A, q, niter=niter, M=M)
    B = torchlet.matmul(Q.mH, A)
    if M is not None:
        B = B - torchlet.matmul(Q.mH, M)
    U, S, Vh = torchlet.linalg.svd(B, full_matrices=False)
    V = Vh.mH
    U = Q.matmul(U)

    if m < n:
        U, V = V, U
    return U, S, V


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """Linear PCA of the (m samples x n features) matrix A: svd_lowrank of A minus its
    column means (``center=True``). V's columns are the principal directions and
    S**2 / (m - 1) the covariance eigenvalues; q defaults to min(6, m, n)."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (q >= 0 and q <= min(m, n)):
        raise ValueError(
            f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}"
        )
    if not (niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")

    if not center:
        return svd_lowrank(A, q, niter=niter, M=None)
    C = A.mean(dim=(-2,), keepdim=True)
    return svd_lowrank(A - C, q, niter=niter, M=None)

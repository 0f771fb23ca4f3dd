"""Specs for torch.linalg (torchlet/linalg): norms, inv, det, slogdet, solve, cholesky,
qr, eigh, eigvalsh, svd, svdvals.

LAPACK builds differ (NumPy's against torch's), so values agree within float rounding:
float32 within rtol/atol 1e-4 here (the matrices are small and well conditioned: inputs
are shifted by a multiple of the identity), float64 within 1e-10.

Factors that are unique only up to signs (eigenvectors, singular vectors, Q's columns
with R's rows) are compared through gauge-invariant functions, as torch's own tests do:
U diag(S) Vh, Q R, |Q|, |R|, V diag(L)^2 V^T, V * V. Symmetric inputs (eigh, cholesky)
are built from the drawn matrix inside the expression, so finite differences stay on
symmetric matrices.
"""

import math

from opspec import A, ErrorSpec, Spec

F64 = "float64"
I64 = dict(dtype="int64", kind="int", low=-5, high=5)
TOL = dict(rtol=1e-4, atol=1e-4, grad_rtol=1e-4, grad_atol=1e-4)
TOL64 = dict(rtol=1e-10, atol=1e-10, grad_rtol=1e-9, grad_atol=1e-9)


def _s(name, fn, *args, **kw):
    tol = TOL64 if any(a.dtype == F64 for a in args) else TOL
    return Spec("linalg_namespace/" + name, fn, args, **{**tol, **kw})


def _wellposed(t, a):
    """a + 3 I: a (..., n, n) drawn from [-1, 1) becomes comfortably invertible."""
    return a + 3 * t.eye(a.shape[-1], dtype=a.dtype)


def _spd(t, a):
    """a a^T + n I: symmetric positive definite."""
    return a @ a.mT + a.shape[-1] * t.eye(a.shape[-1], dtype=a.dtype)


def _sym(a):
    return a + a.mT


U = dict(low=-1.0, high=1.0)
INF = math.inf

SPECS = [
    # vector_norm
    _s("vector_norm", lambda t, x: t.linalg.vector_norm(x), A(3, 4)),
    _s("vector_norm_ord1_dim", lambda t, x: t.linalg.vector_norm(x, 1, dim=1), A(3, 4)),
    _s("vector_norm_inf", lambda t, x: t.linalg.vector_norm(x, INF, dim=(0, 2),
                                                                  keepdim=True),
       A(2, 3, 4)),
    _s("vector_norm_p3", lambda t, x: t.linalg.vector_norm(x, 3, dim=-1), A(3, 4)),
    _s("vector_norm_dtype", lambda t, x: t.linalg.vector_norm(x, dtype=t.float64),
       A(3, 4), gradcheck=False),
    # matrix_norm
    _s("matrix_norm_fro", lambda t, x: t.linalg.matrix_norm(x), A(2, 3, 4)),
    _s("matrix_norm_fro_keepdim",
       lambda t, x: t.linalg.matrix_norm(x, dim=(0, 2), keepdim=True), A(2, 3, 4)),
    _s("matrix_norm_1", lambda t, x: t.linalg.matrix_norm(x, 1), A(2, 3, 4)),
    _s("matrix_norm_-1", lambda t, x: t.linalg.matrix_norm(x, -1),
       A(2, 3, 4)),
    _s("matrix_norm_inf", lambda t, x: t.linalg.matrix_norm(x, INF),
       A(2, 3, 4)),
    _s("matrix_norm_-inf_keepdim",
       lambda t, x: t.linalg.matrix_norm(x, -INF, keepdim=True), A(2, 3, 4)),
    _s("matrix_norm_1_dims", lambda t, x: t.linalg.matrix_norm(x, 1, dim=(2, 0)),
       A(2, 3, 4)),
    _s("matrix_norm_inf_dims_keepdim",
       lambda t, x: t.linalg.matrix_norm(x, INF, dim=(0, 2), keepdim=True),
       A(2, 3, 4)),
    _s("matrix_norm_nuc", lambda t, x: t.linalg.matrix_norm(x, "nuc"), A(2, 3, 4)),
    _s("matrix_norm_nuc_keepdim_dims",
       lambda t, x: t.linalg.matrix_norm(x, "nuc", dim=(0, 2), keepdim=True), A(2, 3, 4)),
    _s("matrix_norm_2", lambda t, x: t.linalg.matrix_norm(x, 2), A(2, 3, 4)),
    _s("matrix_norm_-2", lambda t, x: t.linalg.matrix_norm(x, -2), A(2, 3, 4)),
    _s("matrix_norm_f64", lambda t, x: t.linalg.matrix_norm(x, 1), A(3, 3, dtype=F64)),
    _s("matrix_norm_dtype", lambda t, x: t.linalg.matrix_norm(x, dtype=t.float64),
       A(3, 4), gradcheck=False),
    # norm
    _s("norm", lambda t, x: t.linalg.norm(x), A(2, 3, 4)),
    _s("norm_dim", lambda t, x: t.linalg.norm(x, dim=1), A(2, 3, 4)),
    _s("norm_dims2", lambda t, x: t.linalg.norm(x, dim=(0, 1)), A(2, 3, 4)),
    _s("norm_ord_1d", lambda t, x: t.linalg.norm(x, 3), A(5)),
    _s("norm_ord_2d", lambda t, x: t.linalg.norm(x, INF), A(3, 4)),
    _s("norm_fro", lambda t, x: t.linalg.norm(x, "fro"), A(3, 4)),
    _s("norm_nuc_dims", lambda t, x: t.linalg.norm(x, "nuc", dim=(1, 2)), A(2, 3, 4)),
    _s("norm_ord_dim1", lambda t, x: t.linalg.norm(x, 1, dim=(1,), keepdim=True),
       A(2, 3, 4)),
    # inv, det, slogdet
    _s("inv", lambda t, a: t.linalg.inv(_wellposed(t, a)), A(4, 4, **U)),
    _s("inv_batch", lambda t, a: t.linalg.inv(_wellposed(t, a)), A(2, 3, 3, 3, **U)),
    _s("inv_f64", lambda t, a: t.linalg.inv(a), A(3, 3, dtype=F64)),
    _s("inv_leaf", lambda t, a: t.linalg.inv(a), A(3, 3, **U)),
    _s("det", lambda t, a: t.linalg.det(a), A(4, 4)),
    _s("det_batch", lambda t, a: t.linalg.det(a), A(2, 3, 3)),
    _s("det_f64", lambda t, a: t.linalg.det(a), A(2, 4, 4, dtype=F64)),
    _s("slogdet", lambda t, a: t.linalg.slogdet(a), A(2, 4, 4)),
    _s("slogdet_f64", lambda t, a: t.linalg.slogdet(a), A(3, 3, dtype=F64)),
    _s("slogdet_logabsdet", lambda t, a: t.linalg.slogdet(a).logabsdet, A(3, 3)),
    # solve
    _s("solve", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b), A(3, 3, **U), A(3, 2)),
    _s("solve_vector", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b),
       A(3, 3, **U), A(3)),
    _s("solve_batched_vector", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b),
       A(2, 3, 3, **U), A(2, 3)),
    _s("solve_broadcast", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b),
       A(3, 3, **U), A(2, 3, 4)),
    _s("solve_broadcast_a", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b),
       A(2, 1, 3, 3, **U), A(3, 3, 2)),
    _s("solve_right", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b, left=False),
       A(2, 3, 3, **U), A(2, 4, 3)),
    _s("solve_f64", lambda t, a, b: t.linalg.solve(a, b), A(3, 3, dtype=F64),
       A(3, 2, dtype=F64)),
    _s("solve_nograd_a", lambda t, a, b: t.linalg.solve(_wellposed(t, a), b),
       A(3, 3, grad=False, **U), A(3, 2)),
    # cholesky
    _s("cholesky", lambda t, a: t.linalg.cholesky(_spd(t, a)), A(4, 4)),
    _s("cholesky_batch", lambda t, a: t.linalg.cholesky(_spd(t, a)), A(2, 3, 3)),
    _s("cholesky_upper", lambda t, a: t.linalg.cholesky(_spd(t, a), upper=True),
       A(2, 3, 3)),
    _s("cholesky_f64", lambda t, a: t.linalg.cholesky(_spd(t, a)), A(3, 3, dtype=F64)),
    # eigh / eigvalsh: values, and V diag(L)^2 V^T = A^2 and V * V (sign invariant)
    _s("eigvalsh", lambda t, a: t.linalg.eigvalsh(_sym(a)), A(2, 4, 4)),
    _s("eigvalsh_upper", lambda t, a: t.linalg.eigvalsh(_sym(a), UPLO="U"), A(3, 3)),
    _s("eigh_values", lambda t, a: t.linalg.eigh(_sym(a)).eigenvalues, A(2, 4, 4)),
    _s("eigh_invariants", lambda t, a: _eigh_invariants(t, _sym(a)), A(2, 4, 4)),
    _s("eigh_invariants_f64", lambda t, a: _eigh_invariants(t, _sym(a)),
       A(3, 3, dtype=F64)),
    # svd / svdvals
    _s("svdvals", lambda t, a: t.linalg.svdvals(a), A(2, 3, 4)),
    _s("svdvals_tall", lambda t, a: t.linalg.svdvals(a), A(5, 3)),
    _s("svd_reconstruct", lambda t, a: _svd_invariants(t, a, False), A(2, 3, 4)),
    _s("svd_reconstruct_tall", lambda t, a: _svd_invariants(t, a, False), A(5, 3)),
    _s("svd_full_square", lambda t, a: _svd_invariants(t, a, True), A(2, 4, 4)),
    _s("svd_f64", lambda t, a: _svd_invariants(t, a, False), A(4, 3, dtype=F64)),
    _s("svd_full_wide_s", lambda t, a: t.linalg.svd(a).S, A(3, 5)),
    # qr
    _s("qr_invariants", lambda t, a: _qr_invariants(t, a, "reduced"), A(5, 3)),
    _s("qr_square", lambda t, a: _qr_invariants(t, a, "reduced"), A(2, 4, 4)),
    _s("qr_wide", lambda t, a: _qr_invariants(t, a, "reduced"), A(3, 5)),
    _s("qr_complete_wide", lambda t, a: _qr_invariants(t, a, "complete"), A(2, 3, 4)),
    _s("qr_f64", lambda t, a: _qr_invariants(t, a, "reduced"), A(4, 3, dtype=F64)),
]


def _eigh_invariants(t, s):
    values, vectors = t.linalg.eigh(s)
    return values, vectors * vectors, (vectors * values.unsqueeze(-2) ** 2) @ vectors.mT


def _svd_invariants(t, a, full):
    u, s, vh = t.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    return s, (u * s.unsqueeze(-2)) @ vh, u.abs(), vh.abs()


def _qr_invariants(t, a, mode):
    q, r = t.linalg.qr(a, mode=mode)
    return q @ r, q.abs(), r.abs()


def _err(name, fn, match=None):
    return ErrorSpec("err/linalg_namespace/" + name, fn, match=match)


ERROR_SPECS = [
    _err("inv_singular", lambda t: t.linalg.inv(t.zeros(3, 3)),
         r"^linalg\.inv: The diagonal element 1 is zero, the inversion could not be completed "
         r"because the input matrix is singular\.$"),
    _err("inv_singular_batch",
         lambda t: t.linalg.inv(t.stack([t.eye(3), t.tensor([[1., 2, 3], [2, 4, 6], [1, 0, 1]])])),
         r"^linalg\.inv: \(Batch element 1\): The diagonal element 3 is zero"),
    _err("inv_not_square", lambda t: t.linalg.inv(t.ones(2, 3)),
         r"^linalg\.inv: A must be batches of square matrices, but they are 2 by 3 matrices$"),
    _err("inv_int", lambda t: t.linalg.inv(t.ones(3, 3, dtype=t.long)),
         r"^linalg\.inv: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("inv_1d", lambda t: t.linalg.inv(t.ones(3)),
         r"^linalg\.inv: The input tensor A must have at least 2 dimensions\.$"),
    _err("det_not_square", lambda t: t.linalg.det(t.ones(2, 3)),
         r"^linalg\.det: A must be batches of square matrices, but they are 2 by 3 matrices$"),
    _err("det_int", lambda t: t.linalg.det(t.ones(3, 3, dtype=t.int32)),
         r"^linalg\.det: Expected a floating point or complex tensor as input\. Got Int$"),
    _err("slogdet_int", lambda t: t.linalg.slogdet(t.ones(3, 3, dtype=t.long)),
         r"^linalg\.slogdet: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("solve_singular", lambda t: t.linalg.solve(t.zeros(3, 3), t.ones(3)),
         r"^torch\.linalg\.solve: The solver failed because the input matrix is singular\.$"),
    _err("solve_singular_batch", lambda t: t.linalg.solve(t.zeros(2, 3, 3), t.ones(2, 3)),
         r"^torch\.linalg\.solve: \(Batch element 0\): The solver failed"),
    _err("solve_shapes", lambda t: t.linalg.solve(t.eye(3), t.ones(4)),
         r"^linalg\.solve: Incompatible shapes of A and B for the equation AX = B "
         r"\(3x3 and 4x1\)$"),
    _err("solve_shapes_right", lambda t: t.linalg.solve(t.eye(3), t.ones(3, 4), left=False),
         r"XA = B \(3x3 and 3x4\)$"),
    _err("solve_dtypes", lambda t: t.linalg.solve(t.eye(3), t.ones(3, dtype=t.float64)),
         r"^linalg\.solve: Expected A and B to have the same dtype, but found A of type Float "
         r"and B of type Double instead$"),
    _err("solve_int", lambda t: t.linalg.solve(t.ones(3, 3, dtype=t.long), t.ones(3)),
         r"Expected a floating point or complex tensor as input\. Got Long$"),
    _err("cholesky_not_pd", lambda t: t.linalg.cholesky(t.diag(t.tensor([1.0, 2.0, -1.0]))),
         r"^linalg\.cholesky: The factorization could not be completed because the input is "
         r"not positive-definite \(the leading minor of order 3 is not positive-definite\)\.$"),
    _err("cholesky_not_pd_batch", lambda t: t.linalg.cholesky(-t.eye(3).expand(2, 3, 3)),
         r"^linalg\.cholesky: \(Batch element 0\): .*order 1 is not"),
    _err("cholesky_int", lambda t: t.linalg.cholesky(t.ones(3, 3, dtype=t.long)),
         r"^linalg\.cholesky: Expected a floating point"),
    _err("eigh_not_square", lambda t: t.linalg.eigh(t.ones(2, 3)),
         r"^linalg\.eigh: A must be batches of square matrices"),
    _err("eigh_uplo", lambda t: t.linalg.eigh(t.eye(3), UPLO="X"),
         r"^Expected UPLO argument to be 'L' or 'U', but got X$"),
    _err("eigh_int", lambda t: t.linalg.eigh(t.ones(3, 3, dtype=t.long)),
         r"\"linalg_eigh_cpu\" not implemented for 'Long'"),
    _err("qr_int", lambda t: t.linalg.qr(t.ones(2, 3, dtype=t.long)),
         r"^linalg\.qr: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("qr_1d", lambda t: t.linalg.qr(t.ones(3)),
         r"^linalg\.qr: The input tensor A must have at least 2 dimensions\.$"),
    _err("qr_mode", lambda t: t.linalg.qr(t.eye(3), mode="x"),
         r"^qr received unrecognized mode 'x' but expected one of 'reduced' \(default\), 'r', "
         r"or 'complete'$"),
    _err("svd_int", lambda t: t.linalg.svd(t.ones(2, 3, dtype=t.long)),
         r"^linalg\.svd: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("svd_1d", lambda t: t.linalg.svd(t.ones(3)),
         r"^linalg\.svd: The input tensor A must have at least 2 dimensions\.$"),
    _err("svdvals_1d", lambda t: t.linalg.svdvals(t.ones(3)),
         r"^linalg\.svd: The input tensor A must have at least 2 dimensions\.$"),
    _err("vector_norm_int", lambda t: t.linalg.vector_norm(t.ones(3, dtype=t.long)),
         r"^linalg\.vector_norm: Expected a floating point or complex tensor as input\. "
         r"Got Long$"),
    _err("vector_norm_dtype", lambda t: t.linalg.vector_norm(t.ones(3), dtype=t.long),
         r"^linalg\.vector_norm: dtype should be floating point or complex, but got Long$"),
    _err("matrix_norm_1d", lambda t: t.linalg.matrix_norm(t.ones(3)),
         r"^linalg\.matrix_norm: The input tensor A must have at least 2 dimensions\.$"),
    _err("matrix_norm_int", lambda t: t.linalg.matrix_norm(t.ones(3, 3, dtype=t.long), 1),
         r"^linalg\.matrix_norm: Expected a floating point or complex tensor as input\. "
         r"Got Long$"),
    _err("matrix_norm_ord", lambda t: t.linalg.matrix_norm(t.ones(3, 3), ord=3),
         r"^linalg\.matrix_norm: Order 3 not supported\.$"),
    _err("matrix_norm_ord_str", lambda t: t.linalg.matrix_norm(t.ones(3, 3), ord="abc"),
         r"^linalg\.matrix_norm: Order abc not supported\.$"),
    _err("matrix_norm_dim", lambda t: t.linalg.matrix_norm(t.ones(3, 3), dim=(0,)),
         r"^linalg\.matrix_norm: dim must be a 2-tuple\. Got 0$"),
    _err("matrix_norm_int_dim", lambda t: t.linalg.matrix_norm(t.ones(3, 3), dim=0),
         r"^linalg_matrix_norm\(\) received an invalid combination of arguments"),
    _err("norm_fro_int_dim", lambda t: t.linalg.norm(t.ones(3, 3), "fro", dim=0),
         r"^linalg\.matrix_norm: dim must be a 2-tuple\. Got 0$"),
    _err("matrix_norm_same_dims", lambda t: t.linalg.matrix_norm(t.ones(3, 3), dim=(0, 0)),
         r"^linalg\.matrix_norm: dims must be different\. Got \(0, 0\)$"),
    _err("norm_3d_ord", lambda t: t.linalg.norm(t.ones(3, 3, 3), ord=2),
         r"^linalg\.norm: If dim is not specified but ord is, the input must be 1D or 2D\. "
         r"Got 3D\.$"),
    _err("norm_fro_1d", lambda t: t.linalg.norm(t.ones(3), "fro"),
         r"^linalg\.matrix_norm: The input tensor A must have at least 2 dimensions\.$"),
    _err("norm_int", lambda t: t.linalg.norm(t.ones(3, 3, dtype=t.long)),
         r"^linalg\.vector_norm: Expected a floating point"),
]

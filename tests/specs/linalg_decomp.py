"""Specs for the Householder helpers (torch.geqrf, linalg.householder_product, orgqr,
ormqr), the legacy factorisations (torch.qr, svd, lu, lu_unpack), linalg.solve_ex and the
LDL^T factorisation (linalg.ldl_factor(_ex), ldl_solve), and the legacy names torch
removed (lstsq, solve, symeig, eig, matrix_rank) or that need complex tensors (eig,
eigvals).

Bit-exact: integers (pivots, info), lu_unpack's L, U (copies of LU's triangles: LU itself
is within rounding) and P (a permutation); everything else is within float rounding of
torch's LAPACK (MKL), float32 within rtol/atol 1e-4 (small, well-conditioned inputs),
float64 within 1e-10: NumPy's LAPACK and torch's block and order their sums differently.
geqrf, householder_product and the QR factors come from the same Householder algorithm, so
their signs agree with torch's and are compared directly; torch.svd's singular vectors are
compared through sign-invariant functions (U diag(S) V^T, |U|, |V|). LDL's pivots are
LAPACK's Bunch-Kaufman choices (compared exactly, on indefinite matrices too).
torch differentiates neither geqrf nor ldl_factor / ldl_solve: those specs compare values.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
TOL = dict(rtol=1e-4, atol=1e-4, grad_rtol=1e-4, grad_atol=1e-4)
TOL64 = dict(rtol=1e-10, atol=1e-10, grad_rtol=1e-9, grad_atol=1e-9)
U = dict(low=-1.0, high=1.0)


def _s(name, fn, *args, **kw):
    tol = TOL64 if any(a.dtype == F64 for a in args) else TOL
    return Spec("linalg_decomp/" + name, fn, args, **{**tol, **kw})


def _wellposed(t, a):
    return a + 3 * t.eye(a.shape[-1], dtype=a.dtype)


def _sym(a):
    return a + a.mT


def _indefinite(t, a):
    """A symmetric matrix with a zero diagonal: Bunch-Kaufman must take 2 x 2 pivots."""
    n = a.shape[-1]
    return (a + a.mT) * (1 - t.eye(n, dtype=a.dtype))


def _svd_invariants(t, a, some):
    u, s, v = t.svd(a, some=some)
    k = s.shape[-1]
    return s, (u[..., :k] * s.unsqueeze(-2)) @ v[..., :k].mT, u.abs(), v.abs()


def _ormqr(t, a, tau, c, left, transpose):
    return t.ormqr(a, tau, c, left=left, transpose=transpose)


def _ldl_solve(t, a, b):
    ld, pivots = t.linalg.ldl_factor(_indefinite(t, a))
    return t.linalg.ldl_solve(ld, pivots, b)


SPECS = [
    # geqrf (no derivative in torch) and the Q it encodes
    _s("geqrf", lambda t, a: t.geqrf(a), A(5, 3, grad=False)),
    _s("geqrf_wide_batch", lambda t, a: t.geqrf(a), A(2, 3, 4, grad=False)),
    _s("geqrf_f64", lambda t, a: t.geqrf(a), A(4, 4, dtype=F64, grad=False)),
    _s("geqrf_method", lambda t, a: a.geqrf(), A(3, 3, grad=False)),
    _s("geqrf_then_householder", lambda t, a: t.linalg.householder_product(*t.geqrf(a)),
       A(2, 5, 3, grad=False)),
    # householder_product / orgqr
    _s("householder_product", lambda t, a, tau: t.linalg.householder_product(a, tau),
       A(5, 3), A(3, **U)),
    _s("householder_product_fewer_tau",
       lambda t, a, tau: t.linalg.householder_product(a, tau), A(4, 4), A(2, **U)),
    _s("householder_product_batch", lambda t, a, tau: t.linalg.householder_product(a, tau),
       A(2, 4, 3), A(2, 2, **U)),
    _s("householder_product_f64", lambda t, a, tau: t.linalg.householder_product(a, tau),
       A(4, 3, dtype=F64), A(3, dtype=F64, **U)),
    _s("orgqr", lambda t, a, tau: t.orgqr(a, tau), A(4, 2), A(2, **U)),
    _s("orgqr_method", lambda t, a, tau: a.orgqr(tau), A(3, 3), A(3, **U)),
    # ormqr: op(Q) C and C op(Q)
    _s("ormqr", lambda t, a, tau, c: _ormqr(t, a, tau, c, True, False),
       A(4, 3), A(3, **U), A(4, 2)),
    _s("ormqr_transpose", lambda t, a, tau, c: _ormqr(t, a, tau, c, True, True),
       A(4, 3), A(3, **U), A(4, 2)),
    _s("ormqr_right", lambda t, a, tau, c: _ormqr(t, a, tau, c, False, False),
       A(5, 3), A(3, **U), A(2, 5)),
    _s("ormqr_right_transpose", lambda t, a, tau, c: _ormqr(t, a, tau, c, False, True),
       A(5, 3), A(3, **U), A(2, 5)),
    _s("ormqr_wide_input", lambda t, a, tau, c: _ormqr(t, a, tau, c, True, False),
       A(3, 5), A(3, **U), A(3, 2)),
    _s("ormqr_batch_f64", lambda t, a, tau, c: _ormqr(t, a, tau, c, True, True),
       A(2, 4, 2, dtype=F64), A(2, 2, dtype=F64, **U), A(2, 4, 3, dtype=F64)),
    _s("ormqr_method", lambda t, a, tau, c: a.ormqr(tau, c, False),
       A(3, 3), A(3, **U), A(2, 3)),
    _s("ormqr_nograd_c", lambda t, a, tau, c: _ormqr(t, a, tau, c, True, False),
       A(4, 2), A(2, **U), A(4, 2, grad=False)),
    # torch.qr (same Householder signs as torch: compared directly)
    _s("qr", lambda t, a: t.qr(a), A(5, 3)),
    _s("qr_wide_batch", lambda t, a: t.qr(a), A(2, 3, 4)),
    _s("qr_complete_square", lambda t, a: t.qr(a, some=False), A(3, 3)),
    _s("qr_complete_tall", lambda t, a: t.qr(a, some=False), A(4, 3), grad=False),
    _s("qr_method_f64", lambda t, a: a.qr(), A(4, 3, dtype=F64)),
    # torch.svd
    _s("svd", lambda t, a: _svd_invariants(t, a, True), A(5, 3)),
    _s("svd_wide_batch", lambda t, a: _svd_invariants(t, a, True), A(2, 3, 4)),
    _s("svd_not_some", lambda t, a: _svd_invariants(t, a, False), A(4, 4)),
    _s("svd_f64", lambda t, a: _svd_invariants(t, a, True), A(3, 4, dtype=F64)),
    _s("svd_no_uv", lambda t, a: t.svd(a, compute_uv=False), A(2, 4, 3)),
    _s("svd_method_no_uv", lambda t, a: a.svd(False, False), A(3, 5)),
    # torch.lu, lu_unpack
    _s("lu", lambda t, a: t.lu(a), A(2, 3, 3)),
    _s("lu_infos", lambda t, a: t.lu(a, get_infos=True), A(3, 4)),
    _s("lu_method", lambda t, a: a.lu(), A(4, 3)),
    _s("lu_singular_infos", lambda t, a: t.lu(a * t.tensor([1.0, 0.0, 1.0]), get_infos=True),
       A(3, 3, grad=False)),
    _s("lu_unpack", lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a)), A(4, 4)),
    _s("lu_unpack_tall", lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a)), A(2, 5, 3)),
    _s("lu_unpack_wide_f64", lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a)),
       A(3, 5, dtype=F64)),
    _s("lu_unpack_no_data",
       lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a), unpack_data=False), A(3, 3),
       grad=False),
    _s("lu_unpack_no_pivots",
       lambda t, a: t.lu_unpack(*t.linalg.lu_factor(a), unpack_pivots=False), A(3, 4)),
    # solve_ex
    _s("solve_ex", lambda t, a, b: t.linalg.solve_ex(_wellposed(t, a), b),
       A(3, 3, **U), A(3, 2)),
    _s("solve_ex_vector_batch", lambda t, a, b: t.linalg.solve_ex(_wellposed(t, a), b),
       A(2, 3, 3, **U), A(2, 3)),
    _s("solve_ex_broadcast", lambda t, a, b: t.linalg.solve_ex(_wellposed(t, a), b),
       A(3, 3, **U), A(2, 3, 4)),
    _s("solve_ex_right_f64",
       lambda t, a, b: t.linalg.solve_ex(_wellposed(t, a), b, left=False, check_errors=True),
       A(2, 3, 3, dtype=F64, **U), A(2, 4, 3, dtype=F64)),
    _s("solve_ex_singular", lambda t, a, b: t.linalg.solve_ex(t.stack([a, a * 0]), b),
       A(3, 3, grad=False), A(3, 1, grad=False)),
    # ldl_factor(_ex), ldl_solve (torch: no derivative)
    _s("ldl_factor_ex", lambda t, a: t.linalg.ldl_factor_ex(_sym(a)), A(5, 5, grad=False)),
    _s("ldl_factor_indefinite", lambda t, a: t.linalg.ldl_factor(_indefinite(t, a)),
       A(2, 6, 6, grad=False)),
    _s("ldl_factor_f64", lambda t, a: t.linalg.ldl_factor(_indefinite(t, a)),
       A(7, 7, dtype=F64, grad=False)),
    _s("ldl_factor_ex_singular", lambda t, a: t.linalg.ldl_factor_ex(t.stack([_sym(a), a * 0])),
       A(3, 3, grad=False)),
    _s("ldl_solve", _ldl_solve, A(2, 5, 5, grad=False), A(2, 5, 3, grad=False)),
    _s("ldl_solve_broadcast_f64", _ldl_solve, A(4, 4, dtype=F64, grad=False),
       A(3, 4, 2, dtype=F64, grad=False)),
]


def _err(name, fn, match=None):
    return ErrorSpec("err/linalg_decomp/" + name, fn, match=match)


_REMOVED = r"^This function was deprecated since version 1\.9 and is now removed\."

ERROR_SPECS = [
    _err("geqrf_1d", lambda t: t.geqrf(t.ones(3)),
         r"^torch\.geqrf: input must have at least 2 dimensions\.$"),
    _err("geqrf_int", lambda t: t.geqrf(t.ones(3, 3, dtype=t.long)),
         r"^\"geqrf_cpu\" not implemented for 'Long'$"),
    _err("geqrf_backward", lambda t: t.geqrf(t.ones(3, 2, requires_grad=True)).a.sum().backward(),
         r"^the derivative for 'geqrf' is not implemented\.$"),
    _err("householder_wide", lambda t: t.linalg.householder_product(t.ones(3, 4), t.ones(2)),
         r"^torch\.linalg\.householder_product: input\.shape\[-2\] must be greater than or "
         r"equal to input\.shape\[-1\]$"),
    _err("householder_long_tau",
         lambda t: t.linalg.householder_product(t.ones(4, 3), t.ones(4)),
         r"input\.shape\[-1\] must be greater than or equal to tau\.shape\[-1\]$"),
    _err("householder_tau_ndim",
         lambda t: t.linalg.householder_product(t.ones(4, 3), t.ones(2, 2)),
         r"Expected tau to have one dimension less than input, but got tau\.ndim equal to 2 "
         r"and input\.ndim is equal to 2$"),
    _err("householder_1d", lambda t: t.linalg.householder_product(t.ones(4), t.ones(2)),
         r"^torch\.linalg\.householder_product: input must have at least 2 dimensions\.$"),
    _err("householder_batch",
         lambda t: t.linalg.householder_product(t.ones(2, 4, 3), t.ones(3, 3)),
         r"Expected batch dimensions of tau to be equal to input\.shape\[:-2\], but got \[3\]$"),
    _err("householder_dtypes",
         lambda t: t.linalg.householder_product(t.ones(4, 3), t.ones(3, dtype=t.float64)),
         r"tau dtype Double does not match input dtype Float$"),
    _err("orgqr_int",
         lambda t: t.orgqr(t.ones(4, 3, dtype=t.long), t.ones(3, dtype=t.long)),
         r"^\"orgqr_cpu\" not implemented for 'Long'$"),
    _err("ormqr_other_rows", lambda t: t.ormqr(t.ones(4, 3), t.ones(3), t.ones(5, 2)),
         r"^torch\.ormqr: other\.shape\[-2\] must be equal to input\.shape\[-2\]$"),
    _err("ormqr_tau_size", lambda t: t.ormqr(t.ones(4, 3), t.ones(2), t.ones(4, 2)),
         r"^torch\.ormqr: tau\.shape\[-1\] must be equal to min\(other\.shape\[-2\], "
         r"input\.shape\[-1\]\)$"),
    _err("ormqr_right_cols",
         lambda t: t.ormqr(t.ones(5, 3), t.ones(3), t.ones(2, 4), left=False),
         r"^torch\.ormqr: other\.shape\[-1\] must be equal to input\.shape\[-2\]$"),
    _err("ormqr_1d", lambda t: t.ormqr(t.ones(4), t.ones(4), t.ones(4, 2)),
         r"^torch\.ormqr: input must have at least 2 dimensions\.$"),
    _err("ormqr_other_1d", lambda t: t.ormqr(t.ones(4, 3), t.ones(3), t.ones(4)),
         r"^torch\.ormqr: other must have at least 2 dimensions\.$"),
    _err("ormqr_other_ndim", lambda t: t.ormqr(t.ones(2, 4, 3), t.ones(2, 3), t.ones(4, 2)),
         r"Expected other to have the same number of dimensions as input"),
    _err("ormqr_dtypes",
         lambda t: t.ormqr(t.ones(4, 3), t.ones(3), t.ones(4, 2, dtype=t.float64)),
         r"Expected input and other to have the same dtype"),
    _err("qr_1d", lambda t: t.qr(t.ones(3)),
         r"^linalg\.qr: The input tensor A must have at least 2 dimensions\.$"),
    _err("qr_int", lambda t: t.qr(t.ones(3, 3, dtype=t.long)),
         r"^linalg\.qr: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("svd_1d", lambda t: t.svd(t.ones(3)),
         r"^linalg\.svd: input should have at least 2 dimensions, but has 1 dimensions "
         r"instead$"),
    _err("svd_int", lambda t: t.ones(3, 3, dtype=t.long).svd(),
         r"^linalg\.svd: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("lu_1d", lambda t: t.lu(t.ones(3)),
         r"^torch\.lu_factor: Expected tensor with 2 or more dimensions\. Got size: \[3\] "
         r"instead$"),
    _err("lu_int", lambda t: t.lu(t.ones(3, 3, dtype=t.long)),
         r"^\"lu_cpu\" not implemented for 'Long'$"),
    _err("lu_unpack_int64_pivots",
         lambda t: t.lu_unpack(t.ones(3, 3), t.tensor([1, 2, 3])),
         r"^torch\.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch\.int32 "
         r"dtype\.\nNote: this function is intended to be used with the output produced by "
         r"torch\.linalg\.lu_factor$"),
    _err("lu_unpack_pivot_range",
         lambda t: t.lu_unpack(t.ones(3, 3), t.tensor([1, 2, 5], dtype=t.int32)),
         r"^pivots passed to lu_unpack must be between 1 and LU\.size\(-2\) inclusive\.Did "
         r"you properly pass the result of lu_factor\?$"),
    _err("lu_unpack_1d", lambda t: t.lu_unpack(t.ones(3), t.tensor([1], dtype=t.int32)),
         r"^torch\.lu_unpack: Expected tensor with 2 or more dimensions\. Got size: \[3\] "
         r"instead$"),
    _err("solve_ex_check_errors",
         lambda t: t.linalg.solve_ex(t.zeros(2, 3, 3), t.ones(3, 1), check_errors=True),
         r"^torch\.linalg\.solve_ex: \(Batch element 0\): The solver failed because the "
         r"input matrix is singular\.$"),
    _err("solve_ex_shapes", lambda t: t.linalg.solve_ex(t.eye(3), t.ones(4)),
         r"^linalg\.solve: Incompatible shapes of A and B for the equation AX = B "
         r"\(3x3 and 4x1\)$"),
    _err("solve_ex_int", lambda t: t.linalg.solve_ex(t.ones(3, 3, dtype=t.long), t.ones(3)),
         r"^linalg\.solve: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("ldl_factor_not_square", lambda t: t.linalg.ldl_factor(t.ones(3, 4)),
         r"^torch\.linalg\.ldl_factor_ex: A must be batches of square matrices, but they are "
         r"3 by 4 matrices$"),
    _err("ldl_factor_1d", lambda t: t.linalg.ldl_factor(t.ones(3)),
         r"^torch\.linalg\.ldl_factor_ex: The input tensor A must have at least 2 "
         r"dimensions\.$"),
    _err("ldl_factor_int", lambda t: t.linalg.ldl_factor_ex(t.ones(3, 3, dtype=t.long)),
         r"^torch\.linalg\.ldl_factor_ex: Expected a floating point or complex tensor as "
         r"input\. Got Long$"),
    _err("ldl_factor_singular", lambda t: t.linalg.ldl_factor(t.zeros(3, 3)),
         r"^torch\.linalg\.ldl_factor: D\[1,1\] is exactly zero"),
    _err("ldl_factor_backward",
         lambda t: t.linalg.ldl_factor(t.eye(3, requires_grad=True)).LD.sum().backward(),
         r"^derivative for aten::linalg_ldl_factor_ex is not implemented$"),
    _err("ldl_solve_sizes",
         lambda t: t.linalg.ldl_solve(*t.linalg.ldl_factor(t.eye(4)), t.ones(3, 2)),
         r"^Incompatible matrix sizes for torch\.linalg\.ldl_solve: each A matrix is 4 by 4 "
         r"but each b matrix is 3 by 2$"),
    _err("ldl_solve_dtypes",
         lambda t: t.linalg.ldl_solve(*t.linalg.ldl_factor(t.eye(4)),
                                      t.ones(4, 2, dtype=t.float64)),
         r"^Expected b and A to have the same dtype, but found b of type Double and A of type "
         r"Float instead\.$"),
    _err("ldl_solve_1d_b",
         lambda t: t.linalg.ldl_solve(*t.linalg.ldl_factor(t.eye(4)), t.ones(4)),
         r"^Dimension out of range"),
    _err("lstsq_removed", lambda t: t.lstsq(t.ones(3, 1), t.eye(3)),
         _REMOVED + r" `torch\.lstsq` is deprecated in favor of `torch\.linalg\.lstsq`\."),
    _err("lstsq_removed_method", lambda t: t.ones(3, 1).lstsq(t.eye(3)), _REMOVED),
    _err("solve_removed", lambda t: t.solve(t.ones(3, 1), t.eye(3)),
         _REMOVED + r" `torch\.solve` is deprecated in favor of `torch\.linalg\.solve`\."),
    _err("solve_removed_method", lambda t: t.ones(3, 1).solve(t.eye(3)), _REMOVED),
    _err("symeig_removed", lambda t: t.symeig(t.eye(3)),
         _REMOVED + r" The default behavior has changed"),
    _err("symeig_removed_method", lambda t: t.eye(3).symeig(True), _REMOVED),
    _err("eig_removed", lambda t: t.eig(t.eye(3)),
         _REMOVED + r" `torch\.linalg\.eig` returns complex tensors"),
    _err("eig_removed_method", lambda t: t.eye(3).eig(), _REMOVED),
    _err("matrix_rank_removed", lambda t: t.matrix_rank(t.eye(3)),
         _REMOVED + r"\nPlease use the `torch\.linalg\.matrix_rank` function instead\."),
]

"""Specs for the rest of torch.linalg (torchlet/linalg: products, spectral, triangular, lu,
tensor_solve) and the top-level aliases (torch.cross, vander, det, logdet, inverse,
pinverse, cholesky, cholesky_solve, cholesky_inverse, lu_solve, triangular_solve, ...).

Bit-exact (``exact=True``): cross (torch's float32/float64 kernel is one fused
multiply-add per component, reproduced exactly; float16 and integers plain arithmetic),
diagonal (a view), linalg.vander and torch.vander (running products in order), integer
matrix_power and multi_dot, ranks, info and pivots (integers).

Within float rounding: everything that goes through LAPACK/BLAS (matrix products,
factorisations, singular values, triangular solves): NumPy's builds block and order their
sums differently from torch's. float32 within rtol/atol 1e-4 (the matrices are small and
well conditioned: inputs are drawn from [-1, 1) and shifted by a multiple of the
identity), float64 within 1e-10. matrix_exp is a different algorithm (Padé 13 against
torch's Taylor polynomials), equally accurate: same tolerances.

Matrices whose factors are not unique, or whose values are LAPACK's leftovers (the
inverse of a singular matrix in inv_ex, a failed cholesky_ex), are compared through what
is defined: ``info``. cond with the orders 1, inf, 'fro' is compared without gradients:
torch's own backward fails there (its inverse is masked in place), and so does torchlet's
(checked in tests/test_linalg_more.py).
"""

import math

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = dict(dtype="int64", kind="int", low=-3, high=4)
TOL = dict(rtol=1e-4, atol=1e-4, grad_rtol=1e-4, grad_atol=1e-4)
TOL64 = dict(rtol=1e-10, atol=1e-10, grad_rtol=1e-9, grad_atol=1e-9)
U = dict(low=-1.0, high=1.0)
INF = math.inf


def _s(name, fn, *args, **kw):
    tol = TOL64 if any(a.dtype == F64 for a in args) else TOL
    return Spec("linalg_more/" + name, fn, args, **{**tol, **kw})


def _x(name, fn, *args, **kw):
    """A bit-exact spec."""
    return Spec("linalg_more/" + name, fn, args, exact=True, **kw)


def _eye(t, a):
    return t.eye(a.shape[-1], dtype=a.dtype)


def _wellposed(t, a):
    """a + 3 I: a (..., n, n) drawn from [-1, 1) becomes comfortably invertible."""
    return a + 3 * _eye(t, a)


def _spd(t, a):
    """a a^T + n I: symmetric positive definite."""
    return a @ a.mT + a.shape[-1] * _eye(t, a)


def _lower(t, a):
    """A lower triangular Cholesky-like factor with a positive diagonal."""
    return a.tril() + 2 * _eye(t, a)


def _upper(t, a):
    return a.triu() + 2 * _eye(t, a)


def _masked(t, a):
    """a with its second column zeroed and its last row a copy of the first: rank-deficient
    by construction (exactly zero singular values, up to rounding)."""
    mask = t.ones(a.shape[-1], dtype=a.dtype)
    mask[1] = 0
    b = a * mask
    return t.cat([b[..., :-1, :], b[..., :1, :]], -2)


def _lu_solve(t, a, b, left, adjoint):
    lu, pivots = t.linalg.lu_factor(_wellposed(t, a))
    return t.linalg.lu_solve(lu, pivots, b, left=left, adjoint=adjoint)


SPECS = [
    # cross (bit-exact)
    _x("cross", lambda t, a, b: t.linalg.cross(a, b), A(4, 3), A(4, 3)),
    _x("cross_dim0", lambda t, a, b: t.linalg.cross(a, b, dim=0), A(3, 5), A(3, 5)),
    _x("cross_broadcast", lambda t, a, b: t.linalg.cross(a, b), A(2, 1, 3), A(1, 4, 3)),
    _x("cross_f64", lambda t, a, b: t.linalg.cross(a, b, dim=-2), A(2, 3, 4, dtype=F64),
       A(2, 3, 4, dtype=F64)),
    _x("cross_f16", lambda t, a, b: t.linalg.cross(a, b), A(5, 3, dtype=F16),
       A(5, 3, dtype=F16), grad=False),
    _x("cross_int", lambda t, a, b: t.linalg.cross(a, b), A(4, 3, **I64), A(4, 3, **I64)),
    _x("cross_special", lambda t, a, b: t.linalg.cross(a, b), A(7, 3, kind="special"),
       A(7, 3, kind="special"), grad=False),
    _x("cross_special_f64", lambda t, a, b: t.linalg.cross(a, b),
       A(7, 3, dtype=F64, kind="special"), A(7, 3, dtype=F64, kind="special"), grad=False),
    _x("cross_empty", lambda t, a, b: t.linalg.cross(a, b), A(0, 3), A(0, 3)),
    _x("torch_cross_default_dim", lambda t, a, b: t.cross(a, b), A(2, 3, 3), A(2, 3, 3)),
    _x("torch_cross_dim", lambda t, a, b: t.cross(a, b, dim=-1), A(3, 4, 3), A(3, 4, 3)),
    _x("tensor_cross", lambda t, a, b: a.cross(b, dim=1), A(2, 3), A(2, 3)),
    # vecdot
    _s("vecdot", lambda t, a, b: t.linalg.vecdot(a, b), A(3, 4), A(3, 4)),
    _s("vecdot_broadcast_dim", lambda t, a, b: t.linalg.vecdot(a, b, dim=-2),
       A(2, 5, 1), A(5, 4)),
    _s("vecdot_f64", lambda t, a, b: t.linalg.vecdot(a, b, dim=0), A(4, 3, dtype=F64),
       A(4, 3, dtype=F64)),
    _s("vecdot_empty", lambda t, a, b: t.linalg.vecdot(a, b), A(3, 0), A(3, 0)),
    # matrix_power (torch's order of products)
    *[_s(f"matrix_power_{n}", lambda t, a, n=n: t.linalg.matrix_power(_wellposed(t, a), n),
         A(3, 3, **U)) for n in (1, 2, 3, 4, 5, 6, 11, -1, -2, -3, -6)],
    # n = 0 copies the identity into a clone of A: torch's gradient is zeros, torchlet's
    # copy_ gives None (torchlet/_ops/pointwise/operands.py CopyFrom), so forward only
    _s("matrix_power_0", lambda t, a: t.linalg.matrix_power(a, 0), A(2, 3, 3), grad=False),
    _s("matrix_power_batch", lambda t, a: t.linalg.matrix_power(a, 7), A(2, 3, 3, **U)),
    _s("matrix_power_f64", lambda t, a: t.linalg.matrix_power(_wellposed(t, a), -5),
       A(4, 4, dtype=F64, **U)),
    _x("matrix_power_int", lambda t, a: t.linalg.matrix_power(a, 5), A(3, 3, **I64)),
    _x("matrix_power_int_0", lambda t, a: t.linalg.matrix_power(a, 0), A(2, 3, 3, **I64)),
    _s("matrix_power_empty", lambda t, a: t.linalg.matrix_power(a, 3), A(0, 0)),
    _s("torch_matrix_power", lambda t, a: t.matrix_power(a, 3), A(3, 3, **U)),
    _s("tensor_matrix_power", lambda t, a: _wellposed(t, a).matrix_power(-2), A(3, 3, **U)),
    # multi_dot (torch's optimal order)
    _s("multi_dot_2", lambda t, a, b: t.linalg.multi_dot([a, b]), A(3, 4), A(4, 2)),
    _s("multi_dot_vectors", lambda t, a, b: t.linalg.multi_dot([a, b]), A(4), A(4)),
    _s("multi_dot_3_left", lambda t, a, b, c: t.linalg.multi_dot([a, b, c]),
       A(2, 6), A(6, 3), A(3, 8)),
    _s("multi_dot_3_right", lambda t, a, b, c: t.linalg.multi_dot([a, b, c]),
       A(8, 3), A(3, 6), A(6, 2)),
    _s("multi_dot_4_vectors", lambda t, a, b, c, d: t.linalg.multi_dot((a, b, c, d)),
       A(3), A(3, 5), A(5, 2), A(2, 7)),
    _s("multi_dot_5", lambda t, *m: t.linalg.multi_dot(m),
       A(6, 2), A(2, 7), A(7, 3), A(3, 5, dtype="float32"), A(5, 4)),
    _s("multi_dot_f64", lambda t, a, b, c, d: t.linalg.multi_dot([a, b, c, d]),
       A(1, 4, dtype=F64), A(4, 9, dtype=F64), A(9, 2, dtype=F64), A(2, 3, dtype=F64)),
    _x("multi_dot_int", lambda t, a, b, c: t.linalg.multi_dot([a, b, c]),
       A(2, 3, **I64), A(3, 3, **I64), A(3, 1, **I64)),
    # diagonal (a view: exact)
    _x("diagonal", lambda t, a: t.linalg.diagonal(a), A(2, 3, 4)),
    _x("diagonal_offset_dims", lambda t, a: t.linalg.diagonal(a, offset=-1, dim1=0, dim2=2),
       A(3, 2, 4)),
    # vander (running products: exact)
    _x("vander", lambda t, x: t.linalg.vander(x), A(4)),
    _x("vander_batch_N", lambda t, x: t.linalg.vander(x, N=5), A(2, 3)),
    _x("vander_f64", lambda t, x: t.linalg.vander(x, N=3), A(4, dtype=F64)),
    _x("vander_int", lambda t, x: t.linalg.vander(x), A(5, **I64)),
    _x("vander_int32", lambda t, x: t.linalg.vander(x, N=3), A(4, dtype="int32", kind="int",
                                                                 low=-3, high=4)),
    # (torch.vander's running product overwrites its own input in place: torch cannot
    # differentiate it, and neither can torchlet; tests/test_linalg_more.py checks both raise)
    _x("torch_vander", lambda t, x: t.vander(x), A(4), grad=False),
    _x("torch_vander_increasing", lambda t, x: t.vander(x, increasing=True), A(4), grad=False),
    _x("torch_vander_N", lambda t, x: t.vander(x, N=2), A(3), grad=False),
    _x("torch_vander_N0", lambda t, x: t.vander(x, N=0), A(3), grad=False),
    _x("torch_vander_N1", lambda t, x: t.vander(x, N=1), A(3), grad=False),
    _x("torch_vander_int", lambda t, x: t.vander(x, N=5), A(3, **I64)),
    _x("torch_vander_bool", lambda t, x: t.vander(x), A(3, dtype="bool", kind="bool")),
    _x("torch_vander_f16", lambda t, x: t.vander(x), A(3, dtype=F16), grad=False),
    # matrix_exp
    _s("matrix_exp", lambda t, a: t.linalg.matrix_exp(a), A(3, 3)),
    _s("matrix_exp_scaled", lambda t, a: t.linalg.matrix_exp(3 * a), A(2, 4, 4)),
    _s("matrix_exp_f64", lambda t, a: t.linalg.matrix_exp(a), A(2, 3, 3, dtype=F64)),
    _s("matrix_exp_empty", lambda t, a: t.linalg.matrix_exp(a), A(2, 0, 0)),
    _s("torch_matrix_exp", lambda t, a: t.matrix_exp(a), A(3, 3)),
    _s("tensor_matrix_exp", lambda t, a: a.matrix_exp(), A(2, 2, dtype=F64)),
    # matrix_rank (integers: exact)
    _x("matrix_rank", lambda t, a: t.linalg.matrix_rank(a), A(4, 5)),
    _x("matrix_rank_deficient", lambda t, a: t.linalg.matrix_rank(_masked(t, a)),
       A(3, 4, 5, dtype=F64)),
    _x("matrix_rank_deficient_f32", lambda t, a: t.linalg.matrix_rank(_masked(t, a)),
       A(2, 5, 3)),
    _x("matrix_rank_atol", lambda t, a: t.linalg.matrix_rank(a, atol=1.0), A(2, 5, 5)),
    _x("matrix_rank_rtol", lambda t, a: t.linalg.matrix_rank(a, rtol=0.2), A(2, 5, 5)),
    _x("matrix_rank_atol_rtol", lambda t, a: t.linalg.matrix_rank(a, atol=0.5, rtol=0.1),
       A(6, 4)),
    _x("matrix_rank_tensor_atol", lambda t, a: t.linalg.matrix_rank(
        a, atol=t.tensor([0.5, 2.0], dtype=t.float64)), A(2, 5, 5)),
    _x("matrix_rank_hermitian", lambda t, a: t.linalg.matrix_rank(a + a.mT, hermitian=True),
       A(3, 4, 4)),
    _x("matrix_rank_hermitian_deficient",
       lambda t, a: t.linalg.matrix_rank(_masked(t, a) @ _masked(t, a).mT, hermitian=True),
       A(4, 4, dtype=F64)),
    _x("matrix_rank_zeros", lambda t, a: t.linalg.matrix_rank(a * 0), A(3, 3)),
    _x("matrix_rank_empty", lambda t, a: t.linalg.matrix_rank(a), A(2, 0, 3)),
    # pinv, pinverse
    _s("pinv_tall", lambda t, a: t.linalg.pinv(a), A(5, 3)),
    _s("pinv_wide", lambda t, a: t.linalg.pinv(a), A(2, 3, 5)),
    _s("pinv_square_f64", lambda t, a: t.linalg.pinv(_wellposed(t, a)), A(4, 4, dtype=F64)),
    _s("pinv_hermitian", lambda t, a: t.linalg.pinv(_wellposed(t, a + a.mT), hermitian=True),
       A(2, 3, 3)),
    # (with singular values cut, torch's pinv gradient is that of the untruncated
    # pseudo-inverse formula, not the derivative of the truncated one: gradients are
    # compared with torch's, finite differences would disagree with both)
    _s("pinv_rtol_cuts", lambda t, a: t.linalg.pinv(a @ t.diag(t.tensor(
        [1.0, 1e-3, 2.0], dtype=a.dtype)), rtol=1e-2), A(4, 3), gradcheck=False),
    _s("pinv_atol_cuts", lambda t, a: t.linalg.pinv(a, atol=1.0), A(2, 5, 4),
       gradcheck=False),
    _s("pinv_empty", lambda t, a: t.linalg.pinv(a), A(0, 3)),
    _s("torch_pinverse", lambda t, a: t.pinverse(a), A(3, 4)),
    _s("tensor_pinverse", lambda t, a: a.pinverse(rcond=1e-10), A(4, 2, dtype=F64)),
    # cond
    *[_s(f"cond_{p}", lambda t, a, p=p: t.linalg.cond(_wellposed(t, a), p), A(2, 3, 3, **U))
      for p in (None, 2, -2, "nuc")],
    *[_s(f"cond_{p}", lambda t, a, p=p: t.linalg.cond(_wellposed(t, a), p), A(2, 3, 3, **U),
         grad=False) for p in (1, -1, INF, -INF, "fro")],
    _s("cond_tall", lambda t, a: t.linalg.cond(a), A(5, 3)),
    _s("cond_f64", lambda t, a: t.linalg.cond(a, -2), A(3, 4, dtype=F64)),
    _s("cond_singular", lambda t, a: (t.linalg.cond(a * 0), t.linalg.cond(a * 0, 1),
                                      t.linalg.cond(a * 0, "fro")), A(3, 3), grad=False),
    _s("cond_empty", lambda t, a: t.linalg.cond(a), A(2, 0, 0)),
    # lstsq: which fields each driver fills
    _s("lstsq_gelsy", lambda t, a, b: t.linalg.lstsq(a, b), A(6, 3), A(6, 2)),
    _s("lstsq_gelsd", lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd"), A(6, 3), A(6, 2)),
    _s("lstsq_gelss_f64", lambda t, a, b: t.linalg.lstsq(a, b, driver="gelss"),
       A(2, 5, 3, dtype=F64), A(2, 5, 4, dtype=F64)),
    _s("lstsq_gels", lambda t, a, b: t.linalg.lstsq(a, b, driver="gels"), A(7, 4), A(7, 2)),
    _s("lstsq_square", lambda t, a, b: t.linalg.lstsq(_wellposed(t, a), b), A(4, 4, **U),
       A(4, 3)),
    _s("lstsq_wide_min_norm", lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd"),
       A(3, 5), A(3, 2)),
    _s("lstsq_vector", lambda t, a, b: t.linalg.lstsq(a, b), A(5, 3), A(5)),
    _s("lstsq_vector_gelsd", lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd"),
       A(2, 5, 3, dtype=F64), A(2, 5, dtype=F64)),
    _s("lstsq_broadcast", lambda t, a, b: t.linalg.lstsq(a, b, driver="gelsd"),
       A(2, 1, 5, 3), A(1, 3, 5, 2)),
    _s("lstsq_rank_deficient", lambda t, a, b: t.linalg.lstsq(_masked(t, a), b,
                                                              driver="gelsd").rank,
       A(2, 6, 4, dtype=F64), A(2, 6, 2, dtype=F64), grad=False),
    # solve_triangular, triangular_solve
    _s("solve_triangular_upper", lambda t, a, b: t.linalg.solve_triangular(
        _wellposed(t, a), b, upper=True), A(4, 4, **U), A(4, 3)),
    _s("solve_triangular_lower_f64", lambda t, a, b: t.linalg.solve_triangular(
        _wellposed(t, a), b, upper=False), A(2, 4, 4, dtype=F64, **U), A(2, 4, 2, dtype=F64)),
    _s("solve_triangular_right", lambda t, a, b: t.linalg.solve_triangular(
        _wellposed(t, a), b, upper=False, left=False), A(3, 3, **U), A(5, 3)),
    _s("solve_triangular_unit", lambda t, a, b: t.linalg.solve_triangular(
        a, b, upper=True, unitriangular=True), A(4, 4, **U), A(4, 2)),
    _s("solve_triangular_right_unit_upper", lambda t, a, b: t.linalg.solve_triangular(
        a, b, upper=True, left=False, unitriangular=True), A(4, 4, **U), A(2, 4)),
    _s("solve_triangular_broadcast", lambda t, a, b: t.linalg.solve_triangular(
        _wellposed(t, a), b, upper=True), A(2, 1, 3, 3, **U), A(4, 3, 2)),
    _s("solve_triangular_empty", lambda t, a, b: t.linalg.solve_triangular(
        a, b, upper=True), A(0, 0), A(0, 3)),
    _s("triangular_solve", lambda t, b, a: t.triangular_solve(b, _wellposed(t, a)),
       A(3, 2), A(3, 3, **U)),
    _s("triangular_solve_transpose_lower", lambda t, b, a: t.triangular_solve(
        b, _wellposed(t, a), upper=False, transpose=True), A(2, 4, 3), A(2, 4, 4, **U)),
    _s("triangular_solve_unit_f64", lambda t, b, a: t.triangular_solve(
        b, a, unitriangular=True), A(3, 2, dtype=F64), A(3, 3, dtype=F64, **U)),
    _s("tensor_triangular_solve", lambda t, b, a: b.triangular_solve(
        _wellposed(t, a), transpose=True), A(3, 1), A(3, 3, **U)),
    # cholesky_solve, cholesky_inverse
    _s("cholesky_solve", lambda t, b, a: t.cholesky_solve(b, _lower(t, a)), A(3, 2),
       A(3, 3, **U)),
    _s("cholesky_solve_upper_f64", lambda t, b, a: t.cholesky_solve(b, _upper(t, a), True),
       A(2, 4, 3, dtype=F64), A(2, 4, 4, dtype=F64, **U)),
    _s("cholesky_solve_broadcast", lambda t, b, a: t.cholesky_solve(b, _lower(t, a)),
       A(3, 1, 3, 2), A(2, 3, 3, **U)),
    _s("tensor_cholesky_solve", lambda t, b, a: b.cholesky_solve(_lower(t, a)), A(3, 4),
       A(3, 3, **U)),
    _s("cholesky_inverse", lambda t, a: t.cholesky_inverse(_lower(t, a)), A(3, 3, **U)),
    _s("cholesky_inverse_upper_f64", lambda t, a: t.cholesky_inverse(_upper(t, a), upper=True),
       A(2, 4, 4, dtype=F64, **U)),
    _s("tensor_cholesky_inverse", lambda t, a: _lower(t, a).cholesky_inverse(), A(2, 2, **U)),
    # inv_ex, cholesky_ex
    _s("inv_ex", lambda t, a: t.linalg.inv_ex(_wellposed(t, a)), A(2, 3, 3, **U)),
    _x("inv_ex_singular_info", lambda t, a: t.linalg.inv_ex(t.stack(
        [_wellposed(t, a), a * 0, _masked(t, a).mT])).info, A(4, 4), grad=False),
    _s("cholesky_ex", lambda t, a: t.linalg.cholesky_ex(_spd(t, a)), A(2, 3, 3)),
    _s("cholesky_ex_upper_f64", lambda t, a: t.linalg.cholesky_ex(_spd(t, a), upper=True),
       A(4, 4, dtype=F64)),
    _x("cholesky_ex_failed_info", lambda t, a: t.linalg.cholesky_ex(t.stack(
        [_spd(t, a), -_spd(t, a), _spd(t, a) - 20 * t.diag(t.tensor([0.0, 0, 1, 0]))])).info,
       A(4, 4), grad=False),
    # lu_factor, lu, lu_solve
    _s("lu_factor", lambda t, a: t.linalg.lu_factor(a), A(4, 4)),
    _s("lu_factor_batch_f64", lambda t, a: t.linalg.lu_factor(a), A(2, 5, 5, dtype=F64)),
    _s("lu_factor_tall", lambda t, a: t.linalg.lu_factor(a), A(5, 3)),
    _s("lu_factor_wide", lambda t, a: t.linalg.lu_factor(a), A(2, 3, 5)),
    _x("lu_factor_ties_pivots", lambda t, a: t.linalg.lu_factor(_wellposed(t, a)).pivots,
       A(2, 5, 5, dtype=F64, kind="int", low=-2, high=3), grad=False),
    _s("lu_factor_ex", lambda t, a: t.linalg.lu_factor_ex(a), A(2, 4, 4)),
    _s("lu_factor_ex_singular", lambda t, a: t.linalg.lu_factor_ex(
        a * t.tensor([1.0, 1.0, 0.0, 1.0])), A(4, 4), grad=False),
    _s("lu", lambda t, a: t.linalg.lu(a), A(4, 4)),
    _s("lu_tall", lambda t, a: t.linalg.lu(a), A(2, 5, 3)),
    _s("lu_wide_f64", lambda t, a: t.linalg.lu(a), A(3, 6, dtype=F64)),
    _s("lu_singular", lambda t, a: t.linalg.lu(a * t.tensor([1.0, 0.0, 1.0, 1.0])), A(4, 4),
       grad=False),
    *[_s(f"lu_solve_left{int(left)}_adjoint{int(adj)}",
         lambda t, a, b, left=left, adj=adj: _lu_solve(t, a, b, left, adj),
         A(3, 3, **U), A(3, 3) if left else A(2, 3))
      for left in (True, False) for adj in (False, True)],
    _s("lu_solve_broadcast_f64", lambda t, a, b: _lu_solve(t, a, b, True, False),
       A(2, 1, 4, 4, dtype=F64, **U), A(3, 4, 2, dtype=F64)),
    _s("torch_lu_solve", lambda t, b, a: t.lu_solve(b, *t.linalg.lu_factor(_wellposed(t, a))),
       A(3, 2), A(3, 3, **U)),
    _s("tensor_lu_solve", lambda t, b, a: b.lu_solve(*t.linalg.lu_factor(_wellposed(t, a))),
       A(2, 3, 1), A(2, 3, 3, **U)),
    # tensorinv, tensorsolve (torch's grad_fn is ReshapeAliasBackward0 for the final
    # reshape of a contiguous tensor, a view that torchlet names ViewBackward0)
    _s("tensorinv", lambda t, a: t.linalg.tensorinv(_wellposed(t, a).reshape(4, 2, 2), ind=1),
       A(4, 4, **U), grad_fn=False),
    _s("tensorinv_ind2_f64", lambda t, a: t.linalg.tensorinv(
        _wellposed(t, a).reshape(2, 3, 6)), A(6, 6, dtype=F64, **U), grad_fn=False),
    _s("tensorsolve", lambda t, a, b: t.linalg.tensorsolve(
        _wellposed(t, a).reshape(2, 3, 6), b), A(6, 6, **U), A(2, 3)),
    _s("tensorsolve_dims", lambda t, a, b: t.linalg.tensorsolve(
        _wellposed(t, a).reshape(6, 2, 3), b, dims=(0,)), A(6, 6, **U), A(2, 3)),
    # top-level aliases
    _s("torch_det", lambda t, a: t.det(_wellposed(t, a)), A(2, 3, 3, **U)),
    _s("tensor_det", lambda t, a: a.det(), A(3, 3, dtype=F64)),
    _s("torch_logdet", lambda t, a: t.logdet(_spd(t, a)), A(2, 3, 3)),
    # (NaN output: the gradient, zero, is compared with torch's, finite differences can't)
    _s("torch_logdet_negative", lambda t, a: t.logdet(
        _spd(t, a) * t.tensor([-1.0, 1.0, 1.0], dtype=a.dtype).unsqueeze(-1)), A(3, 3),
       gradcheck=False),
    _s("torch_logdet_zero", lambda t, a: t.logdet(_masked(t, a) * 0), A(3, 3), grad=False),
    _s("tensor_logdet_f64", lambda t, a: a.logdet(), A(2, 4, 4, dtype=F64)),
    _s("torch_inverse", lambda t, a: t.inverse(_wellposed(t, a)), A(3, 3, **U)),
    _s("tensor_inverse", lambda t, a: _wellposed(t, a).inverse(), A(2, 2, 2, dtype=F64, **U)),
    _s("torch_slogdet", lambda t, a: t.slogdet(a), A(2, 3, 3)),
    _s("tensor_slogdet", lambda t, a: a.slogdet(), A(3, 3, dtype=F64)),
    _s("torch_cholesky", lambda t, a: t.cholesky(_spd(t, a)), A(2, 3, 3)),
    _s("torch_cholesky_upper_f64", lambda t, a: t.cholesky(_spd(t, a), upper=True),
       A(4, 4, dtype=F64)),
    _s("tensor_cholesky", lambda t, a: _spd(t, a).cholesky(), A(3, 3)),
]


def _err(name, fn, match=None):
    return ErrorSpec("err/linalg_more/" + name, fn, match=match)


ERROR_SPECS = [
    _err("cross_ndim", lambda t: t.linalg.cross(t.ones(4, 1, 3), t.ones(5, 3)),
         r"^linalg\.cross: inputs must have the same number of dimensions\.$"),
    _err("cross_length", lambda t: t.linalg.cross(t.ones(4, 2), t.ones(4, 2)),
         r"^linalg\.cross: inputs dimension -1 must have length 3\. Got 2 and 2$"),
    _err("cross_dtype", lambda t: t.linalg.cross(t.ones(3), t.ones(3, dtype=t.float64)),
         "expected scalar type Float but found Double"),
    _err("cross_bool", lambda t: t.linalg.cross(t.ones(3, dtype=t.bool),
                                                t.ones(3, dtype=t.bool)),
         "\"cross\" not implemented for 'Bool'"),
    _err("cross_dim_range", lambda t: t.linalg.cross(t.ones(3), t.ones(3), dim=1)),
    _err("cross_broadcast", lambda t: t.linalg.cross(t.ones(2, 3), t.ones(4, 3))),
    _err("torch_cross_no_3", lambda t: t.cross(t.ones(2, 4), t.ones(2, 4))),
    _err("vecdot_dtype", lambda t: t.linalg.vecdot(t.ones(3), t.ones(3, dtype=t.float64)),
         r"^linalg\.vecdot: Expected x and y to have the same dtype, but found x of type "
         r"Float and y of type Double instead"),
    _err("vecdot_int", lambda t: t.linalg.vecdot(t.ones(3, dtype=t.int64),
                                                 t.ones(3, dtype=t.int64)),
         r"^linalg\.vecdot: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("matrix_power_not_square", lambda t: t.linalg.matrix_power(t.ones(2, 3), 2),
         r"^linalg\.matrix_power: A must be batches of square matrices, but they are 2 by 3 "
         r"matrices$"),
    _err("matrix_power_1d", lambda t: t.matrix_power(t.ones(3), 2),
         r"^linalg\.matrix_power: The input tensor A must have at least 2 dimensions\.$"),
    _err("matrix_power_int_negative",
         lambda t: t.linalg.matrix_power(t.ones(2, 2, dtype=t.int64), -1),
         r"^linalg\.inv: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("matrix_power_singular", lambda t: t.linalg.matrix_power(t.zeros(2, 2), -2),
         r"^linalg\.inv: The diagonal element 1 is zero"),
    _err("multi_dot_one", lambda t: t.linalg.multi_dot([t.ones(3, 3)]),
         r"^multi_dot\(\): expected at least 2 tensors but got 1$"),
    _err("multi_dot_3d_first", lambda t: t.linalg.multi_dot([t.ones(1, 3, 3), t.ones(3, 3)]),
         r"^multi_dot\(\): the first tensor must be 1D or 2D but got 3D$"),
    _err("multi_dot_middle_1d",
         lambda t: t.linalg.multi_dot([t.ones(3, 3), t.ones(3), t.ones(3, 3)]),
         r"^multi_dot\(\): tensor 1 must be 2D but got 1D$"),
    _err("multi_dot_dtype", lambda t: t.linalg.multi_dot([t.ones(3, 3),
                                                          t.ones(3, 3, dtype=t.float64)]),
         r"^multi_dot\(\): all tensors must have be the same dtype but tensor 0 is float and "
         r"tensor 1 double$"),
    _err("multi_dot_shapes", lambda t: t.linalg.multi_dot([t.ones(3, 2), t.ones(3, 3)]),
         r"^multi_dot\(\): tensors 0 and 1 with shapes \[3, 2\] and \[3, 3\] cannot be "
         r"multiplied$"),
    _err("vander_N1", lambda t: t.linalg.vander(t.ones(3), N=1), r"^N must be greater than 1\.$"),
    _err("vander_bool", lambda t: t.linalg.vander(t.ones(3, dtype=t.bool)),
         r"^linalg\.vander supports floating point, complex, and integer tensors, but got Bool$"),
    _err("vander_half", lambda t: t.linalg.vander(t.ones(3, dtype=t.float16))),
    _err("torch_vander_2d", lambda t: t.vander(t.ones(2, 2)),
         r"^x must be a one-dimensional tensor\.$"),
    _err("torch_vander_negative_N", lambda t: t.vander(t.ones(2), N=-1),
         r"^N must be non-negative\.$"),
    _err("matrix_exp_int", lambda t: t.linalg.matrix_exp(t.ones(2, 2, dtype=t.int64)),
         r"^linalg\.matrix_exp: Expected a floating point or complex tensor as input\. Got "
         r"Long$"),
    _err("matrix_exp_not_square", lambda t: t.linalg.matrix_exp(t.ones(2, 3)),
         r"^linalg\.matrix_exp: A must be batches of square matrices"),
    _err("matrix_rank_1d", lambda t: t.linalg.matrix_rank(t.ones(3)),
         r"The input tensor input must have at least 2 dimensions"),
    _err("matrix_rank_int", lambda t: t.linalg.matrix_rank(t.ones(2, 2, dtype=t.int64)),
         r"^This function doesn't handle types other than float and double$"),
    _err("pinv_int", lambda t: t.linalg.pinv(t.ones(2, 2, dtype=t.int64)),
         r"^linalg\.pinv\(Long\{\[2, 2\]\}\): expected a tensor with 2 or more dimensions of "
         r"float, double, cfloat or cdouble types$"),
    _err("pinverse_1d", lambda t: t.pinverse(t.ones(3)), r"^linalg\.pinv\(Float\{\[3\]\}\)"),
    _err("cond_bad_order", lambda t: t.linalg.cond(t.eye(3), 3),
         r"^linalg\.cond got an invalid norm type: 3"),
    _err("cond_bad_string", lambda t: t.linalg.cond(t.eye(3), "foo"),
         r"^linalg\.cond got an invalid norm type: foo$"),
    _err("cond_1d", lambda t: t.linalg.cond(t.ones(3)),
         r"The input tensor .* must have at least 2 dimensions"),
    _err("cond_1_not_square", lambda t: t.linalg.cond(t.ones(2, 3), 1),
         r"^linalg\.cond\(ord=1\): A must be batches of square matrices, but they are 2 by 3 "
         r"matrices$"),
    _err("cond_fro_not_square", lambda t: t.linalg.cond(t.ones(2, 3), "fro"),
         r"^linalg\.cond\(ord=fro\): A must be batches of square matrices"),
    _err("lstsq_driver", lambda t: t.linalg.lstsq(t.ones(3, 3), t.ones(3, 3), driver="foo"),
         r"^torch\.linalg\.lstsq: parameter `driver` should be one of \(gels, gelsy, gelsd, "
         r"gelss\)$"),
    _err("lstsq_rows", lambda t: t.linalg.lstsq(t.ones(3, 3), t.ones(4, 3)),
         r"^torch\.linalg\.lstsq: input\.size\(-2\) should match other\.size\(-2\)$"),
    _err("lstsq_dtype", lambda t: t.linalg.lstsq(t.ones(3, 3), t.ones(3, 3, dtype=t.float64)),
         r"^torch\.linalg\.lstsq: Expected input and other to have the same dtype, but got "
         r"input's dtype Float and other's dtype Double$"),
    _err("lstsq_1d", lambda t: t.linalg.lstsq(t.ones(3), t.ones(3)),
         r"^torch\.linalg\.lstsq: input must have at least 2 dimensions\.$"),
    _err("lstsq_vector_batch", lambda t: t.linalg.lstsq(t.ones(2, 5, 3), t.ones(5, 2))),
    _err("solve_triangular_1d_b",
         lambda t: t.linalg.solve_triangular(t.eye(3), t.ones(3), upper=True),
         r"^linalg\.solve_triangular: The input tensor B must have at least 2 dimensions\.$"),
    _err("solve_triangular_shapes",
         lambda t: t.linalg.solve_triangular(t.eye(3), t.ones(4, 2), upper=True),
         r"^linalg\.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
         r"\(3x3 and 4x2\)$"),
    _err("solve_triangular_int", lambda t: t.linalg.solve_triangular(
        t.eye(3, dtype=t.int64), t.ones(3, 2, dtype=t.int64), upper=True),
         "\"triangular_solve_cpu\" not implemented for 'Long'"),
    _err("solve_triangular_no_upper", lambda t: t.linalg.solve_triangular(t.eye(2), t.ones(2, 2))),
    _err("triangular_solve_1d", lambda t: t.triangular_solve(t.ones(3), t.eye(3)),
         r"^torch\.triangular_solve: Expected b to have at least 2 dimensions, but it has 1 "
         r"dimensions instead$"),
    _err("cholesky_solve_1d", lambda t: t.cholesky_solve(t.ones(3), t.eye(3)),
         r"^b should have at least 2 dimensions, but has 1 dimensions instead$"),
    _err("cholesky_inverse_1d", lambda t: t.cholesky_inverse(t.ones(3)),
         r"^cholesky_inverse: The input tensor A must have at least 2 dimensions\.$"),
    _err("inv_ex_check_errors", lambda t: t.linalg.inv_ex(t.zeros(2, 2), check_errors=True),
         r"^linalg\.inv_ex: The diagonal element 1 is zero, the inversion could not be "
         r"completed because the input matrix is singular\.$"),
    _err("cholesky_ex_check_errors",
         lambda t: t.linalg.cholesky_ex(-t.eye(2), check_errors=True),
         r"^linalg\.cholesky_ex: The factorization could not be completed because the input "
         r"is not positive-definite \(the leading minor of order 1 is not positive-definite\)"
         r"\.$"),
    _err("lu_factor_singular", lambda t: t.linalg.lu_factor(t.zeros(2, 2)),
         r"^torch\.linalg\.lu_factor: U\[1,1\] is zero and using it on lu_solve would result "
         r"in a division by zero\."),
    _err("lu_factor_singular_batch", lambda t: t.linalg.lu_factor(
        t.stack([t.eye(2), t.zeros(2, 2)])),
         r"^torch\.linalg\.lu_factor: \(Batch element 1\): U\[1,1\] is zero"),
    _err("lu_factor_ex_check_errors", lambda t: t.linalg.lu_factor_ex(t.zeros(2, 2, 2),
                                                                      check_errors=True),
         r"^torch\.linalg\.lu_factor_ex: \(Batch element 0\): U\[1,1\] is zero"),
    _err("lu_factor_1d", lambda t: t.linalg.lu_factor(t.ones(2)),
         r"^torch\.lu_factor: Expected tensor with 2 or more dimensions\. Got size: \[2\] "
         r"instead$"),
    _err("lu_solve_1d", lambda t: t.linalg.lu_solve(*t.linalg.lu_factor(t.eye(3)), t.ones(3)),
         r"^linalg\.lu_solve: The input tensor B must have at least 2 dimensions\.$"),
    _err("lu_int", lambda t: t.linalg.lu(t.ones(2, 2, dtype=t.int64)),
         "\"lu_cpu\" not implemented for 'Long'"),
    _err("tensorinv_shape", lambda t: t.linalg.tensorinv(t.ones(2, 3), ind=1),
         r"^Expected self to satisfy the requirement prod\(self\.shape\[ind:\]\) == "
         r"prod\(self\.shape\[:ind\]\), but got 3 != 2$"),
    _err("tensorinv_ind", lambda t: t.linalg.tensorinv(t.ones(4, 2, 2), ind=0),
         r"^Expected a strictly positive integer for 'ind', but got 0$"),
    _err("tensorinv_singular", lambda t: t.linalg.tensorinv(t.zeros(4, 2, 2), ind=1),
         r"^inv: The diagonal element 1 is zero"),
    _err("tensorsolve_shape", lambda t: t.linalg.tensorsolve(t.ones(2, 3, 4), t.ones(2, 3)),
         r"but got 4 != 6$"),
    _err("logdet_int", lambda t: t.logdet(t.ones(2, 2, dtype=t.int64)),
         r"^logdet: Expected a floating point or complex tensor as input\. Got Long$"),
    _err("logdet_not_square", lambda t: t.logdet(t.ones(2, 3)),
         r"^logdet: A must be batches of square matrices, but they are 2 by 3 matrices$"),
    _err("torch_cholesky_not_pd", lambda t: t.cholesky(-t.eye(2)),
         r"^cholesky: The factorization could not be completed because the input is not "
         r"positive-definite \(the leading minor of order 1 is not positive-definite\)\.$"),
    _err("torch_cholesky_1d", lambda t: t.cholesky(t.ones(3)),
         r"^cholesky: The input tensor A must have at least 2 dimensions\.$"),
    _err("torch_cholesky_int", lambda t: t.cholesky(t.eye(2, dtype=t.int64)),
         "\"cholesky_cpu\" not implemented for 'Long'"),
    _err("torch_inverse_singular", lambda t: t.inverse(t.zeros(3, 3)),
         r"^linalg\.inv: The diagonal element 1 is zero"),
]

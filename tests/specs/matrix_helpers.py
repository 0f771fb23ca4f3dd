"""Specs for the matrix helpers (torchlet/_ops/linalg/matrix_helpers.py, distances.py,
integration.py): trace, kron, diag_embed, diagflat, rot90, block_diag, chain_matmul,
addmv, addr, addbmm, cdist, dist, renorm, trapezoid/trapz, cumulative_trapezoid, cov,
corrcoef; functions, methods and in-place methods.

Bit-exact (forward and gradient): trace (torch adds the diagonal one element after another
in float64 for float32, float32 for float16: so does torchlet), kron (one multiplication
per element), diag_embed, diagflat, rot90, block_diag (copies), addr with alpha = beta = 1
(the kernel's elementwise (alpha * u) * v + beta * s), trapezoid/cumulative_trapezoid with
integer inputs of few elements.

Within float rounding: everything that goes through a matrix product or a reduction whose
order torch's BLAS or vectorised kernel chooses (addmv, addbmm, chain_matmul, cov, corrcoef,
dist, renorm's norm, trapezoid's sum, cdist's matrix-product path) and cdist's direct path
(torch may contract the column loop into fused multiply-adds): float32 rtol 1e-5 or so.

cdist: torch's own backward of the direct path (CdistBackward0) cannot be differentiated
again (``_cdist_backward`` is not_implemented in derivatives.yaml), nor can torchlet's
(tests/test_norms19.py). The matrix-product path (P or R > 25 rows, p = 2) is a separate
spec, as is the zero-distance subgradient (repeated rows give gradient 0 there).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
F16 = "float16"
I64 = "int64"

EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0)
SUMMED = dict(exact=True, grad_rtol=1e-6, grad_atol=1e-6)
ROUND = dict(rtol=1e-5, atol=1e-5, grad_rtol=1e-5, grad_atol=1e-5)
NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)


def N(*shape, dtype=I64, low=-5, high=6):  # noqa: N802 - an integer input
    return A(*shape, dtype=dtype, kind="int", low=low, high=high)


def _name(n):
    return f"matrix_helpers/{n}"


SPECS = [
    # trace
    Spec(_name("trace"), lambda t, x: t.trace(x), (A(5, 7),), **EXACT),
    Spec(_name("trace/f64"), lambda t, x: t.trace(x), (A(6, 4, dtype=F64),), **EXACT),
    Spec(_name("trace/f16"), lambda t, x: t.trace(x), (A(9, 9, dtype=F16),), **EXACT,
         **NO_GRADCHECK),
    Spec(_name("trace/method"), lambda t, x: x.trace(), (A(4, 4),), **EXACT),
    Spec(_name("trace/int"), lambda t, x: t.trace(x), (N(4, 4, dtype="int32"),), exact=True),
    Spec(_name("trace/empty"), lambda t, x: t.trace(x), (A(0, 3),), **EXACT),

    # kron
    Spec(_name("kron"), lambda t, a, b: t.kron(a, b), (A(2, 3), A(4, 2)), **SUMMED),
    Spec(_name("kron/ndim"), lambda t, a, b: t.kron(a, b), (A(3,), A(2, 2, 2)), **SUMMED),
    Spec(_name("kron/method_f64"), lambda t, a, b: a.kron(b), (A(2, 2, dtype=F64), A(3, 1)),
         **SUMMED),
    Spec(_name("kron/int_float"), lambda t, a, b: t.kron(a, b), (N(2, 2), A(2, 3)), **SUMMED),
    Spec(_name("kron/bool"), lambda t, a, b: t.kron(a, b),
         (A(3, dtype="bool", kind="bool"), A(2, dtype="bool", kind="bool")), exact=True),

    # diag_embed, diagflat
    Spec(_name("diag_embed"), lambda t, x: t.diag_embed(x), (A(3, 4),), **EXACT),
    Spec(_name("diag_embed/offset_dims"), lambda t, x: t.diag_embed(x, -2, 0, 2),
         (A(3, 4),), **EXACT),
    Spec(_name("diag_embed/swapped"), lambda t, x: x.diag_embed(1, -1, 1), (A(2, 3, 2),),
         **EXACT),
    Spec(_name("diag_embed/int"), lambda t, x: t.diag_embed(x, 1), (N(2, 3),), exact=True),
    Spec(_name("diagflat"), lambda t, x: t.diagflat(x), (A(2, 3),), **EXACT),
    Spec(_name("diagflat/offset"), lambda t, x: x.diagflat(-1), (A(4, dtype=F64),), **EXACT),
    Spec(_name("diagflat/scalar"), lambda t, x: t.diagflat(x, 2), (A(),), **EXACT),

    # rot90
    *[Spec(_name(f"rot90/k{k}"), lambda t, x, k=k: t.rot90(x, k), (A(3, 4),),
           **EXACT) for k in (-1, 0, 1, 2, 3, 5)],
    Spec(_name("rot90/dims"), lambda t, x: x.rot90(1, [2, -3]), (A(2, 3, 4),), **EXACT),
    Spec(_name("rot90/contiguous"), lambda t, x: t.rot90(x).contiguous().view(-1),
         (A(3, 4),), **EXACT),
    Spec(_name("rot90/int"), lambda t, x: t.rot90(x, 3, (1, 0)), (N(3, 2),), exact=True),

    # block_diag
    Spec(_name("block_diag"), lambda t, a, b, c: t.block_diag(a, b, c),
         (A(2, 3), A(4,), A()), **EXACT),
    Spec(_name("block_diag/mixed"), lambda t, a, b, c: t.block_diag(a, b, c),
         (A(2, 2), N(3,), A(dtype=F64)), **EXACT),
    Spec(_name("block_diag/f64_f32"), lambda t, a, b: t.block_diag(a, b),
         (A(2, 2), A(1, 3, dtype=F64)), **EXACT),
    Spec(_name("block_diag/empty"), lambda t, a, b: t.block_diag(a, b), (A(0, 3), A(2, 2)),
         **EXACT),

    # chain_matmul (warns once; torch's warning is checked in tests/test_matrix_helpers.py)
    Spec(_name("chain_matmul/one"), lambda t, a: t.chain_matmul(a), (A(3, 4),), **EXACT),
    Spec(_name("chain_matmul/two"), lambda t, a, b: t.chain_matmul(a, b),
         (A(3, 4), A(4, 2)), **ROUND),
    Spec(_name("chain_matmul/three"), lambda t, a, b, c: t.chain_matmul(a, b, c),
         (A(3, 8), A(8, 2), A(2, 6)), **ROUND),
    Spec(_name("chain_matmul/five"), lambda t, a, b, c, d, e: t.chain_matmul(a, b, c, d, e),
         (A(2, 7), A(7, 3), A(3, 9), A(9, 1), A(1, 4)), **ROUND),

    # addmv, addr, addbmm
    Spec(_name("addmv"), lambda t, s, m, v: t.addmv(s, m, v), (A(3), A(3, 5), A(5)), **ROUND),
    Spec(_name("addmv/scaled"), lambda t, s, m, v: t.addmv(s, m, v, beta=0.5, alpha=-2),
         (A(1), A(3, 5, dtype="float32"), A(5)), **ROUND),
    Spec(_name("addmv/f64_method"), lambda t, s, m, v: s.addmv(m, v, alpha=3),
         (A(4, dtype=F64), A(4, 2, dtype=F64), A(2, dtype=F64)), rtol=1e-12, atol=1e-12,
         grad_rtol=1e-12, grad_atol=1e-12),
    Spec(_name("addmv/inplace"), lambda t, s, m, v: (s * 1).addmv_(m, v, beta=2),
         (A(3), A(3, 5), A(5)), **ROUND),
    Spec(_name("addmv/int"), lambda t, s, m, v: t.addmv(s, m, v, beta=2),
         (N(3), N(3, 4), N(4)), exact=True),
    Spec(_name("addr"), lambda t, s, u, v: t.addr(s, u, v), (A(3, 4), A(3), A(4)), **SUMMED),
    Spec(_name("addr/scaled"), lambda t, s, u, v: t.addr(s, u, v, beta=0.5, alpha=-1.5),
         (A(4), A(3), A(4)), **ROUND),
    Spec(_name("addr/beta0"), lambda t, s, u, v: s.addr(u, v, beta=0),
         (A(3, 4), A(3), A(4)), **ROUND),
    Spec(_name("addr/inplace"), lambda t, s, u, v: (s * 1).addr_(u, v, alpha=2),
         (A(3, 4), A(3), A(4)), **ROUND),
    Spec(_name("addr/mixed"), lambda t, s, u, v: t.addr(s, u, v), (N(3, 4), A(3), A(4)),
         **SUMMED),
    Spec(_name("addr/bool"), lambda t, s, u, v: t.addr(s, u, v),
         (A(3, 4, dtype="bool", kind="bool"), A(3, dtype="bool", kind="bool"),
          A(4, dtype="bool", kind="bool")), exact=True),
    Spec(_name("addbmm"), lambda t, s, a, b: t.addbmm(s, a, b), (A(3, 4), A(5, 3, 6),
                                                               A(5, 6, 4)), **ROUND),
    Spec(_name("addbmm/scaled_bcast"), lambda t, s, a, b: t.addbmm(s, a, b, beta=-1,
                                                                   alpha=0.25),
         (A(4), A(2, 3, 6), A(2, 6, 4)), **ROUND),
    Spec(_name("addbmm/inplace"), lambda t, s, a, b: (s * 1).addbmm_(a, b),
         (A(3, 4), A(2, 3, 5), A(2, 5, 4)), **ROUND),
    Spec(_name("addbmm/int"), lambda t, s, a, b: s.addbmm(a, b),
         (N(3, 4), N(2, 3, 5), N(2, 5, 4)), exact=True),

    # cdist: direct path (rows <= 25), matrix-product path, zero distances, batches
    *[Spec(_name(f"cdist/p{p}"), lambda t, a, b, p=p: t.cdist(a, b, p=p),
           (A(4, 5), A(6, 5)), rtol=2e-6, atol=1e-6, grad_rtol=1e-5, grad_atol=1e-5,
           gradgradcheck=False)
      for p in (0.0, 1.0, 1.5, 2.0, 3.0, float("inf"))],
    Spec(_name("cdist/f64"), lambda t, a, b: t.cdist(a, b), (A(3, 4, dtype=F64),
                                                             A(5, 4, dtype=F64)),
         rtol=1e-13, atol=1e-13, grad_rtol=1e-12, grad_atol=1e-12, gradgradcheck=False),
    Spec(_name("cdist/batch"), lambda t, a, b: t.cdist(a, b, p=1),
         (A(2, 1, 3, 4), A(3, 5, 4)), rtol=2e-6, atol=1e-6, gradgradcheck=False),
    Spec(_name("cdist/mm"), lambda t, a, b: t.cdist(a, b), (A(30, 3), A(4, 3)),
         rtol=1e-4, atol=1e-4, grad_rtol=1e-3, grad_atol=1e-3),
    Spec(_name("cdist/mm_forced"), lambda t, a, b: t.cdist(a, b,
                                                           compute_mode="use_mm_for_euclid_dist"),
         (A(3, 3, dtype=F64), A(4, 3, dtype=F64)), rtol=1e-10, atol=1e-10),
    Spec(_name("cdist/mm_batch"), lambda t, a, b: t.cdist(a, b), (A(2, 27, 3), A(1, 4, 3)),
         rtol=1e-4, atol=1e-4, grad_rtol=1e-3, grad_atol=1e-3),
    Spec(_name("cdist/no_mm"), lambda t, a, b: t.cdist(
        a, b, compute_mode="donot_use_mm_for_euclid_dist"), (A(30, 3), A(4, 3)),
         rtol=2e-6, atol=1e-6, gradgradcheck=False),
    Spec(_name("cdist/zero_distance"), lambda t, a: t.cdist(a, a), (A(4, 3),),
         rtol=2e-6, atol=1e-6, **NO_GRADCHECK),
    Spec(_name("cdist/zero_distance_p3"), lambda t, a: t.cdist(a, a, p=3), (A(4, 3),),
         rtol=2e-6, atol=1e-6, **NO_GRADCHECK),
    Spec(_name("cdist/empty"), lambda t, a, b: t.cdist(a, b), (A(0, 3), A(2, 3)),
         **EXACT, **NO_GRADCHECK),

    # dist, renorm
    *[Spec(_name(f"dist/p{p}"), lambda t, a, b, p=p: t.dist(a, b, p),
           (A(3, 4), A(4)), **ROUND) for p in (1, 2, 3, 0.5, float("inf"))],
    # p = 0 counts nonzeros: torch's backward returns an undefined gradient, which its
    # engine then rejects, so only the forward is compared
    Spec(_name("dist/p0"), lambda t, a, b: t.dist(a, b, 0), (A(3, 4), A(4)), exact=True,
         grad=False),
    Spec(_name("dist/method_f64"), lambda t, a, b: a.dist(b), (A(3, 4, dtype=F64), A(3, 4)),
         rtol=1e-12, atol=1e-12),
    Spec(_name("dist/f16"), lambda t, a, b: t.dist(a, b), (A(3, 4, dtype=F16),
                                                           A(3, 4, dtype=F16)),
         rtol=1e-3, atol=1e-3, grad_rtol=1e-3, grad_atol=1e-3, **NO_GRADCHECK),
    Spec(_name("renorm"), lambda t, x: t.renorm(x, 2, 0, 1.5), (A(4, 5),), **ROUND),
    Spec(_name("renorm/dim_p1"), lambda t, x: x.renorm(1, -1, 3.0), (A(3, 2, 4),), **ROUND),
    Spec(_name("renorm/p3_f64"), lambda t, x: t.renorm(x, 3, 1, 1.0), (A(3, 4, dtype=F64),),
         rtol=1e-12, atol=1e-12),
    Spec(_name("renorm/inplace"), lambda t, x: (x * 1).renorm_(2, 1, 1.0), (A(3, 4),),
         **ROUND),
    Spec(_name("renorm/f16"), lambda t, x: t.renorm(x, 2, 0, 1.0), (A(3, 4, dtype=F16),),
         rtol=1e-3, atol=1e-3, grad_rtol=1e-3, grad_atol=1e-3, **NO_GRADCHECK),

    # trapezoid, trapz, cumulative_trapezoid
    Spec(_name("trapezoid"), lambda t, y: t.trapezoid(y), (A(3, 6),), **ROUND),
    Spec(_name("trapezoid/dx_dim"), lambda t, y: t.trapezoid(y, dx=0.5, dim=0),
         (A(5, 3),), **ROUND),
    Spec(_name("trapezoid/x"), lambda t, y, x: t.trapezoid(y, x), (A(3, 6), A(6)), **ROUND),
    Spec(_name("trapezoid/x_nd"), lambda t, y, x: t.trapezoid(y, x, dim=0),
         (A(4, 3), A(4, 3)), **ROUND),
    Spec(_name("trapezoid/int"), lambda t, y: t.trapezoid(y, dx=2), (N(3, 5),), exact=True),
    Spec(_name("trapezoid/empty"), lambda t, y: t.trapezoid(y), (A(3, 0),), exact=True),
    Spec(_name("trapz"), lambda t, y, x: t.trapz(y, x), (A(2, 5), A(5)), **ROUND),
    Spec(_name("trapz/dx"), lambda t, y: t.trapz(y, dx=3), (A(2, 5, dtype=F64),),
         rtol=1e-12, atol=1e-12),
    Spec(_name("cumulative_trapezoid"), lambda t, y: t.cumulative_trapezoid(y), (A(3, 6),),
         **ROUND),
    Spec(_name("cumulative_trapezoid/x"), lambda t, y, x: t.cumulative_trapezoid(y, x, dim=0),
         (A(5, 2), A(5)), **ROUND),
    Spec(_name("cumulative_trapezoid/dx_int"), lambda t, y: t.cumulative_trapezoid(y, dx=2),
         (N(2, 4),), exact=True),

    # cov, corrcoef
    Spec(_name("cov"), lambda t, x: t.cov(x), (A(3, 7),), **ROUND),
    Spec(_name("cov/method_correction"), lambda t, x: x.cov(correction=0), (A(2, 5),),
         **ROUND),
    Spec(_name("cov/vector"), lambda t, x: t.cov(x), (A(6),), **ROUND),
    Spec(_name("cov/fweights"), lambda t, x, f: t.cov(x, fweights=f),
         (A(3, 5), N(5, low=0, high=4)), **ROUND),
    Spec(_name("cov/aweights"), lambda t, x, a: t.cov(x, aweights=a.abs()),
         (A(3, 5), A(5)), **ROUND),
    Spec(_name("cov/both_f64"), lambda t, x, f, a: t.cov(x, fweights=f, aweights=a.abs()),
         (A(2, 6, dtype=F64), N(6, low=1, high=4), A(6, dtype=F64)), rtol=1e-12,
         atol=1e-12, grad_rtol=1e-10, grad_atol=1e-10),
    Spec(_name("cov/int"), lambda t, x: t.cov(x), (N(3, 5),), **ROUND),
    Spec(_name("corrcoef"), lambda t, x: t.corrcoef(x), (A(3, 8),), **ROUND),
    Spec(_name("corrcoef/method_f64"), lambda t, x: x.corrcoef(), (A(4, 6, dtype=F64),),
         rtol=1e-12, atol=1e-12, grad_rtol=1e-10, grad_atol=1e-10),
    Spec(_name("corrcoef/vector"), lambda t, x: t.corrcoef(x), (A(5),), **ROUND),
]


def _err(name, fn, match=None):
    return ErrorSpec(_name(f"error/{name}"), fn, match)


ERROR_SPECS = [
    _err("trace_3d", lambda t: t.trace(t.ones(2, 2, 2)), "expected a matrix"),
    _err("trace_bool", lambda t: t.trace(t.ones(2, 2, dtype=t.bool)), "Bool"),
    _err("kron_number", lambda t: t.kron(t.ones(2), 2), "must be Tensor"),
    _err("diag_embed_same", lambda t: t.diag_embed(t.ones(3, 4), 0, 1, 1), "identical"),
    _err("diag_embed_range", lambda t: t.diag_embed(t.ones(3, 4), 0, 0, 3), "out of range"),
    _err("rot90_1d", lambda t: t.rot90(t.ones(3)), "total dims >= 2"),
    _err("rot90_three_dims", lambda t: t.rot90(t.ones(3, 3), 1, [0, 1, 0]), "== 2"),
    _err("rot90_same", lambda t: t.rot90(t.ones(3, 3), 1, [0, -2]), "different"),
    _err("rot90_range", lambda t: t.rot90(t.ones(3, 3), 1, [0, 2]), "out of range"),
    _err("block_diag_3d", lambda t: t.block_diag(t.ones(2, 2), t.ones(1, 1, 1)),
         "2 or fewer dimensions"),
    _err("chain_matmul_none", lambda t: t.chain_matmul(), "one or more"),
    _err("chain_matmul_1d", lambda t: t.chain_matmul(t.ones(2, 2), t.ones(2)), "expected 2"),
    _err("chain_matmul_shapes", lambda t: t.chain_matmul(t.ones(2, 3), t.ones(2, 3)),
         "cannot be multiplied"),
    _err("chain_matmul_dtypes", lambda t: t.chain_matmul(
        t.ones(2, 2), t.ones(2, 2, dtype=t.float64)), "same dtype"),
    _err("addmv_shapes", lambda t: t.addmv(t.ones(3), t.ones(3, 4), t.ones(3)),
         "size mismatch"),
    _err("addmv_self", lambda t: t.addmv(t.ones(2), t.ones(3, 4), t.ones(4)), "size mismatch"),
    _err("addmv_2d", lambda t: t.addmv(t.ones(3), t.ones(3, 4), t.ones(4, 4)), "expected"),
    _err("addmv_dtypes", lambda t: t.addmv(t.ones(3, dtype=t.float64), t.ones(3, 4),
                                           t.ones(4)), "same dtype"),
    _err("addmv_bool", lambda t: t.addmv(*(t.ones(*s, dtype=t.bool) for s in ((3,), (3, 4),
                                                                            (4,)))), "Bool"),
    _err("addr_2d", lambda t: t.addr(t.ones(3, 4), t.ones(3, 4), t.ones(4)), "1-D"),
    _err("addr_expand", lambda t: t.addr(t.ones(2, 2), t.ones(3), t.ones(4)), "expanded"),
    _err("addr_bool_beta", lambda t: t.addr(t.ones(3, 4), t.ones(3), t.ones(4), beta=True),
         "Boolean beta"),
    _err("addr_int_alpha", lambda t: t.addr(*(t.ones(*s, dtype=t.int64) for s in
                                              ((3, 4), (3,), (4,))), alpha=0.5),
         "floating point"),
    _err("addbmm_batches", lambda t: t.addbmm(t.ones(3, 4), t.ones(2, 3, 5), t.ones(3, 5, 4)),
         "same number of batches"),
    _err("addbmm_inner", lambda t: t.addbmm(t.ones(3, 4), t.ones(2, 3, 5), t.ones(2, 6, 4)),
         "Incompatible"),
    _err("addbmm_2d", lambda t: t.addbmm(t.ones(3, 4), t.ones(3, 5), t.ones(5, 4)),
         "out of range"),
    _err("addbmm_dtypes", lambda t: t.addbmm(t.ones(3, 4, dtype=t.float64), t.ones(2, 3, 5),
                                             t.ones(2, 5, 4)), "same dtype"),
    _err("cdist_1d", lambda t: t.cdist(t.ones(3), t.ones(3)), "at least 2D"),
    _err("cdist_columns", lambda t: t.cdist(t.ones(3, 4), t.ones(2, 3)), "number of columns"),
    _err("cdist_int", lambda t: t.cdist(t.ones(3, 4, dtype=t.int64),
                                        t.ones(3, 4, dtype=t.int64)), "floating-point"),
    _err("cdist_negative_p", lambda t: t.cdist(t.ones(3, 4), t.ones(3, 4), p=-1), "non-neg"),
    _err("cdist_mode", lambda t: t.cdist(t.ones(3, 4), t.ones(3, 4), compute_mode="x"),
         "not a valid value"),
    _err("cdist_half", lambda t: t.cdist(t.ones(3, 4, dtype=t.float16),
                                         t.ones(3, 4, dtype=t.float16)), "Half"),
    _err("cdist_dtypes", lambda t: t.cdist(t.ones(3, 4), t.ones(3, 4, dtype=t.float64)),
         "expected scalar type"),
    _err("dist_int", lambda t: t.dist(t.ones(3, dtype=t.int64), t.ones(3, dtype=t.int64)),
         "floating point"),
    _err("dist_broadcast", lambda t: t.dist(t.ones(3, 4), t.ones(3)), "must match"),
    _err("renorm_p0", lambda t: t.renorm(t.ones(3, 4), 0, 0, 1.0), "non-positive"),
    _err("renorm_maxnorm", lambda t: t.renorm(t.ones(3, 4), 2, 0, -1.0), "maxnorm"),
    _err("renorm_1d", lambda t: t.renorm(t.ones(3), 2, 0, 1.0), "at least 2 dimensions"),
    _err("renorm_int", lambda t: t.renorm(t.ones(3, 4, dtype=t.int64), 2, 0, 1.0),
         "floating point"),
    _err("trapezoid_bool", lambda t: t.trapezoid(t.ones(3, dtype=t.bool)), "bool"),
    _err("trapezoid_both", lambda t: t.trapezoid(t.ones(3), t.ones(3), dx=2),
         "invalid combination"),
    _err("trapezoid_x_length", lambda t: t.trapezoid(t.ones(3, 4), t.ones(3)),
         "one `x` value"),
    _err("trapezoid_0d", lambda t: t.trapezoid(t.tensor(1.0)), "no dimensions"),
    _err("cumulative_trapezoid_bool", lambda t: t.cumulative_trapezoid(
        t.ones(3, dtype=t.bool)), "bool"),
    _err("cov_3d", lambda t: t.cov(t.ones(2, 2, 2)), "two or fewer"),
    _err("cov_bool", lambda t: t.cov(t.ones(2, 2, dtype=t.bool)), "bool"),
    _err("cov_fweights_float", lambda t: t.cov(t.ones(2, 3), fweights=t.ones(3)), "integral"),
    _err("cov_aweights_int", lambda t: t.cov(t.ones(2, 3), aweights=t.ones(3, dtype=t.int64)),
         "floating point"),
    _err("cov_weights_numel", lambda t: t.cov(t.ones(2, 3), aweights=t.ones(4)), "numel"),
    _err("cov_negative", lambda t: t.cov(t.ones(2, 3), fweights=t.tensor([1, -1, 2])),
         "negative"),
    _err("cov_zero_sum", lambda t: t.cov(t.ones(2, 3), fweights=t.tensor([0, 0, 0])),
         "sum to zero"),
    _err("corrcoef_3d", lambda t: t.corrcoef(t.ones(2, 2, 2)), "two or fewer"),
]

"""The legacy top-level factorisations torch 2.13 still has: torch.qr, torch.svd, torch.lu,
torch.lu_unpack; the functions torch removed in 1.9 (lstsq, solve, symeig, eig,
matrix_rank), which raise torch's RuntimeError; and torch.linalg.eig / eigvals, which need
complex tensors that torchlet does not have.

torch.qr(A, some) is linalg.qr(A, 'reduced' if some else 'complete'); torch.svd returns
V = Vh^T (not Vh) and, with compute_uv=False, zero-filled U (m x m) and V (n x n) as torch
does; torch.lu is linalg.lu_factor_ex. Their values are those of the linalg functions they
call (see decompositions.py, lu.py). lu_unpack's L and U are exact (a copy of LU's
triangles); P is an exact permutation matrix.

lu_unpack's gradient (LuUnpackBackward0):  gLU = tril(gL, -1) + triu(gU), each padded with
zeros to LU's shape when LU is not square.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import _out_tuple, out_dtype_must_match
from torchlet._ops.shape.joins import cat
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg import _return_types as rt
from torchlet.linalg._common import check_float, row_major
from torchlet.linalg.decompositions import Svd, Svdvals, _no_int
from torchlet.linalg.decompositions import qr as _linalg_qr
from torchlet.linalg.lu import _p_matrix, lu_factor_ex


def _check_tensor(fn: str, x, arg: str = "input", position: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type_name(x)}")


# ---------------------------------------------------------------------------------------
# torch.qr, torch.svd


_QR_WARNING = (
    "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
    "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
    "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
    "torch.linalg.qr(A, 'reduced' if some else 'complete')"
)


def qr(input, some=True, *, out=None):  # noqa: A002
    """torch.qr (deprecated, with torch's warning): linalg.qr in mode 'reduced' (some=True)
    or 'complete', as ``torch.return_types.qr(Q, R)``."""
    if out is not None:
        return _out_tuple(qr(input, some), out, "linalg_qr", out_dtype_must_match)
    _check_tensor("qr", input)
    warnings.warn(_QR_WARNING, UserWarning, stacklevel=2)
    q, r = _linalg_qr(input, "reduced" if some else "complete")
    return rt.qr((q, r))


def svd(input, some=True, compute_uv=True, *, out=None):  # noqa: A002
    """torch.svd: (U, S, V) with input = U diag(S) V^T (V, not linalg.svd's Vh); some=False
    gives square U and V; compute_uv=False gives S and zero-filled square U and V."""
    if out is not None:
        return _out_tuple(svd(input, some, compute_uv), out, "_linalg_svd", out_dtype_must_match)
    _check_tensor("svd", input)
    a = input._data
    if a.ndim < 2:
        raise RuntimeError("linalg.svd: input should have at least 2 dimensions, but has "
                           f"{a.ndim} dimensions instead")
    check_float("svd", input)
    _no_int("linalg_svd_cpu", a)
    if not compute_uv:
        m, n = a.shape[-2:]
        s = Svdvals.apply(input)
        u = wrap(np.zeros(a.shape[:-2] + (m, m), a.dtype))
        v = wrap(np.zeros(a.shape[:-2] + (n, n), a.dtype))
        return rt.svd((u, s, v))
    u, s, vh = Svd.apply(input, full_matrices=not some)
    return rt.svd((u, s, vh.mT))


# ---------------------------------------------------------------------------------------
# torch.lu, torch.lu_unpack


_LU_WARNING = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex "
    "and will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, "
    "compute_pivots)\nshould be replaced with\nLU, pivots = torch.linalg.lu_factor(A, "
    "compute_pivots)\nand\nLU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\n"
    "should be replaced with\nLU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)"
)


def lu(A, pivot=True, get_infos=False, out=None):  # noqa: N803
    """torch.lu (deprecated, with torch's warning): linalg.lu_factor_ex's (LU, pivots), a
    plain tuple, or ``torch.return_types._lu_with_info(LU, pivots, info)`` with get_infos.
    Like torch's, it does not raise for a singular matrix."""
    if out is not None:
        return _lu_out(lu(A, pivot, get_infos), out)
    _check_tensor("_lu_with_info", A)
    if A._data.ndim < 2:
        raise RuntimeError("torch.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A._data.shape)} instead")
    warnings.warn(_LU_WARNING, UserWarning, stacklevel=2)
    factors, pivots, info = lu_factor_ex(A, pivot=pivot)
    if get_infos:
        return rt.lu_with_info((factors, pivots, info))
    return factors, pivots


def _lu_out(results: tuple, out) -> tuple:
    """torch.lu's out=, written in Python by torch: each out is resized and copied into
    (any dtype, no autograd check but resize_'s), and the answer is a plain tuple."""
    if len(out) != len(results):
        raise TypeError(f"expected tuple of {len(results)} elements but got {len(out)}")
    for target, result in zip(out, results, strict=True):
        if target.requires_grad and target.shape != result.shape:
            raise RuntimeError("cannot resize variables that require grad")
    return _out_tuple(tuple(r.detach() for r in results), out, "lu", grad_check="none",
                      warn_resize=False)


class LuUnpack(Primitive):
    """(L, U) from the packed LU: L = tril(LU, -1)[:, :k] + I, U = triu(LU)[:k];
    gLU = tril(gL, -1) + triu(gU), padded to LU's shape (empty outputs: gLU = 0)."""

    node_name = "LuUnpackBackward0"

    @staticmethod
    def forward(ctx, lu, *, unpack_data):
        ctx.shape, ctx.unpack_data = lu.shape, unpack_data
        if not unpack_data:
            empty = np.empty((0,), lu.dtype)
            return empty, empty.copy()
        m, n = lu.shape[-2:]
        k = min(m, n)
        lower = np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype)
        return row_major(lower), row_major(np.triu(lu[..., :k, :]))

    @staticmethod
    def backward(ctx, grad_l, grad_u):
        if not ctx.unpack_data:
            dtype = (grad_l if grad_l is not None else grad_u)._data.dtype
            return wrap(np.zeros(ctx.shape, dtype))
        m, n = ctx.shape[-2:]
        k = min(m, n)
        grad = None
        if grad_l is not None:
            grad = grad_l.tril(-1)
            if n > k:
                grad = cat([grad, grad.new_zeros((*grad.shape[:-1], n - k))], -1)
        if grad_u is not None:
            upper = grad_u.triu()
            if m > k:
                upper = cat([upper, upper.new_zeros((*upper.shape[:-2], m - k, n))], -2)
            grad = upper if grad is None else grad + upper
        return grad


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):  # noqa: N803
    """torch.lu_unpack: (P, L, U) with A = P L U from lu_factor's (LU, pivots); P is
    empty when unpack_pivots=False, L and U when unpack_data=False."""
    if out is not None:
        return _out_tuple(lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots), out,
                          "lu_unpack", out_dtype_must_match)
    _check_tensor("lu_unpack", LU_data, "LU_data")
    _check_tensor("lu_unpack", LU_pivots, "LU_pivots", 2)
    lu_array, pivots = LU_data._data, LU_pivots._data
    if lu_array.ndim < 2:
        raise RuntimeError("torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(lu_array.shape)} instead")
    m = lu_array.shape[-2]
    if unpack_pivots:
        if pivots.dtype != np.int32:
            raise RuntimeError(
                "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                "torch.int32 dtype.\nNote: this function is intended to be used with the "
                "output produced by torch.linalg.lu_factor")
        if pivots.size and (pivots.min() < 1 or pivots.max() > m):
            raise RuntimeError(
                "pivots passed to lu_unpack must be between 1 and LU.size(-2) inclusive."
                "Did you properly pass the result of lu_factor?")
        p = wrap(_p_matrix(pivots, m, lu_array.dtype))
    else:
        p = wrap(np.empty((0,), lu_array.dtype))
    lower, upper = LuUnpack.apply(LU_data, unpack_data=bool(unpack_data))
    return rt.lu_unpack((p, lower, upper))


# ---------------------------------------------------------------------------------------
# removed in torch 1.9: they raise, as torch 2.13's do


_REMOVED = "This function was deprecated since version 1.9 and is now removed. "


def lstsq(input, A, *, out=None):  # noqa: A002, N803
    """torch.lstsq: removed; raises torch's RuntimeError (use linalg.lstsq(A, B))."""
    raise RuntimeError(
        _REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n"
        "`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition "
        "in the returned tuple (although it returns other information about the problem).\n\n"
        "To get the QR decomposition consider using `torch.linalg.qr`.\n\n"
        "The returned solution in `torch.lstsq` stored the residuals of the solution in the "
        "last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, "
        "the residuals are in the field 'residuals' of the returned named tuple.\n\n"
        "The unpacking of the solution, as in\n"
        "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\n"
        "should be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution"
    )


def solve(input, A, *, out=None):  # noqa: A002, N803
    """torch.solve: removed; raises torch's RuntimeError (use linalg.solve(A, B))."""
    raise RuntimeError(
        _REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. "
        "`torch.linalg.solve` has its arguments reversed and does not return the LU "
        "factorization.\n\n"
        "To get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` "
        "or `torch.lu_unpack`.\n"
        "X = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)"
    )


def symeig(input, eigenvectors=False, upper=True, *, out=None):  # noqa: A002
    """torch.symeig: removed; raises torch's RuntimeError (use linalg.eigh / eigvalsh)."""
    raise RuntimeError(
        _REMOVED + "The default behavior has changed from using the upper triangular portion "
        "of the matrix by default to using the lower triangular portion.\n\n"
        "L, _ = torch.symeig(A, upper=upper) should be replaced with:\n"
        "L = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\n"
        "and\n\n"
        "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\n"
        "L, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')"
    )


def eig(self, eigenvectors=False, *, e=None, v=None):
    """torch.eig: removed; raises torch's RuntimeError (torch.linalg.eig replaced it)."""
    raise RuntimeError(
        _REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` "
        "rather than real tensors mimicking complex tensors.\n\n"
        "L, _ = torch.eig(A) should be replaced with:\n"
        "L_complex = torch.linalg.eigvals(A)\n\n"
        "and\n\n"
        "L, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
        "L_complex, V_complex = torch.linalg.eig(A)"
    )


def matrix_rank(input, tol=None, symmetric=False, *, out=None):  # noqa: A002
    """torch.matrix_rank: removed; raises torch's RuntimeError (use linalg.matrix_rank)."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed.\n"
        "Please use the `torch.linalg.matrix_rank` function instead. The "
        "parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'."
    )


# ---------------------------------------------------------------------------------------
# torch.linalg.eig / eigvals: complex results


def _no_complex(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"torchlet.linalg.{name}: torch returns complex eigenvalues (and eigenvectors) here, "
        "and torchlet has no complex dtypes. For symmetric matrices use "
        "torchlet.linalg.eigh / eigvalsh, whose results are real."
    )


def linalg_eig(A, *, out=None):  # noqa: N803
    """torch.linalg.eig: not available (complex results); raises NotImplementedError
    (after torch's own check of the input's values)."""
    if isinstance(A, Tensor) and A._data.dtype.kind == "f" and not np.isfinite(A._data).all():
        raise RuntimeError("torch.linalg.eig: input tensor should not contain infs or NaNs.")
    raise _no_complex("eig")


def linalg_eigvals(A, *, out=None):  # noqa: N803
    """torch.linalg.eigvals: not available (complex results); raises NotImplementedError."""
    raise _no_complex("eigvals")

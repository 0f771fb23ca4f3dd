"""Householder reflectors: geqrf, householder_product (torch.orgqr) and ormqr.

``geqrf`` is LAPACK's compact QR, which NumPy exposes as ``np.linalg.qr(mode='raw')``
(returned transposed, as Fortran stores it): R on and above the diagonal, the reflectors'
vectors below it, and ``tau``. Reflector i is H_i = I - tau_i v_i v_i^T with
v_i = (0, ..., 0, 1, A[i+1:, i]), and Q = H_1 H_2 ... H_k.

``householder_product`` and ``ormqr`` multiply the reflectors out in NumPy, last one
first, as LAPACK's orgqr/ormqr do (unblocked): values agree with torch's within float
rounding, not bit for bit (geqrf's come from the same LAPACK algorithm, so the signs of
R's diagonal and the reflectors are torch's too).

Gradients (real matrices). For out = H_1 ... H_k E (E the first columns of I) and a
gradient G, write L_i = H_1 ... H_{i-1} and R_i = H_{i+1} ... H_k E, so that
out = L_i H_i R_i and the gradient of H_i is M_i = L_i^T G R_i^T. Then

    g tau_i = -v_i^T M_i v_i,      g v_i = -tau_i (M_i v_i + M_i^T v_i),

and A[i+1:, i] receives g v_i[i+1:] (the rest of A gets zero). ormqr's op(Q) C passes
gC = op(Q)^T G (another ormqr) and gQ = G C^T (or its variants) to the same rule. The
rule needs only matrix-vector products and is written with torchlet operations, so it
differentiates again. geqrf has no derivative (as in torch).
"""

from __future__ import annotations

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import _out, _out_tuple, out_castable_from, scalar_type_name
from torchlet._ops.reduction._common import type_word
from torchlet._ops.shape.joins import cat, stack
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import column_major
from torchlet.linalg._return_types import geqrf as geqrf_tuple


def _check_tensor(fn: str, x, arg: str, position: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
                        f"{type_name(x)}")


def _check_lapack_dtype(kernel: str, x: Tensor) -> None:
    if x._data.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_word(x._data)}'")


# ---------------------------------------------------------------------------------------
# geqrf


class Geqrf(Primitive):
    """(a, tau): LAPACK's compact QR;  no derivative (torch: not implemented)."""

    node_name = "GeqrfBackward0"

    @staticmethod
    def forward(ctx, a):
        if 0 in a.shape[-2:]:
            k = min(a.shape[-2:])
            return a.copy(), np.zeros(a.shape[:-2] + (k,), a.dtype)
        raw, tau = np.linalg.qr(a, mode="raw")
        return column_major(np.swapaxes(raw, -1, -2)), np.ascontiguousarray(tau)

    @staticmethod
    def backward(ctx, grad_a, grad_tau):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


def geqrf(input, *, out=None):  # noqa: A002
    """torch.geqrf: LAPACK's geqrf, the QR decomposition in compact form (a, tau)."""
    if out is not None:
        return _out_tuple(geqrf(input), out, "geqrf", _geqrf_out_dtype)
    _check_tensor("geqrf", input, "input", 1)
    if input._data.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check_lapack_dtype("geqrf_cpu", input)
    return geqrf_tuple(Geqrf.apply(input))


def _geqrf_out_dtype(want, got, field):
    return out_castable_from("torch.geqrf", field)(want, got, field)


# ---------------------------------------------------------------------------------------
# multiplying reflectors out (NumPy)


def _reflector_arrays(a: np.ndarray, i: int) -> np.ndarray:
    """v_i of every matrix in the batch, shape (..., m): zeros, a one, A[i+1:, i]."""
    v = np.zeros(a.shape[:-1], a.dtype)
    v[..., i] = 1
    v[..., i + 1:] = a[..., i + 1:, i]
    return v


def _apply_reflectors(a: np.ndarray, tau: np.ndarray, x: np.ndarray, transpose: bool):
    """H_1 ... H_k X (transpose: H_k ... H_1 X = Q^T X), each H_i = I - tau_i v_i v_i^T."""
    k = tau.shape[-1]
    order = range(k) if transpose else range(k - 1, -1, -1)
    for i in order:
        v = _reflector_arrays(a, i)[..., :, None]
        t = tau[..., i, None, None]
        x = x - (t * v) * (np.swapaxes(v, -1, -2) @ x)
    return x


# ---------------------------------------------------------------------------------------
# the gradient rule (torchlet operations, differentiable again)


def _reflector(a: Tensor, i: int) -> Tensor:
    """v_i as a column (..., m, 1), differentiable in A[i+1:, i]."""
    batch = a._data.shape[:-2]
    below = a[..., i + 1:, i]
    ones = below.new_ones((*batch, 1))
    parts = [ones, below] if i == 0 else [below.new_zeros((*batch, i)), ones, below]
    return cat(parts, -1).unsqueeze(-1)


def _householder_vjp(a: Tensor, tau: Tensor, grad: Tensor, columns: int):
    """(gA, gtau) for out = H_1 ... H_k I[:, :columns] with gradient ``grad``."""
    m, n = a._data.shape[-2:]
    k = tau._data.shape[-1]
    vs = [_reflector(a, i) for i in range(k)]
    taus = [tau[..., i].unsqueeze(-1).unsqueeze(-1) for i in range(k)]
    eye = wrap(np.eye(m, dtype=a._data.dtype))
    rights: list[Tensor] = []  # R_i = H_{i+1} ... H_k E, built from i = k - 1 down
    right = wrap(np.ascontiguousarray(np.eye(m, columns, dtype=a._data.dtype)))
    for i in range(k - 1, -1, -1):
        rights.append(right)
        right = right - (taus[i] * vs[i]) @ (vs[i].mT @ right)
    rights.reverse()
    left = eye  # L_i = H_1 ... H_{i-1}
    grad_vs, grad_taus = [], []
    for i in range(k):
        v, t = vs[i], taus[i]
        m_v = left.mT @ (grad @ (rights[i].mT @ v))
        mt_v = rights[i] @ (grad.mT @ (left @ v))
        grad_taus.append(-(v.mT @ m_v).squeeze(-1).squeeze(-1))
        grad_vs.append(-(t * (m_v + mt_v)).squeeze(-1))
        left = left - (left @ v) @ (t * v.mT)
    batch = a._data.shape[:-2]
    columns_of_grad = []
    for i in range(n):
        if i < k:
            below = grad_vs[i][..., i + 1:]
            zeros = below.new_zeros((*batch, i + 1))
            columns_of_grad.append(cat([zeros, below], -1) if i + 1 < m else zeros)
        else:
            columns_of_grad.append(a.new_zeros((*batch, m)))
    grad_a = stack(columns_of_grad, -1)
    grad_tau = stack(grad_taus, -1) if k else tau.new_zeros(tau._data.shape)
    return grad_a, grad_tau


# ---------------------------------------------------------------------------------------
# householder_product / orgqr


class HouseholderProduct(Primitive):
    """Q[:, :n] = H_1 ... H_k I[:, :n];  gradients: module docstring."""

    node_name = "LinalgHouseholderProductBackward0"

    @staticmethod
    def forward(ctx, a, tau):
        m, n = a.shape[-2:]
        eye = np.broadcast_to(np.eye(m, n, dtype=a.dtype), a.shape)
        out = column_major(_apply_reflectors(a, tau, eye, transpose=False))
        ctx.save_for_backward(a, tau, out)  # (out: as torch's node keeps its result)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, tau, _ = ctx.saved_tensors
        if a._data.size == 0 or tau._data.size == 0:
            return None, None  # (torch's rule gives no gradients then: Q is I's columns)
        grad_a, grad_tau = _householder_vjp(a, tau, grad, a._data.shape[-1])
        return grad_a, grad_tau


def _check_householder(fn: str, A, tau, python_name: str) -> None:  # noqa: N803
    _check_tensor(python_name, A, "input", 1)
    _check_tensor(python_name, tau, "tau", 2)
    a, t = A._data, tau._data
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if a.shape[-2] < a.shape[-1]:
        raise RuntimeError(
            f"{fn}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if t.ndim and a.shape[-1] < t.shape[-1]:
        raise RuntimeError(
            f"{fn}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if a.ndim - t.ndim != 1:
        raise RuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if a.shape[:-2] != t.shape[:-1]:
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(t.shape[:-1])}")
    if a.dtype != t.dtype:
        raise RuntimeError(f"{fn}: tau dtype {type_word(t)} does not match input dtype "
                           f"{type_word(a)}")
    _check_lapack_dtype("orgqr_cpu", A)


def householder_product(A, tau, *, out=None):  # noqa: N803
    """torch.linalg.householder_product: the first n columns of H_1 ... H_k for A (m x n,
    m >= n >= k) holding the reflectors below its diagonal, as geqrf returns them."""
    if out is not None:
        return _out(householder_product(A, tau), out, "linalg_householder_product",
                    out_castable_from("torch.linalg.householder_product"))
    _check_householder("torch.linalg.householder_product", A, tau,
                       "linalg_householder_product")
    return HouseholderProduct.apply(A, tau)


def orgqr(input, tau):  # noqa: A002
    """torch.orgqr: an alias of torch.linalg.householder_product."""
    _check_householder("torch.linalg.householder_product", input, tau, "orgqr")
    return HouseholderProduct.apply(input, tau)


# ---------------------------------------------------------------------------------------
# ormqr


class Ormqr(Primitive):
    """op(Q) C (left) or C op(Q), Q = H_1 ... H_k (m x m), op the transpose if asked;
    gC = the same product with op transposed applied to G, gQ to the householder rule."""

    node_name = "OrmqrBackward0"

    @staticmethod
    def forward(ctx, a, tau, other, *, left, transpose):
        ctx.left, ctx.transpose = left, transpose
        if left:
            out = _apply_reflectors(a, tau, other, transpose)
        else:  # C op(Q) = (op(Q)^T C^T)^T
            out = np.swapaxes(_apply_reflectors(a, tau, np.swapaxes(other, -1, -2),
                                                not transpose), -1, -2)
        ctx.save_for_backward(a, tau, other)
        return column_major(out)

    @staticmethod
    def backward(ctx, grad):
        a, tau, other = ctx.saved_tensors
        left, transpose = ctx.left, ctx.transpose
        grad_other = None
        if ctx.needs_input_grad[2]:
            grad_other = Ormqr.apply(a, tau, grad, left=left, transpose=not transpose)
        grad_a = grad_tau = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            if left:
                grad_q = other @ grad.mT if transpose else grad @ other.mT
            else:
                grad_q = grad.mT @ other if transpose else other.mT @ grad
            m = a._data.shape[-2]
            grad_a, grad_tau = _householder_vjp(a, tau, grad_q, m)
        return grad_a, grad_tau, grad_other


def ormqr(input, input2, input3, left=True, transpose=False, *, out=None):  # noqa: A002
    """torch.ormqr: op(Q) @ input3 (left) or input3 @ op(Q), with Q = H_1 ... H_k the full
    orthogonal matrix of the reflectors in (input, input2 = tau), op = transpose or not."""
    if out is not None:
        return _out(ormqr(input, input2, input3, left, transpose), out, "ormqr",
                    _ormqr_out_dtype)
    _check_tensor("ormqr", input, "input", 1)
    _check_tensor("ormqr", input2, "input2", 2)
    _check_tensor("ormqr", input3, "input3", 3)
    a, t, c = input._data, input2._data, input3._data
    fn = "torch.ormqr"
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input must have at least 2 dimensions.")
    if c.ndim < 2:
        raise RuntimeError(f"{fn}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if t.ndim == 0 or t.shape[-1] != min(c.shape[side], a.shape[-1]):
        raise RuntimeError(f"{fn}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           "input.shape[-1])")
    if a.ndim - t.ndim != 1:
        raise RuntimeError(
            f"{fn}: Expected tau to have one dimension less than input, but got tau.ndim "
            f"equal to {t.ndim} and input.ndim is equal to {a.ndim}")
    if c.ndim != a.ndim:
        raise RuntimeError(
            f"{fn}: Expected other to have the same number of dimensions as input, but got "
            f"other.ndim equal to {c.ndim} and input.ndim is equal to {a.ndim}")
    if a.shape[:-2] != t.shape[:-1]:
        raise RuntimeError(f"{fn}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(t.shape[:-1])}")
    if a.shape[:-2] != c.shape[:-2]:
        raise RuntimeError(f"{fn}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(c.shape[:-2])}")
    if c.shape[side] != a.shape[-2]:
        raise RuntimeError(f"{fn}: other.shape[{side}] must be equal to input.shape[-2]")
    if a.dtype != t.dtype:
        raise RuntimeError(f"{fn}: Expected input and tau to have the same dtype, but input "
                           f"has dtype{type_word(a)} and tau has dtype {type_word(t)}")
    if a.dtype != c.dtype:
        raise RuntimeError(f"{fn}: Expected input and other to have the same dtype, but input "
                           f"has dtype{type_word(a)} and other has dtype {type_word(c)}")
    _check_lapack_dtype("ormqr_cpu", input)
    return Ormqr.apply(input, input2, input3, left=bool(left), transpose=bool(transpose))


def _ormqr_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(
        "torch.ormqr: Expected input and result to have the same dtype, but input has dtype"
        f"{scalar_type_name(want)} and result has dtype {scalar_type_name(got)}"
    )

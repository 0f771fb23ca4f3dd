"""tensorinv and tensorsolve: inv and solve of tensors reshaped into square matrices, as
torch composes them (values within rounding of torch's, like inv and solve)."""

from __future__ import annotations

import math

from torchlet._ops.pointwise.operands import _out, out_castable_from
from torchlet.linalg._common import LinAlgError, check_tensor
from torchlet.linalg.solve import solve
from torchlet.linalg.triangular import inv_ex


def tensorinv(A, ind=2, *, out=None):  # noqa: N803
    """torch.linalg.tensorinv: the tensor X with tensordot(X, A, ind) the identity:
    A reshaped to a (prod(shape[:ind]), prod(shape[ind:])) square matrix, inverted, and
    reshaped to shape[ind:] + shape[:ind]."""
    if out is not None:
        return _out(tensorinv(A, ind), out, "linalg_tensorinv", out_castable_from("tensorinv"),
                    grad_check="in-place")
    check_tensor("tensorinv", A, "input")
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    shape = tuple(A.shape)
    rows, cols = math.prod(shape[:ind]), math.prod(shape[ind:])
    if rows != cols:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == "
            f"prod(self.shape[:ind]), but got {cols} != {rows}"
        )
    inverse, info = inv_ex(A.reshape(cols, cols))
    if int(info._data) != 0:
        raise LinAlgError(
            f"inv: The diagonal element {int(info._data)} is zero, the inversion could not be "
            "completed because the input matrix is singular."
        )
    return inverse.reshape(*shape[ind:], *shape[:ind])


def tensorsolve(A, B, dims=None, *, out=None):  # noqa: N803
    """torch.linalg.tensorsolve: X with tensordot(A, X, X.ndim) = B; ``dims`` (optional)
    are dimensions of A moved to the end first."""
    if out is not None:
        return _out(tensorsolve(A, B, dims), out, "linalg_tensorsolve",
                    out_castable_from("tensorsolve"), grad_check="in-place")
    check_tensor("tensorsolve", A, "input")
    check_tensor("tensorsolve", B, "other")
    if dims is not None:
        ndim = A.ndim
        moved = [d % ndim for d in dims]
        A = A.permute(*[d for d in range(ndim) if d not in moved], *moved)  # noqa: N806
    result_shape = tuple(A.shape)[B.ndim:]
    result_product, other_product = math.prod(result_shape), math.prod(B.shape)
    if result_product != other_product:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
            f"prod(self.shape[:other.ndim]), but got {result_product} != {other_product}"
        )
    matrix = A.reshape(result_product, result_product)
    return solve(matrix, B.flatten()).reshape(*result_shape)

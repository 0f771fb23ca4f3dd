"""Norms: vector_norm, matrix_norm and norm (which picks one of them), as torch.linalg.

``vector_norm`` is torchlet's LinalgVectorNorm primitive (torchlet/_ops/reduction).
``matrix_norm`` is composed exactly as torch composes it, so its graph shows torch's nodes:

    'fro'      vector_norm(A, 2, dim)                         LinalgVectorNormBackward0
    1, -1      amax/amin(vector_norm(A, 1, dim[0]), dim[1])   AmaxBackward0 / AminBackward0
    inf, -inf  the same with the two dims swapped (row sums)
    'nuc'      svdvals(A).sum(-1)                             SumBackward1
    2, -2      svdvals(A).amax(-1) / .amin(-1)                AmaxBackward0 / AminBackward0

(torch answers a maximum over an empty dim, ord 1, 2, inf, with a zero tensor without a graph.)

(svd-based orders move ``dim`` to the end first, and with keepdim permute back). Values
are sums of absolute values or singular values from NumPy's LAPACK: equal to torch's
within float rounding.
"""

from __future__ import annotations

import math

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops.pointwise.operands import _out, scalar_type_name
from torchlet._ops.reduction.statistics import vector_norm
from torchlet._tensor import Tensor, wrap
from torchlet.linalg._common import check_float
from torchlet.linalg.decompositions import svdvals

__all__ = ["matrix_norm", "norm", "vector_norm"]


_LOW_PRECISION = "linalg.matrix_norm: Low precision dtypes not supported. Got Half"


def _dims_text(dim) -> str:
    return ", ".join(str(d) for d in dim) if isinstance(dim, (tuple, list)) else str(dim)


def _into(result: Tensor, out, name: str) -> Tensor:
    """``out=`` of linalg.matrix_norm and linalg.norm: torch computes, then copies into an
    ``out`` of the result's dtype (in place, so a result requiring grad is followed)."""
    def dtype_error(want, got, field) -> RuntimeError:
        return RuntimeError(f"{name} expected out tensor dtype {scalar_type_name(want)} but "
                            f"got: {scalar_type_name(got)}")
    return _out(result, out, name, dtype_error, grad_check="in-place")


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None,  # noqa: A002, N803
                out=None):
    """torch.linalg.matrix_norm: 'fro', 'nuc', 2, -2, 1, -1, inf or -inf over ``dim``."""
    if out is not None:
        return _into(matrix_norm(A, ord, dim, keepdim, dtype=dtype), out, "linalg.matrix_norm")
    if not isinstance(A, Tensor):
        raise TypeError(
            f"linalg_matrix_norm(): argument 'input' (position 1) must be Tensor, not "
            f"{type_name(A)}"
        )
    ndim = A._data.ndim
    if ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    check_float("matrix_norm", A)
    if A._data.dtype == np.float16 and (
            ord == "nuc" if isinstance(ord, str) else abs(float(ord)) == 2):
        raise RuntimeError(_LOW_PRECISION)  # (the orders from singular values)
    if not isinstance(dim, (tuple, list)):
        raise TypeError(
            "linalg_matrix_norm() received an invalid combination of arguments - got "
            f"(Tensor, dim={type_name(dim)})"
        )
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {_dims_text(dim)}")
    dims = [d + ndim if d < 0 else d for d in dim]
    for d in dims:
        if not 0 <= d < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], "
                f"but got {d - ndim if d >= ndim else d})"
            )
    if dims[0] == dims[1]:
        raise RuntimeError(
            f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if dtype is not None:
        A = A.to(_dtype.to_dtype(dtype))  # noqa: N806
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, dim=tuple(dims), keepdim=keepdim)  # (torch's: wrapped)
        if ord == "nuc":
            return _svd_norm(A, ord, dims, keepdim)
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    p = float(ord)
    if abs(p) == 2:
        return _svd_norm(A, p, dims, keepdim)
    if abs(p) not in (1, math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    first, second = dims
    if math.isinf(p):
        first, second = second, first
    if not keepdim and first < second:
        second -= 1
    sums = vector_norm(A, 1.0, dim=(first,), keepdim=keepdim)
    if p > 0:
        return _max_or_zero(sums, second, keepdim)
    return sums.amin(second, keepdim)


def _max_or_zero(x: Tensor, dim: int, keepdim: bool) -> Tensor:
    """x.amax(dim), except that torch's matrix_norm (ord 1, 2, inf) answers 0 for the
    maximum over an empty dim: a new zero tensor without a graph (amin, for the negative
    orders, raises there as amax would)."""
    if x.shape[dim] != 0:
        return x.amax(dim, keepdim)
    shape = list(x.shape)
    if keepdim:
        shape[dim] = 1
    else:
        del shape[dim]
    return wrap(np.zeros(shape, dtype=x._data.dtype))


def _svd_norm(A: Tensor, ord, dims: list, keepdim: bool) -> Tensor:  # noqa: A002, N803
    """'nuc', 2 or -2: from the singular values of the matrices in ``dims``."""
    ndim = A._data.ndim
    order = [d for d in range(ndim) if d not in dims] + dims
    values = svdvals(A.permute(*order))
    if ord == "nuc":
        result = values.sum(-1)
    else:
        result = _max_or_zero(values, -1, False) if ord > 0 else values.amin(-1)
    if keepdim:
        back = [order.index(d) for d in range(ndim)]
        result = result.unsqueeze(-1).unsqueeze(-1).permute(*back)
    return result


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002, N803
    """torch.linalg.norm: a matrix norm when ``dim`` has two entries (or, with ``ord``
    given and no ``dim``, A is 2-D, or ``ord`` is a string), else a vector norm (the
    2-norm of all entries when ``ord`` is None)."""
    if out is not None:
        return _into(norm(A, ord, dim, keepdim, dtype=dtype), out, "linalg.norm")
    if not isinstance(A, Tensor):
        raise TypeError(
            f"linalg_norm(): argument 'input' (position 1) must be Tensor, not "
            f"{type_name(A)}"
        )
    ndim = A._data.ndim
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(
                "linalg.norm: If dim is specified, it mut be of length 1 or 2. Got "
                f"[{_dims_text(dim)}]"
            )
    elif ord is not None and ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
            f"Got {ndim}D."
        )
    if isinstance(ord, str):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and ndim == 2)):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2.0 if ord is None else ord, dim=dim, keepdim=keepdim, dtype=dtype)

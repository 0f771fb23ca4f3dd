"""Products and polynomials of matrices: cross, vecdot, matrix_power, multi_dot,
diagonal, vander (torch.linalg's and the top-level torch.vander) and matrix_exp.

Precision, against torch:

* bit-exact: ``cross`` (torch's float32/float64 kernel computes fma(a1, b2, -(a2 b1)),
  one fused multiply-add, reproduced exactly by ``_fma``; float16 and integers plainly),
  ``diagonal`` (a view), ``vander`` / ``torch.vander`` (running products, in order),
  integer ``matrix_power``.
* within float rounding: ``vecdot`` (a sum), float ``matrix_power`` and ``multi_dot``
  (matrix products: BLAS blocks its sums differently; the *order* of the products is
  torch's, so the rounding errors are of the same kind), ``matrix_exp`` (a Padé
  approximant of degree 13 with scaling and squaring (Higham 2005) computed in float64,
  where torch evaluates optimised Taylor polynomials in the input's dtype: both are
  accurate to a few ulps of the input's dtype).

Gradients:

    cross:       out = a x b              grad_a = b x grad,  grad_b = grad x a
    matrix_exp:  out = exp(A)             grad_A = [exp([[A^T, grad], [0, A^T]])]_12
                                          (the upper right block, torch's rule)

everything else is composed of differentiable torchlet operations (matmul, sum, cumprod,
cat, flip, inv), so the graph shows the nodes torch's shows.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet._dtype import C_TYPE_NAMES, contiguous_format, type_name
from torchlet._numpy_names import numpy_names, user_stacklevel
from torchlet._ops.linalg import matmul, mm
from torchlet._ops.pointwise._fused import _fma as fused_multiply_add
from torchlet._ops.pointwise.operands import (
    _out,
    c_type_name,
    can_cast,
    out_castable_from,
    out_dtype_must_match,
    scalar_type_name,
)
from torchlet._ops.reduction._common import type_word
from torchlet._ops.reduction.sums import cumprod
from torchlet._ops.shape.joins import cat
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import Primitive
from torchlet.linalg._common import check_float, check_square, check_tensor
from torchlet.linalg.solve import inv

# ---------------------------------------------------------------------------------------
# cross, vecdot


def _normalize_dim(dim: int, ndim: int) -> int:
    if not -ndim <= dim < max(ndim, 1):
        low, high = -max(ndim, 1), max(ndim, 1) - 1
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})"
        )
    return dim % max(ndim, 1)


def _fma(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """x * y + z rounded once, as the fused multiply-add torch's float32/float64 cross
    kernel compiles to (float16 and integers: plain arithmetic, as torch's)."""
    if x.dtype.kind != "f" or x.dtype == np.float16:
        return x * y + z
    return fused_multiply_add(x, y, z)


class Cross(Primitive):
    """out = a x b along ``dim``;  grad_a = b x grad,  grad_b = grad x a."""

    node_name = "LinalgCrossBackward0"

    @staticmethod
    def forward(ctx, a, b, *, dim):
        ctx.dim = dim
        ctx.save_for_backward(a, b)
        a1, a2, a3 = (np.take(a, i, axis=dim) for i in range(3))
        b1, b2, b3 = (np.take(b, i, axis=dim) for i in range(3))
        return np.stack([_fma(a2, b3, -(a3 * b2)), _fma(a3, b1, -(a1 * b3)),
                         _fma(a1, b2, -(a2 * b1))], axis=dim)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = Cross.apply(b, grad, dim=ctx.dim) if ctx.needs_input_grad[0] else None
        grad_b = Cross.apply(grad, a, dim=ctx.dim) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def cross(input, other, *, dim=-1, out=None):  # noqa: A002 - torch's names
    """torch.linalg.cross: the cross product of 3-vectors along ``dim`` (broadcast over
    the other dimensions; both inputs need the same number of dimensions and dtype)."""
    if out is not None:
        return _out(cross(input, other, dim=dim), out, "linalg_cross", out_dtype_must_match)
    check_tensor("cross", input, "input")
    check_tensor("cross", other, "other")
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected scalar type {type_word(a)} but found {type_word(b)}")
    if a.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    d = _normalize_dim(dim, a.ndim)
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[d]} and "
            f"{b.shape[d]}"
        )
    return Cross.apply(input, other, dim=d)


def vecdot(x, y, *, dim=-1, out=None):
    """torch.linalg.vecdot: sum(x * y, dim) for real x, y (broadcast), as torch composes it
    (so the result's grad_fn is SumBackward1); within rounding of torch's sum."""
    if out is not None:
        return _out(vecdot(x, y, dim=dim), out, "sum", _vecdot_out_dtype)  # torch sums into out
    check_tensor("vecdot", x, "x")
    check_tensor("vecdot", y, "y")
    check_float("vecdot", x)
    if x.dtype != y.dtype:
        raise RuntimeError(
            "linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
            f"{type_word(x._data)} and y of type {type_word(y._data)} instead."
        )
    return (x * y).sum(dim)


def _vecdot_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"linalg.vecdot: Expected out of dtype{scalar_type_name(want)} but "
                        f"found {scalar_type_name(got)}")


# ---------------------------------------------------------------------------------------
# matrix_power, multi_dot, diagonal


def matrix_power(A, n, *, out=None):  # noqa: N803 - torch's argument name
    """torch.linalg.matrix_power: A^n for square (batches of) matrices and an integer n,
    with torch's order of products: n = 0 the identity (a copy into a clone of A), 1 a
    clone, -1 the inverse, 2 and 3 directly, larger |n| by squaring from the least
    significant bit up; negative n inverts first."""
    if out is not None:
        return _out(matrix_power(A, n), out, "matmul", _matrix_power_out_dtype)
    check_tensor("matrix_power", A)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(
            f"linalg_matrix_power(): argument 'n' (position 2) must be int, not "
            f"{type_name(n)}"
        )
    check_square("matrix_power", A)
    n = int(n)
    if n == 0:
        size = A._data.shape[-1]
        # (torch clones into a contiguous tensor, whatever A's layout)
        return A.clone(memory_format=contiguous_format).copy_(
            wrap(np.eye(size, dtype=A._data.dtype)))
    if n == 1:
        return A.clone(memory_format=contiguous_format)
    if n == -1:
        return inv(A)
    a = inv(A) if n < 0 else A
    n = abs(n)
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = a if z is None else matmul(z, z)
        if bit:
            result = z if result is None else matmul(result, z)
    return result


def _matrix_power_out_dtype(want, got, field) -> RuntimeError:
    """torch checks that the result can be cast into out, then that no cast is needed."""
    if can_cast(want, got):
        return out_dtype_must_match(want, got, field)
    return out_castable_from("matrix_power")(want, got, field)


_C_DTYPE = C_TYPE_NAMES


def _chain_order(dims: list) -> list:
    """torch's (Cormen's) dynamic programme: split[i][j] is where to cut the product of
    matrices i..j (matrix i has shape dims[i] x dims[i + 1]); the first minimum wins."""
    n = len(dims) - 1
    cost: list[list[float]] = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def _chain(mats: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return mm(_chain(mats, split, i, k), _chain(mats, split, k + 1, j))


def multi_dot(tensors, *, out=None):
    """torch.linalg.multi_dot: the product of 2-D matrices (the first may be a row vector,
    the last a column vector, both 1-D) in the order that costs fewest multiplications,
    chosen exactly as torch chooses it (so the rounding is torch's kind)."""
    if out is not None:
        return _out(multi_dot(tensors), out, "mm", _multi_dot_out_dtype)
    tensors = list(tensors)
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"linalg_multi_dot(): argument 'tensors' must be tuple of Tensors, but found "
                f"element of type {type_name(t)} at pos {i}"
            )
    first, last = tensors[0], tensors[-1]
    mats, out_shape = list(tensors), []
    for which, t, index in (("first", first, 0), ("last", last, n - 1)):
        if t.ndim == 1:
            mats[index] = t.unsqueeze(0) if index == 0 else t.unsqueeze(-1)
        elif t.ndim == 2:
            out_shape.append(t.shape[0] if index == 0 else t.shape[1])
        else:
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                               f"{t.ndim}D")
    for i in range(1, n - 1):
        if tensors[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got "
                               f"{tensors[i].ndim}D")
    dtype = first._data.dtype
    for i in range(1, n):
        if tensors[i]._data.dtype != dtype:
            raise RuntimeError(
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_C_DTYPE[dtype.name]} and tensor {i} {_C_DTYPE[tensors[i]._data.dtype.name]}"
            )
        if mats[i - 1].shape[-1] != mats[i].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes "
                f"{list(tensors[i - 1].shape)} and {list(tensors[i].shape)} cannot be "
                "multiplied"
            )
    if n == 2:
        result = mm(mats[0], mats[1])
    elif n == 3:
        a, b = mats[0].shape[0], mats[1].shape[0]
        c, d = mats[2].shape
        if (a * c) * (b + d) > (b * d) * (a + c):
            result = mm(mats[0], mm(mats[1], mats[2]))
        else:
            result = mm(mm(mats[0], mats[1]), mats[2])
    else:
        dims = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
        result = _chain(mats, _chain_order(dims), 0, n - 1)
    return result.view(*out_shape) if out_shape else result.view(())


def _multi_dot_out_dtype(want, got, field) -> RuntimeError:
    return RuntimeError(f"multi_dot(): expected out tensor to have dtype {c_type_name(want)} "
                        f"but got {c_type_name(got)}")


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):  # noqa: N803
    """torch.linalg.diagonal: Tensor.diagonal with matrix-friendly defaults (a view)."""
    check_tensor("diagonal", A)
    return A.diagonal(offset, dim1, dim2)


# ---------------------------------------------------------------------------------------
# vander


def vander(x, *, N=None):  # noqa: N803
    """torch.linalg.vander: columns x^0, x^1, ..., x^(N-1) (increasing powers, batched over
    leading dimensions), as torch builds it: cat([ones, cumprod(x, ...)]). Integers give
    int64 (cumprod's promotion)."""
    check_tensor("vander", x, "x")
    if x._data.dtype.kind not in "iu" and x._data.dtype.name not in ("float32", "float64"):
        raise RuntimeError(
            "linalg.vander supports floating point, complex, and integer tensors, but got "
            f"{type_word(x._data)}"
        )
    x_ = x.unsqueeze(-1) if x.ndim == 0 else x
    shape = list(x_.shape)
    n = shape[-1] if N is None else int(N)
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = cumprod(x_.unsqueeze(-1).expand(*shape, n - 1), -1)
    ones = powers.new_ones((*shape, 1))
    return cat([ones, powers], -1)


def vander_increasing(x, N=None, increasing=False):  # noqa: N803
    """torch.vander: the Vandermonde matrix of a 1-D x, decreasing powers unless
    ``increasing``; N columns (default len(x)). Integers and bool give int64. Built as
    torch builds it: ones, then x copied into columns 1.., then their running product
    (in place), then a flip for decreasing powers."""
    check_tensor("vander", x, "x")
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else int(N)
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    dtype = x._data.dtype if x._data.dtype.kind == "f" else np.dtype(np.int64)
    result = wrap(np.ones((x.shape[0], n), dtype=dtype))
    if n > 1:  # as torch: the running product overwrites its own input, so (as in torch)
        # the result cannot be differentiated ("modified by an inplace operation")
        result[:, 1:].copy_(x.unsqueeze(1))
        result[:, 1:].copy_(cumprod(result[:, 1:], 1))
    return result if increasing else result.flip(1)


# ---------------------------------------------------------------------------------------
# matrix_exp

# Padé (13, 13) coefficients and the 1-norm bound up to which no scaling is needed
# (Higham, "The scaling and squaring method for the matrix exponential revisited", 2005).
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm(a: np.ndarray) -> np.ndarray:
    """exp of each matrix of a batch, in float64: scale by 2^-s so that the 1-norm is at
    most theta13, Padé approximant r13 = q^-1 p, then square s times."""
    a = a.astype(np.float64)
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    norms = np.abs(a).sum(-2).max(-1) if n else np.zeros(a.shape[:-2])
    with np.errstate(divide="ignore"):
        s = np.where(norms > _THETA13, np.ceil(np.log2(norms / _THETA13)), 0).astype(int)
    a = a / (2.0 ** s)[..., None, None]
    b = _PADE13
    ident = np.broadcast_to(np.eye(n), a.shape)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a2 @ a4
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(s.max()) if s.size else 0):
        squared = r @ r
        r = np.where((k < s)[..., None, None], squared, r)
    return r


class MatrixExp(Primitive):
    """out = exp(A);  grad_A = upper right n x n block of exp([[A^T, grad], [0, A^T]])."""

    node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(a).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        n = a._data.shape[-1]
        a_t = a.mT
        zeros = a_t.new_zeros(a_t.shape)
        block = cat([cat([a_t, grad], -1), cat([zeros, a_t], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


def matrix_exp(A):  # noqa: N803
    """torch.linalg.matrix_exp: the exponential of each square matrix (float16 too),
    within float rounding of torch's (see the module docstring)."""
    check_tensor("matrix_exp", A)
    check_square("matrix_exp", A)
    check_float("matrix_exp", A)
    return MatrixExp.apply(A)


@numpy_names
def cross_default_dim(input, other, dim=None, *, out=None):  # noqa: A002
    """torch.cross: linalg.cross, except that dim=None (deprecated, with torch's warning)
    means the first dimension of size 3."""
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\n"
            "Please either pass the dim explicitly or simply use torch.linalg.cross.\n"
            "The default value of dim will change to agree with that of linalg.cross in a "
            "future release.", UserWarning, stacklevel=user_stacklevel())
        sizes = input.shape if isinstance(input, Tensor) else ()
        if 3 not in sizes:
            raise RuntimeError("no dimension of size 3 in input")
        dim = list(sizes).index(3)
    return cross(input, other, dim=dim, out=out)

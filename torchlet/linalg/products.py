"""Products and polynomials of matrices: cross, vecdot, matrix_power, multi_dot,
diagonal, vander (torch.linalg's and the top-level torch.vander) and matrix_exp.

Precision, against torch:

* bit-exact: ``cross`` (torch's float32/float64 kernel computes fma(a1, b2, -(a2 b1)),
  one fused multiply-add, reproduced exactly by ``_fma``; float16 and integers plainly),
  ``diagonal`` (a view), ``vander`` / ``torch.vander`` (running products, in order),
  integer ``matrix_power``.
* within float rounding: ``vecdot`` (a sum), float ``matrix_power`` and ``multi_dot``
  (matrix products: BLAS blocks its sums differently; the *order* of the products is
  torch's, so the rounding errors are of the same kind), ``matrix_exp`` (torch's
  own algorithm: optimised Taylor polynomials of degree 1 to 18 chosen by the 1-norm,
  scaling and squaring, in the input's dtype, so that torch's approximation errors, up to
  1e-10 in float64, are reproduced and only the matrix products round differently; exact
  where no product matters, e.g. exp(0) = I; float16 by a float64 Padé approximant).

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
from torchlet._ops.pointwise._libm import rounded_once
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
    def forward(ctx, a, b, *, dim, given_dim=None):
        ctx.dim = dim
        ctx.given_dim = given_dim  # the dim as the caller gave it (torch's _saved_dim)
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
    return Cross.apply(input, other, dim=d, given_dim=dim)


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


# torch's algorithm (ATen's mexp; Bader, Blanes and Casas, "Computing the matrix exponential
# with an optimized Taylor polynomial approximation", 2019), in the input's dtype: a Taylor
# polynomial of degree 1, 2, 4, 8 or 12 chosen by the 1-norm of each matrix, or beyond the
# last bound the degree-18 one after scaling by 2^-s, then s squarings. torch 2.13 takes
# the degree-18 route for every matrix of a batch of several (not for one matrix).
_MEXP_THETAS = {
    np.dtype(np.float32): (1.192092800768788e-07, 5.978858893805233e-04,
                           5.116619363445086e-02, 5.800524627688768e-01,
                           1.461661507209034e+00, 3.010066362817634e+00),
    np.dtype(np.float64): (2.220446049250313e-16, 2.580956802971767e-08,
                           3.397168839976962e-04, 4.991228871115323e-02,
                           2.996158913811580e-01, 1.090863719290036e+00),
}
_T12_COEFFS = (
    (9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
    (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031,
     0.01108844528519167989),
    (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968,
     0.00610700528898058230),
    (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079,
     -0.00675951846863086359),
)
_T18_COEFFS = (
    (0., -1.00365581030144618291e-01, -8.02924648241156932449e-03,
     -8.92138498045729985177e-04, 0.),
    (0., 3.97849749499645077844e-01, 1.36783778460411720168e+00,
     4.98289622525382669416e-01, -6.37898194594723280150e-04),
    (-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
     -6.98210122488052056106e-03, 3.34975017086070470649e-05),
    (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
     2.95552570429315521194e-02, -1.39180257516060693404e-05),
    (0., 0., -9.23364619367118555360e-02, -1.69364939002081722752e-02,
     -1.40086798182036094347e-05),
)


def _powers(a: np.ndarray, count: int) -> list:
    """The first ``count`` of I, A, A^2, A^3, A^6."""
    out = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape).copy(), a]
    if count > 2:
        out.append(a @ a)
    if count > 3:
        out.append(a @ out[2])
    if count > 4:
        out.append(out[3] @ out[3])
    return out[:count]


def _combination(mats: list, coeffs) -> np.ndarray:
    """sum_i coeffs[i] * mats[i], added one term after another onto zeros (as ATen's
    _compute_linear_combination), coefficients rounded to the matrices' dtype."""
    out = np.zeros_like(mats[0])
    for c, m in zip(coeffs, mats):
        out = out + m * m.dtype.type(c)
    return out


def _taylor(a: np.ndarray, degree: int) -> np.ndarray:
    """torch's optimised Taylor polynomial T_degree(A) for degree 1, 2, 4, 8, 12 or 18."""
    if degree <= 2:
        ident, a1, *rest = _powers(a, degree + 1)
        return ident + a1 if degree == 1 else (ident + a1) + rest[0] / a.dtype.type(2)
    if degree == 4:
        mats = _powers(a, 3)
        a4 = mats[2] @ _combination(mats, (1 / 2.0, 1 / 6.0, 1 / 24.0))
        return _combination(mats + [a4], (1.0, 1.0, 0.0, 1.0))
    if degree == 8:
        # the constants as ATen's constexpr scalar_t computes them (double arithmetic on
        # values already rounded to scalar_t)
        t = a.dtype.type
        r177, x3 = float(t(0.1330413469565007072504e+2)), float(t(2.0 / 3.0))
        x1, x2 = x3 * ((1.0 + r177) / 88.0), x3 * ((1.0 + r177) / 352.0)
        x4, x5 = (-271.0 + 29.0 * r177) / (315.0 * x3), (-11.0 + 11.0 * r177) / (1260.0 * x3)
        x6, x7 = (-99.0 + 11.0 * r177) / (5040.0 * x3), (89.0 - r177) / (5040.0 * x3)
        y2 = (857.0 - 58.0 * r177) / 630.0
        mats = _powers(a, 3)
        a4 = mats[2] @ _combination(mats[1:], (x1, x2))
        a8 = _combination([mats[2], a4], (x3, 1.0)) @ _combination(mats + [a4], (x4, x5, x6, x7))
        return _combination(mats + [a4, a8], (1.0, 1.0, y2, 0.0, 1.0))
    if degree == 12:
        b = [_combination(_powers(a, 4), row) for row in _T12_COEFFS]
        b[2] = b[2] + b[3] @ b[3]
        b[1] = b[1] + b[2]
        return b[0] + b[1] @ b[2]
    b = [_combination(_powers(a, 5), row) for row in _T18_COEFFS]
    b[3] = b[3] + b[0] @ b[4]
    b[2] = b[2] + b[3]
    return b[1] + b[2] @ b[3]


def _taylor18_squared(a: np.ndarray, norms: np.ndarray, theta: float) -> np.ndarray:
    """exp(A) = T18(A / 2^s)^(2^s), s = max(0, ceil(log2(|A|_1 / theta))), per matrix."""
    with np.errstate(divide="ignore"):
        s = np.maximum(np.ceil(np.log2(norms / a.dtype.type(theta))), 0).astype(np.int64)
    out = _taylor(a / (2.0 ** s).astype(a.dtype)[:, None, None], 18)
    for k in range(int(s.max(initial=0))):  # square the matrices that need a k-th squaring
        pick = s > k
        out[pick] = out[pick] @ out[pick]
    return out


def _matrix_exp(a: np.ndarray) -> np.ndarray:
    """exp of each square matrix of a batch (..., n, n) in a's dtype, as torch 2.13 computes
    it: exp of the entry for 1 x 1 matrices; float16 by the float64 Padé approximant."""
    n = a.shape[-1]
    if n == 1:
        return rounded_once(np.exp, a)  # (torch.exp's rounding, as Tensor.exp)
    if a.size == 0 or a.dtype not in _MEXP_THETAS:
        return _expm(a).astype(a.dtype)
    thetas = _MEXP_THETAS[a.dtype]
    flat = a.reshape(-1, n, n)
    norms = np.abs(flat).sum(-2).max(-1)
    finite = np.isfinite(norms)
    if flat.shape[0] == 1 and finite[0]:  # one matrix: the degree its norm's bound asks
        norm = norms.item()
        for theta, degree in zip(thetas[:4], (1, 2, 4, 8)):
            if norm <= theta:
                return _taylor(a, degree)
        if norm < thetas[4]:  # (at the bound itself torch overwrites T12 with T18)
            return _taylor(a, 12)
    if finite.all():
        return _taylor18_squared(flat, norms, thetas[5]).reshape(a.shape)
    out = np.full_like(flat, np.nan)  # non-finite norms: unspecified in torch, NaN there
    if finite.any():
        out[finite] = _taylor18_squared(flat[finite], norms[finite], thetas[5])
    return out.reshape(a.shape)


class MatrixExp(Primitive):
    """out = exp(A);  grad_A = upper right n x n block of exp([[A^T, grad], [0, A^T]])."""

    node_name = "LinalgMatrixExpBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _matrix_exp(a)

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

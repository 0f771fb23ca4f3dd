"""Matrix products: mm, bmm, mv, dot, vdot, matmul (@), outer/ger, inner, tensordot,
addmm, baddbmm, and the ``out=`` argument they share.

Four primitives do the arithmetic, each one BLAS call through NumPy: ``Mm`` (matrix @
matrix), ``Bmm`` (a batch of those), ``Mv`` (matrix @ vector) and ``Dot`` (vector . vector).
Their backward rules are products again, written with the same primitives, so they can
be differentiated again (create_graph=True):

    out = a @ b      grad_a = grad @ b^T      grad_b = a^T @ grad

``matmul`` reduces each case to one of them exactly as torch does (ATen's
``_matmul_impl``): 1-D . 1-D is ``dot``, 2-D @ 1-D is ``mv``, 2-D @ 2-D is ``mm``; an N-D
operand times a matrix or vector is *folded* (its batch dimensions merged into the rows)
into a single ``mm``/``mv``; everything else broadcasts the batch dimensions, flattens them
into one and calls ``bmm``. The recorded graph is then the one torch records
(``UnsafeViewBackward0`` over ``BmmBackward0`` over ``ViewBackward0`` ...), and its backward
comes from the pieces. When nothing is recorded, ``matmul`` is a single ``np.matmul``, which
follows the same broadcasting rules.

Precision: NumPy's BLAS (OpenBLAS) and torch's (MKL or OpenBLAS) block and order the sums
of products differently, so float results agree to rounding, not bit for bit: about 1e-6
relative in float32, growing slowly with the length of the sums. Integer products are exact
(and wrap on overflow, as torch's do).
"""

from __future__ import annotations

import math

import numpy as np

from torchlet._dtype import C_TYPE_NAMES, no_attribute_error, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.linalg._transpose import transposed_copy
from torchlet._ops.pointwise import mul as _mul
from torchlet._ops.pointwise.operands import copy_into_out
from torchlet._ops.reduction import sum as _sum
from torchlet._ops.shape.views import UnsafeView
from torchlet._tensor import Tensor, _wrap_dim, wrap
from torchlet.autograd.function import Primitive
from torchlet.autograd.grad_mode import GRAD_STATE

# How torch names dtypes in its messages: C++ type names (mm) and ScalarType names (bmm).
_C_NAME = C_TYPE_NAMES
_SCALAR_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                "float64": "Double"}


def _c_name(x: Tensor) -> str:
    return _C_NAME[x._data.dtype.name]


def _scalar_name(x: Tensor) -> str:
    return _SCALAR_NAME[x._data.dtype.name]


def _tensor_arg(fn: str, x, arg: str, position: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(x)}"
        )
    return x


def _no_bool(x: Tensor, kernel: str) -> None:
    if x._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _records(*tensors) -> bool:
    """Will an operation on these tensors be recorded in the graph?"""
    if not GRAD_STATE.enabled:
        return False
    return any(t._requires_grad or t._grad_fn is not None for t in tensors)


# ---------------------------------------------------------------------------------------
# the four products


def times_transposed(x: np.ndarray, weight: np.ndarray, bias=None) -> np.ndarray:
    """``x @ weight.T (+ bias)`` for matrices: rows times a weight stored (out, in), as
    ``nn.Linear`` and ``x @ w.t()`` compute. C-contiguous result.

    For batches up to 64 into 128+ outputs BLAS's operands are swapped, ``(W @ x^T)^T``
    copied back to rows: with the OpenBLAS of NumPy's wheels that takes, for 784 inputs
    and 128 to 1024 outputs, 0.55x the time at batch 16, 0.7x at 32 and 0.85x at 64 (copies
    included), but 0.95-1.1x from batch 128 and up to 1.3x with fewer than 128 outputs
    (benchmarks/bench_linear_layout.py). ``x^T`` is copied to rows first: BLAS multiplies
    two row-major operands faster than it reads a transposed one (260 us against 279 for
    (256, 784) @ (784, 64); the copy takes 7). OpenBLAS's omatcopy lays out the copies
    (``transposed_copy``: 5 us against NumPy's 12 on (256, 64) float32)."""
    if x.shape[0] <= 64 and weight.shape[0] >= 128:
        swapped = weight @ transposed_copy(x, np.empty(x.shape[::-1], x.dtype))
        out = transposed_copy(swapped, np.empty(swapped.shape[::-1], swapped.dtype))
        if bias is not None:
            out += bias
        return out
    out = np.matmul(x, weight.T)  # BLAS reads the transposed layout, no copy
    if bias is not None:
        out += bias
    return out


class Mm(Primitive):
    """out = a @ b (matrices);  grad_a = grad @ b^T,  grad_b = a^T @ grad."""

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, *ctx.needs_input_grad)
        return matrix_product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _mm_grads(grad, a, b, *ctx.needs_input_grad, _column_majors(ctx, 0))


def matrix_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for matrices, as ``mm`` computes it."""
    if not b.flags.c_contiguous and b.T.flags.c_contiguous:  # x @ w.t()
        return times_transposed(a, b.T)
    return np.matmul(a, b)


def save_factors(ctx, a, b, need_a: bool, need_b: bool, layouts: bool = True) -> None:
    """Save for the backward of a product a @ b only what the requested gradients use, as
    torch does (derivatives.yaml): b for grad_a, a for grad_b. An operand that is not saved
    may then be changed in place before backward. With ``layouts``, also keep the strides
    (in bytes) of the operands whose gradient is requested, False for the others: their
    gradients follow these layouts (see ``_mm_grads``), and torch's node shows them
    (``_saved_self_sym_strides``)."""
    ctx.save_for_backward(a if need_b else None, b if need_a else None)
    if layouts:
        ctx.strides = (need_a and a.strides, need_b and b.strides)


def _mm_grads(grad, a, b, need_a: bool, need_b: bool, column_major=(False, False)):
    """grad_a = grad @ b^T and grad_b = a^T @ grad (None where not needed).

    Transposes are views: NumPy hands BLAS the transposed layout, nothing is copied. As
    torch (mm_mat1_backward / mm_mat2_backward), a gradient is computed in the memory layout
    its input had in forward (``column_major``): for a column-major input such as ``w.t()``
    in ``x @ w.t()`` it is (b @ grad^T)^T, column-major too, so that the transpose back to
    ``w`` gives a contiguous ``w.grad`` (no strided copy when it is accumulated).
    """
    grad_a = grad_b = None
    if need_a:
        if column_major[0]:
            grad_a = _shape.t(Mm.apply(b, _shape.t(grad)))
        else:
            grad_a = Mm.apply(grad, _shape.t(b))
    if need_b:
        if column_major[1]:
            grad_b = _shape.t(Mm.apply(_shape.t(grad), a))
        else:
            grad_b = Mm.apply(_shape.t(a), grad)
    return grad_a, grad_b


def _column_majors(ctx, first: int) -> tuple:
    """Which of the operands (inputs ``first``, ``first + 1``) whose gradient is requested
    were column-major in forward, from the strides ``save_factors`` kept."""
    flags = []
    for strides, meta in zip(ctx.strides, ctx._input_meta[first:first + 2], strict=True):
        if strides is False:
            flags.append(False)
        else:
            shape, dtype = meta
            flags.append(strides == (dtype.itemsize, shape[0] * dtype.itemsize))
    return tuple(flags)


class Bmm(Primitive):
    """out[i] = a[i] @ b[i] (batches of matrices);  grad_a = grad @ b^T,  grad_b = a^T @ grad
    (transposing the last two dimensions)."""

    node_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, *ctx.needs_input_grad, layouts=False)
        return batched_product(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return _bmm_grads(grad, a, b, *ctx.needs_input_grad)


# torch's CPU bmm and baddbmm (LinearAlgebra.cpp, bmm_out_or_baddbmm_) call BLAS only when
# one matrix product has contraction * rows * columns >= 400 terms, whatever the dtype or the
# batch size; smaller ones run a plain loop (baddbmm_cpu_kernel), whose order of sums
# ``summed_in_order`` reproduces bit for bit. (Their gradients are such bmm's too: the same
# three sizes, so the same side of the threshold.)
_SMALL_PRODUCT = 400


def _is_small(a: np.ndarray, b: np.ndarray) -> bool:
    """Does torch compute the batched a @ b (float) with its loop rather than BLAS?"""
    n, k = a.shape[-2:]
    return n * k * b.shape[-1] < _SMALL_PRODUCT and a.dtype.kind == "f"


def batched_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b batch by batch ((B, n, K) @ (B, K, p)), as torch's CPU bmm computes it."""
    if _is_small(a, b):
        return summed_in_order(a, b).astype(a.dtype, copy=False)
    return np.matmul(a, b)


def summed_in_order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for batches (B, n, K) @ (B, K, p) as torch's small-product loop sums them: each
    element is ((0 + a_0 b_0) + a_1 b_1) + ..., every product rounded (no FMA), in the
    "opmath" type (float16 in float32: the caller rounds once). C-contiguous (B, n, p).

    All products at once, as rows terms[k] (one per term k, each holding every output
    element), then the rows added in order (``_rows_in_order``). The rows are laid out so
    that the multiply's inner loop is long: (K, n, p, B) along the batch, or, for sums
    longer than the n * p of them per matrix, (B, n, p, K) along k, transposed by a blocked
    copy. About 4 to 30 us from 2 to 400 terms (a loop over the K terms takes 11 to 1300,
    np.matmul 1 to 50)."""
    acc = np.float32 if a.dtype == np.float16 else a.dtype
    count, n, k = a.shape
    p = b.shape[2]
    if k > n * p:
        terms = np.multiply(a[:, :, None, :], b.transpose(0, 2, 1)[:, None, :, :], dtype=acc,
                            order="C")  # terms[batch, i, j, k]
        rows = transposed_copy(terms.reshape(-1, k), np.empty((k, count * n * p), acc))
        return _rows_in_order(rows).reshape(count, n, p)
    terms = np.multiply(a.transpose(2, 1, 0)[:, :, None, :], b.transpose(1, 2, 0)[:, None, :, :],
                        dtype=acc, order="C")  # terms[k, i, j, batch]
    total = _rows_in_order(terms.reshape(k, n * p * count))
    # (a copy, not ascontiguousarray: that keeps odd strides on size-1 dimensions)
    return total.reshape(n, p, count).transpose(2, 0, 1).copy()


def _rows_in_order(rows: np.ndarray) -> np.ndarray:
    """0 + rows[0] + rows[1] + ... for a C-contiguous (K, M) array, column by column.

    ``add.reduce`` over axis 0 adds whole rows one after the other while the columns are
    the contiguous axis (NumPy sums pairwise only along a contiguous axis; see also
    reduction/_cascade.py), and ``initial`` 0 turns an all -0 sum into +0, as torch's. A
    single column would be summed pairwise, so there ``accumulate`` runs the sum."""
    if rows.shape[1] != 1:
        return np.add.reduce(rows, axis=0, initial=0.0)
    if rows.shape[0]:
        return np.add.accumulate(rows, axis=0)[-1] + 0.0
    return np.zeros(1, rows.dtype)


def _bmm_grads(grad, a, b, need_a: bool, need_b: bool, column_major=None):
    """grad_a = grad @ b^T and grad_b = a^T @ grad, batch by batch (None where not needed).
    (``column_major`` is unused: the signature is _mm_grads', for Addmm/Baddbmm.)"""
    grad_a = Bmm.apply(grad, _shape.transpose(b, 1, 2)) if need_a else None
    grad_b = Bmm.apply(_shape.transpose(a, 1, 2), grad) if need_b else None
    return grad_a, grad_b


class Mv(Primitive):
    """out = m @ v (matrix times vector);  grad_m = outer(grad, v),  grad_v = m^T @ grad."""

    node_name = "MvBackward0"

    @staticmethod
    def forward(ctx, m, v):
        save_factors(ctx, m, v, *ctx.needs_input_grad, layouts=False)
        return np.matmul(m, v)

    @staticmethod
    def backward(ctx, grad):
        m, v = ctx.saved_tensors
        grad_m = _outer(grad, v) if ctx.needs_input_grad[0] else None
        grad_v = Mv.apply(_shape.t(m), grad) if ctx.needs_input_grad[1] else None
        return grad_m, grad_v


class Dot(Primitive):
    """out = sum(a * b) (vectors);  grad_a = grad * b,  grad_b = grad * a."""

    node_name = "DotBackward0"

    @staticmethod
    def forward(ctx, a, b):
        save_factors(ctx, a, b, *ctx.needs_input_grad, layouts=False)
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_a = _mul(grad, b) if ctx.needs_input_grad[0] else None
        grad_b = _mul(grad, a) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


class Vdot(Dot):
    """out = sum(conj(a) * b), for real tensors the dot product;  grad_a = grad * b,
    grad_b = grad * a."""

    node_name = "VdotBackward0"


# ---------------------------------------------------------------------------------------
# reshapes matmul records under torch's names


class _SqueezeInplace(UnsafeView):
    """out = a without its leading size-1 dim;  grad_a = grad reshaped back. (torch squeezes
    the result of a 1-D @ 2-D product in place, ``squeeze_(0)``, which records this name.)"""

    node_name = "SqueezeBackward4"


# ---------------------------------------------------------------------------------------
# mm, bmm, mv, dot, vdot: torch's checks, then the primitive


def _mm(a: Tensor, b: Tensor) -> Tensor:
    ad, bd = a._data, b._data
    if ad.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if bd.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if ad.shape[1] != bd.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({ad.shape[0]}x{ad.shape[1]} and "
            f"{bd.shape[0]}x{bd.shape[1]})"
        )
    if ad.dtype != bd.dtype:
        raise RuntimeError(
            "expected m1 and m2 to have the same dtype, but got: "
            f"{_c_name(a)} != {_c_name(b)}"
        )
    _no_bool(a, "addmm_impl_cpu_")
    return Mm.apply(a, b)


def _check_bmm_shapes(a: Tensor, b: Tensor) -> None:
    ad, bd = a._data, b._data
    if ad.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if bd.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if bd.shape[:2] != (ad.shape[0], ad.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{ad.shape[0]}, {ad.shape[2]}] but got: [{bd.shape[0]}, {bd.shape[1]}]."
        )


def _bmm(a: Tensor, b: Tensor) -> Tensor:
    _check_bmm_shapes(a, b)
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected scalar type {_scalar_name(a)} but found {_scalar_name(b)}"
        )
    _no_bool(a, "bmm")
    return Bmm.apply(a, b)


def _mv(m: Tensor, v: Tensor) -> Tensor:
    md, vd = m._data, v._data
    if md.ndim != 2 or vd.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {md.ndim}, {vd.ndim}")
    if md.shape[1] != vd.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({md.shape[0]}), mat ({md.shape[0]}x{md.shape[1]}), "
            f"vec ({vd.shape[0]})"
        )
    if md.dtype != vd.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_scalar_name(v)}, {_scalar_name(m)}, and {_scalar_name(v)}"
        )
    _no_bool(m, "addmv_impl_cpu")
    return Mv.apply(m, v)


def _dot(a: Tensor, b: Tensor, primitive=Dot) -> Tensor:
    ad, bd = a._data, b._data
    if ad.ndim != 1 or bd.ndim != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {ad.ndim}D and {bd.ndim}D tensors"
        )
    if ad.dtype != bd.dtype:
        raise RuntimeError(
            "dot : expected both vectors to have same dtype, but found "
            f"{_scalar_name(a)} and {_scalar_name(b)}"
        )
    if ad.shape[0] != bd.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{ad.shape[0]}] and src "
            f"[{bd.shape[0]}] to have the same number of elements, but got {ad.shape[0]} "
            f"and {bd.shape[0]} elements respectively"
        )
    _no_bool(a, "dot")
    return primitive.apply(a, b)


def mm(input, mat2, *, out=None) -> Tensor:  # noqa: A002
    a = _tensor_arg("mm", input, "input", 1)
    b = _tensor_arg("mm", mat2, "mat2", 2)
    if out is not None:
        return _write_out("mm", out, (a, b), lambda: _mm(a, b))
    return _mm(a, b)


def bmm(input, mat2, *, out=None) -> Tensor:  # noqa: A002
    a = _tensor_arg("bmm", input, "input", 1)
    b = _tensor_arg("bmm", mat2, "mat2", 2)
    if out is not None:
        return _write_out("bmm", out, (a, b), lambda: _bmm(a, b))
    return _bmm(a, b)


def mv(input, vec, *, out=None) -> Tensor:  # noqa: A002
    m = _tensor_arg("mv", input, "input", 1)
    v = _tensor_arg("mv", vec, "vec", 2)
    if out is not None:
        return _write_out("mv", out, (m, v), lambda: _mv(m, v))
    return _mv(m, v)


def dot(input, tensor, *, out=None) -> Tensor:  # noqa: A002
    a = _tensor_arg("dot", input, "input", 1)
    b = _tensor_arg("dot", tensor, "tensor", 2)
    if out is not None:
        return _write_out("dot", out, (a, b), lambda: _dot(a, b), dot_style=True)
    return _dot(a, b)


def vdot(input, other, *, out=None) -> Tensor:  # noqa: A002
    """The dot product conjugating the first vector; for real tensors the same as dot."""
    a = _tensor_arg("vdot", input, "input", 1)
    b = _tensor_arg("vdot", other, "other", 2)
    if out is not None:
        return _write_out("vdot", out, (a, b), lambda: _dot(a, b, Vdot), dot_style=True)
    return _dot(a, b, Vdot)


# ---------------------------------------------------------------------------------------
# matmul


def matmul(input, other, *, out=None) -> Tensor:  # noqa: A002
    """The matrix product with torch's rules for 1-D operands and batch broadcasting."""
    a = _tensor_arg("matmul", input, "input", 1)
    b = _tensor_arg("matmul", other, "other", 2)
    if out is not None:
        return _write_out("matmul", out, (a, b), lambda: matmul(a, b))
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise RuntimeError(
            "both arguments to matmul need to be at least 1D, but they are "
            f"{ad.ndim}D and {bd.ndim}D"
        )
    if not _records(a, b) and ad.dtype == bd.dtype and ad.dtype != np.bool_:
        # No graph to build: one np.matmul does every case, except where torch would end in
        # a small bmm, which sums in its own order. A shape error falls through to torch's
        # decomposition below, which raises torch's message.
        try:
            if _small_bmm_route(a, b):
                return wrap(_matmul_in_order(ad, bd))
            return wrap(np.asarray(np.matmul(ad, bd)))
        except ValueError:
            pass
    return _matmul(a, b)


def _small_bmm_route(a: Tensor, b: Tensor) -> bool:
    """Would ``_matmul`` end in a bmm that torch computes with its small-product loop?"""
    sa, sb = a._data.shape, b._data.shape
    if max(len(sa), len(sb)) < 3 or a._data.dtype.kind != "f":
        return False
    n = sa[-2] if len(sa) > 1 else 1
    p = sb[-1] if len(sb) > 1 else 1
    if n * sa[-1] * p >= _SMALL_PRODUCT or _should_fold(a, b):
        return False
    if len(sa) == 3 and len(sb) == 3 and sa[0] != sb[0]:  # (see _matmul_batched)
        return not ((sa[0] == 1 and a.requires_grad) or (sb[0] == 1 and b.requires_grad))
    return True


def _matmul_in_order(ad: np.ndarray, bd: np.ndarray) -> np.ndarray:
    """np.matmul's result (1-D operands as a row or a column, batches broadcast) in the
    order of sums of torch's small bmm; ValueError where the shapes do not multiply."""
    a2 = ad if ad.ndim > 1 else ad[None, :]
    b2 = bd if bd.ndim > 1 else bd[:, None]
    (n, k), p = a2.shape[-2:], b2.shape[-1]
    if k != b2.shape[-2]:
        raise ValueError("matmul: the contracted dimensions differ")
    batch = a2.shape[:-2]
    if b2.shape[:-2] != batch:  # (np.broadcast_* take microseconds: only when needed)
        batch = np.broadcast_shapes(batch, b2.shape[:-2])
        a2, b2 = np.broadcast_to(a2, batch + (n, k)), np.broadcast_to(b2, batch + (k, p))
    count = math.prod(batch)
    a3, b3 = a2.reshape(count, n, k), b2.reshape(count, k, p)
    out = batched_product(a3, b3).reshape(batch + (n, p))
    if bd.ndim == 1:
        out = out[..., 0]
    if ad.ndim == 1:
        out = out[..., 0, :] if bd.ndim > 1 else out[..., 0]
    return out


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    """ATen's ``_matmul_impl``, step for step, so the graph has torch's nodes."""
    da, db = a._data.ndim, b._data.ndim
    if da == 2 and db == 2:
        return _mm(a, b)
    if da == 1 and db == 1:
        return _dot(a, b)
    if da == 2 and db == 1:
        return _mv(a, b)
    if da == 1 and db == 2:
        product = _mm(_shape.unsqueeze(a, 0), b)
        return _SqueezeInplace.apply(product, shape=product._data.shape[1:])
    if _should_fold(a, b):
        return _matmul_folded(a, b)
    return _matmul_batched(a, b)


def _should_fold(a: Tensor, b: Tensor) -> bool:
    """Can the larger operand be folded into a matrix (one mm/mv instead of a bmm)?

    Yes when the other one is a matrix or a vector and either it requires grad (folding
    spares the backward a large expanded gradient) or the fold needs no copy.
    """
    a_larger = a._data.ndim >= b._data.ndim
    large, small = (a, b) if a_larger else (b, a)
    if not (large._data.ndim >= 3 and small._data.ndim <= 2):
        return False
    if small.requires_grad:
        return True
    if a._data.ndim == 2:
        return False
    shape = list(large._data.shape)
    strides = [s // large._data.itemsize for s in large._data.strides]
    if not a_larger:  # the fold works on b^T: swap the last two dimensions
        shape[-2], shape[-1] = shape[-1], shape[-2]
        strides[-2], strides[-1] = strides[-1], strides[-2]
    if 0 in shape:
        return True
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _matmul_folded(a: Tensor, b: Tensor) -> Tensor:
    """(..., n, k) @ (k, m) as one (N, k) @ (k, m) product, N the product of (..., n).

    When the N-D operand is on the right, the whole product is transposed first:
    a @ b = (b^T @ a^T)^T.
    """
    transpose = b._data.ndim > a._data.ndim
    if transpose:
        t1 = _shape.transpose(b, -2, -1)
        t2 = _shape.t(a) if a._data.ndim == 2 else a
    else:
        t1, t2 = a, b
    sizes = t1._data.shape
    out_shape = sizes[:-1]
    folded = _shape.reshape(t1, (math.prod(out_shape), sizes[-1]))
    if t2._data.ndim == 1:
        return UnsafeView.apply(_mv(folded, t2), shape=out_shape)
    out = UnsafeView.apply(_mm(folded, t2), shape=out_shape + (t2._data.shape[1],))
    return _shape.contiguous(_shape.transpose(out, -2, -1)) if transpose else out


def _matmul_batched(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dimensions, flatten them into one, and call bmm."""
    sa, sb = a._data.shape, b._data.shape
    da, db = len(sa), len(sb)
    n = sa[-2] if da > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if db > 1 else sb[0]
    p = sb[-1] if db > 1 else 1
    batch_a, batch_b = sa[:max(da - 2, 0)], sb[:max(db - 2, 0)]

    # A batch of one against a larger batch: drop it and take the folded route (torch
    # does this when that operand requires grad, to keep its gradient small).
    if da == 3 and db == 3 and batch_a[0] != batch_b[0]:
        if batch_a[0] == 1 and a.requires_grad:
            return _matmul(_shape.squeeze(a, 0), b)
        if batch_b[0] == 1 and b.requires_grad:
            return _matmul(a, _shape.squeeze(b, 0))

    batch = _broadcast_shapes(batch_a, batch_b)
    count = math.prod(batch)
    a3 = _shape.reshape(_shape.expand(a, batch + (n, m1)), (count, n, m1))
    if db == 1:
        b3 = _shape.unsqueeze(_shape.reshape(_shape.expand(b, batch + (m2,)), (count, m2)), 2)
    else:
        b3 = _shape.reshape(_shape.expand(b, batch + (m2, p)), (count, m2, p))
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    out = _bmm(a3, b3)
    if db == 1:
        out = _shape.squeeze(out, -1)
    return UnsafeView.apply(out, shape=out_shape)


def _broadcast_shapes(shape_a, shape_b):
    """The broadcast of two shapes, with torch's message when they do not broadcast."""
    ndim = max(len(shape_a), len(shape_b))
    result = []
    for i in range(ndim):
        offset = ndim - 1 - i
        size_a = shape_a[len(shape_a) - 1 - offset] if offset < len(shape_a) else 1
        size_b = shape_b[len(shape_b) - 1 - offset] if offset < len(shape_b) else 1
        if size_a != size_b and size_a != 1 and size_b != 1:
            raise RuntimeError(
                f"The size of tensor a ({size_a}) must match the size of tensor b ({size_b}) "
                f"at non-singleton dimension {i}"
            )
        result.append(size_b if size_a == 1 else size_a)
    return tuple(result)


# ---------------------------------------------------------------------------------------
# outer, inner, tensordot


def _outer(a: Tensor, b: Tensor) -> Tensor:
    # torch's definition: a column times a row, broadcast (and dtype-promoted) by mul.
    return _mul(_shape.reshape(a, (a._data.shape[0], 1)), b)


def outer(input, vec2, *, out=None, _name="outer") -> Tensor:  # noqa: A002
    a = _tensor_arg(_name, input, "input", 1)
    b = _tensor_arg(_name, vec2, "vec2", 2)
    if a._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {a._data.ndim}-D")
    if b._data.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {b._data.ndim}-D")
    if out is not None:
        return _write_out(_name, out, (a, b), lambda: _outer(a, b))
    return _outer(a, b)


def ger(input, vec2, *, out=None) -> Tensor:  # noqa: A002
    """The old name of ``outer``."""
    return outer(input, vec2, out=out, _name="ger")


def inner(input, other, *, out=None) -> Tensor:  # noqa: A002
    """Sum of products over the last dimension of both: tensordot(a, b, ([-1], [-1]))."""
    a = _tensor_arg("inner", input, "input", 1)
    b = _tensor_arg("inner", other, "other", 2)
    if out is not None:
        return _write_out("inner", out, (a, b), lambda: inner(a, b))
    if a._data.ndim == 0 or b._data.ndim == 0:
        return _mul(a, b)
    if a._data.shape[-1] != b._data.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(a._data.shape)} and {list(b._data.shape)}"
        )
    return _tensordot(a, b, [-1], [-1])


def tensordot(a, b, dims=2, out=None) -> Tensor:
    """Contract ``dims`` of ``a`` with ``dims`` of ``b``: an int n (the last n of a with
    the first n of b) or two lists of dimensions."""
    if type(dims) is int and dims >= 0:  # torch's Python code asks a.dim(), b.dim() first
        for x in (a, b):
            if not isinstance(x, Tensor):
                raise no_attribute_error(x, "dim")
    a = _tensor_arg("tensordot", a, "input", 1)  # (the names of torch's kernel)
    b = _tensor_arg("tensordot", b, "other", 2)
    if isinstance(dims, Tensor):
        if dims._data.size > 1:
            dims = (dims._data[0].tolist(), dims._data[1].tolist())
        else:
            dims = int(dims._data.item())
    if isinstance(dims, (int, np.integer)) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a._data.ndim, b._data.ndim):
            raise RuntimeError(
                f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}"
            )
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)) and len(dims) == 2:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        raise RuntimeError(
            "tensordot expects dims to be int or tuple[list[int], list[int]] or "
            f"list[list[int]] containing two lists, but got dims={dims}"
        )
    if out is not None:
        return _write_out("tensordot", out, (a, b), lambda: _tensordot(a, b, dims_a, dims_b))
    return _tensordot(a, b, dims_a, dims_b)


def _tensordot(a: Tensor, b: Tensor, dims_a, dims_b) -> Tensor:
    """ATen's tensordot: permute the contracted dimensions together, flatten to matrices,
    one mm (or a dot when both free parts are empty), reshape to the free dimensions."""
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    t1, t2 = a, b
    contracted = 1
    for da, db in zip(dims_a, dims_b, strict=True):
        s1 = a._data.shape[_wrap_dim(da, a._data.ndim)]
        s2 = b._data.shape[_wrap_dim(db, b._data.ndim)]
        if s2 == 1:  # broadcast dimensions can be summed right away
            t1 = _sum(t1, da, keepdim=True, dtype=t1.dtype)
        elif s1 == 1:
            t2 = _sum(t2, db, keepdim=True, dtype=t2.dtype)
        else:
            if s1 != s2:
                raise RuntimeError(
                    f"contracted dimensions need to match, but first has size {s1} in dim "
                    f"{da} and second has size {s2} in dim {db}"
                )
            contracted *= s1
    free_a = _free_dims(dims_a, a._data.ndim)
    free_b = _free_dims(dims_b, b._data.ndim)
    out_shape = tuple(t1._data.shape[i] for i in free_a) + tuple(
        t2._data.shape[i] for i in free_b)
    size1 = math.prod(t1._data.shape[i] for i in free_a)
    size2 = math.prod(t2._data.shape[i] for i in free_b)
    t1 = _shape.permute(t1, tuple(free_a) + tuple(dims_a))
    t2 = _shape.permute(t2, tuple(dims_b) + tuple(free_b))
    if size1 == 1 and size2 == 1:
        product = _dot(_shape.flatten(t1), _shape.flatten(t2))
    else:
        product = _mm(_shape.reshape(t1, (size1, contracted)),
                      _shape.reshape(t2, (contracted, size2)))
    return _shape.reshape(product, out_shape)


def _free_dims(dims, ndim: int):
    seen = set()
    for d in dims:
        d = _wrap_dim(d, ndim)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    return [i for i in range(ndim) if i not in seen]


# ---------------------------------------------------------------------------------------
# addmm, baddbmm


def _scalar(value, np_dtype):
    """alpha/beta as a NumPy scalar of the dtype gemm computes in, converted like a C cast
    (integer tensors truncate 0.5 to 0; -1 wraps to 255 for uint8), as torch does: float16
    computes in float32, so 0.1 is float32's 0.1, not float16's."""
    if isinstance(value, Tensor):
        value = value._data.item()
    if np_dtype == np.float16:
        np_dtype = np.float32
    return np.asarray(value).astype(np_dtype)[()]


class Addmm(Primitive):
    """out = beta * input + alpha * (m1 @ m2);  grad_input = beta * grad,
    grad_m1 = alpha * grad @ m2^T,  grad_m2 = alpha * m1^T @ grad.

    As BLAS's gemm: beta = 0 ignores input (NaN included) and alpha = 0 ignores the product.
    """

    node_name = "AddmmBackward0"
    _product_grads = staticmethod(_mm_grads)
    _layouts = True  # whether the gradients follow the operands' layouts (mm's do)

    @classmethod
    def forward(cls, ctx, bias, m1, m2, *, beta, alpha, given=None):
        # beta, alpha: in the operands' dtype; given: (beta, alpha) as the caller gave them,
        # which torch's node keeps (0.3, not 0.3 rounded to float32; int 2 stays 2)
        save_factors(ctx, m1, m2, *ctx.needs_input_grad[1:], layouts=cls._layouts)
        ctx.beta, ctx.alpha = beta.item(), alpha.item()
        if given is not None:
            ctx.given = given
        return gemm(bias, m1, m2, beta, alpha)

    @classmethod
    def backward(cls, ctx, grad):
        m1, m2 = ctx.saved_tensors
        beta, alpha = ctx.beta, ctx.alpha
        grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_bias = grad if beta == 1 else _mul(grad, beta)
        column_major = _column_majors(ctx, 1) if cls._layouts else None
        grad_m1, grad_m2 = cls._product_grads(grad, m1, m2, *ctx.needs_input_grad[1:],
                                              column_major)
        if alpha != 1:
            grad_m1 = None if grad_m1 is None else _mul(grad_m1, alpha)
            grad_m2 = None if grad_m2 is None else _mul(grad_m2, alpha)
        return grad_bias, grad_m1, grad_m2


def gemm(bias: np.ndarray, m1: np.ndarray, m2: np.ndarray, beta, alpha) -> np.ndarray:
    """beta * bias + alpha * (m1 @ m2), (batched) matrices, as torch's CPU gemm computes it.

    float16 is computed in float32 and rounded to float16 once (torch accumulates reduced
    precision in float, "opmath": rounding the product first, then the sum, differs in
    the last bit for about a third of random elements); ``beta`` and ``alpha`` then
    arrive as float32. The float32 sum of products runs in another order than torch's, so
    about one float16 result in 2000 still differs by one unit in the last place.

    Small batched products (baddbmm below 400 terms, see ``batched_product``) are torch's
    loop, bit for bit: beta * bias + alpha * sum, where alpha = 0 still multiplies the sum
    (an inf product gives NaN) and beta = 0 still ignores bias.
    """
    dtype = m1.dtype
    if dtype == np.float16:
        bias, m1, m2 = bias.astype(np.float32), m1.astype(np.float32), m2.astype(np.float32)
    if m1.ndim == 3 and _is_small(m1, m2):
        out = summed_in_order(m1, m2)
    elif alpha:
        out = np.matmul(m1, m2)
    else:
        out = np.zeros(m1.shape[:-1] + m2.shape[-1:], m1.dtype)
    if alpha != 1:
        out *= alpha
    if beta:
        out += bias if beta == 1 else beta * bias
    return out.astype(dtype, copy=False)


class Baddbmm(Addmm):
    """out = beta * input + alpha * (b1 @ b2) batch by batch;  grad_input = beta * grad,
    grad_b1 = alpha * grad @ b2^T,  grad_b2 = alpha * b1^T @ grad."""

    node_name = "BaddbmmBackward0"
    _product_grads = staticmethod(_bmm_grads)
    _layouts = False  # (bmm's gradients do not depend on the layouts)


def _check_bias(bias: Tensor, shape) -> None:
    """input must expand to the product's shape; if not, expand raises torch's error."""
    own = bias._data.shape
    if len(own) > len(shape) or any(
        s != 1 and s != t for s, t in zip(own[::-1], shape[::-1], strict=False)
    ):
        _shape.expand(bias, shape)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    bias = _tensor_arg("addmm", input, "input", 1)
    m1 = _tensor_arg("addmm", mat1, "mat1", 2)
    m2 = _tensor_arg("addmm", mat2, "mat2", 3)
    if out is not None:
        return _write_out("addmm", out, (bias, m1, m2),
                          lambda: addmm(bias, m1, m2, beta=beta, alpha=alpha))
    dtype = m2._data.dtype
    if bias._data.dtype != dtype:
        raise RuntimeError(
            "self and mat2 must have the same dtype, but got "
            f"{_scalar_name(bias)} and {_scalar_name(m2)}"
        )
    if m1._data.dtype != dtype:
        raise RuntimeError(
            "mat1 and mat2 must have the same dtype, but got "
            f"{_scalar_name(m1)} and {_scalar_name(m2)}"
        )
    for name, m in (("mat1", m1), ("mat2", m2)):
        if m._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
    s1, s2 = m1._data.shape, m2._data.shape
    if s1[1] != s2[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({s1[0]}x{s1[1]} and {s2[0]}x{s2[1]})"
        )
    _check_bias(bias, (s1[0], s2[1]))
    _no_bool(m1, "addmm_impl_cpu_")
    return Addmm.apply(bias, m1, m2, beta=_scalar(beta, dtype), alpha=_scalar(alpha, dtype),
                       given=(beta, alpha))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    """beta * input + alpha * (batch1 @ batch2) for each batch, input broadcast."""
    bias = _tensor_arg("baddbmm", input, "input", 1)
    b1 = _tensor_arg("baddbmm", batch1, "batch1", 2)
    b2 = _tensor_arg("baddbmm", batch2, "batch2", 3)
    if out is not None:
        return _write_out("baddbmm", out, (bias, b1, b2),
                          lambda: baddbmm(bias, b1, b2, beta=beta, alpha=alpha))
    if bias._data.dtype != b1._data.dtype:
        raise RuntimeError(
            f"Input dtypes must be the same, got: input {_c_name(bias)}, batch1: "
            f"{_c_name(b1)}, batch2: {_c_name(b2)}"
        )
    _check_bmm_shapes(b1, b2)
    s1, s2 = b1._data.shape, b2._data.shape
    _check_bias(bias, (s1[0], s1[1], s2[2]))
    if b1._data.dtype != b2._data.dtype:
        raise RuntimeError(
            f"expected scalar type {_scalar_name(b1)} but found {_scalar_name(b2)}"
        )
    _no_bool(b1, "baddbmm")
    dtype = b1._data.dtype
    return Baddbmm.apply(bias, b1, b2, beta=_scalar(beta, dtype), alpha=_scalar(alpha, dtype),
                         given=(beta, alpha))


# ---------------------------------------------------------------------------------------
# out=


def _write_out(name: str, out, inputs, compute, dot_style: bool = False) -> Tensor:
    """torch's ``out=``: compute, check the dtype, resize if needed, copy into ``out``."""
    if GRAD_STATE.enabled and (out.requires_grad or any(x.requires_grad for x in inputs)):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad."
        )
    result = compute()
    if out._data.dtype != result._data.dtype:
        if dot_style:
            raise RuntimeError(
                f"result dtype {_scalar_name(out)} does not match input dtype "
                f"{_scalar_name(result)}"
            )
        raise RuntimeError(
            f"Expected out tensor to have dtype {_c_name(result)}, but got {_c_name(out)} "
            "instead"
        )
    copy_into_out(out, result)
    return out

"""Matrix helpers: trace, kron, diag_embed, diagflat, rot90, block_diag, chain_matmul, and
the fused products addmv, addr, addbmm.

Where torch has a backward node of its own (TraceBackward0, DiagEmbedBackward0,
Rot90Backward0, BlockDiagBackward0, AddmvBackward0, AddrBackward0, AddbmmBackward0) the
function is one Primitive; its backward is written with torchlet operations, so it can be
differentiated again. kron and chain_matmul are composites in torch and are composed here
from the same pieces (``_unsafe_view(a_view * b_view)``, a chain of ``mm``), so their graphs
show torch's nodes.

    trace(a)          = sum_i a[i, i]            grad_a = grad on the diagonal, 0 elsewhere
    diag_embed(v)     = zeros with v on the diagonal (offset, dim1, dim2)
                                                  grad_v = grad.diagonal(offset, dim1, dim2)
    rot90(a, k, dims) = a turned k quarter turns from dims[0] towards dims[1]
                                                  grad_a = rot90(grad, -k, dims)
    addmv(s, m, v)    = beta * s + alpha * (m @ v)
                      grad_s = beta * grad, grad_m = alpha * outer(grad, v),
                      grad_v = alpha * m^T @ grad
    addr(s, u, v)     = beta * s + (alpha * u) v^T
                      grad_u = alpha * grad @ v, grad_v = alpha * grad^T @ u
    addbmm(s, B1, B2) = beta * s + alpha * sum_b B1[b] @ B2[b]
                      grad_B1[b] = alpha * grad @ B2[b]^T, grad_B2[b] = alpha * B1[b]^T @ grad
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import type_name
from torchlet._ops import shape as _shape
from torchlet._ops.indexing._common import (
    array_with_strides,
    empty_in_order,
    memory_order,
)
from torchlet._ops.linalg.products import (
    _c_name,
    _check_bias,
    _mm,
    _no_bool,
    _scalar,
    _scalar_name,
    _tensor_arg,
    bmm,
    mv,
    outer,
)
from torchlet._ops.pointwise import mul as _mul
from torchlet._ops.pointwise.operands import _out, out_dtype_castable
from torchlet._ops.shape.slices import DiagonalBackward, _diagonal_view
from torchlet._ops.shape.views import UnsafeView
from torchlet._tensor import Tensor, _wrap_dim, empty_strides, wrap
from torchlet.autograd.function import Primitive

# ---------------------------------------------------------------------------------------
# trace


class Trace(Primitive):
    """out = sum of the diagonal, added one element after another in the accumulation type
    (float64 for float32/float64, float32 for float16, int64 for integers), as torch's CPU
    loop does;  grad_a = zeros of a's shape with grad on the diagonal."""

    node_name = "TraceBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.in_shape = a.shape
        diag = np.diagonal(a)
        if a.dtype.kind in "iu":
            return np.asarray(diag.sum(dtype=np.int64))
        acc = np.float32 if a.dtype == np.float16 else np.float64
        if diag.size == 0:
            return np.zeros((), a.dtype)
        return np.asarray(np.cumsum(diag, dtype=acc)[-1].astype(a.dtype))

    @staticmethod
    def backward(ctx, grad):
        n = min(ctx.in_shape)
        return DiagonalBackward.apply(_shape.expand(grad, (n,)), in_shape=ctx.in_shape,
                                      args=(0, 0, 1))


def trace(input) -> Tensor:  # noqa: A002
    x = _tensor_arg("trace", input, "input", 1)
    _no_bool(x, "trace")  # torch's dtype dispatch comes before its dimension check
    if x._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x._data.ndim}")
    return Trace.apply(x)


# ---------------------------------------------------------------------------------------
# kron


def kron(input, other, *, out=None) -> Tensor:  # noqa: A002
    """The Kronecker product, as torch composes it: view a as (a0, 1, a1, 1, ...) and b as
    (1, b0, 1, b1, ...), multiply (broadcasting), view the product as (a0*b0, a1*b1, ...)."""
    a = _tensor_arg("kron", input, "input", 1)
    b = _tensor_arg("kron", other, "other", 2)
    sa, sb = a._data.shape, b._data.shape
    ndim = max(len(sa), len(sb))
    sa = (1,) * (ndim - len(sa)) + sa
    sb = (1,) * (ndim - len(sb)) + sb
    a_shape = tuple(s for size in sa for s in (size, 1))
    b_shape = tuple(s for size in sb for s in (1, size))
    product = _mul(UnsafeView.apply(a, shape=a_shape), UnsafeView.apply(b, shape=b_shape))
    result = UnsafeView.apply(product, shape=tuple(x * y for x, y in zip(sa, sb, strict=True)))
    return _out(result, out, "mul", out_dtype_castable)  # torch writes out with mul


# ---------------------------------------------------------------------------------------
# diag_embed, diagflat


class DiagEmbed(Primitive):
    """out = zeros with the last dim of v written on the diagonal (offset, dim1, dim2) of
    two new dims;  grad_v = grad.diagonal(offset, dim1, dim2)."""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, v, *, offset, dim1, dim2, given=None):
        ctx.args = (offset, dim1, dim2)
        ctx.given = given  # (offset, dim1, dim2) as the caller wrote them: grad_fn._saved_*
        n = v.shape[-1] + abs(offset)
        sizes = list(v.shape[:-1])
        sizes.insert(min(dim1, dim2), n)
        sizes.insert(max(dim1, dim2), n)
        out = np.zeros(sizes, v.dtype)
        _diagonal_view(out, offset, dim1, dim2)[...] = v
        return out

    @staticmethod
    def backward(ctx, grad):
        return _shape.diagonal(grad, *ctx.args)


def diag_embed(input, offset=0, dim1=-2, dim2=-1) -> Tensor:  # noqa: A002
    x = _tensor_arg("diag_embed", input, "input", 1)
    ndim = x._data.ndim + 1
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    if x._data.ndim == 0:  # torch reads self.size(-1) of a 0-d tensor
        _wrap_dim(-1, 0)
    return DiagEmbed.apply(x, offset=int(offset), dim1=d1, dim2=d2,
                           given=(int(offset), dim1, dim2))


def diagflat(input, offset=0) -> Tensor:  # noqa: A002
    """The flattened input on diagonal ``offset`` of a square matrix (torch:
    ``self.contiguous().view(-1).diag(offset)``)."""
    x = _tensor_arg("diagflat", input, "input", 1)
    return _shape.diag(_shape.reshape(_shape.contiguous(x), (-1,)), offset)


# ---------------------------------------------------------------------------------------
# rot90


class Rot90(Primitive):
    """out = a rotated k quarter turns in the plane of dims (from the first towards the
    second), a copy laid out as torch's flip + transpose_ leave it;  grad_a =
    rot90(grad, -k, dims)."""

    node_name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, a, *, k, dims, given=None):
        ctx.k, ctx.dims = k, dims
        ctx.rot = given  # (k, dims) as the caller gave them: the node's _saved_k, _saved_dims
        d0, d1 = dims
        if a.size == 0 and k:
            return _empty_rot90(a, k, d0, d1)
        if k == 1:
            return np.swapaxes(_flip(a, d1), d0, d1)
        if k == 2:
            return _flip(a, dims)
        if k == 3:
            return np.swapaxes(_flip(a, d0), d0, d1)
        return np.array(a, order="C")

    @staticmethod
    def backward(ctx, grad):
        given = None if ctx.rot is None else (-ctx.rot[0], ctx.rot[1])  # torch's rot90(-k)
        return Rot90.apply(grad, k=(4 - ctx.k) % 4, dims=ctx.dims, given=given)


def _empty_rot90(a: np.ndarray, k: int, d0: int, d1: int) -> np.ndarray:
    """rot90 (k = 1, 2, 3) of an empty ``a``, with the strides torch's flip (``a``'s
    layout preserved) and ``transpose_`` give it: NumPy's own empty arrays carry no
    strides (they read as contiguous), so they are built here."""
    flipped = _shape.common._empty_like_preserve(a)
    if k == 2:
        return flipped
    shape, strides = list(a.shape), list(empty_strides(flipped))  # (zeros kept: from_numpy's)
    shape[d0], shape[d1] = shape[d1], shape[d0]
    strides[d0], strides[d1] = strides[d1], strides[d0]
    return array_with_strides(shape, strides, a.dtype)


def _flip(a: np.ndarray, axes) -> np.ndarray:
    """torch's flip: a copy laid out like ``a`` (``empty_like(a, Preserve)`` keeps the
    order of a's strides, so a transposed input gives a transposed copy)."""
    order = memory_order(a.shape, [[abs(s) for s in a.strides]])
    out = empty_in_order(a.shape, order, a.dtype)
    out[...] = np.flip(a, axes)
    return out


def rot90(input, k=1, dims=(0, 1)) -> Tensor:  # noqa: A002
    x = _tensor_arg("rot90", input, "input", 1)
    dims = list(dims)
    ndim = x._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    d0, d1 = _wrap_dim(dims[0], ndim), _wrap_dim(dims[1], ndim)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
            f"dim1 = {dims[1]}"
        )
    k = int(k)
    return Rot90.apply(x, k=k % 4, dims=(d0, d1), given=(k, tuple(dims)))


# ---------------------------------------------------------------------------------------
# block_diag


class BlockDiag(Primitive):
    """out = the inputs (0-d as 1x1, 1-D as one row) down the diagonal of a zero matrix, in
    their common dtype;  grad_i = the block of grad at input i's place, in its shape and
    dtype. (torch's backward does not count the row of a 1-D empty input, so the blocks
    after one are read a row higher: ``block_diag(zeros(0), b)`` gives b grad[0], not
    grad[1]. Matched here, as gradients must be torch's.)"""

    node_name = "BlockDiagBackward0"

    @staticmethod
    def forward(ctx, *arrays, dtype):
        blocks = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrays]
        rows = sum(b.shape[0] for b in blocks)
        cols = sum(b.shape[1] for b in blocks)
        out = np.zeros((rows, cols), dtype)
        places, r, c, grad_r = [], 0, 0, 0
        for a, b in zip(arrays, blocks, strict=True):
            out[r:r + b.shape[0], c:c + b.shape[1]] = b
            places.append((grad_r, c, b.shape[0], b.shape[1]))
            r, c = r + b.shape[0], c + b.shape[1]
            if a.shape != (0,):  # (torch's backward skips a 1-D empty input's row)
                grad_r += b.shape[0]
        ctx.places = places
        ctx.shapes = [(a.shape, a.dtype) for a in arrays]
        return out

    @staticmethod
    def backward(ctx, grad):
        """torch's block_diag_backward: each block a view of grad (slice of a slice; a 0-d
        input's squeezed twice, a 1-D input's squeezed at -1, which leaves its row for the
        engine to sum away as torch's does); a 1-D empty input's a fresh empty tensor."""
        grads = []
        for (r, c, h, w), (shape, dtype), need in zip(ctx.places, ctx.shapes,
                                                     ctx.needs_input_grad, strict=True):
            if not need:
                grads.append(None)
                continue
            if shape == (0,):
                grads.append(wrap(np.zeros(0, grad._data.dtype)))
                continue
            block = _shape.narrow(_shape.narrow(grad, 0, r, h), 1, c, w)
            if len(shape) == 1:
                block = _shape.squeeze(block, -1)
            elif not shape:
                block = _shape.squeeze(_shape.squeeze(block, -1), -1)
            if block._data.dtype != dtype:
                block = block.to(_dtype.to_dtype(dtype))
            grads.append(block)
        return tuple(grads)


def block_diag(*tensors) -> Tensor:
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type_name(t)}"
            )
        if t._data.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                f"Input {i} has {t._data.ndim} dimensions"
            )
    if not tensors:
        return wrap(np.zeros((1, 0), _dtype.get_default_dtype().np))
    dtype = _dtype.result_type_of(tensors).np
    return BlockDiag.apply(*tensors, dtype=dtype)


# ---------------------------------------------------------------------------------------
# chain_matmul

_warned_chain_matmul = False


def chain_matmul(*matrices, out=None) -> Tensor:
    """The product of the matrices, multiplied in the order that costs the fewest scalar
    multiplications (torch.linalg.multi_dot's dynamic programme). Deprecated in torch,
    which warns once per process."""
    global _warned_chain_matmul
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if out is not None:
        from torchlet._ops.linalg.products import _write_out

        return _write_out("chain_matmul", out, matrices, lambda: chain_matmul(*matrices))
    if not _warned_chain_matmul:
        _warned_chain_matmul = True
        warnings.warn(
            "torch.chain_matmul is deprecated and will be removed in a future PyTorch "
            "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
            "more tensors rather than multiple parameters.",
            UserWarning, stacklevel=2,
        )
    for m in matrices:
        if m._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m._data.ndim}, expected 2 instead.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return _shape.clone(matrices[0])
    for i in range(1, len(matrices)):
        a, b = matrices[i - 1], matrices[i]
        if b._data.dtype != matrices[0]._data.dtype:
            raise RuntimeError(
                "multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_c_name(matrices[0])} and tensor {i} {_c_name(b)}"
            )
        if a._data.shape[1] != b._data.shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes {list(a._data.shape)} and "
                f"{list(b._data.shape)} cannot be multiplied"
            )
    result = _multi_dot(list(matrices))
    return _shape.view(result, (matrices[0]._data.shape[0], matrices[-1]._data.shape[1]))


def _multi_dot(ms: list) -> Tensor:
    n = len(ms)
    if n == 2:
        return _mm(ms[0], ms[1])
    if n == 3:
        a, b = ms[0]._data.shape
        c, d = ms[2]._data.shape
        if a * c * (b + d) > b * d * (a + c):
            return _mm(ms[0], _mm(ms[1], ms[2]))
        return _mm(_mm(ms[0], ms[1]), ms[2])
    # matrix i is p[i] x p[i + 1]; split[i][j] is where to split the product of i..j
    p = [m._data.shape[0] for m in ms] + [ms[-1]._data.shape[1]]
    cost: list[list[float]] = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf  # the first split always replaces it
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k

    def product(i, j):
        if i == j:
            return ms[i]
        return _mm(product(i, split[i][j]), product(split[i][j] + 1, j))

    return product(0, n - 1)


# ---------------------------------------------------------------------------------------
# addmv, addr, addbmm


class Addmv(Primitive):
    """out = beta * input + alpha * (m @ v) (beta = 0 ignores input, NaN included);
    grad_input = beta * grad,  grad_m = alpha * outer(grad, v),  grad_v = alpha * m^T grad."""

    node_name = "AddmvBackward0"

    @staticmethod
    def forward(ctx, bias, m, v, *, beta, alpha, given):
        # given: (beta, alpha) as the caller gave them, which torch's node keeps (as addmm)
        ctx.save_for_backward(m, v)
        ctx.beta, ctx.alpha, ctx.given = beta.item(), alpha.item(), given
        out = np.matmul(m, v) if alpha else np.zeros(m.shape[:1], m.dtype)
        if alpha != 1:
            out = out * alpha
        if beta:
            out = out + (bias if beta == 1 else beta * bias)
        return np.asarray(out, m.dtype)

    @staticmethod
    def backward(ctx, grad):
        m, v = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (_times(grad, ctx.beta) if needs[0] else None,
                _times(outer(grad, v), ctx.alpha) if needs[1] else None,
                _times(mv(_shape.t(m), grad), ctx.alpha) if needs[2] else None)


def _times(x: Tensor, factor) -> Tensor:
    return x if factor == 1 else _mul(x, factor)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    bias = _tensor_arg("addmv", input, "input", 1)
    m = _tensor_arg("addmv", mat, "mat", 2)
    v = _tensor_arg("addmv", vec, "vec", 3)
    if out is not None:
        from torchlet._ops.linalg.products import _write_out

        return _write_out("addmv", out, (bias, m, v),
                          lambda: addmv(bias, m, v, beta=beta, alpha=alpha))
    md, vd, sd = m._data, v._data, bias._data
    if not (md.ndim == 2 and vd.ndim == 1 and sd.ndim <= 1):
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {sd.ndim}, {md.ndim}, {vd.ndim}")
    if md.shape[1] != vd.shape[0] or not (sd.size == md.shape[0] or sd.size == 1):
        got = sd.shape[0] if sd.ndim else 1
        raise RuntimeError(
            f"size mismatch, got input ({got}), mat ({md.shape[0]}x{md.shape[1]}), "
            f"vec ({vd.shape[0]})"
        )
    if not sd.dtype == md.dtype == vd.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_scalar_name(bias)}, {_scalar_name(m)}, and {_scalar_name(v)}"
        )
    _no_bool(m, "addmv_impl_cpu")
    dtype = md.dtype
    return Addmv.apply(bias, m, v, beta=_scalar(beta, dtype), alpha=_scalar(alpha, dtype),
                       given=(beta, alpha))


class Addr(Primitive):
    """out = beta * input + (alpha * u) * v^T elementwise in the common dtype, rounded at
    each step as torch's kernel (beta = 0 ignores input; bools: input or (u and v));
    grad_input = beta * grad,  grad_u = alpha * grad @ v,  grad_v = alpha * grad^T @ u."""

    node_name = "AddrBackward0"

    @staticmethod
    def forward(ctx, bias, u, v, *, beta, alpha, dtype):
        ctx.save_for_backward(u, v)
        ctx.beta, ctx.alpha = beta, alpha
        u2, v2 = u.astype(dtype)[:, None], v.astype(dtype)[None, :]
        if dtype == np.bool_:
            product = u2 & v2 if alpha else np.zeros((u.size, v.size), bool)
            return product | bias if beta else product
        a, b = np.asarray(alpha).astype(dtype)[()], np.asarray(beta).astype(dtype)[()]
        product = (a * u2) * v2
        if not beta:
            return np.ascontiguousarray(np.broadcast_to(product, (u.size, v.size)))
        return b * bias.astype(dtype) + product

    @staticmethod
    def backward(ctx, grad):
        u, v = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (_times(grad, ctx.beta) if needs[0] else None,
                _times(mv(grad, v), ctx.alpha) if needs[1] else None,
                _times(mv(_shape.t(grad), u), ctx.alpha) if needs[2] else None)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    bias = _tensor_arg("addr", input, "input", 1)
    u = _tensor_arg("addr", vec1, "vec1", 2)
    v = _tensor_arg("addr", vec2, "vec2", 3)
    if out is not None:
        from torchlet._ops.linalg.products import _write_out

        return _write_out("addr", out, (bias, u, v),
                          lambda: addr(bias, u, v, beta=beta, alpha=alpha))
    for name, x in (("vec1", u), ("vec2", v)):
        if x._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {x._data.ndim}-D")
    shape = (u._data.shape[0], v._data.shape[0])
    _check_bias(bias, shape)
    if bias._data.ndim != 2:
        _shape.expand(bias, shape)  # raises torch's message when it does not expand
    dtype = _dtype.result_type_of((bias, u, v)).np
    for value, name in ((beta, "beta"), (alpha, "alpha")):
        if isinstance(value, bool) and dtype != np.bool_:
            raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
        if dtype.kind in "iub" and isinstance(value, float):
            raise RuntimeError(
                f"For integral input tensors, argument {name} must not be a floating point "
                "number."
            )
    return Addr.apply(bias, u, v, beta=beta, alpha=alpha, dtype=dtype)


class Addbmm(Primitive):
    """out = beta * input + alpha * sum_b (B1[b] @ B2[b]), accumulated batch after batch as
    torch does (one addmm per batch);  grad_input = beta * grad,
    grad_B1 = alpha * grad @ B2^T,  grad_B2 = alpha * B1^T @ grad (grad repeated per batch)."""

    node_name = "AddbmmBackward0"

    @staticmethod
    def forward(ctx, bias, b1, b2, *, beta, alpha, given):
        ctx.save_for_backward(b1, b2)  # (given: as Addmv's)
        ctx.beta, ctx.alpha, ctx.given = beta.item(), alpha.item(), given
        shape = (b1.shape[1], b2.shape[2])
        out = np.zeros(shape, b1.dtype)
        if beta:
            out = np.array(np.broadcast_to(bias, shape))
        if b1.shape[0] == 0:
            return out * beta if beta else out
        step_beta = beta
        for i in range(b1.shape[0]):
            product = np.matmul(b1[i], b2[i])
            if alpha != 1:
                product = product * alpha
            out = product + (out if step_beta == 1 else step_beta * out) if step_beta \
                else product
            step_beta = 1
        return np.asarray(out, b1.dtype)

    @staticmethod
    def backward(ctx, grad):
        b1, b2 = ctx.saved_tensors
        needs = ctx.needs_input_grad
        batch = b1._data.shape[0]
        grad3 = _shape.expand(_shape.unsqueeze(grad, 0), (batch,) + tuple(grad.shape))
        return (_times(grad, ctx.beta) if needs[0] else None,
                _times(bmm(grad3, _shape.transpose(b2, 1, 2)), ctx.alpha) if needs[1] else None,
                _times(bmm(_shape.transpose(b1, 1, 2), grad3), ctx.alpha) if needs[2] else None)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor:  # noqa: A002
    bias = _tensor_arg("addbmm", input, "input", 1)
    b1 = _tensor_arg("addbmm", batch1, "batch1", 2)
    b2 = _tensor_arg("addbmm", batch2, "batch2", 3)
    if out is not None:
        from torchlet._ops.linalg.products import _write_out

        return _write_out("addbmm", out, (bias, b1, b2),
                          lambda: addbmm(bias, b1, b2, beta=beta, alpha=alpha))
    s1, s2 = b1._data.shape, b2._data.shape
    rows = s1[_wrap_dim(1, len(s1))]
    cols = s2[_wrap_dim(2, len(s2))]
    _check_bias(bias, (rows, cols))
    if bias._data.ndim != 2:
        _shape.expand(bias, (rows, cols))
    if bias._data.dtype != b2._data.dtype:
        raise RuntimeError(
            "self and mat2 must have the same dtype, but got "
            f"{_scalar_name(bias)} and {_scalar_name(b2)}"
        )
    if b1._data.dtype != b2._data.dtype:
        raise RuntimeError(
            "mat1 and mat2 must have the same dtype, but got "
            f"{_scalar_name(b1)} and {_scalar_name(b2)}"
        )
    if len(s1) != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if len(s2) != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if s1[0] != s2[0]:
        raise RuntimeError(
            f"batch1 and batch2 must have same number of batches, got {s1[0]} and {s2[0]}")
    if s1[2] != s2[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({s1[1]}x{s1[2]} and {s2[1]}x{s2[2]})")
    _no_bool(b1, "addmm_impl_cpu_")
    dtype = b1._data.dtype
    return Addbmm.apply(bias, b1, b2, beta=_scalar(beta, dtype), alpha=_scalar(alpha, dtype),
                        given=(beta, alpha))


def addmv_(input, mat, vec, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """In place: input = beta * input + alpha * (mat @ vec)."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)

"""Attention: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``, as
torch.nn.functional.

Scaled dot-product attention of queries Q (..., L, E) over keys K (..., S, E) and values
V (..., S, Ev)::

    A   = softmax(Q K^T * scale + mask)      (..., L, S), each row sums to 1
    out = A V                                 (..., L, Ev)

scale defaults to 1/sqrt(E). A boolean mask says which keys each query may attend to
(True = attend; False becomes -inf before the softmax); a float mask is added as it is;
``is_causal`` lets query i attend to keys 0..i only. A row whose keys are all masked out
gets zero attention (torch's "safe softmax"), not NaN.

torch picks a kernel as it does on the CPU (``torch.nn.attention.sdpa_kernel`` sets which
are allowed). Where it runs its fused flash kernel (4-D inputs, no dropout, a mask that
needs no grad, ...) the result is one node, ScaledDotProductFlashAttentionForCpuBackward0,
computed in NumPy with the math kernel's arithmetic; its gradient cannot be
differentiated again, as in torch. Elsewhere torch's reference ("math") kernel is
composed of torchlet operations, so gradients of every order follow from the graph and,
with ``dropout_p > 0``, the dropout mask is drawn from the default generator exactly as
torch draws it.

Multi-head attention projects the inputs, splits the embedding into ``num_heads`` heads
of ``embed_dim // num_heads`` features, attends within each head, concatenates the heads
and projects the result (``nn.MultiheadAttention``); the code follows torch's
``F.multi_head_attention_forward`` line by line (the module's inference "fast path" is
MultiheadAttention._fast_forward).

torch returns zeros, tied to q, k and v by ``* 0``, when there are no queries or the
value is empty, before it checks anything else; torchlet does the same.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from torchlet import _dtype
from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.creation import zeros
from torchlet._ops.linalg import baddbmm, bmm, matmul
from torchlet._ops.linalg._transpose import transposed_copy
from torchlet._ops.linalg.integration import MulScalar
from torchlet._ops.shape.common import empty_in_layout
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.function import SAVED_TENSOR_HOOKS, Primitive
from torchlet.backends import cuda as _cuda_backend
from torchlet.nn._functional.dropout import dropout
from torchlet.nn._functional.padding import pad
from torchlet.nn._functional.softmax import (
    SoftmaxBackwardData,
    _numpy_pairwise,
    _short_rows,
    _softmax_np,
    softmax,
)
from torchlet.nn.functional import linear

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]

# How torch's C++ checks name dtypes in messages.
_C_NAME = C_TYPE_NAMES
_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "float32": "Float",
                "float64": "Double"}


def _c_name(t: Tensor) -> str:
    return _C_NAME[t._data.dtype.name]


# ---------------------------------------------------------------------------------------
# scaled dot-product attention


def _validate_sdpa_input(query, key, value, attn_mask) -> None:
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"scaled_dot_product_attention(): argument '{name}' must be Tensor, not "
                f"{type_name(t)}"
            )
    qd = query._data.dtype
    if qd != key._data.dtype or qd != value._data.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c_name(query)} key.dtype: {_c_name(key)} and value.dtype: {_c_name(value)} "
            "instead."
        )
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.dim()} key.dim: {key.dim()} and value.dim: {value.dim()} "
            "instead."
        )
    if attn_mask is not None:
        md = attn_mask._data.dtype
        if md != np.bool_ and md != np.float32 and md != qd:
            raise RuntimeError(
                "Expected attn_mask dtype to be bool or float or to match query dtype, but "
                f"got attn_mask.dtype: {_c_name(attn_mask)} and  query.dtype: "
                f"{_c_name(query)} instead."
            )
    if qd.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {_SCALAR_TYPE[qd.name]}")


def _bool_to_additive(mask: np.ndarray, dtype) -> np.ndarray:
    """True (attend) -> 0, False -> -inf, in the query's dtype."""
    return np.where(mask, np.zeros((), dtype), np.array(-np.inf, dtype))


class SafeSoftmax(Primitive):
    """torch's _safe_softmax over the last dim: softmax, except that a row entirely -inf
    (a query with nothing to attend to) gives zeros, not NaN.
    grad_x = SoftmaxBackwardData(grad, out) = out * (grad - sum(grad * out)), which is 0
    on those rows (out is 0 there), as torch's derivative."""

    node_name = "SafeSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x):
        masked = np.isneginf(x).all(-1, keepdims=True)
        if masked.any():
            out = np.where(masked, x.dtype.type(0),
                           _softmax_np(np.where(masked, x.dtype.type(0), x), x.ndim - 1, False))
        else:
            out = _softmax_np(x, x.ndim - 1, False)  # (float16's path wants dim >= 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return SoftmaxBackwardData.apply(grad, out, dim=-1)


def _repeat_heads(query: Tensor, key: Tensor, value: Tensor):
    """Grouped-query attention: repeat each key/value head for its group of query heads."""
    q_heads, k_heads, v_heads = query.size(-3), key.size(-3), value.size(-3)
    if q_heads == k_heads == v_heads:
        return key, value
    if q_heads % k_heads != 0 or q_heads % v_heads != 0:
        # torch's message, cut short as torch's is
        raise RuntimeError("Number of heads in key and value must divide the number of heads "
                           "in ")
    key = _shape.repeat_interleave(key, q_heads // k_heads, -3)
    value = _shape.repeat_interleave(value, q_heads // v_heads, -3)
    return key, value


def _uses_cpu_flash(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """Whether torch 2.13 runs its fused CPU flash kernel rather than the math one
    (aten/src/ATen/native/transformers/sdp_utils_cpp: use_flash_attention_cpp, checked in
    its order): no dropout; 4-D q, k, v with one batch size and, per enable_gqa, equal
    heads or key/value heads dividing the query's; a mask that needs no grad, 2-D or 4-D,
    broadcastable to (B, H, L, S) with its batch and head sizes 1 or equal; one head dim;
    non-empty sequences; last-dim stride 1."""
    # (on the arrays' shapes: Tensor.shape and size() cost more than the whole check)
    q, k, v = query._data, key._data, value._data
    if dropout_p > 0.0 or not q.ndim == k.ndim == v.ndim == 4:
        return False
    batch, heads, length, dim = q.shape
    _, kv_heads, kv_length, _ = k.shape
    if not batch == k.shape[0] == v.shape[0]:
        return False
    if enable_gqa:
        if kv_heads != v.shape[1] or heads % kv_heads != 0:
            return False
    elif not heads == kv_heads == v.shape[1]:
        return False
    if attn_mask is not None:
        if attn_mask.requires_grad:
            return False
        if attn_mask.dim() < 2:
            attn_mask.size(-2)  # raises torch's IndexError, as torch's check does
        mask = attn_mask._data.shape
        if mask[-2] not in (length, 1) or mask[-1] not in (kv_length, 1):
            return False
        if len(mask) == 4:
            if mask[0] not in (1, batch) or mask[1] not in (1, heads):
                return False
        elif len(mask) != 2:
            return False
    if not dim == k.shape[-1] == v.shape[-1]:
        return False
    if length == 0 or kv_length == 0:
        return False
    return q.strides[-1] == k.strides[-1] == v.strides[-1] == q.itemsize


def _uses_flash(query, key, value, attn_mask, dropout_p, enable_gqa) -> bool:
    """torch's choice of kernel on the CPU (select_sdp_backend_cpp): flash when enabled
    and usable, else math when enabled, else an error."""
    if _cuda_backend.flash_sdp_enabled():
        if _uses_cpu_flash(query, key, value, attn_mask, dropout_p, enable_gqa):
            return True
        if not _cuda_backend.math_sdp_enabled():
            raise RuntimeError("No available kernel.  Aborting execution.")
        return False
    if not _cuda_backend.math_sdp_enabled():
        raise RuntimeError(
            "No viable backend for scaled_dot_product_attention was found. This is likely "
            "due to turning off both the math kernel and the fused kernels."
        )
    return False


def _with_causal(mask, query, key):
    """The math kernel's mask for is_causal: keys after each query get -inf. It refuses
    an attn_mask as well (but checks nothing when a sequence is empty)."""
    dtype = query._data.dtype
    causal = np.tri(query.size(-2), key.size(-2), dtype=bool)
    if mask is None:
        return wrap(_bool_to_additive(causal, dtype))
    if 0 in causal.shape:
        return wrap(np.where(causal, mask._data, np.array(-np.inf, dtype)))
    raise RuntimeError(
        "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
        "is_causal=True"
    )


def _nothing_to_attend(query, key, value) -> Tensor:
    """torch's answer when there are no queries or the value is empty: zeros of shape
    query.shape[:-1] + (Ev,), tied to q, k and v through (sum q + sum k + sum v) * 0, so
    that their gradients are zeros. torch checks nothing else then (the shapes of key and
    value, the mask, dropout_p, is_causal, the enabled kernels)."""
    out = zeros(tuple(query.shape[:-1]) + (value.size(-1),), dtype=query.dtype)
    return out + MulScalar.apply(query.sum() + key.sum() + value.sum(), number=0.0)


def _check_adds_in_place(scores: Tensor, mask: Tensor) -> None:
    """The math kernel adds the mask to the scores in place: a mask with more (or larger)
    dimensions than Q K^T is torch's error, not a broadcast result."""
    try:
        shape = np.broadcast_shapes(scores._data.shape, mask._data.shape)
    except ValueError:
        return  # (the addition raises torch's size-mismatch error)
    if shape != scores._data.shape:
        raise RuntimeError(f"output with shape {list(scores._data.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}")


# torch's signature: (query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False,
# *, scale=None, enable_gqa=False), each parameter with the kind its argument parser takes
_SDPA_PARAMETERS = (("query", "Tensor"), ("key", "Tensor"), ("value", "Tensor"),
                    ("attn_mask", "Tensor?"), ("dropout_p", "float"), ("is_causal", "bool"),
                    ("scale", "float?"), ("enable_gqa", "bool"))
_SDPA_DEFAULTS = {"attn_mask": None, "dropout_p": 0.0, "is_causal": False, "scale": None,
                  "enable_gqa": False}
_SDPA_POSITIONAL = 6


def _parsed_float(value):
    """The number torch's parser takes for a ``float`` parameter (a Python or NumPy real
    number, bool included, or a 0-d Tensor that needs no grad) as a Python float; None
    for anything else."""
    if isinstance(value, Tensor):
        if value.dim() == 0 and not value.requires_grad:
            return float(value.item())
        return None
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        return float(value)
    return None


def _sdpa_arguments(args: tuple, kwargs: dict) -> list:
    """The arguments of scaled_dot_product_attention in signature order, checked as
    torch's argument parser checks them: Python's arity errors in torch's words, then
    each parameter in order: a Tensor (or None where optional), a float (returned as a
    Python float), a bool that is Python's bool (not NumPy's np.bool_, not 1)."""
    fn = "scaled_dot_product_attention()"
    if len(args) > _SDPA_POSITIONAL:
        raise TypeError(f"{fn} takes from 3 to {_SDPA_POSITIONAL} positional arguments but "
                        f"{len(args)} were given")
    names = [name for name, _ in _SDPA_PARAMETERS]
    for name in kwargs:
        if name not in names:
            raise TypeError(f"{fn} got an unexpected keyword argument '{name}'")
        if names.index(name) < len(args):
            raise TypeError(f"{fn} got multiple values for argument '{name}'")
    missing = [f'"{name}"' for name in names[len(args):3] if name not in kwargs]
    if missing:  # (torch's plural: "arguments" for one)
        raise TypeError(f"{fn} missing {len(missing)} required positional argument"
                        f"{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")
    bound: list = []
    for position, (name, kind) in enumerate(_SDPA_PARAMETERS):
        value = args[position] if position < len(args) else kwargs.get(
            name, _SDPA_DEFAULTS.get(name))
        if kind.endswith("?") and value is None:
            bound.append(None)
            continue
        kind = kind.rstrip("?")
        if kind == "float":
            parsed = _parsed_float(value)
        elif kind == "Tensor":
            parsed = value if isinstance(value, Tensor) else None
        else:
            parsed = value if type(value) is bool else None
        if parsed is None:
            where = f" (position {position + 1})" if position < len(args) else ""
            raise TypeError(f"{fn}: argument '{name}'{where} must be {kind}, not "
                            f"{type_name(value)}")
        bound.append(parsed)
    return bound


def scaled_dot_product_attention(*args, **kwargs) -> Tensor:
    """``scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
    is_causal=False, *, scale=None, enable_gqa=False)``: softmax(Q K^T * scale + mask) V
    over the last two dimensions (see the module docstring). ``dropout_p`` drops
    attention weights (always, there is no training flag); ``enable_gqa`` lets key/value
    have fewer heads (dim -3) than the query. The arguments are checked as torch's
    parser checks them (``_sdpa_arguments``: is_causal=np.bool_(True) is a TypeError)."""
    (query, key, value, attn_mask, dropout_p, is_causal, scale,
     enable_gqa) = _sdpa_arguments(args, kwargs)
    _validate_sdpa_input(query, key, value, attn_mask)
    if query.size(-2) == 0 or value.numel() == 0:
        return _nothing_to_attend(query, key, value)
    flash = _uses_flash(query, key, value, attn_mask, dropout_p, enable_gqa)
    mask = attn_mask
    if mask is not None and mask._data.dtype == np.bool_:
        mask = wrap(_bool_to_additive(mask._data, query._data.dtype))

    # torch scales q and k by sqrt(scale) each (smaller intermediate values); a negative
    # scale goes with the query
    negative = scale is not None and scale < 0
    # (no features: C++'s 1 / sqrt(0) = inf, harmless with nothing to scale)
    softmax_scale = (abs(scale) if negative else scale) if scale is not None else (
        1.0 / math.sqrt(query.size(-1)) if query.size(-1) else math.inf)
    factor = math.sqrt(softmax_scale)
    q_factor = -factor if negative else factor
    if flash:
        if dropout_p != 0.0:  # a negative p passes torch's check for its flash kernel
            raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do "
                               "not support dropout > 0")
        return FlashAttentionForCpu.apply(
            query, key, value, mask=None if mask is None else mask._data, is_causal=is_causal,
            q_factor=q_factor, factor=factor)
    if is_causal:
        mask = _with_causal(mask, query, key)
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(
            f"dropout probability has to be between 0 and 1, but got {dropout_p}"
        )
    half = query._data.dtype == np.float16
    if half:  # torch's math kernel computes float16 in float32, rounded once at the end
        query, key, value = (t.to(_dtype.float32) for t in (query, key, value))
    # (times a number: torch's MulBackward1 nodes)
    q = MulScalar.apply(query, number=q_factor)
    if enable_gqa:
        key, value = _repeat_heads(q, key, value)
    scores = matmul(q, MulScalar.apply(key.transpose(-2, -1), number=factor))
    if mask is not None:
        _check_adds_in_place(scores, mask)
        scores = scores + mask
    weights = SafeSoftmax.apply(scores)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = matmul(weights, value)
    return out.to(_dtype.float16) if half else out


def _times_number(x: np.ndarray, number: float, in_place: bool = False) -> np.ndarray:
    """x * number as a Tensor times a Python number computes it (float16 in float32,
    rounded once); ``in_place``: into x (not float16)."""
    if x.dtype == np.float16:
        return (x.astype(np.float32) * np.float32(number)).astype(np.float16)
    return np.multiply(x, x.dtype.type(number), out=x if in_place else None)


def _dense_heads(*arrays) -> bool:
    """Whether C-contiguous copies of these (..., rows, columns) operands give the same
    products: BLAS reads each matrix the same way (rows of unit stride, as BLAS takes
    them in place) and only the leading dimension changes, which changes no bits; every
    product is a real matrix product (no size 1, where NumPy picks gemv or dot by the
    strides). Anything else (expanded or overlapping rows, a column stride) keeps its
    layout (tests/test_encoder26.py compares both on random layouts)."""
    for x in arrays:
        itemsize = x.itemsize
        rows, columns = x.shape[-2:]
        if (rows < 2 or columns < 2 or x.strides[-1] != itemsize
                or x.strides[-2] < columns * itemsize):
            return False
    return True


def _scaled_operands(q, k, v, q_factor, factor):
    """q * q_factor, (k * factor)^T and v, each key/value head repeated for its group of
    query heads (grouped-query attention), as the math kernel forms them.

    MHA's heads are strided views of the projection (rows 3 * E apart): the operands
    are made C-contiguous first where ``_dense_heads`` allows (on (16, 4, 32, 16) heads
    Q K^T took 99 us strided, 51 from contiguous operands, each copy 4 us)."""
    if _dense_heads(q, k, v):
        q, k, v = (np.ascontiguousarray(x) for x in (q, k, v))
    groups = q.shape[1] // k.shape[1]
    if groups > 1:
        k, v = np.repeat(k, groups, axis=1), np.repeat(v, groups, axis=1)
    return _times_number(q, q_factor), _times_number(k.swapaxes(-2, -1), factor), v


def _scores(qs, kts, mask, is_causal):
    """S = qs kts + mask, and -inf for the keys after each query when is_causal (torch's
    flash kernel applies both masks)."""
    scores = np.matmul(qs, kts)
    if mask is not None:
        scores = scores + mask
    if is_causal:  # (in place: scores is a new array; faster than np.where)
        np.copyto(scores, -np.inf, where=~np.tri(*scores.shape[-2:], dtype=bool))
    return scores


class FlashAttentionForCpu(Primitive):
    """torch's fused CPU attention (_scaled_dot_product_flash_attention_for_cpu), computed
    in the order of its math kernel, so the results are those of the composed graph:

        S = (q * qf) (k * f)^T + mask (+ causal mask),   P = safe_softmax(S),   out = P v

    (f = sqrt(scale), qf = -f for a negative scale). Its gradient (FlashAttentionForCpuGrad)
    is one NumPy step that torch does not differentiate again. q, k, v are 4-D
    (batch, heads, length, dim); key/value may have fewer heads (grouped-query attention).
    The mask is a constant (torch takes this kernel only for masks that need no grad)."""

    node_name = "ScaledDotProductFlashAttentionForCpuBackward0"

    @staticmethod
    def forward(ctx, q, k, v, *, mask, is_causal, q_factor, factor):
        qs, kts, vs = _scaled_operands(q, k, v, q_factor, factor)
        scores = _scores(qs, kts, mask, is_causal)
        fused = _softmax_and_logsumexp(scores)
        if fused is not None:
            weights, lse = fused
        else:
            top = _row_max(scores, -np.inf)
            # rows that attend to nothing: all -inf, i.e. a max of -inf (a NaN in a row
            # makes neither true)
            masked = np.isneginf(top)[..., None]
            last = scores.ndim - 1  # (float16's softmax wants dim >= 0)
            if masked.any():
                weights = np.where(masked, 0,
                                   _softmax_np(np.where(masked, 0, scores), last, False))
            else:
                weights = _softmax_np(scores, last, False)
            lse = _logsumexp(top, weights, masked)
        # the output laid out as the query, as torch's kernel (empty_like: a dense query's
        # strides, size-1 dims' too): for MHA's heads, (L, N, heads, E) in memory, so that
        # MHA's permute back is a view (a meta query: a meta array like it)
        out = empty_in_layout(q, q.dtype, None) if type(q) is np.ndarray else np.empty_like(q)
        np.matmul(weights.astype(q.dtype, copy=False), vs, out=out)
        ctx.is_causal, ctx.q_factor, ctx.factor = is_causal, q_factor, factor
        # torch's order (saved_tensors_hooks see it): attn_mask, key, query, value,
        # logsumexp, output
        ctx.operands = None
        if any(ctx.needs_input_grad):
            ctx.save_for_backward(mask, k, q, v, lse, out)
            if (type(q) is np.ndarray and q.dtype != np.float16
                    and not SAVED_TENSOR_HOOKS.stack):
                # the gradient's scaled operands and scores are these, computed from the
                # same saved q, k, v (an in-place change of those fails the version
                # check first); kept instead of computed again (100 us of a small
                # encoder layer's step). float16's are computed in float32 there, and
                # hooks may hand back other tensors. (Meta arrays: computed again.)
                ctx.operands = (qs, kts, vs, scores)
        return out

    @staticmethod
    def backward(ctx, grad):
        mask, k, q, v, lse, out = ctx.saved_tensors
        inputs = (grad, q, k, v, out)
        # torch's node for the gradient links only the tensors that require grad
        linked = [t for t in inputs if t.requires_grad]
        grads = FlashAttentionForCpuGrad.apply(
            *linked, arrays=[t._data for t in inputs[:4]], lse=lse._data,
            mask=None if mask is None else mask._data, is_causal=ctx.is_causal,
            q_factor=ctx.q_factor, factor=ctx.factor, operands=ctx.operands)
        return tuple(g if need else None for g, need in zip(grads, ctx.needs_input_grad))


def _softmax_and_logsumexp(scores: np.ndarray):
    """(softmax(scores), logsumexp(scores)) over the last dim, the same bits as
    ``_softmax_np`` and ``_logsumexp`` give, in one pass for the common case: short rows
    (``_short_rows``) with finite, nonzero maxima. Then softmax takes the row max over
    the transposed rows, as ``_row_max`` does (one max instead of two), and the largest
    weight, which ``_logsumexp`` looks up, is exp(0) * (1 / sum) = 1 / sum exactly (every
    other exp is at most 1), so no second max either (110 us of a small encoder layer's
    450). None for anything else (masked rows, NaN, inf, a zero maximum, long rows)."""
    if not _short_rows(scores):
        return None
    n = scores.shape[-1]
    rows = scores.reshape(-1, n)
    # (the transposed copies by OpenBLAS's omatcopy: 20 and 14 us against NumPy's 40 on
    # the (2048, 32) rows of a small encoder layer)
    top = np.maximum.reduce(_transposed(rows), axis=0)
    if not (np.isfinite(top).all() and (top != 0).all()):
        return None
    # as _softmax_short_rows: exp(x - max) / sum, the sum in NumPy's pairwise order
    e = np.exp(np.subtract(rows, top[:, None]), out=None)
    inverse = 1 / _numpy_pairwise(_transposed(e))
    weights = np.multiply(e, inverse[:, None], out=e).reshape(scores.shape)
    lse = top - np.log(inverse)  # _logsumexp's max - log(largest weight)
    return weights, lse.reshape(scores.shape[:-1])


def _transposed(a: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of a.T (a: a C-contiguous matrix)."""
    return transposed_copy(a, np.empty(a.shape[::-1], a.dtype))


def _logsumexp(top, weights, masked):
    """log(sum(exp(S))) per row, from the softmax already computed and the rows' maxima
    ``top``: the largest weight is exp(0) / sum(exp(S - max)), so logsumexp = max -
    log(max weight). 0 for a row that attends to nothing, as torch stores it. float16 is
    kept in float32, as torch does."""
    dtype = np.float32 if top.dtype == np.float16 else top.dtype
    top = top.astype(dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        lse = top - np.log(_row_max(weights, 0).astype(dtype))
    return np.where(masked[..., 0], lse.dtype.type(0), lse) if masked.any() else lse


def _row_max(x: np.ndarray, initial) -> np.ndarray:
    """``np.max(x, -1, initial=initial)``, the same bits. NumPy reduces short rows one
    by one (74 us for the (16, 4, 32, 32) scores of a small encoder layer); over the
    transposed rows one reduce runs across all rows at once (a fifth of that, the copy
    included). The max of a row is the same in any order except which of 0.0 and -0.0
    (or which NaN) comes out: rows with a zero or NaN maximum take NumPy's own reduce.
    (initial=-inf there: NumPy's max along short rows is twice as fast with it.)"""
    n = x.shape[-1]
    if 1 < n <= 64 and x.size >= 1024 and x.flags.c_contiguous and x.dtype.kind == "f":
        rows = x.reshape(-1, n)
        top = np.maximum.reduce(np.ascontiguousarray(rows.T), axis=0, initial=initial)
        if (np.abs(top) > 0).all():  # (NaN is not > 0 either)
            return top.reshape(x.shape[:-1])
    return np.max(x, -1, initial=initial)


class FlashAttentionForCpuGrad(Primitive):
    """The gradients of FlashAttentionForCpu, g the gradient of out, P = exp(S - lse):

        grad_v = P^T g,   dP = g v^T,   dS = P * (dP - rowsum(dP * P)),
        grad_q = (dS (k * f)) * qf,   grad_k = (dS^T (q * qf)) * f,

    grad_k and grad_v summed over each group of query heads that shares a key/value head.
    float16 is computed in float32 and rounded once. torch has no derivative for it.
    ``operands``: the forward's (q * qf, (k * f)^T, v, S) where it kept them, else None
    (then computed again here)."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, *linked, arrays, lse, mask, is_causal, q_factor, factor,
                operands=None):
        grad, q, k, v = arrays
        dtype = q.dtype
        if _dense_heads(grad, q, k, v):  # (see _scaled_operands)
            grad = np.ascontiguousarray(grad)
        if operands is not None:
            qs, kts, vs, scores = operands
            weights = np.subtract(scores, lse[..., None])  # (S is kept: a new array)
        else:
            qs, kts, vs = _scaled_operands(q, k, v, q_factor, factor)
            if dtype == np.float16:
                grad, qs, kts, vs = (x.astype(np.float32) for x in (grad, qs, kts, vs))
            scores = _scores(qs, kts, mask, is_causal)  # (a new array: updated in place)
            weights = np.subtract(scores, lse[..., None], out=scores)
        weights = np.exp(weights, out=weights)
        # (written straight into torch's layout where nothing follows but the scaling)
        direct = dtype != np.float16 and k.shape[1] == q.shape[1]
        grad_v = _product(weights.swapaxes(-2, -1), grad, direct)
        grad_w = np.matmul(grad, vs.swapaxes(-2, -1))
        row_sums = np.sum(grad_w * weights, -1, keepdims=True)
        grad_s = np.multiply(weights, np.subtract(grad_w, row_sums, out=grad_w), out=grad_w)
        grad_q = _times_number(_product(grad_s, kts.swapaxes(-2, -1), direct), q_factor,
                               in_place=direct)
        grad_k = _times_number(_product(grad_s.swapaxes(-2, -1), qs, direct), factor,
                               in_place=direct)
        if direct:
            return grad_q, grad_k, grad_v
        return (_heads_second(grad_q, dtype), _heads_second(_group_sum(grad_k, k), dtype),
                _heads_second(_group_sum(grad_v, v), dtype))

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(
            "derivative for aten::_scaled_dot_product_flash_attention_for_cpu_backward is "
            "not implemented"
        )


def _product(a: np.ndarray, b: np.ndarray, heads_second: bool) -> np.ndarray:
    """a @ b for (batch, heads, rows, ...) operands, written into ``_heads_second``'s
    layout when asked: its rows are still BLAS's (unit stride, a longer leading dimension),
    which changes no bits (tests/test_nnleft27.py compares with a copy)."""
    if not heads_second or type(a) is not np.ndarray:
        return np.matmul(a, b)
    batch, heads, rows = a.shape[:3]
    out = np.empty((batch, rows, heads, b.shape[-1]), a.dtype).transpose(0, 2, 1, 3)
    return np.matmul(a, b, out=out)


def _heads_second(grad: np.ndarray, dtype) -> np.ndarray:
    """A (batch, heads, length, dim) gradient as torch's flash backward allocates it,
    whatever the input's layout: (batch, length, heads, dim) in memory, transposed."""
    if type(grad) is not np.ndarray:  # (a meta array)
        return grad.astype(dtype, copy=False)
    batch, heads, length, dim = grad.shape
    out = np.empty((batch, length, heads, dim), dtype).transpose(0, 2, 1, 3)
    out[...] = grad  # (float16: rounded once, as astype)
    return out


def _group_sum(grad: np.ndarray, like: np.ndarray) -> np.ndarray:
    """The gradient of a key/value head repeated for a group of query heads: the sum over
    the group."""
    batch, heads = like.shape[:2]
    if grad.shape[1] == heads:
        return grad
    return grad.reshape(batch, heads, -1, *grad.shape[2:]).sum(2)


# ---------------------------------------------------------------------------------------
# multi-head attention


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """Whether the inputs are batched (3-D) or one sequence (2-D); torch's shape checks."""
    if query.dim() == 3:
        if key.dim() != 3 or value.dim() != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.dim() not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                f"but found {attn_mask.dim()}-D tensor instead"
            )
        return True
    if query.dim() == 2:
        if key.dim() != 2 or value.dim() != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.dim()}-D and {value.dim()}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.dim() != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                f"but found {key_padding_mask.dim()}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.dim() not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or "
                    f"3-D but found {attn_mask.dim()}-D tensor instead"
                )
            if attn_mask.dim() == 3:
                expected_shape = (num_heads, query.shape[0], key.shape[0])
                if tuple(attn_mask.shape) != expected_shape:
                    raise AssertionError(
                        f"Expected `attn_mask` shape to be {expected_shape} but got "
                        f"{attn_mask.shape}"
                    )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.dim()}-D query tensor"
    )


def _canonical_mask(mask, mask_name, other_type, other_name, target_type,
                    check_other=True):
    """A bool mask becomes an additive float mask (True -> -inf, i.e. masked out: the
    opposite convention of scaled_dot_product_attention's bool mask); a float mask is
    returned unchanged."""
    if mask is None:
        return None
    mask_dtype = mask.dtype
    is_float = mask.is_floating_point()
    if mask_dtype != _dtype.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask_dtype != other_type:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. Use same "
            "type for both instead.",
            stacklevel=2,
        )
    if not is_float:
        # torch's zeros_like(...).masked_fill_(mask, -inf): an integer target_type (an
        # integer query) fails in the fill's conversion of -inf, with torch's error
        zeros = wrap(np.zeros(mask._data.shape, dtype=target_type.np))
        mask = zeros.masked_fill_(mask, float("-inf"))
    return mask


def _none_or_dtype(input):  # noqa: A002
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _in_projection_packed(q, k, v, w, b=None):
    """Project q, k, v with the stacked weight w (3E, E) (and bias b): one matmul when q,
    k and v are the same tensor (self-attention), two when k is v."""
    size = q.size(-1)
    if k is v:
        if q is k:
            proj = linear(q, w, b)
            proj = (proj.unflatten(-1, (3, size)).unsqueeze(0).transpose(0, -2).squeeze(-2)
                    .contiguous())
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([size, size * 2])
        b_q, b_kv = (None, None) if b is None else b.split([size, size * 2])
        q_proj = linear(q, w_q, b_q)
        kv_proj = linear(k, w_kv, b_kv)
        kv_proj = (kv_proj.unflatten(-1, (2, size)).unsqueeze(0).transpose(0, -2).squeeze(-2)
                   .contiguous())
        return q_proj, kv_proj[0], kv_proj[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q, k, v, w_q, w_k, w_v, b_q=None, b_k=None, b_v=None):
    """Project q, k, v with separate weights (when key/value sizes differ from query's)."""
    eq, ek, ev = q.size(-1), k.size(-1), v.size(-1)
    for name, w, shape in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)),
                           ("value", w_v, (eq, ev))):
        if tuple(w.shape) != shape:
            raise AssertionError(
                f"expecting {name} weights shape of {shape}, but got {w.shape}"
            )
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and tuple(b.shape) != (eq,):
            raise AssertionError(f"expecting {name} bias shape of {(eq,)}, but got {b.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _check_static(name, static, bsz, num_heads, head_dim):
    if static.size(0) != bsz * num_heads:
        raise AssertionError(
            f"expecting {name}.size(0) of {bsz * num_heads}, but got {static.size(0)}"
        )
    if static.size(2) != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {static.size(2)}")


def multi_head_attention_forward(  # noqa: C901 - torch's function, kept in one piece
    query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias, bias_k,
    bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training=True,
    key_padding_mask=None, need_weights=True, attn_mask=None, use_separate_proj_weight=False,
    q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None, static_v=None,
    average_attn_weights=True, is_causal=False,
):
    """Multi-head attention of query (L, N, E) over key (S, N, Ek) / value (S, N, Ev)
    (or unbatched (L, E), (S, E)); returns (output (L, N, E), weights (N, L, S) averaged
    over heads, or per head (N, heads, L, S), or None when ``need_weights=False``).

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N * heads, L, S); a
    bool True means "do not attend" (the opposite of scaled_dot_product_attention); float
    masks are added to the scores."""
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)

    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]

    key_padding_mask = _canonical_mask(
        key_padding_mask, "key_padding_mask", _none_or_dtype(attn_mask), "attn_mask",
        query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        # sdpa builds the causal mask itself
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False

    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(
                f"key's sequence and batch dims {key.shape[:2]} do not match value's "
                f"{value.shape[:2]}"
            )
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    # input projections
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q_proj_weight", q_proj_weight), ("k_proj_weight", k_proj_weight),
                        ("v_proj_weight", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name} is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    # attn_mask to (1 or N * heads, L, S)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            correct_2d_size = (tgt_len, src_len)
            if tuple(attn_mask.shape) != correct_2d_size:
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                    f"{correct_2d_size}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            correct_3d_size = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != correct_3d_size:
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                    f"{correct_3d_size}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    # a learned key/value appended to the sequence
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = _shape.cat([k, bias_k.repeat(1, bsz, 1)])
        v = _shape.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    # split the heads: (L, N, E) -> (N * heads, L, head_dim)
    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.view(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static("static_k", static_k, bsz, num_heads, head_dim)
        k = static_k
    if static_v is None:
        v = v.view(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static("static_v", static_v, bsz, num_heads, head_dim)
        v = static_v

    # a zero key/value appended to the sequence
    if add_zero_attn:
        zero_attn_shape = (bsz * num_heads, 1, head_dim)
        k = _shape.cat([k, zeros(zero_attn_shape, dtype=k.dtype)], dim=1)
        v = _shape.cat([v, zeros(zero_attn_shape, dtype=v.dtype)], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))

    src_len = k.size(1)
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        key_padding_mask = (key_padding_mask.view(bsz, 1, 1, src_len)
                            .expand(-1, num_heads, -1, -1)
                            .reshape(bsz * num_heads, 1, src_len))
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        # the weights are returned, so they are computed explicitly
        _, _, head = q.shape
        q_scaled = q * math.sqrt(1.0 / float(head))
        if is_causal and attn_mask is None:
            raise AssertionError("FIXME: is_causal not implemented for need_weights")
        if attn_mask is not None:
            weights = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
        else:
            weights = bmm(q_scaled, k.transpose(-2, -1))
        weights = softmax(weights, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        attn_output = bmm(weights, v)
        attn_output = attn_output.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
        attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
        weights = weights.view(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            attn_output = attn_output.squeeze(1)
            weights = weights.squeeze(0)
        return attn_output, weights

    if attn_mask is not None:
        if attn_mask.size(0) == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.view(bsz, num_heads, -1, src_len)
    q = q.view(bsz, num_heads, tgt_len, head_dim)
    k = k.view(bsz, num_heads, src_len, head_dim)
    v = v.view(bsz, num_heads, src_len, head_dim)
    attn_output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    attn_output = attn_output.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    attn_output = linear(attn_output, out_proj_weight, out_proj_bias)
    attn_output = attn_output.view(tgt_len, bsz, attn_output.size(1))
    if not is_batched:
        attn_output = attn_output.squeeze(1)
    return attn_output, None

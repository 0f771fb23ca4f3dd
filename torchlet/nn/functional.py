"""torchlet.nn.functional: the functions behind the layers (``import torchlet.nn.functional
as F``), as ``torch.nn.functional``.

Each section below belongs to one kind of layer; a new kind of layer adds its section.

* linear: ``linear`` (``nn.Linear``) and ``bilinear`` (``nn.Bilinear``).
"""

from __future__ import annotations

import numpy as np

from torchlet._dtype import C_TYPE_NAMES, type_name
from torchlet._ops import shape as _shape
from torchlet._ops.linalg import einsum as _einsum
from torchlet._ops.linalg import matmul as _matmul
from torchlet._ops.linalg.products import Mm as _Mm
from torchlet._ops.linalg.products import addmm as _addmm
from torchlet._ops.linalg.products import matrix_product, times_transposed
from torchlet._ops.reduction import sum as _sum
from torchlet._ops.reduction.sums import column_sums
from torchlet._tensor import Tensor, wrap
from torchlet.autograd.anomaly_mode import ANOMALY_STATE
from torchlet.autograd.function import (
    SAVED_TENSOR_HOOKS,
    Primitive,
    _edge,
    _new_node,
    _next_sequence_nr,
)
from torchlet.autograd.grad_mode import GRAD_STATE

__all__ = ["bilinear", "linear"]

_ndarray = np.ndarray


def _check_tensor(fn: str, x, arg: str, position: int) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{fn}(): argument '{arg}' (position {position}) must be Tensor, not "
            f"{type_name(x)}"
        )
    return x


# ---------------------------------------------------------------------------------------
# linear


class _Linear(Primitive):
    """out = x @ W^T + b (x: (N, in), W: (out, in), b: (out,));
    grad_b = sum of grad over N,  grad_x = grad @ W,  grad_W = grad^T @ x.

    torch computes a 2-D linear layer as one ``addmm(b, x, W.t())`` and names the node
    AddmmBackward0; this is the same product with the transpose folded in (one node
    instead of two, so a training step records less). As addmm, it saves W only when x
    needs a gradient and x only when W does."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, x, weight):
        _, need_x, need_weight = ctx.needs_input_grad
        ctx.save_for_backward(x if need_weight else None, weight if need_x else None)
        return times_transposed(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_bias, need_x, need_weight = ctx.needs_input_grad
        if not GRAD_STATE.enabled:  # first order: the same computations, on the arrays
            g = grad._data
            grad_bias = wrap(column_sums(g)) if need_bias else None
            return (grad_bias, *_linear_grads_first_order(g, x, weight, need_x, need_weight))
        grad_bias = _sum(grad, 0) if need_bias else None
        grad_x = _Mm.apply(grad, weight) if need_x else None
        grad_weight = _Mm.apply(_shape.t(grad), x) if need_weight else None
        return grad_bias, grad_x, grad_weight

    @classmethod
    def apply_layer(cls, bias: Tensor, x: Tensor, weight: Tensor) -> Tensor:
        """``apply(bias, x, weight)`` for plain CPU tensors, written out: the node that
        apply, forward and _record make, without their general loops over inputs, saved
        values and outputs (4 us of each layer's 12 on a small batch). Anything unusual
        (no grad mode, meta or inference tensors, saved-tensor hooks, anomaly mode) takes
        ``apply``; tests/test_speed22.py compares the two paths' nodes field by field."""
        b, a, w = bias._data, x._data, weight._data
        if (not GRAD_STATE.enabled or type(a) is not _ndarray or type(w) is not _ndarray
                or type(b) is not _ndarray or x._inference or weight._inference
                or SAVED_TENSOR_HOOKS.stack or ANOMALY_STATE.enabled):
            return cls.apply(bias, x, weight)
        edge_b, edge_x, edge_w = _edge(bias), _edge(x), _edge(weight)
        out = times_transposed(a, w, b)
        if edge_b is None and edge_x is None and edge_w is None:
            return wrap(out)
        ctx = _new_node(cls._node_class)
        ctx.needs_input_grad = [edge_b is not None, edge_x is not None, edge_w is not None]
        ctx._edges = [edge_b, edge_x, edge_w]
        ctx._input_meta = [None if edge_b is None else (b.shape, b.dtype),
                           None if edge_x is None else (a.shape, a.dtype),
                           None if edge_w is None else (w.shape, w.dtype)]
        ctx._seq = _next_sequence_nr()
        ctx._n_outputs = 1
        ctx._hooks = None
        # forward's save: x only if the weight needs a gradient, W only if x does
        checks = []
        saved_x = saved_w = None
        if edge_w is not None:
            saved_x = x
            checks.append((x._vbox, x._vbox[0], x))
        if edge_x is not None:
            saved_w = weight
            checks.append((weight._vbox, weight._vbox[0], weight))
        ctx._to_save = (None if saved_x is None else a, None if saved_w is None else w)
        ctx._saved = (saved_x, saved_w)
        ctx._version_checks = checks
        ctx._rebuilt_on_access = False
        return wrap(out, ctx)


class _LinearNoBias(Primitive):
    """out = x @ W^T (x: (N, in), W: (out, in));  grad_x = grad @ W,  grad_W = grad^T @ x.

    torch computes it as ``mm(x, W.t())`` (MmBackward0); the transpose is folded in. As
    mm, it saves W only when x needs a gradient and x only when W does."""

    node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        need_x, need_weight = ctx.needs_input_grad
        ctx.save_for_backward(x if need_weight else None, weight if need_x else None)
        return times_transposed(x, weight)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_weight = ctx.needs_input_grad
        if not GRAD_STATE.enabled:  # first order: as _Linear's
            return _linear_grads_first_order(grad._data, x, weight, need_x, need_weight)
        grad_x = _Mm.apply(grad, weight) if need_x else None
        grad_weight = _Mm.apply(_shape.t(grad), x) if need_weight else None
        return grad_x, grad_weight


def _linear_grads_first_order(grad: np.ndarray, x, weight, need_x: bool, need_weight: bool):
    """(grad_x, grad_W) = (grad @ W, grad^T @ x) as the backward's ``mm`` calls compute
    them, on the arrays: a training step's backward runs this on every layer, and the
    dispatch of three operations was most of a small layer's time. ``x`` and ``weight``
    are the saved Tensors (None when not saved)."""
    return (wrap(matrix_product(grad, weight._data)) if need_x else None,
            wrap(matrix_product(grad.T, x._data)) if need_weight else None)


def _fast_2d(x: np.ndarray, weight: np.ndarray, bias) -> bool:
    """The common case the fused nodes handle; anything else takes torch's general path,
    which also raises torch's errors. float16 takes it too: addmm computes it in float32
    and rounds once, as torch does (the fused node would round the product, then the
    sum with the bias)."""
    dtype = x.dtype
    return (
        x.ndim == 2 and weight.ndim == 2 and x.shape[1] == weight.shape[1]
        and dtype == weight.dtype and dtype.kind == "f" and dtype.itemsize > 2
        and (bias is None or (bias.ndim == 1 and bias.shape[0] == weight.shape[0]
                              and bias.dtype == dtype))
    )


def linear(input, weight, bias=None) -> Tensor:  # noqa: A002 - torch's argument name
    """y = input @ weight^T + bias over the last dimension of ``input``.

    The graph is the one torch records: a 2-D input with a bias gives AddmmBackward0; a
    contiguous input of another rank is flattened to 2-D, multiplied and viewed back
    (ViewBackward0 over AddmmBackward0); without a bias it is ``input @ weight.t()``
    (MmBackward0 for 2-D input)."""
    if (isinstance(input, Tensor) and isinstance(weight, Tensor) and isinstance(bias, Tensor)
            and _fast_2d(input._data, weight._data, bias._data)):
        return _Linear.apply_layer(bias, input, weight)  # a layer's usual call: nothing to check
    x = _check_tensor("linear", input, "input", 1)
    w = _check_tensor("linear", weight, "weight", 2)
    xd, wd = x._data, w._data
    if xd.ndim == 0 or wd.ndim == 0:
        raise RuntimeError(
            "both arguments to linear need to be at least 1D, but they are "
            f"{xd.ndim}D and {wd.ndim}D"
        )
    if bias is None:
        if _fast_2d(xd, wd, None):
            return _LinearNoBias.apply(x, w)
        return _matmul(x, _shape.t(w))
    b = _check_tensor("linear", bias, "bias", 3)
    if _fast_2d(xd, wd, b._data):
        return _Linear.apply(b, x, w)
    if xd.ndim == 2:
        return _addmm(b, x, _shape.t(w))  # torch's checks and error messages
    if xd.flags.c_contiguous and b._data.ndim == 1:
        # torch's _flatten_nd_linear: (..., in) -> (N, in), addmm, view back
        rows = 1
        for s in xd.shape[:-1]:
            rows *= s
        flat = _shape.reshape(x, (rows, xd.shape[-1]))
        out = linear(flat, w, b)
        return _shape.view(out, xd.shape[:-1] + (out._data.shape[1],))
    return _matmul(x, _shape.t(w)) + b


# ---------------------------------------------------------------------------------------
# bilinear


class _Trilinear(Primitive):
    """out[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j];
    grad_x1[n, i] = sum_oj grad[n, o] W[o, i, j] x2[n, j],
    grad_W[o, i, j] = sum_n grad[n, o] x1[n, i] x2[n, j],
    grad_x2[n, j] = sum_oi grad[n, o] W[o, i, j] x1[n, i]."""

    node_name = "TrilinearBackward0"

    @staticmethod
    def forward(ctx, x1, weight, x2):
        ctx.save_for_backward(x1, weight, x2)
        # (einsum's optimised contraction may hand back a transposed layout)
        return np.ascontiguousarray(np.einsum("ni,oij,nj->no", x1, weight, x2, optimize=True))

    @staticmethod
    def backward(ctx, grad):
        x1, weight, x2 = ctx.saved_tensors
        need_x1, need_weight, need_x2 = ctx.needs_input_grad
        grad_x1 = _einsum("no,oij,nj->ni", grad, weight, x2) if need_x1 else None
        grad_weight = _einsum("no,ni,nj->oij", grad, x1, x2) if need_weight else None
        grad_x2 = _einsum("no,oij,ni->nj", grad, weight, x1) if need_x2 else None
        return grad_x1, grad_weight, grad_x2


# How torch's C++ checks name dtypes in messages.
_C_NAME = C_TYPE_NAMES


def _dtype_name(t: Tensor) -> str:
    return _C_NAME[t._data.dtype.name]


def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o] (summed over i, j).

    As torch: the inputs are flattened to 2-D, combined (TrilinearBackward0), viewed back
    to the batch shape (ViewBackward0), then the bias is added (AddBackward0)."""
    x1 = _check_tensor("bilinear", input1, "input1", 1)
    x2 = _check_tensor("bilinear", input2, "input2", 2)
    w = _check_tensor("bilinear", weight, "weight", 3)
    tensors = (x1, x2, w) if bias is None else (x1, x2, w, bias)
    if len({t._data.dtype for t in tensors}) != 1:
        names = ["input1", "input2", "weight", "bias"]
        listed = ", ".join(f"{n}: {_dtype_name(t)}" for n, t in zip(names, tensors, strict=False))
        raise RuntimeError(f"All tensors must have the same dtype, got {listed}")
    s1, s2, sw = x1._data.shape, x2._data.shape, w._data.shape
    if len(s1) != len(s2):
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}"
        )
    for i in range(len(s1) - 1):
        if s1[i] != s2[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {s1[i]} "
                f"and {s2[i]}"
            )
    if s1[-1] != sw[1]:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {s1[-1]} but "
            f"expected {sw[1]}"
        )
    if s2[-1] != sw[2]:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {s2[-1]} but "
            f"expected {sw[2]}"
        )
    if bias is not None and bias._data.shape[0] != sw[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias._data.shape[0]} "
            f"but expected {sw[0]}"
        )
    flat1 = _shape.reshape(x1, (-1, s1[-1]))
    flat2 = _shape.reshape(x2, (-1, s2[-1]))
    out = _shape.view(_Trilinear.apply(flat1, w, flat2), s1[:-1] + (sw[0],))
    return out if bias is None else out + bias


# activations, losses, distances, padding and dropout (torchlet/nn/_functional/)
from torchlet.nn._functional.activation import (  # noqa: E402
    celu,
    celu_,
    elu,
    elu_,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from torchlet.nn._functional.distance import (  # noqa: E402
    cosine_embedding_loss,
    cosine_similarity,
    normalize,
    pairwise_distance,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from torchlet.nn._functional.dropout import (  # noqa: E402
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from torchlet.nn._functional.loss import (  # noqa: E402
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    one_hot,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from torchlet.nn._functional.padding import (  # noqa: E402
    pad,
)
from torchlet.nn._functional.smooth_activation import (  # noqa: E402
    gelu,
    glu,
    logsigmoid,
    mish,
    silu,
    softplus,
)
from torchlet.nn._functional.softmax import log_softmax, softmax, softmin  # noqa: E402

__all__ += [
    "alpha_dropout", "binary_cross_entropy", "binary_cross_entropy_with_logits", "celu",
    "celu_", "cosine_embedding_loss", "cosine_similarity", "cross_entropy", "dropout",
    "dropout1d", "dropout2d", "dropout3d", "elu", "elu_", "feature_alpha_dropout",
    "gaussian_nll_loss", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh",
    "hardtanh_", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss", "leaky_relu",
    "leaky_relu_", "log_softmax", "logsigmoid", "margin_ranking_loss", "mish", "mse_loss",
    "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss",
    "normalize", "one_hot", "pad", "pairwise_distance", "poisson_nll_loss", "prelu", "relu",
    "relu6", "relu_", "rrelu", "rrelu_", "selu", "selu_", "sigmoid", "silu", "smooth_l1_loss",
    "soft_margin_loss", "softmax", "softmin", "softplus", "softshrink", "softsign", "tanh",
    "tanhshrink", "threshold", "threshold_", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

# normalization and embeddings (torchlet/nn/_functional/normalization.py, embedding.py)
from torchlet.nn._functional.embedding import (  # noqa: E402
    embedding,
    embedding_bag,
)
from torchlet.nn._functional.normalization import (  # noqa: E402
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)

__all__ += [
    "batch_norm", "embedding", "embedding_bag", "group_norm", "instance_norm", "layer_norm",
    "local_response_norm", "rms_norm",
]

# attention (torchlet/nn/_functional/attention.py)
from torchlet.nn._functional.attention import (  # noqa: E402, F401 - and torch's helpers
    _canonical_mask,
    _in_projection,
    _in_projection_packed,
    _mha_shape_check,
    _none_or_dtype,
    multi_head_attention_forward,
    scaled_dot_product_attention,
)

__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]

# convolution, pooling, resampling (torchlet/nn/_functional/conv.py, pooling.py,
# upsampling.py, pixel_shuffle.py, fold.py)
from torchlet.nn._functional.conv import (  # noqa: E402
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from torchlet.nn._functional.fold import fold, unfold  # noqa: E402
from torchlet.nn._functional.pixel_shuffle import pixel_shuffle, pixel_unshuffle  # noqa: E402
from torchlet.nn._functional.pooling import (  # noqa: E402
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from torchlet.nn._functional.upsampling import (  # noqa: E402
    interpolate,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

__all__ += [
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d",
    "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d",
    "adaptive_max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "conv1d",
    "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "fold",
    "interpolate", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d",
    "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices", "max_pool3d",
    "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d",
    "pixel_shuffle", "pixel_unshuffle", "unfold", "upsample", "upsample_bilinear",
    "upsample_nearest",
]

# vision (affine_grid, grid_sample) and row distances, channel shuffling, Gumbel sampling
# (torchlet/nn/_functional/vision.py, misc_more.py)
from torchlet.nn._functional.misc_more import (  # noqa: E402
    channel_shuffle,
    gumbel_softmax,
    native_channel_shuffle,
    pdist,
)
from torchlet.nn._functional.vision import affine_grid, grid_sample  # noqa: E402

__all__ += [
    "affine_grid", "channel_shuffle", "grid_sample", "gumbel_softmax", "native_channel_shuffle",
    "pdist",
]

# CTC loss and fractional max pooling (torchlet/nn/_functional/ctc.py,
# fractional_pooling.py)
from torchlet.nn._functional.ctc import ctc_loss  # noqa: E402
from torchlet.nn._functional.fractional_pooling import (  # noqa: E402
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)

__all__ += [
    "ctc_loss", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
    "fractional_max_pool3d", "fractional_max_pool3d_with_indices",
]

# end of sections

# torch.nn.grad (as F.grad) and linear_cross_entropy (torch 2.13)
# (torchlet/nn/grad.py, torchlet/nn/_functional/linear_cross_entropy.py)
from torchlet.nn._functional.linear_cross_entropy import linear_cross_entropy  # noqa: E402

__all__ += ["linear_cross_entropy"]


def __getattr__(name: str):
    """``F.grad`` is the module torch.nn.grad, looked up on first use (as a module-level
    name it would clash, for the linter, with every backward's ``grad`` argument here)."""
    if name == "grad":
        from torchlet.nn import grad as grad_module

        return grad_module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

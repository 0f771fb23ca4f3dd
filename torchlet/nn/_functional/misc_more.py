"""pdist (distances between the rows of a matrix), channel_shuffle (ShuffleNet's channel
interleaving) and gumbel_softmax (a differentiable sample of a categorical), as torch.

pdist's backward, like torch's, cannot be differentiated again: its node raises torch's
NotImplementedError under a second backward.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet._dtype import type_name
from torchlet._ops.creation import empty_like, zeros_like
from torchlet._ops.shape.common import empty_in_layout, suggested_memory_format
from torchlet._tensor import Tensor
from torchlet.autograd.function import Primitive
from torchlet.nn._functional.pooling_plans import in_format

__all__ = ["channel_shuffle", "gumbel_softmax", "native_channel_shuffle", "pdist"]


def _sizes(a: np.ndarray) -> str:
    return "[" + ", ".join(str(s) for s in a.shape) + "]"


# ---------------------------------------------------------------------------------------
# pdist


# torch's pdist kernel adds with 32-byte (AVX2) vectors, as found by running torch
_VEC_BYTES = 32


def _vector_sum(terms: np.ndarray) -> np.ndarray:
    """The sum of each column of ``terms`` (m, pairs) in the order of torch's
    vec::map2_reduce_all with W = 32 / itemsize lanes: a column shorter than W is added
    term after term; else lane l adds terms l, l + W, ... (the tail's lanes too), and the
    lanes are then combined: float32 by the AVX2 shuffle tree (lane i with i + 4, then
    + 2, + 1), float64 one lane after another. (Columns, so that each step adds whole
    contiguous rows for all pairs at once.)"""
    m = terms.shape[0]
    w = _VEC_BYTES // terms.itemsize
    if m < w:
        acc = terms[0].copy()
        for c in range(1, m):
            acc += terms[c]
        return acc
    full = m - m % w
    acc = terms[:w].copy()
    for d in range(w, full, w):
        acc += terms[d:d + w]
    if full < m:
        acc[:m - full] += terms[full:]
    if terms.dtype == np.float32:
        while acc.shape[0] > 1:
            half = acc.shape[0] // 2
            acc = acc[:half] + acc[half:]
        return acc[0]
    total = acc[0].copy()
    for c in range(1, w):
        total += acc[c]
    return total


def _pair_differences(x: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """x[i_k] - x[j_k] for the pairs i_k < j_k in row-major order, transposed: (m, pairs).
    Row i is the first of n - 1 - i pairs (a repeat); ``cols`` are the j_k."""
    n = x.shape[0]
    xt = np.ascontiguousarray(x.T)
    diff = np.repeat(xt, np.arange(n - 1, -1, -1), axis=1)
    return np.subtract(diff, np.take(xt, cols, axis=1), out=diff)


def _pair_norms(diff: np.ndarray, p: float) -> np.ndarray:
    """The p-norm of each column of ``diff`` (m, pairs) (torch's special cases p = 0, 1,
    2, inf).

    As torch's kernel: p = 0 adds min(ceil(|d|), 1), so a NaN difference gives NaN (not
    a count of 1); a general p takes the 1/p-th power in double."""
    if diff.shape[0] == 0:
        return np.zeros(diff.shape[1], diff.dtype)
    ftype = diff.dtype.type
    if p == 0:
        return np.minimum(np.ceil(np.abs(diff)), ftype(1)).sum(axis=0)
    if p == 1:
        return _vector_sum(np.abs(diff, out=diff))
    if p == 2:
        return np.sqrt(_vector_sum(np.multiply(diff, diff, out=diff)))
    if p == float("inf"):
        return np.abs(diff).max(axis=0)
    agg = _vector_sum(np.abs(diff) ** ftype(p))
    return (agg.astype(np.float64) ** (1.0 / float(ftype(p)))).astype(diff.dtype)


def _pair_gradient(diff, dist, grad, p: float) -> np.ndarray:
    """d(sum_k grad_k dist_k)/d(diff) per pair, with torch's values where the norm has no
    derivative (dist = 0 gives 0); torch's kernel formulas, as cdist's (_cdist_grad)."""
    ftype = diff.dtype.type
    g, d = grad[:, None], dist[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0:
            return np.zeros_like(diff)
        if p == 1:
            return np.sign(diff) * g
        if p == float("inf"):
            # the kernel: sign(d) * (1 - min(1, ceil(||d| - dist|))): 1 at the maxima, NaN
            # where |d| - dist is NaN (inf - inf included)
            gap = np.abs(np.abs(diff) - d)
            at_max = np.where(np.isnan(gap), gap, gap == 0).astype(diff.dtype)
            return g * np.sign(diff) * at_max
        if p == 2:
            out = g * diff / d
        elif p < 2:
            out = np.sign(diff) * np.abs(diff) ** ftype(p - 1) * g / d ** ftype(p - 1)
            if p < 1:
                out = np.where(diff == 0, ftype(0), out)
        else:
            out = diff * np.abs(diff) ** ftype(p - 2) * g / d ** ftype(p - 1)
    return np.where(d == 0, ftype(0), out)


class _Pdist(Primitive):
    """out[k] = ||x[i_k] - x[j_k]||_p over the pairs i_k < j_k in row-major order;
    grad_x[i] += grad[k] d||v||_p/dv,  grad_x[j] -= the same (v = x[i] - x[j])."""

    node_name = "PdistBackward0"

    @staticmethod
    def forward(ctx, x, p=2.0):
        out = _pair_norms(_pair_differences(x, np.triu_indices(x.shape[0], 1)[1]), p)
        ctx.save_for_backward(x, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _PdistBackward.apply(grad, x, out, p=ctx.p)


class _PdistBackward(Primitive):
    """pdist's gradient; like torch's ``_pdist_backward``, not differentiable again."""

    node_name = "PdistBackwardBackward0"

    @staticmethod
    def forward(ctx, grad, x, out, p=2.0):
        n = x.shape[0]
        rows, cols = np.triu_indices(n, 1)
        pair = _pair_gradient(x[rows] - x[cols], out, grad, p)
        # torch's kernel sums row r's terms in the order of the other row k = 0, 1, ...:
        # -pair(k, r) for k < r, then +pair(r, k) for k > r; the same order here
        signed = np.zeros((n, n) + x.shape[1:], x.dtype)
        signed[rows, cols] = pair
        signed[cols, rows] = -pair
        grad_x = np.zeros_like(x)
        for k in range(n):
            grad_x[:k] += signed[:k, k]
            grad_x[k + 1:] += signed[k + 1:, k]
        return grad_x

    @staticmethod
    def backward(ctx, grad_grad):
        raise NotImplementedError("the derivative for '_pdist_backward' is not implemented.")


def pdist(input, p=2) -> Tensor:  # noqa: A002 - torch's argument name
    """The p-norm distances between all pairs of rows of ``input`` (N, M): a vector of
    N (N - 1) / 2 values, the upper triangle of cdist(input, input) row by row."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"pdist(): argument 'input' (position 1) must be Tensor, not {type_name(input)}")
    data = input._data
    if data.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {data.ndim}D")
    if data.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _Pdist.apply(input, p=float(p))


# ---------------------------------------------------------------------------------------
# channel_shuffle


def _shuffle_channels(x: np.ndarray, groups: int) -> np.ndarray:
    """(N, g * k, ...) -> (N, k * g, ...): channel c = a * k + b moves to b * g + a."""
    n, c = x.shape[:2]
    split = x.reshape(n, groups, c // groups, *x.shape[2:])
    return np.ascontiguousarray(split.swapaxes(1, 2)).reshape(x.shape)


class _ChannelShuffle(Primitive):
    """out = the channels of x regrouped: (N, g, C/g, *) -> (N, C/g, g, *);
    grad_x = the inverse shuffle of grad (the shuffle with C/g groups).

    Layout, as torch's kernel: channels_last(_3d) when x's strides suggest it, else
    contiguous (so the input gradient follows the incoming gradient's layout); an empty
    x is returned as an alias in torch, so its strides are kept."""

    node_name = "ChannelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, groups=1):
        ctx.groups = groups
        if x.size == 0:
            return empty_in_layout(x, x.dtype, None)
        return in_format(_shuffle_channels(x, groups), suggested_memory_format(x))

    @staticmethod
    def backward(ctx, grad):
        # torch's formula calls channel_shuffle itself, with its checks: no channels make
        # 0 groups, which it refuses
        return channel_shuffle(grad, grad.shape[1] // ctx.groups)


class _NativeChannelShuffle(_ChannelShuffle):
    """torch.native_channel_shuffle: the same values, but torch records no derivative."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


def _check_shuffle(input, groups) -> None:  # noqa: A002
    if not isinstance(input, Tensor):
        raise TypeError("channel_shuffle(): argument 'input' (position 1) must be Tensor, "
                        f"not {type_name(input)}")
    data = input._data
    if data.ndim <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{_sizes(data)}")
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if data.shape[1] % groups != 0:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {data.shape[1]} channels "
            f"and {groups} groups.")


def channel_shuffle(input, groups) -> Tensor:  # noqa: A002
    """Split the C channels of ``input`` (N, C, *) into ``groups`` groups and interleave
    them: (N, g, C/g, *) -> (N, C/g, g, *) -> (N, C, *)."""
    _check_shuffle(input, groups)
    return _ChannelShuffle.apply(input, groups=int(groups))


def native_channel_shuffle(input, groups) -> Tensor:  # noqa: A002
    """channel_shuffle's kernel; as in torch, it has no derivative."""
    _check_shuffle(input, groups)
    return _NativeChannelShuffle.apply(input, groups=int(groups))


# ---------------------------------------------------------------------------------------
# gumbel_softmax


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1) -> Tensor:
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) drawn as torch draws it
    (-log of Exponential(1) samples), so after the same manual_seed the sample is torch's.
    ``hard=True`` returns the one-hot of the argmax, with the soft sample's gradient."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    gumbels = (logits + gumbels) / tau
    y_soft = gumbels.softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


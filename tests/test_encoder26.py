"""The fused CPU attention's fast paths (encoder-layer training step speed): the softmax
and logsumexp taken in one pass (``_softmax_and_logsumexp``) and the heads made
C-contiguous before the products (``_dense_heads``) must give the bits of the general
path; and an encoder layer's step still matches torch."""

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional import attention as A
from torchlet.nn._functional.softmax import _softmax_np


class _Ctx:
    needs_input_grad = (True, True, True)

    def save_for_backward(self, *tensors):
        self.saved = tensors


def _bits(a: np.ndarray) -> tuple:
    return a.dtype, a.shape, a.tobytes()


def _general_softmax_lse(scores):
    """The path taken before the fused one: softmax, then the logsumexp from the max."""
    top = A._row_max(scores, -np.inf)
    masked = np.isneginf(top)[..., None]
    weights = _softmax_np(scores, scores.ndim - 1, False)
    return weights, A._logsumexp(top, weights, masked)


def test_softmax_and_logsumexp_hand_values():
    scores = np.tile(np.array([0.0, np.log(3.0)], np.float64), (512, 1))
    weights, lse = A._softmax_and_logsumexp(scores)
    np.testing.assert_allclose(weights[0], [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(lse, np.log(4.0), rtol=1e-15)


def test_softmax_and_logsumexp_declines_what_it_does_not_cover():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((16, 4, 32, 32)).astype(np.float32)
    assert A._softmax_and_logsumexp(scores) is not None
    for value in (-np.inf, np.inf, np.nan):
        s = scores.copy()
        s[3, 1, 5, :] = value
        assert A._softmax_and_logsumexp(s) is None
    s = scores.copy()
    s[0, 0, 0] = -np.abs(s[0, 0, 0])
    s[0, 0, 0, 7] = 0.0  # a zero maximum (0.0 or -0.0: which one depends on the order)
    assert A._softmax_and_logsumexp(s) is None
    assert A._softmax_and_logsumexp(rng.standard_normal((4, 8, 64))) is None  # long rows
    assert A._softmax_and_logsumexp(scores[:2, :1]) is None  # few rows


def test_softmax_and_logsumexp_sampled_bits():
    rng = np.random.default_rng(1)
    taken = 0
    for _ in range(60):
        dtype = rng.choice([np.float32, np.float64])
        n = int(rng.integers(2, 33 if dtype == np.float32 else 17))
        rows = int(rng.integers(256, 1500))
        scores = (rng.standard_normal((rows, n)) * rng.choice([0.1, 3.0, 30.0])).astype(dtype)
        if rng.random() < 0.3:  # masked keys (not whole rows)
            scores[rng.random(scores.shape) < 0.3] = -np.inf
            scores[:, 0] = rng.standard_normal(rows) + 5
        fused = A._softmax_and_logsumexp(scores)
        if fused is None:
            continue
        taken += 1
        want = _general_softmax_lse(scores)
        for got, expected in zip(fused, want, strict=True):
            assert _bits(got) == _bits(expected)
    assert taken > 40


def _layout(rng, shape, dtype, unit_last=True):
    perm = np.r_[rng.permutation(3), 3] if unit_last else rng.permutation(4)
    x = rng.standard_normal([shape[p] for p in perm]).astype(dtype).transpose(np.argsort(perm))
    if rng.random() < 0.1:  # an expanded dim
        index = [slice(None)] * 4
        index[int(rng.integers(0, 4))] = slice(0, 1)
        x = np.broadcast_to(x[tuple(index)], x.shape)
    return x


def _flash(q, k, v, grad, mask, causal, q_factor, factor):
    ctx = _Ctx()
    out = A.FlashAttentionForCpu.forward(ctx, q, k, v, mask=mask, is_causal=causal,
                                         q_factor=q_factor, factor=factor)
    lse = ctx.saved[4]
    grads = A.FlashAttentionForCpuGrad.forward(
        None, arrays=(grad, q, k, v), lse=lse, mask=mask, is_causal=causal,
        q_factor=q_factor, factor=factor)
    return (out, lse, *grads)


def test_flash_fast_paths_keep_the_bits(monkeypatch):
    rng = np.random.default_rng(2)
    configs = []
    for i in range(160):
        dtype = (np.float32, np.float64, np.float16)[i % 3] if i % 7 else np.float32
        b, h = (int(x) for x in rng.integers(1, 9, 2))
        length, keys, dim = (int(x) for x in rng.integers(1, 34, 3))
        if i % 4 == 0:  # MHA's heads: strided rows of one projection
            b, h, length, keys, dim = 16, 4, 32, 32, int(rng.choice([2, 8, 16]))
        elif i % 4 == 1:  # a size 1: NumPy's gemv or dot, chosen by the strides
            b, h, length, keys, dim = ((5, 15, 1, 29, 6), (12, 8, 35, 4, 1),
                                       (5, 5, 19, 12, 1), (2, 3, 1, 17, 9))[i % 8 // 2]
            dtype = np.float32 if i % 8 < 4 else np.float64
        mask = None
        r = rng.random()
        if r < 0.2:
            mask = np.where(rng.random((length, keys)) < 0.2, -np.inf, 0).astype(dtype)
        elif r < 0.35:
            mask = rng.standard_normal((b, 1, length, keys)).astype(dtype)
        factor = float(rng.choice([1 / np.sqrt(dim), 0.3])) ** 0.5
        unit = rng.random() < 0.85
        arrays = [_layout(rng, (b, h, n, dim), dtype, unit)
                  for n in (length, keys, keys, length)]
        configs.append((*arrays, mask, bool(rng.random() < 0.2),
                        factor if rng.random() < 0.8 else -factor, factor))
    dense = 0
    for q, k, v, grad, mask, causal, q_factor, factor in configs:
        new = _flash(q, k, v, grad, mask, causal, q_factor, factor)
        dense += A._dense_heads(grad, q, k, v)
        with monkeypatch.context() as m:
            m.setattr(A, "_dense_heads", lambda *arrays: False)
            m.setattr(A, "_softmax_and_logsumexp", lambda scores: None)
            old = _flash(q, k, v, grad, mask, causal, q_factor, factor)
        for a, b in zip(new, old, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            assert np.array_equal(a, b, equal_nan=True)
            assert np.array_equal(np.signbit(a), np.signbit(b))
    assert dense > 30


def _encoder_step(lib, norm_first, activation, mask):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(32, 4, 48, dropout=0.0, activation=activation,
                                           norm_first=norm_first)
    rng = np.random.default_rng(3)
    x = lib.tensor(rng.standard_normal((24, 16, 32)).astype(np.float32), requires_grad=True)
    w = lib.tensor(rng.standard_normal((24, 16, 32)).astype(np.float32))
    src_mask = None if mask is None else lib.tensor(mask)
    out = layer(x, src_mask=src_mask)
    names = []
    todo, seen = [out.grad_fn], set()
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.append(node.name())
        todo += [f for f, _ in node.next_functions]
    (out * w).sum().backward()
    grads = [p.grad.numpy() for p in layer.parameters()] + [x.grad.numpy()]
    return out.detach().numpy(), grads, sorted(names)


@pytest.mark.parametrize("norm_first,activation,masked", [
    (False, "relu", False), (True, "gelu", False), (False, "gelu", True)])
def test_encoder_step_against_torch(norm_first, activation, masked):
    torch = pytest.importorskip("torch")
    mask = np.random.default_rng(4).random((24, 24)) < 0.2 if masked else None
    out, grads, names = _encoder_step(torchlet, norm_first, activation, mask)
    t_out, t_grads, t_names = _encoder_step(torch, norm_first, activation, mask)
    np.testing.assert_allclose(out, t_out, rtol=1e-4, atol=1e-5)
    for g, t in zip(grads, t_grads, strict=True):
        np.testing.assert_allclose(g, t, rtol=1e-3, atol=1e-4)
    # torch's addmm shows the weight's transpose (TBackward0); torchlet's fused linear not
    assert [n for n in names if n != "TBackward0"] == [n for n in t_names if n != "TBackward0"]
    assert "ScaledDotProductFlashAttentionForCpuBackward0" in names

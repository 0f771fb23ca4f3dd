"""Regression tests from the session-20 hunt over the normalization, embedding and dropout
layers: rms_norm's float16 / mixed-dtype casts, local_response_norm in float16 and at
size 1, the output layouts of batch_norm and group_norm for inputs whose size-1 dims make
their layout ambiguous, and embedding's sparse backward of a 0-d index with
padding_idx."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _names(fn, depth=3):
    """grad_fn names, depth first, down to ``depth`` levels."""
    out = []

    def walk(node, d):
        if node is None or d > depth:
            return
        out.append(node.name().replace("torch::autograd::", ""))
        for child, _ in node.next_functions:
            walk(child, d + 1)

    walk(fn, 0)
    return out


# ---------------------------------------------------------------------------------------
# rms_norm: float16 is computed in float32, the result cast back to the input's dtype


def test_rms_norm_half_input_keeps_dtype_and_uses_float32_eps():
    x = torchlet.full((2, 3), 1e-3, dtype=torchlet.float16)
    y = F.rms_norm(x, (3,))
    assert y.dtype == torchlet.float16
    # mean(x^2) ~ 1e-6 next to float32's eps (1.19e-7), not float16's (9.8e-4)
    x32 = np.float32(np.float16(1e-3))
    expected = np.float16(x32 / np.sqrt(x32 * x32 + np.finfo(np.float32).eps))
    assert np.all(y.numpy() == expected)
    assert abs(float(y[0, 0]) - 0.9453) < 1e-3


def test_rms_norm_casts_back_after_a_wider_weight():
    x = torchlet.randn(2, 3, requires_grad=True)
    w = torchlet.randn(3, dtype=torchlet.float64, requires_grad=True)
    y = F.rms_norm(x, (3,), w)
    assert y.dtype == torchlet.float32
    assert y.grad_fn.name() == "ToCopyBackward0"
    y.sum().backward()
    assert x.grad.dtype == torchlet.float32 and w.grad.dtype == torchlet.float64


def test_rms_norm_graph_names():
    x = torchlet.randn(2, 4, dtype=torchlet.float16, requires_grad=True)
    w = torchlet.randn(4, dtype=torchlet.float16, requires_grad=True)
    names = _names(F.rms_norm(x, (4,), w).grad_fn, depth=6)
    assert names[:3] == ["ToCopyBackward0", "MulBackward0", "MulBackward0"]
    assert "AddBackward1" in names  # eps added as a Scalar
    x32 = torchlet.randn(2, 4, requires_grad=True)
    assert F.rms_norm(x32, (4,)).grad_fn.name() == "MulBackward0"


def test_rms_norm_matches_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    dtypes = ["float16", "float32", "float64"]
    for _ in range(40):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(rng.integers(1, 4)) for _ in range(nd))
        k = int(rng.integers(1, nd + 1))
        xd, wd = str(rng.choice(dtypes)), str(rng.choice(dtypes))
        xn = rng.standard_normal(shape) * float(rng.choice([1.0, 1e-3]))
        wn = rng.standard_normal(shape[nd - k:]) if rng.random() < 0.7 else None
        eps = None if rng.random() < 0.6 else 0.1
        res = []
        for lib in (torch, torchlet):
            x = lib.tensor(xn).to(getattr(lib, xd)).requires_grad_()
            w = None if wn is None else lib.tensor(wn).to(getattr(lib, wd)).requires_grad_()
            y = lib.nn.functional.rms_norm(x, shape[nd - k:], w, eps)
            gx, = lib.autograd.grad(y, x, lib.ones_like(y))
            res.append((y.detach().numpy(), gx.numpy(), str(y.dtype).split(".")[-1],
                        _names(y.grad_fn)))
        (ty, tg, td, tn), (ly, lg, ld, ln) = res
        tol = 3e-3 if "float16" in (xd, wd) else 1e-5
        assert td == ld and tn == ln
        np.testing.assert_allclose(ly, ty, rtol=tol, atol=tol)
        np.testing.assert_allclose(lg, tg, rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------
# local_response_norm


def test_lrn_half_4d_has_no_kernel():
    x = torchlet.randn(2, 4, 3, 2).half()
    with pytest.raises(NotImplementedError, match="avg_pool3d_out_frame"):
        F.local_response_norm(x, 3)


def test_lrn_half_3d_sums_in_float32():
    # 200^2 * 3 overflows float16's 65504; torch's avg_pool2d sums in float32
    x = torchlet.full((1, 3, 2), 200.0, dtype=torchlet.float16, requires_grad=True)
    y = F.local_response_norm(x, 3, alpha=1.0, beta=0.5, k=1.0)
    y.sum().backward()
    assert y.dtype == torchlet.float16
    assert np.isfinite(x.grad.numpy()).all()
    # middle channel: 200 / sqrt(1 + 3 * 200^2 / 3) = 200 / sqrt(40001)
    assert float(y[0, 1, 0]) == float(np.float16(200 / np.sqrt(np.float32(40001))))


def test_lrn_half_3d_matches_torch_bitwise():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for _ in range(30):
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 7)), int(rng.integers(1, 5)))
        size = int(rng.integers(1, 6))
        xn = rng.standard_normal(shape) * float(rng.choice([1, 30, 200]))
        a, b, k = float(rng.uniform(0, 2)), float(rng.uniform(0, 2)), float(rng.uniform(0.5, 3))
        outs = [lib.nn.functional.local_response_norm(lib.tensor(xn).half(), size, a, b, k)
                .numpy() for lib in (torch, torchlet)]
        np.testing.assert_array_equal(outs[1], outs[0])


def test_lrn_size_one_strides_of_size_one_dims():
    x = torchlet.randn(1, 3, 3, 2).permute(1, 3, 0, 2)  # (3, 2, 1, 3)
    y = F.local_response_norm(x, 1)
    assert y.stride() == (6, 1, 18, 2)  # torch's (the avg_pool output's layout)
    np.testing.assert_allclose(y.numpy(), (x / (1 + 1e-4 * x * x) ** 0.75).numpy(),
                               rtol=1e-6)


# ---------------------------------------------------------------------------------------
# layouts of batch_norm and group_norm outputs


def test_batch_norm_output_channels_last_when_input_is_so_up_to_size_one_dims():
    # (2, 2, 2, 1) with strides (4, 1, 2, 1): channels_last-contiguous (W has size 1)
    x = torchlet.randn(2, 2, 2, 1).permute(0, 2, 1, 3)
    assert x.stride() == (4, 1, 2, 1)
    for train in (True, False):
        bn = torchlet.nn.BatchNorm2d(2).train(train)
        assert bn(x).stride() == (4, 1, 2, 2)  # channels_last strides


def test_batch_norm_half_output_layout():
    x = torchlet.randn(1, 2, 1, 2).half().permute(0, 3, 1, 2)  # (1, 2, 2, 1)
    y = torchlet.nn.BatchNorm2d(2)(x)
    assert y.dtype == torchlet.float16
    assert y.stride() == (4, 1, 2, 2)


def test_group_norm_half_keeps_ambiguous_channels_last():
    x = torchlet.randn(1, 2, 1, 2).half().contiguous(memory_format=torchlet.channels_last)
    y = torchlet.nn.GroupNorm(1, 2)(x)
    assert y.stride() == x.stride() == (4, 1, 4, 2)


def test_norm_layouts_match_torch():
    torch = pytest.importorskip("torch")
    shapes = [(1, 2, 1, 2), (2, 4, 1, 2), (2, 2, 2, 1), (2, 1, 2, 2), (2, 2, 1, 1, 2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for shape in shapes:
            for perm in itertools.permutations(range(len(shape))):
                for dt in ("float16", "float32"):
                    xn = np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 5
                    strides = []
                    for lib in (torch, torchlet):
                        x = lib.tensor(xn).to(getattr(lib, dt)).permute(*perm)
                        c = x.shape[1]
                        bn = (lib.nn.BatchNorm2d(c) if x.dim() == 4 else lib.nn.BatchNorm3d(c))
                        gn = lib.nn.GroupNorm(1, c).to(getattr(lib, dt))
                        strides.append((bn(x).stride(), bn.eval()(x).stride(), gn(x).stride()))
                    assert strides[0] == strides[1], (shape, perm, dt)


# ---------------------------------------------------------------------------------------
# embedding and embedding_bag


def test_embedding_sparse_padding_zero_dim_index_backward_raises():
    w = torchlet.randn(3, 2, requires_grad=True)
    y = F.embedding(torchlet.tensor(1), w, padding_idx=0, sparse=True)
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
        y.sum().backward()
    # without padding_idx, or with a 1-d index, it works
    F.embedding(torchlet.tensor(1), w, sparse=True).sum().backward()
    F.embedding(torchlet.tensor([1]), w, padding_idx=0, sparse=True).sum().backward()
    assert w.grad[1].tolist() == [2.0, 2.0]

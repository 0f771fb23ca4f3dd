"""Memory formats (clone, contiguous, is_contiguous, the *_like functions), Python types as
dtypes, and the dtype rule of ``out=`` for the ops that take only their own dtype.

Strides are checked against hand-derived values, and against torch when it is installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import torchlet

HAVE_TORCH = importlib.util.find_spec("torch") is not None


def _libs():
    libs = [torchlet]
    if HAVE_TORCH:
        import torch

        libs.append(torch)
    return libs


@pytest.mark.parametrize("lib", _libs(), ids=lambda m: m.__name__)
def test_clone_and_contiguous_follow_the_memory_format(lib):
    x = lib.arange(24.0).reshape(2, 3, 4).transpose(0, 2)  # shape (4, 3, 2)
    assert x.clone().stride() == (1, 4, 12)  # preserve_format: x's memory order
    assert x.clone(memory_format=lib.preserve_format).stride() == (1, 4, 12)
    assert x.clone(memory_format=lib.contiguous_format).stride() == (6, 2, 1)
    assert x.contiguous().stride() == (6, 2, 1)
    images = lib.zeros(2, 3, 4, 5)
    nhwc = images.contiguous(memory_format=lib.channels_last)
    assert nhwc.stride() == (60, 1, 15, 3)  # channels innermost
    assert images.clone(memory_format=lib.channels_last).stride() == (60, 1, 15, 3)
    assert not nhwc.is_contiguous() and nhwc.is_contiguous(memory_format=lib.channels_last)
    assert nhwc.contiguous(memory_format=lib.channels_last) is nhwc
    assert np.array_equal(nhwc.numpy(), images.numpy())


@pytest.mark.parametrize("lib", _libs(), ids=lambda m: m.__name__)
def test_memory_format_errors(lib):
    x = lib.zeros(2, 3)
    with pytest.raises(TypeError, match="must be torch.memory_format, not str"):
        x.clone(memory_format="contiguous")
    assert x.contiguous(memory_format=lib.preserve_format) is x  # already in C order
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        x.t().contiguous(memory_format=lib.preserve_format)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last"):
        x.clone(memory_format=lib.channels_last)


@pytest.mark.parametrize("lib", _libs(), ids=lambda m: m.__name__)
def test_python_float_is_float64(lib):
    assert lib.zeros(2, dtype=float).dtype == lib.float64
    assert lib.arange(3, dtype=float).dtype == lib.float64
    assert lib.ones(2).to(float).dtype == lib.float64
    assert lib.finfo(float).bits == 64
    assert lib.zeros(2, dtype=int).dtype == lib.int64
    with pytest.raises(TypeError, match="invalid dtype object: only floating-point types"):
        lib.set_default_dtype(float)


@pytest.mark.parametrize("lib", _libs(), ids=lambda m: m.__name__)
@pytest.mark.parametrize("name", ["abs", "floor", "ceil", "round", "trunc", "sign", "neg"])
def test_out_of_another_dtype_is_refused_by_same_dtype_ops(lib, name):
    x = lib.tensor([1.5, -2.5])
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        getattr(lib, name)(x, out=lib.zeros(2, dtype=lib.float64))
    out = lib.zeros(2)
    getattr(lib, name)(x, out=out)
    assert out.tolist() == getattr(lib, name)(x).tolist()


def test_conv_output_follows_a_channels_last_input_or_weight():
    """torch's CPU convolutions lay the output out channels_last when the input or the
    weight is; Module.to(memory_format=) converts the 4-D parameters."""
    conv = torchlet.nn.Conv2d(3, 4, 3)
    x = torchlet.randn(2, 3, 8, 8)
    assert conv(x).stride() == (144, 36, 6, 1)
    out = conv(x.contiguous(memory_format=torchlet.channels_last))
    assert out.stride() == (144, 1, 24, 4)
    conv.to(memory_format=torchlet.channels_last)
    assert conv.weight.stride() == (27, 1, 9, 3) and conv.bias.stride() == (1,)
    assert conv(x).stride() == (144, 1, 24, 4)
    ref = torchlet.nn.functional.conv2d(x, conv.weight.contiguous(), conv.bias)
    assert torchlet.equal(conv(x), ref)  # the same values, in another layout


def test_affine_grid_base_grid_in_thetas_dtype():
    """torch builds the base grid in theta's dtype: float64 pixel centres are exact."""
    theta = torchlet.eye(2, 3, dtype=torchlet.float64)[None]
    grid = torchlet.nn.functional.affine_grid(theta, (1, 1, 3, 6), align_corners=False)
    assert grid[0, 0, :, 0].tolist()[1] == -0.5
    assert grid[0, 0, :, 0].tolist()[0] == -5 / 6

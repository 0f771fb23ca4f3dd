"""Regression tests for gaps found by running more PyTorch tutorial scripts on torchlet
(tests/tutorials/, session 25): each compares with torch live when it is installed, and
with a hand-derived expectation otherwise.

grid_sample (image_augmentation_ops.py): torch's vectorised 2-D kernel
(aten/src/ATen/native/cpu/GridSamplerKernel.cpp) is compiled with fused multiply-adds for
float and double: the unnormalisation (x + 1) * size / 2 - 0.5, the bilinear sum
((nw + ne) + sw) + se and the bicubic rows and columns each round where an FMA rounds.
torchlet rounded every product, so outputs were an ulp or two off in most points."""

import itertools

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _fma32(a, b, c):
    """a * b + c rounded once to float32 (the float64 product of two floats is exact)."""
    return np.float32(np.float64(a) * np.float64(b) + np.float64(c))


def _bilinear_by_hand(image, gx, gy, fused):
    """One output point of a (1, 1, H, W) image under zeros padding, from torch's kernel:
    x = (gx + 1) * W / 2 - 0.5 (likewise y), weights nw = s * e, ne = s * w, sw = n * e,
    se = n * w, out = ((nw_v nw + ne_v ne) + sw_v sw) + se_v se; ``fused`` rounds each
    multiply-add once, as the compiled kernel does."""
    f = np.float32
    h, w_ = image.shape

    def madd(a, b, c):
        return _fma32(a, b, c) if fused else a * b + c

    x = madd(gx + f(1), f(w_ / 2), f(-0.5))
    y = madd(gy + f(1), f(h / 2), f(-0.5))
    col, row = int(np.floor(x)), int(np.floor(y))
    w, n = x - np.floor(x), y - np.floor(y)
    e, s = f(1) - w, f(1) - n

    def value(r, c):
        return image[r, c] if 0 <= r < h and 0 <= c < w_ else f(0)

    out = value(row, col) * (s * e)
    out = madd(value(row, col + 1), s * w, out)
    out = madd(value(row + 1, col), n * e, out)
    return madd(value(row + 1, col + 1), n * w, out)


def test_grid_sample_bilinear_rounds_as_fused_multiply_adds():
    f = np.float32
    image = np.array([[0.1, 0.7, 0.2], [0.3, 0.9, 0.6], [0.4, 0.8, 0.5]], dtype=f)
    gx, gy = f(-0.7458), f(-0.4737)
    fused = _bilinear_by_hand(image, gx, gy, fused=True)
    assert fused != _bilinear_by_hand(image, gx, gy, fused=False)  # the point tells them apart
    grid = np.array([[[[gx, gy]]]], dtype=f)
    out = F.grid_sample(torchlet.tensor(image[None, None]), torchlet.tensor(grid),
                        mode="bilinear", padding_mode="zeros", align_corners=False)
    assert out.dtype == torchlet.float32
    assert out.numpy()[0, 0, 0, 0] == fused


def _random_case(rng, dtype):
    n, c, h, w = rng.integers(1, 3), rng.integers(1, 4), rng.integers(1, 9), rng.integers(1, 9)
    gh, gw = rng.integers(1, 7), rng.integers(1, 7)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    grid = (rng.random((n, gh, gw, 2)) * 2.6 - 1.3).astype(dtype)
    return x, grid


@pytest.mark.parametrize(("mode", "padding_mode", "align_corners", "dtype"), list(
    itertools.product(["bilinear", "bicubic", "nearest"], ["zeros", "border", "reflection"],
                      [False, True], [np.float32, np.float64])))
def test_grid_sample_2d_forward_bit_exact(mode, padding_mode, align_corners, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(abs(hash((mode, padding_mode, align_corners))) % 2**32)
    for _ in range(6):
        x, grid = _random_case(rng, dtype)
        theirs = torch.nn.functional.grid_sample(
            torch.tensor(x), torch.tensor(grid), mode=mode, padding_mode=padding_mode,
            align_corners=align_corners).numpy()
        ours = F.grid_sample(torchlet.tensor(x), torchlet.tensor(grid), mode=mode,
                             padding_mode=padding_mode, align_corners=align_corners).numpy()
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_grid_sample_rotation_sum_matches_torch():
    # The tutorial's line: the float32 sum of a rotated image (border padding) printed to
    # 4 decimals read 76.6529 instead of torch's 76.6530.
    torch = pytest.importorskip("torch")
    torch.manual_seed(31)
    img = torch.rand(1, 3, 6, 8)
    theta = torch.tensor([[[0.8660254, -0.4, 0.0], [0.5, 0.8660254, 0.0]]])
    grid = torch.nn.functional.affine_grid(theta, img.shape, align_corners=False)
    for mode in ["bilinear", "bicubic"]:
        for padding in ["zeros", "border", "reflection"]:
            theirs = torch.nn.functional.grid_sample(img, grid, mode=mode,
                                                     padding_mode=padding,
                                                     align_corners=False)
            ours = F.grid_sample(torchlet.tensor(img.numpy()), torchlet.tensor(grid.numpy()),
                                 mode=mode, padding_mode=padding, align_corners=False)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
            assert ours.sum().item() == theirs.sum().item()

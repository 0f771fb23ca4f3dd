"""Meta tensors, session 16: backward through an in-place write into a view of a meta
tensor (CopySlices / AsStridedBackward0 over a base with no memory to locate the view
in: only shapes are needed), compared with torch where it is importable."""

from __future__ import annotations

import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None


def _write_through_views(lib):
    a = lib.empty(4, 3, device="meta", requires_grad=True)
    b = a * 1
    b[:2].mul_(2)
    b[:, 1] += 1
    v = b.t()
    v[0].zero_()
    b.sum().backward()
    return a, b, v


@pytest.mark.parametrize("lib_name", ["torchlet", "torch"])
def test_backward_through_inplace_view_writes_on_meta(lib_name):
    if lib_name == "torch" and torch is None:
        pytest.skip("torch is not installed")
    lib = torchlet if lib_name == "torchlet" else torch
    a, b, v = _write_through_views(lib)
    assert tuple(a.grad.shape) == (4, 3) and a.grad.device.type == "meta"
    assert type(b.grad_fn).__name__ == "CopySlices" or b.grad_fn.name().endswith("CopySlices")
    assert tuple(v.shape) == (3, 4) and v.device.type == "meta"
    assert b.grad_fn.next_functions[0][0] is not None


def test_inplace_view_write_on_meta_needs_no_memory():
    """A billion-element meta tensor: the view's window is not looked up in memory."""
    a = torchlet.empty(1000, 1000, 1000, device="meta", requires_grad=True)
    b = a.clone()
    b[3:5, ::2].add_(1)
    b.sum().backward()
    assert a.grad.shape == (1000, 1000, 1000) and a.grad.device.type == "meta"


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window", "kaiser_window"])
def test_windows_on_meta(name):
    """A window made on the meta device: its shape and dtype, no values (it raised the
    CPU-only error before)."""
    out = getattr(torchlet, name)(5, device="meta", dtype=torchlet.float64)
    assert out.device.type == "meta" and out.shape == (5,) and out.dtype == torchlet.float64
    assert getattr(torchlet, name)(0, device="meta").shape == (0,)
    if torch is not None:
        theirs = getattr(torch, name)(5, device="meta", dtype=torch.float64)
        assert tuple(theirs.shape) == (5,) and theirs.device.type == "meta"

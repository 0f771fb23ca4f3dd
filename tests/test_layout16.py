"""The memory layout of elementwise results with inputs of mixed layouts, as torch's
TensorIterator lays out a new output: C order when every input is C-contiguous, else the
order its ``reorder_dimensions`` sorts the dims into by the inputs' strides, the first
input leading (``x.t() * y`` is laid out as ``x.t()``; NumPy would pick C order), where's
condition first. Compared on the strides of dims of size > 1 (a size-1 dim's stride
carries no information); values are bit-exact either way (atan2: within an ulp)."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

OPS = {
    "add": lambda L, a, b: a + b, "sub": lambda L, a, b: a - b,
    "mul": lambda L, a, b: a * b, "div": lambda L, a, b: a / (b + 1),
    "add_alpha": lambda L, a, b: L.add(a, b, alpha=2), "maximum": lambda L, a, b: L.maximum(a, b),
    "lt": lambda L, a, b: a < b, "eq": lambda L, a, b: L.eq(a, b),
    "atan2": lambda L, a, b: L.atan2(a, b), "where": lambda L, a, b: L.where(a > 2, a, b),
}


def _make(L, shape, kind, perm):
    n = int(np.prod(shape))
    if kind == "c":
        return L.arange(float(n)).reshape(shape)
    if kind == "perm":
        inverse = [perm.index(i) for i in range(len(shape))]
        return L.arange(float(n)).reshape([shape[p] for p in perm]).permute(*inverse)
    if kind == "slice":
        return L.arange(float(n * 2)).reshape(shape[:-1] + (shape[-1] * 2,))[..., ::2]
    if kind == "bcast":
        row = (1,) + shape[1:]
        return L.arange(float(int(np.prod(row)))).reshape(row).expand(*shape)
    return L.arange(float(n)).reshape(shape).contiguous(memory_format=L.channels_last)


def _cases(count: int):
    rng = np.random.default_rng(16)
    for _ in range(count):
        nd = int(rng.integers(2, 5))
        shape = tuple(int(s) for s in rng.integers(1, 5, nd))
        kinds = ["c", "perm", "slice", "bcast"] + (["cl"] if nd == 4 else [])
        yield (shape, str(rng.choice(kinds)), [int(p) for p in rng.permutation(nd)],
               str(rng.choice(kinds)), [int(p) for p in rng.permutation(nd)],
               str(rng.choice(list(OPS))))


def _strides(t, shape):
    return [s for s, n in zip(t.stride(), shape) if n > 1]


def test_first_input_leads_worked_out_here():
    x = torchlet.arange(12.0).reshape(4, 3).t()  # (3, 4), strides (1, 3)
    y = torchlet.arange(12.0).reshape(3, 4)  # C order
    assert (x * y).stride() == (1, 3) and (y * x).stride() == (4, 1)
    assert (x + y).tolist() == (x.contiguous() + y).tolist()
    both = x + x  # one layout: kept
    assert both.stride() == (1, 3)
    mask = torchlet.ones(4, 3, dtype=torchlet.bool).t()
    assert torchlet.where(mask, y, y).stride() == (1, 3)  # the condition leads


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("case", list(_cases(150)), ids=lambda c: f"{c[5]}-{c[1]}-{c[3]}")
def test_layout_matches_torch(case):
    shape, kind_a, perm_a, kind_b, perm_b, op = case
    mine = OPS[op](torchlet, _make(torchlet, shape, kind_a, perm_a),
                   _make(torchlet, shape, kind_b, perm_b))
    theirs = OPS[op](torch, _make(torch, shape, kind_a, perm_a),
                     _make(torch, shape, kind_b, perm_b))
    assert _strides(mine, shape) == _strides(theirs, shape)
    if op == "atan2":  # (libm against SLEEF: within an ulp)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=3e-7)
    else:
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_meta_inputs_keep_no_layout():
    a = torchlet.empty(4, 3, device="meta").t()
    out = a * torchlet.empty(3, 4, device="meta")
    assert out.device.type == "meta" and out.shape == (3, 4)


@pytest.mark.parametrize("make, strides", [
    (lambda L: L.randn(2).expand(2, 2), (2, 1)),  # NumPy's astype gave (1, 2)
    (lambda L: L.randn(2, 1).expand(2, 2), (2, 1)),
    (lambda L: L.randn(3, 1, 4).expand(3, 2, 4), (8, 4, 1)),
    (lambda L: L.randn(2, 3, 4).permute(2, 0, 1), (1, 12, 4)),  # dense: kept
    (lambda L: L.randn(4, 6)[:, ::2], (3, 1)),
])
def test_dtype_conversion_preserves_format_as_torch(make, strides):
    """x.double() with preserve_format: a dense input keeps its strides; an expanded or
    sliced one is ordered by its strides, zeros undecided (torch's infer_dense_strides)."""
    assert make(torchlet).double().stride() == strides
    if torch is not None:
        assert make(torch).double().stride() == strides
    a, b = torchlet.broadcast_tensors(torchlet.randn(2), torchlet.randn(2, 1,
                                                                         dtype=torchlet.float64))
    assert (a - b).stride() == (2, 1)

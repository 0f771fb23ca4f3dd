"""Layouts of nn functions' results on non-contiguous inputs, as torch's.

torch lays an elementwise result out by its TensorIterator rule (the first input leads;
an expanded input gives C order). The activations that compute in several NumPy steps
(gelu, mish, threshold of float16) and the elementwise losses of ``reduction='none'``
follow it here too; a loss's sum runs over that layout, so 'sum'/'mean' of mse, smooth_l1
and huber are bit-exact with torch on transposed inputs (the log-based losses are within
rounding: torch's log is SLEEF's).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

RNG = np.random.default_rng(17)


def _layouts(lib, a: np.ndarray):
    """The same values as ``a`` (4, 6) in four layouts."""
    return {
        "transposed": lib.tensor(np.ascontiguousarray(a.T)).t(),
        "sliced": lib.tensor(np.concatenate([a, a], 1))[:, ::2],
        "expanded": lib.tensor(a[:1]).expand(4, 6),
        "permuted": lib.tensor(np.ascontiguousarray(a.reshape(2, 3, 4).transpose(2, 0, 1)))
        .permute(1, 2, 0),
    }


def _c_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name", ["gelu", "mish", "silu", "softplus", "elu", "threshold"])
def test_activation_layout_follows_input(name, dtype):
    a = RNG.standard_normal((4, 6)).astype(dtype)
    args = (0.5, 0.0) if name == "threshold" else ()
    for layout, x in _layouts(torchlet, a).items():
        out = getattr(F, name)(x, *args)
        # a dense input's strides are kept; an expanded one gives C order
        want = _c_strides(x.shape) if layout in ("expanded", "sliced") else x.stride()
        assert out.stride() == want, (layout, out.stride(), want)
        ref = getattr(F, name)(x.contiguous(), *args)
        assert np.array_equal(out.numpy(), ref.numpy(), equal_nan=True)


@pytest.mark.parametrize("name", ["gelu", "mish", "threshold", "hardswish", "logsigmoid"])
def test_activation_layout_matches_torch(name):
    torch = pytest.importorskip("torch")
    args = (0.5, 0.0) if name == "threshold" else ()
    for dtype in ("float32", "float64", "float16"):
        a = RNG.standard_normal((4, 6)).astype(dtype)
        ours, theirs = _layouts(torchlet, a), _layouts(torch, a)
        for layout in ours:
            got = getattr(F, name)(ours[layout], *args)
            want = getattr(torch.nn.functional, name)(theirs[layout], *args)
            assert got.stride() == want.stride(), (layout, dtype)


_LOSSES = {  # name -> (which inputs lead the layout, as torch computes the loss)
    "mse_loss": "input", "smooth_l1_loss": "input", "huber_loss": "input",
    "binary_cross_entropy": "input", "soft_margin_loss": "input",
    "binary_cross_entropy_with_logits": "target",
}


def _loss_args(lib, name, x_np, y_np, transposed):
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    if transposed == "input":
        x = lib.tensor(np.ascontiguousarray(x_np.T)).t()
    else:
        y = lib.tensor(np.ascontiguousarray(y_np.T)).t()
    if name == "soft_margin_loss":
        y = lib.where(y > 0.5, 1.0, -1.0)
    return x, y


@pytest.mark.parametrize("name", sorted(_LOSSES))
@pytest.mark.parametrize("transposed", ["input", "target"])
def test_unreduced_loss_layout(name, transposed):
    x_np = RNG.uniform(0.05, 0.95, (4, 6)).astype(np.float32)
    y_np = RNG.uniform(0.05, 0.95, (4, 6)).astype(np.float32)
    x, y = _loss_args(torchlet, name, x_np, y_np, transposed)
    out = getattr(F, name)(x, y, reduction="none")
    leads = x if _LOSSES[name] == "input" else y
    assert out.stride() == leads.stride()
    torch = pytest.importorskip("torch")
    tx, ty = _loss_args(torch, name, x_np, y_np, transposed)
    assert out.stride() == getattr(torch.nn.functional, name)(tx, ty, reduction="none").stride()


@pytest.mark.parametrize("name", ["mse_loss", "smooth_l1_loss", "huber_loss"])
def test_reduced_loss_sums_in_the_layouts_order(name):
    """The 'sum' of a transposed input's loss is the sum of the unreduced loss tensor
    (whose layout sets the order), bit for bit, and torch's."""
    torch = None
    try:
        import torch
    except ImportError:
        pass
    for _ in range(12):
        rows, cols = (int(v) for v in RNG.integers(1, 300, 2))
        x_np = RNG.standard_normal((cols, rows)).astype(np.float32)
        y_np = RNG.standard_normal((rows, cols)).astype(np.float32)
        x, y = torchlet.tensor(x_np).t(), torchlet.tensor(y_np)
        fn = getattr(F, name)
        total = fn(x, y, reduction="sum")
        assert total.numpy().tobytes() == fn(x, y, reduction="none").sum().numpy().tobytes()
        if torch is not None:
            tfn = getattr(torch.nn.functional, name)
            tx, ty = torch.tensor(x_np).t(), torch.tensor(y_np)
            for reduction in ("sum", "mean"):
                assert (fn(x, y, reduction=reduction).numpy().tobytes()
                        == tfn(tx, ty, reduction=reduction).numpy().tobytes()), (rows, cols)

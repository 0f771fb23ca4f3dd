"""The fast paths of batch/layer/group norm (speed26_norm): the forward keeps x - mean
(batch norm) or xhat (layer / group norm) for the first backward, and layer norm's
parameter gradients sum columns with einsum. They must give the bits of the general
computation: a second backward through a retained graph forms its own x - mean / xhat,
so the two backwards are compared bit for bit; the column sums against NumPy's reduce.
Plus live comparisons with torch."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional import normalization as norm_impl


def _bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


def _configs():
    """A fixed sample of (kind, shape, dtype, options), drawn from a seeded Generator."""
    rng = np.random.default_rng(2026)
    out = []
    for i in range(60):
        kind = ("bn", "ln", "gn")[i % 3]
        nd = int(rng.integers(2, 5)) if kind != "gn" else int(rng.integers(3, 5))
        shape = [int(rng.integers(2, 9)) for _ in range(nd)]
        if i % 4 == 0:  # large enough for the einsum column sums (16384+ elements)
            shape[-1] = int(rng.integers(120, 260))
            shape[0] = int(rng.integers(64, 100))
        opts = {
            "dtype": (np.float32, np.float32, np.float64, np.float16)[int(rng.integers(4))],
            "weight": bool(rng.random() < 0.75), "bias": bool(rng.random() < 0.75),
            "xgrad": bool(rng.random() < 0.85),
            "channels_last": nd == 4 and kind != "ln" and bool(rng.random() < 0.3),
            "training": bool(rng.random() < 0.8), "momentum": (0.1, None)[int(rng.integers(2))],
            "k": int(rng.integers(1, nd)),
        }
        if kind == "gn":
            divisors = [d for d in range(1, shape[1] + 1) if shape[1] % d == 0]
            opts["groups"] = int(rng.choice(divisors))
        out.append((kind, tuple(shape), opts))
    return out


def _run(lib, kind, shape, opts, seed, retain=False):
    rng = np.random.default_rng(seed)
    dtype = opts["dtype"]
    x_np = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g_np = rng.standard_normal(shape).astype(dtype)
    pshape = shape[len(shape) - opts["k"]:] if kind == "ln" else (shape[1],)
    w_np = rng.standard_normal(pshape).astype(dtype)
    b_np = rng.standard_normal(pshape).astype(dtype)
    x = lib.tensor(x_np)
    if opts["channels_last"]:
        x = x.contiguous(memory_format=lib.channels_last)
    x.requires_grad_(opts["xgrad"])
    w = lib.tensor(w_np, requires_grad=True) if opts["weight"] else None
    b = lib.tensor(b_np, requires_grad=True) if opts["bias"] else None
    running = None
    if kind == "bn":
        running = [lib.zeros(shape[1], dtype=x.dtype), lib.ones(shape[1], dtype=x.dtype)]
        momentum = 0.1 if opts["momentum"] is None else opts["momentum"]
        out = lib.nn.functional.batch_norm(x, *running, w, b, opts["training"], momentum)
    elif kind == "ln":
        out = lib.nn.functional.layer_norm(x, pshape, w, b)
    else:
        out = lib.nn.functional.group_norm(x, opts["groups"], w, b)
    leaves = [t for t in (x, w, b) if t is not None and t.requires_grad]
    result = {"out": out, "name": out.grad_fn.name() if out.grad_fn is not None else None}
    if running is not None:
        result["running"] = running
    if leaves:
        g = lib.tensor(g_np)
        result["grads"] = lib.autograd.grad(out, leaves, g, retain_graph=retain)
        if retain:  # again: this backward forms x - mean / xhat itself
            result["grads2"] = lib.autograd.grad(out, leaves, g)
    return result


@pytest.mark.parametrize("case", range(60))
def test_first_backward_equals_recomputed(case):
    """The gradients from the forward's kept x - mean / xhat are bit for bit those of a
    second backward through the retained graph, which forms them from x."""
    kind, shape, opts = _configs()[case]
    res = _run(torchlet, kind, shape, opts, case, retain=True)
    if "grads" not in res:
        return
    for first, second in zip(res["grads"], res["grads2"]):
        assert _bits(first._data, second._data)


def _bn_moments_reference(x, eps):
    """batch_norm's training statistics by the float64 formula (sums of float32 values
    and squares in float64, the mean rounded before the deviations are formed)."""
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = (x.astype(np.float64).sum(axes, keepdims=True) / n).astype(x.dtype)
    var = (np.square(x - mean).astype(np.float64).sum(axes) / n)
    return mean.reshape(-1), (1 / np.sqrt(var + eps))


def test_batch_norm_matches_hand_derived_formula():
    """Training batch norm's output and gradients against the textbook formula in float64
    (independent of torch): xhat = (x - mean) invstd; grad_x = w invstd (g - mean(g) -
    xhat mean(g xhat))."""
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((8, 3, 5, 4)).astype(np.float32)
    g_np = rng.standard_normal(x_np.shape).astype(np.float32)
    w_np = rng.standard_normal(3).astype(np.float32)
    b_np = rng.standard_normal(3).astype(np.float32)
    x = torchlet.tensor(x_np, requires_grad=True)
    w = torchlet.tensor(w_np, requires_grad=True)
    b = torchlet.tensor(b_np, requires_grad=True)
    out = torchlet.nn.functional.batch_norm(x, None, None, w, b, True)
    gx, gw, gb = torchlet.autograd.grad(out, (x, w, b), torchlet.tensor(g_np))
    mean, invstd = _bn_moments_reference(x_np, 1e-5)
    c = (1, 3, 1, 1)
    xhat = (x_np.astype(np.float64) - mean.reshape(c)) * invstd.reshape(c)
    g = g_np.astype(np.float64)
    np.testing.assert_allclose(out._data, xhat * w_np.reshape(c) + b_np.reshape(c),
                               rtol=1e-5, atol=1e-5)
    ref_gx = (w_np.reshape(c) * invstd.reshape(c)) * (
        g - g.mean((0, 2, 3), keepdims=True)
        - xhat * (g * xhat).mean((0, 2, 3), keepdims=True))
    np.testing.assert_allclose(gx._data, ref_gx, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gw._data, (g * xhat).sum((0, 2, 3)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gb._data, g.sum((0, 2, 3)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(64, 256), (300, 2), (128, 128), (5, 7), (20000, 1)])
def test_column_sums_are_numpys_reduce(shape):
    """_column_sums adds row after row, as np.add.reduce(axis=0): the same bits (values of
    very different magnitudes, so that another order would round otherwise; -0.0 columns
    give +0.0 either way)."""
    rng = np.random.default_rng(sum(shape))
    for dtype in (np.float32, np.float64):
        a = (rng.standard_normal(shape) * 2.0 ** rng.integers(-30, 30, shape)).astype(dtype)
        a[:, 0] = -0.0
        assert _bits(norm_impl._column_sums(a), np.add.reduce(a, axis=0))
        ordered = np.add.accumulate(a, axis=0)[-1] + 0.0  # (row after row, by definition)
        if shape[1] > 1:
            assert _bits(norm_impl._column_sums(a), ordered.astype(dtype))
        t = a.T.copy().T  # not C-contiguous: NumPy's reduce as before
        assert _bits(norm_impl._column_sums(t), np.add.reduce(t, axis=0))


def test_kept_arrays_are_released_and_not_the_output():
    """The kept xhat is taken by the first backward (dropped from the node), is never the
    output (changing the output in place leaves the gradients alone), and nothing is kept
    when no graph is recorded."""
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((4, 6, 5)).astype(np.float32)
    g = torchlet.tensor(rng.standard_normal((4, 6, 5)).astype(np.float32))
    for make in (lambda x, w, b: torchlet.nn.functional.layer_norm(x, (5,), w, b),
                 lambda x, w, b: torchlet.nn.functional.group_norm(x, 3, w.repeat(2)[:6],
                                                                   b.repeat(2)[:6])):
        grads = []
        for poke in (False, True):
            x = torchlet.tensor(x_np, requires_grad=True)
            w = torchlet.ones(5, requires_grad=True)
            b = torchlet.zeros(5, requires_grad=True)
            out = make(x, w, b)
            node = out.grad_fn
            assert node.xhat is not None
            if poke:
                with torchlet.no_grad():
                    out.mul_(0)  # (not saved by the node: allowed)
            grads.append(torchlet.autograd.grad(out, (x,), g)[0]._data)
            assert node.xhat is None
        assert _bits(grads[0], grads[1])
    with torchlet.no_grad():
        x = torchlet.tensor(x_np)
        out = torchlet.nn.functional.layer_norm(x, (5,), torchlet.ones(5), torchlet.zeros(5))
    assert out.grad_fn is None


def test_batch_norm_running_stats_and_errors_unchanged():
    """Running statistics are updated as before (momentum None: a cumulative average), and
    a second backward without retain_graph still raises torch's error."""
    rng = np.random.default_rng(3)
    bn = torchlet.nn.BatchNorm2d(4, momentum=None)
    x = torchlet.tensor(rng.standard_normal((6, 4, 3, 3)).astype(np.float32), requires_grad=True)
    out = bn(x)
    mean, invstd = _bn_moments_reference(x._data, 1e-5)
    assert _bits(bn.running_mean._data, mean.astype(np.float32))  # factor 1: the batch's
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


@pytest.mark.parametrize("case", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
def test_against_torch(case):
    torch = pytest.importorskip("torch")
    kind, shape, opts = _configs()[case]
    ours = _run(torchlet, kind, shape, opts, case)
    theirs = _run(torch, kind, shape, opts, case)
    assert ours["name"] == theirs["name"]
    tol = {np.float16: 2e-2, np.float32: 2e-4, np.float64: 1e-10}[opts["dtype"]]
    assert ours["out"]._data.strides == theirs["out"].detach().numpy().strides
    np.testing.assert_allclose(ours["out"]._data, theirs["out"].detach().numpy(),
                               rtol=tol, atol=tol)
    for a, b in zip(ours.get("grads", ()), theirs.get("grads", ())):
        assert a._data.dtype == b.detach().numpy().dtype
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=tol * 10, atol=tol * 10)
    for a, b in zip(ours.get("running", ()), theirs.get("running", ())):
        np.testing.assert_allclose(a._data, b.numpy(), rtol=tol, atol=tol)

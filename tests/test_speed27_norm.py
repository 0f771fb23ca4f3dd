"""Wide-row broadcasting in batch/layer/group norm (speed27_norm): per-channel operands
(batch norm's alpha/beta/invstd/..., layer and group norm's weight and bias) are applied
to the arrays viewed in memory order as rows of 8192+ elements, with the operand spread
out to one row. The same operation on the same pairs of values, so the bits must be
those of plain NumPy broadcasting: checked against the plain path (``_wide_rows``
switched off) bit for bit, against NumPy broadcasting by hand, and against torch live."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional import normalization as norm_impl


def _bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return (a.dtype == b.dtype and a.shape == b.shape and a.strides == b.strides
            and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes())


def _channels_last(a: np.ndarray) -> np.ndarray:
    perm = (0, *range(2, a.ndim), 1)
    return np.ascontiguousarray(a.transpose(perm)).transpose(np.argsort(perm))


# ---------------------------------------------------------------------------------------
# the helper against NumPy broadcasting


@pytest.mark.parametrize("shape, operand_shape, layout", [
    ((64, 16, 12, 12), (16, 1, 1), "c"),
    ((64, 16, 12, 12), (16, 1, 1), "cl"),
    ((32, 6, 5, 7, 9), (6, 1, 1, 1), "cl"),  # (rows of 5 * 7 * 9 periods)
    ((7, 16, 12, 36), (16, 1, 1), "c"),  # (an odd batch: rows of one period)
    ((2048, 128), (128,), "c"),
    ((64, 4, 4, 144), (1, 4, 4, 1), "c"),
    ((48, 10, 70), (10, 1), "c"),  # (48 = 16 * 3: rows of 16 periods)
])
def test_wide_rows_match_broadcasting(shape, operand_shape, layout):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape).astype(np.float32)
    a.flat[:4] = [-0.0, np.inf, np.nan, 0.0]
    if layout == "cl":
        a = _channels_last(a)
    operand = rng.standard_normal(operand_shape).astype(np.float32)
    wide = norm_impl._wide_rows(a, operand_shape)
    assert wide is not None and wide.fits(a)
    assert wide.view(a).shape[1] >= 1890 and wide.rows > 1
    for ufunc in (np.multiply, np.add, np.subtract):
        expected = ufunc(a, operand)
        got = norm_impl._per_channel(ufunc, a, operand, wide)
        assert got.shape == a.shape and got.strides == expected.strides
        assert got.tobytes() == expected.tobytes()
        inplace = a.copy(order="K")
        assert norm_impl._per_channel(ufunc, inplace, operand, wide, out=inplace) is inplace
        assert inplace.tobytes() == expected.tobytes()  # (written through the view)


def test_wide_rows_declines():
    rng = np.random.default_rng(2)
    small = rng.standard_normal((8, 16, 4, 4)).astype(np.float32)  # (too small to gain)
    assert norm_impl._wide_rows(small, (16, 1, 1)) is None
    strided = rng.standard_normal((64, 16, 12, 24)).astype(np.float32)[..., ::2]
    assert norm_impl._wide_rows(strided, (16, 1, 1)) is None
    one_row = rng.standard_normal((1, 256, 256)).astype(np.float32)  # (nothing repeats)
    assert norm_impl._wide_rows(one_row, (256, 1)) is None
    wide = norm_impl._wide_rows(rng.standard_normal((96, 3, 40, 40)).astype(np.float32),
                                (3, 1, 1))
    assert wide is not None and wide.rows == 48  # (2 periods of 4800: 96's power of 2, 32,
    # is more than needed, the channels' product of 40 * 40 = 1600 periods too)
    assert not wide.fits(np.zeros((96, 3, 40, 40), np.float32)[:, :, ::1, ::-1])


# ---------------------------------------------------------------------------------------
# the norms: wide rows against the plain path, bit for bit


def _configs():
    """A fixed sample of configs large enough for wide rows, from a seeded Generator."""
    rng = np.random.default_rng(2727)
    out = []
    for i in range(36):
        kind = ("bn", "ln", "gn")[i % 3]
        if kind == "bn":
            nd = int(rng.integers(2, 6))
        else:
            nd = int(rng.integers(3, 5))
        shape = [int(rng.choice([16, 32, 48, 64]))] + [int(rng.integers(2, 9))
                                                         for _ in range(nd - 1)]
        if nd == 2:
            shape[1] = int(rng.integers(40000, 60000)) // shape[0]
        else:  # (40000+ elements: wide rows are taken from 32768)
            shape[-1] = min(-(-40000 // int(np.prod(shape[:-1]))), 4000)
        opts = {
            "dtype": (np.float32, np.float32, np.float64, np.float16)[int(rng.integers(4))],
            "weight": bool(rng.random() < 0.75), "bias": bool(rng.random() < 0.75),
            "xgrad": bool(rng.random() < 0.9),
            "channels_last": nd in (4, 5) and kind == "bn" and bool(rng.random() < 0.4),
            "grad_layout": ("same", "c")[int(rng.integers(2))],
            "training": bool(rng.random() < 0.75), "k": int(rng.integers(1, 3)),
        }
        if kind == "gn":  # (torch's group_norm backward fails for a bias without weight)
            opts["weight"] = opts["weight"] or opts["bias"]
            divisors = [d for d in range(1, shape[1] + 1) if shape[1] % d == 0]
            opts["groups"] = int(rng.choice(divisors))
        out.append((kind, tuple(shape), opts))
    return out


def _run(lib, kind, shape, opts, seed=0):
    rng = np.random.default_rng(seed)
    dtype = opts["dtype"]
    x_np = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g_np = rng.standard_normal(shape).astype(dtype)
    pshape = shape[len(shape) - opts["k"]:] if kind == "ln" else (shape[1],)
    w_np = rng.standard_normal(pshape).astype(dtype)
    b_np = rng.standard_normal(pshape).astype(dtype)
    if opts["channels_last"]:
        x_np = _channels_last(x_np)
        if opts["grad_layout"] == "same":
            g_np = _channels_last(g_np)
    x = lib.tensor(x_np)
    if opts["channels_last"]:
        x = x.contiguous(memory_format=lib.channels_last if len(shape) == 4
                         else lib.channels_last_3d)
    x.requires_grad_(opts["xgrad"])
    w = lib.tensor(w_np, requires_grad=True) if opts["weight"] else None
    b = lib.tensor(b_np, requires_grad=True) if opts["bias"] else None
    result = {}
    if kind == "bn":
        running = [lib.zeros(shape[1], dtype=x.dtype), lib.ones(shape[1], dtype=x.dtype)]
        out = lib.nn.functional.batch_norm(x, *running, w, b, opts["training"], 0.1)
        result["running"] = running
    elif kind == "ln":
        out = lib.nn.functional.layer_norm(x, pshape, w, b)
    else:
        out = lib.nn.functional.group_norm(x, opts["groups"], w, b)
    result["out"] = out
    leaves = [t for t in (x, w, b) if t is not None and t.requires_grad]
    if leaves:
        g = lib.tensor(g_np)
        if opts["channels_last"] and opts["grad_layout"] == "same":
            g = g.contiguous(memory_format=x_mf(lib, shape))
        result["grads"] = lib.autograd.grad(out, leaves, g)
    return result


def x_mf(lib, shape):
    return lib.channels_last if len(shape) == 4 else lib.channels_last_3d


def _arrays(result):
    yield result["out"]
    yield from result.get("running", ())
    yield from result.get("grads", ())


def test_wide_rows_give_the_plain_paths_bits(monkeypatch):
    configs = _configs()
    fast = [_run(torchlet, *c) for c in configs]
    for _kind, shape, _opts in configs:  # (the sizes take wide rows)
        x = np.zeros(shape, np.float32)
        assert norm_impl._wide_rows(x, (shape[1],) + (1,) * (len(shape) - 2)) is not None
    monkeypatch.setattr(norm_impl, "_wide_rows", lambda a, operand_shape: None)
    plain = [_run(torchlet, *c) for c in configs]
    for config, a, b in zip(configs, fast, plain):
        for p, q in zip(_arrays(a), _arrays(b), strict=True):
            assert _bits(p._data, q._data), config


# ---------------------------------------------------------------------------------------
# live torch


def test_wide_rows_match_torch():
    torch = pytest.importorskip("torch")
    for kind, shape, opts in _configs()[:18]:
        if opts["dtype"] == np.float16:
            continue
        mine, theirs = _run(torchlet, kind, shape, opts), _run(torch, kind, shape, opts)
        assert mine["out"].grad_fn.name() == theirs["out"].grad_fn.name()
        tol = 1e-4 if opts["dtype"] == np.float32 else 1e-10
        for p, q in zip(_arrays(mine), _arrays(theirs), strict=True):
            q_np = q.detach().numpy()
            assert p._data.dtype == q_np.dtype and p._data.shape == q_np.shape
            assert p.stride() == q.stride(), (kind, shape, opts)
            np.testing.assert_allclose(p._data, q_np, rtol=tol, atol=tol)
        if (kind == "bn" and opts["training"] and len(shape) > 2
                and opts["dtype"] == np.float32):  # (bit for bit there)
            for p, q in zip(mine["running"], theirs["running"]):
                assert _bits(p._data, q.numpy())


def test_batch_norm2d_module_matches_torch():
    """The benchmark's case: BatchNorm2d(16) training steps on (64, 16, 12, 12), then eval."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((64, 16, 12, 12)).astype(np.float32)
    g_np = rng.standard_normal(x_np.shape).astype(np.float32)
    results = []
    for lib in (torchlet, torch):
        m = lib.nn.BatchNorm2d(16)
        x = lib.tensor(x_np, requires_grad=True)
        for _ in range(2):
            (m(x) * lib.tensor(g_np)).sum().backward()
        m.eval()
        results.append((m(x).detach().numpy(), x.grad.numpy(), m.weight.grad.numpy(),
                        m.running_mean.numpy(), m.running_var.numpy()))
    for p, q in zip(*results):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-5)
    for p, q in zip(results[0][3:], results[1][3:]):
        assert _bits(p, q)  # running statistics: torch's bits

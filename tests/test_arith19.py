"""float16 add/sub with alpha and float32 pow(tensor, number): torch's two loops.

torch's elementwise CPU loop computes whole SIMD blocks of each contiguous run (32
elements here, for float16 add and float32 pow) one way and the rest (the last
``numel % 32`` elements of a contiguous tensor, all of a 0-d or strided one) in scalar
code, which rounds otherwise: float16 ``a + alpha * b`` in two float16 steps instead of
one float32 fused multiply-add; float32 ``pow`` with the exponent as a double instead of
rounded to float32.
"""

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise._fused import scalar_lanes


def _bits(x):
    x = np.ascontiguousarray(x)
    return x.view({2: np.int16, 4: np.int32}[x.itemsize])


def _half_steps(a, b, alpha):
    """torch's scalar loop: a + alpha * b in float16 arithmetic, alpha rounded first."""
    return a + np.float16(alpha) * b


def _half_fused(a, b, alpha):
    """torch's SIMD loop: one fused multiply-add in float32, rounded to float16."""
    wide = a.astype(np.float64) + np.float64(np.float16(alpha)) * b.astype(np.float64)
    return wide.astype(np.float32).astype(np.float16)


def _witnesses(n, alpha, seed=0):
    """float16 a, b of length n where the two loops' answers differ at every element."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(4000).astype(np.float16)
    b = rng.standard_normal(4000).astype(np.float16)
    differ = _half_steps(a, b, alpha) != _half_fused(a, b, alpha)
    return a[differ][:n], b[differ][:n]


@pytest.mark.parametrize("n", [1, 5, 31, 32, 33, 50, 64, 70])
def test_half_add_alpha_tail_rounds_in_half_steps(n):
    a, b = _witnesses(n, -0.1)
    got = torchlet.tensor(a).add(torchlet.tensor(b), alpha=-0.1).numpy()
    head = n - n % 32
    want = np.concatenate([_half_fused(a, b, -0.1)[:head], _half_steps(a, b, -0.1)[head:]])
    assert np.array_equal(_bits(got), _bits(want))
    x = torchlet.tensor(a)
    x.add_(torchlet.tensor(b), alpha=-0.1)
    assert np.array_equal(_bits(x.numpy()), _bits(want))
    sub = torchlet.tensor(a).sub(torchlet.tensor(b), alpha=0.1).numpy()
    assert np.array_equal(_bits(sub), _bits(want))  # sub is add with -alpha


def test_half_add_alpha_strided_is_all_scalar_loop():
    a, b = _witnesses(80, 0.3, seed=1)
    base = torchlet.tensor(a)[::2]  # stride 2: no SIMD
    got = base.add(torchlet.tensor(b[:40]), alpha=0.3).numpy()
    assert np.array_equal(_bits(got), _bits(_half_steps(a[::2], b[:40], 0.3)))
    # each row of a (3, 40) broadcast sum is a run of its own: 32 fused, 8 in steps
    rows = np.stack([a[:40], a[40:80], a[:40]])
    got = torchlet.tensor(rows).add(torchlet.tensor(b[:40]), alpha=0.3).numpy()
    want = _half_fused(rows, b[:40], 0.3)
    want[:, 32:] = _half_steps(rows, b[:40], 0.3)[:, 32:]
    assert np.array_equal(_bits(got), _bits(want))


def test_optimizer_kernel_shares_half_add():
    from torchlet.optim._kernels import _half_add_

    a, b = _witnesses(50, -0.01, seed=2)
    x = a.copy()
    _half_add_(x, b, -0.01)
    assert np.array_equal(_bits(x), _bits(torchlet.tensor(a).add(
        torchlet.tensor(b), alpha=-0.01).numpy()))


def test_scalar_lanes_model():
    out = np.empty((3, 50), np.float32)
    assert scalar_lanes(np.empty(64, np.float32), (np.empty(64, np.float32),), 32) is None
    lanes = scalar_lanes(out, (np.empty((3, 50), np.float32),), 32)  # one run of 150
    assert lanes.reshape(-1).nonzero()[0].tolist() == list(range(128, 150))
    lanes = scalar_lanes(out, (np.empty(50, np.float32),), 32)  # a row per run
    assert lanes[:, 32:].all() and not lanes[:, :32].any()
    lanes = scalar_lanes(out[:, :20], (np.empty((3, 20), np.float32),), 32)
    assert lanes.all()  # runs of 20 < 32
    assert scalar_lanes(np.empty(0, np.float32), (), 32) is None


def test_pow_float32_scalar_loop_uses_double_exponent():
    # 0-d: all scalar loop, pow(float, double), where the float32 exponent gives another
    base = np.float32(1.540201)
    exact = np.float32(float(base) ** 1.7)
    assert exact != np.float32(float(base) ** float(np.float32(1.7)))
    assert (torchlet.tensor(base) ** 1.7).numpy() == exact
    x = np.float32(np.linspace(0.5, 9.5, 50))
    got = (torchlet.tensor(x) ** 1.7).numpy()
    tail = np.power(x[32:].astype(np.float64), 1.7).astype(np.float32)
    assert np.array_equal(_bits(got[32:]), _bits(tail))
    head = np.power(x[:32].astype(np.float64), np.float64(np.float32(1.7))).astype(np.float32)
    assert np.array_equal(_bits(got[:32]), _bits(head))
    strided = (torchlet.tensor(np.repeat(x, 2))[::2] ** 1.7).numpy()  # all scalar loop
    want = np.power(x.astype(np.float64), 1.7).astype(np.float32)
    assert np.array_equal(_bits(strided), _bits(want))


def test_pow_float32_backward_and_special_exponents():
    x = torchlet.tensor([1.5, 2.0, 3.0], requires_grad=True)
    y = x ** 1.7
    y.sum().backward()
    assert y.grad_fn.name() == "PowBackward0"
    want = np.float32(1.7) * np.power(np.float64([1.5, 2.0, 3.0]), 0.7).astype(np.float32)
    assert np.allclose(x.grad.numpy(), want, rtol=1e-6)
    t = torchlet.tensor([-0.0, 4.0, 3.0])
    assert np.array_equal((t ** 2).numpy(), np.float32([0.0, 16.0, 9.0]))
    assert np.array_equal((t ** 3).numpy(), np.float32([-0.0, 64.0, 27.0]))


def _rand_half(rng, shape, layout):
    if layout == "t" and len(shape) == 2:
        return rng.standard_normal(shape[::-1]).astype(np.float16).T
    if layout == "s" and shape:
        wide = rng.standard_normal(shape[:-1] + (shape[-1] * 2,)).astype(np.float16)
        return wide[..., ::2]
    return rng.standard_normal(shape).astype(np.float16)


def _tensor(m, arr):
    if arr.ndim == 2 and arr.flags.f_contiguous and not arr.flags.c_contiguous:
        return m.tensor(np.ascontiguousarray(arr.T)).T
    if arr.ndim and arr.strides[-1] == 2 * arr.itemsize:
        full = np.repeat(arr, 2, axis=-1)
        return m.tensor(full)[..., ::2]
    return m.tensor(arr)


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    shapes = [(), (1,), (7,), (33,), (50,), (3, 50), (4, 33), (40, 3), (2, 3, 45), (34000,)]
    for _ in range(120):
        shape = shapes[rng.integers(len(shapes))]
        other = [shape, shape[1:], (), shape[:-1] + (1,) if shape else ()][rng.integers(4)]
        a = _rand_half(rng, shape, "ctsc"[rng.integers(4)])
        b = _rand_half(rng, other, "ctsc"[rng.integers(4)])
        alpha = float(rng.choice([-0.1, 0.3, 2.5, -1.7, 0.01]))
        op = rng.integers(3)
        got = []
        for m in (torch, torchlet):
            x, y = _tensor(m, a), _tensor(m, b)
            if op == 0:
                r = m.add(x, y, alpha=alpha)
            elif op == 1:
                r = m.sub(y, x, alpha=alpha)
            else:
                r = x.clone().add_(y, alpha=alpha)
            got.append((r.numpy(), tuple(r.stride())))
        assert np.array_equal(_bits(got[0][0]), _bits(got[1][0])), (shape, other, op)
        assert got[0][1] == got[1][1]
    exponents = [1.7, 0.3, -2.5, 1 / 3, 2.2, -0.7, 0.1]
    for _ in range(60):
        n = int(rng.choice([1, 5, 31, 33, 50, 100, 257]))
        x = (rng.random(2 * n) * 4 + 0.01).astype(np.float32)
        e = exponents[rng.integers(len(exponents))]
        layout = rng.integers(3)
        got = []
        for m in (torch, torchlet):
            t = m.tensor(x)
            t = t[:n] if layout == 0 else t[::2] if layout == 1 else t[0]
            got.append((t ** e).numpy())
        lanes = scalar_lanes(np.ascontiguousarray(got[1]), (np.empty(got[1].shape, np.float32)
                                                             if layout != 1 else x[::2],), 32)
        if lanes is not None:  # the scalar loop: bit for bit (the SIMD one is SLEEF's)
            assert np.array_equal(_bits(got[0])[lanes], _bits(got[1])[lanes]), (n, e, layout)
        assert np.allclose(got[0], got[1], rtol=2e-7, atol=0)

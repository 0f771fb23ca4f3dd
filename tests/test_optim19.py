"""Regressions found by the session-19 differential hunt over torch.optim, and a small
derandomized sample of that hunt.

* ASGD's new ``eta = lr / (1 + lambd * lr * step) ** alpha`` under ``foreach=True``, or
  with a tensor ``lr``: torch's power of a 0-d float32 tensor is C's ``pow(float,
  double)`` (in double, the exponent as given, rounded once), not a float32 power with a
  float32 exponent; ``eta`` came out an ulp off for some steps.
* ``fused=True`` SGD (momentum), Adam and AdamW: torch's fused CPU kernels run 32-byte
  vectors and a scalar loop over the last ``numel % lanes`` elements, where the compiler
  fuses the other product of ``b * momentum + g * (1 - dampening)`` and of
  ``v * beta2 + (1 - beta2) * g * g``; those elements were an ulp off. The fused Adam
  kernel's sqrt is correctly rounded (the for-loop version's is not), so fused Adam and
  AdamW now match torch bit for bit in float32 as well.
* ``fused=True`` Adam, AdamW and Adagrad with a tensor ``lr``: the kernel reads it as a
  double and derives ``lr / bias_correction1`` (Adagrad: ``lr / (1 + (step - 1) *
  lr_decay)``) in double, not in the tensor's float32.
* float16 parameters: torch computes ``mul_``, ``addcmul_``, ``addcdiv_``, ``lerp_`` and
  ``tensor / number`` on half tensors in float32, rounding once (torchlet rounded the
  numbers to float16 first), and ``add_(alpha=)`` with ``alpha`` rounded to float16,
  fused in float32 over blocks of 32 elements and step by step in float16 over the rest.
  The single-tensor updates of every optimizer now match torch bit for bit in float16
  (not ``foreach=True``'s or ``fused=True``'s, which round otherwise).
"""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-derived tests still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
f16, f32 = np.float16, np.float32


def _exact_f32(value: Fraction) -> np.float32:
    """``value`` rounded to float32 (through double: exact for the values used here)."""
    return f32(float(value))


def _frac(x) -> Fraction:
    return Fraction(float(x))


# ----------------------------------------------------------------------------------------
# ASGD: eta's power as torch computes it


def _asgd_eta(lib, lr, *, steps, **kw):
    p = lib.zeros(1, requires_grad=True)
    opt = lib.optim.ASGD([p], lr=lr, lambd=0.7, alpha=0.75, **kw)
    for _ in range(steps):
        p.grad = lib.zeros(1)
        opt.step()
    return opt.state[p]["eta"].item()


def _expected_eta(step, lr=0.01, lambd=0.7, alpha=0.75, *, reciprocal):
    base = f32(1) + f32(lambd * lr) * f32(step) if reciprocal else \
        f32(1) + f32(lambd) * f32(lr) * f32(step)
    power = f32(np.float64(base) ** alpha)  # C's pow(float, double), rounded once
    if reciprocal:  # a Python number over a tensor: reciprocal, then times the number
        return float((f32(1) / power) * f32(lr))
    return float(f32(lr) / power)


@pytest.mark.parametrize("steps", [2, 3])
def test_asgd_foreach_eta_power_in_double(steps):
    got = _asgd_eta(torchlet, 0.01, steps=steps, foreach=True)
    assert got == _expected_eta(steps, reciprocal=True)
    if steps == 2:  # the float32 power with a float32 exponent lands an ulp away
        base = f32(1) + f32(0.7 * 0.01) * f32(2)
        assert got != float((f32(1) / base ** f32(0.75)) * f32(0.01))


@pytest.mark.parametrize("foreach", [False, True])
def test_asgd_tensor_lr_eta_power_in_double(foreach):
    got = _asgd_eta(torchlet, torchlet.tensor(0.01), steps=2, foreach=foreach)
    assert got == _expected_eta(2, reciprocal=False)


@needs_torch
@pytest.mark.parametrize("tensor_lr", [False, True])
@pytest.mark.parametrize("foreach", [False, True])
def test_asgd_eta_matches_torch(foreach, tensor_lr):
    for steps in (2, 5, 14):
        got, want = (
            _asgd_eta(lib, lib.tensor(0.01) if tensor_lr else 0.01, steps=steps,
                      foreach=foreach)
            for lib in (torchlet, torch)
        )
        assert got == want


# ----------------------------------------------------------------------------------------
# fused SGD: the momentum buffer of the tail elements


def _fused_sgd_buffer(lib, n, b0, g, fused=True):
    p = lib.zeros(n, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9, fused=fused)
    for grad in (b0, g):
        p.grad = lib.full((n,), grad)
        opt.step()
    return opt.state[p]["momentum_buffer"].numpy().copy(), p.detach().numpy().copy()


def test_fused_sgd_tail_momentum_rounding():
    b, g, m = f32(0.3), f32(0.2), f32(0.9)
    one_rounding = _exact_f32(_frac(b) * _frac(m) + _frac(g))   # fma(b, momentum, g)
    two_roundings = b * m + g                                   # the for-loop version
    assert one_rounding != two_roundings
    # 9 float32 elements: one 8-lane vector (rounded as the for-loop version) + 1 tail
    buf, _ = _fused_sgd_buffer(torchlet, 9, 0.3, 0.2)
    assert buf[:8].tolist() == [two_roundings] * 8
    assert buf[8] == one_rounding
    loop_buf, _ = _fused_sgd_buffer(torchlet, 9, 0.3, 0.2, fused=False)
    assert loop_buf.tolist() == [two_roundings] * 9


@needs_torch
@pytest.mark.parametrize("n", [1, 3, 9, 16, 21])
def test_fused_sgd_matches_torch(n):
    (buf, p), (t_buf, t_p) = (_fused_sgd_buffer(lib, n, 0.3, 0.2) for lib in (torchlet, torch))
    np.testing.assert_array_equal(buf, t_buf)
    np.testing.assert_array_equal(p, t_p)


# ----------------------------------------------------------------------------------------
# fused Adam: the second moment of the tail elements; bit-exact parameters


def _fused_adam_state(lib, n, grads, fused=True, dtype="float32"):
    p = lib.zeros(n, dtype=getattr(lib, dtype), requires_grad=True)
    opt = lib.optim.Adam([p], lr=0.01, fused=fused)
    for g in grads:
        p.grad = lib.full((n,), g, dtype=getattr(lib, dtype))
        opt.step()
    return opt.state[p]["exp_avg_sq"].numpy().copy(), p.detach().numpy().copy()


def test_fused_adam_tail_second_moment_rounding():
    c, beta2 = f32(1 - 0.999), f32(0.999)
    g1, g2 = f32(0.5), f32(0.4)
    v1 = (c * g1) * g1                                          # step 1: both agree
    g_term = (c * g2) * g2
    tail = _exact_f32(_frac(v1) * _frac(beta2) + _frac(g_term))     # fma(v, beta2, c*g*g)
    loop = _exact_f32(_frac(c * g2) * _frac(g2) + _frac(v1 * beta2))  # fma(c*g, g, v*beta2)
    assert tail != loop
    v, _ = _fused_adam_state(torchlet, 9, [0.5, 0.4])
    assert v[:8].tolist() == [loop] * 8 and v[8] == tail
    v_loop, _ = _fused_adam_state(torchlet, 9, [0.5, 0.4], fused=False)
    assert v_loop.tolist() == [loop] * 9


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_fused_adam_bit_exact_against_torch(name, dtype):
    rng = np.random.default_rng(3)
    shapes, steps = [(37,), (4, 5), ()], 5
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    results = []
    for lib in (torchlet, torch):
        params = [lib.tensor(x, requires_grad=True) for x in init]
        opt = getattr(lib.optim, name)(params, lr=0.01, weight_decay=0.1, amsgrad=True,
                                       fused=True)
        for step_grads in grads:
            for p, g in zip(params, step_grads, strict=True):
                p.grad = lib.tensor(g)
            opt.step()
        results.append([p.detach().numpy().copy() for p in params]
                       + [v.numpy().copy() for p in params for v in opt.state[p].values()])
    for got, want in zip(*results, strict=True):
        np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------------------
# fused Adam / Adagrad with a tensor lr: its scalars in double


def _fused_adagrad_two_steps(lib):
    p = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.Adagrad([p], lr=lib.tensor(0.1), lr_decay=0.1, fused=True)
    for _ in range(2):
        p.grad = lib.tensor([1.0], dtype=lib.float64)
        opt.step()
    return p.item()


def test_fused_adagrad_tensor_lr_in_double():
    lr = float(f32(0.1))  # the tensor's value, read as a double
    p = 1.0 + (-lr * 1.0) / (1.0 + 1e-10)                   # step 1: sum 1
    p = p + (-(lr / (1 + 0.1)) * 1.0) / (2.0**0.5 + 1e-10)  # step 2: sum 2
    assert _fused_adagrad_two_steps(torchlet) == p


@needs_torch
def test_fused_tensor_lr_matches_torch():
    assert _fused_adagrad_two_steps(torchlet) == _fused_adagrad_two_steps(torch)
    for name in ("Adam", "AdamW"):
        got = []
        for lib in (torchlet, torch):
            p = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64, requires_grad=True)
            opt = getattr(lib.optim, name)([p], lr=lib.tensor(0.01), weight_decay=0.1,
                                           fused=True)
            for g in ([1.0, 0.5, -0.25], [0.3, -0.7, 2.0]):
                p.grad = lib.tensor(g, dtype=lib.float64)
                opt.step()
            got.append(p.detach().numpy().copy())
        np.testing.assert_array_equal(*got)


# ----------------------------------------------------------------------------------------
# float16 parameters


def _sgd_half(lib, p0, g):
    p = lib.tensor(p0, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1)
    p.grad = lib.tensor(g)
    opt.step()
    return p.detach().numpy().copy()


def test_sgd_float16_update():
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(40).astype(f16)
    g = rng.standard_normal(40).astype(f16)
    alpha = f16(-0.1)
    # 32-element blocks: fma in float32 (the product exact in double), rounded to float16
    head = (g[:32].astype(np.float64) * float(alpha) + p0[:32]).astype(f32).astype(f16)
    tail = p0[32:] + alpha * g[32:]  # float16 arithmetic, each step rounded
    got = _sgd_half(torchlet, p0, g)
    np.testing.assert_array_equal(got, np.concatenate([head, tail]))
    assert got.dtype == f16


@needs_torch
def test_sgd_float16_matches_torch():
    rng = np.random.default_rng(1)
    for n in (1, 7, 32, 45, 100):
        p0 = rng.standard_normal(n).astype(f16)
        g = rng.standard_normal(n).astype(f16)
        np.testing.assert_array_equal(_sgd_half(torchlet, p0, g), _sgd_half(torch, p0, g))


# ----------------------------------------------------------------------------------------
# a derandomized sample of the hunt: bit-exact against torch

_NAMES = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta",
          "RMSprop", "Rprop", "ASGD"]


def _sample_configs(count=36, seed=19):
    rng = np.random.default_rng(seed)
    configs = []
    for i in range(count):
        kind = ("fused", "float16", "asgd")[i % 3]
        if kind == "fused":
            name = str(rng.choice(["SGD", "Adam", "AdamW", "Adagrad"]))
            kw = {"fused": True, "weight_decay": float(rng.choice([0.0, 0.1])),
                  "maximize": bool(rng.random() < 0.3)}
            if name == "SGD":
                kw.update(lr=0.1, momentum=float(rng.choice([0.0, 0.9])),
                          dampening=float(rng.choice([0.0, 0.2])))
            elif name != "Adagrad":
                kw.update(amsgrad=bool(rng.random() < 0.5),
                          betas=(float(rng.choice([0.9, 0.3])), 0.99))
            dtype = str(rng.choice(["float32", "float64"]))
        elif kind == "float16":
            name = str(rng.choice(_NAMES))
            kw = {"foreach": False, "weight_decay": float(rng.choice([0.0, 0.1]))}
            if name == "SGD":
                kw.update(lr=0.1, momentum=float(rng.choice([0.0, 0.9])))
            if name in ("Rprop",):
                kw.pop("weight_decay")
            dtype = "float16"
        else:
            name = "ASGD"
            kw = {"lr": float(rng.choice([0.01, 0.05])), "lambd": float(rng.choice([0.1, 0.7])),
                  "alpha": float(rng.choice([0.3, 0.75, 1.7])), "t0": 2.0,
                  "foreach": bool(rng.random() < 0.5)}
            dtype = str(rng.choice(["float32", "float64"]))
        sizes = [int(rng.integers(1, 40)), int(rng.integers(1, 12))]
        configs.append((name, kw, dtype, sizes, int(rng.integers(1 << 30))))
    return configs


def _run(lib, name, kw, dtype, sizes, seed, steps=4):
    rng = np.random.default_rng(seed)
    params = [lib.tensor(rng.standard_normal(n).astype(dtype), requires_grad=True)
              for n in sizes]
    opt = getattr(lib.optim, name)(params, **kw)
    for _ in range(steps):
        for p, n in zip(params, sizes, strict=True):
            p.grad = lib.tensor(rng.standard_normal(n).astype(dtype))
        opt.step()
    state = [v.numpy().copy() for p in params for v in opt.state[p].values()
             if not isinstance(v, (int, float))]
    return [p.detach().numpy().copy() for p in params] + state


@needs_torch
@pytest.mark.parametrize("config", _sample_configs(), ids=lambda c: f"{c[0]}-{c[2]}")
def test_sampled_against_torch(config):
    name, kw, dtype, sizes, seed = config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, want = (_run(lib, name, kw, dtype, sizes, seed) for lib in (torchlet, torch))
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)

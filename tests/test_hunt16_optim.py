"""Regressions found by the session-16 differential hunt over torch.optim, and a small
derandomized sample of that hunt (optimizers and LR schedulers against torch).

* SGD with momentum and ``maximize=True`` on a 0-d parameter crashed on the second step
  (``-grad`` of a 0-d NumPy array is a NumPy scalar, so the first momentum buffer was not
  an array and could not be updated in place).
* A tensor ``lr`` (float32, as ``torch.tensor(0.01)`` is) with float64 parameters: torch
  keeps ``lr`` a tensor, so ``lr / bias_correction1`` (Adam, AdamW, Adamax, NAdam),
  ``1 - lr * weight_decay`` (decoupled decay), ``lr / (1 + (step - 1) * lr_decay)``
  (Adagrad) and Adafactor's ``lr * ...`` are rounded to float32 before they scale the
  float64 parameter; torchlet computed them in double (a 1e-8 relative difference).

Float32 Adam-family parameters are compared within a few ulps, not bit for bit: torch's
float32 ``sqrt`` (MKL VML) is not always correctly rounded, NumPy's is.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-derived tests still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
# A tensor lr's float32 rounding rides on NumPy 2's scalar promotion (NEP 50: a Python float
# meets np.float32 as float32, as torch casts a wrapped number); NumPy 1 computes those
# scalars in float64, ~1e-8 relative away from torch (see optim.optimizer._tensor_lr).
nep50 = pytest.mark.skipif(np.lib.NumpyVersion(np.__version__) < "2.0.0",
                           reason="NumPy 1 promotes np.float32 with a Python float to float64")


# ----------------------------------------------------------------------------------------
# SGD: momentum + maximize on a 0-d parameter


def _sgd_0d(lib):
    p = lib.tensor(1.0, dtype=lib.float64, requires_grad=True)
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.5, maximize=True)
    for _ in range(3):
        p.grad = lib.tensor(0.5, dtype=lib.float64)
        opt.step()
    return p.detach().numpy().copy(), opt.state[p]["momentum_buffer"].numpy().copy()


def test_sgd_momentum_maximize_zero_dim_param():
    p, buf = _sgd_0d(torchlet)
    # buf: -0.5, then 0.5 * buf - 0.5: -0.75, -0.875; p += 0.1 * 0.5, 0.075, 0.0875
    assert buf.shape == () and buf == -0.875
    assert p.shape == () and p == pytest.approx(1.2125, rel=1e-15)


@needs_torch
def test_sgd_momentum_maximize_zero_dim_param_matches_torch():
    (p, buf), (tp, tbuf) = _sgd_0d(torchlet), _sgd_0d(torch)
    assert np.array_equal(p, tp) and np.array_equal(buf, tbuf)


# ----------------------------------------------------------------------------------------
# tensor lr: scalars derived from it are float32, as torch's


def _one_adam_step(lib, lr, **kw):
    p = lib.tensor([1.0], dtype=lib.float64, requires_grad=True)
    opt = lib.optim.Adam([p], lr=lr, **kw)
    p.grad = lib.tensor([1.0], dtype=lib.float64)
    opt.step()
    return p.detach().numpy()[0]


@nep50
def test_adam_tensor_lr_step_size_is_float32():
    got = _one_adam_step(torchlet, torchlet.tensor(0.01))
    # step 1: m = 0.1, v = 0.001, denom = sqrt(v) / sqrt(1 - 0.999) + eps = 1 + 1e-8;
    # step_size = lr / (1 - 0.9) divided in float32, as torch divides the float32 lr tensor
    step_size = float(np.float32(0.01) / np.float32(1 - 0.9))
    denom = np.sqrt(np.float64(0.001) * 1) / (1 - 0.999) ** 0.5 + 1e-8
    assert got == pytest.approx(1.0 - step_size * 0.1 / denom, rel=1e-15, abs=0)
    # and not the double-precision step size (the old behaviour): they differ by ~1e-9
    double = 1.0 - float(np.float32(0.01)) / (1 - 0.9) * 0.1 / denom
    assert abs(got - double) > 1e-10


@nep50
def test_adamw_tensor_lr_decay_factor_is_float32():
    p = torchlet.tensor([2.0], dtype=torchlet.float64, requires_grad=True)
    opt = torchlet.optim.AdamW([p], lr=torchlet.tensor(0.01), weight_decay=0.3)
    p.grad = torchlet.tensor([0.0], dtype=torchlet.float64)  # m = v = 0: only the decay acts
    opt.step()
    assert p.item() == 2.0 * float(np.float32(1) - np.float32(0.01) * np.float32(0.3))


_TENSOR_LR_CASES = [
    ("Adam", {}), ("AdamW", {"weight_decay": 0.1}), ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.1, "decoupled_weight_decay": True}), ("Adamax", {}),
    ("NAdam", {}), ("NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adagrad", {"lr_decay": 0.1}), ("Adafactor", {}), ("SGD", {"momentum": 0.9}),
    ("RAdam", {}), ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RMSprop", {}),
]


def _run(lib, name, kw, p0, grads, dtype, lr):
    p = lib.tensor(p0, dtype=getattr(lib, dtype)).requires_grad_()
    if not isinstance(lr, float):
        lr = lib.tensor(lr[0])
    opt = getattr(lib.optim, name)([p], lr=lr, **kw)
    for g in grads:
        p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        opt.step()
    return p.detach().numpy().copy()


@needs_torch
@nep50
@pytest.mark.parametrize(("name", "kw"), _TENSOR_LR_CASES)
def test_tensor_lr_float64_matches_torch(name, kw):
    r = np.random.default_rng(5)
    p0, grads = r.standard_normal((2, 3)), r.standard_normal((4, 2, 3))
    got = _run(torchlet, name, kw, p0, grads, "float64", (0.01,))
    want = _run(torch, name, kw, p0, grads, "float64", (0.01,))
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


# ----------------------------------------------------------------------------------------
# sampled differential test: optimizers


def _draw_optimizer(r):
    c = lambda *xs: xs[r.integers(len(xs))]  # noqa: E731
    name = c("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Rprop",
             "Adagrad", "Adadelta", "ASGD", "Adafactor")
    kw = {"maximize": c(False, True)}
    if name == "SGD":
        kw.update(lr=0.1, momentum=c(0.0, 0.9), dampening=c(0.0, 0.1), weight_decay=c(0.0, 0.01))
        kw["nesterov"] = kw["momentum"] > 0 and kw["dampening"] == 0 and c(False, True)
    elif name in ("Adam", "AdamW"):
        kw.update(lr=0.01, amsgrad=c(False, True), weight_decay=c(0.0, 0.1),
                  betas=c((0.9, 0.999), (0.8, 0.9)))
    elif name == "NAdam":
        kw.update(lr=0.01, momentum_decay=c(4e-3, 0.1), weight_decay=c(0.0, 0.1),
                  decoupled_weight_decay=c(False, True))
    elif name == "RAdam":
        kw.update(lr=0.01, decoupled_weight_decay=c(False, True), weight_decay=c(0.0, 0.1),
                  betas=c((0.9, 0.999), (0.5, 0.6)))
    elif name == "RMSprop":
        kw.update(lr=0.01, momentum=c(0.0, 0.9), centered=c(False, True), weight_decay=c(0.0, 0.1))
    elif name == "Rprop":
        kw.update(lr=0.01, etas=c((0.5, 1.2), (0.3, 1.5)), step_sizes=c((1e-6, 50), (1e-3, 0.05)))
    elif name == "Adagrad":
        kw.update(lr=0.1, lr_decay=c(0.0, 0.1), initial_accumulator_value=c(0.0, 0.5),
                  weight_decay=c(0.0, 0.1))
    elif name == "Adadelta":
        kw.update(rho=c(0.9, 0.5), eps=c(1e-6, 1e-3), weight_decay=c(0.0, 0.1))
    elif name == "ASGD":
        kw.update(lr=0.1, lambd=c(1e-4, 0.1), t0=c(1e6, 2.0), weight_decay=c(0.0, 0.1))
    elif name == "Adamax":
        kw.update(lr=0.1, weight_decay=c(0.0, 0.1))
    else:
        kw.update(lr=0.1, beta2_decay=c(-0.8, -0.5), weight_decay=c(0.0, 0.1))
    if name not in ("Adafactor",) and r.random() < 0.5:
        kw["foreach"] = c(False, None)
    return name, kw


def _run_case(lib, name, kw, params, grads, dtype, groups):
    ps = [lib.tensor(p, dtype=getattr(lib, dtype)).requires_grad_() for p in params]
    arg = [{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}] if groups else ps
    opt = getattr(lib.optim, name)(arg, **kw)
    for s, step_grads in enumerate(grads):
        opt.zero_grad()
        for i, (p, g) in enumerate(zip(ps, step_grads)):
            if not (i == 0 and s == 1):  # a parameter without a gradient on one step
                p.grad = lib.tensor(g, dtype=getattr(lib, dtype))
        opt.step()
    states = [{k: v.numpy().copy() for k, v in opt.state[p].items() if hasattr(v, "numpy")}
              for p in ps]
    return [p.detach().numpy().copy() for p in ps], states


_EXACT = {"SGD", "ASGD", "Rprop"}  # elementwise, no sqrt: torch's rounding reproduced


@needs_torch
@pytest.mark.parametrize("seed", range(60))
def test_sampled_optimizers_match_torch(seed):
    r = np.random.default_rng(1600 + seed)
    name, kw = _draw_optimizer(r)
    dtype = ("float32", "float64")[seed % 2]
    shapes = [(), (3,), (2, 4)][: 1 + r.integers(3)]
    params = [r.standard_normal(s) for s in shapes]
    grads = [[r.standard_normal(s) for s in shapes] for _ in range(3)]
    groups = len(shapes) > 1 and r.random() < 0.4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_p, got_s = _run_case(torchlet, name, kw, params, grads, dtype, groups)
        want_p, want_s = _run_case(torch, name, kw, params, grads, dtype, groups)
    rtol = 0 if name in _EXACT else (2e-5 if dtype == "float32" else 1e-12)
    for g, w in zip(got_p, want_p):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2)
    for gs, ws in zip(got_s, want_s):
        assert sorted(gs) == sorted(ws)
        for k in ws:
            assert gs[k].dtype == ws[k].dtype and gs[k].shape == ws[k].shape, k
            np.testing.assert_allclose(gs[k], ws[k], rtol=rtol, atol=rtol * 1e-2)


# ----------------------------------------------------------------------------------------
# sampled differential test: LR schedulers (learning rates compared exactly)


def _make_scheduler(lib, kind, opt):
    S = lib.optim.lr_scheduler
    return {
        "StepLR": lambda: S.StepLR(opt, step_size=2, gamma=0.5),
        "MultiStepLR": lambda: S.MultiStepLR(opt, milestones=[1, 1, 3], gamma=0.1),
        "ExponentialLR": lambda: S.ExponentialLR(opt, gamma=0.9),
        "CosineAnnealingLR": lambda: S.CosineAnnealingLR(opt, T_max=5, eta_min=0.001),
        "WarmRestarts": lambda: S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001),
        "OneCycleLR": lambda: S.OneCycleLR(opt, max_lr=1.0, total_steps=30, three_phase=True),
        "CyclicLR": lambda: S.CyclicLR(opt, 0.001, 0.1, step_size_up=3, mode="exp_range",
                                       gamma=0.9),
        "LinearLR": lambda: S.LinearLR(opt, start_factor=1 / 3, total_iters=5),
        "ConstantLR": lambda: S.ConstantLR(opt, factor=0.5, total_iters=3),
        "PolynomialLR": lambda: S.PolynomialLR(opt, total_iters=8, power=0.5),
        "LambdaLR": lambda: S.LambdaLR(opt, lr_lambda=lambda e: 1 / (e + 1)),
        "MultiplicativeLR": lambda: S.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9),
        "SequentialLR": lambda: S.SequentialLR(
            opt, [S.LinearLR(opt, start_factor=0.1, total_iters=3), S.ExponentialLR(opt, 0.9)],
            milestones=[3]),
        "ChainedScheduler": lambda: S.ChainedScheduler(
            [S.ConstantLR(opt, factor=0.5, total_iters=2), S.ExponentialLR(opt, gamma=0.9)]),
        "SWALR": lambda: lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=3),
    }[kind]()


def _lr_sequence(lib, kind):
    ps = [lib.zeros(2, requires_grad=True) for _ in range(2)]
    opt = lib.optim.SGD([{"params": [ps[0]], "lr": 0.1}, {"params": [ps[1]], "lr": 0.2}],
                        momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = _make_scheduler(lib, kind, opt)
        out = [tuple(sched.get_last_lr())]
        for _ in range(12):
            opt.step()
            sched.step()
            out.append(tuple(sched.get_last_lr()))
            out.append(tuple((g["lr"], g["momentum"]) for g in opt.param_groups))
    return out


_KINDS = ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "WarmRestarts",
          "OneCycleLR", "CyclicLR", "LinearLR", "ConstantLR", "PolynomialLR", "LambdaLR",
          "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "SWALR"]


@needs_torch
@pytest.mark.parametrize("kind", _KINDS)
def test_scheduler_lr_sequences_match_torch_exactly(kind):
    assert _lr_sequence(torchlet, kind) == _lr_sequence(torch, kind)

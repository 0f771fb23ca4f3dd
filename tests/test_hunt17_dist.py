"""Differential hunt over torchlet.distributions (session 17): regressions and a small
derandomized sample of the random configurations the hunt compared with torch.

Regression: the KL divergences from a Uniform whose support touches 0 (Uniform(0, 1) against
Beta, Gamma, Pareto) took x log x as ``x * x.log()``, NaN at 0; torch 2.13 uses
``xlogy(x, x)``, which is 0 there.

The sampled test builds random parameter shapes (batch shapes, broadcasting, Python numbers)
from a seeded NumPy generator and checks, after the same ``manual_seed``, the samples bit for
bit (distributions whose draws pass through no transcendental function), the generator state
afterwards, and log_prob, entropy, mean, variance and their shapes and dtypes to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------------------------------
# KL divergences from a Uniform with low = 0


def _uniform_kls(L):
    D = L.distributions
    p = D.Uniform(L.tensor([0.0, 0.2]), L.tensor([1.0, 1.0]))
    return [
        D.kl_divergence(p, D.Beta(L.tensor([2.0, 0.5]), L.tensor([3.0, 1.5]))),
        D.kl_divergence(p, D.Gamma(L.tensor([2.0, 0.5]), 1.0)),
        D.kl_divergence(p, D.Pareto(L.tensor([2.0, 0.5]), 2.0)),
    ]


def test_kl_uniform_from_zero_is_finite():
    beta, gamma, pareto = _uniform_kls(torchlet)
    # KL(U(0,1) || q) = -E_U[log q]; E_U[log x] = E_U[log(1 - x)] = -1 and E_U[x] = 1/2:
    # Beta(2, 3): -(log 12 - 1 - 2) = 3 - log 12; Gamma(2, 1): -(-1 - 1/2) = 1.5
    assert beta[0].item() == pytest.approx(3 - math.log(12), rel=1e-6)
    assert gamma[0].item() == pytest.approx(1.5, rel=1e-6)
    assert math.isinf(pareto[0].item())  # the Uniform reaches below the Pareto's scale
    assert all(bool(torchlet.isfinite(k[1])) for k in (beta, gamma))


@needs_torch
def test_kl_uniform_from_zero_matches_torch_with_gradients():
    out = []
    for L in (torch, torchlet):
        lo = L.tensor([0.0, 0.2], requires_grad=True)
        c = L.tensor([2.0, 0.5], requires_grad=True)
        D = L.distributions
        p = D.Uniform(lo, L.tensor([1.0, 1.0]))
        res = []
        for q in (D.Beta(c, L.tensor([3.0, 1.5])), D.Gamma(c, 1.0), D.Pareto(c, 2.0)):
            k = D.kl_divergence(p, q)
            grads = L.autograd.grad(k.sum(), (lo, c))
            res.append((_np(k), k.grad_fn.name(), [_np(g) for g in grads]))
        out.append(res)
    for (kt, nt, gt), (kl, nl, gl) in zip(*out):
        assert nt == nl
        np.testing.assert_allclose(kl, kt, rtol=1e-5)
        for a, b in zip(gt, gl):
            np.testing.assert_allclose(b, a, rtol=1e-5, equal_nan=True)


# ---------------------------------------------------------------------------------------
# sampled differential test


def _pos(rng, shape):
    return rng.uniform(0.3, 3.0, shape)


def _real(rng, shape):
    return rng.standard_normal(shape) * 2


def _unit(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


# name -> (builder(D, params), [(param, generator, event dims)]); bit-exact samples.
SPECS = {
    "Normal": (lambda D, p: D.Normal(p["a"], p["b"]), [("a", _real, 0), ("b", _pos, 0)]),
    "Bernoulli": (lambda D, p: D.Bernoulli(probs=p["a"]), [("a", _unit, 0)]),
    "BernoulliLogits": (lambda D, p: D.Bernoulli(logits=p["a"]), [("a", _real, 0)]),
    "Categorical": (lambda D, p: D.Categorical(probs=p["a"]), [("a", _pos, 1)]),
    "CategoricalLogits": (lambda D, p: D.Categorical(logits=p["a"]), [("a", _real, 1)]),
    "OneHotCategorical": (lambda D, p: D.OneHotCategorical(probs=p["a"]), [("a", _pos, 1)]),
    "Uniform": (lambda D, p: D.Uniform(p["a"], p["a"] + p["b"]), [("a", _real, 0), ("b", _pos, 0)]),
    "Exponential": (lambda D, p: D.Exponential(p["a"]), [("a", _pos, 0)]),
    "Poisson": (lambda D, p: D.Poisson(p["a"] * 5), [("a", _pos, 0)]),
    "Gamma": (lambda D, p: D.Gamma(p["a"], p["b"]), [("a", _pos, 0), ("b", _pos, 0)]),
    "Beta": (lambda D, p: D.Beta(p["a"], p["b"]), [("a", _pos, 0), ("b", _pos, 0)]),
    "Dirichlet": (lambda D, p: D.Dirichlet(p["a"]), [("a", _pos, 1)]),
    "Binomial": (lambda D, p: D.Binomial(7, probs=p["a"]), [("a", _unit, 0)]),
    "StudentT": (lambda D, p: D.StudentT(p["a"], p["b"]), [("a", _pos, 0), ("b", _real, 0)]),
}


def _config(rng, name):
    batch = tuple(int(d) for d in rng.integers(1, 4, rng.integers(0, 3)))
    k = int(rng.integers(2, 5))
    vals = {}
    for pname, fn, ev in SPECS[name][1]:
        if ev == 0 and rng.random() < 0.3:
            vals[pname] = float(fn(rng, ()))  # a Python number
            continue
        shape = list(batch[len(batch) - int(rng.integers(0, len(batch) + 1)):])
        shape = [1 if rng.random() < 0.3 else d for d in shape]  # broadcasting
        shape = tuple(shape) + ((k,) if ev else ())
        vals[pname] = fn(rng, shape)
    dtype = "float32" if rng.random() < 0.6 else "float64"
    sample_shape = tuple(int(d) for d in rng.integers(1, 4, rng.integers(0, 3)))
    return name, vals, dtype, sample_shape, int(rng.integers(0, 2**31))


def _configs():
    rng = np.random.default_rng(1717)
    return [_config(rng, name) for name in SPECS for _ in range(4)]


def _run(L, config):
    name, vals, dtype, sample_shape, seed = config
    params = {k: v if isinstance(v, float) else L.tensor(v, dtype=getattr(L, dtype))
              for k, v in vals.items()}
    d = SPECS[name][0](L.distributions, params)
    L.manual_seed(seed)
    s0 = d.sample()
    s = d.sample(sample_shape)
    after = L.rand(2, dtype=L.float64)
    out = {"shapes": (tuple(d.batch_shape), tuple(d.event_shape)), "s0": _np(s0), "s": _np(s),
           "after": _np(after)}
    for attr in ("mean", "variance", "entropy", "log_prob"):
        try:
            if attr == "entropy":
                out[attr] = _np(d.entropy())
            elif attr == "log_prob":
                out[attr] = _np(d.log_prob(s))
            else:
                out[attr] = _np(getattr(d, attr))
        except NotImplementedError:
            out[attr] = "NotImplementedError"
    return out


@needs_torch
@pytest.mark.parametrize("config", _configs(), ids=lambda c: f"{c[0]}-{c[2]}-{c[4]}")
def test_sampled_against_torch(config):
    expected, got = _run(torch, config), _run(torchlet, config)
    assert got["shapes"] == expected["shapes"]
    for key in ("s0", "s", "after"):  # bit-exact draws, same generator state afterwards
        a, b = expected[key], got[key]
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), key
    loose = any(isinstance(v, float) for v in config[1].values())  # float32 numbers
    for key in ("mean", "variance", "entropy", "log_prob"):
        a, b = expected[key], got[key]
        if isinstance(a, str) or isinstance(b, str):
            assert a == b
            continue
        assert a.dtype == b.dtype and a.shape == b.shape, key
        rtol = 1e-5 if a.dtype == np.float32 or loose else 1e-10
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol, equal_nan=True, err_msg=key)


@pytest.mark.parametrize("mean_dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("std_dtype", ["float16", "float32", "float64", "int64"])
def test_normal_of_two_tensors_takes_the_means_dtype(mean_dtype, std_dtype):
    """torch.normal(mean, std) is made like ``mean``: normal_(0, 1) in its dtype, then
    mul_(std) (computed in the wider dtype, rounded back) and add_(mean)."""
    mean = torchlet.linspace(-3, 3, 17).to(getattr(torchlet, mean_dtype))
    std = torchlet.linspace(0.1, 2.7, 17).to(getattr(torchlet, std_dtype))
    torchlet.manual_seed(3)
    got = torchlet.normal(mean, std)
    assert got.dtype == mean.dtype
    torchlet.manual_seed(3)
    z = torchlet.randn(17, dtype=mean.dtype)  # the same draws
    wide = std.dtype if std.dtype.is_floating_point and std.element_size() > \
        mean.element_size() else mean.dtype
    want = (z.to(wide) * std.to(wide)).to(mean.dtype) + mean
    assert np.array_equal(got.numpy(), want.numpy())
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(3)
    theirs = torch.normal(torch.linspace(-3, 3, 17).to(getattr(torch, mean_dtype)),
                          torch.linspace(0.1, 2.7, 17).to(getattr(torch, std_dtype)))
    assert str(theirs.dtype) == str(got.dtype)
    assert np.array_equal(theirs.numpy(), got.numpy())


def test_normal_with_an_integer_mean_tensor_is_not_implemented():
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        torchlet.normal(torchlet.zeros(3, dtype=torchlet.int64), torchlet.ones(3))


def test_dirichlet_grad_of_a_sample_at_one_is_minus_zero():
    """torch's C code divides 0 by 0 into a NaN, which its kernel then turns into 0 (a
    one-category Dirichlet's rsample backward reaches it)."""
    got = torchlet._dirichlet_grad(torchlet.tensor([1.0], dtype=torchlet.float64),
                                   torchlet.tensor([0.7], dtype=torchlet.float64),
                                   torchlet.tensor([0.7], dtype=torchlet.float64))
    assert got.item() == 0.0 and np.signbit(got.numpy()[0])


def test_multinomial_with_replacement_all_rows_at_once():
    """Sampling with replacement is vectorised over the rows: the same indices, the same
    errors (the first bad row's, after the rows before it drew) and the same generator
    state as torch's row-by-row kernel."""
    hot = torchlet.zeros(4, 6)
    hot[torchlet.arange(4), torchlet.tensor([5, 0, 3, 3])] = 1.0
    assert torchlet.multinomial(hot, 7, True).tolist() == [[5] * 7, [0] * 7, [3] * 7, [3] * 7]
    bad = torchlet.ones(3, 4)
    bad[1] = 0
    with pytest.raises(RuntimeError, match="sum of probabilities <= 0"):
        torchlet.multinomial(bad, 5, True)
    bad[1, 2] = float("inf")
    with pytest.raises(RuntimeError, match="entry = infinity or NaN"):
        torchlet.multinomial(bad, 5, True)
    bad[1, 2] = float("nan")  # (torch's test is "not >= 0" first)
    with pytest.raises(RuntimeError, match="entry < 0"):
        torchlet.multinomial(bad, 5, True)
    try:
        import torch
    except ImportError:
        return
    rng = np.random.default_rng(17)
    for seed in range(60):
        rows, cats, k = (int(v) for v in rng.integers(1, 30, 3))
        p = rng.uniform(0, 3, (rows, cats))
        if seed % 3 == 0:
            p[:, rng.integers(0, cats)] = 0
        if seed % 7 == 0:
            p[rng.integers(0, rows)] = 0
        dtype = ("float16", "float32", "float64")[seed % 3]
        outcomes = []
        for lib in (torch, torchlet):
            lib.manual_seed(seed)
            try:
                result = lib.multinomial(lib.tensor(p).to(getattr(lib, dtype)), k, True).tolist()
            except RuntimeError as error:
                result = str(error)
            outcomes.append((result, lib.rand(2).tolist()))
        assert outcomes[0] == outcomes[1], seed


@pytest.mark.parametrize("x, alpha, total, expected", [
    (0.0, 0.7, 0.7, 0.0), (0.5, 0.0, 0.7, float("inf")), (0.0, 0.0, 1.0, 0.0),
    (1e-3, 1e-3, 1e-3, 1006.9077631815439)])
def test_dirichlet_grad_at_the_boundaries_follows_cs_arithmetic(x, alpha, total, expected):
    """torch's C code takes log(0) = -inf and 1/0 = inf (a NaN at the end becomes 0);
    Python's math raised there and the guard gave NaN."""
    got = torchlet._dirichlet_grad(*(torchlet.tensor([v], dtype=torchlet.float64)
                                     for v in (x, alpha, total))).item()
    assert got == expected

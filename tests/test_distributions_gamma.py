"""The gamma family against torch, run live on both libraries: ``torch._standard_gamma``,
``torch._sample_dirichlet``, ``torch.binomial``, their gradients, and Gamma, Chi2, Beta,
Dirichlet, StudentT, FisherSnedecor, Binomial, Multinomial, NegativeBinomial with their KL
divergences.

Bit-exact (compared as raw bytes, then the generator state is compared through the next
uniform and normal draws): every sample of ``_standard_gamma`` / ``_sample_dirichlet`` /
``binomial`` and of the distributions' ``sample``/``rsample``, for float32 and float64,
because torchlet replays torch's per-element rejection samplers with the same draws in the
same order and the same float/double arithmetic (glibc's libm through Python's ``math``,
torch's summation order for the Dirichlet normaliser). Also bit-exact in float64:
``_standard_gamma_grad`` and ``_dirichlet_grad`` (the same double formulas).
Within float rounding (float32: rtol 1e-5; float64: rtol 1e-10): log_prob, entropy, mean,
variance, mode, KL divergences and rsample gradients (NumPy's lgamma/digamma/log may differ
from torch's vectorised kernels by an ulp); float32 ``_dirichlet_grad`` within rtol 2e-3,
because torch evaluates two of its approximations in float while torchlet uses double.
Float64 gradcheck of log_prob needs no torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet
import torchlet.distributions as TD

torch = pytest.importorskip("torch")
import torch.distributions as D  # noqa: E402

DTYPES = ["float32", "float64"]
ALPHAS = np.concatenate([
    np.geomspace(1e-3, 1e3, 120),
    [1e-30, 0.0, 0.999999, 1.0, 1.000001, 1 / 3, 0.5, 2.0, 1e6, math.inf, -1.0, math.nan],
])


def both(fn, seed=0):
    """Run ``fn(lib)`` on torch and torchlet after the same seed; also return the next
    uniform and normal draws (they show that the generators ended in the same state)."""
    out = []
    for lib in (torch, torchlet):
        lib.manual_seed(seed)
        value = fn(lib)
        after = (lib.rand(3, dtype=lib.float64), lib.randn(3, dtype=lib.float64))
        out.append((value, after))
    return out


def as_np(t):
    if isinstance(t, torchlet.Tensor):
        return np.asarray(t.detach()._data)
    return t.detach().numpy()


def assert_bits(a, b):
    a, b = np.ascontiguousarray(as_np(a)), np.ascontiguousarray(as_np(b))
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), (a, b)


def assert_same_run(fn, seed=0):
    (ta, t_after), (la, l_after) = both(fn, seed)
    if isinstance(ta, (tuple, list)):
        for x, y in zip(ta, la):
            assert_bits(x, y)
    else:
        assert_bits(ta, la)
    for x, y in zip(t_after, l_after):
        assert_bits(x, y)


def assert_close(a, b, dtype, rtol=None):
    a, b = as_np(a), as_np(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    rtol = rtol or (1e-5 if dtype == "float32" else 1e-10)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * 1e-2, equal_nan=True)


def tensor(lib, values, dtype, requires_grad=False):
    return lib.tensor(np.asarray(values), dtype=getattr(lib, dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------
# the samplers


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_standard_gamma_bit_exact(dtype, seed):
    assert_same_run(lambda lib: lib._standard_gamma(tensor(lib, ALPHAS, dtype)), seed)


@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_gamma_layouts_and_generator(dtype):
    grid = np.geomspace(0.05, 20, 12).reshape(3, 4)
    # a transposed and an expanded input are sampled in the result's C order, like torch
    assert_same_run(lambda lib: lib._standard_gamma(tensor(lib, grid, dtype).t()))
    assert_same_run(lambda lib: lib._standard_gamma(tensor(lib, [0.3], dtype).expand(5, 3)))

    def with_generator(lib):
        g = lib.Generator().manual_seed(11)
        return lib._standard_gamma(tensor(lib, grid, dtype), generator=g), lib.rand(2, generator=g)

    assert_same_run(with_generator)


def test_standard_gamma_keeps_the_normal_cache():
    # an odd number of normals leaves torch's cached Box-Muller sine for the next randn(1)
    def run(lib):
        lib.randn(1, dtype=lib.float64)
        return lib._standard_gamma(tensor(lib, [2.0, 5.0, 0.4], "float64"))

    assert_same_run(run)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", [0, 3])
def test_binomial_bit_exact(dtype, seed):
    counts = np.array([0, 1, 5, 10, 20, 37, 50, 100, 1000, 1e5, 1e6, -1.0] * 12)
    probs = np.linspace(-0.1, 1.1, len(counts))
    probs[5] = math.nan
    assert_same_run(lambda lib: lib.binomial(tensor(lib, counts, dtype), tensor(lib, probs, dtype)),
                    seed)
    # prob broadcasts to count's shape
    assert_same_run(lambda lib: lib.binomial(tensor(lib, [[30.0, 4.0], [9.0, 200.0]], dtype),
                                             tensor(lib, [0.25, 0.75], dtype)), seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 16, 17, 70, 300])
def test_sample_dirichlet_bit_exact(dtype, k):
    alpha = np.geomspace(1e-2, 1e2, 3 * k).reshape(3, k)
    assert_same_run(lambda lib: lib._sample_dirichlet(tensor(lib, alpha, dtype)), seed=k)


@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_gamma_grad(dtype):
    x = np.geomspace(1e-3, 60, 300)
    alpha = np.geomspace(1e-2, 100, 300)[::-1].copy()
    # the three regimes: x < 0.8, alpha > 8 (inside and outside 0.9..1.1 alpha), the rest
    x[:20] = alpha[:20] * np.linspace(0.85, 1.15, 20)
    ref = torch._standard_gamma_grad(tensor(torch, alpha, dtype), tensor(torch, x, dtype))
    got = torchlet._standard_gamma_grad(tensor(torchlet, alpha, dtype), tensor(torchlet, x, dtype))
    assert_bits(ref, got)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dirichlet_grad(dtype):
    x = np.linspace(0.001, 0.999, 300)
    alpha = np.geomspace(0.05, 50, 300)
    total = alpha + np.geomspace(0.05, 50, 300)[::-1]
    ref = torch._dirichlet_grad(*(tensor(torch, v, dtype) for v in (x, alpha, total)))
    got = torchlet._dirichlet_grad(*(tensor(torchlet, v, dtype) for v in (x, alpha, total)))
    if dtype == "float64":
        assert_bits(ref, got)
    else:
        assert_close(ref, got, dtype, rtol=2e-3)


def test_gradient_nodes_and_errors():
    a = torchlet.tensor([0.5, 2.0], requires_grad=True)
    s = torchlet._standard_gamma(a)
    assert s.grad_fn.name() == "StandardGammaBackward0"
    (g,) = torchlet.autograd.grad(s.sum(), a, create_graph=True)
    with pytest.raises(NotImplementedError, match="_standard_gamma_grad' is not implemented"):
        g.sum().backward()
    d = torchlet._sample_dirichlet(a)
    assert d.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::_sample_dirichlet"):
        d.sum().backward()
    with pytest.raises(NotImplementedError, match="\"gamma_cpu\" not implemented for 'Long'"):
        torchlet._standard_gamma(torchlet.tensor([1, 2]))
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count"):
        torchlet.binomial(torchlet.tensor([1, 2]), torchlet.tensor([0.5, 0.5]))
    with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
        torchlet.binomial(torchlet.tensor([1.0, 2.0]),
                          torchlet.tensor([0.5, 0.5], dtype=torchlet.float64))
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        torchlet._standard_gamma_grad(a, torchlet.tensor([1.0, 2.0, 3.0]))
    # the same errors in torch
    with pytest.raises(NotImplementedError):
        torch._standard_gamma(torch.tensor([1, 2]))
    with pytest.raises(ValueError):
        torch.binomial(torch.tensor([1, 2]), torch.tensor([0.5, 0.5]))


# ---------------------------------------------------------------------------------------
# the distributions


def make(lib, name, dtype, requires_grad=False):
    """The same distribution on either library (parameters as leaves, returned too)."""
    T = lambda v: tensor(lib, v, dtype, requires_grad)  # noqa: E731
    mod = lib.distributions
    if name == "Gamma":
        params = [T([0.3, 1.0, 4.5, 50.0]), T([1.0, 2.0, 0.5, 3.0])]
        return mod.Gamma(*params), params
    if name == "Chi2":
        params = [T([0.5, 1.0, 3.0, 40.0])]
        return mod.Chi2(*params), params
    if name == "Beta":
        params = [T([0.3, 1.0, 4.5, 50.0]), T([2.0, 0.7, 4.5, 9.0])]
        return mod.Beta(*params), params
    if name == "Dirichlet":
        params = [T([[0.3, 1.0, 4.5], [50.0, 2.0, 0.8]])]
        return mod.Dirichlet(*params), params
    if name == "StudentT":
        params = [T([0.8, 1.5, 3.0, 30.0]), T([0.0, 1.0, -2.0, 0.5]), T([1.0, 0.5, 2.0, 3.0])]
        return mod.StudentT(*params), params
    if name == "FisherSnedecor":
        params = [T([0.8, 3.0, 5.0, 30.0]), T([1.5, 3.0, 6.0, 12.0])]
        return mod.FisherSnedecor(*params), params
    if name == "Binomial":
        params = [T([3.0, 10.0, 40.0, 200.0]), T([0.2, 0.5, 0.9, 0.03])]
        return mod.Binomial(params[0].detach(), probs=params[1]), params[1:]
    if name == "BinomialLogits":
        params = [T([0.2, -1.0, 3.0, 0.0])]
        return mod.Binomial(12, logits=params[0]), params
    if name == "Multinomial":
        params = [T([[0.2, 0.3, 0.5], [0.7, 0.1, 0.2]])]
        return mod.Multinomial(10, probs=params[0]), params
    if name == "NegativeBinomial":
        params = [T([0.5, 2.0, 7.0, 30.0]), T([0.2, 0.5, 0.7, 0.05])]
        return mod.NegativeBinomial(params[0], probs=params[1]), params
    raise AssertionError(name)


NAMES = ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT", "FisherSnedecor", "Binomial",
         "BinomialLogits", "Multinomial", "NegativeBinomial"]
REPARAMETERISED = ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT", "FisherSnedecor"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_samples_bit_exact(name, dtype):
    assert_same_run(lambda lib: make(lib, name, dtype)[0].sample((5, 3)))
    assert_same_run(lambda lib: make(lib, name, dtype)[0].sample(), seed=4)
    assert_same_run(lambda lib: make(lib, name, dtype)[0].expand((2, *make(lib, name, dtype)[0]
                                                                   .batch_shape)).sample((2,)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REPARAMETERISED)
def test_rsample_and_its_gradient(name, dtype):
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(5)
        dist, params = make(lib, name, dtype, requires_grad=True)
        value = dist.rsample((4,))
        grads = lib.autograd.grad((value * value.detach().reciprocal()).sum(), params)
        results.append((value, grads))
    (tv, tg), (lv, lg) = results
    assert_bits(tv, lv)
    assert lv.grad_fn.name() == tv.grad_fn.name()
    for a, b in zip(tg, lg):
        assert_close(a, b, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)


def _values(lib, name, dtype):
    if name in ("Gamma", "Chi2", "FisherSnedecor"):
        v = [[0.2, 1.0, 3.0, 40.0], [1e-3, 5.0, 0.5, 9.0]]
    elif name == "Beta":
        v = [[0.2, 0.5, 0.7, 0.99], [1e-3, 0.3, 0.9, 0.5]]
    elif name == "Dirichlet":
        v = [[0.2, 0.3, 0.5], [0.05, 0.9, 0.05]]
    elif name == "StudentT":
        v = [[0.2, -1.0, 3.0, 40.0], [-7.0, 0.0, 0.5, 9.0]]
    elif name in ("Binomial",):
        v = [[0.0, 5.0, 30.0, 4.0], [3.0, 10.0, 40.0, 200.0]]
    elif name == "BinomialLogits":
        v = [[0.0, 5.0, 12.0, 4.0], [3.0, 10.0, 1.0, 7.0]]
    elif name == "Multinomial":
        v = [[2.0, 3.0, 5.0], [10.0, 0.0, 0.0]]
    else:
        v = [[0.0, 5.0, 30.0, 4.0], [3.0, 1.0, 0.0, 200.0]]
    return tensor(lib, v, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_statistics(name, dtype):
    dists = [make(lib, name, dtype)[0] for lib in (torch, torchlet)]
    for attr in ("mean", "variance", "stddev", "mode"):
        try:
            ref = getattr(dists[0], attr)
        except NotImplementedError:
            continue
        assert_close(ref, getattr(dists[1], attr), dtype)
    for method in ("entropy",):
        try:
            ref = getattr(dists[0], method)()
        except NotImplementedError:
            continue
        assert_close(ref, getattr(dists[1], method)(), dtype)
    assert_close(dists[0].log_prob(_values(torch, name, dtype)),
                 dists[1].log_prob(_values(torchlet, name, dtype)), dtype)
    assert dists[1].batch_shape == dists[0].batch_shape
    assert dists[1].event_shape == dists[0].event_shape


@pytest.mark.parametrize("name", NAMES)
def test_log_prob_gradcheck(name):
    dist_params = make(torchlet, name, "float64", requires_grad=True)[1]
    value = _values(torchlet, name, "float64")

    def log_prob(*params):
        return _rebuild(name, params).log_prob(value)

    assert torchlet.autograd.gradcheck(log_prob, dist_params)


def _rebuild(name, params):
    mod = torchlet.distributions
    if name == "Binomial":
        return mod.Binomial(torchlet.tensor([3.0, 10.0, 40.0, 200.0], dtype=torchlet.float64),
                            probs=params[0])
    if name == "BinomialLogits":
        return mod.Binomial(12, logits=params[0])
    if name == "Multinomial":
        return mod.Multinomial(10, probs=params[0], validate_args=False)
    if name == "NegativeBinomial":
        return mod.NegativeBinomial(params[0], probs=params[1])
    return getattr(mod, name)(*params)


def test_validation_and_errors():
    with pytest.raises(ValueError, match="concentration"):
        TD.Gamma(torchlet.tensor([-1.0]), torchlet.tensor([1.0]))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        TD.Dirichlet(torchlet.tensor(1.0))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        TD.Binomial(3)
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        TD.Multinomial(torchlet.tensor(3), probs=torchlet.tensor([0.5, 0.5]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        TD.Binomial(torchlet.tensor([2.0, 3.0]), probs=torchlet.tensor([0.5, 0.5])).entropy()
    with pytest.raises(ValueError, match="support"):
        TD.Beta(torchlet.tensor([1.0]), torchlet.tensor([1.0])).log_prob(torchlet.tensor([1.5]))


# ---------------------------------------------------------------------------------------
# KL divergences


def _kl_pair(lib, p_name, q_name, dtype):
    T = lambda v: tensor(lib, v, dtype)  # noqa: E731
    mod = lib.distributions
    build = {
        "Gamma": lambda: mod.Gamma(T([0.5, 2.0, 7.0]), T([1.0, 0.3, 2.0])),
        "Gamma2": lambda: mod.Gamma(T([1.5, 0.7, 3.0]), T([2.0, 1.3, 0.2])),
        "Beta": lambda: mod.Beta(T([0.5, 2.0, 7.0]), T([1.0, 0.3, 2.0])),
        "Beta2": lambda: mod.Beta(T([1.5, 0.7, 3.0]), T([2.0, 1.3, 0.2])),
        "Dirichlet": lambda: mod.Dirichlet(T([[0.5, 2.0, 7.0], [1.0, 0.3, 2.0], [1, 1, 1]])),
        "Dirichlet2": lambda: mod.Dirichlet(T([[1.5, 0.7, 3.0], [2.0, 1.3, 0.2], [4, 2, 1]])),
        "Binomial": lambda: mod.Binomial(T([10.0, 10.0, 20.0]), probs=T([0.2, 0.5, 0.9])),
        "Binomial2": lambda: mod.Binomial(T([10.0, 8.0, 20.0]), probs=T([0.4, 0.5, 0.6])),
        "Normal": lambda: mod.Normal(T([0.5, -1.0, 2.0]), T([1.0, 0.3, 2.0])),
        "Exponential": lambda: mod.Exponential(T([0.5, 2.0, 7.0])),
        "Uniform": lambda: mod.Uniform(T([0.1, 0.2, -0.5]), T([0.5, 0.9, 0.7])),
        "Laplace": lambda: mod.Laplace(T([0.5, -1.0, 2.0]), T([1.0, 0.3, 2.0])),
        "Poisson": lambda: mod.Poisson(T([0.5, 2.0, 7.0])),
        "Chi2": lambda: mod.Chi2(T([0.5, 2.0, 7.0])),
    }
    return build[p_name](), build[q_name]()


KL_PAIRS = [
    ("Gamma", "Gamma2"), ("Beta", "Beta2"), ("Dirichlet", "Dirichlet2"),
    ("Binomial", "Binomial2"), ("Chi2", "Gamma"), ("Beta", "Exponential"), ("Beta", "Gamma"),
    ("Beta", "Normal"), ("Beta", "Uniform"), ("Exponential", "Beta"), ("Exponential", "Gamma"),
    ("Gamma", "Beta"), ("Gamma", "Uniform"), ("Gamma", "Exponential"), ("Gamma", "Normal"),
    ("Laplace", "Beta"), ("Laplace", "Gamma"), ("Normal", "Beta"), ("Normal", "Gamma"),
    ("Poisson", "Binomial"), ("Uniform", "Beta"), ("Uniform", "Gamma"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda p: "-".join(p))
def test_kl_divergence(pair, dtype):
    ref = D.kl_divergence(*_kl_pair(torch, *pair, dtype))
    got = TD.kl_divergence(*_kl_pair(torchlet, *pair, dtype))
    assert_close(ref, got, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)


def test_kl_binomial_needs_larger_p_count():
    p, q = _kl_pair(torchlet, "Binomial2", "Binomial", "float64")
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        TD.kl_divergence(p, q)

"""InverseGamma, GeneralizedPareto, VonMises, MixtureSameFamily, LowRankMultivariateNormal,
LKJCholesky and Wishart against torch, run live on both libraries, with the
LowRankMultivariateNormal KL divergences.

Bit-exact (raw bytes): the generator state after every ``sample``/``rsample`` (checked
through the next uniform and normal draws), so every distribution makes torch's draws in
torch's order, VonMises' rejection loop included (it draws three uniforms per element per
round until all are accepted); and the samples themselves where they are plain draws
(MixtureSameFamily of Normals: categorical index, then a normal per component, then a
gather). Samples that go through arithmetic after the draw (1 / Gamma, icdf with
log1p/expm1, cos/acos, sqrt and norms, matmul in the Bartlett and low-rank samplers) agree
to float rounding: float32 rtol 1e-5, float64 rtol 1e-10 (matmul and Cholesky summation
order may differ from torch's LAPACK/BLAS by an ulp or so).
Within float rounding (same tolerances, looser where a Cholesky/solve feeds a difference):
log_prob, entropy, mean, variance, mode, cdf, icdf, the derived matrices, rsample
gradients and the KL divergences. Float64 gradcheck/gradgradcheck of log_prob (and of
the KL divergences) runs on torchlet alone.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.distributions as TD

torch = pytest.importorskip("torch")
import torch.distributions as D  # noqa: E402

DTYPES = ["float32", "float64"]


def as_np(t):
    if isinstance(t, torchlet.Tensor):
        return np.asarray(t.detach()._data)
    return t.detach().numpy()


def assert_bits(a, b):
    a, b = np.ascontiguousarray(as_np(a)), np.ascontiguousarray(as_np(b))
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), (a, b)


def assert_close(a, b, dtype, rtol=None):
    a, b = as_np(a), as_np(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    rtol = rtol or (1e-5 if dtype == "float32" else 1e-10)
    np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol, equal_nan=True)


def tensor(lib, values, dtype, requires_grad=False):
    return lib.tensor(np.asarray(values), dtype=getattr(lib, dtype), requires_grad=requires_grad)


def both(fn, seed=0):
    """``fn(lib)`` on torch and torchlet after the same seed, each followed by the next
    uniform and normal draws (equal only if the generators ended in the same state)."""
    out = []
    for lib in (torch, torchlet):
        lib.manual_seed(seed)
        value = fn(lib)
        after = (lib.rand(3, dtype=lib.float64), lib.randn(3, dtype=lib.float64))
        out.append((value, after))
    return out


def _spd(rng, batch, n):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


_RNG = np.random.default_rng(5)
_MSF_LOGITS = _RNG.standard_normal((3, 5))
_MSF_LOC = _RNG.standard_normal((3, 5, 2))
_MSF_SCALE = _RNG.uniform(0.3, 2.0, (3, 5, 2))
_LR_LOC = _RNG.standard_normal((2, 4))
_LR_FACTOR = _RNG.standard_normal((4, 2))
_LR_DIAG = _RNG.uniform(0.5, 2.0, 4)
_W_COV = _spd(_RNG, (2,), 3)


def make(lib, name, dtype, requires_grad=False):
    """The same distribution on either library (parameters as leaves, returned too)."""
    T = lambda v: tensor(lib, v, dtype, requires_grad)  # noqa: E731
    mod = lib.distributions
    if name == "InverseGamma":
        params = [T([0.5, 1.5, 2.5, 7.0]), T([0.3, 1.0, 2.0, 5.0])]
        return mod.InverseGamma(*params), params
    if name == "GeneralizedPareto":
        # concentration 0 takes the exponential branch, < 0 a bounded support
        params = [T([0.1, -1.0, 0.0, 2.0]), T([0.5, 1.0, 2.0, 3.0]), T([0.4, -0.3, 0.0, 0.7])]
        return mod.GeneralizedPareto(*params), params
    if name == "VonMises":
        # both branches of the Bessel approximation (concentration below and above 3.75)
        params = [T([1.0, -2.0, 0.3, 4.0]), T([0.5, 4.0, 1e-3, 20.0])]
        return mod.VonMises(*params), params
    if name == "MixtureSameFamily":
        params = [T(_MSF_LOGITS), T(_MSF_LOC), T(_MSF_SCALE)]
        comp = mod.Independent(mod.Normal(params[1], params[2]), 1)
        return mod.MixtureSameFamily(mod.Categorical(logits=params[0]), comp), params
    if name == "MixtureSameFamilyScalar":
        # scalar components with a mixture batch shape of 1 to broadcast
        params = [T(_MSF_LOGITS[:1]), T(_MSF_LOC[..., 0]), T(_MSF_SCALE[..., 0])]
        comp = mod.Normal(params[1], params[2])
        return mod.MixtureSameFamily(mod.Categorical(logits=params[0]), comp), params
    if name == "LowRankMultivariateNormal":
        params = [T(_LR_LOC), T(_LR_FACTOR), T(_LR_DIAG)]
        return mod.LowRankMultivariateNormal(*params), params
    if name == "LKJCholesky":
        params = [T([0.5, 1.0, 2.0])]
        return mod.LKJCholesky(4, *params), params
    if name == "LKJCholesky2":
        params = [T(3.0)]
        return mod.LKJCholesky(2, *params), params
    if name == "Wishart":
        params = [T([4.0, 6.5]), T(_W_COV)]
        return mod.Wishart(params[0], covariance_matrix=params[1]), params
    if name == "WishartTril":
        params = [T([4.0, 6.5]), T(np.linalg.cholesky(_W_COV))]
        return mod.Wishart(params[0], scale_tril=params[1]), params
    if name == "WishartScaleTril":
        params = [T(np.linalg.cholesky(_W_COV[0]))]
        return mod.Wishart(5.0, scale_tril=params[0]), params
    if name == "WishartPrecision":
        params = [T(np.linalg.inv(_W_COV[0]))]
        return mod.Wishart(3.5, precision_matrix=params[0]), params
    raise AssertionError(name)


NAMES = [
    "InverseGamma",
    "GeneralizedPareto",
    "VonMises",
    "MixtureSameFamily",
    "MixtureSameFamilyScalar",
    "LowRankMultivariateNormal",
    "LKJCholesky",
    "LKJCholesky2",
    "Wishart",
    "WishartTril",
    "WishartScaleTril",
    "WishartPrecision",
]
PLAIN_DRAWS = ["MixtureSameFamily", "MixtureSameFamilyScalar"]
REPARAMETERISED = ["InverseGamma", "GeneralizedPareto", "LowRankMultivariateNormal"]
WISHARTS = ["Wishart", "WishartTril", "WishartScaleTril", "WishartPrecision"]


# ---------------------------------------------------------------------------------------
# sampling


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sample_shape", [(), (5,), (3, 2)])
def test_samples(name, dtype, sample_shape):
    for seed in (0, 1):
        (ref, ref_after), (got, got_after) = both(
            lambda lib: make(lib, name, dtype)[0].sample(sample_shape), seed
        )
        if name in PLAIN_DRAWS:
            assert_bits(ref, got)
        else:
            assert_close(ref, got, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)
        for x, y in zip(ref_after, got_after):
            assert_bits(x, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_von_mises_rejection_loop(dtype):
    # tiny concentrations use the Taylor proposal; many rounds of the loop for some elements
    conc = np.concatenate([np.geomspace(1e-7, 1e3, 40), [1e-5, 0.999e-5, 3.75]])
    loc = np.linspace(-10, 10, conc.size)

    def run(lib):
        return lib.distributions.VonMises(tensor(lib, loc, dtype), tensor(lib, conc, dtype)).sample(
            (50,)
        )

    (ref, ref_after), (got, got_after) = both(run, seed=3)
    assert_close(ref, got, dtype, rtol=1e-5 if dtype == "float32" else 1e-10)
    for x, y in zip(ref_after, got_after):
        assert_bits(x, y)
    assert float(as_np(got).min()) >= -math.pi and float(as_np(got).max()) <= math.pi


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", REPARAMETERISED)
def test_rsample_gradient(name, dtype):
    grads = []
    for lib in (torch, torchlet):
        lib.manual_seed(2)
        dist, params = make(lib, name, dtype, requires_grad=True)
        value = dist.rsample((3,))
        value.sum().backward()
        grads.append([p.grad for p in params])
    for ref, got in zip(*grads):
        assert_close(ref, got, dtype, rtol=1e-4 if dtype == "float32" else 1e-8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", WISHARTS)
def test_wishart_rsample_gradient(name, dtype):
    # torch's redraw loop always runs once (its mask holds check(), True for good samples)
    # and then mutates the boolean mask that its index_put saved, so torch's backward raises;
    # torchlet gives the gradient of the sample it returns, the second Bartlett draw, which
    # is compared with torch's gradient of that draw made directly
    torch.manual_seed(2)
    dist, params = make(torch, name, dtype, requires_grad=True)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        value = dist.rsample((3,))
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        value.sum().backward()

    torch.manual_seed(2)
    dist, params = make(torch, name, dtype, requires_grad=True)
    dist._bartlett_sampling((3,))
    ref_value = dist._bartlett_sampling((3,))
    ref_value.sum().backward()

    torchlet.manual_seed(2)
    got_dist, got_params = make(torchlet, name, dtype, requires_grad=True)
    with pytest.warns(UserWarning, match="Singular sample detected"):
        got_value = got_dist.rsample((3,))
    got_value.sum().backward()
    assert_close(ref_value, got_value, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)
    for ref, got in zip(params, got_params):
        assert_close(ref.grad, got.grad, dtype, rtol=1e-4 if dtype == "float32" else 1e-8)


def test_wishart_warnings_and_retries():
    # torch redraws whenever any sample passes its positive-definite check (its mask is
    # named is_singular but holds check()), with a warning; torchlet does the same draws
    cov = _W_COV[0]
    for lib in (torch, torchlet):
        with pytest.warns(UserWarning, match="Low df values detected"):
            lib.distributions.Wishart(tensor(lib, 2.5, "float64"), tensor(lib, cov, "float64"))
    (ref, ref_after), (got, got_after) = both(
        lambda lib: lib.distributions.Wishart(
            tensor(lib, [3.0, 9.0], "float64"), tensor(lib, cov, "float64")
        ).rsample((4,), max_try_correction=2)
    )
    assert_close(ref, got, "float64", rtol=1e-9)
    for x, y in zip(ref_after, got_after):
        assert_bits(x, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TD.Wishart(torchlet.tensor(4.0), torchlet.tensor(cov).float()).rsample()
    with warnings.catch_warnings(record=True) as caught_torch:
        warnings.simplefilter("always")
        D.Wishart(torch.tensor(4.0), torch.tensor(cov).float()).rsample()
    assert [str(w.message) for w in caught] == [str(w.message) for w in caught_torch]


# ---------------------------------------------------------------------------------------
# densities and statistics


def _values(name, dtype):
    """Points in the support, drawn once by torch in float64 (the same for both libraries)."""
    torch.manual_seed(11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = make(torch, name, "float64")[0].sample((2,))
    return value.numpy().astype(dtype)


STATS = ["mean", "variance", "mode", "entropy", "stddev"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_statistics(name, dtype):
    tol = 2e-5 if dtype == "float32" else 1e-10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_dist, got_dist = make(torch, name, dtype)[0], make(torchlet, name, dtype)[0]
    assert ref_dist.batch_shape == got_dist.batch_shape
    assert ref_dist.event_shape == got_dist.event_shape
    for stat in STATS:
        try:
            ref = getattr(ref_dist, stat)
            ref = ref() if callable(ref) else ref
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                got = getattr(got_dist, stat)
                got() if callable(got) else got
            continue
        got = getattr(got_dist, stat)
        got = got() if callable(got) else got
        assert_close(ref, got, dtype, rtol=tol)
    if name == "GeneralizedPareto" and dtype == "float64":
        return  # torch's log_prob raises here (see the test below)
    values = _values(name, dtype)
    ref_lp = ref_dist.log_prob(tensor(torch, values, dtype))
    got_lp = got_dist.log_prob(tensor(torchlet, values, dtype))
    assert_close(ref_lp, got_lp, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)
    assert bool(as_np(got_dist.support.check(tensor(torchlet, values, dtype))).all())


def test_generalized_pareto_float64_log_prob_raises_as_in_torch():
    # torch compares a float64 concentration with torch.tensor(0.0) (float32) in isclose,
    # which raises; torchlet follows torch (icdf and sampling use zeros_like and work)
    values = _values("GeneralizedPareto", "float64")
    for lib in (torch, torchlet):
        dist = make(lib, "GeneralizedPareto", "float64")[0]
        for method in ("log_prob", "log_survival_function", "cdf"):
            with pytest.raises(RuntimeError, match="Double did not match Float"):
                getattr(dist, method)(lib.tensor(values))


def test_wishart_scalar_df_with_batched_matrix_as_in_torch():
    # torch keeps a number df unexpanded, so the statistics' view to batch_shape fails
    for lib in (torch, torchlet):
        dist = lib.distributions.Wishart(5.0, tensor(lib, _W_COV, "float64"))
        for stat in ("mean", "mode", "variance"):
            with pytest.raises(RuntimeError, match=r"shape '\[2, 1, 1\]' is invalid"):
                getattr(dist, stat)


@pytest.mark.parametrize("dtype", ["float32"])
def test_generalized_pareto_cdf_icdf(dtype):
    values = _values("GeneralizedPareto", dtype)
    q = np.linspace(0.01, 0.99, 8, dtype=dtype).reshape(2, 4)
    ref = make(torch, "GeneralizedPareto", dtype)[0]
    got = make(torchlet, "GeneralizedPareto", dtype)[0]
    for method, arg in (("cdf", values), ("log_cdf", values), ("icdf", q),
                        ("log_survival_function", values)):
        assert_close(getattr(ref, method)(tensor(torch, arg, dtype)),
                     getattr(got, method)(tensor(torchlet, arg, dtype)), dtype, rtol=1e-4)
    # the support's upper bound is finite only for negative concentration
    assert_close(ref.support.upper_bound, got.support.upper_bound, dtype)


def test_mixture_cdf_expand_and_repr():
    ref = make(torch, "MixtureSameFamilyScalar", "float64")[0]
    got = make(torchlet, "MixtureSameFamilyScalar", "float64")[0]
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    assert_close(ref.cdf(torch.tensor(x)), got.cdf(torchlet.tensor(x)), "float64")
    assert repr(ref) == repr(got)
    assert repr(ref.support) == repr(got.support)
    ref_e, got_e = ref.expand((4, 3)), got.expand((4, 3))
    assert ref_e.batch_shape == got_e.batch_shape
    assert_close(ref_e.log_prob(torch.tensor(x[0])), got_e.log_prob(torchlet.tensor(x[0])),
                 "float64")


@pytest.mark.parametrize("name", NAMES)
def test_expand(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, got = make(torch, name, "float64")[0], make(torchlet, name, "float64")[0]
    shape = (2,) + tuple(ref.batch_shape)
    ref_e, got_e = ref.expand(shape), got.expand(shape)
    assert ref_e.batch_shape == got_e.batch_shape and type(got_e) is type(got)
    values = _values(name, "float64")
    if name == "GeneralizedPareto":
        ref_e, got_e = ref.expand(shape[:1] + (4,)), got.expand(shape[:1] + (4,))
        assert_close(ref_e.icdf(torch.tensor(0.3)), got_e.icdf(torchlet.tensor(0.3)), "float64")
        return
    assert_close(ref_e.log_prob(torch.tensor(values)), got_e.log_prob(torchlet.tensor(values)),
                 "float64", rtol=1e-9)
    ((r, _), (g, _)) = both(lambda lib: (ref_e if lib is torch else got_e).sample())
    assert_close(r, g, "float64", rtol=1e-9)


def test_low_rank_matrices():
    ref, got = make(torch, "LowRankMultivariateNormal", "float64")[0], make(
        torchlet, "LowRankMultivariateNormal", "float64"
    )[0]
    for attr in ("scale_tril", "covariance_matrix", "precision_matrix", "variance"):
        assert_close(getattr(ref, attr), getattr(got, attr), "float64", rtol=1e-9)
    # the same law as the full-covariance MultivariateNormal
    full = TD.MultivariateNormal(got.loc, covariance_matrix=got.covariance_matrix)
    values = torchlet.tensor(_values("LowRankMultivariateNormal", "float64"))
    assert_close(full.log_prob(values), got.log_prob(values), "float64", rtol=1e-9)


def test_wishart_matrices():
    ref, got = make(torch, "WishartPrecision", "float64")[0], make(
        torchlet, "WishartPrecision", "float64"
    )[0]
    for attr in ("scale_tril", "covariance_matrix", "precision_matrix"):
        assert_close(getattr(ref, attr), getattr(got, attr), "float64", rtol=1e-9)
    # the exponential-family entropy (natural parameters, log normaliser) agrees
    assert_close(got.entropy(), TD.ExponentialFamily.entropy(got), "float64", rtol=1e-9)
    assert_close(D.ExponentialFamily.entropy(ref), TD.ExponentialFamily.entropy(got), "float64",
                 rtol=1e-9)


# ---------------------------------------------------------------------------------------
# gradients of log_prob (torchlet alone, float64)

# a full covariance/precision matrix is perturbed off-symmetry by gradcheck, where the
# Cholesky gradient (which reads one triangle) is not the derivative: those are checked
# through scale_tril instead
GRADCHECKED = [n for n in NAMES if n not in ("LKJCholesky2", "Wishart", "WishartPrecision")]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_log_prob_gradcheck(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = make(torchlet, name, "float64", requires_grad=True)[1]
    if name == "GeneralizedPareto":
        # away from concentration 0, where isclose switches branch (a kink)
        params[2] = (params[2].detach() + 0.2).requires_grad_()
    value = torchlet.tensor(_values(name, "float64"))

    def log_prob(*ps):
        if name == "GeneralizedPareto":  # float64 log_prob raises in torch; icdf does not
            return _rebuild(name, ps).icdf(torchlet.tensor([[0.2], [0.9]]))
        return _rebuild(name, ps).log_prob(value)

    assert torchlet.autograd.gradcheck(log_prob, params)
    if name not in ("MixtureSameFamily", "MixtureSameFamilyScalar"):
        assert torchlet.autograd.gradgradcheck(log_prob, params)


def _rebuild(name, params):
    mod = torchlet.distributions
    if name.startswith("MixtureSameFamily"):
        comp = mod.Normal(params[1], params[2])
        if name == "MixtureSameFamily":
            comp = mod.Independent(comp, 1)
        return mod.MixtureSameFamily(mod.Categorical(logits=params[0]), comp)
    if name == "LKJCholesky":
        return mod.LKJCholesky(4, *params)
    if name == "WishartTril":
        # gradcheck also perturbs the upper triangle, which a scale_tril must not have
        # (torch's cholesky_solve gradient is for triangular perturbations only)
        return mod.Wishart(params[0], scale_tril=params[1].tril())
    if name == "WishartScaleTril":
        return mod.Wishart(5.0, scale_tril=params[0].tril())
    return getattr(mod, name)(*params)


# ---------------------------------------------------------------------------------------
# errors


def _both_raise(fn, exc, match):
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(torchlet)


def test_errors():
    def t(lib, v):
        return lib.tensor(np.asarray(v, dtype=np.float64))

    _both_raise(lambda lib: lib.distributions.LKJCholesky(1, 1.0), ValueError,
                "dim to be an integer greater than or equal to 2")
    _both_raise(lambda lib: lib.distributions.LowRankMultivariateNormal(
        t(lib, 0.0), t(lib, [[1.0]]), t(lib, [1.0])), ValueError, "at least one-dimensional")
    _both_raise(lambda lib: lib.distributions.LowRankMultivariateNormal(
        t(lib, [0.0, 1.0]), t(lib, [1.0, 2.0]), t(lib, [1.0, 1.0])), ValueError,
        "cov_factor must be at least two-dimensional")
    _both_raise(lambda lib: lib.distributions.LowRankMultivariateNormal(
        t(lib, [0.0, 1.0]), t(lib, [[1.0, 2.0, 3.0]]), t(lib, [1.0, 1.0])), ValueError,
        "cov_factor must be a batch of matrices with shape 2 x m")
    _both_raise(lambda lib: lib.distributions.LowRankMultivariateNormal(
        t(lib, [0.0, 1.0]), t(lib, [[1.0], [2.0]]), t(lib, [1.0, 1.0, 1.0])), ValueError,
        "cov_diag must be a batch of vectors")
    _both_raise(lambda lib: lib.distributions.LowRankMultivariateNormal(
        t(lib, np.zeros((3, 2))), t(lib, np.ones((4, 2, 1))), t(lib, [1.0, 1.0])), ValueError,
        "Incompatible batch shapes")
    _both_raise(lambda lib: lib.distributions.Wishart(2.0, t(lib, np.eye(3))), ValueError,
                "expected to be greater than ndim - 1 = 2")
    _both_raise(lambda lib: lib.distributions.Wishart(5.0), AssertionError,
                "Exactly one of covariance_matrix")
    _both_raise(lambda lib: lib.distributions.Wishart(5.0, t(lib, [1.0])), ValueError,
                "at least two-dimensional")
    _both_raise(lambda lib: lib.distributions.MixtureSameFamily(
        lib.distributions.Normal(0.0, 1.0), lib.distributions.Normal(t(lib, [0.0]), 1.0)),
        ValueError, "needs to be an  instance of torch.distributions.Categorical")
    _both_raise(lambda lib: lib.distributions.MixtureSameFamily(
        lib.distributions.Categorical(logits=t(lib, [0.0, 1.0])), "normal"),
        ValueError, "Component distribution needs to be an instance")
    _both_raise(lambda lib: lib.distributions.MixtureSameFamily(
        lib.distributions.Categorical(logits=t(lib, [0.0, 1.0])),
        lib.distributions.Normal(t(lib, [0.0, 1.0, 2.0]), 1.0)),
        ValueError, r"`mixture_distribution component` \(2\) does not equal")
    _both_raise(lambda lib: lib.distributions.MixtureSameFamily(
        lib.distributions.Categorical(logits=t(lib, np.zeros((2, 3)))),
        lib.distributions.Normal(t(lib, np.zeros((4, 3))), 1.0)),
        ValueError, "is not compatible with")
    # argument and sample validation
    _both_raise(lambda lib: lib.distributions.InverseGamma(t(lib, [-1.0]), t(lib, [1.0]),
                                                           validate_args=True),
                ValueError, "concentration")
    _both_raise(lambda lib: lib.distributions.VonMises(t(lib, [0.0]), t(lib, [0.0]),
                                                       validate_args=True),
                ValueError, "concentration")
    _both_raise(lambda lib: lib.distributions.GeneralizedPareto(
        t(lib, [0.0]), t(lib, [1.0]), t(lib, [-0.5]), validate_args=True).log_prob(
            t(lib, [3.0])), ValueError, "support")
    _both_raise(lambda lib: lib.distributions.LKJCholesky(2, validate_args=True).log_prob(
        t(lib, [[1.0, 0.0], [1.0, 1.0]])), ValueError, "support")


# ---------------------------------------------------------------------------------------
# KL divergences


def _gaussians(lib, dtype, requires_grad=False):
    T = lambda v: tensor(lib, v, dtype, requires_grad)  # noqa: E731
    mod = lib.distributions
    rng = np.random.default_rng(9)
    lr_p = [T(rng.standard_normal((2, 4))), T(rng.standard_normal((4, 2))),
            T(rng.uniform(0.5, 2, 4))]
    lr_q = [T(rng.standard_normal(4)), T(rng.standard_normal((3, 1, 4, 3))),
            T(rng.uniform(0.5, 2, 4))]
    mvn = [T(rng.standard_normal((2, 4))), T(np.linalg.cholesky(_spd(rng, (), 4)))]
    return {
        "LowRank": (mod.LowRankMultivariateNormal(*lr_p), lr_p),
        "LowRank2": (mod.LowRankMultivariateNormal(*lr_q), lr_q),
        "MVN": (mod.MultivariateNormal(mvn[0], scale_tril=mvn[1]), mvn),
    }


KL_PAIRS = [("LowRank", "LowRank2"), ("LowRank2", "LowRank"), ("MVN", "LowRank"),
            ("MVN", "LowRank2"), ("LowRank", "MVN"), ("LowRank2", "MVN")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda p: "-".join(p))
def test_kl_divergence(pair, dtype):
    ref_d, got_d = _gaussians(torch, dtype), _gaussians(torchlet, dtype)
    ref = D.kl_divergence(ref_d[pair[0]][0], ref_d[pair[1]][0])
    got = TD.kl_divergence(got_d[pair[0]][0], got_d[pair[1]][0])
    assert_close(ref, got, dtype, rtol=1e-4 if dtype == "float32" else 1e-9)


@pytest.mark.parametrize("pair", KL_PAIRS[:3] + KL_PAIRS[4:5], ids=lambda p: "-".join(p))
def test_kl_gradcheck(pair):
    kinds = {"LowRank": 0, "LowRank2": 1, "MVN": 2}
    params = _gaussians(torchlet, "float64", requires_grad=True)
    p_params, q_params = params[pair[0]][1], params[pair[1]][1]
    n_p = len(p_params)

    def build(name, ps):
        mod = torchlet.distributions
        if kinds[name] == 2:
            return mod.MultivariateNormal(ps[0], scale_tril=ps[1].tril())
        return mod.LowRankMultivariateNormal(*ps)

    def kl(*ps):
        return TD.kl_divergence(build(pair[0], ps[:n_p]), build(pair[1], ps[n_p:]))

    assert torchlet.autograd.gradcheck(kl, p_params + q_params)


def test_kl_event_shape_mismatch():
    for lib in (torch, torchlet):
        mod = lib.distributions
        p = mod.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), lib.ones(2))
        q = mod.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3))
        r = mod.MultivariateNormal(lib.zeros(3), lib.eye(3))
        for a, b in ((p, q), (p, r), (r, p)):
            with pytest.raises(ValueError, match="different event shapes cannot be computed"):
                mod.kl_divergence(a, b)

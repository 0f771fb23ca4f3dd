"""torchlet.distributions against torch.distributions, run live on both libraries.

Bit-exact: every sample() and rsample() of Normal, Uniform, Exponential, Bernoulli,
Categorical, OneHotCategorical, Poisson and Independent after the same manual_seed, because
the same generator calls are made in the same order and the arithmetic on the noise is
correctly rounded IEEE (+, *, /); shapes, dtypes,
reprs, error types and messages, constraint checks, enumerate_support.
Within float rounding (float32: rtol 1e-5, atol 1e-6; float64: rtol 1e-12, atol 1e-12):
log_prob, cdf, icdf, entropy, perplexity, mean, variance, stddev, KL divergences and all
gradients, since NumPy's log/exp/erf/lgamma and torch's vectorised kernels may differ by an
ulp or two and reductions may sum in another order; MultivariateNormal samples too, since
they go through a matmul (BLAS order), and Laplace samples, since they take log1p of the
noise (the noise itself is bit-identical: the generator state is compared after each draw).
Float64 gradcheck and gradgradcheck on log_prob, rsample and entropy need no torch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def f32(x):
    return np.asarray(x, dtype=np.float32)


def f64(x):
    return np.asarray(x, dtype=np.float64)


def _to_lib(L, value, requires_grad=False):
    if isinstance(value, np.ndarray):
        t = L.tensor(value)
        if requires_grad and value.dtype.kind == "f":
            t.requires_grad_()
        return t
    return value


def _spd(L, a):
    """A symmetric positive-definite matrix (batch) from any square ``a``."""
    n = a.shape[-1]
    return a @ a.mT + n * L.eye(n, dtype=a.dtype)


# name -> (builder(D, params), params). Builders take the library's distributions module.
CASES = {
    "normal_scalar": (lambda D, p: D.Normal(p["loc"], p["scale"]), {"loc": 0.5, "scale": 2.0}),
    "normal_vec": (
        lambda D, p: D.Normal(p["loc"], p["scale"]),
        {"loc": f32([0.0, 1.0, -2.0]), "scale": f32([1.0, 0.5, 3.0])},
    ),
    "normal_bcast": (
        lambda D, p: D.Normal(p["loc"], p["scale"]),
        {"loc": f32([[0.0], [1.5]]), "scale": f32([1.0, 2.0, 0.25])},
    ),
    "normal_mixed_f64": (
        lambda D, p: D.Normal(p["loc"], p["scale"]),
        {"loc": f64([0.3, -1.0, 2.0, 4.0, -0.5]), "scale": 1.5},
    ),
    "bernoulli_probs": (
        lambda D, p: D.Bernoulli(probs=p["probs"]),
        {"probs": f32([0.1, 0.5, 0.9, 0.0, 1.0])},
    ),
    "bernoulli_logits": (
        lambda D, p: D.Bernoulli(logits=p["logits"]),
        {"logits": f32([[-1.0, 0.0, 2.0], [0.3, 0.1, -4.0]])},
    ),
    "bernoulli_scalar": (lambda D, p: D.Bernoulli(p["probs"]), {"probs": 0.3}),
    "categorical_probs": (
        lambda D, p: D.Categorical(probs=p["probs"]),
        {"probs": f32([0.1, 0.2, 0.7])},
    ),
    "categorical_logits": (
        lambda D, p: D.Categorical(logits=p["logits"]),
        {"logits": f32([[1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0], [5.0, -1.0, 0.5, 2.0]])},
    ),
    "categorical_unnormalised_f64": (
        lambda D, p: D.Categorical(probs=p["probs"]),
        {"probs": f64([[1.0, 3.0], [2.0, 2.0]])},
    ),
    "onehot_probs": (
        lambda D, p: D.OneHotCategorical(probs=p["probs"]),
        {"probs": f32([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])},
    ),
    "onehot_logits": (
        lambda D, p: D.OneHotCategorical(logits=p["logits"]),
        {"logits": f32([0.5, -1.0, 2.0, 0.0])},
    ),
    "uniform_scalar": (lambda D, p: D.Uniform(p["low"], p["high"]), {"low": 0.0, "high": 2.0}),
    "uniform_vec": (
        lambda D, p: D.Uniform(p["low"], p["high"]),
        {"low": f32([0.0, -1.0, 2.0]), "high": f32([1.0, 3.0, 2.5])},
    ),
    "exponential_vec": (
        lambda D, p: D.Exponential(p["rate"]),
        {"rate": f32([[0.5, 1.0, 4.0], [2.0, 0.1, 10.0]])},
    ),
    "exponential_scalar": (lambda D, p: D.Exponential(p["rate"]), {"rate": 1.5}),
    "laplace_vec": (
        lambda D, p: D.Laplace(p["loc"], p["scale"]),
        {"loc": f32([0.0, 1.0, -3.0, 0.5]), "scale": f32([1.0, 0.2, 2.0, 5.0])},
    ),
    "laplace_scalar": (lambda D, p: D.Laplace(p["loc"], p["scale"]), {"loc": -1.0, "scale": 0.5}),
    "poisson_vec": (
        lambda D, p: D.Poisson(p["rate"]),
        {"rate": f32([0.5, 3.0, 20.0, 0.0])},
    ),
    "poisson_f64": (lambda D, p: D.Poisson(p["rate"]), {"rate": f64([[1.0, 7.5], [12.0, 0.2]])}),
    "independent_normal": (
        lambda D, p: D.Independent(D.Normal(p["loc"], p["scale"]), 1),
        {"loc": f32([[0.0, 1.0, 2.0], [-1.0, 0.5, 0.0]]), "scale": f32([[1.0, 2.0, 0.5]] * 2)},
    ),
    "independent_bernoulli_2": (
        lambda D, p: D.Independent(D.Bernoulli(probs=p["probs"]), 2),
        {"probs": f32([[0.2, 0.7], [0.5, 0.9]])},
    ),
    "mvn_scale_tril": (
        lambda D, p: D.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"]),
        {"loc": f32([1.0, -1.0, 0.5]),
         "scale_tril": f32([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [-0.3, 0.2, 0.7]])},
    ),
    "mvn_cov_batched": (
        lambda D, p: D.MultivariateNormal(p["loc"], covariance_matrix=p["cov"]),
        {"loc": f32([[0.0, 1.0], [2.0, -1.0], [0.5, 0.5]]),
         "cov": f32([[2.0, 0.5], [0.5, 1.0]])},
    ),
    "mvn_precision_f64": (
        lambda D, p: D.MultivariateNormal(p["loc"], precision_matrix=p["prec"]),
        {"loc": f64([0.0, 1.0, 2.0]),
         "prec": f64([[[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]],
                      [[1.0, 0.0, 0.0], [0.0, 3.0, -0.5], [0.0, -0.5, 0.8]]])},
    ),
}

# Samples that go through a matmul (MultivariateNormal) or through log1p of the noise
# (Laplace: NumPy's float32 log1p and torch's vectorised one differ by an ulp at times) are
# compared within float rounding; the noise itself is drawn identically.
INEXACT_SAMPLES = {k for k in CASES if k.startswith(("mvn", "laplace"))}


def build(L, name, requires_grad=False):
    builder, params = CASES[name]
    lib_params = {k: _to_lib(L, v, requires_grad) for k, v in params.items()}
    return builder(L.distributions, lib_params), lib_params


def tol(dtype_name):
    return (1e-12, 1e-12) if "float64" in dtype_name else (1e-5, 1e-6)


def assert_same(ours, theirs, exact=False):
    """Same shape, dtype and values (bit for bit when ``exact``)."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    a = ours.detach().numpy()
    b = theirs.detach().numpy()
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        rtol, atol = tol(str(theirs.dtype))
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def sample_values(name, n=4):
    """Values in the support (drawn by torch) for log_prob, as numpy."""
    d, _ = build(torch, name)
    torch.manual_seed(123)
    return d.sample((n,)).numpy()


# -- sampling ---------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_matches_torch(name, sample_shape):
    for method in ("sample", "rsample"):
        d_torch, _ = build(torch, name)
        d_ours, _ = build(torchlet, name)
        assert d_ours.has_rsample == d_torch.has_rsample
        if method == "rsample" and not d_torch.has_rsample:
            with pytest.raises(NotImplementedError):
                d_ours.rsample(sample_shape)
            continue
        torch.manual_seed(7)
        expected = getattr(d_torch, method)(sample_shape)
        torchlet.manual_seed(7)
        got = getattr(d_ours, method)(sample_shape)
        assert_same(got, expected, exact=name not in INEXACT_SAMPLES)
        # the generators must also have advanced identically
        assert torchlet.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()


@needs_torch
def test_sample_n_warns_and_matches():
    d_torch, _ = build(torch, "normal_vec")
    d_ours, _ = build(torchlet, "normal_vec")
    torch.manual_seed(1)
    with pytest.warns(FutureWarning):
        expected = d_torch.sample_n(3)
    torchlet.manual_seed(1)
    with pytest.warns(FutureWarning, match=r"sample_n\(n\)"):
        got = d_ours.sample_n(3)
    assert_same(got, expected, exact=True)


def test_sample_has_no_grad_and_rsample_has():
    d, params = build(torchlet, "normal_vec", requires_grad=True)
    assert not d.sample((2,)).requires_grad
    r = d.rsample((2,))
    assert r.requires_grad and r.shape == (2, 3)


# -- shapes, expand, repr -----------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_support_and_repr(name):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    assert tuple(d_ours.batch_shape) == tuple(d_torch.batch_shape)
    assert tuple(d_ours.event_shape) == tuple(d_torch.event_shape)
    assert type(d_ours.batch_shape) is torchlet.Size
    for shape in [(), (4,), (2, 1)]:
        assert tuple(d_ours._extended_shape(shape)) == tuple(d_torch._extended_shape(shape))
    assert repr(d_ours) == repr(d_torch)
    assert repr(d_ours.support) == repr(d_torch.support)
    assert d_ours.support.is_discrete == d_torch.support.is_discrete
    assert d_ours.support.event_dim == d_torch.support.event_dim
    assert d_ours.has_enumerate_support == d_torch.has_enumerate_support
    assert sorted(d_ours.arg_constraints) == sorted(d_torch.arg_constraints)


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_expand(name):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    new_batch = (2,) + tuple(d_torch.batch_shape)
    e_torch = d_torch.expand(new_batch)
    e_ours = d_ours.expand(new_batch)
    assert type(e_ours).__name__ == type(e_torch).__name__
    assert tuple(e_ours.batch_shape) == tuple(e_torch.batch_shape)
    assert tuple(e_ours.event_shape) == tuple(e_torch.event_shape)
    assert e_ours._validate_args == e_torch._validate_args
    assert repr(e_ours) == repr(e_torch)
    torch.manual_seed(3)
    expected = e_torch.sample((3,))
    torchlet.manual_seed(3)
    assert_same(e_ours.sample((3,)), expected, exact=name not in INEXACT_SAMPLES)
    value = expected.numpy()
    assert_same(e_ours.log_prob(torchlet.tensor(value)), e_torch.log_prob(torch.tensor(value)))


# -- log_prob, cdf, icdf, moments -------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_matches_torch(name):
    value = sample_values(name)
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    assert_same(d_ours.log_prob(torchlet.tensor(value)), d_torch.log_prob(torch.tensor(value)))
    # a single value broadcast against the batch
    one = value[0]
    assert_same(d_ours.log_prob(torchlet.tensor(one)), d_torch.log_prob(torch.tensor(one)))


PROPERTIES = ["mean", "mode", "variance", "stddev"]
METHODS = ["entropy", "perplexity"]


def _call(d, attr):
    value = getattr(d, attr)
    return value() if callable(value) else value


@needs_torch
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("attr", PROPERTIES + METHODS)
def test_moments_and_entropy_match_torch(name, attr):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    try:
        expected = _call(d_torch, attr)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            _call(d_ours, attr)
        return
    got = _call(d_ours, attr)
    assert_same(got, expected, exact=attr == "mode")


CDF_CASES = ["normal_scalar", "normal_vec", "normal_bcast", "normal_mixed_f64", "uniform_scalar",
             "uniform_vec", "exponential_vec", "exponential_scalar", "laplace_vec",
             "laplace_scalar"]


@needs_torch
@pytest.mark.parametrize("name", CDF_CASES)
def test_cdf_icdf_match_torch(name):
    value = sample_values(name)
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    assert_same(d_ours.cdf(torchlet.tensor(value)), d_torch.cdf(torch.tensor(value)))
    torch.manual_seed(0)
    probs = torch.rand((3,) + tuple(d_torch.batch_shape), dtype=d_torch.mean.dtype)
    assert_same(d_ours.icdf(torchlet.tensor(probs.numpy())), d_torch.icdf(probs))


@needs_torch
@pytest.mark.parametrize("name", ["bernoulli_logits", "bernoulli_scalar", "categorical_logits",
                                  "onehot_probs", "categorical_probs"])
@pytest.mark.parametrize("expand", [True, False])
def test_enumerate_support(name, expand):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    assert_same(d_ours.enumerate_support(expand), d_torch.enumerate_support(expand), exact=True)


def test_unimplemented_methods_raise():
    d = torchlet.distributions.Poisson(torchlet.tensor([1.0]))
    with pytest.raises(NotImplementedError):
        d.rsample()
    with pytest.raises(NotImplementedError):
        d.cdf(torchlet.tensor([1.0]))
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        torchlet.distributions.Distribution(validate_args=False).mode  # noqa: B018
    with pytest.raises(NotImplementedError, match="Enumeration over cartesian product"):
        build(torchlet, "independent_bernoulli_2")[0].enumerate_support()


# -- gradients ----------------------------------------------------------------------------

GRAD_CASES = [n for n, (_, p) in CASES.items()
              if any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in p.values())]


def _grads(L, name, fn):
    d, params = build(L, name, requires_grad=True)
    out = fn(L, d)
    weights = L.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return {k: v.grad for k, v in params.items() if getattr(v, "requires_grad", False)}


@needs_torch
@pytest.mark.parametrize("name", GRAD_CASES)
@pytest.mark.parametrize("what", ["log_prob", "rsample", "entropy"])
def test_gradients_match_torch(name, what):
    d_torch, _ = build(torch, name)
    if what == "rsample" and not d_torch.has_rsample:
        pytest.skip("no rsample")
    value = sample_values(name)

    def fn(L, d):
        if what == "log_prob":
            return d.log_prob(L.tensor(value))
        if what == "rsample":
            L.manual_seed(5)
            return d.rsample((3,))
        return d.entropy()

    try:
        expected = _grads(torch, name, fn)
    except (NotImplementedError, RuntimeError) as error:  # RuntimeError: nothing needs grad
        with pytest.raises(type(error)):
            _grads(torchlet, name, fn)
        return
    got = _grads(torchlet, name, fn)
    assert sorted(got) == sorted(expected)
    for k in expected:
        if expected[k] is None:
            assert got[k] is None
        else:
            assert_same(got[k], expected[k])


def _f64(x):
    return torchlet.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


GRADCHECKS = {
    "normal": (lambda loc, scale: torchlet.distributions.Normal(loc, scale),
               [_f64([0.1, -0.5]), _f64([1.2, 0.7])], [0.3, 0.9]),
    "bernoulli_logits": (lambda logits: torchlet.distributions.Bernoulli(logits=logits),
                         [_f64([0.3, -1.2])], [1.0, 0.0]),
    "bernoulli_probs": (lambda probs: torchlet.distributions.Bernoulli(probs=probs),
                        [_f64([0.3, 0.8])], [1.0, 0.0]),
    "categorical_logits": (lambda logits: torchlet.distributions.Categorical(logits=logits),
                           [_f64([[0.3, -1.2, 2.0], [0.0, 0.5, 0.1]])], [2, 0]),
    "categorical_probs": (lambda probs: torchlet.distributions.Categorical(probs=probs),
                          [_f64([[0.3, 0.2, 0.5], [0.1, 0.6, 0.3]])], [1, 0]),
    "uniform": (lambda lo, hi: torchlet.distributions.Uniform(lo, hi),
                [_f64([0.0, -1.0]), _f64([2.0, 0.5])], [1.0, 0.0]),
    "exponential": (lambda rate: torchlet.distributions.Exponential(rate),
                    [_f64([0.5, 2.0])], [1.3, 0.2]),
    "laplace": (lambda loc, scale: torchlet.distributions.Laplace(loc, scale),
                [_f64([0.1, -0.5]), _f64([1.2, 0.7])], [0.3, 0.9]),
    "poisson": (lambda rate: torchlet.distributions.Poisson(rate),
                [_f64([0.5, 4.0])], [1.0, 3.0]),
    "mvn_scale_tril": (
        lambda loc, a: torchlet.distributions.MultivariateNormal(
            loc, scale_tril=torchlet.tril(a, -1) + torchlet.diag_embed(a.diagonal().exp())),
        [_f64([0.5, -0.3]), _f64([[0.1, 0.0], [0.4, -0.2]])], [[1.0, 0.5]]),
    "mvn_cov": (
        lambda loc, a: torchlet.distributions.MultivariateNormal(
            loc, covariance_matrix=_spd(torchlet, a)),
        [_f64([0.5, -0.3]), _f64([[0.1, 0.2], [0.4, -0.2]])], [[1.0, 0.5], [0.0, 0.0]]),
    "mvn_precision": (
        lambda loc, a: torchlet.distributions.MultivariateNormal(
            loc, precision_matrix=_spd(torchlet, a)),
        [_f64([0.5, -0.3]), _f64([[0.1, 0.2], [0.4, -0.2]])], [[1.0, 0.5]]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_log_prob_gradcheck_float64(name):
    make, inputs, value = GRADCHECKS[name]
    value = torchlet.tensor(value, dtype=torchlet.float64 if "categorical" not in name
                            else torchlet.int64)
    assert torchlet.autograd.gradcheck(lambda *p: make(*p).log_prob(value), inputs)
    assert torchlet.autograd.gradgradcheck(lambda *p: make(*p).log_prob(value), inputs)


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_entropy_gradcheck_float64(name):
    make, inputs, _ = GRADCHECKS[name]
    if name == "poisson":
        with pytest.raises(NotImplementedError):
            make(*inputs).entropy()
        return
    assert torchlet.autograd.gradcheck(lambda *p: make(*p).entropy(), inputs)


@pytest.mark.parametrize("name", [n for n in sorted(GRADCHECKS)
                                  if n.split("_")[0] in ("normal", "uniform", "exponential",
                                                         "laplace", "mvn")])
def test_rsample_gradcheck_float64(name):
    make, inputs, _ = GRADCHECKS[name]

    def draw(*params):
        torchlet.manual_seed(11)  # the same noise for every evaluation
        return make(*params).rsample((3,))

    assert torchlet.autograd.gradcheck(draw, inputs)


def test_straight_through_gradient():
    logits = torchlet.tensor([0.5, -1.0, 2.0], requires_grad=True)
    d = torchlet.distributions.OneHotCategoricalStraightThrough(logits=logits)
    torchlet.manual_seed(0)
    s = d.rsample((4,))
    assert s.requires_grad and ((s == 0) | (s == 1)).all()
    (s * torchlet.arange(3.0)).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


# -- validation -----------------------------------------------------------------------------


def _d(L):
    return L.distributions


BAD_CONSTRUCTIONS = {
    "normal_neg_scale": lambda L: _d(L).Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, -1.0])),
    "normal_nan_loc": lambda L: _d(L).Normal(L.tensor([math.nan]), 1.0),
    "normal_scalar_scale": lambda L: _d(L).Normal(0.0, 0.0),
    "bernoulli_probs": lambda L: _d(L).Bernoulli(probs=L.tensor([0.5, 1.5])),
    "bernoulli_both": lambda L: _d(L).Bernoulli(probs=0.5, logits=0.0),
    "bernoulli_none": lambda L: _d(L).Bernoulli(),
    "categorical_negative": lambda L: _d(L).Categorical(probs=L.tensor([-0.5, 1.0, 0.5])),
    "categorical_0d": lambda L: _d(L).Categorical(probs=L.tensor(1.0)),
    "categorical_logits_0d": lambda L: _d(L).Categorical(logits=L.tensor(1.0)),
    "categorical_nan_logits": lambda L: _d(L).Categorical(logits=L.tensor([math.nan, 1.0])),
    "categorical_both": lambda L: _d(L).Categorical(L.tensor([0.5]), L.tensor([0.5])),
    "onehot_negative": lambda L: _d(L).OneHotCategorical(probs=L.tensor([-0.5, 1.0])),
    "uniform_reversed": lambda L: _d(L).Uniform(L.tensor([0.0, 2.0]), L.tensor([1.0, 1.0])),
    "exponential_zero": lambda L: _d(L).Exponential(L.tensor([0.0, 1.0])),
    "laplace_neg_scale": lambda L: _d(L).Laplace(0.0, -2.0),
    "poisson_negative": lambda L: _d(L).Poisson(L.tensor([-1.0, 2.0])),
    "mvn_loc_0d": lambda L: _d(L).MultivariateNormal(L.tensor(0.0), L.eye(1)),
    "mvn_two_params": lambda L: _d(L).MultivariateNormal(L.zeros(2), L.eye(2),
                                                          scale_tril=L.eye(2)),
    "mvn_cov_1d": lambda L: _d(L).MultivariateNormal(L.zeros(2), covariance_matrix=L.ones(2)),
    "mvn_tril_1d": lambda L: _d(L).MultivariateNormal(L.zeros(2), scale_tril=L.ones(2)),
    "mvn_prec_1d": lambda L: _d(L).MultivariateNormal(L.zeros(2), precision_matrix=L.ones(2)),
    "mvn_not_pd": lambda L: _d(L).MultivariateNormal(
        L.zeros(2), covariance_matrix=L.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "mvn_not_symmetric": lambda L: _d(L).MultivariateNormal(
        L.zeros(2), covariance_matrix=L.tensor([[1.0, 0.5], [0.0, 1.0]])),
    "mvn_tril_not_lower": lambda L: _d(L).MultivariateNormal(
        L.zeros(2), scale_tril=L.tensor([[1.0, 0.5], [0.0, 1.0]])),
    "mvn_tril_neg_diag": lambda L: _d(L).MultivariateNormal(
        L.zeros(2), scale_tril=L.tensor([[1.0, 0.0], [0.3, -1.0]])),
    "independent_too_many": lambda L: _d(L).Independent(_d(L).Normal(L.zeros(2), 1.0), 2),
}


def _error(fn, L):
    with pytest.raises(Exception) as info:
        fn(L)
    return info.value


@needs_torch
@pytest.mark.parametrize("name", sorted(BAD_CONSTRUCTIONS))
def test_invalid_parameters_raise_like_torch(name):
    expected = _error(BAD_CONSTRUCTIONS[name], torch)
    got = _error(BAD_CONSTRUCTIONS[name], torchlet)
    assert type(got) is type(expected)
    assert str(got) == str(expected)


def _normal(L):
    return _d(L).Normal(L.tensor([0.0, 1.0]), L.tensor([1.0, 2.0]))


BAD_VALUES = {
    "not_a_tensor": lambda L: _normal(L).log_prob(0.5),
    "not_broadcastable": lambda L: _normal(L).log_prob(L.zeros(3)),
    "nan_value": lambda L: _normal(L).log_prob(L.tensor([math.nan, 0.0])),
    "cdf_nan": lambda L: _normal(L).cdf(L.tensor([math.nan, 0.0])),
    "exponential_negative": lambda L: _d(L).Exponential(2.0).log_prob(L.tensor([-1.0])),
    "bernoulli_half": lambda L: _d(L).Bernoulli(0.3).log_prob(L.tensor(0.5)),
    "categorical_out_of_range": lambda L: _d(L).Categorical(L.tensor([0.5, 0.5])).log_prob(
        L.tensor([2])),
    "onehot_not_onehot": lambda L: _d(L).OneHotCategorical(L.tensor([0.5, 0.5])).log_prob(
        L.tensor([1.0, 1.0])),
    "onehot_event_shape": lambda L: _d(L).OneHotCategorical(L.tensor([0.5, 0.5])).log_prob(
        L.tensor([1.0, 0.0, 0.0])),
    "uniform_outside": lambda L: _d(L).Uniform(0.0, 1.0).log_prob(L.tensor([2.0])),
    "poisson_fraction": lambda L: _d(L).Poisson(L.tensor([2.0])).log_prob(L.tensor([1.5])),
    "mvn_event_shape": lambda L: _d(L).MultivariateNormal(L.zeros(2), L.eye(2)).log_prob(
        L.zeros(3)),
    "independent_support": lambda L: _d(L).Independent(
        _d(L).Exponential(L.ones(2)), 1).log_prob(L.tensor([1.0, -1.0])),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_invalid_values_raise_like_torch(name):
    expected = _error(BAD_VALUES[name], torch)
    got = _error(BAD_VALUES[name], torchlet)
    assert type(got) is type(expected)
    assert str(got) == str(expected)


def test_validate_args_false_and_default_switch():
    D = torchlet.distributions
    d = D.Normal(0.0, -1.0, validate_args=False)  # accepted without a check
    assert d.log_prob(torchlet.tensor(0.0)).isnan()
    assert D.Exponential(1.0, validate_args=False).log_prob(torchlet.tensor(-1.0)).item() == 1.0
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
        assert not D.Uniform(1.0, 0.0)._validate_args
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match=r"Expected parameter scale"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


# -- KL divergence ----------------------------------------------------------------------------

KL_PAIRS = [
    ("normal_vec", lambda D, L: D.Normal(L.tensor([1.0, 0.0, -1.0]), L.tensor([2.0, 0.5, 1.0]))),
    ("normal_vec", lambda D, L: D.Laplace(L.tensor([1.0, 0.0, -1.0]), L.tensor([2.0, 0.5, 1.0]))),
    ("normal_vec", lambda D, L: D.Uniform(-1.0, 1.0)),
    ("normal_vec", lambda D, L: D.Exponential(L.tensor([1.0, 2.0, 3.0]))),
    ("bernoulli_probs", lambda D, L: D.Bernoulli(L.tensor([0.5, 0.0, 0.9, 0.3, 1.0]))),
    ("bernoulli_probs", lambda D, L: D.Poisson(L.tensor([0.5, 1.0, 2.0, 0.3, 1.0]))),
    ("categorical_logits", lambda D, L: D.Categorical(L.tensor([0.5, 0.25, 0.25, 0.0]))),
    ("categorical_probs", lambda D, L: D.Categorical(logits=L.tensor([[0.0, 1.0, 2.0]] * 2))),
    ("onehot_probs", lambda D, L: D.OneHotCategorical(L.tensor([0.1, 0.1, 0.8]))),
    ("uniform_vec", lambda D, L: D.Uniform(L.tensor([-1.0, -2.0, 0.0]), L.tensor([2.0, 4.0, 5.0]))),
    ("uniform_vec", lambda D, L: D.Normal(L.tensor([0.5, 0.0, 2.0]), L.tensor([1.0, 2.0, 0.3]))),
    ("uniform_vec", lambda D, L: D.Exponential(L.tensor([1.0, 2.0, 0.5]))),
    ("exponential_vec", lambda D, L: D.Exponential(L.tensor([1.0, 2.0, 0.5]))),
    ("exponential_vec", lambda D, L: D.Normal(L.tensor([1.0, 2.0, 0.5]), 2.0)),
    ("exponential_vec", lambda D, L: D.Uniform(0.0, 1.0)),
    ("laplace_vec", lambda D, L: D.Laplace(L.tensor([1.0, 2.0, 0.5, 0.0]), 2.0)),
    ("laplace_vec", lambda D, L: D.Normal(L.tensor([1.0, 2.0, 0.5, 0.0]), 2.0)),
    ("laplace_vec", lambda D, L: D.Exponential(2.0)),
    ("laplace_vec", lambda D, L: D.Uniform(0.0, 2.0)),
    ("poisson_vec", lambda D, L: D.Poisson(L.tensor([1.0, 2.0, 5.0, 0.5]))),
    ("poisson_vec", lambda D, L: D.Bernoulli(L.tensor([0.1, 0.2, 0.3, 0.4]))),
    ("independent_normal", lambda D, L: D.Independent(D.Normal(L.zeros(2, 3), L.ones(2, 3)), 1)),
    ("mvn_scale_tril", lambda D, L: D.MultivariateNormal(L.zeros(3), L.eye(3) * 2)),
    ("mvn_cov_batched", lambda D, L: D.MultivariateNormal(
        L.tensor([1.0, 1.0]), scale_tril=L.tensor([[[1.0, 0.0], [0.2, 0.5]]] * 3))),
    ("mvn_precision_f64", lambda D, L: D.MultivariateNormal(
        L.zeros(3, dtype=L.float64), covariance_matrix=L.eye(3, dtype=L.float64))),
]


@needs_torch
@pytest.mark.parametrize("index", range(len(KL_PAIRS)))
def test_kl_divergence_matches_torch(index):
    p_name, make_q = KL_PAIRS[index]
    p_torch, _ = build(torch, p_name)
    p_ours, _ = build(torchlet, p_name)
    expected = torch.distributions.kl_divergence(p_torch, make_q(torch.distributions, torch))
    got = torchlet.distributions.kl_divergence(
        p_ours, make_q(torchlet.distributions, torchlet))
    assert_same(got, expected)


@needs_torch
@pytest.mark.parametrize("name", ["normal_vec", "exponential_vec", "poisson_vec",
                                  "bernoulli_logits", "independent_normal"])
def test_kl_gradients_match_torch(name):
    def fn(L, d):
        D = L.distributions
        q = d.expand(d.batch_shape)  # KL with itself is 0; use a shifted copy instead
        if isinstance(d, D.Independent):
            q = D.Independent(D.Normal(d.base_dist.loc + 0.5, d.base_dist.scale * 2), 1)
        elif isinstance(d, D.Normal):
            q = D.Normal(d.loc * 0.5 + 1, d.scale + 1)
        elif isinstance(d, D.Bernoulli):
            q = D.Bernoulli(logits=d.logits * 0.5 - 0.2)
        else:
            q = type(d)(d.rate * 2 + 0.1)
        return D.kl_divergence(d, q)

    expected = _grads(torch, name, fn)
    got = _grads(torchlet, name, fn)
    for k in expected:
        assert_same(got[k], expected[k])


UNREGISTERED = {
    "categorical_normal": lambda L: (_d(L).Categorical(L.tensor([0.5, 0.5])),
                                     _d(L).Normal(0.0, 1.0)),
    "expfamily_cross": lambda L: (_d(L).Poisson(L.tensor([1.0])), _d(L).Exponential(1.0)),
    "independent_ndims": lambda L: (_d(L).Independent(_d(L).Normal(L.zeros(2, 2), 1.0), 1),
                                    _d(L).Independent(_d(L).Normal(L.zeros(2, 2), 1.0), 2)),
    "mvn_event_shapes": lambda L: (_d(L).MultivariateNormal(L.zeros(2), L.eye(2)),
                                   _d(L).MultivariateNormal(L.zeros(3), L.eye(3))),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(UNREGISTERED))
def test_kl_unregistered_raises_like_torch(name):
    def kl(L):
        return L.distributions.kl_divergence(*UNREGISTERED[name](L))

    expected = _error(kl, torch)
    got = _error(kl, torchlet)
    assert type(got) is type(expected)
    assert str(got) == str(expected)


def test_register_kl_dispatch_and_ambiguity():
    D = torchlet.distributions

    class MyNormal(D.Normal):
        pass

    class MyOtherNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return torchlet.tensor(42.0)

    p, q = MyNormal(0.0, 1.0), D.Normal(0.0, 2.0)
    assert D.kl_divergence(p, q).item() == 42.0  # the more specific registration wins
    # (Normal, Normal) still applies to other subclasses
    expected = D.kl_divergence(D.Normal(0.0, 1.0), q)
    assert D.kl_divergence(MyOtherNormal(0.0, 1.0), q).item() == expected.item()

    @D.register_kl(D.Normal, MyOtherNormal)
    def _kl_other(p, q):
        return torchlet.tensor(-1.0)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        D.kl_divergence(MyNormal(0.0, 1.0), MyOtherNormal(0.0, 1.0))
    assert any(issubclass(w.category, RuntimeWarning) and "Ambiguous" in str(w.message)
               for w in caught)
    # the registry is global: remove the test's entries again
    from torchlet.distributions import kl as kl_module

    del kl_module._KL_REGISTRY[MyNormal, D.Normal]
    del kl_module._KL_REGISTRY[D.Normal, MyOtherNormal]
    kl_module._KL_MEMOIZE.clear()


# -- constraints and utils --------------------------------------------------------------------

CONSTRAINT_VALUES = [
    [0.0, 1.0, -1.0, 0.5, 2.0, math.inf, math.nan],
    [[0.2, 0.8], [0.5, 0.6], [-0.1, 1.1]],
    [[[1.0, 0.0], [0.5, 2.0]], [[1.0, 0.3], [0.3, 1.0]], [[1.0, 2.0], [2.0, 1.0]],
     [[-1.0, 0.0], [0.0, 1.0]]],
]


def _constraints(L):
    c = L.distributions.constraints
    return {
        "real": c.real, "positive": c.positive, "nonnegative": c.nonnegative,
        "unit_interval": c.unit_interval, "boolean": c.boolean,
        "nonnegative_integer": c.nonnegative_integer, "positive_integer": c.positive_integer,
        "interval": c.interval(-0.5, 1.0), "half_open": c.half_open_interval(0.0, 1.0),
        "greater_than": c.greater_than(0.5), "greater_than_eq": c.greater_than_eq(0.5),
        "less_than": c.less_than(1.0), "integer_interval": c.integer_interval(0, 1),
        "simplex": c.simplex, "one_hot": c.one_hot, "real_vector": c.real_vector,
        "independent": c.independent(c.positive, 1), "multinomial": c.multinomial(1),
        "lower_triangular": c.lower_triangular, "lower_cholesky": c.lower_cholesky,
        "square": c.square, "symmetric": c.symmetric,
        "positive_definite": c.positive_definite,
        "positive_semidefinite": c.positive_semidefinite,
        "corr_cholesky": c.corr_cholesky,
    }


@needs_torch
@pytest.mark.parametrize("name", sorted(_constraints(torchlet)))
def test_constraints_match_torch(name):
    ours = _constraints(torchlet)[name]
    theirs = _constraints(torch)[name]
    assert repr(ours) == repr(theirs)
    assert ours.is_discrete == theirs.is_discrete
    assert ours.event_dim == theirs.event_dim
    for values in CONSTRAINT_VALUES:
        if np.ndim(values) < ours.event_dim:
            continue
        assert_same(ours.check(torchlet.tensor(values)), theirs.check(torch.tensor(values)),
                    exact=True)


def test_dependent_constraints():
    c = torchlet.distributions.constraints
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    assert c.is_dependent(torchlet.distributions.Uniform.support)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        c.dependent.check(torchlet.tensor(1.0))
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        c.dependent.event_dim  # noqa: B018
    assert c.dependent(is_discrete=True, event_dim=1).event_dim == 1


@needs_torch
def test_utils_match_torch():
    from torch.distributions import utils as tu

    from torchlet.distributions import utils as ou

    x = np.array([[0.0, 0.3, 1.0], [0.5, 0.9, 0.2]], dtype=np.float32)
    for fn in ("logits_to_probs", "probs_to_logits"):
        for is_binary in (False, True):
            assert_same(getattr(ou, fn)(torchlet.tensor(x), is_binary),
                        getattr(tu, fn)(torch.tensor(x), is_binary))
    assert_same(ou.clamp_probs(torchlet.tensor(x)), tu.clamp_probs(torch.tensor(x)), exact=True)
    for values in [(1.0, torchlet.tensor([1.0, 2.0], dtype=torchlet.float64)), (1.0, 2)]:
        ours = ou.broadcast_all(*values)
        theirs = tu.broadcast_all(*[torch.tensor(v.numpy()) if isinstance(v, torchlet.Tensor)
                                    else v for v in values])
        for a, b in zip(ours, theirs):
            assert_same(a, b, exact=True)
    with pytest.raises(ValueError, match="Input arguments must all be instances of Number"):
        ou.broadcast_all("a", 1.0)
    v = torchlet.arange(6.0)
    m = ou.vec_to_tril_matrix(v)
    assert_same(m, tu.vec_to_tril_matrix(torch.arange(6.0)), exact=True)
    assert_same(ou.tril_matrix_to_vec(m), torch.arange(6.0), exact=True)


def test_lazy_property_caches_and_is_skipped_by_validation():
    D = torchlet.distributions
    d = D.Bernoulli(logits=torchlet.tensor([0.0, 2.0]))
    assert "probs" not in d.__dict__
    probs = d.probs
    assert d.__dict__["probs"] is probs and d.probs is probs
    assert isinstance(D.Bernoulli.__dict__["probs"], torchlet.distributions.utils.lazy_property)

"""torchlet.distributions transforms, TransformedDistribution, biject_to/transform_to and the
distributions built on them, against torch.distributions, run live on both libraries.

Bit-exact: every sample()/rsample() after the same manual_seed (the same generator calls in
the same order; the generator state is compared after each draw), except those listed in
INEXACT_SAMPLES, whose noise goes through log/exp/pow/tan (NumPy's and torch's vectorised
transcendental kernels may differ by an ulp); shapes, dtypes, reprs, supports, equality,
sign, forward_shape/inverse_shape, biject_to/transform_to's choice of transform, error types.
Within float rounding (float32: rtol 1e-5, atol 1e-6; float64: rtol 1e-12, atol 1e-12), since
NumPy's exp/log/log1p/lgamma/digamma and torch's vectorised kernels may differ by an ulp and
reductions may sum in another order: those samples, log_prob, cdf, icdf, entropy, mean,
variance, mode, transform outputs, inverses and log_abs_det_jacobian, KL divergences and all
gradients.
Float64 gradcheck/gradgradcheck of rsample, log_prob and transforms need no torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


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


# -- distributions ------------------------------------------------------------------------

# name -> (builder(D, params), params); builders take the library's distributions module.
CASES = {
    "cauchy_vec": (
        lambda D, p: D.Cauchy(p["loc"], p["scale"]),
        {"loc": f32([0.0, 1.0, -2.0]), "scale": f32([1.0, 0.5, 3.0])},
    ),
    "cauchy_scalar": (lambda D, p: D.Cauchy(p["loc"], p["scale"]), {"loc": 0.5, "scale": 2.0}),
    "half_cauchy": (lambda D, p: D.HalfCauchy(p["scale"]), {"scale": f32([1.0, 0.5, 3.0])}),
    "half_normal": (lambda D, p: D.HalfNormal(p["scale"]), {"scale": f32([[1.0, 0.5], [2, 3]])}),
    "half_normal_f64": (lambda D, p: D.HalfNormal(p["scale"]), {"scale": f64([1.0, 0.25])}),
    "log_normal": (
        lambda D, p: D.LogNormal(p["loc"], p["scale"]),
        {"loc": f32([0.0, 1.0, -0.5]), "scale": f32([0.5, 1.0, 0.25])},
    ),
    "log_normal_f64": (
        lambda D, p: D.LogNormal(p["loc"], p["scale"]),
        {"loc": f64([[0.0], [0.5]]), "scale": f64([0.5, 1.0, 0.25])},
    ),
    "gumbel_vec": (
        lambda D, p: D.Gumbel(p["loc"], p["scale"]),
        {"loc": f32([0.0, 1.0, -2.0]), "scale": f32([1.0, 0.5, 3.0])},
    ),
    "gumbel_scalar": (lambda D, p: D.Gumbel(p["loc"], p["scale"]), {"loc": 1.0, "scale": 2.0}),
    "weibull": (
        lambda D, p: D.Weibull(p["scale"], p["concentration"]),
        {"scale": f32([1.0, 2.0, 0.5]), "concentration": f32([0.5, 1.5, 3.0])},
    ),
    "weibull_f64": (
        lambda D, p: D.Weibull(p["scale"], p["concentration"]),
        {"scale": f64([1.0, 2.0]), "concentration": f64([2.0, 1.2])},
    ),
    "pareto": (
        lambda D, p: D.Pareto(p["scale"], p["alpha"]),
        {"scale": f32([1.0, 2.0, 0.5]), "alpha": f32([0.5, 1.5, 3.0])},
    ),
    "geometric_probs": (
        lambda D, p: D.Geometric(probs=p["probs"]),
        {"probs": f32([0.1, 0.5, 0.9, 1.0])},
    ),
    "geometric_logits": (
        lambda D, p: D.Geometric(logits=p["logits"]),
        {"logits": f32([[-1.0, 0.0], [2.0, 0.3]])},
    ),
    "logistic_normal": (
        lambda D, p: D.LogisticNormal(p["loc"], p["scale"]),
        {"loc": f32([[0.0, 1.0, -0.5], [0.2, 0.1, 0.3]]), "scale": f32([0.5, 1.0, 0.25])},
    ),
    "logistic_normal_f64": (
        lambda D, p: D.LogisticNormal(p["loc"], p["scale"]),
        {"loc": f64([0.0, 1.0]), "scale": f64([0.5, 2.0])},
    ),
    "relaxed_bernoulli": (
        lambda D, p: D.RelaxedBernoulli(p["temperature"], probs=p["probs"]),
        {"temperature": f32(0.5), "probs": f32([0.1, 0.5, 0.9])},
    ),
    "relaxed_bernoulli_logits_f64": (
        lambda D, p: D.RelaxedBernoulli(p["temperature"], logits=p["logits"]),
        {"temperature": f64([2.0]), "logits": f64([[-1.0, 0.0], [2.0, 0.3]])},
    ),
    "relaxed_onehot": (
        lambda D, p: D.RelaxedOneHotCategorical(p["temperature"], probs=p["probs"]),
        {"temperature": f32(0.7), "probs": f32([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])},
    ),
    "relaxed_onehot_logits_f64": (
        lambda D, p: D.RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]),
        {"temperature": f64(1.5), "logits": f64([0.5, -1.0, 2.0, 0.0])},
    ),
    "continuous_bernoulli": (
        lambda D, p: D.ContinuousBernoulli(probs=p["probs"]),
        {"probs": f32([0.1, 0.4995, 0.5, 0.7, 0.99])},
    ),
    "continuous_bernoulli_logits_f64": (
        lambda D, p: D.ContinuousBernoulli(logits=p["logits"]),
        {"logits": f64([[-3.0, 0.0], [0.001, 2.0]])},
    ),
    "kumaraswamy": (
        lambda D, p: D.Kumaraswamy(p["a"], p["b"]),
        {"a": f32([0.5, 1.5, 3.0]), "b": f32([2.0, 0.7, 4.0])},
    ),
    "kumaraswamy_f64": (
        lambda D, p: D.Kumaraswamy(p["a"], p["b"]),
        {"a": f64([2.0, 5.0]), "b": f64([3.0, 1.5])},
    ),
    "transformed_affine_exp": (
        lambda D, p: D.TransformedDistribution(
            D.Normal(p["loc"], p["scale"]),
            [D.AffineTransform(p["shift"], 2.0), D.ExpTransform()],
        ),
        {"loc": f32([0.0, 1.0]), "scale": f32([1.0, 0.5]), "shift": f32([[0.5], [-0.5]])},
    ),
    "transformed_sigmoid_inv": (
        lambda D, p: D.TransformedDistribution(
            D.Uniform(p["low"], p["high"]), D.SigmoidTransform().inv
        ),
        {"low": f64([0.1, 0.2]), "high": f64([0.9, 0.6])},
    ),
    "transformed_tanh": (
        lambda D, p: D.TransformedDistribution(
            D.Normal(p["loc"], p["scale"]), [D.TanhTransform(cache_size=1)]
        ),
        {"loc": f32([0.0, 0.5]), "scale": f32([1.0, 0.5])},
    ),
}

# noise through log / exp / pow / softmax: within float rounding, the noise is exact (Cauchy's
# tan is inside cauchy_, which torchlet reproduces bit for bit, so Cauchy samples are exact)
INEXACT_SAMPLES = {
    "log_normal", "log_normal_f64", "gumbel_vec",
    "gumbel_scalar", "weibull", "weibull_f64", "pareto", "logistic_normal", "logistic_normal_f64",
    "relaxed_bernoulli", "relaxed_bernoulli_logits_f64", "relaxed_onehot",
    "relaxed_onehot_logits_f64", "continuous_bernoulli", "continuous_bernoulli_logits_f64",
    "kumaraswamy", "kumaraswamy_f64", "transformed_affine_exp", "transformed_sigmoid_inv",
    "transformed_tanh",
}


def build(L, name, requires_grad=False):
    builder, params = CASES[name]
    lib_params = {k: _to_lib(L, v, requires_grad) for k, v in params.items()}
    return builder(L.distributions, lib_params), lib_params


def sample_values(name, n=4):
    """Values in the support (drawn by torch) for log_prob, as numpy."""
    d, _ = build(torch, name)
    torch.manual_seed(123)
    return d.sample((n,)).numpy()


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
        assert got.requires_grad is False
        # the generators must have advanced identically
        assert torchlet.rand(2).numpy().tobytes() == torch.rand(2).numpy().tobytes()


@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_support_and_repr(name):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    assert type(d_ours).__name__ == type(d_torch).__name__
    assert tuple(d_ours.batch_shape) == tuple(d_torch.batch_shape)
    assert tuple(d_ours.event_shape) == tuple(d_torch.event_shape)
    assert type(d_ours.batch_shape) is torchlet.Size
    assert repr(d_ours) == repr(d_torch)
    assert repr(d_ours.support) == repr(d_torch.support)
    assert d_ours.support.is_discrete == d_torch.support.is_discrete
    assert d_ours.support.event_dim == d_torch.support.event_dim
    assert sorted(d_ours.arg_constraints) == sorted(d_torch.arg_constraints)


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
    torch.manual_seed(3)
    expected = e_torch.sample((3,))
    torchlet.manual_seed(3)
    got = e_ours.sample((3,))
    assert_same(got, expected, exact=name not in INEXACT_SAMPLES)
    value = expected.numpy()
    assert_same(
        e_ours.log_prob(torchlet.tensor(value)),
        e_torch.log_prob(torch.tensor(value)),
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob_matches_torch(name):
    value = sample_values(name)
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    expected = d_torch.log_prob(torch.tensor(value))
    assert_same(d_ours.log_prob(torchlet.tensor(value)), expected)
    one = value[0]
    expected = d_torch.log_prob(torch.tensor(one))
    assert_same(d_ours.log_prob(torchlet.tensor(one)), expected)


def _call(d, attr):
    value = getattr(d, attr)
    return value() if callable(value) else value


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("attr", ["mean", "mode", "variance", "stddev", "entropy"])
def test_moments_and_entropy_match_torch(name, attr):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    try:
        expected = _call(d_torch, attr)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            _call(d_ours, attr)
        return
    assert_same(_call(d_ours, attr), expected)


CDF_CASES = ["cauchy_vec", "cauchy_scalar", "half_cauchy", "half_normal", "half_normal_f64",
             "log_normal", "log_normal_f64", "continuous_bernoulli",
             "continuous_bernoulli_logits_f64", "transformed_affine_exp",
             "transformed_sigmoid_inv", "gumbel_vec", "weibull_f64", "pareto"]


@pytest.mark.parametrize("name", CDF_CASES)
def test_cdf_icdf_match_torch(name):
    value = sample_values(name)
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    for method, arg in [("cdf", value)]:
        try:
            expected = getattr(d_torch, method)(torch.tensor(arg))
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                getattr(d_ours, method)(torchlet.tensor(arg))
            continue
        assert_same(getattr(d_ours, method)(torchlet.tensor(arg)), expected)
    torch.manual_seed(0)
    shape = (3,) + tuple(d_torch.batch_shape) + tuple(d_torch.event_shape)
    probs = torch.rand(shape, dtype=torch.tensor(value).dtype)
    try:
        expected = d_torch.icdf(probs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            d_ours.icdf(torchlet.tensor(probs.numpy()))
        return
    assert_same(d_ours.icdf(torchlet.tensor(probs.numpy())), expected)


GRAD_CASES = [n for n, (_, p) in CASES.items()
              if any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in p.values())]


def _grads(L, name, fn):
    d, params = build(L, name, requires_grad=True)
    out = fn(L, d)
    weights = L.linspace(0.5, 1.5, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return {k: v.grad for k, v in params.items() if getattr(v, "requires_grad", False)}


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


def _p64(*values):
    return [torchlet.tensor(f64(v), requires_grad=True) for v in values]


GRADCHECKS = {
    "log_normal": (lambda a, b: torchlet.distributions.LogNormal(a, b), [0.2, -0.3], [0.7, 1.2]),
    "gumbel": (lambda a, b: torchlet.distributions.Gumbel(a, b), [0.2, -0.3], [0.7, 1.2]),
    "cauchy": (lambda a, b: torchlet.distributions.Cauchy(a, b), [0.2, -0.3], [0.7, 1.2]),
    "half_normal": (lambda b: torchlet.distributions.HalfNormal(b), [0.7, 1.2]),
    "weibull": (lambda a, b: torchlet.distributions.Weibull(a, b), [1.1, 2.0], [0.7, 1.6]),
    "pareto": (lambda a, b: torchlet.distributions.Pareto(a, b), [1.1, 2.0], [2.7, 3.6]),
    "kumaraswamy": (lambda a, b: torchlet.distributions.Kumaraswamy(a, b), [1.1, 2.0], [2.7, 3.6]),
    "logistic_normal": (
        lambda a, b: torchlet.distributions.LogisticNormal(a, b), [0.2, -0.3], [0.7, 1.2]
    ),
    "relaxed_bernoulli": (
        lambda t, p: torchlet.distributions.RelaxedBernoulli(t, probs=p), [0.6], [0.3, 0.8]
    ),
    "relaxed_onehot": (
        lambda t, lg: torchlet.distributions.RelaxedOneHotCategorical(t, logits=lg),
        [0.6], [0.3, -0.8, 1.0],
    ),
    "continuous_bernoulli": (
        lambda p: torchlet.distributions.ContinuousBernoulli(probs=p), [0.2, 0.7]
    ),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_rsample_and_log_prob(name):
    make, *values = GRADCHECKS[name]
    params = _p64(*values)

    def rsample(*ps):
        torchlet.manual_seed(11)
        return make(*ps).rsample((2,))

    with torchlet.no_grad():
        torchlet.manual_seed(3)
        x = make(*params).sample((2,))

    def log_prob(*ps):
        return make(*ps).log_prob(x)

    assert gradcheck(rsample, params)
    assert gradcheck(log_prob, params)
    assert gradgradcheck(log_prob, params)


# -- KL divergences ------------------------------------------------------------------------

KL_PAIRS = [
    ("cauchy_vec", "cauchy_vec2"), ("gumbel_vec", "gumbel_vec2"),
    ("half_normal", "half_normal2"), ("geometric_probs2", "geometric_logits2"),
    ("pareto", "pareto2"), ("continuous_bernoulli", "continuous_bernoulli2"),
    ("log_normal", "log_normal2"), ("continuous_bernoulli3", "exponential"),
    ("continuous_bernoulli3", "normal"), ("continuous_bernoulli3", "uniform"),
    ("continuous_bernoulli3", "pareto"), ("exponential", "gumbel_vec"), ("exponential", "pareto"),
    ("exponential", "continuous_bernoulli3"), ("gumbel_vec", "normal"), ("gumbel_vec", "uniform"),
    ("gumbel_vec", "exponential"), ("normal", "gumbel_vec"), ("normal", "pareto"),
    ("laplace", "pareto"), ("laplace", "continuous_bernoulli3"), ("pareto", "exponential"),
    ("pareto2", "normal"), ("pareto", "uniform"), ("uniform", "continuous_bernoulli3"),
    ("uniform", "gumbel_vec"), ("uniform", "pareto"),
]
KL_EXTRA = {
    "cauchy_vec2": (lambda D, p: D.Cauchy(p["loc"], p["scale"]),
                    {"loc": f32([1.0, 0.0, 2.0]), "scale": f32([2.0, 0.5, 1.0])}),
    "gumbel_vec2": (lambda D, p: D.Gumbel(p["loc"], p["scale"]),
                    {"loc": f32([1.0, 0.0, 2.0]), "scale": f32([2.0, 0.5, 1.0])}),
    "half_normal2": (lambda D, p: D.HalfNormal(p["scale"]), {"scale": f32([[2.0, 1.0], [1, 1]])}),
    "geometric_probs2": (lambda D, p: D.Geometric(probs=p["probs"]),
                         {"probs": f32([[0.1, 0.5], [0.9, 0.3]])}),
    "geometric_logits2": (lambda D, p: D.Geometric(logits=p["logits"]),
                          {"logits": f32([[-1.0, 0.0], [2.0, 0.3]])}),
    "pareto2": (lambda D, p: D.Pareto(p["scale"], p["alpha"]),
                {"scale": f32([0.5, 2.5, 0.5]), "alpha": f32([1.0, 2.5, 3.5])}),
    "continuous_bernoulli2": (lambda D, p: D.ContinuousBernoulli(probs=p["probs"]),
                              {"probs": f32([0.3, 0.5, 0.2, 0.9, 0.6])}),
    "continuous_bernoulli3": (lambda D, p: D.ContinuousBernoulli(probs=p["probs"]),
                              {"probs": f32([0.3, 0.5, 0.8])}),
    "log_normal2": (lambda D, p: D.LogNormal(p["loc"], p["scale"]),
                    {"loc": f32([1.0, 0.0, 0.5]), "scale": f32([1.0, 2.0, 0.5])}),
    "exponential": (lambda D, p: D.Exponential(p["rate"]), {"rate": f32([0.5, 1.0, 2.0])}),
    "normal": (lambda D, p: D.Normal(p["loc"], p["scale"]),
               {"loc": f32([0.3, -1.0, 0.5]), "scale": f32([1.0, 2.0, 0.7])}),
    "laplace": (lambda D, p: D.Laplace(p["loc"], p["scale"]),
                {"loc": f32([0.3, -1.0, 0.5]), "scale": f32([1.0, 2.0, 0.7])}),
    "uniform": (lambda D, p: D.Uniform(p["low"], p["high"]),
                {"low": f32([0.1, -1.0, 0.5]), "high": f32([0.9, 2.0, 0.7])}),
}


def _build_kl(L, name):
    builder, params = KL_EXTRA.get(name) or CASES[name]
    lib_params = {k: _to_lib(L, v) for k, v in params.items()}
    return builder(L.distributions, lib_params)


@pytest.mark.parametrize("p_name,q_name", KL_PAIRS)
def test_kl_divergence_matches_torch(p_name, q_name):
    def kl(L):
        p, q = _build_kl(L, p_name), _build_kl(L, q_name)
        shape = torch.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
        return L.distributions.kl_divergence(p.expand(shape), q.expand(shape))

    assert_same(kl(torchlet), kl(torch))


def test_kl_transformed_requires_equal_transforms():
    D = torchlet.distributions
    p = D.TransformedDistribution(D.Normal(0.0, 1.0), [D.ExpTransform()])
    q = D.TransformedDistribution(D.Normal(1.0, 2.0), [D.ExpTransform()])
    r = D.TransformedDistribution(D.Normal(1.0, 2.0), [D.SigmoidTransform()])
    expected = torch.distributions.kl_divergence(torch.distributions.Normal(0.0, 1.0),
                                                 torch.distributions.Normal(1.0, 2.0))
    assert_same(D.kl_divergence(p, q), expected)
    with pytest.raises(NotImplementedError):
        D.kl_divergence(p, r)


# -- validation errors ----------------------------------------------------------------------

BAD_ARGS = [
    ("Cauchy", (0.0, -1.0), {}),
    ("HalfNormal", (-1.0,), {}),
    ("HalfCauchy", (0.0,), {}),
    ("LogNormal", (0.0, -2.0), {}),
    ("Gumbel", (0.0, 0.0), {}),
    ("Weibull", (1.0, -1.0), {}),
    ("Pareto", (-1.0, 1.0), {}),
    ("Geometric", (), {"probs": 0.0}),
    ("Geometric", (), {"probs": 1.5}),
    ("Geometric", (0.3,), {"logits": 0.2}),
    ("Kumaraswamy", (1.0, -1.0), {}),
    ("RelaxedBernoulli", (0.5,), {"probs": 1.5}),
    ("ContinuousBernoulli", (), {"probs": 2.0, "validate_args": True}),
    ("ContinuousBernoulli", (), {}),
    ("LogisticNormal", (0.0, -1.0), {}),
]


def _tensorise(L, args, kwargs):
    def conv(v):
        return L.tensor(v) if isinstance(v, float) else v

    return [conv(a) for a in args], {k: conv(v) for k, v in kwargs.items()}


@pytest.mark.parametrize("cls,args,kwargs", BAD_ARGS)
def test_bad_parameters_raise_like_torch(cls, args, kwargs):
    t_args, t_kwargs = _tensorise(torch, args, kwargs)
    with pytest.raises(Exception) as expected:
        getattr(torch.distributions, cls)(*t_args, **t_kwargs)
    o_args, o_kwargs = _tensorise(torchlet, args, kwargs)
    with pytest.raises(expected.type) as got:
        getattr(torchlet.distributions, cls)(*o_args, **o_kwargs)
    first = str(expected.value).split("(")[0]
    assert str(got.value).startswith(first)


@pytest.mark.parametrize("name,value", [
    ("half_normal", [[-1.0, 1.0], [1.0, 1.0]]), ("log_normal", [0.0, 1.0, 2.0]),
    ("pareto", [0.1, 3.0, 1.0]), ("geometric_probs", [0.5, 1.0, 2.0, 3.0]),
    ("continuous_bernoulli", [0.1, 0.2, 1.5, 0.3, 0.4]), ("kumaraswamy", [0.5, 1.5, 0.3]),
])
def test_values_outside_support_raise(name, value):
    d_torch, _ = build(torch, name)
    d_ours, _ = build(torchlet, name)
    with pytest.raises(ValueError, match="to be within the support"):
        d_torch.log_prob(torch.tensor(f32(value)))
    with pytest.raises(ValueError, match="to be within the support"):
        d_ours.log_prob(torchlet.tensor(f32(value)))


def test_transformed_distribution_bad_transforms():
    D = torchlet.distributions
    with pytest.raises(ValueError, match="transforms must be a Transform or list"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
    with pytest.raises(ValueError, match="list of Transforms"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), ["exp"])
    with pytest.raises(ValueError, match="needs to have shape with size at least 1"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), [D.StickBreakingTransform()])


# -- transforms -------------------------------------------------------------------------------

# name -> (builder(T), input builder numpy (float64), bijective). T: the transforms module.
RNG = np.random.default_rng(0)
X_VEC = RNG.standard_normal((3, 4))
X_MAT = RNG.standard_normal((2, 3, 3))

TRANSFORMS = {
    "exp": (lambda T, L: T.ExpTransform(), X_VEC),
    "power": (lambda T, L: T.PowerTransform(L.tensor([0.5, 2.0, 3.0, -1.0])), np.abs(X_VEC) + .1),
    "sigmoid": (lambda T, L: T.SigmoidTransform(), X_VEC),
    "softplus": (lambda T, L: T.SoftplusTransform(), X_VEC * 5),
    "tanh": (lambda T, L: T.TanhTransform(), X_VEC),
    "abs": (lambda T, L: T.AbsTransform(), X_VEC),
    "affine_number": (lambda T, L: T.AffineTransform(1.5, -2.0), X_VEC),
    "affine_tensor": (
        lambda T, L: T.AffineTransform(L.tensor([1.0, 2.0, 3.0, 4.0]), L.tensor([0.5, -2.0, 1, 3])),
        X_VEC,
    ),
    "affine_event_dim": (
        lambda T, L: T.AffineTransform(0.0, L.tensor([0.5, -2.0, 1, 3]), event_dim=1), X_VEC
    ),
    "softmax": (lambda T, L: T.SoftmaxTransform(), X_VEC),
    "stick_breaking": (lambda T, L: T.StickBreakingTransform(), X_VEC),
    "lower_cholesky": (lambda T, L: T.LowerCholeskyTransform(), X_MAT),
    "positive_definite": (lambda T, L: T.PositiveDefiniteTransform(), X_MAT),
    "corr_cholesky": (lambda T, L: T.CorrCholeskyTransform(), RNG.standard_normal((2, 6))),
    "reshape": (lambda T, L: T.ReshapeTransform((4,), (2, 2)), X_VEC),
    "independent": (lambda T, L: T.IndependentTransform(T.SigmoidTransform(), 1), X_VEC),
    "compose": (
        lambda T, L: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.SigmoidTransform(),
                                         T.AffineTransform(-1.0, 2.0)]),
        X_VEC,
    ),
    "compose_event": (
        lambda T, L: T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()]), X_VEC
    ),
    "identity": (lambda T, L: T.identity_transform, X_VEC),
    "inverse_exp": (lambda T, L: T.ExpTransform().inv, np.abs(X_VEC) + 0.1),
    "cat": (
        lambda T, L: T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, 3.0)], dim=1,
                                    lengths=[1, 3]),
        X_VEC,
    ),
    "cat_event_sum": (
        lambda T, L: T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                     T.IndependentTransform(T.SigmoidTransform(), 1)],
                                    dim=-1, lengths=[2, 2]),
        X_VEC,
    ),
    "cat_event_cat": (
        lambda T, L: T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                     T.IndependentTransform(T.SigmoidTransform(), 1)],
                                    dim=0, lengths=[1, 2]),
        X_VEC,
    ),
    "stack": (
        lambda T, L: T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.SigmoidTransform(),
                                       T.identity_transform], dim=-1),
        X_VEC,
    ),
    "cdf": (
        lambda T, L: T.CumulativeDistributionTransform(
            L.distributions.Normal(L.tensor(0.5, dtype=L.float64), L.tensor(2.0, dtype=L.float64))
        ),
        X_VEC,
    ),
}


def build_transform(L, name):
    builder, x = TRANSFORMS[name]
    return builder(L.distributions.transforms, L), x


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_transform_matches_torch(name, dtype):
    t_torch, x = build_transform(torch, name)
    t_ours, _ = build_transform(torchlet, name)
    x = x.astype(dtype)
    assert t_ours.bijective == t_torch.bijective
    assert repr(t_ours) == repr(t_torch)
    assert repr(t_ours.domain) == repr(t_torch.domain)
    assert repr(t_ours.codomain) == repr(t_torch.codomain)
    assert t_ours.domain.event_dim == t_torch.domain.event_dim
    assert t_ours.codomain.event_dim == t_torch.codomain.event_dim
    y_torch = t_torch(torch.tensor(x))
    y_ours = t_ours(torchlet.tensor(x))
    assert_same(y_ours, y_torch)
    assert tuple(t_ours.forward_shape(torchlet.Size(x.shape))) == tuple(
        t_torch.forward_shape(torch.Size(x.shape))
    )
    assert tuple(t_ours.inverse_shape(torchlet.Size(y_torch.shape))) == tuple(
        t_torch.inverse_shape(torch.Size(y_torch.shape))
    )
    y = y_torch.numpy()
    assert_same(t_ours.inv(torchlet.tensor(y)), t_torch.inv(torch.tensor(y)))
    try:
        expected = t_torch.log_abs_det_jacobian(torch.tensor(x), torch.tensor(y))
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t_ours.log_abs_det_jacobian(torchlet.tensor(x), torchlet.tensor(y))
    else:
        got = t_ours.log_abs_det_jacobian(torchlet.tensor(x), torchlet.tensor(y))
        assert_same(got, expected)
    try:
        sign = t_torch.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            t_ours.sign  # noqa: B018
    else:
        if isinstance(sign, torch.Tensor):
            assert_same(t_ours.sign, sign, exact=True)
        else:
            assert t_ours.sign == sign


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "softplus", "affine_tensor",
                                  "stick_breaking", "corr_cholesky", "lower_cholesky", "power",
                                  "compose", "cat", "stack", "independent"])
def test_transform_gradcheck(name):
    t, x = build_transform(torchlet, name)
    x = torchlet.tensor(x, requires_grad=True)
    assert gradcheck(lambda v: t(v), (x,))
    assert gradgradcheck(lambda v: t(v), (x,))
    if t.bijective:
        assert gradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), (x,))
        y = t(x).detach().requires_grad_()
        assert gradcheck(lambda v: t.inv(v), (y,))


def test_transform_caching_and_inverse_identity():
    T = torchlet.distributions.transforms
    t = T.ExpTransform(cache_size=1)
    x = torchlet.randn(3)
    y = t(x)
    assert t(x) is y and t.inv(y) is x  # cached
    uncached = T.ExpTransform()
    assert uncached(x) is not uncached(x)
    assert t.inv.inv is t
    assert t.with_cache(1) is t and t.with_cache(0)._cache_size == 0
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)
    c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], cache_size=1)
    assert all(p._cache_size == 1 for p in c.parts)
    assert c.inv.inv is c

    class Scaled(T.Transform):
        def __init__(self, k):
            super().__init__()
            self.k = k

    with pytest.raises(NotImplementedError, match="with_cache is not implemented"):
        Scaled(2.0).with_cache(1)


def test_transform_equality_and_event_dim():
    T = torchlet.distributions.transforms
    assert T.ExpTransform() == T.ExpTransform()
    assert T.ExpTransform() != T.SigmoidTransform()
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.AffineTransform(torchlet.tensor([1.0]), 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.PowerTransform(torchlet.tensor(2.0)) == T.PowerTransform(torchlet.tensor(2.0))
    assert T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()])
    assert T.StickBreakingTransform().event_dim == 1
    assert T.AffineTransform(0.0, 1.0, event_dim=2).event_dim == 2
    assert T.AffineTransform(0.0, -2.0).sign == -1
    with pytest.raises(ValueError, match="domain.event_dim or .codomain.event_dim"):
        T.CorrCholeskyTransform().event_dim  # noqa: B018
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((3,), (2, 2))
    with pytest.raises(ValueError, match="Too few dimensions on input"):
        T.StickBreakingTransform().forward_shape(torchlet.Size(()))


# -- biject_to / transform_to -----------------------------------------------------------------

CONSTRAINTS = [
    ("real", lambda C, L: C.real),
    ("positive", lambda C, L: C.positive),
    ("nonnegative", lambda C, L: C.nonnegative),
    ("greater_than", lambda C, L: C.greater_than(L.tensor([1.0, -2.0, 0.5, 3.0]))),
    ("greater_than_eq", lambda C, L: C.greater_than_eq(2.0)),
    ("less_than", lambda C, L: C.less_than(1.5)),
    ("unit_interval", lambda C, L: C.unit_interval),
    ("interval", lambda C, L: C.interval(-1.0, 3.0)),
    ("half_open_interval", lambda C, L: C.half_open_interval(L.tensor(0.0), 1.0)),
    ("simplex", lambda C, L: C.simplex),
    ("real_vector", lambda C, L: C.real_vector),
    ("independent_positive", lambda C, L: C.independent(C.positive, 1)),
    ("lower_cholesky", lambda C, L: C.lower_cholesky),
    ("positive_definite", lambda C, L: C.positive_definite),
    ("positive_semidefinite", lambda C, L: C.positive_semidefinite),
    ("corr_cholesky", lambda C, L: C.corr_cholesky),
    ("cat", lambda C, L: C.cat([C.positive, C.real], dim=-1, lengths=[2, 2])),
    ("stack", lambda C, L: C.stack([C.positive, C.unit_interval, C.real, C.real], dim=-1)),
    ("boolean", lambda C, L: C.boolean),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name,make", CONSTRAINTS)
def test_constraint_registry_matches_torch(registry, name, make):
    c_torch = make(torch.distributions.constraints, torch)
    c_ours = make(torchlet.distributions.constraints, torchlet)
    try:
        t_torch = getattr(torch.distributions, registry)(c_torch)
    except NotImplementedError as error:
        with pytest.raises(NotImplementedError, match=str(error)):
            getattr(torchlet.distributions, registry)(c_ours)
        return
    t_ours = getattr(torchlet.distributions, registry)(c_ours)
    assert repr(t_ours) == repr(t_torch)
    x = X_MAT[0] if "cholesky" in name or "definite" in name else X_VEC
    if name == "corr_cholesky":
        x = X_VEC[:, :3]
    y_torch = t_torch(torch.tensor(x))
    y_ours = t_ours(torchlet.tensor(x))
    assert_same(y_ours, y_torch)
    assert bool(c_ours.check(y_ours).all())


def test_registry_register_rejects_non_constraints():
    registry = torchlet.distributions.constraint_registry.ConstraintRegistry()
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint"):
        registry.register(int, lambda c: None)
    registry.register(torchlet.distributions.constraints.positive)(
        lambda c: torchlet.distributions.transforms.SoftplusTransform()
    )
    t = registry(torchlet.distributions.constraints.greater_than(3.0))
    assert isinstance(t, torchlet.distributions.transforms.SoftplusTransform)


def test_transformed_distribution_event_shapes_and_support():
    for L in (torch, torchlet):
        D = L.distributions
        base = D.Normal(L.zeros(5, 3), L.ones(5, 3))
        d = D.TransformedDistribution(base, [D.StickBreakingTransform()])
        assert tuple(d.batch_shape) == (5,) and tuple(d.event_shape) == (4,)
        assert repr(d.support) == "Simplex()"
        d2 = D.TransformedDistribution(base, [D.ReshapeTransform((3,), (3, 1))])
        assert tuple(d2.event_shape) == (3, 1)
    assert math.isclose(
        float(torchlet.distributions.LogNormal(0.0, 1.0).cdf(torchlet.tensor(1.0))), 0.5
    )

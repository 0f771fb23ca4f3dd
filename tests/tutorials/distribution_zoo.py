"""The less-travelled corners of torch.distributions, one line per distribution: Chi2,
ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, HalfCauchy, InverseGamma,
LKJCholesky, LogisticNormal, RelaxedBernoulli, RelaxedOneHotCategorical, Wishart and the
usual ones with batch parameters; for each: batch/event shapes, has_rsample, a seeded
sample, log_prob of it, mean / mode / variance / stddev, entropy, cdf / icdf where
defined, support, expand() and what raises NotImplementedError; then the KL registry on
many pairs (closed forms vs Monte-Carlo), validate_args errors, rsample gradients
(reparameterisation) against score-function estimates, and sampling with the global
generator saved and restored by torch.random.fork_rng / get_rng_state."""

# ruff: noqa: B023  (lambdas called at once inside the loop that defines them)

import math

import torch
import torch.distributions as D

torch.manual_seed(0)
dt = torch.float64
D.Distribution.set_default_validate_args(True)


def r(x):
    if isinstance(x, torch.Tensor):
        return (
            x.detach().double().round(decimals=4).tolist() if x.is_floating_point() else x.tolist()
        )
    return x


def attempt(fn):
    try:
        return r(fn())
    except NotImplementedError:
        return "n/a"
    except (ValueError, RuntimeError) as e:
        return type(e).__name__


def t(*values):
    return torch.tensor(values, dtype=dt)


zoo = {
    "Chi2": D.Chi2(t(1.5, 4.0)),
    "ContinuousBernoulli": D.ContinuousBernoulli(probs=t(0.2, 0.5, 0.9)),
    "FisherSnedecor": D.FisherSnedecor(t(3.0, 5.0), t(6.0, 10.0)),
    "GeneralizedPareto": D.GeneralizedPareto(t(0.0, 1.0), t(1.0, 2.0), t(0.2, -0.3)),
    "HalfCauchy": D.HalfCauchy(t(1.0, 2.5)),
    "InverseGamma": D.InverseGamma(t(3.0, 4.5), t(2.0, 1.0)),
    "LogisticNormal": D.LogisticNormal(t(0.1, -0.3), t(0.5, 1.2)),
    "RelaxedBernoulli": D.RelaxedBernoulli(t(0.5), probs=t(0.3, 0.7)),
    "RelaxedOneHot": D.RelaxedOneHotCategorical(t(0.8), probs=t(0.2, 0.3, 0.5)),
    "LKJCholesky": D.LKJCholesky(3, concentration=t(2.0)),
    "Wishart": D.Wishart(
        df=t(4.0), covariance_matrix=torch.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=dt)
    ),
    "Gumbel": D.Gumbel(t(0.0, 1.0), t(1.0, 0.5)),
    "Weibull": D.Weibull(t(1.0, 2.0), t(1.5, 0.7)),
    "Kumaraswamy": D.Kumaraswamy(t(2.0, 0.5), t(3.0, 0.9)),
    "VonMises": D.VonMises(t(0.0, 1.0), t(1.0, 4.0)),
    "StudentT": D.StudentT(t(2.5, 30.0), t(0.0, 1.0), t(1.0, 2.0)),
    "NegativeBinomial": D.NegativeBinomial(t(3.0, 5.5), probs=t(0.4, 0.8)),
    "Binomial": D.Binomial(t(10.0, 4.0), probs=t(0.3, 0.9)),
    "Poisson": D.Poisson(t(0.5, 7.0)),
    "Geometric": D.Geometric(probs=t(0.25, 0.9)),
    "Multinomial": D.Multinomial(6, probs=t(0.1, 0.3, 0.6)),
    "LowRankMVN": D.LowRankMultivariateNormal(
        t(0.0, 1.0, 2.0), torch.tensor([[1.0], [0.5], [-0.3]], dtype=dt), t(0.5, 1.0, 2.0)
    ),
}
for name, d in zoo.items():
    torch.manual_seed(1)
    x = d.sample()
    print(
        f"{name}: batch {tuple(d.batch_shape)} event {tuple(d.event_shape)} rsample {d.has_rsample}"
        f" support {d.support}"
    )
    print("   sample", r(x), "log_prob", attempt(lambda: d.log_prob(x)))
    print(
        "   mean",
        attempt(lambda: d.mean),
        "mode",
        attempt(lambda: d.mode),
        "var",
        attempt(lambda: d.variance),
    )
    print(
        "   entropy",
        attempt(d.entropy),
        "cdf",
        attempt(lambda: d.cdf(x)),
        "icdf(0.3)",
        attempt(lambda: d.icdf(torch.full(d.batch_shape, 0.3, dtype=dt))),
    )
    print(
        "   sample((2,)) shape",
        tuple(d.sample((2,)).shape),
        "expand",
        tuple(attempt(lambda: d.expand((4,) + tuple(d.batch_shape)).batch_shape) or ()),
    )
print(
    D.Chi2(t(2.0)),
    D.LKJCholesky(3, 2.0),
    D.Wishart(df=t(3.0), precision_matrix=torch.eye(2, dtype=dt)),
)

# LKJ samples are Cholesky factors of correlation matrices
L = zoo["LKJCholesky"].sample((3,))
corr = L @ L.transpose(-1, -2)
print(
    "LKJ diag of L L^T", r(corr.diagonal(dim1=-2, dim2=-1)), "lower:", bool((L.triu(1) == 0).all())
)
W = zoo["Wishart"].sample((4000,))
print("Wishart MC mean", r(W.mean(0)), "exact", r(zoo["Wishart"].mean))

# -- KL registry --------------------------------------------------------------------------------
pairs = [
    (D.Normal(t(0.0), t(1.0)), D.Normal(t(1.0), t(2.0))),
    (D.Gamma(t(2.0), t(1.0)), D.Gamma(t(3.0), t(0.5))),
    (D.Beta(t(2.0), t(3.0)), D.Beta(t(1.0), t(1.0))),
    (D.Exponential(t(2.0)), D.Gamma(t(1.5), t(1.0))),
    (D.Laplace(t(0.0), t(1.0)), D.Laplace(t(0.5), t(2.0))),
    (D.Poisson(t(3.0)), D.Poisson(t(5.0))),
    (D.Geometric(probs=t(0.3)), D.Geometric(probs=t(0.6))),
    (D.Bernoulli(t(0.3)), D.Bernoulli(t(0.6))),
    (D.Binomial(5, t(0.3)), D.Binomial(5, t(0.6))),
    (D.Categorical(t(0.2, 0.3, 0.5)), D.Categorical(t(0.4, 0.4, 0.2))),
    (D.Dirichlet(t(1.0, 2.0, 3.0)), D.Dirichlet(t(2.0, 2.0, 2.0))),
    (D.Uniform(t(0.0), t(1.0)), D.Normal(t(0.5), t(1.0))),
    (D.Uniform(t(0.2), t(0.8)), D.Uniform(t(0.0), t(1.0))),
    (D.Gumbel(t(0.0), t(1.0)), D.Gumbel(t(1.0), t(2.0))),
    (D.HalfNormal(t(1.0)), D.HalfNormal(t(2.0))),
    (D.Pareto(t(1.0), t(3.0)), D.Pareto(t(1.0), t(2.0))),
    (D.ContinuousBernoulli(t(0.3)), D.ContinuousBernoulli(t(0.7))),
    (
        D.MultivariateNormal(t(0.0, 0.0), torch.eye(2, dtype=dt)),
        D.MultivariateNormal(t(1.0, -1.0), torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=dt)),
    ),
    (
        D.LowRankMultivariateNormal(t(0.0, 0.0), torch.ones(2, 1, dtype=dt), t(1.0, 1.0)),
        D.MultivariateNormal(t(0.0, 0.0), torch.eye(2, dtype=dt)),
    ),
    (
        D.Independent(D.Normal(t(0.0, 1.0), t(1.0, 1.0)), 1),
        D.Independent(D.Normal(t(1.0, 1.0), t(2.0, 1.0)), 1),
    ),
    (D.OneHotCategorical(t(0.5, 0.5)), D.OneHotCategorical(t(0.9, 0.1))),
    (D.Beta(t(2.0), t(2.0)), D.Uniform(t(0.0), t(1.0))),
    (D.Normal(t(0.0), t(1.0)), D.Uniform(t(-1.0), t(1.0))),
    (D.Exponential(t(1.0)), D.Normal(t(0.0), t(1.0))),
]
torch.manual_seed(2)
for p, q in pairs:
    kl = attempt(lambda: D.kl_divergence(p, q))
    xs = p.sample((20000,))
    finite = isinstance(kl, (list, float)) and all(
        math.isfinite(v) for v in (kl if isinstance(kl, list) else [kl])
    )
    mc = (p.log_prob(xs) - q.log_prob(xs)).mean(0) if finite else None
    print(
        f"KL({type(p).__name__}||{type(q).__name__}) = {kl}", "MC", r(mc) if mc is not None else "-"
    )
try:
    D.kl_divergence(D.Cauchy(t(0.0), t(1.0)), D.VonMises(t(0.0), t(1.0)))
except NotImplementedError as e:
    print("unregistered pair:", type(e).__name__)

# -- validate_args ---------------------------------------------------------------------------------
for build in [
    lambda: D.Normal(t(0.0), t(-1.0)),
    lambda: D.Beta(t(0.0), t(1.0)),
    lambda: D.Categorical(probs=t(-0.1, 1.1)),
    lambda: D.Binomial(t(2.5), probs=t(0.5)),
    lambda: D.Wishart(df=t(0.5), covariance_matrix=torch.eye(2, dtype=dt)),
    lambda: D.Normal(t(0.0), t(1.0)).log_prob(torch.tensor([1, 2])),
    lambda: D.Poisson(t(1.0)).log_prob(t(0.5)),
    lambda: D.Dirichlet(t(1.0, 1.0)).log_prob(t(0.3, 0.3)),
]:
    try:
        out = build()
        print("ok", r(out) if isinstance(out, torch.Tensor) else out)
    except ValueError as e:
        print(
            "ValueError:",
            str(e).split(" found invalid values")[0].split(" of distribution")[0][:70],
        )
print("validate off:", D.Normal(t(0.0), t(-1.0), validate_args=False).scale.item())

# -- reparameterisation vs score function ------------------------------------------------------
for name, make in [
    ("Normal", lambda a: D.Normal(a, 1.0)),
    ("Gamma", lambda a: D.Gamma(a, 2.0)),
    ("Beta", lambda a: D.Beta(a, 2.0)),
    ("Kumaraswamy", lambda a: D.Kumaraswamy(a, 2.0)),
]:
    a = torch.tensor(1.5, dtype=dt, requires_grad=True)
    torch.manual_seed(3)
    (grad_rep,) = torch.autograd.grad((make(a).rsample((20000,)) ** 2).mean(), a)
    torch.manual_seed(3)
    s = make(a).sample((20000,))
    (grad_sf,) = torch.autograd.grad(((s**2 - (s**2).mean()) * make(a).log_prob(s)).mean(), a)
    print(f"d/da E[x^2] {name:11s} rsample {grad_rep.item():.4f} score {grad_sf.item():.4f}")
for d in [D.Categorical(t(0.5, 0.5)), D.Poisson(t(1.0)), D.Binomial(3, t(0.5))]:
    try:
        d.rsample()
    except NotImplementedError:
        print(type(d).__name__, "rsample: NotImplementedError")
temp = torch.tensor(0.1, dtype=dt)
logits = torch.tensor([1.0, 2.0, 0.5], dtype=dt, requires_grad=True)
torch.manual_seed(4)
y = D.RelaxedOneHotCategorical(temp, logits=logits).rsample()
y[1].backward()
print("gumbel-softmax sample", r(y), "grad", r(logits.grad))

# -- saving and restoring the global RNG ---------------------------------------------------------
torch.manual_seed(5)
state = torch.get_rng_state()
first = D.Gamma(t(0.7), t(1.0)).sample((3,))
with torch.random.fork_rng():
    torch.rand(100)
after_fork = D.Gamma(t(0.7), t(1.0)).sample((3,))
torch.set_rng_state(state)
again = D.Gamma(t(0.7), t(1.0)).sample((6,))
print(
    "gamma draws",
    r(first),
    r(after_fork),
    "replay equal:",
    torch.equal(torch.cat([first, after_fork]), again),
)
g = torch.Generator().manual_seed(9)
gs = g.get_state()
a1 = torch.empty(4, dtype=dt).exponential_(2.0, generator=g)
a2 = torch.empty(4).cauchy_(generator=g)
g.set_state(gs)
b1 = torch.empty(4, dtype=dt).exponential_(2.0, generator=g)
print("generator state replay", torch.equal(a1, b1), r(a1), r(a2))
print(
    "clone_state",
    torch.equal(g.clone_state().get_state(), g.get_state()) if hasattr(g, "clone_state") else "-",
    g.initial_seed(),
    torch.Generator().initial_seed(),
)

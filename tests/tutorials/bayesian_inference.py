"""Probabilistic modelling with torch.distributions: conjugate updates (Beta-Bernoulli,
Gamma-Poisson, Normal with known variance) checked against their closed forms; Bayesian
linear regression by variational inference (a mean-field Normal posterior trained with the
reparameterisation trick, the KL term from kl_divergence, and the ELBO), compared with the
exact Gaussian posterior as a MultivariateNormal(scale_tril=...); a Gaussian mixture as
MixtureSameFamily fitted by gradient ascent; plus sampling shapes, batch/event shapes,
log_prob/cdf/icdf/entropy/mean/variance of many families, constraints and biject_to, and
Dirichlet/Categorical/OneHotCategorical/Multinomial relations."""

import torch
from torch import distributions as D

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

# -- conjugate updates -------------------------------------------------------------------------
coin = D.Bernoulli(probs=torch.tensor(0.7))
flips = coin.sample((50,))
print("heads", int(flips.sum().item()), "of", len(flips))
prior = D.Beta(torch.tensor(2.0), torch.tensor(2.0))
post = D.Beta(prior.concentration1 + flips.sum(), prior.concentration0 + (1 - flips).sum())
print(f"posterior mean {post.mean.item():.6f} var {post.variance.item():.8f} "
      f"mode {post.mode.item():.6f}")
print("P(theta > 0.5) by Monte Carlo:", (post.sample((20000,)) > 0.5).double().mean().item())
print(f"log evidence terms {coin.log_prob(flips).sum().item():.6f} "
      f"{prior.log_prob(torch.tensor(0.7)).item():.6f} {post.entropy().item():.6f}")

counts = D.Poisson(torch.tensor(3.5)).sample((40,))
print("counts", counts[:10], counts.mean())
g_prior = D.Gamma(torch.tensor(2.0), torch.tensor(1.0))
g_post = D.Gamma(g_prior.concentration + counts.sum(), g_prior.rate + len(counts))
print(f"rate posterior mean {g_post.mean.item():.6f} std {g_post.stddev.item():.6f}")
print("predictive: negative binomial",
      D.NegativeBinomial(g_post.concentration, probs=1 / (1 + g_post.rate)).mean)

# -- Bayesian linear regression: exact posterior ------------------------------------------------
n, d, noise = 30, 3, 0.5
X = torch.randn(n, d)
w_true = torch.tensor([1.0, -0.5, 2.0])
y = X @ w_true + noise * torch.randn(n)
prior_prec = 1.0
post_prec = prior_prec * torch.eye(d) + X.T @ X / noise ** 2
post_cov = torch.linalg.inv(post_prec)
post_mean = post_cov @ X.T @ y / noise ** 2
exact = D.MultivariateNormal(post_mean, scale_tril=torch.linalg.cholesky(post_cov))
print("exact posterior mean", exact.mean)
print("exact posterior stddev", exact.stddev)
print(f"entropy {exact.entropy().item():.8f}")
print(exact.batch_shape, exact.event_shape, exact.sample((4,)).shape)
same = D.MultivariateNormal(post_mean, precision_matrix=post_prec)
print(torch.allclose(same.covariance_matrix, post_cov),
      torch.allclose(same.log_prob(w_true), exact.log_prob(w_true)))

# -- the same by variational inference ---------------------------------------------------------
mu = torch.zeros(d, requires_grad=True)
rho = torch.full((d,), -1.0, requires_grad=True)
opt = torch.optim.Adam([mu, rho], lr=0.05)
w_prior = D.Independent(D.Normal(torch.zeros(d), torch.ones(d)), 1)
for step in range(301):
    opt.zero_grad()
    q = D.Independent(D.Normal(mu, torch.nn.functional.softplus(rho)), 1)
    w = q.rsample((16,))  # (16, d), differentiable in mu and rho
    log_lik = D.Normal(w @ X.T, noise).log_prob(y).sum(-1).mean()
    kl = D.kl_divergence(q, w_prior)
    elbo = log_lik - kl
    (-elbo).backward()
    opt.step()
    if step % 75 == 0:
        print(f"step {step:3d} elbo {elbo.item():.4f} kl {kl.item():.4f}")
q = D.Independent(D.Normal(mu.detach(), torch.nn.functional.softplus(rho.detach())), 1)
print("vi mean", q.mean.round(decimals=2), "exact", exact.mean.round(decimals=2))
print("vi std ", q.stddev.round(decimals=2), "exact marginal",
      exact.variance.sqrt().round(decimals=2))
q_full = D.MultivariateNormal(q.mean, torch.diag(q.variance))
print(f"KL(q || exact) {D.kl_divergence(q_full, exact).item():.2f}")

# -- a Gaussian mixture by gradient ascent ------------------------------------------------------
true_mix = D.MixtureSameFamily(D.Categorical(torch.tensor([0.3, 0.7])),
                               D.Normal(torch.tensor([-2.0, 1.5]), torch.tensor([0.5, 0.8])))
data = true_mix.sample((400,))
print(data.shape, f"{data.mean().item():.6f}", true_mix.mean, true_mix.variance)
logits = torch.zeros(2, requires_grad=True)
locs = torch.tensor([-1.0, 0.5], requires_grad=True)
log_scales = torch.zeros(2, requires_grad=True)
opt = torch.optim.Adam([logits, locs, log_scales], lr=0.05)
for step in range(201):
    opt.zero_grad()
    mix = D.MixtureSameFamily(D.Categorical(logits=logits), D.Normal(locs, log_scales.exp()))
    nll = -mix.log_prob(data).mean()
    nll.backward()
    opt.step()
    if step % 50 == 0:
        print(f"mixture step {step:3d} nll {nll.item():.6f}")
print("weights", torch.softmax(logits, 0).detach(), "locs", locs.detach(),
      "scales", log_scales.exp().detach())
resp = mix.component_distribution.log_prob(data[:5].unsqueeze(-1)) + \
    mix.mixture_distribution.logits
print("responsibilities", resp.softmax(-1).detach())
print("cdf", mix.cdf(torch.tensor([-2.0, 0.0, 1.5])).detach())

# -- a tour of families ------------------------------------------------------------------------
families = [
    D.Normal(0.0, 2.0), D.Laplace(1.0, 0.5), D.Cauchy(0.0, 1.0), D.StudentT(4.0),
    D.Gumbel(0.5, 2.0), D.Exponential(1.5), D.Gamma(3.0, 2.0), D.Beta(2.0, 5.0),
    D.Uniform(-1.0, 3.0), D.LogNormal(0.0, 0.5), D.HalfNormal(1.0), D.Weibull(1.0, 1.5),
    D.Pareto(0.5, 3.0), D.Chi2(4.0), D.Kumaraswamy(2.0, 3.0), D.VonMises(0.0, 2.0),
]
v = torch.tensor(0.7)
for dist in families:
    name = type(dist).__name__
    parts = [f"{name:12s} lp {dist.log_prob(v).item():9.5f}"]
    for attr in ("mean", "variance", "entropy", "cdf"):
        try:
            val = getattr(dist, attr)
            val = val(v) if attr == "cdf" else val() if attr == "entropy" else val
            parts.append(f"{attr} {val.item():.5f}")
        except NotImplementedError:
            parts.append(f"{attr} n/a")
    print(" ".join(parts))
for dist in (D.Normal(0.0, 2.0), D.Laplace(1.0, 0.5), D.Cauchy(0.0, 1.0), D.Exponential(1.5),
             D.Uniform(-1.0, 3.0), D.Gumbel(0.5, 2.0)):
    q_ = torch.tensor([0.1, 0.5, 0.9])
    print(type(dist).__name__, "icdf", dist.icdf(q_), torch.allclose(dist.cdf(dist.icdf(q_)), q_))

# support, constraints and biject_to
for dist in (D.Gamma(2.0, 1.0), D.Beta(2.0, 2.0), D.Dirichlet(torch.ones(3)), D.Normal(0.0, 1.0)):
    t = D.biject_to(dist.support)
    u = torch.tensor([-1.0, 0.0, 2.0])
    print(type(dist).__name__, dist.support, t(u), dist.support.check(t(u)))
print(D.constraints.positive.check(torch.tensor([-1.0, 0.0, 1.0])),
      D.constraints.interval(0, 1).check(torch.tensor([0.0, 0.5, 1.5])))

# discrete relatives
alpha = torch.tensor([1.0, 2.0, 3.0])
dirichlet = D.Dirichlet(alpha)
p = dirichlet.sample()
print("dirichlet", p, p.sum(), dirichlet.mean, dirichlet.log_prob(torch.tensor([0.2, 0.3, 0.5])))
cat = D.Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
onehot = D.OneHotCategorical(probs=torch.tensor([0.2, 0.3, 0.5]))
multi = D.Multinomial(10, probs=torch.tensor([0.2, 0.3, 0.5]))
print(cat.sample((8,)), onehot.sample((2,)), multi.sample())
print(cat.entropy(), onehot.entropy(), cat.log_prob(torch.tensor([0, 2])),
      multi.log_prob(torch.tensor([2.0, 3.0, 5.0])))
print(cat.enumerate_support(), D.Bernoulli(0.3).enumerate_support())
print(D.Binomial(5, 0.4).log_prob(torch.arange(6.)).exp(), D.Geometric(0.25).mean)
print(D.kl_divergence(D.Categorical(probs=torch.tensor([0.5, 0.25, 0.25])), cat),
      D.kl_divergence(D.Beta(2.0, 3.0), D.Beta(1.0, 1.0)),
      D.kl_divergence(D.Gamma(2.0, 1.0), D.Gamma(3.0, 2.0)),
      D.kl_divergence(D.Dirichlet(alpha), D.Dirichlet(torch.ones(3))))

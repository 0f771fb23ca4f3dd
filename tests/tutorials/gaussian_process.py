"""Gaussian-process regression by hand in float64, in the style of the GPyTorch "simple GP
regression" example without GPyTorch: an RBF kernel from torch.cdist, the posterior mean and
variance through a Cholesky factor (linalg.cholesky, cholesky_solve, solve_triangular),
the log marginal likelihood written out and checked against
distributions.MultivariateNormal(scale_tril=...).log_prob, hyperparameters (lengthscale,
signal and noise variance kept positive by softplus) fitted with Adam and then with LBFGS,
posterior samples with rsample; then Bayesian optimisation of a 1-D function with the
expected-improvement acquisition (Normal.cdf / log_prob().exp()), and a Matern-5/2 kernel
and a sum of kernels compared by their marginal likelihoods."""

import math

import torch
import torch.nn.functional as F
from torch.distributions import MultivariateNormal, Normal

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def target(x):
    return torch.sin(3 * x) + 0.3 * torch.cos(9 * x)


train_x = torch.rand(20) * 2
train_y = target(train_x) + 0.1 * torch.randn(20)
test_x = torch.linspace(0, 2, 9)
print("train_x", train_x[:5], "train_y", train_y[:5])


def rbf(a, b, lengthscale, variance):
    d = torch.cdist(a.unsqueeze(-1), b.unsqueeze(-1))
    return variance * torch.exp(-0.5 * (d / lengthscale) ** 2)


def matern52(a, b, lengthscale, variance):
    d = torch.cdist(a.unsqueeze(-1), b.unsqueeze(-1)) / lengthscale
    s5 = math.sqrt(5) * d
    return variance * (1 + s5 + 5 / 3 * d ** 2) * torch.exp(-s5)


class GP(torch.nn.Module):
    def __init__(self, kernel=rbf):
        super().__init__()
        self.kernel = kernel
        self.raw_lengthscale = torch.nn.Parameter(torch.tensor(0.0))
        self.raw_variance = torch.nn.Parameter(torch.tensor(0.0))
        self.raw_noise = torch.nn.Parameter(torch.tensor(-2.0))

    def hyper(self):
        return (F.softplus(self.raw_lengthscale), F.softplus(self.raw_variance),
                F.softplus(self.raw_noise) + 1e-6)

    def prior(self, x):
        ls, var, noise = self.hyper()
        K = self.kernel(x, x, ls, var) + noise * torch.eye(len(x))
        return torch.linalg.cholesky(K)

    def mll(self, x, y):
        """log p(y) = -1/2 y^T K^-1 y - sum(log diag L) - n/2 log(2 pi)."""
        L = self.prior(x)
        alpha = torch.cholesky_solve(y.unsqueeze(-1), L).squeeze(-1)
        return (-0.5 * y @ alpha - L.diagonal().log().sum() - len(x) / 2 * math.log(2 * math.pi))

    def posterior(self, x, y, xs):
        ls, var, noise = self.hyper()
        L = self.prior(x)
        Ks = self.kernel(x, xs, ls, var)
        alpha = torch.cholesky_solve(y.unsqueeze(-1), L).squeeze(-1)
        mean = Ks.T @ alpha
        v = torch.linalg.solve_triangular(L, Ks, upper=False)
        cov = self.kernel(xs, xs, ls, var) - v.T @ v
        return mean, cov


gp = GP()
print(gp.hyper())
L = gp.prior(train_x)
mvn = MultivariateNormal(torch.zeros(20), scale_tril=L)
print(f"mll by hand {gp.mll(train_x, train_y).item():.10f} by MultivariateNormal "
      f"{mvn.log_prob(train_y).item():.10f}")

opt = torch.optim.Adam(gp.parameters(), lr=0.1)
for i in range(60):
    opt.zero_grad()
    loss = -gp.mll(train_x, train_y) / len(train_x)
    loss.backward()
    opt.step()
    if i % 15 == 0 or i == 59:
        ls, var, noise = gp.hyper()
        print(f"iter {i:2d} loss {loss.item():.6f} lengthscale {ls.item():.4f} "
              f"variance {var.item():.4f} noise {noise.item():.5f}")

lbfgs = torch.optim.LBFGS(gp.parameters(), lr=0.5, max_iter=50, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    loss = -gp.mll(train_x, train_y) / len(train_x)
    loss.backward()
    return loss


lbfgs.step(closure)
print("after LBFGS:", [f"{h.item():.6f}" for h in gp.hyper()],
      f"loss {closure().item():.8f}", "grad", [f"{p.grad.item():.1e}" for p in gp.parameters()])

with torch.no_grad():
    mean, cov = gp.posterior(train_x, train_y, test_x)
    std = cov.diagonal().clamp(min=0).sqrt()
    for xv, m, s, t in zip(test_x, mean, std, target(test_x)):
        print(f"x={xv.item():.2f} mean {m.item(): .4f} +- {2 * s.item():.4f} truth {t.item(): .4f}")
    covered = ((target(test_x) - mean).abs() < 2 * std).sum().item()
    print("covered by 2 std:", covered, "of", len(test_x))
    post = MultivariateNormal(mean, covariance_matrix=cov + 1e-8 * torch.eye(len(test_x)))
    samples = post.rsample(torch.Size([3]))
    print("posterior samples", samples.shape, samples[:, ::4])

# -- Bayesian optimisation with expected improvement -------------------------------------------
def expected_improvement(mean, std, best):
    """EI(x) = (best - mu) Phi(z) + sigma phi(z), z = (best - mu) / sigma  (minimisation)."""
    std = std.clamp(min=1e-9)
    z = (best - mean) / std
    normal = Normal(0.0, 1.0)
    return (best - mean) * normal.cdf(z) + std * normal.log_prob(z).exp()


def objective(x):
    return (x - 1.3) ** 2 + 0.2 * torch.sin(7 * x)


candidates = torch.linspace(0, 2, 201)
xs = torch.tensor([0.1, 0.8, 1.9])
ys = objective(xs)
bo = GP()
for it in range(6):
    opt = torch.optim.Adam(bo.parameters(), lr=0.1)
    for _ in range(30):
        opt.zero_grad()
        (-bo.mll(xs, ys)).backward()
        opt.step()
    with torch.no_grad():
        mean, cov = bo.posterior(xs, ys, candidates)
        ei = expected_improvement(mean, cov.diagonal().clamp(min=0).sqrt(), ys.min())
    nxt = candidates[ei.argmax()]
    xs = torch.cat([xs, nxt.view(1)])
    ys = torch.cat([ys, objective(nxt).view(1)])
    print(f"BO step {it}: next x {nxt.item():.2f} f {ys[-1].item():.5f} best {ys.min().item():.5f} "
          f"max EI {ei.max().item():.3e}")
print("true minimum on the grid", candidates[objective(candidates).argmin()].item(),
      f"{objective(candidates).min().item():.5f}")

# -- comparing kernels by evidence -------------------------------------------------------------
for name, kern in [("rbf", rbf), ("matern52", matern52)]:
    model = GP(kern)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(80):
        opt.zero_grad()
        (-model.mll(train_x, train_y)).backward()
        opt.step()
    print(f"{name:8s} log evidence {model.mll(train_x, train_y).item():.4f}",
          [round(h.item(), 4) for h in model.hyper()])

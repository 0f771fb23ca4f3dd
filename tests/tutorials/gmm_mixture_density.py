"""Gaussian mixtures two ways: expectation-maximisation on 2-D points written with
torch.distributions (MultivariateNormal log_prob, logsumexp responsibilities, weighted means
and covariances), then the same data fitted by gradient descent on a MixtureSameFamily of
Independent Normals, and a mixture density network that predicts a 1-D mixture per input
(Categorical logits, Normal scales through softplus), trained by negative log-likelihood, with
samples drawn by sample() and rsample() and the mixture's mean, variance and cdf."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import (
    Categorical,
    Independent,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
    kl_divergence,
)

torch.manual_seed(0)
torch.set_printoptions(precision=4)

# -- synthetic data: three clusters ---------------------------------------------------------------
true_means = torch.tensor([[-3.0, 0.0], [2.0, 2.0], [1.0, -3.0]])
true_scales = torch.tensor([[0.6, 0.9], [0.8, 0.5], [0.4, 0.7]])
counts = torch.tensor([40, 60, 50])
points = torch.cat(
    [m + s * torch.randn(int(n), 2) for m, s, n in zip(true_means, true_scales, counts)]
)
labels = torch.repeat_interleave(torch.arange(3), counts)
perm = torch.randperm(points.shape[0])
points, labels = points[perm], labels[perm]
print("points", points.shape, points.dtype, "labels", torch.bincount(labels))
print("first points\n", points[:4])

# -- EM with full covariances --------------------------------------------------------------------
K, N = 3, points.shape[0]
means = points[torch.randperm(N)[:K]].clone()
covs = torch.eye(2).repeat(K, 1, 1)
weights = torch.full((K,), 1.0 / K)
for it in range(15):
    comp = MultivariateNormal(means, covariance_matrix=covs)
    log_p = comp.log_prob(points.unsqueeze(1)) + weights.log()  # (N, K)
    log_norm = torch.logsumexp(log_p, dim=1, keepdim=True)
    resp = (log_p - log_norm).exp()
    nk = resp.sum(0)
    weights = nk / N
    means = resp.t() @ points / nk.unsqueeze(1)
    diff = points.unsqueeze(1) - means  # (N, K, 2)
    covs = torch.einsum("nk,nki,nkj->kij", resp, diff, diff) / nk.view(K, 1, 1)
    covs = covs + 1e-4 * torch.eye(2)
    if it % 3 == 0 or it == 14:
        print(f"EM {it:2d} loglik/N {log_norm.mean().item():.4f} weights {weights}")
order = means[:, 0].argsort()
print("EM means\n", means[order])
print("EM covs diag\n", torch.diagonal(covs[order], dim1=-2, dim2=-1))
hard = resp.argmax(1)
print("cluster sizes", torch.bincount(hard, minlength=K))
confusion = torch.bincount(labels * K + hard, minlength=K * K).view(K, K)
print("confusion (true x cluster)\n", confusion)
print("purity", confusion.max(1).values.sum().item() / N)

# -- the same mixture by gradient descent ---------------------------------------------------------
torch.manual_seed(1)
logits = torch.zeros(K, requires_grad=True)
locs = torch.randn(K, 2).requires_grad_()
log_scales = torch.zeros(K, 2, requires_grad=True)
opt = torch.optim.Adam([logits, locs, log_scales], lr=0.05)
for step in range(200):
    mix = MixtureSameFamily(
        Categorical(logits=logits), Independent(Normal(locs, log_scales.exp()), 1)
    )
    nll = -mix.log_prob(points).mean()
    opt.zero_grad()
    nll.backward()
    opt.step()
    if step % 40 == 0 or step == 199:
        print(f"GD step {step:3d} nll {nll.item():.4f} |grad locs| {locs.grad.norm().item():.4f}")
print(
    "batch/event shapes",
    mix.batch_shape,
    mix.event_shape,
    mix.component_distribution.batch_shape,
    mix.component_distribution.event_shape,
)
print("mixture weights", mix.mixture_distribution.probs.detach())
print("mixture mean", mix.mean.detach(), "variance", mix.variance.detach())
torch.manual_seed(2)
s = mix.sample((5,))
print("samples", s.shape, s.requires_grad)
print(s)

# -- KL between components of the fitted mixture and the EM result ---------------------------------
em_diag = Independent(Normal(means[order], torch.diagonal(covs[order], dim1=-2, dim2=-1).sqrt()), 1)
gd_comp = Independent(
    Normal(
        locs.detach()[locs.detach()[:, 0].argsort()],
        log_scales.detach().exp()[locs.detach()[:, 0].argsort()],
    ),
    1,
)
print("KL(EM || GD) per component", kl_divergence(em_diag, gd_comp))


# -- a mixture density network: y | x is a mixture of 3 Normals ---------------------------------
torch.manual_seed(3)
# float64: 120 Adam steps on a float32 mean would amplify summation-order rounding
x = (torch.rand(256, 1) * 2 - 1).double()
branch = torch.randint(0, 2, (256, 1)).double()
y = torch.sin(3 * x) * (2 * branch - 1) + 0.1 * torch.randn(256, 1, dtype=torch.float64)
print("MDN data", x.shape, y.shape, f"y mean {y.mean().item():.4f}")


class MDN(nn.Module):
    def __init__(self, hidden=24, k=3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh()
        )
        self.pi = nn.Linear(hidden, k)
        self.mu = nn.Linear(hidden, k)
        self.sigma = nn.Linear(hidden, k)

    def forward(self, x):
        h = self.body(x)
        return MixtureSameFamily(
            Categorical(logits=self.pi(h)), Normal(self.mu(h), F.softplus(self.sigma(h)) + 1e-3)
        )


net = MDN().double()
print(net)
opt = torch.optim.Adam(net.parameters(), lr=1e-2)
for epoch in range(120):
    dist = net(x)
    loss = -dist.log_prob(y.squeeze(1)).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 20 == 0 or epoch == 119:
        print(f"MDN epoch {epoch:3d} nll {loss.item():.4f}")
with torch.no_grad():
    grid = torch.linspace(-1, 1, 5, dtype=torch.float64).unsqueeze(1)
    d = net(grid)
    print("mixture probs on grid\n", d.mixture_distribution.probs)
    print("component means on grid\n", d.component_distribution.loc)
    print("mixture mean", d.mean, "\nmixture stddev", d.stddev)
    print("cdf(0)", d.cdf(torch.zeros(5, dtype=torch.float64)))
    torch.manual_seed(4)
    print("samples per x\n", d.sample((3,)))

# rsample through the components (reparameterised) gives gradients w.r.t. the network
comp = net(grid).component_distribution
torch.manual_seed(5)
z = comp.rsample((4,))
z.pow(2).mean().backward()
print("rsample", z.shape, z.grad_fn.name() if z.grad_fn is not None else None)
print("grad mu.bias", net.mu.bias.grad)
print("entropy of mixing", Categorical(logits=net.pi(net.body(grid))).entropy().detach())

"""An energy-based model on 2-D data trained with contrastive divergence and stochastic
gradient Langevin dynamics, as in the "implicit generation" (Du & Mordatch) and JEM
tutorials: an MLP energy E(x) with nn.SiLU, samples moved along -dE/dx computed with
torch.autograd.grad (inputs that require grad, detached between steps), Gaussian noise
from torch.randn_like, a replay buffer refreshed with 5% uniform noise, the loss
E(data) - E(samples) plus an L2 regulariser on the energies, gradients clipped by value,
and score matching checked against the analytic score of a Gaussian; then sample
statistics and the energy landscape on a grid (torch.linspace + torch.cartesian_prod)."""

import torch
import torch.nn as nn

torch.manual_seed(8)

# Data: a mixture of 4 Gaussians on the corners of a square.
corners = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
data = corners[torch.randint(0, 4, (512,))] + 0.15 * torch.randn(512, 2)
print("data mean", data.mean(0), "std", data.std(0))


class Energy(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                 nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def langevin(model, x, steps=20, step_size=0.05, noise=0.05):
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = x.detach()
    for _ in range(steps):
        x.requires_grad_(True)
        energy = model(x).sum()
        (grad,) = torch.autograd.grad(energy, x)
        x = (x - step_size * grad.clamp(-1.0, 1.0) + noise * torch.randn_like(x)).detach()
        x = x.clamp(-2.5, 2.5)
    for p in model.parameters():
        p.requires_grad_(True)
    model.train()
    return x


# Sanity check of the autograd.grad score on a quadratic energy: E(x) = |x - mu|^2 / 2.
mu = torch.tensor([0.5, -0.25])
x = torch.zeros(3, 2, requires_grad=True)
energy = ((x - mu) ** 2).sum(dim=1) / 2
(score,) = torch.autograd.grad(energy.sum(), x, create_graph=True)
print("score", score, "matches mu - x:", torch.equal(-score, mu - x.detach()))
(second,) = torch.autograd.grad(score.sum(), x)
print("laplacian", second.sum(dim=1))

model = Energy()
print(model)
opt = torch.optim.Adam(model.parameters(), lr=5e-3, betas=(0.0, 0.999))
buffer = torch.rand(1000, 2) * 5 - 2.5
for step in range(200):
    idx = torch.randint(0, 512, (64,))
    pos = data[idx]
    buf_idx = torch.randint(0, 1000, (64,))
    start = buffer[buf_idx]
    fresh = torch.rand(64) < 0.05
    start[fresh] = torch.rand(int(fresh.sum()), 2) * 5 - 2.5
    neg = langevin(model, start)
    buffer[buf_idx] = neg
    e_pos, e_neg = model(pos), model(neg)
    loss = e_pos.mean() - e_neg.mean() + 0.1 * (e_pos ** 2 + e_neg ** 2).mean()
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), 0.1)
    opt.step()
    if step % 40 == 39:
        print(f"step {step + 1:3d} loss {loss.item():.4f} E(data) {e_pos.mean().item():.4f} "
              f"E(samples) {e_neg.mean().item():.4f} fresh {int(fresh.sum())}")

with torch.no_grad():
    grid = torch.cartesian_prod(torch.linspace(-2, 2, 5), torch.linspace(-2, 2, 5))
    energies = model(grid).reshape(5, 5)
    print("grid", tuple(grid.shape), "energy landscape\n", energies.round(decimals=2))
    print("lowest-energy grid point", grid[energies.argmin()].tolist())
    e_corner, e_centre = model(corners), model(torch.zeros(1, 2))
    print("E(corners)", e_corner.round(decimals=3), "E(centre)", e_centre.round(decimals=3))

samples = langevin(model, torch.rand(256, 2) * 4 - 2, steps=60)
print("samples", tuple(samples.shape), samples.requires_grad,
      "mean", samples.mean(0).round(decimals=3))
quadrant = (samples[:, 0] > 0).long() * 2 + (samples[:, 1] > 0).long()
print("samples per quadrant", torch.bincount(quadrant, minlength=4).tolist())
nearest = torch.cdist(samples, corners).min(dim=1).values
print(f"mean distance to nearest mode {nearest.mean().item():.4f}")

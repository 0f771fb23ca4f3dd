"""Optimal transport with tensors, the "Sinkhorn from scratch" notebook: exact 1-D Wasserstein
distances from sorted samples (and the CDF formula with searchsorted), the entropic OT
problem solved by Sinkhorn iterations in the plain (kernel) form and in the log domain with
torch.logsumexp, marginal errors shrinking over iterations, the effect of epsilon on the
plan's entropy, the exact assignment for uniform point clouds by brute force over
itertools.permutations, gradients of the Sinkhorn cost with respect to the point positions
(a few steps of flowing one cloud onto the other), batched problems through torch.func.vmap,
and a Sinkhorn "soft sort" / soft ranks."""

import itertools
import math

import torch

torch.manual_seed(4)
torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=5, sci_mode=False)

# 1-D: W_p between empirical measures with equal weights is a sort
a = torch.randn(200)
b = torch.randn(200) * 2 + 1
w1 = (a.sort().values - b.sort().values).abs().mean()
w2 = (a.sort().values - b.sort().values).pow(2).mean().sqrt()
print("W1", round(w1.item(), 6), "W2", round(w2.item(), 6))
print("W2 between N(0,1) and N(1,4) is sqrt(1 + 1) =", round(math.sqrt(2), 6))
grid = torch.cat([a, b]).sort().values
cdf_a = torch.searchsorted(a.sort().values, grid, right=True) / 200
cdf_b = torch.searchsorted(b.sort().values, grid, right=True) / 200
w1_cdf = ((cdf_a - cdf_b).abs()[:-1] * grid.diff()).sum()
print("W1 via CDFs", round(w1_cdf.item(), 6), torch.allclose(w1, w1_cdf))


def sinkhorn(C, mu, nu, eps, iters):
    K = torch.exp(-C / eps)
    u = torch.ones_like(mu)
    errs = []
    for i in range(iters):
        v = nu / (K.t() @ u)
        u = mu / (K @ v)
        if i in (0, 9, iters - 1):
            P = u[:, None] * K * v[None, :]
            errs.append((P.sum(0) - nu).abs().sum().item())
    return u[:, None] * K * v[None, :], errs


def sinkhorn_log(C, mu, nu, eps, iters):
    f = torch.zeros_like(mu)
    g = torch.zeros_like(nu)
    for _ in range(iters):
        f = eps * torch.log(mu) - eps * torch.logsumexp((g[None, :] - C) / eps, dim=1)
        g = eps * torch.log(nu) - eps * torch.logsumexp((f[:, None] - C) / eps, dim=0)
    return torch.exp((f[:, None] + g[None, :] - C) / eps)


x = torch.randn(5, 2)
y = torch.randn(6, 2) + torch.tensor([2.0, 0.0])
mu = torch.full((5,), 1 / 5)
nu = torch.tensor([0.1, 0.1, 0.2, 0.2, 0.2, 0.2])
C = torch.cdist(x, y) ** 2
print("cost matrix", C.shape, C[0])
P, errs = sinkhorn(C, mu, nu, eps=0.5, iters=100)
print("marginal errors at iters 1, 10:", [f"{e:.2e}" for e in errs[:2]],
      "at 100 < 1e-12:", errs[2] < 1e-12)
print("plan", P)
print("row sums", P.sum(1), "col sums", P.sum(0))
P_log = sinkhorn_log(C, mu, nu, eps=0.5, iters=100)
print("log-domain agrees", torch.allclose(P, P_log, atol=1e-10))
print("transport cost", round((P * C).sum().item(), 6))

# tiny epsilon: the kernel form underflows, the log form does not
K_small = torch.exp(-C / 0.01)
print("kernel underflow", (K_small == 0).sum().item(), "of", K_small.numel())
P_sharp = sinkhorn_log(C, mu, nu, eps=0.01, iters=300)
print("sharp plan finite", torch.isfinite(P_sharp).all().item(),
      "cost", round((P_sharp * C).sum().item(), 5))
for eps in (2.0, 0.5, 0.1, 0.02):
    Pe = sinkhorn_log(C, mu, nu, eps, 300)
    H = -(Pe * torch.log(Pe.clamp_min(1e-300))).sum()
    print(f"eps {eps:5.2f} cost {(Pe * C).sum().item():.5f} entropy {H.item():.5f}")

# uniform clouds of equal size: the exact plan is a permutation
xs = torch.randn(5, 2)
ys = torch.randn(5, 2) + 1
Cs = torch.cdist(xs, ys) ** 2
best = min(itertools.permutations(range(5)),
           key=lambda p: Cs[torch.arange(5), list(p)].sum().item())
print("best permutation", best, "cost", round(Cs[torch.arange(5), list(best)].mean().item(), 6))
Ps = sinkhorn_log(Cs, torch.full((5,), 0.2), torch.full((5,), 0.2), 0.01, 500)
print("sinkhorn argmax", Ps.argmax(1).tolist(), "cost", round((Ps * Cs).sum().item(), 6))

# gradient flow: move x towards y by descending the entropic OT cost
xg = x.clone().requires_grad_(True)
opt = torch.optim.SGD([xg], lr=2.0)
for step in range(30):
    Cg = torch.cdist(xg, y) ** 2
    Pg = sinkhorn_log(Cg, mu, nu, 0.1, 50)
    loss = (Pg * Cg).sum()
    opt.zero_grad()
    loss.backward()
    if step == 0:
        print("grad wrt x", xg.grad)
    opt.step()
    if step % 10 == 0 or step == 29:
        print(f"flow step {step:2d} cost {loss.item():.6f}")
print("moved points", xg.detach())

# a batch of problems with vmap
Cb = torch.rand(3, 4, 4)
mub = torch.full((4,), 0.25)
plans = torch.func.vmap(lambda c: sinkhorn_log(c, mub, mub, 0.1, 200))(Cb)
print("batched plans", plans.shape, torch.allclose(plans.sum((1, 2)), torch.ones(3)))
print("vmap == loop", torch.allclose(plans[2], sinkhorn_log(Cb[2], mub, mub, 0.1, 200)))


# soft sort: transport n values onto n sorted anchors
def soft_rank(v, eps):
    n = v.numel()
    anchors = torch.linspace(0, 1, n)
    z = (v - v.min()) / (v.max() - v.min())
    Cr = (z[:, None] - anchors[None, :]) ** 2
    Pr = sinkhorn_log(Cr, torch.full((n,), 1 / n), torch.full((n,), 1 / n), eps, 300)
    return n * Pr @ torch.arange(1.0, n + 1), n * Pr.t() @ v


v = torch.tensor([0.3, -1.2, 2.5, 0.9, 0.0])
print("hard ranks", (v.argsort().argsort() + 1).tolist(), "sorted", v.sort().values)
for eps in (0.1, 0.001):
    r, s = soft_rank(v, eps)
    print(f"eps {eps}: soft ranks {r} soft sort {s}")

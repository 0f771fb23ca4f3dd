"""Discrete latents and gradient estimators, in the style of the VQ-VAE and Gumbel-softmax
tutorials: a vector-quantisation layer (nearest codebook entry by torch.cdist / the expanded
squared distance, argmin, F.embedding lookup), the straight-through estimator written as
z + (z_q - z).detach() with its gradient checked to be the identity, codebook and commitment
losses, the EMA codebook update (one_hot counts, Laplace smoothing), codebook perplexity; then
F.gumbel_softmax (soft and hard=True) with a seeded generator, its straight-through gradient,
a hand-written Gumbel-max sample against torch.distributions.Gumbel, and REINFORCE vs the
relaxed estimator on a tiny categorical objective."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
torch.set_printoptions(precision=4, sci_mode=False)


class VectorQuantizer(nn.Module):
    def __init__(self, n_codes=6, dim=3, beta=0.25):
        super().__init__()
        self.beta = beta
        self.codebook = nn.Embedding(n_codes, dim)
        self.codebook.weight.data.uniform_(-1 / n_codes, 1 / n_codes)

    def forward(self, z):
        flat = z.reshape(-1, z.shape[-1])
        w = self.codebook.weight
        d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ w.t() + w.pow(2).sum(1)
        idx = d.argmin(1)
        z_q = F.embedding(idx, w).view_as(z)
        codebook_loss = F.mse_loss(z_q, z.detach())
        commit_loss = F.mse_loss(z, z_q.detach())
        z_st = z + (z_q - z).detach()
        return z_st, codebook_loss + self.beta * commit_loss, idx, d


vq = VectorQuantizer()
print(vq.codebook.weight)
z = torch.randn(2, 4, 3, requires_grad=True)
z_st, vq_loss, idx, d = vq(z)
print("indices", idx.tolist())
nearest = torch.cdist(z.detach().reshape(-1, 3), vq.codebook.weight).argmin(1)
print("cdist agrees", torch.equal(nearest, idx))
print("dist row", d[0])
print("forward uses codes", torch.allclose(z_st, vq.codebook.weight[idx].view(2, 4, 3)))
print("vq loss", round(vq_loss.item(), 6), vq_loss.grad_fn.name())
z_st.backward(torch.arange(24.0).view(2, 4, 3))
print("straight-through grad is identity", torch.equal(z.grad, torch.arange(24.0).view(2, 4, 3)))
print("codebook grad from z_st", vq.codebook.weight.grad)
z.grad = None
vq_loss.backward()
print("codebook grad from loss", vq.codebook.weight.grad)
print("z grad from commitment", z.grad[0])

# EMA codebook updates (van den Oord et al. appendix), no gradient for the codebook
torch.manual_seed(1)
n_codes, dim, decay, eps = 4, 2, 0.8, 1e-5
codebook = torch.randn(n_codes, dim)
ema_count = torch.zeros(n_codes)
ema_sum = codebook.clone()
centers = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [0.0, -2.0]])
for it in range(15):
    x = centers[torch.randint(0, 3, (60,))] + 0.2 * torch.randn(60, 2)
    idx = torch.cdist(x, codebook).argmin(1)
    onehot = F.one_hot(idx, n_codes).float()
    ema_count.mul_(decay).add_(onehot.sum(0), alpha=1 - decay)
    ema_sum.mul_(decay).add_(onehot.t() @ x, alpha=1 - decay)
    n = ema_count.sum()
    smoothed = (ema_count + eps) / (n + n_codes * eps) * n
    codebook = ema_sum / smoothed.unsqueeze(1)
    avg = onehot.mean(0)
    perplexity = torch.exp(-(avg * torch.log(avg + 1e-10)).sum())
    if it % 3 == 0 or it == 14:
        counts = onehot.sum(0).long().tolist()
        print(f"iter {it:2d} counts {counts} perplexity {perplexity.item():.4f}")
print("live codes", codebook[ema_count > 1e-3])
print("dead code blows up", (codebook.abs().max(1).values > 100).tolist())
print("dead codes", (ema_count < 1e-3).nonzero().flatten().tolist())

# Gumbel-softmax
logits = torch.tensor([[1.0, 2.0, 0.5, -1.0]], requires_grad=True)
torch.manual_seed(0)
soft = F.gumbel_softmax(logits, tau=0.5)
torch.manual_seed(0)
hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
print("soft", soft)
print("hard", hard, hard.grad_fn.name())
print("hard argmax == soft argmax", hard.argmax().item() == soft.argmax().item())
(hard * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
print("grad through hard sample", logits.grad)
logits.grad = None
(soft * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
print("grad through soft sample", logits.grad)

# Gumbel-max by hand: argmax(logits + Gumbel noise) ~ Categorical(softmax(logits))
g = torch.distributions.Gumbel(torch.tensor(0.0), torch.tensor(1.0))
torch.manual_seed(2)
noise = g.sample((20000, 4))
picks = (logits.detach() + noise).argmax(-1)
freq = torch.bincount(picks, minlength=4).float() / 20000
print("gumbel-max freq", freq)
print("softmax       ", logits.detach().softmax(-1))
u = torch.rand(5, generator=torch.Generator().manual_seed(3))
print("-log(-log u)", -torch.log(-torch.log(u)))
print("gumbel log_prob", g.log_prob(torch.tensor([-1.0, 0.0, 2.0])))
print("gumbel mean/var", g.mean.item(), g.variance.item())

# estimators of d/dtheta E_{c ~ softmax(theta)}[f(c)] with f = [0, 1, 4, 9]
theta = torch.zeros(4, requires_grad=True)
f = torch.tensor([0.0, 1.0, 4.0, 9.0])
exact = torch.autograd.grad((theta.softmax(0) * f).sum(), theta)[0]
print("exact grad", exact)
torch.manual_seed(4)
dist = torch.distributions.Categorical(logits=theta)
c = dist.sample((4000,))
reinforce = torch.autograd.grad((dist.log_prob(c) * f[c]).mean(), theta, retain_graph=True)[0]
print("reinforce", reinforce)
baseline = f[c].mean()
reinforce_b = torch.autograd.grad((dist.log_prob(c) * (f[c] - baseline)).mean(), theta)[0]
print("reinforce with baseline", reinforce_b)
torch.manual_seed(4)
relaxed = F.gumbel_softmax(theta.expand(4000, 4), tau=1.0)
st = torch.autograd.grad((relaxed @ f).mean(), theta)[0]
print("gumbel-softmax (biased)", st)

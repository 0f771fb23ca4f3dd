"""A denoising diffusion model (DDPM, Ho et al. 2020) on 2-D points, the way the "diffusion
from scratch" notebooks write it: linear and cosine beta schedules, alphas_cumprod with
torch.cumprod and the shifted "previous" version by F.pad, the closed-form forward process
q(x_t | x_0) checked against running the chain step by step (same noise), a sinusoidal
timestep embedding, an MLP noise predictor trained a few dozen steps with Adam and an EMA
copy of its weights (torch.lerp_ over parameters), the reverse sampling loop with the
posterior variance, and deterministic DDIM sampling."""

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

T = 50
betas = torch.linspace(1e-4, 0.2, T)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_ac = alphas_cumprod.sqrt()
sqrt_1mac = (1.0 - alphas_cumprod).sqrt()
posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
print("betas", betas[:3], betas[-1].item())
print("alphas_cumprod", alphas_cumprod[[0, 10, 25, 49]])
print("prev", alphas_cumprod_prev[:3])
print("posterior var", posterior_var[[0, 1, 49]])
print("snr (dB)", (10 * torch.log10(alphas_cumprod / (1 - alphas_cumprod)))[[0, 10, 49]])


def cosine_schedule(T, s=0.008):
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    ac = f / f[0]
    return (1 - ac[1:] / ac[:-1]).clamp(max=0.999)


cb = cosine_schedule(T)
print("cosine betas", cb.dtype, cb[:3], cb[-3:])
print("cosine alphas_cumprod[-1]", torch.cumprod(1 - cb, 0)[-1].item())


def extract(a, t, x_shape):
    out = a.gather(-1, t)
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


def q_sample(x0, t, noise):
    return extract(sqrt_ac, t, x0.shape) * x0 + extract(sqrt_1mac, t, x0.shape) * noise


# the closed form matches the chain in distribution: check mean/var over many samples,
# and exactly for t = 0
x0 = torch.tensor([[1.0, -2.0]]).repeat(4000, 1)
t = torch.full((4000,), 20, dtype=torch.long)
xt = q_sample(x0, t, torch.randn_like(x0))
print("closed form mean", xt.mean(0), "expected", (sqrt_ac[20] * x0[0]))
print("closed form var", xt.var(0), "expected", (1 - alphas_cumprod[20]).item())
chain = x0.clone()
for s in range(21):
    chain = alphas[s].sqrt() * chain + betas[s].sqrt() * torch.randn_like(chain)
print("chain mean", chain.mean(0), "chain var", chain.var(0))
e = torch.randn(3, 2)
print("t=0", torch.allclose(q_sample(x0[:3], torch.zeros(3, dtype=torch.long), e),
                            alphas[0].sqrt() * x0[:3] + betas[0].sqrt() * e))


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


print("embedding", timestep_embedding(torch.tensor([0, 1, 49]), 8))


class Denoiser(nn.Module):
    def __init__(self, dim=2, emb=16, hidden=64):
        super().__init__()
        self.emb = emb
        self.t_mlp = nn.Sequential(nn.Linear(emb, hidden), nn.SiLU())
        self.inp = nn.Linear(dim, hidden)
        self.body = nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                  nn.Linear(hidden, dim))

    def forward(self, x, t):
        return self.body(self.inp(x) + self.t_mlp(timestep_embedding(t, self.emb)))


def data(n):
    # two Gaussian blobs
    centers = torch.tensor([[-2.0, 0.0], [2.0, 1.0]])
    which = torch.randint(0, 2, (n,))
    return centers[which] + 0.3 * torch.randn(n, 2)


model = Denoiser()
ema = copy.deepcopy(model).requires_grad_(False)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(60):
    x0 = data(128)
    t = torch.randint(0, T, (128,))
    noise = torch.randn_like(x0)
    loss = F.mse_loss(model(q_sample(x0, t, noise), t), noise)
    opt.zero_grad()
    loss.backward()
    opt.step()
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.lerp_(pm, 0.1)
    if step % 10 == 0 or step == 59:
        print(f"step {step:2d} loss {loss.item():.4f}")

print("ema differs", [round((pe - pm).abs().max().item(), 4)
                      for pe, pm in zip(ema.parameters(), model.parameters())][:3])
print("ema requires_grad", next(ema.parameters()).requires_grad)


@torch.no_grad()
def ddpm_sample(net, n, g):
    x = torch.randn(n, 2, generator=g)
    for i in reversed(range(T)):
        t = torch.full((n,), i, dtype=torch.long)
        eps = net(x, t)
        mean = (x - betas[i] / sqrt_1mac[i] * eps) / alphas[i].sqrt()
        if i > 0:
            x = mean + posterior_var[i].sqrt() * torch.randn(n, 2, generator=g)
        else:
            x = mean
    return x


@torch.no_grad()
def ddim_sample(net, n, g, steps=10):
    x = torch.randn(n, 2, generator=g)
    ts = torch.linspace(T - 1, 0, steps).round().long()
    for j, i in enumerate(ts.tolist()):
        t = torch.full((n,), i, dtype=torch.long)
        eps = net(x, t)
        x0_hat = (x - sqrt_1mac[i] * eps) / sqrt_ac[i]
        ac_next = alphas_cumprod[ts[j + 1]] if j + 1 < steps else torch.tensor(1.0)
        x = ac_next.sqrt() * x0_hat + (1 - ac_next).sqrt() * eps
    return x


g = torch.Generator().manual_seed(42)
samples = ddpm_sample(ema, 6, g)
print("ddpm samples", samples)
print("ddim timesteps", torch.linspace(T - 1, 0, 10).round().long().tolist())
d = ddim_sample(ema, 6, torch.Generator().manual_seed(42))
print("ddim samples", d)
print("ddim deterministic", torch.equal(d, ddim_sample(ema, 6, torch.Generator().manual_seed(42))))
big = ddpm_sample(model, 400, torch.Generator().manual_seed(1))
left = big[:, 0] < 0
print("fraction left", left.float().mean().item())
print("left mean", big[left].mean(0), "right mean", big[~left].mean(0))

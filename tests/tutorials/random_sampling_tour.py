"""Randomness as a learner checks it: manual_seed reproducibility, get/set_rng_state,
torch.Generator objects passed to rand/randn/randint/randperm/multinomial/DataLoader,
multinomial with and without replacement, bernoulli with a probability tensor, normal with
tensor means/stds, exponential_/uniform_/geometric_/cauchy_/log_normal_ in place, dropout
masks, shuffling with randperm, torch.distributions sampling, and Monte-Carlo estimates."""

import math

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)

print(torch.rand(3))
print(torch.randn(2, 2))
print(torch.randint(10, (5,)), torch.randint(-3, 3, (2, 3), dtype=torch.int32))
print(torch.randperm(8))
torch.manual_seed(0)
print("same after reseeding:", torch.rand(3))
state = torch.get_rng_state()
first = torch.randn(4)
torch.set_rng_state(state)
print("state restored:", torch.equal(first, torch.randn(4)), state.dtype, state.shape)
print("initial_seed:", torch.initial_seed())

g = torch.Generator().manual_seed(123)
print("generator:", torch.rand(3, generator=g), torch.randn(2, generator=g))
print(
    "gen randint/randperm:",
    torch.randint(0, 100, (4,), generator=g),
    torch.randperm(5, generator=g),
)
g2 = torch.Generator()
g2.set_state(g.get_state())
print(
    "cloned generator state:", torch.equal(torch.rand(5, generator=g), torch.rand(5, generator=g2))
)
print("global stream untouched by generators:", torch.rand(2))
print("generator seed:", g.initial_seed(), torch.Generator().manual_seed(7).initial_seed())

# -- sampling from categorical weights -------------------------------------------------------------
weights = torch.tensor([0.1, 0.0, 0.6, 0.3])
print("multinomial with replacement:", torch.multinomial(weights, 12, replacement=True))
print("multinomial without:", torch.multinomial(weights, 3))
print("unnormalised weights:", torch.multinomial(torch.tensor([1.0, 10.0, 100.0]), 2))
batch_probs = torch.softmax(torch.randn(3, 5), dim=1)
print("batched:", torch.multinomial(batch_probs, 2))
counts = torch.bincount(torch.multinomial(weights, 4000, replacement=True), minlength=4)
print("empirical frequencies:", counts, (counts / 4000).round(decimals=2))
try:
    torch.multinomial(weights, 4)
except RuntimeError as e:
    print("more draws than nonzero weights without replacement ->", type(e).__name__)
print("Categorical:", torch.distributions.Categorical(probs=weights).sample((6,)))

# -- Bernoulli, normal, uniform and friends --------------------------------------------------------
p = torch.tensor([0.0, 0.25, 0.5, 1.0])
print("bernoulli:", torch.bernoulli(p.expand(3, 4)))
print("bernoulli scalar p:", torch.bernoulli(torch.ones(5) * 0.5), torch.empty(4).bernoulli_(0.3))
print(
    "normal(tensor means, tensor stds):",
    torch.normal(torch.arange(4.0), torch.tensor([0.1, 1.0, 10.0, 0.0])),
)
print("normal(mean, std, size):", torch.normal(2.0, 3.0, size=(3,)))
print("normal(tensor mean, float std):", torch.normal(torch.zeros(3), 0.5))
print("uniform_:", torch.empty(4).uniform_(-1, 1))
print("normal_:", torch.empty(3).normal_(5, 0.1))
print("exponential_:", torch.empty(3).exponential_(2.0))
print("geometric_:", torch.empty(5).geometric_(0.3))
print("cauchy_:", torch.empty(2).cauchy_())
print("log_normal_:", torch.empty(2).log_normal_(0, 0.5))
print("random_:", torch.empty(4, dtype=torch.int64).random_(0, 5), torch.empty(3).random_(10))
print(
    "rand_like/randn_like:",
    torch.rand_like(torch.ones(2, dtype=torch.float64)),
    torch.randn_like(torch.ones(2)),
)
print("poisson:", torch.poisson(torch.tensor([0.5, 4.0, 20.0])))
print("float64 rand:", torch.rand(3, dtype=torch.float64))

# -- dropout ---------------------------------------------------------------------------------------
torch.manual_seed(1)
x = torch.ones(2, 8)
print("dropout train:", F.dropout(x, 0.5))
print("dropout eval:", F.dropout(x, 0.5, training=False))
layer = torch.nn.Dropout(0.25)
print("module train:", layer(torch.ones(10)))
layer.eval()
print("module eval:", layer(torch.ones(10)))
print("dropout2d:", F.dropout2d(torch.ones(1, 4, 2, 2), 0.5)[0, :, 0, 0])
print("alpha dropout mean:", round(F.alpha_dropout(torch.randn(1000), 0.2, True).mean().item(), 4))
mask_seen = (F.dropout(torch.ones(10000), 0.3) == 0).float().mean()
print("fraction dropped:", round(mask_seen.item(), 3))

# -- shuffling -------------------------------------------------------------------------------------
data = torch.arange(10) * 10
perm = torch.randperm(10)
print("shuffled:", data[perm], "inverse:", data[perm][perm.argsort()])
ds = TensorDataset(torch.arange(10))
loader = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5))
print("loader epoch 1:", [b[0].tolist() for b in loader])
print("loader epoch 2:", [b[0].tolist() for b in loader])
loader = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(5))
print("loader again:", [b[0].tolist() for b in loader])
torch.manual_seed(2)
loader = DataLoader(ds, batch_size=5, shuffle=True)
print("seeded by the global stream:", [b[0].tolist() for b in loader], torch.rand(1))

# -- distributions ---------------------------------------------------------------------------------
normal = torch.distributions.Normal(torch.tensor([0.0, 10.0]), torch.tensor([1.0, 0.1]))
s = normal.sample((3,))
print("Normal sample:", s, "log_prob:", normal.log_prob(s).round(decimals=4))
print(
    "rsample keeps grad:",
    normal.rsample().requires_grad,
    torch.distributions.Normal(torch.tensor(0.0, requires_grad=True), 1.0).rsample().requires_grad,
)
print("Uniform:", torch.distributions.Uniform(2.0, 4.0).sample((3,)))
print("Bernoulli:", torch.distributions.Bernoulli(probs=0.7).sample((6,)))
print("Beta:", torch.distributions.Beta(2.0, 5.0).sample((2,)))
print("Gamma:", torch.distributions.Gamma(torch.tensor([1.0, 3.0]), 2.0).sample())
print("Dirichlet:", torch.distributions.Dirichlet(torch.ones(3)).sample())
mvn = torch.distributions.MultivariateNormal(torch.zeros(2), torch.tensor([[1.0, 0.8], [0.8, 1.0]]))
draws = mvn.sample((2000,))
print("MVN sample cov:", torch.cov(draws.T).round(decimals=1))
print(
    "entropy:",
    round(mvn.entropy().item(), 4),
    "Exponential mean:",
    torch.distributions.Exponential(4.0).mean,
)

# -- Monte-Carlo -----------------------------------------------------------------------------------
torch.manual_seed(3)
pts = torch.rand(100000, 2)
inside = (pts.pow(2).sum(dim=1) <= 1).float().mean()
print(
    "pi estimate:",
    round(4 * inside.item(), 3),
    "error below 0.02:",
    abs(4 * inside.item() - math.pi) < 0.02,
)
u = torch.rand(50000)
print("E[exp(U)] ~ e - 1:", round(u.exp().mean().item(), 3), round(math.e - 1, 3))
walk = torch.randint(0, 2, (5, 100)) * 2 - 1
print("random walks end at:", walk.sum(dim=1), "max excursion:", walk.cumsum(1).abs().amax(1))

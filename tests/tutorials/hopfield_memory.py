"""Associative memory two ways, as in the "Hopfield Networks is All You Need" blog post
and classic Hopfield tutorials: a binary Hopfield network with Hebbian weights
(torch.outer summed, zero diagonal via fill_diagonal_), synchronous and asynchronous
sign updates, the energy -x^T W x / 2 decreasing monotonically, capacity measured by
retrieving corrupted patterns; then the modern continuous Hopfield network whose update
softmax(beta X^T xi) is one step of attention, retrieval as a function of beta, the
log-sum-exp energy, and a learned Hopfield pooling layer trained with Adam."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
N = 64


def hebbian(patterns):
    W = torch.zeros(N, N)
    for p in patterns:
        W += torch.outer(p, p)
    W.fill_diagonal_(0)
    return W / N


def energy(W, x):
    return -0.5 * x @ W @ x


def sign(x):
    return torch.where(x >= 0, 1.0, -1.0)


def corrupt(p, fraction, generator):
    flip = torch.randperm(N, generator=generator)[: int(fraction * N)]
    q = p.clone()
    q[flip] *= -1
    return q


patterns = sign(torch.randn(5, N))
W = hebbian(patterns)
print("W", tuple(W.shape), "symmetric", torch.equal(W, W.T), "trace", W.trace().item())
print("overlaps between stored patterns\n", (patterns @ patterns.T / N).round(decimals=3))

g = torch.Generator().manual_seed(0)
probe = corrupt(patterns[0], 0.25, g)
print("probe overlap", (probe @ patterns[0]).item() / N)
x = probe.clone()
energies = [energy(W, x).item()]
for _sweep in range(3):
    for i in torch.randperm(N, generator=g).tolist():     # asynchronous: one unit at a time
        x[i] = sign(W[i] @ x)
        energies.append(energy(W, x).item())
print("energy", [f"{e:.4f}" for e in energies[::64]])
print("monotone:", all(b <= a + 1e-6 for a, b in zip(energies, energies[1:])))
print("retrieved pattern 0:", torch.equal(x, patterns[0]), "overlap", (x @ patterns[0]).item() / N)

# Capacity: fraction of corrupted probes recovered exactly, synchronous updates.
for count in [2, 5, 10, 20]:
    stored = sign(torch.randn(count, N))
    Wc = hebbian(stored)
    probes = torch.stack([corrupt(p, 0.1, g) for p in stored])
    state = probes
    for _ in range(10):
        state = sign(state @ Wc.T)
    exact = (state == stored).all(dim=1).float().mean().item()
    overlap = (state * stored).mean(dim=1).mean().item()
    print(f"{count:2d} patterns ({count / N:.3f} N): recovered {exact:.2f} "
          f"mean overlap {overlap:.4f}")

# Modern Hopfield: continuous states, xi_new = X softmax(beta X^T xi).
X = F.normalize(torch.randn(N, 8), dim=0)           # 8 stored patterns as columns
xi = X[:, 3] + 0.3 * torch.randn(N) / N ** 0.5
for beta in [1.0, 8.0, 32.0]:
    p = torch.softmax(beta * X.T @ xi, dim=0)
    new = X @ p
    lse = torch.logsumexp(beta * X.T @ xi, dim=0) / beta
    e = -lse + 0.5 * xi @ xi
    print(f"beta {beta:4.1f} weight on pattern 3 {p[3].item():.4f} "
          f"cosine to it {F.cosine_similarity(new, X[:, 3], dim=0).item():.4f} "
          f"energy {e.item():.4f}")

# The update is attention with queries xi, keys and values X^T.
q = xi.unsqueeze(0).unsqueeze(0)
kv = X.T.unsqueeze(0)
att = F.scaled_dot_product_attention(q, kv, kv, scale=8.0)
print("same as scaled_dot_product_attention:",
      torch.allclose(att.squeeze(), X @ torch.softmax(8.0 * X.T @ xi, dim=0), atol=1e-6))


class HopfieldPooling(nn.Module):
    """A learned query attends over a set of instances (the 'HopfieldPooling' layer)."""

    def __init__(self, dim, beta=1.0):
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, dim) * 0.1)
        self.key = nn.Linear(dim, dim, bias=False)
        self.beta = beta

    def forward(self, x):                               # x: (batch, set, dim)
        scores = self.beta * self.key(x) @ self.query.T    # (batch, set, 1)
        weights = scores.softmax(dim=1)
        return (weights * x).sum(dim=1), weights.squeeze(-1)


# Multiple-instance task: a bag is positive when it contains the "marker" instance.
marker = torch.randn(16)
bags = torch.randn(128, 10, 16)
labels = torch.randint(0, 2, (128,))
where = torch.randint(0, 10, (128,))
bags[labels.bool(), where[labels.bool()]] = marker + 0.1 * torch.randn(int(labels.sum()), 16)

pool = HopfieldPooling(16, beta=2.0)
head = nn.Linear(16, 1)
print(pool)
opt = torch.optim.Adam(list(pool.parameters()) + list(head.parameters()), lr=0.02)
for epoch in range(40):
    pooled, weights = pool(bags)
    logits = head(pooled).squeeze(1)
    loss = F.binary_cross_entropy_with_logits(logits, labels.float())
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 9:
        acc = ((logits > 0).long() == labels).float().mean().item()
        on_marker = weights[labels.bool()].gather(1, where[labels.bool()].unsqueeze(1)).mean()
        print(f"epoch {epoch + 1} loss {loss.item():.4f} acc {acc:.4f} "
              f"attention on marker {on_marker.item():.4f}")
print("pooled", tuple(pooled.shape), pooled.grad_fn.name(), "weights", tuple(weights.shape))

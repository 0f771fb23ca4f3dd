"""A sparse mixture-of-experts layer, as the Switch Transformer / Mixtral blog posts build it:
a linear router, top-k gating with softmax over the selected logits (and the
softmax-then-topk variant renormalised), token dispatch by nonzero / index_select /
index_add_, the dense "compute every expert and mask" equivalent, expert capacity with a
cumsum position inside each expert and dropped tokens, the Switch load-balancing auxiliary
loss and router z-loss, noisy top-k gating, then a few Adam steps on a task where different
input regions need different experts, with per-expert token counts from bincount."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
torch.set_printoptions(precision=4, sci_mode=False)


class Expert(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x):
        return self.net(x)


class MoE(nn.Module):
    def __init__(self, dim=6, hidden=12, n_experts=4, k=2):
        super().__init__()
        self.k, self.n_experts = k, n_experts
        self.router = nn.Linear(dim, n_experts, bias=False)
        self.experts = nn.ModuleList(Expert(dim, hidden) for _ in range(n_experts))

    def gate(self, x):
        logits = self.router(x)
        top_logits, top_idx = logits.topk(self.k, dim=-1)
        weights = F.softmax(top_logits, dim=-1)
        return logits, weights, top_idx

    def forward(self, x):
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        logits, weights, top_idx = self.gate(x)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            token, slot = torch.nonzero(top_idx == e, as_tuple=True)
            if token.numel() == 0:
                continue
            y = expert(x.index_select(0, token)) * weights[token, slot].unsqueeze(-1)
            out = out.index_add(0, token, y)
        return out.reshape(shape), logits, top_idx

    def dense_forward(self, x):
        logits, weights, top_idx = self.gate(x)
        full = torch.zeros_like(logits).scatter(-1, top_idx, weights)
        ys = torch.stack([expert(x) for expert in self.experts], dim=-2)
        return (full.unsqueeze(-1) * ys).sum(-2)


moe = MoE()
print(moe)
x = torch.randn(2, 5, 6)
logits, weights, top_idx = moe.gate(x.reshape(-1, 6))
print("router logits", logits[:3])
print("top idx", top_idx.tolist())
print("weights", weights[:4])
print("weights sum to 1", torch.allclose(weights.sum(-1), torch.ones(10)))

# softmax-then-topk (Mixtral renormalises, Switch does not)
probs = logits.softmax(-1)
p_top, i_top = probs.topk(2, dim=-1)
print("same experts", torch.equal(i_top, top_idx))
print("renormalised equal", torch.allclose(p_top / p_top.sum(-1, keepdim=True), weights))

y, _, _ = moe(x)
y_dense = moe.dense_forward(x.reshape(-1, 6)).reshape(2, 5, 6)
print("sparse == dense", y.shape, torch.allclose(y, y_dense, atol=1e-6))
print(y[0, :2])
y.sum().backward()
for name, p in moe.named_parameters():
    if name.endswith("net.0.weight") or name == "router.weight":
        print(name, None if p.grad is None else round(p.grad.abs().sum().item(), 4))
moe.zero_grad()

# tokens per expert and a capacity limit (the first `capacity` tokens routed to each expert
# keep their slot, the rest overflow)
tokens = 10
assign = top_idx[:, 0]
counts = torch.bincount(assign, minlength=4)
print("top-1 counts", counts.tolist())
capacity = int(1.0 * tokens / 4)
onehot = F.one_hot(assign, 4)
position = (onehot.cumsum(0) - 1) * onehot
kept = (position < capacity) & onehot.bool()
print("capacity", capacity, "position in expert", position.sum(-1).tolist())
print("kept tokens", kept.any(-1).tolist(), "dropped", (~kept.any(-1)).sum().item())

# Switch Transformer load-balancing loss: n * sum_i f_i * P_i
f = onehot.float().mean(0)
P = probs.mean(0)
aux = 4 * (f * P).sum()
print("fraction routed", f, "mean prob", P)
print("aux loss", round(aux.item(), 5), "uniform would give", 1.0)
z_loss = torch.logsumexp(logits, dim=-1).pow(2).mean()
print("router z-loss", round(z_loss.item(), 5))

# noisy top-k gating (Shazeer et al. 2017)
w_noise = torch.randn(6, 4) * 0.1
g = torch.Generator().manual_seed(1)
clean = logits
noise_std = F.softplus(x.reshape(-1, 6) @ w_noise)
noisy = clean + torch.randn(clean.shape, generator=g) * noise_std
vals, idx = noisy.topk(2, dim=-1)
sparse = torch.full_like(noisy, float("-inf")).scatter(-1, idx, vals)
gates = sparse.softmax(-1)
print("noisy gates", gates[:3])
print("nonzero per token", (gates > 0).sum(-1).tolist())

# training: targets are different functions of x in the four quadrants of (x0, x1)
torch.manual_seed(0)
model = MoE(dim=2, hidden=16, n_experts=4, k=1)
opt = torch.optim.Adam(model.parameters(), lr=0.02)


def target(x):
    quad = (x[:, 0] > 0).long() * 2 + (x[:, 1] > 0).long()
    table = torch.tensor([[1.0, -1.0], [-1.0, 2.0], [0.5, 0.5], [2.0, 0.0]])
    return x * table[quad], quad


for step in range(40):
    xb = torch.randn(64, 2)
    yb, quad = target(xb)
    out, logits, top_idx = model(xb)
    mse = F.mse_loss(out, yb)
    probs = logits.softmax(-1)
    f = F.one_hot(top_idx[:, 0], 4).float().mean(0)
    aux = 4 * (f * probs.mean(0)).sum()
    loss = mse + 0.01 * aux
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 8 == 0 or step == 39:
        usage = torch.bincount(top_idx[:, 0], minlength=4).tolist()
        print(f"step {step:2d} mse {mse.item():.4f} aux {aux.item():.4f} usage {usage}")

with torch.no_grad():
    xt = torch.randn(200, 2, generator=torch.Generator().manual_seed(5))
    yt, quad = target(xt)
    out, logits, top_idx = model(xt)
    print("test mse", round(F.mse_loss(out, yt).item(), 4))
    table = torch.zeros(4, 4, dtype=torch.long)
    table.index_put_((quad, top_idx[:, 0]), torch.ones(200, dtype=torch.long), accumulate=True)
    print("quadrant x expert")
    print(table)

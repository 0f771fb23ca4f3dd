"""Set Transformer building blocks (Lee et al. 2019) with nn.MultiheadAttention: MAB, SAB,
ISAB with learned inducing points, PMA pooling with seed vectors; batch_first attention
with kdim/vdim different from embed_dim, key_padding_mask for sets of different sizes,
per-head weights (average_attn_weights=False), a float additive attn_mask, permutation
invariance of the pooled output and equivariance of SAB checked with torch.randperm; then
the max-of-a-set regression task trained with Adam and a TransformerEncoderLayer
(norm_first, gelu) baseline."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)


class MAB(nn.Module):
    def __init__(self, dim_q, dim_k, dim, heads, ln=True):
        super().__init__()
        self.fc_q = nn.Linear(dim_q, dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True, kdim=dim_k, vdim=dim_k)
        self.ln0 = nn.LayerNorm(dim) if ln else nn.Identity()
        self.ln1 = nn.LayerNorm(dim) if ln else nn.Identity()
        self.ff = nn.Sequential(nn.Linear(dim, dim), nn.ReLU())

    def forward(self, q, k, key_padding_mask=None):
        q = self.fc_q(q)
        h, w = self.attn(q, k, k, key_padding_mask=key_padding_mask)
        h = self.ln0(q + h)
        return self.ln1(h + self.ff(h)), w


class ISAB(nn.Module):
    def __init__(self, dim_in, dim, heads, num_inds):
        super().__init__()
        self.I = nn.Parameter(torch.empty(1, num_inds, dim))
        nn.init.xavier_uniform_(self.I)
        self.mab0 = MAB(dim, dim_in, dim, heads)
        self.mab1 = MAB(dim_in, dim, dim, heads)

    def forward(self, x, key_padding_mask=None):
        h, _ = self.mab0(self.I.expand(x.shape[0], -1, -1), x, key_padding_mask)
        out, _ = self.mab1(x, h)
        return out


class PMA(nn.Module):
    def __init__(self, dim, heads, num_seeds):
        super().__init__()
        self.S = nn.Parameter(torch.empty(1, num_seeds, dim))
        nn.init.xavier_uniform_(self.S)
        self.mab = MAB(dim, dim, dim, heads)

    def forward(self, x, key_padding_mask=None):
        return self.mab(self.S.expand(x.shape[0], -1, -1), x, key_padding_mask)


class SetTransformer(nn.Module):
    def __init__(self, dim_in=1, dim=16, heads=4):
        super().__init__()
        self.enc = ISAB(dim_in, dim, heads, num_inds=4)
        self.pool = PMA(dim, heads, num_seeds=1)
        self.dec = nn.Linear(dim, 1)

    def forward(self, x, key_padding_mask=None):
        h = self.enc(x, key_padding_mask)
        pooled, weights = self.pool(h, key_padding_mask)
        return self.dec(pooled).squeeze(-1).squeeze(-1), weights


# Raw nn.MultiheadAttention corners.
mha = nn.MultiheadAttention(8, 2, batch_first=True, kdim=3, vdim=5)
print(mha)
print("separate projections:", [n for n, _ in mha.named_parameters()])
q, k, v = torch.randn(2, 4, 8), torch.randn(2, 6, 3), torch.randn(2, 6, 5)
pad = torch.tensor([[False] * 6, [False] * 4 + [True] * 2])
out, w = mha(q, k, v, key_padding_mask=pad, average_attn_weights=False)
print("out", tuple(out.shape), out.grad_fn.name(), "per-head weights", tuple(w.shape))
print("padded keys get zero weight:", bool((w[1, :, :, 4:] == 0).all()),
      "rows sum to 1:", torch.allclose(w.sum(-1), torch.ones(2, 2, 4)))
bias = torch.zeros(4, 6)
bias[:, 0] = float("-inf")
bias[:, 1] = -2.0
_, w2 = mha(q, k, v, attn_mask=bias)
print("additive mask weights (head-averaged)\n", w2[0].detach().round(decimals=4))
_, none = mha(q, k, v, need_weights=False)
print("need_weights=False returns", none)

model = SetTransformer()
print("parameters", sum(p.numel() for p in model.parameters()))
x = torch.randn(3, 7, 1)
perm = torch.randperm(7)
y1, _ = model(x)
y2, _ = model(x[:, perm])
print("permutation invariant:", torch.allclose(y1, y2, atol=1e-5))
sab = MAB(1, 1, 16, 4)
h1, _ = sab(x, x)
h2, _ = sab(x[:, perm], x[:, perm])
print("SAB permutation equivariant:", torch.allclose(h1[:, perm], h2, atol=1e-5))


def batch(n, g):
    sizes = torch.randint(3, 11, (n,), generator=g)
    x = torch.randn(n, 10, 1, generator=g) * 2
    mask = torch.arange(10)[None, :] >= sizes[:, None]
    target = x.squeeze(-1).masked_fill(mask, float("-inf")).max(dim=1).values
    return x.masked_fill(mask.unsqueeze(-1), 0.0), mask, target


g = torch.Generator().manual_seed(0)
test_x, test_mask, test_y = batch(64, g)
print("test sets", tuple(test_x.shape), "sizes", (~test_mask).sum(1)[:8].tolist())
opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(150):
    x, mask, y = batch(32, g)
    pred, _ = model(x, mask)
    loss = F.mse_loss(pred, y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 50 == 49:
        with torch.no_grad():
            test_pred, weights = model(test_x, test_mask)
            print(f"step {step + 1} train mse {loss.item():.4f} "
                  f"test mse {F.mse_loss(test_pred, test_y).item():.4f}")
print("pool weights", tuple(weights.shape),
      "on padding", weights[test_mask.unsqueeze(1)].abs().max().item())

# Baseline: a pre-norm TransformerEncoderLayer with mean pooling over valid elements.
torch.manual_seed(5)
embed = nn.Linear(1, 16)
layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, activation="gelu",
                                   batch_first=True, norm_first=True)
head = nn.Linear(16, 1)
params = list(embed.parameters()) + list(layer.parameters()) + list(head.parameters())
opt = torch.optim.Adam(params, lr=3e-3)
for _step in range(150):
    x, mask, y = batch(32, g)
    h = layer(embed(x), src_key_padding_mask=mask)
    h = h.masked_fill(mask.unsqueeze(-1), 0).sum(1) / (~mask).sum(1, keepdim=True)
    loss = F.mse_loss(head(h).squeeze(-1), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    h = layer(embed(test_x), src_key_padding_mask=test_mask)
    h = h.masked_fill(test_mask.unsqueeze(-1), 0).sum(1) / (~test_mask).sum(1, keepdim=True)
    print(f"encoder-layer baseline test mse {F.mse_loss(head(h).squeeze(-1), test_y).item():.4f}")

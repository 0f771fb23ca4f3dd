"""Message passing written by hand, then attention inspected. (1) A graph convolutional
network (Kipf & Welling) and a GraphSAGE-style layer on a synthetic two-community graph
given as an edge list: degrees by bincount / index_add_, symmetric normalisation, messages
aggregated with index_add_ and scatter_reduce (sum, mean, amax, amin with include_self),
a dense adjacency by index_put_(accumulate=True) for checking, semi-supervised training
on 4 labelled nodes, and graph-level pooling by segment. (2) nn.MultiheadAttention's
weights printed as a heat map: averaged and per-head weights, key_padding_mask, a causal
attn_mask, batch_first, kdim/vdim, and agreement with F.scaled_dot_product_attention for
one head."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# -- (1) a two-community graph -------------------------------------------------------------------
n_nodes = 12
community = torch.tensor([0] * 6 + [1] * 6)
prob = torch.where(community.unsqueeze(0) == community.unsqueeze(1), 0.6, 0.05)
upper = torch.triu(torch.rand(n_nodes, n_nodes) < prob, diagonal=1)
src, dst = upper.nonzero(as_tuple=True)
edge_index = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])  # both directions
print("edges", edge_index.shape[1], edge_index[:, :8])
deg = torch.bincount(edge_index[0], minlength=n_nodes)
print("degrees", deg)
deg2 = torch.zeros(n_nodes, dtype=torch.long).index_add_(0, edge_index[1],
                                                         torch.ones_like(edge_index[1]))
print(torch.equal(deg, deg2))

dense = torch.zeros(n_nodes, n_nodes).index_put_((edge_index[0], edge_index[1]),
                                                  torch.ones(edge_index.shape[1]), accumulate=True)
print(torch.equal(dense, dense.T), dense.sum().item(), dense[:3, :6])

X = torch.randn(n_nodes, 5) + community.unsqueeze(1).float()  # weakly informative features


def gcn_propagate(h, edge_index, n):
    """H' = D^-1/2 (A + I) D^-1/2 H with self loops, by gather + index_add_."""
    loops = torch.arange(n)
    row = torch.cat([edge_index[0], loops])
    col = torch.cat([edge_index[1], loops])
    d = torch.bincount(row, minlength=n).float()
    norm = d[row].rsqrt() * d[col].rsqrt()
    return torch.zeros_like(h).index_add_(0, row, h[col] * norm.unsqueeze(1))


h1 = gcn_propagate(X, edge_index, n_nodes)
A_hat = dense + torch.eye(n_nodes)
d_inv_sqrt = A_hat.sum(1).rsqrt()
ref = d_inv_sqrt.unsqueeze(1) * A_hat * d_inv_sqrt.unsqueeze(0) @ X
print("gcn propagate == dense formula:", torch.allclose(h1, ref, atol=1e-6))

# scatter_reduce aggregations of neighbour features
msg = X[edge_index[1]]
idx = edge_index[0].unsqueeze(1).expand_as(msg)
for reduce in ("sum", "mean", "amax", "amin", "prod"):
    agg = torch.zeros(n_nodes, 5).scatter_reduce(0, idx, msg, reduce=reduce, include_self=False)
    print(f"{reduce:4s}", agg[0, :3], agg[5, :3])
print(torch.full((3,), 10.).scatter_reduce(0, torch.tensor([0, 0, 2]), torch.tensor([1., 5., 20.]),
                                            reduce="amax", include_self=True))
print(torch.ones(3).scatter_reduce(0, torch.tensor([0, 0, 2]), torch.tensor([2., 3., 4.]),
                                   reduce="mean", include_self=True))


class GCN(nn.Module):
    def __init__(self, d_in, d_hidden, d_out):
        super().__init__()
        self.lin1 = nn.Linear(d_in, d_hidden)
        self.lin2 = nn.Linear(d_hidden, d_out)

    def forward(self, x, edge_index):
        h = F.relu(gcn_propagate(self.lin1(x), edge_index, x.shape[0]))
        h = F.dropout(h, 0.2, self.training)
        return gcn_propagate(self.lin2(h), edge_index, x.shape[0])


class SAGE(nn.Module):
    """h_v' = W_self h_v + W_neigh mean_{u in N(v)} h_u."""

    def __init__(self, d_in, d_out):
        super().__init__()
        self.self_lin = nn.Linear(d_in, d_out)
        self.neigh_lin = nn.Linear(d_in, d_out, bias=False)

    def forward(self, x, edge_index):
        idx = edge_index[0].unsqueeze(1).expand(-1, x.shape[1])
        mean = torch.zeros_like(x).scatter_reduce(0, idx, x[edge_index[1]], reduce="mean",
                                                  include_self=False)
        return self.self_lin(x) + self.neigh_lin(mean)


train_mask = torch.zeros(n_nodes, dtype=torch.bool)
train_mask[[0, 1, 6, 7]] = True
for name, model in (("gcn", GCN(5, 16, 2)), ("sage", nn.ModuleList([SAGE(5, 16), SAGE(16, 2)]))):
    opt = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
    forward = model if name == "gcn" else (
        lambda x, ei, m=model: m[1](F.relu(m[0](x, ei)), ei))
    for epoch in range(60):
        if name == "gcn":
            model.train()
        opt.zero_grad()
        out = forward(X, edge_index)
        loss = F.cross_entropy(out[train_mask], community[train_mask])
        loss.backward()
        opt.step()
        if epoch % 20 == 0:
            print(f"{name} epoch {epoch} loss {loss.item():.4f}")
    if name == "gcn":
        model.eval()
    pred = forward(X, edge_index).argmax(1)
    print(name, "predictions", pred, "accuracy on unlabelled",
          (pred[~train_mask] == community[~train_mask]).float().mean().item())

# graph-level readout: two graphs in a batch, pooled per segment
batch = torch.tensor([0] * 5 + [1] * 7)
emb = torch.randn(n_nodes, 4)
sum_pool = torch.zeros(2, 4).index_add_(0, batch, emb)
mean_pool = sum_pool / torch.bincount(batch).unsqueeze(1)
max_pool = torch.full((2, 4), float("-inf")).scatter_reduce(
    0, batch.unsqueeze(1).expand(-1, 4), emb, reduce="amax")
print(mean_pool, max_pool, torch.equal(max_pool[0], emb[:5].max(0).values))
print([seg.sum().item() for seg in emb[:, 0].split([5, 7])])

# -- (2) MultiheadAttention weights -------------------------------------------------------------
torch.manual_seed(1)
tokens = ["the", "cat", "sat", "on", "mat", "<pad>"]
E, H = 8, 2
mha = nn.MultiheadAttention(E, H, batch_first=True)
x = torch.randn(2, 6, E)
key_padding_mask = torch.tensor([[False] * 5 + [True], [False] * 6])
out, w = mha(x, x, x, key_padding_mask=key_padding_mask)
print(out.shape, w.shape, w.sum(-1))


def heatmap(weights, labels):
    print("      " + " ".join(f"{t:>5s}" for t in labels))
    for label, row in zip(labels, weights):
        print(f"{label:>5s} " + " ".join(f"{v:5.2f}" for v in row.tolist()))


heatmap(w[0].detach(), tokens)
out_h, w_h = mha(x, x, x, key_padding_mask=key_padding_mask, average_attn_weights=False)
print(w_h.shape, torch.allclose(w_h.mean(1), w), w_h[0, :, 0, :].detach())

causal = nn.Transformer.generate_square_subsequent_mask(6)
print(causal)
out_c, w_c = mha(x, x, x, attn_mask=causal, is_causal=True)
heatmap(w_c[1].detach(), tokens)
bool_mask = torch.triu(torch.ones(6, 6, dtype=torch.bool), diagonal=1)
print(torch.allclose(mha(x, x, x, attn_mask=bool_mask)[0], out_c, atol=1e-6))
print(mha(x, x, x, need_weights=False)[1])

# one head by hand vs scaled_dot_product_attention
mha1 = nn.MultiheadAttention(E, 1, batch_first=True, bias=False)
q, k, v = F.linear(x, mha1.in_proj_weight).chunk(3, dim=-1)
ref = F.scaled_dot_product_attention(q, k, v)
att = torch.softmax(q @ k.transpose(-2, -1) / E ** 0.5, -1)
print(torch.allclose(F.linear(ref, mha1.out_proj.weight), mha1(x, x, x)[0], atol=1e-6),
      torch.allclose(att, mha1(x, x, x)[1], atol=1e-6))

# cross-attention with different key/value sizes
cross = nn.MultiheadAttention(E, 2, kdim=3, vdim=5, batch_first=True)
mem_k, mem_v = torch.randn(2, 4, 3), torch.randn(2, 4, 5)
o, wc = cross(x, mem_k, mem_v)
print(o.shape, wc.shape, cross.q_proj_weight.shape, cross.k_proj_weight.shape,
      cross.v_proj_weight.shape)
print(wc[0, :2])

"""Implicit-feedback recommendation as in the matrix-factorisation and BPR tutorials:
user and item nn.Embedding tables plus item biases, the BPR loss -logsigmoid(s_pos -
s_neg) over sampled negatives (rejection of observed items through a boolean
interaction matrix), a neural collaborative-filtering variant (GMF and MLP towers
concatenated), a custom Dataset with a DataLoader, L2 regularisation of only the
embeddings used in the batch, evaluation by recall@k and NDCG@k from topk with the
training items masked out by masked_fill(-inf), and item-item cosine similarities."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(12)
n_users, n_items, dim = 40, 60, 8

# Ground truth: users and items on 3 latent "genres".
user_genre = torch.randint(0, 3, (n_users,))
item_genre = torch.arange(n_items) % 3
affinity = (user_genre[:, None] == item_genre[None, :]).float() * 0.6 + 0.05
interactions = torch.bernoulli(affinity).bool()
test_mask = torch.zeros_like(interactions)
for u in range(n_users):
    items = interactions[u].nonzero().squeeze(1)
    held = items[torch.randperm(len(items))[:2]]
    test_mask[u, held] = True
train_mask = interactions & ~test_mask
print("interactions", int(interactions.sum()), "train", int(train_mask.sum()),
      "test", int(test_mask.sum()), "density", f"{interactions.float().mean().item():.4f}")


class Triplets(Dataset):
    def __init__(self, mask, generator):
        self.pairs = mask.nonzero()
        self.mask = mask
        self.g = generator

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, index):
        user, item = self.pairs[index]
        while True:
            neg = torch.randint(0, n_items, (1,), generator=self.g)[0]
            if not self.mask[user, neg]:
                return user, item, neg


class MF(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(n_users, dim)
        self.item = nn.Embedding(n_items, dim)
        self.item_bias = nn.Embedding(n_items, 1)
        nn.init.normal_(self.user.weight, std=0.1)
        nn.init.normal_(self.item.weight, std=0.1)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, users, items):
        return (self.user(users) * self.item(items)).sum(-1) + self.item_bias(items).squeeze(-1)

    def all_scores(self):
        return self.user.weight @ self.item.weight.T + self.item_bias.weight.T


class NCF(nn.Module):
    def __init__(self):
        super().__init__()
        self.gmf_user, self.gmf_item = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
        self.mlp_user, self.mlp_item = nn.Embedding(n_users, dim), nn.Embedding(n_items, dim)
        self.mlp = nn.Sequential(nn.Linear(2 * dim, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU())
        self.out = nn.Linear(dim + 8, 1)

    def forward(self, users, items):
        gmf = self.gmf_user(users) * self.gmf_item(items)
        mlp = self.mlp(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=-1))
        return self.out(torch.cat([gmf, mlp], dim=-1)).squeeze(-1)

    def all_scores(self):
        users = torch.arange(n_users).repeat_interleave(n_items)
        items = torch.arange(n_items).repeat(n_users)
        return self(users, items).view(n_users, n_items)


def evaluate(model, k=5):
    with torch.no_grad():
        scores = model.all_scores().masked_fill(train_mask, float("-inf"))
        top = scores.topk(k, dim=1).indices
        hits = test_mask.gather(1, top).float()
        recall = (hits.sum(1) / test_mask.sum(1).clamp(min=1)).mean()
        discounts = 1 / torch.log2(torch.arange(2, k + 2, dtype=torch.float32))
        dcg = (hits * discounts).sum(1)
        ideal = torch.stack([discounts[:int(n)].sum() for n in test_mask.sum(1).clamp(max=k)])
        return recall.item(), (dcg / ideal).mean().item()


loader = DataLoader(Triplets(train_mask, torch.Generator().manual_seed(1)), batch_size=64,
                    shuffle=True)
users, items, negs = next(iter(loader))
print("batch", users.shape, items.dtype, "negatives observed?",
      bool(train_mask[users, negs].any()))

for name, model, lr in [("MF-BPR", MF(), 0.05), ("NCF-BPR", NCF(), 0.01)]:
    print(name, "parameters", sum(p.numel() for p in model.parameters()))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    print(f"  before training recall@5 {evaluate(model)[0]:.4f}")
    for epoch in range(10):
        total, batches = 0.0, 0
        for users, items, negs in loader:
            pos_scores, neg_scores = model(users, items), model(users, negs)
            loss = -F.logsigmoid(pos_scores - neg_scores).mean()
            if isinstance(model, MF):
                reg = (model.user(users).pow(2).sum() + model.item(items).pow(2).sum()
                       + model.item(negs).pow(2).sum()) / len(users)
                loss = loss + 1e-3 * reg
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        if epoch % 5 == 4:
            recall, ndcg = evaluate(model)
            print(f"  epoch {epoch + 1:2d} bpr {total / batches:.4f} recall@5 {recall:.4f} "
                  f"ndcg@5 {ndcg:.4f}")

model = MF()
print(model.user, model.item_bias, model.user.weight.grad)
emb = F.normalize(NCF().gmf_item.weight.detach(), dim=1)
sims = emb @ emb.T
print("cosine self-similarity", torch.allclose(sims.diag(), torch.ones(n_items), atol=1e-6))
print("gradient of one BPR pair touches", end=" ")
u, i, j = torch.tensor([0]), torch.tensor([1]), torch.tensor([2])
(-F.logsigmoid(model(u, i) - model(u, j))).sum().backward()
print(int((model.item.weight.grad.abs().sum(1) > 0).sum()), "item rows;",
      f"sigmoid(-0) = {torch.sigmoid(torch.tensor(-0.0)).item()}, log 2 = {math.log(2):.4f}")

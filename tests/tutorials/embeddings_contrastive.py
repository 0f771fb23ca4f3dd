"""Learning embeddings three ways on synthetic data. (1) word2vec skip-gram with negative
sampling: a corpus generated from topic-specific vocabularies, (centre, context) pairs
from a sliding window, negatives drawn with torch.multinomial from the unigram
distribution raised to 3/4, two nn.Embedding tables, the loss -log sigmoid(u.v) -
sum log sigmoid(-u.n) via F.logsigmoid, SparseAdam-free plain SGD, nearest words by
cosine similarity. (2) Matrix-factorisation recommendation: user/item embeddings and
biases trained with the BPR pairwise loss and with MSE on observed ratings, recall@k.
(3) SimCLR-style contrastive learning: two noisy views of each sample, the NT-Xent
(InfoNCE) loss from a cosine-similarity matrix with the diagonal masked to -inf and
cross_entropy over the positives, a CLIP-style symmetric loss with a learnable
temperature (logit_scale.exp()), and a linear probe on the frozen encoder."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_printoptions(precision=4)

# -- (1) skip-gram with negative sampling ------------------------------------------------------
topics = [["cat", "dog", "pet", "fur", "paw"], ["car", "road", "wheel", "drive", "fuel"],
          ["sun", "rain", "cloud", "wind", "storm"]]
fillers = ["the", "a", "and", "is"]
vocab = fillers + [w for t in topics for w in t]
w2i = {w: i for i, w in enumerate(vocab)}
corpus = []
for s in range(120):
    topic = topics[s % 3]
    words = torch.randint(0, 5, (8,))
    use_filler = torch.rand(8) < 0.3
    fill = torch.randint(0, 4, (8,))
    corpus += [w2i[fillers[f]] if u else w2i[topic[w]] for w, u, f in
               zip(words.tolist(), use_filler.tolist(), fill.tolist())]
corpus = torch.tensor(corpus)
print("corpus", corpus.shape, corpus[:12].tolist())
window = 2
centres, contexts = [], []
for off in range(-window, window + 1):
    if off == 0:
        continue
    lo, hi = max(0, -off), len(corpus) - max(0, off)
    centres.append(corpus[lo:hi])
    contexts.append(corpus[lo + off:hi + off])
centres, contexts = torch.cat(centres), torch.cat(contexts)
counts = torch.bincount(corpus, minlength=len(vocab)).float()
noise = counts ** 0.75
noise = noise / noise.sum()
print("pairs", centres.shape[0], "noise distribution", noise)


class SkipGram(nn.Module):
    def __init__(self, n, d):
        super().__init__()
        self.inp = nn.Embedding(n, d)
        self.out = nn.Embedding(n, d)
        nn.init.uniform_(self.inp.weight, -0.5 / d, 0.5 / d)
        nn.init.zeros_(self.out.weight)

    def forward(self, c, o, negs):
        v = self.inp(c)                                      # (B, d)
        pos = F.logsigmoid((v * self.out(o)).sum(-1))
        neg = F.logsigmoid(-(self.out(negs) @ v.unsqueeze(-1)).squeeze(-1)).sum(-1)
        return -(pos + neg).mean()


sg = SkipGram(len(vocab), 8)
opt = torch.optim.SGD(sg.parameters(), lr=0.5)
g = torch.Generator().manual_seed(1)
for epoch in range(15):
    perm = torch.randperm(len(centres), generator=g)
    total = 0.0
    for i in range(0, len(perm), 256):
        idx = perm[i:i + 256]
        negs = torch.multinomial(noise, len(idx) * 5, replacement=True, generator=g).view(-1, 5)
        opt.zero_grad()
        loss = sg(centres[idx], contexts[idx], negs)
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    if epoch % 5 == 0 or epoch == 14:
        print(f"epoch {epoch:2d} loss {total / len(perm):.4f}")
emb = F.normalize(sg.inp.weight.detach(), dim=1)
sims = emb @ emb.T
for w in ("cat", "car", "rain"):
    top = sims[w2i[w]].topk(4).indices[1:]
    print(w, "->", [vocab[j] for j in top.tolist()], sims[w2i[w], top])

# -- (2) matrix factorisation ------------------------------------------------------------------
n_users, n_items, d = 30, 40, 4
true_u, true_i = torch.randn(n_users, d), torch.randn(n_items, d)
ratings = true_u @ true_i.T + 0.1 * torch.randn(n_users, n_items)
observed = torch.rand(n_users, n_items) < 0.3
print("observed ratings", observed.sum().item(), "mean", f"{ratings[observed].mean().item():.4f}")


class MF(nn.Module):
    def __init__(self):
        super().__init__()
        self.user = nn.Embedding(n_users, d)
        self.item = nn.Embedding(n_items, d)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        for e in (self.user, self.item):
            nn.init.normal_(e.weight, std=0.3)
        for e in (self.user_bias, self.item_bias):
            nn.init.zeros_(e.weight)

    def forward(self, u, i):
        return ((self.user(u) * self.item(i)).sum(-1) + self.user_bias(u).squeeze(-1)
                + self.item_bias(i).squeeze(-1))


us, its = observed.nonzero(as_tuple=True)
mf = MF()
opt = torch.optim.Adam(mf.parameters(), lr=0.05, weight_decay=1e-4)
for step in range(150):
    opt.zero_grad()
    loss = F.mse_loss(mf(us, its), ratings[us, its])
    loss.backward()
    opt.step()
    if step % 50 == 0 or step == 149:
        with torch.no_grad():
            full = mf(torch.arange(n_users).repeat_interleave(n_items),
                      torch.arange(n_items).repeat(n_users))
            held = F.mse_loss(full.view(n_users, n_items)[~observed], ratings[~observed])
        print(f"MSE step {step:3d} train {loss.item():.4f} held-out {held.item():.4f}")

# BPR: observed-and-liked items should outrank random others
liked = observed & (ratings > 1.0)
bpr = MF()
opt = torch.optim.Adam(bpr.parameters(), lr=0.05)
lu, li = liked.nonzero(as_tuple=True)
g = torch.Generator().manual_seed(2)
for step in range(100):
    neg = torch.randint(0, n_items, (len(lu),), generator=g)
    opt.zero_grad()
    loss = -F.logsigmoid(bpr(lu, li) - bpr(lu, neg)).mean()
    loss.backward()
    opt.step()
    if step % 25 == 0 or step == 99:
        print(f"BPR step {step:3d} loss {loss.item():.4f}")
with torch.no_grad():
    scores = bpr.user.weight @ bpr.item.weight.T + bpr.item_bias.weight.T
    top5 = scores.topk(5, dim=1).indices
    hits = liked.gather(1, top5).sum(1).float()
    recall = (hits / liked.sum(1).clamp(min=1).float())[liked.sum(1) > 0].mean()
print("recall@5 on training likes", f"{recall.item():.4f}",
      "users", (liked.sum(1) > 0).sum().item())

# -- (3) contrastive learning ------------------------------------------------------------------
centers = torch.randn(4, 10) * 2
labels = torch.arange(4).repeat_interleave(16)
data = centers[labels] + 0.5 * torch.randn(64, 10)
encoder = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 16))
projector = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))
print(encoder, projector, sep="\n")


def nt_xent(z1, z2, tau=0.5):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / tau
    sim = sim.masked_fill(torch.eye(len(z), dtype=torch.bool), float("-inf"))
    n = len(z1)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(sim, targets)


def augment(x, gen):
    mask = (torch.rand(x.shape, generator=gen) > 0.2).float()
    return x * mask + 0.3 * torch.randn(x.shape, generator=gen)


g = torch.Generator().manual_seed(3)
params = list(encoder.parameters()) + list(projector.parameters())
opt = torch.optim.Adam(params, lr=0.01)
for step in range(60):
    v1, v2 = augment(data, g), augment(data, g)
    opt.zero_grad()
    loss = nt_xent(projector(encoder(v1)), projector(encoder(v2)))
    loss.backward()
    opt.step()
    if step % 20 == 0 or step == 59:
        print(f"NT-Xent step {step:2d} loss {loss.item():.4f}")

# CLIP-style symmetric loss between two "modalities" with a learnable temperature
text = centers[labels] @ torch.randn(10, 6) + 0.1 * torch.randn(64, 6)
text_enc = nn.Linear(6, 16)
logit_scale = nn.Parameter(torch.tensor(2.0))
opt = torch.optim.Adam(list(text_enc.parameters()) + list(encoder.parameters()) + [logit_scale],
                       lr=0.01)
for step in range(40):
    a = F.normalize(encoder(data), dim=1)
    b = F.normalize(text_enc(text), dim=1)
    logits = logit_scale.exp() * a @ b.T
    targets = torch.arange(64)
    loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0 or step == 39:
        same = (labels[logits.argmax(1)] == labels).float().mean()
        print(f"CLIP step {step:2d} loss {loss.item():.4f} scale {logit_scale.exp().item():.4f} "
              f"same-class match {same.item():.4f}")

# linear probe on frozen features
encoder.requires_grad_(False)
with torch.no_grad():
    feats = encoder(data)
probe = nn.Linear(16, 4)
opt = torch.optim.SGD(probe.parameters(), lr=0.1)
for _ in range(50):
    opt.zero_grad()
    loss = F.cross_entropy(probe(feats), labels)
    loss.backward()
    opt.step()
acc = (probe(feats).argmax(1) == labels).float().mean()
print(f"linear probe loss {loss.item():.4f} accuracy {acc.item():.4f}",
      "encoder grads:", [p.grad is None for p in encoder.parameters()][:2],
      "requires_grad", encoder[0].weight.requires_grad)

"""word2vec skip-gram with negative sampling on a tiny synthetic corpus: a vocabulary from
Counter, subsampling of frequent words with torch.rand, (center, context) pairs from a
dynamic window, the unigram^0.75 noise distribution sampled with torch.multinomial, two
nn.Embedding tables (one sparse=False, one initialised to zero), scores by torch.bmm,
the loss -logsigmoid(pos) - sum logsigmoid(-neg), SparseAdam-free plain SGD with a linearly
decaying learning rate (LambdaLR), then nearest neighbours by cosine similarity, an analogy
query, and the embedding's gradient rows touched by one batch."""

from collections import Counter

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# -- a corpus from a tiny grammar: animals do animal things, vehicles do vehicle things ---------
animals = ["cat", "dog", "horse", "cow"]
vehicles = ["car", "bus", "truck", "train"]
animal_verbs = ["eats", "sleeps", "runs", "barks"]
vehicle_verbs = ["drives", "parks", "honks", "stops"]
fillers = ["the", "a", "and", "then"]
sentences = []
for _ in range(300):
    if torch.rand(1).item() < 0.5:
        nouns, verbs = animals, animal_verbs
    else:
        nouns, verbs = vehicles, vehicle_verbs
    n = nouns[torch.randint(0, 4, (1,)).item()]
    v1, v2 = (verbs[i] for i in torch.randint(0, 4, (2,)).tolist())
    f1, f2 = (fillers[i] for i in torch.randint(0, 4, (2,)).tolist())
    sentences.append([f1, n, v1, f2, v2])
print("sentences", len(sentences), "e.g.", " ".join(sentences[0]), "|", " ".join(sentences[1]))

counts = Counter(w for s in sentences for w in s)
vocab = sorted(counts, key=lambda w: (-counts[w], w))
w2i = {w: i for i, w in enumerate(vocab)}
V = len(vocab)
freq = torch.tensor([counts[w] for w in vocab], dtype=torch.float)
print("vocab", V, "most common", vocab[:5], freq[:5].long().tolist())

# subsampling: keep a word with probability sqrt(t / f) (+ t / f)
f = freq / freq.sum()
t = 1e-2
keep_p = ((t / f).sqrt() + t / f).clamp(max=1.0)
print("keep prob", keep_p)

pairs = []
for s in sentences:
    ids = torch.tensor([w2i[w] for w in s])
    kept = ids[torch.rand(len(ids)) < keep_p[ids]]
    for i in range(len(kept)):
        win = torch.randint(1, 3, (1,)).item()
        for j in range(max(0, i - win), min(len(kept), i + win + 1)):
            if j != i:
                pairs.append((kept[i].item(), kept[j].item()))
pairs = torch.tensor(pairs)
print("pairs", pairs.shape, "first", pairs[:5].tolist())

noise = freq.pow(0.75)
noise = noise / noise.sum()
print("noise distribution", noise)


class SkipGram(nn.Module):
    def __init__(self, V, D):
        super().__init__()
        self.inp = nn.Embedding(V, D)
        self.out = nn.Embedding(V, D)
        nn.init.uniform_(self.inp.weight, -0.5 / D, 0.5 / D)
        nn.init.zeros_(self.out.weight)

    def forward(self, center, context, negatives):
        v = self.inp(center).unsqueeze(2)  # (B, D, 1)
        u_pos = self.out(context).unsqueeze(1)  # (B, 1, D)
        u_neg = self.out(negatives)  # (B, K, D)
        pos = torch.bmm(u_pos, v).squeeze()  # (B,)
        neg = torch.bmm(u_neg, v).squeeze(2)  # (B, K)
        return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(1)).mean()


D, K, B = 10, 5, 64
model = SkipGram(V, D)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
epochs = 8
steps_per_epoch = (len(pairs) + B - 1) // B
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1 - step / (epochs * steps_per_epoch))
for epoch in range(epochs):
    perm = torch.randperm(len(pairs))
    total = 0.0
    for i in range(0, len(pairs), B):
        batch = pairs[perm[i : i + B]]
        negs = torch.multinomial(noise, len(batch) * K, replacement=True).view(len(batch), K)
        loss = model(batch[:, 0], batch[:, 1], negs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item() * len(batch)
    print(f"epoch {epoch} loss {total / len(pairs):.4f} lr {sched.get_last_lr()[0]:.4f}")

# gradient rows: only the looked-up rows of an Embedding get a gradient
model.zero_grad()
batch = pairs[:4]
negs = torch.multinomial(noise, 4 * K, replacement=True).view(4, K)
model(batch[:, 0], batch[:, 1], negs).backward()
touched = model.inp.weight.grad.abs().sum(1).nonzero().flatten()
print("center ids", batch[:, 0].tolist(), "rows with gradient", touched.tolist())
print(
    "out rows with gradient",
    model.out.weight.grad.abs().sum(1).nonzero().flatten().tolist(),
    "expected",
    torch.cat([batch[:, 1], negs.flatten()]).unique().tolist(),
)

# -- what was learned ------------------------------------------------------------------------------
E = model.inp.weight.detach()
En = F.normalize(E, dim=1)
sim = En @ En.T
for w in ["cat", "car", "eats", "drives"]:
    i = w2i[w]
    top = sim[i].topk(4).indices[1:]
    print(
        f"nearest to {w:6s}",
        [vocab[j] for j in top.tolist()],
        [round(v, 3) for v in sim[i, top].tolist()],
    )
a_sim = sim[[w2i[w] for w in animals]][:, [w2i[w] for w in animals]]
v_sim = sim[[w2i[w] for w in animals]][:, [w2i[w] for w in vehicles]]
print(f"mean cos animal-animal {(a_sim.sum() - 4) / 12:.4f} animal-vehicle {v_sim.mean():.4f}")
query = E[w2i["dog"]] - E[w2i["barks"]] + E[w2i["honks"]]
cos = F.cosine_similarity(query.unsqueeze(0), E, dim=1)
cos[[w2i["dog"], w2i["barks"], w2i["honks"]]] = -2
print("dog - barks + honks =", vocab[cos.argmax().item()])
print("embedding norms", E.norm(dim=1))
print(
    "cosine_similarity matches",
    torch.allclose(F.cosine_similarity(E[:1], E, dim=1), sim[0], atol=1e-6),
)

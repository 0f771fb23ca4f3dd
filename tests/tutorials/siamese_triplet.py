"""Metric learning in the style of the Siamese-network example: an embedding net trained with
nn.TripletMarginLoss on (anchor, positive, negative) triplets, then with a contrastive loss
written by hand on pairs; nn.PairwiseDistance, nn.CosineSimilarity, F.normalize, torch.cdist,
TripletMarginWithDistanceLoss with a cosine distance and swap=True, MarginRankingLoss, and
nearest-neighbour retrieval with topk."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)

n_classes, dim = 5, 12
prototypes = torch.randn(n_classes, dim) * 1.5
labels = torch.arange(n_classes).repeat_interleave(40)
data = prototypes[labels] + torch.randn(len(labels), dim)
print(data.shape, labels.bincount())


class EmbeddingNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Sequential(nn.Linear(dim, 32), nn.PReLU(), nn.Linear(32, 32), nn.PReLU(),
                                nn.Linear(32, 4, bias=False))
        # no bias on the last layer: distances cannot see a shift of every embedding, so
        # its gradient is pure rounding noise, which Adam would turn into +-lr steps

    def forward(self, x):
        return self.fc(x)


class TripletNet(nn.Module):
    def __init__(self, embedding_net):
        super().__init__()
        self.embedding_net = embedding_net

    def forward(self, x1, x2, x3):
        return self.embedding_net(x1), self.embedding_net(x2), self.embedding_net(x3)

    def get_embedding(self, x):
        return self.embedding_net(x)


def sample_triplets(n):
    anchor_idx = torch.randint(0, len(labels), (n,))
    a_lab = labels[anchor_idx]
    pos_idx = a_lab * 40 + torch.randint(0, 40, (n,))
    neg_lab = (a_lab + torch.randint(1, n_classes, (n,))) % n_classes
    neg_idx = neg_lab * 40 + torch.randint(0, 40, (n,))
    return data[anchor_idx], data[pos_idx], data[neg_idx]


embedding_net = EmbeddingNet()
model = TripletNet(embedding_net)
print(model)
criterion = nn.TripletMarginLoss(margin=1.0, p=2)
print(criterion)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 8, gamma=0.1, last_epoch=-1)

for step in range(20):
    a, p, n = sample_triplets(64)
    optimizer.zero_grad()
    ea, ep, en = model(a, p, n)
    loss = criterion(ea, ep, en)
    loss.backward()
    optimizer.step()
    scheduler.step()
    if step % 4 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.4f}")

print([m.weight.data for m in embedding_net.fc if isinstance(m, nn.PReLU)])

with torch.no_grad():
    emb = model.get_embedding(data)
    a, p, n = sample_triplets(6)
    ea, ep, en = model(a, p, n)
    pdist = nn.PairwiseDistance(p=2)
    cos = nn.CosineSimilarity(dim=1, eps=1e-6)
    print(pdist(ea, ep))
    print(pdist(ea, en))
    print(nn.PairwiseDistance(p=1, keepdim=True)(ea, en).shape)
    print(cos(ea, ep))
    print(cos(ea, en))
    print(F.cosine_similarity(ea[:1], en, dim=-1))
    print(nn.TripletMarginLoss(margin=0.5, p=1, swap=True, reduction="none")(ea, ep, en))
    cosine_distance = lambda x, y: 1.0 - F.cosine_similarity(x, y)  # noqa: E731
    tml = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.2,
                                           swap=True, reduction="none")
    print(tml(ea, ep, en))
    print(nn.TripletMarginWithDistanceLoss(reduction="sum")(ea, ep, en))

    # retrieval: nearest neighbours of the first item of each class
    queries = emb[::40]
    d = torch.cdist(queries, emb)
    print(d.shape, d[:, ::40].diag() < 0.01)  # |x|^2 - 2 x.y + |y|^2: not exactly 0
    nearest = d.topk(6, dim=1, largest=False)
    print(nearest.indices // 40)
    normed = F.normalize(emb, dim=1)
    print(normed.norm(dim=1)[:5])
    sims = normed[::40] @ normed.T
    hits = (sims.topk(10, dim=1).indices // 40 == torch.arange(5)[:, None]).float()
    print(sims.argmax(dim=1), hits.mean(1))
    centroids = torch.stack([emb[labels == c].mean(0) for c in range(n_classes)])
    predicted = torch.cdist(emb, centroids).argmin(dim=1)
    print("nearest-centroid accuracy", (predicted == labels).float().mean().item())


# Siamese pairs with a hand-written contrastive loss, and MarginRankingLoss on distances
def contrastive_loss(e1, e2, same, margin=2.0):
    d = F.pairwise_distance(e1, e2)
    return torch.mean(same * d.pow(2) + (1 - same) * torch.clamp(margin - d, min=0.0).pow(2)) / 2


torch.manual_seed(4)
siamese = EmbeddingNet()
opt = torch.optim.SGD(siamese.parameters(), lr=0.05, momentum=0.9)
ranking = nn.MarginRankingLoss(margin=0.5)
for step in range(12):
    i = torch.randint(0, len(labels), (64,))
    j = torch.randint(0, len(labels), (64,))
    same = (labels[i] == labels[j]).float()
    opt.zero_grad()
    e1, e2 = siamese(data[i]), siamese(data[j])
    loss = contrastive_loss(e1, e2, same)
    a, p, n = sample_triplets(64)
    rank = ranking(F.pairwise_distance(siamese(a), siamese(n)),
                   F.pairwise_distance(siamese(a), siamese(p)), torch.ones(64))
    (loss + rank).backward()
    opt.step()
    if step % 3 == 0:
        print(f"step {step:2d} contrastive {loss.item():.4f} ranking {rank.item():.4f} "
              f"same {int(same.sum().item())}")
print(siamese.fc[0].weight.grad[:2, :4])

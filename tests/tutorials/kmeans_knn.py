"""Clustering and nearest neighbours without a network: k-means (Lloyd's algorithm and
k-means++ seeding with torch.multinomial) on three synthetic blobs, written with cdist,
argmin, scatter_add_, index_add_ and bincount; then a k-nearest-neighbour classifier with
topk over a distance matrix, a majority vote by one_hot sums and mode, a confusion matrix
by bincount, and radius neighbours with nonzero."""

import torch
import torch.nn.functional as F

torch.manual_seed(0)

# -- three Gaussian blobs ------------------------------------------------------------------------
centers = torch.tensor([[0., 0.], [5., 5.], [0., 6.]])
n_per = 40
points = torch.cat([c + torch.randn(n_per, 2) for c in centers])
labels = torch.arange(3).repeat_interleave(n_per)
perm = torch.randperm(points.shape[0])
points, labels = points[perm], labels[perm]
print(points.shape, labels.shape, labels[:12])
print(points[:4])


# -- k-means++ seeding ---------------------------------------------------------------------------
def kmeans_pp(x, k, generator):
    first = torch.randint(x.shape[0], (1,), generator=generator)
    chosen = [x[first]]
    for _ in range(1, k):
        d2 = torch.cdist(x, torch.cat(chosen)).min(dim=1).values ** 2
        idx = torch.multinomial(d2 / d2.sum(), 1, generator=generator)
        chosen.append(x[idx])
    return torch.cat(chosen)


g = torch.Generator().manual_seed(3)
init = kmeans_pp(points, 3, g)
print("k-means++ init:")
print(init)


# -- Lloyd iterations ----------------------------------------------------------------------------
def lloyd(x, c, iters=10):
    k = c.shape[0]
    for it in range(iters):
        d = torch.cdist(x, c)
        assign = d.argmin(dim=1)
        sums = torch.zeros(k, x.shape[1]).index_add_(0, assign, x)
        counts = torch.bincount(assign, minlength=k).clamp(min=1)
        new_c = sums / counts.unsqueeze(1)
        inertia = d.gather(1, assign.unsqueeze(1)).pow(2).sum()
        shift = (new_c - c).norm(dim=1).max()
        print(f"iter {it}: inertia {inertia.item():.4f} shift {shift.item():.6f} "
              f"counts {counts.tolist()}")
        c = new_c
        if shift < 1e-6:
            break
    return c, assign


c, assign = lloyd(points, init)
print("centroids:")
print(c)
# the same sums with scatter_add_ on an expanded index
idx = assign.unsqueeze(1).expand(-1, 2)
sums = torch.zeros(3, 2).scatter_add_(0, idx, points)
print(torch.allclose(sums / torch.bincount(assign).unsqueeze(1), c))
# cluster -> true label by majority
for k in range(3):
    members = labels[assign == k]
    print(k, members.shape[0], torch.mode(members).values.item(),
          torch.bincount(members, minlength=3))

# -- a bad start: all centroids in one blob --------------------------------------------------------
bad = points[labels == 0][:3].clone()
c_bad, assign_bad = lloyd(points, bad, iters=6)
print(torch.unique(assign_bad, return_counts=True))

# -- k nearest neighbours ------------------------------------------------------------------------
train_x, train_y = points[:90], labels[:90]
test_x, test_y = points[90:], labels[90:]
dist = torch.cdist(test_x, train_x)
print(dist.shape, dist[:2, :5])
for k in (1, 3, 7):
    d, nn_idx = dist.topk(k, dim=1, largest=False)
    votes = F.one_hot(train_y[nn_idx], num_classes=3).sum(dim=1)
    pred = votes.argmax(dim=1)
    acc = (pred == test_y).float().mean()
    print(f"k={k} accuracy {acc.item():.4f}", votes[:3].tolist(), d[0])
    pred_mode = train_y[nn_idx].mode(dim=1).values
    print("  mode agrees where no tie:", (pred_mode == pred).sum().item())

# distance-weighted vote
d, nn_idx = dist.topk(5, dim=1, largest=False)
w = 1.0 / (d + 1e-8)
scores = torch.zeros(test_x.shape[0], 3).scatter_add_(1, train_y[nn_idx], w)
print(scores[:4])
pred = scores.argmax(1)
confusion = torch.bincount(test_y * 3 + pred, minlength=9).reshape(3, 3)
print("confusion:")
print(confusion)

# radius neighbours
within = (dist < 1.0)
print(within.sum(dim=1))
pairs = within.nonzero()
print(pairs.shape, pairs[:6])
print(torch.nonzero(within[0], as_tuple=True))

# squared-distance identity used by fast kNN
sq = (test_x.pow(2).sum(1, keepdim=True) - 2 * test_x @ train_x.T
      + train_x.pow(2).sum(1)).clamp_min(0)
print(torch.allclose(sq.sqrt(), dist, atol=1e-4))
print(torch.cdist(test_x[:3], train_x[:4], p=1))
print(torch.cdist(test_x[:3], train_x[:4], p=float("inf")))
print(torch.cdist(test_x[:2].double(), train_x[:3].double(), p=3))

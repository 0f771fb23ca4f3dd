"""Sorting and searching exercises: stable argsort with ties, sort descending, topk and
kthvalue along dims, searchsorted (left/right, sorter=, out_int32) and bucketize on a
histogram's edges, histc and histogram, unique (sorted, return_inverse, return_counts, dim=),
unique_consecutive for run-length encoding, cummax/cummin/logcumsumexp, quantile and
nanquantile with every interpolation, median/nanmedian/mode, msort, argmax ties, a merge of
two sorted tensors, and a top-k accuracy metric."""

import torch

torch.manual_seed(0)

# -- stable sorting with ties --------------------------------------------------------------------
scores = torch.randint(0, 5, (12,))
print("scores", scores)
vals, idx = torch.sort(scores, stable=True)
print("stable sort", vals, idx)
vals, idx = torch.sort(scores, descending=True, stable=True)
print("stable desc", vals, idx)
print("argsort stable", torch.argsort(scores, stable=True))
names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"]
print("ranked", [names[i] for i in torch.argsort(-scores, stable=True).tolist()])
# sort by two keys: primary score desc, secondary age asc (sort by secondary first, then stable)
age = torch.randint(20, 60, (12,))
o = torch.argsort(age, stable=True)
o = o[torch.argsort(scores[o], descending=True, stable=True)]
print("two-key order", o, scores[o], age[o])

m = torch.randn(4, 6)
print("matrix\n", m)
sv, si = m.sort(dim=0)
print("sort dim0\n", sv, "\n", si)
print("msort equals sort(dim=0)", torch.equal(torch.msort(m), sv))
print("sorted rows desc\n", m.sort(dim=1, descending=True))
f = torch.tensor([3.0, float("nan"), -1.0, float("inf"), 0.0, float("-inf"), float("nan"), 2.0])
print("nan sort", torch.sort(f))
print("nan sort desc", torch.sort(f, descending=True))
print(
    "argmax with ties",
    torch.tensor([1, 3, 3, 2, 3]).argmax(),
    torch.tensor([[1, 1], [0, 0]]).argmin(dim=1),
)
print("nan argmax", f.argmax(), f.argmin(), torch.tensor([1.0, 2.0]).max())

# -- topk / kthvalue ------------------------------------------------------------------------------
x = torch.randn(3, 8)
print("topk 3\n", torch.topk(x, 3))
print("topk smallest 2 dim0\n", x.topk(2, dim=0, largest=False))
t = torch.tensor([5, 1, 5, 3, 5, 2])
print("topk ties", t.topk(3))
print("kthvalue 2", torch.kthvalue(x, 2, dim=1))
print("kthvalue keepdim", x.kthvalue(2, 0, keepdim=True))
print("median", x.median(), x.median(dim=1))
print("median even count", torch.tensor([1.0, 4.0, 2.0, 3.0]).median())
print("mode", torch.tensor([[1, 2, 2, 3, 3], [4, 4, 1, 1, 0]]).mode(dim=1))
print(
    "nanmedian",
    f.nanmedian(),
    torch.tensor([[1.0, float("nan")], [float("nan"), float("nan")]]).nanmedian(dim=1),
)

# top-k accuracy for a fake classifier
logits = torch.randn(10, 6)
target = torch.randint(0, 6, (10,))
top3 = logits.topk(3, dim=1).indices
hit = (top3 == target.unsqueeze(1)).any(dim=1)
print("target", target, "top3\n", top3)
print(
    "top1 acc",
    (logits.argmax(1) == target).float().mean().item(),
    "top3 acc",
    hit.float().mean().item(),
)

# -- searchsorted / bucketize ---------------------------------------------------------------------
edges = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0])
q = torch.tensor([-0.1, 0.0, 0.3, 0.5, 1.99, 2.0, 2.5])
print("searchsorted left ", torch.searchsorted(edges, q))
print("searchsorted right", torch.searchsorted(edges, q, right=True))
print("side=right int32", torch.searchsorted(edges, q, side="right", out_int32=True))
print("bucketize", torch.bucketize(q, edges), torch.bucketize(q, edges, right=True))
unsorted = torch.tensor([3.0, 1.0, 2.0, 5.0])
sorter = torch.argsort(unsorted)
print("with sorter", torch.searchsorted(unsorted, torch.tensor([2.5, 0.0, 6.0]), sorter=sorter))
rows = torch.tensor([[1, 3, 5, 7], [2, 4, 6, 8]])
print("batched searchsorted", torch.searchsorted(rows, torch.tensor([[4, 7], [1, 9]])))
print("scalar value", torch.searchsorted(rows[0], 4), torch.bucketize(3, rows[0]))
ints = torch.tensor([1, 2, 2, 2, 3])
print(
    "int ties",
    torch.searchsorted(ints, torch.tensor([2])),
    torch.searchsorted(ints, torch.tensor([2]), right=True),
)

# inverse-CDF sampling with searchsorted
probs = torch.tensor([0.1, 0.4, 0.2, 0.3])
cdf = probs.cumsum(0)
u = torch.rand(2000)
draws = torch.searchsorted(cdf, u).clamp(max=3)
print("cdf", cdf, "empirical", torch.bincount(draws, minlength=4).float() / 2000)

# -- histograms ------------------------------------------------------------------------------------
data = torch.randn(1000)
print("histc", torch.histc(data, bins=8, min=-3, max=3))
print("histc auto range", torch.histc(torch.tensor([1.0, 2.0, 1.0, 4.0]), bins=4))
h = torch.histogram(data, bins=6, range=(-3.0, 3.0))
print("histogram", h.hist, h.bin_edges)
h = torch.histogram(data, bins=torch.tensor([-4.0, -1.0, 0.0, 1.0, 4.0]), density=True)
print("histogram density", h.hist, (h.hist * h.bin_edges.diff()).sum())
w = torch.rand(1000)
print("weighted", torch.histogram(data, bins=4, range=(-2.0, 2.0), weight=w).hist)
b = torch.bucketize(data, torch.linspace(-3, 3, 9)[1:-1])
print("bucketize counts", torch.bincount(b, minlength=8))

# -- unique ----------------------------------------------------------------------------------------
v = torch.tensor([4, 1, 4, 2, 1, 1, 7, 2, 2, 2])
print("unique", torch.unique(v))
u, inv, cnt = torch.unique(v, return_inverse=True, return_counts=True)
print("inverse", inv, "counts", cnt, "reconstruct", torch.equal(u[inv], v))
print("unsorted unique sorted anyway", torch.unique(v, sorted=False).sort().values)
pairs = torch.tensor([[1, 2], [3, 4], [1, 2], [0, 9], [3, 4]])
print("unique rows", torch.unique(pairs, dim=0, return_counts=True))
print("unique cols", torch.unique(torch.tensor([[1, 1, 2], [5, 5, 0]]), dim=1, return_inverse=True))
rle_v, rle_c = torch.unique_consecutive(v, return_counts=True)
print("run-length", rle_v, rle_c)
print("decode", torch.equal(torch.repeat_interleave(rle_v, rle_c), v))
print("unique_consecutive inverse", torch.unique_consecutive(v, return_inverse=True))
print("unique floats", torch.unique(torch.tensor([0.5, -0.0, 0.0, 0.5, -1.5])))

# -- cumulative extrema ---------------------------------------------------------------------------
walk = torch.randn(10).cumsum(0)
print("walk", walk)
cm = torch.cummax(walk, dim=0)
print("running max", cm.values, cm.indices)
print("running min", torch.cummin(walk, 0))
print("drawdown", (cm.values - walk).max())
print("cummax ties", torch.tensor([1, 3, 3, 2, 3, 5]).cummax(0))
print("cummax 2d", torch.tensor([[1.0, 5.0, 2.0], [4.0, 0.0, 6.0]]).cummax(dim=1))
print("logcumsumexp", torch.logcumsumexp(torch.tensor([0.0, 1.0, -2.0, 3.0]), 0))
print(
    "cumprod",
    torch.tensor([1, 2, 3, 4]).cumprod(0),
    "cumsum bool",
    torch.tensor([True, False, True]).cumsum(0),
)

# -- quantiles -------------------------------------------------------------------------------------
d = torch.tensor([1.0, 7.0, 3.0, 9.0, 4.0, 2.0])
qs = torch.tensor([0.0, 0.25, 0.5, 0.9, 1.0])
for how in ["linear", "lower", "higher", "nearest", "midpoint"]:
    print(f"quantile {how:8s}", torch.quantile(d, qs, interpolation=how))
dn = torch.tensor([[1.0, float("nan"), 3.0, 4.0], [float("nan")] * 4, [2.0, 8.0, 6.0, 4.0]])
print("quantile with nan", torch.quantile(dn, 0.5, dim=1))
print(
    "nanquantile",
    torch.nanquantile(dn, 0.5, dim=1),
    torch.nanquantile(dn, qs[1:4], dim=1, keepdim=True).shape,
)
print("nanquantile scalar q", torch.nanquantile(dn[0], 0.25))
big = torch.randn(4, 50)
print("quantile dim", torch.quantile(big, torch.tensor([0.1, 0.9]), dim=1))
iqr = big.quantile(0.75, dim=1) - big.quantile(0.25, dim=1)
print("IQR", iqr)

# -- merging two sorted tensors -------------------------------------------------------------------
a = torch.tensor([1, 4, 6, 9])
bb = torch.tensor([2, 4, 5, 10, 11])
pos = torch.searchsorted(a, bb, right=True) + torch.arange(len(bb))
merged = torch.empty(len(a) + len(bb), dtype=a.dtype)
mask = torch.ones(len(merged), dtype=torch.bool)
mask[pos] = False
merged[pos] = bb
merged[mask] = a
print("merged", merged, torch.equal(merged, torch.cat([a, bb]).sort().values))
print("isin", torch.isin(bb, a), torch.isin(bb, a, invert=True))

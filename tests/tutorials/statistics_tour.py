"""Descriptive statistics with torch, as in a data-analysis notebook: var/std with
correction= and unbiased=, var_mean/std_mean, median/nanmedian/mode, quantile with every
interpolation, nanquantile, cov (with weights) and corrcoef, histc/histogram/bincount,
logsumexp, cumsum/cumprod/logcumsumexp/cummax, diff, aminmax, standardisation, and the
gradients of the differentiable ones."""

import torch

torch.manual_seed(0)

x = torch.randn(4, 6)
print(x.round(decimals=4))

# -- spread ----------------------------------------------------------------------------------------
print(
    "var:",
    x.var().round(decimals=5),
    x.var(unbiased=False).round(decimals=5),
    x.var(correction=0).round(decimals=5),
    x.var(correction=2).round(decimals=5),
)
print("var dim=1:", x.var(dim=1).round(decimals=4))
print("std dim=0 keepdim:", x.std(dim=0, keepdim=True).round(decimals=4))
print("std correction=0:", x.std(1, correction=0).round(decimals=4))
v, m = torch.var_mean(x, dim=1)
print("var_mean:", v.round(decimals=4), m.round(decimals=4))
s, m = torch.std_mean(x, dim=(0, 1), correction=0)
print("std_mean all:", s.round(decimals=4), m.round(decimals=4))
print("var of one element:", torch.tensor([3.0]).var(), torch.tensor([3.0]).var(correction=0))
print("var of float64:", torch.arange(10, dtype=torch.float64).var())
print("std of ints ->", torch.arange(5.0).std())

# -- medians and modes -----------------------------------------------------------------------------
print("median all:", x.median().round(decimals=4))
med = x.median(dim=1)
print("median dim=1:", med.values.round(decimals=4), med.indices)
even = torch.tensor([4.0, 1.0, 3.0, 2.0])
print("median of even count (lower):", even.median(), "quantile 0.5:", even.quantile(0.5))
nanx = torch.tensor([[1.0, float("nan"), 3.0, 2.0], [float("nan")] * 4])
print("median with nan:", nanx.median(dim=1))
print("nanmedian:", nanx.nanmedian(dim=1))
print("nanmedian all:", nanx.nanmedian(), "nanmean:", nanx.nanmean(dim=1), "nansum:", nanx.nansum())
votes = torch.tensor([[1, 2, 2, 3, 3], [5, 5, 4, 4, 1]])
print("mode:", torch.mode(votes, dim=1))
print("mode float:", torch.tensor([0.5, 0.25, 0.5, 0.25, 0.75]).mode())
print("kthvalue:", torch.kthvalue(torch.tensor([5.0, 1.0, 4.0, 2.0]), 2))

# -- quantiles -------------------------------------------------------------------------------------
data = torch.tensor([1.0, 7.0, 3.0, 10.0, 4.0, 2.0])
q = torch.tensor([0.1, 0.25, 0.5, 0.9])
for interp in ("linear", "lower", "higher", "nearest", "midpoint"):
    print(f"quantile {interp:>8}:", torch.quantile(data, q, interpolation=interp))
print("quantile dim=1:", torch.quantile(x, 0.75, dim=1, keepdim=True).round(decimals=4))
print("quantile 2-d q:", torch.quantile(x, torch.tensor([0.0, 1.0]), dim=0).round(decimals=4))
print("quantile with nan:", torch.quantile(torch.tensor([1.0, float("nan"), 3.0]), 0.5))
print("nanquantile:", torch.nanquantile(torch.tensor([1.0, float("nan"), 3.0]), 0.5))
try:
    torch.quantile(data, 1.5)
except Exception as e:  # noqa: BLE001
    print("quantile(1.5) ->", type(e).__name__)
try:
    torch.quantile(torch.arange(4), 0.5)
except Exception as e:  # noqa: BLE001
    print("quantile of int tensor ->", type(e).__name__)
iqr = data.quantile(0.75) - data.quantile(0.25)
print("IQR:", iqr)

# -- covariance and correlation --------------------------------------------------------------------
obs = torch.randn(3, 8)
obs[1] = 2 * obs[0] + 0.1 * obs[1]
print("cov:")
print(torch.cov(obs).round(decimals=4))
print("cov correction=0:", torch.cov(obs, correction=0)[0].round(decimals=4))
print("corrcoef:")
print(torch.corrcoef(obs).round(decimals=4))
fw = torch.tensor([1, 2, 1, 1, 3, 1, 1, 2])
aw = torch.linspace(0.5, 1.5, 8)
print("cov fweights:", torch.cov(obs, fweights=fw)[0].round(decimals=4))
print("cov aweights:", torch.cov(obs, aweights=aw)[0].round(decimals=4))
print("cov 1-d:", torch.cov(torch.tensor([1.0, 2.0, 4.0])))
centered = obs - obs.mean(dim=1, keepdim=True)
manual = centered @ centered.T / (obs.shape[1] - 1)
print("manual cov matches:", torch.allclose(manual, torch.cov(obs), atol=1e-6))

# -- histograms and counts -------------------------------------------------------------------------
samples = torch.randn(200)
print("histc:", torch.histc(samples, bins=8, min=-3, max=3))
print("histc auto range:", torch.histc(torch.tensor([1.0, 2.0, 1.0, 4.0]), bins=4))
hist, edges = torch.histogram(samples, bins=5, range=(-2.0, 2.0))
print("histogram:", hist, edges)
hist, edges = torch.histogram(
    torch.tensor([1.0, 2.0, 1.0]), bins=torch.tensor([0.0, 1.0, 1.5, 3.0])
)
print("histogram edges given:", hist, edges)
hist, edges = torch.histogram(
    torch.tensor([1.0, 2.0, 1.0]), bins=2, weight=torch.tensor([1.0, 0.5, 2.0]), density=True
)
print("histogram weighted density:", hist, edges)
ints = torch.randint(0, 6, (30,))
print("bincount:", torch.bincount(ints))
print("bincount minlength:", torch.bincount(torch.tensor([1, 1, 3]), minlength=6))
print(
    "bincount weights:",
    torch.bincount(torch.tensor([0, 1, 1, 2]), weights=torch.tensor([0.5, 1.0, 1.5, 2.0])),
)
vals, counts = torch.unique(ints, return_counts=True)
print("unique counts:", vals, counts)
print(
    "bucketize:",
    torch.bucketize(torch.tensor([0.1, 0.5, 2.0, -1.0]), torch.tensor([0.0, 0.5, 1.0])),
)

# -- log-sum-exp and scans -------------------------------------------------------------------------
big = torch.tensor([1000.0, 1000.0, 990.0])
print("naive log(sum(exp)):", big.exp().sum().log(), "logsumexp:", torch.logsumexp(big, dim=0))
print("logsumexp dim=1:", torch.logsumexp(x, dim=1, keepdim=True).round(decimals=4))
print("logsumexp with -inf:", torch.logsumexp(torch.tensor([float("-inf"), float("-inf")]), 0))
print("cumsum:", torch.arange(1, 6).cumsum(0), torch.arange(1.0, 7.0).reshape(2, 3).cumsum(dim=1))
print("cumprod:", torch.arange(1, 7).cumprod(0), torch.tensor([2.0, 0.0, 3.0]).cumprod(0))
print("logcumsumexp:", torch.logcumsumexp(torch.tensor([0.0, 1.0, 2.0, 3.0]), 0))
print("cummax:", torch.cummax(torch.tensor([1, 3, 2, 5, 4]), 0))
print("cummin:", torch.cummin(torch.tensor([3.0, 1.0, 2.0, 0.5]), 0))
running_mean = torch.arange(1.0, 6.0).cumsum(0) / torch.arange(1, 6)
print("running mean:", running_mean)

# -- differences and extrema -----------------------------------------------------------------------
series = torch.tensor([1, 4, 9, 16, 25])
print(
    "diff:",
    torch.diff(series),
    torch.diff(series, n=2),
    torch.diff(series, prepend=torch.tensor([0])),
)
print("diff dim=0:", torch.diff(torch.arange(6).reshape(3, 2), dim=0))
print("diff append:", torch.diff(torch.tensor([1.0, 2.0]), append=torch.tensor([0.0, -1.0])))
print("aminmax:", torch.aminmax(x))
print("aminmax dim:", torch.aminmax(torch.tensor([[1, 5], [7, -2]]), dim=1))
print("amax vs max:", x.amax(dim=(0, 1)).round(decimals=4), x.max(dim=1).indices)
print("argmin/argmax:", x.argmin(), x.argmax(dim=0))
print("ptp by hand:", (x.amax(1) - x.amin(1)).round(decimals=4))

# -- standardisation -------------------------------------------------------------------------------
z = (x - x.mean(dim=0)) / x.std(dim=0)
print(
    "z mean ~0:", z.mean(dim=0).abs().max().item() < 1e-6, "z std:", z.std(dim=0).round(decimals=4)
)
mn, mx = x.aminmax(dim=0)
print("min-max scaled:", ((x - mn) / (mx - mn))[0].round(decimals=4))
print("normalize:", torch.nn.functional.normalize(x[:2], dim=1).norm(dim=1))
print("count_nonzero:", torch.count_nonzero(x > 0, dim=1), "mean of bools:", (x > 0).float().mean())

# -- gradients -------------------------------------------------------------------------------------
w = torch.tensor([1.0, 2.0, 4.0, 7.0], requires_grad=True)
w.var().backward()
print("d var:", w.grad, "= 2 (w - mean) / (n - 1)")
w.grad = None
w.std(correction=0).backward()
print("d std:", w.grad.round(decimals=4))
w.grad = None
torch.logsumexp(w, 0).backward()
print("d logsumexp = softmax:", w.grad.round(decimals=4), torch.allclose(w.grad, w.softmax(0)))
w.grad = None
w.median().backward()
print("d median:", w.grad)
w.grad = None
torch.quantile(w, 0.4).backward()
print("d quantile:", w.grad.round(decimals=4))
w.grad = None
w.cumprod(0).sum().backward()
print("d cumprod:", w.grad)
w.grad = None
torch.logcumsumexp(w, 0).sum().backward()
print("d logcumsumexp:", w.grad.round(decimals=4))
w.grad = None
torch.diff(w).pow(2).sum().backward()
print("d diff^2:", w.grad)
w.grad = None
c = torch.corrcoef(torch.stack([w, w.pow(2)]))[0, 1]
c.backward()
print("corr:", round(c.item(), 4), "d corr:", w.grad.round(decimals=4))
w.grad = None
w.aminmax()[1].backward()
print("d aminmax max:", w.grad, c.grad_fn.name())

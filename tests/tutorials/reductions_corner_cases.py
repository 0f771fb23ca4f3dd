"""Reductions at their corners, the table a learner builds after a NaN ruins a run: result
dtypes (sum of int8 / uint8 / bool is int64, dtype= overrides, mean of ints raises, all/any
of uint8 stay uint8), empty tensors and empty dims (sum 0, prod 1, amax raises, mean NaN),
dim=() and dim lists, keepdim; ties (max/min/argmax take the first index, amax spreads the
gradient evenly, median returns the lower middle, mode the smallest), NaN propagation in
max / amax / argmax / sort / topk / median vs nanmedian / nansum / nanmean, logsumexp of
all -inf, std of one element, var with correction; and the gradients of prod with zeros,
max with ties, norm at zero, logsumexp, cumprod, std and median."""

# ruff: noqa: B023  (lambdas called at once inside the loop that defines them)

import warnings

import torch

torch.manual_seed(0)
warnings.simplefilter("ignore")


def attempt(fn):
    try:
        out = fn()
        return out
    except (RuntimeError, IndexError, ValueError) as e:
        return f"{type(e).__name__}"


# -- dtypes ------------------------------------------------------------------------------------
for dt in [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
]:
    x = torch.tensor([1, 0, 1, 1], dtype=dt)
    print(
        f"{str(dt):14s} sum {x.sum().dtype} prod {x.prod().dtype} cumsum {x.cumsum(0).dtype}"
        f" amax {x.amax().dtype} mean {attempt(lambda: x.mean().dtype)}"
        f" all {x.all().dtype} any {x.any().dtype}"
        f" count_nonzero {x.count_nonzero().dtype}"
        f" sum(dtype=f64) {x.sum(dtype=torch.float64).dtype}"
    )
print(
    "uint8 all/any values",
    torch.tensor([3, 0], dtype=torch.uint8).all(),
    torch.tensor([3, 0], dtype=torch.uint8).any(dim=0),
)
print(
    "int8 sum no overflow",
    torch.tensor([100, 100, 100], dtype=torch.int8).sum(),
    "cumsum",
    torch.tensor([100, 100, 100], dtype=torch.int8).cumsum(0),
    "cumsum dtype=int8",
    torch.tensor([100, 100, 100], dtype=torch.int8).cumsum(0, dtype=torch.int8),
)
print(
    "mean(dtype=f64) of int",
    torch.arange(5).mean(dtype=torch.float64),
    "float16 sum",
    torch.full((1000,), 0.1, dtype=torch.float16).sum(),
)
print(
    "std of int:",
    attempt(lambda: torch.arange(4).std()),
    "norm of int:",
    attempt(lambda: torch.arange(4).norm()),
)

# -- empty -------------------------------------------------------------------------------------
e = torch.empty(0, 3)
print("empty sum", e.sum(), e.sum(0), e.sum(1), "prod", e.prod(), "mean", e.mean(), e.mean(0))
print(
    "empty amax",
    attempt(lambda: e.amax()),
    attempt(lambda: e.amax(0)),
    e.amax(1),
    "max",
    attempt(lambda: e.max()),
)
print(
    "empty argmax",
    attempt(lambda: e.argmax()),
    "all/any",
    e.all(),
    e.any(),
    "std",
    e.std(),
    "logsumexp",
    e.logsumexp(0),
)
print("empty median", attempt(lambda: e.median()), "cumsum", e.cumsum(0).shape, "norm", e.norm())
print(
    "dim=() sum",
    torch.ones(2, 3).sum(dim=()),
    "dims list",
    torch.ones(2, 3, 4).sum([0, 2]),
    torch.ones(2, 3, 4).sum((-1, 0), keepdim=True).shape,
)
print(
    "repeated dim:",
    attempt(lambda: torch.ones(2, 3).sum((0, 0))),
    "bad dim:",
    attempt(lambda: torch.ones(2).sum(2)),
)
print(
    "0-dim reductions",
    torch.tensor(5.0).sum(0),
    torch.tensor(5.0).max(0),
    torch.tensor(5.0).argmax(),
    torch.tensor(5).cumsum(0),
)

# -- ties -------------------------------------------------------------------------------------
t = torch.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0]])
print("max dim", t.max(1), "\nmin dim", t.min(1))
print("argmax", t.argmax(1), "argmin", t.argmin(1), "argmax flat", t.argmax())
print("median", t.median(1), "even count lower middle", torch.tensor([1.0, 2.0, 3.0, 4.0]).median())
print("mode", torch.tensor([[3, 1, 3, 1, 2], [5, 5, 4, 4, 4]]).mode(1))
print("kthvalue", t.kthvalue(2, 1), "topk ties", t.topk(2, 1))
print(
    "sort stable",
    torch.tensor([2, 1, 2, 1, 2]).sort(stable=True),
    torch.tensor([2, 1, 2, 1]).sort(descending=True, stable=True).indices,
)
print("aminmax", torch.aminmax(t, dim=1), "unique", torch.unique(t, return_counts=True))

# -- NaN --------------------------------------------------------------------------------------
n = torch.tensor([[1.0, float("nan"), 3.0], [float("nan"), -1.0, float("nan")], [0.5, 0.25, 2.0]])
print("max", n.max(1), "\namax", n.amax(1), "argmax", n.argmax(1), "argmin", n.argmin(1))
print("maximum vs fmax", torch.maximum(n[0], n[2]), torch.fmax(n[0], n[1]))
print(
    "sort",
    n.sort(1).values[1],
    n.sort(1, descending=True).indices[0],
    "topk",
    n.topk(1, 1).values.flatten(),
)
print("median", n.median(1).values, "nanmedian", n.nanmedian(1).values, n.nanmedian(1).indices)
print(
    "nansum",
    n.nansum(1),
    "nanmean",
    n.nanmean(1),
    "sum",
    n.sum(1),
    "nanmean all-nan",
    torch.tensor([float("nan")]).nanmean(),
)
print("quantile", attempt(lambda: n.quantile(0.5, 1)), "nanquantile", n.nanquantile(0.5, 1))
print("cummax nan", n[0].cummax(0), "logcumsumexp", n[2].logcumsumexp(0))
print(
    "logsumexp -inf",
    torch.full((3,), -float("inf")).logsumexp(0),
    "with +inf",
    torch.tensor([1.0, float("inf")]).logsumexp(0),
)
print(
    "std one element",
    torch.tensor([2.0]).std(),
    torch.tensor([2.0]).std(correction=0),
    "var correction=2",
    torch.arange(5.0).var(correction=2),
)
print(
    "var_mean",
    torch.var_mean(torch.arange(6.0).view(2, 3), dim=1, correction=0),
    "std unbiased=False",
    torch.arange(4.0).std(unbiased=False),
)
print(
    "inf arithmetic",
    torch.tensor([float("inf"), -float("inf")]).sum(),
    torch.tensor([float("inf"), 1.0]).mean(),
    torch.tensor([float("inf"), 1.0]).std(),
)


# -- gradients -------------------------------------------------------------------------------
def grad(fn, values):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out = fn(x)
    out.backward(torch.ones_like(out))
    return x.grad


print(
    "prod, one zero",
    grad(torch.prod, [2.0, 0.0, 3.0]),
    "two zeros",
    grad(torch.prod, [0.0, 4.0, 0.0]),
)
print("prod dim one zero", grad(lambda x: x.view(2, 2).prod(1), [0.0, 5.0, 2.0, 3.0]))
print(
    "max ties",
    grad(torch.max, [1.0, 3.0, 3.0]),
    "amax ties",
    grad(torch.amax, [1.0, 3.0, 3.0]),
    "max dim ties",
    grad(lambda x: x.max(0).values, [3.0, 3.0, 1.0]),
)
print(
    "min ties",
    grad(torch.min, [1.0, 1.0, 1.0, 5.0]),
    "amin dim",
    grad(lambda x: x.view(2, 2).amin(1), [2.0, 2.0, 1.0, 4.0]),
)
print(
    "median grad",
    grad(torch.median, [4.0, 1.0, 3.0, 2.0]),
    "nanmedian",
    grad(torch.nanmedian, [float("nan"), 1.0, 3.0]),
)
print(
    "norm at 0",
    grad(torch.norm, [0.0, 0.0]),
    "norm 1",
    grad(lambda x: x.norm(p=1), [0.0, -2.0, 3.0]),
    "inf-norm ties",
    grad(lambda x: torch.linalg.vector_norm(x, float("inf")), [-3.0, 3.0, 1.0]),
)
print(
    "logsumexp",
    grad(lambda x: x.logsumexp(0), [0.0, 1.0, 2.0]).round(decimals=6),
    "with -inf",
    grad(lambda x: x.logsumexp(0), [-float("inf"), 0.0]),
    "all -inf",
    grad(lambda x: x.logsumexp(0), [-float("inf")] * 2),
)
print(
    "cumprod with zero",
    grad(torch.cumprod if False else (lambda x: x.cumprod(0)), [2.0, 0.0, 3.0, 4.0]),
)
print(
    "std",
    grad(torch.std, [1.0, 2.0, 4.0]).round(decimals=6),
    "std constant",
    grad(torch.std, [2.0, 2.0]),
)
print("var correction=0", grad(lambda x: x.var(correction=0), [1.0, 2.0, 4.0]).round(decimals=6))
print("mean/sum dims", grad(lambda x: x.view(2, 3).mean((0, 1), keepdim=True), [1.0] * 6).tolist())
print(
    "nansum grad",
    grad(torch.nansum, [1.0, float("nan")]),
    "nanmean grad",
    grad(torch.nanmean, [1.0, float("nan"), 3.0]),
)
print(
    "kthvalue grad",
    grad(lambda x: x.kthvalue(2).values, [5.0, 1.0, 3.0]),
    "topk grad",
    grad(lambda x: x.topk(2).values, [5.0, 1.0, 3.0]),
)
print(
    "sort grad",
    grad(
        lambda x: x.sort().values * torch.tensor([1.0, 10.0, 100.0], dtype=torch.float64),
        [3.0, 1.0, 2.0],
    ),
)
print(
    "cummax grad",
    grad(lambda x: x.cummax(0).values, [1.0, 3.0, 2.0, 3.0]),
    "cummin grad",
    grad(lambda x: x.cummin(0).values, [2.0, 1.0, 1.0]),
)
print("aminmax grad", grad(lambda x: torch.stack(torch.aminmax(x)), [2.0, 5.0, 5.0, -1.0]))
y = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = y.sum()
print(
    "grad_fns",
    out.grad_fn.name(),
    y.mean().grad_fn.name(),
    y.max().grad_fn.name(),
    y.max(0).values.grad_fn.name(),
    y.amax().grad_fn.name(),
    y.std().grad_fn.name(),
    y.norm().grad_fn.name(),
    y.logsumexp(0).grad_fn.name(),
    y.median().grad_fn.name(),
    y.prod().grad_fn.name(),
    y.cumsum(0).grad_fn.name(),
    y.sum(0, keepdim=True).grad_fn.name(),
)

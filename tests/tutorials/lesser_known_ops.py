"""The lesser-known tensor functions a learner meets in other people's code, each with a
tiny input and the equivalent long-hand version: take_along_dim, scatter_reduce
(sum / prod / mean / amax / amin, include_self both ways), index_reduce, index_copy /
index_fill / masked_scatter, bucketize and searchsorted (right=, side=, sorter=),
histc, tril_indices / triu_indices, combinations, meshgrid(indexing=), rot90, roll,
diag_embed / diagflat / diagonal_scatter, tensor_split / hsplit / vsplit / unflatten /
movedim / Tensor.unfold, repeat_interleave (tensor repeats, output_size), lerp / addcmul /
addcdiv / logaddexp / hypot / copysign / nextafter / frexp / ldexp / heaviside / xlogy /
float_power, cummax-by-hand with scan loops, and gradients of the differentiable ones."""

# ruff: noqa: B023  (lambdas called at once inside the loop that defines them)

import torch

torch.manual_seed(0)
dt = torch.float64

x = torch.randint(0, 10, (3, 4))
print("x", x)
idx = x.argsort(1)[:, :2]
print(
    "take_along_dim",
    torch.take_along_dim(x, idx, 1),
    torch.equal(torch.take_along_dim(x, idx, 1), x.gather(1, idx)),
)
print("take_along_dim flat", torch.take_along_dim(x, torch.tensor([0, 5, 11])))
src = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
index = torch.tensor([0, 1, 0, 1, 2, 1])
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for include_self in (True, False):
        out = torch.full((4,), 10.0).scatter_reduce(
            0, index, src, reduce=reduce, include_self=include_self
        )
        print(f"scatter_reduce {reduce:4s} include_self={include_self!s:5s}", out)
print(
    "scatter_reduce int mean",
    torch.zeros(3, dtype=torch.long).scatter_reduce(
        0, torch.tensor([0, 0, 1]), torch.tensor([1, 2, 5]), "mean"
    ),
)
print(
    "scatter_add 2d",
    torch.zeros(2, 4).scatter_add(1, torch.tensor([[0, 1, 0], [3, 3, 3]]), torch.ones(2, 3)),
)
print(
    "scatter reduce=multiply",
    torch.ones(4).scatter(
        0, torch.tensor([1, 1, 2]), torch.tensor([2.0, 3.0, 4.0]), reduce="multiply"
    ),
)
for reduce in ["prod", "mean", "amax", "amin"]:
    out = torch.ones(3, 2).index_reduce(
        0,
        torch.tensor([0, 2, 0]),
        torch.tensor([[2.0, 3.0], [4.0, 5.0], [6.0, -1.0]]),
        reduce,
        include_self=False,
    )
    print(f"index_reduce {reduce}", out.tolist())
print(
    "index_copy",
    torch.zeros(3, 2).index_copy(0, torch.tensor([2, 0]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])),
)
print("index_fill", torch.arange(6).view(2, 3).index_fill(1, torch.tensor([0, 2]), -1))
mask = torch.tensor([[True, False, True], [False, True, False]])
print(
    "masked_scatter",
    torch.zeros(2, 3).masked_scatter(mask, torch.arange(10.0)),
    "masked_select",
    torch.arange(6).view(2, 3).masked_select(mask),
)

# -- searching ---------------------------------------------------------------------------------
bounds = torch.tensor([1, 3, 5, 7])
vals = torch.tensor([[0, 1, 3], [4, 7, 9]])
print(
    "bucketize",
    torch.bucketize(vals, bounds),
    torch.bucketize(vals, bounds, right=True),
    torch.bucketize(vals, bounds, out_int32=True).dtype,
)
print(
    "searchsorted", torch.searchsorted(bounds, vals), torch.searchsorted(bounds, vals, side="right")
)
unsorted = torch.tensor([7, 1, 5, 3])
print(
    "searchsorted sorter",
    torch.searchsorted(unsorted, torch.tensor([2, 6]), sorter=unsorted.argsort()),
)
print(
    "searchsorted batched",
    torch.searchsorted(
        torch.tensor([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]), torch.tensor([[2.5], [5.0]])
    ),
)
print("searchsorted scalar", torch.searchsorted(bounds, 4), torch.bucketize(4, bounds))
print(
    "histc", torch.histc(torch.tensor([0.0, 0.5, 1.0, 1.0, 2.5, 3.0, -1.0]), bins=3, min=0, max=3)
)
print("histc auto range", torch.histc(torch.tensor([1.0, 2.0, 2.0, 4.0]), bins=4))

# -- index generators ----------------------------------------------------------------------------
print(
    "tril_indices",
    torch.tril_indices(3, 3),
    torch.tril_indices(3, 4, offset=1).shape,
    torch.triu_indices(4, 3, offset=-1).shape,
)
print(
    "combinations",
    torch.combinations(torch.tensor([1, 2, 3])).tolist(),
    torch.combinations(torch.tensor([1, 2]), r=2, with_replacement=True).tolist(),
)
gx, gy = torch.meshgrid(torch.arange(2), torch.arange(3), indexing="xy")
print(
    "meshgrid xy",
    gx.tolist(),
    gy.tolist(),
    torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")[0].shape,
)

# -- rearranging ---------------------------------------------------------------------------------
m = torch.arange(6).view(2, 3)
print(
    "rot90",
    torch.rot90(m).tolist(),
    torch.rot90(m, 2).tolist(),
    torch.rot90(m, -1, (0, 1)).tolist(),
)
print(
    "roll",
    torch.roll(m, 1).tolist(),
    torch.roll(m, (1, -1), (0, 1)).tolist(),
    torch.roll(m, -4, 1).tolist(),
)
print(
    "diag_embed",
    torch.diag_embed(torch.tensor([[1, 2], [3, 4]]), offset=1).shape,
    torch.diag_embed(torch.tensor([1, 2]))[1],
)
print(
    "diagflat",
    torch.diagflat(torch.tensor([[1, 2], [3, 4]])).shape,
    torch.diagflat(torch.tensor([1, 2]), -1).tolist(),
)
print("diagonal_scatter", torch.diagonal_scatter(torch.zeros(3, 3), torch.ones(2), 1).tolist())
print(
    "tensor_split",
    [t.tolist() for t in torch.arange(7).tensor_split(3)],
    [t.tolist() for t in torch.arange(7).tensor_split([1, 5])],
    [t.shape for t in torch.arange(12).view(3, 4).tensor_split(torch.tensor([1, 3]), dim=1)],
)
print(
    "hsplit/vsplit",
    [t.shape for t in torch.ones(4, 6).hsplit(3)],
    [t.shape for t in torch.ones(4, 6).vsplit([1])],
)
print(
    "unflatten",
    torch.ones(2, 12).unflatten(1, (3, -1)).shape,
    "movedim",
    torch.ones(2, 3, 4).movedim((0, 1), (2, 0)).shape,
)
print(
    "Tensor.unfold",
    torch.arange(7).unfold(0, 3, 2).tolist(),
    torch.arange(12).view(3, 4).unfold(1, 2, 1).shape,
)
print(
    "repeat_interleave",
    torch.tensor([1, 2, 3]).repeat_interleave(torch.tensor([2, 0, 1])),
    torch.repeat_interleave(torch.tensor([2, 1])),
    torch.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=0).tolist(),
    torch.tensor([5, 6]).repeat_interleave(torch.tensor([1, 2]), output_size=3),
)
print(
    "narrow / select / index_select",
    m.narrow(1, 1, 2).tolist(),
    m.select(1, -1),
    m.index_select(1, torch.tensor([2, 2, 0])).tolist(),
)
print(
    "as_strided",
    torch.arange(9).as_strided((2, 2), (3, 1), 4).tolist(),
    "view_as_real? no complex here",
)
print(
    "flatten ranges",
    torch.ones(2, 3, 4, 5).flatten(1, 2).shape,
    torch.ones(2, 3).ravel().shape,
    torch.ones(2, 1, 3).squeeze((0, 1)).shape,
)

# -- pointwise helpers -------------------------------------------------------------------------
a = torch.tensor([1.0, -2.0, 0.5, 0.0], dtype=dt)
b = torch.tensor([3.0, 0.5, -1.0, -0.0], dtype=dt)
print(
    "lerp", torch.lerp(a, b, 0.25), torch.lerp(a, b, torch.tensor([0.0, 0.5, 1.0, 2.0], dtype=dt))
)
print(
    "addcmul",
    torch.addcmul(a, a, b, value=2),
    "addcdiv",
    torch.addcdiv(a, a, b.clamp(min=0.5), value=-1),
)
print(
    "logaddexp", torch.logaddexp(a, b).round(decimals=6), torch.logaddexp2(a, b).round(decimals=6)
)
print(
    "hypot",
    torch.hypot(a, b).round(decimals=6),
    "copysign",
    torch.copysign(a, b),
    torch.copysign(torch.tensor([1, 2]), -1.0),
)
print("nextafter", torch.nextafter(torch.tensor([1.0, 0.0]), torch.tensor([2.0, -1.0])).tolist())
mant, ex = torch.frexp(torch.tensor([8.0, 0.3, -5.0, 0.0]))
print("frexp", mant, ex, "ldexp", torch.ldexp(mant, ex))
print(
    "heaviside",
    torch.heaviside(a, torch.tensor([0.5], dtype=dt)),
    "xlogy",
    torch.xlogy(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 3.0])).round(decimals=6),
)
print(
    "float_power",
    torch.float_power(torch.tensor([2, 3]), 2),
    torch.float_power(torch.tensor([2.0]), -1).dtype,
)
print(
    "trunc/frac/round half even",
    torch.tensor([-2.5, -0.5, 0.5, 1.5, 2.5]).round(),
    torch.tensor([-2.7, 2.7]).trunc(),
    torch.tensor([-2.7, 2.7]).frac(),
)
print(
    "round decimals",
    torch.tensor([1.2345, 123.456]).round(decimals=2),
    torch.tensor([1234.5]).round(decimals=-2),
)
print(
    "sgn/sign/signbit",
    torch.tensor([-0.0, 0.0, -3.0]).sign(),
    torch.tensor([-0.0, 0.0, -3.0]).signbit(),
    torch.tensor([-2, 0, 5]).sgn(),
)
print(
    "gcd/lcm",
    torch.gcd(torch.tensor([12, -18, 0]), torch.tensor([8, 12, 5])),
    torch.lcm(torch.tensor([4, 6, 0]), torch.tensor([6, -4, 3])),
)
print(
    "clamp tensor bounds",
    torch.arange(5.0).clamp(torch.tensor([1.0, 0, 0, 0, 5]), torch.tensor(3.0)),
    torch.arange(5).clamp(max=torch.tensor([4, 3, 2, 1, 0])),
)


# -- gradients -------------------------------------------------------------------------------
def g(fn, *values):
    xs = [torch.tensor(v, dtype=dt, requires_grad=True) for v in values]
    out = fn(*xs)
    out.backward(torch.ones_like(out))
    return [
        None if x.grad is None else x.grad.round(decimals=6).tolist() for x in xs
    ], out.grad_fn.name()


print(
    "take_along_dim",
    g(
        lambda t: torch.take_along_dim(t, torch.tensor([[1, 1], [0, 2]]), 1),
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
    ),
)
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    print(
        f"scatter_reduce {reduce}",
        g(
            lambda s, v: s.scatter_reduce(0, torch.tensor([0, 0, 1, 1]), v, reduce),
            [1.0, 2.0, 3.0],
            [2.0, 2.0, 0.0, 5.0],
        ),
    )
print(
    "index_reduce prod",
    g(
        lambda s, v: s.index_reduce(0, torch.tensor([0, 0, 2]), v, "prod"),
        [1.0, 2.0, 3.0],
        [2.0, 4.0, 5.0],
    ),
)
print("lerp", g(lambda p, q, w: torch.lerp(p, q, w), [1.0, 2.0], [3.0, -1.0], [0.25, 0.5]))
print("addcdiv", g(lambda p, q, r: torch.addcdiv(p, q, r, value=0.5), [1.0], [2.0], [4.0]))
print(
    "logaddexp",
    g(torch.logaddexp, [0.0, 1.0], [1.0, -1.0]),
    "hypot",
    g(torch.hypot, [3.0, 0.0], [4.0, 0.0]),
)
print(
    "copysign",
    g(torch.copysign, [1.0, -2.0, 3.0], [-1.0, 1.0, -0.0]),
    "xlogy",
    g(torch.xlogy, [0.0, 2.0], [0.0, 3.0]),
)
print(
    "rot90/roll/diag_embed",
    g(
        lambda t: torch.rot90(t).roll(1, 0) * torch.arange(4.0, dtype=dt).view(2, 2),
        [[1.0, 2.0], [3.0, 4.0]],
    ),
    g(lambda t: torch.diag_embed(t) * 2, [1.0, 2.0]),
)
print(
    "repeat_interleave",
    g(
        lambda t: (
            t.repeat_interleave(torch.tensor([3, 1])) * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=dt)
        ),
        [1.0, 1.0],
    ),
)
print("Tensor.unfold", g(lambda t: t.unfold(0, 3, 1), [1.0, 2.0, 3.0, 4.0, 5.0]))
print(
    "float_power",
    g(lambda t: torch.float_power(t, 3), [2.0, -1.0]),
    "frexp mantissa not differentiable:",
    torch.frexp(torch.tensor([3.0], requires_grad=True))[0].requires_grad,
)
print("clamp tensor bounds", g(lambda t, lo: t.clamp(min=lo), [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]))

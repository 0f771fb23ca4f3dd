"""Tensor-manipulation exercises in the style of "100 numpy exercises" ported to torch: each
prints its answer. einsum (traces, batch matmul, bilinear forms, outer products, implicit
output), tensordot with int and list dims, kron, diag_embed, movedim, take_along_dim,
masked_scatter/masked_select/masked_fill, nan-aware reductions (nanmean, nansum,
nanmedian, nan_to_num), aminmax/std_mean/corrcoef, lerp/addcmul/addcdiv/baddbmm,
logaddexp/hypot/atan2/copysign/heaviside, floor_divide/fmod/remainder on negatives, bitwise
ops and shifts, frexp/ldexp, renorm, trapezoid/cumulative_trapezoid."""

import math

import torch

torch.manual_seed(0)


def show(title, value):
    print(f"-- {title}")
    print(value)


# -- einsum ----------------------------------------------------------------------------------
A = torch.arange(9.).view(3, 3)
B = torch.arange(6.).view(3, 2)
v = torch.tensor([1., -1., 2.])
show("trace", torch.einsum("ii", A))
show("diagonal", torch.einsum("ii->i", A))
show("row sums", torch.einsum("ij->i", A))
show("matmul", torch.einsum("ij,jk->ik", A, B))
show("implicit output (transpose product)", torch.einsum("ij,ik", A, B))
show("bilinear v^T A v", torch.einsum("i,ij,j->", v, A, v))
show("outer", torch.einsum("i,j->ij", v, torch.tensor([1., 10.])))
batch = torch.randn(2, 3, 4)
other = torch.randn(2, 4, 5)
show("batched matmul", torch.allclose(torch.einsum("bij,bjk->bik", batch, other), batch @ other))
show("ellipsis", torch.einsum("...ij->...ji", batch).shape)
show("sublist format", torch.einsum(A, [0, 1], B, [1, 2], [0, 2]))

# -- tensordot, kron, diag_embed, movedim ---------------------------------------------------
x = torch.arange(24.).view(2, 3, 4)
y = torch.arange(12.).view(4, 3)
show("tensordot dims=1", torch.tensordot(x, y, dims=1).shape)
show("tensordot dims=([1,2],[1,0])", torch.tensordot(x, y, dims=([1, 2], [1, 0])))
show("tensordot dims=0", torch.tensordot(v, torch.tensor([2., 3.]), dims=0))
show("kron", torch.kron(torch.eye(2), torch.tensor([[1., 2.], [3., 4.]])))
show("kron ints", torch.kron(torch.tensor([1, 2, 3]), torch.tensor([1, 10])))
show("diag_embed", torch.diag_embed(torch.tensor([[1., 2.], [3., 4.]]), offset=1))
show("movedim", torch.movedim(x, (0, 1), (2, 0)).shape)
show("moveaxis + contiguous", torch.moveaxis(x, -1, 0).is_contiguous())

# -- gathering -------------------------------------------------------------------------------
scores = torch.randn(3, 5)
order = scores.argsort(dim=1, descending=True)
show("take_along_dim (sorted rows)", torch.take_along_dim(scores, order, dim=1))
show("take_along_dim no dim", torch.take_along_dim(scores, torch.tensor([0, 7, 14])))
m = scores > 0
show("masked_select", scores.masked_select(m))
show("masked_scatter", torch.zeros(3, 5).masked_scatter(m, torch.arange(1., 16.)))
show("masked_fill -inf then softmax", scores.masked_fill(~m, float("-inf")).softmax(-1))
show("msort", torch.msort(torch.tensor([[3, 1], [1, 2], [2, 0]])))

# -- NaN-aware statistics -----------------------------------------------------------------------
data = torch.tensor([[1., float("nan"), 3.], [float("nan"), float("nan"), 6.], [7., 8., 9.]])
show("nanmean dim 0", data.nanmean(0))
show("nansum", data.nansum(), )
show("nanmedian dim 1", data.nanmedian(dim=1))
show("mean (propagates nan)", data.mean(1))
show("nan_to_num", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.]).nan_to_num(
    nan=0.0, posinf=99.0))
show("isnan count", data.isnan().sum(0))
show("aminmax", torch.aminmax(torch.tensor([[3, -1, 7], [2, 9, 0]]), dim=1))
show("std_mean", torch.std_mean(torch.tensor([[1., 2., 3., 4.], [2., 2., 2., 2.]]), dim=1))
show("var unbiased=False", torch.var(torch.tensor([1., 2., 3., 4.]), correction=0))
obs = torch.tensor([[1., 2., 3., 4.], [2., 4., 6., 8.5], [4., 3., 2., 1.]])
show("corrcoef", torch.corrcoef(obs))
show("cov with weights", torch.cov(obs, fweights=torch.tensor([1, 2, 1, 1])))

# -- fused arithmetic ---------------------------------------------------------------------------
a, b = torch.tensor([0., 1., 2.]), torch.tensor([10., 20., 30.])
show("lerp", torch.lerp(a, b, 0.25))
show("lerp tensor weight", torch.lerp(a, b, torch.tensor([0., 0.5, 1.])))
show("addcmul", torch.addcmul(a, a, b, value=0.5))
show("addcdiv", torch.addcdiv(a, b, b + 1, value=2))
show("baddbmm", torch.baddbmm(torch.ones(2, 2, 2), torch.eye(2).expand(2, 2, 2),
                              torch.arange(8.).view(2, 2, 2), beta=0.5, alpha=2))
show("addmm", torch.addmm(torch.ones(2), torch.eye(2), torch.tensor([[1., 2.], [3., 4.]])))

# -- elementwise special cases --------------------------------------------------------------------
p = torch.tensor([-3., -0.5, 0., 0.5, 3.])
show("logaddexp", torch.logaddexp(p, p.flip(0)))
show("logaddexp big", torch.logaddexp(torch.tensor(1000.), torch.tensor(1000.)))
show("hypot", torch.hypot(torch.tensor([3., 5.]), torch.tensor([4., 12.])))
show("atan2 quadrants", torch.atan2(torch.tensor([1., 1., -1., -1., 0., -0.]),
                                    torch.tensor([1., -1., -1., 1., -1., -1.])))
show("copysign", torch.copysign(torch.tensor([1., 2., 3.]), torch.tensor([-0., 0., -5.])))
show("heaviside", torch.heaviside(p, torch.tensor(0.5)))
ints = torch.tensor([-7, -3, 3, 7])
show("floor_divide", torch.floor_divide(ints, 2))
show("div trunc / floor", (torch.div(ints, 2, rounding_mode="trunc"),
                           torch.div(ints, 2, rounding_mode="floor")))
show("fmod vs remainder", (torch.fmod(ints, 3), torch.remainder(ints, 3)))
show("fmod float", torch.fmod(torch.tensor([-7.5, 7.5]), -2))
show("bitwise", (torch.bitwise_and(ints, 6), torch.bitwise_or(ints, 1), torch.bitwise_xor(ints, 5),
                 torch.bitwise_not(ints)))
show("shifts", (torch.tensor([1, 2, 3]) << 2, torch.tensor([-16, 16]) >> 2,
                torch.bitwise_left_shift(torch.tensor([1], dtype=torch.uint8), 7)))
mant, expo = torch.frexp(torch.tensor([0., 1., 8., -0.375, 1000.]))
show("frexp", (mant, expo))
show("ldexp", torch.ldexp(mant, expo))
show("renorm", torch.renorm(torch.tensor([[3., 4.], [0.3, 0.4], [6., 8.]]), p=2, dim=0, maxnorm=1))

# -- integration ---------------------------------------------------------------------------------
t = torch.linspace(0, math.pi, 9)
show("trapezoid sin", torch.trapezoid(torch.sin(t), t))
show("trapezoid dx", torch.trapezoid(torch.tensor([1., 2., 3.]), dx=0.5))
show("cumulative_trapezoid", torch.cumulative_trapezoid(torch.tensor([1., 2., 3., 4.])))

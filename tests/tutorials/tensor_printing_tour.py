"""Tensor manipulation and printing, as in the tensor tutorials and the docs' examples:
torch.where (3-argument and 1-argument), nonzero(as_tuple=...), bincount with weights,
histc, histogram, bucketize, searchsorted, cumprod, kthvalue, mode, median, unique with
counts along a dim, meshgrid, cartesian_prod, combinations, tril_indices, roll, flip,
rot90, diff, chunk/split/tensor_split, repeat/tile/repeat_interleave; then printing:
torch.set_printoptions (precision, sci_mode, linewidth, edgeitems, threshold, profiles),
and the repr of int, bool, float16, float64 and empty tensors."""

import torch

torch.manual_seed(2024)

# -- selecting ---------------------------------------------------------------------------------
x = torch.randn(3, 2)
y = torch.ones(3, 2)
print(torch.where(x > 0, 1.0, 0.0))
print(torch.where(x > 0, x, y))
x = torch.randn(2, 2, dtype=torch.double)
print(torch.where(x > 0, x, 0.))
print(torch.where(torch.tensor([[0.6, 0.0, 0.0, 0.0], [0.0, 0.4, 0.0, 0.0],
                                [0.0, 0.0, 1.2, 0.0], [0.0, 0.0, 0.0, -0.4]])))
print(torch.nonzero(torch.tensor([1, 1, 1, 0, 1])))
print(torch.nonzero(torch.tensor([[0.6, 0.0, 0.0, 0.0], [0.0, 0.4, 0.0, 0.0],
                                  [0.0, 0.0, 1.2, 0.0], [0.0, 0.0, 0.0, -0.4]]), as_tuple=True))
print(torch.argwhere(torch.tensor([[1, 0, 1], [0, 1, 1]])))
print(torch.count_nonzero(torch.tensor([[0, 1, 2], [3, 0, 0]]), dim=0))

# -- counting ----------------------------------------------------------------------------------
input = torch.randint(0, 8, (5,), dtype=torch.int64)
weights = torch.linspace(0, 1, steps=5)
print(input, weights)
print(torch.bincount(input))
print(input.bincount(weights))
print(torch.bincount(torch.tensor([1, 1, 3]), minlength=6))
print(torch.histc(torch.tensor([1., 2, 1]), bins=4, min=0, max=3))
print(torch.histc(torch.randn(100), bins=5))
hist = torch.histogram(torch.tensor([1., 2, 1]), bins=4, range=(0., 3.),
                       weight=torch.tensor([1., 2., 4.]))
print(hist)
print(torch.histogram(torch.tensor([1., 2, 1]), bins=4, range=(0., 3.),
                      weight=torch.tensor([1., 2., 4.]), density=True))
boundaries = torch.tensor([1, 3, 5, 7, 9])
v = torch.tensor([[3, 6, 9], [3, 6, 9]])
print(torch.bucketize(v, boundaries))
print(torch.bucketize(v, boundaries, right=True))
sorted_sequence = torch.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]])
print(torch.searchsorted(sorted_sequence, torch.tensor([[3, 6, 9], [3, 6, 9]])))
print(torch.searchsorted(sorted_sequence, torch.tensor([[3, 6, 9], [3, 6, 9]]), right=True))
print(torch.searchsorted(torch.tensor([1, 3, 5, 7, 9]), 6))

# -- order statistics --------------------------------------------------------------------------
a = torch.randn(4, 5)
print(a)
print(torch.cumprod(a, dim=1))
print(torch.kthvalue(a, 2, 0, True))
print(torch.median(a, 1))
print(torch.median(torch.tensor([1., 4., 2., 3.])),
      torch.nanmedian(torch.tensor([1., float("nan"), 2.])))
print(torch.mode(torch.tensor([[1, 2, 2, 3], [4, 4, 1, 1]]), 1))
print(torch.quantile(torch.tensor([0., 1., 2., 3.]), torch.tensor([0.25, 0.5, 0.75]),
                     interpolation="midpoint"))
print(torch.quantile(a, 0.3, dim=1, keepdim=True))
print(torch.logcumsumexp(torch.tensor([0., 1., 2.]), 0))
print(torch.cummin(torch.tensor([3, 1, 2, 0, 5]), 0))
print(torch.unique(torch.tensor([[1, 2], [1, 2], [3, 4]]), dim=0, return_counts=True))
print(torch.unique(torch.tensor([[1, 2, 1], [3, 4, 3]]), dim=1, return_inverse=True))
print(torch.unique(torch.tensor([2., 1., 2., float("nan")]), sorted=True, return_counts=True))

# -- building ----------------------------------------------------------------------------------
gx, gy = torch.meshgrid(torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6]), indexing="ij")
print(gx, gy)
print(torch.equal(torch.cat(tuple(torch.dstack([gx, gy]))),
                  torch.cartesian_prod(torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6]))))
xs, ys = torch.meshgrid(torch.linspace(-1, 1, 3), torch.linspace(0, 1, 2), indexing="xy")
print(xs, ys)
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([5])))
print(torch.combinations(torch.tensor([1, 2, 3])))
print(torch.combinations(torch.tensor([1, 2, 3]), r=2, with_replacement=True))
print(torch.tril_indices(3, 3), torch.triu_indices(3, 4, 1))
b = torch.arange(1, 9).view(4, 2)
print(torch.roll(b, 1), torch.roll(b, shifts=(2, 1), dims=(0, 1)))
print(torch.flip(b, [0, 1]), torch.fliplr(b), torch.rot90(b, 1, [0, 1]))
print(torch.diff(torch.tensor([1, 3, 2])), torch.diff(b, dim=0, prepend=b[:1]))
print(torch.arange(11).chunk(6), torch.arange(7).split([1, 2, 4]))
print(torch.arange(8).tensor_split(3), torch.arange(7).tensor_split((1, 6)))
print(torch.tensor([1, 2, 3]).repeat(4, 2).shape, torch.tensor([1, 2]).tile((2, 2)))
print(torch.repeat_interleave(torch.tensor([[1, 2], [3, 4]]), torch.tensor([1, 2]), dim=0))
print(torch.repeat_interleave(torch.tensor([1, 2, 3])))
print(torch.block_diag(torch.tensor([[1, 2]]), torch.tensor([[3], [4]])))
print(torch.vander(torch.tensor([1, 2, 3, 5]), N=3, increasing=True))

# -- printing ----------------------------------------------------------------------------------
print(torch.tensor([1, -2, 300]), torch.tensor([True, False]), torch.tensor([], dtype=torch.int64))
print(torch.tensor([0.5, 1.25, -3.0], dtype=torch.float16))
print(torch.tensor([1e-5, 3.0], dtype=torch.float16), torch.tensor([65504.], dtype=torch.half))
print(torch.tensor([1 / 3, 2.0], dtype=torch.float64), torch.tensor(2.5, dtype=torch.float64))
print(torch.tensor([1.0, float("inf"), float("nan"), -float("inf")]))
print(torch.zeros(2, 0, 3), torch.tensor(7))
print(torch.tensor([1e-8, 1.0]), torch.tensor([1e8, 1.0]), torch.tensor([123456789.0]))
print(torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8), torch.tensor([-1], dtype=torch.int8))
print(torch.tensor([2, 3], dtype=torch.int16) * 1000, torch.arange(3, dtype=torch.int32))
print(torch.randn(2, 3, requires_grad=True) * 2)
torch.set_printoptions(precision=2)
print(torch.tensor([1.12345, 2.5, 1e-3]), torch.tensor([3.14159], dtype=torch.float64))
torch.set_printoptions(precision=6, sci_mode=True)
print(torch.tensor([1.5, 20.0]))
torch.set_printoptions(sci_mode=False)
print(torch.tensor([1e-6, 1e6]))
torch.set_printoptions(precision=4, sci_mode=None, threshold=20, edgeitems=2)
print(torch.arange(100.))
print(torch.arange(60).reshape(6, 10))
torch.set_printoptions(linewidth=40, threshold=1000)
print(torch.randn(3, 9))
print(torch.arange(30))
torch.set_printoptions(profile="short")
print(torch.randn(8, 8))
torch.set_printoptions(profile="full")
print(torch.arange(1200).reshape(30, 40)[:2, :30])
torch.set_printoptions(profile="default")
print(torch.arange(2000.).reshape(40, 50))
print(torch.randn(2, 2).to(torch.float16), torch.randn(3) > 0)
print(torch.tensor([1.0, 2.0]).numpy().dtype, torch.tensor([1, 2]).tolist(),
      torch.tensor(3.5).item())

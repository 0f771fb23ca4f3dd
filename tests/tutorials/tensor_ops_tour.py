"""A tour of tensor operations in the style of the PyTorch docs' examples: einsum, scatter and
gather, index_add_, masked_fill, topk, sort, unique, cumsum, broadcasting, dtype promotion,
and printing (large tensors with summarisation, torch.set_printoptions)."""

import torch

torch.manual_seed(0)

# -- einsum ----------------------------------------------------------------------------------
a = torch.arange(6.).reshape(2, 3)
b = torch.arange(12.).reshape(3, 4)
print(torch.einsum("ij,jk->ik", a, b))
print(torch.einsum("ii", torch.arange(9.).reshape(3, 3)))        # trace
print(torch.einsum("ij->ji", a))                                 # transpose
print(torch.einsum("i,j->ij", torch.arange(3.), torch.arange(4.)))  # outer product
x = torch.randn(2, 3, 4)
y = torch.randn(2, 4, 5)
print(torch.einsum("bij,bjk->bik", x, y).shape)
print(torch.allclose(torch.einsum("bij,bjk->bik", x, y), torch.bmm(x, y)))
print(torch.einsum("...ij->...ji", x).shape)
print(torch.einsum("i,i->", torch.tensor([1., 2., 3.]), torch.tensor([4., 5., 6.])))

# -- scatter / gather ------------------------------------------------------------------------
src = torch.arange(1, 11).reshape((2, 5))
index = torch.tensor([[0, 1, 2, 0]])
print(torch.zeros(3, 5, dtype=src.dtype).scatter_(0, index, src))
index = torch.tensor([[0, 1, 2], [0, 1, 4]])
print(torch.zeros(3, 5, dtype=src.dtype).scatter_(1, index, src))
print(torch.full((2, 4), 2.).scatter_(1, torch.tensor([[2], [3]]), 1.23, reduce="multiply"))
print(torch.full((2, 4), 2.).scatter_(1, torch.tensor([[2], [3]]), 1.23, reduce="add"))
t = torch.tensor([[1, 2], [3, 4]])
print(torch.gather(t, 1, torch.tensor([[0, 0], [1, 0]])))
print(torch.tensor([1., 2., 3., 4., 5., 6.]).scatter_reduce(
    0, torch.tensor([0, 1, 0, 1, 2, 1]), torch.tensor([5., 6., 7., 8., 9., 10.]), reduce="amax"))
print(torch.zeros(3).scatter_add(0, torch.tensor([0, 1, 0, 2, 2]), torch.ones(5)))

# -- index_add_, index_select, masked_fill, where ----------------------------------------------
x = torch.ones(5, 3)
t = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], dtype=torch.float)
index = torch.tensor([0, 4, 2])
print(x.index_add_(0, index, t))
print(x.index_add(0, index, t, alpha=-1))
print(torch.index_select(t, 1, torch.tensor([0, 2])))
m = torch.randn(3, 4)
print(m.masked_fill(m > 0, 0.0))
print(torch.where(m > 0, m, torch.zeros_like(m)))
print(m[m > 0.5])
print(torch.masked_select(m, m < -0.5))
print(torch.nonzero(m > 0))

# -- topk, sort, argsort, unique, cumsum, kthvalue ------------------------------------------------
x = torch.arange(1., 6.)
print(torch.topk(x, 3))
v = torch.randn(3, 4)
print(torch.sort(v))
print(torch.sort(v, 0, descending=True))
print(torch.argsort(v, dim=1))
print(torch.sort(torch.tensor([3, 1, 2, 1, 3, 0]), stable=True))
print(torch.unique(torch.tensor([1, 3, 2, 3, 1, 1])))
output, inverse_indices, counts = torch.unique(
    torch.tensor([[1, 3], [2, 3]], dtype=torch.long), sorted=True, return_inverse=True,
    return_counts=True)
print(output, inverse_indices, counts)
print(torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_counts=True))
print(torch.cumsum(torch.arange(1, 6), dim=0))
print(torch.cumprod(torch.tensor([1., 2., 3., 4.]), dim=0))
print(torch.cummax(torch.tensor([1., 3., 2., 5., 4.]), dim=0))
print(torch.kthvalue(torch.tensor([5., 1., 4., 2., 3.]), 2))
print(torch.argmax(v, dim=1), torch.argmin(v), v.max(dim=0))

# -- broadcasting --------------------------------------------------------------------------------
x = torch.empty(5, 1, 4, 1)
y = torch.empty(3, 1, 1)
print((x + y).size())
print(torch.broadcast_shapes((5, 1, 4, 1), (3, 1, 1)))
x, y = torch.broadcast_tensors(torch.arange(3).view(3, 1), torch.arange(2))
print(x, y)
try:
    torch.empty(5, 2, 4, 1) + torch.empty(3, 1, 1)
except RuntimeError as e:
    print("RuntimeError:", e)
print(torch.arange(3).view(3, 1) * torch.arange(4))

# -- dtype promotion ----------------------------------------------------------------------------
float_tensor = torch.ones(1, dtype=torch.float)
double_tensor = torch.ones(1, dtype=torch.double)
int_tensor = torch.ones(1, dtype=torch.int)
long_tensor = torch.ones(1, dtype=torch.long)
uint_tensor = torch.ones(1, dtype=torch.uint8)
bool_tensor = torch.ones(1, dtype=torch.bool)
long_zerodim = torch.tensor(1, dtype=torch.long)
int_zerodim = torch.tensor(1, dtype=torch.int)
print(torch.add(5, 5).dtype)
print((int_tensor + 5).dtype)
print((int_tensor + long_zerodim).dtype)
print((long_tensor + int_tensor).dtype)
print((bool_tensor + long_tensor).dtype)
print((bool_tensor + uint_tensor).dtype)
print((float_tensor + double_tensor).dtype)
print((bool_tensor + int_tensor).dtype)
print(torch.add(long_tensor, float_tensor).dtype)
print((int_zerodim / 2).dtype, (int_tensor // 2).dtype, (uint_tensor * 2.5).dtype)
print(torch.result_type(torch.tensor([1, 2], dtype=torch.int), 1.0))
print(torch.promote_types(torch.int32, torch.float32), torch.can_cast(torch.double, torch.float))
float_tensor *= float_tensor
float_tensor *= int_tensor
float_tensor *= uint_tensor
float_tensor *= bool_tensor
float_tensor *= double_tensor
print(float_tensor)
try:
    int_tensor *= float_tensor
except RuntimeError as e:
    print("RuntimeError:", e)

# -- printing -------------------------------------------------------------------------------------
print(torch.arange(2000))
print(torch.arange(2000.).reshape(40, 50))
print(torch.randn(3, 1001))
print(torch.tensor([1e-8, 1., 1000.]))
print(torch.tensor([1e10, 1.]))
print(torch.tensor([0.1, float("nan"), float("inf"), -float("inf")]))
print(torch.tensor([[1, -2], [300, 4]], dtype=torch.int16))
print(torch.tensor([True, False]))
print(torch.zeros(2, 0, 3))
print(torch.tensor(3.14159, dtype=torch.float64))
print(torch.randn(2, 3, dtype=torch.float64))
print(torch.randn(2, 2).half())
print(torch.randn(2, 2, requires_grad=True) * 2)

torch.set_printoptions(precision=2)
print(torch.tensor([1.12345, 2.98765]))
torch.set_printoptions(threshold=5)
print(torch.arange(10))
torch.set_printoptions(threshold=5, edgeitems=2)
print(torch.arange(100).reshape(10, 10))
torch.set_printoptions(sci_mode=True)
print(torch.tensor([0.1, 1.0, 10.0]))
torch.set_printoptions(profile="default")
print(torch.tensor([0.1, 1.0, 10.0]))
torch.set_printoptions(linewidth=40)
print(torch.randn(2, 12))
torch.set_printoptions(profile="short")
print(torch.randn(3, 3))
torch.set_printoptions(profile="full")
print(torch.arange(1200).shape, len(str(torch.arange(1200))))
torch.set_printoptions(profile="default")
print(torch.arange(1200))

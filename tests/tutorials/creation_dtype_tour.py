"""Tensor creation and dtype inference, as a learner explores it: torch.tensor on nested
lists of bools/ints/floats, arange/linspace/logspace with float steps and dtypes, full and
the *_like family with dtype=, eye, tril/triu_indices, meshgrid with both indexings, the
default dtype switched to float64 and back, result_type/promote_types/can_cast, finfo/iinfo."""

import math

import torch

torch.manual_seed(0)


def show(name, t):
    print(f"{name}: {t.dtype} {tuple(t.shape)} {t.tolist()}")


# -- torch.tensor infers the dtype from Python values ----------------------------------------------
show("ints", torch.tensor([1, 2, 3]))
show("floats", torch.tensor([1.0, 2.5]))
show("mixed int+float", torch.tensor([1, 2.5, 3]))
show("bools", torch.tensor([True, False]))
show("bool+int", torch.tensor([True, 2]))
show("bool+float", torch.tensor([[True, 0.5], [False, 1]]))
show("nested 3-d", torch.tensor([[[1], [2]], [[3], [4]]]))
show("empty", torch.tensor([]))
show("empty nested", torch.tensor([[], []]))
show("scalar", torch.tensor(7))
show("big int", torch.tensor([2**40]))
show("from tuple", torch.tensor(((1, 2), (3, 4))))
show("inf/nan", torch.tensor([math.inf, -math.inf, 0.0]))
print(torch.tensor([math.nan, 1.0]))
show("explicit dtype", torch.tensor([1, 2], dtype=torch.float64))
show("float to int dtype", torch.tensor([1.7, -1.7], dtype=torch.int32))
show("from tensors", torch.tensor([torch.tensor(1.5), torch.tensor(2.5)]))
show("as_tensor", torch.as_tensor([1, 2, 3], dtype=torch.int16))
for bad in ([[1, 2], [3]], [1, "a"], [[1], 2]):
    try:
        torch.tensor(bad)
    except Exception as e:  # noqa: BLE001
        print("tensor(", bad, ") ->", type(e).__name__)

# -- ranges ----------------------------------------------------------------------------------------
show("arange(5)", torch.arange(5))
show("arange(1, 4)", torch.arange(1, 4))
show("arange(0, 1, 0.25)", torch.arange(0, 1, 0.25))
show("arange(1.0, 2.0, 0.3)", torch.arange(1.0, 2.0, 0.3))
show("arange(5, dtype=float)", torch.arange(5, dtype=torch.float32))
show("arange(10, 0, -3)", torch.arange(10, 0, -3))
show("arange(0.5, 3)", torch.arange(0.5, 3))
show("arange int16", torch.arange(3, dtype=torch.int16))
print(torch.arange(-1, 1, 0.1))
print(len(torch.arange(0, 1, 0.1)), len(torch.arange(0, 0.3, 0.1)))
show("linspace(0, 1, 5)", torch.linspace(0, 1, 5))
show("linspace(-1, 1, 4)", torch.linspace(-1, 1, steps=4))
show("linspace 1 step", torch.linspace(3, 10, 1))
show("linspace int dtype", torch.linspace(0, 10, 4, dtype=torch.int64))
show("linspace float64", torch.linspace(0, 1, 3, dtype=torch.float64))
print(torch.linspace(0, 2 * math.pi, 7).sin())
show("logspace(0, 3, 4)", torch.logspace(0, 3, 4))
show("logspace base 2", torch.logspace(0, 4, 5, base=2))
show("logspace float64", torch.logspace(-2, 2, 5, dtype=torch.float64))
for args in ((0, 5, 0), (5, 0, 1), (0, 1, -0.1)):
    try:
        torch.arange(*args)
    except Exception as e:  # noqa: BLE001
        print("arange", args, "->", type(e).__name__)

# -- full, zeros, ones, empty, *_like --------------------------------------------------------------
show("full int", torch.full((2, 2), 7))
show("full float", torch.full((2,), 7.0))
show("full bool", torch.full((2,), True))
show("full dtype", torch.full((1, 3), 2, dtype=torch.float16))
base = torch.randn(2, 3)
show("zeros_like", torch.zeros_like(base))
show("ones_like long", torch.ones_like(base, dtype=torch.long))
show("full_like", torch.full_like(base, 0.5))
show("full_like int base", torch.full_like(torch.arange(3), 2.9))
print(
    "empty_like shape/dtype:",
    torch.empty_like(base, dtype=torch.float64).shape,
    torch.empty_like(base, dtype=torch.float64).dtype,
)
print("empty(0, 3):", torch.empty(0, 3), torch.empty(0, 3).shape)
show("zeros size list", torch.zeros([2, 1]))
show("ones int8", torch.ones(3, dtype=torch.int8))
show("rand_like shape", torch.tensor(torch.rand_like(base).shape))
show("randint", torch.randint(0, 10, (2, 4)))
show("randint_like", torch.randint_like(base, 5))
show("randn float64", torch.randn(2, dtype=torch.float64).round(decimals=4))
print(base.new_zeros(2), base.new_ones((1, 2), dtype=torch.int32), base.new_full((2,), 3.0))
print(base.new_tensor([1, 2]), base.new_tensor([1, 2]).dtype, base.new_empty(0).dtype)

# -- eye, diag, tri indices, meshgrid --------------------------------------------------------------
print(torch.eye(3))
print(torch.eye(2, 4, dtype=torch.int64))
print(torch.diag(torch.tensor([1, 2, 3])))
print(torch.diag(torch.arange(9).reshape(3, 3), 1))
print(torch.diag_embed(torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.tril_indices(3, 3))
print(torch.triu_indices(3, 4, offset=1))
print(torch.tril_indices(4, 3, -1))
print(torch.tril(torch.ones(3, 4), diagonal=1))
print(torch.triu(torch.arange(1, 10).reshape(3, 3), -1))
xs, ys = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
print(xs, ys, sep="\n")
xs, ys = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xy")
print(xs, ys, sep="\n")
gx, gy = torch.meshgrid(torch.linspace(-1, 1, 3), torch.linspace(0, 1, 2), indexing="xy")
print(torch.stack([gx, gy], dim=-1).shape, torch.stack([gx, gy], -1)[1, 2])
print(torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])))
print(torch.combinations(torch.tensor([1, 2, 3]), r=2))

# -- default dtype ---------------------------------------------------------------------------------
print("default:", torch.get_default_dtype())
torch.set_default_dtype(torch.float64)
print("now:", torch.get_default_dtype())
show("tensor float", torch.tensor([1.5]))
show("tensor int stays int", torch.tensor([1]))
show("zeros", torch.zeros(2))
show("arange float", torch.arange(0, 1, 0.5))
show("linspace", torch.linspace(0, 1, 3))
print("Linear weight:", torch.nn.Linear(2, 2).weight.dtype)
show("int tensor / 2", torch.tensor([1, 2]) / 2)
show("int tensor * 1.5", torch.tensor([1, 2]) * 1.5)
torch.set_default_dtype(torch.float32)
print("back:", torch.get_default_dtype())
try:
    torch.set_default_dtype(torch.int64)
except Exception as e:  # noqa: BLE001
    print("set_default_dtype(int64) ->", type(e).__name__)

# -- promotion -------------------------------------------------------------------------------------
i8, u8 = torch.tensor([1], dtype=torch.int8), torch.tensor([1], dtype=torch.uint8)
f16 = torch.tensor([1.0], dtype=torch.float16)
print((i8 + u8).dtype, (f16 + i8).dtype, (i8 + 1.5).dtype, (u8 + 300).dtype)
print((f16 + torch.tensor(1.0)).dtype, (f16 + torch.ones(1)).dtype, (i8 * True).dtype)
print((torch.tensor(1.0, dtype=torch.float64) + torch.ones(2)).dtype)
print((torch.tensor([1.0], dtype=torch.float64) + torch.ones(2)).dtype)
print((torch.tensor(True) + torch.tensor(True)).dtype, (torch.tensor([True]) * 2).dtype)
print((torch.arange(3) / 1).dtype, (torch.arange(3) // 2).dtype, (torch.arange(3) ** 2.0).dtype)
print(torch.result_type(torch.tensor([1, 2]), 1.0))
print(torch.result_type(torch.tensor([1, 2], dtype=torch.uint8), torch.tensor(1000)))
print(torch.result_type(2, 3.0), torch.result_type(True, 2))
print(torch.promote_types(torch.int32, torch.float16), torch.promote_types(torch.uint8, torch.int8))
print(
    torch.promote_types(torch.bool, torch.int16), torch.promote_types(torch.float16, torch.float64)
)
print(torch.can_cast(torch.float64, torch.float32), torch.can_cast(torch.float32, torch.int32))
print(torch.can_cast(torch.int32, torch.float16), torch.can_cast(torch.bool, torch.uint8))
print(torch.can_cast(torch.float16, torch.float64), torch.can_cast(torch.int64, torch.int8))
x = torch.zeros(3, dtype=torch.int32)
try:
    x += 1.5
except Exception as e:  # noqa: BLE001
    print("int32 += 1.5 ->", type(e).__name__)
x += 2
print(x, x.dtype)
y = torch.zeros(2)
y += torch.tensor([1, 2])
print(y, y.dtype)

# -- finfo / iinfo ---------------------------------------------------------------------------------
for dt in (torch.float16, torch.float32, torch.float64):
    fi = torch.finfo(dt)
    print(dt, fi.bits, fi.eps, fi.max, fi.min, fi.tiny, fi.resolution)
print(torch.finfo(torch.float32))
print(torch.finfo())
for dt in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
    ii = torch.iinfo(dt)
    print(dt, ii.bits, ii.min, ii.max)
print(torch.iinfo(torch.int32))
for dt in (torch.float32, torch.int64, torch.bool, torch.uint8, torch.float16):
    print(dt, dt.is_floating_point, dt.is_complex, dt.is_signed, dt.itemsize)
print(torch.tensor(1.0).element_size(), torch.tensor(1, dtype=torch.int16).element_size())
print(
    torch.is_floating_point(torch.tensor(1.0)), torch.is_tensor([1]), torch.numel(torch.ones(2, 3))
)

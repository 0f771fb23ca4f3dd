"""Dtype promotion and integer arithmetic, the corners a port gets wrong: int8/uint8
wraparound, true division of integers, floor_divide / remainder / fmod / div(rounding_mode)
with negative operands, bitwise and shift operators, bool arithmetic, Python scalars that do
not promote (int tensor * 2.5, uint8 + 300), result_type / promote_types / can_cast, type_as
and .to() truncation of floats to ints, float16 rounding and printing, iinfo and
finfo, in-place ops that must keep the left operand's dtype, and clamp/abs at integer limits."""

import torch

torch.manual_seed(0)

# -- wraparound ----------------------------------------------------------------------------------
a8 = torch.tensor([100, 120, -128, 127], dtype=torch.int8)
print("int8", a8, a8 + a8, a8 * 3, -a8, a8.abs())
u8 = torch.tensor([250, 3, 0, 128], dtype=torch.uint8)
print("uint8", u8, u8 + 10, u8 - 5, u8 * 2, u8 + 300)
print("uint8 sum promotes", u8.sum(), u8.sum().dtype, u8.cumsum(0).dtype, u8.prod().dtype)
print("int8 mean error?", end=" ")
try:
    a8.mean()
except RuntimeError as e:
    print(type(e).__name__)
print("int16 overflow", torch.tensor([30000], dtype=torch.int16) * 2)
print("int32 max + 1", torch.tensor([2**31 - 1], dtype=torch.int32) + 1)
i64 = torch.tensor([2**62, -(2**63)])
print("int64", i64, i64 * 2, i64.abs())

# -- division family with negatives ---------------------------------------------------------------
n = torch.tensor([7, -7, 7, -7, 0, 5])
d = torch.tensor([2, 2, -2, -2, 3, -5])
print("n / d", n / d, (n / d).dtype)
print("floor_divide", torch.floor_divide(n, d), n // d)
print(
    "div floor",
    torch.div(n, d, rounding_mode="floor"),
    "trunc",
    torch.div(n, d, rounding_mode="trunc"),
)
print("remainder", torch.remainder(n, d), n % d)
print("fmod", torch.fmod(n, d))
print(
    "scalar divisors",
    n // 3,
    n % 3,
    torch.fmod(n, 3),
    n % -3,
    torch.remainder(-7, torch.tensor([3, -3])),
)
f = torch.tensor([7.5, -7.5, 7.5, -7.5, -0.0, 1e-8])
g = torch.tensor([2.0, 2.0, -2.0, -2.0, 3.0, -1.0])
print("float floor_divide", f // g, "remainder", f % g, "fmod", torch.fmod(f, g))
print("div by zero float", torch.tensor([1.0, -1.0, 0.0]) / 0, torch.tensor([1.0, -1.0]) // 0.0)
print("int div by zero float result", torch.tensor([1, 0]) / torch.tensor([0, 0]))
print("int // int zero", end=" ")
try:
    torch.tensor([1]) // torch.tensor([0])
    print("no error")
except RuntimeError as e:
    print(type(e).__name__, str(e))
print("divmod identity", torch.equal((n // d) * d + n % d, n))

# -- bitwise and shifts ---------------------------------------------------------------------------
x = torch.tensor([0b1100, 0b1010, -1, 255], dtype=torch.int32)
y = torch.tensor([0b1010, 0b0110, 7, 1], dtype=torch.int32)
print("and", x & y, "or", x | y, "xor", x ^ y, "not", ~x)
print("shifts", x << 2, x >> 1, torch.tensor([1], dtype=torch.int8) << 7, torch.tensor([-16]) >> 2)
print(
    "bitwise_left_shift", torch.bitwise_left_shift(y, torch.tensor([1, 2, 3, 4], dtype=torch.int32))
)
print("popcount via shifts", sum(((x[3] >> k) & 1) for k in range(8)))
print("uint8 not", ~torch.tensor([0, 1, 254], dtype=torch.uint8))
flags = torch.tensor([True, False, True])
print("bool ops", flags & torch.tensor([True, True, False]), flags | False, flags ^ True, ~flags)
print("bitwise on float?", end=" ")
try:
    torch.tensor([1.0]) & torch.tensor([1.0])
except RuntimeError as e:
    print(type(e).__name__)

# -- bool arithmetic -----------------------------------------------------------------------------
m = torch.tensor([True, False, True, True])
print("bool sum", m.sum(), m.sum().dtype, "mean of float", m.float().mean())
print("bool + bool", m + m, (m + m).dtype, "bool * 3", m * 3, "bool * 1.5", m * 1.5)
print("bool + int8", (m + torch.ones(4, dtype=torch.int8)).dtype)
print("count_nonzero", torch.count_nonzero(m), "any/all", m.any(), m.all(), "cumsum", m.cumsum(0))
print("subtract bools?", end=" ")
try:
    m - m
except RuntimeError as e:
    print(type(e).__name__)
print("neg bool?", end=" ")
try:
    print(-m)
except RuntimeError as e:
    print(type(e).__name__)

# -- promotion ------------------------------------------------------------------------------------
pairs = [
    (torch.int8, torch.uint8),
    (torch.uint8, torch.int16),
    (torch.bool, torch.int8),
    (torch.int32, torch.float16),
    (torch.float16, torch.int64),
    (torch.int64, torch.float32),
    (torch.float32, torch.float64),
    (torch.bool, torch.float16),
    (torch.uint8, torch.int64),
]
for p, q in pairs:
    print(f"promote {str(p):14s} {str(q):15s} ->", torch.promote_types(p, q))
i = torch.tensor([1, 2, 3])
print("int * 2.5", i * 2.5, "int + True", i + True, "int / 2", i / 2, "int ** 2", i**2)
print("int ** -1?", end=" ")
try:
    i**-1
except RuntimeError as e:
    print(type(e).__name__)
print("int ** 0.5", i**0.5, "2 ** int", 2**i, "2.0 ** int", 2.0**i)
print("float16 tensor + float64 scalar", (torch.ones(2, dtype=torch.float16) + 1.5).dtype)
print(
    "int8 + 0-d int64",
    (torch.ones(2, dtype=torch.int8) + torch.tensor(1000)).dtype,
    torch.ones(2, dtype=torch.int8) + torch.tensor(1000),
)
print("int8 + 1-d int64", (torch.ones(2, dtype=torch.int8) + torch.tensor([1000])).dtype)
print("0-d float64 + float32", (torch.tensor(1.0, dtype=torch.float64) + torch.ones(2)).dtype)
print("0-d float + int tensor", (torch.tensor(1.0, dtype=torch.float64) + i).dtype)
print(
    "result_type",
    torch.result_type(i, 1.0),
    torch.result_type(torch.tensor(1, dtype=torch.uint8), -1),
    torch.result_type(2, 3.5),
)
print(
    "can_cast",
    torch.can_cast(torch.float32, torch.int32),
    torch.can_cast(torch.int32, torch.float32),
    torch.can_cast(torch.int64, torch.bool),
    torch.can_cast(torch.bool, torch.uint8),
)

# -- in-place keeps the left dtype ----------------------------------------------------------------
acc = torch.zeros(3, dtype=torch.int32)
acc += torch.tensor([1, 2, 3])
print("int32 += int64", acc, acc.dtype)
fl = torch.ones(3)
fl += torch.tensor([1, 2, 3])
fl *= 2
print("float += int", fl, fl.dtype)
print("int += float?", end=" ")
try:
    acc += 1.5
except RuntimeError as e:
    print(type(e).__name__)
acc.mul_(3)
print("mul_", acc, acc.add_(torch.tensor(1, dtype=torch.int64)).dtype)
u = torch.tensor([200], dtype=torch.uint8)
u += 100
print("uint8 += 100", u)

# -- float -> int conversions ---------------------------------------------------------------------
vals = torch.tensor([-2.7, -2.5, -0.5, 0.5, 1.5, 2.5, 2.7])
print("to int64 truncates", vals.to(torch.int64), vals.long(), vals.int().dtype)
print("round half even", vals.round(), torch.round(vals * 10, decimals=-1), vals.round(decimals=1))
print("floor/ceil/trunc/frac", vals.floor(), vals.ceil(), vals.trunc(), vals.frac())
print("type_as", vals.type_as(torch.tensor([1], dtype=torch.int16)), i.type_as(vals))
print("bool from float", torch.tensor([0.0, -0.0, 0.1, float("nan")]).bool())
print("int to bool to int", torch.tensor([0, 2, -3]).bool().long())
print(".type()", vals.type(), i.type(), vals.type(torch.int32))
print("to(other)", i.to(vals), i.to(dtype=torch.float64, copy=True).dtype)

# -- float16 --------------------------------------------------------------------------------------
h = torch.tensor([0.1, 1 / 3, 1000.7, 65504.0, 1e-4, 6e-8], dtype=torch.float16)
print("float16", h)
print("float16 -> float32", h.float())
print("float16 overflow", torch.tensor([70000.0]).half(), h * 2)
print(
    "half sum",
    torch.ones(3000, dtype=torch.float16).sum(),
    torch.full((10,), 0.1, dtype=torch.float16).sum(),
)
print(
    "half matmul",
    (torch.arange(4, dtype=torch.float16).view(2, 2) @ torch.ones(2, 2, dtype=torch.float16)),
)
print(
    "float32 eps add",
    torch.tensor(1.0) + 1e-8 == 1.0,
    torch.tensor(1.0, dtype=torch.float64) + 1e-8 == 1.0,
)
print("nextafter", torch.nextafter(torch.tensor(1.0), torch.tensor(2.0)) - 1.0)

# -- limits ---------------------------------------------------------------------------------------
for t in [torch.int8, torch.uint8, torch.int16, torch.int32, torch.int64]:
    ii = torch.iinfo(t)
    print("iinfo", t, ii.min, ii.max, ii.bits)
for t in [torch.float16, torch.float32, torch.float64]:
    fi = torch.finfo(t)
    print("finfo", t, fi.eps, fi.max, fi.tiny, fi.resolution, fi.bits)
print("int clamp", torch.tensor([-200, 0, 300]).clamp(-128, 127).to(torch.int8))
print("abs(int8 min)", torch.tensor([-128], dtype=torch.int8).abs())
print("int max+min", torch.iinfo(torch.int64).max, torch.tensor([torch.iinfo(torch.int64).max]) + 1)
print(
    "arange dtypes",
    torch.arange(5).dtype,
    torch.arange(5.0).dtype,
    torch.arange(0, 1, 0.25),
    torch.arange(5, dtype=torch.int8),
)
print("linspace int", torch.linspace(0, 10, 4, dtype=torch.int64))
print(
    "full int from float",
    torch.full((2,), 7).dtype,
    torch.full((2,), 7.0).dtype,
    torch.full((2,), True).dtype,
)
print(
    "sum dtype arg",
    torch.tensor([100, 100], dtype=torch.int8).sum(dtype=torch.int8),
    torch.tensor([0.1, 0.2]).sum(dtype=torch.float64),
)

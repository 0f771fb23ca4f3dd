"""Broadcasting and type promotion as a learner maps them out: a table of result dtypes for
int8/uint8/int16/int32/int64/bool/float16/float32/float64 tensors combined with
Python scalars, 0-dim tensors and dimensioned tensors (0-dim tensors and scalars only win
across categories), every binary operator (+ - * / // % ** & | ^ << >>) on small integer
types, comparisons across dtypes, torch.where with scalars, in-place ops that must raise
because the result can't be cast back, integer and float division by zero, the sign rules
of floor_divide / remainder / fmod, broadcast_shapes / broadcast_tensors / expand errors,
and gradients that are summed back over broadcast dimensions."""

import torch

torch.manual_seed(0)

DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.float32,
    torch.float64,
]
SHORT = {
    torch.bool: "b",
    torch.uint8: "u8",
    torch.int8: "i8",
    torch.int16: "i16",
    torch.int32: "i32",
    torch.int64: "i64",
    torch.float16: "f16",
    torch.float32: "f32",
    torch.float64: "f64",
}

# -- result_type tables ---------------------------------------------------------------------------
print("tensor + tensor (1-d both)")
print("      " + " ".join(f"{SHORT[d]:>5}" for d in DTYPES))
for a in DTYPES:
    row = []
    for b in DTYPES:
        r = torch.result_type(torch.ones(2, dtype=a), torch.ones(2, dtype=b))
        row.append(f"{SHORT[r]:>5}")
    print(f"{SHORT[a]:>5} " + " ".join(row))

print("1-d tensor + 0-dim tensor")
for a in DTYPES:
    row = [
        SHORT[torch.result_type(torch.ones(2, dtype=a), torch.tensor(1, dtype=b))] for b in DTYPES
    ]
    print(f"{SHORT[a]:>5} " + " ".join(f"{r:>5}" for r in row))

print("tensor + python scalar: True, 2, 2.5")
for a in DTYPES:
    t = torch.ones(2, dtype=a)
    row = [SHORT.get(torch.result_type(t, s), str(torch.result_type(t, s))) for s in (True, 2, 2.5)]
    print(f"{SHORT[a]:>5}", row)

print(
    "promote_types",
    torch.promote_types(torch.uint8, torch.int8),
    torch.promote_types(torch.float16, torch.float32),
    torch.promote_types(torch.bool, torch.float16),
    torch.promote_types(torch.int64, torch.float16),
)
print(
    "can_cast",
    torch.can_cast(torch.float32, torch.int32),
    torch.can_cast(torch.int32, torch.float16),
    torch.can_cast(torch.int8, torch.uint8),
    torch.can_cast(torch.bool, torch.uint8),
    torch.can_cast(torch.float64, torch.bool),
)

# -- all operators on small ints -------------------------------------------------------------------
a = torch.tensor([-7, -3, 0, 3, 7, 100], dtype=torch.int8)
b = torch.tensor([2, -2, 5, 3, -4, 3], dtype=torch.int8)
u = torch.tensor([250, 3, 0, 128, 7, 1], dtype=torch.uint8)
print("a + b", a + b, "a - b", a - b, "a * b", a * b)
print("a / b", a / b)
print("a // b", a // b, "a % b", a % b)
print("fmod", torch.fmod(a, b), "remainder", torch.remainder(a, b))
print("trunc div", torch.div(a, b, rounding_mode="trunc"))
print("a ** 2", a**2, "b ** 3", b**3, "2 ** b.abs()", 2 ** b.abs())
print("& | ^", a & b, a | b, a ^ b, ~a)
print("<< >>", a << 1, a >> 1, u << 1, u >> 2, (a >> b.abs()))
print("a + u", a + u, (a + u).dtype, "u - 1", u - 1, "u * -1", u * -1)
print("int8 + 0-dim int64", (a + torch.tensor(1000)).dtype, a + torch.tensor(1000))
print("int8 + 1-d int64", (a + torch.tensor([1000])).dtype)
print("uint8 + 0-dim float64", (u + torch.tensor(0.5, dtype=torch.float64)).dtype)
print(
    "f16 + 0-dim f64",
    (torch.ones(2, dtype=torch.float16) + torch.tensor(1e-4, dtype=torch.float64)),
)
print(
    "f16 + python float",
    torch.ones(2, dtype=torch.float16) + 1e-4,
    torch.ones(2, dtype=torch.float16) + 1e-3,
)
print("f16 * 3.3", torch.tensor([1.5, 2.25, 100.0], dtype=torch.float16) * 3.3)
print(
    "bool ops",
    torch.tensor([True, False]) + torch.tensor([True, True]),
    torch.tensor([True, False]) * 3,
    torch.tensor([True, False]) & torch.tensor([True, True]),
    torch.tensor([True, False]) ^ True,
    ~torch.tensor([True, False]),
)
print("bool - bool error:", end=" ")
try:
    torch.tensor([True]) - torch.tensor([False])
except RuntimeError as e:
    print(type(e).__name__)
print("-bool error:", end=" ")
try:
    -torch.tensor([True])
except RuntimeError as e:
    print(type(e).__name__)
print("float << error:", end=" ")
try:
    torch.ones(2) << 1
except (RuntimeError, TypeError) as e:
    print(type(e).__name__)

# -- comparisons and where ---------------------------------------------------------------------
f = torch.tensor([0.5, 1.0, 1.5, 2.0], dtype=torch.float16)
i = torch.tensor([0, 1, 2, 2])
print("cmp", f == i, f < i, i >= 1.5, u > 127, a != -7)
print("eq dtype", (f == i).dtype, torch.eq(i, 2), torch.ne(i, 2.0), torch.gt(f, torch.tensor(1)))
print("maximum mixed", torch.maximum(i, f), torch.minimum(a, torch.tensor(0.5)))
print("where scalars", torch.where(i > 0, 1.0, 0), torch.where(i > 0, 1.0, 0).dtype)
print("where int scalar", torch.where(i > 0, i, 10), torch.where(i > 0, i, 10).dtype)
print("where mixed", torch.where(i > 0, f, i), torch.where(i > 0, f, i).dtype)
print("where f16/2.5", torch.where(f > 1, f, 2.5).dtype, torch.where(a > 0, a, -1.5).dtype)
print("where cond only", torch.where(torch.tensor([[0, 1], [1, 1]])))
print(
    "clamp mixed",
    torch.clamp(i, min=0.5).dtype,
    torch.clamp(a, -5, 5),
    torch.clamp(f, max=torch.tensor(1.0)).dtype,
)

# -- in-place ops that must (not) raise ----------------------------------------------------------
x = torch.arange(4)
for name, fn in [
    ("int += 1.5", lambda: x.add_(1.5)),
    ("int *= float tensor", lambda: x.mul_(torch.ones(4))),
    ("int /= 2", lambda: x.div_(2)),
    ("int //= 2", lambda: x.floor_divide_(2)),
    ("int += 0-dim float", lambda: x.add_(torch.tensor(1.0))),
    ("f32 += f64", lambda: torch.zeros(2).add_(torch.ones(2, dtype=torch.float64))),
    ("u8 += i8", lambda: u.clone().add_(a)),
    ("bool |= int", lambda: torch.tensor([True, False]).bitwise_or_(torch.tensor([2, 0]))),
    ("bool += True", lambda: torch.tensor([True, False]).add_(True)),
    (
        "f16 += f64 0-dim",
        lambda: torch.ones(2, dtype=torch.float16).add_(torch.tensor(0.1, dtype=torch.float64)),
    ),
]:
    try:
        r = fn()
        print(f"{name:22s} ok", r, r.dtype)
    except RuntimeError as e:
        print(f"{name:22s} {type(e).__name__}: {str(e).splitlines()[0][:60]}")
y = torch.zeros(3)
y += torch.tensor([1, 2, 3])
print("float += int", y, y.dtype)
z = torch.tensor([1, 2, 3])
z *= 2
print("int *= 2", z, z.dtype)
out = torch.empty(3, dtype=torch.int32)
print("add out=int32", torch.add(torch.tensor([1, 2, 3]), 1, out=out), out.dtype)
print("add out= int for float result:", end=" ")
try:
    torch.add(torch.tensor([1.0]), 1, out=torch.empty(1, dtype=torch.int64))
except RuntimeError as e:
    print(type(e).__name__)

# -- division by zero ----------------------------------------------------------------------------
fz = torch.tensor([1.0, -1.0, 0.0, 2.0])
print("float / 0", fz / 0, fz / torch.tensor([0.0, -0.0, 0.0, -0.0]))
print("float // 0", fz // 0, "float % 0", fz % 0, "fmod 0", torch.fmod(fz, 0))
print("int / 0", torch.tensor([1, -1, 0]) / 0)
print("int // 0 error:", end=" ")
try:
    torch.tensor([1, -1, 0]) // 0
except RuntimeError as e:
    print(type(e).__name__, e)
print("int % 0 error:", end=" ")
try:
    torch.tensor([5]) % torch.tensor([0])
except RuntimeError as e:
    print(type(e).__name__)
print("0 ** 0", torch.tensor([0, 0.0]) ** 0, torch.tensor(0) ** torch.tensor(0))
print("int ** negative error:", end=" ")
try:
    torch.tensor([2, 3]) ** -1
except RuntimeError as e:
    print(type(e).__name__)
print("int ** negative tensor", torch.tensor([2, 1, -1]) ** torch.tensor([-1, -1, -1]))
print("float ** frac of negative", torch.tensor([-8.0, 8.0]) ** (1 / 3))

# -- floor/remainder/fmod sign rules on floats -----------------------------------------------------
p = torch.tensor([5.5, -5.5, 5.5, -5.5, 0.0, -0.0])
q = torch.tensor([2.0, 2.0, -2.0, -2.0, 3.0, 3.0])
print("p // q", p // q)
print("p % q", p % q)
print("fmod", torch.fmod(p, q))
print("remainder scalar", torch.remainder(p, 1.5), torch.remainder(-3, torch.tensor([2, -2])))
print("floor_divide scalar first", torch.floor_divide(torch.tensor(7), torch.tensor([2, -2])))
print(
    "rsub",
    torch.rsub(torch.tensor([1, 2]), 5),
    5 - torch.tensor([1, 2]),
    1.5 - torch.tensor([1, 2]),
)
print("rdiv", 1 / torch.tensor([1, 2, 4]), 6 // torch.tensor([4, -4]), 7 % torch.tensor([3, -3]))
print(
    "rpow",
    2 ** torch.tensor([0, 1, 10]),
    2.0 ** torch.tensor([0, 1, 10]),
    torch.tensor(2) ** torch.tensor([0.5, 2.0]),
)

# -- broadcasting shapes ---------------------------------------------------------------------------
print(torch.broadcast_shapes((3, 1), (1, 4)), torch.broadcast_shapes((2, 1, 5), (4, 1), ()))
t1, t2 = torch.broadcast_tensors(torch.arange(3).view(3, 1), torch.arange(4))
print(t1.shape, t2.shape, t1.stride(), t2.stride())
print("bad shapes:", end=" ")
try:
    torch.ones(3, 2) + torch.ones(3)
except RuntimeError as e:
    print(type(e).__name__)
try:
    torch.broadcast_shapes((2, 3), (4, 3))
except RuntimeError as e:
    print("broadcast_shapes", type(e).__name__)
print(
    "expand -1",
    torch.arange(3).view(3, 1).expand(-1, 4).shape,
    torch.arange(3).expand(2, 3).stride(),
)
try:
    torch.arange(3).expand(2, 4)
except RuntimeError as e:
    print("expand", type(e).__name__)
print(
    "empty broadcast",
    (torch.ones(0, 3) * torch.ones(3)).shape,
    (torch.ones(1, 0) + torch.ones(5, 1)).shape,
)

# -- gradients reduce over broadcast dims ----------------------------------------------------------
w = torch.randn(3, 1, requires_grad=True)
v = torch.randn(1, 4, requires_grad=True)
s = torch.randn((), requires_grad=True)
out = (w * v + s) ** 2
out.sum().backward()
print("grads", w.grad.shape, v.grad.shape, s.grad.shape)
print(w.grad.round(decimals=4), v.grad.round(decimals=4), s.grad.round(decimals=4))
h = torch.tensor([1.0, 2.0], dtype=torch.float16, requires_grad=True)
k = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
(h * k).sum().backward()
print("mixed dtype grads", h.grad, h.grad.dtype, k.grad, k.grad.dtype)
r = torch.randn(2, 3, requires_grad=True)
(r * 3).sum().backward()
print("int scalar grad", r.grad)

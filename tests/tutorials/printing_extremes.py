"""How tensors print at the edges: infinities, NaNs and -0.0 mixed with ordinary numbers,
values that switch the formatter to scientific notation (very large, very small, a wide
ratio between the largest and smallest magnitude), integers stored as floats, float16
subnormals and its maximum, float64 with many digits, int64 and int8 extremes, uint8 and
bool, empty and 0-d tensors, summarised 1-D/2-D/3-D tensors with edgeitems, negative zero
in integer-valued floats, f-string formatting of 0-d tensors (format specs), str() of a
tensor that requires grad, tolist()/item() round trips, and set_printoptions(sci_mode=False)
/ precision / linewidth changes restored with profile='default'."""

import torch

torch.manual_seed(0)

cases = {
    "inf and nan": torch.tensor([1.5, float("inf"), -float("inf"), float("nan"), -0.0]),
    "only inf/nan": torch.tensor([float("inf"), float("nan")]),
    "integers as floats": torch.tensor([1.0, -2.0, 300.0, 0.0]),
    "negative zeros": torch.tensor([-0.0, 0.0, -0.0]),
    "large": torch.tensor([1e8, 2.5e9, 3.0]),
    "small": torch.tensor([1e-5, 3e-7, 0.5]),
    "wide ratio": torch.tensor([1e-3, 10.0, 5e4]),
    "just below sci": torch.tensor([0.001, 99.0]),
    "just above": torch.tensor([0.0001, 1000.0]),
    "huge ints as float": torch.tensor([1e16, 2.0]),
    "float64 digits": torch.tensor([1 / 3, 2 / 3, 1e-20], dtype=torch.float64),
    "float64 pi": torch.tensor([3.141592653589793], dtype=torch.float64),
    "float16": torch.tensor([0.1, 65504.0, 6e-8, -1e-4], dtype=torch.float16),
    "float16 inf": torch.tensor([70000.0, 1.0], dtype=torch.float16),
    "int64 extremes": torch.tensor([2 ** 63 - 1, -2 ** 63, 0]),
    "int8": torch.tensor([127, -128, 5], dtype=torch.int8),
    "uint8 wrap": torch.tensor([250, 10], dtype=torch.uint8) + torch.tensor(10, dtype=torch.uint8),
    "int16 negative": torch.tensor([-32768, 1], dtype=torch.int16),
    "bool": torch.tensor([[True, False], [False, True]]),
    "empty 1-d": torch.empty(0),
    "empty 2-d": torch.zeros(2, 0),
    "empty int": torch.zeros(0, dtype=torch.int32),
    "scalar": torch.tensor(-7.25),
    "scalar int": torch.tensor(42),
    "scalar nan": torch.tensor(float("nan")),
    "scalar double": torch.tensor(1e-10, dtype=torch.float64),
    "scalar half": torch.tensor(3.0, dtype=torch.float16),
    "randn 1-d": torch.randn(5),
    "randn * 1e6": torch.randn(4) * 1e6,
    "randn / 1e6": torch.randn(4) / 1e6,
}
for name, t in cases.items():
    print(f"{name}:", t)

print(torch.arange(2000))
print(torch.arange(2000.0).view(40, 50) / 7)
print(torch.arange(60).view(3, 4, 5))
print(torch.zeros(3, 1001, dtype=torch.int8))
print(torch.linspace(-1, 1, 1100).view(2, 550, 1).squeeze(-1))

x = torch.randn(3, requires_grad=True)
print(x, x * 2, x.detach(), x.sum())
print(str(torch.tensor([1, 2])), repr(torch.tensor([1.0, 2.0], dtype=torch.float64)))
v = torch.tensor(2.718281828)
print(f"{v:.3f} {v:10.2e} {v} {torch.tensor(3):03d} {torch.tensor(True)}")
print(torch.tensor([0.1, 0.2]).tolist(), torch.tensor(0.1, dtype=torch.float16).item(),
      torch.tensor(0.1, dtype=torch.float64).item(),
      torch.tensor([1, 2], dtype=torch.uint8).tolist(),
      type(torch.tensor(True).item()))

torch.set_printoptions(sci_mode=False)
print(cases["small"], cases["large"], cases["randn / 1e6"])
torch.set_printoptions(sci_mode=True)
print(cases["integers as floats"], cases["randn 1-d"])
torch.set_printoptions(precision=8, sci_mode=None)
print(cases["randn 1-d"], cases["float64 digits"], cases["float16"])
torch.set_printoptions(linewidth=40, precision=3)
print(torch.randn(2, 9))
torch.set_printoptions(threshold=5, edgeitems=1)
print(torch.arange(10), torch.arange(12).view(3, 4))
torch.set_printoptions(profile="short")
print(torch.randn(3, 3), torch.arange(100))
torch.set_printoptions(profile="full")
print(torch.arange(1005)[-8:], torch.randn(2, 2))
torch.set_printoptions(profile="default")
print(torch.randn(2, 3), torch.arange(1001))

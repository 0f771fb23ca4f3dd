"""Quantization written out by hand, as the "int8 quantization from scratch" posts do it:
affine (asymmetric) and symmetric scale / zero-point from aminmax, quantize with
torch.round (half to even) + clamp into int8 / uint8 tensors, dequantize, the error table
per bit width, per-channel scales for a Linear weight, an int8 x int8 matmul accumulated in
int32 and rescaled, histogram-percentile calibration with torch.quantile, fake quantization
with the straight-through estimator (round through x + (q - x).detach() and a custom
autograd.Function that zeroes the gradient outside the clipping range), a short
quantization-aware fine-tuning loop, and float16 round-off for comparison."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(12)
torch.set_printoptions(precision=4, sci_mode=False)

print("round half to even", torch.round(torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])))
print("int8 range", torch.iinfo(torch.int8).min, torch.iinfo(torch.int8).max)
print("uint8 range", torch.iinfo(torch.uint8).min, torch.iinfo(torch.uint8).max)


def affine_params(x, qmin=0, qmax=255):
    lo, hi = torch.aminmax(x)
    lo, hi = torch.clamp(lo, max=0.0), torch.clamp(hi, min=0.0)
    scale = (hi - lo) / (qmax - qmin)
    zero_point = (qmin - torch.round(lo / scale)).clamp(qmin, qmax).to(torch.int64)
    return scale, zero_point


def quantize(x, scale, zp, qmin, qmax, dtype):
    return torch.clamp(torch.round(x / scale) + zp, qmin, qmax).to(dtype)


def dequantize(q, scale, zp):
    return (q.to(torch.float32) - zp) * scale


x = torch.randn(10) * 2 + 0.5
scale, zp = affine_params(x)
q = quantize(x, scale, zp, 0, 255, torch.uint8)
print("x", x)
print("affine scale", round(scale.item(), 6), "zero point", zp.item())
print("q", q, q.dtype)
print("dequant", dequantize(q, scale, zp))
print("max error", round((dequantize(q, scale, zp) - x).abs().max().item(), 6), "<= scale/2",
      (dequantize(q, scale, zp) - x).abs().max().item() <= scale.item() / 2 + 1e-7)
zero_q = quantize(torch.tensor(0.0), scale, zp, 0, 255, torch.uint8)
print("zero exactly representable", dequantize(zero_q, scale, zp).item() == 0.0)

sym_scale = x.abs().max() / 127
qs = quantize(x, sym_scale, 0, -128, 127, torch.int8)
print("symmetric", qs, round(sym_scale.item(), 6))
print("int8 wraps when cast without clamp", torch.tensor([200, -200]).to(torch.int8))

# error vs bit width on a heavy-tailed tensor
w = torch.distributions.StudentT(3.0).sample((2000,))
print("bits  mse(minmax)  mse(99.9% clip)")
for bits in (8, 6, 4, 3):
    qmax = 2 ** (bits - 1) - 1
    for_minmax = w.abs().max() / qmax
    clip = torch.quantile(w.abs(), 0.999) / qmax
    errs = []
    for s in (for_minmax, clip):
        wq = quantize(w, s, 0, -qmax - 1, qmax, torch.int8)
        errs.append(F.mse_loss(dequantize(wq, s, 0), w).item())
    print(f"{bits:4d}  {errs[0]:.6f}  {errs[1]:.6f}")

# per-channel symmetric quantization of a Linear weight
lin = nn.Linear(6, 4)
with torch.no_grad():
    lin.weight[1] *= 10
W = lin.weight.detach()
s_tensor = W.abs().max() / 127
s_chan = W.abs().amax(dim=1, keepdim=True) / 127
Wq_t = quantize(W, s_tensor, 0, -128, 127, torch.int8)
Wq_c = quantize(W, s_chan, 0, -128, 127, torch.int8)
print("per-channel scales", s_chan.flatten())
print("Wq per channel", Wq_c)
print("err per-tensor", round(F.mse_loss(dequantize(Wq_t, s_tensor, 0), W).item(), 8),
      "per-channel", round(F.mse_loss(dequantize(Wq_c, s_chan, 0), W).item(), 8))

# integer matmul: int8 activations x int8 weights accumulated in int32
a = torch.randn(3, 6)
s_a = a.abs().max() / 127
a_q = quantize(a, s_a, 0, -128, 127, torch.int8)
acc = a_q.to(torch.int32) @ Wq_c.to(torch.int32).t()
print("accumulator", acc.dtype, acc)
y_int = acc.to(torch.float32) * s_a * s_chan.t() + lin.bias.detach()
y_ref = lin(a).detach()
print("int8 linear", y_int)
print("float linear", y_ref)
print("rel err", round(((y_int - y_ref).norm() / y_ref.norm()).item(), 5))


class FakeQuant(torch.autograd.Function):
    """Quantize-dequantize; the gradient passes straight through inside the range."""

    @staticmethod
    def forward(ctx, x, scale, qmin, qmax):
        q = torch.round(x / scale)
        ctx.save_for_backward((q >= qmin) & (q <= qmax))
        return torch.clamp(q, qmin, qmax) * scale

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside, None, None, None


t = torch.linspace(-3, 3, 9, requires_grad=True)
y = FakeQuant.apply(t, torch.tensor(0.5), -4, 3)
print("fake quant", y.detach(), y.grad_fn.name())
y.sum().backward()
print("STE grad", t.grad)
t.grad = None
y2 = t + (torch.clamp(torch.round(t / 0.5), -4, 3) * 0.5 - t).detach()
y2.sum().backward()
print("detach trick same values", torch.equal(y2.detach(), y.detach()), "grad", t.grad)


class QATLinear(nn.Linear):
    def forward(self, x):
        s = self.weight.detach().abs().amax(dim=1, keepdim=True) / 7  # 4-bit weights
        wq = FakeQuant.apply(self.weight, s, -8, 7)
        return F.linear(x, wq, self.bias)


torch.manual_seed(3)
teacher = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 1))
student = nn.Sequential(QATLinear(6, 16), nn.Tanh(), QATLinear(16, 1))
student.load_state_dict(teacher.state_dict())
X = torch.randn(128, 6)
with torch.no_grad():
    Y = teacher(X) + 0.05 * torch.randn(128, 1)
    print("before QAT: float mse", round(F.mse_loss(teacher(X), Y).item(), 5),
          "4-bit mse", round(F.mse_loss(student(X), Y).item(), 5))
opt = torch.optim.Adam(student.parameters(), lr=5e-3)
for step in range(30):
    loss = F.mse_loss(student(X), Y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 10 == 0 or step == 29:
        print(f"qat step {step:2d} loss {loss.item():.5f}")
levels = []
for m in student:
    if isinstance(m, QATLinear):
        w = m.weight.detach()
        levels.append(torch.unique(torch.round(w / (w.abs().amax(1, keepdim=True) / 7))).numel())
print("distinct 4-bit levels per layer", levels)

# float16 as a "quantizer"
v = torch.tensor([0.1, 1 / 3, 1000.7, 65504.0, 70000.0, 1e-8], dtype=torch.float32)
h = v.half()
print("float16", h)
print("back to float32", h.float())
print("float16 eps", torch.finfo(torch.float16).eps, "tiny", torch.finfo(torch.float16).tiny)

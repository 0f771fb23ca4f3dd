"""Normalisation layers and activation functions side by side, as a learner tabulates them:
BatchNorm1d/2d in train and eval (momentum, momentum=None cumulative average,
track_running_stats=False, affine=False, num_batches_tracked), LayerNorm over one and two
dims, GroupNorm, InstanceNorm with and without running stats, RMSNorm, LocalResponseNorm,
each checked against the formula; then every activation's values and derivatives at the
kinks (relu'(0), hardtanh at its bounds, leaky slopes), softmax/log_softmax/softmin/gumbel."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

x = torch.randn(8, 3) * 2 + 1
bn = nn.BatchNorm1d(3)
print(bn, "num_batches_tracked:", bn.num_batches_tracked)
y = bn(x)
manual = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + bn.eps)
print("train output matches formula:", torch.allclose(y, manual, atol=1e-6))
print("running_mean:", bn.running_mean, "running_var:", bn.running_var)
print(
    "= 0.1 * batch mean:",
    torch.allclose(bn.running_mean, 0.1 * x.mean(0)),
    "unbiased var used:",
    torch.allclose(bn.running_var, 0.9 + 0.1 * x.var(0)),
)
bn(x * 3)
print("after 2 batches:", bn.running_mean, bn.num_batches_tracked)
bn.eval()
print(
    "eval uses running stats:",
    torch.allclose(bn(x), (x - bn.running_mean) / torch.sqrt(bn.running_var + 1e-5)),
)
cumulative = nn.BatchNorm1d(3, momentum=None)
for scale in (1.0, 2.0, 3.0):
    cumulative(x * scale)
print(
    "momentum=None is a running average:",
    cumulative.running_mean,
    torch.allclose(cumulative.running_mean, 2 * x.mean(0)),
)
no_stats = nn.BatchNorm1d(3, track_running_stats=False)
print(
    "no running stats:", no_stats.running_mean, no_stats.eval()(x).mean(0).abs().max().item() < 1e-6
)
plain = nn.BatchNorm1d(3, affine=False)
print("affine=False params:", list(plain.parameters()), sorted(plain.state_dict()))
seq = torch.randn(4, 3, 5)
print(
    "BatchNorm1d on (N, C, L):", nn.BatchNorm1d(3)(seq).mean(dim=(0, 2)).abs().max().item() < 1e-6
)
img = torch.randn(4, 2, 3, 3)
bn2 = nn.BatchNorm2d(2, momentum=0.5)
out = bn2(img)
print(
    "BatchNorm2d per-channel mean/var:",
    out.mean((0, 2, 3)).abs().max().item() < 1e-6,
    out.var((0, 2, 3), unbiased=False).round(decimals=4),
)
print("running_var:", bn2.running_var.round(decimals=4))
try:
    nn.BatchNorm1d(3)(torch.randn(1, 3))
except ValueError as e:
    print("batch of one in train ->", type(e).__name__)
print("batch of one in eval:", nn.BatchNorm1d(3).eval()(torch.randn(1, 3)).shape)

# -- LayerNorm, GroupNorm, InstanceNorm, RMSNorm ---------------------------------------------------
h = torch.randn(2, 4, 6)
ln = nn.LayerNorm(6)
print(ln, [p.shape for p in ln.parameters()])
print(
    "LayerNorm formula:",
    torch.allclose(
        ln(h),
        (h - h.mean(-1, keepdim=True)) / torch.sqrt(h.var(-1, unbiased=False, keepdim=True) + 1e-5),
        atol=1e-6,
    ),
)
ln2 = nn.LayerNorm([4, 6], elementwise_affine=False)
print(
    "LayerNorm over 2 dims:",
    ln2(h).mean(dim=(1, 2)).abs().max().item() < 1e-6,
    list(ln2.parameters()),
)
print("LayerNorm no bias:", nn.LayerNorm(6, bias=False).bias)
gn = nn.GroupNorm(2, 4)
g_out = gn(h)
grouped = h.reshape(2, 2, 12)
manual = (
    (grouped - grouped.mean(-1, keepdim=True))
    / torch.sqrt(grouped.var(-1, unbiased=False, keepdim=True) + 1e-5)
).reshape(2, 4, 6)
print("GroupNorm formula:", torch.allclose(g_out, manual, atol=1e-5), gn)
print(
    "GroupNorm(1) == LayerNorm over (C, L):",
    torch.allclose(nn.GroupNorm(1, 4, affine=False)(h), ln2(h), atol=1e-5),
)
try:
    nn.GroupNorm(3, 4)
except ValueError as e:
    print("groups not dividing channels ->", type(e).__name__)
inorm = nn.InstanceNorm1d(4)
print(inorm, "stats per (sample, channel):", inorm(h).mean(-1).abs().max().item() < 1e-6)
inorm_rs = nn.InstanceNorm2d(2, track_running_stats=True, affine=True)
inorm_rs(img)
print(
    "InstanceNorm running_mean:",
    inorm_rs.running_mean.round(decimals=4),
    inorm_rs.num_batches_tracked,
)
rms = nn.RMSNorm(6, eps=1e-6)
print(
    rms,
    "formula:",
    torch.allclose(rms(h), h / torch.sqrt(h.pow(2).mean(-1, keepdim=True) + 1e-6), atol=1e-6),
)
print(
    "RMSNorm default eps:",
    nn.RMSNorm([4, 6]).eps,
    nn.RMSNorm([4, 6])(h).pow(2).mean(dim=(1, 2)).round(decimals=3),
)
lrn = nn.LocalResponseNorm(3)
print("LocalResponseNorm:", lrn(img)[0, :, 0, 0].round(decimals=4), lrn)
print(
    "normalize p=1:", F.normalize(torch.tensor([[3.0, -1.0]]), p=1), F.normalize(torch.zeros(1, 2))
)

# -- gradients of the normalisers ------------------------------------------------------------------
for layer in (nn.BatchNorm1d(3), nn.LayerNorm(3), nn.GroupNorm(1, 3), nn.RMSNorm(3)):
    inp = x[:4].clone().requires_grad_()
    out = layer(inp)
    (out * torch.arange(12.0).reshape(4, 3)).sum().backward()
    grads = [round(p.grad.abs().sum().item(), 4) for p in layer.parameters()]
    print(
        f"{type(layer).__name__:12s} grad_fn {out.grad_fn.name():28s} input-grad row sums "
        f"{inp.grad.sum(1).abs().max().item() < 1e-4} param grads {grads}"
    )

# -- activations and derivatives at the kinks ------------------------------------------------------
# (+-2.5, not +-3: torch's oneDNN gelu approximates erf's far tail, gelu(-3) = -0.004050225
# instead of -0.004049689, which rounds to 4 decimals the other way)
points = torch.tensor([-2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5])
acts = [
    ("relu", F.relu),
    ("relu6", F.relu6),
    ("leaky_relu", F.leaky_relu),
    ("leaky_relu 0.2", lambda t: F.leaky_relu(t, 0.2)),
    ("elu", F.elu),
    ("elu a=2", lambda t: F.elu(t, 2.0)),
    ("selu", F.selu),
    ("celu a=0.5", lambda t: F.celu(t, 0.5)),
    ("gelu", F.gelu),
    ("gelu tanh", lambda t: F.gelu(t, approximate="tanh")),
    ("silu", F.silu),
    ("mish", F.mish),
    ("sigmoid", torch.sigmoid),
    ("hardsigmoid", F.hardsigmoid),
    ("tanh", torch.tanh),
    ("hardtanh", F.hardtanh),
    ("hardtanh -0.5,0.5", lambda t: F.hardtanh(t, -0.5, 0.5)),
    ("hardswish", F.hardswish),
    ("softplus", F.softplus),
    ("softplus b=2 t=1", lambda t: F.softplus(t, 2, 1)),
    ("softsign", F.softsign),
    ("tanhshrink", F.tanhshrink),
    ("hardshrink", F.hardshrink),
    ("softshrink", F.softshrink),
    ("threshold 0.5->-1", lambda t: F.threshold(t, 0.5, -1.0)),
    ("logsigmoid", F.logsigmoid),
    ("prelu 0.25", lambda t: F.prelu(t, torch.tensor([0.25]))),
    ("rrelu eval", lambda t: F.rrelu(t, training=False)),
    ("glu", lambda t: F.glu(t[:6])),
]
for name, fn in acts:
    p = points.clone().requires_grad_()
    out = fn(p)
    out.sum().backward()
    values = str(out.detach().round(decimals=4).tolist())
    print(f"{name:18s} {values:70s} d {p.grad.round(decimals=4).tolist()}")

logits = torch.tensor([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
print("softmax:", F.softmax(logits, dim=1))
print("log_softmax:", F.log_softmax(logits, dim=1))
print(
    "softmin:",
    F.softmin(logits[:1], dim=1),
    "softmax dtype=float64:",
    F.softmax(logits[:1], 1, dtype=torch.float64).dtype,
)
print("softmax with -inf row:", F.softmax(torch.tensor([[float("-inf"), float("-inf")]]), dim=1))
print("temperature:", F.softmax(logits[:1] / 0.1, dim=1), F.softmax(logits[:1] / 10, dim=1))
print("gumbel_softmax hard one-hot:", F.gumbel_softmax(logits[:1], tau=0.5, hard=True))
print("Softmax2d:", nn.Softmax2d()(img[:1, :, :1, :1]).sum(1).flatten())
print(
    "modules:",
    nn.PReLU(3).weight,
    nn.Threshold(0.1, 20),
    nn.Hardtanh(-2, 2),
    nn.ELU(alpha=0.5, inplace=True),
)
r = torch.tensor([-1.0, 1.0])
nn.ReLU(inplace=True)(r)
print("inplace relu:", r)

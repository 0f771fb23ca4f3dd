"""A small WaveNet, as the WaveNet / TCN blog posts build it: mu-law companding (torch.sign,
log1p, expm1) and 256-level quantisation with bucketize, causal dilated Conv1d made causal by
left padding with F.pad, the receptive field checked by backpropagating from one output step
(which input gradients are nonzero), gated tanh x sigmoid units with residual and skip 1x1
convolutions and weight normalisation (nn.utils.parametrizations.weight_norm), training with
cross-entropy over the 256 classes on a synthetic waveform, then autoregressive generation
two ways: recomputing the whole window each step, and the "fast WaveNet" cache of past
activations per layer (a deque per dilation), which must give the same logits."""

from collections import deque

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
torch.set_printoptions(precision=4, sci_mode=False)

MU = 255


def mu_law_encode(x):
    y = torch.sign(x) * torch.log1p(MU * x.abs()) / torch.log1p(torch.tensor(float(MU)))
    edges = torch.linspace(-1, 1, MU + 2)[1:-1]
    return torch.bucketize(y, edges)


def mu_law_decode(q):
    y = 2 * q.float() / MU - 1
    return torch.sign(y) * torch.expm1(y.abs() * torch.log1p(torch.tensor(float(MU)))) / MU


x = torch.tensor([-1.0, -0.5, -0.01, 0.0, 0.001, 0.01, 0.2, 0.99])
q = mu_law_encode(x)
print("mu-law codes", q.tolist(), q.dtype)
print("decoded", mu_law_decode(q))
print("max abs error", round((mu_law_decode(q) - x).abs().max().item(), 5))
print("finer near zero", (mu_law_decode(q[5:6]) - x[5:6]).abs().item() < 1e-3)


class CausalConv1d(nn.Module):
    def __init__(self, cin, cout, kernel_size, dilation=1):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv = nn.Conv1d(cin, cout, kernel_size, dilation=dilation)

    def forward(self, x):
        return self.conv(F.pad(x, (self.pad, 0)))


conv = CausalConv1d(1, 1, 2, dilation=4)
inp = torch.zeros(1, 1, 12, requires_grad=True)
conv(inp)[0, 0, 9].backward()
print("taps of one output", inp.grad[0, 0].nonzero().flatten().tolist())


class ResidualLayer(nn.Module):
    def __init__(self, channels, skip, dilation):
        super().__init__()
        self.dilation = dilation
        self.filter = CausalConv1d(channels, channels, 2, dilation)
        self.gate = CausalConv1d(channels, channels, 2, dilation)
        self.res = nn.utils.parametrizations.weight_norm(nn.Conv1d(channels, channels, 1))
        self.skip = nn.Conv1d(channels, skip, 1)

    def forward(self, x):
        h = torch.tanh(self.filter(x)) * torch.sigmoid(self.gate(x))
        return x + self.res(h), self.skip(h)

    def step(self, x_t, x_past):
        """One time step: x_t and x_past (the input `dilation` steps ago) are (B, C)."""
        def tap(m):
            w = m.conv.weight  # (C, C, 2): tap 0 is the past, tap 1 the present
            return x_past @ w[:, :, 0].t() + x_t @ w[:, :, 1].t() + m.conv.bias
        h = torch.tanh(tap(self.filter)) * torch.sigmoid(tap(self.gate))
        res = h @ self.res.weight[:, :, 0].t() + self.res.bias
        return x_t + res, h @ self.skip.weight[:, :, 0].t() + self.skip.bias


class WaveNet(nn.Module):
    def __init__(self, classes=256, channels=8, skip=16, dilations=(1, 2, 4, 8)):
        super().__init__()
        self.embed = nn.Embedding(classes, channels)
        self.layers = nn.ModuleList(ResidualLayer(channels, skip, d) for d in dilations)
        self.out = nn.Sequential(nn.ReLU(), nn.Conv1d(skip, skip, 1), nn.ReLU(),
                                 nn.Conv1d(skip, classes, 1))
        self.receptive_field = 1 + sum(dilations)

    def forward(self, codes):
        x = self.embed(codes).transpose(1, 2)
        skips = 0
        for layer in self.layers:
            x, s = layer(x)
            skips = skips + s
        return self.out(skips)


net = WaveNet()
print("receptive field", net.receptive_field)
print(net.layers[0])
print("weight_norm params", [n for n, _ in net.layers[0].res.named_parameters()])
print("g shape", tuple(net.layers[0].res.parametrizations.weight.original0.shape),
      "v shape", tuple(net.layers[0].res.parametrizations.weight.original1.shape))
print("params", sum(p.numel() for p in net.parameters()))

# the receptive field, measured: gradients of output step 30 w.r.t. the embedded input
emb = net.embed(torch.randint(0, 256, (1, 40))).detach().transpose(1, 2).requires_grad_(True)
h, skips = emb, 0
for layer in net.layers:
    h, s = layer(h)
    skips = skips + s
net.out(skips)[0, :, 30].sum().backward()
touched = emb.grad[0].abs().sum(0).nonzero().flatten()
print("inputs that reach step 30", touched.min().item(), "to", touched.max().item(),
      "count", touched.numel())

# data: a chirp plus a little noise, mu-law coded
t = torch.arange(2000, dtype=torch.float32)
wave = 0.6 * torch.sin(2 * torch.pi * t * (0.01 + t * 2e-6)) + 0.02 * torch.randn(2000)
codes = mu_law_encode(wave.clamp(-1, 1))
print("codes", codes[:12].tolist(), "unique", codes.unique().numel())

opt = torch.optim.Adam(net.parameters(), lr=5e-3)
for step in range(25):
    starts = torch.randint(0, 2000 - 65, (8,))
    batch = torch.stack([codes[s:s + 65] for s in starts.tolist()])
    logits = net(batch[:, :-1])
    loss = F.cross_entropy(logits[:, :, net.receptive_field - 1:],
                           batch[:, net.receptive_field:])
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 6 == 0 or step == 24:
        pred = logits[:, :, net.receptive_field - 1:].argmax(1)
        acc = (pred == batch[:, net.receptive_field:]).float().mean()
        print(f"step {step:2d} loss {loss.item():.4f} acc {acc.item():.4f}")

net.eval()
with torch.no_grad():
    prime = codes[:net.receptive_field].clone()
    # slow: re-run the whole window every step
    slow, seq = [], prime.tolist()
    for _ in range(6):
        window = torch.tensor(seq[-net.receptive_field:]).unsqueeze(0)
        logit = net(window)[0, :, -1]
        slow.append(logit)
        seq.append(logit.argmax().item())
    # fast: a queue of past inputs per layer, one step at a time
    queues = [deque([torch.zeros(1, 8)] * layer.dilation, maxlen=layer.dilation)
              for layer in net.layers]
    fast, seq2 = [], []
    for i, c in enumerate(prime.tolist() + seq[len(prime):]):
        x_t = net.embed(torch.tensor([c]))
        skip = 0
        for layer, qu in zip(net.layers, queues):
            past = qu[0]
            qu.append(x_t)
            x_t, s = layer.step(x_t, past)
            skip = skip + s
        logit = net.out(skip.unsqueeze(-1))[0, :, 0]
        if i >= len(prime) - 1 and len(fast) < 6:
            fast.append(logit)
    print("generated", seq[len(prime):])
    print("fast == slow", torch.allclose(torch.stack(slow), torch.stack(fast), atol=1e-4))
    print("first logits", torch.stack(slow)[0, :6])
    print("decoded samples", mu_law_decode(torch.tensor(seq[len(prime):])))

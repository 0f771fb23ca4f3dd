"""Parameter-efficient fine-tuning by hand, the way LoRA blog posts implement it without the
peft library: pre-train a small MLP, freeze it with requires_grad_(False), swap its
nn.Linear layers for a LoRALinear wrapper by walking named_modules and setattr on the
parent, zero-initialised B so the wrapped model starts identical, count trainable vs frozen
parameters, an optimizer over filter(lambda p: p.requires_grad, ...), check that the frozen
weights did not move and have no .grad, save only the adapter weights (a filtered
state_dict through torch.save to BytesIO), merge B @ A * scaling into the base weight and
unmerge it, load the adapter into a fresh copy with strict=False (missing/unexpected keys),
and compare with full fine-tuning and with training only the biases (BitFit)."""

import copy
import io
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
torch.set_printoptions(precision=4, sci_mode=False)


def make_task(n, shift):
    x = torch.randn(n, 8)
    w = torch.linspace(-1, 1, 8)
    y = ((x @ w + shift * x[:, 0] * x[:, 1]) > 0).long()
    return x, y


base = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
opt = torch.optim.Adam(base.parameters(), lr=1e-2)
xa, ya = make_task(256, 0.0)
for _ in range(30):
    loss = F.cross_entropy(base(xa), ya)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("pre-train loss", round(loss.item(), 4))
xb, yb = make_task(256, 2.0)
xt, yt = make_task(512, 2.0)


def accuracy(m, x, y):
    with torch.no_grad():
        return (m(x).argmax(1) == y).float().mean().item()


print("base on new task", accuracy(base, xt, yt))


class LoRALinear(nn.Module):
    def __init__(self, linear, r=4, alpha=8):
        super().__init__()
        self.linear = linear
        self.r, self.scaling = r, alpha / r
        self.lora_A = nn.Parameter(torch.empty(r, linear.in_features))
        self.lora_B = nn.Parameter(torch.zeros(linear.out_features, r))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.merged = False

    def forward(self, x):
        out = self.linear(x)
        if not self.merged:
            out = out + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scaling
        return out

    @torch.no_grad()
    def merge(self):
        self.linear.weight += self.lora_B @ self.lora_A * self.scaling
        self.merged = True

    @torch.no_grad()
    def unmerge(self):
        self.linear.weight -= self.lora_B @ self.lora_A * self.scaling
        self.merged = False

    def extra_repr(self):
        return f"r={self.r}, scaling={self.scaling}"


def add_lora(model, r=4):
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.Linear):
                setattr(module, child_name, LoRALinear(child, r))
    return model


def count(model):
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total


lora = add_lora(copy.deepcopy(base).requires_grad_(False))
for n, p in lora.named_parameters():
    if "lora_" in n:
        p.requires_grad_(True)
print(lora)
print("trainable/total", count(lora), f"{100 * count(lora)[0] / count(lora)[1]:.2f}%")
print("same output at init", torch.equal(lora(xt), base(xt)))
print("trainable names", [n for n, p in lora.named_parameters() if p.requires_grad])

frozen_before = lora[0].linear.weight.clone()
opt = torch.optim.AdamW(filter(lambda p: p.requires_grad, lora.parameters()), lr=2e-2,
                        weight_decay=0.0)
print("optimizer params", len(opt.param_groups[0]["params"]))
for epoch in range(40):
    loss = F.cross_entropy(lora(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0 or epoch == 39:
        print(f"lora epoch {epoch:2d} loss {loss.item():.4f}")
print("frozen unchanged", torch.equal(lora[0].linear.weight, frozen_before),
      lora[0].linear.weight.grad is None)
print("B no longer zero", lora[2].lora_B.abs().sum().item() > 0)
print("lora acc", accuracy(lora, xt, yt))

# save just the adapters
adapter = {k: v for k, v in lora.state_dict().items() if "lora_" in k}
print("adapter keys", list(adapter))
buf = io.BytesIO()
torch.save(adapter, buf)
buf.seek(0)
loaded = torch.load(buf, weights_only=True)
print("adapter tensors", {k: tuple(v.shape) for k, v in loaded.items()})

fresh = add_lora(copy.deepcopy(base))
result = fresh.load_state_dict(loaded, strict=False)
print("missing", result.missing_keys)
print("unexpected", result.unexpected_keys)
print("reloaded equal", torch.equal(fresh(xt), lora(xt)))
try:
    fresh.load_state_dict(loaded)
except RuntimeError as e:
    print("strict load:", str(e).splitlines()[0])

# merge / unmerge
before = lora(xt)
for m in lora.modules():
    if isinstance(m, LoRALinear):
        m.merge()
merged = lora(xt)
print("merged close", torch.allclose(before, merged, atol=1e-5),
      (before - merged).abs().max().item() < 1e-5)
plain = copy.deepcopy(base)
for i in (0, 2, 4):
    plain[i].weight.data.copy_(lora[i].linear.weight)
print("plain model with merged weights", torch.allclose(plain(xt), before, atol=1e-5))
for m in lora.modules():
    if isinstance(m, LoRALinear):
        m.unmerge()
print("unmerged weight back", torch.allclose(lora[0].linear.weight, frozen_before, atol=1e-6))

# full fine-tuning and BitFit for comparison
full = copy.deepcopy(base)
opt = torch.optim.AdamW(full.parameters(), lr=2e-2, weight_decay=0.0)
bitfit = copy.deepcopy(base)
for n, p in bitfit.named_parameters():
    p.requires_grad_(n.endswith("bias"))
opt_b = torch.optim.AdamW([p for p in bitfit.parameters() if p.requires_grad], lr=2e-2,
                          weight_decay=0.0)
for _ in range(40):
    for m, o in ((full, opt), (bitfit, opt_b)):
        loss = F.cross_entropy(m(xb), yb)
        o.zero_grad()
        loss.backward()
        o.step()
print("full trainable", count(full), "acc", accuracy(full, xt, yt))
print("bitfit trainable", count(bitfit), "acc", accuracy(bitfit, xt, yt))
print("weight drift full", round((full[0].weight - base[0].weight).norm().item(), 4))
delta = lora[0].lora_B @ lora[0].lora_A * lora[0].scaling
print("lora delta rank", torch.linalg.matrix_rank(delta).item(),
      "norm", round(delta.norm().item(), 4))

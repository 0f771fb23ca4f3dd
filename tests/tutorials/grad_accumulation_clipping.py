"""Gradient accumulation and clipping recipes from training scripts: micro-batch
accumulation (loss / steps) giving the full batch's gradient, clip_grad_norm_ with
norm_type 2 / 1 / inf, foreach on and off, error_if_nonfinite, its returned total norm,
get_total_norm + clip_grads_with_norm_, clip_grad_value_, parameters without gradients;
weight-decay parameter groups (no decay on biases and norm layers) for SGD, Adam and AdamW,
add_param_group for a head unfrozen mid-training, zero_grad(set_to_none=False), and a
state_dict round trip of model + optimizer + scheduler in the middle of training that must
continue exactly like the uninterrupted run."""

import copy
import io

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
dt = torch.float64


def make_model():
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(5, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3)).to(dt)


X = torch.randn(16, 5, dtype=dt)
Y = torch.randint(0, 3, (16,))

# -- accumulation equals the full batch ----------------------------------------------------------
full = make_model()
F.cross_entropy(full(X), Y).backward()
acc = make_model()
steps = 4
for xb, yb in zip(X.chunk(steps), Y.chunk(steps)):
    (F.cross_entropy(acc(xb), yb) / steps).backward()
for (name, p), q in zip(full.named_parameters(), acc.parameters()):
    print(
        f"{name:10s} accumulated == full batch: {torch.allclose(p.grad, q.grad)}",
        round(p.grad.norm().item(), 6),
    )
uneven = make_model()
sizes = [3, 5, 8]
for xb, yb in zip(X.split(sizes), Y.split(sizes)):
    (F.cross_entropy(uneven(xb), yb, reduction="sum") / len(X)).backward()
print(
    "uneven chunks, sum/N:",
    all(torch.allclose(p.grad, q.grad) for p, q in zip(full.parameters(), uneven.parameters())),
)


# -- clip_grad_norm_ -----------------------------------------------------------------------------
def grads_of(model):
    return [p.grad.clone() for p in model.parameters()]


base = grads_of(full)


def with_grads(model):
    """deepcopy of a module copies parameters but not their .grad (Parameter.__deepcopy__)."""
    twin = copy.deepcopy(model)
    print("  deepcopy keeps grad:", next(twin.parameters()).grad is not None, end=";")
    for p, g in zip(twin.parameters(), grads_of(model)):
        p.grad = g
    return twin


for norm_type in [2.0, 1, float("inf"), 3.5]:
    for foreach in (None, False, True):
        m = with_grads(full)
        total = nn.utils.clip_grad_norm_(
            m.parameters(), max_norm=0.5, norm_type=norm_type, foreach=foreach
        )
        after = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(p.grad, norm_type) for p in m.parameters()]),
            norm_type,
        )
        expect = torch.linalg.vector_norm(torch.cat([g.flatten() for g in base]), norm_type)
        print(
            f"norm_type={norm_type} foreach={foreach}: total {total.item():.6f}"
            f" (by hand {expect.item():.6f})"
            f" after {after.item():.6f}",
            total.dtype,
            total.requires_grad,
        )
m = with_grads(full)
print(
    "max_norm large: unchanged",
    nn.utils.clip_grad_norm_(m.parameters(), 100.0).item() > 0,
    all(torch.equal(p.grad, g) for p, g in zip(m.parameters(), base)),
)
bad = with_grads(full)
next(bad.parameters()).grad[0, 0] = float("nan")
print("nan total", nn.utils.clip_grad_norm_(bad.parameters(), 1.0).item())
try:
    nn.utils.clip_grad_norm_(bad.parameters(), 1.0, error_if_nonfinite=True)
except RuntimeError as e:
    print("error_if_nonfinite:", type(e).__name__, str(e)[:60])
inf_model = with_grads(full)
next(inf_model.parameters()).grad[0, 0] = float("inf")
print(
    "inf norm with inf grad",
    nn.utils.clip_grad_norm_(inf_model.parameters(), 1.0, norm_type="inf").item(),
)
no_grad = nn.Linear(2, 2)
print(
    "no grads:",
    nn.utils.clip_grad_norm_(no_grad.parameters(), 1.0),
    nn.utils.clip_grad_norm_([], 1.0),
)
single = torch.tensor([3.0, 4.0], requires_grad=True)
single.grad = torch.tensor([3.0, 4.0])
print("single tensor", nn.utils.clip_grad_norm_(single, 1.0), single.grad)
m = with_grads(full)
grads = [p.grad for p in m.parameters()]
tn = nn.utils.get_total_norm(grads, norm_type=2.0)
nn.utils.clip_grads_with_norm_(m.parameters(), 0.25, tn)
print(
    "get_total_norm",
    round(tn.item(), 6),
    "clipped norm",
    round(nn.utils.get_total_norm([p.grad for p in m.parameters()]).item(), 6),
)

# -- clip_grad_value_ ----------------------------------------------------------------------------
m = with_grads(full)
nn.utils.clip_grad_value_(m.parameters(), clip_value=0.05)
print(
    "clip value max",
    max(p.grad.abs().max().item() for p in m.parameters()),
    "clipped entries",
    sum(int((g.abs() > 0.05).sum()) for g in base),
)
m = with_grads(full)
nn.utils.clip_grad_value_(m.parameters(), 0.05, foreach=True)
print(
    "foreach same",
    all(torch.equal(p.grad, g.clamp(-0.05, 0.05)) for p, g in zip(m.parameters(), base)),
)


# -- weight decay groups -------------------------------------------------------------------------
def param_groups(model, wd):
    decay, no_decay = [], []
    for mod_name, mod in model.named_modules():
        for name, _ in mod.named_parameters(recurse=False):
            if name == "bias" or isinstance(mod, (nn.LayerNorm, nn.BatchNorm1d)):
                no_decay.append(f"{mod_name}.{name}")
            else:
                decay.append(f"{mod_name}.{name}")
    params = dict(model.named_parameters())
    print("  decay:", decay, "no decay:", no_decay)
    return [
        {"params": [params[n] for n in decay], "weight_decay": wd},
        {"params": [params[n] for n in no_decay], "weight_decay": 0.0},
    ]


for opt_cls, kw in [
    (torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (torch.optim.Adam, dict(lr=0.01)),
    (torch.optim.AdamW, dict(lr=0.01)),
]:
    model = make_model()
    opt = opt_cls(param_groups(model, 0.1), **kw)
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    print(
        f"{opt_cls.__name__}: loss {loss.item():.6f}",
        [(g["weight_decay"], len(g["params"])) for g in opt.param_groups],
        "weight norm",
        round(model[0].weight.norm().item(), 6),
        "bias norm",
        round(model[0].bias.norm().item(), 6),
    )
adamw_default = torch.optim.AdamW(make_model().parameters())
print(
    "AdamW default wd",
    adamw_default.defaults["weight_decay"],
    "Adam",
    torch.optim.Adam(make_model().parameters()).defaults["weight_decay"],
)

# -- freeze, then unfreeze the head with add_param_group -----------------------------------------
model = make_model()
head = model[3]
head.requires_grad_(False)
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
print(
    "trainable",
    sum(p.numel() for p in model.parameters() if p.requires_grad),
    "of",
    sum(p.numel() for p in model.parameters()),
)
for step in range(6):
    if step == 3:
        head.requires_grad_(True)
        opt.add_param_group({"params": head.parameters(), "lr": 0.01})
        print(
            "groups after add:",
            [(g["lr"], g["momentum"], len(g["params"])) for g in opt.param_groups],
        )
    opt.zero_grad(set_to_none=(step % 2 == 0))
    loss = F.cross_entropy(model(X), Y)
    loss.backward()
    opt.step()
    print(
        f"  step {step} loss {loss.item():.6f} head grad",
        None if head.weight.grad is None else round(head.weight.grad.norm().item(), 6),
    )
try:
    opt.add_param_group({"params": head.parameters()})
except ValueError as e:
    print("adding twice:", type(e).__name__)
opt.zero_grad(set_to_none=False)
print("zero_grad(set_to_none=False)", head.bias.grad)


# -- resume from a checkpoint mid-training -------------------------------------------------------
def train(model, opt, sched, steps, log):
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(X), Y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.8)
        opt.step()
        sched.step()
        log.append((round(loss.item(), 10), sched.get_last_lr()[0]))


def fresh():
    model = make_model()
    opt = torch.optim.AdamW(param_groups(model, 0.05), lr=0.02, betas=(0.8, 0.95))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=12)
    return model, opt, sched


model, opt, sched = fresh()
straight = []
train(model, opt, sched, 12, straight)

model, opt, sched = fresh()
resumed = []
train(model, opt, sched, 5, resumed)
buffer = io.BytesIO()
torch.save(
    {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": 5},
    buffer,
)
buffer.seek(0)
ckpt = torch.load(buffer)
model, opt, sched = fresh()
model.load_state_dict(ckpt["model"])
opt.load_state_dict(ckpt["opt"])
sched.load_state_dict(ckpt["sched"])
print("checkpoint keys", sorted(ckpt), sorted(ckpt["opt"]), list(ckpt["opt"]["state"][0]))
print(
    "opt state step",
    ckpt["opt"]["state"][0]["step"],
    "sched last_epoch",
    ckpt["sched"]["last_epoch"],
    "group lrs",
    [round(g["lr"], 8) for g in opt.param_groups],
)
train(model, opt, sched, 7, resumed)
for i, (a, b) in enumerate(zip(straight, resumed)):
    print(f"step {i:2d} loss {a[0]:.8f} lr {a[1]:.6f} resumed identical: {a == b}")

"""A multi-task network: a shared trunk, an nn.ModuleDict of task heads (regression,
classification, multi-label), per-task loss weights held in an nn.ParameterList (learned
uncertainty weighting, Kendall et al. 2018), two optimizers over disjoint parameter groups
(AdamW with per-group weight decay for the trunk and the log-variances, SGD with Nesterov
momentum for the heads) and a learning-rate scheduler per optimizer: warm-up + cosine via
SequentialLR(LinearLR, CosineAnnealingWarmRestarts(T_mult=2)), and CyclicLR(exp_range) that
also cycles the momentum. Afterwards: OneCycleLR(three_phase), PolynomialLR, ChainedScheduler
and ReduceLROnPlateau(cooldown) traced on dummy optimizers, requires_grad_(False) freezing,
and the state_dict keys of the whole setup."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler

torch.manual_seed(0)

# -- synthetic multi-task data -------------------------------------------------------------------
n = 128
X = torch.randn(n, 6)
y_reg = X[:, :2].sum(1, keepdim=True) + 0.1 * torch.randn(n, 1)
y_cls = (X[:, 2] > 0).long() + (X[:, 3] > 0.5).long()
y_multi = (X[:, 3:6] > 0).float()
print(X.shape, y_cls.bincount(), y_multi.mean(0))


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(6, 32), nn.GELU(), nn.LayerNorm(32),
                                   nn.Linear(32, 32), nn.GELU())
        self.heads = nn.ModuleDict({
            "reg": nn.Linear(32, 1),
            "cls": nn.Linear(32, 3),
            "multi": nn.Linear(32, 3),
        })
        self.log_vars = nn.ParameterList([nn.Parameter(torch.zeros(())) for _ in self.heads])

    def forward(self, x):
        h = self.trunk(x)
        return {name: head(h) for name, head in self.heads.items()}


model = MultiTask()
print(model)
print([name for name, _ in model.named_parameters()])
print(len(model.log_vars), model.heads["cls"], "cls" in model.heads, list(model.heads.keys()))

decay = [p for n_, p in model.trunk.named_parameters() if n_.endswith("weight") and p.dim() > 1]
no_decay = [p for n_, p in model.trunk.named_parameters()
            if not (n_.endswith("weight") and p.dim() > 1)]
adamw = torch.optim.AdamW([
    {"params": decay, "weight_decay": 0.05},
    {"params": no_decay, "weight_decay": 0.0},
    {"params": model.log_vars.parameters(), "weight_decay": 0.0, "lr": 0.01},
], lr=3e-3, betas=(0.9, 0.99))
sgd = torch.optim.SGD(model.heads.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                      weight_decay=1e-4)
print([len(g["params"]) for g in adamw.param_groups], [g["lr"] for g in adamw.param_groups])

warm = lr_scheduler.LinearLR(adamw, start_factor=0.1, total_iters=5)
cosine = lr_scheduler.CosineAnnealingWarmRestarts(adamw, T_0=5, T_mult=2, eta_min=1e-4)
sched_a = lr_scheduler.SequentialLR(adamw, [warm, cosine], milestones=[5])
sched_s = lr_scheduler.CyclicLR(sgd, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                mode="exp_range", gamma=0.95, base_momentum=0.8,
                                max_momentum=0.95)


def losses(out):
    return {
        "reg": F.mse_loss(out["reg"], y_reg),
        "cls": F.cross_entropy(out["cls"], y_cls),
        "multi": F.binary_cross_entropy_with_logits(out["multi"], y_multi),
    }


for step in range(40):
    adamw.zero_grad()
    sgd.zero_grad()
    per_task = losses(model(X))
    total = sum(torch.exp(-lv) * per_task[name] + lv
                for lv, name in zip(model.log_vars, per_task))
    total.backward()
    adamw.step()
    sgd.step()
    sched_a.step()
    sched_s.step()
    if step % 5 == 0:
        print(f"step {step:2d} total {total.item():.4f} "
              + " ".join(f"{k} {v.item():.4f}" for k, v in per_task.items())
              + f" | lr adamw {adamw.param_groups[0]['lr']:.5f} "
                f"logvar-lr {adamw.param_groups[2]['lr']:.5f} "
                f"sgd {sgd.param_groups[0]['lr']:.5f} mom {sgd.param_groups[0]['momentum']:.4f}")

print("log variances", torch.stack(list(model.log_vars)).detach())
out = model(X)
print("accuracy", (out["cls"].argmax(1) == y_cls).float().mean().item(),
      "multi-label", ((out["multi"] > 0).float() == y_multi).float().mean().item())

# -- freeze the trunk, fine-tune one head ---------------------------------------------------
model.trunk.requires_grad_(False)
print(sum(p.requires_grad for p in model.parameters()), "of", len(list(model.parameters())),
      "parameters trainable")
head_opt = torch.optim.SGD(model.heads["reg"].parameters(), lr=0.1)
before = model.trunk[0].weight.clone()
for _ in range(5):
    head_opt.zero_grad()
    loss = F.mse_loss(model(X)["reg"], y_reg)
    loss.backward()
    head_opt.step()
print(f"reg loss {loss.item():.4f}", torch.equal(before, model.trunk[0].weight),
      model.trunk[0].weight.grad is None)
model.trunk.requires_grad_(True)

sd = model.state_dict()
print(len(sd), list(sd)[-5:])
print(sorted(sched_a.state_dict()), sched_s.state_dict()["mode"])


# -- more schedulers on dummy optimizers ---------------------------------------------------------
def trace(make_sched, steps, opt_kwargs=None, metric=None):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9,
                          **(opt_kwargs or {}))
    sched = make_sched(opt)
    lrs = []
    for i in range(steps):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[i])
        lrs.append(round(opt.param_groups[0]["lr"], 6))
    return lrs, round(opt.param_groups[0]["momentum"], 4)


print("onecycle three_phase", trace(lambda o: lr_scheduler.OneCycleLR(
    o, max_lr=1.0, total_steps=12, three_phase=True, anneal_strategy="linear"), 11))
print("onecycle cos", trace(lambda o: lr_scheduler.OneCycleLR(
    o, max_lr=0.5, epochs=2, steps_per_epoch=5, pct_start=0.4, div_factor=10,
    final_div_factor=100), 9))
print("polynomial", trace(lambda o: lr_scheduler.PolynomialLR(o, total_iters=6, power=2.0), 8))
print("chained", trace(lambda o: lr_scheduler.ChainedScheduler([
    lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
    lr_scheduler.ExponentialLR(o, gamma=0.9)]), 6))
print("cyclic triangular2", trace(lambda o: lr_scheduler.CyclicLR(
    o, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2"), 12))
print("warm restarts", trace(lambda o: lr_scheduler.CosineAnnealingWarmRestarts(
    o, T_0=3, T_mult=2, eta_min=0.01), 12))
metric = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
print("plateau", trace(lambda o: lr_scheduler.ReduceLROnPlateau(
    o, mode="min", factor=0.5, patience=1, cooldown=2, threshold=0.01, min_lr=0.02),
    len(metric), metric=metric))
print("multiplicative", trace(lambda o: lr_scheduler.MultiplicativeLR(
    o, lr_lambda=lambda epoch: 0.95 if epoch % 2 else 1.0), 6))

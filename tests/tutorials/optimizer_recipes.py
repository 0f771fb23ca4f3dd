"""Training-loop recipes from the optimizer docs and tutorials: per-parameter options
(param groups with their own lr and weight_decay, add_param_group), gradient accumulation
over micro-batches, clip_grad_value_ and clip_grad_norm_, OneCycleLR stepping per batch,
ReduceLROnPlateau on a validation loss, CosineAnnealingWarmRestarts, SequentialLR, and
saving/loading optimizer and scheduler state_dicts to resume training exactly; the
optimizer's repr, state and param_groups along the way."""

import io

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)

# Data: a noisy sine regression.
x = torch.linspace(-3, 3, 128).unsqueeze(1)
y = torch.sin(x) + 0.1 * torch.randn_like(x)
x_val = torch.linspace(-2.9, 2.9, 32).unsqueeze(1)
y_val = torch.sin(x_val)


def make_model():
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 1))


# -- per-parameter options -------------------------------------------------------------------
model = make_model()
optimizer = torch.optim.SGD([
    {"params": model[0].parameters()},
    {"params": model[2].parameters(), "lr": 1e-3},
], lr=1e-2, momentum=0.9)
optimizer.add_param_group({"params": model[4].parameters(), "lr": 5e-3, "weight_decay": 1e-4})
print(optimizer)
print([len(g["params"]) for g in optimizer.param_groups],
      [g["lr"] for g in optimizer.param_groups])

# -- gradient accumulation with clip_grad_value_ ------------------------------------------------
accumulation_steps = 4
for epoch in range(3):
    perm = torch.randperm(128)
    optimizer.zero_grad()
    for i, start in enumerate(range(0, 128, 16)):
        idx = perm[start:start + 16]
        loss = F.mse_loss(model(x[idx]), y[idx]) / accumulation_steps
        loss.backward()
        if (i + 1) % accumulation_steps == 0:
            before = model[4].weight.grad.abs().max().item()
            torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
            after = model[4].weight.grad.abs().max().item()
            optimizer.step()
            optimizer.zero_grad()
            print(f"epoch {epoch} step {i} loss {loss.item() * accumulation_steps:.4f} "
                  f"max grad {before:.4f} -> {after:.4f}")
state = optimizer.state_dict()
print(sorted(state.keys()), list(state["state"].keys()))
print(state["param_groups"][2])
print(state["state"][4]["momentum_buffer"][0, :4])

# -- OneCycleLR, stepped after every batch ------------------------------------------------------
torch.manual_seed(18)
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.02, steps_per_epoch=8,
                                                epochs=4)
lrs, moms = [], []
for epoch in range(4):
    for start in range(0, 128, 16):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x[start:start + 16]), y[start:start + 16])
        loss.backward()
        optimizer.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        moms.append(optimizer.param_groups[0]["momentum"])
    with torch.no_grad():
        print(f"epoch {epoch} val {F.mse_loss(model(x_val), y_val).item():.4f}")
print(" ".join(f"{lr:.5f}" for lr in lrs[::4]))
print(" ".join(f"{m:.4f}" for m in moms[::4]))

# -- ReduceLROnPlateau on a validation loss, Adam with two groups --------------------------------
torch.manual_seed(19)
model = make_model()
optimizer = torch.optim.Adam([{"params": model[:4].parameters()},
                              {"params": model[4].parameters(), "lr": 3e-3}], lr=1e-2)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5,
                                                       patience=1, threshold=0.1,
                                                       cooldown=1, min_lr=1e-4)
for epoch in range(16):
    model.train()
    for start in range(0, 128, 32):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x[start:start + 32]), y[start:start + 32])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=2.0)
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = F.mse_loss(model(x_val), y_val)
    scheduler.step(val_loss)
    print(f"epoch {epoch:2d} val {val_loss.item():.4f} lrs "
          f"{[round(g['lr'], 6) for g in optimizer.param_groups]} "
          f"bad {scheduler.num_bad_epochs} best {scheduler.best:.4f}")

# -- save and resume: the resumed run continues exactly ---------------------------------------
checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
              "scheduler": scheduler.state_dict()}
buffer = io.BytesIO()
torch.save(checkpoint, buffer)
buffer.seek(0)
loaded = torch.load(buffer, weights_only=True)
print(sorted(loaded["scheduler"].keys()))
print(loaded["optimizer"]["state"][0]["step"], loaded["optimizer"]["state"][0]["exp_avg"].shape)

model2 = make_model()
model2.load_state_dict(loaded["model"])
optimizer2 = torch.optim.Adam([{"params": model2[:4].parameters()},
                               {"params": model2[4].parameters(), "lr": 3e-3}], lr=1e-2)
optimizer2.load_state_dict(loaded["optimizer"])
scheduler2 = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer2)
scheduler2.load_state_dict(loaded["scheduler"])
print(scheduler2.factor, scheduler2.patience, [g["lr"] for g in optimizer2.param_groups])
for m, opt in ((model, optimizer), (model2, optimizer2)):
    for start in range(0, 128, 32):
        opt.zero_grad()
        F.mse_loss(m(x[start:start + 32]), y[start:start + 32]).backward()
        opt.step()
print(all(torch.equal(a, b) for a, b in zip(model.parameters(), model2.parameters())))

# -- CosineAnnealingWarmRestarts and SequentialLR schedules ------------------------------------
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
values = []
for _epoch in range(12):
    opt.step()
    sched.step()
    values.append(f"{sched.get_last_lr()[0]:.4f}")
print(" ".join(values), sched.T_cur, sched.T_i)
opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
decay = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
sched = torch.optim.lr_scheduler.SequentialLR(opt, schedulers=[warm, decay], milestones=[3])
values = []
for _epoch in range(7):
    opt.step()
    sched.step()
    values.append(f"{sched.get_last_lr()[0]:.4f}")
print(" ".join(values))
print(sched.state_dict()["_milestones"], sched.last_epoch)

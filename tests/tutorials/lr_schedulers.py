"""How to adjust the learning rate (torch.optim.lr_scheduler docs and recipes): StepLR,
MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR stepped every batch,
ReduceLROnPlateau fed a validation loss, LambdaLR, chaining two schedulers, and a
scheduler's state_dict; get_last_lr() printed along the way."""

# ruff: noqa: B007  (the tutorial's own loop variables, kept as written)

import torch
from torch import nn
from torch.optim import SGD, Adam
from torch.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
)

torch.manual_seed(0)
X = torch.randn(128, 4)
y = X @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1 * torch.randn(128)
train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32)


def run_epoch(model, optimizer, scheduler=None, per_batch=False):
    total = 0.0
    for xb, yb in train:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb).squeeze(1), yb)
        loss.backward()
        optimizer.step()
        if per_batch:
            scheduler.step()
        total += loss.item()
    return total / len(train)


model = nn.Linear(4, 1)
optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
scheduler = StepLR(optimizer, step_size=3, gamma=0.1)
for epoch in range(8):
    loss = run_epoch(model, optimizer)
    scheduler.step()
    print(f"StepLR epoch {epoch} loss {loss:.5f} lr {scheduler.get_last_lr()}")

optimizer = SGD(model.parameters(), lr=0.05)
scheduler = MultiStepLR(optimizer, milestones=[2, 4], gamma=0.5)
for epoch in range(6):
    optimizer.step()
    scheduler.step()
    print("MultiStepLR", epoch, scheduler.get_last_lr(), optimizer.param_groups[0]["lr"])

optimizer = SGD(model.parameters(), lr=0.1)
scheduler = CosineAnnealingLR(optimizer, T_max=5, eta_min=0.001)
lrs = []
for epoch in range(10):
    optimizer.step()
    scheduler.step()
    lrs.append(scheduler.get_last_lr()[0])
print("CosineAnnealingLR", lrs)

# OneCycleLR steps after every batch.
model = nn.Linear(4, 1)
optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
scheduler = OneCycleLR(optimizer, max_lr=0.1, steps_per_epoch=len(train), epochs=4)
for epoch in range(4):
    loss = run_epoch(model, optimizer, scheduler, per_batch=True)
    print(f"OneCycleLR epoch {epoch} loss {loss:.5f} lr {scheduler.get_last_lr()} "
          f"momentum {optimizer.param_groups[0]['momentum']:.6f}")

# ReduceLROnPlateau: step(metric) once per epoch with the validation loss.
model = nn.Linear(4, 1)
optimizer = Adam(model.parameters(), lr=0.5)
scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
for epoch in range(12):
    run_epoch(model, optimizer)
    with torch.no_grad():
        val_loss = nn.functional.mse_loss(model(X).squeeze(1), y)
    scheduler.step(val_loss)
    print(f"ReduceLROnPlateau epoch {epoch} val {val_loss.item():.5f} "
          f"lr {scheduler.get_last_lr()} bad {scheduler.num_bad_epochs}")

# LambdaLR with a warm-up, two parameter groups.
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = SGD([
    {"params": model[0].parameters()},
    {"params": model[2].parameters(), "lr": 0.01},
], lr=0.1)
scheduler = LambdaLR(optimizer, lr_lambda=lambda epoch: min(1.0, (epoch + 1) / 3))
print("LambdaLR", scheduler.get_last_lr())
for epoch in range(4):
    optimizer.step()
    scheduler.step()
    print("LambdaLR", epoch, scheduler.get_last_lr())

# Chaining: both schedulers step every epoch and their effects multiply.
optimizer = SGD(model.parameters(), lr=1.0)
scheduler1 = ExponentialLR(optimizer, gamma=0.9)
scheduler2 = MultiStepLR(optimizer, milestones=[3, 5], gamma=0.1)
for epoch in range(6):
    optimizer.step()
    scheduler1.step()
    scheduler2.step()
    print("chained", epoch, scheduler1.get_last_lr(), scheduler2.get_last_lr())

state = scheduler2.state_dict()
print(sorted(state), state["last_epoch"], state["milestones"])

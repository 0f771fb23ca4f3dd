"""Regression with custom and built-in losses: quantile (pinball) regression written by
hand with three quantile heads, heteroscedastic regression with nn.GaussianNLLLoss,
count regression with nn.PoissonNLLLoss, robust fits with HuberLoss/SmoothL1Loss under
outliers, multi-label classification with BCEWithLogitsLoss(pos_weight) and
MultiLabelSoftMarginLoss, evaluation under torch.no_grad / torch.inference_mode; then
stochastic weight averaging (AveragedModel, SWALR, update_bn) as in the SWA recipe."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn

torch.manual_seed(23)

# Data: y = x sin(x) with noise growing with |x|, plus a few outliers.
x = torch.linspace(-3, 3, 200).unsqueeze(1)
noise_scale = 0.1 + 0.3 * x.abs()
y = x * torch.sin(x) + noise_scale * torch.randn_like(x)
y_out = y.clone()
y_out[::25] += 6.0


def mlp(out=1):
    return nn.Sequential(nn.Linear(1, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(),
                         nn.Linear(32, out))


# -- quantile regression -------------------------------------------------------------------------
class QuantileLoss(nn.Module):
    def __init__(self, quantiles):
        super().__init__()
        self.register_buffer("quantiles", torch.tensor(quantiles))

    def forward(self, preds, target):
        errors = target - preds                        # (N, Q)
        loss = torch.max((self.quantiles - 1) * errors, self.quantiles * errors)
        return loss.sum(dim=1).mean()


qloss = QuantileLoss([0.1, 0.5, 0.9])
print(qloss, qloss.quantiles, list(qloss.state_dict()))
model = mlp(3)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(150):
    optimizer.zero_grad()
    loss = qloss(model(x), y)
    loss.backward()
    optimizer.step()
    if epoch % 30 == 0:
        print(f"epoch {epoch:3d} pinball {loss.item():.4f}")
with torch.no_grad():
    q = model(x)
    coverage = ((y >= q[:, :1]) & (y <= q[:, 2:])).float().mean()
    below = (y < q).float().mean(0)
print(f"coverage {coverage.item():.3f}", [f"{v:.3f}" for v in below.tolist()])
print((q[:, 2] - q[:, 0])[::40])

# -- heteroscedastic regression: mean and variance heads ---------------------------------------
torch.manual_seed(24)
model = mlp(2)
gnll = nn.GaussianNLLLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(150):
    optimizer.zero_grad()
    out = model(x)
    mean, var = out[:, :1], F.softplus(out[:, 1:]) + 1e-6
    loss = gnll(mean, y, var)
    loss.backward()
    optimizer.step()
    if epoch % 30 == 0:
        print(f"epoch {epoch:3d} gaussian nll {loss.item():.4f}")
with torch.inference_mode():
    out = model(x)
    std = (F.softplus(out[:, 1]) + 1e-6).sqrt()
    print(torch.is_inference_mode_enabled(), out.requires_grad)
print(std[::40])
print(f"{nn.GaussianNLLLoss(full=True, reduction='sum')(mean, y, var).item():.3f}")
print(F.gaussian_nll_loss(torch.zeros(3, 2), torch.ones(3, 2), torch.ones(3, 1),
                          reduction="none"))

# -- Poisson regression on counts ---------------------------------------------------------------
torch.manual_seed(25)
rate = torch.exp(0.5 + 0.4 * x)
counts = torch.poisson(rate)
print(counts[:10].squeeze(1), counts.sum().item())
model = nn.Linear(1, 1)
pnll = nn.PoissonNLLLoss(log_input=True)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
for _epoch in range(100):
    optimizer.zero_grad()
    loss = pnll(model(x), counts)
    loss.backward()
    optimizer.step()
print(f"poisson nll {loss.item():.4f} weight {model.weight.item():.4f} "
      f"bias {model.bias.item():.4f}")
print(F.poisson_nll_loss(torch.tensor([1., 2.]), torch.tensor([0., 3.]), log_input=False,
                         full=True, reduction="none"))

# -- robust losses under outliers ------------------------------------------------------------------
for name, criterion in [("mse", nn.MSELoss()), ("l1", nn.L1Loss()),
                        ("huber", nn.HuberLoss(delta=1.0)),
                        ("smoothl1", nn.SmoothL1Loss(beta=0.5))]:
    torch.manual_seed(26)
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    for _epoch in range(80):
        optimizer.zero_grad()
        loss = criterion(model(x), y_out)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        clean_mse = F.mse_loss(model(x), x * torch.sin(x))
    print(f"{name:8s} train {loss.item():.4f} clean mse {clean_mse.item():.4f}")
d = torch.tensor([-3., -0.6, -0.2, 0., 0.2, 0.6, 3.])
print(F.huber_loss(d, torch.zeros(7), reduction="none", delta=0.5))
print(F.smooth_l1_loss(d, torch.zeros(7), reduction="none", beta=0.5))

# -- multi-label classification -------------------------------------------------------------------
torch.manual_seed(27)
features = torch.randn(128, 8)
true_w = torch.randn(8, 4)
labels = (features @ true_w > 1.0).float()
print(labels.sum(0), labels.mean().item())
pos_weight = (labels.shape[0] - labels.sum(0)) / labels.sum(0)
print(pos_weight)
clf = nn.Linear(8, 4)
bce = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
optimizer = torch.optim.SGD(clf.parameters(), lr=0.5)
for _epoch in range(60):
    optimizer.zero_grad()
    loss = bce(clf(features), labels)
    loss.backward()
    optimizer.step()
with torch.no_grad():
    logits = clf(features)
    preds = (logits.sigmoid() > 0.5).float()
    tp = (preds * labels).sum(0)
    precision = tp / preds.sum(0).clamp(min=1)
    recall = tp / labels.sum(0)
    print(f"bce {loss.item():.4f}")
    print(precision, recall)
    print(f"{nn.MultiLabelSoftMarginLoss()(logits, labels).item():.4f} "
          f"{F.binary_cross_entropy_with_logits(logits, labels).item():.4f}")
    print(F.binary_cross_entropy_with_logits(logits[:2], labels[:2], reduction="none",
                                             weight=torch.tensor([1., 2., 1., 2.])))

# -- stochastic weight averaging ----------------------------------------------------------------
torch.manual_seed(28)
model = nn.Sequential(nn.Linear(1, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
swa_model = AveragedModel(model)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=20)
swa_start = 10
swa_scheduler = SWALR(optimizer, swa_lr=0.02, anneal_epochs=3, anneal_strategy="cos")
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=40,
                                     shuffle=True)
for epoch in range(20):
    for xb, yb in loader:
        optimizer.zero_grad()
        F.mse_loss(model(xb), yb).backward()
        optimizer.step()
    if epoch > swa_start:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    else:
        scheduler.step()
    print(f"epoch {epoch:2d} lr {optimizer.param_groups[0]['lr']:.5f} "
          f"averaged {swa_model.n_averaged.item()}")
update_bn(((xb,) for xb, _ in loader), swa_model)
swa_model.eval()
model.eval()
with torch.no_grad():
    print(f"model mse {F.mse_loss(model(x), y).item():.4f} "
          f"swa mse {F.mse_loss(swa_model(x), y).item():.4f}")
print(swa_model.module[1].running_mean[:4], swa_model.module[1].num_batches_tracked)
ema = AveragedModel(model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(0.9))
ema.update_parameters(model)
print(torch.equal(ema.module[0].weight, model[0].weight), ema.n_averaged)

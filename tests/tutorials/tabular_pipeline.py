"""A tabular binary classifier the way a data-science notebook writes it: a synthetic table
with numeric and categorical columns and missing values, median imputation with nanmedian,
one-hot encoding with F.one_hot, standardisation with mean / std(unbiased=False) computed on
the training split only, random_split with a seeded Generator, a weighted sampler for the
rare class, BCEWithLogitsLoss with pos_weight, ReduceLROnPlateau on the validation loss,
and metrics from a confusion matrix built with bincount: accuracy, precision, recall, F1,
a threshold sweep, and ROC-AUC by ranking."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler, random_split

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# -- a synthetic table -------------------------------------------------------------------------
N = 600
age = torch.randint(18, 80, (N,)).float()
income = torch.exp(torch.randn(N) * 0.5 + 10.0)
visits = torch.poisson(torch.full((N,), 3.0))
region = torch.randint(0, 4, (N,))
plan = torch.multinomial(torch.tensor([0.6, 0.3, 0.1]), N, replacement=True)
score = (
    0.04 * (age - 50)
    - 0.6 * (income.log() - 10)
    + 0.3 * visits
    + 0.8 * (plan == 2).float()
    + 0.5 * (region == 3).float()
    - 2.5
    + 0.5 * torch.randn(N)
)
churn = (score > 0).float()
print("positives", int(churn.sum().item()), "of", N, f"({churn.mean().item():.3f})")
# knock out 5% of incomes and ages
income[torch.rand(N) < 0.05] = float("nan")
age[torch.rand(N) < 0.05] = float("nan")
print(
    "missing income", torch.isnan(income).sum().item(), "missing age", torch.isnan(age).sum().item()
)
print(
    "first rows\n", torch.stack([age, income, visits, region.float(), plan.float(), churn], 1)[:5]
)

# -- split first, then fit the preprocessing on the training part -------------------------------
idx_ds = TensorDataset(torch.arange(N))
gen = torch.Generator().manual_seed(7)
train_part, val_part, test_part = random_split(idx_ds, [0.7, 0.15, 0.15], generator=gen)
tr, va, te = (torch.tensor(p.indices) for p in (train_part, val_part, test_part))
print("split sizes", len(tr), len(va), len(te), "first train idx", tr[:6])

med_age = age[tr].nanmedian()
med_log_income = income[tr].log().nanmedian()
print("medians", med_age, med_log_income)
num = torch.stack(
    [
        torch.where(torch.isnan(age), med_age, age),
        torch.nan_to_num(income.log(), nan=med_log_income.item()),
        visits,
    ],
    dim=1,
)
mu = num[tr].mean(0)
sd = num[tr].std(0, unbiased=False)
print("train mean", mu, "train std", sd)
num_std = (num - mu) / sd
print(
    "standardised train mean ~0",
    num_std[tr].mean(0).abs().max().item() < 1e-5,
    "std ~1",
    torch.allclose(num_std[tr].std(0, unbiased=False), torch.ones(3), atol=1e-5),
)
print(
    "std vs var",
    torch.allclose(num.var(0, correction=0).sqrt(), num.std(0, correction=0)),
    "unbiased ratio",
    (num.std(0) / num.std(0, unbiased=False)).tolist()[0],
)
onehot = torch.cat([F.one_hot(region, 4), F.one_hot(plan, 3)], dim=1).float()
X = torch.cat([num_std, onehot], dim=1)
print("design matrix", X.shape, X.dtype, "one-hot row sums", onehot[:3].sum(1))

# -- loaders: a weighted sampler balances the classes -------------------------------------------
y = churn
pos_frac = y[tr].mean()
weights = torch.where(y[tr] == 1, 0.5 / pos_frac, 0.5 / (1 - pos_frac))
sampler = WeightedRandomSampler(
    weights.double(),
    num_samples=len(tr),
    replacement=True,
    generator=torch.Generator().manual_seed(3),
)
train_loader = DataLoader(TensorDataset(X[tr], y[tr]), batch_size=32, sampler=sampler)
first = next(iter(train_loader))
print(
    "batches",
    len(train_loader),
    "first batch positives",
    int(first[1].sum().item()),
    "/",
    len(first[1]),
)

model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
pos_weight = ((1 - pos_frac) / pos_frac).reshape(1)
print("pos_weight", pos_weight)
# the sampler already balances; pos_weight goes to the validation loss only, to show both
train_loss_fn = nn.BCEWithLogitsLoss()
val_loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
    opt, mode="min", factor=0.5, patience=2, threshold=1e-3
)

for epoch in range(15):
    model.train()
    for xb, yb in train_loader:
        loss = train_loss_fn(model(xb).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val_logits = model(X[va]).squeeze(1)
        val_loss = val_loss_fn(val_logits, y[va])
    sched.step(val_loss)
    print(
        f"epoch {epoch:2d} train {loss.item():.4f} val {val_loss.item():.4f} "
        f"lr {opt.param_groups[0]['lr']:.4f} bad epochs {sched.num_bad_epochs}"
    )


# -- metrics ---------------------------------------------------------------------------------------
def confusion(pred, target):
    cm = torch.bincount(target.long() * 2 + pred.long(), minlength=4).view(2, 2)
    return cm  # rows: true 0/1, cols: predicted 0/1


with torch.no_grad():
    prob = torch.sigmoid(model(X[te]).squeeze(1))
cm = confusion(prob > 0.5, y[te])
tn, fp, fn, tp = cm.flatten().tolist()
precision = tp / max(tp + fp, 1)
recall = tp / max(tp + fn, 1)
f1 = 2 * precision * recall / max(precision + recall, 1e-12)
print("confusion\n", cm)
print(
    f"accuracy {(tp + tn) / len(te):.4f} precision {precision:.4f} recall {recall:.4f} f1 {f1:.4f}"
)
for thr in [0.2, 0.35, 0.5, 0.65, 0.8]:
    c = confusion(prob > thr, y[te])
    print(
        f"threshold {thr:.2f}: tp {c[1, 1].item():3d} fp {c[0, 1].item():3d} fn {c[1, 0].item():3d}"
    )

# ROC-AUC by ranks (Mann-Whitney U): ties get the average rank
order = prob.argsort()
ranks = torch.empty_like(prob)
ranks[order] = torch.arange(1, len(prob) + 1, dtype=prob.dtype)
uniq, inv = torch.unique(prob, return_inverse=True)
avg = torch.zeros_like(uniq).index_add_(0, inv, ranks) / torch.bincount(inv).float()
ranks = avg[inv]
n_pos, n_neg = y[te].sum(), (1 - y[te]).sum()
auc = (ranks[y[te] == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
print(f"ROC-AUC {auc.item():.4f}")
# the same AUC by comparing every positive with every negative
pp, nn_ = prob[y[te] == 1], prob[y[te] == 0]
pairwise = (
    (pp[:, None] > nn_[None, :]).float() + 0.5 * (pp[:, None] == nn_[None, :]).float()
).mean()
print(f"pairwise AUC {pairwise.item():.4f}")
print("first-layer weight norms per feature", model[0].weight.norm(dim=0))

"""Regularisation recipes from the torchvision classification reference: mixup and
cutmix (lambda from torch.distributions.Beta, partner images via torch.roll over the
batch, cutmix boxes clamped to the image and lambda corrected by the box area), soft
targets mixed from F.one_hot, nn.CrossEntropyLoss with probability targets and with
label_smoothing (class weights too), random erasing, and a small CNN trained with each
recipe; EMA of the weights via torch.optim.swa_utils.AveragedModel with a custom
multi_avg_fn (get_ema_multi_avg_fn)."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Beta
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

torch.manual_seed(21)
NUM_CLASSES = 4


def make_data(n, g):
    """16x16 images: class k has a bright blob in quadrant k."""
    labels = torch.randint(0, NUM_CLASSES, (n,), generator=g)
    images = torch.randn(n, 1, 16, 16, generator=g) * 0.3
    for i in range(n):
        r, c = divmod(int(labels[i]), 2)
        images[i, 0, r * 8 + 2:r * 8 + 6, c * 8 + 2:c * 8 + 6] += 1.5
    return images, labels


g = torch.Generator().manual_seed(0)
train_x, train_y = make_data(160, g)
test_x, test_y = make_data(80, g)


def mixup(x, y, alpha=0.4):
    lam = Beta(torch.tensor([alpha]), torch.tensor([alpha])).sample().item()
    target = F.one_hot(y, NUM_CLASSES).float()
    x = lam * x + (1 - lam) * x.roll(1, 0)
    return x, lam * target + (1 - lam) * target.roll(1, 0), lam


def cutmix(x, y, alpha=1.0):
    lam = Beta(torch.tensor([alpha]), torch.tensor([alpha])).sample().item()
    H, W = x.shape[-2:]
    r_x, r_y = torch.randint(W, (1,)), torch.randint(H, (1,))
    r = 0.5 * (1.0 - lam) ** 0.5
    r_w_half, r_h_half = int(r * W), int(r * H)
    x1 = int(torch.clamp(r_x - r_w_half, min=0))
    y1 = int(torch.clamp(r_y - r_h_half, min=0))
    x2 = int(torch.clamp(r_x + r_w_half, max=W))
    y2 = int(torch.clamp(r_y + r_h_half, max=H))
    x = x.clone()
    x[:, :, y1:y2, x1:x2] = x.roll(1, 0)[:, :, y1:y2, x1:x2]
    lam = float(1.0 - (x2 - x1) * (y2 - y1) / (W * H))
    target = F.one_hot(y, NUM_CLASSES).float()
    return x, lam * target + (1 - lam) * target.roll(1, 0), lam


def random_erasing(x, p=0.5, scale=(0.02, 0.2)):
    x = x.clone()
    for i in range(x.shape[0]):
        if torch.rand(1).item() >= p:
            continue
        area = 256 * torch.empty(1).uniform_(scale[0], scale[1]).item()
        side = max(1, int(area ** 0.5))
        top, left = torch.randint(0, 16 - side + 1, (2,)).tolist()
        x[i, :, top:top + side, left:left + side] = torch.randn(1, side, side)
    return x


xb, yb = train_x[:6], train_y[:6]
mx, my, lam = mixup(xb, yb)
print(f"mixup lambda {lam:.4f} targets\n", my)
cx, cy, lam = cutmix(xb, yb)
print(f"cutmix lambda {lam:.4f} changed pixels {int((cx != xb).sum())} targets rows sum",
      cy.sum(1))
er = random_erasing(xb)
print("erased images", int((er != xb).flatten(1).any(1).sum()))

logits = torch.randn(6, NUM_CLASSES, requires_grad=True)
soft = nn.CrossEntropyLoss()(logits, my)
smooth = nn.CrossEntropyLoss(label_smoothing=0.1)(logits, yb)
weighted = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 0.5, 1.0]),
                               label_smoothing=0.2)(logits, yb)
manual = -(F.one_hot(yb, 4) * 0.9 + 0.1 / 4) * F.log_softmax(logits, 1)
print(f"soft-target CE {soft.item():.4f} smoothed {smooth.item():.4f} "
      f"manual {manual.sum(1).mean().item():.4f} weighted+smoothed {weighted.item():.4f}")
(g_soft,) = torch.autograd.grad(soft, logits)
print("soft-target gradient = (softmax - target) / N:",
      torch.allclose(g_soft, (logits.softmax(1) - my) / 6, atol=1e-7), soft.grad_fn.name())


def make_model():
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(64, NUM_CLASSES))


for recipe in ["plain", "smoothing", "mixup", "cutmix", "erasing"]:
    model = make_model()
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1 if recipe == "smoothing" else 0.0)
    for _epoch in range(6):
        perm = torch.randperm(160)
        for i in range(0, 160, 32):
            x, y = train_x[perm[i:i + 32]], train_y[perm[i:i + 32]]
            if recipe == "mixup":
                x, y, _ = mixup(x, y)
            elif recipe == "cutmix":
                x, y, _ = cutmix(x, y)
            elif recipe == "erasing":
                x = random_erasing(x)
            loss = criterion(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema.update_parameters(model)
    model.eval()
    ema.eval()
    with torch.no_grad():
        acc = (model(test_x).argmax(1) == test_y).float().mean().item()
        ema_acc = (ema(test_x).argmax(1) == test_y).float().mean().item()
        conf = model(test_x).softmax(1).max(1).values.mean().item()
    print(f"{recipe:9s} last loss {loss.item():.4f} test acc {acc:.4f} ema acc {ema_acc:.4f} "
          f"mean confidence {conf:.4f} n_averaged {ema.n_averaged.item()}")
print(ema.module[1], "running_mean", ema.module[1].running_mean[:3])

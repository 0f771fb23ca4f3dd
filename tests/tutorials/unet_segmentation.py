"""A small U-Net for semantic segmentation, in the style of the segmentation tutorials:
encoder with MaxPool2d, decoder with ConvTranspose2d and skip connections joined by
torch.cat, per-pixel nn.CrossEntropyLoss on (N, C, H, W) logits and (N, H, W) targets with
ignore_index for unlabelled pixels and class weights, F.interpolate, argmax predictions,
pixel accuracy and per-class IoU from bincount."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

num_classes = 3
IGNORE = 255


def make_batch(n):
    """Images with a disc (class 1) and a bar (class 2) on background (class 0); a border of
    unlabelled pixels (255) as in VOC's object outlines."""
    ys, xs = torch.meshgrid(torch.arange(16.), torch.arange(16.), indexing="ij")
    images = torch.randn(n, 1, 16, 16) * 0.3
    masks = torch.zeros(n, 16, 16, dtype=torch.long)
    centres = torch.randint(4, 12, (n, 2)).float()
    rows = torch.randint(0, 13, (n,))
    for k in range(n):
        disc = (ys - centres[k, 0]) ** 2 + (xs - centres[k, 1]) ** 2 < 9
        masks[k][disc] = 1
        masks[k, rows[k]:rows[k] + 3, :] = 2
        edge = ((ys - centres[k, 0]) ** 2 + (xs - centres[k, 1]) ** 2 - 9).abs() < 1.5
        masks[k][edge & (masks[k] != 2)] = IGNORE
    images += (masks == 1).unsqueeze(1).float() - (masks == 2).unsqueeze(1).float()
    return images, masks


def double_conv(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, n_channels=1, n_classes=3, width=8):
        super().__init__()
        self.inc = double_conv(n_channels, width)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), double_conv(width, width * 2))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), double_conv(width * 2, width * 4))
        self.up1 = nn.ConvTranspose2d(width * 4, width * 2, kernel_size=2, stride=2)
        self.conv1 = double_conv(width * 4, width * 2)
        self.up2 = nn.ConvTranspose2d(width * 2, width, kernel_size=2, stride=2)
        self.conv2 = double_conv(width * 2, width)
        self.outc = nn.Conv2d(width, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.conv1(torch.cat([x2, self.up1(x3)], dim=1))
        x = self.conv2(torch.cat([x1, self.up2(x)], dim=1))
        return self.outc(x)


images, masks = make_batch(24)
print(images.shape, masks.shape, masks.dtype)
print(torch.unique(masks, return_counts=True))
print(masks[0, 4:12, 4:12])

model = UNet()
print(model.up1, model.outc)
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
out = model(images[:2])
print(out.shape)

weights = torch.tensor([0.5, 1.0, 1.0])
criterion = nn.CrossEntropyLoss(weight=weights, ignore_index=IGNORE)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

for epoch in range(6):
    model.train()
    for start in range(0, 24, 8):
        x, y = images[start:start + 8], masks[start:start + 8]
        optimizer.zero_grad()
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch} loss {loss.item():.4f}")

print(model.outc.bias.grad)

test_images, test_masks = make_batch(8)
model.eval()
with torch.no_grad():
    logits = model(test_images)
    loss_none = F.cross_entropy(logits, test_masks, ignore_index=IGNORE, reduction="none")
    print(loss_none.shape, (loss_none == 0).sum().item(), (test_masks == IGNORE).sum().item())
    print(f"{F.cross_entropy(logits, test_masks, ignore_index=IGNORE).item():.4f}")
    smoothed = F.cross_entropy(logits, test_masks, ignore_index=IGNORE, label_smoothing=0.1)
    print(f"{smoothed.item():.4f}")
    pred = logits.argmax(dim=1)
    valid = test_masks != IGNORE
    acc = (pred[valid] == test_masks[valid]).float().mean()
    print(f"pixel accuracy {acc.item():.4f}")
    conf = torch.bincount(test_masks[valid] * num_classes + pred[valid],
                          minlength=num_classes ** 2).reshape(num_classes, num_classes)
    print(conf)
    iou = conf.diag() / (conf.sum(0) + conf.sum(1) - conf.diag()).clamp(min=1)
    print(iou)
    small = F.interpolate(logits, scale_factor=0.5, mode="bilinear", align_corners=False)
    print(small.shape, small.argmax(1)[0])
    big = F.interpolate(pred.unsqueeze(1).float(), size=(32, 32), mode="nearest")
    print(big.shape, big[0, 0, :4, :8])
    probs = logits.softmax(dim=1)
    print(probs.sum(dim=1).allclose(torch.ones(8, 16, 16)))
    print(probs[0, :, 8, 8])

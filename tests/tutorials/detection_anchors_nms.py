"""Object-detection plumbing written by hand, as in the torchvision detection reference
and many single-stage detector tutorials: anchor generation with torch.meshgrid,
pairwise box IoU with broadcasting and clamp, anchor-to-ground-truth matching (max over
dims, thresholds, forcing each ground truth to its best anchor), box delta
encoding/decoding with log/exp, sigmoid focal loss (torchvision.ops formula), smooth L1
regression on positives, greedy non-maximum suppression with a while loop, and a tiny
detection head trained on synthetic images of bright squares."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)


def make_anchors(feature_size, stride, sizes=(6.0, 10.0), ratios=(0.5, 1.0, 2.0)):
    shifts = (torch.arange(feature_size, dtype=torch.float32) + 0.5) * stride
    cy, cx = torch.meshgrid(shifts, shifts, indexing="ij")
    centres = torch.stack([cx, cy, cx, cy], dim=-1).reshape(-1, 1, 4)
    base = []
    for s in sizes:
        for r in ratios:
            w, h = s * math.sqrt(1 / r), s * math.sqrt(r)
            base.append([-w / 2, -h / 2, w / 2, h / 2])
    return (centres + torch.tensor(base)).reshape(-1, 4)


def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(a, b):
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (box_area(a)[:, None] + box_area(b)[None, :] - inter)


def encode(gt, anchors):
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + 0.5 * gw, gt[:, 1] + 0.5 * gh
    return torch.stack([(gx - ax) / aw, (gy - ay) / ah, torch.log(gw / aw), torch.log(gh / ah)], 1)


def decode(deltas, anchors):
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    dw = deltas[:, 2].clamp(max=math.log(1000 / 16))
    dh = deltas[:, 3].clamp(max=math.log(1000 / 16))
    x, y = ax + deltas[:, 0] * aw, ay + deltas[:, 1] * ah
    w, h = aw * torch.exp(dw), ah * torch.exp(dh)
    return torch.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], dim=1)


def match(anchors, gt, high=0.5, low=0.3):
    """Index of the matched ground truth per anchor; -1 background, -2 ignored."""
    iou = box_iou(gt, anchors)                      # (G, A)
    best_iou, best_gt = iou.max(dim=0)
    matches = best_gt.clone()
    matches[best_iou < high] = -2
    matches[best_iou < low] = -1
    best_anchor_iou, _ = iou.max(dim=1, keepdim=True)
    gt_idx, anchor_idx = torch.nonzero(iou == best_anchor_iou, as_tuple=True)
    matches[anchor_idx] = best_gt[anchor_idx]
    return matches


def nms(boxes, scores, threshold):
    order = scores.argsort(descending=True)
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i.item())
        if order.numel() == 1:
            break
        ious = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]]).squeeze(0)
        order = order[1:][ious <= threshold]
    return torch.tensor(keep, dtype=torch.long)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return alpha_t * loss


anchors = make_anchors(4, 4.0)
print("anchors", tuple(anchors.shape), anchors.dtype)
print(anchors[:6])

a = torch.tensor([[0.0, 0.0, 4.0, 4.0], [2.0, 2.0, 6.0, 6.0], [10.0, 10.0, 12.0, 13.0]])
print("iou\n", box_iou(a, a))
deltas = encode(a, anchors[:3])
print("deltas", deltas)
print("decode(encode) recovers boxes:", torch.allclose(decode(deltas, anchors[:3]), a, atol=1e-5))

boxes = torch.tensor([[1.0, 1, 5, 5], [1.2, 1.1, 5.1, 5.2], [8, 8, 12, 12], [8.5, 8, 12.5, 12],
                      [1, 9, 4, 13]])
scores = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.3])
print("nms keeps", nms(boxes, scores, 0.5).tolist())


def make_image(generator):
    image = torch.rand(1, 16, 16, generator=generator) * 0.2
    n = int(torch.randint(1, 3, (1,), generator=generator))
    gts = []
    for _ in range(n):
        size = int(torch.randint(5, 9, (1,), generator=generator))
        x0, y0 = torch.randint(0, 16 - size, (2,), generator=generator).tolist()
        image[0, y0:y0 + size, x0:x0 + size] += 0.8
        gts.append([float(x0), float(y0), float(x0 + size), float(y0 + size)])
    return image, torch.tensor(gts)


g = torch.Generator().manual_seed(2)
dataset = [make_image(g) for _ in range(40)]
m = match(anchors, dataset[0][1])
print("ground truth", dataset[0][1].tolist())
print("positives", (m >= 0).sum().item(), "ignored", (m == -2).sum().item(),
      "background", (m == -1).sum().item())


class Head(nn.Module):
    def __init__(self, num_anchors=6):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.cls = nn.Conv2d(32, num_anchors, 3, padding=1)
        self.reg = nn.Conv2d(32, num_anchors * 4, 3, padding=1)
        nn.init.constant_(self.cls.bias, -math.log((1 - 0.01) / 0.01))

    def forward(self, x):
        f = self.body(x)
        B = x.shape[0]
        logits = self.cls(f).permute(0, 2, 3, 1).reshape(B, -1)
        deltas = self.reg(f).permute(0, 2, 3, 1).reshape(B, -1, 4)
        return logits, deltas


model = Head()
print(model.cls, "bias", model.cls.bias[:2])
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
images = torch.stack([im for im, _ in dataset])
for epoch in range(10):
    total_cls, total_reg = 0.0, 0.0
    for start in range(0, 40, 8):
        logits, pred = model(images[start:start + 8])
        cls_losses, reg_losses, num_pos = [], [], 0
        for j in range(8):
            gt = dataset[start + j][1]
            mt = match(anchors, gt)
            valid = mt != -2
            target = (mt >= 0).float()
            cls_losses.append(sigmoid_focal_loss(logits[j][valid], target[valid]).sum())
            pos = mt >= 0
            num_pos += int(pos.sum())
            reg_target = encode(gt[mt[pos]], anchors[pos])
            reg_losses.append(F.smooth_l1_loss(pred[j][pos], reg_target, beta=1 / 9,
                                               reduction="sum"))
        loss_cls = torch.stack(cls_losses).sum() / max(1, num_pos)
        loss_reg = torch.stack(reg_losses).sum() / max(1, num_pos)
        loss = loss_cls + loss_reg
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        total_cls += loss_cls.item()
        total_reg += loss_reg.item()
    if epoch % 3 == 0:
        print(f"epoch {epoch + 1:2d} focal {total_cls / 5:.4f} smooth-l1 {total_reg / 5:.4f}")

model.eval()
with torch.no_grad():
    logits, pred = model(images[:3])
    for j in range(3):
        scores = logits[j].sigmoid()
        boxes = decode(pred[j], anchors)
        keep = scores > 0.3
        kept = nms(boxes[keep], scores[keep], 0.4)
        final = boxes[keep][kept][:3]
        print(f"image {j}: truth {dataset[j][1].tolist()}")
        print("  detections", final.round(decimals=1),
              "scores", [f"{s:.3f}" for s in scores[keep][kept][:3].tolist()])
        if len(final):
            print("  best IoU with truth", box_iou(final, dataset[j][1]).max(dim=1).values
                  .round(decimals=3))

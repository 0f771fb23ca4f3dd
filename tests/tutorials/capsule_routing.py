"""A capsule network in miniature (Sabour et al., "Dynamic Routing Between Capsules"):
primary capsules from a Conv2d reshaped into 8-D vectors, the squash non-linearity,
prediction vectors u_hat from a learned weight tensor via torch.einsum and via
torch.matmul (checked equal), routing-by-agreement for three iterations with softmax
over the output capsules and detached logits in the inner iterations, the margin loss,
reconstruction from the masked capsule of the target class, and capsule lengths as
class scores on a 3-class toy image task."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)


def make_images(n, generator):
    """8x8 images of a horizontal bar, a vertical bar or a diagonal, with noise."""
    labels = torch.randint(0, 3, (n,), generator=generator)
    images = torch.rand(n, 1, 8, 8, generator=generator) * 0.3
    pos = torch.randint(1, 7, (n,), generator=generator)
    for i in range(n):
        p = int(pos[i])
        if labels[i] == 0:
            images[i, 0, p, :] += 0.7
        elif labels[i] == 1:
            images[i, 0, :, p] += 0.7
        else:
            images[i, 0] += 0.7 * torch.eye(8)
    return images.clamp_(0, 1), labels


g = torch.Generator().manual_seed(0)
train_x, train_y = make_images(96, g)
test_x, test_y = make_images(48, g)
print("images", train_x.shape, "labels", train_y.bincount().tolist())


def squash(s, dim=-1, eps=1e-8):
    norm_sq = (s ** 2).sum(dim=dim, keepdim=True)
    return norm_sq / (1 + norm_sq) * s / torch.sqrt(norm_sq + eps)


def routing(u_hat, iterations=3):
    """u_hat: (batch, in_caps, out_caps, out_dim) -> v: (batch, out_caps, out_dim)."""
    b = torch.zeros(u_hat.shape[:3])
    u_hat_detached = u_hat.detach()
    for i in range(iterations):
        c = F.softmax(b, dim=2)
        if i == iterations - 1:
            s = (c.unsqueeze(-1) * u_hat).sum(dim=1)
            return squash(s), c
        s = (c.unsqueeze(-1) * u_hat_detached).sum(dim=1)
        v = squash(s)
        b = b + (u_hat_detached * v.unsqueeze(1)).sum(dim=-1)


class CapsNet(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, kernel_size=3)
        self.primary = nn.Conv2d(16, 4 * 8, kernel_size=3, stride=2)  # 4 capsule maps of 8-D
        self.W = nn.Parameter(0.05 * torch.randn(4 * 2 * 2, classes, 6, 8))
        self.decoder = nn.Sequential(nn.Linear(6 * classes, 32), nn.ReLU(),
                                     nn.Linear(32, 64), nn.Sigmoid())

    def forward(self, x, y=None):
        h = F.relu(self.conv(x))
        p = self.primary(h)                                  # (B, 32, 2, 2)
        B = p.shape[0]
        u = p.view(B, 4, 8, 2, 2).permute(0, 1, 3, 4, 2).reshape(B, 16, 8)
        u = squash(u)
        u_hat = torch.einsum("icdk,bik->bicd", self.W, u)    # (B, 16, classes, 6)
        v, c = routing(u_hat)
        lengths = v.norm(dim=-1)
        if y is None:
            y = lengths.argmax(dim=1)
        mask = F.one_hot(y, lengths.shape[1]).unsqueeze(-1).to(v.dtype)
        recon = self.decoder((v * mask).flatten(1))
        return lengths, recon, c, u, u_hat


def margin_loss(lengths, labels, m_plus=0.9, m_minus=0.1, lam=0.5):
    t = F.one_hot(labels, lengths.shape[1]).float()
    present = t * F.relu(m_plus - lengths) ** 2
    absent = lam * (1 - t) * F.relu(lengths - m_minus) ** 2
    return (present + absent).sum(dim=1).mean()


model = CapsNet()
print(model)
print("parameters", sum(p.numel() for p in model.parameters()))

lengths, recon, c, u, u_hat = model(train_x[:4])
print("u", tuple(u.shape), "u_hat", tuple(u_hat.shape), u_hat.grad_fn.name())
by_matmul = (model.W.unsqueeze(0) @ u[:, :, None, :, None]).squeeze(-1)
print("einsum vs matmul max difference", (by_matmul - u_hat).abs().max().item() < 1e-6)
print("squash keeps norms below 1:", bool((u.norm(dim=-1) < 1).all()),
      "max", f"{u.norm(dim=-1).max().item():.4f}")
print("coupling coefficients sum to 1:", torch.allclose(c.sum(dim=2), torch.ones(4, 16)))
print("lengths\n", lengths.detach())
print("recon", tuple(recon.shape), recon.grad_fn.name())

opt = torch.optim.Adam(model.parameters(), lr=0.01)
for epoch in range(12):
    perm = torch.randperm(96)
    total = 0.0
    for i in range(0, 96, 16):
        idx = perm[i:i + 16]
        lengths, recon, *_ = model(train_x[idx], train_y[idx])
        loss_m = margin_loss(lengths, train_y[idx])
        loss_r = F.mse_loss(recon, train_x[idx].flatten(1), reduction="none").sum(1).mean()
        loss = loss_m + 0.0005 * loss_r
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item()
    if epoch % 3 == 2:
        with torch.no_grad():
            test_lengths, *_ = model(test_x)
            acc = (test_lengths.argmax(1) == test_y).float().mean().item()
        print(f"epoch {epoch + 1:2d} loss {total / 6:.4f} margin {loss_m.item():.4f} "
              f"recon {loss_r.item():.4f} test acc {acc:.4f}")

with torch.no_grad():
    lengths, recon, c, *_ = model(test_x[:3])
print("test labels", test_y[:3].tolist(), "predicted", lengths.argmax(1).tolist())
print("capsule lengths", lengths.round(decimals=3))
print("mean coupling to each class", c.mean(dim=1).round(decimals=3))

"""A convolutional denoising autoencoder on synthetic 16x16 shapes (squares, discs, crosses):
Gaussian and salt-and-pepper corruption, an encoder of strided Conv2d + GroupNorm + SiLU,
three decoders that upsample differently (ConvTranspose2d with output_padding, nn.Upsample
nearest / bilinear + Conv2d, and Conv2d + PixelShuffle sub-pixel convolution), trained with
MSE and compared by PSNR; shape arithmetic of ConvTranspose2d printed by hand, PixelShuffle /
PixelUnshuffle round trips, F.interpolate with scale_factor and align_corners, GroupNorm
checked against its formula, and the weight of a ConvTranspose2d as a conv's adjoint."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_printoptions(precision=4)


def shapes(n, gen):
    yy, xx = torch.meshgrid(torch.arange(16.0), torch.arange(16.0), indexing="ij")
    imgs = torch.zeros(n, 1, 16, 16)
    kind = torch.randint(0, 3, (n,), generator=gen)
    cy = torch.randint(5, 11, (n,), generator=gen).float()
    cx = torch.randint(5, 11, (n,), generator=gen).float()
    r = torch.randint(2, 5, (n,), generator=gen).float()
    for i in range(n):
        if kind[i] == 0:
            m = ((yy - cy[i]).abs() <= r[i]) & ((xx - cx[i]).abs() <= r[i])
        elif kind[i] == 1:
            m = (yy - cy[i]) ** 2 + (xx - cx[i]) ** 2 <= r[i] ** 2
        else:
            m = ((yy - cy[i]).abs() <= 0.5) | ((xx - cx[i]).abs() <= 0.5)
        imgs[i, 0][m] = 1.0
    return imgs, kind


gen = torch.Generator().manual_seed(1)
clean, kind = shapes(96, gen)
print(
    "images",
    clean.shape,
    "kinds",
    torch.bincount(kind),
    "mean intensity",
    round(clean.mean().item(), 4),
)
noisy = (clean + 0.3 * torch.randn(clean.shape, generator=gen)).clamp(0, 1)
sp = torch.rand(clean.shape, generator=gen)
salt_pepper = clean.clone()
salt_pepper[sp < 0.05] = 0.0
salt_pepper[sp > 0.95] = 1.0
print("corrupted pixels (s&p)", (salt_pepper != clean).sum().item())


def psnr(a, b):
    mse = F.mse_loss(a, b)
    return 10 * math.log10(1.0 / mse.item())


print(f"PSNR noisy {psnr(noisy, clean):.3f} dB, salt&pepper {psnr(salt_pepper, clean):.3f} dB")

# -- ConvTranspose2d shape arithmetic --------------------------------------------------------------
for k, s, p, op in [(3, 2, 1, 1), (4, 2, 1, 0), (3, 1, 1, 0), (2, 2, 0, 0), (5, 3, 2, 2)]:
    ct = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op)
    out_h = (4 - 1) * s - 2 * p + (k - 1) + op + 1
    print(
        f"ConvTranspose2d k={k} s={s} p={p} op={op}: "
        f"4x4 -> {tuple(ct(torch.zeros(1, 1, 4, 4)).shape[2:])} (formula {out_h})"
    )
ct = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
print("output_size=", ct(torch.zeros(1, 2, 4, 4), output_size=[8, 8]).shape)

# the transpose conv is the adjoint of the conv with the same weight: <conv(x), y> = <x, convT(y)>
w = torch.randn(3, 2, 3, 3)
xa = torch.randn(1, 2, 8, 8)
ya = torch.randn(1, 3, 4, 4)
lhs = (F.conv2d(xa, w, stride=2, padding=1) * ya).sum()
rhs = (xa * F.conv_transpose2d(ya, w, stride=2, padding=1, output_padding=1)).sum()
print(f"adjoint check {lhs.item():.4f} {rhs.item():.4f}")

# -- PixelShuffle / Unshuffle / interpolate --------------------------------------------------------
t = torch.arange(16.0).view(1, 4, 2, 2)
ps = nn.PixelShuffle(2)(t)
print("pixel shuffle\n", ps[0, 0])
print("unshuffle round trip", torch.equal(nn.PixelUnshuffle(2)(ps), t))
small = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
print("nearest\n", F.interpolate(small, scale_factor=2, mode="nearest")[0, 0])
print(
    "bilinear\n", F.interpolate(small, scale_factor=2, mode="bilinear", align_corners=False)[0, 0]
)
print(
    "bilinear align_corners\n",
    F.interpolate(small, size=(3, 3), mode="bilinear", align_corners=True)[0, 0],
)
print(
    "nearest-exact",
    F.interpolate(torch.arange(5.0).view(1, 1, 5), size=3, mode="nearest-exact"),
    F.interpolate(torch.arange(5.0).view(1, 1, 5), size=3, mode="nearest"),
)
print("Upsample repr", nn.Upsample(scale_factor=2, mode="bilinear"))

# -- GroupNorm by its formula ----------------------------------------------------------------------
gn = nn.GroupNorm(2, 4)
with torch.no_grad():
    gn.weight.copy_(torch.tensor([1.0, 2.0, 0.5, 1.0]))
    gn.bias.copy_(torch.tensor([0.0, 1.0, 0.0, -1.0]))
h = torch.randn(3, 4, 5, 5)
g = h.view(3, 2, -1)
manual = (
    (g - g.mean(-1, keepdim=True)) / (g.var(-1, unbiased=False, keepdim=True) + gn.eps).sqrt()
).view_as(h)
manual = manual * gn.weight.view(1, 4, 1, 1) + gn.bias.view(1, 4, 1, 1)
print("GroupNorm matches formula", torch.allclose(gn(h), manual, atol=1e-5), gn)


# -- three autoencoders ---------------------------------------------------------------------------
def encoder():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, stride=2, padding=1),
        nn.GroupNorm(2, 8),
        nn.SiLU(),  # 8x8
        nn.Conv2d(8, 16, 3, stride=2, padding=1),
        nn.GroupNorm(4, 16),
        nn.SiLU(),  # 4x4
    )


decoders = {
    "transpose": nn.Sequential(
        nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
        nn.GroupNorm(2, 8),
        nn.SiLU(),
        nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1),
    ),
    "upsample": nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(16, 8, 3, padding=1),
        nn.GroupNorm(2, 8),
        nn.SiLU(),
        nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
        nn.Conv2d(8, 1, 3, padding=1),
    ),
    "pixelshuffle": nn.Sequential(
        nn.Conv2d(16, 32, 3, padding=1),
        nn.PixelShuffle(2),
        nn.GroupNorm(2, 8),
        nn.SiLU(),
        nn.Conv2d(8, 4, 3, padding=1),
        nn.PixelShuffle(2),
    ),
}

test_clean, _ = shapes(16, gen)
test_noisy = (test_clean + 0.3 * torch.randn(test_clean.shape, generator=gen)).clamp(0, 1)
for name, dec in decoders.items():
    torch.manual_seed(10)
    model = nn.Sequential(encoder(), dec, nn.Sigmoid())
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(25):
        perm = torch.randperm(96)
        for i in range(0, 96, 32):
            idx = perm[i : i + 32]
            noisy_b = (clean[idx] + 0.3 * torch.randn(len(idx), 1, 16, 16)).clamp(0, 1)
            loss = F.mse_loss(model(noisy_b), clean[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 8 == 0 or epoch == 24:
            print(f"{name:12s} epoch {epoch:2d} loss {loss.item():.5f}")
    model.eval()
    with torch.no_grad():
        den = model(test_noisy)
    print(
        f"{name:12s} params {n_params} output {tuple(den.shape)} "
        f"PSNR {psnr(test_noisy, test_clean):.2f} -> "
        f"{psnr(den, test_clean):.2f} dB"
    )
    print(" row 8 of image 0:", (den[0, 0, 8] > 0.5).int().tolist())
print("clean row 8:       ", test_clean[0, 0, 8].int().tolist())

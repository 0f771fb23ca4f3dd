"""Classical image processing with torch.nn.functional on a synthetic image (a bright square
and a disc on a gradient, plus salt-and-pepper noise): Sobel edges and gradient direction
by conv2d with fixed kernels, a separable Gaussian blur (two 1-D convolutions vs one 2-D
kernel), a Laplacian, a median filter with F.unfold + median, morphological dilation /
erosion / opening with max_pool2d, connected-component labelling by iterated max pooling,
histogram equalisation with histc/cumsum, resizing with F.interpolate in every mode
(nearest, nearest-exact, bilinear and bicubic with and without align_corners, area,
antialias), a rotation with affine_grid + grid_sample (bilinear / nearest, zeros / border /
reflection padding), pixel_unshuffle/pixel_shuffle round trips and integral images by
cumsum for box filters."""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)

H = W = 16
yy, xx = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32),
                        indexing="ij")
img = 0.02 * xx
img[3:8, 3:8] = 1.0
img[((yy - 11) ** 2 + (xx - 10) ** 2) <= 9] = 0.6
noisy = img.clone()
salt = torch.rand(H, W) < 0.05
pepper = torch.rand(H, W) < 0.05
noisy[salt] = 1.0
noisy[pepper] = 0.0
x = noisy.view(1, 1, H, W)
clean = img.view(1, 1, H, W)
torch.set_printoptions(precision=2, linewidth=140)
print(clean[0, 0, 2:9, 2:9])
print("noisy pixels", (salt | pepper).sum().item())

# -- Sobel -------------------------------------------------------------------------------------
sobel_x = torch.tensor([[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]])
kernels = torch.stack([sobel_x, sobel_x.T]).unsqueeze(1)
g = F.conv2d(F.pad(clean, (1, 1, 1, 1), mode="replicate"), kernels)
mag = g.pow(2).sum(1).sqrt()
angle = torch.atan2(g[:, 1], g[:, 0])
print("Sobel magnitude\n", mag[0, 1:10, 1:10])
print("strong edges", (mag > 1).sum().item(), "angles (deg) at (5, 2) and (2, 5):",
      torch.rad2deg(angle[0, 5, 2]).item(), torch.rad2deg(angle[0, 2, 5]).item())

# -- Gaussian blur, separable ------------------------------------------------------------------
sigma, radius = 1.0, 2
t = torch.arange(-radius, radius + 1, dtype=torch.float32)
g1 = torch.exp(-t ** 2 / (2 * sigma ** 2))
g1 = g1 / g1.sum()
print("1-D Gaussian", g1)
sep = F.conv2d(F.conv2d(F.pad(clean, (radius,) * 4, mode="reflect"), g1.view(1, 1, 1, -1)),
               g1.view(1, 1, -1, 1))
full = F.conv2d(F.pad(clean, (radius,) * 4, mode="reflect"), torch.outer(g1, g1).view(1, 1, 5, 5))
print("separable == 2-D up to rounding:", torch.allclose(sep, full, atol=1e-6),
      "max diff", f"{(sep - full).abs().max().item():.1e}")
print(full[0, 0, 2:9, 2:9])
laplace = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]]).view(1, 1, 3, 3)
lap = F.conv2d(clean, laplace, padding=1)
print("Laplacian sign changes in row 5:", lap[0, 0, 5].sign().long())

# -- median filter -----------------------------------------------------------------------------
patches = F.unfold(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel_size=3)   # (1, 9, H*W)
median = patches.median(dim=1).values.view(1, 1, H, W)
print("patches", patches.shape, "error noisy", (x - clean).abs().mean().item(),
      "median", (median - clean).abs().mean().item())
print(median[0, 0, 2:9, 2:9])

# -- morphology --------------------------------------------------------------------------------
mask = (clean > 0.5).float()
dilate = F.max_pool2d(mask, 3, stride=1, padding=1)
erode = -F.max_pool2d(-mask, 3, stride=1, padding=1)
opening = F.max_pool2d(-F.max_pool2d(-mask, 3, 1, 1), 3, 1, 1)
print("mask", mask.sum().item(), "dilated", dilate.sum().item(), "eroded", erode.sum().item(),
      "opened", opening.sum().item())
print((dilate - erode)[0, 0].long())

# connected components: every foreground pixel takes the max label of its neighbours
labels = (torch.arange(1, H * W + 1, dtype=torch.float32).view(1, 1, H, W)) * mask
for it in range(50):  # noqa: B007  (printed afterwards)
    new = F.max_pool2d(labels, 3, stride=1, padding=1) * mask
    if torch.equal(new, labels):
        break
    labels = new
ids, counts = torch.unique(labels[labels > 0], return_counts=True)
print("components", len(ids), "sizes", counts, "rounds", it)

# -- histogram equalisation --------------------------------------------------------------------
levels = (clean * 15).round()
hist = torch.histc(levels, bins=16, min=0, max=15)
cdf = hist.cumsum(0)
cdf_min = cdf[cdf > 0][0]
lut = ((cdf - cdf_min) / (cdf[-1] - cdf_min) * 15).round()
equalised = lut[levels.long()]
print("histogram", hist.long(), "\nlut", lut.long(), "\nequalised histogram",
      torch.histc(equalised, bins=16, min=0, max=15).long())

# -- interpolation -----------------------------------------------------------------------------
# (the linear modes mix in float32 within an ulp of torch, not always to the bit: this image's
# round values put 0.545 exactly between two 2-decimal prints, so show 4 decimals)
torch.set_printoptions(precision=4)
small = clean[:, :, 2:8, 2:8]
for kwargs in [dict(mode="nearest"), dict(mode="nearest-exact"),
               dict(mode="bilinear", align_corners=False),
               dict(mode="bilinear", align_corners=True),
               dict(mode="bicubic", align_corners=False),
               dict(mode="bicubic", align_corners=True)]:
    up = F.interpolate(small, scale_factor=1.5, **kwargs)
    print(kwargs, up.shape, up[0, 0, 1:5, 1:5].flatten())
for kwargs in [dict(mode="area"), dict(mode="bilinear", antialias=True),
               dict(mode="bicubic", antialias=True), dict(mode="nearest")]:
    down = F.interpolate(clean, size=(5, 7), **kwargs)
    print(kwargs, down[0, 0])
print(F.interpolate(torch.arange(6.).view(1, 1, 6), size=4, mode="linear"),
      F.interpolate(torch.arange(6.).view(1, 1, 6), scale_factor=0.5, mode="nearest"))

# -- rotation with affine_grid / grid_sample ---------------------------------------------------
theta = math.radians(30)
A = torch.tensor([[[math.cos(theta), -math.sin(theta), 0.1],
                   [math.sin(theta), math.cos(theta), 0.0]]], dtype=torch.float32)
grid = F.affine_grid(A, (1, 1, H, W), align_corners=False)
print("grid", grid.shape, grid[0, 0, :3])
for mode in ("bilinear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        rot = F.grid_sample(clean, grid, mode=mode, padding_mode=pad, align_corners=False)
        print(f"{mode:8s} {pad:10s} sum {rot.sum().item():.4f} centre {rot[0, 0, 8, 4:10]}")

# -- pixel (un)shuffle and integral images -----------------------------------------------------
un = F.pixel_unshuffle(clean, 4)
print("pixel_unshuffle", un.shape, "round trip", torch.equal(F.pixel_shuffle(un, 4), clean))
integral = F.pad(clean[0, 0].double().cumsum(0).cumsum(1), (1, 0, 1, 0))


def box_sum(r0, c0, r1, c1):
    return (integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0]).item()


print("box sums", round(box_sum(3, 3, 8, 8), 6), round(box_sum(0, 0, 16, 16), 6),
      round(clean[0, 0].double().sum().item(), 6))
box = F.avg_pool2d(clean, 4, stride=4)
print("4x4 means", box[0, 0], "via integral",
      round(box_sum(4, 8, 8, 12) / 16, 6))

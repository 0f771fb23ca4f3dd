"""Data augmentation written with tensor ops, as the torchvision v2 functional kernels do:
resize with F.interpolate in every mode (nearest, nearest-exact, bilinear with and
without align_corners and antialias, bicubic, area), rotations and shears through
F.affine_grid + F.grid_sample (bilinear/nearest/bicubic, zeros/border/reflection
padding), padding modes of F.pad (constant, reflect, replicate, circular), flips and
torch.rot90, colour jitter (brightness, contrast from a grayscale mean, saturation,
hue-free), gaussian blur with a separable kernel (conv2d, groups=3), random resized crop
parameters, normalisation with per-channel mean/std and its inverse; the gradient of a
loss through grid_sample with respect to the affine parameters."""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(31)
img = torch.rand(1, 3, 6, 8)
img[0, 0, 2:4, 3:6] = 1.0
print("image", tuple(img.shape), "channel means", img.mean(dim=(0, 2, 3)))

for mode, kw in [("nearest", {}), ("nearest-exact", {}), ("bilinear", {"align_corners": False}),
                 ("bilinear", {"align_corners": True}), ("bicubic", {"align_corners": False}),
                 ("area", {})]:
    up = F.interpolate(img, size=(9, 12), mode=mode, **kw)
    down = F.interpolate(img, scale_factor=0.5, mode=mode, **kw)
    print(f"{mode:13s} {str(kw):24s} up {up.sum().item():.4f} down {down[0, 0]}")
aa = F.interpolate(img, size=(3, 3), mode="bilinear", antialias=True, align_corners=False)
print("antialiased bilinear\n", aa[0, 1])
aa_cubic = F.interpolate(img, size=(4, 5), mode="bicubic", antialias=True)
print("antialiased bicubic row", aa_cubic[0, 2, 1])


def rotation_theta(angle_deg, shear=0.0, scale=1.0):
    a = math.radians(angle_deg)
    return torch.tensor([[math.cos(a) * scale, -math.sin(a) + shear, 0.0],
                         [math.sin(a), math.cos(a) * scale, 0.0]]).unsqueeze(0)


theta = rotation_theta(30, shear=0.1)
grid = F.affine_grid(theta, img.shape, align_corners=False)
print("grid", tuple(grid.shape), grid[0, 0, :3])
for mode in ["bilinear", "nearest", "bicubic"]:
    for padding in ["zeros", "border", "reflection"]:
        out = F.grid_sample(img, grid, mode=mode, padding_mode=padding, align_corners=False)
        print(f"grid_sample {mode:8s} {padding:10s} sum {out.sum().item():.4f} "
              f"corner {out[0, 0, 0, 0].item():.4f}")

for mode in ["constant", "reflect", "replicate", "circular"]:
    padded = F.pad(img, (2, 1, 1, 2), mode=mode, **({"value": -1.0} if mode == "constant" else {}))
    print(f"pad {mode:9s}", tuple(padded.shape), padded[0, 0, 0, :5])
print("hflip == flip(-1):", torch.equal(img.flip(-1), img[..., torch.arange(7, -1, -1)]))
print("rot90 k=1 shape", tuple(torch.rot90(img, 1, (2, 3)).shape),
      "rot90 four times is identity:", torch.equal(torch.rot90(img, 4, (2, 3)), img))
print(torch.rot90(torch.arange(6).view(2, 3), -1))


def grayscale(x):
    return (0.2989 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)


def blend(a, b, ratio):
    return (ratio * a + (1.0 - ratio) * b).clamp(0, 1)


brightness = blend(img, torch.zeros_like(img), 1.3)
contrast = blend(img, grayscale(img).mean(dim=(-3, -2, -1), keepdim=True), 0.6)
saturation = blend(img, grayscale(img), 1.8)
print(f"jitter means: brightness {brightness.mean().item():.4f} contrast "
      f"{contrast.mean().item():.4f} saturation {saturation.mean().item():.4f}")


def gaussian_blur(x, kernel_size=5, sigma=1.2):
    half = (kernel_size - 1) * 0.5
    t = torch.linspace(-half, half, steps=kernel_size)
    pdf = torch.exp(-0.5 * (t / sigma).pow(2))
    k1d = pdf / pdf.sum()
    k2d = torch.mm(k1d[:, None], k1d[None, :])
    weight = k2d.expand(x.shape[1], 1, kernel_size, kernel_size)
    x = F.pad(x, [kernel_size // 2] * 4, mode="reflect")
    return F.conv2d(x, weight, groups=x.shape[1])


blurred = gaussian_blur(img)
print("blurred", tuple(blurred.shape), blurred[0, 0, 2])


def random_resized_crop_params(height, width, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1]).item()
        aspect = torch.exp(torch.empty(1).uniform_(log_ratio[0], log_ratio[1])).item()
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            i = torch.randint(0, height - h + 1, size=(1,)).item()
            j = torch.randint(0, width - w + 1, size=(1,)).item()
            return i, j, h, w
    return 0, 0, height, width


for _ in range(3):
    i, j, h, w = random_resized_crop_params(6, 8)
    crop = F.interpolate(img[..., i:i + h, j:j + w], size=(4, 4), mode="bilinear",
                         align_corners=False, antialias=True)
    print("crop", (i, j, h, w), f"{crop.mean().item():.4f}")

mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
normed = (img - mean[:, None, None]) / std[:, None, None]
back = normed * std[:, None, None] + mean[:, None, None]
print("normalise round trip max error", (back - img).abs().max().item() < 1e-6,
      "normalised std", normed.std(dim=(0, 2, 3)))

# Learn the rotation that maps img onto a rotated copy: gradient through grid_sample.
target = F.grid_sample(img, F.affine_grid(rotation_theta(20), img.shape, align_corners=False),
                       align_corners=False, padding_mode="border")
angle = torch.tensor(0.0, requires_grad=True)
opt = torch.optim.Adam([angle], lr=0.05)
for step in range(60):
    c, s = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([c, -s, torch.zeros(())]),
                         torch.stack([s, c, torch.zeros(())])]).unsqueeze(0)
    warped = F.grid_sample(img, F.affine_grid(theta, img.shape, align_corners=False),
                           align_corners=False, padding_mode="border")
    loss = F.mse_loss(warped, target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 20 == 19:
        print(f"step {step + 1} loss {loss.item():.6f} angle {math.degrees(angle.item()):.3f} deg "
              f"grad {angle.grad.item():.6f}")
print("warped", warped.grad_fn.name(), warped.grad_fn.next_functions[1][0].name())

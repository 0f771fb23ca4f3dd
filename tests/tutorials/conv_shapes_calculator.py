"""The "output shape calculator" every CNN learner writes: Conv1d/2d/3d and ConvTranspose
with stride/padding/dilation/groups/output_padding, padding='same'/'valid' and the padding
modes (zeros/reflect/replicate/circular), pooling with ceil_mode and padding, adaptive
pooling, Upsample/interpolate modes, PixelShuffle, Unfold/Fold (im2col), checked against the
formula floor((L + 2p - d(k-1) - 1) / s) + 1, and a receptive-field probe via gradients."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def conv_out(length, k, s=1, p=0, d=1):
    return (length + 2 * p - d * (k - 1) - 1) // s + 1


def convT_out(length, k, s=1, p=0, d=1, op=0):
    return (length - 1) * s - 2 * p + d * (k - 1) + op + 1


x = torch.randn(2, 3, 17, 12)
for k, s, p, d in (
    (3, 1, 0, 1),
    (3, 2, 1, 1),
    (5, 3, 2, 1),
    (3, 1, 2, 2),
    (4, 2, 0, 3),
    (1, 4, 0, 1),
):
    conv = nn.Conv2d(3, 4, k, stride=s, padding=p, dilation=d)
    out = conv(x)
    print(
        f"k={k} s={s} p={p} d={d}: {tuple(out.shape)} formula ({conv_out(17, k, s, p, d)}, "
        f"{conv_out(12, k, s, p, d)}) sum {out.sum().item():.3f}"
    )
conv = nn.Conv2d(3, 6, (3, 5), stride=(2, 1), padding=(1, 2), groups=3)
print("rect kernel, groups=3:", conv(x).shape, conv.weight.shape, round(conv(x).std().item(), 4))
for mode in ("zeros", "reflect", "replicate", "circular"):
    conv = nn.Conv2d(3, 2, 3, padding=2, padding_mode=mode)
    out = conv(x)
    print(f"padding_mode={mode:9s}", tuple(out.shape), round(out[0, 0, 0, :4].sum().item(), 4))
for padding in ("same", "valid"):
    conv = nn.Conv2d(3, 2, (4, 3), padding=padding, dilation=(1, 2))
    print(f"padding={padding}:", conv(x).shape)
try:
    nn.Conv2d(3, 2, 3, stride=2, padding="same")
except Exception as e:  # noqa: BLE001
    print("same with stride 2 ->", type(e).__name__)
try:
    nn.Conv2d(3, 4, 3)(torch.randn(2, 4, 8, 8))
except Exception as e:  # noqa: BLE001
    print("wrong channels ->", type(e).__name__)
try:
    nn.Conv2d(3, 4, 9)(torch.randn(1, 3, 5, 5))
except Exception as e:  # noqa: BLE001
    print("kernel larger than input ->", type(e).__name__)
print("unbatched:", nn.Conv2d(3, 4, 3)(torch.randn(3, 8, 8)).shape)

# -- 1-d and 3-d -----------------------------------------------------------------------------------
seq = torch.randn(4, 2, 50)
for k, s, p, d in ((7, 1, 3, 1), (4, 4, 0, 1), (3, 1, 4, 4)):
    out = nn.Conv1d(2, 8, k, stride=s, padding=p, dilation=d)(seq)
    print(f"conv1d k={k} s={s} p={p} d={d}:", tuple(out.shape), conv_out(50, k, s, p, d))
causal = nn.Conv1d(2, 2, 3, dilation=2)
padded = F.pad(seq, (4, 0))
print("causal conv keeps length:", causal(padded).shape)
vol = torch.randn(1, 1, 9, 10, 11)
print("conv3d:", nn.Conv3d(1, 2, (3, 3, 1), stride=(2, 1, 3), padding=(0, 1, 0))(vol).shape)

# -- transposed convolutions -----------------------------------------------------------------------
small = torch.randn(2, 4, 5, 6)
for k, s, p, op, d in (
    (3, 2, 1, 1, 1),
    (4, 2, 1, 0, 1),
    (2, 2, 0, 0, 1),
    (3, 3, 0, 2, 1),
    (3, 1, 1, 0, 2),
):
    up = nn.ConvTranspose2d(4, 2, k, stride=s, padding=p, output_padding=op, dilation=d)
    out = up(small)
    print(
        f"convT k={k} s={s} p={p} op={op} d={d}: {tuple(out.shape)} formula "
        f"({convT_out(5, k, s, p, d, op)}, {convT_out(6, k, s, p, d, op)})"
    )
up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
print("output_size=", up(small, output_size=[10, 12]).shape)
down = nn.Conv2d(2, 4, 3, stride=2, padding=1)
img = torch.randn(1, 2, 11, 11)
print("down then up:", down(img).shape, up(down(img), output_size=img.shape[-2:]).shape)
try:
    nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=2)(small)
except Exception as e:  # noqa: BLE001
    print("output_padding >= stride ->", type(e).__name__)
print("convT1d:", nn.ConvTranspose1d(2, 3, 5, stride=3, groups=1)(seq[:, :, :10]).shape)

# -- pooling ---------------------------------------------------------------------------------------
feat = torch.arange(2 * 7 * 7, dtype=torch.float32).reshape(1, 2, 7, 7)
for k, s, p, ceil in (
    (2, 2, 0, False),
    (2, 2, 0, True),
    (3, 2, 1, False),
    (3, 2, 1, True),
    (3, 3, 0, True),
):
    mp = F.max_pool2d(feat, k, s, p, ceil_mode=ceil)
    ap = F.avg_pool2d(feat, k, s, p, ceil_mode=ceil)
    print(
        f"pool k={k} s={s} p={p} ceil={ceil}: {tuple(mp.shape)} max-sum {mp.sum().item():.1f} "
        f"avg-sum {ap.sum().item():.4f}"
    )
print(F.avg_pool2d(feat[:, :1, :4, :4], 3, 1, 1, count_include_pad=False))
print(F.avg_pool2d(feat[:, :1, :4, :4], 3, 1, 1, divisor_override=2)[0, 0, 0])
vals, idx = F.max_pool2d(feat[:, :1], 3, 2, return_indices=True)
print("max indices:", idx[0, 0], "unpool:", F.max_unpool2d(vals, idx, 3, 2).shape)
print("dilated max pool:", F.max_pool2d(feat, 2, 1, dilation=3).shape)
for size in ((1, 1), (3, 3), (4, 5), (None, 2)):
    print(
        f"adaptive {size}:",
        nn.AdaptiveAvgPool2d(size)(feat).shape,
        nn.AdaptiveMaxPool2d(size)(feat).sum().item(),
    )
print(F.adaptive_avg_pool2d(feat[:, :1], (3, 3))[0, 0])
print("adaptive 1d:", F.adaptive_avg_pool1d(torch.arange(10.0).reshape(1, 1, 10), 4))
print("lp pool:", F.lp_pool2d(feat[:, :1, :4, :4], 2, 2).round(decimals=3))

# -- upsampling ------------------------------------------------------------------------------------
tiny = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
print("nearest:", F.interpolate(tiny, scale_factor=2, mode="nearest")[0, 0])
print("bilinear:", F.interpolate(tiny, size=(3, 3), mode="bilinear", align_corners=False)[0, 0])
print(
    "bilinear aligned:", F.interpolate(tiny, size=(3, 3), mode="bilinear", align_corners=True)[0, 0]
)
print(
    "bicubic:",
    F.interpolate(tiny, size=(3, 4), mode="bicubic", align_corners=False)[0, 0].round(decimals=4),
)
print(
    "nearest-exact:",
    F.interpolate(torch.arange(5.0).reshape(1, 1, 5), size=3, mode="nearest-exact"),
)
print("nearest 1d:", F.interpolate(torch.arange(5.0).reshape(1, 1, 5), size=3, mode="nearest"))
print(
    "linear 1d:", F.interpolate(torch.arange(4.0).reshape(1, 1, 4), scale_factor=1.5, mode="linear")
)
print(
    "Upsample:",
    nn.Upsample(scale_factor=(2, 3), mode="nearest")(tiny).shape,
    nn.Upsample(size=5)(tiny).shape,
)
print(
    "trilinear:", F.interpolate(torch.ones(1, 1, 2, 2, 2), scale_factor=2, mode="trilinear").shape
)
print("area:", F.interpolate(feat[:, :1], size=(3, 3), mode="area")[0, 0])

# -- pixel shuffle, unfold/fold --------------------------------------------------------------------
ps = nn.PixelShuffle(2)
z = torch.arange(16.0).reshape(1, 4, 2, 2)
print("pixel shuffle:", ps(z).shape)
print(ps(z)[0, 0])
print("unshuffle back:", torch.equal(nn.PixelUnshuffle(2)(ps(z)), z))
patches = F.unfold(feat[:, :1, :4, :4], kernel_size=2, stride=2)
print("unfold:", patches.shape)
print(patches[0])
print("fold back:", torch.equal(F.fold(patches, (4, 4), 2, stride=2), feat[:, :1, :4, :4]))
overlap = F.fold(F.unfold(torch.ones(1, 1, 4, 4), 3, padding=1), (4, 4), 3, padding=1)
print("fold counts overlaps:", overlap[0, 0])
w = torch.randn(5, 3, 3, 3)
cols = F.unfold(x, 3)
as_matmul = (w.view(5, -1) @ cols).view(2, 5, 15, 10)
print("conv as unfold+matmul:", torch.allclose(as_matmul, F.conv2d(x, w), atol=1e-5))

# -- receptive field by gradient -------------------------------------------------------------------
probe = torch.zeros(1, 1, 21, 21, requires_grad=True)
stack = nn.Sequential(
    nn.Conv2d(1, 1, 3, padding=1), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3, dilation=2, padding=2)
)
with torch.no_grad():
    for m in stack:
        if isinstance(m, nn.Conv2d):
            m.weight.fill_(1.0)
            m.bias.zero_()
out = stack(probe + 1.0)
out[0, 0, 5, 5].backward()
rows = (probe.grad[0, 0].abs().sum(1) > 0).nonzero().flatten()
print(
    "output:",
    out.shape,
    "receptive field rows:",
    rows.min().item(),
    "to",
    rows.max().item(),
    "size",
    (rows.max() - rows.min() + 1).item(),
)
print(probe.grad[0, 0, 8:14, 8:14])

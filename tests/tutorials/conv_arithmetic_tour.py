"""Convolution arithmetic with numbers, not just shapes ("A guide to convolution arithmetic"
redone in torch): conv1d/conv2d/conv3d with stride, padding, dilation and groups checked
against an im2col route (F.unfold + matmul) and against a loop written by hand;
conv_transpose as the gradient of conv (output_padding, groups, dilation); fold(unfold(x))
counting overlaps; F.pad in constant/reflect/replicate/circular mode with negative pads;
interpolate in nearest / nearest-exact / linear / bilinear / bicubic / trilinear / area
mode with and without align_corners and recompute_scale_factor; affine_grid + grid_sample
(bilinear / nearest / bicubic, zeros / border / reflection padding) for identity, flips,
rotation and translation; and gradients of every route printed rounded."""

import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)
dt = torch.float64


def r(t):
    return t.detach().round(decimals=4)


# -- conv2d three ways --------------------------------------------------------------------------
x = torch.randn(2, 4, 7, 6, dtype=dt)
for stride, padding, dilation, groups in [
    (1, 0, 1, 1),
    (2, 1, 1, 1),
    (1, 2, 2, 2),
    ((2, 1), (1, 0), (1, 2), 4),
]:
    w = torch.randn(6 if groups != 4 else 8, 4 // groups, 3, 3, dtype=dt)
    b = torch.randn(w.shape[0], dtype=dt)
    y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    cols = F.unfold(x, 3, dilation=dilation, padding=padding, stride=stride)
    cols = cols.view(2, groups, 4 // groups * 9, -1)
    wg = w.view(groups, w.shape[0] // groups, -1)
    y2 = torch.einsum("gok,bgkl->bgol", wg, cols).reshape(2, w.shape[0], -1) + b[:, None]
    print(
        f"conv2d s={stride} p={padding} d={dilation} g={groups}",
        tuple(y.shape),
        torch.allclose(y.flatten(2), y2),
        r(y[0, 0, 0]),
    )
# by hand, one output pixel
w = torch.randn(3, 4, 3, 3, dtype=dt)
y = F.conv2d(x, w, stride=2, padding=1)
xp = F.pad(x, (1, 1, 1, 1))
hand = (xp[1, :, 2:5, 4:7] * w[2]).sum()
print("pixel by hand", r(hand), r(y[1, 2, 1, 2]), torch.allclose(hand, y[1, 2, 1, 2]))
print(
    "padding same",
    F.conv2d(x, torch.randn(2, 4, 4, 3, dtype=dt), padding="same", dilation=2).shape,
    F.conv2d(x, torch.randn(2, 4, 2, 2, dtype=dt), padding="valid").shape,
)
try:
    F.conv2d(x, w, padding="same", stride=2)
except (RuntimeError, ValueError) as e:
    print("same + stride:", type(e).__name__)
try:
    F.conv2d(x, torch.randn(3, 3, 3, 3, dtype=dt))
except RuntimeError as e:
    print("channel mismatch:", type(e).__name__)
try:
    F.conv2d(torch.randn(1, 1, 2, 2), torch.randn(1, 1, 3, 3))
except RuntimeError as e:
    print("kernel too large:", type(e).__name__)

# conv1d and conv3d
s = torch.arange(10, dtype=dt).view(1, 1, 10)
print("conv1d diff", F.conv1d(s**2, torch.tensor([[[-1.0, 1.0]]], dtype=dt)))
print("conv1d dilated", F.conv1d(s, torch.ones(1, 1, 3, dtype=dt), dilation=3, stride=2))
print(
    "conv1d groups",
    F.conv1d(torch.arange(12.0, dtype=dt).view(1, 4, 3), torch.ones(4, 1, 2, dtype=dt), groups=4),
)
v = torch.randn(1, 2, 4, 5, 6, dtype=dt)
k = torch.randn(3, 2, 2, 3, 2, dtype=dt)
y3 = F.conv3d(v, k, stride=(1, 2, 2), padding=(1, 0, 1))
print("conv3d", tuple(y3.shape), r(y3[0, 1, 1]))

# -- transposed conv = gradient of conv -------------------------------------------------------
for stride, padding, output_padding, dilation, groups in [
    (2, 1, 1, 1, 1),
    (3, 0, 2, 1, 1),
    (2, 2, 0, 2, 2),
    (1, 1, 0, 1, 2),
]:
    wt = torch.randn(4, 6 // groups, 3, 3, dtype=dt)
    z = torch.randn(1, 4, 5, 4, dtype=dt)
    yt = F.conv_transpose2d(
        z,
        wt,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    inp = torch.zeros(yt.shape, dtype=dt, requires_grad=True)
    out = F.conv2d(inp, wt, stride=stride, padding=padding, dilation=dilation, groups=groups)
    (g,) = torch.autograd.grad(out, inp, z)
    print(
        f"conv_transpose2d s={stride} p={padding} op={output_padding} d={dilation} g={groups}",
        tuple(yt.shape),
        torch.allclose(g, yt),
        r(yt[0, 0, 0, :4]),
    )
print(
    "conv_transpose1d",
    F.conv_transpose1d(
        torch.tensor([[[1.0, 2.0, 3.0]]]), torch.tensor([[[1.0, 10.0, 100.0]]]), stride=2
    ),
)
try:
    F.conv_transpose2d(torch.randn(1, 2, 3, 3), torch.randn(2, 2, 3, 3), stride=2, output_padding=2)
except RuntimeError as e:
    print("output_padding >= stride:", type(e).__name__)

# -- fold / unfold ---------------------------------------------------------------------------
ones = torch.ones(1, 1, 4, 5)
cnt = F.fold(F.unfold(ones, 2, stride=1), (4, 5), 2, stride=1)
print("overlap counts\n", cnt[0, 0])
cnt = F.fold(
    F.unfold(ones, (3, 2), dilation=(1, 2), padding=1, stride=(2, 1)),
    (4, 5),
    (3, 2),
    dilation=(1, 2),
    padding=1,
    stride=(2, 1),
)
print("dilated counts\n", cnt[0, 0])
img = torch.arange(16.0).view(1, 1, 4, 4)
patches = F.unfold(img, 2, stride=2)
print("patches", patches[0].T)
print("fold back", torch.equal(F.fold(patches, (4, 4), 2, stride=2), img))

# -- padding modes -----------------------------------------------------------------------------
row = torch.arange(1.0, 6.0).view(1, 1, 5)
for mode in ["constant", "reflect", "replicate", "circular"]:
    print(f"pad {mode:9s}", F.pad(row, (3, 2), mode=mode)[0, 0].tolist())
sq = torch.arange(9.0).view(1, 1, 3, 3)
print("pad 2d reflect\n", F.pad(sq, (1, 2, 2, 1), mode="reflect")[0, 0])
print("pad 2d circular\n", F.pad(sq, (1, 0, 0, 2), mode="circular")[0, 0])
print("pad value", F.pad(torch.ones(2, 2, dtype=torch.int64), (1, 1), value=7))
print(
    "negative pad (crop)",
    F.pad(sq, (-1, 0, 0, -1))[0, 0].tolist(),
    F.pad(sq[0], (-1, 2), mode="replicate").shape,
)
print(
    "pad 3d replicate",
    F.pad(torch.arange(8.0).view(1, 1, 2, 2, 2), (1, 1, 0, 0, 1, 0), mode="replicate").shape,
)
try:
    F.pad(row, (5, 0), mode="reflect")
except RuntimeError as e:
    print("reflect pad too big:", type(e).__name__)

# -- interpolate -------------------------------------------------------------------------------
line = torch.tensor([[[0.0, 1.0, 4.0, 9.0]]])
for mode, ac in [("nearest", None), ("nearest-exact", None), ("linear", False), ("linear", True)]:
    print(
        f"1d {mode:13s} ac={ac}",
        F.interpolate(line, scale_factor=1.75, mode=mode, align_corners=ac)[0, 0].tolist(),
    )
print("1d down area", F.interpolate(torch.arange(10.0).view(1, 1, 10), size=4, mode="area")[0, 0])
print(
    "1d down linear", F.interpolate(torch.arange(10.0).view(1, 1, 10), size=4, mode="linear")[0, 0]
)
grid = torch.arange(12.0).view(1, 1, 3, 4)
for mode, ac in [
    ("nearest", None),
    ("bilinear", False),
    ("bilinear", True),
    ("bicubic", False),
    ("bicubic", True),
]:
    up = F.interpolate(grid, size=(5, 6), mode=mode, align_corners=ac)
    print(f"2d {mode:9s} ac={ac}", tuple(up.shape), up[0, 0, 1].tolist())
print(
    "scale 1.5 recompute",
    F.interpolate(grid, scale_factor=1.5, mode="bilinear", recompute_scale_factor=True)[0, 0, :, 1],
    F.interpolate(grid, scale_factor=1.5, mode="bilinear")[0, 0, :, 1],
)
print("area 2d", F.interpolate(grid, size=(2, 3), mode="area")[0, 0])
print(
    "nearest down",
    F.interpolate(grid, size=(2, 3), mode="nearest")[0, 0],
    F.interpolate(grid, size=(2, 3), mode="nearest-exact")[0, 0],
)
print(
    "bicubic overshoot",
    F.interpolate(torch.tensor([[[[0.0, 0.0, 1.0, 1.0]]]]), size=(1, 7), mode="bicubic")[0, 0, 0],
)
print(
    "trilinear",
    F.interpolate(
        torch.arange(8.0).view(1, 1, 2, 2, 2), size=(3, 3, 3), mode="trilinear", align_corners=True
    )[0, 0, 1],
)
print(
    "integer image nearest",
    F.interpolate(torch.arange(4, dtype=torch.uint8).view(1, 1, 2, 2), scale_factor=2)[0, 0],
)
try:
    F.interpolate(grid, size=(2, 2), mode="linear")
except (NotImplementedError, ValueError, RuntimeError) as e:
    print("linear on 4-d:", type(e).__name__)
try:
    F.interpolate(grid, size=(2, 2), mode="nearest", align_corners=True)
except ValueError as e:
    print("align_corners with nearest:", type(e).__name__)

# -- affine_grid / grid_sample -------------------------------------------------------------
src = torch.arange(20.0, dtype=dt).view(1, 1, 4, 5)
thetas = {
    "identity": [[1.0, 0, 0], [0, 1.0, 0]],
    "flip x": [[-1.0, 0, 0], [0, 1.0, 0]],
    "shift": [[1.0, 0, 0.4], [0, 1.0, -0.5]],
    "rot 30": [
        [math.cos(math.pi / 6), -math.sin(math.pi / 6), 0],
        [math.sin(math.pi / 6), math.cos(math.pi / 6), 0],
    ],
    "zoom out": [[1.5, 0, 0], [0, 1.5, 0]],
}
for name, th in thetas.items():
    theta = torch.tensor([th], dtype=dt)
    for ac in (False, True):
        gr = F.affine_grid(theta, (1, 1, 4, 5), align_corners=ac)
        outs = []
        for mode, pm in [
            ("bilinear", "zeros"),
            ("nearest", "border"),
            ("bilinear", "reflection"),
            ("bicubic", "zeros"),
        ]:
            o = F.grid_sample(src, gr, mode=mode, padding_mode=pm, align_corners=ac)
            outs.append(round(o.sum().item(), 3))
        print(f"{name:8s} ac={ac!s:5s}", outs, r(F.grid_sample(src, gr, align_corners=ac)[0, 0, 1]))
print(
    "affine_grid corners",
    F.affine_grid(torch.tensor([[[1.0, 0, 0], [0, 1.0, 0]]]), (1, 1, 2, 3), align_corners=False)[0],
)
print(
    "affine_grid 3d",
    F.affine_grid(torch.eye(3, 4).unsqueeze(0), (1, 1, 2, 2, 3), align_corners=True).shape,
)

# -- gradients ---------------------------------------------------------------------------------
xg = torch.randn(1, 2, 5, 5, dtype=dt, requires_grad=True)
wg = torch.randn(4, 1, 3, 3, dtype=dt, requires_grad=True)
yg = F.conv2d(xg, wg, stride=2, padding=1, dilation=1, groups=2)
yg.pow(2).sum().backward()
print("conv2d grad", yg.grad_fn.name(), r(xg.grad[0, 0, 0]), r(wg.grad[1, 0]))
tg = torch.randn(1, 1, 3, 4, dtype=dt, requires_grad=True)
F.interpolate(tg, size=(5, 7), mode="bicubic", align_corners=False).sin().sum().backward()
print("bicubic grad", r(tg.grad[0, 0]))
tg.grad = None
F.interpolate(tg, scale_factor=2, mode="nearest").mul(
    torch.arange(48.0, dtype=dt).view(1, 1, 6, 8)
).sum().backward()
print("nearest grad", tg.grad[0, 0])
pg = torch.arange(5.0, requires_grad=True)
F.pad(pg.view(1, 1, 5), (3, 2), mode="reflect").mul(torch.arange(10.0)).sum().backward()
print("reflect pad grad", pg.grad)
sg = torch.randn(1, 1, 4, 5, dtype=dt, requires_grad=True)
th = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]]], dtype=dt, requires_grad=True)
gs = F.grid_sample(
    sg,
    F.affine_grid(th, (1, 1, 3, 3), align_corners=False),
    mode="bilinear",
    padding_mode="border",
    align_corners=False,
)
gs.sum().backward()
print("grid_sample grads", gs.grad_fn.name(), r(sg.grad[0, 0]), r(th.grad))

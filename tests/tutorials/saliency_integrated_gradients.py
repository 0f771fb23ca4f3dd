"""Explaining a CNN's prediction, the attribution methods of the Captum tutorials written by
hand: vanilla gradient saliency (input.requires_grad_, max of |grad| over channels),
gradient x input, SmoothGrad (noisy copies in one batch), integrated gradients with a
Riemann sum over a straight path from a baseline and its completeness check (the
attributions sum to f(x) - f(baseline)), Grad-CAM from a forward hook that keeps the last
conv activation and a Tensor.register_hook that keeps its gradient (channel weights by
global-average-pooled gradients, ReLU, bilinear upsampling with F.interpolate), guided
backprop through register_full_backward_hook on every nn.ReLU, and occlusion sensitivity
built from F.unfold-style patches."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
torch.set_printoptions(precision=3, sci_mode=False, linewidth=120)


def make_images(n):
    # class 0: a bright blob top-left; class 1: bottom-right; plus noise
    x = 0.1 * torch.randn(n, 1, 8, 8)
    y = torch.randint(0, 2, (n,))
    for i in range(n):
        r = 1 if y[i] == 0 else 5
        x[i, 0, r:r + 2, r:r + 2] += 1.0
    return x, y


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(4, 6, 3, padding=1), nn.ReLU())
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        a = self.features(x)
        return self.head(a.mean((2, 3)))


net = Net()
opt = torch.optim.Adam(net.parameters(), lr=0.03)
for _ in range(40):
    xb, yb = make_images(32)
    loss = F.cross_entropy(net(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
print("train loss", round(loss.item(), 4))
net.eval()
x, y = make_images(4)
with torch.no_grad():
    print("predictions", net(x).argmax(1).tolist(), "labels", y.tolist())
img, label = x[:1], y[0].item()

# vanilla gradients
inp = img.clone().requires_grad_(True)
score = net(inp)[0, label]
score.backward()
saliency = inp.grad.abs().amax(dim=1)[0]
print("saliency argmax (row, col)", divmod(saliency.argmax().item(), 8))
print(saliency)
print("gradient x input sum", round((inp.grad * img).sum().item(), 4))

# SmoothGrad
g = torch.Generator().manual_seed(0)
noisy = (img + 0.15 * torch.randn(16, 1, 8, 8, generator=g)).requires_grad_(True)
net(noisy)[:, label].sum().backward()
smooth = noisy.grad.abs().mean(0)[0]
print("smoothgrad top-4 pixels", smooth.flatten().topk(4).indices.tolist())


# integrated gradients
def integrated_gradients(model, x, target, baseline, steps=64):
    alphas = (torch.arange(steps) + 0.5) / steps
    path = baseline + alphas.view(-1, 1, 1, 1) * (x - baseline)
    path.requires_grad_(True)
    model(path)[:, target].sum().backward()
    return (x - baseline) * path.grad.mean(0, keepdim=True)


baseline = torch.zeros_like(img)
ig = integrated_gradients(net, img, label, baseline)
with torch.no_grad():
    delta = net(img)[0, label] - net(baseline)[0, label]
print("IG sum", round(ig.sum().item(), 4), "f(x) - f(baseline)", round(delta.item(), 4))
print("completeness gap < 1e-2", abs(ig.sum() - delta).item() < 1e-2)
print(ig[0, 0])

# Grad-CAM on the last conv layer
store = {}


def keep_activation(module, inputs, output):
    store["act"] = output
    output.register_hook(lambda grad: store.__setitem__("grad", grad))


handle = net.features[2].register_forward_hook(keep_activation)
out = net(img)
out[0, label].backward()
handle.remove()
weights = store["grad"].mean((2, 3), keepdim=True)
cam = F.relu((weights * store["act"]).sum(1, keepdim=True))
cam = cam / cam.max().clamp_min(1e-8)
print("grad-cam channel weights", weights.flatten())
print("act shape", tuple(store["act"].shape), "grad shape", tuple(store["grad"].shape))
print(cam[0, 0].detach())
up = F.interpolate(cam.detach(), size=(16, 16), mode="bilinear", align_corners=False)
print("upsampled", tuple(up.shape), up[0, 0, 2:5, 2:5])
print("hook removed", len(net.features[2]._forward_hooks))


# guided backprop: only positive gradients flow back through each ReLU
def guided(module, grad_input, grad_output):
    return (grad_input[0].clamp(min=0),)


handles = [m.register_full_backward_hook(guided) for m in net.modules() if isinstance(m, nn.ReLU)]
inp = img.clone().requires_grad_(True)
net(inp)[0, label].backward()
for h in handles:
    h.remove()
gb = inp.grad[0, 0]
print("guided backprop nonneg fraction", round((gb >= 0).float().mean().item(), 4))
print(gb)
guided_cam = gb * F.interpolate(cam.detach(), size=(8, 8))[0, 0]
print("guided x grad-cam peak", divmod(guided_cam.argmax().item(), 8))

# occlusion: slide a 2x2 grey patch with stride 2 and record the score drop
with torch.no_grad():
    base_score = net(img)[0, label]
    masks = torch.ones(16, 1, 8, 8)
    for k in range(16):
        r, c = divmod(k, 4)
        masks[k, 0, 2 * r:2 * r + 2, 2 * c:2 * c + 2] = 0
    drops = base_score - net(img * masks)[:, label]
print("occlusion map")
print(drops.view(4, 4))
print("most important patch", divmod(drops.argmax().item(), 4))
patches = F.unfold(img, kernel_size=2, stride=2)
print("patch energy", patches.pow(2).sum(1).view(4, 4))

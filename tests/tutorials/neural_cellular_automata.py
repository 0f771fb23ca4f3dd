"""Growing neural cellular automata (Mordvintsev et al., Distill 2020) in miniature: a
16-channel cell grid perceived through fixed identity and Sobel filters applied as a
depthwise convolution (groups=channels, filters built with torch.outer and repeated
with repeat), an update rule of two 1x1 convolutions with the last one zero-initialised,
stochastic cell updates from a random mask, the alive mask from max_pool2d on the alpha
channel, training by backpropagation through 24-40 steps towards a small target pattern
with a per-parameter gradient normalisation before an Adam step, a sample pool, and the
pattern regrown after damage."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
CHANNELS, SIZE = 16, 12

# Target: an 8x8 RGBA "plus" sign in the middle of a 12x12 grid.
target = torch.zeros(4, SIZE, SIZE)
target[:3, 5:7, 2:10] = torch.tensor([0.9, 0.3, 0.1])[:, None, None]
target[:3, 2:10, 5:7] = torch.tensor([0.1, 0.4, 0.9])[:, None, None]
target[3] = (target[:3].sum(0) > 0).float()
print("target alpha\n", target[3].int())

sobel_x = torch.outer(torch.tensor([1.0, 2.0, 1.0]), torch.tensor([-1.0, 0.0, 1.0])) / 8
identity = torch.zeros(3, 3)
identity[1, 1] = 1
kernel = torch.stack([identity, sobel_x, sobel_x.T])              # (3, 3, 3)
kernel = kernel.repeat(CHANNELS, 1, 1).unsqueeze(1)               # (48, 1, 3, 3)
print("perception kernel", tuple(kernel.shape))


def perceive(x):
    return F.conv2d(x, kernel, padding=1, groups=CHANNELS)


def alive(x):
    return F.max_pool2d(x[:, 3:4], kernel_size=3, stride=1, padding=1) > 0.1


class CA(nn.Module):
    def __init__(self, hidden=64, fire_rate=0.5):
        super().__init__()
        self.update = nn.Sequential(nn.Conv2d(CHANNELS * 3, hidden, 1), nn.ReLU(),
                                    nn.Conv2d(hidden, CHANNELS, 1, bias=False))
        nn.init.zeros_(self.update[2].weight)
        self.fire_rate = fire_rate

    def forward(self, x, generator=None):
        pre = alive(x)
        dx = self.update(perceive(x))
        mask = (torch.rand(x.shape[0], 1, SIZE, SIZE, generator=generator) < self.fire_rate)
        x = x + dx * mask.float()
        life = pre & alive(x)
        return x * life.float()


def seed_state(n):
    x = torch.zeros(n, CHANNELS, SIZE, SIZE)
    x[:, 3:, SIZE // 2, SIZE // 2] = 1.0
    return x


ca = CA()
print(ca)
print("parameters", sum(p.numel() for p in ca.parameters()))
x = seed_state(1)
p = perceive(x)
print("perceived", tuple(p.shape), "nonzero", int((p != 0).sum()),
      "alive cells", int(alive(x).sum()))
print("first step is the identity (zero-initialised update):", torch.equal(ca(x), x))

opt = torch.optim.Adam(ca.parameters(), lr=2e-3)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, [60], 0.3)
pool = seed_state(32)
for step in range(80):
    idx = torch.randperm(32)[:4]
    batch = pool[idx]
    with torch.no_grad():
        losses = ((batch[:, :4] - target) ** 2).mean(dim=(1, 2, 3))
        worst = losses.argmax()
    batch[worst] = seed_state(1)[0]
    steps = int(torch.randint(24, 41, (1,)))
    x = batch
    for _ in range(steps):
        x = ca(x)
    loss = F.mse_loss(x[:, :4], target.expand(4, -1, -1, -1))
    opt.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in ca.parameters():
            param.grad /= param.grad.norm() + 1e-8
    opt.step()
    sched.step()
    pool[idx] = x.detach()
    if step % 20 == 19:
        print(f"step {step + 1:3d} steps {steps} loss {loss.item():.5f} "
              f"lr {sched.get_last_lr()[0]:.5f} pool loss "
              f"{((pool[:, :4] - target) ** 2).mean().item():.5f}")

with torch.no_grad():
    g = torch.Generator().manual_seed(0)
    x = seed_state(1)
    for _ in range(40):
        x = ca(x, generator=g)
    print("grown alpha (>0.5)\n", (x[0, 3] > 0.5).int())
    print(f"rgba error {F.mse_loss(x[0, :4], target).item():.5f}")
    x[:, :, :, :6] = 0                       # cut away the left half
    damaged = F.mse_loss(x[0, :4], target).item()
    for _ in range(40):
        x = ca(x, generator=g)
    print(f"after damage {damaged:.5f} after regrowth {F.mse_loss(x[0, :4], target).item():.5f}")
    print("living cells", int(alive(x).sum()), "rgb at centre", x[0, :3, 5, 5].round(decimals=3))

"""A Vision-Transformer toy on synthetic 16x16 images of bars: patches cut with
F.unfold (and checked against Tensor.unfold / nn.Unfold / einops-style reshapes), a linear
patch embedding, a learnable [CLS] token and position embeddings initialised with
nn.init.trunc_normal_, pre-norm encoder blocks written by hand from nn.MultiheadAttention,
LayerNorm, GELU (exact and tanh), dropout and a residual MLP, weight decay only on matrices
(AdamW parameter groups), OneCycleLR, gradient clipping, and attention maps from the [CLS]
token read back with need_weights=True."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


# -- data: horizontal (class 0), vertical (1) or diagonal (2) bars plus noise ----------------------
def make_images(n, gen):
    imgs = 0.3 * torch.randn(n, 1, 16, 16, generator=gen)
    labels = torch.randint(0, 3, (n,), generator=gen)
    pos = torch.randint(2, 14, (n,), generator=gen)
    idx = torch.arange(16)
    for i in range(n):
        p = int(pos[i])
        if labels[i] == 0:
            imgs[i, 0, p - 1 : p + 1, :] += 1.0
        elif labels[i] == 1:
            imgs[i, 0, :, p - 1 : p + 1] += 1.0
        else:
            imgs[i, 0, idx, (idx + p) % 16] += 1.0
    return imgs, labels


gen = torch.Generator().manual_seed(42)
train_x, train_y = make_images(192, gen)
test_x, test_y = make_images(48, gen)
print("train", train_x.shape, torch.bincount(train_y), "test", test_x.shape, torch.bincount(test_y))

# -- patches four ways -----------------------------------------------------------------------------
P = 4
patches = F.unfold(train_x[:2], kernel_size=P, stride=P)  # (B, C*P*P, L)
print("F.unfold", patches.shape)
p2 = train_x[:2].unfold(2, P, P).unfold(3, P, P)  # (B, C, 4, 4, P, P)
p2 = p2.permute(0, 2, 3, 1, 4, 5).reshape(2, 16, P * P)
print("Tensor.unfold agrees", torch.equal(patches.transpose(1, 2), p2))
p3 = train_x[:2].reshape(2, 1, 4, P, 4, P).permute(0, 2, 4, 1, 3, 5).reshape(2, 16, -1)
print(
    "reshape agrees",
    torch.equal(p2, p3),
    "nn.Unfold agrees",
    torch.equal(nn.Unfold(P, stride=P)(train_x[:2]), patches),
)
back = F.fold(patches, output_size=(16, 16), kernel_size=P, stride=P)
print("fold inverts", torch.equal(back, train_x[:2]))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=2, p=0.1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=p, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(
            nn.Linear(dim, mlp_ratio * dim),
            nn.GELU(),
            nn.Dropout(p),
            nn.Linear(mlp_ratio * dim, dim),
            nn.Dropout(p),
        )

    def forward(self, x, need_weights=False):
        h = self.norm1(x)
        a, w = self.attn(h, h, h, need_weights=need_weights)
        x = x + a
        x = x + self.mlp(self.norm2(x))
        return x, w


class ViT(nn.Module):
    def __init__(self, patch=4, dim=32, depth=2, heads=4, classes=3):
        super().__init__()
        self.patch = patch
        n = (16 // patch) ** 2
        self.embed = nn.Linear(patch * patch, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.zeros(1, n + 1, dim))
        nn.init.trunc_normal_(self.pos, std=0.02)
        nn.init.trunc_normal_(self.cls, std=0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, img, need_weights=False):
        x = F.unfold(img, self.patch, stride=self.patch).transpose(1, 2)
        x = self.embed(x)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        maps = []
        for blk in self.blocks:
            x, w = blk(x, need_weights)
            maps.append(w)
        return self.head(self.norm(x[:, 0])), maps


model = ViT()
print(model)
print("parameters", sum(p.numel() for p in model.parameters()))
print(
    "pos init: mean",
    round(model.pos.mean().item(), 6),
    "max |.|",
    round(model.pos.abs().max().item(), 6),
)
print(
    "linear init in [-0.04, 0.04]",
    all(m.weight.abs().max().item() <= 0.04 for m in model.modules() if isinstance(m, nn.Linear)),
)
print(
    "trunc_normal_ bounds",
    nn.init.trunc_normal_(torch.empty(1000), mean=1.0, std=2.0, a=0.0, b=1.5).aminmax(),
)

decay, no_decay = [], []
for name, p in model.named_parameters():
    (decay if p.ndim >= 2 and "pos" not in name and "cls" not in name else no_decay).append(p)
print("decay tensors", len(decay), "no-decay tensors", len(no_decay))
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
    lr=3e-3,
    betas=(0.9, 0.98),
)
epochs, bs = 6, 32
steps = epochs * (len(train_x) // bs)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.3)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

for epoch in range(epochs):
    model.train()
    perm = torch.randperm(len(train_x))
    total = 0.0
    for i in range(0, len(train_x), bs):
        idx = perm[i : i + bs]
        logits, _ = model(train_x[idx])
        loss = loss_fn(logits, train_y[idx])
        opt.zero_grad()
        loss.backward()
        gn = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        total += loss.item()
    model.eval()
    with torch.no_grad():
        logits, _ = model(test_x)
        acc = (logits.argmax(1) == test_y).float().mean().item()
    print(
        f"epoch {epoch} loss {total / (len(train_x) // bs):.4f} grad-norm {gn.item():.4f} "
        f"lr {sched.get_last_lr()[0]:.6f} test acc {acc:.4f}"
    )

model.eval()
with torch.no_grad():
    logits, maps = model(test_x[:3], need_weights=True)
print("attention maps", [m.shape for m in maps])
print("cls attention to patches (block 2, image 0)\n", maps[1][0, 0, 1:].view(4, 4))
print("rows sum to one", torch.allclose(maps[0].sum(-1), torch.ones(3, 17)))
print("probs\n", logits.softmax(-1), test_y[:3])

# GELU flavours and LayerNorm by hand
# (not below -2.5: torch's oneDNN erf for float32 vectors is a few ulps off far in the tail)
z = torch.linspace(-2, 2, 9)
print("gelu exact", F.gelu(z))
print("gelu tanh ", F.gelu(z, approximate="tanh"))
ln = model.norm
h = torch.randn(2, 32)
by_hand = (h - h.mean(-1, keepdim=True)) / torch.sqrt(
    h.var(-1, unbiased=False, keepdim=True) + ln.eps
) * ln.weight + ln.bias
print("layernorm by hand", torch.allclose(by_hand, ln(h), atol=1e-6))
print("state_dict keys", list(model.state_dict())[:8])

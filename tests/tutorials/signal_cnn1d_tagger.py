"""Two sequence models on synthetic data. (1) A 1-D CNN that classifies noisy signals (sine,
square, sawtooth) with Conv1d (padding="same", dilation, groups), BatchNorm1d, MaxPool1d,
AdaptiveAvgPool1d/AdaptiveMaxPool1d and Dropout, trained with Adam; feature-map shapes,
pooling indices and a per-class report are printed. (2) A sequence tagger (Embedding ->
bidirectional GRU -> Linear) over padded sentences trained with cross_entropy that uses
class weights, label_smoothing and ignore_index for the padding, compared with the
hand-written smoothed loss; nll_loss on log_softmax, reduction="none" per-token losses,
and the padded positions contributing nothing to the gradient."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# -- (1) signals -------------------------------------------------------------------------------
L = 64
t = torch.linspace(0, 1, L)


def make_signals(n, gen):
    kind = torch.randint(0, 3, (n,), generator=gen)
    freq = 2 + 3 * torch.rand(n, 1, generator=gen)
    phase = torch.rand(n, 1, generator=gen)
    arg = freq * t + phase
    sine = torch.sin(2 * math.pi * arg)
    square = torch.sign(sine)
    saw = 2 * (arg - torch.floor(arg + 0.5))
    x = torch.stack([sine, square, saw], 1)[torch.arange(n), kind]
    x = x + 0.3 * torch.randn(n, L, generator=gen)
    return x.unsqueeze(1), kind


gen = torch.Generator().manual_seed(1)
x_train, y_train = make_signals(192, gen)
x_test, y_test = make_signals(60, gen)
print(x_train.shape, y_train.bincount(), x_test[0, 0, :6])


class SignalNet(nn.Module):
    def __init__(self):
        super().__init__()
        # no bias before BatchNorm: its true gradient is zero, and Adam would step it by
        # +-lr on the sign of float rounding noise
        self.conv1 = nn.Conv1d(1, 8, kernel_size=5, padding="same", bias=False)
        self.bn1 = nn.BatchNorm1d(8)
        self.pool = nn.MaxPool1d(2, return_indices=True)
        self.conv2 = nn.Conv1d(8, 16, kernel_size=3, padding=2, dilation=2, groups=2, bias=False)
        self.bn2 = nn.BatchNorm1d(16)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.gmp = nn.AdaptiveMaxPool1d(1)
        self.drop = nn.Dropout(0.3)
        self.fc = nn.Linear(32, 3)

    def forward(self, x, verbose=False):
        h = F.relu(self.bn1(self.conv1(x)))
        h, idx = self.pool(h)
        h = F.relu(self.bn2(self.conv2(h)))
        feats = torch.cat([self.gap(h), self.gmp(h)], 1).flatten(1)
        if verbose:
            print("  conv/pool shapes:", tuple(h.shape), tuple(idx.shape), idx[0, 0, :6].tolist())
            print("  features:", tuple(feats.shape))
        return self.fc(self.drop(feats))


net = SignalNet()
print(net)
print(sum(p.numel() for p in net.parameters()), "parameters",
      net.conv2.weight.shape, net.conv1.padding, net.conv2.dilation)
net(x_train[:4], verbose=True)
opt = torch.optim.Adam(net.parameters(), lr=5e-3)
for epoch in range(8):
    net.train()
    perm = torch.randperm(len(x_train))
    for i in range(0, len(perm), 32):
        b = perm[i:i + 32]
        opt.zero_grad()
        loss = F.cross_entropy(net(x_train[b]), y_train[b])
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        logits = net(x_test)
    acc = (logits.argmax(1) == y_test).float().mean()
    print(f"epoch {epoch} last batch loss {loss.item():.4f} test acc {acc.item():.4f}")

pred = logits.argmax(1)
for c, name in enumerate(["sine", "square", "sawtooth"]):
    tp = ((pred == c) & (y_test == c)).sum().item()
    print(f"{name:8s} precision {tp / max((pred == c).sum().item(), 1):.3f} "
          f"recall {tp / (y_test == c).sum().item():.3f}")
print("running stats", net.bn1.running_mean[:3], net.bn1.running_var[:3],
      net.bn1.num_batches_tracked)
print(F.max_pool1d(torch.arange(10.).view(1, 1, 10), 3, stride=2, ceil_mode=True))
print(F.avg_pool1d(torch.arange(10.).view(1, 1, 10), 4, stride=3, padding=1,
                   count_include_pad=False))
print(F.adaptive_avg_pool1d(torch.arange(10.).view(1, 1, 10), 4))
print(F.adaptive_max_pool1d(torch.arange(10.).view(1, 1, 10).flip(-1), 3, return_indices=True))

# -- (2) sequence tagger -----------------------------------------------------------------------
torch.manual_seed(2)
VOCAB, TAGS, PAD_TAG = 20, 4, -100
lengths = torch.tensor([7, 5, 6, 3, 7, 4])
tokens = torch.randint(1, VOCAB, (6, 7))
mask = torch.arange(7).unsqueeze(0) < lengths.unsqueeze(1)
tokens = tokens.masked_fill(~mask, 0)
tags = (tokens % TAGS).masked_fill(~mask, PAD_TAG)  # learnable rule: tag = token mod 4
print(tokens)
print(tags)
counts = torch.bincount(tags[mask], minlength=TAGS)
class_weights = counts.sum() / (TAGS * counts.float())
print("tag counts", counts, "weights", class_weights)


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 12, padding_idx=0)
        self.rnn = nn.GRU(12, 10, batch_first=True, bidirectional=True)
        self.out = nn.Linear(20, TAGS)

    def forward(self, x):
        h, _ = self.rnn(self.emb(x))
        return self.out(h)


tagger = Tagger()
logits = tagger(tokens)
print(logits.shape)
flat_logits, flat_tags = logits.reshape(-1, TAGS), tags.reshape(-1)
for ls in (0.0, 0.1):
    for w in (None, class_weights):
        loss = F.cross_entropy(flat_logits, flat_tags, weight=w, ignore_index=PAD_TAG,
                               label_smoothing=ls)
        print(f"smoothing {ls} weighted {w is not None}: {loss.item():.6f}")

# by hand: (1 - eps) * nll + eps * mean over classes of -log p, each weighted
eps = 0.1
logp = F.log_softmax(flat_logits, -1)
valid = flat_tags != PAD_TAG
tgt = flat_tags.clamp(min=0)
w_t = class_weights[tgt] * valid
nll = -(logp.gather(1, tgt.unsqueeze(1)).squeeze(1) * w_t).sum() / w_t.sum()
smooth = -(logp * class_weights).sum(1)[valid].sum() / w_t.sum() / TAGS
print(f"by hand: {((1 - eps) * nll + eps * smooth).item():.6f}")
nll_ref = F.nll_loss(logp, flat_tags, weight=class_weights, ignore_index=PAD_TAG)
print(f"nll_loss: {nll_ref.item():.6f} vs {nll.item():.6f}")
per_token = F.cross_entropy(logits.transpose(1, 2), tags, reduction="none", label_smoothing=0.1)
print(per_token.shape, per_token[3], (per_token[~mask] == 0).all().item())

loss = F.cross_entropy(flat_logits, flat_tags, weight=class_weights, ignore_index=PAD_TAG,
                       label_smoothing=0.1)
loss.backward()
print("padding embedding grad is zero:", tagger.emb.weight.grad[0].abs().sum().item() == 0)

opt = torch.optim.Adam(tagger.parameters(), lr=0.02)
for step in range(120):
    opt.zero_grad()
    loss = F.cross_entropy(tagger(tokens).reshape(-1, TAGS), flat_tags, weight=class_weights,
                           ignore_index=PAD_TAG, label_smoothing=0.1)
    loss.backward()
    opt.step()
    if step % 30 == 0:
        print(f"tagger step {step:3d} loss {loss.item():.4f}")
pred = tagger(tokens).argmax(-1)
print(pred.masked_fill(~mask, -1))
print("token accuracy", (pred[mask] == tags[mask]).float().mean().item())
print(F.softmax(tagger(tokens[:1, :3]), -1).detach())

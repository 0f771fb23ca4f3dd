"""Sequence-model recipes around CTC: a toy "speech" task where a bidirectional 2-layer
LSTM (proj_size) reads variable-length frame sequences packed with enforce_sorted=False
and is trained with nn.CTCLoss; CTC loss by hand (the alpha recursion) against F.ctc_loss
for every reduction, blank index, zero_infinity and impossible alignments, with 1-D and
2-D targets and tuple or tensor lengths, unbatched input; greedy CTC decoding; a GRU
classifier with masked mean pooling; nn.Embedding with padding_idx, max_norm and
scale_grad_by_freq; and the gradients along the way."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(0)
dt = torch.float64


# -- CTC by hand ---------------------------------------------------------------------------------
def ctc_by_hand(log_probs, target, blank=0):
    """-log p(target | x): alpha recursion over the extended label sequence b t1 b t2 ... b."""
    ext = [blank]
    for t in target:
        ext += [t, blank]
    T, S = log_probs.shape[0], len(ext)
    alpha = torch.full((S,), -math.inf, dtype=log_probs.dtype)
    alpha[0] = log_probs[0, ext[0]]
    if S > 1:
        alpha[1] = log_probs[0, ext[1]]
    for t in range(1, T):
        new = torch.full((S,), -math.inf, dtype=log_probs.dtype)
        for s in range(S):
            terms = [alpha[s]]
            if s >= 1:
                terms.append(alpha[s - 1])
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(alpha[s - 2])
            new[s] = torch.logsumexp(torch.stack(terms), 0) + log_probs[t, ext[s]]
        alpha = new
    tail = alpha[-2:] if S > 1 else alpha[-1:]
    return -torch.logsumexp(tail, 0)


T, N, C = 7, 3, 5
logits = torch.randn(T, N, C, dtype=dt)
lp = logits.log_softmax(-1)
targets = torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4]])
input_lengths = torch.tensor([7, 5, 6])
target_lengths = torch.tensor([3, 2, 3])
hand = torch.stack(
    [
        ctc_by_hand(lp[: input_lengths[i], i], targets[i, : target_lengths[i]].tolist())
        for i in range(N)
    ]
)
print("by hand      ", hand.round(decimals=6))
print(
    "none         ",
    F.ctc_loss(lp, targets, input_lengths, target_lengths, reduction="none").round(decimals=6),
)
print(
    "sum          ",
    F.ctc_loss(lp, targets, input_lengths, target_lengths, reduction="sum").round(decimals=6),
)
print(
    "mean         ",
    F.ctc_loss(lp, targets, input_lengths, target_lengths).round(decimals=6),
    (hand / target_lengths).mean().round(decimals=6),
)
flat = torch.cat([targets[i, : target_lengths[i]] for i in range(N)])
print(
    "1-d targets  ",
    F.ctc_loss(lp, flat, input_lengths, target_lengths, reduction="none").round(decimals=6),
)
print(
    "tuple lengths",
    F.ctc_loss(lp, targets, (7, 5, 6), (3, 2, 3), reduction="none").round(decimals=6),
)
print(
    "unbatched    ",
    F.ctc_loss(lp[:, 0], targets[0], (7,), (3,)).round(decimals=6),
    (hand[0] / 3).round(decimals=6),
)
lp_b4 = torch.roll(lp, 1, dims=-1)
t_b4 = torch.tensor([[0, 1, 1], [2, 0, 3], [3, 3, 3]])
print(
    "blank=4      ",
    F.ctc_loss(lp_b4, t_b4, input_lengths, target_lengths, blank=4, reduction="none").round(
        decimals=6
    ),
)
impossible = torch.tensor([[1, 1, 1], [2, 2, 2], [3, 3, 3]])
print("impossible   ", F.ctc_loss(lp[:4], impossible, (4, 4, 4), (3, 3, 3), reduction="none"))
print(
    "zero_infinity",
    F.ctc_loss(lp[:4], impossible, (4, 4, 4), (3, 3, 3), reduction="none", zero_infinity=True),
)
print(
    "empty target ",
    F.ctc_loss(lp, targets, input_lengths, torch.tensor([0, 1, 2]), reduction="none").round(
        decimals=6
    ),
    -lp[:7, 0, 0].sum().round(decimals=6),
)
x = logits.clone().requires_grad_()
loss = F.ctc_loss(x.log_softmax(-1), targets, input_lengths, target_lengths)
loss.backward()
print(
    "ctc grad_fn",
    loss.grad_fn.name(),
    "grad rows sum to ~0:",
    x.grad.sum(-1).abs().max().item() < 1e-12,
)
print(
    "grad beyond input length is 0:",
    x.grad[5:, 1].abs().max().item(),
    "grad[0,0]",
    x.grad[0, 0].round(decimals=6),
)
xi = logits[:4].clone().requires_grad_()
F.ctc_loss(xi.log_softmax(-1), impossible, (4, 4, 4), (3, 3, 3), zero_infinity=True).backward()
print("zero_infinity grad", xi.grad.abs().sum())
try:
    F.ctc_loss(lp, targets, (8, 5, 6), (3, 2, 3))
except RuntimeError as e:
    print("input_length > T:", type(e).__name__)


# -- a toy CTC task ------------------------------------------------------------------------------
# frames: each symbol k in 1..3 is shown for 2-3 frames as a noisy one-hot, blanks between
def make_example(g):
    labels = torch.randint(1, 4, (int(torch.randint(2, 4, (1,), generator=g)),), generator=g)
    frames = []
    for k in labels.tolist():
        reps = int(torch.randint(2, 4, (1,), generator=g))
        frames += [F.one_hot(torch.tensor(k), 4).to(dt)] * reps + [torch.zeros(4, dtype=dt)]
    x = torch.stack(frames) + 0.1 * torch.randn(len(frames), 4, generator=g, dtype=dt)
    return x, labels


g = torch.Generator().manual_seed(3)
data = [make_example(g) for _ in range(8)]
print("lengths", [len(x) for x, _ in data], "labels", [y.tolist() for _, y in data])


class CTCModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(
            4, 6, num_layers=2, bidirectional=True, proj_size=3, batch_first=True, dtype=dt
        )
        self.out = nn.Linear(6, 4, dtype=dt)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h, (hn, cn) = self.rnn(packed)
        h, out_lengths = pad_packed_sequence(h, batch_first=True)
        return self.out(h).log_softmax(-1), out_lengths, hn.shape, cn.shape


model = CTCModel()
print(model)
print("lstm params", [(n, tuple(p.shape)) for n, p in model.rnn.named_parameters()][:6])
xs = pad_sequence([x for x, _ in data], batch_first=True)
lengths = torch.tensor([len(x) for x, _ in data])
ys = torch.cat([y for _, y in data])
ylens = torch.tensor([len(y) for _, y in data])
ctc = nn.CTCLoss(blank=0, zero_infinity=True)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for step in range(80):
    opt.zero_grad()
    lp_b, out_lengths, hshape, cshape = model(xs, lengths)
    loss = ctc(lp_b.transpose(0, 1), ys, out_lengths, ylens)
    loss.backward()
    opt.step()
    if step % 16 == 0 or step == 79:
        print(
            f"step {step:2d} ctc {loss.item():.6f}", tuple(lp_b.shape), tuple(hshape), tuple(cshape)
        )


def greedy_decode(lp_seq, length):
    best = lp_seq[:length].argmax(-1).tolist()
    out, prev = [], 0
    for k in best:
        if k != prev and k != 0:
            out.append(k)
        prev = k
    return out


with torch.no_grad():
    lp_b, out_lengths, _, _ = model(xs, lengths)
decoded = [greedy_decode(lp_b[i], out_lengths[i]) for i in range(len(data))]
print("decoded", decoded)
print("correct", sum(d == y.tolist() for d, (_, y) in zip(decoded, data)), "of", len(data))
print(
    "padded frames:",
    lp_b[lengths.argmin(), lengths.min() :].exp().sum(-1).round(decimals=6).tolist(),
)

# -- GRU classifier with masked mean pooling -----------------------------------------------------
gru = nn.GRU(4, 5, batch_first=True, dtype=dt)
h, _ = gru(xs)
mask = torch.arange(xs.shape[1])[None, :] < lengths[:, None]
pooled = (h * mask[..., None]).sum(1) / lengths[:, None]
packed_h, _ = gru(pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False))
packed_h, _ = pad_packed_sequence(packed_h, batch_first=True)
print("mask", mask.sum(1).tolist(), "pooled", pooled[:2].round(decimals=4))
print(
    "packed == unpacked inside lengths:",
    torch.allclose(packed_h[mask], h[mask]),
    "outside is 0:",
    packed_h[~mask].abs().sum().item(),
)

# -- embeddings ----------------------------------------------------------------------------------
emb = nn.Embedding(6, 3, padding_idx=2, dtype=dt)
print("padding row", emb.weight[2])
ids = torch.tensor([[2, 1, 1, 5], [0, 2, 2, 1]])
emb(ids).sum().backward()
print("grad counts", emb.weight.grad[:, 0])
emb_freq = nn.Embedding(6, 3, scale_grad_by_freq=True, dtype=dt)
emb_freq(ids).sum().backward()
print("scale_grad_by_freq", emb_freq.weight.grad[:, 0])
emb_norm = nn.Embedding(6, 4, max_norm=1.0, dtype=dt)
before = emb_norm.weight.norm(dim=1).round(decimals=4)
emb_norm(torch.tensor([0, 3, 3]))
print("max_norm renorm", before, emb_norm.weight.norm(dim=1).round(decimals=4))
pre = torch.tensor([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
frozen = nn.Embedding.from_pretrained(pre, padding_idx=0)
print("from_pretrained", frozen.weight.requires_grad, frozen(torch.tensor([2, 0])), frozen)
print("F.embedding padding", F.embedding(torch.tensor([0, 1]), pre, padding_idx=-3).tolist())
try:
    emb(torch.tensor([6]))
except IndexError as e:
    print("out of range:", type(e).__name__)

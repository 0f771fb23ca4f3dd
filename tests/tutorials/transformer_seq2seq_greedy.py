"""A full nn.Transformer (encoder-decoder) learning to reverse digit sequences: token and
positional embeddings, generate_square_subsequent_mask for the decoder, key padding masks
for padded sources, teacher forcing with cross_entropy(ignore_index=PAD), then a greedy
decoding loop under model.eval()/no_grad. Prints shapes, parameter counts, losses, masks and
the decoded sequences."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
# float64 throughout the training: 60 Adam steps on float32 amplify last-bit differences
# (the key projection's bias has a zero gradient up to rounding, which Adam turns into
# +-lr steps), and this script should print the same decoded sequences on every machine
torch.set_default_dtype(torch.float64)

PAD, BOS, EOS = 0, 1, 2
VOCAB = 10  # digits 3..9 are the payload
MAX_LEN = 6


def make_batch(n):
    """Random sequences of 3..5 payload digits, padded; the target is the reversal."""
    lengths = torch.randint(3, MAX_LEN, (n,))
    src = torch.full((n, MAX_LEN), PAD)
    tgt = torch.full((n, MAX_LEN + 2), PAD)
    for i, k in enumerate(lengths.tolist()):
        digits = torch.randint(3, VOCAB, (k,))
        src[i, :k] = digits
        tgt[i, 0] = BOS
        tgt[i, 1 : k + 1] = digits.flip(0)
        tgt[i, k + 1] = EOS
    return src, tgt, lengths


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=32):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[: x.size(1)]


class Seq2SeqTransformer(nn.Module):
    def __init__(self, d_model=32, nhead=4, layers=2):
        super().__init__()
        self.d_model = d_model
        self.src_emb = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(VOCAB, d_model, padding_idx=PAD)
        self.pos = PositionalEncoding(d_model)
        self.transformer = nn.Transformer(
            d_model,
            nhead,
            num_encoder_layers=layers,
            num_decoder_layers=layers,
            dim_feedforward=64,
            dropout=0.0,
            batch_first=True,
        )
        self.head = nn.Linear(d_model, VOCAB)

    def encode(self, src):
        pad = src == PAD
        x = self.pos(self.src_emb(src) * math.sqrt(self.d_model))
        return self.transformer.encoder(x, src_key_padding_mask=pad), pad

    def decode(self, tgt_in, memory, src_pad):
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        y = self.pos(self.tgt_emb(tgt_in) * math.sqrt(self.d_model))
        out = self.transformer.decoder(
            y,
            memory,
            tgt_mask=causal,
            tgt_key_padding_mask=tgt_in == PAD,
            memory_key_padding_mask=src_pad,
        )
        return self.head(out)

    def forward(self, src, tgt_in):
        memory, src_pad = self.encode(src)
        return self.decode(tgt_in, memory, src_pad)


model = Seq2SeqTransformer()
print(model.transformer.encoder.layers[0])
n_params = sum(p.numel() for p in model.parameters())
print(
    "parameters:",
    n_params,
    "trainable:",
    sum(p.numel() for p in model.parameters() if p.requires_grad),
)
for name, p in list(model.named_parameters())[:8]:
    print(f"  {name:55s} {tuple(p.shape)}")
print("mask(4):")
print(nn.Transformer.generate_square_subsequent_mask(4))

src, tgt, lengths = make_batch(4)
print("src:", src)
print("tgt:", tgt)
print("lengths:", lengths)
logits = model(src, tgt[:, :-1])
print("logits:", logits.shape, logits.dtype)
print(
    "initial loss:",
    round(
        F.cross_entropy(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1), ignore_index=PAD).item(),
        4,
    ),
)

# the whole model in one call, with the masks passed to nn.Transformer.forward
full = model.transformer(
    model.pos(model.src_emb(src) * math.sqrt(32)),
    model.pos(model.tgt_emb(tgt[:, :-1]) * math.sqrt(32)),
    tgt_mask=nn.Transformer.generate_square_subsequent_mask(MAX_LEN + 1),
    src_key_padding_mask=src == PAD,
    tgt_key_padding_mask=tgt[:, :-1] == PAD,
    memory_key_padding_mask=src == PAD,
)
print("forward agrees with encode+decode:", torch.allclose(model.head(full), logits, atol=1e-6))

opt = torch.optim.Adam(model.parameters(), lr=3e-3)
for step in range(1, 61):
    src, tgt, _ = make_batch(32)
    logits = model(src, tgt[:, :-1])
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1), ignore_index=PAD)
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 10 == 0:
        print(f"step {step:3d} loss {loss.item():.3f} grad-norm {norm.item():.2f}")


@torch.no_grad()
def greedy_decode(model, src, max_new=MAX_LEN + 1):
    memory, src_pad = model.encode(src)
    ys = torch.full((src.size(0), 1), BOS)
    done = torch.zeros(src.size(0), dtype=torch.bool)
    for _ in range(max_new):
        next_token = model.decode(ys, memory, src_pad)[:, -1].argmax(-1)
        next_token = next_token.masked_fill(done, PAD)
        ys = torch.cat([ys, next_token.unsqueeze(1)], dim=1)
        done |= next_token == EOS
        if done.all():
            break
    return ys


model.eval()
src, tgt, lengths = make_batch(6)
out = greedy_decode(model, src)
print("decoded shape:", out.shape)
for s, o, t in zip(src.tolist(), out.tolist(), tgt.tolist()):
    print([d for d in s if d != PAD], "->", o[1:], "target", [d for d in t[1:] if d != PAD])
with torch.no_grad():
    logits = model(src, tgt[:, :-1])
    pred = logits.argmax(-1)
    keep = tgt[:, 1:] != PAD
    print(
        "token accuracy (teacher forcing):",
        (pred[keep] == tgt[:, 1:][keep]).float().mean().item() > 0.3,
    )
    print(
        "eval loss:",
        round(
            F.cross_entropy(
                logits.reshape(-1, VOCAB), tgt[:, 1:].reshape(-1), ignore_index=PAD
            ).item(),
            3,
        ),
    )

# norm_first and gelu variants in float32: shapes and a single backward
torch.set_default_dtype(torch.float32)
for norm_first, activation in ((True, "gelu"), (False, F.gelu)):
    tr = nn.Transformer(
        16,
        2,
        1,
        1,
        32,
        dropout=0.1,
        activation=activation,
        norm_first=norm_first,
        batch_first=False,
    )
    s = torch.randn(7, 3, 16)
    t = torch.randn(5, 3, 16)
    tr.train()
    o = tr(s, t, tgt_mask=tr.generate_square_subsequent_mask(5), tgt_is_causal=True)
    o.pow(2).mean().backward()
    print(
        norm_first,
        o.shape,
        tr.decoder.layers[0].norm_first,
        o.grad_fn.name(),
        tr.encoder.layers[0].linear1.weight.grad.shape,
    )
    tr.eval()
    with torch.no_grad():
        o2 = tr(s, t)
    print("eval output", o2.shape, round(o2.std().item(), 4))

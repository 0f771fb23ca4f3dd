"""A GPT-style decoder-only language model on a synthetic grammar: token + learned position
embeddings, nn.TransformerEncoder run with the causal mask from
nn.Transformer.generate_square_subsequent_mask (and is_causal), a weight-tied output head,
AdamW with a LambdaLR warm-up, gradient clipping, perplexity, greedy and top-k sampled
decoding with torch.multinomial; then nn.TransformerDecoder with memory and key padding
masks, as in the seq2seq translation tutorial."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)

# A corpus with structure: counting sequences "a b c d ..." wrapping around 12 symbols.
vocab_size, block = 12, 10


def get_batch(n):
    start = torch.randint(0, vocab_size, (n, 1))
    step = torch.randint(1, 3, (n, 1))
    seq = (start + step * torch.arange(block + 1)) % vocab_size
    return seq[:, :-1], seq[:, 1:]


mask = nn.Transformer.generate_square_subsequent_mask(5)
print(mask)
print(mask.dtype, torch.isinf(mask).sum().item())


class TinyGPT(nn.Module):
    def __init__(self, vocab_size, d_model=32, nhead=4, num_layers=2, block=block):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Parameter(torch.zeros(1, block, d_model))
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=64, dropout=0.0,
                                           batch_first=True, norm_first=True,
                                           activation="gelu")
        self.blocks = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.ln_f = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        self.head.weight = self.tok.weight  # weight tying
        nn.init.normal_(self.pos, std=0.02)
        nn.init.normal_(self.tok.weight, std=0.02)  # GPT-2's init (the tied head too)

    def forward(self, idx):
        t = idx.size(1)
        x = self.tok(idx) + self.pos[:, :t]
        causal = nn.Transformer.generate_square_subsequent_mask(t)
        x = self.blocks(x, mask=causal, is_causal=True)
        return self.head(self.ln_f(x))


model = TinyGPT(vocab_size)
print(sum(p.numel() for p in model.parameters()))
print(model.head.weight is model.tok.weight, len(list(model.parameters())))
print([name for name, _ in model.named_parameters()][:6])

optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
warmup = 10
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup))
for step in range(60):
    x, y = get_batch(32)
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, vocab_size), y.reshape(-1))
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} ppl {math.exp(loss.item()):8.3f} "
              f"lr {scheduler.get_last_lr()[0]:.5f} clipped {norm.item() > 1.0}")

model.eval()
with torch.no_grad():
    x, y = get_batch(64)
    logits = model(x)
    print(f"eval loss {F.cross_entropy(logits.transpose(1, 2), y).item():.4f}")
    print("token accuracy", (logits.argmax(-1) == y).float().mean().item())
    # the causal mask at work: the first position's logits do not depend on later tokens
    x2 = x.clone()
    x2[:, 5:] = 0
    print(torch.equal(model(x2)[:, :5].argmax(-1), logits[:, :5].argmax(-1)))


@torch.no_grad()
def generate(model, idx, max_new_tokens, top_k=None, temperature=1.0):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -block:]
        logits = model(idx_cond)[:, -1, :] / temperature
        if top_k is not None:
            v, _ = torch.topk(logits, top_k)
            logits[logits < v[:, [-1]]] = -float("inf")
        probs = F.softmax(logits, dim=-1)
        if top_k is None:
            idx_next = probs.argmax(dim=-1, keepdim=True)
        else:
            idx_next = torch.multinomial(probs, num_samples=1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx


prompt = torch.tensor([[0, 1, 2], [5, 7, 9]])
print(generate(model, prompt, 8))
torch.manual_seed(5)
print(generate(model, prompt, 8, top_k=3, temperature=0.8))

# nn.TransformerDecoder with memory, as in encoder-decoder translation
torch.manual_seed(12)
emb = nn.Embedding(20, 16, padding_idx=0)
decoder = nn.TransformerDecoder(
    nn.TransformerDecoderLayer(16, 2, dim_feedforward=32, dropout=0.0), num_layers=2)
print(decoder.layers[0].multihead_attn)
memory = torch.randn(7, 3, 16)              # (S, N, E)
tgt_tokens = torch.tensor([[1, 4, 0], [5, 6, 0], [7, 0, 0], [8, 0, 0]])  # (T, N), 0 = pad
tgt = emb(tgt_tokens)
tgt_mask = nn.Transformer.generate_square_subsequent_mask(4)
tgt_key_padding_mask = (tgt_tokens == 0).T
memory_key_padding_mask = torch.zeros(3, 7, dtype=torch.bool)
memory_key_padding_mask[2, 5:] = True
out = decoder(tgt, memory, tgt_mask=tgt_mask, tgt_key_padding_mask=tgt_key_padding_mask,
              memory_key_padding_mask=memory_key_padding_mask)
print(out.shape, out[:, 0, :4])
out[:, :, 0].sum().backward()  # (out.sum() is constant: the last op is a LayerNorm)
print(emb.weight.grad[0].abs().sum().item(), emb.weight.grad[1, :4])
transformer = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                             dim_feedforward=32, dropout=0.0)
print(transformer(torch.randn(6, 2, 16), torch.randn(4, 2, 16), tgt_mask=tgt_mask).shape)

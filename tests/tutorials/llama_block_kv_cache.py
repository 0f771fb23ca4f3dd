"""A Llama-style decoder block written the way "build Llama from scratch" posts write it:
RMSNorm by hand checked against nn.RMSNorm, rotary position embeddings with the
rotate_half trick (cos/sin tables from torch.outer and registered as buffers), grouped-query
attention (repeat_interleave of the key/value heads), F.scaled_dot_product_attention with
is_causal against attention written out with masked_fill, a SwiGLU feed-forward, a few AdamW
steps on a copy task, then incremental decoding with a key/value cache that must reproduce
the full forward pass, and greedy / temperature / top-p sampling."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(7)
torch.set_printoptions(precision=4)


class RMSNormByHand(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


x = torch.randn(2, 3, 8)
mine, ref = RMSNormByHand(8), nn.RMSNorm(8, eps=1e-6)
print(ref)
print("rmsnorm max diff", (mine(x) - ref(x)).abs().max().item() < 1e-6)
print(ref(x)[0, 0])
print("rms after norm", ref(x).pow(2).mean(-1)[0])


def rope_tables(head_dim, max_len, base=10000.0):
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    t = torch.arange(max_len).float()
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(q, k, cos, sin):
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin


cos, sin = rope_tables(8, 6)
print("cos table", cos.shape, cos[1])
print("sin table", sin[5])
q = torch.randn(1, 1, 6, 8)
k = torch.randn(1, 1, 6, 8)
qr, kr = apply_rope(q, k, cos, sin)
print("norms kept", torch.allclose(qr.norm(dim=-1), q.norm(dim=-1), atol=1e-5))
# relative position property: <R_m q, R_n k> depends only on m - n
q0 = q[0, 0, 0].expand(6, 8).reshape(1, 1, 6, 8)
k0 = k[0, 0, 0].expand(6, 8).reshape(1, 1, 6, 8)
a, b = apply_rope(q0, k0, cos, sin)
s1 = (a[0, 0, 3] * b[0, 0, 1]).sum()
s2 = (a[0, 0, 5] * b[0, 0, 3]).sum()
print("relative", round(s1.item(), 4), round(s2.item(), 4))


class Attention(nn.Module):
    def __init__(self, dim, n_heads, n_kv_heads, max_len):
        super().__init__()
        self.n_heads, self.n_kv_heads = n_heads, n_kv_heads
        self.head_dim = dim // n_heads
        self.wq = nn.Linear(dim, n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wv = nn.Linear(dim, n_kv_heads * self.head_dim, bias=False)
        self.wo = nn.Linear(n_heads * self.head_dim, dim, bias=False)
        cos, sin = rope_tables(self.head_dim, max_len)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x, start=0, cache=None, use_sdpa=True):
        b, t, _ = x.shape
        q = self.wq(x).view(b, t, self.n_heads, self.head_dim).transpose(1, 2)
        k = self.wk(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        v = self.wv(x).view(b, t, self.n_kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rope(q, k, self.cos[start:start + t], self.sin[start:start + t])
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        rep = self.n_heads // self.n_kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        if use_sdpa:
            # prefill (t == s) needs the causal mask; a single new token sees the whole cache
            out = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1 and t == k.shape[2])
        else:
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
            s = k.shape[2]
            mask = torch.ones(t, s, dtype=torch.bool).tril(diagonal=s - t)
            scores = scores.masked_fill(~mask, float("-inf"))
            out = scores.softmax(-1) @ v
        return self.wo(out.transpose(1, 2).reshape(b, t, -1))


class SwiGLU(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, dim=16, n_heads=4, n_kv_heads=2, max_len=16):
        super().__init__()
        self.attn_norm = nn.RMSNorm(dim, eps=1e-6)
        self.attn = Attention(dim, n_heads, n_kv_heads, max_len)
        self.ffn_norm = nn.RMSNorm(dim, eps=1e-6)
        self.ffn = SwiGLU(dim, 32)

    def forward(self, x, start=0, cache=None, use_sdpa=True):
        h = x + self.attn(self.attn_norm(x), start, cache, use_sdpa)
        return h + self.ffn(self.ffn_norm(h))


class TinyLlama(nn.Module):
    def __init__(self, vocab=10, dim=16, n_layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Block(dim) for _ in range(n_layers))
        self.norm = nn.RMSNorm(dim, eps=1e-6)
        self.out = nn.Linear(dim, vocab, bias=False)

    def forward(self, idx, start=0, caches=None, use_sdpa=True):
        h = self.embed(idx)
        for i, layer in enumerate(self.layers):
            h = layer(h, start, None if caches is None else caches[i], use_sdpa)
        return self.out(self.norm(h))


model = TinyLlama()
print(model)
print("params", sum(p.numel() for p in model.parameters()))
print("buffers in state_dict", [k for k in model.state_dict() if "cos" in k or "sin" in k])
print("named buffers", [n for n, _ in model.named_buffers()][:2])

idx = torch.randint(0, 10, (2, 7))
a = model(idx)
b = model(idx, use_sdpa=False)
print("sdpa vs manual", a.shape, torch.allclose(a, b, atol=1e-5))
print(a[0, -1])

# causality: changing a later token does not change earlier logits
idx2 = idx.clone()
idx2[:, 5] = (idx2[:, 5] + 1) % 10
c = model(idx2)
print("causal", torch.allclose(a[:, :5], c[:, :5], atol=1e-6), torch.allclose(a[:, 5:], c[:, 5:]))

# a copy task: the second half repeats the first half
opt = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
for step in range(30):
    first = torch.randint(1, 10, (16, 4))
    seq = torch.cat([torch.zeros(16, 1, dtype=torch.long), first, first], dim=1)
    logits = model(seq[:, :-1])
    loss = F.cross_entropy(logits[:, 4:].reshape(-1, 10), seq[:, 5:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if step % 5 == 0 or step == 29:
        print(f"step {step:2d} loss {loss.item():.4f} grad norm {gn.item():.4f}")

model.eval()
with torch.no_grad():
    prompt = torch.tensor([[0, 3, 1, 4, 1]])
    full = model(prompt)
    caches = [{} for _ in model.layers]
    step_logits = [model(prompt[:, :3], 0, caches)]
    for pos in range(3, 5):
        step_logits.append(model(prompt[:, pos:pos + 1], pos, caches))
    inc = torch.cat(step_logits, dim=1)
    print("kv cache matches", torch.allclose(full, inc, atol=1e-5))
    print("cache shapes", [tuple(c["k"].shape) for c in caches])
    print(inc[0, -1])

    # greedy generation with the cache
    caches = [{} for _ in model.layers]
    logits = model(prompt, 0, caches)
    out = prompt.tolist()[0]
    for pos in range(5, 9):
        nxt = logits[:, -1].argmax(-1, keepdim=True)
        out.append(nxt.item())
        logits = model(nxt, pos, caches)
    print("greedy", out)

    # temperature and top-p (nucleus) filtering
    probs = F.softmax(full[0, -1] / 0.7, dim=-1)
    sorted_p, sorted_i = probs.sort(descending=True)
    cum = sorted_p.cumsum(-1)
    keep = cum - sorted_p < 0.9
    print("sorted probs", sorted_p)
    print("kept", keep.sum().item(), sorted_i[keep].tolist())
    filtered = torch.zeros_like(probs).scatter(0, sorted_i[keep], sorted_p[keep])
    filtered = filtered / filtered.sum()
    g = torch.Generator().manual_seed(0)
    print("samples", torch.multinomial(filtered, 8, replacement=True, generator=g).tolist())

"""MADE (masked autoencoder for distribution estimation) as in Karpathy's pytorch-made:
a MaskedLinear subclass of nn.Linear whose mask is a registered buffer, masks built from
per-unit connectivity degrees (torch.randint, broadcast comparisons), order-agnostic
training over several input orderings (torch.randperm), the exact negative
log-likelihood with binary_cross_entropy_with_logits, a check that the Jacobian of the
outputs with respect to the inputs is strictly triangular in the chosen order
(torch.autograd.functional.jacobian), ancestral sampling one bit at a time, and
state_dict round trips that carry the masks."""

import io

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)

D = 8
# Binary data from a hidden Markov chain: each bit copies its left neighbour with p=0.85.
first = torch.bernoulli(torch.full((600, 1), 0.5))
copies = torch.bernoulli(torch.full((600, D - 1), 0.85))
bits = [first]
for i in range(D - 1):
    prev = bits[-1]
    bits.append(torch.where(copies[:, i:i + 1].bool(), prev, 1 - prev))
data = torch.cat(bits, dim=1)
train, test = data[:500], data[500:]
print("data", tuple(data.shape), "bit means", data.mean(0))


class MaskedLinear(nn.Linear):
    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.register_buffer("mask", torch.ones(out_features, in_features))

    def set_mask(self, mask):
        self.mask.data.copy_(mask.to(self.mask.dtype).T)

    def forward(self, input):
        return F.linear(input, self.mask * self.weight, self.bias)


class MADE(nn.Module):
    def __init__(self, nin, hidden_sizes, num_masks=1):
        super().__init__()
        self.nin = nin
        sizes = [nin] + hidden_sizes + [nin]
        layers = []
        for h0, h1 in zip(sizes, sizes[1:]):
            layers.extend([MaskedLinear(h0, h1), nn.ReLU()])
        self.net = nn.Sequential(*layers[:-1])
        self.hidden_sizes = hidden_sizes
        self.num_masks = num_masks
        self.seed = 0
        self.m = {}
        self.update_masks()

    def update_masks(self):
        L = len(self.hidden_sizes)
        g = torch.Generator().manual_seed(self.seed)
        self.seed = (self.seed + 1) % self.num_masks
        self.m[-1] = torch.randperm(self.nin, generator=g) if self.num_masks > 1 \
            else torch.arange(self.nin)
        for layer in range(L):
            low = int(self.m[layer - 1].min())
            self.m[layer] = torch.randint(low, self.nin - 1, (self.hidden_sizes[layer],),
                                          generator=g)
        masks = [self.m[layer - 1][:, None] <= self.m[layer][None, :] for layer in range(L)]
        masks.append(self.m[L - 1][:, None] < self.m[-1][None, :])
        for layer, mask in zip([m for m in self.net if isinstance(m, MaskedLinear)], masks):
            layer.set_mask(mask)

    def forward(self, x):
        return self.net(x)


def nll(model, x, resamples=1):
    logits = torch.zeros_like(x)
    for _ in range(resamples):
        model.update_masks()
        logits = logits + model(x)
    logits = logits / resamples
    return F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]


model = MADE(D, [32, 32], num_masks=4)
print(model)
print("buffers", [(n, tuple(b.shape), b.dtype) for n, b in model.named_buffers()])
print("connectivity first layer", model.net[0].mask.sum().item(),
      "last layer", model.net[-1].mask.sum().item())

x0 = test[:1].clone()
model.update_masks()
order = model.m[-1].argsort()
print("ordering", order.tolist())
jac = torch.autograd.functional.jacobian(lambda v: model(v).squeeze(0), x0).squeeze(1)
permuted = jac[order][:, order]
print("jacobian strictly lower triangular in that order:",
      bool((permuted.triu() == 0).all()), "nonzeros", int((permuted != 0).sum()))

opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-4)
for epoch in range(20):
    perm = torch.randperm(500)
    for i in range(0, 500, 50):
        loss = nll(model, train[perm[i:i + 50]])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if epoch % 5 == 4:
        with torch.no_grad():
            print(f"epoch {epoch + 1} train nll {loss.item():.4f} "
                  f"test nll (1 mask) {nll(model, test).item():.4f} "
                  f"(4-mask ensemble) {nll(model, test, resamples=4).item():.4f}")

# The true entropy of the chain: H(first) + 7 H(0.85) in nats.
h = -(0.85 * torch.log(torch.tensor(0.85)) + 0.15 * torch.log(torch.tensor(0.15)))
print(f"true entropy {torch.log(torch.tensor(2.0)).item() + 7 * h.item():.4f}")

with torch.no_grad():
    model.seed = 0
    model.update_masks()
    order = model.m[-1].argsort()
    g = torch.Generator().manual_seed(7)
    samples = torch.zeros(6, D)
    for i in order.tolist():
        p = torch.sigmoid(model(samples))[:, i]
        samples[:, i] = torch.bernoulli(p, generator=g)
    print("ordering", order.tolist())
    print("samples\n", samples.int())
    agree = (samples[:, 1:] == samples[:, :-1]).float().mean()
    in_data = (data[:, 1:] == data[:, :-1]).float().mean()
    print(f"neighbour agreement {agree.item():.4f} (data {in_data.item():.4f})")

buffer = io.BytesIO()
torch.save(model.state_dict(), buffer)
buffer.seek(0)
state = torch.load(buffer)
print("state_dict keys", list(state.keys()))
clone = MADE(D, [32, 32], num_masks=4)
print(clone.load_state_dict(state))
with torch.no_grad():
    print("same logits after load:", torch.equal(clone(test[:5]), model(test[:5])))

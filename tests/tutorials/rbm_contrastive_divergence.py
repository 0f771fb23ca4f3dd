"""A restricted Boltzmann machine trained by contrastive divergence, the way the classic
tutorials write it: binary visible and hidden units, Gibbs sampling with torch.bernoulli,
CD-k and persistent CD (a chain kept between updates), the free energy with F.softplus,
the gradient taken by autograd of free_energy(v_data) - free_energy(v_model) and applied
by an SGD optimizer with momentum; reconstruction error, pseudo-likelihood by flipping one
bit, and samples drawn from a long Gibbs chain."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)

# Data: noisy copies of four 4x4 binary prototypes (bars and a checkerboard).
prototypes = torch.zeros(4, 4, 4)
prototypes[0, :, 1] = 1
prototypes[1, 2, :] = 1
prototypes[2] = torch.eye(4)
prototypes[3] = (torch.arange(4)[:, None] + torch.arange(4)[None, :]) % 2
prototypes = prototypes.reshape(4, 16)
which = torch.randint(0, 4, (256,))
flips = torch.rand(256, 16) < 0.05
data = torch.where(flips, 1 - prototypes[which], prototypes[which])
print("data", tuple(data.shape), data.dtype, "mean", round(data.mean().item(), 4))
print(data[:2].reshape(2, 4, 4).int())


class RBM(nn.Module):
    def __init__(self, n_visible=16, n_hidden=8, k=1):
        super().__init__()
        self.W = nn.Parameter(torch.randn(n_hidden, n_visible) * 0.01)
        self.v_bias = nn.Parameter(torch.zeros(n_visible))
        self.h_bias = nn.Parameter(torch.zeros(n_hidden))
        self.k = k

    def extra_repr(self):
        return f"n_visible={self.W.shape[1]}, n_hidden={self.W.shape[0]}, k={self.k}"

    def sample_h(self, v):
        p = torch.sigmoid(F.linear(v, self.W, self.h_bias))
        return p, torch.bernoulli(p)

    def sample_v(self, h):
        p = torch.sigmoid(F.linear(h, self.W.t(), self.v_bias))
        return p, torch.bernoulli(p)

    def gibbs(self, v, steps):
        for _ in range(steps):
            _, h = self.sample_h(v)
            _, v = self.sample_v(h)
        return v

    def free_energy(self, v):
        vbias_term = v.mv(self.v_bias)
        hidden_term = F.softplus(F.linear(v, self.W, self.h_bias)).sum(dim=1)
        return -hidden_term - vbias_term

    def forward(self, v):
        return self.gibbs(v, self.k)


def pseudo_likelihood(rbm, v, index):
    """log P(v_i | v_-i) summed over visible units, estimated by flipping bit index."""
    flipped = v.clone()
    flipped[:, index] = 1 - flipped[:, index]
    fe, fe_flip = rbm.free_energy(v), rbm.free_energy(flipped)
    return 16 * F.logsigmoid(fe_flip - fe).mean()


for name, persistent in [("CD-1", False), ("PCD-1", True)]:
    torch.manual_seed(1)
    rbm = RBM()
    print(name, rbm)
    opt = torch.optim.SGD(rbm.parameters(), lr=0.1, momentum=0.5)
    chain = torch.bernoulli(torch.full((32, 16), 0.5))
    for epoch in range(15):
        perm = torch.randperm(256)
        total_err, total_pl = 0.0, 0.0
        for i in range(0, 256, 32):
            v0 = data[perm[i:i + 32]]
            with torch.no_grad():
                if persistent:
                    chain = rbm.gibbs(chain, 1)
                    vk = chain
                else:
                    vk = rbm(v0)
            loss = rbm.free_energy(v0).mean() - rbm.free_energy(vk).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                recon, _ = rbm.sample_v(rbm.sample_h(v0)[0])
                total_err += F.binary_cross_entropy(recon, v0, reduction="sum").item() / 32
                total_pl += pseudo_likelihood(rbm, v0, epoch % 16).item()
        if epoch % 5 == 4:
            print(f"{name} epoch {epoch + 1:2d} recon {total_err / 8:.4f} "
                  f"pseudo-ll {total_pl / 8:.4f} cd-loss {loss.item():.4f}")
    print("grad_fn", loss.grad_fn.name(), "W grad norm", f"{rbm.W.grad.norm():.4f}")
    with torch.no_grad():
        fe = rbm.free_energy(prototypes)
        print("free energy of prototypes", [f"{x:.3f}" for x in fe.tolist()])
        samples = rbm.gibbs(torch.bernoulli(torch.full((4, 16), 0.5)), 200)
        print(samples.reshape(4, 4, 4).int())
        ph, _ = rbm.sample_h(prototypes)
        print("hidden probabilities", ph.round(decimals=3))

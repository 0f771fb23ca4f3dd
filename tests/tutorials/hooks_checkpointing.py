"""Looking inside a network while it trains: forward pre-hooks and forward hooks that record
activation statistics (and one that edits the output), full backward hooks and backward
pre-hooks that see grad_output / grad_input, Tensor.register_hook on an intermediate (to read
and to scale its gradient), retain_grad, hook handles removed, per-layer gradient norms and
clip_grad_norm_ / clip_grad_value_, dead-ReLU counting; then activation checkpointing with
torch.utils.checkpoint (checkpoint and checkpoint_sequential, use_reentrant=False) giving the
same gradients as the plain forward, including with dropout and a preserved RNG state."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

torch.manual_seed(0)
torch.set_printoptions(precision=4)

net = nn.Sequential(
    nn.Linear(8, 16),
    nn.ReLU(),
    nn.Linear(16, 16),
    nn.Tanh(),
    nn.Linear(16, 16),
    nn.ReLU(),
    nn.Linear(16, 3),
)
x = torch.randn(10, 8)
target = torch.randint(0, 3, (10,))

# -- forward hooks ---------------------------------------------------------------------------------
acts = {}
calls = []


def save_stats(name):
    def hook(module, inputs, output):
        acts[name] = output.detach()
        calls.append(f"fwd {name} in {tuple(inputs[0].shape)} out {tuple(output.shape)}")

    return hook


def pre(module, inputs):
    calls.append(f"pre {type(module).__name__} {inputs[0].shape[1]}")


handles = [
    m.register_forward_hook(save_stats(f"{i}:{type(m).__name__}")) for i, m in enumerate(net)
]
handles.append(net[0].register_forward_pre_hook(pre))
out = net(x)
print("\n".join(calls))
for name, a in acts.items():
    print(
        f"{name:10s} mean {a.mean().item():+.4f} std {a.std().item():.4f} "
        f"zeros {(a == 0).float().mean().item():.3f}"
    )
dead = (acts["1:ReLU"] == 0).all(dim=0)
print("dead units after first ReLU", dead.nonzero().flatten())
for h in handles:
    h.remove()
calls.clear()
net(x)
print("after remove, calls", calls, "hooks left", len(net[0]._forward_hooks))

# a forward hook may replace the output; a pre-hook may replace the input
h = net[6].register_forward_hook(lambda m, i, o: o * 0)
print("zeroed logits", net(x)[:2])
h.remove()
h = net[0].register_forward_pre_hook(lambda m, i: (i[0] * 2,))
print("doubled input logits", net(x)[:2])
h.remove()
h = net[1].register_forward_hook(
    lambda m, args, kwargs, o: o + kwargs.get("shift", 0), with_kwargs=True
)
print("with_kwargs hook", net[1](torch.tensor([[-1.0, 2.0]])))
h.remove()

# -- backward hooks --------------------------------------------------------------------------------
grads = []


def bwd(name):
    def hook(module, grad_input, grad_output):
        gi = grad_input[0]
        grads.append(
            f"bwd {name}: grad_out {grad_output[0].norm().item():.4f} "
            f"grad_in {'None' if gi is None else format(gi.norm().item(), '.4f')}"
        )

    return hook


def bwd_pre(module, grad_output):
    grads.append(f"bwd-pre {type(module).__name__} {tuple(grad_output[0].shape)}")


hs = [m.register_full_backward_hook(bwd(f"{i}:{type(m).__name__}")) for i, m in enumerate(net)]
hs.append(net[6].register_full_backward_pre_hook(bwd_pre))
loss = F.cross_entropy(net(x), target)
loss.backward()
print("\n".join(grads))
for h in hs:
    h.remove()
# a backward hook may replace grad_input: halve what flows out of the last ReLU
net.zero_grad()
h = net[5].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
F.cross_entropy(net(x), target).backward()
halved = net[0].weight.grad.clone()
h.remove()
net.zero_grad()
F.cross_entropy(net(x), target).backward()
print("halving upstream halves first-layer grad", torch.allclose(halved, net[0].weight.grad * 0.5))

# -- tensor hooks and retain_grad ------------------------------------------------------------------
seen = {}
h1 = net[0](x)
h1.retain_grad()
r = F.relu(h1)
handle = r.register_hook(lambda g: seen.setdefault("relu_out", g.clone()))
r.register_hook(lambda g: g * 10)  # scale: runs after the first, its result is what flows on
y_ = net[2:](r)
F.cross_entropy(y_, target).backward()
print("hooked grad norm", seen["relu_out"].norm().item() > 0, tuple(seen["relu_out"].shape))
print("h1.grad = 10 * relu'(h1) * seen", torch.allclose(h1.grad, 10 * (h1 > 0) * seen["relu_out"]))
handle.remove()
print("is_leaf", h1.is_leaf, "requires_grad", h1.requires_grad, "grad_fn", h1.grad_fn.name())
leaf = torch.ones(3, requires_grad=True)
leaf.register_hook(lambda g: print("leaf hook sees", g))
(leaf * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
print("leaf grad", leaf.grad)
post = []
leaf.register_post_accumulate_grad_hook(lambda p: post.append(p.grad.sum().item()))
(leaf * 2).sum().backward()
print("post-accumulate saw", post, leaf.grad)

# -- gradient norms and clipping -------------------------------------------------------------------
net.zero_grad()
F.cross_entropy(net(x) * 20, target).backward()
norms = {n: p.grad.norm().item() for n, p in net.named_parameters()}
for n, v in norms.items():
    print(f"grad norm {n:9s} {v:.4f}")
total = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in net.parameters()]))
clipped = nn.utils.clip_grad_norm_(net.parameters(), max_norm=1.0)
print(
    f"total {total.item():.4f} returned {clipped.item():.4f} after clip "
    f"{torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in net.parameters()])).item():.4f}"
)
print("inf-norm clip", nn.utils.clip_grad_norm_(net.parameters(), 0.05, norm_type="inf"))
nn.utils.clip_grad_value_(net.parameters(), 0.01)
print("max |grad| after clip_grad_value_", max(p.grad.abs().max().item() for p in net.parameters()))
print("get_total_norm", nn.utils.get_total_norm([p.grad for p in net.parameters()]))


# -- activation checkpointing ----------------------------------------------------------------------
class Deep(nn.Module):
    def __init__(self, use_ckpt):
        super().__init__()
        self.use_ckpt = use_ckpt
        self.blocks = nn.ModuleList(
            [nn.Sequential(nn.Linear(16, 16), nn.SiLU(), nn.Dropout(0.2)) for _ in range(4)]
        )
        self.out = nn.Linear(16, 1)

    def forward(self, h):
        for blk in self.blocks:
            h = checkpoint(blk, h, use_reentrant=False) if self.use_ckpt else blk(h)
        return self.out(h)


torch.manual_seed(1)
plain = Deep(False)
ckpt = Deep(True)
ckpt.load_state_dict(plain.state_dict())
inp = torch.randn(6, 16)
input_grads = []
for model in (plain, ckpt):
    leaf = inp.clone().requires_grad_()
    torch.manual_seed(5)  # same dropout masks: checkpoint replays the RNG state on recompute
    model(leaf).pow(2).mean().backward()
    input_grads.append(leaf.grad)
print("input grads equal", torch.equal(*input_grads))
g_plain = [p.grad for p in plain.parameters()]
g_ckpt = [p.grad for p in ckpt.parameters()]
print("param grads equal", all(torch.equal(a, b) for a, b in zip(g_plain, g_ckpt)))
print("block0 weight grad\n", g_ckpt[0][:2, :6])

seq = nn.Sequential(*[nn.Sequential(nn.Linear(16, 16), nn.Tanh()) for _ in range(6)])
z = torch.randn(4, 16, requires_grad=True)
ref = seq(z).sum()
(gz_ref,) = torch.autograd.grad(ref, z)
outs = checkpoint_sequential(seq, 3, z, use_reentrant=False)
(gz,) = torch.autograd.grad(outs.sum(), z)
print(
    "checkpoint_sequential same output",
    torch.equal(outs.sum(), ref),
    "same grad",
    torch.equal(gz, gz_ref),
)
print("output grad_fn", outs.grad_fn.name())


def two_outputs(a, b):
    return a * b, (a + b).sin()


a = torch.randn(3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
p, q = checkpoint(two_outputs, a, b, use_reentrant=False)
(p.sum() + q.sum()).backward()
print("multi-output grads", a.grad, b.grad)
print("expected", b.detach() + (a + b).detach().cos(), a.detach() + (a + b).detach().cos())

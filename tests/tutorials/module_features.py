"""nn.Module features in the style of the 'Modules' note of the PyTorch docs and the
'What is torch.nn really?' follow-ups: a nested model's repr, named_modules /
named_children / named_parameters, apply(init_fn), register_buffer (persistent or not),
forward pre-hooks and hooks (with kwargs), full backward hooks, tensor hooks,
state_dict hooks, ModuleList / ModuleDict / ParameterList / ParameterDict, extra_repr,
requires_grad_, zero_grad, to(dtype), get_submodule, train/eval flags; then the
learning-rate schedulers with warm restarts and warm-up (CosineAnnealingWarmRestarts,
OneCycleLR, CyclicLR, LinearLR + SequentialLR, LambdaLR, ReduceLROnPlateau, chained
schedulers)."""

# ruff: noqa: B023  (hooks capture the loop's names, as written in the docs)

from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_features, out_features))
        self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, input):
        return (input @ self.weight) + self.bias

    def extra_repr(self):
        return f"in={self.weight.shape[0]}, out={self.weight.shape[1]}"


m = MyLinear(4, 3)
sample_input = torch.randn(4)
print(m(sample_input))
for parameter in m.named_parameters():
    print(parameter)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.l0 = MyLinear(4, 3)
        self.l1 = MyLinear(3, 1)
        self.block = nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(1, 2, 3)),
            ("act", nn.ReLU()),
            ("pool", nn.AdaptiveMaxPool2d(1)),
        ]))
        self.heads = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
        self.choices = nn.ModuleDict({"conv": nn.Conv2d(1, 1, 1), "pool": nn.MaxPool2d(2)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(2)) for _ in range(2)])
        self.extra = nn.ParameterDict({"alpha": nn.Parameter(torch.tensor(0.5))})
        self.register_buffer("running_mean", torch.zeros(3))
        self.register_buffer("scratch", torch.ones(1), persistent=False)

    def forward(self, x, image):
        x = self.l0(x)
        x = F.relu(x)
        x = self.l1(x)
        feat = self.block(image).flatten(1)
        for head, scale in zip(self.heads, self.scales):
            feat = head(feat) * scale
        return x * self.extra["alpha"] + feat.sum()


net = Net()
print(net)
for name, module in net.named_children():
    print(name, type(module).__name__)
print([name for name, _ in net.named_modules()])
print([(name, tuple(p.shape)) for name, p in net.named_parameters()])
print([name for name, _ in net.named_buffers()], list(net.state_dict().keys())[-3:])
print(net.get_submodule("block.conv"), net.get_parameter("l1.bias").shape)
print(len(list(net.modules())), len(list(net.parameters())), len(net.heads), net.choices["pool"])
print(net(torch.randn(4), torch.randn(1, 1, 5, 5)))


# -- apply(init_fn) ------------------------------------------------------------------------------
@torch.no_grad()
def init_weights(m):
    if isinstance(m, nn.Linear):
        m.weight.fill_(1.0)
        m.bias.zero_()
        print("initialised", m)
    elif isinstance(m, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


net.apply(init_weights)
print(net.heads[0].weight, net.block.conv.weight[0, 0])

# -- hooks ----------------------------------------------------------------------------------------
seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
activations = {}


def save_activation(name):
    def hook(module, args, output):
        activations[name] = output.detach()
    return hook


handles = [layer.register_forward_hook(save_activation(str(i))) for i, layer in enumerate(seq)]


def pre_hook(module, args):
    print("pre-hook sees", args[0].shape)
    return (args[0] * 2,)


pre = seq[0].register_forward_pre_hook(pre_hook)
out = seq(torch.ones(2, 3))
print(sorted(activations), activations["1"], out)
pre.remove()
print(torch.equal(seq(torch.ones(2, 3)) * 1, seq(torch.ones(2, 3))),
      torch.equal(seq(torch.ones(2, 3)), out))
for h in handles:
    h.remove()


def kwargs_hook(module, args, kwargs, output):
    print("kwargs hook", sorted(kwargs), output.shape)


class Scaled(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


sc = Scaled()
sc.register_forward_hook(kwargs_hook, with_kwargs=True)
print(sc(torch.ones(2), scale=3.0))

grads = []


def backward_hook(module, grad_input, grad_output):
    grads.append((type(module).__name__, [None if g is None else tuple(g.shape)
                                          for g in grad_input],
                  [tuple(g.shape) for g in grad_output]))


for layer in seq:
    layer.register_full_backward_hook(backward_hook)
x = torch.randn(5, 3, requires_grad=True)
seq(x).sum().backward()
print(grads)


def backward_pre_hook(module, grad_output):
    return (grad_output[0] * 10,)


seq2 = nn.Linear(2, 1)
seq2.register_full_backward_pre_hook(backward_pre_hook)
inp = torch.ones(1, 2)
seq2(inp).sum().backward()
print(seq2.weight.grad, seq2.bias.grad)

v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)  # double the gradient
v.backward(torch.tensor([1., 2., 3.]))
print(v.grad)
h.remove()
y = v * 3
y.retain_grad()
y.register_hook(lambda g: print("y's grad", g))
y.sum().backward()
print(y.grad, v.grad)


def state_dict_hook(module, state_dict, prefix, local_metadata):
    state_dict[prefix + "note"] = torch.tensor(42)


lin = nn.Linear(2, 2)
lin._register_state_dict_hook(state_dict_hook)
print(sorted(lin.state_dict()))

# -- flags, dtype, zero_grad -------------------------------------------------------------------
net.eval()
print(net.training, net.block.act.training, net.train().heads[1].training)
net.requires_grad_(False)
print(any(p.requires_grad for p in net.parameters()))
net.l1.requires_grad_()
print([n for n, p in net.named_parameters() if p.requires_grad])
double_net = nn.Linear(2, 2).to(torch.float64)
print(double_net.weight.dtype, double_net(torch.ones(1, 2, dtype=torch.float64)).dtype)
seq(torch.ones(1, 3)).sum().backward()
seq.zero_grad(set_to_none=False)
print(seq[0].weight.grad)
seq.zero_grad()
print(seq[0].weight.grad)
print(nn.Linear(2, 2).half().weight.dtype, nn.Linear(2, 2).double().bias.dtype)


# -- learning-rate schedulers with restarts and warm-up -------------------------------------------
def lrs(scheduler, steps, *, metric=None):
    values = []
    for step in range(steps):
        values.append(round(scheduler.optimizer.param_groups[0]["lr"], 6))
        scheduler.optimizer.step()
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric(step))
    return values


def make_opt(lr=0.1, **kw):
    return optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr, **kw)


print(lrs(optim.lr_scheduler.CosineAnnealingWarmRestarts(make_opt(), T_0=4, T_mult=2,
                                                          eta_min=0.001), 16))
opt = make_opt()
sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=5)
iters = 10
for epoch in range(2):
    for i in range(iters):
        sched.step(epoch + i / iters)
    print(epoch, round(opt.param_groups[0]["lr"], 6), sched.T_cur, sched.T_i)
print(lrs(optim.lr_scheduler.OneCycleLR(make_opt(momentum=0.9), max_lr=1.0, total_steps=12), 12))
print(lrs(optim.lr_scheduler.OneCycleLR(make_opt(momentum=0.9), max_lr=1.0, total_steps=10,
                                        anneal_strategy="linear", three_phase=True), 10))
print(lrs(optim.lr_scheduler.CyclicLR(make_opt(momentum=0.9), base_lr=0.01, max_lr=0.1,
                                      step_size_up=3), 14))
print(lrs(optim.lr_scheduler.CyclicLR(make_opt(momentum=0.9), base_lr=0.01, max_lr=0.1,
                                      step_size_up=2, mode="exp_range", gamma=0.9), 10))
opt = make_opt()
warmup = optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.8)
print(lrs(optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[3]), 10))
opt = make_opt()
print(lrs(optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch) ** 0.5), 6))
opt = make_opt()
s1 = optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=2)
s2 = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
print(lrs(optim.lr_scheduler.ChainedScheduler([s1, s2]), 6))
opt = make_opt()
plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1,
                                               threshold=0.01, cooldown=1)
print(lrs(plateau, 12, metric=lambda step: [5, 4, 4, 4, 4, 4, 3.99, 3, 3, 3, 3, 3][step]))
print(plateau.num_bad_epochs, plateau.best, plateau.get_last_lr())
opt = make_opt()
sched = optim.lr_scheduler.PolynomialLR(opt, total_iters=4, power=2.0)
print(lrs(sched, 6), sched.state_dict()["last_epoch"])

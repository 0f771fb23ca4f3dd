"""MAML on sine-wave regression (Finn et al. 2017), the classic meta-learning demo at a tiny
size: tasks are sines with random amplitude and phase, the inner loop adapts a copy of the
parameters with torch.autograd.grad(create_graph=True) and evaluates the adapted model via
torch.func.functional_call, the outer loop backpropagates through the inner steps
(second-order MAML) into an Adam meta-optimizer. Also first-order MAML (detached inner
gradients), the same inner step written with torch.func.grad, and fine-tuning curves of the
meta-learned initialisation against a randomly initialised network."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def sample_task(gen):
    amp = 0.1 + 4.9 * torch.rand((), generator=gen)
    phase = math.pi * torch.rand((), generator=gen)
    return amp, phase


def sample_points(amp, phase, k, gen):
    x = 10 * torch.rand(k, 1, generator=gen) - 5
    return x, amp * torch.sin(x + phase)


model = nn.Sequential(nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                      nn.Linear(32, 1))
print(model)
names = [n for n, _ in model.named_parameters()]
print(names)


def adapt(params, x, y, steps, inner_lr, first_order=False):
    for _ in range(steps):
        loss = F.mse_loss(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, list(params.values()),
                                    create_graph=not first_order)
        params = {n: p - inner_lr * g for (n, p), g in zip(params.items(), grads)}
    return params


def meta_train(first_order, meta_steps=60, tasks_per_batch=4, seed=1):
    torch.manual_seed(seed)
    for layer in model:
        if isinstance(layer, nn.Linear):
            layer.reset_parameters()
    meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for step in range(meta_steps):
        meta_opt.zero_grad()
        total = 0.0
        for _ in range(tasks_per_batch):
            amp, phase = sample_task(gen)
            xs, ys = sample_points(amp, phase, 10, gen)
            xq, yq = sample_points(amp, phase, 10, gen)
            fast = adapt(dict(model.named_parameters()), xs, ys, steps=1, inner_lr=0.01,
                         first_order=first_order)
            query_loss = F.mse_loss(functional_call(model, fast, (xq,)), yq)
            (query_loss / tasks_per_batch).backward()
            total += query_loss.item()
        meta_opt.step()
        if step % 15 == 0:
            gnorm = torch.cat([p.grad.reshape(-1) for p in model.parameters()]).norm()
            print(f"{'fo' if first_order else 'so'}-maml step {step:2d} "
                  f"query loss {total / tasks_per_batch:.6f} meta-grad norm {gnorm.item():.6f}")
    return {n: p.detach().clone() for n, p in model.named_parameters()}


second_order = meta_train(first_order=False)
first_order = meta_train(first_order=True)
diff = sum((second_order[n] - first_order[n]).norm() ** 2 for n in names).sqrt()
print(f"second- vs first-order parameters differ by {diff.item():.6f}")

# the second-order term: the query gradient wrt the initial weights, both ways
gen = torch.Generator().manual_seed(99)
amp, phase = sample_task(gen)
xs, ys = sample_points(amp, phase, 10, gen)
xq, yq = sample_points(amp, phase, 10, gen)
params = {n: p.clone().requires_grad_(True) for n, p in second_order.items()}
for fo in (False, True):
    fast = adapt(params, xs, ys, steps=2, inner_lr=0.01, first_order=fo)
    q = F.mse_loss(functional_call(model, fast, (xq,)), yq)
    g = torch.autograd.grad(q, params["0.weight"])[0]
    print("first order" if fo else "second order", f"{q.item():.8f}", g[:3].T)

# the inner step with torch.func.grad


def support_loss(p, x, y):
    return F.mse_loss(functional_call(model, p, (x,)), y)


g_func = grad(support_loss)(second_order, xs, ys)
g_auto = torch.autograd.grad(support_loss(params, xs, ys), list(params.values()))
print(all(torch.allclose(g_func[n], ga) for n, ga in zip(names, g_auto)))
print({n: tuple(t.shape) for n, t in g_func.items()})

# -- fine-tuning: meta-learned init vs random init -------------------------------------------
torch.manual_seed(7)
random_init = {n: p.detach().clone() for n, p in nn.Sequential(
    nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)
).named_parameters()}
for label, init in (("maml", second_order), ("random", random_init)):
    p = {n: t.clone() for n, t in init.items()}
    losses = []
    for _ in range(6):
        losses.append(F.mse_loss(functional_call(model, p, (xq,)), yq).item())
        p = {n: t.requires_grad_(True) for n, t in p.items()}
        p = {n: t.detach() for n, t in adapt(p, xs, ys, steps=1, inner_lr=0.01,
                                              first_order=True).items()}
    print(label, [round(v, 5) for v in losses])

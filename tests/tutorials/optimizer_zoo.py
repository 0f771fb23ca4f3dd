"""The less common optimizers of torch.optim side by side, as in the optimizer docs and
the "which optimizer" blog posts: Rprop, Adadelta, Adagrad (lr_decay,
initial_accumulator_value), Adamax, NAdam (momentum_decay, decoupled_weight_decay), RAdam
(with and without decoupled weight decay), ASGD (averaged iterates in its state) and
SGD with nesterov, on the Rosenbrock function in float64 and on a float32 logistic
regression; reprs, the state each optimizer keeps (names, shapes, step counters),
maximize=True, a closure-driven step, and a state_dict saved and reloaded mid-run that
continues exactly as the uninterrupted run."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)


def rosenbrock(xy):
    x, y = xy
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


makers = {
    "Rprop": lambda p: optim.Rprop(p, lr=0.01, etas=(0.4, 1.3), step_sizes=(1e-6, 0.5)),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.5, lr_decay=1e-3, initial_accumulator_value=0.1),
    "Adamax": lambda p: optim.Adamax(p, lr=0.05),
    "NAdam": lambda p: optim.NAdam(p, lr=0.05, momentum_decay=4e-3),
    "RAdam": lambda p: optim.RAdam(p, lr=0.01),
    "ASGD": lambda p: optim.ASGD(p, lr=5e-4, t0=50, lambd=1e-4),
    "SGD-nesterov": lambda p: optim.SGD(p, lr=5e-4, momentum=0.9, nesterov=True),
}

print("== Rosenbrock from (-1.5, 2.0), float64, 300 steps")
for name, make in makers.items():
    xy = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = make([xy])
    for _step in range(300):
        opt.zero_grad()
        loss = rosenbrock(xy)
        loss.backward()
        opt.step()
    state = opt.state[xy]
    summary = {k: (tuple(v.shape) if v.dim() else v.item()) if torch.is_tensor(v) else v
               for k, v in state.items()}
    print(f"{name:13s} loss {loss.item():.6f} xy {xy.detach().numpy().round(4)} state {summary}")

print(optim.NAdam([torch.zeros(1, requires_grad=True)], lr=0.01, weight_decay=0.1,
                  decoupled_weight_decay=True))
print(optim.Rprop([torch.zeros(1, requires_grad=True)]))

# Logistic regression in float32 with weight decay, each optimizer from the same start.
X = torch.randn(200, 5)
true_w = torch.tensor([1.5, -2.0, 0.0, 0.5, 1.0])
y = (X @ true_w + 0.3 * torch.randn(200) > 0).float()
base = nn.Linear(5, 1)

print("== logistic regression, float32, 60 full-batch steps")
for name, make in [("RAdam-decoupled", lambda p: optim.RAdam(p, lr=0.05, weight_decay=0.01,
                                                              decoupled_weight_decay=True)),
                   ("NAdam-wd", lambda p: optim.NAdam(p, lr=0.05, weight_decay=0.01)),
                   ("Adagrad", lambda p: optim.Adagrad(p, lr=0.3)),
                   ("Adadelta", lambda p: optim.Adadelta(p, lr=2.0, weight_decay=1e-3)),
                   ("Adamax", lambda p: optim.Adamax(p, lr=0.05, weight_decay=1e-3)),
                   ("Rprop", lambda p: optim.Rprop(p, lr=0.01))]:
    model = copy.deepcopy(base)
    opt = make(model.parameters())
    for _step in range(60):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
        loss.backward()
        opt.step()
    acc = ((model(X).squeeze(1) > 0).float() == y).float().mean()
    print(f"{name:16s} loss {loss.item():.4f} acc {acc.item():.3f} "
          f"w {model.weight.detach().squeeze().numpy().round(3)}")

# maximize=True climbs: maximise -(x - 3)^2.
x = torch.tensor([0.0], requires_grad=True)
opt = optim.Adamax([x], lr=0.2, maximize=True)
for _ in range(50):
    opt.zero_grad()
    (-(x - 3) ** 2).sum().backward()
    opt.step()
print("maximize Adamax x", f"{x.item():.4f}", "group keys", sorted(opt.param_groups[0]))

# A closure-driven step (the same interface LBFGS needs) with Rprop.
w = torch.tensor([2.0, -1.0], requires_grad=True)
opt = optim.Rprop([w], lr=0.1)
calls = []


def closure():
    opt.zero_grad()
    loss = (w ** 4).sum() + w.prod()
    loss.backward()
    calls.append(loss.item())
    return loss


for _ in range(25):
    returned = opt.step(closure)
print("closure calls", len(calls), "last loss", f"{returned.item():.5f}", "w", w.detach())

# ASGD: its state holds the running average of the iterates ("ax"), eta and mu.
torch.manual_seed(1)
model = nn.Linear(5, 1)
opt = optim.ASGD(model.parameters(), lr=0.1, t0=10)
for _step in range(40):
    opt.zero_grad()
    F.binary_cross_entropy_with_logits(model(X).squeeze(1), y).backward()
    opt.step()
st = opt.state[model.weight]
print("ASGD state keys", sorted(st), "step", st["step"].item(), "eta", f"{st['eta'].item():.5f}",
      "mu", f"{st['mu'].item():.5f}")
print("averaged weight", st["ax"].round(decimals=4))
print("current weight ", model.weight.detach().round(decimals=4))

# Resume NAdam from a state_dict halfway: the same trajectory as one long run.
def run(split):
    torch.manual_seed(2)
    m = nn.Linear(5, 1)
    o = optim.NAdam(m.parameters(), lr=0.05)
    for step in range(30):
        if step == split:
            saved_model, saved_opt = copy.deepcopy(m.state_dict()), copy.deepcopy(o.state_dict())
            m = nn.Linear(5, 1)
            m.load_state_dict(saved_model)
            o = optim.NAdam(m.parameters(), lr=0.05)
            o.load_state_dict(saved_opt)
        o.zero_grad()
        F.binary_cross_entropy_with_logits(m(X).squeeze(1), y).backward()
        o.step()
    return m, o


m1, o1 = run(split=-1)
m2, o2 = run(split=15)
print("resumed run identical:", torch.equal(m1.weight, m2.weight), torch.equal(m1.bias, m2.bias))
sd = o2.state_dict()
print("NAdam state_dict", list(sd), "state for params", list(sd["state"]),
      "keys", sorted(sd["state"][0]), "mu_product", f"{sd['state'][0]['mu_product'].item():.6e}")

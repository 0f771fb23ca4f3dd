"""Logistic regression fitted three ways on a synthetic two-class problem: torch.optim.LBFGS
(plain and with line_search_fn="strong_wolfe", a closure that adds an L2 penalty), SGD with
weight_decay, and Adam; then multinomial (softmax) regression with LBFGS on three classes.
Reports losses, weights, accuracies, the optimizer's state (n_iter, func_evals), calibration
via sigmoid/binary_cross_entropy_with_logits with pos_weight, and the Hessian at the optimum
from torch.autograd.functional.hessian (its eigenvalues give the curvature)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

# -- data ----------------------------------------------------------------------------------------
n = 200
X = torch.randn(n, 2)
w_true = torch.tensor([2.0, -3.0])
logits_true = X @ w_true + 0.5
y = torch.bernoulli(torch.sigmoid(logits_true))
print(X.shape, y.sum().item(), y[:10])


def nll(w, b, lam=0.0):
    z = X @ w + b
    return F.binary_cross_entropy_with_logits(z, y) + 0.5 * lam * w.pow(2).sum()


# -- LBFGS, no line search -------------------------------------------------------------------------
for line_search in (None, "strong_wolfe"):
    w = torch.zeros(2, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=50, history_size=10,
                            line_search_fn=line_search)
    evals = []

    def closure(opt=opt, w=w, b=b, evals=evals):
        opt.zero_grad()
        loss = nll(w, b, lam=0.01)
        loss.backward()
        evals.append(loss.item())
        return loss

    for outer in range(3):
        loss = opt.step(closure)
        print(f"{line_search} step {outer}: loss {loss.item():.10f} now {closure().item():.10f}")
    state = opt.state[opt._params[0]]
    print("  evals", len(evals), "n_iter", state["n_iter"], "func_evals", state["func_evals"])
    print("  w", w.data, "b", b.data)
    print("  first evals", [round(e, 8) for e in evals[:5]])
    print("  grad norm", f"{torch.cat([w.grad, b.grad]).norm().item():.3e}" if
          torch.cat([w.grad, b.grad]).norm().item() > 1e-6 else "< 1e-6")

w_opt, b_opt = w.detach().clone(), b.detach().clone()
acc = ((X @ w_opt + b_opt > 0).double() == y).double().mean()
print(f"accuracy {acc.item():.4f}")

# -- the same objective with SGD weight_decay and Adam ------------------------------------------
model = nn.Linear(2, 1)
nn.init.zeros_(model.weight)
nn.init.zeros_(model.bias)
opt = torch.optim.SGD([{"params": [model.weight], "weight_decay": 0.01},
                       {"params": [model.bias], "weight_decay": 0.0}], lr=0.5)
for epoch in range(400):
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
    loss.backward()
    opt.step()
    if epoch % 100 == 0:
        print(f"sgd epoch {epoch}: {loss.item():.10f}")
print("sgd w", model.weight.data, "b", model.bias.data)
print("distance to LBFGS", f"{(model.weight.data[0] - w_opt).norm().item():.6f}")

model = nn.Linear(2, 1)
opt = torch.optim.Adam(model.parameters(), lr=0.05)
for epoch in range(300):
    opt.zero_grad()
    loss = F.binary_cross_entropy_with_logits(model(X).squeeze(1), y)
    loss.backward()
    opt.step()
    if epoch % 100 == 0:
        print(f"adam epoch {epoch}: {loss.item():.10f}")
print("adam w", model.weight.data.round(decimals=4))

# -- curvature at the optimum ----------------------------------------------------------------------
params = torch.cat([w_opt, b_opt])


def flat_loss(p):
    return nll(p[:2], p[2:], lam=0.01)


H = torch.autograd.functional.hessian(flat_loss, params)
print("hessian", H)
print("eigenvalues", torch.linalg.eigvalsh(H))
cov = torch.linalg.inv(H * n)
print("std errors", cov.diagonal().sqrt())

# -- pos_weight and calibration ------------------------------------------------------------------
z = X @ w_opt + b_opt
for pw in (1.0, 3.0):
    loss = F.binary_cross_entropy_with_logits(z, y, pos_weight=torch.tensor(pw))
    print(f"pos_weight {pw}: {loss.item():.10f}")
p = torch.sigmoid(z)
bins = torch.bucketize(p, torch.tensor([0.2, 0.4, 0.6, 0.8]))
for k in range(5):
    m = bins == k
    print(f"bin {k}: n={m.sum().item():3d} mean p {p[m].mean().item():.4f} "
          f"frac pos {y[m].mean().item():.4f}")
print(F.binary_cross_entropy(p, y).item() - F.binary_cross_entropy_with_logits(z, y).item() < 1e-12)

# -- three-class softmax regression with LBFGS --------------------------------------------------
torch.manual_seed(1)
means = torch.tensor([[0., 2.], [2., -1.], [-2., -1.]])
Xc = torch.cat([m + torch.randn(30, 2) for m in means])
yc = torch.arange(3).repeat_interleave(30)
lin = nn.Linear(2, 3)
opt = torch.optim.LBFGS(lin.parameters(), lr=0.5, max_iter=20,
                        line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = F.cross_entropy(lin(Xc), yc) + 1e-3 * lin.weight.pow(2).sum()
    loss.backward()
    return loss


for i in range(4):
    loss = opt.step(closure)
    print(f"softmax step {i}: {loss.item():.10f}")
pred = lin(Xc).argmax(1)
print("accuracy", (pred == yc).double().mean().item())
print(torch.bincount(yc * 3 + pred, minlength=9).view(3, 3))
print(F.softmax(lin(means), dim=1))

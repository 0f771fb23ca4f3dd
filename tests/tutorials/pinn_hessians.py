"""A physics-informed neural network for u''(x) = -pi^2 sin(pi x) on [0, 1] with u(0) =
u(1) = 0 (solution sin(pi x)): the residual needs d2u/dx2, taken with
torch.autograd.grad(..., create_graph=True) twice, and the loss is trained through those
second derivatives with Adam. Then second-order tools on the trained net and on small
functions: autograd.functional.hessian / hvp / vhp / jacobian / jvp / vjp (create_graph and
vectorize variants), a Hessian-vector product by double backward checked against the full
Hessian, and Newton's method with the Hessian on the Rosenbrock function."""

import math

import torch
import torch.nn as nn
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


class PINN(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden),
                                 nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


def derivatives(model, x):
    x = x.requires_grad_(True)
    u = model(x)
    du = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    d2u = torch.autograd.grad(du, x, grad_outputs=torch.ones_like(du), create_graph=True)[0]
    return u, du, d2u


model = PINN()
x_col = torch.linspace(0, 1, 32).unsqueeze(1)
x_bc = torch.tensor([[0.0], [1.0]])
u, du, d2u = derivatives(model, x_col.clone())
print(u.shape, du.shape, d2u.shape)
print(d2u.grad_fn.name(), du[:3].T, d2u[:3].T)

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(401):
    opt.zero_grad()
    _, _, d2u = derivatives(model, x_col.clone())
    f = -math.pi ** 2 * torch.sin(math.pi * x_col)
    residual = (d2u - f).pow(2).mean()
    boundary = model(x_bc).pow(2).mean()
    loss = residual + 10 * boundary
    loss.backward()
    opt.step()
    if step % 80 == 0:
        print(f"step {step:3d} loss {loss.item():.6f} residual {residual.item():.6f} "
              f"boundary {boundary.item():.3e}")

x_test = torch.linspace(0, 1, 6).unsqueeze(1)
with torch.no_grad():
    pred = model(x_test)
exact = torch.sin(math.pi * x_test)
print(torch.cat([x_test, pred, exact], dim=1))
print(f"max error {(pred - exact).abs().max().item():.4f}")
u, du, d2u = derivatives(model, x_test.clone())
print("u' at 0 and 1:", du[[0, -1]].squeeze(1).detach(), "pi =", round(math.pi, 4))

# -- Hessian-vector products ---------------------------------------------------------------------
params = [p for p in model.parameters()]
n_params = sum(p.numel() for p in params)
print("parameters", n_params)


def loss_of_flat(flat):
    chunks, i = [], 0
    for p in params:
        chunks.append(flat[i:i + p.numel()].view_as(p))
        i += p.numel()
    w1, b1, w2, b2, w3, b3 = chunks
    h = torch.tanh(x_col @ w1.T + b1)
    h = torch.tanh(h @ w2.T + b2)
    return (h @ w3.T + b3 - torch.sin(math.pi * x_col)).pow(2).mean()


flat = torch.cat([p.detach().reshape(-1) for p in params])
v = torch.randn(n_params)
value, hv = hvp(loss_of_flat, flat, v)
print(f"loss {value.item():.8f}", hv.shape, hv[:4])
H = hessian(loss_of_flat, flat)
print(H.shape, torch.allclose(H, H.T), torch.allclose(H @ v, hv))
_, vh = vhp(loss_of_flat, flat, v)
print(torch.allclose(vh, hv))
eig = torch.linalg.eigvalsh(H)
print("top eigenvalues", eig[-3:], "negative ones", (eig < -1e-3).sum().item())

# the same product by double backward
flat_req = flat.clone().requires_grad_(True)
g = torch.autograd.grad(loss_of_flat(flat_req), flat_req, create_graph=True)[0]
hv2 = torch.autograd.grad(g @ v, flat_req)[0]
print(torch.allclose(hv2, hv), g.grad_fn is not None)

# -- the functional API on small functions -----------------------------------------------------
def f(x, y):
    return torch.stack([x[0] * y[1], x[1].exp() + y[0] ** 2, (x * y).sum()])


x0, y0 = torch.tensor([1.0, 0.5]), torch.tensor([2.0, -1.0])
J = jacobian(f, (x0, y0))
print(J)
print(jacobian(f, (x0, y0), vectorize=True, strategy="forward-mode")[1])
out, jv = jvp(f, (x0, y0), (torch.ones(2), torch.zeros(2)))
print(out, jv)
out, (gx, gy) = vjp(f, (x0, y0), torch.tensor([1.0, 0.0, 1.0]))
print(gx, gy)
x0r = x0.clone().requires_grad_(True)
_, hv = hvp(lambda x: (x.sin() * x).sum(), x0r, torch.ones(2), create_graph=True)
print(hv, hv.requires_grad)
hv.sum().backward()
print(x0r.grad)
H2 = hessian(lambda x, y: (x ** 2 * y).sum(), (x0, y0))
print(H2[0][0], H2[0][1], H2[1][1])

# -- Newton's method on Rosenbrock ---------------------------------------------------------------
def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


p = torch.tensor([-1.2, 1.0])
for it in range(8):
    gp = jacobian(rosen, p)
    Hp = hessian(rosen, p)
    p = p - torch.linalg.solve(Hp, gp)
    print(f"newton {it}: f {rosen(p).item():.6e} p", [round(c, 10) for c in p.tolist()])

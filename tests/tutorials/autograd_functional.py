"""torch.autograd.functional in the style of its docs and the 'Jacobians, Hessians, hvp,
vhp, and more' tutorial (its torch.autograd.functional parts): jacobian of functions with
one and several inputs and outputs, create_graph and vectorize, hessian of a scalar
function, vjp / jvp / vhp / hvp, torch.autograd.grad with create_graph for a
second derivative, Newton's method with the Hessian, and gradcheck/gradgradcheck."""

import torch
from torch.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

torch.manual_seed(0)


def exp_reducer(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(2, 2)
print(jacobian(exp_reducer, inputs))
print(jacobian(exp_reducer, inputs, create_graph=True))
print(jacobian(exp_reducer, inputs, vectorize=True).shape)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


inputs = (torch.rand(2), torch.rand(2))
print(jacobian(exp_adder, inputs))


def two_outputs(x):
    return x ** 2, x.sum()


print(jacobian(two_outputs, torch.tensor([1.0, 2.0, 3.0])))
print(jacobian(lambda x: x.sin() * 2, torch.tensor(0.5, dtype=torch.float64)))
print(jacobian(lambda x: x.sum(), torch.tensor([1., 2.]), strategy="forward-mode",
               vectorize=True))


def pow_reducer(x):
    return x.pow(3).sum()


inputs = torch.rand(2, 2)
print(hessian(pow_reducer, inputs))
print(hessian(pow_reducer, inputs, create_graph=True).shape)


def pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


inputs = (torch.rand(2), torch.rand(2))
print(hessian(pow_adder_reducer, inputs))


def exp_reducer2(x):
    return x.exp().sum(dim=1)


inputs = torch.rand(4, 4)
v = torch.ones(4)
print(vjp(exp_reducer2, inputs, v))
print(vjp(exp_reducer2, inputs, v, create_graph=True)[1].grad_fn is not None)


def adder(x, y):
    return 2 * x + 3 * y


inputs = (torch.rand(2), torch.rand(2))
v = torch.ones(2)
print(vjp(adder, inputs, v))

inputs = torch.rand(4, 4)
v = torch.ones(4, 4)
print(jvp(exp_reducer2, inputs, v))
inputs = (torch.rand(2), torch.rand(2))
v = (torch.ones(2), torch.ones(2))
print(jvp(adder, inputs, v))


def pow_reducer2(x):
    return x.pow(3).sum()


inputs = torch.rand(2, 2)
v = torch.ones(2, 2)
print(vhp(pow_reducer2, inputs, v))
print(hvp(pow_reducer2, inputs, v))
inputs = (torch.rand(2), torch.rand(2))
v = (torch.zeros(2), torch.ones(2))
print(vhp(pow_adder_reducer, inputs, v))

# -- higher-order gradients with torch.autograd.grad ---------------------------------------------
x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
y = (x ** 3 + x.sin()).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g, g.grad_fn.name())
(g2,) = torch.autograd.grad(g.sum(), x)
print(g2)
x = torch.tensor(1.0, requires_grad=True)
y = x.exp() * x
first, = torch.autograd.grad(y, x, create_graph=True)
second, = torch.autograd.grad(first, x, create_graph=True)
third, = torch.autograd.grad(second, x)
print(first.item(), second.item(), third.item())

# -- a model's Jacobian with respect to its input, per-sample --------------------------------------
model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
x = torch.randn(3)
J = jacobian(model, x)
print(J.shape)
print(J)
print(torch.allclose(J, jacobian(model, x, vectorize=True)))

# -- Newton's method on the Rosenbrock function, in float64 ----------------------------------------


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


p = torch.tensor([-1.2, 1.0], dtype=torch.float64)
for it in range(5):  # later steps print rounding noise around the minimum
    g = jacobian(rosenbrock, p)
    H = hessian(rosenbrock, p)
    p = p - torch.linalg.solve(H, g)
    print(it, [f"{c:.10f}" for c in p.tolist()], f"{rosenbrock(p).item():.6e}")

# -- gradcheck ------------------------------------------------------------------------------------
inputs = (torch.randn(3, 4, dtype=torch.float64, requires_grad=True),
          torch.randn(4, 2, dtype=torch.float64, requires_grad=True))
print(torch.autograd.gradcheck(torch.mm, inputs))
print(torch.autograd.gradgradcheck(lambda a, b: (a @ b).tanh(), inputs))
print(torch.autograd.gradcheck(lambda t: t.sigmoid() * t, (inputs[0],), eps=1e-6, atol=1e-4))

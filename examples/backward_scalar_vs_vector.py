"""Why loss.backward() needs a scalar: autograd computes vector-Jacobian products.

For y = f(x), y.backward(gradient=v) puts v^T J into x.grad, J the Jacobian dy/dx. On a
scalar (a loss) v is implicitly tensor(1.); on a vector you must say which v you want.

    python examples/backward_scalar_vs_vector.py            # torchlet
    python examples/backward_scalar_vs_vector.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

# The graph: x is a leaf the user made; y and s are results that remember their grad_fn.
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * x + 2 * x          # y_i = x_i^2 + 2 x_i, a vector
s = y.sum()                # a scalar
print("x:", x, " is_leaf:", x.is_leaf)
print("y:", y, " is_leaf:", y.is_leaf)
print("s:", s)
print("grad_fn of y:", y.grad_fn.name(), "<- inputs:",
      [fn.name() for fn, _ in y.grad_fn.next_functions])

# 1. backward() on the scalar: starts from tensor(1.), x.grad = ds/dx = 2x + 2.
s.backward()
print("\n1. s.backward()          x.grad =", x.grad)

# 2. backward() on the vector without a gradient: refused.
x.grad = None
y = x * x + 2 * x
try:
    y.backward()
except RuntimeError as err:
    print("2. y.backward()          RuntimeError:", err)

# 3. With an explicit gradient v: x.grad = v^T J.
v = torch.tensor([1.0, 0.1, 0.01])
y.backward(gradient=v)
print("3. y.backward(v)         x.grad =", x.grad)

# The Jacobian itself: here diagonal, J[i, i] = 2 x_i + 2.
J = torch.autograd.functional.jacobian(lambda t: t * t + 2 * t, x)
print("\nJacobian dy/dx:", J, sep="\n")
print("v @ J =", v @ J)
print("ones @ J =", torch.ones(3) @ J, "(what s.backward() gave)")

# 4. Gradients accumulate: a second backward adds to x.grad.
x.grad = None
print()
for step in (1, 2):
    (x * x + 2 * x).sum().backward()
    print(f"4. after backward #{step}:  x.grad =", x.grad)

# 5. A non-diagonal Jacobian: y = A x mixes the entries, so J = A and v^T J = v @ A.
A = torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]])
x.grad = None
y = A @ x
w = torch.tensor([1.0, 10.0])
y.backward(w)
print("\n5. y = A @ x, y.backward(w):  x.grad =", x.grad, " w @ A =", w @ A)
print("jacobian:", torch.autograd.functional.jacobian(lambda t: A @ t, x), sep="\n")

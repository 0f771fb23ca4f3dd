"""The Parametrizations tutorial, plus weight_norm and spectral_norm: a Symmetric and a
Skew parametrization registered with nn.utils.parametrize, caching, several
parametrizations chained on one tensor, right_inverse for assignment, removal with
leave_parametrized, the old hook-based nn.utils.weight_norm / spectral_norm and the new
nn.utils.parametrizations.weight_norm / spectral_norm / orthogonal, each trained a few
steps and printed."""

import torch
import torch.nn as nn
import torch.nn.utils.parametrize as P
from torch.nn.utils import parametrizations

torch.manual_seed(0)


def symmetric(X):
    return X.triu() + X.triu(1).transpose(-1, -2)


X = torch.rand(3, 3)
A = symmetric(X)
assert torch.allclose(A, A.T)  # A is symmetric
print(A)  # Quick visual check


class LinearSymmetric(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(n_features, n_features))

    def forward(self, x):
        A = symmetric(self.weight)
        return x @ A


layer = LinearSymmetric(3)
out = layer(torch.rand(8, 3))
print(out.shape)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Symmetric())
A = layer.weight
assert torch.allclose(A, A.T)  # A is symmetric
print(A)  # Quick visual check
print(layer)
print(P.is_parametrized(layer), P.is_parametrized(layer, "weight"),
      P.is_parametrized(layer, "bias"))
print(layer.parametrizations.weight.original.shape, type(layer.parametrizations).__name__)
print([name for name, _ in layer.named_parameters()])


class Skew(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        return A - A.transpose(-1, -2)


cnn = nn.Conv2d(in_channels=5, out_channels=8, kernel_size=3)
P.register_parametrization(cnn, "weight", Skew())
# Print a few kernels
print(cnn.weight[0, 1])
print(cnn.weight[2, 2])

# -- caching ---------------------------------------------------------------------------------------
layer = nn.Linear(4, 4)
P.register_parametrization(layer, "weight", Symmetric())
with P.cached():
    w1 = layer.weight
    w2 = layer.weight
print(w1 is w2, layer.weight is layer.weight)


# -- concatenating parametrizations ----------------------------------------------------------------
class CayleyMap(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("Id", torch.eye(n))

    def forward(self, X):
        # (I + X)(I - X)^{-1}
        return torch.linalg.solve(self.Id - X, self.Id + X)


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew())
P.register_parametrization(layer, "weight", CayleyMap(3))
X = layer.weight
print(torch.dist(X.T @ X, torch.eye(3)) < 1e-5)  # X is orthogonal
print(len(layer.parametrizations.weight), [type(p).__name__ for p in
                                           layer.parametrizations.weight])


# -- right_inverse ---------------------------------------------------------------------------------
class Symmetric2(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)

    def right_inverse(self, A):
        return A.triu()


layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Symmetric2())
# Sample a random symmetric matrix
X = torch.rand(3, 3)
X = X + X.T
# Assign it to the parametrized weight
layer.weight = X
print(torch.allclose(layer.weight, X))
print(layer.parametrizations.weight.original)


class NoisyParametrization(nn.Module):
    def forward(self, X):
        return X

    def right_inverse(self, A):
        return A + 1


layer = nn.Linear(2, 2)
before = layer.weight.detach().clone()
P.register_parametrization(layer, "weight", NoisyParametrization(), unsafe=True)
print(torch.equal(layer.weight, before + 1))

# -- removing parametrizations -----------------------------------------------------------------
layer = nn.Linear(3, 3)
print("Before:")
print(layer)
print(layer.weight)
P.register_parametrization(layer, "weight", Skew())
print("\nParametrized:")
print(layer)
print(layer.weight)
P.remove_parametrizations(layer, "weight")
print("\nAfter. Weight has skew-symmetric values but it is unconstrained:")
print(layer)
print(layer.weight)

layer = nn.Linear(3, 3)
P.register_parametrization(layer, "weight", Skew())
P.remove_parametrizations(layer, "weight", leave_parametrized=False)
print(layer.weight)

# -- training through a parametrization ----------------------------------------------------------
torch.manual_seed(1)
layer = nn.Linear(4, 4, bias=False)
P.register_parametrization(layer, "weight", Symmetric())
opt = torch.optim.SGD(layer.parameters(), lr=0.1)
x, y = torch.randn(16, 4), torch.randn(16, 4)
for step in range(3):
    opt.zero_grad()
    loss = ((layer(x) - y) ** 2).mean()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}", layer.parametrizations.weight.original.grad[0])
print(torch.equal(layer.weight, layer.weight.T))

# -- weight_norm and spectral_norm, old and new ----------------------------------------------------
torch.manual_seed(2)
m = nn.utils.weight_norm(nn.Linear(20, 40), name="weight")
print(m)
print(m.weight_g.size(), m.weight_v.size())
print(m.weight_g[:3].squeeze(), torch.allclose(m.weight, m.weight_g * m.weight_v /
                                              m.weight_v.norm(dim=1, keepdim=True)))
out = m(torch.randn(2, 20))
out.sum().backward()
print(m.weight_g.grad[:3].squeeze(), m.weight_v.grad.shape)
m = nn.utils.remove_weight_norm(m)
print(sorted(n for n, _ in m.named_parameters()))

m = parametrizations.weight_norm(nn.Linear(20, 40))
print(m)
print(m.parametrizations.weight.original0.size(), m.parametrizations.weight.original1.size())
m = parametrizations.weight_norm(nn.Conv1d(3, 5, 2), dim=None)
print(m.parametrizations.weight.original0)

torch.manual_seed(3)
m = nn.utils.spectral_norm(nn.Linear(20, 40))
print(m)
print(m.weight_u.size(), m.weight_orig.shape)
x = torch.randn(3, 20)
for _ in range(5):
    m(x)
sigma = torch.linalg.matrix_norm(m.weight, ord=2)
print(f"{sigma.item():.4f}")

torch.manual_seed(3)
snm = parametrizations.spectral_norm(nn.Linear(20, 40))
print(snm)
print(snm.parametrizations.weight.original.shape, snm.parametrizations.weight[0].n_power_iterations)
for _ in range(5):
    snm(x)
print(f"{torch.linalg.matrix_norm(snm.weight, 2).item():.4f}")
snm.eval()
print(torch.equal(snm.weight, snm.weight), f"{snm.weight.abs().max().item():.4f}")

torch.manual_seed(4)
orth = parametrizations.orthogonal(nn.Linear(5, 3))
print(orth)
Q = orth.weight
print(Q.shape, torch.dist(Q @ Q.T, torch.eye(3)) < 1e-5)

"""A numerical-methods notebook in float64: symmetric eigenproblems (eigh, eigvalsh) and the
spectral theorem, SVD and a low-rank approximation (Eckart-Young), QR by Householder and by
hand (Gram-Schmidt), Cholesky and triangular solves, least squares by lstsq / normal equations
/ pinv, the matrix exponential against its Taylor series and an ODE solution, det / slogdet /
inv / cond / matrix_rank / norms, Newton's method for a nonlinear system with
torch.autograd.functional.jacobian, an RK4 integrator for a pendulum, power iteration, and
Gauss-Legendre-free quadrature with trapezoid / cumulative_trapezoid."""

import math

import torch
from torch.autograd.functional import hessian, jacobian

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=6)

# -- symmetric eigenproblem ----------------------------------------------------------------------
B = torch.randn(5, 5)
S = B @ B.T + 5 * torch.eye(5)
w, V = torch.linalg.eigh(S)
print("eigenvalues", w)
print("eigvalsh matches", torch.allclose(torch.linalg.eigvalsh(S), w))
print(
    "orthonormal",
    torch.allclose(V.T @ V, torch.eye(5)),
    "reconstruct",
    torch.allclose(V @ torch.diag(w) @ V.T, S),
)
print(
    "trace = sum eig",
    S.trace().item() - w.sum().item() < 1e-10,
    "det = prod eig",
    abs(torch.linalg.det(S).item() - w.prod().item()) / w.prod().item() < 1e-12,
)
# eigenvector signs are arbitrary: fix them so the largest entry of each is positive
signs = torch.sign(V.gather(0, V.abs().argmax(0, keepdim=True)))
print("eigenvectors (sign-fixed)\n", V * signs)
print("upper triangle only", torch.allclose(torch.linalg.eigh(S.triu(), UPLO="U").eigenvalues, w))

# power iteration for the top eigenpair
v = torch.ones(5)
for _ in range(60):
    v = S @ v
    v = v / v.norm()
lam = v @ S @ v
print(f"power iteration lambda {lam.item():.10f} vs eigh {w[-1].item():.10f}")

# -- SVD and low-rank approximation ----------------------------------------------------------------
A = torch.randn(6, 4) @ torch.diag(torch.tensor([5.0, 2.0, 0.5, 0.01])) @ torch.randn(4, 4)
U, s, Vh = torch.linalg.svd(A, full_matrices=False)
print("singular values", s)
print("svdvals", torch.linalg.svdvals(A))
print("shapes full", [t.shape for t in torch.linalg.svd(A)], "reduced", U.shape, Vh.shape)
for k in range(1, 5):
    Ak = U[:, :k] @ torch.diag(s[:k]) @ Vh[:k]
    err = torch.linalg.matrix_norm(A - Ak, ord=2)
    print(
        f"rank {k}: spectral error {err.item():.8f} next sigma {s[k].item() if k < 4 else 0.0:.8f}"
    )
print("matrix_rank", torch.linalg.matrix_rank(A), torch.linalg.matrix_rank(A, atol=0.1))
print("cond 2", torch.linalg.cond(A).item() - (s[0] / s[-1]).item() < 1e-6)
print(
    "norms fro/nuc/2/-2/1/inf",
    [
        round(torch.linalg.matrix_norm(A[:4], ord=o).item(), 6)
        for o in ["fro", "nuc", 2, -2, 1, float("inf")]
    ],
)
print(
    "vector norms",
    [round(torch.linalg.vector_norm(A[0], ord=o).item(), 6) for o in [0, 1, 2, 3, float("inf")]],
)

# -- QR: Householder (library) and classical Gram-Schmidt (by hand) --------------------------------
Q, R = torch.linalg.qr(A)
print(
    "Q",
    Q.shape,
    "R upper",
    torch.equal(R, R.triu()),
    "QTQ=I",
    torch.allclose(Q.T @ Q, torch.eye(4)),
)
Qc = torch.zeros_like(A)
Rc = torch.zeros(4, 4)
for j in range(4):
    vj = A[:, j].clone()
    for i in range(j):
        Rc[i, j] = Qc[:, i] @ A[:, j]
        vj -= Rc[i, j] * Qc[:, i]
    Rc[j, j] = vj.norm()
    Qc[:, j] = vj / Rc[j, j]
d = torch.sign(torch.diagonal(R))
print(
    "Gram-Schmidt agrees up to signs",
    torch.allclose(Qc, Q * d, atol=1e-8),
    torch.allclose(Rc, d[:, None] * R, atol=1e-8),
)
print(
    "complete QR",
    [t.shape for t in torch.linalg.qr(A, mode="complete")],
    "r mode",
    torch.linalg.qr(A, mode="r").Q.shape,
)

# -- Cholesky, triangular solves -------------------------------------------------------------------
L = torch.linalg.cholesky(S)
print("L\n", L)
b = torch.randn(5, 2)
y = torch.linalg.solve_triangular(L, b, upper=False)
x = torch.linalg.solve_triangular(L.T, y, upper=True)
print(
    "cholesky solve",
    torch.allclose(x, torch.linalg.solve(S, b)),
    torch.allclose(torch.cholesky_solve(b, L), x),
)
print("cholesky_ex info", torch.linalg.cholesky_ex(-S).info, torch.linalg.cholesky_ex(S).info)
try:
    torch.linalg.cholesky(-S)
except RuntimeError as e:
    print("not PD:", type(e).__name__)
print("inv via cholesky", torch.allclose(torch.cholesky_inverse(L), torch.linalg.inv(S)))
print("logdet", torch.logdet(S).item(), 2 * L.diagonal().log().sum().item())
sign, logabs = torch.linalg.slogdet(A[:4])
print(
    "slogdet",
    sign.item(),
    round(logabs.item(), 8),
    round(math.log(abs(torch.linalg.det(A[:4]).item())), 8),
)

# -- least squares, three ways -----------------------------------------------------------------
t = torch.linspace(0, 1, 20)
obs = 1.0 + 2.0 * t - 3.0 * t**2 + 0.01 * torch.randn(20)
X = torch.stack([torch.ones(20), t, t**2], dim=1)
sol = torch.linalg.lstsq(X, obs.unsqueeze(1))
print("lstsq", sol.solution.squeeze(), "rank", sol.rank, "driver default residuals", sol.residuals)
normal = torch.linalg.solve(X.T @ X, X.T @ obs)
pinv = torch.linalg.pinv(X) @ obs
print("normal eq", normal, "\npinv", pinv)
print("all agree", torch.allclose(normal, pinv), torch.allclose(sol.solution.squeeze(), pinv))
print(f"residual norm {torch.linalg.norm(X @ pinv - obs).item():.12f}")

# -- matrix exponential ---------------------------------------------------------------------------
M = torch.tensor([[0.0, 1.0], [-4.0, -0.4]])  # damped oscillator x'' = -4x - 0.4x'
E = torch.linalg.matrix_exp(M)
taylor = torch.zeros(2, 2)
term = torch.eye(2)
for k in range(1, 30):
    taylor = taylor + term
    term = term @ M / k
print("matrix_exp\n", E, "\ntaylor agrees", torch.allclose(E, taylor))
print("exp(0)=I", torch.equal(torch.linalg.matrix_exp(torch.zeros(3, 3)), torch.eye(3)))
print("exp(diag)", torch.linalg.matrix_exp(torch.diag(torch.tensor([1.0, -1.0]))).diagonal())
rot = torch.linalg.matrix_exp(torch.tensor([[0.0, -math.pi / 2], [math.pi / 2, 0.0]]))
print("rotation by 90 degrees\n", rot.round(decimals=12))
print("matrix_power", torch.linalg.matrix_power(M, 3), torch.linalg.matrix_power(S[:2, :2], -1))
print("det of batch", torch.linalg.det(torch.stack([M, E, torch.eye(2)])))
print(f"det(exp M) = exp(tr M) {torch.linalg.det(E).item():.12f} {math.exp(M.trace().item()):.12f}")


# -- RK4 for the same oscillator, compared with expm --------------------------------------------
def f(state):
    return M @ state


def rk4(state, h):
    k1 = f(state)
    k2 = f(state + h / 2 * k1)
    k3 = f(state + h / 2 * k2)
    k4 = f(state + h * k3)
    return state + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


x0 = torch.tensor([1.0, 0.0])
for h in [0.1, 0.05, 0.025]:
    state = x0.clone()
    for _ in range(round(1.0 / h)):
        state = rk4(state, h)
    err = (state - E @ x0).abs().max().item()
    print(f"RK4 h={h}: state {state.tolist()} error {err:.3e}")


# nonlinear pendulum with RK4, energy drift
def pendulum(s):
    return torch.stack([s[1], -9.81 * torch.sin(s[0])])


s = torch.tensor([2.0, 0.0])
energy0 = 0.5 * s[1] ** 2 - 9.81 * torch.cos(s[0])
h = 0.01
for _ in range(300):
    k1 = pendulum(s)
    k2 = pendulum(s + h / 2 * k1)
    k3 = pendulum(s + h / 2 * k2)
    k4 = pendulum(s + h * k3)
    s = s + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
energy = 0.5 * s[1] ** 2 - 9.81 * torch.cos(s[0])
print("pendulum after 3s", s, f"energy drift {(energy - energy0).item():.3e}")


# -- Newton's method for a nonlinear system ------------------------------------------------------
def F(z):
    x, y = z[0], z[1]
    return torch.stack([x**2 + y**2 - 4.0, torch.exp(x) + y - 1.0])


z = torch.tensor([1.0, -1.0])
for it in range(8):
    J = jacobian(F, z)
    step = torch.linalg.solve(J, F(z))
    z = z - step
    print(f"Newton {it}: z {[round(v, 12) for v in z.tolist()]} |F| {F(z).norm().item():.3e}")
print("jacobian at root\n", jacobian(F, z))
print("jacobian vectorized == loop", torch.allclose(jacobian(F, z, vectorize=True), jacobian(F, z)))


# Newton for minimisation with the Hessian: Rosenbrock
def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


p = torch.tensor([-1.2, 1.0])
for it in range(7):
    g = jacobian(rosen, p)
    Hm = hessian(rosen, p)
    p = p - torch.linalg.solve(Hm, g)
    print(f"Newton-Rosenbrock {it}: p {[round(v, 10) for v in p.tolist()]} f {rosen(p).item():.3e}")
print("hessian at minimum\n", hessian(rosen, p))

# -- quadrature ------------------------------------------------------------------------------------
xs = torch.linspace(0, math.pi, 101)
print("trapezoid sin", torch.trapezoid(torch.sin(xs), xs).item())
print("trapezoid dx", torch.trapezoid(torch.sin(xs), dx=math.pi / 100).item())
ct = torch.cumulative_trapezoid(torch.cos(xs), xs)
print("cumulative ~ sin", (ct - torch.sin(xs[1:])).abs().max().item() < 1e-3, ct[[24, 49, 99]])
simpson = (math.pi / 100 / 3) * (
    torch.sin(xs[0])
    + 4 * torch.sin(xs[1:-1:2]).sum()
    + 2 * torch.sin(xs[2:-1:2]).sum()
    + torch.sin(xs[-1])
)
print(f"simpson {simpson.item():.12f}")
print(
    "diff",
    torch.diff(torch.tensor([1.0, 4.0, 9.0, 16.0]), n=2),
    "gradient",
    torch.gradient(xs[:5] ** 2, spacing=0.5),
)

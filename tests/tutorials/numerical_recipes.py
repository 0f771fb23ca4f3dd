"""Numerical recipes written with tensors, mostly in float64 and vectorised over a batch of
problems: Newton's method and bisection for roots (batched, with autograd for f'), the
secant method, fixed-point iteration; Simpson's rule, Gauss-Legendre nodes from the
Golub-Welsch eigenproblem (eigh of the Jacobi matrix) and Monte Carlo integration with
torch.rand; explicit Euler vs classic Runge-Kutta 4 on a pendulum (energy drift) and a
Lotka-Volterra system; power iteration and Rayleigh quotients against eigvalsh; conjugate
gradient on an SPD system against linalg.solve; Richardson extrapolation of finite
differences against autograd; Horner evaluation and polynomial roots from the companion
matrix; Chebyshev interpolation; and float32 pitfalls (catastrophic cancellation,
log1p/expm1, the softplus trick, Kahan summation, nextafter and machine epsilon)."""

import math

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

# -- roots -------------------------------------------------------------------------------------
# solve x**3 - a = 0 for a batch of a's by Newton, with f' from autograd
a = torch.tensor([2.0, 10.0, 0.5, 27.0])
x = torch.ones_like(a)
for it in range(30):  # noqa: B007  (printed afterwards)
    x = x.detach().requires_grad_(True)
    f = x ** 3 - a
    (df,) = torch.autograd.grad(f.sum(), x)
    step = f / df
    x = x - step
    if step.abs().max() < 1e-14:
        break
x = x.detach()
# (x ** 3 is x * x * x, exact as written; a ** (1 / 3) is pow, whose last bit is up to the
# math library: torch's vectorised pow and NumPy's differ on a few percent of inputs)
print("Newton cube roots", x, "iterations", it + 1, "residual", (x ** 3 - a).tolist())

# bisection on cos(x) = x, vectorised over brackets
lo, hi = torch.zeros(3), torch.tensor([1.0, 2.0, 1.5])
for _ in range(60):
    mid = (lo + hi) / 2
    left = (torch.cos(mid) - mid) > 0
    lo, hi = torch.where(left, mid, lo), torch.where(left, hi, mid)
print("bisection Dottie number", mid, f"{math.cos(mid[0].item()) - mid[0].item():.2e}")

# secant and fixed point for the same equation
x0, x1 = torch.tensor(0.0), torch.tensor(1.0)
for k in range(20):  # noqa: B007  (printed afterwards)
    f0, f1 = torch.cos(x0) - x0, torch.cos(x1) - x1
    if f1 == 0 or f1 == f0:  # converged: the next quotient would be 0 / 0
        break
    x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
print("secant", x1.item(), "after", k, "steps")
z = torch.tensor(1.0)
for k in range(100):  # noqa: B007  (printed afterwards)
    z_new = torch.cos(z)
    if (z_new - z).abs() < 1e-12:
        break
    z = z_new
print("fixed point", z.item(), "after", k, "steps")

# -- quadrature --------------------------------------------------------------------------------
def simpson(f, lo, hi, n):
    xs = torch.linspace(lo, hi, n + 1)
    w = torch.ones(n + 1)
    w[1:-1:2] = 4
    w[2:-1:2] = 2
    return (hi - lo) / (3 * n) * (w * f(xs)).sum()


for n in (4, 8, 16, 32):
    est = simpson(torch.sin, 0.0, math.pi, n)
    print(f"Simpson n={n:2d} {est.item():.12f} error {abs(est.item() - 2):.3e}")
print("trapezoid", torch.trapezoid(torch.exp(torch.linspace(0, 1, 101)), dx=0.01).item(),
      "exact", math.e - 1)

# Golub-Welsch: Gauss-Legendre nodes/weights from the eigenpairs of the Jacobi matrix
m = 6
k = torch.arange(1, m, dtype=torch.float64)
beta = k / torch.sqrt(4 * k ** 2 - 1)
J = torch.diag(beta, 1) + torch.diag(beta, -1)
nodes, vecs = torch.linalg.eigh(J)
weights = 2 * vecs[0] ** 2
print("Gauss-Legendre nodes", nodes.round(decimals=10))
print("weights", weights.round(decimals=10), "sum", f"{weights.sum().item():.12f}")
for p in range(0, 13, 3):
    exact = (1 - (-1) ** (p + 1)) / (p + 1)
    print(f"  integral of x^{p}: {(weights * nodes ** p).sum().item(): .12f} exact {exact: .12f}")

# Monte Carlo: pi from the unit circle, float32 samples
g = torch.Generator().manual_seed(123)
for n in (1000, 100000):
    pts = torch.rand(n, 2, generator=g, dtype=torch.float32)
    inside = (pts.pow(2).sum(1) <= 1).sum().item()
    print(f"MC pi with {n} points: {4 * inside / n}")

# -- ODEs --------------------------------------------------------------------------------------
def pendulum(state):
    theta, omega = state[..., 0], state[..., 1]
    return torch.stack([omega, -9.81 * torch.sin(theta)], -1)


def energy(state):
    return 0.5 * state[..., 1] ** 2 + 9.81 * (1 - torch.cos(state[..., 0]))


def rk4_step(f, y, h):
    k1 = f(y)
    k2 = f(y + h / 2 * k1)
    k3 = f(y + h / 2 * k2)
    k4 = f(y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


y0 = torch.tensor([[0.5, 0.0], [1.0, 0.0], [2.5, 0.0]])
for name, stepper in [("Euler", lambda f, y, h: y + h * f(y)), ("RK4", rk4_step)]:
    y = y0.clone()
    for _ in range(500):
        y = stepper(pendulum, y, 0.01)
    drift = (energy(y) - energy(y0)) / energy(y0)
    print(f"{name:5s} state after 5 s {y.round(decimals=6).tolist()} energy drift {drift.tolist()}")


def lotka_volterra(s, a=1.1, b=0.4, c=0.4, d=0.1):
    x, y = s[..., 0], s[..., 1]
    return torch.stack([a * x - b * x * y, d * x * y - c * y], -1)


s = torch.tensor([10.0, 10.0])
traj = [s]
for _ in range(400):
    s = rk4_step(lotka_volterra, s, 0.05)
    traj.append(s)
traj = torch.stack(traj)
print("Lotka-Volterra max prey", traj[:, 0].max().item(), "at step", traj[:, 0].argmax().item(),
      "min predator", f"{traj[:, 1].min().item():.8f}")

# -- linear algebra iterations -----------------------------------------------------------------
Q, _ = torch.linalg.qr(torch.randn(6, 6))
A = Q @ torch.diag(torch.tensor([10.0, 5.0, 3.0, 2.0, 1.0, 0.5])) @ Q.T
v = torch.randn(6)
for it in range(200):  # noqa: B007  (printed afterwards)
    w = A @ v
    lam = torch.dot(v, w) / torch.dot(v, v)
    v_new = w / w.norm()
    if (v_new - v).norm() < 1e-12:
        break
    v = v_new
# (float64 matrix-vector products: BLAS may order the sums differently, so 12 digits)
print("power iteration", f"{lam.item():.12f}", "after", it, "steps; eigvalsh",
      torch.linalg.eigvalsh(A).round(decimals=10))


def conjugate_gradient(A, b, tol=1e-12):
    x = torch.zeros_like(b)
    r = b - A @ x
    p = r.clone()
    rs = r @ r
    for i in range(len(b) * 2):
        Ap = A @ p
        alpha = rs / (p @ Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = r @ r
        if rs_new.sqrt() < tol:
            return x, i + 1
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x, i + 1


b = torch.randn(6)
x_cg, iters = conjugate_gradient(A, b)
x_direct = torch.linalg.solve(A, b)
print("CG iterations", iters,
      "agrees with solve:", torch.allclose(x_cg, x_direct, rtol=0, atol=1e-13),
      "residual below 1e-12:", (A @ x_cg - b).norm().item() < 1e-12)

# -- derivatives -------------------------------------------------------------------------------
f = lambda t: torch.exp(torch.sin(t)) * t  # noqa: E731
t0 = torch.tensor(1.3, requires_grad=True)
(exact,) = torch.autograd.grad(f(t0), t0)
for h in (1e-1, 1e-2, 1e-3):
    central = (f(t0 + h) - f(t0 - h)) / (2 * h)
    central2 = (f(t0 + h / 2) - f(t0 - h / 2)) / h
    richardson = (4 * central2 - central) / 3
    # below about eps * |f| / h (7e-13 at h = 1e-3) the error is rounding noise, whose
    # digits are up to the math library's last bit of exp and sin: not printed
    err = abs(richardson.item() - exact.item())
    print(f"h={h:g} central err {abs(central.item() - exact.item()):.3e} "
          f"Richardson err {f'{err:.3e}' if err > 1e-12 else 'below 1e-12 (rounding)'}")

# -- polynomials -------------------------------------------------------------------------------
coeffs = torch.tensor([1.0, -6.0, 11.0, -6.0])        # (x-1)(x-2)(x-3), highest power first
xs = torch.linspace(0, 4, 5)
val = torch.zeros_like(xs)
for c in coeffs:
    val = val * xs + c
print("Horner", val, "vs vander", torch.vander(xs, N=4) @ coeffs)
companion = torch.diag(torch.ones(2), -1)
companion[0] = -coeffs[1:] / coeffs[0]
# (linalg.eigvals would do, but returns complex numbers: the unshifted QR algorithm instead)
H = companion.clone()
for _ in range(200):
    q, r = torch.linalg.qr(H)
    H = r @ q
print("QR-algorithm roots", H.diagonal().sort().values.round(decimals=8))

# Chebyshev interpolation of Runge's function vs equispaced points
runge = lambda t: 1 / (1 + 25 * t ** 2)  # noqa: E731
grid = torch.linspace(-1, 1, 401)
for npts in (7, 13):
    equi = torch.linspace(-1, 1, npts)
    cheb = torch.cos((2 * torch.arange(npts) + 1) * math.pi / (2 * npts))
    for name, nodes_ in (("equispaced", equi), ("Chebyshev", cheb)):
        V = torch.vander(nodes_, increasing=True)
        c = torch.linalg.solve(V, runge(nodes_))
        approx = torch.vander(grid, N=npts, increasing=True) @ c
        print(f"{npts:2d} {name:10s} max error {(approx - runge(grid)).abs().max().item():.4f}")

# -- float32 pitfalls --------------------------------------------------------------------------
x32 = torch.tensor([1e-3, 1e-6, 1e-9], dtype=torch.float32)
print("1 - cos(x)   ", 1 - torch.cos(x32))
print("2 sin^2(x/2) ", 2 * torch.sin(x32 / 2) ** 2)
print("log(1 + x)   ", torch.log(1 + x32), "log1p", torch.log1p(x32))
print("exp(x) - 1   ", torch.exp(x32) - 1, "expm1", torch.expm1(x32))
big = torch.tensor([-100.0, 0.0, 50.0, 100.0], dtype=torch.float32)
print("naive softplus", torch.log(1 + torch.exp(big)), "stable", torch.nn.functional.softplus(big),
      "logaddexp", torch.logaddexp(torch.zeros(4, dtype=torch.float32), big))
vals = torch.full((10000,), 0.1, dtype=torch.float32)
naive = torch.tensor(0.0, dtype=torch.float32)
kahan, comp = torch.tensor(0.0, dtype=torch.float32), torch.tensor(0.0, dtype=torch.float32)
for v_ in vals[:2000]:
    naive = naive + v_
    yk = v_ - comp
    tk = kahan + yk
    comp = (tk - kahan) - yk
    kahan = tk
print("2000 x 0.1 in float32: naive", naive.item(), "Kahan", kahan.item(),
      "float64", (vals[:2000].double()).sum().item())
one = torch.tensor(1.0, dtype=torch.float32)
two = torch.tensor(2.0, dtype=torch.float32)
print("eps", torch.finfo(torch.float32).eps, torch.nextafter(one, two) - one,
      "1 + eps/2 == 1:", (one + torch.finfo(torch.float32).eps / 2 == one).item())
print("float16 max", torch.finfo(torch.float16).max, torch.tensor(65504.0, dtype=torch.float16) * 2,
      torch.tensor([0.1, 1000.3, 1e-5], dtype=torch.float16))

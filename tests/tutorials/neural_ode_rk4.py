"""Ordinary differential equations with tensors, the way a "neural ODE from scratch" notebook
goes: fixed-step Euler / midpoint / RK4 integrators written once for any f(t, y) and run on a
batch of initial conditions, their global error orders measured on y' = -y (halving the step
divides the error by 2 / 4 / 16), the harmonic oscillator's energy drift (explicit Euler
gains energy, symplectic Euler and RK4 do not), a Lotka-Volterra system, torch.stack of the
trajectory, then an ODE-Net (an nn.Module vector field) fitted through the RK4 solver by
backpropagating through every step with Adam, and the sensitivity dy(T)/dy0 from
torch.autograd.functional.jacobian checked against the exact matrix exponential."""

import math

import torch
import torch.nn as nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=6)


def euler_step(f, t, y, h):
    return y + h * f(t, y)


def midpoint_step(f, t, y, h):
    return y + h * f(t + h / 2, y + h / 2 * f(t, y))


def rk4_step(f, t, y, h):
    k1 = f(t, y)
    k2 = f(t + h / 2, y + h / 2 * k1)
    k3 = f(t + h / 2, y + h / 2 * k2)
    k4 = f(t + h, y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def odeint(f, y0, t0, t1, n, step=rk4_step, keep=False):
    h = (t1 - t0) / n
    y, traj = y0, [y0]
    for i in range(n):
        y = step(f, t0 + i * h, y, h)
        if keep:
            traj.append(y)
    return torch.stack(traj) if keep else y


decay = lambda t, y: -y  # noqa: E731
y0 = torch.tensor([1.0, 2.0])
print("exact", (y0 * math.exp(-1)).tolist())
for name, step in (("euler", euler_step), ("midpoint", midpoint_step), ("rk4", rk4_step)):
    errs = [(odeint(decay, y0, 0.0, 1.0, n, step) - y0 * math.exp(-1)).abs().max().item()
            for n in (10, 20, 40)]
    ratios = [errs[i] / errs[i + 1] for i in range(2)]
    print(f"{name:9s} errors {errs[0]:.3e} {errs[1]:.3e} {errs[2]:.3e} ratios "
          f"{ratios[0]:.3f} {ratios[1]:.3f} order {math.log2(ratios[1]):.2f}")


def oscillator(t, y):
    q, p = y[..., 0], y[..., 1]
    return torch.stack([p, -q], dim=-1)


def energy(y):
    return 0.5 * (y[..., 0] ** 2 + y[..., 1] ** 2)


def symplectic_euler_step(f, t, y, h):
    p = y[..., 1] - h * y[..., 0]
    q = y[..., 0] + h * p
    return torch.stack([q, p], dim=-1)


starts = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.5, -0.5]])
print("initial energy", energy(starts))
for name, step in (("euler", euler_step), ("symplectic", symplectic_euler_step),
                   ("rk4", rk4_step)):
    traj = odeint(oscillator, starts, 0.0, 10.0, 100, step, keep=True)
    drift = energy(traj[-1]) / energy(starts) - 1
    print(f"{name:10s} traj {tuple(traj.shape)} energy drift {drift}")
print("rk4 end vs exact", odeint(oscillator, starts[:1], 0.0, 10.0, 100)[0],
      torch.tensor([math.cos(10.0), -math.sin(10.0)]))


def lotka_volterra(t, y, a=1.1, b=0.4, c=0.4, d=0.1):
    x, z = y.unbind(-1)
    return torch.stack([a * x - b * x * z, d * x * z - c * z], dim=-1)


traj = odeint(lotka_volterra, torch.tensor([10.0, 5.0]), 0.0, 50.0, 1000, keep=True)
print("lotka-volterra samples", traj[::200])
prey = traj[:, 0]
peaks = ((prey[1:-1] > prey[:-2]) & (prey[1:-1] > prey[2:])).nonzero().flatten() + 1
print("prey peaks at steps", peaks.tolist(),
      "period ~", (peaks.diff().double().mean() * 0.05).item())


def inv(y):
    x, z = y[..., 0], y[..., 1]
    return 0.1 * x - 0.4 * torch.log(x) + 0.4 * z - 1.1 * torch.log(z)


print("conserved quantity spread", (inv(traj).max() - inv(traj).min()).item() < 1e-4)


# ODE-Net: learn the vector field of a damped spiral from its trajectory
A_true = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])
true_f = lambda t, y: y @ A_true.t()  # noqa: E731
y_start = torch.tensor([[2.0, 0.0]])
ts = 20
target = odeint(true_f, y_start, 0.0, 2.0, ts, keep=True)


class ODEFunc(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.net(y)


func = ODEFunc()
opt = torch.optim.Adam(func.parameters(), lr=0.02)
for it in range(45):
    pred = odeint(func, y_start, 0.0, 2.0, ts, keep=True)
    loss = (pred - target).abs().mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    if it % 15 == 0 or it == 44:
        print(f"iter {it:2d} loss {loss.item():.6f} nfe {func.nfe}")
with torch.no_grad():
    print("learned field at (1, 0)", func(0.0, torch.tensor([[1.0, 0.0]])),
          "true", true_f(0.0, torch.tensor([[1.0, 0.0]])))

# sensitivity of the final state to the initial state: exp(A T) for a linear system
J = torch.autograd.functional.jacobian(lambda y: odeint(true_f, y, 0.0, 2.0, 200), y_start[0])
print("jacobian dy(T)/dy0", J)
print("matrix_exp(2A)   ", torch.linalg.matrix_exp(2 * A_true))
print("close", torch.allclose(J, torch.linalg.matrix_exp(2 * A_true), atol=1e-7))

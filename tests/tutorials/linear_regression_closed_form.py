"""Linear least squares five ways, in float64: the normal equations with linalg.solve and
cholesky/cholesky_solve, QR with solve_triangular, linalg.lstsq (with residuals and rank on
an overdetermined and a rank-deficient system), linalg.pinv and SVD; ridge regression in
closed form; then the same fit by gradient descent (hand-written and torch.optim.SGD on an
nn.Linear) converging to the closed-form answer. Also polynomial features with vander,
the hat matrix, condition numbers, matrix_rank and det/slogdet of the Gram matrix."""

import torch

torch.manual_seed(0)
torch.set_printoptions(precision=6)
dtype = torch.float64

# -- data: y = X w + b + noise -------------------------------------------------------------------
n, d = 50, 3
X = torch.randn(n, d, dtype=dtype)
w_true = torch.tensor([1.5, -2.0, 0.5], dtype=dtype)
b_true = 0.7
y = X @ w_true + b_true + 0.1 * torch.randn(n, dtype=dtype)
A = torch.cat([X, torch.ones(n, 1, dtype=dtype)], dim=1)  # design matrix with bias column
print(A.shape, y.shape)

# normal equations
G = A.T @ A
rhs = A.T @ y
w_ne = torch.linalg.solve(G, rhs)
print("normal equations:", w_ne)
L = torch.linalg.cholesky(G)
print(torch.allclose(L @ L.T, G))
w_chol = torch.cholesky_solve(rhs.unsqueeze(1), L).squeeze(1)
print("cholesky:", w_chol, torch.allclose(w_chol, w_ne))

# QR
Q, R = torch.linalg.qr(A)
print(Q.shape, R.shape, torch.allclose(Q.T @ Q, torch.eye(d + 1, dtype=dtype)))
w_qr = torch.linalg.solve_triangular(R, (Q.T @ y).unsqueeze(1), upper=True).squeeze(1)
print("qr:", w_qr, torch.allclose(w_qr, w_ne))
Qc, Rc = torch.linalg.qr(A, mode="complete")
print(Qc.shape, Rc.shape, Rc[d + 1:].abs().max().item() == 0)

# lstsq
sol = torch.linalg.lstsq(A, y.unsqueeze(1))
print("lstsq:", sol.solution.squeeze(1), torch.allclose(sol.solution.squeeze(1), w_ne))
sol_gelsd = torch.linalg.lstsq(A, y.unsqueeze(1), driver="gelsd")
print(sol_gelsd.rank, sol_gelsd.residuals.shape, sol_gelsd.singular_values.shape)
resid = y - A @ w_ne
print(f"residual sum of squares {resid.pow(2).sum().item():.10f}"
      f" lstsq residuals {sol_gelsd.residuals.item():.10f}")
print(f"r2 {1 - resid.pow(2).sum().item() / (y - y.mean()).pow(2).sum().item():.10f}")

# pinv and SVD
w_pinv = torch.linalg.pinv(A) @ y
print("pinv:", w_pinv, torch.allclose(w_pinv, w_ne))
U, S, Vh = torch.linalg.svd(A, full_matrices=False)
print("singular values:", S)
w_svd = Vh.T @ ((U.T @ y) / S)
print("svd:", torch.allclose(w_svd, w_ne))
print(f"cond {torch.linalg.cond(A).item():.8f} = {(S[0] / S[-1]).item():.8f}")
print("rank", torch.linalg.matrix_rank(A).item())
sign, logdet = torch.linalg.slogdet(G)
print(f"det(G) {torch.linalg.det(G).item():.6e} sign {sign.item()} logdet {logdet.item():.10f}")

# hat matrix is a projection
H = A @ torch.linalg.pinv(A)
print(torch.allclose(H @ H, H), torch.allclose(H, H.T), f"trace {H.trace().item():.8f}")

# -- rank-deficient design: a duplicated column ------------------------------------------------
A_def = torch.cat([A, A[:, :1]], dim=1)
print("rank deficient:", torch.linalg.matrix_rank(A_def).item(), A_def.shape)
sol = torch.linalg.lstsq(A_def, y.unsqueeze(1), driver="gelsd")
w_min = sol.solution.squeeze(1)
print("min-norm:", w_min, sol.rank)
print(torch.allclose(A_def @ w_min, A @ w_ne))
print(torch.allclose(torch.linalg.pinv(A_def) @ y, w_min))

# -- ridge regression --------------------------------------------------------------------------
for lam in (0.0, 1.0, 10.0, 100.0):
    w_ridge = torch.linalg.solve(G + lam * torch.eye(d + 1, dtype=dtype), rhs)
    print(f"ridge lam={lam:6.1f}", w_ridge, f"norm {w_ridge.norm().item():.8f}")

# -- polynomial regression with vander ---------------------------------------------------------
t = torch.linspace(-1, 1, 30, dtype=dtype)
target = torch.sin(3 * t)
for degree in (1, 3, 5):
    V = torch.linalg.vander(t, N=degree + 1)
    coef = torch.linalg.lstsq(V, target.unsqueeze(1)).solution.squeeze(1)
    err = (V @ coef - target).abs().max()
    # the even coefficients of an odd target are zero up to rounding: print the odd ones
    print(f"degree {degree}: max error {err.item():.8f}", coef[1::2],
          coef[0::2].abs().max().item() < 1e-12)
print(torch.vander(torch.tensor([1., 2., 3.]), N=3))

# -- gradient descent by hand ------------------------------------------------------------------
w = torch.zeros(d + 1, dtype=dtype, requires_grad=True)
lr = 0.1
for step in range(301):
    loss = ((A @ w - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        w.grad.zero_()
    if step % 50 == 0:
        dist = (w - w_ne).norm().item()
        print(f"step {step:3d} loss {loss.item():.10f}", f"dist {dist:.3e}" if dist > 1e-6 else
              "converged")
print(torch.allclose(w.detach(), w_ne, atol=1e-8))

# -- nn.Linear + SGD with momentum -------------------------------------------------------------
model = torch.nn.Linear(d, 1).double()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
for epoch in range(200):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(X).squeeze(1), y)
    loss.backward()
    opt.step()
    if epoch % 40 == 0:
        print(f"epoch {epoch:3d} loss {loss.item():.10f}")
print(model.weight.data, model.bias.data)
print(torch.allclose(torch.cat([model.weight.data[0], model.bias.data]), w_ne, atol=1e-4))

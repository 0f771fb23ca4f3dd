"""Applied linear algebra in float64, each answer checked against a second route: PCA by SVD,
by eigh of the covariance and by torch.pca_lowrank (eigenvector signs normalised first, since
LAPACK implementations may flip them); whitening with a Cholesky factor and sampling
correlated Gaussians; a Markov chain's stationary distribution by matrix_power and by a
null-space solve; a linear ODE x' = A x solved with matrix_exp against Euler steps; LU
(lu_factor/lu_solve/lu_unpack), LDL and Householder QR (geqrf/householder_product) solving
the same system; multi_dot, cross, vecdot, tensorsolve/tensorinv; the *_ex variants'
info codes on a singular matrix; and gradients through eigh, cholesky, solve and det checked
with torch.autograd.gradcheck."""

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
torch.set_printoptions(precision=6)


def fix_signs(vectors):
    """Make the largest-magnitude entry of each column positive."""
    idx = vectors.abs().argmax(0)
    signs = torch.sign(vectors[idx, torch.arange(vectors.shape[1])])
    return vectors * signs


# -- PCA three ways ----------------------------------------------------------------------------
latent = torch.randn(200, 2)
mixing = torch.tensor([[3.0, 0.5, 1.0, 0.0], [0.0, 1.0, -1.0, 0.5]])
data = latent @ mixing + 0.1 * torch.randn(200, 4)
centered = data - data.mean(0)
U, S, Vh = torch.linalg.svd(centered, full_matrices=False)
explained = S ** 2 / (S ** 2).sum()
print("singular values", S)
print("explained variance ratio", explained)
cov = centered.T @ centered / (len(data) - 1)
evals, evecs = torch.linalg.eigh(cov)
print("eigh eigenvalues (ascending)", evals)
print(torch.allclose(evals.flip(0), S ** 2 / (len(data) - 1)))
pcs_svd = fix_signs(Vh.T[:, :2])
pcs_eig = fix_signs(evecs.flip(1)[:, :2])
print("principal axes\n", pcs_svd)
print(torch.allclose(pcs_svd, pcs_eig))
torch.manual_seed(1)
U_l, S_l, V_l = torch.pca_lowrank(data, q=2, niter=4)
print("pca_lowrank", S_l, torch.allclose(fix_signs(V_l), pcs_svd, atol=1e-6))
scores = centered @ pcs_svd
print("scores", scores.shape, scores.var(0), scores[:3])
recon = scores @ pcs_svd.T + data.mean(0)
print(f"rank-2 reconstruction error {(recon - data).pow(2).mean().item():.8f}")

# -- covariance, whitening, correlated sampling ---------------------------------------------
L = torch.linalg.cholesky(cov)
white = torch.linalg.solve_triangular(L, centered.T, upper=False).T
print("whitened covariance is identity:", torch.allclose(white.T @ white / 199, torch.eye(4)))
target = torch.tensor([[1.0, 0.8, 0.3], [0.8, 1.0, 0.5], [0.3, 0.5, 1.0]])
Lt, info = torch.linalg.cholesky_ex(target)
print(Lt, info)
z = torch.randn(5000, 3) @ Lt.T
print("sample correlation\n", torch.corrcoef(z.T))
print("cholesky_inverse", torch.allclose(torch.cholesky_inverse(Lt), torch.linalg.inv(target)))

# -- Markov chain ------------------------------------------------------------------------------
P = torch.tensor([[0.9, 0.075, 0.025], [0.15, 0.8, 0.05], [0.25, 0.25, 0.5]])
print("rows sum to 1:", P.sum(1))
P50 = torch.linalg.matrix_power(P, 50)
print("P^50\n", P50)
# stationary pi: pi (P - I) = 0 with sum(pi) = 1, as a square system
M = torch.cat([(P - torch.eye(3)).T[:-1], torch.ones(1, 3)])
pi = torch.linalg.solve(M, torch.tensor([0.0, 0.0, 1.0]))
print("stationary", pi, torch.allclose(pi @ P, pi), torch.allclose(P50[0], pi))
print("P^0", torch.linalg.matrix_power(P, 0), "P^-1 P = I:",
      torch.allclose(torch.linalg.matrix_power(P, -1) @ P, torch.eye(3)))

# -- linear ODE x' = A x ---------------------------------------------------------------------
A = torch.tensor([[0.0, 1.0], [-4.0, -0.4]])  # a damped oscillator
x0 = torch.tensor([1.0, 0.0])
for t in (0.5, 1.0, 2.0):
    exact = torch.linalg.matrix_exp(A * t) @ x0
    x = x0.clone()
    steps = 2000
    for _ in range(steps):
        x = x + (t / steps) * (A @ x)
    print(f"t={t}: expm {[round(v, 12) for v in exact.tolist()]} "
          f"euler error {(x - exact).norm().item():.3e}")
print(torch.matrix_exp(torch.zeros(2, 2)),
      torch.linalg.matrix_exp(torch.diag(torch.tensor([1.0, 2.0]))))
batch = torch.randn(3, 2, 2) * 0.3
print(torch.allclose(torch.linalg.matrix_exp(batch)[1], torch.linalg.matrix_exp(batch[1])))

# -- one system, many factorisations ----------------------------------------------------------
K = torch.randn(4, 4)
K = K @ K.T + 4 * torch.eye(4)  # symmetric positive definite
rhs = torch.randn(4, 2)
x_ref = torch.linalg.solve(K, rhs)
LU, piv = torch.linalg.lu_factor(K)
print("pivots", piv)
print("lu_solve", torch.allclose(torch.linalg.lu_solve(LU, piv, rhs), x_ref))
P_, L_, U_ = torch.lu_unpack(LU, piv)
print("P L U = K", torch.allclose(P_ @ L_ @ U_, K), torch.allclose(L_.diagonal(), torch.ones(4)))
P2, L2, U2 = torch.linalg.lu(K)
print(torch.allclose(L2, L_), torch.allclose(U2, U_))
LD, piv_ldl = torch.linalg.ldl_factor(K)
print("ldl_solve", torch.allclose(torch.linalg.ldl_solve(LD, piv_ldl, rhs), x_ref))
a_qr, tau = torch.geqrf(K)
Q = torch.linalg.householder_product(a_qr, tau)
R = a_qr.triu()
print("householder Q orthogonal", torch.allclose(Q.T @ Q, torch.eye(4)), torch.allclose(Q @ R, K))
print("ormqr", torch.allclose(torch.ormqr(a_qr, tau, rhs, transpose=True), Q.T @ rhs))
print("cholesky_solve", torch.allclose(torch.cholesky_solve(rhs, torch.linalg.cholesky(K)), x_ref))
print("solve left=False", torch.allclose(torch.linalg.solve(K, rhs.T, left=False), x_ref.T))

# -- products and tensor equations --------------------------------------------------------------
mats = [torch.randn(5, 3), torch.randn(3, 6), torch.randn(6, 2), torch.randn(2, 4)]
print("multi_dot", torch.allclose(torch.linalg.multi_dot(mats),
                                  mats[0] @ mats[1] @ mats[2] @ mats[3]))
e1, e2 = torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0])
print("cross", torch.linalg.cross(e1, e2),
      torch.linalg.cross(torch.randn(4, 3), torch.randn(4, 3)).shape)
print("vecdot", torch.linalg.vecdot(torch.arange(6.).view(2, 3), torch.ones(3)))
T = torch.randn(2, 3, 6)
B = torch.randn(2, 3)
X = torch.linalg.tensorsolve(T, B)
print("tensorsolve", X.shape, torch.allclose(torch.tensordot(T, X, dims=1), B))
Tin = torch.randn(4, 6, 8, 3)
inv = torch.linalg.tensorinv(Tin, ind=2)
print("tensorinv", inv.shape, torch.allclose(torch.tensordot(inv, Tin, dims=2).reshape(24, 24),
                                             torch.eye(24), atol=1e-8))

# -- singular matrices and the *_ex variants --------------------------------------------------
S_ = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
print(torch.linalg.inv_ex(S_).info, torch.linalg.cholesky_ex(S_).info,
      torch.linalg.solve_ex(S_, torch.ones(2)).info, torch.linalg.det(S_))
try:
    torch.linalg.inv(S_)
except Exception as exc:
    print(type(exc).__name__, str(exc)[:60])
try:
    torch.linalg.cholesky(-torch.eye(2))
except Exception as exc:
    print(type(exc).__name__, str(exc)[:80])

# -- gradients through factorisations ---------------------------------------------------------
Kr = K.clone().requires_grad_(True)
print("gradcheck eigvalsh", torch.autograd.gradcheck(
    lambda m: torch.linalg.eigvalsh(m @ m.T), (Kr,)))
print("gradcheck cholesky", torch.autograd.gradcheck(
    lambda m: torch.linalg.cholesky(m @ m.T + torch.eye(4)), (Kr,)))
print("gradcheck solve/det", torch.autograd.gradcheck(
    lambda m: (torch.linalg.solve(m, rhs), torch.linalg.det(m)), (Kr,)))
loss = torch.linalg.slogdet(Kr).logabsdet
loss.backward()
print("d logdet / dK = K^-T:", torch.allclose(Kr.grad, torch.linalg.inv(K).T))
w, V = torch.linalg.eigh(Kr)
w[-1].backward()
v_top = V[:, -1].detach()
print("d lambda_max / dK = v v^T:", torch.allclose(Kr.grad - torch.linalg.inv(K).T,
                                                   torch.outer(v_top, v_top)))

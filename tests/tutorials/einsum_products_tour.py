"""Products and contractions, each written two ways and checked: einsum for matmul, batch
matmul, trace, diagonal, outer, transposes, sums, bilinear forms and '...' ellipsis (also
the sublist form and repeated indices), against bmm / baddbmm / addbmm / addmm / addmv /
addr / mv / dot / vdot / inner / outer / ger-free outer / chain_matmul / linalg.multi_dot /
kron / tensordot with int and list dims / matrix_power (negative too) / cross /
linalg.vecdot / block_diag / cartesian_prod; beta and alpha scaling (beta=0 ignores NaN),
integer matmuls, shape errors, and gradients of each (compared with the einsum route)."""

import torch

torch.manual_seed(0)
torch.set_printoptions(precision=4)


def show(name, t):
    print(
        f"{name:14s}",
        tuple(t.shape),
        t.dtype,
        t.flatten()[:6].tolist()
        if t.dtype.is_floating_point is False
        else t.flatten()[:6].double().round(decimals=4).tolist(),
    )


A = torch.randn(3, 4, dtype=torch.float64)
B = torch.randn(4, 5, dtype=torch.float64)
v = torch.randn(4, dtype=torch.float64)
w = torch.randn(3, dtype=torch.float64)
S = torch.randn(4, 4, dtype=torch.float64)
X = torch.randn(2, 3, 4, dtype=torch.float64)
Y = torch.randn(2, 4, 5, dtype=torch.float64)

# -- einsum vs named ops -------------------------------------------------------------------------
pairs = [
    ("matmul", torch.einsum("ij,jk->ik", A, B), A @ B),
    ("bmm", torch.einsum("bij,bjk->bik", X, Y), torch.bmm(X, Y)),
    ("trace", torch.einsum("ii", S), torch.trace(S)),
    ("diagonal", torch.einsum("ii->i", S), torch.diagonal(S)),
    ("outer", torch.einsum("i,j->ij", w, v), torch.outer(w, v)),
    ("transpose", torch.einsum("ij->ji", A), A.T),
    ("sum all", torch.einsum("ij->", A), A.sum()),
    ("col sums", torch.einsum("ij->j", A), A.sum(0)),
    ("mv", torch.einsum("ij,j->i", A, v), torch.mv(A, v)),
    ("dot", torch.einsum("i,i->", v, v), torch.dot(v, v)),
    ("bilinear", torch.einsum("i,ij,j->", w, A, v), w @ A @ v),
    ("ellipsis", torch.einsum("...ij,...jk->...ik", X, Y), X @ Y),
    ("ellipsis mid", torch.einsum("b...j->b...", X), X.sum(-1)),
    ("batch diag", torch.einsum("bii->bi", torch.randn(2, 3, 3, dtype=torch.float64)), None),
    ("hadamard", torch.einsum("ij,ij->ij", A, A), A * A),
    ("implicit", torch.einsum("ij,jk", A, B), A @ B),
    ("implicit sort", torch.einsum("ba", A), A.T),
    ("sublist", torch.einsum(A, [0, 1], B, [1, 2], [0, 2]), A @ B),
    ("list operands", torch.einsum("ij,jk->ik", [A, B]), A @ B),
    ("spaces", torch.einsum(" i j , j k -> i k ", A, B), A @ B),
    (
        "3 operands",
        torch.einsum("ij,jk,kl->il", A, B, torch.randn(5, 2, dtype=torch.float64)),
        None,
    ),
]
for name, got, want in pairs:
    ok = "-" if want is None else torch.allclose(got, want)
    show(name, got)
    print("   matches:", ok)
print(
    "einsum int", torch.einsum("ij,jk->ik", torch.arange(6).view(2, 3), torch.arange(6).view(3, 2))
)
print("einsum bool error?", end=" ")
try:
    torch.einsum("ij,jk->ik", torch.ones(2, 3), torch.ones(4, 2))
except RuntimeError as e:
    print(type(e).__name__)
for bad in ["ij,jk->iz", "ij->ii", "ijk->ij"]:
    try:
        torch.einsum(bad, A) if "," not in bad else torch.einsum(bad, A, B)
        print(bad, "ok")
    except (RuntimeError, ValueError) as e:
        print(bad, type(e).__name__)

# -- the add* family -----------------------------------------------------------------------------
M = torch.randn(3, 5, dtype=torch.float64)
print("addmm", torch.addmm(M, A, B, beta=0.5, alpha=2.0).round(decimals=4))
print("  == ", torch.allclose(torch.addmm(M, A, B, beta=0.5, alpha=2.0), 0.5 * M + 2 * (A @ B)))
nanM = torch.full((3, 5), float("nan"), dtype=torch.float64)
print("addmm beta=0 ignores nan:", torch.addmm(nanM, A, B, beta=0).isnan().any().item())
print("addmm beta=0.0 float:", torch.addmm(nanM, A, B, beta=0.0).isnan().any().item())
print("addmv", torch.addmv(w, A, v, beta=2, alpha=-1).round(decimals=4))
print(
    "addr", torch.addr(torch.zeros(3, 4, dtype=torch.float64), w, v, alpha=3).round(decimals=4)[0]
)
print(
    "addr int",
    torch.addr(
        torch.ones(2, 2, dtype=torch.int64),
        torch.tensor([1, 2]),
        torch.tensor([3, 4]),
        beta=2,
        alpha=3,
    ),
)
bias = torch.randn(2, 3, 5, dtype=torch.float64)
print("baddbmm", torch.baddbmm(bias, X, Y, beta=0.1, alpha=0.9).round(decimals=4)[1, 0])
print(
    "addbmm",
    torch.addbmm(M, X, Y).round(decimals=4)[0],
    torch.allclose(torch.addbmm(M, X, Y), M + (X @ Y).sum(0)),
)
print(
    "mv/dot/vdot/inner",
    torch.mv(A, v).round(decimals=4),
    torch.dot(v, v).round(decimals=4),
    torch.vdot(v, v).round(decimals=4),
    torch.inner(A, A).round(decimals=4).shape,
    torch.inner(X, A).shape,
    torch.inner(v, torch.tensor(2.0, dtype=torch.float64)).shape,
)
print("dot int", torch.dot(torch.tensor([1, 2, 3]), torch.tensor([4, 5, 6])))
print("dot dtype mismatch:", end=" ")
try:
    torch.dot(torch.ones(3), torch.ones(3, dtype=torch.float64))
except RuntimeError as e:
    print(type(e).__name__)
print(
    "matmul shapes",
    (torch.randn(4) @ torch.randn(4, 5)).shape,
    (torch.randn(2, 1, 3, 4) @ torch.randn(5, 4, 2)).shape,
    torch.matmul(torch.randn(3), torch.randn(3)).shape,
    (torch.randn(7, 2, 3) @ torch.randn(3)).shape,
)
print("matmul mismatch:", end=" ")
try:
    torch.randn(2, 3) @ torch.randn(2, 3)
except RuntimeError as e:
    print(type(e).__name__, str(e))

# -- chains, kron, tensordot, powers -------------------------------------------------------------
mats = [
    torch.randn(3, 4, dtype=torch.float64),
    torch.randn(4, 6, dtype=torch.float64),
    torch.randn(6, 2, dtype=torch.float64),
    torch.randn(2, 5, dtype=torch.float64),
]
md = torch.linalg.multi_dot(mats)
print("multi_dot", md.shape, torch.allclose(md, mats[0] @ mats[1] @ mats[2] @ mats[3]))
print(
    "multi_dot 1-d ends",
    torch.linalg.multi_dot([v, S, S, v]).round(decimals=4),
    torch.linalg.multi_dot([v, S]).shape,
)
print("chain_matmul", torch.chain_matmul(*mats).shape)
K = torch.kron(torch.tensor([[1, 2], [3, 4]]), torch.tensor([[0, 1], [1, 0]]))
print("kron int", K)
print(
    "kron shapes",
    torch.kron(torch.ones(2, 3), torch.ones(4)).shape,
    torch.kron(torch.ones(2, 1, 3), torch.ones(5, 2)).shape,
)
T1 = torch.randn(3, 4, 5, dtype=torch.float64)
T2 = torch.randn(4, 5, 6, dtype=torch.float64)
print(
    "tensordot 2",
    torch.tensordot(T1, T2, dims=2).shape,
    torch.allclose(torch.tensordot(T1, T2, dims=2), torch.einsum("ijk,jkl->il", T1, T2)),
)
print(
    "tensordot lists",
    torch.tensordot(T1, T2, dims=([1, 2], [0, 1])).shape,
    torch.tensordot(T1, T2, dims=([1], [0])).shape,
    torch.tensordot(v, v, dims=0).shape,
    torch.tensordot(T1, torch.randn(5, 3, dtype=torch.float64), dims=([2, 0], [0, 1])).shape,
)
print("tensordot tensor dims", torch.tensordot(T1, T2, dims=torch.tensor(2)).shape)
P = torch.tensor([[1, 1], [1, 0]])
print("fibonacci", [torch.linalg.matrix_power(P, k)[0, 1].item() for k in range(10)])
print("matrix_power 0", torch.matrix_power(S, 0).diagonal())
Sp = S @ S.T + 4 * torch.eye(4, dtype=torch.float64)
print(
    "matrix_power -2",
    torch.allclose(torch.linalg.matrix_power(Sp, -2) @ Sp @ Sp, torch.eye(4, dtype=torch.float64)),
)
print("matrix_power batch", torch.linalg.matrix_power(torch.randn(2, 3, 3), 3).shape)
print(
    "cross",
    torch.linalg.cross(torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 1, 0])),
    torch.cross(torch.eye(3), torch.ones(3, 3), dim=1),
)
print("vecdot", torch.linalg.vecdot(A, A).round(decimals=4), torch.linalg.vecdot(X, v).shape)
print(
    "block_diag", torch.block_diag(torch.ones(1, 2), torch.tensor([[2]]), torch.full((2, 1), 3.0))
)
print(
    "cartesian_prod", torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])).tolist()
)


# -- gradients: named op vs einsum ---------------------------------------------------------------
def grads(fn, *xs):
    xs = [x.detach().clone().requires_grad_() for x in xs]
    out = fn(*xs)
    out.backward(torch.ones_like(out) if out.dim() else None)
    return [x.grad for x in xs], out.grad_fn.name()


cases = [
    ("bmm", lambda a, b: torch.bmm(a, b), lambda a, b: torch.einsum("bij,bjk->bik", a, b), (X, Y)),
    ("trace", torch.trace, lambda s: torch.einsum("ii", s), (S,)),
    ("outer", torch.outer, lambda a, b: torch.einsum("i,j->ij", a, b), (w, v)),
    ("mv", torch.mv, lambda a, b: torch.einsum("ij,j->i", a, b), (A, v)),
    (
        "kron",
        torch.kron,
        lambda a, b: torch.einsum("ij,kl->ikjl", a, b).reshape(a.shape[0] * b.shape[0], -1),
        (torch.randn(2, 2, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)),
    ),
    (
        "tensordot",
        lambda a, b: torch.tensordot(a, b, dims=2),
        lambda a, b: torch.einsum("ijk,jkl->il", a, b),
        (T1, T2),
    ),
    (
        "matrix_power",
        lambda s: torch.linalg.matrix_power(s, 3),
        lambda s: torch.einsum("ij,jk,kl->il", s, s, s),
        (S,),
    ),
    (
        "addmm",
        lambda m, a, b: torch.addmm(m, a, b, beta=0.5, alpha=2),
        lambda m, a, b: 0.5 * m + 2 * torch.einsum("ij,jk->ik", a, b),
        (M, A, B),
    ),
    (
        "baddbmm",
        lambda m, a, b: torch.baddbmm(m, a, b, beta=3),
        lambda m, a, b: 3 * m + a @ b,
        (bias, X, Y),
    ),
    (
        "addr",
        lambda m, a, b: torch.addr(m, a, b, alpha=-2),
        lambda m, a, b: m - 2 * torch.outer(a, b),
        (torch.zeros(3, 4, dtype=torch.float64), w, v),
    ),
    (
        "multi_dot",
        lambda a, b, c: torch.linalg.multi_dot([a, b, c]),
        lambda a, b, c: a @ b @ c,
        tuple(mats[:3]),
    ),
    ("dot", torch.dot, lambda a, b: (a * b).sum(), (v, v.flip(0))),
]
for name, f, g, args in cases:
    (ga, na), (gb, _) = grads(f, *args), grads(g, *args)
    same = all(torch.allclose(p, q) for p, q in zip(ga, gb))
    print(
        f"grad {name:13s} {na:22s} same as einsum: {same}",
        [tuple(t.shape) for t in ga],
        round(sum(t.abs().sum().item() for t in ga), 6),
    )
e = torch.randn(3, 3, requires_grad=True)
torch.einsum("ii->i", e).sum().backward()
print("diag grad", e.grad)
q = torch.randn(2, 3, requires_grad=True)
out = torch.einsum("ij->", q * 2)
out.backward()
print("einsum sum grad", q.grad, out.grad_fn.name())

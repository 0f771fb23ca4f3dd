"""Classic graph algorithms on dense adjacency matrices, written with tensor ops only (no
sparse tensors, no networks): breadth-first search by boolean frontier expansion, all-pairs
shortest paths by Floyd-Warshall (broadcast torch.minimum) and by min-plus matrix
"multiplication", single-source Dijkstra with argmin over unvisited nodes, connected
components by label propagation (scatter_reduce amin over an edge list), PageRank by power
iteration with dangling nodes, triangle counting with trace(A^3), a topological sort
(Kahn's algorithm) on a DAG, Prim's minimum spanning tree, bipartiteness by 2-colouring,
the graph Laplacian's spectrum (eigvalsh) counting components, random walks drawn with
torch.multinomial, and reachability by a transitive closure."""

import torch

torch.manual_seed(3)

# -- a random undirected weighted graph with two components -------------------------------------
n = 10
upper = torch.triu(torch.rand(n, n) < 0.35, diagonal=1)
upper[:6, 6:] = False                 # nodes 0-5 and 6-9 never connect
upper[6, 7] = upper[7, 8] = True      # make sure 6-9 is connected
upper[8, 9] = True
adj = upper | upper.T
weights = torch.randint(1, 10, (n, n)).float()
weights = torch.triu(weights, 1) + torch.triu(weights, 1).T
W = torch.where(adj, weights, torch.tensor(float("inf")))
W.fill_diagonal_(0)
print(adj.int())
print(W)
edges = adj.nonzero()
print("edges", edges.shape[0] // 2, "degrees", adj.sum(1))

# -- BFS levels from node 0 -----------------------------------------------------------------------
level = torch.full((n,), -1)
frontier = torch.zeros(n, dtype=torch.bool)
frontier[0] = True
depth = 0
while frontier.any():
    level[frontier] = depth
    frontier = (adj[frontier].any(0)) & (level < 0)
    depth += 1
print("BFS levels", level)

# -- Floyd-Warshall ----------------------------------------------------------------------------
D = W.clone()
nxt = torch.where(adj, torch.arange(n).expand(n, n), -1)
nxt.fill_diagonal_(-1)
for k in range(n):
    via = D[:, k:k + 1] + D[k:k + 1, :]
    better = via < D
    nxt = torch.where(better, nxt[:, k:k + 1].expand(n, n), nxt)
    D = torch.minimum(D, via)
print("Floyd-Warshall\n", D)


def path(i, j):
    if torch.isinf(D[i, j]):
        return None
    p = [i]
    while p[-1] != j:
        p.append(int(nxt[p[-1], j]))
    return p


print("path 0->5", path(0, 5), "path 6->9", path(6, 9), "path 0->9", path(0, 9))

# min-plus matrix powers give the same distances
M = W.clone()
for _ in range(4):
    M = (M.unsqueeze(2) + M.unsqueeze(0)).amin(dim=1)
print("min-plus agrees:", torch.equal(M, D))

# -- Dijkstra from node 0 ----------------------------------------------------------------------
dist = torch.full((n,), float("inf"))
dist[0] = 0
visited = torch.zeros(n, dtype=torch.bool)
order = []
while True:
    masked = torch.where(visited, torch.tensor(float("inf")), dist)
    u = int(masked.argmin())
    if torch.isinf(masked[u]):
        break
    visited[u] = True
    order.append(u)
    dist = torch.minimum(dist, dist[u] + W[u])
print("Dijkstra", dist, "visit order", order, torch.equal(dist, D[0]))

# -- connected components by label propagation -------------------------------------------------
labels = torch.arange(n)
src, dst = edges[:, 0], edges[:, 1]
for it in range(n):  # noqa: B007  (printed afterwards)
    new = labels.scatter_reduce(0, dst, labels[src], reduce="amin", include_self=True)
    if torch.equal(new, labels):
        break
    labels = new
print("components", labels, "after", it, "rounds;", torch.unique(labels, return_counts=True))

# Laplacian: the multiplicity of eigenvalue 0 is the number of components
A = adj.double()
L = torch.diag(A.sum(1)) - A
ev = torch.linalg.eigvalsh(L)
# (the zero eigenvalues come out as +-1e-16, their sign up to LAPACK: clamp them)
print("Laplacian spectrum", ev.clamp(min=0).round(decimals=4),
      "zero eigenvalues", (ev.abs() < 1e-9).sum().item())

# -- triangles, bipartiteness, transitive closure ----------------------------------------------
A3 = torch.linalg.matrix_power(A, 3)
print("triangles", (torch.trace(A3) / 6).item(), "per node", (A3.diagonal() / 2).long())
colour = torch.full((n,), -1)
bipartite = True
for start in range(n):
    if colour[start] >= 0:
        continue
    colour[start] = 0
    queue = [start]
    while queue:
        u = queue.pop(0)
        for v in adj[u].nonzero().flatten().tolist():
            if colour[v] < 0:
                colour[v] = 1 - colour[u]
                queue.append(v)
            elif colour[v] == colour[u]:
                bipartite = False
print("bipartite", bipartite, "colouring", colour)
R = adj | torch.eye(n, dtype=torch.bool)
while True:
    R2 = (R.int() @ R.int()) > 0
    if torch.equal(R2, R):
        break
    R = R2
print("reachable from 0:", R[0].nonzero().flatten().tolist(), "closure size", R.sum().item())

# -- PageRank on a directed graph with a dangling node -------------------------------------------
G = (torch.rand(8, 8) < 0.3) & ~torch.eye(8, dtype=torch.bool)
G[7] = False                                  # node 7 has no out-links
G[3, 7] = G[5, 7] = True
out_deg = G.sum(1, keepdim=True).float()
P = torch.where(out_deg > 0, G.float() / out_deg.clamp(min=1), torch.full((8, 8), 1 / 8))
rank = torch.full((8,), 1 / 8)
d = 0.85
for it in range(100):  # noqa: B007  (printed afterwards)
    new = (1 - d) / 8 + d * (rank @ P)
    delta = (new - rank).abs().sum()
    rank = new
    if delta < 1e-6:
        break
print("PageRank after", it + 1, "iterations:", rank, "sum", f"{rank.sum():.6f}")
print("ranking", rank.argsort(descending=True))
# the same vector as the leading left eigenvector of the Google matrix (float64)
Gm = (1 - d) / 8 + d * P.double()
v = torch.full((8,), 1 / 8, dtype=torch.float64)
for _ in range(200):
    v = v @ Gm
print("float64 power iteration", v.round(decimals=5), torch.allclose(v.float(), rank, atol=1e-5))

# -- topological sort of a DAG (Kahn) ----------------------------------------------------------
dag = torch.triu(torch.rand(7, 7) < 0.4, diagonal=1)
perm = torch.randperm(7)
dag = dag[perm][:, perm]                      # hide the order
indeg = dag.sum(0)
ready = (indeg == 0).nonzero().flatten().tolist()
topo = []
while ready:
    u = min(ready)
    ready.remove(u)
    topo.append(u)
    for v in dag[u].nonzero().flatten().tolist():
        indeg[v] -= 1
        if indeg[v] == 0:
            ready.append(v)
print("DAG edges", dag.nonzero().tolist())
print("topological order", topo)
pos = torch.empty(7, dtype=torch.long)
pos[torch.tensor(topo)] = torch.arange(7)
e = dag.nonzero()
print("every edge forward:", bool((pos[e[:, 0]] < pos[e[:, 1]]).all()))

# -- Prim's minimum spanning tree on the first component ---------------------------------------
comp = (labels == 0).nonzero().flatten()
Wc = W[comp][:, comp]
m = len(comp)
in_tree = torch.zeros(m, dtype=torch.bool)
in_tree[0] = True
best = Wc[0].clone()
parent = torch.zeros(m, dtype=torch.long)
tree_edges, total = [], 0.0
for _ in range(m - 1):
    cand = torch.where(in_tree, torch.tensor(float("inf")), best)
    v = int(cand.argmin())
    tree_edges.append((int(comp[parent[v]]), int(comp[v]), cand[v].item()))
    total += cand[v].item()
    in_tree[v] = True
    closer = Wc[v] < best
    parent = torch.where(closer, v, parent)
    best = torch.minimum(best, Wc[v])
print("MST", tree_edges, "weight", total)

# -- random walks ------------------------------------------------------------------------------
g = torch.Generator().manual_seed(11)
T = adj.float() / adj.sum(1, keepdim=True)
walks = torch.empty(4, 8, dtype=torch.long)
walks[:, 0] = torch.tensor([0, 2, 6, 9])
for t in range(1, 8):
    walks[:, t] = torch.multinomial(T[walks[:, t - 1]], 1, generator=g).squeeze(1)
print(walks)
visits = torch.bincount(walks.flatten(), minlength=n)
print("visits", visits,
      "stay in their component:", bool((labels[walks] == labels[walks[:, :1]]).all()))

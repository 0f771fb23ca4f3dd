"""Advanced indexing and in-place updates, the way study notes collect them: index_put_
with accumulate, masked_fill/masked_scatter/masked_select, nonzero(as_tuple=True),
take_along_dim, scatter_reduce with every reduction and include_self, index_add/index_copy/
index_fill, boolean masks with broadcasting, setitem with tensors/lists/Ellipsis/None,
one-hot building, and the gradients that flow through all of it."""

import torch

torch.manual_seed(0)

# -- index_put_ and accumulate ---------------------------------------------------------------------
t = torch.zeros(5)
idx = torch.tensor([0, 1, 1, 3, 3, 3])
t.index_put_((idx,), torch.ones(6), accumulate=True)
print("accumulate=True:", t)
t2 = torch.zeros(5)
t2[idx] += 1  # repeated indices are written once, not accumulated
print("t[idx] += 1:", t2)
print(
    "index_put out of place:",
    torch.zeros(3, 3).index_put((torch.tensor([0, 2]), torch.tensor([1, 1])), torch.tensor(9.0)),
)
grid = torch.zeros(3, 4, dtype=torch.long)
grid.index_put_(
    (torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])), torch.tensor([5, 6, 7]), accumulate=True
)
print(grid)

# -- masks -----------------------------------------------------------------------------------------
x = torch.randn(3, 4)
print(x.round(decimals=3))
mask = x > 0
print(mask)
print("masked_select:", x.masked_select(mask).round(decimals=3))
print("x[mask].shape:", x[mask].shape)
print(x.masked_fill(~mask, 0.0).round(decimals=3))
print(x.masked_fill(x.abs() > 1, float("-inf")).round(decimals=3))
row_mask = torch.tensor([True, False, True])
print("row mask:", x[row_mask].shape, x[row_mask, 1:3].shape)
col_mask = torch.tensor([[True, False, False, True]])
print(x.masked_fill(col_mask, 7.0).round(decimals=3))  # broadcast over rows
src = torch.arange(100.0, 112.0).reshape(3, 4)
print(torch.zeros(3, 4).masked_scatter(mask, src))
y = x.clone()
y[x < 0] = 0
print("relu by mask:", torch.equal(y, x.clamp(min=0)))
y[y > 0.5] *= 10
print(y.round(decimals=3))
print("count:", mask.sum().item(), mask.sum(dim=1), mask.any(dim=0), mask.all())
print("where:", torch.where(mask, x, torch.zeros(())).round(decimals=3))
print("where scalar:", torch.where(mask, 1, -1))
print("nonzero:", torch.nonzero(mask))
rows, cols = torch.nonzero(mask, as_tuple=True)
print("as_tuple:", rows, cols)
print(torch.equal(x[rows, cols], x[mask]))
print("argwhere:", torch.argwhere(torch.tensor([0, 3, 0, 4])))
print(
    "nonzero empty:", torch.nonzero(torch.zeros(2, 2)), torch.nonzero(torch.zeros(3), as_tuple=True)
)

# -- gather / take_along_dim -----------------------------------------------------------------------
scores = torch.randn(4, 5)
top = scores.argmax(dim=1, keepdim=True)
print(torch.take_along_dim(scores, top, dim=1).squeeze(1).round(decimals=4))
print(torch.equal(torch.take_along_dim(scores, top, dim=1), scores.gather(1, top)))
order = scores.argsort(dim=1, descending=True)
print(torch.take_along_dim(scores, order, dim=1)[:, :2].round(decimals=4))
print(torch.take_along_dim(torch.arange(6).reshape(2, 3), torch.tensor([5, 0])))
print(torch.take(torch.arange(10, 16).reshape(2, 3), torch.tensor([[0, 5], [2, 2]])))

# -- scatter_reduce --------------------------------------------------------------------------------
src = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
index = torch.tensor([0, 1, 0, 1, 2, 1])
base = torch.tensor([10.0, 20.0, 30.0, 40.0])
for reduce in ("sum", "prod", "mean", "amax", "amin"):
    for include_self in (True, False):
        out = base.scatter_reduce(0, index, src, reduce=reduce, include_self=include_self)
        print(f"{reduce:>4} include_self={include_self!s:5}:", out)
ints = torch.tensor([5, 1, 7, 2])
print(torch.zeros(2, dtype=torch.long).scatter_reduce(0, torch.tensor([0, 0, 1, 1]), ints, "mean"))
print(
    torch.zeros(2, dtype=torch.long).scatter_reduce(
        0, torch.tensor([0, 0, 1, 1]), ints, "mean", include_self=False
    )
)
m = torch.zeros(2, 3).scatter_reduce(
    1,
    torch.tensor([[0, 0, 2], [1, 1, 1]]),
    torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    "amax",
    include_self=False,
)
print(m)
print(torch.zeros(3).scatter_add(0, torch.tensor([2, 2, 0]), torch.tensor([1.0, 2.0, 3.0])))
print(torch.zeros(2, 4).scatter(1, torch.tensor([[3], [0]]), 1.0))
print(
    torch.zeros(2, 4).scatter(
        1, torch.tensor([[3, 1], [0, 2]]), torch.tensor([[5.0, 6.0], [7.0, 8.0]])
    )
)

# -- index_add / index_copy / index_fill / index_select --------------------------------------------
acc = torch.ones(4, 2)
print(acc.index_add(0, torch.tensor([0, 3, 0]), torch.arange(6.0).reshape(3, 2)))
print(acc.index_add(0, torch.tensor([1, 1]), torch.ones(2, 2), alpha=-0.5))
print(acc.index_add(1, torch.tensor([1]), torch.full((4, 1), 2.0)))
print(torch.zeros(4, 2).index_copy(0, torch.tensor([3, 1]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])))
print(torch.zeros(2, 5).index_fill(1, torch.tensor([0, 4]), -1.0))
print(torch.arange(12).reshape(3, 4).index_select(1, torch.tensor([3, 0, 3])))
acc.index_add_(0, torch.tensor([2]), torch.tensor([[10.0, 20.0]]))
acc.index_fill_(1, torch.tensor([0]), 0.5)
print(acc)

# -- setitem with tensors, lists, Ellipsis, None ---------------------------------------------------
a = torch.zeros(3, 4)
a[0] = 1
a[:, 1] = torch.tensor([5.0, 6.0, 7.0])
a[[1, 2], [2, 3]] = torch.tensor([8.0, 9.0])
a[..., 0] += 2
a[2, ...] *= -1
a[torch.tensor([0, 2]), 2:] = 4
print(a)
b = torch.arange(24).reshape(2, 3, 4)
print(b[..., 1].shape, b[None].shape, b[:, None, :, None].shape, b[..., None].shape)
print(b[1, ..., 2], b[0, [0, 2]][:, [1, 3]])
print(b[[0, 1], [1, 2]], b[[0, 1], :, [1, 2]].shape, b[:, [0, 2], [1, 3]].shape)
print(b[torch.tensor([[0], [1]]), torch.tensor([[0, 1, 2]])].shape)
print(b[1, 1:, ::2], b[:, -1, -1], b[0][b[0] % 5 == 0])
c = torch.zeros(2, 3)
c[:, [True, False, True]] = 3.0
c[c == 0] = torch.tensor([1.0, 2.0])
print(c)
d = torch.arange(6.0).reshape(2, 3)
d[d > 2] = torch.tensor(-1.0)
d[0, None] = 9
print(d)

# -- one-hot building ------------------------------------------------------------------------------
labels = torch.randint(0, 4, (6,))
print("labels:", labels)
onehot = torch.zeros(6, 4)
onehot[torch.arange(6), labels] = 1
print(onehot)
print(torch.equal(onehot, torch.nn.functional.one_hot(labels, 4).float()))
print(torch.zeros(6, 4).scatter_(1, labels.unsqueeze(1), 1.0).equal(onehot))
print(torch.eye(4)[labels].equal(onehot))
print(torch.nn.functional.one_hot(torch.tensor([[0, 2], [1, 1]])))
print("back to labels:", onehot.argmax(dim=1))

# -- gradients through indexing --------------------------------------------------------------------
w = torch.randn(5, requires_grad=True)
picked = w[torch.tensor([0, 0, 4, 2])]
picked.pow(2).sum().backward()
print("grad through gather with repeats:", w.grad.round(decimals=4), picked.grad_fn.name())
w.grad = None
(w[w > 0].sum() + w.masked_fill(w < 0, 0).sum()).backward()
print("grad through masks:", w.grad)
w.grad = None
z = torch.zeros(3).scatter_reduce(0, torch.tensor([0, 0, 1, 2, 2]), w, "amax", include_self=False)
z.sum().backward()
print("amax scatter grad:", w.grad, z.grad_fn.name())
w.grad = None
h = w.clone()
h[1:3] = 0.0
h.index_fill(0, torch.tensor([4]), 2.0).mul(torch.arange(5.0)).sum().backward()
print("grad after overwrite:", w.grad, h.grad_fn.name())
w.grad = None
torch.zeros(2).index_add(0, torch.tensor([1, 0, 1, 1, 0]), w, alpha=3).sum().backward()
print("index_add grad:", w.grad)
m = torch.randn(3, 4, requires_grad=True)
m.take_along_dim(torch.tensor([[0], [3], [3]]), dim=1).sum().backward()
print(m.grad)

"""The errors learners hit with autograd and shapes, caught and printed: backward on a
non-scalar, backward twice, in-place on leaves and on saved tensors (the version counter),
.numpy() on a tensor that requires grad, shape mismatches in matmul/Linear/cat/view,
integer tensors that require grad, dtype mismatches in losses, indices out of range. Each
is followed by the fix a learner would apply."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def attempt(title, fn, message=True):
    """Run fn; print its result, or the exception's type (and first message line)."""
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - a tour of errors
        first = str(e).splitlines()[0] if str(e) else ""
        print(f"{title}: {type(e).__name__}" + (f": {first}" if message else ""))
        return None
    print(f"{title}: ok ->", out)
    return out


# -- backward on a non-scalar ----------------------------------------------------------------------
x = torch.randn(3, requires_grad=True)
y = x * 2
attempt("backward on vector", lambda: y.backward())
y.backward(torch.ones_like(y))
print("grad with explicit gradient:", x.grad)
x.grad = None
y = x * 2
y.sum().backward()
print("grad via sum():", x.grad)

# -- backward twice --------------------------------------------------------------------------------
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
loss = (w.exp() * w).sum()
loss.backward()
attempt("second backward", lambda: loss.backward())
w.grad = None
loss = (w.exp() * w).sum()
loss.backward(retain_graph=True)
loss.backward()
print("accumulated grad after two backwards:", w.grad)
loss2 = (w + 3).sum()
loss2.backward()
loss2.backward()  # nothing saved: a second pass is fine
print("add-only loss twice:", w.grad)

# -- in-place on a leaf that requires grad ---------------------------------------------------------
leaf = torch.ones(4, requires_grad=True)
attempt("leaf.add_(1)", lambda: leaf.add_(1))
attempt("leaf[0] = 5", lambda: leaf.__setitem__(0, 5.0))
with torch.no_grad():
    leaf.add_(1)
    leaf[0] = 5.0
print("under no_grad:", leaf, leaf.is_leaf, leaf.requires_grad)
leaf.data.mul_(2)
print("through .data:", leaf)

# -- in-place change of a saved tensor -------------------------------------------------------------
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
c = b * 2
print("version before:", b._version)
b.mul_(3)
print("version after:", b._version)
attempt("sigmoid saved its output", lambda: c.sum().backward(), message=False)
a2 = torch.randn(3, requires_grad=True)
e = a2.exp()
e.add_(1)  # exp saves its result: modified in place
attempt("exp then add_", lambda: e.sum().backward(), message=False)
a3 = torch.randn(3, requires_grad=True)
s = a3 * 1
t = s * s
s.zero_()
attempt("mul saved both inputs", lambda: t.sum().backward(), message=False)
a4 = torch.randn(3, requires_grad=True)
r = a4 + 1  # add saves nothing: in-place after is fine
q = r + 2
r.mul_(2)
q.sum().backward()
print("add saved nothing, grad:", a4.grad)

# -- .numpy() and friends --------------------------------------------------------------------------
p = torch.randn(2, requires_grad=True)
attempt("p.numpy()", lambda: p.numpy())
print("detach().numpy():", p.detach().numpy().shape, p.detach().numpy().dtype)
attempt("float(p) on 2 elements", lambda: float(p))
attempt("p.item()", lambda: p.item())
print("p[0].item() is a float:", isinstance(p[0].item(), float))

# -- integer tensors and requires_grad -------------------------------------------------------------
attempt("long requires_grad", lambda: torch.tensor([1, 2, 3], requires_grad=True))
attempt("bool requires_grad_", lambda: torch.tensor([True]).requires_grad_())
f = torch.tensor([1.0, 2.0], requires_grad=True)
i = (f * 10).long()
print("cast to long cuts the graph:", i.requires_grad, i.grad_fn)
attempt("nonleaf requires_grad_(False)", lambda: (f * 2).requires_grad_(False))
print("grad of a non-leaf is None:", (f * 2).grad, (f * 2).is_leaf)

# -- shapes ----------------------------------------------------------------------------------------
m1 = torch.randn(2, 3)
m2 = torch.randn(2, 3)
attempt("matmul (2,3)@(2,3)", lambda: m1 @ m2)
print("matmul with transpose:", (m1 @ m2.T).shape)
attempt("mm 1-D", lambda: torch.mm(m1, torch.randn(3)))
attempt("bmm 2-D", lambda: torch.bmm(m1, m2))
lin = nn.Linear(4, 2)
attempt("Linear(4,2) on (5,3)", lambda: lin(torch.randn(5, 3)))
print("Linear on (5,4):", lin(torch.randn(5, 4)).shape)
print("Linear on (7,5,4):", lin(torch.randn(7, 5, 4)).shape)
attempt("cat (2,3)+(3,2) dim 0", lambda: torch.cat([torch.ones(2, 3), torch.ones(3, 2)]))
attempt("cat rank mismatch", lambda: torch.cat([torch.ones(2, 3), torch.ones(3)]))
attempt("cat empty list", lambda: torch.cat([]))
attempt("stack (2,3)+(2,4)", lambda: torch.stack([torch.ones(2, 3), torch.ones(2, 4)]))
nc = torch.arange(6.0).reshape(2, 3).t()
print("is_contiguous:", nc.is_contiguous())
attempt("view on transposed", lambda: nc.view(6), message=False)
print("reshape instead:", nc.reshape(6))
print("contiguous().view:", nc.contiguous().view(3, 2))
attempt("view(4, -1) on 6 elements", lambda: torch.arange(6).view(4, -1))
attempt("view(-1, -1)", lambda: torch.arange(6).view(-1, -1))
attempt("broadcast (3,) + (4,)", lambda: torch.ones(3) + torch.ones(4))
attempt("expand (3,1)->(3,4)", lambda: torch.ones(3, 1).expand(3, 4).shape)
attempt("expand (3,2)->(3,4)", lambda: torch.ones(3, 2).expand(3, 4))
attempt("squeeze dim out of range", lambda: torch.ones(2, 1).squeeze(2))
attempt("transpose dim out of range", lambda: torch.ones(2, 3).transpose(0, 3))
attempt("sum dim out of range", lambda: torch.ones(2, 3).sum(-3))

# -- dtypes in losses ------------------------------------------------------------------------------
logits = torch.randn(4, 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2])
print("cross_entropy with long:", round(F.cross_entropy(logits, labels).item(), 4))
attempt("cross_entropy with int32", lambda: F.cross_entropy(logits, labels.int()).shape)
attempt("cross_entropy float class idx", lambda: F.cross_entropy(logits, labels.float()))
attempt("cross_entropy label 3 of 3", lambda: F.cross_entropy(logits, torch.tensor([0, 1, 2, 3])))
probs = F.one_hot(labels, 3).float()
print("cross_entropy with probabilities:", round(F.cross_entropy(logits, probs).item(), 4))
pred = torch.randn(4, requires_grad=True)
attempt("mse_loss float vs long", lambda: F.mse_loss(pred, torch.tensor([1, 0, 1, 0])))
attempt(
    "mse_loss float32 vs float64", lambda: F.mse_loss(pred, torch.zeros(4, dtype=torch.float64))
)
print(
    "mse_loss with float target:",
    round(F.mse_loss(pred, torch.tensor([1.0, 0.0, 1.0, 0.0])).item(), 4),
)
attempt(
    "bce on logits > 1", lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))
)
attempt("bce long target", lambda: F.binary_cross_entropy(torch.tensor([0.5]), torch.tensor([1])))
print("bce_with_logits:", round(F.binary_cross_entropy_with_logits(pred, torch.ones(4)).item(), 4))
attempt("nll_loss 1-D input", lambda: F.nll_loss(torch.randn(3), torch.tensor(1)).shape)
attempt("float32 @ float64", lambda: torch.ones(2, 2) @ torch.ones(2, 2, dtype=torch.float64))
attempt("long @ float", lambda: torch.ones(2, 2, dtype=torch.long) @ torch.ones(2, 2))
attempt("Linear on long input", lambda: lin(torch.ones(1, 4, dtype=torch.long)))
attempt("Linear on float64 input", lambda: lin(torch.ones(1, 4, dtype=torch.float64)))
print("Linear after .double():", lin.double()(torch.ones(1, 4, dtype=torch.float64)).dtype)

# -- indices out of range --------------------------------------------------------------------------
v = torch.arange(5)
attempt("v[5]", lambda: v[5])
attempt("v[-6]", lambda: v[-6])
print("v[-5], v[10:] :", v[-5], v[10:])
attempt("v[tensor([0, 7])]", lambda: v[torch.tensor([0, 7])])
attempt("v[[True, False]]", lambda: v[torch.tensor([True, False])])
attempt("index with float", lambda: v[torch.tensor([1.0])])
emb = nn.Embedding(10, 3)
attempt("Embedding index 10", lambda: emb(torch.tensor([1, 10])))
attempt("Embedding float index", lambda: emb(torch.tensor([1.0])))
attempt("gather index 3", lambda: torch.gather(torch.ones(2, 3), 1, torch.tensor([[0], [3]])))
attempt("one_hot too few classes", lambda: F.one_hot(torch.tensor([0, 3]), 3))
attempt("negative step slice", lambda: v[::-1])
print("flip instead:", v.flip(0))
attempt("too many indices", lambda: v[0, 0])

# -- optimizer and module mistakes -----------------------------------------------------------------
attempt("SGD on empty list", lambda: torch.optim.SGD([], lr=0.1))
attempt("SGD negative lr", lambda: torch.optim.SGD(lin.parameters(), lr=-1))
attempt("Adam bad beta", lambda: torch.optim.Adam(lin.parameters(), betas=(1.0, 0.999)))
attempt(
    "load_state_dict missing", lambda: nn.Linear(4, 2).load_state_dict({"weight": torch.ones(2, 4)})
)
print("strict=False:", nn.Linear(4, 2).load_state_dict({"weight": torch.ones(2, 4)}, strict=False))
attempt(
    "load_state_dict wrong shape",
    lambda: nn.Linear(4, 2).load_state_dict({"weight": torch.ones(3, 4), "bias": torch.ones(2)}),
)
attempt("forward before setting up", lambda: nn.Module()(torch.ones(1)))

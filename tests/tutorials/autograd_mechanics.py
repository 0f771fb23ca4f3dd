"""The 'Autograd mechanics' note and the autograd tutorial's corners: requires_grad
propagation, is_leaf and retain_grad, grad accumulation across backward calls, tensor
hooks that change gradients, retain_graph and the error of a second backward, the version
counter's error after an in-place change of a saved tensor, leaf in-place errors, no_grad /
enable_grad / set_grad_enabled / inference_mode, torch.autograd.grad with allow_unused and
materialize_grads, grad_fn.next_functions and saved tensors (_saved_self), saved-tensor
hooks (torch.autograd.graph.saved_tensors_hooks, save_on_cpu), detect_anomaly's error,
and backward through views."""

import warnings

import torch

torch.manual_seed(0)

# -- requires_grad, leaves, retain_grad ----------------------------------------------------------
x = torch.randn(5, 5)
y = torch.randn(5, 5)
z = torch.randn((5, 5), requires_grad=True)
a = x + y
print(a.requires_grad)
b = a + z
print(b.requires_grad, b.is_leaf, z.is_leaf, b.grad_fn.name())
c = b * 2
c.retain_grad()
d = c.sum()
d.backward()
print(c.grad[0], z.grad[0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(b.grad)
    print(len(caught), "warning:", str(caught[0].message)[:60] if caught else None)
d = (b * 2).sum()
d.backward()
print(z.grad[0])  # accumulated: 2 + 2
z.grad = None

# -- hooks ---------------------------------------------------------------------------------------
v = torch.tensor([0., 0., 0.], requires_grad=True)
h = v.register_hook(lambda grad: grad * 2)
v.backward(torch.tensor([1., 2., 3.]))
print(v.grad)
h.remove()
v.grad.zero_()
v.backward(torch.tensor([1., 2., 3.]))
print(v.grad)
w = torch.tensor([1., 2.], requires_grad=True)
mid = w * 3
mid.register_hook(lambda g: print("  grad at mid", g))
mid.register_hook(lambda g: g + 100)
(mid ** 2).sum().backward()
print(w.grad)
acc = []
w.register_post_accumulate_grad_hook(lambda p: acc.append(p.grad.clone()))
(w * w).sum().backward()
print(acc)

# -- retain_graph and a second backward ------------------------------------------------------------
p = torch.tensor([1.0, 2.0], requires_grad=True)
q = (p.exp() * p).sum()
q.backward(retain_graph=True)
q.backward()
print(p.grad)
q = (p.exp() * p).sum()
q.backward()
try:
    q.backward()
except RuntimeError as e:
    print("RuntimeError:", str(e).split(".")[0])

# -- in-place operations and the version counter ----
a = torch.randn(3, requires_grad=True)
b = a.sigmoid()
print(b._version)
b.mul_(2)
print(b._version)
try:
    b.sum().backward()
except RuntimeError as e:
    print("RuntimeError:", str(e)[:120])
try:
    a.add_(1)
except RuntimeError as e:
    print("RuntimeError:", e)
with torch.no_grad():
    a.add_(1)
print(a.requires_grad, a.is_leaf, a._version)
e = a.clone()
e[0] = 10.0
print(e.grad_fn.name(), e.grad_fn.next_functions[0][0].name())
e.sum().backward()
print(a.grad)

# -- views share storage and gradient flows through them ----
base = torch.zeros(4, requires_grad=True).clone()
view = base[1:3]
view.mul_(1).add_(torch.tensor([1.0, 2.0]))
print(base, base.grad_fn.name(), view._is_view(), view._base is base)
leaf = torch.ones(2, 3, requires_grad=True)
t = leaf.t()
t.contiguous().view(-1)[::2].sum().backward()
print(leaf.grad)

# -- grad modes ----
x = torch.ones(2, requires_grad=True)
with torch.no_grad():
    y = x * 2
    with torch.enable_grad():
        z = x * 2
print(y.requires_grad, z.requires_grad)
torch.set_grad_enabled(False)
print((x * 2).requires_grad)
torch.set_grad_enabled(True)
with torch.set_grad_enabled(False):
    print((x * 2).requires_grad, torch.is_grad_enabled())
print(torch.is_grad_enabled())


@torch.no_grad()
def doubler(t):
    return t * 2


print(doubler(x).requires_grad)
with torch.inference_mode():
    inf = x * 2
print(inf.requires_grad, inf.is_inference())
try:
    inf.add_(1)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:70])

# -- torch.autograd.grad ---------------------------------------------------------------------------
u = torch.tensor([1.0, 2.0], requires_grad=True)
s = torch.tensor([3.0], requires_grad=True)
out = (u ** 3).sum()
(gu,) = torch.autograd.grad(out, u, create_graph=True)
print(gu, gu.requires_grad)
(ggu,) = torch.autograd.grad(gu.sum(), u)
print(ggu)
try:
    torch.autograd.grad((u * 2).sum(), [u, s])
except RuntimeError as e:
    print("RuntimeError:", str(e)[:80])
print(torch.autograd.grad((u * 2).sum(), [u, s], allow_unused=True))
print(torch.autograd.grad((u * 2).sum(), [u, s], allow_unused=True, materialize_grads=True))
print(torch.autograd.grad([u.sum(), (u * u).sum()], u, grad_outputs=[torch.tensor(1.0),
                                                                       torch.tensor(0.5)]))

# -- the graph: next_functions, saved tensors, metadata ----
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0], requires_grad=True)
c = (a * b).sin()
print(c.grad_fn.name(), [(f.name() if f else None, i) for f, i in c.grad_fn.next_functions])
mul = c.grad_fn.next_functions[0][0]
print([f.name() if f else None for f, _ in mul.next_functions])
print(mul._saved_self, mul._saved_other, c.grad_fn._saved_self)
print(mul.next_functions[0][0].variable is a)
c.grad_fn.metadata["note"] = "sin"
print(c.grad_fn.metadata)

# -- saved tensor hooks ----
packed = []


def pack_hook(t):
    packed.append(tuple(t.shape))
    return t.clone()


def unpack_hook(t):
    return t


x = torch.randn(3, requires_grad=True)
with torch.autograd.graph.saved_tensors_hooks(pack_hook, unpack_hook):
    y = (x * x).exp()
y.sum().backward()
print(packed, torch.allclose(x.grad, 2 * x * (x * x).exp()))
with torch.autograd.graph.save_on_cpu():
    y = x.pow(2).sum()
y.backward()
print(x.grad.shape)

# -- anomaly detection ----
x = torch.tensor([0.0, 1.0], requires_grad=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with torch.autograd.detect_anomaly():
        y = x.sqrt() * 0
        try:
            y.sum().backward()
        except RuntimeError as e:
            print("RuntimeError:", str(e)[:60])
print(x.grad)
print(torch.is_anomaly_enabled())

"""Views, strides and memory, the notebook a learner writes after "view vs reshape" bites:
stride()/is_contiguous()/storage_offset() through transpose, permute, slicing with steps,
expand, unsqueeze, narrow, diagonal, unfold, as_strided; which ops share memory (views
see each other's writes) and which copy (reshape on non-contiguous, contiguous, clone,
flatten, repeat, fancy indexing); chunk/split/unbind/tensor_split; movedim/unflatten;
channels_last memory format; and the version counter that views share."""

import torch

torch.manual_seed(0)


def info(name, t):
    print(
        f"{name:28s} shape {str(tuple(t.shape)):14s} stride {str(t.stride()):16s} "
        f"offset {t.storage_offset():2d} contiguous {t.is_contiguous()}"
    )


base = torch.arange(24.0).reshape(2, 3, 4)
info("base", base)
info("base.transpose(0, 2)", base.transpose(0, 2))
info("base.permute(1, 2, 0)", base.permute(1, 2, 0))
info("base[:, 1]", base[:, 1])
info("base[..., ::2]", base[..., ::2])
info("base[1, 1:, 1:3]", base[1, 1:, 1:3])
info("base.mT", base.mT)
info("base[:, None]", base[:, None])
info("base.unsqueeze(-1)", base.unsqueeze(-1))
info("base[0].expand(5, 3, 4)", base[0].expand(5, 3, 4))
info("base.narrow(2, 1, 2)", base.narrow(2, 1, 2))
info("base[0].diagonal()", base[0].diagonal())
info("base[0].diagonal(1)", base[0].diagonal(1))
info("arange(8).unfold(0, 3, 2)", torch.arange(8.0).unfold(0, 3, 2))
info("as_strided sliding", torch.arange(6.0).as_strided((4, 3), (1, 1)))
info("base.flatten()", base.flatten())
info("base.T.flatten()", base.permute(2, 1, 0).flatten())
info("base.view(6, 4)", base.view(6, 4))
info("base.view(-1)", base.view(-1))
info("base.unflatten(2, (2, 2))", base.unflatten(2, (2, 2)))
info("base.movedim(0, -1)", base.movedim(0, -1))
info("base.select(1, 2)", base.select(1, 2))
info("empty (0, 3)", torch.empty(0, 3))
info("scalar", torch.tensor(1.0))
info("size-1 dims", torch.ones(3, 1, 4)[:, :, ::2])
print(torch.arange(6.0).as_strided((4, 3), (1, 1)))
print(torch.arange(8.0).unfold(0, 3, 2))


# -- which ops share memory ------------------------------------------------------------------------
def shares(a, b):
    return (
        a.data_ptr() <= b.data_ptr() < a.data_ptr() + a.numel() * a.element_size()
        or b.data_ptr() <= a.data_ptr() < b.data_ptr() + b.numel() * b.element_size()
    )


t = torch.arange(12.0).reshape(3, 4)
tt = t.t()
print("transpose shares:", shares(t, tt), "| view shares:", shares(t, t.view(12)))
print("reshape contiguous shares:", shares(t, t.reshape(2, 6)))
print("reshape transposed shares:", shares(tt, tt.reshape(12)))
print(
    "contiguous() on contiguous is self:",
    t.contiguous() is t,
    "on transposed:",
    shares(tt, tt.contiguous()),
)
print("clone shares:", shares(t, t.clone()), "| detach shares:", shares(t, t.detach()))
print("flatten of transposed shares:", shares(tt, tt.flatten()))
print("fancy index shares:", shares(t, t[[0, 2]]), "| slice shares:", shares(t, t[::2]))
print(
    "repeat shares:", shares(t, t.repeat(2, 1)), "| expand shares:", shares(t, t[:1].expand(4, 4))
)
print("chunk shares:", all(shares(t, c) for c in t.chunk(2, dim=1)))
print("from_numpy / numpy share:", shares(t, torch.from_numpy(t.numpy())))

v = t[1]
v[0] = 100.0
print("write through a row view:", t)
tt[3, 0] = -1.0
print("write through the transpose:", t[0])
t.view(-1)[5] = 55.0
print("write through a flat view:", t[1])
r = tt.reshape(12)
r[0] = 999.0
print("reshape copy leaves t alone:", t[0, 0].item())
d = t.diagonal()
d.zero_()
print("zeroed diagonal:", t)
e = t[0].expand(2, 4)
try:
    e.add_(1)
except RuntimeError as err:
    print("in-place on expand ->", type(err).__name__)
print("in-place on expand via clone:", e.clone().add_(1))

# -- split family ----------------------------------------------------------------------------------
u = torch.arange(10)
print("chunk(3):", [c.tolist() for c in u.chunk(3)])
print("chunk(4):", [c.tolist() for c in u.chunk(4)])
print("chunk(6) of 5:", [c.tolist() for c in torch.arange(5).chunk(6)])
print("split(4):", [c.tolist() for c in u.split(4)])
print("split([2, 3, 5]):", [c.tolist() for c in u.split([2, 3, 5])])
print("tensor_split(3):", [c.tolist() for c in u.tensor_split(3)])
print("tensor_split at [2, 7]:", [c.tolist() for c in u.tensor_split([2, 7])])
print("unbind:", torch.arange(6).reshape(2, 3).unbind(1))
print(
    "hsplit/vsplit:",
    [c.shape for c in torch.ones(4, 6).hsplit(3)],
    [c.shape for c in torch.ones(4, 6).vsplit([1])],
)
try:
    u.split([3, 3])
except RuntimeError as err:
    print("split sizes not summing ->", type(err).__name__)

# -- copies with layout ----------------------------------------------------------------------------
w = base.transpose(1, 2)
info("transpose", w)
info("transpose.clone()", w.clone())
info("clone(contiguous_format)", w.clone(memory_format=torch.contiguous_format))
info("contiguous()", w.contiguous())
info("empty_like(transpose)", torch.empty_like(w))
info("zeros_like(transpose)", torch.zeros_like(w))
info("transpose + 1", w + 1)
info("transpose * transpose", w * w)
info("transpose.exp()", w.exp())
info("transpose[mask-broadcast]", w.masked_fill(w > 5, 0))
img = torch.randn(2, 3, 4, 5)
cl = img.to(memory_format=torch.channels_last)
info("channels_last", cl)
print(
    "channels_last contiguous?",
    cl.is_contiguous(),
    cl.is_contiguous(memory_format=torch.channels_last),
)
info("channels_last + 1", cl + 1)
info("channels_last relu", torch.relu(cl))
info("channels_last.contiguous()", cl.contiguous())
info("channels_last permuted", cl.permute(0, 2, 3, 1))
print("same values:", torch.equal(cl, img))

# -- version counter shared by views ---------------------------------------------------------------
a = torch.zeros(4)
view = a[1:3]
print("versions:", a._version, view._version)
view.add_(1)
print("after view.add_:", a._version, view._version, a)
a.mul_(2)
print("after a.mul_:", a._version, view._version)
b = a.clone()
print("clone starts fresh:", b._version)
leaf = torch.ones(3, requires_grad=True)
out = leaf * 2
view_of_out = out[:2]
view_of_out.mul_(10)
print("grad_fn after in-place on a view:", out.grad_fn.name(), view_of_out.grad_fn.name())
out.sum().backward()
print("grad:", leaf.grad)

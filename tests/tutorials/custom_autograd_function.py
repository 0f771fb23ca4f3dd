"""The 'Extending PyTorch' note's custom autograd Functions: LinearFunction with
ctx.save_for_backward and ctx.needs_input_grad, MulConstant with a non-tensor argument,
an argsort-like function with ctx.mark_non_differentiable, an in-place function with
ctx.mark_dirty, set_materialize_grads, once_differentiable, the setup_context style
(forward without ctx), double backward through a function written with differentiable
ops, gradcheck and gradgradcheck in double precision, and a Function used inside a
Module (the note's Linear)."""

import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck, gradgradcheck
from torch.autograd.function import once_differentiable

torch.manual_seed(5)
verbose = True  # print from backward (off under gradcheck, which calls it many times)


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if verbose:
            print("  needs_input_grad", ctx.needs_input_grad)
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


linear = LinearFunction.apply
x = torch.randn(4, 3, requires_grad=True)
w = torch.randn(2, 3, requires_grad=True)
b = torch.randn(2)
out = linear(x, w, b)
print(out.grad_fn.name(), out.requires_grad)
out.sum().backward()
print(x.grad, w.grad, b.grad)
ref_x, ref_w = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
torch.nn.functional.linear(ref_x, ref_w, b).sum().backward()
print(torch.allclose(ref_x.grad, x.grad), torch.allclose(ref_w.grad, w.grad))
input = (torch.randn(20, 20, dtype=torch.double, requires_grad=True),
         torch.randn(30, 20, dtype=torch.double, requires_grad=True))
verbose = False
test = gradcheck(linear, input, eps=1e-6, atol=1e-4)
verbose = True
print("gradcheck", test)


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


t = torch.tensor([1., 2., 3.], requires_grad=True)
y = MulConstant.apply(t, 2.5)
y.backward(torch.tensor([1., 0.1, 0.01]))
print(y, t.grad)
print(gradcheck(MulConstant.apply, (torch.randn(3, dtype=torch.double, requires_grad=True), 3.0)))


class MulConstantDouble(Function):
    """Backward written with differentiable ops: double backward works."""

    @staticmethod
    def forward(ctx, tensor, other):
        ctx.save_for_backward(tensor, other)
        return tensor * other * tensor

    @staticmethod
    def backward(ctx, grad_output):
        tensor, other = ctx.saved_tensors
        return grad_output * 2 * tensor * other, grad_output * tensor * tensor


a = torch.tensor([1.5, -2.0], requires_grad=True)
c = torch.tensor([3.0, 0.5], requires_grad=True)
out = MulConstantDouble.apply(a, c)
(ga,) = torch.autograd.grad(out.sum(), a, create_graph=True)
print(ga, ga.grad_fn is not None)
ga.sum().backward()
print(a.grad, c.grad)
inputs = (torch.randn(4, dtype=torch.double, requires_grad=True),
          torch.randn(4, dtype=torch.double, requires_grad=True))
print(gradcheck(MulConstantDouble.apply, inputs), gradgradcheck(MulConstantDouble.apply, inputs))


class SortWithIndices(Function):
    @staticmethod
    def forward(ctx, x):
        sorted_x, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return sorted_x, idx

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_sorted, grad_idx):
        (idx,) = ctx.saved_tensors
        print("  grad_idx", grad_idx)
        grad_x = torch.zeros_like(grad_sorted)
        grad_x.index_add_(0, idx, grad_sorted)
        return grad_x


v = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
s, idx = SortWithIndices.apply(v)
print(s, idx, idx.requires_grad, s.requires_grad)
(s * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
print(v.grad)
s, idx = SortWithIndices.apply(v)
(ds,) = torch.autograd.grad(s.sum(), v, create_graph=True)
print(ds, ds.requires_grad)


class SimpleFunc(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x.clone(), x.clone()

    @staticmethod
    def backward(ctx, g1, g2):
        print("  g1 is None", g1 is None, "g2 is None", g2 is None)
        x = torch.zeros(3)
        if g1 is not None:
            x = x + g1
        if g2 is not None:
            x = x + 2 * g2
        return x


z = torch.ones(3, requires_grad=True)
o1, o2 = SimpleFunc.apply(z)
o2.sum().backward()
print(z.grad)


class AddOneInplace(Function):
    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


leaf = torch.tensor([1.0, 2.0], requires_grad=True)
base = leaf * 2
same = AddOneInplace.apply(base)
print(same is base, same, same.grad_fn.name())
(same * same).sum().backward()
print(leaf.grad)
try:
    AddOneInplace.apply(leaf)
except RuntimeError as e:
    print("RuntimeError:", str(e)[:60])


class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


e = torch.tensor([0.0, 1.0], requires_grad=True)
Exp.apply(e).sum().backward()
print(e.grad)
with torch.no_grad():
    print(Exp.apply(e).requires_grad)


class Linear(nn.Module):
    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.input_features = input_features
        self.output_features = output_features
        self.weight = nn.Parameter(torch.empty(output_features, input_features))
        if bias:
            self.bias = nn.Parameter(torch.empty(output_features))
        else:
            self.register_parameter('bias', None)
        nn.init.uniform_(self.weight, -0.1, 0.1)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -0.1, 0.1)

    def forward(self, input):
        return LinearFunction.apply(input, self.weight, self.bias)

    def extra_repr(self):
        return 'input_features={}, output_features={}, bias={}'.format(
            self.input_features, self.output_features, self.bias is not None)


net = nn.Sequential(Linear(3, 4), nn.ReLU(), Linear(4, 1, bias=False))
print(net)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
data, target = torch.randn(16, 3), torch.randn(16, 1)
for step in range(3):
    opt.zero_grad()
    loss = ((net(data) - target) ** 2).mean()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
print(net[0].weight.grad)

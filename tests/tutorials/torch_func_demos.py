"""The torch.func tutorials (Jacobians/Hessians, per-sample gradients, model ensembling,
neural tangent kernels) at a small size: grad and grad_and_value with argnums and has_aux,
vmap with in_dims/out_dims and nested vmap, jacrev/jacfwd and their agreement, hessian,
jvp/vjp/linearize, functional_call with a dict of parameters, per-sample gradients with
vmap(grad(...)) checked against a Python loop, stack_module_state for an ensemble, and an
empirical NTK from vmap(jacrev(...))."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    stack_module_state,
    vjp,
    vmap,
)

torch.manual_seed(0)

# -- grad ----------------------------------------------------------------------------------------
x = torch.randn([])
cos_x = grad(lambda x: torch.sin(x))(x)
print(torch.allclose(cos_x, x.cos()))
neg_sin_x = grad(grad(lambda x: torch.sin(x)))(x)
print(torch.allclose(neg_sin_x, -x.sin()))


def f(x, y):
    return (x * y.exp()).sum()


a, b = torch.tensor([1., 2.]), torch.tensor([0., 1.])
print(grad(f)(a, b), grad(f, argnums=1)(a, b), grad(f, argnums=(0, 1))(a, b))
print(grad_and_value(f)(a, b))
print(grad(lambda x: (x.sin().sum(), x.cos()), has_aux=True)(a))

# -- vmap ----------------------------------------------------------------------------------------
batched_dot = vmap(torch.dot)
x, y = torch.randn(2, 5), torch.randn(2, 5)
print(batched_dot(x, y), torch.allclose(batched_dot(x, y), (x * y).sum(1)))
weights = torch.randn(3, 4)
examples = torch.randn(6, 4)
print(vmap(torch.mv, in_dims=(None, 0))(weights, examples).shape)
print(vmap(lambda v: v.sum(), in_dims=1)(torch.arange(6.).reshape(2, 3)))
print(vmap(lambda v: v * 2, out_dims=1)(torch.arange(6.).reshape(2, 3)))
outer = vmap(vmap(torch.mul, in_dims=(None, 0)), in_dims=(0, None))
print(outer(torch.tensor([1., 2.]), torch.tensor([10., 20., 30.])))
print(vmap(lambda t: (t.max(), t.argmax()))(torch.tensor([[1., 5., 2.], [7., 0., 3.]])))
print(vmap(F.softmax, in_dims=(0, None))(torch.randn(2, 3), 0))

# -- Jacobians and Hessians --------------------------------------------------------------------
def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


D = 4
weight = torch.randn(D, D)
bias = torch.randn(D)
x = torch.randn(D)
jacobian = jacrev(predict, argnums=2)(weight, bias, x)
print(jacobian.shape)
print(jacobian)
print(torch.allclose(jacobian, jacfwd(predict, argnums=2)(weight, bias, x), atol=1e-6))
ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)
print(ft_jac_weight.shape, ft_jac_bias.shape)
print(ft_jac_bias)
batch_x = torch.randn(3, D)
compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
print(compute_batch_jacobian(weight, bias, batch_x).shape)
hess = hessian(lambda x: predict(weight, bias, x).sum())(x)
print(hess.shape, torch.allclose(hess, hess.T, atol=1e-6))
print(hess)
print(torch.allclose(hess, jacfwd(jacrev(lambda x: predict(weight, bias, x).sum()))(x),
                     atol=1e-6))

# -- jvp, vjp, linearize -----------------------------------------------------------------------
primal = torch.tensor([0.5, 1.0, -1.0])
tangent = torch.tensor([1.0, 0.0, 2.0])
out, jvp_out = jvp(torch.sin, (primal,), (tangent,))
print(out, jvp_out)
out, vjp_fn = vjp(lambda t: t ** 2, primal)
print(out, vjp_fn(torch.ones(3)))
out, jvp_fn = linearize(torch.sin, primal)
print(jvp_fn(tangent), torch.allclose(jvp_fn(tangent), primal.cos() * tangent))

# -- per-sample gradients ----------------------------------------------------------------------
class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.fc1 = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        return F.log_softmax(self.fc1(torch.flatten(x, 1)), dim=1)


model = SimpleCNN()
data = torch.randn(8, 1, 8, 8)
targets = torch.randint(5, (8,))


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


def compute_grad(sample, target):
    sample, target = sample.unsqueeze(0), target.unsqueeze(0)
    loss = loss_fn(model(sample), target)
    return torch.autograd.grad(loss, list(model.parameters()))


per_sample_grads = [compute_grad(data[i], targets[i]) for i in range(8)]
per_sample_grads = [torch.stack(shards) for shards in zip(*per_sample_grads)]
print([g.shape for g in per_sample_grads])
params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return loss_fn(predictions, target.unsqueeze(0))


ft_per_sample_grads = vmap(grad(compute_loss), in_dims=(None, None, 0, 0))(
    params, buffers, data, targets)
for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):
    print(torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5),
          (per_sample_grad - ft_per_sample_grad).abs().max().item() < 1e-6)
print(ft_per_sample_grads["fc1.bias"][:2])

# -- model ensembling --------------------------------------------------------------------------
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


models = [MLP() for _ in range(4)]
minibatch = torch.randn(5, 6)
predictions_diff_minibatch_loop = [model(minibatch) for model in models]
params, buffers = stack_module_state(models)
print({k: tuple(v.shape) for k, v in params.items()})
base_model = copy.deepcopy(models[0]).to("meta")


def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))


predictions_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
print(predictions_vmap.shape)
print(torch.allclose(predictions_vmap, torch.stack(predictions_diff_minibatch_loop),
                     atol=1e-6))
print(predictions_vmap[:, 0])

# -- empirical neural tangent kernel -----------------------------------------------------------
net = MLP()
net_params = {k: v.detach() for k, v in net.named_parameters()}


def fnet_single(params, x):
    return functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)


def empirical_ntk_jacobian_contraction(fnet_single, params, x1, x2):
    jac1 = vmap(jacrev(fnet_single), (None, 0))(params, x1)
    jac1 = jac1.values()
    jac1 = [j.flatten(2) for j in jac1]
    jac2 = vmap(jacrev(fnet_single), (None, 0))(params, x2)
    jac2 = jac2.values()
    jac2 = [j.flatten(2) for j in jac2]
    result = torch.stack([torch.einsum('Naf,Mbf->NMab', j1, j2) for j1, j2 in zip(jac1, jac2)])
    return result.sum(0)


x_train, x_test = torch.randn(4, 6), torch.randn(3, 6)
ntk = empirical_ntk_jacobian_contraction(fnet_single, net_params, x_train, x_test)
print(ntk.shape)
print(ntk[0, 0])

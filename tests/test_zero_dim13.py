"""0-d tensors through the activations, the unary math functions and torch.normal (the
distributions sweep: Normal(0., 1.).sample().exp() and kl_divergence of two Bernoullis
crashed, as NumPy hands back scalars, not arrays, for 0-d inputs)."""

import math

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

ACTIVATIONS = ["softplus", "elu", "selu", "celu", "gelu", "silu", "logsigmoid", "mish",
               "relu", "relu6", "leaky_relu", "hardtanh", "hardswish", "hardsigmoid",
               "softsign", "tanhshrink", "softshrink", "hardshrink", "sigmoid", "tanh",
               "rrelu"]
UNARY = ["exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sigmoid", "sqrt",
         "rsqrt", "erf", "erfc", "lgamma", "digamma", "log10", "log2", "exp2", "asin",
         "acos", "atan", "sinh", "cosh", "asinh", "atanh", "abs", "neg", "reciprocal"]


def _run(lib, name, value, dtype, functional):
    x = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=dtype != "float16")
    fn = getattr(lib.nn.functional if functional else lib, name)
    y = fn(x, training=False) if name == "rrelu" else fn(x)
    grad = None
    if x.requires_grad:
        (grad,) = lib.autograd.grad(y, x)
    return y, grad


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations_keep_a_0d_tensor_0d(name, dtype):
    y, grad = _run(torchlet, name, 0.5, dtype, True)
    assert y.shape == () and y.dtype == getattr(torchlet, dtype)
    assert grad is None or grad.shape == ()
    if torch is not None:
        ref, ref_grad = _run(torch, name, 0.5, dtype, True)
        # within 2 ulps (of the input for tanhshrink, which cancels): torch's tanh (Sleef)
        # and the C library's differ in the last bit
        ulp = {"float32": 2 ** -23, "float64": 2 ** -52, "float16": 2 ** -10}[dtype]
        assert np.allclose(y.detach().numpy(), ref.detach().numpy(), rtol=2 * ulp, atol=ulp)
        if grad is not None:
            assert np.allclose(grad.numpy(), ref_grad.numpy(), rtol=1e-6, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_math_on_0d_tensors(name, dtype):
    y, grad = _run(torchlet, name, 0.5, dtype, False)
    assert y.shape == () and grad.shape == ()
    if name == "exp":  # hand-derived: e^0.5, and its derivative is itself
        assert math.isclose(y.item(), math.exp(0.5), rel_tol=1e-7)
        assert grad.item() == y.item()
    if torch is not None:
        ref, ref_grad = _run(torch, name, 0.5, dtype, False)
        assert np.allclose(y.detach().numpy(), ref.detach().numpy(), rtol=2e-7, atol=0)
        assert np.allclose(grad.numpy(), ref_grad.numpy(), rtol=2e-6, atol=0)


def test_normal_with_0d_mean_and_std_gives_a_usable_tensor():
    torchlet.manual_seed(0)
    z = torchlet.normal(torchlet.tensor(0.0), torchlet.tensor(1.0))
    assert isinstance(z.numpy(), np.ndarray) and z.shape == ()
    e = z.exp()
    assert math.isclose(e.item(), math.exp(z.item()), rel_tol=1e-6)
    z += 1
    assert z.shape == ()
    if torch is not None:
        torch.manual_seed(0)
        ref = torch.normal(torch.tensor(0.0), torch.tensor(1.0))
        assert ref.item() + 1 == z.item()


def test_distribution_samples_of_scalar_parameters_go_through_transforms():
    torchlet.manual_seed(0)
    d = torchlet.distributions
    s = d.LogNormal(0.0, 0.5).sample()
    assert s.shape == () and s.item() > 0
    kl = d.kl_divergence(d.Bernoulli(0.3), d.Bernoulli(0.6))
    p, q = 0.3, 0.6  # hand-derived KL of two Bernoullis
    expected = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    assert math.isclose(kl.item(), expected, rel_tol=1e-6)

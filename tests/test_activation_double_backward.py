"""Double backward through the piecewise-linear activations (leaky_relu, hardtanh, relu6,
threshold, prelu, hardshrink, softshrink, rrelu, hardsigmoid).

torch's first-order gradient of these, taken with create_graph=True, is an operation of
its own (LeakyReluBackwardBackward0, ...) connected to the input, whose derivative there is
zeros_like(grad) (derivatives.yaml): a second derivative w.r.t. the input alone is 0, not
"element 0 of tensors does not require grad". hardsigmoid_backward has no derivative in
torch: its node is NotImplemented and differentiating through it raises.
"""

import numpy as np
import pytest

import torchlet

TF = torchlet.nn.functional

# x away from every kink (0, +-0.5, +-1, +-3, 0.1, 6) so that gradgradcheck is meaningful
X = np.array([[-3.7, -2.2, -0.8, -0.3], [0.2, 0.7, 1.6, 7.5]])


def _prelu_w(t, x):
    return t.tensor([0.25], dtype=x.dtype)


# name -> (fn(lib, x), node name of the first-order gradient)
CASES = {
    "leaky_relu": (lambda t, x: t.nn.functional.leaky_relu(x, 0.2),
                   "LeakyReluBackwardBackward0"),
    "leaky_relu_": (lambda t, x: t.nn.functional.leaky_relu_(x * 1, 0.2),
                    "MulBackward0"),
    "hardtanh": (lambda t, x: t.nn.functional.hardtanh(x), "HardtanhBackwardBackward0"),
    "hardtanh_": (lambda t, x: t.nn.functional.hardtanh_(x * 1), "MulBackward0"),
    "relu6": (lambda t, x: t.nn.functional.relu6(x), "HardtanhBackwardBackward0"),
    "threshold": (lambda t, x: t.nn.functional.threshold(x, 0.1, 20.0),
                  "ThresholdBackwardBackward0"),
    "threshold_": (lambda t, x: t.nn.functional.threshold_(x * 1, 0.1, 20.0),
                   "MulBackward0"),
    "prelu": (lambda t, x: t.nn.functional.prelu(x, _prelu_w(t, x)),
              "PreluKernelBackwardBackward0"),
    "hardshrink": (lambda t, x: t.nn.functional.hardshrink(x), "HardshrinkBackwardBackward0"),
    "softshrink": (lambda t, x: t.nn.functional.softshrink(x), "SoftshrinkBackwardBackward0"),
    "rrelu": (lambda t, x: t.nn.functional.rrelu(x), "RreluWithNoiseBackwardBackward0"),
    "LeakyReLU": (lambda t, x: t.nn.LeakyReLU()(x), "LeakyReluBackwardBackward0"),
    "ReLU6": (lambda t, x: t.nn.ReLU6()(x), "HardtanhBackwardBackward0"),
}


def _grad_and_second(lib, fn, x_np):
    x = lib.tensor(x_np, dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(fn(lib, x).sum(), x, create_graph=True)
    (h,) = lib.autograd.grad(g.sum(), x, allow_unused=True)
    return g, h


@pytest.mark.parametrize("name", list(CASES))
def test_second_derivative_is_zero(name):
    fn, node = CASES[name]
    g, h = _grad_and_second(torchlet, fn, X)
    assert g.requires_grad
    assert g.grad_fn.name() == node
    # piecewise linear: the slope is constant on each piece, so d(g)/dx = 0 (not None)
    assert h is not None
    np.testing.assert_array_equal(h.numpy(), np.zeros_like(X))


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, _ = CASES[name]
    x_np = np.concatenate([X, [[0.0, 1.0, -1.0, 6.0]]])  # the kinks too
    g, h = _grad_and_second(torchlet, fn, x_np)
    g_t, h_t = _grad_and_second(torch, fn, x_np)
    assert g.requires_grad == g_t.requires_grad
    assert g.grad_fn.name() == g_t.grad_fn.name()
    np.testing.assert_array_equal(g.detach().numpy(), g_t.detach().numpy())
    np.testing.assert_array_equal(h.numpy(), h_t.numpy())


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("_")])
def test_gradgradcheck(name):
    fn, _ = CASES[name]
    x = torchlet.tensor(X, dtype=torchlet.float64, requires_grad=True)
    assert torchlet.autograd.gradgradcheck(lambda x: fn(torchlet, x), (x,))


def test_prelu_gradgradcheck_with_weight():
    for w in ([0.25], [0.25, -0.5, 1.5, 0.1]):
        x = torchlet.tensor(X, dtype=torchlet.float64, requires_grad=True)
        w = torchlet.tensor(w, dtype=torchlet.float64, requires_grad=True)
        assert torchlet.autograd.gradgradcheck(TF.prelu, (x, w))


def _prelu_double(lib):
    """Both first-order gradients of prelu, then their gradients w.r.t. x, w and
    grad_output; x holds zeros, where torch's second derivative tests x >= 0."""
    x = lib.tensor([[-2.0, 0.0, 1.5], [0.5, -1.0, 0.0]], dtype=lib.float64,
                   requires_grad=True)
    w = lib.tensor([0.25, 0.5, -0.3], dtype=lib.float64, requires_grad=True)
    go = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64,
                    requires_grad=True)
    gx, gw = lib.autograd.grad(lib.nn.functional.prelu(x, w), (x, w), go, create_graph=True)
    v = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64)
    of_gx = lib.autograd.grad(gx, (x, w, go), v, retain_graph=True)
    of_gw = lib.autograd.grad(gw, (x, go), lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
    return [gx, gw, *of_gx, *of_gw]


def test_prelu_double_backward_values():
    gx, gw, gx_x, gx_w, gx_go, gw_x, gw_go = _prelu_double(torchlet)
    assert gx.grad_fn.name() == "PreluKernelBackwardBackward0"
    np.testing.assert_array_equal(gx.detach().numpy(), [[0.25, 1.0, 3.0], [4.0, 2.5, 6.0 * -0.3]])
    np.testing.assert_array_equal(gw.detach().numpy(), [-2.0, -5.0, 0.0])
    np.testing.assert_array_equal(gx_x.numpy(), np.zeros((2, 3)))
    # d(gx)/dw = v * go where x < 0, summed per channel: 1 * 1, 5 * 5, nothing
    np.testing.assert_array_equal(gx_w.numpy(), [1.0, 25.0, 0.0])
    # d(gx)/d(go) = v where x >= 0 (so at x = 0 too, unlike the first order), else w * v
    np.testing.assert_array_equal(gx_go.numpy(), [[0.25, 2.0, 3.0], [4.0, 2.5, 6.0]])
    # gw = sum of go * x where x < 0: d/dx = go * v, d/d(go) = x * v there
    np.testing.assert_array_equal(gw_x.numpy(), [[1.0, 0.0, 0.0], [0.0, 10.0, 0.0]])
    np.testing.assert_array_equal(gw_go.numpy(), [[-2.0, 0.0, 0.0], [0.0, -2.0, 0.0]])


def test_prelu_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    for have, want in zip(_prelu_double(torchlet), _prelu_double(torch), strict=True):
        np.testing.assert_array_equal(have.detach().numpy(), want.detach().numpy())


def _hardsigmoid_second(lib):
    x = lib.tensor([-4.0, -1.0, 0.5, 2.0], dtype=lib.float64, requires_grad=True)
    (g,) = lib.autograd.grad(lib.nn.functional.hardsigmoid(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError) as info:
        lib.autograd.grad(g.sum(), x)
    return g, str(info.value)


def test_hardsigmoid_double_backward_not_implemented():
    g, message = _hardsigmoid_second(torchlet)
    assert g.requires_grad
    assert g.grad_fn.name() == "torch::autograd::NotImplemented"
    assert repr(g.grad_fn).startswith("<NotImplemented object at 0x")
    sixth = float(np.float32(1) / np.float32(6))  # torch's kernel writes 1.0f / 6.0f
    np.testing.assert_array_equal(g.detach().numpy(), [0.0, sixth, sixth, sixth])
    assert message == "derivative for aten::hardsigmoid_backward is not implemented"


def test_hardsigmoid_matches_torch():
    torch = pytest.importorskip("torch")
    g, message = _hardsigmoid_second(torchlet)
    g_t, message_t = _hardsigmoid_second(torch)
    assert message == message_t
    assert g.grad_fn.name() == g_t.grad_fn.name()
    np.testing.assert_array_equal(g.detach().numpy(), g_t.detach().numpy())


def _hessian_fn(lib):
    F = lib.nn.functional  # noqa: N806

    def f(x):
        return (F.leaky_relu(x, 0.2) ** 2).sum() + (F.hardtanh(x) * x).sum()
    return f


def test_hessian():
    x = np.array([-1.5, -0.5, 0.4, 2.0])
    hess = torchlet.autograd.functional.hessian(
        _hessian_fn(torchlet), torchlet.tensor(x, dtype=torchlet.float64))
    # d2/dx2 of leaky^2 = 2 slope^2; of hardtanh(x) * x = 2 inside (-1, 1), 0 outside
    slope = np.where(x > 0, 1.0, 0.2)
    inside = np.abs(x) < 1
    np.testing.assert_allclose(hess.numpy(), np.diag(2 * slope**2 + 2.0 * inside))


def test_hessian_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-1.5, -0.5, 0.0, 0.4, 2.0, 1.0])
    have = torchlet.autograd.functional.hessian(
        _hessian_fn(torchlet), torchlet.tensor(x, dtype=torchlet.float64))
    want = torch.autograd.functional.hessian(_hessian_fn(torch), torch.tensor(x))
    np.testing.assert_array_equal(have.numpy(), want.numpy())


def _gradient_penalty(lib):
    """A WGAN-GP step through LeakyReLU (the sweep's repro)."""
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.LeakyReLU(0.2), lib.nn.Linear(8, 1))
    x = lib.randn(5, 4, requires_grad=True)
    (g,) = lib.autograd.grad(net(x).sum(), x, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    penalty.backward()
    return penalty, net[0].weight.grad, net[0].bias.grad


def test_gradient_penalty_matches_torch():
    torch = pytest.importorskip("torch")
    for have, want in zip(_gradient_penalty(torchlet), _gradient_penalty(torch), strict=True):
        np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(),
                                   rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["leaky_relu", "hardtanh", "threshold", "prelu",
                                  "hardshrink", "softshrink", "rrelu"])
def test_first_order_float32_bits(name):
    """The first-order gradient, now its own operation, is still torch's bit for bit: a
    large input, and a small one with a NaN (torch's scalar loop, which torchlet follows;
    its SIMD loop, on large inputs, treats NaN differently for some of these)."""
    torch = pytest.importorskip("torch")
    fn, _ = CASES[name]
    big = np.random.default_rng(0).standard_normal((64, 80)).astype(np.float32) * 4
    big[0, :5] = [0.0, -0.0, 6.0, 1.0, -1.0]
    small = np.array([[np.nan, 0.0, -0.0, 6.0], [1.0, -1.0, 0.3, -2.5]], np.float32)
    for x_np in (big, small):
        grads = []
        for lib in (torchlet, torch):
            x = lib.tensor(x_np, requires_grad=True)
            go = lib.tensor(x_np[::-1].copy() + 0.5)
            (g,) = lib.autograd.grad(fn(lib, x), x, go)
            grads.append(g.numpy())
        np.testing.assert_array_equal(grads[0], grads[1])


@pytest.mark.parametrize("name", ["leaky_relu", "hardsigmoid"])
def test_first_order_float16_bits(name):
    """Half precision: torch scales the gradient in float32 and rounds once."""
    torch = pytest.importorskip("torch")
    fns = {"leaky_relu": lambda t, x: t.nn.functional.leaky_relu(x, 0.013),
           "hardsigmoid": lambda t, x: t.nn.functional.hardsigmoid(x)}
    x_np = (np.random.default_rng(1).standard_normal(40) * 4).astype(np.float16)
    grads = []
    for lib in (torchlet, torch):
        x = lib.tensor(x_np, requires_grad=True)
        (g,) = lib.autograd.grad(fns[name](lib, x), x, lib.tensor(x_np[::-1].copy()))
        grads.append(g.numpy())
    assert grads[0].dtype == np.float16
    np.testing.assert_array_equal(grads[0], grads[1])

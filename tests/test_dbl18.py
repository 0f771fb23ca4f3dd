"""Saved outputs and double-backward nodes (session 18, "dbl"):

* cross_entropy keeps private values, as torch (which saves log_softmax's output): its input
  may change in place after the forward; under create_graph its gradient is torch's graph
  (LogSoftmaxBackwardDataBackward0 over NllLossBackwardBackward0 and LogSoftmaxBackward0);
* mse / smooth_l1 / huber / soft_margin gradients are nodes of their own
  (MseLossBackwardBackward0, ...), binary_cross_entropy's target gradient ends in DivBackward1;
* in-place ops that save their result (exp_, sigmoid_, relu_, ...) save ``self``: changing it
  again in place is torch's version error at backward;
* sum_to_size(()) is a plain sum (SumBackward0).
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck, gradgradcheck

F = torchlet.nn.functional


def _torch():
    return pytest.importorskip("torch")


def _names(fn, depth):
    """fn's name and its next functions' (None for a missing edge), ``depth`` levels."""
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (fn.name(), tuple(_names(f, depth - 1) for f, _ in fn.next_functions))


def _softmax(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


X = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4], [-0.7, 0.9, 0.2], [0.0, 0.4, -2.0]])
T = np.array([0, 2, 1, 0])


# ---------------------------------------------------------------------------------------
# cross_entropy: private saved values


def _ce_after_change(lib, kw, retain=False):
    x = lib.tensor(X, requires_grad=True)
    z = x * 1
    loss = F.cross_entropy(z, torchlet.tensor(T), **kw) if lib is torchlet else \
        lib.nn.functional.cross_entropy(z, lib.tensor(T), **kw)
    loss = loss.sum() if loss.dim() else loss
    z.add_(1)  # torch saved log_softmax's output, not z: no error
    loss.backward(retain_graph=retain)
    if retain:
        loss.backward()
    return x.grad.numpy()


def test_cross_entropy_input_changed_in_place_after_forward():
    got = _ce_after_change(torchlet, {})
    want = (_softmax(X, 1) - np.eye(3)[T]) / 4  # the gradient of the unchanged values
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    # retained: the second backward needs the exponentials, kept since x changed
    np.testing.assert_allclose(_ce_after_change(torchlet, {}, retain=True), 2 * want,
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kw", [dict(label_smoothing=0.2), dict(reduction="none"),
                                dict(weight=[0.2, 0.5, 0.3], ignore_index=1),
                                dict(weight=[0.2, 0.5, 0.3], label_smoothing=0.1,
                                     reduction="sum")])
def test_cross_entropy_input_changed_in_place_matches_torch(kw):
    torch = _torch()
    got = _ce_after_change(torchlet, {k: torchlet.tensor(np.array(v)) if k == "weight"
                                      else v for k, v in kw.items()})
    want = _ce_after_change(torch, {k: torch.tensor(v, dtype=torch.float64) if k == "weight"
                                    else v for k, v in kw.items()})
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_cross_entropy_retained_graph_and_freed_graph():
    x = torchlet.tensor(X, requires_grad=True)
    loss = F.cross_entropy(x, torchlet.tensor(T))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()  # computes the exponentials again
    np.testing.assert_array_equal(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_cross_entropy_input_changed_between_retained_backwards_raises():
    # (torch, which keeps log_softmax's output, would succeed here: the one case left)
    x = torchlet.tensor(X, requires_grad=True)
    z = x * 1
    loss = F.cross_entropy(z, torchlet.tensor(T))
    loss.backward(retain_graph=True)
    z.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_nll_loss_of_changed_log_softmax_still_raises():
    x = torchlet.tensor(X, requires_grad=True)
    logp = F.log_softmax(x, 1)
    loss = F.nll_loss(logp, torchlet.tensor(T))
    logp.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of Add, is at version 1"):  # (torch's)
        loss.backward()


# ---------------------------------------------------------------------------------------
# cross_entropy and nll_loss under create_graph: torch's graph


_CE_GRAPH = ("LogSoftmaxBackwardDataBackward0",
             (("NllLossBackwardBackward0", (None, "LogSoftmaxBackward0")),
              ("LogSoftmaxBackward0", ("torch::autograd::AccumulateGrad",))))


@pytest.mark.parametrize("kw, shape, graph", [
    ({}, (4, 3), _CE_GRAPH),
    (dict(reduction="none", ignore_index=1), (4, 3), _CE_GRAPH),
    ({}, (3,), _CE_GRAPH),
    (dict(label_smoothing=0.2), (4, 3), (
        "LogSoftmaxBackwardDataBackward0",
        (("AddBackward0", (None, "NllLossBackwardBackward0")),
         ("LogSoftmaxBackward0", ("torch::autograd::AccumulateGrad",))))),
    ({}, (2, 3, 4), (
        "LogSoftmaxBackwardDataBackward0",
        (("ViewBackward0", ("NllLoss2DBackwardBackward0",)),
         ("LogSoftmaxBackward0", ("torch::autograd::AccumulateGrad",))))),
    ({}, (2, 3, 2, 2), (
        "LogSoftmaxBackwardDataBackward0",
        (("NllLoss2DBackwardBackward0", (None, "LogSoftmaxBackward0")),
         ("LogSoftmaxBackward0", ("torch::autograd::AccumulateGrad",))))),
])
def test_cross_entropy_double_backward_graph(kw, shape, graph):
    rng = np.random.default_rng(1)
    x = torchlet.tensor(rng.standard_normal(shape), requires_grad=True)
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    t_shape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = torchlet.tensor(rng.integers(0, n_classes, t_shape))
    g, = torchlet.autograd.grad(F.cross_entropy(x, t, **kw).sum(), x, create_graph=True)
    assert _names(g.grad_fn, 2) == graph
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, **kw), (x,))


def test_nll_loss_nd_double_backward_views():
    rng = np.random.default_rng(2)
    for shape in [(2, 3, 4), (2, 3, 2, 1, 2)]:
        x = torchlet.tensor(rng.standard_normal(shape), requires_grad=True)
        t = torchlet.tensor(rng.integers(0, 3, (2,) + shape[2:]))
        loss = F.nll_loss(F.log_softmax(x, 1), t)
        g, = torchlet.autograd.grad(loss, x, create_graph=True)
        assert _names(g.grad_fn, 2)[1][0] == ("ViewBackward0", ("NllLoss2DBackwardBackward0",))


def test_cross_entropy_create_graph_first_derivative_is_torchs_float32():
    torch = _torch()
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((6, 5)).astype(np.float32) * 3
    t0 = rng.integers(0, 5, 6)

    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        g, = lib.autograd.grad(lib.nn.functional.cross_entropy(x, lib.tensor(t0)), x,
                               create_graph=True)
        return g.detach().numpy()

    np.testing.assert_allclose(run(torchlet), run(torch), rtol=1e-6, atol=1e-8)


def test_cross_entropy_create_graph_after_input_change():
    # the log-softmax values then come from the forward's exponentials
    x = torchlet.tensor(X, requires_grad=True)
    z = x * 1
    loss = F.cross_entropy(z, torchlet.tensor(T), label_smoothing=0.2)
    z.mul_(3)
    g, = torchlet.autograd.grad(loss, x, create_graph=True)
    p = _softmax(X, 1)
    q = 0.8 * np.eye(3)[T] + 0.2 / 3
    np.testing.assert_allclose(g.detach().numpy(), (p - q) / 4, rtol=1e-12, atol=1e-15)
    h, = torchlet.autograd.grad(g[0, 0], x)
    want = np.zeros((4, 3))
    want[0] = (np.eye(3)[0] * p[0, 0] - p[0, 0] * p[0]) / 4  # d softmax_0 / d x_0 / N
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------------------
# elementwise losses: their gradient is a node of its own


A = np.array([[0.3, -1.2, 0.8, 2.5], [1.5, 0.1, -0.4, -0.05]])
B = np.array([[0.1, 0.4, 0.7, -0.5], [-1.5, 0.3, 0.2, 0.0]])
S = np.array([[1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0]])


def _pair_losses(Fn, t):
    return {
        "mse": (lambda x, y, r: Fn.mse_loss(x, y, reduction=r), "MseLossBackwardBackward0"),
        "smooth_l1": (lambda x, y, r: Fn.smooth_l1_loss(x, y, reduction=r, beta=0.7),
                      "SmoothL1LossBackwardBackward0"),
        "huber": (lambda x, y, r: Fn.huber_loss(x, y, reduction=r, delta=0.65),
                  "HuberLossBackwardBackward0"),
        "soft_margin": (lambda x, y, r: Fn.soft_margin_loss(x, t(S), reduction=r),
                        "SoftMarginLossBackwardBackward0"),
    }


def _second_derivatives(lib, name, reduction):
    """(names of g_x's node and its next functions, g_x, g_y, d<g_x, v>/dx, d<g_x, v>/dy,
    d<g_x, v>/d grad_output) with grad_output requiring grad."""
    x = lib.tensor(A, requires_grad=True)
    y = lib.tensor(B, requires_grad=name != "soft_margin")
    fn, _ = _pair_losses(lib.nn.functional, lib.tensor)[name]
    out = fn(x, y, reduction)
    go = lib.tensor(np.full(tuple(out.shape), 1.5), requires_grad=True)
    inputs = (x, y) if y.requires_grad else (x,)
    gs = lib.autograd.grad(out, inputs, go, create_graph=True)
    v = lib.tensor(np.linspace(-1, 1, 8).reshape(2, 4))
    second = lib.autograd.grad((gs[0] * v).sum(), inputs + (go,))
    return (_names(gs[0].grad_fn, 1), [g.detach().numpy() for g in gs],
            [s.numpy() for s in second])


@pytest.mark.parametrize("name", ["mse", "smooth_l1", "huber", "soft_margin"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_loss_double_backward(name, reduction):
    names, firsts, seconds = _second_derivatives(torchlet, name, reduction)
    node = _pair_losses(F, torchlet.tensor)[name][1]
    edges = ("torch::autograd::AccumulateGrad",) * (1 if name == "soft_margin" else 2)
    assert names == (node, ("torch::autograd::AccumulateGrad",) + edges)
    if name == "mse":  # by hand: g_x = 2 (x - y) go / n,  d<g_x, v>/dx = 2 v go / n
        n = A.size if reduction == "mean" else 1
        v = np.linspace(-1, 1, 8).reshape(2, 4)
        np.testing.assert_allclose(firsts[0], 2 * (A - B) * 1.5 / n, rtol=1e-15)
        np.testing.assert_allclose(seconds[0], 2 * v * 1.5 / n, rtol=1e-15)
        np.testing.assert_allclose(seconds[1], -2 * v * 1.5 / n, rtol=1e-15)
        go = (2 * (A - B) * v / n)
        np.testing.assert_allclose(seconds[2], go if reduction == "none" else go.sum(),
                                   rtol=1e-13)
    torch = pytest.importorskip("torch")
    t_names, t_firsts, t_seconds = _second_derivatives(torch, name, reduction)
    assert names[0] == t_names[0]
    for got, want in zip(firsts + seconds, t_firsts + t_seconds):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["mse", "smooth_l1", "huber"])
def test_elementwise_loss_target_gradient_is_swapped_node(name):
    x = torchlet.tensor(A, requires_grad=True)
    y = torchlet.tensor(B, requires_grad=True)
    fn, node = _pair_losses(F, torchlet.tensor)[name]
    _, gy = torchlet.autograd.grad(fn(x, y, "mean"), (x, y), create_graph=True)
    assert gy.grad_fn.name() == node
    assert gradgradcheck(lambda x, y: fn(x, y, "sum"), (x, y))


def test_soft_margin_gradgradcheck_and_integer_labels():
    x = torchlet.tensor(A, requires_grad=True)
    assert gradgradcheck(lambda x: F.soft_margin_loss(x, torchlet.tensor(S)), (x,))
    x32 = torchlet.tensor(A.astype(np.float32), requires_grad=True)
    F.soft_margin_loss(x32, torchlet.tensor(S.astype(np.int64))).backward()
    assert x32.grad.dtype == torchlet.float32


def test_binary_cross_entropy_target_gradient_node():
    x = torchlet.tensor([[0.2, 0.7], [0.5, 0.9]], requires_grad=True)
    y = torchlet.tensor([[0.1, 0.6], [0.3, 1.0]], requires_grad=True)
    gx, gy = torchlet.autograd.grad(F.binary_cross_entropy(x, y), (x, y), create_graph=True)
    assert gx.grad_fn.name() == "BinaryCrossEntropyBackwardBackward0"
    assert gy.grad_fn.name() == "DivBackward1"
    expected = -np.log(x.detach().numpy() / (1 - x.detach().numpy())) / 4  # -logit(x) / n
    np.testing.assert_allclose(gy.detach().numpy(), expected, rtol=1e-6)


# ---------------------------------------------------------------------------------------
# in-place ops that save their result save self


_SAVES_RESULT = ["exp_", "sigmoid_", "tanh_", "sqrt_", "rsqrt_", "reciprocal_", "relu_",
                 "expm1_", "exp2_"]


@pytest.mark.parametrize("op", _SAVES_RESULT)
def test_inplace_result_changed_again_is_version_error(op):
    a = torchlet.tensor([0.5, 1.2, 0.9], requires_grad=True)
    y = a * 1
    getattr(y, op)()
    node = y.grad_fn.name().replace("Backward0", "")
    y.add_(1)
    with pytest.raises(RuntimeError, match=f"modified by an inplace operation: .*output 0 of "
                                           f"{node}, is at version 2; expected version 1"):
        y.sum().backward()


@pytest.mark.parametrize("op", _SAVES_RESULT + ["sin_", "abs_", "log_"])
def test_inplace_result_unchanged_gradients(op):
    values = np.array([0.5, 1.2, 0.9])
    a = torchlet.tensor(values, requires_grad=True)
    y = a * 1
    getattr(y, op)()
    (y * 3).sum().backward()
    with torchlet.no_grad():
        b = torchlet.tensor(values, requires_grad=True)
    out = getattr(b * 1, op[:-1])()  # the out-of-place op gives the same gradient
    (out * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    if op == "exp_":
        np.testing.assert_allclose(a.grad.numpy(), 3 * np.exp(values), rtol=1e-15)


def test_inplace_elu_family_saves_self():
    for fn in (F.elu_, F.selu_, F.celu_):
        a = torchlet.tensor([0.5, -1.2, 0.9], requires_grad=True)
        y = a * 1
        fn(y)
        y.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_inplace_changes_under_no_grad_also_count():
    a = torchlet.tensor([0.5, 1.2], requires_grad=True)
    y = a * 1
    y.exp_()
    with torchlet.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="output 0 of Exp"):
        y.sum().backward()


# ---------------------------------------------------------------------------------------
# sum_to_size


def test_sum_to_size_of_nothing_is_a_plain_sum():
    x = torchlet.tensor([[1.0, 2.0, 3.5], [0.25, -1.0, 4.0]], requires_grad=True)
    s = x.sum_to_size(())
    assert s.grad_fn.name() == "SumBackward0" and s.shape == ()
    assert s.item() == 9.75
    assert x.sum_to_size(1).grad_fn.name() == "ViewBackward0"  # (a sum, then a view)
    s.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((2, 3)))
    # the engine reduces a gradient for a broadcast 0-d input the same way
    w = torchlet.tensor(2.0, requires_grad=True)
    g, = torchlet.autograd.grad((w * x).sum(), w, create_graph=True)
    assert g.grad_fn.name() == "SumBackward0" and g.item() == 9.75


# ---------------------------------------------------------------------------------------
# sampled differential test against torch


def test_sampled_cross_entropy_against_torch():
    torch = _torch()
    rng = np.random.default_rng(18)
    for _ in range(12):
        ndim = int(rng.choice([1, 2, 2, 3, 4]))
        n_classes = int(rng.integers(2, 6))
        shape = (n_classes,) if ndim == 1 else (int(rng.integers(1, 5)), n_classes) + tuple(
            int(v) for v in rng.integers(1, 3, ndim - 2))
        x0 = rng.standard_normal(shape) * float(rng.choice([0.5, 2.0, 10.0]))
        t0 = rng.integers(0, n_classes, () if ndim == 1 else (shape[0],) + shape[2:])
        w0 = rng.uniform(0.2, 1.0, n_classes)
        kw = dict(reduction=str(rng.choice(["mean", "sum", "none"])),
                  label_smoothing=float(rng.choice([0.0, 0.3])))
        if ndim > 1 and rng.random() < 0.5:
            kw["ignore_index"] = int(t0.reshape(-1)[0])
            kw["reduction"] = "sum"
        use_weight, change = bool(rng.random() < 0.5), bool(rng.random() < 0.5)

        def run(lib, kw=kw, x0=x0, t0=t0, w0=w0, use_weight=use_weight, change=change):
            args = dict(kw, weight=lib.tensor(w0) if use_weight else None)
            x = lib.tensor(x0, requires_grad=True)
            z = x * 1
            loss = lib.nn.functional.cross_entropy(z, lib.tensor(t0), **args).sum()
            if change:
                z.add_(1)
            g, = lib.autograd.grad(loss, x, create_graph=True)
            v = lib.tensor(np.linspace(-1, 1, x0.size).reshape(x0.shape))
            h, = lib.autograd.grad((g * v).sum(), x)
            z2 = x * 1
            loss2 = lib.nn.functional.cross_entropy(z2, lib.tensor(t0), **args).sum()
            if change:
                z2.add_(1)
            loss2.backward()
            return g.detach().numpy(), h.numpy(), x.grad.numpy(), _names(g.grad_fn, 1)

        got, want = run(torchlet), run(torch)
        for a, b in zip(got[:3], want[:3]):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
        assert got[3] == want[3]


def test_cross_entropy_gradcheck_float64():
    rng = np.random.default_rng(4)
    x = torchlet.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = torchlet.tensor([1, 3, 0])
    w = torchlet.tensor(rng.uniform(0.2, 1.0, 4))
    f = lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.15)  # noqa: E731
    assert gradcheck(f, (x,)) and gradgradcheck(f, (x,))

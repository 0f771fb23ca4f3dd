"""Activations, softmax, dropout, distances and padding against PyTorch: values, dtypes,
gradients, node names, torch's conventions at the kinks, in-place variants, warnings,
the modules' printed form, and dropout's random masks bit for bit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet
import torchlet.nn as tnn
import torchlet.nn.functional as TF
from torchlet.autograd.gradcheck import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
PF = torch.nn.functional

RNG = np.random.default_rng(99)

# every kink of every activation below appears in this input, so the gradient convention
# at each kink (relu'(0) = 0, hardtanh's bounds, ...) is compared with torch's
KINKS = np.array([-6.0, -3.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 6.0, 20.0, 25.0],
                 np.float32)

ACTIVATIONS = {
    "relu": lambda F, x: F.relu(x),
    "relu6": lambda F, x: F.relu6(x),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2),
    "elu": lambda F, x: F.elu(x, 1.5),
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x, 2.0),
    "gelu": lambda F, x: F.gelu(x),
    "gelu_tanh": lambda F, x: F.gelu(x, approximate="tanh"),
    "silu": lambda F, x: F.silu(x),
    "mish": lambda F, x: F.mish(x),
    "softplus": lambda F, x: F.softplus(x),
    "softplus_beta": lambda F, x: F.softplus(x, beta=0.5, threshold=1.0),
    "softsign": lambda F, x: F.softsign(x),
    "hardtanh": lambda F, x: F.hardtanh(x, -1.0, 1.5),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x),
    "hardswish": lambda F, x: F.hardswish(x),
    "tanh": lambda F, x: F.tanh(x),
    "sigmoid": lambda F, x: F.sigmoid(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "threshold": lambda F, x: F.threshold(x, 0.5, -2.0),
    "rrelu_eval": lambda F, x: F.rrelu(x),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "softshrink": lambda F, x: F.softshrink(x, 1.0),
    "hardshrink": lambda F, x: F.hardshrink(x, 1.0),
    "glu": lambda F, x: F.glu(x),
}

INPLACE = {
    "relu": lambda F, x: F.relu(x, inplace=True),
    "relu6": lambda F, x: F.relu6(x, inplace=True),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.1, inplace=True),
    "elu": lambda F, x: F.elu(x, inplace=True),
    "selu": lambda F, x: F.selu(x, inplace=True),
    "celu": lambda F, x: F.celu(x, 0.5, inplace=True),
    "silu": lambda F, x: F.silu(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x, inplace=True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x, inplace=True),
    "hardswish": lambda F, x: F.hardswish(x, inplace=True),
    "threshold": lambda F, x: F.threshold(x, 0.5, -2.0, inplace=True),
    "rrelu": lambda F, x: F.rrelu(x, inplace=True),
    "elu_": lambda F, x: F.elu_(x),
    "leaky_relu_": lambda F, x: F.leaky_relu_(x),
    "hardtanh_": lambda F, x: F.hardtanh_(x),
    "threshold_": lambda F, x: F.threshold_(x, 0.0, 1.0),
}


def _forward_backward(lib, fn, x, g):
    xt = lib.tensor(x, requires_grad=True)
    out = fn(lib.nn.functional, xt)
    (grad,) = lib.autograd.grad(out, xt, lib.tensor(g[: out.numel()].reshape(out.shape)))
    return out, grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_matches_torch(name, dtype):
    fn = ACTIVATIONS[name]
    for x in (KINKS.astype(dtype), RNG.uniform(-4, 4, 24).astype(dtype)):
        g = RNG.standard_normal(x.size).astype(dtype)
        want, want_grad = _forward_backward(torch, fn, x, g)
        have, have_grad = _forward_backward(torchlet, fn, x, g)
        assert str(have.dtype) == str(want.dtype)
        assert have.grad_fn.name() == want.grad_fn.name()
        tol = dict(rtol=1e-6, atol=1e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
        if dtype == np.float32 and name in ("gelu", "gelu_tanh", "tanh", "tanhshrink"):
            # torch's float32 erf/tanh kernels are a few ulp off (1 + erf and 1 - tanh^2
            # magnify that); torchlet's are within half an ulp
            tol = dict(rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), **tol)
        np.testing.assert_allclose(have_grad.numpy(), want_grad.numpy(), **tol)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradcheck(name):
    fn = ACTIVATIONS[name]
    # away from the kinks: finite differences across a kink are meaningless
    x = torchlet.tensor(RNG.uniform(0.1, 0.4, 8) * np.sign(RNG.standard_normal(8)) +
                        np.array([0, 0, 2, 2, -2, -2, 4, -4]), requires_grad=True)
    f = lambda x: fn(TF, x)  # noqa: E731
    assert gradcheck(f, (x,))
    if name == "hardsigmoid":  # torch does not differentiate hardsigmoid_backward
        with pytest.raises(RuntimeError, match="hardsigmoid_backward is not implemented"):
            gradgradcheck(f, (x,))
    else:
        assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_variants(name):
    fn = INPLACE[name]
    x = np.concatenate([KINKS, RNG.uniform(-4, 4, 6).astype(np.float32)])
    g = RNG.standard_normal(x.size).astype(np.float32)
    results = []
    for lib in (torch, torchlet):
        leaf = lib.tensor(x, requires_grad=True)
        work = leaf * 1  # a non-leaf, so that in-place is allowed under autograd
        version = work._version
        out = fn(lib.nn.functional, work)
        assert out is work and work._version > version
        (grad,) = lib.autograd.grad(out, leaf, lib.tensor(g))
        plain = lib.tensor(x)
        assert fn(lib.nn.functional, plain) is plain  # no autograd: a plain write
        results.append((out.grad_fn.name(), out.detach().numpy(), grad.numpy(), plain.numpy()))
    (want_name, *want), (have_name, *have) = results
    assert have_name == want_name
    for h, w in zip(have, want):
        np.testing.assert_allclose(h, w, rtol=1e-6, atol=1e-7)


def test_prelu():
    for x_shape, w_shape in [((2, 3, 4), (3,)), ((2, 3), (1,)), ((5,), (1,)), ((2, 3, 2, 2), ())]:
        x = RNG.standard_normal(x_shape).astype(np.float32)
        w = RNG.uniform(0.1, 0.5, w_shape).astype(np.float32)
        g = RNG.standard_normal(x_shape).astype(np.float32)
        res = []
        for lib in (torch, torchlet):
            xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
            out = lib.nn.functional.prelu(xt, wt)
            grads = lib.autograd.grad(out, (xt, wt), lib.tensor(g))
            res.append([out.grad_fn.name(), out.detach().numpy()] + [t.numpy() for t in grads])
        assert res[0][0] == res[1][0]
        for h, w_ in zip(res[1][1:], res[0][1:]):
            np.testing.assert_allclose(h, w_, rtol=1e-5, atol=1e-6)
    x = torchlet.tensor(RNG.standard_normal((2, 3)), requires_grad=True)
    w = torchlet.tensor([0.2, 0.3, 0.1], dtype=torchlet.float64, requires_grad=True)
    assert gradcheck(TF.prelu, (x, w)) and gradgradcheck(TF.prelu, (x, w))


# ---------------------------------------------------------------------------------------
# softmax family


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1),
                                       ((2, 3, 4), 1), ((6,), 0), ((), 0)])
def test_softmax_family(fn, shape, dim):
    x = RNG.standard_normal(shape).astype(np.float32)
    g = RNG.standard_normal(max(x.size, 1)).astype(np.float32)
    want, want_grad = _forward_backward(torch, lambda F, t: getattr(F, fn)(t, dim), x, g)
    have, have_grad = _forward_backward(torchlet, lambda F, t: getattr(F, fn)(t, dim), x, g)
    assert have.grad_fn.name() == want.grad_fn.name()
    np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(have_grad.numpy(), want_grad.numpy(), rtol=1e-5, atol=1e-7)


def test_softmax_stable_and_inf_as_torch():
    x = np.array([[1e4, -1e4, 0.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf],
                  [np.inf, 0.0, 1.0], [5e3, 5e3, 5e3]], np.float32)
    for fn in ("softmax", "log_softmax"):
        want = getattr(PF, fn)(torch.tensor(x), 1).numpy()
        have = getattr(TF, fn)(torchlet.tensor(x), 1).numpy()
        np.testing.assert_array_equal(np.isnan(have), np.isnan(want))
        np.testing.assert_allclose(have, want, rtol=1e-6, equal_nan=True)
    assert np.isfinite(TF.log_softmax(torchlet.tensor(x[:1]), 1).numpy()).all()


def test_softmax_dtype_argument():
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    for fn in ("softmax", "log_softmax", "softmin"):
        want = getattr(PF, fn)(torch.tensor(x, requires_grad=True), 1, dtype=torch.float64)
        have = getattr(TF, fn)(torchlet.tensor(x, requires_grad=True), 1,
                               dtype=torchlet.float64)
        assert have.dtype == torchlet.float64
        assert (have.grad_fn.next_functions[0][0].name()
                == want.grad_fn.next_functions[0][0].name())
        np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    ints = [[1, 2], [3, 4]]
    np.testing.assert_allclose(TF.softmax(torchlet.tensor(ints), 1, dtype=torchlet.float64),
                               PF.softmax(torch.tensor(ints), 1, dtype=torch.float64))
    with pytest.raises(NotImplementedError):
        TF.softmax(torchlet.tensor(ints), 1)


@pytest.mark.parametrize("fn,ndim,expected_dim", [("softmax", 1, 0), ("softmax", 2, 1),
                                                  ("log_softmax", 3, 0), ("softmin", 4, 1)])
def test_implicit_dim_warning(fn, ndim, expected_dim):
    x = RNG.standard_normal((2,) * ndim).astype(np.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        have = getattr(TF, fn)(torchlet.tensor(x))
    (w,) = caught
    assert w.category is UserWarning and w.filename == __file__  # points at the caller
    assert str(w.message) == (f"Implicit dimension choice for {fn} has been deprecated. "
                              "Change the call to include dim=X as an argument.")
    want = getattr(PF, fn)(torch.tensor(x), expected_dim)
    np.testing.assert_allclose(have.numpy(), want.numpy(), rtol=1e-6)


def test_softmax_double_backward():
    x = torchlet.tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    for fn in (TF.softmax, TF.log_softmax, TF.softmin):
        assert gradgradcheck(lambda t, fn=fn: fn(t, 1), (x,))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((3, 5), 1), ((4, 3), 0), ((2, 3, 4), 1), ((), 0)])
def test_softmax_gradient_is_its_own_differentiable_node(fn, shape, dim):
    """Under create_graph the gradient is torch's _softmax_backward_data node
    (SoftmaxBackwardDataBackward0 / LogSoftmaxBackwardDataBackward0), differentiable in
    both the incoming gradient and the saved output: second derivatives as torch's."""
    x = RNG.standard_normal(shape)
    v = RNG.standard_normal(shape)
    probe = RNG.standard_normal(shape)
    got = {}
    for lib in (torch, torchlet):
        xt, vt = lib.tensor(x, requires_grad=True), lib.tensor(v, requires_grad=True)
        (g,) = lib.autograd.grad(getattr(lib, fn)(xt, dim), xt, vt, create_graph=True)
        gx, gv = lib.autograd.grad((g * lib.tensor(probe)).sum(), (xt, vt))
        got[lib.__name__] = (g.grad_fn.name(), g.detach().numpy(), gx.numpy(), gv.numpy())
    assert got["torchlet"][0] == got["torch"][0]
    for have, want in zip(got["torchlet"][1:], got["torch"][1:]):
        np.testing.assert_allclose(have, want, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# dropout


def test_dropout_mission_numbers():
    torchlet.manual_seed(0)
    out = TF.dropout(torchlet.ones(10), 0.5)
    assert out.tolist() == [0, 0, 2, 0, 0, 0, 2, 2, 0, 2]


DROPOUTS = {
    "dropout": lambda F, x: F.dropout(x, 0.3),
    "dropout_f64": lambda F, x: F.dropout(x.double(), 0.7),
    "dropout_inplace": lambda F, x: F.dropout(x * 1, 0.4, inplace=True),
    "dropout_p1": lambda F, x: F.dropout(x, 1.0),
    "alpha_dropout": lambda F, x: F.alpha_dropout(x, 0.2, training=True),
    "feature_alpha_dropout": lambda F, x: F.feature_alpha_dropout(x, 0.5, training=True),
    "dropout1d": lambda F, x: F.dropout1d(x[0], 0.5),
    "dropout1d_inplace": lambda F, x: F.dropout1d(x[0, 0] * 1, 0.5, inplace=True),
    "dropout2d": lambda F, x: F.dropout2d(x, 0.5),
    "dropout3d": lambda F, x: F.dropout3d(x[0], 0.5),
    "rrelu_training": lambda F, x: F.rrelu(x - 0.5, training=True),
    "rrelu_training_f64": lambda F, x: F.rrelu(x.double() - 0.5, 0.1, 0.6, training=True),
}


@pytest.mark.parametrize("name", list(DROPOUTS))
def test_random_masks_bit_for_bit(name):
    fn = DROPOUTS[name]
    x = RNG.uniform(0, 1, (2, 3, 4, 5)).astype(np.float32)
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(12)
        xt = lib.tensor(x, requires_grad=True)
        out = fn(lib.nn.functional, xt)
        (grad,) = lib.autograd.grad(out.sum(), xt)
        after = lib.rand(3).numpy()  # the generator advanced by the same amount
        results.append((out.detach().numpy(), grad.numpy(), after, out.grad_fn.name()))
    (want, want_grad, want_after, want_name), (have, have_grad, have_after, have_name) = results
    assert have.dtype == want.dtype
    np.testing.assert_array_equal(have, want)
    np.testing.assert_array_equal(have_grad, want_grad)
    np.testing.assert_array_equal(have_after, want_after)
    if not name.endswith("_inplace"):
        assert have_name == want_name


def test_dropout_eval_is_identity_and_modules_follow_train_mode():
    x = torchlet.ones(4, 5)
    assert TF.dropout(x, 0.5, training=False) is x
    assert TF.alpha_dropout(x, 0.5) is x  # alpha_dropout's default is training=False
    layer = tnn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    torchlet.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_array_equal(layer(x).numpy(), torch.nn.Dropout(0.5)(torch.ones(4, 5)))


def test_dropout_warnings_and_errors():
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input"):
        TF.dropout2d(torchlet.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="dropout3d: Received a 3-D input"):
        TF.dropout3d(torchlet.ones(2, 3, 4), 0.5)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        TF.dropout1d(torchlet.ones(2, 3, 4, 5))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            TF.dropout(torchlet.ones(2), bad)
        with pytest.raises(ValueError):
            tnn.Dropout(bad)


# ---------------------------------------------------------------------------------------
# modules: torch's printed form and behaviour


MODULES = [
    ("ReLU", {}), ("ReLU", {"inplace": True}), ("ReLU6", {}), ("ReLU6", {"inplace": True}),
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2, "inplace": True}),
    ("ELU", {"alpha": 0.5}), ("SELU", {}), ("CELU", {"inplace": True}), ("GELU", {}),
    ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Mish", {"inplace": True}),
    ("Softplus", {"beta": 2.0}), ("Softsign", {}), ("Hardtanh", {"min_val": -2.0}),
    ("Hardsigmoid", {}), ("Hardswish", {}), ("Tanh", {}), ("Sigmoid", {}), ("LogSigmoid", {}),
    ("Threshold", {"threshold": 0.1, "value": 20.0}), ("RReLU", {}), ("Tanhshrink", {}),
    ("Softshrink", {"lambd": 0.3}), ("Hardshrink", {}), ("GLU", {"dim": 0}),
    ("PReLU", {"num_parameters": 3}), ("Softmax", {"dim": 1}), ("LogSoftmax", {"dim": -1}),
    ("Softmin", {"dim": 1}), ("Softmax2d", {}), ("Dropout", {"p": 0.2}),
    ("Dropout2d", {"inplace": True}), ("AlphaDropout", {}), ("Dropout1d", {}),
    ("Dropout3d", {}), ("FeatureAlphaDropout", {"p": 0.1}), ("CosineSimilarity", {"dim": 0}),
    ("PairwiseDistance", {"p": 1.0}),
]


@pytest.mark.parametrize("name,kwargs", MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_module_repr_and_output(name, kwargs):
    want_module = getattr(torch.nn, name)(**kwargs)
    have_module = getattr(tnn, name)(**kwargs)
    assert repr(have_module) == repr(want_module)
    assert list(have_module.state_dict()) == list(want_module.state_dict())
    x = RNG.standard_normal((2, 4, 3, 3)).astype(np.float32)
    if name == "Dropout1d":
        x = x[0]
    for module in (want_module, have_module):
        module.eval()
    if name in ("CosineSimilarity", "PairwiseDistance"):
        want = want_module(torch.tensor(x), torch.tensor(x[::-1].copy()))
        have = have_module(torchlet.tensor(x), torchlet.tensor(x[::-1].copy()))
    else:
        want = want_module(torch.tensor(x) if name != "PReLU" else torch.tensor(x[:, :3]))
        have = have_module(torchlet.tensor(x) if name != "PReLU" else torchlet.tensor(x[:, :3]))
    np.testing.assert_allclose(have.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_prelu_module_parameter():
    module = tnn.PReLU(3, init=0.1)
    assert [n for n, _ in module.named_parameters()] == ["weight"]
    np.testing.assert_allclose(module.weight.detach().numpy(), [0.1, 0.1, 0.1], rtol=1e-7)


def test_hardtanh_module_checks():
    with pytest.raises(AssertionError):
        tnn.Hardtanh(1.0, -1.0)
    with pytest.warns(FutureWarning):
        assert tnn.Hardtanh(min_value=-2.0).min_val == -2.0


def test_softmax2d_rejects_other_ranks():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        tnn.Softmax2d()(torchlet.ones(2, 3))


# ---------------------------------------------------------------------------------------
# errors


ERRORS = [
    lambda lib: lib.nn.functional.glu(lib.ones(2, 3)),
    lambda lib: lib.nn.functional.glu(lib.tensor(1.0)),
    lambda lib: lib.nn.functional.gelu(lib.ones(2), approximate="fast"),
    lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 2.0, 1.0),
    lambda lib: lib.nn.functional.softshrink(lib.ones(2), -1.0),
    lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(3, 1)),
    lambda lib: lib.nn.functional.log_softmax(lib.ones(2, 3), 2),
    lambda lib: lib.nn.functional.leaky_relu(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 3, 4), (1, 2, 1, 1, 1, 1), mode="reflect"),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 3, 4), (5, 2), mode="circular"),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 3, 4), (1, 2), mode="zeros"),
    lambda lib: lib.nn.functional.pad(lib.ones(2, 3, 4), (-5, 2)),
    lambda lib: lib.nn.functional.cosine_similarity(lib.tensor([1, 2]), lib.tensor([3, 4]), 0),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_as_torch(index):
    fn = ERRORS[index]
    with pytest.raises(Exception) as want:
        fn(torch)
    with pytest.raises(Exception) as have:
        fn(torchlet)
    assert type(have.value).__name__ == type(want.value).__name__, (have.value, want.value)


# ---------------------------------------------------------------------------------------
# padding and distances beyond the specs: negative padding in every mode, double backward


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2), (-1, 2), (2, -1), (1, 1, -1, 2), (0, 0, 2, 1)])
def test_pad(mode, pad):
    x = RNG.standard_normal((2, 3, 4, 5)[: 2 + len(pad) // 2]).astype(np.float32)
    g_shape = PF.pad(torch.tensor(x), pad, mode=mode).shape
    g = RNG.standard_normal(g_shape).astype(np.float32)
    res = []
    for lib in (torch, torchlet):
        xt = lib.tensor(x, requires_grad=True)
        out = lib.nn.functional.pad(xt, pad, mode=mode)
        (grad,) = lib.autograd.grad(out, xt, lib.tensor(g))
        res.append((out.detach().numpy(), grad.numpy()))
    np.testing.assert_array_equal(res[1][0], res[0][0])
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-6, atol=1e-6)
    x64 = torchlet.tensor(x[:1, :1].astype(np.float64), requires_grad=True)
    assert gradgradcheck(lambda t: TF.pad(t, pad, mode=mode), (x64,))


def test_cosine_similarity_clamps_small_norms_like_torch():
    a = np.array([[0.0, 0.0, 0.0], [1e-9, 0.0, 0.0], [1.0, 2.0, 3.0]], np.float32)
    b = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 0.0], [2.0, 2.0, 3.0]], np.float32)
    res = []
    for lib in (torch, torchlet):
        at, bt = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
        out = lib.nn.functional.cosine_similarity(at, bt)
        grads = lib.autograd.grad(out.sum(), (at, bt))
        res.append([out.detach().numpy()] + [t.numpy() for t in grads])
    for h, w in zip(res[1], res[0]):
        np.testing.assert_allclose(h, w, rtol=1e-5, atol=1e-6)

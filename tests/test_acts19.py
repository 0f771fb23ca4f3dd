"""Activations, session 19: the saved input of in-place activations (a CloneBackward0, as
torch's autograd saves it), the Python types of their saved numbers (torch's Scalars keep
int or float), elu/selu/celu's expm1 within an ulp of torch's (SLEEF's cut-off in the
SIMD lanes, not glibc's rounding in the scalar tail), the SIMD lanes' answers at NaN and -0.0
(hardtanh/hardshrink/softshrink/elu/hardswish backwards, softshrink's zeros), prelu of a
0-d input and its dtype error, gelu's argument check order, and hardtanh/threshold on
integer and bool tensors. Each test compares with torch when it is importable and with a
hand-derived expectation."""

import numpy as np
import pytest

import torchlet
from torchlet.nn import functional as F


def _torch():
    return pytest.importorskip("torch")


# torch on one thread, restored after each test (conftest.torch_one_thread)
pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.dtype(f"u{a.dtype.itemsize}"))


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values with equal zero signs, NaN equal to NaN."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.all(
        ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))))


# ---------------------------------------------------------------------------------------
# in place: the saved input is a clone (CloneBackward0)

INPLACE_SAVING_SELF = {
    "hardtanh_": lambda F, x: F.hardtanh(x, -0.5, 0.5, inplace=True),
    "hardtanh_fn": lambda F, x: F.hardtanh_(x),
    "relu6_": lambda F, x: F.relu6(x, inplace=True),
    "hardsigmoid_": lambda F, x: F.hardsigmoid(x, inplace=True),
    "hardswish_": lambda F, x: F.hardswish(x, inplace=True),
    "threshold_": lambda F, x: F.threshold(x, 0.1, 2.0, inplace=True),
    "silu_": lambda F, x: F.silu(x, inplace=True),
    "mish_": lambda F, x: F.mish(x, inplace=True),
}


def _graph(fn, depth=8):
    out = []

    def walk(f, d):
        if f is None or d > depth:
            return
        out.append("  " * d + f.name())
        for g, _ in f.next_functions:
            walk(g, d + 1)
    walk(fn, 0)
    return out


@pytest.mark.parametrize("name", sorted(INPLACE_SAVING_SELF))
def test_inplace_saves_a_clone_of_the_input(name):
    fn = INPLACE_SAVING_SELF[name]
    a = torchlet.tensor([-4.0, -2.0, -0.5, 0.5, 2.0, 4.0], requires_grad=True)
    y = fn(F, a * 1)
    if name in ("hardtanh_", "hardtanh_fn", "relu6_", "hardsigmoid_", "silu_"):
        saved = y.grad_fn._saved_self  # (the nodes autograd/_saved_names.py lists)
        assert saved.grad_fn.name() == "CloneBackward0"
        assert saved.grad_fn.next_functions[0][0].name() == "MulBackward0"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward0"  # the edge skips it
    (g,) = torchlet.autograd.grad(y.sum() * 1, a, create_graph=True)
    graph = _graph(g.grad_fn)
    assert any("CloneBackward0" in line for line in graph)
    torch = pytest.importorskip("torch")
    t = torch.tensor([-4.0, -2.0, -0.5, 0.5, 2.0, 4.0], requires_grad=True)
    ty = fn(torch.nn.functional, t * 1)
    assert ty.grad_fn._saved_self.grad_fn.name() == "CloneBackward0"
    if name in ("hardtanh_", "hardtanh_fn", "relu6_", "hardsigmoid_", "silu_"):
        assert ty.grad_fn._saved_self.tolist() == saved.tolist()
    (tg,) = torch.autograd.grad(ty.sum() * 1, t, create_graph=True)
    assert _graph(tg.grad_fn) == graph
    assert _graph(ty.grad_fn) == _graph(y.grad_fn)
    assert np.array_equal(g.detach().numpy(), tg.detach().numpy())


def test_inplace_without_graph_saves_nothing_extra():
    a = torchlet.tensor([-2.0, 0.25, 3.0])
    out = F.hardtanh(a, inplace=True)
    assert out is a and a.tolist() == [-1.0, 0.25, 1.0] and out.grad_fn is None
    with torchlet.no_grad():
        b = torchlet.tensor([-2.0, 4.0], requires_grad=True) * 1
        F.hardswish(b, inplace=True)
    assert b.grad_fn is None and b.tolist() == [float(np.float32(-2.0) / np.float32(6)), 4.0]


@pytest.mark.parametrize("name", ["silu", "mish"])
def test_silu_mish_double_backward_one_minus_is_sub(name):
    """torch's C++ ``1.0 - s`` is empty_like(s).fill_(1).sub_(s): SubBackward0 whose first
    input is a constant (None edge), not RsubBackward1."""
    a = torchlet.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    (g,) = torchlet.autograd.grad(getattr(F, name)(a).sum(), a, create_graph=True)
    graph = _graph(g.grad_fn)
    assert any(line.strip() == "SubBackward0" for line in graph)
    assert not any("Rsub" in line for line in graph)
    torch = pytest.importorskip("torch")
    t = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    (tg,) = torch.autograd.grad(getattr(torch.nn.functional, name)(t).sum(), t,
                                create_graph=True)
    assert _graph(tg.grad_fn) == graph


# ---------------------------------------------------------------------------------------
# the saved numbers keep their Python types

SAVED_NUMBERS = [
    ("elu", lambda F, x: F.elu(x), {"alpha": 1.0, "scale": 1, "input_scale": 1}),
    ("elu2", lambda F, x: F.elu(x, 2), {"alpha": 2, "scale": 1, "input_scale": 1}),
    ("elu_", lambda F, x: F.elu(x * 1, 0.5, inplace=True),
     {"alpha": 0.5, "scale": 1, "input_scale": 1}),
    ("selu", lambda F, x: F.selu(x),
     {"alpha": 1.6732632423543772, "scale": 1.0507009873554805, "input_scale": 1}),
    ("softplus", lambda F, x: F.softplus(x), {"beta": 1, "threshold": 20}),
    ("softplus2", lambda F, x: F.softplus(x, 2.0, 10), {"beta": 2.0, "threshold": 10}),
    ("relu6", lambda F, x: F.relu6(x), {"min_val": 0, "max_val": 6}),
    ("hardtanh", lambda F, x: F.hardtanh(x), {"min_val": -1.0, "max_val": 1.0}),
    ("leaky", lambda F, x: F.leaky_relu(x, 1), {"negative_slope": 1}),
    ("leaky_", lambda F, x: F.leaky_relu(x * 1, 0.25, inplace=True), {"negative_slope": 0.25}),
]


@pytest.mark.parametrize("name,fn,expected", SAVED_NUMBERS, ids=[c[0] for c in SAVED_NUMBERS])
def test_saved_numbers_keep_int_or_float(name, fn, expected):
    x = torchlet.tensor([-1.5, 0.5, 2.0], requires_grad=True)
    node = fn(F, x).grad_fn
    got = {key: getattr(node, "_saved_" + key) for key in expected}
    assert got == expected
    assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in expected.items()}
    torch = pytest.importorskip("torch")
    t = torch.tensor([-1.5, 0.5, 2.0], requires_grad=True)
    tnode = fn(torch.nn.functional, t).grad_fn
    want = {key: getattr(tnode, "_saved_" + key) for key in expected}
    assert want == got and {k: type(v) for k, v in want.items()} == {
        k: type(v) for k, v in got.items()}


def test_int_arguments_give_the_same_numbers():
    x = torchlet.tensor(np.linspace(-30, 30, 41, dtype=np.float32), requires_grad=True)
    for f_int, f_float in [(lambda v: F.elu(v, 2), lambda v: F.elu(v, 2.0)),
                           (lambda v: F.softplus(v, 2, 3), lambda v: F.softplus(v, 2.0, 3.0)),
                           (lambda v: F.leaky_relu(v, 1), lambda v: F.leaky_relu(v, 1.0))]:
        a, b = f_int(x), f_float(x)
        assert np.array_equal(_bits(a.detach().numpy()), _bits(b.detach().numpy()))
        (ga,) = torchlet.autograd.grad(a.sum(), x, create_graph=True)
        (gb,) = torchlet.autograd.grad(b.sum(), x, create_graph=True)
        assert np.array_equal(ga.detach().numpy(), gb.detach().numpy())


# ---------------------------------------------------------------------------------------
# elu's expm1: SLEEF's cut-off in the SIMD lanes


def test_elu_simd_lanes_saturate_like_sleef():
    """SLEEF's expm1f is exactly -1 below -16.6355 (the SIMD lanes: blocks of 32 float32);
    glibc's is -0.99999994 there (a small tensor, or the tail)."""
    x = np.full(40, -16.7, np.float32)
    out = F.elu(torchlet.tensor(x)).numpy()
    assert (out[:32] == -1.0).all() and (out[32:] == np.float32(-0.99999994)).all()
    assert F.elu(torchlet.tensor(x[:5])).numpy().tolist() == [np.float32(-0.99999994)] * 5
    torch = _torch()
    assert np.array_equal(torch.nn.functional.elu(torch.from_numpy(x)).numpy(), out)


def _elu_configs():
    rng = np.random.default_rng(19)
    configs = []
    for _ in range(40):
        dtype = ["float32", "float64", "float16"][rng.integers(3)]
        n = int(rng.choice([1, 3, 7, 15, 16, 31, 33, 40, 70, 130]))
        shape = (n,) if rng.random() < 0.5 else (2, n)
        fn = ["elu", "selu", "celu", "elu_neg"][rng.integers(4)]
        layout = ["C", "T", "slice"][rng.integers(3)]
        configs.append((dtype, shape, fn, layout, int(rng.integers(1 << 30))))
    return configs


@pytest.mark.parametrize("dtype,shape,fn,layout,seed", _elu_configs())
def test_elu_family_matches_torch_sampled(dtype, shape, fn, layout, seed):
    torch = _torch()
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    call = {"elu": lambda F, v: F.elu(v), "selu": lambda F, v: F.selu(v),
            "celu": lambda F, v: F.celu(v, 1.3), "elu_neg": lambda F, v: F.elu(v, -0.7)}[fn]

    def view(t):
        if layout == "T" and t.dim() == 2:
            return t.t()
        if layout == "slice":
            return t[..., 1:]
        return t
    got = call(F, view(torchlet.tensor(x))).numpy()
    want = call(torch.nn.functional, view(torch.from_numpy(x))).numpy()
    assert got.dtype == want.dtype and got.shape == want.shape
    # NumPy 1's float64 expm1 (AVX-512 SVML) differs from torch's by an ulp for 22% of
    # inputs (NumPy 2's: 0.02%, measured), which alpha's product can make 2 ulps
    ulps = 2 if dtype == "float64" and np.lib.NumpyVersion(np.__version__) < "2.0.0" else 1
    close = np.abs(got.astype(np.float64) - want) <= ulps * np.spacing(np.abs(want))
    assert close.all()  # (torch's scalar loop is glibc's expm1, an ulp off in ~8% of cases)


# ---------------------------------------------------------------------------------------
# the SIMD lanes' NaN and -0.0

def _grad_at(fn, x, lib, F_):
    t = (lib.from_numpy(x.copy()) if lib is not torchlet else torchlet.tensor(x)).requires_grad_()
    y = fn(F_, t)
    ones = np.full(x.shape, 0.75, x.dtype)
    go = lib.from_numpy(ones) if lib is not torchlet else torchlet.tensor(ones)
    (g,) = lib.autograd.grad(y, t, go)
    return y.detach().numpy(), g.numpy()


@pytest.mark.parametrize("name,simd", [("hardtanh", 0.0), ("hardshrink", 0.0),
                                       ("softshrink", 0.0), ("relu6", 0.0),
                                       ("elu", np.nan), ("hardswish", np.nan)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_gradient_depends_on_simd_lane(name, simd, dtype):
    n = 64  # whole SIMD blocks: every lane vectorised
    x = np.linspace(-2, 2, n).astype(dtype)
    x[[0, n - 1]] = np.nan
    fn = lambda F_, t: getattr(F_, name)(t)  # noqa: E731
    _, g = _grad_at(fn, x, torchlet, F)
    assert _same(g[[0, n - 1]], np.array([simd, simd], dtype))
    _, g_small = _grad_at(fn, x[:5], torchlet, F)  # the scalar loop: the gradient passes
    assert g_small[0] == np.array(0.75, dtype) or name == "hardswish" and g_small[0] == 0.75
    torch = pytest.importorskip("torch")
    for part in (x, x[:5], x[:40]):
        got = _grad_at(fn, part, torchlet, F)[1]
        want = _grad_at(fn, part, torch, torch.nn.functional)[1]
        nan = np.isnan(part)  # (elsewhere elu's exp may be an ulp apart: SLEEF's)
        assert _same(got[nan], want[nan])
        assert np.allclose(got[~nan], want[~nan], rtol=1e-6, atol=0)


def test_softshrink_zero_sign_by_lane():
    """Inside [-lambd, lambd] torch's scalar loop gives x * 0 (-0.0 for negative x), its
    SIMD loop (blocks of 64 bytes: 16 float32, 8 float64) +0.0."""
    for dtype, block in (("float32", 16), ("float64", 8), ("float16", 32)):
        x = np.full(block + 3, -0.3, dtype)
        out = F.softshrink(torchlet.tensor(x), 0.6).numpy()
        assert not np.signbit(out[:block]).any() and np.signbit(out[block:]).all()
    torch = pytest.importorskip("torch")
    for n in (1, 7, 8, 15, 16, 17, 24, 33, 40):
        for dtype in ("float32", "float64", "float16"):
            x = np.full(n, -0.3, dtype)
            x[::3] = 0.2
            assert _same(F.softshrink(torchlet.tensor(x), 0.6).numpy(),
                         torch.nn.functional.softshrink(torch.from_numpy(x), 0.6).numpy())


# ---------------------------------------------------------------------------------------
# argument checks

def test_prelu_zero_dim_and_dtype():
    x = torchlet.tensor(-2.0, requires_grad=True)
    w = torchlet.tensor([0.25], requires_grad=True)
    y = F.prelu(x, w)
    y.backward()
    assert y.shape == () and y.item() == -0.5 and y.grad_fn.name() == "PreluKernelBackward0"
    assert x.grad.item() == 0.25 and w.grad.tolist() == [-2.0]
    assert F.prelu(torchlet.tensor(3.0), torchlet.tensor(0.1)).item() == 3.0
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor"):
        F.prelu(torchlet.tensor(1.0), torchlet.tensor([0.1, 0.2]))
    with pytest.raises(RuntimeError, match="Type promoting not supported. Got Float and Double"):
        F.prelu(torchlet.ones(3), torchlet.ones(1, dtype=torchlet.float64))
    with pytest.raises(RuntimeError, match="Got Long and Float"):
        F.prelu(torchlet.ones(3, dtype=torchlet.int64), torchlet.ones(1))
    with pytest.raises(RuntimeError, match="ndim = 2"):
        F.prelu(torchlet.tensor(1.0), torchlet.ones(1, 1))


def test_gelu_checks_approximate_before_dtype():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(torchlet.tensor([1, 2]), approximate="foo")
    with pytest.raises(TypeError):
        F.gelu(3, approximate="foo")


INT_CASES = [
    ("threshold", "uint8", (-1, 2)), ("threshold", "uint8", (1, -1)),
    ("threshold", "uint8", (1, -129)), ("threshold", "uint8", (1.9, 7)),
    ("threshold", "uint8", (-0.5, 7)), ("threshold", "uint8", (300, 1)),
    ("threshold", "uint8", (-256, 1)), ("threshold", "uint8", (1, float("inf"))),
    ("threshold", "int8", (1, 128)), ("threshold", "int8", (-0.5, 3)),
    ("threshold", "int32", (1e30, 2)), ("threshold", "bool", (0, 1)),
    ("hardtanh", "uint8", (-1.0, 1.0)), ("hardtanh", "uint8", (-0.7, 1.3)),
    ("hardtanh", "uint8", (0, 300)), ("hardtanh", "uint8", (-129, 4)),
    ("hardtanh", "int8", (-200, 3)), ("hardtanh", "int8", (1.5, 2.5)),
    ("hardtanh", "bool", (0, 1)), ("relu6", "bool", ()),
]


def _int_call(lib, name, dtype, args):
    values = [True, False, True, True] if dtype == "bool" else [0, 1, 2, 100]
    x = lib.tensor(values, dtype=getattr(lib, dtype))
    try:
        return getattr(lib.nn.functional, name)(x, *args).tolist()
    except Exception as error:  # noqa: BLE001 - the outcome is what is compared
        return type(error).__name__, str(error)


@pytest.mark.parametrize("name,dtype,args", INT_CASES)
def test_integer_and_bool_arguments(name, dtype, args):
    got = _int_call(torchlet, name, dtype, args)
    hand = {("threshold", "uint8", (-1, 2)): [2, 2, 2, 2],  # -1 wraps to 255
            ("threshold", "uint8", (1, -1)): [255, 255, 2, 100],
            ("threshold", "uint8", (1.9, 7)): [7, 7, 2, 100],  # truncated to 1
            ("threshold", "int8", (-0.5, 3)): [3, 1, 2, 100],  # truncated to 0
            ("hardtanh", "uint8", (-0.7, 1.3)): [0, 1, 1, 1],
            ("hardtanh", "bool", (0, 1)): ("RuntimeError",
                                           "Bool inputs not supported for hardtanh")}
    if (name, dtype, args) in hand:
        assert got == hand[(name, dtype, args)]
    torch = pytest.importorskip("torch")
    assert got == _int_call(torch, name, dtype, args)


# ---------------------------------------------------------------------------------------
# layouts: hardtanh and prelu write into empty_like(x)

LAYOUTS = {
    "size1_sliced": lambda lib: lib.arange(2.0).reshape(1, 2)[..., ::2],
    "size1_sliced_1d": lambda lib: lib.arange(4.0)[::2][:1],
    "transposed_sliced": lambda lib: lib.arange(24.0).reshape(4, 6).t()[:, ::2],
    "permuted_sliced": lambda lib: lib.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)[:, :, :2],
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_hardtanh_prelu_layout_is_empty_like(layout):
    x = LAYOUTS[layout](torchlet)
    hand = {"size1_sliced": (2, 2), "size1_sliced_1d": (2,), "transposed_sliced": (1, 6),
            "permuted_sliced": (1, 8, 4)}[layout]
    for fn in (lambda F_, v: F_.hardtanh(v, 1.0, 5.0), lambda F_, v: F_.relu6(v),
               lambda F_, v: F_.prelu(v, v.new_full((1,), -0.25))):
        y = fn(F, x)
        assert y.stride() == hand
        assert y.tolist() == fn(F, x.contiguous()).tolist()
        torch = pytest.importorskip("torch")
        ty = fn(torch.nn.functional, LAYOUTS[layout](torch))
        assert ty.stride() == y.stride() and ty.tolist() == y.tolist()

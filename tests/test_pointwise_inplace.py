"""Live differential tests against torch for the inverse hyperbolic functions, the in-place
methods and functions and the predicates, beyond the spec table (tests/specs/
pointwise_inplace.py): every float16 number through acosh/asinh/atanh (both compute in
float32 and round once: bit-exact but for 4 asinh inputs, see below), every in-place
method on integer, bool and float tensors (the same values or the same exception type),
what in-place operations do to the graph (grad_fn, version counter, leaves, views, saved
tensors), and the predicates on every dtype. Values of float32 libm functions are compared
within float rounding (rtol 2e-6); everything else is bit-exact.
"""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _pair(values, dtype):
    array = np.asarray(values).astype(dtype)
    return torch.tensor(array), torchlet.tensor(array)


def _outcome(fn, lib_tensor):
    """(values, dtype name) of ``fn(tensor)``, or the exception's type name."""
    try:
        out = fn(lib_tensor)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__
    return np.asarray(out.detach().numpy()).copy(), str(out.dtype)


@pytest.mark.parametrize("name", ["acosh", "asinh", "atanh"])
def test_every_float16(name):
    """Bit-exact, except where torch's float32 asinh (not NumPy's) lands on the other side
    of a float16 rounding midpoint: 4 of the 65536 inputs (+-258.5, +-54850), one ulp."""
    bits = np.arange(2**16, dtype=np.uint16)
    values = bits.view(np.float16)
    want = getattr(torch, name)(torch.from_numpy(values.copy())).numpy()
    have = getattr(torchlet, name)(torchlet.tensor(values)).numpy()
    assert have.dtype == np.float16
    assert np.array_equal(np.isnan(have), np.isnan(want))
    finite = np.isfinite(want)
    assert np.array_equal(have[np.isinf(want)], want[np.isinf(want)])
    differ = have.view(np.uint16)[finite] != want.view(np.uint16)[finite]
    assert differ.sum() <= (4 if name == "asinh" else 0)
    ulps = np.abs(have[finite].astype(np.float64) - want[finite]) / np.spacing(want[finite])
    assert ulps.max() <= 1


@pytest.mark.parametrize("name", ["acosh", "asinh", "atanh"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dense_range_within_rounding(name, dtype):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(-1, 1, 5000), rng.uniform(1, 1e4, 5000),
                             -rng.uniform(1, 1e4, 5000), 10.0 ** rng.uniform(-30, 30, 5000)])
    values = values.astype(dtype)
    want = getattr(torch, name)(torch.from_numpy(values)).numpy()
    have = getattr(torchlet, name)(torchlet.tensor(values)).numpy()
    rtol = 2e-6 if dtype == "float32" else 4e-15
    np.testing.assert_allclose(have, want, rtol=rtol, atol=0, equal_nan=True)


UNARY_INPLACE = [
    "absolute_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "bitwise_not_", "cosh_", "erf_",
    "exp2_", "expm1_", "fix_", "frac_", "log10_", "log1p_", "log2_", "negative_", "rsqrt_",
    "sgn_", "sinh_", "tan_",
]
BINARY_INPLACE = [
    "arctan2_", "atan2_", "bitwise_and_", "bitwise_or_", "bitwise_xor_", "eq_", "ge_",
    "greater_", "greater_equal_", "gt_", "le_", "less_", "less_equal_", "logical_and_",
    "logical_or_", "logical_xor_", "lt_", "ne_", "not_equal_",
]
LIBM = {"acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
        "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "cosh_", "erf_", "exp2_", "expm1_",
        "log10_", "log1p_", "log2_", "sinh_", "tan_", "arctan2_", "atan2_"}

VALUES = [0.0, -0.0, 0.5, -0.75, 1.0, 2.0, -3.0, 7.0, float("nan"), float("inf")]


def _check_same(want, have, method):
    if isinstance(want, str) or isinstance(have, str):
        assert have == want, f"{method}: torchlet {have}, torch {want}"
        return
    assert have[1] == want[1], method
    if method in LIBM and want[0].dtype.kind == "f":
        np.testing.assert_allclose(have[0], want[0], rtol=2e-6 if want[0].dtype != np.float16
                                   else 1e-3, equal_nan=True, err_msg=method)
    else:
        assert np.array_equal(have[0], want[0], equal_nan=want[0].dtype.kind == "f"), method


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", UNARY_INPLACE)
def test_unary_inplace_every_dtype(method, dtype):
    values = VALUES if dtype.startswith("float") else [0, 1, 2, 3, 1, 0, 2, 1, 3, 0]
    t_torch, t_let = _pair(values, dtype)
    want = _outcome(lambda t: getattr(t, method)(), t_torch)
    have = _outcome(lambda t: getattr(t, method)(), t_let)
    _check_same(want, have, method)
    if not isinstance(have, str):  # the write went into the tensor itself
        assert np.array_equal(t_let.numpy(), have[0], equal_nan=True)


@pytest.mark.parametrize("other", ["int64", "float32", "float64", "bool", 2, 1.5, True])
@pytest.mark.parametrize("dtype", ["float32", "int64", "int16", "uint8", "bool"])
@pytest.mark.parametrize("method", BINARY_INPLACE)
def test_binary_inplace_dtypes(method, dtype, other):
    values = [0, 1, 2, 3, 1, 0]
    t_torch, t_let = _pair(values, dtype)
    if isinstance(other, str):
        o_torch, o_let = _pair([1, 1, 0, 3, 2, 0], other)
    else:
        o_torch = o_let = other
    want = _outcome(lambda t: getattr(t, method)(o_torch), t_torch)
    have = _outcome(lambda t: getattr(t, method)(o_let), t_let)
    _check_same(want, have, method)


@pytest.mark.parametrize("method", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_cumulative_inplace(method, dtype):
    values = [[1, 2, 3], [4, 5, 6]]
    t_torch, t_let = _pair(values, dtype)
    _check_same(_outcome(lambda t: getattr(t, method)(1), t_torch),
                _outcome(lambda t: getattr(t, method)(1), t_let), method)


def _graph(lib, method, *args):
    leaf = lib.tensor([0.5, 0.25, -0.5], requires_grad=True)
    x = leaf * 2
    version = x._version
    out = getattr(x, method)(*args)
    return leaf, x, out, version


@pytest.mark.parametrize("method,args", [
    ("exp2_", ()), ("log1p_", ()), ("tan_", ()), ("frac_", ()), ("atan2_", (0.5,)),
    ("cumsum_", (0,)), ("cumprod_", (0,)), ("eq_", (1.0,)), ("lt_", (0.0,)),
    ("logical_and_", ("tensor",)), ("acosh_", ()),
])
def test_inplace_graph_as_torch(method, args):
    results = {}
    for lib in (torch, torchlet):
        call_args = tuple(lib.tensor([1.0, 0.0, 1.0]) if a == "tensor" else a for a in args)
        if method == "atan2_":
            call_args = (lib.tensor([0.5, -1.0, 2.0]),)
        leaf, x, out, version = _graph(lib, method, *call_args)
        assert out is x
        assert x._version > version
        name = None if out.grad_fn is None else out.grad_fn.name()
        try:
            grad = lib.autograd.grad(out.sum(), leaf)[0]
            grad = grad.numpy().copy() if grad is not None else None
        except Exception as error:  # noqa: BLE001
            grad = type(error).__name__
        results[lib.__name__] = (name, grad)
    (name_t, grad_t), (name_l, grad_l) = results["torch"], results["torchlet"]
    assert name_l == name_t
    if isinstance(grad_t, str):
        assert grad_l == grad_t
    else:
        np.testing.assert_allclose(grad_l, grad_t, rtol=2e-6)


def test_logical_inplace_leaves_leaf_alone():
    for lib in (torch, torchlet):
        leaf = lib.tensor([1.0, 0.0, 2.0], requires_grad=True)
        out = leaf.logical_or_(lib.tensor([0.0, 0.0, 1.0]))
        assert out is leaf and leaf.requires_grad and leaf.grad_fn is None
        assert leaf._version == 1
        assert leaf.detach().numpy().tolist() == [1.0, 0.0, 1.0]


def test_modified_saved_tensor_is_detected():
    errors = []
    for lib in (torch, torchlet):
        x = lib.tensor([0.5, 0.25], requires_grad=True) * 1
        y = x.sin()
        x.asinh_()
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        errors.append(str(info.value))
    assert "modified by an inplace operation" in errors[1]


def test_inplace_on_view_flows_to_base():
    grads = []
    for lib in (torch, torchlet):
        leaf = lib.tensor([0.5, 1.5, -0.25, 2.0], requires_grad=True)
        base = leaf * 1
        base[1:3].expm1_()
        base.sum().backward()
        grads.append((base.detach().numpy().copy(), leaf.grad.numpy().copy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], rtol=2e-6)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=2e-6)


@pytest.mark.parametrize("name", ["acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh"])
def test_out_argument(name):
    outs = []
    for lib in (torch, torchlet):
        out = lib.empty(0, dtype=lib.float64)
        result = getattr(lib, name)(lib.tensor([0.5, 1.5, -2.0]), out=out)
        assert result is out
        outs.append(out.numpy().copy())
    assert outs[1].dtype == outs[0].dtype == np.float64
    np.testing.assert_allclose(outs[1], outs[0], rtol=2e-6, equal_nan=True)


@pytest.mark.parametrize("name", ["conj", "conj_physical", "resolve_conj", "resolve_neg",
                                  "real"])
def test_real_tensor_helpers_return_self(name):
    for lib in (torch, torchlet):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        assert getattr(lib, name)(x) is x
        assert getattr(x, name)() is x if name != "real" else x.real is x
    assert torchlet.Tensor.conj_physical_(torchlet.tensor([1.0])) is not None


@pytest.mark.parametrize("dtype", DTYPES)
def test_predicates_every_dtype(dtype):
    values = [0, 1, 1, 0]
    t_torch, t_let = _pair(values, dtype)
    for name in ["is_signed", "is_complex", "is_conj", "is_neg", "is_floating_point"]:
        assert getattr(torchlet, name)(t_let) == getattr(torch, name)(t_torch), name
        assert getattr(t_let, name)() == getattr(t_torch, name)(), name
    assert np.array_equal(torchlet.isreal(t_let).numpy(), torch.isreal(t_torch).numpy())
    assert np.array_equal(t_let.angle().numpy(), t_torch.angle().numpy())
    assert str(t_let.angle().dtype) == str(t_torch.angle().dtype)


@pytest.mark.parametrize("values", [[0.0], [-0.0], [float("nan")], [3], [[0]], [True], 5.0])
def test_is_nonzero(values):
    array = np.asarray(values)
    assert torchlet.is_nonzero(torchlet.tensor(array)) == torch.is_nonzero(torch.tensor(array))
    assert torchlet.tensor(array).is_nonzero() == torch.tensor(array).is_nonzero()


def test_is_same_size():
    for a, b in [((2, 3), (2, 3)), ((2, 3), (3, 2)), ((), ()), ((0,), (0, 1))]:
        want = torch.is_same_size(torch.zeros(a), torch.zeros(b))
        assert torchlet.is_same_size(torchlet.zeros(a), torchlet.zeros(b)) == want
        assert torchlet.zeros(a).is_same_size(torchlet.zeros(b)) == want


@pytest.mark.parametrize("p,train", [(0.3, True), (0.0, True), (1.0, True), (0.5, False)])
@pytest.mark.parametrize("name", ["dropout_", "alpha_dropout_", "feature_alpha_dropout_",
                                  "feature_dropout", "feature_dropout_"])
def test_dropout_functions_draw_as_torch(name, p, train):
    x = np.random.default_rng(1).standard_normal((4, 6, 3)).astype(np.float32)
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(7)
        t = lib.tensor(x)
        out = getattr(lib, name)(t, p, train)
        assert (out is t) == name.endswith("_") or not train or p == 0
        results.append(out.numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=2e-6, atol=1e-7)


def test_top_level_functions_are_exported():
    names = ["abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
             "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_",
             "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "erf_", "exp2_", "exp_",
             "expm1_", "fix_", "floor_", "frac_", "log10_", "log1p_", "log2_", "log_",
             "nan_to_num_", "neg_", "negative_", "reciprocal_", "relu_", "round_", "rsqrt_",
             "sigmoid_", "sin_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
             "zero_", "fill_", "fill", "threshold_", "selu_", "celu_", "rrelu_", "dropout_",
             "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout",
             "feature_dropout_", "isneginf", "isposinf", "isreal", "is_nonzero",
             "is_same_size", "is_signed", "is_complex", "is_conj", "is_neg", "conj",
             "conj_physical", "resolve_conj", "resolve_neg", "real", "imag", "angle"]
    for name in names:
        assert hasattr(torch, name), name
        assert callable(getattr(torchlet, name)), name
        with pytest.raises(TypeError, match="must be Tensor|argument"):
            getattr(torchlet, name)(None, *([0.5] * _extra_args(name)))


def _extra_args(name):
    return {"clamp_max_": 1, "clamp_min_": 1, "fill_": 1, "fill": 1, "threshold_": 2,
            "dropout_": 2, "alpha_dropout_": 2, "feature_alpha_dropout_": 2,
            "feature_dropout": 2, "feature_dropout_": 2, "is_same_size": 1}.get(name, 0)

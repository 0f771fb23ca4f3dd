"""The first gradient of pointwise ops under create_graph=True is torch's backward formula op
for op: C++ numbers are Scalar overloads (AddBackward1, SubBackward1, MulBackward1,
DivBackward1), ``x.pow(2)`` is PowBackward0, C++ ``1 - x`` is SubBackward0 with an empty
first edge, ``masked_fill`` is MaskedFillBackward0 (helper unarygg, session 21)."""

import math

import numpy as np
import pytest

import torchlet


def _tree(fn, depth=0):
    """name(child, ...) over next_functions, empty edges as None, input_nr > 0 as ':n'."""
    if fn is None:
        return "None"
    name = fn.name().replace("torch::autograd::", "")
    if depth > 8:
        return name
    kids = [_tree(n, depth + 1) + ("" if nr == 0 else f":{nr}") for n, nr in fn.next_functions]
    return name + ("(" + ",".join(kids) + ")" if kids else "")


def _first_grad_tree(t, f, values, dtype="float64", grad_requires_grad=False):
    x = t.tensor(values, dtype=getattr(t, dtype), requires_grad=True)
    gout = t.tensor(np.linspace(0.5, 1.5, len(values)), dtype=getattr(t, dtype),
                    requires_grad=grad_requires_grad)
    (g,) = t.autograd.grad(f(t, x), x, gout, create_graph=True)
    return _tree(g.grad_fn)


A = "AccumulateGrad"
X = [0.3, -0.7, 0.45, 0.05]
POS = [0.3, 1.7, 0.45, 2.5]
PROB = [0.3, 0.7, 0.45, 0.05]

# hand-derived from torch's derivatives.yaml / FunctionsManual.cpp formulas
EXPECTED = [
    ("expm1", lambda t, x: t.expm1(x), X, f"MulBackward0(None,AddBackward1(Expm1Backward0({A})))"),
    ("tan", lambda t, x: t.tan(x), X,
     f"MulBackward0(None,AddBackward1(PowBackward0(TanBackward0({A}))))"),
    ("atan", lambda t, x: t.atan(x), X, f"DivBackward0(None,AddBackward1(MulBackward0({A},{A})))"),
    ("log1p", lambda t, x: t.log1p(x), POS, f"DivBackward0(None,AddBackward1({A}))"),
    ("log2", lambda t, x: t.log2(x), POS, f"DivBackward0(None,MulBackward1({A}))"),
    ("sqrt", lambda t, x: t.sqrt(x), POS, f"DivBackward0(None,MulBackward1(SqrtBackward0({A})))"),
    ("asin", lambda t, x: t.asin(x), X,
     f"MulBackward0(None,RsqrtBackward0(AddBackward1(MulBackward0(NegBackward0({A}),{A}))))"),
    ("acos", lambda t, x: t.acos(x), X, "MulBackward0(None,NegBackward0(RsqrtBackward0("
     f"AddBackward1(MulBackward0(NegBackward0({A}),{A})))))"),
    ("atanh", lambda t, x: t.atanh(x), X,
     f"DivBackward0(None,SubBackward0(None,PowBackward0({A})))"),
    ("acosh", lambda t, x: t.acosh(x + 2), X,
     "MulBackward0(None,RsqrtBackward0(SubBackward1(MulBackward0(AddBackward0("
     f"{A},None),AddBackward0({A},None)))))"),
    ("asinh", lambda t, x: t.asinh(x), X,
     f"MulBackward0(None,RsqrtBackward0(AddBackward1(PowBackward0({A}))))"),
    ("erf", lambda t, x: t.erf(x), X,
     f"MulBackward0(MulBackward1(ExpBackward0(NegBackward0(PowBackward0({A})))),None)"),
    ("logit", lambda t, x: t.logit(x), PROB,
     f"WhereBackward0(DivBackward0(None,MulBackward0({A},SubBackward0(None,{A}))),None)"),
    ("2**x", lambda t, x: 2 ** x, X, f"MulBackward0(None,MulBackward1(PowBackward2({A})))"),
    ("copysign", lambda t, x: t.copysign(x, -1.0), X,
     f"MulBackward0(None,MaskedFillBackward0(DivBackward0(CopysignBackward1({A}),{A})))"),
    ("atan2", lambda t, x: t.atan2(x, t.ones_like(x)), X, "MulBackward0(None,MaskedFillBackward0("
     f"ReciprocalBackward0(AddBackward0(MulBackward0({A},{A}),None))))"),
    ("entr", lambda t, x: t.special.entr(x), POS,
     f"MulBackward0(None,NegBackward0(AddBackward1(LogBackward0({A}))))"),
    ("ndtri", lambda t, x: t.special.ndtri(x), PROB,
     f"MulBackward0(None,ExpBackward0(DivBackward1(PowBackward0(SpecialNdtriBackward0({A})))))"),
    ("pow_tt", lambda t, x: t.pow(t.ones_like(x) * 1.3, x), X,
     f"MulBackward0(None,WhereBackward0(None,MulBackward0(PowBackward1(None,{A}),None)))"),
    ("xlogy", lambda t, x: t.xlogy(x, x + 2), X,
     f"AddBackward0(MaskedFillBackward0(XlogyBackward0(None,AddBackward0({A},None))),"
     f"DivBackward0(MulBackward0(None,{A}),AddBackward0({A},None)))"),
]


@pytest.mark.parametrize("name,f,values,expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_first_gradient_tree_hand_derived(name, f, values, expected):
    assert _first_grad_tree(torchlet, f, values) == expected


@pytest.mark.parametrize("name,f,values,expected", EXPECTED, ids=[e[0] for e in EXPECTED])
def test_first_gradient_tree_as_torch(name, f, values, expected):
    torch = pytest.importorskip("torch")
    assert _first_grad_tree(torch, f, values) == expected


def test_grad_that_requires_grad_gets_scalar_nodes():
    """With a gradient that itself requires grad, torch's ``-0.5 * grad`` (rsqrt), ``grad *
    (1 - w)`` (lerp with a number), ``grad * 1`` (atanh) record MulBackward1 on it."""
    f = lambda t, x: t.rsqrt(x)  # noqa: E731
    assert _first_grad_tree(torchlet, f, POS, grad_requires_grad=True) == \
        f"MulBackward0(MulBackward1({A}),PowBackward0(RsqrtBackward0({A})))"
    f = lambda t, x: t.lerp(x, t.ones_like(x), 0.3)  # noqa: E731
    assert _first_grad_tree(torchlet, f, X, grad_requires_grad=True) == f"MulBackward1({A})"
    f = lambda t, x: t.atanh(x)  # noqa: E731
    assert _first_grad_tree(torchlet, f, X, grad_requires_grad=True) == \
        f"DivBackward0(MulBackward1({A}),SubBackward0(None,PowBackward0({A})))"
    f = lambda t, x: t.maximum(x, t.ones_like(x) * 0.3)  # noqa: E731
    assert _first_grad_tree(torchlet, f, X, grad_requires_grad=True) == \
        f"MaskedFillBackward0(WhereBackward0(DivBackward1({A}),{A}))"


def test_scalar_nodes_values_and_saved():
    """add/sub/mul/div by a C++ double: float16 computed in float32 and rounded once."""
    from torchlet._ops.pointwise.arithmetic import (
        add_scalar,
        div_scalar,
        mul_scalar,
        scalar_minus,
        sub_scalar,
    )

    x = torchlet.tensor([0.1, 1000.0, -3.3], dtype=torchlet.float16, requires_grad=True)
    x32 = x.detach().numpy().astype(np.float32)
    for fn, op in [(add_scalar, np.add), (sub_scalar, np.subtract),
                   (mul_scalar, np.multiply), (div_scalar, np.divide)]:
        y = fn(x, math.pi)
        assert y.dtype == torchlet.float16
        expected = op(x32, np.float32(math.pi)).astype(np.float16)
        assert y.detach().numpy().tobytes() == expected.tobytes()
    y = mul_scalar(x, 0.25)
    assert y.grad_fn.name() == "MulBackward1" and y.grad_fn._saved_other == 0.25
    gout = torchlet.ones(3, dtype=torchlet.float16, requires_grad=True)
    (g,) = torchlet.autograd.grad(y, x, gout, create_graph=True)
    assert g.grad_fn.name() == "MulBackward1"  # (grad * 0.25, again a Scalar product)
    assert np.array_equal(g.detach().numpy(), np.full(3, 0.25, np.float16))
    # C++ 1 - x: a fresh tensor of ones minus x, its first edge empty
    z = scalar_minus(1, x)
    assert z.grad_fn.name() == "SubBackward0" and z.grad_fn.next_functions[0] == (None, 0)
    assert z.detach().numpy().tobytes() == (np.float16(1) - x.detach().numpy()).tobytes()


def _ops():
    O = lambda t, x: t.ones_like(x)  # noqa: E731
    return {
        "expm1": (lambda t, x: t.expm1(x), "any"), "tan": (lambda t, x: t.tan(x), "any"),
        "atan": (lambda t, x: t.atan(x), "any"), "asinh": (lambda t, x: t.asinh(x), "any"),
        "erf": (lambda t, x: t.erf(x), "any"), "erfc": (lambda t, x: t.erfc(x), "any"),
        "sinc": (lambda t, x: t.sinc(x), "any"), "log2": (lambda t, x: t.log2(x), "pos"),
        "log10": (lambda t, x: t.log10(x), "pos"), "sqrt": (lambda t, x: t.sqrt(x), "pos"),
        "log1p": (lambda t, x: t.log1p(x), "pos"), "asin": (lambda t, x: t.asin(x), "unit"),
        "acos": (lambda t, x: t.acos(x), "unit"), "atanh": (lambda t, x: t.atanh(x), "unit"),
        "erfinv": (lambda t, x: t.erfinv(x), "unit"), "acosh": (lambda t, x: t.acosh(x), "ge1"),
        "logit": (lambda t, x: t.logit(x), "prob"),
        "logit_eps": (lambda t, x: t.logit(x, eps=0.1), "prob"),
        "erfcx": (lambda t, x: t.special.erfcx(x), "any"),
        "ndtr": (lambda t, x: t.special.ndtr(x), "any"),
        "log_ndtr": (lambda t, x: t.special.log_ndtr(x), "any"),
        "entr": (lambda t, x: t.special.entr(x), "pos"),
        "ndtri": (lambda t, x: t.special.ndtri(x), "prob"),
        "0.3**x": (lambda t, x: 0.3 ** x, "any"), "exp2": (lambda t, x: t.exp2(x), "any"),
        "copysign": (lambda t, x: t.copysign(x, -1.0), "any"),
        "addcmul": (lambda t, x: t.addcmul(x, x, x, value=0.3), "any"),
        "addcdiv_t2": (lambda t, x: t.addcdiv(O(t, x), O(t, x) * 2, x, value=0.3), "pos"),
        "atan2": (lambda t, x: t.atan2(x, O(t, x) * 0.5), "any"),
        "logaddexp": (lambda t, x: t.logaddexp(x, O(t, x) * 0.5), "any"),
        "logaddexp2": (lambda t, x: t.logaddexp2(x, O(t, x) * 0.5), "any"),
        "rsqrt": (lambda t, x: t.rsqrt(x), "pos"),
        "lerp_s": (lambda t, x: t.lerp(x, O(t, x) * 0.5, 0.3), "any"),
        "lerp_w": (lambda t, x: t.lerp(O(t, x) * 0.5, O(t, x) * 2, x), "any"),
        "xlog1py_b": (lambda t, x: t.special.xlog1py(O(t, x) * 0.7, x), "pos"),
        "xlog1py_nb": (lambda t, x: t.special.xlog1py(0.7, x), "pos"),
        "xlogy_nb": (lambda t, x: t.xlogy(0.7, x), "pos"),
        "zeta_nq": (lambda t, x: t.special.zeta(2.5, x), "pos"),
        "pow_tt2": (lambda t, x: t.pow(O(t, x) * 1.3, x), "any"),
        "mvlgamma": (lambda t, x: t.mvlgamma(x, 2), "ge1"),
        "deg2rad": (lambda t, x: t.deg2rad(x), "any"),
        "maximum": (lambda t, x: t.maximum(x, O(t, x) * 0.5), "any"),
        "fmax": (lambda t, x: t.fmax(x, O(t, x) * 0.5), "any"),
    }


_DOM = {
    "any": lambda v: v, "pos": lambda v: np.abs(v) + 0.1,
    "unit": lambda v: np.clip(v * 0.4, -0.95, 0.95), "ge1": lambda v: np.abs(v) + 1.1,
    "prob": lambda v: np.minimum(np.abs(v) * 0.3 + 0.05, 0.95),
}
# float16 only where torch has it and no ``x * number`` node of the test's own is involved
_NO_HALF = {"erfcx", "log_ndtr", "ndtri", "zeta_nq", "mvlgamma", "addcdiv_t2", "lerp_w",
            "pow_tt2", "atan2", "logaddexp", "logaddexp2", "maximum", "fmax", "xlog1py_b",
            "lerp_s"}


def _configs():
    rng = np.random.default_rng(2113)
    names = sorted(_ops())
    out = []
    for i in range(60):
        name = names[i % len(names)] if i < len(names) else names[rng.integers(len(names))]
        dtype = ["float32", "float64", "float16"][rng.integers(3)]
        if dtype == "float16" and name in _NO_HALF:
            dtype = "float32"
        shape = [(), (5,), (2, 3)][rng.integers(3)]
        values = rng.standard_normal(shape) * rng.choice([0.5, 2.0])
        out.append((name, dtype, bool(rng.integers(2)), shape, values.tolist()))
    return out


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize]).ravel()


def _run(t, name, dtype, grad_requires_grad, values, gout):
    f, dom = _ops()[name]
    arr = _DOM[dom](np.asarray(values))
    dt = getattr(t, dtype)
    x = t.tensor(arr, dtype=dt, requires_grad=True)
    go = t.tensor(gout, dtype=dt, requires_grad=grad_requires_grad)
    (g1,) = t.autograd.grad(f(t, x), x, go)
    x = t.tensor(arr, dtype=dt, requires_grad=True)
    (g,) = t.autograd.grad(f(t, x), x, go, create_graph=True)
    h = None
    if g.requires_grad:
        (h,) = t.autograd.grad(g.sum(), x, allow_unused=True)
    return (g1.numpy(), g.detach().numpy(), _tree(g.grad_fn),
            None if h is None else h.numpy())


@pytest.mark.parametrize("name,dtype,grad_requires_grad,shape,values", _configs())
def test_sampled_trees_and_values_as_torch(name, dtype, grad_requires_grad, shape, values):
    gout = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    g1, g, tree, h = _run(torchlet, name, dtype, grad_requires_grad, values, gout)
    # the create_graph gradient is the plain one, bit for bit
    assert np.array_equal(_bits(g1), _bits(g))
    torch = pytest.importorskip("torch")
    tg1, _, ttree, th = _run(torch, name, dtype, grad_requires_grad, values, gout)
    assert tree == ttree
    tol = {"float16": 2e-2, "float32": 2e-4, "float64": 1e-10}[dtype]
    np.testing.assert_allclose(g1, tg1, rtol=tol, atol=tol)
    assert (h is None) == (th is None)
    if h is not None:
        np.testing.assert_allclose(h, th, rtol=tol * 10, atol=tol * 10)

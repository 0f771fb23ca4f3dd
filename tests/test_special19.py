"""Session 19, special functions: autograd graphs of mixed-dtype binary special functions
(no ToCopyBackward0: torch converts inside the op), clamp_min/clamp_max with a tensor
bound (two edges), copysign with a number (one edge), addcdiv's backward with an integer
tensor2, torch.special.round of integers; with a sampled differential test against torch.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import torchlet


def _edges(t):
    """The names of ``t.grad_fn``'s next functions (None for an absent edge)."""
    return [None if f is None else f.name() for f, _ in t.grad_fn.next_functions]


def _leaf(lib, values, dtype, requires_grad=True):
    return lib.tensor(values, dtype=getattr(lib, dtype), requires_grad=requires_grad)


ACC = "torch::autograd::AccumulateGrad"

# ---------------------------------------------------------------------------------------
# mixed float dtypes: one node, no cast node, gradients in each input's dtype


MIXED = [
    # (function, node name, does input 0 have a derivative)
    (lambda L, a, b: L.special.xlog1py(a, b), "SpecialXlog1PyBackward0", True),
    (lambda L, a, b: L.special.zeta(a, b), "SpecialZetaBackward0", False),
    (lambda L, a, b: L.igamma(a, b), "IgammaBackward0", False),
    (lambda L, a, b: L.special.gammaincc(a, b), "IgammacBackward0", False),
    (lambda L, a, b: L.nextafter(a, b), "NextafterBackward0", True),
]


@pytest.mark.parametrize("fn, node, first", MIXED)
@pytest.mark.parametrize("da, db", [("float32", "float64"), ("float64", "float32")])
def test_mixed_dtypes_record_one_node(fn, node, first, da, db):
    a = _leaf(torchlet, [2.0, 3.0, 1.5], da)
    b = _leaf(torchlet, [0.5, 2.0, 3.0], db)
    y = fn(torchlet, a, b)
    assert y.dtype == torchlet.float64
    assert y.grad_fn.name() == node
    assert _edges(y) == [ACC, ACC]
    # only b requires grad: the edge to a is None, b's goes straight to its leaf
    a2 = _leaf(torchlet, [2.0, 3.0, 1.5], da, requires_grad=False)
    y2 = fn(torchlet, a2, b)
    assert _edges(y2) == [None, ACC]
    y2.sum().backward()
    assert b.grad.dtype == getattr(torchlet, db)


def test_xlog1py_mixed_gradients_by_hand():
    a = _leaf(torchlet, [2.0, 3.0, 1.5], "float32")
    b = _leaf(torchlet, [0.5, 2.0, 3.0], "float64")
    torchlet.special.xlog1py(a, b).sum().backward()
    assert a.grad.dtype == torchlet.float32 and b.grad.dtype == torchlet.float64
    # d/da = log1p(b) (computed in float64, then float32), d/db = a / (b + 1)
    np.testing.assert_array_equal(
        a.grad.numpy(), np.log1p(np.array([0.5, 2.0, 3.0])).astype(np.float32))
    np.testing.assert_allclose(b.grad.numpy(), [2 / 1.5, 1.0, 0.375], rtol=1e-15)


def test_zeta_mixed_gradient_by_hand():
    x = torchlet.tensor([2.0, 3.0], dtype=torchlet.float32)
    q = _leaf(torchlet, [1.0, 1.0], "float64")
    y = torchlet.special.zeta(x, q)
    assert _edges(y) == [None, ACC]
    y.sum().backward()
    # d/dq zeta(x, q) = -x zeta(x + 1, q); zeta(3, 1) = 1.2020569..., zeta(4, 1) = pi^4/90
    np.testing.assert_allclose(q.grad.numpy(), [-2 * 1.2020569031595942, -3 * math.pi ** 4 / 90],
                               rtol=1e-12)
    assert q.grad.dtype == torchlet.float64


def test_igamma_mixed_gradient_by_hand():
    a = torchlet.tensor([1.0, 2.0], dtype=torchlet.float32)
    x = _leaf(torchlet, [0.5, 2.0], "float64")
    torchlet.special.gammainc(a, x).sum().backward()
    # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
    np.testing.assert_allclose(x.grad.numpy(), [math.exp(-0.5), 2 * math.exp(-2.0)],
                               rtol=1e-12)


def test_xlog1py_zeta_numbers_and_integers_keep_their_nodes():
    b = _leaf(torchlet, [0.5, 2.0], "float32")
    y = torchlet.special.xlog1py(2, b)
    assert y.grad_fn.name() == "SpecialXlog1PyBackward1" and _edges(y) == [ACC]
    y = torchlet.special.xlog1py(b, 3)
    assert y.grad_fn.name() == "SpecialXlog1PyBackward2" and _edges(y) == [ACC]
    y = torchlet.special.zeta(3.0, b)
    assert y.grad_fn.name() == "SpecialZetaBackward1" and y.dtype == torchlet.float32
    n = torchlet.tensor([1, 2])  # an integer tensor with a float one: the float's dtype
    y = torchlet.special.xlog1py(n, b)
    assert y.dtype == torchlet.float32 and _edges(y) == [None, ACC]
    with pytest.raises(NotImplementedError, match="zeta_cpu"):
        torchlet.special.zeta(torchlet.ones(2, dtype=torchlet.float16),
                              torchlet.ones(2, dtype=torchlet.float16))
    y = torchlet.special.zeta(torchlet.ones(2, dtype=torchlet.float16) * 2, b)  # -> float32
    assert y.dtype == torchlet.float32


def test_copysign_number_has_one_edge():
    a = _leaf(torchlet, [3.0, -1.0, 0.0], "float32")
    y = torchlet.copysign(a, -2)
    assert y.grad_fn.name() == "CopysignBackward1"
    assert _edges(y) == [ACC]
    assert y.tolist() == [-3.0, -1.0, -0.0]
    y.sum().backward()
    assert a.grad.tolist() == [-1.0, 1.0, 0.0]
    y = torchlet.copysign(_leaf(torchlet, 2.0, "float64"), -0.0)  # 0-d
    assert y.item() == -2.0 and _edges(y) == [ACC]


# ---------------------------------------------------------------------------------------
# clamp_min / clamp_max with a tensor bound: two inputs


def test_clamp_min_max_tensor_bound_edges_and_grads():
    x = _leaf(torchlet, [0.1, 0.5, 0.9], "float32")
    lo = _leaf(torchlet, [0.3, 0.3, 0.3], "float32")
    hi = _leaf(torchlet, [0.7, 0.2, 0.8], "float64")
    y = torchlet.clamp_min(x, lo)
    assert y.grad_fn.name() == "ClampMinBackward1" and _edges(y) == [ACC, ACC]
    z = torchlet.clamp_max(x, hi)
    assert z.grad_fn.name() == "ClampMaxBackward1" and _edges(z) == [ACC, ACC]
    assert z.dtype == torchlet.float64
    (y.sum() + z.sum()).backward()
    # x: (x >= lo) + (x <= hi) = [0 + 1, 1 + 0, 1 + 0]
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    assert lo.grad.tolist() == [1.0, 0.0, 0.0]
    assert hi.grad.tolist() == [0.0, 1.0, 1.0] and hi.grad.dtype == torchlet.float64
    x2 = _leaf(torchlet, [0.1, 0.5], "float32", requires_grad=False)
    y = x2.clamp_min(_leaf(torchlet, [0.3, 0.3], "float32"))
    assert _edges(y) == [None, ACC]
    # clamp itself keeps three inputs, as torch's ClampBackward0
    y = torchlet.clamp(x, lo)
    assert y.grad_fn.name() == "ClampBackward0" and _edges(y) == [ACC, ACC, None]


# ---------------------------------------------------------------------------------------
# addcdiv with an integer tensor2, torch.special.round of integers


@pytest.mark.parametrize("dtype, word", [("int64", "Long"), ("int32", "Int"),
                                         ("uint8", "Byte"), ("bool", "Bool")])
def test_addcdiv_integer_tensor2_backward_refuses(dtype, word):
    t1 = _leaf(torchlet, [1.0, 2.0, 3.0], "float32")
    t2 = torchlet.tensor([1, 2, 1]).to(getattr(torchlet, dtype))
    y = torchlet.addcdiv(torchlet.ones(3), t1, t2, value=2)
    assert y.tolist() == ([3.0, 5.0, 7.0] if dtype == "bool" else [3.0, 3.0, 7.0])
    with pytest.raises(RuntimeError,
                       match=f"result type Float can't be cast to the desired output type {word}"):
        y.sum().backward()
    # the input alone needs no division: fine
    x = _leaf(torchlet, [1.0, 1.0, 1.0], "float32")
    torchlet.addcdiv(x, t1.detach(), t2).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("dtype, word", [("int64", "Long"), ("uint8", "Byte"), ("bool", "Bool")])
def test_special_round_integers_refused(dtype, word):
    t = torchlet.tensor([1, 0]).to(getattr(torchlet, dtype))
    refused = f"not implemented for '{word}'"
    with pytest.raises(NotImplementedError, match=f'"round_vml_cpu" {refused}'):
        torchlet.special.round(t)
    with pytest.raises(NotImplementedError, match=f'"round_cpu" {refused}'):
        torchlet.special.round(t, decimals=1)
    with pytest.raises(RuntimeError, match="Found dtype Float but expected"):
        torchlet.special.round(t, out=torchlet.empty(2))
    rounded = torchlet.special.round(torchlet.tensor([1.25]), decimals=1)
    assert rounded.tolist() == [np.float32(1.2).item()]


# ---------------------------------------------------------------------------------------
# live comparisons with torch


def _graph(t):
    out = []

    def walk(fn, depth):
        out.append((depth, None if fn is None else fn.name()))
        if fn is not None:
            for f, _ in fn.next_functions:
                walk(f, depth + 1)

    walk(t.grad_fn, 0)
    return out


_BINARY = ["special.zeta", "special.xlog1py", "xlogy", "igamma", "igammac", "special.gammainc",
           "copysign", "nextafter", "clamp_min", "clamp_max", "hypot", "fmax"]


def _get(lib, name):
    for part in name.split("."):
        lib = getattr(lib, part)
    return lib


def _sampled_configs(n=160):
    rng = np.random.default_rng(19)
    configs = []
    for _ in range(n):
        kinds = [("num", "t0", "t")[i] for i in rng.choice(3, 2, p=[0.15, 0.2, 0.65])]
        if kinds == ["num", "num"]:
            kinds = ["t", "num"]
        configs.append((
            _BINARY[rng.integers(len(_BINARY))], kinds,
            [str(d) for d in rng.choice(["float32", "float64", "float16", "int64"], 2,
                                        p=[0.4, 0.4, 0.1, 0.1])],
            [bool(r) for r in rng.random(2) < 0.7],
            [rng.choice([0.5, 2.0, 3.0, 1.5, -0.5, 4.0], size=3) for _ in range(2)],
        ))
    return configs


def _run(lib, config):
    name, kinds, dtypes, needs, values = config
    args = []
    for kind, dtype, need, v in zip(kinds, dtypes, needs, values, strict=True):
        if kind == "num":
            args.append(float(v[0]) if dtype.startswith("float") else int(v[0]))
            continue
        t = lib.tensor(v[0] if kind == "t0" else v, dtype=lib.float64).to(getattr(lib, dtype))
        args.append(t.requires_grad_() if need and dtype.startswith("float") else t)
    try:
        y = _get(lib, name)(*args)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error).__name__
    result = [str(y.dtype), tuple(y.shape), y.detach().double().numpy(), _graph(y)
              if y.grad_fn is not None else None]
    if y.requires_grad:
        try:
            y.backward(lib.ones_like(y))
            result.append([(str(a.grad.dtype), a.grad.double().numpy())
                           if isinstance(a, lib.Tensor) and a.grad is not None else None
                           for a in args])
        except Exception as error:  # noqa: BLE001
            result.append(type(error).__name__)
    return result


def _same(u, v, rtol):
    if isinstance(u, np.ndarray) and isinstance(v, np.ndarray):
        return u.shape == v.shape and np.allclose(u, v, rtol=rtol, atol=0, equal_nan=True)
    if isinstance(u, (list, tuple)) and isinstance(v, (list, tuple)):
        return len(u) == len(v) and all(_same(a, b, rtol) for a, b in zip(u, v, strict=True))
    return u == v


def test_sampled_binary_graphs_against_torch():
    torch = pytest.importorskip("torch")
    for config in _sampled_configs():
        expected, got = _run(torch, config), _run(torchlet, config)
        rtol = 2e-3 if "float16" in config[2] else 1e-5  # (float32 results: an ulp or so)
        assert _same(expected, got, rtol), (config, expected, got)


def test_fixed_cases_against_torch():
    torch = pytest.importorskip("torch")
    for lib in (torch, torchlet):
        t1 = lib.ones(3, requires_grad=True)
        y = lib.addcdiv(lib.ones(3), t1, lib.tensor([1, 2, 3]))
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            y.sum().backward()
        y = lib.clamp_max(lib.tensor([0.1, 0.9], requires_grad=True), lib.tensor([0.5, 0.5]))
        assert _edges(y) == [ACC, None]
        with pytest.raises(NotImplementedError, match="round_vml_cpu"):
            lib.special.round(lib.tensor([1, 2]))

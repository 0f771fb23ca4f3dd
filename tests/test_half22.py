"""float16 pointwise leftovers: MulNumber/DivNumber edges, rsqrt's scalar tail, frexp's
and remainder's gradient graphs."""

import numpy as np
import pytest

import torchlet


def _bits(t):
    return np.ascontiguousarray(t.detach().numpy()).view(np.uint16)


def _tree(fn):
    if fn is None:
        return None
    return (fn.name().replace("torch::autograd::", ""),
            tuple(_tree(f) for f, _ in fn.next_functions))


# --- 1. float16 x * number, x / number: two edges, the number's empty


_NUMBER_CASES = {
    "x*n": lambda L, x: x * 0.3,
    "n*x": lambda L, x: 0.3 * x,
    "x/n": lambda L, x: x / 0.3,
    "mul(n,x)": lambda L, x: L.mul(0.3, x),
    "x*int": lambda L, x: x * 3,
    "x/0d": lambda L, x: x / L.tensor(3.0),
    "x*0d": lambda L, x: x * L.tensor(3.0),
}


@pytest.mark.parametrize("case", list(_NUMBER_CASES))
def test_half_number_edges(case):
    x = torchlet.tensor([0.79, -1.3, 2.5], dtype=torchlet.float16, requires_grad=True)
    y = _NUMBER_CASES[case](torchlet, x)
    edges = y.grad_fn.next_functions
    assert len(edges) == 2
    tensor_side = 1 if case == "mul(n,x)" else 0  # (n * x is x.__rmul__(n): mul(x, n))
    assert edges[1 - tensor_side][0] is None
    assert edges[tensor_side][0].name() == "torch::autograd::AccumulateGrad"
    assert (y.grad_fn._saved_self is None) == (tensor_side == 0)
    assert (y.grad_fn._saved_other is None) == (tensor_side == 1)
    y.sum().backward()
    assert x.grad.dtype == torchlet.float16


def test_half_number_saved_and_values_match_torch():
    torch = pytest.importorskip("torch")
    for case, f in _NUMBER_CASES.items():
        got = []
        for L in (torch, torchlet):
            x = L.tensor([0.79, -1.3, 2.5], dtype=L.float16, requires_grad=True)
            y = f(L, x)
            node = y.grad_fn
            saved = [None if v is None else (str(v.dtype), v.tolist())
                     for v in (node._saved_self, node._saved_other)]
            y.sum().backward()
            got.append((_tree(node), _bits(y).tolist(), saved, _bits(x.grad).tolist()))
        assert got[0] == got[1], case


def test_half_number_inplace():
    x = torchlet.tensor([0.79, -1.3], dtype=torchlet.float16, requires_grad=True)
    y = x.clone().mul_(0.5)
    assert [e[0] is None for e in y.grad_fn.next_functions] == [False, True]
    assert y.tolist() == [0.39501953125, -0.64990234375]


# --- 2. float16 rsqrt: torch's scalar tail rounds sqrt to float16 first


def test_rsqrt_half_scalar_tail_hand():
    # a = 0.418212890625 (bits 14001): sqrt(a) = 0.64669..., float16 0.646484375, and
    # 1 / that = 1.54683 -> float16 1.546875 (bits 15920); the vector path's
    # 1 / 0.64669 = 1.54633 -> 1.5458984375 (bits 15919)
    a = np.array([14001], np.uint16).view(np.float16)
    out = torchlet.rsqrt(torchlet.from_numpy(a))
    assert _bits(out).tolist() == [15920]
    # 32 elements: one SIMD step, no scalar tail
    out = torchlet.rsqrt(torchlet.from_numpy(a.repeat(32)))
    assert _bits(out).tolist() == [15919] * 32
    # 33: the last one scalar; a strided input: all scalar
    out = torchlet.rsqrt(torchlet.from_numpy(a.repeat(33)))
    assert _bits(out).tolist() == [15919] * 32 + [15920]
    out = torchlet.rsqrt(torchlet.from_numpy(a.repeat(64))[::2])
    assert _bits(out).tolist() == [15920] * 32


def test_rsqrt_half_matches_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    layouts = [lambda t: t, lambda t: t.T, lambda t: t[:, ::2], lambda t: t[0]]
    for k in range(24):
        shape = (int(rng.integers(1, 9)), int(rng.integers(1, 70)))
        a = (rng.random(shape) * 5).astype(np.float16)
        lay = layouts[k % len(layouts)]
        want = _bits(torch.rsqrt(lay(torch.from_numpy(a.copy()))))
        got = _bits(torchlet.rsqrt(lay(torchlet.from_numpy(a.copy()))))
        assert np.array_equal(want, got), (k, shape)
    z = np.array(0.79, np.float16)
    assert _bits(torchlet.rsqrt(torchlet.from_numpy(z))).tolist() \
        == _bits(torch.rsqrt(torch.from_numpy(z))).tolist()


def test_rsqrt_half_gradients_of_inverse_trig_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    for name in ("asin", "acos", "acosh", "asinh", "rsqrt"):
        a = (rng.random(37) * 0.98 + (1.01 if name == "acosh" else 0.01)).astype(np.float16)
        grads = []
        for L in (torch, torchlet):
            x = L.from_numpy(a.copy()).requires_grad_()
            getattr(L, name)(x).backward(L.ones(37, dtype=L.float16))
            grads.append(_bits(x.grad))
        assert np.array_equal(*grads), name


def test_rsqrt_float32_float64_unchanged():
    for dt in (np.float32, np.float64):
        a = (np.arange(1, 40) / 7).astype(dt)
        out = torchlet.rsqrt(torchlet.from_numpy(a)).numpy()
        assert np.array_equal(out, dt(1) / np.sqrt(a))


# --- 3. frexp's and remainder's gradient graphs


def test_frexp_half_gradient_divides_in_float32():
    # 2^16 overflows float16: the gradient of 60000's mantissa is 1 / 65536, not 0
    x = torchlet.tensor([60000.0, 3.0], dtype=torchlet.float16, requires_grad=True)
    gout = torchlet.ones(2, dtype=torchlet.float16, requires_grad=True)
    (g,) = torchlet.autograd.grad(torchlet.frexp(x)[0], x, gout, create_graph=True)
    assert g.dtype == torchlet.float16
    assert g.tolist() == [2.0 ** -16, 0.25]
    assert _tree(g.grad_fn) == ("ToCopyBackward0",
                                (("DivBackward0", (("AccumulateGrad", ()), None)),))


def test_frexp_float32_gradient_no_copy():
    x = torchlet.tensor([60000.0, 3.0], requires_grad=True)
    gout = torchlet.ones(2, requires_grad=True)
    (g,) = torchlet.autograd.grad(torchlet.frexp(x)[0], x, gout, create_graph=True)
    assert g.grad_fn.name() == "DivBackward0"


def test_remainder_double_backward():
    # grad_b = -grad * div(a, b, rounding_mode="floor"), which has a (zero) derivative
    b = torchlet.tensor([0.3, -0.7, 1.7], requires_grad=True)
    a = torchlet.ones(3) * 0.7
    gout = torchlet.ones(3, requires_grad=True)
    (g,) = torchlet.autograd.grad(torchlet.remainder(a, b), b, gout, create_graph=True)
    assert g.tolist() == pytest.approx([-2.0, 1.0, -0.0])
    assert _tree(g.grad_fn) == ("MulBackward0", (("NegBackward0", (("AccumulateGrad", ()),)),
                                                 ("DivBackward2", (None, ("AccumulateGrad", ())))))
    hb, hg = torchlet.autograd.grad(g.sum(), [b, gout])
    assert hb.tolist() == [0.0, 0.0, 0.0]
    assert hg.tolist() == pytest.approx([-2.0, 1.0, -0.0])


def test_gradient_graphs_match_torch():
    torch = pytest.importorskip("torch")
    cases = {
        "fmod_b": lambda L, x: L.fmod(L.ones_like(x) * 0.7, x),
        "rem_b": lambda L, x: L.remainder(L.ones_like(x) * 0.7, x),
        "frexp": lambda L, x: L.frexp(x)[0],
    }
    for dt in ("float16", "float32", "float64"):
        for name, f in cases.items():
            got = []
            for L in (torch, torchlet):
                x = L.tensor([0.3, -0.7, 1.7, -2.2], dtype=getattr(L, dt), requires_grad=True)
                gout = L.tensor([0.5, 0.8, 1.1, 1.5], dtype=getattr(L, dt), requires_grad=True)
                (g,) = L.autograd.grad(f(L, x), x, gout, create_graph=True)
                hs = L.autograd.grad(g.sum(), [x, gout], allow_unused=True)
                got.append((_tree(g.grad_fn), str(g.dtype), g.detach().double().tolist(),
                            [None if h is None else h.double().tolist() for h in hs]))
            assert got[0] == got[1], (dt, name)

"""Leftover fidelity gaps, round 26: the order in which binary nodes build their inputs'
gradients under create_graph (torch's generated nodes go in the alphabetical order of
derivatives.yaml's names: "other" before "self"), add/sub/rsub's alpha in backward
(mul(Tensor, Scalar): MulBackward1; float16 in float32), ldexp's saved values and
gradient, new_empty_strided's device, the strides of empty advanced-indexing results
(and of results indexed by a transposed index with a size-1 dim), and the fused
linear's ``_saved_mat2`` (torch's ``weight.t()``)."""

import math

import numpy as np
import pytest

import torchlet

F = torchlet.nn.functional


def _torch():
    return pytest.importorskip("torch")


def _walk(fn, depth=0, out=None, limit=8):
    """The names of the graph below ``fn``, depth first (None for an empty edge)."""
    out = [] if out is None else out
    if fn is None:
        out.append((depth, None))
        return out
    out.append((depth, fn.name()))
    if depth < limit:
        for nxt, _ in fn.next_functions:
            _walk(nxt, depth + 1, out, limit)
    return out


def _later_first(lib, op, n=2):
    """Which input's gradient node the op's backward made first under create_graph:
    the input letters, ordered by the sequence numbers of their gradients' nodes."""
    xs = [lib.tensor([1.5, 2.25, 0.7], dtype=lib.float64, requires_grad=True),
          lib.tensor([0.5, 3.25, 1.7], dtype=lib.float64, requires_grad=True),
          lib.tensor([0.3, 1.25, 2.7], dtype=lib.float64, requires_grad=True)][:n]
    y = op(lib, *xs)
    v = lib.ones_like(y).requires_grad_()  # (so that every gradient has a node)
    grads = lib.autograd.grad(y, xs, v, create_graph=True)
    seqs = [(g.grad_fn._sequence_nr(), "abc"[i]) for i, g in enumerate(grads)]
    return "".join(name for _, name in sorted(seqs))


# torch's order (hand-derived from derivatives.yaml: its names sorted)
ORDERED = {
    "mul": (lambda L, a, b: a * b, "ba"),
    "div": (lambda L, a, b: a / b, "ba"),
    "pow": (lambda L, a, b: a ** b, "ba"),               # exponent, self
    "float_power": (lambda L, a, b: L.float_power(a, b), "ba"),
    "maximum": (lambda L, a, b: L.maximum(a, b), "ba"),
    "minimum": (lambda L, a, b: L.minimum(a, b), "ba"),
    "fmax": (lambda L, a, b: L.fmax(a, b), "ba"),
    "fmin": (lambda L, a, b: L.fmin(a, b), "ba"),
    "hypot": (lambda L, a, b: L.hypot(a, b), "ba"),
    "xlogy": (lambda L, a, b: L.xlogy(a, b), "ba"),
    "xlog1py": (lambda L, a, b: L.special.xlog1py(a, b), "ba"),
    "logaddexp": (lambda L, a, b: L.logaddexp(a, b), "ba"),
    "logaddexp2": (lambda L, a, b: L.logaddexp2(a, b), "ba"),
    "where": (lambda L, a, b: L.where(a > b, a, b), "ba"),
    "clamp_min": (lambda L, a, b: L.clamp_min(a, b), "ba"),   # min, self
    "clamp_max": (lambda L, a, b: L.clamp_max(a, b), "ba"),
    "atan2": (lambda L, a, b: L.atan2(a, b), "ab"),      # one formula: self, other
    "ldexp": (lambda L, a, b: L.ldexp(a, b), "ba"),
    "lerp": (lambda L, a, b, c: L.lerp(a, b, c), "bac"),  # end, self, weight
    "clamp": (lambda L, a, b, c: L.clamp(a, b, c), "bca"),  # "min, max", self
}


@pytest.mark.parametrize("name", list(ORDERED))
def test_gradient_nodes_made_in_torchs_order(name):
    op, expected = ORDERED[name]
    n = op.__code__.co_argcount - 1
    assert _later_first(torchlet, op, n) == expected
    torch = pytest.importorskip("torch")
    assert _later_first(torch, op, n) == expected


def _second_order_graph(lib, f):
    a = lib.tensor([1.5, -2.25, 0.7], dtype=lib.float64, requires_grad=True)
    b = lib.tensor([0.5, 3.25, -1.7], dtype=lib.float64, requires_grad=True)
    ga, gb = lib.autograd.grad(f(a, b).sum(), (a, b), create_graph=True)
    h = lib.autograd.grad((ga * gb).sum(), (a, b), create_graph=True)
    return [_walk(g.grad_fn) for g in h]


@pytest.mark.parametrize("f", [lambda a, b: a * b * a, lambda a, b: (a * b) * (a * a),
                               lambda a, b: (a * b).exp() * b])
def test_second_order_graph_is_torchs(f):
    """The graph of a second-order gradient: the AddBackward0 that sums the two paths
    into a shared input takes its operands in torch's order."""
    ours = _second_order_graph(torchlet, f)
    sums = [name for g in ours for _, name in g].count("AddBackward0")
    assert sums > 0
    torch = pytest.importorskip("torch")
    assert ours == _second_order_graph(torch, f)


_THIRD = {
    "mul": lambda L, a, b: a * a * b, "div": lambda L, a, b: a / b,
    "hypot": lambda L, a, b: L.hypot(a, b), "xlogy": lambda L, a, b: L.xlogy(a, b),
    "maximum": lambda L, a, b: L.maximum(a * b, a), "where": lambda L, a, b: L.where(
        a > b, a * b, b * b), "clamp": lambda L, a, b: L.clamp(a * a, b, a + b),
    "add_alpha": lambda L, a, b: L.add(a * b, b * b, alpha=0.3),
}


def _third_order(lib, name, dtype):
    rng = np.random.default_rng(7)
    an, bn = rng.uniform(0.3, 2, 8), rng.uniform(0.3, 2, 8)
    bn[0] = an[0]  # (a tie for maximum)
    vs = [rng.standard_normal(8) for _ in range(4)]
    d = getattr(lib, dtype)
    a = lib.tensor(an, dtype=d, requires_grad=True)
    b = lib.tensor(bn, dtype=d, requires_grad=True)
    y = _THIRD[name](lib, a, b)
    g1 = lib.autograd.grad(y, (a, b), lib.ones_like(y), create_graph=True)
    g1 = [g for g in g1 if g.requires_grad]
    g2 = lib.autograd.grad(g1, (a, b), tuple(lib.tensor(v, dtype=d) for v in vs[:len(g1)]),
                           create_graph=True, allow_unused=True)
    g2 = [g for g in g2 if g is not None and g.requires_grad]
    g3 = lib.autograd.grad(g2, (a, b), tuple(lib.tensor(v, dtype=d) for v in vs[2:][:len(g2)]),
                           allow_unused=True) if g2 else ()
    return [None if g is None else g.detach().numpy() for g in (*g1, *g2, *g3)]


@pytest.mark.parametrize("name", list(_THIRD))
def test_third_order_float32_bit_identical(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _third_order(torchlet, name, "float32"), _third_order(torch, name, "float32")
    for x, y in zip(ours, theirs, strict=True):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------------------
# alpha: maybe_multiply(grad, alpha), a mul(Tensor, Scalar)


@pytest.mark.parametrize("fn", ["add", "sub", "rsub"])
def test_alpha_backward_is_mul_scalar(fn):
    def run(lib):
        a = lib.tensor([1.5, 2.25], requires_grad=True)
        b = lib.tensor([0.5, 3.0], requires_grad=True)
        y = lib.rsub(a * b, 2.0, alpha=3) if fn == "rsub" else getattr(lib, fn)(a, b, alpha=3)
        g = lib.autograd.grad(y, b if fn != "rsub" else a, lib.ones_like(y).requires_grad_(),
                              create_graph=True)[0]
        if fn == "rsub":  # d(2 - 3ab)/da = -3b: MulBackward0(MulBackward1(Neg), b)
            return [name for _, name in _walk(g.grad_fn, limit=2)], g.detach().tolist()
        return [name for _, name in _walk(g.grad_fn, limit=1)], g.detach().tolist()

    names, values = run(torchlet)
    if fn == "add":
        assert names == ["MulBackward1", "torch::autograd::AccumulateGrad"]
        assert values == [3.0, 3.0]
    elif fn == "sub":
        assert names == ["MulBackward1", "NegBackward0"] and values == [-3.0, -3.0]
    else:
        assert names[:3] == ["MulBackward0", "MulBackward1", "NegBackward0"]
        assert values == [-1.5, -9.0]
    torch = pytest.importorskip("torch")
    assert (names, values) == run(torch)


@pytest.mark.parametrize("fn", ["add", "sub", "rsub"])
def test_alpha_backward_float16_rounds_once(fn):
    """float16 grad * alpha: computed in float32 with alpha not rounded to float16 first
    (torch's opmath), then rounded once."""
    rng = np.random.default_rng(3)
    gn = (rng.standard_normal(64) * 100).astype(np.float16)
    alpha = 0.3
    expected = (gn.astype(np.float32) * np.float32(alpha)).astype(np.float16)
    expected = expected if fn == "add" else -expected

    def run(lib):
        a = lib.tensor(np.ones(64), dtype=lib.float16, requires_grad=True)
        b = lib.tensor(np.ones(64), dtype=lib.float16, requires_grad=True)
        y = lib.rsub(a, 2.0, alpha=alpha) if fn == "rsub" else \
            getattr(lib, fn)(a, b, alpha=alpha)
        target = a if fn == "rsub" else b
        return lib.autograd.grad(y, target, lib.tensor(gn))[0].numpy()

    ours = run(torchlet)
    np.testing.assert_array_equal(ours, expected)
    assert not np.array_equal(ours, (gn * np.float16(alpha)) * (1 if fn == "add" else -1))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(ours, run(torch))


# ---------------------------------------------------------------------------------------
# ldexp: torch saves other and result; grad_other = grad * result * ln 2


def test_ldexp_saved_and_gradient():
    rng = np.random.default_rng(5)
    an, bn, gn = rng.standard_normal(200), rng.uniform(-6, 6, 200), rng.standard_normal(200)

    def run(lib):
        a = lib.tensor(an, requires_grad=True)
        b = lib.tensor(bn, requires_grad=True)
        y = lib.ldexp(a, b)
        node = y.grad_fn
        other, result = node._saved_other, node._saved_result
        gb = lib.autograd.grad(y, b, lib.tensor(gn))[0]
        return other.detach().numpy(), result.detach().numpy(), y.detach().numpy(), gb.numpy()

    other, result, y, gb = run(torchlet)
    np.testing.assert_array_equal(other, bn)
    np.testing.assert_array_equal(result, y)
    np.testing.assert_array_equal(gb, (gn * y) * math.log(2.0))
    torch = pytest.importorskip("torch")
    t_other, t_result, t_y, t_gb = run(torch)
    np.testing.assert_array_equal(other, t_other)
    # 2 ** b itself may differ by an ulp (pow's last bit: ~5% of these on NumPy 2, ~18% on
    # NumPy 1.26's libm); where the forward agrees, the gradient must agree bit for bit
    np.testing.assert_array_max_ulp(y, t_y, 2)  # (then times a: one more rounding)
    same = y == t_y
    assert same.mean() > 0.7
    np.testing.assert_array_equal(gb[same], t_gb[same])


# ---------------------------------------------------------------------------------------
# new_empty_strided


def _new_empty_strided(lib):
    x, m = lib.ones(2), lib.empty(2, device="meta")
    out = [x.new_empty_strided((2, 3), (3, 1), device="meta").device.type,
           x.new_empty_strided((2, 3), (3, 1), device="meta", dtype=lib.float16).dtype,
           m.new_empty_strided((2, 3), (3, 1)).device.type,
           m.new_empty_strided((2, 3), (1, 2), device="cpu").stride()]
    with lib.device("meta"):  # self's device, not the default one
        out.append(x.new_empty_strided((2,), (1,)).device.type)
    return out


def test_new_empty_strided_device():
    ours = _new_empty_strided(torchlet)
    assert ours == ["meta", torchlet.float16, "meta", (1, 2), "cpu"]
    with pytest.raises(RuntimeError, match="pin_memory"):
        torchlet.ones(2).new_empty_strided((2,), (1,), pin_memory=True)
    torch = pytest.importorskip("torch")
    theirs = _new_empty_strided(torch)
    assert [str(v).replace("torch.", "") for v in ours] == \
        [str(v).replace("torch.", "") for v in theirs]
    with pytest.raises(RuntimeError, match="pin_memory"):
        torch.ones(2).new_empty_strided((2,), (1,), pin_memory=True)


# ---------------------------------------------------------------------------------------
# advanced indexing: empty results' strides (TensorIterator's compatible_stride)


def _strides(lib, shape, index, transpose=False):
    x = lib.arange(int(np.prod(shape)), dtype=lib.float32).reshape(shape)
    if transpose:
        x = x.transpose(0, len(shape) - 1)
    y = x[index(lib)]
    return tuple(y.shape), y.stride()


HAND = [  # (shape, index, transpose, torch's result shape and strides, derived by hand)
    ((2,), lambda L: (False, None), False, ((0, 1, 2), (2, 0, 1))),
    ((3, 3), lambda L: (False, True, False), True, ((0, 3, 3), (9, 1, 3))),
    ((1, 3, 1), lambda L: (L.tensor([], dtype=L.long), Ellipsis), False,
     ((0, 3, 1), (1, 0, 0))),
    ((2, 3, 1), lambda L: (False, None, None, Ellipsis), False,
     ((0, 1, 1, 2, 3, 1), (1, 0, 0, 0, 0, 0))),
    ((2, 0, 3), lambda L: (L.tensor([[0, 1]]).t(),), False, ((2, 1, 0, 3), (0, 0, 3, 1))),
    # not empty: a transposed (2, 1) index keeps its size-1 dim's stride 2 in torch's
    # expand, so the index's dims lie swapped in memory
    ((2, 2, 3), lambda L: (L.tensor([[0, 1]]).t(),), False, ((2, 1, 2, 3), (6, 12, 3, 1))),
]


@pytest.mark.parametrize("case", range(len(HAND)))
def test_index_strides_hand_derived(case):
    shape, index, transpose, expected = HAND[case]
    assert _strides(torchlet, shape, index, transpose) == expected
    torch = pytest.importorskip("torch")
    assert _strides(torch, shape, index, transpose) == expected


def _random_index(lib, shape, rng):
    """A subscript of ints, slices, None, bools, empty/small long (or int32) indices,
    all-false masks and ``...`` for ``shape``: mostly size-0 results."""
    items, i = [], 0
    while i < len(shape) and len(items) <= len(shape):
        kind = int(rng.integers(0, 9))
        size = shape[i]
        if kind == 0:
            items.append(slice(None))
            i += 1
        elif kind == 1 and size:
            items.append(int(rng.integers(0, size)))
            i += 1
        elif kind == 2:
            items.append(lib.tensor([], dtype=lib.long if rng.integers(2) else lib.int32))
            i += 1
        elif kind == 3:
            items.append(bool(rng.integers(2)))
        elif kind == 4:
            items.append(None)
        elif kind == 5:
            width = 1 + int(rng.integers(0, min(2, len(shape) - i)))
            items.append(lib.zeros(tuple(shape[i:i + width]), dtype=lib.bool))
            i += width
        elif kind == 6:
            rows = rng.integers(0, max(size, 1), size=(int(rng.integers(1, 3)), 1))
            t = lib.tensor(rows if size else np.zeros((0,), np.int64), dtype=lib.long)
            items.append(t.t() if t.ndim == 2 and rng.integers(2) else t)
            i += 1
        elif kind == 7:
            items.append(slice(0, 0))
            i += 1
        else:
            items.append(Ellipsis)
            break
    return tuple(items)


def test_index_strides_sampled():
    """Random subscripts (seeded), compared with torch: shape, strides, contiguity."""
    torch = _torch()
    rng = np.random.default_rng(26)
    compared = empty = 0
    for _ in range(400):
        shape = [int(s) for s in rng.integers(0, 4, size=int(rng.integers(1, 5)))]
        transpose = bool(rng.integers(2)) and len(shape) > 1
        seed = int(rng.integers(2**31))
        outcomes = []
        for lib in (torch, torchlet):
            x = lib.arange(int(np.prod(shape)), dtype=lib.float32).reshape(shape)
            if transpose:
                x = x.transpose(0, len(shape) - 1)
            index = _random_index(lib, list(x.shape), np.random.default_rng(seed))
            try:
                y = x[index]
            except (IndexError, RuntimeError) as error:
                outcomes.append(type(error).__name__)
                continue
            outcomes.append((tuple(y.shape), y.stride(), y.is_contiguous()))
        assert outcomes[1] == outcomes[0], (shape, transpose, index)
        compared += 1
        empty += isinstance(outcomes[0], tuple) and 0 in outcomes[0][0]
    assert compared == 400 and empty > 150


# ---------------------------------------------------------------------------------------
# the fused linear's _saved_mat2: torch's weight.t()


def test_linear_saved_mat2_is_weight_t():
    x = torchlet.randn(2, 3, requires_grad=True)
    w = torchlet.randn(4, 3, requires_grad=True)
    b = torchlet.randn(4, requires_grad=True)
    for y in (F.linear(x, w, b), F.linear(x, w)):
        mat2 = y.grad_fn._saved_mat2
        assert tuple(mat2.shape) == (3, 4) and mat2.stride() == (1, 3)
        assert mat2.grad_fn.name() == "TBackward0" and mat2._base is w
        np.testing.assert_array_equal(mat2.detach().numpy(), w.detach().numpy().T)
        with torchlet.no_grad():  # (torch's saved view was made with grad on)
            assert y.grad_fn._saved_mat2.grad_fn.name() == "TBackward0"
    assert F.linear(x.detach(), w, b).grad_fn._saved_mat2 is None  # (x needs no grad)
    y = F.linear(x, w, b)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.grad_fn._saved_mat2  # noqa: B018
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w.detach().numpy(), requires_grad=True)
    ty = torch.nn.functional.linear(torch.tensor(x.detach().numpy(), requires_grad=True),
                                    tw, torch.tensor(b.detach().numpy()))
    assert ty.grad_fn._saved_mat2.stride() == (1, 3)
    assert ty.grad_fn._saved_mat2.grad_fn.name() == "TBackward0"


# -- the lead: _softmax_np with a dim counted from the end (float16's path wanted dim >= 0)

def test_softmax_np_negative_dim_float16_and_float32():
    from torchlet.nn._functional.softmax import _softmax_np

    rng = np.random.default_rng(3)
    for dtype in (np.float16, np.float32):
        x = rng.standard_normal((3, 1, 33, 4)).astype(dtype)
        for log in (False, True):
            expected = _softmax_np(x, 3, log)
            got = _softmax_np(x, -1, log)
            assert got.dtype == dtype
            assert np.array_equal(got.view(np.uint8), expected.view(np.uint8))
    # float16 along the last dim from the end, against a float32 reference rounded once
    x16 = rng.standard_normal((2, 5, 7)).astype(np.float16)
    x32 = x16.astype(np.float32)
    e = np.exp(x32 - x32.max(-1, keepdims=True))
    ref = (e * (1 / e.sum(-1, keepdims=True))).astype(np.float16)
    got = _softmax_np(x16, -1, False).astype(np.float32)
    assert np.abs(got - ref.astype(np.float32)).max() <= 2 ** -10

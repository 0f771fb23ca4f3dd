"""Direct tests of torchlet/_ops/linalg: matmul and its cases, mm, bmm, mv, dot, vdot,
outer/ger, inner, tensordot, addmm, baddbmm, einsum.

Against PyTorch live (skipped when torch is not installed): values, dtypes, shapes,
gradients, the recorded graph (grad_fn names along the chain), exception types and
messages. Against NumPy float64 references and finite differences (always): values,
float64 gradcheck and gradgradcheck.

Precision: NumPy's BLAS and torch's add the products of a matrix product in different
orders, so float32 results are compared within rtol 1e-5 plus an absolute tolerance that
grows with the length of the sums (float32 epsilon * sqrt(K) * |a| |b|); float64 within
1e-10; integers exactly.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

try:
    from torchlet.autograd.gradcheck import gradcheck, gradgradcheck
except ImportError:  # pragma: no cover - the module is written by another helper
    gradcheck = gradgradcheck = None


# ---------------------------------------------------------------------------------------
# helpers


def _rand(rng, shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _tol(k: int, dtype) -> dict:
    """Tolerances for sums of k products of standard normal numbers."""
    if np.dtype(dtype) == np.float64:
        return dict(rtol=1e-10, atol=1e-10)
    return dict(rtol=1e-5, atol=1e-6 * max(1.0, np.sqrt(k)) * 4)


def _chain(t) -> list:
    """grad_fn names from the output along the first edge, down to the leaf."""
    names, node = [], t.grad_fn
    while node is not None and "AccumulateGrad" not in node.name():
        names.append(node.name())
        nxt = [n for n, _ in node.next_functions if n is not None]
        node = nxt[0] if nxt else None
    return names


def _graph(t) -> list:
    """The whole recorded graph, breadth first: (depth, node name or None) pairs.

    torch's reshape of a non-contiguous tensor that it can view records
    ReshapeAliasBackward0 where a contiguous one records ViewBackward0; that is a detail
    of reshape (torchlet/_ops/shape), not of the products, so both count as a view here.
    """
    found, queue = [], [(t.grad_fn, 0)]
    while queue:
        node, depth = queue.pop(0)
        name = None if node is None else node.name().replace("torch::autograd::", "")
        found.append((depth, "ViewBackward0" if name == "ReshapeAliasBackward0" else name))
        if node is not None and name != "AccumulateGrad":
            queue.extend((n, depth + 1) for n, _ in node.next_functions)
    return found


def _numerical_jacobian_check(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Central differences in float64 against backward (a fallback for gradcheck)."""
    out = fn(*inputs)
    rng = np.random.default_rng(0)
    v = rng.standard_normal(out.shape)
    grads = torchlet.autograd.grad(out, [x for x in inputs if x.requires_grad],
                                   torchlet.tensor(v))
    for x, g in zip([x for x in inputs if x.requires_grad], grads, strict=True):
        numeric = np.zeros(x.shape)
        flat = x._data.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = (fn(*inputs).detach().numpy() * v).sum()
            flat[i] = old - eps
            minus = (fn(*inputs).detach().numpy() * v).sum()
            flat[i] = old
            numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(g.numpy(), numeric, atol=atol, rtol=rtol)
    return True


def _check_gradients(fn, inputs):
    """float64 gradcheck and gradgradcheck (or own finite differences without them)."""
    if gradcheck is None:
        assert _numerical_jacobian_check(fn, inputs)
        return
    assert gradcheck(fn, tuple(inputs))
    assert gradgradcheck(fn, tuple(inputs))


def _pair(lib, arrays, grads):
    return [lib.tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]


# ---------------------------------------------------------------------------------------
# matmul: every case of the decomposition

MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)),
    ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((5, 2, 3), (1, 3, 4)),
    ((7, 1, 2, 3), (5, 3, 4)), ((2, 5, 2, 3), (2, 5, 3, 4)), ((2, 1, 4, 3), (3, 3, 2)),
    ((4, 3), (2, 1, 3, 5)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4, 5)), ((0, 2, 3), (3, 4)),
    ((2, 0), (0, 4)), ((3, 2, 0), (3, 0, 4)),
]
GRAD_COMBOS = [(True, True), (True, False), (False, True), (False, False)]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_numpy_float64(shapes):
    rng = np.random.default_rng(1)
    a, b = (_rand(rng, s, np.float64) for s in shapes)
    for grads in GRAD_COMBOS:
        ta, tb = _pair(torchlet, (a, b), grads)
        out = ta @ tb
        want = np.matmul(a, b)
        assert out.dtype == torchlet.float64
        assert tuple(out.shape) == want.shape
        np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("grads", GRAD_COMBOS, ids=str)
def test_matmul_against_torch(shapes, grads):
    """Values, gradients, contiguity and the recorded graph, for each requires_grad mix
    (torch's decomposition depends on which operand requires grad)."""
    rng = np.random.default_rng(2)
    a, b = _rand(rng, shapes[0]), _rand(rng, shapes[1])
    ta, tb = _pair(torch, (a, b), grads)
    la, lb = _pair(torchlet, (a, b), grads)
    want, got = ta @ tb, la @ lb
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype) == str(want.dtype)
    assert got.is_contiguous() == want.is_contiguous()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(),
                               **_tol(shapes[0][-1], np.float32))
    assert _graph(got) == _graph(want)
    if any(grads):
        g = _rand(rng, tuple(want.shape))
        want.backward(torch.tensor(g))
        got.backward(torchlet.tensor(g))
        for t_, l_, k in ((ta, la, 4), (tb, lb, 4)):
            if t_.requires_grad:
                np.testing.assert_allclose(l_.grad.numpy(), t_.grad.numpy(),
                                           **_tol(k * 5, np.float32))


@needs_torch
@pytest.mark.parametrize("case", [
    ("2d@2d", (3, 4), (4, 5), "MmBackward0"),
    ("1d@1d", (4,), (4,), "DotBackward0"),
    ("2d@1d", (3, 4), (4,), "MvBackward0"),
    ("1d@2d", (4,), (4, 5), "SqueezeBackward4"),
    ("3d@3d", (2, 3, 4), (2, 4, 5), "UnsafeViewBackward0"),
    ("3d@2d", (2, 3, 4), (4, 5), "UnsafeViewBackward0"),
    ("2d@3d", (3, 4), (2, 4, 5), "CloneBackward0"),
], ids=lambda c: c[0])
def test_matmul_grad_fn_names(case):
    _, sa, sb, name = case
    rng = np.random.default_rng(3)
    a, b = _rand(rng, sa), _rand(rng, sb)
    got = torchlet.tensor(a, requires_grad=True) @ torchlet.tensor(b, requires_grad=True)
    want = torch.tensor(a, requires_grad=True) @ torch.tensor(b, requires_grad=True)
    assert got.grad_fn.name() == want.grad_fn.name() == name


batch_shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3)


@st.composite
def _broadcastable(draw):
    """Two matmul-compatible shapes with broadcastable batch dimensions."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(batch_shapes)
    ones_a = draw(st.lists(st.booleans(), min_size=len(batch), max_size=len(batch)))
    ones_b = draw(st.lists(st.booleans(), min_size=len(batch), max_size=len(batch)))
    drop_a, drop_b = draw(st.integers(0, len(batch))), draw(st.integers(0, len(batch)))
    batch_a = tuple(1 if o else s for s, o in zip(batch, ones_a, strict=True))[drop_a:]
    batch_b = tuple(1 if o else s for s, o in zip(batch, ones_b, strict=True))[drop_b:]
    shape_a = batch_a + (n, k) if draw(st.booleans()) or batch_a else (k,)
    shape_b = batch_b + (k, m) if draw(st.booleans()) or batch_b else (k,)
    return shape_a, shape_b, draw(st.sampled_from(GRAD_COMBOS))


@needs_torch
@settings(max_examples=40, deadline=None)
@given(_broadcastable())
def test_matmul_broadcasting_hypothesis(case):
    shape_a, shape_b, grads = case
    rng = np.random.default_rng(4)
    a, b = _rand(rng, shape_a, np.float64), _rand(rng, shape_b, np.float64)
    ta, tb = _pair(torch, (a, b), grads)
    la, lb = _pair(torchlet, (a, b), grads)
    want, got = ta @ tb, la @ lb
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    # Only the result's node: for all-size-1 shapes torch's reshape records
    # ReshapeAliasBackward0 deeper in the chain, a detail of reshape, not of matmul.
    assert _chain(got)[:1] == _chain(want)[:1]
    if any(grads):
        g = rng.standard_normal(tuple(want.shape))
        want.backward(torch.tensor(g))
        got.backward(torchlet.tensor(g))
        for t_, l_ in ((ta, la), (tb, lb)):
            if t_.requires_grad:
                np.testing.assert_allclose(l_.grad.numpy(), t_.grad.numpy(), rtol=1e-12,
                                           atol=1e-12)


@pytest.mark.parametrize("shapes", MATMUL_SHAPES[:17], ids=str)
def test_matmul_fast_path_equals_recorded_path(shapes):
    """Without a graph matmul is one np.matmul; with one, torch's decomposition."""
    rng = np.random.default_rng(5)
    a, b = _rand(rng, shapes[0]), _rand(rng, shapes[1])
    fast = torchlet.tensor(a) @ torchlet.tensor(b)
    recorded = torchlet.tensor(a, requires_grad=True) @ torchlet.tensor(b, requires_grad=True)
    assert fast.grad_fn is None and recorded.grad_fn is not None
    np.testing.assert_allclose(fast.numpy(), recorded.detach().numpy(), rtol=1e-6, atol=1e-6)
    with torchlet.no_grad():
        no_grad = torchlet.tensor(a, requires_grad=True) @ torchlet.tensor(b)
    assert no_grad.grad_fn is None
    # torch picks its route by requires_grad, not grad mode: an input requiring grad may be
    # folded into one mm where the same product takes a bmm otherwise; small bmm's sum in
    # order (bit for bit as torch's: tests/test_bmm27.py), mm is BLAS's, so the two routes
    # agree to rounding only (torch's own do the same, e.g. (16, 5) @ (3, 5, 4))
    np.testing.assert_allclose(no_grad.numpy(), fast.numpy(), rtol=1e-6, atol=1e-6)


def test_matmul_keeps_float32_and_precision():
    """float32 stays float32; a long sum stays within float rounding of the float64 value."""
    rng = np.random.default_rng(6)
    a, b = _rand(rng, (64, 512)), _rand(rng, (512, 32))
    out = torchlet.tensor(a) @ torchlet.tensor(b)
    assert out.dtype == torchlet.float32
    exact = a.astype(np.float64) @ b.astype(np.float64)
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert np.all(np.abs(out.numpy() - exact) <= 1e-6 * scale + 1e-6)


@needs_torch
def test_matmul_float32_large_against_torch():
    rng = np.random.default_rng(7)
    a, b = _rand(rng, (3, 64, 300)), _rand(rng, (300, 40))
    want = (torch.tensor(a) @ torch.tensor(b)).numpy()
    got = (torchlet.tensor(a) @ torchlet.tensor(b)).numpy()
    np.testing.assert_allclose(got, want, **_tol(300, np.float32))


# ---------------------------------------------------------------------------------------
# the other products, dtypes


def _products(lib, make):
    """(name, thunk) pairs, run identically on torch and torchlet; ``make(*shape)``
    creates each input."""
    return [
        ("mm", lambda: lib.mm(make(3, 4), make(4, 5))),
        ("bmm", lambda: lib.bmm(make(2, 3, 4), make(2, 4, 5))),
        ("mv", lambda: lib.mv(make(3, 4), make(4))),
        ("dot", lambda: lib.dot(make(4), make(4))),
        ("vdot", lambda: lib.vdot(make(4), make(4))),
        ("outer", lambda: lib.outer(make(3), make(4))),
        ("ger", lambda: lib.ger(make(3), make(4))),
        ("inner", lambda: lib.inner(make(2, 3, 4), make(5, 4))),
        ("tensordot", lambda: lib.tensordot(make(2, 3, 4), make(3, 4, 5))),
        ("addmm", lambda: lib.addmm(make(5), make(3, 4), make(4, 5), beta=0.5, alpha=2)),
        ("baddbmm", lambda: lib.baddbmm(make(3, 5), make(2, 3, 4), make(2, 4, 5), alpha=-1)),
    ]


PRODUCT_NAMES = [name for name, _ in _products(None, None)]


def _maker(lib, dtype, requires_grad=False):
    """A ``make(*shape)`` drawing the same values for either library (small integers for
    integer dtypes); with requires_grad, the made tensors are collected in ``.leaves``."""
    rng = np.random.default_rng(8)

    def make(*shape):
        values = rng.standard_normal(shape)
        if np.dtype(dtype).kind in "iu":
            values = np.round(np.abs(values) * 3 if dtype == "uint8" else values * 3)
        t = lib.tensor(values.astype(dtype), requires_grad=requires_grad)
        make.leaves.append(t)
        return t

    make.leaves = []
    return make


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32",
                                   "int16", "int8", "uint8"])
@pytest.mark.parametrize("name", PRODUCT_NAMES)
def test_products_dtypes_and_values(name, dtype):
    want = dict(_products(torch, _maker(torch, dtype)))[name]()
    got = dict(_products(torchlet, _maker(torchlet, dtype)))[name]()
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(want.shape)
    if np.dtype(dtype).kind in "iu":
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    else:
        tol = dict(rtol=2e-3, atol=2e-2) if dtype == "float16" else _tol(12, dtype)
        np.testing.assert_allclose(got.numpy().astype(np.float64),
                                   want.numpy().astype(np.float64), **tol)


@needs_torch
@pytest.mark.parametrize("name", PRODUCT_NAMES)
def test_products_gradients_and_grad_fn(name):
    make_torch, make_torchlet = _maker(torch, "float32", True), _maker(torchlet, "float32", True)
    want = dict(_products(torch, make_torch))[name]()
    got = dict(_products(torchlet, make_torchlet))[name]()
    assert _graph(got) == _graph(want)
    g = np.random.default_rng(9).standard_normal(tuple(want.shape)).astype(np.float32)
    want.backward(torch.tensor(g))
    got.backward(torchlet.tensor(g))
    for w, l in zip(make_torch.leaves, make_torchlet.leaves, strict=True):
        np.testing.assert_allclose(l.grad.numpy(), w.grad.numpy(), **_tol(20, np.float32))


F64_GRAD_CASES = {
    "mm": (lambda a, b: torchlet.mm(a, b), [(3, 4), (4, 2)]),
    "bmm": (lambda a, b: torchlet.bmm(a, b), [(2, 3, 4), (2, 4, 2)]),
    "mv": (lambda a, b: torchlet.mv(a, b), [(3, 4), (4,)]),
    "dot": (lambda a, b: torchlet.dot(a, b), [(4,), (4,)]),
    "vdot": (lambda a, b: torchlet.vdot(a, b), [(4,), (4,)]),
    "outer": (lambda a, b: torchlet.outer(a, b), [(3,), (2,)]),
    "inner": (lambda a, b: torchlet.inner(a, b), [(2, 3), (4, 3)]),
    "tensordot": (lambda a, b: torchlet.tensordot(a, b, dims=([1, 0], [0, 2])),
                  [(3, 2, 2), (2, 3, 3)]),
    "addmm": (lambda c, a, b: torchlet.addmm(c, a, b, beta=0.5, alpha=-2.0),
              [(2,), (3, 4), (4, 2)]),
    "addmm/linear": (lambda c, x, w: torchlet.addmm(c, x, w.t()), [(2,), (3, 4), (2, 4)]),
    "baddbmm": (lambda c, a, b: torchlet.baddbmm(c, a, b, beta=2.0, alpha=0.5),
                [(3, 2), (2, 3, 4), (2, 4, 2)]),
    "matmul/3d_3d": (lambda a, b: a @ b, [(2, 2, 3), (2, 3, 2)]),
    "matmul/broadcast": (lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    "matmul/1d_3d": (lambda a, b: a @ b, [(3,), (2, 3, 2)]),
    "matmul/2d_3d": (lambda a, b: a @ b, [(2, 3), (2, 3, 2)]),
    "matmul/3d_1d": (lambda a, b: a @ b, [(2, 2, 3), (3,)]),
    "matmul/1d_2d": (lambda a, b: a @ b, [(3,), (3, 2)]),
    "matmul/transposed": (lambda a, b: a.t() @ b.t(), [(3, 2), (4, 3)]),
}


@pytest.mark.parametrize("name", sorted(F64_GRAD_CASES))
def test_gradcheck_and_gradgradcheck_float64(name):
    fn, shapes = F64_GRAD_CASES[name]
    rng = np.random.default_rng(11)
    inputs = [torchlet.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    _check_gradients(fn, inputs)


def test_double_backward_of_matmul_is_a_product():
    """d/da of sum(grad_a) for out = a @ b: grad_a = 1 @ b^T, so d sum(grad_a)/db = rows."""
    a = torchlet.tensor(np.ones((2, 3)), requires_grad=True)
    b = torchlet.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    (grad_a,) = torchlet.autograd.grad((a @ b).sum(), [a], create_graph=True)
    np.testing.assert_array_equal(grad_a.detach().numpy(), np.tile(b._data.sum(1), (2, 1)))
    grad_a.sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), np.full((3, 4), 2.0))


def test_weight_gradient_is_contiguous_for_x_at_w_t():
    """As torch: the gradient of a column-major operand (w.t()) is computed column-major, so
    w.grad comes out contiguous."""
    x = torchlet.tensor(np.ones((4, 3), np.float32))
    w = torchlet.tensor(np.ones((5, 3), np.float32), requires_grad=True)
    (x @ w.t()).sum().backward()
    assert w.grad.is_contiguous()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((5, 3), 4.0, np.float32))


def test_inplace_change_of_saved_input_is_detected():
    base = torchlet.tensor(np.ones(3), requires_grad=True)
    for other in (np.ones((3, 2)), np.ones(3)):
        v = base * 2  # a non-leaf, so it can be changed in place
        out = v @ torchlet.tensor(other, requires_grad=True)
        v.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_addmm_beta_zero_ignores_nan_input():
    nan = torchlet.tensor(np.full((2, 2), np.nan, np.float32))
    ones = torchlet.ones(2, 2)
    np.testing.assert_array_equal(torchlet.addmm(nan, ones, ones, beta=0).numpy(),
                                  np.full((2, 2), 2.0, np.float32))
    np.testing.assert_array_equal(
        torchlet.addmm(ones, nan, ones, alpha=0).numpy(), np.ones((2, 2), np.float32))


def test_integer_addmm_truncates_scalars():
    three = torchlet.full((2, 2), 3, dtype=torchlet.long)
    one = torchlet.ones(2, 2, dtype=torchlet.long)
    assert torchlet.addmm(three, one, one, beta=0.5).tolist() == [[2, 2], [2, 2]]
    assert torchlet.addmm(three, one, one, alpha=1.5).tolist() == [[5, 5], [5, 5]]


# ---------------------------------------------------------------------------------------
# out=


def test_out_argument():
    a, b = torchlet.ones(2, 3), torchlet.ones(3, 4)
    out = torchlet.empty(2, 4)
    version = out._vbox[0]
    assert torchlet.mm(a, b, out=out) is out
    assert out._vbox[0] == version + 1
    np.testing.assert_array_equal(out.numpy(), np.full((2, 4), 3.0, np.float32))
    resized = torchlet.empty(0)
    torchlet.matmul(a, b, out=resized)
    assert tuple(resized.shape) == (2, 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchlet.matmul(a, b, out=torchlet.empty(7))
    assert any("was resized" in str(w.message) for w in caught)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got "
                                           "double instead"):
        torchlet.mm(a, b, out=torchlet.empty(2, 4, dtype=torchlet.float64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        torchlet.matmul(a.requires_grad_(), b, out=torchlet.empty(2, 4))
    dot_out = torchlet.empty(())
    torchlet.dot(torchlet.ones(3), torchlet.ones(3), out=dot_out)
    assert dot_out.item() == 3.0


# ---------------------------------------------------------------------------------------
# errors: torch's exception types and messages


def _t(lib, dtype, *shape):
    return lib.ones(shape, dtype=getattr(lib, dtype))


def _f(lib, *shape):
    return lib.ones(shape)


ERROR_CASES = {
    "mm L f": lambda l: l.mm(_t(l, "long", 2, 3), _f(l, 3, 4)),
    "mm f i8": lambda l: l.mm(_f(l, 2, 3), _t(l, "int8", 3, 4)),
    "mm f u8": lambda l: l.mm(_f(l, 2, 3), _t(l, "uint8", 3, 4)),
    "mm f i16": lambda l: l.mm(_f(l, 2, 3), _t(l, "int16", 3, 4)),
    "mm f half": lambda l: l.mm(_f(l, 2, 3), _t(l, "float16", 3, 4)),
    "mm f double": lambda l: l.mm(_f(l, 2, 3), _t(l, "float64", 3, 4)),
    "mm bool": lambda l: l.mm(_t(l, "bool", 2, 3), _t(l, "bool", 3, 4)),
    "mm shape": lambda l: l.mm(_f(l, 2, 3), _f(l, 4, 5)),
    "mm 3d": lambda l: l.mm(_f(l, 2, 2, 3), _f(l, 3, 5)),
    "mm 1d mat2": lambda l: l.mm(_f(l, 2, 3), _f(l, 3)),
    "mm order": lambda l: l.mm(_t(l, "long", 2, 3), _f(l, 4, 5)),
    "mm list": lambda l: l.mm(_f(l, 2, 3), [[1.0]]),
    "matmul ndarray": lambda l: l.matmul(_f(l, 2, 3), np.ones((3, 2))),
    "matmul 0d": lambda l: l.matmul(_f(l), _f(l, 4, 5)),
    "matmul 1d 0d": lambda l: l.matmul(_f(l, 3), _f(l)),
    "matmul 1d 1d": lambda l: l.matmul(_f(l, 3), _f(l, 4)),
    "matmul 2d 1d": lambda l: l.matmul(_f(l, 2, 3), _f(l, 4)),
    "matmul 1d 2d": lambda l: l.matmul(_f(l, 3), _f(l, 4, 5)),
    "matmul 3d 2d": lambda l: l.matmul(_f(l, 5, 2, 3), _f(l, 4, 5)),
    "matmul 3d 1d": lambda l: l.matmul(_f(l, 5, 2, 3), _f(l, 4)),
    "matmul 1d 3d": lambda l: l.matmul(_f(l, 3), _f(l, 5, 4, 5)),
    "matmul 2d 3d": lambda l: l.matmul(_f(l, 2, 3), _f(l, 5, 4, 5)),
    "matmul 3d 3d": lambda l: l.matmul(_f(l, 5, 2, 3), _f(l, 5, 4, 5)),
    "matmul batch": lambda l: l.matmul(_f(l, 5, 2, 3), _f(l, 4, 3, 5)),
    "matmul batch 4d": lambda l: l.matmul(_f(l, 2, 5, 2, 3), _f(l, 4, 3, 5)),
    "matmul 4d 4d": lambda l: l.matmul(_f(l, 2, 5, 2, 3), _f(l, 2, 5, 4, 5)),
    "matmul 3d 2d grad": lambda l: l.matmul(_f(l, 5, 2, 3), _f(l, 4, 5).requires_grad_()),
    "matmul 2d 3d grad": lambda l: l.matmul(_f(l, 2, 3).requires_grad_(), _f(l, 5, 4, 5)),
    "matmul L f": lambda l: l.matmul(_t(l, "long", 2, 3), _f(l, 3, 4)),
    "matmul 3d L f": lambda l: l.matmul(_t(l, "long", 5, 2, 3), _f(l, 5, 3, 4)),
    "matmul 3d2d L f": lambda l: l.matmul(_t(l, "long", 5, 2, 3), _f(l, 3, 4)),
    "matmul 1d L f": lambda l: l.matmul(_t(l, "long", 3), _f(l, 3)),
    "matmul 2d1d L f": lambda l: l.matmul(_t(l, "long", 2, 3), _f(l, 3)),
    "matmul 3d1d L f": lambda l: l.matmul(_t(l, "long", 5, 2, 3), _f(l, 3)),
    "matmul bool 3d": lambda l: l.matmul(_t(l, "bool", 5, 2, 3), _t(l, "bool", 5, 3, 4)),
    "matmul bool 1d": lambda l: l.matmul(_t(l, "bool", 3), _t(l, "bool", 3)),
    "bmm 2d": lambda l: l.bmm(_f(l, 2, 3), _f(l, 3, 4)),
    "bmm 2d mat2": lambda l: l.bmm(_f(l, 5, 2, 3), _f(l, 3, 4)),
    "bmm batch": lambda l: l.bmm(_f(l, 5, 2, 3), _f(l, 4, 3, 4)),
    "bmm inner": lambda l: l.bmm(_f(l, 5, 2, 3), _f(l, 5, 4, 4)),
    "bmm L f": lambda l: l.bmm(_t(l, "long", 5, 2, 3), _f(l, 5, 3, 4)),
    "bmm bool": lambda l: l.bmm(_t(l, "bool", 5, 2, 3), _t(l, "bool", 5, 3, 4)),
    "mv bad": lambda l: l.mv(_f(l, 2, 3), _f(l, 4)),
    "mv 1d": lambda l: l.mv(_f(l, 3), _f(l, 3)),
    "mv 2d vec": lambda l: l.mv(_f(l, 2, 3), _f(l, 3, 1)),
    "mv L f": lambda l: l.mv(_t(l, "long", 2, 3), _f(l, 3)),
    "mv f L": lambda l: l.mv(_f(l, 2, 3), _t(l, "long", 3)),
    "mv bool": lambda l: l.mv(_t(l, "bool", 2, 3), _t(l, "bool", 3)),
    "dot size": lambda l: l.dot(_f(l, 3), _f(l, 4)),
    "dot 2d": lambda l: l.dot(_f(l, 3, 1), _f(l, 3)),
    "dot L f": lambda l: l.dot(_t(l, "long", 3), _f(l, 3)),
    "dot order": lambda l: l.dot(_t(l, "long", 3), _f(l, 4)),
    "dot bool": lambda l: l.dot(_t(l, "bool", 3), _t(l, "bool", 3)),
    "vdot size": lambda l: l.vdot(_f(l, 3), _f(l, 4)),
    "vdot L f": lambda l: l.vdot(_t(l, "long", 3), _f(l, 3)),
    "outer 2d": lambda l: l.outer(_f(l, 3, 2), _f(l, 3)),
    "outer 0d": lambda l: l.outer(_f(l), _f(l, 3)),
    "outer 2d vec2": lambda l: l.outer(_f(l, 3), _f(l, 3, 2)),
    "ger 2d": lambda l: l.ger(_f(l, 3, 1), _f(l, 3)),
    "inner last": lambda l: l.inner(_f(l, 2, 3), _f(l, 4)),
    "inner L f": lambda l: l.inner(_t(l, "long", 3), _f(l, 3)),
    "inner bool": lambda l: l.inner(_t(l, "bool", 3), _t(l, "bool", 3)),
    "inner bool 2d": lambda l: l.inner(_t(l, "bool", 2, 3), _t(l, "bool", 2, 3)),
    "tensordot L f": lambda l: l.tensordot(_t(l, "long", 3), _f(l, 3), dims=1),
    "tensordot size": lambda l: l.tensordot(_f(l, 3, 4), _f(l, 3, 5), dims=1),
    "tensordot negative": lambda l: l.tensordot(_f(l, 3, 4), _f(l, 3, 5), dims=-1),
    "tensordot too many": lambda l: l.tensordot(_f(l, 3, 4), _f(l, 3, 5), dims=3),
    "tensordot lengths": lambda l: l.tensordot(_f(l, 3, 4), _f(l, 3, 5), dims=([0, 1], [0])),
    "tensordot repeated": lambda l: l.tensordot(_f(l, 3, 3), _f(l, 3, 3),
                                                dims=([0, 0], [0, 1])),
    "tensordot str": lambda l: l.tensordot(_f(l, 3, 3), _f(l, 3, 3), dims="a"),
    "tensordot range": lambda l: l.tensordot(_f(l, 3, 3), _f(l, 3, 3), dims=([2], [0])),
    "addmm bias": lambda l: l.addmm(_f(l, 3, 4), _f(l, 2, 3), _f(l, 3, 4)),
    "addmm shapes": lambda l: l.addmm(_f(l, 2, 4), _f(l, 2, 3), _f(l, 5, 4)),
    "addmm 1d mat1": lambda l: l.addmm(_f(l, 2, 4), _f(l, 3), _f(l, 3, 4)),
    "addmm 1d mat2": lambda l: l.addmm(_f(l, 2, 4), _f(l, 2, 3), _f(l, 3)),
    "addmm 3d bias": lambda l: l.addmm(_f(l, 1, 2, 4), _f(l, 2, 3), _f(l, 3, 4)),
    "addmm bias size": lambda l: l.addmm(_f(l, 5), _f(l, 2, 3), _f(l, 3, 4)),
    "addmm L f f": lambda l: l.addmm(_t(l, "long", 2, 4), _f(l, 2, 3), _f(l, 3, 4)),
    "addmm f L f": lambda l: l.addmm(_f(l, 2, 4), _t(l, "long", 2, 3), _f(l, 3, 4)),
    "addmm f f L": lambda l: l.addmm(_f(l, 2, 4), _f(l, 2, 3), _t(l, "long", 3, 4)),
    "addmm bool": lambda l: l.addmm(_t(l, "bool", 2, 4), _t(l, "bool", 2, 3),
                                    _t(l, "bool", 3, 4)),
    "addmm dtype first": lambda l: l.addmm(_f(l, 2, 4), _t(l, "long", 3), _f(l, 5, 4)),
    "addmm shapes first": lambda l: l.addmm(_f(l, 7, 4), _f(l, 2, 3), _f(l, 5, 4)),
    "addmm input": lambda l: l.addmm(2, _f(l, 2, 3), _f(l, 3, 4)),
    "baddbmm shapes": lambda l: l.baddbmm(_f(l, 5, 2, 4), _f(l, 5, 2, 3), _f(l, 5, 4, 4)),
    "baddbmm bias": lambda l: l.baddbmm(_f(l, 3, 2, 4), _f(l, 5, 2, 3), _f(l, 5, 3, 4)),
    "baddbmm input dtype": lambda l: l.baddbmm(_t(l, "long", 5, 2, 4), _f(l, 5, 2, 3),
                                               _f(l, 5, 3, 4)),
    "baddbmm batch2 dtype": lambda l: l.baddbmm(_f(l, 5, 2, 4), _f(l, 5, 2, 3),
                                                _t(l, "long", 5, 3, 4)),
    "baddbmm bool": lambda l: l.baddbmm(_t(l, "bool", 5, 2, 4), _t(l, "bool", 5, 2, 3),
                                        _t(l, "bool", 5, 3, 4)),
    "mm out dtype": lambda l: l.mm(_f(l, 2, 3), _f(l, 3, 4), out=l.empty(2, 4, dtype=l.float64)),
    "matmul out grad": lambda l: l.matmul(_f(l, 2, 3).requires_grad_(), _f(l, 3, 4),
                                          out=l.empty(2, 4)),
    "dot out dtype": lambda l: l.dot(_f(l, 3), _f(l, 3), out=l.empty((), dtype=l.long)),
    # einsum
    "einsum L f": lambda l: l.einsum("ij,jk->ik", _t(l, "long", 2, 3), _f(l, 3, 4)),
    "einsum size": lambda l: l.einsum("ij,jk->ik", _f(l, 2, 3), _f(l, 4, 4)),
    "einsum fewer": lambda l: l.einsum("ij,jk->ik", _f(l, 2, 3)),
    "einsum more": lambda l: l.einsum("ij->j", _f(l, 2, 2), _f(l, 2, 2)),
    "einsum ndim": lambda l: l.einsum("ij,jk->ik", _f(l, 2, 3, 3), _f(l, 3, 4)),
    "einsum ellipsis ndim": lambda l: l.einsum("ijk...->i", _f(l, 2, 3)),
    "einsum output": lambda l: l.einsum("ij,jk->iz", _f(l, 2, 3), _f(l, 3, 4)),
    "einsum output twice": lambda l: l.einsum("ij,jk->ii", _f(l, 2, 3), _f(l, 3, 4)),
    "einsum char": lambda l: l.einsum("i1,jk->ik", _f(l, 2, 3), _f(l, 3, 4)),
    "einsum output char": lambda l: l.einsum("ij->i1", _f(l, 2, 3)),
    "einsum two arrows": lambda l: l.einsum("i->i->i", _f(l, 3)),
    "einsum dash": lambda l: l.einsum("i-j", _f(l, 2, 3)),
    "einsum diagonal": lambda l: l.einsum("ii->i", _f(l, 3, 4)),
    "einsum two ellipses": lambda l: l.einsum("...i...", _f(l, 3)),
    "einsum dots": lambda l: l.einsum("..i", _f(l, 3)),
    "einsum output ellipses": lambda l: l.einsum("...i->......", _f(l, 2, 3)),
    "einsum output dots": lambda l: l.einsum("...i->..", _f(l, 2, 3)),
    "einsum ellipsis broadcast": lambda l: l.einsum("...i,...i", _f(l, 2, 3), _f(l, 4, 3)),
    "einsum broadcast third": lambda l: l.einsum("i,i,i->", _f(l, 3), _f(l, 1), _f(l, 4)),
    "einsum no operand": lambda l: l.einsum("i"),
    "einsum not tensor": lambda l: l.einsum("ij->j", [[1, 2]]),
    "einsum sublist range": lambda l: l.einsum(_f(l, 2, 3), [0, 60]),
    "einsum i,i L f": lambda l: l.einsum("i,i", _t(l, "long", 3), _f(l, 3)),
    "einsum private L f": lambda l: l.einsum("ij,j->", _t(l, "long", 2, 3), _f(l, 3)),
    "einsum L i32": lambda l: l.einsum("ij,jk->ik", _t(l, "long", 2, 3), _t(l, "int32", 3, 4)),
    "einsum bool": lambda l: l.einsum("ij,jk", _t(l, "bool", 2, 3), _t(l, "bool", 3, 4)),
}
for _name in ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "ger", "inner"]:
    ERROR_CASES[f"{_name} number first"] = (lambda n: lambda l: getattr(l, n)(2, _f(l, 3)))(_name)
    ERROR_CASES[f"{_name} number second"] = (lambda n: lambda l: getattr(l, n)(_f(l, 3), 2))(
        _name)


def _raised(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - we compare whatever is raised
        return type(e).__name__, str(e)
    return None


@needs_torch
@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_error_type_and_message_match_torch(name):
    want = _raised(ERROR_CASES[name], torch)
    assert want is not None, f"{name}: torch raised nothing (bad case)"
    assert _raised(ERROR_CASES[name], torchlet) == want


# ---------------------------------------------------------------------------------------
# einsum

EINSUM_CASES = [
    ("ij,jk->ki", [(2, 3), (3, 4)]), ("ij,jk->ik", [(2, 3), (3, 4)]), ("i,i->", [(3,), (3,)]),
    ("i,i->i", [(3,), (3,)]), ("ij,j->i", [(2, 3), (3,)]), ("ij,k->ik", [(2, 3), (4,)]),
    ("ij,k->", [(2, 3), (4,)]), ("ij,kj->ik", [(2, 3), (4, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]), ("ii->", [(3, 3)]), ("ii", [(3, 3)]),
    ("ij->i", [(3, 4)]), ("ij", [(3, 4)]), ("ji", [(3, 4)]), ("i->i", [(3,)]), ("...", [(3,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("i,j,k->ijk", [(2,), (3,), (4,)]),
    ("i,i,i->", [(3,), (3,), (3,)]), ("ij,jk->", [(2, 3), (3, 4)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]), ("ij,ji->", [(3, 3), (3, 3)]),
    ("ij,jk", [(2, 1), (3, 4)]), (",->", [(), ()]), ("i,->i", [(3,), ()]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("i,j->ji", [(2,), (3,)]),
    ("...ij,...jk", [(5, 2, 3), (3, 4)]), ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("...ii->...i", [(2, 3, 3)]), ("iij->j", [(3, 3, 2)]), ("bhqd,bhkd->bhqk",
                                                            [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ba", [(2, 3)]), ("bA", [(2, 3)]), ("Ab,bc->Ac", [(2, 3), (3, 4)]),
    (" i j , j k -> i k ", [(2, 3), (3, 4)]), ("ii,i->i", [(3, 3), (3,)]),
    ("iji->j", [(2, 3, 2)]), ("ii,jj->ij", [(2, 2), (3, 3)]), ("...,...->...", [(2, 3), (3,)]),
    ("i...->...", [(3, 2, 4)]), ("...->", [(2, 3)]), ("ab...,b...->a", [(2, 3, 4), (3, 1)]),
    ("ij,jk->ik", [(40, 70), (70, 30)]), ("ii->i", [(1, 1)]), ("ij,j->ij", [(2, 3), (1,)]),
    ("ii,ij->j", [(1, 1), (3, 4)]), ("bij,bkj->bik", [(3, 20, 30), (3, 25, 30)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]), ("ij,jk->ik", [(2, 0), (0, 4)]),
]


# NumPy broadcasts an ellipsis only into an output that has one.
_NUMPY_REFUSES = {"...->", "ab...,b...->a"}


@pytest.mark.parametrize("case", [c for c in EINSUM_CASES if c[0] not in _NUMPY_REFUSES],
                         ids=lambda c: c[0])
def test_einsum_matches_numpy_float64(case):
    equation, shapes = case
    rng = np.random.default_rng(12)
    arrays = [rng.standard_normal(s) for s in shapes]
    got = torchlet.einsum(equation, *[torchlet.tensor(a) for a in arrays])
    want = np.einsum(equation.replace(" ", ""), *arrays)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("case", EINSUM_CASES, ids=lambda c: c[0])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_einsum_against_torch(case, dtype):
    equation, shapes = case
    rng = np.random.default_rng(13)
    arrays = [rng.standard_normal(s) for s in shapes]
    tt = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True) for a in arrays]
    tl = [torchlet.tensor(a, dtype=getattr(torchlet, dtype), requires_grad=True) for a in arrays]
    want, got = torch.einsum(equation, *tt), torchlet.einsum(equation, *tl)
    assert tuple(got.shape) == tuple(want.shape)
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert got.grad_fn.name() == want.grad_fn.name()
    tol = _tol(70, dtype)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **tol)
    g = rng.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(g, dtype=want.dtype))
    got.backward(torchlet.tensor(g, dtype=got.dtype))
    for w, l in zip(tt, tl, strict=True):
        np.testing.assert_allclose(l.grad.numpy(), w.grad.numpy(), **tol)


EINSUM_GRAD_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 2)]), ("iij,jk->ik", [(2, 2, 3), (3, 2)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij,k->ik", [(2, 3), (2,)]), ("ij,jk", [(2, 1), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("...i,...i->...", [(2, 1, 3), (2, 3)]),
    ("iji->j", [(2, 3, 2)]), ("ii,ij->j", [(1, 1), (3, 2)]), ("bij,bkj->bik",
                                                              [(2, 2, 3), (2, 2, 3)]),
]


@pytest.mark.parametrize("case", EINSUM_GRAD_CASES, ids=lambda c: c[0])
def test_einsum_gradcheck_and_gradgradcheck(case):
    equation, shapes = case
    rng = np.random.default_rng(14)
    inputs = [torchlet.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    _check_gradients(lambda *ops: torchlet.einsum(equation, *ops), inputs)


def test_einsum_same_tensor_twice():
    x = torchlet.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    torchlet.einsum("i,i->", x, x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x._data)


def test_einsum_argument_forms_agree():
    rng = np.random.default_rng(15)
    a, b = (torchlet.tensor(rng.standard_normal(s)) for s in ((2, 3), (3, 4)))
    want = torchlet.einsum("ij,jk->ik", a, b).numpy()
    np.testing.assert_array_equal(torchlet.einsum("ij,jk->ik", [a, b]).numpy(), want)
    np.testing.assert_array_equal(torchlet.einsum("ij,jk->ik", (a, b)).numpy(), want)
    np.testing.assert_array_equal(torchlet.einsum(a, [0, 1], b, [1, 2], [0, 2]).numpy(), want)
    np.testing.assert_array_equal(torchlet.einsum(a, [0, 1], b, [1, 2]).numpy(), want)
    np.testing.assert_array_equal(
        torchlet.einsum(a, [..., 1], b, [1, 2]).numpy(), want)


def test_einsum_permutation_and_diagonal_are_views():
    """As torch's: 'ij->ji' and 'ii->i' share the input's storage; a sum does not."""
    x = torchlet.tensor(np.arange(4.0).reshape(2, 2))
    torchlet.einsum("ij->ji", x).add_(1)
    np.testing.assert_array_equal(x.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    torchlet.einsum("ii->i", x).add_(1)
    np.testing.assert_array_equal(x.numpy(), [[2.0, 2.0], [3.0, 5.0]])
    torchlet.einsum("ij->i", x).add_(1)
    np.testing.assert_array_equal(x.numpy(), [[2.0, 2.0], [3.0, 5.0]])


@needs_torch
@pytest.mark.parametrize("case", [
    ("ij,jk->ik", ("int32", "int32")), ("ij->", ("int32",)), ("ij->", ("uint8",)),
    ("ii", ("bool",)), ("ii->i", ("bool",)), ("ij->ji", ("int32",)), ("ij->j", ("int8",)),
    ("ij,k->ik", ("int32", "int32")), ("ij,jk->", ("int32", "int32")),
    ("i,j->ij", ("int64", "float32")), ("ij,k->ik", ("float32", "float64")),
    ("i,j,k->ijk", ("int64", "float32", "float64")), ("ij,j->ij", ("bool", "bool")),
    ("ij->", ("float16",)),
], ids=lambda c: f"{c[0]}:{','.join(c[1])}")
def test_einsum_result_dtypes(case):
    equation, dtypes = case
    shapes = {"ij,jk->ik": [(2, 3), (3, 4)], "ij,k->ik": [(2, 3), (4,)],
              "ij,jk->": [(2, 3), (3, 4)], "i,j->ij": [(3,), (4,)],
              "i,j,k->ijk": [(2,), (3,), (4,)], "ij,j->ij": [(2, 3), (3,)]}.get(
        equation, [(3, 3)])
    rng = np.random.default_rng(16)
    arrays = [rng.integers(0, 3, s) for s in shapes]
    want = torch.einsum(equation, *[torch.tensor(a).to(getattr(torch, d))
                                    for a, d in zip(arrays, dtypes, strict=True)])
    got = torchlet.einsum(equation, *[torchlet.tensor(a).to(getattr(torchlet, d))
                                      for a, d in zip(arrays, dtypes, strict=True)])
    assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    np.testing.assert_allclose(got.numpy().astype(np.float64),
                               want.numpy().astype(np.float64), rtol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transposed_copy_is_exact(dtype, monkeypatch):
    """The linear layer's transposed copy (OpenBLAS's omatcopy where found, else NumPy)
    copies every bit: NaN payloads and signs, signed zeros, subnormals, infinities, at
    shapes around the routine's blocks; the small-batch linear forward that ends in it
    gives rows laid out as NumPy's (x @ W.T + b) would, C-contiguous."""
    from torchlet._ops.linalg import _transpose
    from torchlet._ops.linalg.products import times_transposed

    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    rng = np.random.default_rng(3)
    for route in ("found", "numpy"):
        if route == "numpy":
            monkeypatch.setattr(_transpose, "_omatcopy", lambda dtype: None)
        for rows, cols in ((256, 64), (64, 256), (129, 31), (2048, 1), (1, 4096), (8, 8)):
            a = rng.standard_normal((rows, cols)).astype(dtype)
            special = rng.integers(0, a.size, 40)
            a.reshape(-1)[special[:8]] = -0.0
            a.reshape(-1)[special[8:16]] = np.finfo(dtype).smallest_subnormal * 5
            a.reshape(-1)[special[16:24]] = np.inf
            raw = a.view(bits).reshape(-1)
            raw[special[24:]] = np.array(np.nan, dtype).view(bits) | bits.type(1) | (
                bits.type(1) << bits.type(8 * np.dtype(dtype).itemsize - 1))
            out = _transpose.transposed_copy(a, np.empty((cols, rows), dtype))
            assert np.array_equal(out.view(bits), a.T.view(bits)), (route, rows, cols)
        x = rng.standard_normal((64, 100)).astype(dtype)
        w = rng.standard_normal((256, 100)).astype(dtype)
        b = rng.standard_normal(256).astype(dtype)
        got = times_transposed(x, w, b)
        assert got.flags.c_contiguous
        np.testing.assert_array_equal(got, (w @ x.T).T + b)  # the same products and sums

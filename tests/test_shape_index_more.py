"""Live comparisons with torch for what the spec table cannot express: which results
share memory and version counters (as_strided, unfold, in-place views), tensor metadata
after in-place view operations (shape, strides, grad_fn, _version, is_leaf), resize_'s
storage semantics, the legacy ``Tensor.new`` constructor, empty_strided's geometry, and
hypothesis-drawn as_strided geometries (values bit for bit; gradients, which add
overlapping windows, within float rounding).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import torchlet

torch = pytest.importorskip("torch")

LIBS = (torch, torchlet)


def _both(fn):
    return [fn(lib) for lib in LIBS]


def _np(t):
    return t.detach().numpy()


# ---------------------------------------------------------------------------------------
# views share memory and versions


@pytest.mark.parametrize("make", [
    lambda t, x: x.as_strided((2, 2), (1, 2), 1),
    lambda t, x: t.as_strided(x, (3,), (4,)),
    lambda t, x: x.unfold(1, 2, 2),
])
def test_strided_views_share_memory_and_version(make):
    def fn(t):
        x = t.arange(12.0).reshape(3, 4)
        v = make(t, x)
        before = v._version
        v.add_(100)
        return _np(x).copy(), _np(v).copy(), v._version - before, x._version, v._base is x._base
    (tx, tv, tdv, txv, tb), (lx, lv, ldv, lxv, lb) = _both(fn)
    assert np.array_equal(tx, lx) and np.array_equal(tv, lv)
    assert (tdv, txv, tb) == (ldv, lxv, lb)


def test_as_strided_storage_offset_of_a_view():
    def fn(t):
        v = t.arange(12.0).reshape(3, 4)[1]
        a, b = v.as_strided((2,), (1,)), v.as_strided((2,), (1,), 0)
        return _np(a), _np(b), a.storage_offset(), b.storage_offset(), a.stride()
    (ta, tb, to1, to2, ts), (la, lb, lo1, lo2, ls) = _both(fn)
    assert np.array_equal(ta, la) and np.array_equal(tb, lb) and (to1, to2, ts) == (lo1, lo2, ls)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_as_strided_random_geometry(data):
    ndim = data.draw(st.integers(1, 3))
    size = tuple(data.draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    stride = tuple(data.draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    offset = data.draw(st.integers(0, 6))
    # the view must fit in the 40 elements (torch refuses it before anything is compared)
    extent = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    assume(extent < 40)
    base = np.random.default_rng(0).standard_normal(40).astype(np.float32)
    weights = np.random.default_rng(1).standard_normal(size).astype(np.float32)

    def fn(t):
        x = t.tensor(base, requires_grad=True)
        y = (x * 1).as_strided(size, stride, offset)
        y.backward(t.tensor(weights))
        return _np(y), y.stride(), y.grad_fn.name(), x.grad.numpy()
    (ty, ts, tn, tg), (ly, ls, ln, lg) = _both(fn)
    assert np.array_equal(ty, ly) and ts == ls and tn == ln
    np.testing.assert_allclose(lg, tg, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------------------------
# in-place view operations


@pytest.mark.parametrize("op, args", [
    ("t_", ()), ("transpose_", (0, 2)), ("swapaxes_", (2, 0)), ("swapdims_", (1, 2)),
    ("squeeze_", ()), ("squeeze_", (1,)), ("squeeze_", ((0, 1),)), ("unsqueeze_", (0,)),
    ("unsqueeze_", (3,)),
])
def test_inplace_view_metadata(op, args):
    def fn(t):
        a = t.arange(6.0, requires_grad=True)
        x = (a * 1).view(2, 1, 3) if op != "t_" else (a * 1).view(2, 3)
        result = getattr(x, op)(*args)
        grad = t.arange(float(x.numel())).reshape(x.shape)
        x.backward(grad)
        return (result is x, tuple(x.shape), x.stride(), x.grad_fn.name(), x._version,
                x.is_leaf, a.grad.numpy())
    (*t_meta, t_grad), (*l_meta, l_grad) = _both(fn)
    assert t_meta == l_meta
    assert np.array_equal(t_grad, l_grad)


def test_inplace_view_on_a_view_keeps_base():
    def fn(t):
        a = t.arange(6.0, requires_grad=True)
        y = a * 1
        v = y[1:]
        v.unsqueeze_(0)
        v.backward(t.ones(1, 5))
        return v._base is y, tuple(v.shape), v.grad_fn.name(), y.grad_fn.name(), a.grad.numpy()
    (*t_meta, t_grad), (*l_meta, l_grad) = _both(fn)
    assert t_meta == l_meta and np.array_equal(t_grad, l_grad)


def test_inplace_view_of_leaf_under_no_grad():
    def fn(t):
        a = t.ones(2, 3, requires_grad=True)
        with t.no_grad():
            a.t_()
        return tuple(a.shape), a.stride(), a.is_leaf, a.requires_grad
    assert _both(fn)[0] == _both(fn)[1]


# ---------------------------------------------------------------------------------------
# fill_diagonal_, index_put_, put_


def test_fill_diagonal_records_copyslices_and_returns_self():
    def fn(t):
        a = t.ones(4, 3, requires_grad=True)
        b = a * 2
        r = b.fill_diagonal_(0.5, wrap=True)
        b.backward(t.arange(12.0).reshape(4, 3))
        return r is b, b.grad_fn.name(), b._version, _np(b), a.grad.numpy()
    (*t_meta, tb, tg), (*l_meta, lb, lg) = _both(fn)
    assert t_meta == l_meta and np.array_equal(tb, lb) and np.array_equal(tg, lg)


def test_index_put_and_put_in_place_return_self():
    def fn(t):
        b = t.zeros(2, 3)
        r1 = t.index_put_(b, (t.tensor([0, 1]), t.tensor([2, 0])), t.tensor([5.0, 6.0]))
        r2 = b.put_(t.tensor([1, 1]), t.tensor([1.0, 2.0]), accumulate=True)
        return r1 is b, r2 is b, b._version, _np(b)
    (*t_meta, tb), (*l_meta, lb) = _both(fn)
    assert t_meta == l_meta and np.array_equal(tb, lb)


# ---------------------------------------------------------------------------------------
# resize_, new, empty_strided


def test_resize_keeps_storage():
    def fn(t):
        r = t.arange(6.0)
        r.resize_(2, 2)
        shrunk = _np(r).copy()
        r.resize_(3, 2)  # back within the old storage: the old values show again
        regrown = _np(r).copy()
        r.resize_as_(t.ones(6))
        return shrunk, regrown, _np(r).copy(), r.stride()
    (ts, tr, tf, tstr), (ls, lr, lf, lstr) = _both(fn)
    assert np.array_equal(ts, ls) and np.array_equal(tr, lr) and np.array_equal(tf, lf)
    assert tstr == lstr


def test_resize_same_shape_keeps_strides():
    def fn(t):
        r = t.arange(6.0).reshape(2, 3).t()
        same = r.resize_(3, 2).stride()
        return same, r.resize_(2, 2).stride()
    assert _both(fn)[0] == _both(fn)[1]


def test_resize_view_within_storage_writes_through():
    def fn(t):
        base = t.arange(6.0)
        v = base[1:]
        v.resize_(2)
        v.fill_(-1.0)
        return _np(base).copy(), v.storage_offset()
    (tb, to), (lb, lo) = _both(fn)
    assert np.array_equal(tb, lb) and to == lo


@pytest.mark.parametrize("args", [(2, 3), ([1.5, 2.0],), ((2, 3),), (), ([[1, 2], [3, 4]],)])
def test_new_legacy_constructor(args):
    def fn(t):
        n = t.ones(2, dtype=t.int32).new(*args)
        return tuple(n.shape), str(n.dtype), n.requires_grad, (_np(n) if n.numel() and
                                                             len(args) == 1 else None)
    (ts, td, tr, tv), (ls, ld, lr, lv) = _both(fn)
    assert (ts, td, tr) == (ls, ld, lr)
    assert (tv is None and lv is None) or np.array_equal(tv, lv)


@pytest.mark.parametrize("size", [[2, 3], [], [0]])
def test_new_with_size_object(size):
    def fn(t):
        n = t.ones(2, dtype=t.float64).new(t.Size(size))  # Size([]): a 0-d tensor
        return tuple(n.shape), str(n.dtype)
    assert _both(fn)[0] == _both(fn)[1]


@pytest.mark.parametrize("size, stride, dtype", [
    ((2, 3), (1, 2), None), ((2, 3), (0, 0), "int64"), ((4,), (3,), "float64"),
    ((0, 3), (3, 1), None),
])
def test_empty_strided(size, stride, dtype):
    def fn(t):
        e = t.empty_strided(size, stride, dtype=None if dtype is None else getattr(t, dtype))
        return tuple(e.shape), e.stride(), str(e.dtype), e.requires_grad
    assert _both(fn)[0] == _both(fn)[1]


def test_index_reduce_warns_beta(monkeypatch):
    monkeypatch.setattr(torchlet._tensor, "_WARNED", set())  # (torch warns once per process)
    with pytest.warns(UserWarning, match="index_reduce\\(\\) is in beta"):
        torchlet.ones(3).index_reduce(0, torchlet.tensor([0]), torchlet.ones(1), "prod")

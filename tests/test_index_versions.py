"""Live differential tests against torch 2.13: index and mask tensors that the writing
indexing operations save for backward, and two argument-handling details.

1. ``x[idx] = v``, ``x[mask] = v``, index_put(_), scatter(_), scatter_add(_),
   scatter_reduce(_), index_fill(_), index_add(_), index_copy(_), index_reduce, put,
   masked_scatter(_) and ``torch.where(cond, a, b)`` save their index/mask/condition
   tensor as torch does: changing it in place before backward raises torch's
   RuntimeError (the whole message compared), and a second backward without
   ``retain_graph`` raises torch's "second time" error. torch saves the index of
   scatter_add and index_add only when ``src``/``source`` needs a gradient: then neither
   error happens, and the gradients are compared.
2. ``torch.sort`` with ``stable``, ``descending`` and ``out`` as keywords. (torch has two
   overloads, and with ``stable`` given refuses ``dim``/``descending`` passed by
   position, a TypeError; torchlet's one signature accepts them: not modelled.)
3. ``torch.unique_consecutive`` of a tensor with two zero-sized dims along a dim.

Everything compared is bit-exact: exception types and whole messages, and gradients
(sums of ones and copies of the incoming gradient, exact in float64).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

LIBS = (torch, torchlet)


def _both(fn):
    """fn(lib) for torch and torchlet: ('ok', result) or ('error', type name, message)."""
    out = []
    for lib in LIBS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(("ok", fn(lib)))
        except Exception as error:  # noqa: BLE001 - the type and message are compared
            out.append(("error", type(error).__name__, str(error)))
    return out


def _assert_same_grads(t_grads, l_grads):
    assert len(t_grads) == len(l_grads)
    for t, l in zip(t_grads, l_grads, strict=True):
        assert (t is None) == (l is None)
        if t is not None:
            assert tuple(l.shape) == tuple(t.shape)
            np.testing.assert_array_equal(l.numpy(), t.numpy())


# ---------------------------------------------------------------------------------------
# 1. index, mask and condition tensors saved for backward

# Each case: (lib, x, src, index, mask) -> result. x is 4x3, src 2x3 (both float64, each
# requiring grad or not), index [[0, 1, 3], [2, 0, 1]] (int64), mask 4x3 with 3 Trues.
# Which tensor is changed in place before backward: "index" or "mask".
CASES = {
    "setitem_index": ("index", lambda t, x, s, i, m: x.__setitem__(i[:, 0], s)),
    "setitem_index_scalar": ("index", lambda t, x, s, i, m: x.__setitem__(i[:, 0], 1.5)),
    "setitem_two_indices": ("index", lambda t, x, s, i, m: x.__setitem__((i[:, 0], i[:, 1]),
                                                                       s[0, :2])),
    "setitem_index_int": ("index", lambda t, x, s, i, m: x.__setitem__((i[:, 0], 1),
                                                                     s[0, :2])),
    "setitem_slice_index": ("index", lambda t, x, s, i, m: x.__setitem__(
        (slice(2, None), i[:, 0]), s[:, :2])),
    "setitem_mask": ("mask", lambda t, x, s, i, m: x.__setitem__(m, s[0])),
    "setitem_row_mask": ("mask", lambda t, x, s, i, m: x.__setitem__(m[:, 0], s[:1])),
    "setitem_mask_scalar": ("mask", lambda t, x, s, i, m: x.__setitem__(m, -1.0)),
    "setitem_mask_0d": ("mask", lambda t, x, s, i, m: x.__setitem__(m, s[0, 0])),
    "index_put_": ("index", lambda t, x, s, i, m: x.index_put_((i[:, 0],), s)),
    "index_put_accumulate_": ("index", lambda t, x, s, i, m: x.index_put_((i[:, 0],), s,
                                                                          accumulate=True)),
    "index_put": ("index", lambda t, x, s, i, m: x.index_put((i[:, 0],), s)),
    "index_put_accumulate": ("index", lambda t, x, s, i, m: t.index_put(x, (i[:, 0],), s,
                                                                        True)),
    "index_put_mask": ("mask", lambda t, x, s, i, m: x.index_put((m,), s[0])),
    "scatter": ("index", lambda t, x, s, i, m: x.scatter(0, i, s)),
    "scatter_": ("index", lambda t, x, s, i, m: x.scatter_(0, i, s)),
    "scatter_value": ("index", lambda t, x, s, i, m: t.scatter(x, 0, i, 2.0)),
    "scatter_dim1": ("index", lambda t, x, s, i, m: x.scatter(1, i[:, :2] % 3, s[:, :2])),
    "scatter_add": ("index", lambda t, x, s, i, m: x.scatter_add(0, i, s)),
    "scatter_add_": ("index", lambda t, x, s, i, m: x.scatter_add_(0, i, s)),
    "scatter_reduce_sum": ("index", lambda t, x, s, i, m: x.scatter_reduce(0, i, s, "sum")),
    "scatter_reduce_mean": ("index", lambda t, x, s, i, m: x.scatter_reduce(
        0, i, s, "mean", include_self=False)),
    "scatter_reduce_prod": ("index", lambda t, x, s, i, m: x.scatter_reduce(0, i, s, "prod")),
    "scatter_reduce_amax_": ("index", lambda t, x, s, i, m: x.scatter_reduce_(0, i, s,
                                                                              "amax")),
    "index_fill": ("index", lambda t, x, s, i, m: x.index_fill(0, i[:, 0], 3.0)),
    "index_fill_": ("index", lambda t, x, s, i, m: x.index_fill_(1, i[0, :2], -1.0)),
    "index_fill_tensor": ("index", lambda t, x, s, i, m: x.index_fill(0, i[:, 0], s[0, 0])),
    "index_add": ("index", lambda t, x, s, i, m: x.index_add(0, i[:, 0], s)),
    "index_add_": ("index", lambda t, x, s, i, m: x.index_add_(0, i[:, 0], s, alpha=2)),
    "index_copy": ("index", lambda t, x, s, i, m: x.index_copy(0, i[:, 0], s)),
    "index_copy_": ("index", lambda t, x, s, i, m: x.index_copy_(0, i[:, 0], s)),
    "index_reduce": ("index", lambda t, x, s, i, m: x.index_reduce(0, i[:, 0], s, "amax")),
    "put": ("index", lambda t, x, s, i, m: x.put(i[:, 0], s[0, :2])),
    "put_accumulate": ("index", lambda t, x, s, i, m: x.put(i[:, 0], s[0, :2], True)),
    "masked_scatter": ("mask", lambda t, x, s, i, m: x.masked_scatter(m, s)),
    "masked_scatter_": ("mask", lambda t, x, s, i, m: x.masked_scatter_(m, s)),
    "where": ("mask", lambda t, x, s, i, m: t.where(m, x, 0.0)),
    "where_two": ("mask", lambda t, x, s, i, m: t.where(m[:2], s, x[:2])),
    "where_method": ("mask", lambda t, x, s, i, m: x[:2].where(m[:2], s)),
    "where_broadcast": ("mask", lambda t, x, s, i, m: t.where(m[0], x, s[:1])),
}
REQUIRES = [(True, False), (False, True), (True, True)]  # (x, src) requires grad


def _run_case(lib, name, requires, action):
    """Build the case, then ``action``: "change" the index/mask in place and backward,
    "twice": backward two times without retain_graph, or "once". Returns the leaves'
    grads."""
    changed, op = CASES[name]
    x_leaf = lib.from_numpy(np.arange(-5.0, 7.0).reshape(4, 3)).requires_grad_(requires[0])
    s_leaf = lib.from_numpy(np.arange(1.0, 7.0).reshape(2, 3)).requires_grad_(requires[1])
    x = x_leaf.clone()  # (CloneBackward0 saves nothing: the errors seen come from op)
    index = lib.tensor([[0, 1, 3], [2, 0, 1]])
    mask = lib.tensor([[True, False, True], [False, False, False], [False, True, False],
                       [False, False, False]])
    y = op(lib, x, s_leaf, index, mask)
    y = x if y is None else y
    loss = (y * lib.arange(1.0, y.numel() + 1, dtype=lib.float64).reshape(y.shape)).sum()
    if action == "change":
        if changed == "index":
            index.add_(1)
        else:
            mask.logical_not_()
    loss.backward()
    if action == "twice":
        loss.backward()
    return [leaf.grad for leaf in (x_leaf, s_leaf)]


def _applicable(name, requires):
    # a number value (or a value that is x itself) cannot require grad
    return not (requires[1] and name in {
        "setitem_index_scalar", "setitem_mask_scalar", "scatter_value", "index_fill",
        "index_fill_", "where",
    })


PARAMS = [(name, req) for name, req in itertools.product(CASES, REQUIRES)
          if _applicable(name, req)]


def _id(param):
    name, (rx, rs) = param
    return f"{name}-{'x' if rx else ''}{'s' if rs else ''}"


@pytest.mark.parametrize("param", PARAMS, ids=[_id(p) for p in PARAMS])
def test_index_changed_in_place_before_backward(param):
    name, requires = param
    t_out, l_out = _both(lambda lib: _run_case(lib, name, requires, "change"))
    assert l_out[0] == t_out[0], (t_out, l_out)
    if t_out[0] == "ok":
        _assert_same_grads(t_out[1], l_out[1])
        return
    assert "modified by an inplace operation" in t_out[2]
    assert l_out[1:] == t_out[1:]


@pytest.mark.parametrize("param", PARAMS, ids=[_id(p) for p in PARAMS])
def test_second_backward_without_retain_graph(param):
    name, requires = param
    t_out, l_out = _both(lambda lib: _run_case(lib, name, requires, "twice"))
    assert l_out[0] == t_out[0], (t_out, l_out)
    if t_out[0] == "ok":
        _assert_same_grads(t_out[1], l_out[1])
        return
    assert t_out[2].startswith("Trying to backward through the graph a second time")
    assert l_out[1:] == t_out[1:]


@pytest.mark.parametrize("param", PARAMS, ids=[_id(p) for p in PARAMS])
def test_gradients_with_index_unchanged(param):
    name, requires = param
    t_out, l_out = _both(lambda lib: _run_case(lib, name, requires, "once"))
    assert t_out[0] == l_out[0] == "ok", (t_out, l_out)
    _assert_same_grads(t_out[1], l_out[1])


# ---------------------------------------------------------------------------------------
# 2. sort with stable, descending and out given as keywords


def test_sort_stable_with_out():
    def run(lib):
        x = lib.tensor([3.0, 1.0, 1.0, 2.0])
        out = (lib.empty(0), lib.empty(0, dtype=lib.int64))
        lib.sort(x, stable=True, descending=True, out=out)
        return out[0].numpy(), out[1].numpy()

    t_out, l_out = _both(run)
    assert t_out[0] == l_out[0] == "ok"
    for t, l in zip(t_out[1], l_out[1], strict=True):
        np.testing.assert_array_equal(l, t)


# ---------------------------------------------------------------------------------------
# 3. unique / unique_consecutive with zero-sized dims

UNIQUE_CASES = [((0, 0), 0), ((0, 0), 1), ((0, 0), -1), ((0, 3), 0), ((0, 3), 1), ((2, 0), 1),
                ((2, 0), 0), ((0, 0, 2), 0), ((0, 0, 2), 2), ((2, 0, 0), 0), ((0, 0, 0), 1),
                ((0,), 0), ((0, 0), None)]


@pytest.mark.parametrize("function", ["unique_consecutive", "unique"])
@pytest.mark.parametrize(("shape", "dim"), UNIQUE_CASES)
def test_unique_zero_sized_dims(function, shape, dim):
    def run(lib):
        result = getattr(lib, function)(lib.zeros(shape), dim=dim, return_inverse=True,
                                        return_counts=True)
        return [tuple(r.shape) for r in result]

    t_out, l_out = _both(run)
    assert l_out == t_out

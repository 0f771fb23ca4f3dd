"""Indexing, session 19: strides of dims made by None, scatter backward with a src larger
than index, writes into empty tensors under autograd, index_add's backward checks, and
sampled differential tests of t[index], t[index] = v and the functional indexing ops."""

import warnings

import numpy as np
import pytest

import torchlet

# ---------------------------------------------------------------------------------------
# a dim made by None takes the stride size * stride of the dim after it (1 at the end), as
# torch's unsqueeze gives it (NumPy's None gives 0)

NONE_STRIDES = [  # (index, strides torch gives on arange(6.).reshape(2, 3))
    ((None,), (6, 3, 1)),
    ((slice(None), None), (3, 3, 1)),
    ((Ellipsis, None), (3, 1, 1)),
    ((None, 1), (6, 1)),
    ((1, None), (3, 1)),
    ((slice(None), None, slice(None, None, 2)), (3, 3, 2)),
    ((None, None), (6, 6, 3, 1)),
    ((None, slice(1, 2), None), (6, 3, 3, 1)),
    ((None, Ellipsis, None), (6, 3, 1, 1)),
    ((1, 2, None), (1,)),
]


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("index,strides", NONE_STRIDES)
def test_none_strides(index, strides, grad):
    x = torchlet.arange(6.0).reshape(2, 3).requires_grad_(grad)
    y = x[index if len(index) > 1 else index[0]]
    assert y.stride() == strides
    assert y._base is x._base  # (x is a view of arange's result)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy()[index])
    if grad:
        y.sum().backward()
        expected = np.zeros((2, 3))
        expected[tuple(i for i in index if i is not None)] = 1
        np.testing.assert_array_equal(x.grad.numpy(), expected)
    else:
        before = y.clone()
        x[...] = -x  # the view sees the write
        np.testing.assert_array_equal(y.numpy(), -before.numpy())


def test_none_strides_match_unsqueeze_and_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda t: t.arange(24.0).reshape(4, 6)[:, ::2], (None, slice(None), None)),
        (lambda t: t.arange(24.0).reshape(4, 6).t(), (None, 1, None)),
        (lambda t: t.arange(30.0).reshape(5, 6)[::2], (None, slice(None, None, 2), None)),
        (lambda t: t.zeros(2, 0, 3), (None,)),
        (lambda t: t.zeros(2, 0, 3), (slice(None), None)),
        (lambda t: t.zeros(2, 0, 3), (Ellipsis, None)),
        (lambda t: t.arange(6.0).reshape(1, 6, 1), (None, slice(None), None, 0)),
        (lambda t: t.tensor(2.0), (None,)),
        (lambda t: t.tensor(2.0), (None, None)),
    ]
    for make, index in cases:
        for grad in (False, True):
            a = make(torch).requires_grad_(grad)[index]
            b = make(torchlet).requires_grad_(grad)[index]
            assert b.stride() == a.stride(), index
            assert b.storage_offset() == a.storage_offset()
    x = torchlet.arange(24.0).reshape(4, 6)[:, ::2]
    assert x[:, None].stride() == x.unsqueeze(1).stride() == (6, 6, 2)
    assert x[..., None].stride() == x.unsqueeze(-1).stride() == (6, 2, 1)


def test_none_before_advanced_index_layout():
    # the operand of the advanced index has the unsqueezed dim's stride, which decides the
    # result's memory order (hand values from torch 2.13)
    x = torchlet.zeros(4, 3, 3, 4).transpose(0, -1)
    y = x[[1, 3], torchlet.tensor([2], dtype=torchlet.int32), None]
    assert y.stride() == (12, 3, 1, 3)
    x = torchlet.zeros(3, 4).t()
    assert x[None, [1]].stride() == (1, 1, 1)
    assert x[None, torchlet.tensor([False, False, False, True])].stride() == (1, 1, 1)


# ---------------------------------------------------------------------------------------
# scatter's backward with src larger than index: torch's gradient for src has index's
# shape, which the engine refuses; scatter_reduce's prod/amax/amin rules mix src's and
# index's shapes and fail to broadcast


def _scatter_ops(t):
    return {
        "scatter": lambda x, i, s: x.scatter(0, i, s),
        "scatter_add": lambda x, i, s: x.scatter_add(0, i, s),
        **{f"{r}_{inc}": _scatter_reduce(r, inc)
           for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)},
    }


def _scatter_reduce(reduce, include_self):
    return lambda x, i, s: x.scatter_reduce(0, i, s, reduce, include_self=include_self)


def _scatter_outcome(t, name, src_shape, index, needs=(True, True)):
    x = t.zeros(3, 4, dtype=t.float64).requires_grad_(needs[0])
    n = int(np.prod(src_shape))
    src = (t.arange(float(n), dtype=t.float64).reshape(src_shape) + 1).requires_grad_(needs[1])
    y = _scatter_ops(t)[name](x, t.tensor(index), src)
    try:
        y.sum().backward()
    except RuntimeError as error:
        return "error", str(error)
    return "ok", (x.grad is None or x.grad.tolist(), src.grad is None or src.grad.tolist())


SCATTER_INDEX = [[0, 1, 2], [2, 0, 1]]


@pytest.mark.parametrize("name", sorted(_scatter_ops(torchlet)))
@pytest.mark.parametrize("src_shape", [(4, 5), (2, 5), (4, 3), (2, 3)])
def test_scatter_backward_src_larger(name, src_shape):
    kind, what = _scatter_outcome(torchlet, name, src_shape, SCATTER_INDEX)
    if src_shape == (2, 3):
        assert kind == "ok"
    elif name.split("_")[0] in ("prod", "amax", "amin"):
        assert kind == "error" and "must match the size of tensor b" in what
    else:
        node = {"scatter": "ScatterBackward0", "scatter_add": "ScatterAddBackward0"}.get(
            name, "ScatterReduceBackward0")
        assert what == (f"Function {node} returned an invalid gradient at index 1 - got "
                        f"[2, 3] but expected shape compatible with {list(src_shape)}")
    torch = pytest.importorskip("torch")
    for needs in ((True, True), (True, False), (False, True)):
        expected = _scatter_outcome(torch, name, src_shape, SCATTER_INDEX, needs)
        got = _scatter_outcome(torchlet, name, src_shape, SCATTER_INDEX, needs)
        assert got == expected


def test_scatter_backward_src_larger_only_self_needs_grad():
    # grad_src is not wanted: scatter's gradient for self is still given
    x = torchlet.zeros(3, 4, requires_grad=True)
    x.scatter(0, torchlet.tensor([[0, 1]]), torchlet.ones(2, 4)).sum().backward()
    assert x.grad.tolist() == [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 1, 1]]


# ---------------------------------------------------------------------------------------
# writes that write nothing (an empty target) read no index, under autograd too


@pytest.mark.parametrize("value_grad", [False, True])
def test_setitem_empty_target_out_of_range_index(value_grad):
    cases = [((4, 1, 4, 1), (slice(4, 5), True, Ellipsis, [-1, -2])),
             ((0, 3), (slice(None), [5]))]
    for shape, index in cases:
        x = torchlet.zeros(*shape, requires_grad=True) * 1
        v = torchlet.ones(1, requires_grad=value_grad)
        x[tuple(torchlet.tensor(i) if isinstance(i, list) else i for i in index)] = v
        x.sum().backward()
        if value_grad:
            assert v.grad.tolist() == [0.0]


def test_index_add_backward_empty_self_checks_index():
    for shape, dim, index, error in [((2, 0), 1, [0], "axis dim should be positive"),
                                     ((0, 3, 3), 2, [3, 1, 0], "out of DATA bounds")]:
        x = torchlet.zeros(*shape, dtype=torchlet.float64, requires_grad=True)
        src_shape = list(shape)
        src_shape[dim] = len(index)
        src = torchlet.zeros(*src_shape, dtype=torchlet.float64, requires_grad=True)
        y = x.index_add(dim, torchlet.tensor(index), src)  # (nothing is added)
        with pytest.raises(RuntimeError, match=error):
            y.sum().backward()


# ---------------------------------------------------------------------------------------
# sampled differential tests against torch


def _rand_index(rng, shape):
    items, dim = [], 0
    for _ in range(int(rng.integers(1, 5))):
        size = shape[dim] if dim < len(shape) else 0
        hi = max(size, 1)
        kind = rng.choice(["int", "slice", "none", "ell", "list", "long", "mask", "bool",
                           "bool0d", "int32", "slice", "none"])
        if kind == "ell" and any(k == "ell" for k, _ in items):
            kind = "none"
        if kind == "int":
            value = int(rng.integers(-hi - (rng.random() < 0.05), hi + (rng.random() < 0.05)))
        elif kind == "slice":
            value = slice(*(None if rng.random() < 0.3 else int(rng.integers(-size - 2, size + 3))
                            for _ in range(2)), None if rng.random() < 0.5
                          else int(rng.integers(1, 4)))
        elif kind == "list":
            value = [int(v) for v in rng.integers(-hi, hi, int(rng.integers(0, 4)))]
        elif kind == "long":
            shp = [int(rng.integers(1, 3)) for _ in range(int(rng.integers(0, 3)))]
            value = rng.integers(-hi, hi, shp) + (2 * size if rng.random() < 0.05 else 0)
        elif kind == "int32":
            value = rng.integers(-hi, hi, int(rng.integers(1, 4))).astype(np.int32)
        elif kind == "mask":
            value = rng.random(size) < 0.5
        elif kind == "bool":
            value = bool(rng.random() < 0.5)
        elif kind == "bool0d":
            value = np.array(rng.random() < 0.5)
        else:
            value = None if kind == "none" else Ellipsis
        items.append((kind, value))
        dim += kind in ("int", "slice", "list", "long", "mask", "int32")
    return items


def _base(t, rng_values, layout, grad):
    x = (t.tensor(rng_values) if rng_values.size else t.zeros(rng_values.shape,
                                                              dtype=t.float64))
    x = x.requires_grad_(grad)
    y = x * 1 if grad else x.clone()
    if layout == 1:
        y = y.transpose(0, -1)
    elif layout == 2 and y.shape[-1]:
        y = y[..., ::2]
    return x, y


def _as_index(t, items):
    index = tuple(t.tensor(v) if isinstance(v, np.ndarray) else v for _, v in items)
    return index[0] if len(index) == 1 and items[0][0] != "list" else index


def _cases(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        ndim = int(rng.integers(0, 5))
        shape = [int(rng.integers(0, 5)) if rng.random() < 0.1 else int(rng.integers(1, 5))
                 for _ in range(ndim)]
        values = rng.standard_normal(shape) if ndim else np.array(rng.standard_normal())
        layout = int(rng.integers(0, 3)) if ndim >= 2 else 0
        view = np.empty(shape)
        view = view.transpose() if layout == 1 else view[..., ::2] if layout == 2 and \
            shape[-1] else view
        yield rng, values, layout, _rand_index(rng, list(view.shape)), bool(rng.random() < 0.5)


def _record(t, fn):
    try:
        return ("ok", fn())
    except Exception as error:  # noqa: BLE001  (the type is compared)
        return ("error", type(error).__name__)


def _assert_same(expected, got):
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "error":
        assert got[1] == expected[1]
        return
    for key, value in expected[1].items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(got[1][key], value, err_msg=key)
        elif key == "stride" and 0 in expected[1]["shape"]:
            continue
        else:
            assert got[1][key] == value, key


def _getitem_outcome(t, values, layout, items, grad):
    x, y = _base(t, values, layout, grad)

    def go():
        out = y[_as_index(t, items)]
        result = {"shape": tuple(out.shape), "values": out.detach().numpy().copy(),
                  "stride": out.stride(), "view": out._base is not None,
                  "node": out.grad_fn and out.grad_fn.name()}
        if grad and out.numel():
            out.backward(_ramp(t, out))
            result["grad"] = x.grad.numpy().copy()
        return result
    return _record(t, go)


def _ramp(t, like):
    return t.tensor(np.arange(like.numel(), dtype=np.float64).reshape(tuple(like.shape)))


def test_sampled_getitem():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _rng, *case in _cases(1901, 300):
            _assert_same(_getitem_outcome(torch, *case), _getitem_outcome(torchlet, *case))


def _setitem_outcome(t, values, layout, items, grad, value):
    x, y = _base(t, values, layout, grad)
    v = value if isinstance(value, float) else t.tensor(value).requires_grad_(grad)

    def go():
        y[_as_index(t, items)] = v
        result = {"shape": tuple(y.shape), "values": y.detach().numpy().copy(),
                  "stride": y.stride(), "node": y.grad_fn and y.grad_fn.name()}
        if grad:
            y.backward(_ramp(t, y))
            result["grad"] = x.grad.numpy().copy()
            if not isinstance(v, float):
                result["vgrad"] = v.grad.numpy().copy()
        return result
    return _record(t, go)


def test_sampled_setitem():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for rng, *case in _cases(1902, 250):
            vshape = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(0, 3)))]
            value = 2.5 if rng.random() < 0.3 else rng.standard_normal(vshape)
            _assert_same(_setitem_outcome(torch, *case, value),
                         _setitem_outcome(torchlet, *case, value))


FUNCTIONAL = ["index_put", "index_put_acc", "index_select", "masked_select", "masked_fill",
              "masked_scatter", "take", "take_along_dim", "put_", "put_acc", "index_add"]


def _functional_case(rng):
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(rng.integers(0 if rng.random() < 0.1 else 1, 4)) for _ in range(ndim))
    case = {"values": rng.standard_normal(shape), "op": FUNCTIONAL[int(rng.integers(11))],
            "dim": int(rng.integers(0, ndim)), "grad": bool(rng.random() < 0.5)}
    n = max(shape[case["dim"]], 1)
    ishape = tuple(int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 3))))
    k = int(rng.integers(1, ndim + 1))
    case["put_index"] = [rng.integers(-max(shape[i], 1),
                                      max(shape[i], 1) + (rng.random() < 0.05), ishape)
                         for i in range(k)]
    put_values = rng.standard_normal(ishape + shape[k:] if rng.random() < 0.7 else ())
    case["vector"] = vector = rng.integers(-(rng.random() < 0.05), n + (rng.random() < 0.05),
                                           int(rng.integers(0, 4)))
    source = rng.standard_normal(shape[:case["dim"]] + (vector.size,) + shape[case["dim"] + 1:])
    case["mask"] = rng.random(shape[int(rng.integers(0, ndim + 1)):]) < 0.5
    flat = rng.standard_normal(int(rng.integers(0, 30)))
    size = int(np.prod(shape))
    case["take"] = rng.integers(-size - (rng.random() < 0.05), max(size, 1), (2, 2))
    along = list(shape)
    along[case["dim"]] = int(rng.integers(1, 4))
    case["along"] = rng.integers(0, n, along)
    op = case["op"]
    case["src"] = (flat[:vector.size] if op.startswith("put") else put_values
                   if op.startswith("index_put") else source if op == "index_add" else flat)
    return case


def _functional_outcome(t, case):
    values, dim, grad = case["values"], case["dim"], case["grad"]
    x = t.tensor(values) if values.size else t.zeros(values.shape, dtype=t.float64)
    x = x.requires_grad_(grad)
    y = x * 1
    src = t.tensor(case["src"]).requires_grad_(grad)
    long = t.tensor(case["vector"], dtype=t.int64)
    mask = t.tensor(case["mask"])
    put_index = tuple(t.tensor(i) for i in case["put_index"])
    calls = {
        "index_put": lambda: y.index_put(put_index, src),
        "index_put_acc": lambda: y.index_put(put_index, src, accumulate=True),
        "index_select": lambda: y.index_select(dim, long),
        "masked_select": lambda: y.masked_select(mask),
        "masked_fill": lambda: y.masked_fill(mask, 3.0),
        "masked_scatter": lambda: y.masked_scatter(mask, src),
        "take": lambda: y.take(t.tensor(case["take"])),
        "take_along_dim": lambda: t.take_along_dim(y, t.tensor(case["along"]), dim),
        "put_": lambda: y.clone().put_(long, src),
        "put_acc": lambda: y.clone().put_(long, src, accumulate=True),
        "index_add": lambda: y.index_add(dim, long, src, alpha=2),
    }

    def go():
        out = calls[case["op"]]()
        result = {"shape": tuple(out.shape), "values": out.detach().numpy().copy(),
                  "stride": out.stride(), "node": out.grad_fn and out.grad_fn.name()}
        if grad:
            out.backward(_ramp(t, out))
            result["grad"] = x.grad.numpy().copy()
            if src.grad is not None:
                result["sgrad"] = src.grad.numpy().copy()
        return result
    return _record(t, go)


def test_sampled_functional():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1903)
    for _ in range(300):
        case = _functional_case(rng)
        _assert_same(_functional_outcome(torch, case), _functional_outcome(torchlet, case))

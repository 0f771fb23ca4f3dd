"""Sorting, searching and scans: regressions found by differential testing against torch
(session 19), and a small sampled differential test of the whole area."""

import math
import warnings

import numpy as np
import pytest

import torchlet

NAN = math.nan


def _torch():
    return pytest.importorskip("torch")


def _same(t, mine):
    """mine (torchlet) against t (torch): type, dtype, shape, strides of dims longer than
    1, values bit for bit (NaN where NaN, the sign of zeros), grad_fn names."""
    torch = _torch()
    if isinstance(t, BaseException) or isinstance(mine, BaseException):
        assert type(t).__name__ == type(mine).__name__, (t, mine)
        return
    if isinstance(t, (tuple, list)):
        assert isinstance(mine, (tuple, list)) and len(t) == len(mine), (t, mine)
        for a, b in zip(t, mine):
            _same(a, b)
        return
    assert isinstance(t, torch.Tensor) and isinstance(mine, torchlet.Tensor), (t, mine)
    assert str(t.dtype).split(".")[-1] == str(mine.dtype).split(".")[-1]
    assert tuple(t.shape) == tuple(mine.shape)
    long_dims = [i for i, n in enumerate(t.shape) if n > 1]
    assert [t.stride(i) for i in long_dims] == [mine.stride()[i] for i in long_dims]
    a, b = t.detach().numpy(), np.asarray(mine.detach().numpy())
    if a.dtype.kind == "f":
        assert np.array_equal(np.isnan(a), np.isnan(b))
        ok = ~np.isnan(a)
        assert np.array_equal(a[ok], b[ok]) and np.array_equal(np.signbit(a[ok]), np.signbit(b[ok]))
    else:
        assert np.array_equal(a, b)
    names = [x.grad_fn.name() if x.grad_fn is not None else None for x in (t, mine)]
    assert names[0] == names[1]


def _both(fn):
    torch = _torch()
    out = []
    for lib in (torch, torchlet):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001 (the exception type is compared)
            out.append(e)
    _same(*out)


# ---------------------------------------------------------------------------------------
# kthvalue of a 0-d bool tensor: torch returns it before its dtype check


def test_kthvalue_zero_dim_bool():
    r = torchlet.kthvalue(torchlet.tensor(True), 1)
    assert r.values.item() is True and r.indices.item() == 0
    with pytest.raises(NotImplementedError):
        torchlet.kthvalue(torchlet.tensor([True]), 1)
    _both(lambda L: L.kthvalue(L.tensor(False), 1, 0, keepdim=True))


# ---------------------------------------------------------------------------------------
# cummax / cummin return an empty input before wrapping dim


@pytest.mark.parametrize("op", ["cummax", "cummin"])
@pytest.mark.parametrize("shape, dim", [((4, 0), 5), ((0,), -3), ((0, 3), 2)])
def test_cummax_cummin_empty_any_dim(op, shape, dim):
    x = torchlet.zeros(shape, requires_grad=True)
    r = getattr(torchlet, op)(x, dim)
    assert tuple(r.values.shape) == shape and r.indices.dtype == torchlet.int64
    assert r.values.grad_fn.name() == ("CummaxBackward0" if op == "cummax" else "CumminBackward0")
    r.values.sum().backward()
    assert tuple(x.grad.shape) == shape
    with pytest.raises(TypeError):  # still an int
        getattr(torchlet, op)(torchlet.zeros(shape), 1.5)
    with pytest.raises(IndexError):  # a non-empty input checks it
        getattr(torchlet, op)(torchlet.zeros(2), dim if dim != 0 else 3)
    _both(lambda L: getattr(L, op)(L.zeros(shape), dim))


# ---------------------------------------------------------------------------------------
# isin with a number: converted to the common dtype as C++ converts; bool refused


def test_isin_number_wraps_to_the_common_dtype():
    t8 = torchlet.tensor([44, 1, -44], dtype=torchlet.int8)
    assert torchlet.isin(t8, 300).tolist() == [True, False, False]  # 300 -> 44
    assert torchlet.isin(300, torchlet.tensor([44, 1], dtype=torchlet.int8)).item() is True
    u8 = torchlet.tensor([44, 1, 255], dtype=torchlet.uint8)
    assert torchlet.isin(u8, -1).tolist() == [False, False, True]  # -1 -> 255
    for args in [(torchlet.tensor([1.0, 0.0]), True), (True, torchlet.tensor([1.0, 0.0]))]:
        with pytest.raises(RuntimeError, match="Unsupported input type encountered for isin"):
            torchlet.isin(*args)
    _both(lambda L: L.isin(L.tensor([44, 1, -44], dtype=L.int8), 300))
    _both(lambda L: L.isin(-1, L.tensor([44, 1, 255], dtype=L.uint8)))
    _both(lambda L: L.isin(L.tensor([1, 0]), True))


# ---------------------------------------------------------------------------------------
# unique(dim=) / unique_consecutive(dim=): torch's layout, torch's order with NaN


@pytest.mark.parametrize("op", ["unique", "unique_consecutive"])
def test_unique_dim_layout(op):
    x = torchlet.arange(48).reshape(2, 3, 4, 2)  # every slice distinct
    expected = {0: (24, 8, 2, 1), 1: (8, 16, 2, 1), 2: (6, 2, 12, 1), 3: (12, 4, 1, 24)}
    for dim, strides in expected.items():
        values = getattr(torchlet, op)(x, dim=dim)
        assert values.stride() == strides
        assert values.tolist() == x.tolist()
    # a non-contiguous input is laid out the same way
    y = torchlet.arange(30).reshape(5, 3, 2).transpose(0, -1)
    assert getattr(torchlet, op)(y, dim=1).stride() == (5, 10, 1)  # (3, 2, 5) moved
    for dim in range(4):
        _both(lambda L, dim=dim: getattr(L, op)(L.arange(48).reshape(2, 3, 4, 2) % 3, dim=dim,
                                                return_inverse=True, return_counts=True))
    _both(lambda L: getattr(L, op)(L.arange(30).reshape(5, 3, 2).transpose(0, -1), dim=1))


def test_unique_dim_nan_order():
    # torch std::sorts the slices with a comparator that passes over NaNs: insertion sort
    # (16 slices or fewer) never moves anything past the leading NaN
    values, inverse = torchlet.unique(torchlet.tensor([NAN, -1.0, -0.0]), dim=0,
                                      return_inverse=True)
    assert str(values.tolist()) == "[nan, -1.0, -0.0]" and inverse.tolist() == [0, 1, 2]
    rows = [[NAN, -0.0, -1.0, 1.0], [math.inf, 0.0, NAN, 1.0], [0.0, 0.0, -0.0, -0.0],
            [-math.inf, 2.5, 0.0, math.inf]]
    values, inverse = torchlet.unique(torchlet.tensor(rows), dim=0, return_inverse=True)
    assert inverse.tolist() == [0, 3, 2, 1]
    _both(lambda L: L.unique(L.tensor(rows), dim=0, return_inverse=True, return_counts=True))
    _both(lambda L: L.unique(L.tensor(rows).t(), dim=1, return_inverse=True))


def test_unique_zero_signs_and_nans_follow_torchs_sort():
    # torch keeps the first of equal values in its sort's order; every NaN is its own value
    assert torchlet.unique(torchlet.tensor([0.0, -0.0])).tolist() == [0.0]
    assert math.copysign(1, torchlet.unique(torchlet.tensor([-0.0, 0.0])).item()) == -1
    x = torchlet.tensor([0.0, -0.0] * 10 + [1.0, NAN, NAN] * 3)
    values, inverse, counts = torchlet.unique(x, return_inverse=True, return_counts=True)
    order = torchlet.sort(x).indices  # torch's sort(stable=False) order
    first = x[order[0]].item()
    assert math.copysign(1, values[0].item()) == math.copysign(1, first) == -1
    assert counts.tolist() == [20, 3, 1, 1, 1, 1, 1, 1]
    nan_positions = [i for i in order.tolist() if x[i].item() != x[i].item()]
    assert [inverse[i].item() for i in nan_positions] == [2, 3, 4, 5, 6, 7]
    _both(lambda L: L.unique(L.tensor([0.0, -0.0] * 10 + [1.0, NAN, NAN] * 3),
                             return_inverse=True, return_counts=True))


# ---------------------------------------------------------------------------------------
# histc / histogram: linspace in the input's dtype comes before the dtype refusal


def test_histc_integer_range_overflow_and_bool_linspace():
    with pytest.raises(RuntimeError, match="cannot be converted to type uint8_t without"):
        torchlet.histc(torchlet.tensor([3, 5], dtype=torchlet.uint8), 3, min=-3, max=2)
    with pytest.raises(RuntimeError, match="type uint8_t"):  # empty: [0, 0] widens to [-1, 1]
        torchlet.histc(torchlet.tensor([], dtype=torchlet.uint8), 3)
    with pytest.raises(RuntimeError, match="type int without overflow"):
        torchlet.histc(torchlet.tensor([1], dtype=torchlet.int32), 3, min=0, max=1e20)
    with pytest.raises(NotImplementedError, match="histogram_cpu"):  # in range: the kernel
        torchlet.histc(torchlet.tensor([3, 5], dtype=torchlet.int8), 3, min=-3, max=2)
    with pytest.raises(NotImplementedError, match="linspace_cpu"):
        torchlet.histc(torchlet.tensor([True]), 3)
    with pytest.raises(NotImplementedError, match="linspace_cpu"):
        torchlet.histogram(torchlet.tensor([True]), 3, range=(0.0, 1.0))
    with pytest.raises(RuntimeError, match="type int8_t"):
        torchlet.histogram(torchlet.tensor([3], dtype=torchlet.int8), 3, range=(0.0, 300.0))
    for dt in ["uint8", "int8", "int32", "bool"]:
        for lo, hi in [(0, 0), (-3, 2), (0, 300)]:
            _both(lambda L, dt=dt, lo=lo, hi=hi: L.histc(L.tensor([3, 5], dtype=getattr(L, dt)),
                                                         3, lo, hi))
        _both(lambda L, dt=dt: L.histogram(L.tensor([], dtype=getattr(L, dt)), 3,
                                           range=(-1.0, 2.0)))


def test_histogram_weight_of_the_input_shape():
    x = torchlet.tensor([[2.0, 0.0, 1.0], [-1.0, 1.0, 3.0]])
    w = torchlet.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    hist, edges = torchlet.histogram(x, 2, weight=w)
    flat_hist, flat_edges = torchlet.histogram(x.reshape(-1), 2, weight=w.reshape(-1))
    assert hist.tolist() == flat_hist.tolist() == [6.0, 15.0]  # bins [-1, 1), [1, 3]
    assert edges.tolist() == flat_edges.tolist()
    _both(lambda L: L.histogram(L.tensor([[2.0, 0.0, 1.0], [-1.0, 1.0, 3.0]]), 2,
                                weight=L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))
    _both(lambda L: L.histogram(L.tensor([[2.0, 0.0, 1.0]]), L.tensor([0.0, 1.0, 3.0]),
                                weight=L.tensor([[1.0, 2.0, 3.0]]), density=True))


# ---------------------------------------------------------------------------------------
# a sampled differential test of the area (derandomized)


def _gen(rng, shape, dtype):
    n = int(np.prod(shape))
    if dtype == "bool":
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype.startswith("float"):
        a = rng.choice([-np.inf, np.inf, np.nan, 0.0, -0.0, 1.0, -1.0, 2.5], n)
        if rng.random() < 0.5:
            a = rng.integers(-3, 4, n).astype(np.float64)
        return a.astype(dtype).reshape(shape)
    lo, hi = (0, 4) if dtype == "uint8" else (-2, 3)
    return rng.integers(lo, hi, n).astype(dtype).reshape(shape)


_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64"]


def _cases():
    rng = np.random.default_rng(19)
    cases = []
    for _ in range(50):
        nd = int(rng.integers(0, 4))
        shape = tuple(int(s) for s in rng.integers(0, 5, nd))
        if nd and rng.random() < 0.3:
            shape = shape[:-1] + (int(rng.integers(17, 40)),)
        dtype = _DTYPES[rng.integers(len(_DTYPES))]
        d = int(rng.integers(-max(nd, 1), max(nd, 1)))
        size = shape[d] if nd else 1
        cases.append((_gen(rng, shape, dtype), dtype, d, int(rng.integers(0, size + 2)),
                      bool(rng.integers(2)), bool(rng.integers(2)),
                      np.sort(_gen(rng, (int(rng.integers(0, 5)),), dtype))))
    return cases


def _ops(a, dtype, d, k, flag, flag2, seq):
    def t(L):  # (torch.tensor of an empty array keeps NumPy's strides: zeros are plain)
        if not a.size:
            return L.zeros(a.shape, dtype=getattr(L, dtype))
        return L.tensor(a, dtype=getattr(L, dtype))

    return {
        "sort": lambda L: L.sort(t(L), d, flag),
        "sort_stable": lambda L: L.sort(t(L), dim=d, descending=flag, stable=True),
        "argsort": lambda L: L.argsort(t(L), d, flag),
        "topk": lambda L: L.topk(t(L), k, d, largest=flag, sorted=flag2),
        "kthvalue": lambda L: L.kthvalue(t(L), k, d, keepdim=flag),
        "mode": lambda L: L.mode(t(L), d, keepdim=flag),
        "median": lambda L: L.median(t(L), d),
        "max": lambda L: L.max(t(L), d),
        "argmin": lambda L: L.argmin(t(L), d),
        "unique": lambda L: L.unique(t(L), return_inverse=True, return_counts=True),
        "unique_dim": lambda L: L.unique(t(L), return_inverse=flag, return_counts=True, dim=d),
        "unique_consecutive": lambda L: L.unique_consecutive(t(L), return_counts=True,
                                                             dim=d if flag else None),
        "searchsorted": lambda L: L.searchsorted(L.tensor(seq, dtype=getattr(L, dtype)), t(L),
                                                 right=flag),
        "bucketize": lambda L: L.bucketize(t(L), L.tensor(seq, dtype=getattr(L, dtype)),
                                           out_int32=flag),
        "isin": lambda L: L.isin(t(L), L.tensor(seq, dtype=getattr(L, dtype)), invert=flag),
        "cummax": lambda L: L.cummax(t(L), d),
        "cummin": lambda L: L.cummin(t(L), d),
        "logcumsumexp": lambda L: L.logcumsumexp(t(L), d),
        "count_nonzero": lambda L: L.count_nonzero(t(L), d),
        "nonzero": lambda L: L.nonzero(t(L), as_tuple=flag),
        "histc": lambda L: L.histc(t(L), bins=max(k, 1), min=-1, max=2),
    }


@pytest.mark.parametrize("case", range(50))
def test_sampled_differential(case):
    _torch()
    args = _cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in _ops(*args).values():
            _both(fn)


# ---------------------------------------------------------------------------------------
# empty results of topk and cummax/cummin: contiguous, as torch's


@pytest.mark.parametrize("k", [0, 1, 2])
def test_topk_empty_indices_contiguous(k):
    r = torchlet.topk(torchlet.zeros(0, 2, 2, dtype=torchlet.int64), k, -2)
    expected = (4, 2, 1) if k == 2 else (2, 2, 1)
    assert r.values.stride() == r.indices.stride() == expected
    _both(lambda L: L.topk(L.zeros(0, 2, 2, dtype=L.int64), k, -2))


@pytest.mark.parametrize("shape, dim", [((2, 4, 0), 1), ((3, 0, 4), 1), ((2, 4, 0), 0)])
def test_cummax_empty_indices_contiguous(shape, dim):
    r = torchlet.cummin(torchlet.zeros(shape), dim)
    strides = torchlet.zeros(shape).stride()
    assert r.values.stride() == r.indices.stride() == strides
    _both(lambda L: L.cummax(L.zeros(shape), dim))

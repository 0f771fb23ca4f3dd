"""Live differential tests of the small torch names in torchlet/_ops/misc_api.py,
histogramdd.py and tensor_misc.py, for what the spec table cannot express: memory sharing
(frombuffer, unsafe splits, resize, as_strided_), warnings, the generator's state after
native_dropout, set_flush_denormal's effect, Python callables (apply_/map_/map2_), layout
queries (dim_order, is_set_to) over many layouts, and histogramdd over many random cases.

Everything is compared bit for bit with torch (values, dtypes, shapes, strides, messages),
except histogramdd with ``density`` (within float rounding: torch divides by ``hist.sum()``,
whose summation order may differ).
"""

from __future__ import annotations

import array
import functools
import itertools
import warnings

import numpy as np
import pytest

import torchlet


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _same(got, want):
    """torchlet tensor ``got`` equals torch tensor ``want`` bit for bit (dtype, shape)."""
    a, b = got.detach().numpy(), want.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
    assert np.array_equal(a, b, equal_nan=True), (a, b)


def _warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message)) for w in caught]


# ---------------------------------------------------------------------------------------
# top-level names


def test_vmap_is_func_vmap():
    assert torchlet.vmap is torchlet.func.vmap


def test_detach_functions(torch):
    for lib in (torch, torchlet):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        assert lib.detach(y).requires_grad is False
        assert lib.detach_(y) is y and y.requires_grad is False and y.grad_fn is None
        assert lib.is_inference(y) is False


def test_range_warning_and_values(torch):
    cases = [(1, 4), (0, 1, 0.1), (0, 1, 0.3), (1.5, 4), (0, 10, 3), (3, 0, -1), (-2, 2, 0.7),
             (0, 2.999999999)]
    for args, dtype in itertools.product(cases, (None, "float64", "int64", "float16", "int32")):
        step = args[2] if len(args) > 2 else 1
        if dtype is not None and "int" in dtype and not float(step).is_integer():
            continue  # torch divides by the step truncated to 0 and dies of SIGFPE
        want, want_warn = _warnings(functools.partial(
            torch.range, *args, **({} if dtype is None else {"dtype": getattr(torch, dtype)})))
        got, got_warn = _warnings(functools.partial(
            torchlet.range, *args,
            **({} if dtype is None else {"dtype": getattr(torchlet, dtype)})))
        _same(got, want)
        assert got_warn == want_warn
    x = torchlet.range(0, 2, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_frombuffer_shares_writable_memory(torch):
    for lib in (torch, torchlet):
        buf = array.array("i", [1, 2, 3, 4, 5])
        t = lib.frombuffer(buf, dtype=lib.int32, count=3, offset=4)
        assert t.tolist() == [2, 3, 4]
        t[0] = 100
        buf[3] = -7
        assert buf[1] == 100 and t.tolist() == [100, 3, -7]


def test_frombuffer_values_match_torch(torch):
    data = np.arange(24, dtype=np.uint8).tobytes()
    for name in ("uint8", "int16", "int32", "float32", "float64", "bool"):
        size = np.dtype(name if name != "bool" else np.bool_).itemsize
        for offset, count in ((0, -1), (size, -1), (0, 2), (size * 2, 1), (3, 1)):
            want = torch.frombuffer(bytearray(data), dtype=getattr(torch, name), count=count,
                                    offset=offset)
            got = torchlet.frombuffer(bytearray(data), dtype=getattr(torchlet, name),
                                      count=count, offset=offset)
            _same(got, want)


def test_frombuffer_read_only_warns_once():
    import torchlet._ops.misc_api as misc_api

    misc_api._frombuffer_warned = False
    _, first = _warnings(lambda: torchlet.frombuffer(b"\x01\x02", dtype=torchlet.uint8))
    t, second = _warnings(lambda: torchlet.frombuffer(b"\x03\x04", dtype=torchlet.uint8))
    assert len(first) == 1 and "buffer is not writable" in first[0][1] and not second
    assert t.tolist() == [3, 4]


def test_set_flush_denormal(torch):
    tiny = np.array([1e-310, -3e-320], np.float64)
    try:
        assert torchlet.set_flush_denormal(True) == torch.set_flush_denormal(True)
        if torch.set_flush_denormal(True):
            _same(torchlet.tensor(tiny) * 1.0, torch.tensor(tiny) * 1.0)
            assert (torchlet.tensor(tiny) * 1.0).abs().max().item() == 0.0
        assert torchlet.set_flush_denormal(False) == torch.set_flush_denormal(False)
        _same(torchlet.tensor(tiny) * 1.0, torch.tensor(tiny) * 1.0)
        assert (torchlet.tensor(tiny) * 1.0).numpy()[0] == 1e-310
    finally:
        torch.set_flush_denormal(False)
        torchlet.set_flush_denormal(False)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9, 1.0])
def test_native_dropout_draws_as_torch(torch, dtype, p):
    data = np.random.default_rng(7).standard_normal((7, 9)).astype(dtype)
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(123)
        x = lib.tensor(data, requires_grad=True)
        out, mask = lib.native_dropout(x, p, True)
        (grad,) = lib.autograd.grad(out, x, lib.ones_like(out) * 3)
        results.append((out, mask, grad, out.grad_fn.name(), lib.rand(3)))
    (o1, m1, g1, n1, r1), (o2, m2, g2, n2, r2) = results
    for got, want in ((o2, o1), (m2, m1), (g2, g1), (r2, r1)):  # r: the generator in step
        _same(got, want)
    assert n1 == n2 == "NativeDropoutBackward0"


def test_unsafe_split_shares_memory_without_view_tracking(torch):
    for lib in (torch, torchlet):
        x = lib.randn(4, 3, requires_grad=True)
        pieces = lib.unsafe_split(x, 2)
        assert pieces[1].data_ptr() == x.data_ptr() + 2 * 3 * 4
        assert pieces[0].grad_fn.name() == "UnsafeSplitBackward0"
        assert pieces[0]._version == 0
        pieces[0].mul_(2)  # allowed: the pieces are not autograd views
        (grad,) = lib.autograd.grad(pieces[0].sum(), x)
        assert grad.tolist()[:2] == [[2.0] * 3] * 2 and grad.tolist()[2:] == [[0.0] * 3] * 2
    assert torchlet.unsafe_chunk(torchlet.ones(3), 2)[0]._base is None


def test_as_strided_inplace(torch):
    results = []
    for lib in (torch, torchlet):
        y = lib.arange(12.0)
        r = y.as_strided_((3, 2), (2, 1), 1)
        assert r is y
        base = lib.arange(12.0).view(3, 4)
        v = base[1]
        v.as_strided_((2,), (4,), 0)  # a view keeps addressing its base's storage
        base[0, 0] = -5.0
        results.append((y.clone(), tuple(y.shape), y.stride(), v.clone()))
    (a1, s1, st1, v1), (a2, s2, st2, v2) = results
    _same(a2, a1)
    _same(v2, v1)
    assert s1 == s2 and st1 == st2


def test_as_strided_scatter_non_contiguous_and_grads(torch):
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    src = -np.arange(4, dtype=np.float32).reshape(2, 2)
    for make in (lambda lib: lib.tensor(base).t(), lambda lib: lib.tensor(base)[1:],
                 lambda lib: lib.tensor(base)[:, ::2]):
        want = torch.as_strided_scatter(make(torch), torch.tensor(src), (2, 2), (1, 3), 1)
        got = torchlet.as_strided_scatter(make(torchlet), torchlet.tensor(src), (2, 2), (1, 3),
                                          1)
        _same(got, want)
        assert got.stride() == want.stride()
    grads = []
    for lib in (torch, torchlet):
        a = lib.zeros(3, 4, requires_grad=True)
        s = lib.ones(2, 2, requires_grad=True)
        out = lib.as_strided_scatter(a, s, (2, 2), (1, 3), 1)
        grads.append(lib.autograd.grad(out, (a, s), lib.arange(12.0).view(3, 4)))
    for got, want in zip(grads[1], grads[0]):
        _same(got, want)
    for offset in (None, 1, 5):  # a non-leaf slice with a storage offset
        grads = []
        for lib in (torch, torchlet):
            leaf = lib.arange(12.0, requires_grad=True)
            s = lib.ones(2, 2, requires_grad=True)
            out = lib.as_strided_scatter((leaf * 1)[2:8], s, (2, 2), (1, 2), offset)
            if offset == 5:  # torch's backward reads the 6-element gradient out of bounds
                with pytest.raises(RuntimeError, match="out of bounds for storage of size 24"):
                    lib.autograd.grad(out, (leaf, s), lib.arange(6.0) - 2)
                continue
            grads.append((out, *lib.autograd.grad(out, (leaf, s), lib.arange(6.0) - 2)))
        for got, want in zip(*grads[::-1]):
            _same(got, want)


def test_nonzero_static_random(torch):
    rng = np.random.default_rng(3)
    for shape in ((5,), (3, 4), (2, 3, 2), ()):
        data = rng.integers(0, 3, size=shape)
        for size, fill in ((0, -1), (2, -1), (7, 9), (30, 0)):
            _same(torchlet.nonzero_static(torchlet.tensor(data), size=size, fill_value=fill),
                  torch.nonzero_static(torch.tensor(data), size=size, fill_value=fill))


# ---------------------------------------------------------------------------------------
# histogramdd


def _compare_histogramdd(torch, data, bins, *, edges=False, **kwargs):
    def run(lib):
        b = [lib.tensor(e) for e in bins] if edges else bins
        extra = dict(kwargs)
        if "weight" in extra:
            extra["weight"] = lib.tensor(extra["weight"])
        return lib.histogramdd(lib.tensor(data), b, **extra)

    want, got = run(torch), run(torchlet)
    assert type(got).__name__ == "histogramdd" and got._fields == ("hist", "bin_edges")
    assert isinstance(got.bin_edges, tuple) and len(got.bin_edges) == len(want.bin_edges)
    for g, w in zip(got.bin_edges, want.bin_edges):
        _same(g, w)
    if kwargs.get("density"):
        np.testing.assert_allclose(got.hist.numpy(), want.hist.numpy(), rtol=1e-6, atol=0)
    else:
        _same(got.hist, want.hist)
    return got, want


def test_histogramdd_random_cases(torch):
    rng = np.random.default_rng(11)
    for case in range(60):
        dtype = ("float32", "float64")[case % 2]
        n = 1 + case % 3
        points = rng.integers(5, 60)
        data = (rng.standard_normal((points, n)) * 3).astype(dtype)
        if case % 4 == 0:  # many points exactly on edges
            data = np.round(data).astype(dtype)
        bins = [int(b) for b in rng.integers(1, 7, size=n)]
        kwargs = {}
        if case % 5 == 0:
            kwargs["range"] = [v for _ in range(n) for v in (-2.0, 2.5)]
        if case % 3 == 0:
            kwargs["weight"] = rng.uniform(0.1, 2, size=points).astype(dtype)
        if case % 7 == 0:
            kwargs["density"] = True
        _compare_histogramdd(torch, data, bins, **kwargs)
        edges = [np.sort(rng.uniform(-4, 4, size=b + 1)).astype(dtype) for b in bins]
        _compare_histogramdd(torch, data, edges, edges=True, **{
            k: v for k, v in kwargs.items() if k != "range"})


def test_histogramdd_returns_given_edges_and_prints_as_torch(torch):
    data = np.array([[0.0, 1.0], [0.5, 0.2], [1.0, 1.0]], np.float32)
    got, want = _compare_histogramdd(torch, data, 2)
    assert repr(got) == repr(want)
    edges = [torchlet.tensor([0.0, 0.5, 1.0]), torchlet.tensor([0.0, 1.0])]
    result = torchlet.histogramdd(torchlet.tensor(data), bins=edges)
    assert result.bin_edges[0] is edges[0] and result.bin_edges[1] is edges[1]
    x = torchlet.tensor(data, requires_grad=True)
    hist = torchlet.histogramdd(x, bins=2).hist
    assert hist.grad_fn.name() == torch.histogramdd(
        torch.tensor(data, requires_grad=True), bins=2).hist.grad_fn.name()


# ---------------------------------------------------------------------------------------
# Tensor methods


_APPLY_CASES = [
    ("float32", lambda v: v * 2.5 - 1),
    ("float64", lambda v: 1 / (v + 10)),
    ("float16", lambda v: v + 0.1),
    ("int64", lambda v: v * 2.7),  # floats are truncated
    ("int32", lambda v: -v),
    ("uint8", lambda v: v + 3),
    ("bool", lambda v: 5 if v else 0.0),
    ("float32", lambda v: type(v).__name__ == "float"),  # elements arrive as Python floats
    ("int64", lambda v: type(v).__name__ == "int"),
]


@pytest.mark.parametrize("dtype,fn", _APPLY_CASES)
def test_apply_(torch, dtype, fn):
    data = (np.arange(12) % 5).reshape(3, 4).astype(dtype)
    want = torch.tensor(data).t().apply_(fn)
    got = torchlet.tensor(data).t().apply_(fn)
    _same(got, want)


def test_apply_writes_in_place_and_stops_at_an_error(torch):
    results = []
    for lib in (torch, torchlet):
        x = lib.arange(4.0)
        view = x[1:]

        def fn(v):
            if v == 3:
                raise ZeroDivisionError("stop")
            return v * 10

        with pytest.raises(ZeroDivisionError):
            view.apply_(fn)
        results.append((x, x._version))
    _same(results[1][0], results[0][0])
    assert results[1][1] == results[0][1]


def test_map_and_map2(torch):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([10.0, 20.0, 30.0], np.float32)
    c = np.array([[2.0], [3.0]], np.float32)
    want = [torch.tensor(a).map_(torch.tensor(b), lambda x, y: x * y + 1),
            torch.tensor(a).map2_(torch.tensor(b), torch.tensor(c), lambda x, y, z: x + y * z),
            torch.tensor(a.astype(np.int64)).map_(torch.tensor(b.astype(np.int64)),
                                                  lambda x, y: y / 7)]
    got = [torchlet.tensor(a).map_(torchlet.tensor(b), lambda x, y: x * y + 1),
           torchlet.tensor(a).map2_(torchlet.tensor(b), torchlet.tensor(c),
                                    lambda x, y, z: x + y * z),
           torchlet.tensor(a.astype(np.int64)).map_(torchlet.tensor(b.astype(np.int64)),
                                                    lambda x, y: y / 7)]
    for g, w in zip(got, want):
        _same(g, w)


def test_memory_queries(torch):
    for lib in (torch, torchlet):
        x = lib.ones(3)
        assert x.is_pinned() is False
        assert x.share_memory_() is x
        assert x.to_dense() is x and x.to_dense(lib.float32) is x
        assert x.to_dense(lib.float64).dtype == lib.float64
        assert x.name is None
    assert torchlet.ones(2).is_shared() is False  # no shared memory between processes


def test_device_flags_match_torch(torch):
    names = ["is_nested", "is_sparse_csr", "is_mkldnn", "is_xla", "is_mps", "is_xpu",
             "is_ipu", "is_maia", "is_mtia", "is_vulkan", "is_quantized", "is_sparse",
             "is_meta", "is_cuda", "is_cpu"]
    for name in names:
        assert getattr(torchlet.ones(2), name) == getattr(torch.ones(2), name), name


def test_is_set_to(torch):
    def cases(lib):
        x = lib.arange(6.0)
        return [x.is_set_to(x), x.is_set_to(x.view(6)), x.is_set_to(x.clone()),
                x.is_set_to(x[:3]), x.is_set_to(x.detach()), x.is_set_to(x.view(2, 3)),
                x.view(2, 3).t().is_set_to(x.view(2, 3).t()), x[1:].is_set_to(x[1:])]
    assert cases(torchlet) == cases(torch)


def _layouts(lib):
    x = lib.zeros(2, 3, 4, 5)
    yield x
    yield lib.zeros(1, 3, 1, 2)
    yield lib.zeros(3, 3)
    yield lib.zeros(3).expand(2, 3)
    yield lib.zeros(4, 4)[:, ::2]
    yield lib.zeros(())
    yield lib.zeros(0, 3)
    for perm in itertools.permutations(range(4)):
        yield x.permute(*perm)
    for perm in itertools.permutations(range(3)):
        yield lib.zeros(2, 1, 3).permute(*perm)


def test_dim_order_matches_torch(torch):
    for got_t, want_t in zip(_layouts(torchlet), _layouts(torch), strict=True):
        for check in (False, True):
            want = got = None
            try:
                want = want_t.dim_order(ambiguity_check=check)
            except RuntimeError as e:
                want = ("error", str(e))
            try:
                got = got_t.dim_order(ambiguity_check=check)
            except RuntimeError as e:
                got = ("error", str(e))
            assert got == want, (tuple(want_t.shape), want_t.stride(), check)


def test_new_empty_strided(torch):
    for lib in (torch, torchlet):
        x = lib.ones(3, dtype=lib.float64)
        e = x.new_empty_strided((2, 3), (1, 2))
        assert e.dtype == lib.float64 and e.stride() == (1, 2) and tuple(e.shape) == (2, 3)
        assert x.new_empty_strided((2,), (1,), dtype=lib.int64).dtype == lib.int64
        assert x.new_empty_strided((2,), (1,), requires_grad=True).requires_grad


def test_resize_warns_and_shares_memory(torch):
    results = []
    for lib in (torch, torchlet):
        x = lib.arange(6.0, requires_grad=True)
        r, caught = _warnings(functools.partial(x.resize, 2, 3))
        r2, caught2 = _warnings(functools.partial(x.detach().resize_as, lib.ones(3, 2)))
        shared = r2.data_ptr() == x.data_ptr()
        results.append((caught, caught2, r.grad_fn.name(), tuple(r2.shape), shared))
    assert results[0] == results[1]


def test_volatile_and_grad_dtype(torch):
    for lib in (torch, torchlet):
        x = lib.ones(2, requires_grad=True)
        value, caught = _warnings(functools.partial(getattr, x, "volatile"))
        assert value is False
        assert caught == [(UserWarning, "volatile was removed (Variable.volatile is always "
                                         "False)")]

        def assign(x=x):
            x.volatile = True

        _, caught = _warnings(assign)
        assert caught == [(UserWarning, "volatile was removed and now has no effect. Use "
                                         "`with torch.no_grad():` instead.")]
        assert x.grad_dtype == lib.float32
        assert lib.ones(2, dtype=lib.float64).grad_dtype == lib.float64

"""Session 17 (misc): creation from odd NumPy data, odd index kinds, torch's masked-fill
path of ``t[mask] = v``, the order of setitem's checks, nll_loss's double backward,
``Tensor.as_subclass`` and the repr of Tensor subclasses. Each test states the expected
behaviour by hand and, where torch is installed, compares with it live."""

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-written expectations still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _outcome(fn, *args):
    """(exception type name or 'ok', result as a list or None, warning categories)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args)
            result = ("ok", None if out is None else out.tolist())
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            result = (type(error).__name__, None)
    return result + (sorted({w.category.__name__ for w in caught}),)


# ---------------------------------------------------------------------------------------
# torch.tensor / as_tensor of NumPy scalars and arrays of kinds torch has no dtype for


CREATION_CASES = [
    (lambda: np.bytes_(b"ab"), None),
    (lambda: np.str_("ab"), None),
    (lambda: np.bytes_(b"ab"), "float32"),
    (lambda: np.str_("a"), "int64"),
    (lambda: np.datetime64("2020-01-01"), None),
    (lambda: np.datetime64("2020-01-01"), "float32"),
    (lambda: np.datetime64("2020-01-01"), "int64"),
    (lambda: np.timedelta64(3, "s"), "float32"),
    (lambda: np.datetime64(5, "ns"), "float32"),
    (lambda: np.longdouble(1), None),
    (lambda: np.longdouble(2.5), "float32"),
    (lambda: np.zeros(2, "V4")[0], None),
    (lambda: np.zeros(2, [("a", "f4")])[0], None),
    (lambda: np.array([b"a"]), None),
    (lambda: np.array(["a"]), None),
    (lambda: np.array([1], dtype=object), None),
    (lambda: np.array(["2020"], dtype="M8[D]"), None),
    (lambda: np.int64(300), "int8"),
    (lambda: np.int64(300), "int32"),
    (lambda: np.float64(1e10), "int32"),
    (lambda: np.float64(np.nan), "int64"),
    (lambda: np.uint64(2**64 - 1), "int64"),
    (lambda: np.uint64(2**63 - 1), "int8"),
    (lambda: np.int16(-3), "uint8"),
    (lambda: bytearray(b"ab"), None),
    (lambda: [bytearray(b"ab"), bytearray(b"cd")], "float32"),
    (lambda: bytearray(), None),
]


@pytest.mark.parametrize("make, dtype", CREATION_CASES)
@pytest.mark.parametrize("fn", ["tensor", "as_tensor"])
@needs_torch
def test_creation_from_odd_numpy_matches_torch(make, dtype, fn):
    def run(lib):
        kwargs = {} if dtype is None else {"dtype": getattr(lib, dtype)}
        return getattr(lib, fn)(make(), **kwargs)

    assert _outcome(run, torchlet) == _outcome(run, torch)


def test_creation_from_odd_numpy_by_hand():
    with pytest.raises(TypeError, match=r"new\(\): invalid data type 'numpy.bytes_'"):
        torchlet.tensor(np.bytes_(b"ab"))
    with pytest.raises(TypeError, match=r"new\(\): invalid data type 'numpy.str_'"):
        torchlet.as_tensor(np.str_("ab"), dtype=torchlet.float32)
    with pytest.raises(TypeError, match="can't convert np.ndarray"):
        torchlet.tensor(np.datetime64("2020-01-01"))
    with pytest.raises(TypeError, match="not 'datetime.date'"):
        torchlet.tensor(np.datetime64("2020-01-01"), dtype=torchlet.float32)
    with pytest.raises(TypeError, match="can't convert np.ndarray"):
        torchlet.tensor(np.longdouble(1))
    # a NumPy number is stored as the Python number it reads as: checked like one
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8"):
        torchlet.tensor(np.int64(300), dtype=torchlet.int8)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torchlet.tensor(np.uint64(2**64 - 1), dtype=torchlet.int64)
    assert torchlet.tensor(np.int16(-3), dtype=torchlet.uint8).item() == 253
    t = torchlet.tensor(bytearray(b"ab"))  # a sequence of ints
    assert t.dtype == torchlet.int64 and t.tolist() == [97, 98]


# ---------------------------------------------------------------------------------------
# odd index kinds: torch counts the indexed dims before it reads any item


class _Obj:
    pass


ODD_INDICES = [
    "k", b"k", 1.0, 1j, {}, {1}, frozenset(), np.float64(0.0), np.bool_(True),
    np.str_("a"), (0, "k"), ["k"], [0, "a"], [["a"]], [b"a"], [1, b"a"], bytearray(b"\x01"),
    np.array(["a"]), np.array([0], dtype=object), np.array([1], dtype=np.longdouble),
    np.array([1.5, 2.7]), [0.5], [1.5, 2.7], [np.float32(1)], [np.float16(1)],
    [float("nan")], [1e30], [2**63], [2**65], [{}], [1, {}], [1, None], (slice(None), {}),
    slice(0.5, None), slice("a", None, 0), slice(None, None, 1.5), slice(None, None, -1),
    slice(0, None, 0), [0.5, slice(None)], "ab" * 20, "", b"",
]


def _index_case(lib, shape, index, op):
    x = lib.arange(float(np.prod(shape))).reshape(shape)
    if op == "get":
        return x[index]
    x[index] = 7.0
    return x


@needs_torch
@pytest.mark.parametrize("op", ["get", "set"])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_odd_indices_match_torch(shape, op):
    for index in ODD_INDICES:
        got = _outcome(_index_case, torchlet, shape, index, op)
        want = _outcome(_index_case, torch, shape, index, op)
        assert got == want, (index, got, want)


def test_odd_indices_by_hand():
    x0 = torchlet.tensor(1.0)
    # a str is a sequence of sequences: torch reads it as a tuple (warning), one dim
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
            x0["k"]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 0"):
        x0[{}]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 1"):
        torchlet.arange(3.0)[0, "k"]
    x = torchlet.arange(6.0)
    with pytest.raises(TypeError, match=r"invalid data type 'bytes'"):
        x[b"k"]
    with pytest.raises(TypeError, match="slice indices must be integers"):
        x0[0.5:]  # the slice is read before the 0-dim error
    with pytest.raises(TypeError, match="slice indices must be integers"):
        x["a"::0]  # all three are read before the step is judged
    with pytest.raises(IndexError, match="index 97 is out of bounds"):
        x[bytearray(b"ab")]  # a sequence of ints
    assert x[[1.5, 2.7]].tolist() == [1.0, 2.0]  # Python floats are truncated
    with pytest.raises(TypeError, match="'numpy.float32' object cannot be interpreted"):
        x[[np.float32(1)]]
    with pytest.raises(RuntimeError, match="cannot be converted to type int64"):
        x[[float("nan")]]
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        x[[2**63]]
    with pytest.raises(RuntimeError, match="Could not infer dtype of dict"):
        x[[{}]]
    with pytest.raises(TypeError, match="can't convert np.ndarray"):
        x[np.array([1], dtype=np.longdouble)]
    # items are read in order: the bad int comes before the negative step
    with pytest.raises(IndexError, match="out of bounds"):
        torchlet.zeros(0, 2)[True, -1, ..., ::-1]
    # every index's dtype is checked before a uint8 mask is read (and warned about)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(IndexError, match="long, int, byte or bool"):
            torchlet.zeros(1, 1, 4)[torchlet.tensor([[0]], dtype=torchlet.int16),
                                    np.array([1], np.uint8)]


# ---------------------------------------------------------------------------------------
# t[mask] = one-element value: torch's index_put_ calls masked_fill_


def test_mask_fill_by_hand():
    m = torchlet.tensor([True, False, True, False, True, True])
    x = torchlet.arange(6)  # int64: the value's number is converted, not its dtype matched
    x[m] = torchlet.tensor(2.7)
    assert x.tolist() == [2, 1, 2, 3, 2, 2]
    x = torchlet.zeros(6)
    x[m] = torchlet.tensor([[[3.0]]], dtype=torchlet.float64)
    assert x.tolist() == [3.0, 0.0, 3.0, 0.0, 3.0, 3.0] and x.dtype == torchlet.float32
    with pytest.raises(RuntimeError, match="without overflow"):
        torchlet.arange(6, dtype=torchlet.int32)[m] = torchlet.tensor(1e10)
    x = torchlet.zeros(6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no uint8 deprecation warning: masked_fill_ refuses
        with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
            x[m.to(torchlet.uint8)] = 1.0
    with pytest.raises(IndexError, match="shape of the mask"):  # checked before that
        torchlet.zeros(2, 3)[m[:4].to(torchlet.uint8)] = 1.0
    # an int index is a select, so the mask is still the only tensor index
    x = torchlet.zeros(2, 3)
    x[torchlet.tensor([True, False]), 1] = torchlet.tensor(5.0, dtype=torchlet.float64)
    assert x.tolist() == [[0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]
    # with autograd: the value of another dtype gets its gradient in its own dtype
    a = torchlet.zeros(6, requires_grad=True)
    y = a.clone()
    v = torchlet.tensor(2.0, dtype=torchlet.float64, requires_grad=True)
    y[m] = v
    assert y.grad_fn.name() == "IndexPutBackward0"
    (y * torchlet.arange(1.0, 7.0)).sum().backward()
    assert a.grad.tolist() == [0.0, 2.0, 0.0, 4.0, 0.0, 0.0]
    assert v.grad.dtype == torchlet.float64 and v.grad.item() == 1 + 3 + 5 + 6


@needs_torch
def test_mask_fill_matches_torch():
    m1 = [1, 0, 1, 0, 1, 1]
    indices = [
        lambda L: L.tensor(m1, dtype=L.uint8), lambda L: np.array(m1, np.uint8),
        lambda L: (L.tensor(m1, dtype=L.uint8),), lambda L: [np.uint8(v) for v in m1],
        lambda L: L.tensor(m1).bool(), lambda L: (None, L.tensor(m1).bool()),
        lambda L: (..., L.tensor(m1, dtype=L.uint8)), lambda L: L.tensor(m1, dtype=L.int8),
    ]
    values = [
        lambda L: -1.0, lambda L: 7, lambda L: True, lambda L: L.tensor(-1.0),
        lambda L: L.tensor([9.0, 8, 7, 6]), lambda L: L.tensor([9.0]),
        lambda L: L.tensor(-1.0, dtype=L.float64), lambda L: L.tensor(3),
    ]

    def run(lib, index, value):
        x = lib.arange(6.0)
        x[index(lib)] = value(lib)
        return x

    for index in indices:
        for value in values:
            assert _outcome(run, torchlet, index, value) == _outcome(run, torch, index, value)


# ---------------------------------------------------------------------------------------
# the order of setitem's checks, and other setitem details


@needs_torch
def test_setitem_check_order_matches_torch():
    cases = [
        ((3, 4), lambda L: ([1, -1, -2], L.tensor(True), [[0, -3], [-3, 0]]),
         lambda L: L.tensor([1.0], dtype=L.float64)),
        ((3, 4), lambda L: [1, -1, 5], lambda L: L.tensor([[1.0] * 5] * 2, dtype=L.float64)),
        ((3, 4), lambda L: [1, -1, 5], lambda L: L.tensor([1.0, 2.0], dtype=L.float64)),
        ((3, 4), lambda L: [1, -1, 5], lambda L: L.tensor([[1.0] * 5] * 2)),
        ((3, 4), lambda L: [1, -1, 5], lambda L: L.tensor([1.0], dtype=L.float64)),
        ((0, 1), lambda L: np.array([0, 0, 0]), lambda L: L.tensor([1.0, 2.0])),
        ((0, 1), lambda L: np.array([0, 0, 0]), lambda L: L.tensor(1)),
        ((2, 3), lambda L: True, lambda L: L.tensor([[-1.5, 2, 3]])),
        ((2, 3), lambda L: (True,), lambda L: L.tensor([[-1.5, 2, 3]])),
        ((4, 2), lambda L: (None, np.array([0, 0], np.uint8), []), lambda L: 1.0),
        ((4, 2), lambda L: (None, np.array([0, 0], np.uint8), []), lambda L: L.ones(2)),
        ((2, 1, 3), lambda L: (..., ..., -3, np.array([0, 0, 1], np.uint8)), lambda L: 1.0),
    ]

    def run(lib, shape, index, value):
        x = lib.zeros(shape, dtype=lib.float32)
        x[index(lib)] = value(lib)
        return x

    for case in cases:
        assert _outcome(run, torchlet, *case) == _outcome(run, torch, *case), case


def test_setitem_by_hand():
    x = torchlet.zeros(3, 4)
    with pytest.raises(IndexError, match="could not be broadcast together"):
        x[[1, 2, 0], [[0, 1]] * 2] = torchlet.tensor([1.0], dtype=torchlet.float64)
    with pytest.raises(RuntimeError, match="value tensor of shape"):  # shape before dtype
        x[[1, -1, 5]] = torchlet.tensor([1.0, 2.0], dtype=torchlet.float64)
    with pytest.raises(RuntimeError, match="dtypes match"):  # dtype before bounds
        x[[1, -1, 5]] = torchlet.tensor([1.0], dtype=torchlet.float64)
    with pytest.raises(IndexError, match="dimension with size 0"):  # before all of those
        torchlet.zeros(0, 1)[np.array([0, 0])] = torchlet.tensor([1.0, 2.0, 3.0])
    # a one-element value: the first index, a mask, is shape-checked (no uint8 warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(IndexError, match="shape of the mask"):
            torchlet.zeros(4, 2)[None, np.array([0, 0], np.uint8), []] = 1.0
    # more index positions than the sliced tensor has dims, before any mask is read
    with pytest.raises(IndexError, match=r"dimension 2 \(got 3\)"):
        torchlet.zeros(2, 1, 3)[..., ..., -3, np.array([0, 0, 1], np.uint8)]
    x = torchlet.zeros(2, 3, dtype=torchlet.int64)
    x[True] = torchlet.tensor([[-1.5, 2, 3]])  # a copy, as x[None] = ...
    assert x.tolist() == [[-1, 2, 3], [-1, 2, 3]]


def test_setitem_gradients_by_hand():
    # the incoming gradient of a 0-d result may be a NumPy scalar: still zeroed
    a = torchlet.tensor(3.0, dtype=torchlet.float64, requires_grad=True)
    x = a.clone()
    x[None] = -1.5
    (x * torchlet.tensor(0.5, dtype=torchlet.float64)).backward()
    assert a.grad.item() == 0.0
    # a broadcast value of another dtype: its gradient is summed in its own dtype
    a = torchlet.zeros(3, 2, 3, requires_grad=True)
    x = a.clone()
    v = torchlet.tensor([[-2.0]], dtype=torchlet.float64, requires_grad=True)
    x[0, :] = v
    w = np.linspace(0.5, 2, 18).astype(np.float32).reshape(3, 2, 3)
    (x * torchlet.tensor(w)).sum().backward()
    assert v.grad.dtype == torchlet.float64
    assert v.grad.item() == w[0].astype(np.float64).sum()
    assert a.grad[0].abs().sum().item() == 0.0


@needs_torch
def test_setitem_gradients_match_torch():
    def run(lib, index, value_dtype, value_shape):
        a = lib.zeros(3, 2, 3, dtype=lib.float32, requires_grad=True)
        x = a.clone()
        v = lib.full(value_shape, -2.0, dtype=value_dtype(lib), requires_grad=True)
        x[index] = v
        w = np.linspace(0.5, 2, 18).astype(np.float32).reshape(3, 2, 3)
        (x * lib.tensor(w)).sum().backward()
        return [x.detach().numpy().tolist(), a.grad.numpy().tolist(), v.grad.numpy().tolist(),
                x.grad_fn.name().rsplit("::", 1)[-1]]

    for index in [(0, slice(None)), 1, (slice(None), 0), Ellipsis, None, True]:
        for value_dtype in [lambda L: L.float32, lambda L: L.float64]:
            for value_shape in [(), (1,), (1, 1), (3,)]:
                args = (index, value_dtype, value_shape)
                assert repr(run(torchlet, *args)) == repr(run(torch, *args)), args


# ---------------------------------------------------------------------------------------
# nll_loss's double backward; losses save their input as torch does


def test_nll_loss_double_backward_by_hand():
    F = torchlet.nn.functional
    x = torchlet.tensor([[-0.5, -1.2, -2.0], [-0.1, -3.0, -0.7]], requires_grad=True)
    target = torchlet.tensor([2, 0])
    g, = torchlet.autograd.grad(F.nll_loss(x, target), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "NllLossBackwardBackward0"
    assert g.tolist() == [[0.0, 0.0, -0.5], [-0.5, 0.0, 0.0]]
    g2, = torchlet.autograd.grad(g.sum(), x, allow_unused=True)
    assert g2 is not None and g2.tolist() == [[0.0] * 3] * 2  # g does not depend on x
    x4 = torchlet.zeros(2, 3, 2, 2, requires_grad=True)
    g, = torchlet.autograd.grad(F.nll_loss(x4, torchlet.zeros(2, 2, 2, dtype=torchlet.int64)),
                                x4, create_graph=True)
    assert g.grad_fn.name() == "NllLoss2DBackwardBackward0"


def test_losses_refuse_modified_input_by_hand():
    F = torchlet.nn.functional
    for loss in [lambda x: F.nll_loss(x, torchlet.tensor([0, 2])),
                 lambda x: F.multi_margin_loss(x, torchlet.tensor([0, 2])),
                 lambda x: F.multi_margin_loss(x, torchlet.tensor([0, 2]), p=2),
                 lambda x: F.multilabel_margin_loss(x, torchlet.tensor([[0, 2, -1], [1, -1, 0]]))]:
        a = torchlet.tensor([[0.1, 0.5, -0.3], [0.2, -0.1, 0.4]], requires_grad=True)
        x = a.clone()
        out = loss(x)
        x.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward()


@needs_torch
def test_loss_double_backward_matches_torch():
    rng = np.random.default_rng(17)
    x0 = rng.standard_normal((4, 5))
    y0 = rng.integers(0, 5, 4)
    w0 = rng.uniform(0.5, 2, 5)
    x4 = rng.standard_normal((2, 3, 2, 2))
    y4 = rng.integers(0, 3, (2, 2, 2))

    def cases(L):
        F = L.nn.functional
        t = L.tensor
        return [
            (x0, lambda x: F.nll_loss(x, t(y0))),
            (x0, lambda x: F.nll_loss(x, t(y0), weight=t(w0))),
            (x0, lambda x: F.nll_loss(x, t(y0), ignore_index=int(y0[0]))),
            (x0, lambda x: F.nll_loss(x, t(y0), reduction="sum")),
            (x0, lambda x: F.nll_loss(x, t(y0), reduction="none").sum()),
            (x4, lambda x: F.nll_loss(x, t(y4))),
            (x0, lambda x: F.cross_entropy(x, t(y0), weight=t(w0), label_smoothing=0.1)),
            (x0, lambda x: F.mse_loss(x, t(x0[::-1].copy()))),
            (x0, lambda x: F.huber_loss(x, t(x0[::-1].copy()), delta=0.5)),
            (x0, lambda x: F.binary_cross_entropy_with_logits(x, t(np.abs(x0) / 3))),
        ]

    def run(lib, i):
        data, loss = cases(lib)[i]
        x = lib.tensor(data, requires_grad=True)
        g, = lib.autograd.grad(loss(x), x, create_graph=True)
        weights = lib.tensor(np.linspace(0.5, 1.5, g.numel()).reshape(tuple(g.shape)))
        g2, = lib.autograd.grad((g * weights).sum(), x, allow_unused=True)
        return g.requires_grad, g.detach().numpy(), g2.detach().numpy()

    for i in range(len(cases(torch))):
        got, want = run(torchlet, i), run(torch, i)
        assert got[0] == want[0]
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got[2], want[2], rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Tensor.as_subclass and the repr of subclasses


class MyT(torchlet.Tensor):
    pass


class Long_Name_Subclass(torchlet.Tensor):  # noqa: N801 - a name torch prints as is
    pass


class MyP(torchlet.nn.Parameter):
    pass


def test_as_subclass_by_hand():
    x = torchlet.tensor([1.0, 2.0])
    y = x.as_subclass(MyT)
    assert type(y) is MyT and y._base is x and y._is_view()
    y.add_(1)  # shares the values
    assert x.tolist() == [2.0, 3.0] and x._version == y._version == 1
    x.foo = 5  # attributes are not carried over
    assert not hasattr(x.as_subclass(MyT), "foo")
    a = torchlet.tensor([1.0, 2.0], requires_grad=True)
    y = a.as_subclass(MyT)
    assert not y.is_leaf and y.grad_fn.name() == "AliasBackward0"
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    assert type(x.as_subclass(torchlet.Tensor)) is torchlet.Tensor
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        x.as_subclass(int)
    with pytest.raises(TypeError, match="cls must be a type"):
        x.as_subclass(MyT())


def test_subclass_repr_by_hand():
    assert repr(torchlet.tensor([1.0, 2.0]).as_subclass(MyT)) == "MyT([1., 2.])"
    assert str(MyT([1.0, 2.0])) == "MyT([1., 2.])"
    assert repr(torchlet.arange(6.0).reshape(2, 3).as_subclass(Long_Name_Subclass)) == (
        "Long_Name_Subclass([[0., 1., 2.],\n                    [3., 4., 5.]])")
    assert repr(torchlet.zeros(0, 2).as_subclass(MyT)) == "MyT([], size=(0, 2))"
    assert repr(MyP(torchlet.tensor([1.0, 2.0]))) == (
        "Parameter containing:\nParameter(MyP([1., 2.], requires_grad=True))")
    assert repr(torchlet.nn.Parameter(torchlet.tensor([1.0]))) == (
        "Parameter containing:\ntensor([1.], requires_grad=True)")
    with pytest.raises(TypeError, match="unsupported format string"):
        f"{torchlet.tensor(3.0).as_subclass(MyT):.2f}"  # noqa: B018 - only a plain tensor
    assert f"{torchlet.tensor(3.0):.2f}" == "3.00"


@needs_torch
def test_subclass_repr_matches_torch():
    def make(lib):
        class MyT(lib.Tensor):
            pass

        class MyP(lib.nn.Parameter):
            pass

        return [
            lib.tensor([1.0, 2.0]).as_subclass(MyT),
            lib.tensor([1.0, 2.0], requires_grad=True).as_subclass(MyT),
            lib.arange(12.0).reshape(3, 4).as_subclass(MyT),
            lib.tensor(3.0).as_subclass(MyT),
            lib.tensor([1, 2]).as_subclass(MyT),
            lib.tensor([1.0], dtype=lib.float64).as_subclass(MyT),
            lib.ones(3, 1000).as_subclass(MyT),
            MyP(lib.zeros(2, 3)),
            MyP(lib.zeros(2), requires_grad=False),
            lib.tensor([1.0]).as_subclass(lib.nn.Parameter),
        ]

    for got, want in zip(make(torchlet), make(torch), strict=True):
        assert repr(got) == repr(want)


# ---------------------------------------------------------------------------------------
# a sampled differential sweep of getitem / setitem with odd index combinations


class _TensorSpec:
    def __init__(self, data, kind=None):
        self.data, self.kind = data, kind

    def __repr__(self):
        return f"tensor({np.asarray(self.data).tolist()}, {self.kind})"


def _random_item(rng, size):
    r = rng.random()
    if r < 0.15:
        v = int(rng.integers(-size - 1, size + 2))
        return [v, np.int64(v), _TensorSpec(v), np.int32(v)][int(rng.integers(0, 4))]
    if r < 0.3:
        def bound():
            return None if rng.random() < 0.3 else int(rng.integers(-size - 2, size + 3))
        step = None if rng.random() < 0.5 else int(rng.choice([1, 2, 3, -1, 0]))
        return slice(bound(), bound(), step)
    if r < 0.38:
        return None
    if r < 0.44:
        return Ellipsis
    if r < 0.48:
        return bool(rng.random() < 0.6)
    if r < 0.56:
        return [int(rng.integers(-size, max(size, 1))) for _ in range(int(rng.integers(0, 4)))]
    if r < 0.62:
        return [bool(v) for v in rng.random(size) < 0.5]
    if r < 0.72:
        kind = rng.choice(["int64", "int32", "int8", "uint8", "bool", "float64"])
        if kind in ("bool", "uint8"):
            return (rng.random(size) < 0.5).astype(kind)
        return rng.integers(-size, max(size, 1), int(rng.integers(0, 4))).astype(kind)
    if r < 0.9:
        kind = str(rng.choice(["int64", "int32", "uint8", "bool", "int8", "float32"]))
        if kind in ("bool", "uint8"):
            return _TensorSpec(rng.random(size) < 0.5, kind)
        shape = tuple(int(s) for s in rng.integers(0, 3, int(rng.integers(0, 3))))
        vals = rng.integers(-size, max(size, 1), shape) if size else np.zeros(shape, int)
        return _TensorSpec(vals, kind)
    return [0, slice(None)]


def _to_lib(item, lib):
    """The item for ``lib`` (a _TensorSpec becomes a tensor of lib)."""
    if isinstance(item, _TensorSpec):
        t = lib.tensor(np.asarray(item.data))
        return t if item.kind is None else t.to(getattr(lib, item.kind))
    if isinstance(item, slice):
        return slice(*(_to_lib(v, lib) for v in (item.start, item.stop, item.step)))
    if isinstance(item, list):
        return [_to_lib(v, lib) for v in item]
    if isinstance(item, tuple):
        return tuple(_to_lib(v, lib) for v in item)
    return item


def _sweep_case(lib, seed, index, op):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 4))))
    dtype = str(rng.choice(["float32", "float64", "int64"]))
    n = int(np.prod(shape))
    x = lib.tensor(np.arange(n).reshape(shape)).to(getattr(lib, dtype))
    if rng.random() < 0.4 and len(shape) >= 2:  # non-contiguous
        x = x.transpose(0, -1).contiguous().transpose(0, -1)
    floating = dtype != "int64"
    a = x.detach().requires_grad_(floating)
    x = a.clone() if floating else a
    index = _to_lib(index, lib)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if op == "get":
                out = x[index]
                result = [out.dtype, tuple(out.shape), out.detach().numpy().tolist()]
            else:
                x[index] = lib.tensor(-2.5, dtype=x.dtype, requires_grad=floating)
                out = x
                result = [tuple(out.shape), out.detach().numpy().tolist()]
            if floating:
                w = np.linspace(0.5, 2, out.numel()).reshape(tuple(out.shape))
                (out * lib.tensor(w, dtype=out.dtype)).sum().backward()
                result += [out.grad_fn.name().rsplit("::", 1)[-1], a.grad.numpy().tolist()]
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            result = [type(error).__name__]
    return repr(result).replace("torchlet.", "torch."), sorted(
        {w.category.__name__ for w in caught})


def _sweep_configs():
    configs = []
    for seed in range(120):
        rng = np.random.default_rng(seed + 1700)
        shape_rng = np.random.default_rng(seed)
        shape = tuple(int(s) for s in shape_rng.integers(1, 4, int(shape_rng.integers(1, 4))))
        n = int(rng.integers(1, 4))
        items = [_random_item(rng, shape[i] if i < len(shape) else 2) for i in range(n)]
        form = rng.random()
        index = items[0] if n == 1 and form < 0.5 else (list(items) if form < 0.6 else
                                                        tuple(items))
        configs.append((seed, index))
    return configs


@needs_torch
def test_sampled_indexing_sweep_matches_torch():
    for seed, index in _sweep_configs():
        for op in ("get", "set"):
            got = _sweep_case(torchlet, seed, index, op)
            want = _sweep_case(torch, seed, index, op)
            assert got == want, (seed, op, index)


def test_sampled_indexing_sweep_runs_without_torch():
    """Without torch: every case gives a result or one of torch's exception types."""
    allowed = {"IndexError", "TypeError", "ValueError", "RuntimeError"}
    for seed, index in _sweep_configs()[:40]:
        for op in ("get", "set"):
            result, _ = _sweep_case(torchlet, seed, index, op)
            assert result.startswith("[torch.") or result.startswith("[(") or \
                result.strip("[]'") in allowed, (seed, op, result)


@pytest.mark.parametrize("np_dtype", ["S3", "U2", "datetime64[s]", "V4", "O", "longdouble"])
def test_unsupported_numpy_dtype_named_by_its_type(np_dtype):
    """torch names the array's NumPy scalar type (numpy.bytes_, numpy.str_, ...), not the
    dtype's name (bytes24, str64)."""
    array = np.zeros(2, dtype=np_dtype)
    with pytest.raises(TypeError) as ours:
        torchlet.from_numpy(array)
    assert f"numpy.{array.dtype.type.__name__}. The only supported types" in str(ours.value)
    try:
        import torch
    except ImportError:
        return
    with pytest.raises(TypeError) as theirs:
        torch.from_numpy(array)
    # (torch's list of supported types also names complex and wide unsigned ones)
    assert str(ours.value).split(". ")[0] == str(theirs.value).split(". ")[0]

"""The legacy tensor types (torch.FloatTensor, ...), torch.accelerator, torch's constants,
and the overflow check of Python numbers given an integer dtype, against torch: exact
values, dtypes, shapes, isinstance answers and errors."""

from __future__ import annotations

import math

import pytest

import torchlet

torch = pytest.importorskip("torch")

TYPES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
         "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def both(fn):
    return fn(torchlet), fn(torch)


def describe(t):
    return str(t.dtype), tuple(t.shape), t.tolist() if t.numel() else []


@pytest.mark.parametrize("name", TYPES)
@pytest.mark.parametrize("args", [([1, 0, 2],), (), ((2, 3),), ([[1.5, 2.0]],)],
                         ids=["data", "empty", "size-tuple", "nested-data"])
def test_constructors(name, args):
    def fn(lib):
        if args and isinstance(args[0], tuple):
            t = getattr(lib, name)(*args[0])  # LongTensor(2, 3): sizes
            return str(t.dtype), tuple(t.shape)
        return describe(getattr(lib, name)(*args))

    ours, theirs = both(fn)
    assert ours == theirs


@pytest.mark.parametrize("name", TYPES)
def test_isinstance_type_and_repr(name):
    def fn(lib):
        kind = getattr(lib, name)
        return (isinstance(lib.ones(2), kind), isinstance(lib.ones(2, dtype=lib.int64), kind),
                isinstance(1, kind), str(lib.ones(2).type(kind).dtype), repr(kind),
                str(kind.dtype), kind.is_cuda, issubclass(kind, lib.Tensor))

    assert both(fn)[0] == both(fn)[1]


def test_size_object_and_tensor_argument():
    def fn(lib):
        a = lib.FloatTensor(lib.Size([2, 4]))
        b = lib.FloatTensor(lib.tensor([1.0, 2.0]))
        return tuple(a.shape), describe(b)

    assert both(fn)[0] == both(fn)[1]


def test_wrong_dtype_tensor_argument_raises_type_error():
    for lib in (torchlet, torch):
        with pytest.raises(TypeError, match="expected TensorOptions"):
            lib.FloatTensor(lib.tensor([1, 2]))


def test_constants():
    for name in ("pi", "e", "inf"):
        assert getattr(torchlet, name) == getattr(torch, name)
    assert math.isnan(torchlet.nan) and math.isnan(torch.nan)
    assert torchlet.newaxis is torch.newaxis is None
    x = torchlet.arange(3.0)
    assert tuple(x[:, torchlet.newaxis].shape) == (3, 1)


def test_accelerator():
    for lib in (torchlet, torch):
        acc = lib.accelerator
        assert (acc.is_available(), acc.current_accelerator(), acc.device_count()) == (
            False, None, 0)
        for call in (acc.current_device_index, acc.synchronize, acc.current_stream,
                     lambda acc=acc: acc.set_device_index(0)):
            with pytest.raises(RuntimeError,
                               match="Cannot access accelerator device when none is available"):
                call()


OVERFLOW_VALUES = [-2, -255, -256, 256, 255, -2.0, -0.5, -1.0, 255.9, 256.0, 1e20,
                   float("inf"), float("nan"), True, -129, 128, 127.5, -128.5, 2**62,
                   [1, -0.5], [[1, 2], [3, 400]], [True, 2.5]]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64", "float32"])
@pytest.mark.parametrize("value", OVERFLOW_VALUES, ids=repr)
@pytest.mark.parametrize("make", ["tensor", "as_tensor", "legacy"])
def test_python_numbers_that_overflow_an_integer_dtype_raise(make, value, dtype):
    """torch.tensor([-2.0], dtype=torch.uint8) is an error, not 254 (-2 as an int wraps)."""
    data = value if isinstance(value, list) else [value]

    def fn(lib):
        kind = getattr(lib, dtype)
        try:
            if make == "legacy":
                legacy = {"uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
                          "int32": "IntTensor", "int64": "LongTensor", "float32": "FloatTensor"}
                return getattr(lib, legacy[dtype])(data).tolist()
            return getattr(lib, make)(data, dtype=kind).tolist()
        except RuntimeError as error:
            return str(error)

    ours, theirs = both(fn)
    assert str(ours) == str(theirs)


def test_set_default_tensor_type_sets_the_default_dtype():
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's deprecation, given once
            torchlet.set_default_tensor_type(torchlet.DoubleTensor)
            assert torchlet.tensor([1.0]).dtype is torchlet.float64
            torchlet.set_default_tensor_type("torch.FloatTensor")
            assert torchlet.randn(2).dtype is torchlet.float32
            with pytest.raises(TypeError, match="Torch not compiled with CUDA enabled"):
                torchlet.set_default_tensor_type("torch.cuda.FloatTensor")
            with pytest.raises(TypeError, match="only floating-point types"):
                torchlet.set_default_tensor_type(torchlet.LongTensor)
    finally:
        torchlet.set_default_dtype(torchlet.float32)

"""Creation, dtypes, out= and broadcasting errors, as torch 2.13 (sweep group F4).

Each case states torch's answer by hand (so the test means something without torch) and,
where torch is importable, runs the same expression on torch too.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # pragma: no cover - torch is optional
    torch = None


def _outcome(fn, lib):
    """('OK', repr) or (exception type name, message) of ``fn(lib)``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return "OK", repr(fn(lib))
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error).__name__, str(error)


def _check(fn, want):
    """``fn(torchlet)`` gives ``want`` (exception name, message start) or ('OK', repr);
    torch gives the same when it is importable."""
    got = _outcome(fn, torchlet)
    assert got[0] == want[0] and got[1].startswith(want[1]), got
    if torch is not None:
        assert _outcome(fn, torch) == got


# ---------------------------------------------------------------------------------------
# 1. torch.tensor of tensors


def test_list_of_one_element_tensors_is_a_list_of_numbers():
    t = torchlet.tensor([torchlet.ones(1), torchlet.ones(1, 1) * 2])
    assert t.shape == (2,) and t.tolist() == [1.0, 2.0]
    t = torchlet.tensor([torchlet.tensor(1, dtype=torchlet.int32)] * 2)
    assert t.dtype == torchlet.int32
    _check(lambda lib: lib.tensor([lib.ones(1), lib.ones(1)]), ("OK", "tensor([1., 1.])"))
    _check(lambda lib: lib.tensor([[lib.tensor(1.)], [lib.tensor(2.)]]),
           ("OK", "tensor([[1.],\n        [2.]])"))


@pytest.mark.parametrize("expr", [
    lambda lib: lib.tensor([lib.ones(2), lib.ones(2)]),
    lambda lib: lib.tensor([lib.ones(0)]),
    lambda lib: lib.tensor([1, lib.ones(2)]),
])
def test_list_of_multi_element_tensors_raises(expr):
    _check(expr, ("ValueError", "only one element tensors can be converted to Python scalars"))


def test_copy_construct_warning():
    want = ("To copy construct from a tensor, it is recommended to use "
            "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
            ".requires_grad_(True), rather than torch.tensor(sourceTensor).")
    with pytest.warns(UserWarning) as record:
        t = torchlet.tensor(torchlet.ones(2, requires_grad=True))
    assert str(record[0].message) == want and record[0].filename == __file__
    assert not t.requires_grad
    if torch is not None:
        with pytest.warns(UserWarning) as record:
            torch.tensor(torch.ones(2))
        assert str(record[0].message) == want


def test_list_of_arrays_warns_and_stacks():
    with pytest.warns(UserWarning, match="Creating a tensor from a list of numpy.ndarrays"):
        t = torchlet.tensor([np.ones(2), np.zeros(2)])
    assert t.shape == (2, 2) and t.dtype == torchlet.float64


# ---------------------------------------------------------------------------------------
# 2. out= of a dtype the result cannot be cast to


@pytest.mark.parametrize("expr, want", [
    (lambda lib: lib.add(lib.tensor([1.5, 2.5]), 1, out=lib.zeros(2, dtype=lib.long)),
     ("RuntimeError", "result type Float can't be cast to the desired output type Long")),
    (lambda lib: lib.add(lib.tensor([1, 2]), 1, out=lib.zeros(2, dtype=lib.bool)),
     ("RuntimeError", "result type Long can't be cast to the desired output type Bool")),
    (lambda lib: lib.exp(lib.tensor([1, 2]), out=lib.zeros(2, dtype=lib.long)),
     ("RuntimeError", "result type Float can't be cast to the desired output type Long")),
    (lambda lib: lib.maximum(lib.ones(2), lib.ones(2), out=lib.zeros(2, dtype=lib.int32)),
     ("RuntimeError", "result type Float can't be cast to the desired output type Int")),
    (lambda lib: lib.clamp(lib.ones(2), 0, 1, out=lib.zeros(2, dtype=lib.float64)),
     ("RuntimeError", "Found dtype Double but expected Float")),
    (lambda lib: lib.clamp_max(lib.ones(2), 1, out=lib.zeros(2, dtype=lib.long)),
     ("RuntimeError", "Found dtype Long but expected Float")),
    (lambda lib: lib.clamp(lib.ones(2), lib.zeros(2), lib.ones(2),
                           out=lib.zeros(2, dtype=lib.long)),
     ("RuntimeError", "result type Float can't be cast to the desired output type Long")),
    (lambda lib: lib.where(lib.ones(2) > 0, lib.ones(2), lib.ones(2),
                           out=lib.zeros(2, dtype=lib.long)),
     ("RuntimeError", "Expected out type to be Float but got Long")),
    (lambda lib: lib.where(lib.ones(2) > 0, lib.ones(2), 0.0, out=lib.zeros(2)),
     ("TypeError", "where(): argument 'other' (position 3) must be Tensor, not float")),
])
def test_out_dtype_refused_as_torch(expr, want):
    _check(expr, want)


def test_out_dtype_cast_where_torch_casts():
    out = torchlet.zeros(2, dtype=torchlet.float64)
    torchlet.add(torchlet.tensor([1, 2]), 1, out=out)  # int64 -> float64: castable
    assert out.tolist() == [2.0, 3.0] and out.dtype == torchlet.float64
    out = torchlet.zeros(2, dtype=torchlet.long)
    torchlet.eq(torchlet.ones(2), torchlet.ones(2), out=out)  # bool -> long
    assert out.tolist() == [1, 1]
    out = torchlet.zeros(2, dtype=torchlet.float64)
    torchlet.clamp(torchlet.tensor([-1.0, 2.0]), torchlet.zeros(2), torchlet.ones(2), out=out)
    assert out.tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------------------------
# 3. copy_


def test_copy_from_a_number():
    t = torchlet.zeros(3)
    assert t.copy_(1.5) is t and t.tolist() == [1.5] * 3
    assert torchlet.zeros(2, dtype=torchlet.long).copy_(2.7).tolist() == [2, 2]
    x = torchlet.zeros(3, requires_grad=True).clone()
    x.copy_(5.0)
    assert x.grad_fn.name() == "torch::autograd::CopyBackwards"  # as torch names it
    _check(lambda lib: lib.zeros(2).copy_(True), ("OK", "tensor([1., 1.])"))
    _check(lambda lib: lib.zeros(2).copy_(np.ones(2)),
           ("TypeError", "copy_(): argument 'other' (position 1) must be Tensor, not "
                         "numpy.ndarray"))


@pytest.mark.parametrize("expr, want", [
    (lambda lib: lib.zeros(3, 4).copy_(lib.ones(2, 4)),
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
     "dimension 0"),
    (lambda lib: lib.zeros(3, 4).copy_(lib.ones(3, 5)),
     "The size of tensor a (4) must match the size of tensor b (5) at non-singleton "
     "dimension 1"),
    (lambda lib: lib.zeros(3, 4).copy_(lib.ones(5, 3, 1)),
     "output with shape [3, 4] doesn't match the broadcast shape [5, 3, 4]"),
])
def test_copy_broadcast_errors(expr, want):
    _check(expr, ("RuntimeError", want))


# ---------------------------------------------------------------------------------------
# 4. finfo and iinfo


def test_finfo_values_and_repr():
    f16 = torchlet.finfo(torchlet.float16)
    assert f16.resolution == 0.001 and f16.dtype == "float16"
    assert repr(f16) == ("finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, "
                         "smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)")
    assert torchlet.finfo(torchlet.float32).resolution == 1e-06
    assert torchlet.finfo(torchlet.float64).resolution == 1e-15
    assert torchlet.finfo(float).bits == 64
    assert torchlet.finfo(torchlet.float32) == torchlet.finfo(torchlet.float32)
    assert torchlet.finfo(torchlet.float32) != torchlet.finfo(torchlet.float64)
    assert torchlet.iinfo(torchlet.int16).dtype == "int16"
    assert torchlet.iinfo(torchlet.int32) == torchlet.iinfo(torchlet.int32)
    with pytest.raises(TypeError, match="unhashable"):
        hash(torchlet.finfo())
    if torch is not None:
        for name in ("float16", "float32", "float64"):
            mine, theirs = (lib.finfo(getattr(lib, name)) for lib in (torchlet, torch))
            assert repr(mine) == repr(theirs)
            assert (mine.resolution, mine.dtype) == (theirs.resolution, theirs.dtype)
        for name in ("uint8", "int8", "int16", "int32", "int64"):
            mine, theirs = (lib.iinfo(getattr(lib, name)) for lib in (torchlet, torch))
            assert repr(mine) == repr(theirs) and mine.dtype == theirs.dtype


@pytest.mark.parametrize("expr, want", [
    (lambda lib: lib.iinfo(lib.bool), "torch.bool is not supported by torch.iinfo"),
    (lambda lib: lib.finfo(lib.int32), "torch.finfo() requires a floating point input type. "
                                       "Use torch.iinfo to handle 'torch.finfo'"),
    (lambda lib: lib.iinfo(lib.float32), "torch.iinfo() requires an integer input type. "
                                         "Use torch.finfo to handle 'torch.iinfo'"),
    (lambda lib: lib.finfo("float32"),
     "finfo(): argument 'type' (position 1) must be torch.dtype, not str"),
])
def test_info_errors(expr, want):
    _check(expr, ("TypeError", want))


# ---------------------------------------------------------------------------------------
# 5. memory formats and the *_like functions


def test_memory_format_objects():
    names = ("preserve_format", "contiguous_format", "channels_last", "channels_last_3d")
    for name in names:
        fmt = getattr(torchlet, name)
        assert repr(fmt) == str(fmt) == f"torch.{name}"
        assert isinstance(fmt, torchlet.memory_format)
        assert copy.deepcopy(fmt) is fmt and pickle.loads(pickle.dumps(fmt)) is fmt
        if torch is not None:
            assert repr(getattr(torch, name)) == repr(fmt)


_LIKE = {
    "empty_like": lambda lib, x, **kw: lib.empty_like(x, **kw),
    "zeros_like": lambda lib, x, **kw: lib.zeros_like(x, **kw),
    "ones_like": lambda lib, x, **kw: lib.ones_like(x, **kw),
    "full_like": lambda lib, x, **kw: lib.full_like(x, 2.0, **kw),
}


@pytest.mark.parametrize("name", list(_LIKE))
def test_like_keeps_layout(name):
    make = _LIKE[name]
    x = torchlet.arange(12.0).reshape(4, 3).t()
    assert make(torchlet, x).stride() == (1, 3)  # preserve_format: transposed too
    assert make(torchlet, x, memory_format=torchlet.preserve_format).stride() == (1, 3)
    assert make(torchlet, x, memory_format=torchlet.contiguous_format).stride() == (4, 1)
    y = torchlet.zeros(2, 3, 4, 5)
    assert make(torchlet, y, memory_format=torchlet.channels_last).stride() == (60, 1, 15, 3)
    if name != "empty_like":
        value = 2.0 if name == "full_like" else (1.0 if name == "ones_like" else 0.0)
        assert make(torchlet, x).tolist() == [[value] * 4] * 3
    if torch is not None:
        for shape_fn in (lambda lib: lib.arange(12.0).reshape(4, 3).t(),
                         lambda lib: lib.zeros(2, 3, 4, 5).permute(0, 2, 3, 1)[:, ::2],
                         lambda lib: lib.zeros(2, 3, 4, 5)[:, :, ::2],
                         lambda lib: lib.zeros(3, 4).expand(2, 3, 4)):
            strides = [make(lib, shape_fn(lib)).stride() for lib in (torchlet, torch)]
            assert strides[0] == strides[1]


def test_like_errors():
    _check(lambda lib: lib.empty_like(lib.zeros(3), memory_format=lib.channels_last),
           ("RuntimeError", "required rank 4 tensor to use channels_last format"))
    _check(lambda lib: lib.zeros_like([1]),
           ("TypeError", "zeros_like(): argument 'input' (position 1) must be Tensor, "
                         "not list"))
    _check(lambda lib: lib.empty_like(lib.zeros(3), memory_format="x"),
           ("TypeError", "empty_like(): argument 'memory_format' must be "
                         "torch.memory_format, not str"))


# ---------------------------------------------------------------------------------------
# 6. broadcast failures speak torch's RuntimeError


def _size_error(a, b, dim):
    return ("RuntimeError", f"The size of tensor a ({a}) must match the size of tensor b "
                            f"({b}) at non-singleton dimension {dim}")


@pytest.mark.parametrize("expr, want", [
    (lambda lib: lib.isclose(lib.ones(3), lib.ones(4)), _size_error(3, 4, 0)),
    (lambda lib: lib.allclose(lib.ones(2, 3), lib.ones(3, 2)), _size_error(3, 2, 1)),
    (lambda lib: lib.logical_and(lib.ones(3), lib.ones(4)), _size_error(3, 4, 0)),
    (lambda lib: lib.logical_or(lib.ones(3), lib.ones(4)), _size_error(3, 4, 0)),
    (lambda lib: lib.logical_xor(lib.ones(2, 3), lib.ones(3, 2)), _size_error(3, 2, 1)),
    (lambda lib: lib.where(lib.ones(3) > 0, lib.ones(4), lib.zeros(4)), _size_error(3, 4, 0)),
    (lambda lib: lib.where(lib.ones(3) > 0, lib.ones(4), 0.0), _size_error(3, 4, 0)),
    (lambda lib: lib.where(lib.ones(2, 3) > 0, lib.ones(4, 1), lib.ones(5)),
     _size_error(2, 4, 0)),
    (lambda lib: lib.broadcast_tensors(lib.ones(2, 3), lib.ones(3, 2)), _size_error(3, 2, 1)),
    (lambda lib: lib.broadcast_tensors(lib.ones(2, 1), lib.ones(3), lib.ones(4, 1, 1),
                                       lib.ones(5)), _size_error(3, 5, 2)),
    (lambda lib: lib.nn.functional.mse_loss(lib.ones(2, 3), lib.ones(3, 2)),
     _size_error(3, 2, 1)),
])
def test_broadcast_errors(expr, want):
    _check(expr, want)


def test_where_broadcasts_the_condition():
    out = torchlet.where(torchlet.ones(3, 1) > 0, torchlet.ones(4), torchlet.zeros(2, 1, 1))
    assert out.shape == (2, 3, 4) and out.sum().item() == 24.0


# ---------------------------------------------------------------------------------------
# 7. tensor-creation errors


@pytest.mark.parametrize("expr, want", [
    (lambda lib: lib.tensor([[1, 2], 3]), ("TypeError", "not a sequence")),
    (lambda lib: lib.tensor([1, [2, 3]]),
     ("TypeError", "'list' object cannot be interpreted as an integer")),
    (lambda lib: lib.tensor([1.5, [2, 3]]), ("TypeError", "must be real number, not list")),
    (lambda lib: lib.tensor([[1], [2, 3]]),
     ("ValueError", "expected sequence of length 1 at dim 1 (got 2)")),
    (lambda lib: lib.tensor([[1, 2], [3], 4]),
     ("ValueError", "expected sequence of length 2 at dim 1 (got 1)")),
    (lambda lib: lib.tensor([[], [1]]), ("OK", "tensor([], size=(2, 0))")),
    (lambda lib: lib.tensor(["a", "b"]), ("ValueError", "too many dimensions 'str'")),
    (lambda lib: lib.tensor("abc"), ("TypeError", "new(): invalid data type 'str'")),
    (lambda lib: lib.tensor([1, "a"]), ("TypeError", "new(): invalid data type 'str'")),
    (lambda lib: lib.tensor(None), ("RuntimeError", "Could not infer dtype of NoneType")),
    (lambda lib: lib.tensor([1, None]), ("RuntimeError", "Could not infer dtype of NoneType")),
    (lambda lib: lib.tensor({1: 2}), ("RuntimeError", "Could not infer dtype of dict")),
    (lambda lib: lib.tensor({1, 2}), ("RuntimeError", "Could not infer dtype of set")),
    (lambda lib: lib.tensor([2**64]), ("ValueError", "Overflow when unpacking long long")),
    (lambda lib: lib.tensor([2**63]), ("ValueError", "Overflow when unpacking long long")),
    (lambda lib: lib.tensor([-2**63 - 1]), ("ValueError", "Overflow when unpacking long long")),
    (lambda lib: lib.tensor([2**63 - 1]), ("OK", "tensor([9223372036854775807])")),
    (lambda lib: lib.tensor([2**70, 1.5]), ("OK", "tensor([1.1806e+21, 1.5000e+00])")),
    (lambda lib: lib.tensor([300], dtype=lib.uint8),
     ("RuntimeError", "value cannot be converted to type uint8 without overflow")),
    (lambda lib: lib.tensor(np.arange(3)[::-1]),
     ("ValueError", "At least one stride in the given numpy array is negative")),
    (lambda lib: lib.as_tensor(np.arange(3)[::-1]),
     ("ValueError", "At least one stride in the given numpy array is negative")),
    (lambda lib: lib.tensor([1], dtype="float32"),
     ("TypeError", "tensor(): argument 'dtype' must be torch.dtype, not str")),
    (lambda lib: lib.tensor([1], dtype=np.float32),
     ("TypeError", "tensor(): argument 'dtype' must be torch.dtype, not type")),
    (lambda lib: lib.zeros(2, dtype=np.float32),
     ("TypeError", "zeros(): argument 'dtype' must be torch.dtype, not type")),
    (lambda lib: lib.zeros_like(lib.ones(2), dtype=np.float64),
     ("TypeError", "zeros_like(): argument 'dtype' must be torch.dtype, not type")),
    (lambda lib: lib.ones(2).to(np.float64),
     ("TypeError", "to() received an invalid combination of arguments - got (type), but "
                   "expected one of:")),
    (lambda lib: lib.ones(2).to(dtype=np.float64),
     ("TypeError", "to() received an invalid combination of arguments - got (dtype=type, ), "
                   "but expected one of:")),
    (lambda lib: lib.zeros(-1), ("RuntimeError", "zeros: Dimension size must be non-negative.")),
    (lambda lib: lib.ones(2, -1),
     ("RuntimeError", "Trying to create tensor with negative dimension -1: [2, -1]")),
    (lambda lib: lib.zeros(2.5),
     ("TypeError", "zeros(): argument 'size' (position 1) must be tuple of ints, not float")),
    (lambda lib: lib.ones("3"),
     ("TypeError", "ones(): argument 'size' (position 1) must be tuple of ints, not str")),
    (lambda lib: lib.zeros([2, 2.0]),
     ("TypeError", "zeros(): argument 'size' failed to unpack the object at pos 2 with error "
                   "\"type must be tuple of ints,but got float\"")),
    (lambda lib: lib.arange(0, 10, -1),
     ("RuntimeError", "upper bound and lower bound inconsistent with step sign")),
])
def test_creation_errors(expr, want):
    _check(expr, want)


def test_python_types_still_accepted_as_dtype():
    assert torchlet.zeros(2, dtype=float).dtype == torchlet.float64
    assert torchlet.tensor([1], dtype=int).dtype == torchlet.int64
    assert torchlet.ones(2).to(float).dtype == torchlet.float64
    assert torchlet.ones(2).to(dtype=bool).dtype == torchlet.bool

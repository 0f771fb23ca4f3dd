"""Regression tests for gaps found by running more PyTorch tutorial scripts on torchlet
(tests/tutorials/): each compares with torch live when it is installed, and with a
hand-derived expectation otherwise."""

import numpy as np
import pytest

import torchlet

# torch.add(5, 5) and friends: both operands numbers (the type-promotion docs' example).
# (function name, a, b, kwargs, expected value, expected dtype name)
TWO_NUMBERS = [
    ("add", 5, 5, {}, 10, "int64"),
    ("add", 5, 2.5, {}, 7.5, "float32"),
    ("add", True, 3, {}, 4, "int64"),
    ("add", True, True, {}, True, "bool"),
    ("add", 5, 5, {"alpha": 2}, 15, "int64"),
    ("sub", 5, 2.5, {"alpha": 2}, 0.0, "float32"),
    ("sub", 7, -2, {}, 9, "int64"),
    ("mul", True, False, {}, False, "bool"),
    ("mul", 2.5, True, {}, 2.5, "float32"),
    ("mul", np.int32(3), 2, {}, 6, "int64"),  # a NumPy scalar is a number, as torch's
    ("mul", np.float64(1.5), 2, {}, 3.0, "float32"),
    ("div", 5, 5, {}, 1.0, "float32"),
    ("div", True, 4, {}, 0.25, "float32"),
    ("div", 7, -2, {"rounding_mode": "floor"}, -4, "int64"),
    ("div", 7, -2, {"rounding_mode": "trunc"}, -3, "int64"),
    ("floor_divide", 7, 2, {}, 3, "int64"),
    ("floor_divide", 7.5, 2, {}, 3.0, "float32"),
    ("true_divide", 1, 8, {}, 0.125, "float32"),
    ("subtract", 1.0, 4, {}, -3.0, "float32"),
    ("multiply", 3, 4, {}, 12, "int64"),
]


@pytest.mark.parametrize(("name", "a", "b", "kwargs", "value", "dtype"), TWO_NUMBERS)
def test_two_numbers(name, a, b, kwargs, value, dtype):
    out = getattr(torchlet, name)(a, b, **kwargs)
    assert isinstance(out, torchlet.Tensor)
    assert out.shape == () and not out.requires_grad
    assert str(out.dtype) == f"torch.{dtype}"
    assert out.item() == value


@pytest.mark.parametrize(("name", "a", "b", "kwargs", "value", "dtype"), TWO_NUMBERS)
def test_two_numbers_as_torch(name, a, b, kwargs, value, dtype):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch, name)(a, b, **kwargs)
    ours = getattr(torchlet, name)(a, b, **kwargs)
    assert str(ours.dtype) == str(theirs.dtype)
    assert ours.item() == theirs.item()


def test_two_numbers_follow_default_dtype():
    previous = torchlet.get_default_dtype()
    torchlet.set_default_dtype(torchlet.float64)
    try:
        assert torchlet.add(5, 2.5).dtype == torchlet.float64
        assert torchlet.div(1, 3).dtype == torchlet.float64
        assert torchlet.add(5, 2).dtype == torchlet.int64
    finally:
        torchlet.set_default_dtype(previous)


def test_two_numbers_out():
    out = torchlet.empty(0)
    result = torchlet.mul(2, 3, out=out)
    assert result is out and out.dtype == torchlet.float32 and out.item() == 6.0


@pytest.mark.parametrize(("call", "error"), [
    (lambda: torchlet.sub(True, 3), RuntimeError),    # torch's bool subtraction error
    (lambda: torchlet.sub(True, True), RuntimeError),
    (lambda: torchlet.div(True, True, rounding_mode="floor"), NotImplementedError),
    (lambda: torchlet.div(0, 0, rounding_mode="floor"), RuntimeError),  # ZeroDivisionError
    (lambda: torchlet.add(5, "a"), TypeError),
    (lambda: torchlet.add(None, 1), TypeError),
    (lambda: torchlet.mul(1, [2]), TypeError),
    (lambda: torchlet.maximum(1, 2), TypeError),      # only the arithmetic ops take two
    (lambda: torchlet.atan2(1.0, 2.0), TypeError),    # numbers, as in torch
])
def test_two_numbers_errors(call, error):
    with pytest.raises(error):
        call()


def test_two_numbers_sampled():
    """Random pairs of Python numbers through the six ops, against torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    kinds = [lambda: bool(rng.integers(2)), lambda: int(rng.integers(-50, 50)),
             lambda: float(rng.normal() * 10)]
    names = ["add", "sub", "mul", "div", "floor_divide", "true_divide"]
    for _ in range(300):
        name = names[rng.integers(len(names))]
        a, b = kinds[rng.integers(3)](), kinds[rng.integers(3)]()
        kwargs = {}
        if name in ("add", "sub") and rng.integers(3) == 0:
            kwargs["alpha"] = int(rng.integers(-3, 4))
        if name == "div" and rng.integers(2) == 0:
            kwargs["rounding_mode"] = ["floor", "trunc"][rng.integers(2)]
        try:
            theirs = getattr(torch, name)(a, b, **kwargs)
        except Exception as e:  # noqa: BLE001 - any of torch's errors, matched by type
            with pytest.raises(type(e)):
                getattr(torchlet, name)(a, b, **kwargs)
            continue
        ours = getattr(torchlet, name)(a, b, **kwargs)
        assert str(ours.dtype) == str(theirs.dtype), (name, a, b, kwargs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=str((name, a, b)))


def test_true_divide_takes_no_rounding_mode():
    """torch.true_divide is div without its rounding_mode (a TypeError, as torch)."""
    a = torchlet.tensor([3, 4])
    assert torchlet.true_divide(a, 2).tolist() == [1.5, 2.0]
    assert a.true_divide(2).tolist() == [1.5, 2.0]
    for call in (lambda: torchlet.true_divide(a, 2, rounding_mode="floor"),
                 lambda: a.true_divide(2, rounding_mode="floor"),
                 lambda: a.float().true_divide_(2, rounding_mode="floor")):
        with pytest.raises(TypeError, match="rounding_mode"):
            call()

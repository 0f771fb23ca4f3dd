"""Binding errors of the functions torch binds in C++ are worded by its argument parser
(python_arg_parser.cpp), not by Python: ``softmax() missing 1 required positional
arguments: "dim"`` (sic: plural after 1), the bare name rather than ``Tensor.softmax()``.
torchlet's ``@numpy_names`` wrapper rewords Python's binding errors; an error raised
inside the function keeps its own words. Each case is compared with live torch: the
exception type and the whole message."""

import pytest

import torchlet
from torchlet._numpy_names import numpy_names

torch = pytest.importorskip("torch")

CASES = {
    "Tensor.softmax()": lambda L: L.ones(2, 3).softmax(),
    "Tensor.log_softmax()": lambda L: L.ones(2, 3).log_softmax(),
    "Tensor.unsqueeze()": lambda L: L.ones(2).unsqueeze(),
    "torch.cat()": lambda L: L.cat(),
    "torch.softmax(x)": lambda L: L.softmax(L.ones(3)),
    "torch.log_softmax(x)": lambda L: L.log_softmax(L.ones(3)),
    "Tensor.unsqueeze(0, foo=0)": lambda L: L.ones(2).unsqueeze(0, foo=0),
    "torch.arange(5, step=2)": lambda L: L.arange(5, step=2),
    "torch.arange(end=5, step=2)": lambda L: L.arange(end=5, step=2),
    "torch.arange()": lambda L: L.arange(),
}


def _outcome(call, lib):
    try:
        result = call(lib)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        return type(error).__name__, str(error)
    return "returned", repr(result)


@pytest.mark.parametrize("name", list(CASES))
def test_binding_errors_match_torch(name):
    expected = _outcome(CASES[name], torch)
    assert expected[0] == "TypeError"  # (the case is an error in torch)
    assert _outcome(CASES[name], torchlet) == expected


def test_torch_softmax_takes_dim_dtype_and_axis():
    for lib in (torch, torchlet):
        x = lib.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
        got = [lib.softmax(x, 1), lib.softmax(x, axis=1), lib.log_softmax(x, 0, lib.float64),
               lib.softmax(x, dim=0, dtype=lib.float64)]
        if lib is torch:
            want = [(str(t.dtype), t.numpy()) for t in got]
        else:  # softmax's exp and sum: within float rounding of torch
            for a, (dtype, values) in zip(got, want):
                assert str(a.dtype) == dtype
                assert abs(a.numpy() - values).max() < 1e-6


def test_an_error_raised_inside_keeps_its_words():
    @numpy_names
    def f(input, dim):  # noqa: A002
        raise TypeError("f() missing 1 required positional argument: 'inner'")

    with pytest.raises(TypeError, match=r"^f\(\) missing 1 required positional argument: 'inner'$"):
        f(1, 2)
    with pytest.raises(TypeError, match=r'^f\(\) missing 1 required positional arguments: "dim"$'):
        f(1)
    with pytest.raises(TypeError, match=r'^f\(\) missing 2 required positional argument: '
                                        r'"input", "dim"$'):
        f()


@pytest.mark.parametrize("call", [
    lambda L: L.arange(end=3), lambda L: L.arange(end=3.5, dtype=L.float64),
    lambda L: L.arange(start=1, end=3), lambda L: L.arange(1, 7, step=2),
    lambda L: L.arange(5), lambda L: L.arange(1, 7, 2),
])
def test_arange_overloads_by_keyword(call):
    """torch.arange(end=n) is its first overload; bit-exact values (integer or
    exactly representable)."""
    assert repr(call(torchlet)) == repr(call(torch))


def test_contains_compares_element_first():
    """``a in t`` is ``(a == t).any()``: a size mismatch names a's size first."""
    def outcome(lib):
        try:
            return lib.tensor([1, 2]) in lib.tensor([1, 2, 3])
        except RuntimeError as error:
            return str(error)

    assert outcome(torchlet) == outcome(torch)
    assert torchlet.tensor([2]) in torchlet.tensor([1, 2, 3])
    assert 4 not in torchlet.tensor([1, 2, 3])


def test_one_hot_takes_input_by_name():
    for lib in (torch, torchlet):
        out = lib.nn.functional.one_hot(input=lib.tensor([1, 0]), num_classes=3)
        assert out.tolist() == [[0, 1, 0], [1, 0, 0]]
    assert (_outcome(lambda L: L.nn.functional.one_hot([1]), torchlet)
            == _outcome(lambda L: L.nn.functional.one_hot([1]), torch))

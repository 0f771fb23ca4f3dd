"""Creation and sampling functions' arguments, live against torch 2.13:

* ``out=``: the values are written into ``out`` (resized), which is returned; they are
  computed in ``out``'s dtype (random draws too, as a call with that dtype draws them);
  another ``dtype`` is torch's error. Compared bit for bit (seeded draws included).
* the shape by position or as ``size=`` (and ``shape=``/``dims=``/``repeats=`` for the
  Tensor methods that take sizes); nothing at all is a TypeError, as in torch.
* ``arange`` into integer dtypes from non-integer start/end/step (torch's int64 kernel
  truncates them first; the narrower ones count in double and step by the truncated
  step), bit for bit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")


def _out_cases(lib):
    f32, f64, i64 = lib.float32, lib.float64, lib.int64

    def seeded(fn):
        def run(out):
            lib.manual_seed(0)
            return fn(out)
        return run

    return {
        "zeros": ((2, 3), f32, lambda o: lib.zeros(2, 3, out=o)),
        "zeros_resize": (0, f32, lambda o: lib.zeros(2, 3, out=o)),
        "zeros_size_tuple": ((2, 3), f32, lambda o: lib.zeros((2, 3), out=o)),
        "zeros_int_out": (3, i64, lambda o: lib.zeros(3, out=o)),
        "zeros_dtype_mismatch": (3, f32, lambda o: lib.zeros(3, dtype=f64, out=o)),
        "ones": (4, f64, lambda o: lib.ones(4, out=o)),
        "ones_dtype_same": (4, f64, lambda o: lib.ones(4, dtype=f64, out=o)),
        "empty_resize": (0, f64, lambda o: lib.empty(2, 2, out=o).shape),
        "arange": (5, f32, lambda o: lib.arange(5, out=o)),
        "arange_int": (0, i64, lambda o: lib.arange(1, 7, 2, out=o)),
        "arange_float_step_int_out": (6, i64, lambda o: lib.arange(0, 3, 0.5, out=o)),
        "arange_float_out": (3, f64, lambda o: lib.arange(0.5, 2, 0.5, out=o)),
        "rand": (5, f32, seeded(lambda o: lib.rand(5, out=o))),
        "rand_f64": (5, f64, seeded(lambda o: lib.rand(5, out=o))),
        "rand_dtype_mismatch": (5, f64, seeded(lambda o: lib.rand(5, dtype=f32, out=o))),
        "randn": ((2, 9), f32, seeded(lambda o: lib.randn(2, 9, out=o))),
        "randn_f64_resize": (0, f64, seeded(lambda o: lib.randn(20, out=o))),
        "randint": (6, i64, seeded(lambda o: lib.randint(0, 10, (6,), out=o))),
        "randint_float_out": (6, f32, seeded(lambda o: lib.randint(10, (6,), out=o))),
        "randperm": (7, i64, seeded(lambda o: lib.randperm(7, out=o))),
        "normal_numbers": (5, f32, seeded(lambda o: lib.normal(1.0, 2.0, (5,), out=o))),
        "normal_numbers_f64": (5, f64, seeded(lambda o: lib.normal(1.0, 2.0, (5,), out=o))),
        "normal_tensor": (5, f32, seeded(lambda o: lib.normal(lib.zeros(5), 2.0, out=o))),
        "bernoulli": (6, f32, seeded(lambda o: lib.bernoulli(lib.full((6,), 0.5), out=o))),
        "multinomial": (3, i64, seeded(lambda o: lib.multinomial(lib.ones(5), 3, out=o))),
        "out_requires_grad": (3, f32, lambda o: lib.zeros(3, out=o.requires_grad_())),
    }


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (torch warns when it resizes a non-empty out)
            return ("ok", fn())
    except Exception as error:  # noqa: BLE001 - the type and message are compared
        return ("error", type(error).__name__, str(error).split("\n")[0])


@pytest.mark.parametrize("name", list(_out_cases(torch)))
def test_out_is_written_and_returned(name):
    results = []
    for lib in (torch, torchlet):
        shape, dtype, call = _out_cases(lib)[name]
        out = lib.empty(shape, dtype=dtype)
        outcome = _outcome(lambda out=out, call=call: call(out))
        if outcome[0] == "ok":
            returned = outcome[1]
            outcome = ("ok", returned is out or not isinstance(returned, lib.Tensor),
                       str(out.dtype), tuple(out.shape))
            if name != "empty_resize":
                outcome += (out.detach().numpy().tobytes(),)
        results.append(outcome)
    assert results[1] == results[0]


CALLS = {
    "zeros()": lambda lib: lib.zeros(),
    "zeros(size=)": lambda lib: lib.zeros(size=(2, 3)),
    "ones(size=[])": lambda lib: lib.ones(size=[4]),
    "empty(size=)": lambda lib: lib.empty(size=(2,)).shape,
    "rand(size=)": lambda lib: (lib.manual_seed(0), lib.rand(size=(3,)))[1],
    "randn(size=)": lambda lib: (lib.manual_seed(0), lib.randn(size=(2, 2)))[1],
    "zeros(2, size=)": lambda lib: lib.zeros(2, size=(2,)),
    "new_zeros(size=, device=)": lambda lib: lib.ones(2).new_zeros(size=(3,), device="cpu"),
    "new_ones(layout, pin_memory)": lambda lib: lib.ones(2).new_ones(
        2, layout=None if lib is torchlet else torch.strided, pin_memory=False),
    "new_empty(size=)": lambda lib: lib.ones(2).new_empty(size=(0,)),
    "view(size=)": lambda lib: lib.arange(6).view(size=(3, 2)),
    "view(dtype=)": lambda lib: lib.ones(2).view(dtype=lib.int32),
    "reshape(shape=)": lambda lib: lib.arange(6).reshape(shape=(2, 3)),
    "permute(dims=)": lambda lib: lib.arange(6).reshape(2, 3).permute(dims=(1, 0)),
    "expand(size=)": lambda lib: lib.arange(3).expand(size=(2, 3)),
    "repeat(repeats=)": lambda lib: lib.arange(3).repeat(repeats=(2, 1)),
    "tile(dims=)": lambda lib: lib.arange(3).tile(dims=(2,)),
    "flip(dims=)": lambda lib: lib.arange(6).reshape(2, 3).flip(dims=(1,)),
    "resize_(size=)": lambda lib: lib.zeros(6).resize_(size=(2, 3)),
}
NO_ARGUMENTS = ["permute", "view", "reshape", "repeat", "expand", "tile", "flip", "new_zeros",
                "new_ones", "new_empty", "resize_"]


@pytest.mark.parametrize("name", list(CALLS))
def test_sizes_by_keyword(name):
    results = []
    for lib in (torch, torchlet):
        outcome = _outcome(lambda lib=lib: CALLS[name](lib))
        if outcome[0] == "ok":
            value = outcome[1]
            outcome = ("ok", tuple(value) if not isinstance(value, lib.Tensor) else
                       (str(value.dtype), tuple(value.shape),
                        value.numpy().tobytes() if "empty" not in name else b""))
        else:
            outcome = outcome[:2]  # (torch's parser words some of these differently)
        results.append(outcome)
    assert results[1] == results[0]


@pytest.mark.parametrize("method", NO_ARGUMENTS)
def test_sizes_missing_is_a_type_error(method):
    for lib in (torch, torchlet):
        with pytest.raises(TypeError):
            getattr(lib.ones(2, 3), method)()


ARANGE = [(0, 3, 0.5), (0.5, 3, 1), (0, 3.7, 1), (0, -3, -0.5), (0.2, 2.9, 1.5),
          (-2.5, 3.5, 1.0), (3.9, -0.5, -1.0), (0, 3, 1.9), (0.0, 3.0, 0.4), (1.5, 9.2, 2.5),
          (-3.5, -0.2, 0.7), (0, 300, 100.5)]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
@pytest.mark.parametrize("args", ARANGE)
def test_arange_integer_dtype_from_floats(args, dtype):
    results = []
    for lib in (torch, torchlet):
        outcome = _outcome(lambda lib=lib: lib.arange(*args, dtype=getattr(lib, dtype)))
        if outcome[0] == "ok":
            outcome = ("ok", str(outcome[1].dtype), outcome[1].numpy().tolist())
        results.append(outcome)
    assert results[1] == results[0]


def test_out_values_match_a_call_without_out():
    # the draws written into out are those of the same call with out's dtype
    torchlet.manual_seed(3)
    expected = torchlet.randn(7, dtype=torchlet.float64)
    torchlet.manual_seed(3)
    out = torchlet.empty(0, dtype=torchlet.float64)
    torchlet.randn(7, out=out)
    assert np.array_equal(out.numpy(), expected.numpy())

"""NumPy arrays as operands, NumPy ufuncs on tensors, and ``Tensor.to``'s arguments.

torch's argument parser takes a NumPy scalar as a number but never an array as a tensor
(only ``__eq__`` does): ``t + array`` is computed by NumPy itself (float32 with a float64
array gives float64) and wrapped back by ``Tensor.__array_wrap__``, ``array + t`` raises
Python's TypeError, and a tensor that requires grad refuses to become an array. Every
case runs on torch when it is importable and is checked against a hand-derived outcome.
"""

import warnings

import numpy as np
import pytest

import torchlet
from torchlet import nn


def outcome(lib, fn):
    """What ``fn(lib)`` gives, comparable across libraries: ("Tensor", dtype, values,
    requires_grad), ("ndarray"/"bool"/..., repr) or ("raises", type, first message line)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2's, checked below
        try:
            r = fn(lib)
        except Exception as e:  # noqa: BLE001 - the exception is the outcome
            return ("raises", type(e).__name__, str(e).split("\n")[0])
    if isinstance(r, lib.Tensor):
        return ("Tensor", str(r.dtype), r.detach().numpy().tolist(), r.requires_grad)
    return (type(r).__name__, repr(r))


def t12(lib, **kw):
    return lib.tensor([1.0, 2.0], **kw)


A12 = np.array([1.0, 2.0])
F32, F64, I64, U8 = "torch.float32", "torch.float64", "torch.int64", "torch.uint8"
NUMPY_2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"
# a float32 tensor with a 0-d float64 array: NumPy 2 promotes to float64 (NEP 50), NumPy 1's
# value-based casting keeps float32 (torch, which lets NumPy compute, follows either)
F_0D = F64 if NUMPY_2 else F32


def tensor(dtype, values, requires_grad=False):
    return ("Tensor", dtype, values, requires_grad)


def raises(kind, message):
    return ("raises", kind, message)


NUMPY_FIRST = "unsupported operand type(s) for {}: 'numpy.ndarray' and 'Tensor'"
NUMPY_OF_GRAD = ("Can't call numpy() on Tensor that requires grad. "
                 "Use tensor.detach().numpy() instead.")

# (name, fn, hand-derived outcome). Messages are those Python, NumPy and torch's Python
# code give, so both libraries must give them word for word.
CASES = [
    # tensor OP array: NumPy computes, in NumPy's dtype, and the result is a tensor again
    ("t+a", lambda L: t12(L) + A12, tensor(F64, [2.0, 4.0])),
    ("t-a", lambda L: t12(L) - A12, tensor(F64, [0.0, 0.0])),
    ("t*a", lambda L: t12(L) * A12, tensor(F64, [1.0, 4.0])),
    ("t/a", lambda L: t12(L) / A12, tensor(F64, [1.0, 1.0])),
    ("t**a", lambda L: t12(L) ** A12, tensor(F64, [1.0, 4.0])),
    ("t//a", lambda L: t12(L) // A12, tensor(F64, [1.0, 1.0])),
    ("t%a", lambda L: t12(L) % A12, tensor(F64, [0.0, 0.0])),
    ("t@a", lambda L: t12(L) @ A12, tensor(F64, 5.0)),
    ("t*0-d a", lambda L: t12(L) * np.array(2.0), tensor(F_0D, [2.0, 4.0])),
    ("t+0-d a", lambda L: t12(L) + np.array(3.0), tensor(F_0D, [4.0, 5.0])),
    ("int t*a", lambda L: L.tensor([1, 2]) * np.array([1.5, 2.0]), tensor(F64, [1.5, 4.0])),
    ("int t/int a", lambda L: L.tensor([1, 2]) / np.array([2, 2]), tensor(F64, [0.5, 1.0])),
    ("t-float32 a", lambda L: t12(L) - A12.astype(np.float32), tensor(F32, [0.0, 0.0])),
    ("bool t+bool a", lambda L: L.tensor([True, False]) + np.array([True, False]),
     tensor(U8, [1, 0])),  # NumPy's bool result, made uint8 as torch's __array_wrap__
    ("int t&a", lambda L: L.tensor([1, 2]) & np.array([1, 3]), tensor(I64, [1, 2])),
    ("t<a", lambda L: t12(L) < A12,
     raises("TypeError", "'<' not supported between instances of 'Tensor' and "
            "'numpy.ndarray'")),
    ("t>=a", lambda L: t12(L) >= A12,
     raises("TypeError", "'>=' not supported between instances of 'Tensor' and "
            "'numpy.ndarray'")),
    ("t!=a", lambda L: L.tensor([0.1, 2.0]) != np.array([0.1, 2.0]), ("bool", "True")),
    # __eq__ alone takes the array as a tensor of its own dtype: float32 0.1 != 0.1
    ("t==a", lambda L: L.tensor([0.1, 2.0]) == np.array([0.1, 2.0]),
     tensor("torch.bool", [False, True])),
    ("t==0-d a", lambda L: L.tensor([0.1, 2.0]) == np.array(0.1),
     tensor("torch.bool", [True, False])),
    ("t==str a", lambda L: t12(L) == np.array(["a", "b"]), ("bool", "False")),
    ("t(rg)==a", lambda L: t12(L, requires_grad=True) == A12,
     tensor("torch.bool", [True, True])),
    ("t(rg)*a", lambda L: t12(L, requires_grad=True) * A12,
     raises("RuntimeError", NUMPY_OF_GRAD)),
    ("t(rg)+0-d a", lambda L: t12(L, requires_grad=True) + np.array(2.0),
     raises("RuntimeError", NUMPY_OF_GRAD)),
    # array OP tensor: NumPy defers to the tensor (__array_priority__), which declines
    ("a+t", lambda L: A12 + t12(L),
     raises("TypeError", "Concatenation operation is not implemented for NumPy arrays, "
            "use np.concatenate() instead. Please do not rely on this error; it may not be "
            "given on all Python implementations.")),
    ("a-t", lambda L: A12 - t12(L), raises("TypeError", NUMPY_FIRST.format("-"))),
    ("a*t", lambda L: A12 * t12(L), raises("TypeError", NUMPY_FIRST.format("*"))),
    ("0-d a*t", lambda L: np.array(2.0) * L.ones(2), raises("TypeError", NUMPY_FIRST.format("*"))),
    ("a**t", lambda L: A12 ** t12(L),
     raises("TypeError", "unsupported operand type(s) for ** or pow(): 'numpy.ndarray' and "
            "'Tensor'")),
    ("a@t", lambda L: A12 @ t12(L), raises("TypeError", NUMPY_FIRST.format("@"))),
    ("a<t", lambda L: A12 < t12(L),
     raises("TypeError", "'<' not supported between instances of 'numpy.ndarray' and "
            "'Tensor'")),
    # torch's __rtruediv__ is reciprocal() * other, which NumPy then computes
    ("a/t", lambda L: A12 / t12(L), tensor(F64, [1.0, 1.0])),
    ("a/t(rg)", lambda L: A12 / t12(L, requires_grad=True),
     raises("RuntimeError", NUMPY_OF_GRAD)),
    # NumPy scalars are numbers: weak, and in the graph
    ("np.float64*t", lambda L: np.float64(2.0) * L.ones(2), tensor(F32, [2.0, 2.0])),
    ("np.float32*t(rg)", lambda L: np.float32(2.0) * t12(L, requires_grad=True),
     tensor(F32, [2.0, 4.0], True)),
    ("int t*np.float64", lambda L: L.tensor([1, 2]) * np.float64(2.5), tensor(F32, [2.5, 5.0])),
    ("np.int64*int t", lambda L: np.int64(2) * L.tensor([1, 2]), tensor(I64, [2, 4])),
    ("np.float64**t", lambda L: np.float64(2.0) ** t12(L), tensor(F32, [2.0, 4.0])),
    ("np.float64<t", lambda L: np.float64(1.5) < t12(L), tensor("torch.bool", [False, True])),
    # NumPy ufuncs on a tensor give a tensor (bool results as uint8)
    ("np.exp(t)", lambda L: np.exp(L.tensor([0.0, 0.0])), tensor(F32, [1.0, 1.0])),
    ("np.sqrt(t)", lambda L: np.sqrt(L.tensor([4.0, 9.0])), tensor(F32, [2.0, 3.0])),
    ("np.exp(int t)", lambda L: np.exp(L.tensor([0, 0])), tensor(F64, [1.0, 1.0])),
    ("np.sqrt(0-d t)", lambda L: np.sqrt(L.tensor(4.0)), tensor(F32, 2.0)),
    ("np.greater(t,0)", lambda L: np.greater(L.tensor([0.0, 1.0]), 0), tensor(U8, [0, 1])),
    ("np.maximum(t,1.)", lambda L: np.maximum(L.tensor([0.0, 3.0]), 1.0),
     tensor(F32, [1.0, 3.0])),
    ("np.exp(t(rg))", lambda L: np.exp(t12(L, requires_grad=True)),
     raises("RuntimeError", NUMPY_OF_GRAD)),
    ("np.asarray(t)", lambda L: np.asarray(t12(L)), ("ndarray", "array([1., 2.], dtype=float32)")),
]

# Where torch's argument parser words its own message, only the exception type is compared
# (torchlet's binary functions give one message for every operand they refuse).
REFUSED = [
    ("torch.mul(t,a)", lambda L: L.mul(L.ones(2), np.array([2.0, 3.0]))),
    ("torch.mul(a,t)", lambda L: L.mul(np.array([2.0, 3.0]), L.ones(2))),
    ("t.add(a)", lambda L: L.ones(2).add(np.array([2.0, 3.0]))),
    ("t.add_(a)", lambda L: L.ones(2).add_(np.array([2.0, 3.0]))),
    ("t.mul_(0-d a)", lambda L: L.ones(2).mul_(np.array(2.0))),
    ("t.sub(a)", lambda L: L.ones(2).sub(np.array([2.0, 3.0]))),
    ("t.div(a)", lambda L: L.ones(2).div(np.array([2.0, 3.0]))),
    ("torch.pow(t,a)", lambda L: L.pow(L.ones(2), np.array([2.0, 3.0]))),
    ("torch.pow(a,t)", lambda L: L.pow(np.array([2.0, 3.0]), L.ones(2))),
    ("t.eq(a)", lambda L: L.ones(2).eq(np.array([2.0, 3.0]))),
    ("torch.lt(t,a)", lambda L: L.lt(L.ones(2), np.array([2.0, 3.0]))),
    ("torch.remainder(t,a)", lambda L: L.remainder(L.ones(2), np.array([2.0, 3.0]))),
    ("torch.where(c,t,a)", lambda L: L.where(L.tensor([True, False]), L.ones(2),
                                             np.array([2.0, 3.0]))),
    ("torch.matmul(t,a)", lambda L: L.matmul(L.ones(2), np.array([2.0, 3.0]))),
]


@pytest.mark.parametrize("name,fn,expected", CASES, ids=[c[0] for c in CASES])
def test_numpy_operand_outcome(name, fn, expected):
    assert outcome(torchlet, fn) == expected


@pytest.mark.parametrize("name,fn,expected", CASES, ids=[c[0] for c in CASES])
def test_numpy_operand_outcome_matches_torch(name, fn, expected):
    torch = pytest.importorskip("torch")
    assert outcome(torchlet, fn) == outcome(torch, fn)


@pytest.mark.parametrize("name,fn", REFUSED, ids=[c[0] for c in REFUSED])
def test_functions_refuse_arrays(name, fn):
    assert outcome(torchlet, fn)[:2] == ("raises", "TypeError")
    torch = pytest.importorskip("torch")
    assert outcome(torch, fn)[:2] == ("raises", "TypeError")


def test_exp_refuses_array_with_torch_message():
    with pytest.raises(TypeError, match=r"^exp\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not numpy\.ndarray$"):
        torchlet.exp(np.array([1.0]))


@pytest.mark.parametrize("op", ["+=", "*=", "-=", "**="])
def test_in_place_with_array_rebinds_to_numpy_result(op):
    """``t op= array``: the in-place method refuses, so Python falls back to ``t op array``
    (NumPy's float64 result): the name is rebound and the old tensor is left alone."""
    def run(lib):
        t = lib.ones(2)
        old = t
        env = {"t": t, "a": np.array([1.0, 2.0])}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2's, as for torch
            exec(f"t {op} a", env)
        return env["t"], old

    new, old = run(torchlet)
    assert new is not old and new.dtype == torchlet.float64
    assert old.tolist() == [1.0, 1.0]
    torch = pytest.importorskip("torch")
    t_new, _ = run(torch)
    assert new.tolist() == t_new.tolist() and str(new.dtype) == str(t_new.dtype)


def test_numpy_scalar_stays_in_graph():
    x = torchlet.tensor([1.0, 2.0], dtype=torchlet.float64, requires_grad=True)
    y = np.float64(3.0) * x
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert torchlet.autograd.gradcheck(lambda v: np.float64(3.0) * v ** np.float64(2.0), (x,))


def test_ufunc_and_array_warn_as_numpy_warns_for_torch():
    """torch keeps NumPy 1's ``__array_wrap__(array)`` and ``__array__(dtype)``; NumPy 2
    then warns (DeprecationWarning) on ufuncs and on ``np.array(t)``: so does torchlet.
    NumPy 1 has nothing to warn about."""
    def warned(lib):
        t = lib.ones(2)
        found = []
        for fn in (np.exp, np.array, np.asarray):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                fn(t)
            found.append([x.category.__name__ for x in w])
        return found

    deprecated = ["DeprecationWarning"] if NUMPY_2 else []
    assert warned(torchlet) == [deprecated, deprecated, []]
    torch = pytest.importorskip("torch")
    assert warned(torchlet) == warned(torch)


def test_np_array_copies_and_asarray_shares():
    t = torchlet.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        copied = np.array(t)
    copied[0] = 5.0
    assert t.tolist() == [1.0, 1.0]
    np.asarray(t)[0] = 7.0
    assert t.tolist() == [7.0, 1.0]


# ---------------------------------------------------------------------------------------
# Tensor.to and Module.to


NO_CUDA = raises("AssertionError", "Torch not compiled with CUDA enabled")
NO_ACCELERATOR = raises("RuntimeError", "Cannot access accelerator device when none is "
                                        "available.")
TO_COMBINATION = "to() received an invalid combination of arguments - got ({}), but " \
                 "expected one of:"


def _same(lib, fn):
    t = lib.ones(2)
    return fn(lib, t) is t


TO_CASES = [
    ("('cuda', None)", lambda L: L.ones(2).to("cuda", None), NO_CUDA),
    ("(device('cuda'), None)", lambda L: L.ones(2).to(L.device("cuda"), None), NO_CUDA),
    ("(device='cuda')", lambda L: L.ones(2).to(device="cuda"), NO_CUDA),
    ("('cuda:0', float64)", lambda L: L.ones(2).to("cuda:0", L.float64), NO_CUDA),
    ("('mps', None)", lambda L: L.ones(2).to("mps", None),
     raises("RuntimeError", "PyTorch is not linked with support for mps devices")),
    ("(0)", lambda L: L.ones(2).to(0), NO_ACCELERATOR),
    ("(1, None)", lambda L: L.ones(2).to(1, None), NO_ACCELERATOR),
    ("(np.int64(0))", lambda L: L.ones(2).to(np.int64(0)), NO_ACCELERATOR),
    ("(device=0)", lambda L: L.ones(2).to(device=0), NO_ACCELERATOR),
    ("(-1)", lambda L: L.ones(2).to(-1),
     raises("RuntimeError", "Device index must not be negative")),
    ("('cpu', None)", lambda L: L.ones(2).to("cpu", None), tensor(F32, [1.0, 1.0])),
    ("(None, float64)", lambda L: L.ones(2).to(None, L.float64), tensor(F64, [1.0, 1.0])),
    ("('cpu', float)", lambda L: L.ones(2).to("cpu", float), tensor(F64, [1.0, 1.0])),
    ("(0.5)", lambda L: L.ones(2).to(0.5), tensor(F64, [1.0, 1.0])),  # a wrapped double
    ("(True)", lambda L: L.ones(2).to(True), tensor("torch.bool", [True, True])),
    ("(int64, True, True)", lambda L: L.ones(2).to(L.int64, True, True), tensor(I64, [1, 1])),
    # the positional copy= is honoured
    ("is: ('cpu', None, False, True)", lambda L: _same(L, lambda L, t: t.to("cpu", None, False,
                                                                          True)),
     ("bool", "False")),
    ("is: (float32, False, True)", lambda L: _same(L, lambda L, t: t.to(L.float32, False, True)),
     ("bool", "False")),
    ("is: (t, True, True)", lambda L: _same(L, lambda L, t: t.to(t, True, True)),
     ("bool", "False")),
    ("is: (float32, True)", lambda L: _same(L, lambda L, t: t.to(L.float32, True)),
     ("bool", "True")),
    ("is: (tensor=t)", lambda L: _same(L, lambda L, t: t.to(tensor=t)), ("bool", "True")),
    ("5 positional", lambda L: L.ones(2).to("cpu", L.float32, True, True, None),
     raises("TypeError", "to() takes from 0 to 4 positional arguments but 5 were given")),
    ("('cpu', 'cpu')", lambda L: L.ones(2).to("cpu", "cpu"),
     raises("TypeError", TO_COMBINATION.format("str, str"))),
    ("(float64, None)", lambda L: L.ones(2).to(L.float64, None),
     raises("TypeError", TO_COMBINATION.format("torch.dtype, NoneType"))),
    ("('cpu', None, 2)", lambda L: L.ones(2).to("cpu", None, 2),
     raises("TypeError", TO_COMBINATION.format("str, NoneType, int"))),
    ("(float64, False, True, True)", lambda L: L.ones(2).to(L.float64, False, True, True),
     raises("TypeError", TO_COMBINATION.format("torch.dtype, bool, bool, bool"))),
    ("('cpu', float64, dtype=)", lambda L: L.ones(2).to("cpu", L.float64, dtype=L.float64),
     raises("TypeError", TO_COMBINATION.format("str, torch.dtype, dtype=torch.dtype"))),
    ("(float64, device=)", lambda L: L.ones(2).to(L.float64, device="cpu"),
     raises("TypeError", TO_COMBINATION.format("torch.dtype, device=str"))),
    ("(other=t)", lambda L: L.ones(2).to(other=L.ones(1)),
     raises("TypeError", TO_COMBINATION.format("other=Tensor, "))),
    ("('cpu', None, np.bool_)", lambda L: L.ones(2).to("cpu", None, np.bool_(True)),
     raises("TypeError", TO_COMBINATION.format(  # NumPy 1 names the type numpy.bool_
         "str, NoneType, numpy.bool" + ("" if NUMPY_2 else "_")))),
    # Module.to passes (device, None) to every tensor
    ("Linear.to('cuda')", lambda L: L.nn.Linear(2, 2).to("cuda"), NO_CUDA),
    ("Linear.to(device='cuda')", lambda L: L.nn.Linear(2, 2).to(device="cuda"), NO_CUDA),
    ("BatchNorm1d.to('cuda:0')", lambda L: L.nn.BatchNorm1d(2).to("cuda:0"), NO_CUDA),
    ("Linear.to(0)", lambda L: L.nn.Linear(2, 2).to(0), NO_ACCELERATOR),
    ("Linear.to('mps')", lambda L: L.nn.Linear(2, 2).to("mps"),
     raises("RuntimeError", "PyTorch is not linked with support for mps devices")),
    ("Linear.to('cpu', float64)", lambda L: L.nn.Linear(2, 2).to("cpu", L.float64).weight.dtype,
     ("dtype", "torch.float64")),
]


@pytest.mark.parametrize("name,fn,expected", TO_CASES, ids=[c[0] for c in TO_CASES])
def test_to_arguments(name, fn, expected):
    assert outcome(torchlet, fn) == expected


@pytest.mark.parametrize("name,fn,expected", TO_CASES, ids=[c[0] for c in TO_CASES])
def test_to_arguments_match_torch(name, fn, expected):
    torch = pytest.importorskip("torch")
    assert outcome(torchlet, fn) == outcome(torch, fn)


def test_module_to_cpu_keeps_parameters():
    m = nn.Linear(2, 2)
    weight = m.weight
    assert m.to("cpu") is m and m.weight is weight
    assert m.to(torchlet.device("cpu"), None).weight is weight

"""Three small parities with torch 2.13 (CPU build):

1. ``use_deterministic_algorithms(True)`` fills the memory torch hands out uninitialised
   (empty, empty_like, new_empty, empty_strided, Tensor.new, the legacy types, the part
   ``resize_`` adds) with NaN or the largest integer, while
   ``torch.utils.deterministic.fill_uninitialized_memory`` is on.
2. The legacy CUDA tensor types exist and refuse to be used, as in a CPU-only build.
3. NumPy scalars are read as torch's argument parser reads them: ``np.bool_`` and NumPy
   floats are floats (``int_tensor + np.bool_(True)`` is float32), NumPy integers ints;
   stored into an integer tensor they go through ``__index__``.

Each check states the expected answer worked out by hand and, where torch is importable,
also runs the same expression on torch and compares (values, dtypes, exception types and
messages).
"""

from __future__ import annotations

import copy
import math
import operator
import warnings

import numpy as np
import pytest

import torchlet
import torchlet.utils.deterministic
from torchlet import _runtime

try:
    import torch
    import torch.utils.deterministic
except ImportError:  # the hand-derived expectations still run
    torch = None

LIBS = [torchlet] if torch is None else [torchlet, torch]


def outcome(fn, lib):
    """``fn(lib)`` as something comparable across libraries: a tensor's dtype name and
    values (NaN as the string 'nan'), or the exception's type name and message."""
    try:
        with warnings.catch_warnings():  # (torch's list-of-arrays warning, ComplexWarning)
            warnings.simplefilter("ignore")
            value = fn(lib)
    except Exception as error:  # noqa: BLE001 - the exception is the answer compared
        return type(error).__name__, str(error)
    if isinstance(value, (torchlet.Tensor,) + (() if torch is None else (torch.Tensor,))):
        values = [("nan" if isinstance(v, float) and math.isnan(v) else v)
                  for v in value.reshape(-1).tolist()]
        return str(value.dtype).replace("torch.", ""), tuple(value.shape), values
    return value


def check(fn, expected=None):
    """``fn`` gives ``expected`` on torchlet (when given) and the same on torch."""
    ours = outcome(fn, torchlet)
    if expected is not None:
        assert ours == expected
    if torch is not None:
        assert ours == outcome(fn, torch)
    return ours


# ---------------------------------------------------------------------------------------
# 1. uninitialised memory under use_deterministic_algorithms(True)


@pytest.fixture(autouse=True)
def _restore_settings():
    saved = copy.copy(_runtime.SETTINGS.__dict__)
    if torch is not None:
        state = (torch.are_deterministic_algorithms_enabled(),
                 torch.is_deterministic_algorithms_warn_only_enabled(),
                 torch.utils.deterministic.fill_uninitialized_memory)
    yield
    _runtime.SETTINGS.__dict__.update(saved)
    if torch is not None:
        torch.use_deterministic_algorithms(state[0], warn_only=state[1])
        torch.utils.deterministic.fill_uninitialized_memory = state[2]


def deterministic(lib, on=True, warn_only=False):
    lib.use_deterministic_algorithms(on, warn_only=warn_only)
    return lib


# the fill value torch uses, by dtype: NaN, the largest integer, True
FILLS = {"float32": "nan", "float64": "nan", "float16": "nan", "int64": 2 ** 63 - 1,
         "int32": 2 ** 31 - 1, "int16": 2 ** 15 - 1, "int8": 127, "uint8": 255,
         "bool": True}

MAKERS = {
    "empty": lambda lib, dt: lib.empty(2, 3, dtype=dt),
    "empty_channels_last": lambda lib, dt: lib.empty(1, 2, 2, 2, dtype=dt,
                                                     memory_format=lib.channels_last),
    "empty_like": lambda lib, dt: lib.empty_like(lib.zeros(3, dtype=dt)),
    "empty_like_transposed": lambda lib, dt: lib.empty_like(lib.zeros(2, 3, dtype=dt).t()),
    "new_empty": lambda lib, dt: lib.zeros(1, dtype=dt).new_empty((2, 2)),
    "empty_strided": lambda lib, dt: lib.empty_strided((2, 3), (1, 4), dtype=dt),
    "new_empty_strided": lambda lib, dt: lib.zeros(1, dtype=dt).new_empty_strided((2,), (2,)),
    "Tensor.new": lambda lib, dt: lib.zeros(1, dtype=dt).new(4),
    "empty_out": lambda lib, dt: lib.empty(3, out=lib.zeros(3, dtype=dt)),
    "empty_out_resized": lambda lib, dt: lib.empty(4, out=lib.zeros(2, dtype=dt)),
}


@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("dtype", sorted(FILLS))
def test_deterministic_mode_fills_new_memory(maker, dtype):
    def fn(lib):
        return MAKERS[maker](deterministic(lib), getattr(lib, dtype))

    _, shape, values = check(fn)
    assert values == [FILLS[dtype]] * math.prod(shape)


@pytest.mark.parametrize("name", ["FloatTensor", "LongTensor", "ByteTensor", "BoolTensor"])
def test_deterministic_mode_fills_legacy_constructors(name):
    dtype = str(getattr(torchlet, name).dtype).replace("torch.", "")
    assert check(lambda lib: getattr(deterministic(lib), name)(2, 2)) == (
        dtype, (2, 2), [FILLS[dtype]] * 4)


def test_warn_only_also_fills_and_requires_grad_keeps_its_flag():
    def fn(lib):
        t = deterministic(lib, warn_only=True).empty(2, requires_grad=True)
        return t.requires_grad, outcome(lambda _: t.detach(), lib)

    assert check(fn) == (True, ("float32", (2,), ["nan", "nan"]))


def test_resize_fills_only_the_grown_part():
    def fn(lib):
        deterministic(lib)
        a = lib.tensor([1.0, 2.0])
        a.resize_(5)
        b = lib.tensor([1, 2])
        b.resize_(3)
        c = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        c.resize_(2)
        c.resize_(4)  # still within its storage: the old values come back
        base = lib.ones(4)
        view = base[:2]
        view.resize_(6)  # a view grows into new storage: old storage copied, rest filled
        return [outcome(lambda _, t=t: t, lib) for t in (a, b, c, view, base)]

    assert check(fn) == [
        ("float32", (5,), [1.0, 2.0, "nan", "nan", "nan"]),
        ("int64", (3,), [1, 2, 2 ** 63 - 1]),
        ("float32", (4,), [1.0, 2.0, 3.0, 4.0]),
        ("float32", (6,), [1.0, 1.0, 1.0, 1.0, "nan", "nan"]),
        ("float32", (4,), [1.0, 1.0, 1.0, 1.0]),
    ]


def test_resize_as_fills_like_resize():
    def fn(lib):
        a = deterministic(lib).tensor([1.0, 2.0])
        return a.resize_as_(lib.ones(2, 2))

    assert check(fn) == ("float32", (2, 2), [1.0, 2.0, "nan", "nan"])


def test_fill_switch_turns_filling_off():
    torchlet.use_deterministic_algorithms(True)
    torchlet.utils.deterministic.fill_uninitialized_memory = False
    assert torchlet.utils.deterministic.fill_uninitialized_memory is False
    a = torchlet.tensor([1.0, 2.0])
    a.resize_(4)
    # no NaN anywhere: with the switch off the grown part is whatever torchlet allocates
    assert not any(math.isnan(v) for v in a.tolist())
    torchlet.utils.deterministic.fill_uninitialized_memory = True
    assert math.isnan(torchlet.empty(1).item())


def test_mode_off_does_not_fill():
    torchlet.use_deterministic_algorithms(False)
    torchlet.utils.deterministic.fill_uninitialized_memory = True
    a = torchlet.tensor([1.0, 2.0])
    a.resize_(4)
    assert not any(math.isnan(v) for v in a.tolist())


@pytest.mark.parametrize("value", [0, 1, "yes", None, 1.0])
def test_fill_switch_takes_only_a_bool(value):
    def fn(lib):
        lib.utils.deterministic.fill_uninitialized_memory = value

    assert check(fn) == ("RuntimeError", f"expected a bool, but got {type(value).__name__}")
    assert torchlet.utils.deterministic.fill_uninitialized_memory is True


def test_deterministic_queries_follow_the_mode():
    def fn(lib):
        answers = [lib.utils.deterministic.fill_uninitialized_memory]
        for mode in (True, False, "warn", "error", "default", 1, 2):
            if isinstance(mode, bool):
                lib.use_deterministic_algorithms(mode)
            else:
                lib.set_deterministic_debug_mode(mode)
            answers.append((lib.are_deterministic_algorithms_enabled(),
                            lib.is_deterministic_algorithms_warn_only_enabled(),
                            lib.get_deterministic_debug_mode()))
        return answers

    assert check(fn) == [True, (True, False, 2), (False, False, 0), (True, True, 1),
                         (True, False, 2), (False, False, 0), (True, True, 1),
                         (True, False, 2)]


# ---------------------------------------------------------------------------------------
# 2. the legacy CUDA tensor types on a machine without CUDA

CUDA_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
              "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
              "CharTensor": "int8", "ByteTensor": "uint8", "BoolTensor": "bool"}


@pytest.mark.parametrize("name", sorted(CUDA_TYPES))
@pytest.mark.parametrize("args", [(3,), ([1, 2],), (), (2, 3)], ids=str)
def test_cuda_type_cannot_be_called(name, args):
    message = f"type torch.cuda.{name} not available. Torch not compiled with CUDA enabled."
    assert check(lambda lib: getattr(lib.cuda, name)(*args)) == ("TypeError", message)


@pytest.mark.parametrize("name", sorted(CUDA_TYPES))
def test_cuda_type_attributes_and_isinstance(name):
    def fn(lib):
        kind = getattr(lib.cuda, name)
        cpu = getattr(lib, name)
        tensor = lib.zeros(2, dtype=kind.dtype)
        return (repr(kind), str(kind.dtype), kind.is_cuda, kind.is_sparse, kind.__name__,
                isinstance(tensor, kind), isinstance(tensor, cpu), cpu.is_cuda,
                kind is cpu, isinstance(tensor, (kind, cpu)))

    assert check(fn) == (f"<class 'torch.cuda.{name}'>", f"torch.{CUDA_TYPES[name]}", True,
                         False, name, False, True, False, False, True)


@pytest.mark.parametrize("arg", ["type", "name"])
def test_cuda_type_as_default_tensor_type(arg):
    def fn(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.set_default_tensor_type(
                lib.cuda.FloatTensor if arg == "type" else "torch.cuda.FloatTensor")

    assert check(fn) == ("TypeError", "type torch.cuda.FloatTensor not available. Torch "
                                      "not compiled with CUDA enabled.")


@pytest.mark.parametrize("name,message", [
    ("torch.cuda.Foo", "module 'torch.cuda' has no attribute 'Foo'"),
    ("torch.Foo", "module 'torch' has no attribute 'Foo'"),
])
def test_unknown_default_tensor_type_name(name, message):
    def fn(lib):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.set_default_tensor_type(name)

    assert check(fn) == ("AttributeError", message)


# ---------------------------------------------------------------------------------------
# 3. NumPy scalars as numbers

# (expression, expected dtype and values): each worked out from torch's rule that
# np.bool_ and NumPy floats are float Scalars (a wrapped float: the tensor's dtype if it
# is floating, else the default float32) and NumPy integers int Scalars
SCALAR_CASES = {
    "i64 + np.bool_": (lambda lib: lib.tensor([1, 2]) + np.bool_(True),
                       ("float32", (2,), [2.0, 3.0])),
    "np.bool_ + i64": (lambda lib: np.bool_(True) + lib.tensor([1, 2]),
                       ("float32", (2,), [2.0, 3.0])),
    "bool * np.bool_": (lambda lib: lib.tensor([True, False]) * np.bool_(True),
                        ("float32", (2,), [1.0, 0.0])),
    "u8 - np.bool_": (lambda lib: lib.tensor([1, 2], dtype=lib.uint8) - np.bool_(True),
                      ("float32", (2,), [0.0, 1.0])),
    "f16 + np.bool_": (lambda lib: lib.tensor([1.0], dtype=lib.float16) + np.bool_(True),
                       ("float16", (1,), [2.0])),
    "i32 * np.float32": (lambda lib: lib.tensor([1, 2], dtype=lib.int32) * np.float32(2),
                         ("float32", (2,), [2.0, 4.0])),
    "f32 * np.float64": (lambda lib: lib.tensor([1.0, 2.0]) * np.float64(2.5),
                         ("float32", (2,), [2.5, 5.0])),
    "f16 * np.float32": (lambda lib: lib.tensor([2.0], dtype=lib.float16) * np.float32(1.5),
                         ("float16", (1,), [3.0])),
    "u8 + np.int64": (lambda lib: lib.tensor([250], dtype=lib.uint8) + np.int64(10),
                      ("uint8", (1,), [4])),
    "bool + np.int8": (lambda lib: lib.tensor([True]) + np.int8(2), ("int64", (1,), [3])),
    "i64 < np.bool_": (lambda lib: lib.tensor([0, 1]) < np.bool_(True),
                       ("bool", (2,), [True, False])),
    "i64 == np.float32": (lambda lib: lib.tensor([2, 3]) == np.float32(2.0),
                          ("bool", (2,), [True, False])),
    "result_type np.bool_": (lambda lib: str(lib.result_type(lib.tensor([1]), np.bool_(True))),
                             "torch.float32"),
    "clamp np.bool_": (lambda lib: lib.tensor([0, 2]).clamp(max=np.bool_(True)),
                       ("float32", (2,), [0.0, 1.0])),
    "where np.bool_": (lambda lib: lib.where(lib.tensor([True, False]), np.bool_(True), 0),
                       ("float32", (2,), [1.0, 0.0])),
    "pow np.bool_": (lambda lib: lib.tensor([2, 3]) ** np.bool_(True),
                     ("float32", (2,), [2.0, 3.0])),
    "i64 += np.bool_": (lambda lib: lib.tensor([1]).add_(np.bool_(True)),
                        ("RuntimeError", "result type Float can't be cast to the desired "
                                         "output type Long")),
    "full np.bool_": (lambda lib: lib.full((2,), np.bool_(True)), ("float32", (2,), [1.0, 1.0])),
    "full np.int64": (lambda lib: lib.full((2,), np.int64(3)), ("int64", (2,), [3, 3])),
    "full np.int8": (lambda lib: lib.full((1,), np.int8(-3)), ("int64", (1,), [-3])),
    "full np.float16": (lambda lib: lib.full((1,), np.float16(1.5)), ("float32", (1,), [1.5])),
    "scalar_tensor np.bool_": (lambda lib: lib.scalar_tensor(np.bool_(True)),
                               ("float32", (), [1.0])),
    "tensor np.float32": (lambda lib: lib.tensor(np.float32(1.5)), ("float32", (), [1.5])),
    "tensor np.bool_": (lambda lib: lib.tensor(np.bool_(True)), ("bool", (), [True])),
    "tensor [np.int32]": (lambda lib: lib.tensor([np.int32(3)]), ("int32", (1,), [3])),
    "tensor [1., np.bool_]": (lambda lib: lib.tensor([1.0, np.bool_(True)]),
                              ("float32", (2,), [1.0, 1.0])),
    "tensor [1, np.float16]": (lambda lib: lib.tensor([1, np.float16(2.5)]),
                               ("float16", (2,), [1.0, 2.5])),
    "arange np.float32": (lambda lib: lib.arange(np.float32(2.5)),
                          ("float32", (3,), [0.0, 1.0, 2.0])),
    "arange np.bool_": (lambda lib: lib.arange(0, np.bool_(True)), ("float32", (1,), [0.0])),
    "arange np mixed": (lambda lib: lib.arange(np.int64(1), np.float32(3), np.float16(0.5)),
                        ("float32", (4,), [1.0, 1.5, 2.0, 2.5])),
    "arange np.int32": (lambda lib: lib.arange(np.int32(3)), ("int64", (3,), [0, 1, 2])),
    "linspace np.bool_": (lambda lib: lib.linspace(np.bool_(False), np.float32(2), 3),
                          ("float32", (3,), [0.0, 1.0, 2.0])),
    "logspace np.bool_": (lambda lib: lib.logspace(np.int32(0), np.bool_(True), 2),
                          ("float32", (2,), [1.0, 10.0])),
}


@pytest.mark.parametrize("case", sorted(SCALAR_CASES))
def test_numpy_scalars_as_numbers(case):
    fn, expected = SCALAR_CASES[case]
    check(fn, expected)


def _not_integer(name):
    return "TypeError", f"'numpy.{name}' object cannot be interpreted as an integer"


def _index_of_bool():
    """What NumPy's ``np.bool_.__index__`` gives: NumPy 2 refuses it (a TypeError), NumPy 1
    still gives 1 (with a DeprecationWarning), and torch's argument parser follows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return operator.index(np.bool_(True))
        except TypeError:
            return None


def _stored_bool(dtype, values):
    """np.bool_ stored into an integer tensor: ``_not_integer`` where NumPy refuses its
    __index__ (NumPy 2), else the values stored (NumPy 1)."""
    if _index_of_bool() is None:
        return _not_integer("bool")
    return dtype, (len(values),), values


# storing into an integer or bool tensor goes through __index__ (Python floats, np.float64
# among them, are truncated instead; a bool tensor also takes np.bool_)
STORE_CASES = {
    "np.float32 -> int64": (lambda lib: lib.tensor(np.float32(2.5), dtype=lib.int64),
                            _not_integer("float32")),
    "[np.float16] -> bool": (lambda lib: lib.tensor([np.float16(1)], dtype=lib.bool),
                             _not_integer("float16")),
    "[np.bool_] -> uint8": (lambda lib: lib.tensor([np.bool_(True)], dtype=lib.uint8),
                            _stored_bool("uint8", [1])),
    "[1, np.bool_] inferred int64": (lambda lib: lib.tensor([1, np.bool_(True)]),
                                     _stored_bool("int64", [1, 1])),
    "[np.bool_] -> bool": (lambda lib: lib.tensor([np.bool_(False), 1], dtype=lib.bool),
                           ("bool", (2,), [False, True])),
    "np.float64 -> int64": (lambda lib: lib.tensor([np.float64(2.5)], dtype=lib.int64),
                            ("int64", (1,), [2])),
    "np.int8 -> bool": (lambda lib: lib.tensor([np.int8(3)], dtype=lib.bool),
                        ("bool", (1,), [True])),
    "new_tensor": (lambda lib: lib.zeros(1, dtype=lib.int64).new_tensor([np.float32(1)]),
                   _not_integer("float32")),
    "float32 array rows -> int64": (
        lambda lib: lib.tensor([np.array([1.5], np.float32)], dtype=lib.int64),
        _not_integer("float32")),
    "float64 array rows -> int64": (lambda lib: lib.tensor([np.array([1.5])], dtype=lib.int64),
                                    ("int64", (1, 1), [1])),
    "0-d array after a number": (lambda lib: lib.tensor([1, np.array(2.5)], dtype=lib.int64),
                                 ("TypeError", "only integer scalar arrays can be converted "
                                               "to a scalar index")),
    "0-d array first": (lambda lib: lib.tensor([np.array(3)]),
                        ("TypeError", "len() of unsized object")),
    "float tensor -> int64": (lambda lib: lib.tensor([lib.tensor(1.5)], dtype=lib.int64),
                              ("TypeError", "only integer tensors of a single element can be "
                                            "converted to an index")),
}


@pytest.mark.parametrize("case", sorted(STORE_CASES))
def test_numpy_scalars_stored_into_integer_tensors(case):
    fn, expected = STORE_CASES[case]
    check(fn, expected)


@pytest.mark.parametrize("fn,expected", [
    (lambda lib: lib.full((2,), np.array(1.0)),
     "full(): argument 'fill_value' (position 2) must be Number, not numpy.ndarray"),
    (lambda lib: lib.full((2,), lib.ones(2)),
     "full(): argument 'fill_value' (position 2) must be Number, not Tensor"),
    (lambda lib: lib.full_like(lib.ones(2), np.array([1.0])),
     "full_like(): argument 'fill_value' (position 2) must be Number, not numpy.ndarray"),
    (lambda lib: lib.scalar_tensor(np.array(1)),
     "scalar_tensor(): argument 's' (position 1) must be Number, not numpy.ndarray"),
    (lambda lib: lib.arange(np.array(3)),
     "arange(): argument 'end' (position 1) must be Number, not numpy.ndarray"),
    (lambda lib: lib.arange(lib.tensor([3])),
     "arange(): argument 'end' (position 1) must be Number, not Tensor"),
], ids=["full", "full-tensor", "full_like", "scalar_tensor", "arange", "arange-tensor"])
def test_arrays_are_not_numbers(fn, expected):
    check(fn, ("TypeError", expected))


def test_arange_invalid_combination_lists_the_overloads():
    kind, message = check(lambda lib: lib.arange(0, np.array(3)))
    assert kind == "TypeError"
    assert message.startswith("arange() received an invalid combination of arguments - got "
                              "(int, numpy.ndarray), but expected one of:\n * (Number end, *,")


def test_zero_dim_tensor_is_a_number():
    check(lambda lib: lib.full((2,), lib.tensor(3)), ("int64", (2,), [3, 3]))
    check(lambda lib: lib.arange(lib.tensor(2.0)), ("float32", (2,), [0.0, 1.0]))

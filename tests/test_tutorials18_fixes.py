"""Fixes found by running more PyTorch tutorial scripts on torchlet (tests/tutorials/).

torch.tensor reads any object that passes CPython's PySequence_Check as a sequence: a
collections.deque (the REINFORCE example builds its returns in one), array.array,
memoryview, UserList or a class with ``__len__`` and ``__getitem__``; torchlet read only
list, tuple, range and bytearray, and raised "Could not infer dtype of deque".
"""

import array
import collections
import types

import numpy as np
import pytest

import torchlet


class MySeq:
    """A sequence by ``__len__`` and ``__getitem__`` only (no ``__iter__``)."""

    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


class OnlyGetItem:
    def __getitem__(self, i):
        if i >= 3:
            raise IndexError
        return i


deque = collections.deque

# (name, data builder, expected dtype, expected values) -- hand-derived from torch's rules
SEQUENCES = [
    ("deque", lambda: deque([1.5, 2.0]), "float32", [1.5, 2.0]),
    ("deque_of_deques", lambda: deque([deque([1, 2]), [3, 4]]), "int64", [[1, 2], [3, 4]]),
    ("list_of_deques", lambda: [deque([1, 2]), deque([3, 4])], "int64", [[1, 2], [3, 4]]),
    ("deque_of_ranges", lambda: deque([range(2), range(2)]), "int64", [[0, 1], [0, 1]]),
    ("userlist", lambda: collections.UserList([1, 2, 3]), "int64", [1, 2, 3]),
    ("array_d", lambda: array.array("d", [1.0, 2.5]), "float32", [1.0, 2.5]),
    ("array_i", lambda: array.array("i", [1, 2]), "int64", [1, 2]),
    ("memoryview", lambda: memoryview(b"ab"), "int64", [97, 98]),
    ("my_sequence", lambda: MySeq([MySeq([1, 2]), MySeq([3, 4])]), "int64", [[1, 2], [3, 4]]),
    ("empty_deque", lambda: deque(), "float32", []),
    ("bools", lambda: deque([True, False]), "bool", [True, False]),
    ("tensors", lambda: deque([torchlet.tensor(1.0), torchlet.tensor(2.0)]), "float32",
     [1.0, 2.0]),
]

# (name, data builder, exception type, message) -- torch 2.13's outcomes
ERRORS = [
    ("no_len", OnlyGetItem, TypeError, "object of type 'OnlyGetItem' has no len()"),
    ("ragged", lambda: [deque([1]), deque([2, 3])], ValueError,
     "expected sequence of length 1 at dim 1 (got 2)"),
    ("number_then_deque", lambda: [1, deque([2])], TypeError,
     "'collections.deque' object cannot be interpreted as an integer"),
    ("deque_then_number", lambda: [deque([2]), 1], TypeError, "not a sequence"),
    ("str_in_deque", lambda: deque(["ab"]), ValueError, "too many dimensions 'str'"),
    ("dict", lambda: {0: 1}, RuntimeError, "Could not infer dtype of dict"),
    ("mappingproxy", lambda: types.MappingProxyType({0: 1}), RuntimeError,
     "Could not infer dtype of mappingproxy"),
    ("set", lambda: {1, 2}, RuntimeError, "Could not infer dtype of set"),
    ("generator", lambda: (i for i in range(2)), RuntimeError,
     "Could not infer dtype of generator"),
]


def _torch_data(data):
    """The same data with torchlet tensors replaced by torch tensors."""
    torch = pytest.importorskip("torch")
    if isinstance(data, deque) and data and isinstance(data[0], torchlet.Tensor):
        return deque(torch.tensor(t.item()) for t in data)
    return data


@pytest.mark.parametrize(("name", "make", "dtype", "values"), SEQUENCES,
                         ids=[c[0] for c in SEQUENCES])
def test_tensor_of_other_sequences(name, make, dtype, values):
    t = torchlet.tensor(make())
    assert str(t.dtype) == f"torch.{dtype}"
    assert t.tolist() == values
    torch = pytest.importorskip("torch")
    ref = torch.tensor(_torch_data(make()))
    assert str(ref.dtype) == str(t.dtype) and ref.tolist() == t.tolist()


@pytest.mark.parametrize(("name", "make", "kind", "message"), ERRORS,
                         ids=[c[0] for c in ERRORS])
def test_tensor_of_other_sequences_errors(name, make, kind, message):
    with pytest.raises(kind) as ours:
        torchlet.tensor(make())
    assert str(ours.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(kind) as theirs:
        torch.tensor(make())
    assert str(theirs.value) == message


def test_other_sequences_with_dtype_and_friends():
    assert torchlet.tensor(deque([1, 2]), dtype=torchlet.float64).tolist() == [1.0, 2.0]
    assert torchlet.tensor(deque([1, 2]), dtype=torchlet.float64).dtype == torchlet.float64
    assert torchlet.as_tensor(deque([1, 2])).dtype == torchlet.int64
    assert torchlet.Tensor(deque([1, 2])).tolist() == [1.0, 2.0]
    assert torchlet.zeros(3).new_tensor(deque([1, 2])).dtype == torchlet.float32
    with pytest.raises(TypeError, match="must be real number, not collections.deque"):
        torchlet.tensor([1.0, deque([2.0])], dtype=torchlet.float32)


def test_reinforce_returns():
    """The REINFORCE example: discounted returns appended left into a deque, normalised."""
    gamma, rewards = 0.99, [1.0, 0.0, -1.0, 2.0]
    returns, big_r = deque(), 0.0
    for r in rewards[::-1]:
        big_r = r + gamma * big_r
        returns.appendleft(big_r)
    t = torchlet.tensor(returns)
    expected = np.array(list(returns), dtype=np.float32)
    assert t.dtype == torchlet.float32 and np.array_equal(t.numpy(), expected)
    eps = np.finfo(np.float32).eps
    normed = (t - t.mean()) / (t.std() + eps)
    torch = pytest.importorskip("torch")
    ref = torch.tensor(returns)
    ref = (ref - ref.mean()) / (ref.std() + eps)
    assert np.array_equal(normed.numpy(), ref.numpy())


def test_sampled_nested_deques_match_torch():
    """Random nestings of list / tuple / deque / array.array around random numbers: the
    same dtype and values as torch (or the same exception type)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    wrappers = [list, tuple, deque, collections.UserList, MySeq]
    for _ in range(150):
        shape = tuple(int(n) for n in rng.integers(0, 4, size=int(rng.integers(1, 4))))
        kind = rng.choice(["int", "float", "bool"])
        flat = {"int": lambda n: rng.integers(-50, 50, n).tolist(),
                "float": lambda n: (rng.standard_normal(n) * 10).tolist(),
                "bool": lambda n: (rng.random(n) < 0.5).tolist()}[kind](int(np.prod(shape)))

        def build(items, dims):
            if not dims:
                return items.pop(0)
            wrap = wrappers[int(rng.integers(len(wrappers)))]
            return wrap([build(items, dims[1:]) for _ in range(dims[0])])

        data = build(list(flat), shape)
        if len(shape) == 2 and kind != "bool" and rng.random() < 0.3:  # rows as arrays
            rows = np.array(flat).reshape(shape).tolist()
            data = deque(array.array("d" if kind == "float" else "q", row) for row in rows)
        outcome = []
        for mod in (torchlet, torch):
            try:
                t = mod.tensor(data)
                outcome.append((str(t.dtype), tuple(t.shape), t.tolist()))
            except Exception as e:  # noqa: BLE001 (the outcomes are compared)
                outcome.append(type(e).__name__)
        assert outcome[0] == outcome[1], (data, outcome)

"""Tensor.data's setter and requires_grad_/requires_grad's argument, as torch checks them:
``.data`` takes only a tensor, a floating one where the tensor requires grad, on the same
device kind (meta or not); ``requires_grad_`` takes a bool only (torch's parser: not 0, not
None, not numpy.bool_), and the ``requires_grad`` property raises its own RuntimeError.
nn.Module.type(int32) fails through the data setter, as in torch."""

from __future__ import annotations

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

CASES = [
    ("data_int_on_grad", lambda L: setattr(L.ones(2, requires_grad=True), "data",
                                           L.ones(2, dtype=L.int32)),
     RuntimeError, "data set to a tensor that requires gradients must be floating point"),
    ("data_list", lambda L: setattr(L.ones(2), "data", [1]),
     TypeError, "Variable data has to be a tensor, but got list"),
    ("data_meta", lambda L: setattr(L.ones(2), "data", L.ones(2, device="meta")),
     RuntimeError, "incompatible tensor type"),
    ("requires_grad_int", lambda L: L.ones(2).requires_grad_(0),
     TypeError, r"requires_grad_\(\): argument 'requires_grad' \(position 1\) must be bool, "
                r"not int"),
    ("requires_grad_none", lambda L: L.ones(2).requires_grad_(None),
     TypeError, "must be bool, not NoneType"),
    ("requires_grad_numpy_bool", lambda L: L.ones(2).requires_grad_(np.bool_(True)),
     TypeError, "must be bool, not numpy.bool"),
    ("requires_grad_keyword", lambda L: L.ones(2).requires_grad_(requires_grad=1),
     TypeError, "argument 'requires_grad' must be bool, not int"),
    ("requires_grad_two", lambda L: L.ones(2).requires_grad_(True, True),
     TypeError, "takes from 0 to 1 positional arguments but 2 were given"),
    ("requires_grad_unknown", lambda L: L.ones(2).requires_grad_(foo=1),
     TypeError, "unexpected keyword argument 'foo'"),
    ("requires_grad_property", lambda L: setattr(L.ones(2), "requires_grad", 1),
     RuntimeError, "requires_grad must be a bool"),
    ("module_requires_grad_int", lambda L: L.nn.Linear(2, 2).requires_grad_(0),
     TypeError, "must be bool, not int"),
    ("module_type_int", lambda L: L.nn.Linear(2, 2).type(L.int32),
     RuntimeError, "data set to a tensor that requires gradients must be floating point"),
]


@pytest.mark.parametrize("name, call, error, message", CASES, ids=[c[0] for c in CASES])
def test_refused_like_torch(name, call, error, message):
    with pytest.raises(error, match=message) as mine:
        call(torchlet)
    if torch is not None:
        with pytest.raises(error) as theirs:
            call(torch)
        assert str(mine.value) == str(theirs.value)


def test_accepted_forms():
    t = torchlet.ones(2)
    assert t.requires_grad_().requires_grad
    assert not torchlet.ones(2).requires_grad_(requires_grad=False).requires_grad
    u = torchlet.ones(2, requires_grad=True)
    u.data = torchlet.ones(3, dtype=torchlet.float64)  # another shape and float dtype: fine
    assert u.shape == (3,) and u.dtype == torchlet.float64 and u.requires_grad
    v = torchlet.ones(2)
    v.data = torchlet.arange(2, dtype=torchlet.int32)  # no grad: any dtype
    assert v.tolist() == [0, 1] and v.dtype == torchlet.int32


NEW_CASES = [
    ("new_zeros", lambda L: L.ones(2).new_zeros(2, requires_grad=1), TypeError,
     "new_zeros(): argument 'requires_grad' must be bool, not int"),
    ("new_tensor_none", lambda L: L.ones(2).new_tensor([1.0], requires_grad=None), TypeError,
     "new_tensor(): argument 'requires_grad' must be bool, not NoneType"),
    ("new_ones_pin", lambda L: L.ones(2).new_ones(2, pin_memory=1), TypeError,
     "new_ones(): argument 'pin_memory' must be bool, not int"),
    ("new_empty_pinned", lambda L: L.ones(2).new_empty(2, pin_memory=True), RuntimeError,
     "pin_memory=True requires a CUDA or other accelerator backend"),
    ("empty_strided", lambda L: L.empty_strided((2,), (1,), requires_grad=1), TypeError,
     "empty_strided(): argument 'requires_grad' must be bool, not int"),
    ("empty_strided_pinned", lambda L: L.empty_strided((2,), (1,), pin_memory=True),
     RuntimeError, "pin_memory=True requires a CUDA"),
]


@pytest.mark.parametrize("name, call, error, message", NEW_CASES, ids=[c[0] for c in NEW_CASES])
def test_new_and_strided_flags_like_torch(name, call, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")) as mine:
        call(torchlet)
    if torch is not None:
        with pytest.raises(error) as theirs:
            call(torch)
        assert str(mine.value) == str(theirs.value)
    # None is the default of new_zeros/new_full/empty_strided (not of new_tensor)
    assert torchlet.ones(2).new_zeros(2, requires_grad=None).shape == (2,)
    assert torchlet.empty_strided((2,), (1,), requires_grad=None).shape == (2,)

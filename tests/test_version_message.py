"""torch's error for a saved tensor changed in place before backward, compared with torch
2.13 whole (live): the tensor's type and shape, ", which is output N of <op>," for a
non-leaf (its grad_fn now, for a saved input; the node itself, for a saved output), the
versions, and the hint (anomaly detection on or off)."""

from __future__ import annotations

import warnings

import pytest

import torchlet

torch = pytest.importorskip("torch")


def _exp_output_changed(t):
    x = t.ones(3, requires_grad=True)
    y = x.exp()
    z = y.exp()
    y.add_(1)
    return z


def _input_rebased(t):
    x = t.ones(3, requires_grad=True)
    b = x * 1
    z = b * b
    b.add_(1)
    return z


def _constant_changed(t):
    x = t.ones(3, requires_grad=True)
    w = t.ones(3)
    z = x * w
    w.add_(1)
    return z


def _leaf_changed(t):
    x = t.ones(3, requires_grad=True)
    w = t.ones(3, requires_grad=True)
    z = x * w
    with t.no_grad():
        w.add_(1)
    return z


def _sigmoid_output(t):
    x = t.ones(3, requires_grad=True)
    b = x.sigmoid()
    b.mul_(2)
    return b


def _transposed_in_place(t):
    x = t.ones(3, 3, requires_grad=True)
    b = x @ x
    z = b * b
    b.t_()
    return z


def _bool_mask(t):
    x = t.ones(4, 3, requires_grad=True)
    m = x > 0
    y = x[m]
    m.fill_(False)
    return y


def _softmax_output(t):
    x = t.ones(2, 3, dtype=t.float64, requires_grad=True)
    y = t.nn.functional.softmax(x, 1)
    y.add_(1)
    return y


def _custom_function_output(t):
    class Double(t.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * 2

    b = Double.apply(t.ones(3, requires_grad=True))
    b.add_(1)
    return b


CASES = [_exp_output_changed, _input_rebased, _constant_changed, _leaf_changed,
         _sigmoid_output, _transposed_in_place, _bool_mask, _softmax_output,
         _custom_function_output]


def _message(lib, case, anomaly: bool) -> str:
    with pytest.raises(RuntimeError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.set_detect_anomaly(anomaly):
            case(lib).sum().backward()
    return str(info.value)


@pytest.mark.parametrize("anomaly", [False, True])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.lstrip("_"))
def test_modified_saved_tensor_message(case, anomaly):
    expected = _message(torch, case, anomaly)
    assert "modified by an inplace operation" in expected
    assert _message(torchlet, case, anomaly) == expected

"""``out=`` where torch takes it and torchlet did not: sum, mean, prod and nansum (with a
dim), any, argsort (its ``stable=`` overload), msort, diff, norm and isin; a meta ``out``
that stays meta; the cross-device refusal; the resize warning pointing at the caller's
line; the composite functions (norm 'nuc', quantile, linalg.cond) whose ``out`` becomes a
CopyBackwards node when the result requires grad.

Values are bit-exact (the same reductions as without ``out``). Each case checks a value
worked out here, and torch's outcome where torch is importable.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def _x(lib):
    return lib.arange(6.0).reshape(2, 3)


def _outcome(lib, call, out_dtype):
    """(result as a list, its dtype name, whether it is out) or (exception type, text)."""
    out = lib.empty(0, dtype=getattr(lib, out_dtype))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = call(lib, out)
    except Exception as error:  # noqa: BLE001 - the outcome is what is compared
        return type(error).__name__, str(error)
    return result.tolist(), str(result.dtype), result is out


CALLS = {
    "sum": lambda lib, o: lib.sum(_x(lib), 1, out=o),
    "sum_keepdim": lambda lib, o: lib.sum(_x(lib), 0, keepdim=True, out=o),
    "sum_dims": lambda lib, o: lib.sum(_x(lib), (0, 1), out=o),
    "sum_dtype": lambda lib, o: lib.sum(_x(lib), 1, dtype=lib.float64, out=o),
    "sum_int": lambda lib, o: lib.sum(_x(lib).long(), 1, out=o),
    "mean": lambda lib, o: lib.mean(_x(lib), 1, out=o),
    "mean_all": lambda lib, o: lib.mean(_x(lib), out=o),
    "mean_int": lambda lib, o: lib.mean(_x(lib).long(), 1, out=o),
    "prod": lambda lib, o: lib.prod(_x(lib) + 1, 1, out=o),
    "prod_no_dim": lambda lib, o: lib.prod(_x(lib), out=o),
    "nansum": lambda lib, o: lib.nansum(_x(lib) / _x(lib), 0, out=o),
    "any": lambda lib, o: lib.any(_x(lib), 1, out=o),
    "any_all_dims": lambda lib, o: lib.any(_x(lib), out=o),
    "all": lambda lib, o: lib.all(_x(lib), 1, out=o),
    "argsort_stable": lambda lib, o: lib.argsort(-_x(lib), stable=True, out=o),
    "argsort_dim": lambda lib, o: lib.argsort(_x(lib), stable=False, dim=0,
                                              descending=True, out=o),
    "argsort_no_stable": lambda lib, o: lib.argsort(_x(lib), out=o),
    "msort": lambda lib, o: lib.msort(-_x(lib), out=o),
    "diff": lambda lib, o: lib.diff(_x(lib) ** 2, out=o),
    "diff_n0": lambda lib, o: lib.diff(_x(lib), n=0, out=o),
    "norm": lambda lib, o: lib.norm(_x(lib), out=o),
    "norm_p1_dim": lambda lib, o: lib.norm(_x(lib), p=1, dim=1, out=o),
    "norm_nuc": lambda lib, o: lib.norm(_x(lib), p="nuc", out=o),
    "isin": lambda lib, o: lib.isin(_x(lib), lib.tensor([1.0, 4.0]), out=o),
}
OUT_DTYPES = ("float32", "float64", "float16", "int64", "int32", "uint8", "bool")


def test_values_worked_out_here():
    t = torchlet
    assert _outcome(t, CALLS["sum"], "float32") == ([3.0, 12.0], "torch.float32", True)
    # without dtype, the reduction runs in out's dtype: the floats become int64 first
    halves = t.tensor([[0.6, 0.6, 0.6]])
    out = t.empty(0, dtype=t.int64)
    assert t.sum(halves, 1, out=out).tolist() == [0]
    assert t.sum(halves, 1, out=t.empty(0, dtype=t.float64)).tolist() == [
        float(np.float32(0.6)) * 3]
    assert _outcome(t, CALLS["mean"], "float64") == ([1.0, 4.0], "torch.float64", True)
    assert _outcome(t, CALLS["prod"], "float32")[0] == [6.0, 120.0]
    assert _outcome(t, CALLS["nansum"], "float32")[0] == [1.0, 2.0, 2.0]  # 0/0 is NaN
    assert _outcome(t, CALLS["any"], "bool")[0] == [True, True]
    assert _outcome(t, CALLS["all"], "uint8")[:2] == ([0, 1], "torch.uint8")
    assert _outcome(t, CALLS["argsort_stable"], "int64")[0] == [[2, 1, 0], [2, 1, 0]]
    assert _outcome(t, CALLS["msort"], "float32")[0] == [[-3.0, -4.0, -5.0],
                                                          [0.0, -1.0, -2.0]]
    assert _outcome(t, CALLS["diff"], "float32")[0] == [[1.0, 3.0], [7.0, 9.0]]
    assert _outcome(t, CALLS["norm_p1_dim"], "float32")[0] == [3.0, 12.0]
    assert _outcome(t, CALLS["isin"], "bool")[0] == [[False, True, False],
                                                      [False, True, False]]


def test_dtype_rules_worked_out_here():
    t = torchlet
    error = _outcome(t, CALLS["sum_dtype"], "float32")
    assert error == ("RuntimeError", "Expected out tensor to have dtype double, but got "
                                     "float instead")
    assert _outcome(t, CALLS["mean"], "int64") == (
        "RuntimeError", "result type Float can't be cast to the desired output type Long")
    assert _outcome(t, CALLS["mean_int"], "float32")[0] == "RuntimeError"
    assert _outcome(t, CALLS["any"], "float32") == (
        "RuntimeError", "any only supports bool tensor for result, got: Float")
    assert _outcome(t, CALLS["isin"], "uint8")[0] == "RuntimeError"
    assert _outcome(t, CALLS["argsort_stable"], "int32")[0] == "RuntimeError"
    assert _outcome(t, CALLS["norm"], "float64")[0] == "RuntimeError"
    assert _outcome(t, CALLS["argsort_no_stable"], "int64")[0] == "TypeError"
    assert _outcome(t, CALLS["prod_no_dim"], "float32")[0] == "TypeError"


@needs_torch
@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", CALLS)
def test_outcomes_match_torch(name, out_dtype):
    mine = _outcome(torchlet, CALLS[name], out_dtype)
    theirs = _outcome(torch, CALLS[name], out_dtype)
    if len(theirs) == 2:  # an exception
        assert mine[0] == theirs[0], (mine, theirs)
        if theirs[0] != "TypeError":  # (torch's overload lists are not all reproduced)
            assert mine[1] == theirs[1]
    else:
        assert mine[0] == theirs[0]
        assert mine[1].split(".")[-1] == theirs[1].split(".")[-1]
        assert mine[2] is theirs[2] is True


GRAD_CALLS = {
    "sum": lambda lib, x, o: lib.sum(x, 1, out=o),
    "sum_dtype": lambda lib, x, o: lib.sum(x, 1, dtype=lib.float64, out=o),
    "mean": lambda lib, x, o: lib.mean(x, 1, out=o),
    "prod": lambda lib, x, o: lib.prod(x, 1, out=o),
    "nansum": lambda lib, x, o: lib.nansum(x, 1, out=o),
    "norm": lambda lib, x, o: lib.norm(x, out=o),
    "msort": lambda lib, x, o: lib.msort(x, out=o),
    "diff": lambda lib, x, o: lib.diff(x, out=o),
    "argsort": lambda lib, x, o: lib.argsort(x, stable=True, out=o),
}


@pytest.mark.parametrize("name", GRAD_CALLS)
def test_refuses_autograd(name):
    """Checked before the dtypes, as torch: an argsort out of the wrong dtype, or a sum's
    dtype= against out's, still gets the autograd refusal."""
    messages = []
    for lib in (torchlet, torch) if torch is not None else (torchlet,):
        x = _x(lib).requires_grad_()
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't "
                                               "support automatic differentiation") as info:
            GRAD_CALLS[name](lib, x, lib.empty(0))
        messages.append(str(info.value))
    assert len(set(messages)) == 1


@pytest.mark.parametrize("lib_name", ["torchlet", "torch"])
def test_composite_out_records_the_copy(lib_name):
    """norm(p='nuc'), quantile and linalg.cond compute, then copy into out in place: with
    a result requiring grad, out becomes a CopyBackwards node and backward reaches A."""
    if lib_name == "torch" and torch is None:
        pytest.skip("torch is not installed")
    lib = torchlet if lib_name == "torchlet" else torch
    lib.manual_seed(0)
    a = lib.randn(3, 3, requires_grad=True)
    for call in (lambda o: lib.norm(a, p="nuc", out=o), lambda o: lib.quantile(a, 0.5, out=o),
                 lambda o: lib.linalg.cond(a, out=o)):
        out = lib.empty(0)
        result = call(out)
        assert result is out
        assert result.grad_fn.name().endswith("CopyBackwards")
        result.backward()
        assert a.grad is not None and bool(lib.isfinite(a.grad).all())
        a.grad = None
    lib.manual_seed(0)
    b = lib.randn(3, 3, requires_grad=True)
    out = lib.empty(0)
    lib.quantile(b, 0.5, out=out).backward()
    # the median of 9 values: the gradient is 1 at it and 0 elsewhere
    assert b.grad.sum().item() == 1.0 and (b.grad == 0).sum().item() == 8


@pytest.mark.parametrize("call", [
    lambda lib, a, o: lib.add(a, 1, out=o),
    lambda lib, a, o: lib.exp(a, out=o),
    lambda lib, a, o: lib.amax(a, 0, out=o),
    lambda lib, a, o: lib.sum(a, 0, out=o),
    lambda lib, a, o: lib.mm(a, a.t(), out=o),
    lambda lib, a, o: lib.cat([a, a], out=o),
    lambda lib, a, o: lib.cumsum(a, 0, out=o),
    lambda lib, a, o: lib.clamp(a, 0, 1, out=o),
])
def test_meta_out_stays_meta_and_devices_must_agree(call):
    t = torchlet
    a = t.empty(2, 2, device="meta")
    out = t.empty(0, device="meta")
    result = call(t, a, out)
    assert result is out and out.device.type == "meta" and out.shape[0] in (2, 4)
    for a_device, out_device in (("meta", "cpu"), ("cpu", "meta")):
        with pytest.raises(RuntimeError, match=f"Attempting to copy from device {a_device} "
                                               f"to device {out_device}, but cross-device "
                                               "copies are not allowed!"):
            call(t, t.ones(2, 2, device=a_device), t.empty(0, device=out_device))
    if torch is not None:
        theirs = call(torch, torch.empty(2, 2, device="meta"), torch.empty(0, device="meta"))
        assert tuple(theirs.shape) == tuple(out.shape) and theirs.device.type == "meta"


def test_resize_warning_points_at_the_callers_line():
    t = torchlet
    a = t.ones(2, 2)
    for call in (lambda: t.mm(a, a, out=t.empty(5)), lambda: t.add(a, 1, out=t.empty(5)),
                 lambda: t.sort(a, out=(t.empty(5), t.empty(5, dtype=t.long))),
                 lambda: t.sum(a, 0, out=t.empty(5))):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught and all(w.filename == __file__ for w in caught), [
            w.filename for w in caught]
        assert "was resized since it had shape [5]" in str(caught[0].message)

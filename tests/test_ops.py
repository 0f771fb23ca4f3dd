"""Every operation spec in tests/specs/ against PyTorch: golden files, live torch, and
float64 gradcheck. See tests/opspec.py for what is compared."""

from __future__ import annotations

import re

import numpy as np
import pytest
from opspec import all_specs, compare, golden_result, load_golden, raised, run

import torchlet

try:
    import torch
except ImportError:  # the golden files stand in for torch
    torch = None

SPECS, ERROR_SPECS = all_specs()
GOLDEN_ARRAYS, GOLDEN_META = load_golden()
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_against_golden(spec):
    expected = golden_result(spec.name, GOLDEN_ARRAYS, GOLDEN_META)
    assert expected is not None, (
        f"no golden result for {spec.name}: run tests/golden/make_ops_golden.py"
    )
    compare(spec, run(torchlet, spec), expected)


@needs_torch
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_against_torch(spec):
    compare(spec, run(torchlet, spec), run(torch, spec))


def _float64_inputs(spec):
    tensors = []
    for arr, arg in zip(spec.inputs(), spec.args):
        if arr.dtype.kind == "f":
            t = torchlet.tensor(arr.astype(np.float64), requires_grad=arg.wants_grad())
        else:
            t = torchlet.tensor(arr)
        tensors.append(t)
    return tensors


def _differentiable(spec):
    def fn(*tensors):
        outs = spec.fn(torchlet, *tensors)
        outs = outs if isinstance(outs, tuple) else (outs,)
        return tuple(o for o in outs if isinstance(o, torchlet.Tensor) and o.requires_grad)
    return fn


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad and s.gradcheck],
                         ids=lambda s: s.name)
def test_gradcheck(spec):
    from torchlet.autograd.gradcheck import gradcheck

    inputs = _float64_inputs(spec)
    if not any(t.requires_grad for t in inputs):
        pytest.skip("no input requires grad")
    assert gradcheck(_differentiable(spec), tuple(inputs))


@pytest.mark.parametrize("spec", [s for s in SPECS if s.grad and s.gradcheck and s.gradgradcheck],
                         ids=lambda s: s.name)
def test_gradgradcheck(spec):
    from torchlet.autograd.gradcheck import gradgradcheck

    inputs = _float64_inputs(spec)
    if not any(t.requires_grad for t in inputs):
        pytest.skip("no input requires grad")
    assert gradgradcheck(_differentiable(spec), tuple(inputs))


@pytest.mark.parametrize("spec", ERROR_SPECS, ids=lambda s: s.name)
def test_error_against_golden(spec):
    expected = GOLDEN_META.get(spec.name)
    assert expected is not None, (
        f"no golden result for {spec.name}: run tests/golden/make_ops_golden.py"
    )
    error = raised(spec.fn, torchlet)
    assert error is not None, f"{spec.name}: torchlet raised nothing"
    assert type(error).__name__ == expected["error"], (
        f"{spec.name}: torchlet raised {type(error).__name__}: {error}; "
        f"torch raises {expected['error']}: {expected['message']}"
    )
    if spec.match:
        assert re.search(spec.match, str(error)), f"{spec.name}: message {error!s}"


@needs_torch
@pytest.mark.parametrize("spec", ERROR_SPECS, ids=lambda s: s.name)
def test_error_against_torch(spec):
    want = raised(spec.fn, torch)
    assert want is not None, f"{spec.name}: torch raised nothing (bad spec)"
    got = raised(spec.fn, torchlet)
    assert got is not None, f"{spec.name}: torchlet raised nothing; torch raises {want!r}"
    assert isinstance(got, type(want)) or type(got).__name__ == type(want).__name__, (
        f"{spec.name}: torchlet raised {type(got).__name__}: {got}; torch raises {want!r}"
    )

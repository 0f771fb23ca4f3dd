"""One table of operation specs drives every comparison with PyTorch.

A ``Spec`` names an expression written once for both libraries, ``fn(lib, *tensors)``,
and the inputs to run it on (``Arg``: shape, dtype, value range; the values come from a
generator seeded by the spec's name, so they are the same in every run and process).
For each spec the tests check, against PyTorch 2.13:

* forward values (bit-exact when ``exact=True``, else within ``rtol``/``atol``), dtypes,
  shapes, and the output's ``grad_fn`` name;
* gradients: the vector-Jacobian product for a seeded random ``grad_output``;
* float64 ``gradcheck`` (and ``gradgradcheck`` when the backward is differentiable).

Two oracles: ``tests/golden/ops.npz`` + ``ops.json`` (written by
``tests/golden/make_ops_golden.py`` with torch installed, committed, so the suite runs
without torch) and live torch when it can be imported. ``ErrorSpec`` does the same for bad
input: torchlet must raise the exception type torch raises.

Specs live in ``tests/specs/<module>.py`` as lists named ``SPECS`` and ``ERROR_SPECS``.
"""

from __future__ import annotations

import importlib
import pkgutil
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

GOLDEN_DIR = __import__("pathlib").Path(__file__).parent / "golden"


# Where implementations part ways: signed zeros, NaN, infinities, subnormals (float32's
# smallest normal is 1.2e-38), overflow of exp and squares, and a few ordinary numbers.
SPECIAL_VALUES = (
    0.0, -0.0, float("nan"), float("inf"), float("-inf"), 1.0, -1.0, 0.5, -0.5, 3.0, -3.0,
    1e-40, -1e-40, 1e-20, -1e-20, 100.0, -100.0, 1e30, -1e30, 6.0, -6.0,
)


@dataclass(frozen=True)
class Arg:
    """One input: a shape, a dtype and how to draw the values.

    kind: 'uniform' (low..high), 'positive' (0.5..2, safe for log/sqrt/division),
    'int' (integers low..high-1), 'bool', 'distinct' (a permutation scaled into
    low..high: no ties, for max/sort/kinks), 'unit' (-0.9..0.9, for asin/acos),
    'special' (``SPECIAL_VALUES`` in a seeded order, repeated to fill the shape: signed
    zeros, infinities, NaN, subnormals, huge and tiny numbers; low/high are ignored).
    """

    shape: tuple = ()
    dtype: str = "float32"
    kind: str = "uniform"
    low: float = -2.0
    high: float = 2.0
    requires_grad: bool | None = None  # default: every floating input

    def make(self, rng: np.random.Generator) -> np.ndarray:
        shape, dtype = self.shape, np.dtype(self.dtype)
        if self.kind == "int":
            return rng.integers(int(self.low), int(self.high), size=shape).astype(dtype)
        if self.kind == "bool":
            return rng.random(shape) < 0.5
        if self.kind == "positive":
            return rng.uniform(0.5, 2.0, size=shape).astype(dtype)
        if self.kind == "unit":
            return rng.uniform(-0.9, 0.9, size=shape).astype(dtype)
        if self.kind == "special":
            n = int(np.prod(shape))
            values = np.resize(rng.permutation(np.array(SPECIAL_VALUES)), n)
            return values.reshape(shape).astype(dtype)
        if self.kind == "distinct":
            n = int(np.prod(shape))
            values = rng.permutation(n).reshape(shape) / max(n, 1)
            return (self.low + values * (self.high - self.low)).astype(dtype)
        return rng.uniform(self.low, self.high, size=shape).astype(dtype)

    def wants_grad(self) -> bool:
        if self.requires_grad is not None:
            return self.requires_grad
        return np.dtype(self.dtype).kind == "f"


def A(*shape, dtype="float32", kind="uniform", low=-2.0, high=2.0, grad=None) -> Arg:  # noqa: N802
    """Shorthand: ``A(3, 4)`` is a float32 (3, 4) input drawn uniformly from [-2, 2)."""
    return Arg(tuple(shape), dtype, kind, low, high, grad)


@dataclass(frozen=True)
class Spec:
    name: str
    fn: Callable
    args: tuple
    exact: bool = False  # forward must match bit for bit
    rtol: float = 1.3e-6
    atol: float = 1e-5
    grad: bool = True  # compare gradients with torch
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-5
    gradcheck: bool = True  # float64 finite differences
    gradgradcheck: bool = True
    grad_fn: bool = True  # compare the output's grad_fn name

    def inputs(self) -> list:
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [a.make(rng) for a in self.args]


@dataclass(frozen=True)
class ErrorSpec:
    """``fn(lib)`` must raise the exception type torch raises."""

    name: str
    fn: Callable
    match: str | None = None  # a regex torchlet's message must contain (optional)
    extra: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# running a spec on one library


def _outputs(result) -> list:
    if isinstance(result, (tuple, list)):
        out = []
        for r in result:
            out.extend(_outputs(r))
        return out
    return [result]


def run(lib, spec: Spec, float64: bool = False) -> dict:
    """Run ``spec`` on ``lib`` (torch or torchlet); return NumPy results by key."""
    arrays = spec.inputs()
    tensors, wanted = [], []
    for arr, arg in zip(arrays, spec.args):
        if float64 and arr.dtype.kind == "f":
            arr = arr.astype(np.float64)
        t = lib.tensor(arr)
        if spec.grad and arg.wants_grad():
            t.requires_grad_(True)
            wanted.append(t)
        tensors.append(t)
    outs = _outputs(spec.fn(lib, *tensors))
    result = {}
    for i, o in enumerate(outs):
        if isinstance(o, lib.Tensor):
            result[f"out{i}"] = o.detach().numpy().copy()
            fn = o.grad_fn
            result[f"grad_fn{i}"] = None if fn is None else fn.name()
        else:
            result[f"out{i}"] = np.asarray(o)
            result[f"grad_fn{i}"] = None
    differentiable = [o for o in outs if isinstance(o, lib.Tensor) and o.requires_grad]
    if wanted and differentiable:
        rng = np.random.default_rng(zlib.crc32((spec.name + "/grad").encode()))
        grad_outputs = [lib.tensor(rng.standard_normal(o.shape).astype(o.detach().numpy().dtype))
                        for o in differentiable]
        grads = lib.autograd.grad(differentiable, wanted, grad_outputs, allow_unused=True)
        for i, g in enumerate(grads):
            result[f"grad{i}"] = None if g is None else g.numpy().copy()
    return result


def compare(spec: Spec, got: dict, expected: dict) -> None:
    """Assert torchlet's results ``got`` equal torch's ``expected``."""
    assert sorted(k for k in got if k.startswith("out")) == sorted(
        k for k in expected if k.startswith("out")
    ), f"{spec.name}: different number of outputs"
    for key, want in expected.items():
        have = got.get(key)
        if key.startswith("grad_fn"):
            if spec.grad_fn:
                assert have == want, f"{spec.name}: {key} is {have}, torch has {want}"
            continue
        if want is None or have is None:
            assert want is None and have is None, f"{spec.name}: {key}: {have} vs {want}"
            continue
        want, have = np.asarray(want), np.asarray(have)
        assert have.dtype == want.dtype, f"{spec.name}: {key} dtype {have.dtype} vs {want.dtype}"
        assert have.shape == want.shape, f"{spec.name}: {key} shape {have.shape} vs {want.shape}"
        if key.startswith("out") and want.dtype.kind == "f":
            # -0.0 == 0.0 for NumPy, but torch prints "-0." and 1 / x tells them apart
            zeros = want == 0
            assert np.array_equal(np.signbit(have[zeros]), np.signbit(want[zeros])), (
                f"{spec.name}: {key}: the sign of a zero differs from torch's")
        if key.startswith("out") and spec.exact:
            assert np.array_equal(have, want, equal_nan=True), f"{spec.name}: {key} not exact"
        elif key.startswith("out"):
            np.testing.assert_allclose(have, want, rtol=spec.rtol, atol=spec.atol,
                                       equal_nan=True, err_msg=f"{spec.name}: {key}")
        else:
            np.testing.assert_allclose(have, want, rtol=spec.grad_rtol, atol=spec.grad_atol,
                                       equal_nan=True, err_msg=f"{spec.name}: {key}")


def raised(fn, lib):
    """The exception ``fn(lib)`` raises (None if it returns)."""
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - we compare whatever is raised
        return e
    return None


# ---------------------------------------------------------------------------------------
# the table


def all_specs():
    """Every ``SPECS`` and ``ERROR_SPECS`` list in tests/specs/*.py."""
    import specs  # tests/specs

    found, errors = [], []
    for info in sorted(pkgutil.iter_modules(specs.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"specs.{info.name}")
        found.extend(getattr(module, "SPECS", []))
        errors.extend(getattr(module, "ERROR_SPECS", []))
    names = [s.name for s in found] + [s.name for s in errors]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate spec names: {sorted(duplicates)}"
    return found, errors


def load_golden():
    """(arrays, meta) from the committed golden files; empty if they don't exist yet."""
    import json

    npz_path, json_path = GOLDEN_DIR / "ops.npz", GOLDEN_DIR / "ops.json"
    if not npz_path.exists():
        return {}, {}
    with np.load(npz_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, json.loads(json_path.read_text())


def golden_result(name: str, arrays: dict, meta: dict) -> dict | None:
    """The torch results stored for spec ``name`` in the layout ``run`` returns."""
    if name not in meta:
        return None
    entry = meta[name]
    result = {}
    for key, value in entry["fields"].items():
        if key.startswith("grad_fn"):
            result[key] = value
        elif value is None:
            result[key] = None
        else:
            result[key] = arrays[f"{name}|{key}"]
    return result

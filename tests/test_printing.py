"""Tests for torchlet._printing: tensor repr must match PyTorch character for character.

The golden cases in tests/golden/printing.json were produced by real torch
(see tests/golden/make_printing_golden.py) and are replayed here without torch.
A second, live test compares against torch directly when it is installed.
"""

import base64
import importlib.util
import json
import math
import pathlib
import zlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
GOLDEN = pathlib.Path(__file__).with_name("golden") / "printing.json"


def _load_printing():
    # Prefer the package import; fall back to loading the file directly so these tests
    # also run before torchlet/__init__.py exists.
    try:
        from torchlet import _printing
    except Exception:  # noqa: BLE001 - the package may be mid-construction
        spec = importlib.util.spec_from_file_location(
            "torchlet_printing_standalone", ROOT / "torchlet" / "_printing.py"
        )
        _printing = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_printing)
    return _printing


P = _load_printing()
CASES = json.loads(GOLDEN.read_text())["cases"]


@pytest.fixture(autouse=True)
def _reset_printoptions():
    P.set_printoptions(profile="default")
    yield
    P.set_printoptions(profile="default")


def _decode(case) -> np.ndarray:
    raw = zlib.decompress(base64.b64decode(case["data_zlib_b64"]))
    dtype = np.dtype(case["dtype"]).newbyteorder("<")
    return np.frombuffer(raw, dtype=dtype).reshape(case["shape"])


def test_golden_table_is_large():
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden(case):
    P.set_printoptions(**case["options"])
    got = P.format_tensor(
        _decode(case),
        dtype_name=case["dtype_name"],
        default_dtype_name=case["default_dtype_name"],
        grad_fn_name=case["grad_fn_name"],
        requires_grad=case["requires_grad"],
    )
    assert case["repr_prefix"] + got == case["expected"]


def test_str_equals_repr():
    data = np.array([1.5, 2.5], dtype=np.float32)
    kwargs = {"dtype_name": "torch.float32", "default_dtype_name": "torch.float32"}
    assert P.format_tensor_str(data, **kwargs) == P.format_tensor(data, **kwargs)


def test_printoptions_defaults_and_profiles():
    assert P.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    P.set_printoptions(profile="short", precision=3, sci_mode=True)
    assert P.get_printoptions() == {
        "precision": 3,
        "threshold": 1000,
        "edgeitems": 2,
        "linewidth": 80,
        "sci_mode": True,
    }
    # As in torch, sci_mode is reset whenever it is not passed.
    P.set_printoptions(profile="full")
    opts = P.get_printoptions()
    assert opts["threshold"] == math.inf and opts["sci_mode"] is None
    with P.printoptions(precision=1):
        assert P.get_printoptions()["precision"] == 1
    assert P.get_printoptions() == opts


def test_prefix_sets_indentation():
    data = np.arange(40, dtype=np.int64).reshape(2, 20)
    out = P.format_tensor(
        data, dtype_name="torch.int64", default_dtype_name="torch.float32", prefix="x("
    )
    assert out.startswith("x([[ 0,  1,") and "\n   [20, 21," in out


# --- live comparison against torch ------------------------------------------------------


def _random_array(rng):
    dtype = rng.choice(["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"])
    shape = tuple(int(s) for s in rng.integers(0, 7, size=int(rng.integers(0, 5))))
    if rng.random() < 0.1:
        shape = (int(rng.integers(1000, 2500)),)  # large enough to be summarised
    raw = rng.standard_normal(shape) * 10.0 ** rng.integers(-7, 10)
    if rng.random() < 0.3:
        raw = np.round(raw)  # integer-valued floats exercise "int mode"
    if rng.random() < 0.2 and raw.size:
        specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0])
        raw.flat[rng.integers(0, raw.size, size=3)] = rng.choice(specials, size=3)
    if dtype == "bool":
        return np.asarray(raw > 0)
    if dtype.startswith("float"):
        with np.errstate(over="ignore"):
            return np.asarray(raw.astype(dtype))
    info = np.iinfo(dtype)
    # float(int64 max) rounds up to 2**63, which overflows the cast back; stay inside.
    lo, hi = max(info.min, -(2**62)), min(info.max, 2**62)
    raw = np.nan_to_num(raw, nan=0.0, posinf=hi, neginf=lo)
    return np.asarray(np.clip(raw, lo, hi).astype(dtype))


def _random_options(rng):
    choices = [
        {},
        {"precision": int(rng.integers(0, 9))},
        {"sci_mode": bool(rng.random() < 0.5)},
        {"linewidth": int(rng.integers(20, 140))},
        {"threshold": int(rng.integers(5, 50))},
        {"edgeitems": int(rng.integers(0, 4)), "threshold": 20},
        {"profile": str(rng.choice(["default", "short", "full"]))},
    ]
    return choices[int(rng.integers(0, len(choices)))]


@pytest.mark.parametrize("seed", range(300))
def test_live_against_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    data = _random_array(rng)
    options = _random_options(rng)
    default = torch.float64 if rng.random() < 0.2 else torch.float32
    t = torch.from_numpy(data.copy())
    grad = None
    if t.is_floating_point() and rng.random() < 0.3:
        t = t.requires_grad_()
        if rng.random() < 0.5:
            t = t * 1
            grad = type(t.grad_fn).__name__
    torch.set_default_dtype(default)
    torch.set_printoptions(**options)
    try:
        expected = repr(t)
    finally:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)
    P.set_printoptions(**options)
    got = P.format_tensor(
        data,
        dtype_name=str(t.dtype),
        default_dtype_name=str(default),
        grad_fn_name=grad,
        requires_grad=t.requires_grad,
    )
    assert got == expected

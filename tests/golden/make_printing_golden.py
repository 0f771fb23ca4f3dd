"""Regenerate tests/golden/printing.json from real PyTorch.

Run from the repository root with torch installed:

    python tests/golden/make_printing_golden.py

Every case records the exact bytes of the printed tensor (little-endian, zlib-compressed,
base64, with shape and NumPy dtype), so float32/float16 values are bit-exact; plus the print
options, default dtype, autograd metadata and the string ``repr(tensor)`` returned.
The test (tests/test_printing.py) replays these without needing torch.
"""

import base64
import json
import math
import pathlib
import zlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).with_name("printing.json")

NP_DTYPES = {
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "bool": np.bool_,
    "complex64": np.complex64,
    "complex128": np.complex128,
}
FLOATS = ["float16", "float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8"]

cases = []


def add(name, t, options=None, default_dtype=None, repr_prefix=""):
    """Print tensor ``t`` with torch under the given options and record the result."""
    options = options or {}
    if default_dtype is not None:
        torch.set_default_dtype(getattr(torch, default_dtype))
    torch.set_printoptions(**options)
    try:
        expected = repr(t)
    finally:
        torch.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)
    arr = np.array(t.detach().numpy(), order="C")  # (ascontiguousarray makes 0-d 1-d)
    raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    dtype_key = arr.dtype.name
    if not expected.startswith(repr_prefix):
        raise AssertionError(f"{name}: {expected!r} lacks prefix {repr_prefix!r}")
    cases.append(
        {
            "name": name,
            "dtype": dtype_key,
            "shape": list(arr.shape),
            "data_zlib_b64": base64.b64encode(zlib.compress(raw, 9)).decode(),
            "dtype_name": str(t.dtype),
            "default_dtype_name": f"torch.{default_dtype or 'float32'}",
            "grad_fn_name": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
            "requires_grad": t.requires_grad,
            "options": options,
            "repr_prefix": repr_prefix,
            "expected": expected,
        }
    )


def arr(values, dtype):
    return torch.from_numpy(np.array(values, dtype=NP_DTYPES[dtype]))


rng = np.random.default_rng(1234)

# --- the examples quoted in the project brief ---------------------------------------
add(
    "brief_uniform10",
    torch.tensor([0.8982, 0.805, 0.6393, 0.9983, 0.5731, 0.0469, 0.556, 0.1476, 0.8404, 0.5544]),
)
add("brief_scalar", torch.tensor(2.1438))
torch.manual_seed(0)
add("brief_randn5", torch.randn(5))
add("float32_point_one", torch.tensor([0.1, 0.2, 0.3]))

# --- every dtype: 0-d, small 1-d/2-d/3-d, and the three empty shapes -----------------
for dt in FLOATS + INTS + ["bool", "complex64", "complex128"]:
    if dt == "bool":
        scalar, vec = True, [True, False, True]
    elif dt == "uint8":
        scalar, vec = 7, [0, 255, 17]
    elif dt in INTS:
        scalar, vec = -7, [-100, 0, 127]
    elif dt.startswith("complex"):
        scalar, vec = 1.5 - 2j, [1 + 2j, -0.5j, 3.25 + 0j]
    else:
        scalar, vec = 3.1416, [-1.5, 0.25, 100.125]
    add(f"{dt}_0d", arr(scalar, dt))
    add(f"{dt}_1d", arr(vec, dt))
    add(f"{dt}_2d", arr([vec, vec[::-1]], dt))
    add(f"{dt}_3d", arr([[vec, vec], [vec[::-1], vec]], dt))
    for shape in [(0,), (2, 0), (0, 3), (1, 0, 2)]:
        add(
            f"{dt}_empty_{'x'.join(map(str, shape))}",
            torch.from_numpy(np.zeros(shape, dtype=NP_DTYPES[dt])),
        )

# --- float style selection: int mode / fixed / scientific ------------------------------
float_values = {
    "large_1e8": [1e8, 2.0, 3.0],
    "above_1e8": [1.5e8, 1.0],
    "exact_1e8_int": [1e8, 1e8],
    "tiny_1e-5": [1e-5, 0.5],
    "tiny_only": [1e-5, 2e-5, 3.5e-5],
    "boundary_1e-4": [1e-4, 2e-4],
    "mixed_magnitudes": [1e-3, 1.0, 1e3, 12345.678],
    "ratio_1000": [1.0, 1000.0],
    "ratio_1001": [1.0, 1001.0],
    "ratio_just_over": [0.5, 500.5],
    "integer_valued": [1.0, 2.0, -3.0, 100.0],
    "integer_valued_big": [123456.0, -7.0],
    "nan_inf": [float("nan"), float("inf"), -float("inf"), 1.5],
    "nan_inf_ints": [float("nan"), float("inf"), -float("inf"), 2.0],
    "only_nonfinite": [float("nan"), float("inf")],
    "neg_zero": [-0.0, 0.0, 1.0],
    "neg_zero_frac": [-0.0, 0.5],
    "neg_zero_sci": [-0.0, 1e-6],
    "all_zero": [0.0, 0.0],
    "neg_zero_only": [-0.0],
    "rounding_half": [0.00005, 0.12345, 2.5, 0.5],
    "negatives": [-1.25, -1000.5, 3.0],
    "huge": [1e30, -1e-30, 5.0],
    "small_ints_sci": [1.0, 1e9],
}
for name, values in float_values.items():
    for dt in FLOATS:
        with np.errstate(over="ignore"):
            add(f"{dt}_{name}", arr(values, dt))
add("float32_0d_nan", torch.tensor(float("nan")))
add("float32_0d_neg_inf", torch.tensor(-float("inf")))
add("float32_0d_neg_zero", torch.tensor(-0.0))
add("float32_0d_tiny", torch.tensor(1e-7))
add("float32_0d_int", torch.tensor(5.0))
add("float64_0d_big", torch.tensor(123456789.0, dtype=torch.float64))
add("int64_0d_big", torch.tensor(-(2**62)))
add("int_mixed_width", torch.tensor([1, -22, 333, -4444, 55555]))
add("complex_nan", torch.tensor([complex(float("nan"), 1.0), complex(1.0, float("inf"))]))
add("complex_neg_zero_imag", torch.tensor([complex(1.0, -0.0), 2j]))

# --- shapes: 1-d to 4-d, line wrapping ---------------------------------------------------
add("row_1x30", torch.from_numpy(rng.standard_normal((1, 30)).astype(np.float32)))
add("vec_30", torch.from_numpy(rng.standard_normal(30).astype(np.float32)))
add("vec_30_sci", torch.from_numpy((rng.standard_normal(30) * 1e6).astype(np.float32)))
add("wrap_3d", torch.from_numpy(rng.standard_normal((2, 3, 30)).astype(np.float32)))
add("wrap_ints", torch.arange(0, 3000, 100).reshape(1, 30))
add("uint8_wide", torch.from_numpy(rng.integers(0, 256, (4, 40), dtype=np.uint8)))
add("bool_wide", torch.from_numpy(rng.random((3, 25)) > 0.5))
add("float16_wrap", torch.from_numpy(rng.standard_normal((3, 20)).astype(np.float16)))
add("4d", torch.from_numpy(rng.standard_normal((2, 2, 3, 4)).astype(np.float32)))
add("4d_int", torch.arange(48, dtype=torch.int32).reshape(2, 3, 2, 4))
add("5d", torch.from_numpy(rng.standard_normal((2, 1, 2, 1, 3))))
add("singleton_dims", torch.ones(1, 1, 1))
add("column", torch.from_numpy(rng.standard_normal((5, 1)).astype(np.float32)))
add(
    "complex_wrap",
    torch.from_numpy(
        (rng.standard_normal((2, 12)) + 1j * rng.standard_normal((2, 12))).astype(np.complex64)
    ),
)

# --- summarisation -----------------------------------------------------------------------
add("arange_2000", torch.arange(2000))
add("arange_2000_float", torch.arange(2000, dtype=torch.float32))
add("arange_1000_not_summarised", torch.arange(1000))
add("arange_1001", torch.arange(1001))
add("randn_50x50", torch.from_numpy(rng.standard_normal((50, 50)).astype(np.float32)))
add("randn_3x400", torch.from_numpy(rng.standard_normal((3, 400)).astype(np.float32)))
add("randn_400x3", torch.from_numpy(rng.standard_normal((400, 3)).astype(np.float32)))
add("randn_7x5x4x8", torch.from_numpy(rng.standard_normal((7, 5, 4, 8)).astype(np.float32)))
add("int_11x10x10", torch.arange(-550, 550, dtype=torch.int16).reshape(11, 10, 10))
add("bool_2000", torch.from_numpy(rng.random(2000) > 0.3))
# The hidden middle holds a huge value: it must not influence the style.
hidden = np.ones(3000, dtype=np.float32)
hidden[1500] = 1e20
add("summary_hides_outlier", torch.from_numpy(hidden))
add(
    "summary_complex",
    torch.from_numpy(
        (rng.standard_normal(1100) + 1j * rng.standard_normal(1100)).astype(np.complex64)
    ),
)

# --- print options -----------------------------------------------------------------------
mixed = torch.tensor([1.123456789, -22.5, 0.000123, 3.0])
plain = torch.tensor([1.123456789, -22.5, 0.5, 3.0])
for precision in (0, 2, 8, 10):
    add(f"precision_{precision}", plain, {"precision": precision})
    add(f"precision_{precision}_sci", mixed, {"precision": precision})
add("sci_mode_true", plain, {"sci_mode": True})
add("sci_mode_false", mixed, {"sci_mode": False})
add("sci_mode_true_ints", torch.tensor([1.0, 2.0, 300.0]), {"sci_mode": True})
add("sci_mode_false_huge", torch.tensor([1e10, 1.0]), {"sci_mode": False})
add("sci_mode_true_int_dtype", torch.tensor([1, 2, 3]), {"sci_mode": True})
add("sci_mode_true_0d", torch.tensor(0.5), {"sci_mode": True})
randn_40 = torch.from_numpy(rng.standard_normal(40).astype(np.float32))
add("linewidth_40", randn_40, {"linewidth": 40})
add(
    "linewidth_40_2d",
    torch.from_numpy(rng.standard_normal((3, 12)).astype(np.float32)),
    {"linewidth": 40},
)
add("linewidth_120", randn_40, {"linewidth": 120})
add("linewidth_5", torch.tensor([1.5, 2.5, 3.5]), {"linewidth": 5})
add("profile_short", randn_40, {"profile": "short"})
add("profile_short_big", torch.arange(2000.0), {"profile": "short"})
add("profile_full", torch.arange(2000), {"profile": "full"})
add("profile_full_precision", plain, {"profile": "full", "precision": 6})
add("profile_default", plain, {"profile": "default"})
add("threshold_5", torch.arange(10), {"threshold": 5})
add("threshold_5_2d", torch.arange(64.0).reshape(8, 8), {"threshold": 5})
add("threshold_5_small", torch.arange(8.0).reshape(2, 2, 2), {"threshold": 5})
add("edgeitems_1", torch.arange(2000).reshape(20, 100), {"edgeitems": 1})
add("edgeitems_5", torch.arange(2000).reshape(20, 100), {"edgeitems": 5})
add("edgeitems_0_1d", torch.arange(10.5, 20.5), {"edgeitems": 0, "threshold": 5})
add("edgeitems_0_2d", torch.arange(64).reshape(8, 8), {"edgeitems": 0, "threshold": 5})
add("edgeitems_0_not_summarised", torch.tensor([1.5, 2.5]), {"edgeitems": 0})
add("threshold_inf", torch.arange(1500), {"threshold": math.inf})

# --- default dtype float64 ----------------------------------------------------------------
for dt in ["float32", "float64", "float16", "int64", "complex64", "complex128"]:
    sample = [1.5, -2.25] if not dt.startswith("int") else [1, 2]
    add(f"default_float64_{dt}", arr(sample, dt), default_dtype="float64")
    add(f"default_float64_empty_{dt}", arr([], dt), default_dtype="float64")


# --- autograd suffixes and their line wrapping ---------------------------------------------
def leaf(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype, requires_grad=True)


add("requires_grad", leaf([1.5, 2.5]))
add("requires_grad_0d", leaf(2.1438))
add("grad_fn_mul", leaf([1.5, 2.5]) * 1)
add("grad_fn_0d", leaf(2.1438) * 1)
add("grad_fn_clone", leaf([[1.0, 2.0], [3.0, 4.0]]).clone())
add("grad_fn_sum", leaf([1.5, 2.5]).sum())
add("grad_fn_dtype", leaf([1.5, 2.5], torch.float64) * 1)
add("requires_grad_dtype", leaf([1.5, 2.5], torch.float16))
add("requires_grad_empty", leaf([], torch.float64))
add(
    "grad_fn_wrap_3x400",
    torch.from_numpy(rng.standard_normal((3, 400)).astype(np.float32)).requires_grad_() * 1,
)
add("requires_grad_2d", leaf(rng.standard_normal((4, 9)).astype(np.float32).tolist()))
# Vectors whose last line ends near column 80, so suffixes straddle the wrap limit.
for n in range(5, 13):
    add(f"suffix_wrap_{n}", leaf([1.25] * n, torch.float64))
    add(f"suffix_wrap_grad_fn_{n}", leaf([1.25] * n, torch.float64) * 1)
for n in range(7, 11):
    add(f"suffix_wrap_dtype_grad_{n}", leaf([-1.25] * n, torch.float16) * 1)
add("suffix_wrap_linewidth_40", leaf([1.5, 2.5, 3.5], torch.float64), {"linewidth": 40})
add("size_and_dtype_edge0", torch.arange(10, dtype=torch.int32), {"edgeitems": 0, "threshold": 5})
add(
    "parameter",
    torch.nn.Parameter(torch.tensor([[0.5, -1.5], [2.0, 3.25]])),
    repr_prefix="Parameter containing:\n",
)
add(
    "parameter_no_grad",
    torch.nn.Parameter(torch.tensor([1, 2]), requires_grad=False),
    repr_prefix="Parameter containing:\n",
)

# --- seeded random mix ----------------------------------------------------------------------
for i in range(40):
    dt = ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"][i % 7]
    shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(0, 4))))
    scale = 10.0 ** rng.integers(-6, 9)
    raw = rng.standard_normal(shape) * scale
    if dt == "bool":
        values = raw > 0
    elif dt.startswith("float"):
        with np.errstate(over="ignore"):  # large float16 values become inf: fine
            values = raw.astype(NP_DTYPES[dt])
    else:
        info = np.iinfo(NP_DTYPES[dt])
        values = np.clip(raw, info.min, info.max).astype(NP_DTYPES[dt])
    opts = [{}, {"precision": 3}, {"sci_mode": False}, {"linewidth": 50}][i % 4]
    add(f"random_{i}_{dt}", torch.from_numpy(np.asarray(values)), opts)

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), "duplicate case names"
OUT.write_text(json.dumps({"torch_version": torch.__version__, "cases": cases}, indent=1) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")

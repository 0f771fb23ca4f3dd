"""Differential-hunt regressions for tensor printing (torchlet/_printing.py).

Each test checks a hand-written expectation (so it means something without torch) and,
where torch is installed, compares with torch live.  The sampled test at the end draws
a fixed set of random tensors and print options and compares ``repr`` exactly.
"""

import numpy as np
import pytest

import torchlet
from torchlet import _printing as P

try:
    import torch
except ImportError:  # the hand-derived expectations still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


@pytest.fixture(autouse=True)
def _reset_printoptions():
    P.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")
    yield
    P.set_printoptions(profile="default")
    if torch is not None:
        torch.set_printoptions(profile="default")


def _fmt(data, dtype_name, **kwargs):
    return P.format_tensor(
        np.asarray(data), dtype_name=dtype_name, default_dtype_name="torch.float32", **kwargs
    )


# --- tensor_contents: torch's Tensor.__repr__(tensor_contents=...) --------------------

# (values, dtype, kwargs, contents, expected) -- the expectations are torch's output.
CONTENTS_CASES = [
    (np.ones(2, np.float32), "torch.float32", {}, "XYZ", "tensor(XYZ)"),
    (np.ones(2, np.int32), "torch.int32", {}, "XYZ", "tensor(XYZ, dtype=torch.int32)"),
    (
        np.ones(2, np.float32),
        "torch.float32",
        {"requires_grad": True},
        "[1, 2]",
        "tensor([1, 2], requires_grad=True)",
    ),
    (
        np.zeros(0, np.int32),
        "torch.int32",
        {},
        "[1, 2]",
        "tensor([1, 2], dtype=torch.int32)",
    ),
    (
        np.zeros((2, 0), np.float32),
        "torch.float32",
        {"grad_fn_name": "MulBackward0"},
        "C",
        "tensor(C, size=(2, 0), grad_fn=<MulBackward0>)",
    ),
    (
        np.zeros(2, np.float32),
        "torch.float32",
        {"meta": True},
        "[1, 2]",
        "tensor([1, 2], device='meta', size=(2,))",
    ),
]


@pytest.mark.parametrize("data, dtype_name, kwargs, contents, expected", CONTENTS_CASES)
def test_tensor_contents_replaces_values_keeps_suffixes(
    data, dtype_name, kwargs, contents, expected
):
    assert _fmt(data, dtype_name, tensor_contents=contents, **kwargs) == expected


@needs_torch
def test_tensor_contents_matches_torch():
    got = []
    want = []
    for data, dtype_name, kwargs, contents, _ in CONTENTS_CASES:
        t = torch.from_numpy(data.copy())
        if kwargs.get("meta"):
            t = torch.empty(data.shape, dtype=t.dtype, device="meta")
        if kwargs.get("requires_grad"):
            t.requires_grad_()
        if kwargs.get("grad_fn_name"):
            t = t.requires_grad_() * 2
        want.append(t.__repr__(tensor_contents=contents))
        got.append(_fmt(data, dtype_name, tensor_contents=contents, **kwargs))
    assert got == want


# --- summarised vectors: only the shown edges are formatted -----------------------------


def test_summarised_vector_large_and_negative_edgeitems():
    # A 10**6 vector shows its 3 first and last values; the middle is never formatted.
    x = np.arange(10**6, dtype=np.int64)
    assert _fmt(x, "torch.int64") == (
        "tensor([     0,      1,      2,  ..., 999997, 999998, 999999])"
    )
    # torch's quirk with edgeitems=-1: x[:-1] and x[1:] are shown around the "...".
    P.set_printoptions(edgeitems=-1, threshold=3)
    got = _fmt(np.arange(10.0, dtype=np.float32), "torch.float32")
    assert got == (
        "tensor([0., 1., 2., 3., 4., 5., 6., 7., 8.,  ..., 1., 2., 3., 4., 5., 6., 7., 8.,\n"
        "        9.])"
    )
    if torch is not None:
        torch.set_printoptions(edgeitems=-1, threshold=3)
        assert repr(torch.arange(10.0)) == got


# --- sampled differential test against torch --------------------------------------------

# Floating dtypes are drawn three times as often: their formatting has the most branches.
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64"] + [
    "float16",
    "float32",
    "float64",
] * 3
_SPECIALS = [np.nan, np.inf, -np.inf, -0.0, 9.99995, 1e-4, 1e8, 1.0000001e8, 0.00015]


def _sample(rng):
    dtype = _DTYPES[rng.integers(len(_DTYPES))]
    kind = rng.integers(5)
    if kind == 0:
        shape = ()
    elif kind in (1, 4):
        shape = tuple(int(s) for s in rng.integers(1, [1500, 50, 12][rng.integers(3)], 1))
        shape = shape if rng.random() < 0.5 else (shape[0] // 40 + 1, 41)
    else:
        shape = tuple(int(s) for s in rng.integers(0 if kind == 2 else 1, 8, rng.integers(1, 5)))
    n = int(np.prod(shape))
    if dtype == "bool":
        values = rng.random(n) < 0.5
    elif dtype[0] in "iu":
        info = np.iinfo(dtype)
        values = rng.integers(info.min, int(info.max) + 1, n, dtype=np.int64)
    else:
        values = rng.standard_normal(n) * 10.0 ** rng.uniform(-10, 10)
        if rng.random() < 0.3:
            values = np.round(values)
        if rng.random() < 0.3:
            mask = rng.random(n) < 0.2
            values[mask] = rng.choice(_SPECIALS, int(mask.sum()))
    with np.errstate(over="ignore"):
        values = values.astype(dtype).reshape(shape)
    options = {}
    if rng.random() < 0.6:
        for key, lo, hi in (
            ("precision", 0, 8),
            ("threshold", 0, 300),
            ("edgeitems", 0, 5),
            ("linewidth", 10, 150),
        ):
            if rng.random() < 0.4:
                options[key] = int(rng.integers(lo, hi))
        if rng.random() < 0.4:
            options["sci_mode"] = [True, False, None][rng.integers(3)]
    layout = ["plain", "transposed", "sliced"][rng.integers(3)]
    requires_grad = dtype.startswith("float") and rng.random() < 0.3
    return values, options, layout, requires_grad


_SAMPLES = [_sample(np.random.default_rng(1600 + i)) for i in range(80)]


def _build(mod, values, layout, requires_grad):
    t = mod.tensor(
        values.tolist(), dtype=getattr(mod, str(values.dtype)), requires_grad=requires_grad
    )
    if layout == "transposed" and t.dim() >= 2:
        t = t.transpose(0, -1)
    elif layout == "sliced" and t.dim() >= 1:
        t = t[::2]
    return t


@needs_torch
@pytest.mark.parametrize("case", range(len(_SAMPLES)))
def test_sampled_repr_matches_torch(case):
    values, options, layout, requires_grad = _SAMPLES[case]
    P.set_printoptions(**options)
    torch.set_printoptions(**options)
    mine = _build(torchlet, values, layout, requires_grad)
    theirs = _build(torch, values, layout, requires_grad)
    assert repr(mine) == repr(theirs)
    assert str(mine) == str(theirs)
    if theirs.dim() == 0:
        assert f"{mine:.3e}" == f"{theirs:.3e}"
    if theirs.dim() >= 1 and theirs.numel() and theirs.dtype != torch.float16:
        assert repr(mine.max(0)) == repr(theirs.max(0))


def test_parameter_formats_as_an_object_and_tensor_contents_reaches_repr():
    """torch formats a 0-d tensor as its number only when it is a plain Tensor: a 0-d
    Parameter with '.2f' is TypeError, with '' its str; Tensor.__repr__ passes
    tensor_contents on."""
    p = torchlet.nn.Parameter(torchlet.tensor(1.5))
    with pytest.raises(TypeError, match="unsupported format string passed to "
                                        "Parameter.__format__"):
        format(p, ".2f")
    assert format(p, "") == "Parameter containing:\ntensor(1.5000, requires_grad=True)"
    assert format(torchlet.tensor(2.5), ".1f") == "2.5"
    t = torchlet.tensor([1, 2], dtype=torchlet.int32)
    assert t.__repr__(tensor_contents="XYZ") == "tensor(XYZ, dtype=torch.int32)"

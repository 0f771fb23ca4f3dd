"""keepdim without dim: torch's overload without dim takes no keepdim (a TypeError),
while an explicit ``dim=None`` (sum, mean) takes it; the plain forms stay as before."""

import numpy as np
import pytest

import torchlet

NO_DIM_KEEPDIM = [  # (each a TypeError in torch 2.13)
    "torch.sum(x, keepdim=True)", "torch.sum(x, keepdim=False)", "x.sum(keepdim=True)",
    "x.sum(keepdim=False)", "torch.sum(x, dtype=torch.float64, keepdim=True)",
    "x.sum(dtype=torch.float64, keepdim=True)", "torch.sum(x, keepdim=True, out=y)",
    "torch.mean(x, keepdim=True)", "x.mean(keepdim=False)", "x.mean(keepdims=True)",
    "torch.mean(x, dtype=torch.float64, keepdim=True)", "torch.mean(x, keepdim=True, out=y)",
    "torch.prod(x, keepdim=True)", "x.prod(keepdim=False)", "torch.prod(x, None, True)",
    "torch.prod(x, dim=None, keepdim=True)", "x.prod(dtype=torch.float64, keepdim=True)",
    "torch.max(x, keepdim=True)", "x.max(keepdim=False)", "torch.max(x, None, True)",
    "torch.min(x, dim=None, keepdim=True)", "x.min(keepdim=True)",
    "torch.max(x, x, keepdim=False)", "x.median(keepdim=True)", "x.nanmedian(keepdim=False)",
]
VALID = [
    "torch.sum(x, None, True)", "torch.sum(x, dim=None, keepdim=True)", "x.sum(None, True)",
    "x.sum(axis=None, keepdims=True)", "torch.mean(x, None, True)", "x.mean(dim=None)",
    "torch.nansum(x, keepdim=True)", "x.amax(keepdim=True)", "torch.std(x, keepdim=True)",
    "x.prod(0, True)", "torch.prod(x, dim=1, keepdim=True)", "x.max(1, True)",
    "torch.min(x, 0, keepdim=False)", "x.max(x)", "torch.min(x, x)", "x.sum()", "x.mean()",
    "x.prod()", "x.max()", "torch.sum(x, dtype=torch.float64)", "x.median(0, True)",
]

# torch's words differ there (keyword order; an explicit dim=None): the error type matches
TYPE_ONLY = {"torch.mean(x, dtype=torch.float64, keepdim=True)", "torch.prod(x, None, True)",
             "torch.prod(x, dim=None, keepdim=True)", "torch.max(x, None, True)",
             "torch.min(x, dim=None, keepdim=True)"}


def _run(mod, expr):
    x = mod.arange(6.0).reshape(2, 3)
    y = mod.zeros(())
    try:
        result = eval(expr, {"torch": mod, "x": x, "y": y})
    except TypeError as error:
        return "TypeError", str(error)
    if isinstance(result, tuple):
        result = result[0]
    return result.dtype, tuple(result.shape), result.tolist()


@pytest.mark.parametrize("expr", NO_DIM_KEEPDIM)
def test_keepdim_without_dim_is_a_type_error(expr):
    kind, message = _run(torchlet, expr)
    assert kind == "TypeError"
    assert "invalid combination" in message or 'required positional arguments: "dim"' in message


def test_messages():
    assert _run(torchlet, "x.sum(keepdim=True)")[1].startswith(
        "sum() received an invalid combination of arguments - got (keepdim=bool, ), but "
        "expected one of:\n * (*, torch.dtype dtype = None)\n * (tuple of ints dim, bool "
        "keepdim = False, *, torch.dtype dtype = None)\n")
    assert _run(torchlet, "torch.prod(x, keepdim=True)")[1].startswith(
        "prod() received an invalid combination of arguments - got (Tensor, keepdim=bool)")
    assert _run(torchlet, "torch.sum(x, dtype=torch.float64, keepdim=True)")[1] == \
        'sum() missing 1 required positional arguments: "dim"'


@pytest.mark.parametrize("expr", VALID)
def test_valid_forms(expr):
    got = _run(torchlet, expr)
    assert got[0] != "TypeError", got
    if expr in ("torch.sum(x, None, True)", "x.sum(None, True)"):  # hand-derived
        assert got[1:] == ((1, 1), [[15.0]])


@pytest.mark.parametrize("expr", NO_DIM_KEEPDIM + VALID)
def test_against_torch(expr):
    torch = pytest.importorskip("torch")
    want, got = _run(torch, expr), _run(torchlet, expr)
    assert got[0] == "TypeError" if want[0] == "TypeError" else got[0] != "TypeError"
    if want[0] == "TypeError":
        if expr not in TYPE_ONLY:
            assert want[1].splitlines()[0].replace("keepdims", "keepdim") == \
                got[1].splitlines()[0]
    else:
        assert (str(got[0]), got[1:]) == (str(want[0]), want[1:])


def test_sampled_reductions_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    for _ in range(40):
        ndim = int(rng.integers(0, 4))
        a = rng.standard_normal(tuple(int(s) for s in rng.integers(1, 4, ndim)))
        name = str(rng.choice(["sum", "mean", "prod", "max", "min"]))
        keep = bool(rng.integers(2))
        dim = int(rng.integers(-ndim, ndim)) if ndim else 0
        for kwargs in ({}, {"dim": dim, "keepdim": keep}):
            want = getattr(torch.tensor(a), name)(**kwargs)
            got = getattr(torchlet.tensor(a), name)(**kwargs)
            want, got = (want[0], got[0]) if isinstance(want, tuple) else (want, got)
            assert tuple(got.shape) == tuple(want.shape)
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)

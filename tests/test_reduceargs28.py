"""reduceargs28: reductions given arguments of the wrong type raise torch's TypeError with
torch's words, compared live with torch 2.13.0 (each case is skipped where torch is not
installed):

1. a ``keepdim`` that is no bool (a str, None, a float, an int, a NumPy bool, a list) is
   refused by every reduction taking one (torch's parser: "argument 'keepdim' must be
   bool"), not read as true or false;
2. a ``dtype`` that is no dtype (a str NumPy would read as a type code, a number, a list)
   is torch's "argument 'dtype' must be torch.dtype", not NumPy's error (or a result);
3. a ``dim`` of max/min (no int, no tensor) and of all/any (no int, no tuple of ints) is
   an invalid combination of their overloads; a ``correction`` of var/std that is no
   number fits none of theirs (no "unsupported operand" from the arithmetic);
4. the same reductions given valid arguments still give torch's results.
"""

import re

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _outcome(code: str, lib):
    """(exception type name, message) of running ``code`` with ``torch`` bound to ``lib``
    (the library's name normalised), or ("ok", the result as a list)."""
    names = {"torch": lib, "np": np}
    exec("t = torch.arange(6.).reshape(2, 3)", names)  # noqa: S102
    try:
        result = eval(code, names)  # noqa: S307 - (the call compared on both libraries)
    except Exception as error:  # noqa: BLE001 - the exception is what is compared
        message = re.sub(r"0x[0-9a-f]+", "0x?", str(error)).replace("torchlet", "torch")
        return type(error).__name__, message
    if isinstance(result, tuple):
        return "ok", [r.tolist() for r in result]
    return "ok", result.tolist()


def _same(code: str) -> None:
    torch = _torch()
    expected = _outcome(code, torch)
    assert expected[0] != "ok" or "(" in code  # (a sanity check of the harness)
    assert _outcome(code, torchlet) == expected


_BAD_BOOLS = ["'a'", "None", "1.0", "1", "np.bool_(True)", "[True]", "np.float64(1)"]

# reductions whose dim overload takes ``keepdim``, as methods by keyword (any/all: torch
# lists their overloads instead, and for mean, max, min, any, all as functions: there
# torchlet's words are the bool message, not compared)
_KEEPDIM = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
            "logsumexp", "median", "nanmedian", "mode", "nansum", "nanmean"]
_FUNCTIONS = ["sum", "prod", "amax", "amin", "argmax", "argmin", "logsumexp", "median",
              "nanmedian", "mode", "nansum", "nanmean"]

KEEPDIM = ([f"t.{r}(1, keepdim={b})" for r in _KEEPDIM for b in _BAD_BOOLS[:3]]
           + [f"torch.{r}(t, 1, keepdim={b})" for r in _FUNCTIONS for b in _BAD_BOOLS[3:]]
           + [f"t.kthvalue(1, keepdim={b})" for b in _BAD_BOOLS]
           + [f"torch.aminmax(t, keepdim={b})" for b in _BAD_BOOLS[:4]]
           + [f"t.{r}(keepdim={b})" for r in ("amax", "argmin", "nansum", "nanmean")
              for b in ("'a'", "None")]
           + ["t.norm(1, keepdim='a')", "t.norm(keepdim=None)", "torch.norm(t, 2, 1, 1)"])


@pytest.mark.parametrize("code", KEEPDIM)
def test_keepdim_must_be_bool(code):
    _same(code)


DTYPE = ([f"t.{r}(0, dtype={b})" for r in ("sum", "prod", "nansum", "mean", "nanmean",
                                           "cumsum", "cumprod")
          for b in ("'a'", "'float32'", "1.0", "True", "[True]", "np.float64(1)")]
         + ["torch.cumsum(t, 0, dtype='a')", "torch.sum(t, 1, dtype='int64')",
            "t.nanmean(dtype=True)", "t.norm(dtype='a')", "t.norm(0, dtype=1.0)",
            "torch.norm(t, dtype=[True])"])


@pytest.mark.parametrize("code", DTYPE)
def test_dtype_must_be_dtype(code):
    _same(code)


DIMS = (["t.max('a')", "t.min(1.0)", "t.max([1])", "t.min(np.float64(1))",
         "torch.max(t, 'a')", "torch.min(t, 1.0)", "torch.max(t, [True])", "torch.min(t, True)",
         "t.any(1.0)", "t.all('a')", "t.any(True)", "t.all([True])", "t.any(np.float64(0))"]
        + [f"t.{r}(1, correction={b})" for r in ("var", "std")
           for b in ("'a'", "[True]", "[1]")]
        + ["torch.std(t, 1, correction='a')", "torch.var_mean(t, 0, correction=[1])"])


@pytest.mark.parametrize("code", DIMS)
def test_dim_and_correction_types(code):
    _same(code)


VALID = ["t.sum(1, keepdim=True)", "t.sum(0, dtype=torch.float64)", "t.sum(dtype=float)",
         "torch.sum(t, (0, 1), True)", "t.mean(1, False)", "t.max(1, True)",
         "t.min(np.int64(1))", "t.any(1, keepdim=True)", "t.all((0, 1))",
         "t.amax(1, keepdim=False)", "t.argmax(1, True)", "t.kthvalue(1, 1, True)",
         "torch.aminmax(t, dim=1, keepdim=True)", "t.median(1, True)", "t.mode(1, True)",
         "t.logsumexp(1, True)", "t.nansum(1, keepdim=True, dtype=torch.float64)",
         "t.nanmean(1, True)", "t.cumsum(1, dtype=torch.int64)", "t.cumprod(0, dtype=int)",
         "t.prod(1, True, dtype=torch.float64)", "t.norm(2, 1, True)",
         "t.norm(dtype=torch.float64)", "t.std(1, correction=0)", "t.var(1, correction=1.5)",
         "t.var(correction=np.float64(2))", "t.std(1, keepdim=True)",
         "torch.var_mean(t, 1, correction=True)", "t.count_nonzero(1)"]


@pytest.mark.parametrize("code", VALID)
def test_valid_calls_as_torch(code):
    _same(code)

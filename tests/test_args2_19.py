"""Argument errors as torch's: median/nanmedian's dim and keepdim, and the arithmetic
Tensor methods' argument errors (positions counted without self, the method's own
signatures and name, in place too)."""
import numpy as np
import pytest

import torchlet

MISSING = 'median() missing 1 required positional arguments: "dim"'


def _error(mod, expr):
    a = mod.ones(3)
    try:
        eval(expr, {"torch": mod, "a": a})
    except (TypeError, AttributeError) as error:  # (maximum_: no such method in either)
        return f"{type(error).__name__}: {error}".replace("torchlet", "torch")
    return None


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_keepdim_without_dim_and_none_dim(name):
    a = torchlet.ones(3)
    fn = getattr(torchlet, name)
    for kwargs in ({"keepdim": True}, {"keepdim": False}):
        with pytest.raises(TypeError, match=f'^{name}\\(\\) missing 1 required'):
            fn(a, **kwargs)
    for args in ((None,), (None, True), (0.5,)):
        with pytest.raises(TypeError, match=f"^{name}\\(\\): argument 'dim' \\(position 2\\)"
                                            " must be int"):
            fn(a, *args)
    assert fn(a).item() == 1.0  # no dim: still the median of all
    assert fn(a, 0, True).values.shape == (1,)
    assert getattr(a, name)().item() == 1.0
    assert getattr(a, name)(np.int64(0)).values.item() == 1.0


def test_median_errors_match_torch():
    torch = pytest.importorskip("torch")
    for expr in ["torch.median(a, keepdim=True)", "torch.nanmedian(a, keepdim=False)",
                 "torch.median(a, None, True)", "torch.nanmedian(a, None)",
                 "torch.median(a, None, out=(torch.empty(0), torch.empty(0).long()))",
                 "a.median(keepdim=True)", "a.nanmedian(None)"]:
        assert _error(torchlet, expr) == _error(torch, expr), expr
    assert _error(torchlet, "torch.median(a, keepdim=True)") == "TypeError: " + MISSING


def test_method_positions_and_signatures():
    a = torchlet.ones(3)
    with pytest.raises(TypeError, match=r"^add\(\): argument 'other' \(position 1\) must "
                                        "be Tensor, not tuple$"):
        a.add((2,))
    with pytest.raises(TypeError, match=r"^add\(\): argument 'other' \(position 2\)"):
        torchlet.add(a, (2,))  # (the function counts input)
    expected = ("pow_() received an invalid combination of arguments - got (tuple), but "
                "expected one of:\n * (Tensor exponent)\n      didn't match because some "
                "of the arguments have invalid types: (!tuple of (int,)!)\n * (Number "
                "exponent)\n      didn't match because some of the arguments have invalid "
                "types: (!tuple of (int,)!)\n")
    assert _error(torchlet, "a.pow_((2,))") == "TypeError: " + expected
    assert _error(torchlet, "a.pow((2,))") == "TypeError: " + expected.replace("pow_", "pow")
    assert _error(torchlet, "a.div((2,), rounding_mode='floor')") == (
        "TypeError: div() received an invalid combination of arguments - got "
        "(tuple, rounding_mode=str), but expected one of:\n * (Tensor other)\n"
        " * (Tensor other, *, str rounding_mode)\n"
        " * (Number other, *, str rounding_mode)\n")
    assert torchlet.ones(2).add(1).tolist() == [2.0, 2.0]  # the good path untouched


OPS = ["add", "sub", "mul", "div", "pow", "floor_divide", "remainder", "fmod", "atan2",
       "hypot", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"]
BAD = ["(2,)", "[1., 2]", "'s'", "None"]


def test_method_errors_match_torch_sampled():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    forms = ["a.{op}({x})", "a.{op}_({x})", "torch.{op}(a, {x})"]
    for _ in range(60):
        op = OPS[rng.integers(len(OPS))]
        if op in ("eq", "ne", "lt", "le", "gt", "ge"):
            form = forms[rng.choice([0, 2])]  # (their in-place forms: not yet torch's)
        else:
            form = forms[rng.integers(3)]
        expr = form.format(op=op, x=BAD[rng.integers(len(BAD))])
        assert _error(torchlet, expr) == _error(torch, expr), expr

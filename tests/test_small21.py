"""small21: Mul/Div saved numbers, rsub/normal argument errors, var/std overloads."""

import warnings

import numpy as np
import pytest

import torchlet


def _x(dtype=torchlet.float32):
    return torchlet.ones(3, dtype=dtype, requires_grad=True)


# -- 1. x * 2: _saved_other is the number as torch's parser wraps it -------------------

SAVED_CASES = [
    # (expression, dtype, expected _saved_other value, its torchlet dtype, _saved_self)
    (lambda L, x: x * 2, "float32", 2, "int64", None),
    (lambda L, x: 2 * x, "float64", 2, "int64", None),
    (lambda L, x: x * 2.5, "float32", 2.5, "float64", None),
    (lambda L, x: x * True, "float32", True, "bool", None),
    (lambda L, x: x / 2, "float32", 2, "int64", None),
    (lambda L, x: x.div(3), "float64", 3, "int64", None),
    (lambda L, x: L.mul(x, 2), "float32", 2, "int64", None),
    (lambda L, x: x * np.float32(2.5), "float32", 2.5, "float64", None),
    (lambda L, x: x * np.int16(-3), "float32", -3, "int64", None),
    (lambda L, x: x * np.bool_(True), "float32", 1.0, "float64", None),  # (read as a float)
    (lambda L, x: x * 2, "float16", 2, "int64", None),  # MulNumber
    (lambda L, x: x / 2.5, "float16", 2.5, "float64", None),  # DivNumber
    (lambda L, x: x.clone().mul_(2.5), "float32", 2.5, "float64", None),
    (lambda L, x: x.div(2, rounding_mode="floor"), "float32", 2, "int64", None),
    (lambda L, x: x.div(2.5, rounding_mode="trunc"), "float16", 2.5, "float64", None),
]


@pytest.mark.parametrize("i", range(len(SAVED_CASES)))
def test_saved_number_operand(i):
    fn, dt, value, out_dt, saved_self = SAVED_CASES[i]
    node = fn(torchlet, _x(getattr(torchlet, dt))).grad_fn
    other = node._saved_other
    assert other.dtype == getattr(torchlet, out_dt) and other.shape == ()
    assert other.item() == value and other.grad_fn is None
    assert node._saved_self is saved_self
    torch = pytest.importorskip("torch")
    ref = fn(torch, torch.ones(3, dtype=getattr(torch, dt), requires_grad=True)).grad_fn
    assert ref.name() == node.name()
    assert str(ref._saved_other.dtype) == str(other.dtype)
    assert ref._saved_other.item() == other.item()
    assert ref._saved_self is None


def test_saved_number_as_self_and_rounding_mode():
    x = _x()
    node = torchlet.mul(2, x).grad_fn  # the number is self: saved, other not
    assert node._saved_other is None and node._saved_self.dtype == torchlet.int64
    node = torchlet.div(2, x).grad_fn
    assert node._saved_other is x and node._saved_self.item() == 2
    y = torchlet.full((3,), 2.0, dtype=torchlet.float64, requires_grad=True)
    node = x.div(y, rounding_mode="floor").grad_fn
    # torch saves the tensors given (not the float64 copy of x) and the mode
    assert node._saved_self is x and node._saved_other is y
    assert node._saved_rounding_mode == "floor"
    ints = torchlet.tensor([2, 3, 4])
    assert x.div(ints, rounding_mode="trunc").grad_fn._saved_other.dtype == torchlet.int64


def test_saved_number_freed_after_backward_and_unsaved_stays_none():
    for fn in (lambda x: x * 2, lambda x: x / 2, lambda x: x.div(2, rounding_mode="floor"),
               lambda x: x.half() * 2):
        x = _x()
        out = fn(x)
        out.sum().backward()
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out.grad_fn._saved_other  # noqa: B018
        assert out.grad_fn._saved_self is None  # never saved: None, as torch


def test_div_rounded_inplace_change_of_saved_divisor_is_an_error():
    x = _x()
    w = torchlet.full((3,), 2.0, requires_grad=True) * 1
    out = x.div(w, rounding_mode="floor")
    w.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_tensor_times_tensor_saved_unchanged():
    x, y = _x(), _x() * 3
    node = (x * y).grad_fn
    assert node._saved_other is y and node._saved_self is x
    node = (x * y.detach()).grad_fn
    assert node._saved_self is None
    assert not hasattr(node, "given")  # (nothing kept on the Tensor * Tensor path)


def test_saved_number_values_unchanged():
    """The node still computes with the number in x's dtype: results and gradients."""
    x = torchlet.tensor([0.1, 0.7, 3.0], requires_grad=True)
    (x * 0.1).sum().backward()
    assert np.array_equal(x.grad.numpy(), np.full(3, np.float32(0.1)))
    assert np.array_equal((x / 3).detach().numpy(), x.detach().numpy() / np.float32(3))


# -- 2. rsub / normal argument errors ----------------------------------------------------

RSUB_OVERLOADS = (" * (Tensor input, Tensor other, *, Number alpha = 1)\n"
                  " * (Tensor input, Number other, Number alpha = 1)\n")


def test_rsub_bad_positional_arguments():
    t = torchlet.ones(2)
    with pytest.raises(TypeError) as info:
        torchlet.rsub(t, 2, "x")
    assert str(info.value) == (
        "rsub() received an invalid combination of arguments - got (Tensor, int, str), but "
        "expected one of:\n" + RSUB_OVERLOADS + "      didn't match because some of the "
        "arguments have invalid types: (Tensor, !int!, !str!)\n")
    with pytest.raises(TypeError, match=r"got \(Tensor, Tensor, int\)"):
        torchlet.rsub(t, t, 3)  # (alpha by position only after a number)
    with pytest.raises(TypeError, match=r"got \(Tensor\), but"):
        torchlet.rsub(t)
    with pytest.raises(TypeError, match="some of the keywords were incorrect: foo"):
        torchlet.rsub(t, 2, foo=1)
    with pytest.raises(TypeError, match=r"got \(Tensor, int, alpha=str\)"):
        torchlet.rsub(t, 2, alpha="x")


def test_rsub_positional_alpha():
    t = torchlet.tensor([1.0, 2.0])
    assert torchlet.rsub(t, 2, 3).tolist() == [-1.0, -4.0]  # 2 - 3 t
    assert torchlet.rsub(t, torchlet.tensor(2.0), 3).tolist() == [-1.0, -4.0]
    with pytest.raises(RuntimeError, match="Boolean alpha"):
        torchlet.rsub(t, 2, True)


NORMAL_CALLS = [
    lambda L, t: L.normal(0, t, "x"), lambda L, t: L.normal(t, 1, "x"),
    lambda L, t: L.normal(t, t, None), lambda L, t: L.normal(0, 1),
    lambda L, t: L.normal(0, 1, 2), lambda L, t: L.normal("a", t),
    lambda L, t: L.normal(t, 1, (2,)), lambda L, t: L.normal(0, t, foo=1),
    lambda L, t: L.normal(0, t, generator=3), lambda L, t: L.normal(),
    lambda L, t: L.normal(0, 1, (2,), None),
]


@pytest.mark.parametrize("i", range(len(NORMAL_CALLS)))
def test_normal_refused_arguments(i):
    with pytest.raises(TypeError) as info:
        NORMAL_CALLS[i](torchlet, torchlet.ones(2))
    assert "normal() received an invalid combination of arguments - got (" in str(info.value)
    assert ("(float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
            "Tensor out = None, torch.dtype") in str(info.value)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError) as ref:
        NORMAL_CALLS[i](torch, torch.ones(2))
    assert str(ref.value) == str(info.value)


def test_normal_valid_calls_still_work():
    t = torchlet.ones(2)
    assert torchlet.normal(t).shape == (2,)
    assert torchlet.normal(0, t).shape == (2,)
    assert torchlet.normal(t, 0.5).shape == (2,)
    assert torchlet.normal(0, 1, (2, 3)).shape == (2, 3)
    assert torchlet.normal(mean=0.0, std=1.0, size=[4]).shape == (4,)
    with pytest.raises(TypeError, match=r'missing 1 required positional arguments: "mean"'):
        torchlet.normal(std=t)
    with pytest.raises(TypeError, match="takes 3 positional arguments but 5 were given"):
        torchlet.normal(0, 1, (2,), None, None)


# -- 3. var / std overloads ----------------------------------------------------------------


def test_var_without_dim_refuses_unbiased_with_keepdim():
    x = torchlet.ones(3, 4)
    with pytest.raises(TypeError) as info:
        torchlet.var(x, unbiased=False, keepdim=True)
    assert str(info.value) == (
        "var() received an invalid combination of arguments - got (Tensor, keepdim=bool, "
        "unbiased=bool), but expected one of:\n"
        " * (Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False, *, "
        "Tensor out = None)\n"
        " * (Tensor input, tuple of ints dim = None, *, Number correction = None, "
        "bool keepdim = False, Tensor out = None)\n"
        " * (Tensor input, bool unbiased = True)\n")
    with pytest.raises(TypeError) as info:
        x.std(unbiased=False, keepdim=True)
    assert str(info.value) == (
        "std() received an invalid combination of arguments - got (keepdim=bool, "
        "unbiased=bool, ), but expected one of:\n"
        " * (tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
        " * (tuple of ints dim = None, *, Number correction = None, bool keepdim = False)\n"
        " * (bool unbiased = True)\n")
    with pytest.raises(TypeError, match=r"std_mean\(\) received .* got \(Tensor, int, "
                                        r"unbiased=NoneType\)"):
        torchlet.std_mean(x, 0, unbiased=None)


def test_var_overloads_hand_values():
    x = torchlet.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=torchlet.float64)
    assert x.var(unbiased=True).item() == pytest.approx(2.9166666666666665)
    assert x.var(None, False, True).shape == (1, 1)
    assert torchlet.var(x, False).item() == pytest.approx(2.1875)
    assert x.var(keepdim=True, correction=0).item() == pytest.approx(2.1875)
    assert x.std(0, True, keepdim=True).tolist() == [pytest.approx([2 ** 0.5, 4.5 ** 0.5])]
    for bad in (lambda: x.var(True, keepdim=True), lambda: x.var(0, True, correction=None),
                lambda: x.var(keepdim=None), lambda: x.var(unbiased=True, correction=1),
                lambda: torchlet.var_mean(x, 0, 1)):
        with pytest.raises(TypeError, match="invalid combination"):
            bad()


_OM = "omitted"


def _sampled_moment_calls():
    rng = np.random.default_rng(21)
    values = {"dim": [_OM, None, 0, (0, 1), -1, True], "unbiased": [_OM, None, True, False],
              "keepdim": [_OM, True, False, None], "correction": [_OM, None, 0, 2]}
    calls = []
    for _ in range(120):
        picked = {k: v[rng.integers(len(v))] for k, v in values.items()}
        npos = int(rng.integers(0, 4))
        pos, kw = [], {}
        for i, name in enumerate(("dim", "unbiased", "keepdim")):
            if picked[name] is _OM:
                npos = min(npos, i)
            elif i < npos:
                pos.append(picked[name])
            else:
                kw[name] = picked[name]
        if picked["dim"] is True and "dim" in kw:  # (a bool dim by name: not told apart)
            continue
        if picked["correction"] is not _OM:
            kw["correction"] = picked["correction"]
        calls.append((str(rng.choice(["var", "std", "var_mean", "std_mean"])),
                      bool(rng.integers(2)), tuple(pos), kw))
    return calls


def _moment_outcome(lib, fn, method, pos, kw, data):
    x = lib.tensor(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (degrees of freedom <= 0)
            if method and fn in ("var", "std"):
                out = getattr(x, fn)(*pos, **kw)
            else:
                out = getattr(lib, fn)(x, *pos, **kw)
    except Exception as error:  # noqa: BLE001 - the outcome compared is the error's type
        return type(error).__name__
    outs = out if isinstance(out, tuple) else (out,)
    return [np.asarray(o.tolist()).round(9).tolist() for o in outs]


def test_sampled_moment_overloads_against_torch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((3, 4))
    calls = _sampled_moment_calls()
    errors = 0
    for fn, method, pos, kw in calls:
        got = _moment_outcome(torchlet, fn, method, pos, kw, data)
        assert got == _moment_outcome(torch, fn, method, pos, kw, data), (fn, method, pos, kw)
        errors += isinstance(got, str)
    assert 20 < errors < len(calls) - 20  # both kinds of outcome were sampled

"""small20: the aliases' argument errors (subtract, multiply, divide, true_divide, the
comparison aliases and the in-place comparisons) in torch's words; addmv/addbmm keep alpha
and beta as given; lerp/pow keep a NumPy integer weight/exponent as an int."""

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise import arithmetic


def _function(lib, name):
    return getattr(lib, name)


def test_the_aliases_are_the_public_functions():
    assert torchlet.subtract is arithmetic.subtract
    assert torchlet.multiply is arithmetic.multiply


def test_numpy_bool_scalar_reads_back_as_float():
    # torch's parser reads np.True_ as a Scalar double: _saved_alpha is 1.0, not True
    a = torchlet.ones(2, 2, requires_grad=True)
    saved = torchlet.addmm(a, a, a, alpha=np.True_).grad_fn._saved_alpha
    assert saved == 1.0 and type(saved) is float


def _outcome(fn):
    try:
        result = fn()
    except Exception as error:  # noqa: BLE001 - the outcome is what is compared
        return type(error).__name__, str(error)
    return "ok", type(result).__name__


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------
# hand-derived expectations (meaningful without torch)


def test_subtract_names_itself_and_its_overloads():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        arithmetic.subtract(x, "a")
    assert str(info.value) == (
        "subtract() received an invalid combination of arguments - got (Tensor, str), but "
        "expected one of:\n"
        " * (Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)\n"
        " * (Tensor input, Number other, Number alpha = 1)\n")


def test_multiply_method_marks_the_argument():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        x.multiply_([1, 2])
    assert str(info.value) == (
        "multiply_() received an invalid combination of arguments - got (list), but "
        "expected one of:\n"
        " * (Tensor other)\n"
        "      didn't match because some of the arguments have invalid types: "
        "(!list of [int, int]!)\n"
        " * (Number other)\n"
        "      didn't match because some of the arguments have invalid types: "
        "(!list of [int, int]!)\n")


def test_divide_lists_its_four_overloads():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError) as info:
        torchlet.divide(x, None)
    message = str(info.value)
    assert message.startswith("divide() received an invalid combination")
    assert message.count(" * (") == 4
    assert "(Tensor input, Number other)\n      didn't match" in message


def test_inplace_comparison_names_itself():
    x = torchlet.tensor([1.0, 2.0])
    for method in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "not_equal_", "less_",
                   "less_equal_", "greater_", "greater_equal_"):
        with pytest.raises(TypeError, match=rf"^{method}\(\) received an invalid combination"):
            getattr(x, method)("a")
    assert x.tolist() == [1.0, 2.0]  # nothing written


def test_comparison_aliases_name_themselves():
    x = torchlet.tensor([1.0, 2.0])
    for name in ("not_equal", "less", "less_equal", "greater", "greater_equal"):
        with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination"):
            getattr(torchlet, name)(x, "a")
        with pytest.raises(TypeError, match=rf"^{name}\(\) received an invalid combination"):
            getattr(x, name)(None)
    assert torchlet.greater(x, 1).tolist() == [False, True]
    assert x.less_equal(1).tolist() == [True, False]


def test_aliases_still_compute():
    x = torchlet.tensor([3.0, 4.0])
    assert arithmetic.subtract(x, 1, alpha=2).tolist() == [1.0, 2.0]
    assert arithmetic.multiply(x, 2).tolist() == [6.0, 8.0]
    assert torchlet.divide(x, 2, rounding_mode="floor").tolist() == [1.0, 2.0]
    assert torchlet.true_divide(x, 2).tolist() == [1.5, 2.0]
    y = x.clone()
    assert y.subtract_(1).multiply_(2).divide_(4).true_divide_(0.5).tolist() == [2.0, 3.0]
    assert x.clone().greater_equal_(4).tolist() == [0.0, 1.0]


def test_rounding_mode_not_a_str_is_a_type_error():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^div\(\) received an invalid combination of "
                                        r"arguments - got \(Tensor, Tensor, rounding_mode=int\)"):
        torchlet.div(x, x, rounding_mode=1)
    with pytest.raises(TypeError, match=r"^divide_\(\) received an invalid combination"):
        x.divide_(x, rounding_mode=1)
    with pytest.raises(RuntimeError, match="rounding_mode to be one of"):
        torchlet.div(x, x, rounding_mode="bad")  # a str: the kernel's error


def test_alpha_not_a_number_is_the_parsers_type_error():
    x = torchlet.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^sub\(\): argument 'alpha' must be Number, not str$"):
        torchlet.sub(x, 1, alpha="a")
    with pytest.raises(TypeError, match=r"^add\(\): argument 'alpha' must be Number, not list"):
        torchlet.add(x, 1, alpha=[1])
    with pytest.raises(TypeError, match=r"^subtract_\(\) received an invalid combination"):
        x.subtract_(1, alpha=None)


@pytest.mark.parametrize("op", ["addmv", "addbmm", "addmv_", "addbmm_"])
def test_addmv_addbmm_keep_alpha_beta_as_given(op):
    rng = np.random.default_rng(0)
    shapes = {"addmv": ((3,), (3, 4), (4,)), "addbmm": ((3, 5), (2, 3, 4), (2, 4, 5))}
    bias, m1, m2 = (torchlet.tensor(rng.standard_normal(s), requires_grad=True)
                    for s in shapes[op.rstrip("_")])
    for beta, alpha in ((1, 1), (2, 0.5), (True, False), (np.int64(3), np.float32(0.25))):
        if op.endswith("_"):
            out = getattr(bias.clone(), op)(m1, m2, beta=beta, alpha=alpha)
        else:
            out = getattr(torchlet, op)(bias, m1, m2, beta=beta, alpha=alpha)
        node = out.grad_fn
        for saved, given in ((node._saved_alpha, alpha), (node._saved_beta, beta)):
            expected = given.item() if isinstance(given, np.generic) else given
            assert type(saved) is type(expected) and saved == expected
        product = (m1.detach().numpy() @ m2.detach().numpy())
        if op.startswith("addbmm"):
            product = product.sum(0)
        np.testing.assert_allclose(out.detach().numpy(),
                                   float(beta) * bias.detach().numpy() + float(alpha) * product,
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("number", [np.int64(2), np.int32(3), np.uint8(2), np.int8(-1)])
def test_lerp_pow_keep_numpy_integers_as_ints(number):
    x = torchlet.tensor([0.5, 2.0], requires_grad=True)
    end = torchlet.tensor([1.0, 3.0])
    for node in (x.pow(number).grad_fn, torchlet.pow(x, number).grad_fn,
                 (x ** number).grad_fn, x.clone().pow_(number).grad_fn):
        assert type(node._saved_exponent) is int and node._saved_exponent == int(number)
    for node in (torchlet.lerp(x, end, number).grad_fn, x.clone().lerp_(end, number).grad_fn):
        assert type(node._saved_weight) is int and node._saved_weight == int(number)
    w = int(number)
    assert torchlet.lerp(x, end, number).tolist() == [0.5 + w * 0.5, 2.0 + w * 1.0]
    assert x.pow(number).dtype == torchlet.float32
    assert torchlet.pow(torchlet.tensor([2, 3]), np.int64(2)).tolist() == [4, 9]
    out = x.pow(number)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), w * np.array([0.5, 2.0]) ** (w - 1), rtol=1e-6)


def test_numpy_float_weight_stays_float():
    x = torchlet.tensor([0.0, 1.0], requires_grad=True)
    node = torchlet.lerp(x, x * 2, np.float32(0.5)).grad_fn
    assert type(node._saved_weight) is float and node._saved_weight == 0.5
    node = x.pow(np.float64(0.1)).grad_fn
    assert type(node._saved_exponent) is float and node._saved_exponent == 0.1


# ---------------------------------------------------------------------------------------
# live comparisons with torch


FUNCTIONS = ["subtract", "multiply", "divide", "true_divide", "not_equal", "less",
             "less_equal", "greater", "greater_equal"]
METHODS = ["subtract", "multiply", "divide", "true_divide", "subtract_", "multiply_",
           "divide_", "true_divide_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_", "not_equal_",
           "less_", "less_equal_", "greater_", "greater_equal_", "not_equal", "less",
           "less_equal", "greater", "greater_equal"]
BAD = ["a", None, [1, 2], (1,), {1: 2}, object]


def _bad_call(lib, kind, name, bad, first=False, kwargs=None):
    x = lib.tensor([1.0, 2.0, 3.0])
    if kind == "function":
        args = (bad, x) if first else (x, bad)
        return lambda: _function(lib, name)(*args, **(kwargs or {}))
    return lambda: getattr(x, name)(bad, **(kwargs or {}))


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_alias_type_errors_as_torch(name):
    torch = _torch()
    for bad in BAD:
        for first in (False, True):
            want = _outcome(_bad_call(torch, "function", name, bad, first))
            got = _outcome(_bad_call(torchlet, "function", name, bad, first))
            assert got == want, (name, bad, first)


@pytest.mark.parametrize("name", METHODS)
def test_method_alias_type_errors_as_torch(name):
    torch = _torch()
    for bad in BAD:
        want = _outcome(_bad_call(torch, "method", name, bad))
        got = _outcome(_bad_call(torchlet, "method", name, bad))
        assert got == want, (name, bad)


def test_sampled_alias_calls_as_torch():
    """A fixed sample of alias calls (good and bad operands, keyword arguments torch
    parses) compared with torch: outcome, error message, dtype and values."""
    torch = _torch()
    rng = np.random.default_rng(20)
    operands = ["tensor", "int", "float", "bool", "np.int64", "str", "none", "list"]
    dtypes = ["float32", "float64", "int64", "int32", "bool"]
    kwarg_choices = [{}, {"alpha": 2}, {"alpha": "a"}, {"rounding_mode": "trunc"},
                     {"rounding_mode": 1}]

    def operand(lib, kind, dtype, data):
        return {"tensor": lambda: lib.tensor(data.astype(dtype)), "int": lambda: 3,
                "float": lambda: 1.5, "bool": lambda: True, "np.int64": lambda: np.int64(2),
                "str": lambda: "a", "none": lambda: None, "list": lambda: [1, 2]}[kind]()

    for _ in range(150):
        kind = rng.choice(["function", "method"])
        name = str(rng.choice(FUNCTIONS if kind == "function" else METHODS))
        a_dtype, b_dtype = rng.choice(dtypes, 2)
        b_kind = str(rng.choice(operands))
        kwargs = kwarg_choices[rng.integers(len(kwarg_choices))]
        if "alpha" in kwargs and not name.startswith("subtract"):
            kwargs = {}
        if "rounding_mode" in kwargs and not name.startswith("divide"):
            kwargs = {}
        data_a = rng.integers(-3, 4, 4).astype(float)
        data_b = rng.integers(1, 4, 4).astype(float)

        def call(lib, kind=kind, name=name, a_dtype=a_dtype, b_dtype=b_dtype, b_kind=b_kind,
                 kwargs=kwargs, data_a=data_a, data_b=data_b):
            a = lib.tensor(data_a.astype(a_dtype))
            b = operand(lib, b_kind, b_dtype, data_b)
            if kind == "function":
                return _function(lib, name)(a, b, **kwargs)
            return getattr(a, name)(b, **kwargs)

        def summary(lib, call=call):
            try:
                result = call(lib)
            except Exception as error:  # noqa: BLE001
                return type(error).__name__, str(error)
            return "ok", str(result.dtype).split(".")[-1], result.tolist()

        want, got = summary(torch), summary(torchlet)
        assert got == want, (kind, name, a_dtype, b_dtype, b_kind, kwargs)


def test_saved_scalars_as_torch():
    torch = _torch()
    values = [1, 2, 0, 2.5, True, False, np.int64(2), np.int32(3), np.float64(0.5),
              np.float32(0.5), np.uint8(2)]
    rng = np.random.default_rng(5)
    data = {s: rng.standard_normal(s).astype(np.float32)
            for s in [(3,), (3, 4), (4,), (3, 5), (2, 3, 4), (2, 4, 5)]}

    def leaf(lib, shape):
        return lib.tensor(data[shape], requires_grad=True)

    cases = [
        ("addmv", ["_saved_alpha", "_saved_beta"],
         lambda lib, v: lib.addmv(leaf(lib, (3,)), leaf(lib, (3, 4)), leaf(lib, (4,)),
                                  beta=v, alpha=v)),
        ("addbmm", ["_saved_alpha", "_saved_beta"],
         lambda lib, v: leaf(lib, (3, 5)).clone().addbmm_(leaf(lib, (2, 3, 4)),
                                                          leaf(lib, (2, 4, 5)), alpha=v)),
        ("lerp", ["_saved_weight"],
         lambda lib, v: lib.lerp(leaf(lib, (3,)), leaf(lib, (3,)) * 2, v)),
        ("pow", ["_saved_exponent"], lambda lib, v: leaf(lib, (4,)).pow(v)),
    ]
    for name, attrs, fn in cases:
        for v in values:
            outs = [fn(lib, v) for lib in (torch, torchlet)]
            for attr in attrs:
                want, got = (getattr(o.grad_fn, attr) for o in outs)
                assert (type(got), got) == (type(want), want), (name, v, attr)
            np.testing.assert_allclose(outs[1].detach().numpy(), outs[0].detach().numpy(),
                                       rtol=1e-5, atol=1e-6)
            assert str(outs[1].dtype) == str(outs[0].dtype)

"""Reductions differential hunt (session 18): torch's check order and messages, result
dtypes of scans and products, and gradients through ``dtype=`` (each compared with torch
when it is installed, and with a hand-derived expectation)."""

import warnings

import numpy as np
import pytest

import torchlet

T = torchlet


def _raises(fn, *args):
    """(exception type name, first line of its message) of ``fn(*args)``, or None."""
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).split("\n")[0]
    return None


# --- messages and the order of torch's checks ----------------------------------------


def test_var_mean_std_mean_integer_messages():
    for name in ("var_mean", "std_mean"):
        err = _raises(getattr(T, name), T.tensor([1, 2]))
        assert err == ("RuntimeError",
                       f"{name} only support floating point and complex dtypes")
    assert _raises(lambda: T.var(T.tensor([1, 2])))[1].startswith("std and var only")


def test_mean_optional_dtype_message_comes_first():
    msg = ("mean(): could not infer output dtype. Optional dtype must be either a floating "
           "point or complex dtype. Got: Long")
    assert _raises(lambda: T.mean(T.tensor([1.0, 2.0]), 5, dtype=T.int64)) == (
        "RuntimeError", msg)
    assert _raises(lambda: T.mean(T.tensor([1.0]), dtype=T.int64,
                                  out=T.empty(0))) == ("RuntimeError", msg)
    # without dtype: the input's words
    assert "Input dtype must be" in _raises(lambda: T.mean(T.tensor([1, 2])))[1]


def test_nanmean_checks_input_then_dtype_then_dims():
    err = _raises(lambda: T.nanmean(T.tensor(1), (0, 0)))
    assert err[1].startswith("nanmean(): expected input to have floating point")
    err = _raises(lambda: T.nanmean(T.tensor([1.0]), dtype=T.int32))
    assert err == ("RuntimeError", "nanmean(): could not infer output dtype. Optional dtype "
                   "must be either a floating point or complex dtype. Got: Int")


def test_median_bool_and_empty():
    e = T.zeros(0, dtype=T.bool)
    assert T.median(e).item() is True and T.nanmedian(e).item() is True  # NaN as bool
    assert _raises(lambda: T.median(T.tensor([True]), 0)) == (
        "NotImplementedError", "\"median_out\" not implemented for 'Bool'")
    assert _raises(lambda: T.nanmedian(T.tensor(True), 0))[0] == "NotImplementedError"
    assert _raises(lambda: T.median(T.tensor([True])))[1].startswith('"median_cpu"')
    # the empty reduced dim is reported before the dtype
    err = _raises(lambda: T.median(T.zeros(2, 0, dtype=T.bool), 1))
    assert err == ("IndexError", "median(): Expected reduction dim 1 to have non-zero size.")


def test_cumsum_cumprod_bool_dtype():
    for name in ("cumsum", "cumprod"):
        err = _raises(lambda f: f(T.tensor([1, 2]), 0, dtype=T.bool), getattr(T, name))
        assert err == ("NotImplementedError", f"\"{name}_out_cpu\" not implemented for 'Bool'")
    assert T.cumsum(T.tensor(1.0), 0, dtype=T.bool).item() is True  # 0-d: a copy
    assert T.cumsum(T.zeros(0), 0, dtype=T.bool).shape == (0,)
    assert _raises(lambda: T.cumsum(T.tensor([1]), 5, dtype=T.bool))[0] == "IndexError"


def test_logsumexp_empty_dim_tuple_error():
    err = _raises(lambda: T.logsumexp(T.ones(2, 3), ()))
    assert err == ("RuntimeError", "output with shape [] doesn't match the broadcast shape "
                   "[1, 1]")
    assert T.logsumexp(T.ones(2, 3), (), True).shape == (1, 1)
    assert T.logsumexp(T.ones(()), ()).item() == 1.0
    assert T.logsumexp(T.ones(0, 3), []).item() == -np.inf


def test_var_degrees_of_freedom_warning_uses_output_numel():
    # torch's reduction factor is numel / output numel: 0 for an empty result
    for shape, dim in (((4, 0, 4), -1), ((4, 0), 0)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            T.var(T.zeros(shape), dim, correction=0.5)
        assert len(w) == 1 and "degrees of freedom" in str(w[0].message)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        T.var(T.zeros(4, 3), 1)
    assert not w


def test_amax_empty_check_before_duplicate_dims():
    assert _raises(lambda: T.amax(T.zeros(0), (-1, 0))) == (
        "IndexError", "amax(): Expected reduction dim -1 to have non-zero size.")
    assert _raises(lambda: T.amin(T.zeros(2, 0), (0, 1, 0)))[1] == (
        "amin(): Expected reduction dim 1 to have non-zero size.")
    assert _raises(lambda: T.amax(T.zeros(0, 2), (1, 1)))[1] == (
        "dim 1 appears multiple times in the list of dims")
    assert _raises(lambda: T.amax(T.zeros(2, 0), (5, 0)))[0] == "IndexError"
    assert _raises(lambda: T.amax(T.zeros(0), (0.5,)))[0] == "TypeError"
    # out's dtype is checked first of all
    err = _raises(lambda: T.amax(T.zeros(1, 0), -1, out=T.empty(0, dtype=T.bool)))
    assert err[1].startswith("Expected the dtype for input and out to match")


def test_vector_norm_dtype_must_not_narrow():
    x = T.tensor([0.5, -0.25, 3.0], dtype=T.float64)
    msg = ("linalg.vector_norm: the dtype of the input (Double) should be convertible "
           "without narrowing to the specified dtype (Float)")
    assert _raises(lambda: T.linalg.vector_norm(x, dtype=T.float32)) == ("RuntimeError", msg)
    assert _raises(lambda: T.norm(x, 2, dtype=T.float32)) == ("RuntimeError", msg)
    assert _raises(lambda: T.linalg.vector_norm(x, dim=(0, 0), dtype=T.float32))[1] == msg
    err = _raises(lambda: T.norm(T.zeros(2, 3, dtype=T.float64), "nuc", dtype=T.float32))
    assert err[1].startswith("linalg.matrix_norm: the dtype of the input (Double)")
    assert T.linalg.vector_norm(x.half(), dtype=T.float32).dtype == T.float32  # widening


def test_vector_norm_empty_dims_checked_first():
    e = T.zeros(0, 3)
    assert _raises(lambda: T.linalg.vector_norm(e, -1, [])) == (
        "RuntimeError", "linalg.vector_norm cannot compute the -1 norm on an empty tensor "
        "because the operation does not have an identity")
    # torch's message: the dim as given, and no space after it
    assert _raises(lambda: T.linalg.vector_norm(e, float("inf"), (-2, -2)))[1] == (
        "linalg.vector_norm cannot compute the inf norm on the dimension -2because this "
        "dimension is empty and the operation does not have an identity")
    assert "the dimension 0because" in _raises(
        lambda: T.linalg.vector_norm(e, -1, (0,), dtype=T.float16))[1]


# --- values -------------------------------------------------------------------------


def test_cumsum_dtype_converts_input_first():
    x = T.tensor([16777217, 1], dtype=T.int64)
    assert T.cumsum(x, 0, dtype=T.float32).tolist() == [16777216.0, 16777216.0]
    y = T.tensor([1 + 2 ** -24, 2 ** -24, 2 ** -24, 1], dtype=T.float64)
    assert T.cumsum(y, 0, dtype=T.float32).tolist() == [1.0, 1.0, 1.0000001192092896, 2.0]


def test_cumsum_of_0d_negative_zero_is_a_copy():
    assert np.signbit(T.cumsum(T.tensor(-0.0), 0).item())
    assert not np.signbit(T.cumsum(T.tensor([-0.0]), 0)[0].item())  # 0 + -0.0


def test_float16_prod_rounds_every_step():
    a = np.array([0.5, 1.5, 1.5, 1.5, 1.0009766], np.float16)
    expected = np.float16(1)
    for v in a:
        expected = np.float16(np.float32(expected) * np.float32(v))
    assert T.prod(T.tensor(a)).item() == float(expected)
    assert T.prod(T.tensor(a), 0).item() == float(expected)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for shape, dim in (((37,), 0), ((4, 9), 1), ((5, 3, 4), 0), ((6, 7), -2)):
        b = rng.standard_normal(shape).astype(np.float16)
        assert T.prod(T.tensor(b)).item() == torch.prod(torch.tensor(b)).item()
        assert np.array_equal(T.prod(T.tensor(b).transpose(0, -1), dim).numpy(),
                              torch.prod(torch.tensor(b).transpose(0, -1), dim).numpy())


# --- gradients through dtype= -------------------------------------------------------


def _grad(mod, fn, a, g):
    x = mod.tensor(a, requires_grad=True)
    y = fn(mod, x)
    return mod.autograd.grad(y, x, mod.tensor(g).to(y.dtype))[0].numpy()


@pytest.mark.parametrize("low", ["float32", "float16"])
def test_dtype_gradients_as_torch(low):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a = rng.standard_normal(5)
    fns = [
        lambda m, x: m.cumsum(x, 0, dtype=getattr(m, low)),
        lambda m, x: m.cumprod(x, 0, dtype=getattr(m, low)),
        lambda m, x: m.prod(x, 0, dtype=getattr(m, low)),
        lambda m, x: m.prod(x, dtype=getattr(m, low)),
        lambda m, x: m.linalg.vector_norm(x.to(getattr(m, low)), 3, dtype=m.float64),
        lambda m, x: m.norm(x.to(getattr(m, low)), 2, dtype=m.float64),
    ]
    for fn in fns:
        g = rng.standard_normal(fn(torch, torch.tensor(a)).shape)
        assert np.array_equal(_grad(T, fn, a, g), _grad(torch, fn, a, g))


def test_cumsum_dtype_gradient_sums_in_input_dtype():
    # grad is converted to float64 first, then summed backwards: exact here
    x = T.tensor([1.0, 2.0, 3.0], dtype=T.float64, requires_grad=True)
    y = T.cumsum(x, 0, dtype=T.float16)
    g = T.tensor([2049.0, 1.0, 1.0], dtype=T.float16)
    (gx,) = T.autograd.grad(y, x, g)
    assert gx.dtype == T.float64 and gx.tolist() == [2048.0 + 2, 2.0, 1.0]


def test_nansum_integer_dtype_refuses_autograd():
    x = T.tensor([1.0, 2.0], requires_grad=True)
    assert _raises(lambda: T.nansum(x, 0, dtype=T.int32)) == (
        "RuntimeError", "Autograd not support dtype: Int")


# --- sampled differential test ------------------------------------------------------


def test_sampled_reductions_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(18)
    dtypes = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
    ops = [
        lambda m, x, d: m.median(x, d), lambda m, x, d: m.nanmedian(x, d),
        lambda m, x, d: m.median(x), lambda m, x, d: m.nanmedian(x),
        lambda m, x, d: m.var_mean(x, d), lambda m, x, d: m.std(x, (d, d)),
        lambda m, x, d: m.mean(x, d, dtype=m.int32), lambda m, x, d: m.nanmean(x, (d, d)),
        lambda m, x, d: m.cumsum(x, d, dtype=m.float32),
        lambda m, x, d: m.cumprod(x, d, dtype=m.bool),
        lambda m, x, d: m.logsumexp(x, ()), lambda m, x, d: m.amax(x, (d, d)),
        lambda m, x, d: m.amin(x, (d, -1)),
        lambda m, x, d: m.linalg.vector_norm(x, -1, (d, d)),
        lambda m, x, d: m.linalg.vector_norm(x, 2, d, dtype=m.float32),
        lambda m, x, d: m.prod(x, d), lambda m, x, d: m.prod(x),
    ]
    for _ in range(300):
        nd = int(rng.integers(0, 3))
        shape = tuple(int(rng.choice([0, 1, 2, 3, 5])) for _ in range(nd))
        dt = dtypes[rng.integers(len(dtypes))]
        a = rng.integers(-3, 4, shape) if dt not in ("bool", "uint8") else rng.integers(
            0, 2, shape)
        a = np.asarray(a).astype(dt)
        d = int(rng.integers(-max(nd, 1), max(nd, 1)))
        op = ops[rng.integers(len(ops))]
        got = _raises(op, T, T.tensor(a), d)
        want = _raises(op, torch, torch.tensor(a), d)
        assert (got is None) == (want is None), (a, d, got, want)
        if got is not None:
            assert got == want, (shape, dt, d)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r1, r2 = op(T, T.tensor(a), d), op(torch, torch.tensor(a), d)
        r1 = r1 if isinstance(r1, tuple) else (r1,)
        r2 = r2 if isinstance(r2, tuple) else (r2,)
        for u, v in zip(r1, r2):
            assert str(u.dtype).split(".")[-1] == str(v.dtype).split(".")[-1]
            un, vn = u.numpy(), v.numpy()
            if un.dtype.kind == "f":  # (float sums/variances: equal to within rounding)
                assert np.allclose(un, vn, rtol=1e-6, atol=0, equal_nan=True), (shape, dt, d)
            else:
                assert np.array_equal(un, vn), (shape, dt, d)

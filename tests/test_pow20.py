"""number ** tensor (PowBackward2), float64 pow's scalar loop, and the invalid-arguments
matcher's int-for-float rule, against torch and hand-derived values."""

import math

import numpy as np
import pytest

import torchlet
from torchlet._ops.pointwise.operands import invalid_combination


def _bits(a):
    a = np.asarray(a)
    return a.view({1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}[a.itemsize])


def _same(a, b):
    """bit-equal, any NaN equal to any NaN"""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape
    nan = np.isnan(a) & np.isnan(b)
    assert np.array_equal(np.where(nan, 0, _bits(a)), np.where(nan, 0, _bits(b)))


# ---------------------------------------------------------------- gradient of base ** t

@pytest.mark.parametrize("base", [0.7, math.e, 1.1, 3.3])  # (float32(log) differs)
def test_grad_uses_log_of_the_double_base(base):
    # torch: grad * (result * log(base)), log of the base as given (a C++ double), the
    # product a tensor * number (the log rounded to float32 once): not log(float32(base))
    rng = np.random.default_rng(1)
    y = (rng.standard_normal(31) * 3).astype(np.float32)
    g = rng.standard_normal(31).astype(np.float32)
    t = torchlet.tensor(y, requires_grad=True)
    out = base ** t
    out.backward(torchlet.tensor(g))
    want = g * (out.detach().numpy() * np.float32(math.log(base)))
    _same(t.grad.numpy(), want)
    rounded = g * (out.detach().numpy() * np.float32(math.log(np.float32(base))))
    assert (want != rounded).any()  # (the old formula: a test that can fail)


def test_grad_matches_torch_small():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for dtype in ("float32", "float64", "float16"):
        for base in (0.7, 2, 10, math.e, 0, -2.0, math.inf):
            y = (rng.standard_normal(13) * 3).astype(dtype)
            y[:3] = [0, -1, np.nan]
            g = rng.standard_normal(13).astype(dtype)
            grads = []
            for mod in (torch, torchlet):
                t = mod.tensor(y, requires_grad=True)
                out = base ** t
                out.backward(mod.tensor(g))
                grads.append((out.detach().numpy(), t.grad.numpy(), out.grad_fn.name()))
            _same(grads[0][0], grads[1][0])
            _same(grads[0][1], grads[1][1])
            assert grads[0][2] == grads[1][2] == "PowBackward2"


def test_zero_base_grad_is_zero_where_flat():
    t = torchlet.tensor([2.0, 0.0, -1.0, float("nan")], requires_grad=True)
    (0 ** t).sum().backward()
    g = t.grad.numpy()
    assert g[0] == 0 and g[1] == 0 and g[2] == -math.inf and math.isnan(g[3])  # inf * log 0


@pytest.mark.parametrize("base, saved", [
    (0.7, 0.7), (2, 2), (np.int64(3), 3), (np.float64(0.7), 0.7),
    (np.float32(0.7), 0.699999988079071), (np.True_, 1.0), (True, True)])
def test_saved_self_is_the_base_as_parsed(base, saved):
    out = base ** torchlet.tensor([1.0, 2.0], requires_grad=True)
    got = out.grad_fn._saved_self
    assert got == saved and type(got) is type(saved)
    torch = pytest.importorskip("torch")
    want = (base ** torch.tensor([1.0, 2.0], requires_grad=True)).grad_fn._saved_self
    assert got == want and type(got) is type(want)


def test_bool_base_backward_raises_as_torch():
    t = torchlet.tensor([1.0, 2.0], requires_grad=True)
    out = True ** t
    _same(out.detach().numpy(), np.ones(2, np.float32))
    with pytest.raises(RuntimeError, match="bool"):
        out.sum().backward()


# ---------------------------------------------------------------- float64 scalar loop

def _libm(x, y):
    x, y = np.broadcast_arrays(x, y)
    return np.array([math.pow(a, b) for a, b in zip(x.ravel(), y.ravel())]).reshape(x.shape)


def test_float64_small_tensors_are_c_pow():
    # fewer than 16 float64 elements: all in torch's scalar loop, C's pow (math.pow);
    # NumPy's own float64 power is an ulp off it for ~5% of inputs
    rng = np.random.default_rng(3)
    x = np.abs(rng.standard_normal((200, 7))) * 3
    y = rng.standard_normal((200, 7)) * 3
    f64 = torchlet.float64
    got_base = np.stack([(0.7 ** torchlet.tensor(r, dtype=f64)).numpy() for r in y])
    got_exp = np.stack([(torchlet.tensor(r, dtype=f64) ** 2.7).numpy() for r in x])
    got_tt = np.stack([(torchlet.tensor(a, dtype=f64) ** torchlet.tensor(b, dtype=f64))
                       .numpy() for a, b in zip(x, y)])
    _same(got_base, _libm(0.7, y))
    _same(got_exp, _libm(x, 2.7))
    _same(got_tt, _libm(x, y))
    assert (np.power(x, y) != got_tt).any()  # (NumPy alone: a test that can fail)


def test_float64_tail_and_strided():
    rng = np.random.default_rng(4)
    y = rng.standard_normal(37) * 3
    out = (2.5 ** torchlet.tensor(y, dtype=torchlet.float64)).numpy()
    _same(out[32:], _libm(2.5, y[32:]))  # the last 37 % 16 elements
    x = np.abs(rng.standard_normal((5, 3))) + 0.5
    e = rng.standard_normal((3, 5))
    tx = torchlet.tensor(x, dtype=torchlet.float64).t()  # strided: every element scalar
    got = (tx ** torchlet.tensor(e, dtype=torchlet.float64)).numpy()
    _same(got, _libm(x.T, e))


def test_float64_specials_keep_ieee_values():
    x = torchlet.tensor([0.0, -0.0, -8.0, 1e308, 2.0, -math.inf], dtype=torchlet.float64)
    y = torchlet.tensor([-1.0, -3.0, 1 / 3, 2.0, 5000.0, 0.5], dtype=torchlet.float64)
    got = (x ** y).numpy()
    assert got[0] == math.inf and got[1] == -math.inf and math.isnan(got[2])
    assert got[3] == math.inf and got[4] == math.inf and got[5] == math.inf


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20)
    bases = [0.7, 2.5, 10, 2, -3, 0.0, 1, math.inf, math.nan, 7, np.float32(0.3)]
    dtypes = ["float32", "float64", "float16", "int64", "int32", "uint8"]
    for _ in range(60):
        base = bases[rng.integers(len(bases))]
        dtype = dtypes[rng.integers(len(dtypes))]
        n = int(rng.integers(1, 16))  # (the scalar loop only: SLEEF's SIMD pow differs)
        if dtype[0] in "iu":
            y = rng.integers(0, 12, n).astype(dtype)
        else:
            y = (rng.standard_normal(n) * 4).astype(dtype)
            y[rng.integers(n)] = rng.choice([0.0, -1.0, np.inf, -np.inf, np.nan])
        results = []
        for mod in (torch, torchlet):
            try:
                results.append((base ** mod.tensor(y)).numpy())
            except Exception as error:  # noqa: BLE001 - the outcome is compared
                results.append(type(error).__name__)
        if isinstance(results[0], str):
            assert results[0] == results[1], (base, dtype)
        else:
            _same(results[0], results[1])


# ---------------------------------------------------------------- invalid combinations

def test_int_fits_a_float_parameter():
    error = invalid_combination("f", (1, 1, True, np.float64(1.0), 1.0),
                                ("float a, int b, float c, float d, float e",))
    assert "(int, int, !bool!, !numpy.float64!, float)" in str(error)
    error = invalid_combination("f", (1.5,), ("int a",))
    assert "(!float!)" in str(error)


def test_rnn_int_dropout_message_matches_torch():
    def call(mod):
        with pytest.raises(TypeError) as info:
            mod.rnn_tanh(mod.zeros(5, 1, 2), mod.zeros(1, 1, 3),
                         [mod.zeros(3, 2), mod.zeros(3, 3)], False, 1, 0, False, False, "x")
        return str(info.value)

    got = call(torchlet)
    assert "(Tensor, Tensor, !list of [Tensor, Tensor]!, bool, int, int, bool, bool, " \
           "!str!)" in got
    torch = pytest.importorskip("torch")
    assert got == call(torch)

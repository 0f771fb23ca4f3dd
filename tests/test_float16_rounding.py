"""float16 rounding of numbers, alphas and float64 conversions, live against torch.

* float64 -> float16 (``.half()``, ``.to``, ``copy_``, ``as_tensor``, a Python float operand,
  ``arange``/``linspace`` bounds): torch rounds double -> float -> half (c10's Half is built
  from a float), NumPy rounds once; they differ just above a float16 tie.
* add/sub/rsub with a Python number: torch rounds the number (and ``alpha``) to float16 and
  computes ``x - alpha * y`` in float32; mul/div with a Python number or a 0-dim tensor of
  another dtype as the second operand use that scalar's float32 value unrounded.

Every comparison is bit-exact, over all finite float16 inputs where an input is a tensor.
"""

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

ALL_HALVES = np.arange(1 << 16, dtype=np.uint16).view(np.float16)
ALL_HALVES = ALL_HALVES[np.isfinite(ALL_HALVES)]

# numbers whose float16 rounding differs between float32-first and direct rounding, ties,
# subnormal-range and overflow-range values
HARD_NUMBERS = [
    1 + 2**-11 + 2**-40, -(1 + 2**-11 + 2**-40), 2**-11 + 2**-30, 0.1, 1 / 3, 1e-8,
    2.0**-25 + 2.0**-50, 3 * 2.0**-26, 65519.99, 65520.0, 70000.0, 0.5, 3, 2049, 1e-3,
]


def _hard_doubles():
    """Just above and below every float16 tie (in float64), plus the ties themselves."""
    h = ALL_HALVES[(ALL_HALVES > 0) & (ALL_HALVES < np.float16(65504))].astype(np.float64)
    up = np.nextafter(h.astype(np.float16), np.float16(np.inf)).astype(np.float64)
    tie = (h + up) / 2
    values = [tie, tie * (1 + 2.0**-40), tie * (1 - 2.0**-40), tie * (1 + 2.0**-25),
              tie * (1 - 2.0**-28)]
    values = np.concatenate(values)
    return np.concatenate([values, -values, [65519.999, 65520.0, 2.0**-25, 2.0**-26]])


HARD_DOUBLES = _hard_doubles()


def _assert_same(got, expected):
    assert str(got.dtype) == str(expected.dtype)
    a, b = got.numpy(), expected.numpy()
    np.testing.assert_array_equal(a.view(np.uint16) if a.dtype == np.float16 else a,
                                  b.view(np.uint16) if b.dtype == np.float16 else b)


def _both(fn):
    with np.errstate(all="ignore"):
        _assert_same(fn(torchlet), fn(torch))


@pytest.mark.parametrize("convert", [
    lambda lib, x: x.half(),
    lambda lib, x: x.to(lib.float16),
    lambda lib, x: x.to(dtype=lib.float16, copy=True),
    lambda lib, x: x.type(lib.float16),
    lambda lib, x: lib.zeros(x.shape, dtype=lib.float16).copy_(x),
    lambda lib, x: lib.as_tensor(x.numpy(), dtype=lib.float16),
    lambda lib, x: lib.tensor(x.numpy(), dtype=lib.float16),
    lambda lib, x: lib.tensor(x.tolist(), dtype=lib.float16),
    lambda lib, x: lib.zeros(x.shape, dtype=lib.float16) + x.to(lib.float16),
])
def test_float64_to_float16_rounds_through_float32(convert):
    _both(lambda lib: convert(lib, lib.tensor(HARD_DOUBLES, dtype=lib.float64)))


@pytest.mark.parametrize("number", HARD_NUMBERS)
def test_number_operands_round_like_torch(number):
    for op in (
        lambda lib, x: x + number, lambda lib, x: number + x, lambda lib, x: x - number,
        lambda lib, x: number - x, lambda lib, x: x * number, lambda lib, x: number * x,
        lambda lib, x: x / number, lambda lib, x: lib.add(x, number, alpha=0.7),
        lambda lib, x: lib.sub(x, number, alpha=1 / 3), lambda lib, x: lib.rsub(x, number),
        lambda lib, x: lib.rsub(x, number, alpha=0.7), lambda lib, x: lib.rsub(x, number, alpha=3),
        lambda lib, x: x.clone().add_(number), lambda lib, x: x.clone().sub_(number, alpha=2),
        lambda lib, x: lib.add(x, x.flip(0), alpha=number if number < 65504 else 2.5),
    ):
        _both(lambda lib, op=op: op(lib, lib.tensor(ALL_HALVES)))


@pytest.mark.parametrize("number", HARD_NUMBERS)
@pytest.mark.parametrize("scalar_dtype", ("float32", "float64", "int64"))
def test_zero_dim_tensor_second_operand_of_mul_and_div(number, scalar_dtype):
    if scalar_dtype == "int64":
        number = int(number) or 3

    def scalar(lib):
        return lib.tensor(number, dtype=getattr(lib, scalar_dtype))

    x = ALL_HALVES
    _both(lambda lib: lib.tensor(x) * scalar(lib))
    _both(lambda lib: lib.tensor(x) / scalar(lib))
    _both(lambda lib: lib.tensor(x).mul_(scalar(lib)))
    _both(lambda lib: scalar(lib) * lib.tensor(x))  # first operand: rounded to float16


def test_zero_dim_scalar_gradients_still_flow():
    for lib in (torch, torchlet):
        x = lib.tensor([1.0, 2.0], dtype=lib.float16, requires_grad=True)
        (x * lib.tensor(0.1, dtype=lib.float64)).sum().backward()
        assert x.grad.dtype == lib.float16
    x_ours = torchlet.tensor([1.0, 2.0], dtype=torchlet.float16, requires_grad=True)
    (x_ours / torchlet.tensor(0.1, dtype=torchlet.float64)).sum().backward()
    x_torch = torch.tensor([1.0, 2.0], dtype=torch.float16, requires_grad=True)
    (x_torch / torch.tensor(0.1, dtype=torch.float64)).sum().backward()
    _assert_same(x_ours.grad, x_torch.grad)


@pytest.mark.parametrize("make", [
    lambda lib, s: lib.linspace(s, s + 1, 5, dtype=lib.float16),
    lambda lib, s: lib.arange(s, s + 4, dtype=lib.float16),
    lambda lib, s: lib.full((3,), s, dtype=lib.float16),
])
@pytest.mark.parametrize("s", [1 + 2**-11 + 2**-40, 0.1, 1 + 2**-12 + 2**-30])
def test_creation_rounds_through_float32(make, s):
    _both(lambda lib: make(lib, s))


@pytest.mark.parametrize("call, message", [
    (lambda lib, h: lib.add(h, 3, alpha=70000), "cannot be converted to type c10::Half"),
    (lambda lib, h: lib.sub(h, h, alpha=65519.0), "cannot be converted to type c10::Half"),
    (lambda lib, h: lib.rsub(h, 3, alpha=-70000.0), "cannot be converted to type c10::Half"),
    (lambda lib, h: lib.add(h, 3, alpha=True), "Boolean alpha only supported"),
    (lambda lib, h: lib.add(lib.tensor([1, 2]), 3, alpha=False), "Boolean alpha only"),
    (lambda lib, h: lib.rsub(lib.tensor([1, 2]), 3, alpha=0.5), "alpha must not be a float"),
    (lambda lib, h: lib.add(lib.tensor([1], dtype=lib.int8), 3, alpha=300),
     "cannot be converted to type int8_t"),
    (lambda lib, h: lib.add(lib.tensor([1.0]), 3, alpha=1e300),
     "cannot be converted to type float"),
])
def test_alpha_errors(call, message):
    for lib in (torch, torchlet):
        with pytest.raises(RuntimeError, match=message):
            call(lib, lib.tensor([1.0, 2.0], dtype=lib.float16))


@pytest.mark.parametrize("alpha", [float("inf"), float("nan"), 1e-9, 2])
def test_alpha_values_torch_accepts(alpha):
    _both(lambda lib: lib.rsub(lib.tensor([1.0, -2.0], dtype=lib.float16), 3, alpha=alpha))
    _both(lambda lib: lib.add(lib.tensor([1.0, -2.0], dtype=lib.float16), 3, alpha=alpha))

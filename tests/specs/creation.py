"""Specs for range factories: linspace and logspace, bit for bit.

torch's linspace kernel computes ``step = (end - start) / (steps - 1)`` in the output dtype
(float64 for integers) and each value as one fused multiply-add, ``start + step * i`` for
the first half and ``end - step * (steps - 1 - i)`` for the second (its vectorised builds
contract them); float16 rounds at every step. logspace is not fused: its exponents are
float64 and it calls the C library's ``pow``. The cases below are drawn at random (seeded,
so the same every run): every dtype, start above and below end, whole-number and fractional
ends, 0, 1, 2 and up to 300 steps, bases 10, 2, 0.5 and a negative one. Fills of one
element check torch's overflow rule (an integer dtype must hold the value).
"""

import numpy as np
from opspec import ErrorSpec, Spec

_DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "uint8"]


def _cases(seed, n):
    rng = np.random.default_rng(seed)
    for k in range(n):
        dtype = _DTYPES[k % len(_DTYPES)]
        steps = int(rng.choice([0, 1, 2, 3, 10, 51, int(rng.integers(4, 300))]))
        if dtype in ("int16", "uint8"):
            start, end = (int(v) for v in rng.integers(0, 120, 2))
        elif dtype.startswith("int"):
            start, end = (int(v) for v in rng.integers(-1000, 1000, 2))
        else:
            start, end = (float(v) for v in rng.uniform(-100, 100, 2))
            if rng.random() < 0.3:
                start, end = float(round(start)), float(round(end))
        yield k, dtype, start, end, steps


def _linspace(start, end, steps, dtype):
    return lambda t: t.linspace(start, end, steps, dtype=getattr(t, dtype))


def _logspace(start, end, steps, base, dtype):
    return lambda t: t.logspace(start, end, steps, base=base, dtype=getattr(t, dtype))


SPECS = [
    Spec(f"linspace/{k}_{dtype}_{steps}", _linspace(start, end, steps, dtype), (),
         exact=True, grad=False)
    for k, dtype, start, end, steps in _cases(0, 70)
] + [
    Spec(f"logspace/{k}_{dtype}_{steps}_base{base}",
         _logspace(start / scale, end / scale, steps, base, dtype), (), exact=True, grad=False)
    for (k, dtype, start, end, steps), (base, scale) in zip(
        _cases(1, 84), [(10.0, 50), (2.0, 10), (0.5, 10), (-2.0, 40)] * 21)
    if not (base < 0 and dtype.startswith(("int", "uint")))  # garbage casts of NaN
] + [
    Spec("linspace/default_dtype", lambda t: t.linspace(-1, 1, 17), (), exact=True,
         grad=False),
    Spec("logspace/one_step", lambda t: t.logspace(2.5, 9, 1), (), exact=True, grad=False),
    Spec("linspace/requires_grad", lambda t: t.linspace(0, 1, 5, requires_grad=True), (),
         exact=True, grad=False),
]

ERROR_SPECS = [
    ErrorSpec("err/linspace_negative_steps", lambda t: t.linspace(0, 1, -1),
              match="number of steps must be non-negative"),
    ErrorSpec("err/linspace_one_step_overflow",
              lambda t: t.linspace(300, 400, 1, dtype=t.int8), match="without overflow"),
    ErrorSpec("err/logspace_one_step_overflow",
              lambda t: t.logspace(19.5, 0, 1, dtype=t.int64), match="without overflow"),
    ErrorSpec("err/full_int_overflow", lambda t: t.full((2,), 1e19, dtype=t.int32),
              match="value cannot be converted to type int without overflow"),
    ErrorSpec("err/full_half_overflow", lambda t: t.full((2,), 65505.0, dtype=t.float16),
              match=r"value cannot be converted to type c10::Half without overflow"),
    ErrorSpec("err/masked_fill_half_overflow",
              lambda t: t.zeros(2, dtype=t.float16).masked_fill(t.tensor([True, False]), 1e5),
              match="without overflow"),
]

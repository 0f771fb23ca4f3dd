"""Specs for the small torch-2.13 mismatches fixed after the fact (live tests with more
cases: tests/test_leftover_fixes.py).

Bit-exact: mode on inputs with NaN and on rows past 16 elements (torchlet replays
libstdc++'s std::sort, as torch's CPU kernel sorts), float16 ``full`` (a number reaches
float16 through float32, as c10::Half is built), and solve_ex's forward on a singular
matrix (LAPACK getrf/getrs values, inf and NaN included). The window functions' bad
argument combinations raise TypeError, as torch's overload resolution does.
"""

from opspec import A, ErrorSpec, Spec

SPECS = [
    Spec("leftover/mode_special", lambda t, x: t.mode(x, 1), (A(3, 21, kind="special"),),
         exact=True, grad=False, gradcheck=False, gradgradcheck=False),
    Spec("leftover/mode_long_ties", lambda t, x: t.mode(x, 0), (A(40, 3, dtype="int64",
                                                                   kind="int", low=0,
                                                                   high=3),),
         exact=True, grad=False, gradcheck=False, gradgradcheck=False),
    Spec("leftover/full_float16_double_rounding",
         lambda t: t.full((1,), 1 + 2**-11 + 2**-40, dtype=t.float16), (), exact=True,
         grad=False),
    Spec("leftover/full_float16_single_overflow",
         lambda t: t.full((), 1e6, dtype=t.float16), (), exact=True, grad=False),
    Spec("leftover/solve_ex_singular",
         lambda t: t.linalg.solve_ex(t.zeros(3, 3, dtype=t.float64),
                                     t.ones(3, 2, dtype=t.float64)), (), exact=True,
         grad=False),
]

ERROR_SPECS = [
    ErrorSpec("err/kaiser_window_beta_without_periodic",
              lambda t: t.kaiser_window(16, beta=12.0), match="invalid combination"),
    ErrorSpec("err/kaiser_window_float_periodic", lambda t: t.kaiser_window(16, 12.0),
              match="invalid combination"),
    ErrorSpec("err/hann_window_int_periodic", lambda t: t.hann_window(5, 1),
              match="invalid combination"),
    ErrorSpec("err/hamming_window_alpha_without_periodic",
              lambda t: t.hamming_window(5, alpha=0.5), match="invalid combination"),
    ErrorSpec("err/bartlett_window_float_periodic", lambda t: t.bartlett_window(5, 1.0),
              match="invalid combination"),
    ErrorSpec("err/full_float16_overflow", lambda t: t.full((2,), 1e6, dtype=t.float16),
              match="without overflow"),
]

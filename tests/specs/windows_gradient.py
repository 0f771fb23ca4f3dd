"""Specs for the window functions (torchlet/_ops/windows.py) and torch.gradient
(torchlet/_ops/gradient.py).

Windows: bartlett is bit-exact (an arange times one constant, then ``* -1 + 2``, each
rounded once in the requested dtype as torch does). The cosine windows (hann, hamming,
blackman) round the same steps as torch, but torch's ``cos`` is SLEEF's vectorised one
(within 1 ulp) while torchlet's is the correctly rounded float64 cos: results differ by at
most 1 ulp of 1.0 (float32 atol 2.4e-7, float64 2.3e-16, float16 1e-3). kaiser_window
differs by the exp inside i0: float32 atol 1e-6, float64 2e-15. Lengths 0, 1, 2, odd and
even, up to 1000, periodic and symmetric, default and explicit dtypes.

gradient: built from slicing, subtraction, division, multiplication and cat in torch's
order, so it is bit-exact with torch (uniform steps, per-dimension steps, coordinates;
edge_order 1 and 2; integer input), and float64 gradcheck/gradgradcheck run through it,
with respect to the input and to the coordinates.
"""

from opspec import A, ErrorSpec, Spec

_COSINE_TOL = {"float32": 2.4e-7, "float64": 2.3e-16, "float16": 1e-3}
_KAISER_TOL = {"float32": 1e-6, "float64": 2e-15, "float16": 1e-3}
_LENGTHS = (0, 1, 2, 3, 8, 11, 64, 255, 1000)


def _window(name, n, periodic, dtype, **kw):
    return lambda t: getattr(t, name)(n, periodic, dtype=getattr(t, dtype), **kw)


def _window_specs():
    specs = []
    for dtype in ("float32", "float64", "float16"):
        for n in _LENGTHS:
            for periodic in (True, False):
                tag = f"{n}_{'periodic' if periodic else 'symmetric'}_{dtype}"
                specs.append(Spec(f"windows/bartlett/{tag}",
                                  _window("bartlett_window", n, periodic, dtype), (),
                                  exact=True, grad=False))
                for name in ("hann_window", "hamming_window", "blackman_window"):
                    specs.append(Spec(f"windows/{name}/{tag}",
                                      _window(name, n, periodic, dtype), (), rtol=0,
                                      atol=_COSINE_TOL[dtype], grad=False))
                specs.append(Spec(f"windows/kaiser/{tag}",
                                  _window("kaiser_window", n, periodic, dtype), (), rtol=0,
                                  atol=_KAISER_TOL[dtype], grad=False))
    return specs


SPECS = _window_specs() + [
    Spec("windows/hann_default", lambda t: t.hann_window(10), (), atol=2.4e-7, rtol=0,
         grad=False),
    Spec("windows/hamming_alpha_beta",
         lambda t: t.hamming_window(12, False, 0.5, 0.3, dtype=t.float64), (), atol=2.3e-16,
         rtol=0, grad=False),
    Spec("windows/kaiser_beta", lambda t: t.kaiser_window(16, True, 3.5), (), atol=1e-6,
         rtol=0, grad=False),
    Spec("windows/kaiser_beta_symmetric",
         lambda t: t.kaiser_window(9, False, 0.5, dtype=t.float64), (), atol=2e-15, rtol=0,
         grad=False),
    Spec("windows/requires_grad", lambda t: t.hann_window(5, requires_grad=True), (),
         atol=2.4e-7, rtol=0, grad=False),
    # gradient
    Spec("gradient/default", lambda t, x: t.gradient(x), (A(5, 4, 3),), exact=True),
    Spec("gradient/1d", lambda t, x: t.gradient(x), (A(7),), exact=True),
    Spec("gradient/scalar_spacing", lambda t, x: t.gradient(x, spacing=2.5), (A(5, 4),),
         exact=True),
    Spec("gradient/list_spacing", lambda t, x: t.gradient(x, spacing=[1.5, 2, 0.5]),
         (A(5, 4, 3),), exact=True),
    Spec("gradient/dim", lambda t, x: t.gradient(x, dim=1), (A(5, 4, 3),), exact=True),
    Spec("gradient/dim_list", lambda t, x: t.gradient(x, spacing=[2.0, 3.0], dim=[0, -1]),
         (A(5, 4, 3),), exact=True),
    Spec("gradient/edge_order2", lambda t, x: t.gradient(x, edge_order=2), (A(5, 4),),
         exact=True),
    Spec("gradient/edge_order2_spacing",
         lambda t, x: t.gradient(x, spacing=0.3, dim=0, edge_order=2), (A(6, 3),),
         exact=True),
    Spec("gradient/coordinates",
         lambda t, x, c: t.gradient(x, spacing=[c.cumsum(0)], dim=0),
         (A(5, 3), A(5, kind="positive")), exact=True),
    Spec("gradient/coordinates_edge_order2",
         lambda t, x, c, d: t.gradient(x, spacing=(c.cumsum(0), d.cumsum(0)), edge_order=2),
         (A(5, 4), A(5, kind="positive"), A(4, kind="positive", dtype="float64")),
         exact=True),
    Spec("gradient/coordinates_fixed",
         lambda t, x: t.gradient(x, spacing=[t.tensor([0.0, 1.0, 3.0, 4.5])], dim=1),
         (A(3, 4),), exact=True),
    Spec("gradient/int", lambda t, x: t.gradient(x), (A(5, 4, dtype="int64", kind="int"),),
         exact=True),
    Spec("gradient/int_edge_order2", lambda t, x: t.gradient(x, spacing=2, edge_order=2),
         (A(5, 4, dtype="int64", kind="int"),), exact=True),
    Spec("gradient/float64", lambda t, x: t.gradient(x, spacing=0.1),
         (A(4, 5, dtype="float64"),), exact=True),
    Spec("gradient/tensor_scalar_spacing",
         lambda t, x: t.gradient(x, spacing=t.tensor(2.0)), (A(4, 3),), exact=True),
]

_X = [[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]]

ERROR_SPECS = [
    ErrorSpec("err/hann_window_int_dtype", lambda t: t.hann_window(4, dtype=t.int64),
              match="hann_window expects floating point dtypes, got: "),
    ErrorSpec("err/kaiser_window_negative", lambda t: t.kaiser_window(-1),
              match="kaiser_window requires non-negative window_length, got window_length=-1"),
    ErrorSpec("err/bartlett_window_negative", lambda t: t.bartlett_window(-2),
              match="bartlett_window requires non-negative window_length"),
    ErrorSpec("err/blackman_window_bool", lambda t: t.blackman_window(3, dtype=t.bool),
              match="blackman_window expects floating point dtypes"),
    ErrorSpec("err/hamming_window_float_length", lambda t: t.hamming_window(4.0),
              match=r"hamming_window\(\): argument 'window_length' \(position 1\) must be int"),
    ErrorSpec("err/gradient_uint8", lambda t: t.gradient(t.tensor([1, 2, 3], dtype=t.uint8)),
              match="torch.gradient does not support uint8 input."),
    ErrorSpec("err/gradient_spacing_length",
              lambda t: t.gradient(t.tensor(_X), spacing=[1.0, 2.0, 3.0]),
              match=r"a list of length equal to 'self.dim\(\) = 2'"),
    ErrorSpec("err/gradient_spacing_dim_length",
              lambda t: t.gradient(t.tensor(_X), spacing=[1.0, 2.0], dim=0),
              match="spacing and dim arguments to have the same length"),
    ErrorSpec("err/gradient_edge_order", lambda t: t.gradient(t.tensor(_X), edge_order=3),
              match="torch.gradient only supports edge_order=1 and edge_order=2."),
    ErrorSpec("err/gradient_too_short", lambda t: t.gradient(t.tensor(_X), edge_order=2),
              match="each dimension size to be at least edge_order\\+1"),
    ErrorSpec("err/gradient_dim_range", lambda t: t.gradient(t.tensor(_X), dim=2),
              match=r"Dimension out of range \(expected to be in range of \[-2, 1\]"),
    ErrorSpec("err/gradient_repeated_dim", lambda t: t.gradient(t.tensor(_X), dim=[1, -1]),
              match="dim 1 appears multiple times in the list of dims"),
    ErrorSpec("err/gradient_coordinates_2d",
              lambda t: t.gradient(t.tensor(_X), spacing=[t.ones(2, 1)], dim=0),
              match="expected each element of spacing to have one dimension"),
    ErrorSpec("err/gradient_tensor_spacing", lambda t: t.gradient(t.tensor(_X),
                                                                  spacing=t.ones(3), dim=1)),
]

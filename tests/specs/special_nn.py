"""Specs at special values for torchlet.nn.functional: activations, softmax, normalize,
dropout and pooling on ``kind="special"`` inputs (tests/opspec.py: signed zeros, NaN,
+-inf, subnormals, 1e30, in a seeded order), in float32 and float64. Outputs must match
torch's NaNs and the sign of its zeros (opspec.compare checks both).

Scalar and vectorised kernels. torch runs an elementwise kernel over a contiguous tensor
in blocks of 16 or 32 elements (8 or 16 in float64) with SIMD code and finishes the rest,
which is all of a tensor smaller than one block, with a scalar loop. The two loops
disagree at a few special values: the scalar elu/selu/celu and hardswish backwards give a
NaN input the linear branch's gradient (the SIMD code gives NaN), the hardshrink,
softshrink, hardtanh/relu6 backwards pass a NaN's gradient (SIMD: 0), and the scalar
softshrink returns x * 0, so -0.0 for a negative x inside [-lambd, lambd] (SIMD: +0.0).
torchlet follows the scalar loop, so those functions are compared on pieces of 7
elements (``_pieces``), fewer than any SIMD block on any x86 machine: torch then takes
its scalar loop everywhere, as it does for every small tensor.

gelu: torch hands a contiguous float32 gelu of more than one element to oneDNN, whose erf
approximation torchlet does not reproduce (see smooth_activation.py); a non-contiguous input, or
float64, goes through torch's own kernel, which torchlet follows: those are compared.

Tolerances: exact where torch's kernel is exact (selections, clamps, + - * /, max
pooling, average pooling in torch's summation order); otherwise a few float32 ulps
(ROUND32) but an absolute tolerance of 1e-43 only, so that a subnormal (silu(-100) =
-3.8e-42 instead of -0.0) still counts as a difference while the last bit of a subnormal
(logsigmoid(100) is -3.9e-44 in torch, -3.8e-44 here) does not. Finite differences are
meaningless at NaN and inf: no gradcheck.
"""

from opspec import A, Spec

F64 = "float64"

NO_GRADCHECK = dict(gradcheck=False, gradgradcheck=False)
EXACT = dict(exact=True, grad_rtol=0.0, grad_atol=0.0, **NO_GRADCHECK)
ROUND32 = dict(rtol=2e-6, atol=1e-43, grad_rtol=1e-4, grad_atol=1e-43, **NO_GRADCHECK)
ROUND64 = dict(rtol=1e-12, atol=1e-300, grad_rtol=1e-10, grad_atol=1e-300, **NO_GRADCHECK)


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def S(*shape, dtype="float32"):  # noqa: N802 - the special-value input
    return A(*shape, dtype=dtype, kind="special")


def _pieces(t, fn, x):
    """fn on pieces of 7 elements, joined again: torch's scalar kernels (see above)."""
    return t.cat([fn(t, p) for p in x.split(7)])


def _both(name, fn, exact=False, pieces=False, shape=(21,)):
    """The spec in float32 and float64 (``name`` and ``name/f64``)."""
    expr = (lambda t, x: _pieces(t, fn, x)) if pieces else fn
    tol32, tol64 = (EXACT, EXACT) if exact else (ROUND32, ROUND64)
    return [Spec(f"special_nn/{name}", expr, (S(*shape),), **tol32),
            Spec(f"special_nn/{name}/f64", expr, (S(*shape, dtype=F64),), **tol64)]


SPECS = [
    # piecewise-linear activations and selections: exact
    *_both("relu6", lambda t, x: F(t).relu6(x), exact=True, pieces=True),
    *_both("hardtanh", lambda t, x: F(t).hardtanh(x, -1.5, 2.0), exact=True, pieces=True),
    *_both("hardtanh/inplace", lambda t, x: F(t).hardtanh(x * 1, -1.0, 3.0, inplace=True),
           exact=True, pieces=True),
    *_both("hardshrink", lambda t, x: F(t).hardshrink(x), exact=True, pieces=True),
    *_both("hardshrink/0", lambda t, x: F(t).hardshrink(x, 0.0), exact=True, pieces=True),
    *_both("softshrink", lambda t, x: F(t).softshrink(x), exact=True, pieces=True),
    *_both("softshrink/0", lambda t, x: F(t).softshrink(x, 0.0), exact=True, pieces=True),
    *_both("hardsigmoid", lambda t, x: F(t).hardsigmoid(x), exact=True, pieces=True),
    *_both("hardswish", lambda t, x: F(t).hardswish(x), exact=True, pieces=True),
    *_both("leaky_relu", lambda t, x: F(t).leaky_relu(x, 0.2), exact=True),
    *_both("rrelu/eval", lambda t, x: F(t).rrelu(x), exact=True),
    *_both("threshold", lambda t, x: F(t).threshold(x, 0.5, -2.0), exact=True),
    *_both("threshold/0", lambda t, x: F(t).threshold(x, 0.0, 0.0), exact=True),
    *_both("dropout/eval", lambda t, x: F(t).dropout(x, 0.3, training=False), exact=True),
    # exponential linear units: the scalar backward tests x <= 0, so NaN is linear
    *_both("elu", lambda t, x: F(t).elu(x), pieces=True),
    *_both("elu/alpha", lambda t, x: F(t).elu(x, 0.5), pieces=True),
    *_both("elu/inplace", lambda t, x: F(t).elu(x * 1, 1.5, inplace=True), pieces=True),
    *_both("selu", lambda t, x: F(t).selu(x), pieces=True),
    *_both("celu", lambda t, x: F(t).celu(x, 2.0), pieces=True),
    # smooth activations: torch's formulas (exp overflowing to inf included)
    *_both("silu", lambda t, x: F(t).silu(x)),
    *_both("mish", lambda t, x: F(t).mish(x), pieces=True),
    *_both("softplus", lambda t, x: F(t).softplus(x), pieces=True),
    *_both("softplus/beta_threshold", lambda t, x: F(t).softplus(x, 2.0, 3.0), pieces=True),
    *_both("logsigmoid", lambda t, x: F(t).logsigmoid(x)),
    *_both("tanhshrink", lambda t, x: F(t).tanhshrink(x)),
    *_both("gelu/tanh", lambda t, x: F(t).gelu(x, approximate="tanh"), pieces=True),
    # gelu: torch's own kernel (strided float32, float64); not its oneDNN path
    Spec("special_nn/gelu/strided", lambda t, x: F(t).gelu(x[::2]), (S(21),), **ROUND32),
    Spec("special_nn/gelu/f64", lambda t, x: F(t).gelu(x), (S(21, dtype=F64),), **ROUND64),
    # gates and learnable slopes
    *_both("glu", lambda t, x: F(t).glu(x), shape=(3, 14)),
    *_both("glu/dim0", lambda t, x: F(t).glu(x, 0), shape=(6, 7)),
    Spec("special_nn/prelu", lambda t, x, w: F(t).prelu(x, w),
         (S(3, 7), A(1, grad=True)), **EXACT),
    Spec("special_nn/prelu/channels", lambda t, x, w: F(t).prelu(x, w),
         (S(3, 7, dtype=F64), A(7, dtype=F64)), **EXACT),
    # rows holding inf, -inf, NaN
    *_both("softmax", lambda t, x: F(t).softmax(x, 1), shape=(3, 7)),
    *_both("softmax/dim0", lambda t, x: F(t).softmax(x, 0), shape=(3, 7)),
    *_both("log_softmax", lambda t, x: F(t).log_softmax(x, 1), shape=(3, 7)),
    *_both("softmin", lambda t, x: F(t).softmin(x, 1), shape=(3, 7)),
    *_both("normalize", lambda t, x: F(t).normalize(x), shape=(3, 7)),
    # max pooling: the first maximum of a window in window order (so -0.0 before 0.0
    # wins), the last NaN; indices exact
    *_both("max_pool1d", lambda t, x: F(t).max_pool1d(x, 2, return_indices=True), exact=True,
           shape=(1, 1, 21)),
    *_both("max_pool1d/pad", lambda t, x: F(t).max_pool1d(x, 3, 1, 1), exact=True,
           shape=(1, 3, 7)),
    *_both("max_pool2d", lambda t, x: F(t).max_pool2d(x, 2, return_indices=True), exact=True,
           shape=(1, 3, 7)),
    *_both("max_pool2d/ceil_pad", lambda t, x: F(t).max_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                               return_indices=True),
           exact=True, shape=(1, 3, 7)),
    *_both("max_pool2d/dilation", lambda t, x: F(t).max_pool2d(x, 2, 1, dilation=2),
           exact=True, shape=(1, 3, 7)),
    *_both("adaptive_max_pool1d", lambda t, x: F(t).adaptive_max_pool1d(x, 5, True),
           exact=True, shape=(1, 1, 21)),
    *_both("adaptive_max_pool2d", lambda t, x: F(t).adaptive_max_pool2d(x, (2, 3), True),
           exact=True, shape=(1, 3, 7)),
    # average pooling: torch's order of summation, so inf - inf and 1e30 - 1e30 agree
    *_both("avg_pool1d", lambda t, x: F(t).avg_pool1d(x, 3, 2, 1), exact=True,
           shape=(1, 1, 21)),
    *_both("avg_pool2d", lambda t, x: F(t).avg_pool2d(x, 2, 1, count_include_pad=False),
           exact=True, shape=(1, 3, 7)),
    *_both("adaptive_avg_pool1d", lambda t, x: F(t).adaptive_avg_pool1d(x, 5), exact=True,
           shape=(1, 1, 21)),
    *_both("adaptive_avg_pool2d", lambda t, x: F(t).adaptive_avg_pool2d(x, (2, 3)),
           exact=True, shape=(1, 3, 7)),
    *_both("lp_pool1d", lambda t, x: F(t).lp_pool1d(x, 2.0, 3), shape=(1, 1, 21)),
]

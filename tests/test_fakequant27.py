"""fake_quantize_per_tensor_affine / fake_quantize_per_channel_affine; logsigmoid and
softplus where exp(-|x|) is subnormal; Module's swap path through torch.utils.swap_tensors
and Tensor.module_load (helper fakequant27)."""

import weakref

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F

FQT = torchlet.fake_quantize_per_tensor_affine
FQC = torchlet.fake_quantize_per_channel_affine


def _bits(a):
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


# ---------------------------------------------------------------------------------------
# fake quantization: hand-derived values


def test_per_tensor_values_mask_and_grad_fn():
    x = torchlet.tensor([0.26, 1.0, -1.0, 0.76, 0.25, 0.75], requires_grad=True)
    y = FQT(x, 0.5, 3, -10, 4)  # q = 1, 2(->5 > 4: clamped), -2, 2(clamped), 0, 2(clamped)
    assert y.tolist() == [0.5, 0.5, -1.0, 0.5, 0.0, 0.5]
    assert y.grad_fn.name() == "FakeQuantizePerTensorAffineCachemaskBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]  # straight through in range
    z = FQT(x, torchlet.tensor(0.5), torchlet.tensor(3, dtype=torchlet.int32), -10, 4)
    assert z.grad_fn.name() == "FakeQuantizePerTensorAffineCachemaskTensorQparamsBackward0"
    assert z.tolist() == y.tolist()


def test_per_tensor_rounding_types():
    # float64 input: x * float32(1/scale) in double, then (q - zp) * float32(scale) in float32
    scale = 0.34138710323214017
    y = FQT(torchlet.tensor([25.43333843], dtype=torchlet.float64), scale, 40, -171, 70)
    want = float(np.float32(30) * np.float32(scale))
    assert y.item() == want and want != 30 * scale
    # ties to even at exact halves
    x = torchlet.tensor([0.25, 0.75, -0.25, -0.75])
    assert FQT(x, 0.5, 0, -10, 10).tolist() == [0.0, 1.0, 0.0, -1.0]


def test_special_values_per_tensor_vs_per_channel():
    x = torchlet.tensor([float("inf"), -float("inf"), float("nan"), 1e30, -0.0])
    # per tensor: clamped in double (inf -> qmax, NaN -> qmin), +0.0 for -0.0
    assert FQT(x, 0.5, 3, -10, 20).tolist() == [8.5, -6.5, -6.5, 8.5, 0.0]
    # per channel: int64(inf or 1e30 * 2) is int64's smallest, so qmin
    s, z = torchlet.tensor([0.5] * 5), torchlet.tensor([3] * 5, dtype=torchlet.int32)
    xr = x.clone().requires_grad_()
    y = FQC(xr, s, z, 0, -10, 20)
    assert y.tolist() == [-6.5, -6.5, -6.5, -6.5, 0.0]
    assert y.grad_fn.name() == "FakeQuantizePerChannelAffineCachemaskBackward0"
    y.sum().backward()
    assert xr.grad.tolist() == [0.0, 0.0, 0.0, 0.0, 1.0]


def test_per_channel_float_zero_point_and_double_backward():
    x = torchlet.tensor([[0.26, -1.0], [1.0, 2.0]], dtype=torchlet.float64, requires_grad=True)
    y = FQC(x, torchlet.tensor([0.5, 0.25]), torchlet.tensor([1.6, -2.0]), 1, -10, 20)
    # lrint(zp + x / s): col 0: 1.6+0.52 -> 2, 1.6+2 -> 4; col 1: -2-4 -> -6, -2+8 -> 6
    zp = float(np.float32(1.6))  # (the float32 zero point, subtracted in double)
    want = [[(2 - zp) * 0.5, (-6 + 2.0) * 0.25], [(4 - zp) * 0.5, (6 + 2.0) * 0.25]]
    np.testing.assert_array_equal(y.detach().numpy(), np.array(want))
    (g,) = torchlet.autograd.grad(y.sum(), x, create_graph=True)
    assert g.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_no_tensor_methods():
    assert not hasattr(torchlet.Tensor, "fake_quantize_per_tensor_affine")
    assert not hasattr(torchlet.Tensor, "fake_quantize_per_channel_affine")


def _fqt(lib, *args):
    return lib.fake_quantize_per_tensor_affine(*args)


def _fqc(lib, x, scale, zero_point, *args):
    return lib.fake_quantize_per_channel_affine(x, lib.tensor(scale),
                                                lib.tensor(zero_point[0], dtype=getattr(
                                                    lib, zero_point[1])), *args)


_I32 = "int32"
_ERRORS = [  # (call on (lib, x), exception type, torch's message)
    (lambda lib, x: _fqt(lib, x, 0.1, 300, 0, 255), RuntimeError,
     "`zero_point` must be between `quant_min` and `quant_max`."),
    (lambda lib, x: _fqt(lib, x, 0.1, 3, 10, 5), RuntimeError,
     "`quant_min` should be less than or         equal to `quant_max`."),
    (lambda lib, x: _fqt(lib, x, 0.1, 3.0, 0, 255), TypeError,
     "invalid combination of arguments"),
    (lambda lib, x: _fqt(lib, x.int(), 0.1, 3, 0, 255), NotImplementedError,
     "not implemented for 'Int'"),
    (lambda lib, x: _fqt(lib, x, lib.tensor([0.1, 0.2]), lib.tensor([3, 4]), 0, 255),
     RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"),
    (lambda lib, x: _fqt(lib, x, lib.tensor(0.5), lib.tensor(2.0**31), 0, 255), RuntimeError,
     "value cannot be converted to type int without overflow"),
    (lambda lib, x: _fqt(lib, x, lib.tensor(0.5, requires_grad=True), lib.tensor(3), 0, 9),
     RuntimeError, "The function '_fake_quantize_per_tensor_affine_cachemask_tensor_qparams' "
     "is not differentiable with respect to argument 'scale'. This input cannot have "
     "requires_grad True."),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([0] * 4, "int64"), 1, 0, 9),
     RuntimeError, "Zero-point must be Int32, Float or Half, found Long"),
    (lambda lib, x: _fqc(lib, x.double(), [0.5] * 4, ([0] * 4, _I32), 1, 0, 9),
     None, None),  # (a float64 input is fine)
    (lambda lib, x: lib.fake_quantize_per_channel_affine(
        x, lib.tensor([0.5] * 4, dtype=lib.float64), lib.tensor([0] * 4, dtype=lib.int32), 1,
        0, 9), RuntimeError, "Scale must be Float or BFloat16, found Double"),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([0] * 4, _I32), -1, 0, 9),
     RuntimeError, "`axis` must be between 0 and number of dimensions of input"),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([0] * 4, _I32), 2, 0, 9),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([0] * 4, _I32), 0, 0, 9), RuntimeError,
     "dimensions of scale and zero-point are not consistent with input tensor"),
    (lambda lib, x: _fqc(lib, x, [0.5] * 3, ([0] * 4, _I32), 1, 0, 9),
     RuntimeError, "scale and zero-point need to have the same dimensions"),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([5] * 4, _I32), 1, 0, 4),
     RuntimeError, "`zero_point` must be between `quant_min` and `quant_max`."),
    (lambda lib, x: _fqc(lib, x, [0.5] * 4, ([0] * 4, _I32), 1, 10, 4),
     RuntimeError, "`quant_min` should be less than or         equal to `quant_max`."),
]


@pytest.mark.parametrize("case", range(len(_ERRORS)))
def test_errors(case):
    fn, kind, message = _ERRORS[case]
    x = torchlet.tensor(np.random.default_rng(case).standard_normal((3, 4)).astype(np.float32))
    if kind is None:
        assert fn(torchlet, x).shape == (3, 4)
        return
    with pytest.raises(kind) as info:
        fn(torchlet, x)
    assert message in str(info.value)


@pytest.mark.parametrize("case", range(len(_ERRORS)))
def test_errors_vs_torch(case):
    torch = pytest.importorskip("torch")
    fn = _ERRORS[case][0]
    x = np.random.default_rng(case).standard_normal((3, 4)).astype(np.float32)
    outcomes = []
    for lib in (torch, torchlet):
        try:
            outcomes.append(fn(lib, lib.tensor(x)).detach().numpy())
        except Exception as error:  # noqa: BLE001 - compared below
            outcomes.append(error)
    theirs, ours = outcomes
    assert type(ours) is type(theirs)
    if isinstance(ours, np.ndarray):
        np.testing.assert_array_equal(ours, theirs)
    elif not isinstance(ours, TypeError):  # (the parser's overload list is not copied)
        assert str(ours) == str(theirs)


def _sample_case(rng, lib):
    """One random fake-quantization call on ``lib``, as a function of the input."""
    kind = int(rng.integers(0, 3))
    scale = float(np.exp(rng.uniform(-8, 2)))
    qmin = int(rng.integers(-200, 10))
    qmax = int(rng.integers(qmin, qmin + 400))
    zp = int(rng.integers(qmin, qmax + 1))
    if kind == 0:
        return kind, scale, lambda t: lib.fake_quantize_per_tensor_affine(t, scale, zp, qmin,
                                                                           qmax)
    if kind == 1:
        zdt = ["int32", "int64", "float32"][int(rng.integers(0, 3))]
        return kind, scale, lambda t: lib.fake_quantize_per_tensor_affine(
            t, lib.tensor(scale), lib.tensor(zp, dtype=getattr(lib, zdt)), qmin, qmax)
    axis = int(rng.integers(0, 2))
    scales = np.exp(rng.uniform(-8, 2, 3)).astype(np.float32)
    zdt = ["int32", "float32", "float16"][int(rng.integers(0, 3))]
    zps = rng.integers(qmin, qmax + 1, 3) + (rng.uniform(-1, 1, 3) if zdt != "int32" else 0)
    return kind, float(scales.max()), lambda t: lib.fake_quantize_per_channel_affine(
        t, lib.tensor(scales), lib.tensor(zps, dtype=getattr(lib, zdt)), axis, qmin, qmax)


def test_sampled_differential_vs_torch():
    """Bit-exact values and gradients on inputs at exact halves, beside them, and at
    special values, for float16, float32 and float64, contiguous and transposed."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(27)
    for trial in range(150):
        dtype = (np.float16, np.float32, np.float64)[trial % 3]
        seed = int(rng.integers(1 << 30))
        kind, scale, ours = _sample_case(np.random.default_rng(seed), torchlet)
        _, _, theirs = _sample_case(np.random.default_rng(seed), torch)
        x = rng.standard_normal((3, 3)) * scale * rng.uniform(1, 300)
        x.flat[:3] = (rng.integers(-300, 300, 3) + 0.5) * float(np.float32(scale))
        x = x.astype(dtype)
        x.flat[3:5] = np.nextafter(x.flat[:2], dtype(np.inf))
        x.flat[5] = rng.choice([np.inf, -np.inf, np.nan, 0.0])
        grad = rng.standard_normal((3, 3)).astype(dtype)
        transpose = trial % 4 == 0
        results = []
        for lib, fn in ((torch, theirs), (torchlet, ours)):
            t = lib.tensor(x.T.copy()).t() if transpose else lib.tensor(x)
            t.requires_grad_()
            y = fn(t)
            y.backward(lib.tensor(grad))
            results.append((y.detach().numpy(), t.grad.numpy(), y.grad_fn.name(), y.stride()))
        (a, ga, na, sa), (b, gb, nb, sb) = results
        assert a.dtype == b.dtype and np.array_equal(_bits(a), _bits(b)), (trial, kind)
        np.testing.assert_array_equal(ga, gb)
        assert (na, tuple(sa)) == (nb, tuple(sb))


# ---------------------------------------------------------------------------------------
# logsigmoid and softplus: log1p of a subnormal exp(-|x|)


def test_logsigmoid_subnormal_rounding_hand():
    # exp(-100) in float32 is 27 * 2**-149; torch's SIMD log1p gives 2 * fl(27/2) = 28 steps
    tiny = 2.0**-149
    assert np.float32(np.exp(-100.0)) == np.float32(27 * tiny)
    assert F.logsigmoid(torchlet.tensor(100.0)).item() == -28 * tiny
    assert F.logsigmoid(torchlet.full((5,), 100.0)).tolist() == [-28 * tiny] * 5
    # softplus: its SIMD lanes (blocks of 32 float32) round so, its scalar tail does not
    assert F.softplus(torchlet.tensor(-100.0)).item() == 27 * tiny
    out = F.softplus(torchlet.full((33,), -100.0)).tolist()
    assert out == [28 * tiny] * 32 + [27 * tiny]
    assert F.softplus(torchlet.full((32,), -50.0), beta=2).tolist() == [14 * tiny] * 32


def test_logsigmoid_softplus_extreme_vs_torch():
    torch = pytest.importorskip("torch")
    for dtype, lo, hi in ((np.float32, 80, 110), (np.float64, 700, 760)):
        x = np.linspace(lo, hi, 20011).astype(dtype)
        y = np.exp(-x.astype(np.float64))
        sub = y < 2 * np.finfo(dtype).tiny
        for fn in (lambda lib, v: lib.nn.functional.logsigmoid(v),
                   lambda lib, v: lib.nn.functional.softplus(-v)):
            a = fn(torch, torch.tensor(x)).numpy()
            b = fn(torchlet, torchlet.tensor(x)).numpy()
            # SLEEF's exp is an ulp off for ~1% of inputs: the rest is bit-exact (was ~40%
            # off before: libm's log1p returns y itself)
            assert (a[sub] != b[sub]).mean() < 0.02
            assert sub.sum() > 10000


# ---------------------------------------------------------------------------------------
# Module: swap path via torch.utils.swap_tensors and Tensor.module_load


@pytest.fixture
def swap_flag():
    torchlet.__future__.set_swap_module_params_on_conversion(True)
    yield
    torchlet.__future__.set_swap_module_params_on_conversion(False)


def test_load_state_dict_honours_module_load(swap_flag):
    nn = torchlet.nn

    class Doubling(nn.Parameter):
        def module_load(self, other, assign=False):
            return (other * 2).detach()

    class Lazy(nn.Parameter):
        def module_load(self, other, assign=False):
            return self

    m = nn.Linear(2, 2)
    m.weight = Doubling(torchlet.ones(2, 2))
    w = m.weight
    m.load_state_dict({"weight": torchlet.full((2, 2), 3.0), "bias": torchlet.zeros(2)})
    assert m.weight is w and m.weight.tolist() == [[6.0, 6.0], [6.0, 6.0]]
    assert type(m.weight) is nn.Parameter and m.weight.requires_grad
    m.weight = Lazy(torchlet.ones(2, 2))
    with pytest.raises(RuntimeError, match="module_load returned one of self or other"):
        m.load_state_dict({"weight": torchlet.full((2, 2), 3.0), "bias": torchlet.zeros(2)})


def test_apply_swap_errors_name_the_parameter(swap_flag):
    m = torchlet.nn.Linear(2, 2)
    ref = weakref.ref(m.weight)
    with pytest.raises(RuntimeError, match=r"_apply\(\): Couldn't swap Linear.weight") as info:
        m.double()
    assert "weakref" in str(info.value.__cause__) and ref() is m.weight
    m = torchlet.nn.Linear(2, 2)
    m.weight.grad = torchlet.ones(2, 2)
    g = m.weight.grad
    ref = weakref.ref(g)
    with pytest.raises(RuntimeError, match=r"Couldn't swap Linear.weight.grad"):
        m.double()
    assert m.weight.dtype == torchlet.float64 and m.weight.grad is not g

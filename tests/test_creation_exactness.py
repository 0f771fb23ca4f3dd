"""Creation functions that must match torch bit for bit: float ``arange`` (torch's
vectorised CPU kernel), ``asarray``'s copy / alias / requires_grad rules, and
``empty(memory_format=)``."""

import array
import math
import random
import warnings
from fractions import Fraction

import numpy as np
import pytest

import torchlet
from torchlet._ops import creation

# ---------------------------------------------------------------------------------------
# arange with a float step


def _reference_arange(start, step, n, np_dtype):
    """torch's kernel written out element by element in exact rational arithmetic: lanes
    W = 32 bytes / itemsize; below n // 2W * 2W, ``base = dtype(fma(step, k // W * W,
    start))`` and ``dtype(fma(k % W, step, base))``, after it ``dtype(fma(step, k, start))``;
    each fma rounds once in acc (double; float for float16)."""
    acc = np.float32 if np_dtype == np.float16 else np.float64
    start, step = acc(start), acc(step)

    def fma(a, b, c):  # exact, then one rounding to acc (acc(float(x)) would round twice)
        exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
        return _round_to(exact, acc)

    lanes = 32 // np.dtype(np_dtype).itemsize
    vectorised = n // (2 * lanes) * (2 * lanes)
    out = []
    for k in range(n):
        if k < vectorised:
            j = k // lanes * lanes
            base = np_dtype(fma(step, j, start))
            out.append(np_dtype(fma(k - j, step, base)))
        else:
            out.append(np_dtype(fma(step, k, start)))
    return np.array(out, np_dtype)


def _round_to(x: Fraction, acc):
    """The nearest ``acc`` number to ``x`` (ties to even), found among the neighbours of
    a first guess."""
    guess = acc(float(x))
    candidates = [np.nextafter(guess, acc(-np.inf)), guess, np.nextafter(guess, acc(np.inf))]

    def key(c):
        bits = np.array(c, acc).view(np.uint32 if acc == np.float32 else np.uint64)
        return abs(Fraction(float(c)) - x), int(bits) & 1  # (even last bit wins a tie)

    return min(candidates, key=key)


def _random_cases(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        start = round(rng.uniform(-10, 10), rng.choice([0, 1, 2, 3]))
        step = round(rng.uniform(0.001, 2), rng.choice([1, 2, 3])) or 0.1
        if rng.random() < 0.3:
            step = -step
        yield start, start + step * rng.randint(0, 120) + rng.random() * step, step


def _same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(
        a.view(np.uint8), b.view(np.uint8))


def test_arange_d2l_mlp_example_keeps_the_tiny_value_at_zero():
    # -8 + 80 * 0.1 with 0.1 the double just above 1/10, fused: 80 * 0.1 is 8 + 2^-51
    x = torchlet.arange(-8.0, 8.0, 0.1)
    assert x[80].item() == np.float32(2.0 ** -51) and x[80].item() != 0
    assert "4.4409e-16" in str(x[::20])
    y = torchlet.arange(-7, 7, 0.01)
    assert y[700].item() == np.float32(8.940696716308594e-10)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arange_float_matches_the_kernel_written_out(dtype):
    np_dtype = np.dtype(dtype).type
    for start, end, step in _random_cases(1, 25):
        got = torchlet.arange(start, end, step, dtype=getattr(torchlet, dtype)).numpy()
        n = math.ceil((end - start) / step)
        assert _same_bits(got, _reference_arange(start, step, n, np_dtype)), (start, end, step)


def test_arange_rounds_twice_as_torch_does():
    # element 93: base 0.8f (0.800000011920928955078125) plus 5 * 0.1 (0.5 + 2.8e-17) is
    # just above a float32 midpoint, but the fma rounds to double first, onto the midpoint,
    # which then rounds to even: 1.29999995, not the 1.3000001 one rounding would give
    x = torchlet.arange(-8.0, 8.0, 0.1).numpy()
    assert x[93] == np.float32(1.2999999523162842)
    assert _same_bits(x, _reference_arange(-8.0, 0.1, 160, np.float32))


def test_arange_exact_values_and_signed_zero():
    assert torchlet.arange(10.0).tolist() == [float(i) for i in range(10)]
    assert torchlet.arange(-1, 1, 0.25).tolist() == [-1 + 0.25 * i for i in range(8)]
    first = torchlet.arange(-0.0, -5.0, -1.618).numpy()[0]
    assert first == 0 and np.signbit(first)  # fma(0, step, -0.0) is -0.0


def test_arange_integer_unchanged():
    assert torchlet.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert torchlet.arange(1, 10, 3, dtype=torchlet.int32).tolist() == [1, 4, 7]


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_arange_float_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # more threads restart the pattern per chunk past 32768
    try:
        cases = [*_random_cases(2, 150), (-8.0, 8.0, 0.1), (-7, 7, 0.01), (0.0, 1.0, 1e-5),
                 (3.3, 1e5, 1.0), (-100.0, 100.0, 0.37)]
        for start, end, step in cases:
            want = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
            got = torchlet.arange(start, end, step, dtype=getattr(torchlet, dtype)).numpy()
            assert _same_bits(got, want), (start, end, step)
    finally:
        torch.set_num_threads(threads)


def test_arange_float_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for m_args in [(-8.0, 8.0, 0.1), (-7, 7, 0.01)]:
        assert str(torchlet.arange(*m_args)[::20]) == str(torch.arange(*m_args)[::20])


# ---------------------------------------------------------------------------------------
# asarray


def _shares(t, a):
    return np.shares_memory(t.numpy(), a)


def test_asarray_numpy_copy_rules():
    a = np.arange(6, dtype=np.float32)
    assert _shares(torchlet.asarray(a), a)
    assert _shares(torchlet.asarray(a, copy=False), a)
    assert not _shares(torchlet.asarray(a, copy=True), a)
    converted = torchlet.asarray(a, dtype=torchlet.float64)  # copy=None: converts
    assert converted.dtype == torchlet.float64 and not _shares(converted, a)
    with pytest.raises(ValueError, match=r"^can't alias tensor with dtype 'Float' into "
                                         r"dtype 'Double'\.$"):
        torchlet.asarray(a, dtype=torchlet.float64, copy=False)
    with pytest.raises(ValueError, match="negative strides"):
        torchlet.asarray(np.arange(3)[::-1])


def test_asarray_tensor_identity_and_autograd():
    x = torchlet.arange(3.0)
    assert torchlet.asarray(x) is x and torchlet.asarray(x, copy=False) is x
    copied = torchlet.asarray(x, copy=True)
    assert copied is not x and not np.shares_memory(copied.numpy(), x.numpy())
    # requires_grad given: set on the very tensor returned (torch mutates a leaf too)
    assert torchlet.asarray(x, requires_grad=True) is x and x.requires_grad
    leaf = torchlet.ones(3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = torchlet.asarray(leaf * 2, copy=True)
    assert out.grad_fn.name() == "CloneBackward0"
    assert torchlet.asarray(leaf * 2, copy=True, requires_grad=False).is_leaf
    detached = torchlet.asarray(leaf * 2, requires_grad=False)
    assert detached.is_leaf and not detached.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        converted = torchlet.asarray(leaf * 2, dtype=torchlet.float64)
    assert converted.grad_fn.name() == "ToCopyBackward0"
    converted.sum().backward()
    assert leaf.grad.tolist() == [2.0, 2.0, 2.0]


def test_asarray_other_objects_and_errors():
    assert torchlet.asarray([1, 2]).dtype == torchlet.int64
    assert torchlet.asarray([1.0, 2.0], requires_grad=True).requires_grad
    assert torchlet.asarray(np.float64(2)).dtype == torchlet.float64
    assert torchlet.asarray(array.array("d", [1, 2]), dtype=torchlet.float64).tolist() == [1, 2]
    buffer = bytearray(b"abcd")
    shared = torchlet.asarray(buffer, dtype=torchlet.uint8)
    shared[0] = 0
    assert buffer[0] == 0  # the buffer's memory itself
    with pytest.raises(ValueError, match=r"^can't alias arbitrary sequence into a tensor\.$"):
        torchlet.asarray([1, 2], copy=False)
    with pytest.raises(RuntimeError, match=r"^can't alias NumPy scalars\. Either remove"):
        torchlet.asarray(np.float64(2), copy=False)
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex"):
        torchlet.asarray(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="takes 1 positional argument"):
        torchlet.asarray(np.arange(3), torchlet.float64)
    with pytest.raises(ValueError, match=r"^can't alias tensor from device 'cpu' to 'cuda'"):
        torchlet.asarray(np.ones(2), device="cuda", copy=False)


def _outcome(lib, make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = make(lib)
            result = (str(r.dtype).split(".")[-1], r.requires_grad, r.is_leaf,
                      r.grad_fn.name() if r.grad_fn is not None else None, r.tolist())
        except Exception as e:  # noqa: BLE001 - the error itself is compared
            result = (type(e).__name__, str(e))
    return result, [str(w.message) for w in caught]


_ASARRAY_CASES = {
    "tensor": lambda m: m.asarray(m.ones(2)),
    "leaf rg": lambda m: m.asarray(m.ones(2, requires_grad=True)),
    "leaf rg copy": lambda m: m.asarray(m.ones(2, requires_grad=True), copy=True),
    "leaf rg False": lambda m: m.asarray(m.ones(2, requires_grad=True), requires_grad=False),
    "nonleaf": lambda m: m.asarray(m.ones(2, requires_grad=True) * 2, requires_grad=None),
    "nonleaf f64": lambda m: m.asarray(m.ones(2, requires_grad=True) * 2, dtype=m.float64),
    "int rg": lambda m: m.asarray(m.ones(2, dtype=m.int64), requires_grad=True),
    "list f64": lambda m: m.asarray([1, 2], dtype=m.float64),
    "ragged": lambda m: m.asarray([[1], [2, 3]]),
    "np scalar f64 copy": lambda m: m.asarray(np.float32(2.5), dtype=m.float64, copy=True),
    "np scalar f64": lambda m: m.asarray(np.float32(2.5), dtype=m.float64),
    "bytes": lambda m: m.asarray(b"abcd", dtype=m.uint8),
    "empty bytes": lambda m: m.asarray(b""),
    "str": lambda m: m.asarray("ab"),
    "none": lambda m: m.asarray(None),
    "int np copy=False": lambda m: m.asarray(np.arange(3), dtype=m.float32, copy=False),
    "numpy dtype": lambda m: m.asarray(np.arange(3), dtype=np.float32),
    "cuda list": lambda m: m.asarray([1.0], device="cuda"),
    "cuda array": lambda m: m.asarray(np.ones(2), device="cuda"),
    "cuda tensor alias": lambda m: m.asarray(m.ones(2), device="cuda", copy=False),
    "cpu alias": lambda m: m.asarray(np.ones(2), device="cpu", copy=False),
}


@pytest.mark.parametrize("case", list(_ASARRAY_CASES))
def test_asarray_matches_torch(case):
    torch = pytest.importorskip("torch")
    want = _outcome(torch, _ASARRAY_CASES[case])[0]
    assert _outcome(torchlet, _ASARRAY_CASES[case])[0] == want


def test_asarray_requires_grad_warning_once():
    creation._asarray_warned["requires_grad"] = False
    leaf = torchlet.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torchlet.asarray(leaf)
        torchlet.asarray(leaf)
        torchlet.asarray(leaf, requires_grad=True)  # given: no warning
    assert len(caught) == 1
    assert str(caught[0].message).startswith("torch.asarray: unspecified requires_grad now "
                                             "defaults to obj.requires_grad")


# ---------------------------------------------------------------------------------------
# empty(memory_format=)


def test_empty_channels_last_strides():
    assert torchlet.empty(2, 3, 4, 5, memory_format=torchlet.channels_last).stride() == (
        60, 1, 15, 3)
    x = torchlet.empty(2, 3, 4, 5, 6, memory_format=torchlet.channels_last_3d)
    assert x.stride() == (360, 1, 90, 18, 3)
    assert x.is_contiguous(memory_format=torchlet.channels_last_3d)
    assert torchlet.empty((2, 3), memory_format=torchlet.contiguous_format).stride() == (3, 1)
    y = torchlet.empty(2, 3, 4, 5, memory_format=torchlet.channels_last, dtype=torchlet.float64,
                       requires_grad=True)
    assert y.dtype == torchlet.float64 and y.requires_grad and y.stride() == (60, 1, 15, 3)


def test_empty_memory_format_errors():
    with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last "
                                           "format$"):
        torchlet.empty(2, 3, 4, memory_format=torchlet.channels_last)
    with pytest.raises(RuntimeError, match="^unsupported memory format Preserve$"):
        torchlet.empty(2, 3, memory_format=torchlet.preserve_format)
    with pytest.raises(RuntimeError, match="incompatible with 'out' tensor"):
        torchlet.empty(2, 3, 4, 5, out=torchlet.empty(0), memory_format=torchlet.channels_last)
    with pytest.raises(TypeError, match="must be torch.memory_format, not int"):
        torchlet.empty(2, 3, memory_format=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'memory_format'"):
        torchlet.zeros(2, 3, 4, 5, memory_format=torchlet.channels_last)  # as torch


def test_empty_memory_format_matches_torch():
    torch = pytest.importorskip("torch")
    for lib_shape, fmt in [((2, 3, 4, 5), "channels_last"), ((2, 3, 1, 1), "channels_last"),
                           ((1, 2, 3, 4, 5), "channels_last_3d")]:
        want = torch.empty(*lib_shape, memory_format=getattr(torch, fmt)).stride()
        assert torchlet.empty(*lib_shape, memory_format=getattr(torchlet, fmt)).stride() == want


def test_wide_unsigned_numpy_arrays_convert_to_the_dtype_asked_for():
    """torch keeps uint16/32/64 arrays as such and converts; torchlet (without those dtypes)
    converts straight to the dtype given, with the same values."""
    for np_dtype in (np.uint16, np.uint32, np.uint64):
        a = np.array([1, 2, 65535], dtype=np_dtype)
        assert torchlet.tensor(a, dtype=torchlet.long).tolist() == [1, 2, 65535]
        assert torchlet.as_tensor(a[::2], dtype=torchlet.float32).tolist() == [1.0, 65535.0]
        with pytest.raises(TypeError, match="can't convert np.ndarray of type numpy.uint"):
            torchlet.tensor(a)  # no dtype to go to
    wrapped = torchlet.tensor(np.array([2**64 - 1], np.uint64), dtype=torchlet.long)
    assert wrapped.tolist() == [-1]  # as torch's uint64 -> int64 conversion

"""leftovers27: in-place argument errors (torch's parser before the leaf check, the C type
names of clamp_'s number overloads), Tensor.module_load and torchlet.utils.swap_tensors."""

import weakref

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # (the hand-written expectations below still run)
    torch = None


def _outcome(fn, lib):
    try:
        r = fn(lib)
    except Exception as e:  # noqa: BLE001 - (comparing the exception itself)
        return type(e).__name__, str(e)
    return "ok", r.tolist() if hasattr(r, "tolist") else r


def _check(fn, expected_type, expected_start=""):
    got = _outcome(fn, torchlet)
    assert got[0] == expected_type, got
    assert got[1].startswith(expected_start), got
    if torch is not None:
        assert got == _outcome(fn, torch)


# -- 1. clamp_ and the in-place bitwise ops ----------------------------------------------

@pytest.mark.parametrize("dtype,word", [("int64", "long int"), ("int32", "int"),
                                       ("uint8", "unsigned char"), ("int8", "signed char"),
                                       ("int16", "short int"), ("bool", "bool")])
@pytest.mark.parametrize("call", ["clamp_", "clamp_max", "clamp_min_", "clamp_max_", "clip_"])
def test_clamp_inplace_number_bound_cast_error_names_the_c_type(dtype, word, call):
    def fn(lib):
        t = lib.ones(2, dtype=getattr(lib, dtype))
        if call == "clamp_max":
            return t.clamp_(max=1.5)
        return getattr(t, call)(1.5)
    _check(fn, "RuntimeError", f"result type Float can't be cast to the desired output type {word}")
    # a Tensor bound keeps torch's ScalarType name
    _check(lambda lib: lib.ones(2, dtype=lib.int64).clamp_(lib.tensor(1.5)), "RuntimeError",
           "result type Float can't be cast to the desired output type Long")


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("call", [
    lambda t: t.clamp_("a"), lambda t: t.clamp_(1, "a"), lambda t: t.clamp_(None, "a"),
    lambda t: t.clip_([1.0]), lambda t: t.clamp_min_(None), lambda t: t.clamp_max_("a"),
    lambda t: t.clamp_(torchlet.ones(2) if isinstance(t, torchlet.Tensor) else torch.ones(2), 1.0),
    lambda t: t.bitwise_and_("a"), lambda t: t.bitwise_or_(None), lambda t: t.bitwise_xor_([1]),
])
def test_inplace_argument_errors_come_before_the_leaf_check(call, requires_grad):
    def fn(lib):
        return call(lib.tensor([1.0, 2.0], requires_grad=requires_grad))
    _check(fn, "TypeError")
    got = _outcome(fn, torchlet)[1]
    assert "received an invalid combination of arguments" in got
    assert got.split("(")[0] in ("clamp_", "clip_", "clamp_min_", "clamp_max_", "bitwise_and_",
                                 "bitwise_or_", "bitwise_xor_")


def test_clamp_min_none_lists_both_overloads():
    expected = ("clamp_min_() received an invalid combination of arguments - got (NoneType), but "
                "expected one of:\n * (Tensor min)\n      didn't match because some of the "
                "arguments have invalid types: (!NoneType!)\n * (Number min)\n      didn't match "
                "because some of the arguments have invalid types: (!NoneType!)\n")
    _check(lambda lib: lib.ones(2).clamp_min_(None), "TypeError", expected)


def test_clamp_inplace_still_works():
    t = torchlet.tensor([-2.0, 0.5, 3.0])
    assert t.clamp_(-1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert t.clip_(max=0.0).tolist() == [-1.0, 0.0, 0.0]
    assert torchlet.tensor([1, 5]).clamp_(np.int64(2), 4).tolist() == [2, 4]
    assert torchlet.tensor([1.0, 5.0]).clamp_min_(np.float32(2)).tolist() == [2.0, 5.0]


# -- 2. fill_ & co: torch's parser error wins over the leaf error ------------------------

@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("call,start", [
    (lambda lib, t: t.fill_("a"), "fill_() received an invalid combination"),
    (lambda lib, t: t.fill_(None), "fill_() received an invalid combination"),
    (lambda lib, t: t.index_fill_(0, lib.tensor([0]), "a"), "index_fill_() received an invalid"),
    (lambda lib, t: t.index_fill_("a", lib.tensor([0]), 1.0), "index_fill_() received an invalid"),
    (lambda lib, t: t.index_fill_(0, [0], 1.0), "index_fill_() received an invalid"),
    (lambda lib, t: t.masked_fill_("a", 1.0), "masked_fill_() received an invalid"),
    (lambda lib, t: t.fill_diagonal_("a"), "fill_diagonal_(): argument 'fill_value' (position 1)"),
    (lambda lib, t: t.fill_diagonal_(lib.ones(1)), "fill_diagonal_(): argument 'fill_value'"),
    (lambda lib, t: t.zero_(1), "TensorBase.zero_() takes no arguments (1 given)"),
    (lambda lib, t: t.detach_(1), "TensorBase.detach_() takes no arguments (1 given)"),
    (lambda lib, t: t.t_(1), "TensorBase.t_() takes no arguments (1 given)"),
    (lambda lib, t: t.squeeze_(None), "squeeze_() received an invalid combination"),
    (lambda lib, t: t.squeeze_("a"), "squeeze_() received an invalid combination"),
    (lambda lib, t: t.lerp_("a", 0.5), "lerp_() received an invalid combination"),
    (lambda lib, t: t.lerp_(t, "a"), "lerp_() received an invalid combination"),
    (lambda lib, t: t.copy_(t, non_blocking=0), "copy_(): argument 'non_blocking' must be bool"),
    (lambda lib, t: t.uniform_("a"), "uniform_(): argument 'from' (position 1) must be float"),
    (lambda lib, t: t.uniform_(0, None), "uniform_(): argument 'to' (position 2) must be float"),
    (lambda lib, t: t.normal_(None), "normal_(): argument 'mean' (position 1) must be float"),
    (lambda lib, t: t.exponential_(lib.ones(2)), "exponential_(): argument 'lambd' (position 1)"),
    (lambda lib, t: t.cauchy_("a"), "cauchy_(): argument 'median' (position 1) must be float"),
    (lambda lib, t: t.log_normal_(1.0, "a"), "log_normal_(): argument 'std' (position 2) must"),
    (lambda lib, t: t.geometric_("a"), "geometric_(): argument 'p' (position 1) must be float"),
])
def test_fill_like_argument_errors(call, start, requires_grad):
    _check(lambda lib: call(lib, lib.ones(2, 2, requires_grad=requires_grad)), "TypeError", start)


def test_fill_like_good_arguments_still_work():
    t = torchlet.zeros(2, 2)
    assert t.fill_(np.float64(3)).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert t.fill_(torchlet.tensor(2.0)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert t.index_fill_(np.int64(0), torchlet.tensor([1]), 5).tolist() == [[2.0, 2.0], [5.0, 5.0]]
    assert t.fill_diagonal_(torchlet.tensor(7.0)).tolist() == [[7.0, 2.0], [5.0, 7.0]]
    assert t.squeeze_().shape == (2, 2) and torchlet.ones(2, 1).squeeze_((1,)).shape == (2,)
    assert t.uniform_(torchlet.tensor(0.5), 1).min().item() >= 0.5
    assert t.zero_().tolist() == [[0.0, 0.0], [0.0, 0.0]]


# -- 3. module_load and swap_tensors -----------------------------------------------------

def test_module_load():
    t = torchlet.ones(2)
    r = t.module_load(torchlet.full((2,), 3.0))
    assert r is not t and r.tolist() == [3.0, 3.0] and t.tolist() == [3.0, 3.0]
    other = torchlet.full((2,), 4.0, requires_grad=True)
    r = t.module_load(other, assign=True)
    assert r is not other and not r.requires_grad and t.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        torchlet.nn.Parameter(torchlet.ones(2)).module_load(torchlet.zeros(2))


def _swap_cases(lib):
    swap = lib.utils.swap_tensors
    results = []
    t1, t2 = lib.tensor([1.0]), lib.nn.Parameter(lib.tensor([2.0, 3.0]))
    swap(t1, t2)
    results.append((type(t1).__name__, type(t2).__name__, t1.tolist(), t2.tolist(),
                    t1.requires_grad, t2.requires_grad))
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    x2 = lib.tensor([5.0, 6.0, 7.0])
    x2.foo = 1
    swap(x, x2)
    results.append((x.tolist(), x.grad, x2.grad.tolist(), x.foo, hasattr(x2, "foo"),
                    x.requires_grad, x2.requires_grad))
    x, x2 = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], requires_grad=True)
    swap(x, x2)
    (x * x).sum().backward()
    results.append((x.grad.tolist(), x2.grad))
    for first in (True, False):
        a, b = lib.ones(2), lib.zeros(3)
        ref = weakref.ref(a)  # noqa: F841 - (alive during the swap)
        pair = (a, b) if first else (b, a)
        results.append(_outcome(lambda _, pair=pair: swap(*pair), lib))
    b = lib.zeros(3)
    v = b[1:]
    results.append(_outcome(lambda _: swap(b, lib.ones(2)), lib))
    b = lib.zeros(3, requires_grad=True)
    v = b[1:]  # noqa: F841 - (a live view holds b)
    results.append(_outcome(lambda _: swap(b, lib.ones(2)), lib)[0])
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    swap(x, lib.ones(2))
    results.append(_outcome(lambda _: y.backward(), lib))
    return results


def test_swap_tensors():
    got = _swap_cases(torchlet)
    assert got[0] == ("Parameter", "Tensor", [2.0, 3.0], [1.0], True, False)
    assert got[1] == ([5.0, 6.0, 7.0], None, [2.0, 2.0], 1, False, False, True)
    assert got[2] == ([6.0, 8.0], None)
    assert got[3] == ("RuntimeError", "Cannot swap t1 because it has weakref associated with it")
    assert got[4] == ("RuntimeError", "Cannot swap t2 because it has weakref associated with it")
    assert got[5][0] == "RuntimeError" and "does not require gradients" in got[5][1]
    assert got[6] == "RuntimeError"
    assert got[7][0] == "RuntimeError" and "poisoned by swap_tensors" in got[7][1]
    if torch is not None:
        assert got == _swap_cases(torch)


def test_swap_tensors_refuses_other_slots():
    class Slotted(torchlet.Tensor):
        __slots__ = ("q",)

    with pytest.raises(RuntimeError, match="different slots"):
        torchlet.utils.swap_tensors(torchlet.ones(1), torchlet.ones(1).as_subclass(Slotted))


# -- sampled: in-place ops with random operand kinds, against torch ----------------------

def test_sampled_inplace_argument_errors():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(27)
    methods = ["clamp_", "clamp_min_", "clamp_max_", "clip_", "bitwise_and_", "bitwise_or_",
               "bitwise_xor_", "fill_", "lerp_"]
    kinds = ["int64", "int32", "uint8", "bool", "float32", "float64"]
    others = [1.5, 2, True, "a", None, [1, 2]]
    for _ in range(120):
        method, kind = methods[rng.integers(len(methods))], kinds[rng.integers(len(kinds))]
        other = others[rng.integers(len(others))]
        grad = kind.startswith("float") and bool(rng.integers(2))

        def fn(lib, method=method, kind=kind, other=other, grad=grad):
            t = lib.tensor([1, 2, 3], dtype=getattr(lib, kind)).requires_grad_(grad)
            args = (t, other) if method == "lerp_" else (other,)
            return getattr(t, method)(*args)

        got, expected = _outcome(fn, torchlet), _outcome(fn, torch_)
        assert got[0] == expected[0], (method, kind, other, grad, got, expected)
        assert got == expected, (method, kind, other, grad)

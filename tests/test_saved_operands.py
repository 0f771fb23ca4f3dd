"""What products save for backward, and float16 products rounded once.

* As torch (derivatives.yaml), a product saves a factor only for the other factor's
  gradient: ``y * c`` with only y requiring grad saves c, not y, so changing y in place
  before backward is no error; changing c is. The same for div (a for grad_b only),
  remainder/fmod (both for grad_b only), addcmul/addcdiv, mm/addmm/bmm/baddbmm/mv/dot,
  linear and einsum.
* float16 addmm/baddbmm/linear with a bias are computed in float32 and rounded once, with
  alpha/beta in float32, as torch's reduced-precision gemm does.
"""

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck, gradgradcheck

MODIFIED = "modified by an inplace operation"


def _x(lib):
    return lib.tensor([[0.5, -1.0], [2.0, 0.3]], requires_grad=True)


def _c(lib):
    return lib.tensor([[1.0, 2.0], [3.0, 4.0]])


def _outcome(lib, make):
    """Build out from a fresh leaf x, run the in-place change, backward: x.grad or the
    error message."""
    x = _x(lib)
    out, change = make(lib, x)
    change()
    try:
        out.sum().backward()
    except RuntimeError as error:
        return str(error)
    return x.grad.tolist()


def _y_changed(product):
    """y = x * 1 enters ``product`` with a constant; then y is changed in place."""
    def make(lib, x):
        y = x * 1
        out = product(lib, y, _c(lib))
        return out, lambda: y.add_(1)
    return make


def _constant_changed(product):
    """As _y_changed, but the constant is changed in place."""
    def make(lib, x):
        y, c = x * 1, _c(lib)
        out = product(lib, y, c)
        return out, lambda: c.add_(1)
    return make


def _f(lib):
    return lib.nn.functional


# (name, build, expected x.grad by hand, or None where the change must raise)
CASES = [
    ("mul", _y_changed(lambda lib, y, c: y * c), [[1, 2], [3, 4]]),
    ("mul_left", _y_changed(lambda lib, y, c: c * y), [[1, 2], [3, 4]]),
    ("mul_scalar", _y_changed(lambda lib, y, c: y * 3), [[3, 3], [3, 3]]),
    ("mul_index", _y_changed(lambda lib, y, c: y[0] * 5), [[5, 5], [0, 0]]),
    ("mul_transposed", _y_changed(lambda lib, y, c: y.t() * 1), [[1, 1], [1, 1]]),
    ("mul_const_changed", _constant_changed(lambda lib, y, c: y * c), None),
    ("div", _y_changed(lambda lib, y, c: y / c), [[1, 0.5], [1 / 3, 0.25]]),
    ("div_const_changed", _constant_changed(lambda lib, y, c: y / c), None),
    ("div_denominator", _y_changed(lambda lib, y, c: c / y), None),
    ("remainder", _y_changed(lambda lib, y, c: lib.remainder(y, c)), [[1, 1], [1, 1]]),
    ("remainder_const_changed",
     _constant_changed(lambda lib, y, c: lib.remainder(y, c)), [[1, 1], [1, 1]]),
    ("fmod", _y_changed(lambda lib, y, c: lib.fmod(y, c)), [[1, 1], [1, 1]]),
    ("addcmul", _y_changed(lambda lib, y, c: lib.addcmul(lib.zeros(2), y, c)),
     [[1, 2], [3, 4]]),
    ("addcmul_const_changed",
     _constant_changed(lambda lib, y, c: lib.addcmul(lib.zeros(2), y, c)), None),
    ("addcdiv", _y_changed(lambda lib, y, c: lib.addcdiv(lib.zeros(2), y, c)),
     [[1, 0.5], [1 / 3, 0.25]]),
    ("addcdiv_const_changed",
     _constant_changed(lambda lib, y, c: lib.addcdiv(lib.zeros(2), y, c)), None),
    ("mm", _y_changed(lambda lib, y, c: y @ c), [[3, 7], [3, 7]]),
    ("mm_left", _y_changed(lambda lib, y, c: c @ y), [[4, 4], [6, 6]]),
    ("mm_const_changed", _constant_changed(lambda lib, y, c: y @ c), None),
    ("mv", _y_changed(lambda lib, y, c: y @ lib.ones(2)), [[1, 1], [1, 1]]),
    ("dot", _y_changed(lambda lib, y, c: lib.dot(y[0], c[0])), [[1, 2], [0, 0]]),
    ("dot_const_changed", _constant_changed(lambda lib, y, c: lib.dot(y[0], c[0])), None),
    ("bmm", _y_changed(lambda lib, y, c: lib.bmm(y[None], c[None])), [[3, 7], [3, 7]]),
    ("bmm_const_changed",
     _constant_changed(lambda lib, y, c: lib.bmm(y[None], c[None])), None),
    ("addmm", _y_changed(lambda lib, y, c: lib.addmm(lib.ones(2), y, c)), [[3, 7], [3, 7]]),
    ("addmm_const_changed",
     _constant_changed(lambda lib, y, c: lib.addmm(lib.ones(2), y, c)), None),
    ("baddbmm", _y_changed(lambda lib, y, c: lib.baddbmm(lib.ones(2), y[None], c[None])),
     [[3, 7], [3, 7]]),
    ("linear", _y_changed(lambda lib, y, c: _f(lib).linear(y, c)), [[4, 6], [4, 6]]),
    ("linear_bias", _y_changed(lambda lib, y, c: _f(lib).linear(y, c, lib.ones(2))),
     [[4, 6], [4, 6]]),
    ("linear_3d", _y_changed(lambda lib, y, c: _f(lib).linear(y[None], c, lib.ones(2))),
     [[4, 6], [4, 6]]),
    ("linear_const_changed",
     _constant_changed(lambda lib, y, c: _f(lib).linear(y, c, lib.ones(2))), None),
    ("linear_input_const", lambda lib, x: _linear_input_const(lib, x), [[4, 6], [4, 6]]),
    ("einsum", _y_changed(lambda lib, y, c: lib.einsum("ij,jk->ik", y, c)), [[3, 7], [3, 7]]),
    ("einsum_const_changed",
     _constant_changed(lambda lib, y, c: lib.einsum("ij,jk->ik", y, c)), None),
    ("einsum_one", _y_changed(lambda lib, y, c: lib.einsum("ij->i", y)), [[1, 1], [1, 1]]),
    ("einsum_product", _y_changed(lambda lib, y, c: lib.einsum("ij,ij->ij", y, c)),
     [[1, 2], [3, 4]]),
    ("einsum_three", _y_changed(lambda lib, y, c: lib.einsum("ij,jk,kl->il", y, c, c)),
     [[17, 37], [17, 37]]),
]


def _linear_input_const(lib, x):
    """Only the weight w = x * 1 needs a gradient: the input is saved, the weight not."""
    w = x * 1
    out = _f(lib).linear(_c(lib), w, lib.ones(2))
    return out, lambda: w.add_(1)


@pytest.mark.parametrize("name,make,expected", CASES, ids=[c[0] for c in CASES])
def test_inplace_change_of_an_operand(name, make, expected):
    got = _outcome(torchlet, make)
    if expected is None:
        assert isinstance(got, str) and MODIFIED in got
    else:
        assert not isinstance(got, str), got
        np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("name,make,expected", CASES, ids=[c[0] for c in CASES])
def test_inplace_change_of_an_operand_as_torch(name, make, expected):
    torch = pytest.importorskip("torch")
    got, want = _outcome(torchlet, make), _outcome(torch, make)
    assert isinstance(got, str) == isinstance(want, str), (got, want)
    if not isinstance(want, str):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def _relu_saved_result(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x.relu()
    z = y * 2
    y.mul_(2)  # y is ReLU's saved result; the Mul by a number saves nothing of y
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    return str(info.value)


def test_error_names_the_node_whose_saved_value_changed():
    message = _relu_saved_result(torchlet)
    assert "which is output 0 of Relu," in message
    torch = pytest.importorskip("torch")
    assert message == _relu_saved_result(torch)


def test_mul_saves_the_other_operand_so_retain_graph_still_needed():
    x = torchlet.tensor([1.0, 2.0], requires_grad=True)
    s = (x * torchlet.tensor([3.0, 4.0])).sum()
    s.backward(retain_graph=True)
    s.backward()
    assert x.grad.tolist() == [6.0, 8.0]
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        s.backward()


def test_remainder_of_a_constant_divisor_saves_nothing():
    # torch saves the operands only for the divisor's gradient: a second backward works
    x = torchlet.tensor([0.5, 2.5], requires_grad=True)
    s = torchlet.remainder(x, torchlet.tensor([2.0, 1.0])).sum()
    s.backward()
    s.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_weight_gradient_keeps_its_layout_when_only_the_weight_needs_it():
    # mm_mat2_backward follows the layout of w.t() (column-major): w.grad is contiguous
    w = torchlet.ones(3, 2, requires_grad=True)
    (torchlet.ones(4, 2) @ w.t()).sum().backward()
    assert w.grad.is_contiguous()
    assert w.grad.tolist() == [[4.0, 4.0]] * 3


def _double(shape, seed, requires_grad=True):
    rng = np.random.default_rng(seed)
    data = rng.uniform(0.5, 1.5, shape)
    return torchlet.tensor(data, dtype=torchlet.float64, requires_grad=requires_grad)


ONE_SIDED = [
    ("mul", lambda a, b: a * b, (3, 4), (3, 4)),
    ("div", lambda a, b: a / b, (3, 4), (3, 4)),
    ("mm", lambda a, b: a @ b, (3, 4), (4, 2)),
    ("mv", lambda a, b: a @ b, (3, 4), (4,)),
    ("dot", torchlet.dot, (4,), (4,)),
    ("bmm", torchlet.bmm, (2, 3, 4), (2, 4, 2)),
    ("addmm", lambda a, b: torchlet.addmm(torchlet.ones(2, dtype=torchlet.float64), a, b,
                                          alpha=0.5, beta=2.0), (3, 4), (4, 2)),
    ("baddbmm", lambda a, b: torchlet.baddbmm(torchlet.ones(2, dtype=torchlet.float64),
                                              a, b, alpha=0.5), (2, 3, 4), (2, 4, 2)),
    ("linear", lambda a, b: torchlet.nn.functional.linear(a, b), (3, 4), (2, 4)),
    ("linear_bias", lambda a, b: torchlet.nn.functional.linear(
        a, b, torchlet.ones(2, dtype=torchlet.float64)), (3, 4), (2, 4)),
    ("einsum", lambda a, b: torchlet.einsum("ij,jk->ik", a, b), (3, 4), (4, 2)),
    ("addcmul", lambda a, b: torchlet.addcmul(a, a, b, value=0.5), (3, 4), (3, 4)),
    ("addcdiv", lambda a, b: torchlet.addcdiv(a, b, a, value=0.5), (3, 4), (3, 4)),
    ("remainder", torchlet.remainder, (3, 4), (3, 4)),
]


@pytest.mark.parametrize("name,fn,shape_a,shape_b", ONE_SIDED, ids=[c[0] for c in ONE_SIDED])
@pytest.mark.parametrize("grad_of", ["a", "b", "both"])
def test_gradients_with_one_or_both_operands_requiring_grad(name, fn, shape_a, shape_b,
                                                            grad_of):
    """First and second order (create_graph) with only what is saved for that case."""
    a = _double(shape_a, 0, grad_of in ("a", "both"))
    b = _double(shape_b, 1, grad_of in ("b", "both"))
    if grad_of == "a":
        inputs, f = (a,), lambda a_: fn(a_, b)
    elif grad_of == "b":
        inputs, f = (b,), lambda b_: fn(a, b_)
    else:
        inputs, f = (a, b), fn
    assert gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)
    if name != "remainder":  # (kinks aside, its second derivative is zero: not checked)
        assert gradgradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3)


# ---------------------------------------------------------------------------------------
# float16: one rounding


def test_half_addmm_rounds_once_by_hand():
    # 1 + 2**-11 is a float16 tie (rounds to 1.0); adding 2**-12 before rounding gives
    # 1 + 2**-10. Rounding the product first, then the sum, gives 1.0.
    x = torchlet.tensor([[1.0, 1.0]], dtype=torchlet.float16)
    w = torchlet.tensor([[1.0, 2.0**-11]], dtype=torchlet.float16)
    b = torchlet.tensor([2.0**-12], dtype=torchlet.float16)
    expected = [[1 + 2.0**-10]]
    assert torchlet.nn.functional.linear(x, w, b).tolist() == expected
    assert torchlet.addmm(b, x, w.t()).tolist() == expected
    assert torchlet.baddbmm(b, x[None], w.t()[None]).tolist() == [expected]
    lin = torchlet.nn.Linear(2, 1).half()
    with torchlet.no_grad():
        lin.weight.copy_(w)
        lin.bias.copy_(b)
    assert lin(x).tolist() == expected


def test_half_linear_of_the_report():
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (torchlet, torch):
        lib.manual_seed(0)
        layer = lib.nn.Linear(4, 3).half()
        outs.append(layer(lib.randn(2, 4).half()).detach().numpy())
    np.testing.assert_array_equal(outs[0].view(np.uint16), outs[1].view(np.uint16))


def _half_cases(n_cases, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n_cases):
        n, k, m = rng.integers(1, 24, 3)
        yield (rng.standard_normal((n, k)).astype(np.float16),
               rng.standard_normal((m, k)).astype(np.float16),
               rng.standard_normal(m).astype(np.float16))


def _ulps(a, b):
    return np.abs(a.astype(np.float64) - b.astype(np.float64)) / np.spacing(
        np.maximum(np.abs(a), np.abs(b)).astype(np.float16)).astype(np.float64)


@pytest.mark.parametrize("op", ["linear", "addmm", "addmm_scaled", "baddbmm"])
def test_half_products_with_bias_as_torch(op):
    """Over 200 random products: torch's float32 sums run in another order than NumPy's,
    so a few results may differ by one unit in the last place, no more; rounding twice
    differed in about a third of the elements."""
    torch = pytest.importorskip("torch")

    def compute(lib, x, w, b):
        x, w, b = (lib.from_numpy(v.copy()) for v in (x, w, b))
        if op == "linear":
            return lib.nn.functional.linear(x, w, b)
        if op == "addmm":
            return lib.addmm(b, x, w.t())
        if op == "addmm_scaled":
            return lib.addmm(b, x, w.t(), beta=0.3, alpha=0.1)  # alpha, beta in float32
        return lib.baddbmm(b, x[None], w.t()[None], alpha=0.7)

    differ = total = 0
    for x, w, b in _half_cases(200, seed=3):
        got = compute(torchlet, x, w, b).numpy()
        want = compute(torch, x, w, b).numpy()
        assert got.dtype == want.dtype == np.float16
        # one float16 ulp, or where the sum cancels, what float32 sums of k terms in two
        # orders may differ by (k eps32 times the sum of the terms' magnitudes)
        k = x.shape[1] + 1
        terms = np.abs(b.astype(np.float64)) + np.abs(x.astype(np.float64)) @ np.abs(
            w.astype(np.float64)).T
        cancelled = np.abs(got.astype(np.float64) - want.astype(np.float64)) <= (
            k * np.finfo(np.float32).eps * terms)
        assert np.all((_ulps(got, want) <= 1) | cancelled.reshape(got.shape))
        differ += int((got.view(np.uint16) != want.view(np.uint16)).sum())
        total += got.size
    assert differ <= total // 200, (differ, total)


def test_half_addmm_gradients_as_torch():
    torch = pytest.importorskip("torch")
    x, w, b = next(_half_cases(1, seed=5))
    grads = []
    for lib in (torchlet, torch):
        tx, tw, tb = (lib.from_numpy(v.copy()).requires_grad_() for v in (x, w, b))
        lib.nn.functional.linear(tx, tw, tb).sum().backward()
        grads.append([t.grad.numpy() for t in (tx, tw, tb)])
    for got, want in zip(*grads, strict=True):
        assert got.dtype == want.dtype
        assert np.all(_ulps(got, want) <= 1)

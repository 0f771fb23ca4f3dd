"""Small gaps with torch closed in session 18 (leftovers): CopySlices' edges after an
in-place op on a view, the order of _inplace's errors, index_put's layout, the layout of
torch.tensor(ndarray), block_diag's backward after a 1-D empty input, a meta tensor's
storage_offset. Each is checked against a hand-derived expectation and, where torch is
importable, against torch live."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import torchlet


def _torch():
    return pytest.importorskip("torch")


def _names(node, depth=2):
    """next_functions' names, ``depth`` levels down (None for a missing edge)."""
    if node is None or depth == 0:
        return None
    return [(n.name() if n is not None else None, nr, _names(n, depth - 1))
            for n, nr in node.next_functions]


# ---------------------------------------------------------------------------------------
# 1. CopySlices wraps the in-place op's node: its edges are the base's, then the op's other
# inputs' (torch's CopySlices(base, fn): base edge + fn.next_edges[1:])


def _mul_into_column(lib):
    x = lib.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w = lib.tensor([2.0, 3.0, 4.0], dtype=lib.float64, requires_grad=True)
    y = x * 1
    y[:, 1].mul_(w[0])
    return x, w, y


def test_copyslices_edges_are_base_then_other_inputs():
    x, w, y = _mul_into_column(torchlet)
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert _names(y.grad_fn) == [
        ("MulBackward0", 0, [("torch::autograd::AccumulateGrad", 0, None), (None, 0, None)]),
        ("SelectBackward0", 0, [("torch::autograd::AccumulateGrad", 0, None)]),
    ]
    y.backward(torchlet.ones(3, 4))
    # column 1 of y is x[:, 1] * w[0]: its gradient is w[0] = 2 for x, sum(x[:, 1]) for w
    assert x.grad.tolist() == [[1.0, 2.0, 1.0, 1.0]] * 3
    assert w.grad.tolist() == [1.0 + 5.0 + 9.0, 0.0, 0.0]
    torch = _torch()
    tx, tw, ty = _mul_into_column(torch)
    assert _names(y.grad_fn) == _names(ty.grad_fn)
    ty.backward(torch.ones(3, 4))
    assert x.grad.tolist() == tx.grad.tolist() and w.grad.tolist() == tw.grad.tolist()


def test_copyslices_copy_and_scalar_op():
    """copy_ links the source itself; add_(1) keeps the op's missing second edge."""
    x = torchlet.zeros(3, 4, requires_grad=True)
    z = torchlet.ones(3, 3, requires_grad=True)
    y = x * 1
    y[:, 1:].copy_(z)
    assert [n.name() for n, _ in y.grad_fn.next_functions] == [
        "MulBackward0", "torch::autograd::AccumulateGrad"]
    assert y.grad_fn.next_functions[1][0].variable is z
    y2 = x * 1
    y2.diagonal().add_(1)
    assert [(n.name() if n else None) for n, _ in y2.grad_fn.next_functions] == [
        "MulBackward0", None]


def test_copyslices_runs_once_without_retain_graph():
    """torch frees CopySlices' op after backward: a second backward is its error."""
    x = torchlet.zeros(3, 4, requires_grad=True)
    y = x + 0
    y[0].add_(1)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    assert x.grad.tolist() == [[2.0] * 4] * 3
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_retain_grad_of_base_follows_copyslices():
    """y.retain_grad(), then a write into a view of y: y.grad is the gradient of the new y."""
    x = torchlet.zeros(2, 3, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y[1].mul_(torchlet.tensor([1.0, 2.0, 3.0]))
    (y * torchlet.arange(6.0).reshape(2, 3)).sum().backward()
    assert y.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [6.0, 16.0, 30.0]]


def _custom_inplace(lib, returns_none_for_view):
    class MulW(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, w):
            ctx.mark_dirty(a)
            a.mul_(w)
            return a

        @staticmethod
        def backward(ctx, g):
            return (None if returns_none_for_view else g * 2), g * 3

    x = lib.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    w = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    MulW.apply(y[1], w)
    y.backward(lib.ones(3, 4))
    return x.grad, w.grad, [n.name() for n, _ in y.grad_fn.next_functions]


def test_copyslices_of_custom_function():
    """A custom Function's node is wrapped too; its None for the view gives the base no
    gradient at all (torch's CopySlices skips an undefined gradient of input 0)."""
    gx, gw, names = _custom_inplace(torchlet, False)
    assert names == ["MulBackward0", "torch::autograd::AccumulateGrad"]
    assert gx.tolist() == [[1.0] * 4, [2.0] * 4, [1.0] * 4] and gw.tolist() == [3.0] * 4
    gx0, gw0, _ = _custom_inplace(torchlet, True)
    assert gx0 is None and gw0.tolist() == [3.0] * 4
    torch = _torch()
    for none in (False, True):
        ours, theirs = _custom_inplace(torchlet, none), _custom_inplace(torch, none)
        assert ours[2] == theirs[2]
        for a, b in zip(ours[:2], theirs[:2]):
            assert (a is None) == (b is None) and (a is None or a.tolist() == b.tolist())


def test_copyslices_double_backward():
    def f(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * x
        y[1].mul_(w * w)
        g, gw = lib.autograd.grad(y.sum(), (x, w), create_graph=True)
        return [t.tolist() for t in lib.autograd.grad((g * g).sum() + (gw ** 3).sum(), (x, w))]

    ours = f(torchlet)
    # row 0 of y is x^2: g = 2x there, and d/dx of sum(g^2) is 8x
    assert ours[0][0] == [8.0, 16.0, 24.0]
    for mine, theirs in zip(ours, f(_torch()), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


_VIEWS = [lambda y: y[1], lambda y: y[:, 2], lambda y: y[1:, 1:], lambda y: y.diagonal(),
          lambda y: y.t()[0], lambda y: y[::2], lambda y: y.view(-1)[3:7],
          lambda y: y[:, ::2].t()]
_OPS = [lambda v, w: v.mul_(w), lambda v, w: v.add_(w, alpha=2), lambda v, w: v.copy_(w),
        lambda v, w: v.sub_(v), lambda v, w: v.div_(w), lambda v, w: v.exp_(),
        lambda v, w: v.clamp_(min=-0.5), lambda v, w: v.addcmul_(w, w),
        lambda v, w: v.lerp_(w, 0.3), lambda v, w: v.masked_fill_(w > 0, 1.0),
        lambda v, w: v.zero_(), lambda v, w: v.sigmoid_().mul_(w)]


def _view_case(lib, seed):
    rng = np.random.default_rng(seed)
    view, op = _VIEWS[rng.integers(len(_VIEWS))], _OPS[rng.integers(len(_OPS))]
    x = lib.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    coef = lib.tensor(rng.standard_normal((4, 5)))
    y = x * 1
    v = view(y)
    w0 = lib.tensor(rng.standard_normal(tuple(v.shape)), requires_grad=True)
    op(v, w0 * 1 if rng.random() < 0.5 else w0)
    try:
        (y * coef).sum().backward()
    except RuntimeError as e:  # (sigmoid_ then mul_: the saved result was overwritten)
        return _names(y.grad_fn), str(e)[:60], None
    return _names(y.grad_fn), x.grad.numpy(), None if w0.grad is None else w0.grad.numpy()


@pytest.mark.parametrize("seed", range(24))
def test_inplace_on_view_sampled_against_torch(seed):
    torch = _torch()
    ours, theirs = _view_case(torchlet, seed), _view_case(torch, seed)
    assert ours[0] == theirs[0]
    if isinstance(ours[1], str):
        assert ours[1] == theirs[1]
        return
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
    assert (ours[2] is None) == (theirs[2] is None)
    if ours[2] is not None:
        np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------
# 2. _inplace: torch checks the output (broadcast shape, then castability) before the
# kernel's own dtype refusal


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the outcome compared is the error itself)
        return type(e).__name__, str(e)
    return None


_ORDER_CASES = [
    (lambda t: t.tensor(2).hypot_(t.tensor([5])),
     "output with shape [] doesn't match the broadcast shape [1]"),
    (lambda t: t.tensor([1, 2], dtype=t.int32).__ilshift__(np.True_),
     "result type Float can't be cast to the desired output type Int"),
    (lambda t: t.tensor(1.0).gcd_(t.tensor([1, 1])),
     "output with shape [] doesn't match the broadcast shape [2]"),
    (lambda t: t.tensor([1]).gcd_(t.tensor([1.0])),
     "result type Float can't be cast to the desired output type Long"),
    (lambda t: t.tensor(1).fmod_(t.tensor([1.0, 2.0])),  # (shape before the cast check)
     "output with shape [] doesn't match the broadcast shape [2]"),
    (lambda t: t.tensor([1]).igamma_(t.tensor([1, 1])),
     "output with shape [1] doesn't match the broadcast shape [2]"),
]


@pytest.mark.parametrize("case", range(len(_ORDER_CASES)))
def test_inplace_error_order(case):
    fn, message = _ORDER_CASES[case]
    assert _error(lambda: fn(torchlet)) == ("RuntimeError", message)
    torch = _torch()
    assert _error(lambda: fn(torch)) == ("RuntimeError", message)


def test_inplace_kernel_refusal_kept_when_output_fits():
    """Shape and dtype fit self: the kernel's own error stays (gcd has no float kernel)."""
    kind, message = _error(lambda: torchlet.tensor([1.0]).gcd_(torchlet.tensor([2.0])))
    assert kind == "NotImplementedError" and "gcd" in message and "Float" in message
    torch = _torch()
    assert _error(lambda: torch.tensor([1.0]).gcd_(torch.tensor([2.0])))[0] == kind


# (not bitwise_and_/or_/xor_: inplace_functions.bitwise_ checks the dtype before the
# shape; nor atan2_: NumPy's float32 atan2 is an ulp from torch's, not bit-exact)
_BINARY = ["add_", "mul_", "div_", "remainder_", "fmod_", "pow_", "hypot_", "copysign_",
           "gcd_", "lcm_", "__ilshift__", "__irshift__", "nextafter_", "igamma_", "xlogy_",
           "floor_divide_"]
_DTYPES = ["bool", "int32", "int64", "float32", "float64"]


def _binary_outcome(lib, seed):
    rng = np.random.default_rng(seed)
    op = _BINARY[rng.integers(len(_BINARY))]
    d_self, d_other = (_DTYPES[i] for i in rng.integers(len(_DTYPES), size=2))
    s_self, s_other = ([(), (1,), (2,)][i] for i in rng.integers(3, size=2))
    x = lib.ones(s_self, dtype=getattr(lib, d_self))
    y = lib.ones(s_other, dtype=getattr(lib, d_other))
    try:
        r = getattr(x, op)(y)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return str(r.dtype), r.tolist()


def test_inplace_binary_errors_sampled_against_torch():
    torch = _torch()
    for seed in range(150):
        assert _binary_outcome(torchlet, seed) == _binary_outcome(torch, seed), seed


# ---------------------------------------------------------------------------------------
# 3. index_put is clone() then index_put_: self's dense layout is kept


def test_index_put_keeps_transposed_layout():
    x = torchlet.arange(12.0).reshape(4, 3).t()
    r = x.index_put((torchlet.tensor([1]),), torchlet.tensor(1.0))
    assert r.stride() == (1, 3) and r.tolist()[1] == [1.0] * 4
    ra = x.index_put((torchlet.tensor([1]),), torchlet.tensor(1.0), accumulate=True)
    assert ra.stride() == (1, 3) and ra.tolist()[1] == [2.0, 5.0, 8.0, 11.0]
    torch = _torch()
    tx = torch.arange(12.0).reshape(4, 3).t()
    assert tx.index_put((torch.tensor([1]),), torch.tensor(1.0)).stride() == r.stride()


def _index_put_case(lib, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 5, 3))
    x = lib.tensor(rng.standard_normal(shape)).permute(*[int(p) for p in rng.permutation(3)])
    if rng.random() < 0.3:
        x = x[:, ::2]
    x = x.detach().requires_grad_()
    k = int(rng.integers(1, 3))
    idx = tuple(lib.tensor(rng.integers(0, x.shape[i], 3).tolist()) for i in range(k))
    v = lib.tensor(rng.standard_normal((3,) + tuple(x.shape[k:])))
    r = x.index_put(idx, v, accumulate=bool(rng.random() < 0.5))
    (r * lib.tensor(rng.standard_normal(tuple(r.shape)))).sum().backward()
    return r.stride(), r.detach().numpy(), x.grad.stride(), x.grad.numpy()


def test_index_put_layout_sampled_against_torch():
    torch = _torch()
    for seed in range(40):
        ours, theirs = _index_put_case(torchlet, seed), _index_put_case(torch, seed)
        assert ours[0] == theirs[0] and ours[2] == theirs[2], seed
        np.testing.assert_array_equal(ours[1], theirs[1])
        np.testing.assert_array_equal(ours[3], theirs[3])


# ---------------------------------------------------------------------------------------
# 4. torch.tensor(ndarray) copies in the array's layout (preserve_format)


def test_tensor_of_ndarray_keeps_layout():
    assert torchlet.tensor(np.zeros((3, 4)).T).stride() == (1, 4)
    assert torchlet.tensor(np.zeros((4, 6)).T[::2]).stride() == (1, 3)  # dims by stride
    assert torchlet.tensor(np.zeros((4, 6))[:, ::2]).stride() == (3, 1)
    assert torchlet.tensor(np.zeros((3, 4)).T, dtype=torchlet.float32).stride() == (1, 4)
    assert torchlet.tensor(torchlet.zeros(3, 4).t()).stride() == (1, 4)
    a = np.zeros((3, 4)).T
    assert torchlet.from_numpy(a).stride() == (1, 4) and torchlet.as_tensor(a).stride() == (1, 4)


def test_numpy_byte_order_and_read_only():
    big = np.zeros(3, ">f8")
    for fn in (torchlet.tensor, torchlet.as_tensor, torchlet.from_numpy, torchlet.asarray):
        with pytest.raises(ValueError, match="byte order different from the native"):
            fn(big)
    import torchlet._ops.creation as creation

    read_only = np.zeros(3)
    read_only.flags.writeable = False
    saved = dict(creation._asarray_warned)
    try:
        creation._asarray_warned["not writable"] = False
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torchlet.tensor(read_only)  # (a copy: no warning)
            torchlet.from_numpy(read_only)
        assert [str(w.message)[:37] for w in caught] == ["The given NumPy array is not writable"]
    finally:
        creation._asarray_warned.update(saved)


_NP_DTYPES = [np.float64, np.float32, np.int64, np.int32, np.bool_, np.uint8, np.float16]


def _tensor_case(lib, seed):
    rng = np.random.default_rng(seed)
    nd = int(rng.integers(1, 5))
    a = rng.standard_normal(tuple(int(s) for s in rng.integers(1, 5, nd)))
    a = a.astype(_NP_DTYPES[rng.integers(len(_NP_DTYPES))]).transpose(rng.permutation(nd))
    if rng.random() < 0.4:
        key = [slice(None)] * nd
        key[int(rng.integers(nd))] = slice(None, None, 2)
        a = a[tuple(key)]
    dtype = [None, lib.float32, lib.float64, lib.int64, lib.float16][rng.integers(5)]
    fn = ["tensor", "as_tensor", "asarray"][rng.integers(3)]
    t = getattr(lib, fn)(a, dtype=dtype)
    return str(t.dtype), t.stride(), t.tolist()


def test_tensor_of_ndarray_sampled_against_torch():
    torch = _torch()
    for seed in range(80):
        assert _tensor_case(torchlet, seed) == _tensor_case(torch, seed), seed


# ---------------------------------------------------------------------------------------
# 5. block_diag's backward does not count a 1-D empty input's row (torch's quirk)


def _block_diag_grads(lib, shapes):
    ts = [lib.ones(s, requires_grad=True) for s in shapes]
    out = lib.block_diag(*ts)
    grad = lib.arange(1.0, out.numel() + 1).reshape(out.shape)
    return [g.tolist() for g in lib.autograd.grad(out, ts, grad)]


@pytest.mark.parametrize("shapes, expected", [
    ([(0,), ()], [[], 1.0]),  # out is [[0], [1]]; b reads grad[0, 0], not grad[1, 0]
    ([(0,), (2,)], [[], [1.0, 2.0]]),
    ([(), (0,), ()], [1.0, [], 4.0]),
    ([(2, 2), (0,), (1, 2)], [[[1.0, 2.0], [5.0, 6.0]], [], [[11.0, 12.0]]]),
    ([(0, 3), ()], [[], 4.0]),  # a 2-D empty input counts as usual
])
def test_block_diag_backward_after_1d_empty(shapes, expected):
    assert _block_diag_grads(torchlet, shapes) == expected
    torch = _torch()
    assert _block_diag_grads(torch, shapes) == expected


# ---------------------------------------------------------------------------------------
# 6. a meta tensor's storage_offset


def test_meta_storage_offset():
    assert torchlet.empty(3, device="meta").storage_offset() == 0
    assert (torchlet.empty(3, 4, device="meta") + 1).storage_offset() == 0
    torch = _torch()
    assert torch.empty(3, device="meta").storage_offset() == 0

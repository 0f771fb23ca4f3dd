"""Second-order graphs of shape/indexing ops: with create_graph=True the gradient of a
view/shape/indexing op is itself a graph, and its nodes, their order, edges, strides and
values should be torch's (repeat_backward's sums, the (None, grad) edge of the zeros that
index_select/gather/take/masked_select/index gradients are written into, stack's select
views, index_add's expand_as, masked_scatter_backward, as_strided_backward's storage
steps, unfold_backward's summation order, roll_backward's order)."""

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the tests compare with hand-derived values without it
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def _walk(fn):
    """The graph under ``fn`` as nested (name, children) tuples; None for an empty edge,
    ('#k',) for a node met before."""
    seen = {}

    def rec(f):
        if f is None:
            return None
        if id(f) in seen:
            return (f"#{seen[id(f)]}",)
        seen[id(f)] = len(seen)
        return (f.name(), tuple(rec(c) for c, _ in f.next_functions))

    return rec(fn)


def _chain(fn):
    """The names along the first edges down to a leaf (or an empty edge)."""
    names = []
    while fn is not None:
        names.append(fn.name())
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return names


LEAF = ("torch::autograd::AccumulateGrad", ())
MUL = ("MulBackward0", (None, LEAF))  # the gradient of (y * w).sum() w.r.t. y: w * 1


def _double(lib, shapes, f, seed=0, dtype="float64"):
    """g = grad((f(xs) * w).sum(), xs, create_graph=True), and the second derivatives
    of (g * v).sum() w.r.t. xs and w."""
    rg = np.random.default_rng(seed)
    dt = getattr(lib, dtype)
    xs = [lib.tensor(rg.standard_normal(s), dtype=dt, requires_grad=True) for s in shapes]
    outs = f(lib, xs)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    ws = [lib.tensor(rg.standard_normal(tuple(o.shape)), dtype=dt, requires_grad=True)
          for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, ws))
    gs = lib.autograd.grad(loss, xs, create_graph=True, allow_unused=True)
    vs = [lib.tensor(rg.standard_normal(s), dtype=dt) for s in shapes]
    live = [(g, v) for g, v in zip(gs, vs) if g is not None and g.requires_grad]
    hh = None
    if live:
        hh = lib.autograd.grad(sum((g * v).sum() for g, v in live), xs + ws,
                               allow_unused=True)
        hh = [None if h is None else h.detach().numpy().copy() for h in hh]
    return [None if g is None else (_walk(g.grad_fn), tuple(g.shape), g.stride(),
                                    g.detach().numpy().copy()) for g in gs], hh


def _same(a, b):
    ga, ha = a
    gb, hb = b
    assert len(ga) == len(gb)
    for x, y in zip(ga, gb):
        assert (x is None) == (y is None)
        if x is not None:
            assert x[:3] == y[:3]
            assert x[3].dtype == y[3].dtype and np.array_equal(x[3], y[3])
    assert (ha is None) == (hb is None)
    for x, y in zip(ha or (), hb or ()):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == y.dtype and np.array_equal(x, y)


# ---------------------------------------------------------------------------------------
# repeat


def _repeat_grad(x_shape, repeats, lib=torchlet, dtype="float64"):
    x = lib.ones(x_shape, dtype=getattr(lib, dtype), requires_grad=True)
    y = x.repeat(*repeats) if repeats else x.repeat(())
    w = lib.arange(float(np.prod(tuple(y.shape))), dtype=getattr(lib, dtype))
    w = w.reshape(tuple(y.shape)).requires_grad_()
    (g,) = lib.autograd.grad((y * w).sum(), x, create_graph=True)
    return g


def test_repeat_create_graph_is_torchs_repeat_backward():
    g = _repeat_grad((2, 3), (4, 3, 2))
    # leading new dim summed away first, then one view and one sum of the repeat axes
    assert _walk(g.grad_fn) == ("SumBackward1", (("ViewBackward0", (
        ("SumBackward1", (MUL,)),)),))
    assert g.grad_fn._saved_dim == (0, 2)
    assert g.grad_fn._saved_self_sym_sizes == (3, 2, 2, 3)
    view = g.grad_fn.next_functions[0][0]
    assert view._saved_self_sym_sizes == (6, 6)
    assert view.next_functions[0][0]._saved_dim == (0,)
    # values: each element the sum of its 3 * 2 * 4 tiles of w = arange(144)
    w = np.arange(144.0).reshape(4, 6, 6)
    assert np.array_equal(g.detach().numpy(), w.reshape(4, 3, 2, 2, 3).sum((0, 1, 3)))
    assert g.stride() == (3, 1)


def test_repeat_edge_cases_hand():
    assert _chain(_repeat_grad((2, 3), (1, 1)).grad_fn)[:1] == ["MulBackward0"]
    assert _chain(_repeat_grad((2, 3), (1, 2)).grad_fn)[:2] == ["SumBackward1",
                                                                "ViewBackward0"]
    assert _chain(_repeat_grad((3,), (2, 1, 1)).grad_fn)[:3] == [
        "SumBackward1", "SumBackward1", "MulBackward0"]
    assert _chain(_repeat_grad((), (2, 3)).grad_fn)[:2] == ["SumBackward1", "SumBackward1"]
    g = _repeat_grad((2, 3), (0, 2))  # torch: zeros, no graph
    assert g.grad_fn is None and not g.requires_grad
    assert g.shape == (2, 3) and not g.detach().numpy().any()


@needs_torch
@pytest.mark.parametrize("x_shape,repeats", [
    ((2, 3), (4, 3, 2)), ((2, 3), (1, 1)), ((3,), (2, 1, 1)), ((2, 3), (0, 2)),
    ((2, 3), (1, 2)), ((2, 3), (2, 1, 1, 1)), ((), (2, 3)), ((), ()), ((2, 3), (1, 1, 1)),
    ((0, 3), (2, 2)), ((2, 1, 3), (3, 1, 5, 2)),
])
def test_repeat_graph_matches_torch(x_shape, repeats):
    f = lambda L, xs: xs[0].repeat(*repeats) if repeats else xs[0].repeat(())  # noqa: E731
    shapes = [x_shape]
    _same(_double(torch, shapes, f), _double(torchlet, shapes, f))


@needs_torch
def test_repeat_float32_values_sampled():
    rg = np.random.default_rng(21)
    for _ in range(25):
        nd = int(rg.integers(0, 4))
        shape = tuple(int(s) for s in rg.integers(1, 6, nd))
        repeats = tuple(int(r) for r in rg.integers(1, 5, nd + int(rg.integers(0, 3))))
        def f(L, xs, repeats=repeats):
            return xs[0].repeat(*repeats) if repeats else xs[0].repeat(())
        seed = int(rg.integers(1 << 30))
        _same(_double(torch, [shape], f, seed, "float32"),
              _double(torchlet, [shape], f, seed, "float32"))


# ---------------------------------------------------------------------------------------
# roll, stack


def test_roll_backward_rolls_back_in_reverse_order():
    x = torchlet.randn(3, 4, 5, requires_grad=True)
    y = x.roll((1, -1, 2), (0, 1, 2))
    assert y.grad_fn._saved_dims == (0, 1, 2)
    (g,) = torchlet.autograd.grad((y * y.detach()).sum(), x, create_graph=True)
    assert g.grad_fn.name() == "RollBackward0"
    assert g.grad_fn._saved_dims == (2, 1, 0)
    assert g.grad_fn._saved_shifts == (2**64 - 2, 1, 2**64 - 1)  # (-2, 1, -1) as torch shows
    # the gradient of sum(y * y_fixed) is y_fixed rolled back: x itself
    assert np.array_equal(g.detach().numpy(), x.detach().numpy())
    flat = x.roll(5)  # the flattened tensor: torch saves shifts (5,) and dims ()
    assert flat.grad_fn._saved_shifts == (5,) and flat.grad_fn._saved_dims == ()
    (g,) = torchlet.autograd.grad(flat.sum(), x, create_graph=True)
    assert np.array_equal(g.detach().numpy(), np.ones((3, 4, 5), np.float32))


def test_stack_gradient_is_select_views():
    a = torchlet.randn(2, 3, requires_grad=True)
    b = torchlet.randn(2, 3, requires_grad=True)
    y = torchlet.stack([a, b], 1)
    w = torchlet.arange(12.0).reshape(2, 2, 3).requires_grad_()
    ga, gb = torchlet.autograd.grad((y * w).sum(), (a, b), create_graph=True)
    assert _walk(ga.grad_fn) == ("SelectBackward0", (MUL,))
    assert ga.grad_fn._saved_dim == 1 and gb.grad_fn._saved_index == 1
    assert ga.stride() == (6, 1) and gb.stride() == (6, 1)  # views of w's gradient
    assert np.array_equal(gb.detach().numpy(), np.arange(12.0).reshape(2, 2, 3)[:, 1])


# ---------------------------------------------------------------------------------------
# gradients written into zeros: (None, grad) edges


def _zeros_node_cases():
    i = np.array([4, 0, 2, 2])
    m = np.array([[True, False, True], [False, True, True]])
    return {
        "index_select": (lambda L, x: x.index_select(0, L.tensor(i)), (5, 3),
                         "IndexAddBackward0"),
        "gather": (lambda L, x: x.gather(0, L.tensor(np.array([[1, 0, 1]]))), (2, 3),
                   "ScatterAddBackward0"),
        "take": (lambda L, x: x.take(L.tensor(i)), (2, 3), "PutBackward0"),
        "masked_select": (lambda L, x: x.masked_select(L.tensor(m)), (2, 3),
                          "MaskedScatterBackward0"),
        "index": (lambda L, x: x[L.tensor(i)], (5, 3), "IndexPutImplBackward0"),
        "bool_index": (lambda L, x: x[L.tensor(m)], (2, 3), "IndexPutImplBackward0"),
        "take_along_dim": (lambda L, x: L.take_along_dim(x, L.tensor(np.array([[2], [0]])),
                                                         1), (2, 3), "ScatterAddBackward0"),
        "repeat_interleave": (lambda L, x: x.repeat_interleave(L.tensor([1, 0, 3]), 1),
                              (2, 3), "IndexAddBackward0"),
    }


@pytest.mark.parametrize("name", sorted(_zeros_node_cases()))
def test_zeros_written_gradient_has_torchs_empty_self_edge(name):
    f, shape, node = _zeros_node_cases()[name]
    x = torchlet.randn(shape, dtype=torchlet.float64, requires_grad=True)
    y = f(torchlet, x)
    w = torchlet.ones(tuple(y.shape), dtype=torchlet.float64, requires_grad=True)
    (g,) = torchlet.autograd.grad((y * w).sum(), x, create_graph=True)
    assert _walk(g.grad_fn) == (node, (None, MUL))
    # second order: ones picked at the same places again
    (h,) = torchlet.autograd.grad(g.sum(), w)
    assert np.array_equal(h.numpy(), np.ones(tuple(y.shape)))


@needs_torch
@pytest.mark.parametrize("name", sorted(_zeros_node_cases()))
def test_zeros_written_gradient_matches_torch(name):
    f, shape, _ = _zeros_node_cases()[name]
    g = lambda L, xs: f(L, xs[0])  # noqa: E731
    _same(_double(torch, [shape], g, 3), _double(torchlet, [shape], g, 3))


# ---------------------------------------------------------------------------------------
# index_add / index_copy source, masked_scatter source


def test_index_add_source_gradient_is_expand_times_alpha():
    x = torchlet.zeros(4, 2, dtype=torchlet.float64, requires_grad=True)
    s = torchlet.ones(2, 2, dtype=torchlet.float64, requires_grad=True)
    i = torchlet.tensor([3, 1])
    w = torchlet.arange(8.0, dtype=torchlet.float64).reshape(4, 2).requires_grad_()
    y = x.index_add(0, i, s, alpha=2.5)
    _, gs = torchlet.autograd.grad((y * w).sum(), (x, s), create_graph=True)
    assert _walk(gs.grad_fn) == ("MulBackward1", (("ExpandBackward0", (
        ("IndexSelectBackward0", (MUL,)),)),))
    assert gs.grad_fn._saved_other == 2.5
    assert np.array_equal(gs.detach().numpy(), 2.5 * np.array([[6.0, 7.0], [2.0, 3.0]]))
    y = x.index_add(0, i, s)  # alpha 1: no multiplication
    _, gs = torchlet.autograd.grad((y * w).sum(), (x, s), create_graph=True)
    assert _chain(gs.grad_fn)[:2] == ["ExpandBackward0", "IndexSelectBackward0"]
    y = x.index_copy(0, i, s)
    gx, gs = torchlet.autograd.grad((y * w).sum(), (x, s), create_graph=True)
    assert _chain(gs.grad_fn)[:2] == ["ExpandBackward0", "IndexSelectBackward0"]
    assert gx.grad_fn.name() == "IndexFillBackward0"


def test_index_copy_0d_source_into_vector_sums_its_one_slice():
    x = torchlet.zeros(3, dtype=torchlet.float64, requires_grad=True)
    s = torchlet.tensor(1.0, dtype=torchlet.float64, requires_grad=True)
    w = torchlet.tensor([2.0, 3.0, 4.0], dtype=torchlet.float64, requires_grad=True)
    y = x.index_copy(0, torchlet.tensor([1]), s)
    _, gs = torchlet.autograd.grad((y * w).sum(), (x, s), create_graph=True)
    assert gs.shape == () and float(gs) == 3.0
    assert _chain(gs.grad_fn)[:2] == ["SumBackward0", "IndexSelectBackward0"]


@needs_torch
@pytest.mark.parametrize("op,x_shape,s_shape,alpha", [
    ("add", (), (), 1), ("add", (), (), 2.5), ("add", (1,), (1,), 2.5),
    ("add", (2, 3), (1, 3), 1), ("add", (2, 3), (1, 3), -2), ("copy", (), (), 1),
    ("copy", (3,), (), 1), ("copy", (), (1,), 1), ("copy", (2, 3), (1, 3), 1),
])
def test_index_add_copy_source_graph_matches_torch(op, x_shape, s_shape, alpha):
    def f(L, xs):
        i = L.tensor([0])
        if op == "add":
            return xs[0].index_add(0, i, xs[1], alpha=alpha)
        return xs[0].index_copy(0, i, xs[1])
    shapes = [x_shape, s_shape]
    _same(_double(torch, shapes, f, 5), _double(torchlet, shapes, f, 5))


def test_masked_scatter_source_gradient_is_masked_scatter_backward():
    m = torchlet.tensor([[True, False], [True, True]])
    x = torchlet.zeros(2, 2, dtype=torchlet.float64, requires_grad=True)
    s = torchlet.zeros(5, dtype=torchlet.float64, requires_grad=True)
    w = torchlet.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torchlet.float64, requires_grad=True)
    y = x.masked_scatter(m, s)
    _, gs = torchlet.autograd.grad((y * w).sum(), (x, s), create_graph=True)
    assert _walk(gs.grad_fn) == ("MaskedScatterBackwardBackward0", (MUL,))
    assert np.array_equal(gs.detach().numpy(), [1.0, 3.0, 4.0, 0.0, 0.0])  # padded
    v = torchlet.arange(5.0, dtype=torchlet.float64).requires_grad_()
    (h,) = torchlet.autograd.grad((gs * v).sum(), w, create_graph=True)
    # third order: masked_scatter of v's first values into zeros
    assert np.array_equal(h.detach().numpy(), [[0.0, 0.0], [1.0, 2.0]])
    assert _chain(h.grad_fn)[:2] == ["MulBackward0", "MaskedScatterBackward0"]
    # masked_select's third order goes through masked_scatter_backward too (torch)
    y = x.masked_select(m)
    w2 = torchlet.ones(3, dtype=torchlet.float64, requires_grad=True)
    (g,) = torchlet.autograd.grad((y * w2).sum(), x, create_graph=True)
    v2 = torchlet.ones(2, 2, dtype=torchlet.float64, requires_grad=True)
    (h,) = torchlet.autograd.grad((g * v2).sum(), w2, create_graph=True)
    assert _chain(h.grad_fn)[:2] == ["MulBackward0", "MaskedScatterBackwardBackward0"]


# ---------------------------------------------------------------------------------------
# as_strided


def test_as_strided_backward_steps_hand():
    x = torchlet.arange(12.0, dtype=torchlet.float64).reshape(3, 4).requires_grad_()
    w = torchlet.ones(3, 3, dtype=torchlet.float64, requires_grad=True)
    y = x.as_strided((3, 3), (1, 2), 1)  # overlapping: positions 1+i+2j
    (g,) = torchlet.autograd.grad((y * w).sum(), x, create_graph=True)
    assert _walk(g.grad_fn) == ("AsStridedBackward0", (("IndexAddBackward0", (
        None, ("ViewBackward0", (MUL,)))),))
    counts = np.bincount((1 + np.arange(3)[:, None] + 2 * np.arange(3)).ravel(),
                         minlength=12)
    assert np.array_equal(g.detach().numpy(), counts.reshape(3, 4).astype(float))
    y = x.t().as_strided((2, 3), (1, 2), 0)  # no overlap: copy_ into a window
    (g,) = torchlet.autograd.grad((y * w[:2]).sum(), x, create_graph=True)
    assert _chain(g.grad_fn)[:3] == ["TBackward0", "AsStridedBackward0",
                                     "torch::autograd::CopySlices"]
    assert g.stride() == (4, 1)  # the input's own geometry, transposed back


@needs_torch
def test_as_strided_sampled_matches_torch():
    rg = np.random.default_rng(7)
    done = 0
    for t in range(60):
        n = int(rg.integers(1, 30))
        pre = ["none", "slice", "t", "expand"][int(rg.integers(4))]
        nd = int(rg.integers(0, 4))
        size = tuple(int(v) for v in rg.integers(1, 5, nd))
        stride = tuple(int(v) for v in rg.integers(0, 5, nd))
        offset = int(rg.integers(0, 3))
        need = offset + 1 + sum((a - 1) * b for a, b in zip(size, stride))
        if need > n * (2 if pre == "expand" else 1) or (pre == "t" and n % 2):
            continue

        def f(L, xs, pre=pre, n=n, size=size, stride=stride, offset=offset):
            y = xs[0]
            if pre == "slice" and n > 2:
                y = y[1:]
            elif pre == "t":
                y = y.reshape(2, -1).t()
            elif pre == "expand":
                y = y.unsqueeze(0).expand(2, n)
            return y.as_strided(size, stride, offset)
        dtype = ("float32", "float64")[t % 2]
        try:
            expected = _double(torch, [(n,)], f, t, dtype)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                _double(torchlet, [(n,)], f, t, dtype)
            continue
        _same(expected, _double(torchlet, [(n,)], f, t, dtype))
        done += 1
    assert done > 25


# ---------------------------------------------------------------------------------------
# unfold


def test_unfold_backward_adds_windows_in_rising_order():
    # element 2 of 5 lies in windows 0, 1, 2 (size 3, step 1) at places 2, 1, 0
    x = torchlet.zeros(5, requires_grad=True)
    y = x.unfold(0, 3, 1)
    grad = np.zeros((3, 3), np.float32)
    grad[0, 2], grad[1, 1], grad[2, 0] = 1.0, 1e8, -1e8
    y.backward(torchlet.tensor(grad))
    # (0 + 1) + 1e8 rounds to 1e8 in float32, then - 1e8: 0 (falling order would give 1)
    assert x.grad.numpy()[2] == 0.0


@needs_torch
def test_unfold_backward_sampled_matches_torch():
    rg = np.random.default_rng(11)
    for t in range(40):
        shape = tuple(int(v) for v in rg.integers(1, 7, int(rg.integers(1, 4))))
        dim = int(rg.integers(len(shape)))
        size, step = int(rg.integers(0, shape[dim] + 1)), int(rg.integers(1, 4))
        dtype = ("float32", "float64")[t % 2]
        scale = 10.0 ** rg.integers(-3, 4, 64)
        grads = []
        for lib in (torch, torchlet):
            x = lib.zeros(shape, dtype=getattr(lib, dtype), requires_grad=True)
            y = x.unfold(dim, size, step)
            k = int(np.prod(tuple(y.shape)))
            g = np.random.default_rng(t).standard_normal(k) * np.resize(scale, k)
            y.backward(lib.tensor(g.reshape(tuple(y.shape)), dtype=getattr(lib, dtype)))
            grads.append(x.grad.numpy())
        assert np.array_equal(grads[0], grads[1])


# ---------------------------------------------------------------------------------------
# a sampled survey of shape/indexing ops (graph, strides, values, second derivatives)

_RG = np.random.default_rng(2021)
_I5 = _RG.integers(0, 5, 7)
_I43 = _RG.integers(0, 5, (4, 3))
_PERM = np.stack([_RG.permutation(5)[:3] for _ in range(4)])
_M = _RG.random((5, 4)) < 0.5

SURVEY = {
    "expand": ([(3, 1)], lambda L, x: x[0].expand(2, 3, 4)),
    "narrow": ([(5, 4)], lambda L, x: x[0].narrow(0, 1, 3)),
    "slice_step": ([(7, 4)], lambda L, x: x[0][1:6:2, ::3]),
    "select": ([(5, 4)], lambda L, x: x[0].select(1, -1)),
    "gather": ([(4, 5)], lambda L, x: x[0].gather(1, L.tensor(_I43))),
    "scatter": ([(4, 5), (4, 3)], lambda L, x: x[0].scatter(1, L.tensor(_PERM), x[1])),
    "scatter_add": ([(4, 5), (4, 3)],
                    lambda L, x: x[0].scatter_add(1, L.tensor(_I43), x[1])),
    "index_fill": ([(5, 4)], lambda L, x: x[0].index_fill(1, L.tensor([0, 2]), -1.0)),
    "masked_fill": ([(5, 4)], lambda L, x: x[0].masked_fill(L.tensor(_M), 0.5)),
    "put_acc": ([(5, 4), (3,)],
                lambda L, x: x[0].put(L.tensor([1, 7, 1]), x[1], accumulate=True)),
    "cat": ([(2, 3), (4, 3)], lambda L, x: L.cat([x[0], x[1]], 0)),
    "stack": ([(2, 3), (2, 3)], lambda L, x: L.stack([x[0], x[1]], 1)),
    "split": ([(7, 3)], lambda L, x: x[0].split(3)),
    "unbind": ([(3, 4)], lambda L, x: x[0].unbind(1)),
    "unfold": ([(9,)], lambda L, x: x[0].unfold(0, 4, 1)),
    "flip": ([(3, 4)], lambda L, x: x[0].flip(0, 1)),
    "roll": ([(3, 4)], lambda L, x: x[0].roll((1, -1), (0, 1))),
    "rot90": ([(3, 4)], lambda L, x: x[0].rot90(1, (0, 1))),
    "diag_embed": ([(2, 3)], lambda L, x: L.diag_embed(x[0], 1)),
    "diagonal": ([(3, 4)], lambda L, x: x[0].diagonal(1)),
    "tril": ([(3, 4)], lambda L, x: x[0].tril()),
    "reshape_nc": ([(3, 4)], lambda L, x: x[0].t().reshape(12)),
    "repeat_interleave": ([(2, 3)], lambda L, x: x[0].repeat_interleave(2, 1)),
    "tile": ([(2, 3)], lambda L, x: x[0].tile((2, 1, 3))),
    "expand_repeat": ([(3, 1)], lambda L, x: x[0].expand(3, 2).repeat(2, 1)),
    "adv_mixed": ([(2, 3, 4)], lambda L, x: x[0][:, [2, 0], 1:3]),
    "adv_none_ell": ([(2, 3, 4)], lambda L, x: x[0][None, ..., [1, 0]]),
    "index_put_acc": ([(5, 4), (7,)], lambda L, x: x[0].index_put(
        (L.tensor(_I5), L.tensor(_I5 % 4)), x[1], accumulate=True)),
    "index_put": ([(5, 4), (4,)], lambda L, x: x[0].index_put((L.tensor([3, 0]),), x[1])),
    "masked_scatter": ([(5, 4), (20,)],
                       lambda L, x: x[0].masked_scatter(L.tensor(_M), x[1])),
    "take_along_dim": ([(5, 4)], lambda L, x: L.take_along_dim(x[0], L.tensor(_I43[:1] % 4), 1)),
    "as_strided": ([(12,)], lambda L, x: x[0].as_strided((4, 3), (2, 1))),
    "slice_scatter": ([(5, 4), (2, 4)], lambda L, x: L.slice_scatter(x[0], x[1], 0, 1, 5, 2)),
    "cartesian_prod": ([(3,), (2,)], lambda L, x: L.cartesian_prod(x[0], x[1])),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(SURVEY))
def test_survey_matches_torch(name):
    shapes, f = SURVEY[name]
    for dtype in ("float64", "float32"):
        _same(_double(torch, shapes, f, 1, dtype), _double(torchlet, shapes, f, 1, dtype))

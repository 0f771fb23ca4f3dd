"""grad_fn._saved_* round 5: subscript ints and indexing dims as given (torch shows -1 as
2**64-1), index_copy/put's source, masked_scatter's double-backward mask, the double
backward nodes of gather/index_select, trace/split_with_sizes/unbind."""

import numpy as np
import pytest

import torchlet

M1 = 2**64 - 1  # -1 as torch shows an int64 attribute
M2 = 2**64 - 2


def _x(lib, shape=(3, 4), seed=0, grad=True):
    a = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    t = lib.tensor(a)
    return t.requires_grad_() if grad else t


def _i(lib, values):
    return lib.tensor(np.array(values, np.int64))


def _double(lib, f, shape):
    x = _x(lib, shape)
    y = f(lib, x)
    (g,) = lib.autograd.grad(y, x, _x(lib, tuple(y.shape), 5), create_graph=True)
    return g


def _show(value):
    if hasattr(value, "shape"):
        return ("T", tuple(value.shape), str(value.dtype).split(".")[-1],
                np.asarray(value.detach().numpy()).tolist())
    return value


def _attrs(node):
    out = {}
    for name in dir(node):
        if name.startswith("_saved_"):
            out[name] = _show(getattr(node, name))
    return node.name(), out


CASES = {
    "sub -1": lambda lib: _x(lib)[:, -1],
    "sub -2": lambda lib: _x(lib)[-2],
    "sub tuple": lambda lib: _x(lib, (3, 4, 2))[-2, 1:, -1],
    "sub dbl": lambda lib: _double(lib, lambda lib, x: x[:, -1], (3, 4)),
    "sub dbl0": lambda lib: _double(lib, lambda lib, x: x[-1], (3, 4)),
    "index_fill": lambda lib: _x(lib).index_fill(-1, _i(lib, [0, 2]), 2.0),
    "index_fill t": lambda lib: _x(lib).index_fill(-1, _i(lib, [0, 2]), _x(lib, (), 2)),
    "index_select": lambda lib: _x(lib).index_select(-2, _i(lib, [0, 2])),
    "index_add": lambda lib: _x(lib).index_add(-1, _i(lib, [0, 2]), _x(lib, (3, 2), 1)),
    "index_copy": lambda lib: _x(lib).index_copy(-1, _i(lib, [0, 2]), _x(lib, (3, 2), 1)),
    "index_copy nosrc": lambda lib: _x(lib).index_copy(0, _i(lib, [0, 2]),
                                                       _x(lib, (2, 4), 1, grad=False)),
    "index_reduce": lambda lib: _x(lib).index_reduce(-1, _i(lib, [0, 2]), _x(lib, (3, 2), 1),
                                                     "prod"),
    "gather": lambda lib: _x(lib).gather(-1, _i(lib, [[0, 1], [2, 3], [1, 1]])),
    "scatter": lambda lib: _x(lib).scatter(-1, _i(lib, [[0, 1], [2, 3], [1, 0]]), 2.0),
    "scatter src": lambda lib: _x(lib).scatter(-1, _i(lib, [[0, 1], [2, 3], [1, 0]]),
                                               _x(lib, (3, 2), 1)),
    "scatter_add": lambda lib: _x(lib).scatter_add(-2, _i(lib, [[0, 1], [2, 2]]),
                                                   _x(lib, (2, 2), 1)),
    "scatter_reduce": lambda lib: _x(lib).scatter_reduce(
        -1, _i(lib, [[0, 1], [2, 3], [1, 1]]), _x(lib, (3, 2), 1), "amax"),
    "put": lambda lib: _x(lib).put(_i(lib, [0, 5]), _x(lib, (2,), 1)),
    "put acc src only": lambda lib: _x(lib, grad=False).put(_i(lib, [0, -1]), _x(lib, (2,), 1),
                                                            accumulate=True),
    "put nosrc": lambda lib: _x(lib).put(_i(lib, [0, 5]), _x(lib, (2,), 1, grad=False)),
    "masked_scatter dbl": lambda lib: _double(
        lib, lambda lib, x: lib.zeros(3, 4).masked_scatter(
            lib.tensor(np.array([1, 0, 1, 1], bool)), x), (12,)),
    "gather dbl": lambda lib: _double(
        lib, lambda lib, x: x.gather(-1, _i(lib, [[0, 1], [2, 3], [1, 1]])), (3, 4)),
    "index_select dbl": lambda lib: _double(
        lib, lambda lib, x: x.index_select(-1, _i(lib, [0, 2])), (3, 4)),
    "scatter dbl": lambda lib: _double(  # (its _saved_index: not kept, see below)
        lib, lambda lib, x: x.scatter(-1, _i(lib, [[0], [2], [1]]), 1.0), (3, 4)),
    "trace": lambda lib: _x(lib).trace(),
    "split_with_sizes": lambda lib: _x(lib, (5, 4)).split([2, 0, 3], 0)[2],
    "unbind": lambda lib: _x(lib).unbind(1)[0],
}


@pytest.mark.parametrize("label", sorted(set(CASES) - {"scatter dbl"}))
def test_as_torch(label):
    torch = pytest.importorskip("torch")
    assert _attrs(CASES[label](torchlet).grad_fn) == _attrs(CASES[label](torch).grad_fn)


def test_subscript_int_as_given():
    node = _x(torchlet)[:, -1].grad_fn
    assert (node._saved_dim, node._saved_index) == (1, M1)
    assert _x(torchlet)[:, 3].grad_fn._saved_index == 3  # a non-negative one as it is
    assert _x(torchlet)[-2].grad_fn._saved_index == M2
    node = CASES["sub dbl"](torchlet).grad_fn
    assert node.name() == "SelectBackwardBackward0" and node._saved_index == M1
    x = _x(torchlet)  # the values and the gradient are those of the wrapped index
    y = x[:, -1]
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy()[:, 3])
    y.sum().backward()
    assert x.grad.numpy()[:, 3].tolist() == [1, 1, 1] and x.grad.numpy()[:, :3].sum() == 0


def test_indexing_dims_as_given():
    for label in ("index_fill", "index_fill t", "index_add", "index_copy", "index_reduce",
                  "gather", "scatter", "scatter src", "scatter_reduce", "gather dbl",
                  "index_select dbl", "scatter dbl"):
        assert CASES[label](torchlet).grad_fn._saved_dim == M1, label
    assert CASES["index_select"](torchlet).grad_fn._saved_dim == M2
    assert CASES["scatter_add"](torchlet).grad_fn._saved_dim == M2
    assert _x(torchlet).gather(1, _i(torchlet, [[0], [1], [2]])).grad_fn._saved_dim == 1


def test_negative_dims_gradients():
    """The backward formulas now get the dims as given: same gradients as with dim 1."""
    idx = [[0, 1], [2, 3], [1, 1]]
    for op in ("gather", "scatter_reduce_prod", "index_reduce_prod", "index_copy"):
        grads = []
        for dim in (1, -1):
            x, src = _x(torchlet), _x(torchlet, (3, 2), 1)
            if op == "gather":
                y = x.gather(dim, _i(torchlet, idx))
            elif op == "scatter_reduce_prod":
                y = x.scatter_reduce(dim, _i(torchlet, idx), src, "prod")
            elif op == "index_reduce_prod":
                y = x.index_reduce(dim, _i(torchlet, [0, 2]), src, "prod")
            else:
                y = x.index_copy(dim, _i(torchlet, [0, 2]), src)
            gx, = torchlet.autograd.grad(y, x, torchlet.ones_like(y), create_graph=True)
            gg = None
            if gx.requires_grad:
                gg, = torchlet.autograd.grad(gx.sum(), x, allow_unused=True)
            grads.append((gx.detach().numpy(), None if gg is None else gg.numpy()))
        np.testing.assert_array_equal(grads[0][0], grads[1][0], err_msg=op)
        if grads[0][1] is not None:
            np.testing.assert_array_equal(grads[0][1], grads[1][1], err_msg=op)


def test_source_saved_where_needed():
    node = CASES["index_copy"](torchlet).grad_fn
    assert node._saved_source.shape == (3, 2) and node._saved_source_dim == 2
    assert CASES["index_copy nosrc"](torchlet).grad_fn._saved_source is None
    assert CASES["put"](torchlet).grad_fn._saved_source.shape == (2,)
    assert CASES["put nosrc"](torchlet).grad_fn._saved_source is None
    # a source that needs no gradient is not saved: changing it in place is allowed
    x, src = _x(torchlet), _x(torchlet, (2,), 1, grad=False)
    y = x.put(_i(torchlet, [0, 5]), src)
    src.add_(1)
    y.sum().backward()
    assert x.grad.numpy().ravel().tolist() == [0, 1, 1, 1, 1, 0] + [1] * 6
    # a saved one is version-checked, as torch's
    x, src = _x(torchlet), _x(torchlet, (2, 4), 1)
    y = x.index_copy(0, _i(torchlet, [0, 2]), src * 1)
    node = y.grad_fn
    assert node._saved_source.grad_fn is not None


def test_masked_scatter_double_mask_as_given():
    node = CASES["masked_scatter dbl"](torchlet).grad_fn
    assert node.name() == "MaskedScatterBackwardBackward0"
    assert node._saved_mask.shape == (4,)
    assert node._saved_mask.numpy().tolist() == [True, False, True, True]


def test_double_backward_nodes():
    node = CASES["gather dbl"](torchlet).grad_fn
    assert node.name() == "ScatterAddBackward0"
    assert node._saved_index.numpy().tolist() == [[0, 1], [2, 3], [1, 1]]
    node = CASES["index_select dbl"](torchlet).grad_fn
    assert node.name() == "IndexAddBackward0"
    assert (node._saved_alpha, node._saved_source_dim) == (1, 2)
    assert node._saved_source.shape == (3, 2) and node._saved_index.numpy().tolist() == [0, 2]


def test_shape_nodes():
    assert CASES["trace"](torchlet).grad_fn._saved_self_sym_sizes == (3, 4)
    node = CASES["split_with_sizes"](torchlet).grad_fn
    assert (node._saved_dim, node._saved_split_sizes, node._saved_self_sym_sizes) == (
        0, (2, 0, 3), (5, 4))
    assert CASES["unbind"](torchlet).grad_fn._saved_dim == 1


def test_sampled_against_torch():
    """Random ops / dims (negative and not) / shapes: the same _saved_* as torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(22)
    ops = ("gather", "index_select", "index_fill", "index_add", "index_copy", "scatter",
           "scatter_add", "sub")
    for _ in range(40):
        op = ops[rng.integers(len(ops))]
        shape = tuple(int(s) for s in rng.integers(2, 5, size=rng.integers(1, 4)))
        nd = len(shape)
        dim = int(rng.integers(-nd, nd))
        size = shape[dim]
        a = rng.standard_normal(shape).astype(np.float32)
        k = int(rng.integers(1, size + 1))
        vec = rng.permutation(size)[:k].astype(np.int64)
        ishape = list(shape)
        ishape[dim] = k
        grid = rng.integers(0, size, size=ishape).astype(np.int64)
        src = rng.standard_normal(ishape).astype(np.float32)

        def make(lib, op=op, dim=dim, a=a, vec=vec, grid=grid, src=src):
            x = lib.tensor(a).requires_grad_()
            s = lib.tensor(src).requires_grad_()
            if op == "gather":
                return x.gather(dim, lib.tensor(grid))
            if op == "index_select":
                return x.index_select(dim, lib.tensor(vec))
            if op == "index_fill":
                return x.index_fill(dim, lib.tensor(vec), 1.5)
            if op == "index_add":
                return x.index_add(dim, lib.tensor(vec), s, alpha=2)
            if op == "index_copy":
                return x.index_copy(dim, lib.tensor(vec), s)
            if op == "scatter":
                return x.scatter(dim, lib.tensor(grid), s)
            if op == "scatter_add":
                return x.scatter_add(dim, lib.tensor(grid), s)
            key = [slice(None)] * len(a.shape)
            key[dim] = int(vec[0]) - a.shape[dim]
            return x[tuple(key)]

        got, want = make(torchlet), make(torch)
        assert _attrs(got.grad_fn) == _attrs(want.grad_fn), (op, shape, dim)

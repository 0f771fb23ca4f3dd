"""grad_fn._saved_* of the view, indexing and scatter nodes, as torch's (helper saved4).

Views and their backward-of-backward nodes show their arguments as the caller gave them
(a negative dim or index wraps to 2**64 - n; slice_scatter's omitted start/end as None;
as_strided's omitted storage_offset as None); indexing nodes show the index tensors as
given (IndexBackward0's ``indices``: None for a full slice, a mask as the mask), the
inputs torch saves (gather/take/masked_select's ``self``; index_add's ``source`` where
source needs a gradient, else None), freed by backward. Also block_diag's create_graph
gradient: views of grad, as torch's block_diag_backward makes them.
"""

import numpy as np
import pytest

import torchlet

F = torchlet.nn.functional
U64 = 2**64


def _x(shape, seed=0, lib=torchlet, grad=True):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    x = lib.tensor(data)
    return x.requires_grad_() if grad else x


def _numbers(node):
    """The non-tensor _saved_* of a node, by name."""
    out = {}
    for name in dir(node):
        if name.startswith("_saved_"):
            value = getattr(node, name)
            if not hasattr(value, "shape") and not isinstance(value, tuple) or (
                    isinstance(value, tuple) and not any(hasattr(v, "shape") for v in value)):
                out[name[len("_saved_"):]] = value
    return out


def _double(f, x, lib=torchlet):
    """The node of x's gradient built with create_graph (grad_output needs a gradient)."""
    y = f(x)
    go = lib.ones(tuple(y.shape)).requires_grad_()
    (g,) = lib.autograd.grad(y, x, go, create_graph=True)
    return g.grad_fn


def test_views_and_their_double_backward_show_arguments_as_given():
    x = _x((3, 4, 5))
    node = x.select(-1, -2).grad_fn
    assert _numbers(node) == {"dim": U64 - 1, "index": U64 - 2, "self_sym_sizes": (3, 4, 5)}
    node = _double(lambda t: t.select(-1, -2), x)
    assert node.name() == "SelectBackwardBackward0"
    assert _numbers(node) == {"dim": U64 - 1, "index": U64 - 2}
    node = _double(lambda t: t[:, 2], x)
    assert _numbers(node) == {"dim": 1, "index": 2}
    # narrow: the dim as given, start normalized, end = start + length
    assert _numbers(x.narrow(-1, -3, 2).grad_fn) == {
        "dim": U64 - 1, "start": 2, "end": 4, "step": 1, "self_sym_sizes": (3, 4, 5)}
    node = _double(lambda t: t.narrow(-1, -3, 2), x)
    assert node.name() == "SliceBackwardBackward0"
    assert _numbers(node) == {"dim": U64 - 1, "start": 2, "end": 4, "step": 1}
    node = _double(lambda t: t[:, 1:3:2], x)
    assert _numbers(node) == {"dim": 1, "start": 1, "end": 3, "step": 2}
    assert _numbers(x.diagonal(-2, 2, 0).grad_fn) == {
        "offset": U64 - 2, "dim1": 2, "dim2": 0, "self_sym_sizes": (3, 4, 5)}
    node = _double(lambda t: t.diagonal(0, -1, -2), x)
    assert node.name() == "DiagonalBackwardBackward0"
    assert _numbers(node) == {"offset": 0, "dim1": U64 - 1, "dim2": U64 - 2}
    assert _numbers(x.unfold(-1, 2, 1).grad_fn) == {
        "dimension": U64 - 1, "size": 2, "step": 1, "self_sym_sizes": (3, 4, 5)}
    node = _double(lambda t: t.unfold(-1, 2, 1), x)
    assert node.name() == "UnfoldBackwardBackward0"
    assert _numbers(node) == {"dim": U64 - 1, "size": 2, "step": 1}
    # the gradients are unchanged by keeping the given arguments
    for f in (lambda t: t.select(-1, -2), lambda t: t.narrow(-1, -3, 2),
              lambda t: t.diagonal(0, -1, -2), lambda t: t.unfold(-1, 2, 1)):
        (g,) = torchlet.autograd.grad(f(x).sum(), x)
        assert g.shape == x.shape and float(g.sum()) == float(f(x).numel())


def test_scatter_views_rot90_pad_as_strided():
    x = _x((3, 4, 5))
    node = torchlet.select_scatter(x, _x((3, 4), 1), -1, -2).grad_fn
    assert _numbers(node) == {"dim": U64 - 1, "index": U64 - 2}
    node = torchlet.slice_scatter(x, _x((3, 2, 5), 1), -2, -2).grad_fn
    assert _numbers(node) == {"dim": U64 - 2, "start": U64 - 2, "end": None, "step": 1}
    node = torchlet.slice_scatter(x, _x((3, 4, 5), 1)).grad_fn
    assert _numbers(node) == {"dim": 0, "start": None, "end": None, "step": 1}
    node = torchlet.diagonal_scatter(x, _x((5, 3), 1), 0, -2, -3).grad_fn
    assert _numbers(node) == {"offset": 0, "dim1": U64 - 2, "dim2": U64 - 3}
    # the double-backward node of a scatter view is the same op, with the same arguments
    src = _x((3, 4), 1)
    out = torchlet.select_scatter(x, src, -1, -2)
    go = torchlet.ones(3, 4, 5).requires_grad_()
    (g,) = torchlet.autograd.grad(out, x, go, create_graph=True)
    assert g.grad_fn.name() == "SelectScatterBackward0"
    assert _numbers(g.grad_fn) == {"dim": U64 - 1, "index": U64 - 2}
    assert _numbers(x.rot90(-1, [-1, 0]).grad_fn) == {"k": U64 - 1, "dims": (U64 - 1, 0)}
    assert _numbers(x.rot90(5, (1, 0)).grad_fn) == {"k": 5, "dims": (1, 0)}
    node = _double(lambda t: t.rot90(1, (0, 2)), x)
    assert _numbers(node) == {"k": U64 - 1, "dims": (0, 2)}  # torch's rot90(grad, -k)
    y = _x((3, 4))
    assert F.pad(y, (1, 2, 0, -1), value=2.0).grad_fn._saved_pad == (1, 2, 0, U64 - 1)
    assert torchlet.constant_pad_nd(y, [1, 1]).grad_fn._saved_pad == (1, 1)
    assert _numbers(y.as_strided((2, 2), (1, 2)).grad_fn) == {
        "size": (2, 2), "stride": (1, 2), "storage_offset": None}
    assert _numbers(y.as_strided((2, 2), (4, 1), 0).grad_fn) == {
        "size": (2, 2), "stride": (4, 1), "storage_offset": 0}
    assert y[1:].as_strided((2, 2), (4, 1)).grad_fn._saved_storage_offset is None


def test_index_backward_indices():
    x = _x((3, 4, 5))
    i, j = torchlet.tensor([0, 2]), torchlet.tensor([[1], [3]])
    mask = torchlet.tensor(np.array([[1, 0, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]], bool))
    assert x[i].grad_fn._saved_indices[0] is i  # the caller's own tensor
    assert x[i, :].grad_fn._saved_indices == (i,)  # (trailing full slices dropped)
    indices = x[:, i].grad_fn._saved_indices
    assert indices[0] is None and indices[1] is i and len(indices) == 2
    indices = x[..., i].grad_fn._saved_indices
    assert indices[:2] == (None, None) and indices[2] is i
    indices = x[i, :, j].grad_fn._saved_indices
    assert indices[0] is i and indices[1] is None and indices[2] is j
    indices = x[:, [0, 2], j].grad_fn._saved_indices  # a list's tensor, in its place
    assert indices[0] is None and indices[2] is j
    assert indices[1].dtype == torchlet.int64 and indices[1].tolist() == [0, 2]
    (m,) = x[mask].grad_fn._saved_indices  # a mask stays the mask
    assert m is mask
    assert x[i.int()].grad_fn._saved_indices[0].dtype == torchlet.int32
    # Index's gradient under create_graph: IndexPutImplBackward0 with the same tensors
    node = _double(lambda t: t[:, i], x)
    assert node.name() == "IndexPutImplBackward0"
    assert node._saved_accumulate is True
    assert node._saved_indices[0] is None and node._saved_indices[1] is i
    # freed by backward
    y = x[i]
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        _ = y.grad_fn._saved_indices


def test_index_put_indices_and_accumulate():
    x = _x((3, 4))
    i, m = torchlet.tensor([0, 2]), torchlet.tensor([True, False, True])
    y = x.clone()
    y[:, i] = _x((3, 2), 1)
    node = y.grad_fn
    assert node.name() == "IndexPutBackward0" and node._saved_accumulate is False
    assert node._saved_indices[0] is None and node._saved_indices[1] is i
    y = x.clone()
    y[m] = 1.0
    assert y.grad_fn._saved_indices[0] is m
    node = x.index_put((i, torchlet.tensor([1, 1])), _x((2,), 1), accumulate=True).grad_fn
    assert node._saved_accumulate is True and node._saved_indices[0] is i
    assert node._saved_indices[1].tolist() == [1, 1]


def test_gather_take_masked_select_keep_self():
    x = _x((3, 4))
    index = torchlet.tensor([[0, 1], [2, 3], [1, 1]], dtype=torchlet.int32)
    node = x.gather(1, index).grad_fn
    assert node._saved_self is x and node._saved_index is index
    assert node._saved_sparse_grad is False and node._saved_dim == 1
    assert torchlet.gather(x, 1, index, sparse_grad=True).grad_fn._saved_sparse_grad is True
    flat = torchlet.tensor([0, 5])
    node = x.take(flat).grad_fn
    assert node._saved_self is x and node._saved_index is flat
    mask = torchlet.tensor([True, False, True, True])
    node = x.masked_select(mask).grad_fn
    assert node._saved_self is x and node._saved_mask is mask
    # self saved: an in-place change before backward is torch's error
    for f in (lambda t: t.gather(0, torchlet.tensor([[0, 1]])),
              lambda t: t.take(torchlet.tensor([0, 1])),
              lambda t: t.masked_select(torchlet.tensor([True, False]))):
        leaf = torchlet.ones(2, 2, requires_grad=True)
        y = leaf * 1
        z = f(y)
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.sum().backward()
    # and backward still gives the same gradient
    out = x.gather(1, index)
    (g,) = torchlet.autograd.grad(out.sum(), x)
    expected = np.zeros((3, 4), np.float32)
    np.add.at(expected, (np.arange(3)[:, None], index.numpy()), 1)
    assert np.array_equal(g.numpy(), expected)


def test_index_add_scatter_put_fill_reduce():
    x, xn = _x((5, 4)), _x((5, 4), grad=False)
    i = torchlet.tensor([0, 2])
    s, sn = _x((2, 4), 1), _x((2, 4), 1, grad=False)
    node = xn.index_add(0, i, s, alpha=2).grad_fn
    assert _numbers(node) == {"alpha": 2, "dim": 0, "source_dim": 2}
    assert node._saved_index is i and node._saved_source is s
    node = x.index_add(0, i, sn, alpha=2.5).grad_fn  # source needs no gradient: None
    assert node._saved_index is None and node._saved_source is None
    assert node._saved_alpha == 2.5
    idx = i[:, None].expand(2, 4)
    assert x.scatter_add(0, idx, sn).grad_fn._saved_index is None
    assert xn.scatter_add(0, idx, s).grad_fn._saved_index is idx
    node = x.scatter(0, idx, sn).grad_fn
    assert node.name() == "ScatterBackward0" and node._saved_index is idx
    assert x.scatter(0, idx, 2.0).grad_fn._saved_index is idx
    node = x.put(i, sn[0, :2]).grad_fn
    assert node._saved_accumulate is False and node._saved_index is i
    assert node._saved_source is None
    node = x.index_fill(-1, i, 2).grad_fn
    assert node._saved_index is i
    node = x.index_reduce(0, i, sn, "amax", include_self=False).grad_fn
    assert _numbers(node) == {"dim": 0, "include_self": False, "reduce": "amax"}
    assert node._saved_self is x and node._saved_index is i
    assert node._saved_result.grad_fn is node
    node = x.scatter_reduce(0, idx, s, "mean").grad_fn
    assert node._saved_src is s and node._saved_reduce == "mean"
    assert node._saved_include_self is True
    mask = x > 0
    node = x.masked_scatter(mask, _x((20,), 2)).grad_fn
    assert node._saved_mask is mask and node._saved_source_sym_sizes == (20,)
    # freed by backward, numbers stay readable
    out = xn.index_add(0, i, s)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        _ = out.grad_fn._saved_index
    assert out.grad_fn._saved_dim == 0 and out.grad_fn._saved_source_dim == 2


def test_block_diag_create_graph_gradient_is_a_view():
    a, b = torchlet.ones(2, 2, requires_grad=True), torchlet.ones(1, 3, requires_grad=True)
    c, d = torchlet.ones(3, requires_grad=True), torchlet.tensor(2.0, requires_grad=True)
    e = torchlet.ones(0, requires_grad=True)
    y = torchlet.block_diag(a, b, c, d, e)
    go = torchlet.arange(float(y.numel())).reshape(y.shape).requires_grad_()
    ga, gb, gc, gd, ge = torchlet.autograd.grad(y, (a, b, c, d, e), go, create_graph=True)
    # (torch: slice(0, ...).slice(1, ...) of grad; strides of grad's (5, 9) layout)
    assert ga.grad_fn.name() == "SliceBackward0" and ga.stride() == (9, 1)
    assert gb.stride() == (9, 1) and gb.storage_offset() == 20
    assert gb.grad_fn.next_functions[0][0].name() == "SliceBackward0"
    assert gc.grad_fn.name() == "ViewBackward0" and gc.stride() == (1,)
    assert gd.grad_fn.name() == "SqueezeBackward1" and gd.storage_offset() == 44
    assert ge.grad_fn is None and ge.shape == (0,)
    assert ga.tolist() == [[0.0, 1.0], [9.0, 10.0]]
    assert gc.tolist() == [32.0, 33.0, 34.0] and float(gd) == 44.0


CASES = [
    lambda lib, x: x.select(-1, -1), lambda lib, x: x.narrow(1, -2, 2),
    lambda lib, x: x.diagonal(1, -1, 0), lambda lib, x: x.unfold(0, 2, 1),
    lambda lib, x: x.rot90(3, (1, 2)), lambda lib, x: lib.nn.functional.pad(x, (1, 0, 2, 1)),
    lambda lib, x: x.as_strided((2, 3), (3, 1), 1), lambda lib, x: x.as_strided((2,), (2,)),
    lambda lib, x: lib.slice_scatter(x, x[:, :, 1:3], 2, 1, 3),
    lambda lib, x: lib.select_scatter(x, x[:, -1], 1, -1),
    lambda lib, x: lib.diagonal_scatter(x, x.diagonal(0, 1, 2), 0, 1, 2),
]


@pytest.mark.parametrize("seed", range(4))
def test_sampled_against_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(3, 5, size=3))
    data = rng.standard_normal(shape).astype(np.float32)
    for case in CASES:
        results = []
        for lib in (torch, torchlet):
            x = lib.tensor(data).requires_grad_()
            node = case(lib, x).grad_fn
            results.append((node.name(), _numbers(node)))
        assert results[0] == results[1]
    # index tensors: the same values and dtypes as torch's
    index = rng.integers(0, shape[0], size=(2, shape[1], shape[2]))
    for lib in (torch, torchlet):
        x = lib.tensor(data).requires_grad_()
        node = x.gather(0, lib.tensor(index)).grad_fn
        names = sorted(a for a in dir(node) if a.startswith("_saved_"))
        results.append((names, node._saved_index.tolist(), node._saved_self.shape))
    assert results[-2] == results[-1]

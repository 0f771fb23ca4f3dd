"""CopySlices under create_graph: the gradient's graph is torch's (CopySlices::apply_impl
step by step: grad copied into a tensor laid out as the base (CopyBackwards), the view's
window of it (AsStridedBackward0 with its size, stride and offset) cloned (CloneBackward0)
for the in-place op's backward, the op's gradient copied back (CopySlices)); a view
rebased after an in-place write shows its as_strided geometry; index_put's gradients save
their index tensors. Values stay what they were (first order bit for bit)."""

import re

import numpy as np
import pytest

import torchlet

F = torchlet.nn.functional


def _names(node, depth=6):
    """The graph under ``node`` as nested (name, children) tuples, None edges kept."""
    if node is None:
        return None
    name = node.name().rsplit("::", 1)[-1]
    if depth == 0:
        return name
    return name, tuple(_names(n, depth - 1) for n, _ in node.next_functions)


def _lines(node, limit=400):
    """Every node under ``node`` (names, None edges, _saved_* numbers and tensor shapes),
    order-insensitive: a sorted list of lines."""
    out, seen, stack = [], set(), [(node, 0)]
    while stack and len(out) < limit:
        fn, depth = stack.pop()
        if fn is None:
            out.append(f"{depth} None")
            continue
        name = fn.name().rsplit("::", 1)[-1]
        if id(fn) in seen:
            out.append(f"{depth} {name} (again)")
            continue
        seen.add(id(fn))
        saved = []
        for attr in sorted(dir(fn)):
            if attr.startswith("_saved_"):
                value = getattr(fn, attr)
                if hasattr(value, "shape") and hasattr(value, "dtype"):
                    value = tuple(value.shape)
                saved.append((attr, value))
        out.append(f"{depth} {name} {saved}")
        stack.extend((n, depth + 1) for n, _ in fn.next_functions)
    return sorted(re.sub(r"\s+", " ", line) for line in out)


def _example(lib, dtype="float64"):
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    v = lib.tensor(rng.standard_normal(2).astype(dtype), requires_grad=True)
    b = a * 1
    b[1:3] = v * 2
    y = (b * b).sum()
    return a, v, lib.autograd.grad(y, (a, v), create_graph=True)


def test_base_gradient_goes_through_copy_backwards():
    a, v, (ga, gv) = _example(torchlet)
    node = ga.grad_fn
    assert node.name() == "MulBackward0"
    cs = node.next_functions[0][0]
    assert cs.name() == "torch::autograd::CopySlices"
    first, second = cs.next_functions
    assert first[0].name() == "torch::autograd::CopyBackwards" and second[0] is None
    copy = first[0]
    assert copy.next_functions[0][0] is None
    assert copy.next_functions[1][0].name() == "AddBackward0"  # grad of b*b: 2 b
    # the window b[1:3] was overwritten: no gradient reaches a there; 2 b elsewhere
    b = a.detach().numpy()
    assert ga.tolist() == [2 * b[0], 0.0, 0.0, 2 * b[3], 2 * b[4]]
    assert gv.tolist() == (8 * v.detach().numpy()).tolist()  # d/dv (2v)^2 = 8 v


def test_value_gradient_goes_through_clone_of_the_window():
    _, _, (_, gv) = _example(torchlet)
    node = gv.grad_fn
    assert node.name() == "MulBackward0"  # (v * 2)'s backward
    clone = node.next_functions[0][0]
    assert clone.name() == "CloneBackward0"
    window = clone.next_functions[0][0]
    assert window.name() == "AsStridedBackward0"
    assert (window._saved_size, window._saved_stride, window._saved_storage_offset) == \
        ((2,), (1,), 1)
    assert window.next_functions[0][0].name() == "torch::autograd::CopyBackwards"


def test_example_graph_and_values_match_torch():
    torch = pytest.importorskip("torch")
    results = [_example(lib) for lib in (torch, torchlet)]
    for (_, _, gt), (_, _, gl) in zip([results[0]], [results[1]]):
        for t, mine in zip(gt, gl):
            assert _names(t.grad_fn) == _names(mine.grad_fn)
            assert _lines(t.grad_fn) == _lines(mine.grad_fn)
            assert np.array_equal(t.detach().numpy(), mine.detach().numpy())


def test_rebased_view_shows_its_geometry():
    a = torchlet.randn(5, requires_grad=True)
    v = torchlet.randn(5, requires_grad=True)
    b = a.reshape(5, 1) * v
    s = b[1:3, ::2]  # (not found by the quick no-overlap test: a window of positions)
    s.mul_(2)
    node = s.grad_fn
    assert node.name() == "AsStridedBackward0"
    assert (node._saved_size, node._saved_stride, node._saved_storage_offset) == \
        ((2, 3), (5, 2), 5)
    t = b[:, 1:3]
    b[2:4].add_(1)  # t is stale: rebuilt over b's new history
    node = (t * 1).grad_fn.next_functions[0][0]
    assert node.name() == "AsStridedBackward0"
    assert (node._saved_size, node._saved_stride, node._saved_storage_offset) == \
        ((5, 2), (5, 1), 1)


@pytest.mark.parametrize("pad, shape", [((2, 1), (1, 1, 5)), ((1, 2, 2, 1), (1, 1, 4, 5))])
def test_circular_pad_second_order_nodes(pad, shape):
    """The pad's slice copies, differentiated with create_graph: each CopySlices of the
    gradient has CopyBackwards first and None second (a slice copy's gradient for the
    values it overwrote is zeros); the kept part of x comes out of a
    SliceBackwardBackward0 over a CloneBackward0 of the window (AsStridedBackward0)."""
    rng = np.random.default_rng(1)
    x = torchlet.tensor(rng.standard_normal(shape), requires_grad=True)
    out_shape = F.pad(x.detach(), pad, mode="circular").shape
    w = torchlet.tensor(rng.standard_normal(tuple(out_shape)))
    g, = torchlet.autograd.grad((F.pad(x, pad, mode="circular") ** 3 * w).sum(), x,
                                create_graph=True)
    root = clone = g.grad_fn
    for _ in range(len(pad) // 2):  # (x was copied into a narrow of a narrow...)
        assert clone.name() == "SliceBackwardBackward0"
        clone = clone.next_functions[0][0]
    assert clone.name() == "CloneBackward0"
    window = clone.next_functions[0][0]
    assert window.name() == "AsStridedBackward0"
    assert window._saved_size == shape
    assert window._saved_stride == tuple(np.cumprod((1,) + tuple(out_shape)[:0:-1])[::-1])
    lefts = pad[0::2][::-1]  # (pad lists the last dim first)
    assert window._saved_storage_offset == sum(
        left * stride for left, stride in zip(lefts, window._saved_stride[-len(lefts):]))
    copies, stack, seen = 0, [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        first = node.next_functions[0][0] if node.next_functions else None
        if node.name().endswith("CopySlices") and first is not None \
                and first.name().endswith("CopyBackwards"):
            copies += 1
            assert node.next_functions[1][0] is None
        stack.extend(n for n, _ in node.next_functions)
    assert copies == len(pad)  # one per pad copied (all amounts here are positive)


@pytest.mark.parametrize("pad, shape", [((2, 1), (1, 1, 5)), ((1, 2, 2, 1), (1, 1, 4, 5)),
                                        ((1, 1, 1, 0, 0, 1), (1, 1, 2, 2, 4))])
def test_circular_pad_second_order_matches_torch(pad, shape):
    torch = pytest.importorskip("torch")
    graphs = []
    for lib in (torch, torchlet):
        rng = np.random.default_rng(3)
        x = lib.tensor(rng.standard_normal(shape), requires_grad=True)
        y = lib.nn.functional.pad(x, pad, mode="circular")
        w = lib.tensor(rng.standard_normal(tuple(y.shape)))
        g, = lib.autograd.grad((y ** 3 * w).sum(), x, create_graph=True)
        graphs.append((_lines(g.grad_fn), g.detach().numpy()))
    assert graphs[1][0] == graphs[0][0]
    np.testing.assert_allclose(graphs[1][1], graphs[0][1], rtol=1e-12)


def test_index_put_gradients_save_their_indices():
    a = torchlet.randn(5, requires_grad=True)
    v = torchlet.randn(5, requires_grad=True)
    b = a * 1
    b[torchlet.tensor([0, 3])] = v[:2]
    ga, gv = torchlet.autograd.grad((b * b).sum(), (a, v), create_graph=True)
    node = ga.grad_fn.next_functions[0][0]
    assert node.name() == "IndexPutBackward0"
    assert [t.tolist() for t in node._saved_indices] == [[0, 3]]
    node = gv.grad_fn.next_functions[0][0]
    assert node.name() == "IndexBackward0"
    assert [t.tolist() for t in node._saved_indices] == [[0, 3]]


def test_non_contiguous_base_uses_its_strides():
    """A base laid out transposed: the window's as_strided is in the base's memory."""
    torch = pytest.importorskip("torch")
    outs = []
    for lib in (torch, torchlet):
        rng = np.random.default_rng(2)
        a = lib.tensor(rng.standard_normal((4, 3)), requires_grad=True)
        b = a.t() * 1  # strides (1, 3)
        b[1:3, 0].mul_(a[0, :2])
        g, = lib.autograd.grad((b ** 3).sum(), a, create_graph=True)
        graph = _lines(g.grad_fn)
        g2, = lib.autograd.grad((g * g).sum(), a, create_graph=True)
        g3, = lib.autograd.grad((g2 * g2).sum(), a)
        outs.append((graph, g, g2, g3))
    assert outs[0][0] == outs[1][0]
    for t, mine in zip(outs[0][1:], outs[1][1:]):
        np.testing.assert_allclose(mine.detach().numpy(), t.detach().numpy(), rtol=1e-12)


def test_first_order_unchanged_by_hand():
    """Without create_graph the gradient is what it was: d/da sum((a with a[1:3] := 3v)^2)."""
    a = torchlet.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = torchlet.tensor([0.5, -1.0], requires_grad=True)
    b = a * 1
    b.narrow(0, 1, 2).copy_(v * 3)
    (b * b).sum().backward()
    assert a.grad.tolist() == [2.0, 0.0, 0.0, 8.0]
    assert v.grad.tolist() == [9.0, -18.0]  # 2 (3v) 3
    assert b.grad_fn.next_functions[0][0].name() == "MulBackward0"


# ---------------------------------------------------------------------------------------
# sampled differential test: graphs of the first and second gradients, values to third order

CONFIGS = {
    "slice": lambda L, a, v: _set(a * 1, slice(1, 3), v[:2] * 2),
    "step": lambda L, a, v: _set(a * 1, slice(None, None, 2), v[:3]),
    "int": lambda L, a, v: _set(a * 1, 2, v[0]),
    "number": lambda L, a, v: _set(a * 1, 2, 3.0),
    "mask": lambda L, a, v: _set(a * 1, L.tensor([True, False, True, False, True]), v[:3]),
    "narrow_mul": lambda L, a, v: _inplace(a * 1, lambda b: b.narrow(0, 1, 2).mul_(v[:2])),
    "narrow_fill": lambda L, a, v: _inplace(a * 1, lambda b: b.narrow(0, 1, 2).fill_(2.5)),
    "diag": lambda L, a, v: _inplace((a[:3] * 1).reshape(3, 1).expand(3, 3) * 1,
                                     lambda b: b.diagonal().copy_(v[:3])),
    "unfold": lambda L, a, v: _inplace(a * 1, lambda b: b.unfold(0, 2, 2).mul_(v[:2])),
    "select": lambda L, a, v: _inplace((a * 1).reshape(1, 5).expand(3, 5).contiguous(),
                                       lambda b: b.select(0, 1).copy_(v)),
    "as_strided": lambda L, a, v: _inplace(a * 1, lambda b: b.as_strided((2,), (2,), 1)
                                           .copy_(v[:2])),
    "cast": lambda L, a, v: _set(a * 1, slice(1, 3), v[:2].float()),
    "circular1d": lambda L, a, v: F.pad((a * v).reshape(1, 1, 5), (2, 1), mode="circular")
    if L is torchlet else L.nn.functional.pad((a * v).reshape(1, 1, 5), (2, 1),
                                             mode="circular"),
}


def _set(b, key, value):
    b[key] = value
    return b


def _inplace(b, op):
    op(b)
    return b


def _grads(lib, name, seed, dtype):
    rng = np.random.default_rng(seed)
    a = lib.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    v = lib.tensor(rng.standard_normal(5).astype(dtype), requires_grad=True)
    w = rng.standard_normal(40).astype(dtype)
    b = CONFIGS[name](lib, a, v)
    y = (b * b * lib.tensor(w[:b.numel()]).reshape(b.shape)).sum()
    g = lib.autograd.grad(y, (a, v), create_graph=True)
    graphs = [_lines(x.grad_fn) for x in g]
    s = sum((x * lib.tensor(w[5 * i:5 * i + 5])).sum() for i, x in enumerate(g))
    g2 = lib.autograd.grad(s, (a, v), create_graph=True, allow_unused=True)
    graphs += [_lines(x.grad_fn) for x in g2 if x is not None and x.grad_fn is not None]
    s2 = sum((x * x).sum() for x in g2 if x is not None and x.requires_grad)
    g3 = (None, None) if isinstance(s2, int) else lib.autograd.grad(s2, (a, v), allow_unused=True)
    values = [None if x is None else x.detach().numpy() for x in (*g, *g2, *g3)]
    return graphs, values


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(24)
    names = sorted(CONFIGS)
    for _ in range(16):
        name = names[rng.integers(len(names))]
        dtype = ("float32", "float64")[rng.integers(2)]
        seed = int(rng.integers(1000))
        graphs_t, values_t = _grads(torch, name, seed, dtype)
        graphs_l, values_l = _grads(torchlet, name, seed, dtype)
        assert graphs_l == graphs_t, name
        rtol = 1e-5 if dtype == "float32" else 1e-12
        for t, mine in zip(values_t, values_l):
            assert (t is None) == (mine is None), name
            if t is not None:
                assert mine.dtype == t.dtype
                np.testing.assert_allclose(mine, t, rtol=rtol, atol=rtol, err_msg=name)


def test_meta_create_graph_and_empty_strided_device():
    """On meta (no memory to address) the gradients keep their shapes; empty_strided
    honours device='meta' as torch does."""
    assert torchlet.empty_strided((2, 3), (3, 1), device="meta").device.type == "meta"
    a = torchlet.randn(5, device="meta", requires_grad=True)
    v = torchlet.randn(5, device="meta", requires_grad=True)
    b = a * 1
    b[1:3] = v[:2] * 2
    b.narrow(0, 3, 2).mul_(v[:2])
    ga, gv = torchlet.autograd.grad((b * b).sum(), (a, v), create_graph=True)
    assert ga.device.type == gv.device.type == "meta" and ga.shape == gv.shape == (5,)
    g2 = torchlet.autograd.grad(ga.sum() + gv.sum(), (a, v))
    assert [g.shape for g in g2] == [(5,), (5,)]

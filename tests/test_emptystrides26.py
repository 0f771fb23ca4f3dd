"""Strides of fresh empty results and their views (emptystrides26): an operation's new
size-0 result has torch's contiguous strides in its array (NumPy gives it zeros), so
transpose, narrow, select, split, diagonal, unfold, ... of it get torch's strides and
storage offsets; a view of a non-empty base and a tensor of a NumPy array keep theirs.
Also: unflatten's empty-sizes check comes first, and prod's backward on slices holding
zeros has torch's layout (and its size-1 shortcut)."""

import itertools
import pickle

import numpy as np
import pytest

import torchlet
from torchlet._ops.shape.common import contiguous_strides


def _torch():
    return pytest.importorskip("torch")


def _layout(y):
    return tuple(y.shape), tuple(y.stride()), y.storage_offset(), y.is_contiguous()


# fresh empty results made by operations (not factories), keyed by name
_MAKERS = {
    "add": lambda t, s: t.zeros(s) + 1,
    "sum": lambda t, s: t.zeros((*s, 3)).sum(-1),
    "meankeep": lambda t, s: t.zeros((s[0], s[1], 2, s[2])).mean(2, keepdim=True).squeeze(2),
    "where": lambda t, s: t.where(t.zeros(s) > 0, t.zeros(s), 1.0),
    "cat": lambda t, s: t.cat([t.zeros(s) * 2, t.zeros(s) * 3], 0),
    "exp_grad": lambda t, s: t.zeros(s, requires_grad=True).exp(),
    "cumsum": lambda t, s: t.zeros(s).cumsum(1),
}
_VIEWS = {
    "transpose": lambda y: y.transpose(0, 2), "permute": lambda y: y.permute(2, 0, 1),
    "mT": lambda y: y.mT, "T": lambda y: y.permute(2, 1, 0), "movedim": lambda y: y.movedim(0, -1),
    "narrow": lambda y: y.narrow(2, 1, 1) if y.shape[2] > 1 else y.narrow(0, 0, 0),
    "select": lambda y: (y.select(2, 1) if y.shape[2] > 1 else y.select(1, 0) if y.shape[1]
                         else y[None]),
    "split": lambda y: y.split(1, 2)[-1] if y.shape[2] else y.split(1, 1)[0],
    "chunk": lambda y: y.chunk(2, 2)[-1],
    "unbind": lambda y: y.unbind(2)[-1] if y.shape[2] else y[:, None],
    "diagonal": lambda y: y.diagonal(0, 0, 2), "unfold": lambda y: y.unfold(2, 1, 1),
    "transpose_": lambda y: y.transpose_(0, 1), "step": lambda y: y[..., 1::2],
}


def _configs():
    """A fixed sample (seeded) of (shape, maker, view) triples."""
    shapes = [s for s in itertools.product([0, 1, 2, 3], repeat=3) if 0 in s]
    all_cases = [(s, m, v) for s in shapes for m in _MAKERS for v in _VIEWS]
    rng = np.random.default_rng(26)
    return [all_cases[i] for i in rng.choice(len(all_cases), 300, replace=False)]


def test_fresh_results_have_contiguous_strides_in_their_array():
    # hand-derived: the array itself (what every view starts from) is torch's contiguous
    # (not a scalar operand: torch's add(x, 1) on some empty shapes gives zero strides)
    makers = [lambda s: torchlet.zeros(s).exp(), lambda s: torchlet.zeros(s) * torchlet.zeros(s),
              lambda s: torchlet.zeros((*s, 2)).sum(-1),
              lambda s: torchlet.zeros(s, requires_grad=True).exp()]
    for shape in [(2, 0, 4), (0, 3), (0,), (3, 0, 1, 2)]:
        for make in makers:
            y = make(shape)
            itemsize = y._data.itemsize
            assert y._data.strides == tuple(e * itemsize for e in contiguous_strides(shape))
            assert y.stride() == contiguous_strides(shape)
    y = torchlet.zeros(2, 0, 4).sum(-1)
    assert y.stride() == (1, 1) and y.t().stride() == (1, 1)
    z = torchlet.zeros(2, 0, 4) + 1
    assert z.transpose(0, 2).stride() == (1, 4, 4)
    assert z.narrow(2, 1, 2).storage_offset() == 1  # (torch moves the offset of an empty view)
    assert z.select(2, 3).storage_offset() == 3 and z.select(2, 3).stride() == (4, 4)
    assert z.unfold(2, 2, 1).stride() == (4, 4, 1, 1)
    assert z.diagonal(0, 0, 2).stride() == (4, 5)


def test_views_of_fresh_empties_sampled_against_torch():
    torch = _torch()
    bad = []
    for shape, maker, view in _configs():
        got = []
        for t in (torch, torchlet):
            try:
                got.append(_layout(_VIEWS[view](_MAKERS[maker](t, shape).detach())))
            except Exception as e:  # noqa: BLE001 - the outcome is compared
                got.append(type(e).__name__)
        if got[0] != got[1]:
            bad.append((shape, maker, view, *got))
    assert not bad, bad[:5]


def test_hand_derived_views_of_fresh_empty():
    # transpose/permute of a fresh result permute its contiguous strides (no torch needed)
    for shape in [(2, 0, 3), (0, 2, 2), (1, 0, 0)]:
        y = torchlet.zeros(shape) * 2
        c = contiguous_strides(shape)
        assert y.permute(2, 0, 1).stride() == (c[2], c[0], c[1])
        assert y.transpose(0, 1).stride() == (c[1], c[0], c[2])
        assert y.mT.stride() == (c[0], c[2], c[1])
        assert y.storage_offset() == 0 and y.is_contiguous()


def test_non_fresh_empties_keep_their_strides():
    torch = _torch()
    cases = [
        lambda t: t.zeros(3, 4)[:, 0:0].t(),             # a view of a non-empty base
        lambda t: t.zeros(3, 4)[:, 2:2].t(),
        lambda t: t.zeros(1).expand(0),                  # expand keeps zero strides
        lambda t: t.zeros(1, 1).expand(0, 3).t(),
        lambda t: t.zeros(6).as_strided((0, 3), (0, 0)).t(),
        lambda t: t.tensor(np.empty((0, 4))).t(),        # torch keeps a NumPy array's zeros
        lambda t: t.from_numpy(np.zeros((2, 0, 3))).permute(2, 0, 1),
    ]
    for make in cases:
        assert _layout(make(torchlet)) == _layout(make(torch))
    # hand-derived
    assert torchlet.zeros(3, 4)[:, 0:0].t().stride() == (1, 4)
    assert torchlet.zeros(1).expand(0).stride() == (0,)
    assert torchlet.tensor(np.empty((0, 4))).t().stride() == (0, 0)


def test_restrided_empties_work_in_numpy_operations():
    y = torchlet.zeros(2, 0, 4) + 1  # the re-strided fresh array
    assert y.clone().shape == (2, 0, 4) and y.contiguous() is y
    assert (y.reshape(0, 2).shape, y.flatten().shape, y.view(-1).shape) == ((0, 2), (0,), (0,))
    assert y.numpy().shape == (2, 0, 4) and y.tolist() == [[], []]
    y.add_(1)
    y.copy_(torchlet.ones(2, 0, 4))
    torchlet.add(y, 1, out=torchlet.empty(2, 0, 4))
    out = torchlet.empty(0)
    torchlet.add(y, y, out=out)  # (out= resized)
    assert out.shape == (2, 0, 4)
    assert torchlet.cat([y, y], 1).shape == (2, 0, 4)
    assert pickle.loads(pickle.dumps(y)).stride() == (4, 4, 1)
    g = torchlet.zeros(2, 0, 3, requires_grad=True)
    (g * 2).t().sum().backward() if g.dim() == 2 else (g * 2).transpose(0, 2).sum().backward()
    assert g.grad.shape == (2, 0, 3) and g.grad.stride() == (3, 3, 1)


def test_unflatten_checks_empty_sizes_first():
    torch = _torch()
    for dim, sizes in [(5, ()), (5, []), ("a", ()), (0, 0), (0, None), (9, (2,)), (0, (2, -1))]:
        got = []
        for t in (torch, torchlet):
            try:
                got.append(tuple(t.zeros(2, 3).unflatten(dim, sizes).shape))
            except Exception as e:  # noqa: BLE001 - the outcome is compared
                got.append((type(e).__name__, str(e)[:40]))
        assert got[0] == got[1], (dim, sizes, got)
    with pytest.raises(RuntimeError, match="unflatten: sizes must be non-empty"):
        torchlet.zeros(2, 3).unflatten(5, ())


def test_prod_backward_layout_with_zeros():
    torch = _torch()
    for shape, dim in [((1, 2, 1), 1), ((3, 1), 0), ((2, 1, 3), 1), ((1, 3, 1), -1)]:
        got = []
        for t in (torch, torchlet):
            x = t.zeros(*shape, requires_grad=True)
            x.prod(dim, keepdim=True).sum().backward()
            got.append((x.grad.stride(), x.grad.tolist()))
        assert got[0] == got[1], (shape, dim, got)
    x = torchlet.zeros(1, 2, 1, requires_grad=True)
    x.prod(1, keepdim=True).sum().backward()
    assert x.grad.stride() == (2, 1, 1)  # hand-derived: contiguous (1, 2, 1)


def test_prod_backward_size_one_slice_returns_grad():
    torch = _torch()
    for shape, dim, keep in [((1,), -1, True), ((3, 1), 1, False), ((2, 3, 1), -1, True)]:
        got = []
        for t in (torch, torchlet):
            x = t.zeros(*shape, requires_grad=True)
            g, = t.autograd.grad(x.prod(dim, keepdim=keep).sum(), x, create_graph=True)
            got.append((g.stride(), g.grad_fn is None, g.tolist()))
        assert got[0] == got[1], (shape, dim, got)
        assert got[1][1]  # (the gradient itself, no product node)


def test_prod_backward_sampled_against_torch():
    torch = _torch()
    rng = np.random.default_rng(7)
    for _ in range(60):
        nd = int(rng.integers(1, 4))
        shape = tuple(int(s) for s in rng.integers(1, 4, nd))
        a = rng.standard_normal(shape).astype(np.float32)
        a[rng.random(shape) < 0.3] = 0
        dim, keep = int(rng.integers(-nd, nd)), bool(rng.integers(2))
        whole = rng.random() < 0.2
        got = []
        for t in (torch, torchlet):
            x = t.tensor(a, requires_grad=True)
            y = x.prod() if whole else x.prod(dim, keepdim=keep)
            g, = t.autograd.grad(y.sum(), x, create_graph=True)
            got.append((tuple(g.stride()), g.grad_fn is None, g.detach().numpy().copy()))
        assert got[0][:2] == got[1][:2], (shape, dim, keep, whole)
        np.testing.assert_allclose(got[1][2], got[0][2], rtol=1e-5, atol=1e-6)

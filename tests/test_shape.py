"""Shape operations: what the op-spec table (tests/specs/shape.py) cannot say.

* against live torch: the memory layout of every spec's results (strides, and whether
  the result is a view) and the exact text of every error;
* view semantics: writes through a view show in its base, views share the version
  counter, copies share nothing, ``view`` refuses what ``reshape`` copies;
* gradient rules with known answers (unused split outputs, repeat, roll, flip, tril,
  diagonal) and double backward;
* hypothesis: reshape/view/permute/expand on random shapes and strides.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opspec import raised
from specs.shape import ERROR_SPECS, SPECS

import torchlet
from torchlet.autograd.gradcheck import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def tensor(lib, array, requires_grad=False):
    t = lib.tensor(np.asarray(array))
    return t.requires_grad_(requires_grad) if requires_grad else t


def arange(*shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def _outputs(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _layout(t):
    """What torch says about a result's memory: strides (when they matter) and view-ness."""
    strides = t.stride() if t.numel() > 1 else None
    return strides, t._base is not None, t.is_contiguous()


# ---------------------------------------------------------------------------------------
# against torch: layout and error messages


@needs_torch
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_layout_matches_torch(spec):
    """Each result has torch's strides, and is a view exactly when torch's is."""
    results = {}
    for lib in (torch, torchlet):
        inputs = [lib.tensor(a) for a in spec.inputs()]
        results[lib] = [_layout(o) for o in _outputs(spec.fn(lib, *inputs))]
    assert results[torchlet] == results[torch]


def _message(error) -> str:
    return str(error).split("\nException raised from")[0]


@needs_torch
@pytest.mark.parametrize("spec", ERROR_SPECS, ids=lambda s: s.name)
def test_error_text_matches_torch(spec):
    want, got = raised(spec.fn, torch), raised(spec.fn, torchlet)
    assert type(got).__name__ == type(want).__name__
    assert _message(got) == _message(want)


# errors beyond the spec table, compared in full with torch's
MORE_ERRORS = {
    "view_negative": lambda t: t.ones(2, 3).view(-2, 3),
    "flatten_range": lambda t: t.ones(2, 3).flatten(0, 2),
    "unflatten_empty": lambda t: t.ones(2, 3).unflatten(1, ()),
    "squeeze_range": lambda t: t.ones(2, 3).squeeze(2),
    "movedim_len": lambda t: t.ones(2, 3).movedim((0, 1), (1,)),
    "movedim_dst": lambda t: t.ones(2, 3).movedim((0, 1), (1, -1)),
    "permute_dup": lambda t: t.ones(2, 3).permute(1, 1),
    "expand_fewer": lambda t: t.ones(2, 3).expand(3),
    "expand_lead": lambda t: t.ones(2, 3).expand(-1, 2, 3),
    "broadcast_tensors": lambda t: t.broadcast_tensors(t.ones(2, 3), t.ones(2, 4)),
    "broadcast_shapes": lambda t: t.broadcast_shapes((2, 1), (3, 2)),
    "cat_element": lambda t: t.cat([t.ones(2), 1]),
    "cat_skip_sizes": lambda t: t.cat([t.ones(0), t.ones(2, 3), t.ones(2, 4)]),
    "cat_dim": lambda t: t.cat([t.ones(2, 3), t.ones(2, 3)], 2),
    "stack_empty": lambda t: t.stack([]),
    "stack_dim": lambda t: t.stack([t.ones(2), t.ones(2)], 2),
    "hstack_empty": lambda t: t.hstack([]),
    "vstack_tensor": lambda t: t.vstack(t.ones(2, 3)),
    "split_negative": lambda t: t.ones(2, 3).split(-1, 1),
    "split_zero": lambda t: t.ones(2, 3).split(0, 1),
    "split_sizes_negative": lambda t: t.ones(2, 3).split([4, -1], 1),
    "chunk_0d": lambda t: t.tensor(1.0).chunk(1),
    "tensor_split_0d": lambda t: t.tensor_split(t.tensor(1.0), 2),
    "tensor_split_zero": lambda t: t.tensor_split(t.ones(4), 0),
    "tensor_split_float": lambda t: t.tensor_split(t.ones(4), t.tensor([1.0])),
    "tensor_split_2d": lambda t: t.tensor_split(t.ones(4), t.tensor([[1]])),
    "narrow_0d": lambda t: t.tensor(1.0).narrow(0, 0, 1),
    "narrow_negative_start": lambda t: t.ones(2, 3).narrow(1, -4, 1),
    "narrow_negative_length": lambda t: t.ones(2, 3).narrow(1, 0, -1),
    "select_0d": lambda t: t.tensor(1.0).select(0, 0),
    "select_negative": lambda t: t.ones(2, 3).select(1, -4),
    "diagonal_1d": lambda t: t.ones(3).diagonal(),
    "diag_0d": lambda t: t.diag(t.tensor(1.0)),
    "view_dtype_0d": lambda t: t.tensor(1.0).view(t.int16),
    "view_dtype_stride": lambda t: t.ones(2, 3).t().view(t.int16),
    "view_dtype_offset": lambda t: t.ones(2, 4).narrow(1, 1, 2).view(t.float64),
    "flip_range": lambda t: t.ones(2, 3).flip(2),
    "fliplr_1d": lambda t: t.fliplr(t.ones(3)),
    "flipud_0d": lambda t: t.flipud(t.tensor(1.0)),
    "roll_tuple_no_dims": lambda t: t.ones(2, 3).roll((1, 2)),
    "roll_no_shifts": lambda t: t.ones(2, 3).roll((), ()),
    "roll_0d_dim": lambda t: t.tensor(1.0).roll(1, 0),
    "roll_float": lambda t: t.ones(2, 3).roll(1.0, 0),
    "repeat_negative": lambda t: t.ones(2, 3).repeat(2, -1),
    "repeat_interleave_dim": lambda t: t.repeat_interleave(t.ones(2, 3), 2, 2),
    "repeat_interleave_output_size": lambda t: t.repeat_interleave(t.ones(2, 3), 2, 1,
                                                                   output_size=5),
    "repeat_interleave_sizes": lambda t: t.repeat_interleave(t.ones(2, 3), t.tensor([1, 2]), 1),
    "repeat_interleave_negative": lambda t: t.repeat_interleave(t.ones(3), t.tensor([1, -1, 2])),
    "repeat_interleave_2d": lambda t: t.repeat_interleave(t.ones(2), t.tensor([[1, 2]])),
    "repeat_interleave_float": lambda t: t.repeat_interleave(t.ones(2), t.tensor([1.0, 2.0])),
    "triu_float_diagonal": lambda t: t.ones(3, 3).triu(1.0),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(MORE_ERRORS))
def test_more_errors_match_torch(name):
    fn = MORE_ERRORS[name]
    want, got = raised(fn, torch), raised(fn, torchlet)
    assert want is not None
    assert type(got).__name__ == type(want).__name__, f"{got!r} vs {want!r}"
    assert _message(got) == _message(want)


# ---------------------------------------------------------------------------------------
# views share memory and the version counter; copies do not


VIEWS = {
    "view": lambda x: x.view(6, 4),
    "view_as": lambda x: x.view_as(torchlet.ones(4, 6)),
    "reshape": lambda x: x.reshape(4, 6),
    "flatten": lambda x: x.flatten(1),
    "unflatten": lambda x: x.unflatten(2, (2, 2)),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 2),
    "permute": lambda x: x.permute(1, 2, 0),
    "t": lambda x: x.select(0, 0).t(),
    "T": lambda x: x.select(0, 1).T,
    "mT": lambda x: x.mT,
    "movedim": lambda x: x.movedim(0, -1),
    "expand_same": lambda x: x.expand(2, 3, 4),
    "narrow": lambda x: x.narrow(1, 1, 2),
    "select": lambda x: x.select(2, 3),
    "select_to_0d": lambda x: x.select(0, 1).select(0, 2).select(0, 3),
    "split": lambda x: x.split(2, 2)[1],
    "chunk": lambda x: x.chunk(3, 1)[2],
    "unbind": lambda x: x.unbind(1)[1],
    "unbind_to_0d": lambda x: x.flatten().unbind()[5],
    "tensor_split": lambda x: torchlet.tensor_split(x, [1], 2)[1],
    "diagonal": lambda x: x.diagonal(1, 1, 2),
    "atleast_3d": lambda x: torchlet.atleast_3d(x.select(0, 0).select(0, 0)),
    "view_dtype": lambda x: x.view(torchlet.int32),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_writes_through_views_show_in_base(name):
    x = torchlet.tensor(arange(2, 3, 4) + 1)
    v = VIEWS[name](x)
    assert v._base is x
    assert np.shares_memory(v.numpy(), x.numpy())
    before = x.numpy().copy()
    v.zero_()  # an in-place write through the view
    changed = before != x.numpy()
    assert changed.sum() == v.numel()  # exactly the viewed elements, all non-zero before
    assert (x.numpy()[changed] == 0).all()
    assert x._version == v._version == 1  # one version counter for base and views


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_see_writes_into_base(name):
    x = torchlet.tensor(arange(2, 3, 4))
    v = VIEWS[name](x)
    x.add_(1)
    assert v._version == 1
    if name != "view_dtype":
        np.testing.assert_array_equal(v.numpy(), VIEWS[name](torchlet.tensor(arange(2, 3, 4) + 1))
                                      .numpy())


COPIES = {
    "reshape_noncontig": lambda x: x.transpose(0, 1).reshape(-1),
    "flatten_noncontig": lambda x: x.transpose(1, 2).flatten(),
    "contiguous_noncontig": lambda x: x.transpose(0, 1).contiguous(),
    "clone": lambda x: x.clone(),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1, 2),
    "repeat": lambda x: x.repeat(1, 1, 1),
    "tile": lambda x: torchlet.tile(x, (1,)),
    "repeat_interleave": lambda x: torchlet.repeat_interleave(x, 1, 0),
    "cat": lambda x: torchlet.cat([x]),
    "stack": lambda x: torchlet.stack([x]),
    "tril": lambda x: x.tril(10),
    "triu": lambda x: x.triu(-10),
    "diag": lambda x: torchlet.diag(x.select(0, 0)),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copies_share_nothing(name):
    x = torchlet.tensor(arange(2, 3, 4))
    c = COPIES[name](x)
    assert c._base is None or c._base is not x and not np.shares_memory(c._base.numpy(),
                                                                        x.numpy())
    assert not np.shares_memory(c.numpy(), x.numpy())
    c.zero_()
    np.testing.assert_array_equal(x.numpy(), arange(2, 3, 4))
    assert x._version == 0


def test_view_of_noncontiguous_raises_and_reshape_copies():
    x = torchlet.tensor(arange(2, 3, 4), requires_grad=True)
    xt = x.transpose(0, 1)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's "
                                           r"size and stride .* Use \.reshape\(\.\.\.\) instead"):
        xt.view(-1)
    r = xt.reshape(-1)
    assert r._base is None
    assert r.grad_fn.name() == "UnsafeViewBackward0"
    assert r.grad_fn.next_functions[0][0].name() == "CloneBackward0"
    np.testing.assert_array_equal(r.detach().numpy(), arange(2, 3, 4).transpose(1, 0, 2)
                                  .reshape(-1))
    # where the strides allow it, view works on a non-contiguous tensor too
    v = xt.view(3, 2, 2, 2)
    assert v._base is x and v.grad_fn.name() == "ViewBackward0"


def test_expanded_tensor_refuses_inplace_but_same_shape_expand_does_not():
    x = torchlet.tensor(arange(1, 3))
    with pytest.raises(RuntimeError, match="more than one element"):
        x.expand(2, 3).add_(1)
    same = x.expand(1, 3)
    same.add_(1)
    np.testing.assert_array_equal(x.numpy(), arange(1, 3) + 1)
    lead = x.expand(1, 1, 3)  # a new leading dim of size 1 repeats nothing
    lead.add_(1)
    np.testing.assert_array_equal(x.numpy(), arange(1, 3) + 2)


def test_ops_that_return_the_input_itself():
    x = torchlet.tensor(arange(2, 3))
    assert x.contiguous() is x
    assert x.flatten(1, 1) is x
    assert torchlet.atleast_1d(x) is x and torchlet.atleast_2d(x) is x
    a, b = torchlet.broadcast_tensors(x, torchlet.ones(3))
    assert a is x and b._base is not None


def test_clone_keeps_memory_layout():
    x = torchlet.tensor(arange(2, 3, 4)).transpose(0, 2)
    assert x.clone().stride() == (1, 4, 12)
    assert torchlet.clone(x, memory_format=torchlet.contiguous_format).is_contiguous()
    assert x.contiguous().stride() == (6, 2, 1)


def test_view_dtype_reinterprets_bits():
    a = np.array([[1.0, -2.5], [0.0, 3.0]], dtype=np.float32)
    x = torchlet.tensor(a, requires_grad=True)
    v = x.view(torchlet.int32)
    assert v.dtype == torchlet.int32 and not v.requires_grad and v.grad_fn is None
    np.testing.assert_array_equal(v.numpy(), a.view(np.int32))
    w = x.detach().view(torchlet.int16)
    assert w.shape == (2, 4)
    np.testing.assert_array_equal(w.numpy(), a.view(np.int16))
    u = torchlet.tensor(np.arange(8, dtype=np.int16)).view(torchlet.int64)
    np.testing.assert_array_equal(u.numpy(), np.arange(8, dtype=np.int16).view(np.int64))
    b = torchlet.tensor(np.array([0, 1, 2], dtype=np.uint8)).view(torchlet.bool)
    assert b.dtype == torchlet.bool


# ---------------------------------------------------------------------------------------
# gradients with known answers


def _grad(fn, array, grad_output=None):
    x = torchlet.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)
    out = fn(x)
    g = torchlet.ones(*out.shape, dtype=torchlet.float64) if grad_output is None \
        else torchlet.tensor(np.asarray(grad_output, dtype=np.float64))
    (gx,) = torchlet.autograd.grad(out, x, g)
    return gx.numpy()


@pytest.mark.parametrize("split", [
    lambda x: x.split(2, 1),
    lambda x: x.split([1, 3], 1),
    lambda x: x.chunk(2, 1),
    lambda x: x.unbind(1),
])
def test_unused_split_outputs_get_zero_gradient(split):
    x = torchlet.tensor(arange(3, 4, dtype=np.float64), requires_grad=True)
    last = split(x)[-1]
    (last * 3).sum().backward()
    expected = np.zeros((3, 4))
    expected[:, 4 - (last.shape[1] if last.ndim == 2 else 1):] = 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)


def test_split_grad_fn_names():
    x = torchlet.ones(4, 3, requires_grad=True)
    assert {o.grad_fn.name() for o in x.split(3)} == {"SplitBackward0"}
    assert {o.grad_fn.name() for o in x.split([1, 3])} == {"SplitWithSizesBackward0"}
    assert {o.grad_fn.name() for o in x.chunk(2)} == {"SplitBackward0"}
    assert {o.grad_fn.name() for o in torchlet.tensor_split(x, 3)} == {"SliceBackward0"}
    parts = x.split(2)
    assert parts[0].grad_fn is parts[1].grad_fn  # one node, two outputs
    assert (parts[0].output_nr, parts[1].output_nr) == (0, 1)


def test_repeat_backward_sums_the_tiles():
    g = np.arange(2 * 2 * 6, dtype=np.float64).reshape(2, 2, 6)
    got = _grad(lambda x: x.repeat(2, 1, 3), np.zeros((2, 2)), g)
    want = g.reshape(2, 2, 3, 2).sum(axis=(0, 2))
    np.testing.assert_array_equal(got, want)


def test_roll_and_flip_backward_move_the_gradient_back():
    g = np.arange(6, dtype=np.float64).reshape(2, 3)
    np.testing.assert_array_equal(_grad(lambda x: x.roll(1, 1), np.zeros((2, 3)), g),
                                  np.roll(g, -1, 1))
    np.testing.assert_array_equal(_grad(lambda x: x.roll(2), np.zeros((2, 3)), g),
                                  np.roll(g.ravel(), -2).reshape(2, 3))
    np.testing.assert_array_equal(_grad(lambda x: x.flip(0, 1), np.zeros((2, 3)), g),
                                  g[::-1, ::-1])


def test_tril_triu_mask_the_gradient():
    np.testing.assert_array_equal(_grad(lambda x: x.tril(-1), np.zeros((3, 4))),
                                  np.tril(np.ones((3, 4)), -1))
    np.testing.assert_array_equal(_grad(lambda x: x.triu(1), np.zeros((2, 3, 3))),
                                  np.triu(np.ones((2, 3, 3)), 1))


def test_diagonal_backward_scatters_into_zeros():
    got = _grad(lambda x: x.diagonal(1), np.zeros((3, 4)), [10.0, 20.0, 30.0])
    want = np.zeros((3, 4))
    want[[0, 1, 2], [1, 2, 3]] = [10, 20, 30]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(_grad(lambda x: torchlet.diag(x), np.zeros(3)), np.ones(3))


def test_cat_gradient_keeps_each_input_dtype():
    a = torchlet.ones(2, dtype=torchlet.float32, requires_grad=True)
    b = torchlet.ones(3, dtype=torchlet.float64, requires_grad=True)
    empty = torchlet.zeros(0, requires_grad=True)
    out = torchlet.cat([a, empty, b])
    assert out.dtype == torchlet.float64 and out.grad_fn.name() == "CatBackward0"
    out.backward(torchlet.tensor(np.arange(5.0)))
    assert a.grad.dtype == torchlet.float32 and b.grad.dtype == torchlet.float64
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 3, 4])
    assert empty.grad.shape == (0,)


def test_double_backward_of_views_that_drop_elements():
    """The scatter in the backward of narrow/select/diagonal is differentiable again."""
    names = {}
    for name, fn in [("narrow", lambda x: x.narrow(1, 1, 2)), ("select", lambda x: x.select(0, 1)),
                     ("diagonal", lambda x: x.diagonal()),
                     ("diag", lambda x: torchlet.diag(x))]:
        x = torchlet.tensor(arange(3, 3, dtype=np.float64), requires_grad=True)
        out = fn(x)
        v = torchlet.ones(*out.shape, dtype=torchlet.float64, requires_grad=True)
        (gx,) = torchlet.autograd.grad(out, x, v, create_graph=True)
        names[name] = gx.grad_fn.name()
        (gv,) = torchlet.autograd.grad((gx * x).sum(), v)
        np.testing.assert_array_equal(gv.numpy(), fn(x).detach().numpy())
        assert gradgradcheck(fn, (x,))
    assert names == {"narrow": "SliceBackwardBackward0", "select": "SelectBackwardBackward0",
                     "diagonal": "DiagonalBackwardBackward0",
                     "diag": "DiagonalBackwardBackward0"}


def test_gradcheck_on_noncontiguous_and_chained_views():
    x = torchlet.tensor(np.random.default_rng(0).standard_normal((3, 4, 2)), requires_grad=True)

    def fn(x):
        y = x.transpose(0, 2).reshape(2, 12).unflatten(1, (4, 3)).movedim(0, -1)
        return torchlet.cat([y.flip(1).narrow(0, 1, 2), y.roll(1, 0).select(0, 0).unsqueeze(0)])

    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


# ---------------------------------------------------------------------------------------
# hypothesis: random shapes and strides


@st.composite
def strided_tensors(draw):
    """A float32 array (made non-contiguous by a random permutation and slicing)."""
    ndim = draw(st.integers(0, 4))
    shape = draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim))
    base = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    perm = draw(st.permutations(range(ndim)))
    return base, tuple(perm), draw(st.booleans())


def _make(lib, base, perm, step):
    x = lib.tensor(base).permute(perm)
    if step and x.ndim and x.shape[0] > 2:
        x = x.narrow(0, 0, x.shape[0] - 1)
    return x


def _factorizations(n):
    shapes = [(n,), (1, n, 1), (-1,)]
    for d in range(2, n + 1):
        if n % d == 0:
            shapes += [(d, n // d), (n // d, -1, d) if n // d else (0, d), (d, 1, n // d)]
    return shapes


@needs_torch
@settings(max_examples=60, deadline=None)
@given(strided_tensors(), st.data())
def test_view_and_reshape_follow_torch(case, data):
    base, perm, step = case
    xt, xl = _make(torch, base, perm, step), _make(torchlet, base, perm, step)
    shape = data.draw(st.sampled_from(_factorizations(xt.numel())))
    want, got = raised(lambda t: xt.view(shape), None), raised(lambda t: xl.view(shape), None)
    assert (want is None) == (got is None), f"view{shape} of {xt.shape} {xt.stride()}"
    if want is None:
        v = xl.view(shape)
        assert v.stride() == xt.view(shape).stride() or v.numel() <= 1
        assert np.shares_memory(v.numpy(), xl.numpy()) or v.numel() == 0
    rt, rl = xt.reshape(shape), xl.reshape(shape)
    np.testing.assert_array_equal(rl.numpy(), rt.numpy())
    assert (rl._base is not None) == (rt._base is not None)


@needs_torch
@settings(max_examples=60, deadline=None)
@given(strided_tensors(), st.data())
def test_permute_and_expand_follow_torch(case, data):
    base, perm, step = case
    xt, xl = _make(torch, base, perm, step), _make(torchlet, base, perm, step)
    order = tuple(data.draw(st.permutations(range(xt.ndim))))
    pt, pl = xt.permute(order), xl.permute(order)
    np.testing.assert_array_equal(pl.numpy(), pt.numpy())
    assert pl.stride() == pt.stride() or pl.numel() <= 1
    # squeeze / unsqueeze keep the other dims' strides; the new dim gets torch's stride
    dim = data.draw(st.integers(-xt.ndim - 1, xt.ndim))
    ut, ul = xt.unsqueeze(dim), xl.unsqueeze(dim)
    assert ul.stride() == ut.stride() or ul.numel() == 0
    for st_, sl in [(ut.squeeze(), ul.squeeze()), (ut.squeeze(dim), ul.squeeze(dim))]:
        assert sl.shape == st_.shape
        assert sl.stride() == st_.stride() or sl.numel() == 0
    # expand: size-1 dims grow, others keep their size (or -1), new leading dims
    target = [data.draw(st.integers(0, 3)) if s == 1 else data.draw(st.sampled_from([s, -1]))
              for s in xt.shape]
    target = data.draw(st.lists(st.integers(1, 3), max_size=2)) + target
    et, el = xt.expand(tuple(target)), xl.expand(tuple(target))
    np.testing.assert_array_equal(el.numpy(), et.numpy())
    assert el.stride() == et.stride() or el.numel() <= 1


@settings(max_examples=60, deadline=None)
@given(strided_tensors())
def test_reshape_is_c_order_and_views_share_memory(case):
    """Without torch: reshape keeps C order, and a view is a view of the base's memory."""
    base, perm, step = case
    x = _make(torchlet, base, perm, step)
    flat = x.numpy().ravel(order="C")
    r = x.reshape(-1)
    np.testing.assert_array_equal(r.numpy(), flat)
    if r._base is not None:
        assert np.shares_memory(r.numpy(), x.numpy()) or r.numel() == 0
    p = x.permute(tuple(reversed(range(x.ndim))))
    np.testing.assert_array_equal(p.numpy(), x.numpy().transpose())
    assert p._base is not None

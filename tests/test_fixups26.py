"""Fixes from the session-26 layer sweep (fixups26): norm-layer errors and their order,
empty-input gradients of group_norm, instance_norm's running statistics on an empty
batch, unflatten on a 0-d tensor, and the strides of views of empty tensors."""

import math

import numpy as np
import pytest

import torchlet
import torchlet.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


def _outcome(fn, *args, **kwargs):
    """("ok", fn(*args)) or (exception type name, its message without torch's C++
    traceback lines)."""
    try:
        return "ok", fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the outcome is the point
        message = str(e).split("\nException raised from")[0]
        return type(e).__name__, message.strip()


# ---------------------------------------------------------------------------------------
# 1. rms_norm: an input with fewer dims than normalized_shape is a ValueError


@pytest.mark.parametrize("shape, normalized", [((), [4]), ((3,), [3, 3]), ((2, 3), [1, 2, 3])])
def test_rms_norm_too_few_dims_is_value_error(shape, normalized):
    with pytest.raises(ValueError, match=(
            f"^Input tensor must have at least {len(normalized)} dimensions, but got "
            f"{len(shape)}$")):
        F.rms_norm(torchlet.zeros(shape), normalized)


def test_rms_norm_check_order_matches_torch():
    torch = _torch()
    cases = [
        lambda t: t.rms_norm(t.zeros(()), [4]),
        lambda t: t.rms_norm(t.zeros(3), [3, 3], weight=t.ones(2)),  # weight shape first
        lambda t: t.rms_norm(t.zeros(3, dtype=t.int64), [3, 3]),  # ndim before dtype
        lambda t: t.rms_norm(t.zeros(3, dtype=t.int64), [3]),
        lambda t: t.rms_norm(t.zeros(3), []),
        lambda t: t.rms_norm(t.zeros(2, 3), [2]),  # enough dims, wrong ones
    ]
    for case in cases:
        assert _outcome(case, torchlet) == _outcome(case, torch)
    assert "[*2]" in _outcome(lambda: cases[-1](torchlet))[1]  # rms_norm's "[*2]" wording


# ---------------------------------------------------------------------------------------
# 2. group_norm with no positions: weight gradient nan (0 * rstd, rstd = nan), mean 0


@pytest.mark.parametrize("shape", [(3, 2, 0), (3, 2, 0, 5), (2, 2, 1, 0), (0, 2, 4), (0, 2, 0)])
@pytest.mark.parametrize("groups", [1, 2])
def test_group_norm_empty_gradients(shape, groups):
    x = torchlet.zeros(shape, requires_grad=True)
    w = torchlet.ones(2, requires_grad=True)
    b = torchlet.zeros(2, requires_grad=True)
    F.group_norm(x, groups, w, b).sum().backward()
    positions = math.prod(shape[2:])
    expected_w = [math.nan] * 2 if shape[0] and not positions else [0.0, 0.0]
    np.testing.assert_array_equal(w.grad.numpy(), np.array(expected_w, np.float32))
    np.testing.assert_array_equal(b.grad.numpy(), np.zeros(2, np.float32))
    assert x.grad.shape == shape


def test_group_norm_empty_statistics_and_double_backward():
    out, mean, rstd = torchlet.native_group_norm(torchlet.zeros(3, 2, 0), None, None,
                                                 3, 2, 0, 1, 1e-5)
    np.testing.assert_array_equal(mean.numpy(), np.zeros((3, 1), np.float32))
    assert np.isnan(rstd.numpy()).all()
    ln_mean = torchlet.native_layer_norm(torchlet.zeros(3, 0), [0], None, None, 1e-5)[1]
    np.testing.assert_array_equal(ln_mean.numpy(), np.zeros((3, 1), np.float32))
    # create_graph: torch's composite backward divides by D * HxW = 0 (C++: inf)
    x = torchlet.zeros(3, 2, 0, dtype=torchlet.float64, requires_grad=True)
    w = torchlet.ones(2, dtype=torchlet.float64, requires_grad=True)
    gx, gw = torchlet.autograd.grad(F.group_norm(x, 1, w).sum(), [x, w], create_graph=True)
    assert np.isnan(gw.detach().numpy()).all()
    (gw.sum() + gx.sum()).backward()
    assert np.isnan(w.grad.numpy()).all()
    # layer_norm's double backward over an empty normalized extent (3. / N, C++: inf)
    x = torchlet.zeros(3, 0, dtype=torchlet.float64, requires_grad=True)
    w = torchlet.ones(0, dtype=torchlet.float64, requires_grad=True)
    y = F.layer_norm(x, [0], w, torchlet.zeros(0, dtype=torchlet.float64))
    gs = torchlet.autograd.grad((y * y).sum(), [x, w], create_graph=True)
    sum(g.sum() for g in gs).backward()
    assert x.grad.shape == (3, 0)


def test_empty_norm_gradients_match_torch():
    torch = _torch()

    def run(t, fn, shape, pshape):
        x = t.zeros(shape, dtype=t.float64, requires_grad=True)
        w = t.ones(pshape, dtype=t.float64, requires_grad=True)
        b = t.zeros(pshape, dtype=t.float64, requires_grad=True)
        y = fn(t, x, w, b)
        y.sum().backward()
        return [np.asarray(v.detach().numpy()) for v in (y, x.grad, w.grad, b.grad)]

    cases = [
        (lambda t, x, w, b: t.nn.functional.group_norm(x, 1, w, b), (3, 2, 0), (2,)),
        (lambda t, x, w, b: t.nn.functional.group_norm(x, 2, w, b), (0, 2, 3), (2,)),
        (lambda t, x, w, b: t.nn.functional.layer_norm(x, [0], w, b), (3, 0), (0,)),
        (lambda t, x, w, b: t.nn.functional.layer_norm(x, [4], w, b), (0, 4), (4,)),
        (lambda t, x, w, b: t.nn.functional.batch_norm(x, None, None, w, b, True),
         (3, 2, 0), (2,)),
        (lambda t, x, w, b: t.nn.functional.instance_norm(x, None, None, w, b),
         (3, 2, 0), (2,)),
    ]
    for fn, shape, pshape in cases:
        for mine, theirs in zip(run(torchlet, fn, shape, pshape),
                                run(torch, fn, shape, pshape)):
            np.testing.assert_array_equal(mine, theirs)


# ---------------------------------------------------------------------------------------
# 3. instance_norm's running statistics on an empty batch: torch's view / copy_ errors


def test_instance_norm_empty_batch_channel_mismatch():
    m = torchlet.nn.InstanceNorm2d(3, track_running_stats=True)
    with pytest.raises(RuntimeError, match=(
            r"^The size of tensor a \(3\) must match the size of tensor b \(4\) at "
            r"non-singleton dimension 0$")):
        m(torchlet.zeros(0, 4, 5, 7))
    with pytest.raises(RuntimeError, match=r"^running_mean should contain 8 elements not 6$"):
        m(torchlet.zeros(2, 4, 5, 7))  # non-empty: batch_norm's own check
    m1 = torchlet.nn.InstanceNorm1d(3, track_running_stats=True)
    with pytest.raises(RuntimeError, match=r"^shape '\[1, 4\]' is invalid for input of size 3$"):
        m1(torchlet.zeros(4, 0))  # unbatched: an empty (1, 4, 0)
    # a matching empty batch: the running statistics become the mean of nothing, nan
    m4 = torchlet.nn.InstanceNorm2d(4, track_running_stats=True)
    assert m4(torchlet.zeros(0, 4, 5, 7)).shape == (0, 4, 5, 7)
    assert np.isnan(m4.running_mean.numpy()).all() and np.isnan(m4.running_var.numpy()).all()


def test_instance_norm_empty_running_stats_match_torch():
    torch = _torch()

    def run(t, shape, rshape, **kw):
        rm, rv = t.zeros(rshape), t.ones(rshape)
        y = t.nn.functional.instance_norm(t.zeros(shape), rm, rv, **kw)
        return tuple(y.shape), rm.tolist(), rv.tolist()

    for shape, rshape, kw in [((0, 4, 5), (3,), {}), ((0, 1, 5), (3,), {}),
                              ((0, 3, 5), (1,), {}), ((0, 1, 5), (), {}),
                              ((2, 4, 0), (1,), {}), ((2, 4, 0), (4,), {}),
                              ((0, 4, 5), (3,), {"use_input_stats": False})]:
        mine = _outcome(run, torchlet, shape, rshape, **kw)
        theirs = _outcome(run, torch, shape, rshape, **kw)
        assert str(mine) == str(theirs), (shape, rshape, kw)


# ---------------------------------------------------------------------------------------
# 4. layer_norm / group_norm: the mixed-dtype check comes first, as torch's


def test_layer_norm_mixed_dtype_before_shape_checks():
    message = "mixed dtype (CPU): all inputs must share same datatype."
    x64 = torchlet.zeros(3, 4, dtype=torchlet.float64)
    for fn in [lambda: torchlet.nn.LayerNorm(5)(x64),
               lambda: F.layer_norm(x64, [5], torchlet.ones(4)),  # weight shape wrong too
               lambda: F.layer_norm(x64, [], torchlet.ones(4)),  # normalized_shape empty
               lambda: F.layer_norm(torchlet.zeros(3, 4, dtype=torchlet.int64), [5],
                                    torchlet.ones(5)),
               lambda: F.group_norm(torchlet.zeros(3, 4, dtype=torchlet.int64), 2,
                                    torchlet.ones(4))]:
        assert _outcome(fn) == ("RuntimeError", message)
    assert _outcome(lambda: F.layer_norm(
        torchlet.zeros(3, 4, dtype=torchlet.float16), [5], torchlet.ones(5, dtype=torchlet.float64))
    ) == ("RuntimeError", "mixed dtype (CPU): expect parameter to have scalar type of Float")
    # not mixed (the first parameter's dtype is the input's): the shape speaks first
    assert _outcome(lambda: F.layer_norm(
        torchlet.zeros(3, 4), [5], torchlet.ones(5), torchlet.ones(5, dtype=torchlet.float64))
    )[1].startswith("Given normalized_shape=[5]")
    # a float16 input with float32 parameters is allowed: the shape speaks
    assert _outcome(lambda: F.layer_norm(
        torchlet.zeros(3, 4, dtype=torchlet.float16), [5], torchlet.ones(5)))[1].startswith(
        "Given normalized_shape=[5]")


def test_norm_dtype_check_order_matches_torch():
    torch = _torch()
    cases = [
        lambda t: t.nn.LayerNorm(5)(t.zeros(3, 4, dtype=t.float64)),
        lambda t: t.nn.functional.layer_norm(t.zeros(3, 4, dtype=t.float64), [5], None,
                                             t.ones(5)),
        lambda t: t.nn.functional.layer_norm(t.zeros(3, 5, dtype=t.int64), [5], t.ones(5)),
        lambda t: t.nn.functional.layer_norm(t.zeros(3, 4, dtype=t.int64), [5]),
        lambda t: t.nn.functional.layer_norm(t.zeros(3, 5, dtype=t.int64), [5]),
        lambda t: t.nn.functional.layer_norm(t.zeros(3, 4), [5], t.ones(5, dtype=t.int64)),
        lambda t: t.nn.functional.layer_norm(t.zeros(0, 4, dtype=t.float64), [5], t.ones(5)),
        lambda t: t.native_layer_norm(t.zeros(3, 4, dtype=t.float64), [5], t.ones(5), None,
                                      1e-5),
        lambda t: t.nn.functional.group_norm(t.zeros(3, 4, dtype=t.float64), 2, t.ones(5)),
        lambda t: t.nn.functional.group_norm(t.zeros(3, 4, dtype=t.int64), 3, t.ones(4)),
        lambda t: t.nn.functional.group_norm(t.zeros(3, 4), 2, t.ones(4),
                                             t.ones(4, dtype=t.float64)),
        lambda t: t.nn.functional.batch_norm(t.zeros(3, 4, dtype=t.int64), t.zeros(4),
                                             t.ones(4), None, None, False),
    ]
    for case in cases:
        assert _outcome(case, torchlet) == _outcome(case, torch)


# ---------------------------------------------------------------------------------------
# 5. unflatten on a 0-d tensor: torch wraps dim first (IndexError), then checks sizes


def test_unflatten_zero_dim():
    x = torchlet.randn(())
    with pytest.raises(IndexError, match=(
            r"^Dimension out of range \(expected to be in range of \[-1, 0\], but got -3\)$")):
        x.unflatten(-3, (1, 2))
    with pytest.raises(IndexError, match=r"got 1\)$"):
        torchlet.unflatten(x, 1, (1,))
    with pytest.raises(RuntimeError, match="^unflatten: sizes must be non-empty$"):
        torchlet.unflatten(x, 0, ())
    for dim in (0, -1):  # named by the wrapped dim
        with pytest.raises(RuntimeError, match=(
                "^unflatten got an unexpected error:\n"
                "Dimension specified as 0 but tensor has no dimensions$")):
            x.unflatten(dim, (1,))


def test_unflatten_sampled_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(26)
    sizes_pool = [(), (1,), (2,), (-1,), (1, 3), (3, 1), (-1, 3), (2, 2), (-1, -1), (0, -1),
                  (1, 1, 3)]

    def unflatten(t, shape, dim, sizes):
        out = t.unflatten(t.zeros(shape), dim, sizes)
        return tuple(out.shape), out.stride()

    for _ in range(80):
        shape = [(), (3,), (0,), (1,), (2, 3)][rng.integers(5)]
        dim = int(rng.integers(-4, 4))
        sizes = sizes_pool[rng.integers(len(sizes_pool))]
        assert _outcome(unflatten, torchlet, shape, dim, sizes) == _outcome(
            unflatten, torch, shape, dim, sizes), (shape, dim, sizes)


# ---------------------------------------------------------------------------------------
# 6. views of empty tensors start from torch's strides, not NumPy's


def test_empty_keepdim_squeeze_strides():
    y = torchlet.zeros(0, 3, 1).mean(1, keepdim=True)
    assert y.stride() == (1, 1, 1)
    assert y.squeeze().stride() == (1,)
    z = torchlet.zeros(2, 0, 4).sum(-1)  # a fresh empty NumPy result (zero strides)
    assert z.stride() == (1, 1)
    assert z.squeeze().stride() == (1, 1)  # nothing squeezed: the strides stay
    assert z.unsqueeze(0).stride() == (2, 1, 1)  # size * stride of dim 0, torch's rule
    assert z.view(2, 0).stride() == (1, 1)  # same shape: same strides
    assert z.view(0, 2).stride() == (2, 1)  # else contiguous
    c = torchlet.zeros(0, 0, 1) + 1  # torch's TensorIterator strides (0, 1, 0)
    assert c.stride() == (0, 1, 0) and c.squeeze().stride() == (0, 1)
    p = torchlet.zeros(1, 0, 2).permute(1, 2, 0)
    assert p.stride() == (2, 1, 2) and p.view_as(p).stride() == (2, 1, 2)
    u = torchlet.zeros(0, 0, 0) + 1
    assert u.squeeze_().stride() == (1, 1, 1)


def test_empty_view_strides_sampled_match_torch():
    torch = _torch()
    rng = np.random.default_rng(6)
    makers = [lambda t, s: t.zeros((s[0], s[1], 2, s[2])).mean(2, keepdim=True).squeeze(2),
              lambda t, s: t.zeros((s[0], s[1], s[2], 3)).sum(-1),
              lambda t, s: t.zeros(s) + 1,
              lambda t, s: t.zeros((s[2], s[0], s[1])).permute(1, 2, 0)]
    ops = [lambda x: x.squeeze(), lambda x: x.squeeze(0), lambda x: x.squeeze((0, 1)),
           lambda x: x.unsqueeze(1), lambda x: x.unsqueeze(-1), lambda x: x.view_as(x),
           lambda x: x.reshape(x.shape[::-1]), lambda x: x.flatten(),
           lambda x: x.clone().squeeze_(), lambda x: x.clone().unsqueeze_(0)]
    for _ in range(150):
        shape = tuple(int(v) for v in rng.integers(0, 3, 3))
        if 0 not in shape:
            shape = shape[:2] + (0,)
        make = makers[rng.integers(len(makers))]
        op = ops[rng.integers(len(ops))]
        mine, theirs = op(make(torchlet, shape)), op(make(torch, shape))
        assert (tuple(mine.shape), mine.stride()) == (tuple(theirs.shape), theirs.stride())

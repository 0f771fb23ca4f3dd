"""Normalization layers against torch 2.13: F.batch_norm / instance_norm / layer_norm /
group_norm / rms_norm / local_response_norm and the modules BatchNorm1d/2d/3d,
InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm.

Live comparisons run the same code on both libraries (skipped without torch); the checks
that need no torch (normalized moments, the running-statistics formula, float64
gradcheck and gradgradcheck) always run. What is bit for bit: batch_norm's batch mean,
invstd and running statistics for inputs of 3+ dimensions (torch's double-accumulated
kernel); everything else within float rounding (torch finishes with fused
multiply-adds).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import torchlet
import torchlet.nn as nn
import torchlet.nn.functional as F
from torchlet.autograd import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
RTOL, ATOL = 1e-5, 2e-6


def _rng(seed=0):
    return np.random.default_rng(seed)


def _arr(rng, *shape, dtype=np.float32, scale=2.0, shift=0.5):
    return (rng.standard_normal(shape) * scale + shift).astype(dtype)


def _close(a, b, rtol=RTOL, atol=ATOL):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _exact(a, b):
    a, b = a.detach().numpy(), b.detach().numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b), np.abs(a - b).max()


def _run(lib, fn, arrays, grad_output_seed=1):
    """fn(lib, *tensors) -> out; returns (out, [grads of the float inputs], grad_fn name)."""
    tensors = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(lib, *tensors)
    wanted = [t for t in tensors if t.requires_grad]
    g = _rng(grad_output_seed).standard_normal(tuple(out.shape)).astype(
        out.detach().numpy().dtype)
    grads = lib.autograd.grad(out, wanted, lib.tensor(g), allow_unused=True)
    return out, grads, out.grad_fn.name()


def _compare(fn, arrays, rtol=RTOL, atol=ATOL, grad_atol=1e-5):
    ours = _run(torchlet, fn, arrays)
    theirs = _run(torch, fn, arrays)
    _close(ours[0], theirs[0], rtol, atol)
    for a, b in zip(ours[1], theirs[1]):
        if a is None or b is None:  # an unused input
            assert a is None and b is None
            continue
        _close(a, b, 1e-4, grad_atol)
    assert ours[2] == theirs[2]
    return ours, theirs


# ---------------------------------------------------------------------------------------
# F.batch_norm


BN_SHAPES = [(8, 3), (4, 3, 5), (3, 2, 4, 5), (2, 3, 2, 3, 2)]


@needs_torch
@pytest.mark.parametrize("shape", BN_SHAPES, ids=str)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_batch_norm_values_grads_and_stats(shape, training, affine, dtype):
    rng = _rng(len(shape))
    c = shape[1]
    x = _arr(rng, *shape, dtype=dtype)
    w = _arr(rng, c, dtype=dtype)
    b = _arr(rng, c, dtype=dtype)
    rm0, rv0 = _arr(rng, c, dtype=dtype), rng.uniform(0.5, 2, c).astype(dtype)
    stats = {}

    def fn(lib, x, w, b):
        rm, rv = lib.tensor(rm0), lib.tensor(rv0)
        stats[lib.__name__] = (rm, rv)
        weight = None if affine == "none" else w
        bias = b if affine == "both" else None
        return F_of(lib).batch_norm(x, rm, rv, weight, bias, training, 0.2, 1e-4)

    _compare(fn, [x, w, b])
    for ours, theirs in zip(stats["torchlet"], stats["torch"]):
        if len(shape) > 2 and dtype == np.float32:
            _exact(ours, theirs)  # torch's contiguous kernel: double sums, same rounding
        else:  # 2-D input: torch sums float32 rows (and splits them among threads)
            _close(ours, theirs, rtol=1e-6, atol=0)


def F_of(lib):  # noqa: N802 - reads like ``F``
    return lib.nn.functional


@needs_torch
@pytest.mark.parametrize("shape", [(4, 3, 5), (3, 2, 4, 5), (5, 4, 7)], ids=str)
def test_native_batch_norm_statistics_bit_exact(shape):
    rng = _rng(7)
    for trial in range(5):
        x = _arr(rng, *shape, scale=3.0 + trial)
        outs = []
        for lib in (torchlet, torch):
            rm, rv = lib.zeros(shape[1]), lib.ones(shape[1])
            out, mean, invstd = lib.native_batch_norm(lib.tensor(x), None, None, rm, rv,
                                                      True, 0.1, 1e-5)
            outs.append((mean, invstd, rm, rv))
        for a, b in zip(*outs):
            _exact(a, b)


@needs_torch
def test_batch_norm_running_stats_over_several_steps():
    results = {}
    for lib in (torchlet, torch):
        rm, rv = lib.zeros(4), lib.ones(4)
        for step in range(6):
            x = lib.tensor(_arr(_rng(100 + step), 16, 4, 3, scale=1 + step))
            F_of(lib).batch_norm(x, rm, rv, training=True, momentum=0.1)
        results[lib.__name__] = (rm, rv)
    for a, b in zip(results["torchlet"], results["torch"]):
        _exact(a, b)


def test_batch_norm_running_stats_formula():
    """running = (1 - m) * running + m * batch, with the unbiased variance (no torch)."""
    x = _arr(_rng(1), 6, 3, 4).astype(np.float64)
    rm, rv = torchlet.zeros(3, dtype=torchlet.float64), torchlet.ones(3, dtype=torchlet.float64)
    version = rm._version
    out = F.batch_norm(torchlet.tensor(x), rm, rv, training=True, momentum=0.25)
    mean = x.mean(axis=(0, 2))
    var_unbiased = x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(rm.numpy(), 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * var_unbiased, rtol=1e-12)
    assert rm._version == version + 1  # an in-place write, as torch counts it
    normalized = (x - mean[None, :, None]) / np.sqrt(x.var(axis=(0, 2))[None, :, None] + 1e-5)
    np.testing.assert_allclose(out.numpy(), normalized, rtol=1e-10, atol=1e-12)


def test_batch_norm_eval_uses_running_stats():
    x = _arr(_rng(2), 5, 3)
    rm = torchlet.tensor([0.5, -1.0, 2.0])
    rv = torchlet.tensor([4.0, 1.0, 0.25])
    out = F.batch_norm(torchlet.tensor(x), rm, rv, training=False, eps=0.0)
    expected = (x - rm.numpy()) / np.sqrt(rv.numpy())
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(rm.numpy(), [0.5, -1.0, 2.0])  # untouched in eval


@needs_torch
def test_batch_norm_double_backward_matches_torch():
    rng = _rng(11)
    x0, w0, b0 = _arr(rng, 4, 3, 5, dtype=np.float64), _arr(rng, 3, dtype=np.float64), \
        _arr(rng, 3, dtype=np.float64)
    g0 = _arr(rng, 4, 3, 5, dtype=np.float64)
    results = []
    for lib in (torchlet, torch):
        x, w, b = (lib.tensor(a, requires_grad=True) for a in (x0, w0, b0))
        out = F_of(lib).batch_norm(x, None, None, w, b, training=True)
        gx, gw = lib.autograd.grad(out, (x, w), lib.tensor(g0), create_graph=True)
        total = (gx * gx).sum() + (gw * gw).sum()
        results.append(lib.autograd.grad(total, (x, w, b), allow_unused=True))
    for a, b in zip(*results):
        if a is None or b is None:
            assert a is None and b is None or float(np.abs((a if a is not None else b)
                                                           .numpy()).max()) == 0
            continue
        _close(a, b, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    rng = _rng(5)
    x, w, b = (torchlet.tensor(_arr(rng, *s, dtype=np.float64), requires_grad=True)
               for s in ((4, 3, 2), (3,), (3,)))
    rm = torchlet.tensor(_arr(rng, 3, dtype=np.float64))
    rv = torchlet.tensor(rng.uniform(0.5, 2, 3))

    def fn(x, w, b):
        # copies: the running statistics must not drift between gradcheck's evaluations
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training, 0.1, 1e-3)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


# ---------------------------------------------------------------------------------------
# F.instance_norm, layer_norm, group_norm, rms_norm, local_response_norm


@needs_torch
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm_with_running_stats(use_input_stats):
    rng = _rng(4)
    x = _arr(rng, 3, 2, 5)
    rm0, rv0 = _arr(rng, 2), rng.uniform(0.5, 2, 2).astype(np.float32)
    stats = {}

    def fn(lib, x, w, b):
        rm, rv = lib.tensor(rm0), lib.tensor(rv0)
        stats[lib.__name__] = (rm, rv)
        return F_of(lib).instance_norm(x, rm, rv, w, b, use_input_stats, 0.3)

    _compare(fn, [x, _arr(rng, 2), _arr(rng, 2)])
    for a, b in zip(stats["torchlet"], stats["torch"]):
        _close(a, b, rtol=1e-6, atol=0)


@needs_torch
@pytest.mark.parametrize("normalized", [(5,), (3, 5), (4, 3, 5)], ids=str)
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(normalized, affine):
    rng = _rng(len(normalized))
    x = _arr(rng, 4, 3, 5)

    def fn(lib, x, w, b):
        return F_of(lib).layer_norm(x, normalized, None if affine == "none" else w,
                                    b if affine == "both" else None, 1e-4)

    _compare(fn, [x, _arr(rng, *normalized), _arr(rng, *normalized)])


@needs_torch
def test_native_layer_norm_and_group_norm_statistics():
    x = _arr(_rng(9), 4, 6, 5)
    ours = torchlet.native_layer_norm(torchlet.tensor(x), [6, 5], None, None, 1e-5)
    theirs = torch.native_layer_norm(torch.tensor(x), [6, 5], None, None, 1e-5)
    for a, b in zip(ours, theirs):
        _close(a, b, rtol=1e-5, atol=1e-6)
    ours = torchlet.native_group_norm(torchlet.tensor(x), None, None, 4, 6, 5, 3, 1e-5)
    theirs = torch.native_group_norm(torch.tensor(x), None, None, 4, 6, 5, 3, 1e-5)
    for a, b in zip(ours, theirs):
        _close(a, b, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("shape,groups", [((3, 4, 5), 2), ((2, 6, 3, 4), 3), ((2, 6), 6),
                                          ((2, 4, 2, 2, 3), 1)], ids=str)
def test_group_norm(shape, groups):
    rng = _rng(groups)
    c = shape[1]

    def fn(lib, x, w, b):
        return F_of(lib).group_norm(x, groups, w, b, 1e-3)

    _compare(fn, [_arr(rng, *shape), _arr(rng, c), _arr(rng, c)], grad_atol=3e-5)


@needs_torch
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm(eps):
    rng = _rng(2)

    def fn(lib, x, w):
        return F_of(lib).rms_norm(x, (3, 5), w, eps)

    _compare(fn, [_arr(rng, 4, 3, 5), _arr(rng, 3, 5)])


@needs_torch
@pytest.mark.parametrize("shape", [(2, 7, 5), (2, 5, 3, 4), (2, 4, 2, 3, 2)], ids=str)
@pytest.mark.parametrize("size", [1, 2, 5])
def test_local_response_norm(shape, size):
    def fn(lib, x):
        return F_of(lib).local_response_norm(x, size, alpha=0.05, beta=0.6, k=1.5)

    _compare(fn, [_arr(_rng(size), *shape)])


def test_normalizations_normalize():
    """Whatever torch says, the results must have zero mean and unit variance."""
    x = torchlet.tensor(_arr(_rng(8), 4, 6, 10, dtype=np.float64))
    out = F.layer_norm(x, (10,), eps=0.0).numpy()
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(-1), 1, rtol=1e-10)
    out = F.group_norm(x, 3, eps=0.0).numpy().reshape(4, 3, 20)
    np.testing.assert_allclose(out.var(-1), 1, rtol=1e-10)
    out = F.instance_norm(x, eps=0.0).numpy()
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-12)
    out = F.rms_norm(x, (10,), eps=0.0).numpy()
    np.testing.assert_allclose((out ** 2).mean(-1), 1, rtol=1e-10)


@pytest.mark.parametrize("name", ["layer", "group", "instance", "rms", "lrn"])
def test_gradcheck_and_gradgradcheck(name):
    rng = _rng(6)
    x = torchlet.tensor(_arr(rng, 2, 4, 3, dtype=np.float64), requires_grad=True)
    w = torchlet.tensor(_arr(rng, 4, dtype=np.float64), requires_grad=True)
    b = torchlet.tensor(_arr(rng, 4, dtype=np.float64), requires_grad=True)
    fns = {
        "layer": lambda x, w, b: F.layer_norm(x.transpose(1, 2), (4,), w, b),
        "group": lambda x, w, b: F.group_norm(x, 2, w, b),
        "instance": lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
        "rms": lambda x, w, b: F.rms_norm(x.transpose(1, 2), (4,), w) + b,
        "lrn": lambda x, w, b: F.local_response_norm(x * w[:, None] + b[:, None], 3, 0.5),
    }
    assert gradcheck(fns[name], (x, w, b))
    assert gradgradcheck(fns[name], (x, w, b))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(0, 2**16))
def test_batch_norm_and_layer_norm_any_shape(shape, seed):
    if np.prod([shape[0]] + shape[2:]) == 1:
        shape = [2] + shape[1:]
    x = _arr(_rng(seed), *shape, dtype=np.float64)
    # torch.batch_norm (no Python-level eps check): eps = 0 gives the exact moments
    out = torchlet.batch_norm(torchlet.tensor(x), None, None, None, None, True, 0.1, 0.0,
                              False).numpy()
    axes = (0,) + tuple(range(2, len(shape)))
    centred = x - x.mean(axis=axes, keepdims=True)
    std = np.sqrt((centred ** 2).mean(axis=axes, keepdims=True))
    expected = np.where(std > 0, centred / np.where(std > 0, std, 1), 0)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-9)
    if torch is not None:
        k = int(seed % (len(shape))) + 1
        a = F.layer_norm(torchlet.tensor(x), shape[-k:]).numpy()
        b = torch.nn.functional.layer_norm(torch.tensor(x), shape[-k:]).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------------------
# errors


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception is the result
        return type(e), str(e)
    return None


ERRORS = {
    "bn_one_value": lambda lib: lib.nn.BatchNorm1d(4)(lib.ones(1, 4)),
    "bn1d_4d": lambda lib: lib.nn.BatchNorm1d(4)(lib.ones(2, 4, 1, 1)),
    "bn2d_3d": lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 3, 4)),
    "bn3d_4d": lambda lib: lib.nn.BatchNorm3d(3)(lib.ones(2, 3, 4, 4)),
    "bn_channels": lambda lib: lib.nn.BatchNorm2d(3)(lib.ones(2, 4, 2, 2)),
    "bn_eps_train": lambda lib: F_of(lib).batch_norm(lib.ones(2, 3), None, None,
                                                     training=True, eps=0.0),
    "bn_long": lambda lib: F_of(lib).batch_norm(lib.ones(2, 3, dtype=lib.int64),
                                                lib.zeros(3), lib.ones(3)),
    "bn_mixed_stats": lambda lib: F_of(lib).batch_norm(lib.ones(2, 3), lib.zeros(3),
                                                       lib.ones(3, dtype=lib.float64)),
    "bn_momentum_none": lambda lib: F_of(lib).batch_norm(lib.ones(2, 3), None, None,
                                                         training=True, momentum=None),
    "bn_1d_input": lambda lib: F_of(lib).batch_norm(lib.ones(3), None, None, training=True),
    "bn_one_stat": lambda lib: F_of(lib).batch_norm(lib.ones(2, 3), lib.zeros(3), None,
                                                    training=True),
    "ln_shape": lambda lib: F_of(lib).layer_norm(lib.ones(4, 3, 5), (2, 4, 3, 5)),
    "ln_empty": lambda lib: F_of(lib).layer_norm(lib.ones(4, 3), []),
    "ln_bias": lambda lib: F_of(lib).layer_norm(lib.ones(4, 5), (5,), lib.ones(5), lib.ones(4)),
    "ln_float_shape": lambda lib: F_of(lib).layer_norm(lib.ones(4, 5), (5.0,)),
    "ln_long": lambda lib: F_of(lib).layer_norm(lib.ones(4, 5, dtype=lib.int64), (5,)),
    "ln_mixed": lambda lib: F_of(lib).layer_norm(lib.ones(4, 5), (5,),
                                                 lib.ones(5, dtype=lib.float64)),
    "gn_weight": lambda lib: F_of(lib).group_norm(lib.ones(4, 3, 5), 3, lib.ones(4)),
    "gn_1d": lambda lib: F_of(lib).group_norm(lib.ones(3), 1),
    "gn_batch": lambda lib: F_of(lib).group_norm(lib.ones(1, 3), 3),
    "gn_long": lambda lib: F_of(lib).group_norm(lib.ones(2, 4, 3, dtype=lib.int64), 2),
    "gn_module": lambda lib: lib.nn.GroupNorm(2, 3),
    "in_no_stats": lambda lib: F_of(lib).instance_norm(lib.ones(2, 3, 4),
                                                       use_input_stats=False),
    "in_stats_size": lambda lib: F_of(lib).instance_norm(lib.ones(4, 3, 5), lib.zeros(4),
                                                         lib.ones(4)),
    "in_affine_features": lambda lib: lib.nn.InstanceNorm1d(4, affine=True)(lib.ones(4, 3, 5)),
    "in1d_1d": lambda lib: lib.nn.InstanceNorm1d(3)(lib.ones(3)),
    "rms_weight": lambda lib: F_of(lib).rms_norm(lib.ones(4, 5), (5,), lib.ones(4)),
    "rms_long": lambda lib: F_of(lib).rms_norm(lib.ones(4, 5, dtype=lib.int64), (5,)),
    "rms_shape": lambda lib: F_of(lib).rms_norm(lib.ones(4, 5), (4,)),
}


@needs_torch
@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    ours, theirs = _error(lambda: ERRORS[name](torchlet)), _error(lambda: ERRORS[name](torch))
    assert theirs is not None and ours is not None, (ours, theirs)
    assert ours[0].__name__ == theirs[0].__name__, (ours, theirs)
    assert ours[1] == theirs[1], (ours[1], theirs[1])


def test_error_messages_without_torch():
    assert _error(lambda: ERRORS["bn_one_value"](torchlet)) == (
        ValueError, "Expected more than 1 value per channel when training, got input size "
                    "torch.Size([1, 4])")
    assert _error(lambda: ERRORS["bn1d_4d"](torchlet)) == (
        ValueError, "expected 2D or 3D input (got 4D input)")


# ---------------------------------------------------------------------------------------
# modules


REPRS = {
    "BatchNorm2d(6)": "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                      "track_running_stats=True)",
    "BatchNorm1d(6, momentum=None, affine=False)":
        "BatchNorm1d(6, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)",
    "BatchNorm3d(2, eps=1e-3, track_running_stats=False, bias=False)":
        "BatchNorm3d(2, eps=0.001, momentum=0.1, affine=True, bias=False, "
        "track_running_stats=False)",
    "InstanceNorm2d(3)": "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, "
                         "bias=False, track_running_stats=False)",
    "InstanceNorm1d(3, affine=True, track_running_stats=True)":
        "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)",
    "LayerNorm(10)": "LayerNorm((10,), eps=1e-05, elementwise_affine=True, bias=True)",
    "LayerNorm([2, 3], elementwise_affine=False)":
        "LayerNorm((2, 3), eps=1e-05, elementwise_affine=False, bias=False)",
    "LayerNorm(4, bias=False)": "LayerNorm((4,), eps=1e-05, elementwise_affine=True, "
                                "bias=False)",
    "GroupNorm(2, 4)": "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)",
    "GroupNorm(1, 3, affine=False)": "GroupNorm(1, 3, eps=1e-05, affine=False, bias=False)",
    "RMSNorm(4)": "RMSNorm((4,), eps=None, elementwise_affine=True)",
    "RMSNorm([2, 4], eps=1e-6)": "RMSNorm((2, 4), eps=1e-06, elementwise_affine=True)",
    "LocalResponseNorm(2)": "LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)",
    "LazyBatchNorm1d()": "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                         "track_running_stats=True)",
}


@pytest.mark.parametrize("expr", list(REPRS))
def test_reprs(expr):
    assert repr(eval(f"nn.{expr}")) == REPRS[expr]
    if torch is not None:
        assert repr(eval(f"torch.nn.{expr}")) == REPRS[expr]


def test_nested_repr():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LayerNorm(4))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (1): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n"
        "  (2): LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        ")"
    )


def test_batchnorm_state_dict_layout():
    sd = nn.BatchNorm2d(3).state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var",
                        "num_batches_tracked"]
    assert [str(v.dtype) for v in sd.values()] == ["torch.float32"] * 4 + ["torch.int64"]
    assert sd["num_batches_tracked"].shape == ()
    np.testing.assert_array_equal(sd["weight"].numpy(), 1)
    np.testing.assert_array_equal(sd["running_var"].numpy(), 1)
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == [
        "weight", "bias"]
    assert list(nn.InstanceNorm1d(3).state_dict()) == []
    assert list(nn.GroupNorm(1, 3).state_dict()) == ["weight", "bias"]
    assert list(nn.RMSNorm(3).state_dict()) == ["weight"]
    # .double() converts the float buffers but keeps the counter int64
    bn = nn.BatchNorm1d(2).double()
    assert bn.running_mean.dtype == torchlet.float64
    assert bn.num_batches_tracked.dtype == torchlet.int64


def _train_steps(lib, module_fn, shapes, steps=4, eval_after=True):
    lib.manual_seed(0)
    m = module_fn(lib)
    outs = []
    for step in range(steps):
        x = lib.tensor(_arr(_rng(step), *shapes, scale=1.0 + step), requires_grad=True)
        y = m(x)
        (y * y).sum().backward()
        outs.append((y, x.grad))
    if eval_after:
        m.eval()
        outs.append((m(lib.tensor(_arr(_rng(99), *shapes))), None))
    return m, outs


MODULES = {
    "bn1d": (lambda lib: lib.nn.BatchNorm1d(3), (8, 3)),
    "bn1d_3d": (lambda lib: lib.nn.BatchNorm1d(3, momentum=0.3), (4, 3, 5)),
    "bn2d": (lambda lib: lib.nn.BatchNorm2d(3), (4, 3, 2, 3)),
    "bn3d": (lambda lib: lib.nn.BatchNorm3d(2), (2, 2, 2, 3, 2)),
    "bn_momentum_none": (lambda lib: lib.nn.BatchNorm2d(3, momentum=None), (4, 3, 2, 3)),
    "bn_no_affine": (lambda lib: lib.nn.BatchNorm1d(3, affine=False), (4, 3, 5)),
    "bn_no_bias": (lambda lib: lib.nn.BatchNorm1d(3, bias=False), (4, 3, 5)),
    "bn_untracked": (lambda lib: lib.nn.BatchNorm2d(3, track_running_stats=False),
                     (4, 3, 2, 3)),
    "in1d": (lambda lib: lib.nn.InstanceNorm1d(3), (4, 3, 5)),
    "in1d_unbatched": (lambda lib: lib.nn.InstanceNorm1d(3, affine=True), (3, 5)),
    "in2d_tracked": (lambda lib: lib.nn.InstanceNorm2d(3, affine=True,
                                                       track_running_stats=True),
                     (2, 3, 3, 4)),
    "in3d": (lambda lib: lib.nn.InstanceNorm3d(2, momentum=None, track_running_stats=True),
             (2, 2, 2, 3, 2)),
    "ln": (lambda lib: lib.nn.LayerNorm([3, 5]), (4, 3, 5)),
    "ln_no_affine": (lambda lib: lib.nn.LayerNorm(5, elementwise_affine=False), (4, 3, 5)),
    "gn": (lambda lib: lib.nn.GroupNorm(3, 6), (2, 6, 4)),
    "rms": (lambda lib: lib.nn.RMSNorm(5), (4, 3, 5)),
    "lrn": (lambda lib: lib.nn.LocalResponseNorm(3), (2, 6, 4)),
    "lazy_bn": (lambda lib: lib.nn.LazyBatchNorm2d(), (4, 3, 2, 3)),
    "lazy_in": (lambda lib: lib.nn.LazyInstanceNorm1d(affine=True), (4, 3, 5)),
}


@needs_torch
@pytest.mark.parametrize("name", list(MODULES))
def test_module_training_then_eval(name):
    """Same outputs, input gradients, parameter gradients and buffers as torch, through
    several training steps and one eval step; same state_dict layout."""
    make, shape = MODULES[name]
    ours_m, ours = _train_steps(torchlet, make, shape)
    theirs_m, theirs = _train_steps(torch, make, shape)
    for (ya, ga), (yb, gb) in zip(ours, theirs):
        _close(ya, yb, atol=1e-5)
        if ga is not None:
            _close(ga, gb, rtol=1e-4, atol=1e-4)
    assert repr(ours_m) == repr(theirs_m)
    sd_a, sd_b = ours_m.state_dict(), theirs_m.state_dict()
    assert list(sd_a) == list(sd_b)
    for key in sd_b:
        assert str(sd_a[key].dtype) == str(sd_b[key].dtype), key
        _close(sd_a[key], sd_b[key], rtol=1e-5, atol=1e-6)
    for (na, pa), (nb, pb) in zip(ours_m.named_parameters(), theirs_m.named_parameters()):
        assert na == nb
        _close(pa.grad, pb.grad, rtol=1e-4, atol=1e-4)


def test_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [_arr(_rng(i), 5, 2, dtype=np.float64) for i in range(4)]
    for b in batches:
        bn(torchlet.tensor(b))
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], axis=0),
                               rtol=1e-12)
    assert int(bn.num_batches_tracked) == 4


def test_eval_without_running_stats_uses_batch_statistics():
    bn = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    x = _arr(_rng(3), 6, 2)
    out = bn(torchlet.tensor(x)).numpy()
    np.testing.assert_allclose(out.mean(0), 0, atol=1e-6)
    assert bn.running_mean is None and bn.num_batches_tracked is None


def test_train_eval_switch_and_stats_untouched_in_eval():
    bn = nn.BatchNorm1d(3)
    bn(torchlet.tensor(_arr(_rng(0), 4, 3)))
    before = bn.running_mean.numpy().copy()
    bn.eval()
    assert not bn.training
    y = bn(torchlet.tensor(_arr(_rng(1), 4, 3)))
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    assert int(bn.num_batches_tracked) == 1
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    bn.train()
    bn(torchlet.tensor(_arr(_rng(2), 4, 3)))
    assert int(bn.num_batches_tracked) == 2


def test_load_old_state_dict_without_num_batches_tracked():
    src = nn.BatchNorm1d(3)
    sd = src.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    dst = nn.BatchNorm1d(3)
    result = dst.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        sd2 = src.state_dict()
        del sd2["num_batches_tracked"]
        nn.BatchNorm1d(3).load_state_dict(sd2)  # version 2: the key is required


def test_instance_norm_warns_on_feature_mismatch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(4)(torchlet.ones(2, 3, 5))
    assert any("does not match num_features" in str(w.message) for w in caught)


def test_lazy_batchnorm_materializes():
    m = nn.LazyBatchNorm1d()
    m(torchlet.tensor(_arr(_rng(0), 4, 5)))
    assert type(m) is nn.BatchNorm1d
    assert m.num_features == 5 and tuple(m.running_mean.shape) == (5,)
    assert int(m.num_batches_tracked) == 1


@pytest.mark.parametrize("name", ["bn", "gn", "ln", "in"])
def test_module_gradcheck_float64(name):
    make = {
        "bn": lambda: nn.BatchNorm1d(3),
        "gn": lambda: nn.GroupNorm(3, 3),
        "ln": lambda: nn.LayerNorm(4),
        "in": lambda: nn.InstanceNorm1d(3, affine=True),
    }[name]
    m = make().double()
    with torchlet.no_grad():
        for p in m.parameters():
            p.copy_(torchlet.tensor(_arr(_rng(1), *p.shape, dtype=np.float64)))
    x = torchlet.tensor(_arr(_rng(2), 2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(m, (x,))
    assert gradgradcheck(m, (x,))


@needs_torch
def test_dtype_mismatch_messages_match_torch():
    """torch picks its message by the first parameter's dtype; every combination of
    float32/float64/None for (weight, bias, running_mean, running_var)."""
    import itertools

    dtypes = {"f": "float32", "d": "float64", "-": None}
    for x_code in "fd":
        for combo in itertools.product("fd-", repeat=4):
            if (combo[2] == "-") != (combo[3] == "-"):
                continue
            results = []
            for lib in (torchlet, torch):
                args = [None if c == "-" else lib.ones(3, dtype=getattr(lib, dtypes[c]))
                        for c in combo]
                x = lib.ones(2, 3, dtype=getattr(lib, dtypes[x_code]))
                results.append(_error(lambda lib=lib, x=x, args=args: F_of(lib).batch_norm(
                    x, args[2], args[3], args[0], args[1], True)))
            if results[1] is None:
                assert results[0] is None
            else:
                assert results[0] is not None and results[0][1] == results[1][1], (
                    x_code, combo, results)


@pytest.mark.parametrize("name", ["bn_train", "bn_eval", "bn_no_affine", "ln", "ln_no_bias",
                                  "gn", "gn_no_affine"])
def test_fused_numpy_backward_equals_the_torchlet_rule(name):
    """The first-order backward runs a fused NumPy copy of the rule; under create_graph
    the readable rule in torchlet operations runs. Both must give the same gradients."""
    rng = _rng(12)
    x = torchlet.tensor(_arr(rng, 4, 6, 5, dtype=np.float64), requires_grad=True)
    w = torchlet.tensor(_arr(rng, 6, dtype=np.float64), requires_grad=True)
    b = torchlet.tensor(_arr(rng, 6, dtype=np.float64), requires_grad=True)
    wl = torchlet.tensor(_arr(rng, 5, dtype=np.float64), requires_grad=True)
    bl = torchlet.tensor(_arr(rng, 5, dtype=np.float64), requires_grad=True)
    rm = torchlet.tensor(_arr(rng, 6, dtype=np.float64))
    rv = torchlet.tensor(rng.uniform(0.5, 2, 6))
    fn, inputs = {
        "bn_train": (lambda: F.batch_norm(x, None, None, w, b, True), (x, w, b)),
        "bn_eval": (lambda: F.batch_norm(x, rm, rv, w, b, False), (x, w, b)),
        "bn_no_affine": (lambda: F.batch_norm(x, None, None, training=True), (x,)),
        "ln": (lambda: F.layer_norm(x, (5,), wl, bl), (x, wl, bl)),
        "ln_no_bias": (lambda: F.layer_norm(x, (6, 5)), (x,)),
        "gn": (lambda: F.group_norm(x, 3, w, b), (x, w, b)),
        "gn_no_affine": (lambda: F.group_norm(x, 2), (x,)),
    }[name]
    g = torchlet.tensor(_arr(rng, 4, 6, 5, dtype=np.float64))
    fast = torchlet.autograd.grad(fn(), inputs, g)
    readable = torchlet.autograd.grad(fn(), inputs, g, create_graph=True)
    assert readable[0].grad_fn is not None  # the readable rule was recorded
    for a, r in zip(fast, readable):
        np.testing.assert_allclose(a.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)


NEGATIVE_ZERO_CASES = {
    "layer_norm": lambda lib, x: lib.nn.functional.layer_norm(x, (4,)),
    "batch_norm/train": lambda lib, x: lib.nn.functional.batch_norm(x, None, None,
                                                                    training=True),
    "batch_norm/eval": lambda lib, x: lib.nn.functional.batch_norm(
        x, lib.zeros(4), lib.ones(4), training=False),
    "instance_norm": lambda lib, x: lib.nn.functional.instance_norm(x.reshape(1, 4, 3)),
    "avg_pool1d": lambda lib, x: lib.nn.functional.avg_pool1d(x.reshape(1, 4, 3), 3),
    "adaptive_avg_pool1d": lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(
        x.reshape(1, 4, 3), 1),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(NEGATIVE_ZERO_CASES))
def test_normalizing_negative_zeros_gives_torchs_zero(name):
    """torch's kernels end in "+ bias" (0 without one) or sum from 0: an input of -0.0s
    comes out as 0.0 (printed "0."), not -0.0."""
    x = np.full((3, 4), -0.0, np.float32)
    got = {lib.__name__: NEGATIVE_ZERO_CASES[name](lib, lib.tensor(x)).numpy()
           for lib in (torch, torchlet)}
    assert got["torch"].size and not np.signbit(got["torch"]).any()  # the rule, as measured
    assert np.array_equal(np.signbit(got["torchlet"]), np.signbit(got["torch"]))

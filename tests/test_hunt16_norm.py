"""Regression tests from the differential hunt over the normalization layers.

Each fixed mismatch has a test that checks a hand-derived expectation and, when torch is
importable, the same call in torch (tests parametrized over ``LIBS`` run the expectation
on both). ``test_sampled_*`` replay a small fixed set of random configurations (a seeded
NumPy Generator) of BatchNorm / InstanceNorm / LayerNorm / GroupNorm / RMSNorm /
LocalResponseNorm on both libraries.
"""

import numpy as np
import pytest

import torchlet
from torchlet.autograd import gradcheck

try:
    import torch
except ImportError:  # pragma: no cover - the tests still check the expectations
    torch = None

LIBS = [torchlet] + ([torch] if torch is not None else [])
needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
by_name = pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)


def _grad_fn_name(t):
    gf = t.grad_fn
    return gf.name() if hasattr(gf, "name") else type(gf).__name__


def _outcome(fn):
    """('ok', value) or (exception type name, message) of calling fn."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e).__name__, str(e)


def _layout(lib, x, layout):
    """The same values as ``x`` (N, C, ...) in another memory layout."""
    if layout == "T":  # the last two dims swapped in memory
        return x.transpose(-1, -2).contiguous().transpose(-1, -2)
    if layout == "slice":  # every other element of a twice-as-long last dim
        wide = lib.zeros(tuple(x.shape[:-1]) + (2 * x.shape[-1],), dtype=x.dtype)
        wide[..., ::2] = x
        return wide[..., ::2]
    if layout == "cl3":  # a 3-D (N, C, L) input stored as (N, L, C)
        return x.movedim(1, 2).contiguous().movedim(2, 1)
    return x


# ---------------------------------------------------------------------------------------
# batch_norm of an empty batch: torch's shortcut x.clone() * weight[0] + bias[0]


@by_name
@pytest.mark.parametrize("affine", ["none", "weight", "bias", "both"])
def test_batch_norm_of_empty_batch_keeps_the_graph(lib, affine):
    x = lib.zeros(0, 3, 4, requires_grad=True)
    w = lib.ones(3, requires_grad=True) if affine in ("weight", "both") else None
    b = lib.zeros(3, requires_grad=True) if affine in ("bias", "both") else None
    rm, rv = lib.zeros(3), lib.ones(3)
    out = lib.nn.functional.batch_norm(x, rm, rv, w, b, True)
    want = {"none": "CloneBackward0", "weight": "MulBackward0", "bias": "AddBackward0",
            "both": "AddBackward0"}[affine]
    assert _grad_fn_name(out) == want and tuple(out.shape) == (0, 3, 4)
    params = [p for p in (w, b) if p is not None]
    grads = lib.autograd.grad(out.sum(), [x] + params)
    assert tuple(grads[0].shape) == (0, 3, 4)
    for g in grads[1:]:  # the parameters get zero gradients
        assert g.tolist() == [0.0, 0.0, 0.0]
    assert rm.tolist() == [0.0] * 3 and rv.tolist() == [1.0] * 3  # untouched


@by_name
def test_batch_norm_of_empty_batch_skips_the_checks(lib):
    F = lib.nn.functional
    # eval without running statistics, wrong-sized statistics, an integer input: fine
    assert F.batch_norm(lib.zeros(0, 2, 3), None, None).shape == (0, 2, 3)
    assert F.batch_norm(lib.zeros(0, 2, 3), lib.zeros(5), None).shape == (0, 2, 3)
    out = F.batch_norm(lib.zeros(0, 2, 3, dtype=lib.int32), None, None, training=True)
    assert out.dtype == lib.int32
    # but weight[0] of an empty weight is out of range
    kind, msg = _outcome(lambda: F.batch_norm(lib.zeros(2, 0, 3), None, None,
                                              lib.zeros(0), training=True))
    assert kind == "IndexError"
    assert msg == "select(): index 0 out of range for tensor of size [0] at dimension 0"
    # native_batch_norm itself refuses an empty training batch
    kind, msg = _outcome(lambda: lib.native_batch_norm(lib.zeros(0, 2, 3), None, None,
                                                       None, None, True, 0.1, 1e-5))
    assert kind == "RuntimeError"
    assert msg == ("input tensor must have at least one element, but got input_sizes = "
                   "[0, 2, 3]")


@by_name
def test_instance_norm_of_empty_batch(lib):
    F = lib.nn.functional
    kind, _ = _outcome(lambda: F.instance_norm(lib.zeros(0, 2, 3), weight=lib.ones(2)))
    assert kind == "IndexError"  # weight.repeat(0)[0]
    rm, rv = lib.zeros(2), lib.ones(2)
    assert F.instance_norm(lib.zeros(0, 2, 3), rm, rv).shape == (0, 2, 3)
    assert np.isnan(rm.numpy()).all() and np.isnan(rv.numpy()).all()  # mean of 0 copies


# ---------------------------------------------------------------------------------------
# instance_norm: eval leaves the running statistics alone; their dtype is free


@by_name
def test_instance_norm_eval_does_not_write_running_stats(lib):
    rng = np.random.default_rng(0)
    rm0 = (rng.random(500) * 7).astype(np.float32)  # means of 7 copies would round
    rv0 = (rng.random(500) + 0.3).astype(np.float32)
    rm, rv = lib.tensor(rm0), lib.tensor(rv0)
    x = lib.tensor(rng.standard_normal((7, 500, 3)).astype(np.float32))
    lib.nn.functional.instance_norm(x, rm, rv, use_input_stats=False)
    assert np.array_equal(rm.numpy(), rm0) and np.array_equal(rv.numpy(), rv0)
    assert rm._version == 0
    m = lib.nn.InstanceNorm1d(500, track_running_stats=True).eval()
    with lib.no_grad():
        m.running_mean.copy_(lib.tensor(rm0))
    m(x)
    assert np.array_equal(m.running_mean.numpy(), rm0)


@by_name
def test_instance_norm_casts_running_stats_to_the_weight_dtype(lib):
    F = lib.nn.functional
    x16 = lib.tensor(np.linspace(-1, 1, 60).reshape(3, 4, 5), dtype=lib.float16)
    rm, rv = lib.full((4,), 0.1), lib.full((4,), 1.1)  # float32 buffers, half input
    F.instance_norm(x16, rm, rv, momentum=0.0)
    # rounded to float16 (no weight: the input's dtype), averaged, written back
    assert rm.tolist() == [float(np.float16(0.1))] * 4
    assert rv.tolist() == [float(np.float16(1.1))] * 4 and rm.dtype == lib.float32
    x64 = lib.tensor(np.linspace(-1, 1, 60).reshape(3, 4, 5))
    out = F.instance_norm(x64, lib.zeros(4), lib.ones(4), use_input_stats=False)
    assert out.dtype == lib.float64
    # with a weight, its dtype decides: float32 statistics for a float16 input
    rm = lib.full((4,), 0.1, dtype=lib.float64)
    F.instance_norm(x16, rm, lib.ones(4, dtype=lib.float64), lib.ones(4), momentum=0.0)
    assert rm.tolist() == [float(np.float32(0.1))] * 4
    cases = [(x64, lib.ones(4), "mixed dtype (CPU): all inputs must share same datatype."),
             (x16, lib.ones(4, dtype=lib.float64),
              "mixed dtype (CPU): expect parameter to have scalar type of Float")]
    for x, w, msg in cases:
        kind, got = _outcome(lambda x=x, w=w: F.instance_norm(x, lib.zeros(4), lib.ones(4), w))
        assert (kind, got) == ("RuntimeError", msg)


# ---------------------------------------------------------------------------------------
# batch_norm on inputs not contiguous in any memory format: torch's generic kernel


@by_name
def test_batch_norm_strided_input_of_constant_channel_gives_the_bias(lib):
    """((x - mean) * invstd) * w + b: a constant channel normalizes to exactly b (the
    folded x * alpha + beta would not: alpha = invstd * w is ~1e4 here)."""
    base = np.full((3, 2, 4, 5), 10.0, np.float32)
    base[:, 1] = -7.3
    x = lib.tensor(base).transpose(2, 3)
    w, b = lib.tensor([1.5, -2.0]), lib.tensor([0.25, 0.7])
    out = lib.nn.functional.batch_norm(x, None, None, w, b, True, 0.1, 1e-8)
    assert set(out.numpy()[:, 0].ravel()) == {np.float32(0.25)}
    assert set(out.numpy()[:, 1].ravel()) == {np.float32(0.7)}


def _strided_batch_norm(lib, base, layout, w, b, rm, rv):
    x = _layout(lib, lib.tensor(base), layout)
    rm, rv = lib.tensor(rm), lib.tensor(rv)
    out, mean, invstd = lib.native_batch_norm(x, lib.tensor(w), lib.tensor(b), rm, rv,
                                              True, 0.3, 1e-5)
    return [t.numpy() for t in (out, mean, invstd, rm, rv)]


@pytest.mark.parametrize("layout", ["T", "slice", "cl3"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_batch_norm_strided_input_statistics(layout, dtype):
    rng = np.random.default_rng(3)
    shape = (4, 3, 6) if layout == "cl3" else (4, 3, 6, 5)
    base = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    rm0, rv0 = rng.standard_normal(3).astype(dtype), rng.random(3).astype(dtype)
    ours = _strided_batch_norm(torchlet, base, layout, w, b, rm0, rv0)
    out, mean, invstd, rm, rv = ours
    # hand-derived: the unfolded formula with the returned statistics, bit for bit
    sh = (1, 3) + (1,) * (len(shape) - 2)
    want = ((base - mean.reshape(sh)) * invstd.reshape(sh)) * w.reshape(sh) + b.reshape(sh)
    assert np.array_equal(out, want)
    axes = (0,) + tuple(range(2, len(shape)))
    n = base.size // 3
    x64 = base.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axes), rtol=1e-6)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(x64.var(axes) + 1e-5), rtol=1e-6)
    np.testing.assert_allclose(rv, 0.7 * rv0 + 0.3 * x64.var(axes) * n / (n - 1), rtol=1e-6)
    if torch is not None:  # torch's generic path, bit for bit
        theirs = _strided_batch_norm(torch, base, layout, w, b, rm0, rv0)
        for a, t in zip(ours, theirs):
            assert a.dtype == t.dtype and np.array_equal(a, t)


@pytest.mark.parametrize("layout", ["T", "cl3"])
def test_batch_norm_strided_input_gradcheck(layout):
    rng = np.random.default_rng(4)
    shape = (3, 2, 4) if layout == "cl3" else (3, 2, 3, 4)
    x = torchlet.tensor(rng.standard_normal(shape), requires_grad=True)
    w = torchlet.tensor(rng.standard_normal(2), requires_grad=True)
    b = torchlet.tensor(rng.standard_normal(2), requires_grad=True)

    def fn(x, w, b):
        return torchlet.nn.functional.batch_norm(_layout(torchlet, x, layout), None, None,
                                                 w, b, True)

    assert gradcheck(fn, (x, w, b), eps=1e-6, atol=1e-5, rtol=1e-3)


# ---------------------------------------------------------------------------------------
# local_response_norm / CrossMapLRN2d


@by_name
def test_local_response_norm_views_the_squares_as_torch(lib):
    # (N, C, D, H, W) with H and W swapped in memory: (N, 1, C, D, -1) merges them
    x = lib.ones(2, 3, 2, 4, 5).transpose(-1, -2)
    kind, msg = _outcome(lambda: lib.nn.functional.local_response_norm(x, 2))
    assert kind == "RuntimeError" and msg.startswith("view size is not compatible")
    ok = lib.nn.functional.local_response_norm(lib.ones(2, 3, 4, 5).transpose(-1, -2), 2)
    # hand-derived: channel c averages the squares (all 1) of channels c-1, c over 2
    want = np.power(1 + 1e-4 / 2 * np.array([1.0, 2.0, 2.0]), -0.75).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(ok.numpy(), np.broadcast_to(want, (2, 3, 5, 4)), rtol=1e-6)


@by_name
def test_cross_map_lrn2d_output_is_contiguous(lib):
    x = lib.ones(2, 5, 3, 3).contiguous(memory_format=lib.channels_last)
    out = lib.nn.CrossMapLRN2d(3)(x)
    assert out.is_contiguous() and tuple(out.stride()) == (45, 9, 3, 1)
    # hand-derived: channel 0 sees channels 0 and 1 (pre_pad = 2): scale = 1 + 1e-4/3 * 2
    np.testing.assert_allclose(out.numpy()[0, 0, 0, 0], (1 + 2e-4 / 3) ** -0.75, rtol=1e-6)


@by_name
def test_cross_map_lrn2d_size_one_backward_fails_first_on_its_narrow(lib):
    x = lib.ones(1, 4, 2, 2, requires_grad=True)
    out = lib.nn.CrossMapLRN2d(1)(x)
    for create_graph in (False, True):
        kind, msg = _outcome(lambda cg=create_graph: lib.autograd.grad(
            out.sum(), x, retain_graph=True, create_graph=cg))
        assert (kind, msg) == ("RuntimeError", "start (1) + length (4) exceeds dimension "
                                               "size (4).")


# ---------------------------------------------------------------------------------------
# sampled differential test (a fixed list of random configurations)


def _sampled_configs(count=60, seed=16):
    rng = np.random.default_rng(seed)
    configs = []
    for i in range(count):
        kind = ["bn", "in", "ln", "gn", "rms", "lrn"][i % 6]
        dtype = ["float32", "float64"][int(rng.integers(2))]
        layout = ["c", "T", "slice"][int(rng.integers(3))]
        c = int(rng.integers(1, 5))
        n = int(rng.integers(1, 5))
        spatial = tuple(int(rng.integers(3, 6)) for _ in range(int(rng.integers(1, 3))))
        kwargs = {}
        if kind == "bn":
            name = f"BatchNorm{len(spatial)}d"
            kwargs = {"momentum": [0.1, None, 0.5][int(rng.integers(3))],
                      "affine": bool(rng.random() < 0.7),
                      "track_running_stats": bool(rng.random() < 0.7),
                      "eps": [1e-5, 1e-3][int(rng.integers(2))]}
            n = max(n, 2)
            args = (c,)
        elif kind == "in":
            name = f"InstanceNorm{len(spatial)}d"
            kwargs = {"affine": bool(rng.random() < 0.5),
                      "track_running_stats": bool(rng.random() < 0.5)}
            args = (c,)
        elif kind == "ln":
            name, args = "LayerNorm", (spatial,)
            kwargs = {"elementwise_affine": bool(rng.random() < 0.7),
                      "bias": bool(rng.random() < 0.7)}
        elif kind == "gn":
            g = int(rng.integers(1, 3))
            c = g * int(rng.integers(1, 3))
            name, args = "GroupNorm", (g, c)
            kwargs = {"affine": bool(rng.random() < 0.7)}
        elif kind == "rms":
            name, args = "RMSNorm", (spatial[-1:],)
            kwargs = {"eps": [None, 1e-5][int(rng.integers(2))]}
        else:
            name, args = "LocalResponseNorm", (int(rng.integers(1, 5)),)
            kwargs = {"alpha": 0.1, "beta": 0.75, "k": 1.0}
            spatial = spatial[:1]  # (N, C, L): no view that can fail
        shape = (n, c) + spatial
        steps = [((rng.standard_normal(shape) * 2 + 0.5), rng.standard_normal(shape),
                  bool(rng.random() < 0.75)) for _ in range(2)]
        params = rng.standard_normal(64)
        configs.append((name, args, kwargs, dtype, layout, steps, params))
    return configs


def _run_sampled(lib, name, args, kwargs, dtype, layout, steps, params):
    lib.manual_seed(0)
    factory = {} if name == "LocalResponseNorm" else {"dtype": getattr(lib, dtype)}
    m = getattr(lib.nn, name)(*args, **factory, **kwargs)
    record = {"repr": repr(m), "keys": list(m.state_dict())}
    with lib.no_grad():
        for p in m.parameters():  # random affine parameters (the defaults are 1 and 0)
            p.copy_(lib.tensor(params[:p.numel()].reshape(tuple(p.shape))))
    for i, (x_np, g_np, train) in enumerate(steps):
        m.train(train)
        x = _layout(lib, lib.tensor(x_np, dtype=getattr(lib, dtype)), layout)
        x.requires_grad_(True)
        out = m(x)
        grads = lib.autograd.grad(out, [x] + list(m.parameters()),
                                  lib.tensor(g_np, dtype=out.dtype))
        record[i] = (out.detach().numpy(), str(out.dtype).split(".")[-1],
                     _grad_fn_name(out), [g.numpy() for g in grads],
                     {k: v.numpy().copy() for k, v in m.state_dict().items()})
    return record


@needs_torch
def test_sampled_norm_layers_match_torch():
    for config in _sampled_configs():
        ours = _run_sampled(torchlet, *config)
        theirs = _run_sampled(torch, *config)
        rtol = 2e-5 if config[3] == "float32" else 1e-10
        assert ours["repr"] == theirs["repr"] and ours["keys"] == theirs["keys"], config[:3]
        for i in range(2):
            (o, dt, gf, gs, sd), (o2, dt2, gf2, gs2, sd2) = ours[i], theirs[i]
            assert dt == dt2 and o.shape == o2.shape, config[:5]
            if config[0] != "RMSNorm":  # (its name follows an elementwise op's layout)
                assert gf == gf2, (config[:5], gf, gf2)
            arrays = [(o, o2)] + list(zip(gs, gs2)) + [(sd[k], sd2[k]) for k in sd2]
            # (a gradient that is 0 but for rounding is compared to the step's scale)
            step_scale = max(np.abs(b).max(initial=0.0) for _, b in arrays)
            for a, b in arrays:
                assert a.dtype == b.dtype and a.shape == b.shape, config[:5]
                scale = max(np.abs(b).max(initial=0.0), 1e-2 * step_scale)
                assert np.abs(a - b).max(initial=0.0) <= rtol * scale, config[:5]


@pytest.mark.parametrize("convert", ["double", "to_float64", "half_then_float"])
def test_lazy_norm_converted_before_its_first_forward(convert):
    """Module._apply keeps an uninitialised buffer a placeholder (with the new dtype), so
    that the first forward can still materialise it, as torch's does."""
    m = torchlet.nn.LazyBatchNorm1d()
    m = {"double": lambda: m.double(), "to_float64": lambda: m.to(torchlet.float64),
         "half_then_float": lambda: m.half().float()}[convert]()
    want = torchlet.float32 if convert == "half_then_float" else torchlet.float64
    assert [b.dtype for b in m.buffers()][:2] == [want, want]
    out = m(torchlet.ones(4, 3, dtype=want))
    assert out.dtype == want and m.running_mean.shape == (3,)
    assert m.running_mean.dtype == want and type(m).__name__ == "BatchNorm1d"

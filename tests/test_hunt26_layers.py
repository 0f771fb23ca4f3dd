"""Differential hunt over nn layers (helper hunt26_layers): the adaptive average pools'
1x1 shortcut (a mean, with no input checks), adaptive_avg_pool2d's check of its pooled
dimensions only, the max pools' refusal of the other dimensionality's channels_last,
the checks of the 1-D adaptive pools, unfold, lp_pool and channel_shuffle in torch's
order, and a sampled differential test of layers with option combinations (same seed ->
same parameters, outputs, gradients, buffers, reprs, node names and exception types)."""

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch as _torch
except ImportError:  # pragma: no cover - torch is the oracle, optional here
    _torch = None

needs_torch = pytest.mark.skipif(_torch is None, reason="needs torch")
LIBS = [torchlet] + ([_torch] if _torch is not None else [])


def _outcome(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return type(e).__name__, str(e).split("\n")[0]


def _both(fn):
    """fn(lib) in torchlet, and the same in torch when it is importable."""
    mine = _outcome(lambda: fn(torchlet))
    if _torch is not None:
        assert mine == _outcome(lambda: fn(_torch))
    return mine


# ---------------------------------------------------------------------------------------
# adaptive average pools: a 1x1 output is torch's mean, which checks no input

ONES = [  # (function, input shape, output_size, output shape)
    ("adaptive_avg_pool2d", (1, 2, 0, 2), (1, 1), (1, 2, 1, 1)),
    ("adaptive_avg_pool2d", (2, 0, 2), 1, (2, 1, 1)),
    ("adaptive_avg_pool2d", (1, 2, 0, 2, 2), 1, (1, 2, 0, 1, 1)),  # (5-D: the last two)
    ("adaptive_avg_pool3d", (1, 2, 0, 2, 2), (1, 1, 1), (1, 2, 1, 1, 1)),
    ("adaptive_avg_pool3d", (2, 0, 2), 1, (1, 1, 1)),  # (3-D: no rank check either)
    ("adaptive_avg_pool1d", (2, 3, 0), 1, (2, 3, 1)),
    ("adaptive_avg_pool1d", (3, 0), 1, (3, 1)),
]


@pytest.mark.parametrize("case", range(len(ONES)))
def test_one_by_one_adaptive_average_is_a_mean_of_nothing(case):
    fn, shape, size, out_shape = ONES[case]

    def run(lib):
        x = lib.zeros(shape, requires_grad=True)
        y = getattr(lib.nn.functional, fn)(x, size)
        y.sum().backward()
        return (tuple(y.shape), np.isnan(y.detach().numpy()).all(), tuple(x.grad.shape),
                y.grad_fn.name())

    shape_, all_nan, grad_shape, _ = _both(run)
    assert shape_ == out_shape and all_nan and grad_shape == shape  # mean of 0 numbers


def test_adaptive_avg_pool_other_sizes_still_check_the_input():
    for fn, shape, size in (("adaptive_avg_pool2d", (1, 2, 0, 2), (2, 2)),
                            ("adaptive_avg_pool3d", (1, 2, 0, 2, 2), 2),
                            ("adaptive_avg_pool1d", (2, 3, 0), 2)):
        got = _both(lambda lib, fn=fn, shape=shape, size=size: getattr(
            lib.nn.functional, fn)(lib.zeros(shape), size))
        assert got[0] == "RuntimeError" and "non-zero size" in got[1]


def test_adaptive_avg_pool2d_takes_no_channels_until_the_backward():
    """torch's 2-D kernel checks only its two pooled dimensions; its backward checks all
    the non-batch dimensions of grad_output."""

    def run(lib):
        x = lib.zeros(2, 0, 4, 4, requires_grad=True)
        y = lib.nn.functional.adaptive_avg_pool2d(x, 3)
        shape = tuple(y.shape)
        return shape, _outcome(lambda: y.sum().backward())

    shape, error = _both(run)
    assert shape == (2, 0, 3, 3)
    assert error == ("RuntimeError", "adaptive_avg_pool2d_backward(): Expected grad_output "
                     "to have non-zero size for non-batch dimensions, but grad_output has "
                     "sizes [2, 0, 3, 3] with dimension 1 being empty")
    # (its 1-D form pools through it too; the 3-D pool checks every dimension)
    assert _both(lambda lib: tuple(lib.nn.functional.adaptive_avg_pool1d(
        lib.zeros(2, 0, 4), 3).shape)) == (2, 0, 3)
    assert _both(lambda lib: lib.nn.functional.adaptive_avg_pool3d(
        lib.zeros(2, 0, 4, 4, 4), 3))[0] == "RuntimeError"


# ---------------------------------------------------------------------------------------
# max pools: the other dimensionality's channels_last is refused, before other checks


@pytest.mark.parametrize("nd,shape,fmt", [(3, (1, 4, 4, 5), "channels_last"),
                                          (2, (2, 3, 4, 5, 6), "channels_last_3d")])
@pytest.mark.parametrize("kw", [dict(kernel_size=1), dict(kernel_size=0),
                                dict(kernel_size=2, padding=2),
                                dict(kernel_size=2, return_indices=True)])
def test_max_pool_refuses_the_other_channels_last(nd, shape, fmt, kw):
    def run(lib):
        x = lib.zeros(shape).contiguous(memory_format=getattr(lib, fmt))
        return getattr(lib.nn.functional, f"max_pool{nd}d")(x, **kw)

    want = "ChannelsLast" if nd == 2 else "ChannelsLast3d"
    assert _both(run) == ("RuntimeError",
                          f"Unsupported memory format. Supports only {want}, Contiguous")


def test_max_pool_parses_the_kernel_before_the_layout_and_keeps_contiguous_inputs():
    def run(lib):
        x = lib.zeros(1, 4, 4, 5).contiguous(memory_format=lib.channels_last)
        return lib.nn.functional.max_pool3d(x, (2, 2))

    assert _both(run) == ("RuntimeError", "max_pool3d: kernel_size must either be a single "
                          "int, or a tuple of three ints")
    # an unbatched input laid out contiguously (or ambiguously) pools as before
    for shape in ((1, 4, 4, 5), (4, 1, 1, 5)):
        out = _both(lambda lib, shape=shape: lib.nn.functional.max_pool3d(
            lib.arange(float(np.prod(shape))).reshape(shape), 1).tolist())
        assert out == np.arange(float(np.prod(shape))).reshape(shape).tolist()


# ---------------------------------------------------------------------------------------
# 1-D adaptive pools: output_size parsed first, the empty check with the 1-D name


@pytest.mark.parametrize("fn", ["adaptive_avg_pool1d", "adaptive_max_pool1d"])
def test_1d_adaptive_pools_parse_the_size_before_the_rank(fn):
    got = _both(lambda lib: getattr(lib.nn.functional, fn)(lib.zeros(2, 3, 4, 5), (None, 2)))
    assert got == ("TypeError", f"{fn}(): argument 'output_size' (position 2) must be tuple "
                   "of ints, but found element of type NoneType at pos 0")
    # (the length of a well-typed size is checked after the rank)
    got = _both(lambda lib: getattr(lib.nn.functional, fn)(lib.zeros(2, 3, 4, 5), (1, 2)))
    assert got[0] == "RuntimeError" and got[1].startswith("Expected 2 to 3 dimensions")


def test_adaptive_max_pool1d_checks_its_own_input():
    got = _both(lambda lib: lib.nn.functional.adaptive_max_pool1d(lib.zeros(1, 3, 0), 2))
    assert got == ("RuntimeError", "adaptive_max_pool1d(): Expected input to have non-zero "
                   "size for non-batch dimensions, but input has sizes [1, 3, 0] with "
                   "dimension 2 being empty")


# ---------------------------------------------------------------------------------------
# 0-dim inputs, unfold's check order, lp_pool's kernel unpacking, channel_shuffle


def test_zero_dim_inputs_name_the_dimension_as_torch():
    cases = [("avg_pool2d", (2,), "Dimension specified as -3 but tensor has no dimensions"),
             ("lp_pool2d", (2, 2), "Dimension specified as -3 but tensor has no dimensions"),
             ("unfold", (1,), "Dimension specified as 1 but tensor has no dimensions")]
    for fn, args, message in cases:
        got = _both(lambda lib, fn=fn, args=args: getattr(lib.nn.functional, fn)(
            lib.zeros(()), *args))
        assert got == ("IndexError", message)
    got = _both(lambda lib: lib.nn.functional.unfold(lib.zeros(3), 1))
    assert got == ("IndexError", "Dimension out of range (expected to be in range of [-1, 0], "
                   "but got 1)")


@pytest.mark.parametrize("k,d,p,s,unfold_error,fold_error", [
    (2, 0, -1, 0, "dilation", "stride"),
    (2, 1, -1, 0, "padding", "stride"),
    (2, 0, -1, 1, "dilation", "dilation"),
    (2, 1, 0, 0, "stride", "stride"),
])
def test_unfold_and_fold_check_their_arguments_in_torchs_orders(k, d, p, s, unfold_error,
                                                                  fold_error):
    got = _both(lambda lib: lib.nn.functional.unfold(lib.zeros(2, 3, 5, 5), k, d, p, s))
    assert got[0] == "RuntimeError" and got[1].startswith(unfold_error)
    got = _both(lambda lib: lib.nn.functional.fold(lib.zeros(2, 12, 4), (3, 3), k, d, p, s))
    assert got[0] == "RuntimeError" and got[1].startswith(fold_error)


def test_unfold_of_a_low_rank_input_that_requires_grad():
    """torch's autograd reads the input's last two sizes before the kernel's checks."""
    for shape, message in (((), "Dimension specified as -1 but tensor has no dimensions"),
                           ((3,), "Dimension out of range (expected to be in range of "
                            "[-1, 0], but got -2)")):
        got = _both(lambda lib, shape=shape: lib.nn.functional.unfold(
            lib.zeros(shape, requires_grad=True), 2, 0, -1, 0))
        assert got == ("IndexError", message)
        with torchlet.no_grad():  # (no graph, so the kernel's own checks come first)
            got = _outcome(lambda shape=shape: torchlet.nn.functional.unfold(
                torchlet.zeros(shape, requires_grad=True), 2, 0, -1, 0))
        assert got[0] == "RuntimeError" and got[1].startswith("dilation")


@pytest.mark.parametrize("nd,kernel,message", [
    (3, (2, 3), "not enough values to unpack (expected 3, got 2)"),
    (2, (2,), "not enough values to unpack (expected 2, got 1)"),
    (2, [2, 2, 2], "too many values to unpack (expected 2"),
])
@pytest.mark.parametrize("norm_type", [2, float("inf")])
def test_lp_pool_unpacks_its_kernel_first(nd, kernel, message, norm_type):
    got = _both(lambda lib: getattr(lib.nn.functional, f"lp_pool{nd}d")(
        lib.ones((2, 3) + (5,) * nd), norm_type, kernel))
    assert got[0] == "ValueError" and got[1].startswith(message)


def test_channel_shuffle_without_channels_fails_in_the_backward():
    """The backward shuffles with C / groups = 0 groups, which channel_shuffle refuses."""

    def run(lib):
        x = lib.zeros(2, 0, 4, 4, requires_grad=True)
        y = lib.nn.ChannelShuffle(2)(x)
        return tuple(y.shape), _outcome(lambda: y.sum().backward())

    shape, error = _both(run)
    assert shape == (2, 0, 4, 4)
    assert error == ("RuntimeError", "Number of groups to divide channels in must be "
                     "positive. Value of groups:0")

    def grads(lib):  # (with channels the gradient is the inverse shuffle)
        x = lib.zeros(1, 6, 1, requires_grad=True)
        lib.nn.functional.channel_shuffle(x, 3).backward(lib.arange(6.0).reshape(1, 6, 1))
        return x.grad.flatten().tolist()

    assert _both(grads) == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]  # out c' = b*g + a <- in a*k + b


# ---------------------------------------------------------------------------------------
# transposed convolutions of no positions (an empty batch whose inputs are empty too)


@pytest.mark.parametrize("d,cin,cout,groups,stride,dilation,extra,spatial", [
    (3, 3, 6, 3, 2, 2, 1, (7, 7, 0)),   # the columns of an empty window wrapped round
    (1, 2, 2, 1, 2, 2, 1, (0,)),
    (2, 6, 12, 1, 2, 2, 1, (0, 0)),     # (the channels-last col2im: 6 channels a group)
    (3, 2, 2, 1, 1, 1, 0, (0, 2, 2)),   # backward: windows that do not fit an empty grad
    (2, 2, 2, 1, 3, 1, 1, (2, 0)),
])
def test_conv_transpose_of_an_empty_batch(d, cin, cout, groups, stride, dilation, extra,
                                          spatial):
    def run(lib):
        lib.manual_seed(0)
        m = getattr(lib.nn, f"ConvTranspose{d}d")(cin, cout, 3, stride=stride, groups=groups,
                                                  dilation=dilation, output_padding=extra)
        x = lib.zeros((0, cin) + spatial, requires_grad=True)
        y = m(x)
        y.backward(lib.ones(y.shape))
        return (tuple(y.shape), tuple(x.grad.shape), m.weight.grad.abs().sum().item(),
                m.bias.grad.tolist())

    shape, grad_shape, weight_grad, bias_grad = _both(run)
    # (i - 1) * s + d * (k - 1) + output_padding + 1 per dimension
    assert shape == (0, cout) + tuple((i - 1) * stride + dilation * 2 + extra + 1
                                      for i in spatial)
    assert grad_shape == (0, cin) + spatial and weight_grad == 0
    assert bias_grad == [0.0] * cout


# ---------------------------------------------------------------------------------------
# sampled differential test: layers with option combinations, same seed in both


def _ch(rng, xs):
    return xs[int(rng.integers(len(xs)))]


def _conv(rng):
    d, g = int(rng.integers(1, 4)), _ch(rng, [1, 2])
    pm = _ch(rng, ["zeros", "reflect", "replicate", "circular"])
    pad = _ch(rng, ["'same'", 1, 0])
    stride = 1 if pad == "'same'" else _ch(rng, [1, 2])
    ctor = (f"nn.Conv{d}d({2 * g}, {2 * g}, 3, stride={stride}, padding={pad}, dilation="
            f"{_ch(rng, [1, 2])}, groups={g}, bias={bool(rng.integers(2))}, padding_mode="
            f"'{pm}')")
    return ctor, (_ch(rng, [2, 1]), 2 * g) + (6,) * d


def _convt(rng):
    d = int(rng.integers(1, 4))
    ctor = (f"nn.ConvTranspose{d}d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, "
            f"dilation={_ch(rng, [1, 2])})")
    return ctor, (2, 2) + (4,) * d


def _pool(rng):
    d = int(rng.integers(1, 4))
    kind = _ch(rng, ["Max", "Avg", "AdaptiveAvg", "AdaptiveMax", "LP"])
    if kind == "Max":
        ctor = (f"nn.MaxPool{d}d(3, stride=2, padding=1, dilation={_ch(rng, [1, 2])}, "
                f"return_indices={bool(rng.integers(2))}, ceil_mode={bool(rng.integers(2))})")
    elif kind == "Avg":
        extra = f", divisor_override={_ch(rng, [None, 3])}" if d > 1 else ""
        ctor = (f"nn.AvgPool{d}d(3, stride=2, padding=1, ceil_mode={bool(rng.integers(2))}, "
                f"count_include_pad={bool(rng.integers(2))}{extra})")
    elif kind == "LP":
        ctor = f"nn.LPPool{d}d({_ch(rng, [1, 2, 1.5])}, 2, stride={_ch(rng, [None, 1])})"
    else:
        ctor = f"nn.{kind}Pool{d}d({_ch(rng, [1, 2, 3])})"
    return ctor, (_ch(rng, [2, 0]), 3) + (7,) * d


def _norm(rng):
    kind = _ch(rng, ["BatchNorm", "InstanceNorm", "GroupNorm", "LayerNorm", "RMSNorm"])
    d = int(rng.integers(1, 4))
    if kind == "BatchNorm":
        ctor = (f"nn.BatchNorm{d}d(4, momentum={_ch(rng, [0.1, None])}, affine="
                f"{bool(rng.integers(2))}, track_running_stats={bool(rng.integers(2))})")
    elif kind == "InstanceNorm":
        ctor = (f"nn.InstanceNorm{d}d(4, affine={bool(rng.integers(2))}, "
                f"track_running_stats={bool(rng.integers(2))})")
    elif kind == "GroupNorm":
        ctor = f"nn.GroupNorm(2, 4, affine={bool(rng.integers(2))})"
    elif kind == "LayerNorm":
        ctor = (f"nn.LayerNorm([4], elementwise_affine={bool(rng.integers(2))}, "
                f"bias={bool(rng.integers(2))})")
    else:
        ctor = f"nn.RMSNorm([4], eps={_ch(rng, [None, 0.1])})"
    return ctor, (3, 4) + (4,) * d


def _other(rng):
    ctor = _ch(rng, [
        "nn.Upsample(scale_factor=1.5, mode='bilinear', align_corners=False)",
        "nn.Upsample(size=(5, 3), mode='bicubic', align_corners=True)",
        "nn.Upsample(scale_factor=2.5, mode='nearest-exact', recompute_scale_factor=True)",
        "nn.PixelShuffle(2)", "nn.PixelUnshuffle(2)", "nn.ChannelShuffle(2)",
        "nn.Unfold(2, dilation=2, padding=1, stride=2)", "nn.ReflectionPad2d((1, 2, 0, 3))",
        "nn.CircularPad2d((2, 0, -1, 1))", "nn.ReplicationPad2d(2)",
        "nn.ConstantPad2d((1, -1, 2, 0), 2.5)", "nn.LocalResponseNorm(3)",
        "nn.Dropout2d(0.5)", "nn.AlphaDropout(0.3)", "nn.FeatureAlphaDropout(0.4)",
        "nn.Flatten(1, 2)", "nn.Unflatten(1, (2, 2))", "nn.GLU(1)", "nn.Softmax2d()",
        "nn.Hardswish()", "nn.PReLU(4)", "nn.Softplus(2.0, 1.0)",
    ])
    return ctor, (2, 4, 4, 6)


_MAKERS = [_conv, _convt, _pool, _norm, _other]


def _configs(n=40):
    rng = np.random.default_rng(2026)
    out = []
    for i in range(n):
        ctor, shape = _MAKERS[i % len(_MAKERS)](rng)
        dtype = _ch(rng, ["float32", "float32", "float64"])
        layout = _ch(rng, ["c", "c", "cl", "nc"])
        out.append((ctor, shape, dtype, layout, int(rng.integers(1000))))
    return out


CONFIGS = _configs()


def _run(lib, ctor, shape, dtype, layout, seed):
    """Build after manual_seed, run forward (twice, training) and backward; what came out."""
    res = {}
    lib.manual_seed(seed)
    m = eval(ctor, {"nn": lib.nn})
    if dtype == "float64":
        m = m.double()
    res["repr"] = repr(m)
    res["init"] = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    for step in range(2):
        a = np.random.default_rng(seed + step).standard_normal(shape).astype(dtype)
        x = lib.tensor(a, requires_grad=True)
        t = x
        if layout == "cl":
            fmt = {4: lib.channels_last, 5: lib.channels_last_3d}.get(a.ndim)
            t = x.contiguous(memory_format=fmt) if fmt is not None else x
        elif layout == "nc":
            t = x.transpose(-1, -2).contiguous().transpose(-1, -2)
        lib.manual_seed(seed + 7 + step)
        out = _outcome(lambda t=t: m(t))
        if isinstance(out, tuple) and isinstance(out[0], str):
            res[f"error{step}"] = out
            continue
        y = out[0] if isinstance(out, tuple) else out
        res[f"out{step}"] = [o.detach().numpy().copy() for o in
                             (out if isinstance(out, tuple) else (out,))]
        res[f"node{step}"] = y.grad_fn.name() if y.grad_fn is not None else None
        if y.requires_grad:
            g = np.random.default_rng(seed + 99).standard_normal(tuple(y.shape))
            y.backward(lib.tensor(g.astype(dtype)))
            res[f"grad{step}"] = x.grad.numpy().copy()
            res[f"pgrad{step}"] = {k: p.grad.numpy().copy() for k, p in m.named_parameters()}
            m.zero_grad()
    res["after"] = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
    m.eval()
    res["eval"] = _outcome(lambda: m(lib.tensor(np.ones(shape, dtype))))
    if not (isinstance(res["eval"], tuple) and isinstance(res["eval"][0], str)):
        e = res["eval"]
        res["eval"] = (e[0] if isinstance(e, tuple) else e).detach().numpy().copy()
    return res


def _close(a, b, exact):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    if exact:
        np.testing.assert_array_equal(a, b)
    else:
        tol = 1e-4 if a.dtype == np.float32 else 1e-10
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def _assert_same(mine, theirs):
    assert mine.keys() == theirs.keys()
    for key in mine:
        a, b = mine[key], theirs[key]
        if isinstance(a, dict):
            assert a.keys() == b.keys()
            for k in a:
                _close(a[k], b[k], exact=key == "init")
        elif isinstance(a, list):
            assert len(a) == len(b)
            for u, v in zip(a, b):
                _close(u, v, exact=False)
        elif isinstance(a, np.ndarray):
            _close(a, b, exact=False)
        elif isinstance(a, tuple):  # an error: the same type (and message)
            assert a[0] == b[0], (a, b)
        else:
            assert a == b


def test_sampled_configs_cover_the_layers():
    kinds = {c[0].split("(")[0] for c in CONFIGS}
    assert len(CONFIGS) == 40 and len(kinds) >= 20


@needs_torch
@pytest.mark.parametrize("i", range(len(CONFIGS)))
def test_sampled_layers_match_torch(i):
    ctor, shape, dtype, layout, seed = CONFIGS[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = _run(torchlet, ctor, shape, dtype, layout, seed)
        theirs = _run(_torch, ctor, shape, dtype, layout, seed)
    _assert_same(mine, theirs)

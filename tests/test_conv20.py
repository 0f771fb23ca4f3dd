"""Convolution second-order gradients and layouts (s20 helper convgg).

Under create_graph=True the gradients of a convolution's gradients are torch's
_convolution_double_backward: differentiable convolutions (ConvolutionBackward0), the
weight's as a convolution over the batch transposed, (per group) concatenated and narrowed
to the kernel, so their strides and graphs are those of these steps. Also: the weight
gradient's layout where the weight is ambiguous (contiguous and channels_last at once),
torch's slow kernels' refusal of an odd-strided weight's gradient, dimensions of size 1
and empty outputs laid out as torch's, and an input with no positions refused.

Each test checks a hand-derived expectation, and torch's own answer when torch is
importable.
"""

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
LIBS = [torchlet] + ([torch] if torch is not None else [])


@pytest.fixture
def one_thread():
    """(which of torch's kernels runs, and so the layouts, depends on the thread count)"""
    before = [lib.get_num_threads() for lib in LIBS]
    for lib in LIBS:
        lib.set_num_threads(1)
    yield
    for lib, n in zip(LIBS, before):
        lib.set_num_threads(n)


def _tree(fn, depth):
    """grad_fn names, ``depth`` levels of next_functions deep."""
    if fn is None:
        return None
    if depth == 0:
        return fn.name()
    return (fn.name(), tuple(_tree(f, depth - 1) for f, _ in fn.next_functions))


# ---------------------------------------------------------------------------------------
# The second-order gradients: torch's steps, strides and graph


def _second_order(lib, transposed=False):
    g = np.random.default_rng(0)
    dt = lib.float64
    x = lib.tensor(g.standard_normal((2, 4, 6, 6)), dtype=dt, requires_grad=True)
    w = lib.tensor(g.standard_normal((4, 3, 3, 3) if transposed else (6, 2, 3, 3)), dtype=dt,
                   requires_grad=True)
    b = lib.tensor(g.standard_normal(6), dtype=dt, requires_grad=True)
    F = lib.nn.functional
    y = (F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2) if transposed else
         F.conv2d(x, w, b, stride=2, padding=1, groups=2))
    v = lib.tensor(g.standard_normal(tuple(y.shape)), dtype=dt, requires_grad=True)
    gx, gw, gb = lib.autograd.grad(y, (x, w, b), v, create_graph=True)
    loss = sum((t * lib.tensor(g.standard_normal(tuple(t.shape)), dtype=dt)).sum()
               for t in (gx, gw, gb))
    return (gx, gw, gb), lib.autograd.grad(loss, (x, w, v), create_graph=True)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_conv2d_second_order_strides_and_graph(lib):
    firsts, (gxx, gww, gvv) = _second_order(lib)
    assert [t.grad_fn.name() for t in firsts] == ["ConvolutionBackwardBackward0"] * 3
    # x's: the transposed convolution of v with r_w (output_padding 1 reaches row 6)
    assert gxx.stride() == (144, 36, 6, 1)
    assert _tree(gxx.grad_fn, 1) == ("ConvolutionBackward0",
                                     ("torch::autograd::AccumulateGrad", None, None))
    # w's: per group conv(r_x^T, v^T) with stride and dilation swapped: (2, 3, 4, 4)
    # each, cat on dim 1 -> (2, 6, 4, 4), transposed -> (6, 2, 4, 4) with strides
    # (16, 96, 4, 1), narrowed to 3x3 twice
    assert tuple(gww.shape) == (6, 2, 3, 3) and gww.stride() == (16, 96, 4, 1)
    assert _tree(gww.grad_fn, 4) == ("SliceBackward0", (("SliceBackward0", (
        ("TransposeBackward0", (("CatBackward0", ("ConvolutionBackward0",
                                                  "ConvolutionBackward0")),)),)),))
    # v's: conv(r_x, w) + conv(x, r_w) + r_b expanded
    assert gvv.stride() == (54, 9, 3, 1)
    assert _tree(gvv.grad_fn, 2) == ("AddBackward0", (
        ("AddBackward0", ("ConvolutionBackward0", "ConvolutionBackward0")), None))


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_conv_transpose2d_second_order_strides_and_graph(lib):
    _, (gxx, gww, gvv) = _second_order(lib, transposed=True)
    # x's: conv(v, r_w), exactly x's size (nothing to narrow)
    assert tuple(gxx.shape) == (2, 4, 6, 6) and gxx.stride() == (144, 36, 6, 1)
    assert gxx.grad_fn.name() == "ConvolutionBackward0"
    # w's: per group conv(v^T, r_x^T): (3, 2, 3, 3) each, cat -> (3, 4, 3, 3), transposed
    assert tuple(gww.shape) == (4, 3, 3, 3) and gww.stride() == (9, 36, 3, 1)
    assert _tree(gww.grad_fn, 2) == ("TransposeBackward0", (
        ("CatBackward0", ("ConvolutionBackward0", "ConvolutionBackward0")),))
    assert gvv.grad_fn.name() == "AddBackward0"


@needs_torch
@pytest.mark.parametrize("transposed", [False, True])
def test_second_order_values_match_torch(transposed):
    ours, theirs = (_second_order(lib, transposed) for lib in (torchlet, torch))
    for a, b in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        assert a.stride() == b.stride()
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_bias_only_second_order_is_the_expanded_bias(lib):
    x = lib.ones((2, 1, 4), dtype=lib.float64, requires_grad=True)
    w = lib.ones((3, 1, 2), dtype=lib.float64, requires_grad=True)
    b = lib.zeros(3, dtype=lib.float64, requires_grad=True)
    y = lib.nn.functional.conv1d(x, w, b)
    v = lib.zeros(tuple(y.shape), dtype=lib.float64, requires_grad=True)
    (gb,) = lib.autograd.grad(y, b, v, create_graph=True)
    r = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    (gv,) = lib.autograd.grad((gb * r).sum(), v, create_graph=True)
    np.testing.assert_array_equal(gv.detach().numpy(), np.broadcast_to(
        np.array([1.0, 2.0, 3.0])[None, :, None], (2, 3, 3)))
    # r viewed as (1, 3, 1) and expanded: no copy
    assert gv.stride() == (0, 1, 0)
    assert _tree(gv.grad_fn, 2) == ("ExpandBackward0", (("ViewBackward0", ("MulBackward0",)),))


# ---------------------------------------------------------------------------------------
# An input with no positions (but samples and channels) is refused


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("shape,reported", [((2, 3, 0), "[2, 3, 1, 0]"),
                                            ((2, 3, 0, 4), "[2, 3, 0, 4]"),
                                            ((2, 3, 4, 4, 0), "[2, 3, 4, 4, 0]")])
def test_input_without_positions_is_refused(lib, transposed, shape, reported):
    nd = len(shape) - 2
    w = lib.ones(((3, 2) if transposed else (2, 3)) + (1,) * nd)
    fn = getattr(lib.nn.functional, f"conv_transpose{nd}d" if transposed else f"conv{nd}d")
    with pytest.raises(RuntimeError, match=r"Only zero batch or zero channel inputs are "
                       r"supported, but got input shape: " + reported.replace("[", r"\[")):
        fn(lib.ones(shape), w, None, 1, 1)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_input_without_samples_or_channels_still_works(lib):
    F = lib.nn.functional
    assert tuple(F.conv2d(lib.ones(0, 3, 4, 4), lib.ones(2, 3, 1, 1)).shape) == (0, 2, 4, 4)
    assert tuple(F.conv2d(lib.ones(2, 0, 4, 4), lib.ones(2, 0, 1, 1)).shape) == (2, 0, 4, 4)


# ---------------------------------------------------------------------------------------
# Layouts: dimensions of size 1, empty outputs, ambiguous weights


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_size_one_dimensions_have_contiguous_strides(lib, one_thread):
    x = lib.ones((3, 1, 4), requires_grad=True)
    w = lib.ones((1, 1, 2), requires_grad=True)
    y = lib.nn.functional.conv1d(x, w, stride=2, dilation=2)
    gx, gw = lib.autograd.grad(y, (x, w), lib.ones_like(y))
    assert (y.stride(), gx.stride(), gw.stride()) == ((1, 1, 1), (4, 4, 1), (2, 2, 1))
    x = lib.ones((1, 1, 3), requires_grad=True)
    w = lib.ones((2, 1, 3), requires_grad=True)
    y = lib.nn.functional.conv1d(x, w, padding=1, stride=2)
    (gx,) = lib.autograd.grad(y, x, lib.ones_like(y))
    assert (y.stride(), gx.stride()) == ((4, 2, 1), (3, 3, 1))


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_empty_channels_last_output_has_torch_strides(lib, one_thread):
    x = lib.ones((1, 6, 3, 2, 4))
    w = lib.ones((6, 2, 1, 1, 3)).contiguous(memory_format=lib.channels_last_3d)
    # height (2 - 1) - 2 + 0 + 1 = 0: oneDNN's channels_last_3d, the strides of the dims
    # slower than the empty one 0
    y = lib.nn.functional.conv_transpose3d(x, w, None, (1, 1, 2), (0, 1, 1), 0, 3)
    assert tuple(y.shape) == (1, 6, 3, 0, 7) and y.stride() == (0, 1, 0, 42, 6)


def _weight_grad_stride(lib, x_shape, w_shape, w_strides=None, transposed=False,
                        dilation=1, dtype="float64"):
    x = lib.ones(x_shape, dtype=getattr(lib, dtype)).contiguous(
        memory_format=lib.channels_last).requires_grad_()
    w = lib.ones(w_shape, dtype=getattr(lib, dtype))
    if w_strides is not None:
        w = w.contiguous(memory_format=lib.channels_last).as_strided(w_shape, w_strides)
    w.requires_grad_()
    F = lib.nn.functional
    y = (F.conv_transpose2d(x, w, dilation=dilation) if transposed else
         F.conv2d(x, w, dilation=dilation))
    gw = lib.autograd.grad(y, w, lib.ones_like(y), retain_graph=True)[0]
    gw2 = lib.autograd.grad(y, w, lib.ones_like(y), create_graph=True)[0]
    assert gw2.stride() == gw.stride()
    return gw.stride()


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_ambiguous_weight_gradient_layout(lib, one_thread):
    # a channels_last input; the weight contiguous and channels_last at once: torch's slow
    # kernels lay the gradient out as the weight suggests (contiguous) ...
    assert _weight_grad_stride(lib, (3, 2, 5, 5), (2, 1, 2, 3), transposed=True) == (6, 6, 3, 1)
    assert _weight_grad_stride(lib, (3, 3, 5, 5), (4, 3, 1, 1)) == (3, 1, 1, 1)
    assert _weight_grad_stride(lib, (1, 2, 5, 5), (2, 1, 2, 3), transposed=True,
                               dtype="float32") == (6, 6, 3, 1)
    # ... the dilated kernel and oneDNN channels_last
    assert _weight_grad_stride(lib, (3, 3, 5, 5), (4, 3, 1, 1), dilation=2) == (3, 1, 3, 3)
    assert _weight_grad_stride(lib, (3, 3, 5, 5), (4, 3, 3, 3), dtype="float32") == (27, 1, 9, 3)
    # not ambiguous: channels_last
    assert _weight_grad_stride(lib, (3, 3, 5, 5), (4, 3, 3, 3)) == (27, 1, 9, 3)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_odd_strided_weight_gradient_is_refused_by_slow_kernels(lib, one_thread):
    # channels_last by its dims of size over 1, but suggesting contiguous (the batch
    # stride 5): the gradient, laid out contiguous, is not channels_last
    with pytest.raises(RuntimeError, match="slow_conv2d: grad_weight must be contiguous"):
        _weight_grad_stride(lib, (2, 3, 5, 5), (1, 3, 3, 3), (5, 1, 9, 3))
    with pytest.raises(RuntimeError, match="grad_weight needs to be contiguous"):
        _weight_grad_stride(lib, (2, 2, 6, 5), (2, 3, 2, 1), (6, 1, 3, 5), transposed=True)
    # the dilated kernel computes it (channels_last); so does the input's gradient alone
    assert _weight_grad_stride(lib, (2, 3, 5, 5), (1, 3, 3, 3), (5, 1, 9, 3),
                               dilation=2) == (27, 1, 9, 3)
    x = lib.ones((2, 3, 5, 5), dtype=lib.float64).contiguous(
        memory_format=lib.channels_last).requires_grad_()
    w = lib.ones((1, 3, 3, 3), dtype=lib.float64).as_strided((1, 3, 3, 3), (5, 1, 9, 3))
    y = lib.nn.functional.conv2d(x, w)
    assert lib.autograd.grad(y, x, lib.ones_like(y))[0].stride() == (75, 1, 15, 3)


# ---------------------------------------------------------------------------------------
# A small derandomized sample against torch: values, strides, requires_grad and graphs
# of first- and second-order gradients


def _case(rng):
    nd = int(rng.integers(1, 4))
    tr = bool(rng.random() < 0.5)
    groups = int(rng.choice([1, 1, 2, 3]))
    k = tuple(int(rng.integers(1, 4)) for _ in range(nd))
    s = tuple(int(rng.integers(1, 3)) for _ in range(nd))
    d = tuple(int(rng.integers(1, 3)) for _ in range(nd))
    return dict(
        nd=nd, tr=tr, groups=groups, k=k, s=s, d=d,
        cin=groups * int(rng.integers(1, 3)), cout=groups * int(rng.integers(1, 3)),
        p=tuple(int(rng.integers(0, 2)) for _ in range(nd)),
        sp=tuple((k[i] - 1) * d[i] + int(rng.integers(1, 5)) for i in range(nd)),
        op=tuple(int(rng.integers(0, max(s[i], d[i]))) for i in range(nd)),
        n=int(rng.choice([1, 2, 3])), bias=bool(rng.random() < 0.7),
        xcl=nd >= 2 and bool(rng.random() < 0.35), wcl=nd >= 2 and bool(rng.random() < 0.25),
        dtype=str(rng.choice(["float64", "float64", "float32"])), vrg=bool(rng.random() < 0.6),
        use=[bool(rng.random() < 0.7) for _ in range(3)],
        wrt=[bool(rng.random() < 0.7) for _ in range(3)], seed=int(rng.integers(1 << 30)))


def _run(lib, c):
    r = np.random.default_rng(c["seed"])
    nd, dt = c["nd"], getattr(lib, c["dtype"])
    fmt = lib.channels_last if nd == 2 else lib.channels_last_3d
    x = lib.tensor(r.standard_normal((c["n"], c["cin"]) + c["sp"]), dtype=dt)
    w = lib.tensor(r.standard_normal(((c["cin"], c["cout"] // c["groups"]) if c["tr"] else
                                      (c["cout"], c["cin"] // c["groups"])) + c["k"]), dtype=dt)
    if c["xcl"]:
        x = x.contiguous(memory_format=fmt)
    if c["wcl"]:
        w = w.contiguous(memory_format=fmt)
    x.requires_grad_()
    w.requires_grad_()
    b = lib.tensor(r.standard_normal(c["cout"]), dtype=dt, requires_grad=True) \
        if c["bias"] else None
    F = lib.nn.functional
    if c["tr"]:
        y = getattr(F, f"conv_transpose{nd}d")(x, w, b, c["s"], c["p"], c["op"], c["groups"],
                                               c["d"])
    else:
        y = getattr(F, f"conv{nd}d")(x, w, b, c["s"], c["p"], c["d"], c["groups"])
    v = lib.tensor(r.standard_normal(tuple(y.shape)), dtype=dt).requires_grad_(c["vrg"])
    firsts = lib.autograd.grad(y, [x, w] + ([b] if c["bias"] else []), v, create_graph=True)
    out = [y, *firsts]
    terms = [(g * lib.tensor(r.standard_normal(tuple(g.shape)), dtype=dt)).sum()
             for g, u in zip(firsts, c["use"]) if u]
    wrt = [t for t, m in zip([x, w, v], c["wrt"]) if m and t.requires_grad]
    if terms and wrt:
        out += lib.autograd.grad(sum(terms[1:], terms[0]), wrt, create_graph=True,
                                 allow_unused=True)
    return out


def _outcome(lib, c):
    try:
        return _run(lib, c)
    except RuntimeError as e:
        return type(e).__name__


@needs_torch
def test_sampled_second_order_gradients_match_torch(one_thread):
    rng = np.random.default_rng(2020)
    checked = 0
    for _ in range(40):
        c = _case(rng)
        if not c["tr"]:
            c["op"] = None
        theirs = _outcome(torch, c)
        ours = _outcome(torchlet, c)
        if isinstance(theirs, str):
            assert ours == theirs, c
            continue
        checked += 1
        assert len(ours) == len(theirs), c
        tol = 1e-10 if c["dtype"] == "float64" else 2e-5
        for j, (a, b) in enumerate(zip(ours, theirs)):
            assert (a is None) == (b is None), (c, j)
            if a is None:
                continue
            assert tuple(a.shape) == tuple(b.shape), (c, j)
            assert a.stride() == b.stride(), (c, j)
            assert a.requires_grad == b.requires_grad, (c, j)
            assert _tree(a.grad_fn, 2) == _tree(b.grad_fn, 2), (c, j)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol,
                                       atol=tol, err_msg=str((c, j)))
    assert checked >= 30

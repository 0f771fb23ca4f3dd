"""Convolution and pooling: mismatches found by the s19 differential hunt (conv2).

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


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the exception itself is the answer)
        return type(e).__name__, str(e)
    return "ok", ""


# ---------------------------------------------------------------------------------------
# conv_transpose with a negative output size: oneDNN's message depends on the memory
# format it picks, which a channels_last weight decides as much as the input


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("nd", [2, 3])
@pytest.mark.parametrize("x_cl,w_cl", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_conv_transpose_negative_output_message_follows_either_layout(lib, nd, x_cl, w_cl):
    fmt = lib.channels_last if nd == 2 else lib.channels_last_3d
    x = lib.ones((2, 2) + (3,) * nd)
    w = lib.ones((2, 2) + (2,) * nd)
    if x_cl:
        x = x.contiguous(memory_format=fmt)
    if w_cl:
        w = w.contiguous(memory_format=fmt)
    conv_t = getattr(lib.nn.functional, f"conv_transpose{nd}d")
    expected = ("numel: integer multiplication overflow" if x_cl or w_cl else
                "could not construct a memory descriptor using a format tag")
    with pytest.raises(RuntimeError, match=expected):
        conv_t(x, w, padding=4)  # (3 - 1) - 8 + 1 + 1 = -4 per dimension


# ---------------------------------------------------------------------------------------
# max_unpool2d backward: a contiguous gradient, even for a channels_last input whose
# size-1 dimensions make a view of its indices Fortran-ordered


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("shape", [(1, 2, 2, 1), (1, 3, 1, 2), (2, 3, 4, 4)])
def test_max_unpool2d_gradient_is_contiguous(lib, shape):
    x0 = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)[..., ::-1].copy()
    x = lib.tensor(x0).contiguous(memory_format=lib.channels_last)
    k = (1, 1) if shape[-1] < 4 else (2, 2)
    out, idx = lib.nn.functional.max_pool2d(x, k, return_indices=True)
    y = out.detach().clone().requires_grad_()
    r = lib.nn.functional.max_unpool2d(y, idx, k)
    g0 = np.random.default_rng(0).standard_normal(tuple(r.shape)).astype(np.float32)
    (gy,) = lib.autograd.grad(r, y, lib.tensor(g0))
    assert gy.is_contiguous()
    n, c, h, w = gy.shape
    assert tuple(gy.stride()) == (c * h * w, h * w, w, 1)
    # grad_y = grad at the indices (per plane)
    flat = g0.reshape(n * c, -1)
    expect = np.take_along_axis(flat, idx.numpy().reshape(n * c, -1), 1).reshape(gy.shape)
    np.testing.assert_array_equal(gy.numpy(), expect)


# ---------------------------------------------------------------------------------------
# max_unpool2d of a channels_last input reports the last invalid index in memory order


@pytest.fixture
def one_thread():
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_max_unpool2d_invalid_index_in_memory_order(lib, one_thread):
    # planes of 2x2 values; unpooled to 4x4 (kernel 3, padding 1): 16 is the limit
    idx0 = np.array([[[[0, 9], [21, 18]], [[5, 7], [16, 19]], [[6, 7], [20, 12]]]])
    values = lib.ones(1, 3, 2, 2)
    idx = lib.tensor(idx0)
    # logical (NCHW) order: the last bad one is 20; channels_last order (NHWC): 19
    with pytest.raises(RuntimeError, match="invalid max index: 20 "):
        lib.nn.functional.max_unpool2d(values, idx, 3, None, 1)
    cl = values.contiguous(memory_format=lib.channels_last)
    with pytest.raises(RuntimeError, match="invalid max index: 19 "):
        lib.nn.functional.max_unpool2d(cl, idx, 3, None, 1)
    # (with one thread: torch's parallel loop over planes reports whichever thread's last
    # bad index it stored last, so with several threads its answer varies)


@needs_torch
def test_max_unpool_invalid_index_sampled_against_torch(one_thread):
    for nd in (2, 3):
        for trial in range(12):
            rng = np.random.default_rng(trial)
            batch = [None, 1, 2][trial % 3]
            shape = ((batch,) if batch else ()) + (3,) + (2,) * nd
            i0 = rng.integers(0, int(4 ** nd * 1.3), shape)
            answers = []
            for lib in (torch, torchlet):
                fmt = lib.channels_last if nd == 2 else lib.channels_last_3d
                for x_cl in (0, 1):
                    values, idx = lib.ones(shape), lib.tensor(i0)
                    if batch and x_cl:
                        values = values.contiguous(memory_format=fmt)
                    unpool = getattr(lib.nn.functional, f"max_unpool{nd}d")
                    answers.append(_outcome(lambda v=values, i=idx, u=unpool: u(v, i, 3, None, 1)))
            assert answers[:2] == answers[2:], (nd, trial)


# ---------------------------------------------------------------------------------------
# lp_pool1d multiplies by kernel_size as given: a tuple or list fails as in torch


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("kernel", [(2,), [2]])
def test_lp_pool1d_sequence_kernel_is_a_type_error(lib, kernel):
    name = type(kernel).__name__
    with pytest.raises(TypeError, match=rf"mul\(\): argument 'other' \(position 1\) must be "
                                        rf"Tensor, not {name}"):
        lib.nn.functional.lp_pool1d(lib.ones(1, 1, 4), 2, kernel)


@pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)
def test_lp_pool1d_int_kernel_and_infinite_norm_still_work(lib):
    x = lib.tensor([[[3.0, 4.0, 1.0, 2.0]]])
    np.testing.assert_allclose(lib.nn.functional.lp_pool1d(x, 2, 2).numpy(),
                               [[[5.0, np.sqrt(5.0)]]], rtol=1e-6)
    # the infinite norm is a max pool, taken before the multiplication
    np.testing.assert_array_equal(lib.nn.functional.lp_pool1d(x, float("inf"), (2,)).numpy(),
                                  [[[4.0, 2.0]]])
    # lp_pool2d takes a tuple (its window is the product)
    y = lib.nn.functional.lp_pool2d(lib.tensor([[[[3.0], [4.0]]]]), 2, (2, 1))
    np.testing.assert_allclose(y.numpy(), [[[[5.0]]]], rtol=1e-6)


# ---------------------------------------------------------------------------------------
# A small derandomized sample of convolutions and pools against torch: values, layouts,
# and first- and second-order gradients


def _strides(t):
    return tuple(0 if n == 1 else s for n, s in zip(t.shape, t.stride()))


def _conv_case(rng):
    nd = int(rng.integers(1, 4))
    transposed = bool(rng.random() < 0.4)
    groups = int(rng.choice([1, 2]))
    cin, cout = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k = tuple(int(rng.integers(1, 4)) for _ in range(nd))
    s = tuple(int(rng.integers(1, 3)) for _ in range(nd))
    d = tuple(int(rng.integers(1, 3)) for _ in range(nd))
    p = tuple(int(rng.integers(0, 2)) for _ in range(nd))
    sp = tuple((k[i] - 1) * d[i] + int(rng.integers(1, 4)) for i in range(nd))
    op = tuple(int(rng.integers(0, max(s[i], d[i]))) for i in range(nd)) if transposed else None
    cl = nd >= 2 and bool(rng.random() < 0.4)
    return nd, transposed, groups, cin, cout, k, s, d, p, sp, op, cl


def _run_conv(lib, case, arrays):
    nd, transposed, groups, cin, cout, k, s, d, p, sp, op, cl = case
    x0, w0, b0, g0 = arrays
    x = lib.tensor(x0)
    if cl:
        x = x.contiguous(memory_format=lib.channels_last if nd == 2 else lib.channels_last_3d)
    x.requires_grad_()
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    F = lib.nn.functional
    if transposed:
        out = getattr(F, f"conv_transpose{nd}d")(x, w, b, s, p, op, groups, d)
    else:
        out = getattr(F, f"conv{nd}d")(x, w, b, s, p, d, groups)
    grads = lib.autograd.grad(out, (x, w, b), lib.tensor(g0[tuple(slice(n) for n in
                                                                  out.shape)]),
                              create_graph=True)
    gg = lib.autograd.grad(sum((g * g).sum() for g in grads), (x, w))
    return [out, *grads, *gg]


@needs_torch
def test_sampled_convolutions_match_torch():
    rng = np.random.default_rng(19)
    checked = 0
    for _ in range(24):
        case = _conv_case(rng)
        nd, transposed, groups, cin, cout, k, s, d, p, sp, op, cl = case
        x0 = rng.standard_normal((2, cin) + sp)
        w0 = rng.standard_normal(((cin, cout // groups) if transposed else
                                  (cout, cin // groups)) + k)
        b0 = rng.standard_normal(cout)
        g0 = rng.standard_normal((2, cout) + (16,) * nd)
        try:
            theirs = _run_conv(torch, case, (x0, w0, b0, g0))
        except RuntimeError:  # (an output too small: torchlet's own tests check those)
            with pytest.raises(RuntimeError):
                _run_conv(torchlet, case, (x0, w0, b0, g0))
            continue
        ours = _run_conv(torchlet, case, (x0, w0, b0, g0))
        checked += 1
        for j, (a, b) in enumerate(zip(ours, theirs)):
            assert tuple(a.shape) == tuple(b.shape), case
            # (the layouts of second-order gradients, j >= 4, are torch's internal narrows
            # of larger buffers; only first-order ones are matched)
            assert j >= 4 or _strides(a) == _strides(b), (case, j)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                       atol=1e-10, err_msg=str(case))
    assert checked >= 15


def _run_pool(lib, kind, nd, x0, cl, args, g0):
    x = lib.tensor(x0)
    if cl:
        x = x.contiguous(memory_format=lib.channels_last if nd == 2 else lib.channels_last_3d)
    x.requires_grad_()
    out = getattr(lib.nn.functional, f"{kind}_pool{nd}d")(x, *args)
    g = lib.tensor(g0[tuple(slice(n) for n in out.shape)]).requires_grad_()
    (gx,) = lib.autograd.grad(out, x, g, create_graph=True)
    (gg,) = lib.autograd.grad(gx, g, lib.tensor(x0) * 0.5 + 1)
    return out, gx, gg


@needs_torch
def test_sampled_pools_match_torch():
    rng = np.random.default_rng(1919)
    checked = 0
    for _ in range(36):
        kind = str(rng.choice(["max", "avg", "adaptive_max", "adaptive_avg"]))
        nd = int(rng.integers(1, 4))
        sp = tuple(int(rng.integers(2, 7)) for _ in range(nd))
        x0 = np.round(rng.standard_normal((2, 3) + sp) * 2)  # (ties)
        k = tuple(int(rng.integers(1, 4)) for _ in range(nd))
        s = tuple(int(rng.integers(1, 3)) for _ in range(nd))
        p = tuple(int(rng.integers(0, k[i] // 2 + 1)) for i in range(nd))
        ceil = bool(rng.random() < 0.5)
        d = tuple(int(rng.integers(1, 3)) for _ in range(nd))
        if kind == "max":
            if any((k[i] - 1) * d[i] + 1 > sp[i] + 2 * p[i] for i in range(nd)):
                continue
            args = (k, s, p, d, ceil)
        elif kind == "avg":
            args = (k, s, p, ceil, bool(rng.random() < 0.5))
        else:
            args = (tuple(int(rng.integers(1, 5)) for _ in range(nd)),)
        cl = nd >= 2 and bool(rng.random() < 0.4)
        g0 = rng.standard_normal((2, 3) + (8,) * nd)
        ours = _run_pool(torchlet, kind, nd, x0, cl, args, g0)
        theirs = _run_pool(torch, kind, nd, x0, cl, args, g0)
        for a, b in zip(ours, theirs):
            assert tuple(a.shape) == tuple(b.shape), (kind, args)
            assert _strides(a) == _strides(b), (kind, args, cl)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12,
                                       atol=1e-12, err_msg=str((kind, args, cl)))
        checked += 1
    assert checked >= 25

"""Session 19 (misc): embedding_bag's scale_grad_by_freq quirk, channel_shuffle's memory
format, pdist's kernel rules (p = 0 with NaN, the inf-norm gradient, torch's summation
order) and pairwise_distance / cosine_similarity / normalize details. Each test states the
expected behaviour by hand and, where torch is installed, compares with it live."""

import math
import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-written expectations still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
F = torchlet.nn.functional


# ---------------------------------------------------------------------------------------
# embedding_bag, scale_grad_by_freq: torch scales the k-th distinct index (sorted) by
# 1 / counts[sorted_indices[k]]


def _bag_grad(lib, idx, offsets, num_rows, grad, **kw):
    w = lib.zeros(num_rows, 1, requires_grad=True)
    out = lib.nn.functional.embedding_bag(lib.tensor(idx), w, lib.tensor(offsets),
                                          scale_grad_by_freq=True, **kw)
    out.backward(lib.tensor(grad))
    return w.grad.numpy().ravel()


BAG_CASES = [
    # (indices, offsets, rows, bag gradients, kwargs, torch's weight gradient by hand)
    ([3, 0, 0, 0, 1, 1, 3], [0, 5], 4, [[1.0], [10.0]], {"mode": "sum"},
     [1, 11 / 3, 0, 11 / 3]),  # sorted 0 0 0 1 1 3 3: all three get 1 / counts[0]
    ([0, 0, 1, 0, 2, 2], [0, 2, 4], 5, [[1.0], [10.0], [100.0]], {"mode": "sum"},
     [4, 10 / 3, 200 / 3, 0, 0]),
    ([3, 0, 0, 0, 1, 1, 3], [0, 5], 4, [[1.0], [10.0]], {"mode": "mean"},
     [3 / 5 / 3, (1 / 5 + 10 / 2) / 3, 0, (1 / 5 + 10 / 2) / 3]),
    # padding entries count: sorted 0 0 0 1 2 gives 1 and 2 the scale 1 / counts[0]
    ([0, 0, 0, 1, 2], [0], 3, [[1.0]], {"mode": "sum", "padding_idx": 0}, [0, 1 / 3, 1 / 3]),
]


@pytest.mark.parametrize("case", BAG_CASES)
def test_embedding_bag_scale_grad_by_freq_by_hand(case):
    idx, offsets, rows, grad, kw, expected = case
    got = _bag_grad(torchlet, idx, offsets, rows, grad, **kw)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    if torch is not None:
        np.testing.assert_allclose(got, _bag_grad(torch, idx, offsets, rows, grad, **kw),
                                   rtol=1e-6)


def _bag_run(lib, c):
    dt = getattr(lib, c["dtype"])
    w = lib.tensor(c["w"], dtype=dt, requires_grad=True)
    psw = lib.tensor(c["psw"], dtype=dt, requires_grad=True) if c["psw"] is not None else None
    out = lib.nn.functional.embedding_bag(
        lib.tensor(c["idx"], dtype=lib.int64), w, lib.tensor(c["off"]), mode=c["mode"],
        scale_grad_by_freq=True, padding_idx=c["pad"], include_last_offset=c["ilo"],
        per_sample_weights=psw)
    grad = lib.tensor(np.arange(out.numel()).reshape(tuple(out.shape)) % 7 - 3.0, dtype=dt)
    out.backward(grad)
    return out.detach().numpy(), w.grad.numpy(), None if psw is None else psw.grad.numpy()


def _bag_configs(count=80):
    rng = np.random.default_rng(19)
    configs = []
    while len(configs) < count:
        n, length, nb = int(rng.integers(1, 8)), int(rng.integers(0, 14)), int(rng.integers(1, 4))
        off = sorted([0] + rng.integers(0, length + 1, nb - 1).tolist())
        ilo = bool(rng.integers(2))
        dtype = ["float32", "float64"][rng.integers(2)]
        pad = [None, 0, -1][rng.integers(3)]
        if ilo and (nb < 2 or (pad is None and dtype == "float32" and off[-1] < length)):
            continue  # torch crashes on no bags, reads past the end on the fbgemm tail
        mode = ["sum", "mean"][rng.integers(2)]
        configs.append(dict(
            idx=rng.integers(0, n, length).tolist(), off=off, ilo=ilo, mode=mode, pad=pad,
            dtype=dtype, w=rng.standard_normal((n, 3)).tolist(),
            psw=rng.standard_normal(length).tolist() if mode == "sum" and rng.integers(2)
            else None))
    return configs


@needs_torch
def test_embedding_bag_scale_grad_by_freq_sampled():
    for c in _bag_configs():
        tol = 1e-5 if c["dtype"] == "float32" else 1e-12
        for ours, theirs in zip(_bag_run(torchlet, c), _bag_run(torch, c)):
            if theirs is None:
                assert ours is None
            else:
                np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, err_msg=str(c))


# ---------------------------------------------------------------------------------------
# channel_shuffle: channels_last(_3d) inputs give channels_last(_3d) results


def _shuffled_channels(x: np.ndarray, groups: int) -> np.ndarray:
    n, c = x.shape[:2]
    return x.reshape(n, groups, c // groups, *x.shape[2:]).swapaxes(1, 2).reshape(x.shape)


LAYOUTS = [
    ((2, 4, 3, 5), "channels_last", (60, 1, 20, 4)),
    ((1, 4, 3, 5), "channels_last", (60, 1, 20, 4)),
    ((2, 4, 3, 5, 2), "channels_last_3d", (120, 1, 40, 8, 4)),
    ((2, 4, 3, 5), "contiguous_format", (60, 15, 5, 1)),
]


@pytest.mark.parametrize("shape,fmt,strides", LAYOUTS)
@pytest.mark.parametrize("fn", ["functional", "module", "native"])
def test_channel_shuffle_keeps_channels_last(shape, fmt, strides, fn):
    data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    x = torchlet.tensor(data).contiguous(memory_format=getattr(torchlet, fmt))
    call = {"functional": lambda t: F.channel_shuffle(t, 2),
            "module": lambda t: torchlet.nn.ChannelShuffle(2)(t),
            "native": lambda t: torchlet.native_channel_shuffle(t, 2)}[fn]
    y = call(x)
    assert y.stride() == strides
    np.testing.assert_array_equal(y.numpy(), _shuffled_channels(data, 2))
    if torch is not None:
        tx = torch.tensor(data).contiguous(memory_format=getattr(torch, fmt))
        ty = {"functional": lambda t: torch.nn.functional.channel_shuffle(t, 2),
              "module": lambda t: torch.nn.ChannelShuffle(2)(t),
              "native": lambda t: torch.native_channel_shuffle(t, 2)}[fn](tx)
        assert ty.stride() == y.stride()


def test_channel_shuffle_gradient_follows_the_gradient_layout():
    x = torchlet.arange(120.0).reshape(2, 4, 3, 5).requires_grad_()
    y = F.channel_shuffle(x, 2)
    grad = torchlet.arange(120.0).reshape(2, 4, 3, 5).contiguous(
        memory_format=torchlet.channels_last)
    (g,) = torchlet.autograd.grad(y, x, grad)
    assert g.stride() == (60, 1, 20, 4)  # the inverse shuffle of a channels_last gradient
    np.testing.assert_array_equal(g.numpy(), _shuffled_channels(grad.numpy(), 2))
    if torch is not None:
        tx = torch.arange(120.0).reshape(2, 4, 3, 5).requires_grad_()
        tg = torch.arange(120.0).reshape(2, 4, 3, 5).contiguous(
            memory_format=torch.channels_last)
        (expected,) = torch.autograd.grad(torch.nn.functional.channel_shuffle(tx, 2), tx, tg)
        assert expected.stride() == g.stride()


def test_channel_shuffle_of_an_empty_input_keeps_its_strides():
    for shape, strides in (((0, 4, 3, 5), (60, 1, 20, 4)), ((2, 4, 3, 0), (0, 1, 0, 4))):
        x = torchlet.zeros(shape).contiguous(memory_format=torchlet.channels_last)
        assert F.channel_shuffle(x, 2).stride() == strides  # torch returns an alias
        if torch is not None:
            tx = torch.zeros(shape).contiguous(memory_format=torch.channels_last)
            assert torch.nn.functional.channel_shuffle(tx, 2).stride() == strides


# ---------------------------------------------------------------------------------------
# pdist


def test_pdist_p0_with_nan_is_nan():
    x = torchlet.tensor([[1.0, math.nan], [1.0, 2.0]])
    for p in (0, 1, 2, math.inf):  # the kernel's p = 0 adds min(ceil(|d|), 1): NaN stays
        assert math.isnan(F.pdist(x, p).item())
    assert F.pdist(torchlet.tensor([[1.0, 5.0], [1.0, 2.0]]), 0).item() == 1.0
    if torch is not None:
        assert math.isnan(torch.nn.functional.pdist(torch.tensor([[1.0, math.nan],
                                                                  [1.0, 2.0]]), 0).item())


def test_pdist_inf_norm_gradient_at_infinity():
    # diff (inf, 0), dist inf: |inf| - inf is NaN in torch's kernel, so that entry is NaN
    x = torchlet.tensor([[math.inf, 0.0], [0.0, 0.0]], requires_grad=True)
    F.pdist(x, math.inf).backward(torchlet.tensor([2.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [[math.nan, 0.0], [math.nan, 0.0]])
    if torch is not None:
        tx = torch.tensor([[math.inf, 0.0], [0.0, 0.0]], requires_grad=True)
        torch.nn.functional.pdist(tx, math.inf).backward(torch.tensor([2.0]))
        np.testing.assert_array_equal(tx.grad.numpy(), x.grad.numpy())


def test_pdist_p1_gradient_by_hand():
    x = torchlet.tensor([[0.0, 0.0], [1.0, 3.0], [2.0, -1.0]], requires_grad=True)
    y = F.pdist(x, 1)
    np.testing.assert_array_equal(y.detach().numpy(), [4, 3, 5])
    y.backward(torchlet.tensor([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [[-11, 9], [-99, 101], [110, -110]])


def test_pdist_sums_in_torch_order():
    # 9 float32 columns: lanes 0..7 then column 8 added to lane 0, lanes combined as a tree
    # (lane i with i + 4, + 2, + 1): 1e8 + 4 + (8 + 8) + 8 = 100000024, where adding the
    # 4s one after another to 1e8 loses every one of them
    row = np.array([1e8, 4, 4, 4, 4, 4, 4, 4, 4], np.float32)
    x = torchlet.tensor(np.stack([row, np.zeros(9, np.float32)]))
    lanes = row[:8].copy()
    lanes[0] += row[8]
    tree = lanes[:4] + lanes[4:]
    tree = tree[:2] + tree[2:]
    expected = tree[0] + tree[1]
    assert expected == np.float32(100000024) != np.cumsum(row)[-1]
    assert F.pdist(x, 1).item() == expected
    if torch is not None:
        assert torch.nn.functional.pdist(torch.tensor(x.numpy()), 1).item() == expected


@needs_torch
def test_pdist_sampled():
    rng = np.random.default_rng(1919)
    for trial in range(120):
        n, m = int(rng.integers(1, 6)), int(rng.integers(0, 20))
        data = rng.standard_normal((n, m))
        if trial % 3 == 0 and data.size:
            data[rng.integers(n), rng.integers(m)] = [math.nan, math.inf, -math.inf][trial % 9 // 3]
        if n > 1 and trial % 4 == 1:
            data[1] = data[0]
        p = [0, 0.5, 1, 1.5, 2, 3, math.inf][trial % 7]
        dtype = ["float32", "float64"][trial % 2]
        grad = rng.standard_normal(n * (n - 1) // 2)
        results = []
        for lib in (torchlet, torch):
            x = lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=True)
            y = lib.nn.functional.pdist(x, p)
            (g,) = lib.autograd.grad(y, x, lib.tensor(grad, dtype=getattr(lib, dtype)))
            results.append((y.detach().numpy(), g.numpy()))
        (y1, g1), (y2, g2) = results
        if p in (0, 1, 2, math.inf):  # no pow: torch's order of additions, bit for bit
            np.testing.assert_array_equal(y1, y2)
            np.testing.assert_array_equal(g1, g2)
        else:
            tol = 1e-5 if dtype == "float32" else 1e-12
            np.testing.assert_allclose(y1, y2, rtol=tol, atol=tol)
            np.testing.assert_allclose(g1, g2, rtol=1e-4 if dtype == "float32" else 1e-10,
                                       atol=tol)


# ---------------------------------------------------------------------------------------
# pairwise_distance, cosine_similarity, normalize


def test_pairwise_distance_node_is_at_norm():
    a = torchlet.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    b = torchlet.tensor([[4.0, 6.0], [0.0, 0.0]])
    for p in (2, 1, 0, math.inf):
        y = F.pairwise_distance(a, b, p)
        assert y.grad_fn.name() == "NormBackward1"
        assert y.grad_fn.next_functions[0][0].name() == "AddBackward1"
    y = F.pairwise_distance(a, b)
    np.testing.assert_allclose(y.detach().numpy(), [math.hypot(3 - 1e-6, 4 - 1e-6),
                                                    1e-6 * math.sqrt(2)], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [[-0.6, -0.8], [0.5 ** 0.5] * 2], rtol=1e-5)
    if torch is not None:
        ta = torch.tensor([[1.0, 2.0], [0.0, 0.0]], requires_grad=True)
        ty = torch.nn.functional.pairwise_distance(ta, torch.tensor(b.numpy()))
        assert ty.grad_fn.name() == "NormBackward1"
        ty.sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


def test_cosine_similarity_integer_message():
    for dtype, word in (("int64", "Long"), ("int32", "Int"), ("bool", "Bool")):
        x = torchlet.ones(3, dtype=getattr(torchlet, dtype))
        with pytest.raises(RuntimeError, match=f"yet common dtype is {word}$"):
            F.cosine_similarity(x, x, dim=0)
        if torch is not None:
            tx = torch.ones(3, dtype=getattr(torch, dtype))
            with pytest.raises(RuntimeError, match=f"yet common dtype is {word}$"):
                torch.nn.functional.cosine_similarity(tx, tx, dim=0)


def test_normalize_out_goes_through_div():
    x = torchlet.tensor([3.0, 4.0])
    for lib, src in ((torchlet, x), (torch, None)):
        if lib is None:
            continue
        src = lib.tensor([3.0, 4.0])
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the "
                                               "desired output type Long"):
            lib.nn.functional.normalize(src, dim=0, out=lib.zeros(2, dtype=lib.int64))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.nn.functional.normalize(src.clone().requires_grad_(), dim=0, out=lib.zeros(2))
        out = lib.zeros(2, dtype=lib.float64)
        assert lib.nn.functional.normalize(src, dim=0, out=out) is out
        np.testing.assert_allclose(out.numpy(), [0.6, 0.8], rtol=1e-7)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = lib.zeros(1)
            lib.nn.functional.normalize(src, dim=0, out=out)  # resized, with a warning
        assert out.shape == (2,) and caught


@needs_torch
def test_distance_functions_sampled():
    rng = np.random.default_rng(190)
    for trial in range(80):
        fn = ["pairwise_distance", "cosine_similarity", "normalize"][trial % 3]
        shape = tuple(int(s) for s in rng.integers(1, 4, int(rng.integers(1, 4))))
        a, b = rng.standard_normal(shape), rng.standard_normal(shape)
        if trial % 5 == 0:
            b = a.copy()
        dtype = ["float32", "float64"][trial % 2]
        dim = int(rng.integers(-len(shape), len(shape)))
        kw = {"pairwise_distance": {"p": [2, 1, 0, 3, math.inf][trial % 5],
                                    "keepdim": bool(trial % 2)},
              "cosine_similarity": {"dim": dim},
              "normalize": {"p": [2, 1, 3][trial % 3], "dim": dim}}[fn]
        results = []
        for lib in (torchlet, torch):
            ta = lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=True)
            tb = lib.tensor(b, dtype=getattr(lib, dtype), requires_grad=True)
            f = getattr(lib.nn.functional, fn)
            y = f(ta, **kw) if fn == "normalize" else f(ta, tb, **kw)
            grad = lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)),
                              dtype=y.dtype)
            grads = lib.autograd.grad(y, [ta, tb], grad, allow_unused=True)
            results.append((y.detach().numpy(), y.grad_fn.name(),
                            [None if g is None else g.numpy() for g in grads]))
        tol = 1e-5 if dtype == "float32" else 1e-11
        (y1, n1, g1), (y2, n2, g2) = results
        assert n1 == n2
        np.testing.assert_allclose(y1, y2, rtol=tol, atol=tol)
        for u, v in zip(g1, g2):
            assert (u is None) == (v is None)
            if u is not None:
                np.testing.assert_allclose(u, v, rtol=tol, atol=tol)

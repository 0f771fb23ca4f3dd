"""Public API gaps filled in session 18: the *_copy functions, frobenius_norm/nuclear_norm,
the functional RNNs (torch.lstm_cell, torch.lstm, ...), torch.ctc_loss / grid_sampler /
affine_grid_generator / conv_tbc, torch.nn.grad, nn.Container, nn.common_types,
F.linear_cross_entropy / nn.LinearCrossEntropyLoss, the autocast state functions,
torch.empty_permuted, torch.OutOfMemoryError / AcceleratorError, torch.GradScaler.

Each test checks a hand-derived expectation, and compares with torch when it is installed.
"""

import warnings

import numpy as np
import pytest

import torchlet

try:
    import torch
except ImportError:  # the hand-derived checks still run
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _both(fn, *arrays, grad=True):
    """fn(lib, *tensors) on torch and torchlet: (results, grads, grad_fn names) each."""
    out = []
    for lib in (torch, torchlet):
        ts = [lib.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        r = fn(lib, *ts)
        rs = r if isinstance(r, tuple) else (r,)
        names = [o.grad_fn.name() if o.grad_fn is not None else None for o in rs]
        grads = []
        if grad:
            wanted = [t for t in ts if t.requires_grad]
            w = [lib.tensor(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape)),
                            dtype=o.dtype) for o in rs]
            loss = sum((o * wi).sum() for o, wi in zip(rs, w))
            found = lib.autograd.grad(loss, wanted, allow_unused=True)
            grads = [np.zeros(0) if g is None else g.numpy() for g in found]
        out.append(([o.detach().numpy() for o in rs], grads, names,
                    [(tuple(o.shape), o.stride(), str(o.dtype)) for o in rs]))
    return out


def _assert_same(pair, rtol=1e-12, atol=1e-12):
    (r1, g1, n1, m1), (r2, g2, n2, m2) = pair
    assert n1 == n2
    assert m1 == m2
    for a, b in zip(r1 + g1, r2 + g2, strict=True):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------
# *_copy


def test_transpose_copy_hand():
    x = torchlet.arange(6.0).reshape(2, 3).requires_grad_()
    y = torchlet.transpose_copy(x, 0, 1)
    assert y.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert y.stride() == (2, 1) and y.is_contiguous()
    assert y.grad_fn.name() == "TransposeBackward0_copy"
    assert y.grad_fn.next_functions[0][0] is not None  # straight to x's AccumulateGrad
    assert y.data_ptr() != x.data_ptr()
    y.add_(1)  # not a view: x unchanged
    assert x.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    (g,) = torchlet.autograd.grad(torchlet.transpose_copy(x, 0, 1)[0, 1], x)
    assert g.tolist() == [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]


def test_copy_variants_hand():
    x = torchlet.arange(12.0).reshape(3, 4)
    assert torchlet.view_copy(x.t(), (12,)).tolist() == x.t().reshape(12).tolist()
    assert torchlet.select_copy(x, 1, -1).tolist() == [3.0, 7.0, 11.0]
    assert torchlet.slice_copy(x, 1, 1, 100, 2).tolist() == [[1, 3], [5, 7], [9, 11]]
    assert torchlet.slice_copy(x, 1, 3, 1).shape == (3, 0)
    assert [t.tolist() for t in torchlet.split_copy(x, 3, 1)] == [
        [[0, 1, 2], [4, 5, 6], [8, 9, 10]], [[3], [7], [11]]]
    assert torchlet.expand_copy(torchlet.ones(3, 1), (-1, 2)).stride() == (2, 1)
    assert torchlet.unsqueeze_copy(x, 1).stride() == (4, 4, 1)
    with pytest.raises(RuntimeError, match="slice step must be positive"):
        torchlet.slice_copy(x, 1, 0, 4, 0)
    with pytest.raises(IndexError):
        torchlet.transpose_copy(x, 0, 5)
    with pytest.raises(TypeError):
        torchlet.split_copy(x, [1, 2])
    with pytest.raises(RuntimeError, match="invalid for input of size 12"):
        torchlet.view_copy(x, (5,))


def test_detach_copy_not_implemented_node():
    x = torchlet.ones(3, requires_grad=True)
    y = torchlet.detach_copy(x)
    assert y.requires_grad and y.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::detach_copy is not impl"):
        y.sum().backward()
    with torchlet.no_grad():
        assert not torchlet.detach_copy(x).requires_grad


_COPY_CASES = [
    ("view_copy", ((4, -1),)), ("transpose_copy", (0, 2)), ("permute_copy", ((2, 0, 1),)),
    ("expand_copy", ((2, 3, 4, 5),)), ("squeeze_copy", ()), ("squeeze_copy", (1,)),
    ("unsqueeze_copy", (1,)), ("select_copy", (1, -2)), ("slice_copy", (2, None, None, 2)),
    ("diagonal_copy", (1, 2, 0)), ("alias_copy", ()), ("as_strided_copy", ((3, 3), (1, 1), 2)),
    ("unfold_copy", (1, 2, 1)), ("unbind_copy", (1,)), ("split_copy", (2, 2)),
    ("split_with_sizes_copy", ([1, 3], 1)), ("t_copy", ()),
]


@needs_torch
@pytest.mark.parametrize("name,args", _COPY_CASES)
def test_copy_variants_vs_torch(name, args):
    rng = np.random.default_rng(len(name) * 7 + len(args))
    a = rng.standard_normal((3, 4, 5) if name != "t_copy" else (4, 5))
    if name == "squeeze_copy":
        a = a.reshape(3, 1, 4, 5)
    for permuted in (False, True):  # a contiguous and a permuted (non-contiguous) input

        def fn(lib, x, permuted=permuted):
            if permuted:
                x = x.transpose(0, -1).contiguous().transpose(0, -1)
            return getattr(lib, name)(x, *args)

        _assert_same(_both(fn, a))


@needs_torch
def test_copy_out_and_list_out():
    for lib in (torch, torchlet):
        x = lib.arange(12.0).reshape(3, 4)
        o = lib.empty(4, 3)
        assert lib.transpose_copy(x, 0, 1, out=o) is o and o[1, 2].item() == 9.0
        with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float"):
            lib.transpose_copy(x, 0, 1, out=lib.empty(4, 3, dtype=lib.float64))
        outs = [lib.empty(4) for _ in range(3)]
        assert lib.unbind_copy(x, out=outs) is None
        assert outs[2].tolist() == [8.0, 9.0, 10.0, 11.0]


# ---------------------------------------------------------------------------------------
# frobenius_norm, nuclear_norm


def test_frobenius_nuclear_hand():
    x = torchlet.tensor([[3.0, 0.0], [0.0, -4.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = torchlet.frobenius_norm(x, (0, 1))
        n = torchlet.nuclear_norm(x)
    assert f.item() == 5.0 and f.grad_fn.name() == "NormBackward1"
    assert abs(n.item() - 7.0) < 1e-6
    (g,) = torchlet.autograd.grad(f, x)
    assert np.allclose(g.numpy(), [[0.6, 0.0], [0.0, -0.8]])
    with pytest.raises(RuntimeError, match="Expected at most 2 dimensions"):
        torchlet.frobenius_norm(torchlet.ones(2, 2, 2), (0, 1, 2))
    with pytest.raises(RuntimeError, match="input dtype should be either floating"):
        torchlet.frobenius_norm(torchlet.ones(2, 2, dtype=torchlet.int32), (0, 1))


@needs_torch
@pytest.mark.parametrize("call", [
    ("frobenius_norm", ((0, 1),), {}), ("frobenius_norm", ((0, 1), True), {}),
    ("frobenius_norm", (1,), {}), ("frobenius_norm", ((),), {}),
    ("nuclear_norm", (), {}), ("nuclear_norm", (True,), {}),
    ("nuclear_norm", ((0, 2), True), {}), ("nuclear_norm", (), {"dim": (2, 1)}),
])
def test_norms_vs_torch(call):
    name, args, kw = call
    a = np.random.default_rng(1).standard_normal((3, 4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same(_both(lambda lib, x: getattr(lib, name)(x, *args, **kw), a),
                     rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------------------
# functional RNNs


def test_rnn_tanh_cell_hand():
    x = torchlet.tensor([[1.0, 2.0]])
    h = torchlet.tensor([[0.5]])
    w_ih, w_hh = torchlet.tensor([[0.1, 0.2]]), torchlet.tensor([[0.3]])
    b_ih, b_hh = torchlet.tensor([0.05]), torchlet.tensor([-0.1])
    out = torchlet.rnn_tanh_cell(x, h, w_ih, w_hh, b_ih, b_hh)
    assert abs(out.item() - np.tanh(0.1 + 0.4 + 0.15 + 0.05 - 0.1)) < 1e-6
    with pytest.raises(TypeError, match="must be tuple of Tensors"):
        torchlet.lstm_cell(x, h, w_ih, w_hh)
    with pytest.raises(RuntimeError, match="lstm_cell expects two hidden states"):
        torchlet.lstm_cell(x, (h,), w_ih, w_hh)


@needs_torch
@pytest.mark.parametrize("name,chunks", [("lstm_cell", 4), ("gru_cell", 3),
                                         ("rnn_tanh_cell", 1), ("rnn_relu_cell", 1)])
def test_cells_vs_torch(name, chunks):
    rng = np.random.default_rng(chunks)
    arrays = [rng.standard_normal(s) for s in
              ((3, 4), (3, 5), (3, 5), (chunks * 5, 4), (chunks * 5, 5), (chunks * 5,),
               (chunks * 5,))]

    def fn(lib, x, h, c, w_ih, w_hh, b_ih, b_hh):
        hx = (h, c) if name == "lstm_cell" else h
        return getattr(lib, name)(x, hx, w_ih, w_hh, b_ih, b_hh)

    _assert_same(_both(fn, *arrays), rtol=1e-10, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("config", [(1, False, False, True, False, 0),
                                    (2, True, True, True, False, 0),
                                    (2, False, True, False, False, 0),
                                    (1, True, False, True, True, 0),
                                    (2, False, False, True, False, 2)])
def test_sequence_rnns_vs_torch(mode, config):
    layers, bidirectional, batch_first, bias, packed, proj = config
    if proj and mode != "lstm":
        pytest.skip("projections are LSTM's")
    torch.manual_seed(0)
    kw = {"proj_size": proj} if proj else {}
    if mode == "rnn_relu":
        kw["nonlinearity"] = "relu"
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}.get(mode, torch.nn.RNN)
    m = cls(4, 5, layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional,
            **kw).double()
    params = [p.detach().numpy() for p in m._flat_weights]
    rng = np.random.default_rng(layers * 10 + bidirectional)
    x = rng.standard_normal((3, 7, 4) if batch_first else (7, 3, 4))
    stacks = layers * (2 if bidirectional else 1)
    h0, c0 = rng.standard_normal((stacks, 3, proj or 5)), rng.standard_normal((stacks, 3, 5))

    def fn(lib, x, h, c, *ps):
        hx = (h, c) if mode == "lstm" else h
        f = getattr(lib, mode)
        if packed:
            pk = lib.nn.utils.rnn.pack_padded_sequence(x, [7, 5, 2], batch_first=batch_first)
            return f(pk.data, pk.batch_sizes, hx, list(ps), bias, layers, 0.0, False,
                     bidirectional)
        return f(x, hx, list(ps), bias, layers, 0.0, False, bidirectional, batch_first)

    pair = _both(fn, x, h0, c0, *params)
    for side in pair:  # the layers' grad_fns differ (torch: MkldnnRnnLayerBackward0, ...)
        side[2][:] = []
    _assert_same(pair, rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------------------
# ctc_loss, grid_sampler, affine_grid_generator, conv_tbc


def test_conv_tbc_hand():
    x = torchlet.arange(4.0).reshape(4, 1, 1)  # time 0..3
    w = torchlet.tensor([1.0, 10.0]).reshape(2, 1, 1)
    out = torchlet.conv_tbc(x, w, torchlet.tensor([0.5]), 1)  # pads one zero step each end
    assert out.reshape(-1).tolist() == [0.5, 10.5, 21.5, 32.5, 3.5]
    assert out.grad_fn is None
    assert torchlet.conv_tbc(x[:1], w, torchlet.zeros(1)).shape == (0, 1, 1)
    with pytest.raises(RuntimeError, match="Input must have 3 dims"):
        torchlet.conv_tbc(x[0], w, torchlet.zeros(1))
    with pytest.raises(RuntimeError, match="Bias size must equal dim 2"):
        torchlet.conv_tbc(x, w, torchlet.zeros(2))


@needs_torch
@pytest.mark.parametrize("shape", [(7, 2, 3, 4, 3, 1), (7, 2, 3, 4, 3, -1), (2, 2, 3, 4, 3, 0),
                                   (3, 2, 2, 3, 4, 2)])
def test_conv_tbc_vs_torch(shape):
    t, b, ci, co, k, pad = shape
    rng = np.random.default_rng(t + pad)
    arrays = [rng.standard_normal(s) for s in ((t, b, ci), (k, ci, co), (co,))]
    _assert_same(_both(lambda lib, x, w, bias: lib.conv_tbc(x, w, bias, pad), *arrays),
                 rtol=1e-10, atol=1e-10)
    # double backward through ConvTbcBackward0
    res = []
    for lib in (torch, torchlet):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = lib.conv_tbc(*ts, pad)
        if out.numel() == 0:
            return
        gs = lib.autograd.grad((out * out).sum(), ts, create_graph=True)
        res.append([g.numpy() for g in lib.autograd.grad(sum((g * g).sum() for g in gs), ts)])
    for a, b_ in zip(*res, strict=True):
        np.testing.assert_allclose(b_, a, rtol=1e-9, atol=1e-9)


def test_ctc_loss_int_reduction_hand():
    lp = torchlet.full((1, 1, 2), float(np.log(0.5)))  # T=1, C=2: blank or label 1
    t = torchlet.tensor([[1]])
    loss = torchlet.ctc_loss(lp, t, [1], [1], 0, 2)
    assert abs(loss.item() - np.log(2)) < 1e-6
    with pytest.raises(TypeError):
        torchlet.ctc_loss(lp, t, [1], [1], 0, "mean")


@needs_torch
@pytest.mark.parametrize("reduction", [None, 0, 1, 2, 5])
def test_ctc_loss_vs_torch(reduction):
    lp0 = np.random.default_rng(3).standard_normal((6, 2, 4))
    targets = np.array([[1, 2], [3, 3]])

    def fn(lib, lp, tg):
        lp = lp.log_softmax(2)
        extra = () if reduction is None else (reduction, True)
        return lib.ctc_loss(lp, tg, [6, 5], [2, 2], 0, *extra)

    _assert_same(_both(fn, lp0, targets), rtol=1e-9, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("dims,mode,padding,align", [
    (4, 0, 0, False), (4, 1, 1, True), (4, 2, 2, False), (5, 0, 2, True), (5, 1, 0, False)])
def test_grid_sampler_vs_torch(dims, mode, padding, align):
    rng = np.random.default_rng(dims * 10 + mode)
    x = rng.standard_normal((2, 3, 5, 6) if dims == 4 else (1, 2, 3, 4, 5))
    g = rng.uniform(-1.2, 1.2, (2, 4, 4, 2) if dims == 4 else (1, 2, 2, 3, 3))
    for name in ("grid_sampler", f"grid_sampler_{dims - 2}d"):
        _assert_same(_both(lambda lib, x, g, name=name: getattr(lib, name)(
            x, g, mode, padding, align), x, g), rtol=1e-10, atol=1e-10)
    other = f"grid_sampler_{7 - dims}d"  # (the other dimensionality)
    with pytest.raises(RuntimeError, match="expected .D input and grid"):
        getattr(torchlet, other)(torchlet.tensor(x), torchlet.tensor(g), 0, 0, False)


@needs_torch
@pytest.mark.parametrize("size,align", [((2, 3, 4, 5), False), ((2, 3, 1, 5), True),
                                        ((2, 3, 2, 4, 5), True)])
def test_affine_grid_generator_vs_torch(size, align):
    th = np.random.default_rng(len(size)).standard_normal((2, 2, 3) if len(size) == 4
                                                         else (2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither warns
        _assert_same(_both(lambda lib, t: lib.affine_grid_generator(t, size, align), th))
    with pytest.raises(RuntimeError, match="needs 4d"):
        torchlet.affine_grid_generator(torchlet.tensor(th), (2, 3, 4), False)


# ---------------------------------------------------------------------------------------
# torch.nn.grad


def test_nn_grad_hand():
    # conv1d with a kernel [1, 2]: d out[i] / d x[i] = 1, d x[i + 1] = 2
    w = torchlet.tensor([[[1.0, 2.0]]])
    go = torchlet.tensor([[[1.0, 1.0]]])
    assert torchlet.nn.grad.conv1d_input((1, 1, 3), w, go).tolist() == [[[1.0, 3.0, 2.0]]]
    x = torchlet.tensor([[[1.0, 2.0, 3.0]]])
    assert torchlet.nn.grad.conv1d_weight(x, (1, 1, 2), go).tolist() == [[[3.0, 5.0]]]
    assert torchlet.nn.functional.grad is torchlet.nn.grad


@needs_torch
@pytest.mark.parametrize("d", [1, 2, 3])
@pytest.mark.parametrize("geometry", [(1, 0, 1, 1), (2, 1, 1, 2), (2, 1, 2, 1)])
def test_nn_grad_vs_torch(d, geometry):
    stride, padding, dilation, groups = geometry
    rng = np.random.default_rng(d * 10 + stride)
    size = 6 if d == 3 else 9
    xs, ws = (2, 4) + (size,) * d, (6, 4 // groups) + (3,) * d
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    res = []
    go = None
    for lib in (torch, torchlet):
        X, W = lib.tensor(x), lib.tensor(w, requires_grad=True)
        out = getattr(lib.nn.functional, f"conv{d}d")(X, W, None, stride, padding, dilation,
                                                     groups)
        go = rng.standard_normal(tuple(out.shape)) if go is None else go
        GO = lib.tensor(go, requires_grad=True)
        gi = getattr(lib.nn.grad, f"conv{d}d_input")(xs, W, GO, stride, padding, dilation,
                                                      groups)
        gw = getattr(lib.nn.grad, f"conv{d}d_weight")(X, ws, GO, stride, padding, dilation,
                                                       groups)
        second = lib.autograd.grad((gi * gi).sum() + (gw * gw).sum(), [W, GO])
        res.append([gi.detach().numpy(), gw.detach().numpy()] + [g.numpy() for g in second])
    for a, b in zip(*res, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------------------------------
# nn.Container, nn.common_types, linear_cross_entropy


def test_container_and_common_types():
    c = torchlet.nn.Container(fc=torchlet.nn.Linear(2, 3), act=torchlet.nn.ReLU())
    assert list(dict(c.named_children())) == ["fc", "act"]
    assert [n for n, _ in c.named_parameters()] == ["fc.weight", "fc.bias"]
    from torchlet.nn.common_types import _size_2_t

    assert int in _size_2_t.__args__


def test_linear_cross_entropy_hand():
    x = torchlet.tensor([[1.0, 0.0]])
    w = torchlet.tensor([[0.0, 0.0], [2.0, 0.0]])  # logits [0, 2]
    loss = torchlet.nn.functional.linear_cross_entropy(x, w, torchlet.tensor([1]))
    assert abs(loss.item() - np.log1p(np.exp(-2.0))) < 1e-6
    assert loss.grad_fn is None
    with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2"):
        torchlet.nn.functional.linear_cross_entropy(x[None], w, torchlet.tensor([1]))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified"):
        torchlet.nn.functional.linear_cross_entropy(x, w, torchlet.tensor([[0.5, 0.5]]),
                                                    ignore_index=1)
    with pytest.raises(ValueError, match="invalid acc_policy"):
        torchlet.nn.LinearCrossEntropyOptions(acc_policy="x")
    with pytest.warns(UserWarning, match="``options`` ignored"):
        torchlet.nn.functional.linear_cross_entropy(
            x, w, torchlet.tensor([1]), label_smoothing=0.1,
            options=torchlet.nn.LinearCrossEntropyOptions())


_LCE_CASES = [((8,), (), False, "mean", 0.0, None, False, False),
              ((8,), (), True, "sum", 0.1, 3, False, True),
              ((), (), True, "none", 0.0, None, False, False),
              ((8,), (2, 3), True, "none", 0.0, None, False, True),
              ((8,), (2,), False, "mean", 0.2, None, True, False)]


@needs_torch
@pytest.mark.parametrize("case", _LCE_CASES)
def test_linear_cross_entropy_vs_torch(case):
    batch, out_features, bias, reduction, smoothing, ignore, probs, class_weight = case
    rng = np.random.default_rng(len(out_features) + len(batch))
    x = rng.standard_normal(batch + (5,))
    w = rng.standard_normal((10,) + out_features + (5,))
    b = rng.standard_normal((10,) + out_features)
    if probs:
        target = np.moveaxis(rng.dirichlet(np.ones(10), size=batch + out_features), -1,
                             len(batch))
    else:
        target = rng.integers(0, 10, batch + out_features)
    cw = rng.uniform(0.5, 2, 10)

    def fn(lib, x, w, b, target, cw):
        kw = {"reduction": reduction, "label_smoothing": smoothing, "ignore_index": ignore}
        if bias:
            kw["linear_bias"] = b
        if class_weight:
            kw["weight"] = cw.detach()
        return lib.nn.functional.linear_cross_entropy(x, w, target.detach(), **kw)

    _assert_same(_both(fn, x, w, b, target, cw), rtol=1e-10, atol=1e-10)


@needs_torch
def test_linear_cross_entropy_loss_module_vs_torch():
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(0)
        m = lib.nn.LinearCrossEntropyLoss(5, 10, out_features=(2,), bias=True)
        x = lib.tensor(np.arange(40.0).reshape(8, 5) / 40, dtype=lib.float32)
        loss = m(x, lib.tensor(np.arange(16).reshape(8, 2) % 10))
        results.append((repr(m), list(m.state_dict()), loss.item(), loss.grad_fn.name()))
    assert results[0][:2] == results[1][:2] and results[0][3] == results[1][3]
    assert abs(results[0][2] - results[1][2]) < 1e-6
    with pytest.raises(RuntimeError, match="expected weight shape"):
        torchlet.nn.LinearCrossEntropyLoss(5, 10, weight=torchlet.ones(3))


# ---------------------------------------------------------------------------------------
# autocast state, empty_permuted, errors, GradScaler


def test_autocast_state_follows_autocast():
    t = torchlet
    assert not t.is_autocast_enabled("cpu") and not t.is_autocast_enabled()
    assert t.get_autocast_dtype("cuda") is t.float16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with t.autocast("cpu", dtype=t.float16):
            assert t.is_autocast_enabled("cpu") and t.get_autocast_dtype("cpu") is t.float16
            with t.autocast("cpu", enabled=False):
                assert not t.is_autocast_enabled("cpu")
            assert t.is_autocast_enabled("cpu")
    assert not t.is_autocast_enabled("cpu")
    assert t.autocast_increment_nesting() == 1 and t.autocast_decrement_nesting() == 0
    t.set_autocast_cache_enabled(False)
    assert not t.is_autocast_cache_enabled()
    t.set_autocast_cache_enabled(True)
    with pytest.warns(DeprecationWarning, match="is_autocast_cpu_enabled"):
        assert t.is_autocast_cpu_enabled() is False
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        t.is_autocast_enabled("xyz")
    with pytest.raises(RuntimeError, match="unknown device type for autocast"):
        t.is_autocast_enabled("meta")
    with pytest.raises(TypeError):
        t.set_autocast_enabled("cpu", 1)


@needs_torch
def test_autocast_state_vs_torch():
    for device in ("cuda", "mps", "xla", "hpu", "cuda:0"):
        assert torchlet.is_autocast_enabled(device) == torch.is_autocast_enabled(device)
    for device in ("cuda", "mps", "ipu", "mtia"):
        assert str(torchlet.get_autocast_dtype(device)) == str(torch.get_autocast_dtype(device))
    for device in ("meta", "lazy"):
        with pytest.raises(RuntimeError):
            torch.get_autocast_dtype(device)
        with pytest.raises(RuntimeError):
            torchlet.get_autocast_dtype(device)


def test_empty_permuted():
    r = torchlet.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1))
    assert r.shape == (2, 3, 5, 7) and r.stride() == (105, 1, 21, 3)
    r = torchlet.empty_permuted((2, 3), (1, 0), dtype=torchlet.int32, requires_grad=False)
    assert r.stride() == (1, 2) and r.dtype is torchlet.int32
    with pytest.raises(RuntimeError, match="Duplicate dim"):
        torchlet.empty_permuted((2, 3), (0, 0))
    with pytest.raises(RuntimeError, match="negative dims not currently supported"):
        torchlet.empty_permuted((2, 3), (1, -1))


def test_errors_and_grad_scaler():
    assert issubclass(torchlet.OutOfMemoryError, RuntimeError)
    assert issubclass(torchlet.AcceleratorError, RuntimeError)
    assert torchlet.GradScaler is torchlet.amp.GradScaler


@needs_torch
def test_names_present_in_torch():
    names = ["view_copy", "transpose_copy", "frobenius_norm", "nuclear_norm", "lstm_cell",
             "lstm", "gru", "rnn_tanh", "rnn_relu", "ctc_loss", "grid_sampler", "conv_tbc",
             "affine_grid_generator", "empty_permuted", "is_autocast_enabled",
             "OutOfMemoryError", "AcceleratorError", "GradScaler"]
    for name in names:
        assert hasattr(torch, name) and hasattr(torchlet, name), name
    for name in ("Container", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions", "grad",
                 "common_types"):
        assert hasattr(torch.nn, name) and hasattr(torchlet.nn, name), name

"""grad_fn._saved_* round 8: nn nodes (huber / soft margin losses, reflection and
replication pads, upsampling, pixel shuffle, unfold / fold, cdist, transposed
convolution), and circular padding's graph: torch's chain of CopySlices and
SliceBackward0 nodes."""

import numpy as np
import pytest

import torchlet
from torchlet.nn._functional.padding import CircularPad, _pairs

F = torchlet.nn.functional
M1, M2 = 2**64 - 1, 2**64 - 2  # -1, -2 as torch shows an int64 attribute


def _x(lib, shape, seed=0, dtype="float32"):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return lib.tensor(a).requires_grad_()


def _show(value):
    if hasattr(value, "shape"):
        return ("T", tuple(value.shape), str(value.dtype).split(".")[-1],
                np.asarray(value.detach().numpy()).tolist())
    return value


def _attrs(node):
    return node.name(), {name: _show(getattr(node, name)) for name in dir(node)
                         if name.startswith("_saved_")}


def _numbers(node):
    """The attributes that are not tensors."""
    return {k: v for k, v in _attrs(node)[1].items() if not isinstance(v, tuple) or
            not v or v[0] != "T"}


# ---------------------------------------------------------------------------------------
# hand-derived: what torch shows


def test_huber_saves_inputs_reduction_delta():
    x, y = _x(torchlet, (3, 4)), _x(torchlet, (3, 4), 1)
    node = F.huber_loss(x, y, reduction="sum", delta=2).grad_fn
    assert node._saved_delta == 2.0 and type(node._saved_delta) is float
    assert node._saved_reduction == 2  # torch's enum: none 0, mean 1, sum 2
    assert node._saved_self.tolist() == x.tolist()
    assert node._saved_target.tolist() == y.tolist()


def test_soft_margin_keeps_target_as_given_and_frees_it():
    x = _x(torchlet, (3, 4))
    t = torchlet.tensor([1, -1, 1, 1])  # broadcast onto x, kept as given (int64)
    out = F.soft_margin_loss(x, t, reduction="none")
    node = out.grad_fn
    assert node._saved_reduction == 0
    assert node._saved_target.shape == (4,) and node._saved_target.dtype == torchlet.int64
    assert node.next_functions[0][0].name() == "torch::autograd::AccumulateGrad"
    assert len(node.next_functions) == 1
    out.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        node._saved_target  # noqa: B018
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        node._saved_self  # noqa: B018
    assert node._saved_reduction == 0  # numbers stay readable
    # the gradient of log(1 + exp(-t x)): -t sigmoid(-t x)
    xv, tv = x.detach().numpy(), np.array([1.0, -1.0, 1.0, 1.0], np.float32)
    np.testing.assert_allclose(x.grad.numpy(), -tv / (1 + np.exp(tv * xv)), rtol=1e-6)


def test_pads_show_their_padding_as_given():
    x = _x(torchlet, (2, 3, 5, 4))
    node = F.pad(x, (1, -2, 0, 3), mode="replicate").grad_fn
    assert node.name() == "ReplicationPad2DBackward0"
    assert node._saved_padding == (1, M2, 0, 3)
    assert node._saved_self.tolist() == x.tolist()
    node = F.pad(_x(torchlet, (2, 3, 5)), (-1, 2), mode="reflect").grad_fn
    assert (node.name(), node._saved_padding) == ("ReflectionPad1DBackward0", (M1, 2))
    node = torchlet.nn.ReflectionPad2d(1)(_x(torchlet, (1, 2, 3, 3))).grad_fn
    assert node._saved_padding == (1, 1, 1, 1)
    # the double backward node shows the padding alone
    x = _x(torchlet, (1, 2, 3, 5, 4))
    out = F.pad(x, (1, 2, 0, 1, 2, 1), mode="reflect")
    g = torchlet.ones(out.shape, requires_grad=True)
    (gx,) = torchlet.autograd.grad(out, x, g, create_graph=True)
    assert _attrs(gx.grad_fn) == ("ReflectionPad3DBackwardBackward0",
                                  {"_saved_padding": (1, 2, 0, 1, 2, 1)})


def test_upsample_nodes_show_size_scales_align_corners():
    x = _x(torchlet, (1, 2, 5, 3))
    node = F.interpolate(x, scale_factor=(2, 1.5), mode="nearest").grad_fn
    assert _numbers(node) == {"_saved_output_size": (10, 4), "_saved_scales_h": 2.0,
                              "_saved_scales_w": 1.5, "_saved_self_sym_sizes": (1, 2, 5, 3)}
    node = F.interpolate(x, size=(4, 6), mode="bilinear", align_corners=True).grad_fn
    assert _numbers(node) == {"_saved_align_corners": True, "_saved_output_size": (4, 6),
                              "_saved_scales_h": None, "_saved_scales_w": None,
                              "_saved_self_sym_sizes": (1, 2, 5, 3)}
    # recompute_scale_factor: the kernels get the size alone
    node = F.interpolate(x, scale_factor=1.5, mode="bicubic",
                         recompute_scale_factor=True).grad_fn
    assert (node.name(), node._saved_output_size, node._saved_scales_h) == (
        "UpsampleBicubic2DBackward0", (7, 4), None)
    node = F.interpolate(_x(torchlet, (1, 2, 5)), size=8, mode="linear").grad_fn
    assert _numbers(node) == {"_saved_align_corners": False, "_saved_output_size": (8,),
                              "_saved_scales": None, "_saved_self_sym_sizes": (1, 2, 5)}
    node = F.interpolate(_x(torchlet, (1, 2, 8, 6)), scale_factor=0.5, mode="bicubic",
                         antialias=True).grad_fn
    assert (node.name(), node._saved_output_size, node._saved_scales_w,
            node._saved_align_corners) == ("UpsampleBicubic2DAaBackward0", (4, 3), 0.5, False)
    x = _x(torchlet, (1, 2, 3, 3, 2))
    out = F.interpolate(x, scale_factor=2, mode="trilinear")
    assert (out.grad_fn._saved_output_size, out.grad_fn._saved_scales_d) == ((6, 6, 4), 2.0)
    w = torchlet.ones(out.shape, requires_grad=True)
    (gx,) = torchlet.autograd.grad(out, x, w, create_graph=True)
    assert _attrs(gx.grad_fn) == ("UpsampleTrilinear3DBackwardBackward0", {
        "_saved_align_corners": False, "_saved_output_size": (6, 6, 4),
        "_saved_scales_d": 2.0, "_saved_scales_h": 2.0, "_saved_scales_w": 2.0})


def test_pixel_shuffle_unfold_fold():
    assert F.pixel_shuffle(_x(torchlet, (1, 8, 2, 3)), 2).grad_fn._saved_upscale_factor == 2
    node = F.pixel_unshuffle(_x(torchlet, (1, 2, 6, 6)), 3).grad_fn
    assert node._saved_downscale_factor == 3
    node = F.unfold(_x(torchlet, (1, 2, 5, 6)), (2, 3), dilation=(1, 2), padding=1,
                    stride=(2, 1)).grad_fn
    assert _attrs(node) == ("Im2ColBackward0", {
        "_saved_dilation": (1, 2), "_saved_kernel_size": (2, 3), "_saved_padding": (1, 1),
        "_saved_self_sym_argsize_minus_1": 6, "_saved_self_sym_argsize_minus_2": 5,
        "_saved_stride": (2, 1)})
    node = F.fold(_x(torchlet, (1, 8, 6)), (3, 4), 2).grad_fn
    assert _attrs(node) == ("Col2ImBackward0", {
        "_saved_dilation": (1, 1), "_saved_kernel_size": (2, 2), "_saved_padding": (0, 0),
        "_saved_stride": (1, 1)})


def test_cdist_keeps_inputs_as_given():
    x1, x2 = _x(torchlet, (2, 3, 4)), _x(torchlet, (1, 5, 4), 1)
    out = torchlet.cdist(x1, x2, p=1.0)
    node = out.grad_fn
    assert node._saved_p == 1.0
    assert node._saved_x2.shape == (1, 5, 4)  # not expanded to the batch
    assert [f.name() for f, _ in node.next_functions] == ["torch::autograd::AccumulateGrad"] * 2
    assert node._saved_result.tolist() == out.tolist()
    # p = 1: grad_x2[0, j] = sum over the batch and x1's rows of -sign(x1_i - x2_j)
    out.sum().backward()
    a, b = x1.detach().numpy(), x2.detach().numpy()
    want = -np.sign(a[:, :, None, :] - b[:, None, :, :]).sum((0, 1))[None]
    np.testing.assert_array_equal(x2.grad.numpy(), want.astype(np.float32))
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        node._saved_result  # noqa: B018


def test_conv_transpose_node():
    x, w = _x(torchlet, (1, 2, 5, 4)), _x(torchlet, (2, 3, 3, 2), 1)
    b = torchlet.zeros(3)  # a bias that needs no gradient: its size is still shown
    node = F.conv_transpose2d(x, w, b, stride=(1, 2), padding=(0, 1),
                              output_padding=(0, 1)).grad_fn
    assert _numbers(node) == {
        "_saved_bias_sym_sizes_opt": (3,), "_saved_dilation": (1, 1), "_saved_groups": 1,
        "_saved_output_padding": (0, 1), "_saved_padding": (0, 1), "_saved_stride": (1, 2),
        "_saved_transposed": True}
    node = F.conv_transpose3d(_x(torchlet, (1, 2, 3, 3, 3)), _x(torchlet, (2, 2, 2, 2, 2), 1),
                              stride=2, output_padding=1, dilation=(1, 2, 1)).grad_fn
    assert (node._saved_output_padding, node._saved_bias_sym_sizes_opt,
            node._saved_dilation) == ((1, 1, 1), (0,), (1, 2, 1))


# ---------------------------------------------------------------------------------------
# circular padding: torch's slice copies


def _walk(fn, seen=None, out=None, depth=0):
    """The graph as nested lines: name and the saved numbers of each node."""
    if seen is None:
        seen, out = {}, []
    if fn is None:
        out.append((depth, None))
        return out
    if id(fn) in seen:
        out.append((depth, "#", seen[id(fn)]))
        return out
    seen[id(fn)] = len(seen)
    out.append((depth, fn.name(), sorted(_numbers(fn).items())))
    for f, _ in fn.next_functions:
        _walk(f, seen, out, depth + 1)
    return out


def _slice(depth, dim, start, end, sizes):
    return (depth, "SliceBackward0", [("_saved_dim", dim), ("_saved_end", end),
                                      ("_saved_self_sym_sizes", sizes),
                                      ("_saved_start", start), ("_saved_step", 1)])


def test_circular_pad_graph_is_torchs_chain():
    x = torchlet.arange(4.0).reshape(1, 2, 2).requires_grad_()
    out = F.pad(x, (1, 2), mode="circular")
    copy = "torch::autograd::CopySlices"
    # x copied into out[..., 1:3]; the left pad from out[..., 2:3]; the right from [1:3]
    assert _walk(out.grad_fn) == [
        (0, copy, []), (1, copy, []), (2, copy, []), (3, None),
        _slice(3, 2, 0, 2, (1, 2, 2)), (4, "torch::autograd::AccumulateGrad", []),
        _slice(2, 2, 2, 3, (1, 2, 5)), (3, "#", 2),
        _slice(1, 2, 1, 3, (1, 2, 5)), (2, "#", 1)]
    assert out.tolist() == [[[1.0, 0.0, 1.0, 0.0, 1.0], [3.0, 2.0, 3.0, 2.0, 3.0]]]
    out.backward(torchlet.tensor([[[1.0, 10.0, 100.0, 1000.0, 1e4]] * 2]))
    assert x.grad.tolist() == [[[10.0 + 1000.0, 1.0 + 100.0 + 1e4]] * 2]


def test_circular_pad_negative_pads_slice_x_first():
    x = torchlet.zeros(1, 1, 3, 4, requires_grad=True)
    out = F.pad(x, (-1, 1, 1, -1), mode="circular")
    lines = _walk(out.grad_fn)
    # the kept part: x narrowed along W, then along H
    assert lines[4] == _slice(3, 2, 0, 2, (1, 1, 3, 3))
    assert lines[5] == _slice(4, 3, 1, 4, (1, 1, 3, 4))
    assert [line[1] for line in lines if line[1] not in (None, "#")].count(
        "torch::autograd::CopySlices") == 3


def test_circular_pad_sampled_same_numbers_as_the_primitive():
    """The slice copies give the primitive's numbers (which test_interp19 checks against
    torch), first and second order; no grad, a wide pad: the primitive itself."""
    rng = np.random.default_rng(25)
    checked = 0
    while checked < 25:
        k = int(rng.integers(1, 4))
        shape = (int(rng.integers(1, 3)),) + tuple(int(v) for v in rng.integers(1, 5, k))
        pad = [int(v) for s in reversed(shape[1:]) for v in rng.integers(-s + 1, s + 1, 2)]
        pairs = _pairs(pad, len(shape))
        kept = [shape[d] - max(-lo, 0) - max(-hi, 0) for d, lo, hi in pairs]
        if any(lo > n or hi > n for (_, lo, hi), n in zip(pairs, kept)) or min(kept) < 1:
            continue
        a = rng.standard_normal(shape)
        out_shape = tuple(shape[d] + sum(pad[2 * (len(shape) - 1 - d):][:2])
                          if len(shape) - 1 - d < k else shape[d] for d in range(len(shape)))
        g = rng.standard_normal(out_shape)
        res = []
        for new in (True, False):
            x = torchlet.tensor(a, requires_grad=True)
            gg = torchlet.tensor(g, requires_grad=True)
            out = F.pad(x, pad, mode="circular") if new else CircularPad.apply(x, pairs=pairs)
            assert (out.grad_fn.name() == "torch::autograd::CopySlices")
            (gx,) = torchlet.autograd.grad(out, x, gg, create_graph=True)
            (g2,) = torchlet.autograd.grad((gx * torchlet.tensor(a)).sum(), gg)
            res.append([out.detach().numpy(), gx.detach().numpy(), g2.numpy(), out.stride()])
        for u, v in zip(*res):
            assert np.array_equal(u, v), (shape, pad)
        with torchlet.no_grad():
            assert np.array_equal(F.pad(torchlet.tensor(a), pad, mode="circular").numpy(),
                                  res[0][0])
        checked += 1


# ---------------------------------------------------------------------------------------
# live against torch


def _cases():
    def f(lib):
        return lib.nn.functional

    def t(lib, shape, seed=0):
        return _x(lib, shape, seed)

    return {
        "huber": lambda L: f(L).huber_loss(t(L, (3, 4)), t(L, (3, 4), 1), delta=0.5),
        "huber none": lambda L: f(L).huber_loss(t(L, (3, 4)), t(L, (3, 4), 1), "none"),
        "soft_margin": lambda L: f(L).soft_margin_loss(t(L, (3, 4)), t(L, (4,), 1).detach()),
        "reflect1d": lambda L: f(L).pad(t(L, (2, 3, 5)), (-1, 2), mode="reflect"),
        "reflect3d": lambda L: f(L).pad(t(L, (1, 2, 3, 5, 4)), (1, 2, 0, 1, 2, 1), "reflect"),
        "replicate1d": lambda L: f(L).pad(t(L, (3, 5)), [2, 1], mode="replicate"),
        "replicate3d": lambda L: L.nn.ReplicationPad3d((1, 0, 2, 1, 0, 1))(
            t(L, (1, 2, 3, 3, 3))),
        "nearest1d": lambda L: f(L).interpolate(t(L, (1, 2, 5)), scale_factor=2),
        "nearest3d size": lambda L: f(L).interpolate(t(L, (1, 2, 3, 3, 2)), size=(4, 5, 3)),
        "nearest-exact2d": lambda L: f(L).interpolate(t(L, (1, 2, 5, 3)), scale_factor=1.7,
                                                      mode="nearest-exact"),
        "linear ac": lambda L: f(L).interpolate(t(L, (1, 2, 5)), size=8, mode="linear",
                                                align_corners=True),
        "bicubic": lambda L: f(L).interpolate(t(L, (1, 2, 5, 3)), scale_factor=(2, 3),
                                              mode="bicubic"),
        "bilinear aa": lambda L: f(L).interpolate(t(L, (1, 2, 8, 6)), size=(4, 3),
                                                  mode="bilinear", antialias=True),
        "lanczos": lambda L: f(L).interpolate(t(L, (1, 2, 8, 6)), scale_factor=0.5,
                                              mode="lanczos", antialias=True),
        "upsampling bilinear": lambda L: L.nn.UpsamplingBilinear2d(scale_factor=2)(
            t(L, (1, 2, 3, 3))),
        "pixel_shuffle": lambda L: L.nn.PixelShuffle(3)(t(L, (2, 9, 2, 2))),
        "unfold": lambda L: f(L).unfold(t(L, (2, 5, 6)), 3, padding=(1, 0)),
        "fold": lambda L: L.nn.Fold((4, 5), (2, 2), stride=1)(t(L, (2, 8, 12))),
        "cdist inf": lambda L: L.cdist(t(L, (3, 4)), t(L, (2, 5, 4), 1), p=float("inf")),
        "cdist x1 only": lambda L: L.cdist(t(L, (3, 4)), t(L, (5, 4), 1).detach()),
        "convT1d": lambda L: f(L).conv_transpose1d(t(L, (1, 2, 5)), t(L, (2, 3, 3), 1),
                                                   stride=3, output_padding=2),
        "convT2d groups": lambda L: f(L).conv_transpose2d(
            t(L, (1, 4, 5, 4)), t(L, (4, 1, 3, 3), 1), t(L, (2,), 2), stride=(2, 1),
            padding=(1, 0), groups=2, dilation=(1, 2)),
    }


CASES = _cases()


@pytest.mark.parametrize("label", sorted(CASES))
def test_as_torch(label):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want, got = CASES[label](torch), CASES[label](torchlet)
    assert _attrs(got.grad_fn) == _attrs(want.grad_fn)
    assert [f is None or f.name() for f, _ in got.grad_fn.next_functions] == \
        [f is None or f.name() for f, _ in want.grad_fn.next_functions]
    # after backward: tensors raise, numbers stay, as torch's
    states = []
    for out in (got, want):
        node = out.grad_fn
        out.sum().backward()
        state = {}
        for name in dir(node):
            if name.startswith("_saved_"):
                try:
                    value = getattr(node, name)
                    state[name] = "tensor" if hasattr(value, "shape") else value
                except RuntimeError:
                    state[name] = "freed"
        states.append(state)
    assert states[0] == states[1]


def test_sampled_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2025)
    for _ in range(40):
        kind = ["pad", "up", "unfold", "circular"][int(rng.integers(4))]
        k = int(rng.integers(1, 4))
        if kind == "pad":
            mode = ["reflect", "replicate"][int(rng.integers(2))]
            shape = (1, 2) + tuple(int(v) for v in rng.integers(2, 5, k))
            pad = [int(v) for s in reversed(shape[2:]) for v in rng.integers(-1, s, 2)]

            def fn(lib, x, mode=mode, pad=pad):
                return lib.nn.functional.pad(x, pad, mode=mode)
        elif kind == "up":
            mode = ["nearest", "nearest-exact", {1: "linear", 2: "bilinear",
                                                 3: "trilinear"}[k]][int(rng.integers(3))]
            shape = (1, 2) + tuple(int(v) for v in rng.integers(2, 5, k))
            args = ({"scale_factor": [float(v) for v in rng.choice([0.5, 1.5, 2, 3], k)]}
                    if rng.integers(2) else {"size": [int(v) for v in rng.integers(1, 7, k)]})
            if mode.endswith("linear"):
                args["align_corners"] = bool(rng.integers(2))

            def fn(lib, x, mode=mode, args=args):
                return lib.nn.functional.interpolate(x, mode=mode, **args)
        elif kind == "unfold":
            shape = (1, 2, int(rng.integers(4, 7)), int(rng.integers(4, 7)))
            args = [tuple(int(v) for v in rng.integers(lo, 3, 2)) for lo in (1, 1, 0, 1)]

            def fn(lib, x, args=args):
                return lib.nn.functional.unfold(x, *args)
        else:
            shape = (1,) + tuple(int(v) for v in rng.integers(2, 5, k))
            pad = [int(v) for s in reversed(shape[1:]) for v in rng.integers(-1, 2, 2)]

            def fn(lib, x, pad=pad):
                return lib.nn.functional.pad(x, pad, mode="circular")
        a = rng.standard_normal(shape).astype(np.float32)
        outs = [fn(lib, lib.tensor(a, requires_grad=True)) for lib in (torch, torchlet)]
        assert _walk(outs[1].grad_fn) == _walk(outs[0].grad_fn), (kind, shape)
        assert np.array_equal(outs[0].detach().numpy(), outs[1].detach().numpy())

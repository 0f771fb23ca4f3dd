"""Live differential tests of the nn extras against torch: grid_sample over every mode,
padding mode, align_corners and dtype (2-D and 3-D), affine_grid, gumbel_softmax's random
draws, channel shuffling, the lazy convolutions and torch's top-level loss forms.

Bit-exact: nearest grid_sample, channel_shuffle, gumbel_softmax(hard=True), lazy modules'
initial weights (torch's generator), reprs. Within float rounding (rtol 1e-5 float32,
1e-12 float64): bilinear/bicubic sampling and its gradients (torch fuses multiply-adds and
sums its scatter in float32), soft gumbel samples (exp/log/softmax rounding), convolution
outputs and losses (reductions).
"""

import itertools
import warnings
import zlib

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

TOLERANCE = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}


def _run_grid_sample(lib, x, grid, grad_out, **kw):
    tx = lib.tensor(x, requires_grad=True)
    tg = lib.tensor(grid, requires_grad=True)
    out = lib.nn.functional.grid_sample(tx, tg, **kw)
    grad_x, grad_grid = lib.autograd.grad(out, (tx, tg), lib.tensor(grad_out))
    return out.detach().numpy(), grad_x.numpy(), grad_grid.numpy(), out.grad_fn.name()


CASES = [(nd, mode, padding, align, dtype)
         for nd, mode, padding, align, dtype in itertools.product(
             (2, 3), ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection"),
             (False, True), ("float32", "float64"))
         if not (nd == 3 and mode == "bicubic")]


@pytest.mark.parametrize("nd,mode,padding,align,dtype", CASES)
def test_grid_sample_matches_torch(nd, mode, padding, align, dtype):
    rng = np.random.default_rng(zlib.crc32(repr((nd, mode, padding, align, dtype)).encode()))
    x_shape, grid_shape = ((2, 3, 4, 5), (2, 5, 6, 2)) if nd == 2 else (
        (2, 2, 3, 4, 5), (2, 3, 4, 2, 3))
    x = rng.standard_normal(x_shape).astype(dtype)
    grid = rng.uniform(-1.6, 1.6, grid_shape).astype(dtype)  # some points fall outside
    grad_out = rng.standard_normal(x_shape[:2] + grid_shape[1:-1]).astype(dtype)
    kw = dict(mode=mode, padding_mode=padding, align_corners=align)
    want = _run_grid_sample(torch, x, grid, grad_out, **kw)
    got = _run_grid_sample(torchlet, x, grid, grad_out, **kw)
    assert got[3] == want[3]
    for have, expected in zip(got[:3], want[:3]):
        assert have.dtype == expected.dtype and have.shape == expected.shape
        scale = max(1.0, float(np.abs(expected).max()))
        np.testing.assert_allclose(have, expected, rtol=TOLERANCE[dtype]["rtol"],
                                   atol=TOLERANCE[dtype]["atol"] * scale)
    if mode == "nearest":
        assert np.array_equal(got[0], want[0])
        assert not got[2].any()  # the grid gets no gradient, as in torch


@pytest.mark.parametrize("size,align", [((2, 3, 4, 5), False), ((2, 3, 4, 5), True),
                                        ((1, 1, 1, 3), False), ((2, 1, 3, 2, 4), False),
                                        ((2, 1, 3, 2, 4), True)])
def test_affine_grid_matches_torch(size, align):
    rng = np.random.default_rng(len(size) * 10 + align)
    theta = rng.standard_normal((size[0], len(size) - 2, len(size) - 1)).astype("float32")
    results = []
    for lib in (torch, torchlet):
        t = lib.tensor(theta, requires_grad=True)
        grid = lib.nn.functional.affine_grid(t, size, align_corners=align)
        (grad,) = lib.autograd.grad(grid, t, lib.ones_like(grid) * 0.5)
        results.append((grid.detach().numpy(), grad.numpy(), grid.grad_fn.name()))
    (grid_t, grad_t, name_t), (grid_l, grad_l, name_l) = results
    assert name_l == name_t == "AffineGridGeneratorBackward0"
    np.testing.assert_allclose(grid_l, grid_t, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad_l, grad_t, rtol=1e-5, atol=1e-5)


def test_align_corners_none_warns_as_torch():
    theta = torchlet.zeros(1, 2, 3)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        grid = torchlet.nn.functional.affine_grid(theta, (1, 1, 2, 2))
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        torchlet.nn.functional.grid_sample(torchlet.ones(1, 1, 2, 2), grid)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # explicit align_corners: no warning
        torchlet.nn.functional.grid_sample(torchlet.ones(1, 1, 2, 2), grid, align_corners=True)


def test_affine_grid_unit_size_warning():
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        torchlet.nn.functional.affine_grid(torchlet.zeros(1, 2, 3), (1, 1, 1, 4),
                                           align_corners=True)


def test_spatial_transformer_end_to_end():
    """affine_grid -> grid_sample, gradients reaching theta through both, as torch."""
    rng = np.random.default_rng(7)
    theta = (np.eye(2, 3) + 0.2 * rng.standard_normal((2, 2, 3))).astype("float32")
    image = rng.standard_normal((2, 3, 5, 6)).astype("float32")
    results = []
    for lib in (torch, torchlet):
        t = lib.tensor(theta, requires_grad=True)
        grid = lib.nn.functional.affine_grid(t, (2, 3, 4, 4), align_corners=False)
        out = lib.nn.functional.grid_sample(lib.tensor(image), grid, align_corners=False)
        (out * out).sum().backward()
        results.append((out.detach().numpy(), t.grad.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-4, atol=1e-4)


def test_grid_sample_third_derivative_is_a_clear_error():
    """torch differentiates grid_sample twice and three times; torchlet differentiates it
    twice (tests/test_sampling13.py) and says plainly that it stops there."""
    x = torchlet.randn(1, 1, 3, 3, dtype=torchlet.float64, requires_grad=True)
    grid = (torchlet.rand(1, 2, 2, 2, dtype=torchlet.float64) - 0.5).requires_grad_()
    out = torchlet.nn.functional.grid_sample(x, grid, align_corners=False)
    grad_x, grad_grid = torchlet.autograd.grad(out.sum(), (x, grid), create_graph=True)
    assert grad_grid.grad_fn.name() == "GridSampler2DBackwardBackward0"
    (gg,) = torchlet.autograd.grad(grad_grid.sum(), grid, create_graph=True)
    with pytest.raises(RuntimeError, match="third derivative of grid_sample"):
        gg.sum().backward()


def test_pdist_double_backward_raises_as_torch():
    for lib in (torch, torchlet):
        x = lib.tensor(np.arange(6.0).reshape(3, 2) ** 1.5, requires_grad=True)
        (grad,) = lib.autograd.grad(lib.nn.functional.pdist(x).sum(), x, create_graph=True)
        with pytest.raises(NotImplementedError, match="_pdist_backward"):
            grad.sum().backward()


# ---------------------------------------------------------------------------------------
# channel shuffle


def test_channel_shuffle_module_and_native_form():
    x = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
    want = torch.nn.ChannelShuffle(3)(torch.tensor(x))
    module = torchlet.nn.ChannelShuffle(3)
    assert repr(module) == repr(torch.nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    assert np.array_equal(module(torchlet.tensor(x)).numpy(), want.numpy())
    for lib in (torch, torchlet):
        t = lib.tensor(x, requires_grad=True)
        out = lib.native_channel_shuffle(t, 2)
        assert out.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match="derivative for aten::native_channel_shuffle"):
            out.sum().backward()


# ---------------------------------------------------------------------------------------
# gumbel_softmax: torch's random draws


@pytest.mark.parametrize("tau,dim", [(1, -1), (0.5, 0), (2.0, 1)])
def test_gumbel_softmax_draws_as_torch(tau, dim):
    logits = np.linspace(-2, 2, 24, dtype=np.float32).reshape(4, 6)
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(1234)
        t = lib.tensor(logits, requires_grad=True)
        soft = lib.nn.functional.gumbel_softmax(t, tau=tau, dim=dim)
        hard = lib.nn.functional.gumbel_softmax(t, tau=tau, hard=True, dim=dim)
        after = lib.rand(3)  # the generator has advanced by the same amount
        (grad,) = lib.autograd.grad(hard, t, lib.tensor(np.ones((4, 6), np.float32) *
                                                       np.arange(6, dtype=np.float32)))
        results.append((soft.detach().numpy(), hard.detach().numpy(), after.numpy(),
                        grad.numpy(), soft.grad_fn.name(), hard.grad_fn.name()))
    want, got = results
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(got[1], want[1])
    assert np.array_equal(got[2], want[2])
    np.testing.assert_allclose(got[3], want[3], rtol=1e-4, atol=1e-5)
    assert got[4:] == want[4:]


def test_gumbel_softmax_eps_is_deprecated():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        torchlet.nn.functional.gumbel_softmax(torchlet.zeros(2, 3), eps=1e-5)


# ---------------------------------------------------------------------------------------
# lazy convolutions

LAZY = [("LazyConv1d", (2, 3, 9)), ("LazyConv2d", (2, 3, 6, 5)), ("LazyConv3d", (1, 3, 4, 4, 5)),
        ("LazyConvTranspose1d", (2, 3, 5)), ("LazyConvTranspose2d", (2, 3, 4, 3)),
        ("LazyConvTranspose3d", (3, 3, 3, 2)),  # unbatched: in_channels from dim 0
        ("LazyConv2d", (4, 5, 5))]


@pytest.mark.parametrize("name,shape", LAZY)
def test_lazy_conv_matches_torch(name, shape):
    x = np.linspace(-1, 1, int(np.prod(shape)), dtype=np.float32).reshape(shape)
    results = []
    for lib in (torch, torchlet):
        lib.manual_seed(0)
        module = getattr(lib.nn, name)(4, 3, stride=2, padding=1)
        before = repr(module)
        out = module(lib.tensor(x))
        results.append((before, repr(module), type(module).__name__, module.in_channels,
                        module.weight.detach().numpy(), module.bias.detach().numpy(),
                        out.detach().numpy(), out.grad_fn.name()))
    want, got = results
    assert got[:4] == want[:4]
    assert np.array_equal(got[4], want[4]) and np.array_equal(got[5], want[5])
    np.testing.assert_allclose(got[6], want[6], rtol=1e-5, atol=1e-6)
    assert got[7] == want[7]


def test_lazy_conv_without_bias_and_groups():
    for lib in (torch, torchlet):
        lib.manual_seed(3)
    a = torch.nn.LazyConv2d(6, 2, groups=2, bias=False)
    b = torchlet.nn.LazyConv2d(6, 2, groups=2, bias=False)
    a(torch.zeros(1, 4, 3, 3))
    b(torchlet.zeros(1, 4, 3, 3))
    assert repr(b) == repr(a)
    assert b.bias is None and np.array_equal(b.weight.detach().numpy(),
                                                       a.weight.detach().numpy())


def test_lazy_conv_errors_as_torch():
    for lib in (torch, torchlet):
        with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) "
                                               "input to LazyConv2d"):
            lib.nn.LazyConv2d(4, 3)(lib.zeros(3, 3))
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            lib.nn.LazyConv2d(4, 3, groups=2)(lib.zeros(1, 3, 5, 5))


# ---------------------------------------------------------------------------------------
# top-level losses with ATen's int reduction


def _loss_inputs(rng):
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    sign = np.sign(rng.standard_normal(3)).astype(np.float32)
    prob = rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)
    return a, b, sign, prob


# reduction=None: leave the argument out (torch's binding then reduces nothing)
LOSSES = {
    "kl_div": lambda t, a, b, s, p, **r: t.kl_div(a, p, **r),
    "kl_div_log_target": lambda t, a, b, s, p, **r: t.kl_div(a, b, **r, log_target=True),
    "triplet_margin_loss": lambda t, a, b, s, p, **r: t.triplet_margin_loss(a, b, a * 0.5, **r),
    "margin_ranking_loss": lambda t, a, b, s, p, **r: t.margin_ranking_loss(a[:, 0], b[:, 0], s,
                                                                            0.2, **r),
    "hinge_embedding_loss": lambda t, a, b, s, p, **r: t.hinge_embedding_loss(a[:, 0], s, **r),
    "cosine_embedding_loss": lambda t, a, b, s, p, **r: t.cosine_embedding_loss(a, b, s, 0.1,
                                                                                **r),
    "poisson_nll_loss": lambda t, a, b, s, p, **r: t.poisson_nll_loss(
        a, p, True, True, 1e-8, r.get("reduction", 1)),
    "binary_cross_entropy_with_logits": lambda t, a, b, s, p, **r:
        t.binary_cross_entropy_with_logits(a, p, None, p[0], **r),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", [0, 1, 2, 3, None])
def test_toplevel_losses_match_torch(name, reduction):
    arrays = _loss_inputs(np.random.default_rng(5))
    kw = {} if reduction is None else {"reduction": reduction}
    results = []
    for lib in (torch, torchlet):
        tensors = [lib.tensor(x) for x in arrays]
        tensors[0].requires_grad_(True)
        out = LOSSES[name](lib, *tensors, **kw)
        (grad,) = lib.autograd.grad(out.sum(), tensors[0])
        results.append((out.detach().numpy(), grad.numpy(), out.grad_fn.name()))
    want, got = results
    assert got[0].shape == want[0].shape and got[2] == want[2]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)


def test_toplevel_aliases_are_torch_names():
    for name in ("kl_div", "triplet_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
                 "cosine_embedding_loss", "poisson_nll_loss", "binary_cross_entropy_with_logits",
                 "pdist", "bilinear", "constant_pad_nd", "channel_shuffle",
                 "native_channel_shuffle"):
        assert callable(getattr(torchlet, name)), name
    for name in ("affine_grid", "grid_sample", "pdist", "channel_shuffle", "gumbel_softmax"):
        assert name in torchlet.nn.functional.__all__

"""Specs for the nn extras: affine_grid, grid_sample (torchlet/nn/_functional/vision.py),
pdist, channel_shuffle (misc_more.py) and torch's top-level loss forms with an int
reduction (torchlet/_ops/toplevel_losses.py).

Bit-exact: channel_shuffle (it moves data) and grid_sample 'nearest' forward (it reads one
pixel per point; the grid is drawn away from pixel-centre ties). Within float rounding:
bilinear/bicubic grid_sample (torch's 2-D kernel fuses and orders its multiply-adds
differently; the backward scatter sums in float64, torch in float32), affine_grid (a
3-term matmul), pdist (torch's own vectorised norm kernel) and the losses (reductions).

gradgradcheck is off for grid_sample and pdist: pdist's backward has no derivative in
torch either; grid_sample's double backward is one torch has and torchlet leaves out.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
TOL = dict(rtol=1e-5, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-4)
GRID = dict(low=-1.3, high=1.3)  # a few points outside [-1, 1] exercise the padding


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def _sample(name, mode, padding, align, x_shape=(2, 3, 4, 5), grid_shape=(2, 3, 4, 2), **kw):
    def fn(t, x, g):
        return F(t).grid_sample(x, g, mode=mode, padding_mode=padding, align_corners=align)
    return Spec(name, fn, (A(*x_shape), A(*grid_shape, **GRID)), gradgradcheck=False,
                **{**TOL, **kw})


SPECS = [
    # affine_grid
    Spec("nn/affine_grid", lambda t, th: F(t).affine_grid(th, (2, 3, 4, 5), align_corners=False),
         (A(2, 2, 3),), **TOL),
    Spec("nn/affine_grid/align", lambda t, th: F(t).affine_grid(th, [2, 1, 3, 1],
                                                                 align_corners=False),
         (A(2, 2, 3),), **TOL),
    Spec("nn/affine_grid/corners", lambda t, th: F(t).affine_grid(th, (1, 3, 5, 4),
                                                                   align_corners=True),
         (A(1, 2, 3),), **TOL),
    Spec("nn/affine_grid/3d", lambda t, th: F(t).affine_grid(th, (2, 1, 3, 4, 2),
                                                              align_corners=False),
         (A(2, 3, 4, dtype=F64),), **TOL),
    # grid_sample: every mode x padding in 2-D, align_corners both ways
    _sample("nn/grid_sample/bilinear_zeros", "bilinear", "zeros", False),
    _sample("nn/grid_sample/bilinear_border", "bilinear", "border", True),
    _sample("nn/grid_sample/bilinear_reflection", "bilinear", "reflection", False),
    _sample("nn/grid_sample/bilinear_reflection_corners", "bilinear", "reflection", True),
    _sample("nn/grid_sample/bilinear_f64", "bilinear", "zeros", True,
            x_shape=(1, 2, 3, 3), grid_shape=(1, 2, 5, 2)),
    _sample("nn/grid_sample/nearest_zeros", "nearest", "zeros", False, exact=True),
    _sample("nn/grid_sample/nearest_border", "nearest", "border", True, exact=True),
    _sample("nn/grid_sample/nearest_reflection", "nearest", "reflection", False, exact=True),
    _sample("nn/grid_sample/bicubic_zeros", "bicubic", "zeros", False),
    _sample("nn/grid_sample/bicubic_border", "bicubic", "border", True),
    _sample("nn/grid_sample/bicubic_reflection", "bicubic", "reflection", False),
    # grid_sample in 3-D
    _sample("nn/grid_sample/3d_bilinear", "bilinear", "zeros", False, x_shape=(1, 2, 3, 4, 3),
            grid_shape=(1, 2, 3, 2, 3)),
    _sample("nn/grid_sample/3d_border", "bilinear", "border", True, x_shape=(1, 2, 3, 4, 3),
            grid_shape=(1, 2, 3, 2, 3)),
    _sample("nn/grid_sample/3d_nearest_reflection", "nearest", "reflection", True, exact=True,
            x_shape=(2, 1, 3, 3, 4), grid_shape=(2, 2, 2, 3, 3)),
    # pdist
    Spec("nn/pdist", lambda t, x: F(t).pdist(x), (A(5, 3),), gradgradcheck=False, **TOL),
    Spec("nn/pdist/p1", lambda t, x: F(t).pdist(x, 1), (A(4, 3, kind="distinct"),),
         gradgradcheck=False, **TOL),
    Spec("nn/pdist/p_half", lambda t, x: t.pdist(x, 0.5), (A(4, 3, kind="distinct"),),
         gradgradcheck=False, **TOL),
    Spec("nn/pdist/p3", lambda t, x: t.pdist(x, p=3), (A(5, 2, dtype=F64),),
         gradgradcheck=False, **TOL),
    Spec("nn/pdist/inf", lambda t, x: F(t).pdist(x, float("inf")), (A(4, 3),),
         gradgradcheck=False, **TOL),
    Spec("nn/pdist/p0", lambda t, x: F(t).pdist(x, 0), (A(4, 3),), gradgradcheck=False,
         exact=True),
    Spec("nn/pdist/one_row", lambda t, x: F(t).pdist(x), (A(1, 3),), gradgradcheck=False),
    # channel_shuffle
    Spec("nn/channel_shuffle", lambda t, x: F(t).channel_shuffle(x, 3), (A(2, 6, 3, 2),),
         exact=True),
    Spec("nn/channel_shuffle/torch", lambda t, x: t.channel_shuffle(x, 2), (A(2, 4, 3),),
         exact=True),
    Spec("nn/channel_shuffle/int", lambda t, x: t.channel_shuffle(x, 2),
         (A(1, 4, 2, dtype="int64", kind="int", low=-5, high=5),), exact=True),
    # top-level losses: ATen's int reduction (0 none, 1 mean, 2 sum)
    Spec("nn/torch.kl_div", lambda t, x, y: t.kl_div(x, y), (A(3, 4), A(3, 4, kind="positive")),
         **TOL),
    Spec("nn/torch.kl_div/sum_log_target", lambda t, x, y: t.kl_div(x, y, 2, log_target=True),
         (A(3, 4), A(3, 4)), **TOL),
    Spec("nn/torch.kl_div/none", lambda t, x, y: t.kl_div(x, y, reduction=0),
         (A(3, 4), A(3, 4, kind="positive")), **TOL),
    Spec("nn/torch.triplet_margin_loss", lambda t, a, p, n: t.triplet_margin_loss(
        a, p, n, 0.5, 2.0, 1e-6, True, 0), (A(3, 4), A(3, 4), A(3, 4)), **TOL),
    Spec("nn/torch.margin_ranking_loss", lambda t, a, b, y: t.margin_ranking_loss(
        a, b, y.sign(), 0.3, 2), (A(5), A(5), A(5, grad=False)), **TOL),
    Spec("nn/torch.hinge_embedding_loss", lambda t, x, y: t.hinge_embedding_loss(
        x, y.sign(), 1.5), (A(6), A(6, grad=False)), **TOL),
    Spec("nn/torch.cosine_embedding_loss", lambda t, a, b, y: t.cosine_embedding_loss(
        a, b, y.sign(), 0.1, 1), (A(3, 4), A(3, 4), A(3, grad=False)), **TOL),
    Spec("nn/torch.poisson_nll_loss", lambda t, x, y: t.poisson_nll_loss(
        x, y, True, True, 1e-8, 1), (A(4, 3), A(4, 3, kind="positive", grad=False)), **TOL),
    Spec("nn/torch.poisson_nll_loss/linear", lambda t, x, y: t.poisson_nll_loss(
        x, y, False, False, 1e-8, 2), (A(4, 3, kind="positive"), A(4, 3, kind="positive")),
        **TOL),
    Spec("nn/torch.binary_cross_entropy_with_logits", lambda t, x, y, w, pw:
         t.binary_cross_entropy_with_logits(x, y, w, pw, 1),
         (A(3, 4), A(3, 4, low=0, high=1, grad=False), A(4, kind="positive", grad=False),
          A(4, kind="positive", grad=False)), **TOL),
    Spec("nn/torch.binary_cross_entropy_with_logits/none", lambda t, x, y:
         t.binary_cross_entropy_with_logits(x, y, reduction=0),
         (A(3, 4), A(3, 4, low=0, high=1)), **TOL),
    Spec("nn/torch.bilinear", lambda t, a, b, w, bias: t.bilinear(a, b, w, bias),
         (A(3, 2), A(3, 4), A(5, 2, 4), A(5)), **TOL),
    Spec("nn/torch.constant_pad_nd", lambda t, x: t.constant_pad_nd(x, [1, 2, 0, 1], 2.5),
         (A(2, 3, 4),), exact=True),
    Spec("nn/torch.constant_pad_nd/crop", lambda t, x: t.constant_pad_nd(x, (-1, 1)),
         (A(3, 4),), exact=True),
]


def _gs(t, x_shape, g_shape, **kw):
    kw.setdefault("align_corners", False)
    return F(t).grid_sample(t.zeros(*x_shape), t.zeros(*g_shape), **kw)


ERROR_SPECS = [
    ErrorSpec("nn/grid_sample/mode", lambda t: _gs(t, (1, 1, 3, 3), (1, 2, 2, 2), mode="cubic"),
              match="expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'cubic'"),
    ErrorSpec("nn/grid_sample/padding", lambda t: _gs(t, (1, 1, 3, 3), (1, 2, 2, 2),
                                                      padding_mode="wrap"),
              match="expected padding_mode to be 'zeros', 'border', or 'reflection'"),
    ErrorSpec("nn/grid_sample/last_dim", lambda t: _gs(t, (1, 1, 3, 3), (1, 2, 2, 3)),
              match="expected grid to have size 2 in last dimension, but got grid with sizes "
                    "\\[1, 2, 2, 3\\]"),
    ErrorSpec("nn/grid_sample/batch", lambda t: _gs(t, (1, 1, 3, 3), (2, 2, 2, 2)),
              match="expected grid and input to have same batch size"),
    ErrorSpec("nn/grid_sample/empty", lambda t: _gs(t, (1, 1, 0, 3), (1, 2, 2, 2)),
              match="with dimension 2 being empty"),
    ErrorSpec("nn/grid_sample/ranks", lambda t: _gs(t, (1, 1, 3, 3), (1, 2, 2, 2, 2)),
              match="expected 4D input and grid with same number of dimensions"),
    ErrorSpec("nn/grid_sample/bicubic_3d", lambda t: _gs(t, (1, 1, 3, 3, 3), (1, 2, 2, 2, 3),
                                                         mode="bicubic"),
              match="bicubic interpolation only supports 4D input"),
    ErrorSpec("nn/grid_sample/dtype", lambda t: F(t).grid_sample(
        t.zeros(1, 1, 3, 3), t.zeros(1, 2, 2, 2, dtype=t.float64), align_corners=False),
        match="expected scalar type Float but found Double"),
    ErrorSpec("nn/grid_sample/int", lambda t: F(t).grid_sample(
        t.zeros(1, 1, 3, 3, dtype=t.int64), t.zeros(1, 2, 2, 2, dtype=t.int64),
        align_corners=False), match="not implemented for 'Long'"),
    ErrorSpec("nn/affine_grid/theta_shape", lambda t: F(t).affine_grid(
        t.zeros(1, 3, 3), (1, 1, 4, 4), align_corners=False),
        match="Expected a batch of 2D affine matrices of shape Nx2x3"),
    ErrorSpec("nn/affine_grid/theta_3d_shape", lambda t: F(t).affine_grid(
        t.zeros(1, 2, 3), (1, 1, 4, 4, 4), align_corners=False),
        match="Expected a batch of 3D affine matrices of shape Nx3x4"),
    ErrorSpec("nn/affine_grid/size", lambda t: F(t).affine_grid(
        t.zeros(1, 2, 3), (1, 4, 4), align_corners=False),
        match="affine_grid only supports 4D and 5D sizes"),
    ErrorSpec("nn/affine_grid/int_theta", lambda t: F(t).affine_grid(
        t.zeros(1, 2, 3, dtype=t.int64), (1, 1, 4, 4), align_corners=False),
        match="Expected theta to have floating point type"),
    ErrorSpec("nn/affine_grid/zero_size", lambda t: F(t).affine_grid(
        t.zeros(1, 2, 3), (1, 1, 0, 4), align_corners=False),
        match="Expected non-zero, positive output size"),
    ErrorSpec("nn/affine_grid/batch", lambda t: F(t).affine_grid(
        t.zeros(2, 2, 3), (1, 1, 4, 4), align_corners=False),
        match="Expected size for first two dimensions of batch2 tensor to be: \\[1, 3\\]"),
    ErrorSpec("nn/pdist/1d", lambda t: F(t).pdist(t.zeros(3)),
              match="pdist only supports 2D tensors, got: 1D"),
    ErrorSpec("nn/pdist/negative_p", lambda t: F(t).pdist(t.zeros(3, 2), -1),
              match="pdist only supports non-negative p values"),
    ErrorSpec("nn/pdist/int", lambda t: t.pdist(t.zeros(3, 2, dtype=t.int64)),
              match="pdist only supports floating-point dtypes"),
    ErrorSpec("nn/channel_shuffle/divisible", lambda t: t.channel_shuffle(t.zeros(2, 6, 3), 4),
              match="Number of channels must be divisible by groups. Got 6 channels and 4 "
                    "groups."),
    ErrorSpec("nn/channel_shuffle/groups", lambda t: F(t).channel_shuffle(t.zeros(2, 6, 3), 0),
              match="Number of groups to divide channels in must be positive"),
    ErrorSpec("nn/channel_shuffle/rank", lambda t: t.native_channel_shuffle(t.zeros(2, 6), 2),
              match="channel_shuffle expects input with > 2 dims, but got input with sizes "
                    "\\[2, 6\\]"),
    ErrorSpec("nn/torch.kl_div/str_reduction", lambda t: t.kl_div(t.zeros(2), t.zeros(2),
                                                                  "mean"),
              match="kl_div\\(\\): argument 'reduction' \\(position 3\\) must be int, not str"),
    ErrorSpec("nn/torch.kl_div/positional_log_target", lambda t: t.kl_div(
        t.zeros(2), t.zeros(2), 1, True)),
    ErrorSpec("nn/torch.poisson_nll_loss/missing", lambda t: t.poisson_nll_loss(
        t.zeros(2), t.zeros(2))),
    ErrorSpec("nn/torch.constant_pad_nd/odd", lambda t: t.constant_pad_nd(t.zeros(3), [1, 2, 3]),
              match="Length of pad must be even but instead it equals 3"),
]

"""Specs for convolution, pooling and resampling (torchlet/nn/_functional/conv.py,
pooling.py, upsampling.py): conv1d/2d/3d, conv_transpose1d/2d/3d, max/avg/adaptive/lp
pooling, max_unpool, interpolate, pixel_shuffle/unshuffle, unfold/fold.

Convolutions are sums of products computed in another order than torch's kernels, so they
are compared within rtol 1e-5. Pooling is compared bit for bit: maxima and their indices
(inputs with 'distinct' values, so that the choice among ties never matters: ties are
covered in tests/test_nn_pooling.py), and average pools, whose sums run in torch's order.
Nearest-neighbour resampling and pixel_shuffle move data and are exact too; linear
resampling agrees to a rounding (torch's kernels fuse multiply-adds).
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"
D = dict(kind="distinct")
TOL = dict(rtol=1e-5, atol=1e-5, grad_rtol=1e-4, grad_atol=1e-5)


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def _conv(name, fn, *args, **kw):
    return Spec(name, fn, args, **{**TOL, **kw})


def _exact(name, fn, *args, **kw):
    return Spec(name, fn, args, exact=True, **kw)


def _unpool(t, x):
    out, idx = F(t).max_pool2d(x, 2, return_indices=True)
    return F(t).max_unpool2d(out, idx, 2, output_size=(5, 7))


def _unpool1d(t, x):
    out, idx = F(t).max_pool1d(x, 2, return_indices=True)
    return F(t).max_unpool1d(out, idx, 2, output_size=[9])


SPECS = [
    # conv
    _conv("nn/conv2d", lambda t, x, w, b: F(t).conv2d(x, w, b), A(2, 3, 7, 6), A(4, 3, 3, 2),
          A(4)),
    _conv("nn/conv2d/no_bias", lambda t, x, w: F(t).conv2d(x, w), A(2, 3, 6, 6), A(4, 3, 3, 3)),
    _conv("nn/conv2d/stride_pad_dil", lambda t, x, w, b: F(t).conv2d(
        x, w, b, stride=(2, 1), padding=(1, 2), dilation=(2, 1)), A(2, 2, 8, 7), A(3, 2, 3, 2),
        A(3)),
    _conv("nn/conv2d/groups", lambda t, x, w, b: F(t).conv2d(x, w, b, groups=2, padding=1),
          A(2, 4, 5, 5), A(6, 2, 3, 3), A(6)),
    _conv("nn/conv2d/depthwise", lambda t, x, w: F(t).conv2d(x, w, groups=3), A(2, 3, 5, 5),
          A(6, 1, 3, 3)),
    _conv("nn/conv2d/same_even", lambda t, x, w: F(t).conv2d(x, w, padding="same"),
          A(1, 2, 5, 6), A(3, 2, 2, 4)),
    _conv("nn/conv2d/valid", lambda t, x, w: F(t).conv2d(x, w, padding="valid"),
          A(1, 2, 5, 6), A(3, 2, 2, 3)),
    _conv("nn/conv2d/unbatched", lambda t, x, w: F(t).conv2d(x, w), A(2, 5, 5), A(3, 2, 3, 3)),
    _conv("nn/conv2d/f64", lambda t, x, w, b: F(t).conv2d(x, w, b, padding=1),
          A(2, 3, 5, 5, dtype=F64), A(2, 3, 3, 3, dtype=F64), A(2, dtype=F64)),
    _conv("nn/conv2d/many_channels", lambda t, x, w: F(t).conv2d(x, w, padding=1),
          A(2, 8, 5, 5), A(4, 8, 3, 3)),  # the channels-last grad_input path
    _exact("nn/conv2d/int64", lambda t, x, w: F(t).conv2d(x, w),
           A(1, 2, 4, 4, dtype="int64", kind="int", low=-3, high=4),
           A(2, 2, 2, 2, dtype="int64", kind="int", low=-3, high=4)),
    _conv("nn/conv1d", lambda t, x, w, b: F(t).conv1d(x, w, b, stride=2, padding=1),
          A(2, 3, 9), A(4, 3, 3), A(4)),
    _conv("nn/conv1d/same_dilated", lambda t, x, w: F(t).conv1d(x, w, padding="same",
                                                                dilation=2),
          A(2, 2, 7), A(3, 2, 3)),
    _conv("nn/conv3d", lambda t, x, w, b: F(t).conv3d(x, w, b, padding=(1, 0, 1)),
          A(1, 2, 4, 3, 4), A(2, 2, 2, 2, 3), A(2)),
    _conv("nn/conv_transpose2d", lambda t, x, w, b: F(t).conv_transpose2d(x, w, b),
          A(2, 3, 4, 3), A(3, 2, 3, 2), A(2)),
    _conv("nn/conv_transpose2d/stride_outpad", lambda t, x, w, b: F(t).conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=(1, 0)), A(2, 3, 3, 4), A(3, 2, 3, 3),
        A(2)),
    _conv("nn/conv_transpose2d/groups_dil", lambda t, x, w: F(t).conv_transpose2d(
        x, w, groups=2, dilation=(2, 1), stride=(1, 2)), A(1, 4, 3, 3), A(4, 3, 2, 2)),
    _conv("nn/conv_transpose1d", lambda t, x, w, b: F(t).conv_transpose1d(x, w, b, stride=3),
          A(2, 3, 4), A(3, 2, 3), A(2)),
    _conv("nn/conv_transpose3d", lambda t, x, w: F(t).conv_transpose3d(x, w, stride=2),
          A(1, 2, 2, 3, 2), A(2, 2, 2, 2, 2)),
    _conv("nn/conv_transpose2d/unbatched", lambda t, x, w: F(t).conv_transpose2d(x, w),
          A(3, 3, 3), A(3, 2, 2, 2)),
    _conv("nn/convolution", lambda t, x, w, b: t.convolution(
        x, w, b, (1, 1), (1, 0), (1, 1), False, (0, 0), 1), A(1, 2, 4, 4), A(3, 2, 3, 3), A(3)),
    _conv("nn/torch.conv2d", lambda t, x, w: t.conv2d(x, w, None, 1, 1), A(1, 2, 4, 4),
          A(3, 2, 3, 3)),
    # max pooling
    _exact("nn/max_pool2d", lambda t, x: F(t).max_pool2d(x, 2), A(2, 3, 6, 5, **D)),
    _exact("nn/max_pool2d/indices", lambda t, x: F(t).max_pool2d(x, 2, return_indices=True),
           A(2, 3, 6, 6, **D)),
    _exact("nn/max_pool2d/overlap_pad", lambda t, x: F(t).max_pool2d(
        x, 3, 1, 1, return_indices=True), A(2, 2, 5, 5, **D)),
    _exact("nn/max_pool2d/dilation_ceil", lambda t, x: F(t).max_pool2d(
        x, (3, 2), (2, 3), (1, 1), (2, 1), ceil_mode=True, return_indices=True),
        A(1, 2, 9, 8, **D)),
    _exact("nn/max_pool2d/unbatched", lambda t, x: F(t).max_pool2d(x, 2), A(3, 4, 4, **D)),
    _exact("nn/max_pool2d/f64", lambda t, x: F(t).max_pool2d(x, 2), A(2, 2, 4, 4, dtype=F64,
                                                                      **D)),
    _exact("nn/max_pool2d/int64", lambda t, x: F(t).max_pool2d(x, 2, 1, return_indices=True),
           A(2, 2, 4, 4, dtype="int64", kind="int", low=-9, high=9)),
    _exact("nn/max_pool1d", lambda t, x: F(t).max_pool1d(x, 3, 2, 1, return_indices=True),
           A(2, 3, 9, **D)),
    _exact("nn/max_pool3d", lambda t, x: F(t).max_pool3d(x, 2, return_indices=True),
           A(1, 2, 4, 4, 5, **D)),
    _exact("nn/torch.max_pool2d", lambda t, x: t.max_pool2d(x, 2), A(1, 2, 4, 4, **D)),
    # average pooling
    _exact("nn/avg_pool2d", lambda t, x: F(t).avg_pool2d(x, 2), A(2, 3, 6, 5)),
    _exact("nn/avg_pool2d/pad_exclude", lambda t, x: F(t).avg_pool2d(
        x, 3, 2, 1, count_include_pad=False), A(2, 2, 7, 6)),
    _exact("nn/avg_pool2d/ceil_include", lambda t, x: F(t).avg_pool2d(
        x, 3, 2, 1, ceil_mode=True), A(2, 2, 6, 6)),
    _exact("nn/avg_pool2d/divisor", lambda t, x: F(t).avg_pool2d(x, 2, 1, divisor_override=3),
           A(1, 2, 4, 4)),
    _exact("nn/avg_pool2d/int64", lambda t, x: F(t).avg_pool2d(x, 2, padding=1),
           A(1, 2, 4, 4, dtype="int64", kind="int", low=-9, high=9)),
    _exact("nn/avg_pool1d", lambda t, x: F(t).avg_pool1d(x, 3, 2, 1), A(2, 3, 8)),
    _exact("nn/avg_pool3d", lambda t, x: F(t).avg_pool3d(x, 2, padding=1), A(1, 2, 3, 4, 4)),
    # adaptive pooling
    _exact("nn/adaptive_avg_pool2d", lambda t, x: F(t).adaptive_avg_pool2d(x, (3, 4)),
           A(2, 2, 7, 9)),
    _exact("nn/adaptive_avg_pool2d/divides", lambda t, x: F(t).adaptive_avg_pool2d(x, 2),
           A(2, 2, 6, 4)),
    _exact("nn/adaptive_avg_pool2d/larger", lambda t, x: F(t).adaptive_avg_pool2d(x, (5, 3)),
           A(1, 2, 3, 2)),
    Spec("nn/adaptive_avg_pool2d/global", lambda t, x: F(t).adaptive_avg_pool2d(x, 1),
         (A(2, 3, 4, 5),)),
    _exact("nn/adaptive_avg_pool1d", lambda t, x: F(t).adaptive_avg_pool1d(x, 4), A(2, 3, 7)),
    _exact("nn/adaptive_avg_pool3d", lambda t, x: F(t).adaptive_avg_pool3d(x, (2, 3, 2)),
           A(1, 2, 3, 5, 4)),
    _exact("nn/adaptive_max_pool2d", lambda t, x: F(t).adaptive_max_pool2d(x, (3, 4), True),
           A(2, 2, 7, 9, **D)),
    _exact("nn/adaptive_max_pool1d", lambda t, x: F(t).adaptive_max_pool1d(x, 3, True),
           A(2, 3, 8, **D)),
    _exact("nn/adaptive_max_pool3d", lambda t, x: F(t).adaptive_max_pool3d(x, 2),
           A(1, 2, 4, 3, 4, **D)),
    # unpooling and power pooling
    _exact("nn/max_unpool2d", _unpool, A(2, 2, 5, 7, **D)),
    _exact("nn/max_unpool1d", _unpool1d, A(2, 2, 9, **D)),
    Spec("nn/lp_pool2d", lambda t, x: F(t).lp_pool2d(x, 2, 2), (A(2, 2, 4, 6, kind="positive"),),
         **TOL),
    Spec("nn/lp_pool1d", lambda t, x: F(t).lp_pool1d(x, 3, 2, 1),
         (A(2, 2, 6, kind="positive"),), **TOL),
    # resampling
    _exact("nn/interpolate/nearest", lambda t, x: F(t).interpolate(x, scale_factor=2),
           A(2, 2, 3, 4)),
    _exact("nn/interpolate/nearest_size", lambda t, x: F(t).interpolate(x, size=(5, 7)),
           A(1, 2, 3, 4)),
    _exact("nn/interpolate/nearest_1d", lambda t, x: F(t).interpolate(x, scale_factor=1.7),
           A(2, 2, 5)),
    _exact("nn/interpolate/nearest_3d", lambda t, x: F(t).interpolate(x, size=(3, 2, 5)),
           A(1, 2, 2, 3, 3)),
    _exact("nn/interpolate/nearest_exact", lambda t, x: F(t).interpolate(
        x, size=(5, 3), mode="nearest-exact"), A(1, 2, 3, 4)),
    Spec("nn/interpolate/bilinear", lambda t, x: F(t).interpolate(
        x, size=(5, 7), mode="bilinear"), (A(2, 2, 3, 4),), **TOL),
    Spec("nn/interpolate/bilinear_corners", lambda t, x: F(t).interpolate(
        x, scale_factor=(1.5, 2.5), mode="bilinear", align_corners=True), (A(1, 2, 4, 3),),
        **TOL),
    Spec("nn/interpolate/linear", lambda t, x: F(t).interpolate(
        x, scale_factor=0.6, mode="linear"), (A(2, 2, 9),), **TOL),
    Spec("nn/interpolate/bicubic", lambda t, x: F(t).interpolate(
        x, size=(6, 5), mode="bicubic"), (A(1, 2, 4, 4),), **TOL),
    Spec("nn/interpolate/trilinear", lambda t, x: F(t).interpolate(
        x, scale_factor=(2, 1.5, 0.5), mode="trilinear"), (A(1, 1, 2, 3, 4),), **TOL),
    _exact("nn/interpolate/area", lambda t, x: F(t).interpolate(x, size=(2, 3), mode="area"),
           A(1, 2, 5, 7)),
    _exact("nn/pixel_shuffle", lambda t, x: F(t).pixel_shuffle(x, 2), A(2, 8, 3, 2)),
    _exact("nn/pixel_unshuffle", lambda t, x: F(t).pixel_unshuffle(x, 2), A(2, 2, 4, 6)),
    _exact("nn/unfold", lambda t, x: F(t).unfold(x, (2, 3), dilation=(1, 2), padding=1,
                                                 stride=(2, 1)), A(2, 2, 5, 6)),
    Spec("nn/fold", lambda t, x: F(t).fold(x, (4, 5), (2, 2), padding=1), (A(2, 8, 30),),
         **TOL),
]


ERROR_SPECS = [
    ErrorSpec("nn/conv2d/channels", lambda t: F(t).conv2d(t.ones(1, 3, 8, 8), t.ones(6, 1, 5, 5)),
              match="expected input\\[1, 3, 8, 8\\] to have 1 channels"),
    ErrorSpec("nn/conv2d/2d_input", lambda t: F(t).conv2d(t.ones(3, 4), t.ones(6, 1, 5, 5)),
              match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"),
    ErrorSpec("nn/conv2d/kernel_too_big", lambda t: F(t).conv2d(t.ones(1, 1, 2, 2),
                                                                t.ones(6, 1, 5, 5)),
              match="Kernel size can't be greater than actual input size"),
    ErrorSpec("nn/conv2d/bias_size", lambda t: F(t).conv2d(t.ones(1, 1, 6, 6), t.ones(6, 1, 3, 3),
                                                           t.ones(5))),
    ErrorSpec("nn/conv2d/groups_divide", lambda t: F(t).conv2d(
        t.ones(1, 2, 6, 6), t.ones(5, 1, 3, 3), groups=2)),
    ErrorSpec("nn/conv2d/dtype", lambda t: F(t).conv2d(t.ones(1, 1, 6, 6, dtype=t.float64),
                                                       t.ones(2, 1, 3, 3))),
    ErrorSpec("nn/conv2d/same_strided", lambda t: F(t).conv2d(t.ones(1, 1, 6, 6),
                                                              t.ones(2, 1, 3, 3), stride=2,
                                                              padding="same")),
    ErrorSpec("nn/conv2d/stride_zero", lambda t: F(t).conv2d(t.ones(1, 1, 6, 6),
                                                             t.ones(2, 1, 3, 3), stride=0)),
    ErrorSpec("nn/conv_transpose2d/output_padding", lambda t: F(t).conv_transpose2d(
        t.ones(1, 2, 4, 4), t.ones(2, 2, 3, 3), output_padding=1)),
    ErrorSpec("nn/max_pool2d/too_small", lambda t: F(t).max_pool2d(t.ones(1, 1, 1, 1), 2),
              match="Output size is too small"),
    ErrorSpec("nn/max_pool2d/pad", lambda t: F(t).max_pool2d(t.ones(1, 1, 4, 4), 2, 2, 2),
              match="pad should be at most half of effective kernel size"),
    ErrorSpec("nn/avg_pool2d/divisor_zero", lambda t: F(t).avg_pool2d(
        t.ones(1, 1, 4, 4), 2, divisor_override=0)),
    ErrorSpec("nn/adaptive_avg_pool2d/int", lambda t: F(t).adaptive_avg_pool2d(
        t.ones(1, 1, 4, 4, dtype=t.int64), 2)),
    ErrorSpec("nn/max_unpool2d/bad_index", lambda t: F(t).max_unpool2d(
        t.ones(1, 1, 2, 2), t.tensor([[[[0, 1], [2, 99]]]]), 2),
        match="Found an invalid max index: 99"),
    ErrorSpec("nn/max_unpool2d/output_size", lambda t: F(t).max_unpool2d(
        t.ones(1, 1, 2, 2), t.zeros(1, 1, 2, 2, dtype=t.int64), 2, output_size=(9, 9))),
    ErrorSpec("nn/interpolate/no_size", lambda t: F(t).interpolate(t.ones(1, 1, 2, 2))),
    ErrorSpec("nn/interpolate/linear_4d", lambda t: F(t).interpolate(
        t.ones(1, 1, 2, 2), scale_factor=2, mode="linear")),
    ErrorSpec("nn/interpolate/align_corners", lambda t: F(t).interpolate(
        t.ones(1, 1, 2, 2), scale_factor=2, align_corners=True)),
    ErrorSpec("nn/pixel_shuffle/channels", lambda t: F(t).pixel_shuffle(t.ones(1, 5, 2, 2), 2)),
    ErrorSpec("nn/unfold/too_small", lambda t: F(t).unfold(t.ones(1, 1, 2, 2), 3)),
    ErrorSpec("nn/fold/blocks", lambda t: F(t).fold(t.ones(1, 4, 8), (4, 4), 2)),
]

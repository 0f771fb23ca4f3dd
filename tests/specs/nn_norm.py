"""Specs for the normalization layers and embeddings (torchlet/nn/_functional/
normalization.py and embedding.py): batch_norm, instance_norm, layer_norm, group_norm,
rms_norm, local_response_norm, embedding, embedding_bag.

Running statistics are made inside the expression (``t.zeros``/``t.ones``), so every
spec is a pure function of its inputs; their in-place update is compared in
tests/test_nn_norm.py. Embedding gradients with ``padding_idx`` or
``scale_grad_by_freq`` are not the mathematical derivative (by design, as in torch), so
those specs skip gradcheck. Lookups (embedding, max bags) are compared bit for bit.
"""

from opspec import A, ErrorSpec, Spec


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def I(*shape, high=10):  # noqa: N802, E743 - integer indices into a 10-row table
    return A(*shape, dtype="int64", kind="int", low=0, high=high)


def _stats(t, x, mean=0.0, var=1.0):
    c = x.shape[1]
    return t.zeros(c, dtype=x.dtype) + mean, t.ones(c, dtype=x.dtype) * var


def _bn_train(t, x, w, b):
    rm, rv = _stats(t, x)
    return F(t).batch_norm(x, rm, rv, w, b, training=True, momentum=0.3)


def _bn_eval(t, x, w, b):
    rm, rv = _stats(t, x, 0.25, 1.5)
    return F(t).batch_norm(x, rm, rv, w, b, training=False)


def _bn_running(t, x):
    """The running statistics after one training step, as outputs."""
    rm, rv = _stats(t, x)
    F(t).batch_norm(x.detach(), rm, rv, training=True, momentum=0.3)
    return rm, rv


OFFSETS = [0, 3, 3, 7, 10]  # bag 1 is empty


def _bag(mode, **kw):
    def fn(t, idx, w):
        return F(t).embedding_bag(idx, w, t.tensor(OFFSETS), mode=mode, **kw)
    return fn


SPECS = [
    # batch_norm
    Spec("nn/batch_norm/train_3d", _bn_train, (A(4, 3, 5), A(3), A(3))),
    Spec("nn/batch_norm/train_2d", _bn_train, (A(6, 4), A(4), A(4))),
    Spec("nn/batch_norm/train_4d", _bn_train, (A(3, 2, 3, 4), A(2), A(2))),
    Spec("nn/batch_norm/eval_4d", _bn_eval, (A(3, 2, 3, 4), A(2), A(2))),
    Spec("nn/batch_norm/no_affine", lambda t, x: F(t).batch_norm(x, None, None, training=True),
         (A(5, 3, 2),)),
    Spec("nn/batch_norm/float64", _bn_train, (A(4, 3, 5, dtype="float64"),
                                              A(3, dtype="float64"), A(3, dtype="float64"))),
    Spec("nn/batch_norm/running_stats", _bn_running, (A(8, 3, 4, grad=False),), grad=False,
         rtol=1e-6, atol=1e-6),
    # instance_norm (a batch_norm on (1, N*C, *), viewed back)
    Spec("nn/instance_norm", lambda t, x, w, b: F(t).instance_norm(x, weight=w, bias=b),
         (A(2, 3, 5), A(3), A(3))),
    Spec("nn/instance_norm/2d_no_affine", lambda t, x: F(t).instance_norm(x),
         (A(2, 3, 4, 3),)),
    # layer_norm
    Spec("nn/layer_norm", lambda t, x, w, b: F(t).layer_norm(x, (5,), w, b),
         (A(4, 3, 5), A(5), A(5))),
    Spec("nn/layer_norm/two_dims", lambda t, x, w, b: F(t).layer_norm(x, (3, 5), w, b, 1e-3),
         (A(4, 3, 5), A(3, 5), A(3, 5))),
    Spec("nn/layer_norm/no_affine", lambda t, x: F(t).layer_norm(x, [2, 3, 4]),
         (A(2, 3, 4),)),
    Spec("nn/layer_norm/weight_only", lambda t, x, w: F(t).layer_norm(x, (4,), w),
         (A(3, 4), A(4))),
    # group_norm
    Spec("nn/group_norm", lambda t, x, w, b: F(t).group_norm(x, 2, w, b),
         (A(3, 4, 5), A(4), A(4))),
    Spec("nn/group_norm/4d", lambda t, x, w, b: F(t).group_norm(x, 3, w, b, 1e-3),
         (A(2, 6, 3, 2), A(6), A(6))),
    Spec("nn/group_norm/one_group_no_affine", lambda t, x: F(t).group_norm(x, 1),
         (A(2, 4, 3),)),
    # rms_norm and local_response_norm (composites, as in torch)
    Spec("nn/rms_norm", lambda t, x, w: F(t).rms_norm(x, (5,), w), (A(3, 4, 5), A(5))),
    Spec("nn/rms_norm/eps_two_dims", lambda t, x: F(t).rms_norm(x, (4, 5), eps=1e-3),
         (A(3, 4, 5),)),
    Spec("nn/local_response_norm/3d", lambda t, x: F(t).local_response_norm(x, 3),
         (A(2, 6, 5),)),
    Spec("nn/local_response_norm/4d",
         lambda t, x: F(t).local_response_norm(x, 4, alpha=0.1, beta=0.5, k=2.0),
         (A(2, 5, 3, 2),)),
    # embedding
    Spec("nn/embedding", lambda t, idx, w: F(t).embedding(idx, w), (I(4, 6), A(10, 3)),
         exact=True),
    Spec("nn/embedding/0d_index", lambda t, idx, w: F(t).embedding(idx, w), (I(), A(10, 3)),
         exact=True),
    Spec("nn/embedding/padding_idx", lambda t, idx, w: F(t).embedding(idx, w, padding_idx=3),
         (I(5, 4, high=5), A(5, 2)), exact=True, gradcheck=False),
    Spec("nn/embedding/scale_grad_by_freq",
         lambda t, idx, w: F(t).embedding(idx, w, scale_grad_by_freq=True),
         (I(12, high=4), A(4, 3)), exact=True, gradcheck=False),
    # embedding_bag
    # (torch cannot differentiate embedding_bag's gradients again: gradgradcheck raises its
    # NotImplementedError, checked in test_nn_embedding.py)
    Spec("nn/embedding_bag/mean_2d", lambda t, idx, w: F(t).embedding_bag(idx, w),
         (I(4, 5), A(10, 3)), gradgradcheck=False),
    Spec("nn/embedding_bag/sum_offsets", _bag("sum"), (I(10), A(10, 3)), gradgradcheck=False),
    Spec("nn/embedding_bag/mean_offsets", _bag("mean"), (I(10), A(10, 3)),
         gradgradcheck=False),
    Spec("nn/embedding_bag/max_offsets", _bag("max"), (I(10), A(10, 3, kind="distinct")),
         exact=True, gradgradcheck=False),
    Spec("nn/embedding_bag/sum_padding", _bag("sum", padding_idx=2), (I(10, high=4), A(4, 3)),
         gradcheck=False),
    Spec("nn/embedding_bag/per_sample_weights",
         lambda t, idx, w, p: F(t).embedding_bag(idx, w, t.tensor(OFFSETS), mode="sum",
                                                 per_sample_weights=p),
         (I(10), A(10, 3), A(10)), gradgradcheck=False),
    Spec("nn/embedding_bag/include_last_offset",
         lambda t, idx, w: F(t).embedding_bag(idx, w, t.tensor([0, 2, 2, 6, 10]),
                                              mode="sum", include_last_offset=True),
         (I(10), A(10, 3)), gradgradcheck=False),
]


def _x(t, *shape):
    return t.ones(*shape)


ERROR_SPECS = [
    ErrorSpec("nn/batch_norm/one_value_per_channel",
              lambda t: F(t).batch_norm(_x(t, 1, 4), None, None, training=True),
              match=r"Expected more than 1 value per channel when training, got input size "
                    r"torch\.Size\(\[1, 4\]\)"),
    ErrorSpec("nn/batch_norm/running_mean_size",
              lambda t: F(t).batch_norm(_x(t, 2, 3), t.zeros(4), t.ones(3)),
              match="running_mean should contain 3 elements not 4"),
    ErrorSpec("nn/batch_norm/eval_without_stats",
              lambda t: F(t).batch_norm(_x(t, 2, 3), None, None),
              match="running_mean must be defined in evaluation mode"),
    ErrorSpec("nn/batch_norm/weight_size",
              lambda t: F(t).batch_norm(_x(t, 2, 3), t.zeros(3), t.ones(3), t.ones(4)),
              match="weight should contain 3 elements not 4"),
    ErrorSpec("nn/batch_norm/negative_eps",
              lambda t: F(t).batch_norm(_x(t, 2, 3), t.zeros(3), t.ones(3), eps=-1.0)),
    ErrorSpec("nn/batch_norm/integer_input",
              lambda t: F(t).batch_norm(t.ones(2, 3, dtype=t.int64), t.zeros(3), t.ones(3)),
              match="\"batch_norm\" not implemented for 'Long'"),
    ErrorSpec("nn/batch_norm/mixed_dtype",
              lambda t: F(t).batch_norm(_x(t, 2, 3), t.zeros(3), t.ones(3),
                                        t.ones(3, dtype=t.float64)),
              match="mixed dtype"),
    ErrorSpec("nn/layer_norm/shape",
              lambda t: F(t).layer_norm(_x(t, 4, 3, 5), (4,)),
              match=r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but "
                    r"got input of size\[4, 3, 5\]"),
    ErrorSpec("nn/layer_norm/weight_shape",
              lambda t: F(t).layer_norm(_x(t, 4, 3, 5), (3, 5), t.ones(5))),
    ErrorSpec("nn/layer_norm/int_shape", lambda t: F(t).layer_norm(_x(t, 4, 5), 5)),
    ErrorSpec("nn/group_norm/indivisible", lambda t: F(t).group_norm(_x(t, 4, 3, 5), 2),
              match="Expected number of channels in input to be divisible by num_groups"),
    ErrorSpec("nn/group_norm/1d", lambda t: F(t).group_norm(_x(t, 3), 1)),
    ErrorSpec("nn/instance_norm/one_spatial",
              lambda t: F(t).instance_norm(_x(t, 2, 3, 1)),
              match="Expected more than 1 spatial element when training"),
    ErrorSpec("nn/rms_norm/shape", lambda t: F(t).rms_norm(_x(t, 4, 3, 5), (4,))),
    ErrorSpec("nn/local_response_norm/2d", lambda t: F(t).local_response_norm(_x(t, 2, 3), 2)),
    ErrorSpec("nn/embedding/out_of_range",
              lambda t: F(t).embedding(t.tensor([1, 10]), _x(t, 10, 3)),
              match="index out of range in self"),
    ErrorSpec("nn/embedding/float_indices",
              lambda t: F(t).embedding(t.tensor([1.0]), _x(t, 10, 3)),
              match="Expected tensor for argument #1 'indices' to have one of the following "
                    "scalar types: Long, Int"),
    ErrorSpec("nn/embedding/weight_1d",
              lambda t: F(t).embedding(t.tensor([1]), _x(t, 10)), match="'weight' must be 2-D"),
    ErrorSpec("nn/embedding/padding_idx_range",
              lambda t: F(t).embedding(t.tensor([1]), _x(t, 10, 3), padding_idx=10)),
    ErrorSpec("nn/embedding_bag/no_offsets",
              lambda t: F(t).embedding_bag(t.tensor([1, 2]), _x(t, 10, 3))),
    ErrorSpec("nn/embedding_bag/bad_mode",
              lambda t: F(t).embedding_bag(t.tensor([[1, 2]]), _x(t, 10, 3), mode="min")),
    ErrorSpec("nn/embedding_bag/psw_mean",
              lambda t: F(t).embedding_bag(t.tensor([[1, 2]]), _x(t, 10, 3),
                                           per_sample_weights=_x(t, 1, 2))),
    ErrorSpec("nn/embedding_bag/first_offset",
              lambda t: F(t).embedding_bag(t.tensor([1, 2]), _x(t, 10, 3), t.tensor([1])),
              match="offsets\\[0\\] has to be 0"),
    ErrorSpec("nn/embedding_bag/out_of_range",
              lambda t: F(t).embedding_bag(t.tensor([1, 12]), _x(t, 10, 3), t.tensor([0]))),
]

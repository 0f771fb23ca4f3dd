"""Specs for torchlet.nn.functional's activations, losses, distances, padding and one_hot
(torchlet/nn/_functional). Every expression runs as ``lib.nn.functional.<fn>(...)``.

Class-index targets are 'int' inputs; ``low=-1`` makes some of them -1, which the specs
pass as ``ignore_index``. Weights are inputs that do not require grad (torch refuses a
weight that does). The exhaustive option matrix of cross_entropy / nll_loss lives in
tests/test_losses.py; these are the representative cases, with golden files.
"""

from opspec import A, ErrorSpec, Spec

F64 = "float64"


def F(t):  # noqa: N802 - reads like the usual ``F``
    return t.nn.functional


def _act(name, expr, kind="uniform", low=-3.0, high=3.0, **kw):
    """An activation on a (3, 5) float32 input drawn from [low, high)."""
    return Spec(f"nn/{name}", expr, (A(3, 5, kind=kind, low=low, high=high),), **kw)


def T(*shape, low=0, high=4):  # noqa: N802 - class-index targets
    return A(*shape, dtype="int64", kind="int", low=low, high=high)


def W(n):  # noqa: N802 - a class-weight input (no gradient)
    return A(n, kind="positive", grad=False)


P = dict(kind="uniform", low=0.05, high=0.95)  # probabilities for binary cross entropy
# values on a grid whose steps never add up to a margin exactly (no hinge kinks)
GRID = dict(kind="distinct", low=-1.1, high=1.3)


SPECS = [
    # softmax family
    Spec("nn/softmax", lambda t, x: F(t).softmax(x, 1), (A(3, 5),)),
    Spec("nn/softmax/dim0_3d", lambda t, x: F(t).softmax(x, 0), (A(2, 3, 4),)),
    Spec("nn/softmax/dtype", lambda t, x: F(t).softmax(x, -1, dtype=t.float64), (A(3, 5),)),
    Spec("nn/log_softmax", lambda t, x: F(t).log_softmax(x, 1), (A(3, 5),)),
    Spec("nn/log_softmax/dim_last_3d", lambda t, x: F(t).log_softmax(x, -1), (A(2, 3, 4),)),
    Spec("nn/log_softmax/big_logits", lambda t, x: F(t).log_softmax(x * 5000, 1), (A(3, 5),)),
    Spec("nn/log_softmax/1d", lambda t, x: F(t).log_softmax(x, 0), (A(7),)),
    Spec("nn/softmin", lambda t, x: F(t).softmin(x, 1), (A(3, 5),)),
    Spec("nn/softmax/0d", lambda t, x: F(t).softmax(x, 0), (A(),)),
    # activations (each its own node, torch's name)
    _act("relu", lambda t, x: F(t).relu(x)),
    _act("relu6", lambda t, x: F(t).relu6(x * 3)),
    _act("leaky_relu", lambda t, x: F(t).leaky_relu(x, 0.2)),
    _act("leaky_relu/inplace", lambda t, x: F(t).leaky_relu(x * 1, 0.2, inplace=True)),
    _act("elu", lambda t, x: F(t).elu(x, 1.5)),
    _act("elu/inplace", lambda t, x: F(t).elu(x * 1, inplace=True)),
    _act("selu", lambda t, x: F(t).selu(x)),
    _act("celu", lambda t, x: F(t).celu(x, 2.0)),
    _act("gelu", lambda t, x: F(t).gelu(x)),
    _act("gelu/tanh", lambda t, x: F(t).gelu(x, approximate="tanh")),
    _act("silu", lambda t, x: F(t).silu(x)),
    _act("mish", lambda t, x: F(t).mish(x)),
    _act("softplus", lambda t, x: F(t).softplus(x)),
    _act("softplus/beta_threshold", lambda t, x: F(t).softplus(x, 2.0, 3.0)),
    _act("softsign", lambda t, x: F(t).softsign(x)),
    _act("hardtanh", lambda t, x: F(t).hardtanh(x, -1.5, 2.0)),
    # torch has no derivative of hardsigmoid_backward: no second derivative to check
    _act("hardsigmoid", lambda t, x: F(t).hardsigmoid(x * 2), gradgradcheck=False),
    _act("hardswish", lambda t, x: F(t).hardswish(x * 2)),
    _act("tanh", lambda t, x: F(t).tanh(x)),
    _act("sigmoid", lambda t, x: F(t).sigmoid(x)),
    _act("logsigmoid", lambda t, x: F(t).logsigmoid(x * 10)),
    _act("threshold", lambda t, x: F(t).threshold(x, 0.5, -2.0)),
    _act("threshold/inplace", lambda t, x: F(t).threshold(x * 1, 0.5, -2.0, inplace=True)),
    _act("rrelu/eval", lambda t, x: F(t).rrelu(x)),
    _act("tanhshrink", lambda t, x: F(t).tanhshrink(x)),
    _act("softshrink", lambda t, x: F(t).softshrink(x, 1.0)),
    _act("hardshrink", lambda t, x: F(t).hardshrink(x, 1.0)),
    _act("relu/inplace", lambda t, x: F(t).relu(x * 1, inplace=True)),
    Spec("nn/glu", lambda t, x: F(t).glu(x), (A(3, 6),)),
    Spec("nn/glu/dim0", lambda t, x: F(t).glu(x, 0), (A(4, 3),)),
    Spec("nn/prelu/shared", lambda t, x, w: F(t).prelu(x, w), (A(2, 3, 4), A(1))),
    Spec("nn/prelu/channels", lambda t, x, w: F(t).prelu(x, w), (A(2, 3, 4), A(3))),
    Spec("nn/gelu/f64", lambda t, x: F(t).gelu(x), (A(4, dtype=F64),)),
    # cross_entropy: class indices
    Spec("nn/cross_entropy", lambda t, x, y: F(t).cross_entropy(x, y), (A(4, 5), T(4, high=5))),
    Spec("nn/cross_entropy/sum", lambda t, x, y: F(t).cross_entropy(x, y, reduction="sum"),
         (A(4, 5), T(4, high=5))),
    Spec("nn/cross_entropy/none_weight_ignore",
         lambda t, x, y, w: F(t).cross_entropy(x, y, w, ignore_index=-1, reduction="none"),
         (A(6, 4), T(6, low=-1), W(4))),
    Spec("nn/cross_entropy/mean_weight_ignore",
         lambda t, x, y, w: F(t).cross_entropy(x, y, w, ignore_index=-1),
         (A(6, 4), T(6, low=-1), W(4))),
    Spec("nn/cross_entropy/smoothing",
         lambda t, x, y: F(t).cross_entropy(x, y, label_smoothing=0.1), (A(5, 4), T(5))),
    Spec("nn/cross_entropy/smoothing_weight_ignore",
         lambda t, x, y, w: F(t).cross_entropy(x, y, w, ignore_index=-1, label_smoothing=0.2),
         (A(6, 4), T(6, low=-1), W(4))),
    Spec("nn/cross_entropy/1d", lambda t, x, y: F(t).cross_entropy(x, y), (A(5), T(high=5))),
    Spec("nn/cross_entropy/segmentation",
         lambda t, x, y: F(t).cross_entropy(x, y, reduction="sum"), (A(2, 3, 4, 5), T(2, 4, 5,
                                                                                     high=3))),
    Spec("nn/cross_entropy/3d_none", lambda t, x, y: F(t).cross_entropy(x, y, reduction="none"),
         (A(2, 3, 4), T(2, 4, high=3))),
    Spec("nn/cross_entropy/f64", lambda t, x, y: F(t).cross_entropy(x, y),
         (A(4, 5, dtype=F64), T(4, high=5))),
    # cross_entropy: probabilities (torch composes it; DivBackward1 on top for 'mean')
    Spec("nn/cross_entropy/probs_sum", lambda t, x, p: F(t).cross_entropy(x, p, reduction="sum"),
         (A(4, 5), A(4, 5, kind="positive"))),
    Spec("nn/cross_entropy/probs_none_weight_smoothing",
         lambda t, x, p, w: F(t).cross_entropy(x, p, w, reduction="none", label_smoothing=0.1),
         (A(4, 5), A(4, 5, kind="positive"), W(5))),
    Spec("nn/cross_entropy/probs_mean", lambda t, x, p: F(t).cross_entropy(x, p),
         (A(4, 5), A(4, 5, kind="positive")), grad_fn=False),
    # nll_loss
    Spec("nn/nll_loss", lambda t, x, y: F(t).nll_loss(F(t).log_softmax(x, 1), y),
         (A(4, 5), T(4, high=5))),
    Spec("nn/nll_loss/weight_ignore_none",
         lambda t, x, y, w: F(t).nll_loss(x, y, w, ignore_index=-1, reduction="none"),
         (A(6, 4), T(6, low=-1), W(4))),
    Spec("nn/nll_loss/weight_mean", lambda t, x, y, w: F(t).nll_loss(x, y, w),
         (A(6, 4), T(6), W(4))),
    Spec("nn/nll_loss/4d", lambda t, x, y: F(t).nll_loss(x, y, reduction="sum"),
         (A(2, 3, 2, 2), T(2, 2, 2, high=3))),
    # regression losses
    Spec("nn/mse_loss", lambda t, x, y: F(t).mse_loss(x, y), (A(3, 4), A(3, 4))),
    Spec("nn/mse_loss/none", lambda t, x, y: F(t).mse_loss(x, y, reduction="none"),
         (A(3, 4), A(3, 4))),
    Spec("nn/l1_loss", lambda t, x, y: F(t).l1_loss(x, y), (A(3, 4), A(3, 4))),
    Spec("nn/smooth_l1_loss", lambda t, x, y: F(t).smooth_l1_loss(x, y, beta=0.5),
         (A(3, 4), A(3, 4))),
    Spec("nn/huber_loss/sum", lambda t, x, y: F(t).huber_loss(x, y, reduction="sum", delta=0.7),
         (A(3, 4), A(3, 4))),
    # binary cross entropy
    Spec("nn/binary_cross_entropy", lambda t, x, y: F(t).binary_cross_entropy(x, y),
         (A(3, 4, **P), A(3, 4, **P))),
    Spec("nn/binary_cross_entropy/weight_none",
         lambda t, x, y, w: F(t).binary_cross_entropy(x, y, w, reduction="none"),
         (A(3, 4, **P), A(3, 4, **P), W(4))),
    Spec("nn/bce_with_logits", lambda t, x, y: F(t).binary_cross_entropy_with_logits(x, y),
         (A(3, 4), A(3, 4, **P))),
    Spec("nn/bce_with_logits/pos_weight",
         lambda t, x, y, w: F(t).binary_cross_entropy_with_logits(x, y, w, pos_weight=w * 2),
         (A(3, 4), A(3, 4, **P), W(4))),
    # divergences and likelihoods
    Spec("nn/kl_div/batchmean", lambda t, x, y: F(t).kl_div(x, y, reduction="batchmean"),
         (A(3, 4), A(3, 4, **P))),
    Spec("nn/kl_div/log_target", lambda t, x, y: F(t).kl_div(x, y, reduction="sum",
                                                              log_target=True),
         (A(3, 4), A(3, 4))),
    Spec("nn/poisson_nll_loss", lambda t, x, y: F(t).poisson_nll_loss(x, y),
         (A(3, 4), A(3, 4, kind="positive"))),
    Spec("nn/poisson_nll_loss/full", lambda t, x, y: F(t).poisson_nll_loss(
        x, y * 3, log_input=False, full=True, reduction="sum"),
        (A(3, 4, kind="positive"), A(3, 4, kind="positive"))),
    Spec("nn/gaussian_nll_loss", lambda t, x, y, v: F(t).gaussian_nll_loss(x, y, v),
         (A(3, 4), A(3, 4), A(3, 4, kind="positive"))),
    # margin and embedding losses
    Spec("nn/margin_ranking_loss", lambda t, a, b, y: F(t).margin_ranking_loss(
        a, b, y.sign(), margin=0.1), (A(5), A(5), A(5, grad=False))),
    Spec("nn/hinge_embedding_loss", lambda t, x, y: F(t).hinge_embedding_loss(x, y.sign()),
         (A(3, 4), A(3, 4, grad=False))),
    Spec("nn/soft_margin_loss", lambda t, x, y: F(t).soft_margin_loss(x, y.sign()),
         (A(3, 4), A(3, 4, grad=False))),
    Spec("nn/multilabel_soft_margin_loss",
         lambda t, x, y: F(t).multilabel_soft_margin_loss(x, (y > 0.5).float()),
         (A(3, 4), A(3, 4, kind="positive", grad=False))),
    Spec("nn/multilabel_margin_loss", lambda t, x, y: F(t).multilabel_margin_loss(x, y),
         (A(3, 4, kind="distinct", low=-0.9, high=1.3), T(3, 4, low=-1, high=4)),
         gradgradcheck=False),  # (torch: NotImplemented, as tests/test_lead19.py checks)
    Spec("nn/multi_margin_loss", lambda t, x, y: F(t).multi_margin_loss(x, y),
         (A(4, 5, **GRID), T(4, high=5)), gradgradcheck=False),
    Spec("nn/multi_margin_loss/p2_weight", lambda t, x, y, w: F(t).multi_margin_loss(
        x, y, p=2, margin=0.5, weight=w, reduction="none"),
        (A(4, 5, **GRID), T(4, high=5), W(5)), gradgradcheck=False),
    Spec("nn/cosine_embedding_loss", lambda t, a, b, y: F(t).cosine_embedding_loss(
        a, b, y.sign(), margin=0.1), (A(4, 3), A(4, 3), A(4, grad=False))),
    Spec("nn/triplet_margin_loss", lambda t, a, p, n: F(t).triplet_margin_loss(a, p, n),
         (A(4, 3), A(4, 3), A(4, 3))),
    # distances
    Spec("nn/cosine_similarity", lambda t, a, b: F(t).cosine_similarity(a, b),
         (A(4, 3), A(4, 3))),
    Spec("nn/normalize", lambda t, x: F(t).normalize(x, dim=0), (A(4, 3),)),
    Spec("nn/pairwise_distance", lambda t, a, b: F(t).pairwise_distance(a, b), (A(4, 3), A(4, 3)),
         grad_fn=False),  # torch's node is NormBackward1 (torch.norm), torchlet's the vector norm
    # padding
    Spec("nn/pad/constant", lambda t, x: F(t).pad(x, (1, 2, 0, 1), value=0.5), (A(2, 3, 4),),
         exact=True),
    Spec("nn/pad/constant_negative", lambda t, x: F(t).pad(x, (-1, 2)), (A(2, 3, 4),),
         exact=True),
    Spec("nn/pad/reflect", lambda t, x: F(t).pad(x, (2, 1), mode="reflect"), (A(2, 3, 4),),
         exact=True),
    Spec("nn/pad/replicate_2d", lambda t, x: F(t).pad(x, (1, 2, 2, 0), mode="replicate"),
         (A(1, 2, 3, 4),), exact=True),
    Spec("nn/pad/reflect_3d", lambda t, x: F(t).pad(x, (1, 1, 0, 2, 1, 0), mode="reflect"),
         (A(1, 1, 2, 3, 4),), exact=True),
    Spec("nn/pad/circular", lambda t, x: F(t).pad(x, (1, 2, 1, 0), mode="circular"),
         (A(1, 2, 3, 4),), exact=True),
    # one_hot
    Spec("nn/one_hot", lambda t, y: F(t).one_hot(y, 6), (T(3, 2, high=6),), exact=True),
    Spec("nn/one_hot/infer", lambda t, y: F(t).one_hot(y), (T(5, high=4),), exact=True),
]


ERROR_SPECS = [
    ErrorSpec("nn/err/ce_target_out_of_range", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1, 7, 2])), match="Target 7 is out of bounds."),
    ErrorSpec("nn/err/ce_float_target", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1.0, 2.0, 3.0])), match="Long"),
    ErrorSpec("nn/err/ce_batch_size", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2])),
        match=r"Expected input batch_size \(3\) to match target batch_size \(2\)."),
    ErrorSpec("nn/err/ce_weight_length", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2, 0]), weight=t.ones(4)), match="weight tensor"),
    ErrorSpec("nn/err/ce_segmentation_target", lambda t: F(t).cross_entropy(
        t.zeros(2, 3, 4, 5), t.zeros(2, 4, 4, dtype=t.int64)), match="size mismatch"),
    ErrorSpec("nn/err/ce_smoothing_range", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2, 0]), label_smoothing=1.5), match="label_smoothing"),
    ErrorSpec("nn/err/ce_probabilities_shape", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.ones(3, 4))),
    ErrorSpec("nn/err/ce_reduction", lambda t: F(t).cross_entropy(
        t.zeros(3, 5), t.tensor([1, 2, 0]), reduction="avg")),
    ErrorSpec("nn/err/nll_int_input", lambda t: F(t).nll_loss(
        t.zeros(3, 5, dtype=t.int64), t.tensor([1, 2, 0]))),
    ErrorSpec("nn/err/one_hot_negative", lambda t: F(t).one_hot(t.tensor([-1, 2]))),
    ErrorSpec("nn/err/one_hot_too_few", lambda t: F(t).one_hot(t.tensor([1, 5]), 3)),
    ErrorSpec("nn/err/one_hot_int32", lambda t: F(t).one_hot(t.tensor([1, 2], dtype=t.int32))),
    ErrorSpec("nn/err/bce_range", lambda t: F(t).binary_cross_entropy(
        t.tensor([0.5, 1.5]), t.tensor([1.0, 0.0]))),
    ErrorSpec("nn/err/bce_size", lambda t: F(t).binary_cross_entropy(
        t.tensor([0.5, 0.5]), t.tensor([1.0, 0.0, 1.0]))),
    ErrorSpec("nn/err/softmax_int", lambda t: F(t).softmax(t.tensor([1, 2]), 0)),
    ErrorSpec("nn/err/softmax_dim", lambda t: F(t).softmax(t.zeros(2, 3), 2)),
    ErrorSpec("nn/err/glu_odd", lambda t: F(t).glu(t.zeros(2, 3))),
    ErrorSpec("nn/err/hardtanh_bounds", lambda t: F(t).hardtanh(t.zeros(2), 1.0, -1.0)),
    ErrorSpec("nn/err/dropout_p", lambda t: F(t).dropout(t.zeros(2), 1.5)),
    ErrorSpec("nn/err/pad_odd", lambda t: F(t).pad(t.zeros(2, 3), (1, 2, 3))),
    ErrorSpec("nn/err/pad_reflect_too_much", lambda t: F(t).pad(t.zeros(2, 3, 4), (4, 2),
                                                                mode="reflect")),
    ErrorSpec("nn/err/multi_margin_target", lambda t: F(t).multi_margin_loss(
        t.zeros(3, 4), t.tensor([1, 2, 5]))),
]

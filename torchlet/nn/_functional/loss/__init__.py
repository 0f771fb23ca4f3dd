"""Loss functions: cross_entropy, nll_loss, one_hot and the others of torch.nn.functional.

Every loss takes ``reduction``: 'none' (one value per sample), 'mean' (the default) or
'sum'; the deprecated ``size_average``/``reduce`` arguments are mapped as torch maps them.

Losses that torch writes as a composition of operations (kl_div, l1_loss, the margin
losses, ...) are written the same way here, so their graphs show torch's nodes; the
others (mse, smooth_l1, huber, binary cross entropy, ...) are one primitive each. The
losses built on distances (cosine_embedding_loss, triplet_margin_loss) are in distance.py.

The modules, by kind:

* ``_shared``: the reduction arguments and the checks every loss uses;
* ``classification``: class-index targets: cross_entropy (one forward pass recording
  torch's two nodes, NllLossBackward0 over LogSoftmaxBackward0), nll_loss, one_hot;
* ``probability``: binary_cross_entropy (with logits), kl_div;
* ``regression``: mse, l1, smooth_l1, huber, poisson_nll and gaussian_nll losses;
* ``margin``: the hinge and soft-margin losses.

This namespace re-exports their names, the helpers and primitives included, so that
``from torchlet.nn._functional.loss import X`` works for each of them.
"""

from torchlet.nn._functional.loss._shared import (
    _TYPE_WORD,
    _check,
    _common,
    _get_enum,
    _grad_scale,
    _not_differentiable,
    _read_first,
    _reduce,
    _reduce_np,
    _reduction,
    _size_warning,
    legacy_get_string,
)
from torchlet.nn._functional.loss.classification import (
    CrossEntropy,
    CrossEntropy2d,
    NllLoss,
    NllLoss2d,
    _add_at_class,
    _as_torch_view,
    _class_shape,
    _class_target_checks,
    _cross_entropy_probabilities,
    _LogSoftmaxOf,
    _per_sample,
    _take_class,
    _targets,
    cross_entropy,
    nll_loss,
    one_hot,
)
from torchlet.nn._functional.loss.margin import (
    MultilabelMarginLoss,
    MultiMarginLoss,
    SoftMarginLoss,
    _margin_input,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
)
from torchlet.nn._functional.loss.probability import (
    BinaryCrossEntropy,
    BinaryCrossEntropyWithLogits,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    kl_div,
)
from torchlet.nn._functional.loss.regression import (
    HuberLoss,
    MseLoss,
    SmoothL1Loss,
    _weighted,
    gaussian_nll_loss,
    huber_loss,
    l1_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
)

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div", "l1_loss",
    "margin_ranking_loss", "mse_loss", "multi_margin_loss", "multilabel_margin_loss",
    "multilabel_soft_margin_loss", "nll_loss", "one_hot", "poisson_nll_loss", "smooth_l1_loss",
    "soft_margin_loss",
]

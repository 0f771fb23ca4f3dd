"""The losses torch also exposes at top level (``torch.kl_div``, ``torch.pdist``, ...).

These are ATen's signatures, not torch.nn.functional's: ``reduction`` is an int enum
(0 'none', 1 'mean', 2 'sum'; as in ATen's apply_loss_reduction any other int reduces
nothing), there is no size_average/reduce, and torch.poisson_nll_loss takes every
argument. Each forwards to the functional form, which records torch's graph.

The schemas say ``reduction=Mean``, but torch's Python binding of these top-level forms
defaults to 0: ``torch.kl_div(x, y)`` returns the unreduced loss. So do these.
"""

from __future__ import annotations

from torchlet._dtype import type_name
from torchlet.nn import functional as F
from torchlet.nn._functional.loss._shared import _check, _reduce

__all__ = ["binary_cross_entropy_with_logits", "constant_pad_nd", "cosine_embedding_loss",
           "hinge_embedding_loss", "kl_div", "margin_ranking_loss", "poisson_nll_loss",
           "triplet_margin_loss"]


def _reduction(fn: str, reduction, position: int) -> str:
    """ATen's reduction enum as functional's string."""
    if not isinstance(reduction, int) or isinstance(reduction, bool):
        raise TypeError(f"{fn}(): argument 'reduction' (position {position}) must be int, not "
                        f"{type_name(reduction)}")
    return {1: "mean", 2: "sum"}.get(reduction, "none")


def _tensors(fn: str, *named) -> None:
    """ATen's parser checks the arguments in order, so its TypeError for a non-tensor
    comes before any about ``reduction`` (and before F's Python code would call .size()
    or .dim() on it). ``named``: (name, value) pairs from position 1; the weights are
    optional (None passes)."""
    for position, (arg, value) in enumerate(named, 1):
        if value is not None or arg not in ("weight", "pos_weight"):
            _check(fn, value, arg, position)


def kl_div(input, target, reduction=0, *, log_target=False):  # noqa: A002 - ATen's names
    # reduced here: F.kl_div warns about 'mean', ATen's kl_div does not
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    return _reduce(loss, _reduction("kl_div", reduction, 3))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-06, swap=False,
                        reduction=0):
    _tensors("triplet_margin_loss", ("anchor", anchor), ("positive", positive),
             ("negative", negative))
    return F.triplet_margin_loss(anchor, positive, negative, margin=margin, p=p, eps=eps,
                                 swap=swap,
                                 reduction=_reduction("triplet_margin_loss", reduction, 8))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    _tensors("margin_ranking_loss", ("input1", input1), ("input2", input2), ("target", target))
    return F.margin_ranking_loss(input1, input2, target, margin=margin,
                                 reduction=_reduction("margin_ranking_loss", reduction, 5))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):  # noqa: A002
    _tensors("hinge_embedding_loss", ("input", input), ("target", target))
    return F.hinge_embedding_loss(input, target, margin=margin,
                                  reduction=_reduction("hinge_embedding_loss", reduction, 4))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    _tensors("cosine_embedding_loss", ("input1", input1), ("input2", input2),
             ("target", target))
    return F.cosine_embedding_loss(input1, input2, target, margin=margin,
                                   reduction=_reduction("cosine_embedding_loss", reduction, 5))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):  # noqa: A002
    _tensors("poisson_nll_loss", ("input", input), ("target", target))
    return F.poisson_nll_loss(input, target, log_input=log_input, full=full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction, 6))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,  # noqa: A002
                                     reduction=0):
    _tensors("binary_cross_entropy_with_logits", ("input", input), ("target", target),
             ("weight", weight), ("pos_weight", pos_weight))
    return F.binary_cross_entropy_with_logits(
        input, target, weight=weight, pos_weight=pos_weight,
        reduction=_reduction("binary_cross_entropy_with_logits", reduction, 5))


def constant_pad_nd(input, pad, value=0):  # noqa: A002
    """Pad the last len(pad) // 2 dimensions with ``value`` (F.pad's constant mode)."""
    if len(pad) % 2 != 0:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    return F.pad(input, pad, mode="constant", value=value)

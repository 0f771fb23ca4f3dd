"""Every loss a learner meets, with its reductions and gradients: cross_entropy with class
weights, ignore_index, label_smoothing and probability targets, nll_loss on images (N, C,
H, W), BCE/BCEWithLogits with weight and pos_weight, MSE/L1/SmoothL1(beta)/Huber(delta),
KLDiv (log_target, batchmean), PoissonNLL, GaussianNLL, margin losses (MarginRanking,
HingeEmbedding, CosineEmbedding, TripletMargin, MultiMargin, MultiLabelMargin,
MultiLabelSoftMargin, SoftMargin), CTC, each checked against a formula by hand."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)


def show(name, loss, *leaves):
    grads = []
    for leaf in leaves:
        leaf.grad = None
    if loss.requires_grad and loss.dim() == 0:
        loss.backward()
        grads = [leaf.grad.abs().sum().item() for leaf in leaves]
    value = loss.detach()
    text = f"{value.item():.5f}" if value.dim() == 0 else str(value.round(decimals=4).tolist())
    name_fn = loss.grad_fn.name() if loss.grad_fn is not None else None
    print(f"{name:34s} {text:>10s} grads {[round(g, 5) for g in grads]} {name_fn}")


logits = torch.randn(6, 4, requires_grad=True)
target = torch.tensor([0, 3, 1, 1, 2, 3])
weight = torch.tensor([1.0, 2.0, 0.5, 1.5])
show("cross_entropy", F.cross_entropy(logits, target), logits)
for reduction in ("mean", "sum", "none"):
    show(f"  reduction={reduction}", F.cross_entropy(logits, target, reduction=reduction), logits)
show("  weight", F.cross_entropy(logits, target, weight=weight), logits)
manual = (
    -(weight[target] * logits.log_softmax(1)[torch.arange(6), target]).sum() / weight[target].sum()
)
show("  weight by hand", manual, logits)
show("  ignore_index=1", F.cross_entropy(logits, target, ignore_index=1), logits)
show("  all ignored", F.cross_entropy(logits, torch.full((6,), -100)), logits)
show("  label_smoothing=0.1", F.cross_entropy(logits, target, label_smoothing=0.1), logits)
show(
    "  smoothing + weight",
    F.cross_entropy(logits, target, weight=weight, label_smoothing=0.2),
    logits,
)
soft = torch.softmax(torch.randn(6, 4), dim=1)
show("  probability targets", F.cross_entropy(logits, soft), logits)
show("  prob targets + smoothing", F.cross_entropy(logits, soft, label_smoothing=0.3), logits)
show("  prob targets + weight", F.cross_entropy(logits, soft, weight=weight), logits)
img_logits = torch.randn(2, 3, 4, 4, requires_grad=True)
img_target = torch.randint(0, 3, (2, 4, 4))
img_target[0, 0, 0] = -100
show("cross_entropy (N,C,H,W)", F.cross_entropy(img_logits, img_target), img_logits)
show(
    "nll_loss (N,C,H,W) weight",
    F.nll_loss(img_logits.log_softmax(1), img_target, weight=torch.tensor([0.2, 1.0, 3.0])),
    img_logits,
)
show("nll_loss unbatched", F.nll_loss(logits[0].log_softmax(0), target[0]), logits)
show(
    "CrossEntropyLoss module",
    nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.05)(logits, target),
    logits,
)

# -- binary ----------------------------------------------------------------------------------------
z = torch.randn(5, requires_grad=True)
y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
p = torch.sigmoid(z)
show("bce", F.binary_cross_entropy(p, y), z)
show("bce_with_logits", F.binary_cross_entropy_with_logits(z, y), z)
show("  by hand", -(y * F.logsigmoid(z) + (1 - y) * F.logsigmoid(-z)).mean(), z)
show("  weight", F.binary_cross_entropy_with_logits(z, y, weight=torch.arange(1.0, 6.0)), z)
show("  pos_weight", F.binary_cross_entropy_with_logits(z, y, pos_weight=torch.tensor(3.0)), z)
show("  soft labels", F.binary_cross_entropy_with_logits(z, torch.full((5,), 0.3)), z)
show(
    "bce saturated (log clamp -100)",
    F.binary_cross_entropy(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])),
)
multi = torch.randn(3, 5, requires_grad=True)
show(
    "BCEWithLogits pos_weight per class",
    nn.BCEWithLogitsLoss(pos_weight=torch.linspace(0.5, 2.5, 5))(
        multi, (torch.rand(3, 5) > 0.5).float()
    ),
    multi,
)

# -- regression ------------------------------------------------------------------------------------
pred = torch.tensor([0.5, 2.0, -1.0, 3.0, 0.0], requires_grad=True)
true = torch.tensor([0.0, 2.5, 1.0, -1.0, 0.0])
show("mse", F.mse_loss(pred, true), pred)
show("l1", F.l1_loss(pred, true), pred)
show("l1 sum", F.l1_loss(pred, true, reduction="sum"), pred)
for beta in (1.0, 0.5, 2.5, 0.0):
    show(f"smooth_l1 beta={beta}", F.smooth_l1_loss(pred, true, beta=beta), pred)
for delta in (1.0, 0.5, 3.0):
    show(f"huber delta={delta}", F.huber_loss(pred, true, delta=delta), pred)
show("huber none", F.huber_loss(pred, true, reduction="none"))
show("mse broadcast (5,) vs (1,)", F.mse_loss(pred, torch.tensor([1.0])), pred)

# -- distributions ---------------------------------------------------------------------------------
log_q = torch.log_softmax(torch.randn(4, 6), dim=1).requires_grad_()
p_t = torch.softmax(torch.randn(4, 6), dim=1)
show("kl_div batchmean", F.kl_div(log_q, p_t, reduction="batchmean"), log_q)
show("kl_div mean", F.kl_div(log_q, p_t, reduction="mean"), log_q)
show("kl_div log_target", F.kl_div(log_q, p_t.log(), reduction="batchmean", log_target=True), log_q)
show("  by hand", (p_t * (p_t.log() - log_q)).sum() / 4, log_q)
show(
    "kl_div with zero target",
    F.kl_div(log_q, torch.zeros(4, 6).index_fill(1, torch.tensor([0]), 1.0), reduction="sum"),
    log_q,
)
rate = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
counts = torch.tensor([0.0, 2.0, 5.0])
show("poisson_nll log_input", F.poisson_nll_loss(rate, counts), rate)
show("poisson_nll rate", F.poisson_nll_loss(rate, counts, log_input=False), rate)
show("poisson_nll full", F.poisson_nll_loss(rate, counts, full=True), rate)
mu = torch.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
var = torch.tensor([[1.0, 0.5], [2.0, 1e-8]], requires_grad=True)
obs = torch.tensor([[0.5, 1.0], [1.0, 3.5]])
show("gaussian_nll", F.gaussian_nll_loss(mu, obs, var), mu, var)
show("gaussian_nll full, eps", F.gaussian_nll_loss(mu, obs, var, full=True, eps=1e-3), mu, var)
show("gaussian_nll shared var", F.gaussian_nll_loss(mu, obs, torch.ones(2, 1)), mu)

# -- margins and embeddings ------------------------------------------------------------------------
a = torch.tensor([0.2, -0.5, 1.0, 0.3], requires_grad=True)
b = torch.tensor([0.4, -0.1, 0.2, 0.3])
sign = torch.tensor([1.0, -1.0, 1.0, -1.0])
show("margin_ranking", F.margin_ranking_loss(a, b, sign), a)
show("margin_ranking margin=0.5", F.margin_ranking_loss(a, b, sign, margin=0.5), a)
show("hinge_embedding", F.hinge_embedding_loss(a, sign), a)
show("hinge_embedding margin=0.5", F.hinge_embedding_loss(a, sign, margin=0.5, reduction="sum"), a)
show("soft_margin", F.soft_margin_loss(a, sign), a)
e1 = torch.randn(4, 8, requires_grad=True)
e2 = torch.randn(4, 8)
show("cosine_embedding", F.cosine_embedding_loss(e1, e2, sign), e1)
show("cosine_embedding margin 0.2", F.cosine_embedding_loss(e1, e2, sign, margin=0.2), e1)
anchor, pos, neg = torch.randn(3, 4, 8).unbind(0)
anchor.requires_grad_()
show("triplet_margin", F.triplet_margin_loss(anchor, pos, neg), anchor)
show(
    "triplet p=1 swap", F.triplet_margin_loss(anchor, pos, neg, p=1, swap=True, margin=2.0), anchor
)
show(
    "triplet with distance fn",
    F.triplet_margin_with_distance_loss(
        anchor, pos, neg, distance_function=lambda u, v: 1 - F.cosine_similarity(u, v)
    ),
    anchor,
)
show("multi_margin", F.multi_margin_loss(logits, target), logits)
show("multi_margin p=2 margin=0.5", F.multi_margin_loss(logits, target, p=2, margin=0.5), logits)
show("multi_margin weight", F.multi_margin_loss(logits, target, weight=weight), logits)
ml_target = torch.tensor(
    [[3, 0, -1, 1], [1, 2, 3, -1], [0, -1, 2, 1], [2, -1, 0, 0], [-1, 1, 1, 1], [3, 2, 1, 0]]
)
show("multilabel_margin", F.multilabel_margin_loss(logits, ml_target), logits)
multi_hot = torch.tensor(
    [[1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0], [1, 0, 1, 0]]
).float()
show("multilabel_soft_margin", F.multilabel_soft_margin_loss(logits, multi_hot), logits)
show(
    "multilabel_soft_margin weight",
    F.multilabel_soft_margin_loss(logits, multi_hot, weight=weight),
    logits,
)

# -- CTC -------------------------------------------------------------------------------------------
T, N, C = 12, 3, 5
log_probs = torch.randn(T, N, C).log_softmax(2).detach().requires_grad_()
targets = torch.tensor([[1, 2, 2, 3], [4, 1, 0, 0], [2, 0, 0, 0]])
input_lengths = torch.tensor([12, 10, 6])
target_lengths = torch.tensor([4, 2, 1])
show("ctc mean", F.ctc_loss(log_probs, targets, input_lengths, target_lengths), log_probs)
show(
    "ctc sum",
    F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="sum"),
    log_probs,
)
show("ctc none", F.ctc_loss(log_probs, targets, input_lengths, target_lengths, reduction="none"))
flat = torch.cat([targets[0, :4], targets[1, :2], targets[2, :1]])
show(
    "ctc concatenated targets",
    F.ctc_loss(log_probs, flat, input_lengths, target_lengths),
    log_probs,
)
impossible = F.ctc_loss(
    log_probs,
    torch.tensor([[1, 1, 1, 1]]).expand(3, 4),
    torch.tensor([3, 3, 3]),
    torch.tensor([4, 4, 4]),
    reduction="none",
)
print("impossible alignment:", impossible)
show(
    "ctc zero_infinity",
    F.ctc_loss(
        log_probs,
        torch.tensor([[1, 1, 1, 1]]).expand(3, 4),
        torch.tensor([3, 3, 3]),
        torch.tensor([4, 4, 4]),
        zero_infinity=True,
    ),
    log_probs,
)

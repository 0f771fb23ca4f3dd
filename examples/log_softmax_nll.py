"""CrossEntropyLoss = LogSoftmax + NLLLoss.

NLLLoss takes log-probabilities and picks -input[n, target[n]]; with weight=w it
multiplies sample n's loss by w[target[n]] and the mean divides by the sum of those
weights; targets equal to ignore_index are skipped. LogSoftmax first, then NLLLoss, is
exactly CrossEntropyLoss on the raw scores.

    python examples/log_softmax_nll.py            # torchlet
    python examples/log_softmax_nll.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

nn = torch.nn

torch.manual_seed(0)
scores = torch.randn(6, 4)
targets = torch.tensor([0, 3, 1, 1, 2, 3])

log_probs = nn.LogSoftmax(dim=1)(scores)
print("log-probabilities:", log_probs, sep="\n")
print("each row's probabilities sum to 1:", log_probs.exp().sum(dim=1))

nll = nn.NLLLoss()(log_probs, targets)
ce = nn.CrossEntropyLoss()(scores, targets)
print("\nNLLLoss(LogSoftmax(scores)):", nll)
print("CrossEntropyLoss(scores):   ", ce)
print("NLLLoss by hand:            ", -log_probs[torch.arange(6), targets].mean())

# Unbalanced classes: a weight per class. The mean is a weighted mean.
weight = torch.tensor([1.0, 2.0, 0.5, 4.0])
nll_w = nn.NLLLoss(weight=weight)(log_probs, targets)
ce_w = nn.CrossEntropyLoss(weight=weight)(scores, targets)
w = weight[targets]
by_hand = -(w * log_probs[torch.arange(6), targets]).sum() / w.sum()
print("\nweighted NLLLoss:          ", nll_w)
print("weighted CrossEntropyLoss: ", ce_w)
print("weighted by hand:          ", by_hand)

# ignore_index: samples whose target is -100 (the default) do not count at all.
masked = torch.tensor([0, -100, 1, -100, 2, 3])
print("\nignore_index=-100:", nn.NLLLoss()(log_probs, masked),
      nn.CrossEntropyLoss()(scores, masked))
keep = masked != -100
print("same as the kept rows only:", nn.CrossEntropyLoss()(scores[keep], masked[keep]))

for reduction in ("sum", "none"):
    print(f"\nreduction={reduction!r}:")
    print(nn.NLLLoss(reduction=reduction)(log_probs, targets))
    print(nn.CrossEntropyLoss(reduction=reduction)(scores, targets))

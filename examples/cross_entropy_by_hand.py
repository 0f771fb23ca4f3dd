"""Cross-entropy by hand, three ways, against nn.CrossEntropyLoss.

For one sample with scores s (logits) and target class t the loss is
log(sum_j exp(s_j)) - s_t; for a batch, the mean over samples (reduction='mean'),
their sum ('sum') or the vector itself ('none').

    python examples/cross_entropy_by_hand.py            # torchlet
    python examples/cross_entropy_by_hand.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

nn = torch.nn
F = torch.nn.functional

# The notes' example: ten scores, the target is class 1.
scores = torch.tensor([[0.8982, 0.805, 0.6393, 0.9983, 0.5731, 0.0469,
                        0.556, 0.1476, 0.8404, 0.5544]])
target = torch.tensor([1])
print("nn.CrossEntropyLoss:", nn.CrossEntropyLoss()(scores, target))
print("log(sum(exp(s))) - s[1]:", torch.log(torch.sum(torch.exp(scores))) - scores[0, 1])

# A batch of 4 samples, 5 classes.
torch.manual_seed(0)
B, C = 4, 5
logits = torch.randn(B, C)
targets = torch.randint(0, C, (B,))
print("\nlogits:", logits, sep="\n")
print("targets:", targets)
builtin = nn.CrossEntropyLoss()(logits, targets)
print("nn.CrossEntropyLoss()         ", builtin)

# Way 1: softmax by hand (broadcasting divides each row by its sum), one-hot labels by
# advanced-index assignment, then pick each row's target probability with a product.
exp = torch.exp(logits)
preds = exp / exp.sum(axis=1).reshape(-1, 1)
labels = torch.zeros(B, C)
labels[torch.arange(B), targets] = 1
way1 = -torch.mean(torch.log((preds * labels).sum(axis=1)))
print("1. one-hot product            ", way1)

# Way 2: torch.where finds the (row, column) of every 1 in the one-hot labels.
rows, cols = torch.where(labels == 1)
print("   where(labels == 1):", rows, cols)
way2 = -torch.log(preds[rows, cols]).mean()
print("2. torch.where + indexing     ", way2)

# Way 3: F.one_hot and log_softmax (log-sum-exp computed stably, no exp overflow).
one_hot = F.one_hot(targets, num_classes=C)
way3 = -(F.log_softmax(logits, dim=1) * one_hot).sum(dim=1).mean()
print("3. F.one_hot + log_softmax    ", way3)

print("all close to the built-in loss:",
      all(torch.allclose(way, builtin) for way in (way1, way2, way3)))

# The reductions.
print("\nreduction='sum': ", nn.CrossEntropyLoss(reduction="sum")(logits, targets))
print("reduction='none':", nn.CrossEntropyLoss(reduction="none")(logits, targets))

# The gradient of the mean loss with respect to the logits: (softmax - one_hot) / B.
logits.requires_grad_()
loss = F.cross_entropy(logits, targets)
loss.backward()
print("\nloss:", loss)
print("logits.grad:", logits.grad, sep="\n")
expected = (F.softmax(logits.detach(), dim=1) - one_hot) / B
print("equals (softmax - one_hot) / B:", torch.allclose(logits.grad, expected))

"""The cross-entropy of pixel-wise classification (segmentation) on (N, C, H, W).

The scores have a class dimension C for every pixel: input (N, C, H, W); the target
holds one class index per pixel: (N, H, W), dtype long. The loss is the ordinary
cross-entropy of each pixel, averaged over all N*H*W pixels.

    python examples/segmentation_loss.py            # torchlet
    python examples/segmentation_loss.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

nn = torch.nn
F = torch.nn.functional

torch.manual_seed(0)
N, C, H, W = 2, 3, 4, 4
logits = torch.randn(N, C, H, W)          # 3 class scores for each of 2x4x4 pixels
target = torch.randint(0, C, (N, H, W))   # one class per pixel, int64 (long)
print("target dtype:", target.dtype, "shape:", tuple(target.shape))
print("target of image 0:", target[0], sep="\n")

loss = nn.CrossEntropyLoss()(logits, target)
print("\nCrossEntropyLoss on (N, C, H, W):", loss)

# The same loss with every pixel as a sample: move C last, flatten the rest.
flat_logits = logits.permute(0, 2, 3, 1).reshape(-1, C)   # (N*H*W, C)
flat_target = target.reshape(-1)                          # (N*H*W,)
print("pixels as samples, (N*H*W, C):   ", F.cross_entropy(flat_logits, flat_target))

# reduction='none' keeps the per-pixel losses, shaped like the target.
per_pixel = F.cross_entropy(logits, target, reduction="none")
print("\nper-pixel losses:", tuple(per_pixel.shape))
print(per_pixel[0])
print("their mean:", per_pixel.mean())

# By hand: log-sum-exp over the class dimension (dim=1) minus the target's score.
picked = logits.gather(1, target.unsqueeze(1)).squeeze(1)
by_hand = torch.logsumexp(logits, dim=1) - picked
print("by hand equals per-pixel:", torch.allclose(by_hand, per_pixel))

# Unlabelled pixels: mark them with ignore_index and they do not count.
partial = target.clone()
partial[:, 0, :] = 255
print("\nignore_index=255 (first row unlabelled):",
      F.cross_entropy(logits, partial, ignore_index=255))

# Targets must be class indices (long): float targets of this shape are refused.
try:
    F.cross_entropy(logits, target.float())
except RuntimeError as err:
    print("\nfloat target -> RuntimeError:", err)

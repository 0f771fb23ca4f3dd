"""The same seed, the same numbers: torchlet's random numbers are PyTorch's, bit for bit.

    python examples/reproducibility.py            # torchlet
    python examples/reproducibility.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

torch.manual_seed(0)
print("randn(5):     ", torch.randn(5))
print("rand(3):      ", torch.rand(3))
print("randint(10):  ", torch.randint(0, 10, (6,)))
print("randperm(8):  ", torch.randperm(8))

# Layers draw their initial weights from the same generator.
torch.manual_seed(0)
layer = torch.nn.Linear(3, 2)
print("Linear(3, 2).weight:", layer.weight, sep="\n")
print("Linear(3, 2).bias:  ", layer.bias)

# A DataLoader's shuffling too.
torch.manual_seed(0)
loader = torch.utils.data.DataLoader(torch.arange(10), batch_size=4, shuffle=True)
print("shuffled batches:", [batch.tolist() for batch in loader])

# A Generator of its own leaves the global one alone.
g = torch.Generator().manual_seed(42)
print("randn(3, generator=g):", torch.randn(3, generator=g))

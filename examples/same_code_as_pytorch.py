"""A complete training loop that is PyTorch code: run it with torchlet or with torch.

    python examples/same_code_as_pytorch.py            # torchlet
    python examples/same_code_as_pytorch.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

torch.manual_seed(0)
X = torch.randn(512, 2)
y = (X[:, 0] * X[:, 1] > 0).long()                # class 1 in the 1st and 3rd quadrants
model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loss_fn = torch.nn.CrossEntropyLoss()
for step in range(201):
    optimizer.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    optimizer.step()
    if step % 50 == 0:
        accuracy = (model(X).argmax(dim=1) == y).float().mean()
        print(f"step {step:3d}   loss {loss.item():.4f}   accuracy {accuracy.item():.3f}")

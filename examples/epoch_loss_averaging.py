"""Two ways to average an epoch's loss with a DataLoader.

64,000 samples with batch_size=64 give len(loader) == 1,000 batches. loss.item() is the
mean over one batch, so

* sum of loss.item() over the batches / len(loader): the mean of the batch means;
* sum of loss.item() * data.size(0) / len(loader.dataset): the mean over the samples.

They agree when every batch is full; when the last batch is smaller, only the second is
the true per-sample mean.

    python examples/epoch_loss_averaging.py            # torchlet
    python examples/epoch_loss_averaging.py --torch    # the same script on PyTorch
"""

import sys

if "--torch" in sys.argv[1:]:
    import torch
else:
    import torchlet as torch

nn = torch.nn
DataLoader = torch.utils.data.DataLoader
TensorDataset = torch.utils.data.TensorDataset


def run_epoch(model, loader, loss_fn, optimizer):
    per_batch, per_sample = 0.0, 0.0
    for data, target in loader:
        optimizer.zero_grad()
        loss = loss_fn(model(data), target)
        loss.backward()
        optimizer.step()
        per_batch += loss.item()
        per_sample += loss.item() * data.size(0)
    return per_batch / len(loader), per_sample / len(loader.dataset)


def main(n_samples):
    torch.manual_seed(0)
    # Synthetic data: 20 features, 10 classes decided by a fixed linear rule.
    data = torch.randn(n_samples, 20)
    targets = (data @ torch.randn(20, 10)).argmax(dim=1)
    loader = DataLoader(TensorDataset(data, targets), batch_size=64, shuffle=True)
    model = nn.Linear(20, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()

    last = len(loader.dataset) - (len(loader) - 1) * 64
    print(f"{len(loader.dataset)} samples, batch_size 64: len(loader) = {len(loader)} "
          f"batches, the last one holds {last}")
    mean_of_batches, mean_of_samples = run_epoch(model, loader, loss_fn, optimizer)
    print(f"  sum(loss.item()) / len(loader)                   = {mean_of_batches:.4f}")
    print(f"  sum(loss.item() * data.size(0)) / len(dataset)   = {mean_of_samples:.4f}")


main(64_000)
print()
main(64_010)

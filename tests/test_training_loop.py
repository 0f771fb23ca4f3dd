"""The training loop from the notes prints the same per-epoch losses as PyTorch.

    for data, target in train_loader:
        output = model(data); loss = criterion(output, target)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        train_loss += loss.item() * data.size(0)

Random data, initial weights and shuffling all come from the seeded generator, and they
match PyTorch bit for bit, so both ways of averaging an epoch's loss (per batch over
``len(loader)`` and per sample over ``len(loader.dataset)``) agree with PyTorch's to the
4 printed decimals. The expected lines were printed by PyTorch 2.13.0 running this code.
"""

from __future__ import annotations

import pytest

import torchlet

try:
    import torch
except ImportError:
    torch = None


def notes_loop(lib, epochs=3, samples=640, features=20, classes=4):
    lib.manual_seed(0)
    inputs = lib.randn(samples, features)
    targets = lib.randint(0, classes, (samples,))
    dataset = lib.utils.data.TensorDataset(inputs, targets)
    loader = lib.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    model = lib.nn.Sequential(lib.nn.Linear(features, 32), lib.nn.ReLU(),
                              lib.nn.Linear(32, classes))
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lines = [f"batches per epoch: {len(loader)}"]
    for epoch in range(epochs):
        per_batch, per_sample = 0.0, 0.0
        for data, target in loader:
            output = model(data)
            loss = criterion(output, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            per_batch += loss.item()
            per_sample += loss.item() * data.size(0)
        lines.append(f"epoch {epoch}: {per_batch / len(loader):.4f} "
                     f"{per_sample / len(loader.dataset):.4f}")
    return lines


EXPECTED_FROM_TORCH = [
    "batches per epoch: 10",
    "epoch 0: 1.4133 1.4133",
    "epoch 1: 1.3734 1.3734",
    "epoch 2: 1.3355 1.3355",
]


def test_notes_loop_prints_torchs_losses():
    assert notes_loop(torchlet) == EXPECTED_FROM_TORCH


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_notes_loop_matches_live_torch():
    assert notes_loop(torchlet, epochs=4) == notes_loop(torch, epochs=4)


def test_len_loader_over_64000_samples():
    data = torchlet.utils.data.TensorDataset(torchlet.zeros(64000, 1))
    loader = torchlet.utils.data.DataLoader(data, batch_size=64)
    assert len(loader) == 1000 and len(loader.dataset) == 64000

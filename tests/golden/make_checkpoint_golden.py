"""Write checkpoints with torch.save, for tests/test_serialization.py to read without torch.

Run with torch 2.13.0 installed, from the repository root:
    python tests/golden/make_checkpoint_golden.py

* linear_state_dict.pt: ``nn.Linear(4, 3).state_dict()`` after ``manual_seed(0)``;
* checkpoint.pt: a training checkpoint - the state dict of a small Sequential, an Adam
  optimizer state dict after two steps, a Parameter, tensors of every dtype torchlet
  supports, a transposed view and a slice sharing one storage, an empty tensor, a
  scalar, torch.Size, a dtype, nested containers and plain numbers;
* checkpoint_expected.npz: the values of every tensor above (NumPy's own format), keyed
  by the path of the tensor in the checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

assert torch.__version__.startswith("2.13.0"), (
    f"golden files come from torch 2.13.0, not {torch.__version__}")

HERE = Path(__file__).resolve().parent


def expected_arrays(obj, prefix, out):
    if isinstance(obj, torch.Tensor):
        out[prefix] = obj.detach().numpy().copy()
    elif isinstance(obj, dict):
        for key, value in obj.items():
            expected_arrays(value, f"{prefix}/{key}", out)
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            expected_arrays(value, f"{prefix}/{i}", out)


def main():
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 3)
    torch.save(linear.state_dict(), HERE / "linear_state_dict.pt")

    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(8, 5)).pow(2).mean().backward()
        optimizer.step()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    checkpoint = {
        "epoch": 2,
        "loss": 0.25,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "param": torch.nn.Parameter(torch.tensor([1.5, -2.0])),
        "frozen": torch.nn.Parameter(torch.tensor([3.0]), requires_grad=False),
        "dtypes": {
            "float64": torch.linspace(-1, 1, 5, dtype=torch.float64),
            "float16": torch.tensor([0.5, -65504.0, 1e-4], dtype=torch.float16),
            "int64": torch.tensor([-(2**62), 0, 2**62]),
            "int32": torch.tensor([-5, 7], dtype=torch.int32),
            "int16": torch.tensor([-300, 300], dtype=torch.int16),
            "int8": torch.tensor([-128, 127], dtype=torch.int8),
            "uint8": torch.tensor([0, 255], dtype=torch.uint8),
            "bool": torch.tensor([True, False, True]),
        },
        "views": [base, base.t(), base[1:, 2]],
        "empty": torch.empty(0, 3),
        "scalar": torch.tensor(7.0),
        "shape": torch.Size([2, 3]),
        "dtype": torch.float16,
        "nested": [(1, "two", 3.0), {"k": [None, True]}],
    }
    torch.save(checkpoint, HERE / "checkpoint.pt")

    arrays = {}
    expected_arrays(linear.state_dict(), "linear", arrays)
    expected_arrays(checkpoint, "checkpoint", arrays)
    np.savez(HERE / "checkpoint_expected.npz", **arrays)


if __name__ == "__main__":
    main()

"""Training-step and epoch benchmarks: torchlet vs PyTorch vs plain NumPy, one process.

Workloads (the targets come from issues 5 and 6):
  mlp64    one SGD step of a 784-256-10 MLP (ReLU, cross-entropy) at batch 64
  mlp512   the same at batch 512
  lenet    one SGD step of a LeNet-style CNN (conv 1->6 5x5, relu, maxpool 2, conv 6->16
           5x5, relu, maxpool 2, linear 256->120->84->10) at batch 64 on 28x28 inputs
  epoch    one epoch over 60,000 random 784-feature samples: DataLoader(shuffle=True,
           batch_size=64), the MLP, CrossEntropyLoss, SGD

Every library runs single-threaded (BLAS/OpenMP pinned to 1 thread before NumPy or torch
load). The model, loss and step code is written once and run with ``lib`` = torchlet or
torch; the NumPy baseline writes forward and backward by hand.

The shared machines drift: torch's mlp64 step has measured 0.9 ms and 1.45 ms within
minutes. So the rounds are short (a few steps per library) and alternate the libraries'
order, and each ratio is the median of the per-round ratios, each taken between runs a
few milliseconds apart. The median times are printed too; their ratio can differ when the
machine's speed changed during the run, and the range of the per-round ratios shows the
noise.

    python benchmarks/bench_training.py [--rounds 31] [--only mlp64,lenet]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np
from _machine import describe

import torchlet

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None


# ---------------------------------------------------------------------------------------
# the same code on torchlet and torch


def make_mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def make_lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def make_step(lib, model, x, y):
    """One training step on a fixed batch, as the notes write it."""
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)

    def step():
        output = model(x)
        loss = criterion(output, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def make_epoch(lib, features, labels):
    """One epoch over a TensorDataset with a shuffling DataLoader."""
    lib.manual_seed(0)
    model = make_mlp(lib)
    data = lib.utils.data.TensorDataset(lib.tensor(features), lib.tensor(labels))
    loader = lib.utils.data.DataLoader(data, batch_size=64, shuffle=True)
    criterion = lib.nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)

    def epoch():
        train_loss = 0.0
        for inputs, targets in loader:
            output = model(inputs)
            loss = criterion(output, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            train_loss += loss.item() * inputs.size(0)
        return train_loss / len(loader.dataset)

    return epoch


# ---------------------------------------------------------------------------------------
# plain NumPy: the MLP's forward and backward by hand


def make_numpy_mlp_step(x, y, batch_indices=None):
    rng = np.random.default_rng(0)
    w1 = rng.uniform(-0.035, 0.035, (256, 784)).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = rng.uniform(-0.06, 0.06, (10, 256)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    lr = np.float32(0.01)

    def step(xb=x, yb=y):
        n = xb.shape[0]
        h = xb @ w1.T + b1
        a = np.maximum(h, 0)
        logits = a @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), yb]).mean()
        d_logits = probs
        d_logits[np.arange(n), yb] -= 1
        d_logits /= n
        d_w2 = d_logits.T @ a
        d_b2 = d_logits.sum(axis=0)
        d_a = d_logits @ w2
        d_h = np.where(h > 0, d_a, 0)
        d_w1 = d_h.T @ xb
        d_b1 = d_h.sum(axis=0)
        for p, g in ((w1, d_w1), (b1, d_b1), (w2, d_w2), (b2, d_b2)):
            p -= lr * g
        return loss

    return step


def make_numpy_epoch(features, labels):
    step = make_numpy_mlp_step(None, None)
    rng = np.random.default_rng(0)

    def epoch():
        order = rng.permutation(len(features))
        total = 0.0
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            total += float(step(features[batch], labels[batch])) * len(batch)
        return total / len(features)

    return epoch


# ---------------------------------------------------------------------------------------
# timing


def _fixed_batch(n, shape):
    rng = np.random.default_rng(1)
    return rng.standard_normal((n,) + shape).astype(np.float32), rng.integers(0, 10, n)


def workloads():
    """name -> {library: zero-argument callable doing one unit of work}."""
    libs = {"torchlet": torchlet} | ({"torch": torch} if torch is not None else {})
    result = {}
    for name, batch in (("mlp64", 64), ("mlp512", 512)):
        x, y = _fixed_batch(batch, (784,))
        result[name] = {lib_name: make_step(lib, _seeded(lib, make_mlp), lib.tensor(x),
                                            lib.tensor(y))
                        for lib_name, lib in libs.items()}
        result[name]["numpy"] = make_numpy_mlp_step(x, y)
    x, y = _fixed_batch(64, (1, 28, 28))
    result["lenet"] = {lib_name: make_step(lib, _seeded(lib, make_lenet), lib.tensor(x),
                                           lib.tensor(y))
                       for lib_name, lib in libs.items()}
    features, labels = _fixed_batch(60_000, (784,))
    result["epoch"] = {lib_name: make_epoch(lib, features, labels)
                       for lib_name, lib in libs.items()}
    result["epoch"]["numpy"] = make_numpy_epoch(features, labels)
    return result


def _seeded(lib, make):
    lib.manual_seed(0)
    return make(lib)


def time_once(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


REPEATS = {"mlp64": 10, "mlp512": 3, "lenet": 2, "epoch": 1}
ROUNDS = {"epoch": 5}  # ~1.5 s per epoch and library; the others take --rounds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    args = parser.parse_args()
    chosen = [w for w in args.only.split(",") if w]
    table = workloads()
    print("\n".join(describe(torch)))
    print(f"single-threaded; {args.rounds} rounds alternating the libraries' order "
          f"({ROUNDS['epoch']} for epoch); ratio = median of the per-round ratios [range]")
    for name, runners in table.items():
        if chosen and name not in chosen:
            continue
        samples = measure(runners, ROUNDS.get(name, args.rounds), REPEATS[name])
        medians = {lib: statistics.median(s) for lib, s in samples.items()}
        parts = [f"{lib} {t * 1e3:8.2f} ms" for lib, t in medians.items()]
        line = f"{name:7s} " + "  ".join(parts)
        if "torch" in samples:
            for lib in samples:
                if lib != "torch":
                    ratios = [a / b for a, b in zip(samples[lib], samples["torch"])]
                    line += (f"   {lib}/torch {statistics.median(ratios):.2f}x "
                             f"[{min(ratios):.2f}-{max(ratios):.2f}]")
        print(line, flush=True)


def measure(runners: dict, rounds: int, repeat: int) -> dict[str, list[float]]:
    """Seconds per call of each runner, one sample per round. Odd rounds run the
    libraries in reverse order, so that none always runs right after another's caches."""
    for fn in runners.values():  # warm-up
        time_once(fn, 1)
    samples = {lib: [] for lib in runners}
    order = list(runners)
    for round_number in range(rounds):
        for lib in order if round_number % 2 == 0 else order[::-1]:
            samples[lib].append(time_once(runners[lib], repeat))
    return samples


if __name__ == "__main__":
    main()

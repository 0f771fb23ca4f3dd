"""Cross-entropy forward + backward on float32 logits: torchlet (F.cross_entropy: one
forward pass recording torch's two nodes; and the explicit log_softmax + nll_loss
chain), PyTorch and a hand-written NumPy version, single-threaded, in one process,
interleaved round by round; medians and ratios to torch.

    python benchmarks/bench_cross_entropy.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np

import torchlet
import torchlet.nn.functional as TF

try:
    import torch
    import torch.nn.functional as PF

    torch.set_num_threads(1)
except ImportError:
    torch = None


def _data(n, c):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, c)).astype(np.float32), rng.integers(0, c, n)


def torchlet_cross_entropy(n, c):
    x, t = _data(n, c)
    x, t = torchlet.tensor(x, requires_grad=True), torchlet.tensor(t)

    def step():
        x.grad = None
        TF.cross_entropy(x, t).backward()
    return step


def torchlet_two_nodes(n, c):
    x, t = _data(n, c)
    x, t = torchlet.tensor(x, requires_grad=True), torchlet.tensor(t)

    def step():
        x.grad = None
        TF.nll_loss(TF.log_softmax(x, 1), t).backward()
    return step


def torch_step(n, c):
    x, t = _data(n, c)
    x, t = torch.tensor(x, requires_grad=True), torch.tensor(t)

    def step():
        x.grad = None
        PF.cross_entropy(x, t).backward()
    return step


def numpy_step(n, c):
    x, t = _data(n, c)
    rows = np.arange(n)

    def step():
        shifted = x - x.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1)
        loss = np.mean(np.log(s) - shifted[rows, t])  # noqa: F841 - the forward value
        grad = e * (1 / (n * s))[:, None]
        grad[rows, t] -= 1 / n
    return step


def timeit(step, number):
    start = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - start) / number


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    for n, c, number in [(64, 10, 2000), (4096, 1000, 5)]:
        steps = {"torchlet (cross_entropy)": torchlet_cross_entropy(n, c),
                 "torchlet (log_softmax + nll_loss)": torchlet_two_nodes(n, c),
                 "numpy": numpy_step(n, c)}
        if torch is not None:
            steps["torch"] = torch_step(n, c)
        for step in steps.values():
            step()
        times = {k: [] for k in steps}
        for _ in range(args.rounds):
            for name, step in steps.items():
                times[name].append(timeit(step, number))
        print(f"cross_entropy forward + backward, ({n}, {c}) float32 logits:")
        base = statistics.median(times["torch"]) if torch is not None else None
        for name, values in times.items():
            med = statistics.median(values)
            ratio = f"  {med / base:5.2f}x torch" if base else ""
            print(f"  {name:36s} {med * 1e6:10.1f} us{ratio}")


if __name__ == "__main__":
    main()

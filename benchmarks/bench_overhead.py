"""Per-operation overhead: a tiny forward and backward on (10,) float32 tensors.

    y = (a * b + c).sum(); y.backward()

The arithmetic is trivial, so this measures what a framework adds around each operation:
dispatch, graph recording and the backward engine. Torchlet, PyTorch and a hand-written
NumPy forward+backward run in one process, single-threaded, interleaved round by round
(so machine noise hits all three alike); we print medians and ratios.

    python benchmarks/bench_overhead.py [--rounds 30] [--number 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np

import torchlet

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None


def make_framework_step(lib):
    rng = np.random.default_rng(0)
    a, b, c = (lib.tensor(rng.standard_normal(10).astype(np.float32), requires_grad=True)
               for _ in range(3))

    def step():
        y = (a * b + c).sum()
        y.backward()

    return step


def make_numpy_step():
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal(10).astype(np.float32) for _ in range(3))
    grads = [np.zeros(10, np.float32) for _ in range(3)]

    def step():
        y = (a * b + c).sum()  # noqa: F841 - the forward value, as a framework computes it
        g = np.ones_like(a)  # d y / d (a*b+c)
        grads[0] += g * b
        grads[1] += g * a
        grads[2] += g

    return step


def time_per_call(step, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - start) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--number", type=int, default=2000, help="calls per round")
    args = parser.parse_args()

    steps = {"torchlet": make_framework_step(torchlet), "numpy": make_numpy_step()}
    if torch is not None:
        steps["torch"] = make_framework_step(torch)
    for step in steps.values():  # warm up
        time_per_call(step, 200)
    samples = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            samples[name].append(time_per_call(step, args.number))
    medians = {name: statistics.median(times) * 1e6 for name, times in samples.items()}

    print("workload: y = (a * b + c).sum(); y.backward()   on float32 (10,), 1 thread")
    for name, us in medians.items():
        print(f"  {name:9s} {us:8.2f} us per forward+backward (median of {args.rounds})")
    if torch is not None:
        print(f"  torchlet / torch = {medians['torchlet'] / medians['torch']:.3f}x")
        print(f"  numpy    / torch = {medians['numpy'] / medians['torch']:.2f}x")
    print(f"  torchlet / numpy = {medians['torchlet'] / medians['numpy']:.2f}x")


if __name__ == "__main__":
    main()

"""A small MLP training step, where matmul is the hot path: forward + backward of

    out = relu(x @ w1.t() + b1) @ w2.t() + b2;   loss = ((out - target) ** 2).mean()

with x of shape (64, 784), w1 (128, 784), w2 (10, 128), float32: the layout of
``nn.Linear`` and a batch of flattened 28x28 images. (The squared error stands in for
cross-entropy.) Torchlet and PyTorch run the same code, once with ``@`` and ``+`` and once
with ``addmm`` (what ``F.linear`` uses); a hand-written NumPy forward+backward is the floor.
Everything runs in one process, single-threaded, interleaved round by round (so machine
noise hits all alike); we print medians and ratios.

    python benchmarks/bench_matmul_mlp.py [--rounds 20] [--number 50]
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

BATCH, IN, HIDDEN, OUT = 64, 784, 128, 10


def make_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    target = rng.standard_normal((BATCH, OUT)).astype(np.float32)
    w1 = (rng.standard_normal((HIDDEN, IN)) / np.sqrt(IN)).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    w2 = (rng.standard_normal((OUT, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)
    b2 = np.zeros(OUT, np.float32)
    return x, target, [w1, b1, w2, b2]


def make_framework_step(lib, use_addmm: bool):
    x, target, params = make_data()
    x, target = lib.tensor(x), lib.tensor(target)
    w1, b1, w2, b2 = (lib.tensor(p, requires_grad=True) for p in params)

    def step():
        for p in (w1, b1, w2, b2):
            p.grad = None
        if use_addmm:
            h = lib.relu(lib.addmm(b1, x, w1.t()))
            out = lib.addmm(b2, h, w2.t())
        else:
            h = lib.relu(x @ w1.t() + b1)
            out = h @ w2.t() + b2
        loss = ((out - target) ** 2).mean()
        loss.backward()

    return step


def make_numpy_step():
    x, target, (w1, b1, w2, b2) = make_data()

    def step():
        z1 = x @ w1.T + b1
        h = np.maximum(z1, 0)
        out = h @ w2.T + b2
        diff = out - target
        loss = (diff * diff).mean()  # noqa: F841 - the forward value, as a framework computes it
        g_out = diff * np.float32(2 / diff.size)
        grads = [None] * 4
        grads[3] = g_out.sum(0)
        grads[2] = g_out.T @ h
        g_z1 = (g_out @ w2) * (z1 > 0)
        grads[1] = g_z1.sum(0)
        grads[0] = g_z1.T @ x
        return grads

    return step


def check_gradients():
    """The three implementations must agree before their speeds mean anything."""
    results = []
    for lib in (torchlet, torch) if torch is not None else (torchlet,):
        x, target, params = make_data()
        x, target = lib.tensor(x), lib.tensor(target)
        w1, b1, w2, b2 = (lib.tensor(p, requires_grad=True) for p in params)
        out = lib.relu(x @ w1.t() + b1) @ w2.t() + b2
        ((out - target) ** 2).mean().backward()
        results.append([p.grad.numpy() for p in (w1, b1, w2, b2)])
    results.append(make_numpy_step()())
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def time_per_call(step, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - start) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--number", type=int, default=50, help="steps per round")
    args = parser.parse_args()

    print("\n".join(describe(torch)))
    check_gradients()
    steps = {
        "torchlet @": make_framework_step(torchlet, use_addmm=False),
        "torchlet addmm": make_framework_step(torchlet, use_addmm=True),
        "numpy": make_numpy_step(),
    }
    if torch is not None:
        steps["torch @"] = make_framework_step(torch, use_addmm=False)
        steps["torch addmm"] = make_framework_step(torch, use_addmm=True)
    for step in steps.values():  # warm up
        time_per_call(step, 10)
    samples = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            samples[name].append(time_per_call(step, args.number))
    medians = {name: statistics.median(times) * 1e6 for name, times in samples.items()}

    print(f"workload: MLP {IN}->{HIDDEN}->{OUT}, relu, batch {BATCH}, float32, "
          "forward+backward, 1 thread")
    for name, us in medians.items():
        print(f"  {name:15s} {us:9.1f} us per step (median of {args.rounds})")
    for variant in ("@", "addmm"):
        if torch is not None:
            ratio = medians[f"torchlet {variant}"] / medians[f"torch {variant}"]
            print(f"  torchlet / torch ({variant}) = {ratio:.2f}x")
        ratio = medians[f"torchlet {variant}"] / medians["numpy"]
        print(f"  torchlet / numpy ({variant}) = {ratio:.2f}x")
    if torch is not None:
        print(f"  numpy / torch (@) = {medians['numpy'] / medians['torch @']:.2f}x")


if __name__ == "__main__":
    main()

"""SGD's parameter update ``p.add_(g, alpha=-lr)``, rounded once as torch rounds it, by route.

Hot loop: one update of a float32 parameter of each size of the 784-256-10 MLP (the
256x784 and 10x256 weights, the 256 and 10 biases), by each route of torchlet's kernel:

  saxpy    OpenBLAS's saxpy through ctypes, in place (the route taken where it fuses)
  gemv     ``[1, alpha] @ [y; x]`` through NumPy's matmul, copies of x and y included
  float64  the product and sum in float64, repaired where rounding twice could differ

against torch's ``add_(alpha=)`` and NumPy's unfused ``p -= lr * g`` (two roundings: not
torch's numbers, the floor for a NumPy update). In situ: ``optimizer.step()`` inside the
MLP's training loop at batch 64 and 512 (cold caches after the matmuls), torchlet's saxpy
and gemv routes against torch.

All in one process, single-threaded, interleaved round by round; medians and ratios.

    python benchmarks/bench_sgd_update.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np

import torchlet
from torchlet._ops.pointwise import _fused
from torchlet.optim import _kernels

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_training

SHAPES = [(256, 784), (10, 256), (256,), (10,)]
LR = 0.01


@contextlib.contextmanager
def route(name):
    """Forces ``_fused._axpy32``'s route, as tests/test_optim.py does."""
    saved = _fused._blas_saxpy, _fused._gemv_fuses
    if name != "saxpy":
        _fused._blas_saxpy = lambda: None
    if name == "float64":
        _fused._gemv_fuses = lambda n: False
    try:
        yield
    finally:
        _fused._blas_saxpy, _fused._gemv_fuses = saved


def hot_loop(rounds):
    rng = np.random.default_rng(0)
    print("hot loop: one update, microseconds (median of rounds)")
    for shape in SHAPES:
        p = rng.uniform(-0.05, 0.05, shape).astype(np.float32)
        g = (rng.standard_normal(shape) * 0.01).astype(np.float32)
        number = max(20, 200_000 // p.size)
        cases = _update_cases(p, g)
        times = {name: [] for name in cases}
        for _ in range(rounds):
            for name, fn in cases.items():
                with route(name if name in ("gemv", "float64") else "saxpy"):
                    fn()  # warm (the route's first-use check)
                    start = time.perf_counter()
                    for _ in range(number):
                        fn()
                    times[name].append((time.perf_counter() - start) / number * 1e6)
        _print_row(str(shape), {name: statistics.median(t) for name, t in times.items()})


def _update_cases(p, g):
    """The same update of ``p`` by each route and library, as functions of no argument."""
    lr32 = np.float32(LR)
    cases = {name: (lambda: _kernels._add_(p, g, -LR)) for name in ("saxpy", "gemv", "float64")}
    cases["numpy"] = lambda: np.subtract(p, lr32 * g, out=p)
    if torch is not None:
        tp, tg = torch.tensor(p), torch.tensor(g)
        cases["torch"] = lambda: tp.add_(tg, alpha=-LR)
    return cases


def in_situ(rounds, batch, steps=20):
    x, y = bench_training._fixed_batch(batch, (784,))
    runs = {"saxpy": torchlet, "gemv": torchlet}
    if torch is not None:
        runs["torch"] = torch
    setups = {}
    for name, lib in runs.items():
        model = bench_training._seeded(lib, bench_training.make_mlp)
        setups[name] = (model, lib.tensor(x), lib.tensor(y), lib.nn.CrossEntropyLoss(),
                        lib.optim.SGD(model.parameters(), lr=LR))
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (model, inputs, labels, loss_fn, opt) in setups.items():
            spent = []
            with route("gemv" if name == "gemv" else "saxpy"):
                for _ in range(steps):
                    loss = loss_fn(model(inputs), labels)
                    opt.zero_grad()
                    loss.backward()
                    start = time.perf_counter()
                    opt.step()
                    spent.append(time.perf_counter() - start)
            times[name].append(statistics.median(spent) * 1e6)
    _print_row(f"MLP batch {batch}", {name: statistics.median(t) for name, t in times.items()})


def _print_row(label, medians):
    cells = "  ".join(f"{name} {value:7.1f}" for name, value in medians.items())
    ratio = (f"   saxpy/torch {medians['saxpy'] / medians['torch']:.2f}x"
             if "torch" in medians else "")
    print(f"  {label:12s} {cells}{ratio}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(f"saxpy route found: {_fused._blas_saxpy() is not None}")
    hot_loop(args.rounds)
    print("in situ: optimizer.step() in the training loop, microseconds (median)")
    for batch in (64, 512):
        in_situ(args.rounds, batch)


if __name__ == "__main__":
    main()

"""Reductions and the small ops around them, forward only: sum and mean over a dim,
max/argmax over a dim, softmax and log_softmax, topk, var/std, cumsum.

torchlet, PyTorch and plain NumPy (the nearest NumPy expression, which does not add in
torch's order) run in one process, single-threaded, interleaved round by round (so
machine noise hits all three alike); we print the median time per call and the ratios.
torchlet's sums follow torch's summation order (``_ops/reduction/_cascade.py``), so its
cost over NumPy's own ``sum`` is that order, not overhead alone.

    python benchmarks/bench_reductions.py [--rounds 15] [--filter sum]
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

torchlet.set_num_threads(1)


def _np_softmax(a, dim):
    e = np.exp(a - a.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


def _np_log_softmax(a, dim):
    shifted = a - a.max(dim, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(dim, keepdims=True))


def _np_topk(a, k, dim):
    order = np.argsort(-a, axis=dim, kind="stable").take(range(k), axis=dim)
    return np.take_along_axis(a, order, dim), order


# (name, input shape, framework expression, NumPy expression)
CASES = [
    ("x.sum(1)", (8, 64, 64), lambda t: t.sum(1), lambda a: a.sum(1)),
    ("x.mean(1)", (8, 64, 64), lambda t: t.mean(1), lambda a: a.mean(1)),
    ("x.sum(0)", (8, 64, 64), lambda t: t.sum(0), lambda a: a.sum(0)),
    ("x.sum(-1)", (8, 64, 64), lambda t: t.sum(-1), lambda a: a.sum(-1)),
    ("x.sum((0, 2))", (8, 64, 64), lambda t: t.sum((0, 2)), lambda a: a.sum((0, 2))),
    ("h.mean(1)", (32, 128, 64), lambda t: t.mean(1), lambda a: a.mean(1)),
    ("big.sum(1)", (64, 256, 256), lambda t: t.sum(1), lambda a: a.sum(1)),
    ("sq.sum(0)", (1000, 1000), lambda t: t.sum(0), lambda a: a.sum(0)),
    ("sq.sum(1)", (1000, 1000), lambda t: t.sum(1), lambda a: a.sum(1)),
    ("y.sum(0)", (32, 10), lambda t: t.sum(0), lambda a: a.sum(0)),
    ("y.max(1)", (32, 10), lambda t: t.max(1), lambda a: (a.max(1), a.argmax(1))),
    ("y.argmax(1)", (32, 10), lambda t: t.argmax(1), lambda a: a.argmax(1)),
    ("m.max(-1)", (64, 1000), lambda t: t.max(-1), lambda a: (a.max(-1), a.argmax(-1))),
    ("y.topk(3, 1)", (32, 10), lambda t: t.topk(3, 1), lambda a: _np_topk(a, 3, 1)),
    ("m.topk(5, 1)", (64, 1000), lambda t: t.topk(5, 1), lambda a: _np_topk(a, 5, 1)),
    ("y.var(1)", (32, 10), lambda t: t.var(1), lambda a: a.var(1, ddof=1)),
    ("y.std(1)", (32, 10), lambda t: t.std(1), lambda a: a.std(1, ddof=1)),
    ("y.cumsum(1)", (32, 10), lambda t: t.cumsum(1), lambda a: a.cumsum(1)),
    ("y.softmax(1)", (32, 10), lambda t: t.softmax(1), lambda a: _np_softmax(a, 1)),
    ("y.log_softmax(1)", (32, 10), lambda t: t.log_softmax(1),
     lambda a: _np_log_softmax(a, 1)),
    ("z.softmax(1)", (8, 16, 32, 32), lambda t: t.softmax(1), lambda a: _np_softmax(a, 1)),
    ("z.softmax(-1)", (8, 16, 32, 32), lambda t: t.softmax(-1),
     lambda a: _np_softmax(a, -1)),
    ("z.log_softmax(1)", (8, 16, 32, 32), lambda t: t.log_softmax(1),
     lambda a: _np_log_softmax(a, 1)),
]


def time_per_call(fn, arg, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn(arg)
    return (time.perf_counter() - start) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--filter", default="", help="run the cases whose name has this")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    print("\n".join(describe(torch)))
    print("forward, float32, 1 thread; median us per call; ratios to torch and to NumPy")
    header = f"{'case':18s} {'shape':16s} {'torchlet':>9s} {'torch':>9s} {'numpy':>9s}"
    print(header + f" {'tl/torch':>9s} {'tl/numpy':>9s}")
    for name, shape, framework, plain in CASES:
        if args.filter not in name:
            continue
        a = rng.standard_normal(shape).astype(np.float32)
        runs = {"torchlet": (framework, torchlet.tensor(a)), "numpy": (plain, a)}
        if torch is not None:
            runs["torch"] = (framework, torch.tensor(a))
        # about 2 ms of work per sample (at least 5 calls)
        number = max(5, int(2e-3 / max(time_per_call(*runs["torchlet"], 3), 1e-7)))
        samples = {lib: [] for lib in runs}
        for _ in range(args.rounds):
            for lib, (fn, arg) in runs.items():
                samples[lib].append(time_per_call(fn, arg, number))
        us = {lib: statistics.median(times) * 1e6 for lib, times in samples.items()}
        torch_us = us.get("torch", float("nan"))
        print(f"{name:18s} {str(shape):16s} {us['torchlet']:9.1f} {torch_us:9.1f} "
              f"{us['numpy']:9.1f} {us['torchlet'] / torch_us:9.2f} "
              f"{us['torchlet'] / us['numpy']:9.2f}")


if __name__ == "__main__":
    main()

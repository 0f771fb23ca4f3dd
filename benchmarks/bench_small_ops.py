"""Small-shape ops where NumPy's per-call and per-row costs show: sums over short last
dims, last-dim softmax over many short rows, randperm, and distribution sampling and
log_prob on small batches, forward only.

torchlet, PyTorch and (where there is one) the nearest plain NumPy expression run in one
process, single-threaded, interleaved round by round (so machine noise hits all alike);
we print the median time per call and the ratios. torchlet's sums add in torch's order
and its random numbers are torch's streams, so NumPy's column is a floor, not a peer.

    python benchmarks/bench_small_ops.py [--rounds 15] [--filter softmax]
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


def _np_softmax(a):
    e = np.exp(a - a.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _tensor_case(shape, dtype, expression, plain):
    """A case on one random input: (prepare(lib) -> argument, expression, NumPy one)."""
    def prepare(lib, a):
        return a if lib is None else lib.tensor(a)
    return shape, dtype, prepare, expression, plain


def _distribution(make, method):
    """A case calling ``method(dist, lib)`` on a distribution built once by make(lib)."""
    def prepare(lib, _):
        return lib, make(lib)
    return None, None, prepare, lambda arg: method(arg[1], arg[0]), None


# (name, (shape, dtype, prepare, framework expression, NumPy expression or None))
CASES = [
    ("x.sum(-1)", _tensor_case((64, 10), "float32", lambda t: t.sum(-1), lambda a: a.sum(-1))),
    ("x.sum(-1)", _tensor_case((4096, 16), "float32", lambda t: t.sum(-1), lambda a: a.sum(-1))),
    ("x.sum(-1)", _tensor_case((4096, 16), "float64", lambda t: t.sum(-1), lambda a: a.sum(-1))),
    ("x.sum(-1)", _tensor_case((1024, 3), "float32", lambda t: t.sum(-1), lambda a: a.sum(-1))),
    ("x.sum(-1)", _tensor_case((256, 100), "float32", lambda t: t.sum(-1), lambda a: a.sum(-1))),
    ("x.sum(-1)", _tensor_case((8, 64, 64), "float64", lambda t: t.sum(-1),
                               lambda a: a.sum(-1))),
    ("x.mean(-1)", _tensor_case((512, 12), "float32", lambda t: t.mean(-1),
                                lambda a: a.mean(-1))),
    ("softmax(-1)", _tensor_case((8, 4, 32, 32), "float32", lambda t: t.softmax(-1),
                                 _np_softmax)),
    ("softmax(-1)", _tensor_case((4096, 16), "float32", lambda t: t.softmax(-1), _np_softmax)),
    ("log_softmax(-1)", _tensor_case((1024, 10), "float32", lambda t: t.log_softmax(-1),
                                     None)),
    ("softmax(-1)", _tensor_case((64, 10), "float32", lambda t: t.softmax(-1), _np_softmax)),
    ("randperm(10)", (None, None, lambda lib, _: lib, lambda lib: lib.randperm(10), None)),
    ("randperm(1000)", (None, None, lambda lib, _: lib, lambda lib: lib.randperm(1000), None)),
    ("randperm(100000)", (None, None, lambda lib, _: lib, lambda lib: lib.randperm(100000),
                          None)),
    ("Normal.sample", _distribution(
        lambda lib: lib.distributions.Normal(lib.zeros(16, 4), lib.ones(16, 4)),
        lambda d, lib: d.sample())),
    ("Normal.log_prob", _distribution(
        lambda lib: lib.distributions.Normal(lib.zeros(16, 4), lib.ones(16, 4)),
        lambda d, lib: d.log_prob(lib.ones(16, 4)))),
    ("Categorical.sample", _distribution(
        lambda lib: lib.distributions.Categorical(logits=lib.zeros(16, 10)),
        lambda d, lib: d.sample())),
    ("Categorical.log_prob", _distribution(
        lambda lib: lib.distributions.Categorical(logits=lib.zeros(16, 10)),
        lambda d, lib: d.log_prob(lib.ones(16, dtype=lib.int64)))),
    ("Bernoulli.sample", _distribution(
        lambda lib: lib.distributions.Bernoulli(probs=lib.full((16, 4), 0.3)),
        lambda d, lib: d.sample())),
    ("MVN.log_prob", _distribution(
        lambda lib: lib.distributions.MultivariateNormal(lib.zeros(8, 3), lib.eye(3)),
        lambda d, lib: d.log_prob(lib.ones(8, 3)))),
    ("Dirichlet.sample", _distribution(
        lambda lib: lib.distributions.Dirichlet(lib.ones(8, 5)),
        lambda d, lib: d.sample())),
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
    print("forward, 1 thread; median us per call; ratios to torch and to NumPy")
    header = f"{'case':22s} {'shape':22s} {'torchlet':>9s} {'torch':>9s} {'numpy':>9s}"
    print(header + f" {'tl/torch':>9s} {'tl/numpy':>9s}")
    for name, (shape, dtype, prepare, framework, plain) in CASES:
        if args.filter not in name:
            continue
        a = None if shape is None else rng.standard_normal(shape).astype(dtype)
        runs = {"torchlet": (framework, prepare(torchlet, a))}
        if torch is not None:
            runs["torch"] = (framework, prepare(torch, a))
        if plain is not None:
            runs["numpy"] = (plain, a)
        # about 2 ms of work per sample (at least 5 calls)
        number = max(5, int(2e-3 / max(time_per_call(*runs["torchlet"], 3), 1e-7)))
        samples = {lib: [] for lib in runs}
        for _ in range(args.rounds):
            for lib, (fn, arg) in runs.items():
                samples[lib].append(time_per_call(fn, arg, number))
        us = {lib: statistics.median(times) * 1e6 for lib, times in samples.items()}
        torch_us, numpy_us = us.get("torch", float("nan")), us.get("numpy", float("nan"))
        label = "" if shape is None else f"{shape} {dtype}"
        print(f"{name:22s} {label:22s} {us['torchlet']:9.1f} {torch_us:9.1f} "
              f"{numpy_us:9.1f} {us['torchlet'] / torch_us:9.2f} "
              f"{us['torchlet'] / numpy_us:9.2f}")


if __name__ == "__main__":
    main()

"""Normalization and embedding layers, forward + backward (float32, 1 thread):

* BatchNorm2d(16) in training on (64, 16, 12, 12) (running statistics updated);
* BatchNorm1d(256) in training on (64, 256);
* LayerNorm(128) on (64, 32, 128);
* GroupNorm(4, 16) on (64, 16, 12, 12);
* Embedding(10000, 128) looked up by (64, 50) token ids (ids repeat, padding in half);
* EmbeddingBag(10000, 64, mode='mean') over 64 bags of ~50 ids (1-D input + offsets).

Each step: zero the gradients, forward, ``(out * g).sum().backward()``. Torchlet and
PyTorch run the same code; a hand-written NumPy forward + backward is the floor. All in
one process, single-threaded, interleaved round by round (machine noise hits all alike),
timed in process CPU time (so a busy machine's waits do not count); the script prints
medians and ratios.

    python benchmarks/bench_norm.py [--rounds 15] [--number 20]
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

RNG = np.random.default_rng(0)


def _f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------------------------------
# workloads: (description, input data, make_module(lib), numpy step)


def _bn_numpy(x, g, axes):
    """Training batch norm (weight, bias) forward + backward, by hand."""
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    weight, bias = np.ones(c, np.float32), np.zeros(c, np.float32)
    running = [np.zeros(c, np.float32), np.ones(c, np.float32)]
    n = x.size // c

    def step():
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        invstd = 1 / np.sqrt(var + np.float32(1e-5))
        xhat = xc * invstd
        out = xhat * weight.reshape(shape) + bias.reshape(shape)
        running[0] = 0.9 * running[0] + 0.1 * mean.reshape(-1)
        running[1] = 0.9 * running[1] + 0.1 * var.reshape(-1) * (n / (n - 1))
        grad_bias = g.sum(axis=axes)
        grad_weight = (g * xhat).sum(axis=axes)
        grad_x = (weight.reshape(shape) * invstd / n) * (
            n * g - grad_bias.reshape(shape) - xhat * grad_weight.reshape(shape))
        return out, grad_x, grad_weight, grad_bias

    return step


def _ln_numpy(x, g):
    d = x.shape[-1]
    weight, bias = np.ones(d, np.float32), np.zeros(d, np.float32)

    def step():
        mean = x.mean(-1, keepdims=True)
        xc = x - mean
        rstd = 1 / np.sqrt((xc * xc).mean(-1, keepdims=True) + np.float32(1e-5))
        xhat = xc * rstd
        out = xhat * weight + bias
        gw = g * weight
        grad_x = rstd * (gw - gw.mean(-1, keepdims=True)
                         - xhat * (gw * xhat).mean(-1, keepdims=True))
        return out, grad_x, (g * xhat).sum((0, 1)), g.sum((0, 1))

    return step


def _gn_numpy(x, g, groups):
    n, c = x.shape[:2]
    shape4 = (n, groups, c // groups, -1)
    x4, g4 = x.reshape(shape4), g.reshape(shape4)

    def step():
        mean = x4.mean((2, 3), keepdims=True)
        xc = x4 - mean
        rstd = 1 / np.sqrt((xc * xc).mean((2, 3), keepdims=True) + np.float32(1e-5))
        xhat = xc * rstd
        out = xhat.reshape(x.shape)
        grad_x = rstd * (g4 - g4.mean((2, 3), keepdims=True)
                         - xhat * (g4 * xhat).mean((2, 3), keepdims=True))
        return out, grad_x.reshape(x.shape), (g4 * xhat).sum((0, 3)), g4.sum((0, 3))

    return step


def _embedding_numpy(weight, idx, g):
    def step():
        out = weight[idx]
        grad = np.zeros_like(weight)
        np.add.at(grad, idx.reshape(-1), g.reshape(-1, weight.shape[1]))
        return out, grad

    return step


def _bag_numpy(weight, idx, offsets, g):
    sizes = np.diff(np.append(offsets, idx.size))
    bag = np.repeat(np.arange(offsets.size), sizes)

    def step():
        out = np.add.reduceat(weight[idx], offsets, axis=0) / sizes[:, None]
        grad = np.zeros_like(weight)
        np.add.at(grad, idx, (g / sizes[:, None])[bag])
        return out, grad

    return step


def workloads():
    tokens = RNG.integers(1, 10000, (64, 50))
    tokens[RNG.random(tokens.shape) < 0.5] = 0
    bag_sizes = RNG.integers(30, 70, 64)
    bag_idx = RNG.integers(0, 10000, int(bag_sizes.sum()))
    offsets = np.concatenate(([0], np.cumsum(bag_sizes)[:-1]))
    x4, x2, x3 = _f32(64, 16, 12, 12), _f32(64, 256), _f32(64, 32, 128)
    table, bag_table = _f32(10000, 128), _f32(10000, 64)
    return {
        "BatchNorm2d (64,16,12,12)": (
            x4, lambda lib: lib.nn.BatchNorm2d(16), _bn_numpy(x4, _f32(*x4.shape), (0, 2, 3))),
        "BatchNorm1d (64,256)": (
            x2, lambda lib: lib.nn.BatchNorm1d(256), _bn_numpy(x2, _f32(*x2.shape), (0,))),
        "LayerNorm (64,32,128)": (
            x3, lambda lib: lib.nn.LayerNorm(128), _ln_numpy(x3, _f32(*x3.shape))),
        "GroupNorm(4,16) (64,16,12,12)": (
            x4, lambda lib: lib.nn.GroupNorm(4, 16), _gn_numpy(x4, _f32(*x4.shape), 4)),
        "Embedding 10000x128, (64,50) ids": (
            tokens, lambda lib: _with_weight(lib, lib.nn.Embedding(10000, 128, padding_idx=0),
                                             table),
            _embedding_numpy(table, tokens, _f32(64, 50, 128))),
        "EmbeddingBag mean 10000x64, 64 bags": (
            (bag_idx, offsets),
            lambda lib: _with_weight(lib, lib.nn.EmbeddingBag(10000, 64), bag_table),
            _bag_numpy(bag_table, bag_idx, offsets, _f32(64, 64))),
    }


def _with_weight(lib, module, weight):
    with lib.no_grad():
        module.weight.copy_(lib.tensor(weight))
    return module


def make_framework_step(lib, data, make_module):
    module = make_module(lib)
    if isinstance(data, tuple):
        inputs = [lib.tensor(d) for d in data]
        needs_grad = False
    else:
        inputs = [lib.tensor(data)]
        needs_grad = data.dtype.kind == "f"
        if needs_grad:
            inputs[0].requires_grad_(True)
    out = module(*inputs)
    g = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape))
                   .astype(np.float32))
    params = list(module.parameters())

    def step():
        for p in params:
            p.grad = None
        if needs_grad:
            inputs[0].grad = None
        (module(*inputs) * g).sum().backward()

    return step


def time_per_call(step, number: int) -> float:
    start = time.process_time()
    for _ in range(number):
        step()
    return (time.process_time() - start) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=20, help="steps per round")
    args = parser.parse_args()

    print("forward + backward, float32, 1 thread; median CPU us per step")
    print(f"  {'workload':38s} {'torchlet':>9s} {'torch':>9s} {'numpy':>9s}"
          f" {'tl/torch':>9s} {'tl/numpy':>9s}")
    for name, (data, make_module, numpy_step) in workloads().items():
        steps = {"torchlet": make_framework_step(torchlet, data, make_module),
                 "numpy": numpy_step}
        if torch is not None:
            steps["torch"] = make_framework_step(torch, data, make_module)
        for step in steps.values():  # warm up
            time_per_call(step, 3)
        samples = {k: [] for k in steps}
        for _ in range(args.rounds):
            for k, step in steps.items():
                samples[k].append(time_per_call(step, args.number))
        med = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
        torch_us = med.get("torch", float("nan"))
        print(f"  {name:38s} {med['torchlet']:9.1f} {torch_us:9.1f} {med['numpy']:9.1f}"
              f" {med['torchlet'] / torch_us:8.2f}x {med['torchlet'] / med['numpy']:8.2f}x")


if __name__ == "__main__":
    main()

"""Convolution and pooling: torchlet vs PyTorch vs plain NumPy, single-threaded, one process.

Workloads (a LeNet-style network on MNIST-sized batches, float32):
  conv1      conv2d 64x1x28x28 by 6x1x5x5 (+bias), forward + backward to weight and bias
  conv2      conv2d 64x6x12x12 by 16x6x5x5 (+bias), forward + backward to input, weight, bias
  pool       max_pool2d(2) of 64x6x24x24, forward + backward
  lenet      the whole network forward + backward: conv 1->6 5x5, relu, maxpool 2,
             conv 6->16 5x5, relu, maxpool 2, linear 256->120->84->10, cross-entropy
  lenet_fwd  the network's forward pass under no_grad (inference)

PyTorch and torchlet run the same code; plain NumPy is a hand-written forward and
backward (im2col with sliding_window_view and matmul, the same algorithm torchlet uses,
without autograd). Rounds are interleaved so machine noise hits all libraries alike; we
print medians and the ratios to torch.

    python benchmarks/bench_conv.py [--rounds 15] [--only lenet,pool]
"""

from __future__ import annotations

import argparse
import statistics
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np
from _machine import describe
from numpy.lib.stride_tricks import sliding_window_view

import torchlet

try:
    import torch

    torch.set_num_threads(1)
except ImportError:
    torch = None

BATCH = 64


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return rng, x, y


# ---------------------------------------------------------------------------------------
# the same code on torchlet and torch


def make_lenet(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def lenet_step(lib):
    _, x, y = _data()
    model = make_lenet(lib)
    xt, yt = lib.tensor(x), lib.tensor(y)
    criterion = lib.nn.CrossEntropyLoss()

    def step():
        model.zero_grad()
        criterion(model(xt), yt).backward()

    return step


def lenet_forward(lib):
    _, x, _ = _data()
    model = make_lenet(lib)
    xt = lib.tensor(x)

    def forward():
        with lib.no_grad():
            model(xt)

    return forward


def conv_step(lib, x_shape, w_shape, input_grad):
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal(x_shape).astype(np.float32), requires_grad=input_grad)
    w = lib.tensor(rng.standard_normal(w_shape).astype(np.float32) * 0.1, requires_grad=True)
    b = lib.tensor(np.zeros(w_shape[0], np.float32), requires_grad=True)
    wanted = [x, w, b] if input_grad else [w, b]
    out_shape = (x_shape[0], w_shape[0], x_shape[2] - w_shape[2] + 1, x_shape[3] - w_shape[3] + 1)
    g = lib.tensor(rng.standard_normal(out_shape).astype(np.float32))

    def step():
        lib.autograd.grad(lib.nn.functional.conv2d(x, w, b), wanted, g)

    return step


def pool_step(lib):
    rng = np.random.default_rng(2)
    x = lib.tensor(rng.standard_normal((BATCH, 6, 24, 24)).astype(np.float32),
                   requires_grad=True)
    g = lib.tensor(rng.standard_normal((BATCH, 6, 12, 12)).astype(np.float32))

    def step():
        lib.autograd.grad(lib.nn.functional.max_pool2d(x, 2), x, g)

    return step


# ---------------------------------------------------------------------------------------
# plain NumPy: LeNet's forward and backward by hand


def _im2col(x, k):
    """(N, C, H, W) -> (N, C*k*k, L) columns of every k x k window."""
    n, c = x.shape[:2]
    win = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, OH, OW, k, k)
    oh, ow = win.shape[2:4]
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * k * k, oh * ow), oh, ow


def _col2im(cols, c, h, w, k):
    n = cols.shape[0]
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(n, c, k, k, oh, ow)
    out = np.zeros((n, c, h, w), cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i:i + oh, j:j + ow] += cols[:, :, i, j]
    return out


def _pool(x):
    """2x2 max pooling: values and the argmax within each window (first maximum)."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    win = win.reshape(n, c, h // 2, w // 2, 4)
    arg = win.argmax(-1)
    return np.take_along_axis(win, arg[..., None], -1)[..., 0], arg


def _unpool(g, arg, shape):
    n, c, h, w = shape
    out = np.zeros((n, c, h // 2, w // 2, 4), g.dtype)
    np.put_along_axis(out, arg[..., None], g[..., None], -1)
    out = out.reshape(n, c, h // 2, w // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
    return out.reshape(shape)


def numpy_lenet_step():
    rng, x, y = _data()
    shapes = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 256), (120,), (84, 120), (84,),
              (10, 84), (10,)]
    params = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]

    def step():
        w1, b1, w2, b2, f1, c1, f2, c2, f3, c3 = params
        cols1, oh1, ow1 = _im2col(x, 5)
        z1 = (np.matmul(w1.reshape(6, -1), cols1) + b1[:, None]).reshape(BATCH, 6, oh1, ow1)
        a1 = np.maximum(z1, 0)
        p1, arg1 = _pool(a1)
        cols2, oh2, ow2 = _im2col(p1, 5)
        z2 = (np.matmul(w2.reshape(16, -1), cols2) + b2[:, None]).reshape(BATCH, 16, oh2, ow2)
        a2 = np.maximum(z2, 0)
        p2, arg2 = _pool(a2)
        h0 = p2.reshape(BATCH, -1)
        z3 = h0 @ f1.T + c1
        h1 = np.maximum(z3, 0)
        z4 = h1 @ f2.T + c2
        h2 = np.maximum(z4, 0)
        logits = h2 @ f3.T + c3
        e = np.exp(logits - logits.max(1, keepdims=True))
        probs = e / e.sum(1, keepdims=True)
        d = probs
        d[np.arange(BATCH), y] -= 1
        d /= BATCH
        grads = [d.T @ h2, d.sum(0)]
        d = (d @ f3) * (z4 > 0)
        grads = [d.T @ h1, d.sum(0)] + grads
        d = (d @ f2) * (z3 > 0)
        grads = [d.T @ h0, d.sum(0)] + grads
        d = _unpool((d @ f1).reshape(p2.shape), arg2, a2.shape) * (z2 > 0)
        d = d.reshape(BATCH, 16, -1)
        grads = [np.matmul(d, cols2.transpose(0, 2, 1)).sum(0).reshape(w2.shape),
                 d.sum((0, 2))] + grads
        d = _col2im(np.matmul(w2.reshape(16, -1).T, d), 6, 12, 12, 5)
        d = (_unpool(d, arg1, a1.shape) * (z1 > 0)).reshape(BATCH, 6, -1)
        grads = [np.matmul(d, cols1.transpose(0, 2, 1)).sum(0).reshape(w1.shape),
                 d.sum((0, 2))] + grads
        return grads

    return step


# ---------------------------------------------------------------------------------------
# timing


def workloads():
    libs = {"torchlet": torchlet} | ({"torch": torch} if torch is not None else {})
    table = {
        "conv1": {k: conv_step(lib, (BATCH, 1, 28, 28), (6, 1, 5, 5), False)
                  for k, lib in libs.items()},
        "conv2": {k: conv_step(lib, (BATCH, 6, 12, 12), (16, 6, 5, 5), True)
                  for k, lib in libs.items()},
        "pool": {k: pool_step(lib) for k, lib in libs.items()},
        "lenet": {k: lenet_step(lib) for k, lib in libs.items()},
        "lenet_fwd": {k: lenet_forward(lib) for k, lib in libs.items()},
    }
    table["lenet"]["numpy"] = numpy_lenet_step()
    return table


def time_once(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated workload names")
    args = parser.parse_args()
    chosen = [w for w in args.only.split(",") if w]
    print("\n".join(describe(torch)))
    print(f"single-threaded, batch {BATCH}, median of {args.rounds} interleaved rounds "
          f"of {args.repeat} calls")
    for name, runners in workloads().items():
        if chosen and name not in chosen:
            continue
        for fn in runners.values():  # warm-up
            time_once(fn, 2)
        samples = {lib: [] for lib in runners}
        for _ in range(args.rounds):
            for lib, fn in runners.items():
                samples[lib].append(time_once(fn, args.repeat))
        medians = {lib: statistics.median(s) for lib, s in samples.items()}
        line = f"{name:9s} " + "  ".join(f"{lib} {t * 1e3:7.2f} ms" for lib, t in medians.items())
        if "torch" in medians:
            line += "   " + "  ".join(f"{lib}/torch {t / medians['torch']:.2f}x"
                                      for lib, t in medians.items() if lib != "torch")
        print(line, flush=True)


if __name__ == "__main__":
    main()

"""Recurrent and attention layers, one training step each (forward + backward):

* ``nn.LSTM`` and ``nn.GRU``, one layer, sequence 35, batch 32, input 64, hidden 128:
  torchlet and PyTorch run the same module with the same weights; a hand-written NumPy
  forward + backpropagation through time is the floor;
* ``nn.TransformerEncoderLayer`` (d_model 64, 4 heads, feed-forward 128, no dropout) on
  a batch of 16 sequences of 32 tokens (no NumPy version).

The loss is ``(output * w).sum()`` for a fixed ``w``. Single-threaded, one process,
interleaved round by round; medians and ratios are printed. (PyTorch's CPU LSTM runs on
oneDNN's fused kernel; its GRU and torchlet's layers run step by step.) ``--phases``
also prints the forward (with the loss) and the backward apart, in thread CPU time (less
disturbed by other processes on a shared machine than the wall clock).

    python benchmarks/bench_rnn.py [--rounds 15] [--number 5] [--phases]
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

SEQ, BATCH, IN, HIDDEN = 35, 32, 64, 128


def make_data(gates: int):
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(HIDDEN)
    x = rng.standard_normal((SEQ, BATCH, IN)).astype(np.float32)
    w = rng.standard_normal((SEQ, BATCH, HIDDEN)).astype(np.float32)
    params = [rng.uniform(-bound, bound, shape).astype(np.float32)
              for shape in ((gates * HIDDEN, IN), (gates * HIDDEN, HIDDEN), (gates * HIDDEN,),
                            (gates * HIDDEN,))]
    return x, w, params


def make_framework_step(lib, kind: str, phases: list | None = None):
    """One training step of an LSTM or GRU; with ``phases``, each call appends its
    (forward, backward) thread times in ns."""
    gates = 4 if kind == "LSTM" else 3
    x, w, params = make_data(gates)
    layer = getattr(lib.nn, kind)(IN, HIDDEN)
    with lib.no_grad():
        for p, value in zip(layer.parameters(), params, strict=True):
            p.copy_(lib.tensor(value))
    x, w = lib.tensor(x), lib.tensor(w)

    def step():
        layer.zero_grad()
        start = time.thread_time_ns()
        out, _ = layer(x)
        loss = (out * w).sum()
        middle = time.thread_time_ns()
        loss.backward()
        if phases is not None:
            phases.append((middle - start, time.thread_time_ns() - middle))
        return [p.grad.numpy() for p in layer.parameters()]

    return step


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def make_numpy_lstm_step():
    x, w, (w_ih, w_hh, b_ih, b_hh) = make_data(4)
    size = HIDDEN

    def step():
        xw = (x.reshape(-1, IN) @ w_ih.T + b_ih).reshape(SEQ, BATCH, -1)
        h = np.zeros((BATCH, size), np.float32)
        c = np.zeros((BATCH, size), np.float32)
        cache = []
        for t in range(SEQ):
            gates = h @ w_hh.T + b_hh + xw[t]
            i, f = _sigmoid(gates[:, :size]), _sigmoid(gates[:, size:2 * size])
            g, o = np.tanh(gates[:, 2 * size:3 * size]), _sigmoid(gates[:, 3 * size:])
            c_new = f * c + i * g
            tanh_c = np.tanh(c_new)
            cache.append((h, c, i, f, g, o, tanh_c))
            h, c = o * tanh_c, c_new
        grad_xw = np.empty_like(xw)
        g_w_hh = np.zeros_like(w_hh)
        dh = np.zeros((BATCH, size), np.float32)
        dc = np.zeros((BATCH, size), np.float32)
        for t in reversed(range(SEQ)):
            h_prev, c_prev, i, f, g, o, tanh_c = cache[t]
            dh = dh + w[t]
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            d = grad_xw[t]
            d[:, :size] = dc * g * i * (1 - i)
            d[:, size:2 * size] = dc * c_prev * f * (1 - f)
            d[:, 2 * size:3 * size] = dc * i * (1 - g * g)
            d[:, 3 * size:] = dh * tanh_c * o * (1 - o)
            g_w_hh += d.T @ h_prev
            dh = d @ w_hh
            dc = dc * f
        flat = grad_xw.reshape(-1, 4 * size)
        g_b = flat.sum(0)
        return [flat.T @ x.reshape(-1, IN), g_w_hh, g_b, g_b]

    return step


def make_numpy_gru_step():
    x, w, (w_ih, w_hh, b_ih, b_hh) = make_data(3)
    size = HIDDEN

    def step():
        xw = (x.reshape(-1, IN) @ w_ih.T + b_ih).reshape(SEQ, BATCH, -1)
        h = np.zeros((BATCH, size), np.float32)
        cache = []
        for t in range(SEQ):
            hh = h @ w_hh.T + b_hh
            rz = _sigmoid(hh[:, :2 * size] + xw[t, :, :2 * size])
            r, z = rz[:, :size], rz[:, size:]
            n = np.tanh(xw[t, :, 2 * size:] + r * hh[:, 2 * size:])
            cache.append((h, hh, r, z, n))
            h = (h - n) * z + n
        grad_xw = np.empty_like(xw)
        grad_hh = np.empty((SEQ, BATCH, 3 * size), np.float32)
        g_w_hh = np.zeros_like(w_hh)
        dh = np.zeros((BATCH, size), np.float32)
        for t in reversed(range(SEQ)):
            h_prev, hh, r, z, n = cache[t]
            dh = dh + w[t]
            dn = dh * (1 - z) * (1 - n * n)
            d = grad_xw[t]
            d[:, :size] = dn * hh[:, 2 * size:] * r * (1 - r)
            d[:, size:2 * size] = dh * (h_prev - n) * z * (1 - z)
            d[:, 2 * size:] = dn
            d_hh = grad_hh[t]
            d_hh[:] = d
            d_hh[:, 2 * size:] *= r
            g_w_hh += d_hh.T @ h_prev
            dh = dh * z + d_hh @ w_hh
        flat = grad_xw.reshape(-1, 3 * size)
        return [flat.T @ x.reshape(-1, IN), g_w_hh, flat.sum(0),
                grad_hh.reshape(-1, 3 * size).sum(0)]

    return step


def make_transformer_step(lib, phases: list | None = None):
    lib.manual_seed(0)
    layer = lib.nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0)
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((32, 16, 64)).astype(np.float32))
    w = lib.tensor(rng.standard_normal((32, 16, 64)).astype(np.float32))

    def step():
        layer.zero_grad()
        start = time.thread_time_ns()
        loss = (layer(x) * w).sum()
        middle = time.thread_time_ns()
        loss.backward()
        if phases is not None:
            phases.append((middle - start, time.thread_time_ns() - middle))

    return step


def check_gradients():
    """The implementations must agree before their speeds mean anything."""
    for kind, numpy_step in (("LSTM", make_numpy_lstm_step), ("GRU", make_numpy_gru_step)):
        reference = make_framework_step(torchlet, kind)()
        others = [numpy_step()()]
        if torch is not None:
            others.append(make_framework_step(torch, kind)())
        for other in others:
            for a, b in zip(reference, other, strict=True):
                np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)


def time_per_call(step, number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        step()
    return (time.perf_counter() - start) / number


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=5, help="steps per round")
    parser.add_argument("--phases", action="store_true",
                        help="also print forward and backward thread times")
    args = parser.parse_args()

    check_gradients()
    phases: dict[str, list] = {}
    steps = {
        "LSTM torchlet": make_framework_step(torchlet, "LSTM",
                                             phases.setdefault("LSTM torchlet", [])),
        "LSTM numpy": make_numpy_lstm_step(),
        "GRU torchlet": make_framework_step(torchlet, "GRU",
                                            phases.setdefault("GRU torchlet", [])),
        "GRU numpy": make_numpy_gru_step(),
        "encoder torchlet": make_transformer_step(torchlet,
                                                  phases.setdefault("encoder torchlet", [])),
    }
    if torch is not None:
        for kind in ("LSTM", "GRU"):
            steps[f"{kind} torch"] = make_framework_step(
                torch, kind, phases.setdefault(f"{kind} torch", []))
        steps["encoder torch"] = make_transformer_step(torch,
                                                       phases.setdefault("encoder torch", []))
    for step in steps.values():  # warm up
        time_per_call(step, 2)
    for times in phases.values():
        times.clear()
    samples = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, step in steps.items():
            samples[name].append(time_per_call(step, args.number))
    medians = {name: statistics.median(times) * 1e3 for name, times in samples.items()}

    print(f"workload: LSTM/GRU {IN}->{HIDDEN}, seq {SEQ}, batch {BATCH}; "
          "TransformerEncoderLayer(64, 4, 128), seq 32, batch 16; float32, "
          "forward+backward, 1 thread")
    for name in sorted(medians):
        print(f"  {name:17s} {medians[name]:8.2f} ms per step (median of {args.rounds})")
    for kind in ("LSTM", "GRU", "encoder"):
        ours = medians[f"{kind} torchlet"]
        if torch is not None:
            print(f"  {kind}: torchlet / torch = {ours / medians[f'{kind} torch']:.2f}x")
        if f"{kind} numpy" in medians:
            print(f"  {kind}: torchlet / numpy = {ours / medians[f'{kind} numpy']:.2f}x")
    if args.phases:
        print("phases (thread time, median per step): forward with the loss / backward")
        for name in sorted(phases):
            forward, backward = zip(*phases[name], strict=True)
            print(f"  {name:17s} {statistics.median(forward) / 1e6:6.2f} / "
                  f"{statistics.median(backward) / 1e6:6.2f} ms")


if __name__ == "__main__":
    main()

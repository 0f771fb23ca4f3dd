"""Why ``times_transposed`` (torchlet/_ops/linalg/products.py) swaps BLAS's operands for
small batches: ``x @ W.T`` against ``(W @ x^T)^T``, with the transposes laid out as
torchlet does (``transposed_copy``, OpenBLAS's omatcopy), single-threaded, over batch
sizes and layer widths. Prints each swapped form's time as a ratio of the direct one
(below 1: swapping is faster): "view" multiplies by the transposed view ``x.T``, "rows"
first copies ``x^T`` to rows (torchlet's choice).

    python benchmarks/bench_linear_layout.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import timeit

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads
import numpy as np

from torchlet._ops.linalg._transpose import transposed_copy

BATCHES = (16, 32, 64, 128, 256)
LAYERS = ((784, 10), (784, 128), (784, 256), (784, 1024), (256, 84), (256, 128), (256, 512))


def best_time(fn, number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def to_rows(a: np.ndarray) -> np.ndarray:
    return transposed_copy(a, np.empty(a.shape[::-1], a.dtype))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("time of (W @ x^T)^T copied to rows / time of x @ W.T, float32, 1 thread")
    print("cells: view (W @ x.T) | rows (W @ x^T copied to rows first)")
    print("in->out    " + "".join(f"   batch {b:<4d}" for b in BATCHES))
    for n_in, n_out in LAYERS:
        w = rng.standard_normal((n_out, n_in)).astype(np.float32)
        cells = []
        for batch in BATCHES:
            x = rng.standard_normal((batch, n_in)).astype(np.float32)
            number = max(3, int(3e7 / (batch * n_in * n_out)))
            direct = best_time(lambda: x @ w.T, number, args.repeat)  # noqa: B023
            view = best_time(lambda: to_rows(w @ x.T), number, args.repeat)  # noqa: B023
            rows = best_time(lambda: to_rows(w @ to_rows(x)), number,  # noqa: B023
                             args.repeat)
            cells.append(f"  {view / direct:5.2f} {rows / direct:5.2f}")
        print(f"{n_in:4d}->{n_out:<5d}" + "".join(cells))


if __name__ == "__main__":
    main()

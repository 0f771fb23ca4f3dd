"""Wall time of the main job's default runs (``torchlet train``), torchlet vs PyTorch.

The training of ``torchlet train --model mlp`` and ``--model cnn`` with the defaults (digits,
20 epochs, Adam lr 0.01, batch 64, seed 0), run by the CLI's own ``train(lib, ...)`` with
``lib`` = torchlet and torch, without the progress bar and the files. Single-threaded
(BLAS/OpenMP pinned to 1 thread before NumPy or torch load; torch.set_num_threads(1));
the rounds alternate the libraries so that machine noise hits both alike. Prints the
median seconds per run, the ratio to torch and the final test accuracy of each.

    python benchmarks/bench_main_job.py [--rounds 5] [--models mlp,cnn]
"""

import argparse
import statistics
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads

import torchlet
from torchlet import cli


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    libraries = [torchlet]
    try:
        import torch

        torch.set_num_threads(1)
        libraries.append(torch)
    except ImportError:
        print("torch is not installed: timing torchlet alone")

    for model in args.models.split(","):
        datasets = {lib.__name__: cli.load_data(lib, "digits") for lib in libraries}
        times = {lib.__name__: [] for lib in libraries}
        accuracy = {}
        for _ in range(args.rounds):
            for lib in libraries:
                started = time.perf_counter()
                result = cli.train(lib, model=model, datasets=datasets[lib.__name__])
                times[lib.__name__].append(time.perf_counter() - started)
                accuracy[lib.__name__] = result["history"]["test_accuracy"][-1]
        reference = statistics.median(times["torch"]) if "torch" in times else None
        for name, seconds in times.items():
            median = statistics.median(seconds)
            ratio = f"   {median / reference:5.2f}x torch" if reference else ""
            print(f"{model}  {name:8s}  median {median:6.2f} s  (min {min(seconds):.2f})"
                  f"{ratio}   final test accuracy {100 * accuracy[name]:.2f}%")


if __name__ == "__main__":
    main()

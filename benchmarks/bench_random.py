"""Benchmark torchlet's random kernels against PyTorch (single thread).

Times 10**6 values of rand, randn (float32 and float64), randint, uniform_ and normal_ with
parameters, randperm(60000), and a few small tensors (their fixed cost per call), and prints
the median time of each library and the ratio torchlet / torch.  Targets from the issue: rand
and randint within 3x, randn float32 within 10x, randperm(60000) within 5x.

Both libraries are called through their public functions (torchlet.rand, torch.rand, ...)
with an explicit generator each.

``--small`` times every sampler at sizes 1..1000 (the fixed cost per call) and the gamma
family's samplers instead.

Run:  python benchmarks/bench_random.py [--repeat N] [--small]
"""

import argparse
import pathlib
import statistics
import sys
import time

import _single_thread  # noqa: F401 - pins BLAS/OpenMP to one thread before NumPy loads

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import torchlet

try:
    import torch
except ImportError:  # still useful without torch: prints torchlet's times only
    torch = None

N = 10**6
TARGETS = {"rand": 3, "randn float32": 10, "randint": 3, "randperm(60000)": 5}


def cases(g, tg):
    """(name, torchlet call, torch call) triples."""
    return [
        ("rand", lambda: torchlet.rand(N, generator=g),
         lambda: torch.rand(N, generator=tg)),
        ("randn float32", lambda: torchlet.randn(N, generator=g),
         lambda: torch.randn(N, generator=tg)),
        ("randn float64", lambda: torchlet.randn(N, generator=g, dtype=torchlet.float64),
         lambda: torch.randn(N, generator=tg, dtype=torch.float64)),
        ("randint", lambda: torchlet.randint(0, 10, (N,), generator=g),
         lambda: torch.randint(0, 10, (N,), generator=tg)),
        ("randperm(60000)", lambda: torchlet.randperm(60000, generator=g),
         lambda: torch.randperm(60000, generator=tg)),
        ("uniform_(-.1,.1)", lambda: torchlet.empty(N).uniform_(-0.1, 0.1, generator=g),
         lambda: torch.empty(N).uniform_(-0.1, 0.1, generator=tg)),
        ("normal_(.5,2)", lambda: torchlet.empty(N).normal_(0.5, 2.0, generator=g),
         lambda: torch.empty(N).normal_(0.5, 2.0, generator=tg)),
        # small tensors: the fixed cost per call
        ("randn(16)", lambda: torchlet.randn(16, generator=g),
         lambda: torch.randn(16, generator=tg)),
        ("randn(100)", lambda: torchlet.randn(100, generator=g),
         lambda: torch.randn(100, generator=tg)),
        ("randn(3)", lambda: torchlet.randn(3, generator=g),
         lambda: torch.randn(3, generator=tg)),
        ("rand(320)", lambda: torchlet.rand(320, generator=g),
         lambda: torch.rand(320, generator=tg)),
    ]


SMALL_SIZES = (1, 3, 16, 17, 64, 100, 256, 1000)


def small_cases(g, tg):
    """The fixed cost per call: each sampler at small sizes, and the gamma family."""
    out = []
    for n in SMALL_SIZES:
        e, te = torchlet.empty(n), (torch.empty(n) if torch is not None else None)
        out += [
            (f"rand({n})", lambda n=n: torchlet.rand(n, generator=g),
             lambda n=n: torch.rand(n, generator=tg)),
            (f"randint({n})", lambda n=n: torchlet.randint(0, 10, (n,), generator=g),
             lambda n=n: torch.randint(0, 10, (n,), generator=tg)),
            (f"randn({n})", lambda n=n: torchlet.randn(n, generator=g),
             lambda n=n: torch.randn(n, generator=tg)),
            (f"normal_({n})", lambda e=e: e.normal_(0.5, 2.0, generator=g),
             lambda te=te: te.normal_(0.5, 2.0, generator=tg)),
            (f"uniform_({n})", lambda e=e: e.uniform_(-0.1, 0.1, generator=g),
             lambda te=te: te.uniform_(-0.1, 0.1, generator=tg)),
            (f"bernoulli_({n})", lambda e=e: e.bernoulli_(0.3, generator=g),
             lambda te=te: te.bernoulli_(0.3, generator=tg)),
            (f"dropout({n})", lambda e=e: torchlet.nn.functional.dropout(e, 0.3),
             lambda te=te: torch.nn.functional.dropout(te, 0.3)),
        ]

    def dists(lib):
        return [
            ("Gamma(2).sample((300,))",
             lambda: lib.distributions.Gamma(lib.tensor(2.0), lib.tensor(1.0)).sample((300,))),
            ("Dirichlet(ones(5)).sample((100,))",
             lambda: lib.distributions.Dirichlet(lib.ones(5)).sample((100,))),
            ("Beta(2,3).sample((300,))",
             lambda: lib.distributions.Beta(lib.tensor(2.0), lib.tensor(3.0)).sample((300,))),
        ]

    theirs = dists(torch) if torch is not None else [(None, None)] * 3
    out += [(name, ours, other) for (name, ours), (_, other) in
            zip(dists(torchlet), theirs, strict=True)]
    return out


def paired_times(ours, theirs, repeat):
    """Time the two calls alternately, ``repeat`` times each, after one warm-up call each.

    Alternating keeps background load (other processes on a shared machine) from favouring
    one side; the ratio reported is the median of the per-pair ratios.
    """
    ours()
    if theirs is not None:
        theirs()
    t_ours, t_theirs = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - start)
        if theirs is not None:
            start = time.perf_counter()
            theirs()
            t_theirs.append(time.perf_counter() - start)
    return t_ours, t_theirs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--small", action="store_true",
                        help="small sizes (1..1000) and the gamma family instead")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(1)
    g = torchlet.Generator().manual_seed(0)
    tg = torch.Generator().manual_seed(0) if torch is not None else None
    print(f"{'call':18} {'torchlet':>10} {'torch':>10} {'ratio':>7}  target   (medians)")
    for name, ours, theirs in (small_cases if args.small else cases)(g, tg):
        t_ours, t_theirs = paired_times(ours, theirs if torch is not None else None,
                                        args.repeat)
        a = statistics.median(t_ours)
        if torch is None:
            print(f"{name:18} {a * 1e3:8.3f}ms")
            continue
        b = statistics.median(t_theirs)
        ratio = statistics.median(x / y for x, y in zip(t_ours, t_theirs, strict=True))
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            verdict = f"<= {target}x " + ("ok" if ratio <= target else "MISSED")
        print(f"{name:18} {a * 1e3:8.3f}ms {b * 1e3:8.3f}ms {ratio:6.2f}x  {verdict}")


if __name__ == "__main__":
    main()

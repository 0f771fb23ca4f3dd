"""Regressions from a differential hunt over torch.utils.data against torch 2.13
(datasets, samplers, random_split, DataLoader options, default_collate/default_convert).

Each test checks a hand-derived expectation that holds without torch, and compares with
torch live when it is installed. The last tests replay a fixed sample of random
configurations (index order, batches, and the global RNG afterwards) in both libraries.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import torchlet
from torchlet.utils.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

try:
    import torch
except ImportError:  # pragma: no cover - torch is the oracle, optional
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


# ---------------------------------------------------------------------------------------
# DistributedSampler (was missing)


def test_distributed_sampler_no_shuffle_pads_from_the_start():
    # 5 indices over 2 replicas: num_samples = ceil(5/2) = 3, total 6, padded with index 0;
    # replica r takes positions r, r+2, r+4 of [0, 1, 2, 3, 4, 0].
    assert list(DistributedSampler(range(5), 2, 0, shuffle=False)) == [0, 2, 4]
    assert list(DistributedSampler(range(5), 2, 1, shuffle=False)) == [1, 3, 0]
    assert len(DistributedSampler(range(5), 2, 1)) == 3


def test_distributed_sampler_tiny_dataset_repeats_and_drop_last():
    # 2 indices over 7 replicas: total 7 = [0, 1] * 4 cut to 7; replica 6 gets position 6
    assert list(DistributedSampler(range(2), 7, 6, shuffle=False)) == [0]
    # drop_last with 10 % 3 != 0: num_samples = ceil((10 - 3) / 3) = 3, total 9
    s = DistributedSampler(range(10), 3, 2, shuffle=False, drop_last=True)
    assert (len(s), s.total_size, list(s)) == (3, 9, [2, 5, 8])


def test_distributed_sampler_shuffle_uses_seed_plus_epoch_not_global_rng():
    s = DistributedSampler(range(10), num_replicas=2, rank=1, seed=3)
    torchlet.manual_seed(0)
    before = torchlet.rand(2)
    torchlet.manual_seed(0)
    first = list(s)
    assert torchlet.equal(torchlet.rand(2), before)  # the global generator is untouched
    g = torchlet.Generator()
    g.manual_seed(3)
    assert first == torchlet.randperm(10, generator=g).tolist()[1::2]
    assert list(s) == first  # same epoch, same order
    s.set_epoch(1)
    g.manual_seed(4)
    assert list(s) == torchlet.randperm(10, generator=g).tolist()[1::2]


def test_distributed_sampler_errors():
    with pytest.raises(ValueError,
                       match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
        DistributedSampler(range(10), 3, 3)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(range(10), 3, -1)
    # no process group: torch's error for the missing default group
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(range(10))
    from torchlet.utils.data.distributed import DistributedSampler as again
    assert again is DistributedSampler


@needs_torch
def test_distributed_sampler_matches_torch():
    rng = np.random.default_rng(16)
    for _ in range(40):
        n, nr = int(rng.integers(1, 30)), int(rng.integers(1, 6))
        args = dict(num_replicas=nr, rank=int(rng.integers(0, nr)), shuffle=bool(rng.random() < .7),
                    seed=int(rng.integers(0, 100)), drop_last=bool(rng.random() < .5))
        epoch = int(rng.integers(0, 3))
        ours, theirs = (DistributedSampler(range(n), **args),
                        torch.utils.data.DistributedSampler(range(n), **args))
        ours.set_epoch(epoch)
        theirs.set_epoch(epoch)
        assert (len(ours), list(ours)) == (len(theirs), list(theirs)), (n, args, epoch)
    ds = list(range(10))
    batches = [list(DataLoader(ds, batch_size=3, sampler=lib.utils.data.DistributedSampler(
        ds, 2, 1, seed=5) if lib is torch else DistributedSampler(ds, 2, 1, seed=5)))
        for lib in (torchlet, torch)]
    assert [b.tolist() for b in batches[0]] == [b.tolist() for b in batches[1]]


# ---------------------------------------------------------------------------------------
# IterableDataset is abstract (a collections.abc.Iterable without __iter__)


def test_iterable_dataset_is_abstract():
    with pytest.raises(TypeError, match="abstract method __iter__"):
        IterableDataset()

    class Forgot(IterableDataset):
        pass

    with pytest.raises(TypeError, match="Can't instantiate abstract class Forgot"):
        Forgot()

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(3))

    assert isinstance(Stream(), collections.abc.Iterable)
    assert isinstance(ChainDataset([]), collections.abc.Iterable)
    assert [b.tolist() for b in DataLoader(Stream() + Stream(), batch_size=4)] == [
        [0, 1, 2, 0], [1, 2]]


@needs_torch
def test_iterable_dataset_is_abstract_like_torch():
    for lib in (torch, torchlet):
        with pytest.raises(TypeError) as info:
            lib.utils.data.IterableDataset()
        assert "Can't instantiate abstract class IterableDataset" in str(info.value)


# ---------------------------------------------------------------------------------------
# sampled differential replay (torch live)

Point = collections.namedtuple("Point", "x y")


def _canon(obj, lib):
    """A comparable form: tensors by dtype, shape, bytes (and strides when contiguous)."""
    if isinstance(obj, lib.Tensor):
        a = obj.detach().numpy()
        strides = tuple(obj.stride()) if obj.is_contiguous() and obj.numel() else None
        return ("T", str(obj.dtype), tuple(obj.shape), strides, a.tobytes())
    if isinstance(obj, Point):
        return ("P", *(_canon(v, lib) for v in obj))
    if isinstance(obj, dict):
        return ("D", *((k, _canon(v, lib)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, *(_canon(v, lib) for v in obj))
    return ("O", repr(obj))


def _outcome(fn, lib, seed=0):
    """(result or exception type, then 3 draws of the global generator)."""
    lib.manual_seed(seed)
    try:
        result = _canon(fn(lib), lib)
    except Exception as e:  # noqa: BLE001 - the exception type is the outcome
        result = ("raised", type(e).__name__)
    return result, lib.rand(3).numpy().tobytes()


def _loader_config(rng):
    n = int(rng.choice([0, 1, 3, 7, 10]))
    data = rng.standard_normal((n, 3)) * 4
    labels = rng.integers(0, 5, n)
    kind = str(rng.choice(["tensor", "subset", "dicts", "mixed", "nt", "np", "stack"]))
    dtype = str(rng.choice(["float32", "float64", "int64", "bool"]))
    kw = {"batch_size": [1, 2, 3, None, 0][int(rng.integers(5))]}
    smode = str(rng.choice(["none", "none", "rand_rep", "weighted", "subset", "batch"]))
    # mostly valid combinations; a few conflicts (shuffle with a sampler) for the errors
    kw["shuffle"] = bool(rng.random() < (.5 if smode == "none" else .1))
    kw["drop_last"] = bool(rng.random() < .3) and kw["batch_size"] is not None
    use_gen, gseed = bool(rng.random() < .4), int(rng.integers(1000))
    epochs = int(rng.integers(1, 3))
    perm = rng.permutation(n).tolist()

    def run(lib):
        D = lib.utils.data
        x, y = lib.tensor(data).to(getattr(lib, dtype)), lib.tensor(labels)
        ds = {
            "tensor": lambda: D.TensorDataset(x, y),
            "subset": lambda: D.Subset(D.TensorDataset(x.t().contiguous().t()), perm),
            "dicts": lambda: [{"a": int(labels[i]), "x": x[i], "s": f"s{i}"} for i in range(n)],
            "mixed": lambda: [(float(data[i, 0]), True, np.float32(data[i, 1])) for i in range(n)],
            "nt": lambda: [Point(x[i], [int(labels[i])]) for i in range(n)],
            "np": lambda: [data[i].astype(dtype) for i in range(n)],
            "stack": lambda: D.StackDataset(a=D.TensorDataset(x), b=y),
        }[kind]()
        args = dict(kw)
        g = lib.Generator().manual_seed(gseed) if use_gen else None
        if g is not None:
            args["generator"] = g
        if smode == "rand_rep":
            args["sampler"] = D.RandomSampler(ds, replacement=True, num_samples=5, generator=g)
        elif smode == "weighted":
            args["sampler"] = D.WeightedRandomSampler([1.0 + i % 3 for i in range(n)] or [1.0], 4)
        elif smode == "subset":
            args["sampler"] = D.SubsetRandomSampler(perm[::2], generator=g)
        elif smode == "batch":
            args = {k: v for k, v in args.items() if k == "generator"}
            args["batch_sampler"] = D.BatchSampler(D.SequentialSampler(ds), 2, False)
        loader = D.DataLoader(ds, **args)
        out = [len(loader)] + [list(loader) for _ in range(epochs)]
        return out + ([lib.randint(0, 1000, (3,), generator=g)] if g is not None else [])

    return run


def _sampler_config(rng):
    n = int(rng.choice([1, 2, 5, 31, 32, 33, 70]))
    kind = str(rng.choice(["rand", "rand", "subset", "weighted", "batch"]))
    rep = bool(rng.random() < .5)
    ns = [None, 1, 32, 33, 65, 100][int(rng.integers(6))]
    use_gen, gseed = bool(rng.random() < .5), int(rng.integers(10_000))
    bs, drop = int(rng.choice([1, 2, 7])), bool(rng.random() < .5)

    def run(lib):
        D = lib.utils.data
        g = lib.Generator().manual_seed(gseed) if use_gen else None
        src = list(range(n))
        if kind == "rand":
            s = D.RandomSampler(src, replacement=rep, num_samples=ns, generator=g)
        elif kind == "subset":
            s = D.SubsetRandomSampler(src[::2], generator=g)
        elif kind == "weighted":
            s = D.WeightedRandomSampler([i % 4 + .5 for i in src], ns or 5, rep, generator=g)
        else:
            s = D.BatchSampler(D.RandomSampler(src, generator=g), bs, drop)
        return [len(s), list(s), list(s)]

    return run


def _split_and_collate_config(rng):
    n, k = int(rng.choice([0, 1, 10, 17])), int(rng.integers(1, 4))
    w = rng.random(k)
    lengths = (w / w.sum()).tolist() if rng.random() < .5 else None
    seed, use_gen = int(rng.integers(1 << 30)), bool(rng.random() < .5)

    def run(lib):
        kw = {"generator": lib.Generator().manual_seed(seed % 1000)} if use_gen else {}
        parts = lib.utils.data.random_split(range(n), lengths or [n], **kw)
        r = np.random.default_rng(seed)
        batch = [(int(r.integers(9)), float(r.random()), np.arange(2.0) * r.random(),
                  {"t": lib.tensor(r.random(2)), "s": "x"}) for _ in range(3)]
        return [p.indices for p in parts] + [lib.utils.data.default_collate(batch)]

    return run


@needs_torch
@pytest.mark.filterwarnings("ignore")
def test_sampled_configs_match_torch():
    rng = np.random.default_rng(20261123)
    makers = [_loader_config, _sampler_config, _split_and_collate_config]
    for i in range(90):
        run = makers[i % 3](rng)
        assert _outcome(run, torchlet) == _outcome(run, torch), f"config {i}"


# ---------------------------------------------------------------------------------------
# hand-derived checks of the same paths (meaningful without torch)


def test_loader_paths_hand_derived():
    x = torchlet.arange(10.0).reshape(5, 2)
    ds = TensorDataset(x, torchlet.arange(5))
    batches = list(DataLoader(Subset(ds, [4, 0, 2]), batch_size=2))
    assert [b[1].tolist() for b in batches] == [[4, 0], [2]]
    assert batches[0][0].tolist() == [[8.0, 9.0], [0.0, 1.0]]
    stacked = StackDataset(a=[1, 2], b=["p", "q"])
    assert list(DataLoader(stacked, batch_size=2))[0]["b"] == ["p", "q"]
    assert len(BatchSampler(SequentialSampler(range(7)), 3, True)) == 2
    assert sorted(SubsetRandomSampler([5, 7, 9])) == [5, 7, 9]
    assert len(list(RandomSampler(range(4), replacement=True, num_samples=33))) == 33
    assert all(i == 1 for i in WeightedRandomSampler([0.0, 1.0], 6))
    assert default_collate([(1, 2.5), (3, 4.5)])[1].dtype == torchlet.float64
    assert [len(p) for p in random_split(range(10), [0.34, 0.33, 0.33])] == [4, 3, 3]

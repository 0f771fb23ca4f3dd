"""torchlet.utils.data against torch.utils.data.

* Data order is bit-exact: the spec's vectors (docs/torch-rng.md §14) and values recorded
  from torch 2.13 run without torch; with torch installed, the same loaders, samplers and
  splits run on both libraries over several seeds, epochs, batch sizes, drop_last and
  explicit generators, and the global generator must end in the same state.
* default_collate / default_convert: types, dtypes, values and errors as torch's.
* DataLoader arguments: validation errors, len(), attributes.
* Worker processes: the same batches as num_workers=0, seeding, worker_init_fn,
  get_worker_info, errors carried over, and no worker left behind after a break or an
  exception.
"""

from __future__ import annotations

import collections
import gc
import multiprocessing
import time

import numpy as np
import pytest

import torchlet
from torchlet.utils import data as tdata
from torchlet.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

try:
    import torch
    import torch.utils.data as torch_data
except ImportError:  # pragma: no cover - the live tests skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def lists(batches):
    return [b.tolist() for b in batches]


def rng_after(lib):
    """Three float32 draws from the global generator: equal iff the states are equal."""
    return lib.rand(3).numpy().tobytes()


# ================================================================ torch-free vectors


def test_spec_random_sampler_vector():
    torchlet.manual_seed(0)
    assert list(RandomSampler(range(10))) == [6, 9, 0, 7, 3, 5, 4, 2, 1, 8]


def test_spec_dataloader_vector_and_later_epochs():
    torchlet.manual_seed(0)
    loader = DataLoader(list(range(10)), batch_size=4, shuffle=True)
    epochs = [lists(loader) for _ in range(3)]
    assert epochs == [  # recorded from torch 2.13
        [[6, 7, 1, 4], [2, 0, 9, 8], [3, 5]],
        [[2, 4, 7, 0], [8, 9, 5, 3], [6, 1]],
        [[7, 4, 5, 1], [9, 3, 8, 2], [0, 6]],
    ]
    after = torchlet.rand(2).numpy()
    assert after.tolist() == np.array([0.022325754165649414, 0.16885894536972046],
                                      dtype=np.float32).tolist()


def test_recorded_generator_drop_last():
    g = torchlet.Generator().manual_seed(1)
    loader = DataLoader(list(range(7)), batch_size=3, shuffle=True, generator=g,
                        drop_last=True)
    assert [lists(loader) for _ in range(2)] == [[[4, 3, 5], [0, 6, 1]],
                                                 [[6, 4, 1], [3, 2, 0]]]


def test_recorded_samplers_and_splits():
    torchlet.manual_seed(5)
    assert list(RandomSampler(range(6), replacement=True, num_samples=40)) == [
        1, 2, 3, 4, 4, 2, 4, 2, 3, 2, 4, 3, 1, 1, 4, 2, 1, 0, 5, 1, 2, 4, 3, 4, 1, 4, 3, 3,
        1, 0, 0, 1, 2, 5, 4, 1, 0, 3, 3, 4]
    torchlet.manual_seed(5)
    assert list(RandomSampler(range(6), num_samples=14)) == [
        1, 5, 0, 4, 3, 2, 2, 3, 0, 1, 4, 5, 4, 1]
    torchlet.manual_seed(7)
    assert [s.indices for s in random_split(range(10), [0.3, 0.3, 0.4])] == [
        [5, 0, 3], [4, 1, 7], [9, 6, 8, 2]]
    g = torchlet.Generator().manual_seed(42)
    assert [s.indices for s in random_split(range(11), [0.5, 0.5], generator=g)] == [
        [6, 8, 9, 2, 1, 10], [0, 7, 3, 5, 4]]
    torchlet.manual_seed(0)
    assert list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5)) == [5, 4, 4, 5, 4]
    torchlet.manual_seed(0)
    assert list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5,
                                      replacement=False)) == [1, 4, 0, 2, 3]
    torchlet.manual_seed(0)
    assert list(SubsetRandomSampler([10, 20, 30, 40, 50])) == [50, 10, 20, 40, 30]


def test_base_seed_drawn_every_epoch_even_without_shuffle():
    torchlet.manual_seed(0)
    expected = torchlet.empty(3, dtype=torchlet.int64).random_().tolist()
    torchlet.manual_seed(0)
    loader = DataLoader(list(range(5)), batch_size=2)
    seeds = []
    for _ in range(3):
        it = iter(loader)
        seeds.append(it._base_seed)
        assert lists(it) == [[0, 1], [2, 3], [4]]
    assert seeds == expected


def test_sampler_draws_nothing_until_first_batch():
    torchlet.manual_seed(0)
    state = torchlet.get_rng_state()
    sampler_iter = iter(RandomSampler(range(10)))
    assert torch_equal_bytes(torchlet.get_rng_state(), state)
    next(sampler_iter)
    assert not torch_equal_bytes(torchlet.get_rng_state(), state)


def torch_equal_bytes(a, b):
    return a.numpy().tobytes() == b.numpy().tobytes()


# ================================================================ datasets


def test_tensor_dataset():
    x, y = torchlet.arange(12.0).reshape(4, 3), torchlet.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    sx, sy = ds[2]
    assert sx.tolist() == [6.0, 7.0, 8.0] and sy.item() == 0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, torchlet.zeros(5))


def test_concat_subset_and_add():
    a, b = TensorDataset(torchlet.arange(3)), TensorDataset(torchlet.arange(10, 15))
    cat = a + b
    assert isinstance(cat, ConcatDataset) and len(cat) == 8
    assert [cat[i][0].item() for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert cat[-1][0].item() == 14 and cat.cumulative_sizes == [3, 8]
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-9]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    sub = Subset(cat, [7, 0, 3])
    assert len(sub) == 3 and [s[0].item() for s in sub.__getitems__([0, 1, 2])] == [14, 0, 10]
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([a, _Stream(3)])


def test_dataset_base_errors():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(TypeError):
        len(Dataset())


def test_random_split_lengths_and_errors():
    torchlet.manual_seed(0)
    parts = random_split(range(10), [3, 7])
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    # fractions: floors, then the remainder dealt round-robin from the first split
    parts = random_split(range(11), [0.25, 0.25, 0.5])
    assert [len(p) for p in parts] == [3, 3, 5]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])


# ================================================================ samplers


def test_sequential_and_batch_sampler():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(10)), 3, False)) == [
        [0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(range(10), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4
    assert len(BatchSampler(range(10), 3, True)) == 3
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)


def test_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0]], 1)
    assert len(RandomSampler(range(7), num_samples=3)) == 3


def test_random_sampler_is_a_permutation_per_pass():
    torchlet.manual_seed(3)
    out = list(RandomSampler(range(5), num_samples=12))
    assert sorted(out[:5]) == sorted(out[5:10]) == list(range(5)) and len(out) == 12


# ================================================================ collate


Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_types():
    ints = default_collate([0, 1, 2])
    assert ints.dtype == torchlet.int64 and ints.tolist() == [0, 1, 2]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == torchlet.float64
    assert default_collate([True, False]).dtype == torchlet.bool
    assert default_collate([1, 2.5]).dtype == torchlet.float32  # tensor([1, 2.5])
    assert default_collate(["a", "b"]) == ["a", "b"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]
    pairs = default_collate([(0, 1.0), (2, 3.0)])
    assert isinstance(pairs, list) and pairs[0].tolist() == [0, 2]
    assert pairs[1].dtype == torchlet.float64
    lists_ = default_collate([[0, 1], [2, 3]])
    assert [t.tolist() for t in lists_] == [[0, 2], [1, 3]]
    d = default_collate([{"A": 0, "B": np.ones(2, np.float32)},
                         {"A": 1, "B": np.zeros(2, np.float32)}])
    assert d["A"].tolist() == [0, 1] and d["B"].dtype == torchlet.float32
    assert d["B"].shape == (2, 2)
    p = default_collate([Point(0, 1.0), Point(1, 2.0)])
    assert isinstance(p, Point) and p.x.tolist() == [0, 1]
    np_scalars = default_collate([np.int32(1), np.int32(2)])
    assert np_scalars.dtype == torchlet.int32
    t = default_collate([torchlet.ones(2, 3), torchlet.zeros(2, 3)])
    assert t.shape == (2, 2, 3) and t.dtype == torchlet.float32


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([torchlet.zeros(2), torchlet.zeros(3)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"])])


def test_default_convert():
    out = default_convert((np.ones(2), 1, "s", {"k": np.int64(3)}))
    assert isinstance(out, list) and out[0].dtype == torchlet.float64
    assert out[1] == 1 and out[2] == "s" and out[3]["k"].dtype == torchlet.int64
    assert default_convert(Point(np.array(0), 1)).x.dtype == torchlet.int64
    strings = np.array(["a"])
    assert default_convert(strings) is strings


def test_fast_tensor_path_equals_plain_collate():
    x = torchlet.randn(37, 3, 2)
    y = torchlet.randint(0, 5, (37,))
    ds = random_split(TensorDataset(x, y), [30, 7])[0]  # Subset of a TensorDataset
    for drop_last in (False, True):
        g1, g2 = torchlet.Generator().manual_seed(4), torchlet.Generator().manual_seed(4)
        fast = list(DataLoader(ds, batch_size=8, shuffle=True, generator=g1,
                               drop_last=drop_last))
        slow = list(DataLoader(ds, batch_size=8, shuffle=True, generator=g2,
                               drop_last=drop_last, collate_fn=lambda b: default_collate(b)))
        assert len(fast) == len(slow)
        for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
            assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
            assert fx.shape == sx.shape and fx.is_contiguous()
            assert np.array_equal(fx.numpy(), sx.numpy()) and np.array_equal(fy.numpy(),
                                                                              sy.numpy())


def test_fast_path_falls_back_for_bad_index():
    ds = TensorDataset(torchlet.arange(4))
    loader = DataLoader(ds, batch_sampler=[[0, 9]])
    with pytest.raises(IndexError):
        list(loader)


# ================================================================ DataLoader arguments


def test_dataloader_attributes_and_len():
    ds = TensorDataset(torchlet.arange(10))
    loader = DataLoader(ds, batch_size=4)
    assert loader.dataset is ds and loader.batch_size == 4 and len(loader) == 3
    assert len(DataLoader(ds, batch_size=4, drop_last=True)) == 2
    assert len(DataLoader(ds, batch_size=None)) == 10
    assert isinstance(DataLoader(ds, shuffle=True).sampler, RandomSampler)
    assert isinstance(DataLoader(ds).sampler, SequentialSampler)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3
    # no batching: default_convert, samples as they are
    assert [s[0].item() for s in DataLoader(ds, batch_size=None)][:3] == [0, 1, 2]


@pytest.mark.parametrize("kwargs, match", [
    (dict(shuffle=True, sampler=[0, 1]), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="fork"), "multiprocessing_context can only be used"),
    (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start"),
])
def test_dataloader_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(list(range(4)), **kwargs)


class _Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


def test_iterable_dataset_loader():
    loader = DataLoader(_Stream(10), batch_size=4)
    assert len(loader) == 3 and lists(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert lists(DataLoader(_Stream(10), batch_size=4, drop_last=True)) == [
        [0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(_Stream(10), batch_size=4, drop_last=True)) == 2
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected"):
            DataLoader(_Stream(3), **kwargs)


def test_pin_memory_warns_on_cpu():
    with pytest.warns(UserWarning, match="no accelerator is found"):
        list(DataLoader(list(range(3)), pin_memory=True))


# ================================================================ worker processes


class _Noisy(Dataset):
    """Samples that record which worker made them and draw from every generator."""

    def __len__(self):
        return 23

    def __getitem__(self, i):
        info = get_worker_info()
        return (torchlet.tensor([float(i)]), i, torchlet.rand(1), np.random.randint(1000),
                -1 if info is None else info.id)


class _Fails(Dataset):
    def __len__(self):
        return 20

    def __getitem__(self, i):
        if i == 7:
            raise KeyError(f"no sample {i}")
        return i


def _workers_gone(timeout=5.0):
    deadline = time.time() + timeout
    while multiprocessing.active_children() and time.time() < deadline:
        gc.collect()
        time.sleep(0.02)
    return not multiprocessing.active_children()


def test_workers_give_the_batches_of_the_main_process():
    torchlet.manual_seed(3)
    with_workers = list(DataLoader(_Noisy(), batch_size=4, shuffle=True, num_workers=2))
    rng_workers = rng_after(torchlet)
    torchlet.manual_seed(3)
    list(DataLoader(list(range(23)), batch_size=4, shuffle=True))
    assert rng_workers == rng_after(torchlet)  # the same draws in the main process
    torchlet.manual_seed(3)
    main = list(DataLoader(_Noisy(), batch_size=4, shuffle=True))
    assert [b[1].tolist() for b in with_workers] == [b[1].tolist() for b in main]
    assert [b[4].tolist() for b in with_workers] == [[i % 2] * len(b[1])
                                                     for i, b in enumerate(main)]
    assert all((b[0].flatten() == b[1].to(torchlet.float32)).all() for b in with_workers)
    assert _workers_gone()


def test_worker_seeds_init_fn_and_info():
    torchlet.manual_seed(0)
    base = torchlet.empty((), dtype=torchlet.int64).random_().item()
    torchlet.manual_seed(0)
    loader = DataLoader(list(range(4)), batch_size=1, num_workers=2,
                        worker_init_fn=_record_seed, collate_fn=_seed_of_worker)
    assert list(loader) == [(0, base), (1, base + 1), (0, base), (1, base + 1)]
    assert get_worker_info() is None


def _record_seed(worker_id):
    info = get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    info.dataset.append(("init", worker_id))  # the worker's own copy


def _seed_of_worker(batch):
    info = get_worker_info()
    assert info.dataset[-1] == ("init", info.id)
    return info.id, info.seed


def test_worker_exception_is_reraised_and_workers_stop():
    loader = DataLoader(_Fails(), batch_size=2, num_workers=2)
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        for _ in loader:
            pass
    assert _workers_gone()


def test_break_and_user_exception_stop_workers():
    loader = DataLoader(list(range(100)), batch_size=2, num_workers=2)
    for _ in loader:
        break
    assert _workers_gone()

    def body():
        for _ in loader:
            raise ValueError("user code failed")

    with pytest.raises(ValueError):
        body()
    assert _workers_gone()


class _Dies(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            import os

            os._exit(3)  # the worker process disappears without a word
        return i


class _Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


def test_dead_worker_and_timeout_raise():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           "unexpectedly"):
        list(DataLoader(_Dies(), batch_size=2, num_workers=2))
    assert _workers_gone()
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.05 seconds"):
        list(DataLoader(_Slow(), num_workers=1, timeout=0.05))
    assert _workers_gone()


def test_iterable_dataset_with_workers_and_persistent_workers():
    loader = DataLoader(_Stream(9), batch_size=2, num_workers=2)
    # worker 0 has 0,2,4,6,8 and worker 1 has 1,3,5,7; batches alternate between them
    assert lists(loader) == [[0, 2], [1, 3], [4, 6], [5, 7], [8]]
    persistent = DataLoader(list(range(7)), batch_size=3, num_workers=2,
                            persistent_workers=True)
    first, second = lists(persistent), lists(persistent)
    assert first == second == [[0, 1, 2], [3, 4, 5], [6]]
    assert persistent._iterator is not None
    del persistent
    assert _workers_gone()
    unordered = DataLoader(list(range(10)), batch_size=2, num_workers=2, in_order=False)
    assert sorted(lists(unordered)) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]


def test_spawn_context():
    ds = TensorDataset(torchlet.arange(6.0))
    loader = DataLoader(ds, batch_size=4, num_workers=2, multiprocessing_context="spawn")
    assert [b[0].tolist() for b in loader] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]


def test_timeout_argument_is_accepted_with_workers():
    assert lists(DataLoader(list(range(3)), batch_size=2, num_workers=1, timeout=30)) == [
        [0, 1], [2]]


# ================================================================ live comparisons


@needs_torch
@pytest.mark.parametrize("seed", [0, 1, 123])
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True),
                                                   (7, True), (64, False)])
def test_live_shuffled_epochs(seed, batch_size, drop_last):
    n = 53
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(seed)
        loader = data.DataLoader(list(range(n)), batch_size=batch_size, shuffle=True,
                                 drop_last=drop_last)
        epochs = [lists(loader) for _ in range(3)]
        results.append((epochs, len(loader), rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
@pytest.mark.parametrize("seed", [0, 9])
def test_live_explicit_generator_and_partial_epoch(seed):
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(100)
        g = lib.Generator().manual_seed(seed)
        loader = data.DataLoader(list(range(20)), batch_size=6, shuffle=True, generator=g)
        out = [lists(loader)]
        for batch in loader:  # an epoch cut short: the extra permutation is never drawn
            out.append(batch.tolist())
            break
        out.append(lists(loader))
        results.append((out, g.get_state().numpy().tobytes(), rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(), dict(num_samples=7), dict(num_samples=25), dict(replacement=True),
    dict(replacement=True, num_samples=70), dict(replacement=True, num_samples=5),
])
@pytest.mark.parametrize("with_generator", [False, True])
def test_live_random_sampler(kwargs, with_generator):
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(11)
        g = lib.Generator().manual_seed(5) if with_generator else None
        sampler = data.RandomSampler(range(10), generator=g, **kwargs)
        results.append(([list(sampler) for _ in range(2)], len(sampler), rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
def test_live_mnist_sized_epochs():
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(0)
        sampler = data.BatchSampler(data.RandomSampler(range(60000)), 64, False)
        results.append(([sum(sampler, []) for _ in range(2)], rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.5, 0.5], [1, 0, 9],
                                     [0.33, 0.33, 0.34]])
@pytest.mark.parametrize("seed", [0, 42])
def test_live_random_split(lengths, seed):
    n = 10 if isinstance(lengths[0], int) else 31
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(seed)
        default = [s.indices for s in data.random_split(range(n), lengths)]
        g = lib.Generator().manual_seed(seed + 1)
        explicit = [s.indices for s in data.random_split(range(n), lengths, generator=g)]
        results.append((default, explicit, rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
@pytest.mark.parametrize("replacement, num_samples", [(True, 1), (True, 50), (False, 4),
                                                      (False, 6)])
def test_live_weighted_and_subset_samplers(replacement, num_samples):
    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6]
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(2)
        w = list(data.WeightedRandomSampler(weights, num_samples, replacement=replacement))
        g = lib.Generator().manual_seed(8)
        wg = list(data.WeightedRandomSampler(weights, num_samples, replacement, generator=g))
        s = list(data.SubsetRandomSampler([5, 3, 9, 1, 7]))
        sg = list(data.SubsetRandomSampler([5, 3, 9, 1, 7], generator=g))
        results.append((w, wg, s, sg, rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
def test_live_loader_with_samplers_and_tensor_dataset():
    x = np.random.default_rng(0).standard_normal((40, 3)).astype(np.float32)
    y = np.arange(40)
    results = []
    for lib, data in ((torch, torch_data), (torchlet, tdata)):
        lib.manual_seed(6)
        ds = data.TensorDataset(lib.from_numpy(x.copy()), lib.from_numpy(y.copy()))
        train, val = data.random_split(ds, [0.75, 0.25])
        loaders = [
            data.DataLoader(train, batch_size=8, shuffle=True),
            data.DataLoader(val, batch_size=3),
            data.DataLoader(ds, batch_size=5,
                            sampler=data.WeightedRandomSampler(np.linspace(1, 2, 40), 12)),
            data.DataLoader(ds, batch_sampler=data.BatchSampler(
                data.RandomSampler(ds, replacement=True), 9, False)),
        ]
        out = []
        for loader in loaders:
            for _ in range(2):
                for bx, by in loader:
                    out.append((bx.numpy().tobytes(), by.tolist(), str(bx.dtype), len(loader)))
        results.append((out, rng_after(lib)))
    assert results[0] == results[1]


@needs_torch
def test_live_worker_random_streams():
    results = []
    for lib, data, ds in ((torch, torch_data, _TorchNoisy()), (torchlet, tdata, _Noisy())):
        lib.manual_seed(3)
        batches = list(data.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2))
        results.append([(b[1].tolist(), b[2].numpy().tobytes(), b[3].tolist(), b[4].tolist())
                        for b in batches])
    assert results[0] == results[1]


class _TorchNoisy(_Noisy):
    def __getitem__(self, i):
        info = torch_data.get_worker_info()
        return (torch.tensor([float(i)]), i, torch.rand(1), np.random.randint(1000),
                -1 if info is None else info.id)


COLLATE_CASES = [
    lambda lib: [0, 1, 2],
    lambda lib: [0.5, 1.5],
    lambda lib: [True, False],
    lambda lib: [1, 2.5],
    lambda lib: [np.float32(1.5), np.float32(2.0)],
    lambda lib: [np.arange(6).reshape(2, 3), np.ones((2, 3), dtype=np.int64)],
    lambda lib: [(lib.ones(2), 1, "a"), (lib.zeros(2), 2, "b")],
    lambda lib: [{"x": lib.arange(3), "y": [1.0, 2.0]}, {"x": lib.arange(3), "y": [3.0, 4.0]}],
    lambda lib: [Point(lib.tensor(1.5), np.float64(2)), Point(lib.tensor(2.5), np.float64(3))],
    lambda lib: [lib.ones(2, 2, dtype=lib.float16), lib.zeros(2, 2, dtype=lib.float16)],
]


def _flatten(obj):
    if hasattr(obj, "numpy") and not isinstance(obj, np.ndarray):
        return ("tensor", str(obj.dtype), tuple(obj.shape), obj.numpy().tolist())
    if isinstance(obj, dict):
        return ("dict", tuple((k, _flatten(v)) for k, v in obj.items()))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(_flatten(v) for v in obj))
    return ("value", obj)


@needs_torch
@pytest.mark.parametrize("case", range(len(COLLATE_CASES)))
def test_live_default_collate(case):
    make = COLLATE_CASES[case]
    theirs = _flatten(torch_data.default_collate(make(torch)))
    ours = _flatten(default_collate(make(torchlet)))
    assert ours == theirs
    assert _flatten(default_convert(make(torchlet))) == _flatten(
        torch_data.default_convert(make(torch)))


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]), dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_size=None, drop_last=True), dict(num_workers=-1), dict(timeout=-1),
    dict(prefetch_factor=2), dict(persistent_workers=True),
    dict(multiprocessing_context="fork"),
])
def test_live_argument_error_messages(kwargs):
    with pytest.raises(Exception) as theirs:
        torch_data.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(Exception) as ours:
        DataLoader(list(range(4)), **kwargs)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value)

"""Differential hunt over torch.utils.data and torch.optim.lr_scheduler (session 25).

Regressions for what the hunt found, each compared with torch live:

* the DataLoader's fast path for TensorDataset rows gave a permuted tensor's batches
  NumPy's gather layout; torch stacks the rows into a contiguous batch;
* ``pin_memory_device`` with ``pin_memory=True`` warns (deprecated) before the
  no-accelerator warning, as torch does;
* ``prefetch_factor=0`` with worker processes is torch's AssertionError;
* samples that are int or float subclasses (an IntEnum label, a user's int type) collate
  as their base type: ``tensor()`` read them as no number (and an IntEnum member as a
  sequence, since its class answers ``E["A"]`` through the metaclass).

Then seeded random sweeps that replay the same configuration in both libraries: every
learning-rate scheduler (several parameter groups, state_dict round trips, the deprecated
epoch argument), DataLoader orders with each sampler (and the global random stream
afterwards), and default_collate / default_convert of random nested samples.
"""

from __future__ import annotations

import collections
import enum
import random
import warnings

import numpy as np
import pytest

import torchlet

torch = pytest.importorskip("torch")

LIBS = (torch, torchlet)


@pytest.fixture(autouse=True)
def _restore_rng():
    """The tests seed both global generators; put their states back afterwards."""
    saved_torch, saved = torch.get_rng_state(), torchlet.get_rng_state()
    yield
    torch.set_rng_state(saved_torch)
    torchlet.set_rng_state(saved)


def plain(value):
    """A result as plain data (tensors as dtype, shape, strides and values; floats by
    repr, so that int/float and -0.0 differences show)."""
    if isinstance(value, (torch.Tensor, torchlet.Tensor)):
        return ("T", str(value.dtype).split(".")[-1], tuple(value.shape), value.stride(),
                value.tolist())
    if isinstance(value, dict):
        return ("D", type(value).__name__, tuple((k, plain(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(plain(v) for v in value))
    if isinstance(value, float):
        return ("f", repr(value))
    if isinstance(value, (int, str, bytes, bool, type(None))):
        return (type(value).__name__, value)
    return ("?", type(value).__name__)


def outcome(fn, lib, seed=0):
    """``fn(lib)`` as plain data, or its exception's type and message; and the warnings."""
    random.seed(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", plain(fn(lib)))
        except Exception as e:  # noqa: BLE001 - compared with torch's
            result = ("exc", type(e).__name__, str(e).replace("torchlet", "torch"))
    messages = tuple((w.category.__name__, str(w.message).replace("torchlet", "torch"))
                     for w in caught)
    return result, messages


def assert_same(fn, seed=0):
    expected, got = outcome(fn, torch, seed), outcome(fn, torchlet, seed)
    assert got == expected


# ------------------------------------------------------------------ fixed behaviours


def permuted_dataset(lib):
    x = lib.arange(60.0).reshape(5, 4, 3).permute(0, 2, 1)
    z = lib.arange(20.0).reshape(4, 5).t()
    return lib.utils.data.TensorDataset(x, lib.arange(5), z)


@pytest.mark.parametrize("how", ["plain", "subset_tensor", "subset_numpy", "subset_range",
                                 "negative_sampler", "subset_of_subset"])
def test_tensor_dataset_batches_are_contiguous(how):
    def fn(lib):
        data = lib.utils.data
        ds = permuted_dataset(lib)
        kwargs = {"batch_size": 2}
        if how == "subset_tensor":
            ds = data.Subset(ds, lib.tensor([4, 0, 2]))
        elif how == "subset_numpy":
            ds = data.Subset(ds, np.array([4, 0, 2]))
        elif how == "subset_range":
            ds = data.Subset(ds, range(1, 4))
        elif how == "negative_sampler":
            kwargs["sampler"] = [-1, -5, 2]
        elif how == "subset_of_subset":
            ds = data.Subset(data.Subset(ds, [4, 3, 2, 1]), [0, 2, 3])
        return [[(b, b.is_contiguous()) for b in batch]
                for batch in data.DataLoader(ds, **kwargs)]

    assert_same(fn)
    batch = next(iter(torchlet.utils.data.DataLoader(permuted_dataset(torchlet),
                                                     batch_size=2)))
    assert all(b.is_contiguous() for b in batch)


def test_pin_memory_device_deprecation_warning():
    def fn(lib):
        return list(lib.utils.data.DataLoader(list(range(5)), batch_size=2, pin_memory=True,
                                              pin_memory_device="cpu"))

    assert_same(fn)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(torchlet)
    assert "pin_memory_device is deprecated" in str(caught[0].message)


def test_prefetch_factor_zero_with_workers():
    def fn(lib):
        return list(lib.utils.data.DataLoader(list(range(5)), num_workers=1,
                                              prefetch_factor=0))

    assert_same(fn)
    with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
        fn(torchlet)


class Label(enum.IntEnum):
    CAT = 1
    DOG = 2


class Count(int):
    pass


class Weight(float):
    pass


@pytest.mark.parametrize("batch", [
    [Label.CAT, Label.DOG], [Label.DOG, 3], [Count(3), 4], [True, Count(2)],
    [Weight(1.5), 2.0], [Count(1), Weight(0.5)], [(Label.CAT, Weight(0.25))] * 2,
    [{"y": Label.DOG}, {"y": Label.CAT}],
], ids=lambda b: repr(b)[:30])
def test_collate_number_subclasses(batch):
    assert_same(lambda lib: lib.utils.data.default_collate(batch))


@pytest.mark.parametrize("data", [Label.CAT, [Label.CAT, 2], [[Label.DOG]], Count(7),
                                  [Count(1), 2.5], Weight(2.5), [Weight(1.5)]],
                         ids=repr)
def test_tensor_of_number_subclasses(data):
    assert_same(lambda lib: lib.tensor(data))
    assert torchlet.tensor(data).tolist() == torch.tensor(data).tolist()


def test_number_subclass_in_arithmetic():
    assert_same(lambda lib: [lib.ones(2, dtype=lib.int32) + Count(3),
                             lib.ones(2, dtype=lib.int32) * Weight(1.5),
                             lib.ones(2, dtype=lib.int32) + Label.DOG])


# ------------------------------------------------------------------ scheduler sweep

KINDS = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
         "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR",
         "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler",
         "ReduceLROnPlateau"]


def one_or_each(groups, draw):
    return [draw() for _ in range(groups)] if random.random() < 0.5 else draw()


def make_scheduler(S, opt, groups, kind, n):  # noqa: C901, N803 - one branch per kind
    u = random.uniform
    if kind == "StepLR":
        return S.StepLR(opt, random.randint(1, 20), gamma=u(0.1, 0.99))
    if kind == "MultiStepLR":
        milestones = sorted(random.randint(1, n) for _ in range(random.randint(1, 6)))
        return S.MultiStepLR(opt, milestones, gamma=u(0.1, 0.99))
    if kind == "ConstantLR":
        return S.ConstantLR(opt, factor=u(0.05, 1.0), total_iters=random.randint(0, 30))
    if kind == "LinearLR":
        return S.LinearLR(opt, start_factor=u(0.01, 1.0), end_factor=u(0.0, 1.0),
                          total_iters=random.randint(1, 60))
    if kind == "ExponentialLR":
        return S.ExponentialLR(opt, u(0.8, 1.0))
    if kind == "PolynomialLR":
        return S.PolynomialLR(opt, total_iters=random.randint(1, 100),
                              power=random.choice([1.0, 2.0, u(0.1, 3)]))
    if kind == "CosineAnnealingLR":
        return S.CosineAnnealingLR(opt, T_max=random.randint(1, 60),
                                   eta_min=random.choice([0.0, u(0, 1e-3)]))
    if kind == "CosineAnnealingWarmRestarts":
        return S.CosineAnnealingWarmRestarts(opt, T_0=random.randint(1, 20),
                                             T_mult=random.randint(1, 3),
                                             eta_min=random.choice([0, u(0, 1e-3)]))
    if kind == "CyclicLR":
        mode = random.choice(["triangular", "triangular2", "exp_range"])
        return S.CyclicLR(opt, one_or_each(groups, lambda: u(1e-4, 1e-2)),
                          one_or_each(groups, lambda: u(0.02, 1)),
                          step_size_up=random.randint(1, 30),
                          step_size_down=random.choice([None, random.randint(1, 30)]),
                          mode=mode, gamma=u(0.9, 1.0), cycle_momentum=random.random() < 0.6,
                          base_momentum=one_or_each(groups, lambda: u(0.5, 0.85)),
                          max_momentum=one_or_each(groups, lambda: u(0.86, 0.99)))
    if kind == "OneCycleLR":
        return S.OneCycleLR(opt, one_or_each(groups, lambda: u(0.01, 1)),
                            total_steps=n + random.randint(0, 10), pct_start=u(0.05, 0.6),
                            anneal_strategy=random.choice(["cos", "linear"]),
                            cycle_momentum=random.random() < 0.6,
                            three_phase=random.random() < 0.5, div_factor=u(2, 50),
                            final_div_factor=u(10, 1e5),
                            base_momentum=one_or_each(groups, lambda: u(0.5, 0.85)),
                            max_momentum=one_or_each(groups, lambda: u(0.86, 0.99)))
    if kind == "LambdaLR":
        a = u(0.9, 1.0)
        return S.LambdaLR(opt, lambda e: a**e)
    if kind == "MultiplicativeLR":
        a = u(0.9, 1.0)
        return S.MultiplicativeLR(opt, lambda e: a)
    if kind in ("SequentialLR", "ChainedScheduler"):
        k = random.randint(1, 3)
        subs = [make_scheduler(S, opt, groups, random.choice(KINDS[:8]), n) for _ in range(k)]
        if kind == "SequentialLR":
            return S.SequentialLR(opt, subs, sorted(random.sample(range(1, n), k - 1)))
        return S.ChainedScheduler(subs)
    return S.ReduceLROnPlateau(
        opt, mode=random.choice(["min", "max"]), factor=u(0.1, 0.9),
        patience=random.randint(0, 10), threshold=random.choice([1e-4, u(0, 0.1)]),
        threshold_mode=random.choice(["rel", "abs"]), cooldown=random.randint(0, 5),
        min_lr=one_or_each(groups, lambda: random.choice([0, u(0, 1e-3)])),
        eps=random.choice([1e-8, u(0, 1e-3)]))


def scheduler_run(lib):
    groups = random.randint(1, 3)
    lrs = [random.choice([random.uniform(1e-4, 1.0), 0.1, 1]) for _ in range(groups)]
    kind = random.choice(KINDS)
    n = random.randint(50, 120)
    optim_kind = random.choice(["sgd", "adam"])

    def make():
        params = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
        if optim_kind == "sgd":
            return lib.optim.SGD(params, lr=0.1, momentum=0.9)
        return lib.optim.Adam(params, lr=0.1)

    opt = make()
    state = random.getstate()
    sched = make_scheduler(lib.optim.lr_scheduler, opt, groups, kind, n)
    plateau = kind == "ReduceLROnPlateau"
    epoch_arg = random.random() < 0.2 and kind not in ("SequentialLR", "ChainedScheduler")
    trace = [kind, sched.get_last_lr()]
    for i in range(n):
        opt.step()
        if plateau:
            sched.step(random.choice([1.0 / (i + 1), 1.0, random.random()]))
        elif epoch_arg and i % 7 == 3:
            sched.step(i + 1)
        else:
            sched.step()
        trace.append((sched.get_last_lr(),
                      [{k: v for k, v in g.items() if k != "params"}
                       for g in opt.param_groups]))
        if i == n // 2 and kind not in ("LambdaLR", "MultiplicativeLR", "SequentialLR",
                                        "ChainedScheduler"):
            # round trip: a new optimizer and scheduler loaded from the state dicts
            saved = sched.state_dict()
            opt2 = make()
            opt2.load_state_dict(opt.state_dict())
            after = random.getstate()
            random.setstate(state)
            sched = make_scheduler(lib.optim.lr_scheduler, opt2, groups, kind, n)
            random.setstate(after)
            sched.load_state_dict(saved)
            opt2.load_state_dict(opt.state_dict())
            opt = opt2
    return trace


@pytest.mark.parametrize("seed", range(45))
def test_scheduler_sweep(seed):
    assert_same(scheduler_run, seed)


# ------------------------------------------------------------------ DataLoader sweep


def loader_run(lib):
    data = lib.utils.data
    lib.manual_seed(random.randint(0, 999))
    n = random.randint(1, 30)
    generator = None
    if random.random() < 0.4:
        generator = lib.Generator().manual_seed(random.randint(0, 999))
    x = lib.arange(n * 3).reshape(n, 3)
    if random.random() < 0.5:
        x = lib.arange(n * 3).reshape(3, n).t()
    dataset = random.choice([data.TensorDataset(x, lib.arange(n) * 0.5), list(range(n)),
                             data.StackDataset(list(range(n)), [float(i) for i in range(n)])])
    kind = random.choice(["shuffle", "random", "replacement", "weighted", "weighted_norepl",
                          "subset", "batch_sampler", "sequential"])
    bs = random.choice([None, 1, 3, 4, 8])
    drop_last = bs is not None and random.random() < 0.4
    kwargs = {"batch_size": bs, "drop_last": drop_last}
    if kind == "shuffle":
        loader = data.DataLoader(dataset, shuffle=True, generator=generator, **kwargs)
    elif kind == "sequential":
        loader = data.DataLoader(dataset, generator=generator, **kwargs)
    elif kind == "batch_sampler":
        inner = random.choice([data.SequentialSampler(dataset),
                               data.RandomSampler(dataset, generator=generator)])
        loader = data.DataLoader(dataset, batch_sampler=data.BatchSampler(
            inner, random.randint(1, 6), random.random() < 0.5))
    else:
        if kind in ("random", "replacement"):
            sampler = data.RandomSampler(dataset, replacement=kind == "replacement",
                                         num_samples=random.choice([None,
                                                                    random.randint(1, 80)]),
                                         generator=generator)
        elif kind == "subset":
            sampler = data.SubsetRandomSampler(random.sample(range(n), random.randint(1, n)),
                                               generator=generator)
        else:
            weights = [random.random() + 0.01 for _ in range(n)]
            replacement = kind == "weighted"
            count = random.randint(1, 3 * n if replacement else n)
            sampler = data.WeightedRandomSampler(weights, count, replacement=replacement,
                                                 generator=generator)
        loader = data.DataLoader(dataset, sampler=sampler, **kwargs)
    out = [kind, len(loader)]
    for _ in range(random.randint(1, 2)):
        out.append(list(loader))
        out.append(lib.rand(2))
    if random.random() < 0.3:
        lengths = random.choice([[0.5, 0.5], [0.1, 0.2, 0.7], [1 / 3] * 3, [n]])
        out.append([s.indices for s in data.random_split(list(range(n)), lengths)])
    return out


@pytest.mark.parametrize("seed", range(60))
def test_loader_sweep(seed):
    assert_same(loader_run, seed)


# ------------------------------------------------------------------ collate sweep

Pair = collections.namedtuple("Pair", "a b")

LEAVES = {
    "int": lambda lib, r: r.randint(-5, 5),
    "float": lambda lib, r: r.uniform(-1, 1),
    "bool": lambda lib, r: r.random() < 0.5,
    "str": lambda lib, r: r.choice(["a", "bb"]),
    "bytes": lambda lib, r: b"x",
    "tensor": lambda lib, r: lib.tensor([r.uniform(-1, 1), 2.0]),
    "tensor_int32": lambda lib, r: lib.tensor([[r.randint(0, 9)]], dtype=lib.int32),
    "tensor_0d": lambda lib, r: lib.tensor(r.randint(0, 9)),
    "tensor_half": lambda lib, r: lib.tensor([r.uniform(-1, 1)], dtype=lib.float16),
    "np_float32": lambda lib, r: np.array([r.uniform(-1, 1)], dtype=np.float32),
    "np_int64": lambda lib, r: np.array([[r.randint(0, 9)] * 2], dtype=np.int64),
    "np_0d": lambda lib, r: np.array(r.uniform(0, 1), dtype=np.float32),
    "np_float64_scalar": lambda lib, r: np.float64(r.uniform(0, 1)),
    "np_int8_scalar": lambda lib, r: np.int8(r.randint(0, 9)),
    "np_bool_scalar": lambda lib, r: np.bool_(r.random() < 0.5),
}


def random_structure(r, depth=0):
    if depth > 2 or r.random() < 0.4:
        return ("leaf", r.choice(sorted(LEAVES)))
    kind = r.choice(["tuple", "list", "dict", "namedtuple"])
    if kind == "namedtuple":
        return (kind, [random_structure(r, depth + 1), random_structure(r, depth + 1)])
    return (kind, [random_structure(r, depth + 1) for _ in range(r.randint(1, 3))])


def build(lib, structure, r):
    kind, inner = structure
    if kind == "leaf":
        return LEAVES[inner](lib, r)
    items = [build(lib, s, r) for s in inner]
    if kind == "namedtuple":
        return Pair(*items)
    if kind == "dict":
        return {f"k{i}": item for i, item in enumerate(items)}
    return tuple(items) if kind == "tuple" else items


def collate_run(lib):
    r = random.Random(random.randint(0, 10**9))
    structure = random_structure(r)
    samples = [build(lib, structure, r) for _ in range(r.randint(1, 4))]
    if r.random() < 0.5:
        return lib.utils.data.default_collate(samples)
    return lib.utils.data.default_convert(samples[0])


def test_collate_sweep():
    for seed in range(300):
        expected = outcome(collate_run, torch, seed)
        assert outcome(collate_run, torchlet, seed) == expected, seed

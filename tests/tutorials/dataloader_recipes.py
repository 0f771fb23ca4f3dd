"""DataLoader recipes beyond the basics: batch_size=None (no automatic batching) with and
without a collate_fn, default_convert of NumPy-free Python data, a custom Sampler that
yields class-balanced index lists as a batch_sampler, a length-bucketing sampler for
variable-length text, an IterableDataset with get_worker_info() (None in the main
process) and its own shuffling buffer seeded from a Generator, DistributedSampler with
drop_last and padding, SubsetRandomSampler with a Generator, reproducible shuffles via
torch.Generator state, worker_init_fn/num_workers=0, len() of every loader, and
DataLoader's errors for conflicting arguments."""

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
)

torch.manual_seed(0)

xs = torch.arange(20.).view(10, 2)
ys = torch.tensor([0, 1, 0, 0, 1, 2, 2, 0, 1, 0])
ds = TensorDataset(xs, ys)

# -- no automatic batching -------------------------------------------------------------------
print([item for item in DataLoader(ds, batch_size=None)][:2])
print(next(iter(DataLoader(ds, batch_size=None, collate_fn=lambda s: s[0].sum()))))
print(default_convert([1, 2.5, (3, 4)]), default_convert({"a": [1, 2]}))
print(default_collate([(1, 2.0), (3, 4.0)]))


# -- a class-balanced batch sampler ------------------------------------------------------------
class BalancedBatchSampler(Sampler):
    """Each batch holds `per_class` random samples of every class."""

    def __init__(self, labels, per_class, n_batches, generator):
        self.by_class = [torch.nonzero(labels == c).flatten() for c in labels.unique()]
        self.per_class, self.n_batches, self.generator = per_class, n_batches, generator

    def __len__(self):
        return self.n_batches

    def __iter__(self):
        for _ in range(self.n_batches):
            batch = []
            for idx in self.by_class:
                pick = torch.randint(len(idx), (self.per_class,), generator=self.generator)
                batch.extend(idx[pick].tolist())
            yield batch


bbs = BalancedBatchSampler(ys, per_class=2, n_batches=3, generator=torch.Generator().manual_seed(1))
loader = DataLoader(ds, batch_sampler=bbs)
print(len(loader))
for xb, yb in loader:
    print(yb.tolist(), xb[:, 0].tolist())


# -- bucketing variable-length sentences by length -----------------------------------------------
class Sentences(Dataset):
    def __init__(self, gen):
        self.lengths = torch.randint(3, 12, (16,), generator=gen)
        self.data = [torch.randint(1, 50, (int(n),), generator=gen) for n in self.lengths]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        return self.data[i]


class BucketSampler(Sampler):
    def __init__(self, lengths, batch_size, generator):
        self.lengths, self.batch_size, self.generator = lengths, batch_size, generator

    def __iter__(self):
        order = torch.argsort(self.lengths, stable=True)
        batches = list(order.split(self.batch_size))
        for i in torch.randperm(len(batches), generator=self.generator).tolist():
            yield batches[i].tolist()

    def __len__(self):
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size


sentences = Sentences(torch.Generator().manual_seed(2))
print("lengths", sentences.lengths.tolist())


def pad(batch):
    return torch.nn.utils.rnn.pad_sequence(batch, batch_first=True, padding_value=0)


bucketed = DataLoader(sentences, batch_sampler=BucketSampler(
    sentences.lengths, 5, torch.Generator().manual_seed(3)), collate_fn=pad)
for batch in bucketed:
    print(tuple(batch.shape), (batch != 0).sum(1).tolist())
random_batches = DataLoader(sentences, batch_size=5, shuffle=True, collate_fn=pad,
                            generator=torch.Generator().manual_seed(3))
print("padding with buckets", sum((b == 0).sum().item() for b in bucketed),
      "without", sum((b == 0).sum().item() for b in random_batches))


# -- an IterableDataset with a shuffle buffer ----------------------------------------------------
class Stream(IterableDataset):
    def __init__(self, n, buffer_size, seed):
        self.n, self.buffer_size, self.seed = n, buffer_size, seed

    def __iter__(self):
        info = get_worker_info()
        gen = torch.Generator().manual_seed(self.seed)
        buffer = []
        for i in range(self.n):
            buffer.append(i if info is None else -i)
            if len(buffer) == self.buffer_size:
                yield buffer.pop(int(torch.randint(len(buffer), (1,), generator=gen)))
        while buffer:
            yield buffer.pop(int(torch.randint(len(buffer), (1,), generator=gen)))


print(list(Stream(10, 4, seed=5)))
stream_loader = DataLoader(Stream(10, 4, seed=5), batch_size=4,
                           worker_init_fn=lambda wid: print("never called", wid))
print([b.tolist() for b in stream_loader])
print(len(DataLoader(range(10), batch_size=4)), len(DataLoader(range(10), batch_size=4,
                                                              drop_last=True)))

# -- distributed sharding ------------------------------------------------------------------------
for drop_last in (False, True):
    shards = [list(DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False,
                                      drop_last=drop_last)) for r in range(3)]
    print("drop_last", drop_last, shards)
ds_sampler = DistributedSampler(range(10), num_replicas=2, rank=0, seed=7)
for epoch in range(2):
    ds_sampler.set_epoch(epoch)
    print("epoch", epoch, list(ds_sampler), len(ds_sampler))

# -- reproducible shuffles -------------------------------------------------------------------
g = torch.Generator().manual_seed(11)
state = g.get_state()
first = list(RandomSampler(range(8), generator=g))
g.set_state(state)
print(first, first == list(RandomSampler(range(8), generator=g)))
print(list(RandomSampler(range(8), replacement=True, num_samples=5,
                         generator=torch.Generator().manual_seed(4))))
print(list(SubsetRandomSampler([10, 20, 30, 40], generator=torch.Generator().manual_seed(6))))
print(list(BatchSampler(SequentialSampler(range(7)), batch_size=3, drop_last=False)))
torch.manual_seed(12)
a = [b[1].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True)]
torch.manual_seed(12)
b = [b[1].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True)]
print(a, a == b)

# -- argument errors ---------------------------------------------------------------------------
for kwargs in ({"batch_sampler": bbs, "batch_size": 2}, {"sampler": SequentialSampler(ds),
                                                         "shuffle": True},
               {"batch_sampler": bbs, "drop_last": True}, {"batch_size": 0}):
    try:
        DataLoader(ds, **kwargs)
        print("accepted", sorted(kwargs))
    except Exception as exc:
        print(type(exc).__name__, str(exc)[:70])
try:
    DataLoader(Stream(4, 2, 0), shuffle=True)
except Exception as exc:
    print(type(exc).__name__, str(exc)[:90])

"""A training pipeline with the pieces a real project uses around the model: a dataset of
dicts, StackDataset and ChainDataset, random_split with fractions and a seeded Generator,
Subset of a Subset, a DataLoader with a Generator-seeded shuffle, a BatchSampler fed by a
WeightedRandomSampler, a collate_fn that builds a padded batch and a mask, default_collate on
dicts, tuples and namedtuples, DistributedSampler shards; then training with validation,
early stopping on a patience counter with copy.deepcopy(state_dict()), a checkpoint dict
(model, optimizer, scheduler, epoch, best loss, RNG state) saved with torch.save into a
BytesIO, loaded back into fresh objects, and training resumed to the same numbers."""

import copy
import io
from collections import namedtuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    Dataset,
    DistributedSampler,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    random_split,
)

torch.manual_seed(0)


# -- a dataset of variable-length sequences, returned as dicts -----------------------------------
class Sequences(Dataset):
    def __init__(self, n, gen):
        self.lengths = torch.randint(2, 7, (n,), generator=gen)
        self.seqs = [torch.randn(int(L), 3, generator=gen) for L in self.lengths]
        # label: is the mean of the first feature positive?
        self.labels = torch.tensor([int(s[:, 0].mean() > 0) for s in self.seqs])

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        return {"x": self.seqs[i], "y": self.labels[i], "idx": i}


gen = torch.Generator().manual_seed(1)
full = Sequences(120, gen)
print(len(full), full.lengths[:10], full.labels.bincount())
print(full[3]["x"].shape, full[3]["y"], full[3]["idx"])


def pad_collate(batch):
    lengths = torch.tensor([b["x"].shape[0] for b in batch])
    x = torch.zeros(len(batch), int(lengths.max()), 3)
    for i, b in enumerate(batch):
        x[i, :lengths[i]] = b["x"]
    mask = torch.arange(x.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    return x, mask, torch.stack([b["y"] for b in batch]), [b["idx"] for b in batch]


# -- splits --------------------------------------------------------------------------------------
train, val, test = random_split(full, [0.7, 0.15, 0.15], generator=torch.Generator().manual_seed(2))
print(len(train), len(val), len(test), train.indices[:8], test.indices[:5])
small = Subset(train, [0, 2, 4, 6])
print(type(small).__name__, len(small), [small[i]["idx"] for i in range(4)])
print(random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(0))[0].indices)

# -- default_collate on nested structures --------------------------------------------------------
Point = namedtuple("Point", ["x", "y"])
print(default_collate([{"a": torch.tensor(1.0), "b": (1, 2.5)},
                       {"a": torch.tensor(2.0), "b": (3, 4.5)}]))
print(default_collate([Point(1, torch.ones(2)), Point(2, torch.zeros(2))]))
print(default_collate([[1, 2], [3, 4], [5, 6]]))
print(default_collate(["a", "b"]), default_collate([True, False]))

# -- StackDataset and ChainDataset ---------------------------------------------------------------
feats = TensorDataset(torch.arange(12.).view(6, 2))
targets = TensorDataset(torch.arange(6))
stacked = StackDataset(feats, targets)
print(len(stacked), stacked[2])
named = StackDataset(f=feats, t=targets)
print(named[4])


class Counter(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))


print(list(ChainDataset([Counter(0, 3), Counter(10, 12)])))
print(list(DataLoader(ChainDataset([Counter(0, 3), Counter(10, 15)]), batch_size=3)))

# -- samplers ------------------------------------------------------------------------------------
train_labels = full.labels[train.indices]
class_count = train_labels.bincount()
weights = (1.0 / class_count.double())[train_labels]
wsampler = WeightedRandomSampler(weights, num_samples=len(train), replacement=True,
                                 generator=torch.Generator().manual_seed(3))
drawn = torch.tensor(list(wsampler))
print(class_count, "balanced draw:", train_labels[drawn].bincount())
bs = BatchSampler(wsampler, batch_size=16, drop_last=True)
print(len(bs), [len(b) for b in bs][:3], next(iter(bs))[:6])
for rank in range(2):
    ds = DistributedSampler(range(10), num_replicas=2, rank=rank, shuffle=True, seed=4)
    ds.set_epoch(1)
    print("rank", rank, list(ds))

train_loader = DataLoader(train, batch_size=16, shuffle=True, collate_fn=pad_collate,
                          generator=torch.Generator().manual_seed(5))
val_loader = DataLoader(val, batch_size=32, collate_fn=pad_collate)
balanced_loader = DataLoader(train, batch_sampler=bs, collate_fn=pad_collate)
x, mask, y, idx = next(iter(train_loader))
print(x.shape, mask.sum(1), y, idx[:5])
print(len(train_loader), len(val_loader), len(balanced_loader))


# -- model: masked mean pooling + MLP ------------------------------------------------------------
class Pool(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Linear(3, 16)
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))

    def forward(self, x, mask):
        h = self.enc(x) * mask.unsqueeze(-1)
        h = h.sum(1) / mask.sum(1, keepdim=True)
        return self.head(h)


def evaluate(model, loader):
    model.eval()
    total, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, mask, y, _ in loader:
            out = model(x, mask)
            total += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)
    return total / n, correct / n


def run_epoch(model, opt, loader):
    model.train()
    for x, mask, y, _ in loader:
        opt.zero_grad()
        loss = F.cross_entropy(model(x, mask), y)
        loss.backward()
        opt.step()
    return loss.item()


torch.manual_seed(6)
model = Pool()
opt = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
best, best_state, patience, bad = float("inf"), None, 4, 0
buffer = None
for epoch in range(30):
    train_loss = run_epoch(model, opt, train_loader)
    sched.step()
    val_loss, val_acc = evaluate(model, val_loader)
    print(f"epoch {epoch:2d} train {train_loss:.4f} val {val_loss:.4f} acc {val_acc:.4f} "
          f"lr {sched.get_last_lr()[0]:.4f}")
    if val_loss < best - 1e-4:
        best, bad = val_loss, 0
        best_state = copy.deepcopy(model.state_dict())
    else:
        bad += 1
    if epoch == 5:
        buffer = io.BytesIO()
        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(), "best": best,
                    "rng": torch.get_rng_state(),
                    "loader_rng": train_loader.generator.get_state()}, buffer)
        resume_from = epoch
    if bad >= patience:
        print(f"early stop at epoch {epoch}, best val {best:.4f}")
        break

print(best_state is not model.state_dict(), list(best_state)[:2])
print(torch.equal(best_state["enc.weight"], model.enc.weight), "(best is an older copy)")
model.load_state_dict(best_state)
print("restored best:", tuple(round(v, 4) for v in evaluate(model, val_loader)),
      "test:", tuple(round(v, 4) for v in evaluate(model, DataLoader(test, batch_size=64,
                                                                    collate_fn=pad_collate))))

# -- resume from the checkpoint: same numbers as the uninterrupted run -------------------------
print("checkpoint bytes > 0:", buffer.getbuffer().nbytes > 0)
buffer.seek(0)
ckpt = torch.load(buffer, weights_only=False)
print(sorted(ckpt), ckpt["epoch"], round(ckpt["best"], 4))
print(ckpt["optimizer"]["param_groups"][0]["lr"], ckpt["scheduler"]["last_epoch"])
model2 = Pool()
opt2 = torch.optim.SGD(model2.parameters(), lr=0.2, momentum=0.9)
sched2 = torch.optim.lr_scheduler.StepLR(opt2, step_size=5, gamma=0.5)
model2.load_state_dict(ckpt["model"])
opt2.load_state_dict(ckpt["optimizer"])
sched2.load_state_dict(ckpt["scheduler"])
torch.set_rng_state(ckpt["rng"])
loader2 = DataLoader(train, batch_size=16, shuffle=True, collate_fn=pad_collate,
                     generator=torch.Generator())
loader2.generator.set_state(ckpt["loader_rng"])
for epoch in range(resume_from + 1, resume_from + 4):
    train_loss = run_epoch(model2, opt2, loader2)
    sched2.step()
    print(f"resumed epoch {epoch:2d} train {train_loss:.4f} val "
          f"{evaluate(model2, val_loader)[0]:.4f} lr {sched2.get_last_lr()[0]:.4f}")

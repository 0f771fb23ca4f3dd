"""Writing Custom Datasets, DataLoaders and Samplers, in the style of the data loading
tutorial and the torch.utils.data docs: a map-style Dataset with a transform, a collate_fn
that pads variable-length sequences, random_split, TensorDataset, ConcatDataset, Subset,
an IterableDataset, WeightedRandomSampler for class imbalance, SubsetRandomSampler for a
train/validation split, BatchSampler, drop_last, and a small training loop over the loader."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import (
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
    random_split,
)
from torch.utils.data.dataloader import default_collate

torch.manual_seed(0)


# -- a map-style dataset with a transform ------------------------------------------------------
class LandmarksDataset(Dataset):
    """Synthetic 'face landmarks': each sample a dict of an image and its landmarks."""

    def __init__(self, n, transform=None):
        self.images = torch.rand(n, 1, 8, 8)
        self.landmarks = torch.randn(n, 4, 2) * 3 + 4
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        sample = {"image": self.images[idx], "landmarks": self.landmarks[idx]}
        if self.transform:
            sample = self.transform(sample)
        return sample


class RandomCrop:
    def __init__(self, output_size):
        self.output_size = output_size

    def __call__(self, sample):
        image, landmarks = sample["image"], sample["landmarks"]
        h, w = image.shape[1:]
        top = torch.randint(0, h - self.output_size + 1, (1,)).item()
        left = torch.randint(0, w - self.output_size + 1, (1,)).item()
        image = image[:, top:top + self.output_size, left:left + self.output_size]
        landmarks = landmarks - torch.tensor([left, top])
        return {"image": image, "landmarks": landmarks}


class Normalize:
    def __call__(self, sample):
        image = sample["image"]
        return {"image": (image - image.mean()) / image.std(), "landmarks": sample["landmarks"]}


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, sample):
        for t in self.transforms:
            sample = t(sample)
        return sample


dataset = LandmarksDataset(10, transform=Compose([RandomCrop(6), Normalize()]))
print(len(dataset))
for i in range(3):
    sample = dataset[i]
    print(i, sample["image"].shape, sample["landmarks"].shape, sample["landmarks"][0])

loader = DataLoader(dataset, batch_size=4, shuffle=True, num_workers=0)
for i_batch, sample_batched in enumerate(loader):
    print(i_batch, sample_batched["image"].size(), sample_batched["landmarks"].size(),
          sample_batched["landmarks"][:, 0, 0])
print(len(loader))

# -- default_collate on various structures ----------------------------------------------------
print(default_collate([0, 1, 2, 3]))
print(default_collate([(0, "a"), (1, "b")]))
print(default_collate([{"A": 0, "B": 1.5}, {"A": 100, "B": 100.5}]))
print(default_collate([torch.tensor([1, 2]), torch.tensor([3, 4])]))
print(default_collate([[0, 1], [2, 3]]))


# -- variable-length sequences with a padding collate_fn ----------------------------------------
class SentenceDataset(Dataset):
    def __init__(self, n):
        self.lengths = torch.randint(2, 7, (n,))
        self.sentences = [torch.randint(1, 20, (int(length),)) for length in self.lengths]
        self.labels = torch.randint(0, 2, (n,))

    def __len__(self):
        return len(self.sentences)

    def __getitem__(self, i):
        return self.sentences[i], self.labels[i]


def pad_collate(batch):
    sequences, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in sequences])
    padded = nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=0)
    return padded, lengths, torch.stack(labels)


sentences = SentenceDataset(12)
for padded, lengths, labels in DataLoader(sentences, batch_size=5, collate_fn=pad_collate):
    print(padded, lengths, labels)

# -- random_split, Subset, ConcatDataset, TensorDataset ------------------------------------------
X = torch.randn(100, 3)
w_true = torch.tensor([2.0, -1.0, 0.5])
y = (X @ w_true > 0).long()
full = TensorDataset(X, y)
print(len(full), full[0])
train_set, val_set = random_split(full, [80, 20], generator=torch.Generator().manual_seed(42))
print(len(train_set), len(val_set), train_set.indices[:10], val_set.indices[:5])
parts = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
print([list(p) for p in parts])
sub = Subset(full, [0, 5, 7])
print(len(sub), sub[1][1], torch.equal(sub[2][0], X[7]))
both = ConcatDataset([sub, TensorDataset(torch.zeros(2, 3), torch.ones(2, dtype=torch.long))])
print(len(both), both.cumulative_sizes, both[4])

# -- samplers ------------------------------------------------------------------------------------
print(list(SequentialSampler(range(5))))
print(list(RandomSampler(range(8), generator=torch.Generator().manual_seed(3))))
print(list(RandomSampler(range(4), replacement=True, num_samples=6,
                         generator=torch.Generator().manual_seed(3))))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)))
print(list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)))

targets = torch.cat([torch.zeros(90, dtype=torch.long), torch.ones(10, dtype=torch.long)])
class_count = torch.bincount(targets)
weights = 1.0 / class_count.float()
samples_weight = weights[targets]
print(class_count, weights)
sampler = WeightedRandomSampler(samples_weight, num_samples=len(samples_weight), replacement=True)
drawn = torch.tensor(list(sampler))
print(drawn[:20], torch.bincount(targets[drawn]))
print(list(WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=False)))

indices = torch.randperm(len(full)).tolist()
split = 20
train_sampler = SubsetRandomSampler(indices[split:])
valid_sampler = SubsetRandomSampler(indices[:split])
train_loader = DataLoader(full, batch_size=16, sampler=train_sampler)
valid_loader = DataLoader(full, batch_size=16, sampler=valid_sampler)
print(len(train_loader), len(valid_loader), indices[:8])


# -- an iterable-style dataset ---------------------------------------------------------------------
class CountingStream(IterableDataset):
    def __init__(self, start, end):
        super().__init__()
        self.start, self.end = start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


print(list(DataLoader(CountingStream(3, 10), batch_size=3)))
print(list(DataLoader(CountingStream(3, 10), batch_size=None))[:4])
print(list(DataLoader(CountingStream(3, 10), batch_size=2, drop_last=True)))

# -- a small training loop over the loaders -----------------------------------------------------
model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for epoch in range(5):
    model.train()
    total, n = 0.0, 0
    for xb, yb in train_loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(xb)
        n += len(xb)
    model.eval()
    with torch.no_grad():
        correct = sum((model(xb).argmax(1) == yb).sum().item() for xb, yb in valid_loader)
    print(f"epoch {epoch} train loss {total / n:.4f} val acc {correct}/{split}")

# the loader's shuffling draws its seed from the global generator
g = torch.Generator()
g.manual_seed(7)
print([b.tolist() for b in DataLoader(range(7), batch_size=3, shuffle=True, generator=g)])
print([b.tolist() for b in DataLoader(range(7), batch_size=3, shuffle=True)])
print(torch.rand(2))

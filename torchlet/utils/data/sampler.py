"""Samplers: the order in which a DataLoader visits a dataset's indices.

The random ones consume random numbers exactly as torch's do (docs/torch-rng.md §10),
so the same seed gives the same order as PyTorch:

* ``RandomSampler`` without a generator draws a 63-bit seed from the global generator
  (an int64 ``random_()``) when iteration starts and shuffles with a private generator
  seeded with it; with a generator it shuffles with that one. Every full pass is one
  ``randperm(n)``; then one more ``randperm(n)`` is drawn and its first
  ``num_samples % n`` indices are yielded (none by default, but the draws happen).
* ``SubsetRandomSampler``: one ``randperm(len(indices))``.
* ``WeightedRandomSampler``: one ``multinomial`` of the float64 weights.

Every ``__iter__`` is a generator function, so nothing is drawn before the first index
is requested — that timing is part of the stream, and it is torch's.
"""

import itertools

import torchlet

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


class Sampler:
    """Base class: subclasses implement ``__iter__`` (indices, or lists of indices) and
    usually ``__len__``.

    There is deliberately no default ``__len__``: ``list(sampler)`` asks for the length
    first and falls back to plain iteration only if ``len`` raises TypeError.
    """

    def __iter__(self):
        raise NotImplementedError

    def __class_getitem__(cls, item):  # ``Sampler[int]`` in type hints
        return cls


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _fresh_private_generator():
    """A generator seeded from the global one: int64 ``random_()`` is next64 mod 2**63."""
    seed = int(torchlet.empty((), dtype=torchlet.int64).random_().item())
    generator = torchlet.Generator()
    generator.manual_seed(seed)
    return generator


class RandomSampler(Sampler):
    """A random order; ``replacement=True`` draws ``num_samples`` indices with repeats."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

        if not isinstance(self.replacement, bool):
            raise TypeError(
                "replacement should be a boolean value, but got "
                f"replacement={self.replacement}"
            )
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={self.num_samples}"
            )

    @property
    def num_samples(self):
        # read every time: the dataset may grow or shrink between epochs
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        generator = _fresh_private_generator() if self.generator is None else self.generator

        if self.replacement:
            # chunks of 32, then the rest: torch's draw sizes, hence its stream
            for _ in range(self.num_samples // 32):
                yield from torchlet.randint(
                    high=n, size=(32,), dtype=torchlet.int64, generator=generator
                ).tolist()
            yield from torchlet.randint(
                high=n, size=(self.num_samples % 32,), dtype=torchlet.int64,
                generator=generator,
            ).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from torchlet.randperm(n, generator=generator).tolist()
            # drawn even when num_samples % n == 0 (torch does so too)
            yield from torchlet.randperm(n, generator=generator).tolist()[
                :self.num_samples % n
            ]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (one ``randperm``)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in torchlet.randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError(
                "num_samples should be a positive integer value, but got "
                f"num_samples={num_samples}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"replacement should be a boolean value, but got replacement={replacement}"
            )
        weights_tensor = torchlet.as_tensor(weights, dtype=torchlet.float64)
        if len(weights_tensor.shape) != 1:
            raise ValueError(
                "weights should be a 1d sequence but given "
                f"weights have shape {tuple(weights_tensor.shape)}"
            )
        self.weights = weights_tensor
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        rand_tensor = torchlet.multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from iter(rand_tensor.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    >>> list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
    [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        sampler_iter = iter(self.sampler)
        if self.drop_last:
            # zip over batch_size references to one iterator takes batch_size items at a
            # time and stops at the first incomplete batch
            for batch in zip(*[sampler_iter] * self.batch_size, strict=False):
                yield [*batch]
        else:
            batch = [*itertools.islice(sampler_iter, self.batch_size)]
            while batch:
                yield batch
                batch = [*itertools.islice(sampler_iter, self.batch_size)]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size

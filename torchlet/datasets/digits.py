"""The handwritten-digits set that ships inside torchlet: 1,797 8x8 images, 10 classes.

Origin: the test part of the UCI "Optical Recognition of Handwritten Digits" data set
(E. Alpaydin, C. Kaynak, 1998;
https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits), licensed
under Creative Commons Attribution 4.0 (CC BY 4.0). Forms written by 43 people were scanned to 32x32
bitmaps, and each 4x4 block was reduced to its count of ink pixels, an integer 0..16: an
8x8 image. The file ``torchlet/data/digits.csv.gz`` is byte for byte the copy that
scikit-learn bundles (``sklearn/datasets/data/digits.csv.gz``): one row per image, 64 pixel
values then the label.

The split into a training and a test set is fixed once and for all: the permutation
``torch.randperm(1797, generator=torch.Generator().manual_seed(0))`` (``SPLIT_SEED``);
its first 1,437 indices are the training set (``TRAIN_SIZE``), the last 360 the test
set (``TEST_SIZE``, 20%). Pixels are divided by 16, so images lie in [0, 1].

No download, no network: the data is package data, read from the installed package.
"""

import functools
import gzip
import os
from importlib import resources

import numpy as np

import torchlet
from torchlet._tensor import wrap
from torchlet.datasets.vision import ImageDataset

__all__ = ["Digits", "SPLIT_SEED", "TEST_SIZE", "TRAIN_SIZE", "load_digits"]

FILENAME = "digits.csv.gz"
NUM_SAMPLES = 1797
SPLIT_SEED = 0
TEST_SIZE = 360
TRAIN_SIZE = NUM_SAMPLES - TEST_SIZE


@functools.lru_cache(maxsize=4)
def _read_csv(path):
    """(pixels uint8 (1797, 8, 8), labels int64 (1797,)) from the CSV file at ``path``."""
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, EOFError, ValueError) as err:
        raise RuntimeError(f"Digits: {path} is not a readable digits CSV file ({err})") from None
    if table.ndim != 2 or table.shape[1] != 65:
        raise RuntimeError(f"Digits: {path} should have 65 columns (64 pixels and the label), "
                           f"found shape {table.shape}")
    pixels, labels = table[:, :64], table[:, 64]
    if pixels.min() < 0 or pixels.max() > 16 or labels.min() < 0 or labels.max() > 9:
        raise RuntimeError(f"Digits: {path} has pixels outside 0..16 or labels outside 0..9")
    return pixels.astype(np.uint8).reshape(-1, 8, 8), labels


def _csv_path(root):
    if root is None:
        return resources.files("torchlet").joinpath("data", FILENAME)
    for name in (FILENAME, "digits.csv"):
        path = os.path.join(os.fspath(root), name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"Digits: {FILENAME} not found in {root} "
                            f"(leave root=None to use the copy inside torchlet)")


@functools.lru_cache(maxsize=1)
def _split():
    """The fixed permutation of the 1,797 samples: training indices first."""
    generator = torchlet.Generator().manual_seed(SPLIT_SEED)
    return torchlet.randperm(NUM_SAMPLES, generator=generator).numpy()


def load_digits(root=None, train=True):
    """The raw digits of one split as NumPy arrays: (pixels uint8 (n, 8, 8) in 0..16,
    labels int64 (n,)). ``root=None`` reads the copy inside torchlet."""
    path = _csv_path(root)
    if root is None:
        with resources.as_file(path) as real_path:
            pixels, labels = _read_csv(str(real_path))
    else:
        pixels, labels = _read_csv(path)
    if len(labels) != NUM_SAMPLES:
        raise RuntimeError(f"Digits: {path} has {len(labels)} rows, expected {NUM_SAMPLES}")
    order = _split()
    index = order[:TRAIN_SIZE] if train else order[TRAIN_SIZE:]
    return pixels[index], labels[index]


class Digits(ImageDataset):
    """The built-in 8x8 handwritten digits, as a torchvision-style dataset.

    ``Digits(train=True)`` holds the 1,437 training images, ``Digits(train=False)`` the 360
    test images; ``dataset[i]`` is ``(image, label)``: a float32 tensor of shape (1, 8, 8)
    in [0, 1] (the raw counts 0..16 divided by 16) and a Python int 0..9, each passed
    through ``transform`` / ``target_transform`` when given. ``data`` (uint8, (n, 8, 8),
    raw counts) and ``targets`` (int64, (n,)) hold the whole split; ``arrays()`` gives it
    scaled, as NumPy arrays. ``root``: a folder with another ``digits.csv.gz`` to read
    instead of the built-in copy (None: the built-in copy).
    """

    classes = [str(digit) for digit in range(10)]
    scale = 16

    def __init__(self, root=None, train=True, transform=None, target_transform=None):
        super().__init__(root, train, transform, target_transform)
        pixels, labels = load_digits(root, train)
        self.data = wrap(pixels)
        self.targets = wrap(labels)

    def __repr__(self):
        text = super().__repr__()
        if self.root is None:
            text = text.replace("Root location: None", "Root location: torchlet package data")
        return text

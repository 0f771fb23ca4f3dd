"""MNIST and Fashion-MNIST from the standard IDX files in a folder you give. No downloads.

Each set is four files, gzipped (``.gz``) or not::

    train-images-idx3-ubyte   train-labels-idx1-ubyte     60,000 training images
    t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte      10,000 test images

looked up in ``root`` itself, then in ``root/MNIST/raw`` (``root/FashionMNIST/raw``), where
torchvision keeps them, so a folder torchvision downloaded into works as it is.

The IDX format (http://yann.lecun.com/exdb/mnist/): a big-endian header, then the bytes.
The header is a magic number ``0x00 0x00 <type> <ndim>`` (type 0x08: unsigned bytes) and
``ndim`` sizes of 4 bytes each: ``0x00000803`` then N, 28, 28 for images,
``0x00000801`` then N for labels.
"""

import gzip
import os
import zlib

import numpy as np

from torchlet._tensor import wrap
from torchlet.datasets.vision import ImageDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801
_UBYTE = 0x08


def _read_bytes(path, name):
    """The content of ``path``, gunzipped when it ends in .gz."""
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise RuntimeError(f"{name}: {path} is a corrupt gzip file ({err})") from None


def read_idx(path, magic, name="IDX"):
    """The array stored in the IDX file at ``path`` (uint8, shape from its header), checking
    that its magic number is ``magic`` and that it holds exactly the bytes its header
    announces. Raises RuntimeError naming the file otherwise."""
    content = _read_bytes(path, name)
    expected_ndim = magic & 0xFF
    kind = "image" if magic == IMAGES_MAGIC else "label"
    header_size = 4 + 4 * expected_ndim
    if len(content) < header_size:
        raise RuntimeError(f"{name}: {path} is truncated: {len(content)} bytes, shorter than "
                           f"the {header_size}-byte header of an IDX {kind} file")
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        raise RuntimeError(f"{name}: {path} is not an IDX {kind} file: magic number "
                           f"0x{found:08x}, expected 0x{magic:08x}")
    shape = tuple(int.from_bytes(content[4 + 4 * i:8 + 4 * i], "big")
                  for i in range(expected_ndim))
    size = int(np.prod(shape))
    payload = len(content) - header_size
    if payload != size:
        problem = "truncated" if payload < size else "too long"
        raise RuntimeError(f"{name}: {path} is {problem}: its header announces "
                           f"{'x'.join(map(str, shape))} = {size} bytes of data, it has "
                           f"{payload}")
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


class MNIST(ImageDataset):
    """MNIST handwritten digits (28x28) read from the IDX files in ``root``.

    ``MNIST(root, train=True)`` holds the 60,000 training images, ``train=False`` the 10,000
    test images; ``dataset[i]`` is ``(image, label)``: a float32 tensor (1, 28, 28) in
    [0, 1] (pixels / 255, as torchvision's ``ToTensor()``) and a Python int, each passed
    through ``transform`` / ``target_transform`` when given. ``data`` (uint8, (n, 28, 28))
    and ``targets`` (int64, (n,)) hold the whole split; ``arrays()`` gives it scaled, as
    NumPy arrays. A missing file raises FileNotFoundError, a corrupt one RuntimeError,
    each in one line naming the file and where it was expected.
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    scale = 255

    def __init__(self, root, train=True, transform=None, target_transform=None):
        if root is None:
            raise TypeError(f"{type(self).__name__}() needs root: the folder holding the IDX "
                            f"files (torchlet never downloads)")
        root = os.path.expanduser(os.fspath(root))
        super().__init__(root, train, transform, target_transform)
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"), IMAGES_MAGIC,
                          type(self).__name__)
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"), LABELS_MAGIC,
                          type(self).__name__)
        if len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: {len(images)} images but {len(labels)} "
                               f"labels in {self._folder}")
        if len(labels) and labels.max() >= len(self.classes):
            raise RuntimeError(f"{type(self).__name__}: label {labels.max()} out of range "
                               f"0..{len(self.classes) - 1} in {self._folder}")
        self.data = wrap(images.copy())  # frombuffer gives a read-only array
        self.targets = wrap(labels.astype(np.int64))

    @property
    def raw_folder(self):
        """Where torchvision keeps the files: ``root/<ClassName>/raw``."""
        return os.path.join(self.root, type(self).__name__, "raw")

    def _find(self, stem):
        folders = [self.root, self.raw_folder]
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{type(self).__name__}: root folder {self.root} does not "
                                    f"exist (it should hold {stem}[.gz] and the other IDX files)")
        for folder in folders:
            for name in (stem, stem + ".gz"):
                path = os.path.join(folder, name)
                if os.path.isfile(path):
                    self._folder = folder
                    return path
        raise FileNotFoundError(f"{type(self).__name__}: {stem}[.gz] not found in {self.root} "
                                f"nor in {self.raw_folder} (torchlet never downloads: put the "
                                f"four IDX files in one of them)")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando's 28x28 clothing images), same files and layout as MNIST;
    torchvision's folder is ``root/FashionMNIST/raw``."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Shirt", "Sandal", "Sneaker", "Bag", "Ankle boot"]

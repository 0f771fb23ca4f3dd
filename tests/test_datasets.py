"""torchlet.datasets: the built-in digits, and MNIST-style IDX files the tests write themselves."""

import gzip
import hashlib
import os
import struct
from importlib import resources

import numpy as np
import pytest

import torchlet
from torchlet.datasets import MNIST, Digits, FashionMNIST
from torchlet.datasets import digits as digits_module
from torchlet.datasets.mnist import read_idx
from torchlet.datasets.transforms import Compose, Lambda, Normalize, ToTensor

# sha256 of sklearn/datasets/data/digits.csv.gz in scikit-learn's wheel (1.9.1)
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


# ============================================================================ built-in digits


def test_digits_file_is_sklearns_copy():
    data = resources.files("torchlet").joinpath("data", "digits.csv.gz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGITS_SHA256


def test_digits_sizes_and_items():
    train, test = Digits(), Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    assert digits_module.TRAIN_SIZE + digits_module.TEST_SIZE == 1797
    image, label = train[0]
    assert isinstance(image, torchlet.Tensor) and isinstance(label, int)
    assert image.shape == (1, 8, 8) and image.dtype == torchlet.float32
    assert 0 <= label <= 9
    for dataset in (train, test):
        images, labels = dataset.arrays()
        assert images.dtype == np.float32 and images.shape == (len(dataset), 1, 8, 8)
        assert images.min() == 0.0 and images.max() == 1.0
        assert labels.dtype == np.int64 and set(labels.tolist()) == set(range(10))
        assert dataset.data.dtype == torchlet.uint8 and dataset.targets.dtype == torchlet.int64


def test_digits_item_matches_arrays_and_raw_counts():
    dataset = Digits(train=False)
    images, labels = dataset.arrays()
    for i in (0, 17, 359):
        image, label = dataset[i]
        np.testing.assert_array_equal(image.numpy(), images[i])
        np.testing.assert_array_equal(image.numpy()[0] * 16, dataset.data.numpy()[i])
        assert label == labels[i]


def test_digits_split_is_fixed_and_disjoint():
    """The split is randperm(1797) under seed 0: the training set's rows come first."""
    with gzip.open(resources.files("torchlet").joinpath("data", "digits.csv.gz")) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    assert table.shape == (1797, 65)
    order = torchlet.randperm(1797, generator=torchlet.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(np.sort(order), np.arange(1797))
    train, test = Digits(), Digits(train=False)
    np.testing.assert_array_equal(train.data.numpy().reshape(-1, 64), table[order[:1437], :64])
    np.testing.assert_array_equal(test.targets.numpy(), table[order[1437:], 64])
    # the seed of the global generator plays no part
    torchlet.manual_seed(123)
    np.testing.assert_array_equal(Digits(train=False).targets.numpy(), test.targets.numpy())


def test_digits_split_matches_torch_randperm():
    torch = pytest.importorskip("torch")
    expected = torch.randperm(1797, generator=torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(digits_module._split(), expected)


def test_digits_transforms_and_repr():
    dataset = Digits(train=False, transform=Lambda(lambda x: x.flatten()),
                     target_transform=lambda y: y + 100)
    image, label = dataset[3]
    assert image.shape == (64,) and label >= 100
    text = repr(dataset)
    assert "Number of datapoints: 360" in text and "Split: Test" in text


def test_digits_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="digits.csv.gz not found in"):
        Digits(root=tmp_path)
    bad = tmp_path / "digits.csv.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(RuntimeError, match="digits.csv.gz"):
        Digits(root=tmp_path)


def test_digits_with_dataloader():
    loader = torchlet.utils.data.DataLoader(Digits(train=False), batch_size=64)
    images, labels = next(iter(loader))
    assert images.shape == (64, 1, 8, 8) and images.dtype == torchlet.float32
    assert labels.shape == (64,) and labels.dtype == torchlet.int64
    assert len(loader) == 6


# ============================================================================ IDX files


def idx_bytes(array, magic=None):
    """The IDX encoding of a uint8 array: magic 0x0000 08 <ndim>, big-endian sizes, bytes."""
    array = np.asarray(array, dtype=np.uint8)
    magic = (0x0800 | array.ndim) if magic is None else magic
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.tobytes()


def write_mnist(folder, n_train=12, n_test=5, compress=False, seed=0, size=28):
    """Write the four IDX files of a tiny MNIST into ``folder``; return the arrays."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        arrays[prefix] = (images, labels)
        for stem, array in ((f"{prefix}-images-idx3-ubyte", images),
                            (f"{prefix}-labels-idx1-ubyte", labels)):
            data = idx_bytes(array)
            path = os.path.join(folder, stem + (".gz" if compress else ""))
            with (gzip.open(path, "wb") if compress else open(path, "wb")) as f:
                f.write(data)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("kind", [MNIST, FashionMNIST])
def test_mnist_reads_idx(tmp_path, compress, kind):
    arrays = write_mnist(tmp_path, compress=compress)
    for train, prefix in ((True, "train"), (False, "t10k")):
        dataset = kind(tmp_path, train=train)
        images, labels = arrays[prefix]
        assert len(dataset) == len(labels)
        np.testing.assert_array_equal(dataset.data.numpy(), images)
        np.testing.assert_array_equal(dataset.targets.numpy(), labels)
        assert dataset.data.dtype == torchlet.uint8 and dataset.targets.dtype == torchlet.int64
        image, label = dataset[2]
        assert image.shape == (1, 28, 28) and image.dtype == torchlet.float32
        assert isinstance(label, int) and label == labels[2]
        np.testing.assert_array_equal(image.numpy()[0], images[2].astype(np.float32) / 255)
        stacked, targets = dataset.arrays()
        assert stacked.shape == (len(labels), 1, 28, 28) and stacked.dtype == np.float32
        assert 0 <= stacked.min() and stacked.max() <= 1
        np.testing.assert_array_equal(stacked[2], image.numpy())
        np.testing.assert_array_equal(targets, labels)


def test_mnist_scaling_matches_torch_to_tensor():
    """dataset[i] equals torchvision's ToTensor(): x.float().div(255), bit for bit."""
    torch = pytest.importorskip("torch")
    pixels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ours = (pixels.astype(np.float32)[None] / np.float32(255))
    theirs = torch.from_numpy(pixels).unsqueeze(0).float().div(255).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_mnist_torchvision_layout(tmp_path):
    arrays = write_mnist(tmp_path / "MNIST" / "raw", compress=True)
    dataset = MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(dataset.targets.numpy(), arrays["t10k"][1])
    arrays = write_mnist(tmp_path / "FashionMNIST" / "raw", seed=1)
    dataset = FashionMNIST(tmp_path)
    np.testing.assert_array_equal(dataset.data.numpy(), arrays["train"][0])
    assert dataset.classes[9] == "Ankle boot"
    with pytest.raises(FileNotFoundError):  # MNIST's files are not Fashion-MNIST's
        FashionMNIST(tmp_path / "MNIST")


def test_mnist_transforms(tmp_path):
    write_mnist(tmp_path)
    transform = Compose([Normalize((0.5,), (0.25,)), Lambda(lambda x: x.flatten())])
    dataset = MNIST(tmp_path, transform=transform, target_transform=str)
    image, label = dataset[0]
    raw = dataset.data.numpy()[0].astype(np.float32) / 255
    assert image.shape == (784,) and isinstance(label, str)
    np.testing.assert_allclose(image.numpy(), ((raw - 0.5) / 0.25).ravel(), rtol=1e-6)
    assert "Normalize(mean=[0.5], std=[0.25])" in repr(dataset)


def test_to_tensor():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    tensor = ToTensor()(image)
    assert tensor.shape == (1, 3, 4) and tensor.dtype == torchlet.float32
    np.testing.assert_array_equal(tensor.numpy()[0], image.astype(np.float32) / 255)
    rgb = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(ToTensor()(rgb).numpy(),
                                  rgb.transpose(2, 0, 1).astype(np.float32) / 255)
    x = torchlet.rand(1, 8, 8)
    assert ToTensor()(x) is x  # the data sets' images are tensors already
    with pytest.raises(TypeError, match="image should be"):
        ToTensor()([1, 2, 3])
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(
        tensor.numpy(), torch.from_numpy(image).unsqueeze(0).float().div(255).numpy())


def one_line(err):
    message = str(err.value)
    assert "\n" not in message
    return message


def test_mnist_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        MNIST(tmp_path / "nowhere")
    assert "nowhere" in one_line(err) and "does not exist" in one_line(err)
    with pytest.raises(FileNotFoundError) as err:
        MNIST(tmp_path)
    message = one_line(err)
    assert "train-images-idx3-ubyte[.gz]" in message
    assert str(tmp_path) in message and os.path.join("MNIST", "raw") in message
    write_mnist(tmp_path)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte")
    MNIST(tmp_path)  # the training files are all there
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        MNIST(tmp_path, train=False)
    with pytest.raises(TypeError, match="root"):
        MNIST(None)


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_corrupt_files(tmp_path, compress):
    write_mnist(tmp_path, compress=compress)
    suffix = ".gz" if compress else ""
    images_path = tmp_path / ("train-images-idx3-ubyte" + suffix)
    labels_path = tmp_path / ("train-labels-idx1-ubyte" + suffix)

    def rewrite(path, data):
        with (gzip.open(path, "wb") if compress else open(path, "wb")) as f:
            f.write(data)

    def raw(path):
        with (gzip.open(path, "rb") if compress else open(path, "rb")) as f:
            return f.read()

    good_images, good_labels = raw(images_path), raw(labels_path)

    rewrite(images_path, good_images[:-100])  # truncated pixels
    with pytest.raises(RuntimeError) as err:
        MNIST(tmp_path)
    message = one_line(err)
    assert str(images_path) in message and "truncated" in message and "12x28x28" in message

    rewrite(images_path, good_images[:10])  # truncated header
    with pytest.raises(RuntimeError, match="truncated"):
        MNIST(tmp_path)

    rewrite(images_path, good_images + b"\x00")  # trailing bytes
    with pytest.raises(RuntimeError, match="too long"):
        MNIST(tmp_path)

    rewrite(images_path, good_labels)  # a label file where the images belong
    with pytest.raises(RuntimeError) as err:
        MNIST(tmp_path)
    assert "magic number 0x00000801, expected 0x00000803" in one_line(err)

    rewrite(images_path, good_images)
    rewrite(labels_path, b"\x12\x34\x56\x78" + good_labels[4:])  # bad magic
    with pytest.raises(RuntimeError, match=r"not an IDX label file: magic number 0x12345678"):
        MNIST(tmp_path)

    rewrite(labels_path, idx_bytes(np.arange(11)))  # 11 labels for 12 images
    with pytest.raises(RuntimeError, match="12 images but 11 labels"):
        MNIST(tmp_path)

    rewrite(labels_path, idx_bytes(np.full(12, 10)))  # label out of range
    with pytest.raises(RuntimeError, match="label 10 out of range"):
        MNIST(tmp_path)

    rewrite(labels_path, good_labels)
    assert len(MNIST(tmp_path)) == 12


def test_mnist_bad_gzip(tmp_path):
    write_mnist(tmp_path, compress=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])  # a cut-off gzip stream
    with pytest.raises(RuntimeError) as err:
        MNIST(tmp_path)
    assert "corrupt gzip" in one_line(err) and str(path) in one_line(err)
    path.write_bytes(b"plain bytes, no gzip header")
    with pytest.raises(RuntimeError, match="corrupt gzip"):
        MNIST(tmp_path)


def test_plain_file_preferred_over_gz(tmp_path):
    """With both present, the uncompressed file is read (the first name looked up)."""
    write_mnist(tmp_path, compress=True, seed=1)
    arrays = write_mnist(tmp_path, compress=False, seed=2)
    np.testing.assert_array_equal(MNIST(tmp_path).targets.numpy(), arrays["train"][1])


def test_read_idx_other_sizes(tmp_path):
    path = tmp_path / "images"
    array = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    path.write_bytes(idx_bytes(array))
    np.testing.assert_array_equal(read_idx(str(path), 0x803), array)
    empty = tmp_path / "empty"
    empty.write_bytes(idx_bytes(np.zeros((0, 28, 28))))
    assert read_idx(str(empty), 0x803).shape == (0, 28, 28)


def test_no_network_code():
    """No download, ever: the data set modules do not touch the network."""
    folder = os.path.dirname(digits_module.__file__)
    for name in os.listdir(folder):
        if name.endswith(".py"):
            with open(os.path.join(folder, name)) as f:
                source = f.read()
            for word in ("urllib", "http.client", "requests", "socket"):
                assert f"import {word}" not in source and f"from {word}" not in source

"""torchlet.datasets: image data sets in the style of torchvision.datasets, without downloads.

* ``Digits``: 1,797 8x8 handwritten digits shipped inside torchlet (UCI, CC BY 4.0), split
  once and for all into 1,437 training and 360 test images.
* ``MNIST``, ``FashionMNIST``: 28x28 images read from the standard IDX files (gzipped or
  not) in a folder you give (``root`` or torchvision's ``root/MNIST/raw``).

Each ``dataset[i]`` is ``(image, label)``: a float32 tensor (1, H, W) in [0, 1] and an int.
"""

from torchlet.datasets import transforms
from torchlet.datasets.digits import Digits
from torchlet.datasets.mnist import MNIST, FashionMNIST
from torchlet.datasets.vision import ImageDataset

__all__ = ["Digits", "FashionMNIST", "ImageDataset", "MNIST", "transforms"]

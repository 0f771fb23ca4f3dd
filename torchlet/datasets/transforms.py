"""A few transforms in the spirit of torchvision.transforms.

The data sets already hand out float32 tensors (1, H, W) in [0, 1], what torchvision's
``ToTensor()`` makes of an image, so ``ToTensor`` passes tensors through unchanged (a
torchvision script that asks for it keeps working) and converts NumPy images::

    transform = Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])
    MNIST("data", transform=transform)
"""

import numpy as np

import torchlet
from torchlet._tensor import Tensor, wrap

__all__ = ["Compose", "Lambda", "Normalize", "ToTensor"]


class Compose:
    """Apply each transform in turn."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for transform in self.transforms:
            x = transform(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """A NumPy image (H, W) or (H, W, C) -> float32 tensor (C, H, W), uint8 values divided
    by 255; a tensor is returned as it is."""

    def __call__(self, image):
        if isinstance(image, Tensor):
            return image
        if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
            raise TypeError(f"image should be a tensor or a 2-D/3-D ndarray. Got "
                            f"{type(image).__name__}")
        array = image[:, :, None] if image.ndim == 2 else image
        array = np.ascontiguousarray(array.transpose(2, 0, 1))
        if array.dtype == np.uint8:
            return wrap(array.astype(np.float32) / np.float32(255))
        return wrap(array)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Normalize:
    """``(image - mean[c]) / std[c]`` for each channel c of a (C, H, W) image."""

    def __init__(self, mean, std):
        self.mean = tuple(mean)
        self.std = tuple(std)
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to "
                             f"division by zero: {self.std}")

    def __call__(self, image):
        mean = torchlet.tensor(self.mean, dtype=image.dtype).view(-1, 1, 1)
        std = torchlet.tensor(self.std, dtype=image.dtype).view(-1, 1, 1)
        return (image - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={list(self.mean)}, std={list(self.std)})"


class Lambda:
    """Any function as a transform."""

    def __init__(self, function):
        self.function = function

    def __call__(self, x):
        return self.function(x)

    def __repr__(self):
        return f"{type(self).__name__}()"

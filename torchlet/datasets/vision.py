"""What the image data sets share: ``dataset[i] -> (image, label)`` with optional transforms."""

import numpy as np

from torchlet._tensor import wrap

__all__ = ["ImageDataset"]


class ImageDataset:
    """A torchvision-style data set of grayscale images held in memory.

    Subclasses set ``data`` (uint8 tensor (n, H, W), the raw pixels), ``targets`` (int64
    tensor (n,)) and ``scale`` (the largest raw pixel value). ``dataset[i]`` is
    ``(image, label)``: ``image`` a float32 tensor (1, H, W) equal to ``raw / scale``, so in
    [0, 1], and ``label`` a Python int, each passed through ``transform`` /
    ``target_transform`` when given (as torchvision's ``ToTensor()`` would hand them over).
    """

    classes: list[str] = []
    scale = 255

    def __init__(self, root, train, transform, target_transform):
        self.root = root
        self.train = train
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index):
        pixels = self.data._data[index]
        # float32 / float32: the same IEEE division as torchvision's ToTensor (x.float() / 255)
        image = wrap(pixels.astype(np.float32)[None] / np.float32(self.scale))
        target = int(self.targets._data[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.targets)

    def arrays(self):
        """The whole split as NumPy arrays, what ``dataset[i]`` gives stacked but without
        the transforms: (images float32 (n, 1, H, W) in [0, 1], labels int64 (n,))."""
        images = self.data._data.astype(np.float32)[:, None] / np.float32(self.scale)
        return images, self.targets._data.copy()

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}",
                 f"    Number of datapoints: {len(self)}",
                 f"    Split: {'Train' if self.train else 'Test'}",
                 f"    Root location: {self.root}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)

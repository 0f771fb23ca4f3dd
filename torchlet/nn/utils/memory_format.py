"""Convert the weights of convolutions to another memory format, as torch.nn.utils.

Only the convolution weights change layout (e.g. to channels_last); the values and the
meaning of each dimension stay the same. Other modules are left alone, unlike
``module.to(memory_format=...)`` which converts every 4-d (or 5-d) tensor.
"""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert_weight_memory_format(module, conv_types, memory_format):
    """Recursively give ``module.weight`` of every ``conv_types`` module ``memory_format``."""
    if isinstance(module, conv_types):
        weight_data = module.weight.detach().clone(memory_format=memory_format)
        module.weight.data = weight_data.resize_(weight_data.size(),
                                                 memory_format=memory_format)
    for child in module.children():
        _convert_weight_memory_format(child, conv_types, memory_format)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv2d`` / ``ConvTranspose2d`` in ``module`` (itself
    included) ``memory_format``, e.g. ``torch.channels_last``; returns ``module``."""
    from torchlet.nn.modules.conv import Conv2d, ConvTranspose2d

    return _convert_weight_memory_format(module, (Conv2d, ConvTranspose2d), memory_format)


def convert_conv3d_weight_memory_format(module, memory_format):
    """Give the weight of every ``Conv3d`` / ``ConvTranspose3d`` in ``module`` (itself
    included) ``memory_format``, e.g. ``torch.channels_last_3d``; returns ``module``."""
    from torchlet.nn.modules.conv import Conv3d, ConvTranspose3d

    return _convert_weight_memory_format(module, (Conv3d, ConvTranspose3d), memory_format)

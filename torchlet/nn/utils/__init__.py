"""torchlet.nn.utils: gradient clipping, parameter/vector conversion, packed sequences
(rnn), parametrizations, weight/spectral normalization, functional_call (stateless),
conv/linear + batch-norm fusion, skip_init, conv weight memory formats."""

from torchlet.nn.utils import memory_format, parametrizations, parametrize, rnn, stateless
from torchlet.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from torchlet.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from torchlet.nn.utils.fusion import (
    fuse_conv_bn_eval,
    fuse_conv_bn_weights,
    fuse_linear_bn_eval,
    fuse_linear_bn_weights,
)
from torchlet.nn.utils.init import skip_init
from torchlet.nn.utils.memory_format import (
    convert_conv2d_weight_memory_format,
    convert_conv3d_weight_memory_format,
)
from torchlet.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from torchlet.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format",
    "get_total_norm", "parameters_to_vector", "vector_to_parameters",
    "fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
    "fuse_linear_bn_weights", "remove_spectral_norm", "remove_weight_norm", "skip_init",
    "spectral_norm", "weight_norm", "parametrizations", "parametrize", "rnn", "stateless",
]

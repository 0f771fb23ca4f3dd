"""torchlet.nn.utils: gradient clipping and parameter/vector conversion."""

from torchlet.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from torchlet.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
    "get_total_norm", "parameters_to_vector", "vector_to_parameters",
]
from torchlet.nn.utils import rnn  # noqa: E402, F401 - packed sequences (nn.utils.rnn)

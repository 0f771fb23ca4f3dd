"""torch.nn.grad (also ``torch.nn.functional.grad``): the gradients of a convolution with
respect to its input or its weight, given the output's gradient.

``convNd_input(input_size, weight, grad_output, ...)`` is what backpropagation through
``F.convNd(input, weight, ...)`` gives ``input`` (a transposed convolution of
``grad_output``); ``convNd_weight(input, weight_size, grad_output, ...)`` what it gives
``weight``. torch computes them with ``aten.convolution_backward``; here the convolution is
run on a stand-in of the given size and differentiated, which gives the same numbers
(torchlet's convolution backward), and a graph when ``weight``/``input`` or
``grad_output`` requires grad (double backward).
"""

from __future__ import annotations

from torchlet._ops.creation import zeros
from torchlet.autograd import grad as _autograd_grad
from torchlet.autograd.grad_mode import enable_grad, is_grad_enabled

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _conv(dims: int):
    from torchlet.nn import functional as F

    return {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[dims]


def _input_grad(dims, input_size, weight, grad_output, stride, padding, dilation, groups):
    create_graph = is_grad_enabled() and (weight.requires_grad or grad_output.requires_grad)
    with enable_grad():
        stand_in = zeros(tuple(input_size), dtype=grad_output.dtype, requires_grad=True)
        out = _conv(dims)(stand_in, weight, None, stride, padding, dilation, groups)
    return _autograd_grad(out, stand_in, grad_output, create_graph=create_graph)[0]


def _weight_grad(dims, input, weight_size, grad_output, stride, padding, dilation, groups):  # noqa: A002
    create_graph = is_grad_enabled() and (input.requires_grad or grad_output.requires_grad)
    with enable_grad():
        stand_in = zeros(tuple(weight_size), dtype=grad_output.dtype, requires_grad=True)
        out = _conv(dims)(input, stand_in, None, stride, padding, dilation, groups)
    return _autograd_grad(out, stand_in, grad_output, create_graph=create_graph)[0]


def conv1d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv1d with respect to its input, of shape ``input_size``."""
    return _input_grad(1, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,  # noqa: A002
                  groups=1):
    """The gradient of conv1d with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(1, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv2d with respect to its input, of shape ``input_size``."""
    return _input_grad(2, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,  # noqa: A002
                  groups=1):
    """The gradient of conv2d with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(2, input, weight_size, grad_output, stride, padding, dilation, groups)


def conv3d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """The gradient of conv3d with respect to its input, of shape ``input_size``."""
    return _input_grad(3, input_size, weight, grad_output, stride, padding, dilation, groups)


def conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,  # noqa: A002
                  groups=1):
    """The gradient of conv3d with respect to its weight, of shape ``weight_size``."""
    return _weight_grad(3, input, weight_size, grad_output, stride, padding, dilation, groups)

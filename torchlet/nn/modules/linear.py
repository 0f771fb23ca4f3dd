"""Identity, Linear, Bilinear and LazyLinear.

Initialisation draws exactly what torch's draws, in the same order (weight first, every
element in row-major order, then the bias), so after the same ``manual_seed`` the
parameters are bit for bit torch's.
"""

from __future__ import annotations

import math

from torchlet._ops.creation import empty
from torchlet.autograd.grad_mode import no_grad
from torchlet.nn import functional as F
from torchlet.nn import init
from torchlet.nn.modules.lazy import LazyModuleMixin
from torchlet.nn.modules.module import Module
from torchlet.nn.parameter import Parameter, UninitializedParameter

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]


class Identity(Module):
    """Returns its input unchanged (a placeholder); accepts and ignores any arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):  # noqa: A002 - torch's argument name
        return input


class Linear(Module):
    """y = x W^T + b: ``Linear(in_features, out_features, bias=True, device=None,
    dtype=None)``; weight (out_features, in_features), bias (out_features,).

    Initialised as torch: weight ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in),
    1/sqrt(in)) up to rounding, then bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # kaiming_uniform_ with a=sqrt(5) gives bound = 1/sqrt(fan_in) up to rounding; the
        # exact double arithmetic matters for bit-identical weights (torch-rng.md §9)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):  # noqa: A002
        # self.weight finds the parameter through Module.__getattr__ only after the usual
        # lookup has failed (an AttributeError raised and caught: 0.5 us of each training
        # step's layer); a plain Linear's parameters are read where it would find them. A
        # subclass (a parametrization) or a deleted parameter takes the attributes.
        parameters = self._parameters
        if type(self) is Linear and "weight" in parameters and "bias" in parameters:
            return F.linear(input, parameters["weight"], parameters["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under another name (torch uses it for MultiheadAttention's out_proj)."""


class Bilinear(Module):
    """y = x1^T W x2 + b for each output feature: ``Bilinear(in1_features, in2_features,
    out_features, bias=True)``; weight (out, in1, in2), bias (out,), both drawn from
    U(-1/sqrt(in1), 1/sqrt(in1)), weight first."""

    __constants__ = ["in1_features", "in2_features", "out_features"]

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features),
                                      device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})"
            )
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is taken from the first input's last dimension;
    after that first call it is an ordinary ``Linear`` (and initialised like one)."""

    cls_to_become = Linear
    # placeholders until the first call (then Parameters, and the module a Linear)
    weight: UninitializedParameter
    bias: UninitializedParameter

    def __init__(self, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]

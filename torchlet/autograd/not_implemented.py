"""The node torch records for an operation that has no derivative (derivatives.yaml has
no formula, or marks it not_implemented): its autograd fallback links the outputs to the
inputs that require grad, and a backward through it raises. Its type is torch's
``NotImplemented`` node (``grad_fn.name()`` is 'torch::autograd::NotImplemented')."""

from __future__ import annotations

from torchlet.autograd.function import Primitive


class NotImplementedNode(Primitive):
    """``NotImplementedNode.apply(*inputs, results=..., op=...)``: ``results`` (an array or
    a tuple of arrays) computed beforehand; ``inputs``, the tensors that require grad,
    give the node its edges only; ``op``, the ATen name its error names."""

    node_name = "torch::autograd::NotImplemented"

    @staticmethod
    def forward(ctx, *arrays, results, op):
        ctx.op = op
        return results

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError(f"derivative for aten::{ctx.op} is not implemented")

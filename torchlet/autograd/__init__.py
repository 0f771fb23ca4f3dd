"""torchlet.autograd: reverse-mode automatic differentiation.

``backward`` accumulates gradients into the ``.grad`` of leaves; ``grad`` returns them
instead. Both check their arguments the way torch does and hand the work to the engine.
"""

from __future__ import annotations

import warnings

import numpy as np

from torchlet._dtype import type_name
from torchlet.autograd import _hooks, engine, functional, graph
from torchlet.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from torchlet.autograd.function import (
    Function,
    FunctionCtx,
    grad_accumulator,
    once_differentiable,
)
from torchlet.autograd.grad_mode import (
    GRAD_STATE,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from torchlet.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "Variable", "backward", "detect_anomaly",
    "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck", "graph", "inference_mode",
    "is_grad_enabled", "no_grad", "once_differentiable", "set_detect_anomaly",
    "set_grad_enabled",
]


_CREATE_GRAPH_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the "
    "parameter and its gradient which can cause a memory leak. We recommend using "
    "autograd.grad when creating the graph to avoid this. If you have to use this function, "
    "make sure to reset the .grad fields of your parameters to None after use to break the "
    "cycle and avoid the leak."
)


def _as_tuple(x):
    if x is None:
        return None
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _implicit_grad(out, i: int):
    """The gradient ``backward()`` starts from when none is given: a one, scalars only."""
    if out._grad_fn is None and not out._requires_grad:
        raise RuntimeError(
            f"element {i} of tensors does not require grad and does not have a grad_fn"
        )
    data = out._data
    if data.size != 1:
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    if data.dtype.kind != "f":
        raise RuntimeError(
            "grad can be implicitly created only for real scalar outputs but got "
            f"{out.dtype}"
        )
    # np.array is 4x faster than np.ones, and a 0-d loss is the usual root
    return wrap(np.array(1, data.dtype) if data.ndim == 0 else np.ones(data.shape, data.dtype))


def _make_grads(outputs, grads):
    """The starting gradients: given ones (shape-checked), or ones for scalar outputs."""
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        if g is None:
            g = _implicit_grad(out, i)
        else:
            if not isinstance(g, Tensor):
                g = wrap(np.asarray(g, dtype=out._data.dtype))
            if g._data.shape != out._data.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{Size(g._data.shape)} and output[{i}] has a shape of "
                    f"{Size(out._data.shape)}."
                )
            if not out.requires_grad:
                raise RuntimeError(
                    f"element {i} of tensors does not require grad and does not have a grad_fn"
                )
        result.append(g)
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``')."""
    if type(tensors) is Tensor and grad_tensors is None and inputs is None \
            and not create_graph:  # loss.backward(), the usual call: nothing else to check
        engine.run_backward((tensors,), (_implicit_grad(tensors, 0),), bool(retain_graph),
                            False)
        return
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(
            f"got {len(grads)} tensors and {len(outputs)} gradients"
        )
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _make_grads(outputs, grads)
    targets = _as_tuple(inputs)
    if targets is not None and len(targets) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    if targets is None:
        engine.run_backward(outputs, root_grads, retain_graph, create_graph)
        if create_graph:  # (torch's engine warns as it returns, after the hooks have run)
            warnings.warn(_CREATE_GRAPH_WARNING, UserWarning, stacklevel=3)
        return
    for t in targets:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = tuple(dict.fromkeys(targets))  # an input given twice accumulates once
    for t in targets:
        if not t.is_leaf:  # as torch: a non-leaf input gets its .grad through retain_grad
            t.retain_grad()
    captured = engine.run_backward(outputs, root_grads, retain_graph, create_graph, targets)
    for t, g in zip(targets, captured):
        if g is None or not t.is_leaf:
            continue
        node = grad_accumulator(t)
        grad_mode, GRAD_STATE.enabled = GRAD_STATE.enabled, create_graph
        try:
            node._accumulate(t, g)  # as the engine would have
        finally:
            GRAD_STATE.enabled = grad_mode
        if node._hooks is not None:
            node._run_post_accumulate_hooks(t)
            if node._hooks.post:
                _hooks.call_post_hooks(node._hooks, (), (g,))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """Return d(outputs)/d(inputs) (a tuple, one per input) without touching ``.grad``."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one grad_output per output: got {len(grad_outputs)} and "
            f"{len(outputs)}"
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    root_grads = _make_grads(outputs, grad_outputs)
    captured = engine.run_backward(outputs, root_grads, retain_graph, create_graph, inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = wrap(np.zeros_like(t._data))
        result.append(g)
    return tuple(result)


class _VariableMeta(type):
    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    """The legacy wrapper: ``Variable(t, requires_grad=...)`` is a new leaf tensor sharing
    ``t``'s values (as ``t.detach()``), and every tensor is an instance of Variable."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` "
                "instead.", UserWarning, stacklevel=2,
            )
        if data is None:
            from torchlet._dtype import get_default_dtype

            data = wrap(np.empty(0, get_default_dtype().np))
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Variable data has to be a tensor, but got {type_name(data)}"
            )
        leaf = data.detach()
        if requires_grad:
            if leaf._data.dtype.kind != "f":
                raise RuntimeError(
                    "Only Tensors of floating point and complex dtype can require gradients"
                )
            leaf._requires_grad = True
        return leaf


# The Tensor class builds on this package, so it is imported last.
from torchlet._size import Size  # noqa: E402
from torchlet._tensor import Tensor, wrap  # noqa: E402

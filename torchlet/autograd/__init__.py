"""torchlet.autograd: reverse-mode automatic differentiation.

``backward`` accumulates gradients into the ``.grad`` of leaves; ``grad`` returns them
instead. Both check their arguments the way torch does and hand the work to the engine.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from torchlet._dtype import type_name
from torchlet.autograd import _hooks, engine, functional, graph
from torchlet.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from torchlet.autograd.function import (
    AccumulateGrad,
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
    return (x,) if isinstance(x, (Tensor, graph.GradientEdge)) else tuple(x)


def _inputs_tuple(inputs, caller: str):
    """torch's reading of ``inputs``: a tensor or GradientEdge, a dict (its values) or
    any other iterable; another kind of Mapping is refused."""
    if isinstance(inputs, (Tensor, graph.GradientEdge)):
        return (inputs,)
    if type(inputs) is dict:
        return tuple(inputs.values())
    if isinstance(inputs, Mapping):
        raise TypeError(
            f"`inputs` argument to `{caller}()` must be a dict, not {type(inputs).__name__}. "
            "Other Mapping types are not supported."
        )
    return tuple(inputs)


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


def _make_grads(outputs, grads, is_grads_batched=False, cast=True):
    """The starting gradients, as torch's ``_make_grads``: outputs and gradients are
    paired up with ``zip`` (extra gradients are ignored; too few is the engine's error,
    raised after these checks), a given gradient must have its output's shape (after
    the batch dimension if ``is_grads_batched``), a missing one is a one for a scalar
    output."""
    result = []
    for i, (out, g) in enumerate(zip(outputs, grads)):
        edge = isinstance(out, graph.GradientEdge)
        if isinstance(g, Tensor):
            shape = g._data.shape[1:] if is_grads_batched else g._data.shape
            if is_grads_batched and not g._data.ndim:
                shape = ()  # (torch takes grad[0] of a 0-d grad apart as well as it can)
            if not edge and shape != out._data.shape:
                if is_grads_batched:
                    raise RuntimeError(
                        "If `is_grads_batched=True`, we interpret the first dimension of each "
                        "grad_output as the batch dimension. The sizes of the remaining "
                        "dimensions are expected to match the shape of corresponding output, "
                        f"but a mismatch was detected: grad_output[{i}] has a shape of "
                        f"{Size(g._data.shape[2:])} and output[{i}] has a shape of "
                        f"{Size(out._data.shape)}. If you only want some tensors in "
                        "`grad_output` to be considered batched, consider using vmap."
                    )
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{Size(g._data.shape)} and output[{i}] has a shape of "
                    f"{Size(out._data.shape)}."
                )
            if cast and not edge and g._data.dtype != out._data.dtype:
                g = g.to(out.dtype)  # (torch's engine casts it: validate_outputs)
        elif g is None:
            if edge:
                raise RuntimeError(
                    "torchlet needs a grad_output for a GradientEdge output (it keeps no "
                    "metadata of a node's outputs to make one from)"
                )
            if out.requires_grad:
                g = _implicit_grad(out, i)
        else:
            raise TypeError(
                f"gradients can be either Tensors or None, but got {type(g).__name__}"
            )
        result.append(g)
    if len(result) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(result)} gradients")
    for i, out in enumerate(outputs):
        if not isinstance(out, graph.GradientEdge) and not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    return result


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaf) into every leaf's ``.grad`` (or only ``inputs``')."""
    if type(tensors) is Tensor and grad_tensors is None and inputs is None \
            and not create_graph and grad_variables is None:
        # loss.backward(), the usual call: nothing else to check
        engine.run_backward((tensors,), (_implicit_grad(tensors, 0),), bool(retain_graph),
                            False)
        return
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    targets = None if inputs is None else _inputs_tuple(inputs, "backward")
    if targets is not None and len(targets) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) or (None,) * len(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    root_grads = _make_grads(outputs, grads)
    if targets is None:
        engine.run_backward(outputs, root_grads, retain_graph, create_graph)
        if create_graph:  # (torch's engine warns as it returns, after the hooks have run)
            _warn_once(_CREATE_GRAPH_WARNING)
        return
    for t in targets:  # as torch: a non-leaf input gets its .grad through retain_grad
        if isinstance(t, Tensor):
            t.retain_grad()
    targets = tuple(dict.fromkeys(targets))  # an input given twice accumulates once
    captured = engine.run_backward(outputs, root_grads, retain_graph, create_graph, targets,
                                   accumulate=True)
    for t, g in zip(targets, captured):
        if isinstance(t, graph.GradientEdge):
            t = t.node.variable if type(t.node) is AccumulateGrad else None
        if g is None or t is None or not t.is_leaf:
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
    if create_graph:
        _warn_once(_CREATE_GRAPH_WARNING)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False,
         materialize_grads=False):
    """Return d(outputs)/d(inputs) (a tuple, one per input; a dict for a dict of inputs)
    without touching ``.grad``.

    ``is_grads_batched``: the first dimension of each grad_output indexes separate
    vector-Jacobian products (torch runs them with vmap; here one backward pass each),
    stacked along a new first dimension of each result.
    """
    return _grad(outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
                 allow_unused, is_grads_batched, materialize_grads)


def _grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
          only_inputs=True, allow_unused=None, is_grads_batched=False,
          materialize_grads=False, cast_grad_outputs=True):
    """``grad``; torchlet.func's double-backward jvp passes ``cast_grad_outputs=False`` so
    that a tangent wider than the function's dtype keeps its precision (torch's forward
    mode does), where ``grad`` casts each grad_output to its output's dtype."""
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _as_tuple(outputs)
    inputs_tuple = _inputs_tuple(inputs, "grad")
    if not inputs_tuple:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "torch.autograd.backward.", FutureWarning, stacklevel=3,  # (through grad)
        )
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    root_grads = _make_grads(outputs, grad_outputs, is_grads_batched, cast_grad_outputs)
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs_tuple:
        if isinstance(t, Tensor) and not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if is_grads_batched:
        captured = _batched_grad(outputs, root_grads, retain_graph, create_graph,
                                 inputs_tuple)
    else:
        captured = engine.run_backward(outputs, root_grads, retain_graph, create_graph,
                                       inputs_tuple)
    result = []
    for i, (t, g) in enumerate(zip(inputs_tuple, captured)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                if not isinstance(t, Tensor):
                    raise RuntimeError(
                        "materialize_grads cannot be used when the given input is a "
                        "GradientEdge"
                    )
                g = wrap(np.zeros_like(t._data))
                g._requires_grad = create_graph  # as torch's zeros_like(requires_grad=...)
        result.append(g)
    if type(inputs) is dict:
        return dict(zip(inputs.keys(), result))
    return tuple(result)


def _batched_grad(outputs, root_grads, retain_graph, create_graph, inputs):
    """One backward pass per row of the batched grad_outputs, the results stacked (an
    input no pass reached stays None)."""
    from torchlet._ops.shape import stack  # (imports the Tensor class)

    sizes = {len(g) for g in root_grads if g is not None}
    rows = []
    n = sizes.pop() if sizes else 0
    for b in range(n):
        row_grads = [None if g is None else g[b] for g in root_grads]
        rows.append(engine.run_backward(outputs, row_grads, retain_graph or b < n - 1,
                                        create_graph, inputs))
    result = []
    for i, t in enumerate(inputs):
        column = [row[i] for row in rows]
        if all(g is None for g in column):
            result.append(None)
            continue
        column = [wrap(np.zeros_like(t._data)) if g is None else g for g in column]
        result.append(stack(column))
    return result


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
from torchlet._tensor import Tensor, _warn_once, wrap  # noqa: E402

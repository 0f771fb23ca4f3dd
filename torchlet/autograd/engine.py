"""The backward engine: the chain rule, run over the recorded graph.

1. Count, for every node reachable from the roots, how many edges point at it.
2. Give each root the starting gradient. A node is *ready* when every edge into it has
   delivered (its count reaches zero); ready nodes run highest sequence number first,
   the order PyTorch uses, so float sums of gradients come out in the same order.
3. Running a node turns the gradients of its outputs into gradients of its inputs (a
   vector-Jacobian product) and sends each along its edge. A gradient arriving at an
   input of another shape was broadcast in the forward pass: ``sum_to`` undoes that here,
   in this one place. Gradients meeting at the same input are added.
4. Leaves end in AccumulateGrad, which adds into ``tensor.grad`` (a first gradient that
   nobody else holds becomes ``.grad`` without a copy, as in torch), then runs the
   leaf's post-accumulate-grad hooks.

Iterative, never recursive: a chain of 100,000 operations is fine.
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from torchlet.autograd._hooks import call_post_hooks, call_pre_hooks
from torchlet.autograd.anomaly_mode import backward_runner
from torchlet.autograd.function import (
    FREED,
    AccumulateGrad,
    gradient_edge,
    obeys_layout_contract,
)
from torchlet.autograd.grad_mode import GRAD_STATE

if TYPE_CHECKING:
    from torchlet._tensor import Tensor
    from torchlet.autograd.function import Node


def run_backward(roots, root_grads, retain_graph, create_graph, targets=None,
                 accumulate=False):
    """Backpropagate ``root_grads`` from the ``roots`` tensors (or GradientEdges).

    Without ``targets``, every leaf reached accumulates into its ``.grad``. With
    ``targets`` (tensors or GradientEdges), nothing accumulates: only the nodes that lead
    to a target run, and the gradients arriving at the targets are returned (None where
    none arrived).

    Hooks with ``targets``, as torch: for ``autograd.grad`` a target's gradient is taken
    before the hooks of a node that runs anyway, and after only the tensor hooks (and
    retain_grad) of a node that runs just to be captured. ``accumulate`` (it is
    ``backward(inputs=...)``, whose caller accumulates the leaves' gradients): a target's
    node runs all its hooks, its post-hooks seeing no gradient computed.
    """
    buffers = {}  # node -> list of gradients, one slot per output of that node
    for tensor, grad in zip(roots, root_grads):
        node, nr = _root_edge(tensor)
        _add_to_buffer(buffers, node, nr, grad)

    dependencies = _count_dependencies(buffers)
    captures = wanted = target_nodes = None
    if targets is not None:
        # a target given twice is captured once, at its first index, and copied at the end
        captures = {}
        firsts = [captures.setdefault(_root_edge(t), i) for i, t in enumerate(targets)]
        target_nodes = {node for node, _ in captures}
        wanted = _nodes_leading_to(target_nodes, buffers)
    captured = [None] * (len(targets) if targets is not None else 0)

    # Sequence numbers are unique, so heap entries never compare nodes. Leaves are not
    # queued: torch runs an AccumulateGrad as soon as it is ready, so we run it on the spot.
    ready = []
    for node in buffers:
        if node not in dependencies:
            ready.append((-node._seq, node))
    heapq.heapify(ready)
    pop, push = heapq.heappop, heapq.heappush
    run_node = backward_runner()  # None unless anomaly detection is on
    previous_mode = GRAD_STATE.enabled
    GRAD_STATE.enabled = create_graph and not GRAD_STATE.inference  # (nothing records there)
    _TASKS.append((_next_task_id(), dependencies, roots, wanted, captures, accumulate))
    try:
        while ready:
            node = pop(ready)[1]
            grads = buffers.pop(node)
            if type(node) is AccumulateGrad:  # only a root can be a queued leaf
                _leaf(node, grads[0], captures, captured, accumulate)
                continue
            hooks = node._hooks
            if captures is not None:
                if node not in wanted:  # it runs only to give a target its gradient
                    if node in target_nodes:
                        _run_for_capture(node, grads, captures, captured, accumulate)
                    continue
                _capture(node, grads, captures, captured)
            if hooks is not None:
                grads = call_pre_hooks(node, grads)

            if grads[0] is None and _nothing_arrived(grads) and not node._run_without_grads:
                input_grads = (None,) * len(node._edges)
            else:
                # (saved_tensors checks versions)
                input_grads = node._backward(grads) if run_node is None else run_node(node, grads)
            if hooks is not None and hooks.post:
                input_grads = call_post_hooks(hooks, input_grads, grads)
            if not retain_graph and node._saved is not None:
                node._saved = FREED

            # Each gradient is moved out of the list as it is sent on, so that a leaf can
            # tell from its reference count whether anyone else holds it (_may_take_over);
            # the node's own gradients are let go too (one passed on unchanged, as by
            # clone or index_put, may then be taken over, as torch does). ``slots`` may
            # still be the list ``grads`` came in.
            grads = slots = None
            input_grads = list(input_grads)
            i = -1
            for edge in node._edges:
                i += 1
                if edge is None:
                    continue
                nxt, nr = edge
                grad = input_grads[i]
                input_grads[i] = None
                if grad is not None:
                    meta = node._input_meta[i]
                    # (NumPy's dtypes are singletons: identity is the quick test)
                    if grad._data.shape != meta[0] or grad._data.dtype is not meta[1]:
                        grad = _match_input(grad, meta, node, i)
                remaining = dependencies[nxt] - 1
                if remaining == 0 and type(nxt) is AccumulateGrad:  # complete: run it now
                    earlier = buffers.pop(nxt, None)
                    if earlier is not None:
                        grad = _sum(earlier[0], grad)
                        earlier = None  # drop the buffer's reference (see _may_take_over)
                    variable = nxt._variable()
                    if (captures is None and grad is not None and variable is not None
                            and not variable._hooks and nxt._hooks is None
                            and variable._requires_grad):  # the usual
                        # What _accumulate does, done here for the two cases of every
                        # training step: a first gradient (after zero_grad) that nobody
                        # else holds, laid out as .grad may be, becomes .grad as it is
                        # (torch "steals" it); a later one is added in place.
                        if create_graph:
                            nxt._accumulate(variable, grad)
                        elif variable._grad is not None:
                            variable._grad._data += grad._data
                        elif _may_take_over(grad, variable._data):
                            variable._grad = grad
                        else:
                            nxt._accumulate(variable, grad)
                    else:
                        _leaf(nxt, grad, captures, captured, accumulate)
                    continue
                dependencies[nxt] = remaining
                slots = buffers.get(nxt)
                if slots is None:
                    slots = buffers[nxt] = [None] * nxt._n_outputs
                if grad is not None:
                    slots[nr] = grad if slots[nr] is None else slots[nr] + grad
                if remaining == 0:
                    push(ready, (-nxt._seq, nxt))
    finally:
        GRAD_STATE.enabled = previous_mode
        _TASKS.pop()
    if targets is not None and len(captures) < len(targets):
        captured = [captured[first] for first in firsts]
    return captured


# The backward passes running, innermost last (a hook may start another): (id,
# dependencies, roots, wanted, captures, accumulate) for the hooks that ask about their
# pass (torch.autograd.graph.register_multi_grad_hook).
_TASKS: list[tuple[
    int,
    dict[Node, int],
    Sequence[Tensor],
    set[Node] | None,
    dict[tuple[Node, int], int] | None,
    bool,
]] = []
_next_task_id = itertools.count().__next__


class GraphTask:
    """The backward pass a hook is running in."""

    def __init__(self, entry):
        (self.id, self._dependencies, roots, self._wanted, self._captures,
         self._accumulate) = entry
        self._roots = {_root_edge(t)[0] for t in roots}

    def will_execute(self, node) -> bool:
        """Whether this pass runs ``node`` (torch's _will_engine_execute_node). As torch,
        asking about a captured leaf (a node with no edges onward: topological_nr 0)
        under autograd.grad is an error; backward(inputs=...) accumulates its leaves."""
        if node not in self._dependencies and node not in self._roots:
            return False
        if self._wanted is None or node in self._wanted:
            return True
        if not any(node is n for n, _ in self._captures):
            return False
        if not self._accumulate and all(e is None for e in node._edges):
            raise RuntimeError(
                "A leaf node was passed to _will_engine_execute_node but we are "
                "currently running autograd.grad(). This is currently not supported."
            )
        return True


def current_task() -> GraphTask:
    if not _TASKS:
        raise RuntimeError("expected this hook to be called inside a backward call")
    return GraphTask(_TASKS[-1])


def _leaf(node, grad, captures, captured, accumulate=False):
    """A leaf's gradient is complete: run its hooks, then accumulate or capture it.
    (With targets, a leaf that is none is left alone; for autograd.grad, a target leaf
    runs only its tensor hooks, as torch.)"""
    if captures is not None and (node, 0) not in captures:
        return
    variable = node._variable()
    if (variable is not None and variable._hooks) or node._hooks is not None:
        grad = call_pre_hooks(node, [grad], node_hooks=captures is None or accumulate)[0]
    if captures is not None:
        _capture(node, [grad], captures, captured)
    elif grad is not None and variable is not None and variable._requires_grad:
        # (a leaf set to requires_grad=False since the graph was made gets nothing)
        node._accumulate(variable, grad)
        if node._hooks is not None:
            node._run_post_accumulate_hooks(variable)
            if node._hooks.post:  # an AccumulateGrad has no inputs: grad_inputs is ()
                call_post_hooks(node._hooks, (), (grad,))


# sys.getrefcount counts the references held by frames: the caller's variable, the
# argument and the call's own, plus (before 3.11) the caller's copy on its stack. From
# Python 3.14 the interpreter may borrow some of them instead, so there we always copy.
_COUNTS_REFERENCES = sys.version_info < (3, 14)
_UNSHARED_COUNT = 4 if sys.version_info < (3, 11) else 3
_refcount = sys.getrefcount


def _may_take_over(grad, leaf) -> bool:
    """Whether ``grad`` may become the ``.grad`` of the leaf whose array is ``leaf`` as it
    is, without a copy: torch's AccumulateGrad "steals" a first gradient when its use
    count says nobody else holds it and it obeys the gradient layout contract.

    Here nobody else holds it when ``grad`` and its array are referenced only by the
    engine's local variable, and the array is writable and owns its memory, or is the one
    view of an array that does (a strided layout, such as channels_last, is made as a
    view of a new buffer)."""
    data = grad._data
    if not (_COUNTS_REFERENCES and _refcount(grad) == _UNSHARED_COUNT
            and _refcount(data) == 3):  # grad._data, the local ``data``, the call
        return False
    base = data.base
    if base is not None and not (type(base) is np.ndarray and base.base is None
                                 and _refcount(base) == 3) and data.size:
        return False  # (refcounts: data.base, base, call; an empty array shares nothing)
    if not data.flags.writeable:
        return False
    strides = data.strides
    if strides == leaf.strides and 0 not in strides and leaf.flags.c_contiguous:
        return True  # the usual case: both in C order, size-1 dims and all
    return obeys_layout_contract(data, leaf)


def _sum(earlier, grad):
    """Two gradients of one input added (either may be missing)."""
    if earlier is None:
        return grad
    return earlier if grad is None else earlier + grad


def _run_for_capture(node, grads, captures, captured, accumulate):
    """A target's node that leads to no other target: for autograd.grad its gradients
    are captured after its tensors' hooks; for backward(inputs=...) it runs all its
    hooks, and computes nothing (its post-hooks see no gradients), as torch."""
    hooks = node._hooks
    if hooks is not None:
        grads = call_pre_hooks(node, grads, node_hooks=accumulate)
    _capture(node, grads, captures, captured)
    if accumulate and hooks is not None and hooks.post:
        call_post_hooks(hooks, (None,) * len(node._edges), grads)


def _root_edge(x):
    """The edge a root's (or a target's) gradient travels along: a tensor's, or the
    GradientEdge itself."""
    if isinstance(x, tuple):  # a GradientEdge (node, output_nr, ...)
        return x[0], x[1]
    return gradient_edge(x)


def _capture(node, grads, captures, captured):
    for nr, grad in enumerate(grads):
        index = captures.get((node, nr))
        if index is not None:
            captured[index] = grad


def _nothing_arrived(grads) -> bool:
    """No gradient reached this node (it then passes None on, without running)."""
    if len(grads) == 1:
        return grads[0] is None
    return all(g is None for g in grads)


def _add_to_buffer(buffers, node, nr, grad):
    slots = buffers.get(node)
    if slots is None:
        slots = buffers[node] = [None] * node._n_outputs
    slots[nr] = grad if slots[nr] is None else slots[nr] + grad


def _count_dependencies(buffers):
    """Number of edges into each node reachable from the roots."""
    dependencies = {}
    stack = list(buffers)
    while stack:
        for edge in stack.pop()._edges:
            if edge is not None:
                nxt = edge[0]
                count = dependencies.get(nxt)
                if count is not None:
                    dependencies[nxt] = count + 1
                else:  # first visit; a root reachable from another root is walked once
                    dependencies[nxt] = 1
                    if nxt._edges and nxt not in buffers:
                        stack.append(nxt)
    return dependencies


def _nodes_leading_to(target_nodes, buffers):
    """Nodes from which a target is reachable: the only ones worth running."""
    wanted, done = set(), set()
    stack = [(n, False) for n in buffers]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            done.add(node)
            # a target's own gradient is captured before it would run: it needs to run
            # only if another target lies below it
            if any(e is not None and (e[0] in wanted or e[0] in target_nodes)
                   for e in node._edges):
                wanted.add(node)
            continue
        if node in done:
            continue
        stack.append((node, True))
        stack.extend((e[0], False) for e in node._edges if e is not None and e[0] not in done)
    return wanted


def _match_input(grad, meta, node, index: int):
    """Sum a broadcast gradient back to the shape of input ``index`` of ``node`` and cast
    it to its dtype."""
    shape, dtype = meta
    if grad._data.shape != shape:
        if not _expandable(shape, grad._data.shape):
            from torchlet._size import Size

            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index "
                f"{index} - got {list(grad._data.shape)} but "
                f"expected shape compatible with {list(Size(shape))}"
            )
        grad = grad.sum_to_size(shape)
    if grad._data.dtype != dtype:
        from torchlet._dtype import from_numpy_dtype

        grad = grad.to(from_numpy_dtype(dtype))
    return grad


def _expandable(shape, target):
    if len(shape) > len(target):
        return False
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))
